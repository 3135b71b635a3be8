/* RMSprop as torch.optim.RMSprop (not centered): a running mean of g^2 scales
 * each coordinate's step, optionally through a momentum buffer. weight_decay
 * is coupled L2 (g += wd * θ first). */
#include "optim.h"

#include <math.h>

static int rmsprop_init(optim *o)
{
    const optim_opts *p = &o->opts;
    /* alpha = 1 would freeze square_avg at 0 and divide by eps forever. */
    if (!(isfinite(p->alpha) && p->alpha >= 0 && p->alpha < 1))
        return nn_err(NN_EINVAL, "optimizer rmsprop: alpha = %g, must be in [0, 1)", p->alpha);
    /* eps = 0 turns a coordinate that has never had a gradient into 0/0. */
    if (!(isfinite(p->eps) && p->eps > 0))
        return nn_err(NN_EINVAL, "optimizer rmsprop: eps = %g, must be > 0", p->eps);
    if (!(isfinite(p->momentum) && p->momentum >= 0 && p->momentum < 1))
        return nn_err(NN_EINVAL, "optimizer rmsprop: momentum = %g, must be in [0, 1)",
                      p->momentum);
    return NN_OK;
}

/* The loops vectorize only when the build has -fno-math-errno: otherwise gcc
 * must call sqrtf for errno on negative input, element by element (the
 * optimize attribute does not lift that in gcc 12). */
static void rmsprop_step(optim *o, float *restrict theta, const float *restrict g, double lr)
{
    const size_t n = o->n;
    const float a = (float)lr, wd = (float)o->opts.weight_decay;
    const float alpha = (float)o->opts.alpha, one_m_alpha = (float)(1.0 - o->opts.alpha);
    const float eps = (float)o->opts.eps, mu = (float)o->opts.momentum;
    float *restrict sa = o->state[0];
    float *restrict buf = o->state[1];

    /* PyTorch skips the buffer when momentum is 0; so do we (it stays zero). */
    if (o->opts.momentum > 0) {
        for (size_t i = 0; i < n; i++) {
            float d = g[i] + wd * theta[i];
            float s = alpha * sa[i] + one_m_alpha * (d * d);
            sa[i] = s;
            float b = mu * buf[i] + d / (sqrtf(s) + eps);
            buf[i] = b;
            theta[i] -= a * b;
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            float d = g[i] + wd * theta[i];
            float s = alpha * sa[i] + one_m_alpha * (d * d);
            sa[i] = s;
            theta[i] -= a * (d / (sqrtf(s) + eps));
        }
    }
}

const optim_type optim_rmsprop = {
    .name = "rmsprop", .nstate = 2, .state_names = {"square_avg", "momentum_buffer"},
    .init = rmsprop_init, .step = rmsprop_step, .free = NULL,
};
