/* Data sets in memory ({n, dim, x, y}), the IDX reader, synthetic sets,
 * subsets, image resizing, normalization (including PCA whitening) and
 * deterministic shuffling. Knows nothing of models.
 * All functions return an NN_* status and record a message naming the input. */
#ifndef SADDLE_DATASET_H
#define SADDLE_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

typedef struct dataset {
    size_t n;        /* examples */
    size_t dim;      /* features per example */
    int classes;     /* labels are 0 .. classes-1 */
    int rows, cols;  /* image shape when the set is images (rows*cols == dim), else 0 */
    float *x;        /* [n][dim] row-major, owned */
    int32_t *y;      /* [n], owned */
} dataset;

void dataset_free(dataset *d);

/* ---- IDX (datasets/idx.c) ------------------------------------------------ */

enum { IDX_U8 = 0x08, IDX_I8 = 0x09, IDX_I16 = 0x0B, IDX_I32 = 0x0C,
       IDX_F32 = 0x0D, IDX_F64 = 0x0E };

typedef struct idx_array {
    int type;            /* IDX_* */
    int ndim;            /* 1 .. IDX_MAX_DIMS */
    uint32_t dims[8];    /* [ndim] */
    size_t count;        /* product of dims */
    void *data;          /* [count] elements of `type`, host byte order, owned */
} idx_array;

#define IDX_MAX_DIMS 8

/* Parses an IDX image from memory; `name` is used in error messages. */
int idx_parse(const uint8_t *buf, size_t len, const char *name, idx_array *out);
/* Reads a file; a name ending in .gz is inflated with zlib (and a gzip magic
 * is detected even without the suffix). */
int idx_read(const char *path, idx_array *out);
/* Writes an IDX file (gzip-compressed when path ends in .gz), atomically. */
int idx_write(const char *path, const idx_array *a);
void idx_free(idx_array *a);

/* The most idx_read will inflate a gzip file to, so a gzip bomb cannot
 * exhaust memory (Fashion-MNIST's largest file inflates to 47 MB). */
#define IDX_GZIP_CAP ((size_t)2 << 30)
/* Inflates a gzip image (one or more members) from memory into a new buffer
 * *out [*outlen] of at most `cap` bytes (more is an NN_EFORMAT error); `name`
 * is used in error messages. Once the inflated bytes hold an IDX header, the
 * size it announces becomes the cap: a member that inflates past it is
 * stopped there. idx_read uses it; exposed for tests and fuzzing. */
int idx_gunzip(const uint8_t *buf, size_t len, const char *name, size_t cap,
               uint8_t **out, size_t *outlen);

/* Most features per example a data set may have (the widest model input):
 * checked before the images are converted, so a 16-byte header of 0 x 2^28
 * x 2^28 cannot size later allocations (resize, whitening). */
#define IDX_MAX_FEATURES ((size_t)1 << 24)

/* Most values (examples x features) a synthetic draw may have. */
#define DATA_MAX_VALUES ((size_t)1 << 30)

/* Images (u8, n x rows x cols, or n x dim) + labels (u8, n) -> dataset with
 * x = raw pixel values as float (0..255, not yet normalized). The counts must
 * agree; classes = max label + 1 (at least 2). */
int idx_load_pair(const char *images_path, const char *labels_path, dataset *out);

/* ---- synthetic sets (datasets/synth.c) ----------------------------------- */

/* kind: "spirals" (2-D, `classes` interleaved arms), "blobs" (`dim`-D Gaussian
 * clusters), "xor" (2-D, 2 classes by quadrant). noise is the std of the
 * added Gaussian noise (spirals/xor) or of each cluster (blobs).
 * Deterministic in seed. */
int synth_make(const char *kind, size_t n, int classes, size_t dim, double noise,
               uint64_t seed, dataset *out);

/* ---- loading by options (datasets/dataset.c) ----------------------------- */

enum { NORM_NONE = 0, NORM_SCALE, NORM_STANDARDIZE, NORM_WHITEN };
/* "none", "scale", "standardize", "whiten" (the config's words); NULL for
 * any other value. */
const char *data_norm_name(int norm);
enum { SUBSET_FIRST = 0, SUBSET_RANDOM };

typedef struct data_opts {
    char name[64];        /* fashion-mnist | mnist | idx | spirals | blobs | xor */
    char dir[1024];       /* directory of IDX files; "" = the set's default location */
    size_t limit;         /* training examples to keep, 0 = all */
    int subset;           /* SUBSET_FIRST or SUBSET_RANDOM (seeded) for `limit` */
    size_t test_limit;    /* test examples to keep (first N), 0 = all */
    double val_split;     /* fraction of (limited) training data held out, [0, 0.5] */
    int resize;           /* images: area-average to resize x resize pixels first; 0 = off */
    int normalize;        /* NORM_* ; standardize and whiten use training statistics only */
    size_t synth_n;       /* synthetic: training examples */
    size_t synth_test_n;  /* synthetic: test examples */
    int synth_classes;    /* synthetic: classes */
    size_t synth_dim;     /* synthetic: features (blobs only; spirals/xor are 2-D) */
    double synth_noise;   /* synthetic: noise std */
    uint64_t seed;        /* subset, split and synthetic generation */
} data_opts;

/* The default location of the Debian package dataset-fashion-mnist. */
#define FASHION_MNIST_DIR "/usr/share/datasets/fashion-mnist"

/* Loads train/val/test per the options: limit, split, resize, normalize, in
 * that order. val gets n == 0 when val_split == 0. Resizing and normalization
 * are applied to all three, normalization with statistics from train only. */
int data_load(const data_opts *o, dataset *train, dataset *val, dataset *test);

/* A new data set holding examples idx[0..k-1] of d (copies). */
int dataset_subset(const dataset *d, const size_t *idx, size_t k, dataset *out);
/* Keeps the first k examples, or a seeded random k-subset (order preserved). */
int dataset_limit(dataset *d, size_t k, int subset, uint64_t seed);
/* Moves a seeded random fraction `frac` of d into val (order preserved in both). */
int dataset_split(dataset *d, double frac, uint64_t seed, dataset *val);
/* Per-feature mean and std of d (std floored at 1e-6 so constant pixels stay finite). */
int dataset_stats(const dataset *d, float *mean /* [dim] */, float *std /* [dim] */);
/* x <- (x - mean) / std, per feature. */
void dataset_standardize(dataset *d, const float *mean, const float *std);
/* x <- x * s. */
void dataset_scale(dataset *d, float s);

/* ---- transforms (datasets/transform.c) ------------------------------------ */

/* Area-averages every image of d (rows x cols, both > 0) down to
 * out_rows x out_cols: each new pixel is the exact area-weighted mean of the
 * old pixels its footprint overlaps (fractional overlaps at non-integer
 * ratios such as 28 -> 10), so the mean of all pixels is kept. Shrinks only:
 * 1 <= out_rows <= rows, 1 <= out_cols <= cols, else NN_EINVAL. */
int dataset_resize(dataset *d, int out_rows, int out_cols);

/* The whitening eps, relative to the mean eigenvalue of the covariance. */
#define WHITEN_EPS_REL 1e-5
/* PCA whitening fitted on d: mean <- the feature means, and w <- W with
 * x' = W (x - mean), W = diag(1/sqrt(lam + eps)) U^T, where C = U diag(lam) U^T
 * is the covariance (1/n) sum (x-mean)(x-mean)^T, eigenvalues largest first
 * (row 0 of W is the first principal component), each row's sign fixed so
 * its largest-magnitude entry is positive, and eps = WHITEN_EPS_REL * trace/dim
 * (1 when C = 0). lam (may be NULL) <- the eigenvalues, descending, >= 0. */
int dataset_whiten_fit(const dataset *d, double *mean /* [dim] */, double *w /* [dim][dim] */,
                       double *lam /* [dim] or NULL */);
/* x <- W (x - mean) for every example; rows = cols = 0 afterwards (the
 * features are components, not pixels). */
int dataset_whiten_apply(dataset *d, const double *mean /* [dim] */,
                         const double *w /* [dim][dim] */);

/* perm[0..n-1] <- a permutation of 0..n-1 that is a pure function of
 * (seed, epoch): Fisher-Yates on counter-based random numbers. */
void dataset_shuffle(size_t n, uint64_t seed, uint64_t epoch, size_t *perm /* [n] */);

#endif
