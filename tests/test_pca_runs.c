/* Several runs on one trajectory-PCA plane (`saddle pca A B`): the shared
 * plane against a dense eigendecomposition of the stacked snapshot
 * differences (LAPACK on the n×n covariance, not the Gram-matrix route the
 * probe takes), every snapshot's coordinates and distance rebuilt from the
 * saved plane, each run's own variance split, another architecture refused
 * before any work, and one run's result as it always was. */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "../datasets/linalg.h"
#include "../datasets/rng.h"
#include "../datasets/status.h"
#include "../nn/nn.h"
#include "../probes/directions.h"
#include "../probes/pca.h"
#include "test.h"

#define SMALL "--set train.epochs=4 --set data.synth_n=300 --set data.synth_test_n=100 "

static const char *run_adam(void)
{
    return test_run("pca-adam", SMALL "--set 'model.layers=8 tanh, 3'");
}

static const char *run_sgd(void)
{
    return test_run("pca-sgd", SMALL "--set 'model.layers=8 tanh, 3' --set optimizer.type=sgd "
                    "--set optimizer.lr=0.1");
}

/* ---- the stacked rows θ_i − origin, read straight from the files ----------------- */

enum { MAX_ROWS = 64 };

typedef struct stack {
    size_t n;
    int m, nrun, first[4], count[4];
    double *x[MAX_ROWS]; /* [m][n] */
} stack;

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static float *load_theta(const char *path, size_t *n)
{
    model m;
    if (ckpt_load(path, &m, -1, 0, NULL, NULL, NULL, 0)) return NULL;
    *n = m.n;
    return m.theta; /* the caller frees it */
}

/* Appends run's traj/ snapshots (in name order) minus origin [n]. */
static void stack_add(stack *s, const char *run, const float *origin)
{
    char dir[600], *names[MAX_ROWS];
    int k = 0;
    snprintf(dir, sizeof dir, "%s/traj", run);
    DIR *d = opendir(dir);
    CHECK_MSG(d != NULL, "%s", dir);
    if (!d) return;
    for (struct dirent *e; (e = readdir(d)) && k < MAX_ROWS;)
        if (!strncmp(e->d_name, "step-", 5)) names[k++] = strdup(e->d_name);
    closedir(d);
    qsort(names, (size_t)k, sizeof *names, cmp_str);
    s->first[s->nrun] = s->m;
    s->count[s->nrun++] = k;
    for (int i = 0; i < k; i++) {
        char p[1200];
        size_t n;
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        float *th = load_theta(p, &n);
        CHECK_MSG(th && n == s->n, "%s", p);
        double *x = malloc(s->n * sizeof *x);
        for (size_t j = 0; th && j < s->n; j++) x[j] = (double)th[j] - origin[j];
        s->x[s->m++] = x;
        free(th);
        free(names[i]);
    }
}

static void stack_free(stack *s)
{
    for (int i = 0; i < s->m; i++) free(s->x[i]);
}

static double dot(const double *a, const double *b, size_t n)
{
    double t = 0;
    for (size_t j = 0; j < n; j++) t += a[j] * b[j];
    return t;
}

/* sklearn's PCA of the rows: the eigenvectors of Xcᵀ Xc (Xc the
 * column-centered rows) by LAPACK. v [2][n] the top two, lam [3] the top
 * three eigenvalues, *total the trace. */
static void dense_pca(const stack *s, double *v, double lam[3], double *total)
{
    size_t n = s->n;
    double *c = calloc(n * n, sizeof *c), *mean = calloc(n, sizeof *mean), *w = malloc(n * sizeof *w);
    for (int i = 0; i < s->m; i++)
        for (size_t j = 0; j < n; j++) mean[j] += s->x[i][j] / s->m;
    for (int i = 0; i < s->m; i++)
        for (size_t a = 0; a < n; a++)
            for (size_t b = 0; b < n; b++)
                c[a * n + b] += (s->x[i][a] - mean[a]) * (s->x[i][b] - mean[b]);
    CHECK_OK(linalg_eigh((int)n, c, w, 1));
    *total = 0;
    for (size_t j = 0; j < n; j++) *total += w[j];
    for (int k = 0; k < 3; k++) lam[k] = w[n - 1 - k];
    memcpy(v, c + (n - 1) * n, n * sizeof *v);
    memcpy(v + n, c + (n - 2) * n, n * sizeof *v);
    free(c);
    free(mean);
    free(w);
}

static cJSON *read_json(const char *path)
{
    size_t len;
    char *t = (char *)test_read_file(path, &len);
    cJSON *j = t ? cJSON_Parse(t) : NULL;
    free(t);
    CHECK_MSG(j != NULL, "%s", path);
    return j;
}

static double num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static double num_at(const cJSON *a, int i)
{
    const cJSON *v = cJSON_GetArrayItem(a, i);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* Coordinates and distance of one snapshot in the sidecar against the rows:
 * on the saved plane u (projection + residual = the row, the residual ⟂ the
 * plane) and, up to sign, on the dense PCA's plane v. */
static void check_snapshot(const cJSON *e, const double *x, size_t n, const double *u,
                           const double *v)
{
    const cJSON *cj = cJSON_GetObjectItemCaseSensitive(e, "coords");
    double c[2] = {num_at(cj, 0), num_at(cj, 1)}, xn = sqrt(dot(x, x, n)), tol = 1e-6 * xn + 1e-9;
    double *r = malloc(n * sizeof *r), *rv = malloc(n * sizeof *rv);
    double cv[2] = {dot(x, v, n), dot(x, v + n, n)};
    for (size_t j = 0; j < n; j++) {
        r[j] = x[j] - c[0] * u[j] - c[1] * u[n + j];
        rv[j] = x[j] - cv[0] * v[j] - cv[1] * v[n + j];
    }
    for (int k = 0; k < 2; k++) {
        CHECK_NEAR(c[k], dot(x, u + k * n, n), tol);
        CHECK_NEAR(dot(r, u + k * n, n), 0, tol);
        CHECK_NEAR(fabs(c[k]), fabs(cv[k]), 1e-5 * xn + 1e-9);
    }
    double d = num(e, "distance_from_plane");
    CHECK_NEAR(d, sqrt(dot(r, r, n)), tol);
    CHECK_NEAR(d, sqrt(dot(rv, rv, n)), 1e-5 * xn + 1e-9);
    CHECK_NEAR(num(e, "relative_distance"), xn > 0 ? d / xn : 0, 1e-6);
    free(r);
    free(rv);
}

TEST(pca_runs_share_one_plane_of_all_paths)
{
    char a[512], b[512], out[512], args[2048], p[700];
    snprintf(a, sizeof a, "%s", run_adam());
    snprintf(b, sizeof b, "%s", run_sgd());
    snprintf(out, sizeof out, "%s", test_path("pca-shared"));
    const char *txt;
    snprintf(args, sizeof args, "pca %s %s --grid 5x5 --limit 100 --out %s", a, b, out);
    CHECK_MSG(test_saddle(args, &txt) == 0 && strstr(txt, "2 runs") && strstr(txt, "pca-sgd: 5 snapshots"),
              "%s", txt);

    stack s = {0};
    snprintf(p, sizeof p, "%s/final.safetensors", a);
    float *origin = load_theta(p, &s.n);
    CHECK(origin != NULL);
    if (!origin) return;
    stack_add(&s, a, origin);
    stack_add(&s, b, origin);
    CHECK(s.nrun == 2 && s.count[0] == 5 && s.count[1] == 5);
    size_t n = s.n;
    double *v = malloc(2 * n * sizeof *v), lam[3], total;
    dense_pca(&s, v, lam, &total);
    /* Not vacuous: the two directions are each determined (separated
     * eigenvalues), and the paths leave the plane. */
    CHECK_MSG(lam[0] - lam[1] > 1e-2 * lam[0] && lam[1] - lam[2] > 1e-2 * lam[0], "eigenvalues %g %g %g",
              lam[0], lam[1], lam[2]);
    CHECK(lam[0] + lam[1] < 0.999 * total);

    snprintf(p, sizeof p, "%s/pca.json", out);
    cJSON *j = read_json(p);
    const cJSON *evr = cJSON_GetObjectItemCaseSensitive(j, "explained_variance_ratio");
    CHECK_NEAR(num_at(evr, 0), lam[0] / total, 1e-6);
    CHECK_NEAR(num_at(evr, 1), lam[1] / total, 1e-6);

    /* The saved plane: orthonormal, the dense PCA's plane. */
    float *dirs[2] = {NULL, NULL};
    int nd = 2;
    snprintf(p, sizeof p, "%s/pca_plane.safetensors", out);
    CHECK_OK(dir_load(p, dirs, &nd, n));
    CHECK(nd == 2);
    double *u = malloc(2 * n * sizeof *u);
    for (size_t q = 0; dirs[0] && dirs[1] && q < n; q++) {
        u[q] = dirs[0][q];
        u[n + q] = dirs[1][q];
    }
    CHECK_NEAR(dot(u, u, n), 1, 1e-6);
    CHECK_NEAR(dot(u + n, u + n, n), 1, 1e-6);
    CHECK_NEAR(dot(u, u + n, n), 0, 1e-6);
    CHECK_NEAR(fabs(dot(u, v, n)), 1, 1e-5);
    CHECK_NEAR(fabs(dot(u + n, v + n, n)), 1, 1e-5);

    const cJSON *runs = cJSON_GetObjectItemCaseSensitive(j, "runs");
    const cJSON *paths = cJSON_GetObjectItemCaseSensitive(j, "paths");
    CHECK(cJSON_GetArraySize(runs) == 2 && cJSON_GetArraySize(paths) == 2);
    static const char *const labels[2] = {"pca-adam", "pca-sgd"};
    snprintf(p, sizeof p, "%s/pca_paths.csv", out);
    size_t clen;
    char *csv = (char *)test_read_file(p, &clen), *line = csv ? strchr(csv, '\n') : NULL;
    CHECK_MSG(csv && !strncmp(csv, "run,snapshot,step,pc1,pc2,distance_from_plane,relative_distance,", 64),
              "%s", csv ? csv : "no csv");
    for (int r = 0; r < 2 && cJSON_GetArraySize(runs) == 2; r++) {
        const cJSON *R = cJSON_GetArrayItem(runs, r), *P = cJSON_GetArrayItem(paths, r);
        const cJSON *lab = cJSON_GetObjectItemCaseSensitive(R, "run");
        CHECK(cJSON_IsString(lab) && !strcmp(lab->valuestring, labels[r]));
        lab = cJSON_GetObjectItemCaseSensitive(P, "label");
        CHECK(cJSON_IsString(lab) && !strcmp(lab->valuestring, labels[r]));
        CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(P, "points")) == s.count[r]);
        const cJSON *snaps = cJSON_GetObjectItemCaseSensitive(R, "snapshots");
        CHECK(cJSON_GetArraySize(snaps) == s.count[r]);
        /* This run's own variance (centered on its own mean) along the
         * plane, and the share of its squared distance from the origin in it. */
        int f = s.first[r], c = s.count[r];
        double *mu = calloc(n, sizeof *mu), own = 0, along[2] = {0, 0}, in = 0, sq = 0;
        for (int i = f; i < f + c; i++)
            for (size_t q = 0; q < n; q++) mu[q] += s.x[i][q] / c;
        for (int i = f; i < f + c; i++) {
            for (int k = 0; k < 2; k++) {
                double t = dot(s.x[i], v + k * n, n) - dot(mu, v + k * n, n);
                along[k] += t * t;
                in += dot(s.x[i], v + k * n, n) * dot(s.x[i], v + k * n, n);
            }
            for (size_t q = 0; q < n; q++) own += (s.x[i][q] - mu[q]) * (s.x[i][q] - mu[q]);
            sq += dot(s.x[i], s.x[i], n);
        }
        const cJSON *rr = cJSON_GetObjectItemCaseSensitive(R, "explained_variance_ratio");
        CHECK_NEAR(num_at(rr, 0), along[0] / own, 1e-6);
        CHECK_NEAR(num_at(rr, 1), along[1] / own, 1e-6);
        CHECK_NEAR(num(R, "share_in_plane"), in / sq, 1e-6);
        free(mu);
        for (int k = 0; k < c; k++) {
            const cJSON *e = cJSON_GetArrayItem(snaps, k);
            check_snapshot(e, s.x[f + k], n, u, v);
            /* The CSV row says what the sidecar says. */
            char want[160];
            snprintf(want, sizeof want, "%s,step-%08d.safetensors,%d,", labels[r], 10 * k, 10 * k);
            line = line ? line + 1 : NULL;
            CHECK_MSG(line && !strncmp(line, want, strlen(want)), "row %d of run %d: %.80s", k, r,
                      line ? line : "(none)");
            double row[7] = {0};
            const char *q = line ? line + strlen(want) : "";
            for (int t = 0; t < 7 && line; t++) {
                char *end;
                row[t] = strtod(q, &end);
                q = *end == ',' ? end + 1 : end;
            }
            const cJSON *cj = cJSON_GetObjectItemCaseSensitive(e, "coords");
            CHECK_NEAR(row[0], num_at(cj, 0), 1e-8 * (1 + fabs(row[0])));
            CHECK_NEAR(row[1], num_at(cj, 1), 1e-8 * (1 + fabs(row[1])));
            CHECK_NEAR(row[2], num(e, "distance_from_plane"), 1e-8);
            CHECK_NEAR(row[3], num(e, "relative_distance"), 1e-8);
            CHECK_NEAR(row[4], num(e, "loss"), 1e-8);
            line = line ? strchr(line, '\n') : NULL;
        }
    }
    CHECK_MSG(line && line[1] == 0, "rows past the last snapshot: %s", line ? line : "(none)");
    free(csv);
    free(dirs[0]);
    free(dirs[1]);
    free(u);
    free(v);
    free(origin);
    cJSON_Delete(j);
    stack_free(&s);
}

/* A run of another shape, or of the same shape with another activation,
 * or the same run twice: refused with both runs named, nothing written. */
TEST(pca_runs_refuse_another_architecture_before_any_work)
{
    char a[512], wide[512], relu[512], out[512], args[2048];
    snprintf(a, sizeof a, "%s", run_adam());
    snprintf(wide, sizeof wide, "%s", test_run("pca-wide", SMALL "--set 'model.layers=6 tanh, 3'"));
    snprintf(relu, sizeof relu, "%s", test_run("pca-relu", SMALL "--set 'model.layers=8 relu, 3'"));
    snprintf(out, sizeof out, "%s", test_path("pca-never"));
    const struct { const char *other, *arch; } bad[] = {{wide, "2-6tanh-3 (39 parameters)"},
                                                        {relu, "2-8relu-3 (51 parameters)"}};
    const char *txt;
    for (int k = 0; k < 2; k++) {
        snprintf(args, sizeof args, "pca %s %s --grid 5x5 --out %s", a, bad[k].other, out);
        CHECK(test_saddle(args, &txt) == 1);
        CHECK_MSG(strstr(txt, bad[k].other) && strstr(txt, bad[k].arch) && strstr(txt, a) &&
                      strstr(txt, "2-8tanh-3 (51 parameters)") && strstr(txt, "one architecture"),
                  "%s", txt);
        CHECK_MSG(!test_exists(out), "%s created", out);
    }
    snprintf(args, sizeof args, "pca %s %s/ --grid 5x5 --out %s", a, a, out);
    CHECK_MSG(test_saddle(args, &txt) == 1 && strstr(txt, "the same run"), "%s", txt);
    CHECK(!test_exists(out));
}

/* One run: the result it always had (a single "path", its "snapshots", no
 * per-run tables), with today's numbers against the dense PCA of its rows. */
TEST(pca_one_run_keeps_its_result)
{
    char a[512], out[512], args[2048], p[700];
    snprintf(a, sizeof a, "%s", run_adam());
    snprintf(out, sizeof out, "%s", test_path("pca-one"));
    const char *txt;
    snprintf(args, sizeof args, "pca %s --grid 5x5 --limit 100 --out %s", a, out);
    CHECK_MSG(test_saddle(args, &txt) == 0 && strstr(txt, ": 5 snapshots, PC1") && !strstr(txt, "runs"),
              "%s", txt);
    snprintf(p, sizeof p, "%s/pca.json", out);
    cJSON *j = read_json(p);
    CHECK(!cJSON_GetObjectItemCaseSensitive(j, "runs") && !cJSON_GetObjectItemCaseSensitive(j, "paths") &&
          !cJSON_GetObjectItemCaseSensitive(j, "origin"));
    CHECK(!test_exists(test_join(out, "pca_paths.csv")) &&
          !test_exists(test_join(out, "pca_plane.safetensors")));
    stack s = {0};
    snprintf(p, sizeof p, "%s/final.safetensors", a);
    float *origin = load_theta(p, &s.n);
    CHECK(origin != NULL);
    if (!origin) return;
    stack_add(&s, a, origin);
    double *v = malloc(2 * s.n * sizeof *v), lam[3], total;
    dense_pca(&s, v, lam, &total);
    const cJSON *evr = cJSON_GetObjectItemCaseSensitive(j, "explained_variance_ratio");
    CHECK_NEAR(num_at(evr, 0), lam[0] / total, 1e-6);
    CHECK_NEAR(num_at(evr, 1), lam[1] / total, 1e-6);
    const cJSON *path = cJSON_GetObjectItemCaseSensitive(j, "path");
    const cJSON *snaps = cJSON_GetObjectItemCaseSensitive(j, "snapshots");
    CHECK(cJSON_GetArraySize(path) == s.m && cJSON_GetArraySize(snaps) == s.m);
    for (int i = 0; i < s.m && cJSON_GetArraySize(path) == s.m; i++) {
        const cJSON *pt = cJSON_GetArrayItem(path, i);
        double xn = sqrt(dot(s.x[i], s.x[i], s.n));
        for (int k = 0; k < 2; k++)
            CHECK_NEAR(fabs(num_at(pt, k)), fabs(dot(s.x[i], v + k * s.n, s.n)), 1e-5 * xn + 1e-9);
        CHECK(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(snaps, i), "distance_from_plane"));
    }
    free(v);
    free(origin);
    cJSON_Delete(j);
    stack_free(&s);
}

/* The runs are part of what a result is: the same runs again are the same
 * result; the other order (another origin) or one run less is another. */
TEST(pca_runs_another_set_of_runs_is_another_result)
{
    char a[512], b[512], out[512], args[2048], p[700];
    snprintf(a, sizeof a, "%s", run_adam());
    snprintf(b, sizeof b, "%s", run_sgd());
    snprintf(out, sizeof out, "%s", test_path("pca-names"));
    const char *txt;
    const struct { const char *x, *y, *name; } calls[] = {
        {a, b, "pca.json"}, {a, b, "pca.json"}, {b, a, "pca-2.json"}, {a, NULL, "pca-3.json"}};
    for (int k = 0; k < 4; k++) {
        snprintf(args, sizeof args, "pca %s %s --grid 5x5 --limit 50 --out %s", calls[k].x,
                 calls[k].y ? calls[k].y : "", out);
        CHECK_MSG(test_saddle(args, &txt) == 0, "%s", txt);
        /* a new name is announced; the same runs again take theirs quietly */
        CHECK_MSG(!strstr(txt, "instead") == (k < 2), "call %d: %s", k, txt);
        snprintf(p, sizeof p, "%s/%s", out, calls[k].name);
        CHECK_MSG(test_exists(p), "call %d: no %s: %s", k, p, txt);
    }
    CHECK(!test_exists(test_join(out, "pca-4.json")));
    snprintf(p, sizeof p, "%s/pca.json", out);
    cJSON *j = read_json(p);
    const cJSON *cks = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "invocation"),
                                                        "checkpoints");
    CHECK(cJSON_GetArraySize(cks) == 2);
    cJSON_Delete(j);
}

/* `saddle compare --pca RUN...` is `saddle pca RUN...`. */
TEST(pca_runs_compare_alias)
{
    char args[2048], out[512];
    snprintf(out, sizeof out, "%s", test_path("pca-compare"));
    const char *txt;
    snprintf(args, sizeof args, "compare --pca %s %s --grid 5x5 --limit 50 --out %s", run_adam(),
             run_sgd(), out);
    CHECK_MSG(test_saddle(args, &txt) == 0 && strstr(txt, "2 runs"), "%s", txt);
    cJSON *j = read_json(test_join(out, "pca.json"));
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "runs")) == 2);
    cJSON_Delete(j);
    CHECK(test_saddle("compare --help", &txt) == 0 && strstr(txt, "--pca"));
}

/* ---- the fit of a shared plane to one group of rows, closed form ------------------ */

/* Group A runs along a parabola in span(e1, e2); group B runs along a line
 * in the same plane but sits a constant h off it (e3).
 * The shared plane is span(e1, e2); B's own variance lies wholly in it
 * (centering removes the offset) while h² of each of its squared distances
 * from the origin does not. All the rows together give var_ratio back. */
TEST(pca_group_fit_closed_form)
{
    enum { MA = 6, MB = 5, M = MA + MB };
    size_t n = 300;
    double e[3][300], h = 0.3, c[M][3];
    for (int a = 0; a < 3; a++) {
        for (size_t j = 0; j < n; j++) e[a][j] = rng_normal(41, (uint64_t)a, j);
        for (int b = 0; b < a; b++) {
            double d = dot(e[a], e[b], n);
            for (size_t j = 0; j < n; j++) e[a][j] -= d * e[b][j];
        }
        double nn = sqrt(dot(e[a], e[a], n));
        for (size_t j = 0; j < n; j++) e[a][j] /= nn;
    }
    /* Both groups have the same mean (1.5, -0.7) along e1 and e2, so B's
     * offset is not correlated with them and leaves the plane where it is. */
    for (int i = 0; i < MA; i++) {
        double t = -2.5 + i;
        c[i][0] = 1.5 + t, c[i][1] = -0.7 + 0.3 * (t * t - 35.0 / 12), c[i][2] = 0;
    }
    for (int i = 0; i < MB; i++) {
        double t = -2.0 + i;
        c[MA + i][0] = 1.5 - 0.5 * t, c[MA + i][1] = -0.7 + t, c[MA + i][2] = h;
    }
    float *snaps[M], origin[300];
    for (size_t j = 0; j < n; j++) origin[j] = (float)(rint(rng_normal(42, 0, j) * 64) / 64);
    for (int i = 0; i < M; i++) {
        snaps[i] = malloc(n * sizeof(float));
        for (size_t j = 0; j < n; j++)
            snaps[i][j] = (float)(origin[j] + c[i][0] * e[0][j] + c[i][1] * e[1][j] + c[i][2] * e[2][j]);
    }
    pca_result r;
    CHECK_OK(pca_trajectory((const float *const *)snaps, M, origin, n, &r));
    double plane = 0;
    for (int k = 0; k < 2; k++)
        for (int a = 0; a < 2; a++) {
            double d = 0;
            for (size_t j = 0; j < n; j++) d += r.dir[k][j] * e[a][j];
            plane += d * d;
        }
    CHECK_NEAR(plane, 2, 1e-6); /* the plane is span(e1, e2) */
    double ratio[2], share;
    CHECK_OK(pca_group_fit((const float *const *)snaps, origin, &r, 0, M, ratio, &share));
    CHECK_NEAR(ratio[0], r.var_ratio[0], 1e-7); /* float directions against Jacobi */
    CHECK_NEAR(ratio[1], r.var_ratio[1], 1e-7);
    CHECK_OK(pca_group_fit((const float *const *)snaps, origin, &r, 0, MA, ratio, &share));
    CHECK_NEAR(ratio[0] + ratio[1], 1, 1e-6);
    CHECK_NEAR(share, 1, 1e-6);
    CHECK_OK(pca_group_fit((const float *const *)snaps, origin, &r, MA, MB, ratio, &share));
    CHECK_NEAR(ratio[0] + ratio[1], 1, 1e-6);
    double in = 0, all = 0;
    for (int i = MA; i < M; i++) {
        in += c[i][0] * c[i][0] + c[i][1] * c[i][1];
        all += c[i][0] * c[i][0] + c[i][1] * c[i][1] + h * h;
    }
    CHECK_NEAR(share, in / all, 1e-6);
    CHECK(share < 0.99);
    for (int i = MA; i < M; i++) {
        CHECK_NEAR(r.dist[i], h, 1e-5);
        CHECK_NEAR(r.norm[i], sqrt(c[i][0] * c[i][0] + c[i][1] * c[i][1] + h * h), 1e-5);
    }
    CHECK(pca_group_fit((const float *const *)snaps, origin, &r, MA, MB + 1, ratio, &share) == NN_EINVAL);
    pca_free(&r);
    for (int i = 0; i < M; i++) free(snaps[i]);
}

/* `render` draws the paths a shared-plane sidecar lists: the same result
 * drawn without them is another picture. */
TEST(pca_runs_render_draws_every_path)
{
    char args[2048], out[512], with[600], without[600];
    snprintf(out, sizeof out, "%s", test_path("pca-render"));
    const char *txt;
    snprintf(args, sizeof args, "pca %s %s --grid 5x5 --limit 50 --out %s", run_adam(), run_sgd(), out);
    CHECK_MSG(test_saddle(args, &txt) == 0, "%s", txt);
    cJSON *j = read_json(test_join(out, "pca.json"));
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "paths")) == 2);
    cJSON_DeleteItemFromObject(j, "paths");
    char *t = cJSON_Print(j);
    snprintf(without, sizeof without, "%s", test_join(out, "bare.json"));
    CHECK(t && test_write_file(without, t, strlen(t)) == 0);
    free(t);
    cJSON_Delete(j);
    snprintf(with, sizeof with, "%s", test_join(out, "with.png"));
    snprintf(args, sizeof args, "render %s/pca.json --png %s", out, with);
    CHECK_MSG(test_saddle(args, &txt) == 0, "%s", txt);
    snprintf(args, sizeof args, "render %s --png %s/without.png", without, out);
    CHECK_MSG(test_saddle(args, &txt) == 0, "%s", txt);
    CHECK(test_exists(with) && !test_same_file(with, test_join(out, "without.png")));
    CHECK(test_same_file(with, test_join(out, "pca.png")));
}
