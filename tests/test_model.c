/* Model, activations and losses against an independent double-precision
 * reference written here with plain loops: values, and gradients by central
 * differences of that reference. */
#include <stdlib.h>
#include <string.h>

#include "../datasets/rng.h"
#include "../nn/nn.h"
#include "../nn/pool.h"
#include "nnref.h"
#include "test.h"

/* ---- independent reference (double, naive loops) ----------------------- */

/* Mean loss of the MLP at parameters p (double) over B examples; the smallest
 * |pre-activation| of a kinked activation goes to *minz (for choosing h). */
static void make_batch(int B, int in, int K, uint64_t seed, float *x, int32_t *y)
{
    for (size_t i = 0; i < (size_t)B * in; i++) x[i] = (float)rng_normal(seed, 7, i);
    for (int b = 0; b < B; b++) y[b] = (int32_t)rng_below(seed, 8, (uint64_t)b, (uint64_t)K);
}

/* Relative error ||g - fd|| / ||fd|| of the model's gradient against central
 * differences of the double reference; also checks the loss value. */
static double grad_rel_error(model *m, int B, uint64_t seed, double *gnorm)
{
    int in = m->spec.in, K = m->layers[m->nlayers - 1].out;
    float *x = malloc(sizeof(float) * (size_t)B * in);
    int32_t *y = malloc(sizeof(int32_t) * (size_t)B);
    make_batch(B, in, K, seed, x, y);
    model_init_params(m, seed);
    /* Small biases so relu units sit away from their kink on average. */
    workspace ws;
    CHECK_OK(workspace_alloc(&ws, m, B));
    float *g = malloc(sizeof(float) * m->n);
    double *p = malloc(sizeof(double) * m->n);
    for (size_t i = 0; i < m->n; i++) p[i] = m->theta[i];
    size_t correct = 0;
    double sum = model_batch(m, m->theta, x, y, B, 1.0f / B, g, 0, &correct, &ws);
    double minz = INFINITY;
    double ref = nnref_loss(m, p, x, y, B, &minz);
    CHECK_NEAR(sum / B, ref, 1e-5 * (1 + fabs(ref)));
    /* h small enough never to cross a relu kink: a parameter step of h moves
     * a pre-activation by at most h * (|input| + 1) <= h * 6 here. */
    double h = 1e-4;
    if (minz < 1e-2) h = minz / 100;
    if (h < 1e-7) h = 1e-7;
    double num = 0, den = 0;
    *gnorm = 0;
    for (size_t i = 0; i < m->n; i++) {
        double keep = p[i];
        p[i] = keep + h;
        double lp = nnref_loss(m, p, x, y, B, NULL);
        p[i] = keep - h;
        double lm = nnref_loss(m, p, x, y, B, NULL);
        p[i] = keep;
        double fd = (lp - lm) / (2 * h);
        num += (g[i] - fd) * (g[i] - fd);
        den += fd * fd;
    }
    *gnorm = sqrt(den);
    free(x);
    free(y);
    free(g);
    free(p);
    workspace_free(&ws);
    return sqrt(num / den);
}

/* Every activation in a hidden layer, both losses. Correct backward passes
 * measure at most 1.4e-7 here. Deliberately broken versions, measured once: tanh's
 * backward with (1 - a) for (1 - a^2) gives 0.41 (xent) and 0.50 (mse);
 * dropping the bias-gradient sum gives 0.57..0.88; halving the loss scale
 * gives 0.50. The 1e-3 tolerance separates them by orders of magnitude. */
TEST(gradient_every_activation_and_loss)
{
    for (int loss = 0; loss < LOSS_COUNT; loss++) {
        for (int act = 0; act < ACT_COUNT; act++) {
            model m;
            int widths[3] = {7, 6, 4};
            int acts[3] = {act, act, ACT_LINEAR};
            nnref_build(&m, 5, widths, acts, 3, loss);
            double gn, err = grad_rel_error(&m, 9, 11 + (uint64_t)act, &gn);
            CHECK_MSG(err < 1e-3, "%s/%s: relative gradient error %.3g", loss_name(loss),
                      act_name(act), err);
            CHECK_MSG(gn > 1e-2, "%s/%s: gradient norm %.3g is vacuous", loss_name(loss),
                      act_name(act), gn);
            model_free(&m);
        }
    }
}

/* Mixed activations in one network, a wider final layer and a single layer. */
TEST(gradient_mixed_and_single_layer)
{
    model m;
    int w1[4] = {8, 5, 6, 10};
    int a1[4] = {ACT_GELU, ACT_SIGMOID, ACT_SOFTPLUS, ACT_LINEAR};
    nnref_build(&m, 6, w1, a1, 4, LOSS_XENT);
    double gn, err = grad_rel_error(&m, 13, 5, &gn);
    CHECK_MSG(err < 1e-3 && gn > 1e-2, "mixed: err %.3g norm %.3g", err, gn);
    model_free(&m);
    int w2[1] = {3};
    int a2[1] = {ACT_LINEAR};
    nnref_build(&m, 4, w2, a2, 1, LOSS_MSE);
    err = grad_rel_error(&m, 5, 6, &gn);
    CHECK_MSG(err < 1e-3 && gn > 1e-2, "single: err %.3g norm %.3g", err, gn);
    model_free(&m);
}

/* Activation derivatives against central differences of the reference
 * functions in double, on a grid that avoids kinks. */
TEST(activation_derivatives)
{
    enum { N = 41 };
    float z[N], a[N], d1[N], d2[N], da[N], dz[N];
    for (int i = 0; i < N; i++) {
        z[i] = -4.05f + 0.2f * i;
        da[i] = 1.0f + 0.01f * i;
    }
    for (int act = 0; act < ACT_COUNT; act++) {
        float slope = 0.1f;
        act_forward(act, slope, N, z, a);
        act_deriv(act, slope, N, z, a, d1);
        act_second(act, slope, N, z, a, d2);
        act_backward(act, slope, N, z, a, da, dz);
        double h = 1e-4;
        for (int i = 0; i < N; i++) {
            double f0 = nnref_act(act, z[i], slope);
            double fp = nnref_act(act, z[i] + h, slope), fm = nnref_act(act, z[i] - h, slope);
            CHECK_NEAR(a[i], f0, 2e-6 * (1 + fabs(f0)));
            CHECK_NEAR(d1[i], (fp - fm) / (2 * h), 1e-5);
            CHECK_NEAR(d2[i], (fp - 2 * f0 + fm) / (h * h), 2e-4);
            CHECK_NEAR(dz[i], da[i] * d1[i], 1e-6);
        }
    }
}

/* Softmax cross-entropy and MSE on hand-computable logits. */
TEST(loss_closed_forms)
{
    float f[6] = {1.0f, 2.0f, 3.0f, 0.0f, 0.0f, 0.0f};
    int32_t y[2] = {2, 1};
    float df[6];
    size_t correct = 0;
    double s = loss_forward_backward(LOSS_XENT, 2, 3, f, y, 0.5f, df, &correct);
    double lse = log(exp(1.0) + exp(2.0) + exp(3.0));
    CHECK_NEAR(s, (lse - 3.0) + log(3.0), 1e-6);
    CHECK_NEAR(df[0], 0.5 * exp(1.0 - lse), 1e-7);
    CHECK_NEAR(df[2], 0.5 * (exp(3.0 - lse) - 1), 1e-7);
    CHECK_NEAR(df[4], 0.5 * (1.0 / 3 - 1), 1e-7);
    CHECK(correct == 1); /* ties go to the lowest index, like torch.argmax */
    correct = 0;
    s = loss_forward_backward(LOSS_MSE, 2, 3, f, y, 1.0f, df, &correct);
    CHECK_NEAR(s, 0.5 * (1 + 4 + 4) + 0.5 * (0 + 1 + 0), 1e-6);
    CHECK_NEAR(df[2], 2.0, 1e-7);
    CHECK_NEAR(df[4], -1.0, 1e-7);
    /* Large logits stay finite (log-sum-exp). */
    float big[3] = {1000.0f, -1000.0f, 999.0f};
    int32_t t = 2;
    s = loss_forward_backward(LOSS_XENT, 1, 3, big, &t, 1.0f, df, NULL);
    CHECK_NEAR(s, log(1 + exp(-1.0)) + 1.0, 1e-5);
}

/* model_eval over a subset in chunks equals one big batch, and leaves θ alone. */
TEST(eval_chunks_and_subsets)
{
    model m;
    int w[3] = {16, 16, 4};
    int a[3] = {ACT_TANH, ACT_RELU, ACT_LINEAR};
    nnref_build(&m, 8, w, a, 3, LOSS_XENT);
    model_init_params(&m, 3);
    dataset d = {0};
    d.n = 50;
    d.dim = 8;
    d.classes = 4;
    d.x = malloc(sizeof(float) * 50 * 8);
    d.y = malloc(sizeof(int32_t) * 50);
    make_batch(50, 8, 4, 9, d.x, d.y);
    workspace big, small;
    CHECK_OK(workspace_alloc(&big, &m, 50));
    CHECK_OK(workspace_alloc(&small, &m, 7));
    float *g1 = malloc(sizeof(float) * m.n), *g2 = malloc(sizeof(float) * m.n);
    float *theta2 = malloc(sizeof(float) * m.n);
    for (size_t i = 0; i < m.n; i++) theta2[i] = m.theta[i] * 0.5f;
    double acc1, acc2;
    double l1 = model_eval(&m, theta2, &d, NULL, 50, &acc1, g1, &big);
    double l2 = model_eval(&m, theta2, &d, NULL, 50, &acc2, g2, &small);
    CHECK_NEAR(l1, l2, 1e-6);
    CHECK_NEAR(acc1, acc2, 0);
    double worst = 0;
    for (size_t i = 0; i < m.n; i++) worst = fmax(worst, fabs(g1[i] - g2[i]));
    CHECK_MSG(worst < 1e-6, "chunked gradient differs by %.3g", worst);
    /* The model's own θ is untouched and differs from theta2. */
    CHECK(m.theta[0] != theta2[0] || m.theta[1] != theta2[1]);
    double l0 = model_eval(&m, m.theta, &d, NULL, 50, NULL, NULL, &small);
    CHECK(fabs(l0 - l1) > 1e-4);
    /* A subset by index equals a copied data set of those rows. */
    size_t idx[5] = {3, 17, 4, 49, 0};
    double ls = model_eval(&m, m.theta, &d, idx, 5, NULL, g1, &small);
    double lr = 0;
    for (int k = 0; k < 5; k++) lr += model_eval(&m, m.theta, &d, idx + k, 1, NULL, NULL, &small);
    CHECK_NEAR(ls, lr / 5, 1e-6);
    free(g1);
    free(g2);
    free(theta2);
    workspace_free(&big);
    workspace_free(&small);
    dataset_free(&d);
    model_free(&m);
}

/* Layout: W [out][in] then b [out], offsets contiguous; init bounds. */
TEST(layout_and_init)
{
    model m;
    int w[2] = {3, 2};
    int a[2] = {ACT_RELU, ACT_LINEAR};
    nnref_build(&m, 4, w, a, 2, LOSS_XENT);
    CHECK(m.n == 4 * 3 + 3 + 3 * 2 + 2);
    CHECK(m.layers[0].w_off == 0 && m.layers[0].b_off == 12);
    CHECK(m.layers[1].w_off == 15 && m.layers[1].b_off == 21);
    char arch[64];
    model_arch_string(&m, arch, sizeof arch);
    CHECK(strcmp(arch, "4-3relu-2") == 0);
    model_free(&m);
    /* PyTorch default init: |w|, |b| <= 1/sqrt(fan_in), spread over the range. */
    int w2[1] = {400};
    int a2[1] = {ACT_LINEAR};
    nnref_build(&m, 100, w2, a2, 1, LOSS_MSE);
    m.spec.init = INIT_TORCH;
    model_init_params(&m, 1);
    double mx = 0, var = 0;
    for (size_t i = 0; i < m.n; i++) {
        mx = fmax(mx, fabs(m.theta[i]));
        var += (double)m.theta[i] * m.theta[i];
    }
    var /= (double)m.n;
    CHECK(mx <= 0.1 + 1e-7 && mx > 0.099);
    CHECK_NEAR(var, 0.01 / 3, 0.0003); /* variance of U(-a, a) is a^2/3 */
    m.spec.init = INIT_HE;
    model_init_params(&m, 1);
    var = 0;
    for (size_t i = 0; i < 40000; i++) var += (double)m.theta[i] * m.theta[i];
    CHECK_NEAR(var / 40000, 2.0 / 100, 0.0015);
    model_free(&m);
}

/* A batch split across pool threads gives the serial loss, accuracy and
 * gradient up to summation order, for even and uneven splits, accumulating
 * or overwriting, and for batches too small to split. */
TEST(parallel_batch_equals_serial)
{
    model m;
    int w[3] = {40, 24, 5};
    int a[3] = {ACT_TANH, ACT_RELU, ACT_LINEAR};
    nnref_build(&m, 12, w, a, 3, LOSS_XENT);
    model_init_params(&m, 4);
    int Bs[4] = {100, 37, 15, 64};
    float *x = malloc(sizeof(float) * 100 * 12);
    int32_t *y = malloc(sizeof(int32_t) * 100);
    make_batch(100, 12, 5, 21, x, y);
    float *g1 = malloc(sizeof(float) * m.n), *g2 = malloc(sizeof(float) * m.n);
    for (int threads = 2; threads <= 3; threads++) {
        for (int k = 0; k < 4; k++) {
            int B = Bs[k];
            workspace ws;
            CHECK_OK(pool_set_threads(1));
            CHECK_OK(workspace_alloc(&ws, &m, 100));
            size_t c1 = 0, c2 = 0;
            for (size_t i = 0; i < m.n; i++) g1[i] = g2[i] = 0.25f;
            double l1 = model_batch(&m, m.theta, x, y, B, 1.0f / B, g1, k & 1, &c1, &ws);
            workspace_free(&ws);
            CHECK_OK(pool_set_threads(threads));
            CHECK_OK(workspace_alloc(&ws, &m, 100));
            CHECK(ws.nparts == threads);
            double l2 = model_batch(&m, m.theta, x, y, B, 1.0f / B, g2, k & 1, &c2, &ws);
            workspace_free(&ws);
            CHECK_NEAR(l1, l2, 1e-5 * fabs(l1));
            CHECK(c1 == c2);
            double worst = 0, norm = 0;
            for (size_t i = 0; i < m.n; i++) {
                worst = fmax(worst, fabs(g1[i] - g2[i]));
                norm = fmax(norm, fabs(g1[i]));
            }
            CHECK_MSG(worst < 1e-6 * (1 + norm), "T=%d B=%d: gradient differs by %.3g", threads,
                      B, worst);
        }
    }
    CHECK_OK(pool_set_threads(1));
    free(g1);
    free(g2);
    free(x);
    free(y);
    model_free(&m);
}
