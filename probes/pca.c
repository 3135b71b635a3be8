/* Trajectory PCA via the m×m Gram matrix of the centered snapshot rows (no
 * n×n covariance, no LAPACK), the Jacobi eigen solver it needs, the
 * projection of the path onto the plane with each point's distance from it,
 * and how well a plane shared by several paths fits each one. */
#include "pca.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../datasets/rng.h"
#include "../datasets/status.h"

/* ---- symmetric eigen solver ---------------------------------------------------- */

#define JACOBI_SWEEPS 100

typedef struct { double w; int k; } eig_pair;

static int cmp_desc(const void *x, const void *y)
{
    const eig_pair *a = x, *b = y;
    if (a->w != b->w) return a->w < b->w ? 1 : -1;
    return a->k - b->k; /* ties keep their order: deterministic */
}

int pca_eigen_sym(int m, double *a, double *w, double *v)
{
    if (m < 1 || !a || !w || !v) return nn_err(NN_EINVAL, "pca_eigen_sym: bad arguments");
    size_t mm = (size_t)m * (size_t)m;
    double fro = 0;
    for (size_t i = 0; i < mm; i++) {
        if (!isfinite(a[i])) return nn_err(NN_ENAN, "pca_eigen_sym: non-finite entry %zu", i);
        fro += a[i] * a[i];
    }
    fro = sqrt(fro);
    double *q = malloc(mm * sizeof *q); /* columns = eigenvectors while rotating */
    eig_pair *p = malloc((size_t)m * sizeof *p);
    if (!q || !p) {
        free(q);
        free(p);
        return nn_err(NN_ENOMEM, "pca_eigen_sym: out of memory for m = %d", m);
    }
    memset(q, 0, mm * sizeof *q);
    for (int i = 0; i < m; i++) q[(size_t)i * m + i] = 1;

    /* Rotations preserve the Frobenius norm, so an off-diagonal entry below
     * 1e-18 of it moves no eigenvalue by a representable amount of the
     * largest one; a sweep that finds none left is the end. */
    double skip = 1e-18 * fro;
    int sweep, rotated = 1;
    for (sweep = 0; sweep < JACOBI_SWEEPS && rotated; sweep++) {
        rotated = 0;
        for (int r = 0; r < m - 1; r++) {
            for (int s = r + 1; s < m; s++) {
                double ars = a[(size_t)r * m + s];
                if (!(fabs(ars) > skip)) continue;
                rotated = 1;
                double arr = a[(size_t)r * m + r], ass = a[(size_t)s * m + s];
                /* tan of the angle that zeroes a_rs, the smaller root for stability */
                double th = (ass - arr) / (2 * ars);
                double t = (th >= 0 ? 1.0 : -1.0) / (fabs(th) + sqrt(th * th + 1));
                double c = 1 / sqrt(t * t + 1), sn = t * c;
                for (int k = 0; k < m; k++) {
                    if (k == r || k == s) continue;
                    double akr = a[(size_t)k * m + r], aks = a[(size_t)k * m + s];
                    double nr = c * akr - sn * aks, ns = sn * akr + c * aks;
                    a[(size_t)k * m + r] = a[(size_t)r * m + k] = nr;
                    a[(size_t)k * m + s] = a[(size_t)s * m + k] = ns;
                }
                a[(size_t)r * m + r] = arr - t * ars;
                a[(size_t)s * m + s] = ass + t * ars;
                a[(size_t)r * m + s] = a[(size_t)s * m + r] = 0;
                for (int k = 0; k < m; k++) {
                    double qr = q[(size_t)k * m + r], qs = q[(size_t)k * m + s];
                    q[(size_t)k * m + r] = c * qr - sn * qs;
                    q[(size_t)k * m + s] = sn * qr + c * qs;
                }
            }
        }
    }
    if (rotated) {
        free(q);
        free(p);
        return nn_err(NN_ENAN, "pca_eigen_sym: no convergence in %d sweeps (m = %d)",
                      JACOBI_SWEEPS, m);
    }
    for (int k = 0; k < m; k++) p[k] = (eig_pair){a[(size_t)k * m + k], k};
    qsort(p, (size_t)m, sizeof *p, cmp_desc);
    for (int k = 0; k < m; k++) {
        w[k] = p[k].w;
        for (int i = 0; i < m; i++) v[(size_t)k * m + i] = q[(size_t)i * m + p[k].k];
    }
    free(q);
    free(p);
    return NN_OK;
}

/* ---- trajectory PCA --------------------------------------------------------------- */

#define PCA_CHUNK 2048           /* columns per pass: m × 2048 doubles of scratch */
#define PCA_FILL_STREAM 999      /* below RNG_DIRECTION: never a user direction */

/* Columns [j0, j0 + w) of the column-centered rows θ_i − θ_final into
 * x [m][PCA_CHUNK], using mean [PCA_CHUNK] as scratch. The differences are
 * exact in double; every loop runs along rows so the buffer streams. */
static void chunk_centered(const float *const *snaps, int m, const float *tf, size_t j0,
                           size_t w, double *x, double *mean)
{
    memset(mean, 0, w * sizeof *mean);
    for (int i = 0; i < m; i++) {
        double *xi = x + (size_t)i * PCA_CHUNK;
        const float *si = snaps[i] + j0, *fi = tf + j0;
        for (size_t j = 0; j < w; j++) {
            xi[j] = (double)si[j] - (double)fi[j];
            mean[j] += xi[j];
        }
    }
    for (size_t j = 0; j < w; j++) mean[j] /= m;
    for (int i = 0; i < m; i++) {
        double *xi = x + (size_t)i * PCA_CHUNK;
        for (size_t j = 0; j < w; j++) xi[j] -= mean[j];
    }
}

/* u [n] <- unit(u − (u·e) e) in double; returns the squared norm before scaling. */
static double orth_unit(float *u, const float *e, size_t n)
{
    double ue = 0, uu = 0;
    if (e)
        for (size_t j = 0; j < n; j++) ue += (double)u[j] * e[j];
    for (size_t j = 0; j < n; j++) {
        double x = u[j] - (e ? ue * e[j] : 0);
        u[j] = (float)x;
        uu += x * x;
    }
    if (uu > 0) {
        double s = 1 / sqrt(uu);
        for (size_t j = 0; j < n; j++) u[j] = (float)(u[j] * s);
    }
    return uu;
}

void pca_free(pca_result *r)
{
    if (!r) return;
    free(r->dir[0]);
    free(r->dir[1]);
    free(r->coords);
    free(r->dist);
    free(r->norm);
    memset(r, 0, sizeof *r);
}

int pca_trajectory(const float *const *snaps, int m, const float *theta_final, size_t n,
                   pca_result *r)
{
    if (!r) return nn_err(NN_EINVAL, "pca_trajectory: result is NULL");
    memset(r, 0, sizeof *r);
    if (!snaps || !theta_final || n == 0)
        return nn_err(NN_EINVAL, "pca_trajectory: bad arguments");
    if (m < 2) return nn_err(NN_EINVAL, "pca_trajectory: %d snapshots; PCA needs at least 2", m);
    for (int i = 0; i < m; i++)
        if (!snaps[i]) return nn_err(NN_EINVAL, "pca_trajectory: snapshot %d is NULL", i);

    int rc = NN_OK;
    size_t mm = (size_t)m * (size_t)m;
    double *x = malloc((size_t)m * PCA_CHUNK * sizeof *x);
    double *g = calloc(mm, sizeof *g);
    double *w = malloc((size_t)m * sizeof *w);
    double *v = malloc(mm * sizeof *v);
    double *u = malloc(2 * PCA_CHUNK * sizeof *u), *mean = malloc(PCA_CHUNK * sizeof *mean);
    r->m = m;
    r->n = n;
    r->dir[0] = malloc(n * sizeof(float));
    r->dir[1] = malloc(n * sizeof(float));
    r->coords = calloc((size_t)m * 2, sizeof(double));
    r->dist = calloc((size_t)m, sizeof(double));
    r->norm = calloc((size_t)m, sizeof(double));
    if (!x || !g || !w || !v || !u || !mean || !r->dir[0] || !r->dir[1] || !r->coords || !r->dist ||
        !r->norm) {
        rc = nn_err(NN_ENOMEM, "pca_trajectory: out of memory (%d snapshots of %zu)", m, n);
        goto fail;
    }

    /* G = Mc Mcᵀ, accumulated chunk by chunk so Mc never exists whole. */
    for (size_t j0 = 0; j0 < n; j0 += PCA_CHUNK) {
        size_t cw = n - j0 < PCA_CHUNK ? n - j0 : PCA_CHUNK;
        chunk_centered(snaps, m, theta_final, j0, cw, x, mean);
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, m, (int)cw, 1.0, x, PCA_CHUNK, 1.0,
                    g, m);
    }
    double total = 0;
    for (int i = 0; i < m; i++) {
        total += g[(size_t)i * m + i];
        for (int j = i + 1; j < m; j++) g[(size_t)j * m + i] = g[(size_t)i * m + j];
    }
    if (!isfinite(total)) {
        rc = nn_err(NN_ENAN, "pca_trajectory: snapshots hold non-finite values");
        goto fail;
    }
    if (!(total > 0)) {
        rc = nn_err(NN_EINVAL, "pca_trajectory: all %d snapshots are identical: no trajectory "
                    "to analyse", m);
        goto fail;
    }
    r->total = total;
    if ((rc = pca_eigen_sym(m, g, w, v))) goto fail;
    for (int k = 0; k < 2; k++) {
        r->eigval[k] = w[k] > 0 ? w[k] : 0;
        r->var_ratio[k] = r->eigval[k] / total;
    }

    /* u_k = Mcᵀ v_k, then unit length; u2 is also re-orthogonalized against the
     * stored (float) u1 so the pair is orthonormal as the surface will use it.
     * Stored over sqrt(total) so tiny or huge trajectories stay in float range. */
    double inv = 1 / sqrt(total);
    for (size_t j0 = 0; j0 < n; j0 += PCA_CHUNK) {
        size_t cw = n - j0 < PCA_CHUNK ? n - j0 : PCA_CHUNK;
        chunk_centered(snaps, m, theta_final, j0, cw, x, mean);
        for (int k = 0; k < 2; k++) {
            cblas_dgemv(CblasRowMajor, CblasTrans, m, (int)cw, 1.0, x, PCA_CHUNK, v + (size_t)k * m,
                        1, 0.0, u + (size_t)k * PCA_CHUNK, 1);
            for (size_t j = 0; j < cw; j++)
                r->dir[k][j0 + j] = (float)(u[(size_t)k * PCA_CHUNK + j] * inv);
        }
    }
    orth_unit(r->dir[0], NULL, n);
    /* ||Mcᵀ v2||² / total = λ2 / total; rounding leaves ~1e-32 m of it when the
     * true λ2 is 0 (v2 in G's null space to double precision), far below this
     * threshold, while any real spread lies above it. The eigenvalue itself is
     * no test: Jacobi gets it only to ~1e-16 total. */
    if (!(orth_unit(r->dir[1], r->dir[0], n) > 1e-20)) {
        for (size_t j = 0; j < n; j++) r->dir[1][j] = (float)rng_normal(0, PCA_FILL_STREAM, j);
        orth_unit(r->dir[1], r->dir[0], n);
        orth_unit(r->dir[1], r->dir[0], n);
        r->filled = 1;
    }

    /* Un-centered coordinates and distances from the plane through θ_final. */
    for (int i = 0; i < m; i++) {
        const float *s = snaps[i];
        double c0 = 0, c1 = 0;
        for (size_t j = 0; j < n; j++) {
            double d = (double)s[j] - theta_final[j];
            c0 += d * r->dir[0][j];
            c1 += d * r->dir[1][j];
        }
        double e2 = 0, d2 = 0;
        for (size_t j = 0; j < n; j++) {
            double d = (double)s[j] - theta_final[j];
            double e = d - c0 * r->dir[0][j] - c1 * r->dir[1][j];
            e2 += e * e;
            d2 += d * d;
        }
        r->coords[2 * i] = c0;
        r->coords[2 * i + 1] = c1;
        r->dist[i] = sqrt(e2);
        r->norm[i] = sqrt(d2);
    }
    for (int k = 0; k < 2; k++) {
        int i = 0;
        while (i < m && r->coords[2 * i + k] == 0) i++;
        if (i == m || r->coords[2 * i + k] < 0) continue;
        for (size_t j = 0; j < n; j++) r->dir[k][j] = -r->dir[k][j];
        for (i = 0; i < m; i++) r->coords[2 * i + k] = -r->coords[2 * i + k];
    }
    free(x);
    free(g);
    free(w);
    free(v);
    free(u);
    free(mean);
    return NN_OK;
fail:
    free(x);
    free(g);
    free(w);
    free(v);
    free(u);
    free(mean);
    pca_free(r);
    return rc;
}

int pca_group_fit(const float *const *snaps, const float *origin, const pca_result *r, int first,
                  int count, double ratio[2], double *captured)
{
    if (!snaps || !origin || !r || !r->coords || first < 0 || count < 1 || first > r->m - count)
        return nn_err(NN_EINVAL, "pca_group_fit: rows %d..%d of %d", first, first + count - 1,
                      r ? r->m : 0);
    size_t n = r->n;
    double *mean = calloc(n, sizeof *mean);
    if (!mean) return nn_err(NN_ENOMEM, "pca_group_fit: out of memory for %zu parameters", n);
    for (int i = first; i < first + count; i++)
        for (size_t j = 0; j < n; j++) mean[j] += (double)snaps[i][j] - origin[j];
    for (size_t j = 0; j < n; j++) mean[j] /= count;
    /* The group's own spread straight from the rows, not as Σ||x||² − m||μ||²:
     * a path far from the origin has a small spread beside a large norm. */
    double total = 0, in_plane = 0, sq = 0, cm[2] = {0, 0}, along[2] = {0, 0};
    for (int i = first; i < first + count; i++) {
        for (size_t j = 0; j < n; j++) {
            double d = (double)snaps[i][j] - origin[j] - mean[j];
            total += d * d;
        }
        for (int k = 0; k < 2; k++) cm[k] += r->coords[2 * i + k] / count;
        in_plane += r->coords[2 * i] * r->coords[2 * i] + r->coords[2 * i + 1] * r->coords[2 * i + 1];
        sq += r->norm[i] * r->norm[i];
    }
    /* The coordinates are linear in the rows, so centering them is centering
     * the rows: (x_i − μ)·u_k = c_ik − mean_i(c_ik). */
    for (int i = first; i < first + count; i++)
        for (int k = 0; k < 2; k++) {
            double c = r->coords[2 * i + k] - cm[k];
            along[k] += c * c;
        }
    for (int k = 0; k < 2; k++) ratio[k] = total > 0 ? along[k] / total : NAN;
    *captured = sq > 0 ? in_plane / sq : 1;
    free(mean);
    return NN_OK;
}
