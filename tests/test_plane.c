/* model_eval_plane against model_eval at every point of small grids (several
 * activations, losses, depths, thread counts, subsets, chunkings); the nn
 * objective against model_eval; the analytic objectives against closed forms. */
#include <stdlib.h>
#include <string.h>

#include "../datasets/rng.h"
#include "../nn/nn.h"
#include "../nn/pool.h"
#include "../probes/nnobj.h"
#include "../probes/objective_toy.h"
#include "nnref.h"
#include "test.h"

/* Tolerance on |plane - eval| / (1 + |eval|) for the mean loss. The correct
 * code measures at most 5.5e-9 over every case in this file (mean losses sum
 * in double, so per-example float rounding averages out); the broken versions
 * listed above plane_equals_eval_hidden_activations_xent measure >= 1e-3. */
#define PLANE_TOL 1e-7

/* A Gaussian direction whose every weight and bias block has the norm of the
 * same block of θ (so a = ±1 moves the model by its own size), restricted to
 * layers [l0, l1) and, when only_bias, to their biases. */
static void make_dir(const model *m, uint64_t seed, int l0, int l1, int only_bias, float *d)
{
    memset(d, 0, m->n * sizeof *d);
    for (int l = l0; l < l1; l++) {
        const layer *L = &m->layers[l];
        size_t off[2] = {L->w_off, L->b_off}, len[2] = {(size_t)L->out * L->in, (size_t)L->out};
        for (int k = only_bias ? 1 : 0; k < 2; k++) {
            double nt = 0, nd = 0;
            for (size_t i = 0; i < len[k]; i++) {
                d[off[k] + i] = (float)rng_normal(seed, RNG_DIRECTION, off[k] + i);
                nt += (double)m->theta[off[k] + i] * m->theta[off[k] + i];
                nd += (double)d[off[k] + i] * d[off[k] + i];
            }
            double s = nd > 0 ? sqrt(nt / nd) : 0;
            for (size_t i = 0; i < len[k]; i++) d[off[k] + i] = (float)(s * d[off[k] + i]);
        }
    }
}

/* θ0 + a d1 + b d2 formed in float, as model_eval_plane does. */
static void point_theta(const model *m, const float *d1, const float *d2, double a, double b,
                        float *th)
{
    float af = (float)a, bf = (float)b;
    for (size_t i = 0; i < m->n; i++)
        th[i] = d2 ? m->theta[i] + af * d1[i] + bf * d2[i] : m->theta[i] + af * d1[i];
}

typedef struct plane_case {
    const dataset *d;
    const size_t *idx;
    size_t k;
    const float *d1, *d2;
    int threads;
    size_t chunk;
} plane_case;

/* An 11-point grid (not a multiple of the 4-point groups) including (0, 0)
 * and points off the [-1, 1] square. */
#define NPTS 11
static const double GA[NPTS] = {0, 1, -1, 0.5, -0.25, 0.75, 1.5, 0, -1, 0.3, 2};
static const double GB[NPTS] = {0, 0, 1, -0.5, 0.75, 0.75, -1, 1, -1, 0.1, 0.4};

/* Worst relative loss error of the plane against model_eval over the grid;
 * worst accuracy difference in *acc_err; loss spread over the grid in *spread
 * (so a plane ignoring the directions cannot pass). */
static double plane_error(const model *m, const plane_case *c, double *acc_err, double *spread)
{
    CHECK_OK(pool_set_threads(c->threads));
    model_plane_set_chunk(c->chunk);
    double loss[NPTS], acc[NPTS];
    CHECK_OK(model_eval_plane(m, c->d, c->idx, c->k, m->theta, c->d1, c->d2, NPTS, GA, GB, loss,
                              acc));
    model_plane_set_chunk(0);
    /* The reference on one thread: the same for every case, and 3 threads
     * on a 2-core machine would make its many small batches crawl. */
    CHECK_OK(pool_set_threads(1));
    workspace ws;
    CHECK_OK(workspace_alloc(&ws, m, 256));
    float *th = malloc(m->n * sizeof *th);
    double worst = 0, lo = INFINITY, hi = -INFINITY;
    *acc_err = 0;
    for (int p = 0; p < NPTS; p++) {
        point_theta(m, c->d1, c->d2, GA[p], GB[p], th);
        double ea, e = model_eval(m, th, c->d, c->idx, c->k, &ea, NULL, &ws);
        double r = fabs(loss[p] - e) / (1 + fabs(e));
        worst = r > worst ? r : worst;
        *acc_err = fabs(acc[p] - ea) > *acc_err ? fabs(acc[p] - ea) : *acc_err;
        lo = e < lo ? e : lo;
        hi = e > hi ? e : hi;
    }
    *spread = hi - lo;
    free(th);
    workspace_free(&ws);
    return worst;
}

/* Checks one model on the whole matrix of cases: plane and line, 1/2/3
 * threads, first-k and an idx subset with repeats, one chunk per thread and
 * 7-row chunks. k = 1301 > 512 rows crosses sub-block boundaries inside a
 * chunk; 1301 and 997 are not multiples of 3, 7 or 16. */
static void check_model(const char *name, const model *m, const dataset *d)
{
    size_t kidx = 997;
    size_t *idx = malloc(kidx * sizeof *idx);
    for (size_t i = 0; i < kidx; i++) idx[i] = (size_t)rng_below(9, 9, i, d->n);
    float *d1 = malloc(m->n * sizeof *d1), *d2 = malloc(m->n * sizeof *d2);
    make_dir(m, 21, 0, m->nlayers, 0, d1);
    make_dir(m, 22, 0, m->nlayers, 0, d2);
    for (int threads = 1; threads <= 3; threads++) {
        for (int v = 0; v < 6; v++) {
            plane_case c = {d, v & 1 ? idx : NULL, v & 1 ? kidx : 1301, d1, v < 4 ? d2 : NULL,
                            threads, v & 2 ? 7 : 0};
            double ae, spread, err = plane_error(m, &c, &ae, &spread);
            CHECK_MSG(err <= PLANE_TOL, "%s, %d threads, case %d: relative loss error %.3g",
                      name, threads, v, err);
            /* One argmax may flip on a float-rounding tie. */
            CHECK_MSG(ae <= 1.0 / (double)c.k + 1e-12, "%s, %d threads, case %d: accuracy off by %.3g",
                      name, threads, v, ae);
            CHECK_MSG(spread > 0.05, "%s: loss spread %.3g over the grid is vacuous", name, spread);
        }
    }
    free(idx);
    free(d1);
    free(d2);
    CHECK_OK(pool_set_threads(1));
}

/* Deliberately broken versions, measured once each (worst relative loss
 * error in the relu / mse-deep / layer-restricted tests; accuracies were off
 * by up to 1.5% too):
 *   first layer's bias left unperturbed (Z1 = X D1^T without e1):
 *       0.016 / 0.041 / 0.0025 (the bias-only direction)
 *   b Z1 in place of b Z2: 0.054 / 0.15 / 0.0027
 *   layers >= 1 left at θ0: 0.29 / 0.60 / 0.073
 * against at most 5.5e-9 for the correct code and a tolerance of 1e-7. */
TEST(plane_equals_eval_hidden_activations_xent)
{
    dataset d = nnref_data(1400, 12, 5, 1, 1);
    int acts[] = {ACT_RELU, ACT_TANH, ACT_GELU, ACT_LEAKY_RELU, ACT_SIGMOID, ACT_SOFTPLUS};
    for (size_t i = 0; i < sizeof acts / sizeof acts[0]; i++) {
        model m;
        int w[3] = {16, 9, 5};
        int a[3] = {acts[i], acts[i], ACT_LINEAR};
        nnref_build(&m, 12, w, a, 3, LOSS_XENT);
        model_init_params(&m, 3);
        check_model(act_name(acts[i]), &m, &d);
        model_free(&m);
    }
    dataset_free(&d);
}

TEST(plane_equals_eval_mse_deep_and_single_layer)
{
    dataset d = nnref_data(1400, 12, 4, 2, 1);
    model m;
    int w4[4] = {20, 11, 7, 4};
    int a4[4] = {ACT_RELU, ACT_GELU, ACT_TANH, ACT_LINEAR};
    nnref_build(&m, 12, w4, a4, 4, LOSS_MSE);
    model_init_params(&m, 3);
    check_model("relu-gelu-tanh mse", &m, &d);
    model_free(&m);
    /* One layer: the whole net is the linear part; with and without an
     * activation on it. */
    int w1[1] = {4};
    int a1[1] = {ACT_LINEAR};
    nnref_build(&m, 12, w1, a1, 1, LOSS_XENT);
    model_init_params(&m, 3);
    check_model("single linear xent", &m, &d);
    model_free(&m);
    a1[0] = ACT_TANH;
    nnref_build(&m, 12, w1, a1, 1, LOSS_MSE);
    model_init_params(&m, 3);
    check_model("single tanh mse", &m, &d);
    model_free(&m);
    dataset_free(&d);
}

/* Directions that live only in the first layer's bias, only in the first
 * layer, or only in later layers: each part of the shortcut alone. */
TEST(plane_layer_restricted_directions)
{
    dataset d = nnref_data(300, 10, 3, 3, 1);
    model m;
    int w[3] = {14, 8, 3};
    int a[3] = {ACT_RELU, ACT_RELU, ACT_LINEAR};
    nnref_build(&m, 10, w, a, 3, LOSS_XENT);
    model_init_params(&m, 3);
    float *d1 = malloc(m.n * sizeof *d1), *d2 = malloc(m.n * sizeof *d2);
    struct { int l0, l1, bias; } r[] = {{0, 1, 1}, {0, 1, 0}, {1, 3, 0}};
    for (size_t i = 0; i < sizeof r / sizeof r[0]; i++) {
        make_dir(&m, 31, r[i].l0, r[i].l1, r[i].bias, d1);
        make_dir(&m, 32, r[i].l0, r[i].l1, r[i].bias, d2);
        for (int threads = 1; threads <= 2; threads++) {
            plane_case c = {&d, NULL, d.n, d1, d2, threads, 0};
            double ae, spread, err = plane_error(&m, &c, &ae, &spread);
            CHECK_MSG(err <= PLANE_TOL, "restriction %zu: relative loss error %.3g", i, err);
            CHECK_MSG(spread > 1e-3, "restriction %zu: loss spread %.3g is vacuous", i, spread);
        }
    }
    free(d1);
    free(d2);
    model_free(&m);
    dataset_free(&d);
    CHECK_OK(pool_set_threads(1));
}

/* The same thread count gives the same bits; another thread count the same
 * values to rounding. */
TEST(plane_deterministic_per_thread_count)
{
    dataset d = nnref_data(500, 8, 4, 4, 1);
    model m;
    int w[2] = {12, 4};
    int a[2] = {ACT_TANH, ACT_LINEAR};
    nnref_build(&m, 8, w, a, 2, LOSS_XENT);
    model_init_params(&m, 3);
    float *d1 = malloc(m.n * sizeof *d1), *d2 = malloc(m.n * sizeof *d2);
    make_dir(&m, 41, 0, 2, 0, d1);
    make_dir(&m, 42, 0, 2, 0, d2);
    double l1[NPTS], l2[NPTS], l3[NPTS];
    CHECK_OK(pool_set_threads(2));
    CHECK_OK(model_eval_plane(&m, &d, NULL, d.n, m.theta, d1, d2, NPTS, GA, GB, l1, NULL));
    CHECK_OK(model_eval_plane(&m, &d, NULL, d.n, m.theta, d1, d2, NPTS, GA, GB, l2, NULL));
    CHECK(memcmp(l1, l2, sizeof l1) == 0);
    CHECK_OK(pool_set_threads(1));
    CHECK_OK(model_eval_plane(&m, &d, NULL, d.n, m.theta, d1, d2, NPTS, GA, GB, l3, NULL));
    for (int p = 0; p < NPTS; p++) CHECK_NEAR(l3[p], l1[p], 1e-9 * (1 + fabs(l1[p])));
    free(d1);
    free(d2);
    model_free(&m);
    dataset_free(&d);
}

TEST(plane_rejects_bad_arguments)
{
    dataset d = nnref_data(50, 6, 3, 5, 1);
    model m;
    int w[2] = {5, 3};
    int a[2] = {ACT_RELU, ACT_LINEAR};
    nnref_build(&m, 6, w, a, 2, LOSS_XENT);
    model_init_params(&m, 3);
    float *dir = calloc(m.n, sizeof *dir);
    double loss[NPTS];
    size_t bad[2] = {3, 50};
    CHECK(model_eval_plane(&m, &d, NULL, 51, m.theta, dir, dir, 2, GA, GB, loss, NULL) == NN_EINVAL);
    CHECK(model_eval_plane(&m, &d, bad, 2, m.theta, dir, dir, 2, GA, GB, loss, NULL) == NN_EINVAL);
    CHECK(strstr(nn_errmsg(), "50") != NULL);
    CHECK(model_eval_plane(&m, &d, NULL, 5, m.theta, dir, dir, 2, GA, NULL, loss, NULL) == NN_EINVAL);
    CHECK(model_eval_plane(&m, &d, NULL, 5, m.theta, dir, dir, -1, GA, GB, loss, NULL) == NN_EINVAL);
    CHECK_OK(model_eval_plane(&m, &d, NULL, 5, m.theta, dir, dir, 0, GA, GB, loss, NULL));
    /* Zero directions: every point is θ0. */
    CHECK_OK(model_eval_plane(&m, &d, NULL, 50, m.theta, dir, dir, NPTS, GA, GB, loss, NULL));
    workspace ws;
    CHECK_OK(workspace_alloc(&ws, &m, 16));
    double e = model_eval(&m, m.theta, &d, NULL, 50, NULL, NULL, &ws);
    for (int p = 0; p < NPTS; p++) CHECK_NEAR(loss[p], e, 1e-6 * (1 + fabs(e)));
    workspace_free(&ws);
    free(dir);
    model_free(&m);
    dataset_free(&d);
}

/* ---- objectives ---------------------------------------------------------- */

TEST(nnobj_matches_model_eval)
{
    dataset d = nnref_data(1500, 9, 4, 6, 1);
    model m;
    int w[3] = {10, 7, 4};
    int a[3] = {ACT_TANH, ACT_RELU, ACT_LINEAR};
    nnref_build(&m, 9, w, a, 3, LOSS_XENT);
    model_init_params(&m, 3);
    size_t k = 1200;
    size_t *idx = malloc(k * sizeof *idx);
    for (size_t i = 0; i < k; i++) idx[i] = (i * 7) % d.n;
    for (int threads = 1; threads <= 2; threads++) {
        CHECK_OK(pool_set_threads(threads));
        nnobj ctx;
        objective o;
        CHECK_OK(nnobj_init(&ctx, &o, &m, &d, idx, k));
        idx[0] = 1; /* the objective keeps its own copy */
        CHECK(o.n == m.n && o.hvp != NULL && o.plane != NULL && o.ctx == &ctx);
        /* Blocks tile θ in order: W then b for each layer. */
        CHECK(o.nblocks == 2 * m.nlayers);
        size_t next = 0;
        for (int b = 0; b < o.nblocks; b++) {
            const theta_block *tb = &o.blocks[b];
            const layer *L = &m.layers[b / 2];
            CHECK(tb->off == next && tb->layer == b / 2 && tb->is_bias == (b & 1));
            CHECK(tb->rows == L->out && tb->cols == (tb->is_bias ? 1 : L->in));
            next += (size_t)tb->rows * tb->cols;
        }
        CHECK(next == m.n);
        idx[0] = 0;
        workspace ws;
        CHECK_OK(workspace_alloc(&ws, &m, NNOBJ_CAP));
        float *g1 = malloc(m.n * sizeof *g1), *g2 = malloc(m.n * sizeof *g2);
        double acc1, acc2;
        double v1 = o.value(o.ctx, m.theta, &acc1);
        double v2 = model_eval(&m, m.theta, &d, idx, k, &acc2, g2, &ws);
        double v3 = o.grad(o.ctx, m.theta, g1);
        CHECK(v1 == v2 && v3 == v2 && acc1 == acc2);
        double gn = 0;
        for (size_t i = 0; i < m.n; i++) {
            CHECK(g1[i] == g2[i]);
            gn += (double)g1[i] * g1[i];
        }
        CHECK_MSG(sqrt(gn) > 1e-2, "gradient norm %.3g is vacuous", sqrt(gn));
        /* plane() agrees with value() at the points. */
        float *d1 = malloc(m.n * sizeof *d1), *th = malloc(m.n * sizeof *th);
        make_dir(&m, 51, 0, m.nlayers, 0, d1);
        double loss[NPTS];
        CHECK_OK(o.plane(o.ctx, m.theta, d1, NULL, NPTS, GA, NULL, loss, NULL));
        for (int p = 0; p < NPTS; p++) {
            point_theta(&m, d1, NULL, GA[p], 0, th);
            double v = o.value(o.ctx, th, NULL);
            CHECK_NEAR(loss[p], v, PLANE_TOL * (1 + fabs(v)));
        }
        free(d1);
        free(th);
        free(g1);
        free(g2);
        workspace_free(&ws);
        nnobj_free(&ctx);
    }
    nnobj ctx;
    objective o;
    CHECK(nnobj_init(&ctx, &o, &m, &d, NULL, 0) == NN_EINVAL);
    CHECK(nnobj_init(&ctx, &o, &m, &d, NULL, d.n + 1) == NN_EINVAL);
    free(idx);
    model_free(&m);
    dataset_free(&d);
    CHECK_OK(pool_set_threads(1));
}

/* A quadratic with a random symmetric A: θ entries on a 2^-8 grid and a step
 * of 2^-6 keep θ ± h exact in float, and central differences of a quadratic
 * have no truncation error, so every check below is limited by the float
 * rounding of the outputs only. Measured (relative): gradient vs differences
 * 3.2e-8, hvp vs A v 4.2e-8, hvp vs differences of the gradient 1.8e-6,
 * plane vs value 9.4e-8; tolerances are 10-30x those. */
TEST(quadratic_objective_closed_forms)
{
    enum { N = 6 };
    double A[N * N], b[N];
    for (int i = 0; i < N; i++) {
        b[i] = rng_normal(7, 1, (uint64_t)i);
        for (int j = 0; j <= i; j++)
            A[i * N + j] = A[j * N + i] = rng_normal(7, 2, (uint64_t)(i * N + j)) + (i == j ? 3 : 0);
    }
    quadobj q;
    objective o;
    CHECK_OK(quadobj_init(&q, &o, N, A, b));
    CHECK(o.n == N && o.hvp && o.plane && o.nblocks == 0);
    float th[N], g[N], v[N], hv[N], gp[N], gm[N];
    for (int i = 0; i < N; i++) {
        th[i] = (float)(rint(256 * rng_normal(7, 3, (uint64_t)i)) / 256);
        v[i] = (float)(rint(256 * rng_normal(7, 4, (uint64_t)i)) / 256);
    }
    double f = o.grad(o.ctx, th, g), acc = -1;
    CHECK(o.value(o.ctx, th, &acc) == f && acc == 0);
    double fx = 0;
    for (int i = 0; i < N; i++) {
        double ax = 0;
        for (int j = 0; j < N; j++) ax += A[i * N + j] * th[j];
        fx += 0.5 * th[i] * ax + b[i] * th[i];
    }
    CHECK_NEAR(f, fx, 1e-12 * (1 + fabs(fx)));
    const float h = 1.0f / 64;
    double gn = 0;
    for (int i = 0; i < N; i++) {
        float keep = th[i];
        th[i] = keep + h;
        double fp = o.value(o.ctx, th, NULL);
        th[i] = keep - h;
        double fm = o.value(o.ctx, th, NULL);
        th[i] = keep;
        CHECK_NEAR(g[i], (fp - fm) / (2 * h), 1e-6 * (1 + fabs(g[i])));
        gn += (double)g[i] * g[i];
    }
    CHECK(sqrt(gn) > 0.1);
    o.hvp(o.ctx, th, v, hv);
    float tp[N], tm[N];
    for (int i = 0; i < N; i++) {
        tp[i] = th[i] + h * v[i];
        tm[i] = th[i] - h * v[i];
    }
    o.grad(o.ctx, tp, gp);
    o.grad(o.ctx, tm, gm);
    for (int i = 0; i < N; i++) {
        double av = 0;
        for (int j = 0; j < N; j++) av += A[i * N + j] * v[j];
        CHECK_NEAR(hv[i], av, 1e-6 * (1 + fabs(av)));
        CHECK_NEAR(hv[i], (gp[i] - gm[i]) / (2 * h), 2e-5 * (1 + fabs(av)));
    }
    /* plane() is the closed form along the plane; it equals value(). */
    double loss[NPTS], pacc[NPTS];
    CHECK_OK(o.plane(o.ctx, th, v, g, NPTS, GA, GB, loss, pacc));
    for (int p = 0; p < NPTS; p++) {
        float t[N];
        for (int i = 0; i < N; i++) t[i] = th[i] + (float)GA[p] * v[i] + (float)GB[p] * g[i];
        double e = o.value(o.ctx, t, NULL);
        CHECK_NEAR(loss[p], e, 1e-6 * (1 + fabs(e)));
        CHECK(pacc[p] == 0);
    }
    quadobj_free(&q);
    A[1] += 1; /* asymmetric */
    CHECK(quadobj_init(&q, &o, N, A, b) == NN_EINVAL);
}

/* Rosenbrock: zero at (a, a²); gradient and Hessian-vector product against
 * the closed form and central differences (smooth, so differences of the
 * gradient are a fair check here). Measured relative errors: gradient 1.2e-5
 * (truncation, h = 2^-10), hvp 5.9e-6. */
TEST(rosenbrock_objective_closed_forms)
{
    rosenobj r;
    objective o;
    rosenobj_init(&r, &o, 1.0, 100.0);
    CHECK(o.n == 2 && o.hvp && !o.plane);
    float mn[2] = {1.0f, 1.0f}, g[2];
    CHECK(o.value(o.ctx, mn, NULL) == 0.0);
    o.grad(o.ctx, mn, g);
    CHECK(g[0] == 0 && g[1] == 0);
    float th[2] = {-0.75f, 0.5f}, v[2] = {0.5f, -0.25f}, hv[2];
    double f = o.grad(o.ctx, th, g);
    CHECK_NEAR(f, 1.75 * 1.75 + 100 * (0.5 - 0.5625) * (0.5 - 0.5625), 1e-12);
    CHECK(fabs(g[0]) > 1 && fabs(g[1]) > 1);
    const double h = 1.0 / 1024;
    for (int i = 0; i < 2; i++) {
        float tp[2] = {th[0], th[1]}, tm[2] = {th[0], th[1]};
        tp[i] += (float)h;
        tm[i] -= (float)h;
        double fd = (o.value(o.ctx, tp, NULL) - o.value(o.ctx, tm, NULL)) / (2 * h);
        CHECK_NEAR(g[i], fd, 1e-4 * (1 + fabs(fd)));
    }
    o.hvp(o.ctx, th, v, hv);
    /* H at (-0.75, 0.5): hxx = 2 - 400 (0.5 - 0.5625) + 800 * 0.5625, hxy = 300, hyy = 200. */
    double hxx = 2 + 400 * 0.0625 + 450;
    CHECK_NEAR(hv[0], hxx * 0.5 + 300 * -0.25, 1e-3);
    CHECK_NEAR(hv[1], 300 * 0.5 + 200 * -0.25, 1e-3);
    float tp[2] = {th[0] + (float)h * v[0], th[1] + (float)h * v[1]};
    float tm[2] = {th[0] - (float)h * v[0], th[1] - (float)h * v[1]};
    float gp[2], gm[2];
    o.grad(o.ctx, tp, gp);
    o.grad(o.ctx, tm, gm);
    for (int i = 0; i < 2; i++)
        CHECK_NEAR(hv[i], (gp[i] - gm[i]) / (2 * h), 1e-4 * (1 + fabs(hv[i])));
}
