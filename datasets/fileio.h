/* Whole-file reads and atomic whole-file writes (a temporary made with
 * O_EXCL|O_NOFOLLOW, fsync, rename), so a crash never leaves a half-written
 * file under the real name; one-writer locks on output directories. */
#ifndef SADDLE_FILEIO_H
#define SADDLE_FILEIO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Writes len bytes to path atomically. */
int file_write_atomic(const char *path, const void *buf, size_t len);

/* A new temporary beside path, "PATH.tmp.PID.N", opened for writing with
 * O_CREAT|O_EXCL|O_NOFOLLOW: nothing planted at that name (a symlink to
 * another file) is ever followed. tmp [len] receives the name. */
int file_tmp_open(const char *path, char *tmp, size_t len, int *fd);
/* fsync, close and rename the temporary onto path; on failure it is
 * removed and the message names path and the reason. */
int file_tmp_commit(int fd, const char *tmp, const char *path);
/* Closes and removes a temporary that will not be committed. */
void file_tmp_abort(int fd, const char *tmp);
/* write() until done (EINTR retried): 0, or -1 with errno set. */
int file_write_all(int fd, const void *buf, size_t len);

/* Opens path for reading, refusing anything but a regular file (a FIFO, a
 * device, a directory) without blocking on it. */
int file_open_regular(const char *path, FILE **f);
/* Reads a whole file into a malloc'd buffer (NUL-terminated for text use;
 * *len excludes the NUL). Refuses files larger than max_len. */
int file_read_all(const char *path, size_t max_len, uint8_t **buf, size_t *len);
/* mkdir -p */
int file_mkdirs(const char *path);

/* One writer per output directory: an exclusive flock on DIR/.saddle-lock,
 * held until file_unlock or the process ends (a killed holder frees it).
 * A second writer gets NN_EBUSY at once, with the holder's pid and command
 * in the message. Taking the lock also removes the temporaries that dead
 * processes left in DIR. */
#define FILE_LOCK_NAME ".saddle-lock"
typedef struct file_lock { int fd; } file_lock;
int file_lock_dir(file_lock *l, const char *dir, const char *what);
void file_unlock(file_lock *l);
/* Removes DIR's "*.tmp.PID[.N]" files whose process is gone; *removed
 * (may be NULL) counts them. */
int file_clean_stale_tmp(const char *dir, int *removed);

#endif
