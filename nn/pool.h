/* saddle's one thread pool. Work is split by data (rows of a batch, ranges
 * of θ) across these threads, and OpenBLAS runs single-threaded inside each,
 * so there is never a second pool of busy-waiting threads on the cores. */
#ifndef SADDLE_POOL_H
#define SADDLE_POOL_H

#include <stddef.h>

#define POOL_MAX_THREADS 64

typedef void (*pool_fn)(void *arg, int tid, int nthreads);

/* Sets the number of threads (0 = all online cores), restarting the pool if
 * the count changes, and pins OpenBLAS to one thread. Not thread-safe: call
 * it from the main thread between jobs. */
int pool_set_threads(int n);
/* The current count (1 until pool_set_threads is called). */
int pool_threads(void);
/* Runs fn(arg, tid, n) on every thread of the pool (tid 0 is the caller)
 * and returns when all have finished. */
void pool_run(pool_fn fn, void *arg);
/* Splits [0, n) into `parts` contiguous chunks; chunk k is [*lo, *hi),
 * boundaries rounded to multiples of 16 elements (one cache line of floats). */
void pool_range(size_t n, int parts, int k, size_t *lo, size_t *hi);

#endif
