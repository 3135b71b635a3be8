/* Whole-file I/O shared by every writer of saddle's outputs: temporaries
 * that cannot be hijacked, atomic replacement, one-writer locks on output
 * directories and the removal of temporaries a killed writer left behind. */
#include "fileio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "status.h"

int file_tmp_open(const char *path, char *tmp, size_t len, int *fd)
{
    static unsigned counter;
    *fd = -1;
    /* A name taken by anything (a planted symlink, a file of a killed
     * writer with a recycled pid) is skipped, never opened. */
    for (int attempt = 0; attempt < 100; attempt++) {
        unsigned k = __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED);
        if (snprintf(tmp, len, "%s.tmp.%ld.%u", path, (long)getpid(), k) >= (int)len)
            return nn_err(NN_EINVAL, "%s: path too long", path);
        *fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (*fd >= 0) return NN_OK;
        if (errno != EEXIST) break;
    }
    return nn_err(NN_EIO, "%s: cannot create a temporary file %s: %s", path, tmp, strerror(errno));
}

void file_tmp_abort(int fd, const char *tmp)
{
    if (fd >= 0) close(fd);
    unlink(tmp);
}

int file_tmp_commit(int fd, const char *tmp, const char *path)
{
    if (fsync(fd) != 0) goto fail;
    int c = close(fd);
    fd = -1;
    if (c != 0 || rename(tmp, path) != 0) goto fail;
    return NN_OK;
fail: {
    int e = errno;
    file_tmp_abort(fd, tmp);
    return nn_err(NN_EIO, "%s: write failed: %s", path, strerror(e));
}
}

int file_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return -1;
        if (w == 0) {
            errno = ENOSPC;
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

int file_write_atomic(const char *path, const void *buf, size_t len)
{
    char tmp[4200];
    int fd, rc = file_tmp_open(path, tmp, sizeof tmp, &fd);
    if (rc) return rc;
    if (file_write_all(fd, buf, len) != 0) {
        int e = errno;
        file_tmp_abort(fd, tmp);
        return nn_err(NN_EIO, "%s: write failed: %s", path, strerror(e));
    }
    return file_tmp_commit(fd, tmp, path);
}

int file_open_regular(const char *path, FILE **out)
{
    *out = NULL;
    /* Non-blocking, so that opening a FIFO returns at once; then anything
     * but a regular file is refused before a byte is read. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return nn_err(NN_EIO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return nn_err(NN_EIO, "%s: cannot stat: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return nn_err(NN_EIO, "%s: not a regular file (%s)", path,
                      S_ISDIR(st.st_mode)    ? "a directory"
                      : S_ISFIFO(st.st_mode) ? "a FIFO"
                      : S_ISCHR(st.st_mode)  ? "a character device"
                      : S_ISSOCK(st.st_mode) ? "a socket"
                                             : "a special file");
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0) fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        int e = errno;
        close(fd);
        return nn_err(NN_EIO, "%s: cannot open: %s", path, strerror(e));
    }
    *out = f;
    return NN_OK;
}

int file_read_all(const char *path, size_t max_len, uint8_t **buf, size_t *len)
{
    *buf = NULL;
    *len = 0;
    FILE *f;
    int rc = file_open_regular(path, &f);
    if (rc) return rc;
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

/* The pid in "NAME.tmp.PID" or "NAME.tmp.PID.N", or 0. */
static long tmp_pid(const char *name)
{
    const char *p = NULL;
    for (const char *q = strstr(name, ".tmp."); q; q = strstr(q + 1, ".tmp.")) p = q;
    if (!p || p == name) return 0;
    char *end;
    long pid = strtol(p + 5, &end, 10);
    if (end == p + 5 || pid <= 0) return 0;
    if (*end == '.') {
        const char *s = end + 1;
        if (!*s) return 0;
        for (; *s; s++)
            if (*s < '0' || *s > '9') return 0;
    } else if (*end) {
        return 0;
    }
    return pid;
}

static int pid_alive(long pid) { return kill((pid_t)pid, 0) == 0 || errno == EPERM; }

int file_clean_stale_tmp(const char *dir, int *removed)
{
    if (removed) *removed = 0;
    DIR *d = opendir(dir);
    if (!d) return errno == ENOENT ? NN_OK : nn_err(NN_EIO, "%s: cannot list: %s", dir, strerror(errno));
    int dfd = dirfd(d);
    for (struct dirent *e; (e = readdir(d));) {
        long pid = tmp_pid(e->d_name);
        if (!pid || pid == (long)getpid() || pid_alive(pid)) continue;
        struct stat st;
        /* Only regular files and symlinks: a directory is nobody's temporary. */
        if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
            !(S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)))
            continue;
        if (unlinkat(dfd, e->d_name, 0) == 0 && removed) (*removed)++;
    }
    closedir(d);
    return NN_OK;
}

int file_lock_dir(file_lock *l, const char *dir, const char *what)
{
    l->fd = -1;
    char path[4200];
    if (snprintf(path, sizeof path, "%s/%s", dir, FILE_LOCK_NAME) >= (int)sizeof path)
        return nn_err(NN_EINVAL, "%s: path too long", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) return nn_err(NN_EIO, "%s: cannot create the lock file: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return nn_err(NN_EIO, "%s: the lock file is not a regular file", path);
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        char holder[256] = "";
        ssize_t r = pread(fd, holder, sizeof holder - 1, 0);
        close(fd);
        if (e != EWOULDBLOCK)
            return nn_err(NN_EIO, "%s: cannot lock: %s", path, strerror(e));
        holder[r > 0 ? r : 0] = 0;
        holder[strcspn(holder, "\n")] = 0;
        return nn_err(NN_EBUSY,
                      "%s is being written by another process (%s); wait for it to end or write "
                      "elsewhere",
                      dir, holder[0] ? holder : "its pid not yet recorded");
    }
    char line[256];
    int k = snprintf(line, sizeof line, "pid %ld: saddle %s\n", (long)getpid(), what);
    if (ftruncate(fd, 0) != 0 || pwrite(fd, line, (size_t)k, 0) != k) {
        int e = errno;
        close(fd);
        return nn_err(NN_EIO, "%s: cannot write the lock file: %s", path, strerror(e));
    }
    l->fd = fd;
    file_clean_stale_tmp(dir, NULL);
    return NN_OK;
}

void file_unlock(file_lock *l)
{
    /* The file stays: unlinking it would let a third process lock a new
     * inode while a second still waits on the old one. */
    if (l->fd >= 0) {
        if (ftruncate(l->fd, 0) != 0) { /* a stale holder line is harmless */ }
        close(l->fd);
    }
    l->fd = -1;
}
