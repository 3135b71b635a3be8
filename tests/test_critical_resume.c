/* An interrupted `saddle critical` resumes: killed after some starts are
 * saved, a rerun with the same options searches only from the rest and ends
 * with the table, sidecar and end points of an uninterrupted run. Saved
 * starts that do not fit are not trusted: the rerun says so and starts
 * over. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "../probes/npy.h"
#include "test.h"

static cJSON *read_json(const char *path)
{
    size_t len;
    uint8_t *t = test_read_file(path, &len);
    cJSON *j = t ? cJSON_ParseWithLength((const char *)t, len) : NULL;
    free(t);
    return j;
}

/* Saved starts of a sidecar that says it is incomplete, else -1. */
static int starts_saved(const char *json)
{
    cJSON *j = read_json(json);
    int n = -1;
    if (j && cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(j, "complete")))
        n = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "points"));
    cJSON_Delete(j);
    return n;
}

/* The sidecar without its timings. */
static cJSON *untimed(const char *json)
{
    cJSON *j = read_json(json);
    if (!j) return NULL;
    cJSON_DeleteItemFromObject(j, "seconds");
    cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(j, "points"))
        cJSON_DeleteItemFromObject(e, "seconds");
    return j;
}

/* The table and summary a run printed: its output less progress, messages
 * and the closing line that names the files. */
static char *table(const char *out, const char *dir)
{
    char *t = malloc(strlen(out) + 1);
    if (!t) return NULL;
    size_t k = 0;
    for (const char *l = out; *l;) {
        const char *e = strchr(l, '\n');
        size_t len = e ? (size_t)(e - l) + 1 : strlen(l);
        char line[1024];
        snprintf(line, sizeof line, "%.*s", (int)(len < sizeof line ? len : sizeof line - 1), l);
        if (!strstr(line, "  start ") && !strstr(line, "saddle critical:") && !strstr(line, dir)) {
            memcpy(t + k, l, len);
            k += len;
        }
        l += len;
    }
    t[k] = 0;
    return t;
}

static void same_results(const char *whole, const char *cut, int starts)
{
    char a[700], b[700];
    snprintf(a, sizeof a, "%s/critical_points.npy", whole);
    snprintf(b, sizeof b, "%s/critical_points.npy", cut);
    CHECK_MSG(test_same_file(a, b), "the end points differ from the uninterrupted run's");
    for (int k = 1; k <= starts; k++) {
        snprintf(a, sizeof a, "%s/critical/point-%02d.safetensors", whole, k);
        snprintf(b, sizeof b, "%s/critical/point-%02d.safetensors", cut, k);
        CHECK_MSG(test_same_file(a, b), "point %d differs", k);
    }
    snprintf(a, sizeof a, "%s/critical.json", whole);
    snprintf(b, sizeof b, "%s/critical.json", cut);
    cJSON *A = untimed(a), *B = untimed(b);
    CHECK_MSG(A && B && cJSON_Compare(A, B, 1), "critical.json differs beyond its timings");
    CHECK(B && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(B, "complete")));
    cJSON_Delete(A);
    cJSON_Delete(B);
}

static const char *train_run(const char *name, int hidden)
{
    static char run[512];
    char args[2048];
    const char *out;
    snprintf(run, sizeof run, "%s", test_path(name));
    snprintf(args, sizeof args,
             "train configs/spirals.ini --set 'model.layers=%d tanh, 3' --set train.epochs=3 "
             "--set data.synth_n=150 --set data.synth_test_n=50 --set train.snapshot_every=1 "
             "--set train.threads=1 --out %s", hidden, run);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    return run;
}

TEST(critical_killed_resumes_with_the_same_results)
{
    char run[512], whole[600], cut[600], args[2048], json[700], log[700];
    snprintf(run, sizeof run, "%s", train_run("crit-resume-run", 16));
    snprintf(whole, sizeof whole, "%s", test_path("crit-resume-whole"));
    snprintf(cut, sizeof cut, "%s", test_path("crit-resume-cut"));
    const char *common = "--starts 4 --random 1 --max-iter 200 --threads 1";
    const char *out;
    snprintf(args, sizeof args, "critical %s %s --out %s", run, common, whole);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    char *t_whole = table(out, whole);

    snprintf(args, sizeof args, "critical %s %s --out %s", run, common, cut);
    snprintf(json, sizeof json, "%s/critical.json", cut);
    snprintf(log, sizeof log, "%s", test_path("crit-resume-cut.log"));
    pid_t pid = test_saddle_spawn(args, log);
    CHECK(pid > 0);
    int saved = -1;
    for (int k = 0; k < 20000 && pid > 0; k++) {
        if ((saved = starts_saved(json)) >= 1) break;
        if (waitpid(pid, NULL, WNOHANG) == pid) {
            pid = 0;
            break;
        }
        struct timespec ts = {0, 1000000L};
        nanosleep(&ts, NULL);
    }
    CHECK_MSG(pid > 0, "critical ended before it could be killed");
    if (pid > 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    saved = starts_saved(json);
    CHECK_MSG(saved >= 1 && saved < 4, "killed with %d starts saved", saved);

    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    const char *r = strstr(out, "resuming");
    CHECK_MSG(r && atoi(strstr(r, ": ") + 2) >= saved && strstr(r, "of 4 starts done"), "%s", out);
    /* The finished starts are not searched again. */
    CHECK_MSG(!strstr(out, "start 1/4"), "%s", out);
    char *t_cut = table(out, cut);
    CHECK_MSG(t_whole && t_cut && !strcmp(t_whole, t_cut), "tables differ:\n%s\n---\n%s",
              t_whole ? t_whole : "", t_cut ? t_cut : "");
    free(t_whole);
    free(t_cut);
    same_results(whole, cut, 4);
}

/* Copies the finished run in `whole` to `cut` as if it had been killed
 * after two of its three starts. */
static void make_partial(const char *whole, const char *cut)
{
    char cmd[2000], p[700];
    snprintf(cmd, sizeof cmd, "rm -rf %s && cp -r %s %s", cut, whole, cut);
    CHECK(system(cmd) == 0);
    snprintf(p, sizeof p, "%s/critical.json", cut);
    cJSON *j = read_json(p);
    CHECK(j != NULL);
    if (!j) return;
    static const char *const summary[] = {"spearman", "by_budget", "title", "plot_threshold",
                                          "seconds", "complete"};
    for (int i = 0; i < 6; i++) cJSON_DeleteItemFromObject(j, summary[i]);
    cJSON_AddBoolToObject(j, "complete", 0);
    cJSON_DeleteItemFromArray(cJSON_GetObjectItemCaseSensitive(j, "points"), 2);
    char *s = cJSON_Print(j);
    CHECK(s && test_write_file(p, s, strlen(s)) == 0);
    free(s);
    cJSON_Delete(j);
    snprintf(p, sizeof p, "%s/critical_points.npy", cut);
    double *z = NULL;
    int nd;
    size_t sh[NPY_MAX_DIMS];
    CHECK_OK(npy_read_f64(p, &z, &nd, sh));
    sh[0] = 2;
    if (z) CHECK_OK(npy_write_f64(p, z, 2, sh));
    free(z);
    snprintf(p, sizeof p, "%s/critical/point-03.safetensors", cut);
    remove(p);
}

/* Replaces the first occurrence of `from` in the file by `to`. */
static void edit(const char *path, const char *from, const char *to)
{
    size_t len;
    char *t = (char *)test_read_file(path, &len);
    char *c = t ? strstr(t, from) : NULL;
    CHECK_MSG(c != NULL, "no '%s' in %s", from, path);
    if (!c) {
        free(t);
        return;
    }
    size_t cap = len + strlen(to) + 1;
    char *s = malloc(cap);
    int k = snprintf(s, cap, "%.*s%s%s", (int)(c - t), t, to, c + strlen(from));
    test_write_file(path, s, (size_t)k);
    free(s);
    free(t);
}

/* Partial files that do not fit (a non-finite or missing number, a table of
 * end points of another shape, a point file that is not the end point) are
 * never used: the rerun says why, starts over, and still ends as an
 * uninterrupted run. A partial state that fits is resumed. */
TEST(critical_resume_refuses_saved_starts_that_do_not_fit)
{
    char run[512], whole[600], cut[600], args[2048], p[700];
    snprintf(run, sizeof run, "%s", train_run("crit-resume-bad-run", 8));
    snprintf(whole, sizeof whole, "%s", test_path("crit-resume-bad-whole"));
    snprintf(cut, sizeof cut, "%s", test_path("crit-resume-bad-cut"));
    const char *common = "--starts 3 --random 1 --max-iter 40 --threads 1";
    const char *out;
    snprintf(args, sizeof args, "critical %s %s --out %s", run, common, whole);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    snprintf(args, sizeof args, "critical %s %s --out %s", run, common, cut);

    for (int c = 0; c < 5; c++) {
        make_partial(whole, cut);
        const char *want = "starting over";
        if (c == 0) {
            want = "resuming";
        } else if (c == 1) {
            snprintf(p, sizeof p, "%s/critical.json", cut);
            edit(p, "\"loss\":", "\"loss\": \"NaN\", \"was\":");
        } else if (c == 2) {
            snprintf(p, sizeof p, "%s/critical.json", cut);
            edit(p, "\"iterations\":", "\"iterations\": 1e9, \"was\":");
        } else if (c == 3) {
            snprintf(p, sizeof p, "%s/critical_points.npy", cut);
            size_t sh[2] = {2, 50};
            double z[100] = {0};
            CHECK_OK(npy_write_f64(p, z, 2, sh));
        } else {
            /* The run's final model in place of the first end point: the
             * right shape, not the point in the table. */
            char cmd[2000];
            snprintf(cmd, sizeof cmd, "cp %s/final.safetensors %s/critical/point-01.safetensors",
                     run, cut);
            CHECK(system(cmd) == 0);
        }
        CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
        CHECK_MSG(strstr(out, want) && (c == 0) == !strstr(out, "starting over"), "case %d: %s",
                  c, out);
        same_results(whole, cut, 3);
    }
}
