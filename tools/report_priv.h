/* Inside the study report: its two outputs written side by side (Markdown
 * and HTML tables, paragraphs, headings, figures; tools/report_out.c) and
 * the sections that live in their own files (tools/report_plateau.c). */
#ifndef SADDLE_REPORT_PRIV_H
#define SADDLE_REPORT_PRIV_H

#include <stdio.h>

#include "study.h"

typedef struct report_out {
    FILE *md, *html;
    const char *dir;   /* where the pictures are: report.html carries them inside */
    int rc;            /* the first picture that could not be carried, else NN_OK */
} report_out;

/* Mean and sample standard deviation of the finite values of v [n]; *count
 * of them (mean NaN when none, sd NaN when fewer than two). */
void report_mean_std(const double *v, int n, double *mean, double *sd, int *count);
/* "m", "m ± sd" or "–" for v [n] over seeds. */
void report_fmt_ms(const double *v, int n, char *buf, size_t len);
/* The median of the finite values of v [n] (NaN when none). */
double report_median(const double *v, int n);
/* "m ± sd (med x)" from three finite values on, else as report_fmt_ms. */
void report_fmt_msm(const double *v, int n, char *buf, size_t len);

/* A run ends in a loss spike when its last logged training loss is above
 * REPORT_SPIKE_RATIO times its recent level, the median of its last
 * REPORT_SPIKE_ROWS logged values (the last included; a median, so the
 * ordinary batch-to-batch noise of a small-batch run is not a spike): it
 * stopped mid-excursion, and its end-of-run numbers describe a transient,
 * not the minimum it had settled in. y [n] is the train_loss column of
 * log.csv (NaN rows skipped); *last and *level get the two numbers compared. */
#define REPORT_SPIKE_ROWS 10
#define REPORT_SPIKE_RATIO 3.0
int report_spike(const double *y, int n, double *last, double *level);

/* Raw text into each output (either may be NULL). */
void report_both(report_out *o, const char *md, const char *html);
void report_pr(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void report_html_escape(FILE *f, const char *s);
void report_table_head(report_out *o, const char *first, const char *const *cols, int nc);
/* A row: label (with " (N seeds)" when nseeds >= 0), then nc cells. */
void report_table_row(report_out *o, const char *label, int nseeds, char cells[][64], int nc);
/* A picture of o->dir: linked from report.md, carried inside report.html as
 * a base64 data: URI (so the page can be sent on its own); a picture that
 * cannot be read sets o->rc. */
void report_figure(report_out *o, const char *png, const char *caption);
/* Pictures larger than this are not carried inside the page. */
#define REPORT_MAX_PICTURE (64u << 20)

/* Tables whose cells are collected before they are written: every column
 * gets one number format, chosen from all its values (REPORT_SIG
 * significant digits on the smallest, fixed point or, when the column spans
 * too many decades, scientific), and a column with no value is left out. */
#define REPORT_SIG 4
#define REPORT_TAB_MAX_COLS 24
typedef struct report_numfmt {
    int sci, dec;      /* %.*e or %.*f, dec digits after the point */
} report_numfmt;
report_numfmt report_numfmt_choose(const double *v /* [n], NaN skipped */, int n);
void report_numfmt_put(report_numfmt f, double x, char *buf, size_t len);
typedef struct report_tab report_tab;
/* NULL (with the reason recorded) when out of memory. */
report_tab *report_tab_new(const char *first, const char *const *cols, int nc, int max_rows);
void report_tab_free(report_tab *t);
/* Rows that are different measures: the first ncols columns share each
 * row's format instead of each column's. */
void report_tab_by_row(report_tab *t, int ncols);
/* A new row (label, with " (N seeds)" when nseeds >= 0): its index, -1 when full. */
int report_tab_add(report_tab *t, const char *label, int nseeds);
/* A cell of values over seeds v [n]: "m", "m ± sd", with median from three
 * values on "m ± sd (med x)"; "–" when none is finite. */
void report_tab_num(report_tab *t, int row, int col, const double *v, int n, int median);
void report_tab_text(report_tab *t, int row, int col, const char *text);
void report_tab_write(report_tab *t, report_out *o);

/* Date, saddle version, command line, machine and every run's config.ini
 * and checkpoint crc32, at the top of the report. */
int report_provenance(const study *s, report_out *o);
void report_para(report_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void report_heading(report_out *o, const char *h);

/* "Plateaus in the training loss": per run and seed, the plateaus of its
 * log.csv (probes/plateau.h, the study's [probes] plateau options), when
 * the loss first halved, and the loss curves overlaid (OUT/plateau_loss.png). */
int report_plateau_section(const study *s, report_out *o);

/* Which examples each number of the report is on, from the sidecars the
 * probes wrote and each run's config.ini ([monitor] limit). */
void report_examples_section(const study *s, report_out *o);
/* λmax and the first ε-sharpness of seed 1 of every run on its probe
 * subset and on a second one (the *-subset2.json sidecars), when there are any. */
int report_subset_section(const study *s, report_out *o);

#endif
