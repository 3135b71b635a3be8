/* The 2-D test surfaces: closed-form value, gradient and Hessian per surface,
 * a table of where their critical points are (found offline by Newton from a
 * dense grid, to 1e-12) and the objective adapter that probes see. */
#include "toysurf.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../datasets/status.h"

/* ---- the functions ------------------------------------------------------- */

/* ½(x² + y²): the reference case every rule solves. */
static double bowl_f(double x, double y, double *g, double *h)
{
    if (g) { g[0] = x; g[1] = y; }
    if (h) { h[0] = 1; h[1] = 0; h[2] = 1; }
    return 0.5 * (x * x + y * y);
}

/* ½(x² + 100 y²): condition number 100, so a step size stable across the
 * valley crawls along it. */
static double valley_f(double x, double y, double *g, double *h)
{
    if (g) { g[0] = x; g[1] = 100 * y; }
    if (h) { h[0] = 1; h[1] = 0; h[2] = 100; }
    return 0.5 * (x * x + 100 * y * y);
}

static double rosen_f(double x, double y, double *g, double *h)
{
    double u = 1 - x, w = y - x * x;
    if (g) { g[0] = -2 * u - 400 * x * w; g[1] = 200 * w; }
    if (h) { h[0] = 2 - 400 * y + 1200 * x * x; h[1] = -400 * x; h[2] = 200; }
    return u * u + 100 * w * w;
}

static double camel_f(double x, double y, double *g, double *h)
{
    double x2 = x * x, y2 = y * y;
    if (g) {
        g[0] = 8 * x - 8.4 * x2 * x + 2 * x2 * x2 * x + y;
        g[1] = x - 8 * y + 16 * y2 * y;
    }
    if (h) { h[0] = 8 - 25.2 * x2 + 10 * x2 * x2; h[1] = 1; h[2] = -8 + 48 * y2; }
    return (4 - 2.1 * x2 + x2 * x2 / 3) * x2 + x * y + (-4 + 4 * y2) * y2;
}

static double himmel_f(double x, double y, double *g, double *h)
{
    double a = x * x + y - 11, b = x + y * y - 7;
    if (g) { g[0] = 4 * x * a + 2 * b; g[1] = 2 * a + 4 * y * b; }
    if (h) { h[0] = 4 * a + 8 * x * x + 2; h[1] = 4 * x + 4 * y; h[2] = 2 + 4 * b + 8 * y * y; }
    return a * a + b * b;
}

/* x³ − 3xy²: three valleys down and three ridges up around a critical point
 * whose Hessian is zero, so second-order methods see nothing there. Unbounded
 * below: paths leave the box. */
static double monkey_f(double x, double y, double *g, double *h)
{
    if (g) { g[0] = 3 * x * x - 3 * y * y; g[1] = -6 * x * y; }
    if (h) { h[0] = 6 * x; h[1] = -6 * y; h[2] = -6 * x; }
    return x * x * x - 3 * x * y * y;
}

/* ε r² + 1 − exp(−r²/(2w²)): a plateau at about 1 whose slope (2εr) is tiny,
 * ending in a cliff about w wide down into a basin at the origin. The radial
 * derivative 2εr + (r/w²)e^(...) is positive for r > 0, so the basin's
 * bottom is the only critical point. */
#define PLAT_EPS 0.001
#define PLAT_W 0.4
static double plateau_f(double x, double y, double *g, double *h)
{
    const double w2 = PLAT_W * PLAT_W;
    double r2 = x * x + y * y, e = exp(-r2 / (2 * w2));
    if (g) {
        g[0] = 2 * PLAT_EPS * x + x * e / w2;
        g[1] = 2 * PLAT_EPS * y + y * e / w2;
    }
    if (h) {
        double d = 2 * PLAT_EPS + e / w2;
        h[0] = d - x * x * e / (w2 * w2);
        h[1] = -x * y * e / (w2 * w2);
        h[2] = d - y * y * e / (w2 * w2);
    }
    return PLAT_EPS * r2 + 1 - e;
}

/* ---- the table ----------------------------------------------------------- */

/* Step sizes: sgd-family values sit below 2/λmax of the curvature met near
 * the minima (the valley's 100, Rosenbrock's ~1000 near (1, 1)); adaptive
 * rules move about lr per step whatever the scale, so theirs is a fraction
 * of the box. */
static const toy_surface BOWL = {
    "bowl", "(x^2 + y^2)/2", bowl_f, -3, 3, -3, 3, 0.1, 0.05, 200, 1,
    1, {{0, 0, TOY_MIN, 0, 0}}};

static const toy_surface VALLEY = {
    "valley", "(x^2 + 100 y^2)/2", valley_f, -3, 3, -1.5, 1.5, 0.018, 0.05, 300, 1,
    1, {{0, 0, TOY_MIN, 0, 0}}};

static const toy_surface ROSEN = {
    "rosenbrock", "(1 - x)^2 + 100 (y - x^2)^2", rosen_f, -2, 2, -1, 3, 0.0005, 0.02, 2000, 1,
    1, {{1, 1, TOY_MIN, 0, 0}}};

static const toy_surface CAMEL = {
    "six-hump-camel", "(4 - 2.1x^2 + x^4/3) x^2 + xy + (4y^2 - 4) y^2", camel_f,
    -2, 2, -1.1, 1.1, 0.02, 0.02, 500, 1, 15, {
        {0.089842013100, -0.712656403021, TOY_MIN, 0, -1.0316284535},
        {-0.089842013100, 0.712656403021, TOY_MIN, 0, -1.0316284535},
        {-1.703606714970, 0.796083568673, TOY_MIN, 0, -0.2154638244},
        {1.703606714970, -0.796083568673, TOY_MIN, 0, -0.2154638244},
        {-1.607104752920, -0.568651454884, TOY_MIN, 0, 2.1042503103},
        {1.607104752920, 0.568651454884, TOY_MIN, 0, 2.1042503103},
        {0, 0, TOY_SADDLE, 1, 0},
        {-1.109205336805, 0.768268092510, TOY_SADDLE, 1, 0.5437186010},
        {1.109205336805, -0.768268092510, TOY_SADDLE, 1, 0.5437186010},
        {-1.638067984190, -0.228674069044, TOY_SADDLE, 1, 2.2293571975},
        {1.638067984190, 0.228674069044, TOY_SADDLE, 1, 2.2293571975},
        {-1.296070267167, -0.605084388039, TOY_SADDLE, 1, 2.2294708180},
        {1.296070267167, 0.605084388039, TOY_SADDLE, 1, 2.2294708180},
        {-1.230229876517, -0.162334584459, TOY_MAX, 2, 2.4962953510},
        {1.230229876517, 0.162334584459, TOY_MAX, 2, 2.4962953510}}};

static const toy_surface HIMMEL = {
    "himmelblau", "(x^2 + y - 11)^2 + (x + y^2 - 7)^2", himmel_f, -5, 5, -5, 5, 0.005, 0.05,
    500, 1, 9, {
        {3, 2, TOY_MIN, 0, 0},
        {-2.805118086953, 3.131312518251, TOY_MIN, 0, 0},
        {-3.779310253378, -3.283185991286, TOY_MIN, 0, 0},
        {3.584428340330, -1.848126526964, TOY_MIN, 0, 0},
        {-3.073025750764, -0.081353044288, TOY_SADDLE, 1, 104.0151629176},
        {0.086677504555, 2.884254701175, TOY_SADDLE, 1, 67.7191500875},
        {3.385154183607, 0.073851879838, TOY_SADDLE, 1, 13.3119262704},
        {-0.127961346731, -1.953714980245, TOY_SADDLE, 1, 178.3372392019},
        {-0.270844590667, -0.923038556480, TOY_MAX, 2, 181.6165215226}}};

static const toy_surface MONKEY = {
    "monkey-saddle", "x^3 - 3xy^2", monkey_f, -1.5, 1.5, -1.5, 1.5, 0.02, 0.02, 300, 0,
    1, {{0, 0, TOY_SADDLE, -1, 0}}};

static const toy_surface PLATEAU = {
    "plateau", "0.001 r^2 + 1 - exp(-r^2 / 0.32)", plateau_f, -3, 3, -3, 3, 0.2, 0.05, 500, 1,
    1, {{0, 0, TOY_MIN, 0, 0}}};

const toy_surface *const toy_surfaces[] = {&BOWL, &VALLEY, &ROSEN, &CAMEL, &HIMMEL,
                                           &MONKEY, &PLATEAU, NULL};

int toy_find(const char *name, const toy_surface **s)
{
    *s = NULL;
    char names[256] = "";
    for (int i = 0; toy_surfaces[i]; i++) {
        if (name && !strcmp(name, toy_surfaces[i]->name)) {
            *s = toy_surfaces[i];
            return NN_OK;
        }
        size_t len = strlen(names);
        snprintf(names + len, sizeof names - len, "%s%s", i ? ", " : "", toy_surfaces[i]->name);
    }
    return nn_err(NN_EINVAL, "unknown surface '%s' (one of: %s)", name ? name : "", names);
}

const char *toy_kind_name(int kind)
{
    return kind == TOY_MIN ? "minimum" : kind == TOY_MAX ? "maximum" : "saddle";
}

int toy_nearest(const toy_surface *s, double x, double y, double *dist)
{
    int best = -1;
    double bd = INFINITY;
    for (int i = 0; i < s->ncrit; i++) {
        double d = hypot(x - s->crit[i].x, y - s->crit[i].y);
        if (d < bd) { bd = d; best = i; }
    }
    if (dist) *dist = bd;
    return best;
}

double toy_fmin(const toy_surface *s)
{
    double m = INFINITY;
    for (int i = 0; i < s->ncrit; i++)
        if (s->crit[i].f < m) m = s->crit[i].f;
    return m;
}

/* ---- objective adapter --------------------------------------------------- */

static double toy_value(void *ctx, const float *theta, double *acc)
{
    const toy_surface *s = ctx;
    if (acc) *acc = 0.0;
    return s->f(theta[0], theta[1], NULL, NULL);
}

static double toy_grad(void *ctx, const float *theta, float *g)
{
    const toy_surface *s = ctx;
    double gd[2];
    double f = s->f(theta[0], theta[1], gd, NULL);
    g[0] = (float)gd[0];
    g[1] = (float)gd[1];
    return f;
}

static void toy_hvp(void *ctx, const float *theta, const float *v, float *hv)
{
    const toy_surface *s = ctx;
    double h[3];
    s->f(theta[0], theta[1], NULL, h);
    hv[0] = (float)(h[0] * v[0] + h[1] * v[1]);
    hv[1] = (float)(h[1] * v[0] + h[2] * v[1]);
}

static double toy_grad64(void *ctx, const double *theta, double *g)
{
    const toy_surface *s = ctx;
    return s->f(theta[0], theta[1], g, NULL);
}

static int toy_hessian64(void *ctx, const double *theta, double *H)
{
    const toy_surface *s = ctx;
    double h[3];
    s->f(theta[0], theta[1], NULL, h);
    H[0] = h[0], H[1] = H[2] = h[1], H[3] = h[2];
    return NN_OK;
}

void toy_objective(const toy_surface *s, objective *o)
{
    memset(o, 0, sizeof *o);
    o->n = 2;
    o->value = toy_value;
    o->grad = toy_grad;
    o->hvp = toy_hvp;
    o->grad64 = toy_grad64;
    o->hessian64 = toy_hessian64;
    o->plane = NULL;
    o->nblocks = 0;
    o->ctx = (void *)s;
}
