/* `saddle bench` (also `make bench`): training throughput of the real
 * trainer on Fashion-MNIST, against the floor set by this machine's measured
 * sgemm rate for the exact GEMM shapes of one training step; then the speed
 * of a 51x51 loss surface with the first-layer shortcut against plain
 * per-point evaluation; then the cost of a Hessian-vector product against a
 * gradient. */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../datasets/rng.h"
#include "../nn/pool.h"
#include "cli.h"

static const char BENCH_USAGE[] =
    "usage: saddle bench [--repeats N] [--threads LIST] [--only train|surface|hvp|critical]\n"
    "\n"
    "Trains 784-256-256-10 relu (batch 128, SGD momentum) and 784-100-10 relu\n"
    "(batch 32) for one epoch of Fashion-MNIST, N times per thread count\n"
    "(default 5; LIST default \"1,2\"), and prints the median samples/s beside\n"
    "the floor: the time of the step's GEMMs alone, each measured here.\n"
    "\n"
    "Then evaluates a 51x51 plane of 784-256-256-10 relu (initialized, two\n"
    "Gaussian directions) on 10,000 training images with model_eval_plane\n"
    "(median of 3 runs, all cores) and point by point with model_eval (50\n"
    "sampled points, median, extrapolated to 2601), with their largest\n"
    "difference.\n"
    "\n"
    "Then times, on 2,000 training images and all cores, one gradient\n"
    "(model_eval), one cold Hessian-vector product (forward pass included) and\n"
    "one warm one (forward pass reused), exact and Gauss-Newton, for\n"
    "784-256-256-10 relu and tanh (median of 15), as multiples of the gradient\n"
    "beside the FLOP-count ratios.\n"
    "\n"
    "Then one iteration of `saddle critical` at its intended size (100-20 tanh-10,\n"
    "MSE, 1,000 synthetic examples, 2,230 parameters, double): the dense Hessian\n"
    "on 1 and 2 threads against n naive Hessian-vector products and the FLOP\n"
    "floor at this machine's dgemm rate, and the dense eigendecomposition.\n";

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bench_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Median seconds of C[M][N] = A[M][K] op B over reps, with the transposes a
 * training step uses. */
static double time_gemm(int ta, int tb, int M, int N, int K, float *A, float *B, float *C)
{
    enum { REPS = 15 };
    double t[REPS];
    int inner = 1;
    /* Enough calls per sample that clock resolution does not matter. */
    double f = 2.0 * M * N * K;
    if (f < 5e7) inner = (int)(5e7 / f) + 1;
    for (int r = 0; r < REPS; r++) {
        double t0 = nn_now();
        for (int i = 0; i < inner; i++)
            cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                        M, N, K, 1.0f, A, ta ? M : K, B, tb ? K : N, 0.0f, C, N);
        t[r] = (nn_now() - t0) / inner;
    }
    return bench_median(t, REPS);
}

/* Seconds per step of the GEMMs alone for widths w[0..nl] at batch B, and
 * their FLOPs. */
static double gemm_floor(const int *w, int nl, int B, double *flops)
{
    size_t big = 0;
    for (int l = 0; l <= nl; l++) big = (size_t)w[l] > big ? (size_t)w[l] : big;
    size_t sz = big * big > big * (size_t)B ? big * big : big * (size_t)B;
    float *A = malloc(sz * sizeof(float)), *Bm = malloc(sz * sizeof(float)),
          *C = malloc(sz * sizeof(float));
    for (size_t i = 0; i < sz; i++) A[i] = Bm[i] = (float)rng_uniform(1, 2, i) - 0.5f;
    double total = 0;
    *flops = 0;
    for (int l = 0; l < nl; l++) {
        int in = w[l], out = w[l + 1];
        total += time_gemm(0, 1, B, out, in, A, Bm, C);   /* forward */
        total += time_gemm(1, 0, out, in, B, A, Bm, C);   /* weight gradient */
        *flops += 2.0 * 2.0 * B * in * out;
        if (l > 0) {
            total += time_gemm(0, 0, B, in, out, A, Bm, C); /* input gradient */
            *flops += 2.0 * B * in * out;
        }
    }
    free(A);
    free(Bm);
    free(C);
    return total;
}

typedef struct bench_case {
    const char *name, *layers;
    int widths[4], nl, batch;
    double torch_ref; /* samples/s, PyTorch 1.13 CPU, best thread setting, same kind of machine */
} bench_case;

/* The training table: one epoch per run, median samples/s per thread count. */
static int bench_train(int repeats, const char *threads)
{
    static const bench_case cases[] = {
        {"784-256-256-10 relu, batch 128, momentum", "256 relu, 256 relu, 10", {784, 256, 256, 10}, 3, 128, 100e3},
        {"784-100-10 relu, batch 32, momentum", "100 relu, 10", {784, 100, 10, 0}, 2, 32, 117e3},
    };
    char tmpl[] = "/tmp/saddle-bench-XXXXXX";
    if (!mkdtemp(tmpl)) {
        perror("saddle bench: mkdtemp");
        return EXIT_FAIL;
    }
    printf("training throughput, one epoch of Fashion-MNIST (60000 images), median of %d runs\n"
           "OpenBLAS %s, core %s%s\n",
           repeats, openblas_get_config(), openblas_get_corename(),
           getenv("OPENBLAS_CORETYPE") ? " (forced by OPENBLAS_CORETYPE)" : "");
    printf("%-42s %3s %12s %12s %7s %9s %9s\n", "model", "thr", "samples/s", "floor", "of floor",
           "GFLOP/s", "vs torch");
    int status = EXIT_OK;
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const bench_case *bc = &cases[ci];
        char list[64];
        snprintf(list, sizeof list, "%s", threads);
        for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
            int th = atoi(tok);
            if (th < 1) continue;
            /* saddle splits a batch by rows across th threads, each running
             * single-threaded GEMMs on batch/th rows: the floor is th times
             * the rate of those GEMMs, measured here one thread at a time. */
            pool_set_threads(1);
            int parts = model_batch_parts(bc->batch, th);
            int rows = bc->batch / parts;
            double flops, floor_s = gemm_floor(bc->widths, bc->nl, rows, &flops);
            double *sps = calloc((size_t)repeats, sizeof *sps);
            config c;
            config_defaults(&c);
            char set[256];
            const char *sets[] = {"data.name=fashion-mnist", "train.epochs=1", "train.snapshot_every=0",
                                  "train.eval_limit=1000", "optimizer.type=momentum", "optimizer.lr=0.05"};
            int rc = 0;
            for (size_t k = 0; k < sizeof sets / sizeof sets[0] && !rc; k++) rc = config_set(&c, sets[k]);
            snprintf(set, sizeof set, "model.layers=%s", bc->layers);
            if (!rc) rc = config_set(&c, set);
            snprintf(set, sizeof set, "train.batch=%d", bc->batch);
            if (!rc) rc = config_set(&c, set);
            snprintf(set, sizeof set, "train.threads=%d", th);
            if (!rc) rc = config_set(&c, set);
            cli_config_resolve(&c);
            for (int r = 0; r < repeats && !rc; r++) {
                train_result res;
                rc = train_run(&c, tmpl, TRAIN_FORCE, NULL, &res);
                sps[r] = res.samples_per_s;
            }
            if (rc) {
                free(sps);
                status = cli_fail("bench", rc);
                break;
            }
            double med = bench_median(sps, repeats);
            double floor_sps = parts * rows / floor_s;
            printf("%-42s %3d %12.0f %12.0f %6.0f%% %9.1f %8.2fx\n", bc->name, th, med, floor_sps,
                   100.0 * med / floor_sps, flops / rows * med * 1e-9, med / bc->torch_ref);
            fflush(stdout);
            free(sps);
        }
    }
    printf("floor = parts x rows / (sum of the step's GEMM times at rows = batch/parts, each measured\n"
           "        alone on one thread; parts = threads a batch is split across, 1 below 32 rows):\n"
           "        the step if everything but the GEMMs were free\n"
           "torch = PyTorch 1.13 CPU reference on this kind of 2-core machine: 100k and 117k samples/s\n");
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpl);
    if (system(cmd) != 0) fprintf(stderr, "saddle bench: could not remove %s\n", tmpl);
    return status;
}

/* ---- surface section ----------------------------------------------------- */

#define SURF_GRID 51
#define SURF_IMAGES 10000
#define SURF_SAMPLES 50
#define SURF_TORCH_MS 23.0 /* PyTorch, plain evaluation of one point on 10,000 images */

/* A Gaussian direction (counter RNG, stream RNG_DIRECTION + k) with every
 * weight and bias block scaled to the norm of the same block of θ, so a
 * coordinate of ±1 moves each layer by its own size. */
static void surf_direction(const model *m, uint64_t k, float *d /* [n] */)
{
    for (int l = 0; l < m->nlayers; l++) {
        const layer *L = &m->layers[l];
        size_t off[2] = {L->w_off, L->b_off}, len[2] = {(size_t)L->out * L->in, (size_t)L->out};
        for (int part = 0; part < 2; part++) {
            double nt = 0, nd = 0;
            for (size_t i = 0; i < len[part]; i++) {
                size_t j = off[part] + i;
                d[j] = (float)rng_normal(1, RNG_DIRECTION + k, j);
                nt += (double)m->theta[j] * m->theta[j];
                nd += (double)d[j] * d[j];
            }
            float s = nd > 0 ? (float)sqrt(nt / nd) : 0.0f;
            for (size_t i = 0; i < len[part]; i++) d[off[part] + i] *= s;
        }
    }
}

static int bench_surface(void)
{
    config c;
    config_defaults(&c);
    const char *sets[] = {"data.name=fashion-mnist", "data.limit=10000",
                          "model.layers=256 relu, 256 relu, 10", "train.threads=0"};
    int rc = 0;
    for (size_t i = 0; i < sizeof sets / sizeof sets[0] && !rc; i++) rc = config_set(&c, sets[i]);
    if (rc) return cli_fail("bench", rc);
    cli_config_resolve(&c);
    if ((rc = pool_set_threads(c.train.threads))) return cli_fail("bench", rc);
    dataset tr = {0}, va = {0}, te = {0};
    model m = {0};
    workspace ws = {0};
    enum { NPTS = SURF_GRID * SURF_GRID };
    float *d1 = NULL, *d2 = NULL, *th = NULL, *A = NULL, *B = NULL, *C = NULL;
    double *a = malloc(NPTS * sizeof *a), *b = malloc(NPTS * sizeof *b);
    double *loss = malloc(NPTS * sizeof *loss), *acc = malloc(NPTS * sizeof *acc);
    if (!a || !b || !loss || !acc) {
        rc = nn_err(NN_ENOMEM, "bench: out of memory");
        goto done;
    }
    if ((rc = data_load(&c.data, &tr, &va, &te))) goto done;
    model_spec spec = c.model;
    spec.in = (int)tr.dim;
    if ((rc = model_build(&m, &spec))) goto done;
    model_init_params(&m, c.train.seed);
    d1 = malloc(m.n * sizeof *d1);
    d2 = malloc(m.n * sizeof *d2);
    th = malloc(m.n * sizeof *th);
    if (!d1 || !d2 || !th) {
        rc = nn_err(NN_ENOMEM, "bench: out of memory");
        goto done;
    }
    surf_direction(&m, 0, d1);
    surf_direction(&m, 1, d2);
    for (int i = 0; i < SURF_GRID; i++)
        for (int j = 0; j < SURF_GRID; j++) {
            a[i * SURF_GRID + j] = -1.0 + 2.0 * j / (SURF_GRID - 1);
            b[i * SURF_GRID + j] = -1.0 + 2.0 * i / (SURF_GRID - 1);
        }
    size_t k = tr.n < SURF_IMAGES ? tr.n : SURF_IMAGES;
    int T = pool_threads();
    char arch[128];
    model_arch_string(&m, arch, sizeof arch);
    printf("\nloss surface, %dx%d plane of %s (initialized, seed %llu) on %zu Fashion-MNIST\n"
           "training images, two Gaussian directions scaled per block to θ, %d threads,\n"
           "OpenBLAS core %s%s\n",
           SURF_GRID, SURF_GRID, arch, (unsigned long long)c.train.seed, k, T,
           openblas_get_corename(),
           getenv("OPENBLAS_CORETYPE") ? " (forced by OPENBLAS_CORETYPE)" : "");
    fflush(stdout);

    double tp[3];
    for (int r = 0; r < 3; r++) {
        double t0 = nn_now();
        rc = model_eval_plane(&m, &tr, NULL, k, m.theta, d1, d2, NPTS, a, b, loss, acc);
        tp[r] = nn_now() - t0;
        if (rc) goto done;
    }
    double plane_s = bench_median(tp, 3);

    /* Plain: θ formed per point exactly as the plane forms it, then
     * model_eval in batches of 1024 like the nn objective's value(). */
    if ((rc = workspace_alloc(&ws, &m, 1024))) goto done;
    double ts[SURF_SAMPLES], maxdiff = 0, maxrel = 0, maxacc = 0;
    for (int s = 0; s < SURF_SAMPLES; s++) {
        int p = (int)((long)s * NPTS / SURF_SAMPLES);
        double t0 = nn_now();
        float af = (float)a[p], bf = (float)b[p];
        for (size_t i = 0; i < m.n; i++) th[i] = m.theta[i] + af * d1[i] + bf * d2[i];
        double pacc, pl = model_eval(&m, th, &tr, NULL, k, &pacc, NULL, &ws);
        ts[s] = nn_now() - t0;
        double diff = fabs(pl - loss[p]);
        maxdiff = diff > maxdiff ? diff : maxdiff;
        maxrel = diff / fabs(pl) > maxrel ? diff / fabs(pl) : maxrel;
        maxacc = fabs(pacc - acc[p]) > maxacc ? fabs(pacc - acc[p]) : maxacc;
    }
    double plain_pt = bench_median(ts, SURF_SAMPLES), plain_s = plain_pt * NPTS;
    double plane_pt = plane_s / NPTS;

    /* The floor of the shortcut: per point each thread still runs the
     * layers after the first on its k/T rows in sub-blocks of 512, so time
     * those GEMMs (single-threaded OpenBLAS, as inside the pool). */
    double gflop = 0;
    for (int l = 1; l < m.nlayers; l++)
        gflop += 2.0 * (double)k * m.layers[l].in * m.layers[l].out * 1e-9;
    size_t big = 512 * 256;
    A = malloc(big * sizeof *A);
    B = malloc(big * sizeof *B);
    C = malloc(big * sizeof *C);
    if (!A || !B || !C) {
        rc = nn_err(NN_ENOMEM, "bench: out of memory");
        goto done;
    }
    for (size_t i = 0; i < big; i++) A[i] = B[i] = (float)rng_uniform(1, 2, i) - 0.5f;
    double floor_pt = 0;
    for (int l = 1; l < m.nlayers; l++)
        floor_pt += time_gemm(0, 1, 512, m.layers[l].out, m.layers[l].in, A, B, C);
    floor_pt *= (double)k / T / 512;

    printf("%-34s %9s %9s %9s %9s %9s\n", "method", "seconds", "points/s", "ms/point", "vs plain",
           "vs torch");
    printf("%-34s %9.2f %9.1f %9.2f %8.2fx %8.2fx\n", "first-layer shortcut (plane)", plane_s,
           NPTS / plane_s, 1e3 * plane_pt, plain_pt / plane_pt, SURF_TORCH_MS * 1e-3 / plane_pt);
    printf("%-34s %9.2f %9.1f %9.2f %8.2fx %8.2fx\n", "plain, per point (50 sampled)", plain_s,
           NPTS / plain_s, 1e3 * plain_pt, 1.0, SURF_TORCH_MS * 1e-3 / plain_pt);
    printf("plane vs plain at the %d sampled points: max |loss difference| %.3g (relative %.3g),\n"
           "max |accuracy difference| %.3g\n", SURF_SAMPLES, maxdiff, maxrel, maxacc);
    printf("floor of the shortcut: %.2f GFLOP per point after the first layer; those GEMMs alone\n"
           "        (512-row blocks, %d threads, measured here) take %.2f ms per point (%.0f%% of the\n"
           "        shortcut's time)\n", gflop, T, 1e3 * floor_pt, 100.0 * floor_pt / plane_pt);
    printf("torch = PyTorch plain evaluation of one point on 10,000 images: %.0f ms on this kind of\n"
           "        2-core machine (goal: the shortcut >= 4x faster)\n", SURF_TORCH_MS);
done:
    free(A);
    free(B);
    free(C);
    free(a);
    free(b);
    free(loss);
    free(acc);
    free(d1);
    free(d2);
    free(th);
    workspace_free(&ws);
    model_free(&m);
    dataset_free(&tr);
    dataset_free(&va);
    dataset_free(&te);
    return rc ? cli_fail("bench: surface", rc) : EXIT_OK;
}

/* ---- Hessian-vector product section -------------------------------------- */

#define HVP_IMAGES 2000
#define HVP_REPS 15

/* GEMM multiply-adds per example of the passes model_hvp runs, over those of
 * a gradient, from f = sum_l in_l*out_l and f1 = the same without the first
 * layer (whose input gradient, R{a_0} W and dzᵀ R{a_0} are zero and skipped). */
static void hvp_flop_ratios(const model *m, double r[4] /* cold, warm, gn cold, gn warm */)
{
    double f = 0, f1 = 0;
    for (int l = 0; l < m->nlayers; l++) {
        double w = (double)m->layers[l].in * m->layers[l].out;
        f += w;
        if (l) f1 += w;
    }
    double grad = 2 * f + f1;           /* forward, weight gradients, input gradients */
    double prep = f + f1;               /* forward and the deltas dz (no weight gradients) */
    double warm = 2 * f + 4 * f1;       /* R-forward 2 GEMMs, Hv_W 2, R{da} 2 (1, 1, 0 at l = 0) */
    double gn = f + f1 + f + f1;        /* R-forward, then one GEMM each for Hv_W and R{da} */
    r[0] = (prep + warm) / grad;
    r[1] = warm / grad;
    r[2] = (prep + gn) / grad;
    r[3] = gn / grad;
}

static int bench_hvp_model(const char *layers, const char *ref_note)
{
    config c;
    config_defaults(&c);
    char lay[96];
    snprintf(lay, sizeof lay, "model.layers=%s", layers);
    const char *sets[] = {"data.name=fashion-mnist", "data.limit=10000", lay, "train.threads=0"};
    int rc = 0;
    for (size_t i = 0; i < sizeof sets / sizeof sets[0] && !rc; i++) rc = config_set(&c, sets[i]);
    if (rc) return rc;
    cli_config_resolve(&c);
    if ((rc = pool_set_threads(c.train.threads))) return rc;
    dataset tr = {0}, va = {0}, te = {0};
    model m = {0};
    workspace ws = {0};
    hvp_ws hw = {0};
    float *g = NULL, *v = NULL, *hv = NULL;
    if ((rc = data_load(&c.data, &tr, &va, &te))) goto done;
    model_spec spec = c.model;
    spec.in = (int)tr.dim;
    if ((rc = model_build(&m, &spec))) goto done;
    model_init_params(&m, c.train.seed);
    g = malloc(m.n * sizeof *g);
    v = malloc(m.n * sizeof *v);
    hv = malloc(m.n * sizeof *hv);
    if (!g || !v || !hv) {
        rc = nn_err(NN_ENOMEM, "bench: out of memory");
        goto done;
    }
    for (size_t i = 0; i < m.n; i++) v[i] = (float)rng_normal(1, RNG_DIRECTION, i);
    size_t k = tr.n < HVP_IMAGES ? tr.n : HVP_IMAGES;
    /* The nn objective's chunking: gradients in batches of 1024. */
    if ((rc = workspace_alloc(&ws, &m, 1024))) goto done;
    if ((rc = hvp_ws_alloc(&hw, &m, 0))) goto done;
    double t[5][HVP_REPS];
    for (int r = 0; r < HVP_REPS; r++) {
        double t0 = nn_now();
        model_eval(&m, m.theta, &tr, NULL, k, NULL, g, &ws);
        t[0][r] = nn_now() - t0;
        for (int gn = 0; gn <= 1; gn++) {
            hvp_ws_invalidate(&hw);
            t0 = nn_now();
            model_hvp(&m, m.theta, &tr, NULL, k, v, hv, gn, &hw);
            t[1 + 2 * gn][r] = nn_now() - t0;
            t0 = nn_now();
            model_hvp(&m, m.theta, &tr, NULL, k, v, hv, gn, &hw);
            t[2 + 2 * gn][r] = nn_now() - t0;
        }
    }
    double med[5], fr[4];
    for (int i = 0; i < 5; i++) med[i] = bench_median(t[i], HVP_REPS);
    hvp_flop_ratios(&m, fr);
    char arch[128];
    model_arch_string(&m, arch, sizeof arch);
    static const char *const names[5] = {"gradient (model_eval)", "HVP cold (forward included)",
                                         "HVP warm (forward reused)", "Gauss-Newton cold",
                                         "Gauss-Newton warm"};
    printf("%s, initialized (seed %llu), %zu images, %d threads\n", arch,
           (unsigned long long)c.train.seed, k, pool_threads());
    printf("  %-30s %9s %11s %11s %s\n", "", "ms", "x gradient", "FLOP ratio", "goal / torch");
    for (int i = 0; i < 5; i++) {
        char fl[16] = "1.00", goal[48] = "";
        if (i) snprintf(fl, sizeof fl, "%.2f", fr[i - 1]);
        if (i == 1) snprintf(goal, sizeof goal, "<= 2.4x / %s", ref_note ? "2.6x" : "-");
        if (i == 2) snprintf(goal, sizeof goal, "<= 1.5x / %s", ref_note ? "1.55x" : "-");
        printf("  %-30s %9.2f %10.2fx %11s %s\n", names[i], 1e3 * med[i], med[i] / med[0], fl, goal);
    }
    fflush(stdout);
done:
    free(g);
    free(v);
    free(hv);
    hvp_ws_free(&hw);
    workspace_free(&ws);
    model_free(&m);
    dataset_free(&tr);
    dataset_free(&va);
    dataset_free(&te);
    return rc;
}

static int bench_hvp(void)
{
    printf("\nHessian-vector products by the R-operator against one gradient, median of %d\n"
           "(cold = the forward pass recomputed; warm = reused, as Lanczos does at one θ)\n",
           HVP_REPS);
    fflush(stdout);
    int rc = bench_hvp_model("256 relu, 256 relu, 10", "torch");
    if (!rc) rc = bench_hvp_model("256 tanh, 256 tanh, 10", NULL);
    if (rc) return cli_fail("bench: hvp", rc);
    printf("FLOP ratio = GEMM multiply-adds of the passes run, over those of a gradient\n"
           "torch = PyTorch double-backward HVP on this kind of 2-core machine (relu): 2.6x cold,\n"
           "        1.55x with the forward pass reused\n");
    return EXIT_OK;
}

int cmd_bench(int argc, char **argv)
{
    int repeats = 5;
    const char *threads = "1,2", *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            fputs(BENCH_USAGE, stdout);
            return EXIT_OK;
        } else if (!strcmp(argv[i], "--repeats") && i + 1 < argc) {
            repeats = atoi(argv[++i]);
            if (repeats < 1 || repeats > 100) return cli_usage_error("bench", "--repeats is 1..100");
        } else if (!strcmp(argv[i], "--threads") && i + 1 < argc) {
            threads = argv[++i];
        } else if (!strcmp(argv[i], "--only") && i + 1 < argc) {
            only = argv[++i];
            if (strcmp(only, "train") && strcmp(only, "surface") && strcmp(only, "hvp") &&
                strcmp(only, "critical"))
                return cli_usage_error("bench", "--only is train, surface, hvp or critical, not '%s'",
                                       only);
        } else {
            return cli_usage_error("bench", "unknown option '%s'", argv[i]);
        }
    }
    int status = EXIT_OK;
    if (!only || !strcmp(only, "train")) status = bench_train(repeats, threads);
    if (status == EXIT_OK && (!only || !strcmp(only, "surface"))) status = bench_surface();
    if (status == EXIT_OK && (!only || !strcmp(only, "hvp"))) status = bench_hvp();
    if (status == EXIT_OK && (!only || !strcmp(only, "critical"))) status = bench_critical();
    return status;
}
