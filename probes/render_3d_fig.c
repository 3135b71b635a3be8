/* The 3-D surface figure: back panes, the contour map on the floor, the
 * lit mesh far to near with its marks, axes on the box's front edges, a
 * colorbar; everything through render.h's primitives. */
#include "render_3d.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../datasets/status.h"
#include "render_priv.h"

#define PANE RGB(238, 238, 242)
#define PANE_GRID RGB(255, 255, 255)
#define EDGE RGB(150, 150, 150)

static double gx(int i, int n, double h) { return -h + 2 * h * i / (n - 1); }

static void cross3(const double *a, const double *b, double *o)
{
    o[0] = a[1] * b[2] - a[2] * b[1];
    o[1] = a[2] * b[0] - a[0] * b[2];
    o[2] = a[0] * b[1] - a[1] * b[0];
}

#define DIST 7.5   /* camera distance in box units: a mild perspective */
#define NTICKS_MAX 16

typedef struct {
    const render_3d_opts *o;
    render_3d_info *info;
    render_camera *c;
    int nx, ny;
    double x0, x1, y0, y1;
    double *s, *zw;       /* [ny][nx] heights in scale units and in the box */
    double smin, smax;    /* scale range of heights and colours */
    double hx, hy, gap, zh;
    double light[3];
    double fx, fy;        /* the floor's front edges: y = fy carries x, x = fx carries y */
    double bx, by;        /* the back walls */
    rtheme t;
    int W, H, line;       /* line: a text line's height at tick scale, px */
    double ext[4];        /* measuring: the labels' extent, px (x0, y0, x1, y1) */
    int ntick[2];         /* tick counts asked of the x and y axes */
} fig;

static double fig_t(const fig *f, double sv) { return (sv - f->smin) / (f->smax - f->smin); }
static double fig_z(const fig *f, double sv) { return f->gap + f->zh * fig_t(f, sv); }
static double fig_x(const fig *f, double x) { return -f->hx + 2 * f->hx * (x - f->x0) / (f->x1 - f->x0); }
static double fig_y(const fig *f, double y) { return -f->hy + 2 * f->hy * (y - f->y0) / (f->y1 - f->y0); }

static void fig_px(const fig *f, double X, double Y, double Z, double *xy)
{
    double p[3] = {X, Y, Z};
    render_camera_project(f->c, p, &xy[0], &xy[1]);
}

static render_rgb rgb_scale(render_rgb c, double k)
{
    double r = c.r * k, g = c.g * k, b = c.b * k;
    return RGB((uint8_t)fmin(255, r + 0.5), (uint8_t)fmin(255, g + 0.5), (uint8_t)fmin(255, b + 0.5));
}

static render_rgb rgb_mix(render_rgb a, render_rgb b, double t)
{
    return RGB((uint8_t)(a.r + (b.r - a.r) * t + 0.5), (uint8_t)(a.g + (b.g - a.g) * t + 0.5),
               (uint8_t)(a.b + (b.b - a.b) * t + 0.5));
}

/* A quad grown by `grow` px around its centre, so neighbours overlap and
 * no background shows through the seams between them. */
static void quad_fill(render_image *im, double *xy, render_rgb c, double grow)
{
    double mx = 0.25 * (xy[0] + xy[2] + xy[4] + xy[6]), my = 0.25 * (xy[1] + xy[3] + xy[5] + xy[7]);
    for (int k = 0; k < 4; k++) {
        double dx = xy[2 * k] - mx, dy = xy[2 * k + 1] - my, L = hypot(dx, dy);
        if (L > 0) {
            xy[2 * k] += grow * dx / L;
            xy[2 * k + 1] += grow * dy / L;
        }
    }
    render_polygon_fill(im, xy, 4, c, 1);
}

static int fig_ticks(const fig *f, int axis, double *v, double *step)
{
    if (axis == 0) return render_ticks(f->x0, f->x1, f->ntick[0], v, NTICKS_MAX, step);
    if (axis == 1) return render_ticks(f->y0, f->y1, f->ntick[1], v, NTICKS_MAX, step);
    if (f->o->log_z) return render_ticks_log(f->info->zlo, f->info->zhi, 4, v, NTICKS_MAX, step);
    return render_ticks(f->info->zlo, f->info->zhi, 5, v, NTICKS_MAX, step);
}

/* The height of a z tick value in the box (NaN outside the drawn range). */
static double fig_ztick(const fig *f, double v)
{
    double sv = f->o->log_z ? (v > 0 ? log10(v) : NAN) : v;
    double t = fig_t(f, sv);
    return t >= -1e-9 && t <= 1 + 1e-9 ? fig_z(f, sv) : NAN;
}

/* The two back walls and the floor, with white grid lines at the ticks. */
static void fig_panes(const fig *f, render_image *im)
{
    double top = f->gap + f->zh, xy[8];
    double walls[3][4][3] = {
        {{f->bx, -f->hy, 0}, {f->bx, f->hy, 0}, {f->bx, f->hy, top}, {f->bx, -f->hy, top}},
        {{-f->hx, f->by, 0}, {f->hx, f->by, 0}, {f->hx, f->by, top}, {-f->hx, f->by, top}},
        {{-f->hx, -f->hy, 0}, {f->hx, -f->hy, 0}, {f->hx, f->hy, 0}, {-f->hx, f->hy, 0}}};
    for (int w = 0; w < 3; w++) {
        for (int k = 0; k < 4; k++) fig_px(f, walls[w][k][0], walls[w][k][1], walls[w][k][2], xy + 2 * k);
        render_polygon_fill(im, xy, 4, PANE, 1);
    }
    double v[NTICKS_MAX], step, a[2], b[2];
    for (int axis = 0; axis < 3; axis++) {
        int n = fig_ticks(f, axis, v, &step);
        for (int i = 0; i < n; i++) {
            if (axis == 0) { /* across the y wall and the floor */
                double X = fig_x(f, v[i]);
                fig_px(f, X, f->by, 0, a), fig_px(f, X, f->by, top, b);
                render_line(im, a[0], a[1], b[0], b[1], 1, PANE_GRID, 1);
                fig_px(f, X, -f->hy, 0, a), fig_px(f, X, f->hy, 0, b);
            } else if (axis == 1) {
                double Y = fig_y(f, v[i]);
                fig_px(f, f->bx, Y, 0, a), fig_px(f, f->bx, Y, top, b);
                render_line(im, a[0], a[1], b[0], b[1], 1, PANE_GRID, 1);
                fig_px(f, -f->hx, Y, 0, a), fig_px(f, f->hx, Y, 0, b);
            } else {
                double Z = fig_ztick(f, v[i]);
                if (isnan(Z)) continue;
                fig_px(f, f->bx, -f->hy, Z, a), fig_px(f, f->bx, f->hy, Z, b);
                render_line(im, a[0], a[1], b[0], b[1], 1, PANE_GRID, 1);
                fig_px(f, -f->hx, f->by, Z, a), fig_px(f, f->hx, f->by, Z, b);
            }
            render_line(im, a[0], a[1], b[0], b[1], 1, PANE_GRID, 1);
        }
    }
    /* The back edges of the box: the corner where the walls meet. */
    fig_px(f, f->bx, f->by, 0, a);
    fig_px(f, f->bx, f->by, top, b);
    render_line(im, a[0], a[1], b[0], b[1], 1, EDGE, 1);
    fig_px(f, -f->bx, f->by, 0, b);
    render_line(im, a[0], a[1], b[0], b[1], 1, EDGE, 1);
    fig_px(f, f->bx, -f->by, 0, b);
    render_line(im, a[0], a[1], b[0], b[1], 1, EDGE, 1);
}

/* The surface's colours on the floor with its contour lines: the map a
 * heatmap shows, under the surface it comes from. */
static int fig_floor(const fig *f, render_image *im)
{
    double xy[8];
    for (int j = 0; j + 1 < f->ny; j++)
        for (int i = 0; i + 1 < f->nx; i++) {
            const double *r0 = f->s + (size_t)j * (size_t)f->nx + (size_t)i, *r1 = r0 + f->nx;
            double m = 0.25 * (r0[0] + r0[1] + r1[0] + r1[1]);
            if (isnan(m)) continue;
            fig_px(f, gx(i, f->nx, f->hx), gx(j, f->ny, f->hy), 0, xy);
            fig_px(f, gx(i + 1, f->nx, f->hx), gx(j, f->ny, f->hy), 0, xy + 2);
            fig_px(f, gx(i + 1, f->nx, f->hx), gx(j + 1, f->ny, f->hy), 0, xy + 4);
            fig_px(f, gx(i, f->nx, f->hx), gx(j + 1, f->ny, f->hy), 0, xy + 6);
            quad_fill(im, xy, rgb_mix(render_cmap(f->o->cmap, fig_t(f, m)), PANE, 0.3), 0.5);
        }
    int n = f->o->ncontours == 0 ? 10 : f->o->ncontours;
    if (n > 64) n = 64;
    for (int k = 0; k < n; k++) {
        double lev = f->smin + (k + 1) * (f->smax - f->smin) / (n + 1);
        render_seg *seg;
        size_t ns;
        int rc = render_contour(f->s, f->nx, f->ny, lev, &seg, &ns);
        if (rc) return rc;
        for (size_t q = 0; q < ns; q++) {
            double a[2], b[2];
            double X0 = -f->hx + 2 * f->hx * seg[q].x0 / (f->nx - 1), Y0 = -f->hy + 2 * f->hy * seg[q].y0 / (f->ny - 1);
            double X1 = -f->hx + 2 * f->hx * seg[q].x1 / (f->nx - 1), Y1 = -f->hy + 2 * f->hy * seg[q].y1 / (f->ny - 1);
            fig_px(f, X0, Y0, 0, a);
            fig_px(f, X1, Y1, 0, b);
            render_line(im, a[0], a[1], b[0], b[1], 1.1, RENDER_INK, 0.45);
        }
        free(seg);
    }
    return NN_OK;
}

/* A mark's place in the box and the cell it sits in; 0 when off the grid
 * or on a cell not computed. */
static int mark_place(const fig *f, const render_mark *m, double *P, size_t *cell)
{
    double u = (m->x - f->x0) / (f->x1 - f->x0) * (f->nx - 1), v = (m->y - f->y0) / (f->y1 - f->y0) * (f->ny - 1);
    if (!(u >= 0 && u <= f->nx - 1 && v >= 0 && v <= f->ny - 1)) return 0;
    int i = u >= f->nx - 1 ? f->nx - 2 : (int)u, j = v >= f->ny - 1 ? f->ny - 2 : (int)v;
    double a = u - i, b = v - j;
    const double *r0 = f->zw + (size_t)j * (size_t)f->nx + (size_t)i, *r1 = r0 + f->nx;
    double z = (1 - b) * ((1 - a) * r0[0] + a * r0[1]) + b * ((1 - a) * r1[0] + a * r1[1]);
    if (isnan(z)) return 0;
    P[0] = fig_x(f, m->x);
    P[1] = fig_y(f, m->y);
    P[2] = z;
    *cell = (size_t)j * (size_t)(f->nx - 1) + (size_t)i;
    return 1;
}

/* Even-odd rule: is (x, y) inside the polygon xy [n][2]? */
static int inside(const double *xy, int n, double x, double y)
{
    int in = 0;
    for (int i = 0, j = n - 1; i < n; j = i++) {
        double xi = xy[2 * i], yi = xy[2 * i + 1], xj = xy[2 * j], yj = xy[2 * j + 1];
        if ((yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) in = !in;
    }
    return in;
}

/* Whether a cell nearer the camera than the point P (on the surface, in
 * cell `own`) covers it on the picture. */
static int mark_hidden(const fig *f, const double *P, size_t own)
{
    double S[2], dp = 0;
    fig_px(f, P[0], P[1], P[2], S);
    for (int k = 0; k < 3; k++) dp += (P[k] - f->c->eye[k]) * (P[k] - f->c->eye[k]);
    for (int j = 0; j + 1 < f->ny; j++)
        for (int i = 0; i + 1 < f->nx; i++) {
            size_t cell = (size_t)j * (size_t)(f->nx - 1) + (size_t)i;
            if (cell == own) continue;
            const double *z0 = f->zw + (size_t)j * (size_t)f->nx + (size_t)i, *z1 = z0 + f->nx;
            double X0 = gx(i, f->nx, f->hx), X1 = gx(i + 1, f->nx, f->hx);
            double Y0 = gx(j, f->ny, f->hy), Y1 = gx(j + 1, f->ny, f->hy);
            double p[4][3] = {{X0, Y0, z0[0]}, {X1, Y0, z0[1]}, {X1, Y1, z1[1]}, {X0, Y1, z1[0]}};
            double xy[8], d = 0;
            for (int k = 0; k < 4; k++) {
                if (isnan(p[k][2])) goto next;
                fig_px(f, p[k][0], p[k][1], p[k][2], xy + 2 * k);
                for (int e = 0; e < 3; e++) d += (p[k][e] - f->c->eye[e]) * (p[k][e] - f->c->eye[e]);
            }
            /* Neighbours share the point's height: only clearly nearer cells hide it. */
            if (0.25 * d < dp * 0.995 && inside(xy, 4, S[0], S[1])) return 1;
        next:;
        }
    return 0;
}

static void mark_draw(const fig *f, render_image *im, const render_mark *m, const double *P, double size)
{
    double a[2];
    fig_px(f, P[0], P[1], P[2], a);
    render_rgb fill = m->color ? render_rgb_hex(m->color) : RGB(255, 255, 255);
    render_marker(im, m->kind ? m->kind : RENDER_MARK_DIAMOND, a[0], a[1], size, fill, RGB(0, 0, 0));
    if (m->label && strlen(m->label) <= 3) { /* on a light patch, legible on any colour */
        double x = a[0] + 0.6 * size, y = a[1] - 0.4 * size, w = 6.0 * f->t.label * (double)strlen(m->label);
        double h = 10.0 * f->t.label;
        render_rect_fill(im, (int)(x - 3), (int)(y - h - 2), (int)(x + w + 3), (int)(y + 2), RGB(255, 255, 255), 0.75);
        render_text(im, x, y, m->label, f->t.label, RENDER_LEFT | RENDER_BOTTOM, 0, RENDER_INK);
    }
}

/* Trajectories on the floor map (always in view) and on the surface,
 * where a stretch hidden behind a nearer fold is left out. */
static void fig_paths(const fig *f, render_image *im, int on_surface)
{
    for (int p = 0; p < f->o->npaths; p++) {
        const render_path *pa = &f->o->paths[p];
        render_rgb c = pa->color ? render_rgb_hex(pa->color) : RGB(255, 255, 255);
        double prev[2] = {NAN, NAN};
        for (int i = 0; i < pa->n; i++) {
            render_mark m = {pa->xy[2 * i], pa->xy[2 * i + 1], 0, NULL, 0};
            double P[3], a[2] = {NAN, NAN};
            size_t cell;
            if (mark_place(f, &m, P, &cell) && !(on_surface && mark_hidden(f, P, cell))) {
                /* A hair above the surface, so the line is not cut by its own cells. */
                fig_px(f, P[0], P[1], on_surface ? P[2] + 0.01 * f->zh : 0, a);
                if (!isnan(prev[0])) {
                    render_line(im, prev[0], prev[1], a[0], a[1], 4, RGB(0, 0, 0), 0.6);
                    render_line(im, prev[0], prev[1], a[0], a[1], 2.2, c, 1);
                }
            }
            prev[0] = a[0], prev[1] = a[1];
        }
    }
}

/* The lit mesh, far to near; marks are drawn right after the cell they sit
 * on, so nearer cells hide them as they hide the surface. */
static int fig_surface(fig *f, render_image *im)
{
    size_t *order, n;
    int rc = render_3d_order(f->c, f->zw, f->nx, f->ny, f->hx, f->hy, &order, &n);
    if (rc) return rc;
    const render_3d_opts *o = f->o;
    int mesh = o->mesh > 0 || (o->mesh == 0 && f->nx <= 41 && f->ny <= 41);
    enum { MARKS_MAX = 16 };
    double P[MARKS_MAX][3];
    size_t mcell[MARKS_MAX];
    int on[MARKS_MAX] = {0}, nm = o->nmarks < MARKS_MAX ? o->nmarks : MARKS_MAX;
    for (int k = 0; k < nm; k++) {
        on[k] = mark_place(f, &o->marks[k], P[k], &mcell[k]);
        /* One in plain view is drawn over the mesh whole (its own cell
         * would cut it in half); a hidden one in its cell's turn. */
        if (on[k] && !mark_hidden(f, P[k], mcell[k])) on[k] = 2;
    }
    double msize = 7 + 3 * f->t.tick;
    for (size_t q = 0; q < n; q++) {
        int i = (int)(order[q] % (size_t)(f->nx - 1)), j = (int)(order[q] / (size_t)(f->nx - 1));
        const double *z0 = f->zw + (size_t)j * (size_t)f->nx + (size_t)i, *z1 = z0 + f->nx;
        const double *s0 = f->s + (size_t)j * (size_t)f->nx + (size_t)i, *s1 = s0 + f->nx;
        double X0 = gx(i, f->nx, f->hx), X1 = gx(i + 1, f->nx, f->hx);
        double Y0 = gx(j, f->ny, f->hy), Y1 = gx(j + 1, f->ny, f->hy);
        double p[4][3] = {{X0, Y0, z0[0]}, {X1, Y0, z0[1]}, {X1, Y1, z1[1]}, {X0, Y1, z1[0]}};
        double d1[3], d2[3], nrm[3], ctr[3];
        for (int k = 0; k < 3; k++) {
            d1[k] = p[2][k] - p[0][k];
            d2[k] = p[3][k] - p[1][k];
            ctr[k] = 0.25 * (p[0][k] + p[1][k] + p[2][k] + p[3][k]);
        }
        cross3(d1, d2, nrm);
        double xy[8], xy0[8];
        for (int k = 0; k < 4; k++) fig_px(f, p[k][0], p[k][1], p[k][2], xy + 2 * k);
        memcpy(xy0, xy, sizeof xy);
        double tm = fig_t(f, 0.25 * (s0[0] + s0[1] + s1[0] + s1[1]));
        render_rgb c = rgb_scale(render_cmap(o->cmap, tm), render_3d_shade(f->c, ctr, nrm, f->light));
        quad_fill(im, xy, c, 0.5);
        if (mesh)
            for (int k = 0; k < 4; k++)
                render_line(im, xy0[2 * k], xy0[2 * k + 1], xy0[(2 * k + 2) % 8], xy0[(2 * k + 3) % 8],
                            0.8, rgb_scale(c, 0.55), 0.5);
        for (int k = 0; k < nm; k++)
            if (on[k] == 1 && mcell[k] == order[q]) mark_draw(f, im, &o->marks[k], P[k], msize);
    }
    f->info->nquads = n;
    free(order);
    return NN_OK;
}

/* Text widths are estimated (a glyph is about 0.6 of a line wide), so
 * labels can be given room before anything is drawn. */
static double text_w(const char *s, int scale)
{
    size_t n = 0;
    for (; *s; s++) n += ((unsigned char)*s & 0xc0) != 0x80;
    return 6.0 * scale * (double)n;
}

/* Draws text, or with im NULL only grows f->ext by the box it would take. */
static int fig_text(fig *f, render_image *im, double x, double y, const char *s, int scale, int anchor)
{
    if (im) return render_text(im, x, y, s, scale, anchor, 0, RENDER_INK);
    double w = text_w(s, scale), h = 10.0 * scale;
    int ha = anchor & 3, va = anchor & 12;
    double l = ha == RENDER_CENTER ? x - 0.5 * w : ha == RENDER_RIGHT ? x - w : x;
    double t = va == RENDER_MIDDLE ? y - 0.5 * h : va == RENDER_BOTTOM ? y - h : y;
    f->ext[0] = fmin(f->ext[0], l), f->ext[1] = fmin(f->ext[1], t);
    f->ext[2] = fmax(f->ext[2], l + w), f->ext[3] = fmax(f->ext[3], t + h);
    return NN_OK;
}

/* A title of one line, or of two when long with a "(...)" part, centred
 * in a block anchored at (x, y); measured only when im is NULL. */
static int fig_title(fig *f, render_image *im, double x, double y, const char *s, int scale, int anchor)
{
    char l1[256], l2[256] = "";
    snprintf(l1, sizeof l1, "%s", s);
    char *par = strstr(l1, " (");
    if (par && text_w(s, scale) > 0.3 * f->W) {
        snprintf(l2, sizeof l2, "%s", par + 1);
        *par = 0;
    }
    double w = fmax(text_w(l1, scale), text_w(l2, scale)), lh = 10.0 * scale, h = l2[0] ? 2 * lh : lh;
    int ha = anchor & 3, va = anchor & 12;
    double cx = ha == RENDER_CENTER ? x : ha == RENDER_RIGHT ? x - 0.5 * w : x + 0.5 * w;
    double top = va == RENDER_MIDDLE ? y - 0.5 * h : va == RENDER_BOTTOM ? y - h : y;
    int rc = fig_text(f, im, cx, top, l1, scale, RENDER_CENTER | RENDER_TOP);
    if (!rc && l2[0]) rc = fig_text(f, im, cx, top + lh, l2, scale, RENDER_CENTER | RENDER_TOP);
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
static int fig_axis(fig *f, render_image *im, int axis)
{
    double v[NTICKS_MAX], step, a[2], b[2], c[2];
    int n = fig_ticks(f, axis, v, &step), rc = NN_OK;
    /* The edge, and the outward direction on the picture. */
    double out = axis == 0 ? (f->fy > 0 ? 1 : -1) : (f->fx > 0 ? 1 : -1);
    if (axis == 0) fig_px(f, -f->hx, f->fy, 0, a), fig_px(f, f->hx, f->fy, 0, b);
    else fig_px(f, f->fx, -f->hy, 0, a), fig_px(f, f->fx, f->hy, 0, b);
    if (im) render_line(im, a[0], a[1], b[0], b[1], 1.2, RENDER_INK_SOFT, 1);
    double mid[2] = {0.5 * (a[0] + b[0]), 0.5 * (a[1] + b[1])};
    if (axis == 0) fig_px(f, 0, f->fy + out, 0, c);
    else fig_px(f, f->fx + out, 0, 0, c);
    double ux = c[0] - mid[0], uy = c[1] - mid[1], L = hypot(ux, uy);
    if (!(L > 0)) return NN_OK;
    ux /= L, uy /= L;
    int anchor = away_anchor(ux, uy), tl = f->t.ticklen;
    /* Fewer ticks when their labels would touch along a short edge. */
    double ex = b[0] - a[0], ey = b[1] - a[1], len = hypot(ex, ey), maxw = 0;
    for (int i = 0; i < n; i++) {
        char s[32];
        render_tick_label(v[i], step, s, sizeof s);
        maxw = fmax(maxw, text_w(s, f->t.tick));
    }
    double gap = n > 1 && len > 0 ? len * (v[1] - v[0]) / (axis == 0 ? f->x1 - f->x0 : f->y1 - f->y0) : 0;
    double need = len > 0 ? fmin(fabs(ex) > 1e-9 ? (maxw + f->t.pad) * len / fabs(ex) : INFINITY,
                                 fabs(ey) > 1e-9 ? 1.1 * f->line * len / fabs(ey) : INFINITY)
                          : 0;
    if (gap < need && f->ntick[axis] > 2) {
        f->ntick[axis] = f->ntick[axis] > 3 ? 3 : 2;
        return fig_axis(f, im, axis);
    }
    for (int i = 0; i < n; i++) {
        double P[2];
        if (axis == 0) fig_px(f, fig_x(f, v[i]), f->fy, 0, P);
        else fig_px(f, f->fx, fig_y(f, v[i]), 0, P);
        if (im) render_line(im, P[0], P[1], P[0] + tl * ux, P[1] + tl * uy, 1.2, RENDER_INK_SOFT, 1);
        char s[32];
        render_tick_label(v[i], step, s, sizeof s);
        double d = tl + f->t.pad;
        if ((rc = fig_text(f, im, P[0] + d * ux, P[1] + d * uy, s, f->t.tick, anchor)))
            return rc;
    }
    const char *label = axis == 0 ? (f->o->xlabel ? f->o->xlabel : "x") : (f->o->ylabel ? f->o->ylabel : "y");
    /* Beyond the tick labels, on the side they point to. */
    double d = tl + 2 * f->t.pad + fabs(ux) * maxw + fabs(uy) * 1.1 * f->line;
    return fig_title(f, im, mid[0] + d * ux, mid[1] + d * uy, label, f->t.label, anchor);
}

/* The z axis on the vertical edge at the box's leftmost corner: it is on
 * the outline, so its labels never cross the surface. */
static int fig_zaxis(fig *f, render_image *im)
{
    double best = INFINITY, cx = 0, cy = 0, a[2], b[2];
    for (int k = 0; k < 4; k++) {
        double X = k & 1 ? f->hx : -f->hx, Y = k & 2 ? f->hy : -f->hy;
        fig_px(f, X, Y, 0, a);
        if (a[0] < best) best = a[0], cx = X, cy = Y;
    }
    double top = f->gap + f->zh;
    fig_px(f, cx, cy, 0, a);
    fig_px(f, cx, cy, top, b);
    if (im) render_line(im, a[0], a[1], b[0], b[1], 1.2, RENDER_INK_SOFT, 1);
    double v[NTICKS_MAX], step;
    int n = fig_ticks(f, 2, v, &step), rc, tl = f->t.ticklen;
    for (int i = 0; i < n; i++) {
        double Z = fig_ztick(f, v[i]), P[2];
        if (isnan(Z)) continue;
        fig_px(f, cx, cy, Z, P);
        if (im) render_line(im, P[0], P[1], P[0] - tl, P[1], 1.2, RENDER_INK_SOFT, 1);
        char s[32];
        render_tick_label(v[i], step, s, sizeof s);
        if ((rc = fig_text(f, im, P[0] - tl - f->t.pad, P[1], s, f->t.tick, RENDER_RIGHT | RENDER_MIDDLE)))
            return rc;
    }
    const char *label = f->o->zlabel ? f->o->zlabel : "loss";
    return fig_text(f, im, b[0], b[1] - f->line, label, f->t.label, RENDER_CENTER | RENDER_BOTTOM);
}

static int fig_colorbar(fig *f, render_image *im, int x0, int y0, int x1, int y1)
{
    for (int y = y0; y < y1; y++)
        render_rect_fill(im, x0, y, x1, y + 1, render_cmap(f->o->cmap, (double)(y1 - 1 - y) / (y1 - y0 - 1)), 1);
    render_rect_frame(im, x0, y0, x1, y1, RENDER_INK_SOFT);
    raxis ca = {f->info->zlo, f->info->zhi, f->o->log_z, y1 - 0.5, y0 + 0.5};
    rdraw_yticks(im, &ca, x1, 1, 5, &f->t);
    f->info->cbar_x0 = x0, f->info->cbar_y0 = y0, f->info->cbar_x1 = x1, f->info->cbar_y1 = y1;
    const char *label = f->o->zlabel ? f->o->zlabel : "loss";
    /* Centred on the bar, or ending at the picture's edge when long. */
    double right = fmin(0.5 * (x0 + x1) + 0.5 * text_w(label, f->t.label), f->W - 10);
    return render_text(im, right, y0 - f->t.pad - 0.5 * f->line, label, f->t.label,
                       RENDER_RIGHT | RENDER_BOTTOM, 0, RENDER_INK);
}

/* A mark with a long label that is on the surface is explained in the
 * legend; a short one ("A") is written beside it. */
static int in_legend(const fig *f, const render_mark *m)
{
    double P[3];
    size_t cell;
    return m->label && strlen(m->label) > 3 && mark_place(f, m, P, &cell);
}

/* The lines under the figure: the legend (marks and paths), then the
 * note. */
static int fig_footer(const fig *f, render_image *im, int y)
{
    int rc = NN_OK;
    double x = 16, sz = 7 + 3 * f->t.tick;
    for (int k = 0; k < f->o->nmarks + f->o->npaths; k++) {
        const char *label;
        if (k < f->o->nmarks) {
            const render_mark *m = &f->o->marks[k];
            if (!in_legend(f, m)) continue;
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
        if ((rc = render_text(im, x + sz + f->t.pad, y, label, f->t.tick, RENDER_LEFT | RENDER_MIDDLE, 0,
                              RENDER_INK)))
            return rc;
        x += sz + f->t.pad + text_w(label, f->t.tick) + 3 * f->t.pad;
    }
    if (f->info->note[0])
        rc = render_text(im, f->W - 16, y + (x > 16 ? f->line * 1.5 : 0), f->info->note, f->t.tick,
                         RENDER_RIGHT | RENDER_MIDDLE, 0, RENDER_INK_SOFT);
    return rc;
}

static void fig_note(render_3d_info *in, int npts, int log_z)
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
static void fig_fit(fig *f, double ax0, double ay0, double ax1, double ay1)
{
    double lo[2] = {INFINITY, INFINITY}, hi[2] = {-INFINITY, -INFINITY}, top = f->gap + f->zh, p[2];
    f->c->scale = 1, f->c->cx = 0, f->c->cy = 0;
    for (int k = 0; k < 8; k++) {
        fig_px(f, k & 1 ? f->hx : -f->hx, k & 2 ? f->hy : -f->hy, k & 4 ? top : 0, p);
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
static int fig_place(fig *f, const double *A)
{
    double B[4] = {A[0], A[1], A[2], A[3]};
    for (int it = 0; it < 4; it++) {
        fig_fit(f, B[0], B[1], B[2], B[3]);
        double box[4] = {f->ext[0], f->ext[1], f->ext[2], f->ext[3]};
        int rc;
        if ((rc = fig_axis(f, NULL, 0)) || (rc = fig_axis(f, NULL, 1)) || (rc = fig_zaxis(f, NULL))) return rc;
        double m[4] = {box[0] - f->ext[0], box[1] - f->ext[1], f->ext[2] - box[2], f->ext[3] - box[3]};
        B[0] = A[0] + m[0], B[1] = A[1] + m[1], B[2] = A[2] - m[2], B[3] = A[3] - m[3];
        if (B[2] - B[0] < 40 || B[3] - B[1] < 40) break; /* a tiny picture: the labels may clip */
    }
    return NN_OK;
}

int render_3d(render_image *im, const double *z, int nx, int ny, double x0, double x1, double y0,
              double y1, const render_3d_opts *opts, render_3d_info *info)
{
    render_3d_opts defaults = {0};
    render_3d_info scratch;
    const render_3d_opts *o = opts ? opts : &defaults;
    if (!info) info = &scratch;
    memset(info, 0, sizeof *info);
    memset(im, 0, sizeof *im);
    if (nx < 2 || ny < 2 || (double)nx * ny > 4e6)
        return nn_err(NN_EINVAL, "3-D view: a %d x %d grid (a surface needs 2..2000 points each way)", nx, ny);
    if (!(x0 < x1 && y0 < y1 && isfinite(x1 - x0) && isfinite(y1 - y0)))
        return nn_err(NN_EINVAL, "3-D view: bad grid range [%g, %g] x [%g, %g]", x0, x1, y0, y1);
    double az = o->azim, el = o->elev;
    if (az == 0 && el == 0) az = -60, el = 30;
    fig f = {.o = o, .info = info, .c = &info->cam, .nx = nx, .ny = ny, .x0 = x0, .x1 = x1, .y0 = y0, .y1 = y1,
             .ntick = {5, 5}};
    /* The box keeps the data's aspect within limits, longer side 1. */
    double r = (y1 - y0) / (x1 - x0);
    r = r < 0.6 ? 0.6 : r > 1.6 ? 1.6 : r;
    f.hx = r > 1 ? 1 / r : 1;
    f.hy = r > 1 ? 1 : r;
    f.gap = o->no_floor_map ? 0 : 0.7;
    f.zh = 1.1;
    double target[3] = {0, 0, 0.5 * (f.gap + f.zh)};
    int rc = render_camera_init(f.c, target, az, el, 7.5, 0, 0, 1);
    if (rc) return rc;
    size_t np = (size_t)nx * (size_t)ny;
    f.s = malloc(np * sizeof *f.s);
    f.zw = malloc(np * sizeof *f.zw);
    if (!f.s || !f.zw) {
        rc = nn_err(NN_ENOMEM, "3-D view: out of memory for a %d x %d grid", nx, ny);
        goto fail;
    }
    render_3d_heights(z, np, o, f.s, info);
    fig_note(info, nx * ny, o->log_z);
    f.smin = o->log_z ? log10(info->zlo) : info->zlo;
    f.smax = o->log_z ? log10(info->zhi) : info->zhi;
    if (!(f.smax > f.smin)) { /* a flat surface: a level plane mid-box */
        double d = o->log_z ? 0.5 : fabs(f.smin) > 0 ? 0.1 * fabs(f.smin) : 1;
        f.smin -= d, f.smax += d;
        info->zlo = o->log_z ? pow(10, f.smin) : f.smin;
        info->zhi = o->log_z ? pow(10, f.smax) : f.smax;
    }
    for (size_t k = 0; k < np; k++) f.zw[k] = isnan(f.s[k]) ? NAN : fig_z(&f, f.s[k]);
    info->hx = f.hx, info->hy = f.hy;

    f.W = o->width > 0 ? o->width : 800;
    f.H = o->height > 0 ? o->height : 680;
    if ((rc = render_image_init(im, f.W, f.H, RGB(255, 255, 255)))) goto fail;
    f.t = rtheme_for(f.W, f.H);
    f.line = 10 * f.t.tick;
    int titles = rdraw_titles(NULL, o->title, o->subtitle, 0.5 * f.W, f.W, 14, &f.t);
    if (titles < 0) {
        rc = -titles;
        goto fail;
    }
    int nlab = 0;
    for (int k = 0; k < o->nmarks; k++) nlab += in_legend(&f, &o->marks[k]);
    for (int k = 0; k < o->npaths; k++) nlab += o->paths[k].label && *o->paths[k].label;
    int footer = nlab || info->note[0] ? (int)(1.6 * f.line) * (1 + (nlab > 0 && info->note[0])) : 0;
    int top = 14 + titles + 8, bottom = f.H - 10 - footer;
    raxis ca = {info->zlo, info->zhi, o->log_z, bottom - 60, top + 60};
    int cbw = f.W >= 560 ? 18 : 12;
    int cbx1 = f.W - 14 - f.t.ticklen - f.t.pad - ryticks_width(&ca, 5, &f.t), cbx0 = cbx1 - cbw;
    int cby0 = top + 2 * f.line + 20, cby1 = bottom - (bottom - cby0) / 4;
    /* Room around the box for the z labels (left), x and y labels (below
     * and at the sides) and the z title (above). */
    f.bx = f.c->eye[0] > 0 ? -f.hx : f.hx;
    f.by = f.c->eye[1] > 0 ? -f.hy : f.hy;
    f.fx = -f.bx;
    f.fy = -f.by;
    double area[4] = {14, top + 4, cbx0 - 2 * f.line, bottom};
    if ((rc = fig_place(&f, area))) goto fail;
    double l[3];
    for (int k = 0; k < 3; k++) l[k] = -0.55 * f.c->right[k] + 0.45 * f.c->up[k] - 0.35 * f.c->fwd[k];
    l[2] += 0.5;
    for (int k = 0; k < 3; k++) f.light[k] = l[k];

    fig_panes(&f, im);
    if (!o->no_floor_map && (rc = fig_floor(&f, im))) goto fail;
    /* Each mark also on the floor, joined to its place on the surface. */
    double msize = 7 + 3 * f.t.tick;
    for (int k = 0; k < o->nmarks && k < 16; k++) {
        double P[3], a[2], b[2];
        size_t cell;
        if (!mark_place(&f, &o->marks[k], P, &cell)) continue;
        fig_px(&f, P[0], P[1], 0, a);
        fig_px(&f, P[0], P[1], P[2], b);
        render_line(im, a[0], a[1], b[0], b[1], 1.2, RENDER_INK, 0.7);
        render_marker(im, o->marks[k].kind ? o->marks[k].kind : RENDER_MARK_DIAMOND, a[0], a[1],
                      0.7 * msize, RGB(255, 255, 255), RGB(0, 0, 0));
    }
    fig_paths(&f, im, 0);
    if ((rc = fig_surface(&f, im))) goto fail;
    fig_paths(&f, im, 1);
    /* Marks in plain view last, whole, over the mesh and the paths. */
    for (int k = 0; k < o->nmarks; k++) {
        double P[3];
        size_t cell;
        if (mark_place(&f, &o->marks[k], P, &cell) && !mark_hidden(&f, P, cell))
            mark_draw(&f, im, &o->marks[k], P, msize);
    }
    if (!info->nquads)
        render_text(im, f.c->cx, f.c->cy, "no computed cell to draw", f.t.label, RENDER_CENTER | RENDER_MIDDLE,
                    0, RENDER_INK);
    if ((rc = fig_axis(&f, im, 0)) || (rc = fig_axis(&f, im, 1)) || (rc = fig_zaxis(&f, im))) goto fail;
    if ((rc = fig_colorbar(&f, im, cbx0, cby0, cbx1, cby1))) goto fail;
    titles = rdraw_titles(im, o->title, o->subtitle, 0.5 * f.W, f.W, 14, &f.t);
    if (titles < 0) {
        rc = -titles;
        goto fail;
    }
    if (footer && (rc = fig_footer(&f, im, bottom + (int)(0.8 * f.line)))) goto fail;
    free(f.s);
    free(f.zw);
    return NN_OK;
fail:
    free(f.s);
    free(f.zw);
    render_image_free(im);
    return rc;
}

int render_3d_png(const char *path, const double *z, int nx, int ny, double x0, double x1,
                  double y0, double y1, const render_3d_opts *o, render_3d_info *info)
{
    render_image im;
    int rc = render_3d(&im, z, nx, ny, x0, x1, y0, y1, o, info);
    if (rc) return rc;
    rc = render_png_write(path, &im);
    render_image_free(&im);
    return rc;
}
