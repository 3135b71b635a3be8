/* Labels the figures place beside lines and points: never on top of each
 * other, of a legend, or of a plotted curve, in deliberately crowded
 * pictures. */
#include "test.h"

#include <stdlib.h>
#include <sys/stat.h>

#include "../probes/render.h"

static int boxes_hit(const int *a, const int *b)
{
    return a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];
}

/* Curve (xs, ys) [n] of panel 0 sampled finely in pixels: any sample
 * inside box b? */
static int curve_in_box(const render_lineplot_info *in, const double *xs, const double *ys, int n,
                        const int *b)
{
    for (int i = 0; i + 1 < n; i++)
        for (int q = 0; q < 50; q++) {
            double x = xs[i] + (xs[i + 1] - xs[i]) * q / 50, y = ys[i] + (ys[i + 1] - ys[i]) * q / 50;
            double px = in->plot_x0 + (x - in->xlo) / (in->xhi - in->xlo) * (in->plot_x1 - in->plot_x0);
            double py = in->panel_y1[0] - (y - in->ylo[0]) / (in->yhi[0] - in->ylo[0]) *
                                              (in->panel_y1[0] - in->panel_y0[0]);
            if (px >= b[0] && px < b[2] && py >= b[1] && py < b[3]) return 1;
        }
    return 0;
}

/* Five reference lines a few pixels apart (the EoS picture's 2/η next to
 * other limits), a vertical one, a curve crossing them and a legend: every
 * label is placed, and none touches another, the legend or the curve. */
TEST(render_lineplot_ref_labels_apart)
{
    double x[3] = {0, 7, 10}, y[3] = {3, 1.2, 0};
    render_series s = {x, y, 3, "λ_{max}", 0, 0, 0, 0, 0};
    render_refline r[6] = {
        {0, 0.96, "a lower one", 0, 0},
        {0, 1.00, "stability limit 2/η", 0, 0},
        {0, 1.04, "another limit", 0, 0},
        {0, 1.08, "a third one", 0, 0},
        {0, 1.12, "a fifth", 0, 0},
        {1, 5.0, "warm-up ends", 0, 0},
    };
    render_lineplot_opts o = {0};
    o.series = &s;
    o.nseries = 1;
    o.refs = r;
    o.nrefs = 6;
    o.title = "crowded";
    render_image im;
    render_lineplot_info in;
    CHECK_OK(render_lineplot(&im, &o, &in));
    render_image_free(&im);
    CHECK_MSG(in.nlabels == 6, "%d of 6 labels placed", in.nlabels);
    int leg[4] = {in.legend_x0[0], in.legend_y0[0], in.legend_x1[0], in.legend_y1[0]};
    CHECK(leg[2] > leg[0]);
    for (int a = 0; a < in.nlabels; a++) {
        CHECK_MSG(!boxes_hit(in.label_box[a], leg), "label %d on the legend", a);
        CHECK_MSG(!curve_in_box(&in, x, y, 3, in.label_box[a]), "label %d on the curve", a);
        CHECK(in.label_box[a][0] >= in.plot_x0 && in.label_box[a][2] <= in.plot_x1);
        for (int b = 0; b < a; b++)
            CHECK_MSG(!boxes_hit(in.label_box[a], in.label_box[b]), "labels %d and %d overlap", a, b);
    }
}

/* The plane through three checkpoints: A, B, C beside their diamonds, a
 * path running just right of A and the grid minimum right of B. No label
 * lands on another, on a marker, on the + or the star, or on the path. */
TEST(render_heatmap_mark_labels_avoid_path_and_markers)
{
    enum { N = 41 };
    double z[N * N];
    double x0 = -0.25, x1 = 1.25;
    for (int j = 0; j < N; j++)
        for (int i = 0; i < N; i++) {
            double x = x0 + (x1 - x0) * i / (N - 1), y = x0 + (x1 - x0) * j / (N - 1);
            z[j * N + i] = (x - 1.0375) * (x - 1.0375) + y * y; /* minimum just right of B */
        }
    double path[4] = {0.04, -0.2, 0.04, 1.2}; /* vertical, right beside A and C */
    render_path rp = {path, 2, "path", 0};
    render_mark m[3] = {{0, 0, 0, "A", 0}, {1, 0, 0, "B", 0}, {0, 1, 0, "C", 0}};
    render_heatmap_opts o = {0};
    o.marks = m;
    o.nmarks = 3;
    o.paths = &rp;
    o.npaths = 1;
    o.origin_label = "trained model (origin)";
    render_image im;
    render_heatmap_info in;
    CHECK_OK(render_heatmap(&im, z, N, N, x0, x1, x0, x1, &o, &in));
    render_image_free(&im);
    CHECK(in.nlabels == 3);
    double sx = (in.plot_x1 - in.plot_x0) / (x1 - x0), sy = (in.plot_y1 - in.plot_y0) / (x1 - x0);
#define PX(x) (in.plot_x0 + ((x) - x0) * sx)
#define PY(y) (in.plot_y1 - ((y) - x0) * sy)
    for (int a = 0; a < in.nlabels; a++) {
        const int *b = in.label_box[a];
        for (int k = 0; k < 3; k++) {
            int mb[4] = {(int)PX(m[k].x) - 6, (int)PY(m[k].y) - 6, (int)PX(m[k].x) + 6, (int)PY(m[k].y) + 6};
            CHECK_MSG(!boxes_hit(b, mb), "label %d on mark %d", a, k);
        }
        double gx = x0 + (x1 - x0) * in.imin / (N - 1), gy = x0 + (x1 - x0) * in.jmin / (N - 1);
        int sb[4] = {(int)PX(gx) - 9, (int)PY(gy) - 9, (int)PX(gx) + 9, (int)PY(gy) + 9};
        CHECK_MSG(!boxes_hit(b, sb), "label %d on the grid minimum's star", a);
        for (int q = 0; q <= 200; q++) {
            double px = PX(path[0]), py = PY(path[1] + (path[3] - path[1]) * q / 200);
            CHECK_MSG(!(px >= b[0] - 1 && px < b[2] + 1 && py >= b[1] && py < b[3]), "label %d on the path", a);
            if (px >= b[0] - 1 && px < b[2] + 1 && py >= b[1] && py < b[3]) break;
        }
        for (int c = 0; c < a; c++) CHECK(!boxes_hit(b, in.label_box[c]));
    }
#undef PX
#undef PY
}

/* The barrier matrix of a config with a long path: its title wraps onto
 * more lines instead of running off both sides of the picture. */
TEST(restarts_matrix_title_wraps)
{
    char cfg[600], dir[600], args[2048], p[700];
    const char *out;
    snprintf(dir, sizeof dir, "%s", test_path("wrap-restarts"));
    snprintf(cfg, sizeof cfg, "%s", test_path("spirals-with-a-rather-long-name-for-this-study.ini"));
    size_t len;
    uint8_t *ini = test_read_file("configs/spirals.ini", &len);
    CHECK(ini && test_write_file(cfg, ini, len) == 0);
    free(ini);
    snprintf(args, sizeof args,
             "restarts %s --seeds 2 --set train.epochs=1 --set train.snapshot_every=0 "
             "--set data.synth_n=200 --set data.synth_test_n=50 --grid 5 --limit 50 --threads 1 --out %s",
             cfg, dir);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    snprintf(p, sizeof p, "%s/barriers.png", dir);
    render_image im;
    CHECK_OK(render_png_read(p, &im));
    int inked = 0;
    for (int y = 0; y < im.h; y++)
        for (int x = 0; x < im.w; x += (x == 1 ? im.w - 3 : 1)) {
            render_rgb c = render_image_get(&im, x, y);
            inked += c.r + c.g + c.b < 600;
        }
    CHECK_MSG(!inked, "%d pixels of text at the picture's left and right edges", inked);
    render_image_free(&im);
}

/* Slices of several runs overlaid: the legend names each run by its
 * directory (as the study's sb-s1), not by the whole path to it. */
TEST(surface_overlay_legend_names_runs)
{
    char a[600], b[600], out[600], args[4096], p[700];
    const char *txt;
    snprintf(a, sizeof a, "%s", test_run("lab-sb-s1", "--set train.epochs=2"));
    snprintf(b, sizeof b, "%s", test_run("lab-lb-s1", "--set train.epochs=2 --set train.batch=64"));
    snprintf(out, sizeof out, "%s", test_path("lab-slices"));
    snprintf(args, sizeof args, "surface %s %s --grid 5 --limit 50 --threads 1 --out %s --name slices", a,
             b, out);
    CHECK_MSG(test_saddle(args, &txt) == 0, "%s", txt);
    snprintf(p, sizeof p, "%s/slices.json", out);
    size_t len;
    char *js = (char *)test_read_file(p, &len);
    CHECK(js && strstr(js, "\"label\":\t\"lab-sb-s1\"") && strstr(js, "\"label\":\t\"lab-lb-s1\""));
    CHECK_MSG(js && !strstr(js, "\"label\":\t\"/"), "%s", js ? js : "no sidecar");
    free(js);
}

/* A path along a thin band (the PCA plane of a run that mostly moved
 * along PC1): keeping the data aspect would leave most of the picture
 * empty, so the plot fills it and says so; a square plane keeps its
 * aspect. The legend explains the path's start ring and end square. */
TEST(render_heatmap_thin_band_stretches_and_explains_markers)
{
    enum { N = 21 };
    double z[N * N];
    for (int k = 0; k < N * N; k++) z[k] = 1 + (k % N) * 0.1 + (k / N) * 0.01;
    double path[6] = {-9, -0.5, -4, 0.8, 0, 0};
    render_path rp = {path, 3, "training path", 0};
    render_heatmap_opts o = {0};
    o.paths = &rp;
    o.npaths = 1;
    o.xlabel = "PC1";
    render_image im;
    render_heatmap_info in;
    CHECK_OK(render_heatmap(&im, z, N, N, -10, 2, -1, 1, &o, &in));
    render_image_free(&im);
    int pw = in.plot_x1 - in.plot_x0, ph = in.plot_y1 - in.plot_y0;
    CHECK_MSG(in.stretched == 1, "a 6:1 plane drawn %dx%d, not stretched", pw, ph);
    CHECK_MSG(ph > 0.6 * pw, "a stretched plot %dx%d", pw, ph);
    CHECK_MSG(in.nlegend == 4, "%d legend entries (path, start, end, grid minimum)", in.nlegend);
    CHECK_OK(render_heatmap(&im, z, N, N, -1, 1, -1.2, 1.2, &o, &in));
    render_image_free(&im);
    pw = in.plot_x1 - in.plot_x0, ph = in.plot_y1 - in.plot_y0;
    CHECK(in.stretched == 0);
    CHECK_NEAR((double)ph / pw, 1.2, 0.02);
}

/* A study of full-batch gradient descent (one step per epoch): its
 * lambda_max figure is drawn against steps, and its caption says so. */
TEST(study_full_batch_lambda_max_against_steps)
{
    static const char gd[] =
        "[data]\nname = fashion-mnist\nlimit = 1000\nsubset = first\ntest_limit = 1000\nresize = 10\n"
        "normalize = whiten\n[model]\nlayers = 20 tanh, 10\ninit = torch\n[loss]\ntype = mse\n"
        "[optimizer]\ntype = sgd\nlr = 0.5\n[schedule]\ntype = constant\n[train]\nepochs = 100\n"
        "batch = 0\nseed = 1\neval_every = 50\neval_limit = 0\nsnapshot_every = 0\n"
        "[monitor]\nevery = 50\nlimit = 200\n";
    static const char st[] =
        "[study]\nname = fullbatch\nseeds = 1\ndata_limit = 300\nthreads = 1\n"
        "[run.gd]\nconfig = gd.ini\nlabel = gradient descent\n"
        "[probes]\nslice = no\nsurface = no\nhessian = no\ndensity = no\nsharpness = no\n"
        "monitor = yes\nrescale = no\n";
    char dir[600], out[700], args[2048], p[800];
    const char *txt;
    snprintf(dir, sizeof dir, "%s", test_path("fullbatch-study"));
    snprintf(out, sizeof out, "%s/out", dir);
    CHECK(mkdir(dir, 0755) == 0);
    snprintf(p, sizeof p, "%s/gd.ini", dir);
    CHECK(test_write_file(p, gd, strlen(gd)) == 0);
    snprintf(p, sizeof p, "%s/study.ini", dir);
    CHECK(test_write_file(p, st, strlen(st)) == 0);
    snprintf(args, sizeof args, "study %s --out %s", dir, out);
    CHECK_MSG(test_saddle(args, &txt) == 0, "%s", txt);
    snprintf(p, sizeof p, "%s/report.md", out);
    size_t len;
    char *md = (char *)test_read_file(p, &len);
    CHECK_MSG(md && strstr(md, "lambda_max during training against steps (full batch"), "%s",
              md ? md : "no report.md");
    free(md);
}
