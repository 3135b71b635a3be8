/* The .npy writer and reader: header text exactly as numpy.save makes it (so
 * files diff cleanly against Python's), and a strict parser of the header
 * dict that checks the declared shape against the bytes actually present. */
#include "npy.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../datasets/fileio.h"
#include "../datasets/status.h"

#define NPY_MAGIC "\x93NUMPY"
#define NPY_ALIGN 64
/* numpy reserves room for the first axis to grow to this many digits, so a
 * file can be appended to in place; copied so our headers match its. */
#define NPY_GROWTH_DIGITS 21
/* Larger files than this are refused rather than read (4 GiB). */
#define NPY_MAX_FILE ((size_t)1 << 32)

static const char *npy_descr(int type)
{
    switch (type) {
    case NPY_F64: return "<f8";
    case NPY_F32: return "<f4";
    case NPY_U8: return "|u1";
    default: return NULL;
    }
}

static size_t npy_itemsize(int type)
{
    return type == NPY_F64 ? 8 : type == NPY_F32 ? 4 : type == NPY_U8 ? 1 : 0;
}

/* Product of the shape, or 0 with *ovf set when it overflows with itemsize. */
static size_t npy_count(int ndim, const size_t *shape, size_t itemsize, int *ovf)
{
    size_t n = 1;
    *ovf = 0;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] && n > SIZE_MAX / itemsize / shape[i]) {
            *ovf = 1;
            return 0;
        }
        n *= shape[i];
    }
    return n;
}

int npy_header_make(int type, int ndim, const size_t *shape, uint8_t *out, size_t cap,
                    size_t *len)
{
    const char *descr = npy_descr(type);
    if (!descr) return nn_err(NN_EINVAL, "npy: unknown element type %d", type);
    if (ndim < 1 || ndim > NPY_MAX_DIMS)
        return nn_err(NN_EINVAL, "npy: %d dimensions (1..%d supported)", ndim, NPY_MAX_DIMS);
    char dict[256], tup[128];
    int t = 0;
    for (int i = 0; i < ndim; i++)
        t += snprintf(tup + t, sizeof tup - (size_t)t, i ? ", %zu" : "%zu", shape[i]);
    if (ndim == 1) t += snprintf(tup + t, sizeof tup - (size_t)t, ",");
    int d = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }",
                     descr, tup);
    char first[32];
    int growth = NPY_GROWTH_DIGITS - snprintf(first, sizeof first, "%zu", shape[0]);
    if (growth < 0) growth = 0;
    size_t hlen = (size_t)d + (size_t)growth + 1; /* + '\n' */
    size_t pad = NPY_ALIGN - (10 + hlen) % NPY_ALIGN;  /* numpy pads a full 64 at 0 */
    hlen += pad;
    if (hlen > 65535) return nn_err(NN_EINVAL, "npy: header too long");
    *len = 10 + hlen;
    if (cap < *len) return nn_err(NN_EINVAL, "npy: header buffer too small");
    memcpy(out, NPY_MAGIC, 6);
    out[6] = 1;
    out[7] = 0;
    out[8] = (uint8_t)(hlen & 0xff);
    out[9] = (uint8_t)(hlen >> 8);
    memcpy(out + 10, dict, (size_t)d);
    memset(out + 10 + d, ' ', hlen - (size_t)d - 1);
    out[*len - 1] = '\n';
    return NN_OK;
}

/* Builds header + little-endian data in memory and writes it atomically;
 * data [count] of the given type. */
static int npy_write(const char *path, int type, const void *data, int ndim, const size_t *shape)
{
    uint8_t hdr[512];
    size_t hlen, isz = npy_itemsize(type);
    int ovf, rc = npy_header_make(type, ndim, shape, hdr, sizeof hdr, &hlen);
    if (rc) {
        char why[256];
        snprintf(why, sizeof why, "%s", nn_errmsg());
        return nn_err(rc, "%s: %s", path, why);
    }
    size_t n = npy_count(ndim, shape, isz, &ovf);
    if (ovf || n * isz > SIZE_MAX - hlen) return nn_err(NN_EINVAL, "%s: array too large", path);
    uint8_t *buf = malloc(hlen + n * isz);
    if (!buf) return nn_err(NN_ENOMEM, "%s: cannot allocate %zu bytes", path, hlen + n * isz);
    memcpy(buf, hdr, hlen);
    uint8_t *p = buf + hlen;
    /* Byte by byte so the file is little-endian whatever the host is. */
    for (size_t i = 0; i < n; i++) {
        uint64_t bits = 0;
        if (type == NPY_F64) {
            memcpy(&bits, (const double *)data + i, 8);
        } else if (type == NPY_F32) {
            uint32_t b32;
            memcpy(&b32, (const float *)data + i, 4);
            bits = b32;
        } else {
            bits = ((const uint8_t *)data)[i];
        }
        for (size_t k = 0; k < isz; k++) *p++ = (uint8_t)(bits >> (8 * k));
    }
    rc = file_write_atomic(path, buf, hlen + n * isz);
    free(buf);
    return rc;
}

int npy_write_f64(const char *path, const double *data, int ndim, const size_t *shape)
{
    return npy_write(path, NPY_F64, data, ndim, shape);
}

int npy_write_f32(const char *path, const float *data, int ndim, const size_t *shape)
{
    return npy_write(path, NPY_F32, data, ndim, shape);
}

int npy_write_u8(const char *path, const uint8_t *data, int ndim, const size_t *shape)
{
    return npy_write(path, NPY_U8, data, ndim, shape);
}

/* A cursor over the header dict text, which is a Python literal. */
typedef struct {
    const char *s, *end;
    const char *name;
} npy_lex;

static void lex_ws(npy_lex *L)
{
    while (L->s < L->end && (*L->s == ' ' || *L->s == '\t' || *L->s == '\n' || *L->s == '\r'))
        L->s++;
}

static int lex_char(npy_lex *L, char c)
{
    lex_ws(L);
    if (L->s < L->end && *L->s == c) {
        L->s++;
        return 1;
    }
    return 0;
}

/* A quoted string into out[cap]; 0 when there is none. */
static int lex_string(npy_lex *L, char *out, size_t cap)
{
    lex_ws(L);
    if (L->s >= L->end || (*L->s != '\'' && *L->s != '"')) return 0;
    char q = *L->s++;
    size_t n = 0;
    while (L->s < L->end && *L->s != q) {
        if (n + 1 >= cap) return 0;
        out[n++] = *L->s++;
    }
    if (L->s >= L->end) return 0;
    L->s++;
    out[n] = 0;
    return 1;
}

static int lex_word(npy_lex *L, const char *w)
{
    lex_ws(L);
    size_t n = strlen(w);
    if ((size_t)(L->end - L->s) >= n && !memcmp(L->s, w, n) &&
        (L->s + n == L->end || !isalnum((unsigned char)L->s[n]))) {
        L->s += n;
        return 1;
    }
    return 0;
}

/* "(a, b, ...)" with an optional trailing comma; -1 on syntax, -2 on too
 * many dimensions, else the number of dimensions. */
static int lex_shape(npy_lex *L, size_t shape[NPY_MAX_DIMS])
{
    int nd = 0;
    if (!lex_char(L, '(')) return -1;
    for (;;) {
        if (lex_char(L, ')')) return nd;
        lex_ws(L);
        if (L->s >= L->end || !isdigit((unsigned char)*L->s)) return -1;
        size_t v = 0;
        while (L->s < L->end && isdigit((unsigned char)*L->s)) {
            size_t dig = (size_t)(*L->s++ - '0');
            if (v > (SIZE_MAX - dig) / 10) return -1;
            v = v * 10 + dig;
        }
        if (nd == NPY_MAX_DIMS) return -2;
        shape[nd++] = v;
        if (!lex_char(L, ',')) {
            if (lex_char(L, ')')) return nd;
            return -1;
        }
    }
}

/* Parses the dict; sets *type, *ndim, shape. */
static int npy_parse_dict(npy_lex *L, int *type, int *ndim, size_t shape[NPY_MAX_DIMS])
{
    int have_descr = 0, have_fort = 0, have_shape = 0;
    const char *nm = L->name;
    if (!lex_char(L, '{')) return nn_err(NN_EFORMAT, "%s: header is not a dict", nm);
    for (;;) {
        char key[32], val[32];
        if (lex_char(L, '}')) break;
        if (!lex_string(L, key, sizeof key) || !lex_char(L, ':'))
            return nn_err(NN_EFORMAT, "%s: header dict: expected 'key':", nm);
        if (!strcmp(key, "descr") && !have_descr) {
            if (!lex_string(L, val, sizeof val))
                return nn_err(NN_EFORMAT, "%s: header: descr is not a string", nm);
            if (!strcmp(val, "<f8")) *type = NPY_F64;
            else if (!strcmp(val, "<f4")) *type = NPY_F32;
            else if (!strcmp(val, "|u1") || !strcmp(val, "<u1")) *type = NPY_U8;
            else
                return nn_err(NN_EFORMAT, "%s: descr '%s' not supported (need '<f8', '<f4' or '|u1')",
                              nm, val);
            have_descr = 1;
        } else if (!strcmp(key, "fortran_order") && !have_fort) {
            if (lex_word(L, "True"))
                return nn_err(NN_EFORMAT, "%s: fortran_order arrays not supported", nm);
            if (!lex_word(L, "False"))
                return nn_err(NN_EFORMAT, "%s: header: fortran_order is not True/False", nm);
            have_fort = 1;
        } else if (!strcmp(key, "shape") && !have_shape) {
            int nd = lex_shape(L, shape);
            if (nd == -2)
                return nn_err(NN_EFORMAT, "%s: more than %d dimensions", nm, NPY_MAX_DIMS);
            if (nd < 0) return nn_err(NN_EFORMAT, "%s: header: shape is not a tuple of integers", nm);
            if (nd == 0) return nn_err(NN_EFORMAT, "%s: 0-dimensional arrays not supported", nm);
            *ndim = nd;
            have_shape = 1;
        } else {
            return nn_err(NN_EFORMAT, "%s: header: unexpected or repeated key '%s'", nm, key);
        }
        if (!lex_char(L, ',')) {
            if (lex_char(L, '}')) break;
            return nn_err(NN_EFORMAT, "%s: header dict: expected ',' or '}'", nm);
        }
    }
    lex_ws(L);
    if (L->s != L->end) return nn_err(NN_EFORMAT, "%s: header: text after the dict", nm);
    if (!have_descr || !have_fort || !have_shape)
        return nn_err(NN_EFORMAT, "%s: header lacks %s", nm,
                      !have_descr ? "descr" : !have_fort ? "fortran_order" : "shape");
    return NN_OK;
}

/* Validates the header and locates the data: *off, *type, *ndim, shape. */
static int npy_parse_header(const uint8_t *buf, size_t len, const char *name, size_t *off,
                            int *type, int *ndim, size_t shape[NPY_MAX_DIMS])
{
    if (len < 10 || memcmp(buf, NPY_MAGIC, 6) != 0)
        return nn_err(NN_EFORMAT, "%s: not a .npy file (bad magic)", name);
    size_t hlen, hstart;
    if (buf[6] == 1 && buf[7] == 0) {
        hlen = (size_t)buf[8] | (size_t)buf[9] << 8;
        hstart = 10;
    } else if (buf[6] == 2 && buf[7] == 0) {
        if (len < 12) return nn_err(NN_EFORMAT, "%s: truncated header", name);
        hlen = (size_t)buf[8] | (size_t)buf[9] << 8 | (size_t)buf[10] << 16 | (size_t)buf[11] << 24;
        hstart = 12;
    } else {
        return nn_err(NN_EFORMAT, "%s: .npy version %d.%d not supported", name, buf[6], buf[7]);
    }
    if (hlen > len - hstart)
        return nn_err(NN_EFORMAT, "%s: header length %zu runs past the end of the file", name, hlen);
    if (hlen == 0 || buf[hstart + hlen - 1] != '\n')
        return nn_err(NN_EFORMAT, "%s: header does not end with a newline", name);
    for (size_t i = hstart; i < hstart + hlen; i++)
        if (buf[i] == 0 || buf[i] > 126)
            return nn_err(NN_EFORMAT, "%s: byte %zu: header is not ASCII text", name, i);
    npy_lex L = {(const char *)buf + hstart, (const char *)buf + hstart + hlen, name};
    int rc = npy_parse_dict(&L, type, ndim, shape);
    if (rc) return rc;
    *off = hstart + hlen;
    return NN_OK;
}

int npy_parse_f64(const uint8_t *buf, size_t len, const char *name, double **data,
                  int *ndim, size_t shape[NPY_MAX_DIMS], int *type)
{
    size_t off;
    int ovf;
    *data = NULL;
    int rc = npy_parse_header(buf, len, name, &off, type, ndim, shape);
    if (rc) return rc;
    size_t isz = npy_itemsize(*type);
    size_t n = npy_count(*ndim, shape, isz, &ovf);
    if (ovf || n * isz != len - off)
        return nn_err(NN_EFORMAT, "%s: shape needs %s%zu data bytes, file has %zu after the header",
                      name, ovf ? "more than " : "", ovf ? SIZE_MAX : n * isz, len - off);
    double *d = malloc((n ? n : 1) * sizeof *d);
    if (!d) return nn_err(NN_ENOMEM, "%s: cannot allocate %zu values", name, n);
    const uint8_t *p = buf + off;
    for (size_t i = 0; i < n; i++, p += isz) {
        uint64_t bits = 0;
        for (size_t k = 0; k < isz; k++) bits |= (uint64_t)p[k] << (8 * k);
        if (*type == NPY_F64) {
            memcpy(&d[i], &bits, 8);
        } else if (*type == NPY_F32) {
            uint32_t b32 = (uint32_t)bits;
            float f;
            memcpy(&f, &b32, 4);
            d[i] = f;
        } else {
            d[i] = (double)bits;
        }
    }
    *data = d;
    return NN_OK;
}

int npy_read_f64(const char *path, double **data, int *ndim, size_t shape[NPY_MAX_DIMS])
{
    uint8_t *buf;
    size_t len;
    int type;
    *data = NULL;
    int rc = file_read_all(path, NPY_MAX_FILE, &buf, &len);
    if (rc) return rc;
    rc = npy_parse_f64(buf, len, path, data, ndim, shape, &type);
    free(buf);
    return rc;
}

int npy_read_u8(const char *path, uint8_t **data, int *ndim, size_t shape[NPY_MAX_DIMS])
{
    uint8_t *buf;
    size_t len, off;
    int type, ovf;
    *data = NULL;
    int rc = file_read_all(path, NPY_MAX_FILE, &buf, &len);
    if (rc) return rc;
    rc = npy_parse_header(buf, len, path, &off, &type, ndim, shape);
    if (rc) goto fail;
    if (type != NPY_U8) {
        rc = nn_err(NN_EFORMAT, "%s: descr '%s' where '|u1' was expected", path, npy_descr(type));
        goto fail;
    }
    size_t n = npy_count(*ndim, shape, 1, &ovf);
    if (ovf || n != len - off) {
        rc = nn_err(NN_EFORMAT, "%s: shape needs %zu data bytes, file has %zu after the header",
                    path, n, len - off);
        goto fail;
    }
    /* Reuse the file buffer: shift the data to its start. */
    memmove(buf, buf + off, n);
    *data = buf;
    return NN_OK;
fail:
    free(buf);
    return rc;
}
