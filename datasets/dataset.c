/* Data sets in memory: subsets, seeded limits and validation splits,
 * per-feature statistics and normalization, per-epoch shuffles, and
 * data_load, which turns data options into train/val/test. */
#include "dataset.h"
#include "rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Sub-streams of RNG_SUBSET: a random limit and the validation split that
 * follows it must not draw the same numbers. */
enum { SUB_LIMIT = 0, SUB_SPLIT = 1 };

void dataset_free(dataset *d)
{
    if (!d) return;
    free(d->x);
    free(d->y);
    memset(d, 0, sizeof *d);
}

/* Allocates x [n][dim] and y [n] and copies the metadata of `like`. */
static int dataset_alloc(const dataset *like, size_t n, dataset *out)
{
    memset(out, 0, sizeof *out);
    if (like->dim && n > SIZE_MAX / sizeof(float) / like->dim)
        return nn_err(NN_ENOMEM, "data set of %zu x %zu floats is too large", n, like->dim);
    /* +1: malloc(0) may return NULL, which would look like a failure. */
    out->x = malloc(n * like->dim * sizeof(float) + 1);
    out->y = malloc(n * sizeof(int32_t) + 1);
    if (!out->x || !out->y) {
        dataset_free(out);
        return nn_err(NN_ENOMEM, "cannot allocate a data set of %zu x %zu floats", n, like->dim);
    }
    out->n = n;
    out->dim = like->dim;
    out->classes = like->classes;
    out->rows = like->rows;
    out->cols = like->cols;
    return NN_OK;
}

int dataset_subset(const dataset *d, const size_t *idx, size_t k, dataset *out)
{
    int rc;
    memset(out, 0, sizeof *out);
    for (size_t j = 0; j < k; j++)
        if (idx[j] >= d->n)
            return nn_err(NN_EINVAL, "subset: index %zu (position %zu) is out of range 0..%zu",
                          idx[j], j, d->n ? d->n - 1 : 0);
    rc = dataset_alloc(d, k, out);
    if (rc) return rc;
    for (size_t j = 0; j < k; j++) {
        memcpy(out->x + j * d->dim, d->x + idx[j] * d->dim, d->dim * sizeof(float));
        out->y[j] = d->y[idx[j]];
    }
    return NN_OK;
}

/* A copy of examples [start, start + k) of d. */
static int dataset_range(const dataset *d, size_t start, size_t k, dataset *out)
{
    int rc = dataset_alloc(d, k, out);
    if (rc) return rc;
    if (k) {
        memcpy(out->x, d->x + start * d->dim, k * d->dim * sizeof(float));
        memcpy(out->y, d->y + start, k * sizeof(int32_t));
    }
    return NN_OK;
}

/* flag[i] <- 1 for a seeded k-subset of 0..n-1 (selection sampling, Knuth's
 * Algorithm S: exact k, one draw per index, order preserved for free). */
static void subset_pick(size_t n, size_t k, uint64_t seed, uint64_t stream, unsigned char *flag)
{
    size_t chosen = 0;
    for (size_t i = 0; i < n; i++) {
        flag[i] = rng_below(seed, stream, i, n - i) < k - chosen;
        chosen += flag[i];
    }
}

/* Moves the flagged (keep == 1) or unflagged (keep == 0) examples to the
 * front in their original order; returns how many. */
static size_t dataset_compact(dataset *d, const unsigned char *flag, int keep)
{
    size_t j = 0;
    for (size_t i = 0; i < d->n; i++) {
        if ((flag[i] != 0) != keep) continue;
        if (j != i) {
            memcpy(d->x + j * d->dim, d->x + i * d->dim, d->dim * sizeof(float));
            d->y[j] = d->y[i];
        }
        j++;
    }
    return j;
}

int dataset_limit(dataset *d, size_t k, int subset, uint64_t seed)
{
    unsigned char *flag = NULL;
    if (subset != SUBSET_FIRST && subset != SUBSET_RANDOM)
        return nn_err(NN_EINVAL, "limit: unknown subset mode %d (0 = first, 1 = random)", subset);
    if (k >= d->n) return NN_OK;
    if (subset == SUBSET_RANDOM) {
        flag = malloc(d->n);
        if (!flag) return nn_err(NN_ENOMEM, "limit: cannot allocate %zu flags", d->n);
        subset_pick(d->n, k, seed, RNG_SUBSET + SUB_LIMIT, flag);
        dataset_compact(d, flag, 1);
        free(flag);
    }
    d->n = k;
    /* Give the tail back (a 1000-example limit of Fashion-MNIST would
     * otherwise pin 188 MB); a failed shrink leaves the old, valid block. */
    float *x = realloc(d->x, k * d->dim * sizeof(float) + 1);
    int32_t *y = realloc(d->y, k * sizeof(int32_t) + 1);
    if (x) d->x = x;
    if (y) d->y = y;
    return NN_OK;
}

int dataset_split(dataset *d, double frac, uint64_t seed, dataset *val)
{
    unsigned char *flag = NULL;
    size_t nval, *idx = NULL, j = 0;
    int rc;

    memset(val, 0, sizeof *val);
    if (!(frac >= 0 && frac < 1))
        return nn_err(NN_EINVAL, "split: fraction %g is outside [0, 1)", frac);
    nval = (size_t)floor(frac * (double)d->n + 0.5);
    if (nval >= d->n && nval > 0)
        return nn_err(NN_EINVAL, "split: holding out %zu of %zu examples leaves none to train on",
                      nval, d->n);
    flag = malloc(d->n + 1);
    idx = malloc(nval * sizeof *idx + 1);
    if (!flag || !idx) {
        rc = nn_err(NN_ENOMEM, "split: cannot allocate index arrays for %zu examples", d->n);
        goto fail;
    }
    subset_pick(d->n, nval, seed, RNG_SUBSET + SUB_SPLIT, flag);
    for (size_t i = 0; i < d->n; i++)
        if (flag[i]) idx[j++] = i;
    rc = dataset_subset(d, idx, nval, val);
    if (rc) goto fail;
    d->n = dataset_compact(d, flag, 0);
    free(flag);
    free(idx);
    return NN_OK;
fail:
    free(flag);
    free(idx);
    dataset_free(val);
    return rc;
}

int dataset_stats(const dataset *d, float *mean /* [dim] */, float *std /* [dim] */)
{
    double *acc = NULL;
    size_t D = d->dim;

    if (d->n == 0) return nn_err(NN_EINVAL, "stats: the data set is empty");
    acc = calloc(2 * D + 1, sizeof *acc);
    if (!acc) return nn_err(NN_ENOMEM, "stats: cannot allocate %zu accumulators", 2 * D);
    double *sum = acc, *sq = acc + D;
    /* Two passes (mean, then squared deviations) in double: one-pass
     * sum-of-squares loses the variance of pixels that are large and nearly
     * constant. Rows outer so memory is read in order. */
    for (size_t i = 0; i < d->n; i++) {
        const float *r = d->x + i * D;
        for (size_t k = 0; k < D; k++) sum[k] += r[k];
    }
    for (size_t k = 0; k < D; k++) sum[k] /= (double)d->n;
    for (size_t i = 0; i < d->n; i++) {
        const float *r = d->x + i * D;
        for (size_t k = 0; k < D; k++) {
            double e = r[k] - sum[k];
            sq[k] += e * e;
        }
    }
    for (size_t k = 0; k < D; k++) {
        double s = sqrt(sq[k] / (double)d->n);
        mean[k] = (float)sum[k];
        std[k] = (float)(s < 1e-6 ? 1e-6 : s);
    }
    free(acc);
    return NN_OK;
}

void dataset_standardize(dataset *d, const float *mean /* [dim] */, const float *std /* [dim] */)
{
    for (size_t i = 0; i < d->n; i++) {
        float *r = d->x + i * d->dim;
        for (size_t k = 0; k < d->dim; k++) r[k] = (r[k] - mean[k]) / std[k];
    }
}

void dataset_scale(dataset *d, float s)
{
    for (size_t i = 0, m = d->n * d->dim; i < m; i++) d->x[i] *= s;
}

void dataset_shuffle(size_t n, uint64_t seed, uint64_t epoch, size_t *perm /* [n] */)
{
    for (size_t i = 0; i < n; i++) perm[i] = i;
    for (size_t i = n; i-- > 1;) {
        size_t j = (size_t)rng_below(seed, RNG_SHUFFLE + epoch, i, i + 1);
        size_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
}

/* ---- data_load ----------------------------------------------------------- */

/* path <- dir/base.gz, or dir/base when only the uncompressed file exists. */
static int data_find(const char *set, const char *dir, const char *base, char *path, size_t cap)
{
    struct stat st;
    char plain[2048];
    size_t dl = strlen(dir);
    const char *sep = dl && dir[dl - 1] == '/' ? "" : "/";

    if ((size_t)snprintf(path, cap, "%s%s%s.gz", dir, sep, base) >= cap ||
        (size_t)snprintf(plain, sizeof plain, "%s%s%s", dir, sep, base) >= sizeof plain)
        return nn_err(NN_EINVAL, "data set \"%s\": data.dir is too long", set);
    if (stat(path, &st) == 0) return NN_OK;
    if (stat(plain, &st) == 0) {
        snprintf(path, cap, "%s", plain);
        return NN_OK;
    }
    if (strcmp(set, "fashion-mnist") == 0)
        return nn_err(NN_EIO, "%s: no such file (nor %s): Fashion-MNIST comes from the Debian "
                      "package dataset-fashion-mnist (apt-get install dataset-fashion-mnist, "
                      "files in %s), or set data.dir to a directory holding its IDX files",
                      path, plain, FASHION_MNIST_DIR);
    return nn_err(NN_EIO, "%s: no such file (nor %s): set data.dir to the directory holding "
                  "the %s IDX files (for Fashion-MNIST, the Debian package is "
                  "dataset-fashion-mnist)", path, plain, set);
}

static int data_load_idx(const data_opts *o, dataset *train, dataset *test)
{
    static const char *const files[4] = {
        "train-images-idx3-ubyte", "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"
    };
    char path[4][2048];
    const char *dir = o->dir;
    int rc;

    if (!dir[0]) {
        if (strcmp(o->name, "fashion-mnist") == 0) dir = FASHION_MNIST_DIR;
        else
            return nn_err(NN_EINVAL, "data set \"%s\": data.dir is empty; set data.dir to the "
                          "directory holding %s[.gz] and the other three IDX files",
                          o->name, files[0]);
    }
    for (int i = 0; i < 4; i++) {
        rc = data_find(o->name, dir, files[i], path[i], sizeof path[i]);
        if (rc) return rc;
    }
    rc = idx_load_pair(path[0], path[1], train);
    if (rc) goto fail;
    rc = idx_load_pair(path[2], path[3], test);
    if (rc) goto fail;
    if (train->dim != test->dim) {
        rc = nn_err(NN_EFORMAT, "%s has %zu features per example but %s has %zu",
                    path[0], train->dim, path[2], test->dim);
        goto fail;
    }
    /* A test set may lack the top class; both must agree on the label range. */
    if (test->classes > train->classes) train->classes = test->classes;
    test->classes = train->classes;
    return NN_OK;
fail:
    dataset_free(train);
    dataset_free(test);
    return rc;
}

/* One synthetic draw of synth_n + synth_test_n examples cut in two: example i
 * depends only on (seed, i), so the parts are independent samples of the
 * same distribution (blob centers are shared) and the training part does not
 * change with synth_test_n. */
static int data_load_synth(const data_opts *o, dataset *train, dataset *test)
{
    dataset all = {0};
    int rc;

    if (o->synth_n == 0)
        return nn_err(NN_EINVAL, "data set \"%s\": data.synth_n must be positive", o->name);
    if (o->synth_test_n > SIZE_MAX / 2 - o->synth_n)
        return nn_err(NN_EINVAL, "data set \"%s\": synth_n + synth_test_n is too large", o->name);
    /* The config's counts size the draw: bounded here, so an absurd one is a
     * config error in every build rather than a failed (or, under ASan, an
     * aborting) allocation. */
    size_t dim = !strcmp(o->name, "blobs") && o->synth_dim ? o->synth_dim : 2;
    size_t total = o->synth_n + o->synth_test_n;
    if (total > DATA_MAX_VALUES / dim)
        return nn_err(NN_ECONFIG, "data set \"%s\": data.synth_n + data.synth_test_n = %zu "
                      "examples of %zu features, more than the limit of %zu values", o->name,
                      total, dim, DATA_MAX_VALUES);
    rc = synth_make(o->name, o->synth_n + o->synth_test_n, o->synth_classes, o->synth_dim,
                    o->synth_noise, o->seed, &all);
    if (rc) return rc;
    rc = dataset_range(&all, 0, o->synth_n, train);
    if (rc) goto fail;
    rc = dataset_range(&all, o->synth_n, o->synth_test_n, test);
    if (rc) goto fail;
    dataset_free(&all);
    return NN_OK;
fail:
    dataset_free(&all);
    dataset_free(train);
    dataset_free(test);
    return rc;
}

/* x <- x / s: a division, not dataset_scale's multiply by 1/s, so pixels
 * match torchvision's ToTensor (x.float().div(255)) bit for bit. */
static void data_divide(dataset *d, float s)
{
    for (size_t i = 0, m = d->n * d->dim; i < m; i++) d->x[i] /= s;
}

static int data_standardize(dataset *train, dataset *val, dataset *test)
{
    float *mean = malloc(train->dim * sizeof(float) + 1);
    float *std = malloc(train->dim * sizeof(float) + 1);
    int rc;

    if (!mean || !std) {
        rc = nn_err(NN_ENOMEM, "standardize: cannot allocate %zu statistics", train->dim);
        goto fail;
    }
    rc = dataset_stats(train, mean, std);
    if (rc) goto fail;
    dataset_standardize(train, mean, std);
    dataset_standardize(val, mean, std);
    dataset_standardize(test, mean, std);
fail:
    free(mean);
    free(std);
    return rc;
}

/* PCA whitening of all three sets with the training set's statistics. */
static int data_whiten(dataset *train, dataset *val, dataset *test)
{
    size_t D = train->dim;
    double *mean = NULL, *w = NULL;
    int rc;

    /* D*D must fit LAPACK's int (and memory): 784 pixels is 4.9 MB. */
    if (D == 0 || D > 46340)
        return nn_err(NN_EINVAL, "data.normalize = whiten: %zu features; whitening "
                      "supports 1..46340 (data.resize shrinks images)", D);
    if ((mean = malloc(D * sizeof *mean)) == NULL || (w = malloc(D * D * sizeof *w)) == NULL) {
        rc = nn_err(NN_ENOMEM, "data.normalize = whiten: cannot allocate a %zu x %zu "
                    "transform", D, D);
        goto fail;
    }
    if ((rc = dataset_whiten_fit(train, mean, w, NULL)) ||
        (rc = dataset_whiten_apply(train, mean, w)) ||
        (rc = dataset_whiten_apply(val, mean, w)) ||
        (rc = dataset_whiten_apply(test, mean, w))) {
        char why[1024];   /* nn_err must not read the buffer it writes */
        snprintf(why, sizeof why, "%s", nn_errmsg());
        nn_err(rc, "data.normalize = whiten: %s", why);
    }
fail:
    free(mean);
    free(w);
    return rc;
}

/* data.resize: the same area averaging for all three sets. */
static int data_resize(const data_opts *o, dataset *train, dataset *val, dataset *test)
{
    int rc;
    if (train->rows <= 0)
        return nn_err(NN_ECONFIG, "data.resize = %d: data set \"%s\" is not images (%zu "
                      "features without an image shape); resize applies to fashion-mnist, "
                      "mnist and idx images only (0 = off)", o->resize, o->name, train->dim);
    if (o->resize > train->rows || o->resize > train->cols)
        return nn_err(NN_ECONFIG, "data.resize = %d: the images are %dx%d and area averaging "
                      "only shrinks; expected 1..%d (0 = off)", o->resize, train->rows,
                      train->cols, train->rows < train->cols ? train->rows : train->cols);
    if ((rc = dataset_resize(train, o->resize, o->resize)) ||
        (rc = dataset_resize(val, o->resize, o->resize)) ||
        (rc = dataset_resize(test, o->resize, o->resize))) {
        char why[1024];   /* nn_err must not read the buffer it writes */
        snprintf(why, sizeof why, "%s", nn_errmsg());
        return nn_err(rc, "data.resize = %d: %s", o->resize, why);
    }
    return NN_OK;
}

const char *data_norm_name(int norm)
{
    static const char *const names[] = {"none", "scale", "standardize", "whiten"};
    return norm >= NORM_NONE && norm <= NORM_WHITEN ? names[norm] : NULL;
}

int data_load(const data_opts *o, dataset *train, dataset *val, dataset *test)
{
    int rc, is_idx;

    memset(train, 0, sizeof *train);
    memset(val, 0, sizeof *val);
    memset(test, 0, sizeof *test);
    if (!(o->val_split >= 0 && o->val_split <= 0.5))
        return nn_err(NN_EINVAL, "data.val_split = %g, expected 0 .. 0.5", o->val_split);
    if (o->normalize < NORM_NONE || o->normalize > NORM_WHITEN)
        return nn_err(NN_EINVAL, "data.normalize = %d, expected none, scale, standardize or "
                      "whiten", o->normalize);
    if (o->resize < 0)
        return nn_err(NN_EINVAL, "data.resize = %d, expected 0 (off) or a size in pixels",
                      o->resize);
    if (o->subset != SUBSET_FIRST && o->subset != SUBSET_RANDOM)
        return nn_err(NN_EINVAL, "data.subset = %d, expected first or random", o->subset);

    is_idx = strcmp(o->name, "fashion-mnist") == 0 || strcmp(o->name, "mnist") == 0 ||
             strcmp(o->name, "idx") == 0;
    if (is_idx)
        rc = data_load_idx(o, train, test);
    else if (strcmp(o->name, "spirals") == 0 || strcmp(o->name, "blobs") == 0 ||
             strcmp(o->name, "xor") == 0)
        rc = data_load_synth(o, train, test);
    else
        return nn_err(NN_EINVAL, "data.name = \"%s\": unknown data set (known: fashion-mnist, "
                      "mnist, idx, spirals, blobs, xor)", o->name);
    if (rc) goto fail;

    if (o->limit) {
        rc = dataset_limit(train, o->limit, o->subset, o->seed);
        if (rc) goto fail;
    }
    if (o->test_limit) {
        rc = dataset_limit(test, o->test_limit, SUBSET_FIRST, 0);
        if (rc) goto fail;
    }
    if (o->val_split > 0) {
        rc = dataset_split(train, o->val_split, o->seed, val);
        if (rc) goto fail;
    } else {
        /* Shape without examples, so code that reads val.dim still works. */
        val->dim = train->dim;
        val->classes = train->classes;
        val->rows = train->rows;
        val->cols = train->cols;
    }

    if (o->resize) {
        rc = data_resize(o, train, val, test);
        if (rc) goto fail;
    }
    /* Whitening takes raw pixels: with eps relative to the mean eigenvalue it
     * gives the same features (up to rounding) with or without a /255. */
    if (o->normalize == NORM_SCALE && is_idx) {
        data_divide(train, 255.0f);
        data_divide(val, 255.0f);
        data_divide(test, 255.0f);
    } else if (o->normalize == NORM_STANDARDIZE) {
        rc = data_standardize(train, val, test);
        if (rc) goto fail;
    } else if (o->normalize == NORM_WHITEN) {
        rc = data_whiten(train, val, test);
        if (rc) goto fail;
    }
    return NN_OK;
fail:
    dataset_free(train);
    dataset_free(val);
    dataset_free(test);
    return rc;
}
