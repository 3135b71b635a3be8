/* `saddle restarts CONFIG --seeds N`: one config trained from N random
 * initializations (train.seed = 1..N, same data), the spread of their final
 * metrics and the loss barrier on the straight line between every pair. */
#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../datasets/fileio.h"
#include "../nn/pool.h"
#include "../probes/npy.h"
#include "../probes/render.h"
#include "picture.h"
#include "probe.h"
#include "progress.h"
#include "render_kinds.h"

#define RESTARTS_MAX_SEEDS 64
#define RESTARTS_MAX_SETS 64

static const char RESTARTS_USAGE[] =
    "usage: saddle restarts CONFIG --seeds N [options]\n"
    "\n"
    "Trains CONFIG with train.seed = 1..N into OUT/seed-K (a seed whose\n"
    "final.safetensors exists with the same resolved config is kept), then\n"
    "reports the spread of final train/test loss and accuracy and, for every\n"
    "pair, the loss barrier on the straight line between their final weights:\n"
    "the highest loss on alpha in [0, 1] minus the higher endpoint loss.\n"
    "data.seed is pinned (to its config value, or 1 when 0) so every seed sees\n"
    "the same data and only the initialization and shuffling differ.\n"
    "  OUT/barriers.npy   [N][N], symmetric, zero diagonal\n"
    "  OUT/barriers.png   the matrix as a heatmap\n"
    "  OUT/restarts.json  options, per-seed metrics, the matrix, wall time\n"
    "\n"
    "options:\n"
    "  --seeds N       number of restarts, 1..64 (required)\n"
    "  --out DIR       output directory (default runs/restarts-<config name>)\n"
    "  --set S.K=V     override one config key (repeatable)\n"
    "  --grid N        alpha points on [0, 1] per pair (default 21)\n"
    "  --limit N       training examples (seeded subset) for the barriers (default 2000; 0 = all)\n"
    "  --threads T     threads for training and probes (default: the config's / all cores)\n";

typedef struct restarts_opts {
    const char *cfg, *out;
    const char *sets[RESTARTS_MAX_SETS];
    int nsets, nseeds, grid, threads;
    long long limit;
    unsigned long long data_seed;
    char outbuf[1100];
    picture_args pic;      /* --format --size --dpi --title for barriers.png */
} restarts_opts;

typedef struct seed_metrics {
    double train_loss, train_acc, test_loss, test_acc; /* from the run's summary.json */
    double subset_loss;                                /* on the barrier subset */
    int kept;
} seed_metrics;

static int parse_int(const char *opt, const char *v, long long lo, long long hi, long long *x)
{
    char *end;
    errno = 0;
    long long r = strtoll(v, &end, 10);
    if (end == v || *end || errno || r < lo || r > hi)
        return cli_usage_error("restarts", "%s wants an integer in %lld..%lld, not '%s'", opt, lo,
                               hi, v);
    *x = r;
    return EXIT_OK;
}

static int parse_args(int argc, char **argv, restarts_opts *o)
{
    memset(o, 0, sizeof *o);
    o->grid = 21;
    o->limit = 2000;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        long long x = 0;
        int rc = picture_args_parse("restarts", argc, argv, &i, &o->pic);
        if (rc < 0) return EXIT_USAGE;
        if (rc && (o->pic.width || o->pic.has_vmin || o->pic.has_vmax))
            return cli_usage_error("restarts", "%s: the barrier matrix is sized by its seeds and "
                                   "colored from 0 to its largest barrier", a);
        if (rc) continue;
        if (!strcmp(a, "--seeds") || !strcmp(a, "--out") || !strcmp(a, "--set") ||
            !strcmp(a, "--grid") || !strcmp(a, "--limit") || !strcmp(a, "--threads")) {
            if (i + 1 >= argc) return cli_usage_error("restarts", "%s needs a value", a);
            const char *v = argv[++i];
            if (!strcmp(a, "--out")) o->out = v;
            else if (!strcmp(a, "--set")) {
                if (o->nsets >= RESTARTS_MAX_SETS) return cli_usage_error("restarts", "too many --set options");
                o->sets[o->nsets++] = v;
            } else if (!strcmp(a, "--seeds")) {
                if ((rc = parse_int(a, v, 1, RESTARTS_MAX_SEEDS, &x))) return rc;
                o->nseeds = (int)x;
            } else if (!strcmp(a, "--grid")) {
                if ((rc = parse_int(a, v, 2, 10001, &x))) return rc;
                o->grid = (int)x;
            } else if (!strcmp(a, "--limit")) {
                if ((rc = parse_int(a, v, 0, 1LL << 40, &x))) return rc;
                o->limit = x;
            } else {
                if ((rc = parse_int(a, v, 0, 256, &x))) return rc;
                o->threads = (int)x;
            }
        } else if (a[0] == '-' && a[1]) {
            return cli_usage_error("restarts", "unknown option '%s'", a);
        } else if (!o->cfg) {
            o->cfg = a;
        } else {
            return cli_usage_error("restarts", "unexpected argument '%s'", a);
        }
    }
    if (!o->cfg) return cli_usage_error("restarts", "a CONFIG file is required");
    if (!o->nseeds) return cli_usage_error("restarts", "--seeds N is required");
    return EXIT_OK;
}

/* The config seed k trains with, resolved as cmd_train resolves it. With
 * seed 0 it is the user's config as given (to find the data seed). */
static int seed_config(const restarts_opts *o, int k, config *c)
{
    char set[96];
    config_defaults(c);
    int rc = config_load(c, o->cfg);
    for (int i = 0; !rc && i < o->nsets; i++) rc = config_set(c, o->sets[i]);
    if (rc || k == 0) return rc;
    snprintf(set, sizeof set, "train.seed=%d", k);
    if (!rc) rc = config_set(c, set);
    snprintf(set, sizeof set, "data.seed=%llu", o->data_seed);
    if (!rc) rc = config_set(c, set);
    snprintf(set, sizeof set, "train.threads=%d", o->threads);
    if (!rc && o->threads > 0) rc = config_set(c, set);
    if (!rc) cli_config_resolve(c);
    return rc;
}

/* Whether dir holds a finished run of exactly this config. */
static int run_done(const char *dir, const config *want)
{
    char p[4200];
    struct stat st;
    snprintf(p, sizeof p, "%s/final.safetensors", dir);
    if (stat(p, &st) != 0) return 0;
    snprintf(p, sizeof p, "%s/config.ini", dir);
    config have;
    config_defaults(&have);
    if (config_load(&have, p)) return 0;
    char *a = config_format(&have), *b = config_format(want);
    int same = a && b && !strcmp(a, b);
    free(a);
    free(b);
    return same;
}

static void seed_dir(const restarts_opts *o, int k, char *buf, size_t len)
{
    snprintf(buf, len, "%.3900s/seed-%d", o->out, k);
}

static int train_seeds(const restarts_opts *o, seed_metrics *sm)
{
    for (int k = 1; k <= o->nseeds; k++) {
        char dir[4096], seed[64], dseed[64], thr[64];
        config want;
        int rc = seed_config(o, k, &want);
        if (rc) return cli_fail("restarts", rc);
        seed_dir(o, k, dir, sizeof dir);
        sm[k - 1].kept = run_done(dir, &want);
        if (sm[k - 1].kept) {
            fprintf(stderr, "%s: trained already with this config; kept\n", dir);
            continue;
        }
        snprintf(seed, sizeof seed, "train.seed=%d", k);
        snprintf(dseed, sizeof dseed, "data.seed=%llu", o->data_seed);
        snprintf(thr, sizeof thr, "train.threads=%d", o->threads);
        char *av[8 + 2 * RESTARTS_MAX_SETS];
        int ac = 0;
        av[ac++] = "train";
        av[ac++] = (char *)o->cfg;
        av[ac++] = "--out";
        av[ac++] = dir;
        for (int i = 0; i < o->nsets; i++) {
            av[ac++] = "--set";
            av[ac++] = (char *)o->sets[i];
        }
        /* After the user's --set, so the restart's own seeds win. */
        char *tail[] = {"--set", seed, "--set", dseed, "--set", thr};
        for (int i = 0; i < (o->threads > 0 ? 6 : 4); i++) av[ac++] = tail[i];
        fprintf(stderr, "== saddle");
        for (int i = 0; i < ac; i++) fprintf(stderr, " %s", av[i]);
        fputc('\n', stderr);
        fflush(stdout);
        if ((rc = cmd_train(ac, av))) return rc;
        fflush(stdout);
    }
    return EXIT_OK;
}

static int read_summary(const char *dir, seed_metrics *m)
{
    cJSON *j = NULL;
    char p[PROBE_PATH_MAX];
    int rc = probe_json_read(probe_path(p, dir, "summary", ".json"), &j);
    if (rc) return rc;
    const char *keys[4] = {"train_loss", "train_acc", "test_loss", "test_acc"};
    double *dst[4] = {&m->train_loss, &m->train_acc, &m->test_loss, &m->test_acc};
    for (int i = 0; i < 4; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, keys[i]);
        *dst[i] = cJSON_IsNumber(v) ? v->valuedouble : NAN;
    }
    cJSON_Delete(j);
    return NN_OK;
}

/* Progress of one pair's line inside the whole barrier phase. */
typedef struct pair_progress {
    progress *pg;
    size_t base; /* evaluations before this pair */
} pair_progress;

static int pair_step(void *user, const surface *s, size_t done, size_t total)
{
    pair_progress *pp = user;
    progress_update(pp->pg, pp->base + done);
    return NN_OK;
}

/* barrier [N][N]: every pair once on one data subset, the endpoints taken
 * from the grid itself so the barrier is never negative by rounding. */
static int compute_barriers(const restarts_opts *o, seed_metrics *sm, double *barrier,
                            double *alpha_at, cJSON **side)
{
    int N = o->nseeds, opened = 0, rc;
    probe_args a;
    probe_args_defaults(&a);
    a.limit = o->limit;
    a.threads = o->threads;
    probe_model *pm = calloc((size_t)N, sizeof *pm);
    const probe_model **pms = calloc((size_t)N, sizeof *pms);
    probe_data pd = {0};
    nnobj ctx = {0};
    objective obj;
    surface s = {0};
    grid_spec g = {o->grid, 1, 0.0, 1.0, 0.0, 0.0};
    if (!pm || !pms) {
        rc = nn_err(NN_ENOMEM, "restarts: out of memory");
        goto fail;
    }
    if ((rc = pool_set_threads(o->threads))) goto fail;
    for (; opened < N; opened++) {
        char dir[4096];
        seed_dir(o, opened + 1, dir, sizeof dir);
        if ((rc = probe_model_open(&pm[opened], dir, &a))) goto fail;
        pms[opened] = &pm[opened];
    }
    if ((rc = probe_data_open(&pd, &pm[0], &a))) goto fail;
    if ((rc = nnobj_init(&ctx, &obj, &pm[0].m, pd.d, pd.idx, pd.k))) goto fail;
    if ((rc = surface_alloc(&s, &g))) goto fail;
    /* One unit per loss evaluation: each seed's, then every pair's line. */
    progress pg;
    progress_begin(&pg, (size_t)N + (size_t)N * (N - 1) / 2 * (size_t)g.nx,
                   "restarts: barriers, %zu examples", pd.k);
    pair_progress pp = {&pg, 0};
    for (int i = 0; i < N; i++) {
        sm[i].subset_loss = obj.value(obj.ctx, pm[i].m.theta, NULL);
        progress_update(&pg, ++pp.base);
    }
    for (int i = 0; i < N && !rc; i++) {
        barrier[i * N + i] = 0;
        alpha_at[i * N + i] = 0;
        for (int j = i + 1; j < N; j++) {
            for (int p = 0; p < g.nx; p++) {
                s.done[p] = 0;
                s.loss[p] = NAN;
            }
            if ((rc = probe_interp_eval(&obj, pm[i].m.theta, pm[j].m.theta, NULL, pm[0].m.n, &s,
                                        pair_step, &pp)))
                break;
            pp.base += (size_t)g.nx;
            double at = 0, b = surface_barrier(&s, s.loss[0], s.loss[g.nx - 1], &at);
            barrier[i * N + j] = barrier[j * N + i] = b;
            alpha_at[i * N + j] = at;
            alpha_at[j * N + i] = 1 - at;
        }
    }
    progress_end(&pg);
    if (rc) goto fail;
    *side = probe_sidecar("restarts", pms, N, &pd, &a);
fail:
    surface_free(&s);
    nnobj_free(&ctx);
    probe_data_close(&pd);
    for (int k = 0; k < opened; k++) probe_model_close(&pm[k]);
    free(pm);
    free(pms);
    return rc;
}

static render_rgb rgb(uint32_t hex) { return render_rgb_hex(hex); }

/* The matrix as square cells with the value written in each (while the
 * cells are large enough), seed labels on both axes and a colorbar. */
#define MATRIX_LABEL_PX 14.0

static int draw_matrix(const char *path, const picture_args *pic, const double *z, int N,
                       const char *title, const char *subtitle)
{
    double vmax = 0;
    for (int i = 0; i < N * N; i++)
        if (isfinite(z[i]) && z[i] > vmax) vmax = z[i];
    if (vmax <= 0) vmax = 1;
    int cell = N <= 6 ? 96 : N <= 12 ? 56 : N <= 24 ? 30 : 16;
    int side = cell * N, left = 90, top = 80, right = 150, bottom = 80;
    int W = left + side + right;
    if (W < 640) {
        left += (640 - W) / 2;
        W = 640;
    }
    if (pic->title) title = pic->title;
    /* Titles wrap to the picture's width; the matrix starts below them. */
    int th = render_titles(NULL, title, subtitle, W, 400, 14);
    if (th < 0) return -th;
    top = 14 + th + 18;
    int H = top + side + bottom;
    render_image im;
    render_target tg = picture_target(pic);
    int rc = render_image_init_as(&im, W, H, rgb(0xffffff), &tg);
    if (rc) return rc;
    render_rgb ink = rgb(0x202020);
    if ((th = render_titles(&im, title, subtitle, W, 400, 14)) < 0) {
        rc = -th;
        goto fail;
    }
    int tscale = cell >= 90 ? 2 : 1;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            int x0 = left + j * cell, y0 = top + i * cell;
            double t = z[i * N + j] / vmax;
            render_rgb c = render_cmap(RENDER_CMAP_VIRIDIS, t);
            render_rect_fill(&im, x0, y0, x0 + cell, y0 + cell, c, 1);
            if (cell >= 40) {
                char buf[32];
                double v = z[i * N + j];
                if (v != 0 && fabs(v) < 1e-3) snprintf(buf, sizeof buf, "%.1e", v);
                else snprintf(buf, sizeof buf, "%.3f", v);
                if (cell < 60 && strlen(buf) > 5) snprintf(buf, sizeof buf, "%.2g", v);
                double l = (0.299 * c.r + 0.587 * c.g + 0.114 * c.b) / 255;
                render_text(&im, x0 + cell / 2.0, y0 + cell / 2.0, buf, tscale,
                            RENDER_CENTER | RENDER_MIDDLE, 0, l > 0.5 ? ink : rgb(0xffffff));
            }
        }
    render_rect_frame(&im, left - 1, top - 1, left + side + 1, top + side + 1, ink);
    int lscale = cell >= 30 ? 2 : 1, every = cell >= 16 ? 1 : 2;
    for (int k = 0; k < N; k += every) {
        char lab[16];
        snprintf(lab, sizeof lab, "%d", k + 1);
        double c = (k + 0.5) * cell;
        render_text(&im, left + c, top + side + 6, lab, lscale, RENDER_CENTER | RENDER_TOP, 0, ink);
        render_text(&im, left - 8, top + c, lab, lscale, RENDER_RIGHT | RENDER_MIDDLE, 0, ink);
    }
    render_text(&im, left + side / 2.0, top + side + 34, "seed", 2, RENDER_CENTER | RENDER_TOP, 0, ink);
    render_text(&im, left - 44, top + side / 2.0, "seed", 2, RENDER_CENTER | RENDER_MIDDLE, 90, ink);
    /* Colorbar: 0 at the bottom, the largest barrier at the top. */
    int cx0 = left + side + 30, cx1 = cx0 + 20;
    for (int y = 0; y < side; y++)
        render_rect_fill(&im, cx0, top + y, cx1, top + y + 1,
                         render_cmap(RENDER_CMAP_VIRIDIS, 1.0 - (y + 0.5) / side), 1);
    render_rect_frame(&im, cx0 - 1, top - 1, cx1 + 1, top + side + 1, ink);
    double ticks[16], step, tickw = 0;
    int nt = render_ticks(0, vmax, 5, ticks, 16, &step);
    for (int k = 0; k < nt; k++) {
        char lab[32];
        double w, h;
        render_tick_label(ticks[k], step, lab, sizeof lab);
        double y = top + side - ticks[k] / vmax * side;
        render_line(&im, cx1, y, cx1 + 5, y, 1, ink, 1);
        render_text_px(&im, cx1 + 8, y, lab, 13, RENDER_LEFT | RENDER_MIDDLE, 0, ink);
        render_text_size(lab, 13, &w, &h);
        if (w > tickw) tickw = w;
    }
    /* The colorbar's title beside the widest tick label, at axis-title size. */
    render_text_px(&im, cx1 + 8 + tickw + 8, top + side / 2.0, "barrier (loss)", MATRIX_LABEL_PX,
                   RENDER_LEFT | RENDER_MIDDLE, 90, ink);
    rc = render_image_write(path, &im);
fail:
    render_image_free(&im);
    return rc;
}

/* The barrier matrix as the command drew it, from the sidecar (config,
 * seeds, grid, examples) and DIR/barriers.npy. */
int restarts_draw(const cJSON *j, const char *dir, const probe_args *a, const char *png)
{
    double seeds, grid;
    const char *cfg = sidecar_str(j, "options.config");
    int rc;
    if (!cfg) return nn_err(NN_EFORMAT, "sidecar: no options.config");
    if ((rc = sidecar_num(j, "options.seeds", NULL, &seeds)) ||
        (rc = sidecar_num(j, "options.grid", NULL, &grid)))
        return rc;
    if (!(seeds >= 1 && seeds <= RESTARTS_MAX_SEEDS))
        return nn_err(NN_EFORMAT, "sidecar: options.seeds %g is not in 1..%d", seeds, RESTARTS_MAX_SEEDS);
    int N = (int)seeds;
    size_t shape[2] = {(size_t)N, (size_t)N};
    double *bar;
    if ((rc = sidecar_npy(dir, "barriers", 2, shape, &bar))) return rc;
    const cJSON *ex = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "data"), "examples");
    char sub[400], title[200];
    snprintf(sub, sizeof sub, "max loss on the line between two seeds minus the higher end; "
             "%.0f train examples, %.0f points", cJSON_IsNumber(ex) ? ex->valuedouble : 0.0, grid);
    snprintf(title, sizeof title, "restarts of %.150s: pairwise barriers", cfg);
    rc = draw_matrix(png, &a->pic, bar, N, title, sub);
    free(bar);
    return rc;
}

static void spread(const seed_metrics *sm, int N, size_t off, double out[4])
{
    double s = 0, s2 = 0, lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < N; i++) {
        double v = *(const double *)((const char *)&sm[i] + off);
        s += v;
        lo = fmin(lo, v);
        hi = fmax(hi, v);
    }
    double mean = s / N;
    for (int i = 0; i < N; i++) {
        double v = *(const double *)((const char *)&sm[i] + off) - mean;
        s2 += v * v;
    }
    /* Sample std (n - 1): a handful of restarts estimates a population. */
    out[0] = mean;
    out[1] = N > 1 ? sqrt(s2 / (N - 1)) : 0;
    out[2] = lo;
    out[3] = hi;
}

int cmd_restarts(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (cli_is_help(argv[i])) {
            fputs(RESTARTS_USAGE, stdout);
            picture_args_help();
            return EXIT_OK;
        }
    restarts_opts o;
    int rc = parse_args(argc, argv, &o);
    if (rc) return rc;
    double t0 = nn_now();
    /* Load and validate the config before anything is created. */
    config base;
    if ((rc = seed_config(&o, 0, &base))) return cli_fail("restarts", rc);
    o.data_seed = base.data.seed ? (unsigned long long)base.data.seed : 1;
    if (!o.out) {
        char tmp[1024];
        snprintf(tmp, sizeof tmp, "%s", o.cfg);
        char *b = basename(tmp), *dot = strrchr(b, '.');
        if (dot && dot != b) *dot = 0;
        snprintf(o.outbuf, sizeof o.outbuf, "runs/restarts-%.1000s", b);
        o.out = o.outbuf;
    }
    int N = o.nseeds;
    seed_metrics sm[RESTARTS_MAX_SEEDS];
    memset(sm, 0, sizeof sm);
    double *bar = calloc((size_t)N * N, sizeof *bar), *at = calloc((size_t)N * N, sizeof *at);
    cJSON *j = NULL;
    file_lock lock = {-1};
    char npy[PROBE_PATH_MAX], png[PROBE_PATH_MAX], json[PROBE_PATH_MAX];
    probe_path(npy, o.out, "barriers", ".npy");
    probe_path(png, o.out, "barriers", picture_ext(&o.pic));
    probe_path(json, o.out, "restarts", ".json");
    if (!bar || !at) {
        rc = cli_fail("restarts", nn_err(NN_ENOMEM, "out of memory"));
        goto done;
    }
    if ((rc = file_mkdirs(o.out)) || (rc = file_lock_dir(&lock, o.out, "restarts"))) {
        rc = cli_fail("restarts", rc);
        goto done;
    }
    if ((rc = train_seeds(&o, sm))) goto done;
    for (int k = 0; k < N && !rc; k++) {
        char dir[4096];
        seed_dir(&o, k + 1, dir, sizeof dir);
        if ((rc = read_summary(dir, &sm[k]))) rc = cli_fail("restarts", rc);
    }
    if (rc) goto done;
    fprintf(stderr, "barriers: %d pairs x %d points\n", N * (N - 1) / 2, o.grid);
    if ((rc = compute_barriers(&o, sm, bar, at, &j))) {
        rc = cli_fail("restarts", rc);
        goto done;
    }

    size_t shape[2] = {(size_t)N, (size_t)N};
    if ((rc = npy_write_f64(npy, bar, 2, shape))) {
        rc = cli_fail("restarts", rc);
        goto done;
    }
    cJSON *opt = cJSON_AddObjectToObject(j, "options");
    cJSON_AddStringToObject(opt, "config", o.cfg);
    cJSON_AddNumberToObject(opt, "seeds", N);
    cJSON_AddStringToObject(opt, "out", o.out);
    cJSON_AddNumberToObject(opt, "grid", o.grid);
    cJSON_AddNumberToObject(opt, "limit", (double)o.limit);
    cJSON_AddNumberToObject(opt, "threads", o.threads);
    cJSON_AddNumberToObject(opt, "data_seed", (double)o.data_seed);
    cJSON *sets = cJSON_AddArrayToObject(opt, "set");
    for (int i = 0; i < o.nsets; i++) cJSON_AddItemToArray(sets, cJSON_CreateString(o.sets[i]));
    cJSON *runs = cJSON_AddArrayToObject(j, "runs");
    for (int k = 0; k < N; k++) {
        char dir[4096];
        seed_dir(&o, k + 1, dir, sizeof dir);
        cJSON *r = cJSON_CreateObject();
        cJSON_AddNumberToObject(r, "seed", k + 1);
        cJSON_AddStringToObject(r, "dir", dir);
        cJSON_AddBoolToObject(r, "kept", sm[k].kept);
        cJSON_AddNumberToObject(r, "train_loss", sm[k].train_loss);
        cJSON_AddNumberToObject(r, "train_acc", sm[k].train_acc);
        cJSON_AddNumberToObject(r, "test_loss", sm[k].test_loss);
        cJSON_AddNumberToObject(r, "test_acc", sm[k].test_acc);
        cJSON_AddNumberToObject(r, "subset_loss", sm[k].subset_loss);
        cJSON_AddItemToArray(runs, r);
    }
    static const char *const NAMES[4] = {"train_loss", "train_acc", "test_loss", "test_acc"};
    const size_t OFFS[4] = {offsetof(seed_metrics, train_loss), offsetof(seed_metrics, train_acc),
                            offsetof(seed_metrics, test_loss), offsetof(seed_metrics, test_acc)};
    double st[4][4];
    cJSON *sp = cJSON_AddObjectToObject(j, "spread");
    for (int m = 0; m < 4; m++) {
        spread(sm, N, OFFS[m], st[m]);
        cJSON *e = cJSON_AddObjectToObject(sp, NAMES[m]);
        cJSON_AddNumberToObject(e, "mean", st[m][0]);
        cJSON_AddNumberToObject(e, "std", st[m][1]);
        cJSON_AddNumberToObject(e, "min", st[m][2]);
        cJSON_AddNumberToObject(e, "max", st[m][3]);
    }
    cJSON *mat = cJSON_AddArrayToObject(j, "barriers");
    cJSON *amat = cJSON_AddArrayToObject(j, "barrier_alpha");
    for (int i = 0; i < N; i++) {
        cJSON_AddItemToArray(mat, cJSON_CreateDoubleArray(bar + (size_t)i * N, N));
        cJSON_AddItemToArray(amat, cJSON_CreateDoubleArray(at + (size_t)i * N, N));
    }
    cJSON_AddStringToObject(j, "barrier_alpha_note", "[i][j]: where the maximum lies, alpha from seed i to seed j");
    cJSON_AddNumberToObject(j, "wall_seconds", nn_now() - t0);
    probe_args pa;
    probe_args_defaults(&pa);
    pa.pic = o.pic;
    if ((rc = render_kind_draw(j, o.out, &pa, png))) {
        rc = cli_fail("restarts", rc);
        goto done;
    }
    if ((rc = probe_json_write(json, j))) {
        rc = cli_fail("restarts", rc);
        goto done;
    }

    printf("%d restarts of %s -> %s\n", N, o.cfg, o.out);
    printf("%-11s %10s %10s %10s %10s\n", "", "mean", "std", "min", "max");
    for (int m = 0; m < 4; m++)
        printf("%-11s %10.4f %10.4f %10.4f %10.4f\n", NAMES[m], st[m][0], st[m][1], st[m][2], st[m][3]);
    const cJSON *ex = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "data"), "examples");
    printf("barriers (loss on %s):\n%6s", cJSON_IsNumber(ex) ? "the seeded train subset" : "train", "seed");
    for (int k = 0; k < N; k++) printf(" %8d", k + 1);
    putchar('\n');
    for (int i = 0; i < N; i++) {
        printf("%6d", i + 1);
        for (int k = 0; k < N; k++) printf(" %8.4f", bar[i * N + k]);
        putchar('\n');
    }
    printf("%s, %s, %s\n", npy, png, json);
    rc = EXIT_OK;
done:
    file_unlock(&lock);
    cJSON_Delete(j);
    free(bar);
    free(at);
    return rc;
}
