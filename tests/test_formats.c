/* What saddle writes for other programs to read: a grid's axes beside its
 * loss array (NAME_x.npy, NAME_y.npy), enums in sidecars as words, and
 * sidecars written before that (integers) still read by resume and render. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../nn/nn.h"
#include "../probes/npy.h"
#include "test.h"

static const char *fixture_run(void)
{
    return test_run("formats-run", "--set train.epochs=2");
}

/* path holds a 1-D float64 array equal to linspace(a, b, n) to 1 ulp-ish. */
static int is_linspace(const char *path, double a, double b, size_t n)
{
    size_t len;
    uint8_t *buf = test_read_file(path, &len);
    double *v = NULL;
    int nd = 0, type = -1, ok = 0;
    size_t sh[NPY_MAX_DIMS];
    if (buf && npy_parse_f64(buf, len, path, &v, &nd, sh, &type) == NN_OK && type == NPY_F64 &&
        nd == 1 && sh[0] == n) {
        ok = 1;
        for (size_t i = 0; i < n; i++) {
            double want = n > 1 ? a + (b - a) * (double)i / (double)(n - 1) : a;
            if (!(v[i] > want - 1e-12 && v[i] < want + 1e-12)) {
                fprintf(stderr, "%s[%zu] = %.17g, expected %.17g\n", path, i, v[i], want);
                ok = 0;
            }
        }
    } else {
        fprintf(stderr, "%s: not a 1-D float64 array of %zu (%s)\n", path, n,
                buf ? nn_errmsg() : "missing");
    }
    free(buf);
    free(v);
    return ok;
}

TEST(surface_writes_its_axes)
{
    const char *run = fixture_run(), *out;
    char dir[600], args[2000];
    snprintf(dir, sizeof dir, "%s", test_path("axes"));
    snprintf(args, sizeof args, "surface %s --grid 5x3 --range -1:2,-0.5:0.25 --limit 30 --out %s",
             run, dir);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    CHECK(is_linspace(test_join(dir, "surface_x.npy"), -1, 2, 5));
    CHECK(is_linspace(test_join(dir, "surface_y.npy"), -0.5, 0.25, 3));
    /* A 1-D slice has one axis. */
    snprintf(args, sizeof args, "surface %s --grid 4 --range -0.3:0.3 --limit 30 --out %s", run, dir);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    CHECK(is_linspace(test_join(dir, "slice_x.npy"), -0.3, 0.3, 4));
    CHECK(!test_exists(test_join(dir, "slice_y.npy")));
    /* interp: alpha along the line. */
    snprintf(args, sizeof args, "interp %s/final.safetensors %s/traj/step-00000000.safetensors "
             "--grid 6 --limit 30 --out %s", run, run, dir);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    const char *iname = test_exists(test_join(dir, "interp.json")) ? "interp_x.npy" : "?";
    CHECK_MSG(test_exists(test_join(dir, iname)), "%s", out);

    /* --overwrite of a 2-D result by a 1-D one leaves no stale y axis. */
    snprintf(args, sizeof args, "surface %s --grid 5x3 --limit 30 --out %s --name s", run, dir);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    CHECK(test_exists(test_join(dir, "s_y.npy")));
    snprintf(args, sizeof args, "surface %s --grid 7 --limit 30 --out %s --name s --overwrite", run, dir);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    CHECK(is_linspace(test_join(dir, "s_x.npy"), -1, 1, 7));
    CHECK(!test_exists(test_join(dir, "s_y.npy")));
}

/* text with the first occurrence of from replaced by to, into path. */
static int rewrite(const char *path, const char *from, const char *to)
{
    size_t len;
    char *t = (char *)test_read_file(path, &len);
    char *at = t ? strstr(t, from) : NULL;
    if (!at) {
        free(t);
        return -1;
    }
    size_t a = (size_t)(at - t), fl = strlen(from), tl = strlen(to);
    char *o = malloc(len - fl + tl + 1);
    if (!o) {
        free(t);
        return -1;
    }
    memcpy(o, t, a);
    memcpy(o + a, to, tl);
    memcpy(o + a + tl, at + fl, len - a - fl);
    int rc = test_write_file(path, o, len - fl + tl);
    free(o);
    free(t);
    return rc;
}

TEST(sidecar_enums_are_words_and_old_integers_still_read)
{
    const char *run = fixture_run(), *out;
    char dir[600], args[2000], json[700];
    snprintf(dir, sizeof dir, "%s", test_path("enums"));
    snprintf(json, sizeof json, "%s", test_join(dir, "surface.json"));
    snprintf(args, sizeof args, "surface %s --grid 3x3 --limit 30 --out %s", run, dir);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    size_t len;
    char *t = (char *)test_read_file(json, &len);
    /* configs/spirals.ini says normalize = none. */
    CHECK_MSG(t && strstr(t, "\"normalize\":\t\"none\""), "%s", t ? t : "(no sidecar)");
    free(t);

    /* The same result as an older saddle wrote it: NORM_NONE as 0. */
    CHECK(rewrite(json, "\"normalize\":\t\"none\"", "\"normalize\":\t0") == 0);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    CHECK_MSG(strstr(out, "complete from an earlier run: nothing recomputed"), "%s", out);
    snprintf(args, sizeof args, "render %s --png %s", json, test_join(dir, "old-render.png"));
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);

    /* An interrupted old result resumes instead of starting over. */
    CHECK(rewrite(json, "\"complete\":\ttrue", "\"complete\":\tfalse") == 0);
    snprintf(args, sizeof args, "surface %s --grid 3x3 --limit 30 --out %s", run, dir);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    CHECK_MSG(strstr(out, "resuming") || !strstr(out, "starting over"), "%s", out);
    CHECK_MSG(!strstr(out, "surface-2"), "an old sidecar was taken for other options: %s", out);
    t = (char *)test_read_file(json, &len);
    CHECK_MSG(t && strstr(t, "\"normalize\":\t\"none\""), "%s", t ? t : "(no sidecar)");
    free(t);
}
