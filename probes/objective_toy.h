/* Analytic objectives with closed-form value, gradient and Hessian, so probes
 * (slices, eigen solvers, sharpness) can be tested against exact answers:
 * a dense quadratic and the 2-D Rosenbrock function. */
#ifndef SADDLE_OBJECTIVE_TOY_H
#define SADDLE_OBJECTIVE_TOY_H

#include "objective.h"

/* f(θ) = ½ θᵀAθ + bᵀθ, ∇f = Aθ + b, H = A. */
typedef struct quadobj {
    int n;
    double *A;   /* [n][n] symmetric, owned copy */
    double *b;   /* [n], owned copy (zeros when none was given) */
} quadobj;

/* Copies A [n][n] (must be symmetric to 1e-12 relative) and b [n] (NULL =
 * zero). value/grad/hvp are exact in double and rounded to float on output;
 * plane evaluates the closed form along the plane; *acc is set to 0. */
int quadobj_init(quadobj *q, objective *o, int n, const double *A, const double *b);
void quadobj_free(quadobj *q);

/* f(x, y) = (a - x)² + c (y - x²)², minimum 0 at (a, a²); the classic is
 * a = 1, c = 100. n = 2, exact gradient and Hessian-vector product, no plane. */
typedef struct rosenobj {
    double a, c;
} rosenobj;

void rosenobj_init(rosenobj *r, objective *o, double a, double c);

#endif
