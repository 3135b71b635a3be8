/* Whole-file reads and atomic whole-file writes (temporary name, fsync,
 * rename), so a crash never leaves a half-written file under the real name. */
#ifndef SADDLE_FILEIO_H
#define SADDLE_FILEIO_H

#include <stddef.h>
#include <stdint.h>

/* Writes len bytes to path atomically. */
int file_write_atomic(const char *path, const void *buf, size_t len);
/* Reads a whole file into a malloc'd buffer (NUL-terminated for text use;
 * *len excludes the NUL). Refuses files larger than max_len. */
int file_read_all(const char *path, size_t max_len, uint8_t **buf, size_t *len);
/* mkdir -p */
int file_mkdirs(const char *path);

#endif
