/* Stochastic estimates of the Hessian's spectrum from HVPs: Hutchinson and
 * Hutch++ for the trace, and stochastic Lanczos quadrature for the spectral
 * density (smoothed on a grid) with its first moment and index. */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../datasets/status.h"
#include "hessian.h"
#include "hessian_priv.h"

static int trace_check(const objective *o, const float *theta, const char *who)
{
    if (!o || !theta) return nn_err(NN_EINVAL, "%s: NULL objective or theta", who);
    if (!o->hvp)
        return nn_err(NN_EINVAL, "%s: the objective has no Hessian-vector product", who);
    if (o->n < 1 || o->n > (size_t)1 << 40)
        return nn_err(NN_EINVAL, "%s: objective dimension %zu", who, o->n);
    return NN_OK;
}

/* Running mean and sum of squared deviations (Welford): one pass, and no
 * cancellation when the samples are large and close together. */
typedef struct { int n; double mean, m2; } welford;

static void welford_add(welford *w, double x)
{
    w->n++;
    double d = x - w->mean;
    w->mean += d / w->n;
    w->m2 += d * (x - w->mean);
}

static double welford_se(const welford *w)
{
    return w->n >= 2 ? sqrt(w->m2 / (w->n - 1) / w->n) : NAN;
}

/* xᵀHx for x [n] in double, through float copies. */
static int quad_form(const objective *o, const float *theta, const double *x, float *vf,
                     float *hvf, const char *who, int iter, double *q)
{
    size_t n = o->n;
    for (size_t i = 0; i < n; i++) vf[i] = (float)x[i];
    int rc = hess_hvp(o, theta, vf, hvf, n, who, iter);
    if (rc) return rc;
    double s = 0;
    for (size_t i = 0; i < n; i++) s += x[i] * hvf[i];
    *q = s;
    return NN_OK;
}

int hess_trace_hutchinson(const objective *o, const float *theta, int nprobe, uint64_t seed,
                          hess_trace *out)
{
    static const char who[] = "hess_trace_hutchinson";
    memset(out, 0, sizeof *out);
    int rc = trace_check(o, theta, who);
    if (rc) return rc;
    if (nprobe < 1) return nn_err(NN_EINVAL, "%s: nprobe = %d (must be >= 1)", who, nprobe);
    size_t n = o->n;
    double *x = malloc(n * sizeof *x);
    float *vf = malloc(n * sizeof *vf), *hvf = malloc(n * sizeof *hvf);
    if (!x || !vf || !hvf) {
        rc = nn_err(NN_ENOMEM, "%s: cannot allocate probes of length %zu", who, n);
        goto done;
    }
    welford w = {0, 0, 0};
    for (int p = 0; p < nprobe; p++) {
        double q;
        hess_probe_fill(x, n, seed, (uint64_t)p, 0);
        rc = quad_form(o, theta, x, vf, hvf, who, p + 1, &q);
        if (rc) goto done;
        welford_add(&w, q);
    }
    out->estimate = w.mean;
    out->se = welford_se(&w);
    out->hvps = nprobe;
done:
    free(x);
    free(vf);
    free(hvf);
    return rc;
}

int hess_trace_hutchpp(const objective *o, const float *theta, int nhvp, uint64_t seed,
                       hess_trace *out)
{
    static const char who[] = "hess_trace_hutchpp";
    memset(out, 0, sizeof *out);
    int rc = trace_check(o, theta, who);
    if (rc) return rc;
    size_t n = o->n;
    if (nhvp < 3) return nn_err(NN_EINVAL, "%s: nhvp = %d (must be >= 3)", who, nhvp);
    int r = nhvp / 3, g = nhvp - 2 * r;
    if ((size_t)r > n)
        return nn_err(NN_EINVAL, "%s: nhvp = %d asks for a %d-column sketch of a %zu-dimensional "
                      "Hessian (at most 3n HVPs)", who, nhvp, r, n);
    double *q = malloc((size_t)r * n * sizeof *q); /* [r][n] rows = orthonormal basis of HS */
    double *x = malloc(n * sizeof *x);
    float *vf = malloc(n * sizeof *vf), *hvf = malloc(n * sizeof *hvf);
    if (!q || !x || !vf || !hvf) {
        rc = nn_err(NN_ENOMEM, "%s: cannot allocate a %d x %zu sketch", who, r, n);
        goto done;
    }
    int hvps = 0, nq = 0;
    for (int j = 0; j < r; j++) {
        hess_probe_fill(x, n, seed, (uint64_t)j, 0);
        for (size_t i = 0; i < n; i++) vf[i] = (float)x[i];
        rc = hess_hvp(o, theta, vf, hvf, n, who, ++hvps);
        if (rc) goto done;
        double *row = q + (size_t)nq * n;
        for (size_t i = 0; i < n; i++) row[i] = hvf[i];
        /* Any orthonormal Q keeps the estimator unbiased, so a column that is
         * noise after orthogonalization is harmless; only exact zeros (H of
         * rank < r) must go. */
        double n0 = cblas_dnrm2((int)n, row, 1);
        for (int pass = 0; pass < 2; pass++)
            for (int l = 0; l < nq; l++) {
                const double *ql = q + (size_t)l * n;
                cblas_daxpy((int)n, -cblas_ddot((int)n, ql, 1, row, 1), ql, 1, row, 1);
            }
        double nr = cblas_dnrm2((int)n, row, 1);
        if (!(nr > 1e-12 * n0)) continue;
        cblas_dscal((int)n, 1.0 / nr, row, 1);
        nq++;
    }
    double top = 0;
    for (int l = 0; l < nq; l++) {
        double v;
        rc = quad_form(o, theta, q + (size_t)l * n, vf, hvf, who, ++hvps, &v);
        if (rc) goto done;
        top += v;
    }
    welford w = {0, 0, 0};
    for (int p = 0; p < g; p++) {
        hess_probe_fill(x, n, seed, (uint64_t)(r + p), 0);
        for (int pass = 0; pass < 2; pass++)
            for (int l = 0; l < nq; l++) {
                const double *ql = q + (size_t)l * n;
                cblas_daxpy((int)n, -cblas_ddot((int)n, ql, 1, x, 1), ql, 1, x, 1);
            }
        double v;
        rc = quad_form(o, theta, x, vf, hvf, who, ++hvps, &v);
        if (rc) goto done;
        welford_add(&w, v);
    }
    out->estimate = top + w.mean;
    out->se = welford_se(&w);
    out->hvps = hvps;
done:
    free(q);
    free(x);
    free(vf);
    free(hvf);
    return rc;
}

/* ---- stochastic Lanczos quadrature ------------------------------------------------ */

const double hess_index_t[HESS_NT] = {1e-6, 1e-4, 1e-3};

/* The index at each threshold from the runs' nodes and weights; the spread
 * over runs is what a user needs to judge it, so it is kept whole (sd and
 * range), not only as a standard error. */
static void slq_index(hess_density *d)
{
    for (int t = 0; t < HESS_NT; t++) {
        hess_index *x = &d->index[t];
        double thr = hess_index_t[t] * d->scale;
        welford w = {0, 0, 0};
        double nul = 0;
        x->t = hess_index_t[t];
        x->lo = INFINITY;
        x->hi = -INFINITY;
        for (int r = 0; r < d->nrun; r++) {
            double neg = 0, z = 0;
            for (int i = 0; i < d->nnode[r]; i++) {
                double th = d->node[(size_t)r * d->m + i], wt = d->weight[(size_t)r * d->m + i];
                if (th < -thr) neg += wt;
                else if (th <= thr) z += wt;
            }
            welford_add(&w, neg);
            nul += z;
            x->lo = fmin(x->lo, neg);
            x->hi = fmax(x->hi, neg);
        }
        x->index = w.mean;
        x->sd = w.n >= 2 ? sqrt(w.m2 / (w.n - 1)) : NAN;
        x->se = welford_se(&w);
        x->null = nul / d->nrun;
    }
    for (int t = 0; t < HESS_NT; t++)
        d->index[t].unresolved = fmax(d->index[HESS_NT - 1].null - d->index[t].null, 0);
}

void hess_density_free(hess_density *d)
{
    free(d->node);
    free(d->weight);
    free(d->nnode);
    free(d->grid);
    free(d->density);
    memset(d, 0, sizeof *d);
}

int hess_slq(const objective *o, const float *theta, const hess_slq_opts *opt, hess_density *out)
{
    static const char who[] = "hess_slq";
    memset(out, 0, sizeof *out);
    int rc = trace_check(o, theta, who);
    if (rc) return rc;
    if (!opt) return nn_err(NN_EINVAL, "%s: NULL options", who);
    size_t n = o->n;
    int nrun = opt->nrun ? opt->nrun : 10;
    int m = opt->m ? opt->m : (n < 80 ? (int)n : 80);
    int ngrid = opt->ngrid ? opt->ngrid : 1001;
    if (nrun < 1) return nn_err(NN_EINVAL, "%s: nrun = %d (must be >= 1)", who, nrun);
    if (m < 2 || (size_t)m > n)
        return nn_err(NN_EINVAL, "%s: m = %d Lanczos steps for a %zu-dimensional Hessian "
                      "(must be 2..n)", who, m, n);
    if (ngrid < 2) return nn_err(NN_EINVAL, "%s: ngrid = %d (must be >= 2)", who, ngrid);
    if (!(opt->sigma >= 0) || !isfinite(opt->sigma))
        return nn_err(NN_EINVAL, "%s: sigma = %g (must be >= 0, 0 = automatic)", who, opt->sigma);
    if (!(opt->lmax >= 0) || !isfinite(opt->lmax))
        return nn_err(NN_EINVAL, "%s: lmax = %g (must be >= 0, 0 = the largest node)", who,
                      opt->lmax);
    if (!(opt->lo <= opt->hi) || !isfinite(opt->lo) || !isfinite(opt->hi))
        return nn_err(NN_EINVAL, "%s: grid range [%g, %g] (need lo < hi, or lo == hi for "
                      "automatic)", who, opt->lo, opt->hi);

    lz z;
    double *x = malloc(n * sizeof *x);
    if (!x) return nn_err(NN_ENOMEM, "%s: cannot allocate %zu doubles", who, n);
    rc = lz_alloc(&z, o, theta, m, 0, 1, who);
    if (rc) {
        free(x);
        return rc;
    }
    size_t nm = (size_t)nrun * (size_t)m;
    out->nrun = nrun;
    out->m = m;
    out->ngrid = ngrid;
    out->node = calloc(nm, sizeof *out->node);
    out->weight = calloc(nm, sizeof *out->weight);
    out->nnode = calloc((size_t)nrun, sizeof *out->nnode);
    out->grid = malloc((size_t)ngrid * sizeof *out->grid);
    out->density = calloc((size_t)ngrid, sizeof *out->density);
    if (!out->node || !out->weight || !out->nnode || !out->grid || !out->density) {
        rc = nn_err(NN_ENOMEM, "%s: cannot allocate %d runs x %d nodes", who, nrun, m);
        goto fail;
    }

    double nmin = INFINITY, nmax = -INFINITY, absmax = 0;
    welford mom = {0, 0, 0};
    for (int r = 0; r < nrun; r++) {
        hess_probe_fill(x, n, opt->seed, (uint64_t)r, opt->gaussian);
        rc = lz_start(&z, x);
        if (rc) goto fail;
        /* An invariant Krylov space ends the run early: its Gauss rule is
         * then exact for this start vector, and fewer nodes are all it has. */
        do {
            rc = lz_step(&z);
            if (rc) goto fail;
        } while (z.hvps < m && z.j > z.hvps);
        int s = z.hvps;
        out->hvps += s;
        rc = lz_eigen(&z, s);
        if (rc) goto fail;
        double m1 = 0;
        for (int i = 0; i < s; i++) {
            double th = z.ritz[i], t1 = z.S[(size_t)i * s], w = t1 * t1;
            out->node[(size_t)r * m + i] = th;
            out->weight[(size_t)r * m + i] = w;
            m1 += w * th;
            nmin = fmin(nmin, th);
            nmax = fmax(nmax, th);
            absmax = fmax(absmax, fabs(th));
        }
        out->nnode[r] = s;
        welford_add(&mom, m1);
    }
    out->moment1 = mom.mean;
    /* As `saddle critical`: relative to λmax, or to the largest |λ| where
     * nothing is positive. */
    out->scale = opt->lmax > 0 ? opt->lmax : nmax > 0 ? nmax : fmax(absmax, 1e-300);
    slq_index(out);

    double sigma = opt->sigma;
    if (sigma == 0) sigma = 0.01 * (nmax - nmin);
    if (!(sigma > 0)) sigma = absmax > 0 ? 1e-3 * absmax : 1e-3; /* H = cI: one node */
    out->sigma = sigma;
    double lo = opt->lo, hi = opt->hi;
    if (lo == hi) {
        lo = nmin - 5 * sigma;
        hi = nmax + 5 * sigma;
    }
    double h = (hi - lo) / (ngrid - 1), c = 1.0 / (nrun * sigma * sqrt(2 * M_PI));
    for (int g = 0; g < ngrid; g++) out->grid[g] = lo + g * h;
    for (int r = 0; r < nrun; r++)
        for (int i = 0; i < out->nnode[r]; i++) {
            double th = out->node[(size_t)r * m + i], w = out->weight[(size_t)r * m + i];
            /* Beyond 8σ a Gaussian is below 1e-14 of its peak: skip the grid there. */
            double a = floor((th - 8 * sigma - lo) / h), b = ceil((th + 8 * sigma - lo) / h);
            int g0 = (int)fmin(fmax(a, 0), ngrid), g1 = (int)fmin(fmax(b, -1), ngrid - 1);
            for (int g = g0; g <= g1; g++) {
                double d = (out->grid[g] - th) / sigma;
                out->density[g] += c * w * exp(-0.5 * d * d);
            }
        }
    lz_free(&z);
    free(x);
    return NN_OK;
fail:
    lz_free(&z);
    free(x);
    hess_density_free(out);
    return rc;
}
