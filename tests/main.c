/* The test runner: runs every registered TEST (or those whose file or name
 * contains argv[1]) and ends with "N passed, N failed". */
#include "test.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_TESTS 1024

typedef struct { const char *file, *name; test_fn fn; int order; } entry;
static entry tests[MAX_TESTS];
static int ntests;
static int cur_failed;
static char tmpdir[256];

void test_register(const char *file, const char *name, test_fn fn)
{
    if (ntests < MAX_TESTS) {
        tests[ntests].file = file;
        tests[ntests].name = name;
        tests[ntests].fn = fn;
        tests[ntests].order = ntests;
        ntests++;
    }
}

void test_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "  FAIL %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    cur_failed++;
}

const char *test_tmpdir(void) { return tmpdir; }

const char *test_path(const char *name)
{
    static char bufs[8][512];
    static int k;
    char *b = bufs[k++ & 7];
    snprintf(b, 512, "%s%s", tmpdir, name);
    return b;
}

int test_write_file(const char *path, const void *buf, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = fwrite(buf, 1, len, f);
    return fclose(f) == 0 && w == len ? 0 : -1;
}

uint8_t *test_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *b = NULL;
    long n;
    if (!f) return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        b = malloc((size_t)n + 1);
        if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
            free(b);
            b = NULL;
        }
        if (b) b[n] = 0; /* text users may treat it as a string */
        *len = (size_t)n;
    }
    fclose(f);
    return b;
}

int test_same_file(const char *a, const char *b)
{
    size_t na = 0, nb = 0;
    uint8_t *x = test_read_file(a, &na), *y = test_read_file(b, &nb);
    int same = x && y && na == nb && memcmp(x, y, na) == 0;
    free(x);
    free(y);
    return same;
}

int test_exists(const char *path) { return access(path, F_OK) == 0; }

const char *test_join(const char *dir, const char *name)
{
    static char bufs[8][1200];
    static int k;
    char *b = bufs[k++ & 7];
    snprintf(b, sizeof bufs[0], "%s/%s", dir, name);
    return b;
}

const char *test_saddle_bin(void)
{
    const char *b = getenv("SADDLE_BIN");
    return b && *b ? b : "bin/saddle";
}

pid_t test_saddle_spawn(const char *args, const char *log)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "exec %s %s > %s 2>&1", test_saddle_bin(), args, log);
    pid_t pid = fork();
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    return pid;
}

int test_saddle(const char *args, const char **text)
{
    static uint8_t *out;
    size_t len = strlen(args) + 1024;
    char *cmd = malloc(len);
    if (!cmd) return -1;
    const char *log = test_path("saddle-out.txt");
    snprintf(cmd, len, "%s %s > %s 2>&1", test_saddle_bin(), args, log);
    int st = system(cmd);
    free(cmd);
    free(out);
    out = test_read_file(log, &len);
    if (text) *text = out ? (const char *)out : "";
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

const char *test_run(const char *name, const char *sets)
{
    /* Each named run is trained once per test process; a failed training
     * is reported by every test that asks for it. */
    static struct { char name[64], dir[512], sets[1024]; int ok; } runs[16];
    static int nruns;
    for (int k = 0; k < nruns; k++)
        if (!strcmp(runs[k].name, name)) {
            if (strcmp(runs[k].sets, sets ? sets : ""))
                test_fail(__FILE__, __LINE__, "run '%s' asked for with other options", name);
            if (!runs[k].ok) test_fail(__FILE__, __LINE__, "run '%s' failed to train", name);
            return runs[k].dir;
        }
    if (nruns == (int)(sizeof runs / sizeof *runs)) {
        test_fail(__FILE__, __LINE__, "more than %d fixture runs", nruns);
        return "";
    }
    int k = nruns++;
    snprintf(runs[k].name, sizeof runs[k].name, "%s", name);
    snprintf(runs[k].dir, sizeof runs[k].dir, "%s%s", tmpdir, name);
    snprintf(runs[k].sets, sizeof runs[k].sets, "%s", sets ? sets : "");
    char args[2048];
    snprintf(args, sizeof args, "train configs/spirals.ini --out %s --set train.threads=1 %s",
             runs[k].dir, sets ? sets : "");
    const char *out;
    runs[k].ok = test_saddle(args, &out) == 0;
    if (!runs[k].ok) test_fail(__FILE__, __LINE__, "train %s failed: %s", name, out);
    return runs[k].dir;
}

static int cmp_tests(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    int c = strcmp(x->file, y->file);
    return c ? c : x->order - y->order;
}

int main(int argc, char **argv)
{
    const char *filter = argc > 1 ? argv[1] : NULL;
    int passed = 0, failed = 0;
    char tmpl[] = "/tmp/saddle-test-XXXXXX";
    if (!mkdtemp(tmpl)) {
        perror("mkdtemp");
        return 2;
    }
    snprintf(tmpdir, sizeof tmpdir, "%s/", tmpl);
    /* Stable order: by file, then registration order within a file. */
    qsort(tests, (size_t)ntests, sizeof tests[0], cmp_tests);
    for (int i = 0; i < ntests; i++) {
        if (filter && !strstr(tests[i].file, filter) && !strstr(tests[i].name, filter))
            continue;
        cur_failed = 0;
        fprintf(stderr, "%-28s %s\n", tests[i].file, tests[i].name);
        tests[i].fn();
        if (cur_failed) failed++;
        else passed++;
    }
    if (!failed) {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpl);
        if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpl);
    } else {
        fprintf(stderr, "scratch files kept in %s\n", tmpl);
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
