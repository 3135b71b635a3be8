/* The nn objective: a model on a data subset seen as a function of θ, with
 * the block layout of θ that filter normalization walks. Everything heavy is
 * model_eval, model_eval_plane and model_hvp; this file only adapts signatures. */
#include "nnobj.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static double nnobj_value(void *ctx, const float *theta, double *acc)
{
    nnobj *c = ctx;
    return model_eval(c->m, theta, c->d, c->idx, c->k, acc, NULL, &c->ws);
}

static double nnobj_grad(void *ctx, const float *theta, float *g)
{
    nnobj *c = ctx;
    return model_eval(c->m, theta, c->d, c->idx, c->k, NULL, g, &c->ws);
}

static void nnobj_hvp(void *ctx, const float *theta, const float *v, float *hv)
{
    nnobj *c = ctx;
    model_hvp(c->m, theta, c->d, c->idx, c->k, v, hv, c->gauss_newton, &c->hws);
}

static int nnobj_plane(void *ctx, const float *theta0, const float *d1, const float *d2, int npts,
                       const double *a, const double *b, double *loss, double *acc)
{
    nnobj *c = ctx;
    return model_eval_plane(c->m, c->d, c->idx, c->k, theta0, d1, d2, npts, a, b, loss, acc);
}

/* The double-precision model copies the subset as doubles: made on first
 * use (or by nnobj_double), so objectives that never need it pay nothing. */
int nnobj_double(nnobj *c)
{
    if (c->m64) return NN_OK;
    model64 *w = malloc(sizeof *w);
    if (!w) return nn_err(NN_ENOMEM, "objective: out of memory for the double-precision model");
    int rc = model64_init(w, c->m, c->d, c->idx, c->k);
    if (rc) {
        free(w);
        return rc;
    }
    c->m64 = w;
    return NN_OK;
}

static double nnobj_grad64(void *ctx, const double *theta, double *g)
{
    nnobj *c = ctx;
    return nnobj_double(c) ? NAN : model64_grad(c->m64, theta, g, NULL);
}

static int nnobj_hessian64(void *ctx, const double *theta, double *H)
{
    nnobj *c = ctx;
    int rc = nnobj_double(c);
    return rc ? rc : model64_hessian(c->m64, theta, H);
}

int nnobj_init(nnobj *ctx, objective *o, const model *m, const dataset *d, const size_t *idx,
               size_t k)
{
    memset(ctx, 0, sizeof *ctx);
    memset(o, 0, sizeof *o);
    if (k == 0 || k > d->n)
        return nn_err(NN_EINVAL, "objective: %zu examples requested from a set of %zu", k, d->n);
    int rc = model_data_check(m, d, idx, k, "the model");
    if (rc) return rc;
    if (2 * m->nlayers > OBJ_MAX_BLOCKS)
        return nn_err(NN_EINVAL, "objective: %d layers need more than %d blocks", m->nlayers,
                      OBJ_MAX_BLOCKS);
    if (idx) {
        for (size_t i = 0; i < k; i++)
            if (idx[i] >= d->n)
                return nn_err(NN_EINVAL, "objective: example index %zu (position %zu) is past "
                              "the %zu examples", idx[i], i, d->n);
        ctx->idx = malloc(k * sizeof *ctx->idx);
        if (!ctx->idx) return nn_err(NN_ENOMEM, "objective: cannot copy %zu indices", k);
        memcpy(ctx->idx, idx, k * sizeof *ctx->idx);
    }
    ctx->m = m;
    ctx->d = d;
    ctx->k = k;
    rc = workspace_alloc(&ctx->ws, m, k < NNOBJ_CAP ? (int)k : NNOBJ_CAP);
    if (!rc && (rc = hvp_ws_alloc(&ctx->hws, m, 0))) workspace_free(&ctx->ws);
    if (rc) {
        free(ctx->idx);
        memset(ctx, 0, sizeof *ctx);
        return rc;
    }
    o->n = m->n;
    o->value = nnobj_value;
    o->grad = nnobj_grad;
    o->hvp = nnobj_hvp;
    o->plane = nnobj_plane;
    o->grad64 = nnobj_grad64;
    o->hessian64 = nnobj_hessian64;
    o->ctx = ctx;
    for (int l = 0; l < m->nlayers; l++) {
        const layer *L = &m->layers[l];
        o->blocks[o->nblocks++] = (theta_block){L->w_off, L->out, L->in, 0, l};
        o->blocks[o->nblocks++] = (theta_block){L->b_off, L->out, 1, 1, l};
    }
    return NN_OK;
}

void nnobj_free(nnobj *ctx)
{
    workspace_free(&ctx->ws);
    hvp_ws_free(&ctx->hws);
    free(ctx->idx);
    if (ctx->m64) model64_free(ctx->m64);
    free(ctx->m64);
    memset(ctx, 0, sizeof *ctx);
}
