/* Learning-rate schedules: the lr of each optimizer step as a pure function of
 * the step number, so a resumed run gets the same lr as an uninterrupted one.
 * Linear warm-up, then constant, step decay or cosine annealing. */
#include "nn.h"

#include <math.h>

/* With W = round(warmup_epochs * steps_per_epoch) warm-up steps, E = steps
 * per epoch, T = total_steps and s the 0-based step:
 *
 *   s < W:     lr(s) = base * (s + 1) / W            (base/W ... base)
 *   constant:  lr(s) = base
 *   step:      lr(s) = base * gamma^floor((s / E) / step_epochs)
 *              (s counts from the start of the run, not from the end of
 *              warm-up: decay boundaries sit at whole multiples of
 *              step_epochs epochs whatever the warm-up)
 *   cosine:    lr(s) = min_lr + (base - min_lr) * (1 + cos(pi * k / K)) / 2
 *              with k = s - W and K = T - W, so lr(W) = base and lr(T) =
 *              min_lr; steps at or past T (k >= K) get min_lr.
 *
 * W is rounded to the nearest step rather than truncated so that e.g. 0.57
 * epochs of 100 steps, 56.99999999999999 in floating point, is 57.
 * A schedule with step_epochs <= 0 never decays; steps_per_epoch < 1 is
 * taken as 1. */
double sched_lr(const sched_opts *s, double base_lr, long step, long steps_per_epoch,
                long total_steps)
{
    if (step < 0) step = 0;
    if (steps_per_epoch < 1) steps_per_epoch = 1;
    const double E = (double)steps_per_epoch;
    /* The bound keeps lround defined for absurd (unvalidated) warm-ups. */
    const double wsteps = s->warmup_epochs > 0 ? fmin(s->warmup_epochs * E, 1e15) : 0;
    const long W = lround(wsteps);

    if (step < W) return base_lr * (double)(step + 1) / (double)W;

    switch (s->type) {
    case SCHED_STEP: {
        if (!(s->step_epochs > 0)) return base_lr;
        /* The 1e-9 puts a boundary that falls on a step (s/E a multiple of
         * step_epochs, e.g. 3/10/0.1 = 2.9999999999999996) on that step. */
        double drops = floor((double)step / E / s->step_epochs + 1e-9);
        return base_lr * pow(s->gamma, drops);
    }
    case SCHED_COSINE: {
        long K = total_steps - W, k = step - W;
        if (k >= K) return s->min_lr;
        const double pi = 3.14159265358979323846;
        return s->min_lr + (base_lr - s->min_lr) * (1.0 + cos(pi * (double)k / (double)K)) / 2.0;
    }
    case SCHED_CONSTANT:
    default:
        return base_lr;
    }
}
