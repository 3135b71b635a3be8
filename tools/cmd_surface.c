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
#include "probe.h"
#include "probe_3d.h"
#include "render_kinds.h"
#include "progress.h"
#include "surface_curvature.h"

static const char SURFACE_USAGE[] =
    "usage: saddle surface TARGET [TARGET ...] [options]\n"
    "\n"
    "Evaluates the loss at theta + x d1 + y d2 over a grid, for a run directory or\n"
    "checkpoint TARGET, and writes NAME.npy (loss), NAME_acc.npy, NAME_done.npy\n"
    "(completion map), NAME.json (every option) and NAME.png; NAME is surface, or\n"
    "slice for a 1-D grid. An interrupted grid resumes where it stopped when run\n"
    "again with the same options (under mpirun too: each rank saves its own\n"
    "points). A result of other options is never replaced: NAME-2, NAME-3 ... is\n"
    "taken instead (see --name, --overwrite). Several TARGETs (1-D only) are\n"
    "drawn on one plot along the same seeded directions.\n"
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
    "  --save-every S      save the partial grid every S seconds (default 2; 0 = every block)\n"
    "  --curvature         also lambda_max and lambda_min of the Hessian at every point\n"
    "                      (Lanczos, warm-started from the previous point): NAME_curvature.png\n"
    "                      maps |lambda_min/lambda_max|, NAME_convex.png where lambda_min < 0\n"
    "                      (default grid 11x11, --limit 1000 and name surface-curvature with it)\n"
    "  --vtk               also NAME.vtk: the 2-D surface as a VTK structured grid for ParaView\n"
    "  --3d                also NAME_3d.png: the surface in 3-D (see --azim, --elev, --zmax)\n"
    "  --azim DEG, --elev DEG, --zmax Z   the 3-D view (see `saddle render --help`)\n"
    "                      (--3d and --vtk change no result: asked of a complete one, they\n"
    "                      draw their files and keep the result as it is)\n";

#define MAX_TARGETS 8

static int limit_given(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--limit")) return 1;
    return 0;
}

typedef struct save_ctx {
    const char *dir, *name;
    cJSON *j;
    char json[PROBE_PATH_MAX];  /* its own copy: the path is written many times */
    double last, every;
    int save;                   /* 0 = progress only (several targets are not resumed) */
    progress pg;
} save_ctx;

static int save_progress(void *user, const surface *s, size_t done, size_t total)
{
    save_ctx *c = user;
    progress_update(&c->pg, done);
    double now = nn_now();
    if (!c->save || (done < total && now - c->last < c->every)) return NN_OK;
    c->last = now;
    int rc = probe_surface_save(s, c->dir, c->name);
    if (rc) return rc;
    cJSON_ReplaceItemInObject(c->j, "points_done", cJSON_CreateNumber((double)done));
    cJSON_ReplaceItemInObject(c->j, "complete", cJSON_CreateBool(done == total));
    return probe_json_write(c->json, c->j);
}

/* Each MPI rank saves its own points as NAME.rank-R*.npy (a lost rank
 * loses only what it computed since its last save); a resume of any rank
 * count reads every part back. */
#define RANK_PARTS_MAX 256

typedef struct rank_save {
    save_ctx *sc;
    int rank, nranks;
} rank_save;

static int save_rank_progress(void *user, const surface *s, size_t done, size_t total)
{
    rank_save *r = user;
    if (r->nranks == 1) return save_progress(r->sc, s, done, total);
    save_ctx *c = r->sc;
    if (r->rank == 0) {
        c->pg.total = total; /* rank 0's own share, shown for all */
        progress_update(&c->pg, done);
    }
    double now = nn_now();
    if (!c->save || now - c->last < c->every) return NN_OK;
    c->last = now;
    char part[320];
    snprintf(part, sizeof part, "%s.rank-%d", c->name, r->rank);
    int rc = probe_surface_save(s, c->dir, part);
    if (rc || r->rank != 0) return rc;
    /* The sidecar says what the parts belong to; only the merge completes it. */
    cJSON_ReplaceItemInObject(c->j, "points_done", cJSON_CreateNumber((double)(s->g.nx * s->g.ny - surface_remaining(s))));
    cJSON_ReplaceItemInObject(c->j, "complete", cJSON_CreateBool(0));
    return probe_json_write(c->json, c->j);
}

/* Copies the points done in part into s. */
static void merge_part(surface *s, const surface *part)
{
    size_t np = (size_t)s->g.nx * s->g.ny;
    for (size_t p = 0; p < np; p++)
        if (part->done[p] && !s->done[p]) {
            s->loss[p] = part->loss[p];
            s->acc[p] = part->acc[p];
            s->done[p] = 1;
        }
}

/* Picks up a result of exactly these options (sidecar j): the
 * single-process files and every rank's part. A partial file that does not
 * fit the grid is said and ignored: those points are computed again. A
 * complete result is read back whole and kept as it is (returns 1), unless
 * --overwrite asks for it to be computed anew. */
static int resume(surface *s, const cJSON *j, const char *dir, const char *name, const char *json,
                  int rank, int overwrite)
{
    cJSON *old = NULL;
    if (probe_json_read(json, &old) != NN_OK) return 0;
    cJSON *cmp_old = cJSON_Duplicate(old, 1), *cmp_new = cJSON_Duplicate(j, 1);
    static const char *volatile_keys[] = {"points_done", "complete", "wall_seconds", "threads",
                                          "loss_at_origin", "min", "invocation"};
    for (size_t k = 0; k < sizeof volatile_keys / sizeof *volatile_keys; k++) {
        cJSON_DeleteItemFromObject(cmp_old, volatile_keys[k]);
        cJSON_DeleteItemFromObject(cmp_new, volatile_keys[k]);
    }
    int same = cJSON_Compare(cmp_old, cmp_new, 1);
    int complete = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(old, "complete"));
    cJSON_Delete(cmp_old);
    cJSON_Delete(cmp_new);
    cJSON_Delete(old);
    if (!same || (complete && overwrite)) return 0;
    surface part;
    if (surface_alloc(&part, &s->g)) return 0;
    char p[PROBE_PATH_MAX], pn[320];
    for (int r = -1; r < RANK_PARTS_MAX; r++) {
        if (r < 0) snprintf(pn, sizeof pn, "%s", name);
        else snprintf(pn, sizeof pn, "%s.rank-%d", name, r);
        if (access(probe_path(p, dir, pn, "_done.npy"), F_OK) != 0) continue;
        if (probe_surface_load(&part, dir, pn) == NN_OK) merge_part(s, &part);
        else if (rank == 0) fprintf(stderr, "surface: %s; its points are computed again\n", nn_errmsg());
    }
    surface_free(&part);
    size_t np = (size_t)s->g.nx * s->g.ny, have = np - surface_remaining(s);
    if (have == np && complete) return 1;
    if (rank == 0) {
        if (have) fprintf(stderr, "resuming %s: %zu of %zu points done\n", json, have, np);
        else fprintf(stderr, "%s: no saved points fit the grid; starting over\n", json);
    }
    return 0;
}

static void remove_rank_parts(const char *dir, const char *name)
{
    static const char *const ext[] = {".npy", "_acc.npy", "_done.npy"};
    char p[PROBE_PATH_MAX], pn[320];
    for (int r = 0; r < RANK_PARTS_MAX; r++) {
        snprintf(pn, sizeof pn, "%s.rank-%d", name, r);
        for (int e = 0; e < 3; e++) unlink(probe_path(p, dir, pn, ext[e]));
    }
}

/* Saved directions whose entries make theta + x d1 + y d2 non-finite at a
 * corner of the grid would fill it with NaN after the whole run: refused
 * up front, naming the file. */
static int corners_finite(const float *th, const float *d1, const float *d2, size_t n,
                          const grid_spec *g, const char *file)
{
    double xs[2] = {g->x0, g->x1}, ys[2] = {g->y0, g->y1};
    for (int c = 0; c < 4; c++) {
        double x = xs[c & 1], y = d2 ? ys[c >> 1] : 0;
        for (size_t i = 0; i < n; i++) {
            double v = th[i] + x * d1[i] + (d2 ? y * d2[i] : 0.0);
            if (!isfinite((float)v) || !isfinite(d1[i]) || (d2 && !isfinite(d2[i])))
                return nn_err(NN_EINVAL, "%s: entry %zu of the directions makes theta + x d "
                              "non-finite at the grid corner (%g, %g)", file, i, x, y);
        }
    }
    return NN_OK;
}

#ifdef SADDLE_MPI
/* Every new point was computed by exactly one rank and every resumed one
 * (done in `before`) is known to all: keep each value on one rank, zero
 * the rest and sum, which moves it to rank 0 unchanged (x + 0.0 == x). */
static int merge_ranks(surface *s, const uint8_t *before, int rank, int rc)
{
    int bad = rc != 0, any_bad = 0;
    MPI_Allreduce(&bad, &any_bad, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (any_bad) return rc ? rc : nn_err(NN_EIO, "surface: another MPI rank failed");
    size_t np = (size_t)s->g.nx * s->g.ny;
    for (size_t p = 0; p < np; p++)
        if (!s->done[p] || (before[p] && rank != 0)) {
            s->loss[p] = s->acc[p] = 0.0;
            s->done[p] = 0;
        }
    if (np > (size_t)INT32_MAX) return nn_err(NN_EINVAL, "surface: grid too large for MPI");
    MPI_Allreduce(MPI_IN_PLACE, s->loss, (int)np, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    MPI_Allreduce(MPI_IN_PLACE, s->acc, (int)np, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    MPI_Allreduce(MPI_IN_PLACE, s->done, (int)np, MPI_UNSIGNED_CHAR, MPI_SUM, MPI_COMM_WORLD);
    for (size_t p = 0; p < np; p++)
        if (s->done[p] != 1) return nn_err(NN_EINVAL, "surface: point %zu computed by %d ranks", p, s->done[p]);
    return NN_OK;
}
#endif

/* The pictures asked for beside the heatmap, of a complete result. */
static int extra_pictures(const cJSON *j, const char *dir, const char *name, const probe_args *a,
                          const probe_view3d *v3, int vtk)
{
    char p[PROBE_PATH_MAX];
    int rc = NN_OK;
    char ext[16];
    snprintf(ext, sizeof ext, "_3d%s", picture_ext(&a->pic));
    if (v3->on && !(rc = probe_render_3d(j, dir, a, v3, probe_path(p, dir, name, ext))))
        printf("%s\n", p);
    if (!rc && vtk && !(rc = probe_vtk(j, dir, probe_path(p, dir, name, ".vtk")))) printf("%s\n", p);
    return rc;
}

/* A legend names a run by its directory's last component (runs/sb-s1 ->
 * "sb-s1"), a lone checkpoint by its path; the full path only when two
 * targets would read the same. */
static const char *series_tail(const char *p, size_t *len)
{
    size_t n = strlen(p);
    while (n > 1 && p[n - 1] == '/') n--;
    size_t b = n;
    while (b > 0 && p[b - 1] != '/') b--;
    *len = n - b;
    return p + b;
}

static const char *series_label(const probe_model *pm, int nt, int t, char *buf, size_t cap)
{
    if (!pm[t].run[0]) return pm[t].path;
    size_t n, m;
    const char *b = series_tail(pm[t].run, &n);
    for (int u = 0; u < nt; u++) {
        if (u == t || !pm[u].run[0]) continue;
        const char *c = series_tail(pm[u].run, &m);
        if (m == n && !memcmp(b, c, n) && strcmp(pm[u].run, pm[t].run)) return pm[t].run;
    }
    snprintf(buf, cap, "%.*s", (int)n, b);
    return buf;
}

int cmd_surface(int argc, char **argv)
{
    probe_args a;
    probe_args_defaults(&a);
    const char *targets[MAX_TARGETS], *grid = NULL, *range = "-1:1", *dirs_in = NULL,
               *dirs_out = NULL, *norm_s = "filter", *bias_s = "zero";
    int nt = 0, orth = 0, curvature = 0, vtk = 0;
    double save_every = 2.0;
    probe_view3d v3;
    probe_3d_defaults(&v3);
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        int r = probe_args_parse("surface", SURFACE_USAGE, argc, argv, &i, &a);
        if (r == PROBE_HELP) return EXIT_OK;
        if (!r) r = probe_3d_parse("surface", argc, argv, &i, &v3);
        if (r < 0) return EXIT_USAGE;
        if (r) continue;
        if (!strcmp(o, "--orth")) orth = 1;
        else if (!strcmp(o, "--vtk")) vtk = 1;
        else if (!strcmp(o, "--curvature")) curvature = 1;
        else if (!strcmp(o, "--grid") || !strcmp(o, "--range") || !strcmp(o, "--norm") ||
                 !strcmp(o, "--bias") || !strcmp(o, "--dirs") || !strcmp(o, "--save-dirs") ||
                 !strcmp(o, "--save-every")) {
            if (i + 1 >= argc) return cli_usage_error("surface", "%s needs a value", o);
            const char *v = argv[++i];
            if (!strcmp(o, "--grid")) grid = v;
            else if (!strcmp(o, "--range")) range = v;
            else if (!strcmp(o, "--norm")) norm_s = v;
            else if (!strcmp(o, "--bias")) bias_s = v;
            else if (!strcmp(o, "--dirs")) dirs_in = v;
            else if (!strcmp(o, "--save-every")) {
                char *end;
                save_every = strtod(v, &end);
                if (end == v || *end || !(save_every >= 0 && save_every <= 86400))
                    return cli_usage_error("surface", "--save-every wants seconds in 0..86400, not '%s'", v);
            } else dirs_out = v;
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
    if (probe_3d_check("surface", &v3)) return EXIT_USAGE;
    if ((v3.on || vtk) && (dims != 2 || nt > 1))
        return cli_usage_error("surface", "%s draws a 2-D grid of one target", v3.on ? "--3d" : "--vtk");
    if (nt > 1 && dims == 2)
        return cli_usage_error("surface", "several targets are overlaid on 1-D slices only (--grid N)");
    int norm = dir_norm_from_name(norm_s), bias = dir_bias_from_name(bias_s);
    if (norm < 0) return cli_usage_error("surface", "--norm is filter, layer, model or none, not '%s'", norm_s);
    if (bias < 0) return cli_usage_error("surface", "--bias is zero, keep or normalize, not '%s'", bias_s);
    /* 1: top and bottom eigenvectors, 2: the top two. */
    int hess_dirs = !dirs_in ? 0 : !strcmp(dirs_in, "hessian") ? 1 : !strcmp(dirs_in, "hessian-top") ? 2 : 0;
    if (hess_dirs && nt > 1)
        return cli_usage_error("surface", "--dirs %s takes one target: the eigenvectors are its own",
                               dirs_in);
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
    int kept = 0; /* a complete result of these options, left as it is */
    probe_out po = {.lock = {-1}};
    const char *dir = po.dir, *name = po.name;
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
    /* A non-finite θ would give a grid of NaN (or a NaN cosine) after all
     * the work: said up front, with where it is. */
    for (int t = 0; t < nt; t++)
        for (size_t i = 0; i < pm[t].m.n; i++)
            if (!isfinite(pm[t].m.theta[i])) {
                rc = nn_err(NN_EINVAL, "%s: parameter %zu of theta is %s: the checkpoint holds "
                            "non-finite weights", pm[t].path, i, isnan(pm[t].m.theta[i]) ? "NaN" : "Inf");
                goto fail;
            }
    if ((rc = probe_data_open(&pd, &pm[0], &a))) goto fail;
    size_t n = pm[0].m.n;
    if (dirs_in && !hess_dirs) {
        int nd = 2;
        if ((rc = dir_load(dirs_in, loaded, &nd, n))) goto fail;
        if (nd < dims) {
            rc = nn_err(NN_EFORMAT, "%s: %d direction(s), a %d-D grid needs %d", dirs_in, nd, dims, dims);
            goto fail;
        }
        for (int t = 0; t < nt && !rc; t++)
            rc = corners_finite(pm[t].m.theta, loaded[0], dims == 2 ? loaded[1] : NULL, n, &g,
                                dirs_in);
        if (rc) goto fail;
    }
    /* Only now, with every input checked, is anything created. */
    static const char *const ignore[] = {"--save-dirs FILE", "--save-every S", "--vtk", PROBE_3D_IGNORE,
                                         NULL};
    if (rank == 0)
        rc = probe_out_open(&po, "surface", curvature ? "surface-curvature" : dims == 2 ? "surface" : "slice", pms, nt, &a, argc,
                            argv, ignore);
#ifdef SADDLE_MPI
    /* Every rank learns the name rank 0 chose: each saves its own part there. */
    MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (rc && rank != 0) rc = nn_err(rc, "surface: rank 0 could not open the output");
    MPI_Bcast(po.dir, sizeof po.dir, MPI_CHAR, 0, MPI_COMM_WORLD);
    MPI_Bcast(po.name, sizeof po.name, MPI_CHAR, 0, MPI_COMM_WORLD);
#endif
    if (rc) goto fail;
    d[0] = malloc(n * sizeof(float));
    d[1] = malloc(n * sizeof(float));
    if (!d[0] || !d[1]) {
        rc = nn_err(NN_ENOMEM, "surface: out of memory");
        goto fail;
    }
    j = probe_sidecar("surface", pms, nt, &pd, &a);
    if (rank == 0) probe_out_stamp(&po, j);
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
        snprintf(sub, sizeof sub, "%s Hessian eigenvectors, each scaled to ‖θ‖; %zu %s examples",
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
                /* Eigenvalues depend on the examples: say which (hessian's own
                 * default subset is smaller). */
                cJSON_AddStringToObject(dj, "examples", pd.idx ? "the surface's seeded random subset" : "all");
                cJSON_AddNumberToObject(dj, "example_count", (double)pd.k);
                fprintf(stderr, "Hessian directions: lambda_max %.6g (x axis), %s %.6g (y axis), %d HVPs; "
                        "on %zu %s examples (%s, seed %llu)\n",
                        e.eval[0], hess_dirs == 2 ? "lambda_2" : "lambda_min",
                        hess_dirs == 2 ? e.eval[1] : e.lmin, e.hvps, pd.k, a.split,
                        pd.idx ? "seeded random subset, --limit" : "all of them",
                        (unsigned long long)a.seed);
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
            if (isnan(c0))
                rc = nn_err(NN_EINVAL, "%s: the two directions' cosine is NaN (a direction with "
                            "non-finite entries, or of zero length)", pm[t].path);
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
        char slabel[4096];
        cJSON_AddStringToObject(e, "label", series_label(pm, nt, t, slabel, sizeof slabel));
        cJSON_AddItemToArray(series, e);
        /* Resume: an incomplete result of exactly these options is picked up. */
        save_ctx sc = {.dir = dir, .name = sname, .j = j, .last = nn_now(), .every = save_every,
                       .save = nt == 1};
        /* A log shows a line after the first block and at the end however
         * short the surface, and one every ~10 s between. */
        char shape[64];
        if (dims == 2) snprintf(shape, sizeof shape, "%dx%d grid", g.nx, g.ny);
        else snprintf(shape, sizeof shape, "line of %d", g.nx);
        if (nranks > 1) progress_begin(&sc.pg, 0, "%s: rank 0's share of the %s", sname, shape);
        else progress_begin(&sc.pg, (size_t)g.nx * g.ny, "%s: %s", sname, shape);
        progress_unit(&sc.pg, "points", 0);
        sc.pg.log_ends = 1;
        probe_path(sc.json, dir, name, ".json");
        if (!rc && t == 0 && nt == 1) kept = resume(&s[t], j, dir, sname, sc.json, rank, a.overwrite);
        if (kept) {
            nnobj_free(&ctx);
            break;
        }
        if (!rc && nranks == 1) sc.pg.base = (size_t)g.nx * g.ny - surface_remaining(&s[t]);
        uint8_t *before = NULL;
        if (!rc && nranks > 1 && !(before = malloc((size_t)g.nx * g.ny)))
            rc = nn_err(NN_ENOMEM, "surface: out of memory");
        if (before) memcpy(before, s[t].done, (size_t)g.nx * g.ny);
        if (!rc) {
            int block = g.nx * g.ny / 16 + 1;
            if (block > 256) block = 256;
            rank_save rs = {&sc, rank, nranks};
            rc = surface_eval(&o, th, d[0], dims == 2 ? d[1] : NULL, &s[t], block, rank, nranks,
                              save_rank_progress, &rs);
            if (rank == 0) progress_end(&sc.pg);
#ifdef SADDLE_MPI
            if (nranks > 1) rc = merge_ranks(&s[t], before, rank, rc);
#endif
            if (!rc && rank == 0) rc = probe_surface_save(&s[t], dir, sname);
            if (!rc && rank == 0) rc = probe_axes_save(&g, dir, sname);
            if (!rc && rank == 0 && nt == 1) remove_rank_parts(dir, sname);
            if (!rc && rank == 0 && curvature)
                rc = curvature_map(&o, th, d[0], d[1], &g, dir, name, j, &a, pm[0].arch);
        }
        free(before);
        nnobj_free(&ctx);
        if (rc) goto fail;
    }
    if (rank != 0) goto fail; /* rank 0 writes and reports */
    /* Summary of the first target: the origin and the grid minimum, which
     * a NaN cell (a diverged point) must not become. */
    size_t best = SIZE_MAX, np = (size_t)g.nx * g.ny;
    for (size_t p = 0; p < np; p++)
        if (!isnan(s[0].loss[p]) && (best == SIZE_MAX || s[0].loss[p] < s[0].loss[best])) best = p;
    if (best == SIZE_MAX) {
        fprintf(stderr, "surface: every point's loss is NaN: the grid has no minimum\n");
        best = 0;
    }
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
    if (kept) {
        char json[PROBE_PATH_MAX];
        printf("%s holds this %d x %d surface complete from an earlier run: nothing recomputed or "
               "rewritten (--overwrite recomputes it; `saddle render` draws it with other picture "
               "options); loss at the origin %.4f, grid minimum %.4f at (%.3g, %.3g)\n",
               probe_path(json, dir, name, ".json"), g.nx, g.ny, ox, s[0].loss[best],
               grid_x(&g, (int)(best % g.nx)), grid_y(&g, (int)(best / g.nx)));
        rc = extra_pictures(j, dir, name, &a, &v3, vtk);
        goto fail;
    }
    cJSON_ReplaceItemInObject(j, "points_done", cJSON_CreateNumber((double)np));
    cJSON_ReplaceItemInObject(j, "complete", cJSON_CreateBool(1));
    cJSON_AddNumberToObject(j, "wall_seconds", nn_now() - t0);
    char png[PROBE_PATH_MAX], json[PROBE_PATH_MAX];
    probe_path(png, dir, name, picture_ext(&a.pic));
    if ((rc = probe_json_write(probe_path(json, dir, name, ".json"), j))) goto fail;
    if ((rc = render_kind_draw(j, dir, &a, png))) goto fail;
    printf("%s: %d x %d points in %.1f s; loss at the origin %.4f, grid minimum %.4f at (%.3g, %.3g)\n",
           png, g.nx, g.ny, nn_now() - t0, ox, s[0].loss[best], grid_x(&g, (int)(best % g.nx)),
           grid_y(&g, (int)(best / g.nx)));
    rc = extra_pictures(j, dir, name, &a, &v3, vtk);
fail:
    for (int t = 0; t < nt; t++) surface_free(&s[t]);
    for (int t = 0; t < opened; t++) probe_model_close(&pm[t]);
    probe_data_close(&pd);
    free(d[0]);
    free(d[1]);
    free(loaded[0]);
    free(loaded[1]);
    cJSON_Delete(j);
    probe_out_close(&po);
    return rc && rank == 0 ? cli_fail("surface", rc) : rc ? EXIT_FAIL : EXIT_OK;
}
