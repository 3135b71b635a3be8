/* The 3-D figure's axes and texts (see render_3d_priv.h): ticks on the
 * box's front edges and its z edge, titles, colorbar, legend and note, and
 * the fit that gives the labels room. Text sizes are estimated, so room is
 * made before anything is drawn. */
#include "render_3d_priv.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../datasets/status.h"

int r3_ticks(const r3fig *f, int axis, double *v, double *step)
{
    if (axis == 0) return render_ticks(f->x0, f->x1, f->ntick[0], v, R3_TICKS_MAX, step);
    if (axis == 1) return render_ticks(f->y0, f->y1, f->ntick[1], v, R3_TICKS_MAX, step);
    if (f->o->log_z) return render_ticks_log(f->info->zlo, f->info->zhi, 4, v, R3_TICKS_MAX, step);
    return render_ticks(f->info->zlo, f->info->zhi, 5, v, R3_TICKS_MAX, step);
}

/* The height of a z tick value in the box (NaN outside the drawn range). */
double r3_ztick(const r3fig *f, double v)
{
    double sv = f->o->log_z ? (v > 0 ? log10(v) : NAN) : v;
    double t = r3_t(f, sv);
    return t >= -1e-9 && t <= 1 + 1e-9 ? r3_z(f, sv) : NAN;
}

/* Text widths from the font, so labels can be given room before
 * anything is drawn. */
double r3_text_w(const char *s, double px)
{
    double w, h;
    render_text_size(s, px, &w, &h);
    return w;
}

/* Draws text, or with im NULL only grows f->ext by the box it would take. */
static int r3_text(r3fig *f, render_image *im, double x, double y, const char *s, double scale, int anchor)
{
    if (im) return render_text_px(im, x, y, s, scale, anchor, 0, RENDER_INK);
    double w = r3_text_w(s, scale), h = R3_LINE(scale);
    int ha = anchor & 3, va = anchor & 12;
    double l = ha == RENDER_CENTER ? x - 0.5 * w : ha == RENDER_RIGHT ? x - w : x;
    double t = va == RENDER_MIDDLE ? y - 0.5 * h : va == RENDER_BOTTOM ? y - h : y;
    f->ext[0] = fmin(f->ext[0], l), f->ext[1] = fmin(f->ext[1], t);
    f->ext[2] = fmax(f->ext[2], l + w), f->ext[3] = fmax(f->ext[3], t + h);
    return NN_OK;
}

/* A title of one line, or of two when long with a "(...)" part, centred
 * in a block anchored at (x, y); measured only when im is NULL. */
static int r3_title(r3fig *f, render_image *im, double x, double y, const char *s, double scale, int anchor)
{
    char l1[256], l2[256] = "";
    snprintf(l1, sizeof l1, "%s", s);
    char *par = strstr(l1, " (");
    if (par && r3_text_w(s, scale) > 0.3 * f->W) {
        snprintf(l2, sizeof l2, "%s", par + 1);
        *par = 0;
    }
    double w = fmax(r3_text_w(l1, scale), r3_text_w(l2, scale)), lh = R3_LINE(scale), h = l2[0] ? 2 * lh : lh;
    int ha = anchor & 3, va = anchor & 12;
    double cx = ha == RENDER_CENTER ? x : ha == RENDER_RIGHT ? x - 0.5 * w : x + 0.5 * w;
    double top = va == RENDER_MIDDLE ? y - 0.5 * h : va == RENDER_BOTTOM ? y - h : y;
    int rc = r3_text(f, im, cx, top, l1, scale, RENDER_CENTER | RENDER_TOP);
    if (!rc && l2[0]) rc = r3_text(f, im, cx, top + lh, l2, scale, RENDER_CENTER | RENDER_TOP);
    return rc;
}

/* Where text sits beyond a point in screen direction (ux, uy). */
static int away_anchor(double ux, double uy)
{
    int h = ux > 0.35 ? RENDER_LEFT : ux < -0.35 ? RENDER_RIGHT : RENDER_CENTER;
    int v = uy > 0.35 ? RENDER_TOP : uy < -0.35 ? RENDER_BOTTOM : RENDER_MIDDLE;
    return h | v;
}

/* Ticks, labels and title of the x (axis 0) or y (axis 1) axis along the
 * floor's front edge, pointing away from the box. */
int r3_axis(r3fig *f, render_image *im, int axis)
{
    double v[R3_TICKS_MAX], step, a[2], b[2], c[2];
    int n = r3_ticks(f, axis, v, &step), rc = NN_OK;
    /* The edge, and the outward direction on the picture. */
    double out = axis == 0 ? (f->fy > 0 ? 1 : -1) : (f->fx > 0 ? 1 : -1);
    if (axis == 0) r3_px(f, -f->hx, f->fy, 0, a), r3_px(f, f->hx, f->fy, 0, b);
    else r3_px(f, f->fx, -f->hy, 0, a), r3_px(f, f->fx, f->hy, 0, b);
    if (im) render_line(im, a[0], a[1], b[0], b[1], 1.2, RENDER_INK_SOFT, 1);
    double mid[2] = {0.5 * (a[0] + b[0]), 0.5 * (a[1] + b[1])};
    if (axis == 0) r3_px(f, 0, f->fy + out, 0, c);
    else r3_px(f, f->fx + out, 0, 0, c);
    double ux = c[0] - mid[0], uy = c[1] - mid[1], L = hypot(ux, uy);
    if (!(L > 0)) return NN_OK;
    ux /= L, uy /= L;
    int anchor = away_anchor(ux, uy), tl = f->t.ticklen;
    /* Fewer ticks when their labels would touch along a short edge. */
    double ex = b[0] - a[0], ey = b[1] - a[1], len = hypot(ex, ey), maxw = 0;
    for (int i = 0; i < n; i++) {
        char s[32];
        render_tick_label(v[i], step, s, sizeof s);
        maxw = fmax(maxw, r3_text_w(s, f->t.tick));
    }
    double gap = n > 1 && len > 0 ? len * (v[1] - v[0]) / (axis == 0 ? f->x1 - f->x0 : f->y1 - f->y0) : 0;
    double need = len > 0 ? fmin(fabs(ex) > 1e-9 ? (maxw + f->t.pad) * len / fabs(ex) : INFINITY,
                                 fabs(ey) > 1e-9 ? 1.1 * f->line * len / fabs(ey) : INFINITY)
                          : 0;
    if (gap < need && f->ntick[axis] > 2) {
        f->ntick[axis] = f->ntick[axis] > 3 ? 3 : 2;
        return r3_axis(f, im, axis);
    }
    for (int i = 0; i < n; i++) {
        double P[2];
        if (axis == 0) r3_px(f, r3_x(f, v[i]), f->fy, 0, P);
        else r3_px(f, f->fx, r3_y(f, v[i]), 0, P);
        if (im) render_line(im, P[0], P[1], P[0] + tl * ux, P[1] + tl * uy, 1.2, RENDER_INK_SOFT, 1);
        char s[32];
        render_tick_label(v[i], step, s, sizeof s);
        double d = tl + f->t.pad;
        if ((rc = r3_text(f, im, P[0] + d * ux, P[1] + d * uy, s, f->t.tick, anchor)))
            return rc;
    }
    const char *label = axis == 0 ? (f->o->xlabel ? f->o->xlabel : "x") : (f->o->ylabel ? f->o->ylabel : "y");
    /* Beyond the tick labels, on the side they point to. */
    double d = tl + 2 * f->t.pad + fabs(ux) * maxw + fabs(uy) * 1.1 * f->line;
    return r3_title(f, im, mid[0] + d * ux, mid[1] + d * uy, label, f->t.label, anchor);
}

/* The z axis on the vertical edge at the box's leftmost corner: it is on
 * the outline, so its labels never cross the surface. */
int r3_zaxis(r3fig *f, render_image *im)
{
    double best = INFINITY, cx = 0, cy = 0, a[2], b[2];
    for (int k = 0; k < 4; k++) {
        double X = k & 1 ? f->hx : -f->hx, Y = k & 2 ? f->hy : -f->hy;
        r3_px(f, X, Y, 0, a);
        if (a[0] < best) best = a[0], cx = X, cy = Y;
    }
    double top = f->gap + f->zh;
    r3_px(f, cx, cy, 0, a);
    r3_px(f, cx, cy, top, b);
    if (im) render_line(im, a[0], a[1], b[0], b[1], 1.2, RENDER_INK_SOFT, 1);
    double v[R3_TICKS_MAX], step;
    int n = r3_ticks(f, 2, v, &step), rc, tl = f->t.ticklen;
    for (int i = 0; i < n; i++) {
        double Z = r3_ztick(f, v[i]), P[2];
        if (isnan(Z)) continue;
        r3_px(f, cx, cy, Z, P);
        if (im) render_line(im, P[0], P[1], P[0] - tl, P[1], 1.2, RENDER_INK_SOFT, 1);
        char s[32];
        render_tick_label(v[i], step, s, sizeof s);
        if ((rc = r3_text(f, im, P[0] - tl - f->t.pad, P[1], s, f->t.tick, RENDER_RIGHT | RENDER_MIDDLE)))
            return rc;
    }
    const char *label = f->o->zlabel ? f->o->zlabel : "loss";
    return r3_text(f, im, b[0], b[1] - f->line, label, f->t.label, RENDER_CENTER | RENDER_BOTTOM);
}

int r3_colorbar(r3fig *f, render_image *im, int x0, int y0, int x1, int y1)
{
    for (int y = y0; y < y1; y++)
        render_rect_fill(im, x0, y, x1, y + 1, render_cmap(f->o->cmap, (double)(y1 - 1 - y) / (y1 - y0 - 1)), 1);
    render_rect_frame(im, x0, y0, x1, y1, RENDER_INK_SOFT);
    raxis ca = {f->info->zlo, f->info->zhi, f->o->log_z, y1 - 0.5, y0 + 0.5};
    rdraw_yticks(im, &ca, x1, 1, 5, &f->t);
    f->info->cbar_x0 = x0, f->info->cbar_y0 = y0, f->info->cbar_x1 = x1, f->info->cbar_y1 = y1;
    const char *label = f->o->zlabel ? f->o->zlabel : "loss";
    /* Centred on the bar, or ending at the picture's edge when long. */
    double right = fmin(0.5 * (x0 + x1) + 0.5 * r3_text_w(label, f->t.label), f->W - 10);
    return render_text_px(im, right, y0 - f->t.pad - 0.5 * f->line, label, f->t.label,
                       RENDER_RIGHT | RENDER_BOTTOM, 0, RENDER_INK);
}

/* A mark with a long label that is on the surface is explained in the
 * legend; a short one ("A") is written beside it. */
int r3_in_legend(const r3fig *f, const render_mark *m)
{
    double P[3];
    size_t cell;
    return m->label && strlen(m->label) > 3 && r3_mark_place(f, m, P, &cell);
}

/* The lines under the figure: the legend (marks and paths), then the
 * note. */
int r3_footer(const r3fig *f, render_image *im, int y)
{
    int rc = NN_OK;
    double x = 16, sz = R3_MARK(f->t.tick);
    for (int k = 0; k < f->o->nmarks + f->o->npaths; k++) {
        const char *label;
        if (k < f->o->nmarks) {
            const render_mark *m = &f->o->marks[k];
            if (!r3_in_legend(f, m)) continue;
            render_rgb fill = m->color ? render_rgb_hex(m->color) : RGB(255, 255, 255);
            render_marker(im, m->kind ? m->kind : RENDER_MARK_DIAMOND, x + 0.5 * sz, y, sz, fill, RGB(0, 0, 0));
            label = m->label;
        } else {
            const render_path *pa = &f->o->paths[k - f->o->nmarks];
            if (!pa->label || !*pa->label) continue;
            render_line(im, x, y, x + 2 * sz, y, 4, RGB(0, 0, 0), 0.6);
            render_line(im, x, y, x + 2 * sz, y, 2.2, pa->color ? render_rgb_hex(pa->color) : RGB(255, 255, 255), 1);
            x += sz;
            label = pa->label;
        }
        if ((rc = render_text_px(im, x + sz + f->t.pad, y, label, f->t.tick, RENDER_LEFT | RENDER_MIDDLE, 0,
                              RENDER_INK)))
            return rc;
        x += sz + f->t.pad + r3_text_w(label, f->t.tick) + 3 * f->t.pad;
    }
    if (f->info->note[0])
        rc = render_text_px(im, f->W - 16, y + (x > 16 ? f->line * 1.5 : 0), f->info->note, f->t.tick,
                         RENDER_RIGHT | RENDER_MIDDLE, 0, RENDER_INK_SOFT);
    return rc;
}

void r3_note(render_3d_info *in, int npts, int log_z)
{
    char *p = in->note;
    size_t cap = sizeof in->note;
    int k = 0;
    if (in->nclipped)
        k += snprintf(p + k, cap - (size_t)k, "%zu values above %.3g drawn at %.3g; ", in->nclipped,
                      in->zhi, in->zhi);
    if (log_z && in->nclamped && k < (int)cap)
        k += snprintf(p + k, cap - (size_t)k, "%zu values <= 0 drawn at %.3g; ", in->nclamped, in->zlo);
    if (in->nnan && k < (int)cap)
        k += snprintf(p + k, cap - (size_t)k, "%zu of %d points not computed (left out); ", in->nnan, npts);
    if (k >= 2 && k < (int)cap) p[k - 2] = 0;
}

/* Scale and offset that fit the box, and room for its labels, into the
 * area [ax0, ax1] x [ay0, ay1]. */
static void r3_fit(r3fig *f, double ax0, double ay0, double ax1, double ay1)
{
    double lo[2] = {INFINITY, INFINITY}, hi[2] = {-INFINITY, -INFINITY}, top = f->gap + f->zh, p[2];
    f->c->scale = 1, f->c->cx = 0, f->c->cy = 0;
    for (int k = 0; k < 8; k++) {
        r3_px(f, k & 1 ? f->hx : -f->hx, k & 2 ? f->hy : -f->hy, k & 4 ? top : 0, p);
        for (int d = 0; d < 2; d++) lo[d] = fmin(lo[d], p[d]), hi[d] = fmax(hi[d], p[d]);
    }
    double w = ax1 - ax0, h = ay1 - ay0;
    double sc = fmin(w / (hi[0] - lo[0]), h / (hi[1] - lo[1]));
    f->c->scale = sc;
    f->c->cx = ax0 + 0.5 * w - sc * 0.5 * (lo[0] + hi[0]);
    f->c->cy = ay0 + 0.5 * h - sc * 0.5 * (lo[1] + hi[1]);
    f->ext[0] = f->c->cx + sc * lo[0], f->ext[1] = f->c->cy + sc * lo[1];
    f->ext[2] = f->c->cx + sc * hi[0], f->ext[3] = f->c->cy + sc * hi[1];
}

/* Fits the box so that it and its axis labels fill the area A [4]
 * (x0, y0, x1, y1): the labels' overhang is measured and the box shrunk by
 * it, a few times, as the labels move with the box. */
int r3_place(r3fig *f, const double *A)
{
    double B[4] = {A[0], A[1], A[2], A[3]};
    for (int it = 0; it < 4; it++) {
        r3_fit(f, B[0], B[1], B[2], B[3]);
        double box[4] = {f->ext[0], f->ext[1], f->ext[2], f->ext[3]};
        int rc;
        if ((rc = r3_axis(f, NULL, 0)) || (rc = r3_axis(f, NULL, 1)) || (rc = r3_zaxis(f, NULL))) return rc;
        double m[4] = {box[0] - f->ext[0], box[1] - f->ext[1], f->ext[2] - box[2], f->ext[3] - box[3]};
        B[0] = A[0] + m[0], B[1] = A[1] + m[1], B[2] = A[2] - m[2], B[3] = A[3] - m[3];
        if (B[2] - B[0] < 40 || B[3] - B[1] < 40) break; /* a tiny picture: the labels may clip */
    }
    return NN_OK;
}
