/* A study: a directory of run configs plus study.ini naming the runs, seeds
 * and probes (tools/study_ini.c parses it), the pipeline that trains and
 * probes them (tools/cmd_study.c) and the report it ends in (tools/report.c). */
#ifndef SADDLE_STUDY_H
#define SADDLE_STUDY_H

#include "cli.h"

#define STUDY_MAX_RUNS 8
#define STUDY_MAX_SEEDS 16
#define STUDY_MAX_EPS 8

typedef struct study_run {
    char id[64];          /* section suffix: [run.ID] */
    char label[128];
    char config[4096];    /* path, resolved against the study directory */
    int line;             /* line of its section header, for messages */
    /* run directories, one per seed (filled by the pipeline / compare) */
    int ndirs;
    char dirs[STUDY_MAX_SEEDS][4096];
    int fresh[STUDY_MAX_SEEDS];   /* trained by this invocation: probe again */
} study_run;

typedef struct study_probes {
    int slice, surface, hessian, density, sharpness, monitor, rescale;
    int slice_grid;               /* points of the 1-D slices */
    char slice_range[64];
    char surface_grid[32];        /* "21x21" */
    char surface_range[64];
    int hessian_probes;           /* Hutchinson products */
    int density_runs, density_steps;
    int neps;
    double eps[STUDY_MAX_EPS];
    int rescale_layer;
    double rescale_factor;
    int plateau;                  /* plateaus of each log.csv: `saddle plot` per run, a section */
    double plateau_tol, plateau_window;
    int plateau_min;
} study_probes;

typedef struct study {
    char name[128];
    char out[4096];
    char path[4096];              /* the study.ini */
    int nseeds;
    long seeds[STUDY_MAX_SEEDS];
    long long data_limit;         /* examples the probes use */
    int threads;
    int nruns;
    study_run runs[STUDY_MAX_RUNS];
    study_probes probes;
    int argc;                     /* the command that asked for the report, */
    char **argv;                  /* argv[0] the subcommand: its provenance */
} study;

void study_defaults(study *s);
/* Parses DIR/study.ini (or a study.ini path) and checks that every run's
 * config exists and loads; errors name file:line. Touches no files. */
int study_load(study *s, const char *path);

/* The report: OUT/report.md, OUT/report.html and the PNGs they show, from
 * the run directories of s->runs (probes already written). notes: lines the
 * pipeline wants in the report (e.g. a failed rescale), may be NULL. */
int report_write(const study *s, const char *notes);

/* Layer l's weights and bias times c, layer l+1's weights times 1/c: the
 * same function for a ReLU between them (Dinh et al. 2017). */
int rescale_apply(model *m, int l, double c);

#endif
