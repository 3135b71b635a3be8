/* The kinds of result `saddle render` redraws: which command wrote a
 * sidecar, where that command put its picture, and the one function that
 * draws it, which the command itself calls when it makes the result. */
#ifndef SADDLE_RENDER_KINDS_H
#define SADDLE_RENDER_KINDS_H

#include <stddef.h>

#include "probe.h"

/* Draws the result whose sidecar is j (its other files in dir) to png. */
typedef int (*render_draw_fn)(const cJSON *j, const char *dir, const probe_args *a,
                              const char *png);

typedef struct render_kind {
    const char *command;  /* the sidecar's "command" */
    const char *file;     /* the picture's name in dir (no extension), or NULL: */
    const char *suffix;   /* ... NAME SUFFIX beside NAME.json */
    render_draw_fn draw;  /* NULL: the command draws nothing from this result */
} render_kind;

/* The kind of the sidecar j read from the file json; NN_EINVAL naming the
 * kinds render draws when j is none of them or draws no picture. */
int render_kind_of(const cJSON *j, const char *json, const render_kind **k);
/* The picture the command drew for the sidecar json, without its
 * extension ("DIR/barriers", "DIR/NAME_density"), into buf [len]. */
void render_kind_picture(const render_kind *k, const char *json, char *buf, size_t len);
/* What a command calls to draw the result it is about to write: j's kind
 * draws j as printed and read back, since cJSON prints a number to 15
 * digits when that reads back within an epsilon, not exactly; so the
 * picture is the one `saddle render` draws from the file. */
int render_kind_draw(const cJSON *j, const char *dir, const probe_args *a, const char *png);

/* The drawing functions, each in its command's file. */
int hessian_draw(const cJSON *j, const char *dir, const probe_args *a, const char *png);
int sharpness_draw(const cJSON *j, const char *dir, const probe_args *a, const char *png);
int restarts_draw(const cJSON *j, const char *dir, const probe_args *a, const char *png);
int toy_draw(const cJSON *j, const char *dir, const probe_args *a, const char *png);
int plot_draw(const cJSON *j, const char *dir, const probe_args *a, const char *png);

/* Sidecar fields ("a.b" looks inside an object); a missing or mistyped
 * number is NN_EFORMAT naming the key, null is NaN. */
int sidecar_num(const cJSON *o, const char *key, const char *what, double *v);
const char *sidecar_str(const cJSON *o, const char *key);
/* DIR/FILE.npy of exactly shape [nd] (0: any length, set to the file's)
 * into *out (malloc'd); the error names the file. */
int sidecar_npy(const char *dir, const char *file, int nd, size_t *shape, double **out);

#endif
