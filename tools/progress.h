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
    char unit[16];    /* what is counted, "points", "HVPs"; "" = plain counts */
    char note[64];    /* shown after the count: "1234 HVPs" */
    size_t total;     /* units of work; 0 = unknown */
    size_t done;
    size_t base;      /* units done before this process began (a resume): not in the ETA's rate */
    int at_most;      /* total is a cap, not the count: no percentage or ETA */
    int log_ends;     /* off a terminal, also a line at the first update and at the end */
    int tty;
    double every;     /* seconds between lines off a terminal */
    double t0, last;  /* begin, last line printed */
    double phase_t0;  /* begin of the current phase (the ETA's clock) */
    double prev;      /* last update */
    int shown;        /* something was printed since begin */
    size_t drawn;     /* done as last printed */
} progress;

/* Starts timing; prints nothing yet (a loop that ends within the interval
 * stays silent off a terminal, unless log_ends is set). */
void progress_begin(progress *p, size_t total, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* What the counts are of ("HVPs"), and whether the total is only a cap on
 * them (an iterative solver that may stop early). Call after begin. */
void progress_unit(progress *p, const char *unit, int at_most);
/* Text shown after the count until changed (a second tally, "1234 HVPs"). */
void progress_note(progress *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The next phase of the same command, with its own what and total, counted
 * from 0 on the same clock: the bar of the last one is cleared on a
 * terminal, and a log gets the phase as it starts ("what: at most 300 HVPs,
 * from 12s"), however short it is. */
void progress_phase(progress *p, size_t total, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* done of total units finished; prints when it is time to. */
void progress_update(progress *p, size_t done);
/* Finishes the bar's line on a terminal; off it, a last line with the
 * elapsed time when any was printed and the last did not show the end. */
void progress_end(progress *p);

/* Seconds between lines off a terminal: SADDLE_PROGRESS_SECONDS, or 10. */
double progress_interval(void);
/* "45s", "3m07s", "1h02m"; "?" for no sensible time. */
void progress_fmt_secs(double s, char *buf, size_t len);

/* A surface_progress_fn whose user is a progress: points done so far (the
 * progress's total, set at begin, may count more work than the surface). */
int progress_surface(void *user, const surface *s, size_t done, size_t total);

#endif
