/* Internals shared by hessian.c and hessian_trace.c: the Lanczos workspace and
 * step (one HVP, full reorthogonalization, T in double), random probe
 * vectors, and the HVP wrapper that checks for non-finite results. */
#ifndef SADDLE_HESSIAN_PRIV_H
#define SADDLE_HESSIAN_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include "objective.h"

/* Probe vectors use their own rng streams so they never coincide with the
 * random directions of the surface probe for the same seed. */
#define HESS_RNG_STREAM 0x4e5353ULL

typedef struct lz {
    const objective *o;
    const float *theta;   /* [n] */
    const char *who;      /* function name for error messages */
    size_t n;
    int m;                /* basis capacity */
    int use_float, reorth;
    double *qd;           /* [m][n] basis when !use_float */
    float *qf;            /* [m][n] basis when use_float */
    double *w;            /* [n] the next residual vector */
    double *c;            /* [m] reorthogonalization coefficients */
    float *vf, *hvf;      /* [n] float copies for o->hvp */
    double *alpha, *beta; /* [m]: T = tridiag(beta, alpha, beta) */
    double *T, *S, *ritz; /* [m][m], [m][m], [m]: scratch for eigen(T) */
    int j;                /* vectors in the basis */
    int hvps;
    double scale;         /* max |α|, |β| seen: a running estimate of ||H|| */
    int broke;            /* the last step found an invariant subspace */
} lz;

int lz_alloc(lz *z, const objective *o, const float *theta, int m, int use_float, int reorth,
             const char *who);
void lz_free(lz *z);
/* Starts a fresh Krylov space from x [n] (need not be normalized). */
int lz_start(lz *z, const double *x);
/* One step on basis vector j = z->j − 1: Hq_j, α_j, β_j, and q_{j+1} appended
 * unless β_j is (numerically) zero, which sets z->broke. */
int lz_step(lz *z);
/* Appends a new vector orthogonal to the basis built from x [n] (T gets a
 * zero off-diagonal there). Returns 0 when the basis already spans Rⁿ. */
int lz_restart(lz *z, double *x);
/* Eigen-decomposition of the s×s leading T: ritz[] descending, row i of S the
 * eigenvector of ritz[i] (S[i*s + j]). */
int lz_eigen(lz *z, int s);
/* out [n] = Σ_j S[i][j] q_j for the s×s decomposition last computed. */
void lz_ritz_vector(lz *z, int s, int i, float *out);

/* Rademacher ±1 (gaussian == 0) or standard normal entries, probe `probe`. */
void hess_probe_fill(double *x /* [n] */, size_t n, uint64_t seed, uint64_t probe, int gaussian);
/* o->hvp on float copies; NN_ENAN naming `who` and `iter` when Hv is not finite. */
int hess_hvp(const objective *o, const float *theta, const float *v, float *hv, size_t n,
             const char *who, int iter);

#endif
