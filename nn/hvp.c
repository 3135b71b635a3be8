/* Exact Hessian-vector products of the mean loss by Pearlmutter's R-operator
 * (and the Gauss-Newton product), on the same flat θ layout as model.c, split
 * across the pool's threads, with the forward pass cached per θ. */
#include "nn.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pool.h"

#define HVP_DEFAULT_CHUNK 256
#define HVP_DEFAULT_CACHE ((size_t)512 << 20)
/* Below this many rows per thread the GEMMs get too thin to gain from a
 * second core (as in model_batch_parts). */
#define HVP_MIN_ROWS 32

static int act_has_second(int act)
{
    return act != ACT_LINEAR && act != ACT_RELU && act != ACT_LEAKY_RELU;
}

/* Floats per array rounded to 16 so every array starts on a cache line. */
static size_t round16(size_t n) { return (n + 15) & ~(size_t)15; }

static size_t store_floats(const model *m, size_t rows)
{
    size_t f = 0;
    for (int l = 0; l < m->nlayers; l++) {
        const layer *L = &m->layers[l];
        size_t sz = round16(rows * (size_t)L->out);
        f += 2 * sz; /* a, dz */
        if (L->act != ACT_LINEAR) f += sz;
        if (act_has_second(L->act)) f += sz;
    }
    if (m->spec.loss == LOSS_XENT) f += round16(rows * (size_t)m->layers[m->nlayers - 1].out);
    return f;
}

static float *falloc(size_t count)
{
    size_t bytes = (count * sizeof(float) + 63) & ~(size_t)63;
    return aligned_alloc(64, bytes ? bytes : 64);
}

static int store_alloc(hvp_store *s, const model *m, size_t rows)
{
    memset(s, 0, sizeof *s);
    s->mem = falloc(store_floats(m, rows));
    if (!s->mem) return NN_ENOMEM;
    s->rows = rows;
    float *p = s->mem;
    for (int l = 0; l < m->nlayers; l++) {
        const layer *L = &m->layers[l];
        size_t sz = round16(rows * (size_t)L->out);
        s->a[l] = p, p += sz;
        s->dz[l] = p, p += sz;
        if (L->act != ACT_LINEAR) s->d1[l] = p, p += sz;
        if (act_has_second(L->act)) s->c[l] = p, p += sz;
    }
    if (m->spec.loss == LOSS_XENT) s->p = p;
    return NN_OK;
}

static void store_free(hvp_store *s)
{
    free(s->mem);
    memset(s, 0, sizeof *s);
}

/* A view of rows r.. of a store (pointers offset, NULLs kept). */
static hvp_store store_at(const model *m, const hvp_store *s, size_t r)
{
    hvp_store v = *s;
    for (int l = 0; l < m->nlayers; l++) {
        size_t o = r * (size_t)m->layers[l].out;
        v.a[l] += o;
        v.dz[l] += o;
        if (v.d1[l]) v.d1[l] += o;
        if (v.c[l]) v.c[l] += o;
    }
    if (v.p) v.p += r * (size_t)m->layers[m->nlayers - 1].out;
    return v;
}

static void part_free(hvp_part *p)
{
    store_free(&p->chunk);
    store_free(&p->cache);
    free(p->zt);
    free(p->da0);
    free(p->da1);
    for (int l = 0; l < NN_MAX_LAYERS; l++) {
        if (p->ra[l] != p->rz[l]) free(p->ra[l]);
        free(p->rz[l]);
    }
    free(p->xb);
    free(p->yb);
    free(p->hpart);
}

static int part_alloc(hvp_part *p, const model *m, int chunk, int with_hpart)
{
    memset(p, 0, sizeof *p);
    size_t C = (size_t)chunk, w = (size_t)m->max_width;
    if (store_alloc(&p->chunk, m, C)) return NN_ENOMEM;
    p->zt = falloc(C * w);
    p->da0 = falloc(C * w);
    p->da1 = falloc(C * w);
    p->xb = falloc(C * (size_t)m->spec.in);
    p->yb = malloc(C * sizeof *p->yb);
    if (!p->zt || !p->da0 || !p->da1 || !p->xb || !p->yb) return NN_ENOMEM;
    for (int l = 0; l < m->nlayers; l++) {
        const layer *L = &m->layers[l];
        p->rz[l] = falloc(C * (size_t)L->out);
        p->ra[l] = L->act == ACT_LINEAR ? p->rz[l] : falloc(C * (size_t)L->out);
        if (!p->rz[l] || !p->ra[l]) return NN_ENOMEM;
    }
    if (with_hpart && !(p->hpart = falloc(m->n))) return NN_ENOMEM;
    return NN_OK;
}

int hvp_ws_alloc(hvp_ws *ws, const model *m, int chunk)
{
    memset(ws, 0, sizeof *ws);
    if (chunk < 0) return nn_err(NN_EINVAL, "hvp: chunk of %d rows", chunk);
    ws->m = m;
    ws->chunk = chunk ? chunk : HVP_DEFAULT_CHUNK;
    ws->cache_limit = HVP_DEFAULT_CACHE;
    int T = pool_threads();
    ws->nparts = T < NN_MAX_THREADS ? T : NN_MAX_THREADS;
    ws->key_theta = falloc(m->n);
    if (!ws->key_theta) goto fail;
    for (int t = 0; t < ws->nparts; t++) {
        ws->part[t] = malloc(sizeof *ws->part[t]);
        if (!ws->part[t] || part_alloc(ws->part[t], m, ws->chunk, t > 0)) goto fail;
    }
    return NN_OK;
fail:
    chunk = ws->chunk;
    hvp_ws_free(ws);
    return nn_err(NN_ENOMEM, "hvp: cannot allocate scratch for chunks of %d rows", chunk);
}

void hvp_ws_free(hvp_ws *ws)
{
    for (int t = 0; t < NN_MAX_THREADS; t++) {
        if (ws->part[t]) part_free(ws->part[t]);
        free(ws->part[t]);
    }
    free(ws->key_theta);
    free(ws->key_idx);
    memset(ws, 0, sizeof *ws);
}

void hvp_ws_invalidate(hvp_ws *ws) { ws->cached = 0; }

void hvp_ws_set_cache_limit(hvp_ws *ws, size_t bytes)
{
    ws->cache_limit = bytes;
    ws->cached = 0;
}

/* ---- the passes on one chunk of B rows ------------------------------------ */

typedef struct hvp_job {
    const model *m;
    const float *theta, *v;
    const dataset *d;
    const size_t *idx;
    size_t k;
    float scale;            /* 1/k: every derivative is of the mean */
    float *hv;
    int gn, P;
    int use_cache, fill_cache;
    hvp_ws *ws;
    double loss[NN_MAX_THREADS];
} hvp_job;

/* Forward pass and the gradient's backward pass of B rows into store S:
 * a, f', f''·dL/da, dL/dz and the softmax. Returns the summed loss. */
static double chunk_prep(const hvp_job *j, hvp_part *p, const hvp_store *S, const float *x,
                         const int32_t *y, int B)
{
    const model *m = j->m;
    const float *theta = j->theta;
    float slope = m->spec.leaky_slope;
    int Lz = m->nlayers - 1, K = m->layers[Lz].out;
    const float *in = x;
    for (int l = 0; l <= Lz; l++) {
        const layer *L = &m->layers[l];
        size_t len = (size_t)B * L->out;
        /* A linear layer's z is its a: compute it in place. */
        float *z = L->act == ACT_LINEAR ? S->a[l] : p->zt;
        for (int i = 0; i < B; i++)
            memcpy(z + (size_t)i * L->out, theta + L->b_off, (size_t)L->out * sizeof *z);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, L->out, L->in, 1.0f, in, L->in,
                    theta + L->w_off, L->in, 1.0f, z, L->out);
        if (L->act != ACT_LINEAR) {
            act_forward(L->act, slope, len, z, S->a[l]);
            act_deriv(L->act, slope, len, z, S->a[l], S->d1[l]);
            if (S->c[l]) act_second(L->act, slope, len, z, S->a[l], S->c[l]);
        }
        in = S->a[l];
    }
    const float *f = S->a[Lz];
    double sum = loss_forward_backward(m->spec.loss, B, K, f, y, j->scale, p->da0, NULL);
    if (S->p) {
        /* The softmax itself, not recovered from dL/df: no cancellation. */
        for (int i = 0; i < B; i++) {
            const float *fi = f + (size_t)i * K;
            float *pi = S->p + (size_t)i * K;
            float mx = fi[0];
            for (int q = 1; q < K; q++) mx = fi[q] > mx ? fi[q] : mx;
            double s = 0;
            for (int q = 0; q < K; q++) s += exp((double)(fi[q] - mx));
            for (int q = 0; q < K; q++) pi[q] = (float)(exp((double)(fi[q] - mx)) / s);
        }
    }
    float *da = p->da0, *dnext = p->da1;
    for (int l = Lz; l >= 0; l--) {
        const layer *L = &m->layers[l];
        size_t len = (size_t)B * L->out;
        if (S->c[l])
            for (size_t i = 0; i < len; i++) S->c[l][i] *= da[i];
        if (S->d1[l])
            for (size_t i = 0; i < len; i++) S->dz[l][i] = S->d1[l][i] * da[i];
        else
            memcpy(S->dz[l], da, len * sizeof *da);
        if (l > 0) { /* da_{l-1} [B][in] = dz [B][out] . W [out][in] */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, L->in, L->out, 1.0f,
                        S->dz[l], L->out, theta + L->w_off, L->in, 0.0f, dnext, L->in);
            float *t = da;
            da = dnext;
            dnext = t;
        }
    }
    return sum;
}

/* The R-pass of B rows from store S: hv [n] += this chunk's share of Hv. */
static void chunk_apply(const hvp_job *j, hvp_part *p, const hvp_store *S, const float *x, int B,
                        float *hv)
{
    const model *m = j->m;
    const float *theta = j->theta, *v = j->v;
    int Lz = m->nlayers - 1, K = m->layers[Lz].out;
    /* R-forward: R{z_l} = R{a_{l-1}} W_lᵀ + a_{l-1} V_lᵀ + v_b; R{a_l} = f'(z_l) R{z_l}. */
    for (int l = 0; l <= Lz; l++) {
        const layer *L = &m->layers[l];
        size_t len = (size_t)B * L->out;
        float *rz = p->rz[l];
        const float *in = l ? S->a[l - 1] : x;
        for (int i = 0; i < B; i++)
            memcpy(rz + (size_t)i * L->out, v + L->b_off, (size_t)L->out * sizeof *rz);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, L->out, L->in, 1.0f, in, L->in,
                    v + L->w_off, L->in, 1.0f, rz, L->out);
        if (l) /* R{a_{-1}} = 0: the input does not depend on θ */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, L->out, L->in, 1.0f,
                        p->ra[l - 1], L->in, theta + L->w_off, L->in, 1.0f, rz, L->out);
        if (S->d1[l])
            for (size_t i = 0; i < len; i++) p->ra[l][i] = S->d1[l][i] * rz[i];
    }
    /* R{dL/df} = H_f R{f}: (diag(p) − p pᵀ) R{f} for xent, R{f} for mse. */
    float *rd = p->da0, *rnext = p->da1;
    const float *rf = p->ra[Lz];
    if (S->p) {
        for (int i = 0; i < B; i++) {
            const float *pi = S->p + (size_t)i * K, *ri = rf + (size_t)i * K;
            double s = 0;
            for (int q = 0; q < K; q++) s += (double)pi[q] * ri[q];
            for (int q = 0; q < K; q++) rd[(size_t)i * K + q] = j->scale * pi[q] * (float)(ri[q] - s);
        }
    } else {
        for (size_t i = 0; i < (size_t)B * K; i++) rd[i] = j->scale * rf[i];
    }
    /* R-backward. */
    for (int l = Lz; l >= 0; l--) {
        const layer *L = &m->layers[l];
        size_t len = (size_t)B * L->out;
        /* R{dz} = f' R{da} + f'' R{z} da (Gauss-Newton keeps the first term). */
        if (S->d1[l])
            for (size_t i = 0; i < len; i++) rd[i] *= S->d1[l][i];
        if (S->c[l] && !j->gn)
            for (size_t i = 0; i < len; i++) rd[i] += S->c[l][i] * p->rz[l][i];
        const float *in = l ? S->a[l - 1] : x;
        float *hW = hv + L->w_off, *hb = hv + L->b_off;
        /* Hv_W [out][in] += R{dz}ᵀ a_{l-1} + dzᵀ R{a_{l-1}} */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, L->out, L->in, B, 1.0f, rd, L->out,
                    in, L->in, 1.0f, hW, L->in);
        if (l && !j->gn)
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, L->out, L->in, B, 1.0f,
                        S->dz[l], L->out, p->ra[l - 1], L->in, 1.0f, hW, L->in);
        for (int i = 0; i < B; i++) {
            const float *row = rd + (size_t)i * L->out;
            for (int q = 0; q < L->out; q++) hb[q] += row[q];
        }
        if (l) { /* R{da_{l-1}} [B][in] = R{dz} W + dz V */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, L->in, L->out, 1.0f, rd,
                        L->out, theta + L->w_off, L->in, 0.0f, rnext, L->in);
            if (!j->gn)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, L->in, L->out, 1.0f,
                            S->dz[l], L->out, v + L->w_off, L->in, 1.0f, rnext, L->in);
            float *t = rd;
            rd = rnext;
            rnext = t;
        }
    }
}

/* The inputs and labels of rows [s, s+B) of the subset. */
static void chunk_rows(const hvp_job *j, hvp_part *p, size_t s, int B, const float **x,
                       const int32_t **y)
{
    size_t dim = j->d->dim;
    if (!j->idx) {
        *x = j->d->x + s * dim;
        *y = j->d->y + s;
        return;
    }
    for (int i = 0; i < B; i++) {
        memcpy(p->xb + (size_t)i * dim, j->d->x + j->idx[s + i] * dim, dim * sizeof(float));
        p->yb[i] = j->d->y[j->idx[s + i]];
    }
    *x = p->xb;
    *y = p->yb;
}

/* Thread tid's rows [lo, hi) of the subset, chunk by chunk. The chunk
 * boundaries are the same whether or not the forward pass is cached, so a
 * cached and a recomputed forward pass give the same bits. */
static void hvp_part_run(void *arg, int tid, int nthreads)
{
    hvp_job *j = arg;
    if (tid >= j->P) return;
    hvp_ws *ws = j->ws;
    hvp_part *p = ws->part[tid];
    size_t lo = j->k * (size_t)tid / (size_t)j->P, hi = j->k * (size_t)(tid + 1) / (size_t)j->P;
    float *hv = tid ? p->hpart : j->hv;
    memset(hv, 0, j->m->n * sizeof *hv);
    double loss = 0;
    for (size_t r = 0; r < hi - lo; r += (size_t)ws->chunk) {
        int B = (int)(hi - lo - r < (size_t)ws->chunk ? hi - lo - r : (size_t)ws->chunk);
        const float *x;
        const int32_t *y;
        chunk_rows(j, p, lo + r, B, &x, &y);
        if (j->use_cache) {
            hvp_store S = store_at(j->m, &p->cache, r);
            if (j->fill_cache) loss += chunk_prep(j, p, &S, x, y, B);
            chunk_apply(j, p, &S, x, B, hv);
        } else {
            loss += chunk_prep(j, p, &p->chunk, x, y, B);
            chunk_apply(j, p, &p->chunk, x, B, hv);
        }
    }
    j->loss[tid] = loss;
}

/* hv += the partials of threads 1..P-1 in that order, each pool thread
 * summing its own range of θ. */
static void hvp_reduce(void *arg, int tid, int nthreads)
{
    hvp_job *j = arg;
    size_t lo, hi;
    pool_range(j->m->n, nthreads, tid, &lo, &hi);
    for (int t = 1; t < j->P; t++) {
        const float *hp = j->ws->part[t]->hpart;
        for (size_t i = lo; i < hi; i++) j->hv[i] += hp[i];
    }
}

static int key_matches(const hvp_ws *ws, const model *m, const float *theta, const dataset *d,
                       const size_t *idx, size_t k, int P)
{
    if (!ws->cached || ws->key_d != d || ws->key_k != k || ws->key_parts != P) return 0;
    if ((idx != NULL) != ws->key_has_idx) return 0;
    if (idx && memcmp(idx, ws->key_idx, k * sizeof *idx)) return 0;
    return memcmp(theta, ws->key_theta, m->n * sizeof *theta) == 0;
}

/* Makes room for a cache of the split's rows; 0 when it would exceed the
 * limit or memory, and the caller then recomputes per chunk. */
static int cache_reserve(hvp_ws *ws, const model *m, size_t k, const size_t *idx, int P)
{
    size_t bytes = 0;
    for (int t = 0; t < P; t++) {
        size_t rows = k * (size_t)(t + 1) / (size_t)P - k * (size_t)t / (size_t)P;
        bytes += store_floats(m, rows) * sizeof(float);
    }
    if (bytes > ws->cache_limit) return 0;
    if (idx && ws->key_cap < k) {
        free(ws->key_idx);
        ws->key_cap = 0;
        if (!(ws->key_idx = malloc(k * sizeof *ws->key_idx))) return 0;
        ws->key_cap = k;
    }
    for (int t = 0; t < P; t++) {
        hvp_part *p = ws->part[t];
        size_t rows = k * (size_t)(t + 1) / (size_t)P - k * (size_t)t / (size_t)P;
        if (p->cache.mem && p->cache.rows >= rows) continue;
        store_free(&p->cache);
        if (store_alloc(&p->cache, m, rows)) return 0;
    }
    return 1;
}

double model_hvp(const model *m, const float *theta, const dataset *d, const size_t *idx,
                 size_t k, const float *v, float *hv, int gauss_newton, hvp_ws *ws)
{
    if (k == 0) {
        memset(hv, 0, m->n * sizeof *hv);
        return 0.0;
    }
    int T = ws->nparts < pool_threads() ? ws->nparts : pool_threads();
    int P = (int)(k / HVP_MIN_ROWS);
    if (P > T) P = T;
    if (P < 1) P = 1;
    hvp_job j = {.m = m, .theta = theta, .v = v, .d = d, .idx = idx, .k = k,
                 .scale = 1.0f / (float)k, .hv = hv, .gn = gauss_newton != 0, .P = P, .ws = ws};
    if (key_matches(ws, m, theta, d, idx, k, P)) {
        j.use_cache = 1;
        ws->forward_reuses++;
    } else {
        ws->cached = 0;
        j.use_cache = j.fill_cache = cache_reserve(ws, m, k, idx, P);
        ws->forward_passes++;
    }
    if (P == 1) hvp_part_run(&j, 0, 1);
    else pool_run(hvp_part_run, &j);
    if (P > 1) pool_run(hvp_reduce, &j);
    double sum = 0;
    for (int t = 0; t < P; t++) sum += j.loss[t]; /* fixed order */
    if (j.fill_cache) {
        memcpy(ws->key_theta, theta, m->n * sizeof *theta);
        if (idx) memcpy(ws->key_idx, idx, k * sizeof *idx);
        ws->key_has_idx = idx != NULL;
        ws->key_d = d;
        ws->key_k = k;
        ws->key_parts = P;
        ws->key_loss = sum / (double)k;
        ws->cached = 1;
    }
    return j.use_cache && !j.fill_cache ? ws->key_loss : sum / (double)k;
}
