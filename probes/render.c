/* The RGB image and its primitives: clipped blending, anti-aliased strokes
 * (distance to the segment gives coverage), supersampled polygons, markers,
 * text through the built-in font, and PNG files through libpng. */
#include "render_priv.h"

#include <math.h>
#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "../datasets/fileio.h"
#include "../datasets/status.h"
#include "font.h"

/* Pictures larger than this are refused: they are mistakes, not figures. */
#define RENDER_MAX_SIDE 16384

render_rgb render_rgb_hex(uint32_t hex)
{
    return RGB((uint8_t)(hex >> 16), (uint8_t)(hex >> 8), (uint8_t)hex);
}

int render_image_init(render_image *im, int w, int h, render_rgb bg)
{
    memset(im, 0, sizeof *im);
    if (w < 1 || h < 1 || w > RENDER_MAX_SIDE || h > RENDER_MAX_SIDE)
        return nn_err(NN_EINVAL, "render: image size %dx%d (1..%d)", w, h, RENDER_MAX_SIDE);
    im->px = malloc((size_t)w * (size_t)h * 3);
    if (!im->px) return nn_err(NN_ENOMEM, "render: cannot allocate a %dx%d image", w, h);
    im->w = w;
    im->h = h;
    for (size_t i = 0; i < (size_t)w * (size_t)h; i++) {
        im->px[3 * i] = bg.r;
        im->px[3 * i + 1] = bg.g;
        im->px[3 * i + 2] = bg.b;
    }
    render_clip_reset(im);
    return NN_OK;
}

void render_image_free(render_image *im)
{
    free(im->px);
    memset(im, 0, sizeof *im);
}

render_rgb render_image_get(const render_image *im, int x, int y)
{
    if (x < 0 || y < 0 || x >= im->w || y >= im->h) return RGB(0, 0, 0);
    const uint8_t *p = im->px + ((size_t)y * (size_t)im->w + (size_t)x) * 3;
    return RGB(p[0], p[1], p[2]);
}

void render_clip_set(render_image *im, int x0, int y0, int x1, int y1)
{
    im->cx0 = x0 < 0 ? 0 : x0;
    im->cy0 = y0 < 0 ? 0 : y0;
    im->cx1 = x1 > im->w ? im->w : x1;
    im->cy1 = y1 > im->h ? im->h : y1;
}

void render_clip_reset(render_image *im) { render_clip_set(im, 0, 0, im->w, im->h); }

void render_blend(render_image *im, int x, int y, render_rgb c, double alpha)
{
    if (x < im->cx0 || y < im->cy0 || x >= im->cx1 || y >= im->cy1 || !(alpha > 0)) return;
    if (alpha > 1) alpha = 1;
    uint8_t *p = im->px + ((size_t)y * (size_t)im->w + (size_t)x) * 3;
    p[0] = (uint8_t)lrint(p[0] + alpha * (c.r - p[0]));
    p[1] = (uint8_t)lrint(p[1] + alpha * (c.g - p[1]));
    p[2] = (uint8_t)lrint(p[2] + alpha * (c.b - p[2]));
}

void render_rect_fill(render_image *im, int x0, int y0, int x1, int y1, render_rgb c,
                      double alpha)
{
    for (int y = y0 < im->cy0 ? im->cy0 : y0; y < y1 && y < im->cy1; y++)
        for (int x = x0 < im->cx0 ? im->cx0 : x0; x < x1 && x < im->cx1; x++)
            render_blend(im, x, y, c, alpha);
}

void render_rect_frame(render_image *im, int x0, int y0, int x1, int y1, render_rgb c)
{
    render_rect_fill(im, x0, y0, x1, y0 + 1, c, 1);
    render_rect_fill(im, x0, y1 - 1, x1, y1, c, 1);
    render_rect_fill(im, x0, y0, x0 + 1, y1, c, 1);
    render_rect_fill(im, x1 - 1, y0, x1, y1, c, 1);
}

/* floor (or ceil) of v clamped into [lo, hi], safe for huge and NaN
 * values (NaN gives lo), so a point far off the picture cannot overflow
 * an int. */
static int clamp_px(double v, int lo, int hi, int up)
{
    if (!(v > lo)) return lo;
    if (v >= hi) return hi;
    return (int)(up ? ceil(v) : floor(v));
}

/* Cuts segment a-b to the box [x0,x1] x [y0,y1] (Liang-Barsky); 0 when
 * nothing is left. Keeps coverage arithmetic in pixel-sized numbers when
 * an end point lies far off the picture. */
static int clip_seg(double *ax, double *ay, double *bx, double *by, double x0, double y0,
                    double x1, double y1)
{
    double t0 = 0, t1 = 1, dx = *bx - *ax, dy = *by - *ay;
    double p[4] = {-dx, dx, -dy, dy}, q[4] = {*ax - x0, x1 - *ax, *ay - y0, y1 - *ay};
    double edge[4] = {x0, x1, y0, y1};
    int e0 = -1, e1 = -1;
    for (int i = 0; i < 4; i++) {
        if (p[i] == 0) {
            if (q[i] < 0) return 0;
            continue;
        }
        double t = q[i] / p[i];
        if (p[i] < 0 ? t > t1 : t < t0) return 0;
        if (p[i] < 0 && t > t0) t0 = t, e0 = i;
        if (p[i] > 0 && t < t1) t1 = t, e1 = i;
    }
    /* A cut end is put exactly on its edge and the other coordinate comes
     * from the slope: sx + t*dx would lose every digit when an end point
     * is 1e300 pixels away. */
    double sx = *ax, sy = *ay;
    for (int k = 0; k < 2; k++) {
        int e = k ? e1 : e0;
        double *ox = k ? bx : ax, *oy = k ? by : ay;
        if (e < 0) continue;
        if (e < 2) {
            *ox = edge[e];
            *oy = sy + (edge[e] - sx) * (dy / dx);
        } else {
            *oy = edge[e];
            *ox = sx + (edge[e] - sy) * (dx / dy);
        }
    }
    return isfinite(*ax + *ay + *bx + *by);
}

/* Coverage of pixel centre (px, py) by a round-capped stroke of width w
 * from a to b: distance to the segment with one pixel of soft edge; lines
 * thinner than a pixel fade instead of thinning. */
static double stroke_cov(double px, double py, double ax, double ay, double bx, double by,
                         double w)
{
    double dx = bx - ax, dy = by - ay, len2 = dx * dx + dy * dy;
    double ux = px - ax, uy = py - ay;
    double t = len2 > 0 ? (ux * dx + uy * dy) / len2 : 0;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    double ex = ux - t * dx, ey = uy - t * dy;
    double cov = 0.5 * w + 0.5 - sqrt(ex * ex + ey * ey);
    double cap = w < 1 ? w : 1;
    return cov <= 0 ? 0 : cov > cap ? cap : cov;
}

void render_line(render_image *im, double x0, double y0, double x1, double y1, double width,
                 render_rgb c, double alpha)
{
    double r = 0.5 * width + 1;
    if (isnan(x0 + x1 + y0 + y1 + r) ||
        !clip_seg(&x0, &y0, &x1, &y1, im->cx0 - r, im->cy0 - r, im->cx1 + r, im->cy1 + r))
        return;
    int bx0 = clamp_px(fmin(x0, x1) - r, im->cx0, im->cx1, 0);
    int bx1 = clamp_px(fmax(x0, x1) + r, im->cx0, im->cx1, 1);
    int by0 = clamp_px(fmin(y0, y1) - r, im->cy0, im->cy1, 0);
    int by1 = clamp_px(fmax(y0, y1) + r, im->cy0, im->cy1, 1);
    for (int y = by0; y < by1; y++)
        for (int x = bx0; x < bx1; x++) {
            double cov = stroke_cov(x + 0.5, y + 0.5, x0, y0, x1, y1, width);
            if (cov > 0) render_blend(im, x, y, c, alpha * cov);
        }
}

int rlayer_init(rlayer *L, const render_image *im)
{
    memset(L, 0, sizeof *L);
    L->a = calloc((size_t)im->w * (size_t)im->h, sizeof *L->a);
    if (!L->a) return nn_err(NN_ENOMEM, "render: cannot allocate a %dx%d layer", im->w, im->h);
    L->w = im->w;
    L->h = im->h;
    L->cx0 = im->cx0;
    L->cy0 = im->cy0;
    L->cx1 = im->cx1;
    L->cy1 = im->cy1;
    L->bx0 = L->w;
    L->by0 = L->h;
    return NN_OK;
}

void rlayer_free(rlayer *L)
{
    free(L->a);
    L->a = NULL;
}

void rlayer_segment(rlayer *L, double ax, double ay, double bx, double by, double width)
{
    double r = 0.5 * width + 1;
    if (isnan(ax + ay + bx + by + r) ||
        !clip_seg(&ax, &ay, &bx, &by, L->cx0 - r, L->cy0 - r, L->cx1 + r, L->cy1 + r))
        return;
    int x0 = clamp_px(fmin(ax, bx) - r, L->cx0, L->cx1, 0);
    int x1 = clamp_px(fmax(ax, bx) + r, L->cx0, L->cx1, 1);
    int y0 = clamp_px(fmin(ay, by) - r, L->cy0, L->cy1, 0);
    int y1 = clamp_px(fmax(ay, by) + r, L->cy0, L->cy1, 1);
    if (x0 >= x1 || y0 >= y1) return;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) {
            float cov = (float)stroke_cov(x + 0.5, y + 0.5, ax, ay, bx, by, width);
            float *p = &L->a[(size_t)y * (size_t)L->w + (size_t)x];
            if (cov > *p) *p = cov;
        }
    if (x0 < L->bx0) L->bx0 = x0;
    if (y0 < L->by0) L->by0 = y0;
    if (x1 > L->bx1) L->bx1 = x1;
    if (y1 > L->by1) L->by1 = y1;
}

void rlayer_composite(rlayer *L, render_image *im, render_rgb c, double alpha)
{
    for (int y = L->by0; y < L->by1; y++)
        for (int x = L->bx0; x < L->bx1; x++) {
            float *p = &L->a[(size_t)y * (size_t)L->w + (size_t)x];
            if (*p > 0) render_blend(im, x, y, c, alpha * *p);
            *p = 0;
        }
    L->bx0 = L->w;
    L->by0 = L->h;
    L->bx1 = L->by1 = 0;
}

int render_polyline(render_image *im, const double *xy, int n, double width, render_rgb c,
                    double alpha, double dash)
{
    rlayer L;
    int rc = rlayer_init(&L, im);
    if (rc) return rc;
    double gap = 0.75 * dash, phase = 0; /* distance into the current dash+gap period */
    for (int i = 0; i + 1 < n; i++) {
        double ax = xy[2 * i], ay = xy[2 * i + 1], bx = xy[2 * i + 2], by = xy[2 * i + 3];
        if (!isfinite(ax + ay + bx + by)) continue;
        if (dash <= 0) {
            rlayer_segment(&L, ax, ay, bx, by, width);
            continue;
        }
        /* Dashes continue across vertices so a curve keeps an even rhythm;
         * what lies off the picture is cut first so the walk stays short. */
        double m = width + 2;
        if (!clip_seg(&ax, &ay, &bx, &by, L.cx0 - m, L.cy0 - m, L.cx1 + m, L.cy1 + m)) continue;
        double len = hypot(bx - ax, by - ay), s = 0;
        /* Each pass ends a dash or a gap, or the segment: bounded, even when
         * rounding makes a step too small to move s (then the dash state
         * just flips) — without that a remainder below one ulp of s spun
         * forever. */
        long guard = (long)(len / (dash + gap)) * 2 + 8;
        while (s < len && guard-- > 0) {
            int on = phase < dash;
            double left = on ? dash - phase : dash + gap - phase;
            double e = fmin(len, s + left);
            if (!(e > s)) {
                phase = on ? dash : 0;
                continue;
            }
            if (on && len > 0)
                rlayer_segment(&L, ax + (bx - ax) * s / len, ay + (by - ay) * s / len,
                               ax + (bx - ax) * e / len, ay + (by - ay) * e / len, width);
            phase += e - s;
            if (phase >= dash + gap) phase = 0;
            s = e;
        }
    }
    rlayer_composite(&L, im, c, alpha);
    rlayer_free(&L);
    return NN_OK;
}

/* A ring between radii rin and rout (rin <= 0 gives a disc). */
static void render_annulus(render_image *im, double cx, double cy, double rin, double rout,
                           render_rgb c, double alpha)
{
    if (!isfinite(cx + cy + rout)) return;
    int x0 = clamp_px(cx - rout - 1, im->cx0, im->cx1, 0);
    int x1 = clamp_px(cx + rout + 1, im->cx0, im->cx1, 1);
    int y0 = clamp_px(cy - rout - 1, im->cy0, im->cy1, 0);
    int y1 = clamp_px(cy + rout + 1, im->cy0, im->cy1, 1);
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) {
            double d = hypot(x + 0.5 - cx, y + 0.5 - cy);
            double co = rout + 0.5 - d, ci = rin > 0 ? d - rin + 0.5 : 1;
            double cov = fmin(fmin(co, ci), 1);
            if (cov > 0) render_blend(im, x, y, c, alpha * cov);
        }
}

void render_disc(render_image *im, double cx, double cy, double r, render_rgb c, double alpha)
{
    render_annulus(im, cx, cy, 0, r, c, alpha);
}

/* Even-odd point in polygon xy [n][2]. */
static int poly_inside(const double *xy, int n, double x, double y)
{
    int in = 0;
    for (int i = 0, j = n - 1; i < n; j = i++) {
        double xi = xy[2 * i], yi = xy[2 * i + 1], xj = xy[2 * j], yj = xy[2 * j + 1];
        if ((yi > y) != (yj > y) && x < xj + (y - yj) * (xi - xj) / (yi - yj)) in = !in;
    }
    return in;
}

void render_polygon_fill(render_image *im, const double *xy, int n, render_rgb c, double alpha)
{
    if (n < 3) return;
    double lx = xy[0], hx = xy[0], ly = xy[1], hy = xy[1];
    for (int i = 1; i < n; i++) {
        lx = fmin(lx, xy[2 * i]);
        hx = fmax(hx, xy[2 * i]);
        ly = fmin(ly, xy[2 * i + 1]);
        hy = fmax(hy, xy[2 * i + 1]);
    }
    if (!isfinite(lx + hx + ly + hy)) return;
    int x0 = clamp_px(lx, im->cx0, im->cx1, 0), x1 = clamp_px(hx, im->cx0, im->cx1, 1);
    int y0 = clamp_px(ly, im->cy0, im->cy1, 0), y1 = clamp_px(hy, im->cy0, im->cy1, 1);
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) {
            int hits = 0;
            for (int sy = 0; sy < 4; sy++)
                for (int sx = 0; sx < 4; sx++)
                    hits += poly_inside(xy, n, x + (sx + 0.5) / 4, y + (sy + 0.5) / 4);
            if (hits) render_blend(im, x, y, c, alpha * hits / 16.0);
        }
}

/* Vertices [k][2] of a regular shape of radius r at angle a0 (radians,
 * 0 = up), alternating outer and inner radius when ri > 0. */
static int shape_points(double *xy, int k, double cx, double cy, double r, double ri, double a0)
{
    int m = ri > 0 ? 2 * k : k;
    for (int i = 0; i < m; i++) {
        double a = a0 + 2 * M_PI * i / m, rr = (ri > 0 && (i & 1)) ? ri : r;
        xy[2 * i] = cx + rr * sin(a);
        xy[2 * i + 1] = cy - rr * cos(a);
    }
    return m;
}

void render_marker(render_image *im, int kind, double cx, double cy, double size,
                   render_rgb fill, render_rgb edge)
{
    double r = 0.5 * size, xy[20];
    int n = 0;
    if (!isfinite(cx + cy + size) || size <= 0) return;
    switch (kind) {
    case RENDER_MARK_DOT:
        render_disc(im, cx, cy, r, edge, 1);
        render_disc(im, cx, cy, r - 1.5, fill, 1);
        return;
    case RENDER_MARK_CIRCLE: {
        double ring = fmax(1.5, 0.2 * size);
        render_annulus(im, cx, cy, r - ring - 2.5, r, edge, 1);
        render_annulus(im, cx, cy, r - ring - 1.2, r - 1.2, fill, 1);
        return;
    }
    case RENDER_MARK_CROSS:
    case RENDER_MARK_PLUS: {
        /* Two bars, each first in the edge color a little wider. */
        double w = fmax(2, 0.22 * size), d = kind == RENDER_MARK_CROSS ? r * M_SQRT1_2 : r;
        double bar[2][4] = {{-d, -d, d, d}, {-d, d, d, -d}};
        if (kind == RENDER_MARK_PLUS) {
            double plus[2][4] = {{0, -d, 0, d}, {-d, 0, d, 0}};
            memcpy(bar, plus, sizeof bar);
        }
        for (int pass = 0; pass < 2; pass++)
            for (int b = 0; b < 2; b++)
                render_line(im, cx + bar[b][0], cy + bar[b][1], cx + bar[b][2], cy + bar[b][3],
                            pass ? w : w + 2.5, pass ? fill : edge, 1);
        return;
    }
    case RENDER_MARK_STAR: n = shape_points(xy, 5, cx, cy, r, 0.45 * r, 0); break;
    case RENDER_MARK_TRIANGLE: n = shape_points(xy, 3, cx, cy + 0.15 * r, 1.1 * r, 0, 0); break;
    case RENDER_MARK_SQUARE: n = shape_points(xy, 4, cx, cy, r * 1.05, 0, M_PI / 4); break;
    case RENDER_MARK_DIAMOND: n = shape_points(xy, 4, cx, cy, r * 1.1, 0, 0); break;
    default: return;
    }
    render_polygon_fill(im, xy, n, fill, 1);
    for (int i = 0; i < n; i++) {
        int j = (i + 1) % n;
        render_line(im, xy[2 * i], xy[2 * i + 1], xy[2 * j], xy[2 * j + 1], 1.4, edge, 1);
    }
}

int render_text(render_image *im, double x, double y, const char *s, int scale, int anchor,
                int rot, render_rgb c)
{
    if (!s || !*s) return NN_OK;
    if (!(fabs(x) < 1e6 && fabs(y) < 1e6)) return NN_OK; /* far off the picture (or NaN) */
    int tw = font_text_width(s, scale), th = font_text_height(scale);
    int bw = rot ? th : tw, bh = rot ? tw : th;
    int h = anchor & 3, v = anchor & 12;
    double left = h == RENDER_CENTER ? x - 0.5 * bw : h == RENDER_RIGHT ? x - bw : x;
    double top = v == RENDER_MIDDLE ? y - 0.5 * bh : v == RENDER_BOTTOM ? y - bh : y;
    uint8_t col[3] = {c.r, c.g, c.b};
    return font_draw(im->px, im->w, im->h, (int)lround(left), (int)lround(top), s, scale, rot,
                     col);
}

/* ---- PNG -------------------------------------------------------------- */

typedef struct {
    uint8_t *buf;
    size_t len, cap;
} png_membuf;

static void png_mem_write(png_structp png, png_bytep data, png_size_t n)
{
    png_membuf *m = png_get_io_ptr(png);
    if (m->len + n > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 65536;
        while (cap < m->len + n) cap *= 2;
        uint8_t *b = realloc(m->buf, cap);
        if (!b) png_error(png, "out of memory");
        m->buf = b;
        m->cap = cap;
    }
    memcpy(m->buf + m->len, data, n);
    m->len += n;
}

static void png_mem_flush(png_structp png) { (void)png; }

/* libpng reports through these; the message is kept for nn_err. */
static void png_on_error(png_structp png, png_const_charp msg)
{
    char *why = png_get_error_ptr(png);
    snprintf(why, 200, "%s", msg);
    png_longjmp(png, 1);
}

static void png_on_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

int render_png_write(const char *path, const render_image *im)
{
    char why[200] = "unknown libpng error";
    png_membuf m = {0};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, why, png_on_error,
                                              png_on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_write_struct(&png, NULL);
        return nn_err(NN_ENOMEM, "%s: cannot set up libpng", path);
    }
    /* The PNG is built in memory and then written atomically, so a failure
     * anywhere leaves nothing behind under either name. */
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        free(m.buf);
        return nn_err(NN_EIO, "%s: PNG encoding failed: %s", path, why);
    }
    png_set_write_fn(png, &m, png_mem_write, png_mem_flush);
    png_set_IHDR(png, info, (png_uint_32)im->w, (png_uint_32)im->h, 8, PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_compression_level(png, 6);
    png_write_info(png, info);
    for (int y = 0; y < im->h; y++)
        png_write_row(png, im->px + (size_t)y * (size_t)im->w * 3);
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    int rc = file_write_atomic(path, m.buf, m.len);
    free(m.buf);
    return rc;
}

typedef struct {
    const uint8_t *buf;
    size_t len, pos;
} png_memsrc;

static void png_mem_read(png_structp png, png_bytep out, png_size_t n)
{
    png_memsrc *s = png_get_io_ptr(png);
    if (n > s->len - s->pos) png_error(png, "file is truncated");
    memcpy(out, s->buf + s->pos, n);
    s->pos += n;
}

int render_png_read(const char *path, render_image *im)
{
    char why[200] = "unknown libpng error";
    uint8_t *file = NULL;
    size_t len;
    memset(im, 0, sizeof *im);
    int rc = file_read_all(path, (size_t)1 << 30, &file, &len);
    if (rc) return rc;
    if (len < 8 || png_sig_cmp(file, 0, 8)) {
        free(file);
        return nn_err(NN_EFORMAT, "%s: not a PNG file", path);
    }
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, why, png_on_error,
                                             png_on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_read_struct(&png, NULL, NULL);
        free(file);
        return nn_err(NN_ENOMEM, "%s: cannot set up libpng", path);
    }
    png_memsrc src = {file, len, 0};
    uint8_t *volatile px = NULL;
    png_bytep *volatile rows = NULL;
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        free(file);
        free(px);
        free(rows);
        return nn_err(NN_EFORMAT, "%s: bad PNG: %s", path, why);
    }
    png_set_read_fn(png, &src, png_mem_read);
    png_set_user_limits(png, RENDER_MAX_SIDE, RENDER_MAX_SIDE);
    png_read_info(png, info);
    /* Whatever the file holds becomes 8-bit RGB. */
    png_set_expand(png);
    png_set_strip_16(png);
    png_set_strip_alpha(png);
    png_set_gray_to_rgb(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    png_uint_32 w = png_get_image_width(png, info), h = png_get_image_height(png, info);
    if (png_get_rowbytes(png, info) != (size_t)w * 3) png_error(png, "unexpected row layout");
    px = malloc((size_t)w * h * 3);
    if (!px) png_error(png, "out of memory");
    rows = malloc(h * sizeof *rows);
    if (!rows) png_error(png, "out of memory");
    for (png_uint_32 y = 0; y < h; y++) rows[y] = px + (size_t)y * w * 3;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    free(rows);
    png_destroy_read_struct(&png, &info, NULL);
    free(file);
    im->px = px;
    im->w = (int)w;
    im->h = (int)h;
    render_clip_reset(im);
    return NN_OK;
}
