/* Shared by the libFuzzer targets whose parser reads a path, not a buffer:
 * a private scratch directory and the input written to a file in it. */
#ifndef SADDLE_FUZZ_UTIL_H
#define SADDLE_FUZZ_UTIL_H

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char fuzz_dir_name[64];

/* The scratch directory goes when the fuzzer exits (its files are flat). */
static void fuzz_dir_remove(void)
{
    DIR *d = opendir(fuzz_dir_name);
    if (!d) return;
    char path[512];
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.') continue;
        snprintf(path, sizeof path, "%s/%s", fuzz_dir_name, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(fuzz_dir_name);
}

/* "/tmp/saddle-fuzz-XXXXXX", made once per process. */
static const char *fuzz_dir(void)
{
    if (!fuzz_dir_name[0]) {
        snprintf(fuzz_dir_name, sizeof fuzz_dir_name, "/tmp/saddle-fuzz-XXXXXX");
        if (!mkdtemp(fuzz_dir_name)) abort();
        atexit(fuzz_dir_remove);
    }
    return fuzz_dir_name;
}

/* dir/name in buf [len]. */
static const char *fuzz_path(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", fuzz_dir(), name);
    return buf;
}

/* Writes data [size] to dir/name (plain write: a reader must cope with any bytes). */
static void fuzz_put(const char *name, const void *data, size_t size)
{
    char path[256];
    FILE *f = fopen(fuzz_path(path, sizeof path, name), "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) abort();
}

#endif
