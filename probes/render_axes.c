/* Axes for both figures: nice tick values (1-2-5 steps, decades on log
 * axes), their labels, tick drawing, and marching-squares contours, which
 * live here because they are the other piece of plot geometry. */
#include "render_priv.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../datasets/status.h"

/* Ticks k*step for k in [ceil(lo/step), floor(hi/step)], with a little
 * slack so ends that are multiples of step survive rounding. */
static int ticks_at(double lo, double hi, double step, double *ticks, int cap)
{
    double eps = 1e-9;
    double k0 = ceil(lo / step - eps), k1 = floor(hi / step + eps);
    int n = 0;
    for (double k = k0; k <= k1 && n < cap; k++) {
        double v = k * step;
        if (fabs(v) < step * 1e-9) v = 0;
        ticks[n++] = v;
    }
    return n;
}

int render_ticks(double lo, double hi, int target, double *ticks, int cap, double *step)
{
    *step = 0;
    if (!isfinite(lo) || !isfinite(hi) || cap < 1) return 0;
    if (lo > hi) {
        double t = lo;
        lo = hi;
        hi = t;
    }
    if (target < 2) target = 2;
    if (hi - lo <= 1e-12 * fmax(fabs(lo), fabs(hi)) || hi == lo) {
        ticks[0] = lo;
        *step = lo != 0 ? pow(10, floor(log10(fabs(lo)))) : 1;
        return 1;
    }
    double raw = (hi - lo) / target, mag = pow(10, floor(log10(raw)));
    static const double mult[] = {0.5, 1, 2, 5, 10, 20};
    double best = 0;
    int best_err = 1 << 30;
    for (size_t i = 0; i < sizeof mult / sizeof mult[0]; i++) {
        double s = mult[i] * mag;
        double cnt = floor(hi / s + 1e-9) - ceil(lo / s - 1e-9) + 1;
        int err = (int)fabs(cnt - target) * 2 + (cnt < 2 ? 100 : 0);
        if (err < best_err || (err == best_err && s > best)) { /* ties: fewer ticks */
            best_err = err;
            best = s;
        }
    }
    *step = best;
    return ticks_at(lo, hi, best, ticks, cap);
}

int render_ticks_log(double lo, double hi, int target, double *ticks, int cap, double *step)
{
    *step = 0;
    if (!(lo > 0) || !(hi > 0) || !isfinite(lo) || !isfinite(hi) || cap < 1) return 0;
    if (lo > hi) {
        double t = lo;
        lo = hi;
        hi = t;
    }
    if (target < 2) target = 2;
    double a = log10(lo), b = log10(hi), eps = 1e-9;
    int k0 = (int)ceil(a - eps), k1 = (int)floor(b + eps), decades = k1 - k0 + 1;
    /* 1-2-5 per decade reads better while it stays within the target. */
    double c125[64];
    int n125 = 0;
    for (int k = (int)floor(a) - 1; k <= (int)ceil(b) && n125 < 64; k++)
        for (int m = 0; m < 3 && n125 < 64; m++) {
            double v = (m == 0 ? 1 : m == 1 ? 2 : 5) * pow(10, k);
            double lv = log10(v);
            if (lv >= a - eps && lv <= b + eps) c125[n125++] = v;
        }
    int n = 0;
    if (n125 >= 3 && n125 <= target + 2) {
        for (int i = 0; i < n125 && n < cap; i++) ticks[n++] = c125[i];
    } else if (decades >= 2) {
        int stride = (decades + target) / (target + 1);
        if (stride < 1) stride = 1;
        /* Thin to multiples of stride so the labels are regular (1e-6, 1e-3, 1). */
        int first = k0 + ((stride - (k0 % stride)) % stride);
        for (int k = first; k <= k1 && n < cap; k += stride) ticks[n++] = pow(10, k);
        if (n < 2) {
            n = 0;
            for (int k = k0; k <= k1 && n < cap; k += stride) ticks[n++] = pow(10, k);
        }
    } else {
        n = render_ticks(lo, hi, target, ticks, cap, step);
    }
    return n;
}

/* "1.50e-05" -> "1.5e-5": drop mantissa zeros, '+' and exponent zeros. */
static void tidy_exp(char *buf)
{
    char *e = strchr(buf, 'e');
    if (!e) return;
    char exp[16], *m = e;
    snprintf(exp, sizeof exp, "%s", e + 1);
    if (strchr(buf, '.') && strchr(buf, '.') < e) {
        while (m[-1] == '0') m--;
        if (m[-1] == '.') m--;
    }
    char *p = exp;
    int neg = 0;
    if (*p == '+' || *p == '-') neg = *p++ == '-';
    while (p[0] == '0' && p[1]) p++;
    sprintf(m, "e%s%s", neg ? "-" : "", p);
}

void render_tick_label(double v, double step, char *buf, size_t cap)
{
    if (cap == 0) return;
    if (!isfinite(v)) {
        snprintf(buf, cap, "%s", isnan(v) ? "nan" : v > 0 ? "inf" : "-inf");
        return;
    }
    char tmp[64];
    if (step > 0) {
        if (fabs(v) < step * 1e-6) v = 0;
        if (v != 0 && (step < 1e-3 || step >= 1e5)) {
            int e = (int)floor(log10(fabs(v))), es = (int)floor(log10(step) + 1e-9);
            int dec = e - es < 0 ? 0 : e - es;
            snprintf(tmp, sizeof tmp, "%.*e", dec > 12 ? 12 : dec, v);
            tidy_exp(tmp);
        } else {
            int dec = (int)ceil(-log10(step) - 1e-9);
            snprintf(tmp, sizeof tmp, "%.*f", dec < 0 ? 0 : dec > 12 ? 12 : dec, v);
        }
    } else if (v == 0) {
        snprintf(tmp, sizeof tmp, "0");
    } else if (fabs(v) >= 1e-3 && fabs(v) < 1e5) {
        snprintf(tmp, sizeof tmp, "%.4g", v);
    } else {
        snprintf(tmp, sizeof tmp, "%.3g", v);
        if (!strchr(tmp, 'e')) snprintf(tmp, sizeof tmp, "%.2e", v);
        tidy_exp(tmp);
    }
    /* A value that rounds to zero prints without its sign. */
    if (tmp[0] == '-' && strspn(tmp + 1, "0.") == strlen(tmp + 1)) memmove(tmp, tmp + 1, strlen(tmp));
    snprintf(buf, cap, "%s", tmp);
}

/* ---- axes ------------------------------------------------------------- */

double raxis_px(const raxis *a, double v)
{
    double t;
    if (a->log) {
        if (!(v > 0)) return NAN;
        t = (log10(v) - log10(a->lo)) / (log10(a->hi) - log10(a->lo));
    } else {
        t = (v - a->lo) / (a->hi - a->lo);
    }
    return a->p0 + t * (a->p1 - a->p0);
}

int raxis_ticks(const raxis *a, int target, double *ticks, int cap, double *step)
{
    return a->log ? render_ticks_log(a->lo, a->hi, target, ticks, cap, step)
                  : render_ticks(a->lo, a->hi, target, ticks, cap, step);
}

rtheme rtheme_for(int w, int h)
{
    rtheme t;
    int small = w < 560 || h < 400;
    t.tick = small ? 11 : 13;
    t.label = small ? 12 : 14;
    t.title = small ? 14 : 18;
    t.sub = small ? 11 : 13;
    t.ticklen = small ? 4 : 6;
    t.pad = small ? 3 : 5;
    return t;
}

double rtext_fit(const char *s, double px, double max_w)
{
    while (px > RENDER_MIN_TEXT_PX && rtext_w(s, px) > max_w) px -= 1;
    return px < RENDER_MIN_TEXT_PX ? RENDER_MIN_TEXT_PX : px;
}

#define WRAP_LINES 4

/* One wrapped text block centred on cx (kept inside the margins); draws
 * when im is not NULL and returns its height. Long text takes more lines
 * at its own size; only a word wider than the picture makes it smaller. */
static int text_block(render_image *im, const char *s, double px, int bold, double cx, int W, int y,
                      render_rgb c, int *rc)
{
    char lines[WRAP_LINES][256];
    int m = 14, n = 0;
    double sz = px;
    if (!s || !*s) return 0;
    while ((n = rtext_wrap(s, sz, bold, W - 2 * m, lines, WRAP_LINES)) > WRAP_LINES &&
           sz > RENDER_MIN_TEXT_PX)
        sz -= 1;
    if (n > WRAP_LINES) { /* unbreakable: one line at the smallest size, clipped */
        n = 1;
        snprintf(lines[0], 256, "%s", s);
    }
    int lh = (int)ceil(1.25 * sz);
    for (int i = 0; im && i < n && !*rc; i++) {
        double w = rtext_w_bold(lines[i], sz, bold);
        double x = cx - 0.5 * w < m ? m + 0.5 * w : cx + 0.5 * w > W - m ? W - m - 0.5 * w : cx;
        *rc = rtext_draw(im, x, y + i * lh, lines[i], sz, RENDER_CENTER | RENDER_TOP, 0, c, bold);
    }
    return (n - 1) * lh + (int)ceil(sz);
}

int rdraw_titles(render_image *im, const char *title, const char *subtitle, double cx, int W,
                 int y, const rtheme *t)
{
    int rc = NN_OK, y0 = y;
    if (title && *title) {
        y += text_block(im, title, t->title, 1, cx, W, y, RENDER_INK, &rc) + 8;
    }
    if (subtitle && *subtitle) {
        y += text_block(im, subtitle, t->sub, 0, cx, W, y, RENDER_INK_SOFT, &rc) + 4;
    }
    if (rc) return -rc;
    return y - y0;
}

int render_titles(render_image *im, const char *title, const char *subtitle, int W, int H, int y)
{
    rtheme t = rtheme_for(W, H);
    return rdraw_titles(im, title, subtitle, 0.5 * W, W, y, &t);
}

typedef struct {
    int n;
    double v[RTICKS_MAX];
    char s[RTICKS_MAX][32];
    double step;
} tickset;

static void tickset_make(tickset *ts, const raxis *a, int target)
{
    ts->n = raxis_ticks(a, target, ts->v, RTICKS_MAX, &ts->step);
    for (int i = 0; i < ts->n; i++) render_tick_label(ts->v[i], ts->step, ts->s[i], 32);
}

/* Minor ticks of a decade-labelled log axis: 2..9 x 10^k, len px long
 * (signed: which way from the axis line at). */
static void draw_log_minor(render_image *im, const raxis *a, const tickset *ts, int at, int horiz,
                           int len)
{
    if (!a->log || ts->step != 0 || ts->n < 2) return;
    double r = ts->v[1] / ts->v[0];
    if (r < 9.5 || r > 10.5) return; /* only between consecutive decades */
    for (int k = (int)floor(log10(a->lo)); k <= (int)ceil(log10(a->hi)); k++)
        for (int m = 2; m <= 9; m++) {
            double v = m * pow(10, k);
            if (v < a->lo || v > a->hi) continue;
            double p = floor(raxis_px(a, v)) + 0.5;
            if (horiz) render_line(im, p, at, p, at + len, 1, RENDER_INK_SOFT, 1);
            else render_line(im, at, p, at + len, p, 1, RENDER_INK_SOFT, 1);
        }
}

int rdraw_xticks(render_image *im, const raxis *a, int y, int labels, const rtheme *t)
{
    tickset ts;
    /* Fewer ticks until the labels stop touching. */
    int span = (int)fabs(a->p1 - a->p0), target = span / 90;
    if (target > 8) target = 8;
    for (;; target--) {
        if (target < 2) target = 2;
        tickset_make(&ts, a, target);
        int need = 0;
        for (int i = 0; i < ts.n; i++) need += (int)ceil(rtext_w(ts.s[i], t->tick)) + 4 * t->pad;
        if (need <= span || target <= 2) break;
    }
    for (int i = 0; i < ts.n; i++) {
        double p = floor(raxis_px(a, ts.v[i])) + 0.5;
        render_line(im, p, y, p, y + t->ticklen, 1, RENDER_INK, 1);
        if (labels)
            rtext_draw(im, p, y + t->ticklen + t->pad, ts.s[i], t->tick, RENDER_CENTER | RENDER_TOP,
                       0, RENDER_INK, 0);
    }
    draw_log_minor(im, a, &ts, y, 1, t->ticklen / 2);
    return t->ticklen + (labels ? t->pad + (int)ceil(t->tick) : 0);
}

int ryticks_width(const raxis *a, int target, const rtheme *t)
{
    tickset ts;
    tickset_make(&ts, a, target);
    int w = 0;
    for (int i = 0; i < ts.n; i++) {
        int tw = (int)ceil(rtext_w(ts.s[i], t->tick));
        if (tw > w) w = tw;
    }
    return w;
}

int rdraw_yticks(render_image *im, const raxis *a, int x, int side, int target, const rtheme *t)
{
    tickset ts;
    tickset_make(&ts, a, target);
    int w = 0, dir = side > 0 ? 1 : -1;
    for (int i = 0; i < ts.n; i++) {
        double p = floor(raxis_px(a, ts.v[i])) + 0.5;
        render_line(im, x, p, x + dir * t->ticklen, p, 1, RENDER_INK, 1);
        double tx = x + dir * (t->ticklen + t->pad);
        rtext_draw(im, tx, p, ts.s[i], t->tick, (side > 0 ? RENDER_LEFT : RENDER_RIGHT) | RENDER_MIDDLE,
                   0, RENDER_INK, 0);
        int tw = (int)ceil(rtext_w(ts.s[i], t->tick));
        if (tw > w) w = tw;
    }
    draw_log_minor(im, a, &ts, x, 0, dir * t->ticklen / 2);
    return w;
}

/* ---- contours --------------------------------------------------------- */

typedef struct {
    render_seg *v;
    size_t n, cap;
} segbuf;

static int seg_push(segbuf *b, double x0, double y0, double x1, double y1)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 256;
        render_seg *v = realloc(b->v, cap * sizeof *v);
        if (!v) return nn_err(NN_ENOMEM, "contour: cannot allocate %zu segments", cap);
        b->v = v;
        b->cap = cap;
    }
    b->v[b->n++] = (render_seg){x0, y0, x1, y1};
    return NN_OK;
}

int render_contour(const double *z, int nx, int ny, double level, render_seg **segs,
                   size_t *nseg)
{
    segbuf b = {0};
    *segs = NULL;
    *nseg = 0;
    if (nx < 2 || ny < 2) return nn_err(NN_EINVAL, "contour: grid %dx%d (need 2x2)", nx, ny);
    if (!isfinite(level)) return NN_OK;
    for (int j = 0; j + 1 < ny; j++)
        for (int i = 0; i + 1 < nx; i++) {
            /* Corners counter-clockwise from (i, j): c[k] at (cx[k], cy[k]). */
            static const int cx[4] = {0, 1, 1, 0}, cy[4] = {0, 0, 1, 1};
            double c[4];
            int mask = 0, bad = 0;
            for (int k = 0; k < 4; k++) {
                c[k] = z[(size_t)(j + cy[k]) * (size_t)nx + (size_t)(i + cx[k])];
                if (isnan(c[k])) bad = 1;
                if (c[k] >= level) mask |= 1 << k;
            }
            if (bad || mask == 0 || mask == 15) continue;
            /* Crossing on edge k (corner k to corner k+1). */
            double px[4], py[4];
            int has[4];
            for (int k = 0; k < 4; k++) {
                int k2 = (k + 1) & 3;
                has[k] = ((mask >> k) & 1) != ((mask >> k2) & 1);
                if (!has[k]) continue;
                double t = (level - c[k]) / (c[k2] - c[k]);
                px[k] = i + cx[k] + t * (cx[k2] - cx[k]);
                py[k] = j + cy[k] + t * (cy[k2] - cy[k]);
            }
            int e[4], ne = 0, rc = NN_OK;
            for (int k = 0; k < 4; k++)
                if (has[k]) e[ne++] = k;
            if (ne == 2) {
                rc = seg_push(&b, px[e[0]], py[e[0]], px[e[1]], py[e[1]]);
            } else if (ne == 4) {
                /* Saddle cell: if the centre sides with corner 0, corners 0
                 * and 2 join through it and the cuts isolate corners 1 and 3. */
                double mid = 0.25 * (c[0] + c[1] + c[2] + c[3]);
                if ((mid >= level) == (mask & 1)) {
                    rc = seg_push(&b, px[0], py[0], px[1], py[1]);    /* around corner 1 */
                    if (!rc) rc = seg_push(&b, px[2], py[2], px[3], py[3]); /* corner 3 */
                } else {
                    rc = seg_push(&b, px[3], py[3], px[0], py[0]);    /* around corner 0 */
                    if (!rc) rc = seg_push(&b, px[1], py[1], px[2], py[2]); /* corner 2 */
                }
            }
            if (rc) {
                free(b.v);
                return rc;
            }
        }
    *segs = b.v;
    *nseg = b.n;
    return NN_OK;
}
