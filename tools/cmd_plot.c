/* `saddle plot RUN`: the run's log.csv as pictures in RUN/probes/: the loss
 * and gradient-norm curves with the plateaus found in them shaded (listed on
 * stdout and in plateaus.json), and λmax against the step with the update
 * rule's stability line 2/η ((2+2β)/η for heavy-ball momentum) when the
 * monitor was on. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../datasets/fileio.h"
#include "../nn/optim.h"
#include "../probes/plateau.h"
#include "../probes/render.h"
#include "cli.h"
#include "picture.h"
#include "probe.h"
#include "render_kinds.h"
#include "runlog.h"

static const char PLOT_USAGE[] =
    "usage: saddle plot RUN [--out DIR] [--plateau-tol X] [--plateau-min N]\n"
    "                       [--plateau-window F] [--format png|svg|pdf] [--size WxH]\n"
    "                       [--dpi D] [--title T]\n"
    "\n"
    "Draws RUN/log.csv into DIR (default RUN/probes):\n"
    "  training.png     train (and val/test) loss and the train gradient norm against\n"
    "                   the step on a log scale, accuracy below; plateaus shaded orange,\n"
    "                   the converged tail gray\n"
    "  plateaus.json    the plateaus and the converged tail (also printed), with the\n"
    "                   options that found them\n"
    "  lambda_max.png   the [monitor] column against the step, with the line where\n"
    "                   the update rule stops being stable on a quadratic: 2/lr for\n"
    "                   sgd, (2+2b)/lr for momentum b, (2+2b)/((1+2b) lr) for nesterov;\n"
    "                   none for rmsprop/adam/adamw (not defined for adaptive steps)\n"
    "\n"
    "A plateau is a stretch covered by windows (F of the run's steps, at least N\n"
    "rows) in each of which ln(train_loss) falls at under X times its average rate\n"
    "over the run (or not measurably faster, given the window's noise) and its\n"
    "gradient, grad_norm / train_loss, stays under a quarter of its median where\n"
    "the loss falls faster than average. It is escaped when the loss later falls\n"
    "to half its level. Such a stretch that the loss fell to (from twice its level\n"
    "or more) and never left is the run's converged tail, reported apart: it is\n"
    "convergence, not a plateau. The full rule is in probes/plateau.h.\n"
    "  --plateau-tol X      rate tolerance, > 0 (default 0.25)\n"
    "  --plateau-min N      rows per window at least, >= 2 (default 5)\n"
    "  --plateau-window F   window length, fraction of the run's steps in (0, 1]\n"
    "                       (default 0.1)\n"
    "pictures (.svg or .pdf instead of .png with --format):\n";

/* The title of both pictures, from the run's directory as given. */
static void training_title(char *buf, size_t len, const char *run, const run_log *L)
{
    snprintf(buf, len, "%.250s: training loss and accuracy", run);
}

static int plot_training(const char *png, const picture_args *pic, const run_log *L,
                         const char *title, const plateau *pl, int npl, const plateau_tail *tail)
{
    static const char *const loss_cols[] = {"train_loss", "val_loss", "test_loss"};
    static const char *const acc_cols[] = {"train_acc", "val_acc", "test_acc"};
    static const uint32_t colors[] = {RENDER_HEX(0x0072b2), RENDER_HEX(0x009e73),
                                      RENDER_HEX(0xd55e00)};
    render_series s[7];
    render_band *bands = NULL;
    double *cols[8] = {0};
    int ns = 0, rc = NN_OK;
    cols[7] = run_log_column(L, run_log_col(L, "step"));
    if (!cols[7] || !(bands = calloc((size_t)npl + 1, sizeof *bands))) {
        rc = nn_err(NN_ENOMEM, "plot: out of memory");
        goto done;
    }
    for (int i = 0; i < 7; i++) {
        int c = run_log_col(L, i < 3 ? loss_cols[i] : i < 6 ? acc_cols[i - 3] : "grad_norm");
        if (c < 0) continue;
        if (!(cols[i] = run_log_column(L, c))) {
            rc = nn_err(NN_ENOMEM, "plot: out of memory");
            goto done;
        }
        if (i == 6) {
            /* A positive quantity spanning decades like the loss: on the
             * loss's log axis, dashed so it does not read as a loss. */
            s[ns++] = (render_series){cols[7], cols[i], L->nrows, "grad_norm",
                                      RENDER_HEX(0xcc79a7), 0, 0, 1, 1.5};
            continue;
        }
        s[ns++] = (render_series){cols[7], cols[i], L->nrows,
                                  i < 3 ? loss_cols[i] : acc_cols[i - 3], colors[i % 3], i >= 3,
                                  0, 0, 0};
    }
    int nb = 0;
    for (int k = 0; k < npl; k++)
        bands[nb++] = (render_band){pl[k].start_step, pl[k].end_step, "plateau", 0};
    /* Gray, not the plateaus' orange: settling after a fall is the end of
     * training, not a place it got stuck. */
    if (tail->found)
        bands[nb++] = (render_band){tail->start_step, cols[7][L->nrows - 1], "converged",
                                    RENDER_HEX(0x999999)};
    char sub[160];
    if (npl)
        snprintf(sub, sizeof sub, "from log.csv; shaded: %d plateau%s of the training loss%s", npl,
                 npl == 1 ? "" : "s", tail->found ? ", and its converged tail" : "");
    else
        snprintf(sub, sizeof sub, "from log.csv; no plateau in the training loss%s",
                 tail->found ? "; shaded: its converged tail" : "");
    render_lineplot_opts o;
    memset(&o, 0, sizeof o);
    o.title = title;
    o.subtitle = sub;
    o.xlabel = "step";
    o.ylabel = cols[6] ? "loss, grad norm (log)" : "loss (log)";
    o.ylabel2 = "accuracy";
    o.logy = 1;
    /* Larger than the default: four legend entries and a gradient curve
     * that dips to the bottom of the log axis share the top panel. */
    o.width = 900;
    o.height = 640;
    o.panel2_frac = 0.28;
    o.series = s;
    o.nseries = ns;
    o.bands = bands;
    o.nbands = nb;
    picture_lineplot(pic, &o);
    render_target t = picture_target(pic);
    rc = render_lineplot_write(png, &t, &o, NULL);
done:
    for (int i = 0; i < 8; i++) free(cols[i]);
    free(bands);
    return rc;
}

/* The plateaus of the training loss (with the gradient norm when the log
 * has it); *has_grad says which. Steps must not decrease: a log pieced
 * together by hand is named at its line. */
static int find_plateaus(const char *path, const run_log *L, const plateau_opts *po, plateau **pl,
                         int *npl, plateau_tail *tail, int *has_grad)
{
    int cg = run_log_col(L, "grad_norm"), rc = NN_OK;
    double *x = run_log_column(L, run_log_col(L, "step"));
    double *y = run_log_column(L, run_log_col(L, "train_loss"));
    double *g = cg >= 0 ? run_log_column(L, cg) : NULL;
    *has_grad = cg >= 0;
    if (!x || !y || (cg >= 0 && !g)) {
        rc = nn_err(NN_ENOMEM, "plot: out of memory");
        goto done;
    }
    for (int r = 1; r < L->nrows; r++)
        if (x[r] < x[r - 1]) {
            /* Line r + 2: the header is line 1, row 0 line 2. */
            rc = nn_err(NN_EFORMAT, "%s:%d: step %.17g comes after step %.17g", path, r + 2, x[r],
                        x[r - 1]);
            goto done;
        }
    rc = plateau_analyze(x, y, g, L->nrows, po, pl, npl, tail);
done:
    free(x);
    free(y);
    free(g);
    return rc;
}

static cJSON *num_or_null(double v) { return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull(); }

/* DIR/plateaus.json: the options, then one object per plateau. */
static int plateaus_json(const char *path, const char *log, int rows, int has_grad,
                         const plateau_opts *po, const plateau *pl, int npl,
                         const plateau_tail *tail, double last_step)
{
    cJSON *j = cJSON_CreateObject(), *o = cJSON_CreateObject(), *arr = cJSON_CreateArray();
    if (!j || !o || !arr) {
        cJSON_Delete(j);
        cJSON_Delete(o);
        cJSON_Delete(arr);
        return nn_err(NN_ENOMEM, "%s: out of memory", path);
    }
    cJSON_AddStringToObject(j, "command", "plot");
    cJSON_AddStringToObject(j, "log", log);
    cJSON_AddNumberToObject(j, "rows", rows);
    cJSON_AddBoolToObject(j, "grad_norm_column", has_grad);
    cJSON_AddStringToObject(j, "rule", "probes/plateau.h");
    cJSON_AddNumberToObject(o, "tol", po->tol);
    cJSON_AddNumberToObject(o, "window", po->window);
    cJSON_AddNumberToObject(o, "min_rows", po->min_rows);
    cJSON_AddNumberToObject(o, "grad_tol", po->grad_tol);
    cJSON_AddNumberToObject(o, "escape", po->escape);
    cJSON_AddNumberToObject(o, "min_range", po->min_range);
    cJSON_AddItemToObject(j, "options", o);
    for (int k = 0; k < npl; k++) {
        cJSON *p = cJSON_CreateObject();
        if (!p) break;
        cJSON_AddNumberToObject(p, "start_step", pl[k].start_step);
        cJSON_AddNumberToObject(p, "end_step", pl[k].end_step);
        cJSON_AddNumberToObject(p, "steps", pl[k].end_step - pl[k].start_step);
        cJSON_AddNumberToObject(p, "rows", pl[k].end_row - pl[k].start_row + 1);
        cJSON_AddNumberToObject(p, "level", pl[k].level);
        cJSON_AddItemToObject(p, "grad_norm_mean", num_or_null(pl[k].grad_norm_mean));
        cJSON_AddBoolToObject(p, "escaped", pl[k].escaped);
        cJSON_AddItemToObject(p, "escape_step", num_or_null(pl[k].escape_step));
        cJSON_AddBoolToObject(p, "final", pl[k].final);
        cJSON_AddItemToArray(arr, p);
    }
    cJSON_AddItemToObject(j, "plateaus", arr);
    if (tail->found) {
        cJSON *t = cJSON_AddObjectToObject(j, "converged");
        cJSON_AddNumberToObject(t, "start_step", tail->start_step);
        cJSON_AddNumberToObject(t, "end_step", last_step);
        cJSON_AddNumberToObject(t, "steps", last_step - tail->start_step);
        cJSON_AddNumberToObject(t, "level", tail->level);
        cJSON_AddItemToObject(t, "grad_norm_mean", num_or_null(tail->grad_norm_mean));
    } else {
        cJSON_AddNullToObject(j, "converged");
    }
    int rc = probe_json_write(path, j);
    cJSON_Delete(j);
    return rc;
}

static void plateaus_print(const plateau_opts *po, int has_grad, double steps, const plateau *pl,
                           int npl, const plateau_tail *tail, double last_step)
{
    printf("plateaus of train_loss (tol %g, window %g of %g steps, at least %d rows%s):\n", po->tol,
           po->window, steps, po->min_rows, has_grad ? "" : "; no grad_norm column, loss alone");
    if (tail->found)
        printf("  converged from step %.0f to the end (%.0f steps, %.0f%% of the run) at loss %.4g,"
               " grad_norm %.4g: not a plateau\n", tail->start_step, last_step - tail->start_step,
               steps > 0 ? 100 * (last_step - tail->start_step) / steps : 0, tail->level,
               tail->grad_norm_mean);
    if (!npl) {
        printf("  no plateau\n");
        return;
    }
    printf("  %10s %10s %10s %11s %11s  %s\n", "start", "end", "steps", "level", "grad_norm", "then");
    for (int k = 0; k < npl; k++) {
        const plateau *p = &pl[k];
        char then[96];
        if (p->escaped)
            snprintf(then, sizeof then, "escaped: loss <= level/%g at step %.0f", po->escape,
                     p->escape_step);
        else if (p->final)
            snprintf(then, sizeof then, "lasts to the end of the run");
        else
            snprintf(then, sizeof then, "left, but the loss never fell to level/%g", po->escape);
        printf("  %10.0f %10.0f %10.0f %11.4g %11.4g  %s\n", p->start_step, p->end_step,
               p->end_step - p->start_step, p->level, p->grad_norm_mean, then);
    }
}

static int plot_lambda(const char *png, const picture_args *pic, const run_log *L, const config *c,
                       const char *title, char *note, size_t note_len)
{
    int cs = run_log_col(L, "step"), cl = run_log_col(L, "lambda_max"), clr = run_log_col(L, "lr");
    double *x = run_log_column(L, cs), *y = run_log_column(L, cl), *lim = NULL;
    int rc = NN_OK, n = 0;
    if (!x || !y) {
        rc = nn_err(NN_ENOMEM, "plot: out of memory");
        goto done;
    }
    /* Only the monitor's rows: the others leave the column empty. */
    for (int r = 0; r < L->nrows; r++)
        if (isfinite(y[r])) {
            x[n] = x[r];
            y[n++] = y[r];
        }
    render_series s[2] = {{x, y, n, "λ_{max}", RENDER_HEX(0x0072b2), 0, RENDER_MARK_DOT, 0, 0}};
    int ns = 1;
    render_refline ref;
    int nref = 0;
    char label[64];
    double base = optim_stability_limit(&c->optim, c->optim.lr);
    int lr_varies = 0;
    if (clr >= 0)
        for (int r = 1; r < L->nrows; r++)
            lr_varies |= L->v[(size_t)r * (size_t)L->ncols + (size_t)clr] !=
                         L->v[(size_t)clr];
    if (!isfinite(base)) {
        snprintf(note, note_len, "no stability line: not defined for %s (adaptive steps)",
                 c->optim.type);
    } else if (!lr_varies) {
        /* The terminal gets ASCII, the picture the symbols. */
        int k = !strcmp(c->optim.type, "sgd") ? 0 : !strcmp(c->optim.type, "momentum") ? 1 : 2;
        static const char *const ascii[3] = {"2/lr", "(2+2b)/lr", "(2+2b)/((1+2b)lr)"};
        static const char *const greek[3] = {"2/η", "(2+2β)/η", "(2+2β)/((1+2β)η)"};
        snprintf(label, sizeof label, "%s = %.4g", greek[k], base);
        ref = (render_refline){0, base, label, 0, RENDER_HEX(0xd55e00)};
        nref = 1;
        snprintf(note, note_len, "stability line %s = %.4g", ascii[k], base);
    } else {
        /* A schedule moves the line: draw it from the logged lr, per row. */
        if (!(lim = malloc(((size_t)L->nrows + 1) * sizeof *lim)) ||
            !(s[1].x = run_log_column(L, cs))) {
            rc = nn_err(NN_ENOMEM, "plot: out of memory");
            goto done;
        }
        for (int r = 0; r < L->nrows; r++)
            lim[r] = optim_stability_limit(&c->optim, L->v[(size_t)r * (size_t)L->ncols + (size_t)clr]);
        s[1].y = lim;
        s[1].n = L->nrows;
        s[1].label = "stability limit at the logged lr";
        s[1].color = RENDER_HEX(0xd55e00);
        s[1].dashed = 1;
        ns = 2;
        snprintf(note, note_len, "stability line follows the scheduled lr");
    }
    render_lineplot_opts o;
    memset(&o, 0, sizeof o);
    char sub[400];
    snprintf(sub, sizeof sub, "%s, η = %g; λ_{max} on %zu training examples; %s", c->optim.type,
             c->optim.lr, c->monitor.limit, note);
    o.title = title;
    o.subtitle = sub;
    o.xlabel = "step";
    o.ylabel = "λ_{max}";
    o.series = s;
    o.nseries = ns;
    o.refs = nref ? &ref : NULL;
    o.nrefs = nref;
    if (n == 0) rc = nn_err(NN_EFORMAT, "log.csv: the lambda_max column is empty");
    else {
        picture_lineplot(pic, &o);
        render_target t = picture_target(pic);
        rc = render_lineplot_write(png, &t, &o, NULL);
    }
done:
    free(x);
    free(y);
    free(lim);
    free((double *)s[1].x);
    return rc;
}

/* training.png again from plateaus.json: the plateaus and the converged
 * tail it lists, over the curves of the log.csv it names (or, moved, the
 * one of the run it sits in, DIR/../log.csv), which must still have the
 * rows they were found in. */
int plot_draw(const cJSON *j, const char *dir, const probe_args *a, const char *png)
{
    const char *log = sidecar_str(j, "log");
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(j, "plateaus");
    const cJSON *conv = cJSON_GetObjectItemCaseSensitive(j, "converged");
    char path[4200], run[4200], title[300];
    double rows;
    int rc, npl = cJSON_GetArraySize(arr);
    if (!log || !cJSON_IsArray(arr)) return nn_err(NN_EFORMAT, "sidecar: no 'log' or 'plateaus'");
    if ((rc = sidecar_num(j, "rows", NULL, &rows))) return rc;
    snprintf(path, sizeof path, "%s", log);
    if (access(path, F_OK) != 0) snprintf(path, sizeof path, "%s/../log.csv", dir);
    if (access(path, F_OK) != 0)
        return nn_err(NN_EIO, "%s: no such file (nor %s/../log.csv): the log the plateaus were found "
                      "in", log, dir);
    /* The title names the run as the command did: the log's path less /log.csv. */
    size_t n = strlen(path);
    snprintf(run, sizeof run, "%.*s", n > 8 && !strcmp(path + n - 8, "/log.csv") ? (int)n - 8 : (int)n, path);
    run_log L;
    if ((rc = run_log_read(path, &L))) return rc;
    plateau *pl = calloc((size_t)npl + 1, sizeof *pl);
    plateau_tail tail = {0};
    if (!pl) rc = nn_err(NN_ENOMEM, "plot: out of memory");
    else if (L.nrows != rows)
        rc = nn_err(NN_EINVAL, "%s: %d rows, the plateaus were found in %.0f (`saddle plot` finds them "
                    "again)", path, L.nrows, rows);
    else if (run_log_col(&L, "step") < 0 || run_log_col(&L, "train_loss") < 0)
        rc = nn_err(NN_EFORMAT, "%s: no step or train_loss column", path);
    int k = 0;
    for (const cJSON *e = arr->child; !rc && e; e = e->next, k++)
        if (!(rc = sidecar_num(e, "start_step", "of a plateau", &pl[k].start_step)))
            rc = sidecar_num(e, "end_step", "of a plateau", &pl[k].end_step);
    if (!rc && cJSON_IsObject(conv)) {
        tail.found = 1;
        rc = sidecar_num(conv, "start_step", "of the converged tail", &tail.start_step);
    }
    training_title(title, sizeof title, run, &L);
    if (!rc) rc = plot_training(png, &a->pic, &L, title, pl, npl, &tail);
    free(pl);
    run_log_free(&L);
    return rc;
}

/* A number from argv[i + 1] in [lo, hi] for option a. */
static int opt_num(int argc, char **argv, int *i, double lo, double hi, int lo_open, double *out)
{
    const char *a = argv[*i];
    if (*i + 1 >= argc) return cli_usage_error("plot", "%s needs a value", a);
    char *end;
    double v = strtod(argv[++*i], &end);
    if (end == argv[*i] || *end || !(lo_open ? v > lo : v >= lo) || !(v <= hi))
        return cli_usage_error("plot", "%s %s: expected a number in %s%g, %g]", a, argv[*i],
                               lo_open ? "(" : "[", lo, hi);
    *out = v;
    return EXIT_OK;
}

int cmd_plot(int argc, char **argv)
{
    const char *run = NULL, *out = NULL;
    plateau_opts po;
    plateau_opts_default(&po);
    picture_args pic = {0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        double v;
        int rc;
        if (cli_is_help(a)) {
            fputs(PLOT_USAGE, stdout);
            picture_args_help();
            return EXIT_OK;
        } else if ((rc = picture_args_parse("plot", argc, argv, &i, &pic))) {
            if (rc < 0) return EXIT_USAGE;
        } else if (!strcmp(a, "--out")) {
            if (i + 1 >= argc) return cli_usage_error("plot", "--out needs a value");
            out = argv[++i];
        } else if (!strcmp(a, "--plateau-tol")) {
            if ((rc = opt_num(argc, argv, &i, 0, 1e6, 1, &po.tol))) return rc;
        } else if (!strcmp(a, "--plateau-window")) {
            if ((rc = opt_num(argc, argv, &i, 0, 1, 1, &po.window))) return rc;
        } else if (!strcmp(a, "--plateau-min")) {
            if ((rc = opt_num(argc, argv, &i, 2, 1e6, 0, &v))) return rc;
            if (v != floor(v))
                return cli_usage_error("plot", "--plateau-min %s: expected a whole number", argv[i]);
            po.min_rows = (int)v;
        } else if (cli_positional("plot", a, &run)) {
            return EXIT_USAGE;
        }
    }
    if (!run) return cli_usage_error("plot", "a run directory is required");
    char path[4200], dir[4200], png[4300], title[300];
    config c;
    run_log L;
    plateau *pl = NULL;
    plateau_tail tail;
    int npl = 0, has_grad = 0;
    config_defaults(&c);
    snprintf(path, sizeof path, "%s/config.ini", run);
    int rc = config_load(&c, path);
    if (rc) return cli_fail("plot", rc);
    snprintf(path, sizeof path, "%s/log.csv", run);
    if ((rc = run_log_read(path, &L))) return cli_fail("plot", rc);
    if (run_log_col(&L, "step") < 0 || run_log_col(&L, "train_loss") < 0) {
        run_log_free(&L);
        rc = nn_err(NN_EFORMAT, "%s: no step or train_loss column", path);
        return cli_fail("plot", rc);
    }
    snprintf(dir, sizeof dir, "%s", out ? out : run);
    if (!out) strncat(dir, "/probes", sizeof dir - strlen(dir) - 1);
    if ((rc = file_mkdirs(dir))) goto fail;
    if ((rc = find_plateaus(path, &L, &po, &pl, &npl, &tail, &has_grad))) goto fail;
    training_title(title, sizeof title, run, &L);
    snprintf(png, sizeof png, "%s/training%s", dir, picture_ext(&pic));
    if ((rc = plot_training(png, &pic, &L, title, pl, npl, &tail))) goto fail;
    printf("%s\n", png);
    size_t cs = (size_t)run_log_col(&L, "step"), last = (size_t)(L.nrows ? L.nrows - 1 : 0);
    double last_step = L.nrows ? L.v[last * (size_t)L.ncols + cs] : 0;
    double steps = L.nrows ? last_step - L.v[cs] : 0;
    plateaus_print(&po, has_grad, steps, pl, npl, &tail, last_step);
    snprintf(png, sizeof png, "%s/plateaus.json", dir);
    if ((rc = plateaus_json(png, path, L.nrows, has_grad, &po, pl, npl, &tail, last_step)))
        goto fail;
    printf("%s\n", png);
    if (run_log_col(&L, "lambda_max") >= 0) {
        char note[160];
        snprintf(png, sizeof png, "%s/lambda_max%s", dir, picture_ext(&pic));
        snprintf(title, sizeof title, "%s: sharpness λ_{max} during training", run);
        if ((rc = plot_lambda(png, &pic, &L, &c, pic.title ? pic.title : title, note, sizeof note)))
            goto fail;
        printf("%s (%s)\n", png, note);
    } else {
        printf("no lambda_max column (the run had [monitor] every = 0)\n");
    }
fail:
    free(pl);
    run_log_free(&L);
    return rc ? cli_fail("plot", rc) : EXIT_OK;
}
