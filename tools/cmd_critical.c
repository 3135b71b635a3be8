/* `saddle critical RUN`: searches for critical points of the training loss
 * from snapshots along RUN's trajectory and from large random inits
 * (Levenberg-Marquardt on the gradient, in double, with the exact dense
 * Hessian), classifies each end point by its spectrum, and draws index
 * against loss: the test of "high-loss critical points are saddles". */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../datasets/fileio.h"
#include "../nn/pool.h"
#include "../probes/critical.h"
#include "../probes/npy.h"
#include "../probes/render.h"
#include "critical_resume.h"
#include "progress.h"
#include "probe.h"
#include "render_kinds.h"

static const char CRITICAL_USAGE[] =
    "usage: saddle critical RUN [options]\n"
    "\n"
    "Searches for critical points (gradient = 0) of the mean training loss of RUN's\n"
    "model: Levenberg-Marquardt on the gradient, d = -(H^2 + mu I)^-1 H g, in double\n"
    "precision with the exact dense Hessian, so for nets up to a few thousand\n"
    "parameters. Starts are snapshots spread along RUN/traj and random inits. Each\n"
    "end point is labelled critical (|g| <= --gtol), gradient-flat (it stopped with\n"
    "most of |g|^2 on eigenvectors with |lambda| <= 1e-4 lambda_max: H g ~ 0 but\n"
    "g != 0), or unconverged, and classified by the whole spectrum: index (the\n"
    "fraction of eigenvalues below -t lambda_max for t = 1e-6, 1e-4, 1e-3),\n"
    "lambda_min, lambda_max, and the share of |g|^2 in the near-null eigenspace.\n"
    "A search stops at --gtol, when no damping lowers |g|, when |g| fell by less\n"
    "than 10% over 50 iterations, or after --max-iter iterations.\n"
    "Prints a table and Spearman's rank correlation of index and loss (n/a for\n"
    "fewer than 3 points or no spread), then the same at iteration budgets 25, 50,\n"
    "100, ... and --max-iter (every search as it stood after that many iterations),\n"
    "with its bootstrap spread over the end points: an end point that is not\n"
    "critical has an index that depends on the budget. Progress: every iteration\n"
    "on a terminal, a line every ~10 s otherwise. Writes NAME.json (default\n"
    "critical, after every start; each point keeps its trace: loss, |g|,\n"
    "lambda_min, status and index at every iteration), NAME.png (index against\n"
    "loss; `saddle render NAME.json` redraws it), NAME_points.npy [starts][n]\n"
    "(float64 end points) and\n"
    "NAME/point-KK.safetensors, which `saddle surface FILE --dirs hessian` takes.\n"
    "Every finished start is on disk at once, so an interrupted run resumes: rerun\n"
    "it with the same options and only the remaining starts are searched (saved\n"
    "starts that do not check out are not used: it starts over and says why).\n"
    "\n"
    "options:\n"
    "  --starts N       searches in all (default 20)\n"
    "  --random R       of them from random inits (default N/4); the rest are\n"
    "                   snapshots spread evenly over RUN/traj, first to last\n"
    "  --init-scale S   random inits: the model's init times S (default 3)\n"
    "  --max-iter N     Levenberg-Marquardt iterations per start (default 200, at\n"
    "                   most 100000)\n"
    "  --gtol G         critical below this gradient norm (default 1e-8)\n"

    "  --max-params N   refuse models with more parameters (default 6000: the\n"
    "                   Hessian is dense, N^2 doubles, one eigendecomposition per step)\n";

typedef struct start_src {
    char label[64];   /* "step-00000400" or "random-3" */
    long step;        /* -1 for a random init */
} start_src;

static int parse_num(const char *v, double lo, double hi, double *out)
{
    char *end;
    double x = strtod(v, &end);
    if (end == v || *end || !(x >= lo && x <= hi)) return -1;
    *out = x;
    return 0;
}

#define MAX_BUDGETS 16

/* Every point of one search (iteration 0 .. its end) and the progress line. */
typedef struct crit_watch {
    crit_step *steps; /* [cap] */
    int cap, n;
    int start, nstarts, max_iter;
    int tty;
    double last;      /* when the last line was printed (off a terminal) */
} crit_watch;

static void on_step(void *user, const crit_step *s)
{
    crit_watch *w = user;
    if (w->n < w->cap) w->steps[w->n++] = *s;
    /* A bar on a terminal; elsewhere a line every ~10 s, so a log shows the
     * search is alive without an iteration each second. */
    double now = nn_now();
    if (!w->tty && s->iter > 0 && now - w->last < progress_interval()) return;
    fprintf(stderr, "%s  start %d/%d  iteration %d/%d  loss %.8g  |g| %.3g  index %.2f%%%s",
            w->tty ? "\r" : "", w->start, w->nstarts, s->iter, w->max_iter, s->loss, s->gnorm,
            100 * s->index[1], w->tty ? "   " : "\n");
    fflush(stderr);
    w->last = now;
}

/* The budgets the index is reported at: 25, 50, 100, ... below max_iter, and max_iter. */
static int budgets(int max_iter, int *b)
{
    int nb = 0;
    for (long v = 25; v < max_iter && nb < MAX_BUDGETS - 1; v *= 2) b[nb++] = (int)v;
    b[nb++] = max_iter;
    return nb;
}

/* The search's state after at most `budget` iterations. */
static const crit_step *at_budget(const crit_watch *w, int budget)
{
    return &w->steps[budget < w->n - 1 ? budget : w->n - 1];
}

/* The index, loss and |g| along the search, one entry per iteration. */
static cJSON *trace_json(const crit_watch *w, const crit_opts *opt)
{
    cJSON *tr = cJSON_CreateObject();
    cJSON *loss = cJSON_AddArrayToObject(tr, "loss");
    cJSON *gn = cJSON_AddArrayToObject(tr, "grad_norm");
    cJSON *lmin = cJSON_AddArrayToObject(tr, "lambda_min");
    cJSON *st = cJSON_AddArrayToObject(tr, "status");
    cJSON *idx = cJSON_AddArrayToObject(tr, "index");
    cJSON *col[CRIT_MAX_T];
    for (int t = 0; t < opt->nt; t++) {
        col[t] = cJSON_CreateArray();
        cJSON_AddItemToArray(idx, col[t]);
    }
    for (int k = 0; k < w->n; k++) {
        const crit_step *s = &w->steps[k];
        cJSON_AddItemToArray(loss, cJSON_CreateNumber(s->loss));
        cJSON_AddItemToArray(gn, cJSON_CreateNumber(s->gnorm));
        cJSON_AddItemToArray(lmin, cJSON_CreateNumber(s->lmin));
        cJSON_AddItemToArray(st, cJSON_CreateString(crit_status_name(s->status)));
        for (int t = 0; t < opt->nt; t++)
            cJSON_AddItemToArray(col[t], cJSON_CreateNumber(s->index[t]));
    }
    return tr;
}

/* The start theta [n] (double) of search k: a snapshot, or a scaled init. */
static int start_point(const probe_model *pm, const char *run, char **names, int nsnap,
                       int nfrom_snap, int k, uint64_t seed, double scale, double *theta,
                       start_src *src)
{
    size_t n = pm->m.n;
    if (k < nfrom_snap) {
        int s = nfrom_snap == 1 ? nsnap - 1
                                : (int)lround((double)k * (nsnap - 1) / (nfrom_snap - 1));
        char p[4400];
        snprintf(p, sizeof p, "%s/traj/%s", run, names[s]);
        model sm;
        ckpt_info info = {0};
        int rc = ckpt_load(p, &sm, -1, 0, &info, NULL, NULL, 0);
        if (rc) return rc;
        if (sm.n != n) {
            model_free(&sm);
            ckpt_info_free(&info);
            return nn_err(NN_EFORMAT, "%s: %zu parameters, the run's model has %zu", p, sm.n, n);
        }
        for (size_t i = 0; i < n; i++) theta[i] = sm.theta[i];
        src->step = info.step;
        snprintf(src->label, sizeof src->label, "step %ld", info.step);
        ckpt_info_free(&info);
        model_free(&sm);
        return NN_OK;
    }
    model rm;
    int rc = model_build(&rm, &pm->m.spec);
    if (rc) return rc;
    int r = k - nfrom_snap;
    model_init_params(&rm, seed * 1000003u + (uint64_t)r + 1);
    for (size_t i = 0; i < n; i++) theta[i] = scale * rm.theta[i];
    model_free(&rm);
    src->step = -1;
    snprintf(src->label, sizeof src->label, "random %d", r + 1);
    return NN_OK;
}

static void print_row(int k, const char *label, const crit_result *r, const crit_opts *opt)
{
    printf("%3d %-16s %-14s %5d  %-9.6g  %-8.2g  %6.2f %6.2f %6.2f  %-8.3g  %-7.3g  %5.1f\n",
           k + 1, label, crit_status_name(r->status), r->iters, r->loss, r->gnorm,
           100 * r->index[0], 100 * r->index[1], 100 * r->index[2], r->lmin, r->lmax,
           100 * r->nullfrac[opt->flat_t]);
    fflush(stdout);
}

static cJSON *point_json(const start_src *src, const crit_result *r, const crit_opts *opt,
                         double acc, double secs)
{
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "start", src->label);
    if (src->step >= 0) cJSON_AddNumberToObject(e, "step", (double)src->step);
    cJSON_AddStringToObject(e, "status", crit_status_name(r->status));
    cJSON_AddNumberToObject(e, "iterations", r->iters);
    cJSON_AddNumberToObject(e, "gradients", r->grads);
    cJSON_AddNumberToObject(e, "hessians", r->hessians);
    cJSON_AddNumberToObject(e, "loss_start", r->loss0);
    cJSON_AddNumberToObject(e, "grad_norm_start", r->gnorm0);
    cJSON_AddNumberToObject(e, "loss", r->loss);
    cJSON_AddNumberToObject(e, "grad_norm", r->gnorm);
    cJSON_AddNumberToObject(e, "accuracy", acc);
    cJSON_AddNumberToObject(e, "lambda_min", r->lmin);
    cJSON_AddNumberToObject(e, "lambda_max", r->lmax);
    cJSON_AddNumberToObject(e, "hg_rel", r->hg_rel);
    cJSON *idx = cJSON_AddArrayToObject(e, "index");
    cJSON *neg = cJSON_AddArrayToObject(e, "negative");
    cJSON *nf = cJSON_AddArrayToObject(e, "null_grad_fraction");
    for (int t = 0; t < opt->nt; t++) {
        cJSON_AddItemToArray(idx, cJSON_CreateNumber(r->index[t]));
        cJSON_AddItemToArray(neg, cJSON_CreateNumber(r->nneg[t]));
        cJSON_AddItemToArray(nf, cJSON_CreateNumber(r->nullfrac[t]));
    }
    cJSON_AddNumberToObject(e, "seconds", secs);
    return e;
}

/* Index (at threshold t) against loss: one marker per end point, shape and
 * color by how the search ended. */
static int draw(const char *png, const picture_args *pic, const crit_result *res, int N, int t,
                double thr, const char *title, const char *subtitle)
{
    static const uint32_t colors[3] = {RENDER_HEX(0x0072b2), RENDER_HEX(0xe69f00),
                                       RENDER_HEX(0x999999)};
    static const int marks[3] = {RENDER_MARK_DOT, RENDER_MARK_TRIANGLE, RENDER_MARK_CROSS};
    render_series *s = calloc((size_t)N, sizeof *s);
    double *xy = malloc(2 * (size_t)N * sizeof *xy);
    if (!s || !xy) {
        free(s), free(xy);
        return nn_err(NN_ENOMEM, "critical: out of memory drawing");
    }
    int seen[3] = {0, 0, 0};
    double lo = INFINITY, hi = -INFINITY, top = 0;
    for (int k = 0; k < N; k++) {
        lo = fmin(lo, res[k].loss), hi = fmax(hi, res[k].loss);
        top = fmax(top, 100 * res[k].index[t]);
        int st = res[k].status;
        xy[2 * k] = res[k].loss;
        xy[2 * k + 1] = 100 * res[k].index[t];
        s[k] = (render_series){&xy[2 * k], &xy[2 * k + 1], 1,
                               seen[st]++ ? NULL : crit_status_name(st), colors[st], 0,
                               marks[st], 0, -3.25}; /* a scatter: no line in the legend */
    }
    char ylabel[96];
    snprintf(ylabel, sizeof ylabel, "index: %% eigenvalues < -%g lmax", thr);
    render_lineplot_opts o;
    memset(&o, 0, sizeof o);
    o.title = title;
    o.subtitle = subtitle;
    o.xlabel = "training loss at the end point";
    o.ylabel = ylabel;
    /* Room around the points, so none sits half outside the frame. */
    double pad = hi > lo ? 0.06 * (hi - lo) : 0.05 * fmax(fabs(lo), 1e-3);
    o.xmin = lo - pad, o.xmax = hi + pad;
    o.ymin = -0.04 * fmax(top, 1), o.ymax = 1.08 * fmax(top, 1);
    o.series = s;
    o.nseries = N;
    picture_lineplot(pic, &o);
    render_target tg = picture_target(pic);
    int rc = render_lineplot_write(png, &tg, &o, NULL);
    free(s), free(xy);
    return rc;
}

int critical_render(const cJSON *j, const picture_args *pic, const char *png)
{
    const cJSON *pts = cJSON_GetObjectItemCaseSensitive(j, "points");
    const cJSON *opts = cJSON_GetObjectItemCaseSensitive(j, "options");
    const cJSON *thr = opts ? cJSON_GetObjectItemCaseSensitive(opts, "thresholds") : NULL;
    const cJSON *pt = cJSON_GetObjectItemCaseSensitive(j, "plot_threshold");
    const cJSON *ti = cJSON_GetObjectItemCaseSensitive(j, "title");
    int N = cJSON_GetArraySize(pts), t = cJSON_IsNumber(pt) ? pt->valueint : 1;
    const cJSON *tv = cJSON_GetArrayItem(thr, t);
    if (!cJSON_IsArray(pts) || N < 1 || !cJSON_IsNumber(tv) || t < 0 || t >= CRIT_MAX_T)
        return nn_err(NN_EFORMAT, "critical sidecar: no points, or no thresholds");
    crit_result *res = calloc((size_t)N, sizeof *res);
    if (!res) return nn_err(NN_ENOMEM, "critical: out of memory");
    int k = 0, rc = NN_OK;
    for (const cJSON *e = pts->child; e; e = e->next, k++) {
        const cJSON *loss = cJSON_GetObjectItemCaseSensitive(e, "loss");
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(e, "status");
        const cJSON *ix = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(e, "index"), t);
        if (!cJSON_IsNumber(loss) || !cJSON_IsString(st) || !cJSON_IsNumber(ix)) {
            rc = nn_err(NN_EFORMAT, "critical sidecar: point %d lacks loss, status or index", k + 1);
            break;
        }
        res[k].loss = loss->valuedouble;
        res[k].index[t] = ix->valuedouble;
        res[k].status = CRIT_UNCONVERGED;
        for (int c = CRIT_CRITICAL; c <= CRIT_UNCONVERGED; c++)
            if (!strcmp(st->valuestring, crit_status_name(c))) res[k].status = c;
    }
    int count[3] = {0, 0, 0};
    for (k = 0; k < N; k++) count[res[k].status]++;
    char sub[200];
    snprintf(sub, sizeof sub, "%d starts: %d critical, %d gradient-flat, %d unconverged", N,
             count[CRIT_CRITICAL], count[CRIT_FLAT], count[CRIT_UNCONVERGED]);
    /* Sidecars before the title was stored: rebuild it from the checkpoint's arch. */
    char title[300] = "critical points: index against loss";
    const cJSON *arch = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "checkpoints"), 0), "arch");
    if (cJSON_IsString(ti)) snprintf(title, sizeof title, "%s", ti->valuestring);
    else if (cJSON_IsString(arch))
        snprintf(title, sizeof title, "critical points of %s: index against loss", arch->valuestring);
    if (!rc) rc = draw(png, pic, res, N, t, tv->valuedouble, title, sub);
    free(res);
    return rc;
}

int cmd_critical(int argc, char **argv)
{
    probe_args a;
    probe_args_defaults(&a);
    a.limit = 0;
    a.takes = PROBE_TAKES_DATA | PROBE_TAKES_OUT;
    const char *run = NULL;
    double starts = 20, nrand = -1, scale = 3, max_iter = 200, gtol = 1e-8, max_params = 6000;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        int r = picture_args_parse("critical", argc, argv, &i, &a.pic);
        if (!r) r = probe_args_parse("critical", CRITICAL_USAGE, argc, argv, &i, &a);
        if (r == PROBE_HELP) {
            picture_args_help();
            return EXIT_OK;
        }
        if (r < 0) return EXIT_USAGE;
        if (r) continue;
        double *dst = !strcmp(o, "--starts") ? &starts : !strcmp(o, "--random") ? &nrand
                    : !strcmp(o, "--init-scale") ? &scale : !strcmp(o, "--max-iter") ? &max_iter
                    : !strcmp(o, "--gtol") ? &gtol : !strcmp(o, "--max-params") ? &max_params
                    : NULL;
        if (dst) {
            if (i + 1 >= argc) return cli_usage_error("critical", "%s needs a value", o);
            double lo = dst == &gtol ? 0 : dst == &scale ? 1e-6 : dst == &nrand ? 0 : 1;
            double hi = dst == &starts ? 1000 : dst == &max_iter ? 100000 : 1e9;
            int integer = dst != &gtol && dst != &scale;
            if (parse_num(argv[++i], lo, hi, dst) || (integer && *dst != floor(*dst)) ||
                (dst == &gtol && !(*dst > 0)))
                return cli_usage_error("critical", "%s: bad value '%s'", o, argv[i]);
        } else if (cli_positional("critical", o, &run)) {
            return EXIT_USAGE;
        }
    }
    if (!run) return cli_usage_error("critical", "a run directory is required");
    int N = (int)starts, R = nrand < 0 ? N / 4 : (int)nrand;
    if (R > N) return cli_usage_error("critical", "--random %d is more than --starts %d", R, N);
    int rc = pool_set_threads(a.threads);
    if (rc) return cli_fail("critical", rc);

    double t0 = nn_now();
    probe_model pm = {0};
    const probe_model *pms[1] = {&pm};
    probe_data pd = {0};
    nnobj ctx = {0};
    objective o;
    cJSON *j = NULL;
    char **names = NULL;
    int nsnap = 0;
    double *theta = NULL, *points = NULL;
    float *tf = NULL;
    crit_result *res = NULL;
    start_src *srcs = NULL;
    const char **labels = NULL;
    crit_step *bsteps = NULL; /* [N][MAX_BUDGETS]: each search at each budget */
    crit_watch w = {0};
    char *cfg_text = NULL;
    probe_out pout = {.lock = {-1}};
    const char *dir = pout.dir;
    crit_opts opt;
    crit_opts_defaults(&opt);
    opt.max_iter = (int)max_iter;
    opt.gtol = gtol;
    if ((rc = probe_model_open(&pm, run, &a))) goto fail;
    if (!pm.run[0]) {
        rc = nn_err(NN_EINVAL, "%s: critical needs a run directory (with traj/), not a checkpoint",
                    run);
        goto fail;
    }
    if (pm.m.n > (size_t)max_params) {
        rc = nn_err(NN_EINVAL, "%s: %zu parameters; the dense Hessian is for at most %.0f "
                    "(--max-params)", pm.path, pm.m.n, max_params);
        goto fail;
    }
    if (N - R > 0 && (rc = probe_traj_list(run, &names, &nsnap))) goto fail;
    int from_snap = N - R < nsnap ? N - R : nsnap;
    if (from_snap < N - R)
        fprintf(stderr, "saddle critical: %d snapshot(s) in %s/traj; %d more random starts\n",
                nsnap, run, N - R - from_snap);
    if ((rc = probe_data_open(&pd, &pm, &a))) goto fail;
    if ((rc = nnobj_init(&ctx, &o, &pm.m, pd.d, pd.idx, pd.k))) goto fail;
    if ((rc = nnobj_double(&ctx))) goto fail;
    if ((rc = probe_out_open(&pout, "critical", "critical", pms, 1, &a, argc, argv, NULL))) goto fail;
    const char *name = pout.name;
    char json[PROBE_PATH_MAX];
    probe_out_path(&pout, json, ".json");
    char pdir[4400];
    snprintf(pdir, sizeof pdir, "%s/%s", dir, name);
    if ((rc = file_mkdirs(pdir))) goto fail;
    size_t n = pm.m.n;
    theta = malloc(n * sizeof *theta);
    points = malloc((size_t)N * n * sizeof *points);
    tf = malloc(n * sizeof *tf);
    res = calloc((size_t)N, sizeof *res);
    srcs = calloc((size_t)N, sizeof *srcs);
    labels = calloc((size_t)N, sizeof *labels);
    bsteps = calloc((size_t)N * MAX_BUDGETS, sizeof *bsteps);
    w.cap = opt.max_iter + 1;
    w.steps = malloc((size_t)w.cap * sizeof *w.steps);
    w.nstarts = N, w.max_iter = opt.max_iter, w.tty = isatty(2);
    int budget[MAX_BUDGETS], nb = budgets(opt.max_iter, budget);
    if (!theta || !points || !tf || !res || !srcs || !labels || !bsteps || !w.steps) {
        rc = nn_err(NN_ENOMEM, "critical: out of memory for %d starts of %zu", N, n);
        goto fail;
    }
    if (!(cfg_text = config_format(&pm.c))) {
        rc = nn_err(NN_ENOMEM, "critical: out of memory");
        goto fail;
    }
    j = probe_sidecar("critical", pms, 1, &pd, &a);
    probe_out_stamp(&pout, j);
    cJSON_AddNumberToObject(j, "parameters", (double)n);
    cJSON *oj = cJSON_AddObjectToObject(j, "options");
    cJSON_AddNumberToObject(oj, "starts", N);
    cJSON_AddNumberToObject(oj, "random", N - from_snap);
    cJSON_AddNumberToObject(oj, "init_scale", scale);
    cJSON_AddNumberToObject(oj, "max_iter", opt.max_iter);
    cJSON_AddNumberToObject(oj, "gtol", opt.gtol);
    cJSON_AddNumberToObject(oj, "stall_iters", opt.stall_iters);
    cJSON_AddNumberToObject(oj, "stall_drop", opt.stall_drop);
    cJSON_AddNumberToObject(oj, "flat_fraction", opt.flat_frac);
    cJSON *tj = cJSON_AddArrayToObject(oj, "thresholds");
    for (int t = 0; t < opt.nt; t++) cJSON_AddItemToArray(tj, cJSON_CreateNumber(opt.t[t]));
    cJSON *bj = cJSON_AddArrayToObject(oj, "budgets");
    for (int b = 0; b < nb; b++) cJSON_AddItemToArray(bj, cJSON_CreateNumber(budget[b]));
    cJSON *arr = cJSON_AddArrayToObject(j, "points");
    char pts[PROBE_PATH_MAX];
    probe_out_path(&pout, pts, "_points.npy");
    /* An interrupted run of the same options left its finished starts on
     * disk: keep them and search only from the rest. */
    int done = 0;
    if (access(json, F_OK) == 0) {
        for (int k = 0; k < N; k++) {
            if ((rc = start_point(&pm, run, names, nsnap, from_snap, k, a.seed, scale, theta, &srcs[k])))
                goto fail;
            labels[k] = srcs[k].label;
        }
        char why[700];
        done = critical_resume(json, pts, pdir, j, labels, &opt, budget, nb, MAX_BUDGETS, n, N,
                               arr, res, points, bsteps, w.steps, why, sizeof why);
        if (done)
            fprintf(stderr, "saddle critical: resuming %s: %d of %d starts done\n", json, done, N);
        else if (why[0])
            fprintf(stderr, "saddle critical: %s does not fit this run (%s); starting over\n", json,
                    why);
    }
    printf("%zu parameters, %zu examples (%s), %d starts: %d snapshots, %d random (x%g init)\n",
           n, pd.k, a.split, N, from_snap, N - from_snap, scale);
    printf("index at t: %% of eigenvalues below -t lambda_max; null-g: %% of |g|^2 where |lambda| "
           "<= 1e-4 lambda_max\n");
    printf("%3s %-16s %-14s %5s  %-9s  %-8s  %6s %6s %6s  %-8s  %-7s  %5s\n", "#", "start", "status",
           "iters", "loss", "|g|", "t=1e-6", "1e-4", "1e-3", "lmin", "lmax", "null-g");
    for (int k = 0; k < N; k++) {
        if (k < done) {
            print_row(k, srcs[k].label, &res[k], &opt);
            continue;
        }
        start_src src;
        if ((rc = start_point(&pm, run, names, nsnap, from_snap, k, a.seed, scale, theta, &src)))
            goto fail;
        fprintf(stderr, "  start %d/%d (%s)\n", k + 1, N, src.label);
        double ts = nn_now();
        crit_result *r = &res[k];
        w.n = 0, w.start = k + 1, w.last = ts;
        rc = crit_find(&o, theta, &opt, r, NULL, on_step, &w);
        if (w.tty) fputc('\n', stderr);
        if (rc) {
            fprintf(stderr, "saddle critical: start %d (%s) failed\n", k + 1, src.label);
            goto fail;
        }
        for (int b = 0; b < nb; b++) bsteps[(size_t)k * MAX_BUDGETS + b] = *at_budget(&w, budget[b]);
        memcpy(points + (size_t)k * n, theta, n * sizeof *theta);
        for (size_t i = 0; i < n; i++) tf[i] = (float)theta[i];
        double acc = 0;
        o.value(o.ctx, tf, &acc);
        print_row(k, src.label, r, &opt);
        cJSON *pj = point_json(&src, r, &opt, acc, nn_now() - ts);
        cJSON_AddItemToObject(pj, "trace", trace_json(&w, &opt));
        cJSON_AddItemToArray(arr, pj);
        char p[4500];
        snprintf(p, sizeof p, "%s/point-%02d.safetensors", pdir, k + 1);
        ckpt_info info = {src.step < 0 ? 0 : src.step, 0, pm.c.train.seed, cfg_text};
        if ((rc = ckpt_save(p, &pm.m, tf, &info, NULL, NULL, 0))) goto fail;
        size_t sofar[2] = {(size_t)k + 1, n};
        if ((rc = npy_write_f64(pts, points, 2, sofar))) goto fail;
        /* A long search loses nothing already found: the table so far is on disk. */
        cJSON_DeleteItemFromObject(j, "complete");
        cJSON_AddBoolToObject(j, "complete", 0);
        if ((rc = probe_json_write(json, j))) goto fail;
    }
    cJSON_DeleteItemFromObject(j, "complete");
    cJSON_AddBoolToObject(j, "complete", 1);
    /* Rank correlation of index and loss, over the critical points and over
     * every end point. */
    cJSON *sp = cJSON_AddArrayToObject(j, "spearman");
    double *li = malloc(2 * (size_t)N * sizeof *li);
    if (!li) {
        rc = nn_err(NN_ENOMEM, "critical: out of memory");
        goto fail;
    }
    int ncrit = 0, nflat = 0;
    for (int k = 0; k < N; k++) ncrit += res[k].status == CRIT_CRITICAL, nflat += res[k].status == CRIT_FLAT;
    printf("%d of %d starts reached a critical point (|g| <= %g), %d ended gradient-flat, %d "
           "unconverged\n", ncrit, N, opt.gtol, nflat, N - ncrit - nflat);
    for (int t = 0; t < opt.nt; t++) {
        double rho[2];
        for (int all = 0; all < 2; all++) {
            int m = 0;
            for (int k = 0; k < N; k++)
                if (all || res[k].status == CRIT_CRITICAL) {
                    li[m] = res[k].loss;
                    li[N + m] = res[k].index[t];
                    m++;
                }
            rho[all] = crit_spearman(m, li, li + N);
        }
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "threshold", opt.t[t]);
        if (isfinite(rho[0])) cJSON_AddNumberToObject(e, "critical_points", rho[0]);
        else cJSON_AddNullToObject(e, "critical_points");
        if (isfinite(rho[1])) cJSON_AddNumberToObject(e, "all_end_points", rho[1]);
        else cJSON_AddNullToObject(e, "all_end_points");
        cJSON_AddItemToArray(sp, e);
        char r0[64], r1[64];
        snprintf(r0, sizeof r0, isfinite(rho[0]) ? "%.3f" : "n/a", rho[0]);
        snprintf(r1, sizeof r1, isfinite(rho[1]) ? "%.3f" : "n/a", rho[1]);
        printf("Spearman rank correlation of index (t = %g) and loss after at most %d iterations: "
               "%s over the %d critical points, %s over all %d end points\n", opt.t[t], opt.max_iter,
               r0, ncrit, r1, N);
    }
    if (ncrit < 3)
        printf("(%d critical point%s: the correlation over all end points is one over points where "
               "the search stopped after at most %d iterations, mostly not critical points; see the "
               "budgets below)\n", ncrit, ncrit == 1 ? "" : "s", opt.max_iter);
    /* The same with every search cut at each budget: a gradient-flat end
     * point's index depends on how long the search ran, so a correlation
     * holds for a budget, not for "the critical points". */
    cJSON *bja = cJSON_AddArrayToObject(j, "by_budget");
    printf("by iteration budget B (each search as it stood after at most B iterations; rho over all "
           "%d points, ± its bootstrap sd):\n", N);
    printf("%7s %4s %4s %6s  %-20s  %s\n", "", "", "", "", "mean index %", "rho(index, loss)");
    printf("%7s %4s %4s %6s  %6s %6s %6s  %11s %11s %11s\n", "B", "crit", "flat", "unconv", "t=1e-6",
           "1e-4", "1e-3", "t=1e-6", "1e-4", "1e-3");
    for (int b = 0; b < nb; b++) {
        int cnt[3] = {0, 0, 0};
        for (int k = 0; k < N; k++) cnt[bsteps[(size_t)k * MAX_BUDGETS + b].status]++;
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "iterations", budget[b]);
        cJSON_AddNumberToObject(e, "critical", cnt[CRIT_CRITICAL]);
        cJSON_AddNumberToObject(e, "gradient_flat", cnt[CRIT_FLAT]);
        cJSON_AddNumberToObject(e, "unconverged", cnt[CRIT_UNCONVERGED]);
        cJSON *mj = cJSON_AddArrayToObject(e, "mean_index");
        cJSON *rj = cJSON_AddArrayToObject(e, "spearman");
        cJSON *sdj = cJSON_AddArrayToObject(e, "spearman_bootstrap_sd");
        cJSON *qj = cJSON_AddArrayToObject(e, "spearman_bootstrap_5_95");
        char mean_s[3][16] = {"", "", ""}, rho_s[3][32] = {"", "", ""};
        for (int t = 0; t < opt.nt; t++) {
            double mean = 0;
            for (int k = 0; k < N; k++) {
                const crit_step *st = &bsteps[(size_t)k * MAX_BUDGETS + b];
                li[k] = st->loss, li[N + k] = st->index[t];
                mean += st->index[t] / N;
            }
            double rho = crit_spearman(N, li, li + N), sd, q5, q95;
            if ((rc = crit_spearman_boot(N, li, li + N, 2000, a.seed, &sd, &q5, &q95))) {
                free(li);
                goto fail;
            }
            cJSON_AddItemToArray(mj, cJSON_CreateNumber(mean));
            cJSON_AddItemToArray(rj, isfinite(rho) ? cJSON_CreateNumber(rho) : cJSON_CreateNull());
            cJSON_AddItemToArray(sdj, isfinite(sd) ? cJSON_CreateNumber(sd) : cJSON_CreateNull());
            cJSON *q = cJSON_CreateArray();
            cJSON_AddItemToArray(q, isfinite(q5) ? cJSON_CreateNumber(q5) : cJSON_CreateNull());
            cJSON_AddItemToArray(q, isfinite(q95) ? cJSON_CreateNumber(q95) : cJSON_CreateNull());
            cJSON_AddItemToArray(qj, q);
            if (t < 3) {
                snprintf(mean_s[t], sizeof mean_s[t], "%.2f", 100 * mean);
                if (isfinite(rho) && isfinite(sd))
                    snprintf(rho_s[t], sizeof rho_s[t], "%.2f±%.2f", rho, sd);
                else snprintf(rho_s[t], sizeof rho_s[t], isfinite(rho) ? "%.2f" : "n/a", rho);
            }
        }
        cJSON_AddItemToArray(bja, e);
        printf("%7d %4d %4d %6d  %6s %6s %6s  %11s %11s %11s\n", budget[b],
               cnt[CRIT_CRITICAL], cnt[CRIT_FLAT], cnt[CRIT_UNCONVERGED], mean_s[0], mean_s[1],
               mean_s[2], rho_s[0], rho_s[1], rho_s[2]);
    }
    free(li);
    size_t shape[2] = {(size_t)N, n};
    if ((rc = npy_write_f64(pts, points, 2, shape))) goto fail;
    char title[300];
    snprintf(title, sizeof title, "critical points of %s: index against loss", pm.arch);
    cJSON_AddStringToObject(j, "title", title);
    cJSON_AddNumberToObject(j, "plot_threshold", opt.flat_t);
    cJSON_AddNumberToObject(j, "seconds", nn_now() - t0);
    if ((rc = probe_json_write(json, j))) goto fail;
    char png[PROBE_PATH_MAX];
    probe_out_path(&pout, png, picture_ext(&a.pic));
    if ((rc = render_kind_draw(j, pout.dir, &a, png))) goto fail;
    printf("%s, %s (%.0f s)\n", png, json, nn_now() - t0);
fail:
    probe_traj_free(names, nsnap);
    free(theta), free(points), free(tf), free(res), free(srcs), free(labels), free(cfg_text), free(bsteps), free(w.steps);
    nnobj_free(&ctx);
    probe_model_close(&pm);
    probe_data_close(&pd);
    cJSON_Delete(j);
    probe_out_close(&pout);
    return rc ? cli_fail("critical", rc) : EXIT_OK;
}
