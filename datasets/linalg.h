/* Dense symmetric linear algebra through the LAPACK inside OpenBLAS: the
 * eigendecomposition that PCA whitening and the critical-point finder need.
 * Row-major in, row-major out; an NN_* status, never an exit. */
#ifndef SADDLE_LINALG_H
#define SADDLE_LINALG_H

/* Eigenvalues of the symmetric matrix a [n][n] (both triangles filled) into
 * w [n], ascending. With vectors != 0, row i of a is overwritten with the unit
 * eigenvector of w[i]; otherwise a's contents are destroyed. */
int linalg_eigh(int n, double *a, double *w, int vectors);

#endif
