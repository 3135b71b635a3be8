/* Reading a run's log.csv by column name, for the commands that draw or
 * compare training curves (plot, study reports). */
#ifndef SADDLE_RUNLOG_H
#define SADDLE_RUNLOG_H

#define RUN_LOG_MAX_COLS 16

typedef struct run_log {
    int ncols;
    char names[RUN_LOG_MAX_COLS][32];
    int nrows;
    double *v;             /* [nrows][ncols]; empty fields are NaN */
} run_log;

/* Errors name the file, and the line of a field that is not a number. */
int run_log_read(const char *path, run_log *L);
/* Index of the column called name, or -1. */
int run_log_col(const run_log *L, const char *name);
/* Column c as a fresh malloc'd array [nrows] (NaN where empty). */
double *run_log_column(const run_log *L, int c);
void run_log_free(run_log *L);

#endif
