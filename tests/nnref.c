/* The independent reference behind the gradient, HVP and plane tests. */
#include "nnref.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../datasets/rng.h"
#include "../nn/pool.h"
#include "../probes/pca.h"

#include "test.h"

double nnref_act(int act, double z, double slope)
{
    switch (act) {
    case ACT_RELU: return z > 0 ? z : 0;
    case ACT_LEAKY_RELU: return z > 0 ? z : slope * z;
    case ACT_TANH: return tanh(z);
    case ACT_SIGMOID: return 1 / (1 + exp(-z));
    case ACT_SOFTPLUS: return z > 20 ? z : log(1 + exp(z));
    case ACT_GELU: return 0.5 * z * (1 + erf(z / sqrt(2.0)));
    default: return z;
    }
}

double nnref_loss(const model *m, const double *p, const float *x, const int32_t *y, size_t B,
                  double *minz)
{
    double total = 0;
    double *a = malloc(sizeof(double) * (size_t)m->max_width);
    double *nxt = malloc(sizeof(double) * (size_t)m->max_width);
    for (size_t b = 0; b < B; b++) {
        int in = m->spec.in;
        for (int i = 0; i < in; i++) a[i] = x[b * (size_t)in + (size_t)i];
        for (int l = 0; l < m->nlayers; l++) {
            const layer *L = &m->layers[l];
            for (int o = 0; o < L->out; o++) {
                double z = p[L->b_off + (size_t)o];
                for (int i = 0; i < L->in; i++) z += p[L->w_off + (size_t)o * L->in + i] * a[i];
                if ((L->act == ACT_RELU || L->act == ACT_LEAKY_RELU) && minz && fabs(z) < *minz)
                    *minz = fabs(z);
                nxt[o] = nnref_act(L->act, z, m->spec.leaky_slope);
            }
            memcpy(a, nxt, sizeof(double) * (size_t)L->out);
        }
        int K = m->layers[m->nlayers - 1].out, t = y[b];
        if (m->spec.loss == LOSS_XENT) {
            double mx = a[0], s = 0;
            for (int k = 1; k < K; k++) mx = a[k] > mx ? a[k] : mx;
            for (int k = 0; k < K; k++) s += exp(a[k] - mx);
            total += mx + log(s) - a[t];
        } else {
            for (int k = 0; k < K; k++) {
                double r = a[k] - (k == t);
                total += 0.5 * r * r;
            }
        }
    }
    free(a);
    free(nxt);
    return total / (double)B;
}

void nnref_build(model *m, int in, const int *widths, const int *acts, int nl, int loss)
{
    model_spec s;
    memset(&s, 0, sizeof s);
    s.in = in;
    s.nlayers = nl;
    s.loss = loss;
    s.leaky_slope = 0.1f;
    s.init = INIT_TORCH;
    for (int l = 0; l < nl; l++) {
        s.layers[l].out = widths[l];
        s.layers[l].act = acts[l];
        s.layers[l].init = -1;
    }
    CHECK_OK(model_build(m, &s));
}

dataset nnref_data(size_t n, int in, int K, uint64_t seed, uint64_t stream)
{
    dataset d;
    memset(&d, 0, sizeof d);
    d.n = n;
    d.dim = (size_t)in;
    d.classes = K;
    d.x = malloc(sizeof(float) * n * (size_t)in);
    d.y = malloc(sizeof(int32_t) * n);
    for (size_t i = 0; i < n * (size_t)in; i++) d.x[i] = (float)rng_normal(seed, stream, i);
    for (size_t b = 0; b < n; b++) d.y[b] = (int32_t)rng_below(seed, stream + 1, b, (uint64_t)K);
    return d;
}

int nnref_hess_init(nnref_hess *f)
{
    memset(f, 0, sizeof *f);
    int rc = pool_set_threads(1);
    if (rc) return rc;
    model_spec s;
    memset(&s, 0, sizeof s);
    s.in = 5;
    s.nlayers = 3;
    s.loss = LOSS_XENT;
    s.init = INIT_TORCH;
    int w[3] = {9, 7, 3}, act[3] = {ACT_TANH, ACT_SOFTPLUS, ACT_LINEAR};
    for (int l = 0; l < 3; l++) s.layers[l] = (layer_spec){w[l], act[l], -1};
    if ((rc = model_build(&f->m, &s))) return rc;
    model_init_params(&f->m, 3);
    for (size_t i = 0; i < f->m.n; i++) f->m.theta[i] *= 2.0f;
    if ((rc = synth_make("blobs", 60, 3, 5, 1.0, 7, &f->d))) return rc;
    if ((rc = nnobj_init(&f->ctx, &f->o, &f->m, &f->d, NULL, f->d.n))) return rc;
    int n = f->n = (int)f->m.n;
    double *H = malloc(sizeof(double) * (size_t)n * n);
    f->ev = malloc(sizeof(double) * n);
    f->V = malloc(sizeof(double) * (size_t)n * n);
    float *e = calloc((size_t)n, sizeof(float)), *hv = malloc(sizeof(float) * n);
    if (!H || !f->ev || !f->V || !e || !hv) rc = NN_ENOMEM;
    for (int c = 0; c < n && !rc; c++) {
        e[c] = 1.0f;
        f->o.hvp(f->o.ctx, f->m.theta, e, hv);
        e[c] = 0.0f;
        for (int r = 0; r < n; r++) H[(size_t)r * n + c] = hv[r];
    }
    for (int r = 0; r < n && !rc; r++)
        for (int c = r + 1; c < n; c++)
            H[(size_t)r * n + c] = H[(size_t)c * n + r] =
                0.5 * (H[(size_t)r * n + c] + H[(size_t)c * n + r]);
    if (!rc) rc = pca_eigen_sym(n, H, f->ev, f->V); /* descending */
    free(H);
    free(e);
    free(hv);
    return rc;
}

void nnref_hess_free(nnref_hess *f)
{
    free(f->ev);
    free(f->V);
    nnobj_free(&f->ctx);
    dataset_free(&f->d);
    model_free(&f->m);
    memset(f, 0, sizeof *f);
}
