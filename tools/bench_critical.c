/* `saddle bench --only critical`: one iteration of the critical-point finder
 * on the setup (100-20 tanh-10, MSE, 1,000 examples, 2,230
 * parameters, double): the dense Hessian by unit-vector R-passes against the
 * naive n general Hessian-vector products and against the FLOP floor at the
 * measured dgemm rate, and the eigendecomposition against one n x n dgemm. */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../datasets/linalg.h"
#include "../datasets/rng.h"
#include "../nn/model64.h"
#include "../nn/pool.h"
#include "cli.h"

/* FLOPs of the unit-vector R-passes over all n columns: a column in layer p
 * runs the R-forward GEMMs of layers above p, the R-gradient GEMM of every
 * layer (plus its dz·R{a} term above p) and the R-delta GEMM of layers 1..L-1. */
static double hessian_flops(const model *m, double B)
{
    double f = 0;
    for (int p = 0; p < m->nlayers; p++) {
        double cols = (double)m->layers[p].out * (m->layers[p].in + 1), per = 0;
        for (int l = 0; l < m->nlayers; l++) {
            double g = 2.0 * B * m->layers[l].in * m->layers[l].out;
            if (l > p) per += 2 * g; /* R{z} forward, dz^T R{a} */
            per += g;                 /* R{dz}^T a */
            if (l > 0) per += g;      /* R{dL/da} of the layer below */
        }
        f += cols * per;
    }
    return f;
}

/* Seconds of one dgemm of size M x N x K at the current OpenBLAS threads. */
static double dgemm_s(int M, int N, int K, double *A, double *Bm, double *C)
{
    double t[5];
    for (int r = 0; r < 5; r++) {
        double t0 = nn_now();
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, M, N, K, 1.0, A, M, Bm, N, 0.0, C, N);
        t[r] = nn_now() - t0;
    }
    return bench_median(t, 5);
}

int bench_critical(void)
{
    enum { B = 1000, IN = 100, REPS = 5 };
    model_spec sp;
    memset(&sp, 0, sizeof sp);
    sp.in = IN;
    sp.nlayers = 2;
    sp.layers[0] = (layer_spec){20, ACT_TANH, -1};
    sp.layers[1] = (layer_spec){10, ACT_LINEAR, -1};
    sp.loss = LOSS_MSE;
    model m;
    dataset d;
    memset(&d, 0, sizeof d);
    int rc = model_build(&m, &sp);
    if (rc) return cli_fail("bench", rc);
    model_init_params(&m, 1);
    size_t n = m.n;
    d.n = B, d.dim = IN, d.classes = 10;
    d.x = malloc(sizeof(float) * B * IN);
    d.y = malloc(sizeof(int32_t) * B);
    double *th = malloc(n * sizeof *th), *H = malloc(n * n * sizeof *H);
    double *e = calloc(n, sizeof *e), *w = malloc(n * sizeof *w);
    double *A = malloc(n * n * sizeof *A), *C = malloc(n * n * sizeof *C);
    if (!d.x || !d.y || !th || !H || !e || !w || !A || !C) {
        rc = nn_err(NN_ENOMEM, "bench: out of memory");
        goto done;
    }
    for (size_t i = 0; i < (size_t)B * IN; i++) d.x[i] = (float)rng_normal(3, 1, i);
    for (int i = 0; i < B; i++) d.y[i] = (int32_t)rng_below(3, 2, (uint64_t)i, 10);
    for (size_t i = 0; i < n; i++) th[i] = m.theta[i];
    for (size_t i = 0; i < n * n; i++) A[i] = rng_uniform(3, 3, i) - 0.5;
    double flops = hessian_flops(&m, B);
    printf("\ncritical-point finder, one iteration at n = %zu (100-20 tanh-10, MSE, %d examples, "
           "double), median of %d\n", n, B, REPS);
    printf("  %-44s %9s %9s %9s\n", "", "1 thread", "2 threads", "GFLOP/s");
    double hs[2] = {0, 0}, naive = 0, gemm_rate[2] = {0, 0};
    for (int T = 1; T <= 2; T++) {
        if ((rc = pool_set_threads(T))) goto done;
        model64 w64;
        if ((rc = model64_init(&w64, &m, &d, NULL, B))) goto done;
        double t[REPS];
        for (int r = 0; r < REPS; r++) {
            th[0] += 1e-12; /* a new θ each time: the forward pass is part of the cost */
            double t0 = nn_now();
            if ((rc = model64_hessian(&w64, th, H))) break;
            t[r] = nn_now() - t0;
        }
        if (!rc) hs[T - 1] = bench_median(t, REPS);
        if (!rc && T == 1) {
            /* The naive way: n general R-passes with a dense v = e_j. */
            double t0 = nn_now();
            for (size_t j = 0; j < n; j++) {
                e[j] = 1;
                model64_hvp(&w64, th, e, H + j * n);
                e[j] = 0;
            }
            naive = nn_now() - t0;
        }
        model64_free(&w64);
        if (rc) goto done;
        openblas_set_num_threads(T);
        gemm_rate[T - 1] = 2.0 * 1024 * 1024 * 1024 / dgemm_s(1024, 1024, 1024, A, A, C) / 1e9;
        openblas_set_num_threads(1);
    }
    printf("  %-44s %8.3fs %8.3fs %9.1f\n", "dense Hessian, unit-vector R-passes", hs[0], hs[1],
           flops / hs[1] / 1e9);
    printf("  %-44s %8.3fs %9s\n", "  naive: n dense-v Hessian-vector products", naive, "");
    printf("  %-44s %8.1fx %9s\n", "  shortcut vs naive (1 thread)", naive / hs[0], "");
    printf("  %-44s %8.3fs %8.3fs %9s   (%.1f GFLOP at the 1024^3 dgemm rate: %.0f / %.0f GFLOP/s)\n",
           "  FLOP floor", flops / gemm_rate[0] / 1e9, flops / gemm_rate[1] / 1e9, "",
           flops / 1e9, gemm_rate[0], gemm_rate[1]);
    double es[2];
    for (int T = 1; T <= 2; T++) {
        double t[3];
        openblas_set_num_threads(T);
        for (int r = 0; r < 3 && !rc; r++) {
            for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j <= i; j++) C[i * n + j] = C[j * n + i] = A[i * n + j];
            double t0 = nn_now();
            rc = linalg_eigh((int)n, C, w, 1);
            t[r] = nn_now() - t0;
        }
        openblas_set_num_threads(1);
        if (rc) goto done;
        es[T - 1] = bench_median(t, 3);
    }
    double g1 = dgemm_s((int)n, (int)n, (int)n, A, A, C);
    printf("  %-44s %8.3fs %8.3fs %9s   (one %zu^3 dgemm: %.3f s on 1 thread)\n",
           "eigendecomposition (dsyevd, vectors)", es[0], es[1], "", n, g1);
    printf("  one Levenberg-Marquardt iteration is about %.2f s on 2 threads: Hessian + "
           "eigendecomposition; the nine trial gradients cost ~1 ms\n", hs[1] + es[1]);
done:
    pool_set_threads(0);
    free(d.x), free(d.y), free(th), free(H), free(e), free(w), free(A), free(C);
    model_free(&m);
    return rc ? cli_fail("bench", rc) : EXIT_OK;
}
