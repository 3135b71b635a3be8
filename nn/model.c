/* The MLP: a spec becomes a table of dense layers with offsets into one flat
 * parameter vector θ; forward and backward passes on raw pointers with
 * OpenBLAS GEMMs; loss, accuracy and gradient means over a data subset at any θ. */
#include "nn.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../datasets/rng.h"
#include "pool.h"

static const char *const INIT_NAMES[INIT_COUNT] = {"torch", "he", "xavier"};

const char *init_name(int init)
{
    return init >= 0 && init < INIT_COUNT ? INIT_NAMES[init] : "?";
}

int init_from_name(const char *s)
{
    for (int i = 0; i < INIT_COUNT; i++)
        if (strcmp(s, INIT_NAMES[i]) == 0) return i;
    return -1;
}

/* 64-byte aligned so GEMM panels and vector loops start on cache lines. */
static float *falloc(size_t count)
{
    size_t bytes = (count * sizeof(float) + 63) & ~(size_t)63;
    float *p = aligned_alloc(64, bytes ? bytes : 64);
    if (p) memset(p, 0, bytes ? bytes : 64);
    return p;
}

int model_build(model *m, const model_spec *spec)
{
    memset(m, 0, sizeof *m);
    if (spec->in <= 0 || spec->in > NN_MAX_INPUT)
        return nn_err(NN_EINVAL, "model: input width %d (must be 1..%d)", spec->in,
                      NN_MAX_INPUT);
    if (spec->nlayers < 1 || spec->nlayers > NN_MAX_LAYERS)
        return nn_err(NN_EINVAL, "model: %d layers (must be 1..%d)", spec->nlayers,
                      NN_MAX_LAYERS);
    if (spec->loss < 0 || spec->loss >= LOSS_COUNT)
        return nn_err(NN_EINVAL, "model: unknown loss %d", spec->loss);
    m->spec = *spec;
    m->nlayers = spec->nlayers;
    size_t off = 0;
    int in = spec->in, widest = spec->in;
    for (int l = 0; l < spec->nlayers; l++) {
        const layer_spec *ls = &spec->layers[l];
        if (ls->out <= 0 || ls->out > NN_MAX_WIDTH)
            return nn_err(NN_EINVAL, "model: layer %d has width %d (must be 1..%d)", l + 1,
                          ls->out, NN_MAX_WIDTH);
        if (ls->act < 0 || ls->act >= ACT_COUNT)
            return nn_err(NN_EINVAL, "model: layer %d has unknown activation %d", l + 1, ls->act);
        layer *L = &m->layers[l];
        L->in = in;
        L->out = ls->out;
        L->act = ls->act;
        L->w_off = off;
        off += (size_t)L->out * (size_t)L->in;
        L->b_off = off;
        off += (size_t)L->out;
        in = ls->out;
        if (in > widest) widest = in;
    }
    if (spec->layers[spec->nlayers - 1].out < 2 && spec->loss == LOSS_XENT)
        return nn_err(NN_EINVAL, "model: cross-entropy needs at least 2 outputs");
    /* Widths are bounded, so off cannot overflow; the count itself is what
     * must be refused before it sizes θ. */
    if (off > NN_MAX_PARAMS)
        return nn_err(NN_EINVAL, "model: %zu parameters, more than the limit of %zu",
                      off, NN_MAX_PARAMS);
    m->n = off;
    m->max_width = widest;
    m->theta = falloc(off);
    if (!m->theta) return nn_err(NN_ENOMEM, "model: cannot allocate %zu parameters", off);
    return NN_OK;
}

int model_data_check(const model *m, const dataset *d, const size_t *idx, size_t k,
                     const char *what)
{
    int K = m->layers[m->nlayers - 1].out;
    if (!what) what = "the model";
    if (d->dim != (size_t)m->spec.in)
        return nn_err(NN_EINVAL, "%s takes %d inputs but the data has %zu features", what,
                      m->spec.in, d->dim);
    if (d->classes > K)
        return nn_err(NN_EINVAL, "%s has %d outputs but the data has %d classes (labels "
                      "0..%d): the model was not made for this data", what, K, d->classes,
                      d->classes - 1);
    if (k > d->n)
        return nn_err(NN_EINVAL, "%zu examples asked of a set of %zu", k, d->n);
    for (size_t i = 0; i < k; i++) {
        size_t r = idx ? idx[i] : i;
        if (r >= d->n)
            return nn_err(NN_EINVAL, "example index %zu is past the %zu examples", r, d->n);
        if (d->y[r] < 0 || d->y[r] >= K)
            return nn_err(NN_EINVAL, "example %zu has label %d but %s has %d outputs "
                          "(labels 0..%d)", r, (int)d->y[r], what, K, K - 1);
    }
    return NN_OK;
}

void model_free(model *m)
{
    free(m->theta);
    m->theta = NULL;
}

void model_init_params(model *m, uint64_t seed)
{
    for (int l = 0; l < m->nlayers; l++) {
        const layer *L = &m->layers[l];
        int init = m->spec.layers[l].init >= 0 ? m->spec.layers[l].init : m->spec.init;
        float *W = m->theta + L->w_off, *b = m->theta + L->b_off;
        size_t nw = (size_t)L->out * L->in;
        uint64_t stream = RNG_INIT + (uint64_t)l;
        if (init == INIT_HE) { /* kaiming_normal_, fan_in, gain sqrt(2) */
            double sd = sqrt(2.0 / L->in);
            for (size_t i = 0; i < nw; i++) W[i] = (float)(sd * rng_normal(seed, stream, i));
            memset(b, 0, (size_t)L->out * sizeof *b);
        } else if (init == INIT_XAVIER) { /* xavier_uniform_ */
            double a = sqrt(6.0 / (L->in + L->out));
            for (size_t i = 0; i < nw; i++)
                W[i] = (float)(a * (2.0 * rng_uniform(seed, stream, i) - 1.0));
            memset(b, 0, (size_t)L->out * sizeof *b);
        } else { /* nn.Linear.reset_parameters: U(±1/sqrt(fan_in)) for W and b */
            double a = 1.0 / sqrt((double)L->in);
            for (size_t i = 0; i < nw; i++)
                W[i] = (float)(a * (2.0 * rng_uniform(seed, stream, i) - 1.0));
            for (int j = 0; j < L->out; j++)
                b[j] = (float)(a * (2.0 * rng_uniform(seed, stream, nw + (size_t)j) - 1.0));
        }
    }
}

void model_arch_string(const model *m, char *buf, size_t len)
{
    size_t k = 0;
    if (len == 0) return;
    buf[0] = 0;
    k += (size_t)snprintf(buf + k, len - k, "%d", m->spec.in);
    for (int l = 0; l < m->nlayers && k < len; l++) {
        const layer *L = &m->layers[l];
        k += (size_t)snprintf(buf + k, len - k, "-%d%s", L->out,
                              L->act == ACT_LINEAR ? "" : act_name(L->act));
    }
}

/* Fewer rows than this per thread and a batch is not worth splitting: the
 * GEMMs get too thin to run at speed. */
#define MIN_ROWS_PER_PART 16

/* The scratch of one thread: activations and deltas for cap rows. */
static int part_alloc(workspace *ws, const model *m, int cap)
{
    memset(ws, 0, sizeof *ws);
    ws->cap = cap;
    ws->m = m;
    ws->nparts = 1;
    for (int l = 0; l < m->nlayers; l++) {
        size_t sz = (size_t)cap * m->layers[l].out;
        ws->z[l] = falloc(sz);
        /* A linear layer's activation is its pre-activation: share the buffer. */
        ws->a[l] = m->layers[l].act == ACT_LINEAR ? ws->z[l] : falloc(sz);
        if (!ws->z[l] || !ws->a[l]) return NN_ENOMEM;
    }
    ws->d0 = falloc((size_t)cap * m->max_width);
    ws->d1 = falloc((size_t)cap * m->max_width);
    if (!ws->d0 || !ws->d1) return NN_ENOMEM;
    return NN_OK;
}

static void part_free(workspace *ws)
{
    if (!ws->m) return;
    for (int l = 0; l < ws->m->nlayers; l++) {
        if (ws->a[l] != ws->z[l]) free(ws->a[l]);
        free(ws->z[l]);
    }
    free(ws->d0);
    free(ws->d1);
}

int workspace_alloc(workspace *ws, const model *m, int cap)
{
    memset(ws, 0, sizeof *ws);
    if (cap <= 0) return nn_err(NN_EINVAL, "workspace: batch capacity %d", cap);
    int T = pool_threads();
    if (part_alloc(ws, m, cap)) goto fail;
    ws->xb = falloc((size_t)cap * m->spec.in);
    ws->yb = malloc((size_t)cap * sizeof *ws->yb);
    if (!ws->xb || !ws->yb) goto fail;
    ws->nparts = T < NN_MAX_THREADS ? T : NN_MAX_THREADS;
    /* Rows per part: at most ceil(cap / nparts) when every thread gets a
     * share, and below 2 * MIN_ROWS_PER_PART when a small batch uses fewer. */
    int sub = (cap + ws->nparts - 1) / ws->nparts;
    if (sub < 2 * MIN_ROWS_PER_PART) sub = cap < 2 * MIN_ROWS_PER_PART ? cap : 2 * MIN_ROWS_PER_PART;
    for (int t = 1; t < ws->nparts; t++) {
        ws->part[t] = calloc(1, sizeof *ws->part[t]);
        if (!ws->part[t] || part_alloc(ws->part[t], m, sub)) goto fail;
        ws->gpart[t] = falloc(m->n);
        if (!ws->gpart[t]) goto fail;
    }
    return NN_OK;
fail:
    workspace_free(ws);
    return nn_err(NN_ENOMEM, "workspace: cannot allocate buffers for batch %d", cap);
}

void workspace_free(workspace *ws)
{
    if (!ws->m) return;
    for (int t = 1; t < NN_MAX_THREADS; t++) {
        if (ws->part[t]) part_free(ws->part[t]);
        free(ws->part[t]);
        free(ws->gpart[t]);
    }
    part_free(ws);
    free(ws->xb);
    free(ws->yb);
    memset(ws, 0, sizeof *ws);
}

void model_forward(const model *m, const float *theta, const float *x, int B, workspace *ws)
{
    const float *in = x;
    for (int l = 0; l < m->nlayers; l++) {
        const layer *L = &m->layers[l];
        const float *W = theta + L->w_off, *b = theta + L->b_off;
        float *z = ws->z[l];
        /* z = b broadcast, then z += in W^T in one GEMM (beta = 1). */
        for (int i = 0; i < B; i++) memcpy(z + (size_t)i * L->out, b, (size_t)L->out * sizeof *z);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, L->out, L->in, 1.0f, in, L->in,
                    W, L->in, 1.0f, z, L->out);
        if (L->act != ACT_LINEAR)
            act_forward(L->act, m->spec.leaky_slope, (size_t)B * L->out, z, ws->a[l]);
        in = ws->a[l];
    }
}

/* One thread's share: the whole of model_batch on rows it owns. */
static double batch_serial(const model *m, const float *theta, const float *x, const int32_t *y,
                           int B, float scale, float *g, int accumulate, size_t *correct,
                           workspace *ws)
{
    model_forward(m, theta, x, B, ws);
    int Lz = m->nlayers - 1;
    int K = m->layers[Lz].out;
    float *dcur = ws->d0, *dnext = ws->d1;
    double sum = loss_forward_backward(m->spec.loss, B, K, ws->a[Lz], y, scale,
                                       g ? dcur : NULL, correct);
    if (!g) return sum;
    const float beta = accumulate ? 1.0f : 0.0f;
    for (int l = Lz; l >= 0; l--) {
        const layer *L = &m->layers[l];
        /* dcur holds dLoss/da_l; turn it into dLoss/dz_l. */
        if (L->act != ACT_LINEAR)
            act_backward(L->act, m->spec.leaky_slope, (size_t)B * L->out, ws->z[l], ws->a[l],
                         dcur, dcur);
        const float *ain = l > 0 ? ws->a[l - 1] : x;
        float *gW = g + L->w_off, *gb = g + L->b_off;
        /* gW [out][in] (+)= dz^T [out][B] . ain [B][in] */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, L->out, L->in, B, 1.0f, dcur,
                    L->out, ain, L->in, beta, gW, L->in);
        if (!accumulate) memset(gb, 0, (size_t)L->out * sizeof *gb);
        for (int i = 0; i < B; i++) {
            const float *row = dcur + (size_t)i * L->out;
            for (int j = 0; j < L->out; j++) gb[j] += row[j];
        }
        if (l > 0) { /* da_{l-1} [B][in] = dz [B][out] . W [out][in]; skipped for the input */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, L->in, L->out, 1.0f, dcur,
                        L->out, theta + L->w_off, L->in, 0.0f, dnext, L->in);
            float *t = dcur;
            dcur = dnext;
            dnext = t;
        }
    }
    return sum;
}

typedef struct batch_job {
    const model *m;
    const float *theta, *x;
    const int32_t *y;
    int B, P, accumulate;
    float scale;
    float *g;
    workspace *ws;
    double loss[NN_MAX_THREADS];
    size_t correct[NN_MAX_THREADS];
} batch_job;

static void batch_part(void *arg, int tid, int nthreads)
{
    batch_job *j = arg;
    if (tid >= j->P) return;
    int lo = (int)((long)j->B * tid / j->P), hi = (int)((long)j->B * (tid + 1) / j->P);
    size_t in = (size_t)j->m->spec.in;
    workspace *ws = tid ? j->ws->part[tid] : j->ws;
    float *g = j->g ? (tid ? j->ws->gpart[tid] : j->g) : NULL;
    j->correct[tid] = 0;
    j->loss[tid] = batch_serial(j->m, j->theta, j->x + (size_t)lo * in, j->y + lo, hi - lo,
                                j->scale, g, tid ? 0 : j->accumulate, &j->correct[tid], ws);
}

/* g += the partials of threads 1..P-1, each thread summing its own range of θ. */
static void batch_reduce(void *arg, int tid, int nthreads)
{
    batch_job *j = arg;
    size_t lo, hi;
    pool_range(j->m->n, nthreads, tid, &lo, &hi);
    for (int p = 1; p < j->P; p++) {
        const float *gp = j->ws->gpart[p];
        for (size_t i = lo; i < hi; i++) j->g[i] += gp[i];
    }
}

int model_batch_parts(int B, int nthreads)
{
    int P = B / MIN_ROWS_PER_PART;
    if (P > nthreads) P = nthreads;
    return P < 1 ? 1 : P;
}

double model_batch(const model *m, const float *theta, const float *x, const int32_t *y,
                   int B, float scale, float *g, int accumulate, size_t *correct,
                   workspace *ws)
{
    int P = model_batch_parts(B, ws->nparts < pool_threads() ? ws->nparts : pool_threads());
    if (P <= 1) return batch_serial(m, theta, x, y, B, scale, g, accumulate, correct, ws);
    batch_job j = {m, theta, x, y, B, P, accumulate, scale, g, ws, {0}, {0}};
    pool_run(batch_part, &j);
    if (g) pool_run(batch_reduce, &j);
    double sum = 0;
    for (int p = 0; p < P; p++) { /* fixed order: the same sum for the same P */
        sum += j.loss[p];
        if (correct) *correct += j.correct[p];
    }
    return sum;
}

double model_eval(const model *m, const float *theta, const dataset *d, const size_t *idx,
                  size_t k, double *acc, float *g, workspace *ws)
{
    double sum = 0.0;
    size_t correct = 0;
    size_t dim = d->dim;
    float scale = k ? 1.0f / (float)k : 0.0f;
    if (g) memset(g, 0, m->n * sizeof *g);
    for (size_t s = 0; s < k; s += (size_t)ws->cap) {
        int B = (int)(k - s < (size_t)ws->cap ? k - s : (size_t)ws->cap);
        const float *x;
        const int32_t *y;
        if (idx) {
            for (int i = 0; i < B; i++) {
                memcpy(ws->xb + (size_t)i * dim, d->x + idx[s + i] * dim, dim * sizeof(float));
                ws->yb[i] = d->y[idx[s + i]];
            }
            x = ws->xb;
            y = ws->yb;
        } else {
            x = d->x + s * dim;
            y = d->y + s;
        }
        sum += model_batch(m, theta, x, y, B, scale, g, 1, &correct, ws);
    }
    if (acc) *acc = k ? (double)correct / (double)k : 0.0;
    return k ? sum / (double)k : 0.0;
}
