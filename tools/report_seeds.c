/* The study report's account of its own evidence: which examples every
 * number was measured on, read back from the sidecars the probes wrote
 * (not from what the study asked for). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "probe.h"
#include "report_priv.h"

/* Examples and subset kind of one sidecar: "data.examples", "data.subset". */
static int sidecar_examples(const char *path, long *examples, int *subset)
{
    cJSON *j;
    if (probe_json_read(path, &j)) return 0;
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(j, "data");
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(d, "examples");
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(d, "subset");
    int ok = cJSON_IsNumber(e);
    if (ok) {
        *examples = (long)e->valuedouble;
        *subset = cJSON_IsString(s) && strcmp(s->valuestring, "all") != 0;
    }
    cJSON_Delete(j);
    return ok;
}

typedef struct ex_range {
    long lo, hi;
    int files, subset, all;
} ex_range;

static void ex_add(ex_range *r, const char *path)
{
    long e;
    int sub;
    if (!sidecar_examples(path, &e, &sub)) return;
    if (!r->files++) r->lo = r->hi = e;
    r->lo = e < r->lo ? e : r->lo;
    r->hi = e > r->hi ? e : r->hi;
    r->subset += sub;
    r->all += !sub;
}

static void ex_text(const ex_range *r, char *buf, size_t len)
{
    char n[64];
    if (r->lo == r->hi) snprintf(n, sizeof n, "%ld", r->lo);
    else snprintf(n, sizeof n, "%ld to %ld", r->lo, r->hi);
    snprintf(buf, len, "%s training examples (%s)", n,
             !r->subset ? "all of each run's training split"
             : !r->all  ? "a seeded random subset of each run's training split: another subset "
                          "gives other values, so differences between runs smaller than that "
                          "spread are not evidence; data_limit = 0 probes on all"
                        : "all of the training split for some runs, a seeded subset for others");
}

void report_examples_section(const study *s, report_out *o)
{
    ex_range hes = {0}, shp = {0}, surf = {0}, sl = {0};
    long mon_lo = -1, mon_hi = -1;
    for (int i = 0; i < s->nruns; i++)
        for (int k = 0; k < s->runs[i].ndirs; k++) {
            const char *d = s->runs[i].dirs[k];
            char p[4400];
            snprintf(p, sizeof p, "%s/probes/hessian.json", d);
            ex_add(&hes, p);
            if (s->probes.neps > 0) {
                snprintf(p, sizeof p, "%s/probes/sharpness-eps%g.json", d, s->probes.eps[0]);
                ex_add(&shp, p);
            }
            snprintf(p, sizeof p, "%s/probes/surface.json", d);
            ex_add(&surf, p);
            config c;
            config_defaults(&c);
            snprintf(p, sizeof p, "%s/config.ini", d);
            if (config_load(&c, p) == NN_OK && c.monitor.every > 0) {
                long m = (long)c.monitor.limit;
                if (mon_lo < 0 || m < mon_lo) mon_lo = m;
                if (m > mon_hi) mon_hi = m;
            }
        }
    char p[4400];
    snprintf(p, sizeof p, "%s/slices.json", s->out);
    ex_add(&sl, p);
    report_para(o, "Which examples each number is on. Train and test loss and accuracy: summary.json of "
                "each run (its training split and its test set, as `saddle train` evaluated them).");
    char t[512];
    if (hes.files) {
        ex_text(&hes, t, sizeof t);
        report_para(o, "lambda_max and trace (probes/hessian.json): %s.", t);
    }
    if (shp.files) {
        ex_text(&shp, t, sizeof t);
        report_para(o, "eps-sharpness and average sharpness (probes/sharpness-eps*.json): %s.", t);
    }
    if (surf.files || sl.files) {
        ex_text(surf.files ? &surf : &sl, t, sizeof t);
        report_para(o, "Surfaces and slices: %s.", t);
    }
    if (mon_hi >= 0) {
        if (mon_lo == mon_hi && mon_lo == 0)
            report_para(o, "lambda_max during training (log.csv): the whole training split.");
        else
            report_para(o, "lambda_max during training (log.csv): a fixed seeded subset of %ld%s "
                        "training examples per run ([monitor] limit; 0 = all), so its values are "
                        "not the probes' lambda_max.", mon_hi, mon_lo != mon_hi ? " (at most)" : "");
    }
}

/* obj.key (or obj.key.sub) of a sidecar; an array gives its first item. */
static double sidecar_num(const char *path, const char *obj, const char *key, const char *sub)
{
    cJSON *j;
    if (probe_json_read(path, &j)) return NAN;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, obj), key);
    if (sub) v = cJSON_GetObjectItemCaseSensitive(v, sub);
    if (cJSON_IsArray(v)) v = cJSON_GetArrayItem(v, 0);
    double x = cJSON_IsNumber(v) ? v->valuedouble : NAN;
    cJSON_Delete(j);
    return x;
}

int report_subset_section(const study *s, report_out *o)
{
    double v[STUDY_MAX_RUNS][4];
    int any = 0;
    char e0[32] = "";
    if (s->probes.neps > 0) snprintf(e0, sizeof e0, "%g", s->probes.eps[0]);
    for (int i = 0; i < s->nruns; i++) {
        char p[4400];
        const char *d = s->runs[i].dirs[0];
        snprintf(p, sizeof p, "%s/probes/hessian.json", d);
        v[i][0] = sidecar_num(p, "lanczos", "top", NULL);
        snprintf(p, sizeof p, "%s/probes/hessian-subset2.json", d);
        v[i][1] = sidecar_num(p, "lanczos", "top", NULL);
        snprintf(p, sizeof p, "%s/probes/sharpness-eps%s.json", d, e0);
        v[i][2] = *e0 ? sidecar_num(p, "eps_sharpness", "full", "phi") : NAN;
        snprintf(p, sizeof p, "%s/probes/sharpness-eps%s-subset2.json", d, e0);
        v[i][3] = *e0 ? sidecar_num(p, "eps_sharpness", "full", "phi") : NAN;
        any |= isfinite(v[i][1]) || isfinite(v[i][3]);
    }
    if (!any) return NN_OK;
    report_heading(o, "From one subset to another");
    report_para(o, "Seed 1 of every run probed again on a second seeded subset of the same size "
                "(--seed 2): how much of a probe's value belongs to the subset rather than to the "
                "model. A difference between runs smaller than this is not evidence.");
    char c2[64], c3[64];
    snprintf(c2, sizeof c2, "eps-sharpness %s, subset 1 (%%)", e0);
    snprintf(c3, sizeof c3, "eps-sharpness %s, subset 2 (%%)", e0);
    const char *cols[4] = {"lambda_max, subset 1", "lambda_max, subset 2", c2, c3};
    report_tab *t = report_tab_new("run (seed 1)", cols, 4, STUDY_MAX_RUNS);
    if (!t) return NN_ENOMEM;
    for (int i = 0; i < s->nruns; i++) {
        int r = report_tab_add(t, s->runs[i].label, -1);
        for (int c = 0; c < 4; c++) report_tab_num(t, r, c, &v[i][c], 1, 0);
    }
    report_tab_write(t, o);
    report_tab_free(t);
    return NN_OK;
}
