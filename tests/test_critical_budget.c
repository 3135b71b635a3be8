/* The index along a critical-point search: every visited point is reported
 * with the classification a search stopped there would have given (checked
 * against searches actually stopped there), and `saddle critical` records
 * the trace and the correlation per iteration budget, matching a rerun with
 * that budget. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "../datasets/rng.h"
#include "../nn/pool.h"
#include "../probes/critical.h"
#include "../probes/nnobj.h"
#include "nnref.h"
#include "test.h"

typedef struct steps_seen {
    crit_step s[400];
    int n, out_of_order;
} steps_seen;

static void record(void *user, const crit_step *s)
{
    steps_seen *w = user;
    if (w->n < 400) {
        w->out_of_order += s->iter != w->n;
        w->s[w->n++] = *s;
    }
}

/* A 4-5-3 tanh net under MSE on 12 examples, as test_critical.c uses: its
 * searches run long enough for the index to move. */
static void small_net(model *m, dataset *d, int init_seed)
{
    int w[2] = {5, 3}, a[2] = {ACT_TANH, ACT_LINEAR};
    nnref_build(m, 4, w, a, 2, LOSS_MSE);
    model_init_params(m, (uint64_t)init_seed);
    memset(d, 0, sizeof *d);
    d->n = 12, d->dim = 4, d->classes = 3;
    d->x = malloc(sizeof(float) * 48);
    d->y = malloc(sizeof(int32_t) * 12);
    for (int i = 0; i < 48; i++) d->x[i] = (float)rng_normal(2, 7, (uint64_t)i);
    for (int i = 0; i < 12; i++) d->y[i] = i % 3;
}

/* Each reported step k equals, bit for bit, the end of the same search run
 * with max_iter = k: the trace is what the search would have reported at
 * that budget, not an estimate. And the index does move along the way (the
 * test is not vacuous): the end point's index owes something to the budget. */
TEST(critical_trace_is_the_search_cut_at_each_budget)
{
    CHECK_OK(pool_set_threads(1));
    int moved = 0;
    for (int seed = 3; seed <= 5; seed++) {
        model m;
        dataset d;
        small_net(&m, &d, seed * 7);
        nnobj ctx;
        objective o;
        CHECK_OK(nnobj_init(&ctx, &o, &m, &d, NULL, d.n));
        size_t n = m.n;
        double *x0 = malloc(sizeof(double) * n), *x = malloc(sizeof(double) * n);
        for (size_t i = 0; i < n; i++) x0[i] = 2 * m.theta[i];
        crit_opts opt;
        crit_opts_defaults(&opt);
        opt.max_iter = 120;
        static steps_seen w;
        memset(&w, 0, sizeof w);
        crit_result r;
        memcpy(x, x0, sizeof(double) * n);
        CHECK_OK(crit_find(&o, x, &opt, &r, NULL, record, &w));
        CHECK_MSG(w.n == r.iters + 1 && !w.out_of_order, "%d steps for %d iterations", w.n, r.iters);
        const crit_step *e = &w.s[w.n - 1];
        CHECK(e->loss == r.loss && e->gnorm == r.gnorm && e->status == r.status);
        for (int t = 0; t < opt.nt; t++) CHECK(e->nneg[t] == r.nneg[t] && e->index[t] == r.index[t]);
        int budgets[] = {0, 1, 2, 5, 13, 40, 60, 90};
        for (size_t b = 0; b < sizeof budgets / sizeof *budgets; b++) {
            int B = budgets[b];
            if (B > r.iters) continue;
            crit_opts ob = opt;
            ob.max_iter = B;
            crit_result rb;
            memcpy(x, x0, sizeof(double) * n);
            CHECK_OK(crit_find(&o, x, &ob, &rb, NULL, NULL, NULL));
            const crit_step *s = &w.s[B];
            CHECK_MSG(rb.iters == B && s->iter == B, "seed %d budget %d: %d iterations", seed, B,
                      rb.iters);
            CHECK_MSG(s->loss == rb.loss && s->gnorm == rb.gnorm && s->status == rb.status &&
                          s->lmin == rb.lmin && s->lmax == rb.lmax,
                      "seed %d budget %d: step (%.17g, %.3g, %s) vs cut search (%.17g, %.3g, %s)",
                      seed, B, s->loss, s->gnorm, crit_status_name(s->status), rb.loss, rb.gnorm,
                      crit_status_name(rb.status));
            for (int t = 0; t < opt.nt; t++)
                CHECK_MSG(s->nneg[t] == rb.nneg[t] && s->index[t] == rb.index[t],
                          "seed %d budget %d t %d: %d vs %d negative", seed, B, t, s->nneg[t],
                          rb.nneg[t]);
        }
        for (int k = 1; k < w.n; k++) moved += w.s[k].nneg[2] != w.s[0].nneg[2];
        free(x0), free(x);
        nnobj_free(&ctx);
        dataset_free(&d);
        model_free(&m);
    }
    CHECK_MSG(moved > 0, "the index never moved along any search");
}

static cJSON *read_json(const char *path)
{
    size_t len;
    char *t = (char *)test_read_file(path, &len);
    cJSON *j = t ? cJSON_Parse(t) : NULL;
    free(t);
    return j;
}

static double num_at(const cJSON *a, int i)
{
    const cJSON *v = cJSON_GetArrayItem(a, i);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* `saddle critical` with 30 iterations keeps each search's trace and the
 * correlation at budgets 25 and 30; a rerun with --max-iter 25 ends every
 * search where the first run's trace stood at 25, and its correlation is the
 * first run's budget-25 row. */
TEST(critical_cli_budgets_match_a_shorter_run)
{
    char run[512], args[2048], p[1024];
    snprintf(run, sizeof run, "%s", test_path("crit-budget-run"));
    const char *out;
    snprintf(args, sizeof args,
             "train configs/spirals.ini --set 'model.layers=8 tanh, 3' --set train.epochs=3 "
             "--set data.synth_n=150 --set data.synth_test_n=50 --set train.snapshot_every=1 "
             "--set train.threads=1 --out %s", run);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    snprintf(args, sizeof args, "critical %s --starts 3 --random 1 --max-iter 30 --threads 1 --name long",
             run);
    setenv("SADDLE_PROGRESS_SECONDS", "0", 1);
    int rc = test_saddle(args, &out);
    unsetenv("SADDLE_PROGRESS_SECONDS");
    CHECK_MSG(rc == 0, "%s", out);
    /* Progress per iteration, not per start only, at the interval the
     * environment sets (0: every iteration) like every other command. */
    CHECK_MSG(strstr(out, "iteration 0/30") && strstr(out, "iteration 17/30") &&
                  strstr(out, "by iteration budget"),
              "%s", out);
    snprintf(args, sizeof args, "critical %s --starts 3 --random 1 --max-iter 25 --threads 1 --name short",
             run);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    snprintf(p, sizeof p, "%s/probes/long.json", run);
    cJSON *L = read_json(p);
    snprintf(p, sizeof p, "%s/probes/short.json", run);
    cJSON *S = read_json(p);
    CHECK(L && S);
    if (!L || !S) goto done;
    const cJSON *lb = cJSON_GetObjectItemCaseSensitive(L, "by_budget");
    CHECK(cJSON_GetArraySize(lb) == 2);
    const cJSON *b25 = cJSON_GetArrayItem(lb, 0), *b30 = cJSON_GetArrayItem(lb, 1);
    CHECK(cJSON_GetObjectItemCaseSensitive(b25, "iterations")->valueint == 25);
    CHECK(cJSON_GetObjectItemCaseSensitive(b30, "iterations")->valueint == 30);
    const cJSON *lp = cJSON_GetObjectItemCaseSensitive(L, "points");
    const cJSON *sp = cJSON_GetObjectItemCaseSensitive(S, "points");
    CHECK(cJSON_GetArraySize(lp) == 3 && cJSON_GetArraySize(sp) == 3);
    int moved = 0;
    for (int k = 0; k < 3; k++) {
        const cJSON *pl = cJSON_GetArrayItem(lp, k), *ps = cJSON_GetArrayItem(sp, k);
        const cJSON *tr = cJSON_GetObjectItemCaseSensitive(pl, "trace");
        const cJSON *tl = cJSON_GetObjectItemCaseSensitive(tr, "loss");
        const cJSON *ti = cJSON_GetObjectItemCaseSensitive(tr, "index");
        int iters = cJSON_GetObjectItemCaseSensitive(pl, "iterations")->valueint;
        CHECK_MSG(cJSON_GetArraySize(tl) == iters + 1, "start %d: %d trace entries, %d iterations",
                  k + 1, cJSON_GetArraySize(tl), iters);
        int at = iters < 25 ? iters : 25;
        double loss25 = num_at(tl, at);
        double short_loss = cJSON_GetObjectItemCaseSensitive(ps, "loss")->valuedouble;
        CHECK_MSG(loss25 == short_loss, "start %d: trace at 25 %.17g, the 25-iteration run %.17g",
                  k + 1, loss25, short_loss);
        const cJSON *si = cJSON_GetObjectItemCaseSensitive(ps, "index");
        for (int t = 0; t < 3; t++) {
            const cJSON *col = cJSON_GetArrayItem(ti, t);
            CHECK(num_at(col, at) == num_at(si, t));
            moved += num_at(col, 0) != num_at(col, iters);
        }
        /* The trace ends on the reported end point. */
        CHECK(num_at(tl, iters) == cJSON_GetObjectItemCaseSensitive(pl, "loss")->valuedouble);
    }
    CHECK_MSG(moved > 0, "no index moved along any search");
    /* The budget-25 row is the 25-iteration run's correlation over all end points. */
    const cJSON *rho = cJSON_GetObjectItemCaseSensitive(b25, "spearman");
    const cJSON *srho = cJSON_GetObjectItemCaseSensitive(S, "spearman");
    for (int t = 0; t < 3; t++) {
        const cJSON *a = cJSON_GetArrayItem(rho, t);
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(srho, t), "all_end_points");
        CHECK_MSG((cJSON_IsNull(a) && cJSON_IsNull(b)) ||
                      (cJSON_IsNumber(a) && cJSON_IsNumber(b) && a->valuedouble == b->valuedouble),
                  "threshold %d: budget row and the shorter run disagree", t);
    }
done:
    cJSON_Delete(L);
    cJSON_Delete(S);
}

/* The bootstrap spread of rho against the exact bootstrap distribution: all
 * 5^5 resamples of five pairs enumerated (those without spread left out, as
 * the estimator does), their standard deviation and the sampled one agree to
 * Monte Carlo error. Resampling x and y apart, or not at all, fails this. */
TEST(critical_spearman_bootstrap_against_enumeration)
{
    enum { N = 5 };
    double x[N] = {0.41, 0.12, 0.09, 0.35, 0.08}, y[N] = {0.22, 0.10, 0.07, 0.19, 0.09};
    double bx[N], by[N], s = 0, s2 = 0;
    int m = 0;
    for (int code = 0; code < 3125; code++) {
        int c = code;
        for (int i = 0; i < N; i++, c /= N) bx[i] = x[c % N], by[i] = y[c % N];
        double r = crit_spearman(N, bx, by);
        if (isfinite(r)) s += r, s2 += r * r, m++;
    }
    double mean = s / m, sd_exact = sqrt((s2 - m * mean * mean) / (m - 1));
    double sd, lo, hi;
    CHECK_OK(crit_spearman_boot(N, x, y, 20000, 7, &sd, &lo, &hi));
    CHECK_NEAR(sd, sd_exact, 0.01);
    CHECK(sd_exact > 0.1); /* not vacuous: the spread is real */
    double rho = crit_spearman(N, x, y);
    CHECK_MSG(lo <= rho && rho <= hi && lo < hi, "rho %g outside [%g, %g]", rho, lo, hi);
    /* Perfectly ranked pairs stay perfectly ranked in every resample. */
    double u[N] = {1, 2, 3, 4, 5};
    CHECK_OK(crit_spearman_boot(N, u, u, 500, 7, &sd, &lo, &hi));
    CHECK(sd < 1e-12 && fabs(lo - 1) < 1e-12 && fabs(hi - 1) < 1e-12);
    CHECK_OK(crit_spearman_boot(2, u, u, 500, 7, &sd, &lo, &hi));
    CHECK(isnan(sd) && isnan(lo));
}
