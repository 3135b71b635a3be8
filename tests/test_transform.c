/* Tests of datasets/transform.c and the data.resize / data.normalize = whiten
 * keys: area averaging against an exact integral on a finer common grid, PCA
 * whitening against covariances computed here in double, and their errors. */
#include "test.h"
#include "../datasets/dataset.h"
#include "../nn/nn.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* An image set of n examples, rows x cols, pixel (i, k) of example e = f. */
static void make_images(dataset *d, size_t n, int rows, int cols,
                        double (*f)(size_t e, int i, int k))
{
    memset(d, 0, sizeof *d);
    d->n = n;
    d->rows = rows;
    d->cols = cols;
    d->dim = (size_t)rows * (size_t)cols;
    d->classes = 2;
    d->x = malloc(n * d->dim * sizeof(float) + 1);
    d->y = calloc(n + 1, sizeof(int32_t));
    for (size_t e = 0; e < n; e++)
        for (int i = 0; i < rows; i++)
            for (int k = 0; k < cols; k++)
                d->x[e * d->dim + (size_t)i * (size_t)cols + (size_t)k] = (float)f(e, i, k);
}

static double smooth_px(size_t e, int i, int k)
{
    return 40.0 + 30.0 * sin(0.37 * i + 0.11 * k * k) + 0.5 * i * k + 17.0 * (double)e;
}

/* Integer values 0..255, so block sums are exact in float and double. */
static double byte_px(size_t e, int i, int k)
{
    return (double)((i * 131 + k * 71 + (int)e * 29 + i * k * 7) % 256);
}

/* Target pixel (a, b) of rows x cols -> R x C, integrated exactly a different
 * way: on the common refinement of both grids (R*rows by C*cols unit cells,
 * in which every cell lies in one source and one target pixel) the image is
 * constant per cell, so the area mean is a plain mean over the target's
 * rows x cols cells. */
static double refined_mean(const float *img, int rows, int cols, int R, int C, int a, int b)
{
    double s = 0;
    for (int u = a * rows; u < (a + 1) * rows; u++)
        for (int v = b * cols; v < (b + 1) * cols; v++)
            s += img[(size_t)(u / R) * (size_t)cols + (size_t)(v / C)];
    return s / ((double)rows * cols);
}

TEST(resize_matches_exact_area_integral)
{
    static const int shapes[][4] = {{28, 28, 10, 10}, {28, 28, 3, 3}, {28, 28, 13, 13},
                                    {28, 28, 27, 27}, {28, 28, 1, 1}, {12, 9, 5, 4},
                                    {7, 11, 7, 3}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int rows = shapes[s][0], cols = shapes[s][1], R = shapes[s][2], C = shapes[s][3];
        dataset d, orig;
        make_images(&d, 3, rows, cols, smooth_px);
        make_images(&orig, 3, rows, cols, smooth_px);
        CHECK_OK(dataset_resize(&d, R, C));
        CHECK(d.rows == R && d.cols == C && d.dim == (size_t)R * C && d.n == 3);
        double worst = 0;
        for (size_t e = 0; e < 3; e++)
            for (int a = 0; a < R; a++)
                for (int b = 0; b < C; b++) {
                    double want = refined_mean(orig.x + e * orig.dim, rows, cols, R, C, a, b);
                    double got = d.x[e * d.dim + (size_t)a * C + (size_t)b];
                    double err = fabs(got - want) / (1.0 + fabs(want));
                    if (err > worst) worst = err;
                }
        CHECK_MSG(worst < 1e-6, "%dx%d -> %dx%d: relative error %g", rows, cols, R, C, worst);
        dataset_free(&d);
        dataset_free(&orig);
    }
}

TEST(resize_integer_ratio_is_block_mean)
{
    for (int f = 2; f <= 4; f += 2) {   /* 28 -> 14 (2x2 blocks), 28 -> 7 (4x4) */
        dataset d, orig;
        int R = 28 / f;
        make_images(&d, 2, 28, 28, byte_px);
        make_images(&orig, 2, 28, 28, byte_px);
        CHECK_OK(dataset_resize(&d, R, R));
        for (size_t e = 0; e < 2; e++)
            for (int a = 0; a < R; a++)
                for (int b = 0; b < R; b++) {
                    double s = 0;
                    for (int i = a * f; i < (a + 1) * f; i++)
                        for (int k = b * f; k < (b + 1) * f; k++) s += orig.x[e * 784 + i * 28 + k];
                    float want = (float)(s / (f * f)), got = d.x[e * d.dim + (size_t)(a * R + b)];
                    CHECK_MSG(got == want, "28 -> %d, (%d,%d): %.9g vs %.9g", R, a, b, got, want);
                }
        dataset_free(&d);
        dataset_free(&orig);
    }
    /* The same size is the identity, bit for bit. */
    dataset d, orig;
    make_images(&d, 2, 28, 28, smooth_px);
    make_images(&orig, 2, 28, 28, smooth_px);
    CHECK_OK(dataset_resize(&d, 28, 28));
    CHECK(memcmp(d.x, orig.x, 2 * 784 * sizeof(float)) == 0);
    dataset_free(&d);
    dataset_free(&orig);
}

TEST(resize_keeps_total_mass)
{
    static const int sizes[] = {10, 9, 5, 3};
    for (int s = 0; s < 4; s++) {
        dataset d;
        make_images(&d, 4, 28, 28, byte_px);
        double before = 0, after = 0;
        for (size_t i = 0; i < d.n * d.dim; i++) before += d.x[i];
        before /= (double)(d.n * d.dim);
        CHECK_OK(dataset_resize(&d, sizes[s], sizes[s]));
        for (size_t i = 0; i < d.n * d.dim; i++) after += d.x[i];
        after /= (double)(d.n * d.dim);
        CHECK_NEAR(after, before, 1e-6 * before);
        dataset_free(&d);
    }
}

/* A tiny IDX set in dir: n train and m test 4x4 images of bytes. */
static void write_idx_4x4(const char *dir, size_t n, size_t m)
{
    static const char *names[4] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                   "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
    uint8_t *px = malloc((n + m) * 16), *lab = malloc(n + m);
    for (size_t i = 0; i < (n + m) * 16; i++) px[i] = (uint8_t)(i * 37 + i / 16);
    for (size_t i = 0; i < n + m; i++) lab[i] = (uint8_t)(i % 3);
    mkdir(dir, 0777);
    for (int f = 0; f < 4; f++) {
        int test = f >= 2, images = f % 2 == 0;
        idx_array a = {.type = IDX_U8, .ndim = images ? 3 : 1,
                       .dims = {(uint32_t)(test ? m : n), 4, 4}};
        a.count = a.dims[0] * (images ? 16 : 1);
        a.data = images ? px + (test ? n * 16 : 0) : lab + (test ? n : 0);
        CHECK_OK(idx_write(test_join(dir, names[f]), &a));
    }
    free(px);
    free(lab);
}

TEST(data_load_resize_and_errors)
{
    dataset tr, va, te, rtr, rva, rte;
    data_opts o;
    memset(&o, 0, sizeof o);
    snprintf(o.name, sizeof o.name, "idx");
    snprintf(o.dir, sizeof o.dir, "%s", test_path("idx4"));
    write_idx_4x4(o.dir, 20, 6);
    o.val_split = 0.25;
    o.normalize = NORM_SCALE;
    o.seed = 3;
    CHECK_OK(data_load(&o, &rtr, &rva, &rte));
    o.resize = 2;
    CHECK_OK(data_load(&o, &tr, &va, &te));
    /* All three sets: 2x2 block means, then scaled (resize comes first). */
    const dataset *got[3] = {&tr, &va, &te}, *raw[3] = {&rtr, &rva, &rte};
    for (int s = 0; s < 3; s++) {
        CHECK(got[s]->n == raw[s]->n && got[s]->n > 0);
        CHECK(got[s]->dim == 4 && got[s]->rows == 2 && got[s]->cols == 2);
        for (size_t e = 0; e < got[s]->n; e++)
            for (int a = 0; a < 2; a++)
                for (int b = 0; b < 2; b++) {
                    const float *p = raw[s]->x + e * 16 + a * 8 + b * 2;
                    double want = ((double)p[0] + p[1] + p[4] + p[5]) / 4.0;
                    CHECK_NEAR(got[s]->x[e * 4 + (size_t)(a * 2 + b)], want, 1e-6);
                }
    }
    dataset_free(&tr); dataset_free(&va); dataset_free(&te);
    dataset_free(&rtr); dataset_free(&rva); dataset_free(&rte);

    o.resize = 5;
    CHECK_ERR(data_load(&o, &tr, &va, &te), NN_ECONFIG, "data.resize = 5: the images are 4x4");
    CHECK(tr.x == NULL && va.x == NULL && te.x == NULL);
    memset(&o, 0, sizeof o);
    snprintf(o.name, sizeof o.name, "spirals");
    o.synth_n = 50;
    o.synth_test_n = 10;
    o.synth_classes = 2;
    o.resize = 2;
    CHECK_ERR(data_load(&o, &tr, &va, &te), NN_ECONFIG, "data.resize = 2: data set \"spirals\" is not images");
    o.resize = -1;
    CHECK_ERR(data_load(&o, &tr, &va, &te), NN_EINVAL, "data.resize = -1");

    /* The library call itself: not images, growing, zero. */
    dataset d;
    make_images(&d, 2, 6, 6, byte_px);
    CHECK_ERR(dataset_resize(&d, 7, 6), NN_EINVAL, "only shrinks");
    CHECK_ERR(dataset_resize(&d, 0, 3), NN_EINVAL, "only shrinks");
    d.rows = d.cols = 0;
    CHECK_ERR(dataset_resize(&d, 3, 3), NN_EINVAL, "not images");
    CHECK(d.dim == 36);   /* a failed call leaves the set as it was */
    dataset_free(&d);

    /* The config keys, with file and line on a bad value. */
    config c;
    config_defaults(&c);
    CHECK(c.data.resize == 0);
    const char *good = "[data]\nresize = 10\nnormalize = whiten\n";
    CHECK_OK(config_parse(&c, good, strlen(good), "t.ini"));
    CHECK(c.data.resize == 10 && c.data.normalize == NORM_WHITEN);
    const char *bad = "[data]\nnormalize = none\nresize = -3\n";
    CHECK_ERR(config_parse(&c, bad, strlen(bad), "t.ini"), NN_ECONFIG, "t.ini:3: data.resize = '-3'");
    char *text = config_format(&c);
    CHECK(text && strstr(text, "\nresize = 10\n") && strstr(text, "\nnormalize = whiten\n"));
    free(text);
}

/* ---- whitening ----------------------------------------------------------------- */

static double gauss(uint64_t *s)
{
    double u[2];
    for (int j = 0; j < 2; j++) {   /* splitmix64 -> (0, 1) */
        uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        u[j] = ((double)((z ^ (z >> 31)) >> 11) + 0.5) / 9007199254740992.0;
    }
    return sqrt(-2.0 * log(u[0])) * cos(6.283185307179586 * u[1]);
}

/* n examples x = A z + b of 5-D, z standard normal: a known, correlated
 * covariance A A^T with offsets far from zero. */
static void make_mixed(dataset *d, size_t n, uint64_t seed, double shift)
{
    static const double A[5][5] = {{2.0, 0.3, 0.0, -0.4, 0.1}, {1.2, 1.5, 0.2, 0.0, 0.0},
                                   {0.0, -0.7, 1.1, 0.3, 0.2}, {0.5, 0.0, 0.4, 0.9, -0.3},
                                   {-0.8, 0.2, 0.0, 0.6, 1.3}};
    static const double b[5] = {10.0, -3.0, 100.0, 0.5, 7.0};
    memset(d, 0, sizeof *d);
    d->n = n;
    d->dim = 5;
    d->classes = 2;
    d->x = malloc(n * 5 * sizeof(float));
    d->y = calloc(n, sizeof(int32_t));
    for (size_t i = 0; i < n; i++) {
        double z[5];
        for (int k = 0; k < 5; k++) z[k] = gauss(&seed);
        for (int r = 0; r < 5; r++) {
            double s = b[r] + shift;
            for (int k = 0; k < 5; k++) s += A[r][k] * z[k];
            d->x[i * 5 + (size_t)r] = (float)s;
        }
    }
}

/* mean [D] and covariance (1/n) [D][D] of d, plainly, in double. */
static void direct_cov(const dataset *d, double *mean, double *cov)
{
    size_t D = d->dim;
    for (size_t j = 0; j < D; j++) {
        double s = 0;
        for (size_t i = 0; i < d->n; i++) s += d->x[i * D + j];
        mean[j] = s / (double)d->n;
    }
    for (size_t j = 0; j < D; j++)
        for (size_t k = 0; k < D; k++) {
            double s = 0;
            for (size_t i = 0; i < d->n; i++)
                s += (d->x[i * D + j] - mean[j]) * (d->x[i * D + k] - mean[k]);
            cov[j * D + k] = s / (double)d->n;
        }
}

TEST(whiten_gives_identity_covariance)
{
    dataset d, z;
    double mean[5], w[25], lam[5], m0[5], c0[25], mz[5], cz[25];
    make_mixed(&d, 500, 11, 0.0);
    make_mixed(&z, 500, 11, 0.0);
    direct_cov(&d, m0, c0);
    CHECK_OK(dataset_whiten_fit(&d, mean, w, lam));
    CHECK_OK(dataset_whiten_apply(&z, mean, w));
    CHECK(z.rows == 0 && z.dim == 5);
    direct_cov(&z, mz, cz);
    double tr = 0;
    for (int j = 0; j < 5; j++) tr += c0[j * 6];
    double eps = WHITEN_EPS_REL * tr / 5;
    for (int j = 0; j < 5; j++) {
        CHECK_NEAR(mean[j], m0[j], 1e-9 * (1 + fabs(m0[j])));
        CHECK_NEAR(mz[j], 0.0, 1e-5);
        for (int k = 0; k < 5; k++) {
            /* Exactly lam/(lam+eps) on the diagonal (float storage aside) ... */
            double want = j == k ? lam[j] / (lam[j] + eps) : 0.0;
            CHECK_NEAR(cz[j * 5 + k], want, 2e-6);
            /* ... which is the identity to within eps/lam. */
            CHECK_NEAR(cz[j * 5 + k], j == k ? 1.0 : 0.0, 1e-4);
        }
    }
    /* Row k of W is u_k / sqrt(lam_k + eps) for a unit eigenvector u_k of the
     * covariance computed here, eigenvalues largest first, summing to the trace. */
    double lsum = 0;
    for (int k = 0; k < 5; k++) {
        double u[5], nrm = 0, res = 0, big = 0;
        lsum += lam[k];
        if (k) CHECK(lam[k] <= lam[k - 1]);
        for (int j = 0; j < 5; j++) u[j] = w[k * 5 + j] * sqrt(lam[k] + eps);
        for (int j = 0; j < 5; j++) {
            nrm += u[j] * u[j];
            if (fabs(u[j]) > fabs(big)) big = u[j];
            double cu = 0;
            for (int i = 0; i < 5; i++) cu += c0[j * 5 + i] * u[i];
            res += (cu - lam[k] * u[j]) * (cu - lam[k] * u[j]);
        }
        CHECK_NEAR(nrm, 1.0, 1e-10);
        CHECK_MSG(sqrt(res) < 1e-9 * tr, "row %d: |C u - lam u| = %g", k, sqrt(res));
        CHECK(big > 0);   /* the sign convention */
    }
    CHECK_NEAR(lsum, tr, 1e-10 * tr);
    CHECK(lam[4] > 0.05 * tr / 5);   /* the data is well conditioned, so 1e-4 above is fair */
    dataset_free(&d);
    dataset_free(&z);
}

TEST(whiten_test_set_uses_training_statistics)
{
    dataset tr, va, te, rtr, rva, rte;
    data_opts o;
    memset(&o, 0, sizeof o);
    snprintf(o.name, sizeof o.name, "blobs");
    o.synth_n = 400;
    o.synth_test_n = 150;
    o.synth_classes = 3;
    o.synth_dim = 5;
    o.synth_noise = 1.0;
    o.val_split = 0.2;
    o.seed = 9;
    CHECK_OK(data_load(&o, &rtr, &rva, &rte));
    o.normalize = NORM_WHITEN;
    CHECK_OK(data_load(&o, &tr, &va, &te));
    CHECK(tr.n == 320 && va.n == 80 && te.n == 150 && te.dim == 5);

    /* The expected map from the raw training set: the mean computed here, W
     * from the fit (checked on its own above). */
    double m0[5], c0[25], mean[5], w[25], lam[5], tr_ = 0;
    direct_cov(&rtr, m0, c0);
    CHECK_OK(dataset_whiten_fit(&rtr, mean, w, lam));
    for (int j = 0; j < 5; j++) tr_ += c0[j * 6];
    double eps = WHITEN_EPS_REL * tr_ / 5, worst = 0, back = 0;
    const dataset *got[3] = {&tr, &va, &te}, *raw[3] = {&rtr, &rva, &rte};
    for (int s = 0; s < 3; s++)
        for (size_t i = 0; i < got[s]->n; i++) {
            const float *x = raw[s]->x + i * 5, *zz = got[s]->x + i * 5;
            for (int k = 0; k < 5; k++) {
                double want = 0;
                for (int j = 0; j < 5; j++) want += w[k * 5 + j] * (x[j] - m0[j]);
                double e = fabs(zz[k] - want) / (1 + fabs(want));
                if (e > worst) worst = e;
            }
            /* Invertible: x = mean + W^T diag(lam + eps) z. */
            for (int j = 0; j < 5; j++) {
                double xr = m0[j];
                for (int k = 0; k < 5; k++) xr += w[k * 5 + j] * (lam[k] + eps) * zz[k];
                double e = fabs(xr - x[j]) / (1 + fabs(x[j]));
                if (e > back) back = e;
            }
        }
    CHECK_MSG(worst < 1e-5, "whitened vs W (x - train mean): relative error %g", worst);
    CHECK_MSG(back < 1e-5, "reconstruction: relative error %g", back);
    /* Not vacuous: the test set's own mean is a different map. */
    double mt[5], ct[25], gap = 0;
    direct_cov(&rte, mt, ct);
    for (int k = 0; k < 5; k++) {
        double d = 0;
        for (int j = 0; j < 5; j++) d += w[k * 5 + j] * (mt[j] - m0[j]);
        gap += fabs(d);
    }
    CHECK_MSG(gap > 1e-2, "train and test means are too close to tell apart (%g)", gap);
    dataset_free(&tr); dataset_free(&va); dataset_free(&te);
    dataset_free(&rtr); dataset_free(&rva); dataset_free(&rte);
}

TEST(whiten_constant_feature_stays_finite)
{
    dataset d, z, t;
    double mean[6], w[36], lam[6];
    /* 6-D: the 5 mixed features plus a pixel that is 42 in every training example. */
    make_mixed(&z, 300, 5, 0.0);
    memset(&d, 0, sizeof d);
    d.n = 300;
    d.dim = 6;
    d.x = malloc(300 * 6 * sizeof(float));
    d.y = calloc(300, sizeof(int32_t));
    for (size_t i = 0; i < 300; i++) {
        memcpy(d.x + i * 6, z.x + i * 5, 5 * sizeof(float));
        d.x[i * 6 + 5] = 42.0f;
    }
    dataset_free(&z);
    CHECK_OK(dataset_whiten_fit(&d, mean, w, lam));
    CHECK(lam[5] == 0.0 && lam[4] > 0);
    for (int i = 0; i < 36; i++) CHECK(isfinite(w[i]));
    CHECK_OK(dataset_whiten_apply(&d, mean, w));
    for (size_t i = 0; i < d.n * 6; i++) CHECK(isfinite(d.x[i]));
    for (size_t i = 0; i < d.n; i++) CHECK(fabs(d.x[i * 6 + 5]) < 1e-6);
    /* A test example where the pixel moves: large but finite. */
    memset(&t, 0, sizeof t);
    t.n = 1;
    t.dim = 6;
    float tx[6] = {10, -3, 100, 0.5f, 7, 43};
    t.x = tx;
    CHECK_OK(dataset_whiten_apply(&t, mean, w));
    for (int k = 0; k < 6; k++) CHECK(isfinite(tx[k]));
    CHECK(fabs(tx[5]) > 10);
    dataset_free(&d);

    /* All examples equal: nothing to scale, still finite (all zero). */
    make_images(&d, 20, 2, 2, smooth_px);
    for (size_t i = 0; i < 80; i++) d.x[i] = 3.0f;
    CHECK_OK(dataset_whiten_fit(&d, mean, w, lam));
    CHECK_OK(dataset_whiten_apply(&d, mean, w));
    for (size_t i = 0; i < 80; i++) CHECK(d.x[i] == 0.0f);
    CHECK(d.rows == 0 && d.cols == 0);
    dataset_free(&d);
    d.n = 0;
    d.dim = 4;
    CHECK_ERR(dataset_whiten_fit(&d, mean, w, lam), NN_EINVAL, "empty");
}

/* eps is relative, so a pre-scale (x/255 or not) gives the same features. */
TEST(whiten_ignores_input_scale)
{
    dataset a, b;
    double ma[5], wa[25], mb[5], wb[25];
    make_mixed(&a, 200, 7, 0.0);
    make_mixed(&b, 200, 7, 0.0);
    for (size_t i = 0; i < b.n * 5; i++) b.x[i] /= 255.0f;
    /* A set with a tiny direction, where an absolute eps would show. */
    for (size_t i = 0; i < a.n; i++) {
        a.x[i * 5 + 4] = a.x[i * 5] + 1e-3f * (float)((i * 7919) % 13);
        b.x[i * 5 + 4] = a.x[i * 5 + 4] / 255.0f;
    }
    CHECK_OK(dataset_whiten_fit(&a, ma, wa, NULL));
    CHECK_OK(dataset_whiten_fit(&b, mb, wb, NULL));
    CHECK_OK(dataset_whiten_apply(&a, ma, wa));
    CHECK_OK(dataset_whiten_apply(&b, mb, wb));
    double worst = 0;
    for (size_t i = 0; i < a.n * 5; i++) {
        double e = fabs(a.x[i] - b.x[i]) / (1 + fabs(a.x[i]));
        if (e > worst) worst = e;
    }
    CHECK_MSG(worst < 1e-3, "whitened x and x/255 differ by %g", worst);
    dataset_free(&a);
    dataset_free(&b);
}

/* The critical-point study's data (configs/tiny.ini), when the set is installed. */
TEST(fashion_mnist_tiny_whitened_if_installed)
{
    struct stat st;
    dataset tr, va, te, raw, rva, rte;
    data_opts o;
    if (stat(FASHION_MNIST_DIR, &st) != 0) {
        fprintf(stderr, "  note: %s absent; skipped\n", FASHION_MNIST_DIR);
        return;
    }
    memset(&o, 0, sizeof o);
    snprintf(o.name, sizeof o.name, "fashion-mnist");
    o.limit = 1000;
    o.test_limit = 1000;
    o.normalize = NORM_NONE;
    CHECK_OK(data_load(&o, &raw, &rva, &rte));
    o.resize = 10;
    o.normalize = NORM_WHITEN;
    CHECK_OK(data_load(&o, &tr, &va, &te));
    CHECK(tr.n == 1000 && te.n == 1000 && tr.dim == 100 && te.dim == 100 && tr.rows == 0);
    if (tr.dim != 100 || raw.dim != 784) goto done;
    /* Image 0 by the refined-grid integral; the raw training set resized
     * here and fitted gives the eigenvalues the whitened covariance must show. */
    double *m = malloc(100 * sizeof *m), *c = malloc(100 * 100 * sizeof *c);
    double *w = malloc(100 * 100 * sizeof *w), lam[100], tr_ = 0;
    dataset small = raw;
    small.x = malloc(raw.n * 784 * sizeof(float));
    memcpy(small.x, raw.x, raw.n * 784 * sizeof(float));
    small.y = NULL;
    CHECK_OK(dataset_resize(&small, 10, 10));
    for (int a = 0; a < 10; a++)
        for (int b = 0; b < 10; b++)
            CHECK_NEAR(small.x[a * 10 + b], refined_mean(raw.x, 28, 28, 10, 10, a, b), 1e-4);
    CHECK_OK(dataset_whiten_fit(&small, m, w, lam));
    free(small.x);
    for (int j = 0; j < 100; j++) tr_ += lam[j];
    double eps = WHITEN_EPS_REL * tr_ / 100;
    direct_cov(&tr, m, c);
    double off = 0, diag = 0, unit = 0;
    for (int j = 0; j < 100; j++) {
        CHECK_NEAR(m[j], 0.0, 1e-4);
        for (int k = 0; k < 100; k++)
            if (j == k) {
                diag = fmax(diag, fabs(c[j * 101] - lam[j] / (lam[j] + eps)));
                unit = fmax(unit, fabs(c[j * 101] - 1));
            } else {
                off = fmax(off, fabs(c[j * 100 + k]));
            }
    }
    /* Real pixels are far from isotropic (lam_max / lam_min is about 1.5e5
     * here), so the last components come out with variance 1 - eps/lam
     * (0.96 for the smallest), not 1. */
    CHECK_MSG(off < 1e-5 && diag < 1e-5 && unit < 0.05,
              "whitened covariance: off-diagonal %g, diagonal vs lam/(lam+eps) %g, vs 1 %g",
              off, diag, unit);
    for (size_t i = 0; i < te.n * te.dim; i++) CHECK(isfinite(te.x[i]));
    free(m);
    free(c);
    free(w);
done:
    dataset_free(&tr); dataset_free(&va); dataset_free(&te);
    dataset_free(&raw); dataset_free(&rva); dataset_free(&rte);
}
