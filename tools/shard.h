/* Data-parallel objectives across MPI ranks: each rank evaluates its shard
 * of the data subset and the means are combined with MPI_Allreduce, so a
 * solver on rank r sees the same objective as one process holding all the
 * data (up to summation order). Without MPI these are the identity. */
#ifndef SADDLE_SHARD_H
#define SADDLE_SHARD_H

#include <stddef.h>

#include "../probes/objective.h"

typedef struct shard_obj {
    objective inner;     /* this rank's objective on its shard */
    double weight;       /* shard size / total size */
} shard_obj;

/* This rank's share [*lo, *hi) of k examples (contiguous; all of them
 * without MPI), and the rank and rank count. */
void shard_range(size_t k, size_t *lo, size_t *hi, int *rank, int *nranks);
/* Wraps `inner` (built on examples [lo, hi) of k) into *o whose value, grad
 * and hvp are the means over all ranks' examples. */
void shard_wrap(shard_obj *s, objective *o, const objective *inner, size_t lo, size_t hi,
                size_t k);

#endif
