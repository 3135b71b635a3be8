/* The double-precision model (nn/model64.c) against the independent
 * loop-based reference (tests/nnref.c) and central differences; its dense
 * Hessian against differences of its gradient and against its own dense-v
 * R-operator; and the LAPACK eigen solver against the Jacobi one. */
#include <stdlib.h>
#include <string.h>

#include "../datasets/linalg.h"
#include "../datasets/rng.h"
#include "../nn/model64.h"
#include "../nn/pool.h"
#include "../probes/pca.h"
#include "nnref.h"
#include "test.h"

static double *theta64(const model *m)
{
    double *p = malloc(sizeof(double) * m->n);
    for (size_t i = 0; i < m->n; i++) p[i] = m->theta[i];
    return p;
}

/* Loss to 1e-13 and gradient to 1e-8 (central differences of the reference
 * loss in double, h = 1e-5: truncation ~1e-10, rounding ~1e-11), every
 * activation, both losses. A gradient missing the bias terms or the
 * activation derivative is off by O(1). */
TEST(model64_loss_and_gradient_match_reference)
{
    int acts[6] = {ACT_TANH, ACT_SIGMOID, ACT_SOFTPLUS, ACT_GELU, ACT_LEAKY_RELU, ACT_RELU};
    for (int loss = 0; loss < LOSS_COUNT; loss++)
        for (int ai = 0; ai < 6; ai++) {
            model m;
            int w[3] = {6, 5, 4}, a[3] = {acts[ai], acts[(ai + 1) % 6], ACT_LINEAR};
            nnref_build(&m, 5, w, a, 3, loss);
            model_init_params(&m, 21 + (uint64_t)ai);
            dataset d = nnref_data(11, 5, 4, 5 + (uint64_t)ai, 7);
            model64 w64;
            CHECK_OK(model64_init(&w64, &m, &d, NULL, d.n));
            double *p = theta64(&m), *g = malloc(sizeof(double) * m.n);
            double minz = 1;
            double ref = nnref_loss(&m, p, d.x, d.y, d.n, &minz);
            double l = model64_grad(&w64, p, g, NULL);
            CHECK_NEAR(l, ref, 1e-13 * fabs(ref));
            double h = 1e-5, err = 0, gmax = 0;
            for (size_t i = 0; i < m.n; i++) {
                double s = p[i];
                p[i] = s + h;
                double up = nnref_loss(&m, p, d.x, d.y, d.n, NULL);
                p[i] = s - h;
                double dn = nnref_loss(&m, p, d.x, d.y, d.n, NULL);
                p[i] = s;
                err = fmax(err, fabs(g[i] - (up - dn) / (2 * h)));
                gmax = fmax(gmax, fabs(g[i]));
            }
            /* relu kinks within h would spoil the difference; nnref's inits keep them away. */
            CHECK_MSG(minz > 10 * h, "a relu unit sits %.3g from its kink", minz);
            CHECK_MSG(err < 1e-8 * fmax(gmax, 1), "%s/%s: gradient error %.3g (max %.3g)",
                      loss_name(loss), act_name(acts[ai]), err, gmax);
            CHECK(gmax > 1e-3);
            free(p), free(g);
            model64_free(&w64);
            dataset_free(&d);
            model_free(&m);
        }
}

/* Column j of the dense Hessian against central differences of the analytic
 * gradient (h = 1e-5: error ~1e-9 relative); H v from the dense matrix equals
 * the R-operator with a dense v (the unit-vector shortcut against the general
 * path, 1e-12); threads give identical bits. Dropping the f'' term moves H by
 * ~1e-2 relative, dropping the dz·V term by O(1). */
TEST(model64_hessian_matches_differences)
{
    int acts[2] = {ACT_TANH, ACT_GELU};
    int saved = pool_threads();
    for (int loss = 0; loss < LOSS_COUNT; loss++)
        for (int ai = 0; ai < 2; ai++) {
            model m;
            int w[3] = {7, 5, 3}, a[3] = {acts[ai], ACT_SIGMOID, ACT_LINEAR};
            nnref_build(&m, 4, w, a, 3, loss);
            model_init_params(&m, 3 + (uint64_t)ai);
            dataset d = nnref_data(13, 4, 3, 9 + (uint64_t)ai, 7);
            size_t n = m.n;
            CHECK_OK(pool_set_threads(1));
            model64 w1, w2;
            CHECK_OK(model64_init(&w1, &m, &d, NULL, d.n));
            CHECK_OK(pool_set_threads(2));
            CHECK_OK(model64_init(&w2, &m, &d, NULL, d.n));
            double *p = theta64(&m), *H = malloc(sizeof(double) * n * n);
            double *H2 = malloc(sizeof(double) * n * n);
            double *gp = malloc(sizeof(double) * n), *gm = malloc(sizeof(double) * n);
            double *v = malloc(sizeof(double) * n), *hv = malloc(sizeof(double) * n);
            CHECK_OK(model64_hessian(&w1, p, H));
            CHECK_OK(model64_hessian(&w2, p, H2));
            CHECK(memcmp(H, H2, sizeof(double) * n * n) == 0);
            double h = 1e-5, err = 0, hmax = 0;
            for (size_t j = 0; j < n; j++) {
                double s = p[j];
                p[j] = s + h;
                model64_grad(&w1, p, gp, NULL);
                p[j] = s - h;
                model64_grad(&w1, p, gm, NULL);
                p[j] = s;
                for (size_t i = 0; i < n; i++) {
                    err = fmax(err, fabs(H[i * n + j] - (gp[i] - gm[i]) / (2 * h)));
                    hmax = fmax(hmax, fabs(H[i * n + j]));
                }
            }
            CHECK_MSG(err < 1e-7 * hmax, "%s/%s: H vs differences %.3g of max %.3g",
                      loss_name(loss), act_name(acts[ai]), err, hmax);
            for (size_t i = 0; i < n; i++) v[i] = rng_normal(77, 1, i);
            model64_hvp(&w1, p, v, hv);
            double e2 = 0, nrm = 0;
            for (size_t i = 0; i < n; i++) {
                double s = 0;
                for (size_t j = 0; j < n; j++) s += H[i * n + j] * v[j];
                e2 = fmax(e2, fabs(s - hv[i]));
                nrm = fmax(nrm, fabs(s));
            }
            CHECK_MSG(e2 < 1e-12 * nrm, "dense Hv vs R-operator %.3g of %.3g", e2, nrm);
            free(p), free(H), free(H2), free(gp), free(gm), free(v), free(hv);
            model64_free(&w1);
            model64_free(&w2);
            dataset_free(&d);
            model_free(&m);
        }
    pool_set_threads(saved);
}

/* LAPACK's dsyevd against the Jacobi solver of probes/pca.c on a random
 * symmetric matrix: eigenvalues to 1e-12 and A q = λ q for every row q. */
TEST(linalg_eigh_matches_jacobi)
{
    int n = 40;
    double *A = malloc(sizeof(double) * n * n), *Q = malloc(sizeof(double) * n * n);
    double *J = malloc(sizeof(double) * n * n), *V = malloc(sizeof(double) * n * n);
    double *w = malloc(sizeof(double) * n), *wj = malloc(sizeof(double) * n);
    for (int i = 0; i < n; i++)
        for (int j = 0; j <= i; j++)
            A[i * n + j] = A[j * n + i] = rng_normal(5, 2, (uint64_t)(i * n + j));
    memcpy(Q, A, sizeof(double) * n * n);
    memcpy(J, A, sizeof(double) * n * n);
    CHECK_OK(linalg_eigh(n, Q, w, 1));
    CHECK_OK(pca_eigen_sym(n, J, wj, V));
    double e = 0, r = 0;
    for (int k = 0; k < n; k++) {
        e = fmax(e, fabs(w[k] - wj[n - 1 - k])); /* Jacobi sorts descending */
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int j = 0; j < n; j++) s += A[i * n + j] * Q[k * n + j];
            r = fmax(r, fabs(s - w[k] * Q[k * n + i]));
        }
    }
    CHECK_MSG(e < 1e-12 * fabs(wj[0]), "eigenvalues differ by %.3g", e);
    CHECK_MSG(r < 1e-12 * fabs(wj[0]), "residual %.3g", r);
    CHECK(w[0] < w[n - 1]);
    free(A), free(Q), free(J), free(V), free(w), free(wj);
}
