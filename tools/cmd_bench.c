/* `saddle bench` (also `make bench`): training throughput of the real
 * trainer on Fashion-MNIST, against the floor set by this machine's measured
 * sgemm rate for the exact GEMM shapes of one training step. */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../datasets/rng.h"
#include "../nn/pool.h"
#include "cli.h"

static const char BENCH_USAGE[] =
    "usage: saddle bench [--repeats N] [--threads LIST]\n"
    "\n"
    "Trains 784-256-256-10 relu (batch 128, SGD momentum) and 784-100-10 relu\n"
    "(batch 32) for one epoch of Fashion-MNIST, N times per thread count\n"
    "(default 5; LIST default \"1,2\"), and prints the median samples/s beside\n"
    "the floor: the time of the step's GEMMs alone, each measured here.\n";

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
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
        double t0 = now_s();
        for (int i = 0; i < inner; i++)
            cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                        M, N, K, 1.0f, A, ta ? M : K, B, tb ? K : N, 0.0f, C, N);
        t[r] = (now_s() - t0) / inner;
    }
    return median(t, REPS);
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

int cmd_bench(int argc, char **argv)
{
    int repeats = 5;
    const char *threads = "1,2";
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            fputs(BENCH_USAGE, stdout);
            return EXIT_OK;
        } else if (!strcmp(argv[i], "--repeats") && i + 1 < argc) {
            repeats = atoi(argv[++i]);
            if (repeats < 1 || repeats > 100) return cli_usage_error("bench", "--repeats is 1..100");
        } else if (!strcmp(argv[i], "--threads") && i + 1 < argc) {
            threads = argv[++i];
        } else {
            return cli_usage_error("bench", "unknown option '%s'", argv[i]);
        }
    }
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
                rc = train_run(&c, tmpl, 0, NULL, NULL, &res);
                sps[r] = res.samples_per_s;
            }
            if (rc) {
                free(sps);
                status = cli_fail("bench", rc);
                break;
            }
            double med = median(sps, repeats);
            double floor_sps = parts * rows / floor_s;
            printf("%-42s %3d %12.0f %12.0f %6.0f%% %9.1f %8.2fx\n", bc->name, th, med, floor_sps,
                   100.0 * med / floor_sps, flops / rows * med * 1e-9, med / bc->torch_ref);
            fflush(stdout);
            free(sps);
        }
    }
    printf("floor = parts x rows / (sum of the step's GEMM times at rows = batch/parts, each measured\n"
           "        alone on one thread; parts = threads a batch is split across, 1 below 64 rows):\n"
           "        the step if everything but the GEMMs were free\n"
           "torch = PyTorch 1.13 CPU reference on this kind of 2-core machine: 100k and 117k samples/s\n");
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpl);
    if (system(cmd) != 0) fprintf(stderr, "saddle bench: could not remove %s\n", tmpl);
    return status;
}
