/* Analytic 2-D test surfaces (bowl, valley, Rosenbrock, six-hump camel,
 * Himmelblau, monkey saddle, plateau with a cliff) as objectives with exact
 * gradient and Hessian, each with a plot box and its known critical points,
 * so optimizer paths can be drawn and where they end can be named. */
#ifndef SADDLE_TOYSURF_H
#define SADDLE_TOYSURF_H

#include "objective.h"

enum { TOY_MIN = 0, TOY_MAX, TOY_SADDLE };

/* A critical point: ∇f = 0 there. index = number of negative Hessian
 * eigenvalues (0 minimum, 1 saddle, 2 maximum); -1 when the Hessian is
 * singular there and higher-order terms decide the kind (monkey saddle). */
typedef struct toy_crit {
    double x, y;
    int kind;        /* TOY_* */
    int index;
    double f;        /* value there */
} toy_crit;

#define TOY_MAX_CRIT 16

typedef struct toy_surface {
    const char *name;     /* "six-hump-camel" */
    const char *formula;  /* for titles and --help */
    /* f at (x, y); g [2] = ∇f and h [3] = (fxx, fxy, fyy) when not NULL. */
    double (*f)(double x, double y, double *g, double *h);
    double x0, x1, y0, y1; /* default plot box; starts are drawn inside it */
    double lr, lr_adaptive; /* default step sizes: sgd family, adam/rmsprop */
    int steps;              /* default number of steps */
    int log_scale;          /* draw log10(f - fmin + offset): f has a floor */
    int ncrit;
    toy_crit crit[TOY_MAX_CRIT];
} toy_surface;

/* The surfaces, NULL-terminated. */
extern const toy_surface *const toy_surfaces[];

/* By name; NN_EINVAL naming every surface when unknown. */
int toy_find(const char *name, const toy_surface **s);
/* "minimum", "maximum", "saddle". */
const char *toy_kind_name(int kind);
/* n = 2, nblocks = 0, exact value/grad/hvp in double rounded to float, no
 * plane; o->ctx points at s (which must outlive o). */
void toy_objective(const toy_surface *s, objective *o);
/* The index of the listed critical point nearest (x, y) and its distance
 * (*dist may be NULL); -1 when the surface lists none. */
int toy_nearest(const toy_surface *s, double x, double y, double *dist);
/* The lowest listed critical value (the surface's known floor in its box). */
double toy_fmin(const toy_surface *s);

#endif
