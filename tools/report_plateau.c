/* The study report's plateau section: for every run and seed, the plateaus
 * of its log.csv's training loss (probes/plateau.h, with the study's
 * options), when training left them, when the loss first halved, where it
 * converged, and the training-loss curves of all runs overlaid. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../probes/plateau.h"
#include "../probes/render.h"
#include "report_priv.h"
#include "runlog.h"

typedef struct seed_pl {
    int n;                 /* rows of log.csv; 0 when it could not be read */
    double *step, *loss;   /* [n] */
    plateau *pl;           /* [npl] */
    int npl;
    plateau_tail tail;     /* the converged tail, apart from the plateaus */
    double halved;         /* first step with loss <= half the first row's, NaN if none */
} seed_pl;

static void seed_free(seed_pl *p)
{
    free(p->step);
    free(p->loss);
    free(p->pl);
    memset(p, 0, sizeof *p);
}

/* The run's log and its plateaus; a missing or unreadable log leaves n = 0
 * (the table says so) rather than failing the whole report. */
static int seed_load(const char *dir, const plateau_opts *po, seed_pl *p)
{
    char path[4400];
    run_log L;
    memset(p, 0, sizeof *p);
    p->halved = NAN;
    snprintf(path, sizeof path, "%s/log.csv", dir);
    if (run_log_read(path, &L)) return NN_OK;
    int cs = run_log_col(&L, "step"), cl = run_log_col(&L, "train_loss");
    int cg = run_log_col(&L, "grad_norm");
    double *g = NULL;
    int rc = NN_OK;
    if (cs < 0 || cl < 0 || L.nrows == 0) goto done;
    p->step = run_log_column(&L, cs);
    p->loss = run_log_column(&L, cl);
    if (cg >= 0) g = run_log_column(&L, cg);
    if (!p->step || !p->loss || (cg >= 0 && !g)) {
        rc = nn_err(NN_ENOMEM, "report: out of memory");
        goto done;
    }
    if ((rc = plateau_analyze(p->step, p->loss, g, L.nrows, po, &p->pl, &p->npl, &p->tail))) {
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", nn_errmsg());
        rc = nn_err(rc, "%s: %s", path, msg);
        goto done;
    }
    p->n = L.nrows;
    for (int r = 1; r < p->n; r++)
        if (p->loss[r] <= 0.5 * p->loss[0]) {
            p->halved = p->step[r];
            break;
        }
done:
    free(g);
    run_log_free(&L);
    if (rc || !p->n) {
        seed_free(p);
        p->halved = NAN;
    }
    return rc;
}

/* "0-840 (0.691) left 870; 1200-2000 (4e-05) to end", at most two, in 64 bytes. */
static void plateau_cell(const seed_pl *p, char *buf, size_t len)
{
    size_t k = 0;
    buf[0] = 0;
    if (!p->n) {
        snprintf(buf, len, "no log");
        return;
    }
    if (!p->npl) {
        snprintf(buf, len, "none");
        return;
    }
    for (int i = 0; i < p->npl && i < 2 && k < len; i++) {
        const plateau *q = &p->pl[i];
        char then[24];
        if (q->escaped) snprintf(then, sizeof then, "left %.0f", q->escape_step);
        else snprintf(then, sizeof then, q->final ? "to end" : "not halved");
        k += (size_t)snprintf(buf + k, len - k, "%s%.0f-%.0f (%.3g) %s", i ? "; " : "",
                              q->start_step, q->end_step, q->level, then);
    }
    if (p->npl > 2 && k < len) snprintf(buf + k, len - k, "; +%d", p->npl - 2);
}

static uint32_t palette_hex(int i)
{
    render_rgb c = render_palette(i);
    return RENDER_HEX(((uint32_t)c.r << 16) | ((uint32_t)c.g << 8) | c.b);
}

/* OUT/plateau_loss.png: the training loss of every run and seed. */
static int draw_curves(const study *s, seed_pl (*sp)[STUDY_MAX_SEEDS], report_out *o)
{
    render_series rs[STUDY_MAX_RUNS * STUDY_MAX_SEEDS];
    int ns = 0;
    for (int i = 0; i < s->nruns; i++)
        for (int k = 0; k < s->runs[i].ndirs; k++) {
            const seed_pl *p = &sp[i][k];
            if (!p->n) continue;
            rs[ns++] = (render_series){p->step, p->loss, p->n, k == 0 ? s->runs[i].label : NULL,
                                       palette_hex(i), 0, 0, 0, k == 0 ? 2.5 : 1.0};
        }
    if (!ns) return NN_OK;
    render_lineplot_opts lo;
    memset(&lo, 0, sizeof lo);
    lo.title = "training loss of every run";
    int others = 0; /* thin lines of other seeds drawn */
    for (int q = 0; q < ns; q++) others |= rs[q].width < 2;
    lo.subtitle = others ? "from log.csv; thick: seed 1, thin: other seeds" : "from log.csv";
    lo.xlabel = "step";
    lo.ylabel = "train loss (log)";
    lo.logy = 1;
    lo.width = 900;
    lo.height = 560;
    lo.series = rs;
    lo.nseries = ns;
    char p[4400];
    snprintf(p, sizeof p, "%s/plateau_loss.png", s->out);
    int rc = render_lineplot_png(p, &lo, NULL);
    if (!rc) report_figure(o, "plateau_loss.png", "training loss of every run and seed (log scale)");
    return rc;
}

int report_plateau_section(const study *s, report_out *o)
{
    static seed_pl sp[STUDY_MAX_RUNS][STUDY_MAX_SEEDS];
    const study_probes *pp = &s->probes;
    plateau_opts po;
    plateau_opts_default(&po);
    po.tol = pp->plateau_tol;
    po.window = pp->plateau_window;
    po.min_rows = pp->plateau_min;
    memset(sp, 0, sizeof sp);
    int rc = NN_OK;
    for (int i = 0; i < s->nruns && !rc; i++)
        for (int k = 0; k < s->runs[i].ndirs && !rc; k++)
            rc = seed_load(s->runs[i].dirs[k], &po, &sp[i][k]);
    if (rc) goto done;
    report_heading(o, "Plateaus in the training loss");
    report_para(o, "A plateau (probes/plateau.h; `saddle plot RUN` shades them on "
                "RUN/probes/training.png and lists them in RUN/probes/plateaus.json) is a stretch of "
                "log.csv covered by windows of %g of the run's steps (at least %d rows) in each of which "
                "ln(train_loss) falls at under %g times its average rate over the run, or not measurably "
                "faster given the window's noise, while grad_norm / train_loss stays under %g of its "
                "median where the loss falls faster than average. It is left when the loss later falls "
                "to 1/%g of its level. A flat stretch that the loss fell to (from at least %g times its "
                "level) and never left is the run's converged tail, not a plateau: 'converged from' is "
                "where it starts. 'Loss halved' is the first logged step where the training loss is "
                "at most half its value at the first row, whether or not a plateau was found.",
                po.window, po.min_rows, po.tol, po.grad_tol, po.escape, po.escape);
    static const char *cols[9] = {"seeds with a plateau", "first plateau: start", "end", "level",
                                  "left at", "loss halved at", "steps on plateaus", "converged from",
                                  "final train loss"};
    report_tab *t = report_tab_new("run", cols, 9, STUDY_MAX_RUNS);
    if (!t) {
        rc = NN_ENOMEM;
        goto done;
    }
    for (int i = 0; i < s->nruns; i++) {
        double v[8][STUDY_MAX_SEEDS];
        int with = 0, nd = s->runs[i].ndirs;
        for (int k = 0; k < nd; k++) {
            const seed_pl *p = &sp[i][k];
            for (int c = 0; c < 8; c++) v[c][k] = NAN;
            if (!p->n) continue;
            if (p->npl) {
                with++;
                v[0][k] = p->pl[0].start_step;
                v[1][k] = p->pl[0].end_step;
                v[2][k] = p->pl[0].level;
                v[3][k] = p->pl[0].escape_step;
                double tot = 0;
                for (int q = 0; q < p->npl; q++) tot += p->pl[q].end_step - p->pl[q].start_step;
                v[5][k] = tot;
            } else {
                v[5][k] = 0;
            }
            v[4][k] = p->halved;
            if (p->tail.found) v[6][k] = p->tail.start_step;
            v[7][k] = p->loss[p->n - 1];
        }
        char with_text[64];
        int r = report_tab_add(t, s->runs[i].label, nd);
        snprintf(with_text, sizeof with_text, "%d of %d", with, nd);
        report_tab_text(t, r, 0, with_text);
        for (int c = 0; c < 8; c++) report_tab_num(t, r, c + 1, v[c], nd, 0);
    }
    report_tab_write(t, o);
    report_tab_free(t);
    report_para(o, "Cells are mean ± standard deviation over the seeds that have the value ('left "
                "at': seeds whose first plateau was left; 'loss halved at': seeds whose loss halved; "
                "'converged from': seeds with a converged tail). Per seed:");
    static const char *cols2[5] = {"directory", "plateaus: steps (level) then", "loss halved at",
                                   "converged from (level)", "final train loss"};
    if (!(t = report_tab_new("run", cols2, 5, STUDY_MAX_RUNS * STUDY_MAX_SEEDS))) {
        rc = NN_ENOMEM;
        goto done;
    }
    for (int i = 0; i < s->nruns; i++)
        for (int k = 0; k < s->runs[i].ndirs; k++) {
            const seed_pl *p = &sp[i][k];
            char cells[4][64];
            const char *d = strrchr(s->runs[i].dirs[k], '/');
            int r = report_tab_add(t, s->runs[i].label, -1);
            report_tab_text(t, r, 0, d && d[1] ? d + 1 : s->runs[i].dirs[k]);
            plateau_cell(p, cells[0], 64);
            if (isfinite(p->halved)) snprintf(cells[1], 64, "%.0f", p->halved);
            else snprintf(cells[1], 64, "never");
            if (p->tail.found)
                snprintf(cells[2], 64, "%.0f (%.3g)", p->tail.start_step, p->tail.level);
            else snprintf(cells[2], 64, "%s", p->n ? "no" : "–");
            for (int c = 0; c < 3; c++) report_tab_text(t, r, c + 1, cells[c]);
            double last = p->n ? p->loss[p->n - 1] : NAN;
            report_tab_num(t, r, 4, &last, 1, 0);
        }
    report_tab_write(t, o);
    report_tab_free(t);
    rc = draw_curves(s, sp, o);
done:
    for (int i = 0; i < s->nruns; i++)
        for (int k = 0; k < STUDY_MAX_SEEDS; k++) seed_free(&sp[i][k]);
    return rc;
}
