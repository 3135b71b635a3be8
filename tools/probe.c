/* The shared half of the probe commands: targets, data subsets, outputs and
 * sidecars. */
#include "probe.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "../datasets/fileio.h"
#include "../nn/pool.h"
#include "../probes/npy.h"
#include "../probes/render.h"

/* The shared options' help, group by group, with the command's defaults. */
static void probe_args_help(const probe_args *a)
{
    if (a->takes & PROBE_TAKES_DATA) {
        printf("  --data train|test   which split to evaluate on (default %s)\n", a->split);
        if (a->limit > 0)
            printf("  --limit N           a seeded random subset of N examples (default %lld; 0 = all)\n",
                   a->limit);
        else
            printf("  --limit N           a seeded random subset of N examples (default 0 = all)\n");
        printf("  --seed S            seed of the data subset and any random draws (default %llu)\n"
               "  --threads N         threads (default all cores)\n"
               "  --act NAME          hidden activation of a PyTorch checkpoint (no saddle metadata)\n"
               "  --map A,B,...       layer order of a PyTorch checkpoint's named modules (fc1,fc2,out)\n"
               "  --config FILE       data config for a checkpoint that carries none\n",
               (unsigned long long)a->seed);
    }
    if (a->takes & PROBE_TAKES_OUT)
        fputs("  --out DIR           where to write (default RUN/probes)\n"
              "  --name NAME         base name of the output files (default: the command's, or\n"
              "                      NAME-2, NAME-3 ... when NAME holds a result of other options)\n", stdout);
    if (a->takes & (PROBE_TAKES_OUT | PROBE_TAKES_PICTURE))
        fputs("  --overwrite         replace a result of other options under the same name\n", stdout);
    if (a->takes & PROBE_TAKES_PICTURE)
        printf("  --log               color by log10 of the loss\n"
               "  --levels N          contour levels (default %d; 0 = none)\n"
               "  --cmap NAME         viridis, magma, inferno, plasma, cividis, gray\n", a->levels);
    if (a->takes & PROBE_TAKES_PICTURE) picture_args_help();
}

void probe_args_defaults(probe_args *a)
{
    memset(a, 0, sizeof *a);
    a->split = "train";
    a->limit = 10000;
    a->seed = 1;
    a->levels = 10;
    a->takes = PROBE_TAKES_ALL;
}

/* The shared options, each in the group a command must take to accept it. */
static const struct { const char *opt; unsigned group; int value; } OPTS[] = {
    {"--data", PROBE_TAKES_DATA, 1},    {"--limit", PROBE_TAKES_DATA, 1},
    {"--seed", PROBE_TAKES_DATA, 1},    {"--threads", PROBE_TAKES_DATA, 1},
    {"--act", PROBE_TAKES_DATA, 1},     {"--config", PROBE_TAKES_DATA, 1},
    {"--map", PROBE_TAKES_DATA, 1},
    {"--out", PROBE_TAKES_OUT, 1},      {"--name", PROBE_TAKES_OUT, 1},
    {"--overwrite", PROBE_TAKES_OUT | PROBE_TAKES_PICTURE, 0},
    {"--log", PROBE_TAKES_PICTURE, 0},  {"--levels", PROBE_TAKES_PICTURE, 1},
    {"--cmap", PROBE_TAKES_PICTURE, 1},
    {"--format", PROBE_TAKES_PICTURE, 1}, {"--size", PROBE_TAKES_PICTURE, 1},
    {"--dpi", PROBE_TAKES_PICTURE, 1},    {"--vmin", PROBE_TAKES_PICTURE, 1},
    {"--vmax", PROBE_TAKES_PICTURE, 1},   {"--title", PROBE_TAKES_PICTURE, 1},
};
#define NOPTS (sizeof OPTS / sizeof *OPTS)

int probe_args_takes_value(const char *o)
{
    for (size_t k = 0; k < NOPTS; k++)
        if (!strcmp(o, OPTS[k].opt)) return OPTS[k].value;
    return 0;
}

static int parse_ll(const char *cmd, const char *opt, const char *v, long long lo, long long hi,
                    long long *out)
{
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (end == v || *end || errno || x < lo || x > hi) {
        cli_usage_error(cmd, "%s wants an integer in %lld..%lld, not '%s'", opt, lo, hi, v);
        return -1;
    }
    *out = x;
    return 0;
}

int probe_args_parse(const char *cmd, const char *usage, int argc, char **argv, int *i,
                     probe_args *a)
{
    const char *o = argv[*i];
    if (cli_is_help(o)) {
        fputs(usage, stdout);
        probe_args_help(a);
        return PROBE_HELP;
    }
    size_t k = 0;
    while (k < NOPTS && strcmp(o, OPTS[k].opt)) k++;
    if (k == NOPTS) return 0;
    /* Accepting an option and then ignoring it would let a user believe it
     * took effect. */
    if (!(a->takes & OPTS[k].group)) {
        cli_usage_error(cmd, "%s is not an option of %s: it %s", o, cmd,
                        OPTS[k].group == PROBE_TAKES_PICTURE ? "draws no heatmap"
                        : OPTS[k].group == PROBE_TAKES_DATA  ? "reads no data"
                                                             : "names its output otherwise");
        return -1;
    }
    if (picture_args_takes_value(o)) return picture_args_parse(cmd, argc, argv, i, &a->pic);
    if (!OPTS[k].value) {
        if (!strcmp(o, "--log")) a->log_scale = 1;
        else a->overwrite = 1;
        return 1;
    }
    if (*i + 1 >= argc) {
        cli_usage_error(cmd, "%s needs a value", o);
        return -1;
    }
    const char *v = argv[++*i];
    long long x;
    if (!strcmp(o, "--data")) {
        if (strcmp(v, "train") && strcmp(v, "test")) {
            cli_usage_error(cmd, "--data is train or test, not '%s'", v);
            return -1;
        }
        a->split = v;
    } else if (!strcmp(o, "--limit")) {
        if (parse_ll(cmd, o, v, 0, 1LL << 40, &x)) return -1;
        a->limit = x;
    } else if (!strcmp(o, "--seed")) {
        if (parse_ll(cmd, o, v, 0, (1LL << 62), &x)) return -1;
        a->seed = (uint64_t)x;
    } else if (!strcmp(o, "--threads")) {
        if (parse_ll(cmd, o, v, 0, 256, &x)) return -1;
        a->threads = (int)x;
    } else if (!strcmp(o, "--levels")) {
        if (parse_ll(cmd, o, v, 0, 100, &x)) return -1;
        a->levels = (int)x;
    } else if (!strcmp(o, "--out")) a->out = v;
    else if (!strcmp(o, "--act")) {
        if (act_from_name(v) < 0) {
            cli_usage_error(cmd, "--act: unknown activation '%s'", v);
            return -1;
        }
        a->act = v;
    }
    else if (!strcmp(o, "--config")) a->config = v;
    else if (!strcmp(o, "--map")) a->map = v;
    else if (!strcmp(o, "--name")) {
        if (!*v || strchr(v, '/') || strlen(v) > 200) {
            cli_usage_error(cmd, "--name is a file name of at most 200 bytes without '/', not '%s'", v);
            return -1;
        }
        a->name = v;
    } else if (!strcmp(o, "--cmap")) {
        /* Checked here, not when the picture is drawn after a long run. */
        int cm;
        if (render_cmap_parse(v, &cm)) {
            cli_usage_error(cmd, "--cmap: %s", nn_errmsg());
            return -1;
        }
        a->cmap = v;
    }
    return 1;
}

int probe_file_crc(const char *path, unsigned long *crc, long long *bytes)
{
    FILE *f;
    int rc = file_open_regular(path, &f);
    if (rc) return rc;
    unsigned char buf[1 << 16];
    uLong c = crc32(0L, Z_NULL, 0);
    size_t r;
    *bytes = 0;
    while ((r = fread(buf, 1, sizeof buf, f)) > 0) {
        c = crc32(c, buf, (uInt)r);
        *bytes += (long long)r;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) return nn_err(NN_EIO, "%s: read error", path);
    *crc = c;
    return NN_OK;
}

int probe_model_open(probe_model *pm, const char *target, const probe_args *a)
{
    memset(pm, 0, sizeof *pm);
    struct stat st;
    if (stat(target, &st) != 0)
        return nn_err(NN_EIO, "%s: no such run directory or checkpoint", target);
    if (S_ISDIR(st.st_mode)) {
        snprintf(pm->run, sizeof pm->run, "%s", target);
        snprintf(pm->path, sizeof pm->path, "%s/final.safetensors", target);
        if (stat(pm->path, &st) != 0)
            return nn_err(NN_EIO, "%s: run directory has no final.safetensors (train it first)",
                          target);
    } else {
        snprintf(pm->path, sizeof pm->path, "%s", target);
    }
    int act = -1;
    if (a->act && (act = act_from_name(a->act)) < 0)
        return nn_err(NN_EINVAL, "--act %s: unknown activation", a->act);
    config_defaults(&pm->c);
    int rc;
    if (a->config && (rc = config_load(&pm->c, a->config))) return rc;
    ckpt_info info = {0};
    char *note = NULL;
    if ((rc = ckpt_load_map(pm->path, &pm->m, act, pm->c.model.loss, a->map, &info, &note, NULL,
                            NULL, 0)))
        return rc;
    if (note) fprintf(stderr, "%s\n", note);
    free(note);
    pm->step = info.step;
    if (info.config_text && !a->config)
        rc = config_parse(&pm->c, info.config_text, strlen(info.config_text), pm->path);
    ckpt_info_free(&info);
    if (rc) {
        model_free(&pm->m);
        return rc;
    }
    cli_config_resolve(&pm->c);
    model_arch_string(&pm->m, pm->arch, sizeof pm->arch);
    if ((rc = probe_file_crc(pm->path, &pm->crc, &pm->bytes))) {
        model_free(&pm->m);
        return rc;
    }
    return NN_OK;
}

void probe_model_close(probe_model *pm) { model_free(&pm->m); }

static int cmp_size(const void *x, const void *y)
{
    size_t a = *(const size_t *)x, b = *(const size_t *)y;
    return (a > b) - (a < b);
}

int probe_data_open(probe_data *pd, const probe_model *pm, const probe_args *a)
{
    memset(pd, 0, sizeof *pd);
    config c = pm->c;
    c.data.test_limit = 0;
    int rc = data_load(&c.data, &pd->tr, &pd->va, &pd->te);
    if (rc) return rc;
    pd->d = !strcmp(a->split, "test") ? &pd->te : &pd->tr;
    /* Inputs and labels against the model, before the data is closed (the
     * message reads pd->d) and before any probe indexes logits by label. */
    if ((rc = model_data_check(&pm->m, pd->d, NULL, pd->d->n, pm->path))) {
        probe_data_close(pd);
        return rc;
    }
    size_t n = pd->d->n;
    pd->k = n;
    if (a->limit > 0 && (size_t)a->limit < n) {
        /* A seeded random subset, in data order: the first k of a shuffle. */
        size_t *perm = malloc(n * sizeof *perm);
        if (!perm) {
            probe_data_close(pd);
            return nn_err(NN_ENOMEM, "subset: out of memory");
        }
        dataset_shuffle(n, a->seed, 0x5ab5e7, perm);
        pd->k = (size_t)a->limit;
        qsort(perm, pd->k, sizeof *perm, cmp_size);
        pd->idx = perm;
    }
    return NN_OK;
}

void probe_data_close(probe_data *pd)
{
    dataset_free(&pd->tr);
    dataset_free(&pd->va);
    dataset_free(&pd->te);
    free(pd->idx);
    memset(pd, 0, sizeof *pd);
}

cJSON *probe_sidecar(const char *command, const probe_model *const *pms, int npm,
                     const probe_data *pd, const probe_args *a)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "command", command);
    cJSON *ts = cJSON_AddArrayToObject(j, "checkpoints");
    for (int i = 0; i < npm; i++) {
        cJSON *t = cJSON_CreateObject();
        char crc[16];
        snprintf(crc, sizeof crc, "%08lx", pms[i]->crc);
        cJSON_AddStringToObject(t, "path", pms[i]->path);
        cJSON_AddStringToObject(t, "crc32", crc);
        cJSON_AddNumberToObject(t, "bytes", (double)pms[i]->bytes);
        cJSON_AddStringToObject(t, "arch", pms[i]->arch);
        cJSON_AddNumberToObject(t, "step", (double)pms[i]->step);
        cJSON_AddItemToArray(ts, t);
    }
    cJSON *d = cJSON_AddObjectToObject(j, "data");
    cJSON_AddStringToObject(d, "name", pms[0]->c.data.name);
    cJSON_AddStringToObject(d, "split", a->split);
    cJSON_AddNumberToObject(d, "limit", (double)a->limit);
    cJSON_AddNumberToObject(d, "examples", (double)pd->k);
    cJSON_AddStringToObject(d, "subset", pd->idx ? "seeded random" : "all");
    cJSON_AddNumberToObject(d, "subset_seed", (double)a->seed);
    const char *norm = data_norm_name(pms[0]->c.data.normalize);
    cJSON_AddStringToObject(d, "normalize", norm ? norm : "?");
    cJSON_AddNumberToObject(d, "resize", (double)pms[0]->c.data.resize);
    cJSON_AddNumberToObject(j, "threads", pool_threads());
    return j;
}

void probe_sidecar_grid(cJSON *j, const grid_spec *g)
{
    cJSON *gj = cJSON_AddObjectToObject(j, "grid");
    cJSON_AddNumberToObject(gj, "nx", g->nx);
    cJSON_AddNumberToObject(gj, "ny", g->ny);
    cJSON_AddNumberToObject(gj, "x0", g->x0);
    cJSON_AddNumberToObject(gj, "x1", g->x1);
    cJSON_AddNumberToObject(gj, "y0", g->y0);
    cJSON_AddNumberToObject(gj, "y1", g->y1);
}

int probe_json_write(const char *path, const cJSON *j)
{
    char *txt = cJSON_Print(j);
    if (!txt) return nn_err(NN_ENOMEM, "%s: out of memory", path);
    size_t len = strlen(txt);
    char *t2 = realloc(txt, len + 2);
    if (!t2) {
        free(txt);
        return nn_err(NN_ENOMEM, "%s: out of memory", path);
    }
    t2[len] = '\n';
    int rc = file_write_atomic(path, t2, len + 1);
    free(t2);
    return rc;
}

int probe_json_read(const char *path, cJSON **j)
{
    uint8_t *buf;
    size_t len;
    int rc = file_read_all(path, 64u << 20, &buf, &len);
    if (rc) return rc;
    *j = cJSON_ParseWithLength((const char *)buf, len);
    free(buf);
    if (!*j) return nn_err(NN_EFORMAT, "%s: not valid JSON", path);
    /* Sidecars before enums were words held data.normalize as NORM_*: read
     * as the word, so a resume or a render of an old result still matches. */
    cJSON *d = cJSON_GetObjectItemCaseSensitive(*j, "data");
    cJSON *nv = cJSON_GetObjectItemCaseSensitive(d, "normalize");
    if (cJSON_IsNumber(nv) && nv->valuedouble == (int)nv->valuedouble &&
        data_norm_name((int)nv->valuedouble)) {
        cJSON *w = cJSON_CreateString(data_norm_name((int)nv->valuedouble));
        if (!w || !cJSON_ReplaceItemInObjectCaseSensitive(d, "normalize", w)) {
            cJSON_Delete(w);
            cJSON_Delete(*j);
            *j = NULL;
            return nn_err(NN_ENOMEM, "%s: out of memory", path);
        }
    }
    return NN_OK;
}

int probe_axes_save(const grid_spec *g, const char *dir, const char *name)
{
    int n = g->nx > g->ny ? g->nx : g->ny;
    double *v = malloc((size_t)n * sizeof *v);
    if (!v) return nn_err(NN_ENOMEM, "%s: out of memory", name);
    char p[PROBE_PATH_MAX];
    size_t sh[1] = {(size_t)g->nx};
    for (int i = 0; i < g->nx; i++) v[i] = grid_x(g, i);
    int rc = npy_write_f64(probe_path(p, dir, name, "_x.npy"), v, 1, sh);
    sh[0] = (size_t)g->ny;
    for (int i = 0; i < g->ny && !rc && g->ny > 1; i++) v[i] = grid_y(g, i);
    if (!rc && g->ny > 1) rc = npy_write_f64(probe_path(p, dir, name, "_y.npy"), v, 1, sh);
    free(v);
    return rc;
}

int probe_surface_save(const surface *s, const char *dir, const char *name)
{
    size_t shape[2] = {(size_t)s->g.ny, (size_t)s->g.nx};
    int nd = s->g.ny == 1 ? 1 : 2;
    const size_t *sh = nd == 1 ? shape + 1 : shape;
    char p[PROBE_PATH_MAX];
    int rc = npy_write_f64(probe_path(p, dir, name, ".npy"), s->loss, nd, sh);
    if (!rc) rc = npy_write_f64(probe_path(p, dir, name, "_acc.npy"), s->acc, nd, sh);
    if (!rc) rc = npy_write_u8(probe_path(p, dir, name, "_done.npy"), s->done, nd, sh);
    return rc;
}

/* A partial file is whatever is on disk now: its shape must be the grid's
 * exactly ([ny][nx], or [nx] for a line), not merely hold as many values. */
static int check_shape(const char *path, const grid_spec *g, int nd, const size_t *sh)
{
    int want = g->ny == 1 ? 1 : 2;
    int ok = nd == want && (want == 1 ? sh[0] == (size_t)g->nx
                                      : sh[0] == (size_t)g->ny && sh[1] == (size_t)g->nx);
    if (ok) return NN_OK;
    char got[128] = "";
    size_t k = 0;
    for (int i = 0; i < nd && i < NPY_MAX_DIMS && k < sizeof got; i++)
        k += (size_t)snprintf(got + k, sizeof got - k, i ? "x%zu" : "%zu", sh[i]);
    if (g->ny == 1)
        return nn_err(NN_EFORMAT, "%s: shape %s, the grid is %d", path, got, g->nx);
    return nn_err(NN_EFORMAT, "%s: shape %s, the grid is %dx%d", path, got, g->ny, g->nx);
}

int probe_surface_load(surface *s, const char *dir, const char *name)
{
    size_t np = (size_t)s->g.nx * (size_t)s->g.ny;
    double *l = NULL, *c = NULL;
    uint8_t *d = NULL;
    int nd, type;
    size_t sh[NPY_MAX_DIMS];
    char p[PROBE_PATH_MAX];
    uint8_t *buf = NULL;
    size_t len;
    /* Parsed from memory so the element type is known: a partial loss or
     * accuracy file must be float64 as written, not a converted array. */
    int rc = file_read_all(probe_path(p, dir, name, ".npy"), (size_t)1 << 32, &buf, &len);
    if (!rc) rc = npy_parse_f64(buf, len, p, &l, &nd, sh, &type);
    free(buf);
    buf = NULL;
    if (!rc && type != NPY_F64) rc = nn_err(NN_EFORMAT, "%s: not float64", p);
    if (!rc) rc = check_shape(p, &s->g, nd, sh);
    if (!rc) rc = file_read_all(probe_path(p, dir, name, "_acc.npy"), (size_t)1 << 32, &buf, &len);
    if (!rc) rc = npy_parse_f64(buf, len, p, &c, &nd, sh, &type);
    free(buf);
    if (!rc && type != NPY_F64) rc = nn_err(NN_EFORMAT, "%s: not float64", p);
    if (!rc) rc = check_shape(p, &s->g, nd, sh);
    if (!rc) rc = npy_read_u8(probe_path(p, dir, name, "_done.npy"), &d, &nd, sh);
    if (!rc) rc = check_shape(p, &s->g, nd, sh);
    for (size_t i = 0; !rc && i < np; i++)
        if (d[i] > 1) rc = nn_err(NN_EFORMAT, "%s: entry %zu is %d, a completion map holds 0 or 1", p, i, d[i]);
    if (!rc) {
        memcpy(s->loss, l, np * sizeof *l);
        memcpy(s->acc, c, np * sizeof *c);
        memcpy(s->done, d, np);
    }
    free(l);
    free(c);
    free(d);
    return rc;
}

int probe_interp_eval(const objective *o, const float *A, const float *B, const float *C, size_t n,
                      surface *s, surface_progress_fn progress, void *user)
{
    float *d[2] = {NULL, NULL};
    int dims = C ? 2 : 1, rc = NN_OK;
    const float *to[2] = {B, C};
    for (int k = 0; k < dims; k++) {
        d[k] = malloc(n * sizeof(float));
        if (!d[k]) {
            rc = nn_err(NN_ENOMEM, "interp: out of memory");
            goto fail;
        }
        for (size_t i = 0; i < n; i++) d[k][i] = to[k][i] - A[i];
    }
    rc = surface_eval(o, A, d[0], d[1], s, 64, 0, 1, progress, user);
fail:
    free(d[0]);
    free(d[1]);
    return rc;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int probe_traj_list(const char *run, char ***names, int *m)
{
    char tdir[4200];
    snprintf(tdir, sizeof tdir, "%s/traj", run);
    *names = NULL;
    *m = 0;
    DIR *dd = opendir(tdir);
    if (!dd)
        return nn_err(NN_EIO, "%s: no trajectory snapshots (train with train.snapshot_every > 0)",
                      tdir);
    int cap = 0, rc = NN_OK;
    for (struct dirent *e; (e = readdir(dd));) {
        size_t L = strlen(e->d_name);
        if (strncmp(e->d_name, "step-", 5) || L < 17 || strcmp(e->d_name + L - 12, ".safetensors"))
            continue;
        if (*m == cap) {
            cap = cap ? 2 * cap : 64;
            char **grown = realloc(*names, (size_t)cap * sizeof *grown);
            if (!grown) {
                rc = nn_err(NN_ENOMEM, "%s: out of memory listing snapshots", tdir);
                break;
            }
            *names = grown;
        }
        if (!((*names)[*m] = strdup(e->d_name))) {
            rc = nn_err(NN_ENOMEM, "%s: out of memory listing snapshots", tdir);
            break;
        }
        (*m)++;
    }
    closedir(dd);
    if (rc) {
        probe_traj_free(*names, *m);
        *names = NULL, *m = 0;
        return rc;
    }
    if (*m) qsort(*names, (size_t)*m, sizeof **names, cmp_name);
    return NN_OK;
}

void probe_traj_free(char **names, int m)
{
    for (int k = 0; k < m; k++) free(names[k]);
    free(names);
}
