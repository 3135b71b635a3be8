/* The heatmap figure: a surface z[ny][nx] interpolated bilinearly to pixels,
 * contours, a colorbar, axes, the grid minimum, trajectories and labelled
 * points. Everything is placed from measured text sizes, so nothing clips. */
#include "render_priv.h"

#include <cairo.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../datasets/status.h"

#define NAN_BASE RGB(168, 168, 168)
#define NAN_HATCH RGB(196, 196, 196)

/* Everything the drawing steps share. */
typedef struct {
    const double *z;
    int nx, ny;
    double x0, x1, y0, y1;
    const render_heatmap_opts *o;
    render_heatmap_info *info;
    double *s;         /* [ny][nx] values in color scale (log10 when log), NaN = missing */
    double smin, smax; /* color range in scale units */
    int X0, Y0, X1, Y1;   /* plot area */
    int CX0, CY0, CX1, CY1; /* colorbar gradient */
    rtheme t;
    int nbar;             /* contour levels to mark on the colorbar */
    double bar_y[64];
    int bar_dark[64];
} hm;

static double hm_scale(const hm *h, double v)
{
    if (isnan(v)) return NAN;
    if (!h->o->log_scale) return v;
    return log10(v > h->info->log_floor ? v : h->info->log_floor);
}

/* Statistics, the log floor and the color range. */
static void hm_range(hm *h)
{
    render_heatmap_info *in = h->info;
    const render_heatmap_opts *o = h->o;
    double zmax = -INFINITY, minpos = INFINITY;
    in->zmin = NAN;
    in->imin = in->jmin = -1;
    for (int j = 0; j < h->ny; j++)
        for (int i = 0; i < h->nx; i++) {
            double v = h->z[(size_t)j * (size_t)h->nx + (size_t)i];
            if (isnan(v)) {
                in->nnan++;
                continue;
            }
            if (!isfinite(v)) continue; /* inf: drawn at the range's end, never the range */
            if (!(v >= in->zmin)) {
                in->zmin = v;
                in->imin = i;
                in->jmin = j;
            }
            if (v > zmax) zmax = v;
            if (v > 0 && v < minpos) minpos = v;
        }
    int fixed = o->vmin < o->vmax;
    double lo = fixed || o->vmin_set ? o->vmin : in->zmin, hi = fixed || o->vmax_set ? o->vmax : zmax;
    if (isnan(in->zmin) && !fixed) { /* nothing computed yet */
        if (!o->vmin_set) lo = o->vmax_set ? hi - 1 : 0;
        if (!o->vmax_set) hi = lo + 1;
    }
    if (o->log_scale) {
        /* Values <= 0 have no logarithm: they are shown at a floor, the
         * smallest positive value (or the fixed vmin), and counted. */
        in->log_floor = fixed && o->vmin > 0 ? o->vmin : isfinite(minpos) ? minpos : 1e-12;
        if (!(hi > 0)) hi = in->log_floor * 10;
        if (!(lo > 0)) lo = in->log_floor;
        for (size_t k = 0; k < (size_t)h->nx * (size_t)h->ny; k++)
            if (h->z[k] <= 0) in->nclamped++;
    }
    if (!(hi > lo)) { /* a flat surface still gets a readable bar */
        double d = o->log_scale ? lo : fabs(lo) > 0 ? 0.1 * fabs(lo) : 1;
        if (o->log_scale) hi = lo * 10;
        else lo -= d, hi += d;
    }
    in->vmin = lo;
    in->vmax = hi;
    h->smin = o->log_scale ? log10(lo) : lo;
    h->smax = o->log_scale ? log10(hi) : hi;
    char *p = in->note;
    size_t cap = sizeof in->note;
    int k = 0;
    if (in->nclamped)
        k += snprintf(p + k, cap - (size_t)k, "log scale: %zu values <= 0 drawn at %.3g; ",
                      in->nclamped, in->log_floor);
    if (in->nnan && k < (int)cap)
        k += snprintf(p + k, cap - (size_t)k, "%zu of %d cells not computed (gray); ", in->nnan,
                      h->nx * h->ny);
    if (k >= 2 && k < (int)cap) p[k - 2] = 0;
}

static double hm_t(const hm *h, double s)
{
    return (s - h->smin) / (h->smax - h->smin);
}

/* Bilinear value at fractional grid position (gx, gy); NaN when the
 * nearest grid point is missing, else missing corners are left out. */
static double hm_sample(const hm *h, double gx, double gy)
{
    int i = (int)floor(gx), j = (int)floor(gy);
    if (i > h->nx - 2) i = h->nx - 2;
    if (j > h->ny - 2) j = h->ny - 2;
    if (i < 0) i = 0;
    if (j < 0) j = 0;
    double fx = gx - i, fy = gy - j;
    const double *r0 = h->s + (size_t)j * (size_t)h->nx + (size_t)i, *r1 = r0 + h->nx;
    double c[4] = {r0[0], r0[1], r1[0], r1[1]};
    double w[4] = {(1 - fx) * (1 - fy), fx * (1 - fy), (1 - fx) * fy, fx * fy};
    int near = (fx >= 0.5) + 2 * (fy >= 0.5);
    if (isnan(c[near])) return NAN;
    double sum = 0, ws = 0;
    for (int k = 0; k < 4; k++)
        if (!isnan(c[k])) {
            sum += w[k] * c[k];
            ws += w[k];
        }
    return sum / ws;
}

/* Paints w x h pixels of colors at (x, y): an image in every format, so
 * an SVG or a PDF embeds the color field rather than a rectangle per
 * pixel. fill(ctx, px, py) gives pixel (px, py)'s color. */
static int paint_field(render_image *im, int x, int y, int w, int h,
                       render_rgb (*fill)(const hm *, int, int), const hm *ctx)
{
    if (w < 1 || h < 1) return NN_OK;
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    if (cairo_surface_status(s)) {
        cairo_surface_destroy(s);
        return nn_err(NN_ENOMEM, "heatmap: cannot allocate a %dx%d color field", w, h);
    }
    cairo_surface_flush(s);
    uint8_t *data = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s);
    for (int py = 0; py < h; py++)
        for (int px = 0; px < w; px++) {
            render_rgb c = fill(ctx, px, py);
            uint32_t v = (uint32_t)c.r << 16 | (uint32_t)c.g << 8 | c.b;
            memcpy(data + (size_t)py * (size_t)stride + (size_t)px * 4, &v, 4);
        }
    cairo_surface_mark_dirty(s);
    cairo_save(im->cr);
    cairo_rectangle(im->cr, x, y, w, h);
    cairo_clip(im->cr);
    cairo_set_source_surface(im->cr, s, x, y);
    /* Nearest: one field pixel is one figure pixel, crisp at any dpi. */
    cairo_pattern_set_filter(cairo_get_source(im->cr), CAIRO_FILTER_NEAREST);
    cairo_paint(im->cr);
    cairo_restore(im->cr);
    cairo_surface_destroy(s);
    return NN_OK;
}

static render_rgb field_px(const hm *h, int x, int y)
{
    int pw = h->X1 - h->X0, ph = h->Y1 - h->Y0;
    double gy = (ph - y - 0.5) / ph * (h->ny - 1), gx = (x + 0.5) / pw * (h->nx - 1);
    double s = hm_sample(h, gx, gy);
    if (isnan(s)) /* not computed: gray with a faint hatch */
        return ((x + h->X0 + y + h->Y0) % 8) < 2 ? NAN_HATCH : NAN_BASE;
    return render_cmap(h->o->cmap, hm_t(h, s));
}

/* The colorbar: bottom row is exactly the low end of the map, top row
 * the high end. */
static render_rgb cbar_px(const hm *h, int x, int y)
{
    (void)x;
    return render_cmap(h->o->cmap, (double)(h->CY1 - h->CY0 - 1 - y) / (h->CY1 - h->CY0 - 1));
}

static double lum(render_rgb c) { return (0.299 * c.r + 0.587 * c.g + 0.114 * c.b) / 255; }

/* Grid coordinates -> pixels. */
static double gx_px(const hm *h, double gx) { return h->X0 + gx / (h->nx - 1) * (h->X1 - h->X0); }
static double gy_px(const hm *h, double gy) { return h->Y1 - gy / (h->ny - 1) * (h->Y1 - h->Y0); }
/* Data coordinates -> pixels. */
static double dx_px(const hm *h, double x) { return h->X0 + (x - h->x0) / (h->x1 - h->x0) * (h->X1 - h->X0); }
static double dy_px(const hm *h, double y) { return h->Y1 - (y - h->y0) / (h->y1 - h->y0) * (h->Y1 - h->Y0); }

/* Contours at explicit or evenly spaced levels, white over dark colors and
 * black over light ones, each color blended once; also marked on the bar. */
static int hm_contours(hm *h, render_image *im)
{
    const render_heatmap_opts *o = h->o;
    int n = o->levels && o->nlevels > 0 ? o->nlevels : o->ncontours == 0 ? 8 : o->ncontours;
    if (n <= 0) return NN_OK;
    if (n > 64) n = 64;
    int rc = NN_OK;
    /* Contours of the bilinear surface the colors show: refine the grid
     * bilinearly so segments are a few pixels long and follow its curves
     * inside each cell (plain marching squares would cut them straight). */
    int rx = (h->X1 - h->X0) / (h->nx - 1) / 4, ry = (h->Y1 - h->Y0) / (h->ny - 1) / 4;
    rx = rx < 1 ? 1 : rx > 8 ? 8 : rx;
    ry = ry < 1 ? 1 : ry > 8 ? 8 : ry;
    int fx = (h->nx - 1) * rx + 1, fy = (h->ny - 1) * ry + 1;
    double *fine = h->s;
    if (rx > 1 || ry > 1) {
        fine = malloc((size_t)fx * (size_t)fy * sizeof *fine);
        if (!fine) return nn_err(NN_ENOMEM, "heatmap: cannot allocate a %dx%d contour grid", fx, fy);
        for (int j = 0; j < fy; j++)
            for (int i = 0; i < fx; i++) {
                int ci = i / rx < h->nx - 1 ? i / rx : h->nx - 2, cj = j / ry < h->ny - 1 ? j / ry : h->ny - 2;
                double u = (double)i / rx - ci, v = (double)j / ry - cj;
                const double *a = h->s + (size_t)cj * (size_t)h->nx + (size_t)ci, *b = a + h->nx;
                fine[(size_t)j * (size_t)fx + (size_t)i] = (1 - v) * ((1 - u) * a[0] + u * a[1]) +
                                                           v * ((1 - u) * b[0] + u * b[1]);
            }
    }
    /* Two paths, white over dark colors then black over light ones, each
     * stroked once so that crossings do not darken. */
    render_clip_set(im, h->X0, h->Y0, h->X1, h->Y1);
    for (int pass = 0; pass < 2 && !rc; pass++) {
        cairo_new_path(im->cr);
        for (int k = 0; k < n; k++) {
            double lev = o->levels && o->nlevels > 0
                             ? hm_scale(h, o->levels[k])
                             : h->smin + (k + 1) * (h->smax - h->smin) / (n + 1);
            if (!(lev > h->smin && lev < h->smax)) continue;
            int dark = lum(render_cmap(o->cmap, hm_t(h, lev))) < 0.45;
            if (dark != (pass == 0)) continue;
            render_seg *seg;
            size_t ns;
            if ((rc = render_contour(fine, fx, fy, lev, &seg, &ns))) break;
            for (size_t q = 0; q < ns; q++) {
                cairo_move_to(im->cr, gx_px(h, seg[q].x0 / rx), gy_px(h, seg[q].y0 / ry));
                cairo_line_to(im->cr, gx_px(h, seg[q].x1 / rx), gy_px(h, seg[q].y1 / ry));
            }
            free(seg);
            h->info->nlevels++;
            if (h->nbar < 64) { /* the level as a line across the colorbar, later */
                h->bar_y[h->nbar] = h->CY1 - 0.5 - hm_t(h, lev) * (h->CY1 - h->CY0 - 1);
                h->bar_dark[h->nbar++] = dark;
            }
        }
        cairo_set_line_width(im->cr, 1.1);
        cairo_set_line_cap(im->cr, CAIRO_LINE_CAP_ROUND);
        cairo_set_line_join(im->cr, CAIRO_LINE_JOIN_ROUND);
        rset_color(im, pass ? RGB(0, 0, 0) : RGB(255, 255, 255), pass ? 0.5 : 0.6);
        cairo_stroke(im->cr);
    }
    render_clip_reset(im);
    for (int k = 0; k < h->nbar; k++)
        render_line(im, h->CX0, h->bar_y[k], h->CX1, h->bar_y[k], 1.2,
                    h->bar_dark[k] ? RGB(255, 255, 255) : RGB(0, 0, 0), 0.8);
    if (fine != h->s) free(fine);
    render_clip_reset(im);
    return rc;
}

/* Trajectories: a dark underlay so a light line shows on light colors,
 * dots at the points (thinned when dense), a ring at the start and a
 * filled square at the end. */
static int hm_paths(hm *h, render_image *im)
{
    int rc = NN_OK;
    for (int p = 0; p < h->o->npaths && !rc; p++) {
        const render_path *pa = &h->o->paths[p];
        if (!pa->xy || pa->n < 1) continue;
        render_rgb c = pa->color ? render_rgb_hex(pa->color) : RGB(255, 255, 255);
        render_rgb edge = lum(c) > 0.5 ? RGB(20, 20, 20) : RGB(255, 255, 255);
        double *px = malloc((size_t)pa->n * 2 * sizeof *px);
        if (!px) return nn_err(NN_ENOMEM, "heatmap: cannot allocate a path of %d points", pa->n);
        for (int i = 0; i < pa->n; i++) {
            px[2 * i] = dx_px(h, pa->xy[2 * i]);
            px[2 * i + 1] = dy_px(h, pa->xy[2 * i + 1]);
        }
        render_clip_set(im, h->X0, h->Y0, h->X1, h->Y1);
        rc = render_polyline(im, px, pa->n, 4.0, edge, 0.45, 0);
        if (!rc) rc = render_polyline(im, px, pa->n, 2.0, c, 1, 0);
        int every = pa->n > 60 ? (pa->n + 59) / 60 : 1;
        for (int i = 1; !rc && i + 1 < pa->n; i += every)
            render_marker(im, RENDER_MARK_DOT, px[2 * i], px[2 * i + 1], 5.5, c, edge);
        if (!rc) {
            render_marker(im, RENDER_MARK_CIRCLE, px[0], px[1], 13, c, edge);
            if (pa->n > 1)
                render_marker(im, RENDER_MARK_SQUARE, px[2 * pa->n - 2], px[2 * pa->n - 1], 11, c,
                              edge);
        }
        render_clip_reset(im);
        free(px);
    }
    return rc;
}

static int box_hits(const int *a, const int *b)
{
    return a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];
}

/* Points with labels on a translucent white patch so they read on any
 * color. All markers are drawn first; then each label takes the first of
 * the spots around its marker (eight, then rings further out) that stays in the plot and covers no
 * marker, path or label placed before it (the least crowded one when none
 * is free). The boxes are reported in info. */
/* What a label at box b would hide besides the marks: the origin's + and
 * the grid minimum's star when drawn, and the paths (their points and
 * the lines between them, sampled every few pixels). */
static int hm_covered(const hm *h, const int *b, int origin_drawn, int min_drawn)
{
    int cnt = 0;
    if (origin_drawn) {
        int ob[4] = {(int)dx_px(h, 0) - 8, (int)dy_px(h, 0) - 8, (int)dx_px(h, 0) + 8, (int)dy_px(h, 0) + 8};
        cnt += box_hits(b, ob);
    }
    if (min_drawn) {
        double mx = gx_px(h, h->info->imin), my = gy_px(h, h->info->jmin);
        int mb[4] = {(int)mx - 10, (int)my - 10, (int)mx + 10, (int)my + 10};
        cnt += box_hits(b, mb);
    }
    for (int p = 0; p < h->o->npaths; p++) {
        const render_path *pa = &h->o->paths[p];
        for (int i = 0; pa->xy && i < pa->n; i++) {
            double ax = dx_px(h, pa->xy[2 * i]), ay = dy_px(h, pa->xy[2 * i + 1]), bx = ax, by = ay;
            if (i + 1 < pa->n) bx = dx_px(h, pa->xy[2 * i + 2]), by = dy_px(h, pa->xy[2 * i + 3]);
            if (!isfinite(ax + ay)) continue;
            if (!isfinite(bx + by)) bx = ax, by = ay;
            double len = hypot(bx - ax, by - ay);
            int steps = len < 4000 ? (int)(len / 3) + 1 : 1333, hit = 0;
            for (int q = 0; q < steps && !hit; q++) {
                double x = ax + (bx - ax) * q / steps, y = ay + (by - ay) * q / steps;
                hit = x >= b[0] - 3 && x < b[2] + 3 && y >= b[1] - 3 && y < b[3] + 3;
            }
            cnt += hit;
        }
    }
    return cnt;
}

static void hm_marks(hm *h, render_image *im, int origin_drawn, int min_drawn)
{
    int nm = h->o->nmarks, placed = 0;
    double sc = h->t.sub;
    for (int k = 0; k < nm; k++) {
        const render_mark *m = &h->o->marks[k];
        double x = dx_px(h, m->x), y = dy_px(h, m->y);
        if (!(x > h->X0 - 20 && x < h->X1 + 20 && y > h->Y0 - 20 && y < h->Y1 + 20)) continue;
        render_rgb fill = m->color ? render_rgb_hex(m->color) : RGB(255, 255, 255);
        render_marker(im, m->kind ? m->kind : RENDER_MARK_DIAMOND, x, y, 13, fill, RGB(0, 0, 0));
    }
    for (int k = 0; k < nm; k++) {
        const render_mark *m = &h->o->marks[k];
        double x = dx_px(h, m->x), y = dy_px(h, m->y);
        if (!(x > h->X0 - 20 && x < h->X1 + 20 && y > h->Y0 - 20 && y < h->Y1 + 20)) continue;
        if (!m->label || !*m->label) continue;
        int tw = (int)ceil(rtext_w(m->label, sc)), th = (int)ceil(sc);
        /* right, left, above, below, then the diagonals */
        static const int dxs[8] = {1, -1, 0, 0, 1, -1, 1, -1}, dys[8] = {0, 0, -1, 1, -1, -1, 1, 1};
        int best[4] = {0}, bestc = 1 << 30;
        /* Rings further out when the near spots are all taken. */
        for (int c = 0; c < 32 && bestc > 0; c++) {
            int d = 10 + 20 * (c / 8), e = c / 8 * (th + 4);
            int left = dxs[c % 8] > 0 ? (int)x + d : dxs[c % 8] < 0 ? (int)x - d - tw : (int)(x - 0.5 * tw);
            int top = dys[c % 8] < 0 ? (int)y - 10 - e - th : dys[c % 8] > 0 ? (int)y + 10 + e
                                                                            : (int)(y - 0.5 * th);
            int b[4] = {left - 3, top - 2, left + tw + 3, top + th + 2}, cost = 0;
            if (b[0] < h->X0 || b[2] > h->X1 || b[1] < h->Y0 || b[3] > h->Y1) cost += 1000;
            for (int q = 0; q < placed && q < RENDER_MAX_LABELS; q++)
                cost += 100 * box_hits(b, h->info->label_box[q]);
            for (int q = 0; q < nm; q++) {
                double mx = dx_px(h, h->o->marks[q].x), my = dy_px(h, h->o->marks[q].y);
                int mb[4] = {(int)mx - 7, (int)my - 7, (int)mx + 7, (int)my + 7};
                cost += 10 * box_hits(b, mb);
            }
            cost += 10 * hm_covered(h, b, origin_drawn, min_drawn);
            if (cost < bestc) {
                bestc = cost;
                memcpy(best, b, sizeof best);
            }
        }
        render_rect_fill(im, best[0], best[1], best[2], best[3], RGB(255, 255, 255), 0.7);
        rtext_draw(im, best[0] + 3, best[1] + 2, m->label, sc, RENDER_LEFT | RENDER_TOP, 0, RENDER_INK, 0);
        if (placed < RENDER_MAX_LABELS) memcpy(h->info->label_box[placed], best, sizeof best);
        placed++;
    }
    h->info->nlabels = placed < RENDER_MAX_LABELS ? placed : RENDER_MAX_LABELS;
}

/* A legend of labelled paths in the plot corner their points avoid most. */
static void hm_legend(hm *h, render_image *im, int min_drawn, int origin_drawn)
{
    /* Entries: the labelled paths, then what the markers mean. */
    enum { MAXE = 34 };
    const char *lab[MAXE];
    int path_of[MAXE], mark_of[MAXE], n = 0, tw = 0;
    double sc = h->t.sub;
    for (int p = 0; p < h->o->npaths && n < MAXE - 4; p++)
        if (h->o->paths[p].label && *h->o->paths[p].label)
            lab[n] = h->o->paths[p].label, path_of[n] = p, mark_of[n++] = 0;
    /* A path's ring and square: where it starts and ends. */
    int ends = 0;
    for (int p = 0; p < h->o->npaths; p++) ends |= h->o->paths[p].xy && h->o->paths[p].n > 1;
    if (ends) {
        lab[n] = "start", path_of[n] = -1, mark_of[n++] = RENDER_MARK_CIRCLE;
        lab[n] = "end", path_of[n] = -1, mark_of[n++] = RENDER_MARK_SQUARE;
    }
    if (origin_drawn) lab[n] = h->o->origin_label, path_of[n] = -1, mark_of[n++] = RENDER_MARK_PLUS;
    if (min_drawn) lab[n] = "grid minimum", path_of[n] = -1, mark_of[n++] = RENDER_MARK_STAR;
    for (int e = 0; e < n; e++) {
        int w = (int)ceil(rtext_w(lab[e], sc));
        if (w > tw) tw = w;
    }
    h->info->nlegend = n;
    if (!n) return;
    int rowh = (int)ceil(sc) + 8, bw = 28 + 8 + tw + 16, bh = n * rowh + 10, best = -1, bestc = 1 << 30;
    for (int corner = 0; corner < 4; corner++) {
        int bx = corner & 1 ? h->X1 - 8 - bw : h->X0 + 8, by = corner & 2 ? h->Y1 - 8 - bh : h->Y0 + 8;
        int cnt = 0;
        for (int p = 0; p < h->o->npaths; p++)
            for (int i = 0; i < h->o->paths[p].n; i++) {
                double x = dx_px(h, h->o->paths[p].xy[2 * i]), y = dy_px(h, h->o->paths[p].xy[2 * i + 1]);
                cnt += x >= bx - 6 && x < bx + bw + 6 && y >= by - 6 && y < by + bh + 6;
            }
        for (int m = 0; m < h->o->nmarks; m++) {
            double x = dx_px(h, h->o->marks[m].x), y = dy_px(h, h->o->marks[m].y);
            cnt += 20 * (x >= bx - 12 && x < bx + bw + 12 && y >= by - 12 && y < by + bh + 12);
        }
        if (min_drawn) {
            double x = gx_px(h, h->info->imin), y = gy_px(h, h->info->jmin);
            cnt += 50 * (x >= bx - 12 && x < bx + bw + 12 && y >= by - 12 && y < by + bh + 12);
        }
        if (origin_drawn) {
            double x = dx_px(h, 0), y = dy_px(h, 0);
            cnt += 50 * (x >= bx - 12 && x < bx + bw + 12 && y >= by - 12 && y < by + bh + 12);
        }
        if (cnt < bestc) bestc = cnt, best = corner;
    }
    int bx = best & 1 ? h->X1 - 8 - bw : h->X0 + 8, by = best & 2 ? h->Y1 - 8 - bh : h->Y0 + 8;
    render_rect_fill(im, bx, by, bx + bw, by + bh, RGB(255, 255, 255), 0.85);
    render_rect_frame(im, bx, by, bx + bw, by + bh, RGB(160, 160, 160));
    for (int e = 0; e < n; e++) {
        double cy = by + 5 + e * rowh + 0.5 * rowh;
        if (path_of[e] >= 0) {
            const render_path *pa = &h->o->paths[path_of[e]];
            render_rgb c = pa->color ? render_rgb_hex(pa->color) : RGB(255, 255, 255);
            render_rgb edge = lum(c) > 0.5 ? RGB(20, 20, 20) : RGB(255, 255, 255);
            render_line(im, bx + 8, cy, bx + 36, cy, 4, edge, 0.45);
            render_line(im, bx + 8, cy, bx + 36, cy, 2, c, 1);
            render_marker(im, RENDER_MARK_DOT, bx + 22, cy, 5.5, c, edge);
        } else { /* a marker alone, no line: it is a point, not a path */
            render_marker(im, mark_of[e], bx + 22, cy, mark_of[e] == RENDER_MARK_STAR ? 17 : 13,
                          RGB(255, 255, 255), RGB(0, 0, 0));
        }
        rtext_draw(im, bx + 44, cy, lab[e], sc, RENDER_LEFT | RENDER_MIDDLE, 0, RENDER_INK, 0);
    }
}

/* A map of one value carries no information in its colors: the note
 * says in words what it shows, on a patch in the middle of the plot. */
static int hm_flat_note(hm *h, render_image *im)
{
    const char *note = h->o->flat_note;
    if (!note || !*note || isnan(h->info->zmin)) return NN_OK;
    for (size_t k = 0; k < (size_t)h->nx * (size_t)h->ny; k++)
        if (!isnan(h->z[k]) && h->z[k] != h->info->zmin) return NN_OK;
    char lines[3][256];
    double px = h->t.label, lh = ceil(1.3 * px);
    int n = rtext_wrap(note, px, 1, h->X1 - h->X0 - 40, lines, 3);
    if (n > 3) {
        n = 1;
        snprintf(lines[0], 256, "%s", note);
    }
    double w = 0;
    for (int i = 0; i < n; i++) w = fmax(w, rtext_w_bold(lines[i], px, 1));
    double cx = 0.5 * (h->X0 + h->X1), cy = 0.5 * (h->Y0 + h->Y1), bh = n * lh;
    render_rect_fill(im, (int)(cx - 0.5 * w - 12), (int)(cy - 0.5 * bh - 8), (int)(cx + 0.5 * w + 12),
                     (int)(cy + 0.5 * bh + 8), RGB(255, 255, 255), 0.9);
    render_rect_frame(im, (int)(cx - 0.5 * w - 12), (int)(cy - 0.5 * bh - 8), (int)(cx + 0.5 * w + 12),
                      (int)(cy + 0.5 * bh + 8), RGB(120, 120, 120));
    int rc = NN_OK;
    for (int i = 0; i < n && !rc; i++)
        rc = rtext_draw(im, cx, cy - 0.5 * bh + i * lh + 0.5 * (lh - px), lines[i], px,
                        RENDER_CENTER | RENDER_TOP, 0, RENDER_INK, 1);
    return rc;
}

/* Places plot, colorbar and texts from their measured sizes. */
static void hm_layout(hm *h, int W, int H)
{
    const render_heatmap_opts *o = h->o;
    rtheme *t = &h->t;
    int m = 14, top = m, bottom = m, left = m, right = m;
    top += rdraw_titles(NULL, o->title, o->subtitle, 0.5 * W, W, top, t) + 10;
    bottom += t->ticklen + t->pad + (int)ceil(t->tick);
    /* Room for an axis title, which also says when the plot is stretched. */
    bottom += 2 * t->pad + (int)ceil(t->label);
    raxis ya = {h->y0, h->y1, 0, H - bottom, top};
    raxis ca = {h->info->vmin, h->info->vmax, o->log_scale, H - bottom, top};
    left += t->ticklen + t->pad + ryticks_width(&ya, 6, t);
    if (o->ylabel && *o->ylabel) left += 2 * t->pad + (int)ceil(t->label);
    int cbw = W >= 560 ? 20 : 12, gap = W >= 560 ? 22 : 12;
    right += gap + cbw + t->ticklen + t->pad + ryticks_width(&ca, 5, t);
    if (o->zlabel && *o->zlabel) right += 2 * t->pad + (int)ceil(t->label);
    int aw = W - left - right, ah = H - top - bottom;
    if (aw < 16) aw = 16;
    if (ah < 16) ah = 16;
    int pw = aw, ph = ah;
    if (!o->stretch) { /* one data unit is as long across as up */
        double r = fabs((h->y1 - h->y0) / (h->x1 - h->x0));
        double fill = aw * r <= ah ? aw * r / ah : ah / r / aw;
        /* ...unless that leaves most of the picture empty (a path along a
         * thin band): then the plot fills the area and says so. */
        if (fill >= 0.6 && aw * r <= ah) ph = (int)lround(aw * r);
        else if (fill >= 0.6) pw = (int)lround(ah / r);
        else h->info->stretched = 1;
    }
    h->X0 = left + (aw - pw) / 2;
    h->X1 = h->X0 + pw;
    h->Y0 = top + (ah - ph) / 2;
    h->Y1 = h->Y0 + ph;
    h->CX0 = h->X1 + gap;
    h->CX1 = h->CX0 + cbw;
    h->CY0 = h->Y0;
    h->CY1 = h->Y1;
}

static int hm_texts(hm *h, render_image *im, int W)
{
    double cx = 0.5 * (h->X0 + h->CX1); /* titles centre on the plot and its bar */
    int used = rdraw_titles(im, h->o->title, h->o->subtitle, cx, W, 14, &h->t);
    return used < 0 ? -used : NN_OK;
}

int render_heatmap_as(render_image *im, const render_target *target, const double *z, int nx,
                      int ny, double x0, double x1, double y0, double y1,
                      const render_heatmap_opts *opts, render_heatmap_info *info)
{
    render_heatmap_opts defaults = {0};
    render_heatmap_info scratch;
    const render_heatmap_opts *o = opts ? opts : &defaults;
    if (!info) info = &scratch;
    memset(info, 0, sizeof *info);
    memset(im, 0, sizeof *im);
    if (!z || nx < 2 || ny < 2)
        return nn_err(NN_EINVAL, "heatmap: grid %dx%d (need at least 2x2)", nx, ny);
    if (!isfinite(x0 + x1 + y0 + y1) || x0 == x1 || y0 == y1)
        return nn_err(NN_EINVAL, "heatmap: empty or non-finite extent [%g, %g] x [%g, %g]", x0, x1,
                      y0, y1);
    if (o->cmap < 0 || o->cmap >= RENDER_CMAP_COUNT)
        return nn_err(NN_EINVAL, "heatmap: colormap %d", o->cmap);
    if (o->npaths < 0 || o->nmarks < 0 || o->nlevels < 0 || (o->npaths && !o->paths) ||
        (o->nmarks && !o->marks) || (o->nlevels && !o->levels))
        return nn_err(NN_EINVAL, "heatmap: paths, marks or levels given without their array");
    int W = o->width > 0 ? o->width : 800, H = o->height > 0 ? o->height : 640;
    hm h = {.z = z, .nx = nx, .ny = ny, .x0 = x0, .x1 = x1, .y0 = y0, .y1 = y1, .o = o,
            .info = info, .t = rtheme_for(W, H)};
    int rc = render_image_init_as(im, W, H, RGB(255, 255, 255), target);
    if (rc) return rc;
    h.s = malloc((size_t)nx * (size_t)ny * sizeof *h.s);
    if (!h.s) {
        rc = nn_err(NN_ENOMEM, "heatmap: cannot allocate a %dx%d grid", nx, ny);
        goto fail;
    }
    hm_range(&h);
    /* Infinite values take the ends of the color range, so that their
     * neighbours interpolate to finite colors. */
    for (size_t k = 0; k < (size_t)nx * (size_t)ny; k++) {
        h.s[k] = hm_scale(&h, z[k]);
        if (isinf(h.s[k])) h.s[k] = h.s[k] > 0 ? h.smax : h.smin;
    }
    hm_layout(&h, W, H);
    if ((rc = paint_field(im, h.X0, h.Y0, h.X1 - h.X0, h.Y1 - h.Y0, field_px, &h)) ||
        (rc = paint_field(im, h.CX0, h.CY0, h.CX1 - h.CX0, h.CY1 - h.CY0, cbar_px, &h)) ||
        (rc = hm_contours(&h, im)))
        goto fail;
    render_rect_frame(im, h.X0 - 1, h.Y0 - 1, h.X1 + 1, h.Y1 + 1, RENDER_INK);
    render_rect_frame(im, h.CX0 - 1, h.CY0 - 1, h.CX1 + 1, h.CY1 + 1, RENDER_INK);
    raxis xa = {x0, x1, 0, h.X0, h.X1}, ya = {y0, y1, 0, h.Y1, h.Y0};
    raxis ca = {info->vmin, info->vmax, o->log_scale, h.CY1 - 0.5, h.CY0 + 0.5};
    int below = rdraw_xticks(im, &xa, h.Y1 + 1, 1, &h.t);
    int ylw = rdraw_yticks(im, &ya, h.X0 - 1, -1, 6, &h.t);
    int clw = rdraw_yticks(im, &ca, h.CX1 + 1, 1, 5, &h.t);
    const rtheme *t = &h.t;
    char xl[600];
    snprintf(xl, sizeof xl, "%s%s", o->xlabel ? o->xlabel : "",
             !info->stretched ? "" : o->xlabel && *o->xlabel ? " (stretched: x and y not to scale)"
                                                           : "stretched: x and y not to scale");
    if (*xl)
        rc = rtext_draw(im, 0.5 * (h.X0 + h.X1), h.Y1 + 1 + below + 2 * t->pad, xl,
                        rtext_fit(xl, t->label, W - 28), RENDER_CENTER | RENDER_TOP, 0, RENDER_INK, 0);
    if (!rc && o->ylabel && *o->ylabel)
        rc = rtext_draw(im, h.X0 - 1 - t->ticklen - t->pad - ylw - 2 * t->pad, 0.5 * (h.Y0 + h.Y1),
                        o->ylabel, rtext_fit(o->ylabel, t->label, h.Y1 - h.Y0 + 40),
                        RENDER_RIGHT | RENDER_MIDDLE, 90, RENDER_INK, 0);
    if (!rc && o->zlabel && *o->zlabel)
        rc = rtext_draw(im, h.CX1 + 1 + t->ticklen + t->pad + clw + 2 * t->pad, 0.5 * (h.CY0 + h.CY1),
                        o->zlabel, rtext_fit(o->zlabel, t->label, h.CY1 - h.CY0 + 40),
                        RENDER_LEFT | RENDER_MIDDLE, 90, RENDER_INK, 0);
    if (!rc) rc = hm_texts(&h, im, W);
    if (rc) goto fail;
    if ((rc = hm_paths(&h, im))) goto fail;
    /* Markers stay inside the frame: one on the edge is cut rather than
     * drawn over the tick labels. */
    render_clip_set(im, h.X0, h.Y0, h.X1, h.Y1);
    int min_drawn = !o->no_min_marker && info->imin >= 0;
    /* The point the plane is drawn around (the trained model), when the
     * caller names it and it lies in the picture. */
    int origin_drawn = o->origin_label && *o->origin_label && x0 <= 0 && 0 <= x1 && y0 <= 0 &&
                       0 <= y1;
    if (origin_drawn)
        render_marker(im, RENDER_MARK_PLUS, dx_px(&h, 0), dy_px(&h, 0), 15, RGB(255, 255, 255),
                      RGB(0, 0, 0));
    if (min_drawn)
        render_marker(im, RENDER_MARK_STAR, gx_px(&h, info->imin), gy_px(&h, info->jmin), 19,
                      RGB(255, 255, 255), RGB(0, 0, 0));
    hm_marks(&h, im, origin_drawn, min_drawn);
    render_clip_reset(im);
    hm_legend(&h, im, min_drawn, origin_drawn);
    if ((rc = hm_flat_note(&h, im))) goto fail;
    info->plot_x0 = h.X0, info->plot_y0 = h.Y0, info->plot_x1 = h.X1, info->plot_y1 = h.Y1;
    info->cbar_x0 = h.CX0, info->cbar_y0 = h.CY0, info->cbar_x1 = h.CX1, info->cbar_y1 = h.CY1;
    free(h.s);
    return NN_OK;
fail:
    free(h.s);
    render_image_free(im);
    return rc;
}

int render_heatmap(render_image *im, const double *z, int nx, int ny, double x0, double x1,
                   double y0, double y1, const render_heatmap_opts *o, render_heatmap_info *info)
{
    return render_heatmap_as(im, NULL, z, nx, ny, x0, x1, y0, y1, o, info);
}

int render_heatmap_write(const char *path, const render_target *t, const double *z, int nx,
                         int ny, double x0, double x1, double y0, double y1,
                         const render_heatmap_opts *o, render_heatmap_info *info)
{
    render_image im;
    int rc = render_heatmap_as(&im, t, z, nx, ny, x0, x1, y0, y1, o, info);
    if (rc) return rc;
    rc = render_image_write(path, &im);
    render_image_free(&im);
    return rc;
}

int render_heatmap_png(const char *path, const double *z, int nx, int ny, double x0, double x1,
                       double y0, double y1, const render_heatmap_opts *o,
                       render_heatmap_info *info)
{
    return render_heatmap_write(path, NULL, z, nx, ny, x0, x1, y0, y1, o, info);
}
