/* VTK legacy structured grids of loss surfaces (see vtk.h). */
#include "vtk.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../datasets/fileio.h"
#include "../datasets/status.h"

static double axis(double a, double b, int n, int i) { return n > 1 ? a + (b - a) * i / (n - 1) : a; }

int vtk_write_surface(const char *path, const char *title, const double *loss, const double *acc,
                      int nx, int ny, double x0, double x1, double y0, double y1)
{
    if (nx < 2 || ny < 2) return nn_err(NN_EINVAL, "%s: a VTK surface needs a 2-D grid", path);
    size_t np = (size_t)nx * ny, nvalid = 0;
    double top = -INFINITY;
    for (size_t p = 0; p < np; p++)
        if (isfinite(loss[p])) {
            nvalid++;
            top = fmax(top, loss[p]);
        }
    if (!nvalid) return nn_err(NN_EINVAL, "%s: no point of the surface has a finite loss", path);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return nn_err(NN_ENOMEM, "%s: out of memory", path);
    /* The title line is at most 255 characters and one line. */
    char t[256];
    snprintf(t, sizeof t, "%s", title && *title ? title : "saddle loss surface");
    for (char *c = t; *c; c++)
        if (*c == '\n' || *c == '\r') *c = ' ';
    fprintf(f, "# vtk DataFile Version 3.0\n%s\nASCII\nDATASET STRUCTURED_GRID\n", t);
    fprintf(f, "DIMENSIONS %d %d 1\nPOINTS %zu double\n", nx, ny, np);
    /* Points in VTK's order: x fastest, then y, as the [ny][nx] arrays. */
    for (int j = 0; j < ny; j++)
        for (int i = 0; i < nx; i++) {
            double z = loss[(size_t)j * nx + i];
            fprintf(f, "%.17g %.17g %.17g\n", axis(x0, x1, nx, i), axis(y0, y1, ny, j),
                    isfinite(z) ? z : top);
        }
    fprintf(f, "POINT_DATA %zu\nSCALARS loss double 1\nLOOKUP_TABLE default\n", np);
    for (size_t p = 0; p < np; p++) fprintf(f, "%.17g\n", isfinite(loss[p]) ? loss[p] : top);
    if (acc) {
        fprintf(f, "SCALARS accuracy double 1\nLOOKUP_TABLE default\n");
        for (size_t p = 0; p < np; p++) fprintf(f, "%.17g\n", isfinite(acc[p]) ? acc[p] : 0.0);
    }
    fprintf(f, "SCALARS valid int 1\nLOOKUP_TABLE default\n");
    for (size_t p = 0; p < np; p++) fprintf(f, "%d\n", isfinite(loss[p]) ? 1 : 0);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        free(buf);
        return nn_err(NN_ENOMEM, "%s: out of memory", path);
    }
    int rc = file_write_atomic(path, buf, len);
    free(buf);
    return rc;
}
