/* MPI reduction of objective means over data shards. */
#include "shard.h"

#include <string.h>

#ifdef SADDLE_MPI
#include <mpi.h>
#endif

void shard_range(size_t k, size_t *lo, size_t *hi, int *rank, int *nranks)
{
    int r = 0, n = 1;
#ifdef SADDLE_MPI
    MPI_Comm_rank(MPI_COMM_WORLD, &r);
    MPI_Comm_size(MPI_COMM_WORLD, &n);
#endif
    *lo = k * (size_t)r / (size_t)n;
    *hi = k * (size_t)(r + 1) / (size_t)n;
    if (rank) *rank = r;
    if (nranks) *nranks = n;
}

#ifdef SADDLE_MPI
static double sum_double(double x)
{
    double y = 0;
    MPI_Allreduce(&x, &y, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    return y;
}

/* v [n] <- sum over ranks of weight * v, in float (the solvers' vectors). */
static void sum_vector(float *v, size_t n, double weight)
{
    float w = (float)weight;
    for (size_t i = 0; i < n; i++) v[i] *= w;
    for (size_t off = 0; off < n;) {
        int c = n - off > (1u << 30) ? 1 << 30 : (int)(n - off);
        MPI_Allreduce(MPI_IN_PLACE, v + off, c, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
        off += (size_t)c;
    }
}

static double shard_value(void *ctx, const float *theta, double *acc)
{
    shard_obj *s = ctx;
    double a = 0, v = s->inner.value(s->inner.ctx, theta, &a);
    if (acc) *acc = sum_double(a * s->weight);
    else sum_double(0); /* every rank takes part in the same reductions */
    return sum_double(v * s->weight);
}

static double shard_grad(void *ctx, const float *theta, float *g)
{
    shard_obj *s = ctx;
    double v = s->inner.grad(s->inner.ctx, theta, g);
    sum_vector(g, s->inner.n, s->weight);
    return sum_double(v * s->weight);
}

static void shard_hvp(void *ctx, const float *theta, const float *v, float *hv)
{
    shard_obj *s = ctx;
    s->inner.hvp(s->inner.ctx, theta, v, hv);
    sum_vector(hv, s->inner.n, s->weight);
}
#endif

void shard_wrap(shard_obj *s, objective *o, const objective *inner, size_t lo, size_t hi,
                size_t k)
{
    s->inner = *inner;
    s->weight = k ? (double)(hi - lo) / (double)k : 0;
    *o = *inner;
#ifdef SADDLE_MPI
    int n = 1;
    MPI_Comm_size(MPI_COMM_WORLD, &n);
    if (n > 1) {
        o->ctx = s;
        o->value = shard_value;
        o->grad = inner->grad ? shard_grad : NULL;
        o->hvp = inner->hvp ? shard_hvp : NULL;
        o->plane = NULL; /* points go through value(), each reduced */
    }
#endif
}
