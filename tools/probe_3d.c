/* `--3d`: a saved 2-D surface drawn as the shaded 3-D picture (see
 * probes/render_3d.h), with the view options render and surface share. */
#include "probe_3d.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../probes/npy.h"
#include "../probes/render_3d.h"

const char PROBE_3D_HELP[] =
    "  --3d                draw the surface in 3-D (perspective, lit, its contour map beneath)\n"
    "  --azim DEG          with --3d: the view's azimuth, degrees from +x towards +y (default -60)\n"
    "  --elev DEG          with --3d: the view's elevation, 1..89 degrees (default 30)\n"
    "  --zmax Z            with --3d: clip the loss at Z (the rim drawn flat), so the basin shows\n";

void probe_3d_defaults(probe_view3d *v)
{
    memset(v, 0, sizeof *v);
    v->azim = -60;
    v->elev = 30;
}

static int parse_num(const char *cmd, const char *opt, const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    if (end == s || *end || errno || !(x >= lo && x <= hi)) {
        cli_usage_error(cmd, "%s wants a number in %g..%g, not '%s'", opt, lo, hi, s);
        return -1;
    }
    *out = x;
    return 0;
}

int probe_3d_parse(const char *cmd, int argc, char **argv, int *i, probe_view3d *v)
{
    const char *o = argv[*i];
    if (!strcmp(o, "--3d")) {
        v->on = 1;
        return 1;
    }
    int az = !strcmp(o, "--azim"), el = !strcmp(o, "--elev"), zm = !strcmp(o, "--zmax");
    if (!az && !el && !zm) return 0;
    if (*i + 1 >= argc) {
        cli_usage_error(cmd, "%s needs a value", o);
        return -1;
    }
    const char *s = argv[++*i];
    v->view_given = 1;
    if (az) return parse_num(cmd, o, s, -360, 360, &v->azim) ? -1 : 1;
    if (el) return parse_num(cmd, o, s, 1, 89, &v->elev) ? -1 : 1;
    if (parse_num(cmd, o, s, -1e300, 1e300, &v->zmax)) return -1;
    if (v->zmax == 0) {
        cli_usage_error(cmd, "--zmax 0 would clip the whole surface; give the loss to clip at");
        return -1;
    }
    return 1;
}

int probe_3d_check(const char *cmd, const probe_view3d *v)
{
    if (v->view_given && !v->on) {
        cli_usage_error(cmd, "--azim, --elev and --zmax choose the 3-D view: add --3d");
        return -1;
    }
    return 0;
}

static double jnum(const cJSON *o, const char *k, double dflt)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(x) ? x->valuedouble : dflt;
}

static const char *jstr(const cJSON *o, const char *k, const char *dflt)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(x) ? x->valuestring : dflt;
}

int probe_render_3d(const cJSON *j, const char *dir, const probe_args *a, const probe_view3d *v,
                    const char *png)
{
    const cJSON *gj = cJSON_GetObjectItemCaseSensitive(j, "grid");
    grid_spec g = {(int)jnum(gj, "nx", 0), (int)jnum(gj, "ny", 0), jnum(gj, "x0", 0),
                   jnum(gj, "x1", 0), jnum(gj, "y0", 0), jnum(gj, "y1", 0)};
    if (g.nx < 2 || g.ny < 1 || (double)g.nx * g.ny > GRID_MAX_POINTS || !(g.x0 < g.x1))
        return nn_err(NN_EFORMAT, "sidecar: missing or bad 'grid'");
    if (g.ny < 2 || !(g.y0 < g.y1))
        return nn_err(NN_EINVAL, "--3d draws 2-D surfaces; this result is a line of %d points", g.nx);
    const char *base = jstr(j, "name", NULL);
    if (!base) return nn_err(NN_EFORMAT, "sidecar: no 'name'");
    char path[PROBE_PATH_MAX];
    probe_path(path, dir, base, ".npy");
    double *z = NULL, *xy = NULL;
    int nd;
    size_t sh[NPY_MAX_DIMS];
    int rc = npy_read_f64(path, &z, &nd, sh);
    if (rc) return rc;
    if (nd != 2 || sh[0] != (size_t)g.ny || sh[1] != (size_t)g.nx) {
        free(z);
        return nn_err(NN_EFORMAT, "%s: not the %d x %d grid its sidecar describes", path, g.ny, g.nx);
    }
    render_3d_opts o;
    memset(&o, 0, sizeof o);
    o.title = jstr(j, "title", "loss surface");
    o.subtitle = jstr(j, "subtitle", NULL);
    o.xlabel = jstr(j, "xlabel", "x");
    o.ylabel = jstr(j, "ylabel", "y");
    o.zlabel = a->log_scale ? "loss (log scale)" : "loss";
    o.log_z = a->log_scale;
    o.zmax = v->zmax;
    o.azim = v->azim;
    o.elev = v->elev;
    o.ncontours = a->levels > 0 ? a->levels : -1;
    if (a->cmap && (rc = render_cmap_parse(a->cmap, &o.cmap))) goto done;
    /* The points a reader looks for: the trained model a surface or a PCA
     * plane is centred on, the checkpoints a plane goes through. */
    render_mark m[8];
    const char *kind = jstr(j, "kind", "");
    const cJSON *marks = cJSON_GetObjectItemCaseSensitive(j, "marks");
    if (!strcmp(kind, "surface") || !strcmp(kind, "pca")) {
        m[0] = (render_mark){0, 0, RENDER_MARK_DIAMOND,
                             !strcmp(kind, "pca") ? "final model (origin)" : "trained model (origin)", 0};
        o.nmarks = 1;
    }
    for (int k = 0; k < cJSON_GetArraySize(marks) && o.nmarks < 8; k++) {
        const cJSON *mk = cJSON_GetArrayItem(marks, k);
        m[o.nmarks++] = (render_mark){jnum(mk, "x", 0), jnum(mk, "y", 0), RENDER_MARK_DIAMOND,
                                      jstr(mk, "label", NULL), 0};
    }
    o.marks = m;
    /* The trajectory of a PCA plane. */
    const cJSON *tr = cJSON_GetObjectItemCaseSensitive(j, "path");
    int np = cJSON_GetArraySize(tr);
    render_path rp = {0};
    if (np > 0 && !(xy = malloc((size_t)np * 2 * sizeof *xy))) {
        rc = nn_err(NN_ENOMEM, "render: out of memory");
        goto done;
    }
    for (int i = 0; i < np; i++) {
        const cJSON *pt = cJSON_GetArrayItem(tr, i), *px = cJSON_GetArrayItem(pt, 0), *py = cJSON_GetArrayItem(pt, 1);
        xy[2 * i] = cJSON_IsNumber(px) ? px->valuedouble : NAN;
        xy[2 * i + 1] = cJSON_IsNumber(py) ? py->valuedouble : NAN;
    }
    if (np > 0) {
        rp = (render_path){xy, np, "training path", 0};
        o.paths = &rp;
        o.npaths = 1;
    }
    render_target tg = picture_target(&a->pic);
    o.target = &tg;
    if (a->pic.width) o.width = a->pic.width, o.height = a->pic.height;
    if (a->pic.title) o.title = a->pic.title;
    rc = render_3d_write(png, z, g.nx, g.ny, g.x0, g.x1, g.y0, g.y1, &o, NULL);
done:
    free(xy);
    free(z);
    return rc;
}
