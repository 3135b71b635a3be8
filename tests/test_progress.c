/* Long commands show progress: a line every SADDLE_PROGRESS_SECONDS (10 by
 * default) off a terminal. With the interval at 0 every update prints, so
 * a tiny run shows each command's progress lines without any timing. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"

static const char *relu_run(void)
{
    return test_run("small-relu", "--set train.epochs=3 --set data.synth_n=300 --set data.synth_test_n=100 "
                    "--set 'model.layers=8 relu, 3'");
}

/* Runs args with progress lines at every update; 1 when the output holds
 * a line starting with `line` and showing the finished count `end`. */
static int shows_progress(const char *args, const char *line, const char *end, const char **out)
{
    setenv("SADDLE_PROGRESS_SECONDS", "0", 1);
    int rc = test_saddle(args, out);
    unsetenv("SADDLE_PROGRESS_SECONDS");
    CHECK_MSG(rc == 0, "%s: %s", args, *out);
    const char *last = strstr(*out, line);
    if (!last) return 0;
    /* The last progress line of that kind is the finished one. */
    for (const char *q = last; (q = strstr(q + 1, line));) last = q;
    const char *eol = strchr(last, '\n'), *e = strstr(last, end);
    return eol && e && e < eol;
}

TEST(progress_pca_interp_rescale)
{
    const char *run = relu_run(), *out;
    char args[2048];
    snprintf(args, sizeof args, "pca %s --grid 7x5 --limit 100 --out %s", run, test_path("pca"));
    /* 35 points and 4 snapshots (steps 0, 1, 2 epochs and the end). */
    CHECK_MSG(shows_progress(args, "pca: plane 7x5 and 4 snapshots", "39/39 (100%)", &out), "%s", out);
    snprintf(args, sizeof args, "interp %s/traj/step-00000000.safetensors %s --grid 9 --limit 100 --out %s",
             run, run, test_path("interp"));
    CHECK_MSG(shows_progress(args, "interp: line, 100 examples", "9/9 (100%)", &out), "%s", out);
    snprintf(args, sizeof args, "rescale %s --layer 0 --factor 3 --limit 100 --out %s", run,
             test_path("rescaled.safetensors"));
    CHECK_MSG(shows_progress(args, "rescale: average-case sharpness", "4/4 (100%)", &out), "%s", out);
    /* Off a terminal and within the default interval: silent. */
    CHECK(test_saddle(args, &out) == 0);
    CHECK_MSG(!strstr(out, "rescale: average-case sharpness"), "%s", out);
}

TEST(progress_restarts_and_toy)
{
    const char *out;
    char args[2048];
    snprintf(args, sizeof args,
             "restarts configs/spirals.ini --seeds 2 --grid 5 --limit 100 --threads 1 --out %s "
             "--set train.epochs=1 --set data.synth_n=200 --set data.synth_test_n=50 "
             "--set 'model.layers=4 tanh, 3' --set train.snapshot_every=0",
             test_path("restarts"));
    /* 2 seeds' own losses and one pair's 5 points. */
    CHECK_MSG(shows_progress(args, "restarts: barriers, 100 examples", "7/7 (100%)", &out), "%s", out);
    snprintf(args, sizeof args, "toy --surface bowl --opt sgd,adam --starts 3 --steps 20 --out %s",
             test_path("toy"));
    CHECK_MSG(shows_progress(args, "toy: 6 paths of 20 steps", "6/6 (100%)", &out), "%s", out);
}
