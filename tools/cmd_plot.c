/* `saddle plot RUN`: the run's log.csv as pictures in RUN/probes/: the loss
 * curves, and λmax against the step with the update rule's stability line
 * 2/η ((2+2β)/η for heavy-ball momentum) when the monitor was on. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../datasets/fileio.h"
#include "../nn/optim.h"
#include "../probes/render.h"
#include "cli.h"
#include "runlog.h"

static const char PLOT_USAGE[] =
    "usage: saddle plot RUN [--out DIR]\n"
    "\n"
    "Draws RUN/log.csv into DIR (default RUN/probes):\n"
    "  training.png     train (and val/test) loss against the step, accuracy below\n"
    "  lambda_max.png   the [monitor] column against the step, with the line where\n"
    "                   the update rule stops being stable on a quadratic: 2/lr for\n"
    "                   sgd, (2+2b)/lr for momentum b, (2+2b)/((1+2b) lr) for nesterov;\n"
    "                   none for rmsprop/adam/adamw (not defined for adaptive steps)\n";

static int plot_training(const char *png, const run_log *L, const char *title)
{
    static const char *const loss_cols[] = {"train_loss", "val_loss", "test_loss"};
    static const char *const acc_cols[] = {"train_acc", "val_acc", "test_acc"};
    static const uint32_t colors[] = {RENDER_HEX(0x0072b2), RENDER_HEX(0x009e73),
                                      RENDER_HEX(0xd55e00)};
    render_series s[6];
    double *cols[7] = {0};
    int ns = 0, rc = NN_OK;
    cols[6] = run_log_column(L, run_log_col(L, "step"));
    if (!cols[6]) return nn_err(NN_ENOMEM, "plot: out of memory");
    for (int i = 0; i < 6; i++) {
        int c = run_log_col(L, i < 3 ? loss_cols[i] : acc_cols[i - 3]);
        if (c < 0) continue;
        if (!(cols[i] = run_log_column(L, c))) {
            rc = nn_err(NN_ENOMEM, "plot: out of memory");
            goto done;
        }
        s[ns++] = (render_series){cols[6], cols[i], L->nrows,
                                  i < 3 ? loss_cols[i] : acc_cols[i - 3], colors[i % 3], i >= 3,
                                  0, 0, 0};
    }
    render_lineplot_opts o;
    memset(&o, 0, sizeof o);
    o.title = title;
    o.subtitle = "from log.csv";
    o.xlabel = "step";
    o.ylabel = "loss (log)";
    o.ylabel2 = "accuracy";
    o.logy = 1;
    o.series = s;
    o.nseries = ns;
    rc = render_lineplot_png(png, &o, NULL);
done:
    for (int i = 0; i < 7; i++) free(cols[i]);
    return rc;
}

static int plot_lambda(const char *png, const run_log *L, const config *c, const char *title,
                       char *note, size_t note_len)
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
    render_series s[2] = {{x, y, n, "lambda_max", RENDER_HEX(0x0072b2), 0, RENDER_MARK_DOT, 0, 0}};
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
        snprintf(label, sizeof label, "%s = %.4g",
                 !strcmp(c->optim.type, "sgd") ? "2/lr"
                 : !strcmp(c->optim.type, "momentum") ? "(2+2b)/lr" : "(2+2b)/((1+2b)lr)",
                 base);
        ref = (render_refline){0, base, label, 0, RENDER_HEX(0xd55e00)};
        nref = 1;
        snprintf(note, note_len, "stability line %s", label);
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
    snprintf(sub, sizeof sub, "%s lr %g; lambda_max on %zu training examples; %s", c->optim.type,
             c->optim.lr, c->monitor.limit, note);
    o.title = title;
    o.subtitle = sub;
    o.xlabel = "step";
    o.ylabel = "lambda_max";
    o.series = s;
    o.nseries = ns;
    o.refs = nref ? &ref : NULL;
    o.nrefs = nref;
    if (n == 0) rc = nn_err(NN_EFORMAT, "log.csv: the lambda_max column is empty");
    else rc = render_lineplot_png(png, &o, NULL);
done:
    free(x);
    free(y);
    free(lim);
    free((double *)s[1].x);
    return rc;
}

int cmd_plot(int argc, char **argv)
{
    const char *run = NULL, *out = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            fputs(PLOT_USAGE, stdout);
            return EXIT_OK;
        } else if (!strcmp(a, "--out")) {
            if (i + 1 >= argc) return cli_usage_error("plot", "--out needs a value");
            out = argv[++i];
        } else if (a[0] == '-' && a[1]) {
            return cli_usage_error("plot", "unknown option '%s'", a);
        } else if (!run) {
            run = a;
        } else {
            return cli_usage_error("plot", "unexpected argument '%s'", a);
        }
    }
    if (!run) return cli_usage_error("plot", "a run directory is required");
    char path[4200], dir[4200], png[4300], title[300];
    config c;
    run_log L;
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
    snprintf(title, sizeof title, "%s: %d rows of log.csv", run, L.nrows);
    snprintf(png, sizeof png, "%s/training.png", dir);
    if ((rc = plot_training(png, &L, title))) goto fail;
    printf("%s\n", png);
    if (run_log_col(&L, "lambda_max") >= 0) {
        char note[160];
        snprintf(png, sizeof png, "%s/lambda_max.png", dir);
        if ((rc = plot_lambda(png, &L, &c, title, note, sizeof note))) goto fail;
        printf("%s (%s)\n", png, note);
    } else {
        printf("no lambda_max column (the run had [monitor] every = 0)\n");
    }
fail:
    run_log_free(&L);
    return rc ? cli_fail("plot", rc) : EXIT_OK;
}
