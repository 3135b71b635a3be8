/* The table of results `saddle render` knows: a sidecar's "command" picks
 * the drawing function its command uses, and the name of the picture that
 * command wrote. */
#include "render_kinds.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../probes/npy.h"

static int draw_critical(const cJSON *j, const char *dir, const probe_args *a, const char *png)
{
    return critical_render(j, &a->pic, png);
}

static const render_kind KINDS[] = {
    {"surface", NULL, "", probe_render},
    {"interp", NULL, "", probe_render},
    {"pca", NULL, "", probe_render},
    {"critical", NULL, "", draw_critical},
    {"hessian", NULL, "_density", hessian_draw},
    {"sharpness", NULL, "", sharpness_draw},
    {"restarts", "barriers", NULL, restarts_draw},
    {"toy", NULL, "", toy_draw},
    {"plot", "training", NULL, plot_draw},
    {"rescale", NULL, NULL, NULL},
};
#define NKINDS (int)(sizeof KINDS / sizeof *KINDS)

static const char KNOWN[] = "surface and slice (surface), interp and plane (interp), pca, critical, "
                            "hessian (with --density), sharpness, restarts, toy, plateaus.json (plot)";

/* A dotted key ("lanczos.top") inside o. */
static const cJSON *item(const cJSON *o, const char *key)
{
    char part[64];
    while (o && *key) {
        const char *dot = strchr(key, '.');
        size_t n = dot ? (size_t)(dot - key) : strlen(key);
        if (n >= sizeof part) return NULL;
        memcpy(part, key, n);
        part[n] = 0;
        o = cJSON_GetObjectItemCaseSensitive(o, part);
        key += n + (dot != NULL);
    }
    return o;
}

int sidecar_num(const cJSON *o, const char *key, const char *what, double *v)
{
    const cJSON *x = item(o, key);
    /* cJSON writes a NaN or an infinity as null: read back, it is not a number again. */
    if (cJSON_IsNull(x)) {
        *v = NAN;
        return NN_OK;
    }
    if (!cJSON_IsNumber(x))
        return nn_err(NN_EFORMAT, "sidecar: no number '%s'%s%s", key, what ? " " : "", what ? what : "");
    *v = x->valuedouble;
    return NN_OK;
}

const char *sidecar_str(const cJSON *o, const char *key)
{
    const cJSON *x = item(o, key);
    return cJSON_IsString(x) ? x->valuestring : NULL;
}

int sidecar_npy(const char *dir, const char *file, int nd, size_t *shape, double **out)
{
    char path[PROBE_PATH_MAX];
    int got;
    size_t sh[NPY_MAX_DIMS];
    *out = NULL;
    int rc = npy_read_f64(probe_path(path, dir, file, ".npy"), out, &got, sh);
    if (rc) return rc;
    int same = got == nd;
    for (int i = 0; same && i < nd; i++) same = sh[i] == shape[i] || (!shape[i] && sh[i]);
    if (!same) {
        char want[64] = "";
        for (int i = 0; i < nd && i < 2; i++)
            snprintf(want + strlen(want), sizeof want - strlen(want), shape[i] ? "[%zu]" : "[any]", shape[i]);
        free(*out);
        *out = NULL;
        return nn_err(NN_EFORMAT, "%s: not of the sidecar's shape %s", path, want);
    }
    for (int i = 0; i < nd; i++) shape[i] = sh[i];
    return NN_OK;
}

int render_kind_of(const cJSON *j, const char *json, const render_kind **k)
{
    const char *cmd = sidecar_str(j, "command");
    /* plateaus.json from before it named its command. */
    if (!cmd && cJSON_IsArray(item(j, "plateaus")) && sidecar_str(j, "log")) cmd = "plot";
    for (int i = 0; cmd && i < NKINDS; i++) {
        if (strcmp(cmd, KINDS[i].command)) continue;
        if (!KINDS[i].draw)
            return nn_err(NN_EINVAL, "%s: a result of `saddle %s`, which draws no picture (its numbers "
                          "are in the file); render draws %s", json, cmd, KNOWN);
        *k = &KINDS[i];
        return NN_OK;
    }
    if (cmd)
        return nn_err(NN_EINVAL, "%s: a result of '%s', which render does not know; it draws %s", json,
                      cmd, KNOWN);
    if (item(j, "train_loss"))
        return nn_err(NN_EINVAL, "%s: a run's summary, not a probe's result (`saddle plot RUN` draws "
                      "its training curves); render draws %s", json, KNOWN);
    return nn_err(NN_EINVAL, "%s: names no command that made it; render draws %s", json, KNOWN);
}

void render_kind_picture(const render_kind *k, const char *json, char *buf, size_t len)
{
    char stem[4096];
    snprintf(stem, sizeof stem, "%s", json);
    char *dot = strrchr(stem, '.'), *slash = strrchr(stem, '/');
    if (dot && !strcmp(dot, ".json") && (!slash || dot > slash)) *dot = 0;
    if (k->file) {
        int dl = slash ? (int)(slash - stem) + 1 : 0;
        snprintf(buf, len, "%.*s%s", dl, stem, k->file);
    } else {
        snprintf(buf, len, "%s%s", stem, k->suffix ? k->suffix : "");
    }
}

int render_kind_draw(const cJSON *j, const char *dir, const probe_args *a, const char *png)
{
    const render_kind *k;
    int rc = render_kind_of(j, png, &k);
    if (rc) return rc;
    char *txt = cJSON_Print(j);
    cJSON *back = txt ? cJSON_Parse(txt) : NULL;
    cJSON_free(txt);
    if (!back) return nn_err(NN_ENOMEM, "%s: out of memory", png);
    rc = k->draw(back, dir, a, png);
    cJSON_Delete(back);
    return rc;
}
