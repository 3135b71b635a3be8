/* Curvature of an objective at θ from Hessian-vector products only: Lanczos
 * (top-k and λmin), power iteration with deflation, Hutchinson and Hutch++
 * trace estimates, and the spectral density by stochastic Lanczos quadrature. */
#ifndef SADDLE_HESSIAN_H
#define SADDLE_HESSIAN_H

#include <stddef.h>
#include <stdint.h>

#include "objective.h"

/* Every function here calls o->hvp(o->ctx, theta, v, hv) and nothing else of
 * the objective; an objective without hvp is NN_EINVAL, a non-finite Hv is
 * NN_ENAN naming the iteration. Randomness comes from rng.h keyed by
 * (seed, run), so results are a pure function of the options. Options with
 * value 0 take the documented default. */

/* ---- eigenvalues ------------------------------------------------------------ */

typedef struct hess_lanczos_opts {
    int k;               /* top (largest algebraic) eigenvalues wanted, 1..n */
    int want_min;        /* also the smallest algebraic eigenvalue λmin */
    int max_steps;       /* Lanczos steps = HVPs cap; 0 = min(n, max(100, 4k)) */
    /* Stop when every wanted Ritz pair has |β_m s_{m,i}| <= tol·max(|θ_i|, 1e-4·ρ),
     * ρ = the largest |Ritz value|: the floor keeps an eigenvalue that is ~0
     * relative to the spectrum (common at a minimum) from never converging.
     * 0 = 1e-6. */
    double tol;
    uint64_t seed;       /* random Gaussian start vector when start == NULL */
    const float *start;  /* [n] warm start (e.g. the previous point's Ritz vector), or NULL */
    int want_vectors;    /* return Ritz vectors (θ-shaped, float) */
    int basis_float;     /* keep the Lanczos basis in float: half the memory of
                            double, inner products and T stay in double */
    int no_reorth;       /* diagnostics only: plain three-term recurrence, no
                            reorthogonalization (shows ghost eigenvalues) */
} hess_lanczos_opts;

typedef struct hess_power_opts {
    int k;               /* eigenpairs wanted, found one after another, 1..n */
    int max_iter;        /* iterations (= HVPs) per eigenpair; 0 = 1000 */
    /* Stop an eigenpair when |λ_t − λ_{t−1}| <= tol·|λ_t|; 0 = 1e-7. Float HVPs
     * jitter the Rayleigh quotient by ~1e-8 relative, so much below that
     * never triggers. */
    double tol;
    uint64_t seed;
    const float *start;  /* [n] start vector for the first pair, or NULL */
    int want_vectors;
} hess_power_opts;

typedef struct hess_eig {
    int k;
    size_t n;
    double *eval;        /* [k] Lanczos: largest algebraic, descending; power:
                            signed, in the order found (descending magnitude) */
    double *resid;       /* [k] Lanczos: |β_m s_{m,i}|; power: ||Hv − λv|| (v unit) */
    float *evec;         /* [k][n] unit vectors when want_vectors, else NULL */
    int has_min;         /* Lanczos with want_min */
    double lmin, lmin_resid;
    float *lmin_vec;     /* [n] when want_vectors && want_min, else NULL */
    int steps;           /* Lanczos steps, or power iterations over all pairs */
    int hvps;            /* Hessian-vector products used */
    int restarts;        /* Lanczos: fresh vectors after an invariant subspace */
    int converged;       /* 1 when every wanted pair met tol within the caps */
} hess_eig;

/* Lanczos with full reorthogonalization (classical Gram-Schmidt twice against
 * the whole basis) at theta [n]. On NN_OK *out is filled (free with
 * hess_eig_free) even when not converged: converged says which. A start
 * vector that lies in an invariant subspace (exactly) is completed with fresh
 * random vectors only while fewer Ritz values than wanted exist. */
int hess_lanczos(const objective *o, const float *theta /* [n] */,
                 const hess_lanczos_opts *opt, hess_eig *out);

/* Power iteration with deflation: pair i iterates in the orthogonal
 * complement of pairs 0..i-1. It finds eigenvalues largest in *magnitude*
 * and converges like (λ_{i+1}/λ_i)^t, so slowly for close eigenvalues, and a
 * small relative change then does not mean a small error: check resid. */
int hess_power(const objective *o, const float *theta /* [n] */,
               const hess_power_opts *opt, hess_eig *out);

void hess_eig_free(hess_eig *e);

/* ---- trace ------------------------------------------------------------------ */

typedef struct hess_trace {
    double estimate;
    double se;           /* standard error; NAN where undefined (< 2 samples) */
    int hvps;
} hess_trace;

/* Hutchinson: mean of zᵀHz over nprobe Rademacher z (nprobe >= 1); se is the
 * sample standard deviation / sqrt(nprobe). */
int hess_trace_hutchinson(const objective *o, const float *theta /* [n] */, int nprobe,
                          uint64_t seed, hess_trace *out);

/* Hutch++ (Meyer, Musco, Musco, Woodruff 2021) with a budget of nhvp >= 3
 * HVPs: r = nhvp/3 sketch columns, Q = orth(HS), trace(QᵀHQ) exactly (r HVPs),
 * plus Hutchinson with the remaining nhvp − 2r probes on (I−QQᵀ)H(I−QQᵀ).
 * se is that Hutchinson part's standard error (the QᵀHQ part has none).
 * r must not exceed n. */
int hess_trace_hutchpp(const objective *o, const float *theta /* [n] */, int nhvp,
                       uint64_t seed, hess_trace *out);

/* ---- spectral density --------------------------------------------------------- */

typedef struct hess_slq_opts {
    int nrun;            /* independent start vectors; 0 = 10 */
    int m;               /* Lanczos steps per run, 2..n; 0 = min(n, 80) */
    int gaussian;        /* Gaussian start vectors instead of Rademacher */
    uint64_t seed;
    double sigma;        /* smoothing width; 0 = 0.01·(max node − min node) */
    int ngrid;           /* density grid points; 0 = 1001 */
    double lo, hi;       /* grid range; lo == hi = [min node − 5σ, max node + 5σ] */
    double lmax;         /* λmax the index thresholds are relative to (e.g. from
                            Lanczos); 0 = the largest node */
} hess_slq_opts;

/* The index is counted with a tolerance: at a minimum most of the spectral
 * mass sits in a near-null cluster, and the sign of the Gauss node that
 * carries it is rounding, not curvature. So a node counts as negative only
 * below −t·λmax, for the thresholds `saddle critical` uses. */
#define HESS_NT 3
extern const double hess_index_t[HESS_NT]; /* 1e-6, 1e-4, 1e-3 */

typedef struct hess_index {
    double t;            /* threshold, relative to hess_density.scale */
    double index;        /* mean over runs of Σ_{θ_i < −t·scale} w_i: fraction of eigenvalues */
    double sd;           /* its standard deviation over runs; NAN when nrun == 1 */
    double se;           /* sd / sqrt(nrun) */
    double lo, hi;       /* the smallest and largest run's value */
    double null;         /* mean over runs of Σ_{|θ_i| <= t·scale} w_i: the near-null mass */
    /* null at the largest threshold minus null here: mass in nodes near zero
     * (within 1e-3 λmax) but outside ±t·λmax. Lanczos does not place the
     * node of a near-null cluster that precisely, so where this is large
     * the index at t is the sign of that node, not a measurement. */
    double unresolved;
} hess_index;

typedef struct hess_density {
    int nrun, m;
    double *node;        /* [nrun][m] Ritz values of each run's T */
    double *weight;      /* [nrun][m] squared first components; each row sums to 1.
                            A run that found an invariant subspace early has
                            nnode[r] < m and zero weights after them. */
    int *nnode;          /* [nrun] */
    int ngrid;
    double *grid;        /* [ngrid] equally spaced */
    double *density;     /* [ngrid] mean over runs of Σ w_i N(x; θ_i, σ²): integrates to ~1 */
    double sigma;
    double moment1;      /* mean over runs of Σ w_i θ_i: estimates trace(H)/n */
    double scale;        /* opt->lmax, or the largest node; the largest |node| when
                            no node is positive */
    hess_index index[HESS_NT];
    int hvps;
} hess_density;

/* Stochastic Lanczos quadrature (Lin, Saad, Yang 2016; Ghorbani, Krishnan,
 * Xiao 2019): nrun × m Lanczos steps with full reorthogonalization.
 * On NN_OK free *out with hess_density_free. */
int hess_slq(const objective *o, const float *theta /* [n] */, const hess_slq_opts *opt,
             hess_density *out);

void hess_density_free(hess_density *d);

#endif
