/* The VTK export: a structured grid whose points and point data are the
 * surface's own numbers, read back with a parser written here from the
 * legacy format's description; a diverged point is flagged, not NaN. */
#include <stdlib.h>
#include <string.h>

#include "../probes/npy.h"
#include "../probes/vtk.h"
#include "test.h"

/* The values after the line `header` in text: n numbers, or -1. */
static int read_block(const char *text, const char *header, double *v, int n)
{
    const char *p = strstr(text, header);
    if (!p) return -1;
    p = strchr(p + strlen(header), '\n');
    for (int i = 0; p && i < n; i++) {
        char *end;
        v[i] = strtod(p, &end);
        if (end == p) return -1;
        p = end;
    }
    return p ? 0 : -1;
}

TEST(vtk_surface_holds_the_grid_and_its_values)
{
    enum { NX = 4, NY = 3, N = NX * NY };
    double loss[N], acc[N];
    for (int k = 0; k < N; k++) {
        loss[k] = 0.25 + 0.01 * k * k;
        acc[k] = 0.5 + 0.03 * k;
    }
    loss[5] = NAN; /* a diverged point */
    const char *path = test_path("s.vtk");
    CHECK_OK(vtk_write_surface(path, "t\nitle", loss, acc, NX, NY, -1, 2, -0.5, 0.5));
    size_t len;
    char *t = (char *)test_read_file(path, &len);
    CHECK(t != NULL);
    if (!t) return;
    CHECK(!strncmp(t, "# vtk DataFile Version 3.0\nt itle\nASCII\nDATASET STRUCTURED_GRID\n", 63));
    CHECK(strstr(t, "DIMENSIONS 4 3 1\n") && strstr(t, "POINTS 12 double\n") &&
          strstr(t, "POINT_DATA 12\n"));
    double pts[3 * N], l[N], a[N], valid[N];
    CHECK(read_block(t, "POINTS 12 double", pts, 3 * N) == 0);
    CHECK(read_block(t, "SCALARS loss double 1\nLOOKUP_TABLE default", l, N) == 0);
    CHECK(read_block(t, "SCALARS accuracy double 1\nLOOKUP_TABLE default", a, N) == 0);
    CHECK(read_block(t, "SCALARS valid int 1\nLOOKUP_TABLE default", valid, N) == 0);
    double top = 0;
    for (int k = 0; k < N; k++)
        if (k != 5 && loss[k] > top) top = loss[k];
    for (int j = 0; j < NY; j++)
        for (int i = 0; i < NX; i++) {
            int k = j * NX + i;
            double want = k == 5 ? top : loss[k];
            CHECK_NEAR(pts[3 * k], -1 + 3.0 * i / (NX - 1), 1e-15);
            CHECK_NEAR(pts[3 * k + 1], -0.5 + 1.0 * j / (NY - 1), 1e-15);
            CHECK(pts[3 * k + 2] == want && l[k] == want); /* %.17g round-trips exactly */
            CHECK(a[k] == acc[k]);
            CHECK(valid[k] == (k == 5 ? 0 : 1));
        }
    free(t);
    for (int k = 0; k < N; k++) loss[k] = NAN;
    CHECK_ERR(vtk_write_surface(path, NULL, loss, NULL, NX, NY, 0, 1, 0, 1), NN_EINVAL, "finite");
    CHECK_ERR(vtk_write_surface(path, NULL, acc, NULL, NX, 1, 0, 1, 0, 1), NN_EINVAL, "2-D");
}

/* `saddle render RESULT.json --vtk` writes the saved surface's own numbers
 * beside it, and never over a file that is there. */
TEST(render_vtk_writes_the_saved_surface)
{
    const char *run = test_run("vtk-run", "--set train.epochs=2"), *out;
    char dir[512], args[2048], p[700];
    snprintf(dir, sizeof dir, "%s", test_path("vtk-out"));
    snprintf(args, sizeof args, "surface %s --grid 5x4 --limit 50 --out %s", run, dir);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    snprintf(args, sizeof args, "render %s/surface.json --vtk", dir);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    snprintf(p, sizeof p, "%s/surface.npy", dir);
    double *z = NULL;
    int nd;
    size_t sh[NPY_MAX_DIMS];
    CHECK_OK(npy_read_f64(p, &z, &nd, sh));
    snprintf(p, sizeof p, "%s/surface.vtk", dir);
    size_t len;
    char *t = (char *)test_read_file(p, &len);
    double l[20];
    CHECK(t && strstr(t, "DIMENSIONS 5 4 1") &&
          read_block(t, "SCALARS loss double 1\nLOOKUP_TABLE default", l, 20) == 0);
    for (int k = 0; z && t && k < 20; k++) CHECK(l[k] == z[k]);
    free(t);
    free(z);
    /* A second export gets a name of its own. */
    CHECK_MSG(test_saddle(args, &out) == 0 && strstr(out, "surface-render.vtk"), "%s", out);
    snprintf(args, sizeof args, "render %s/surface.json --vtk --png x.png", dir);
    CHECK(test_saddle(args, &out) == 2);
}
