/* What the probe commands share: opening a run directory or checkpoint with
 * its config and data subset, the options every probe takes, output paths,
 * JSON sidecars, and drawing a saved result. */
#ifndef SADDLE_PROBE_H
#define SADDLE_PROBE_H

#include <cjson/cJSON.h>

#include "../datasets/fileio.h"
#include "../probes/nnobj.h"
#include "../probes/surface.h"
#include "cli.h"
#include "picture.h"

typedef struct probe_args {
    const char *split;      /* "train" | "test" */
    long long limit;        /* examples, seeded random subset; 0 = all */
    uint64_t seed;          /* directions and the data subset */
    const char *out;        /* output directory, NULL = RUN/probes */
    const char *act;        /* hidden activation of a PyTorch checkpoint */
    const char *config;     /* config for a checkpoint without one */
    const char *map;        /* layer order of a PyTorch file's named modules, or NULL */
    int threads;            /* 0 = all cores */
    const char *name;       /* output base name, NULL = the command's default */
    int log_scale, levels;  /* rendering */
    const char *cmap;       /* checked when parsed */
    picture_args pic;       /* --format --size --dpi --vmin --vmax --title */
    int overwrite;          /* replace a result of other options under the same name */
    unsigned takes;         /* PROBE_TAKES_*: the option groups the command uses */
} probe_args;

/* Option groups: a command clears the ones it has no use for, and they are
 * then neither listed in its --help nor accepted. */
enum {
    PROBE_TAKES_DATA = 1,      /* --data --limit --seed --threads --act --map --config */
    PROBE_TAKES_OUT = 2,       /* --out --name */
    PROBE_TAKES_PICTURE = 4,   /* --log --levels --cmap and the picture_args */
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
/* 1 when opt is a shared option that takes a value. */
int probe_args_takes_value(const char *opt);

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

/* crc32 and size of a file's bytes. */
int probe_file_crc(const char *path, unsigned long *crc, long long *bytes);

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

/* The output directory (created): --out, else RUN/probes for a run or its
 * final.safetensors, else a folder of the checkpoint's own name
 * (RUN/probes/step-00000120/ for a trajectory snapshot, PARENT/probes/STEM/
 * for a lone file), so a snapshot's results never land on the final
 * model's. */
int probe_outdir(const probe_model *pm, const probe_args *a, char *dir, size_t len);

/* Paths are built into the caller's buffer, never a shared one: a path kept
 * across later calls stays what it was. */
#define PROBE_PATH_MAX 4400
/* "DIR/NAME EXT" into buf [PROBE_PATH_MAX]; returns buf. */
const char *probe_path(char *buf, const char *dir, const char *name, const char *ext);

/* Where a probe writes: its directory (locked against a second writer for
 * as long as the probe runs) and a base name that holds either nothing yet
 * or a result of the same invocation. */
typedef struct probe_out {
    char dir[4096];
    char name[256];
    file_lock lock;
    cJSON *invocation;   /* what the result depends on: command, options, checkpoints, data */
} probe_out;

/* Opens the output of command `cmd` for the checkpoints pms [npm]: creates
 * and locks the directory (NN_EBUSY naming the holder's pid when another
 * process writes there) and picks the name. DIR/NAME.json of another
 * invocation is never replaced: without --name the next free NAME-2,
 * NAME-3, ... is taken and a line says so; with --name it is an error
 * naming --overwrite. argv [argc] is the command's own argument list
 * (argv[0] the command); options in `ignore` (NULL-terminated, written as
 * in a usage line: "--vtk" is a flag, "--save-dirs FILE" takes a value)
 * change no result and are left out of the comparison. */
int probe_out_open(probe_out *po, const char *cmd, const char *dflt_name,
                   const probe_model *const *pms, int npm, const probe_args *a, int argc,
                   char **argv, const char *const *ignore);
/* "DIR/NAME SUFFIX" into buf [PROBE_PATH_MAX]; returns buf. */
const char *probe_out_path(const probe_out *po, char *buf, const char *suffix);
/* Records the invocation in a sidecar (before it is first written). */
void probe_out_stamp(const probe_out *po, cJSON *j);
void probe_out_close(probe_out *po);

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
/* NAME_x.npy [nx] and, for a 2-D grid, NAME_y.npy [ny]: the coordinates
 * along each axis of NAME.npy [ny][nx] (float64, as grid_x / grid_y). */
int probe_axes_save(const grid_spec *g, const char *dir, const char *name);
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

/* Writes a saved 2-D surface (sidecar j beside its .npy files in dir) as a
 * VTK structured grid for ParaView: points (x, y, loss), loss and accuracy
 * as point data. */
int probe_vtk(const cJSON *j, const char *dir, const char *path);

/* Draws a saved `saddle critical` result (its sidecar j) to png. */
int critical_render(const cJSON *j, const picture_args *pic, const char *png);


#endif
