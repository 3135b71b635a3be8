/* Tests of datasets/synth.c and datasets/dataset.c: synthetic sets,
 * limits, splits, statistics and standardization against direct double
 * computations, shuffles, and data_load (synthetic, tiny IDX, Fashion-MNIST). */
#include "test.h"
#include "../datasets/dataset.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* n examples of dim features where x[i][0] = i identifies the example. */
static void make_ids(dataset *d, size_t n, size_t dim)
{
    memset(d, 0, sizeof *d);
    d->n = n;
    d->dim = dim;
    d->classes = 3;
    d->x = malloc(n * dim * sizeof(float) + 1);
    d->y = malloc(n * sizeof(int32_t) + 1);
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < dim; k++) d->x[i * dim + k] = (float)(i + 1000 * k);
        d->y[i] = (int32_t)(i % 3);
    }
}

static int same_data(const dataset *a, const dataset *b)
{
    return a->n == b->n && a->dim == b->dim && a->classes == b->classes &&
           memcmp(a->x, b->x, a->n * a->dim * sizeof(float)) == 0 &&
           memcmp(a->y, b->y, a->n * sizeof(int32_t)) == 0;
}

TEST(synth_is_deterministic_and_prefix_stable)
{
    static const char *kinds[] = {"spirals", "blobs", "xor"};
    for (int k = 0; k < 3; k++) {
        dataset a, b, c, e;
        int cl = k == 2 ? 2 : 4;
        CHECK_OK(synth_make(kinds[k], 150, cl, 5, 0.2, 42, &a));
        CHECK_OK(synth_make(kinds[k], 150, cl, 5, 0.2, 42, &b));
        CHECK_OK(synth_make(kinds[k], 150, cl, 5, 0.2, 43, &c));
        CHECK_OK(synth_make(kinds[k], 100, cl, 5, 0.2, 42, &e));
        CHECK(a.n == 150 && a.dim == (k == 1 ? 5u : 2u) && a.classes == cl);
        CHECK(same_data(&a, &b));
        CHECK(memcmp(a.x, c.x, a.n * a.dim * sizeof(float)) != 0);
        CHECK(memcmp(a.x, e.x, e.n * e.dim * sizeof(float)) == 0);   /* prefix */
        for (size_t i = 0; i < a.n * a.dim; i++) CHECK(isfinite(a.x[i]));
        dataset_free(&a);
        dataset_free(&b);
        dataset_free(&c);
        dataset_free(&e);
    }
}

TEST(synth_class_balance_and_geometry)
{
    dataset d;
    int count[5] = {0};
    /* Spirals without noise: every point lies on its class's arm, where the
     * angle is 2*pi*c/K + 4r at radius r. */
    CHECK_OK(synth_make("spirals", 301, 5, 0, 0.0, 7, &d));
    for (size_t i = 0; i < d.n; i++) {
        int c = d.y[i];
        count[c]++;
        double x0 = d.x[2 * i], x1 = d.x[2 * i + 1], r = sqrt(x0 * x0 + x1 * x1);
        double t = atan2(x0, x1) - 6.283185307179586 * c / 5 - 4.0 * r;
        double w = remainder(t, 6.283185307179586);
        CHECK(r < 1.0 + 1e-6);
        CHECK_MSG(fabs(w) < 1e-4 || r < 1e-2, "point %zu off its arm by %g", i, w);
    }
    for (int c = 0; c < 5; c++) CHECK(count[c] == 60 || count[c] == 61);
    dataset_free(&d);

    /* Xor without noise: inside the square, class 1 exactly where the signs differ. */
    CHECK_OK(synth_make("xor", 400, 0, 9, 0.0, 3, &d));
    int ones = 0;
    CHECK(d.classes == 2 && d.dim == 2);
    for (size_t i = 0; i < d.n; i++) {
        double p = (double)d.x[2 * i] * d.x[2 * i + 1];
        CHECK(fabs(d.x[2 * i]) <= 1 && fabs(d.x[2 * i + 1]) <= 1);
        CHECK((d.y[i] == 1) == (p < 0));
        ones += d.y[i];
    }
    CHECK(ones == 200);
    dataset_free(&d);

    /* Blobs: tight clusters, so each point is nearest its own class mean. */
    size_t D = 6;
    double mean[4][6] = {{0}};
    CHECK_OK(synth_make("blobs", 400, 4, D, 0.3, 11, &d));
    for (size_t i = 0; i < d.n; i++)
        for (size_t k = 0; k < D; k++) mean[d.y[i]][k] += d.x[i * D + k] / 100.0;
    size_t right = 0;
    for (size_t i = 0; i < d.n; i++) {
        int best = -1;
        double bd = 1e300;
        for (int c = 0; c < 4; c++) {
            double s = 0;
            for (size_t k = 0; k < D; k++) s += pow(d.x[i * D + k] - mean[c][k], 2);
            if (s < bd) { bd = s; best = c; }
        }
        right += best == d.y[i];
    }
    CHECK(right == d.n);
    dataset_free(&d);
}

TEST(synth_rejects_bad_arguments)
{
    dataset d;
    CHECK_ERR(synth_make("moons", 10, 2, 2, 0.1, 1, &d), NN_EINVAL, "\"moons\": unknown kind (known: spirals, blobs, xor)");
    CHECK(d.x == NULL && d.n == 0);
    CHECK_ERR(synth_make("xor", 10, 3, 2, 0.1, 1, &d), NN_EINVAL, "has 2 classes");
    CHECK_ERR(synth_make("blobs", 0, 3, 2, 0.1, 1, &d), NN_EINVAL, "n must be positive");
    CHECK_ERR(synth_make("spirals", 10, 1, 2, 0.1, 1, &d), NN_EINVAL, "classes = 1");
    CHECK_ERR(synth_make("spirals", 10, 3, 2, -1, 1, &d), NN_EINVAL, "noise");
}

TEST(limit_first_and_random)
{
    dataset d, e, f;
    make_ids(&d, 100, 3);
    CHECK_OK(dataset_limit(&d, 10, SUBSET_FIRST, 0));
    CHECK(d.n == 10);
    for (size_t i = 0; i < 10; i++) CHECK(d.x[i * 3] == (float)i && d.x[i * 3 + 2] == (float)(i + 2000));
    CHECK_OK(dataset_limit(&d, 50, SUBSET_FIRST, 0));   /* more than there is: no change */
    CHECK(d.n == 10);
    dataset_free(&d);

    make_ids(&d, 1000, 2);
    make_ids(&e, 1000, 2);
    make_ids(&f, 1000, 2);
    CHECK_OK(dataset_limit(&d, 100, SUBSET_RANDOM, 5));
    CHECK_OK(dataset_limit(&e, 100, SUBSET_RANDOM, 5));
    CHECK_OK(dataset_limit(&f, 100, SUBSET_RANDOM, 6));
    CHECK(d.n == 100 && same_data(&d, &e));
    CHECK(memcmp(d.x, f.x, 100 * 2 * sizeof(float)) != 0);
    for (size_t i = 0; i < d.n; i++) {
        float id = d.x[2 * i];
        CHECK(d.x[2 * i + 1] == id + 1000 && d.y[i] == (int32_t)id % 3);   /* rows intact */
        if (i) CHECK(id > d.x[2 * (i - 1)]);                             /* order kept */
    }
    CHECK(d.x[2 * 99] > 500);   /* not just the first ones */
    dataset_free(&d);
    dataset_free(&e);
    dataset_free(&f);

    /* Each example is equally likely to be the one kept. */
    int hits[4] = {0};
    for (uint64_t s = 0; s < 4000; s++) {
        make_ids(&d, 4, 1);
        CHECK_OK(dataset_limit(&d, 1, SUBSET_RANDOM, s));
        hits[(int)d.x[0]]++;
        dataset_free(&d);
    }
    for (int i = 0; i < 4; i++) CHECK_MSG(hits[i] > 850 && hits[i] < 1150, "hits[%d] = %d", i, hits[i]);
}

TEST(split_sizes_disjoint_deterministic)
{
    dataset d, v, d2, v2, d3, v3;
    make_ids(&d, 1000, 2);
    make_ids(&d2, 1000, 2);
    make_ids(&d3, 1000, 2);
    CHECK_OK(dataset_split(&d, 0.2, 9, &v));
    CHECK_OK(dataset_split(&d2, 0.2, 9, &v2));
    CHECK_OK(dataset_split(&d3, 0.2, 10, &v3));
    CHECK(d.n == 800 && v.n == 200 && v.dim == 2 && v.classes == 3);
    CHECK(same_data(&d, &d2) && same_data(&v, &v2));
    CHECK(!same_data(&v, &v3));
    unsigned char seen[1000] = {0};
    for (size_t i = 0; i < d.n; i++) {
        seen[(int)d.x[2 * i]]++;
        if (i) CHECK(d.x[2 * i] > d.x[2 * (i - 1)]);
    }
    for (size_t i = 0; i < v.n; i++) {
        seen[(int)v.x[2 * i]]++;
        CHECK(v.x[2 * i + 1] == v.x[2 * i] + 1000);
        if (i) CHECK(v.x[2 * i] > v.x[2 * (i - 1)]);
    }
    int once = 0;
    for (int i = 0; i < 1000; i++) once += seen[i] == 1;
    CHECK(once == 1000);   /* disjoint, and together everything */
    dataset_free(&d); dataset_free(&v);
    dataset_free(&d2); dataset_free(&v2);
    dataset_free(&d3); dataset_free(&v3);

    make_ids(&d, 10, 1);
    CHECK_OK(dataset_split(&d, 0.0, 1, &v));
    CHECK(d.n == 10 && v.n == 0);
    dataset_free(&v);
    CHECK_ERR(dataset_split(&d, 1.5, 1, &v), NN_EINVAL, "fraction 1.5");
    CHECK_ERR(dataset_split(&d, 0.99, 1, &v), NN_EINVAL, "leaves none");
    CHECK(d.n == 10 && v.n == 0 && v.x == NULL);
    size_t bad[2] = {3, 10};
    CHECK_ERR(dataset_subset(&d, bad, 2, &v), NN_EINVAL, "index 10 (position 1)");
    dataset_free(&d);
}

/* Per-feature mean and population std of d in double, the direct way. */
static void direct_stats(const dataset *d, double *mean, double *std)
{
    for (size_t k = 0; k < d->dim; k++) {
        double s = 0, q = 0;
        for (size_t i = 0; i < d->n; i++) s += d->x[i * d->dim + k];
        mean[k] = s / (double)d->n;
        for (size_t i = 0; i < d->n; i++) q += pow(d->x[i * d->dim + k] - mean[k], 2);
        std[k] = sqrt(q / (double)d->n);
    }
}

TEST(standardize_uses_train_statistics_only)
{
    dataset tr, te;
    float mean[4], std[4];
    double dm[4], ds[4], m2[4], s2[4];
    CHECK_OK(synth_make("blobs", 3000, 3, 4, 2.0, 21, &tr));
    CHECK_OK(synth_make("blobs", 500, 3, 4, 2.0, 21, &te));
    /* Shift and stretch features so each has its own scale; test is shifted more. */
    for (size_t i = 0; i < tr.n; i++)
        for (size_t k = 0; k < 4; k++) tr.x[i * 4 + k] = tr.x[i * 4 + k] * (float)(k + 1) + 100.0f * (float)k;
    for (size_t i = 0; i < te.n; i++)
        for (size_t k = 0; k < 4; k++) te.x[i * 4 + k] = te.x[i * 4 + k] * (float)(k + 1) + 100.0f * (float)k + 7.0f;
    direct_stats(&tr, dm, ds);
    CHECK_OK(dataset_stats(&tr, mean, std));
    for (int k = 0; k < 4; k++) {
        CHECK_NEAR(mean[k], dm[k], 1e-5 * (1 + fabs(dm[k])));
        CHECK_NEAR(std[k], ds[k], 1e-5 * ds[k]);
    }
    float *te_before = malloc(te.n * 4 * sizeof(float));
    memcpy(te_before, te.x, te.n * 4 * sizeof(float));
    dataset_standardize(&tr, mean, std);
    dataset_standardize(&te, mean, std);
    direct_stats(&tr, m2, s2);
    for (int k = 0; k < 4; k++) {
        CHECK_NEAR(m2[k], 0.0, 1e-4);
        CHECK_NEAR(s2[k], 1.0, 1e-4);
    }
    for (size_t i = 0; i < te.n * 4; i++) {
        size_t k = i % 4;
        CHECK_NEAR(te.x[i], (te_before[i] - dm[k]) / ds[k], 1e-4);
    }
    direct_stats(&te, m2, s2);
    CHECK_NEAR(m2[0], 7.0 / ds[0], 0.3);   /* test kept its shift: its own statistics were not used */
    free(te_before);
    dataset_free(&tr);
    dataset_free(&te);

    /* A constant feature gets the floor, so standardizing stays finite. */
    dataset c;
    make_ids(&c, 5, 2);
    for (size_t i = 0; i < 5; i++) c.x[2 * i + 1] = 3.0f;
    CHECK_OK(dataset_stats(&c, mean, std));
    CHECK(mean[1] == 3.0f && std[1] == 1e-6f && mean[0] == 2.0f);
    dataset_scale(&c, 0.5f);
    CHECK(c.x[2 * 4] == 2.0f && c.x[1] == 1.5f);
    c.n = 0;
    CHECK_ERR(dataset_stats(&c, mean, std), NN_EINVAL, "empty");
    dataset_free(&c);
}

TEST(shuffle_is_a_seeded_permutation_per_epoch)
{
    enum { N = 1000 };
    static size_t p[N], q[N], r[N];
    dataset_shuffle(N, 77, 3, p);
    dataset_shuffle(N, 77, 3, q);
    dataset_shuffle(N, 77, 4, r);
    unsigned char seen[N] = {0};
    int fixed = 0;
    for (size_t i = 0; i < N; i++) {
        CHECK(p[i] < N);
        if (p[i] < N) seen[p[i]]++;
        fixed += p[i] == i;
    }
    for (size_t i = 0; i < N; i++) CHECK(seen[i] == 1);
    CHECK(memcmp(p, q, sizeof p) == 0);
    CHECK(memcmp(p, r, sizeof p) != 0);
    CHECK(fixed < 10);
    /* Every element can stay put (Fisher-Yates, not Sattolo): P = 1/4 for n = 4. */
    int stay = 0;
    size_t s[4];
    for (uint64_t e = 0; e < 4000; e++) {
        dataset_shuffle(4, 1, e, s);
        stay += s[0] == 0;
    }
    CHECK_MSG(stay > 850 && stay < 1150, "element 0 stayed %d / 4000 times", stay);
    dataset_shuffle(0, 1, 0, s);
    dataset_shuffle(1, 1, 0, s);
    CHECK(s[0] == 0);
}

static data_opts synth_opts(const char *name)
{
    data_opts o;
    memset(&o, 0, sizeof o);
    snprintf(o.name, sizeof o.name, "%s", name);
    o.synth_n = 300;
    o.synth_test_n = 100;
    o.synth_classes = 3;
    o.synth_dim = 2;
    o.synth_noise = 0.2;
    o.seed = 5;
    return o;
}

TEST(data_load_synthetic)
{
    data_opts o = synth_opts("spirals");
    dataset tr, va, te, all;
    o.val_split = 0.1;
    CHECK_OK(data_load(&o, &tr, &va, &te));
    CHECK(tr.n == 270 && va.n == 30 && te.n == 100 && tr.dim == 2 && te.classes == 3);
    /* Test is the continuation of the same draw: disjoint from train and val. */
    CHECK_OK(synth_make("spirals", 400, 3, 2, 0.2, 5, &all));
    CHECK(memcmp(te.x, all.x + 300 * 2, 100 * 2 * sizeof(float)) == 0);
    CHECK(memcmp(te.y, all.y + 300, 100 * sizeof(int32_t)) == 0);
    dataset_free(&tr); dataset_free(&va); dataset_free(&te);

    /* Standardization: train ~ N(0, 1) per feature; val and test use train's numbers. */
    o.normalize = NORM_STANDARDIZE;
    o.limit = 200;
    o.subset = SUBSET_RANDOM;
    CHECK_OK(data_load(&o, &tr, &va, &te));
    CHECK(tr.n == 180 && va.n == 20 && te.n == 100);
    double m[2], s[2];
    direct_stats(&tr, m, s);
    for (int k = 0; k < 2; k++) {
        CHECK_NEAR(m[k], 0.0, 1e-5);
        CHECK_NEAR(s[k], 1.0, 1e-5);
    }
    dataset rtr, rva, rte;
    o.normalize = NORM_NONE;
    CHECK_OK(data_load(&o, &rtr, &rva, &rte));
    direct_stats(&rtr, m, s);
    for (size_t i = 0; i < rte.n * 2; i++) CHECK_NEAR(te.x[i], (rte.x[i] - m[i % 2]) / s[i % 2], 1e-4);
    for (size_t i = 0; i < rva.n * 2; i++) CHECK_NEAR(va.x[i], (rva.x[i] - m[i % 2]) / s[i % 2], 1e-4);
    /* NORM_SCALE leaves synthetic sets as they are. */
    o.normalize = NORM_SCALE;
    dataset str, sva, ste;
    CHECK_OK(data_load(&o, &str, &sva, &ste));
    CHECK(same_data(&str, &rtr) && same_data(&ste, &rte));
    dataset_free(&str); dataset_free(&sva); dataset_free(&ste);
    dataset_free(&rtr); dataset_free(&rva); dataset_free(&rte);
    dataset_free(&tr); dataset_free(&va); dataset_free(&te);
    dataset_free(&all);
}

TEST(data_load_errors)
{
    dataset tr, va, te;
    data_opts o = synth_opts("moons");
    CHECK_ERR(data_load(&o, &tr, &va, &te), NN_EINVAL, "\"moons\": unknown data set (known: fashion-mnist");
    CHECK(tr.x == NULL && va.x == NULL && te.x == NULL);
    o = synth_opts("mnist");
    CHECK_ERR(data_load(&o, &tr, &va, &te), NN_EINVAL, "set data.dir");
    o = synth_opts("fashion-mnist");
    snprintf(o.dir, sizeof o.dir, "%s", test_path("nowhere"));
    CHECK_ERR(data_load(&o, &tr, &va, &te), NN_EIO, "nowhere/train-images-idx3-ubyte.gz: no such file");
    CHECK(test_errmsg_has("dataset-fashion-mnist"));
    o = synth_opts("xor");
    o.val_split = 0.7;
    CHECK_ERR(data_load(&o, &tr, &va, &te), NN_EINVAL, "data.val_split");
    o = synth_opts("blobs");
    o.synth_n = 0;
    CHECK_ERR(data_load(&o, &tr, &va, &te), NN_EINVAL, "synth_n");
}

/* A tiny IDX set in dir: n train and m test 2x3 images, half of them plain. */
static void write_tiny_idx(const char *dir, size_t n, size_t m)
{
    static const char *names[4] = {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte",
                                   "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte.gz"};
    char path[1200];
    uint8_t *px = malloc((n + m) * 6), *lab = malloc(n + m);
    for (size_t i = 0; i < (n + m) * 6; i++) px[i] = (uint8_t)(i * 7);
    for (size_t i = 0; i < n + m; i++) lab[i] = (uint8_t)(i % 4);
    mkdir(dir, 0777);
    for (int f = 0; f < 4; f++) {
        int test = f >= 2, images = f % 2 == 0;
        idx_array a = {.type = IDX_U8, .ndim = images ? 3 : 1,
                       .dims = {(uint32_t)(test ? m : n), 2, 3}};
        a.count = a.dims[0] * (images ? 6 : 1);
        a.data = images ? px + (test ? n * 6 : 0) : lab + (test ? n : 0);
        snprintf(path, sizeof path, "%s/%s", dir, names[f]);
        CHECK_OK(idx_write(path, &a));
    }
    free(px);
    free(lab);
}

TEST(data_load_idx_directory)
{
    dataset tr, va, te;
    data_opts o = synth_opts("idx");
    snprintf(o.dir, sizeof o.dir, "%s", test_path("tiny"));
    write_tiny_idx(o.dir, 40, 12);
    o.normalize = NORM_SCALE;
    o.limit = 30;
    o.test_limit = 5;
    o.val_split = 0.5;
    CHECK_OK(data_load(&o, &tr, &va, &te));
    CHECK(tr.n == 15 && va.n == 15 && te.n == 5);
    CHECK(tr.dim == 6 && tr.rows == 2 && tr.cols == 3 && tr.classes == 4 && te.classes == 4);
    for (size_t i = 0; i < 5 * 6; i++) CHECK(te.x[i] == (float)(uint8_t)((40 * 6 + i) * 7) / 255.0f);
    for (size_t i = 0; i < 5; i++) CHECK(te.y[i] == (int32_t)((40 + i) % 4));
    dataset_free(&tr); dataset_free(&va); dataset_free(&te);
}

TEST(fashion_mnist_if_installed)
{
    struct stat st;
    dataset tr, va, te;
    data_opts o;
    if (stat(FASHION_MNIST_DIR, &st) != 0) {
        fprintf(stderr, "  note: %s absent (apt-get install dataset-fashion-mnist); skipped\n",
                FASHION_MNIST_DIR);
        return;
    }
    memset(&o, 0, sizeof o);
    snprintf(o.name, sizeof o.name, "fashion-mnist");
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK_OK(data_load(&o, &tr, &va, &te));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    fprintf(stderr, "  note: Fashion-MNIST loaded in %.3f s\n",
            (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec));
    CHECK(tr.n == 60000 && te.n == 10000 && va.n == 0);
    CHECK(tr.dim == 784 && tr.rows == 28 && tr.cols == 28 && tr.classes == 10 && te.classes == 10);
    if (tr.n != 60000 || te.n != 10000 || tr.dim != 784) goto done;
    /* Reference numbers computed offline from the Debian package's files with
     * /usr/bin/python3: gzip.open(f).read(), dims via struct.unpack('>III'),
     * then sum() over the pixel bytes (all, image 0, the last image) and the
     * label bytes. */
    uint64_t sum = 0, sum0 = 0, sumlast = 0, tsum = 0, tsum0 = 0;
    for (size_t i = 0; i < tr.n * 784; i++) sum += (uint64_t)tr.x[i];
    for (size_t i = 0; i < 784; i++) {
        sum0 += (uint64_t)tr.x[i];
        sumlast += (uint64_t)tr.x[59999 * 784 + i];
        tsum0 += (uint64_t)te.x[i];
    }
    for (size_t i = 0; i < te.n * 784; i++) tsum += (uint64_t)te.x[i];
    CHECK(sum == 3431114169ULL && sum0 == 76247 && sumlast == 16684);
    CHECK(tsum == 573469082ULL && tsum0 == 33456);
    CHECK(tr.x[406] == 217.0f && te.x[406] == 110.0f);
    CHECK(tr.y[0] == 9 && tr.y[59999] == 5 && te.y[0] == 9 && te.y[9999] == 5);
    int cnt[10] = {0};
    for (size_t i = 0; i < tr.n; i++)
        if (tr.y[i] >= 0 && tr.y[i] < 10) cnt[tr.y[i]]++;
    for (int c = 0; c < 10; c++) CHECK(cnt[c] == 6000);
done:
    dataset_free(&tr); dataset_free(&va); dataset_free(&te);
}
