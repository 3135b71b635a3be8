/* Pictures through cairo: a drawing surface (raster for PNG, recorded for
 * SVG and PDF), antialiased primitives and text in DejaVu Sans, files
 * written atomically, colormaps, nice ticks, marching-squares contours,
 * and the two figures saddle draws: a heatmap of a surface and a line plot
 * of series. Pixels and files only; nothing here knows what a model is. */
#ifndef SADDLE_RENDER_H
#define SADDLE_RENDER_H

#include <stddef.h>
#include <stdint.h>

/* ---- images and primitives -------------------------------------------- */

typedef struct { uint8_t r, g, b; } render_rgb;

/* A color in an option struct: RENDER_HEX(0xRRGGBB); 0 means "default", so
 * zero-initialized options pick sensible colors and black stays expressible. */
#define RENDER_HEX(h) (0x1000000u | ((uint32_t)(h) & 0xffffffu))
render_rgb render_rgb_hex(uint32_t hex); /* 0xRRGGBB (flag bit ignored) */

/* Output formats: PNG is a raster (its pixel size follows the dpi), SVG
 * and PDF are vector pictures of w x h px at 0.75 pt per px. */
enum { RENDER_PNG = 0, RENDER_SVG, RENDER_PDF, RENDER_FORMAT_COUNT };
const char *render_format_ext(int format); /* "png", "svg", "pdf" */
/* "png", "svg", "pdf" -> RENDER_*; NN_EINVAL naming the choices otherwise. */
int render_format_parse(const char *name, int *format);

/* Where a figure goes: zero-initialized is a 96-dpi PNG. */
typedef struct {
    int format;   /* RENDER_PNG, RENDER_SVG, RENDER_PDF */
    double dpi;   /* PNG pixel density, 0 -> 96: a w x h figure is w*dpi/96 px wide */
} render_target;

/* A picture of w x h px (96 dpi units: every drawing coordinate below is
 * in them, whatever the format). Raster pictures keep their pixels in px:
 * cairo's RGB24 rows (one native-endian 0x00RRGGBB uint32 per pixel,
 * stride bytes a row), pw x ph of them. Vector pictures record the drawing
 * (px is NULL) and are played into the SVG or PDF file when written. */
typedef struct {
    int w, h;
    int pw, ph, stride;      /* raster size in pixels; 0 for vector pictures */
    uint8_t *px;
    int format;
    struct _cairo_surface *surface;
    struct _cairo *cr;
    int cx0, cy0, cx1, cy1;  /* drawing is clipped to [cx0,cx1) x [cy0,cy1) */
} render_image;

/* A 96-dpi raster picture filled with bg. */
int render_image_init(render_image *im, int w, int h, render_rgb bg);
/* A picture for target t (NULL: as render_image_init). */
int render_image_init_as(render_image *im, int w, int h, render_rgb bg, const render_target *t);
void render_image_free(render_image *im);
/* Pixel (x, y) of a raster picture; black outside it and for vector ones. */
render_rgb render_image_get(const render_image *im, int x, int y);
/* Writes the picture in its format to a temporary name and renames it. */
int render_image_write(const char *path, render_image *im);
void render_clip_set(render_image *im, int x0, int y0, int x1, int y1);
void render_clip_reset(render_image *im);

/* Mixes c into pixel (x, y) with opacity alpha in [0, 1] (clipped). */
void render_blend(render_image *im, int x, int y, render_rgb c, double alpha);
/* Pixels [x0, x1) x [y0, y1). */
void render_rect_fill(render_image *im, int x0, int y0, int x1, int y1, render_rgb c,
                      double alpha);
/* A 1-px frame just inside [x0, x1) x [y0, y1). */
void render_rect_frame(render_image *im, int x0, int y0, int x1, int y1, render_rgb c);
/* Anti-aliased round-capped segment, width in pixels; coordinates are
 * continuous (pixel (i, j) covers [i, i+1) x [j, j+1)). */
void render_line(render_image *im, double x0, double y0, double x1, double y1, double width,
                 render_rgb c, double alpha);
/* Joined segments through xy [n][2], blended once so translucent lines do
 * not darken at their joints; dash > 0 draws dash-px dashes with gaps. */
int render_polyline(render_image *im, const double *xy, int n, double width, render_rgb c,
                    double alpha, double dash);
void render_disc(render_image *im, double cx, double cy, double r, render_rgb c, double alpha);
/* Filled polygon xy [n][2] (even-odd rule, 4x4 supersampled edges). */
void render_polygon_fill(render_image *im, const double *xy, int n, render_rgb c, double alpha);

enum {
    RENDER_MARK_NONE = 0,
    RENDER_MARK_DOT,       /* filled circle */
    RENDER_MARK_CIRCLE,    /* ring */
    RENDER_MARK_CROSS,     /* x */
    RENDER_MARK_PLUS,
    RENDER_MARK_STAR,      /* five points */
    RENDER_MARK_TRIANGLE,  /* pointing up */
    RENDER_MARK_SQUARE,
    RENDER_MARK_DIAMOND,
    RENDER_MARK_COUNT
};
/* A marker of the given size (outer diameter, px) centred at (cx, cy):
 * fill color with a 1.5-px edge so it stays visible on any background. */
void render_marker(render_image *im, int kind, double cx, double cy, double size,
                   render_rgb fill, render_rgb edge);

/* Text anchors: where (x, y) sits on the text's box (after rotation). A
 * line's box is as tall as its font size: 0.76 of it above the baseline
 * and 0.24 below, so RENDER_MIDDLE centres lowercase and digits. */
enum {
    RENDER_LEFT = 0, RENDER_CENTER = 1, RENDER_RIGHT = 2,
    RENDER_TOP = 0, RENDER_MIDDLE = 4, RENDER_BOTTOM = 8
};
/* UTF-8 text in DejaVu Sans at font size px (at least 1); rot 0 or 90
 * (reads bottom to top). Light markup: "λ_{max}" sets "max" as a
 * subscript, "x^{2}" as a superscript; a lone '_' or '^' is itself. */
int render_text_px(render_image *im, double x, double y, const char *s, double px, int anchor,
                   int rot, render_rgb c);
/* The box (w x h, unrotated) the text takes at size px. */
void render_text_size(const char *s, double px, double *w, double *h);
/* Text at scale 1..4: font sizes 11, 14, 18 and 24 px (RENDER_SCALE_PX). */
int render_text(render_image *im, double x, double y, const char *s, int scale, int anchor,
                int rot, render_rgb c);
double render_scale_px(int scale);
/* The smallest font size any figure uses: what stays legible. */
#define RENDER_MIN_TEXT_PX 11.0

/* A figure's title (bold) and subtitle as every figure sets them, centred
 * on a picture W x H and wrapped onto more lines to fit it, from row y.
 * Only measures when im is NULL. Returns the height used, or minus an
 * NN_* status. */
int render_titles(render_image *im, const char *title, const char *subtitle, int W, int H, int y);

/* PNG files of raster pictures: 8-bit RGB through cairo, written to a
 * temporary name and renamed. */
int render_png_write(const char *path, render_image *im);
/* Any PNG libpng reads, converted to 8-bit RGB (alpha dropped). */
int render_png_read(const char *path, render_image *im);

/* ---- colors ----------------------------------------------------------- */

enum {
    RENDER_CMAP_VIRIDIS = 0, RENDER_CMAP_MAGMA, RENDER_CMAP_INFERNO, RENDER_CMAP_PLASMA,
    RENDER_CMAP_CIVIDIS, RENDER_CMAP_GRAY, RENDER_CMAP_COUNT
};
/* Color at t in [0, 1] (clamped; NaN gives the map's low end). */
render_rgb render_cmap(int cmap, double t);
const char *render_cmap_name(int cmap);
/* "viridis", "magma", ... -> RENDER_CMAP_*; NN_EINVAL for unknown names. */
int render_cmap_parse(const char *name, int *cmap);
/* Colorblind-safe qualitative palette (Okabe-Ito order); i wraps mod 8. */
render_rgb render_palette(int i);

/* ---- ticks and contours ----------------------------------------------- */

/* Ticks at multiples of a 1, 2 or 5 x 10^k step inside [lo, hi], about
 * target of them (at least two when the range allows). Returns the count
 * written to ticks [cap]; *step receives the spacing. */
int render_ticks(double lo, double hi, int target, double *ticks, int cap, double *step);
/* Ticks for a log axis over positive [lo, hi]: whole decades (thinned to
 * at most target+1), 1-2-5 per decade when few decades show, and plain
 * linear ticks when the range is under a decade. *step is 0 for decade or
 * 1-2-5 ticks, else the linear spacing. */
int render_ticks_log(double lo, double hi, int target, double *ticks, int cap, double *step);
/* The label of tick v: step > 0 is the spacing of a linear tick set (it
 * fixes the decimals); step 0 labels a lone value compactly. Scientific
 * ("2.5e-5") for tiny and huge magnitudes; never "-0". */
void render_tick_label(double v, double step, char *buf, size_t cap);

typedef struct { double x0, y0, x1, y1; } render_seg;
/* Marching squares: the segments where the bilinear surface of z [ny][nx]
 * crosses level, in grid coordinates (x = column 0..nx-1, y = row
 * 0..ny-1). Cells with a NaN corner are skipped; saddle cells are split by
 * the cell's mean. *segs is malloc'd (caller frees, NULL when none). */
int render_contour(const double *z, int nx, int ny, double level, render_seg **segs,
                   size_t *nseg);

/* ---- heatmap ---------------------------------------------------------- */

typedef struct {
    const double *xy;  /* [n][2] points in data coordinates */
    int n;
    const char *label; /* legend text, or NULL */
    uint32_t color;    /* RENDER_HEX(..), 0 = white */
} render_path;

typedef struct {
    double x, y;       /* data coordinates */
    int kind;          /* RENDER_MARK_*, 0 = diamond */
    const char *label; /* drawn beside the marker, or NULL */
    uint32_t color;    /* fill, 0 = white (the edge is black) */
} render_mark;

typedef struct {
    int width, height;           /* 0 -> 800 x 640 */
    const char *title, *subtitle;
    const char *xlabel, *ylabel; /* axis titles; 0 -> none */
    const char *zlabel;          /* colorbar title, e.g. "loss" */
    int cmap;                    /* RENDER_CMAP_*, 0 = viridis */
    int log_scale;               /* color (and contour) by log10 of the values */
    double vmin, vmax;           /* fixed color range when vmin < vmax (shared scales) */
    int vmin_set, vmax_set;      /* or fix just that end (the other from the data) */
    int ncontours;               /* 0 -> 8 levels, < 0 -> no contours */
    const double *levels;        /* explicit levels [nlevels] (data units) */
    int nlevels;
    int no_min_marker;           /* do not star the grid minimum ("grid minimum" in the legend) */
    const char *origin_label;    /* mark (0, 0) with a + and this legend text, e.g. "trained model" */
    const char *flat_note;       /* said in the plot when every computed value is the same */
    int stretch;                 /* fill the area instead of keeping the x:y data aspect (done
                                  * anyway, and said under the x axis, when the aspect would
                                  * leave less than 60% of the area filled) */
    const render_path *paths;    /* trajectories [npaths] */
    int npaths;
    const render_mark *marks;    /* labelled points [nmarks] */
    int nmarks;
} render_heatmap_opts;

#define RENDER_MAX_LABELS 64
typedef struct {
    double vmin, vmax;   /* color range used, data units */
    double zmin;         /* the grid minimum (NaN when no cell is computed) */
    int imin, jmin;      /* its column (x) and row (y) */
    size_t nnan;         /* cells not yet computed (NaN) */
    size_t nclamped;     /* log scale: values <= 0 drawn as log_floor */
    double log_floor;
    int nlevels;         /* contour levels drawn */
    int plot_x0, plot_y0, plot_x1, plot_y1; /* plot area, pixels [x0,x1) x [y0,y1) */
    int cbar_x0, cbar_y0, cbar_x1, cbar_y1; /* colorbar gradient, pixels */
    char note[200];      /* remarks for the user ("12 values <= 0 clamped ..."), or "" */
    int nlabels;         /* mark labels placed, and their boxes x0, y0, x1, y1 (px) */
    int label_box[RENDER_MAX_LABELS][4];
    int stretched;       /* the data aspect would have left the plot mostly empty: it fills the area */
    int nlegend;         /* legend entries (paths, start, end, origin, grid minimum) */
} render_heatmap_info;

/* z [ny][nx] at x = x0 + i (x1-x0)/(nx-1), y = y0 + j (y1-y0)/(ny-1); row 0 is
 * y0, drawn at the bottom. NaN cells are drawn gray. im is initialized
 * here (free it with render_image_free). info may be NULL. */
int render_heatmap(render_image *im, const double *z, int nx, int ny, double x0, double x1,
                   double y0, double y1, const render_heatmap_opts *o,
                   render_heatmap_info *info);
/* The same picture made for target t (NULL: 96-dpi PNG), and written. */
int render_heatmap_as(render_image *im, const render_target *t, const double *z, int nx, int ny,
                      double x0, double x1, double y0, double y1, const render_heatmap_opts *o,
                      render_heatmap_info *info);
int render_heatmap_write(const char *path, const render_target *t, const double *z, int nx,
                         int ny, double x0, double x1, double y0, double y1,
                         const render_heatmap_opts *o, render_heatmap_info *info);
int render_heatmap_png(const char *path, const double *z, int nx, int ny, double x0,
                       double x1, double y0, double y1, const render_heatmap_opts *o,
                       render_heatmap_info *info);

/* ---- line plot -------------------------------------------------------- */

typedef struct {
    const double *x;   /* [n], or NULL for 0..n-1 */
    const double *y;   /* [n]; NaN (or <= 0 on a log axis) breaks the line */
    int n;
    const char *label; /* legend text, or NULL */
    uint32_t color;    /* RENDER_HEX(..), 0 = palette by series index */
    int panel;         /* 0 = top, 1 = the panel below */
    int marker;        /* RENDER_MARK_* at every point, 0 = none */
    int dashed;
    double width;      /* line width in px, 0 -> 2; markers are 4x it, at least 8 px;
                        * < 0: a scatter, markers only (its legend shows no line) */
} render_series;

typedef struct {
    int vertical;      /* 1: x = value, 0: y = value */
    double value;
    const char *label; /* or NULL */
    int panel;         /* horizontal lines: which panel */
    uint32_t color;    /* 0 = dark gray */
} render_refline;

/* An x range shaded behind the series in every panel (a plateau, a phase
 * of training); one legend entry per distinct label, in the top panel. */
typedef struct {
    double x0, x1;     /* data coordinates, x0 <= x1 */
    const char *label; /* legend text, or NULL */
    uint32_t color;    /* RENDER_HEX(..), blended at 22% opacity; 0 = orange */
} render_band;

typedef struct {
    int width, height;          /* 0 -> 800 x 520 */
    const char *title, *subtitle, *xlabel;
    const char *ylabel, *ylabel2;   /* top and bottom panel */
    int logy, logy2;
    double ymin, ymax, y2min, y2max; /* fixed ranges when min < max */
    double xmin, xmax;
    double panel2_frac;         /* bottom panel share of the height, 0 -> 0.35 */
    const render_series *series;
    int nseries;
    const render_refline *refs;
    int nrefs;
    const render_band *bands;   /* [nbands], drawn first */
    int nbands;
    int no_legend;
} render_lineplot_opts;

#define RENDER_MAX_REFLABELS 16
typedef struct {
    int npanels;
    int plot_x0, plot_x1;          /* shared x extent, pixels */
    int panel_y0[2], panel_y1[2];  /* vertical extent of each panel */
    double xlo, xhi, ylo[2], yhi[2];
    int legend_x0[2], legend_y0[2], legend_x1[2], legend_y1[2]; /* 0-size when none */
    char note[200];
    int nlabels;       /* reference line labels placed, and their boxes x0, y0, x1, y1 (px) */
    int label_box[RENDER_MAX_REFLABELS][4];
} render_lineplot_info;

/* A panel with a second one below when any series has panel 1 (the x axis
 * is shared and labelled at the bottom). im is initialized here. */
int render_lineplot(render_image *im, const render_lineplot_opts *o, render_lineplot_info *info);
int render_lineplot_as(render_image *im, const render_target *t, const render_lineplot_opts *o,
                       render_lineplot_info *info);
int render_lineplot_write(const char *path, const render_target *t, const render_lineplot_opts *o,
                          render_lineplot_info *info);
int render_lineplot_png(const char *path, const render_lineplot_opts *o,
                        render_lineplot_info *info);

#endif
