/* What the probe commands share: opening a run directory or checkpoint with
 * its config and data subset, the options every probe takes, output paths,
 * JSON sidecars, and drawing a saved result. */
#ifndef SADDLE_PROBE_H
#define SADDLE_PROBE_H

#include <cjson/cJSON.h>

#include "../probes/nnobj.h"
#include "../probes/surface.h"
#include "cli.h"

typedef struct probe_args {
    const char *split;      /* "train" | "test" */
    long long limit;        /* examples, seeded random subset; 0 = all */
    uint64_t seed;          /* directions and the data subset */
    const char *out;        /* output directory, NULL = RUN/probes */
    const char *act;        /* hidden activation of a PyTorch checkpoint */
    const char *config;     /* config for a checkpoint without one */
    int threads;            /* 0 = all cores */
    const char *name;       /* output base name, NULL = the command's default */
    int log_scale, levels;  /* rendering */
    const char *cmap;
    unsigned takes;         /* PROBE_TAKES_*: the option groups the command uses */
} probe_args;

/* Option groups: a command clears the ones it has no use for, and they are
 * then neither listed in its --help nor accepted. */
enum {
    PROBE_TAKES_DATA = 1,      /* --data --limit --seed --threads --act --config */
    PROBE_TAKES_OUT = 2,       /* --out --name */
    PROBE_TAKES_PICTURE = 4,   /* --log --levels --cmap */
    PROBE_TAKES_ALL = 7
};

void probe_args_defaults(probe_args *a);
/* Consumes argv[*i] (and its value) when it is a shared option: returns 1
 * when consumed, 0 when not ours, -1 on a bad value or an option of a group
 * the command does not take (message printed), and PROBE_HELP after printing
 * `usage` and the shared options it takes, with its own defaults (set them
 * in *a before parsing), for --help. */
int probe_args_parse(const char *cmd, const char *usage, int argc, char **argv, int *i,
                     probe_args *a);
#define PROBE_HELP 2

typedef struct probe_model {
    model m;
    config c;
    char path[4096];     /* the checkpoint */
    char run[4096];      /* its run directory ("" for a lone checkpoint) */
    char arch[256];
    unsigned long crc;   /* crc32 of the checkpoint file */
    long long bytes;
    long step;
} probe_model;

/* target: a run directory (its final.safetensors) or a checkpoint file. */
int probe_model_open(probe_model *pm, const char *target, const probe_args *a);
void probe_model_close(probe_model *pm);

typedef struct probe_data {
    dataset tr, va, te;
    const dataset *d;    /* the chosen split */
    size_t *idx;         /* the subset [k] (sorted), NULL = all */
    size_t k;
} probe_data;

int probe_data_open(probe_data *pd, const probe_model *pm, const probe_args *a);
void probe_data_close(probe_data *pd);

/* The output directory (created) and "DIR/NAME.EXT" paths in it. */
int probe_outdir(const probe_model *pm, const probe_args *a, char *dir, size_t len);
const char *probe_file(const char *dir, const char *name, const char *ext);

/* A sidecar with the fields every probe records: checkpoints, data, threads. */
cJSON *probe_sidecar(const char *command, const probe_model *const *pms, int npm,
                     const probe_data *pd, const probe_args *a);
/* j["grid"] = {nx, ny, x0, x1, y0, y1}: what probe_render reads back. */
void probe_sidecar_grid(cJSON *j, const grid_spec *g);
int probe_json_write(const char *path, const cJSON *j);
int probe_json_read(const char *path, cJSON **j);

/* Draws a saved surface/slice/interpolation/pca result (sidecar j beside
 * its .npy files in dir) to png. */
int probe_render(const cJSON *j, const char *dir, const probe_args *a, const char *png);

/* Writes loss, accuracy and completion map of s as NAME.npy, NAME_acc.npy,
 * NAME_done.npy (shape [ny][nx], or [nx] for a line). */
int probe_surface_save(const surface *s, const char *dir, const char *name);
/* Loads them back into an allocated s of the same grid (for resuming). */
int probe_surface_load(surface *s, const char *dir, const char *name);

/* The loss on the line A + x (B - A) (C NULL) or the plane A + x (B - A) +
 * y (C - A) at every point of the allocated s: the one interpolation path
 * `saddle interp` and `saddle restarts` share. A, B, C are [n]; progress
 * (may be NULL) is called as surface_eval calls it. */
int probe_interp_eval(const objective *o, const float *A, const float *B, const float *C, size_t n,
                      surface *s, surface_progress_fn progress, void *user);

/* The trajectory snapshots RUN/traj/step-*.safetensors, sorted by name
 * (= by step): *names [*m] malloc'd strings (free with probe_traj_free).
 * NN_EIO naming the folder when there is none. */
int probe_traj_list(const char *run, char ***names, int *m);
void probe_traj_free(char **names, int m);

/* Draws a saved `saddle critical` result (its sidecar j) to png. */
int critical_render(const cJSON *j, const char *png);


#endif
