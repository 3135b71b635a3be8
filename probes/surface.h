/* Loss on lines and planes through θ: 1-D and 2-D grids along two
 * directions, interpolation between checkpoints, and the completion map that
 * lets a long grid be interrupted and resumed. */
#ifndef SADDLE_SURFACE_H
#define SADDLE_SURFACE_H

#include <stddef.h>
#include <stdint.h>

#include "objective.h"

#define GRID_MAX_POINTS 4000000

/* nx points from x0 to x1 (inclusive) by ny points from y0 to y1; ny == 1
 * is a line (1-D slice) and then y0 = y1 = 0. */
typedef struct grid_spec {
    int nx, ny;
    double x0, x1, y0, y1;
} grid_spec;

/* Parses "--grid 51" (51x51 for 2-D, 51 for 1-D), "41x31", and "--range
 * -1:1" (both axes) or "-1:1,-0.5:0.5"; dims is 1 or 2. Errors name the
 * option and the text. */
int grid_parse(const char *grid, const char *range, int dims, grid_spec *g);
double grid_x(const grid_spec *g, int i);
double grid_y(const grid_spec *g, int j);

typedef struct surface {
    grid_spec g;
    double *loss;    /* [ny][nx], NaN where not yet computed */
    double *acc;     /* [ny][nx] */
    uint8_t *done;   /* [ny][nx] completion map: 1 = computed */
} surface;

int surface_alloc(surface *s, const grid_spec *g);
void surface_free(surface *s);
size_t surface_remaining(const surface *s);

/* Called after each block of points with the surface so far; a non-zero
 * return stops the evaluation with that status (after saving, say). */
typedef int (*surface_progress_fn)(void *user, const surface *s, size_t done, size_t total);

/* Evaluates every point not yet done of s at theta0 + x d1 + y d2 (d2 NULL
 * for a line), `block` points at a time, through o->plane when the objective
 * has it, else o->value point by point. Points are taken in row-major order;
 * when nranks > 1 (MPI) rank r computes points p with p % nranks == r and
 * the caller merges. */
int surface_eval(const objective *o, const float *theta0, const float *d1, const float *d2,
                 surface *s, int block, int rank, int nranks, surface_progress_fn progress,
                 void *user);

/* Barrier of a 1-D interpolation: max over the path minus the larger of the
 * losses at alpha = 0 and alpha = 1 (given separately, since the grid need
 * not contain them). Never below 0 on a path that includes its endpoints. */
double surface_barrier(const surface *s, double loss_a, double loss_b, double *alpha_max);

#endif
