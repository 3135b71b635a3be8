/* Critical points of an objective: Levenberg-Marquardt on the gradient,
 * d = -(H² + μI)⁻¹ H g, which minimizes ½‖∇f‖² (its gradient is H g) and
 * finds saddles as readily as minima; then classification by the exact
 * spectrum of the dense Hessian (index at several thresholds, λmin, λmax,
 * and how much of the remaining gradient lies where the curvature vanishes).
 * Needs the objective's double-precision path (grad64, hessian64): dense,
 * so for nets up to a few thousand parameters. */
#ifndef SADDLE_CRITICAL_H
#define SADDLE_CRITICAL_H

#include "objective.h"

#define CRIT_MAX_T 4

/* How a search ended. */
enum {
    CRIT_CRITICAL = 0, /* ‖∇f‖ ≤ gtol */
    CRIT_FLAT,         /* stopped with most of ‖∇f‖² in the near-null eigenspace of H:
                          ½‖∇f‖² is stationary (H∇f ≈ 0) but ∇f is not zero */
    CRIT_UNCONVERGED   /* neither: out of iterations, or stalled elsewhere */
};

typedef struct crit_opts {
    int max_iter;        /* Levenberg-Marquardt iterations (default 200) */
    double gtol;         /* critical when ‖∇f‖ ≤ gtol (default 1e-8) */
    int stall_iters;     /* stop when ‖∇f‖ is still above stall_drop times its value */
    double stall_drop;   /*   this many iterations ago (default 50, 0.9) */
    double mu0;          /* smallest damping, relative to λmax² (default 1e-12) */
    int mu_decades;      /* each iteration tries μ·10^k for |k| ≤ this and keeps the best
                            (default 4: nine gradients per eigendecomposition) */
    int nt;              /* eigenvalue thresholds, relative to λmax: */
    double t[CRIT_MAX_T];/*   default 1e-6, 1e-4, 1e-3 */
    int flat_t;          /* the threshold (index into t) that defines "near-null" for
                            the gradient-flat label (default 1: 1e-4 λmax) */
    double flat_frac;    /* gradient-flat when at least this fraction of ‖∇f‖² lies in
                            |λ| ≤ t[flat_t] λmax (default 0.5) */
} crit_opts;

void crit_opts_defaults(crit_opts *o);

typedef struct crit_result {
    int status;                 /* CRIT_* */
    int iters;                  /* accepted Levenberg-Marquardt steps */
    int grads, hessians;        /* evaluations spent */
    double loss0, gnorm0;       /* at the start */
    double loss, gnorm;         /* at the end */
    double lmin, lmax;          /* extreme eigenvalues at the end */
    int n;                      /* parameters */
    int nneg[CRIT_MAX_T];       /* eigenvalues below -t λmax */
    double index[CRIT_MAX_T];   /* nneg / n */
    double nullfrac[CRIT_MAX_T];/* fraction of ‖∇f‖² on eigenvectors with |λ| ≤ t λmax */
    double hg_rel;              /* ‖H∇f‖ / (λmax ‖∇f‖): 0 on a gradient-flat point */
} crit_result;

/* The search after `iter` accepted steps, classified by the spectrum there:
 * what the search would have reported with max_iter = iter. */
typedef struct crit_step {
    int iter;
    int status;                 /* CRIT_*, as if the search stopped here */
    double loss, gnorm, mu;     /* mu: the damping of the step that led here (0 at the start) */
    double lmin, lmax;
    int nneg[CRIT_MAX_T];
    double index[CRIT_MAX_T];
} crit_step;

/* Called once for every point the search visits, iter = 0 .. r->iters in
 * order (may be NULL): the index along the search, so that what an end
 * point's index owes to the iteration budget can be seen. */
typedef void (*crit_progress)(void *user, const crit_step *s);

/* Searches from theta [n] (overwritten with the end point) and classifies
 * the end point into *r; its eigenvalues go to eig [n] (ascending) when not
 * NULL. NN_EINVAL when the objective has no double-precision path; NN_ENAN
 * when the function stops being finite. */
int crit_find(const objective *o, double *theta, const crit_opts *opt, crit_result *r,
              double *eig, crit_progress cb, void *user);

/* Spearman's rank correlation of x [n] and y [n] (ties get their average
 * rank); NAN when either has no spread or n < 3. */
double crit_spearman(int n, const double *x, const double *y);

/* The spread of Spearman's rho of x [n] and y [n] over `reps` bootstrap
 * resamples of the n pairs (drawn with the counter-based generator keyed by
 * seed): the sample standard deviation and the 5% and 95% quantiles of the
 * resampled rho, resamples without spread left out. All NAN for n < 3. A
 * correlation over a handful of end points is loose; this says how loose. */
int crit_spearman_boot(int n, const double *x, const double *y, int reps, uint64_t seed,
                       double *sd, double *lo, double *hi);

const char *crit_status_name(int status); /* "critical", "gradient-flat", "unconverged" */

#endif
