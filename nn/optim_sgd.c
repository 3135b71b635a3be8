/* Stochastic gradient descent as torch.optim.SGD with dampening 0: "sgd"
 * (plain), "momentum" (heavy ball) and "nesterov", one update loop
 * specialized three ways. weight_decay is coupled L2: g += wd * θ first. */
#include "optim.h"

#include <math.h>

enum { SGD_PLAIN, SGD_HEAVY, SGD_NESTEROV };

static int sgd_init(optim *o)
{
    /* Plain sgd never reads momentum, so a config default meant for the
     * other two does not make it fail. */
    if (o->type->nstate == 0) return NN_OK;
    double mu = o->opts.momentum;
    if (!(isfinite(mu) && mu > 0 && mu < 1))
        return nn_err(NN_EINVAL, "optimizer %s: momentum = %g, must be in (0, 1)%s",
                      o->type->name, mu, mu == 0 ? " (use type sgd for none)" : "");
    return NN_OK;
}

/* variant is a constant at each call site below, so the inlined loop keeps
 * no branch and vectorizes. The zeroed buffer makes the first heavy-ball step
 * buf = 0*mu + d = d exactly, which is PyTorch's buf = clone(d). */
static inline void sgd_update(optim *o, float *restrict theta, const float *restrict g,
                              double lr, int variant)
{
    const size_t n = o->n;
    const float a = (float)lr, wd = (float)o->opts.weight_decay;
    const float mu = (float)o->opts.momentum;
    float *restrict buf = o->state[0];

    if (variant == SGD_PLAIN) {
        for (size_t i = 0; i < n; i++) {
            float d = g[i] + wd * theta[i];
            theta[i] -= a * d;
        }
    } else if (variant == SGD_HEAVY) {
        for (size_t i = 0; i < n; i++) {
            float d = g[i] + wd * theta[i];
            float b = mu * buf[i] + d;
            buf[i] = b;
            theta[i] -= a * b;
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            float d = g[i] + wd * theta[i];
            float b = mu * buf[i] + d;
            buf[i] = b;
            theta[i] -= a * (d + mu * b);
        }
    }
}

static void sgd_step_plain(optim *o, float *theta, const float *g, double lr)
{
    sgd_update(o, theta, g, lr, SGD_PLAIN);
}

static void sgd_step_heavy(optim *o, float *theta, const float *g, double lr)
{
    sgd_update(o, theta, g, lr, SGD_HEAVY);
}

static void sgd_step_nesterov(optim *o, float *theta, const float *g, double lr)
{
    sgd_update(o, theta, g, lr, SGD_NESTEROV);
}

const optim_type optim_sgd = {
    .name = "sgd", .nstate = 0, .state_names = {NULL, NULL},
    .init = sgd_init, .step = sgd_step_plain, .free = NULL,
};

const optim_type optim_momentum = {
    .name = "momentum", .nstate = 1, .state_names = {"momentum_buffer", NULL},
    .init = sgd_init, .step = sgd_step_heavy, .free = NULL,
};

const optim_type optim_nesterov = {
    .name = "nesterov", .nstate = 1, .state_names = {"momentum_buffer", NULL},
    .init = sgd_init, .step = sgd_step_nesterov, .free = NULL,
};
