/* Probe outputs end to end: an interrupted surface resumes from its saved
 * points and ends as an uninterrupted one, partial files that do not fit
 * are refused rather than read, results of other options are never
 * replaced, a snapshot's results stay out of the final model's, one writer
 * per directory, and options are checked before any work. */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../datasets/fileio.h"
#include "../nn/nn.h"
#include "../probes/directions.h"
#include "../probes/npy.h"
#include "test.h"

static const char *fixture_run(void)
{
    return test_run("probe-out-run", "--set train.epochs=2");
}

/* The "points_done" of a sidecar that says it is incomplete, else -1. */
static long points_done(const char *json)
{
    size_t len;
    uint8_t *t = test_read_file(json, &len);
    if (!t) return -1;
    long n = -1;
    const char *p = strstr((char *)t, "\"points_done\":");
    if (p && strstr((char *)t, "\"complete\":\tfalse")) n = atol(p + 14);
    free(t);
    return n;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int npy_shape_ok(const char *path, size_t ny, size_t nx)
{
    double *z = NULL;
    int nd;
    size_t sh[NPY_MAX_DIMS];
    int ok = npy_read_f64(path, &z, &nd, sh) == NN_OK && nd == 2 && sh[0] == ny && sh[1] == nx;
    free(z);
    return ok;
}

TEST(probe_surface_killed_resumes_byte_identical)
{
    const char *run = fixture_run(), *out;
    char whole[512], cut[512], args[2048], json[600], log[600];
    snprintf(whole, sizeof whole, "%s", test_path("resume-whole"));
    snprintf(cut, sizeof cut, "%s", test_path("resume-cut"));
    const char *common = "--grid 41x41 --limit 200 --threads 1";
    snprintf(args, sizeof args, "surface %s %s --out %s", run, common, whole);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);

    /* A save after every block, killed once several saves are on disk: the
     * files a user finds after a crash. */
    snprintf(args, sizeof args, "surface %s %s --out %s --save-every 0", run, common, cut);
    snprintf(json, sizeof json, "%s/surface.json", cut);
    snprintf(log, sizeof log, "%s", test_path("resume-cut.log"));
    pid_t pid = test_saddle_spawn(args, log);
    CHECK(pid > 0);
    long done = -1;
    for (int k = 0; k < 20000 && pid > 0; k++) {
        done = points_done(json);
        if (done >= 4 * (41 * 41 / 16 + 1)) break;
        if (waitpid(pid, NULL, WNOHANG) == pid) {
            pid = 0;
            break;
        }
        sleep_ms(1);
    }
    CHECK_MSG(pid > 0, "the surface ended before it could be killed");
    if (pid > 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    CHECK_MSG(done > 0 && done < 41 * 41, "killed at %ld points", done);
    /* What is on disk is what it claims to be: the accuracy is an array. */
    char p[700];
    snprintf(p, sizeof p, "%s/surface_acc.npy", cut);
    CHECK_MSG(npy_shape_ok(p, 41, 41), "%s is not the 41x41 partial accuracy", p);

    snprintf(args, sizeof args, "surface %s %s --out %s", run, common, cut);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    const char *r = strstr(out, "resuming");
    CHECK_MSG(r && strstr(r, "points done") && atol(strstr(r, ": ") + 2) >= done, "%s", out);
    static const char *const files[] = {"surface.npy", "surface_acc.npy", "surface_done.npy"};
    for (int f = 0; f < 3; f++) {
        char a[700], b[700];
        snprintf(a, sizeof a, "%s/%s", whole, files[f]);
        snprintf(b, sizeof b, "%s/%s", cut, files[f]);
        CHECK_MSG(test_same_file(a, b), "%s differs from the uninterrupted run's", files[f]);
    }
}

/* Rewrites a sidecar as an interrupted run leaves it ("complete": false). */
static void mark_incomplete(const char *json)
{
    size_t len;
    uint8_t *t = test_read_file(json, &len);
    CHECK(t != NULL);
    if (!t) return;
    const char *key = "\"complete\":\ttrue";
    char *c = strstr((char *)t, key);
    CHECK(c != NULL);
    char *s = malloc(len + 16);
    if (c && s) {
        int k = snprintf(s, len + 16, "%.*s\"complete\":\tfalse%s", (int)(c - (char *)t),
                         (char *)t, c + strlen(key));
        test_write_file(json, s, (size_t)k);
    }
    free(s);
    free(t);
}

TEST(probe_surface_partial_files_are_checked)
{
    const char *run = fixture_run(), *out;
    char dir[512], ref[512], args[2048], p[700];
    snprintf(dir, sizeof dir, "%s", test_path("partial"));
    snprintf(ref, sizeof ref, "%s", test_path("partial-ref"));
    const char *common = "--grid 9x7 --limit 100 --threads 1";
    snprintf(args, sizeof args, "surface %s %s --out %s", run, common, ref);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    size_t three[3] = {7, 9, 2}, small[2] = {3, 3}, zero[2] = {0, 9}, grid[2] = {7, 9};
    double vals[7 * 9 * 2];
    uint8_t two[7 * 9];
    for (int i = 0; i < 7 * 9 * 2; i++) vals[i] = 0.5;
    for (int i = 0; i < 7 * 9; i++) two[i] = i < 20 ? 1 : 2;
    struct { const char *file; int kind; const char *why; } bad[] = {
        {"surface_acc.npy", 0, "shape 7x9x2"},   /* 3-D, more values than the grid */
        {"surface_acc.npy", 1, "shape 3x3"},     /* fewer values: read past the end before */
        {"surface.npy", 2, "shape 0x9"},         /* empty */
        {"surface_done.npy", 3, "0 or 1"},       /* garbage completion map */
        {"surface_acc.npy", 4, "float64"},       /* right shape, wrong type */
    };
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        snprintf(args, sizeof args, "surface %s %s --out %s", run, common, dir);
        CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
        snprintf(p, sizeof p, "%s/surface.json", dir);
        mark_incomplete(p);
        snprintf(p, sizeof p, "%s/%s", dir, bad[k].file);
        if (bad[k].kind == 0) CHECK_OK(npy_write_f64(p, vals, 3, three));
        else if (bad[k].kind == 1) CHECK_OK(npy_write_f64(p, vals, 2, small));
        else if (bad[k].kind == 2) CHECK_OK(npy_write_f64(p, vals, 2, zero));
        else if (bad[k].kind == 3) CHECK_OK(npy_write_u8(p, two, 2, grid));
        else CHECK_OK(npy_write_u8(p, two, 2, grid));
        CHECK_MSG(test_saddle(args, &out) == 0 && strstr(out, bad[k].why) &&
                      strstr(out, "starting over"),
                  "%s: %s", bad[k].file, out);
        static const char *const files[] = {"surface.npy", "surface_acc.npy", "surface_done.npy"};
        for (int f = 0; f < 3; f++) {
            char a[700], b[700];
            snprintf(a, sizeof a, "%s/%s", ref, files[f]);
            snprintf(b, sizeof b, "%s/%s", dir, files[f]);
            CHECK_MSG(test_same_file(a, b), "%s after a bad %s", files[f], bad[k].file);
        }
    }
}

static int grid_of(const char *dir, const char *file, size_t ny, size_t nx)
{
    char p[700];
    snprintf(p, sizeof p, "%s/%s", dir, file);
    return npy_shape_ok(p, ny, nx);
}

TEST(probe_other_options_never_replace_a_result)
{
    const char *run = fixture_run(), *out;
    char dir[512], args[2048], p[700];
    snprintf(dir, sizeof dir, "%s", test_path("collide"));
    snprintf(args, sizeof args, "surface %s --grid 5x5 --limit 50 --out %s", run, dir);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    /* The curvature map of the same plane has a name of its own. */
    snprintf(args, sizeof args, "surface %s --curvature --grid 3x3 --limit 30 --out %s", run, dir);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    CHECK(grid_of(dir, "surface.npy", 5, 5));
    CHECK(grid_of(dir, "surface-curvature.npy", 3, 3));
    /* Another grid: a new name, said, and the first result untouched. */
    snprintf(args, sizeof args, "surface %s --grid 3x3 --limit 50 --out %s", run, dir);
    CHECK_MSG(test_saddle(args, &out) == 0 && strstr(out, "surface-2") && strstr(out, "--overwrite"),
              "%s", out);
    CHECK(grid_of(dir, "surface.npy", 5, 5));
    CHECK(grid_of(dir, "surface-2.npy", 3, 3));
    /* The same options again find their own result, not a third name. */
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    snprintf(p, sizeof p, "%s/surface-3.json", dir);
    CHECK_MSG(!test_exists(p), "%s", out);
    /* Another checkpoint is another result too. */
    snprintf(args, sizeof args, "surface %s/traj/step-00000000.safetensors --grid 5x5 --limit 50 --out %s",
             run, dir);
    CHECK_MSG(test_saddle(args, &out) == 0 && strstr(out, "another checkpoint"), "%s", out);
    CHECK(grid_of(dir, "surface.npy", 5, 5));
    snprintf(p, sizeof p, "%s/surface-3.json", dir);
    CHECK(test_exists(p));
    /* A name asked for is refused, not replaced, unless --overwrite. */
    snprintf(args, sizeof args, "surface %s --grid 3x3 --limit 50 --out %s --name surface", run, dir);
    CHECK_MSG(test_saddle(args, &out) == 1 && strstr(out, "--overwrite") && strstr(out, "--grid 5x5"),
              "%s", out);
    CHECK(grid_of(dir, "surface.npy", 5, 5));
    snprintf(args, sizeof args, "surface %s --grid 3x3 --limit 50 --out %s --name surface --overwrite",
             run, dir);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    CHECK(grid_of(dir, "surface.npy", 3, 3));
    /* Other data is another result. */
    snprintf(args, sizeof args, "hessian %s --top 1 --limit 50 --out %s", run, dir);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    snprintf(args, sizeof args, "hessian %s --top 1 --limit 60 --out %s", run, dir);
    CHECK_MSG(test_saddle(args, &out) == 0 && strstr(out, "hessian-2"), "%s", out);
}

TEST(probe_render_keeps_the_probe_picture)
{
    const char *run = fixture_run(), *out;
    char dir[512], args[2048], png[700], keep[700], re[700];
    snprintf(dir, sizeof dir, "%s", test_path("redraw"));
    snprintf(args, sizeof args, "surface %s --grid 5x5 --limit 50 --out %s", run, dir);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    snprintf(png, sizeof png, "%s/surface.png", dir);
    snprintf(keep, sizeof keep, "%s", test_path("redraw-keep.png"));
    size_t len;
    uint8_t *b = test_read_file(png, &len);
    CHECK(b && test_write_file(keep, b, len) == 0);
    free(b);
    snprintf(args, sizeof args, "render %s/surface.json --log --cmap gray", dir);
    CHECK_MSG(test_saddle(args, &out) == 0 && strstr(out, "surface-render.png"), "%s", out);
    CHECK(test_same_file(png, keep));
    snprintf(re, sizeof re, "%s/surface-render.png", dir);
    CHECK(test_exists(re) && !test_same_file(re, keep));
    snprintf(args, sizeof args, "render %s/surface.json --log --cmap gray --overwrite", dir);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    CHECK(!test_same_file(png, keep));
}

TEST(probe_snapshot_writes_beside_its_own_identity)
{
    const char *run = fixture_run(), *out;
    char args[2048], p[700];
    snprintf(args, sizeof args, "surface %s/traj/step-00000000.safetensors --grid 3x3 --limit 50", run);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    snprintf(p, sizeof p, "%s/probes/step-00000000/surface.json", run);
    CHECK_MSG(test_exists(p), "%s", out);
    snprintf(p, sizeof p, "%s/probes/surface.json", run);
    CHECK_MSG(!test_exists(p), "a snapshot's surface went into the final model's probes/");
    snprintf(args, sizeof args, "hessian %s/last.safetensors --top 1 --limit 50", run);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    snprintf(p, sizeof p, "%s/probes/last/hessian.json", run);
    CHECK_MSG(test_exists(p), "%s", out);
}

TEST(probe_output_locked_and_stale_temporaries_removed)
{
    const char *run = fixture_run(), *out;
    char dir[512], args[2048], stale[700];
    snprintf(dir, sizeof dir, "%s", test_path("locked"));
    CHECK_OK(file_mkdirs(dir));
    file_lock l;
    CHECK_OK(file_lock_dir(&l, dir, "test"));
    snprintf(args, sizeof args, "surface %s --grid 3x3 --limit 50 --out %s", run, dir);
    char pid[32];
    snprintf(pid, sizeof pid, "pid %ld", (long)getpid());
    CHECK_MSG(test_saddle(args, &out) == 1 && strstr(out, pid), "%s", out);
    char p[700];
    snprintf(p, sizeof p, "%s/surface.json", dir);
    CHECK(!test_exists(p));
    file_unlock(&l);
    /* A killed writer's temporary is removed when the directory is next opened. */
    pid_t child = fork();
    if (child == 0) _exit(0);
    waitpid(child, NULL, 0);
    snprintf(stale, sizeof stale, "%s/surface.npy.tmp.%ld", dir, (long)child);
    CHECK(test_write_file(stale, "x", 1) == 0);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    CHECK(!test_exists(stale));
}

TEST(probe_options_checked_before_any_work)
{
    const char *run = fixture_run(), *out;
    char dir[512], args[2048];
    snprintf(dir, sizeof dir, "%s", test_path("never-made"));
    const char *bad[][2] = {
        {"--cmap jet", "--cmap"},
        {"--range -1e308:1e308", "overflows"},
        {"--grid 5x5 --range -1:1,-1e308:1e308", "overflows"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        snprintf(args, sizeof args, "surface %s --limit 50 %s --out %s", run, bad[k][0], dir);
        CHECK_MSG(test_saddle(args, &out) != 0 && strstr(out, bad[k][1]), "%s: %s", bad[k][0], out);
        CHECK_MSG(!test_exists(dir), "%s created the output", bad[k][0]);
    }
    snprintf(args, sizeof args, "hessian %s --limit 50 --cmap jet --out %s", run, dir);
    CHECK_MSG(test_saddle(args, &out) == 2 && strstr(out, "--cmap"), "%s", out);
    /* Directions whose corners overflow a float are refused with the file's name. */
    size_t n = 4547;
    float *d = malloc(n * sizeof *d);
    for (size_t i = 0; i < n; i++) d[i] = 3e38f;
    const float *dd[2] = {d, d};
    char dirs[600];
    snprintf(dirs, sizeof dirs, "%s", test_path("huge-dirs.safetensors"));
    CHECK_OK(dir_save(dirs, dd, 2, n, NULL, NULL, 0));
    snprintf(args, sizeof args, "surface %s --grid 3x3 --limit 50 --dirs %s --out %s", run, dirs, dir);
    CHECK_MSG(test_saddle(args, &out) == 1 && strstr(out, "huge-dirs") && strstr(out, "non-finite"),
              "%s", out);
    CHECK(!test_exists(dir));
    /* Finite corners whose loss is NaN: the grid minimum is a real cell. */
    for (size_t i = 0; i < n; i++) d[i] = 1e20f;
    CHECK_OK(dir_save(dirs, dd, 2, n, NULL, NULL, 0));
    snprintf(args, sizeof args, "surface %s --grid 3x3 --range -1e17:1e17 --limit 50 --dirs %s --out %s",
             run, dirs, test_path("nan-cells"));
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    const char *m = strstr(out, "grid minimum ");
    CHECK_MSG(m && isfinite(atof(m + 13)), "%s", out);
    free(d);
}

static double num_after(const char *s, const char *key)
{
    const char *p = s ? strstr(s, key) : NULL;
    return p ? atof(p + strlen(key)) : NAN;
}

TEST(eval_takes_a_run_and_its_examples)
{
    const char *out;
    char run[512], args[2048];
    snprintf(run, sizeof run, "%s", test_path("eval-run"));
    snprintf(args, sizeof args,
             "train configs/spirals.ini --out %s --set train.epochs=1 --set train.threads=1 "
             "--set data.test_limit=150", run);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    char summary[700];
    snprintf(summary, sizeof summary, "%s/summary.json", run);
    size_t len;
    uint8_t *js = test_read_file(summary, &len);
    double want = num_after((const char *)js, "\"test_acc\":");
    free(js);
    snprintf(args, sizeof args, "eval %s", run);
    CHECK_MSG(test_saddle(args, &out) == 0 && strstr(out, "first 150 of 600 test examples"), "%s", out);
    CHECK_MSG(fabs(num_after(out, "acc ") - want) < 1e-4, "eval %s, summary %.6f", out, want);
    snprintf(args, sizeof args, "eval %s/final.safetensors", run);
    CHECK_MSG(test_saddle(args, &out) == 0 && fabs(num_after(out, "acc ") - want) < 1e-4, "%s", out);
    /* Told otherwise, it says so. */
    snprintf(args, sizeof args, "eval %s/final.safetensors --limit 0", run);
    CHECK_MSG(test_saddle(args, &out) == 0 && strstr(out, "all 600 test examples"), "%s", out);
}

TEST(probe_hessian_directions_say_their_examples)
{
    const char *run = fixture_run(), *out;
    char args[2048], p[700];
    snprintf(args, sizeof args, "surface %s --dirs hessian --grid 3x3 --range -0.1:0.1 --limit 80 --out %s",
             run, test_path("hdirs"));
    CHECK_MSG(test_saddle(args, &out) == 0 && strstr(out, "lambda_max") &&
                  strstr(out, "on 80 train examples"),
              "%s", out);
    snprintf(p, sizeof p, "%s/surface.json", test_path("hdirs"));
    size_t len;
    uint8_t *js = test_read_file(p, &len);
    CHECK_MSG(js && num_after((char *)js, "\"example_count\":") == 80, "%s", js ? (char *)js : "");
    free(js);
}

TEST(probe_surface_on_an_inf_checkpoint_says_where)
{
    const char *run = fixture_run(), *out;
    char src[700], bad[700], args[2048];
    snprintf(src, sizeof src, "%s/final.safetensors", run);
    snprintf(bad, sizeof bad, "%s", test_path("inf.safetensors"));
    model m;
    ckpt_info info = {0};
    CHECK_OK(ckpt_load(src, &m, -1, 0, &info, NULL, NULL, 0));
    m.theta[7] = INFINITY;
    CHECK_OK(ckpt_save(bad, &m, m.theta, &info, NULL, NULL, 0));
    ckpt_info_free(&info);
    model_free(&m);
    snprintf(args, sizeof args, "surface %s --grid 3x3 --limit 20 --out %s", bad, test_path("inf-out"));
    CHECK_MSG(test_saddle(args, &out) == 1 && strstr(out, "inf.safetensors") &&
                  (strstr(out, "Inf") || strstr(out, "inf")) && !strstr(out, "invalid argument"),
              "%s", out);
}

TEST(probe_surface_logs_progress_off_a_terminal)
{
    const char *run = fixture_run(), *out;
    char args[2048];
    snprintf(args, sizeof args, "surface %s --grid 21x21 --limit 30 --out %s", run, test_path("log"));
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    const char *first = strstr(out, "surface: "), *last = strstr(out, "441/441 points (100%)");
    CHECK_MSG(first && last && first < last && strchr(first, '\n') < last, "%s", out);
}

TEST(probe_a_changed_directions_file_is_another_result)
{
    const char *run = fixture_run(), *out;
    char dir[512], dirs[600], args[2048];
    snprintf(dir, sizeof dir, "%s", test_path("dirs-change"));
    snprintf(dirs, sizeof dirs, "%s", test_path("dirs-change.safetensors"));
    for (int seed = 1; seed <= 2; seed++) {
        snprintf(args, sizeof args, "surface %s --grid 3x3 --limit 20 --seed %d --save-dirs %s --out %s-%d",
                 run, seed, dirs, dir, seed);
        CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
        snprintf(args, sizeof args, "surface %s --grid 3x3 --limit 20 --dirs %s --out %s", run, dirs, dir);
        CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
        CHECK_MSG(seed == 1 || strstr(out, "surface-2"), "%s", out);
    }
}

/* --overwrite replaces a result whole: none of the old result's files (a
 * curvature map the new options do not make) stays beside the new one, and
 * a result whose name merely starts with the same word is not touched. */
TEST(probe_overwrite_leaves_nothing_of_the_old_result)
{
    const char *run = fixture_run(), *out;
    char dir[512], args[2048], p[700];
    snprintf(dir, sizeof dir, "%s", test_path("overwrite-whole"));
    snprintf(args, sizeof args, "surface %s --curvature --grid 3x3 --limit 30 --out %s --name s", run, dir);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    snprintf(args, sizeof args, "surface %s --grid 3x3 --limit 30 --out %s --name s_lr", run, dir);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    snprintf(p, sizeof p, "%s/s_lmax.npy", dir);
    CHECK(test_exists(p));
    snprintf(args, sizeof args, "surface %s --grid 5x5 --limit 30 --out %s --name s --overwrite", run, dir);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    CHECK(grid_of(dir, "s.npy", 5, 5));
    static const char *const gone[] = {"s_lmax.npy", "s_lmin.npy", "s_ratio.npy", "s_curvature.png",
                                       "s_convex.png"};
    for (size_t k = 0; k < sizeof gone / sizeof *gone; k++) {
        snprintf(p, sizeof p, "%s/%s", dir, gone[k]);
        CHECK_MSG(!test_exists(p), "%s survived --overwrite", gone[k]);
    }
    CHECK(grid_of(dir, "s_lr.npy", 3, 3));
    snprintf(p, sizeof p, "%s/s_lr_acc.npy", dir);
    CHECK(test_exists(p));
}

/* The same surface asked for again finds it complete: it is neither
 * recomputed nor rewritten (its sidecar keeps the time the computation
 * took), and --overwrite computes it anew. */
TEST(probe_complete_surface_is_kept_not_recomputed)
{
    const char *run = fixture_run(), *out;
    char dir[512], args[2048], json[700];
    snprintf(dir, sizeof dir, "%s", test_path("kept"));
    snprintf(json, sizeof json, "%s/surface.json", dir);
    snprintf(args, sizeof args, "surface %s --grid 7x7 --limit 50 --out %s", run, dir);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    size_t len1, len2;
    uint8_t *before = test_read_file(json, &len1);
    CHECK_MSG(test_saddle(args, &out) == 0 && strstr(out, "nothing recomputed"), "%s", out);
    uint8_t *after = test_read_file(json, &len2);
    CHECK(before && after && len1 == len2 && !memcmp(before, after, len1));
    free(before);
    free(after);
    char more[2100];
    snprintf(more, sizeof more, "%s --overwrite", args);
    CHECK_MSG(test_saddle(more, &out) == 0 && !strstr(out, "nothing recomputed") &&
                  strstr(out, "7 x 7 points in"),
              "%s", out);
}
