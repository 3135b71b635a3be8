/* `saddle render`: redraw a saved probe result from its sidecar. */
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "probe.h"

static const char RENDER_USAGE[] =
    "usage: saddle render RESULT.json [--log] [--levels N] [--cmap NAME] [--png FILE] [--overwrite]\n"
    "\n"
    "Draws the result a probe saved (surface, slice, interp, plane, pca, critical)\n"
    "again from its sidecar and .npy files, with other picture options. Writes\n"
    "RESULT.png when there is none yet, else RESULT-render.png (-render-2, ...):\n"
    "the probe's own picture is replaced only with --overwrite, or another file\n"
    "named with --png.\n"
    "\n"
    "options:\n"
    "  --png FILE          where to draw (default as above)\n";

int cmd_render(int argc, char **argv)
{
    probe_args a;
    probe_args_defaults(&a);
    a.takes = PROBE_TAKES_PICTURE;
    const char *json = NULL, *png = NULL;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        int r = probe_args_parse("render", RENDER_USAGE, argc, argv, &i, &a);
        if (r == PROBE_HELP) return EXIT_OK;
        if (r < 0) return EXIT_USAGE;
        if (r) continue;
        if (!strcmp(o, "--png") && i + 1 < argc) png = argv[++i];
        else if (o[0] == '-' && o[1]) return cli_usage_error("render", "unknown option '%s'", o);
        else if (!json) json = o;
        else return cli_usage_error("render", "unexpected argument '%s'", o);
    }
    if (!json) return cli_usage_error("render", "a result .json is required");
    cJSON *j;
    int rc = probe_json_read(json, &j);
    if (rc) return cli_fail("render", rc);
    char dirbuf[4096], pngbuf[4200];
    snprintf(dirbuf, sizeof dirbuf, "%s", json);
    const char *dir = dirname(dirbuf);
    if (!png) {
        char stem[4096];
        snprintf(stem, sizeof stem, "%s", json);
        char *dot = strrchr(stem, '.');
        if (dot && !strcmp(dot, ".json")) *dot = 0;
        snprintf(pngbuf, sizeof pngbuf, "%s.png", stem);
        /* The picture the probe drew stays as it was: a redraw gets a name of its own. */
        for (int k = 1; !a.overwrite && access(pngbuf, F_OK) == 0 && k <= 1000; k++) {
            if (k == 1) snprintf(pngbuf, sizeof pngbuf, "%s-render.png", stem);
            else snprintf(pngbuf, sizeof pngbuf, "%s-render-%d.png", stem, k);
        }
        if (access(pngbuf, F_OK) == 0 && !a.overwrite) {
            cJSON_Delete(j);
            return cli_fail("render", nn_err(NN_EINVAL, "%s: every redraw name is taken; --png FILE or --overwrite", json));
        }
        png = pngbuf;
    }
    const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(j, "command");
    if (cJSON_IsString(cmd) && !strcmp(cmd->valuestring, "critical"))
        rc = critical_render(j, png);
    else
        rc = probe_render(j, dir, &a, png);
    cJSON_Delete(j);
    if (rc) return cli_fail("render", rc);
    printf("%s\n", png);
    return EXIT_OK;
}
