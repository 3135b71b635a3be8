/* The model in double precision: forward, backward and Pearlmutter's
 * R-operator on a fixed set of examples, and the dense Hessian as n
 * Hessian-vector products with the unit vectors e_j, split by columns across
 * the pool. A unit direction touches one layer, so the R-pass skips the
 * layers below it and the V-terms that are zero. */
#include "model64.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pool.h"

typedef struct m64_part {
    double *rz[NN_MAX_LAYERS];      /* [B][out_l] R{z_l} */
    double *ra[NN_MAX_LAYERS];      /* [B][out_l] R{a_l} */
    double *rd0, *rd1;              /* [B][max_width] R{dL/da}, ping-pong */
    double *hv;                     /* [n] */
} m64_part;

#define INV_SQRT2 0.70710678118654752440
#define INV_SQRT2PI 0.39894228040143267794

static double sigm64(double z)
{
    if (z >= 0) return 1.0 / (1.0 + exp(-z));
    double e = exp(z);
    return e / (1.0 + e);
}

/* f, f' and f'' of one activation at z, as act.c defines them in float. */
static void act64(int act, double slope, double z, double *a, double *d1, double *d2)
{
    switch (act) {
    case ACT_RELU:
        *a = z > 0 ? z : 0, *d1 = z > 0, *d2 = 0;
        return;
    case ACT_LEAKY_RELU:
        *a = z > 0 ? z : slope * z, *d1 = z > 0 ? 1 : slope, *d2 = 0;
        return;
    case ACT_TANH: {
        double t = tanh(z);
        *a = t, *d1 = 1 - t * t, *d2 = -2 * t * (1 - t * t);
        return;
    }
    case ACT_SIGMOID: {
        double s = sigm64(z);
        *a = s, *d1 = s * (1 - s), *d2 = s * (1 - s) * (1 - 2 * s);
        return;
    }
    case ACT_SOFTPLUS: {
        double s = sigm64(z);
        *a = z > 20 ? z : log1p(exp(z));
        *d1 = z > 20 ? 1 : s, *d2 = z > 20 ? 0 : s * (1 - s);
        return;
    }
    case ACT_GELU: {
        double phi = INV_SQRT2PI * exp(-0.5 * z * z), Phi = 0.5 * (1 + erf(z * INV_SQRT2));
        *a = z * Phi, *d1 = Phi + z * phi, *d2 = phi * (2 - z * z);
        return;
    }
    default:
        *a = z, *d1 = 1, *d2 = 0;
        return;
    }
}

static double *dalloc(size_t count)
{
    return malloc((count ? count : 1) * sizeof(double));
}

void model64_free(model64 *w)
{
    if (!w) return;
    free(w->x);
    free(w->y);
    free(w->key);
    free(w->g);
    free(w->p);
    for (int l = 0; l < NN_MAX_LAYERS; l++) {
        free(w->a[l]);
        free(w->d1[l]);
        free(w->c[l]);
        free(w->dz[l]);
    }
    for (int t = 0; t < w->nparts; t++) {
        m64_part *P = w->part[t];
        if (!P) continue;
        for (int l = 0; l < NN_MAX_LAYERS; l++) {
            free(P->rz[l]);
            free(P->ra[l]);
        }
        free(P->rd0);
        free(P->rd1);
        free(P->hv);
        free(P);
    }
    memset(w, 0, sizeof *w);
}

int model64_init(model64 *w, const model *m, const dataset *d, const size_t *idx, size_t k)
{
    memset(w, 0, sizeof *w);
    if (k == 0 || k > d->n)
        return nn_err(NN_EINVAL, "double-precision model: %zu examples requested from a set "
                      "of %zu", k, d->n);
    int rc = model_data_check(m, d, idx, k, "the double-precision model");
    if (rc) return rc;
    w->m = m;
    w->B = k;
    size_t B = k, in = d->dim, mw = (size_t)m->max_width;
    w->x = dalloc(B * in);
    w->y = malloc(B * sizeof *w->y);
    w->key = dalloc(m->n);
    w->g = dalloc(m->n);
    int K = m->layers[m->nlayers - 1].out;
    if (m->spec.loss == LOSS_XENT) w->p = dalloc(B * (size_t)K);
    if (!w->x || !w->y || !w->key || !w->g || (m->spec.loss == LOSS_XENT && !w->p)) goto oom;
    for (int l = 0; l < m->nlayers; l++) {
        size_t sz = B * (size_t)m->layers[l].out;
        if (!(w->a[l] = dalloc(sz)) || !(w->d1[l] = dalloc(sz)) || !(w->c[l] = dalloc(sz)) ||
            !(w->dz[l] = dalloc(sz)))
            goto oom;
    }
    for (size_t i = 0; i < B; i++) {
        size_t r = idx ? idx[i] : i;
        if (r >= d->n) {
            model64_free(w);
            return nn_err(NN_EINVAL, "double-precision model: example index %zu is past the "
                          "%zu examples", r, d->n);
        }
        for (size_t j = 0; j < in; j++) w->x[i * in + j] = d->x[r * in + j];
        w->y[i] = d->y[r];
    }
    w->nparts = pool_threads();
    for (int t = 0; t < w->nparts; t++) {
        m64_part *P = calloc(1, sizeof *P);
        if (!(w->part[t] = P)) goto oom;
        for (int l = 0; l < m->nlayers; l++) {
            size_t sz = B * (size_t)m->layers[l].out;
            if (!(P->rz[l] = dalloc(sz)) || !(P->ra[l] = dalloc(sz))) goto oom;
        }
        if (!(P->rd0 = dalloc(B * mw)) || !(P->rd1 = dalloc(B * mw)) || !(P->hv = dalloc(m->n)))
            goto oom;
    }
    return NN_OK;
oom:
    model64_free(w);
    return nn_err(NN_ENOMEM, "double-precision model: out of memory for %zu examples", k);
}

/* Forward and backward at theta: fills the cache and w->g. */
static void forward_backward(model64 *w, const double *theta)
{
    const model *m = w->m;
    int L = m->nlayers, B = (int)w->B;
    const double slope = m->spec.leaky_slope;
    for (int l = 0; l < L; l++) {
        const layer *ly = &m->layers[l];
        const double *prev = l ? w->a[l - 1] : w->x;
        double *z = w->dz[l]; /* dz is free until the backward pass */
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, ly->out, ly->in, 1.0, prev,
                    ly->in, theta + ly->w_off, ly->in, 0.0, z, ly->out);
        const double *b = theta + ly->b_off;
        for (int i = 0; i < B; i++)
            for (int o = 0; o < ly->out; o++) {
                size_t e = (size_t)i * ly->out + o;
                act64(ly->act, slope, z[e] + b[o], &w->a[l][e], &w->d1[l][e], &w->c[l][e]);
            }
    }
    /* Loss and dL/df of the mean. */
    int K = m->layers[L - 1].out;
    const double *f = w->a[L - 1];
    double *da = w->part[0]->rd0; /* scratch before any R-pass */
    double loss = 0;
    size_t correct = 0;
    for (int i = 0; i < B; i++) {
        const double *fi = f + (size_t)i * K;
        double *di = da + (size_t)i * K;
        int y = w->y[i], best = 0;
        for (int k = 1; k < K; k++)
            if (fi[k] > fi[best]) best = k;
        correct += best == y;
        if (m->spec.loss == LOSS_XENT) {
            double mx = fi[best], s = 0;
            double *pi = w->p + (size_t)i * K;
            for (int k = 0; k < K; k++) s += (pi[k] = exp(fi[k] - mx));
            for (int k = 0; k < K; k++) {
                pi[k] /= s;
                di[k] = (pi[k] - (k == y)) / B;
            }
            loss += mx + log(s) - fi[y];
        } else {
            for (int k = 0; k < K; k++) {
                double r = fi[k] - (k == y);
                loss += 0.5 * r * r;
                di[k] = r / B;
            }
        }
    }
    w->loss = loss / B;
    w->acc = (double)correct / B;
    double *db = w->part[0]->rd1;
    for (int l = L - 1; l >= 0; l--) {
        const layer *ly = &m->layers[l];
        const double *prev = l ? w->a[l - 1] : w->x;
        size_t sz = (size_t)B * ly->out;
        for (size_t e = 0; e < sz; e++) {
            w->dz[l][e] = da[e] * w->d1[l][e];
            w->c[l][e] *= da[e];
        }
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, ly->out, ly->in, B, 1.0, w->dz[l],
                    ly->out, prev, ly->in, 0.0, w->g + ly->w_off, ly->in);
        double *gb = w->g + ly->b_off;
        memset(gb, 0, (size_t)ly->out * sizeof *gb);
        for (int i = 0; i < B; i++)
            for (int o = 0; o < ly->out; o++) gb[o] += w->dz[l][(size_t)i * ly->out + o];
        if (l > 0) {
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, ly->in, ly->out, 1.0,
                        w->dz[l], ly->out, theta + ly->w_off, ly->in, 0.0, db, ly->in);
            double *t = da;
            da = db, db = t;
        }
    }
    memcpy(w->key, theta, m->n * sizeof *theta);
    w->cached = 1;
}

static void ensure(model64 *w, const double *theta)
{
    if (!w->cached || memcmp(w->key, theta, w->m->n * sizeof *theta) != 0)
        forward_backward(w, theta);
}

double model64_grad(model64 *w, const double *theta, double *g, double *acc)
{
    ensure(w, theta);
    if (g) memcpy(g, w->g, w->m->n * sizeof *g);
    if (acc) *acc = w->acc;
    return w->loss;
}

/* Which parameter index j is: layer, and (row, col) of W or the bias row. */
static void locate(const model *m, size_t j, int *lay, int *row, int *col)
{
    for (int l = 0; l < m->nlayers; l++) {
        const layer *ly = &m->layers[l];
        if (j < ly->b_off) {
            *lay = l, *row = (int)((j - ly->w_off) / ly->in), *col = (int)((j - ly->w_off) % ly->in);
            return;
        }
        if (j < ly->b_off + (size_t)ly->out) {
            *lay = l, *row = (int)(j - ly->b_off), *col = -1;
            return;
        }
    }
    *lay = 0, *row = *col = 0; /* j < n: not reached */
}

/* hv = H v at the cached θ. unit >= 0: v is e_unit (v unused). */
static void rpass(model64 *w, m64_part *P, const double *theta, const double *v, long unit,
                  double *hv)
{
    const model *m = w->m;
    int L = m->nlayers, B = (int)w->B;
    int first = 0, urow = 0, ucol = 0;
    if (unit >= 0) locate(m, (size_t)unit, &first, &urow, &ucol);
    if (first < 0 || first >= L) return; /* not reached: j < n */
    /* R forward; layers below `first` have R{z} = 0. */
    for (int l = first; l < L; l++) {
        const layer *ly = &m->layers[l];
        const double *prev = l ? w->a[l - 1] : w->x;
        double *rz = P->rz[l];
        size_t sz = (size_t)B * ly->out;
        if (l > first) {
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, ly->out, ly->in, 1.0,
                        P->ra[l - 1], ly->in, theta + ly->w_off, ly->in, 0.0, rz, ly->out);
        } else if (unit >= 0) {
            memset(rz, 0, sz * sizeof *rz);
            for (int i = 0; i < B; i++)
                rz[(size_t)i * ly->out + urow] = ucol < 0 ? 1.0 : prev[(size_t)i * ly->in + ucol];
        }
        if (unit < 0) {
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, ly->out, ly->in, 1.0, prev,
                        ly->in, v + ly->w_off, ly->in, l > first ? 1.0 : 0.0, rz, ly->out);
            const double *c = v + ly->b_off;
            for (int i = 0; i < B; i++)
                for (int o = 0; o < ly->out; o++) rz[(size_t)i * ly->out + o] += c[o];
        }
        for (size_t e = 0; e < sz; e++) P->ra[l][e] = w->d1[l][e] * rz[e];
    }
    /* R{dL/df} of the mean loss. */
    int K = m->layers[L - 1].out;
    const double *rf = P->ra[L - 1];
    double *rda = P->rd0, *rdb = P->rd1;
    for (int i = 0; i < B; i++) {
        const double *ri = rf + (size_t)i * K;
        double *o = rda + (size_t)i * K;
        if (m->spec.loss == LOSS_XENT) {
            const double *pi = w->p + (size_t)i * K;
            double pr = 0;
            for (int k = 0; k < K; k++) pr += pi[k] * ri[k];
            for (int k = 0; k < K; k++) o[k] = pi[k] * (ri[k] - pr) / B;
        } else {
            for (int k = 0; k < K; k++) o[k] = ri[k] / B;
        }
    }
    /* R backward. rda holds R{dL/da_l}, then R{dL/dz_l} in place. */
    for (int l = L - 1; l >= 0; l--) {
        const layer *ly = &m->layers[l];
        const double *prev = l ? w->a[l - 1] : w->x;
        size_t sz = (size_t)B * ly->out;
        if (l >= first)
            for (size_t e = 0; e < sz; e++)
                rda[e] = rda[e] * w->d1[l][e] + w->c[l][e] * P->rz[l][e];
        else
            for (size_t e = 0; e < sz; e++) rda[e] *= w->d1[l][e];
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, ly->out, ly->in, B, 1.0, rda,
                    ly->out, prev, ly->in, 0.0, hv + ly->w_off, ly->in);
        if (l > first)
            cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, ly->out, ly->in, B, 1.0,
                        w->dz[l], ly->out, P->ra[l - 1], ly->in, 1.0, hv + ly->w_off, ly->in);
        double *hb = hv + ly->b_off;
        memset(hb, 0, (size_t)ly->out * sizeof *hb);
        for (int i = 0; i < B; i++)
            for (int o = 0; o < ly->out; o++) hb[o] += rda[(size_t)i * ly->out + o];
        if (l == 0) break;
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, ly->in, ly->out, 1.0, rda,
                    ly->out, theta + ly->w_off, ly->in, 0.0, rdb, ly->in);
        if (unit < 0) {
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, ly->in, ly->out, 1.0,
                        w->dz[l], ly->out, v + ly->w_off, ly->in, 1.0, rdb, ly->in);
        } else if (l == first && ucol >= 0) {
            for (int i = 0; i < B; i++)
                rdb[(size_t)i * ly->in + ucol] += w->dz[l][(size_t)i * ly->out + urow];
        }
        double *t = rda;
        rda = rdb, rdb = t;
    }
}

void model64_hvp(model64 *w, const double *theta, const double *v, double *hv)
{
    ensure(w, theta);
    rpass(w, w->part[0], theta, v, -1, hv);
}

typedef struct hess_job {
    model64 *w;
    const double *theta;
    double *H;
} hess_job;

static void hess_cols(void *arg, int tid, int nthreads)
{
    hess_job *J = arg;
    size_t n = J->w->m->n, lo, hi;
    if (tid >= J->w->nparts) return;
    int parts = nthreads < J->w->nparts ? nthreads : J->w->nparts;
    pool_range(n, parts, tid, &lo, &hi);
    for (size_t j = lo; j < hi; j++)
        rpass(J->w, J->w->part[tid], J->theta, NULL, (long)j, J->H + j * n);
}

int model64_hessian(model64 *w, const double *theta, double *H)
{
    ensure(w, theta);
    hess_job J = {w, theta, H};
    if (w->nparts > 1 && pool_threads() > 1) pool_run(hess_cols, &J);
    else hess_cols(&J, 0, 1);
    /* Row j holds H e_j; the exact Hessian is symmetric, rounding is not. */
    size_t n = w->m->n;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            double s = 0.5 * (H[i * n + j] + H[j * n + i]);
            H[i * n + j] = H[j * n + i] = s;
        }
    for (size_t i = 0; i < n * n; i++)
        if (!isfinite(H[i]))
            return nn_err(NN_ENAN, "Hessian: a non-finite entry at (%zu, %zu)", i / n, i % n);
    return NN_OK;
}
