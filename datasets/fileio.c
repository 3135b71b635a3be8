/* Whole-file I/O shared by every writer of saddle's outputs. */
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "status.h"

int file_write_atomic(const char *path, const void *buf, size_t len)
{
    char tmp[4200];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp)
        return nn_err(NN_EINVAL, "%s: path too long", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return nn_err(NN_EIO, "%s: cannot create: %s", tmp, strerror(errno));
    const char *p = buf;
    size_t left = len;
    while (left) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) goto fail;
        p += w;
        left -= (size_t)w;
    }
    if (fsync(fd) != 0) goto fail;
    if (close(fd) != 0) {
        fd = -1;
        goto fail;
    }
    if (rename(tmp, path) != 0) {
        fd = -1;
        goto fail;
    }
    return NN_OK;
fail: {
    int e = errno;
    if (fd >= 0) close(fd);
    unlink(tmp);
    return nn_err(NN_EIO, "%s: write failed: %s", path, strerror(e));
}
}

int file_read_all(const char *path, size_t max_len, uint8_t **buf, size_t *len)
{
    *buf = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return nn_err(NN_EIO, "%s: cannot open: %s", path, strerror(errno));
    uint8_t *b = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 65536;
            if (cap > max_len) {
                fclose(f);
                free(b);
                return nn_err(NN_EFORMAT, "%s: larger than %zu bytes", path, max_len);
            }
            uint8_t *nb = realloc(b, ncap + 1);
            if (!nb) {
                fclose(f);
                free(b);
                return nn_err(NN_ENOMEM, "%s: cannot allocate %zu bytes", path, ncap);
            }
            b = nb;
            cap = ncap;
        }
        size_t r = fread(b + n, 1, cap - n, f);
        n += r;
        if (r == 0) break;
    }
    int err = ferror(f);
    fclose(f);
    if (err || n > max_len) {
        free(b);
        return err ? nn_err(NN_EIO, "%s: read error", path)
                   : nn_err(NN_EFORMAT, "%s: larger than %zu bytes", path, max_len);
    }
    b[n] = 0;
    *buf = b;
    *len = n;
    return NN_OK;
}

int file_mkdirs(const char *path)
{
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return nn_err(NN_EINVAL, "%s: path too long", path);
    for (char *p = buf + 1; ; p++) {
        if (*p == '/' || *p == 0) {
            char c = *p;
            *p = 0;
            if (mkdir(buf, 0755) != 0 && errno != EEXIST)
                return nn_err(NN_EIO, "%s: cannot create directory: %s", buf, strerror(errno));
            *p = c;
            if (!c) break;
        }
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return nn_err(NN_EIO, "%s: not a directory", path);
    return NN_OK;
}
