/* Mean loss and accuracy of a model at many points θ0 + a d1 + b d2 of a plane
 * (or line) of parameter space. The first dense layer is linear in the
 * perturbation, so its three products are computed once per row chunk and a
 * point pays only for their elementwise combination and the rest of the net. */
#include "nn.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#include "pool.h"

/* Rows of one pass through the layers after the first. Measured on the
 * 784-256-256-10 bench: 512 beats 128 and 256 by 3-8% (fewer repacks of each
 * weight matrix per point), 1024 gains nothing more. */
#define PLANE_SUB_ROWS 512
/* Points evaluated back to back on one sub-block, so the sub-block's three
 * first-layer products are read from memory once per group, not per point. */
#define PLANE_GROUP 4
/* Rows gathered at a time when idx picks the examples. */
#define PLANE_GATHER 256
/* What the first-layer products of all threads may occupy together. */
#define PLANE_BUDGET ((size_t)256 << 20)

static size_t plane_chunk_rows; /* 0 = from PLANE_BUDGET */

void model_plane_set_chunk(size_t rows) { plane_chunk_rows = rows; }

/* One thread's scratch, allocated by the caller before the pool runs. */
typedef struct plane_scratch {
    float *z[3];    /* first layer's products, bias included [chunk][h0] */
    float *xg;      /* gathered inputs [PLANE_GATHER][in] (idx only) */
    int32_t *yg;    /* labels of the chunk [chunk] (idx only) */
    float *h[2];    /* ping-pong activations [sub][widest out] */
    float *th;      /* layers >= 1 of θ at a group of points [group][nrest] */
} plane_scratch;

typedef struct plane_job {
    const model *m;
    const dataset *d;
    const size_t *idx;
    size_t k;
    const float *theta0, *d1, *d2;
    int npts;
    const double *a, *b;
    int parts, nz, sub;
    size_t chunk, off1, nrest;  /* θ of layers >= 1 is [off1, off1 + nrest) */
    plane_scratch sc[NN_MAX_THREADS];
    double *lsum;               /* per-thread loss sums [parts][npts] */
    size_t *corr;               /* per-thread correct counts [parts][npts] */
} plane_job;

static float *plane_falloc(size_t count)
{
    size_t bytes = (count * sizeof(float) + 63) & ~(size_t)63;
    return aligned_alloc(64, bytes ? bytes : 64);
}

static void plane_scratch_free(plane_scratch *s)
{
    for (int i = 0; i < 3; i++) free(s->z[i]);
    free(s->xg);
    free(s->yg);
    free(s->h[0]);
    free(s->h[1]);
    free(s->th);
    memset(s, 0, sizeof *s);
}

/* Z_j [rows][h0] = X [rows][in] W_j^T + bias_j for the base point and each
 * direction (j < nz), W_j and bias_j being layer 0 of theta0, d1, d2. */
static void plane_first(const plane_job *j, const float *x, int rows, float *const z[3],
                        size_t zoff)
{
    const layer *L = &j->m->layers[0];
    const float *src[3] = {j->theta0, j->d1, j->d2};
    for (int q = 0; q < j->nz; q++) {
        float *zq = z[q] + zoff;
        const float *bias = src[q] + L->b_off;
        for (int i = 0; i < rows; i++)
            memcpy(zq + (size_t)i * L->out, bias, (size_t)L->out * sizeof *zq);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, L->out, L->in, 1.0f, x, L->in,
                    src[q] + L->w_off, L->in, 1.0f, zq, L->out);
    }
}

/* Fills the chunk's first-layer products for rows [c0, c0 + cn) of the
 * subset and returns the chunk's labels [cn]. */
static const int32_t *plane_chunk(const plane_job *j, plane_scratch *s, size_t c0, size_t cn)
{
    const dataset *d = j->d;
    size_t dim = d->dim;
    if (!j->idx) {
        plane_first(j, d->x + c0 * dim, (int)cn, s->z, 0);
        return d->y + c0;
    }
    for (size_t g0 = 0; g0 < cn; g0 += PLANE_GATHER) {
        size_t gn = cn - g0 < PLANE_GATHER ? cn - g0 : PLANE_GATHER;
        for (size_t i = 0; i < gn; i++) {
            size_t e = j->idx[c0 + g0 + i];
            memcpy(s->xg + i * dim, d->x + e * dim, dim * sizeof *s->xg);
            s->yg[g0 + i] = d->y[e];
        }
        plane_first(j, s->xg, (int)gn, s->z, g0 * (size_t)j->m->layers[0].out);
    }
    return s->yg;
}

/* th [nrest] = layers >= 1 of theta0 + a d1 + b d2, formed in float exactly as
 * a caller forming the whole θ for model_eval would. */
static void plane_theta(const plane_job *j, int p, float *th)
{
    const float *t0 = j->theta0 + j->off1, *u = j->d1 + j->off1;
    float a = (float)j->a[p];
    if (j->d2) {
        const float *v = j->d2 + j->off1;
        float b = (float)j->b[p];
        for (size_t i = 0; i < j->nrest; i++) th[i] = t0[i] + a * u[i] + b * v[i];
    } else {
        for (size_t i = 0; i < j->nrest; i++) th[i] = t0[i] + a * u[i];
    }
}

/* Sum of the losses of sub-block rows [s0, s0 + sn) of the chunk at point p
 * (layers >= 1 of its θ in th); counts correct predictions into *correct. */
static double plane_rest(const plane_job *j, plane_scratch *s, int p, const float *th,
                         size_t s0, int sn, const int32_t *y, size_t *correct)
{
    const model *m = j->m;
    const layer *L0 = &m->layers[0];
    size_t len = (size_t)sn * L0->out;
    const float *z0 = s->z[0] + s0 * L0->out, *z1 = s->z[1] + s0 * L0->out;
    float *h = s->h[0];
    float a = (float)j->a[p];
    /* relu, the common case, is applied in the same pass as the combination. */
    int fused = L0->act == ACT_RELU;
    if (j->nz == 3) {
        const float *z2 = s->z[2] + s0 * L0->out;
        float b = (float)j->b[p];
        if (fused) {
            for (size_t i = 0; i < len; i++) {
                float v = z0[i] + a * z1[i] + b * z2[i];
                h[i] = v > 0 ? v : 0.0f;
            }
        } else {
            for (size_t i = 0; i < len; i++) h[i] = z0[i] + a * z1[i] + b * z2[i];
        }
    } else {
        for (size_t i = 0; i < len; i++) h[i] = z0[i] + a * z1[i];
        fused = 0;
    }
    if (!fused && L0->act != ACT_LINEAR) act_forward(L0->act, m->spec.leaky_slope, len, h, h);
    int cur = 0;
    for (int l = 1; l < m->nlayers; l++) {
        const layer *L = &m->layers[l];
        const float *W = th + (L->w_off - j->off1), *bias = th + (L->b_off - j->off1);
        float *out = s->h[cur ^ 1];
        for (int i = 0; i < sn; i++)
            memcpy(out + (size_t)i * L->out, bias, (size_t)L->out * sizeof *out);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, sn, L->out, L->in, 1.0f, s->h[cur],
                    L->in, W, L->in, 1.0f, out, L->out);
        if (L->act != ACT_LINEAR)
            act_forward(L->act, m->spec.leaky_slope, (size_t)sn * L->out, out, out);
        cur ^= 1;
    }
    int K = m->layers[m->nlayers - 1].out;
    return loss_forward_backward(m->spec.loss, sn, K, s->h[cur], y, 0.0f, NULL, correct);
}

/* One thread: its contiguous share of the examples, every point. No
 * synchronization until the pool returns: partials go to the thread's row of
 * lsum/corr and are summed by the caller in thread order. */
static void plane_part(void *arg, int tid, int nthreads)
{
    plane_job *j = arg;
    if (tid >= j->parts) return;
    plane_scratch *s = &j->sc[tid];
    size_t lo = j->k * (size_t)tid / (size_t)j->parts;
    size_t hi = j->k * (size_t)(tid + 1) / (size_t)j->parts;
    double *lsum = j->lsum + (size_t)tid * j->npts;
    size_t *corr = j->corr + (size_t)tid * j->npts;
    for (size_t c0 = lo; c0 < hi; c0 += j->chunk) {
        size_t cn = hi - c0 < j->chunk ? hi - c0 : j->chunk;
        const int32_t *y = plane_chunk(j, s, c0, cn);
        for (int p0 = 0; p0 < j->npts; p0 += PLANE_GROUP) {
            int pn = j->npts - p0 < PLANE_GROUP ? j->npts - p0 : PLANE_GROUP;
            for (int q = 0; q < pn && j->nrest; q++) plane_theta(j, p0 + q, s->th + q * j->nrest);
            for (size_t s0 = 0; s0 < cn; s0 += (size_t)j->sub) {
                int sn = (int)(cn - s0 < (size_t)j->sub ? cn - s0 : (size_t)j->sub);
                for (int q = 0; q < pn; q++)
                    lsum[p0 + q] += plane_rest(j, s, p0 + q, s->th + q * j->nrest, s0, sn, y + s0,
                                               &corr[p0 + q]);
            }
        }
    }
}

int model_eval_plane(const model *m, const dataset *d, const size_t *idx, size_t k,
                     const float *theta0, const float *d1, const float *d2, int npts,
                     const double *a, const double *b, double *loss, double *acc)
{
    if (npts < 0 || (npts > 0 && (!theta0 || !d1 || !a || !loss || (d2 && !b))))
        return nn_err(NN_EINVAL, "plane: %d points with a missing base point, direction, "
                      "coordinate or output", npts);
    if (k > d->n)
        return nn_err(NN_EINVAL, "plane: %zu examples requested from a set of %zu", k, d->n);
    if (k && d->dim != (size_t)m->spec.in)
        return nn_err(NN_EINVAL, "plane: the model takes %d inputs, the data has %zu",
                      m->spec.in, d->dim);
    for (size_t i = 0; idx && i < k; i++)
        if (idx[i] >= d->n)
            return nn_err(NN_EINVAL, "plane: example index %zu (position %zu) is past the "
                          "%zu examples", idx[i], i, d->n);
    if (npts == 0) return NN_OK;
    if (k == 0) {
        for (int p = 0; p < npts; p++) {
            loss[p] = 0.0;
            if (acc) acc[p] = 0.0;
        }
        return NN_OK;
    }

    plane_job *j = calloc(1, sizeof *j);
    if (!j) return nn_err(NN_ENOMEM, "plane: cannot allocate the job");
    j->m = m;
    j->d = d;
    j->idx = idx;
    j->k = k;
    j->theta0 = theta0;
    j->d1 = d1;
    j->d2 = d2;
    j->npts = npts;
    j->a = a;
    j->b = b;
    j->nz = d2 ? 3 : 2;
    int T = pool_threads();
    if (T > NN_MAX_THREADS) T = NN_MAX_THREADS;
    j->parts = (size_t)T < k ? T : (int)k;
    j->off1 = m->nlayers > 1 ? m->layers[1].w_off : m->n;
    j->nrest = m->n - j->off1;

    size_t h0 = (size_t)m->layers[0].out;
    size_t share = (k + (size_t)j->parts - 1) / (size_t)j->parts;
    size_t fit = PLANE_BUDGET / ((size_t)j->parts * (size_t)j->nz * h0 * sizeof(float));
    if (fit < 16) fit = 16;
    if (fit > ((size_t)1 << 24)) fit = (size_t)1 << 24; /* rows reach cblas as int */
    j->chunk = plane_chunk_rows ? plane_chunk_rows : fit;
    if (j->chunk > share) j->chunk = share;
    j->sub = j->chunk < PLANE_SUB_ROWS ? (int)j->chunk : PLANE_SUB_ROWS;
    size_t widest = 0;
    for (int l = 0; l < m->nlayers; l++)
        if ((size_t)m->layers[l].out > widest) widest = (size_t)m->layers[l].out;

    int rc = NN_OK;
    j->lsum = calloc((size_t)j->parts * (size_t)npts, sizeof *j->lsum);
    j->corr = calloc((size_t)j->parts * (size_t)npts, sizeof *j->corr);
    if (!j->lsum || !j->corr) goto nomem;
    for (int t = 0; t < j->parts; t++) {
        plane_scratch *s = &j->sc[t];
        for (int q = 0; q < j->nz; q++)
            if (!(s->z[q] = plane_falloc(j->chunk * h0))) goto nomem;
        if (idx) {
            s->xg = plane_falloc((size_t)PLANE_GATHER * d->dim);
            s->yg = malloc(j->chunk * sizeof *s->yg);
            if (!s->xg || !s->yg) goto nomem;
        }
        s->h[0] = plane_falloc((size_t)j->sub * widest);
        s->h[1] = plane_falloc((size_t)j->sub * widest);
        s->th = plane_falloc(PLANE_GROUP * (j->nrest ? j->nrest : 1));
        if (!s->h[0] || !s->h[1] || !s->th) goto nomem;
    }

    pool_run(plane_part, j);

    for (int p = 0; p < npts; p++) {
        double sum = 0.0;
        size_t correct = 0;
        for (int t = 0; t < j->parts; t++) { /* fixed order: the same sum for the same T */
            sum += j->lsum[(size_t)t * npts + p];
            correct += j->corr[(size_t)t * npts + p];
        }
        loss[p] = sum / (double)k;
        if (acc) acc[p] = (double)correct / (double)k;
    }
    goto done;
nomem:
    rc = nn_err(NN_ENOMEM, "plane: cannot allocate scratch for %zu rows x %zu units per thread",
                j->chunk, h0);
done:
    for (int t = 0; t < NN_MAX_THREADS; t++) plane_scratch_free(&j->sc[t]);
    free(j->lsum);
    free(j->corr);
    free(j);
    return rc;
}
