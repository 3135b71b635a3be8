/* Progress of the commands that grew their own (surface, its curvature map,
 * hessian) goes through the shared helper and so honours
 * SADDLE_PROGRESS_SECONDS; sharpness shows each measure; train logs within
 * an epoch, not only at its end. With the interval at 0 every update prints,
 * so a tiny run shows the lines without any timing. */
#include <stdlib.h>
#include <string.h>

#include "test.h"

static const char *small_run(void)
{
    return test_run("progress-phases-run", "--set train.epochs=2 --set data.synth_n=300 --set data.synth_test_n=100 "
                    "--set 'model.layers=8 tanh, 3'");
}

/* args with a progress line at every update; the exit status. */
static int run_logged(const char *args, const char **out)
{
    setenv("SADDLE_PROGRESS_SECONDS", "0", 1);
    int rc = test_saddle(args, out);
    unsetenv("SADDLE_PROGRESS_SECONDS");
    return rc;
}

/* Lines of out that start with a and hold b (b may be NULL). */
static int lines_with(const char *out, const char *a, const char *b)
{
    int n = 0;
    for (const char *l = out; l && *l;) {
        const char *eol = strchr(l, '\n');
        if (!eol) eol = l + strlen(l);
        const char *y = b ? strstr(l, b) : l;
        if (!strncmp(l, a, strlen(a)) && y && y < eol) n++;
        l = *eol ? eol + 1 : eol;
    }
    return n;
}

TEST(progress_surface_and_curvature_honour_the_interval)
{
    const char *run = small_run(), *out;
    char args[2048];
    /* 441 points in blocks of 28: 16 updates, each a line. */
    snprintf(args, sizeof args, "surface %s --grid 21x21 --limit 30 --out %s", run,
             test_path("surf-log"));
    CHECK_MSG(run_logged(args, &out) == 0, "%s", out);
    int n = lines_with(out, "surface: 21x21 grid: ", " points (");
    CHECK_MSG(n >= 15 && lines_with(out, "surface: 21x21 grid: 441/441 points (100%)", NULL) == 1,
              "%d lines: %s", n, out);
    /* The curvature map: a line per point, with the HVPs spent so far. */
    snprintf(args, sizeof args, "surface %s --curvature --grid 3x3 --limit 30 --out %s", run,
             test_path("curv-log"));
    CHECK_MSG(run_logged(args, &out) == 0, "%s", out);
    CHECK_MSG(lines_with(out, "curvature: 3x3 grid: ", " HVPs") == 9 &&
                  lines_with(out, "curvature: 3x3 grid: 1/9 points", NULL) == 1 &&
                  lines_with(out, "curvature: 3x3 grid: 9/9 points (100%)", NULL) == 1,
              "%s", out);
}

TEST(progress_hessian_counts_hvps_per_phase)
{
    const char *run = small_run(), *out;
    char args[2048];
    snprintf(args, sizeof args, "hessian %s --top 2 --trace --probes 6 --limit 50 --threads 1 --out %s",
             run, test_path("hess-log"));
    CHECK_MSG(run_logged(args, &out) == 0, "%s", out);
    /* Each phase announced, then its products counted one by one. */
    CHECK_MSG(lines_with(out, "hessian: Lanczos: at most", " HVPs, from ") == 1 &&
                  lines_with(out, "hessian: Lanczos: 1 of at most", " HVPs") == 1 &&
                  lines_with(out, "hessian: Lanczos: 2 of at most", " HVPs") == 1 &&
                  lines_with(out, "hessian: Hutchinson trace: at most 6 HVPs", NULL) == 1 &&
                  lines_with(out, "hessian: Hutchinson trace: 6 of at most 6 HVPs", NULL) == 1 &&
                  lines_with(out, "hessian: Hutch++ trace: 6 of at most 6 HVPs", NULL) == 1,
              "%s", out);
}

TEST(progress_sharpness_shows_each_measure)
{
    const char *run = small_run(), *out;
    char args[2048];
    snprintf(args, sizeof args, "sharpness %s --limit 50 --p 5 --samples 3 --iters 2 --threads 1 --out %s",
             run, test_path("sharp-log"));
    CHECK_MSG(run_logged(args, &out) == 0, "%s", out);
    static const char *const m[6] = {
        "sharpness 1/6: eps-sharpness, full space", "sharpness 2/6: eps-sharpness, subspace p = 5",
        "sharpness 3/6: worst case, rho = 0.05 (raw)", "sharpness 4/6: average case, sigma = 0.01 (raw)",
        "sharpness 5/6: worst case, rho = 0.05 (filter", "sharpness 6/6: average case, sigma = 0.01 (filter"};
    for (int k = 0; k < 6; k++)
        CHECK_MSG(lines_with(out, m[k], ": from ") == 1 && lines_with(out, m[k], " evaluations") >= 1,
                  "%s: %s", m[k], out);
    /* The average case: f at the centre and one per draw. */
    CHECK_MSG(lines_with(out, "sharpness 6/6", ": 4 evaluations") == 1, "%s", out);
    /* Within the default interval a log stays quiet but for the measures. */
    CHECK(test_saddle(args, &out) == 0);
    CHECK_MSG(lines_with(out, "sharpness ", " evaluations") == 0, "%s", out);
}

TEST(progress_train_logs_within_an_epoch)
{
    const char *out;
    char args[2048];
    /* 300 examples in batches of 32: 10 steps an epoch. */
    snprintf(args, sizeof args,
             "train configs/spirals.ini --out %s --set train.epochs=2 --set train.threads=1 "
             "--set data.synth_n=300 --set data.synth_test_n=50 --set 'model.layers=4 tanh, 3' "
             "--set train.snapshot_every=0",
             test_path("train-log"));
    CHECK_MSG(run_logged(args, &out) == 0, "%s", out);
    CHECK_MSG(lines_with(out, "epoch 1/2  step 1/20  loss", "so far") == 1 &&
                  lines_with(out, "epoch 2/2  step 19/20", NULL) == 1,
              "%s", out);
    /* Still one line at the end of each epoch. */
    CHECK_MSG(lines_with(out, "epoch 1/2  step 10  loss", "test_acc") == 1 &&
                  lines_with(out, "epoch 2/2  step 20  loss", "test_acc") == 1,
              "%s", out);
    /* Full batch: an epoch is a step, so there is no line within one. */
    snprintf(args, sizeof args,
             "train configs/spirals.ini --out %s --set train.epochs=5 --set train.threads=1 "
             "--set data.synth_n=300 --set data.synth_test_n=50 --set 'model.layers=4 tanh, 3' "
             "--set train.snapshot_every=0 --set train.batch=300",
             test_path("train-log-full"));
    CHECK_MSG(run_logged(args, &out) == 0, "%s", out);
    CHECK_MSG(lines_with(out, "epoch ", "so far") == 0 && lines_with(out, "epoch 5/5  step 5  loss", NULL) == 1,
              "%s", out);
}
