/* Plateau detection on a training curve (the rule is in plateau.h): sliding
 * windows judged by a least-squares slope of the log-loss and by the
 * gradient norm, their union as flat stretches, the escape from each, and
 * the converged tail told apart from the plateaus before it. */
#include "plateau.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../datasets/status.h"

void plateau_opts_default(plateau_opts *o)
{
    o->tol = 0.25;
    o->window = 0.1;
    o->min_rows = 5;
    o->grad_tol = 0.25;
    o->escape = 2;
    o->min_range = 10;
}

/* The median of v [n] (n >= 1), reordering v: quickselect, O(n) on
 * average, since it runs once per window. */
static double median_inplace(double *v, int n)
{
    int k = n / 2, lo = 0, hi = n - 1;
    while (lo < hi) {
        double pivot = v[lo + (hi - lo) / 2];
        int i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot) i++;
            while (v[j] > pivot) j--;
            if (i <= j) {
                double t = v[i];
                v[i++] = v[j];
                v[j--] = t;
            }
        }
        if (k <= j) hi = j;
        else if (k >= i) lo = i;
        else break;
    }
    if (n % 2) return v[k];
    /* Even n: the mean of the two middle values; the lower one is the
     * largest of v[0..k-1], which quickselect left below v[k]. */
    double below = v[0];
    for (int i = 1; i < k; i++) below = fmax(below, v[i]);
    return 0.5 * (below + v[k]);
}

/* The valid rows, compacted: their input index, step offset from the first
 * valid step (sums of squares stay well conditioned), ln loss and
 * ln(grad_norm / loss). */
typedef struct curve {
    int m;
    int *row;      /* [m] */
    double *s;     /* [m] step - first step */
    double *u;     /* [m] ln loss */
    double *lg;    /* [m] ln(grad_norm / loss), NaN when unknown */
    /* prefix sums [m+1] for O(1) window fits and gradient means */
    double *ps, *pu, *pss, *psu, *plg;
    int *png;      /* [m+1] count of known lg */
} curve;

static void curve_free(curve *c)
{
    free(c->row);
    free(c->s);
    free(c->u);
    free(c->lg);
    free(c->ps);
    free(c->pu);
    free(c->pss);
    free(c->psu);
    free(c->plg);
    free(c->png);
    memset(c, 0, sizeof *c);
}

static int curve_build(curve *c, const double *step, const double *loss, const double *gn, int n)
{
    memset(c, 0, sizeof *c);
    size_t k = (size_t)n + 1;
    c->row = malloc(k * sizeof *c->row);
    c->s = malloc(k * sizeof *c->s);
    c->u = malloc(k * sizeof *c->u);
    c->lg = malloc(k * sizeof *c->lg);
    c->ps = malloc(k * sizeof *c->ps);
    c->pu = malloc(k * sizeof *c->pu);
    c->pss = malloc(k * sizeof *c->pss);
    c->psu = malloc(k * sizeof *c->psu);
    c->plg = malloc(k * sizeof *c->plg);
    c->png = malloc(k * sizeof *c->png);
    if (!c->row || !c->s || !c->u || !c->lg || !c->ps || !c->pu || !c->pss || !c->psu || !c->plg ||
        !c->png) {
        curve_free(c);
        return nn_err(NN_ENOMEM, "plateau: cannot allocate %d rows", n);
    }
    double s0 = NAN, prev = -INFINITY;
    for (int i = 0; i < n; i++) {
        if (!isfinite(step[i]) || !isfinite(loss[i]) || loss[i] <= 0) continue;
        if (step[i] < prev) {
            curve_free(c);
            return nn_err(NN_EINVAL, "plateau: row %d: step %.17g comes after step %.17g", i,
                          step[i], prev);
        }
        prev = step[i];
        if (isnan(s0)) s0 = step[i];
        int m = c->m++;
        c->row[m] = i;
        c->s[m] = step[i] - s0;
        c->u[m] = log(loss[i]);
        /* ln(grad_norm / loss): the gradient of ln(loss), judged on the
         * same scale as u. */
        c->lg[m] = gn && isfinite(gn[i]) && gn[i] > 0 ? log(gn[i]) - c->u[m] : NAN;
    }
    c->ps[0] = c->pu[0] = c->pss[0] = c->psu[0] = c->plg[0] = 0;
    c->png[0] = 0;
    for (int i = 0; i < c->m; i++) {
        c->ps[i + 1] = c->ps[i] + c->s[i];
        c->pu[i + 1] = c->pu[i] + c->u[i];
        c->pss[i + 1] = c->pss[i] + c->s[i] * c->s[i];
        c->psu[i + 1] = c->psu[i] + c->s[i] * c->u[i];
        int known = !isnan(c->lg[i]);
        c->plg[i + 1] = c->plg[i] + (known ? c->lg[i] : 0);
        c->png[i + 1] = c->png[i] + known;
    }
    return NN_OK;
}

/* Least-squares slope of u against s over rows a..b, and *spread =
 * sqrt(sum (s - mean s)^2), which sets the slope's standard error
 * (noise / spread); NaN when the rows share one step. */
static double window_slope(const curve *c, int a, int b, double *spread)
{
    double k = b - a + 1;
    double S = c->ps[b + 1] - c->ps[a], U = c->pu[b + 1] - c->pu[a];
    double SS = c->pss[b + 1] - c->pss[a], SU = c->psu[b + 1] - c->psu[a];
    double var = SS - S * S / k;
    *spread = sqrt(fmax(var, 0));
    /* Prefix-sum differences lose digits; a window whose step spread is
     * lost in that rounding has no measurable slope. */
    if (!(var > 1e-12 * SS)) return NAN;
    return (SU - S * U / k) / var;
}

/* Row-to-row noise of u over rows a..b: the median absolute second
 * difference, scaled to a standard deviation (a second difference of white
 * noise has variance 6 sigma^2; 1.4826 turns a median absolute value into a
 * sigma). A smooth trend has second differences near zero and a drop spoils
 * only two, so neither moves the median much. d2 [m]: |second difference|
 * at each row (rows 1..m-2); scratch [m]. */
static double window_noise(const double *d2, int a, int b, double *scratch)
{
    int k = 0;
    for (int i = a + 1; i < b; i++) scratch[k++] = d2[i];
    return k ? 1.4826 * median_inplace(scratch, k) / sqrt(6.0) : 0;
}

/* Geometric mean of grad_norm / loss over rows a..b, NaN when none is
 * known: like a median, a single spike moves it little, and prefix sums
 * make it O(1). */
static double window_grad(const curve *c, int a, int b)
{
    int k = c->png[b + 1] - c->png[a];
    return k ? exp((c->plg[b + 1] - c->plg[a]) / k) : NAN;
}

/* Median loss and mean grad_norm over rows a..b into *level, *gmean. */
static void stretch_stats(const curve *c, int a, int b, double *vals, double *level, double *gmean)
{
    int k = b - a + 1;
    for (int r = 0; r < k; r++) vals[r] = exp(c->u[a + r]);
    *level = median_inplace(vals, k);
    double gs = 0;
    int gk = 0;
    for (int r = a; r <= b; r++)
        if (!isnan(c->lg[r])) gs += exp(c->lg[r] + c->u[r]), gk++;
    *gmean = gk ? gs / gk : NAN;
}

int plateau_find(const double *step, const double *loss, const double *grad_norm, int n,
                 const plateau_opts *o, plateau **out, int *count)
{
    return plateau_analyze(step, loss, grad_norm, n, o, out, count, NULL);
}

int plateau_analyze(const double *step, const double *loss, const double *grad_norm, int n,
                    const plateau_opts *o, plateau **out, int *count, plateau_tail *tail)
{
    *out = NULL;
    *count = 0;
    if (tail) memset(tail, 0, sizeof *tail), tail->grad_norm_mean = NAN;
    if (!step || !loss || n < 0)
        return nn_err(NN_EINVAL, "plateau: no step or loss column");
    if (!(o->tol > 0) || !(o->window > 0 && o->window <= 1) || o->min_rows < 2 ||
        !(o->grad_tol > 0) || !(o->escape > 1) || !(o->min_range > 1))
        return nn_err(NN_EINVAL, "plateau: options out of range (tol %g > 0, window %g in (0, 1], "
                      "min_rows %d >= 2, grad_tol %g > 0, escape %g > 1, min_range %g > 1)",
                      o->tol, o->window, o->min_rows, o->grad_tol, o->escape, o->min_range);
    curve c;
    int rc = curve_build(&c, step, loss, grad_norm, n);
    if (rc) return rc;
    int m = c.m, *wend = NULL, *cover = NULL, nfound = 0;
    char *lflat = NULL, *fast = NULL, *covered = NULL;
    double *vals = NULL, *d2 = NULL;
    plateau *res = NULL;
    if (m < o->min_rows || !(c.s[m - 1] > 0)) goto done;
    double T = c.s[m - 1], umin = INFINITY, umax = -INFINITY;
    for (int i = 0; i < m; i++) umin = fmin(umin, c.u[i]), umax = fmax(umax, c.u[i]);
    double D = fmax(umax - umin, log(o->min_range)), R = D / T, span = o->window * T;
    wend = malloc((size_t)m * sizeof *wend);
    cover = calloc((size_t)m + 1, sizeof *cover);
    lflat = calloc((size_t)m, 1);
    fast = calloc((size_t)m, 1);
    covered = malloc((size_t)m);
    vals = malloc((size_t)m * sizeof *vals);
    d2 = calloc((size_t)m, sizeof *d2);
    if (!wend || !cover || !lflat || !fast || !covered || !vals || !d2) {
        rc = nn_err(NN_ENOMEM, "plateau: cannot allocate %d rows", m);
        goto done;
    }
    for (int i = 1; i + 1 < m; i++) d2[i] = fabs(c.u[i + 1] - 2 * c.u[i] + c.u[i - 1]);
    /* The window starting at each row (-1: too close to the end); its end
     * never moves back as the start moves on. */
    for (int a = 0, b = 0; a < m; a++) {
        if (b < a + o->min_rows - 1) b = a + o->min_rows - 1;
        while (b < m && c.s[b] - c.s[a] < span) b++;
        wend[a] = b < m ? b : -1;
        if (wend[a] < 0) continue;
        double spread, sl = window_slope(&c, a, b, &spread);
        if (!isfinite(sl)) continue;
        /* Flat unless the slope is steeper than tol R by more than two
         * standard errors of the window's own noise (a smooth stretch gets
         * no allowance, a noisy one is not split by its noise); fast when
         * at least the average rate. */
        double sigma = window_noise(d2, a, b, vals);
        lflat[a] = fabs(sl) <= o->tol * R + 2 * sigma / spread;
        fast[a] = fabs(sl) >= R;
    }
    /* G: the median grad_norm / loss on rows of fast windows, where
     * training makes progress; +inf when there is none (vacuous test). */
    for (int a = 0; a < m; a++)
        if (wend[a] >= 0 && fast[a]) cover[a]++, cover[wend[a] + 1]--;
    int nk = 0;
    for (int i = 0, depth = 0; i < m; i++) {
        depth += cover[i];
        if (depth > 0 && !isnan(c.lg[i])) vals[nk++] = c.lg[i];
    }
    double G = nk ? exp(median_inplace(vals, nk)) : INFINITY;
    /* Coverage by flat windows (both tests), as a difference array: +1 at a
     * window's start, -1 after its end. */
    memset(cover, 0, ((size_t)m + 1) * sizeof *cover);
    for (int a = 0; a < m; a++) {
        if (wend[a] < 0 || !lflat[a]) continue;
        double g = window_grad(&c, a, wend[a]);
        if (!isnan(g) && !(g <= o->grad_tol * G)) continue;
        cover[a]++;
        cover[wend[a] + 1]--;
    }
    for (int i = 0, depth = 0; i < m; i++) {
        depth += cover[i];
        covered[i] = depth > 0;
    }
    for (int i = 0; i < m;) {
        if (!covered[i]) {
            i++;
            continue;
        }
        int a = i;
        while (i < m && covered[i]) i++;
        int b = i - 1;
        /* A run of covered rows [a, b]: a flat stretch. */
        plateau p;
        stretch_stats(&c, a, b, vals, &p.level, &p.grad_norm_mean);
        p.start_row = c.row[a];
        p.end_row = c.row[b];
        p.start_step = step[p.start_row];
        p.end_step = step[p.end_row];
        p.final = b == m - 1;
        p.escaped = 0;
        p.escape_step = NAN;
        for (int r = b + 1; r < m; r++)
            if (c.u[r] <= log(p.level / o->escape)) {
                p.escaped = 1;
                p.escape_step = step[c.row[r]];
                break;
            }
        double upre = -INFINITY;
        for (int r = 0; r <= a; r++) upre = fmax(upre, c.u[r]);
        if (!p.escaped && upre >= log(p.level * o->escape)) {
            /* Fallen to and never left: the run has converged, and nothing
             * after this is a plateau. */
            if (tail) {
                tail->found = 1;
                tail->start_row = p.start_row;
                tail->start_step = p.start_step;
                stretch_stats(&c, a, m - 1, vals, &tail->level, &tail->grad_norm_mean);
            }
            break;
        }
        plateau *grown = realloc(res, (size_t)(nfound + 1) * sizeof *res);
        if (!grown) {
            rc = nn_err(NN_ENOMEM, "plateau: out of memory");
            goto done;
        }
        res = grown;
        res[nfound++] = p;
    }
    *out = res;
    *count = nfound;
    res = NULL;
done:
    free(res);
    free(wend);
    free(cover);
    free(lflat);
    free(fast);
    free(covered);
    free(vals);
    free(d2);
    curve_free(&c);
    return rc;
}
