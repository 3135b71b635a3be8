/* `saddle pca`: the plane of the training trajectory (Li et al. 2018): PCA
 * of the snapshots θ_i − θ_final, the loss on the plane of the top two
 * components, and the path drawn on it, with each snapshot's distance from
 * the plane and its true loss beside the loss read off the surface. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../nn/pool.h"
#include "../probes/pca.h"
#include "probe.h"
#include "progress.h"

static const char PCA_USAGE[] =
    "usage: saddle pca RUN [options]\n"
    "\n"
    "Reads RUN/traj/*.safetensors (train.snapshot_every) and RUN/final.safetensors,\n"
    "finds the top two principal directions of theta_i - theta_final and evaluates\n"
    "the loss on their plane around the path. Writes NAME (default pca) .npy/.json/.png.\n"
    "\n"
    "options:\n"
    "  --grid NxM         grid (default 31x31)\n"
    "  --margin F         grid extends F times the path's extent beyond it (default 0.25)\n";

#define MAX_SNAPS 4096

/* Bilinear read of a surface at (x, y) inside its grid. */
static double surface_at(const surface *s, double x, double y)
{
    const grid_spec *g = &s->g;
    double fx = (x - g->x0) / (g->x1 - g->x0) * (g->nx - 1);
    double fy = (y - g->y0) / (g->y1 - g->y0) * (g->ny - 1);
    if (fx < 0 || fy < 0 || fx > g->nx - 1 || fy > g->ny - 1) return NAN;
    int i = fx >= g->nx - 1 ? g->nx - 2 : (int)fx, j = fy >= g->ny - 1 ? g->ny - 2 : (int)fy;
    double u = fx - i, v = fy - j;
    const double *z = s->loss;
    return (1 - u) * (1 - v) * z[(size_t)j * g->nx + i] + u * (1 - v) * z[(size_t)j * g->nx + i + 1] +
           (1 - u) * v * z[(size_t)(j + 1) * g->nx + i] + u * v * z[(size_t)(j + 1) * g->nx + i + 1];
}

int cmd_pca(int argc, char **argv)
{
    probe_args a;
    probe_args_defaults(&a);
    const char *run = NULL, *grid = "31x31";
    double margin = 0.25;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        int r = probe_args_parse("pca", PCA_USAGE, argc, argv, &i, &a);
        if (r == PROBE_HELP) return EXIT_OK;
        if (r < 0) return EXIT_USAGE;
        if (r) continue;
        if ((!strcmp(o, "--grid") || !strcmp(o, "--margin")) && i + 1 < argc) {
            if (!strcmp(o, "--grid")) grid = argv[++i];
            else {
                char *end;
                margin = strtod(argv[++i], &end);
                if (*end || !(margin >= 0 && margin <= 10))
                    return cli_usage_error("pca", "--margin wants a number in 0..10");
            }
        } else if (cli_positional("pca", o, &run)) {
            return EXIT_USAGE;
        }
    }
    if (!run) return cli_usage_error("pca", "a run directory is required");
    if (!strchr(grid, 'x')) return cli_usage_error("pca", "--grid is NxM");
    grid_spec g;
    /* The range comes from the path later; the grid is checked now, before
     * any snapshot is read. */
    int rc = grid_parse(grid, "-1:1", 2, &g);
    if (rc) return cli_fail("pca", rc);
    if ((rc = pool_set_threads(a.threads))) return cli_fail("pca", rc);

    double t0 = nn_now();
    probe_model pm = {0};
    const probe_model *pms[1] = {&pm};
    probe_data pd = {0};
    nnobj ctx = {0};
    objective o;
    surface s = {0};
    pca_result pr = {0};
    cJSON *j = NULL;
    char **names = NULL;
    float *snaps[MAX_SNAPS];
    long steps[MAX_SNAPS];
    int m = 0;
    char tdir[4200];
    probe_out pout = {.lock = {-1}};
    const char *dir = pout.dir;
    progress pg;
    if ((rc = probe_model_open(&pm, run, &a))) goto fail;
    if (!pm.run[0]) {
        rc = nn_err(NN_EINVAL, "%s: pca needs a run directory (with traj/), not a checkpoint", run);
        goto fail;
    }
    snprintf(tdir, sizeof tdir, "%s/traj", run);
    if ((rc = probe_traj_list(run, &names, &m))) goto fail;
    if ((rc = probe_data_open(&pd, &pm, &a))) goto fail;
    if ((rc = probe_out_open(&pout, "pca", "pca", pms, 1, &a, argc, argv, NULL))) goto fail;
    for (int k = 0; k < m && k < MAX_SNAPS; k++) snaps[k] = NULL;
    if (m > MAX_SNAPS) {
        rc = nn_err(NN_EINVAL, "%s: %d snapshots; at most %d are read", tdir, m, MAX_SNAPS);
        goto fail;
    }
    if (m < 2) {
        rc = nn_err(NN_EINVAL, "%s: %d snapshot(s); PCA of a trajectory needs at least 2", tdir, m);
        goto fail;
    }
    progress_begin(&pg, (size_t)m, "pca: reading %d snapshots", m);
    for (int k = 0; k < m; k++) {
        char p[4400];
        snprintf(p, sizeof p, "%s/%s", tdir, names[k]);
        model sm;
        ckpt_info info = {0};
        if ((rc = ckpt_load(p, &sm, -1, 0, &info, NULL, NULL, 0))) goto fail;
        steps[k] = info.step;
        ckpt_info_free(&info);
        if (sm.n != pm.m.n) {
            model_free(&sm);
            rc = nn_err(NN_EFORMAT, "%s: %zu parameters, final.safetensors has %zu", p, sm.n, pm.m.n);
            goto fail;
        }
        snaps[k] = sm.theta; /* keep θ, drop the rest */
        progress_update(&pg, (size_t)k + 1);
    }
    progress_end(&pg);
    if ((rc = pca_trajectory((const float *const *)snaps, m, pm.m.theta, pm.m.n, &pr))) goto fail;
    double lo[2] = {0, 0}, hi[2] = {0, 0};
    for (int k = 0; k < m; k++)
        for (int c = 0; c < 2; c++) {
            lo[c] = fmin(lo[c], pr.coords[2 * k + c]);
            hi[c] = fmax(hi[c], pr.coords[2 * k + c]);
        }
    char range[200];
    for (int c = 0; c < 2; c++) {
        double w = hi[c] - lo[c];
        if (w <= 0) w = 1e-3;
        lo[c] -= margin * w;
        hi[c] += margin * w;
    }
    snprintf(range, sizeof range, "%.9g:%.9g,%.9g:%.9g", lo[0], hi[0], lo[1], hi[1]);
    if ((rc = grid_parse(grid, range, 2, &g))) goto fail;
    if ((rc = nnobj_init(&ctx, &o, &pm.m, pd.d, pd.idx, pd.k))) goto fail;
    if ((rc = surface_alloc(&s, &g))) goto fail;
    /* The plane's points, then each snapshot's true loss: one evaluation each. */
    size_t np = (size_t)g.nx * g.ny;
    progress_begin(&pg, np + (size_t)m, "pca: plane %dx%d and %d snapshots, %zu examples", g.nx,
                   g.ny, m, pd.k);
    rc = surface_eval(&o, pm.m.theta, pr.dir[0], pr.dir[1], &s, 128, 0, 1, progress_surface, &pg);
    if (rc) {
        progress_end(&pg);
        goto fail;
    }

    const char *name = pout.name;
    j = probe_sidecar("pca", pms, 1, &pd, &a);
    probe_out_stamp(&pout, j);
    cJSON_AddStringToObject(j, "kind", "pca");
    cJSON_AddStringToObject(j, "name", name);
    probe_sidecar_grid(j, &g);
    cJSON_AddNumberToObject(j, "margin", margin);
    cJSON *vr = cJSON_AddArrayToObject(j, "explained_variance_ratio");
    cJSON_AddItemToArray(vr, cJSON_CreateNumber(pr.var_ratio[0]));
    cJSON_AddItemToArray(vr, cJSON_CreateNumber(pr.var_ratio[1]));
    cJSON *path = cJSON_AddArrayToObject(j, "path");
    cJSON *sj = cJSON_AddArrayToObject(j, "snapshots");
    double worst_gap = 0, far = 0;
    for (int k = 0; k < m; k++) {
        double pt[2] = {pr.coords[2 * k], pr.coords[2 * k + 1]};
        cJSON_AddItemToArray(path, cJSON_CreateDoubleArray(pt, 2));
        double acc, truth = o.value(o.ctx, snaps[k], &acc);
        double read = surface_at(&s, pt[0], pt[1]);
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "file", names[k]);
        cJSON_AddNumberToObject(e, "step", (double)steps[k]);
        cJSON_AddItemToObject(e, "coords", cJSON_CreateDoubleArray(pt, 2));
        cJSON_AddNumberToObject(e, "distance_from_plane", pr.dist[k]);
        cJSON_AddNumberToObject(e, "loss", truth);
        cJSON_AddNumberToObject(e, "acc", acc);
        cJSON_AddNumberToObject(e, "loss_on_surface", read);
        cJSON_AddItemToArray(sj, e);
        worst_gap = fmax(worst_gap, fabs(truth - read));
        far = fmax(far, pr.dist[k]);
        progress_update(&pg, np + (size_t)k + 1);
    }
    progress_end(&pg);
    char title[300], sub[300], xl[80], yl[80];
    snprintf(title, sizeof title, "trajectory PCA plane: %s", pm.arch);
    snprintf(sub, sizeof sub, "%d snapshots, %zu %s examples; path drawn as projected", m, pd.k, a.split);
    snprintf(xl, sizeof xl, "PC1 (%.1f%% of variance)", 100 * pr.var_ratio[0]);
    snprintf(yl, sizeof yl, "PC2 (%.1f%% of variance)", 100 * pr.var_ratio[1]);
    cJSON_AddStringToObject(j, "title", title);
    cJSON_AddStringToObject(j, "subtitle", sub);
    cJSON_AddStringToObject(j, "xlabel", xl);
    cJSON_AddStringToObject(j, "ylabel", yl);
    cJSON_AddNumberToObject(j, "max_gap_true_vs_surface", worst_gap);
    cJSON_AddBoolToObject(j, "complete", 1);
    cJSON_AddNumberToObject(j, "wall_seconds", nn_now() - t0);
    if ((rc = probe_surface_save(&s, dir, name)) || (rc = probe_axes_save(&s.g, dir, name))) goto fail;
    char png[PROBE_PATH_MAX], json[PROBE_PATH_MAX];
    if ((rc = probe_json_write(probe_out_path(&pout, json, ".json"), j))) goto fail;
    probe_out_path(&pout, png, ".png");
    if ((rc = probe_render(j, dir, &a, png))) goto fail;
    printf("%s: %d snapshots, PC1 %.1f%% + PC2 %.1f%% of the variance; snapshots lie up to %.3g from "
           "the plane; their true loss differs from the surface's there by up to %.3g\n",
           png, m, 100 * pr.var_ratio[0], 100 * pr.var_ratio[1],
           far, worst_gap);
fail:
    for (int k = 0; k < m && k < MAX_SNAPS; k++) free(snaps[k]);
    probe_traj_free(names, m);
    pca_free(&pr);
    nnobj_free(&ctx);
    surface_free(&s);
    probe_model_close(&pm);
    probe_data_close(&pd);
    cJSON_Delete(j);
    probe_out_close(&pout);
    return rc ? cli_fail("pca", rc) : EXIT_OK;
}
