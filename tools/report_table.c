/* The study report's tables: cells are collected first and written last, so
 * every column gets one number format chosen from all of its values, and a
 * column with nothing in it is left out instead of printed as a row of
 * dashes. Markdown and HTML get the same cells. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_priv.h"

enum { CELL_EMPTY, CELL_TEXT, CELL_NUM };

typedef struct report_cell {
    int kind, median;
    int n;
    double v[STUDY_MAX_SEEDS];
    char text[256];
} report_cell;

struct report_tab {
    const char *first;
    const char *cols[REPORT_TAB_MAX_COLS];
    int nc, nrows, max_rows;
    int by_row;           /* columns [0, by_row) share each row's format */
    char (*labels)[160];
    report_cell *cells;   /* [max_rows][nc] */
};

report_tab *report_tab_new(const char *first, const char *const *cols, int nc, int max_rows)
{
    if (nc < 1 || nc > REPORT_TAB_MAX_COLS || max_rows < 1) {
        nn_err(NN_EINVAL, "report: a table of %d columns and %d rows", nc, max_rows);
        return NULL;
    }
    report_tab *t = calloc(1, sizeof *t);
    if (t) {
        t->labels = calloc((size_t)max_rows, sizeof *t->labels);
        t->cells = calloc((size_t)max_rows * (size_t)nc, sizeof *t->cells);
    }
    if (!t || !t->labels || !t->cells) {
        report_tab_free(t);
        nn_err(NN_ENOMEM, "report: out of memory for a table");
        return NULL;
    }
    t->first = first;
    for (int c = 0; c < nc; c++) t->cols[c] = cols[c];
    t->nc = nc;
    t->max_rows = max_rows;
    return t;
}

void report_tab_free(report_tab *t)
{
    if (!t) return;
    free(t->labels);
    free(t->cells);
    free(t);
}

void report_tab_by_row(report_tab *t, int ncols)
{
    t->by_row = ncols < 0 ? 0 : ncols > t->nc ? t->nc : ncols;
}

int report_tab_add(report_tab *t, const char *label, int nseeds)
{
    if (t->nrows >= t->max_rows) return -1;
    int r = t->nrows++;
    if (nseeds >= 0) snprintf(t->labels[r], sizeof t->labels[r], "%.127s (%d seed%s)", label, nseeds,
                              nseeds == 1 ? "" : "s");
    else snprintf(t->labels[r], sizeof t->labels[r], "%s", label);
    return r;
}

static report_cell *cell(report_tab *t, int r, int c)
{
    return r >= 0 && r < t->nrows && c >= 0 && c < t->nc ? &t->cells[(size_t)r * (size_t)t->nc + (size_t)c]
                                                        : NULL;
}

void report_tab_num(report_tab *t, int r, int c, const double *v, int n, int median)
{
    report_cell *x = cell(t, r, c);
    if (!x) return;
    x->kind = CELL_NUM;
    x->median = median;
    x->n = 0;
    for (int i = 0; i < n && x->n < STUDY_MAX_SEEDS; i++) x->v[x->n++] = v[i];
}

void report_tab_text(report_tab *t, int r, int c, const char *text)
{
    report_cell *x = cell(t, r, c);
    if (!x) return;
    x->kind = CELL_TEXT;
    snprintf(x->text, sizeof x->text, "%s", text);
}

static int cell_empty(const report_cell *x)
{
    if (x->kind == CELL_TEXT) return !x->text[0] || !strcmp(x->text, "–");
    if (x->kind == CELL_NUM)
        for (int i = 0; i < x->n; i++)
            if (isfinite(x->v[i])) return 0;
    return 1;
}

typedef struct num_range {
    double lo, hi;      /* smallest and largest nonzero magnitude */
    int integral;
} num_range;

static void range_add(num_range *g, double x)
{
    if (!isfinite(x)) return;
    double a = fabs(x);
    if (a > 0) g->lo = fmin(g->lo, a), g->hi = fmax(g->hi, a);
    if (x != rint(x)) g->integral = 0;
}

static report_numfmt range_format(const num_range *g)
{
    report_numfmt f = {0, 0};
    if (!(g->hi > 0) || (g->integral && g->hi < 1e9)) return f;
    /* REPORT_SIG significant digits on the smallest value; the rest of the
     * column in the same fixed point while that stays short, else all of
     * it in scientific notation. */
    int elo = (int)floor(log10(g->lo)), ehi = (int)floor(log10(g->hi));
    int dec = REPORT_SIG - 1 - elo;
    if (dec < 0) dec = 0;
    if (dec > 6 || (ehi >= 0 ? ehi + 1 : 1) + dec > 8) return (report_numfmt){1, REPORT_SIG - 1};
    f.dec = dec;
    return f;
}

report_numfmt report_numfmt_choose(const double *v, int n)
{
    num_range g = {INFINITY, 0, 1};
    for (int i = 0; i < n; i++) range_add(&g, v[i]);
    return range_format(&g);
}

void report_numfmt_put(report_numfmt f, double x, char *buf, size_t len)
{
    if (!isfinite(x)) snprintf(buf, len, "–");
    else if (f.sci) snprintf(buf, len, "%.*e", f.dec, x);
    else snprintf(buf, len, "%.*f", f.dec, x);
}

/* "m", "m ± sd" or, from three values on with median set, "m ± sd (med x)". */
static void cell_format(const report_cell *x, report_numfmt f, char *buf, size_t len)
{
    if (x->kind == CELL_TEXT) {
        snprintf(buf, len, "%s", x->text);
        return;
    }
    double m, sd;
    int k;
    report_mean_std(x->v, x->n, &m, &sd, &k);
    char a[40], b[40], c[40];
    report_numfmt_put(f, m, a, sizeof a);
    report_numfmt_put(f, sd, b, sizeof b);
    if (!k) snprintf(buf, len, "–");
    else if (k == 1) snprintf(buf, len, "%s", a);
    else if (k < 3 || !x->median) snprintf(buf, len, "%s ± %s", a, b);
    else {
        report_numfmt_put(f, report_median(x->v, x->n), c, sizeof c);
        snprintf(buf, len, "%s ± %s (med %s)", a, b, c);
    }
}

/* A cell may wrap before "± sd" and before "(med x)", never inside a
 * number ("1.2e-05" has a hyphen): a wide table folds into two lines per
 * row instead of scrolling. */
static void html_cell(FILE *f, const char *s)
{
    fputs("<span class=\"n\">", f);
    while (*s) {
        if (!strncmp(s, " ± ", strlen(" ± ")) || !strncmp(s, " (med ", strlen(" (med "))) {
            fputs("</span> <span class=\"n\">", f);
            s++;
        }
        char one[2] = {*s++, 0};
        report_html_escape(f, one);
    }
    fputs("</span>", f);
}

/* The format of column c, from every value shown in it. */
static report_numfmt column_format(const report_tab *t, int c)
{
    num_range rg = {INFINITY, 0, 1};
    for (int r = 0; r < t->nrows; r++) {
        const report_cell *x = &t->cells[(size_t)r * (size_t)t->nc + (size_t)c];
        if (x->kind == CELL_NUM)
            for (int k = 0; k < x->n; k++) range_add(&rg, x->v[k]);
    }
    return range_format(&rg);
}

/* The format of the first t->by_row columns of row r. */
static report_numfmt row_format(const report_tab *t, int r)
{
    num_range rg = {INFINITY, 0, 1};
    for (int c = 0; c < t->by_row; c++) {
        const report_cell *x = &t->cells[(size_t)r * (size_t)t->nc + (size_t)c];
        if (x->kind == CELL_NUM)
            for (int k = 0; k < x->n; k++) range_add(&rg, x->v[k]);
    }
    return range_format(&rg);
}

void report_tab_write(report_tab *t, report_out *o)
{
    int keep[REPORT_TAB_MAX_COLS], num[REPORT_TAB_MAX_COLS], nkeep = 0;
    report_numfmt colf[REPORT_TAB_MAX_COLS];
    for (int c = 0; c < t->nc; c++) {
        keep[c] = num[c] = 0;
        for (int r = 0; r < t->nrows; r++) {
            keep[c] |= !cell_empty(cell(t, r, c));
            num[c] |= cell(t, r, c)->kind == CELL_NUM;
        }
        nkeep += keep[c];
        colf[c] = column_format(t, c);
    }
    if (!t->nrows || !nkeep) return;
    report_pr(o->md, "| %s |", t->first);
    fputs("<div class=\"tw\"><table>\n<tr><th>", o->html);
    report_html_escape(o->html, t->first);
    fputs("</th>", o->html);
    for (int c = 0; c < t->nc; c++) {
        if (!keep[c]) continue;
        report_pr(o->md, " %s |", t->cols[c]);
        fputs(num[c] ? "<th>" : "<th class=\"t\">", o->html);
        report_html_escape(o->html, t->cols[c]);
        fputs("</th>", o->html);
    }
    fputs("\n| --- |", o->md);
    for (int c = 0; c < t->nc; c++)
        if (keep[c]) fputs(num[c] ? " ---: |" : " --- |", o->md);
    fputs("\n", o->md);
    fputs("</tr>\n", o->html);
    for (int r = 0; r < t->nrows; r++) {
        report_numfmt rowf = row_format(t, r);
        report_pr(o->md, "| %s |", t->labels[r]);
        fputs("<tr><td>", o->html);
        report_html_escape(o->html, t->labels[r]);
        fputs("</td>", o->html);
        for (int c = 0; c < t->nc; c++) {
            if (!keep[c]) continue;
            char buf[300];
            cell_format(cell(t, r, c), c < t->by_row ? rowf : colf[c], buf, sizeof buf);
            report_pr(o->md, " %s |", buf);
            fputs(num[c] ? "<td>" : "<td class=\"t\">", o->html);
            if (cell(t, r, c)->kind == CELL_TEXT) report_html_escape(o->html, buf);
            else html_cell(o->html, buf);
            fputs("</td>", o->html);
        }
        fputs("\n", o->md);
        fputs("</tr>\n", o->html);
    }
    report_both(o, "\n", "</table></div>\n");
}
