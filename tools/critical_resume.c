/* `saddle critical` picks up where an interrupted run of the same options
 * stopped: the starts NAME.json already holds, with their end points in
 * NAME_points.npy and NAME/point-KK.safetensors. What is on disk is
 * untrusted: every field, count, size and number is checked, and anything
 * that does not fit means starting over. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../probes/npy.h"
#include "critical_resume.h"

static int why_set(char *why, size_t wlen, const char *fmt, const char *a, int k)
{
    char msg[300];
    snprintf(msg, sizeof msg, fmt, a);
    snprintf(why, wlen, "start %d: %s", k + 1, msg);
    return -1;
}

/* e [key] as a finite number in [lo, hi]; integer when `whole`. */
static int num(const cJSON *e, const char *key, double lo, double hi, int whole, double *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, key);
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < lo ||
        v->valuedouble > hi || (whole && v->valuedouble != floor(v->valuedouble)))
        return -1;
    *out = v->valuedouble;
    return 0;
}

static int status_of(const cJSON *v)
{
    if (!cJSON_IsString(v)) return -1;
    for (int c = CRIT_CRITICAL; c <= CRIT_UNCONVERGED; c++)
        if (!strcmp(v->valuestring, crit_status_name(c))) return c;
    return -1;
}

/* An array of exactly len finite numbers in [lo, hi]. */
static int nums(const cJSON *a, int len, double lo, double hi, double *out)
{
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != len) return -1;
    int k = 0;
    for (const cJSON *v = a->child; v; v = v->next, k++) {
        if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < lo ||
            v->valuedouble > hi)
            return -1;
        out[k] = v->valuedouble;
    }
    return 0;
}

/* Saved start k back into r, and its trace into steps [cap]. */
static int point_read(const cJSON *e, int k, const char *label, const crit_opts *opt, size_t n,
                      crit_result *r, crit_step *steps, int cap, int *nsteps, char *why, size_t wlen)
{
    static const char *const reals[] = {"loss_start", "grad_norm_start", "loss", "grad_norm",
                                        "accuracy", "lambda_min", "lambda_max", "hg_rel", "seconds"};
    double v[9], it, gr, he;
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(e, "start");
    if (!cJSON_IsString(s) || strcmp(s->valuestring, label))
        return why_set(why, wlen, "not from %s", label, k);
    memset(r, 0, sizeof *r);
    if ((r->status = status_of(cJSON_GetObjectItemCaseSensitive(e, "status"))) < 0)
        return why_set(why, wlen, "no status%s", "", k);
    if (num(e, "iterations", 0, opt->max_iter, 1, &it) || num(e, "gradients", 0, 1e15, 1, &gr) ||
        num(e, "hessians", 0, 1e15, 1, &he))
        return why_set(why, wlen, "iteration or evaluation counts missing or out of range%s", "", k);
    for (int i = 0; i < 9; i++)
        if (num(e, reals[i], -INFINITY, INFINITY, 0, &v[i]))
            return why_set(why, wlen, "'%s' is not a finite number", reals[i], k);
    r->iters = (int)it, r->grads = (int)gr, r->hessians = (int)he;
    r->loss0 = v[0], r->gnorm0 = v[1], r->loss = v[2], r->gnorm = v[3];
    r->lmin = v[5], r->lmax = v[6], r->hg_rel = v[7];
    r->n = (int)n;
    double neg[CRIT_MAX_T];
    if (nums(cJSON_GetObjectItemCaseSensitive(e, "index"), opt->nt, 0, 1, r->index) ||
        nums(cJSON_GetObjectItemCaseSensitive(e, "negative"), opt->nt, 0, (double)n, neg) ||
        nums(cJSON_GetObjectItemCaseSensitive(e, "null_grad_fraction"), opt->nt, 0, 1, r->nullfrac))
        return why_set(why, wlen, "index, negative or null_grad_fraction not %s", "one number per threshold", k);
    for (int t = 0; t < opt->nt; t++) {
        if (neg[t] != floor(neg[t]) || r->index[t] != neg[t] / (double)n)
            return why_set(why, wlen, "index and negative count %s", "disagree", k);
        r->nneg[t] = (int)neg[t];
    }
    /* The trace: one entry per iteration, 0 .. iterations. */
    const cJSON *tr = cJSON_GetObjectItemCaseSensitive(e, "trace");
    int L = r->iters + 1;
    if (L > cap) return why_set(why, wlen, "a trace longer than %s", "--max-iter", k);
    const cJSON *loss = cJSON_GetObjectItemCaseSensitive(tr, "loss");
    const cJSON *gn = cJSON_GetObjectItemCaseSensitive(tr, "grad_norm");
    const cJSON *lmin = cJSON_GetObjectItemCaseSensitive(tr, "lambda_min");
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(tr, "status");
    const cJSON *idx = cJSON_GetObjectItemCaseSensitive(tr, "index");
    double *col = malloc((size_t)L * 3 * sizeof *col);
    if (!col) return why_set(why, wlen, "%s", "out of memory", k);
    int bad = nums(loss, L, -INFINITY, INFINITY, col) || nums(gn, L, 0, INFINITY, col + L) ||
              nums(lmin, L, -INFINITY, INFINITY, col + 2 * L) || !cJSON_IsArray(st) ||
              cJSON_GetArraySize(st) != L || !cJSON_IsArray(idx) ||
              cJSON_GetArraySize(idx) != opt->nt;
    for (int i = 0; !bad && i < L; i++) {
        steps[i] = (crit_step){.iter = i, .loss = col[i], .gnorm = col[L + i], .lmin = col[2 * L + i]};
        bad = (steps[i].status = status_of(cJSON_GetArrayItem(st, i))) < 0;
    }
    for (int t = 0; !bad && t < opt->nt; t++) {
        const cJSON *c = cJSON_GetArrayItem(idx, t);
        bad = !cJSON_IsArray(c) || cJSON_GetArraySize(c) != L;
        int i = 0;
        for (const cJSON *x = bad ? NULL : c->child; x && !bad; x = x->next, i++) {
            bad = !cJSON_IsNumber(x) || !(x->valuedouble >= 0 && x->valuedouble <= 1);
            steps[i].index[t] = x->valuedouble;
        }
    }
    free(col);
    if (bad) return why_set(why, wlen, "its trace is not %s", "one finite entry per iteration", k);
    *nsteps = L;
    return 0;
}

/* The end point k: the row of NAME_points.npy, and the checkpoint holding it in float. */
static int point_file_fits(const char *pdir, int k, const double *row, size_t n, char *why,
                           size_t wlen)
{
    char p[4500];
    snprintf(p, sizeof p, "%s/point-%02d.safetensors", pdir, k + 1);
    model m;
    if (ckpt_load(p, &m, -1, 0, NULL, NULL, NULL, 0)) {
        snprintf(why, wlen, "%s", nn_errmsg());
        return -1;
    }
    int ok = m.n == n;
    if (!ok)
        snprintf(why, wlen, "%s: %zu parameters, not the %zu of the end point in the table", p,
                 m.n, n);
    for (size_t i = 0; ok && i < n; i++) ok = m.theta[i] == (float)row[i];
    if (!ok && m.n == n) snprintf(why, wlen, "%s does not hold the end point in the table", p);
    model_free(&m);
    return ok ? 0 : -1;
}

int critical_resume(const char *json, const char *npy, const char *pdir, const cJSON *now,
                    const char *const *labels, const crit_opts *opt, const int *budget, int nb,
                    int bstride, size_t n, int N, cJSON *arr, crit_result *res, double *points,
                    crit_step *bsteps, crit_step *steps, char *why, size_t wlen)
{
    cJSON *old = NULL;
    double *rows = NULL;
    int done = 0;
    why[0] = 0;
    if (probe_json_read(json, &old)) {
        snprintf(why, wlen, "%s", nn_errmsg());
        goto out;
    }
    static const char *const same[] = {"invocation", "options", "parameters", "data"};
    for (int i = 0; i < 4; i++)
        if (!cJSON_Compare(cJSON_GetObjectItemCaseSensitive(old, same[i]),
                           cJSON_GetObjectItemCaseSensitive(now, same[i]), 1)) {
            snprintf(why, wlen, "its %s are not this run's", same[i]);
            goto out;
        }
    const cJSON *pts = cJSON_GetObjectItemCaseSensitive(old, "points");
    int count = cJSON_GetArraySize(pts);
    if (!cJSON_IsArray(pts) || count > N) {
        snprintf(why, wlen, "%d points where there are %d starts", count, N);
        goto out;
    }
    if (count == 0) goto out;
    int nd;
    size_t sh[NPY_MAX_DIMS];
    if (npy_read_f64(npy, &rows, &nd, sh)) {
        snprintf(why, wlen, "%s", nn_errmsg());
        goto out;
    }
    /* A run killed between the two writes has one row more than points. */
    if (nd != 2 || sh[1] != n || sh[0] < (size_t)count || sh[0] > (size_t)N) {
        snprintf(why, wlen, "%s is not [%d][%zu]", npy, count, n);
        goto out;
    }
    for (size_t i = 0; i < (size_t)count * n; i++)
        if (!isfinite(rows[i])) {
            snprintf(why, wlen, "%s holds a non-finite number", npy);
            goto out;
        }
    int k = 0;
    for (const cJSON *e = pts->child; e; e = e->next, k++) {
        int L;
        if (point_read(e, k, labels[k], opt, n, &res[k], steps, opt->max_iter + 1, &L, why, wlen) ||
            point_file_fits(pdir, k, rows + (size_t)k * n, n, why, wlen))
            goto out;
        for (int b = 0; b < nb; b++)
            bsteps[(size_t)k * bstride + b] = steps[budget[b] < L - 1 ? budget[b] : L - 1];
    }
    for (k = 0; k < count; k++) {
        cJSON *c = cJSON_Duplicate(cJSON_GetArrayItem(pts, k), 1);
        if (!c) {
            snprintf(why, wlen, "out of memory");
            while (cJSON_GetArraySize(arr)) cJSON_DeleteItemFromArray(arr, 0);
            goto out;
        }
        cJSON_AddItemToArray(arr, c);
    }
    memcpy(points, rows, (size_t)count * n * sizeof *points);
    done = count;
out:
    cJSON_Delete(old);
    free(rows);
    return done;
}
