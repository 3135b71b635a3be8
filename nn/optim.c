/* The optimizer registry and the parts every optimizer shares: option checks,
 * one zeroed allocation for all θ-shaped state, global-norm gradient clipping
 * and the step counter. The update rules live in nn/optim_*.c. */
#include "optim.h"
#include "pool.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const optim_type optim_sgd, optim_momentum, optim_nesterov;
extern const optim_type optim_rmsprop;
extern const optim_type optim_adam, optim_adamw;

const optim_type *const optim_types[] = {
    &optim_sgd, &optim_momentum, &optim_nesterov,
    &optim_rmsprop,
    &optim_adam, &optim_adamw,
    NULL
};

const optim_type *optim_find(const char *name)
{
    if (!name) return NULL;
    for (int i = 0; optim_types[i]; i++)
        if (strcmp(optim_types[i]->name, name) == 0) return optim_types[i];
    return NULL;
}

/* "sgd, momentum, ..." for error messages, so they list what is accepted. */
static const char *optim_names(void)
{
    static _Thread_local char buf[256];
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; optim_types[i]; i++) {
        int w = snprintf(buf + len, sizeof buf - len, "%s%s", i ? ", " : "",
                         optim_types[i]->name);
        if (w < 0 || (size_t)w >= sizeof buf - len) break;
        len += (size_t)w;
    }
    return buf;
}

/* Checks shared by every type; type->init checks the options it reads. */
static int optim_opts_check(const optim_opts *p)
{
    if (!(isfinite(p->lr) && p->lr > 0))
        return nn_err(NN_EINVAL, "optimizer %s: lr = %g, must be > 0", p->type, p->lr);
    if (!(isfinite(p->weight_decay) && p->weight_decay >= 0))
        return nn_err(NN_EINVAL, "optimizer %s: weight_decay = %g, must be >= 0", p->type,
                      p->weight_decay);
    if (!(isfinite(p->clip_norm) && p->clip_norm >= 0))
        return nn_err(NN_EINVAL, "optimizer %s: clip_norm = %g, must be >= 0 (0 = off)",
                      p->type, p->clip_norm);
    return NN_OK;
}

int optim_new(optim *o, const optim_opts *opts, size_t n)
{
    int rc;
    memset(o, 0, sizeof *o);
    if (!opts) return nn_err(NN_EINVAL, "optimizer: no options");
    /* type[] comes from a config line: never trust it to be terminated. */
    if (!memchr(opts->type, '\0', sizeof opts->type))
        return nn_err(NN_EINVAL, "optimizer: type name longer than %zu characters",
                      sizeof opts->type - 1);
    const optim_type *ty = optim_find(opts->type);
    if (!ty)
        return nn_err(NN_EINVAL, "optimizer: unknown type '%s' (accepted: %s)", opts->type,
                      optim_names());
    if (ty->nstate < 0 || ty->nstate > OPTIM_MAX_STATE)
        return nn_err(NN_EINVAL, "optimizer %s: %d state buffers, at most %d", ty->name,
                      ty->nstate, OPTIM_MAX_STATE);
    if ((rc = optim_opts_check(opts)) != NN_OK) return rc;

    o->type = ty;
    o->opts = *opts;
    o->n = n;
    o->t = 0;
    if (ty->nstate > 0 && n > 0) {
        if (n > SIZE_MAX / sizeof(float) / (size_t)ty->nstate) {
            rc = nn_err(NN_ENOMEM, "optimizer %s: %zu parameters overflow the state size",
                        ty->name, n);
            goto fail;
        }
        /* One block, so a checkpoint or a reset walks it in one go. */
        float *block = calloc((size_t)ty->nstate * n, sizeof(float));
        if (!block) {
            rc = nn_err(NN_ENOMEM, "optimizer %s: cannot allocate %d x %zu floats of state",
                        ty->name, ty->nstate, n);
            goto fail;
        }
        for (int i = 0; i < ty->nstate; i++) o->state[i] = block + (size_t)i * n;
    }
    if (ty->init && (rc = ty->init(o)) != NN_OK) goto fail;
    return NN_OK;

fail:
    free(o->state[0]);
    memset(o, 0, sizeof *o);
    return rc;
}

/* ||g||_2 accumulated in double: float sums lose digits over ~10^5 terms. Eight
 * independent partial sums let gcc vectorize the reduction without -ffast-math
 * (it may not reorder one running sum) and hide the add latency. Squares of
 * floats cannot overflow a double, so the result is finite iff every g is. */
static double optim_grad_norm(const float *restrict g, size_t n)
{
    double acc[8] = {0};
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int k = 0; k < 8; k++) acc[k] += (double)g[i + k] * (double)g[i + k];
    for (; i < n; i++) acc[0] += (double)g[i] * (double)g[i];
    double s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    return sqrt(s);
}

typedef struct step_job {
    optim *o;
    float *theta, *g;
    double lr;
    float coef;                       /* clip factor, 1 = none */
    double sq[POOL_MAX_THREADS];      /* partial sums of squares */
} step_job;

static void step_norm_part(void *arg, int tid, int nthreads)
{
    step_job *j = arg;
    size_t lo, hi;
    pool_range(j->o->n, nthreads, tid, &lo, &hi);
    double r = optim_grad_norm(j->g + lo, hi - lo);
    j->sq[tid] = r * r;
}

/* The update rules are elementwise, so a thread applies the optimizer's own
 * step to a view of its range of θ, g and every state buffer. */
static void step_update_part(void *arg, int tid, int nthreads)
{
    step_job *j = arg;
    size_t lo, hi;
    pool_range(j->o->n, nthreads, tid, &lo, &hi);
    if (hi == lo) return;
    float *g = j->g + lo;
    if (j->coef < 1.0f)
        for (size_t i = 0; i < hi - lo; i++) g[i] *= j->coef;
    optim view = *j->o;
    view.n = hi - lo;
    for (int s = 0; s < j->o->type->nstate; s++) view.state[s] = j->o->state[s] + lo;
    j->o->type->step(&view, j->theta + lo, g, j->lr);
}

double optim_step(optim *o, float *theta, float *g, double lr)
{
    step_job j = {o, theta, g, lr, 1.0f, {0}};
    pool_run(step_norm_part, &j);
    double sq = 0;
    for (int t = 0; t < pool_threads(); t++) sq += j.sq[t]; /* fixed order */
    double norm = sqrt(sq);
    /* A NaN/inf gradient would poison θ and every state buffer for good; leave
     * all of it as it was and let the caller see the non-finite norm. */
    if (!isfinite(norm)) return norm;
    if (o->opts.clip_norm > 0) {
        /* torch.nn.utils.clip_grad_norm_: coef = max/(norm + 1e-6), applied
         * only when it shrinks (the 1e-6 keeps a zero gradient finite). */
        double coef = o->opts.clip_norm / (norm + 1e-6);
        if (coef < 1.0) j.coef = (float)coef;
    }
    pool_run(step_update_part, &j);
    o->t += 1;
    return norm;
}

void optim_free(optim *o)
{
    if (!o) return;
    if (o->type && o->type->free) o->type->free(o);
    free(o->state[0]);
    memset(o, 0, sizeof *o);
}

double optim_stability_limit(const optim_opts *opts, double lr)
{
    /* From the update's 2x2 iteration matrix on h(θ) = λθ²/2: the step
     * diverges once an eigenvalue passes -1. */
    double b = opts->momentum;
    if (!(lr > 0)) return NAN;
    if (!strcmp(opts->type, "sgd")) return 2.0 / lr;
    if (!strcmp(opts->type, "momentum")) return (2.0 + 2.0 * b) / lr;
    if (!strcmp(opts->type, "nesterov")) return (2.0 + 2.0 * b) / ((1.0 + 2.0 * b) * lr);
    return NAN;
}
