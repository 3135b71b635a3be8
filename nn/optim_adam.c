/* Adam as torch.optim.Adam ("adam": weight decay coupled into g as L2) and
 * torch.optim.AdamW ("adamw": θ *= 1 - lr*wd before the update), sharing one
 * loop. Bias corrections use the step number t+1 (o->t counts steps taken). */
#include "optim.h"

#include <math.h>

static int adam_init(optim *o)
{
    const optim_opts *p = &o->opts;
    const char *name = o->type->name;
    if (!(isfinite(p->beta1) && p->beta1 >= 0 && p->beta1 < 1))
        return nn_err(NN_EINVAL, "optimizer %s: beta1 = %g, must be in [0, 1)", name, p->beta1);
    /* beta2 = 1 would leave the bias correction 1 - beta2^t at 0 forever. */
    if (!(isfinite(p->beta2) && p->beta2 >= 0 && p->beta2 < 1))
        return nn_err(NN_EINVAL, "optimizer %s: beta2 = %g, must be in [0, 1)", name, p->beta2);
    /* eps = 0 turns a coordinate that has never had a gradient into 0/0. */
    if (!(isfinite(p->eps) && p->eps > 0))
        return nn_err(NN_EINVAL, "optimizer %s: eps = %g, must be > 0", name, p->eps);
    return NN_OK;
}

/* PyTorch's formula, with every per-step scalar done once in double:
 *   m = b1*m + (1-b1)*d        v = b2*v + (1-b2)*d*d
 *   denom = sqrt(v)/sqrt(1 - b2^k) + eps
 *   θ -= (lr/(1 - b1^k)) * m/denom,        k = t + 1
 * Dividing by sqrt(bc2) becomes a multiply by its reciprocal: one rounding
 * apart from PyTorch, and a division per element saved.
 * sqrtf keeps this loop scalar unless the build has -fno-math-errno (gcc
 * must otherwise call sqrtf for errno on negative input, element by element;
 * the optimize attribute does not lift that in gcc 12). */
static inline void adam_update(optim *o, float *restrict theta, const float *restrict g,
                               double lr, int decoupled)
{
    const size_t n = o->n;
    const optim_opts *p = &o->opts;
    const double k = (double)(o->t + 1);
    const double bc1 = 1.0 - pow(p->beta1, k), bc2 = 1.0 - pow(p->beta2, k);
    const float step = (float)(lr / bc1), inv_sqrt_bc2 = (float)(1.0 / sqrt(bc2));
    const float b1 = (float)p->beta1, one_m_b1 = (float)(1.0 - p->beta1);
    const float b2 = (float)p->beta2, one_m_b2 = (float)(1.0 - p->beta2);
    const float eps = (float)p->eps;
    const float wd = decoupled ? 0.0f : (float)p->weight_decay;
    const float keep = decoupled ? (float)(1.0 - lr * p->weight_decay) : 1.0f;
    float *restrict m = o->state[0];
    float *restrict v = o->state[1];

    for (size_t i = 0; i < n; i++) {
        float th = decoupled ? theta[i] * keep : theta[i];
        float d = decoupled ? g[i] : g[i] + wd * th;
        float mi = b1 * m[i] + one_m_b1 * d;
        float vi = b2 * v[i] + one_m_b2 * (d * d);
        m[i] = mi;
        v[i] = vi;
        theta[i] = th - step * (mi / (sqrtf(vi) * inv_sqrt_bc2 + eps));
    }
}

static void adam_step(optim *o, float *theta, const float *g, double lr)
{
    adam_update(o, theta, g, lr, 0);
}

static void adamw_step(optim *o, float *theta, const float *g, double lr)
{
    adam_update(o, theta, g, lr, 1);
}

const optim_type optim_adam = {
    .name = "adam", .nstate = 2, .state_names = {"exp_avg", "exp_avg_sq"},
    .init = adam_init, .step = adam_step, .free = NULL,
};

const optim_type optim_adamw = {
    .name = "adamw", .nstate = 2, .state_names = {"exp_avg", "exp_avg_sq"},
    .init = adam_init, .step = adamw_step, .free = NULL,
};
