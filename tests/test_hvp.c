/* Hessian-vector products (nn/hvp.c) against an independent double-precision
 * reference, the dense Hessian and its eigenvalues, relu nets through the
 * Gauss-Newton identity, thread counts, and forward-pass reuse. */
#include <stdlib.h>
#include <string.h>

#include "../datasets/rng.h"
#include "../nn/nn.h"
#include "../nn/pool.h"
#include "../probes/nnobj.h"
#include "../probes/pca.h"
#include "nnref.h"
#include "test.h"

/* ---- independent reference (double, naive loops) ----------------------- */

/* Reference Hv: central differences along v of the gradient, itself central
 * differences of the double loss. In double, with h = e = 1e-4, truncation
 * is O(h^2) ~ 1e-8 relative and rounding ~ 1e-16 / (4 h e) ~ 3e-9, so the
 * reference is some 100x more accurate than a float R-op can be. Differences
 * of model_eval's float gradient would instead need h ~ 1e-2 to beat its
 * rounding, and their truncation error would then hide a missing term. */
static void ref_hvp(const model *m, const float *theta, const dataset *d, const float *v,
                    double h, double *hv)
{
    double *p = malloc(sizeof(double) * m->n);
    for (size_t i = 0; i < m->n; i++) {
        double s[4];
        for (int c = 0; c < 4; c++) {
            double sv = c < 2 ? h : -h, se = c & 1 ? -h : h;
            for (size_t q = 0; q < m->n; q++) p[q] = (double)theta[q] + sv * v[q];
            p[i] += se;
            s[c] = nnref_loss(m, p, d->x, d->y, d->n, NULL);
        }
        hv[i] = (s[0] - s[1] - s[2] + s[3]) / (4 * h * h);
    }
    free(p);
}

static void rand_vec(float *v, size_t n, uint64_t seed)
{
    for (size_t i = 0; i < n; i++) v[i] = (float)rng_normal(seed, 31, i);
}

static double rel_err(const float *a, const double *b, size_t n)
{
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        num += (a[i] - b[i]) * (a[i] - b[i]);
        den += b[i] * b[i];
    }
    return sqrt(num / den);
}

/* One HVP on a fresh workspace (single thread unless the pool says otherwise). */
static double hvp1(const model *m, const float *theta, const dataset *d, const float *v, float *hv,
                   int gn)
{
    hvp_ws ws;
    CHECK_OK(hvp_ws_alloc(&ws, m, 0));
    double loss = model_hvp(m, theta, d, NULL, d->n, v, hv, gn, &ws);
    hvp_ws_free(&ws);
    return loss;
}

/* ---- (a) Hv against the double reference ------------------------------- */

/* Smooth activations, both losses, and a net whose output layer is itself
 * nonlinear. Correct R-op: relative errors 8e-8..4.4e-7 here. Deliberately
 * broken versions, measured once: without the f'' term 0.007 (mse/sigmoid)
 * .. 0.33; without the dz V_l and dzᵀ R{a} terms 0.17..1.0; the Gauss-Newton
 * product (both dropped) 0.17..1.1, checked below to stay > 1e-2 away. The
 * 1e-4 tolerance separates them by almost two orders of magnitude. */
TEST(hvp_matches_reference_smooth)
{
    int acts[4] = {ACT_TANH, ACT_SOFTPLUS, ACT_GELU, ACT_SIGMOID};
    for (int loss = 0; loss < LOSS_COUNT; loss++) {
        for (int ai = 0; ai < 5; ai++) {
            model m;
            int w[3] = {7, 6, 4};
            int a[3] = {ai < 4 ? acts[ai] : ACT_TANH, ai < 4 ? acts[ai] : ACT_GELU,
                        ai < 4 ? ACT_LINEAR : ACT_SIGMOID};
            nnref_build(&m, 5, w, a, 3, loss);
            model_init_params(&m, 11 + (uint64_t)ai);
            dataset d = nnref_data(9, 5, 4, 3 + (uint64_t)ai, 7);
            float *v = malloc(sizeof(float) * m.n), *hv = malloc(sizeof(float) * m.n);
            float *gv = malloc(sizeof(float) * m.n);
            double *ref = malloc(sizeof(double) * m.n);
            rand_vec(v, m.n, 5 + (uint64_t)ai);
            double lv = hvp1(&m, m.theta, &d, v, hv, 0);
            hvp1(&m, m.theta, &d, v, gv, 1);
            double *p = malloc(sizeof(double) * m.n);
            for (size_t i = 0; i < m.n; i++) p[i] = m.theta[i];
            CHECK_NEAR(lv, nnref_loss(&m, p, d.x, d.y, d.n, NULL), 1e-5);
            free(p);
            ref_hvp(&m, m.theta, &d, v, 1e-4, ref);
            double err = rel_err(hv, ref, m.n), gerr = rel_err(gv, ref, m.n);
            double norm = 0;
            for (size_t i = 0; i < m.n; i++) norm += ref[i] * ref[i];
            if (getenv("SADDLE_TEST_VERBOSE"))
                fprintf(stderr, "    %s/%s%s: Hv %.3g, GN %.3g\n", loss_name(loss),
                        act_name(a[0]), ai == 4 ? "+sigmoid out" : "", err, gerr);
            CHECK_MSG(err < 1e-4, "%s/%s: Hv relative error %.3g", loss_name(loss),
                      act_name(a[0]), err);
            CHECK_MSG(gerr > 1e-2, "%s/%s: Gauss-Newton within %.3g of H: test is vacuous",
                      loss_name(loss), act_name(a[0]), gerr);
            CHECK_MSG(sqrt(norm) > 1e-2, "%s/%s: |Hv| = %.3g", loss_name(loss), act_name(a[0]),
                      sqrt(norm));
            free(v);
            free(hv);
            free(gv);
            free(ref);
            dataset_free(&d);
            model_free(&m);
        }
    }
}

/* ---- (b) the dense Hessian ---------------------------------------------- */

/* H of a 102-parameter net from n HVPs: symmetric, equal to the dense
 * reference, eigenvalues equal to the reference's; G is PSD. Measured:
 * asymmetry 1.3e-7, distance to the reference 2.0e-7 (relative to max |H|),
 * eigenvalues 1.2e-7 (relative to λmax); G's λmin = -2.2e-8 λmax (float
 * rounding), H's λmin = -0.77 λmax. */
TEST(hvp_dense_hessian_and_eigenvalues)
{
    model m;
    int w[2] = {8, 6}, a[2] = {ACT_TANH, ACT_LINEAR};
    nnref_build(&m, 5, w, a, 2, LOSS_XENT);
    model_init_params(&m, 3);
    dataset d = nnref_data(12, 5, 6, 9, 7);
    int n = (int)m.n;
    CHECK(n == 102);
    double *H = malloc(sizeof(double) * (size_t)n * n), *G = malloc(sizeof(double) * (size_t)n * n);
    double *R = malloc(sizeof(double) * (size_t)n * n), *col = malloc(sizeof(double) * (size_t)n);
    double *wH = malloc(sizeof(double) * (size_t)n), *wG = malloc(sizeof(double) * (size_t)n);
    double *wR = malloc(sizeof(double) * (size_t)n), *V = malloc(sizeof(double) * (size_t)n * n);
    float *e = calloc((size_t)n, sizeof(float)), *hv = malloc(sizeof(float) * (size_t)n);
    hvp_ws ws;
    CHECK_OK(hvp_ws_alloc(&ws, &m, 0));
    for (int j = 0; j < n; j++) {
        e[j] = 1;
        model_hvp(&m, m.theta, &d, NULL, d.n, e, hv, 0, &ws);
        for (int i = 0; i < n; i++) H[(size_t)i * n + j] = hv[i];
        model_hvp(&m, m.theta, &d, NULL, d.n, e, hv, 1, &ws);
        for (int i = 0; i < n; i++) G[(size_t)i * n + j] = hv[i];
        ref_hvp(&m, m.theta, &d, e, 1e-4, col);
        for (int i = 0; i < n; i++) R[(size_t)i * n + j] = col[i];
        e[j] = 0;
    }
    CHECK(ws.forward_passes == 1 && ws.forward_reuses == 2 * n - 1);
    double hmax = 0, asym = 0, dist = 0;
    for (size_t i = 0; i < (size_t)n * n; i++) hmax = fmax(hmax, fabs(H[i]));
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            asym = fmax(asym, fabs(H[(size_t)i * n + j] - H[(size_t)j * n + i]));
            dist = fmax(dist, fabs(H[(size_t)i * n + j] - R[(size_t)i * n + j]));
        }
    CHECK_MSG(asym < 2e-6 * hmax, "asymmetry %.3g of max %.3g", asym, hmax);
    CHECK_MSG(dist < 1e-5 * hmax, "H vs reference %.3g of max %.3g", dist, hmax);
    /* Symmetrize (the eigen solver reads one triangle's worth of both). */
    for (int i = 0; i < n; i++)
        for (int j = 0; j < i; j++) {
            double h = 0.5 * (H[(size_t)i * n + j] + H[(size_t)j * n + i]);
            double g = 0.5 * (G[(size_t)i * n + j] + G[(size_t)j * n + i]);
            double r = 0.5 * (R[(size_t)i * n + j] + R[(size_t)j * n + i]);
            H[(size_t)i * n + j] = H[(size_t)j * n + i] = h;
            G[(size_t)i * n + j] = G[(size_t)j * n + i] = g;
            R[(size_t)i * n + j] = R[(size_t)j * n + i] = r;
        }
    CHECK_OK(pca_eigen_sym(n, H, wH, V));
    CHECK_OK(pca_eigen_sym(n, G, wG, V));
    CHECK_OK(pca_eigen_sym(n, R, wR, V));
    double ediff = 0;
    for (int k = 0; k < n; k++) ediff = fmax(ediff, fabs(wH[k] - wR[k]));
    CHECK_MSG(ediff < 1e-5 * wR[0], "eigenvalues differ by %.3g (λmax %.3g)", ediff, wR[0]);
    CHECK_MSG(wG[n - 1] >= -1e-6 * wG[0], "Gauss-Newton λmin %.3g, λmax %.3g", wG[n - 1], wG[0]);
    /* Not vacuous: the exact Hessian of this net is indefinite. */
    CHECK_MSG(wH[n - 1] < -1e-3 * wH[0], "H λmin %.3g, λmax %.3g", wH[n - 1], wH[0]);
    if (getenv("SADDLE_TEST_VERBOSE"))
        fprintf(stderr, "    asym %.3g dist %.3g eig %.3g (rel), Gmin/Gmax %.3g, Hmin/Hmax %.3g\n",
                asym / hmax, dist / hmax, ediff / wR[0], wG[n - 1] / wG[0], wH[n - 1] / wH[0]);
    hvp_ws_free(&ws);
    free(H), free(G), free(R), free(col), free(wH), free(wG), free(wR), free(V), free(e),
        free(hv);
    dataset_free(&d);
    model_free(&m);
}

/* ---- (c) relu nets ------------------------------------------------------- */

/* Finite differences of gradients break at relu kinks, so: (1) the last
 * layer is linear in its own parameters, hence H restricted to them equals
 * G restricted to them; (2) vᵀHw = wᵀHv; (3) with relu hidden layers H ≠ G
 * elsewhere (the dz V_l terms), and a one-layer (linear) model has H = G
 * exactly; (4) where no kink is within reach, the double reference agrees
 * (measured 1.6e-5 and 5e-6: h ~ 5e-6 there, so the reference's rounding
 * ~1e-16 / h^2 dominates; relu H is 0.84..0.96 away from G). */
TEST(hvp_relu_gauss_newton_identity_and_symmetry)
{
    for (int loss = 0; loss < LOSS_COUNT; loss++) {
        model m;
        int w[3] = {10, 8, 4}, a[3] = {ACT_RELU, ACT_LEAKY_RELU, ACT_LINEAR};
        nnref_build(&m, 6, w, a, 3, loss);
        model_init_params(&m, 17);
        dataset d = nnref_data(20, 6, 4, 5, 7);
        const layer *Lz = &m.layers[2];
        size_t off = Lz->w_off, len = m.n - off;
        float *v = calloc(m.n, sizeof(float)), *w2 = malloc(sizeof(float) * m.n);
        float *hv = malloc(sizeof(float) * m.n), *gv = malloc(sizeof(float) * m.n);
        float *hw = malloc(sizeof(float) * m.n);
        rand_vec(v + off, len, 1);
        hvp1(&m, m.theta, &d, v, hv, 0);
        hvp1(&m, m.theta, &d, v, gv, 1);
        double worst = 0, norm = 0;
        for (size_t i = off; i < m.n; i++) {
            worst = fmax(worst, fabs(hv[i] - gv[i]));
            norm = fmax(norm, fabs(gv[i]));
        }
        CHECK_MSG(worst <= 1e-6 * norm && norm > 1e-3, "%s: last block H vs G %.3g (max %.3g)",
                  loss_name(loss), worst, norm);
        rand_vec(v, m.n, 2);
        rand_vec(w2, m.n, 3);
        hvp1(&m, m.theta, &d, v, hv, 0);
        hvp1(&m, m.theta, &d, w2, hw, 0);
        double vhw = 0, whv = 0, mag = 0;
        for (size_t i = 0; i < m.n; i++) {
            vhw += (double)v[i] * hw[i];
            whv += (double)w2[i] * hv[i];
            mag += fabs((double)v[i] * hw[i]);
        }
        CHECK_MSG(fabs(vhw - whv) < 1e-5 * mag, "%s: vᵀHw %.9g vs wᵀHv %.9g", loss_name(loss), vhw,
                  whv);
        hvp1(&m, m.theta, &d, v, gv, 1);
        double *ref = malloc(sizeof(double) * m.n), *p = malloc(sizeof(double) * m.n);
        double dn = 0, dd = 0;
        for (size_t i = 0; i < m.n; i++) {
            dd += (hv[i] - gv[i]) * (double)(hv[i] - gv[i]);
            dn += (double)hv[i] * hv[i];
        }
        CHECK_MSG(sqrt(dd / dn) > 1e-2, "%s: relu H within %.3g of G", loss_name(loss),
                  sqrt(dd / dn));
        /* (4): a step of h moves a pre-activation by at most h |v|max (|a| + 1)
         * summed over inputs: keep it well under the nearest kink. */
        for (size_t i = 0; i < m.n; i++) p[i] = m.theta[i];
        double minz = INFINITY;
        nnref_loss(&m, p, d.x, d.y, d.n, &minz);
        double h = fmin(1e-4, minz / 1e3);
        if (h > 1e-6) {
            ref_hvp(&m, m.theta, &d, v, h, ref);
            double err = rel_err(hv, ref, m.n);
            CHECK_MSG(err < 1e-3, "%s: relu Hv vs reference %.3g (h %.3g)", loss_name(loss), err, h);
            if (getenv("SADDLE_TEST_VERBOSE"))
                fprintf(stderr, "    relu %s: Hv vs reference %.3g (h %.3g), H vs G %.3g\n",
                        loss_name(loss), err, h, sqrt(dd / dn));
        }
        free(ref), free(p), free(v), free(w2), free(hv), free(gv), free(hw);
        dataset_free(&d);
        model_free(&m);
    }
    /* One linear layer: no f'', no dz V: the exact product is the GN one. */
    model m;
    int w[1] = {3}, a[1] = {ACT_LINEAR};
    nnref_build(&m, 4, w, a, 1, LOSS_XENT);
    model_init_params(&m, 2);
    dataset d = nnref_data(7, 4, 3, 2, 7);
    float *v = malloc(sizeof(float) * m.n), *hv = malloc(sizeof(float) * m.n);
    float *gv = malloc(sizeof(float) * m.n);
    rand_vec(v, m.n, 4);
    hvp1(&m, m.theta, &d, v, hv, 0);
    hvp1(&m, m.theta, &d, v, gv, 1);
    CHECK(memcmp(hv, gv, sizeof(float) * m.n) == 0);
    free(v), free(hv), free(gv);
    dataset_free(&d);
    model_free(&m);
}

/* ---- (d) thread counts, (e) forward reuse -------------------------------- */

/* A subset crossing chunk boundaries (chunk 64, uneven thread shares). */
static size_t *make_idx(size_t k, size_t n)
{
    size_t *idx = malloc(k * sizeof *idx);
    for (size_t i = 0; i < k; i++) idx[i] = (i * 37 + 5) % n;
    return idx;
}

TEST(hvp_thread_counts_agree)
{
    model m;
    int w[3] = {16, 16, 5}, a[3] = {ACT_TANH, ACT_RELU, ACT_LINEAR};
    nnref_build(&m, 12, w, a, 3, LOSS_XENT);
    model_init_params(&m, 8);
    dataset d = nnref_data(400, 12, 5, 4, 7);
    size_t k = 301, *idx = make_idx(k, d.n);
    float *v = malloc(sizeof(float) * m.n), *h[3], *g[3];
    rand_vec(v, m.n, 6);
    double loss[3];
    for (int t = 0; t < 3; t++) {
        h[t] = malloc(sizeof(float) * m.n);
        g[t] = malloc(sizeof(float) * m.n);
        CHECK_OK(pool_set_threads(t + 1));
        hvp_ws ws;
        CHECK_OK(hvp_ws_alloc(&ws, &m, 64));
        CHECK(ws.nparts == t + 1);
        loss[t] = model_hvp(&m, m.theta, &d, idx, k, v, h[t], 0, &ws);
        model_hvp(&m, m.theta, &d, idx, k, v, g[t], 1, &ws);
        hvp_ws_free(&ws);
    }
    CHECK_OK(pool_set_threads(1));
    for (int t = 1; t < 3; t++) {
        double worst = 0, norm = 0, gworst = 0, gnorm = 0;
        for (size_t i = 0; i < m.n; i++) {
            worst = fmax(worst, fabs(h[t][i] - h[0][i]));
            norm = fmax(norm, fabs(h[0][i]));
            gworst = fmax(gworst, fabs(g[t][i] - g[0][i]));
            gnorm = fmax(gnorm, fabs(g[0][i]));
        }
        CHECK_MSG(worst < 1e-5 * norm, "T=%d: Hv differs by %.3g (max %.3g)", t + 1, worst, norm);
        CHECK_MSG(gworst < 1e-5 * gnorm, "T=%d: Gv differs by %.3g", t + 1, gworst);
        CHECK_NEAR(loss[t], loss[0], 1e-6 * loss[0]);
    }
    for (int t = 0; t < 3; t++) free(h[t]), free(g[t]);
    free(v), free(idx);
    dataset_free(&d);
    model_free(&m);
}

static int same(const float *a, const float *b, size_t n)
{
    return memcmp(a, b, n * sizeof *a) == 0;
}

TEST(hvp_forward_reuse_is_bit_identical)
{
    model m;
    int w[3] = {16, 12, 5}, a[3] = {ACT_GELU, ACT_SOFTPLUS, ACT_LINEAR};
    nnref_build(&m, 10, w, a, 3, LOSS_XENT);
    model_init_params(&m, 12);
    dataset d = nnref_data(500, 10, 5, 6, 7);
    size_t k = 333, *idx = make_idx(k, d.n);
    size_t n = m.n;
    float *v1 = malloc(sizeof(float) * n), *v2 = malloc(sizeof(float) * n);
    float *warm = malloc(sizeof(float) * n), *cold = malloc(sizeof(float) * n);
    float *other = malloc(sizeof(float) * n), *th = malloc(sizeof(float) * n);
    rand_vec(v1, n, 1);
    rand_vec(v2, n, 2);
    memcpy(th, m.theta, sizeof(float) * n);
    CHECK_OK(pool_set_threads(2));
    hvp_ws ws, ws2;
    CHECK_OK(hvp_ws_alloc(&ws, &m, 64));
    CHECK_OK(hvp_ws_alloc(&ws2, &m, 64));
    for (int gn = 0; gn <= 1; gn++) {
        hvp_ws_invalidate(&ws);
        long passes = ws.forward_passes, reuses = ws.forward_reuses;
        double l1 = model_hvp(&m, th, &d, idx, k, v1, other, gn, &ws);
        double l2 = model_hvp(&m, th, &d, idx, k, v2, warm, gn, &ws);
        CHECK(ws.forward_passes == passes + 1 && ws.forward_reuses == reuses + 1);
        CHECK(l1 == l2);
        hvp_ws_invalidate(&ws);
        double l3 = model_hvp(&m, th, &d, idx, k, v2, cold, gn, &ws);
        CHECK(l3 == l1 && same(warm, cold, n));
        /* No cache at all: recomputed chunk by chunk, still the same bits. */
        hvp_ws_set_cache_limit(&ws2, 0);
        model_hvp(&m, th, &d, idx, k, v2, other, gn, &ws2);
        model_hvp(&m, th, &d, idx, k, v2, other, gn, &ws2);
        CHECK(ws2.forward_reuses == 0 && same(other, cold, n));
        hvp_ws_set_cache_limit(&ws2, (size_t)1 << 30);
    }
    /* θ changed in place (same pointer) or another subset: recomputed. */
    th[3] += 0.25f;
    long passes = ws.forward_passes;
    model_hvp(&m, th, &d, idx, k, v1, warm, 0, &ws);
    CHECK(ws.forward_passes == passes + 1);
    model_hvp(&m, th, &d, idx, k, v1, cold, 0, &ws2);
    CHECK(same(warm, cold, n));
    model_hvp(&m, th, &d, NULL, k, v1, warm, 0, &ws);
    CHECK(ws.forward_passes == passes + 2);
    idx[7] = 1;
    model_hvp(&m, th, &d, idx, k, v1, warm, 0, &ws);
    CHECK(ws.forward_passes == passes + 3);
    /* The loss returned is model_eval's. */
    workspace ew;
    CHECK_OK(workspace_alloc(&ew, &m, 128));
    double le = model_eval(&m, th, &d, idx, k, NULL, NULL, &ew);
    double lh = model_hvp(&m, th, &d, idx, k, v1, warm, 0, &ws);
    CHECK_NEAR(lh, le, 1e-6 * le);
    workspace_free(&ew);
    hvp_ws_free(&ws);
    hvp_ws_free(&ws2);
    CHECK_OK(pool_set_threads(1));
    free(v1), free(v2), free(warm), free(cold), free(other), free(th), free(idx);
    dataset_free(&d);
    model_free(&m);
}

/* The objective's hvp is model_hvp, exact or Gauss-Newton by the flag. */
TEST(hvp_nnobj)
{
    model m;
    int w[2] = {9, 4}, a[2] = {ACT_TANH, ACT_LINEAR};
    nnref_build(&m, 6, w, a, 2, LOSS_MSE);
    model_init_params(&m, 1);
    dataset d = nnref_data(100, 6, 4, 1, 7);
    nnobj ctx;
    objective o;
    CHECK_OK(nnobj_init(&ctx, &o, &m, &d, NULL, 80));
    CHECK(o.hvp != NULL);
    float *v = malloc(sizeof(float) * m.n), *h1 = malloc(sizeof(float) * m.n);
    float *h2 = malloc(sizeof(float) * m.n);
    rand_vec(v, m.n, 3);
    for (int gn = 0; gn <= 1; gn++) {
        ctx.gauss_newton = gn;
        o.hvp(o.ctx, m.theta, v, h1);
        hvp_ws ws;
        CHECK_OK(hvp_ws_alloc(&ws, &m, 0));
        model_hvp(&m, m.theta, &d, NULL, 80, v, h2, gn, &ws);
        hvp_ws_free(&ws);
        CHECK(same(h1, h2, m.n));
    }
    nnobj_free(&ctx);
    free(v), free(h1), free(h2);
    dataset_free(&d);
    model_free(&m);
}
