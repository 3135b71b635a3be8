/* The picture and its primitives on a cairo context: a raster surface for
 * PNG, a recording one for SVG and PDF (played into the file when it is
 * written), clipping, antialiased strokes and fills, markers, and files
 * written to a temporary name and renamed. Text lives in render_text.c. */
#include "render_priv.h"

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <cairo.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../datasets/fileio.h"
#include "../datasets/status.h"

/* Pictures larger than this are refused: they are mistakes, not figures. */
#define RENDER_MAX_SIDE 16384

render_rgb render_rgb_hex(uint32_t hex)
{
    return RGB((uint8_t)(hex >> 16), (uint8_t)(hex >> 8), (uint8_t)hex);
}

static const char *const fmt_names[RENDER_FORMAT_COUNT] = {"png", "svg", "pdf"};

const char *render_format_ext(int format)
{
    return format >= 0 && format < RENDER_FORMAT_COUNT ? fmt_names[format] : "png";
}

int render_format_parse(const char *name, int *format)
{
    for (int f = 0; name && f < RENDER_FORMAT_COUNT; f++)
        if (!strcmp(name, fmt_names[f])) {
            *format = f;
            return NN_OK;
        }
    return nn_err(NN_EINVAL, "unknown picture format '%s' (png, svg or pdf)", name ? name : "");
}

void rset_color(render_image *im, render_rgb c, double alpha)
{
    cairo_set_source_rgba(im->cr, c.r / 255.0, c.g / 255.0, c.b / 255.0,
                          alpha > 1 ? 1 : alpha < 0 ? 0 : alpha);
}

int render_image_init_as(render_image *im, int w, int h, render_rgb bg, const render_target *t)
{
    memset(im, 0, sizeof *im);
    int format = t ? t->format : RENDER_PNG;
    double dpi = t && t->dpi > 0 ? t->dpi : 96, k = dpi / 96;
    if (w < 1 || h < 1 || w > RENDER_MAX_SIDE || h > RENDER_MAX_SIDE)
        return nn_err(NN_EINVAL, "render: image size %dx%d (1..%d)", w, h, RENDER_MAX_SIDE);
    if (format < 0 || format >= RENDER_FORMAT_COUNT)
        return nn_err(NN_EINVAL, "render: format %d", format);
    if (!(dpi >= 10 && dpi <= 2400)) return nn_err(NN_EINVAL, "render: %g dpi (10..2400)", dpi);
    double pwd = ceil(w * k - 1e-9), phd = ceil(h * k - 1e-9);
    if (format == RENDER_PNG && (pwd > RENDER_MAX_SIDE || phd > RENDER_MAX_SIDE))
        return nn_err(NN_EINVAL, "render: %dx%d at %g dpi is %.0fx%.0f pixels (at most %d a side)",
                      w, h, dpi, pwd, phd, RENDER_MAX_SIDE);
    im->w = w;
    im->h = h;
    im->format = format;
    if (format == RENDER_PNG) {
        im->surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)pwd, (int)phd);
    } else {
        cairo_rectangle_t ext = {0, 0, w, h};
        im->surface = cairo_recording_surface_create(CAIRO_CONTENT_COLOR, &ext);
    }
    if (cairo_surface_status(im->surface)) goto nomem;
    im->cr = cairo_create(im->surface);
    if (cairo_status(im->cr)) goto nomem;
    if (format == RENDER_PNG) {
        im->pw = (int)pwd;
        im->ph = (int)phd;
        im->stride = cairo_image_surface_get_stride(im->surface);
        im->px = cairo_image_surface_get_data(im->surface);
        cairo_scale(im->cr, k, k);
    }
    rtext_setup(im);
    rset_color(im, bg, 1);
    cairo_paint(im->cr);
    render_clip_reset(im);
    return NN_OK;
nomem:
    render_image_free(im);
    return nn_err(NN_ENOMEM, "render: cannot create a %dx%d picture", w, h);
}

int render_image_init(render_image *im, int w, int h, render_rgb bg)
{
    return render_image_init_as(im, w, h, bg, NULL);
}

void render_image_free(render_image *im)
{
    if (im->cr) cairo_destroy(im->cr);
    if (im->surface) cairo_surface_destroy(im->surface);
    memset(im, 0, sizeof *im);
}

render_rgb render_image_get(const render_image *im, int x, int y)
{
    if (!im->px || x < 0 || y < 0 || x >= im->pw || y >= im->ph) return RGB(0, 0, 0);
    cairo_surface_flush(im->surface);
    uint32_t v;
    memcpy(&v, im->px + (size_t)y * (size_t)im->stride + (size_t)x * 4, 4);
    return RGB((uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v);
}

void render_clip_set(render_image *im, int x0, int y0, int x1, int y1)
{
    im->cx0 = x0 < 0 ? 0 : x0;
    im->cy0 = y0 < 0 ? 0 : y0;
    im->cx1 = x1 > im->w ? im->w : x1;
    im->cy1 = y1 > im->h ? im->h : y1;
    if (!im->cr) return;
    cairo_reset_clip(im->cr);
    cairo_rectangle(im->cr, im->cx0, im->cy0, im->cx1 > im->cx0 ? im->cx1 - im->cx0 : 0,
                    im->cy1 > im->cy0 ? im->cy1 - im->cy0 : 0);
    cairo_clip(im->cr);
}

void render_clip_reset(render_image *im) { render_clip_set(im, 0, 0, im->w, im->h); }

void render_blend(render_image *im, int x, int y, render_rgb c, double alpha)
{
    render_rect_fill(im, x, y, x + 1, y + 1, c, alpha);
}

void render_rect_fill(render_image *im, int x0, int y0, int x1, int y1, render_rgb c,
                      double alpha)
{
    if (x1 <= x0 || y1 <= y0 || !(alpha > 0)) return;
    /* Whole pixels: clamp to a little beyond the picture so huge ints
     * stay in cairo's fixed-point range. */
    double a = x0 < -1 ? -1 : x0, b = y0 < -1 ? -1 : y0;
    double e = x1 > im->w + 1 ? im->w + 1 : x1, f = y1 > im->h + 1 ? im->h + 1 : y1;
    if (e <= a || f <= b) return;
    rset_color(im, c, alpha);
    cairo_rectangle(im->cr, a, b, e - a, f - b);
    cairo_fill(im->cr);
}

void render_rect_frame(render_image *im, int x0, int y0, int x1, int y1, render_rgb c)
{
    if (x1 - x0 < 2 || y1 - y0 < 2) {
        render_rect_fill(im, x0, y0, x1, y1, c, 1);
        return;
    }
    rset_color(im, c, 1);
    cairo_set_line_width(im->cr, 1);
    cairo_rectangle(im->cr, x0 + 0.5, y0 + 0.5, x1 - x0 - 1, y1 - y0 - 1);
    cairo_stroke(im->cr);
}

/* Cuts segment a-b to the box [x0,x1] x [y0,y1] (Liang-Barsky); 0 when
 * nothing is left. cairo's coordinates are fixed-point: an end point far
 * off the picture must be brought near it before it reaches cairo. */
int rclip_seg(double *ax, double *ay, double *bx, double *by, double x0, double y0, double x1,
              double y1)
{
    double t0 = 0, t1 = 1, dx = *bx - *ax, dy = *by - *ay;
    double p[4] = {-dx, dx, -dy, dy}, q[4] = {*ax - x0, x1 - *ax, *ay - y0, y1 - *ay};
    double edge[4] = {x0, x1, y0, y1};
    int e0 = -1, e1 = -1;
    if (!isfinite(*ax + *ay + *bx + *by) && isnan(*ax + *ay + *bx + *by)) return 0;
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

/* The clip box widened by m: what may reach cairo. */
static int clip_to_view(const render_image *im, double *ax, double *ay, double *bx, double *by,
                        double m)
{
    return rclip_seg(ax, ay, bx, by, im->cx0 - m, im->cy0 - m, im->cx1 + m, im->cy1 + m);
}

void render_line(render_image *im, double x0, double y0, double x1, double y1, double width,
                 render_rgb c, double alpha)
{
    double xy[4] = {x0, y0, x1, y1};
    render_polyline(im, xy, 2, width, c, alpha, 0);
}

int render_polyline(render_image *im, const double *xy, int n, double width, render_rgb c,
                    double alpha, double dash)
{
    cairo_t *cr = im->cr;
    double m = width + 4, lx = NAN, ly = NAN;
    int any = 0;
    if (!(width > 0) || !isfinite(width)) return NN_OK;
    cairo_new_path(cr);
    /* One path stroked once: translucent lines do not darken where their
     * segments meet or cross. A NaN or infinite point breaks the line. */
    for (int i = 0; i + 1 < n; i++) {
        double ax = xy[2 * i], ay = xy[2 * i + 1], bx = xy[2 * i + 2], by = xy[2 * i + 3];
        if (!isfinite(ax + ay + bx + by)) continue;
        int cut = !(ax > im->cx0 - m && ax < im->cx1 + m && ay > im->cy0 - m && ay < im->cy1 + m);
        if (!clip_to_view(im, &ax, &ay, &bx, &by, m)) continue;
        if (cut || ax != lx || ay != ly) cairo_move_to(cr, ax, ay);
        cairo_line_to(cr, bx, by);
        lx = bx;
        ly = by;
        any = 1;
    }
    if (!any) return NN_OK;
    if (dash > 0) {
        double d[2] = {dash, 0.75 * dash};
        cairo_set_dash(cr, d, 2, 0);
        cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
    } else {
        cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    }
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    cairo_set_line_width(cr, width);
    rset_color(im, c, alpha);
    cairo_stroke(cr);
    cairo_set_dash(cr, NULL, 0, 0);
    return NN_OK;
}

/* A point cairo can take: inside the clip box with a generous margin. */
static int near_view(const render_image *im, double x, double y, double r)
{
    double m = r + 4;
    return isfinite(x + y + r) && x > im->cx0 - m && x < im->cx1 + m && y > im->cy0 - m &&
           y < im->cy1 + m;
}

void render_disc(render_image *im, double cx, double cy, double r, render_rgb c, double alpha)
{
    if (!(r > 0) || !near_view(im, cx, cy, r)) return;
    cairo_new_path(im->cr);
    cairo_arc(im->cr, cx, cy, r, 0, 2 * M_PI);
    rset_color(im, c, alpha);
    cairo_fill(im->cr);
}

/* Polygon xy [n][2] as a path with far vertices pulled in to the edge of
 * cairo's range (the part on the picture keeps its shape closely enough). */
static int poly_path(render_image *im, const double *xy, int n)
{
    double lim = 4.0 * (im->w > im->h ? im->w : im->h) + 1e4;
    cairo_new_path(im->cr);
    for (int i = 0; i < n; i++) {
        double x = xy[2 * i], y = xy[2 * i + 1];
        if (isnan(x + y)) return 0;
        x = x < -lim ? -lim : x > lim ? lim : x;
        y = y < -lim ? -lim : y > lim ? lim : y;
        if (i) cairo_line_to(im->cr, x, y);
        else cairo_move_to(im->cr, x, y);
    }
    cairo_close_path(im->cr);
    return 1;
}

void render_polygon_fill(render_image *im, const double *xy, int n, render_rgb c, double alpha)
{
    if (n < 3 || !poly_path(im, xy, n)) return;
    cairo_set_fill_rule(im->cr, CAIRO_FILL_RULE_EVEN_ODD);
    rset_color(im, c, alpha);
    cairo_fill(im->cr);
    cairo_set_fill_rule(im->cr, CAIRO_FILL_RULE_WINDING);
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
    cairo_t *cr = im->cr;
    if (!(size > 0) || !near_view(im, cx, cy, size)) return;
    switch (kind) {
    case RENDER_MARK_DOT:
    case RENDER_MARK_CIRCLE: {
        /* A ring is a thick circle: fill-colored band with edges both sides. */
        double ring = kind == RENDER_MARK_DOT ? 0 : fmax(1.5, 0.2 * size);
        cairo_new_path(cr);
        cairo_arc(cr, cx, cy, r - 0.75, 0, 2 * M_PI);
        if (ring > 0) {
            cairo_new_sub_path(cr);
            cairo_arc_negative(cr, cx, cy, fmax(r - 0.75 - ring - 1.5, 0.5), 2 * M_PI, 0);
        }
        rset_color(im, fill, 1);
        cairo_fill_preserve(cr);
        cairo_set_line_width(cr, 1.5);
        rset_color(im, edge, 1);
        cairo_stroke(cr);
        return;
    }
    case RENDER_MARK_CROSS:
    case RENDER_MARK_PLUS: {
        /* Two bars, each first in the edge color a little wider. */
        double w = fmax(2, 0.22 * size), d = kind == RENDER_MARK_CROSS ? (r - 1.5) * M_SQRT1_2 : r - 1.5;
        double bar[2][4] = {{-d, -d, d, d}, {-d, d, d, -d}};
        if (kind == RENDER_MARK_PLUS) {
            double plus[2][4] = {{0, -d, 0, d}, {-d, 0, d, 0}};
            memcpy(bar, plus, sizeof bar);
        }
        for (int pass = 0; pass < 2; pass++) {
            cairo_new_path(cr);
            for (int b = 0; b < 2; b++) {
                cairo_move_to(cr, cx + bar[b][0], cy + bar[b][1]);
                cairo_line_to(cr, cx + bar[b][2], cy + bar[b][3]);
            }
            cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
            cairo_set_line_width(cr, pass ? w : w + 2.5);
            rset_color(im, pass ? fill : edge, 1);
            cairo_stroke(cr);
        }
        return;
    }
    case RENDER_MARK_STAR: n = shape_points(xy, 5, cx, cy, r - 0.7, 0.45 * r, 0); break;
    case RENDER_MARK_TRIANGLE: n = shape_points(xy, 3, cx, cy + 0.15 * r, 1.1 * r - 0.7, 0, 0); break;
    case RENDER_MARK_SQUARE: n = shape_points(xy, 4, cx, cy, r * 1.05 - 0.7, 0, M_PI / 4); break;
    case RENDER_MARK_DIAMOND: n = shape_points(xy, 4, cx, cy, r * 1.1 - 0.7, 0, 0); break;
    default: return;
    }
    poly_path(im, xy, n);
    rset_color(im, fill, 1);
    cairo_fill_preserve(cr);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_MITER);
    cairo_set_line_width(cr, 1.4);
    rset_color(im, edge, 1);
    cairo_stroke(cr);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
}

/* ---- files ------------------------------------------------------------ */

/* cairo's stream writers append to the open temporary; the first failure
 * is kept and ends the stream. */
typedef struct {
    int fd;
    int failed;
} sink;

static cairo_status_t sink_write(void *closure, const unsigned char *data, unsigned int len)
{
    sink *s = closure;
    if (s->failed || file_write_all(s->fd, data, len)) {
        s->failed = 1;
        return CAIRO_STATUS_WRITE_ERROR;
    }
    return CAIRO_STATUS_SUCCESS;
}

int render_image_write(const char *path, render_image *im)
{
    char tmp[4096];
    int fd = -1, rc;
    if (!im->cr) return nn_err(NN_EINVAL, "%s: no picture to write", path);
    if ((rc = file_tmp_open(path, tmp, sizeof tmp, &fd))) return rc;
    sink s = {fd, 0};
    cairo_status_t st;
    if (im->format == RENDER_PNG) {
        cairo_surface_flush(im->surface);
        st = cairo_surface_write_to_png_stream(im->surface, sink_write, &s);
    } else {
        /* Vector files are w x h px at 0.75 pt per px: the size a 96-dpi
         * screen shows the PNG at. */
        double k = 0.75;
        cairo_surface_t *out =
            im->format == RENDER_SVG
                ? cairo_svg_surface_create_for_stream(sink_write, &s, im->w * k, im->h * k)
                : cairo_pdf_surface_create_for_stream(sink_write, &s, im->w * k, im->h * k);
        if (im->format == RENDER_SVG) cairo_svg_surface_restrict_to_version(out, CAIRO_SVG_VERSION_1_1);
        if (im->format == RENDER_SVG) cairo_svg_surface_set_document_unit(out, CAIRO_SVG_UNIT_PT);
        cairo_t *cr = cairo_create(out);
        cairo_scale(cr, k, k);
        cairo_set_source_surface(cr, im->surface, 0, 0);
        cairo_paint(cr);
        st = cairo_status(cr);
        cairo_destroy(cr);
        cairo_surface_finish(out);
        if (!st) st = cairo_surface_status(out);
        cairo_surface_destroy(out);
    }
    if (st || s.failed) {
        file_tmp_abort(fd, tmp);
        return nn_err(NN_EIO, "%s: cannot write the %s: %s", path, render_format_ext(im->format),
                      s.failed ? "write failed" : cairo_status_to_string(st));
    }
    return file_tmp_commit(fd, tmp, path);
}

int render_png_write(const char *path, render_image *im)
{
    if (im->format != RENDER_PNG)
        return nn_err(NN_EINVAL, "%s: a %s picture written as PNG", path,
                      render_format_ext(im->format));
    return render_image_write(path, im);
}
