/* A minimal test harness: TEST(name) registers a function at load time (so a
 * test file needs no list elsewhere); CHECK* record failures with file:line.
 * The runner (tests/main.c) prints "N passed, N failed" last and exits 1 on
 * any failure. */
#ifndef SADDLE_TEST_H
#define SADDLE_TEST_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include "../datasets/status.h"

typedef void (*test_fn)(void);
void test_register(const char *file, const char *name, test_fn fn);
void test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A scratch directory unique to this test run ("/tmp/saddle-test-XXXX/"). */
const char *test_tmpdir(void);
/* path = tmpdir + name, in a static rotating buffer (8 deep: copy a path
 * that must outlive more calls). */
const char *test_path(const char *name);
/* Writes len bytes to path (plain, not atomic): 0 or -1. */
int test_write_file(const char *path, const void *buf, size_t len);
/* A file's bytes, malloc'd [*len] plus a terminating NUL, or NULL. */
uint8_t *test_read_file(const char *path, size_t *len);

#define TEST(name)                                                            \
    static void test_##name(void);                                            \
    __attribute__((constructor)) static void test_reg_##name(void)            \
    {                                                                         \
        test_register(__FILE__, #name, test_##name);                          \
    }                                                                         \
    static void test_##name(void)

#define CHECK(cond)                                                           \
    do {                                                                      \
        if (!(cond)) test_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);       \
    } while (0)

#define CHECK_MSG(cond, ...)                                                  \
    do {                                                                      \
        if (!(cond)) test_fail(__FILE__, __LINE__, __VA_ARGS__);              \
    } while (0)

/* |a - b| <= tol, printing both values on failure. */
#define CHECK_NEAR(a, b, tol)                                                 \
    do {                                                                      \
        double a_ = (double)(a), b_ = (double)(b), t_ = (double)(tol);        \
        if (!(fabs(a_ - b_) <= t_))                                           \
            test_fail(__FILE__, __LINE__, "%s = %.9g vs %s = %.9g (tol %.3g)", \
                      #a, a_, #b, b_, t_);                                    \
    } while (0)

/* Status code equality, printing nn_errmsg() on failure. */
#define CHECK_OK(expr)                                                        \
    do {                                                                      \
        int s_ = (expr);                                                      \
        if (s_ != 0)                                                          \
            test_fail(__FILE__, __LINE__, "%s -> %d: %s", #expr, s_,          \
                      nn_errmsg());                                           \
    } while (0)

/* 1 when both files exist and hold the same bytes. */
int test_same_file(const char *a, const char *b);
/* 1 when the path exists. */
int test_exists(const char *path);
/* "dir/name" in a static rotating buffer (8 deep). */
const char *test_join(const char *dir, const char *name);

/* Runs `saddle ARGS` (the binary the Makefile names in SADDLE_BIN, else
 * bin/saddle) with stdout and stderr captured: returns its exit status and
 * points *text (may be NULL) at the output, valid until the next call. */
int test_saddle(const char *args, const char **text);

/* The saddle binary the Makefile names in SADDLE_BIN, else bin/saddle. */
const char *test_saddle_bin(void);
/* Starts `saddle ARGS` in the background with stdout and stderr in log
 * (the shell execs it, so the pid is saddle's own); returns its pid. */
pid_t test_saddle_spawn(const char *args, const char *log);

/* A small run trained once per test process: configs/spirals.ini on one
 * thread with the --set options `sets` (e.g. "--set train.epochs=3"), in
 * the scratch directory under `name`. Returns its directory. */
const char *test_run(const char *name, const char *sets);

/* The last error message contains s. */
static inline int test_errmsg_has(const char *s) { return strstr(nn_errmsg(), s) != NULL; }

/* expr returns `code` and nn_errmsg() contains `substr`. */
#define CHECK_ERR(expr, code, substr)                                          \
    do {                                                                       \
        int r_ = (expr);                                                       \
        CHECK_MSG(r_ == (code), "%s -> %d, expected %d (%s)", #expr, r_, code, \
                  nn_errmsg());                                                \
        CHECK_MSG(strstr(nn_errmsg(), substr) != NULL,                         \
                  "message \"%s\" lacks \"%s\"", nn_errmsg(), substr);        \
    } while (0)

#endif
