/* Transforms of whole data sets that change their features: area-averaged
 * image resizing and PCA whitening (fitted on one set, applied to any).
 * data_load (dataset.c) applies them; they know nothing of config files. */
#include "dataset.h"
#include "linalg.h"

#include <cblas.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Examples per BLAS call in the whitening passes: big enough for GEMM speed,
 * small enough that a 784-feature block of doubles stays around 1.6 MB. */
#define WHITEN_BLOCK 256

/* ---- resize ---------------------------------------------------------------- */

#define RESIZE_MAX_WEIGHTS ((size_t)1 << 26)

/* Area weights of one axis shrinking `from` pixels to `to`. Measured in units
 * of 1/to of a source pixel, source i covers [i*to, (i+1)*to) and target j
 * covers [j*from, (j+1)*from), so every overlap is an integer and the weight
 * overlap/from is the exact fraction of target j's footprint that source i
 * fills. w is [to][from]; lo/hi bound the nonzero run of each target. */
static void resize_axis(int from, int to, double *w, int *lo, int *hi)
{
    for (int j = 0; j < to; j++) {
        long a0 = (long)j * from, a1 = (long)(j + 1) * from;
        lo[j] = (int)(a0 / to);
        hi[j] = (int)((a1 + to - 1) / to);
        for (int i = 0; i < from; i++) {
            long s0 = (long)i * to, s1 = (long)(i + 1) * to;
            long ov = (s1 < a1 ? s1 : a1) - (s0 > a0 ? s0 : a0);
            w[(size_t)j * (size_t)from + (size_t)i] = ov > 0 ? (double)ov / (double)from : 0.0;
        }
    }
}

int dataset_resize(dataset *d, int out_rows, int out_cols)
{
    int R = d->rows, C = d->cols, rc = NN_OK;
    double *wr = NULL, *wc = NULL, *tmp = NULL;
    int *lr = NULL, *hr = NULL, *lc = NULL, *hc = NULL;
    float *x = NULL;

    if (R <= 0 || C <= 0 || (size_t)R * (size_t)C != d->dim)
        return nn_err(NN_EINVAL, "resize: the data set is not images (%zu features, shape "
                      "%dx%d)", d->dim, R, C);
    if (out_rows < 1 || out_rows > R || out_cols < 1 || out_cols > C)
        return nn_err(NN_EINVAL, "resize: %dx%d images cannot become %dx%d: area averaging "
                      "only shrinks (1..%d x 1..%d)", R, C, out_rows, out_cols, R, C);
    size_t od = (size_t)out_rows * (size_t)out_cols;
    /* The weight tables are [out][in] per axis: bounded here so an image
     * shape read from a file cannot size them (R*C == dim is bounded, but
     * 1 x 2^24 images resized to 2^16 rows would still be terabytes). */
    if ((size_t)out_rows * (size_t)R + (size_t)out_cols * (size_t)C > RESIZE_MAX_WEIGHTS)
        return nn_err(NN_EINVAL, "resize: %dx%d images to %dx%d need weight tables larger "
                      "than %zu entries", R, C, out_rows, out_cols, RESIZE_MAX_WEIGHTS);
    wr = malloc((size_t)out_rows * (size_t)R * sizeof *wr);
    wc = malloc((size_t)out_cols * (size_t)C * sizeof *wc);
    tmp = malloc((size_t)out_rows * (size_t)C * sizeof *tmp);
    lr = malloc((size_t)out_rows * sizeof *lr);
    hr = malloc((size_t)out_rows * sizeof *hr);
    lc = malloc((size_t)out_cols * sizeof *lc);
    hc = malloc((size_t)out_cols * sizeof *hc);
    x = malloc(d->n * od * sizeof *x + 1);
    if (!wr || !wc || !tmp || !lr || !hr || !lc || !hc || !x) {
        rc = nn_err(NN_ENOMEM, "resize: cannot allocate %zu images of %dx%d", d->n, out_rows,
                    out_cols);
        goto fail;
    }
    resize_axis(R, out_rows, wr, lr, hr);
    resize_axis(C, out_cols, wc, lc, hc);
    /* Separable: average along rows into tmp [out_rows][C], then along
     * columns; both passes in double so the only rounding is the final one. */
    for (size_t e = 0; e < d->n; e++) {
        const float *src = d->x + e * d->dim;
        float *dst = x + e * od;
        for (int a = 0; a < out_rows; a++) {
            double *t = tmp + (size_t)a * (size_t)C;
            const double *w = wr + (size_t)a * (size_t)R;
            for (int k = 0; k < C; k++) t[k] = 0.0;
            for (int i = lr[a]; i < hr[a]; i++)
                for (int k = 0; k < C; k++) t[k] += w[i] * src[(size_t)i * (size_t)C + (size_t)k];
        }
        for (int a = 0; a < out_rows; a++) {
            const double *t = tmp + (size_t)a * (size_t)C;
            for (int b = 0; b < out_cols; b++) {
                const double *w = wc + (size_t)b * (size_t)C;
                double s = 0.0;
                for (int k = lc[b]; k < hc[b]; k++) s += w[k] * t[k];
                dst[(size_t)a * (size_t)out_cols + (size_t)b] = (float)s;
            }
        }
    }
    free(d->x);
    d->x = x;
    x = NULL;
    d->rows = out_rows;
    d->cols = out_cols;
    d->dim = od;
fail:
    free(wr); free(wc); free(tmp);
    free(lr); free(hr); free(lc); free(hc);
    free(x);
    return rc;
}

/* ---- whitening --------------------------------------------------------------- */

/* rows [r0, r0+k) of d minus mean, as doubles in buf [k][dim]. */
static void whiten_center(const dataset *d, size_t r0, size_t k, const double *mean, double *buf)
{
    size_t D = d->dim;
    for (size_t i = 0; i < k; i++) {
        const float *r = d->x + (r0 + i) * D;
        for (size_t j = 0; j < D; j++) buf[i * D + j] = (double)r[j] - mean[j];
    }
}

int dataset_whiten_fit(const dataset *d, double *mean /* [dim] */, double *w /* [dim][dim] */,
                       double *lam /* [dim] or NULL */)
{
    size_t D = d->dim, n = d->n;
    double *buf = NULL, *ev = NULL;
    int rc = NN_OK;

    if (n == 0) return nn_err(NN_EINVAL, "whiten: the training set is empty");
    if (D == 0 || D > 46340)   /* D*D must fit LAPACK's int */
        return nn_err(NN_EINVAL, "whiten: %zu features (1..46340 supported)", D);
    buf = malloc(WHITEN_BLOCK * D * sizeof *buf);
    ev = malloc(D * sizeof *ev);
    if (!buf || !ev) {
        rc = nn_err(NN_ENOMEM, "whiten: cannot allocate work space for %zu features", D);
        goto fail;
    }
    for (size_t j = 0; j < D; j++) mean[j] = 0.0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < D; j++) mean[j] += d->x[i * D + j];
    for (size_t j = 0; j < D; j++) mean[j] /= (double)n;

    /* C = (1/n) sum (x-mu)(x-mu)^T from centered blocks (two passes, as in
     * dataset_stats: the one-pass E[xx^T] - mu mu^T cancels badly). dsyrk
     * fills the upper triangle; linalg_eigh wants both. */
    memset(w, 0, D * D * sizeof *w);
    for (size_t r0 = 0; r0 < n; r0 += WHITEN_BLOCK) {
        size_t k = n - r0 < WHITEN_BLOCK ? n - r0 : WHITEN_BLOCK;
        whiten_center(d, r0, k, mean, buf);
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)D, (int)k, 1.0, buf, (int)D,
                    1.0, w, (int)D);
    }
    for (size_t i = 0; i < D; i++)
        for (size_t j = i; j < D; j++) {
            w[i * D + j] /= (double)n;
            w[j * D + i] = w[i * D + j];
        }
    if ((rc = linalg_eigh((int)D, w, ev, 1))) goto fail;

    /* eps keeps 1/sqrt(lam + eps) finite for directions without variance
     * (pixels that are constant over the training set, or fewer examples than
     * features). Relative to the mean eigenvalue (trace/D) so whitening is
     * invariant to a rescaling of the inputs (x/255 or not), and 1e-5 of it:
     * far above the ~1e-14 relative noise of float inputs and double sums,
     * far below the variance of any real direction, which therefore still
     * comes out with variance lam/(lam+eps) = 1 to within 1e-5 * mean/lam.
     * A set whose examples are all equal has nothing to scale: eps = 1. */
    double tr = 0.0;
    for (size_t i = 0; i < D; i++) {
        if (!(ev[i] > 0.0)) ev[i] = 0.0;   /* rounding leaves zero eigenvalues at ±1e-17 */
        tr += ev[i];
    }
    double eps = tr > 0.0 ? WHITEN_EPS_REL * tr / (double)D : 1.0;

    /* linalg_eigh gives ascending order; the first principal component
     * should be feature 0, so reverse the rows in place. */
    for (size_t i = 0; i < D / 2; i++) {
        double *a = w + i * D, *b = w + (D - 1 - i) * D, t = ev[i];
        ev[i] = ev[D - 1 - i];
        ev[D - 1 - i] = t;
        for (size_t j = 0; j < D; j++) {
            double s = a[j];
            a[j] = b[j];
            b[j] = s;
        }
    }
    for (size_t i = 0; i < D; i++) {
        double *u = w + i * D, big = 0.0;
        /* An eigenvector's sign is LAPACK's arbitrary choice; fix it (largest
         * entry positive) so a run does not depend on the LAPACK build. */
        for (size_t j = 0; j < D; j++)
            if (fabs(u[j]) > fabs(big)) big = u[j];
        double s = (big < 0 ? -1.0 : 1.0) / sqrt(ev[i] + eps);
        for (size_t j = 0; j < D; j++) u[j] *= s;
        if (lam) lam[i] = ev[i];
    }
fail:
    free(buf);
    free(ev);
    return rc;
}

int dataset_whiten_apply(dataset *d, const double *mean /* [dim] */,
                         const double *w /* [dim][dim] */)
{
    size_t D = d->dim;
    double *in = NULL, *out = NULL;
    int rc = NN_OK;

    /* Whitened features are principal components, not pixels. */
    if (d->n == 0) {
        d->rows = d->cols = 0;
        return NN_OK;
    }
    if (D == 0 || D > 46340)
        return nn_err(NN_EINVAL, "whiten: %zu features (1..46340 supported)", D);
    in = malloc(WHITEN_BLOCK * D * sizeof *in);
    out = malloc(WHITEN_BLOCK * D * sizeof *out);
    if (!in || !out) {
        rc = nn_err(NN_ENOMEM, "whiten: cannot allocate work space for %zu features", D);
        goto fail;
    }
    for (size_t r0 = 0; r0 < d->n; r0 += WHITEN_BLOCK) {
        size_t k = d->n - r0 < WHITEN_BLOCK ? d->n - r0 : WHITEN_BLOCK;
        whiten_center(d, r0, k, mean, in);
        /* out [k][D] = (x - mu) W^T: row i of out is W (x_i - mu). */
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)k, (int)D, (int)D, 1.0, in,
                    (int)D, w, (int)D, 0.0, out, (int)D);
        float *x = d->x + r0 * D;
        for (size_t i = 0; i < k * D; i++) x[i] = (float)out[i];
    }
    d->rows = d->cols = 0;
fail:
    free(in);
    free(out);
    return rc;
}
