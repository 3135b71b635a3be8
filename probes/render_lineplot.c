/* The line plot figure: series in one panel or two stacked panels sharing
 * the x axis (loss above accuracy), optional log y, reference lines with
 * labels, shaded x bands, per-point markers and a legend placed where the
 * data is not. */
#include "render_priv.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../datasets/status.h"

#define GRID_RGB RGB(229, 229, 229)
#define REF_RGB RGB(100, 100, 100)

typedef struct {
    const render_lineplot_opts *o;
    render_lineplot_info *info;
    int np;              /* panels */
    raxis xa, ya[2];
    int Y0[2], Y1[2];    /* panel extents */
    int X0, X1;
    rtheme t;
    int leg[2][4];       /* legend box per panel: x0, y0, x1, y1 */
} lp;

static double ser_x(const render_series *s, int i) { return s->x ? s->x[i] : i; }

/* A series without a color takes the palette entry of its label, so
 * "train" is the same color in both panels and in one legend entry. */
static render_rgb ser_color(const lp *p, int k)
{
    const render_series *s = p->o->series;
    if (s[k].color) return render_rgb_hex(s[k].color);
    int slot = 0;
    for (int j = 0; j < k; j++) {
        int first = 1; /* j is the first series with its label */
        for (int i = 0; i < j && first; i++)
            if (s[i].label && s[j].label && !strcmp(s[i].label, s[j].label)) first = 0;
        if (!first) continue;
        if (s[j].label && s[k].label && !strcmp(s[j].label, s[k].label)) return render_palette(slot);
        slot++;
    }
    return render_palette(slot);
}

/* Data range [*lo, *hi] of the values a panel shows (positive ones on a
 * log axis); 0 when it has none. */
static int lp_yrange(const lp *p, int panel, int logy, double *lo, double *hi)
{
    *lo = INFINITY;
    *hi = -INFINITY;
    for (int k = 0; k < p->o->nseries; k++) {
        const render_series *s = &p->o->series[k];
        if ((s->panel ? 1 : 0) != panel) continue;
        for (int i = 0; i < s->n; i++) {
            double x = ser_x(s, i), y = s->y[i];
            if (!isfinite(y) || (logy && y <= 0) || x < p->xa.lo || x > p->xa.hi) continue;
            *lo = fmin(*lo, y);
            *hi = fmax(*hi, y);
        }
    }
    for (int r = 0; r < p->o->nrefs; r++) {
        const render_refline *rl = &p->o->refs[r];
        if (rl->vertical || (rl->panel ? 1 : 0) != panel || !isfinite(rl->value)) continue;
        if (logy && rl->value <= 0) continue;
        *lo = fmin(*lo, rl->value);
        *hi = fmax(*hi, rl->value);
    }
    return *lo <= *hi;
}

/* The y axis of a panel: fixed, or the data padded by 5% (in log space on
 * a log axis) so lines do not run along the frame. */
static void lp_yaxis(lp *p, int panel)
{
    const render_lineplot_opts *o = p->o;
    int logy = panel ? o->logy2 : o->logy;
    double fmin_ = panel ? o->y2min : o->ymin, fmax_ = panel ? o->y2max : o->ymax;
    double lo, hi;
    if (fmin_ < fmax_ && (!logy || fmin_ > 0)) {
        lo = fmin_;
        hi = fmax_;
    } else if (!lp_yrange(p, panel, logy, &lo, &hi)) {
        lo = logy ? 0.1 : 0;
        hi = 1;
    } else if (logy) {
        double a = log10(lo), b = log10(hi), d = b > a ? 0.05 * (b - a) : 0.5;
        lo = pow(10, a - d);
        hi = pow(10, b + d);
    } else {
        double d = hi > lo ? 0.05 * (hi - lo) : fabs(lo) > 0 ? 0.1 * fabs(lo) : 1;
        lo -= d;
        hi += d;
    }
    p->ya[panel] = (raxis){lo, hi, logy, 0, 0};
}

static void lp_xaxis(lp *p)
{
    const render_lineplot_opts *o = p->o;
    double lo = INFINITY, hi = -INFINITY;
    if (o->xmin < o->xmax) {
        lo = o->xmin;
        hi = o->xmax;
    } else {
        for (int k = 0; k < o->nseries; k++)
            for (int i = 0; i < o->series[k].n; i++) {
                double x = ser_x(&o->series[k], i);
                if (isfinite(x) && isfinite(o->series[k].y[i])) lo = fmin(lo, x), hi = fmax(hi, x);
            }
        for (int r = 0; r < o->nrefs; r++)
            if (o->refs[r].vertical && isfinite(o->refs[r].value))
                lo = fmin(lo, o->refs[r].value), hi = fmax(hi, o->refs[r].value);
        if (!(lo <= hi)) lo = 0, hi = 1;
        if (hi == lo) lo -= 0.5, hi += 0.5;
    }
    p->xa = (raxis){lo, hi, 0, 0, 0};
}

/* Number of series points inside box [x0,x1) x [y0,y1) of a panel. */
static int lp_points_in(const lp *p, int panel, int x0, int y0, int x1, int y1)
{
    int cnt = 0;
    for (int k = 0; k < p->o->nseries; k++) {
        const render_series *s = &p->o->series[k];
        if ((s->panel ? 1 : 0) != panel) continue;
        /* Also count points along each segment: a line through the box
         * is covered even where it has no sample inside. */
        for (int i = 0; i < s->n; i++) {
            double ax = raxis_px(&p->xa, ser_x(s, i)), ay = raxis_px(&p->ya[panel], s->y[i]);
            double bx = ax, by = ay;
            if (i + 1 < s->n) {
                bx = raxis_px(&p->xa, ser_x(s, i + 1));
                by = raxis_px(&p->ya[panel], s->y[i + 1]);
            }
            if (!isfinite(ax + ay)) continue;
            if (!isfinite(bx + by)) bx = ax, by = ay;
            double len = hypot(bx - ax, by - ay);
            int steps = len < 8000 ? (int)(len / 4) + 1 : 2000;
            for (int q = 0; q < steps; q++) {
                double x = ax + (bx - ax) * q / steps, y = ay + (by - ay) * q / steps;
                cnt += x >= x0 && x < x1 && y >= y0 && y < y1;
            }
        }
    }
    /* Reference lines count as data: a legend should not hide them. */
    for (int r = 0; r < p->o->nrefs; r++) {
        const render_refline *rl = &p->o->refs[r];
        if (!rl->vertical && (rl->panel ? 1 : 0) != panel) continue;
        double v = rl->vertical ? raxis_px(&p->xa, rl->value) : raxis_px(&p->ya[panel], rl->value);
        if (!isfinite(v)) continue;
        if (rl->vertical ? (v >= x0 && v < x1) : (v >= y0 && v < y1))
            cnt += rl->vertical ? (y1 - y0) / 4 : (x1 - x0) / 4;
    }
    return cnt;
}

static int lp_seen_before(const lp *p, int k)
{
    const render_series *s = &p->o->series[k];
    for (int j = 0; j < k; j++) {
        const render_series *q = &p->o->series[j];
        if (q->panel != s->panel && q->label && !strcmp(q->label, s->label) &&
            ser_color(p, j).r == ser_color(p, k).r && ser_color(p, j).g == ser_color(p, k).g &&
            ser_color(p, j).b == ser_color(p, k).b && q->dashed == s->dashed)
            return 1;
    }
    return 0;
}

/* Legend entries of a panel: series with labels not already shown. */
static int lp_legend_entry(const lp *p, int k, int panel)
{
    const render_series *s = &p->o->series[k];
    return (s->panel ? 1 : 0) == panel && s->label && *s->label && !lp_seen_before(p, k);
}

/* Band b gets a legend entry (top panel): it has a label no earlier band
 * had. */
static int lp_band_entry(const lp *p, int b)
{
    const char *l = p->o->bands[b].label;
    if (!l || !*l) return 0;
    for (int j = 0; j < b; j++)
        if (p->o->bands[j].label && !strcmp(p->o->bands[j].label, l)) return 0;
    return 1;
}

static render_rgb band_color(const render_band *b)
{
    return b->color ? render_rgb_hex(b->color) : RGB(230, 159, 0);
}

#define BAND_ALPHA 0.22

/* The shaded x ranges of a panel, under the grid and the data. */
static void lp_bands(lp *p, render_image *im, int panel)
{
    render_clip_set(im, p->X0, p->Y0[panel], p->X1, p->Y1[panel]);
    for (int b = 0; b < p->o->nbands; b++) {
        const render_band *bd = &p->o->bands[b];
        double a = raxis_px(&p->xa, bd->x0), e = raxis_px(&p->xa, bd->x1);
        if (!isfinite(a) || !isfinite(e)) continue;
        if (e < a) {
            double t = a;
            a = e;
            e = t;
        }
        /* At least a pixel wide, so a band of one row still shows; the
         * clip keeps it inside the panel. */
        int x0 = (int)floor(a), x1 = (int)ceil(e);
        if (x1 <= x0) x1 = x0 + 1;
        render_rect_fill(im, x0, p->Y0[panel], x1, p->Y1[panel], band_color(bd), BAND_ALPHA);
    }
    render_clip_reset(im);
}

/* Picks the legend's corner (before anything is drawn, so reference line
 * labels can avoid it); a zero-size box when the panel has none. */
static void lp_legend_place(lp *p, int panel)
{
    double sc = p->t.sub;
    int n = 0, tw = 0;
    for (int k = 0; k < p->o->nseries; k++)
        if (lp_legend_entry(p, k, panel)) {
            n++;
            int w = (int)ceil(rtext_w(p->o->series[k].label, sc));
            if (w > tw) tw = w;
        }
    for (int b = 0; panel == 0 && b < p->o->nbands; b++)
        if (lp_band_entry(p, b)) {
            n++;
            int w = (int)ceil(rtext_w(p->o->bands[b].label, sc));
            if (w > tw) tw = w;
        }
    int *b = p->leg[panel];
    b[0] = b[1] = b[2] = b[3] = 0;
    if (!n || p->o->no_legend) return;
    int bw = 8 + 32 + 8 + tw + 10, bh = n * ((int)ceil(sc) + 8) + 8;
    int X0 = p->X0, X1 = p->X1, Y0 = p->Y0[panel], Y1 = p->Y1[panel];
    /* Corners in matplotlib's order of preference, then the middles of the
     * top and bottom edges (a curve with a dip can leave only those free);
     * the first with the least data under it wins. */
    static const int order[6] = {1, 0, 3, 2, 4, 6}; /* bit 0: right, 1: bottom, 2: centred */
    int best = 1, bestc = 1 << 30;
    for (int q = 0; q < 6; q++) {
        int c = order[q];
        int bx = c & 4 ? (X0 + X1 - bw) / 2 : c & 1 ? X1 - 10 - bw : X0 + 10;
        int by = c & 2 ? Y1 - 10 - bh : Y0 + 10;
        int cnt = lp_points_in(p, panel, bx - 4, by - 4, bx + bw + 4, by + bh + 4);
        if (cnt < bestc) bestc = cnt, best = c;
    }
    b[0] = best & 4 ? (X0 + X1 - bw) / 2 : best & 1 ? X1 - 10 - bw : X0 + 10;
    b[1] = best & 2 ? Y1 - 10 - bh : Y0 + 10;
    b[2] = b[0] + bw;
    b[3] = b[1] + bh;
    p->info->legend_x0[panel] = b[0], p->info->legend_y0[panel] = b[1];
    p->info->legend_x1[panel] = b[2], p->info->legend_y1[panel] = b[3];
}

/* Markers grow with thick lines (4x the width), never below 8 px. */
static double lp_marker_px(const render_series *s)
{
    return fabs(s->width) > 2 ? 4 * fabs(s->width) : 8;
}

static void lp_legend_draw(lp *p, render_image *im, int panel)
{
    const int *b = p->leg[panel];
    double sc = p->t.sub;
    int rowh = (int)ceil(sc) + 8, row = 0;
    if (b[2] <= b[0]) return;
    render_rect_fill(im, b[0], b[1], b[2], b[3], RGB(255, 255, 255), 0.88);
    render_rect_frame(im, b[0], b[1], b[2], b[3], RGB(190, 190, 190));
    for (int k = 0; k < p->o->nseries; k++) {
        if (!lp_legend_entry(p, k, panel)) continue;
        const render_series *s = &p->o->series[k];
        render_rgb c = ser_color(p, k);
        double cy = b[1] + 4 + row * rowh + 0.5 * rowh, w = s->width > 0 ? s->width : 2;
        double seg[4] = {b[0] + 8, cy, b[0] + 40, cy};
        if (s->width >= 0 || !s->marker) render_polyline(im, seg, 2, w > 0 ? w : 2, c, 1, s->dashed ? 6 : 0);
        if (s->marker)
            render_marker(im, s->marker, b[0] + 24, cy, lp_marker_px(s), c,
                          RGB(255, 255, 255));
        rtext_draw(im, b[0] + 48, cy, s->label, sc, RENDER_LEFT | RENDER_MIDDLE, 0, RENDER_INK, 0);
        row++;
    }
    for (int k = 0; panel == 0 && k < p->o->nbands; k++) {
        if (!lp_band_entry(p, k)) continue;
        double cy = b[1] + 4 + row * rowh + 0.5 * rowh;
        /* The swatch over white, as the band looks on the plot. */
        render_rect_fill(im, b[0] + 8, (int)(cy - 0.35 * rowh), b[0] + 40, (int)(cy + 0.35 * rowh),
                         band_color(&p->o->bands[k]), BAND_ALPHA);
        rtext_draw(im, b[0] + 48, cy, p->o->bands[k].label, sc, RENDER_LEFT | RENDER_MIDDLE, 0,
                   RENDER_INK, 0);
        row++;
    }
}

/* Pixel position of reference line r in a panel: x for vertical lines,
 * y for horizontal ones (NaN when off a log axis). */
static double lp_ref_px(const lp *p, const render_refline *rl, int panel)
{
    return floor(rl->vertical ? raxis_px(&p->xa, rl->value) : raxis_px(&p->ya[panel], rl->value)) + 0.5;
}

/* The dashed lines, under the data. */
static int lp_ref_lines(lp *p, render_image *im, int panel)
{
    int rc = NN_OK;
    for (int r = 0; r < p->o->nrefs && !rc; r++) {
        const render_refline *rl = &p->o->refs[r];
        if (!rl->vertical && (rl->panel ? 1 : 0) != panel) continue;
        double v = lp_ref_px(p, rl, panel), seg[4] = {v, p->Y0[panel], v, p->Y1[panel]};
        if (!rl->vertical) seg[0] = p->X0, seg[2] = p->X1, seg[1] = seg[3] = v;
        if (!isfinite(v)) continue;
        render_clip_set(im, p->X0, p->Y0[panel], p->X1, p->Y1[panel]);
        rc = render_polyline(im, seg, 2, 1.5, rl->color ? render_rgb_hex(rl->color) : REF_RGB, 0.9, 7);
        render_clip_reset(im);
    }
    return rc;
}

static int box_overlap(const int *a, int x0, int y0, int x1, int y1)
{
    return a[0] < x1 && a[2] > x0 && a[1] < y1 && a[3] > y0;
}

/* Labels beside the lines, over the data: of the spots along the line
 * (either side, at the ends, the quarters and the middle) the first
 * covering the least data, never the legend or an earlier label; a label
 * with no such spot is left out rather than drawn over another. Vertical
 * lines are labelled in the top panel. The boxes go to info. */
static void lp_ref_labels(lp *p, render_image *im, int panel)
{
    double sc = p->t.sub;
    render_lineplot_info *in = p->info;
    int th = (int)ceil(sc);
    static const double at[5] = {1, 0, 0.5, 0.75, 0.25}; /* along the line, from its far end */
    for (int r = 0; r < p->o->nrefs; r++) {
        const render_refline *rl = &p->o->refs[r];
        if (!rl->label || !*rl->label || (rl->vertical ? panel != 0 : (rl->panel ? 1 : 0) != panel))
            continue;
        double v = lp_ref_px(p, rl, panel);
        if (rl->vertical ? !(v >= p->X0 && v <= p->X1) : !(v >= p->Y0[panel] && v <= p->Y1[panel]))
            continue; /* the line is off the panel */
        int tw = (int)ceil(rtext_w(rl->label, sc)), bestc = 1 << 30, bx = 0, by = 0;
        for (int q = 0; q < 10 && bestc > 0; q++) {
            int x, y, side = q & 1;
            double f = at[q / 2];
            if (rl->vertical) {
                x = side ? (int)v - 6 - tw : (int)v + 6;
                y = (int)lround(p->Y0[panel] + 8 + (1 - f) * (p->Y1[panel] - p->Y0[panel] - 16 - th));
            } else {
                x = (int)lround(p->X0 + 8 + f * (p->X1 - p->X0 - 16 - tw));
                y = side ? (int)v + 6 : (int)v - 6 - th;
            }
            if (x < p->X0 + 2 || x + tw > p->X1 - 2 || y < p->Y0[panel] + 2 || y + th > p->Y1[panel] - 2)
                continue;
            int cnt = lp_points_in(p, panel, x - 4, y - 4, x + tw + 4, y + th + 4);
            if (box_overlap(p->leg[panel], x - 2, y - 2, x + tw + 2, y + th + 3)) cnt += 100000;
            for (int b = 0; b < in->nlabels; b++)
                if (box_overlap(in->label_box[b], x - 2, y - 2, x + tw + 2, y + th + 3)) cnt += 100000;
            if (cnt < bestc) bestc = cnt, bx = x, by = y;
        }
        if (bestc >= 100000 || in->nlabels >= RENDER_MAX_REFLABELS) continue;
        render_rgb c = rl->color ? render_rgb_hex(rl->color) : REF_RGB;
        render_rect_fill(im, bx - 2, by - 2, bx + tw + 2, by + th + 3, RGB(255, 255, 255), 0.75);
        rtext_draw(im, bx, by, rl->label, sc, RENDER_LEFT | RENDER_TOP, 0, c, 0);
        int *b = in->label_box[in->nlabels++];
        b[0] = bx - 2, b[1] = by - 2, b[2] = bx + tw + 2, b[3] = by + th + 3;
    }
}

static int lp_series(lp *p, render_image *im, int panel)
{
    const render_lineplot_opts *o = p->o;
    render_clip_set(im, p->X0, p->Y0[panel], p->X1, p->Y1[panel]);
    int rc = NN_OK;
    for (int k = 0; k < o->nseries && !rc; k++) {
        const render_series *s = &o->series[k];
        if ((s->panel ? 1 : 0) != panel || s->n < 1) continue;
        double *xy = malloc((size_t)s->n * 2 * sizeof *xy);
        if (!xy) {
            rc = nn_err(NN_ENOMEM, "lineplot: cannot allocate %d points", s->n);
            break;
        }
        for (int i = 0; i < s->n; i++) {
            xy[2 * i] = raxis_px(&p->xa, ser_x(s, i));
            xy[2 * i + 1] = isfinite(s->y[i]) ? raxis_px(&p->ya[panel], s->y[i]) : NAN;
        }
        render_rgb c = ser_color(p, k);
        if (s->width >= 0 || !s->marker)
            rc = render_polyline(im, xy, s->n, s->width > 0 ? s->width : 2, c, 1, s->dashed ? 8 : 0);
        if (s->marker)
            for (int i = 0; i < s->n; i++)
                if (isfinite(xy[2 * i] + xy[2 * i + 1]))
                    render_marker(im, s->marker, xy[2 * i], xy[2 * i + 1],
                                  lp_marker_px(s), c, RGB(255, 255, 255));
        free(xy);
    }
    render_clip_reset(im);
    return rc;
}

/* Light grid lines at the ticks, under the data. */
static void lp_grid(lp *p, render_image *im, int panel)
{
    double v[RTICKS_MAX], step;
    int n = raxis_ticks(&p->ya[panel], 5, v, RTICKS_MAX, &step);
    for (int i = 0; i < n; i++) {
        double y = floor(raxis_px(&p->ya[panel], v[i])) + 0.5;
        render_line(im, p->X0, y, p->X1, y, 1, GRID_RGB, 1);
    }
    int target = (p->X1 - p->X0) / 90;
    n = raxis_ticks(&p->xa, target > 8 ? 8 : target < 2 ? 2 : target, v, RTICKS_MAX, &step);
    for (int i = 0; i < n; i++) {
        double x = floor(raxis_px(&p->xa, v[i])) + 0.5;
        render_line(im, x, p->Y0[panel], x, p->Y1[panel], 1, GRID_RGB, 1);
    }
}

int render_lineplot_as(render_image *im, const render_target *target, const render_lineplot_opts *o,
                       render_lineplot_info *info)
{
    render_lineplot_info scratch;
    if (!info) info = &scratch;
    memset(info, 0, sizeof *info);
    memset(im, 0, sizeof *im);
    if (!o || o->nseries < 0 || (o->nseries && !o->series) || o->nrefs < 0 || (o->nrefs && !o->refs) ||
        o->nbands < 0 || (o->nbands && !o->bands))
        return nn_err(NN_EINVAL, "lineplot: series, reference lines or bands given without their array");
    for (int k = 0; k < o->nseries; k++)
        if (o->series[k].n < 0 || (o->series[k].n && !o->series[k].y))
            return nn_err(NN_EINVAL, "lineplot: series %d has no y values", k);
    int W = o->width > 0 ? o->width : 800, H = o->height > 0 ? o->height : 520;
    lp p;
    memset(&p, 0, sizeof p);
    p.o = o;
    p.info = info;
    p.np = 1;
    p.t = rtheme_for(W, H);
    for (int k = 0; k < o->nseries; k++)
        if (o->series[k].panel) p.np = 2;
    int rc = render_image_init_as(im, W, H, RGB(255, 255, 255), target);
    if (rc) return rc;
    const rtheme *t = &p.t;
    lp_xaxis(&p);
    for (int q = 0; q < p.np; q++) lp_yaxis(&p, q);
    /* Margins from measured text. */
    int m = 14, top = m, bottom = m, left = m, right = m + 20;
    top += rdraw_titles(NULL, o->title, o->subtitle, 0.5 * W, W, top, t) + 10;
    bottom += t->ticklen + t->pad + (int)ceil(t->tick);
    if (o->xlabel && *o->xlabel) bottom += 2 * t->pad + (int)ceil(t->label);
    int ylw = 0;
    for (int q = 0; q < p.np; q++) {
        int w = ryticks_width(&p.ya[q], 5, t);
        if (w > ylw) ylw = w;
    }
    left += t->ticklen + t->pad + ylw;
    if ((o->ylabel && *o->ylabel) || (p.np > 1 && o->ylabel2 && *o->ylabel2))
        left += 2 * t->pad + (int)ceil(t->label);
    p.X0 = left;
    p.X1 = W - right;
    int gap = 14, ph = H - top - bottom - (p.np > 1 ? gap : 0);
    if (p.X1 - p.X0 < 16 || ph < 16) {
        render_image_free(im);
        return nn_err(NN_EINVAL, "lineplot: %dx%d is too small for its labels", W, H);
    }
    double frac = o->panel2_frac > 0 && o->panel2_frac < 0.9 ? o->panel2_frac : 0.35;
    int h2 = p.np > 1 ? (int)lround(ph * frac) : 0;
    p.Y0[0] = top;
    p.Y1[0] = top + ph - h2;
    p.Y0[1] = p.Y1[0] + gap;
    p.Y1[1] = p.Y0[1] + h2;
    p.xa.p0 = p.X0;
    p.xa.p1 = p.X1;
    for (int q = 0; q < p.np; q++) {
        p.ya[q].p0 = p.Y1[q];
        p.ya[q].p1 = p.Y0[q];
        lp_bands(&p, im, q);
        lp_grid(&p, im, q);
        lp_legend_place(&p, q);
        if ((rc = lp_ref_lines(&p, im, q)) || (rc = lp_series(&p, im, q))) goto fail;
        lp_ref_labels(&p, im, q);
        render_rect_frame(im, p.X0 - 1, p.Y0[q] - 1, p.X1 + 1, p.Y1[q] + 1, RENDER_INK);
        int below = rdraw_xticks(im, &p.xa, p.Y1[q] + 1, q == p.np - 1, t);
        int w = rdraw_yticks(im, &p.ya[q], p.X0 - 1, -1, 5, t);
        (void)w;
        const char *yl = q ? o->ylabel2 : o->ylabel;
        if (yl && *yl)
            rc = rtext_draw(im, p.X0 - 1 - t->ticklen - t->pad - ylw - 2 * t->pad,
                            0.5 * (p.Y0[q] + p.Y1[q]), yl, rtext_fit(yl, t->label, p.Y1[q] - p.Y0[q]),
                            RENDER_RIGHT | RENDER_MIDDLE, 90, RENDER_INK, 0);
        if (!rc && q == p.np - 1 && o->xlabel && *o->xlabel)
            rc = rtext_draw(im, 0.5 * (p.X0 + p.X1), p.Y1[q] + 1 + below + 2 * t->pad, o->xlabel,
                            rtext_fit(o->xlabel, t->label, W - 28), RENDER_CENTER | RENDER_TOP, 0,
                            RENDER_INK, 0);
        if (rc) goto fail;
        lp_legend_draw(&p, im, q);
        info->panel_y0[q] = p.Y0[q];
        info->panel_y1[q] = p.Y1[q];
        info->ylo[q] = p.ya[q].lo;
        info->yhi[q] = p.ya[q].hi;
    }
    int used = rdraw_titles(im, o->title, o->subtitle, 0.5 * (p.X0 + p.X1), W, m, t);
    if (used < 0) {
        rc = -used;
        goto fail;
    }
    info->npanels = p.np;
    info->plot_x0 = p.X0;
    info->plot_x1 = p.X1;
    info->xlo = p.xa.lo;
    info->xhi = p.xa.hi;
    return NN_OK;
fail:
    render_image_free(im);
    return rc;
}

int render_lineplot(render_image *im, const render_lineplot_opts *o, render_lineplot_info *info)
{
    return render_lineplot_as(im, NULL, o, info);
}

int render_lineplot_write(const char *path, const render_target *t, const render_lineplot_opts *o,
                          render_lineplot_info *info)
{
    render_image im;
    int rc = render_lineplot_as(&im, t, o, info);
    if (rc) return rc;
    rc = render_image_write(path, &im);
    render_image_free(&im);
    return rc;
}

int render_lineplot_png(const char *path, const render_lineplot_opts *o,
                        render_lineplot_info *info)
{
    return render_lineplot_write(path, NULL, o, info);
}
