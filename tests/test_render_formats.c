/* Pictures in every format and at every size: a PDF that poppler renders
 * to a picture with ink on it, an SVG that parses, --size and --dpi giving
 * the pixels asked for, and bad picture options refused before any work. */
#include "test.h"
#include "../datasets/status.h"
#include "../probes/npy.h"
#include "../probes/render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A 9x7 bowl saved as a surface result: the sidecar and its .npy. */
static const char *bowl_result(void)
{
    static char json[4096];
    enum { NX = 9, NY = 7 };
    double z[NX * NY];
    for (int j = 0; j < NY; j++)
        for (int i = 0; i < NX; i++) {
            double x = -1 + 2.0 * i / (NX - 1), y = -1 + 2.0 * j / (NY - 1);
            z[j * NX + i] = 0.5 + x * x + 2 * y * y;
        }
    size_t sh[2] = {NY, NX};
    char npy[4096];
    snprintf(npy, sizeof npy, "%s", test_path("bowl.npy"));
    if (npy_write_f64(npy, z, 2, sh)) return NULL;
    snprintf(json, sizeof json, "%s", test_path("bowl.json"));
    FILE *f = fopen(json, "w");
    if (!f) return NULL;
    fprintf(f, "{\"command\": \"surface\", \"name\": \"bowl\", \"title\": \"a bowl\","
               " \"grid\": {\"nx\": %d, \"ny\": %d, \"x0\": -1, \"x1\": 1, \"y0\": -1, \"y1\": 1}}\n",
            NX, NY);
    fclose(f);
    return json;
}

/* Width and height from a PNG's header. */
static int png_size(const char *path, int *w, int *h)
{
    render_image im;
    if (render_png_read(path, &im)) return -1;
    *w = im.w;
    *h = im.h;
    render_image_free(&im);
    return 0;
}

static int have(const char *tool)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", tool);
    return system(cmd) == 0;
}

static const double Z[4] = {0, 1, 2, 3};

TEST(render_pdf_renders_with_poppler)
{
    char pdf[4096], cmd[9000], png[4096];
    snprintf(pdf, sizeof pdf, "%s", test_path("bowl.pdf"));
    render_target t = {RENDER_PDF, 0};
    render_heatmap_opts o = {0};
    o.title = "λ_{max} over a plane";
    CHECK_OK(render_heatmap_write(pdf, &t, Z, 2, 2, 0, 1, 0, 1, &o, NULL));
    FILE *f = fopen(pdf, "rb");
    char head[5] = {0};
    CHECK(f && fread(head, 1, 4, f) == 4 && !memcmp(head, "%PDF", 4));
    if (f) fclose(f);
    if (!have("pdftoppm")) return; /* make test installs poppler-utils */
    snprintf(png, sizeof png, "%s", test_path("bowl-pdf"));
    snprintf(cmd, sizeof cmd, "pdftoppm -png -r 96 -singlefile '%s' '%s'", pdf, png);
    CHECK(system(cmd) == 0);
    strcat(png, ".png");
    render_image im;
    CHECK_OK(render_png_read(png, &im));
    /* 800 x 640 px at 0.75 pt per px, back at 96 dpi: the same size, and
     * the color field's low corner (dark viridis) somewhere on it. */
    CHECK_MSG(abs(im.w - 800) <= 1 && abs(im.h - 640) <= 1, "%dx%d", im.w, im.h);
    int dark = 0, white = 0;
    for (int y = 0; y < im.h; y += 2)
        for (int x = 0; x < im.w; x += 2) {
            render_rgb c = render_image_get(&im, x, y);
            dark += c.r < 90 && c.g < 60 && c.b > 60;
            white += c.r > 250 && c.g > 250 && c.b > 250;
        }
    CHECK_MSG(dark > 500 && white > 10000, "dark %d, white %d", dark, white);
    render_image_free(&im);
}

TEST(render_svg_parses)
{
    char svg[4096], cmd[9000];
    snprintf(svg, sizeof svg, "%s", test_path("lines.svg"));
    double y[3] = {3, 1, 2};
    render_series s = {NULL, y, 3, "loss", 0, 0, RENDER_MARK_DOT, 0, 0};
    render_lineplot_opts o = {0};
    o.series = &s;
    o.nseries = 1;
    o.title = "η and ‖θ‖";
    render_target t = {RENDER_SVG, 0};
    CHECK_OK(render_lineplot_write(svg, &t, &o, NULL));
    FILE *f = fopen(svg, "rb");
    char buf[512] = {0};
    CHECK(f && fread(buf, 1, sizeof buf - 1, f) > 0 && strstr(buf, "<svg"));
    if (f) fclose(f);
    if (!have("xmllint")) return; /* make test installs libxml2-utils */
    snprintf(cmd, sizeof cmd, "xmllint --noout '%s'", svg);
    CHECK(system(cmd) == 0);
}

TEST(render_size_and_dpi)
{
    render_image im;
    render_heatmap_opts o = {0};
    o.width = 500;
    o.height = 400;
    render_target t = {RENDER_PNG, 192};
    CHECK_OK(render_heatmap_as(&im, &t, Z, 2, 2, 0, 1, 0, 1, &o, NULL));
    CHECK(im.w == 500 && im.h == 400 && im.pw == 1000 && im.ph == 800);
    render_image_free(&im);
    t.format = RENDER_SVG;
    CHECK_OK(render_heatmap_as(&im, &t, Z, 2, 2, 0, 1, 0, 1, &o, NULL));
    CHECK(im.px == NULL && im.w == 500);
    render_image_free(&im);
    int f;
    CHECK(render_format_parse("gif", &f) == NN_EINVAL);
    CHECK(render_format_parse("pdf", &f) == NN_OK && f == RENDER_PDF);
    CHECK(!strcmp(render_format_ext(RENDER_SVG), "svg"));
}

TEST(render_cli_picture_options)
{
    const char *json = bowl_result(), *out;
    CHECK(json != NULL);
    if (!json) return;
    char args[9000], path[4096];
    int w = 0, h = 0;
    snprintf(args, sizeof args, "render %s --size 600x450 --png %s", json, test_path("s.png"));
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    CHECK(png_size(test_path("s.png"), &w, &h) == 0 && w == 600 && h == 450);
    snprintf(args, sizeof args, "render %s --size 600x450 --dpi 192 --png %s", json,
             test_path("d.png"));
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    CHECK_MSG(png_size(test_path("d.png"), &w, &h) == 0 && w == 1200 && h == 900, "%dx%d", w, h);
    /* --format names the file's extension. */
    snprintf(args, sizeof args, "render %s --format svg --vmin 0 --vmax 4 --title 'a λ_{max} map'",
             json);
    CHECK_MSG(test_saddle(args, &out) == 0 && strstr(out, "bowl.svg"), "%s", out);
    snprintf(path, sizeof path, "%s", test_path("bowl.svg"));
    CHECK(access(path, F_OK) == 0);
    /* Refused before anything is read or written: the result need not exist. */
    snprintf(args, sizeof args, "render %s --vmin 2 --vmax 1", test_path("none.json"));
    CHECK_MSG(test_saddle(args, &out) == 2 && strstr(out, "--vmin"), "%s", out);
    snprintf(args, sizeof args, "render %s --format gif", test_path("none.json"));
    CHECK_MSG(test_saddle(args, &out) == 2 && strstr(out, "png, svg or pdf"), "%s", out);
    snprintf(args, sizeof args, "render %s --size 10x10", test_path("none.json"));
    CHECK_MSG(test_saddle(args, &out) == 2, "%s", out);
    snprintf(args, sizeof args, "plot %s --format tiff", test_path("none"));
    CHECK_MSG(test_saddle(args, &out) == 2 && strstr(out, "--format"), "%s", out);
}
