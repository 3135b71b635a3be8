/* Internals shared by the render*.c files: coverage layers for translucent
 * strokes, axes (data <-> pixel maps, tick drawing) and the text sizes a
 * figure of a given size uses. Not part of the public API. */
#ifndef SADDLE_RENDER_PRIV_H
#define SADDLE_RENDER_PRIV_H

#include "render.h"

/* A coverage buffer the size of an image: strokes max-combine into it and
 * it is blended once, so overlapping translucent strokes do not stack. */
typedef struct {
    int w, h;
    float *a;                /* [h][w] coverage in [0, 1] */
    int cx0, cy0, cx1, cy1;  /* clip, from the image at init */
    int bx0, by0, bx1, by1;  /* bounding box of what was drawn */
} rlayer;

int rlayer_init(rlayer *L, const render_image *im);
void rlayer_free(rlayer *L);
void rlayer_segment(rlayer *L, double ax, double ay, double bx, double by, double width);
/* Blends c at alpha * coverage into im and clears the layer. */
void rlayer_composite(rlayer *L, render_image *im, render_rgb c, double alpha);

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

/* Text scales and lengths, chosen from the picture size. */
typedef struct {
    int tick;    /* tick label text scale */
    int label;   /* axis titles */
    int title;
    int sub;     /* subtitle, legend */
    int ticklen; /* px */
    int pad;     /* px between text and what it labels */
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

/* Title and subtitle, centred on cx and wrapped (or shrunk) to fit a
 * picture W wide, from row y. Measures only when im is NULL. Returns the
 * height used, or minus an NN_* status. */
int rdraw_titles(render_image *im, const char *title, const char *subtitle, double cx, int W,
                 int y, const rtheme *t);

/* Fits text into max_w by lowering the scale (down to 1). */
int rtext_fit_scale(const char *s, int scale, int max_w);

#define RGB(r, g, b) ((render_rgb){(r), (g), (b)})
#define RENDER_INK RGB(34, 34, 34)       /* text and frames */
#define RENDER_INK_SOFT RGB(90, 90, 90)  /* subtitles, tick marks */

#endif
