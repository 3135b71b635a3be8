/* `saddle toy`: the trainer's optimizers on an analytic 2-D surface from
 * seeded starts; paths over the heatmap with the known critical points, a
 * sidecar, and a summary naming where each path ended. */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../datasets/fileio.h"
#include "../datasets/rng.h"
#include "../nn/optim.h"
#include "../probes/render.h"
#include "../probes/toysurf.h"
#include "probe.h"
#include "progress.h"
#include "render_kinds.h"

static const char TOY_USAGE[] =
    "usage: saddle toy --surface NAME [--opt sgd,momentum,adam] [--starts 8] [--steps N]\n"
    "                  [--lr X] [--seed S] [--out DIR]\n"
    "\n"
    "Runs each optimizer from the same seeded starting points on an analytic 2-D\n"
    "surface and draws the paths over its heatmap with the known minima, saddles\n"
    "and maxima marked. Writes DIR/NAME.png (all optimizers), DIR/NAME-OPT.png\n"
    "(one per optimizer) and DIR/NAME.json, and prints where every path ended.\n"
    "\n"
    "  --surface NAME  bowl, valley, rosenbrock, six-hump-camel, himmelblau,\n"
    "                  monkey-saddle, plateau\n"
    "  --opt LIST      sgd, momentum, nesterov, rmsprop, adam, adamw; OPT:LR sets\n"
    "                  one optimizer's step size (default per surface)\n"
    "  --starts N      starting points, uniform in the plot box (default 8)\n"
    "  --steps N       steps per path (default per surface)\n"
    "  --lr X          step size of every optimizer without its own\n"
    "  --seed S        seed of the starting points (default 1)\n"
    "  --out DIR       output directory (default runs/toy)\n";

#define TOY_MAX_OPT 8
#define TOY_MAX_STARTS 64
#define TOY_GRID 241

typedef struct {
    optim_opts opts;
    double lr;
} toy_opt;

typedef struct {
    double *xy;      /* [len][2] */
    int len;
    double f, gnorm;
    int crit;        /* nearest listed critical point, -1 none */
    double dist;
    const char *status;
} toy_path;

static int is_adaptive(const char *t)
{
    return !strcmp(t, "adam") || !strcmp(t, "adamw") || !strcmp(t, "rmsprop");
}

static int parse_num(const char *opt, const char *v, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (end == v || *end || errno || !(x >= lo && x <= hi))
        return cli_usage_error("toy", "%s wants a number in %g..%g, not '%s'", opt, lo, hi, v);
    *out = x;
    return 0;
}

/* "sgd,momentum:0.01,adam" -> opts with the usual hyperparameters; lr 0
 * means "the surface's default", filled in later. */
static int parse_opts(const char *list, toy_opt *o, int *n)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", list);
    *n = 0;
    for (char *save, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (*n == TOY_MAX_OPT) return cli_usage_error("toy", "at most %d optimizers", TOY_MAX_OPT);
        toy_opt *t = &o[(*n)++];
        memset(t, 0, sizeof *t);
        char *colon = strchr(tok, ':');
        if (colon) {
            *colon = 0;
            if (parse_num("--opt", colon + 1, 1e-12, 100, &t->lr)) return EXIT_USAGE;
        }
        if (!optim_find(tok)) {
            char names[256] = "";
            for (int i = 0; optim_types[i]; i++) {
                size_t len = strlen(names);
                snprintf(names + len, sizeof names - len, "%s%s", i ? ", " : "",
                         optim_types[i]->name);
            }
            return cli_usage_error("toy", "unknown optimizer '%s' (one of: %s)", tok, names);
        }
        snprintf(t->opts.type, sizeof t->opts.type, "%s", tok);
        t->opts.momentum = 0.9;
        t->opts.beta1 = 0.9;
        t->opts.beta2 = 0.999;
        t->opts.alpha = 0.99;
        t->opts.eps = 1e-8;
    }
    if (!*n) return cli_usage_error("toy", "--opt names no optimizer");
    return 0;
}

/* One path from (x, y): steps updates or until it leaves a box three times
 * the plot box (monkey saddle, divergent step sizes), which ends it. */
static int run_path(const toy_surface *s, objective *obj, const toy_opt *t, int steps, double x,
                    double y, toy_path *p)
{
    optim o;
    int rc = optim_new(&o, &t->opts, 2);
    if (rc) return rc;
    p->xy = malloc((size_t)(steps + 1) * 2 * sizeof *p->xy);
    if (!p->xy) {
        optim_free(&o);
        return nn_err(NN_ENOMEM, "toy: cannot allocate a path of %d points", steps + 1);
    }
    float th[2] = {(float)x, (float)y}, g[2];
    double wx = s->x1 - s->x0, wy = s->y1 - s->y0;
    p->xy[0] = th[0];
    p->xy[1] = th[1];
    p->len = 1;
    p->status = NULL;
    for (int k = 0; k < steps; k++) {
        obj->grad(obj->ctx, th, g);
        optim_step(&o, th, g, t->lr);
        if (!isfinite(th[0]) || !isfinite(th[1])) {
            p->status = "diverged";
            break;
        }
        p->xy[2 * p->len] = th[0];
        p->xy[2 * p->len + 1] = th[1];
        p->len++;
        if (th[0] < s->x0 - wx || th[0] > s->x1 + wx || th[1] < s->y0 - wy || th[1] > s->y1 + wy) {
            p->status = "left the box";
            break;
        }
    }
    optim_free(&o);
    double ex = p->xy[2 * p->len - 2], ey = p->xy[2 * p->len - 1], gd[2];
    p->f = s->f(ex, ey, gd, NULL);
    p->gnorm = hypot(gd[0], gd[1]);
    p->crit = toy_nearest(s, ex, ey, &p->dist);
    if (!p->status) {
        /* "At" a point means within 1% of the box diagonal; gradient-flat
         * elsewhere is a stall, not an arrival. */
        double diag = hypot(wx, wy);
        if (p->crit >= 0 && p->dist < 0.01 * diag) p->status = "at";
        else if (p->crit >= 0 && p->dist < 0.05 * diag) p->status = "near";
        else if (p->gnorm < 1e-4) p->status = "stalled (gradient-flat)";
        else p->status = "still moving";
    }
    return NN_OK;
}

static void point_label(const toy_surface *s, int i, char *buf, size_t cap)
{
    const toy_crit *c = &s->crit[i];
    const char *k = c->kind == TOY_MIN ? "min" : c->kind == TOY_MAX ? "max" : "saddle";
    snprintf(buf, cap, "%s %.3g", k, c->f);
}

/* Heatmap of f with paths, starts (white circles), ends (squares in the
 * optimizer's color) and labelled critical points. */
static int draw(const char *png, const picture_args *pic, const toy_surface *s, const double *z,
                int log_scale,
                const char *zlabel, const toy_opt *opts, int o0, int o1, toy_path *paths,
                int nstarts, const double *starts)
{
    int np = (o1 - o0) * nstarts, nm = s->ncrit + nstarts + np;
    render_path *rp = calloc((size_t)np, sizeof *rp);
    render_mark *rm = calloc((size_t)nm, sizeof *rm);
    char (*lab)[32] = calloc((size_t)s->ncrit + 1, sizeof *lab);
    char title[160], sub[200];
    int rc = NN_OK;
    if (!rp || !rm || !lab) {
        rc = nn_err(NN_ENOMEM, "toy: cannot allocate the figure");
        goto fail;
    }
    int k = 0, m = 0;
    for (int oi = o0; oi < o1; oi++) {
        uint32_t col = RENDER_HEX(0);
        render_rgb c = render_palette(oi == 0 ? 1 : oi == 1 ? 3 : oi == 2 ? 6 : oi + 2); /* vermillion, pink, black: all readable on viridis */
        col = RENDER_HEX(((uint32_t)c.r << 16) | ((uint32_t)c.g << 8) | c.b);
        for (int j = 0; j < nstarts; j++, k++) {
            toy_path *p = &paths[oi * nstarts + j];
            rp[k].xy = p->xy;
            rp[k].n = p->len;
            rp[k].color = col;
            rp[k].label = j == 0 ? opts[oi].opts.type : NULL;
            rm[m].x = p->xy[2 * p->len - 2];
            rm[m].y = p->xy[2 * p->len - 1];
            rm[m].kind = RENDER_MARK_SQUARE;
            rm[m++].color = col;
        }
    }
    for (int j = 0; j < nstarts; j++) {
        rm[m].x = starts[2 * j];
        rm[m].y = starts[2 * j + 1];
        rm[m].kind = RENDER_MARK_CIRCLE;
        rm[m++].color = RENDER_HEX(0xffffff);
    }
    for (int i = 0; i < s->ncrit; i++) {
        const toy_crit *c = &s->crit[i];
        point_label(s, i, lab[i], sizeof lab[i]);
        rm[m].x = c->x;
        rm[m].y = c->y;
        rm[m].kind = c->kind == TOY_MIN ? RENDER_MARK_STAR
                     : c->kind == TOY_MAX ? RENDER_MARK_TRIANGLE : RENDER_MARK_CROSS;
        rm[m].color = c->kind == TOY_MIN ? RENDER_HEX(0xffffff) : RENDER_HEX(0xff4040);
        rm[m++].label = lab[i];
    }
    if (o1 - o0 == 1)
        snprintf(title, sizeof title, "%s on %s (η = %g)", opts[o0].opts.type, s->name,
                 opts[o0].lr);
    else snprintf(title, sizeof title, "optimizers on %s", s->name);
    snprintf(sub, sizeof sub, "f = %s; ○ start, ■ end, ★ minimum, ✕ saddle, ▲ maximum", s->formula);
    render_heatmap_opts ho = {0};
    ho.width = 900;
    /* The heatmap keeps the data aspect: size the canvas to it, not to a
     * fixed frame that would leave bands of white. */
    double aspect = (s->y1 - s->y0) / (s->x1 - s->x0);
    ho.height = (int)fmin(1000, fmax(520, 200 + 700 * aspect));
    ho.title = title;
    ho.subtitle = sub;
    ho.xlabel = "x";
    ho.ylabel = "y";
    ho.zlabel = zlabel;
    ho.log_scale = log_scale;
    ho.ncontours = 12;
    ho.no_min_marker = 1;
    ho.paths = rp;
    ho.npaths = np;
    ho.marks = rm;
    ho.nmarks = m;
    picture_heatmap(pic, &ho);
    render_target tg = picture_target(pic);
    rc = render_heatmap_write(png, &tg, z, TOY_GRID, TOY_GRID, s->x0, s->x1, s->y0, s->y1, &ho, NULL);
fail:
    free(rp);
    free(rm);
    free(lab);
    return rc;
}

/* The seeded starting points, inside the box with a 10% margin so paths
 * start on the drawn surface and away from its edge, and every optimizer's
 * path from each: startxy [starts][2], paths [nopt][starts]. */
static int run_paths(const toy_surface *s, const toy_opt *opts, int nopt, int starts, int steps,
                     unsigned long long seed, double *startxy, toy_path *paths)
{
    objective obj;
    toy_objective(s, &obj);
    for (int j = 0; j < starts; j++) {
        double u = rng_uniform(seed, 0x7079, 2 * (uint64_t)j);
        double w = rng_uniform(seed, 0x7079, 2 * (uint64_t)j + 1);
        startxy[2 * j] = s->x0 + (0.1 + 0.8 * u) * (s->x1 - s->x0);
        startxy[2 * j + 1] = s->y0 + (0.1 + 0.8 * w) * (s->y1 - s->y0);
    }
    int rc = NN_OK;
    progress pg;
    progress_begin(&pg, (size_t)nopt * starts, "toy: %d paths of %d steps", nopt * starts, steps);
    for (int oi = 0; oi < nopt && !rc; oi++)
        for (int k = 0; k < starts && !rc; k++)
            if (!(rc = run_path(s, &obj, &opts[oi], steps, startxy[2 * k], startxy[2 * k + 1],
                                &paths[oi * starts + k])))
                progress_update(&pg, (size_t)oi * starts + k + 1);
    progress_end(&pg);
    return rc;
}

/* f on the TOY_GRID x TOY_GRID grid of the box, z [TOY_GRID][TOY_GRID].
 * Surfaces with a floor are drawn as log10(f - fmin + c): the basins'
 * detail lives decades below the walls. */
static void field(const toy_surface *s, double *z, char *zlabel, size_t len)
{
    double fmin = toy_fmin(s), off = 0;
    for (int r = 0; r < TOY_GRID; r++)
        for (int c = 0; c < TOY_GRID; c++)
            z[(size_t)r * TOY_GRID + c] =
                s->f(s->x0 + c * (s->x1 - s->x0) / (TOY_GRID - 1),
                     s->y0 + r * (s->y1 - s->y0) / (TOY_GRID - 1), NULL, NULL);
    if (s->log_scale) {
        off = fmin == 0 ? 1e-3 : 1e-2;
        for (size_t q = 0; q < (size_t)TOY_GRID * TOY_GRID; q++) z[q] += off - fmin;
        if (fmin != 0) snprintf(zlabel, len, "f - (%.4g) + %g", fmin, off);
        else snprintf(zlabel, len, "f + %g", off);
    } else snprintf(zlabel, len, "f");
}

/* x as cJSON printed it (15 digits when they read back within an epsilon)
 * against y as computed. */
static int same_printed(double x, double y)
{
    return fabs(x - y) <= 4 * DBL_EPSILON * fmax(fabs(x), fabs(y));
}

/* The picture of every optimizer, from the sidecar: the paths are not
 * stored but are a function of its options, so they are run again (in
 * milliseconds) and must end where the sidecar says they did. */
int toy_draw(const cJSON *j, const char *dir, const probe_args *a, const char *png)
{
    const toy_surface *s;
    const char *name = sidecar_str(j, "surface");
    const cJSON *jo = cJSON_GetObjectItemCaseSensitive(j, "optimizers");
    const cJSON *jp = cJSON_GetObjectItemCaseSensitive(j, "paths");
    toy_opt opts[TOY_MAX_OPT];
    double seed, starts, steps;
    int nopt = cJSON_GetArraySize(jo), rc;
    if (!name) return nn_err(NN_EFORMAT, "sidecar: no 'surface'");
    if ((rc = toy_find(name, &s))) return rc;
    if ((rc = sidecar_num(j, "seed", NULL, &seed)) || (rc = sidecar_num(j, "starts", NULL, &starts)) ||
        (rc = sidecar_num(j, "steps", NULL, &steps)))
        return rc;
    /* The command's own bounds. */
    if (!(starts >= 1 && starts <= TOY_MAX_STARTS && starts == floor(starts)) ||
        !(steps >= 1 && steps <= 1e6 && steps == floor(steps)) || !(seed >= 0 && seed <= 1e15) ||
        nopt < 1 || nopt > TOY_MAX_OPT || cJSON_GetArraySize(jp) != nopt * (int)starts)
        return nn_err(NN_EFORMAT, "sidecar: starts, steps, seed, optimizers or paths out of the "
                      "command's range or not matching");
    int k = 0;
    for (const cJSON *e = jo->child; e; e = e->next, k++) {
        const char *type = sidecar_str(e, "type");
        toy_opt *t = &opts[k];
        memset(t, 0, sizeof *t);
        if (!type || !optim_find(type))
            return nn_err(NN_EFORMAT, "sidecar: optimizer %d: no type saddle knows", k + 1);
        snprintf(t->opts.type, sizeof t->opts.type, "%s", type);
        if ((rc = sidecar_num(e, "lr", "of an optimizer", &t->lr)) ||
            (rc = sidecar_num(e, "momentum", "of an optimizer", &t->opts.momentum)) ||
            (rc = sidecar_num(e, "beta1", "of an optimizer", &t->opts.beta1)) ||
            (rc = sidecar_num(e, "beta2", "of an optimizer", &t->opts.beta2)) ||
            (rc = sidecar_num(e, "alpha", "of an optimizer", &t->opts.alpha)) ||
            (rc = sidecar_num(e, "eps", "of an optimizer", &t->opts.eps)))
            return rc;
        if (!(t->lr >= 1e-12 && t->lr <= 100))
            return nn_err(NN_EFORMAT, "sidecar: optimizer %d: lr %g out of range", k + 1, t->lr);
        t->opts.lr = t->lr;
    }
    int ns = (int)starts;
    double startxy[2 * TOY_MAX_STARTS];
    toy_path *paths = calloc((size_t)nopt * ns, sizeof *paths);
    double *z = malloc((size_t)TOY_GRID * TOY_GRID * sizeof *z);
    char zlabel[96];
    if (!paths || !z) rc = nn_err(NN_ENOMEM, "toy: out of memory");
    if (!rc) rc = run_paths(s, opts, nopt, ns, (int)steps, (unsigned long long)seed, startxy, paths);
    k = 0;
    for (const cJSON *e = jp->child; !rc && e; e = e->next, k++) {
        const toy_path *p = &paths[k];
        double x, y;
        const cJSON *end = cJSON_GetObjectItemCaseSensitive(e, "end");
        if (cJSON_GetArraySize(end) != 2 || sidecar_num(cJSON_GetArrayItem(end, 0), "", NULL, &x) ||
            sidecar_num(cJSON_GetArrayItem(end, 1), "", NULL, &y))
            rc = nn_err(NN_EFORMAT, "sidecar: path %d has no end [x, y]", k + 1);
        else if (!same_printed(x, p->xy[2 * p->len - 2]) || !same_printed(y, p->xy[2 * p->len - 1]))
            rc = nn_err(NN_EINVAL, "sidecar: path %d (%s from start %d) ends at (%.9g, %.9g) in it and "
                        "at (%.9g, %.9g) when run again: a result of another version of saddle "
                        "(`saddle toy` draws it anew)", k + 1, opts[k / ns].opts.type, k % ns, x, y,
                        p->xy[2 * p->len - 2], p->xy[2 * p->len - 1]);
    }
    if (!rc) {
        field(s, z, zlabel, sizeof zlabel);
        rc = draw(png, &a->pic, s, z, s->log_scale, zlabel, opts, 0, nopt, paths, ns, startxy);
    }
    for (int q = 0; paths && q < nopt * ns; q++) free(paths[q].xy);
    free(paths);
    free(z);
    return rc;
}

static cJSON *pt(double x, double y)
{
    cJSON *a = cJSON_CreateArray();
    cJSON_AddItemToArray(a, cJSON_CreateNumber(x));
    cJSON_AddItemToArray(a, cJSON_CreateNumber(y));
    return a;
}

int cmd_toy(int argc, char **argv)
{
    const char *surf = NULL, *optlist = "sgd,momentum,adam", *out = "runs/toy";
    double lr = 0, v = 0;
    long starts = 8, steps = 0;
    unsigned long long seed = 1;
    picture_args pic = {0};
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (cli_is_help(o)) {
            fputs(TOY_USAGE, stdout);
            picture_args_help();
            return EXIT_OK;
        }
        int pr = picture_args_parse("toy", argc, argv, &i, &pic);
        if (pr < 0) return EXIT_USAGE;
        if (pr) continue;
        if (!strcmp(o, "--surface") && val) surf = argv[++i];
        else if (!strcmp(o, "--opt") && val) optlist = argv[++i];
        else if (!strcmp(o, "--out") && val) out = argv[++i];
        else if (!strcmp(o, "--lr") && val) {
            if (parse_num(o, argv[++i], 1e-12, 100, &lr)) return EXIT_USAGE;
        } else if (!strcmp(o, "--starts") && val) {
            if (parse_num(o, argv[++i], 1, TOY_MAX_STARTS, &v)) return EXIT_USAGE;
            if (v != floor(v))
                return cli_usage_error("toy", "--starts wants an integer in 1..%d", TOY_MAX_STARTS);
            starts = (long)v;
        } else if (!strcmp(o, "--steps") && val) {
            if (parse_num(o, argv[++i], 1, 1e6, &v)) return EXIT_USAGE;
            if (v != floor(v))
                return cli_usage_error("toy", "--steps wants an integer in 1..1000000");
            steps = (long)v;
        } else if (!strcmp(o, "--seed") && val) {
            if (parse_num(o, argv[++i], 0, 1e15, &v)) return EXIT_USAGE;
            if (v != floor(v))
                return cli_usage_error("toy", "--seed wants a non-negative integer");
            seed = (unsigned long long)v;
        } else return cli_usage_error("toy", "unknown option or missing value '%s'", o);
    }
    if (!surf) return cli_usage_error("toy", "--surface NAME is required");
    const toy_surface *s;
    int rc = toy_find(surf, &s);
    if (rc) return cli_fail("toy", rc);
    toy_opt opts[TOY_MAX_OPT];
    int nopt;
    if (parse_opts(optlist, opts, &nopt)) return EXIT_USAGE;
    for (int i = 0; i < nopt; i++) {
        if (opts[i].lr == 0) opts[i].lr = lr > 0 ? lr : is_adaptive(opts[i].opts.type) ? s->lr_adaptive : s->lr;
        opts[i].opts.lr = opts[i].lr;
    }
    if (!steps) steps = s->steps;

    double startxy[2 * TOY_MAX_STARTS];
    toy_path *paths = calloc((size_t)nopt * starts, sizeof *paths);
    double *z = malloc((size_t)TOY_GRID * TOY_GRID * sizeof *z);
    cJSON *j = cJSON_CreateObject();
    char dir[4096], png[4400], zlabel[96];
    if (!paths || !z || !j) {
        rc = nn_err(NN_ENOMEM, "toy: out of memory");
        goto fail;
    }
    /* The output directory exists before the paths are run, so a bad --out
     * fails at once. */
    if ((rc = file_mkdirs(out))) goto fail;
    if ((rc = run_paths(s, opts, nopt, (int)starts, (int)steps, seed, startxy, paths))) goto fail;
    field(s, z, zlabel, sizeof zlabel);

    snprintf(dir, sizeof dir, "%s", out);
    snprintf(png, sizeof png, "%s/%s%s", dir, s->name, picture_ext(&pic));
    if ((rc = draw(png, &pic, s, z, s->log_scale, zlabel, opts, 0, nopt, paths, (int)starts, startxy)))
        goto fail;
    for (int oi = 0; oi < nopt && nopt > 1; oi++) {
        snprintf(png, sizeof png, "%s/%s-%s%s", dir, s->name, opts[oi].opts.type, picture_ext(&pic));
        if ((rc = draw(png, &pic, s, z, s->log_scale, zlabel, opts, oi, oi + 1, paths, (int)starts,
                       startxy)))
            goto fail;
    }

    /* The sidecar: every option, the critical points, and each path's end. */
    cJSON_AddStringToObject(j, "command", "toy");
    cJSON_AddStringToObject(j, "surface", s->name);
    cJSON_AddStringToObject(j, "formula", s->formula);
    cJSON *box = cJSON_AddObjectToObject(j, "box");
    cJSON_AddNumberToObject(box, "x0", s->x0);
    cJSON_AddNumberToObject(box, "x1", s->x1);
    cJSON_AddNumberToObject(box, "y0", s->y0);
    cJSON_AddNumberToObject(box, "y1", s->y1);
    cJSON_AddNumberToObject(j, "seed", (double)seed);
    cJSON_AddNumberToObject(j, "starts", (double)starts);
    cJSON_AddNumberToObject(j, "steps", (double)steps);
    cJSON_AddBoolToObject(j, "log_scale", s->log_scale);
    cJSON *jo = cJSON_AddArrayToObject(j, "optimizers");
    for (int oi = 0; oi < nopt; oi++) {
        cJSON *e = cJSON_CreateObject();
        const optim_opts *p = &opts[oi].opts;
        cJSON_AddStringToObject(e, "type", p->type);
        cJSON_AddNumberToObject(e, "lr", opts[oi].lr);
        cJSON_AddNumberToObject(e, "momentum", p->momentum);
        cJSON_AddNumberToObject(e, "beta1", p->beta1);
        cJSON_AddNumberToObject(e, "beta2", p->beta2);
        cJSON_AddNumberToObject(e, "alpha", p->alpha);
        cJSON_AddNumberToObject(e, "eps", p->eps);
        cJSON_AddItemToArray(jo, e);
    }
    cJSON *jc = cJSON_AddArrayToObject(j, "critical_points");
    for (int i = 0; i < s->ncrit; i++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddItemToObject(e, "at", pt(s->crit[i].x, s->crit[i].y));
        cJSON_AddStringToObject(e, "kind", toy_kind_name(s->crit[i].kind));
        cJSON_AddNumberToObject(e, "index", s->crit[i].index);
        cJSON_AddNumberToObject(e, "value", s->crit[i].f);
        cJSON_AddItemToArray(jc, e);
    }
    cJSON *jp = cJSON_AddArrayToObject(j, "paths");
    printf("%s: f = %s, %ld starts, %ld steps, seed %llu\n", s->name, s->formula, starts, steps,
           seed);
    for (int oi = 0; oi < nopt; oi++) {
        int nat[3] = {0, 0, 0}, nother = 0;
        printf("%s (lr %g):\n", opts[oi].opts.type, opts[oi].lr);
        for (int k = 0; k < starts; k++) {
            toy_path *p = &paths[oi * starts + k];
            double ex = p->xy[2 * p->len - 2], ey = p->xy[2 * p->len - 1];
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "optimizer", opts[oi].opts.type);
            cJSON_AddNumberToObject(e, "start_index", k);
            cJSON_AddItemToObject(e, "start", pt(startxy[2 * k], startxy[2 * k + 1]));
            cJSON_AddItemToObject(e, "end", pt(ex, ey));
            cJSON_AddNumberToObject(e, "steps_taken", p->len - 1);
            cJSON_AddNumberToObject(e, "value", p->f);
            cJSON_AddNumberToObject(e, "grad_norm", p->gnorm);
            cJSON_AddStringToObject(e, "status", p->status);
            char where[160] = "";
            if (p->crit >= 0) {
                const toy_crit *c = &s->crit[p->crit];
                cJSON *n = cJSON_AddObjectToObject(e, "nearest");
                cJSON_AddItemToObject(n, "at", pt(c->x, c->y));
                cJSON_AddStringToObject(n, "kind", toy_kind_name(c->kind));
                cJSON_AddNumberToObject(n, "index", c->index);
                cJSON_AddNumberToObject(n, "value", c->f);
                cJSON_AddNumberToObject(n, "distance", p->dist);
                snprintf(where, sizeof where, "%s (%.3g, %.3g) f=%.4g, distance %.2g",
                         toy_kind_name(c->kind), c->x, c->y, c->f, p->dist);
                if (!strcmp(p->status, "at")) nat[c->kind]++;
                else nother++;
            }
            cJSON_AddItemToArray(jp, e);
            int at = !strcmp(p->status, "at") || !strcmp(p->status, "near");
            printf("  start %d (%.3g, %.3g) -> (%.4g, %.4g)  f %.5g  |g| %.2g  %s %s%s\n", k,
                   startxy[2 * k], startxy[2 * k + 1], ex, ey, p->f, p->gnorm, p->status,
                   at ? "" : "- nearest ", where);
        }
        printf("  => %d at minima, %d at saddles, %d at maxima, %d elsewhere\n", nat[TOY_MIN],
               nat[TOY_SADDLE], nat[TOY_MAX], nother);
    }
    snprintf(png, sizeof png, "%s/%s.json", dir, s->name);
    if ((rc = probe_json_write(png, j))) goto fail;
    printf("wrote %s/%s%s, %s/%s-*%s, %s\n", dir, s->name, picture_ext(&pic), dir, s->name,
           picture_ext(&pic), png);
fail:
    for (int q = 0; paths && q < nopt * starts; q++) free(paths[q].xy);
    free(paths);
    free(z);
    cJSON_Delete(j);
    return rc ? cli_fail("toy", rc) : EXIT_OK;
}
