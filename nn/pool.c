/* The thread pool: persistent workers woken per job through a generation
 * counter. Workers spin briefly (a training step issues a job every few
 * hundred microseconds) and then sleep on a futex, so an idle pool costs
 * nothing. */
#include "pool.h"

#include <cblas.h>
#include <immintrin.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "nn.h"

#define SPIN_ITERS 2000 /* some tens of microseconds: enough to bridge the gap between two jobs of a training step, short enough not to steal an oversubscribed core */

static struct {
    int n;                     /* threads including the caller */
    pthread_t th[POOL_MAX_THREADS];
    _Atomic unsigned gen;      /* bumped once per job */
    _Atomic int pending;       /* workers still running the current job */
    _Atomic int stop;
    unsigned start_gen;        /* gen when the workers were created */
    pid_t pid;                 /* process that owns the workers */
    pool_fn fn;
    void *arg;
} P = {.n = 1};

static void futex_wait(_Atomic unsigned *addr, unsigned val)
{
    syscall(SYS_futex, (unsigned *)addr, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void futex_wake(_Atomic unsigned *addr)
{
    syscall(SYS_futex, (unsigned *)addr, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

static void *worker(void *p)
{
    int tid = (int)(intptr_t)p;
    /* Not a fresh load of gen: a job may already have been posted before
     * this thread got to run, and it must not be mistaken for the past. */
    unsigned seen = P.start_gen;
    for (;;) {
        unsigned g;
        int spins = 0;
        while ((g = atomic_load_explicit(&P.gen, memory_order_acquire)) == seen) {
            if (++spins < SPIN_ITERS) _mm_pause();
            else futex_wait(&P.gen, seen);
        }
        seen = g;
        if (atomic_load(&P.stop)) return NULL;
        P.fn(P.arg, tid, P.n);
        if (atomic_fetch_sub_explicit(&P.pending, 1, memory_order_acq_rel) == 1)
            futex_wake((_Atomic unsigned *)&P.pending);
    }
}

static void pool_stop(void)
{
    if (P.n <= 1) return;
    atomic_store(&P.stop, 1);
    atomic_fetch_add_explicit(&P.gen, 1, memory_order_release);
    futex_wake(&P.gen);
    for (int i = 1; i < P.n; i++) pthread_join(P.th[i], NULL);
    atomic_store(&P.stop, 0);
    P.n = 1;
}

int pool_set_threads(int n)
{
    if (n <= 0) n = (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1) n = 1;
    if (n > POOL_MAX_THREADS) n = POOL_MAX_THREADS;
    openblas_set_num_threads(1);
    if (n == P.n) return NN_OK;
    pool_stop();
    P.n = n;
    P.pid = getpid();
    P.start_gen = atomic_load(&P.gen);
    for (int i = 1; i < n; i++) {
        if (pthread_create(&P.th[i], NULL, worker, (void *)(intptr_t)i) != 0) {
            P.n = i;
            pool_stop();
            return nn_err(NN_ENOMEM, "pool: cannot start thread %d of %d", i, n);
        }
    }
    return NN_OK;
}

int pool_threads(void) { return P.n; }

void pool_run(pool_fn fn, void *arg)
{
    if (P.n > 1 && getpid() != P.pid) {
        /* A forked child inherits the pool's bookkeeping but not its
         * threads: start them afresh so the child computes exactly what its
         * parent would (the same split, the same summation order). */
        int n = P.n;
        P.n = 1;
        atomic_store(&P.stop, 0);
        if (pool_set_threads(n) != NN_OK) P.n = 1;
    }
    if (P.n == 1) {
        fn(arg, 0, 1);
        return;
    }
    P.fn = fn;
    P.arg = arg;
    atomic_store_explicit(&P.pending, P.n - 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&P.gen, 1, memory_order_release);
    futex_wake(&P.gen);
    fn(arg, 0, P.n);
    int spins = 0, left;
    while ((left = atomic_load_explicit(&P.pending, memory_order_acquire)) != 0) {
        if (++spins < SPIN_ITERS) _mm_pause();
        else futex_wait((_Atomic unsigned *)&P.pending, (unsigned)left);
    }
}

void pool_range(size_t n, int parts, int k, size_t *lo, size_t *hi)
{
    size_t chunk = (n + (size_t)parts - 1) / (size_t)parts;
    chunk = (chunk + 15) & ~(size_t)15;
    *lo = (size_t)k * chunk < n ? (size_t)k * chunk : n;
    *hi = *lo + chunk < n ? *lo + chunk : n;
}
