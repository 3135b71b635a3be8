/* Internals of the 3-D figure shared by render_3d_fig.c (panes, floor,
 * mesh, marks, paths) and render_3d_axes.c (axes, texts, fit): the figure's
 * state and its maps from data to the box. Not part of the public API. */
#ifndef SADDLE_RENDER_3D_PRIV_H
#define SADDLE_RENDER_3D_PRIV_H

#include "render_3d.h"
#include "render_priv.h"

#define R3_DIST 7.5  /* camera distance in box units: a mild perspective */
#define R3_TICKS_MAX 16
/* A text line's height and a marker's size for a font of px pixels. */
#define R3_LINE(px) ((int)(1.25 * (px) + 0.5))
#define R3_MARK(px) (7 + 3 * (px) / 11.0)

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
} r3fig;

static inline double r3_t(const r3fig *f, double sv) { return (sv - f->smin) / (f->smax - f->smin); }
static inline double r3_z(const r3fig *f, double sv) { return f->gap + f->zh * r3_t(f, sv); }
static inline double r3_x(const r3fig *f, double x) { return -f->hx + 2 * f->hx * (x - f->x0) / (f->x1 - f->x0); }
static inline double r3_y(const r3fig *f, double y) { return -f->hy + 2 * f->hy * (y - f->y0) / (f->y1 - f->y0); }
/* Grid index i of n evenly over [-h, h]. */
static inline double r3_gx(int i, int n, double h) { return -h + 2 * h * i / (n - 1); }

/* Box point (X, Y, Z) -> pixel xy [2]. */
void r3_px(const r3fig *f, double X, double Y, double Z, double *xy);
/* A mark's place in the box P [3] on the surface and the cell it sits in;
 * 0 when off the grid or over a cell not computed. */
int r3_mark_place(const r3fig *f, const render_mark *m, double *P, size_t *cell);

/* render_3d_axes.c */
/* Ticks of the x (0), y (1) or z (2) axis, in data units. */
int r3_ticks(const r3fig *f, int axis, double *v, double *step);
/* The height of a z tick value in the box (NaN outside the drawn range). */
double r3_ztick(const r3fig *f, double v);
/* The estimated width of text, px. */
double r3_text_w(const char *s, double px);
/* Fits the box so that it and its axis labels fill the area A [4]. */
int r3_place(r3fig *f, const double *A);
/* Draws an axis (im NULL: only measures its labels into f->ext). */
int r3_axis(r3fig *f, render_image *im, int axis);
int r3_zaxis(r3fig *f, render_image *im);
int r3_colorbar(r3fig *f, render_image *im, int x0, int y0, int x1, int y1);
/* 1 when a mark is explained in the legend. */
int r3_in_legend(const r3fig *f, const render_mark *m);
/* The legend and the note from row y down. */
int r3_footer(const r3fig *f, render_image *im, int y);
/* What the picture leaves out or clips, into in->note. */
void r3_note(render_3d_info *in, int npts, int log_z);

#endif
