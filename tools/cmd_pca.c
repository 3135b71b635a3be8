/* `saddle pca`: the plane of the training trajectory (Li et al. 2018): PCA
 * of the snapshots θ_i − θ_final, the loss on the plane of the top two
 * components, and the path drawn on it, with each snapshot's distance from
 * the plane and its true loss beside the loss read off the surface. Several
 * runs share one plane: the PCA of all their paths around the first run's
 * final weights, every path drawn on it, and how much of each it misses. */
#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../nn/pool.h"
#include "../probes/directions.h"
#include "../probes/pca.h"
#include "probe.h"
#include "render_kinds.h"
#include "progress.h"

static const char PCA_USAGE[] =
    "usage: saddle pca RUN [RUN2 ...] [options]\n"
    "\n"
    "Reads RUN/traj/*.safetensors (train.snapshot_every) and RUN/final.safetensors,\n"
    "finds the top two principal directions of theta_i - theta_final and evaluates\n"
    "the loss on their plane around the path. Writes NAME (default pca) .npy/.json/.png.\n"
    "\n"
    "Several runs of one architecture (other optimizers, seeds, learning rates)\n"
    "share one plane. Its origin is the FIRST run's final weights (list the run to\n"
    "centre on first); the PCA is over every run's theta_i - origin together; the\n"
    "surface is the first run's loss (its config, data and --limit subset), and every\n"
    "path is drawn on it in its own colour. Also written: NAME_paths.csv (each\n"
    "snapshot's plane coordinates, distance from the plane, alone and relative to\n"
    "its distance from the origin, and its true loss) and NAME_plane.safetensors\n"
    "(the two directions, dir0 and dir1); NAME.json has the explained variance\n"
    "overall and per run.\n"
    "\n"
    "options:\n"
    "  --grid NxM         grid (default 31x31)\n"
    "  --margin F         grid extends F times the paths' extent beyond them (default 0.25)\n";

#define MAX_SNAPS 4096
#define MAX_RUNS 8

/* One run of a shared plane: its final model, its snapshots' place among
 * the stacked rows, and what the picture and the tables call it. */
typedef struct pca_run {
    const char *arg;  /* as given */
    char label[128];  /* the directory's own name, or arg when two share one */
    probe_model pm;
    char **names;     /* traj/ files [m] */
    int m, first;     /* snapshots, and the first one's row in the stacked list */
    /* the fit of the shared plane (pca_group_fit) and the farthest snapshot,
     * absolute and relative to its distance from the origin */
    double ratio[2], share, far, rfar;
} pca_run;

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

/* Legend labels: each run's directory name, unless two runs share one. */
static void run_labels(pca_run *runs, int nrun)
{
    for (int r = 0; r < nrun; r++) {
        char tmp[4096];
        snprintf(tmp, sizeof tmp, "%s", runs[r].arg);
        size_t L = strlen(tmp);
        while (L > 1 && tmp[L - 1] == '/') tmp[--L] = 0;
        const char *b = strrchr(tmp, '/') && strrchr(tmp, '/')[1] ? strrchr(tmp, '/') + 1 : tmp;
        snprintf(runs[r].label, sizeof runs[r].label, "%.127s", b);
    }
    /* A run switches to its full argument at most once, so this ends. */
    int full[MAX_RUNS] = {0};
    for (int r = 0; r < nrun; r++)
        for (int q = 0; q < nrun; q++)
            if (q != r && !full[r] && !strcmp(runs[r].label, runs[q].label)) {
                snprintf(runs[r].label, sizeof runs[r].label, "%.127s", runs[r].arg);
                full[r] = 1;
                q = -1; /* another run's label may now equal this one */
            }
}

/* Every run before any work: a run directory, the first run's architecture,
 * not given twice. */
static int runs_check(pca_run *runs, int nrun)
{
    for (int r = 0; r < nrun; r++) {
        const probe_model *pm = &runs[r].pm, *p0 = &runs[0].pm;
        if (!pm->run[0])
            return nn_err(NN_EINVAL, "%s: pca needs a run directory (with traj/), not a checkpoint",
                          runs[r].arg);
        if (r && (pm->m.n != p0->m.n || strcmp(pm->arch, p0->arch)))
            return nn_err(NN_EINVAL, "%s is %s (%zu parameters) but %s is %s (%zu parameters): a "
                          "shared plane needs one architecture", runs[r].arg, pm->arch, pm->m.n,
                          runs[0].arg, p0->arch, p0->m.n);
        char ra[PATH_MAX], rb[PATH_MAX];
        for (int q = 0; q < r; q++)
            if (realpath(runs[r].arg, ra) && realpath(runs[q].arg, rb) && !strcmp(ra, rb))
                return nn_err(NN_EINVAL, "%s and %s are the same run", runs[q].arg, runs[r].arg);
    }
    return NN_OK;
}

/* A CSV field: quoted when it holds a comma, quote or line break. */
static size_t csv_field(char *buf, size_t len, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) return (size_t)snprintf(buf, len, "%s", s);
    size_t k = 0;
    if (k < len) buf[k] = '"';
    k++;
    for (; *s; s++) {
        if (*s == '"' && k < len) buf[k++] = '"';
        if (k < len) buf[k] = *s;
        k++;
    }
    if (k < len) buf[k] = '"';
    k++;
    if (len) buf[k < len ? k : len - 1] = 0;
    return k;
}

/* NAME_paths.csv: one row per snapshot of every run, written atomically. */
static int paths_csv(const char *path, const pca_run *runs, int nrun, const long *steps,
                     const pca_result *pr, const double *loss /* [m][3] */)
{
    /* A row: two names of at most 2 x 256 + 2 bytes quoted, eight numbers. */
    enum { ROW = 1400 };
    size_t cap = ROW + (size_t)pr->m * ROW, k = 0;
    char *buf = malloc(cap);
    if (!buf) return nn_err(NN_ENOMEM, "%s: out of memory", path);
    k += (size_t)snprintf(buf, cap, "run,snapshot,step,pc1,pc2,distance_from_plane,"
                          "relative_distance,loss,acc,loss_on_surface\n");
    for (int r = 0; r < nrun; r++)
        for (int s = 0; s < runs[r].m; s++) {
            int i = runs[r].first + s;
            char lab[520], file[520];
            csv_field(lab, sizeof lab, runs[r].label);
            csv_field(file, sizeof file, runs[r].names[s]);
            double rel = pr->norm[i] > 0 ? pr->dist[i] / pr->norm[i] : 0;
            k += (size_t)snprintf(buf + k, ROW, "%s,%s,%ld,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g\n",
                                  lab, file, steps[i], pr->coords[2 * i], pr->coords[2 * i + 1],
                                  pr->dist[i], rel, loss[3 * i], loss[3 * i + 1], loss[3 * i + 2]);
        }
    int rc = file_write_atomic(path, buf, k);
    free(buf);
    return rc;
}

/* The sidecar's part for several runs: the origin, every path (what render
 * draws), and per run its checkpoint, fit to the plane and snapshots. */
static int runs_json(cJSON *j, pca_run *runs, int nrun, const float *const *snaps,
                     const long *steps, const pca_result *pr, const double *loss)
{
    cJSON *or = cJSON_AddObjectToObject(j, "origin");
    cJSON_AddStringToObject(or, "run", runs[0].label);
    cJSON_AddStringToObject(or, "checkpoint", runs[0].pm.path);
    cJSON *paths = cJSON_AddArrayToObject(j, "paths");
    cJSON *rj = cJSON_AddArrayToObject(j, "runs");
    for (int r = 0; r < nrun; r++) {
        pca_run *R = &runs[r];
        int rc = pca_group_fit(snaps, runs[0].pm.m.theta, pr, R->first, R->m, R->ratio, &R->share);
        if (rc) return rc;
        cJSON *p = cJSON_CreateObject(), *pts = cJSON_CreateArray();
        cJSON_AddStringToObject(p, "label", R->label);
        cJSON_AddItemToObject(p, "points", pts);
        cJSON_AddItemToArray(paths, p);
        cJSON *e = cJSON_CreateObject();
        char crc[16];
        snprintf(crc, sizeof crc, "%08lx", R->pm.crc);
        cJSON_AddStringToObject(e, "run", R->label);
        cJSON_AddStringToObject(e, "dir", R->arg);
        cJSON_AddStringToObject(e, "checkpoint", R->pm.path);
        cJSON_AddStringToObject(e, "crc32", crc);
        cJSON_AddItemToObject(e, "explained_variance_ratio", cJSON_CreateDoubleArray(R->ratio, 2));
        cJSON_AddNumberToObject(e, "share_in_plane", R->share);
        cJSON *sj = cJSON_AddArrayToObject(e, "snapshots");
        R->far = R->rfar = 0;
        for (int s = 0; s < R->m; s++) {
            int i = R->first + s;
            double pt[2] = {pr->coords[2 * i], pr->coords[2 * i + 1]};
            double rel = pr->norm[i] > 0 ? pr->dist[i] / pr->norm[i] : 0;
            cJSON_AddItemToArray(pts, cJSON_CreateDoubleArray(pt, 2));
            cJSON *q = cJSON_CreateObject();
            cJSON_AddStringToObject(q, "file", R->names[s]);
            cJSON_AddNumberToObject(q, "step", (double)steps[i]);
            cJSON_AddItemToObject(q, "coords", cJSON_CreateDoubleArray(pt, 2));
            cJSON_AddNumberToObject(q, "distance_from_plane", pr->dist[i]);
            cJSON_AddNumberToObject(q, "relative_distance", rel);
            cJSON_AddNumberToObject(q, "loss", loss[3 * i]);
            cJSON_AddNumberToObject(q, "acc", loss[3 * i + 1]);
            cJSON_AddNumberToObject(q, "loss_on_surface", loss[3 * i + 2]);
            cJSON_AddItemToArray(sj, q);
            R->far = fmax(R->far, pr->dist[i]);
            R->rfar = fmax(R->rfar, rel);
        }
        cJSON_AddNumberToObject(e, "max_distance_from_plane", R->far);
        cJSON_AddNumberToObject(e, "max_relative_distance", R->rfar);
        cJSON_AddItemToArray(rj, e);
    }
    return NN_OK;
}

int cmd_pca(int argc, char **argv)
{
    probe_args a;
    probe_args_defaults(&a);
    const char *args[MAX_RUNS], *grid = "31x31";
    int nrun = 0;
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
        } else if (o[0] == '-' && o[1]) {
            return cli_usage_error("pca", "unknown option '%s'", o);
        } else if (nrun == MAX_RUNS) {
            return cli_usage_error("pca", "at most %d runs share a plane", MAX_RUNS);
        } else {
            args[nrun++] = o;
        }
    }
    if (!nrun) return cli_usage_error("pca", "a run directory is required");
    if (!strchr(grid, 'x')) return cli_usage_error("pca", "--grid is NxM");
    grid_spec g;
    /* The range comes from the paths later; the grid is checked now, before
     * any snapshot is read. */
    int rc = grid_parse(grid, "-1:1", 2, &g);
    if (rc) return cli_fail("pca", rc);
    if ((rc = pool_set_threads(a.threads))) return cli_fail("pca", rc);

    double t0 = nn_now();
    pca_run *runs = calloc((size_t)nrun, sizeof *runs);
    if (!runs) return cli_fail("pca", nn_err(NN_ENOMEM, "pca: out of memory"));
    const probe_model *pms[MAX_RUNS];
    probe_data pd = {0};
    nnobj ctx = {0};
    objective o;
    surface s = {0};
    pca_result pr = {0};
    cJSON *j = NULL;
    float *snaps[MAX_SNAPS];
    long steps[MAX_SNAPS];
    double *loss = NULL; /* [m][3]: true loss, accuracy, loss read off the surface */
    int m = 0, nread = 0;
    char tdir[4200];
    probe_out pout = {.lock = {-1}};
    const char *dir = pout.dir;
    progress pg;
    for (int r = 0; r < nrun; r++) {
        runs[r].arg = args[r];
        pms[r] = &runs[r].pm;
        if ((rc = probe_model_open(&runs[r].pm, args[r], &a))) goto fail;
    }
    if ((rc = runs_check(runs, nrun))) goto fail;
    run_labels(runs, nrun);
    for (int r = 0; r < nrun; r++) {
        snprintf(tdir, sizeof tdir, "%s/traj", runs[r].arg);
        if ((rc = probe_traj_list(runs[r].arg, &runs[r].names, &runs[r].m))) goto fail;
        if (runs[r].m < 2) {
            rc = nn_err(NN_EINVAL, "%s: %d snapshot(s); PCA of a trajectory needs at least 2", tdir,
                        runs[r].m);
            goto fail;
        }
        runs[r].first = m;
        m += runs[r].m;
        if (m > MAX_SNAPS) {
            rc = nrun == 1 ? nn_err(NN_EINVAL, "%s: %d snapshots; at most %d are read", tdir, m, MAX_SNAPS)
                           : nn_err(NN_EINVAL, "%d runs with %d snapshots or more; at most %d are read",
                                    nrun, m, MAX_SNAPS);
            goto fail;
        }
    }
    const probe_model *p0 = &runs[0].pm;
    if ((rc = probe_data_open(&pd, p0, &a))) goto fail;
    if ((rc = probe_out_open(&pout, "pca", "pca", pms, nrun, &a, argc, argv, NULL))) goto fail;
    if (!(loss = malloc((size_t)m * 3 * sizeof *loss))) {
        rc = nn_err(NN_ENOMEM, "pca: out of memory for %d snapshots", m);
        goto fail;
    }
    progress_begin(&pg, (size_t)m, "pca: reading %d snapshots", m);
    for (int r = 0; r < nrun; r++)
        for (int k = 0; k < runs[r].m; k++) {
            char p[4400];
            snprintf(p, sizeof p, "%s/traj/%s", runs[r].arg, runs[r].names[k]);
            model sm;
            ckpt_info info = {0};
            if ((rc = ckpt_load(p, &sm, -1, 0, &info, NULL, NULL, 0))) goto fail;
            steps[nread] = info.step;
            ckpt_info_free(&info);
            if (sm.n != p0->m.n) {
                model_free(&sm);
                rc = nn_err(NN_EFORMAT, "%s: %zu parameters, final.safetensors has %zu", p, sm.n, p0->m.n);
                goto fail;
            }
            snaps[nread++] = sm.theta; /* keep θ, drop the rest */
            progress_update(&pg, (size_t)nread);
        }
    progress_end(&pg);
    if ((rc = pca_trajectory((const float *const *)snaps, m, p0->m.theta, p0->m.n, &pr))) goto fail;
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
    if ((rc = nnobj_init(&ctx, &o, &p0->m, pd.d, pd.idx, pd.k))) goto fail;
    if ((rc = surface_alloc(&s, &g))) goto fail;
    /* The plane's points, then each snapshot's true loss: one evaluation each. */
    size_t np = (size_t)g.nx * g.ny;
    progress_begin(&pg, np + (size_t)m, "pca: plane %dx%d and %d snapshots, %zu examples", g.nx,
                   g.ny, m, pd.k);
    rc = surface_eval(&o, p0->m.theta, pr.dir[0], pr.dir[1], &s, 128, 0, 1, progress_surface, &pg);
    if (rc) {
        progress_end(&pg);
        goto fail;
    }
    double worst_gap = 0, far = 0;
    for (int k = 0; k < m; k++) {
        double acc, truth = o.value(o.ctx, snaps[k], &acc);
        double read = surface_at(&s, pr.coords[2 * k], pr.coords[2 * k + 1]);
        loss[3 * k] = truth;
        loss[3 * k + 1] = acc;
        loss[3 * k + 2] = read;
        worst_gap = fmax(worst_gap, fabs(truth - read));
        far = fmax(far, pr.dist[k]);
        progress_update(&pg, np + (size_t)k + 1);
    }
    progress_end(&pg);

    const char *name = pout.name;
    j = probe_sidecar("pca", pms, nrun, &pd, &a);
    probe_out_stamp(&pout, j);
    cJSON_AddStringToObject(j, "kind", "pca");
    cJSON_AddStringToObject(j, "name", name);
    probe_sidecar_grid(j, &g);
    cJSON_AddNumberToObject(j, "margin", margin);
    cJSON *vr = cJSON_AddArrayToObject(j, "explained_variance_ratio");
    cJSON_AddItemToArray(vr, cJSON_CreateNumber(pr.var_ratio[0]));
    cJSON_AddItemToArray(vr, cJSON_CreateNumber(pr.var_ratio[1]));
    char title[300], sub[600], xl[80], yl[80];
    if (nrun == 1) {
        cJSON *path = cJSON_AddArrayToObject(j, "path");
        cJSON *sj = cJSON_AddArrayToObject(j, "snapshots");
        for (int k = 0; k < m; k++) {
            double pt[2] = {pr.coords[2 * k], pr.coords[2 * k + 1]};
            cJSON_AddItemToArray(path, cJSON_CreateDoubleArray(pt, 2));
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "file", runs[0].names[k]);
            cJSON_AddNumberToObject(e, "step", (double)steps[k]);
            cJSON_AddItemToObject(e, "coords", cJSON_CreateDoubleArray(pt, 2));
            cJSON_AddNumberToObject(e, "distance_from_plane", pr.dist[k]);
            cJSON_AddNumberToObject(e, "loss", loss[3 * k]);
            cJSON_AddNumberToObject(e, "acc", loss[3 * k + 1]);
            cJSON_AddNumberToObject(e, "loss_on_surface", loss[3 * k + 2]);
            cJSON_AddItemToArray(sj, e);
        }
        snprintf(title, sizeof title, "trajectory PCA plane: %s", p0->arch);
        snprintf(sub, sizeof sub, "%d snapshots, %zu %s examples; path drawn as projected", m, pd.k,
                 a.split);
    } else {
        if ((rc = runs_json(j, runs, nrun, (const float *const *)snaps, steps, &pr, loss))) goto fail;
        snprintf(title, sizeof title, "shared trajectory PCA plane of %d runs: %s", nrun, p0->arch);
        snprintf(sub, sizeof sub, "%d snapshots; origin and loss: %s (final weights, %zu %s "
                 "examples); paths drawn as projected", m, runs[0].label, pd.k, a.split);
    }
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
    char png[PROBE_PATH_MAX], json[PROBE_PATH_MAX], extra[PROBE_PATH_MAX];
    if (nrun > 1) {
        if ((rc = paths_csv(probe_out_path(&pout, extra, "_paths.csv"), runs, nrun, steps, &pr, loss)))
            goto fail;
        const char *keys[] = {"origin"}, *vals[] = {p0->path};
        const float *const dd[2] = {pr.dir[0], pr.dir[1]};
        if ((rc = dir_save(probe_out_path(&pout, extra, "_plane.safetensors"), dd, 2, p0->m.n, keys,
                           vals, 1)))
            goto fail;
    }
    if ((rc = probe_json_write(probe_out_path(&pout, json, ".json"), j))) goto fail;
    probe_out_path(&pout, png, picture_ext(&a.pic));
    if ((rc = render_kind_draw(j, dir, &a, png))) goto fail;
    if (nrun == 1)
        printf("%s: %d snapshots, PC1 %.1f%% + PC2 %.1f%% of the variance; snapshots lie up to %.3g "
               "from the plane; their true loss differs from the surface's there by up to %.3g\n",
               png, m, 100 * pr.var_ratio[0], 100 * pr.var_ratio[1], far, worst_gap);
    else
        printf("%s: %d runs, %d snapshots, on the plane through %s's final weights: PC1 %.1f%% + "
               "PC2 %.1f%% of the variance of all paths; their true loss differs from the "
               "surface's there by up to %.3g\n",
               png, nrun, m, runs[0].label, 100 * pr.var_ratio[0], 100 * pr.var_ratio[1], worst_gap);
    for (int r = 0; nrun > 1 && r < nrun; r++)
        printf("  %s: %d snapshots; PC1 %.1f%% + PC2 %.1f%% of its own variance; snapshots up to "
               "%.3g from the plane, and up to %.1f%% of a snapshot's distance from the origin\n",
               runs[r].label, runs[r].m,
               100 * runs[r].ratio[0], 100 * runs[r].ratio[1], runs[r].far, 100 * runs[r].rfar);
fail:
    for (int k = 0; k < nread; k++) free(snaps[k]);
    free(loss);
    pca_free(&pr);
    nnobj_free(&ctx); /* before the model it evaluates */
    surface_free(&s);
    probe_data_close(&pd);
    for (int r = 0; r < nrun; r++) {
        probe_traj_free(runs[r].names, runs[r].m);
        probe_model_close(&runs[r].pm);
    }
    free(runs);
    cJSON_Delete(j);
    probe_out_close(&pout);
    return rc ? cli_fail("pca", rc) : EXIT_OK;
}
