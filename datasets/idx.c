/* The IDX reader and writer: strict header and length validation, gzip
 * (zlib) in memory with a decompressed-size cap, atomic writes, and the
 * images + labels pair that becomes a dataset. */
#include "dataset.h"
#include "fileio.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/* Deflate cannot expand more than about 1032:1, so an ISIZE trailer claiming
 * more than this per input byte is a lie and must not size an allocation. */
#define GZ_MAX_RATIO 1032
#define IDX_HDR_MAX (4 + 4 * IDX_MAX_DIMS)

static size_t idx_type_size(int type)
{
    switch (type) {
    case IDX_U8: case IDX_I8: return 1;
    case IDX_I16: return 2;
    case IDX_I32: case IDX_F32: return 4;
    case IDX_F64: return 8;
    default: return 0;
    }
}

static const char *idx_type_name(int type)
{
    switch (type) {
    case IDX_U8: return "u8";
    case IDX_I8: return "i8";
    case IDX_I16: return "i16";
    case IDX_I32: return "i32";
    case IDX_F32: return "f32";
    case IDX_F64: return "f64";
    default: return "?";
    }
}

/* "60000x28x28" for error messages; buf holds 8 dims of 10 digits. */
static const char *idx_dims_str(const uint32_t *dims, int ndim, char *buf, size_t cap)
{
    size_t at = 0;
    buf[0] = '\0';
    for (int i = 0; i < ndim && at < cap; i++)
        at += (size_t)snprintf(buf + at, cap - at, i ? "x%u" : "%u", dims[i]);
    return buf;
}

static int idx_is_gzip(const uint8_t *buf, size_t len)
{
    return len >= 2 && buf[0] == 0x1f && buf[1] == 0x8b;
}

static int idx_has_gz_suffix(const char *path)
{
    size_t n = strlen(path);
    return n >= 3 && strcmp(path + n - 3, ".gz") == 0;
}

void idx_free(idx_array *a)
{
    if (!a) return;
    free(a->data);
    memset(a, 0, sizeof *a);
}

/* Big-endian payload -> host order; the element count is already validated
 * against len, so this only converts. */
static void idx_decode(int type, const uint8_t *p, size_t count, void *out)
{
    size_t i;
    switch (type) {
    case IDX_U8: case IDX_I8:
        memcpy(out, p, count);
        break;
    case IDX_I16: {
        uint16_t *o = out;
        for (i = 0; i < count; i++, p += 2)
            o[i] = (uint16_t)((unsigned)p[0] << 8 | p[1]);
        break;
    }
    case IDX_I32: case IDX_F32: {
        uint32_t *o = out;
        for (i = 0; i < count; i++, p += 4)
            o[i] = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
        break;
    }
    case IDX_F64: {
        uint64_t *o = out;
        for (i = 0; i < count; i++, p += 8) {
            uint64_t v = 0;
            for (int b = 0; b < 8; b++) v = v << 8 | p[b];
            o[i] = v;
        }
        break;
    }
    }
}

/* Host order -> big-endian bytes (the inverse of idx_decode). */
static void idx_encode(int type, const void *in, size_t count, uint8_t *p)
{
    size_t i;
    switch (type) {
    case IDX_U8: case IDX_I8:
        memcpy(p, in, count);
        break;
    case IDX_I16: {
        const uint16_t *v = in;
        for (i = 0; i < count; i++, p += 2) {
            p[0] = (uint8_t)(v[i] >> 8);
            p[1] = (uint8_t)v[i];
        }
        break;
    }
    case IDX_I32: case IDX_F32: {
        const uint32_t *v = in;
        for (i = 0; i < count; i++, p += 4) {
            p[0] = (uint8_t)(v[i] >> 24); p[1] = (uint8_t)(v[i] >> 16);
            p[2] = (uint8_t)(v[i] >> 8);  p[3] = (uint8_t)v[i];
        }
        break;
    }
    case IDX_F64: {
        const uint64_t *v = in;
        for (i = 0; i < count; i++, p += 8)
            for (int b = 0; b < 8; b++) p[b] = (uint8_t)(v[i] >> (56 - 8 * b));
        break;
    }
    }
}

/* Validates the header against len and fills type, ndim, dims and count of
 * out (data stays NULL); *hdr_len <- header bytes. */
static int idx_parse_header(const uint8_t *buf, size_t len, const char *name, idx_array *out,
                            size_t *hdr_len)
{
    char ds[96];
    size_t esize, hdr, count = 1, bytes, avail;
    int rc;

    memset(out, 0, sizeof *out);
    if (!buf && len) return nn_err(NN_EINVAL, "%s: no buffer", name);
    if (len < 4) {
        rc = nn_err(NN_EFORMAT, "%s: truncated header: %zu bytes, an IDX header needs at least 4",
                    name, len);
        goto fail;
    }
    if (buf[0] != 0 || buf[1] != 0) {
        rc = nn_err(NN_EFORMAT, "%s: byte 0: bad magic %02x %02x, expected 00 00 (not an IDX file%s)",
                    name, buf[0], buf[1], idx_is_gzip(buf, len) ? "; gzip data?" : "");
        goto fail;
    }
    out->type = buf[2];
    esize = idx_type_size(out->type);
    if (!esize) {
        rc = nn_err(NN_EFORMAT, "%s: byte 2: unknown element type 0x%02x "
                    "(known: 08 u8, 09 i8, 0B i16, 0C i32, 0D f32, 0E f64)", name, buf[2]);
        goto fail;
    }
    out->ndim = buf[3];
    if (out->ndim < 1 || out->ndim > IDX_MAX_DIMS) {
        rc = nn_err(NN_EFORMAT, "%s: byte 3: %d dimensions, expected 1..%d",
                    name, out->ndim, IDX_MAX_DIMS);
        goto fail;
    }
    hdr = 4 + 4 * (size_t)out->ndim;
    if (len < hdr) {
        rc = nn_err(NN_EFORMAT, "%s: truncated header: %zu bytes, %d dimensions need %zu",
                    name, len, out->ndim, hdr);
        goto fail;
    }
    for (int i = 0; i < out->ndim; i++) {
        const uint8_t *p = buf + 4 + 4 * i;
        out->dims[i] = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
        if (out->dims[i] && count > SIZE_MAX / out->dims[i]) {
            rc = nn_err(NN_EFORMAT, "%s: byte %d: dimensions %s overflow the element count",
                        name, 4 + 4 * i, idx_dims_str(out->dims, i + 1, ds, sizeof ds));
            goto fail;
        }
        count *= out->dims[i];
    }
    idx_dims_str(out->dims, out->ndim, ds, sizeof ds);
    if (count > SIZE_MAX / esize) {
        rc = nn_err(NN_EFORMAT, "%s: dimensions %s %s overflow the byte count",
                    name, ds, idx_type_name(out->type));
        goto fail;
    }
    bytes = count * esize;
    avail = len - hdr;
    if (avail < bytes) {
        rc = nn_err(NN_EFORMAT, "%s: truncated: header says %s %s = %zu data bytes, file has %zu",
                    name, ds, idx_type_name(out->type), bytes, avail);
        goto fail;
    }
    if (avail > bytes) {
        rc = nn_err(NN_EFORMAT, "%s: byte %zu: %zu trailing bytes after the %zu data bytes "
                    "that the header (%s %s) implies", name, hdr + bytes, avail - bytes,
                    bytes, ds, idx_type_name(out->type));
        goto fail;
    }
    out->count = count;
    *hdr_len = hdr;
    return NN_OK;
fail:
    idx_free(out);
    return rc;
}

int idx_parse(const uint8_t *buf, size_t len, const char *name, idx_array *out)
{
    size_t hdr, bytes;
    int rc = idx_parse_header(buf, len, name, out, &hdr);
    if (rc) return rc;
    bytes = len - hdr;
    out->data = malloc(bytes ? bytes : 1);   /* malloc(0) may be NULL */
    if (!out->data) {
        rc = nn_err(NN_ENOMEM, "%s: cannot allocate %zu bytes for the data", name, bytes);
        idx_free(out);
        return rc;
    }
    idx_decode(out->type, buf + hdr, out->count, out->data);
    return NN_OK;
}

/* idx_parse that takes ownership of buf (freed in every case): byte-sized
 * elements are moved to the front of buf instead of copied, which saves a
 * second 47 MB buffer when loading Fashion-MNIST. */
static int idx_parse_owned(uint8_t *buf, size_t len, const char *name, idx_array *out)
{
    size_t hdr;
    int rc;
    if (!(len > 2 && (buf[2] == IDX_U8 || buf[2] == IDX_I8))) {
        rc = idx_parse(buf, len, name, out);
        free(buf);
        return rc;
    }
    rc = idx_parse_header(buf, len, name, out, &hdr);
    if (rc) {
        free(buf);
        return rc;
    }
    memmove(buf, buf + hdr, len - hdr);
    out->data = buf;
    return NN_OK;
}

/* The whole size (header + data) that the IDX header at the start of the
 * inflated bytes o [olen] announces; 0 while the header is incomplete or when
 * the bytes are no IDX header (the parser reports that later). An announced
 * size that overflows is an error at once. */
static int idx_announced_size(const uint8_t *o, size_t olen, const char *name, size_t *size)
{
    *size = 0;
    if (olen < 4 || o[0] != 0 || o[1] != 0 || !idx_type_size(o[2]) || o[3] < 1 ||
        o[3] > IDX_MAX_DIMS)
        return NN_OK;
    size_t hdr = 4 + 4 * (size_t)o[3];
    if (olen < hdr) return NN_OK;
    size_t bytes = idx_type_size(o[2]);
    for (int i = 0; i < o[3]; i++) {
        const uint8_t *p = o + 4 + 4 * i;
        size_t d = (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
        if (d && bytes > (SIZE_MAX - hdr) / d)
            return nn_err(NN_EFORMAT, "%s: byte %d: the IDX dimensions overflow the byte count",
                          name, 4 + 4 * i);
        bytes *= d;
    }
    /* An empty array still has its header; size 0 would read as "unknown". */
    *size = hdr + bytes;
    return NN_OK;
}

int idx_gunzip(const uint8_t *buf, size_t len, const char *name, size_t cap,
               uint8_t **out, size_t *outlen)
{
    z_stream zs;
    int zinit = 0, rc, zrc;
    uint8_t *o = NULL;
    size_t ocap, olen = 0, fed = 0;   /* fed: input bytes handed to zlib so far */
    size_t announced = 0;             /* total size the IDX header promises, once known */

    *out = NULL;
    *outlen = 0;
    memset(&zs, 0, sizeof zs);
    if (!idx_is_gzip(buf, len)) {
        rc = nn_err(NN_EFORMAT, "%s: not gzip data (no 1f 8b magic)", name);
        goto fail;
    }
    /* The trailer's ISIZE sizes the buffer in one go for honest files (a 47 MB
     * Fashion-MNIST set would otherwise be copied by every doubling); a
     * lying one only costs a regrow. */
    ocap = len < 64 ? 4096 : (len > SIZE_MAX / 4 ? SIZE_MAX : len * 4);
    if (len >= 18) {
        const uint8_t *t = buf + len - 4;
        size_t hint = (size_t)t[0] | (size_t)t[1] << 8 | (size_t)t[2] << 16 | (size_t)t[3] << 24;
        if (hint <= cap && len <= SIZE_MAX / GZ_MAX_RATIO - 1 && hint <= len * GZ_MAX_RATIO + 1024)
            ocap = hint + 1;
    }
    if (cap < SIZE_MAX && ocap > cap + 1) ocap = cap + 1;
    o = malloc(ocap);
    if (!o) {
        rc = nn_err(NN_ENOMEM, "%s: cannot allocate %zu bytes to inflate into", name, ocap);
        goto fail;
    }
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
        rc = nn_err(NN_ENOMEM, "%s: cannot initialize zlib", name);
        goto fail;
    }
    zinit = 1;
    for (;;) {
        if (zs.avail_in == 0 && fed < len) {
            size_t chunk = len - fed < UINT_MAX ? len - fed : UINT_MAX;
            zs.next_in = (Bytef *)(buf + fed);
            zs.avail_in = (uInt)chunk;
            fed += chunk;
        }
        if (olen == ocap) {
            size_t ncap = ocap > SIZE_MAX / 2 ? SIZE_MAX : ocap * 2;
            uint8_t *no;
            if (cap < SIZE_MAX && ncap > cap + 1) ncap = cap + 1;
            if (announced && ncap > announced + 1) ncap = announced + 1;
            no = realloc(o, ncap);
            if (!no) {
                rc = nn_err(NN_ENOMEM, "%s: cannot allocate %zu bytes to inflate into", name, ncap);
                goto fail;
            }
            o = no;
            ocap = ncap;
        }
        size_t room = ocap - olen < UINT_MAX ? ocap - olen : UINT_MAX;
        /* The header first, on its own: the size it announces bounds the rest. */
        if (!announced && olen < IDX_HDR_MAX && room > IDX_HDR_MAX - olen)
            room = IDX_HDR_MAX - olen;
        zs.next_out = o + olen;
        zs.avail_out = (uInt)room;
        zrc = inflate(&zs, Z_NO_FLUSH);
        olen += room - zs.avail_out;
        if (!announced && (rc = idx_announced_size(o, olen, name, &announced))) goto fail;
        if (announced && olen > announced) {
            rc = nn_err(NN_EFORMAT, "%s: inflates past the %zu bytes its IDX header announces "
                        "(trailing data, or a gzip bomb)", name, announced);
            goto fail;
        }
        if (olen > cap) {
            rc = nn_err(NN_EFORMAT, "%s: inflates to more than %zu bytes, the limit "
                        "(a gzip bomb, or not an IDX file)", name, cap);
            goto fail;
        }
        if (zrc == Z_STREAM_END) {
            size_t used = fed - zs.avail_in;
            if (used == len) break;
            /* Concatenated members are legal gzip (what `cat a.gz b.gz` makes). */
            if (idx_is_gzip(buf + used, len - used)) {
                if (inflateReset(&zs) != Z_OK) {
                    rc = nn_err(NN_EFORMAT, "%s: corrupt gzip data (zlib: reset failed)", name);
                    goto fail;
                }
                continue;
            }
            rc = nn_err(NN_EFORMAT, "%s: byte %zu: %zu bytes of trailing garbage after the gzip stream",
                        name, used, len - used);
            goto fail;
        }
        if (zrc == Z_OK) continue;
        if (zrc == Z_BUF_ERROR && olen == ocap) continue;   /* output full: the loop grows it */
        if (zrc == Z_BUF_ERROR && zs.avail_in == 0 && fed == len) {
            rc = nn_err(NN_EFORMAT, "%s: truncated gzip data: input ends after %zu compressed "
                        "bytes, mid-stream (%zu bytes inflated)", name, len, olen);
            goto fail;
        }
        if (zrc == Z_MEM_ERROR) {
            rc = nn_err(NN_ENOMEM, "%s: zlib ran out of memory", name);
            goto fail;
        }
        rc = nn_err(NN_EFORMAT, "%s: corrupt gzip data (zlib: %s) near compressed byte %zu",
                    name, zs.msg ? zs.msg : "unknown error", fed - zs.avail_in);
        goto fail;
    }
    inflateEnd(&zs);
    *out = o;
    *outlen = olen;
    return NN_OK;
fail:
    if (zinit) inflateEnd(&zs);
    free(o);
    return rc;
}

/* The whole file in memory; regular files only, so the size is known. */
static int idx_slurp(const char *path, uint8_t **out, size_t *outlen)
{
    FILE *f = NULL;
    uint8_t *b = NULL;
    struct stat st;
    size_t n;
    int rc;

    *out = NULL;
    *outlen = 0;
    /* Non-blocking open and fstat first: a FIFO would hang the read. */
    if ((rc = file_open_regular(path, &f))) goto fail;
    if (fstat(fileno(f), &st) != 0) {
        rc = nn_err(NN_EIO, "%s: cannot stat: %s", path, strerror(errno));
        goto fail;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = nn_err(NN_EIO, "%s: not a regular file", path);
        goto fail;
    }
    if ((uint64_t)st.st_size >= SIZE_MAX) {
        rc = nn_err(NN_ENOMEM, "%s: too large to read (%lld bytes)", path, (long long)st.st_size);
        goto fail;
    }
    n = (size_t)st.st_size;
    b = malloc(n ? n : 1);
    if (!b) {
        rc = nn_err(NN_ENOMEM, "%s: cannot allocate %zu bytes", path, n);
        goto fail;
    }
    if (fread(b, 1, n, f) != n) {
        rc = nn_err(NN_EIO, "%s: read error%s%s", path, ferror(f) ? ": " : " (file shrank)",
                    ferror(f) ? strerror(errno) : "");
        goto fail;
    }
    fclose(f);
    *out = b;
    *outlen = n;
    return NN_OK;
fail:
    if (f) fclose(f);
    free(b);
    return rc;
}

int idx_read(const char *path, idx_array *out)
{
    uint8_t *raw = NULL, *plain = NULL;
    size_t rawlen, plainlen;
    int rc;

    memset(out, 0, sizeof *out);
    rc = idx_slurp(path, &raw, &rawlen);
    if (rc) return rc;
    /* Sniff the magic rather than trust the suffix: IDX starts with 00 00,
     * gzip with 1f 8b, so neither can pass for the other. */
    if (idx_is_gzip(raw, rawlen)) {
        rc = idx_gunzip(raw, rawlen, path, IDX_GZIP_CAP, &plain, &plainlen);
        free(raw);
        if (rc) return rc;
        return idx_parse_owned(plain, plainlen, path, out);
    }
    if (idx_has_gz_suffix(path) && rawlen >= 2 && !(raw[0] == 0 && raw[1] == 0)) {
        rc = nn_err(NN_EFORMAT, "%s: corrupt gzip data (no 1f 8b magic at byte 0, found %02x %02x)",
                    path, raw[0], raw[1]);
        free(raw);
        return rc;
    }
    return idx_parse_owned(raw, rawlen, path, out);
}

/* Deflates src into a new gzip image; *dst is [*dstlen]. */
static int idx_gzip(const char *path, const uint8_t *src, size_t len, uint8_t **dst, size_t *dstlen)
{
    z_stream zs;
    int zinit = 0, rc, zrc;
    uint8_t *o = NULL;
    size_t ocap, fed = 0, olen = 0;

    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8,
                     Z_DEFAULT_STRATEGY) != Z_OK) {
        rc = nn_err(NN_ENOMEM, "%s: cannot initialize zlib", path);
        goto fail;
    }
    zinit = 1;
    /* deflateBound covers the gzip wrapper, so the output never needs to grow. */
    ocap = (size_t)deflateBound(&zs, (uLong)len) + 64;
    o = malloc(ocap);
    if (!o) {
        rc = nn_err(NN_ENOMEM, "%s: cannot allocate %zu bytes to compress into", path, ocap);
        goto fail;
    }
    do {
        if (zs.avail_in == 0 && fed < len) {
            size_t chunk = len - fed < (1u << 30) ? len - fed : (1u << 30);
            zs.next_in = (Bytef *)(src + fed);
            zs.avail_in = (uInt)chunk;
            fed += chunk;
        }
        size_t room = ocap - olen < (1u << 30) ? ocap - olen : (1u << 30);
        zs.next_out = o + olen;
        zs.avail_out = (uInt)room;
        zrc = deflate(&zs, fed == len ? Z_FINISH : Z_NO_FLUSH);
        olen += room - zs.avail_out;
        if (zrc == Z_STREAM_ERROR || (zrc == Z_BUF_ERROR && olen == ocap)) {
            rc = nn_err(NN_EIO, "%s: zlib deflate failed", path);
            goto fail;
        }
    } while (zrc != Z_STREAM_END);
    deflateEnd(&zs);
    *dst = o;
    *dstlen = olen;
    return NN_OK;
fail:
    if (zinit) deflateEnd(&zs);
    free(o);
    return rc;
}

int idx_write(const char *path, const idx_array *a)
{
    uint8_t *raw = NULL, *gz = NULL;
    const uint8_t *bytes;
    size_t esize = idx_type_size(a->type), count = 1, hdr, total, nbytes;
    int rc;

    if (!esize) return nn_err(NN_EINVAL, "%s: cannot write unknown IDX type 0x%02x", path, a->type);
    if (a->ndim < 1 || a->ndim > IDX_MAX_DIMS)
        return nn_err(NN_EINVAL, "%s: cannot write %d dimensions (1..%d)", path, a->ndim, IDX_MAX_DIMS);
    for (int i = 0; i < a->ndim; i++) {
        if (a->dims[i] && count > SIZE_MAX / a->dims[i])
            return nn_err(NN_EINVAL, "%s: dimensions overflow the element count", path);
        count *= a->dims[i];
    }
    if (count != a->count)
        return nn_err(NN_EINVAL, "%s: count %zu differs from the product of dims %zu", path,
                      a->count, count);
    if (count && !a->data) return nn_err(NN_EINVAL, "%s: no data to write", path);
    hdr = 4 + 4 * (size_t)a->ndim;
    if (count > (SIZE_MAX - hdr) / esize)
        return nn_err(NN_EINVAL, "%s: array too large", path);
    total = hdr + count * esize;

    raw = malloc(total);
    if (!raw) {
        rc = nn_err(NN_ENOMEM, "%s: cannot allocate %zu bytes", path, total);
        goto fail;
    }
    raw[0] = raw[1] = 0;
    raw[2] = (uint8_t)a->type;
    raw[3] = (uint8_t)a->ndim;
    for (int i = 0; i < a->ndim; i++) {
        uint8_t *p = raw + 4 + 4 * i;
        p[0] = (uint8_t)(a->dims[i] >> 24); p[1] = (uint8_t)(a->dims[i] >> 16);
        p[2] = (uint8_t)(a->dims[i] >> 8);  p[3] = (uint8_t)a->dims[i];
    }
    if (count) idx_encode(a->type, a->data, count, raw + hdr);
    bytes = raw;
    nbytes = total;
    if (idx_has_gz_suffix(path)) {
        rc = idx_gzip(path, raw, total, &gz, &nbytes);
        if (rc) goto fail;
        bytes = gz;
    }

    rc = file_write_atomic(path, bytes, nbytes);
    free(raw);
    free(gz);
    return rc;
fail:
    free(raw);
    free(gz);
    return rc;
}

int idx_load_pair(const char *images_path, const char *labels_path, dataset *out)
{
    idx_array im = {0}, lb = {0};
    size_t n, dim = 1;
    int rc, maxlab = 0;

    memset(out, 0, sizeof *out);
    rc = idx_read(images_path, &im);
    if (rc) goto fail;
    rc = idx_read(labels_path, &lb);
    if (rc) goto fail;
    if (im.type != IDX_U8 || (im.ndim != 2 && im.ndim != 3)) {
        rc = nn_err(NN_EFORMAT, "%s: images must be u8 with 2 or 3 dimensions (n x rows x cols "
                    "or n x dim), got %s with %d", images_path, idx_type_name(im.type), im.ndim);
        goto fail;
    }
    if (lb.type != IDX_U8 || lb.ndim != 1) {
        rc = nn_err(NN_EFORMAT, "%s: labels must be u8 with 1 dimension, got %s with %d",
                    labels_path, idx_type_name(lb.type), lb.ndim);
        goto fail;
    }
    n = im.dims[0];
    if (n == 0) {
        rc = nn_err(NN_EFORMAT, "%s: holds no examples (its first dimension is 0)", images_path);
        goto fail;
    }
    if (n != lb.dims[0]) {
        rc = nn_err(NN_EFORMAT, "count mismatch: %s has %zu images but %s has %u labels",
                    images_path, n, labels_path, lb.dims[0]);
        goto fail;
    }
    for (int i = 1; i < im.ndim; i++) dim *= im.dims[i];   /* cannot overflow: parse checked */
    if (dim == 0) {
        rc = nn_err(NN_EFORMAT, "%s: images have zero features", images_path);
        goto fail;
    }
    if (dim > IDX_MAX_FEATURES) {
        rc = nn_err(NN_EFORMAT, "%s: %zu features per image, more than the limit of %zu",
                    images_path, dim, IDX_MAX_FEATURES);
        goto fail;
    }
    if (im.ndim == 3 && (im.dims[1] > INT_MAX || im.dims[2] > INT_MAX)) {
        rc = nn_err(NN_EFORMAT, "%s: image shape %ux%u too large", images_path, im.dims[1], im.dims[2]);
        goto fail;
    }
    if (n && (n > SIZE_MAX / sizeof(float) / dim)) {
        rc = nn_err(NN_ENOMEM, "%s: %zu x %zu floats overflow", images_path, n, dim);
        goto fail;
    }
    out->x = malloc(n * dim * sizeof(float) + 1);
    out->y = malloc(n * sizeof(int32_t) + 1);
    if (!out->x || !out->y) {
        rc = nn_err(NN_ENOMEM, "%s: cannot allocate %zu x %zu floats", images_path, n, dim);
        goto fail;
    }
    const uint8_t *px = im.data, *lab = lb.data;
    for (size_t i = 0, m = n * dim; i < m; i++) out->x[i] = (float)px[i];
    for (size_t i = 0; i < n; i++) {
        out->y[i] = lab[i];
        if (lab[i] > maxlab) maxlab = lab[i];
    }
    out->n = n;
    out->dim = dim;
    out->classes = maxlab + 1 < 2 ? 2 : maxlab + 1;
    if (im.ndim == 3) {
        out->rows = (int)im.dims[1];
        out->cols = (int)im.dims[2];
    }
    idx_free(&im);
    idx_free(&lb);
    return NN_OK;
fail:
    idx_free(&im);
    idx_free(&lb);
    dataset_free(out);
    return rc;
}
