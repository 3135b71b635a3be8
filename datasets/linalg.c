/* LAPACK's dsyevd (divide and conquer), as shipped in OpenBLAS. A symmetric
 * row-major matrix is its own column-major transpose, so no copy is needed;
 * the eigenvectors come back as columns of a column-major array, which are
 * the rows of the row-major one. */
#include "linalg.h"

#include <stdlib.h>

#include "status.h"

/* Fortran LAPACK; OpenBLAS exports it, Debian's libopenblas-dev links it. */
extern void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda,
                    double *w, double *work, const int *lwork, int *iwork, const int *liwork,
                    int *info);

int linalg_eigh(int n, double *a, double *w, int vectors)
{
    if (n < 1)
        return nn_err(NN_EINVAL, "eigendecomposition: size %d", n);
    const char *jobz = vectors ? "V" : "N";
    int lwork = -1, liwork = -1, info = 0, iq = 0;
    double wq = 0;
    dsyevd_(jobz, "U", &n, a, &n, w, &wq, &lwork, &iq, &liwork, &info);
    if (info != 0)
        return nn_err(NN_EINVAL, "eigendecomposition: workspace query failed (info %d)", info);
    lwork = (int)wq + 1;
    liwork = iq > 1 ? iq : 1;
    double *work = malloc(sizeof(double) * (size_t)lwork);
    int *iwork = malloc(sizeof(int) * (size_t)liwork);
    if (!work || !iwork) {
        free(work);
        free(iwork);
        return nn_err(NN_ENOMEM, "eigendecomposition of %d x %d: out of memory", n, n);
    }
    dsyevd_(jobz, "U", &n, a, &n, w, work, &lwork, iwork, &liwork, &info);
    free(work);
    free(iwork);
    if (info < 0)
        return nn_err(NN_EINVAL, "eigendecomposition: bad argument %d", -info);
    if (info > 0)
        return nn_err(NN_ENAN, "eigendecomposition of %d x %d did not converge "
                      "(non-finite entries?)", n, n);
    return NN_OK;
}
