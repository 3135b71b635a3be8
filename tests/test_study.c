/* `saddle study`, `compare` and `rescale` end to end through SADDLE_BIN: the
 * tiny study writes every file of its report, a bad study.ini fails naming
 * file:line before anything trains, and rescaling keeps the function while
 * changing raw but not filter-normalized sharpness. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../datasets/base64.h"
#include "../datasets/fileio.h"
#include "../probes/render.h"
#include "test.h"

static double json_number_after(const char *text, const char *key)
{
    const char *p = strstr(text, key);
    if (!p) return NAN;
    p = strchr(p, ':');
    return p ? strtod(p + 1, NULL) : NAN;
}

/* Every <img> of report.html is a PNG carried inside it (a data: URI) that
 * decodes, and is also on disk beside the page. */
static int check_images(const char *dir, int *count)
{
    static const char pre[] = "<img src=\"data:image/png;base64,";
    char p[1024];
    snprintf(p, sizeof p, "%s/report.html", dir);
    size_t len;
    uint8_t *html = test_read_file(p, &len);
    if (!html) return -1;
    int bad = 0;
    *count = 0;
    for (const char *s = (const char *)html; (s = strstr(s, "<img ")); ) {
        if (strncmp(s, pre, strlen(pre))) {
            test_fail(__FILE__, __LINE__, "report image not carried in the page: %.60s", s);
            bad++;
            s++;
            continue;
        }
        s += strlen(pre);
        const char *e = strchr(s, '"');
        if (!e) break;
        uint8_t *png = malloc((size_t)(e - s));
        size_t n = 0;
        char f[1024];
        snprintf(f, sizeof f, "%s/decoded-%d.png", test_tmpdir(), *count);
        render_image im;
        if (!png || base64_decode(s, (size_t)(e - s), png, &n) || test_write_file(f, png, n) ||
            render_png_read(f, &im) != 0) {
            test_fail(__FILE__, __LINE__, "report image %d does not decode: %s", *count, nn_errmsg());
            bad++;
        } else {
            CHECK(im.w > 100 && im.h > 100);
            render_image_free(&im);
        }
        free(png);
        (*count)++;
        s = e;
    }
    free(html);
    return bad;
}

TEST(study_tiny_end_to_end)
{
    char out[512], args[2400];
    snprintf(out, sizeof out, "%sstudy-tiny", test_tmpdir());
    snprintf(args, sizeof args, "study configs/study/tiny --out %s", out);
    const char *text;
    int rc = test_saddle(args, &text);
    CHECK_MSG(rc == 0, "study failed: %s", text);
    const char *files[] = {"report.md", "report.html", "slices.png", "surface-sb.png", "surface-lb.png",
                           "density.png", "lambda_max.png", "sb-s1/final.safetensors", "sb-s2/final.safetensors",
                           "lb-s1/final.safetensors", "lb-s2/final.safetensors",
                           "sb-s2/probes/hessian.json", "lb-s1/probes/sharpness-eps0.0001.json",
                           "rescale/rescaled.safetensors", "rescale/before.json", "rescale/after.json",
                           "plateau_loss.png", "sb-s1/probes/plateaus.json", "lb-s2/probes/training.png"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        char p[1024];
        snprintf(p, sizeof p, "%s/%s", out, files[i]);
        CHECK_MSG(test_exists(p), "missing %s", p);
    }
    int nimg = 0;
    CHECK(check_images(out, &nimg) == 0);
    CHECK_MSG(nimg >= 5, "report shows %d images", nimg);
    char p[1024];
    snprintf(p, sizeof p, "%s/report.md", out);
    size_t len;
    char *md = (char *)test_read_file(p, &len);
    CHECK(md != NULL);
    if (md) {
        CHECK(strstr(md, "At matched epochs (end of training)"));
        CHECK(strstr(md, "At matched training loss"));
        CHECK(strstr(md, "small batch (16) (2 seeds)"));
        CHECK(strstr(md, "±"));
        CHECK(strstr(md, "eps-sharpness 0.0001"));
        CHECK(strstr(md, "largest logit difference"));
        CHECK(strstr(md, "Plateaus in the training loss") && strstr(md, "| sb-s2 |"));
    }
    free(md);
    /* A second run keeps every trained run; compare on the same dirs works too. */
    rc = test_saddle(args, &text);
    CHECK_MSG(rc == 0 && strstr(text, "kept") && !strstr(text, "== saddle train"), "rerun: %s", text);
    snprintf(args, sizeof args, "compare %s/sb-s1 %s/sb-s2 %s/lb-s1 --out %s/cmp", out, out, out, out);
    rc = test_saddle(args, &text);
    CHECK_MSG(rc == 0, "compare failed: %s", text);
    snprintf(p, sizeof p, "%s/cmp/report.md", out);
    md = (char *)test_read_file(p, &len);
    CHECK(md && strstr(md, "| sb (2 seeds)") && strstr(md, "| lb (1 seed)"));
    free(md);
}

/* Writes a study dir with the tiny configs and the given study.ini. */
static const char *bad_study(const char *name, const char *ini)
{
    static char dir[512];
    snprintf(dir, sizeof dir, "%s%s", test_tmpdir(), name);
    mkdir(dir, 0755);
    char p[1100], cmd[1100];
    snprintf(cmd, sizeof cmd, "cp configs/study/tiny/sb.ini %s/", dir);
    CHECK(system(cmd) == 0);
    snprintf(p, sizeof p, "%s/study.ini", dir);
    CHECK(test_write_file(p, ini, strlen(ini)) == 0);
    return dir;
}

static void expect_bad(const char *name, const char *ini, const char *want1, const char *want2)
{
    const char *dir = bad_study(name, ini), *text;
    char args[2400], out[1100];
    snprintf(out, sizeof out, "%s/out", dir);
    snprintf(args, sizeof args, "study %s --out %s", dir, out);
    int rc = test_saddle(args, &text);
    CHECK_MSG(rc == 1, "%s: exit %d: %s", name, rc, text);
    CHECK_MSG(strstr(text, want1) && strstr(text, want2), "%s: message lacks '%s'/'%s': %s", name, want1,
              want2, text);
    CHECK_MSG(!strstr(text, "training"), "%s: trained before failing: %s", name, text);
    CHECK_MSG(!test_exists(out), "%s: created %s", name, out);
}

TEST(study_bad_ini_fails_before_training)
{
    expect_bad("bad-runkey", "[study]\nseeds = 1\n[run.sb]\nconfig = sb.ini\nlr = 3\n",
               "study.ini:5", "unknown key 'lr' in [run.sb]");
    expect_bad("bad-probe", "[study]\n[run.sb]\nconfig = sb.ini\n[probes]\nslice = yes\nwobble = yes\n",
               "study.ini:6", "unknown key 'wobble' in [probes]");
    expect_bad("bad-config", "[study]\n[run.sb]\nconfig = sb.ini\n[run.lb]\nlabel = x\nconfig = nope.ini\n",
               "study.ini:6", "nope.ini");
    expect_bad("bad-section", "[study]\n[run.sb]\nconfig = sb.ini\n[probe]\n",
               "study.ini:4", "unknown section [probe]");
    expect_bad("bad-value", "[study]\nseeds = 1,x\n[run.sb]\nconfig = sb.ini\n",
               "study.ini:2", "seeds");
    expect_bad("bad-plateau", "[study]\n[run.sb]\nconfig = sb.ini\n[probes]\nplateau_window = 2\n",
               "study.ini:5", "plateau_window");
    expect_bad("no-runs", "[study]\nname = x\n", "study.ini", "no [run.ID]");
}

TEST(rescale_keeps_function_changes_raw_sharpness)
{
    char dir[512], args[2048];
    snprintf(dir, sizeof dir, "%srescale-run", test_tmpdir());
    snprintf(args, sizeof args, "train configs/study/tiny/sb.ini --out %s --set train.threads=1", dir);
    const char *text;
    CHECK_MSG(test_saddle(args, &text) == 0, "train: %s", text);
    snprintf(args, sizeof args, "rescale %s/final.safetensors --layer 0 --factor 10 --limit 300 --threads 1",
             dir);
    CHECK_MSG(test_saddle(args, &text) == 0, "rescale: %s", text);
    CHECK_MSG(strstr(text, "function unchanged"), "%s", text);
    char p[1024];
    snprintf(p, sizeof p, "%s/final-rescaled-l0-c10.safetensors", dir);
    CHECK_MSG(test_exists(p), "no %s", p);
    snprintf(p, sizeof p, "%s/final-rescaled-l0-c10.json", dir);
    size_t len;
    char *j = (char *)test_read_file(p, &len);
    CHECK(j != NULL);
    if (j) {
        double d = json_number_after(j, "\"max_logit_diff\""), big = json_number_after(j, "\"max_abs_logit\"");
        CHECK_MSG(d <= 1e-5 * (1 + big), "logits moved by %g (largest %g)", d, big);
        CHECK(big > 0.1); /* not vacuous: the logits are not all zero */
    }
    free(j);
    /* Sharpness of both checkpoints through the sharpness command. */
    double raw[2], filt[2];
    for (int w = 0; w < 2; w++) {
        snprintf(args, sizeof args, "sharpness %s/%s --limit 300 --threads 1 --out %s --name sh%d", dir,
                 w ? "final-rescaled-l0-c10.safetensors" : "final.safetensors", dir, w);
        CHECK_MSG(test_saddle(args, &text) == 0, "sharpness: %s", text);
        snprintf(p, sizeof p, "%s/sh%d.json", dir, w);
        j = (char *)test_read_file(p, &len);
        CHECK(j != NULL);
        raw[w] = filt[w] = NAN;
        if (j) {
            const char *a = strstr(j, "\"average_raw\""), *f = strstr(j, "\"average_filter\"");
            raw[w] = a ? json_number_after(a, "\"sharpness\"") : NAN;
            filt[w] = f ? json_number_after(f, "\"sharpness\"") : NAN;
        }
        free(j);
    }
    CHECK_MSG(raw[1] > 2 * raw[0], "raw sharpness %g -> %g should grow", raw[0], raw[1]);
    CHECK_NEAR(filt[1], filt[0], 1e-3 * fabs(filt[0]) + 1e-7);
    /* A tanh net cannot be rescaled: a clear refusal. */
    snprintf(dir, sizeof dir, "%srescale-tanh", test_tmpdir());
    snprintf(args, sizeof args, "train configs/spirals.ini --out %s --set train.epochs=1 --set train.threads=1", dir);
    CHECK_MSG(test_saddle(args, &text) == 0, "train: %s", text);
    snprintf(args, sizeof args, "rescale %s/final.safetensors --layer 0 --factor 2", dir);
    CHECK(test_saddle(args, &text) == 1);
    CHECK_MSG(strstr(text, "tanh") && strstr(text, "not relu"), "%s", text);
}
