/* The ascent step of SAM (Foret et al. 2021) and ASAM (Kwon et al. 2021):
 * where the second gradient of a step is taken. The trainer owns the two
 * gradient evaluations; the base optimizer then steps at θ with the second. */
#include "optim.h"
#include "pool.h"

#include <math.h>
#include <string.h>

typedef struct sam_job {
    const optim_opts *o;
    size_t n;
    const float *theta, *g;
    float *out;
    double scale;                     /* ρ/‖g‖ or ρ/‖Tg‖ */
    double sq[POOL_MAX_THREADS];      /* partial sums of squares */
    int bad[POOL_MAX_THREADS];        /* entries of θ + ε that overflow float */
} sam_job;

static double sam_t(const sam_job *j, size_t i)
{
    return fabs((double)j->theta[i]) + j->o->sam_eta;
}

static void sam_norm_part(void *arg, int tid, int nthreads)
{
    sam_job *j = arg;
    size_t lo, hi;
    pool_range(j->n, nthreads, tid, &lo, &hi);
    double s = 0;
    if (j->o->sam == SAM_ASAM)
        for (size_t i = lo; i < hi; i++) {
            double tg = sam_t(j, i) * (double)j->g[i];
            s += tg * tg;
        }
    else
        for (size_t i = lo; i < hi; i++) s += (double)j->g[i] * (double)j->g[i];
    j->sq[tid] = s;
}

static void sam_move_part(void *arg, int tid, int nthreads)
{
    sam_job *j = arg;
    size_t lo, hi;
    pool_range(j->n, nthreads, tid, &lo, &hi);
    double sq = 0;
    int bad = 0;
    if (j->o->sam == SAM_ASAM)
        for (size_t i = lo; i < hi; i++) {
            double t = sam_t(j, i), e = j->scale * t * t * (double)j->g[i];
            j->out[i] = (float)((double)j->theta[i] + e);
            bad += !isfinite(j->out[i]);
            sq += e * e;
        }
    else
        for (size_t i = lo; i < hi; i++) {
            double e = j->scale * (double)j->g[i];
            j->out[i] = (float)((double)j->theta[i] + e);
            bad += !isfinite(j->out[i]);
            sq += e * e;
        }
    j->sq[tid] = sq;
    j->bad[tid] = bad;
}

double optim_sam_point(const optim_opts *opts, size_t n, const float *theta, const float *g,
                       float *out)
{
    sam_job j;
    memset(&j, 0, sizeof j);
    j.o = opts;
    j.n = n;
    j.theta = theta;
    j.g = g;
    j.out = out;
    pool_run(sam_norm_part, &j);
    double sq = 0;
    for (int t = 0; t < pool_threads(); t++) sq += j.sq[t]; /* fixed order */
    double norm = sqrt(sq);
    if (!isfinite(norm)) return norm;
    /* No step at all (not θ + 0, which would turn -0 into +0): the second
     * gradient must then be the first, bit for bit. */
    if (opts->sam == SAM_NONE || opts->sam_rho == 0 || norm == 0) {
        if (out != theta) memcpy(out, theta, n * sizeof *out);
        return 0;
    }
    j.scale = opts->sam_rho / norm;
    pool_run(sam_move_part, &j);
    sq = 0;
    int bad = 0;
    for (int t = 0; t < pool_threads(); t++) sq += j.sq[t], bad += j.bad[t];
    /* A step the float weights cannot hold is not a smaller step: say so. */
    return bad ? INFINITY : sqrt(sq);
}
