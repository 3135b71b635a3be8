/* The 3-D surface figure (see render_3d.h): back panes, the contour map on
 * the floor, the lit mesh far to near with its marks and paths, then the
 * layout; axes and texts are in render_3d_axes.c. */
#include "render_3d.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../datasets/status.h"
#include "render_3d_priv.h"

#define PANE RGB(238, 238, 242)
#define PANE_GRID RGB(255, 255, 255)
#define EDGE RGB(150, 150, 150)

static void cross3(const double *a, const double *b, double *o)
{
    o[0] = a[1] * b[2] - a[2] * b[1];
    o[1] = a[2] * b[0] - a[0] * b[2];
    o[2] = a[0] * b[1] - a[1] * b[0];
}

void r3_px(const r3fig *f, double X, double Y, double Z, double *xy)
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

/* The two back walls and the floor, with white grid lines at the ticks. */
static void r3_panes(const r3fig *f, render_image *im)
{
    double top = f->gap + f->zh, xy[8];
    double walls[3][4][3] = {
        {{f->bx, -f->hy, 0}, {f->bx, f->hy, 0}, {f->bx, f->hy, top}, {f->bx, -f->hy, top}},
        {{-f->hx, f->by, 0}, {f->hx, f->by, 0}, {f->hx, f->by, top}, {-f->hx, f->by, top}},
        {{-f->hx, -f->hy, 0}, {f->hx, -f->hy, 0}, {f->hx, f->hy, 0}, {-f->hx, f->hy, 0}}};
    for (int w = 0; w < 3; w++) {
        for (int k = 0; k < 4; k++) r3_px(f, walls[w][k][0], walls[w][k][1], walls[w][k][2], xy + 2 * k);
        render_polygon_fill(im, xy, 4, PANE, 1);
    }
    double v[R3_TICKS_MAX], step, a[2], b[2];
    for (int axis = 0; axis < 3; axis++) {
        int n = r3_ticks(f, axis, v, &step);
        for (int i = 0; i < n; i++) {
            if (axis == 0) { /* across the y wall and the floor */
                double X = r3_x(f, v[i]);
                r3_px(f, X, f->by, 0, a), r3_px(f, X, f->by, top, b);
                render_line(im, a[0], a[1], b[0], b[1], 1, PANE_GRID, 1);
                r3_px(f, X, -f->hy, 0, a), r3_px(f, X, f->hy, 0, b);
            } else if (axis == 1) {
                double Y = r3_y(f, v[i]);
                r3_px(f, f->bx, Y, 0, a), r3_px(f, f->bx, Y, top, b);
                render_line(im, a[0], a[1], b[0], b[1], 1, PANE_GRID, 1);
                r3_px(f, -f->hx, Y, 0, a), r3_px(f, f->hx, Y, 0, b);
            } else {
                double Z = r3_ztick(f, v[i]);
                if (isnan(Z)) continue;
                r3_px(f, f->bx, -f->hy, Z, a), r3_px(f, f->bx, f->hy, Z, b);
                render_line(im, a[0], a[1], b[0], b[1], 1, PANE_GRID, 1);
                r3_px(f, -f->hx, f->by, Z, a), r3_px(f, f->hx, f->by, Z, b);
            }
            render_line(im, a[0], a[1], b[0], b[1], 1, PANE_GRID, 1);
        }
    }
    /* The back edges of the box: the corner where the walls meet. */
    r3_px(f, f->bx, f->by, 0, a);
    r3_px(f, f->bx, f->by, top, b);
    render_line(im, a[0], a[1], b[0], b[1], 1, EDGE, 1);
    r3_px(f, -f->bx, f->by, 0, b);
    render_line(im, a[0], a[1], b[0], b[1], 1, EDGE, 1);
    r3_px(f, f->bx, -f->by, 0, b);
    render_line(im, a[0], a[1], b[0], b[1], 1, EDGE, 1);
}

/* The surface's colours on the floor with its contour lines: the map a
 * heatmap shows, under the surface it comes from. */
static int r3_floor(const r3fig *f, render_image *im)
{
    double xy[8];
    for (int j = 0; j + 1 < f->ny; j++)
        for (int i = 0; i + 1 < f->nx; i++) {
            const double *r0 = f->s + (size_t)j * (size_t)f->nx + (size_t)i, *r1 = r0 + f->nx;
            double m = 0.25 * (r0[0] + r0[1] + r1[0] + r1[1]);
            if (isnan(m)) continue;
            r3_px(f, r3_gx(i, f->nx, f->hx), r3_gx(j, f->ny, f->hy), 0, xy);
            r3_px(f, r3_gx(i + 1, f->nx, f->hx), r3_gx(j, f->ny, f->hy), 0, xy + 2);
            r3_px(f, r3_gx(i + 1, f->nx, f->hx), r3_gx(j + 1, f->ny, f->hy), 0, xy + 4);
            r3_px(f, r3_gx(i, f->nx, f->hx), r3_gx(j + 1, f->ny, f->hy), 0, xy + 6);
            quad_fill(im, xy, rgb_mix(render_cmap(f->o->cmap, r3_t(f, m)), PANE, 0.3), 0.5);
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
            r3_px(f, X0, Y0, 0, a);
            r3_px(f, X1, Y1, 0, b);
            render_line(im, a[0], a[1], b[0], b[1], 1.1, RENDER_INK, 0.45);
        }
        free(seg);
    }
    return NN_OK;
}

/* A mark's place in the box and the cell it sits in; 0 when off the grid
 * or on a cell not computed. */
int r3_mark_place(const r3fig *f, const render_mark *m, double *P, size_t *cell)
{
    double u = (m->x - f->x0) / (f->x1 - f->x0) * (f->nx - 1), v = (m->y - f->y0) / (f->y1 - f->y0) * (f->ny - 1);
    if (!(u >= 0 && u <= f->nx - 1 && v >= 0 && v <= f->ny - 1)) return 0;
    int i = u >= f->nx - 1 ? f->nx - 2 : (int)u, j = v >= f->ny - 1 ? f->ny - 2 : (int)v;
    double a = u - i, b = v - j;
    const double *r0 = f->zw + (size_t)j * (size_t)f->nx + (size_t)i, *r1 = r0 + f->nx;
    double z = (1 - b) * ((1 - a) * r0[0] + a * r0[1]) + b * ((1 - a) * r1[0] + a * r1[1]);
    if (isnan(z)) return 0;
    P[0] = r3_x(f, m->x);
    P[1] = r3_y(f, m->y);
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
static int mark_hidden(const r3fig *f, const double *P, size_t own)
{
    double S[2], dp = 0;
    r3_px(f, P[0], P[1], P[2], S);
    for (int k = 0; k < 3; k++) dp += (P[k] - f->c->eye[k]) * (P[k] - f->c->eye[k]);
    for (int j = 0; j + 1 < f->ny; j++)
        for (int i = 0; i + 1 < f->nx; i++) {
            size_t cell = (size_t)j * (size_t)(f->nx - 1) + (size_t)i;
            if (cell == own) continue;
            const double *z0 = f->zw + (size_t)j * (size_t)f->nx + (size_t)i, *z1 = z0 + f->nx;
            double X0 = r3_gx(i, f->nx, f->hx), X1 = r3_gx(i + 1, f->nx, f->hx);
            double Y0 = r3_gx(j, f->ny, f->hy), Y1 = r3_gx(j + 1, f->ny, f->hy);
            double p[4][3] = {{X0, Y0, z0[0]}, {X1, Y0, z0[1]}, {X1, Y1, z1[1]}, {X0, Y1, z1[0]}};
            double xy[8], d = 0;
            for (int k = 0; k < 4; k++) {
                if (isnan(p[k][2])) goto next;
                r3_px(f, p[k][0], p[k][1], p[k][2], xy + 2 * k);
                for (int e = 0; e < 3; e++) d += (p[k][e] - f->c->eye[e]) * (p[k][e] - f->c->eye[e]);
            }
            /* Neighbours share the point's height: only clearly nearer cells hide it. */
            if (0.25 * d < dp * 0.995 && inside(xy, 4, S[0], S[1])) return 1;
        next:;
        }
    return 0;
}

static void mark_draw(const r3fig *f, render_image *im, const render_mark *m, const double *P, double size)
{
    double a[2];
    r3_px(f, P[0], P[1], P[2], a);
    render_rgb fill = m->color ? render_rgb_hex(m->color) : RGB(255, 255, 255);
    render_marker(im, m->kind ? m->kind : RENDER_MARK_DIAMOND, a[0], a[1], size, fill, RGB(0, 0, 0));
    if (m->label && strlen(m->label) <= 3) { /* on a light patch, legible on any colour */
        double x = a[0] + 0.6 * size, y = a[1] - 0.4 * size, w = r3_text_w(m->label, f->t.label);
        double h = R3_LINE(f->t.label);
        render_rect_fill(im, (int)(x - 3), (int)(y - h - 2), (int)(x + w + 3), (int)(y + 2), RGB(255, 255, 255), 0.75);
        render_text_px(im, x, y, m->label, f->t.label, RENDER_LEFT | RENDER_BOTTOM, 0, RENDER_INK);
    }
}

/* Trajectories on the floor map (always in view) and on the surface,
 * where a stretch hidden behind a nearer fold is left out. */
static void r3_paths(const r3fig *f, render_image *im, int on_surface)
{
    for (int p = 0; p < f->o->npaths; p++) {
        const render_path *pa = &f->o->paths[p];
        render_rgb c = pa->color ? render_rgb_hex(pa->color) : RGB(255, 255, 255);
        double prev[2] = {NAN, NAN};
        for (int i = 0; i < pa->n; i++) {
            render_mark m = {pa->xy[2 * i], pa->xy[2 * i + 1], 0, NULL, 0};
            double P[3], a[2] = {NAN, NAN};
            size_t cell;
            if (r3_mark_place(f, &m, P, &cell) && !(on_surface && mark_hidden(f, P, cell))) {
                /* A hair above the surface, so the line is not cut by its own cells. */
                r3_px(f, P[0], P[1], on_surface ? P[2] + 0.01 * f->zh : 0, a);
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
static int r3_surface(r3fig *f, render_image *im)
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
        on[k] = r3_mark_place(f, &o->marks[k], P[k], &mcell[k]);
        /* One in plain view is drawn over the mesh whole (its own cell
         * would cut it in half); a hidden one in its cell's turn. */
        if (on[k] && !mark_hidden(f, P[k], mcell[k])) on[k] = 2;
    }
    double msize = R3_MARK(f->t.tick);
    for (size_t q = 0; q < n; q++) {
        int i = (int)(order[q] % (size_t)(f->nx - 1)), j = (int)(order[q] / (size_t)(f->nx - 1));
        const double *z0 = f->zw + (size_t)j * (size_t)f->nx + (size_t)i, *z1 = z0 + f->nx;
        const double *s0 = f->s + (size_t)j * (size_t)f->nx + (size_t)i, *s1 = s0 + f->nx;
        double X0 = r3_gx(i, f->nx, f->hx), X1 = r3_gx(i + 1, f->nx, f->hx);
        double Y0 = r3_gx(j, f->ny, f->hy), Y1 = r3_gx(j + 1, f->ny, f->hy);
        double p[4][3] = {{X0, Y0, z0[0]}, {X1, Y0, z0[1]}, {X1, Y1, z1[1]}, {X0, Y1, z1[0]}};
        double d1[3], d2[3], nrm[3], ctr[3];
        for (int k = 0; k < 3; k++) {
            d1[k] = p[2][k] - p[0][k];
            d2[k] = p[3][k] - p[1][k];
            ctr[k] = 0.25 * (p[0][k] + p[1][k] + p[2][k] + p[3][k]);
        }
        cross3(d1, d2, nrm);
        double xy[8], xy0[8];
        for (int k = 0; k < 4; k++) r3_px(f, p[k][0], p[k][1], p[k][2], xy + 2 * k);
        memcpy(xy0, xy, sizeof xy);
        double tm = r3_t(f, 0.25 * (s0[0] + s0[1] + s1[0] + s1[1]));
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
    r3fig f = {.o = o, .info = info, .c = &info->cam, .nx = nx, .ny = ny, .x0 = x0, .x1 = x1, .y0 = y0, .y1 = y1,
             .ntick = {5, 5}};
    /* The box keeps the data's aspect within limits, longer side 1. */
    double r = (y1 - y0) / (x1 - x0);
    r = r < 0.6 ? 0.6 : r > 1.6 ? 1.6 : r;
    f.hx = r > 1 ? 1 / r : 1;
    f.hy = r > 1 ? 1 : r;
    f.gap = o->no_floor_map ? 0 : 0.7;
    f.zh = 1.1;
    double target[3] = {0, 0, 0.5 * (f.gap + f.zh)};
    int rc = render_camera_init(f.c, target, az, el, R3_DIST, 0, 0, 1);
    if (rc) return rc;
    size_t np = (size_t)nx * (size_t)ny;
    f.s = malloc(np * sizeof *f.s);
    f.zw = malloc(np * sizeof *f.zw);
    if (!f.s || !f.zw) {
        rc = nn_err(NN_ENOMEM, "3-D view: out of memory for a %d x %d grid", nx, ny);
        goto fail;
    }
    render_3d_heights(z, np, o, f.s, info);
    r3_note(info, nx * ny, o->log_z);
    f.smin = o->log_z ? log10(info->zlo) : info->zlo;
    f.smax = o->log_z ? log10(info->zhi) : info->zhi;
    if (!(f.smax > f.smin)) { /* a flat surface: a level plane mid-box */
        double d = o->log_z ? 0.5 : fabs(f.smin) > 0 ? 0.1 * fabs(f.smin) : 1;
        f.smin -= d, f.smax += d;
        info->zlo = o->log_z ? pow(10, f.smin) : f.smin;
        info->zhi = o->log_z ? pow(10, f.smax) : f.smax;
    }
    for (size_t k = 0; k < np; k++) f.zw[k] = isnan(f.s[k]) ? NAN : r3_z(&f, f.s[k]);
    info->hx = f.hx, info->hy = f.hy;

    f.W = o->width > 0 ? o->width : 800;
    f.H = o->height > 0 ? o->height : 680;
    if ((rc = render_image_init_as(im, f.W, f.H, RGB(255, 255, 255), o->target))) goto fail;
    f.t = rtheme_for(f.W, f.H);
    f.line = R3_LINE(f.t.tick);
    int titles = rdraw_titles(NULL, o->title, o->subtitle, 0.5 * f.W, f.W, 14, &f.t);
    if (titles < 0) {
        rc = -titles;
        goto fail;
    }
    int nlab = 0;
    for (int k = 0; k < o->nmarks; k++) nlab += r3_in_legend(&f, &o->marks[k]);
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
    if ((rc = r3_place(&f, area))) goto fail;
    double l[3];
    for (int k = 0; k < 3; k++) l[k] = -0.55 * f.c->right[k] + 0.45 * f.c->up[k] - 0.35 * f.c->fwd[k];
    l[2] += 0.5;
    for (int k = 0; k < 3; k++) f.light[k] = l[k];

    r3_panes(&f, im);
    if (!o->no_floor_map && (rc = r3_floor(&f, im))) goto fail;
    /* Each mark also on the floor, joined to its place on the surface. */
    double msize = R3_MARK(f.t.tick);
    for (int k = 0; k < o->nmarks && k < 16; k++) {
        double P[3], a[2], b[2];
        size_t cell;
        if (!r3_mark_place(&f, &o->marks[k], P, &cell)) continue;
        r3_px(&f, P[0], P[1], 0, a);
        r3_px(&f, P[0], P[1], P[2], b);
        render_line(im, a[0], a[1], b[0], b[1], 1.2, RENDER_INK, 0.7);
        render_marker(im, o->marks[k].kind ? o->marks[k].kind : RENDER_MARK_DIAMOND, a[0], a[1],
                      0.7 * msize, RGB(255, 255, 255), RGB(0, 0, 0));
    }
    r3_paths(&f, im, 0);
    if ((rc = r3_surface(&f, im))) goto fail;
    r3_paths(&f, im, 1);
    /* Marks in plain view last, whole, over the mesh and the paths. */
    for (int k = 0; k < o->nmarks; k++) {
        double P[3];
        size_t cell;
        if (r3_mark_place(&f, &o->marks[k], P, &cell) && !mark_hidden(&f, P, cell))
            mark_draw(&f, im, &o->marks[k], P, msize);
    }
    if (!info->nquads)
        render_text_px(im, f.c->cx, f.c->cy, "no computed cell to draw", f.t.label, RENDER_CENTER | RENDER_MIDDLE,
                    0, RENDER_INK);
    if ((rc = r3_axis(&f, im, 0)) || (rc = r3_axis(&f, im, 1)) || (rc = r3_zaxis(&f, im))) goto fail;
    if ((rc = r3_colorbar(&f, im, cbx0, cby0, cbx1, cby1))) goto fail;
    titles = rdraw_titles(im, o->title, o->subtitle, 0.5 * f.W, f.W, 14, &f.t);
    if (titles < 0) {
        rc = -titles;
        goto fail;
    }
    if (footer && (rc = r3_footer(&f, im, bottom + (int)(0.8 * f.line)))) goto fail;
    free(f.s);
    free(f.zw);
    return NN_OK;
fail:
    free(f.s);
    free(f.zw);
    render_image_free(im);
    return rc;
}

int render_3d_write(const char *path, const double *z, int nx, int ny, double x0, double x1,
                  double y0, double y1, const render_3d_opts *o, render_3d_info *info)
{
    render_image im;
    int rc = render_3d(&im, z, nx, ny, x0, x1, y0, y1, o, info);
    if (rc) return rc;
    rc = render_image_write(path, &im);
    render_image_free(&im);
    return rc;
}
