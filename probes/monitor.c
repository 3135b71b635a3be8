/* λmax during training: the hook behind [monitor]. It lives in probes/
 * because it needs the Lanczos solver, which nn/ may not include; the
 * trainer owns the subset and the warm-start vector and checkpoints them. */
#include "monitor.h"

#include <string.h>

#include "hessian.h"

int lmax_monitor_fn(void *user, const train_monitor_call *c, double *lambda_max)
{
    lmax_monitor *mon = user;
    int rc;
    if (!mon || !c || !c->m || !c->v)
        return nn_err(NN_EINVAL, "lambda_max monitor: missing arguments");
    if (!mon->ready) {
        if ((rc = nnobj_init(&mon->ctx, &mon->o, c->m, c->train, c->idx, c->k))) return rc;
        mon->ready = 1;
    } else if (mon->ctx.m != c->m || mon->ctx.d != c->train || mon->ctx.k != c->k) {
        return nn_err(NN_EINVAL, "lambda_max monitor: called for a different model or data");
    }
    size_t n = c->m->n;
    int warm = 0;
    for (size_t i = 0; i < n && !warm; i++) warm = c->v[i] != 0.0f;
    hess_lanczos_opts lo;
    memset(&lo, 0, sizeof lo);
    lo.k = 1;
    lo.max_steps = c->opts->steps < (long)n ? c->opts->steps : (int)n;
    lo.tol = c->opts->tol;
    lo.seed = c->seed;
    lo.start = warm ? c->v : NULL;
    lo.want_vectors = 1;
    hess_eig e = {0};
    if ((rc = hess_lanczos(&mon->o, c->m->theta, &lo, &e))) {
        hess_eig_free(&e);
        return rc;
    }
    *lambda_max = e.eval[0];
    memcpy(c->v, e.evec, n * sizeof *c->v);
    mon->calls++;
    mon->last_steps = e.steps;
    mon->last_converged = e.converged;
    mon->last_resid = e.resid[0];
    hess_eig_free(&e);
    return NN_OK;
}

void lmax_monitor_free(lmax_monitor *mon)
{
    if (!mon) return;
    if (mon->ready) nnobj_free(&mon->ctx);
    memset(mon, 0, sizeof *mon);
}
