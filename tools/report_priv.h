/* Inside the study report: its two outputs written side by side (Markdown
 * and HTML tables, paragraphs, headings, figures; tools/report_out.c) and
 * the sections that live in their own files (tools/report_plateau.c). */
#ifndef SADDLE_REPORT_PRIV_H
#define SADDLE_REPORT_PRIV_H

#include <stdio.h>

#include "study.h"

typedef struct report_out {
    FILE *md, *html;
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
void report_figure(report_out *o, const char *png, const char *caption);
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
void report_subset_section(const study *s, report_out *o);

#endif
