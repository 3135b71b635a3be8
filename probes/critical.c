/* The critical-point finder: Levenberg-Marquardt on the residual ∇f(θ) = 0,
 * whose Jacobian is H, so the damped Gauss-Newton step is
 * d = -(H² + μI)⁻¹ H g. With H = Q Λ Qᵀ from one dense eigendecomposition per
 * iteration every trial μ costs only a gradient: d = -Q diag(λ/(λ²+μ)) Qᵀ g.
 * Directions with λ ≈ 0 get no step at all, which is why a search can end on
 * a gradient-flat point (∇f ≠ 0, H∇f ≈ 0) rather than a critical one; the
 * classification says which it was. */
#include "critical.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../datasets/linalg.h"
#include "../datasets/rng.h"
#include "../datasets/status.h"
#include "../nn/pool.h"

void crit_opts_defaults(crit_opts *o)
{
    memset(o, 0, sizeof *o);
    o->max_iter = 200;
    o->gtol = 1e-8;
    o->stall_iters = 50;
    o->stall_drop = 0.9;
    o->mu0 = 1e-12;
    o->mu_decades = 4;
    o->nt = 3;
    o->t[0] = 1e-6, o->t[1] = 1e-4, o->t[2] = 1e-3;
    o->flat_t = 1;
    o->flat_frac = 0.5;
}

const char *crit_status_name(int status)
{
    switch (status) {
    case CRIT_CRITICAL: return "critical";
    case CRIT_FLAT: return "gradient-flat";
    default: return "unconverged";
    }
}

static double norm2(size_t n, const double *x)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += x[i] * x[i];
    return sqrt(s);
}

/* H at theta, eigendecomposed in place: rows of H become eigenvectors, w the
 * ascending eigenvalues. LAPACK's own threads may run here: the pool is idle
 * during the call, and dsyevd gains 1.7x from a second core at n ~ 2,000. */
static int spectrum(const objective *o, const double *theta, double *H, double *w, int *count)
{
    int n = (int)o->n;
    int rc = o->hessian64(o->ctx, theta, H);
    if (rc) return rc;
    (*count)++;
    openblas_set_num_threads(pool_threads());
    rc = linalg_eigh(n, H, w, 1);
    openblas_set_num_threads(1);
    return rc;
}

static void classify(const crit_opts *opt, size_t n, const double *w, const double *gq,
                     double gnorm, crit_result *r)
{
    r->lmin = w[0];
    r->lmax = w[n - 1];
    /* Thresholds are relative to λmax, as the literature states them; at a
     * point with no positive curvature, to the largest |λ|. */
    double S = w[n - 1] > 0 ? w[n - 1] : fmax(fabs(w[0]), 1e-300);
    double g2 = 0, hg2 = 0;
    for (size_t k = 0; k < n; k++) {
        g2 += gq[k] * gq[k];
        hg2 += w[k] * gq[k] * w[k] * gq[k];
    }
    r->hg_rel = gnorm > 0 ? sqrt(hg2) / (S * sqrt(g2)) : 0;
    for (int t = 0; t < opt->nt; t++) {
        double thr = opt->t[t] * S, in_null = 0;
        int neg = 0;
        for (size_t k = 0; k < n; k++) {
            neg += w[k] < -thr;
            if (fabs(w[k]) <= thr) in_null += gq[k] * gq[k];
        }
        r->nneg[t] = neg;
        r->index[t] = (double)neg / (double)n;
        r->nullfrac[t] = g2 > 0 ? in_null / g2 : 0;
    }
    if (gnorm <= opt->gtol) r->status = CRIT_CRITICAL;
    else if (opt->flat_t < opt->nt && r->nullfrac[opt->flat_t] >= opt->flat_frac)
        r->status = CRIT_FLAT;
    else r->status = CRIT_UNCONVERGED;
}

static void report_step(const crit_result *c, int iter, double mu, crit_progress cb, void *user)
{
    if (!cb) return;
    crit_step s = {iter, c->status, c->loss, c->gnorm, mu, c->lmin, c->lmax, {0}, {0}};
    memcpy(s.nneg, c->nneg, sizeof s.nneg);
    memcpy(s.index, c->index, sizeof s.index);
    cb(user, &s);
}

/* Scratch and bounds of one Levenberg-Marquardt step in the eigenbasis
 * (rows of H = eigenvectors, w = eigenvalues, gq = Qg at the current θ). */
typedef struct lm_scan {
    const objective *o;
    size_t n;
    const double *H, *w, *gq;
    double *c, *th, *gt, *d, *gbest;
    double mu_floor, mu_max;
    int decades;
    int grads;
} lm_scan;

/* Tries μ = center·10^k for |k| ≤ decades from theta; when the best trial's
 * ‖∇f‖ is below *gnorm, moves theta, g, *loss, *gnorm and *mu there and
 * returns 1. */
static int scan(lm_scan *S, double *theta, double *g, double center, double *loss, double *gnorm,
                double *mu)
{
    size_t n = S->n;
    double best = *gnorm, best_mu = *mu, best_loss = *loss;
    int found = 0;
    for (int k = -S->decades; k <= S->decades; k++) {
        double mk = center * pow(10.0, k);
        if (mk < S->mu_floor || mk > S->mu_max) continue;
        for (size_t q = 0; q < n; q++) S->c[q] = -S->w[q] / (S->w[q] * S->w[q] + mk) * S->gq[q];
        memcpy(S->th, theta, n * sizeof *theta);
        cblas_dgemv(CblasRowMajor, CblasTrans, (int)n, (int)n, 1.0, S->H, (int)n, S->c, 1, 1.0,
                    S->th, 1);
        double lt = S->o->grad64(S->o->ctx, S->th, S->gt), gtn = norm2(n, S->gt);
        S->grads++;
        if (isfinite(lt) && gtn < best) {
            best = gtn, best_mu = mk, best_loss = lt;
            memcpy(S->d, S->th, n * sizeof *theta);
            memcpy(S->gbest, S->gt, n * sizeof *g);
            found = 1;
        }
    }
    if (!found) return 0;
    memcpy(theta, S->d, n * sizeof *theta);
    memcpy(g, S->gbest, n * sizeof *g);
    *loss = best_loss, *gnorm = best, *mu = best_mu;
    return 1;
}

int crit_find(const objective *o, double *theta, const crit_opts *opt, crit_result *r,
              double *eig, crit_progress cb, void *user)
{
    memset(r, 0, sizeof *r);
    if (!o->grad64 || !o->hessian64)
        return nn_err(NN_EINVAL, "critical points: the objective has no double-precision "
                      "gradient and Hessian");
    if (opt->nt < 1 || opt->nt > CRIT_MAX_T || opt->max_iter < 0)
        return nn_err(NN_EINVAL, "critical points: bad options");
    size_t n = o->n;
    r->n = (int)n;
    double *H = malloc(n * n * sizeof *H), *w = malloc(n * sizeof *w);
    double *g = malloc(n * sizeof *g), *gq = malloc(n * sizeof *gq), *c = malloc(n * sizeof *c);
    double *th = malloc(n * sizeof *th), *gt = malloc(n * sizeof *gt);
    double *d = malloc(n * sizeof *d), *gbest = malloc(n * sizeof *gbest);
    double *hist = malloc(((size_t)opt->max_iter + 1) * sizeof *hist);
    int rc = NN_OK;
    if (!H || !w || !g || !gq || !c || !th || !gt || !d || !gbest || !hist) {
        rc = nn_err(NN_ENOMEM, "critical points: no memory for a %zu x %zu Hessian", n, n);
        goto done;
    }
    double loss = o->grad64(o->ctx, theta, g), gnorm = norm2(n, g);
    r->grads++;
    if (!isfinite(loss) || !isfinite(gnorm)) {
        rc = nn_err(NN_ENAN, "critical points: the loss or gradient at the start is not finite");
        goto done;
    }
    r->loss0 = loss, r->gnorm0 = gnorm;
    hist[0] = gnorm;
    double mu = 0;
    int it = 0, fresh = 0; /* fresh: H and w hold the spectrum at the current θ */
    while (gnorm > opt->gtol && it < opt->max_iter) {
        if (it >= opt->stall_iters && gnorm > opt->stall_drop * hist[it - opt->stall_iters])
            break;
        if ((rc = spectrum(o, theta, H, w, &r->hessians))) goto done;
        fresh = 1;
        cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)n, (int)n, 1.0, H, (int)n, g, 1, 0.0, gq, 1);
        if (cb) {
            /* The spectrum is here anyway: classifying this point costs O(n). */
            crit_result here = *r;
            here.loss = loss, here.gnorm = gnorm;
            classify(opt, n, w, gq, gnorm, &here);
            report_step(&here, it, mu, cb, user);
        }
        double lam = fmax(fabs(w[0]), fabs(w[n - 1]));
        if (!(lam > 0)) break;
        double mu_floor = opt->mu0 * lam * lam;
        if (mu < mu_floor) mu = mu_floor;
        /* Every trial μ costs one gradient against one eigendecomposition
         * for the iteration, so scan the damping over whole decades around
         * the last one and keep the step that lowers ‖∇f‖ most; when no
         * window lowers it, move the window up (more damping, shorter steps)
         * until the damping exceeds any curvature scale. */
        lm_scan S = {o, n, H, w, gq, c, th, gt, d, gbest, mu_floor, 1e16 * lam * lam,
                     opt->mu_decades, 0};
        int accepted = 0;
        for (double center = mu; !accepted && center * pow(10.0, -opt->mu_decades) <= S.mu_max;
             center *= pow(10.0, 2 * opt->mu_decades + 1))
            accepted = scan(&S, theta, g, center, &loss, &gnorm, &mu);
        r->grads += S.grads;
        if (!accepted) break; /* no damping lowers ‖∇f‖: a minimum of ½‖∇f‖² */
        fresh = 0;
        hist[++it] = gnorm;
    }
    r->iters = it;
    r->loss = loss, r->gnorm = gnorm;
    if (!fresh) {
        if ((rc = spectrum(o, theta, H, w, &r->hessians))) goto done;
        cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)n, (int)n, 1.0, H, (int)n, g, 1, 0.0, gq, 1);
    }
    classify(opt, n, w, gq, gnorm, r);
    /* A fresh spectrum was reported inside the loop already. */
    if (!fresh) report_step(r, it, mu, cb, user);
    if (eig) memcpy(eig, w, n * sizeof *eig);
done:
    free(H), free(w), free(g), free(gq), free(c), free(th), free(gt), free(d), free(gbest), free(hist);
    return rc;
}

/* Average ranks (1-based) of x [n] into rk [n]. */
static void ranks(int n, const double *x, double *rk, int *ord)
{
    for (int i = 0; i < n; i++) ord[i] = i;
    /* insertion sort: n is a few dozen points */
    for (int i = 1; i < n; i++) {
        int v = ord[i], j = i - 1;
        while (j >= 0 && x[ord[j]] > x[v]) ord[j + 1] = ord[j], j--;
        ord[j + 1] = v;
    }
    for (int i = 0; i < n;) {
        int j = i;
        while (j + 1 < n && x[ord[j + 1]] == x[ord[i]]) j++;
        for (int k = i; k <= j; k++) rk[ord[k]] = 0.5 * (i + j) + 1;
        i = j + 1;
    }
}

double crit_spearman(int n, const double *x, const double *y)
{
    if (n < 3) return NAN;
    double *rx = malloc(2 * (size_t)n * sizeof *rx);
    int *ord = malloc((size_t)n * sizeof *ord);
    if (!rx || !ord) {
        free(rx), free(ord);
        return NAN;
    }
    double *ry = rx + n;
    ranks(n, x, rx, ord);
    ranks(n, y, ry, ord);
    double m = 0.5 * (n + 1), sxy = 0, sxx = 0, syy = 0;
    for (int i = 0; i < n; i++) {
        sxy += (rx[i] - m) * (ry[i] - m);
        sxx += (rx[i] - m) * (rx[i] - m);
        syy += (ry[i] - m) * (ry[i] - m);
    }
    free(rx), free(ord);
    return sxx > 0 && syy > 0 ? sxy / sqrt(sxx * syy) : NAN;
}

int crit_spearman_boot(int n, const double *x, const double *y, int reps, uint64_t seed,
                       double *sd, double *lo, double *hi)
{
    *sd = *lo = *hi = NAN;
    if (n < 3 || reps < 2) return NN_OK;
    double *bx = malloc(2 * (size_t)n * sizeof *bx), *rho = malloc((size_t)reps * sizeof *rho);
    if (!bx || !rho) {
        free(bx), free(rho);
        return nn_err(NN_ENOMEM, "critical points: out of memory for the bootstrap");
    }
    double *by = bx + n;
    int m = 0;
    for (int r = 0; r < reps; r++) {
        for (int i = 0; i < n; i++) {
            uint64_t k = rng_below(seed, 0xb007, (uint64_t)r * (uint64_t)n + (uint64_t)i, (uint64_t)n);
            bx[i] = x[k], by[i] = y[k];
        }
        /* A resample without spread (one point drawn n times) has no rank
         * correlation: left out, as a correlation over it is undefined. */
        double v = crit_spearman(n, bx, by);
        if (isfinite(v)) rho[m++] = v;
    }
    if (m >= 2) {
        double mean = 0, s2 = 0;
        for (int i = 0; i < m; i++) mean += rho[i] / m;
        for (int i = 0; i < m; i++) s2 += (rho[i] - mean) * (rho[i] - mean);
        *sd = sqrt(s2 / (m - 1));
        /* insertion sort is fine for a few thousand */
        for (int i = 1; i < m; i++) {
            double v = rho[i];
            int j = i - 1;
            while (j >= 0 && rho[j] > v) rho[j + 1] = rho[j], j--;
            rho[j + 1] = v;
        }
        *lo = rho[(int)floor(0.05 * (m - 1))];
        *hi = rho[(int)ceil(0.95 * (m - 1))];
    }
    free(bx), free(rho);
    return NN_OK;
}
