/* The training loop end to end on synthetic data: byte-identical reruns,
 * a crash and resume that equals the uninterrupted run, NaN stopping with
 * the last good checkpoint intact, the files a run directory holds, and the
 * log's grad_norm column against an independent gradient. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../datasets/fileio.h"
#include "../nn/nn.h"
#include "nnref.h"
#include "test.h"

static void spirals_config(config *c, const char *extra[], int nextra)
{
    config_defaults(c);
    const char *sets[] = {
        "data.name=spirals", "data.synth_n=300", "data.synth_test_n=150", "data.synth_classes=3",
        "data.normalize=none", "model.layers=16 tanh, 16 relu, 3", "optimizer.type=adam",
        "optimizer.lr=0.03", "train.batch=64", "train.epochs=20", "train.seed=5", "train.threads=1",
        "train.eval_every=7", "train.snapshot_every=2", "train.ckpt_every=4",
        "schedule.type=cosine", "schedule.warmup_epochs=1"};
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) CHECK_OK(config_set(c, sets[i]));
    for (int i = 0; i < nextra; i++) CHECK_OK(config_set(c, extra[i]));
    if (c->data.seed == 0) c->data.seed = c->train.seed;
}

TEST(rerun_is_byte_identical_and_run_dir_is_complete)
{
    config c;
    spirals_config(&c, NULL, 0);
    train_result r1, r2;
    const char *a = test_path("run-a"), *b = test_path("run-b");
    CHECK_OK(train_run(&c, a, 0, NULL, &r1));
    CHECK_OK(train_run(&c, b, 0, NULL, &r2));
    /* Two threads split each batch: identical again between two such runs. */
    const char *a2 = test_path("run-a2"), *b2 = test_path("run-b2");
    CHECK_OK(config_set(&c, "train.threads=2"));
    train_result r3;
    CHECK_OK(train_run(&c, a2, 0, NULL, &r3));
    CHECK_OK(train_run(&c, b2, 0, NULL, &r3));
    CHECK(test_same_file(test_join(a2, "log.csv"), test_join(b2, "log.csv")));
    CHECK(test_same_file(test_join(a2, "final.safetensors"), test_join(b2, "final.safetensors")));
    CHECK_OK(config_set(&c, "train.threads=1"));
    CHECK(test_same_file(test_join(a, "log.csv"), test_join(b, "log.csv")));
    CHECK(test_same_file(test_join(a, "final.safetensors"), test_join(b, "final.safetensors")));
    CHECK(test_same_file(test_join(a, "config.ini"), test_join(b, "config.ini")));
    CHECK(test_exists(test_join(a, "summary.json")) && test_exists(test_join(a, "last.safetensors")));
    /* 300 examples / 64 = 5 steps per epoch (the last of 44 rows), 100
     * steps; snapshots at step 0 and every 2 epochs: 0, 10, ..., 100. */
    CHECK(r1.steps == 100);
    int snaps = 0;
    DIR *d = opendir(test_join(a, "traj"));
    CHECK(d != NULL);
    for (struct dirent *e; d && (e = readdir(d));)
        if (strstr(e->d_name, ".safetensors")) snaps++;
    if (d) closedir(d);
    CHECK_MSG(snaps == 11, "%d snapshots", snaps);
    CHECK(test_exists(test_join(a, "traj/step-00000040.safetensors")));
    /* The model learned something: 3 balanced classes, chance is 1/3. */
    CHECK_MSG(r1.train_acc > 0.6, "train acc %.3f", r1.train_acc);
    /* log.csv: header, the step-0 row, rows every 7 steps and the last. */
    uint8_t *log;
    size_t len;
    CHECK_OK(file_read_all(test_join(a, "log.csv"), 1 << 20, &log, &len));
    const char *hdr = "step,epoch,lr,train_loss,train_acc,grad_norm,test_loss,test_acc\n0,";
    CHECK(strncmp((char *)log, hdr, strlen(hdr)) == 0);
    int rows = 0;
    for (size_t i = 0; i < len; i++) rows += log[i] == '\n';
    CHECK_MSG(rows == 1 + 1 + 100 / 7 + 1, "%d lines", rows);
    free(log);
    /* The resolved config round-trips and the checkpoint evaluates to the
     * summary's numbers. */
    config back;
    config_defaults(&back);
    CHECK_OK(config_load(&back, test_join(a, "config.ini")));
    CHECK(back.train.epochs == 20 && back.optim.lr == 0.03 && back.data.seed == 5);
    model m;
    ckpt_info info;
    CHECK_OK(ckpt_load(test_join(a, "final.safetensors"), &m, -1, 0, &info, NULL, NULL, 0));
    CHECK(info.step == 100);
    dataset tr = {0}, va = {0}, te = {0};
    CHECK_OK(data_load(&back.data, &tr, &va, &te));
    workspace ws;
    CHECK_OK(workspace_alloc(&ws, &m, 64));
    double acc, loss = model_eval(&m, m.theta, &te, NULL, te.n, &acc, NULL, &ws);
    CHECK_NEAR(loss, r1.test_loss, 1e-6);
    CHECK_NEAR(acc, r1.test_acc, 1e-12);
    workspace_free(&ws);
    dataset_free(&tr);
    dataset_free(&va);
    dataset_free(&te);
    model_free(&m);
    ckpt_info_free(&info);
}

/* The child process dies abruptly at step 23 (after the checkpoint at 20,
 * with log rows past it); resuming must reproduce the uninterrupted run. */
static void die_at_23(const train_progress *p, void *user)
{
    if (p->step == 23) _exit(0);
}

static void crash_and_resume(const char *opt, const char *threads)
{
    config c;
    const char *extra[] = {opt, threads};
    spirals_config(&c, extra, 2);
    char name[64];
    snprintf(name, sizeof name, "full-%s", strchr(opt, '=') + 1);
    const char *full = test_path(name);
    snprintf(name, sizeof name, "crash-%s", strchr(opt, '=') + 1);
    const char *crash = test_path(name);
    train_result r;
    CHECK_OK(train_run(&c, full, 0, NULL, &r));
    pid_t pid = fork();
    if (pid == 0) {
        train_hooks h = {die_at_23, NULL, NULL, NULL};
        train_run(&c, crash, 0, &h, &r);
        _exit(3); /* must not get here */
    }
    int st = 0;
    waitpid(pid, &st, 0);
    CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %d", st);
    CHECK(!test_exists(test_join(crash, "final.safetensors")));
    CHECK(!test_same_file(test_join(full, "log.csv"), test_join(crash, "log.csv")));
    CHECK_OK(train_run(&c, crash, 1, NULL, &r));
    CHECK_MSG(test_same_file(test_join(full, "final.safetensors"), test_join(crash, "final.safetensors")),
              "%s: resumed final checkpoint differs", opt);
    CHECK_MSG(test_same_file(test_join(full, "log.csv"), test_join(crash, "log.csv")), "%s: resumed log differs", opt);
    CHECK(test_same_file(test_join(full, "last.safetensors"), test_join(crash, "last.safetensors")));
}

TEST(resume_after_crash_equals_uninterrupted)
{
    crash_and_resume("optimizer.type=adam", "train.threads=2");
    crash_and_resume("optimizer.type=momentum", "train.threads=1");
    crash_and_resume("optimizer.type=rmsprop", "train.threads=2");
}

TEST(nan_stops_training_and_keeps_last_checkpoint)
{
    config c;
    /* A linear model under MSE with a step far past 2/lambda_max diverges
     * geometrically: finite for a few steps, then infinite. */
    const char *extra[] = {"optimizer.type=sgd", "optimizer.lr=10", "model.layers=32 linear, 3",
                           "loss.type=mse", "schedule.type=constant", "schedule.warmup_epochs=0",
                           "train.ckpt_every=2"};
    spirals_config(&c, extra, 7);
    const char *dir = test_path("nan");
    train_result r;
    int rc = train_run(&c, dir, 0, NULL, &r);
    CHECK(rc == NN_ENAN);
    const char *msg = nn_errmsg();
    CHECK_MSG(strstr(msg, "step ") && strstr(msg, "training stopped"), "message: %s", msg);
    CHECK(!test_exists(test_join(dir, "final.safetensors")));
    /* Whatever checkpoint was written before the failure loads and is finite. */
    CHECK(test_exists(test_join(dir, "last.safetensors")));
    if (test_exists(test_join(dir, "last.safetensors"))) {
        model m;
        ckpt_info info;
        CHECK_OK(ckpt_load(test_join(dir, "last.safetensors"), &m, -1, 0, &info, NULL, NULL, 0));
        int finite = 1;
        for (size_t i = 0; i < m.n; i++) finite &= isfinite(m.theta[i]);
        CHECK(finite);
        CHECK_MSG(strstr(msg, "intact"), "message: %s", msg);
        model_free(&m);
        ckpt_info_free(&info);
    }
    CHECK(test_exists(test_join(dir, "log.csv")));
}

TEST(mismatched_output_width_is_a_config_error)
{
    config c;
    const char *extra[] = {"model.layers=8 relu, 4"};
    spirals_config(&c, extra, 1);
    train_result r;
    int rc = train_run(&c, test_path("bad"), 0, NULL, &r);
    CHECK(rc == NN_ECONFIG);
    CHECK(strstr(nn_errmsg(), "4 outputs") && strstr(nn_errmsg(), "3 classes"));
}

/* Field `name` of the last row of a log.csv; NaN when absent. */
static double log_last(const char *text, const char *name)
{
    const char *nl = strchr(text, '\n'), *end = text + strlen(text);
    int col = -1, c = 0;
    for (const char *p = text; nl && p < nl; c++) {
        const char *comma = memchr(p, ',', (size_t)(nl - p));
        size_t len = (size_t)((comma ? comma : nl) - p);
        if (len == strlen(name) && !strncmp(p, name, len)) col = c;
        p = comma ? comma + 1 : nl;
    }
    while (end > text && end[-1] == '\n') end--;
    const char *row = end;
    while (row > text && row[-1] != '\n') row--;
    for (c = 0; col >= 0 && c < col && row; c++) {
        row = strchr(row, ',');
        if (row) row++;
    }
    return col >= 0 && row ? strtod(row, NULL) : NAN;
}

/* |gradient| of the mean loss over the first k examples of d at m's θ, by
 * central differences of the double-precision reference; its loss too. */
static double ref_grad_norm(const model *m, const dataset *d, size_t k, double *loss)
{
    double *p = malloc(m->n * sizeof *p), s = 0;
    for (size_t i = 0; i < m->n; i++) p[i] = m->theta[i];
    *loss = nnref_loss(m, p, d->x, d->y, k, NULL);
    for (size_t i = 0; i < m->n; i++) {
        double keep = p[i], h = 1e-5 * fmax(1, fabs(keep));
        p[i] = keep + h;
        double lp = nnref_loss(m, p, d->x, d->y, k, NULL);
        p[i] = keep - h;
        double lm = nnref_loss(m, p, d->x, d->y, k, NULL);
        p[i] = keep;
        s += (lp - lm) / (2 * h) * ((lp - lm) / (2 * h));
    }
    free(p);
    return sqrt(s);
}

/* grad_norm in log.csv is the norm of the gradient of the row's train_loss,
 * over the same examples (the first eval_limit); summary.json's grad_norm
 * is over the whole training set. Checked at the final weights. */
TEST(log_grad_norm_is_the_gradient_of_the_logged_loss)
{
    config c;
    const char *extra[] = {"data.synth_n=120", "model.layers=8 tanh, 3", "train.eval_limit=100",
                           "train.epochs=3", "train.batch=32", "train.snapshot_every=0"};
    spirals_config(&c, extra, 6);
    const char *dir = test_path("gradnorm");
    train_result r;
    CHECK_OK(train_run(&c, dir, 0, NULL, &r));
    size_t len;
    char *log = (char *)test_read_file(test_join(dir, "log.csv"), &len);
    char *sum = (char *)test_read_file(test_join(dir, "summary.json"), &len);
    CHECK(log && sum);
    model m;
    dataset tr = {0}, va = {0}, te = {0};
    CHECK_OK(ckpt_load(test_join(dir, "final.safetensors"), &m, -1, 0, NULL, NULL, NULL, 0));
    CHECK_OK(data_load(&c.data, &tr, &va, &te));
    if (log && sum && tr.n == 120) {
        double l100, g100 = ref_grad_norm(&m, &tr, 100, &l100);
        double l120, g120 = ref_grad_norm(&m, &tr, 120, &l120);
        double lg = log_last(log, "grad_norm"), ll = log_last(log, "train_loss");
        CHECK_NEAR(ll, l100, 1e-5 * l100);
        CHECK_NEAR(lg, g100, 1e-4 * g100);
        /* Not vacuous: a real gradient, and one the subset changes by far
         * more than the tolerance (the column is not over all 120). */
        CHECK_MSG(g100 > 1e-2 && fabs(g120 - g100) > 1e-2 * g100, "|g| %g over 100, %g over 120", g100,
                  g120);
        const char *js = strstr(sum, "\"grad_norm\":");
        CHECK(js != NULL);
        if (js) CHECK_NEAR(strtod(strchr(js, ':') + 1, NULL), g120, 1e-4 * g120);
        CHECK_NEAR(r.grad_norm, g120, 1e-4 * g120);
    }
    free(log);
    free(sum);
    model_free(&m);
    dataset_free(&tr);
    dataset_free(&va);
    dataset_free(&te);
}
