/* Trajectory PCA (Li et al. 2018 sec. 7): the plane of the two principal
 * directions of θ_i − θ_final over training snapshots, found through the
 * small snapshot×snapshot Gram matrix, and the symmetric eigen solver behind it. */
#ifndef SADDLE_PCA_H
#define SADDLE_PCA_H

#include <stddef.h>

typedef struct pca_result {
    int m;                /* snapshots */
    size_t n;             /* length of θ */
    /* λ_k / trace(G), G the Gram matrix of the column-centered rows: the same
     * numbers as sklearn's PCA(n_components=2).explained_variance_ratio_ on
     * the rows θ_i − θ_final (what Li et al.'s plot_trajectory reports). */
    double var_ratio[2];
    double eigval[2];     /* λ1 >= λ2 >= 0: centered sum of squares along u1, u2 */
    double total;         /* trace(G): total centered sum of squares */
    int filled;           /* 1 when the snapshots span fewer than 2 dimensions and
                             u2 is a fixed pseudo-random unit vector ⟂ u1 */
    float *dir[2];        /* [n] each, malloc'd: orthonormal u1, u2 */
    /* (θ_i − θ_final)·u_k, *not* centered, so θ_final sits at (0, 0) on the
     * plane through θ_final that surfaces are drawn on. */
    double *coords;       /* [m][2], malloc'd */
    double *dist;         /* [m], malloc'd: ||(θ_i − θ_final) − its projection||,
                             how far the drawn path is from the true one */
    double *norm;         /* [m], malloc'd: ||θ_i − θ_final||, what dist is a part of */
} pca_result;

/* PCA of the rows θ_i − θ_final, i < m (m >= 2). The snapshots may or may
 * not include θ_final itself: Li et al. include it (a zero row before
 * centering), and it then counts in the column means like any other row.
 * Rows are centered per column (sklearn's PCA, which the paper uses) for
 * u1, u2 and var_ratio; coords and dist use the un-centered rows.
 * Sign convention: each u_k is oriented so that the first snapshot with a
 * nonzero coordinate on it has a negative one — training then runs towards
 * +u_k, ending at the origin. Work is in double where it accumulates (the
 * Gram matrix by cblas_dsyrk over column chunks). Identical snapshots (no
 * spread) are NN_EINVAL. Returns NN_*; on error *r holds nothing. */
int pca_trajectory(const float *const *snaps /* [m][n] */, int m,
                   const float *theta_final /* [n] */, size_t n, pca_result *r);
void pca_free(pca_result *r);

/* How well the plane r (found over all rows) fits the rows [first, first +
 * count) of the same snaps and origin — one path among several on a shared
 * plane. ratio[k]: the share of the group's own variance (rows centered on
 * the group's mean) along u_k, so a group holding every row gets
 * r->var_ratio back; NaN when the group's rows are all equal. *captured:
 * the share of the group's squared distance from the origin that lies in
 * the plane, Σ(c1² + c2²) / Σ||θ_i − origin||² (1 when every row is the
 * origin). NN_EINVAL for a bad range, NN_ENOMEM. */
int pca_group_fit(const float *const *snaps /* [m][n] */, const float *origin /* [n] */,
                  const pca_result *r, int first, int count, double ratio[2], double *captured);

/* All eigenpairs of a symmetric m×m matrix by cyclic Jacobi rotations, in
 * double (m up to a few hundred: O(m³) per sweep, typically < 10 sweeps).
 * a is overwritten. w gets the eigenvalues in descending order and row k of
 * v (v[k*m + i]) the unit eigenvector of w[k]. NN_ENAN for a non-finite
 * input or no convergence in 100 sweeps. */
int pca_eigen_sym(int m, double *a /* [m][m] in, destroyed */, double *w /* [m] out */,
                  double *v /* [m][m] out, row k = eigenvector k */);

#endif
