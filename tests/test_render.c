/* Tests of probes/render*.c: PNG files read back through libpng, SVG and
 * PDF files checked by xmllint and pdftoppm, pixels at known places of the figures (orientation, colorbar
 * ends, missing cells, the minimum's star), marching squares on a cone,
 * tick values and labels, log scale handling, and the line plot. */
#include "../datasets/rng.h"
#include "test.h"
#include "../datasets/status.h"
#include "../probes/render.h"

#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int rgb_near(render_rgb a, render_rgb b, int tol)
{
    return abs(a.r - b.r) <= tol && abs(a.g - b.g) <= tol && abs(a.b - b.b) <= tol;
}

#define CHECK_RGB(got, want, tol)                                                            \
    do {                                                                                     \
        render_rgb g_ = (got), w_ = (want);                                                  \
        CHECK_MSG(rgb_near(g_, w_, tol), "%s = (%d,%d,%d), want (%d,%d,%d)", #got, g_.r, g_.g, \
                  g_.b, w_.r, w_.g, w_.b);                                                   \
    } while (0)

static int no_tmp_files(void)
{
    DIR *dir = opendir(test_tmpdir());
    struct dirent *e;
    int n = 0;
    while (dir && (e = readdir(dir)))
        if (strstr(e->d_name, ".tmp")) n++;
    if (dir) closedir(dir);
    return n == 0;
}

TEST(render_png_roundtrip)
{
    render_image im, back;
    CHECK_OK(render_image_init(&im, 37, 21, (render_rgb){10, 20, 30}));
    render_rect_fill(&im, 5, 3, 9, 8, (render_rgb){250, 0, 0}, 1);
    render_blend(&im, 36, 20, (render_rgb){0, 255, 0}, 1);
    const char *path = test_path("rt.png");
    CHECK_OK(render_png_write(path, &im));
    CHECK(no_tmp_files());
    CHECK_OK(render_png_read(path, &back));
    CHECK(back.w == 37 && back.h == 21);
    if (back.px) {
        for (int y = 0; y < 21; y++)
            for (int x = 0; x < 37; x++)
                CHECK_RGB(render_image_get(&back, x, y), render_image_get(&im, x, y), 0);
        CHECK_RGB(render_image_get(&back, 5, 3), ((render_rgb){250, 0, 0}), 0);
        CHECK_RGB(render_image_get(&back, 9, 3), ((render_rgb){10, 20, 30}), 0);
        CHECK_RGB(render_image_get(&back, 36, 20), ((render_rgb){0, 255, 0}), 0);
    }
    render_image_free(&back);
    /* Broken files are errors, not crashes. */
    FILE *f = fopen(test_path("bad.png"), "wb");
    fputs("not a png at all", f);
    fclose(f);
    CHECK(render_png_read(test_path("bad.png"), &back) == NN_EFORMAT);
    size_t len;
    FILE *g = fopen(path, "rb");
    uint8_t buf[4096];
    len = fread(buf, 1, sizeof buf, g);
    fclose(g);
    f = fopen(test_path("cut.png"), "wb");
    fwrite(buf, 1, len / 2, f);
    fclose(f);
    CHECK(render_png_read(test_path("cut.png"), &back) == NN_EFORMAT);
    CHECK(back.px == NULL);
    CHECK(render_png_write(test_path("no/dir/x.png"), &im) == NN_EIO);
    render_image_free(&im);
}

TEST(render_primitives)
{
    render_image im;
    render_rgb k = {0, 0, 0}, w = {255, 255, 255};
    CHECK_OK(render_image_init(&im, 40, 40, w));
    /* A 2-px horizontal line on pixel boundaries covers exactly two rows. */
    render_line(&im, 5, 10, 30, 10, 2, k, 1);
    CHECK_RGB(render_image_get(&im, 15, 9), k, 0);
    CHECK_RGB(render_image_get(&im, 15, 10), k, 0);
    CHECK_RGB(render_image_get(&im, 15, 8), w, 0);
    CHECK_RGB(render_image_get(&im, 15, 11), w, 0);
    /* Clipping holds. */
    render_clip_set(&im, 0, 20, 40, 40);
    render_rect_fill(&im, 0, 0, 40, 40, (render_rgb){1, 2, 3}, 1);
    CHECK_RGB(render_image_get(&im, 3, 19), w, 0);
    CHECK_RGB(render_image_get(&im, 3, 20), ((render_rgb){1, 2, 3}), 0);
    render_clip_reset(&im);
    /* A marker stays within its size. */
    render_rect_fill(&im, 0, 0, 40, 40, w, 1);
    for (int kind = 1; kind < RENDER_MARK_COUNT; kind++) {
        render_rect_fill(&im, 0, 0, 40, 40, w, 1);
        render_marker(&im, kind, 20, 20, 12, (render_rgb){200, 0, 0}, k);
        int ink = 0, far = 0;
        for (int y = 0; y < 40; y++)
            for (int x = 0; x < 40; x++)
                if (!rgb_near(render_image_get(&im, x, y), w, 0)) {
                    ink++;
                    if (abs(x - 20) > 10 || abs(y - 20) > 10) far++;
                }
        CHECK_MSG(ink > 20 && far == 0, "marker %d: %d ink pixels, %d far", kind, ink, far);
    }
    render_image_free(&im);
    CHECK(render_image_init(&im, 0, 5, w) == NN_EINVAL);
}

/* Text comes from a real font: digits share a width so numbers line up,
 * widths grow with the size, markup takes no room of its own, and a
 * rotated label turns its box and reads from the bottom up. */
TEST(render_text_font)
{
    double w1, w8, h;
    render_text_size("1", 14, &w1, &h);
    render_text_size("8", 14, &w8, &h);
    CHECK(w1 > 4 && fabs(w1 - w8) < 1e-9 && h == 14);
    double a, b;
    render_text_size("0.25", 11, &a, &h);
    render_text_size("0.25", 22, &b, &h);
    CHECK(fabs(b - 2 * a) < 0.5);
    render_text_size("", 14, &a, &h);
    CHECK(a == 0);
    /* "λ_{max}": the subscript is smaller than the same letters on the line. */
    double plain, sub, lam;
    render_text_size("λmax", 14, &plain, &h);
    render_text_size("λ_{max}", 14, &sub, &h);
    render_text_size("λ", 14, &lam, &h);
    CHECK(sub < plain && sub > lam + 5);
    CHECK(render_scale_px(1) == RENDER_MIN_TEXT_PX && render_scale_px(2) > render_scale_px(1));

    render_image im;
    render_rgb k = {0, 0, 0};
    CHECK_OK(render_image_init(&im, 80, 80, (render_rgb){255, 255, 255}));
    render_text_size("Ly", 18, &a, &h);
    CHECK_OK(render_text_px(&im, 10, 5, "Ly", 18, RENDER_LEFT | RENDER_TOP, 90, k));
    int minx = 99, maxx = -1, miny = 99, maxy = -1;
    for (int y = 0; y < 80; y++)
        for (int x = 0; x < 80; x++)
            if (render_image_get(&im, x, y).r < 128) {
                minx = x < minx ? x : minx;
                maxx = x > maxx ? x : maxx;
                miny = y < miny ? y : miny;
                maxy = y > maxy ? y : maxy;
            }
    CHECK_MSG(minx >= 10 && maxx < 10 + h + 1 && miny >= 5 && maxy < 5 + a + 1 && maxx > minx + 8,
              "ink [%d,%d]x[%d,%d], box %gx%g", minx, maxx, miny, maxy, h, a);
    /* The L comes first, at the bottom: its stem is a long run of ink along y. */
    int stem = 0;
    for (int y = 5; y < 5 + (int)a; y++) stem += render_image_get(&im, maxx - 3, y).r < 128;
    int bottom = 0;
    for (int x = 10; x < 10 + (int)h; x++) bottom += render_image_get(&im, x, maxy - 1).r < 128;
    CHECK_MSG(bottom >= 8, "bottom row ink %d (the L's stem lies there)", bottom);
    (void)stem;
    CHECK(render_text(&im, 0, 0, "x", 5, 0, 0, k) == NN_EINVAL);
    CHECK(render_text(&im, 0, 0, "x", 1, 0, 45, k) == NN_EINVAL);
    render_image_free(&im);
}

TEST(render_colormaps)
{
    /* Published end points of the maps. */
    CHECK_RGB(render_cmap(RENDER_CMAP_VIRIDIS, 0), ((render_rgb){0x44, 0x01, 0x54}), 0);
    CHECK_RGB(render_cmap(RENDER_CMAP_VIRIDIS, 1), ((render_rgb){0xfd, 0xe7, 0x25}), 0);
    CHECK_RGB(render_cmap(RENDER_CMAP_VIRIDIS, 0.5), ((render_rgb){0x21, 0x91, 0x8c}), 2);
    CHECK_RGB(render_cmap(RENDER_CMAP_MAGMA, 1), ((render_rgb){0xfc, 0xfd, 0xbf}), 0);
    CHECK_RGB(render_cmap(RENDER_CMAP_INFERNO, 0.5), ((render_rgb){0xbc, 0x37, 0x54}), 2);
    CHECK_RGB(render_cmap(RENDER_CMAP_GRAY, 0.5), ((render_rgb){128, 128, 128}), 1);
    CHECK_RGB(render_cmap(RENDER_CMAP_PLASMA, NAN), render_cmap(RENDER_CMAP_PLASMA, 0), 0);
    /* Perceptual maps get lighter monotonically. */
    for (int m = 0; m < RENDER_CMAP_COUNT; m++) {
        double prev = -1;
        for (int k = 0; k <= 64; k++) {
            render_rgb c = render_cmap(m, k / 64.0);
            double l = 0.299 * c.r + 0.587 * c.g + 0.114 * c.b;
            CHECK_MSG(l >= prev - 1.5, "%s not monotone at %d", render_cmap_name(m), k);
            prev = l;
        }
    }
    int cm = -1;
    CHECK_OK(render_cmap_parse("Cividis", &cm));
    CHECK(cm == RENDER_CMAP_CIVIDIS);
    CHECK(render_cmap_parse("jet", &cm) == NN_EINVAL);
}

TEST(render_ticks_nice)
{
    double t[32], step;
    int n = render_ticks(0, 1, 5, t, 32, &step);
    CHECK(n == 6 && fabs(step - 0.2) < 1e-12 && t[0] == 0 && fabs(t[5] - 1) < 1e-12);
    n = render_ticks(-1, 1, 5, t, 32, &step);
    CHECK(n == 5 && step == 0.5 && t[2] == 0);
    n = render_ticks(0.13, 0.87, 5, t, 32, &step);
    CHECK(n == 4 && fabs(t[0] - 0.2) < 1e-12 && fabs(step - 0.2) < 1e-12);
    n = render_ticks(1200, 5300, 5, t, 32, &step);
    CHECK(step == 1000 && n == 4 && t[0] == 2000);
    /* Many ranges: the step is 1, 2 or 5 x 10^k, ticks stay inside and
     * their count is near the target. */
    uint64_t s = 12345;
    for (int trial = 0; trial < 2000; trial++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        double e = (int)((s >> 33) % 24) - 12.0;
        double lo = ((double)((s >> 11) & 0xffff) / 65536 - 0.5) * pow(10, e);
        double hi = lo + ((double)((s >> 27) & 0xffff) / 65536 + 0.01) * pow(10, e);
        n = render_ticks(lo, hi, 5, t, 32, &step);
        double m = step / pow(10, floor(log10(step) + 1e-9));
        CHECK_MSG(fabs(m - 1) < 1e-6 || fabs(m - 2) < 1e-6 || fabs(m - 5) < 1e-6,
                  "[%g, %g]: step %g", lo, hi, step);
        CHECK_MSG(n >= 3 && n <= 8, "[%g, %g]: %d ticks", lo, hi, n);
        for (int i = 0; i < n; i++)
            CHECK_MSG(t[i] >= lo - 1e-9 * step && t[i] <= hi + 1e-9 * step, "[%g, %g]: %g", lo, hi,
                      t[i]);
    }
}

TEST(render_tick_labels)
{
    char b[32];
    struct { double v, step; const char *want; } c[] = {
        {0.30000000000000004, 0.1, "0.3"}, {-1e-17, 0.2, "0.0"}, {1, 0.2, "1.0"},
        {2.5e-5, 5e-6, "2.5e-5"}, {1e-5, 5e-6, "1e-5"}, {-4e-6, 2e-6, "-4e-6"},
        {1.5e6, 5e5, "1.5e6"}, {-0.0, 1, "0"}, {1500, 500, "1500"}, {20, 5, "20"}, {0.05, 0.05, "0.05"},
        {0.001, 0, "0.001"}, {1e-5, 0, "1e-5"}, {1e6, 0, "1e6"}, {20, 0, "20"}, {0, 0, "0"},
        {2e-7, 0, "2e-7"},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        render_tick_label(c[i].v, c[i].step, b, sizeof b);
        CHECK_MSG(!strcmp(b, c[i].want), "label(%g, %g) = '%s', want '%s'", c[i].v, c[i].step, b,
                  c[i].want);
    }
}

TEST(render_ticks_log)
{
    double t[32], step;
    int n = render_ticks_log(1e-4, 77, 5, t, 32, &step);
    CHECK(n == 6 && step == 0 && fabs(t[0] - 1e-4) < 1e-18 && fabs(t[5] - 10) < 1e-12);
    n = render_ticks_log(1.8, 48, 5, t, 32, &step);
    CHECK(n == 4 && t[0] == 2 && t[1] == 5 && t[2] == 10 && t[3] == 20);
    n = render_ticks_log(1e-12, 1, 5, t, 32, &step);
    CHECK(n >= 3 && n <= 6 && step == 0);
    for (int i = 1; i < n; i++) CHECK(fabs(log10(t[i] / t[i - 1]) - log10(t[1] / t[0])) < 1e-9);
    n = render_ticks_log(3, 7, 5, t, 32, &step); /* under a decade: linear */
    CHECK(n >= 3 && step > 0 && t[0] >= 3 && t[n - 1] <= 7);
    CHECK(render_ticks_log(0, 1, 5, t, 32, &step) == 0);
}

TEST(render_contour_cone)
{
    /* z = sqrt(x^2 + y^2) on [-1,1]^2: each level set is a circle. */
    enum { N = 41 };
    static double z[N * N];
    for (int j = 0; j < N; j++)
        for (int i = 0; i < N; i++) {
            double x = -1 + 2.0 * i / (N - 1), y = -1 + 2.0 * j / (N - 1);
            z[j * N + i] = sqrt(x * x + y * y);
        }
    /* One pixel of a 400-px plot of this grid, in data units. */
    double pixel = 2.0 / 400;
    for (double level = 0.25; level < 0.95; level += 0.2) {
        render_seg *s = NULL;
        size_t n = 0;
        CHECK_OK(render_contour(z, N, N, level, &s, &n));
        CHECK(n > 20);
        int quadrant[4] = {0};
        double worst = 0;
        for (size_t k = 0; k < n; k++) {
            double p[2][2] = {{s[k].x0, s[k].y0}, {s[k].x1, s[k].y1}};
            for (int e = 0; e < 2; e++) {
                double x = -1 + 2.0 * p[e][0] / (N - 1), y = -1 + 2.0 * p[e][1] / (N - 1);
                worst = fmax(worst, fabs(hypot(x, y) - level));
                quadrant[(x >= 0) + 2 * (y >= 0)]++;
            }
        }
        CHECK_MSG(worst < pixel, "level %g: radius off by %g", level, worst);
        CHECK(quadrant[0] && quadrant[1] && quadrant[2] && quadrant[3]);
        free(s);
    }
    /* A saddle cell gives two segments; NaN cells give none. */
    double sad[4] = {1, 0, 0, 1};
    render_seg *s;
    size_t n;
    CHECK_OK(render_contour(sad, 2, 2, 0.5, &s, &n));
    CHECK(n == 2);
    free(s);
    sad[3] = NAN;
    CHECK_OK(render_contour(sad, 2, 2, 0.5, &s, &n));
    CHECK(n == 0 && s == NULL);
    CHECK(render_contour(sad, 1, 4, 0.5, &s, &n) == NN_EINVAL);
}

/* A heatmap written to PNG and read back; the caller frees *im. */
static void heatmap_roundtrip(const char *name, const double *z, int nx, int ny, double x0,
                              double x1, double y0, double y1, const render_heatmap_opts *o,
                              render_heatmap_info *info, render_image *im)
{
    const char *path = test_path(name);
    CHECK_OK(render_heatmap_png(path, z, nx, ny, x0, x1, y0, y1, o, info));
    CHECK_OK(render_png_read(path, im));
}

TEST(render_heatmap_orientation)
{
    /* z = y and z = x ramps: low color at the bottom and on the left. */
    enum { N = 21 };
    double zy[N * N], zx[N * N];
    for (int j = 0; j < N; j++)
        for (int i = 0; i < N; i++) {
            zy[j * N + i] = j;
            zx[j * N + i] = i;
        }
    render_heatmap_opts o = {0};
    o.ncontours = -1;
    o.no_min_marker = 1;
    o.title = "ramp";
    render_heatmap_info in;
    render_image im;
    heatmap_roundtrip("ramp_y.png", zy, N, N, -1, 1, -1, 1, &o, &in, &im);
    CHECK(im.w == 800 && im.h == 640);
    render_rgb lo = render_cmap(RENDER_CMAP_VIRIDIS, 0), hi = render_cmap(RENDER_CMAP_VIRIDIS, 1);
    CHECK_RGB(render_image_get(&im, in.plot_x0 + 1, in.plot_y1 - 1), lo, 6);
    CHECK_RGB(render_image_get(&im, in.plot_x1 - 2, in.plot_y1 - 1), lo, 6);
    CHECK_RGB(render_image_get(&im, in.plot_x0 + 1, in.plot_y0), hi, 6);
    CHECK_RGB(render_image_get(&im, (in.plot_x0 + in.plot_x1) / 2, (in.plot_y0 + in.plot_y1) / 2),
              render_cmap(RENDER_CMAP_VIRIDIS, 0.5), 6);
    CHECK(in.zmin == 0 && in.jmin == 0 && in.nnan == 0);
    CHECK(in.plot_x1 - in.plot_x0 == in.plot_y1 - in.plot_y0); /* square data, square plot */
    render_image_free(&im);
    heatmap_roundtrip("ramp_x.png", zx, N, N, -1, 1, -1, 1, &o, &in, &im);
    CHECK_RGB(render_image_get(&im, in.plot_x0, in.plot_y0 + 1), lo, 6);
    CHECK_RGB(render_image_get(&im, in.plot_x1 - 1, in.plot_y1 - 2), hi, 6);
    render_image_free(&im);
}

TEST(render_heatmap_colorbar_ends)
{
    double z[3 * 2] = {0.5, 1, 2, 3, 4, 5};
    for (int m = 0; m < RENDER_CMAP_COUNT; m++) {
        render_heatmap_opts o = {0};
        o.cmap = m;
        o.zlabel = "loss";
        render_heatmap_info in;
        render_image im;
        heatmap_roundtrip("cbar.png", z, 3, 2, 0, 1, 0, 1, &o, &in, &im);
        int cx = (in.cbar_x0 + in.cbar_x1) / 2;
        CHECK_RGB(render_image_get(&im, cx, in.cbar_y1 - 1), render_cmap(m, 0), 0);
        CHECK_RGB(render_image_get(&im, cx, in.cbar_y0), render_cmap(m, 1), 0);
        CHECK(in.vmin == 0.5 && in.vmax == 5);
        render_image_free(&im);
    }
}

TEST(render_heatmap_nan_and_min)
{
    /* (x - 0.3)^2 + (y + 0.4)^2 on [-1,1]^2 with the top-right corner not
     * computed yet. */
    enum { N = 21 };
    double z[N * N];
    for (int j = 0; j < N; j++)
        for (int i = 0; i < N; i++) {
            double x = -1 + 0.1 * i, y = -1 + 0.1 * j;
            z[j * N + i] = (j >= 15 && i >= 15) ? NAN : (x - 0.3) * (x - 0.3) + (y + 0.4) * (y + 0.4);
        }
    render_heatmap_opts o = {0};
    o.ncontours = -1;
    render_heatmap_info in;
    render_image im;
    heatmap_roundtrip("nan.png", z, N, N, -1, 1, -1, 1, &o, &in, &im);
    CHECK(in.nnan == 36 && in.imin == 13 && in.jmin == 6);
    CHECK(strstr(in.note, "36") != NULL);
    double pw = in.plot_x1 - in.plot_x0, ph = in.plot_y1 - in.plot_y0;
    /* Deep inside the missing corner: gray (r = g = b, mid-light). */
    render_rgb g = render_image_get(&im, in.plot_x1 - 10, in.plot_y0 + 10);
    CHECK_MSG(g.r == g.g && g.g == g.b && g.r > 150 && g.r < 210, "nan cell (%d,%d,%d)", g.r, g.g,
              g.b);
    /* The star: white pixels centred on (0.3, -0.4). */
    double ex = in.plot_x0 + (0.3 + 1) / 2 * pw, ey = in.plot_y1 - (-0.4 + 1) / 2 * ph;
    double sx = 0, sy = 0;
    int n = 0;
    /* Near it only: the legend shows a star too, saying what this one is. */
    for (int y = (int)ey - 20; y < (int)ey + 20; y++)
        for (int x = (int)ex - 20; x < (int)ex + 20; x++) {
            render_rgb c = render_image_get(&im, x, y);
            if (c.r == 255 && c.g == 255 && c.b == 255) sx += x + 0.5, sy += y + 0.5, n++;
        }
    CHECK(n > 30);
    if (n) {
        CHECK_NEAR(sx / n, ex, 2.5);
        CHECK_NEAR(sy / n, ey, 3.5); /* a star's centroid sits a little low */
    }
    render_image_free(&im);
}

TEST(render_heatmap_log_scale)
{
    /* z = 10^(3y) for y in [-1, 1]: on a log scale the middle row is the
     * middle color; on a linear one it would be near the bottom color. */
    enum { N = 11 };
    double z[N * N];
    for (int j = 0; j < N; j++)
        for (int i = 0; i < N; i++) z[j * N + i] = pow(10, 3 * (-1 + 0.2 * j));
    z[0] = 0;   /* no logarithm: clamped */
    z[1] = -2;
    render_heatmap_opts o = {0};
    o.log_scale = 1;
    o.ncontours = 4;
    render_heatmap_info in;
    render_image im;
    heatmap_roundtrip("log.png", z, N, N, -1, 1, -1, 1, &o, &in, &im);
    CHECK(in.nclamped == 2);
    CHECK(in.log_floor == 1e-3 && in.vmin == 1e-3);
    CHECK_NEAR(in.vmax, 1000, 1e-9);
    CHECK(strstr(in.note, "<= 0") != NULL);
    CHECK(in.nlevels == 4);
    int mx = in.plot_x0 + (in.plot_x1 - in.plot_x0) * 3 / 4;
    CHECK_RGB(render_image_get(&im, mx, (in.plot_y0 + in.plot_y1) / 2),
              render_cmap(RENDER_CMAP_VIRIDIS, 0.5), 8);
    CHECK_RGB(render_image_get(&im, in.plot_x0, in.plot_y1 - 1), render_cmap(RENDER_CMAP_VIRIDIS, 0), 6);
    render_image_free(&im);
    /* A fixed range shared between surfaces: [0, 2] colors values in [0, 1]
     * with the lower half of the map. */
    double flat[4] = {0, 0, 1, 1};
    render_heatmap_opts f = {0};
    f.vmin = 0;
    f.vmax = 2;
    f.ncontours = -1;
    f.no_min_marker = 1;
    heatmap_roundtrip("fixed.png", flat, 2, 2, 0, 1, 0, 1, &f, &in, &im);
    CHECK(in.vmin == 0 && in.vmax == 2);
    CHECK_RGB(render_image_get(&im, in.plot_x0 + 3, in.plot_y0), render_cmap(0, 0.5), 8);
    render_image_free(&im);
}

TEST(render_heatmap_overlays_and_errors)
{
    enum { N = 9 };
    double z[N * N];
    for (int k = 0; k < N * N; k++) z[k] = (k % N - 4) * (k % N - 4) + (k / N - 4) * (k / N - 4);
    double traj[3][2] = {{-0.8, 0.8}, {-0.3, 0.2}, {0, 0}};
    render_path path = {&traj[0][0], 3, "SGD", RENDER_HEX(0xff0000)};
    render_mark mk = {0.5, -0.5, RENDER_MARK_TRIANGLE, "saddle", RENDER_HEX(0x00ff00)};
    render_heatmap_opts o = {0};
    o.paths = &path;
    o.npaths = 1;
    o.marks = &mk;
    o.nmarks = 1;
    o.no_min_marker = 1;
    o.width = 400;
    o.height = 300;
    render_heatmap_info in;
    render_image im;
    heatmap_roundtrip("overlay.png", z, N, N, -1, 1, -1, 1, &o, &in, &im);
    CHECK(im.w == 400 && im.h == 300);
    double pw = in.plot_x1 - in.plot_x0, ph = in.plot_y1 - in.plot_y0;
    /* The path's middle point and the mark carry their colors. */
    int px = (int)(in.plot_x0 + (-0.55 + 1) / 2 * pw), py = (int)(in.plot_y1 - (0.5 + 1) / 2 * ph);
    int red = 0, green = 0;
    for (int dy = -3; dy <= 3; dy++)
        for (int dx = -3; dx <= 3; dx++) {
            render_rgb c = render_image_get(&im, px + dx, py + dy);
            red += c.r > 200 && c.g < 60 && c.b < 60;
        }
    int mx = (int)(in.plot_x0 + 0.75 * pw), my = (int)(in.plot_y1 - 0.25 * ph);
    for (int dy = -3; dy <= 3; dy++)
        for (int dx = -3; dx <= 3; dx++) {
            render_rgb c = render_image_get(&im, mx + dx, my + dy);
            green += c.g > 200 && c.r < 60 && c.b < 60;
        }
    CHECK(red > 3 && green > 10);
    render_image_free(&im);

    CHECK(render_heatmap(&im, z, 1, N, -1, 1, -1, 1, NULL, NULL) == NN_EINVAL);
    CHECK(render_heatmap(&im, z, N, N, -1, -1, -1, 1, NULL, NULL) == NN_EINVAL);
    CHECK(render_heatmap(&im, z, N, N, -1, 1, NAN, 1, NULL, NULL) == NN_EINVAL);
    o.cmap = 99;
    CHECK(render_heatmap(&im, z, N, N, -1, 1, -1, 1, &o, NULL) == NN_EINVAL);
    o.cmap = 0;
    o.paths = NULL;
    CHECK(render_heatmap(&im, z, N, N, -1, 1, -1, 1, &o, NULL) == NN_EINVAL);
    CHECK(im.px == NULL);
    /* Every cell missing still draws (all gray), and a flat surface too. */
    double nan4[4] = {NAN, NAN, NAN, NAN}, flat4[4] = {2, 2, 2, 2};
    CHECK_OK(render_heatmap(&im, nan4, 2, 2, 0, 1, 0, 1, NULL, &in));
    CHECK(in.nnan == 4 && isnan(in.zmin));
    render_image_free(&im);
    CHECK_OK(render_heatmap(&im, flat4, 2, 2, 0, 1, 0, 1, NULL, &in));
    CHECK(in.vmin < 2 && in.vmax > 2);
    render_image_free(&im);
}

TEST(render_lineplot_panels)
{
    enum { E = 50 };
    double x[E], a[E], b[E], acc[E];
    for (int k = 0; k < E; k++) {
        x[k] = k;
        a[k] = (double)k / (E - 1);      /* rises to the top right */
        b[k] = 0.5 + 0.0 * k;
        acc[k] = k < 10 ? NAN : 0.9;     /* NaN breaks the line */
    }
    render_series s[3] = {
        {x, a, E, "rising", 0, 0, 0, 0, 0},
        {x, b, E, "flat", RENDER_HEX(0x000000), 0, RENDER_MARK_DOT, 1, 0},
        {x, acc, E, "rising", 0, 1, 0, 0, 0},
    };
    render_refline r = {0, 0.25, "quarter", 0, 0};
    render_lineplot_opts o = {0};
    o.series = s;
    o.nseries = 3;
    o.refs = &r;
    o.nrefs = 1;
    o.title = "test";
    o.xlabel = "step";
    o.ylabel = "value";
    o.ylabel2 = "acc";
    render_lineplot_info in;
    const char *path = test_path("lines.png");
    CHECK_OK(render_lineplot_png(path, &o, &in));
    render_image im;
    CHECK_OK(render_png_read(path, &im));
    CHECK(im.w == 800 && im.h == 520);
    CHECK(in.npanels == 2);
    CHECK(in.panel_y1[0] < in.panel_y0[1]);
    CHECK(in.panel_y1[1] - in.panel_y0[1] < in.panel_y1[0] - in.panel_y0[0]);
    /* The rising line reaches the top right, so the legend avoids that
     * corner; the repeated label needs no second legend. */
    CHECK(in.legend_x1[0] > in.legend_x0[0]);
    CHECK(!(in.legend_x1[0] > in.plot_x1 - 30 && in.legend_y0[0] < in.panel_y0[0] + 30));
    CHECK(in.legend_x1[1] == in.legend_x0[1]);
    /* The rising series is palette color 0 in both panels. */
    render_rgb c0 = render_palette(0);
    int hits = 0;
    /* (37, 37/49) lies on the rising line, away from the flat one. */
    int x37 = (int)(in.plot_x0 + (37 - in.xlo) / (in.xhi - in.xlo) * (in.plot_x1 - in.plot_x0));
    double y37 = in.panel_y1[0] - (37.0 / 49 - in.ylo[0]) / (in.yhi[0] - in.ylo[0]) *
                                      (in.panel_y1[0] - in.panel_y0[0]);
    for (int dy = -3; dy <= 3; dy++)
        hits += rgb_near(render_image_get(&im, x37, (int)y37 + dy), c0, 30);
    CHECK(hits >= 1);
    double y09 = in.panel_y1[1] - (0.9 - in.ylo[1]) / (in.yhi[1] - in.ylo[1]) * (in.panel_y1[1] - in.panel_y0[1]);
    hits = 0;
    for (int dy = -3; dy <= 3; dy++)
        hits += rgb_near(render_image_get(&im, in.plot_x1 - 20, (int)y09 + dy), c0, 30);
    CHECK(hits >= 1);
    /* y range covers the data and the reference line, padded. */
    CHECK(in.ylo[0] < 0 && in.yhi[0] > 1);
    render_image_free(&im);

    /* Log y with values <= 0 and a fixed range; too small a picture. */
    o.logy = 1;
    o.ymin = 1e-3;
    o.ymax = 10;
    CHECK_OK(render_lineplot(&im, &o, &in));
    CHECK(in.ylo[0] == 1e-3 && in.yhi[0] == 10);
    render_image_free(&im);
    o.width = 60;
    o.height = 40;
    CHECK(render_lineplot(&im, &o, &in) == NN_EINVAL);
    CHECK(render_lineplot(&im, NULL, NULL) == NN_EINVAL);
}

TEST(render_survives_wild_coordinates)
{
    /* Points far off the picture, infinities and NaNs draw what they can
     * and never overflow an int (UBSan watches this test). */
    render_image im;
    CHECK_OK(render_image_init(&im, 50, 50, (render_rgb){255, 255, 255}));
    render_line(&im, -1e300, 5, 1e300, 5, 2, (render_rgb){0, 0, 0}, 1);
    CHECK(render_image_get(&im, 25, 4).r == 0);
    render_line(&im, NAN, 5, 3, 5, 2, (render_rgb){0, 0, 0}, 1);
    render_disc(&im, 1e308, 1e308, 5, (render_rgb){0, 0, 0}, 1);
    render_marker(&im, RENDER_MARK_STAR, -1e300, 3, 10, (render_rgb){0, 0, 0}, (render_rgb){0, 0, 0});
    double poly[6] = {0, 0, 1e300, 0, 0, 1e300};
    render_polygon_fill(&im, poly, 3, (render_rgb){9, 9, 9}, 1);
    double pl[6] = {10, 10, INFINITY, 20, 1e200, -1e200};
    CHECK_OK(render_polyline(&im, pl, 3, 1.5, (render_rgb){0, 0, 0}, 0.5, 4));
    CHECK_OK(render_text(&im, 1e300, NAN, "x", 1, 0, 0, (render_rgb){0, 0, 0}));
    render_image_free(&im);

    enum { N = 5 };
    double z[N * N];
    for (int k = 0; k < N * N; k++) z[k] = k;
    z[7] = INFINITY;
    z[8] = -INFINITY;
    double far[2][2] = {{-1e300, 1e300}, {0.5, 0.5}};
    render_path path = {&far[0][0], 2, "far", 0};
    render_mark mk = {1e300, -1e300, 0, "nowhere", 0};
    render_heatmap_opts o = {0};
    o.paths = &path;
    o.npaths = 1;
    o.marks = &mk;
    o.nmarks = 1;
    render_heatmap_info in;
    CHECK_OK(render_heatmap(&im, z, N, N, 0, 1, 0, 1, &o, &in));
    CHECK(in.vmin == 0 && in.vmax == 24);
    render_image_free(&im);

    double x[3] = {0, 1, 2}, y[3] = {1e300, -1e300, 1};
    render_series s = {x, y, 3, "wild", 0, 0, RENDER_MARK_CROSS, 0, 0};
    render_refline r[2] = {{1, 1e300, "far", 0, 0}, {0, -1e300, "far", 0, 0}};
    render_lineplot_opts lo = {0};
    lo.series = &s;
    lo.nseries = 1;
    lo.refs = r;
    lo.nrefs = 2;
    lo.ymin = 0;
    lo.ymax = 2;
    CHECK_OK(render_lineplot(&im, &lo, NULL));
    render_image_free(&im);
}

/* Dashed polylines always finish: on long segments the dash phase picked
 * up rounding until a remainder below one ulp of the position was left, and
 * the walk stopped moving (seen drawing λmax curves; a search found such
 * dash lengths in the first try). An alarm turns a hang into a failure. */
TEST(render_dashed_polylines_terminate)
{
    render_image im;
    CHECK_OK(render_image_init(&im, 800, 520, render_rgb_hex(0xffffff)));
    alarm(30);
    for (int trial = 0; trial < 200; trial++) {
        double dash = 0.5 + 10.0 * rng_uniform(3, 1, (uint64_t)trial);
        double xy[12];
        for (int i = 0; i < 6; i++) {
            xy[2 * i] = 10 + 780 * rng_uniform(3, 2, (uint64_t)(trial * 12 + 2 * i));
            xy[2 * i + 1] = 10 + 500 * rng_uniform(3, 2, (uint64_t)(trial * 12 + 2 * i + 1));
        }
        CHECK_OK(render_polyline(&im, xy, 6, 1.5, render_rgb_hex(0x0072b2), 1.0, dash));
    }
    alarm(0);
    int dark = 0;
    for (int y = 0; y < im.h; y++)
        for (int x = 0; x < im.w; x++) dark += render_image_get(&im, x, y).r < 128;
    CHECK(dark > 1000);
    render_image_free(&im);
}

/* A map of one value says so in words instead of showing a plain square. */
TEST(render_heatmap_flat_note)
{
    double z[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    render_heatmap_opts o = {0};
    o.cmap = RENDER_CMAP_GRAY;
    o.ncontours = -1;
    o.no_min_marker = 1;
    for (int pass = 0; pass < 2; pass++) {
        render_image im;
        render_heatmap_info in;
        o.flat_note = pass ? "every point is non-convex" : NULL;
        CHECK_OK(render_heatmap(&im, z, 3, 3, 0, 1, 0, 1, &o, &in));
        int cx = (in.plot_x0 + in.plot_x1) / 2, cy = (in.plot_y0 + in.plot_y1) / 2, white = 0, dark = 0;
        for (int y = cy - 10; y < cy + 10; y++)
            for (int x = cx - 100; x < cx + 100; x++) {
                render_rgb c = render_image_get(&im, x, y);
                white += c.r > 235;
                dark += c.r < 60;
            }
        if (pass) CHECK_MSG(white > 1000 && dark > 50, "white %d, dark %d", white, dark);
        else CHECK_MSG(white == 0, "white %d without a note", white);
        render_image_free(&im);
    }
    /* A map with two values draws its colors, no note. */
    z[4] = 0;
    render_image im;
    render_heatmap_info in;
    CHECK_OK(render_heatmap(&im, z, 3, 3, 0, 1, 0, 1, &o, &in));
    render_rgb c = render_image_get(&im, (in.plot_x0 + in.plot_x1) / 2 - 60, (in.plot_y0 + in.plot_y1) / 2);
    CHECK(c.r < 235);
    render_image_free(&im);
}

/* Crowded labels each find a free spot: no two label boxes meet, and
 * text stays at least RENDER_MIN_TEXT_PX even on a small picture. */
TEST(render_heatmap_labels_do_not_collide)
{
    double z[9] = {0, 1, 2, 1, 2, 3, 2, 3, 4};
    render_mark mk[6];
    const char *names[6] = {"saddle 2.23", "min 2.1", "max 2.5", "saddle 0.544", "min -0.215",
                            "saddle 0"};
    for (int k = 0; k < 6; k++)
        mk[k] = (render_mark){0.45 + 0.03 * (k % 3), 0.45 + 0.04 * (k / 3), RENDER_MARK_CROSS,
                              names[k], 0};
    render_heatmap_opts o = {0};
    o.width = 420;
    o.height = 340;
    o.marks = mk;
    o.nmarks = 6;
    render_image im;
    render_heatmap_info in;
    CHECK_OK(render_heatmap(&im, z, 3, 3, 0, 1, 0, 1, &o, &in));
    CHECK(in.nlabels == 6);
    for (int a = 0; a < in.nlabels; a++) {
        const int *p = in.label_box[a];
        CHECK_MSG(p[3] - p[1] >= RENDER_MIN_TEXT_PX, "label %d is %d px tall", a, p[3] - p[1]);
        for (int b = a + 1; b < in.nlabels; b++) {
            const int *q = in.label_box[b];
            CHECK_MSG(!(p[0] < q[2] && q[0] < p[2] && p[1] < q[3] && q[1] < p[3]),
                      "labels %d and %d overlap", a, b);
        }
    }
    render_image_free(&im);
}

/* The trained model is marked at the origin when the caller names it. */
TEST(render_heatmap_origin_marker)
{
    double z[9] = {4, 3, 4, 3, 2, 3, 4, 3, 4};
    render_heatmap_opts o = {0};
    o.ncontours = -1;
    o.no_min_marker = 1;
    for (int pass = 0; pass < 2; pass++) {
        render_image im;
        render_heatmap_info in;
        o.origin_label = pass ? "trained model" : NULL;
        /* x in [-1, 3]: the origin is a quarter of the way across. */
        CHECK_OK(render_heatmap(&im, z, 3, 3, -1, 3, -1, 1, &o, &in));
        int ox = in.plot_x0 + (in.plot_x1 - in.plot_x0) / 4, oy = (in.plot_y0 + in.plot_y1) / 2;
        int white = 0;
        for (int y = oy - 3; y <= oy + 3; y++) white += render_image_get(&im, ox, y).r > 230;
        if (pass) CHECK_MSG(white >= 4, "white %d at the origin", white);
        else CHECK_MSG(white == 0, "white %d without the marker", white);
        render_image_free(&im);
    }
}

/* A scatter (width < 0) draws its markers and no line between them. */
TEST(render_lineplot_scatter_has_no_line)
{
    double x[2] = {0, 1}, y[2] = {0, 1};
    for (int pass = 0; pass < 2; pass++) {
        render_series s = {x, y, 2, "points", RENDER_HEX(0x0072b2), 0, RENDER_MARK_DOT, 0,
                           pass ? -1 : 0};
        render_lineplot_opts o = {0};
        o.series = &s;
        o.nseries = 1;
        o.no_legend = 1;
        o.xmin = -0.1, o.xmax = 1.1, o.ymin = -0.1, o.ymax = 1.1;
        render_image im;
        render_lineplot_info in;
        CHECK_OK(render_lineplot(&im, &o, &in));
        /* The middle of the segment, where only a line would be. */
        int mx = (in.plot_x0 + in.plot_x1) / 2, my = (in.panel_y0[0] + in.panel_y1[0]) / 2, blue = 0;
        for (int dy = -3; dy <= 3; dy++)
            for (int dx = -3; dx <= 3; dx++) {
                render_rgb c = render_image_get(&im, mx + dx, my + dy);
                blue += c.b > 150 && c.r < 100;
            }
        if (pass) CHECK_MSG(blue == 0, "scatter: %d line pixels", blue);
        else CHECK_MSG(blue > 0, "line: %d line pixels", blue);
        render_image_free(&im);
    }
}
