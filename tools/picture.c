/* The picture options shared by every command that draws. */
#include "picture.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../datasets/status.h"
#include "cli.h"

static const char *const OPTS[] = {"--format", "--size", "--dpi", "--vmin", "--vmax", "--title"};
#define NOPTS (sizeof OPTS / sizeof *OPTS)

int picture_args_takes_value(const char *o)
{
    for (size_t k = 0; k < NOPTS; k++)
        if (!strcmp(o, OPTS[k])) return 1;
    return 0;
}

void picture_args_help(void)
{
    fputs("  --format F          picture format: png (default), svg or pdf\n"
          "  --size WxH          picture size in px at 96 dpi (default: the figure's own)\n"
          "  --dpi D             PNG pixel density (default 96; 192 doubles the pixels);\n"
          "                      SVG and PDF are vector, W x H px at 0.75 pt per px\n"
          "  --vmin V, --vmax V  color range of a heatmap (shared scales across pictures)\n"
          "  --title TEXT        the picture's title instead of the default one\n",
          stdout);
}

static int parse_num(const char *cmd, const char *opt, const char *v, double *out)
{
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (end == v || *end || errno || !isfinite(x)) {
        cli_usage_error(cmd, "%s wants a number, not '%s'", opt, v);
        return -1;
    }
    *out = x;
    return 0;
}

int picture_args_parse(const char *cmd, int argc, char **argv, int *i, picture_args *p)
{
    const char *o = argv[*i];
    if (!picture_args_takes_value(o)) return 0;
    if (*i + 1 >= argc) {
        cli_usage_error(cmd, "%s needs a value", o);
        return -1;
    }
    const char *v = argv[++*i];
    double x;
    if (!strcmp(o, "--format")) {
        if (render_format_parse(v, &p->format)) {
            cli_usage_error(cmd, "--format: %s", nn_errmsg());
            return -1;
        }
    } else if (!strcmp(o, "--size")) {
        int w, h, n = 0;
        if (sscanf(v, "%dx%d%n", &w, &h, &n) != 2 || v[n] || w < 200 || h < 150 || w > 8000 ||
            h > 8000) {
            cli_usage_error(cmd, "--size is WxH with W in 200..8000 and H in 150..8000 px, not '%s'", v);
            return -1;
        }
        p->width = w;
        p->height = h;
    } else if (!strcmp(o, "--dpi")) {
        if (parse_num(cmd, o, v, &x)) return -1;
        if (!(x >= 24 && x <= 1200)) {
            cli_usage_error(cmd, "--dpi is in 24..1200, not '%s'", v);
            return -1;
        }
        p->dpi = x;
    } else if (!strcmp(o, "--vmin") || !strcmp(o, "--vmax")) {
        if (parse_num(cmd, o, v, &x)) return -1;
        if (o[4] == 'i') p->vmin = x, p->has_vmin = 1;
        else p->vmax = x, p->has_vmax = 1;
        /* Checked as soon as both are known: before any work is done. A
         * lone end is checked against the data when the picture is drawn. */
        if (p->has_vmin && p->has_vmax && !(p->vmin < p->vmax)) {
            cli_usage_error(cmd, "--vmin %g must be below --vmax %g", p->vmin, p->vmax);
            return -1;
        }
    } else if (!strcmp(o, "--title")) {
        if (strlen(v) > 400) {
            cli_usage_error(cmd, "--title is at most 400 bytes");
            return -1;
        }
        p->title = v;
    }
    return 1;
}

const char *picture_ext(const picture_args *p)
{
    static const char *const ext[RENDER_FORMAT_COUNT] = {".png", ".svg", ".pdf"};
    return p && p->format > 0 && p->format < RENDER_FORMAT_COUNT ? ext[p->format] : ".png";
}

render_target picture_target(const picture_args *p)
{
    render_target t = {RENDER_PNG, 0};
    if (p) t.format = p->format, t.dpi = p->dpi;
    return t;
}

const char *picture_path(const picture_args *p, const char *s, char *buf, size_t cap)
{
    size_t n = strlen(s);
    if (n >= 4 && !strcmp(s + n - 4, ".png")) n -= 4;
    snprintf(buf, cap, "%.*s%s", (int)n, s, picture_ext(p));
    return buf;
}

void picture_heatmap(const picture_args *p, render_heatmap_opts *o)
{
    if (!p) return;
    if (p->width > 0) o->width = p->width, o->height = p->height;
    if (p->title) o->title = p->title;
    if (p->has_vmin) o->vmin = p->vmin, o->vmin_set = 1;
    if (p->has_vmax) o->vmax = p->vmax, o->vmax_set = 1;
}

void picture_lineplot(const picture_args *p, render_lineplot_opts *o)
{
    if (!p) return;
    if (p->width > 0) o->width = p->width, o->height = p->height;
    if (p->title) o->title = p->title;
}
