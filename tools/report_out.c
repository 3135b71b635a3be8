/* The study report's writing primitives: every piece goes to report.md and
 * report.html at once, so the two always say the same. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../datasets/base64.h"
#include "../datasets/fileio.h"
#include "report_priv.h"

void report_mean_std(const double *v, int n, double *mean, double *sd, int *count)
{
    double s = 0, s2 = 0;
    int k = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(v[i])) s += v[i], k++;
    *mean = k ? s / k : NAN;
    for (int i = 0; i < n; i++)
        if (isfinite(v[i])) s2 += (v[i] - *mean) * (v[i] - *mean);
    *sd = k > 1 ? sqrt(s2 / (k - 1)) : NAN;
    *count = k;
}

void report_fmt_ms(const double *v, int n, char *buf, size_t len)
{
    double m, sd;
    int k;
    report_mean_std(v, n, &m, &sd, &k);
    if (!k) snprintf(buf, len, "–");
    else if (k == 1) snprintf(buf, len, "%.4g", m);
    else snprintf(buf, len, "%.4g ± %.2g", m, sd);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double report_median(const double *v, int n)
{
    double w[64];
    int k = 0;
    for (int i = 0; i < n && k < 64; i++)
        if (isfinite(v[i])) w[k++] = v[i];
    if (!k) return NAN;
    qsort(w, (size_t)k, sizeof *w, cmp_double);
    return k % 2 ? w[k / 2] : 0.5 * (w[k / 2 - 1] + w[k / 2]);
}

void report_fmt_msm(const double *v, int n, char *buf, size_t len)
{
    double m, sd;
    int k;
    report_mean_std(v, n, &m, &sd, &k);
    /* With two seeds the median is the mean: shown from three on. */
    if (k < 3) report_fmt_ms(v, n, buf, len);
    else snprintf(buf, len, "%.4g ± %.2g (med %.4g)", m, sd, report_median(v, n));
}

int report_spike(const double *y, int n, double *last, double *level)
{
    double w[REPORT_SPIKE_ROWS];
    int seen = 0;
    *last = *level = NAN;
    for (int i = n - 1; i >= 0 && seen < REPORT_SPIKE_ROWS; i--)
        if (isfinite(y[i])) w[seen++] = y[i];
    if (!seen) return 0;
    *last = w[0];
    *level = report_median(w, seen);
    return seen >= 3 && *last > REPORT_SPIKE_RATIO * *level;
}

void report_both(report_out *o, const char *md, const char *html)
{
    if (md) fputs(md, o->md);
    if (html) fputs(html, o->html);
}

void report_pr(FILE *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
}

void report_html_escape(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '<') fputs("&lt;", f);
        else if (*s == '>') fputs("&gt;", f);
        else if (*s == '&') fputs("&amp;", f);
        else if (*s == '"') fputs("&quot;", f);
        else fputc(*s, f);
    }
}

void report_table_head(report_out *o, const char *first, const char *const *cols, int nc)
{
    report_pr(o->md, "| %s |", first);
    report_pr(o->html, "<table>\n<tr><th>%s</th>", first);
    for (int c = 0; c < nc; c++) {
        report_pr(o->md, " %s |", cols[c]);
        fputs("<th>", o->html);
        report_html_escape(o->html, cols[c]);
        fputs("</th>", o->html);
    }
    fputs("\n| --- |", o->md);
    for (int c = 0; c < nc; c++) fputs(" ---: |", o->md);
    fputs("\n", o->md);
    fputs("</tr>\n", o->html);
}

void report_table_row(report_out *o, const char *label, int nseeds, char cells[][64], int nc)
{
    /* nseeds < 0: a row that is not a run (no seed count). */
    char sd[32] = "";
    if (nseeds >= 0) snprintf(sd, sizeof sd, " (%d seed%s)", nseeds, nseeds == 1 ? "" : "s");
    report_pr(o->md, "| %s%s |", label, sd);
    fputs("<tr><td>", o->html);
    report_html_escape(o->html, label);
    report_pr(o->html, "%s</td>", sd);
    for (int c = 0; c < nc; c++) {
        report_pr(o->md, " %s |", cells[c]);
        report_pr(o->html, "<td>%s</td>", cells[c]);
    }
    fputs("\n", o->md);
    fputs("</tr>\n", o->html);
}

void report_figure(report_out *o, const char *png, const char *caption)
{
    report_pr(o->md, "![%s](%s)\n\n", caption, png);
    char path[4400];
    snprintf(path, sizeof path, "%s/%s", o->dir ? o->dir : ".", png);
    uint8_t *buf = NULL;
    size_t len = 0, pl = strlen(png);
    int rc = file_read_all(path, REPORT_MAX_PICTURE, &buf, &len);
    size_t elen = rc ? 0 : base64_encoded_len(len);
    char *b64 = rc || elen == SIZE_MAX ? NULL : malloc(elen + 1);
    if (!rc && !b64) rc = nn_err(NN_ENOMEM, "%s: out of memory to carry it in report.html", path);
    if (rc) {
        if (!o->rc) o->rc = rc;
        free(buf);
        return;
    }
    base64_encode(buf, len, b64);
    free(buf);
    /* SVG goes in as a data: URI too, not inline: two inline SVGs from the
     * same renderer share element ids and would draw each other's glyphs. */
    const char *mime = pl > 4 && !strcmp(png + pl - 4, ".svg") ? "image/svg+xml" : "image/png";
    report_pr(o->html, "<figure><img src=\"data:%s;base64,", mime);
    fputs(b64, o->html);
    free(b64);
    fputs("\" alt=\"", o->html);
    report_html_escape(o->html, caption);
    fputs("\"><figcaption>", o->html);
    report_html_escape(o->html, caption);
    fputs("</figcaption></figure>\n", o->html);
}

void report_para(report_out *o, const char *fmt, ...)
{
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    report_pr(o->md, "%s\n\n", buf);
    fputs("<p>", o->html);
    report_html_escape(o->html, buf);
    fputs("</p>\n", o->html);
}

void report_heading(report_out *o, const char *h)
{
    report_pr(o->md, "## %s\n\n", h);
    fputs("<h2>", o->html);
    report_html_escape(o->html, h);
    fputs("</h2>\n", o->html);
}
