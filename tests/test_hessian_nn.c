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
#include "test.h"

TEST(lanczos_matches_dense_hessian_of_mlp)
{
    CHECK_OK(pool_set_threads(1));
    model_spec s;
    memset(&s, 0, sizeof s);
    s.in = 5;
    s.nlayers = 3;
    s.loss = LOSS_XENT;
    s.init = INIT_TORCH;
    int w[3] = {9, 7, 3}, act[3] = {ACT_TANH, ACT_SOFTPLUS, ACT_LINEAR};
    for (int l = 0; l < 3; l++) s.layers[l] = (layer_spec){w[l], act[l], -1};
    model m;
    CHECK_OK(model_build(&m, &s));
    model_init_params(&m, 3);
    /* Scale up the weights so the curvature is far from a multiple of I. */
    for (size_t i = 0; i < m.n; i++) m.theta[i] *= 2.0f;
    dataset d = {0};
    CHECK_OK(synth_make("blobs", 60, 3, 5, 1.0, 7, &d));
    nnobj ctx;
    objective o;
    CHECK_OK(nnobj_init(&ctx, &o, &m, &d, NULL, d.n));
    int n = (int)m.n;
    double *H = malloc(sizeof(double) * (size_t)n * n), *ev = malloc(sizeof(double) * n),
           *V = malloc(sizeof(double) * (size_t)n * n);
    float *e = calloc((size_t)n, sizeof(float)), *hv = malloc(sizeof(float) * n);
    for (int c = 0; c < n; c++) {
        e[c] = 1.0f;
        o.hvp(o.ctx, m.theta, e, hv);
        e[c] = 0.0f;
        for (int r = 0; r < n; r++) H[(size_t)r * n + c] = hv[r];
    }
    /* Symmetrize (the asymmetry is float rounding, checked in test_hvp). */
    for (int r = 0; r < n; r++)
        for (int c = r + 1; c < n; c++) {
            double a = 0.5 * (H[(size_t)r * n + c] + H[(size_t)c * n + r]);
            H[(size_t)r * n + c] = H[(size_t)c * n + r] = a;
        }
    CHECK_OK(pca_eigen_sym(n, H, ev, V));
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
    free(H);
    free(ev);
    free(V);
    free(e);
    free(hv);
    nnobj_free(&ctx);
    dataset_free(&d);
    model_free(&m);
}
