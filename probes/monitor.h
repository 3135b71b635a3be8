/* The λmax monitor the trainer calls during training (train_hooks.monitor):
 * exact HVPs of the mean loss on the trainer's fixed subset through nnobj,
 * top eigenvalue by Lanczos warm-started from the previous call's vector. */
#ifndef SADDLE_MONITOR_H
#define SADDLE_MONITOR_H

#include "nnobj.h"

typedef struct lmax_monitor {
    nnobj ctx;           /* built on the first call, for the trainer's model and data */
    objective o;
    int ready;
    long calls;
    int last_steps;      /* Lanczos steps of the last estimate */
    int last_converged;  /* 1 when it met monitor.tol */
    double last_resid;   /* its Ritz residual */
} lmax_monitor;

/* A train_monitor_fn: user is a zero-initialized lmax_monitor. Lanczos with
 * k = 1, max_steps = monitor.steps, tol = monitor.tol, started from c->v (or
 * a Gaussian from c->seed when c->v is all zeros); the top Ritz vector goes
 * back into c->v. Deterministic for a fixed thread count. */
int lmax_monitor_fn(void *user, const train_monitor_call *c, double *lambda_max);
void lmax_monitor_free(lmax_monitor *mon);

#endif
