/* The eigen solvers on a real network: the Hessian of a small tanh MLP,
 * assembled column by column from exact HVPs and decomposed densely, against
 * Lanczos' top-k and λmin and power iteration through the nn objective. */
#include <stdlib.h>
#include <string.h>

#include "../datasets/rng.h"
#include "../nn/nn.h"
#include "../nn/pool.h"
#include "../probes/hessian.h"
#include "../probes/nnobj.h"
#include "../probes/pca.h"
#include "nnref.h"
#include "test.h"

TEST(lanczos_matches_dense_hessian_of_mlp)
{
    nnref_hess f;
    CHECK_OK(nnref_hess_init(&f));
    const objective o = f.o;
    const model m = f.m;
    int n = f.n;
    const double *ev = f.ev;
    CHECK_MSG(ev[n - 1] < -1e-3 * ev[0], "the test wants an indefinite Hessian: lambda_min %.3g",
              ev[n - 1]);
    hess_lanczos_opts lo = {0};
    lo.k = 4;
    lo.want_min = 1;
    lo.tol = 1e-7;
    lo.seed = 5;
    hess_eig le = {0};
    CHECK_OK(hess_lanczos(&o, m.theta, &lo, &le));
    CHECK(le.converged);
    for (int i = 0; i < 4; i++)
        CHECK_MSG(fabs(le.eval[i] - ev[i]) <= 1e-4 * fabs(ev[0]), "lambda_%d: Lanczos %.8g, dense %.8g",
                  i + 1, le.eval[i], ev[i]);
    CHECK_MSG(fabs(le.lmin - ev[n - 1]) <= 1e-4 * fabs(ev[0]), "lambda_min: Lanczos %.8g, dense %.8g",
              le.lmin, ev[n - 1]);
    CHECK(le.hvps < n); /* fewer products than assembling H */
    hess_power_opts po = {0};
    po.k = 1;
    po.seed = 5;
    po.max_iter = 5000;
    hess_eig pe = {0};
    CHECK_OK(hess_power(&o, m.theta, &po, &pe));
    double top_mag = fabs(ev[0]) > fabs(ev[n - 1]) ? ev[0] : ev[n - 1];
    CHECK_MSG(fabs(pe.eval[0] - top_mag) <= 1e-4 * fabs(top_mag), "power %.8g, dense %.8g", pe.eval[0],
              top_mag);
    /* Hutchinson's estimate is within 4 standard errors of the dense trace. */
    double tr = 0;
    for (int i = 0; i < n; i++) tr += ev[i];
    hess_trace ht;
    CHECK_OK(hess_trace_hutchinson(&o, m.theta, 200, 9, &ht));
    CHECK_MSG(fabs(ht.estimate - tr) <= 4 * ht.se, "trace %.6g +- %.2g, dense %.6g", ht.estimate, ht.se, tr);
    hess_eig_free(&le);
    hess_eig_free(&pe);
    nnref_hess_free(&f);
}
