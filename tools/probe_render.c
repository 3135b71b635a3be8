/* Pictures of saved probe results: a sidecar names its kind, grid and .npy
 * files, so `saddle render` redraws anything a probe wrote. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../probes/npy.h"
#include "../probes/render.h"
#include "../probes/vtk.h"
#include "probe.h"

static double jnum(const cJSON *o, const char *k, double dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

static const char *jstr(const cJSON *o, const char *k, const char *dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : dflt;
}

static int load_npy(const char *dir, const char *file, size_t want, double **out)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    int nd;
    size_t sh[NPY_MAX_DIMS];
    int rc = npy_read_f64(path, out, &nd, sh);
    if (rc) return rc;
    size_t cnt = 1;
    for (int i = 0; i < nd; i++) cnt *= sh[i];
    if (cnt != want) {
        free(*out);
        *out = NULL;
        return nn_err(NN_EFORMAT, "%s: %zu values, the sidecar's grid has %zu", path, cnt, want);
    }
    return NN_OK;
}

static int render_lines(const cJSON *j, const char *dir, const probe_args *a, const char *png,
                        const grid_spec *g)
{
    const cJSON *series = cJSON_GetObjectItemCaseSensitive(j, "series");
    int ns = cJSON_GetArraySize(series);
    if (ns < 1 || ns > 16) return nn_err(NN_EFORMAT, "sidecar: 'series' needs 1..16 entries");
    double *x = malloc((size_t)g->nx * sizeof *x);
    double *ys[32] = {0};
    render_series rs[32];
    memset(rs, 0, sizeof rs);
    int rc = x ? NN_OK : nn_err(NN_ENOMEM, "render: out of memory");
    for (int i = 0; !rc && i < g->nx; i++) x[i] = grid_x(g, i);
    for (int s = 0; !rc && s < ns; s++) {
        const cJSON *e = cJSON_GetArrayItem(series, s);
        const char *base = jstr(e, "file", NULL);
        if (!base) {
            rc = nn_err(NN_EFORMAT, "sidecar: series %d has no file", s);
            break;
        }
        char f[512];
        snprintf(f, sizeof f, "%s.npy", base);
        if ((rc = load_npy(dir, f, (size_t)g->nx, &ys[2 * s]))) break;
        snprintf(f, sizeof f, "%s_acc.npy", base);
        if ((rc = load_npy(dir, f, (size_t)g->nx, &ys[2 * s + 1]))) break;
        const char *label = jstr(e, "label", NULL);
        rs[2 * s] = (render_series){x, ys[2 * s], g->nx, label, 0, 0, 0, 0, 0};
        rs[2 * s].color = RENDER_HEX(0); /* palette below */
        rs[2 * s + 1] = (render_series){x, ys[2 * s + 1], g->nx, NULL, 0, 1, 0, 0, 0};
        render_rgb c = render_palette(s);
        uint32_t hex = RENDER_HEX(((uint32_t)c.r << 16) | ((uint32_t)c.g << 8) | c.b);
        rs[2 * s].color = rs[2 * s + 1].color = hex;
    }
    if (!rc) {
        const char *kind = jstr(j, "kind", "slice");
        render_refline refs[2] = {{1, 0.0, "A", 0, 0}, {1, 1.0, "B", 0, 0}};
        render_lineplot_opts o;
        memset(&o, 0, sizeof o);
        o.title = jstr(j, "title", "loss along a line");
        o.subtitle = jstr(j, "subtitle", NULL);
        o.xlabel = jstr(j, "xlabel", "alpha");
        o.ylabel = "loss";
        o.ylabel2 = "accuracy";
        o.logy = a->log_scale;
        o.series = rs;
        o.nseries = 2 * ns;
        if (!strcmp(kind, "interp")) {
            o.refs = refs;
            o.nrefs = 2;
        }
        picture_lineplot(&a->pic, &o);
        render_target t = picture_target(&a->pic);
        rc = render_lineplot_write(png, &t, &o, NULL);
    }
    for (int s = 0; s < 32; s++) free(ys[s]);
    free(x);
    return rc;
}

int probe_render(const cJSON *j, const char *dir, const probe_args *a, const char *png)
{
    const cJSON *gj = cJSON_GetObjectItemCaseSensitive(j, "grid");
    grid_spec g = {(int)jnum(gj, "nx", 0), (int)jnum(gj, "ny", 0), jnum(gj, "x0", 0),
                   jnum(gj, "x1", 0), jnum(gj, "y0", 0), jnum(gj, "y1", 0)};
    if (g.nx < 2 || g.ny < 1 || (double)g.nx * g.ny > GRID_MAX_POINTS || !(g.x0 < g.x1))
        return nn_err(NN_EFORMAT, "sidecar: missing or bad 'grid'");
    if (g.ny == 1) return render_lines(j, dir, a, png, &g);

    const char *base = jstr(j, "name", NULL);
    if (!base) return nn_err(NN_EFORMAT, "sidecar: no 'name'");
    char f[512];
    snprintf(f, sizeof f, "%s.npy", base);
    double *z;
    int rc = load_npy(dir, f, (size_t)g.nx * g.ny, &z);
    if (rc) return rc;
    render_heatmap_opts o;
    memset(&o, 0, sizeof o);
    o.title = jstr(j, "title", "loss surface");
    o.subtitle = jstr(j, "subtitle", NULL);
    o.xlabel = jstr(j, "xlabel", "x");
    o.ylabel = jstr(j, "ylabel", "y");
    o.zlabel = a->log_scale ? "loss (log scale)" : "loss";
    o.log_scale = a->log_scale;
    o.ncontours = a->levels > 0 ? a->levels : -1;
    if (a->cmap && (rc = render_cmap_parse(a->cmap, &o.cmap))) {
        free(z);
        return rc;
    }
    const cJSON *vr = cJSON_GetObjectItemCaseSensitive(j, "color_range");
    if (cJSON_GetArraySize(vr) == 2) {
        o.vmin = cJSON_GetArrayItem(vr, 0)->valuedouble;
        o.vmax = cJSON_GetArrayItem(vr, 1)->valuedouble;
    }
    /* A trajectory (pca) and labelled points (checkpoints of a plane). */
    const cJSON *path = cJSON_GetObjectItemCaseSensitive(j, "path");
    int np = cJSON_GetArraySize(path);
    double *xy = np > 0 ? malloc((size_t)np * 2 * sizeof *xy) : NULL;
    render_path rp = {0};
    if (xy) {
        for (int i = 0; i < np; i++) {
            const cJSON *pt = cJSON_GetArrayItem(path, i);
            xy[2 * i] = cJSON_GetArrayItem(pt, 0) ? cJSON_GetArrayItem(pt, 0)->valuedouble : NAN;
            xy[2 * i + 1] = cJSON_GetArrayItem(pt, 1) ? cJSON_GetArrayItem(pt, 1)->valuedouble : NAN;
        }
        rp = (render_path){xy, np, "training path", 0};
        o.paths = &rp;
        o.npaths = 1;
    }
    /* Several labelled paths on one plane (pca of several runs), each in
     * its palette colour. */
    render_path rps[8];
    double *pxy[8] = {0};
    const cJSON *paths = cJSON_GetObjectItemCaseSensitive(j, "paths");
    int npa = cJSON_GetArraySize(paths) < 8 ? cJSON_GetArraySize(paths) : 8;
    for (int p = 0; !o.npaths && p < npa; p++) {
        const cJSON *e = cJSON_GetArrayItem(paths, p), *pts = cJSON_GetObjectItemCaseSensitive(e, "points");
        int n = cJSON_GetArraySize(pts);
        if (n > 0 && !(pxy[p] = malloc((size_t)n * 2 * sizeof *pxy[p]))) n = 0;
        for (int i = 0; i < n; i++) {
            const cJSON *pt = cJSON_GetArrayItem(pts, i);
            const cJSON *x = cJSON_GetArrayItem(pt, 0), *y = cJSON_GetArrayItem(pt, 1);
            pxy[p][2 * i] = cJSON_IsNumber(x) ? x->valuedouble : NAN;
            pxy[p][2 * i + 1] = cJSON_IsNumber(y) ? y->valuedouble : NAN;
        }
        render_rgb c = render_palette(p);
        rps[p] = (render_path){pxy[p], n, jstr(e, "label", NULL),
                               RENDER_HEX(((uint32_t)c.r << 16) | ((uint32_t)c.g << 8) | c.b)};
    }
    if (!o.npaths && npa > 0) {
        o.paths = rps;
        o.npaths = npa;
    }
    const cJSON *marks = cJSON_GetObjectItemCaseSensitive(j, "marks");
    int nm = cJSON_GetArraySize(marks);
    render_mark rm[8];
    if (nm > 8) nm = 8;
    for (int i = 0; i < nm; i++) {
        const cJSON *mk = cJSON_GetArrayItem(marks, i);
        rm[i] = (render_mark){jnum(mk, "x", 0), jnum(mk, "y", 0), RENDER_MARK_DIAMOND,
                              jstr(mk, "label", NULL), 0};
    }
    o.marks = rm;
    o.nmarks = nm;
    /* Every plane probe saddle draws is centred on the checkpoint it probed;
     * interp's plane is centred on A, which its own mark names. */
    if (strcmp(jstr(j, "kind", ""), "plane")) o.origin_label = "trained model (origin)";
    picture_heatmap(&a->pic, &o);
    render_target t = picture_target(&a->pic);
    rc = render_heatmap_write(png, &t, z, g.nx, g.ny, g.x0, g.x1, g.y0, g.y1, &o, NULL);
    for (int p = 0; p < 8; p++) free(pxy[p]);
    free(xy);
    free(z);
    return rc;
}

int probe_vtk(const cJSON *j, const char *dir, const char *path)
{
    const cJSON *gj = cJSON_GetObjectItemCaseSensitive(j, "grid");
    grid_spec g = {(int)jnum(gj, "nx", 0), (int)jnum(gj, "ny", 0), jnum(gj, "x0", 0),
                   jnum(gj, "x1", 0), jnum(gj, "y0", 0), jnum(gj, "y1", 0)};
    if (g.nx < 2 || g.ny < 1 || (double)g.nx * g.ny > GRID_MAX_POINTS || !(g.x0 < g.x1))
        return nn_err(NN_EFORMAT, "sidecar: missing or bad 'grid'");
    if (g.ny < 2)
        return nn_err(NN_EINVAL, "--vtk writes 2-D surfaces; this result is a line of %d points", g.nx);
    const char *base = jstr(j, "name", NULL);
    if (!base) return nn_err(NN_EFORMAT, "sidecar: no 'name'");
    size_t np = (size_t)g.nx * g.ny;
    char f[512];
    double *z = NULL, *acc = NULL;
    snprintf(f, sizeof f, "%s.npy", base);
    int rc = load_npy(dir, f, np, &z);
    snprintf(f, sizeof f, "%s_acc.npy", base);
    if (!rc) rc = load_npy(dir, f, np, &acc);
    if (!rc)
        rc = vtk_write_surface(path, jstr(j, "title", "saddle loss surface"), z, acc, g.nx, g.ny, g.x0,
                               g.x1, g.y0, g.y1);
    free(z);
    free(acc);
    return rc;
}
