/* Hessian eigenvalues from HVPs: the Lanczos machinery (basis in float or
 * double, full reorthogonalization, T's eigenpairs via pca_eigen_sym) that
 * SLQ shares, top-k/λmin Lanczos with residual stopping, and deflated power. */
#include "hessian.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../datasets/rng.h"
#include "../datasets/status.h"
#include "hessian_priv.h"
#include "pca.h"

/* ---- shared helpers --------------------------------------------------------- */

void hess_probe_fill(double *x, size_t n, uint64_t seed, uint64_t probe, int gaussian)
{
    uint64_t stream = HESS_RNG_STREAM + probe;
    if (gaussian) {
        for (size_t i = 0; i < n; i++) x[i] = rng_normal(seed, stream, i);
        return;
    }
    /* 64 signs per draw: a Rademacher probe costs n/64 hashes, not n. */
    uint64_t bits = 0;
    for (size_t i = 0; i < n; i++) {
        if ((i & 63) == 0) bits = rng_u64(seed, stream, i >> 6);
        x[i] = (bits >> (i & 63)) & 1 ? 1.0 : -1.0;
    }
}

int hess_hvp(const objective *o, const float *theta, const float *v, float *hv, size_t n,
             const char *who, int iter)
{
    o->hvp(o->ctx, theta, v, hv);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(hv[i]))
            return nn_err(NN_ENAN, "%s: Hessian-vector product not finite at iteration %d "
                          "(entry %zu = %g)", who, iter, i, (double)hv[i]);
    return NN_OK;
}

/* Common argument checks; k < 0 skips the k test. */
static int hess_check(const objective *o, const float *theta, const void *opt, int k,
                      const char *who)
{
    if (!o || !theta || !opt) return nn_err(NN_EINVAL, "%s: NULL objective, theta or options", who);
    if (!o->hvp)
        return nn_err(NN_EINVAL, "%s: the objective has no Hessian-vector product", who);
    if (o->n < 1 || o->n > (size_t)1 << 40)
        return nn_err(NN_EINVAL, "%s: objective dimension %zu", who, o->n);
    if (k >= 0 && (k < 1 || (size_t)k > o->n))
        return nn_err(NN_EINVAL, "%s: k = %d eigenvalues asked of a %zu-dimensional Hessian "
                      "(must be 1..n)", who, k, o->n);
    return NN_OK;
}

/* ---- Lanczos workspace --------------------------------------------------------- */

int lz_alloc(lz *z, const objective *o, const float *theta, int m, int use_float, int reorth,
             const char *who)
{
    memset(z, 0, sizeof *z);
    size_t n = o->n, mm = (size_t)m * (size_t)m;
    z->o = o;
    z->theta = theta;
    z->who = who;
    z->n = n;
    z->m = m;
    z->use_float = use_float;
    z->reorth = reorth;
    if (use_float)
        z->qf = malloc((size_t)m * n * sizeof *z->qf);
    else
        z->qd = malloc((size_t)m * n * sizeof *z->qd);
    z->w = malloc(n * sizeof *z->w);
    z->c = malloc((size_t)m * sizeof *z->c);
    z->vf = malloc(n * sizeof *z->vf);
    z->hvf = malloc(n * sizeof *z->hvf);
    z->alpha = calloc((size_t)m, sizeof *z->alpha);
    z->beta = calloc((size_t)m, sizeof *z->beta);
    z->T = malloc(mm * sizeof *z->T);
    z->S = malloc(mm * sizeof *z->S);
    z->ritz = malloc((size_t)m * sizeof *z->ritz);
    if ((use_float ? !z->qf : !z->qd) || !z->w || !z->c || !z->vf || !z->hvf || !z->alpha ||
        !z->beta || !z->T || !z->S || !z->ritz) {
        lz_free(z);
        return nn_err(NN_ENOMEM, "%s: cannot allocate a %d-vector Lanczos basis of length %zu",
                      who, m, n);
    }
    return NN_OK;
}

void lz_free(lz *z)
{
    free(z->qd);
    free(z->qf);
    free(z->w);
    free(z->c);
    free(z->vf);
    free(z->hvf);
    free(z->alpha);
    free(z->beta);
    free(z->T);
    free(z->S);
    free(z->ritz);
    memset(z, 0, sizeof *z);
}

static double lz_dot(const lz *z, int j, const double *x)
{
    size_t n = z->n;
    if (!z->use_float) return cblas_ddot((int)n, z->qd + (size_t)j * n, 1, x, 1);
    const float *q = z->qf + (size_t)j * n;
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)q[i] * x[i];
    return s;
}

/* x += a q_j */
static void lz_axpy(const lz *z, int j, double a, double *x)
{
    size_t n = z->n;
    if (!z->use_float) {
        cblas_daxpy((int)n, a, z->qd + (size_t)j * n, 1, x, 1);
        return;
    }
    const float *q = z->qf + (size_t)j * n;
    for (size_t i = 0; i < n; i++) x[i] += a * q[i];
}

/* q_j = x / nrm */
static void lz_set(lz *z, int j, const double *x, double nrm)
{
    size_t n = z->n;
    if (z->use_float)
        for (size_t i = 0; i < n; i++) z->qf[(size_t)j * n + i] = (float)(x[i] / nrm);
    else
        for (size_t i = 0; i < n; i++) z->qd[(size_t)j * n + i] = x[i] / nrm;
}

/* One classical Gram-Schmidt pass of x against q_0..q_{cnt-1}; done twice it
 * is as good as modified Gram-Schmidt (Giraud et al. "twice is enough") and
 * the double basis gets it as two BLAS-2 calls. Returns x's coefficient on
 * q_{cnt-1}. */
static double lz_orth_pass(lz *z, int cnt, double *x)
{
    size_t n = z->n;
    if (!z->use_float) {
        cblas_dgemv(CblasRowMajor, CblasNoTrans, cnt, (int)n, 1.0, z->qd, (int)n, x, 1, 0.0,
                    z->c, 1);
        cblas_dgemv(CblasRowMajor, CblasTrans, cnt, (int)n, -1.0, z->qd, (int)n, z->c, 1, 1.0,
                    x, 1);
    } else {
        for (int i = 0; i < cnt; i++) z->c[i] = lz_dot(z, i, x);
        for (int i = 0; i < cnt; i++) lz_axpy(z, i, -z->c[i], x);
    }
    return z->c[cnt - 1];
}

static double vnorm(const double *x, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += x[i] * x[i];
    return sqrt(s);
}

int lz_start(lz *z, const double *x)
{
    double nrm = vnorm(x, z->n);
    if (!(nrm > 0) || !isfinite(nrm))
        return nn_err(NN_EINVAL, "%s: start vector is zero or not finite", z->who);
    z->j = 1;
    z->hvps = 0;
    z->scale = 0;
    z->broke = 0;
    lz_set(z, 0, x, nrm);
    return NN_OK;
}

int lz_step(lz *z)
{
    int j = z->hvps; /* the step acts on q_j; the basis holds q_0..q_j */
    size_t n = z->n;
    if (z->use_float)
        memcpy(z->vf, z->qf + (size_t)j * n, n * sizeof *z->vf);
    else
        for (size_t i = 0; i < n; i++) z->vf[i] = (float)z->qd[(size_t)j * n + i];
    int rc = hess_hvp(z->o, z->theta, z->vf, z->hvf, n, z->who, j + 1);
    if (rc) return rc;
    z->hvps++;
    double *w = z->w;
    for (size_t i = 0; i < n; i++) w[i] = z->hvf[i];
    double a = lz_dot(z, j, w);
    lz_axpy(z, j, -a, w);
    if (j > 0) lz_axpy(z, j - 1, -z->beta[j - 1], w);
    /* The three-term recurrence alone loses orthogonality as soon as a Ritz
     * value converges, and copies of it ("ghosts") appear; reorthogonalizing
     * against every earlier q costs O(jn) per step, small beside an HVP. The
     * coefficient on q_j is a correction to α_j, so T stays QᵀHQ. */
    if (z->reorth) {
        a += lz_orth_pass(z, j + 1, w);
        a += lz_orth_pass(z, j + 1, w);
    }
    double b = vnorm(w, n);
    z->alpha[j] = a;
    z->scale = fmax(z->scale, fmax(fabs(a), b));
    /* b at rounding level of ||H|| means the Krylov space is invariant: T's
     * Ritz values are exact there and q_{j+1} would be noise. */
    z->broke = !(b > 1e-10 * z->scale);
    z->beta[j] = z->broke ? 0.0 : b;
    if (!z->broke && z->j < z->m) {
        lz_set(z, z->j, w, b);
        z->j++;
    }
    return NN_OK;
}

int lz_restart(lz *z, double *x)
{
    if (z->j >= z->m || (size_t)z->j >= z->n) return 0;
    double n0 = vnorm(x, z->n);
    lz_orth_pass(z, z->j, x);
    lz_orth_pass(z, z->j, x);
    double nrm = vnorm(x, z->n);
    if (!(nrm > 1e-8 * n0)) return 0;
    lz_set(z, z->j, x, nrm);
    z->j++;
    z->broke = 0;
    return 1;
}

int lz_eigen(lz *z, int s)
{
    memset(z->T, 0, (size_t)s * s * sizeof *z->T);
    for (int i = 0; i < s; i++) {
        z->T[(size_t)i * s + i] = z->alpha[i];
        if (i + 1 < s) z->T[(size_t)i * s + i + 1] = z->T[(size_t)(i + 1) * s + i] = z->beta[i];
    }
    int rc = pca_eigen_sym(s, z->T, z->ritz, z->S);
    if (rc) { /* copy: nn_err formats into the buffer nn_errmsg returns */
        char why[256];
        snprintf(why, sizeof why, "%s", nn_errmsg());
        return nn_err(rc, "%s: eigenvalues of the %dx%d tridiagonal: %s", z->who, s, s, why);
    }
    return NN_OK;
}

void lz_ritz_vector(lz *z, int s, int i, float *out)
{
    double *acc = z->w;
    memset(acc, 0, z->n * sizeof *acc);
    for (int j = 0; j < s; j++) lz_axpy(z, j, z->S[(size_t)i * s + j], acc);
    double nrm = vnorm(acc, z->n);
    for (size_t r = 0; r < z->n; r++) out[r] = (float)(acc[r] / nrm);
}

/* ---- Lanczos top-k and λmin ------------------------------------------------------ */

void hess_eig_free(hess_eig *e)
{
    free(e->eval);
    free(e->resid);
    free(e->evec);
    free(e->lmin_vec);
    memset(e, 0, sizeof *e);
}

static int eig_alloc(hess_eig *e, int k, size_t n, int vectors, int want_min, const char *who)
{
    memset(e, 0, sizeof *e);
    e->k = k;
    e->n = n;
    e->eval = malloc((size_t)k * sizeof *e->eval);
    e->resid = malloc((size_t)k * sizeof *e->resid);
    if (vectors) e->evec = malloc((size_t)k * n * sizeof *e->evec);
    if (vectors && want_min) e->lmin_vec = malloc(n * sizeof *e->lmin_vec);
    if (!e->eval || !e->resid || (vectors && !e->evec) || (vectors && want_min && !e->lmin_vec)) {
        hess_eig_free(e);
        return nn_err(NN_ENOMEM, "%s: cannot allocate %d eigenvectors of length %zu", who, k, n);
    }
    return NN_OK;
}

/* Whether the wanted Ritz pairs of the s×s T (just decomposed) meet tol. */
static int lz_converged(const lz *z, int s, int k, int want_min, double tol)
{
    double rho = fmax(fabs(z->ritz[0]), fabs(z->ritz[s - 1]));
    double b = z->beta[s - 1];
    for (int i = 0; i < s; i++) {
        if (i >= k && !(want_min && i == s - 1)) continue;
        double r = fabs(b * z->S[(size_t)i * s + s - 1]);
        if (!(r <= tol * fmax(fabs(z->ritz[i]), 1e-4 * rho))) return 0;
    }
    return 1;
}

int hess_lanczos(const objective *o, const float *theta, const hess_lanczos_opts *opt,
                 hess_eig *out)
{
    static const char who[] = "hess_lanczos";
    memset(out, 0, sizeof *out);
    int rc = hess_check(o, theta, opt, opt ? opt->k : 1, who);
    if (rc) return rc;
    size_t n = o->n;
    int k = opt->k, want_min = !!opt->want_min;
    int need = (size_t)(k + want_min) < n ? k + want_min : (int)n;
    if (opt->max_steps < 0 || !(opt->tol >= 0))
        return nn_err(NN_EINVAL, "%s: max_steps = %d and tol = %g must be >= 0", who,
                      opt->max_steps, opt->tol);
    size_t m = opt->max_steps ? (size_t)opt->max_steps : (size_t)(k > 25 ? 4 * k : 100);
    if (m > n) m = n;
    if (m < (size_t)need)
        return nn_err(NN_EINVAL, "%s: max_steps = %d cannot give %d eigenvalues%s", who,
                      opt->max_steps, k, want_min ? " and λmin" : "");
    double tol = opt->tol > 0 ? opt->tol : 1e-6;

    lz z;
    double *x = malloc(n * sizeof *x);
    if (!x) return nn_err(NN_ENOMEM, "%s: cannot allocate %zu doubles", who, n);
    rc = lz_alloc(&z, o, theta, (int)m, opt->basis_float, !opt->no_reorth, who);
    if (rc) {
        free(x);
        return rc;
    }
    rc = eig_alloc(out, k, n, opt->want_vectors, want_min, who);
    if (rc) goto fail;
    if (opt->start)
        for (size_t i = 0; i < n; i++) x[i] = opt->start[i];
    else
        hess_probe_fill(x, n, opt->seed, 0, 1);
    rc = lz_start(&z, x);
    if (rc) goto fail;

    int s = 0, conv = 0, decomposed = 0;
    for (;;) {
        rc = lz_step(&z);
        if (rc) goto fail;
        s = z.hvps;
        decomposed = 0;
        if (z.broke && s < need) { /* too few Ritz values yet: widen the space */
            hess_probe_fill(x, n, opt->seed, 1 + (uint64_t)out->restarts, 1);
            if (!lz_restart(&z, x)) break;
            out->restarts++;
            continue;
        }
        if (s >= need) {
            rc = lz_eigen(&z, s);
            if (rc) goto fail;
            decomposed = 1;
            if ((conv = lz_converged(&z, s, k, want_min, tol))) break;
        }
        if (z.j <= s) break; /* basis full, or broke with enough values */
    }
    if (!decomposed) {
        rc = lz_eigen(&z, s);
        if (rc) goto fail;
    }
    double b = z.beta[s - 1];
    for (int i = 0; i < k; i++) {
        out->eval[i] = i < s ? z.ritz[i] : NAN;
        out->resid[i] = i < s ? fabs(b * z.S[(size_t)i * s + s - 1]) : NAN;
        if (out->evec && i < s) lz_ritz_vector(&z, s, i, out->evec + (size_t)i * n);
    }
    if (want_min) {
        out->has_min = 1;
        out->lmin = z.ritz[s - 1];
        out->lmin_resid = fabs(b * z.S[(size_t)(s - 1) * s + s - 1]);
        if (out->lmin_vec) lz_ritz_vector(&z, s, s - 1, out->lmin_vec);
    }
    out->steps = s;
    out->hvps = z.hvps;
    out->converged = conv && s >= need;
    lz_free(&z);
    free(x);
    return NN_OK;
fail:
    lz_free(&z);
    free(x);
    hess_eig_free(out);
    return rc;
}

/* ---- power iteration with deflation ------------------------------------------------ */

/* x ⟂ u_0..u_{p-1} [p][n], twice for the same reason as in Lanczos. */
static void deflate(double *x, const double *u, int p, size_t n)
{
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < p; i++) {
            const double *ui = u + (size_t)i * n;
            double c = cblas_ddot((int)n, ui, 1, x, 1);
            cblas_daxpy((int)n, -c, ui, 1, x, 1);
        }
}

int hess_power(const objective *o, const float *theta, const hess_power_opts *opt,
               hess_eig *out)
{
    static const char who[] = "hess_power";
    memset(out, 0, sizeof *out);
    int rc = hess_check(o, theta, opt, opt ? opt->k : 1, who);
    if (rc) return rc;
    if (opt->max_iter < 0 || !(opt->tol >= 0))
        return nn_err(NN_EINVAL, "%s: max_iter = %d and tol = %g must be >= 0", who,
                      opt->max_iter, opt->tol);
    size_t n = o->n;
    int k = opt->k, max_iter = opt->max_iter ? opt->max_iter : 1000;
    double tol = opt->tol > 0 ? opt->tol : 1e-7;
    double *u = malloc((size_t)k * n * sizeof *u); /* [k][n] found vectors */
    double *v = malloc(n * sizeof *v), *y = malloc(n * sizeof *y);
    float *vf = malloc(n * sizeof *vf), *hvf = malloc(n * sizeof *hvf);
    if (!u || !v || !y || !vf || !hvf) {
        rc = nn_err(NN_ENOMEM, "%s: cannot allocate %d vectors of length %zu", who, k + 4, n);
        goto fail;
    }
    rc = eig_alloc(out, k, n, opt->want_vectors, 0, who);
    if (rc) goto fail;

    int all_conv = 1;
    for (int p = 0; p < k; p++) {
        if (p == 0 && opt->start)
            for (size_t i = 0; i < n; i++) v[i] = opt->start[i];
        else
            hess_probe_fill(v, n, opt->seed, (uint64_t)p, 1);
        deflate(v, u, p, n);
        double nv = vnorm(v, n);
        if (!(nv > 0) || !isfinite(nv)) {
            rc = nn_err(NN_EINVAL, "%s: start vector of pair %d is zero or not finite", who, p);
            goto fail;
        }
        for (size_t i = 0; i < n; i++) v[i] /= nv;
        double lam = 0, lam_prev = 0, res = NAN;
        int conv = 0;
        for (int t = 0; t < max_iter; t++) {
            for (size_t i = 0; i < n; i++) vf[i] = (float)v[i];
            rc = hess_hvp(o, theta, vf, hvf, n, who, out->steps + 1);
            if (rc) goto fail;
            out->hvps++;
            out->steps++;
            for (size_t i = 0; i < n; i++) y[i] = hvf[i];
            lam = cblas_ddot((int)n, v, 1, y, 1);
            double r2 = 0;
            for (size_t i = 0; i < n; i++) r2 += (y[i] - lam * v[i]) * (y[i] - lam * v[i]);
            res = sqrt(r2);
            if (t > 0 && fabs(lam - lam_prev) <= tol * fabs(lam)) {
                conv = 1;
                break;
            }
            lam_prev = lam;
            deflate(y, u, p, n);
            double ny = vnorm(y, n);
            if (!(ny > 0)) { /* H vanishes on the complement: λ = 0 exactly */
                conv = 1;
                break;
            }
            for (size_t i = 0; i < n; i++) v[i] = y[i] / ny;
        }
        all_conv &= conv;
        out->eval[p] = lam;
        out->resid[p] = res;
        memcpy(u + (size_t)p * n, v, n * sizeof *v);
        if (out->evec)
            for (size_t i = 0; i < n; i++) out->evec[(size_t)p * n + i] = (float)v[i];
    }
    out->converged = all_conv;
    free(u);
    free(v);
    free(y);
    free(vf);
    free(hvf);
    return NN_OK;
fail:
    free(u);
    free(v);
    free(y);
    free(vf);
    free(hvf);
    hess_eig_free(out);
    return rc;
}
