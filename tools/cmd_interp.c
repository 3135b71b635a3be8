/* `saddle interp`: the loss along the straight line between two checkpoints
 * (Goodfellow et al. 2015) with its barrier, or on the plane through three. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../nn/pool.h"
#include "probe.h"
#include "render_kinds.h"
#include "progress.h"

static const char INTERP_USAGE[] =
    "usage: saddle interp A B [C] [options]\n"
    "\n"
    "Two checkpoints (or run directories): the loss at (1 - alpha) A + alpha B, and\n"
    "the barrier: the highest loss between them minus the higher of their own.\n"
    "Three: the loss on the plane A + x (B - A) + y (C - A).\n"
    "\n"
    "options:\n"
    "  --grid N | NxM     points (default 41 for a line, 41x41 for a plane)\n"
    "  --range A:B[,C:D]  alpha range (default -0.5:1.5; plane -0.25:1.25)\n";

int cmd_interp(int argc, char **argv)
{
    probe_args a;
    probe_args_defaults(&a);
    const char *t[3], *grid = NULL, *range = NULL;
    int nt = 0;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        int r = probe_args_parse("interp", INTERP_USAGE, argc, argv, &i, &a);
        if (r == PROBE_HELP) return EXIT_OK;
        if (r < 0) return EXIT_USAGE;
        if (r) continue;
        if (!strcmp(o, "--grid") || !strcmp(o, "--range")) {
            if (i + 1 >= argc) return cli_usage_error("interp", "%s needs a value", o);
            if (!strcmp(o, "--grid")) grid = argv[++i];
            else range = argv[++i];
        } else if (o[0] == '-' && o[1]) {
            return cli_usage_error("interp", "unknown option '%s'", o);
        } else if (nt < 3) {
            t[nt++] = o;
        } else {
            return cli_usage_error("interp", "two or three checkpoints, not more");
        }
    }
    if (nt < 2) return cli_usage_error("interp", "two checkpoints (or run directories) are required");
    int dims = nt - 1;
    if (!grid) grid = dims == 1 ? "41" : "41x41";
    if (!range) range = dims == 1 ? "-0.5:1.5" : "-0.25:1.25";
    grid_spec g;
    int rc = grid_parse(grid, range, dims, &g);
    if (rc) return cli_fail("interp", rc);
    if ((rc = pool_set_threads(a.threads))) return cli_fail("interp", rc);

    double t0 = nn_now();
    probe_model pm[3];
    const probe_model *pms[3];
    memset(pm, 0, sizeof pm);
    probe_data pd = {0};
    surface s = {0};
    nnobj ctx = {0};
    objective o;
    cJSON *j = NULL;
    int opened = 0;
    probe_out po = {.lock = {-1}};
    const char *dir = po.dir, *name = po.name;
    for (; opened < nt; opened++) {
        if ((rc = probe_model_open(&pm[opened], t[opened], &a))) goto fail;
        pms[opened] = &pm[opened];
        if (strcmp(pm[opened].arch, pm[0].arch)) {
            rc = nn_err(NN_EINVAL, "%s is %s but %s is %s: interpolation needs one architecture",
                        pm[opened].path, pm[opened].arch, pm[0].path, pm[0].arch);
            opened++;
            goto fail;
        }
    }
    if ((rc = probe_data_open(&pd, &pm[0], &a))) goto fail;
    if ((rc = probe_out_open(&po, "interp", dims == 1 ? "interp" : "plane", pms, nt, &a, argc, argv,
                             NULL)))
        goto fail;
    if ((rc = nnobj_init(&ctx, &o, &pm[0].m, pd.d, pd.idx, pd.k))) goto fail;
    if ((rc = surface_alloc(&s, &g))) goto fail;
    progress pg;
    if (dims == 1) progress_begin(&pg, (size_t)g.nx, "interp: line, %zu examples", pd.k);
    else progress_begin(&pg, (size_t)g.nx * g.ny, "interp: plane %dx%d, %zu examples", g.nx, g.ny, pd.k);
    rc = probe_interp_eval(&o, pm[0].m.theta, pm[1].m.theta, dims == 2 ? pm[2].m.theta : NULL,
                           pm[0].m.n, &s, progress_surface, &pg);
    progress_end(&pg);
    if (rc) goto fail;
    double acc_end[3], loss_end[3];
    for (int k = 0; k < nt; k++) loss_end[k] = o.value(o.ctx, pm[k].m.theta, &acc_end[k]);

    j = probe_sidecar("interp", pms, nt, &pd, &a);
    probe_out_stamp(&po, j);
    cJSON_AddStringToObject(j, "kind", dims == 1 ? "interp" : "plane");
    cJSON_AddStringToObject(j, "name", name);
    probe_sidecar_grid(j, &g);
    cJSON *ends = cJSON_AddArrayToObject(j, "endpoints");
    for (int k = 0; k < nt; k++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "label", k == 0 ? "A" : k == 1 ? "B" : "C");
        cJSON_AddNumberToObject(e, "loss", loss_end[k]);
        cJSON_AddNumberToObject(e, "acc", acc_end[k]);
        cJSON_AddItemToArray(ends, e);
    }
    cJSON *series = cJSON_AddArrayToObject(j, "series");
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "file", name);
    cJSON_AddStringToObject(e, "label", "(1 - alpha) A + alpha B");
    cJSON_AddItemToArray(series, e);
    char title[600], sub[600];
    double barrier = 0, at = 0;
    if (dims == 1) {
        barrier = surface_barrier(&s, loss_end[0], loss_end[1], &at);
        cJSON_AddNumberToObject(j, "barrier", barrier);
        cJSON_AddNumberToObject(j, "barrier_alpha", at);
        snprintf(title, sizeof title, "linear interpolation A -> B: barrier %.4g", barrier);
    } else {
        snprintf(title, sizeof title, "plane through A, B, C");
        cJSON *marks = cJSON_AddArrayToObject(j, "marks");
        const double xy[3][2] = {{0, 0}, {1, 0}, {0, 1}};
        for (int k = 0; k < 3; k++) {
            cJSON *m = cJSON_CreateObject();
            cJSON_AddNumberToObject(m, "x", xy[k][0]);
            cJSON_AddNumberToObject(m, "y", xy[k][1]);
            cJSON_AddStringToObject(m, "label", k == 0 ? "A" : k == 1 ? "B" : "C");
            cJSON_AddItemToArray(marks, m);
        }
    }
    snprintf(sub, sizeof sub, "A = %.250s, %zu %s examples", pm[0].path, pd.k, a.split);
    cJSON_AddStringToObject(j, "title", title);
    cJSON_AddStringToObject(j, "subtitle", sub);
    cJSON_AddStringToObject(j, "xlabel", dims == 1 ? "alpha" : "x (towards B)");
    cJSON_AddStringToObject(j, "ylabel", "y (towards C)");
    cJSON_AddBoolToObject(j, "complete", 1);
    cJSON_AddNumberToObject(j, "wall_seconds", nn_now() - t0);
    if ((rc = probe_surface_save(&s, dir, name)) || (rc = probe_axes_save(&s.g, dir, name))) goto fail;
    char png[PROBE_PATH_MAX], json[PROBE_PATH_MAX];
    if ((rc = probe_json_write(probe_out_path(&po, json, ".json"), j))) goto fail;
    probe_out_path(&po, png, picture_ext(&a.pic));
    if ((rc = render_kind_draw(j, dir, &a, png))) goto fail;
    printf("%s: loss A %.4f, B %.4f", png, loss_end[0], loss_end[1]);
    if (dims == 2) printf(", C %.4f\n", loss_end[2]);
    else printf("; barrier %.4f at alpha %.3f\n", barrier, at);
fail:
    nnobj_free(&ctx);
    surface_free(&s);
    for (int k = 0; k < opened; k++) probe_model_close(&pm[k]);
    probe_data_close(&pd);
    cJSON_Delete(j);
    probe_out_close(&po);
    return rc ? cli_fail("interp", rc) : EXIT_OK;
}
