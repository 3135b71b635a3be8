/* The options every command that draws takes (--format, --size, --dpi,
 * --vmin/--vmax, --title): parsed and checked in one place, before any
 * work, and applied to the figure options and the output's extension.
 * They change the picture, never the result it shows. */
#ifndef SADDLE_PICTURE_H
#define SADDLE_PICTURE_H

#include <stddef.h>

#include "../probes/render.h"

typedef struct picture_args {
    int format;          /* RENDER_PNG (default), RENDER_SVG, RENDER_PDF */
    double dpi;          /* PNG pixel density, 0 = 96 */
    int width, height;   /* figure size in px at 96 dpi, 0 = the figure's own */
    double vmin, vmax;   /* heatmap color range; used when both are given */
    int has_vmin, has_vmax;
    const char *title;   /* replaces the figure's title */
} picture_args;

/* Consumes argv[*i] (and its value) when it is a picture option: 1 when
 * consumed, 0 when not one, -1 on a bad value (message printed). */
int picture_args_parse(const char *cmd, int argc, char **argv, int *i, picture_args *p);
/* 1 when opt is a picture option (they all take a value). */
int picture_args_takes_value(const char *opt);
void picture_args_help(void);

/* ".png", ".svg" or ".pdf". */
const char *picture_ext(const picture_args *p);
render_target picture_target(const picture_args *p);
/* s with its ".png" ending (if any) replaced by the chosen extension, into
 * buf [cap]; returns buf. */
const char *picture_path(const picture_args *p, const char *s, char *buf, size_t cap);
/* Size, title and (heatmaps) color range into a figure's options. */
void picture_heatmap(const picture_args *p, render_heatmap_opts *o);
void picture_lineplot(const picture_args *p, render_lineplot_opts *o);

#endif
