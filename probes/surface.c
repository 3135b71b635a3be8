/* Grids of loss values along directions through θ, evaluated in blocks with
 * a completion map so an interrupted grid resumes where it stopped. */
#include "surface.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../datasets/status.h"

static int parse_int(const char *s, char **end, int *v)
{
    errno = 0;
    long x = strtol(s, end, 10);
    if (*end == s || errno || x < 1 || x > 100000) return -1;
    *v = (int)x;
    return 0;
}

static int parse_range(const char *s, char **end, double *lo, double *hi)
{
    errno = 0;
    *lo = strtod(s, end);
    if (*end == s || **end != ':' || errno) return -1;
    const char *t = *end + 1;
    *hi = strtod(t, end);
    if (*end == t || errno || !isfinite(*lo) || !isfinite(*hi)) return -1;
    return 0;
}

int grid_parse(const char *grid, const char *range, int dims, grid_spec *g)
{
    memset(g, 0, sizeof *g);
    if (dims != 1 && dims != 2) return nn_err(NN_EINVAL, "grid: %d dimensions (1 or 2)", dims);
    char *end;
    if (parse_int(grid, &end, &g->nx))
        return nn_err(NN_EINVAL, "--grid %s: expected N or NxM with counts in 1..100000", grid);
    g->ny = 1;
    if (*end == 'x') {
        if (dims == 1)
            return nn_err(NN_EINVAL, "--grid %s: a 1-D slice takes one count", grid);
        if (parse_int(end + 1, &end, &g->ny))
            return nn_err(NN_EINVAL, "--grid %s: expected N or NxM with counts in 1..100000", grid);
    } else if (dims == 2) {
        g->ny = g->nx;
    }
    if (*end) return nn_err(NN_EINVAL, "--grid %s: unexpected '%s'", grid, end);
    if (g->nx < 2 || (dims == 2 && g->ny < 2))
        return nn_err(NN_EINVAL, "--grid %s: each axis needs at least 2 points", grid);
    if ((double)g->nx * g->ny > GRID_MAX_POINTS)
        return nn_err(NN_EINVAL, "--grid %s: more than %d points", grid, GRID_MAX_POINTS);
    if (parse_range(range, &end, &g->x0, &g->x1))
        return nn_err(NN_EINVAL, "--range %s: expected MIN:MAX or MIN:MAX,MIN:MAX", range);
    if (*end == ',') {
        if (dims == 1) return nn_err(NN_EINVAL, "--range %s: a 1-D slice takes one range", range);
        if (parse_range(end + 1, &end, &g->y0, &g->y1))
            return nn_err(NN_EINVAL, "--range %s: expected MIN:MAX or MIN:MAX,MIN:MAX", range);
    } else if (dims == 2) {
        g->y0 = g->x0;
        g->y1 = g->x1;
    }
    if (*end) return nn_err(NN_EINVAL, "--range %s: unexpected '%s'", range, end);
    if (!(g->x0 < g->x1) || (dims == 2 && !(g->y0 < g->y1)))
        return nn_err(NN_EINVAL, "--range %s: each range needs MIN < MAX", range);
    /* grid_x steps by (MAX - MIN) / (N - 1): a width that overflows would
     * put every point at ±inf or NaN. */
    if (!isfinite(g->x1 - g->x0) || (dims == 2 && !isfinite(g->y1 - g->y0)))
        return nn_err(NN_EINVAL, "--range %s: MAX - MIN overflows", range);
    return NN_OK;
}

double grid_x(const grid_spec *g, int i)
{
    return g->nx == 1 ? g->x0 : g->x0 + (g->x1 - g->x0) * i / (g->nx - 1);
}

double grid_y(const grid_spec *g, int j)
{
    return g->ny == 1 ? g->y0 : g->y0 + (g->y1 - g->y0) * j / (g->ny - 1);
}

int surface_alloc(surface *s, const grid_spec *g)
{
    memset(s, 0, sizeof *s);
    s->g = *g;
    size_t np = (size_t)g->nx * (size_t)g->ny;
    s->loss = malloc(np * sizeof *s->loss);
    s->acc = malloc(np * sizeof *s->acc);
    s->done = calloc(np, 1);
    if (!s->loss || !s->acc || !s->done) {
        surface_free(s);
        return nn_err(NN_ENOMEM, "surface: cannot allocate %zu points", np);
    }
    for (size_t p = 0; p < np; p++) s->loss[p] = s->acc[p] = NAN;
    return NN_OK;
}

void surface_free(surface *s)
{
    free(s->loss);
    free(s->acc);
    free(s->done);
    memset(s, 0, sizeof *s);
}

size_t surface_remaining(const surface *s)
{
    size_t np = (size_t)s->g.nx * (size_t)s->g.ny, left = 0;
    for (size_t p = 0; p < np; p++) left += !s->done[p];
    return left;
}

int surface_eval(const objective *o, const float *theta0, const float *d1, const float *d2,
                 surface *s, int block, int rank, int nranks, surface_progress_fn progress,
                 void *user)
{
    const grid_spec *g = &s->g;
    size_t np = (size_t)g->nx * (size_t)g->ny;
    if (block < 1) block = 1;
    if (nranks < 1 || rank < 0 || rank >= nranks)
        return nn_err(NN_EINVAL, "surface: rank %d of %d", rank, nranks);
    int rc = NN_OK;
    size_t *pts = malloc((size_t)block * sizeof *pts);
    double *a = malloc((size_t)block * sizeof *a), *b = malloc((size_t)block * sizeof *b);
    double *l = malloc((size_t)block * sizeof *l), *c = malloc((size_t)block * sizeof *c);
    float *th = o->plane ? NULL : malloc(o->n * sizeof *th);
    if (!pts || !a || !b || !l || !c || (!o->plane && !th)) {
        rc = nn_err(NN_ENOMEM, "surface: out of memory");
        goto done;
    }
    size_t total = 0, finished = 0;
    for (size_t p = rank; p < np; p += (size_t)nranks) {
        total++;
        finished += s->done[p];
    }
    size_t p = (size_t)rank;
    while (p < np) {
        int k = 0;
        for (; p < np && k < block; p += (size_t)nranks) {
            if (s->done[p]) continue;
            pts[k] = p;
            a[k] = grid_x(g, (int)(p % (size_t)g->nx));
            b[k] = grid_y(g, (int)(p / (size_t)g->nx));
            k++;
        }
        if (k == 0) break;
        if (o->plane) {
            if ((rc = o->plane(o->ctx, theta0, d1, d2, k, a, b, l, c))) goto done;
        } else {
            for (int q = 0; q < k; q++) {
                for (size_t i = 0; i < o->n; i++) {
                    double v = theta0[i] + a[q] * d1[i];
                    if (d2) v += b[q] * d2[i];
                    th[i] = (float)v;
                }
                l[q] = o->value(o->ctx, th, &c[q]);
            }
        }
        for (int q = 0; q < k; q++) {
            s->loss[pts[q]] = l[q];
            s->acc[pts[q]] = c[q];
            s->done[pts[q]] = 1;
        }
        finished += (size_t)k;
        if (progress && (rc = progress(user, s, finished, total))) goto done;
    }
done:
    free(pts);
    free(a);
    free(b);
    free(l);
    free(c);
    free(th);
    return rc;
}

double surface_barrier(const surface *s, double loss_a, double loss_b, double *alpha_max)
{
    double top = -INFINITY, at = NAN;
    for (int i = 0; i < s->g.nx; i++) {
        double x = grid_x(&s->g, i);
        /* Only the path between the two minima counts, not the extrapolation. */
        if (x < 0 || x > 1 || !s->done[i]) continue;
        if (s->loss[i] > top) {
            top = s->loss[i];
            at = x;
        }
    }
    double ends = loss_a > loss_b ? loss_a : loss_b;
    if (top < ends) {
        top = ends;
        at = loss_a > loss_b ? 0.0 : 1.0;
    }
    if (alpha_max) *alpha_max = at;
    return top - ends;
}
