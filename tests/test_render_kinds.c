/* `saddle render` on every kind of result saddle writes: each command's
 * picture, deleted and drawn again from the sidecar and the files beside
 * it, comes back byte for byte (one drawing function, the same numbers),
 * and what cannot be drawn says why. Uses the binary the Makefile names in
 * SADDLE_BIN. */
#include <png.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"

static const char *tiny_run(void)
{
    return test_run("small-relu", "--set train.epochs=3 --set data.synth_n=300 --set data.synth_test_n=100 "
                    "--set 'model.layers=8 relu, 3'");
}

/* The picture's size, and whether it shows something: more than 2% of its
 * pixels differ from the corner's and it holds at least 4 colors. */
static int picture(const char *path, int *w, int *h, int *drawn)
{
    png_image im;
    memset(&im, 0, sizeof im);
    im.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&im, path)) return -1;
    im.format = PNG_FORMAT_RGB;
    size_t n = (size_t)im.width * im.height;
    uint8_t *px = malloc(3 * n);
    if (!px || !png_image_finish_read(&im, NULL, px, 0, NULL)) {
        free(px);
        png_image_free(&im);
        return -1;
    }
    size_t differ = 0;
    uint32_t colors[4];
    int ncolors = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t c = (uint32_t)px[3 * i] << 16 | (uint32_t)px[3 * i + 1] << 8 | px[3 * i + 2];
        differ += memcmp(px + 3 * i, px, 3) != 0;
        int seen = 0;
        for (int k = 0; k < ncolors; k++) seen |= colors[k] == c;
        if (!seen && ncolors < 4) colors[ncolors++] = c;
    }
    *w = (int)im.width;
    *h = (int)im.height;
    *drawn = differ > n / 50 && ncolors == 4;
    free(px);
    return 0;
}

/* The command's picture `png` is kept aside and deleted; `render json`
 * draws it again under its own name, of the same size and bytes. */
static void redraws(const char *json, const char *png)
{
    char kept[1200], args[1400];
    const char *out;
    int w0 = 0, h0 = 0, d0 = 0, w = 0, h = 0, d = 0;
    snprintf(kept, sizeof kept, "%s.kept", png);
    CHECK_MSG(picture(png, &w0, &h0, &d0) == 0 && d0, "%s: no picture, or a blank one", png);
    CHECK(rename(png, kept) == 0);
    snprintf(args, sizeof args, "render %s", json);
    CHECK_MSG(test_saddle(args, &out) == 0 && strstr(out, png), "%s: %s", json, out);
    CHECK_MSG(picture(png, &w, &h, &d) == 0 && d && w == w0 && h == h0,
              "%s: %dx%d (drawn %d), the command's %dx%d", png, w, h, d, w0, h0);
    CHECK_MSG(test_same_file(png, kept), "%s: redrawn, not the same bytes as the command's", png);
    /* Drawn again: the picture that is there stays, the redraw is named apart. */
    CHECK_MSG(test_saddle(args, &out) == 0 && strstr(out, "-render.png"), "%s", out);
    CHECK(test_same_file(png, kept));
}

static const char *join(char *buf, size_t len, const char *dir, const char *name)
{
    snprintf(buf, len, "%s/%s", dir, name);
    return buf;
}

TEST(render_hessian_and_sharpness_redraw_the_commands_pictures)
{
    const char *run = tiny_run(), *out;
    char dir[512], args[2048], j[700], p[700];
    snprintf(dir, sizeof dir, "%s", test_path("kinds-curv"));
    snprintf(args, sizeof args, "hessian %s --top 3 --density --runs 2 --slq-steps 12 --limit 100 --out %s",
             run, dir);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    redraws(join(j, sizeof j, dir, "hessian.json"), join(p, sizeof p, dir, "hessian_density.png"));
    snprintf(args, sizeof args, "sharpness %s --limit 100 --p 5 --samples 3 --iters 3 --out %s", run, dir);
    CHECK_MSG(test_saddle(args, &out) == 0 && strstr(out, "sharpness.png"), "%s", out);
    redraws(join(j, sizeof j, dir, "sharpness.json"), join(p, sizeof p, dir, "sharpness.png"));
}

TEST(render_surfaces_lines_planes_pca_and_critical_points)
{
    const char *run = tiny_run(), *out;
    char dir[512], args[2048], j[700], p[700];
    snprintf(dir, sizeof dir, "%s", test_path("kinds-surf"));
    static const struct { const char *args, *name; } probes[] = {
        {"surface %s --grid 5x4 --limit 50 --out %s", "surface"},
        {"surface %s --grid 7 --limit 50 --out %s", "slice"},
        {"interp %s %s/traj/step-00000010.safetensors --grid 5 --limit 50 --out %s", "interp"},
        {"interp %s %s/traj/step-00000010.safetensors %s/traj/step-00000020.safetensors --grid 4x4 "
         "--limit 50 --out %s --name plane", "plane"},
        {"pca %s --grid 4x4 --limit 50 --out %s", "pca"},
        {"critical %s --starts 2 --random 1 --max-iter 3 --threads 1 --out %s", "critical"},
    };
    for (size_t k = 0; k < sizeof probes / sizeof *probes; k++) {
        if (k == 2) snprintf(args, sizeof args, probes[k].args, run, run, dir);
        else if (k == 3) snprintf(args, sizeof args, probes[k].args, run, run, run, dir);
        else snprintf(args, sizeof args, probes[k].args, run, dir);
        CHECK_MSG(test_saddle(args, &out) == 0, "%s: %s", args, out);
        snprintf(j, sizeof j, "%s/%s.json", dir, probes[k].name);
        snprintf(p, sizeof p, "%s/%s.png", dir, probes[k].name);
        redraws(j, p);
    }
}

TEST(render_restarts_toy_and_training_curves)
{
    const char *run = tiny_run(), *out;
    char dir[512], args[2048], j[700], p[700];
    snprintf(dir, sizeof dir, "%s", test_path("kinds-restarts"));
    snprintf(args, sizeof args,
             "restarts configs/spirals.ini --seeds 2 --set train.epochs=1 --set train.snapshot_every=0 "
             "--set data.synth_n=200 --set data.synth_test_n=50 --grid 5 --limit 50 --threads 1 --out %s",
             dir);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    redraws(join(j, sizeof j, dir, "restarts.json"), join(p, sizeof p, dir, "barriers.png"));
    /* The matrix's file is named when it is gone. */
    CHECK(unlink(join(p, sizeof p, dir, "barriers.npy")) == 0);
    snprintf(args, sizeof args, "render %s", j);
    CHECK_MSG(test_saddle(args, &out) == 1 && strstr(out, "barriers.npy"), "%s", out);

    snprintf(dir, sizeof dir, "%s", test_path("kinds-toy"));
    snprintf(args, sizeof args, "toy --surface himmelblau --starts 3 --steps 200 --out %s", dir);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    redraws(join(j, sizeof j, dir, "himmelblau.json"), join(p, sizeof p, dir, "himmelblau.png"));

    snprintf(dir, sizeof dir, "%s", test_path("kinds-plot"));
    snprintf(args, sizeof args, "plot %s --out %s", run, dir);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    redraws(join(j, sizeof j, dir, "plateaus.json"), join(p, sizeof p, dir, "training.png"));
}

/* Replaces the first `from` in the file with `to` (same length or not). */
static int edit_file(const char *path, const char *from, const char *to)
{
    size_t len;
    char *t = (char *)test_read_file(path, &len), *at = t ? strstr(t, from) : NULL;
    if (!at) {
        free(t);
        return -1;
    }
    size_t head = (size_t)(at - t), fl = strlen(from), tl = strlen(to);
    char *u = malloc(len - fl + tl + 1);
    int rc = -1;
    if (u) {
        memcpy(u, t, head);
        memcpy(u + head, to, tl);
        memcpy(u + head + tl, at + fl, len - head - fl);
        rc = test_write_file(path, u, len - fl + tl);
    }
    free(u);
    free(t);
    return rc;
}

TEST(render_says_why_it_cannot_draw)
{
    const char *run = tiny_run(), *out;
    char dir[512], args[2048], p[700];
    snprintf(dir, sizeof dir, "%s", test_path("kinds-bad"));
    /* A spectrum without its density has no picture; a missing file is named. */
    snprintf(args, sizeof args, "hessian %s --top 2 --limit 50 --out %s", run, dir);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    snprintf(args, sizeof args, "render %s/hessian.json", dir);
    CHECK_MSG(test_saddle(args, &out) == 1 && strstr(out, "hessian.json: no spectral density") &&
                  strstr(out, "--density"), "%s", out);
    snprintf(args, sizeof args, "hessian %s --top 2 --density --runs 1 --slq-steps 8 --limit 50 --out %s "
             "--name dens", run, dir);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    CHECK(unlink(join(p, sizeof p, dir, "dens_density.npy")) == 0);
    snprintf(args, sizeof args, "render %s/dens.json", dir);
    CHECK_MSG(test_saddle(args, &out) == 1 && strstr(out, "dens_density.npy"), "%s", out);

    /* Not a kind render draws: the kinds it does draw are listed. */
    CHECK(test_write_file(join(p, sizeof p, dir, "odd.json"), "{\"command\": \"frob\"}", 19) == 0);
    snprintf(args, sizeof args, "render %s", p);
    CHECK_MSG(test_saddle(args, &out) == 1 && strstr(out, "'frob'") && strstr(out, "sharpness") &&
                  strstr(out, "restarts") && strstr(out, "toy"), "%s", out);
    snprintf(args, sizeof args, "render %s/summary.json", run);
    CHECK_MSG(test_saddle(args, &out) == 1 && strstr(out, "saddle plot RUN"), "%s", out);
    snprintf(args, sizeof args, "rescale %s/final.safetensors --layer 0 --factor 2 --limit 50 --out %s/r.safetensors",
             run, dir);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    snprintf(args, sizeof args, "render %s/r.json", dir);
    CHECK_MSG(test_saddle(args, &out) == 1 && strstr(out, "saddle rescale`, which draws no picture"), "%s", out);

    /* A toy's paths are run again and must end where the sidecar says. */
    snprintf(args, sizeof args, "toy --surface bowl --opt sgd --starts 1 --steps 50 --out %s", dir);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    CHECK(edit_file(join(p, sizeof p, dir, "bowl.json"), "\"end\":\t[", "\"end\":\t[0.125, 9, ") == 0);
    snprintf(args, sizeof args, "render %s", p);
    CHECK_MSG(test_saddle(args, &out) == 1 && strstr(out, "no end [x, y]"), "%s", out);
    CHECK(edit_file(p, "[0.125, 9, ", "[0.125, 0], \"end_was\": [") == 0);
    CHECK_MSG(test_saddle(args, &out) == 1 && strstr(out, "another version of saddle"), "%s", out);

    /* Training curves whose log has grown since the plateaus were found. */
    char r2[600];
    snprintf(r2, sizeof r2, "%s/run", dir);
    snprintf(args, sizeof args, "mkdir -p %s && cp %s/config.ini %s/log.csv %s/", r2, run, run, r2);
    CHECK(system(args) == 0);
    snprintf(args, sizeof args, "plot %s", r2);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    size_t len;
    char *log = (char *)test_read_file(join(p, sizeof p, r2, "log.csv"), &len);
    const char *last = log ? strrchr(log, '\n') : NULL;
    while (last && last > log && last[-1] != '\n') last--;
    if (log && last) {
        FILE *f = fopen(p, "a");
        CHECK(f && fputs(last, f) >= 0);
        if (f) fclose(f);
    }
    free(log);
    snprintf(args, sizeof args, "render %s/probes/plateaus.json", r2);
    CHECK_MSG(test_saddle(args, &out) == 1 && strstr(out, "log.csv") && strstr(out, "rows"), "%s", out);
}

TEST(render_help_lists_the_kinds)
{
    const char *out;
    static const char *const kinds[] = {"surface", "slice", "interp", "plane", "pca", "critical",
                                        "hessian", "sharpness", "restarts", "toy", "plateaus.json"};
    CHECK(test_saddle("render --help", &out) == 0);
    for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++)
        CHECK_MSG(strstr(out, kinds[k]), "render --help does not name %s", kinds[k]);
}
