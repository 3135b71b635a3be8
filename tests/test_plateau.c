/* Plateau detection on curves with known answers (flat then drop, smooth
 * decay, noise, a plateau the run ends on, a flat loss with a large
 * gradient), the shaded bands of the line plot, and `saddle plot` writing
 * plateaus.json and training.png for a run directory. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../datasets/rng.h"
#include "../probes/plateau.h"
#include "../probes/render.h"
#include "test.h"

enum { N = 200, DSTEP = 10 };

typedef struct curve {
    double step[N], loss[N], grad[N];
} curve;

/* Multiplicative noise: loss * (1 + amp * N(0, 1)), seeded by row. */
static double noisy(double v, double amp, uint64_t seed, int i)
{
    return amp > 0 ? v * (1 + amp * rng_normal(seed, 7, (uint64_t)i)) : v;
}

/* Flat at 0.69 through row `last`, a drop over three rows to 0.05, then a
 * slow decline to 0.01; the gradient is 100x smaller (relative to the
 * loss) on the plateau than during the drop. */
static void flat_then_drop(curve *c, int last, double amp)
{
    for (int i = 0; i < N; i++) {
        c->step[i] = DSTEP * i;
        double l, g;
        if (i <= last) {
            l = 0.69;
            g = 0.005;
        } else if (i <= last + 3) {
            l = 0.69 * pow(0.05 / 0.69, (i - last) / 3.0);
            g = 2.0;
        } else {
            l = 0.05 * pow(0.2, (double)(i - last - 3) / (N - last - 4));
            g = 0.5 * l;
        }
        c->loss[i] = noisy(l, amp, 11, i);
        c->grad[i] = noisy(g, 3 * amp, 12, i);
    }
}

static int find(const curve *c, int with_grad, plateau **p)
{
    plateau_opts o;
    plateau_opts_default(&o);
    int n = -1;
    CHECK_OK(plateau_find(c->step, c->loss, with_grad ? c->grad : NULL, N, &o, p, &n));
    return n;
}

/* The same with the converged tail. */
static int find_tail(const curve *c, int with_grad, plateau **p, plateau_tail *t)
{
    plateau_opts o;
    plateau_opts_default(&o);
    int n = -1;
    CHECK_OK(plateau_analyze(c->step, c->loss, with_grad ? c->grad : NULL, N, &o, p, &n, t));
    return n;
}

TEST(plateau_flat_then_drop_is_found_and_escaped)
{
    curve c;
    flat_then_drop(&c, 79, 0);
    for (int g = 0; g < 2; g++) {
        plateau *p = NULL;
        int n = find(&c, g, &p);
        CHECK_MSG(n == 1, "%d plateaus (grad %d)", n, g);
        if (n >= 1) {
            CHECK(p[0].start_step == 0 && p[0].start_row == 0);
            /* The last flat row is 79 (step 790): within a row. */
            CHECK_MSG(fabs(p[0].end_step - 790) <= DSTEP, "ends at %g", p[0].end_step);
            CHECK_NEAR(p[0].level, 0.69, 1e-12);
            CHECK(p[0].escaped && !p[0].final);
            /* The first row at or below 0.345: the second row of the drop. */
            double want = 0;
            for (int i = 80; i < N && !want; i++)
                if (c.loss[i] <= 0.345) want = c.step[i];
            CHECK_NEAR(p[0].escape_step, want, 0);
            if (g) CHECK_NEAR(p[0].grad_norm_mean, 0.005, 1e-12);
            else CHECK(isnan(p[0].grad_norm_mean));
        }
        free(p);
    }
}

/* Leaving a plateau slowly: after the flat stretch the loss falls by a
 * factor 0.97 per row, so it takes 23 rows to halve. "Escaped" is the first
 * row at or below half the plateau's level, not the first row below it (a
 * test on the steep drop above cannot tell the two apart). */
TEST(plateau_escape_is_halving_not_leaving)
{
    curve c;
    for (int i = 0; i < N; i++) {
        c.step[i] = DSTEP * i;
        c.loss[i] = i <= 59 ? 0.69 : 0.69 * pow(0.97, i - 59);
        c.grad[i] = i <= 59 ? 0.005 : 0.03 * c.loss[i];
    }
    plateau *p = NULL;
    int n = find(&c, 1, &p);
    CHECK_MSG(n >= 1, "%d plateaus", n);
    if (n >= 1) {
        double want = 0;
        for (int i = 60; i < N && !want; i++)
            if (c.loss[i] <= 0.345) want = c.step[i];
        CHECK(want >= c.step[59] + 20 * DSTEP); /* not vacuous: halving is slow */
        CHECK(p[0].escaped);
        CHECK_NEAR(p[0].escape_step, want, 0);
    }
    free(p);
}

TEST(plateau_smooth_decay_has_none)
{
    curve c;
    for (int amp = 0; amp < 2; amp++) {
        /* ln(loss) falls at one rate throughout: e^-4 over the run, with or
         * without 3% noise; the gradient follows the loss. */
        for (int i = 0; i < N; i++) {
            c.step[i] = DSTEP * i;
            double l = 2.3 * exp(-4.0 * i / (N - 1));
            c.loss[i] = noisy(l, 0.03 * amp, 21, i);
            c.grad[i] = 0.8 * l;
        }
        for (int g = 0; g < 2; g++) {
            plateau *p = NULL;
            int n = find(&c, g, &p);
            CHECK_MSG(n == 0, "noise %d grad %d: %d plateaus, first %g..%g", amp, g, n,
                      n ? p[0].start_step : 0, n ? p[0].end_step : 0);
            free(p);
        }
    }
}

TEST(plateau_noise_does_not_fragment)
{
    curve c;
    /* 3% noise on the loss, 9% on the gradient; 20 seeds of noise. */
    for (uint64_t seed = 0; seed < 20; seed++) {
        flat_then_drop(&c, 99, 0);
        for (int i = 0; i < N; i++) {
            c.loss[i] = noisy(c.loss[i], 0.03, 100 + seed, i);
            c.grad[i] = noisy(c.grad[i], 0.09, 200 + seed, i);
        }
        plateau *p = NULL;
        int n = find(&c, 1, &p);
        CHECK_MSG(n == 1, "seed %d: %d plateaus", (int)seed, n);
        if (n >= 1) {
            CHECK_MSG(p[0].start_step == 0 && fabs(p[0].end_step - 990) <= 2 * DSTEP,
                      "seed %d: %g..%g", (int)seed, p[0].start_step, p[0].end_step);
            CHECK(p[0].escaped);
            CHECK_NEAR(p[0].level, 0.69, 0.69 * 0.02);
        }
        free(p);
    }
}

TEST(plateau_converged_tail_is_not_a_plateau)
{
    curve c;
    /* A fast start from 2.3 to 0.3 in 30 rows, then flat at 0.3 with a
     * vanishing gradient: the run has converged (as the 5-epoch demo does,
     * 80% of its steps after the first epoch); nothing was left behind. */
    for (int i = 0; i < N; i++) {
        c.step[i] = DSTEP * i;
        c.loss[i] = i < 30 ? 2.3 * pow(0.3 / 2.3, i / 30.0) : 0.3;
        c.grad[i] = i < 30 ? 3.0 : 0.01;
    }
    plateau *p = NULL;
    plateau_tail t;
    int n = find_tail(&c, 1, &p, &t);
    CHECK_MSG(n == 0, "%d plateaus, the first %g-%g", n, n ? p[0].start_step : NAN,
              n ? p[0].end_step : NAN);
    free(p);
    CHECK(find(&c, 1, &p) == 0);
    free(p);
    /* A window that starts on the last rows of a smooth fall is flat
     * enough: the tail may take in a row or two of it. */
    CHECK_MSG(t.found && fabs(t.start_step - 300) <= 2 * DSTEP, "tail %d from %g", t.found,
              t.start_step);
    CHECK_NEAR(t.level, 0.3, 1e-12);
    CHECK_MSG(t.grad_norm_mean < 0.1, "tail grad_norm %g", t.grad_norm_mean); /* 3 on the fall */
    /* A loss that never moves (within 1% noise): one plateau, never left,
     * and no convergence, since the loss never fell. */
    for (int i = 0; i < N; i++) c.loss[i] = noisy(0.693, 0.01, 5, i), c.grad[i] = 0.002;
    n = find_tail(&c, 1, &p, &t);
    CHECK_MSG(n == 1 && p[0].start_step == 0 && p[0].final && !p[0].escaped, "%d plateaus", n);
    CHECK(!t.found && isnan(t.grad_norm_mean));
    free(p);
    /* A plateau, the escape, and a converged tail: one of each. */
    flat_then_drop(&c, 59, 0);
    for (int i = 120; i < N; i++) c.loss[i] = c.loss[119], c.grad[i] = 1e-4;
    n = find_tail(&c, 1, &p, &t);
    CHECK_MSG(n == 1 && p[0].start_step == 0 && p[0].escaped && !p[0].final, "%d plateaus", n);
    CHECK_MSG(t.found && t.start_step >= 1000 && t.start_step <= 1220, "tail %d from %g", t.found,
              t.start_step);
    free(p);
}

TEST(plateau_needs_a_small_gradient)
{
    curve c;
    /* The same loss as above, but on the flat part the gradient stays as
     * large relative to the loss as during the fall: the steps bounce, the
     * loss is flat for another reason, and it is no flat stretch at all.
     * Not vacuous: the loss alone finds it (as the converged tail). */
    for (int i = 0; i < N; i++) {
        c.step[i] = DSTEP * i;
        c.loss[i] = i < 30 ? 2.3 * pow(0.3 / 2.3, i / 30.0) : 0.3;
        c.grad[i] = 3.0 * c.loss[i];
    }
    plateau *p = NULL;
    plateau_tail t;
    CHECK(find_tail(&c, 1, &p, &t) == 0 && !t.found);
    free(p);
    CHECK(find_tail(&c, 0, &p, &t) == 0 && t.found);
    free(p);
}

TEST(plateau_bad_input)
{
    curve c;
    flat_then_drop(&c, 79, 0);
    plateau_opts o;
    plateau_opts_default(&o);
    plateau *p = NULL;
    int n = -1;
    /* Unusable rows are skipped, not fatal. */
    c.loss[5] = NAN;
    c.loss[6] = 0;
    c.step[7] = NAN;
    CHECK_OK(plateau_find(c.step, c.loss, c.grad, N, &o, &p, &n));
    CHECK(n == 1);
    free(p);
    c.step[50] = 1;
    CHECK_ERR(plateau_find(c.step, c.loss, c.grad, N, &o, &p, &n), NN_EINVAL, "row 50");
    CHECK(p == NULL && n == 0);
    c.step[50] = 500;
    o.tol = 0;
    CHECK_ERR(plateau_find(c.step, c.loss, c.grad, N, &o, &p, &n), NN_EINVAL, "tol");
    plateau_opts_default(&o);
    /* Too few rows for one window: nothing, and no error. */
    CHECK_OK(plateau_find(c.step, c.loss, c.grad, 4, &o, &p, &n));
    CHECK(n == 0 && p == NULL);
}

static int near_rgb(render_rgb a, render_rgb b, int tol)
{
    return abs(a.r - b.r) <= tol && abs(a.g - b.g) <= tol && abs(a.b - b.b) <= tol;
}

TEST(lineplot_bands_shade_their_x_range)
{
    double x[2] = {0, 100}, y[2] = {1, 1};
    render_series s = {x, y, 2, "flat", RENDER_HEX(0x0072b2), 0, 0, 0, 0};
    render_band b[2] = {{20, 40, "plateau", 0}, {60, 70, "plateau", RENDER_HEX(0x000000)}};
    render_lineplot_opts o = {0};
    o.series = &s;
    o.nseries = 1;
    o.bands = b;
    o.nbands = 2;
    render_image im;
    render_lineplot_info in;
    CHECK_OK(render_lineplot(&im, &o, &in));
    double xs = (in.plot_x1 - in.plot_x0) / (in.xhi - in.xlo);
    int yb = in.panel_y1[0] - 5;
    render_rgb white = {255, 255, 255};
    /* Orange at 22% over white inside the first band, black at 22% inside
     * the second, white between them. */
    render_rgb tint = {(uint8_t)lround(255 - 0.22 * (255 - 230)), (uint8_t)lround(255 - 0.22 * (255 - 159)),
                       (uint8_t)lround(255 - 0.22 * 255)};
    render_rgb gray = {(uint8_t)lround(255 * 0.78), (uint8_t)lround(255 * 0.78), (uint8_t)lround(255 * 0.78)};
    /* Off the grid lines (multiples of 10 or 20). */
    CHECK(near_rgb(render_image_get(&im, (int)(in.plot_x0 + 33 * xs), yb), tint, 3));
    CHECK(near_rgb(render_image_get(&im, (int)(in.plot_x0 + 67 * xs), yb), gray, 3));
    CHECK(near_rgb(render_image_get(&im, (int)(in.plot_x0 + 53 * xs), yb), white, 0));
    CHECK(near_rgb(render_image_get(&im, (int)(in.plot_x0 + 13 * xs), yb), white, 0));
    /* One legend entry for the label both bands share: two rows with the series. */
    int rows = in.legend_y1[0] - in.legend_y0[0];
    render_image_free(&im);
    o.nbands = 0;
    CHECK_OK(render_lineplot(&im, &o, &in));
    int rows0 = in.legend_y1[0] - in.legend_y0[0];
    CHECK_MSG(rows > rows0 && rows < 2 * rows0 + 8, "legend %d px tall with bands, %d without", rows, rows0);
    render_image_free(&im);
    o.nbands = 1;
    o.bands = NULL;
    CHECK_ERR(render_lineplot(&im, &o, &in), NN_EINVAL, "bands");
}

/* A run directory with a hand-written log: flat at ln 2 for 60 rows, then a
 * drop; `saddle plot` must shade and list the plateau and write its JSON. */
TEST(plot_writes_plateaus_json_and_png)
{
    char dir[600];
    snprintf(dir, sizeof dir, "%splot-run", test_tmpdir());
    CHECK(mkdir(dir, 0755) == 0);
    const char *cfg = "[data]\nname = xor\nsynth_classes = 2\n[model]\nlayers = 8 tanh, 2\n";
    CHECK(test_write_file(test_join(dir, "config.ini"), cfg, strlen(cfg)) == 0);
    size_t cap = 64 * N + 128, k = 0;
    char *log = malloc(cap);
    k += (size_t)snprintf(log + k, cap - k, "step,epoch,lr,train_loss,train_acc,grad_norm,test_loss,test_acc\n");
    curve c;
    flat_then_drop(&c, 59, 0);
    for (int i = 0; i < N; i++)
        k += (size_t)snprintf(log + k, cap - k, "%.0f,%g,0.1,%.9g,0.5,%.9g,%.9g,0.5\n", c.step[i], c.step[i] / 10,
                              c.loss[i], c.grad[i], 1.1 * c.loss[i]);
    CHECK(test_write_file(test_join(dir, "log.csv"), log, k) == 0);
    free(log);
    char args[1400];
    const char *text;
    snprintf(args, sizeof args, "plot %s", dir);
    CHECK_MSG(test_saddle(args, &text) == 0, "%s", text);
    CHECK_MSG(strstr(text, "plateaus of train_loss") && strstr(text, "escaped: loss <= level/2 at step 600"),
              "%s", text);
    size_t len;
    char *js = (char *)test_read_file(test_join(dir, "probes/plateaus.json"), &len);
    CHECK(js != NULL);
    if (js) {
        CHECK(strstr(js, "\"start_step\":\t0,") && strstr(js, "\"end_step\":\t590,"));
        CHECK(strstr(js, "\"escape_step\":\t600,") && strstr(js, "\"escaped\":\ttrue"));
        CHECK(strstr(js, "\"tol\":\t0.25") && strstr(js, "\"grad_norm_column\":\ttrue"));
    }
    free(js);
    render_image im;
    CHECK_OK(render_png_read(test_join(dir, "probes/training.png"), &im));
    if (im.px) {
        /* The plot's left third (the plateau) is tinted orange where no
         * line or legend covers it; the right third (after the drop) not. */
        int tinted[2] = {0, 0}, area = (im.h / 2 - im.h / 8) * (im.w / 3 - im.w / 8);
        for (int side = 0; side < 2; side++)
            for (int y = im.h / 8; y < im.h / 2; y++)
                for (int x = im.w / 8; x < im.w / 3; x++) {
                    render_rgb q = render_image_get(&im, side ? im.w - x : x, y);
                    tinted[side] += q.r > 240 && q.b < 215 && q.b > 180;
                }
        CHECK_MSG(tinted[0] > area / 4 && tinted[1] < area / 50, "%d and %d of %d pixels tinted",
                  tinted[0], tinted[1], area);
        render_image_free(&im);
    }
    /* The options reach the rule and its record. */
    snprintf(args, sizeof args, "plot %s --plateau-tol 1e-9 --plateau-window 0.05 --plateau-min 3", dir);
    CHECK_MSG(test_saddle(args, &text) == 0, "%s", text);
    js = (char *)test_read_file(test_join(dir, "probes/plateaus.json"), &len);
    CHECK(js && strstr(js, "\"min_rows\":\t3") && strstr(js, "\"window\":\t0.05"));
    free(js);
    snprintf(args, sizeof args, "plot %s --plateau-min 1", dir);
    CHECK(test_saddle(args, &text) == 2 && strstr(text, "--plateau-min"));
    snprintf(args, sizeof args, "plot %s --plateau-tol x", dir);
    CHECK(test_saddle(args, &text) == 2 && strstr(text, "--plateau-tol"));
    /* A log whose steps go back is named at the line. */
    const char *bad = "step,epoch,lr,train_loss,train_acc,grad_norm,test_loss,test_acc\n"
                      "0,0,0.1,0.7,0.5,0.1,0.7,0.5\n20,1,0.1,0.6,0.5,0.1,0.6,0.5\n"
                      "10,1,0.1,0.5,0.5,0.1,0.5,0.5\n";
    CHECK(test_write_file(test_join(dir, "log.csv"), bad, strlen(bad)) == 0);
    snprintf(args, sizeof args, "plot %s", dir);
    CHECK_MSG(test_saddle(args, &text) == 1 && strstr(text, "log.csv:4: step 10 comes after step 20"),
              "%s", text);
}

/* The demo's own log (configs/fmnist-mlp.ini, seed 1: 5 epochs, a row per
 * epoch): the loss falls from 2.31 to 0.41 in the first epoch and then
 * settles. That is convergence over the last 80% of the run, not a plateau. */
TEST(plot_calls_the_demo_converged_not_a_plateau)
{
    char dir[600];
    snprintf(dir, sizeof dir, "%sdemo-run", test_tmpdir());
    CHECK(mkdir(dir, 0755) == 0);
    const char *cfg = "[data]\nname = xor\nsynth_classes = 2\n[model]\nlayers = 8 tanh, 2\n";
    CHECK(test_write_file(test_join(dir, "config.ini"), cfg, strlen(cfg)) == 0);
    const char *log =
        "step,epoch,lr,train_loss,train_acc,grad_norm,test_loss,test_acc\n"
        "0,0.0000,0.05,2.31450867,0.1103,0.38260464,2.31456303,0.1072\n"
        "469,1.0000,0.05,0.409038454,0.8482,0.582201628,0.452848832,0.8351\n"
        "938,2.0000,0.05,0.341029824,0.8773,0.355622883,0.396100491,0.858\n"
        "1407,3.0000,0.05,0.313053821,0.8857,0.372106328,0.373356452,0.8627\n"
        "1876,4.0000,0.05,0.291573264,0.8885,0.321975719,0.363881684,0.8716\n"
        "2345,5.0000,0.05,0.283329401,0.8944,0.393014627,0.359468913,0.8722\n";
    CHECK(test_write_file(test_join(dir, "log.csv"), log, strlen(log)) == 0);
    char args[1400];
    const char *text;
    snprintf(args, sizeof args, "plot %s", dir);
    CHECK_MSG(test_saddle(args, &text) == 0, "%s", text);
    CHECK_MSG(strstr(text, "converged from step 469") && strstr(text, "no plateau") &&
                  !strstr(text, "lasts to the end"),
              "%s", text);
    size_t len;
    char *js = (char *)test_read_file(test_join(dir, "probes/plateaus.json"), &len);
    CHECK(js != NULL);
    if (js) {
        CHECK_MSG(strstr(js, "\"plateaus\":\t[]") && strstr(js, "\"converged\":\t{"), "%s", js);
        CHECK(strstr(js, "\"start_step\":\t469,") && strstr(js, "\"end_step\":\t2345,"));
    }
    free(js);
}
