/* `saddle surface`: the loss on a 2-D plane or 1-D line through a trained
 * model along random (filter-normalized by default) or saved directions. */
#include <math.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../nn/pool.h"
#ifdef SADDLE_MPI
#include <mpi.h>
#endif
#include "../probes/directions.h"
#include "../probes/hessian.h"
#include "../probes/npy.h"
#include "../probes/render.h"
#include "probe.h"

static const char SURFACE_USAGE[] =
    "usage: saddle surface TARGET [TARGET ...] [options]\n"
    "\n"
    "Evaluates the loss at theta + x d1 + y d2 over a grid, for a run directory or\n"
    "checkpoint TARGET, and writes NAME.npy (loss), NAME_acc.npy, NAME_done.npy\n"
    "(completion map), NAME.json (every option) and NAME.png. An interrupted grid\n"
    "resumes where it stopped when run again with the same options. Several\n"
    "TARGETs (1-D only) are drawn on one plot along the same seeded directions.\n"
    "\n"
    "options:\n"
    "  --grid N | NxM      N: a 1-D slice of N points; NxM: a 2-D grid (default 51x51)\n"
    "  --range A:B[,C:D]   coordinate ranges (default -1:1)\n"
    "  --norm NAME         direction normalization: filter (default), layer, model, none\n"
    "  --bias NAME         direction's bias entries: zero (default), keep, normalize\n"
    "  --orth              orthogonalize the second direction to the first\n"
    "  --dirs FILE         load directions (safetensors dir0, dir1) instead of drawing them\n"
    "  --dirs hessian      the top and bottom Hessian eigenvectors (Lanczos), each scaled to\n"
    "                      |theta|: at a saddle the plane shows the saddle\n"
    "  --dirs hessian-top  the top two Hessian eigenvectors, each scaled to |theta|: the\n"
    "                      plane of steepest curvature at a minimum\n"
    "  --save-dirs FILE    save the directions used\n"
    "  --curvature         also lambda_max and lambda_min of the Hessian at every point\n"
    "                      (Lanczos, warm-started from the previous point): NAME_curvature.png\n"
    "                      maps |lambda_min/lambda_max|, NAME_convex.png where lambda_min < 0\n"
    "                      (default grid 11x11 and --limit 1000 with it)\n";

#define MAX_TARGETS 8

static int limit_given(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--limit")) return 1;
    return 0;
}

/* λmax and λmin of the Hessian at every point of the plane, each Lanczos run
 * warm-started from the previous point's top Ritz vector (neighbouring
 * points have similar eigenvectors, so few steps suffice); serpentine order
 * keeps consecutive points neighbours. Writes NAME_lmax/_lmin/_ratio.npy and
 * two pictures. */
static int curvature_map(const objective *o, const float *th, const float *d1, const float *d2,
                         const grid_spec *g, const char *dir, const char *name, cJSON *j,
                         const probe_args *a, const char *arch)
{
    size_t n = o->n, np = (size_t)g->nx * g->ny;
    double *lmax = malloc(np * sizeof *lmax), *lmin = malloc(np * sizeof *lmin);
    double *ratio = malloc(np * sizeof *ratio), *neg = malloc(np * sizeof *neg);
    float *tp = malloc(n * sizeof *tp), *warm = malloc(n * sizeof *warm);
    int rc = NN_OK, have_warm = 0;
    long hvps = 0;
    double worst_resid = 0;
    if (!lmax || !lmin || !ratio || !neg || !tp || !warm) {
        rc = nn_err(NN_ENOMEM, "curvature: out of memory");
        goto done;
    }
    double t0 = nn_now();
    for (int jy = 0; jy < g->ny && !rc; jy++) {
        for (int k = 0; k < g->nx; k++) {
            int ix = jy % 2 ? g->nx - 1 - k : k;
            double x = grid_x(g, ix), y = grid_y(g, jy);
            for (size_t i = 0; i < n; i++) tp[i] = (float)(th[i] + x * d1[i] + y * d2[i]);
            hess_lanczos_opts lo = {0};
            lo.k = 1;
            lo.want_min = 1;
            lo.max_steps = 40;
            lo.tol = 1e-2;
            lo.seed = a->seed;
            lo.start = have_warm ? warm : NULL;
            lo.want_vectors = 1;
            lo.basis_float = 1;
            hess_eig e = {0};
            if ((rc = hess_lanczos(o, tp, &lo, &e))) break;
            size_t p = (size_t)jy * g->nx + ix;
            lmax[p] = e.eval[0];
            lmin[p] = e.lmin;
            ratio[p] = fabs(e.lmin / e.eval[0]);
            neg[p] = e.lmin < 0 ? 1.0 : 0.0;
            hvps += e.hvps;
            worst_resid = fmax(worst_resid, e.resid[0] / fmax(fabs(e.eval[0]), 1e-12));
            memcpy(warm, e.evec, n * sizeof *warm);
            have_warm = 1;
            hess_eig_free(&e);
        }
        if (isatty(2))
            fprintf(stderr, "\rcurvature: row %d/%d, %ld HVPs, %.0f s", jy + 1, g->ny, hvps,
                    nn_now() - t0);
    }
    if (isatty(2)) fputc('\n', stderr);
    if (rc) goto done;
    size_t shape[2] = {(size_t)g->ny, (size_t)g->nx};
    char f[300];
    snprintf(f, sizeof f, "%s_lmax", name);
    if ((rc = npy_write_f64(probe_file(dir, f, ".npy"), lmax, 2, shape))) goto done;
    snprintf(f, sizeof f, "%s_lmin", name);
    if ((rc = npy_write_f64(probe_file(dir, f, ".npy"), lmin, 2, shape))) goto done;
    snprintf(f, sizeof f, "%s_ratio", name);
    if ((rc = npy_write_f64(probe_file(dir, f, ".npy"), ratio, 2, shape))) goto done;
    size_t nneg = 0;
    for (size_t p = 0; p < np; p++) nneg += neg[p] > 0;
    cJSON *cj = cJSON_AddObjectToObject(j, "curvature");
    cJSON_AddStringToObject(cj, "method", "Lanczos, k = 1 and lambda_min, warm-started, tol 1e-2, <= 40 steps");
    cJSON_AddNumberToObject(cj, "hvps", (double)hvps);
    cJSON_AddNumberToObject(cj, "worst_relative_residual", worst_resid);
    cJSON_AddNumberToObject(cj, "nonconvex_fraction", (double)nneg / (double)np);
    render_heatmap_opts ho;
    memset(&ho, 0, sizeof ho);
    char title[300], sub[300];
    snprintf(title, sizeof title, "|lambda_min / lambda_max| over the plane: %s", arch);
    snprintf(sub, sizeof sub, "Hessian at each point; %zu of %zu points have lambda_min < 0", nneg, np);
    ho.title = title;
    ho.subtitle = sub;
    ho.xlabel = "x (direction 1)";
    ho.ylabel = "y (direction 2)";
    ho.zlabel = "|lambda_min / lambda_max|";
    ho.no_min_marker = 1;
    ho.ncontours = a->levels > 0 ? a->levels : -1;
    if (a->cmap && (rc = render_cmap_parse(a->cmap, &ho.cmap))) goto done;
    snprintf(f, sizeof f, "%s_curvature", name);
    if ((rc = render_heatmap_png(probe_file(dir, f, ".png"), ratio, g->nx, g->ny, g->x0, g->x1,
                                 g->y0, g->y1, &ho, NULL)))
        goto done;
    ho.title = "where the Hessian has a negative eigenvalue (lambda_min < 0)";
    ho.zlabel = "1 = non-convex";
    ho.cmap = RENDER_CMAP_GRAY;
    ho.ncontours = -1;
    ho.vmin = 0;
    ho.vmax = 1;
    snprintf(f, sizeof f, "%s_convex", name);
    rc = render_heatmap_png(probe_file(dir, f, ".png"), neg, g->nx, g->ny, g->x0, g->x1, g->y0,
                            g->y1, &ho, NULL);
done:
    free(lmax);
    free(lmin);
    free(ratio);
    free(neg);
    free(tp);
    free(warm);
    return rc;
}

typedef struct save_ctx {
    const char *dir, *name;
    cJSON *j;
    const char *json;
    double t0, last;
} save_ctx;

static int save_progress(void *user, const surface *s, size_t done, size_t total)
{
    save_ctx *c = user;
    double now = nn_now();
    if (done < total && now - c->last < 2.0) return NN_OK;
    c->last = now;
    int rc = probe_surface_save(s, c->dir, c->name);
    if (rc) return rc;
    cJSON_ReplaceItemInObject(c->j, "points_done", cJSON_CreateNumber((double)done));
    cJSON_ReplaceItemInObject(c->j, "complete", cJSON_CreateBool(done == total));
    if ((rc = probe_json_write(c->json, c->j))) return rc;
    if (isatty(2) && total > 0)
        fprintf(stderr, "\r%s: %zu/%zu points (%.0f%%) %.1f s", c->name, done, total,
                100.0 * done / total, now - c->t0);
    return NN_OK;
}

#ifdef SADDLE_MPI
/* Every point was computed by exactly one rank: zero the others' entries and
 * sum, which moves each value to rank 0 unchanged (x + 0.0 == x exactly). */
static int merge_ranks(surface *s, int rc)
{
    int bad = rc != 0, any_bad = 0;
    MPI_Allreduce(&bad, &any_bad, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (any_bad) return rc ? rc : nn_err(NN_EIO, "surface: another MPI rank failed");
    size_t np = (size_t)s->g.nx * s->g.ny;
    for (size_t p = 0; p < np; p++)
        if (!s->done[p]) s->loss[p] = s->acc[p] = 0.0;
    if (np > (size_t)INT32_MAX) return nn_err(NN_EINVAL, "surface: grid too large for MPI");
    MPI_Allreduce(MPI_IN_PLACE, s->loss, (int)np, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    MPI_Allreduce(MPI_IN_PLACE, s->acc, (int)np, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    MPI_Allreduce(MPI_IN_PLACE, s->done, (int)np, MPI_UNSIGNED_CHAR, MPI_SUM, MPI_COMM_WORLD);
    for (size_t p = 0; p < np; p++)
        if (s->done[p] != 1) return nn_err(NN_EINVAL, "surface: point %zu computed by %d ranks", p, s->done[p]);
    return NN_OK;
}
#endif

int cmd_surface(int argc, char **argv)
{
    probe_args a;
    probe_args_defaults(&a);
    const char *targets[MAX_TARGETS], *grid = NULL, *range = "-1:1", *dirs_in = NULL,
               *dirs_out = NULL, *norm_s = "filter", *bias_s = "zero";
    int nt = 0, orth = 0, curvature = 0;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        int r = probe_args_parse("surface", SURFACE_USAGE, argc, argv, &i, &a);
        if (r == PROBE_HELP) return EXIT_OK;
        if (r < 0) return EXIT_USAGE;
        if (r) continue;
        if (!strcmp(o, "--orth")) orth = 1;
        else if (!strcmp(o, "--curvature")) curvature = 1;
        else if (!strcmp(o, "--grid") || !strcmp(o, "--range") || !strcmp(o, "--norm") ||
                 !strcmp(o, "--bias") || !strcmp(o, "--dirs") || !strcmp(o, "--save-dirs")) {
            if (i + 1 >= argc) return cli_usage_error("surface", "%s needs a value", o);
            const char *v = argv[++i];
            if (!strcmp(o, "--grid")) grid = v;
            else if (!strcmp(o, "--range")) range = v;
            else if (!strcmp(o, "--norm")) norm_s = v;
            else if (!strcmp(o, "--bias")) bias_s = v;
            else if (!strcmp(o, "--dirs")) dirs_in = v;
            else dirs_out = v;
        } else if (o[0] == '-' && o[1]) {
            return cli_usage_error("surface", "unknown option '%s'", o);
        } else if (nt < MAX_TARGETS) {
            targets[nt++] = o;
        } else {
            return cli_usage_error("surface", "at most %d targets", MAX_TARGETS);
        }
    }
    if (nt == 0) return cli_usage_error("surface", "a run directory or checkpoint is required");
    if (!grid) grid = nt > 1 ? "51" : curvature ? "11x11" : "51x51";
    int dims = strchr(grid, 'x') ? 2 : 1;
    if (curvature && (dims != 2 || nt > 1))
        return cli_usage_error("surface", "--curvature maps a 2-D grid of one target");
    if (curvature && !limit_given(argc, argv)) a.limit = 1000;
    if (nt > 1 && dims == 2)
        return cli_usage_error("surface", "several targets are overlaid on 1-D slices only (--grid N)");
    int norm = dir_norm_from_name(norm_s), bias = dir_bias_from_name(bias_s);
    if (norm < 0) return cli_usage_error("surface", "--norm is filter, layer, model or none, not '%s'", norm_s);
    if (bias < 0) return cli_usage_error("surface", "--bias is zero, keep or normalize, not '%s'", bias_s);
    grid_spec g;
    int rc = grid_parse(grid, range, dims, &g);
    if (rc) return cli_fail("surface", rc);
    if ((rc = pool_set_threads(a.threads))) return cli_fail("surface", rc);

    int rank = 0, nranks = 1;
#ifdef SADDLE_MPI
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &nranks);
#endif
    double t0 = nn_now();
    probe_model pm[MAX_TARGETS];
    const probe_model *pms[MAX_TARGETS];
    probe_data pd = {0};
    float *d[2] = {NULL, NULL}, *loaded[2] = {NULL, NULL};
    cJSON *j = NULL;
    surface s[MAX_TARGETS];
    memset(s, 0, sizeof s);
    memset(pm, 0, sizeof pm);
    int opened = 0;
    char dir[4096];
    const char *name = a.name ? a.name : dims == 2 ? "surface" : "slice";
    for (; opened < nt; opened++) {
        if ((rc = probe_model_open(&pm[opened], targets[opened], &a))) goto fail;
        pms[opened] = &pm[opened];
        if (pm[opened].m.n != pm[0].m.n || strcmp(pm[opened].arch, pm[0].arch)) {
            rc = nn_err(NN_EINVAL, "%s is %s but %s is %s: slices along the same directions need one architecture",
                        pm[opened].path, pm[opened].arch, pm[0].path, pm[0].arch);
            opened++;
            goto fail;
        }
    }
    if ((rc = probe_data_open(&pd, &pm[0], &a))) goto fail;
    size_t n = pm[0].m.n;
    /* 1: top and bottom eigenvectors, 2: the top two. */
    int hess_dirs = !dirs_in ? 0 : !strcmp(dirs_in, "hessian") ? 1 : !strcmp(dirs_in, "hessian-top") ? 2 : 0;
    if (hess_dirs && nt > 1)
        return cli_usage_error("surface", "--dirs %s takes one target: the eigenvectors are its own",
                               dirs_in);
    if (dirs_in && !hess_dirs) {
        int nd = 2;
        if ((rc = dir_load(dirs_in, loaded, &nd, n))) goto fail;
        if (nd < dims) {
            rc = nn_err(NN_EFORMAT, "%s: %d direction(s), a %d-D grid needs %d", dirs_in, nd, dims, dims);
            goto fail;
        }
    }
    /* Only now, with every input checked, is anything created. */
    if (rank == 0 && (rc = probe_outdir(&pm[0], &a, dir, sizeof dir))) goto fail;
    d[0] = malloc(n * sizeof(float));
    d[1] = malloc(n * sizeof(float));
    if (!d[0] || !d[1]) {
        rc = nn_err(NN_ENOMEM, "surface: out of memory");
        goto fail;
    }
    j = probe_sidecar("surface", pms, nt, &pd, &a);
    cJSON_AddStringToObject(j, "kind", dims == 2 ? "surface" : "slice");
    cJSON_AddStringToObject(j, "name", name);
    cJSON *dj = cJSON_AddObjectToObject(j, "directions");
    cJSON_AddStringToObject(dj, "source", hess_dirs == 2 ? "Hessian eigenvectors (top two)"
                                          : hess_dirs ? "Hessian eigenvectors (top, bottom)"
                                          : dirs_in ? dirs_in : "random gaussian");
    cJSON_AddStringToObject(dj, "norm", dirs_in ? "as saved" : norm_s);
    cJSON_AddStringToObject(dj, "bias", dirs_in ? "as saved" : bias_s);
    cJSON_AddNumberToObject(dj, "seed", (double)a.seed);
    cJSON_AddBoolToObject(dj, "orthogonalized", orth);
    probe_sidecar_grid(j, &g);
    cJSON *series = cJSON_AddArrayToObject(j, "series");
    cJSON_AddNumberToObject(j, "points_done", 0);
    cJSON_AddBoolToObject(j, "complete", 0);
    char title[400], sub[400];
    snprintf(title, sizeof title, "loss %s: %s", dims == 2 ? "surface" : "slice", pm[0].arch);
    if (hess_dirs)
        snprintf(sub, sizeof sub, "%s Hessian eigenvectors, each scaled to |theta|; %zu %s examples",
                 hess_dirs == 2 ? "top two" : "top and bottom", pd.k, a.split);
    else
        snprintf(sub, sizeof sub, "%s directions (bias %s), seed %llu, %zu %s examples",
                 dirs_in ? "saved" : norm_s, dirs_in ? "as saved" : bias_s,
                 (unsigned long long)a.seed, pd.k, a.split);
    cJSON_AddStringToObject(j, "title", title);
    cJSON_AddStringToObject(j, "subtitle", sub);
    cJSON_AddStringToObject(j, "xlabel", hess_dirs ? "x (top eigenvector)" : dims == 2 ? "x (direction 1)" : "alpha");
    cJSON_AddStringToObject(j, "ylabel", hess_dirs == 2 ? "y (second eigenvector)"
                                         : hess_dirs ? "y (bottom eigenvector)" : "y (direction 2)");
    cJSON *cos = cJSON_AddArrayToObject(dj, "cosine_before_orth");

    for (int t = 0; t < nt; t++) {
        const float *th = pm[t].m.theta;
        nnobj ctx;
        objective o;
        if ((rc = nnobj_init(&ctx, &o, &pm[t].m, pd.d, pd.idx, pd.k))) goto fail;
        if (hess_dirs) {
            /* The top and bottom eigenvectors of the Hessian at θ, each scaled
             * to ‖θ‖ so ranges read like those of filter-normalized
             * directions: at a saddle the plane shows the saddle. */
            hess_lanczos_opts lo = {0};
            lo.k = hess_dirs == 2 ? 2 : 1;
            lo.want_min = hess_dirs == 1;
            lo.want_vectors = 1;
            lo.tol = 1e-4;
            lo.seed = a.seed;
            hess_eig e = {0};
            rc = hess_lanczos(&o, th, &lo, &e);
            if (!rc) {
                double tn = 0, n1 = 0, n2 = 0;
                for (size_t i = 0; i < n; i++) {
                    tn += (double)th[i] * th[i];
                    n1 += (double)e.evec[i] * e.evec[i];
                }
                const float *v2 = hess_dirs == 2 ? e.evec + n : e.lmin_vec;
                for (size_t i = 0; i < n; i++) n2 += (double)v2[i] * v2[i];
                for (size_t i = 0; i < n; i++) {
                    d[0][i] = (float)(e.evec[i] * sqrt(tn / n1));
                    d[1][i] = (float)(v2[i] * sqrt(tn / n2));
                }
                cJSON_AddNumberToObject(dj, "lambda_max", e.eval[0]);
                if (hess_dirs == 2) cJSON_AddNumberToObject(dj, "lambda_2", e.eval[1]);
                else cJSON_AddNumberToObject(dj, "lambda_min", e.lmin);
                cJSON_AddNumberToObject(dj, "lanczos_hvps", e.hvps);
                cJSON_AddStringToObject(dj, "scale", "each eigenvector scaled to |theta|");
                fprintf(stderr, "Hessian directions: lambda_max %.6g (x axis), %s %.6g (y axis), %d HVPs\n",
                        e.eval[0], hess_dirs == 2 ? "lambda_2" : "lambda_min",
                        hess_dirs == 2 ? e.eval[1] : e.lmin, e.hvps);
            }
            hess_eig_free(&e);
        }
        /* The same seeded draw for every target, normalized to each one's θ. */
        for (int k = 0; k < dims && !rc && !hess_dirs; k++) {
            if (loaded[k]) {
                memcpy(d[k], loaded[k], n * sizeof(float));
            } else {
                rc = dir_random(&o, th, norm, bias, a.seed, k, d[k]);
            }
        }
        if (!rc && dims == 2) {
            double c0 = orth ? dir_orthogonalize(&o, th, norm, bias, d[0], d[1])
                             : dir_cosine(d[0], d[1], n);
            if (isnan(c0)) rc = NN_EINVAL;
            else cJSON_AddItemToArray(cos, cJSON_CreateNumber(c0));
        }
        if (!rc && t == 0 && dirs_out && rank == 0) {
            const char *keys[] = {"seed", "norm", "bias", "checkpoint"};
            char seed[32];
            snprintf(seed, sizeof seed, "%llu", (unsigned long long)a.seed);
            const char *vals[] = {seed, norm_s, bias_s, pm[0].path};
            const float *const dd[2] = {d[0], d[1]};
            rc = dir_save(dirs_out, dd, dims, n, keys, vals, 4);
        }
        char sname[300];
        if (nt > 1) snprintf(sname, sizeof sname, "%s-%d", name, t);
        else snprintf(sname, sizeof sname, "%s", name);
        if (!rc) rc = surface_alloc(&s[t], &g);
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "file", sname);
        cJSON_AddStringToObject(e, "label", pm[t].run[0] ? pm[t].run : pm[t].path);
        cJSON_AddItemToArray(series, e);
        /* Resume: an incomplete result of exactly these options is picked up. */
        const char *json = probe_file(dir, name, ".json");
        cJSON *old = NULL;
        if (!rc && t == 0 && nt == 1 && nranks == 1 && probe_json_read(json, &old) == NN_OK) {
            cJSON *cmp_old = cJSON_Duplicate(old, 1), *cmp_new = cJSON_Duplicate(j, 1);
            static const char *volatile_keys[] = {"points_done", "complete", "wall_seconds",
                                                  "threads", "loss_at_origin", "min"};
            for (size_t k = 0; k < sizeof volatile_keys / sizeof *volatile_keys; k++) {
                cJSON_DeleteItemFromObject(cmp_old, volatile_keys[k]);
                cJSON_DeleteItemFromObject(cmp_new, volatile_keys[k]);
            }
            int same = cJSON_Compare(cmp_old, cmp_new, 1);
            const cJSON *comp = cJSON_GetObjectItemCaseSensitive(old, "complete");
            if (same && !cJSON_IsTrue(comp) && probe_surface_load(&s[t], dir, sname) == NN_OK)
                fprintf(stderr, "resuming %s: %zu of %d points done\n", json,
                        (size_t)g.nx * g.ny - surface_remaining(&s[t]), g.nx * g.ny);
            cJSON_Delete(cmp_old);
            cJSON_Delete(cmp_new);
            cJSON_Delete(old);
        }
        if (!rc) {
            save_ctx sc = {dir, sname, j, json, t0, nn_now()};
            int block = g.nx * g.ny / 16 + 1;
            if (block > 256) block = 256;
            rc = surface_eval(&o, th, d[0], dims == 2 ? d[1] : NULL, &s[t], block, rank, nranks,
                              nt == 1 && nranks == 1 ? save_progress : NULL, &sc);
            if (isatty(2) && nt == 1 && nranks == 1) fputc('\n', stderr);
#ifdef SADDLE_MPI
            if (nranks > 1) rc = merge_ranks(&s[t], rc);
#endif
            if (!rc && rank == 0) rc = probe_surface_save(&s[t], dir, sname);
            if (!rc && rank == 0 && curvature)
                rc = curvature_map(&o, th, d[0], d[1], &g, dir, name, j, &a, pm[0].arch);
        }
        nnobj_free(&ctx);
        if (rc) goto fail;
    }
    if (rank != 0) goto fail; /* rank 0 writes and reports */
    /* Summary of the first target: the origin and the grid minimum. */
    size_t best = 0, np = (size_t)g.nx * g.ny;
    for (size_t p = 1; p < np; p++)
        if (s[0].loss[p] < s[0].loss[best]) best = p;
    double ox = 0, oy = 0;
    int io = (int)lround((0 - g.x0) / (g.x1 - g.x0) * (g.nx - 1));
    int jo = g.ny > 1 ? (int)lround((0 - g.y0) / (g.y1 - g.y0) * (g.ny - 1)) : 0;
    if (io >= 0 && io < g.nx && jo >= 0 && jo < g.ny) {
        ox = s[0].loss[(size_t)jo * g.nx + io];
        cJSON_AddNumberToObject(j, "loss_at_origin", ox);
    }
    (void)oy;
    cJSON *mj = cJSON_AddObjectToObject(j, "min");
    cJSON_AddNumberToObject(mj, "loss", s[0].loss[best]);
    cJSON_AddNumberToObject(mj, "x", grid_x(&g, (int)(best % g.nx)));
    cJSON_AddNumberToObject(mj, "y", grid_y(&g, (int)(best / g.nx)));
    cJSON_ReplaceItemInObject(j, "points_done", cJSON_CreateNumber((double)np));
    cJSON_ReplaceItemInObject(j, "complete", cJSON_CreateBool(1));
    cJSON_AddNumberToObject(j, "wall_seconds", nn_now() - t0);
    const char *png = probe_file(dir, name, ".png");
    if ((rc = probe_json_write(probe_file(dir, name, ".json"), j))) goto fail;
    if ((rc = probe_render(j, dir, &a, png))) goto fail;
    printf("%s: %d x %d points in %.1f s; loss at the origin %.4f, grid minimum %.4f at (%.3g, %.3g)\n",
           png, g.nx, g.ny, nn_now() - t0, ox, s[0].loss[best], grid_x(&g, (int)(best % g.nx)),
           grid_y(&g, (int)(best / g.nx)));
fail:
    for (int t = 0; t < nt; t++) surface_free(&s[t]);
    for (int t = 0; t < opened; t++) probe_model_close(&pm[t]);
    probe_data_close(&pd);
    free(d[0]);
    free(d[1]);
    free(loaded[0]);
    free(loaded[1]);
    cJSON_Delete(j);
    return rc && rank == 0 ? cli_fail("surface", rc) : rc ? EXIT_FAIL : EXIT_OK;
}
