/* The study report: per-run tables (mean ± std over seeds) at matched epochs
 * and at matched training loss, overlaid slices, surfaces on one color
 * scale, λmax curves, plateaus (report_plateau.c), spectral densities and the
 * rescaling demonstration, as OUT/report.md and a self-contained
 * OUT/report.html with PNGs beside them. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../datasets/fileio.h"
#include "../probes/npy.h"
#include "../probes/render.h"
#include "probe.h"
#include "report_priv.h"
#include "runlog.h"
#include "../nn/optim.h"
#include "study.h"

enum { M_TRL, M_TRA, M_TEL, M_TEA, M_GAP, M_LMAX, M_TRACE, M_AVGF, M_AVGR, M_EPS0, M_COUNT = M_EPS0 + STUDY_MAX_EPS };
enum { X_EPOCH, X_STEP, X_TRL, X_TEL, X_TEA, X_COUNT };

typedef struct logcsv {
    int n;
    double *col[6];     /* step, epoch, train_loss, test_loss, test_acc, lambda_max */
    int have_lmax;
} logcsv;

static double jget(const cJSON *j, const char *path)
{
    /* "a.b.c": nested objects; "a.b[0]" is not needed, arrays use jarr0. */
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    const cJSON *o = j;
    for (char *save = NULL, *t = strtok_r(buf, ".", &save); t && o; t = strtok_r(NULL, ".", &save))
        o = cJSON_GetObjectItemCaseSensitive(o, t);
    if (cJSON_IsArray(o)) o = cJSON_GetArrayItem(o, 0);
    return cJSON_IsNumber(o) ? o->valuedouble : NAN;
}

static double json_num(const char *dir, const char *file, const char *path)
{
    char p[4400];
    snprintf(p, sizeof p, "%s/%s", dir, file);
    cJSON *j;
    if (probe_json_read(p, &j)) return NAN;
    double v = jget(j, path);
    cJSON_Delete(j);
    return v;
}

static void log_free(logcsv *l)
{
    for (int c = 0; c < 6; c++) free(l->col[c]);
    memset(l, 0, sizeof *l);
}

/* log.csv by header name: columns that are missing or empty read as NaN. */
static int log_read(const char *dir, logcsv *l)
{
    memset(l, 0, sizeof *l);
    char p[4400];
    snprintf(p, sizeof p, "%s/log.csv", dir);
    run_log L;
    int rc = run_log_read(p, &L);
    if (rc) return rc;
    static const char *want[6] = {"step", "epoch", "train_loss", "test_loss", "test_acc", "lambda_max"};
    for (int c = 0; c < 6; c++) {
        int k = run_log_col(&L, want[c]);
        l->col[c] = malloc(((size_t)L.nrows + 1) * sizeof(double));
        if (!l->col[c]) {
            run_log_free(&L);
            log_free(l);
            return nn_err(NN_ENOMEM, "%s: out of memory", p);
        }
        for (int r = 0; r < L.nrows; r++) {
            double v = k >= 0 ? L.v[(size_t)r * (size_t)L.ncols + (size_t)k] : NAN;
            l->col[c][r] = v;
            if (c == 5 && isfinite(v)) l->have_lmax = 1;
        }
    }
    l->n = L.nrows;
    run_log_free(&L);
    return NN_OK;
}

/* The surfaces of seed 1 of each run, drawn on one log color scale. */
static int draw_surfaces(const study *s, report_out *o)
{
    double *z[STUDY_MAX_RUNS] = {0};
    grid_spec g[STUDY_MAX_RUNS];
    double lo = INFINITY, hi = -INFINITY;
    int rc = NN_OK, any = 0;
    for (int i = 0; i < s->nruns; i++) {
        char dir[4200], p[4400];
        snprintf(dir, sizeof dir, "%s/probes", s->runs[i].dirs[0]);
        snprintf(p, sizeof p, "%s/surface.json", dir);
        cJSON *j;
        if (probe_json_read(p, &j)) continue;
        g[i] = (grid_spec){(int)jget(j, "grid.nx"), (int)jget(j, "grid.ny"), jget(j, "grid.x0"),
                           jget(j, "grid.x1"), jget(j, "grid.y0"), jget(j, "grid.y1")};
        cJSON_Delete(j);
        snprintf(p, sizeof p, "%s/surface.npy", dir);
        int nd;
        size_t sh[NPY_MAX_DIMS];
        if (npy_read_f64(p, &z[i], &nd, sh)) continue;
        if (nd != 2 || sh[0] != (size_t)g[i].ny || sh[1] != (size_t)g[i].nx) {
            free(z[i]);
            z[i] = NULL;
            continue;
        }
        for (size_t k = 0; k < sh[0] * sh[1]; k++)
            if (isfinite(z[i][k]) && z[i][k] > 0) lo = fmin(lo, z[i][k]), hi = fmax(hi, z[i][k]);
        any = 1;
    }
    if (!any) {
        report_para(o, "No 2-D surfaces (probes.surface = no, or none were computed).");
        return NN_OK;
    }
    if (!(lo < hi)) hi = lo * 10;
    report_para(o, "Loss on the plane of two filter-normalized random directions around seed 1 of each run; "
         "one log color scale for all runs, from %.3g to %.3g.", lo, hi);
    for (int i = 0; i < s->nruns && !rc; i++) {
        if (!z[i]) continue;
        char png[256], pngpath[4400], title[256];
        snprintf(png, sizeof png, "surface-%s.png", s->runs[i].id);
        snprintf(pngpath, sizeof pngpath, "%s/%s", s->out, png);
        snprintf(title, sizeof title, "loss surface: %s", s->runs[i].label);
        render_heatmap_opts ho;
        memset(&ho, 0, sizeof ho);
        ho.title = title;
        ho.subtitle = "filter-normalized directions, shared color scale";
        ho.xlabel = "x (direction 1)";
        ho.ylabel = "y (direction 2)";
        ho.zlabel = "loss (log scale)";
        ho.log_scale = 1;
        ho.vmin = lo;
        ho.vmax = hi;
        ho.width = 520;
        ho.height = 440;
        rc = render_heatmap_png(pngpath, z[i], g[i].nx, g[i].ny, g[i].x0, g[i].x1, g[i].y0, g[i].y1,
                                &ho, NULL);
        if (!rc) report_figure(o, png, title);
    }
    for (int i = 0; i < s->nruns; i++) free(z[i]);
    return rc;
}

static int draw_lmax(const study *s, logcsv (*logs)[STUDY_MAX_SEEDS], report_out *o)
{
    render_series rs[STUDY_MAX_RUNS * STUDY_MAX_SEEDS];
    double *xs[STUDY_MAX_RUNS * STUDY_MAX_SEEDS] = {0}, *ys[STUDY_MAX_RUNS * STUDY_MAX_SEEDS] = {0};
    int ns = 0, rc = NN_OK, full = 1;
    /* Full-batch runs take one step per epoch: their axis is the step
     * (when every run's is; runs with mini-batches share the epoch). */
    for (int i = 0; i < s->nruns && s->probes.monitor; i++)
        for (int k = 0; k < s->runs[i].ndirs; k++)
            for (int r = 0; logs[i][k].have_lmax && r < logs[i][k].n; r++)
                if (isfinite(logs[i][k].col[1][r]) && fabs(logs[i][k].col[0][r] - logs[i][k].col[1][r]) > 1e-3)
                    full = 0;
    for (int i = 0; i < s->nruns && s->probes.monitor; i++)
        for (int k = 0; k < s->runs[i].ndirs; k++) {
            const logcsv *l = &logs[i][k];
            if (!l->have_lmax) continue;
            /* Only the measured rows: the line joins measurements. */
            xs[ns] = malloc((size_t)l->n * sizeof(double));
            ys[ns] = malloc((size_t)l->n * sizeof(double));
            if (!xs[ns] || !ys[ns]) {
                rc = nn_err(NN_ENOMEM, "report: out of memory");
                ns++;
                goto done;
            }
            int m = 0;
            for (int r = 0; r < l->n; r++)
                if (isfinite(l->col[5][r]) && isfinite(l->col[full ? 0 : 1][r]))
                    xs[ns][m] = l->col[full ? 0 : 1][r], ys[ns][m++] = l->col[5][r];
            render_rgb c = render_palette(i);
            rs[ns] = (render_series){xs[ns], ys[ns], m, k == 0 ? s->runs[i].label : NULL,
                                     RENDER_HEX(((uint32_t)c.r << 16) | ((uint32_t)c.g << 8) | c.b),
                                     0, 0, 0, k > 0 ? 1.0 : 2.5};
            ns++;
        }
    if (!ns) {
        report_para(o, "No lambda_max curves: no run logged lambda_max (train with [monitor] every = K to "
             "track the top Hessian eigenvalue during training).");
        goto done;
    }
    /* Where each run's update rule turns unstable on a quadratic (2/lr for
     * gradient descent, (2+2b)/lr with momentum b): Cohen et al.'s line. */
    render_refline refs[STUDY_MAX_RUNS];
    char rlabel[STUDY_MAX_RUNS][96];
    int nref = 0;
    for (int i = 0; i < s->nruns && nref < STUDY_MAX_RUNS; i++) {
        config c;
        config_defaults(&c);
        if (config_load(&c, s->runs[i].config) != NN_OK) continue;
        double lim = optim_stability_limit(&c.optim, c.optim.lr);
        if (!isfinite(lim) || c.sched.type != SCHED_CONSTANT) continue;
        snprintf(rlabel[nref], sizeof rlabel[nref], "stability limit of %s: %.3g", s->runs[i].label, lim);
        render_rgb col = render_palette(i);
        refs[nref] = (render_refline){0, lim, rlabel[nref], 0,
                                      RENDER_HEX(((uint32_t)col.r << 16) | ((uint32_t)col.g << 8) | col.b)};
        nref++;
    }
    render_lineplot_opts lo;
    memset(&lo, 0, sizeof lo);
    lo.refs = refs;
    lo.nrefs = nref;
    lo.title = "λ_{max} of the training loss during training";
    int others = 0; /* thin lines of other seeds drawn */
    for (int q = 0; q < ns; q++) others |= rs[q].width < 2;
    lo.subtitle = others ? "thick: seed 1, thin: other seeds" : NULL;
    lo.xlabel = full ? "step (full batch: one per epoch)" : "epoch";
    lo.ylabel = "λ_{max}";
    lo.series = rs;
    lo.nseries = ns;
    char p[4400];
    snprintf(p, sizeof p, "%s/lambda_max.png", s->out);
    if (!(rc = render_lineplot_png(p, &lo, NULL)))
        report_figure(o, "lambda_max.png", full ? "lambda_max during training against steps (full batch: "
                                                  "one step per epoch; from log.csv)"
                                                : "lambda_max during training (from log.csv)");
done:
    for (int i = 0; i < ns; i++) free(xs[i]), free(ys[i]);
    return rc;
}

static int draw_density(const study *s, report_out *o)
{
    render_series rs[STUDY_MAX_RUNS];
    double *arr[STUDY_MAX_RUNS] = {0};
    int ns = 0, rc = NN_OK;
    for (int i = 0; i < s->nruns; i++) {
        char p[4400];
        snprintf(p, sizeof p, "%s/probes/hessian_density.npy", s->runs[i].dirs[0]);
        int nd;
        size_t sh[NPY_MAX_DIMS];
        if (npy_read_f64(p, &arr[ns], &nd, sh)) continue;
        if (nd != 2 || sh[0] != 2) {
            free(arr[ns]);
            arr[ns] = NULL;
            continue;
        }
        int ng = (int)sh[1];
        /* A floor keeps the log axis finite where the density vanishes. */
        for (int k = 0; k < ng; k++) arr[ns][ng + k] = fmax(arr[ns][ng + k], 1e-7);
        render_rgb c = render_palette(i);
        rs[ns] = (render_series){arr[ns], arr[ns] + ng, ng, s->runs[i].label,
                                 RENDER_HEX(((uint32_t)c.r << 16) | ((uint32_t)c.g << 8) | c.b), 0, 0, 0, 0};
        ns++;
    }
    if (!ns) {
        report_para(o, "No spectral densities (probes.density = no, or none were computed).");
        goto done;
    }
    render_lineplot_opts lo;
    memset(&lo, 0, sizeof lo);
    lo.title = "Hessian spectral density (SLQ), seed 1 of each run";
    lo.xlabel = "eigenvalue";
    lo.ylabel = "density (log)";
    lo.logy = 1;
    lo.series = rs;
    lo.nseries = ns;
    char p[4400];
    snprintf(p, sizeof p, "%s/density.png", s->out);
    if (!(rc = render_lineplot_png(p, &lo, NULL)))
        report_figure(o, "density.png", "Hessian spectral densities overlaid (log density)");
done:
    for (int i = 0; i < ns; i++) free(arr[i]);
    return rc;
}

static int rescale_section(const study *s, report_out *o)
{
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/rescale", s->out);
    double diff = json_num(dir, "rescaled.json", "max_logit_diff");
    double before[6], after[6];
    static const char *keys[6] = {"average_raw.sharpness", "average_filter.sharpness",
                                  "worst_l2_raw.sharpness", "worst_l2_filter.sharpness",
                                  "eps_sharpness.full.phi", "loss"};
    static const char *names[6] = {"average-case, raw (sigma 0.01)", "average-case, filter-normalized",
                                   "worst-case L2 ball, raw (rho 0.05)", "worst-case, filter-normalized",
                                   "eps-sharpness, full space (%)", "training loss"};
    for (int k = 0; k < 6; k++) {
        before[k] = json_num(dir, "before.json", keys[k]);
        after[k] = json_num(dir, "after.json", keys[k]);
    }
    if (!isfinite(diff) || !isfinite(before[0])) {
        report_para(o, "No rescaling demonstration (probes.rescale = no, or it did not run).");
        return NN_OK;
    }
    report_para(o, "`saddle rescale` multiplied layer %d of %s (seed 1) by %g and layer %d's weights by 1/%g "
         "(Dinh et al. 2017). The function is unchanged: the largest logit difference is %.3g. Raw "
         "sharpness changes; filter-normalized sharpness stays (up to noise).",
         (int)json_num(dir, "rescaled.json", "layer"), s->runs[0].label,
         json_num(dir, "rescaled.json", "factor"), (int)json_num(dir, "rescaled.json", "layer") + 1,
         json_num(dir, "rescaled.json", "factor"), diff);
    static const char *cols[3] = {"before", "after", "after / before"};
    /* Rows are different measures: before and after share a row's format,
     * the ratios one of their own. */
    report_tab *t = report_tab_new("measure", cols, 3, 6);
    if (!t) return NN_ENOMEM;
    report_tab_by_row(t, 2);
    for (int k = 0; k < 6; k++) {
        double ratio = after[k] / before[k];
        int r = report_tab_add(t, names[k], -1);
        report_tab_num(t, r, 0, &before[k], 1, 0);
        report_tab_num(t, r, 1, &after[k], 1, 0);
        report_tab_num(t, r, 2, &ratio, 1, 0);
    }
    report_tab_write(t, o);
    report_tab_free(t);
    return NN_OK;
}

/* Everything the page needs is in it: no fonts, styles or scripts from
 * elsewhere, pictures as data: URIs (report_figure). */
static const char HTML_STYLE[] =
    "<style>body{font-family:'DejaVu Sans',sans-serif;max-width:1300px;margin:2em auto;padding:0 1em;"
    "color:#222}.tw{overflow-x:auto}table{border-collapse:collapse;margin:1em 0;font-size:0.9em;"
    "font-variant-numeric:tabular-nums}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}"
    "th{vertical-align:bottom}.n{white-space:nowrap}td:first-child{white-space:nowrap}"
    "td:first-child,th:first-child,td.t,th.t{text-align:left}"
    "dl.prov{display:grid;grid-template-columns:max-content auto;gap:2px 1em}dl.prov dt{font-weight:bold}"
    "dl.prov dd{margin:0}code{overflow-wrap:anywhere}figure{display:inline-block;margin:0.5em}"
    "img{max-width:100%}</style>\n"
    /* The headless check (tests/report_check.sh) reads what this counts into
     * a hidden element: pictures decoded, and resources fetched from
     * anywhere (a self-contained page fetches none). Readers never see it. */
    "<script>window.addEventListener('load',function(){var im=document.images,ok=0;"
    "for(var i=0;i<im.length;i++)if(im[i].complete&&im[i].naturalWidth>0)ok++;"
    "var req=performance.getEntriesByType('resource').length;"
    "var p=document.getElementById('imgcheck');p.textContent='images loaded: '+ok+' of '+im.length+"
    "', requests: '+req;p.setAttribute('data-images',ok+' of '+im.length);"
    "p.setAttribute('data-requests',String(req));"
    "p.setAttribute('data-status',ok===im.length&&req===0?'all-images-loaded':'images-missing');});"
    "</script>\n";

int report_write(const study *s, const char *notes)
{
    int rc = NN_OK;
    const study_probes *pp = &s->probes;
    static double m[STUDY_MAX_RUNS][M_COUNT][STUDY_MAX_SEEDS];
    static double x[STUDY_MAX_RUNS][X_COUNT][STUDY_MAX_SEEDS];
    static logcsv logs[STUDY_MAX_RUNS][STUDY_MAX_SEEDS];
    static int spike[STUDY_MAX_RUNS][STUDY_MAX_SEEDS];
    static double spike_last[STUDY_MAX_RUNS][STUDY_MAX_SEEDS], spike_low[STUDY_MAX_RUNS][STUDY_MAX_SEEDS];
    memset(logs, 0, sizeof logs);
    memset(spike, 0, sizeof spike);
    /* Matched training loss: the worst level any run is at by its end (the
     * median of its last logged values, so a final spike does not set it). */
    double thr = -INFINITY;
    int nspikes = 0;
    for (int i = 0; i < s->nruns; i++)
        for (int k = 0; k < s->runs[i].ndirs; k++) {
            const char *d = s->runs[i].dirs[k];
            char pd[4200];
            snprintf(pd, sizeof pd, "%s/probes", d);
            double *v = &m[i][0][k];
            for (int c = 0; c < M_COUNT; c++) v[c * STUDY_MAX_SEEDS] = NAN;
            m[i][M_TRL][k] = json_num(d, "summary.json", "train_loss");
            m[i][M_TRA][k] = json_num(d, "summary.json", "train_acc");
            m[i][M_TEL][k] = json_num(d, "summary.json", "test_loss");
            m[i][M_TEA][k] = json_num(d, "summary.json", "test_acc");
            m[i][M_GAP][k] = m[i][M_TRA][k] - m[i][M_TEA][k];
            m[i][M_LMAX][k] = json_num(pd, "hessian.json", "lanczos.top");
            m[i][M_TRACE][k] = json_num(pd, "hessian.json", "trace.hutchinson");
            for (int e = 0; e < pp->neps; e++) {
                char f[64];
                snprintf(f, sizeof f, "sharpness-eps%g.json", pp->eps[e]);
                m[i][M_EPS0 + e][k] = json_num(pd, f, "eps_sharpness.full.phi");
                if (e == 0) {
                    m[i][M_AVGF][k] = json_num(pd, f, "average_filter.sharpness");
                    m[i][M_AVGR][k] = json_num(pd, f, "average_raw.sharpness");
                }
            }
            if (log_read(d, &logs[i][k]) == NN_OK && logs[i][k].n > 0) {
                spike[i][k] = report_spike(logs[i][k].col[2], logs[i][k].n, &spike_last[i][k],
                                           &spike_low[i][k]);
                nspikes += spike[i][k];
                if (isfinite(spike_low[i][k])) thr = fmax(thr, spike_low[i][k]);
            }
        }
    for (int i = 0; i < s->nruns; i++)
        for (int k = 0; k < s->runs[i].ndirs; k++) {
            const logcsv *l = &logs[i][k];
            for (int c = 0; c < X_COUNT; c++) x[i][c][k] = NAN;
            for (int r = 0; r < l->n; r++)
                if (l->col[2][r] <= thr) {
                    x[i][X_EPOCH][k] = l->col[1][r];
                    x[i][X_STEP][k] = l->col[0][r];
                    x[i][X_TRL][k] = l->col[2][r];
                    x[i][X_TEL][k] = l->col[3][r];
                    x[i][X_TEA][k] = l->col[4][r];
                    break;
                }
        }

    /* Built in memory and written whole through a temporary: a crash leaves
     * the last report or none, never a torn one, and nothing planted at
     * either name is followed. */
    char pmd[4400], phtml[4400], *mdbuf = NULL, *htbuf = NULL;
    size_t mdlen = 0, htlen = 0;
    snprintf(pmd, sizeof pmd, "%s/report.md", s->out);
    snprintf(phtml, sizeof phtml, "%s/report.html", s->out);
    report_out o = {open_memstream(&mdbuf, &mdlen), open_memstream(&htbuf, &htlen), s->out, NN_OK};
    report_tab *t = NULL;
    if (!o.md || !o.html) {
        rc = nn_err(NN_ENOMEM, "%s: out of memory for the report", s->out);
        goto done;
    }
    report_pr(o.md, "# Study: %s\n\n", s->name);
    fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Study: ", o.html);
    report_html_escape(o.html, s->name);
    fputs(" (saddle report)</title>\n", o.html);
    fputs(HTML_STYLE, o.html);
    fputs("</head><body>\n<h1>Study: ", o.html);
    report_html_escape(o.html, s->name);
    fputs("</h1>\n<div id=\"imgcheck\" hidden data-status=\"not-run\"></div>\n", o.html);
    if ((rc = report_provenance(s, &o))) goto done;
    report_para(&o, "%d run(s) x up to %d seed(s). Cells are mean ± standard deviation over seeds, with "
         "the median (med) from three seeds on; every seed's own value is in the per-seed table. A "
         "few seeds do not pin down a ratio between runs: read the per-seed values before the means. "
         "Each column has one number format; a column that no row has a value for is left out.",
         s->nruns, s->nseeds);
    if (notes && *notes) report_para(&o, "Note: %s", notes);

    report_heading(&o, "At matched epochs (end of training)");
    report_para(&o, "Each run at the end of its own schedule. A run that ends with a higher training loss is "
         "less fit, not necessarily worse at generalizing: see the next table.");
    const char *cols[M_COUNT];
    char epsn[STUDY_MAX_EPS][48];
    int nc = 0;
    static const char *base[M_EPS0] = {"train loss", "train acc", "test loss", "test acc",
                                       "gap (train - test acc)", "lambda_max", "trace (Hutchinson)",
                                       "avg sharpness, filter-norm.", "avg sharpness, raw"};
    for (int c = 0; c < M_EPS0; c++) cols[nc++] = base[c];
    for (int e = 0; e < pp->neps; e++) {
        snprintf(epsn[e], sizeof epsn[e], "eps-sharpness %g (%%)", pp->eps[e]);
        cols[nc++] = epsn[e];
    }
    if (!(t = report_tab_new("run", cols, nc, STUDY_MAX_RUNS))) {
        rc = NN_ENOMEM;
        goto done;
    }
    for (int i = 0; i < s->nruns; i++) {
        int r = report_tab_add(t, s->runs[i].label, s->runs[i].ndirs);
        for (int c = 0; c < nc; c++) report_tab_num(t, r, c, m[i][c], s->runs[i].ndirs, 1);
    }
    report_tab_write(t, &o);
    report_tab_free(t);
    report_examples_section(s, &o);
    if ((rc = report_subset_section(s, &o))) goto done;

    report_heading(&o, "Per seed");
    report_para(&o, "Every run and seed at the end of training. A run marked (spike) ends in a loss spike: "
         "its last logged training loss is above %g times the median of its last %d logged values, "
         "so its end-of-run numbers describe an excursion, not the minimum it had settled in; it "
         "moves the mean more than the median.", REPORT_SPIKE_RATIO, REPORT_SPIKE_ROWS);
    if (!(t = report_tab_new("run", cols, nc, STUDY_MAX_RUNS * STUDY_MAX_SEEDS))) {
        rc = NN_ENOMEM;
        goto done;
    }
    for (int i = 0; i < s->nruns; i++)
        for (int k = 0; k < s->runs[i].ndirs; k++) {
            char label[4400];
            const char *d = s->runs[i].dirs[k], *bn = strrchr(d, '/');
            snprintf(label, sizeof label, "%s: %s%s", s->runs[i].label, bn ? bn + 1 : d,
                     spike[i][k] ? " (spike)" : "");
            int r = report_tab_add(t, label, -1);
            for (int c = 0; c < nc; c++) report_tab_num(t, r, c, &m[i][c][k], 1, 0);
        }
    report_tab_write(t, &o);
    report_tab_free(t);
    if (nspikes) {
        for (int i = 0; i < s->nruns; i++)
            for (int k = 0; k < s->runs[i].ndirs; k++)
                if (spike[i][k])
                    report_para(&o, "%s ends in a loss spike: last logged training loss %.4g, the "
                         "median of its last %d logged values %.4g.", s->runs[i].dirs[k],
                         spike_last[i][k], REPORT_SPIKE_ROWS, spike_low[i][k]);
    } else {
        report_para(&o, "No run ends in a loss spike.");
    }

    report_heading(&o, "At matched training loss");
    if (isfinite(thr)) {
        report_para(&o, "Each run at the first logged row of log.csv where its training loss is at or below %.4g, "
             "the worst level any run is at by its end (per run, the median of its last %d logged "
             "training losses, so a final spike does not set it): the runs compared when they fit the "
             "training set equally well.", thr, REPORT_SPIKE_ROWS);
        static const char *xc[X_COUNT] = {"epoch", "step", "train loss", "test loss", "test acc"};
        if (!(t = report_tab_new("run", xc, X_COUNT, STUDY_MAX_RUNS))) {
            rc = NN_ENOMEM;
            goto done;
        }
        for (int i = 0; i < s->nruns; i++) {
            int r = report_tab_add(t, s->runs[i].label, s->runs[i].ndirs);
            for (int c = 0; c < X_COUNT; c++) report_tab_num(t, r, c, x[i][c], s->runs[i].ndirs, 1);
        }
        report_tab_write(t, &o);
        report_tab_free(t);
    } else {
        report_para(&o, "No log.csv with a training loss: no matched-loss comparison.");
    }

    report_heading(&o, "1-D slices");
    char sp[4400];
    snprintf(sp, sizeof sp, "%s/slices.png", s->out);
    struct stat st;
    if (stat(sp, &st) == 0) {
        report_para(&o, "Loss (top) and accuracy (bottom) along one filter-normalized random direction, the same "
             "seeded draw for seed 1 of every run.");
        report_figure(&o, "slices.png", "filter-normalized 1-D slices, all runs overlaid");
    } else {
        report_para(&o, "No slices (probes.slice = no).");
    }
    report_heading(&o, "2-D surfaces");
    if ((rc = draw_surfaces(s, &o))) goto done;
    report_heading(&o, "lambda_max during training");
    if ((rc = draw_lmax(s, logs, &o))) goto done;
    if (pp->plateau && (rc = report_plateau_section(s, &o))) goto done;
    report_heading(&o, "Hessian spectral density");
    if ((rc = draw_density(s, &o))) goto done;
    report_heading(&o, "Rescaling: why filter normalization matters");
    if ((rc = rescale_section(s, &o))) goto done;
    fputs("</body></html>\n", o.html);
    rc = o.rc;
done:
    if (o.md && fclose(o.md) && !rc) rc = nn_err(NN_ENOMEM, "%s: out of memory for the report", pmd);
    if (o.html && fclose(o.html) && !rc)
        rc = nn_err(NN_ENOMEM, "%s: out of memory for the report", phtml);
    if (!rc) rc = file_write_atomic(pmd, mdbuf, mdlen);
    if (!rc) rc = file_write_atomic(phtml, htbuf, htlen);
    free(mdbuf);
    free(htbuf);
    for (int i = 0; i < s->nruns; i++)
        for (int k = 0; k < STUDY_MAX_SEEDS; k++) log_free(&logs[i][k]);
    return rc;
}
