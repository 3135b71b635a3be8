/* Shared by the libFuzzer targets whose parser reads a path, not a buffer:
 * a private scratch directory and the input written to a file in it. */
#ifndef SADDLE_FUZZ_UTIL_H
#define SADDLE_FUZZ_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* "/tmp/saddle-fuzz-XXXXXX/", made once per process. */
static const char *fuzz_dir(void)
{
    static char dir[64];
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/saddle-fuzz-XXXXXX");
        if (!mkdtemp(dir)) abort();
    }
    return dir;
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
