/* The thread pool: every thread runs each job exactly once, jobs see each
 * other's results in order, ranges tile [0, n) exactly. */
#include <stdatomic.h>
#include <string.h>

#include "../nn/nn.h"
#include "../nn/pool.h"
#include "test.h"

typedef struct job {
    _Atomic int calls;
    int seen[POOL_MAX_THREADS];
    unsigned long data[1000];
} job;

static void mark(void *arg, int tid, int n)
{
    job *j = arg;
    atomic_fetch_add(&j->calls, 1);
    j->seen[tid]++;
    size_t lo, hi;
    pool_range(1000, n, tid, &lo, &hi);
    for (size_t i = lo; i < hi; i++) j->data[i] = j->data[i] * 2 + 1;
}

TEST(pool_runs_each_thread_once_per_job)
{
    for (int T = 1; T <= 4; T++) {
        CHECK_OK(pool_set_threads(T));
        CHECK(pool_threads() == T);
        static job j;
        memset(&j, 0, sizeof j);
        for (int r = 0; r < 500; r++) pool_run(mark, &j);
        CHECK(atomic_load(&j.calls) == 500 * T);
        for (int t = 0; t < T; t++) CHECK(j.seen[t] == 500);
        /* data[i] went 0 -> 1 -> 3 -> ... : 2^500 - 1 wraps, so compare with
         * the same recurrence run serially. */
        unsigned long want = 0;
        for (int r = 0; r < 500; r++) want = want * 2 + 1;
        int bad = 0;
        for (int i = 0; i < 1000; i++) bad += j.data[i] != want;
        CHECK_MSG(bad == 0, "T=%d: %d elements wrong", T, bad);
    }
    CHECK_OK(pool_set_threads(1));
}

TEST(pool_range_tiles_exactly)
{
    size_t ns[] = {0, 1, 15, 16, 17, 1000, 269322};
    for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++)
        for (int parts = 1; parts <= 5; parts++) {
            size_t next = 0;
            for (int p = 0; p < parts; p++) {
                size_t lo, hi;
                pool_range(ns[k], parts, p, &lo, &hi);
                CHECK(lo == next && hi >= lo && hi <= ns[k]);
                CHECK(lo % 16 == 0 || lo == ns[k]);
                next = hi;
            }
            CHECK(next == ns[k]);
        }
}
