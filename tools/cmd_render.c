/* `saddle render`: redraw a saved probe result from its sidecar. */
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "probe.h"
#include "probe_3d.h"
#include "render_kinds.h"

static const char RENDER_USAGE[] =
    "usage: saddle render RESULT.json [--log] [--levels N] [--cmap NAME] [--format png|svg|pdf]\n"
    "                     [--size WxH] [--dpi D] [--vmin V] [--vmax V] [--title T] [--png FILE]\n"
    "                     [--overwrite]\n"
    "       saddle render RESULT.json --vtk [--out-file FILE] [--overwrite]\n"
    "       saddle render RESULT.json --3d [--azim DEG] [--elev DEG] [--zmax Z] [--log] [--png FILE]\n"
    "\n"
    "Draws a saved result again, with the command's own drawing, from its sidecar\n"
    "and the .npy/.csv files beside it; --log, --levels and --cmap apply to the\n"
    "surface, interp and pca kinds.\n"
    "Kinds, by the command that wrote the sidecar:\n"
    "  surface     surface (heatmap) and slice (lines)      NAME.png\n"
    "  interp      interp (line A -> B) and plane (A, B, C)  NAME.png\n"
    "  pca         trajectory PCA plane                      NAME.png\n"
    "  critical    index against loss of the end points      NAME.png\n"
    "  hessian     spectral density (made with --density)    NAME_density.png\n"
    "  sharpness   what each measure adds to the loss        NAME.png\n"
    "  restarts    pairwise barrier matrix (restarts.json)   barriers.png\n"
    "  toy         every optimizer's paths (run again)       NAME.png\n"
    "  plot        training curves (plateaus.json, log.csv)  training.png\n"
    "Writes the command's picture when it is not there, else PICTURE-render.png\n"
    "(-render-2, ...): the command's own picture is replaced only with\n"
    "--overwrite, or another file named with --png. --format svg or pdf draws\n"
    "PICTURE.svg or .pdf instead, as does --png FILE.svg or FILE.pdf.\n"
    "\n"
    "--vtk writes a 2-D surface as a VTK structured grid instead (RESULT.vtk, the\n"
    "same naming rule): points (x, y, loss), loss, accuracy and a validity flag as\n"
    "point data, for ParaView.\n"
    "\n"
    "--3d draws a 2-D surface (surface, pca, an interp plane) as the shaded 3-D\n"
    "picture instead (RESULT_3d.png, the same naming rule): a perspective view of\n"
    "the lit mesh above its contour map, the trained model marked; --log draws\n"
    "log10 of the loss, --zmax clips the rim so the basin shows.\n"
    "\n"
    "options:\n"
    "  --png FILE          where to draw (default as above)\n"
    "  --vtk               write RESULT.vtk instead of a picture\n"
    "  --out-file FILE     with --vtk: where to write it\n";

int cmd_render(int argc, char **argv)
{
    probe_args a;
    probe_args_defaults(&a);
    a.takes = PROBE_TAKES_PICTURE;
    const char *json = NULL, *png = NULL;
    int vtk = 0, file_opt = 0; /* 1: --png given, 2: --out-file given */
    probe_view3d v3;
    probe_3d_defaults(&v3);
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        int r = probe_args_parse("render", RENDER_USAGE, argc, argv, &i, &a);
        if (r == PROBE_HELP) {
            fputs(PROBE_3D_HELP, stdout);
            return EXIT_OK;
        }
        if (!r) r = probe_3d_parse("render", argc, argv, &i, &v3);
        if (r < 0) return EXIT_USAGE;
        if (r) continue;
        if ((!strcmp(o, "--png") || !strcmp(o, "--out-file")) && i + 1 < argc) {
            file_opt = o[2] == 'p' ? 1 : 2;
            png = argv[++i];
        }
        else if (!strcmp(o, "--vtk")) vtk = 1;
        else if (o[0] == '-' && o[1]) return cli_usage_error("render", "unknown option '%s'", o);
        else if (!json) json = o;
        else return cli_usage_error("render", "unexpected argument '%s'", o);
    }
    if (!json) return cli_usage_error("render", "a result .json is required");
    if (probe_3d_check("render", &v3)) return EXIT_USAGE;
    if (vtk && v3.on) return cli_usage_error("render", "--vtk and --3d are two outputs: one at a time");
    if (file_opt && (file_opt == 2) != vtk)
        return cli_usage_error("render", vtk ? "--vtk writes to --out-file FILE, not --png"
                                             : "--out-file goes with --vtk; a picture takes --png");
    cJSON *j;
    const render_kind *kind = NULL;
    int rc = probe_json_read(json, &j);
    if (!rc && !vtk && (rc = render_kind_of(j, json, &kind))) cJSON_Delete(j);
    if (rc) return cli_fail("render", rc);
    char dirbuf[4096], pngbuf[4200];
    snprintf(dirbuf, sizeof dirbuf, "%s", json);
    const char *dir = dirname(dirbuf);
    if (!png) {
        char stem[4096];
        snprintf(stem, sizeof stem, "%s", json);
        char *dot = strrchr(stem, '.');
        if (dot && !strcmp(dot, ".json")) *dot = 0;
        /* A picture goes where the command put its own. */
        if (kind) render_kind_picture(kind, json, stem, sizeof stem);
        if (v3.on && strlen(stem) + 3 < sizeof stem) strcat(stem, "_3d");
        const char *ext = vtk ? "vtk" : picture_ext(&a.pic) + 1;
        snprintf(pngbuf, sizeof pngbuf, "%s.%s", stem, ext);
        /* The picture the probe drew stays as it was: a redraw gets a name of its own. */
        for (int k = 1; !a.overwrite && access(pngbuf, F_OK) == 0 && k <= 1000; k++) {
            if (k == 1) snprintf(pngbuf, sizeof pngbuf, "%s-render.%s", stem, ext);
            else snprintf(pngbuf, sizeof pngbuf, "%s-render-%d.%s", stem, k, ext);
        }
        if (access(pngbuf, F_OK) == 0 && !a.overwrite) {
            cJSON_Delete(j);
            return cli_fail("render", nn_err(NN_EINVAL, "%s: every redraw name is taken; --png FILE or --overwrite", json));
        }
        png = pngbuf;
    }
    /* A file named .svg or .pdf is drawn as one. */
    size_t pl = strlen(png);
    if (!vtk && file_opt && pl > 4 && a.pic.format == RENDER_PNG)
        for (int f = RENDER_SVG; f < RENDER_FORMAT_COUNT; f++)
            if (png[pl - 4] == '.' && !strcmp(png + pl - 3, render_format_ext(f))) a.pic.format = f;
    if (vtk)
        rc = probe_vtk(j, dir, png);
    else if (v3.on)
        rc = probe_render_3d(j, dir, &a, &v3, png);
    else
        rc = kind->draw(j, dir, &a, png);
    cJSON_Delete(j);
    /* The drawing functions speak of "sidecar: ..."; here it has a name. */
    if (rc && !strncmp(nn_errmsg(), "sidecar:", 8)) {
        char why[512];
        snprintf(why, sizeof why, "%s", nn_errmsg() + 8);
        rc = nn_err(rc, "%s:%s", json, why);
    }
    if (rc) return cli_fail("render", rc);
    printf("%s\n", png);
    return EXIT_OK;
}
