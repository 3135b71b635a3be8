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

#endif
