/* NumPy .npy files (format version 1.0 written, 1.0/2.0 read): little-endian
 * float64, float32 and uint8 arrays of 1..4 dimensions in C order. This is
 * how surfaces, spectra and completion maps leave saddle for Python. */
#ifndef SADDLE_NPY_H
#define SADDLE_NPY_H

#include <stddef.h>
#include <stdint.h>

#define NPY_MAX_DIMS 4

/* Element types, by their numpy descr. */
enum { NPY_F64 = 1, /* '<f8' */ NPY_F32, /* '<f4' */ NPY_U8 /* '|u1' */ };

/* Writes data [shape[0]]...[shape[ndim-1]] atomically (temp name + rename).
 * The header is byte-identical to numpy.save's for the same array. */
int npy_write_f64(const char *path, const double *data, int ndim, const size_t *shape);
int npy_write_f32(const char *path, const float *data, int ndim, const size_t *shape);
/* uint8 arrays, e.g. a surface's completion map (1 = point computed). */
int npy_write_u8(const char *path, const uint8_t *data, int ndim, const size_t *shape);

/* Reads an '<f8', '<f4' or '|u1' array, converting to double. On success
 * *data is malloc'd [prod shape] (caller frees), *ndim and shape[0..ndim-1]
 * are set. Anything malformed is NN_EFORMAT with "path: what is wrong". */
int npy_read_f64(const char *path, double **data, int *ndim, size_t shape[NPY_MAX_DIMS]);
/* Reads a '|u1' array only (a completion map); *data malloc'd. */
int npy_read_u8(const char *path, uint8_t **data, int *ndim, size_t shape[NPY_MAX_DIMS]);

/* The same parse on bytes in memory (name labels error messages); *type is
 * set to NPY_*. Exposed for tests and fuzzing. */
int npy_parse_f64(const uint8_t *buf, size_t len, const char *name, double **data,
                  int *ndim, size_t shape[NPY_MAX_DIMS], int *type);

/* The header numpy writes for this array: magic, version, length, dict,
 * padding; out receives up to cap bytes, *len the full length. */
int npy_header_make(int type, int ndim, const size_t *shape, uint8_t *out, size_t cap,
                    size_t *len);

#endif
