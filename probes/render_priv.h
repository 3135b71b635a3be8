/* Internals shared by the render*.c files: the cairo source color, text
 * measuring and wrapping, axes (data <-> pixel maps, tick drawing) and the
 * text sizes a figure of a given size uses. Not part of the public API. */
#ifndef SADDLE_RENDER_PRIV_H
#define SADDLE_RENDER_PRIV_H

#include "render.h"

void rset_color(render_image *im, render_rgb c, double alpha); /* the cairo source */
/* Cuts segment a-b to [x0,x1] x [y0,y1]; 0 when nothing is left. */
int rclip_seg(double *ax, double *ay, double *bx, double *by, double x0, double y0, double x1,
              double y1);

/* Text: the font on a new picture's context, widths at size px (bold for
 * titles), drawing, and greedy word wrap into at most maxl lines (99 when
 * it does not fit). */
void rtext_setup(render_image *im);
double rtext_w(const char *s, double px);
double rtext_w_bold(const char *s, double px, int bold);
int rtext_draw(render_image *im, double x, double y, const char *s, double px, int anchor, int rot,
               render_rgb c, int bold);
int rtext_wrap(const char *s, double px, int bold, double max_w, char lines[][256], int maxl);

/* An axis: data [lo, hi] (log10 spaced when log) onto pixels [p0, p1];
 * p0 > p1 for a y axis, whose data grows upwards. */
typedef struct {
    double lo, hi;
    int log;
    double p0, p1;
} raxis;

double raxis_px(const raxis *a, double v); /* NaN when v <= 0 on a log axis */
/* Ticks inside [lo, hi]: linear or log as the axis is. */
int raxis_ticks(const raxis *a, int target, double *ticks, int cap, double *step);

/* Font sizes (px, never below RENDER_MIN_TEXT_PX) and lengths, chosen
 * from the picture size. */
typedef struct {
    double tick;  /* tick labels */
    double label; /* axis titles */
    double title;
    double sub;   /* subtitle, legend, labels on the plot */
    int ticklen;  /* px */
    int pad;      /* px between text and what it labels */
} rtheme;

rtheme rtheme_for(int w, int h);

#define RTICKS_MAX 32
/* Draws a horizontal axis's ticks (pointing down from y) and, when labels,
 * their labels below; returns the height used below y. */
int rdraw_xticks(render_image *im, const raxis *a, int y, int labels, const rtheme *t);
/* Draws a vertical axis's ticks pointing left from x (right when side > 0)
 * with labels beyond them; returns the widest label's width. */
int rdraw_yticks(render_image *im, const raxis *a, int x, int side, int target, const rtheme *t);
/* The widest tick label a vertical axis will draw. */
int ryticks_width(const raxis *a, int target, const rtheme *t);

/* Title and subtitle, centred on cx and wrapped onto more lines (never
 * shrunk below RENDER_MIN_TEXT_PX) to fit a picture W wide, from row y.
 * Measures only when im is NULL. Returns the height used, or minus an
 * NN_* status. */
int rdraw_titles(render_image *im, const char *title, const char *subtitle, double cx, int W,
                 int y, const rtheme *t);

/* The size (at most px, at least RENDER_MIN_TEXT_PX) at which s fits max_w. */
double rtext_fit(const char *s, double px, double max_w);

#define RGB(r, g, b) ((render_rgb){(r), (g), (b)})
#define RENDER_INK RGB(34, 34, 34)       /* text and frames */
#define RENDER_INK_SOFT RGB(90, 90, 90)  /* subtitles, tick marks */

#endif
