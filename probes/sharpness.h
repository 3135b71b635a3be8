/* Sharpness of a minimum seen through the objective table: Keskar et al.'s
 * ε-sharpness (full space and random subspace), worst-case sharpness in an L2
 * ball, average-case sharpness under Gaussian noise, and the filter-normalized
 * versions of the last two, which are invariant to ReLU rescaling. */
#ifndef SADDLE_SHARPNESS_H
#define SADDLE_SHARPNESS_H

#include <stddef.h>
#include <stdint.h>

#include "objective.h"

/* ---- ε-sharpness (Keskar et al. 2017, sec. 2.2 / eq. 3) ----------------------
 *   φ = 100 · (max_{y ∈ C_ε} f(x + A y) − f(x)) / (1 + f(x)),
 *   C_ε = {y : |y_i| ≤ ε (|(A⁺x)_i| + 1)}.
 * SHARP_FULL: A = I, y ∈ Rⁿ. SHARP_SUBSPACE: A is n×p with seeded Gaussian
 * entries and unit columns; A⁺x = (AᵀA)⁻¹Aᵀx by a Cholesky factorization in
 * double. A is held as p float columns of length n (4·n·p bytes: 108 MB for
 * a 269k-parameter model at p = 100).
 *
 * Method: not L-BFGS-B (the paper's choice) but spectral projected gradient
 * ascent on the box: the trial step is the Barzilai-Borwein step of the last
 * accepted move (or 10x the last step where f curves upward along it, which
 * the projection then caps at the box), backtracked by halving along the
 * projection arc until the Armijo condition f(y⁺) ≥ f(y) + 1e-4 ∇ᵀ(y⁺ − y)
 * holds. It is monotone, finds the optimal vertex of a separable convex
 * quadratic in one step and an interior maximum of a concave one in a few.
 * Each trial costs one gradient evaluation (a gradient is needed wherever a
 * trial is accepted, and most are).
 * Iterations: default 10 in the full space, as Keskar et al. used for
 * L-BFGS-B; 20 in the subspace, where an iteration costs the same gradient
 * plus two n×p products, and p ≪ n coordinates are cheap to settle.
 * The ascent stops early when a projected step no longer moves y. When the
 * gradient at x is exactly zero the ascent starts from a small seeded random
 * point of the box instead of its centre (the centre is then stationary). */
enum { SHARP_FULL = 0, SHARP_SUBSPACE = 1 };

#define SHARP_P_DEFAULT 100
#define SHARP_ITERS_FULL 10
#define SHARP_ITERS_SUBSPACE 20

typedef struct sharp_eps_opts {
    double eps;      /* box half-width factor, > 0 (Keskar: 1e-3 and 5e-4) */
    int space;       /* SHARP_FULL or SHARP_SUBSPACE */
    int p;           /* subspace dimension, 1..n (SHARP_SUBSPACE only) */
    int iters;       /* ascent iterations; 0 = the default above */
    uint64_t seed;   /* subspace matrix, and the start when ∇f(x) = 0 */
} sharp_eps_opts;

typedef struct sharp_eps_result {
    double phi;        /* the ε-sharpness above, in percent */
    double f0;         /* f(x) */
    double fmax;       /* best f(x + A y) found */
    size_t dim;        /* length of y: n or p */
    int iters;         /* accepted ascent steps */
    long grads;        /* gradient evaluations, including the one at x */
    long values;       /* value-only evaluations (0 for this method) */
    double occupancy;  /* fraction of y's coordinates at a bound of the box */
    const char *method;
} sharp_eps_result;

/* eps = 1e-3, SHARP_FULL, p = SHARP_P_DEFAULT, iters = 0, seed = 0. */
void sharp_eps_defaults(sharp_eps_opts *opt);

/* ε-sharpness of o at x. Needs o->grad. Returns NN_OK, NN_EINVAL (bad option,
 * with the reason in nn_errmsg), NN_ENOMEM, or NN_ENAN (non-finite loss, or
 * AᵀA not positive definite). */
int sharp_eps(const objective *o, const float *x /* [n] */, const sharp_eps_opts *opt,
              sharp_eps_result *res);

/* The random subspace of sharp_eps for (x, p, seed): A's unit columns into
 * At [p][n] (column j = entries rng_normal(seed, stream, j·n + i), scaled),
 * A⁺x into xa [p]. Exposed so tests and sidecars can check what the box was
 * built from. Returns NN_*. */
int sharp_subspace(const float *x /* [n] */, size_t n, int p, uint64_t seed,
                   float *At /* [p][n] out */, double *xa /* [p] out */);

/* ---- worst-case and average-case sharpness -------------------------------------
 * SHARP_RAW     perturbations δ in plain coordinates: ‖δ‖ ≤ ρ, resp. δ = σ z
 *               with z ~ N(0, I) over all of θ (biases included).
 * SHARP_FILTER  per filter (one row of a weight block, see objective.h;
 *               all of θ when o->nblocks == 0): ‖δ_row‖ ≤ ρ ‖x_row‖, resp.
 *               δ = σ · dir_random(DIR_FILTER, BIAS_ZERO) so each row has
 *               norm σ ‖x_row‖; biases never move (as the surface directions).
 *               Scaling a ReLU layer's rows by c and the next layer's weights
 *               by 1/c leaves these numbers unchanged (Dinh et al. 2017). */
enum { SHARP_RAW = 0, SHARP_FILTER = 1 };

#define SHARP_ITERS_WORST 20

typedef struct sharp_worst_opts {
    double rho;      /* ball radius (SHARP_FILTER: relative to each row's norm), > 0 */
    int scale;       /* SHARP_RAW or SHARP_FILTER */
    int iters;       /* ascent iterations; 0 = SHARP_ITERS_WORST */
    uint64_t seed;   /* start direction when ∇f(x) = 0 */
} sharp_worst_opts;

typedef struct sharp_worst_result {
    double sharpness;  /* fmax − f0 */
    double f0, fmax;
    int iters;         /* accepted ascent steps */
    long grads;        /* gradient evaluations, including the one at x */
    double fill;       /* ‖δ‖ / (its largest allowed norm): 1 = on the sphere(s) */
} sharp_worst_result;

/* max_{δ in the ball(s)} f(x + δ) − f(x) by projected gradient ascent: start
 * at the SAM step ρ g/‖g‖ (per row for SHARP_FILTER), then steps of length
 * η·ρ along the normalized gradient, projected back; η starts at 1, doubles
 * after an increase and halves (up to 30 times) after a decrease, so on a
 * quadratic it turns into power iteration on the Hessian. Needs o->grad.
 * Returns NN_* as sharp_eps. */
int sharp_worst(const objective *o, const float *x /* [n] */, const sharp_worst_opts *opt,
                sharp_worst_result *res);

typedef struct sharp_avg_opts {
    double sigma;    /* noise scale (SHARP_FILTER: relative to each row's norm), > 0 */
    int scale;       /* SHARP_RAW or SHARP_FILTER */
    int samples;     /* number of draws, ≥ 2 */
    uint64_t seed;   /* draw k is dir_random(..., seed, index k) */
} sharp_avg_opts;

typedef struct sharp_avg_result {
    double sharpness;  /* mean of f(x + δ_k) − f(x) */
    double stderr_;    /* its standard error: sample std / √samples */
    double f0;
    int samples;
    long values;       /* value evaluations, including the one at x */
} sharp_avg_result;

/* Average-case sharpness: needs o->value only. Returns NN_* as sharp_eps. */
int sharp_average(const objective *o, const float *x /* [n] */, const sharp_avg_opts *opt,
                  sharp_avg_result *res);

#endif
