/* Trajectory PCA and its Jacobi eigen solver: closed-form 2x2/3x3 cases, the
 * power method on random matrices, and trajectories of known shape (a line,
 * an offset line, a plane, a 3-D path) with their known variance split,
 * plane, coordinates and distances. */
#include <stdlib.h>
#include <string.h>

#include "../datasets/rng.h"
#include "../datasets/status.h"
#include "../probes/pca.h"
#include "test.h"

/* ---- eigen solver --------------------------------------------------------------- */

/* ||A v_k − w_k v_k|| for every k, and ||V Vᵀ − I||, both max-entry. */
static void eig_residuals(int m, const double *a, const double *w, const double *v, double *res,
                          double *orth)
{
    *res = 0;
    *orth = 0;
    for (int k = 0; k < m; k++) {
        for (int i = 0; i < m; i++) {
            double s = 0;
            for (int j = 0; j < m; j++) s += a[i * m + j] * v[k * m + j];
            *res = fmax(*res, fabs(s - w[k] * v[k * m + i]));
        }
        for (int l = 0; l < m; l++) {
            double s = 0;
            for (int i = 0; i < m; i++) s += v[k * m + i] * v[l * m + i];
            *orth = fmax(*orth, fabs(s - (k == l)));
        }
    }
}

TEST(eigen_2x2_closed_form)
{
    static const double cases[][3] = {{2, 1, 3}, {4, 0, 1}, {1, 0, 4}, {5, 2, 5},
                                      {-1, 3, 0.5}, {1e-3, 1e-4, 2e-3}, {0, 0, 0}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        double p = cases[c][0], q = cases[c][1], r = cases[c][2];
        double a[4] = {p, q, q, r}, a0[4] = {p, q, q, r}, w[2], v[4];
        CHECK_OK(pca_eigen_sym(2, a, w, v));
        double mid = (p + r) / 2, rad = sqrt((p - r) * (p - r) / 4 + q * q);
        double scale = fabs(p) + fabs(q) + fabs(r) + 1e-300;
        CHECK_NEAR(w[0], mid + rad, 1e-15 * scale);
        CHECK_NEAR(w[1], mid - rad, 1e-15 * scale);
        double res, orth;
        eig_residuals(2, a0, w, v, &res, &orth);
        CHECK(res <= 1e-15 * scale && orth <= 1e-15);
    }
}

/* tridiag(-1, 2, -1): eigenvalues 2 + √2, 2, 2 − √2 with eigenvectors
 * (1, −√2, 1)/2, (1, 0, −1)/√2, (1, √2, 1)/2. */
TEST(eigen_3x3_closed_form)
{
    double a[9] = {2, -1, 0, -1, 2, -1, 0, -1, 2}, w[3], v[9];
    CHECK_OK(pca_eigen_sym(3, a, w, v));
    double s2 = sqrt(2.0);
    double want[3][3] = {{0.5, -s2 / 2, 0.5}, {1 / s2, 0, -1 / s2}, {0.5, s2 / 2, 0.5}};
    CHECK_NEAR(w[0], 2 + s2, 1e-14);
    CHECK_NEAR(w[1], 2, 1e-14);
    CHECK_NEAR(w[2], 2 - s2, 1e-14);
    for (int k = 0; k < 3; k++) {
        double dp = 0;
        for (int i = 0; i < 3; i++) dp += v[k * 3 + i] * want[k][i];
        CHECK_NEAR(fabs(dp), 1, 1e-14);
    }
}

/* A random PSD matrix B Bᵀ (40×40 of rank 30, so ten zero eigenvalues) and a
 * random indefinite one: top eigenpair against the power method, all pairs
 * by residual, orthonormality and trace. */
TEST(eigen_matches_power_method)
{
    enum { M = 40, R = 30 };
    double *b = malloc(sizeof(double) * M * R), *a = malloc(sizeof(double) * M * M);
    double *a0 = malloc(sizeof(double) * M * M), *w = malloc(sizeof(double) * M);
    double *v = malloc(sizeof(double) * M * M);
    for (int kind = 0; kind < 2; kind++) {
        for (int i = 0; i < M * R; i++) b[i] = rng_normal(31, 5, (uint64_t)i);
        for (int i = 0; i < M; i++)
            for (int j = 0; j <= i; j++) {
                double s = 0;
                if (kind == 0)
                    for (int k = 0; k < R; k++) s += b[i * R + k] * b[j * R + k];
                else
                    s = rng_normal(32, 6, (uint64_t)(i * M + j)) + (i == j ? 8.0 : 0.0);
                a[i * M + j] = a[j * M + i] = s;
            }
        memcpy(a0, a, sizeof(double) * M * M);
        double tr = 0, fro = 0;
        for (int i = 0; i < M; i++) tr += a0[i * M + i];
        for (int i = 0; i < M * M; i++) fro += a0[i] * a0[i];
        fro = sqrt(fro);
        CHECK_OK(pca_eigen_sym(M, a, w, v));
        double res, orth, sum = 0;
        eig_residuals(M, a0, w, v, &res, &orth);
        CHECK_MSG(res <= 1e-13 * fro, "kind %d: residual %g (||A|| %g)", kind, res, fro);
        CHECK_MSG(orth <= 1e-13, "kind %d: orthogonality %g", kind, orth);
        for (int k = 0; k < M; k++) sum += w[k];
        CHECK_NEAR(sum, tr, 1e-12 * fro);
        for (int k = 1; k < M; k++) CHECK(w[k] <= w[k - 1]);
        if (kind == 0) {
            CHECK(fabs(w[R]) <= 1e-12 * fro && w[R - 1] > 1e-3 * fro);
            /* power iteration from a fixed start on the PSD matrix */
            double x[M], y[M], lam = 0;
            for (int i = 0; i < M; i++) x[i] = 1.0 + 0.01 * i;
            for (int it = 0; it < 20000; it++) {
                double nn = 0;
                for (int i = 0; i < M; i++) {
                    y[i] = 0;
                    for (int j = 0; j < M; j++) y[i] += a0[i * M + j] * x[j];
                    nn += y[i] * y[i];
                }
                nn = sqrt(nn);
                lam = 0;
                for (int i = 0; i < M; i++) lam += x[i] * y[i];
                for (int i = 0; i < M; i++) x[i] = y[i] / nn;
            }
            CHECK_NEAR(w[0], lam, 1e-12 * lam);
            double dp = 0;
            for (int i = 0; i < M; i++) dp += x[i] * v[i];
            CHECK_NEAR(fabs(dp), 1, 1e-10);
        }
    }
    double bad[4] = {1, NAN, NAN, 1};
    CHECK(pca_eigen_sym(2, bad, w, v) == NN_ENAN);
    free(b);
    free(a);
    free(a0);
    free(w);
    free(v);
}

/* ---- trajectories of known shape ------------------------------------------------- */

/* k orthonormal random vectors e[k][n] (double Gram-Schmidt). */
static void orthonormal(int k, size_t n, uint64_t seed, double *e)
{
    for (int a = 0; a < k; a++) {
        double *x = e + (size_t)a * n;
        for (size_t j = 0; j < n; j++) x[j] = rng_normal(seed, (uint64_t)a, j);
        for (int pass = 0; pass < 2; pass++)
            for (int b = 0; b < a; b++) {
                double dp = 0;
                for (size_t j = 0; j < n; j++) dp += x[j] * e[(size_t)b * n + j];
                for (size_t j = 0; j < n; j++) x[j] -= dp * e[(size_t)b * n + j];
            }
        double nn = 0;
        for (size_t j = 0; j < n; j++) nn += x[j] * x[j];
        for (size_t j = 0; j < n; j++) x[j] /= sqrt(nn);
    }
}

/* Snapshots θ_f + Σ_a c[i][a] e_a for i < m (float), with θ_f ~ N(0, 1). */
typedef struct traj {
    int m;
    size_t n;
    float *final;
    float **snaps;
} traj;

static void traj_make(traj *t, int m, size_t n, int k, const double *e, const double *c)
{
    t->m = m;
    t->n = n;
    t->final = malloc(n * sizeof(float));
    t->snaps = malloc((size_t)m * sizeof(float *));
    for (size_t j = 0; j < n; j++) t->final[j] = (float)rng_normal(77, 1, j);
    for (int i = 0; i < m; i++) {
        t->snaps[i] = malloc(n * sizeof(float));
        for (size_t j = 0; j < n; j++) {
            double s = t->final[j];
            for (int a = 0; a < k; a++) s += c[i * k + a] * e[(size_t)a * n + j];
            t->snaps[i][j] = (float)s;
        }
    }
}

static void traj_free(traj *t)
{
    for (int i = 0; i < t->m; i++) free(t->snaps[i]);
    free(t->snaps);
    free(t->final);
}

/* ||snap_i − snap_j|| in double from the stored floats (j = -1: θ_final). */
static double snap_dist(const traj *t, int i, int j)
{
    const float *b = j < 0 ? t->final : t->snaps[j];
    double s = 0;
    for (size_t q = 0; q < t->n; q++) {
        double d = (double)t->snaps[i][q] - b[q];
        s += d * d;
    }
    return sqrt(s);
}

static double fdot(const float *a, const double *b, size_t n)
{
    double s = 0;
    for (size_t j = 0; j < n; j++) s += (double)a[j] * b[j];
    return s;
}

/* Checks shared by every trajectory: orthonormal float directions, and the
 * split ||x_i||² = c1² + c2² + dist² of each snapshot. */
static void check_geometry(const traj *t, const pca_result *r)
{
    double d00 = 0, d11 = 0, d01 = 0;
    for (size_t j = 0; j < t->n; j++) {
        d00 += (double)r->dir[0][j] * r->dir[0][j];
        d11 += (double)r->dir[1][j] * r->dir[1][j];
        d01 += (double)r->dir[0][j] * r->dir[1][j];
    }
    CHECK_NEAR(d00, 1, 1e-6);
    CHECK_NEAR(d11, 1, 1e-6);
    CHECK_NEAR(d01, 0, 1e-6);
    for (int i = 0; i < t->m; i++) {
        double x = snap_dist(t, i, -1), c0 = r->coords[2 * i], c1 = r->coords[2 * i + 1];
        CHECK_NEAR(c0 * c0 + c1 * c1 + r->dist[i] * r->dist[i], x * x, 1e-5 * (x * x) + 1e-12);
    }
}

/* Points on a line through θ_final (which is the last snapshot): all the
 * variance on PC1, PC1 along the line, distances 0, coordinates the signed
 * positions along it with the first one negative. The offsets are dyadic so
 * the float snapshots are exactly collinear and u2 must be filled in. */
TEST(pca_straight_line)
{
    enum { M = 9 };
    size_t n = 3001;
    double *e = malloc(n * sizeof(double)), c[M];
    for (size_t j = 0; j < n; j++) e[j] = (rng_u64(4, 4, j) & 1) ? 0.25 : -0.25;
    for (int i = 0; i < M; i++) c[i] = (i - (M - 1)) * 0.5; /* -4 .. 0 */
    traj t;
    traj_make(&t, M, n, 1, e, c);
    for (size_t j = 0; j < n; j++) t.final[j] = (float)(rint(t.final[j] * 64) / 64);
    for (int i = 0; i < M; i++)
        for (size_t j = 0; j < n; j++) t.snaps[i][j] = (float)(t.final[j] + c[i] * e[j]);
    pca_result r;
    CHECK_OK(pca_trajectory((const float *const *)t.snaps, M, t.final, n, &r));
    CHECK_NEAR(r.var_ratio[0], 1, 1e-12);
    CHECK_NEAR(r.var_ratio[1], 0, 1e-12);
    CHECK(r.filled == 1);
    double en = sqrt(n * 0.0625);
    CHECK_NEAR(fabs(fdot(r.dir[0], e, n)) / en, 1, 1e-6);
    for (int i = 0; i < M; i++) {
        CHECK_NEAR(r.coords[2 * i], c[i] * en, 1e-5 * en); /* first is negative: sign + */
        CHECK_NEAR(r.dist[i], 0, 1e-5 * en);
    }
    CHECK(r.coords[2 * (M - 1)] == 0 && r.coords[2 * (M - 1) + 1] == 0);
    check_geometry(&t, &r);
    pca_free(&r);
    traj_free(&t);
    free(e);
}

/* A line that misses θ_final (offset a ⟂ u, final not a snapshot). Centered
 * PCA (sklearn's) still puts ~100% on PC1 along u. Measured with centering
 * removed: PC1 turns to a (|u1·u| = 0.02) with ratio 0.981, and the planar
 * and 3-D tests fail too (PC1 ratio 0.979 vs 0.986, total 120 vs 33). */
TEST(pca_offset_line_is_centered)
{
    enum { M = 12 };
    size_t n = 700;
    double *e = malloc(2 * n * sizeof(double)), c[2 * M];
    orthonormal(2, n, 9, e);
    for (int i = 0; i < M; i++) {
        c[2 * i] = 0.2 * i - 1.0; /* along u */
        c[2 * i + 1] = 5.0;       /* constant offset along a */
    }
    traj t;
    traj_make(&t, M, n, 2, e, c);
    pca_result r;
    CHECK_OK(pca_trajectory((const float *const *)t.snaps, M, t.final, n, &r));
    CHECK_NEAR(r.var_ratio[0], 1, 1e-9);
    CHECK_NEAR(fabs(fdot(r.dir[0], e, n)), 1, 1e-6);
    check_geometry(&t, &r);
    pca_free(&r);
    traj_free(&t);
    free(e);
}

/* Points θ_final + s_i u + t_i v on a curve: PC1 + PC2 hold all the variance,
 * the split and PC1 equal sklearn's (centered 2×2 covariance of (s, t),
 * closed form), distances are 0, and the coordinates are the (s, t) up to a
 * rotation/reflection: every pairwise distance is preserved. n is not a
 * multiple of the chunk width, so chunking is exercised. */
TEST(pca_planar_trajectory)
{
    enum { M = 15 };
    size_t n = 5000;
    double *e = malloc(2 * n * sizeof(double)), c[2 * M];
    orthonormal(2, n, 21, e);
    for (int i = 0; i < M; i++) {
        double s = (double)(M - 1 - i) / (M - 1); /* 1 .. 0: ends at θ_final */
        c[2 * i] = -3.0 * s * s + 0.3 * sin(7.0 * s);
        c[2 * i + 1] = 1.2 * s - 0.8 * s * s * s;
    }
    traj t;
    traj_make(&t, M, n, 2, e, c);
    pca_result r;
    CHECK_OK(pca_trajectory((const float *const *)t.snaps, M, t.final, n, &r));
    CHECK(r.filled == 0);
    CHECK_NEAR(r.var_ratio[0] + r.var_ratio[1], 1, 1e-9);

    /* sklearn's view: centered covariance of the 2-D points */
    double ms = 0, mt = 0, css = 0, ctt = 0, cst = 0;
    for (int i = 0; i < M; i++) {
        ms += c[2 * i] / M;
        mt += c[2 * i + 1] / M;
    }
    for (int i = 0; i < M; i++) {
        double ds = c[2 * i] - ms, dt = c[2 * i + 1] - mt;
        css += ds * ds;
        ctt += dt * dt;
        cst += ds * dt;
    }
    double mid = (css + ctt) / 2, rad = sqrt((css - ctt) * (css - ctt) / 4 + cst * cst);
    CHECK_NEAR(r.var_ratio[0], (mid + rad) / (css + ctt), 1e-6);
    CHECK_NEAR(r.eigval[0], mid + rad, 1e-5 * (mid + rad));
    /* top eigenvector (p, q) of [[css, cst], [cst, ctt]] -> p u + q v */
    double p = cst, q = mid + rad - css, pn = sqrt(p * p + q * q);
    double align = (p * fdot(r.dir[0], e, n) + q * fdot(r.dir[0], e + n, n)) / pn;
    CHECK_NEAR(fabs(align), 1, 1e-6);

    double xmax = 0;
    for (int i = 0; i < M; i++) xmax = fmax(xmax, snap_dist(&t, i, -1));
    for (int i = 0; i < M; i++) {
        CHECK_NEAR(r.dist[i], 0, 1e-5 * xmax);
        for (int j = 0; j < i; j++) {
            double dx = r.coords[2 * i] - r.coords[2 * j];
            double dy = r.coords[2 * i + 1] - r.coords[2 * j + 1];
            CHECK_NEAR(sqrt(dx * dx + dy * dy), snap_dist(&t, i, j), 1e-5 * xmax);
        }
    }
    CHECK(r.coords[0] < 0 && r.coords[1] < 0); /* the sign convention */
    check_geometry(&t, &r);
    pca_free(&r);
    traj_free(&t);
    free(e);
}

/* A path with a third component off the plane: PC1 + PC2 miss part of the
 * variance, the distances are nonzero, and the PCA plane is at least as good
 * as the plane of the two large components (PCA's plane is the best one for
 * the centered rows). */
TEST(pca_3d_trajectory_has_distances)
{
    enum { M = 20 };
    size_t n = 900;
    double *e = malloc(3 * n * sizeof(double)), c[3 * M];
    orthonormal(3, n, 33, e);
    for (int i = 0; i < M; i++) {
        double s = (double)i / (M - 1);
        c[3 * i] = 4.0 * (s - 1);
        c[3 * i + 1] = 2.0 * sin(3.0 * s) * (1 - s);
        c[3 * i + 2] = 0.3 * cos(11.0 * s) * (1 - s);
    }
    traj t;
    traj_make(&t, M, n, 3, e, c);
    pca_result r;
    CHECK_OK(pca_trajectory((const float *const *)t.snaps, M, t.final, n, &r));
    double var[3] = {0, 0, 0};
    for (int a = 0; a < 3; a++) {
        double mean = 0;
        for (int i = 0; i < M; i++) mean += c[3 * i + a] / M;
        for (int i = 0; i < M; i++) var[a] += (c[3 * i + a] - mean) * (c[3 * i + a] - mean);
    }
    double total = var[0] + var[1] + var[2], sum = r.var_ratio[0] + r.var_ratio[1];
    CHECK_NEAR(r.total, total, 1e-6 * total);
    CHECK_MSG(sum < 0.999, "PC1 + PC2 = %g", sum);
    CHECK_MSG(sum >= (var[0] + var[1]) / total - 1e-9, "PC1 + PC2 = %g < plane of e1, e2 = %g",
              sum, (var[0] + var[1]) / total);
    double dmax = 0;
    for (int i = 0; i < M; i++) dmax = fmax(dmax, r.dist[i]);
    CHECK_MSG(dmax > 0.05, "largest distance %g", dmax);
    CHECK(r.dist[M - 1] == 0);
    check_geometry(&t, &r);
    pca_free(&r);
    traj_free(&t);
    free(e);
}

TEST(pca_rejects_degenerate_input)
{
    size_t n = 10;
    float a[10], b[10], f[10];
    for (size_t j = 0; j < n; j++) a[j] = b[j] = f[j] = (float)j;
    const float *s[2] = {a, b};
    pca_result r;
    CHECK(pca_trajectory(s, 1, f, n, &r) == NN_EINVAL);
    CHECK(pca_trajectory(s, 2, f, n, &r) == NN_EINVAL); /* identical snapshots */
    CHECK(strstr(nn_errmsg(), "identical") != NULL);
    CHECK(r.dir[0] == NULL && r.coords == NULL);
    b[3] = NAN;
    CHECK(pca_trajectory(s, 2, f, n, &r) == NN_ENAN);
    b[3] = 1.0f; /* two distinct snapshots: a line, fine */
    CHECK_OK(pca_trajectory(s, 2, f, n, &r));
    CHECK_NEAR(r.var_ratio[0], 1, 1e-12);
    pca_free(&r);
}
