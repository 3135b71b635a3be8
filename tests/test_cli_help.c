/* What a newcomer meets first: `saddle --version`, `saddle help CMD`, each
 * command's --help stating its own defaults and only the options it uses,
 * options it has no use for refused rather than ignored, and error messages
 * that say the command's name once. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle)) n++;
    return n;
}

/* A tiny run with trajectory snapshots, trained once for the file. */
static const char *tiny_run(void)
{
    return test_run("small-relu", "--set train.epochs=3 --set data.synth_n=300 --set data.synth_test_n=100 "
                    "--set 'model.layers=8 relu, 3'");
}

TEST(cli_version_and_help_command)
{
    const char *out;
    CHECK_MSG(test_saddle("--version", &out) == 0 && !strncmp(out, "saddle ", 7), "%s", out);
    CHECK_MSG(strlen(out) > 8 && !strstr(out, "unknown"), "no version: %s", out); /* git describe's */
    /* `saddle help CMD` is `saddle CMD --help`, for every command. */
    static const char *const CMDS[] = {"train", "eval", "surface", "interp", "pca", "render",
                                       "hessian", "sharpness", "plot", "study", "compare",
                                       "rescale", "toy", "restarts", "critical", "bench"};
    for (size_t k = 0; k < sizeof CMDS / sizeof *CMDS; k++) {
        char args[64];
        snprintf(args, sizeof args, "help %s", CMDS[k]);
        CHECK_MSG(test_saddle(args, &out) == 0 && strstr(out, "usage: saddle") && strstr(out, CMDS[k]),
                  "help %s: %s", CMDS[k], out);
    }
    CHECK(test_saddle("help pca", &out) == 0 && strstr(out, "usage: saddle pca RUN"));
    CHECK(test_saddle("help nonsense", &out) == 2 && strstr(out, "unknown command 'nonsense'"));
    CHECK(test_saddle("help", &out) == 0 && strstr(out, "saddle help COMMAND"));
}

TEST(cli_help_states_each_commands_own_defaults)
{
    const char *out;
    static const struct { const char *cmd, *limit; } L[] = {
        {"hessian", "(default 2000; 0 = all)"},
        {"sharpness", "(default 2000; 0 = all)"},
        {"rescale", "(default 500; 0 = all)"},
        {"critical", "(default 0 = all)"},
        {"surface", "(default 10000; 0 = all)"},
    };
    for (size_t k = 0; k < sizeof L / sizeof *L; k++) {
        char args[64];
        snprintf(args, sizeof args, "%s --help", L[k].cmd);
        CHECK(test_saddle(args, &out) == 0);
        CHECK_MSG(count(out, "--limit N") == 1 && strstr(out, L[k].limit), "%s: %s", L[k].cmd, out);
        CHECK_MSG(!strcmp(L[k].cmd, "surface") || !strstr(out, "default 10000"), "%s says 10000: %s", L[k].cmd, out);
    }
    CHECK(test_saddle("rescale --help", &out) == 0);
    CHECK_MSG(count(out, "--out") == 2 && count(out, "  --out") == 1, "%s", out); /* usage line + one entry */
    /* Commands that draw no heatmap do not list its options; render reads no data. */
    static const char *const NOPIC[] = {"hessian --help", "sharpness --help", "critical --help",
                                        "rescale --help"};
    for (size_t k = 0; k < sizeof NOPIC / sizeof *NOPIC; k++) {
        CHECK(test_saddle(NOPIC[k], &out) == 0);
        CHECK_MSG(!strstr(out, "--cmap") && !strstr(out, "--levels") && !strstr(out, "--log "),
                  "%s: %s", NOPIC[k], out);
    }
    CHECK(test_saddle("render --help", &out) == 0);
    CHECK_MSG(!strstr(out, "--limit") && !strstr(out, "--data") && !strstr(out, "--seed") &&
              !strstr(out, "--threads") && strstr(out, "--cmap") && strstr(out, "--png"), "%s", out);
}

TEST(cli_unused_options_refused)
{
    const char *run = tiny_run(), *out;
    char args[2048], outdir[512];
    snprintf(outdir, sizeof outdir, "%s", test_path("refused"));
    static const struct { const char *fmt, *msg; } BAD[] = {
        {"hessian %s --cmap viridis --out %s", "--cmap is not an option of hessian"},
        {"hessian %s --log --out %s", "--log is not an option of hessian"},
        {"sharpness %s --levels 5 --out %s", "--levels is not an option of sharpness"},
        {"critical %s --cmap gray --out %s", "--cmap is not an option of critical"},
        {"rescale %s --layer 0 --factor 2 --name x --out %s/x.safetensors", "--name is not an option"},
    };
    for (size_t k = 0; k < sizeof BAD / sizeof *BAD; k++) {
        snprintf(args, sizeof args, BAD[k].fmt, run, outdir);
        CHECK_MSG(test_saddle(args, &out) == 2 && strstr(out, BAD[k].msg), "%s: %s", args, out);
        CHECK_MSG(access(outdir, F_OK) != 0, "%s created %s", args, outdir);
    }
    /* render: data options mean nothing to a saved result. */
    snprintf(args, sizeof args, "interp %s/traj/step-00000000.safetensors %s --grid 5 --limit 50 --out %s",
             run, run, test_path("interp"));
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    static const char *const RBAD[] = {"--limit 5", "--data test", "--seed 3", "--threads 1",
                                       "--name x", "--out /tmp"};
    for (size_t k = 0; k < sizeof RBAD / sizeof *RBAD; k++) {
        snprintf(args, sizeof args, "render %s/interp.json %s --png %s", test_path("interp"), RBAD[k],
                 test_path("r.png"));
        CHECK_MSG(test_saddle(args, &out) == 2 && strstr(out, "is not an option of render"), "%s: %s",
                  args, out);
        CHECK(access(test_path("r.png"), F_OK) != 0);
    }
}

TEST(cli_error_names_the_command_once)
{
    const char *run = tiny_run(), *out;
    char args[1024];
    /* The model has dense layers 0..1: layer 1 has no layer after it. */
    snprintf(args, sizeof args, "rescale %s --layer 1 --factor 2 --out %s", run, test_path("rs.safetensors"));
    CHECK(test_saddle(args, &out) == 1);
    CHECK_MSG(strstr(out, "saddle: rescale: --layer 1") && !strstr(out, "rescale: rescale:"), "%s", out);
    CHECK(access(test_path("rs.safetensors"), F_OK) != 0);
    snprintf(args, sizeof args, "train configs/spirals.ini --set optimizer.lr=-1 --out %s", test_path("never-trained"));
    CHECK(test_saddle(args, &out) == 1);
    CHECK_MSG(strstr(out, "saddle: --set optimizer.lr=-1: ") && !strstr(out, "--set: --set"), "[%s]", out);
}

TEST(cli_toy_writes_under_runs_by_default)
{
    /* From a fresh directory, as a newcomer runs it: results land in
     * runs/toy/, not in a new top-level toy/. */
    char bin[PATH_MAX], cwd[PATH_MAX], dir[512];
    const char *b = getenv("SADDLE_BIN");
    char *saved = b && *b ? strdup(b) : NULL;
    CHECK(realpath(saved ? saved : "bin/saddle", bin) != NULL);
    CHECK(getcwd(cwd, sizeof cwd) != NULL);
    snprintf(dir, sizeof dir, "%sfresh", test_tmpdir());
    CHECK(mkdir(dir, 0755) == 0);
    setenv("SADDLE_BIN", bin, 1);
    CHECK(chdir(dir) == 0);
    const char *out;
    int rc = test_saddle("toy --surface bowl --starts 2 --steps 10", &out);
    int in_runs = access("runs/toy/bowl.png", F_OK) == 0 && access("runs/toy/bowl.json", F_OK) == 0;
    int at_top = access("toy", F_OK) == 0;
    CHECK(chdir(cwd) == 0);
    if (saved) setenv("SADDLE_BIN", saved, 1);
    else unsetenv("SADDLE_BIN");
    free(saved);
    CHECK_MSG(rc == 0, "%s", out);
    CHECK_MSG(in_runs && !at_top, "runs/toy: %d, ./toy: %d", in_runs, at_top);
}

TEST(cli_bad_late_option_fails_before_any_work)
{
    const char *run = tiny_run(), *out;
    char args[2048], outdir[512];
    snprintf(outdir, sizeof outdir, "%s", test_path("late"));
    /* Each bad value comes last on the line and would once have been met
     * only after the computation, leaving results without their picture. */
    static const struct { const char *fmt, *msg; } BAD[] = {
        {"surface %s --grid 5x5 --limit 50 --out %s --cmap jet", "unknown colormap 'jet'"},
        {"pca %s --grid 5x5 --limit 50 --out %s --cmap jet", "unknown colormap 'jet'"},
        {"interp %s/traj/step-00000000.safetensors %s --grid 5 --limit 50 --out %s --cmap jet",
         "unknown colormap 'jet'"},
        {"pca %s --grid 5x5 --limit 50 --out %s --act swish", "unknown activation 'swish'"},
        {"compare %s --out %s --limit lots", "--limit wants a count"},
        {"compare %s --out %s --limit -3", "--limit wants a count"},
        {"rescale %s --layer 0 --factor 2 --out %s/x.safetensors", "no directory"},
    };
    for (size_t k = 0; k < sizeof BAD / sizeof *BAD; k++) {
        if (strstr(BAD[k].fmt, "interp")) snprintf(args, sizeof args, BAD[k].fmt, run, run, outdir);
        else snprintf(args, sizeof args, BAD[k].fmt, run, outdir);
        CHECK_MSG(test_saddle(args, &out) == 2 && strstr(out, BAD[k].msg), "%s: %s", args, out);
        CHECK_MSG(access(outdir, F_OK) != 0, "%s created %s", args, outdir);
    }
    snprintf(args, sizeof args, "interp %s/traj/step-00000000.safetensors %s --grid 5 --limit 50 --out %s",
             run, run, outdir);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    snprintf(args, sizeof args, "render %s/interp.json --png %s/again.png --cmap jet", outdir, outdir);
    CHECK_MSG(test_saddle(args, &out) == 2 && strstr(out, "unknown colormap"), "%s", out);
    CHECK(access(test_join(outdir, "again.png"), F_OK) != 0);
}
