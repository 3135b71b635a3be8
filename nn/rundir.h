/* A run directory as one thing: it is locked while a trainer writes it, a new
 * run never starts beside another run's files, and --force (or a resume that
 * has no checkpoint yet) empties the old run before anything is written. */
#ifndef SADDLE_RUNDIR_H
#define SADDLE_RUNDIR_H

#include <stddef.h>

#include "../datasets/fileio.h"

typedef struct run_dir {
    const char *dir;
    file_lock lock;      /* DIR/.saddle-lock, held until run_dir_close */
    file_lock probes;    /* DIR/probes/.saddle-lock while --force is to delete it */
    int created;         /* DIR did not exist: removed again if the run fails early */
    int from_zero;       /* TRAIN_RESUME without a checkpoint: start over at step 0 */
    int clear;           /* the old run's files are to go before the first write */
} run_dir;

/* Names of the run's files found in dir ("config.ini, final.safetensors,
 * traj/") into found [len]; returns how many. */
int run_dir_holds(const char *dir, char *found, size_t len);

/* Creates and locks dir for a run of `mode` (TRAIN_NEW, TRAIN_RESUME or
 * TRAIN_FORCE) and checks that the mode fits what dir holds: a new run
 * needs a dir without a run, a resume needs one. Nothing is deleted yet. */
int run_dir_open(run_dir *rd, const char *dir, int mode);
/* Deletes the run's files: config.ini, log.csv, summary.json, and beside
 * them every *.safetensors, *.npy, *.json, *.png and *.csv, and the traj/
 * and probes/ trees. Other files stay. */
int run_dir_clear(run_dir *rd);
/* Unlocks; after a failure before anything was written, a dir that
 * run_dir_open created is removed again. */
void run_dir_close(run_dir *rd, int wrote);

/* On resume: keeps the header and the rows before step `upto` of the log at
 * path, and the row of `upto` itself with lr_upto as its lr (NULL: that row
 * goes too); a torn last row always goes. */
int run_log_truncate(const char *path, long upto, const char *lr_upto);

/* The time of the sessions before a resume from the checkpoint at
 * ckpt_step, from dir/summary.json. */
typedef struct prior_time {
    double seconds, wall, samples;
    long from_step;       /* first step the time covers; 0 = the whole run */
} prior_time;
void run_prior_time(const char *dir, long ckpt_step, prior_time *pt);

#endif
