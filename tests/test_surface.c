/* Grids along directions against a closed form: a quadratic with known A,
 * interrupted-and-resumed grids, rank splits and the interpolation barrier. */
#include <stdlib.h>
#include <string.h>

#include "../datasets/status.h"
#include "../probes/surface.h"
#include "test.h"

enum { QN = 4 };
/* f(θ) = ½ θᵀAθ + bᵀθ with a fixed symmetric A. */
static const double QA[QN][QN] = {{4, 1, 0, 0}, {1, 3, 0.5, 0}, {0, 0.5, -2, 0}, {0, 0, 0, 1}};
static const double QB[QN] = {0.5, -1, 0, 2};

static double quad(const float *t)
{
    double f = 0;
    for (int i = 0; i < QN; i++) {
        f += QB[i] * t[i];
        for (int j = 0; j < QN; j++) f += 0.5 * t[i] * QA[i][j] * t[j];
    }
    return f;
}

static int calls;
static double q_value(void *ctx, const float *theta, double *acc)
{
    calls++;
    if (acc) *acc = 0.5;
    return quad(theta);
}

static void q_objective(objective *o)
{
    memset(o, 0, sizeof *o);
    o->n = QN;
    o->value = q_value;
}

/* Along θ0 + x d1 + y d2 the quadratic is exactly
 * f(θ0) + x gᵀd1 + y gᵀd2 + ½x² d1ᵀAd1 + xy d1ᵀAd2 + ½y² d2ᵀAd2, g = Aθ0 + b. */
static double closed(const float *t0, const float *d1, const float *d2, double x, double y)
{
    double g[QN], f = quad(t0), gd1 = 0, gd2 = 0, a11 = 0, a12 = 0, a22 = 0;
    for (int i = 0; i < QN; i++) {
        g[i] = QB[i];
        for (int j = 0; j < QN; j++) g[i] += QA[i][j] * t0[j];
    }
    for (int i = 0; i < QN; i++) {
        gd1 += g[i] * d1[i];
        gd2 += g[i] * d2[i];
        for (int j = 0; j < QN; j++) {
            a11 += d1[i] * QA[i][j] * d1[j];
            a12 += d1[i] * QA[i][j] * d2[j];
            a22 += d2[i] * QA[i][j] * d2[j];
        }
    }
    return f + x * gd1 + y * gd2 + 0.5 * x * x * a11 + x * y * a12 + 0.5 * y * y * a22;
}

static const float T0[QN] = {0.5f, -0.25f, 1.0f, 0.125f};
static const float D1[QN] = {1.0f, 0.0f, 0.5f, -0.5f};
static const float D2[QN] = {0.0f, 1.0f, -0.25f, 0.5f};

TEST(surface_matches_closed_form)
{
    objective o;
    q_objective(&o);
    grid_spec g;
    CHECK_OK(grid_parse("7x5", "-1:1,-0.5:1.5", 2, &g));
    CHECK(g.nx == 7 && g.ny == 5 && g.y1 == 1.5);
    surface s;
    CHECK_OK(surface_alloc(&s, &g));
    CHECK_OK(surface_eval(&o, T0, D1, D2, &s, 4, 0, 1, NULL, NULL));
    CHECK(surface_remaining(&s) == 0);
    for (int j = 0; j < g.ny; j++)
        for (int i = 0; i < g.nx; i++) {
            double want = closed(T0, D1, D2, grid_x(&g, i), grid_y(&g, j));
            CHECK_NEAR(s.loss[j * g.nx + i], want, 1e-5 * (1 + fabs(want)));
        }
    /* Grid point (x=0, y=0): 7x5 on -1:1 has x = 0 at i = 3; y = 0 is not on
     * -0.5:1.5 with 5 points (step 0.5): y = 0 at j = 1. */
    CHECK_NEAR(s.loss[1 * 7 + 3], quad(T0), 1e-6);
    surface_free(&s);
}

static int stop_after_first(void *user, const surface *s, size_t done, size_t total)
{
    int *n = user;
    return ++*n == 1 ? NN_EIO : NN_OK;
}

TEST(surface_resumes_and_splits_by_rank)
{
    objective o;
    q_objective(&o);
    grid_spec g;
    CHECK_OK(grid_parse("9", "-2:2", 2, &g));
    surface full, part, r0, r1;
    CHECK_OK(surface_alloc(&full, &g));
    CHECK_OK(surface_eval(&o, T0, D1, D2, &full, 10, 0, 1, NULL, NULL));
    /* Interrupted after one block of 10, then resumed: only the rest is computed. */
    CHECK_OK(surface_alloc(&part, &g));
    int n = 0;
    CHECK(surface_eval(&o, T0, D1, D2, &part, 10, 0, 1, stop_after_first, &n) == NN_EIO);
    CHECK(surface_remaining(&part) == 81 - 10);
    CHECK(isnan(part.loss[80]));
    calls = 0;
    CHECK_OK(surface_eval(&o, T0, D1, D2, &part, 10, 0, 1, NULL, NULL));
    CHECK_MSG(calls == 71, "resumed grid evaluated %d points", calls);
    CHECK(memcmp(full.loss, part.loss, 81 * sizeof(double)) == 0);
    /* Two ranks cover disjoint halves whose union is the whole grid. */
    CHECK_OK(surface_alloc(&r0, &g));
    CHECK_OK(surface_alloc(&r1, &g));
    CHECK_OK(surface_eval(&o, T0, D1, D2, &r0, 7, 0, 2, NULL, NULL));
    CHECK_OK(surface_eval(&o, T0, D1, D2, &r1, 7, 1, 2, NULL, NULL));
    for (int p = 0; p < 81; p++) {
        CHECK(r0.done[p] + r1.done[p] == 1);
        CHECK(r0.done[p] == (p % 2 == 0));
        double v = r0.done[p] ? r0.loss[p] : r1.loss[p];
        CHECK(v == full.loss[p]);
    }
    surface_free(&full);
    surface_free(&part);
    surface_free(&r0);
    surface_free(&r1);
}

TEST(line_and_barrier)
{
    objective o;
    q_objective(&o);
    grid_spec g;
    CHECK_OK(grid_parse("21", "-0.5:1.5", 1, &g));
    CHECK(g.ny == 1 && g.y0 == 0);
    surface s;
    CHECK_OK(surface_alloc(&s, &g));
    CHECK_OK(surface_eval(&o, T0, D1, NULL, &s, 8, 0, 1, NULL, NULL));
    for (int i = 0; i < 21; i++) {
        double want = closed(T0, D1, D2, grid_x(&g, i), 0);
        CHECK_NEAR(s.loss[i], want, 1e-5 * (1 + fabs(want)));
    }
    /* A hand-made path: 1 at both ends, a bump of 3 at alpha = 0.5, a higher
     * value outside [0, 1] that must not count. */
    for (int i = 0; i < 21; i++) {
        double x = grid_x(&g, i);
        s.loss[i] = x < 0 ? 10 : x > 1 ? 10 : 1 + 2 * (1 - fabs(2 * x - 1));
    }
    double at;
    CHECK_NEAR(surface_barrier(&s, 1.0, 0.5, &at), 2.0, 1e-12);
    CHECK_NEAR(at, 0.5, 1e-12);
    /* A monotone path has no barrier. */
    for (int i = 0; i < 21; i++) s.loss[i] = 2 - grid_x(&g, i);
    CHECK_NEAR(surface_barrier(&s, 2.0, 1.0, &at), 0.0, 1e-12);
    surface_free(&s);
}

TEST(grid_parse_errors)
{
    grid_spec g;
    struct { const char *grid, *range; int dims; const char *msg; } bad[] = {
        {"0", "-1:1", 2, "expected N"},          {"1", "-1:1", 2, "at least 2"},
        {"51x", "-1:1", 2, "expected N"},        {"10", "1:-1", 2, "MIN < MAX"},
        {"10", "-1:1,2:2", 2, "MIN < MAX"},      {"10", "-1", 2, "expected MIN:MAX"},
        {"5x5", "-1:1", 1, "one count"},         {"10", "a:b", 2, "expected MIN:MAX"},
        {"10", "-1:1,0:1", 1, "one range"},      {"3000x3000", "-1:1", 2, "more than"}};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        int rc = grid_parse(bad[k].grid, bad[k].range, bad[k].dims, &g);
        CHECK_MSG(rc == NN_EINVAL && strstr(nn_errmsg(), bad[k].msg), "%s %s: %s", bad[k].grid,
                  bad[k].range, nn_errmsg());
    }
    CHECK_OK(grid_parse("41x31", "-1:1,-0.5:0.5", 2, &g));
    CHECK(g.nx == 41 && g.ny == 31 && g.x0 == -1 && g.y1 == 0.5);
    CHECK_NEAR(grid_x(&g, 40), 1.0, 1e-15);
    CHECK_NEAR(grid_y(&g, 15), 0.0, 1e-15);
}
