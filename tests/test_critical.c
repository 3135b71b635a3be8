/* The critical-point finder (probes/critical.c): one step on a quadratic,
 * an honest "gradient-flat" on a function without critical points, every
 * listed critical point of two toy surfaces found with its index, a small
 * net's critical point checked by independent differences, and Spearman's
 * rank correlation against hand-computed values. */
#include <stdlib.h>
#include <string.h>

#include "../datasets/rng.h"
#include "../nn/pool.h"
#include "../probes/critical.h"
#include "../probes/npy.h"
#include "../probes/nnobj.h"
#include "../probes/objective_toy.h"
#include "../probes/render.h"
#include "../probes/pca.h"
#include "../probes/toysurf.h"
#include "nnref.h"
#include "test.h"

/* An indefinite quadratic with eigenvalues 3, 1, 0.5, -1, -2 in a rotated
 * basis: one Levenberg-Marquardt step lands on -A⁻¹b (μ = 1e-12 λmax² leaves
 * a relative residual of ~1e-11), and the point is a saddle of index 2/5 at
 * every threshold. */
TEST(critical_quadratic_one_step)
{
    enum { N = 5 };
    double lam[N] = {3, 1, 0.5, -1, -2}, A[N * N] = {0}, b[N], Q[N * N];
    /* Q: Gram-Schmidt of a seeded random matrix */
    for (int i = 0; i < N * N; i++) Q[i] = rng_normal(3, 1, (uint64_t)i);
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < i; j++) {
            double d = 0;
            for (int k = 0; k < N; k++) d += Q[i * N + k] * Q[j * N + k];
            for (int k = 0; k < N; k++) Q[i * N + k] -= d * Q[j * N + k];
        }
        double s = 0;
        for (int k = 0; k < N; k++) s += Q[i * N + k] * Q[i * N + k];
        for (int k = 0; k < N; k++) Q[i * N + k] /= sqrt(s);
    }
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            for (int k = 0; k < N; k++) A[i * N + j] += Q[k * N + i] * lam[k] * Q[k * N + j];
    for (int i = 0; i < N; i++) b[i] = rng_normal(4, 1, (uint64_t)i);
    for (int i = 0; i < N; i++)
        for (int j = 0; j < i; j++) A[i * N + j] = A[j * N + i];
    quadobj q;
    objective o;
    CHECK_OK(quadobj_init(&q, &o, N, A, b));
    /* the critical point in closed form: -Σ q_k (q_k·b) / λ_k */
    double xs[N] = {0}, x[N] = {0}, eig[N];
    for (int k = 0; k < N; k++) {
        double qb = 0;
        for (int i = 0; i < N; i++) qb += Q[k * N + i] * b[i];
        for (int i = 0; i < N; i++) xs[i] -= Q[k * N + i] * qb / lam[k];
    }
    crit_opts opt;
    crit_opts_defaults(&opt);
    crit_result r;
    CHECK_OK(crit_find(&o, x, &opt, &r, eig, NULL, NULL));
    CHECK(r.status == CRIT_CRITICAL);
    CHECK_MSG(r.iters == 1, "%d iterations", r.iters);
    for (int i = 0; i < N; i++) CHECK_NEAR(x[i], xs[i], 1e-9);
    CHECK(r.gnorm < 1e-9 * r.gnorm0);
    for (int t = 0; t < opt.nt; t++) {
        CHECK(r.nneg[t] == 2);
        CHECK_NEAR(r.index[t], 0.4, 1e-15);
    }
    CHECK_NEAR(r.lmin, -2, 1e-12);
    CHECK_NEAR(r.lmax, 3, 1e-12);
    CHECK_NEAR(eig[2], 0.5, 1e-12);
    quadobj_free(&q);
}

/* f = x + y² + z²/2 has no critical point (∂f/∂x = 1 everywhere). The search
 * must not call its end critical: ‖∇f‖ stops at 1, all of it along the null
 * direction of H, so the point is gradient-flat. */
TEST(critical_reports_no_critical_point_honestly)
{
    double A[9] = {0, 0, 0, 0, 2, 0, 0, 0, 1}, b[3] = {1, 0, 0};
    quadobj q;
    objective o;
    CHECK_OK(quadobj_init(&q, &o, 3, A, b));
    double x[3] = {0.3, -1.2, 0.7};
    crit_opts opt;
    crit_opts_defaults(&opt);
    crit_result r;
    CHECK_OK(crit_find(&o, x, &opt, &r, NULL, NULL, NULL));
    CHECK_MSG(r.status == CRIT_FLAT, "status %s", crit_status_name(r.status));
    CHECK_NEAR(r.gnorm, 1, 1e-9);
    CHECK_NEAR(r.nullfrac[0], 1, 1e-12);
    CHECK(r.hg_rel < 1e-9);
    CHECK(r.nneg[0] == 0);
    /* A function without a double-precision path is refused, not guessed at. */
    objective bare = o;
    bare.hessian64 = NULL;
    CHECK_ERR(crit_find(&bare, x, &opt, &r, NULL, NULL, NULL), NN_EINVAL, "double-precision");
    quadobj_free(&q);
}

/* From a start 0.03 off every listed critical point of the six-hump camel
 * and Himmelblau's function, the finder converges to that point (Newton-like
 * steps near a nondegenerate critical point do not wander off) and counts
 * its negative eigenvalues as the listed index: minima, saddles and maxima. */
TEST(critical_toy_points_found_and_classified)
{
    const char *names[2] = {"six-hump-camel", "himmelblau"};
    int found = 0;
    for (int s = 0; s < 2; s++) {
        const toy_surface *ts;
        CHECK_OK(toy_find(names[s], &ts));
        objective o;
        toy_objective(ts, &o);
        crit_opts opt;
        crit_opts_defaults(&opt);
        opt.gtol = 1e-10;
        for (int c = 0; c < ts->ncrit; c++) {
            const toy_crit *p = &ts->crit[c];
            double x[2] = {p->x + 0.03, p->y - 0.02};
            crit_result r;
            CHECK_OK(crit_find(&o, x, &opt, &r, NULL, NULL, NULL));
            CHECK_MSG(r.status == CRIT_CRITICAL, "%s #%d: %s", names[s], c,
                      crit_status_name(r.status));
            CHECK_MSG(hypot(x[0] - p->x, x[1] - p->y) < 1e-8, "%s #%d: ended at (%g, %g)",
                      names[s], c, x[0], x[1]);
            CHECK_MSG(r.nneg[0] == p->index, "%s #%d: index %d, listed %d", names[s], c,
                      r.nneg[0], p->index);
            CHECK_NEAR(r.loss, p->f, 1e-8 * fmax(1, fabs(p->f)));
            found += r.status == CRIT_CRITICAL && p->kind != TOY_MIN;
        }
    }
    CHECK(found == 9 + 5); /* saddles and maxima, not only minima */
}

/* A 4-5-3 tanh net under MSE on 12 examples: from its init the finder drives
 * ‖∇L‖ below 1e-8 (about 100 iterations; other inits end gradient-flat); central differences of the independent double loss
 * (tests/nnref.c) confirm the gradient vanishes there (to their own error,
 * ~1e-9), and the reported index equals a count from those differences'
 * Hessian, eigendecomposed by the Jacobi solver. */
TEST(critical_small_net_point_checked_independently)
{
    model m;
    int w[2] = {5, 3}, a[2] = {ACT_TANH, ACT_LINEAR};
    nnref_build(&m, 4, w, a, 2, LOSS_MSE);
    model_init_params(&m, 3);
    dataset d;
    memset(&d, 0, sizeof d);
    d.n = 12, d.dim = 4, d.classes = 3;
    d.x = malloc(sizeof(float) * 48);
    d.y = malloc(sizeof(int32_t) * 12);
    for (int i = 0; i < 48; i++) d.x[i] = (float)rng_normal(2, 7, (uint64_t)i);
    for (int i = 0; i < 12; i++) d.y[i] = i % 3;
    CHECK_OK(pool_set_threads(1));
    nnobj ctx;
    objective o;
    CHECK_OK(nnobj_init(&ctx, &o, &m, &d, NULL, d.n));
    size_t n = m.n;
    double *x = malloc(sizeof(double) * n);
    for (size_t i = 0; i < n; i++) x[i] = m.theta[i];
    crit_opts opt;
    crit_opts_defaults(&opt);
    opt.max_iter = 300;
    crit_result r;
    CHECK_OK(crit_find(&o, x, &opt, &r, NULL, NULL, NULL));
    CHECK_MSG(r.status == CRIT_CRITICAL, "%s after %d iterations, |g| %.3g",
              crit_status_name(r.status), r.iters, r.gnorm);
    CHECK(r.gnorm0 > 1e-2);
    double h = 1e-4, gmax = 0;
    double *H = malloc(sizeof(double) * n * n), *V = malloc(sizeof(double) * n * n);
    double *ev = malloc(sizeof(double) * n);
    for (size_t i = 0; i < n; i++) {
        double s = x[i];
        x[i] = s + h;
        double up = nnref_loss(&m, x, d.x, d.y, d.n, NULL);
        x[i] = s - h;
        double dn = nnref_loss(&m, x, d.x, d.y, d.n, NULL);
        x[i] = s;
        gmax = fmax(gmax, fabs((up - dn) / (2 * h)));
        for (size_t j = 0; j <= i; j++) {
            double f[4];
            for (int c = 0; c < 4; c++) {
                double si = x[i], sj = x[j];
                x[i] += c < 2 ? h : -h;
                x[j] += c & 1 ? -h : h;
                f[c] = nnref_loss(&m, x, d.x, d.y, d.n, NULL);
                x[i] = si, x[j] = sj;
            }
            H[i * n + j] = H[j * n + i] = (f[0] - f[1] - f[2] + f[3]) / (4 * h * h);
        }
    }
    CHECK_MSG(gmax < 1e-7, "differences see a gradient of %.3g", gmax);
    CHECK_OK(pca_eigen_sym((int)n, H, ev, V));
    int neg = 0;
    for (size_t k = 0; k < n; k++) neg += ev[k] < -1e-3 * ev[0];
    CHECK_MSG(neg == r.nneg[2], "differences count %d negative eigenvalues, the finder %d", neg,
              r.nneg[2]);
    CHECK_NEAR(r.lmax, ev[0], 1e-5 * ev[0]);
    free(x), free(H), free(V), free(ev);
    nnobj_free(&ctx);
    dataset_free(&d);
    model_free(&m);
}

TEST(critical_spearman_by_hand)
{
    double x[5] = {1, 2, 3, 4, 5}, y[5] = {1, 4, 9, 16, 25}, z[5] = {5, 4, 3, 2, 1};
    CHECK_NEAR(crit_spearman(5, x, y), 1, 1e-15);
    CHECK_NEAR(crit_spearman(5, x, z), -1, 1e-15);
    /* ties: ranks (1, 2.5, 2.5, 4) against (1, 2, 3, 4): 4.5 / sqrt(4.5 * 5) */
    double t[4] = {1, 2, 2, 3}, u[4] = {10, 20, 30, 40};
    CHECK_NEAR(crit_spearman(4, t, u), 4.5 / sqrt(22.5), 1e-15);
    double c[4] = {1, 1, 1, 1};
    CHECK(isnan(crit_spearman(4, c, u)));
    CHECK(isnan(crit_spearman(2, x, y)));
}

/* `saddle critical` end to end on a 51-parameter spirals net: the table,
 * the JSON (complete, one entry per start), the end points as .npy and as
 * checkpoints that hold the same θ, and a loss that `saddle eval` of the
 * saved point reproduces (float evaluation of the same data: 1e-5). Bad
 * requests fail with a clear message and write no table. */
TEST(critical_cli_end_to_end)
{
    char run[512], p[1024];
    snprintf(run, sizeof run, "%s", test_path("crit-run"));
    const char *out;
    char args[2048];
    snprintf(args, sizeof args,
             "train configs/spirals.ini --set 'model.layers=8 tanh, 3' --set train.epochs=3 "
             "--set data.synth_n=150 --set data.synth_test_n=50 --set train.snapshot_every=1 "
             "--set train.threads=1 --out %s", run);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    snprintf(args, sizeof args, "critical %s --starts 3 --random 1 --max-iter 4 --threads 1", run);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    CHECK_MSG(strstr(out, "Spearman") && strstr(out, "3 starts: 2 snapshots, 1 random"), "%s", out);

    snprintf(p, sizeof p, "%s/probes/critical.json", run);
    size_t len;
    char *js = (char *)test_read_file(p, &len);
    CHECK(js && strstr(js, "\"complete\":\ttrue") && strstr(js, "\"random 1\"") &&
          strstr(js, "\"null_grad_fraction\""));
    free(js);
    snprintf(p, sizeof p, "%s/probes/critical_points.npy", run);
    double *z = NULL;
    int nd = 0;
    size_t sh[NPY_MAX_DIMS];
    CHECK_OK(npy_read_f64(p, &z, &nd, sh));
    if (!z) return;
    CHECK(nd == 2 && sh[0] == 3 && sh[1] == 51);
    snprintf(p, sizeof p, "%s/probes/critical/point-03.safetensors", run);
    model m;
    CHECK_OK(ckpt_load(p, &m, -1, 0, NULL, NULL, NULL, 0));
    int same = m.n == 51;
    for (size_t i = 0; same && i < m.n; i++) same = m.theta[i] == (float)z[2 * 51 + i];
    CHECK(same);
    model_free(&m);
    free(z);
    snprintf(p, sizeof p, "%s/probes/critical.png", run);
    CHECK(test_exists(p));
    /* `saddle render` draws the saved table again. */
    snprintf(args, sizeof args, "render %s/probes/critical.json --png %s/again.png", run, run);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    snprintf(p, sizeof p, "%s/again.png", run);
    render_image im;
    CHECK_OK(render_png_read(p, &im));
    CHECK(im.w >= 400 && im.h >= 300);
    render_image_free(&im);

    /* The reported loss of the last point against `saddle eval` of its checkpoint. */
    snprintf(p, sizeof p, "%s/probes/critical.json", run);
    js = (char *)test_read_file(p, &len);
    char *last = js ? strstr(js, "\"random 1\"") : NULL;
    char *lp = last ? strstr(last, "\"loss\":") : NULL;
    double loss = lp ? strtod(lp + 7, NULL) : NAN;
    free(js);
    snprintf(args, sizeof args, "eval %s/probes/critical/point-03.safetensors --data train", run);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    const char *el = strstr(out, "loss");
    double eval_loss = el ? strtod(el + 4, NULL) : NAN;
    CHECK_MSG(fabs(loss - eval_loss) < 1e-5 * fmax(1, loss), "critical %.9g, eval %.9g (%s)", loss,
              eval_loss, out);

    /* A dense Hessian too large, a lone checkpoint, inconsistent counts. */
    snprintf(p, sizeof p, "%s/probes/critical.json", run);
    remove(p);
    snprintf(args, sizeof args, "critical %s --max-params 50", run);
    CHECK(test_saddle(args, &out) == 1 && strstr(out, "51 parameters") && strstr(out, "--max-params"));
    CHECK(!test_exists(p));
    snprintf(args, sizeof args, "critical %s/final.safetensors", run);
    CHECK(test_saddle(args, &out) == 1 && strstr(out, "needs a run directory"));
    snprintf(args, sizeof args, "critical %s --starts 2 --random 3", run);
    CHECK(test_saddle(args, &out) == 2 && strstr(out, "more than --starts"));
    CHECK(test_saddle("critical --help", &out) == 0 && strstr(out, "gradient-flat"));
}
