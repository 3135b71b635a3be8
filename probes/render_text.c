/* Text through cairo in DejaVu Sans (found by fontconfig): sizes in px,
 * boxes measured from the font's advances, "_{sub}" and "^{sup}" markup,
 * rotation for vertical axis titles, and word wrap for titles. */
#include "render_priv.h"

#include <cairo.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../datasets/status.h"

#define FONT_FACE "DejaVu Sans"
/* A line's box: this much of the size above the baseline, the rest below. */
#define TEXT_ASCENT 0.76
#define SUB_SCALE 0.72

/* fontconfig and cairo keep their font caches until the process ends;
 * LeakSanitizer (make SAN=1) is told so, and still reports saddle's own. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libfontconfig.so\nleak:libcairo.so\nleak:libfreetype.so\n";
}

double render_scale_px(int scale)
{
    static const double px[5] = {0, 11, 14, 18, 24};
    return px[scale < 1 ? 1 : scale > 4 ? 4 : scale];
}

/* Same glyph advances whatever the target: no hinted metrics, so a
 * label measured once fits on the PNG, the SVG and the PDF alike. */
static void font_setup(cairo_t *cr, int bold)
{
    cairo_select_font_face(cr, FONT_FACE, CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_font_options_t *fo = cairo_font_options_create();
    cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
    cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
    cairo_font_options_set_antialias(fo, CAIRO_ANTIALIAS_GRAY);
    cairo_set_font_options(cr, fo);
    cairo_font_options_destroy(fo);
}

void rtext_setup(render_image *im) { font_setup(im->cr, 0); }

/* A context for measuring before (or without) a picture. */
static cairo_t *measure_cr(void)
{
    static cairo_t *cr;
    if (!cr) {
        cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_A8, 1, 1);
        cr = cairo_create(s);
        cairo_surface_destroy(s);
        font_setup(cr, 0);
    }
    return cr;
}

/* The next run of s: plain text up to markup, or the body of "_{..}" /
 * "^{..}". Returns its length in s (with the markup) and sets *body,
 * *blen and *kind (0 plain, 1 sub, 2 sup). */
static size_t next_run(const char *s, const char **body, size_t *blen, int *kind)
{
    if ((s[0] == '_' || s[0] == '^') && s[1] == '{') {
        const char *e = strchr(s + 2, '}');
        if (e) {
            *body = s + 2;
            *blen = (size_t)(e - s - 2);
            *kind = s[0] == '_' ? 1 : 2;
            return (size_t)(e - s + 1);
        }
    }
    size_t n = 0;
    while (s[n] && !((s[n] == '_' || s[n] == '^') && s[n + 1] == '{' && strchr(s + n + 2, '}')))
        n++;
    if (!n) n = 1;
    *body = s;
    *blen = n;
    *kind = 0;
    return n;
}

/* Walks the runs of s at size px on cr, drawing at baseline (x, y) when
 * draw; returns the advance. */
static double runs(cairo_t *cr, const char *s, double px, int draw, double x, double y, int bold)
{
    double adv = 0;
    char buf[512];
    while (*s) {
        const char *body;
        size_t blen;
        int kind;
        s += next_run(s, &body, &blen, &kind);
        if (blen >= sizeof buf) blen = sizeof buf - 1;
        memcpy(buf, body, blen);
        buf[blen] = 0;
        double size = kind ? px * SUB_SCALE : px;
        double shift = kind == 1 ? 0.2 * px : kind == 2 ? -0.38 * px : 0;
        cairo_set_font_size(cr, size);
        cairo_text_extents_t te;
        cairo_text_extents(cr, buf, &te);
        if (draw) {
            cairo_move_to(cr, x + adv, y + shift);
            cairo_show_text(cr, buf);
        }
        adv += te.x_advance;
    }
    (void)bold;
    return adv;
}

double rtext_w_bold(const char *s, double px, int bold)
{
    if (!s || !*s) return 0;
    cairo_t *cr = measure_cr();
    font_setup(cr, bold);
    return runs(cr, s, px, 0, 0, 0, bold);
}

double rtext_w(const char *s, double px) { return rtext_w_bold(s, px, 0); }

void render_text_size(const char *s, double px, double *w, double *h)
{
    *w = rtext_w(s, px);
    *h = s && *s ? px : 0;
}

int rtext_draw(render_image *im, double x, double y, const char *s, double px, int anchor, int rot,
               render_rgb c, int bold)
{
    if (!s || !*s) return NN_OK;
    if (!(px >= 1 && px <= 400)) return nn_err(NN_EINVAL, "render: text size %g px", px);
    if (rot != 0 && rot != 90) return nn_err(NN_EINVAL, "render: text rotation %d", rot);
    if (!(fabs(x) < 1e6 && fabs(y) < 1e6)) return NN_OK; /* far off the picture (or NaN) */
    double tw = rtext_w_bold(s, px, bold), th = px;
    double bw = rot ? th : tw, bh = rot ? tw : th;
    int ha = anchor & 3, va = anchor & 12;
    double left = ha == RENDER_CENTER ? x - 0.5 * bw : ha == RENDER_RIGHT ? x - bw : x;
    double top = va == RENDER_MIDDLE ? y - 0.5 * bh : va == RENDER_BOTTOM ? y - bh : y;
    cairo_t *cr = im->cr;
    cairo_save(cr);
    font_setup(cr, bold);
    rset_color(im, c, 1);
    if (rot) {
        /* Turned a quarter counter-clockwise: reads bottom to top. */
        cairo_translate(cr, left, top + bh);
        cairo_rotate(cr, -M_PI / 2);
    } else {
        cairo_translate(cr, left, top);
    }
    cairo_new_path(cr);
    runs(cr, s, px, 1, 0, TEXT_ASCENT * th, bold);
    cairo_restore(cr);
    cairo_new_path(cr);
    return NN_OK;
}

int render_text_px(render_image *im, double x, double y, const char *s, double px, int anchor,
                   int rot, render_rgb c)
{
    return rtext_draw(im, x, y, s, px, anchor, rot, c, 0);
}

int render_text(render_image *im, double x, double y, const char *s, int scale, int anchor,
                int rot, render_rgb c)
{
    if (scale < 1 || scale > 4) return nn_err(NN_EINVAL, "render: text scale %d (1..4)", scale);
    return rtext_draw(im, x, y, s, render_scale_px(scale), anchor, rot, c, 0);
}

/* Greedy word wrap of s into at most RWRAP_LINES lines [256] no wider than
 * max_w; returns the line count, or 99 when a word alone is too wide or
 * the lines run out. */
int rtext_wrap(const char *s, double px, int bold, double max_w, char lines[][256], int maxl)
{
    int n = 0;
    char cur[256] = "";
    while (*s) {
        while (*s == ' ') s++;
        size_t wl = strcspn(s, " ");
        if (!wl) break;
        char cand[512];
        snprintf(cand, sizeof cand, "%s%s%.*s", cur, *cur ? " " : "", (int)wl, s);
        size_t cl = strlen(cand);
        if (rtext_w_bold(cand, px, bold) <= max_w && cl < sizeof cur) {
            memcpy(cur, cand, cl + 1);
        } else {
            if (!*cur || n == maxl) return 99;
            snprintf(lines[n++], 256, "%s", cur);
            snprintf(cur, sizeof cur, "%.*s", (int)(wl < 255 ? wl : 255), s);
            if (rtext_w_bold(cur, px, bold) > max_w) return 99;
        }
        s += wl;
    }
    if (*cur) {
        if (n == maxl) return 99;
        snprintf(lines[n++], 256, "%s", cur);
    }
    return n;
}
