/* Progress of a long loop, shared by the commands: a bar redrawn in place on
 * a terminal, a plain line every ~10 s otherwise, so a log shows the run is
 * alive and how far it got. SADDLE_PROGRESS_SECONDS sets the interval off a
 * terminal (0 = a line at every update). */
#ifndef SADDLE_PROGRESS_H
#define SADDLE_PROGRESS_H

#include <stddef.h>

#include "../probes/surface.h"

typedef struct progress {
    char what[128];   /* "pca: plane 31x31" */
    size_t total;     /* units of work; 0 = unknown */
    size_t done;
    int tty;
    double every;     /* seconds between lines off a terminal */
    double t0, last;  /* begin, last line printed */
    double prev;      /* last update */
    int shown;        /* something was printed since begin */
    size_t drawn;     /* done as last printed */
} progress;

/* Starts timing; prints nothing yet (a loop that ends within the interval
 * stays silent off a terminal). */
void progress_begin(progress *p, size_t total, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* done of total units finished; prints when it is time to. */
void progress_update(progress *p, size_t done);
/* Finishes the bar's line on a terminal; off it, a last line with the
 * elapsed time when any was printed and the last did not show the end. */
void progress_end(progress *p);

/* A surface_progress_fn whose user is a progress: points done so far (the
 * progress's total, set at begin, may count more work than the surface). */
int progress_surface(void *user, const surface *s, size_t done, size_t total);

#endif
