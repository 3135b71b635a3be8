/* The λmax monitor during training: its estimate equals a direct Lanczos
 * (and `saddle hessian`) at the same checkpoint and subset, log.csv gets the
 * column at the union of eval and monitor steps, a crash and resume with the
 * monitor on equals the uninterrupted run, and `saddle plot` draws it. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../datasets/fileio.h"
#include "../nn/nn.h"
#include "../nn/pool.h"
#include "../probes/hessian.h"
#include "../probes/monitor.h"
#include "test.h"

static void mon_config(config *c, const char *extra)
{
    config_defaults(c);
    const char *sets[] = {
        "data.name=spirals", "data.synth_n=300", "data.synth_test_n=100", "data.synth_classes=3",
        "data.normalize=none", "model.layers=16 tanh, 16 tanh, 3", "loss.type=mse",
        "optimizer.type=momentum", "optimizer.lr=0.05", "train.batch=100", "train.epochs=10",
        "train.seed=4", "train.threads=2", "train.eval_every=7", "train.ckpt_every=4",
        "train.snapshot_every=5", "train.snapshot_unit=steps", "monitor.every=5",
        "monitor.limit=200", "monitor.steps=20", "monitor.tol=1e-3", extra};
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++)
        if (sets[i]) CHECK_OK(config_set(c, sets[i]));
    if (c->data.seed == 0) c->data.seed = c->train.seed;
}

/* λmax in the log row of `step` (NaN when that row has an empty column). */
static double log_lambda(const char *log, long step)
{
    char key[32];
    snprintf(key, sizeof key, "\n%ld,", step);
    const char *row = strstr(log, key);
    if (!row) return -1;
    const char *nl = strchr(row + 1, '\n'), *comma = nl;
    while (comma > row && comma[-1] != ',') comma--;
    return comma == nl ? NAN : strtod(comma, NULL);
}

TEST(monitor_matches_direct_lanczos_and_saddle_hessian)
{
    config c;
    mon_config(&c, NULL);
    char dir[512];
    snprintf(dir, sizeof dir, "%s", test_path("monitor-run"));
    lmax_monitor mon = {0};
    train_hooks h = {NULL, NULL, lmax_monitor_fn, &mon};
    train_result r;
    CHECK_OK(train_run(&c, dir, 0, &h, &r));
    lmax_monitor_free(&mon);
    /* 3 steps per epoch, 30 steps: estimates at 0, 5, ..., 30. */
    CHECK_MSG(r.steps == 30 && r.monitor_calls == 7, "%ld steps, %ld calls", r.steps,
              r.monitor_calls);
    CHECK(r.grad_evals == 30);
    size_t len;
    char *log = (char *)test_read_file(test_join(dir, "log.csv"), &len);
    CHECK(log != NULL);
    if (!log) return;
    log[len] = 0;
    const char *hdr = "step,epoch,lr,train_loss,train_acc,grad_norm,test_loss,test_acc,lambda_max\n";
    CHECK(!strncmp(log, hdr, strlen(hdr)));
    /* Rows at multiples of 7 or 5, and the end; the column only at 5s. */
    int rows = 0;
    for (size_t i = 0; i < len; i++) rows += log[i] == '\n';
    CHECK_MSG(rows == 1 + 1 + 4 + 6 - 0, "%d lines", rows); /* 0; 7,14,21,28; 5..30 */
    CHECK(isnan(log_lambda(log, 7)) && isnan(log_lambda(log, 28)));
    CHECK(log_lambda(log, 0) > 0 && log_lambda(log, 30) > 0);

    /* The same λmax from a Lanczos run to full accuracy at the snapshot. */
    dataset tr = {0}, va = {0}, te = {0};
    CHECK_OK(data_load(&c.data, &tr, &va, &te));
    size_t idx[200];
    CHECK_OK(train_monitor_subset(tr.n, c.train.seed, 200, idx));
    for (long step = 10; step <= 30; step += 20) {
        char name[64];
        snprintf(name, sizeof name, "traj/step-%08ld.safetensors", step);
        model m;
        CHECK_OK(ckpt_load(test_join(dir, name), &m, -1, 0, NULL, NULL, NULL, 0));
        CHECK_OK(pool_set_threads(1));
        nnobj ctx;
        objective o;
        CHECK_OK(nnobj_init(&ctx, &o, &m, &tr, idx, 200));
        hess_lanczos_opts lo = {0};
        lo.k = 1;
        lo.tol = 1e-8;
        lo.seed = 99;
        hess_eig e = {0};
        CHECK_OK(hess_lanczos(&o, m.theta, &lo, &e));
        double lam = log_lambda(log, step);
        CHECK_MSG(fabs(lam - e.eval[0]) <= 1e-3 * e.eval[0] && e.eval[0] > 1e-3,
                  "step %ld: monitor %.9g, Lanczos %.9g", step, lam, e.eval[0]);
        hess_eig_free(&e);
        nnobj_free(&ctx);
        model_free(&m);

        /* And through the command line, as a user would check it. */
        {
            char args[2048], out[600];
            const char *text;
            snprintf(out, sizeof out, "%s-%ld", test_path("monitor-hess"), step);
            snprintf(args, sizeof args,
                     "hessian %s --top 1 --limit 200 --seed 4 --tol 1e-8 --threads 1 --out %s",
                     test_join(dir, name), out);
            CHECK_MSG(test_saddle(args, &text) == 0, "%s", text);
            uint8_t *js = test_read_file(test_join(out, "hessian.json"), &len);
            cJSON *j = js ? cJSON_Parse((char *)js) : NULL;
            cJSON *top = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "lanczos"), "top");
            double cli = cJSON_IsArray(top) ? cJSON_GetArrayItem(top, 0)->valuedouble : NAN;
            CHECK_MSG(fabs(lam - cli) <= 1e-3 * cli, "step %ld: monitor %.9g, saddle hessian %.9g",
                      step, lam, cli);
            cJSON_Delete(j);
            free(js);
        }
    }
    dataset_free(&tr);
    dataset_free(&va);
    dataset_free(&te);
    free(log);
}

static void die_at_23(const train_progress *p, void *user)
{
    if (p->step == 23) _exit(0);
}

TEST(monitor_resume_after_crash_equals_uninterrupted)
{
    config c;
    mon_config(&c, "optimizer.sam=sam");
    char full[512], crash[512];
    snprintf(full, sizeof full, "%s", test_path("monitor-full"));
    snprintf(crash, sizeof crash, "%s", test_path("monitor-crash"));
    train_result r;
    lmax_monitor m1 = {0};
    train_hooks h = {NULL, NULL, lmax_monitor_fn, &m1};
    CHECK_OK(train_run(&c, full, 0, &h, &r));
    lmax_monitor_free(&m1);
    CHECK(r.grad_evals == 2 * r.steps);
    pid_t pid = fork();
    if (pid == 0) {
        lmax_monitor m2 = {0};
        train_hooks hc = {die_at_23, NULL, lmax_monitor_fn, &m2};
        train_run(&c, crash, 0, &hc, &r);
        _exit(3);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %d", st);
    CHECK(!test_same_file(test_join(full, "log.csv"), test_join(crash, "log.csv")));
    /* The checkpoint carries the warm-start vector. */
    st_file f;
    CHECK_OK(st_read(test_join(crash, "last.safetensors"), &f));
    CHECK(st_find(&f, "optim.monitor_v.0.weight") != NULL);
    st_free(&f);
    lmax_monitor m3 = {0};
    h.monitor_user = &m3;
    CHECK_OK(train_run(&c, crash, 1, &h, &r));
    lmax_monitor_free(&m3);
    CHECK_MSG(test_same_file(test_join(full, "log.csv"), test_join(crash, "log.csv")),
              "resumed log.csv differs");
    CHECK(test_same_file(test_join(full, "final.safetensors"), test_join(crash, "final.safetensors")));
    CHECK(test_same_file(test_join(full, "last.safetensors"), test_join(crash, "last.safetensors")));

    /* A monitor without a hook is an error, not a silently empty column. */
    CHECK_ERR(train_run(&c, test_path("monitor-nohook"), 0, NULL, &r), NN_EINVAL, "monitor");

    /* saddle plot draws both pictures, with the momentum line (2+2b)/lr = 76. */
    {
        char args[1024];
        const char *out;
        snprintf(args, sizeof args, "plot %s", full);
        CHECK_MSG(test_saddle(args, &out) == 0 && strstr(out, "(2+2b)/lr = 76"), "%s", out);
        CHECK(access(test_join(full, "probes/training.png"), R_OK) == 0);
        CHECK(access(test_join(full, "probes/lambda_max.png"), R_OK) == 0);
    }
}
