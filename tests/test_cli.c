/* The `saddle` command end to end on a tiny synthetic run: training, eval,
 * each probe's files (PNG read back at its size), and bad input that fails
 * with a clear message and writes nothing. Uses the binary the Makefile
 * names in SADDLE_BIN. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../datasets/fileio.h"
#include "../datasets/status.h"
#include "../probes/directions.h"
#include "../probes/npy.h"
#include "../probes/render.h"
#include "test.h"

static int count_files(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static const char *run_dir(void)
{
    return test_run("cli-run", "--set train.epochs=8");
}

TEST(cli_train_eval_and_help)
{
    const char *dir = run_dir(), *out;
    char args[1024];
    snprintf(args, sizeof args, "eval %s/final.safetensors --data test", dir);
    CHECK(test_saddle(args, &out) == 0);
    CHECK_MSG(strstr(out, "test loss") && strstr(out, "acc"), "%s", out);
    CHECK(test_saddle("--help", &out) == 0 && strstr(out, "surface"));
    CHECK(test_saddle("train --help", &out) == 0 && strstr(out, "optimizer.lr") && strstr(out, "default"));
    CHECK(test_saddle("surface --help", &out) == 0 && strstr(out, "--grid"));
    CHECK(test_saddle("nonsense", &out) == 2);
    CHECK(test_saddle("train configs/spirals.ini --set optimizer.lr=-1", &out) == 1);
    CHECK_MSG(strstr(out, "optimizer.lr") && strstr(out, "expected"), "%s", out);
}

TEST(cli_probes_write_their_files)
{
    const char *dir = run_dir(), *out;
    char args[2048], p[1024];
    snprintf(args, sizeof args, "surface %s --grid 9x7 --range -1:1,-0.5:0.5 --limit 200", dir);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    snprintf(p, sizeof p, "%s/probes/surface.png", dir);
    render_image im;
    CHECK_OK(render_png_read(p, &im));
    CHECK(im.w == 800 && im.h == 640);
    render_image_free(&im);
    snprintf(p, sizeof p, "%s/probes/surface.npy", dir);
    double *z;
    int nd;
    size_t sh[NPY_MAX_DIMS];
    CHECK_OK(npy_read_f64(p, &z, &nd, sh));
    CHECK(nd == 2 && sh[0] == 7 && sh[1] == 9);
    /* The centre of an odd grid centred on 0 is θ itself: its loss is the
     * one eval reports on the same 200-example subset... which the probe
     * chose; here it suffices that every value is finite and positive. */
    int ok = 1;
    for (int i = 0; i < 63; i++) ok &= isfinite(z[i]) && z[i] > 0;
    CHECK(ok);
    free(z);
    snprintf(args, sizeof args, "surface %s --grid 11 --limit 200", dir);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    snprintf(args, sizeof args, "pca %s --grid 7x7 --limit 200", dir);
    CHECK_MSG(test_saddle(args, &out) == 0 && strstr(out, "PC1"), "%s", out);
    snprintf(args, sizeof args, "interp %s/traj/step-00000000.safetensors %s/final.safetensors --grid 9 --limit 200",
             dir, dir);
    CHECK_MSG(test_saddle(args, &out) == 0 && strstr(out, "barrier"), "%s", out);
    snprintf(args, sizeof args, "render %s/probes/surface.json --log --levels 5 --png %s", dir,
             test_path("re.png"));
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    CHECK_OK(render_png_read(test_path("re.png"), &im));
    render_image_free(&im);
    snprintf(p, sizeof p, "%s/probes", dir);
    CHECK_MSG(count_files(p) >= 5 * 3, "%d files in probes/", count_files(p));
    /* The interpolation from a snapshot lands in that snapshot's folder. */
    snprintf(p, sizeof p, "%s/probes/step-00000000", dir);
    CHECK_MSG(count_files(p) >= 5, "%d files in %s", count_files(p), p);
}

TEST(cli_bad_probe_input_writes_nothing)
{
    const char *dir = run_dir(), *out;
    char args[2048];
    char outdir[512]; /* test_path's buffers rotate: keep a copy */
    snprintf(outdir, sizeof outdir, "%s", test_path("never"));
    struct { const char *args, *msg; } bad[] = {
        {"surface /no/such/run --out %s", "no such run"},
        {"surface %s --grid 0 --out %s", "--grid"},
        {"surface %s --grid 5x5 --range 1:-1 --out %s", "MIN < MAX"},
        {"surface %s --norm sideways --out %s", "--norm"},
        {"surface %s --dirs configs/spirals.ini --out %s", "spirals.ini"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        if (k == 0) snprintf(args, sizeof args, bad[k].args, outdir);
        else snprintf(args, sizeof args, bad[k].args, dir, outdir);
        int rc = test_saddle(args, &out);
        CHECK_MSG(rc != 0 && strstr(out, bad[k].msg), "'%s' -> %d: %s", args, rc, out);
        CHECK_MSG(access(outdir, F_OK) != 0, "'%s' created %s", args, outdir);
    }
    /* Directions of the wrong length: saved from another architecture. */
    char other[1024];
    snprintf(other, sizeof other,
             "train configs/spirals.ini --out %s --set train.epochs=1 --set 'model.layers=8 tanh, 3'",
             test_path("other"));
    CHECK(test_saddle(other, &out) == 0);
    snprintf(args, sizeof args, "surface %s --grid 5 --save-dirs %s --limit 50 --out %s", test_path("other"),
             test_path("dirs.safetensors"), test_path("other-probes"));
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    snprintf(args, sizeof args, "surface %s --grid 5 --dirs %s --out %s", dir, test_path("dirs.safetensors"),
             outdir);
    CHECK(test_saddle(args, &out) != 0);
    CHECK_MSG(strstr(out, "51 entries") && strstr(out, "4547"), "%s", out);
    CHECK(access(outdir, F_OK) != 0);
}

TEST(cli_curvature_probes)
{
    const char *dir = run_dir(), *out;
    char args[2048];
    snprintf(args, sizeof args, "hessian %s --top 3 --trace --density --probes 12 --runs 2 --slq-steps 12 --limit 200", dir);
    CHECK_MSG(test_saddle(args, &out) == 0 && strstr(out, "lambda_1") && strstr(out, "lambda_min") &&
                  strstr(out, "Hutchinson") && strstr(out, "density"),
              "%s", out);
    snprintf(args, sizeof args, "%s/probes/hessian_density.png", dir);
    render_image im;
    CHECK_OK(render_png_read(args, &im));
    render_image_free(&im);
    snprintf(args, sizeof args, "sharpness %s --limit 200 --p 10 --samples 3", dir);
    CHECK_MSG(test_saddle(args, &out) == 0 && strstr(out, "eps-sharpness, full space") &&
                  strstr(out, "filter-normalized"),
              "%s", out);
    snprintf(args, sizeof args, "surface %s --curvature --grid 3x3 --limit 100 --name curv", dir);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    snprintf(args, sizeof args, "%s/probes/curv_curvature.png", dir);
    CHECK(access(args, F_OK) == 0);
    /* The plane of the top and bottom Hessian eigenvectors: the sidecar
     * records both eigenvalues, the top one above the bottom one. */
    snprintf(args, sizeof args, "surface %s --dirs hessian --grid 5x5 --range -0.1:0.1 --limit 100 --name hdirs", dir);
    CHECK_MSG(test_saddle(args, &out) == 0 && strstr(out, "lambda_max") && strstr(out, "lambda_min"), "%s", out);
    snprintf(args, sizeof args, "%s/probes/hdirs.json", dir);
    uint8_t *js;
    size_t jl;
    CHECK_OK(file_read_all(args, 1 << 20, &js, &jl));
    const char *lmax = strstr((char *)js, "\"lambda_max\":"), *lmin = strstr((char *)js, "\"lambda_min\":");
    CHECK(lmax && lmin && atof(strchr(lmax, ':') + 1) > atof(strchr(lmin, ':') + 1));
    double top = lmax ? atof(strchr(lmax, ':') + 1) : NAN, bottom = lmin ? atof(strchr(lmin, ':') + 1) : NAN;
    free(js);
    /* The top two: the same λmax, and a second eigenvalue between it and λmin. */
    snprintf(args, sizeof args, "surface %s --dirs hessian-top --grid 5x5 --range -0.1:0.1 --limit 100 "
             "--name htop --save-dirs %s", dir, test_path("htop.safetensors"));
    CHECK_MSG(test_saddle(args, &out) == 0 && strstr(out, "lambda_2"), "%s", out);
    /* Two different eigenvectors: orthogonal, not the top one twice. */
    float *hd[2] = {NULL, NULL};
    int nd = 2;
    CHECK_OK(dir_load(test_path("htop.safetensors"), hd, &nd, 4547));
    if (nd == 2) {
        double dot = 0, n0 = 0, n1 = 0;
        for (size_t i = 0; i < 4547; i++) {
            dot += (double)hd[0][i] * hd[1][i];
            n0 += (double)hd[0][i] * hd[0][i];
            n1 += (double)hd[1][i] * hd[1][i];
        }
        CHECK_MSG(fabs(dot) < 1e-3 * sqrt(n0 * n1), "cosine %.3g", dot / sqrt(n0 * n1));
    }
    CHECK(nd == 2);
    free(hd[0]), free(hd[1]);
    snprintf(args, sizeof args, "%s/probes/htop.json", dir);
    CHECK_OK(file_read_all(args, 1 << 20, &js, &jl));
    const char *l1 = strstr((char *)js, "\"lambda_max\":"), *l2 = strstr((char *)js, "\"lambda_2\":");
    double v1 = l1 ? atof(strchr(l1, ':') + 1) : NAN, v2 = l2 ? atof(strchr(l2, ':') + 1) : NAN;
    CHECK_MSG(fabs(v1 - top) < 1e-3 * top && v2 <= v1 && v2 > bottom, "top %g, %g / %g, bottom %g",
              top, v1, v2, bottom);
    CHECK(strstr((char *)js, "top two"));
    free(js);
    /* Invalid options are clear errors. */
    snprintf(args, sizeof args, "hessian %s --top 100000 --limit 50", dir);
    CHECK_MSG(test_saddle(args, &out) == 1 && strstr(out, "only 4547 parameters"), "%s", out);
    snprintf(args, sizeof args, "sharpness %s --eps 0", dir);
    CHECK_MSG(test_saddle(args, &out) == 2 && strstr(out, "--eps"), "%s", out);
    snprintf(args, sizeof args, "sharpness %s --eps -1e-3", dir);
    CHECK_MSG(test_saddle(args, &out) == 2 && strstr(out, "--eps"), "%s", out);
}
