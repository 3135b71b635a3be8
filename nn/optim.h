/* Optimizers as a type table (after GSL's multimin): each optimizer is one
 * file defining an `optim_type`; adding one is adding that file and a line in
 * the list in nn/optim.c. All state is θ-shaped (length n), so it can be
 * checkpointed and resumed generically. */
#ifndef SADDLE_OPTIM_H
#define SADDLE_OPTIM_H

#include "nn.h"

#define OPTIM_MAX_STATE 2

typedef struct optim optim;

typedef struct optim_type {
    const char *name;                               /* "adam" */
    int nstate;                                     /* θ-shaped state buffers */
    const char *state_names[OPTIM_MAX_STATE];       /* checkpoint names: "exp_avg" */
    int (*init)(optim *o);                          /* validate options, zero state */
    /* One update of theta [n] with gradient g [n] (already clipped) at lr. */
    void (*step)(optim *o, float *theta, const float *g, double lr);
    void (*free)(optim *o);                         /* extra resources (may be NULL) */
} optim_type;

struct optim {
    const optim_type *type;
    optim_opts opts;
    size_t n;
    float *state[OPTIM_MAX_STATE];   /* [nstate][n], one allocation */
    long t;                          /* steps taken (Adam's bias correction) */
};

/* The registered optimizers, NULL-terminated. */
extern const optim_type *const optim_types[];
const optim_type *optim_find(const char *name);

/* Allocates state for n parameters and runs type->init. */
int optim_new(optim *o, const optim_opts *opts, size_t n);
/* Clips g (in place) to opts.clip_norm when set, then type->step; t += 1.
 * Returns the gradient norm before clipping. */
double optim_step(optim *o, float *theta, float *g, double lr);
void optim_free(optim *o);

/* The largest Hessian eigenvalue at which the update rule with step lr is
 * stable on a quadratic (the edge of stability): sgd 2/lr, momentum β
 * (2+2β)/lr, nesterov (2+2β)/((1+2β) lr); NAN for the adaptive rules
 * (rmsprop, adam, adamw), where no such fixed line exists. */
double optim_stability_limit(const optim_opts *opts, double lr);

/* SAM / ASAM (nn/optim_sam.c): the point the second gradient is taken at,
 * out = theta + ε̂ [n] from the gradient g [n] at theta: SAM ε̂ = ρ g/‖g‖,
 * ASAM ε̂ = ρ T² g/‖T g‖ with T = |θ| + η elementwise. ε̂ = 0 (ρ = 0 or a zero
 * gradient) copies theta bit for bit, so the second gradient equals the
 * first. Split across the pool. Returns ‖ε̂‖: NaN if g is not finite,
 * +inf when θ + ε̂ is not finite in float (the step overflowed). */
double optim_sam_point(const optim_opts *opts, size_t n, const float *theta, const float *g,
                       float *out);

#endif
