/* safetensors files: an atomic writer (temporary name, fsync, rename) and a
 * reader that trusts nothing in the header (lengths, JSON types, dtypes,
 * shapes, offsets, overlap, coverage) and copies the data into an aligned blob. */
#include "nn.h"
#include "../datasets/fileio.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The data section is raw little-endian floats, used in place. */
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "safetensors data is little-endian; this code assumes a little-endian host"
#endif

#define ST_MAX_HEADER (100ull << 20) /* real headers are kilobytes; more is corruption */
#define ST_MAX_DIMS 4
#define ST_MAX_INT 9007199254740992.0 /* 2^53: JSON numbers are doubles in cJSON */
#define ST_ALIGN 64

typedef struct span {
    const char *name;
    uint64_t begin, end;
    int idx;            /* tensor index, kept across sorting */
} span;

static int span_by_name(const void *a, const void *b)
{
    return strcmp(((const span *)a)->name, ((const span *)b)->name);
}

static int span_by_offset(const void *a, const void *b)
{
    const span *x = a, *y = b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end) return x->end < y->end ? -1 : 1;
    return 0;
}

/* Element count of a shape, or -1 on overflow of the byte count. */
static int64_t shape_count(int ndim, const int64_t *shape)
{
    uint64_t c = 1;
    for (int i = 0; i < ndim; i++) {
        uint64_t d = (uint64_t)shape[i];
        if (d != 0 && c > (UINT64_MAX / 4 / 2) / d) return -1;
        c *= d;
    }
    return (int64_t)c;
}

static void shape_format(char *buf, size_t len, int ndim, const int64_t *shape)
{
    size_t k = (size_t)snprintf(buf, len, "[");
    for (int i = 0; i < ndim && k < len; i++)
        k += (size_t)snprintf(buf + k, len - k, i ? ", %" PRId64 : "%" PRId64, shape[i]);
    if (k < len) snprintf(buf + k, len - k, "]");
}

static uint64_t dtype_size(int dtype)
{
    return dtype == ST_F64 ? 8 : dtype == ST_F32 ? 4 : 2;
}

/* ---- writer ---------------------------------------------------------------- */

static cJSON *json_tensor(const st_tensor *t, uint64_t begin, uint64_t end)
{
    cJSON *e = cJSON_CreateObject(), *sh, *off;
    if (!e || !cJSON_AddStringToObject(e, "dtype", "F32")) goto fail;
    if (!(sh = cJSON_AddArrayToObject(e, "shape"))) goto fail;
    for (int d = 0; d < t->ndim; d++) {
        cJSON *x = cJSON_CreateNumber((double)t->shape[d]);
        if (!x || !cJSON_AddItemToArray(sh, x)) {
            cJSON_Delete(x);
            goto fail;
        }
    }
    if (!(off = cJSON_AddArrayToObject(e, "data_offsets"))) goto fail;
    uint64_t o[2] = { begin, end };
    for (int i = 0; i < 2; i++) {
        cJSON *x = cJSON_CreateNumber((double)o[i]);
        if (!x || !cJSON_AddItemToArray(off, x)) {
            cJSON_Delete(x);
            goto fail;
        }
    }
    return e;
fail:
    cJSON_Delete(e);
    return NULL;
}

/* Builds the JSON header; validates what the reader would reject, so saddle
 * never writes a file it cannot read back. */
static int st_header_build(const char *path, const st_tensor *t, int nt,
                           const char *const *mk, const char *const *mv, int nmeta,
                           char **out)
{
    int rc = NN_OK;
    cJSON *root = cJSON_CreateObject();
    span *sp = nt ? calloc((size_t)nt, sizeof *sp) : NULL;
    uint64_t off = 0;
    char shp[128];

    if (!root || (nt && !sp)) goto nomem;
    if (nmeta > 0) {
        cJSON *meta = cJSON_AddObjectToObject(root, "__metadata__");
        if (!meta) goto nomem;
        for (int i = 0; i < nmeta; i++) {
            if (!mk[i] || !mv[i]) {
                rc = nn_err(NN_EINVAL, "%s: metadata entry %d is NULL", path, i);
                goto fail;
            }
            if (cJSON_GetObjectItemCaseSensitive(meta, mk[i])) {
                rc = nn_err(NN_EINVAL, "%s: duplicate metadata key \"%s\"", path, mk[i]);
                goto fail;
            }
            if (!cJSON_AddStringToObject(meta, mk[i], mv[i])) goto nomem;
        }
    }
    for (int i = 0; i < nt; i++) {
        size_t nl = strnlen(t[i].name, sizeof t[i].name);
        if (nl == 0 || nl == sizeof t[i].name || !strcmp(t[i].name, "__metadata__")) {
            rc = nn_err(NN_EINVAL, "%s: tensor %d has an empty, unterminated or reserved name",
                        path, i);
            goto fail;
        }
        if (t[i].ndim < 0 || t[i].ndim > ST_MAX_DIMS) {
            rc = nn_err(NN_EINVAL, "%s: tensor \"%s\" has %d dims (0 to %d allowed)", path,
                        t[i].name, t[i].ndim, ST_MAX_DIMS);
            goto fail;
        }
        for (int d = 0; d < t[i].ndim; d++) {
            if (t[i].shape[d] < 0 || (double)t[i].shape[d] > ST_MAX_INT) {
                shape_format(shp, sizeof shp, t[i].ndim, t[i].shape);
                rc = nn_err(NN_EINVAL, "%s: tensor \"%s\" has a bad shape %s", path,
                            t[i].name, shp);
                goto fail;
            }
        }
        int64_t cnt = shape_count(t[i].ndim, t[i].shape);
        if (cnt < 0 || (cnt > 0 && !t[i].data)) {
            rc = nn_err(NN_EINVAL, "%s: tensor \"%s\": %s", path, t[i].name,
                        cnt < 0 ? "element count overflows" : "data is NULL");
            goto fail;
        }
        sp[i].name = t[i].name;
        cJSON *e = json_tensor(&t[i], off, off + 4 * (uint64_t)cnt);
        if (!e) goto nomem;
        if (!cJSON_AddItemToObject(root, t[i].name, e)) {
            cJSON_Delete(e);
            goto nomem;
        }
        off += 4 * (uint64_t)cnt;
    }
    if (nt > 1) {
        qsort(sp, (size_t)nt, sizeof *sp, span_by_name);
        for (int i = 1; i < nt; i++) {
            if (!strcmp(sp[i - 1].name, sp[i].name)) {
                rc = nn_err(NN_EINVAL, "%s: duplicate tensor name \"%s\"", path, sp[i].name);
                goto fail;
            }
        }
    }
    if (!(*out = cJSON_PrintUnformatted(root))) goto nomem;
    goto done;
nomem:
    rc = nn_err(NN_ENOMEM, "%s: out of memory building the safetensors header", path);
fail:
done:
    cJSON_Delete(root);
    free(sp);
    return rc;
}

int st_write(const char *path, const st_tensor *t, int nt, const char *const *meta_keys,
             const char *const *meta_vals, int nmeta)
{
    int rc = NN_OK;
    char *json = NULL;
    FILE *f = NULL;

    if (!path || nt < 0 || nmeta < 0 || (nt > 0 && !t) ||
        (nmeta > 0 && (!meta_keys || !meta_vals)))
        return nn_err(NN_EINVAL, "st_write: bad arguments");
    rc = st_header_build(path, t, nt, meta_keys, meta_vals, nmeta, &json);
    if (rc) goto fail;

    /* Pad with spaces so the data section starts 8-byte aligned. */
    size_t hl = strlen(json), pad = (8 - hl % 8) % 8;
    uint64_t n = hl + pad;
    uint8_t len8[8];
    for (int i = 0; i < 8; i++) len8[i] = (uint8_t)(n >> (8 * i));

    char tmp[4200];
    int fd;
    if ((rc = file_tmp_open(path, tmp, sizeof tmp, &fd))) goto fail;
    if (!(f = fdopen(fd, "wb"))) {
        rc = nn_err(NN_EIO, "%s: cannot write %s: %s", path, tmp, strerror(errno));
        file_tmp_abort(fd, tmp);
        goto fail;
    }
    int ok = fwrite(len8, 1, 8, f) == 8 && fwrite(json, 1, hl, f) == hl;
    for (size_t i = 0; ok && i < pad; i++) ok = fputc(' ', f) != EOF;
    for (int i = 0; ok && i < nt; i++) {
        size_t cnt = (size_t)shape_count(t[i].ndim, t[i].shape);
        ok = cnt == 0 || fwrite(t[i].data, sizeof(float), cnt, f) == cnt;
    }
    ok = ok && fflush(f) == 0;
    if (!ok) {
        rc = nn_err(NN_EIO, "%s: write error on %s: %s", path, tmp, strerror(errno));
        fclose(f);
        unlink(tmp);
        goto fail;
    }
    /* The FILE is flushed; its descriptor is committed (fsync, rename) and
     * the stream freed without closing the descriptor twice. */
    int dupfd = dup(fd);
    fclose(f);
    if (dupfd < 0) {
        rc = nn_err(NN_EIO, "%s: cannot finish %s: %s", path, tmp, strerror(errno));
        unlink(tmp);
        goto fail;
    }
    rc = file_tmp_commit(dupfd, tmp, path);
fail:
    free(json);
    return rc;
}

/* ---- reader ---------------------------------------------------------------- */

void st_free(st_file *f)
{
    if (!f) return;
    free(f->tensors);
    free(f->src);
    free(f->blob);
    for (int i = 0; i < f->nmeta; i++) {
        if (f->meta_keys) free(f->meta_keys[i]);
        if (f->meta_vals) free(f->meta_vals[i]);
    }
    free(f->meta_keys);
    free(f->meta_vals);
    memset(f, 0, sizeof *f);
}

/* A JSON number that is an integer in [0, 2^53]; *neg set when negative. */
static int json_uint(const cJSON *x, uint64_t *v, int *neg)
{
    *neg = 0;
    if (!cJSON_IsNumber(x)) return 0;
    double d = x->valuedouble;
    if (d < 0) {
        *neg = 1;
        return 0;
    }
    if (!(d <= ST_MAX_INT) || d != (double)(uint64_t)d) return 0;
    *v = (uint64_t)d;
    return 1;
}

static int parse_metadata(const char *name, const cJSON *meta, st_file *out)
{
    if (!cJSON_IsObject(meta))
        return nn_err(NN_EFORMAT, "%s: __metadata__ is not an object", name);
    int n = 0;
    for (const cJSON *c = meta->child; c; c = c->next) n++;
    if (n == 0) return NN_OK;
    out->meta_keys = calloc((size_t)n, sizeof *out->meta_keys);
    out->meta_vals = calloc((size_t)n, sizeof *out->meta_vals);
    if (!out->meta_keys || !out->meta_vals)
        return nn_err(NN_ENOMEM, "%s: out of memory reading metadata", name);
    for (const cJSON *c = meta->child; c; c = c->next) {
        if (!cJSON_IsString(c))
            return nn_err(NN_EFORMAT, "%s: __metadata__ value of \"%.64s\" is not a string",
                          name, c->string);
        int k = out->nmeta;
        out->meta_keys[k] = strdup(c->string);
        out->meta_vals[k] = strdup(c->valuestring);
        out->nmeta++; /* counted now so st_free releases a half-made pair */
        if (!out->meta_keys[k] || !out->meta_vals[k])
            return nn_err(NN_ENOMEM, "%s: out of memory reading metadata", name);
    }
    /* Sorting a copy of the keys finds duplicates without a quadratic scan. */
    span *ks = calloc((size_t)n, sizeof *ks);
    if (!ks) return nn_err(NN_ENOMEM, "%s: out of memory reading metadata", name);
    for (int i = 0; i < n; i++) ks[i].name = out->meta_keys[i];
    qsort(ks, (size_t)n, sizeof *ks, span_by_name);
    int rc = NN_OK;
    for (int i = 1; i < n && !rc; i++)
        if (!strcmp(ks[i - 1].name, ks[i].name))
            rc = nn_err(NN_EFORMAT, "%s: duplicate __metadata__ key \"%.64s\"", name,
                        ks[i].name);
    free(ks);
    return rc;
}

/* One tensor entry: dtype, shape, data_offsets; fills t and sp. */
static int parse_entry(const char *name, const cJSON *e, uint64_t data_len, st_tensor *t,
                       st_source *src, span *sp)
{
    const char *tn = e->string;
    size_t nl = strlen(tn);
    if (nl == 0 || nl >= sizeof t->name)
        return nn_err(NN_EFORMAT, "%s: tensor name \"%.64s\" is empty or longer than %zu bytes",
                      name, tn, sizeof t->name - 1);
    memcpy(t->name, tn, nl + 1);
    if (!cJSON_IsObject(e))
        return nn_err(NN_EFORMAT, "%s: tensor \"%s\": entry is not an object", name, tn);

    const cJSON *dt = cJSON_GetObjectItemCaseSensitive(e, "dtype");
    const cJSON *sh = cJSON_GetObjectItemCaseSensitive(e, "shape");
    const cJSON *of = cJSON_GetObjectItemCaseSensitive(e, "data_offsets");
    if (!dt || !sh || !of)
        return nn_err(NN_EFORMAT, "%s: tensor \"%s\": missing %s", name, tn,
                      !dt ? "dtype" : !sh ? "shape" : "data_offsets");
    if (!cJSON_IsString(dt))
        return nn_err(NN_EFORMAT, "%s: tensor \"%s\": dtype is not a string", name, tn);
    src->dtype = -1;
    for (int k = ST_F32; k <= ST_BF16; k++)
        if (!strcmp(dt->valuestring, st_dtype_name(k))) src->dtype = k;
    if (src->dtype < 0)
        return nn_err(NN_EFORMAT, "%s: tensor \"%s\": dtype %.32s is not supported (F32, F64, "
                      "F16 or BF16)", name, tn, dt->valuestring);
    uint64_t esize = dtype_size(src->dtype);

    if (!cJSON_IsArray(sh))
        return nn_err(NN_EFORMAT, "%s: tensor \"%s\": shape is not an array", name, tn);
    int nd = 0;
    for (const cJSON *x = sh->child; x; x = x->next) {
        uint64_t v;
        int neg;
        if (nd == ST_MAX_DIMS)
            return nn_err(NN_EFORMAT, "%s: tensor \"%s\": shape has more than %d dims", name,
                          tn, ST_MAX_DIMS);
        if (!json_uint(x, &v, &neg))
            return nn_err(NN_EFORMAT, "%s: tensor \"%s\": shape[%d] is %s", name, tn, nd,
                          neg ? "a negative dimension" : "not a non-negative integer");
        t->shape[nd++] = (int64_t)v;
    }
    t->ndim = nd;
    int64_t cnt = shape_count(nd, t->shape);
    if (cnt < 0)
        return nn_err(NN_EFORMAT, "%s: tensor \"%s\": element count of the shape overflows",
                      name, tn);

    const cJSON *b = cJSON_IsArray(of) ? of->child : NULL;
    const cJSON *en = b ? b->next : NULL;
    int neg;
    if (!b || !en || en->next || !json_uint(b, &sp->begin, &neg) ||
        !json_uint(en, &sp->end, &neg))
        return nn_err(NN_EFORMAT, "%s: tensor \"%s\": data_offsets is not [begin, end] of "
                      "non-negative integers", name, tn);
    if (sp->begin > sp->end)
        return nn_err(NN_EFORMAT, "%s: tensor \"%s\": data_offsets begin %" PRIu64
                      " > end %" PRIu64, name, tn, sp->begin, sp->end);
    if (sp->end > data_len)
        return nn_err(NN_EFORMAT, "%s: tensor \"%s\": data_offsets end %" PRIu64
                      " is beyond the data section (%" PRIu64 " bytes)",
                      name, tn, sp->end, data_len);
    if (sp->end - sp->begin != esize * (uint64_t)cnt) {
        char shp[128];
        shape_format(shp, sizeof shp, nd, t->shape);
        return nn_err(NN_EFORMAT, "%s: tensor \"%s\": data_offsets span %" PRIu64
                      " bytes but %s shape %s needs %" PRIu64, name, tn,
                      sp->end - sp->begin, st_dtype_name(src->dtype), shp, esize * (uint64_t)cnt);
    }
    sp->name = t->name;
    return NN_OK;
}

/* cJSON turns "\u0000" into a NUL inside the string, which then reads as a
 * shorter name (or metadata value) than the file holds: two different
 * names could meet as one. Such a header is refused. */
static int check_escaped_nul(const char *name, const char *hdr, size_t hlen)
{
    for (size_t i = 0; i + 1 < hlen; i++) {
        if (hdr[i] != '\\') continue;
        if (hdr[i + 1] == 'u' && i + 5 < hlen && !memcmp(hdr + i + 2, "0000", 4))
            return nn_err(NN_EFORMAT, "%s: byte %zu: an escaped NUL (\\u0000) in the JSON "
                          "header; tensor names and metadata cannot contain NUL", name, 8 + i);
        i++; /* the escaped character, so "\\\\u0000" stays a backslash and text */
    }
    return NN_OK;
}

/* Validates the JSON header (hdr[hlen], NUL-terminated) against a data section
 * of data_len bytes and allocates out->blob for it; the caller fills the blob. */
static int parse_header(const char *name, const char *hdr, size_t hlen, uint64_t data_len,
                        st_file *out)
{
    int rc = NN_OK, nt = 0, seen_meta = 0;
    cJSON *root = NULL;
    span *sp = NULL;
    const char *end = NULL;

    const char *nul = memchr(hdr, '\0', hlen);
    if (nul) {
        rc = nn_err(NN_EFORMAT, "%s: byte %zu: NUL byte in the JSON header", name,
                    8 + (size_t)(nul - hdr));
        goto fail;
    }
    if ((rc = check_escaped_nul(name, hdr, hlen))) goto fail;
    root = cJSON_ParseWithLengthOpts(hdr, hlen, &end, 0);
    if (!root) {
        size_t at = end && end >= hdr && end <= hdr + hlen ? (size_t)(end - hdr) : 0;
        rc = nn_err(NN_EFORMAT, "%s: byte %zu: header is not valid JSON", name, 8 + at);
        goto fail;
    }
    for (const char *p = end; p < hdr + hlen; p++) {
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
            rc = nn_err(NN_EFORMAT, "%s: byte %zu: trailing characters after the JSON header",
                        name, 8 + (size_t)(p - hdr));
            goto fail;
        }
    }
    if (!cJSON_IsObject(root)) {
        rc = nn_err(NN_EFORMAT, "%s: header is not a JSON object", name);
        goto fail;
    }
    int nent = 0;
    for (const cJSON *c = root->child; c; c = c->next) nent++;
    if (nent > 0) {
        out->tensors = calloc((size_t)nent, sizeof *out->tensors);
        out->src = calloc((size_t)nent, sizeof *out->src);
        sp = calloc((size_t)nent, sizeof *sp);
        if (!out->tensors || !out->src || !sp) goto nomem;
    }
    for (const cJSON *c = root->child; c; c = c->next) {
        if (!strcmp(c->string, "__metadata__")) {
            if (seen_meta++) {
                rc = nn_err(NN_EFORMAT, "%s: duplicate __metadata__", name);
                goto fail;
            }
            if ((rc = parse_metadata(name, c, out))) goto fail;
            continue;
        }
        if ((rc = parse_entry(name, c, data_len, &out->tensors[nt], &out->src[nt], &sp[nt]))) goto fail;
        sp[nt].idx = nt;
        nt++;
    }
    out->ntensors = nt;

    if (nt > 1) {
        qsort(sp, (size_t)nt, sizeof *sp, span_by_name);
        for (int i = 1; i < nt; i++) {
            if (!strcmp(sp[i - 1].name, sp[i].name)) {
                rc = nn_err(NN_EFORMAT, "%s: duplicate tensor name \"%s\"", name, sp[i].name);
                goto fail;
            }
        }
    }
    /* The spec requires the tensors to tile the data section exactly. */
    if (nt > 1) qsort(sp, (size_t)nt, sizeof *sp, span_by_offset);
    uint64_t pos = 0;
    for (int i = 0; i < nt; i++) {
        if (sp[i].begin < pos) {
            rc = nn_err(NN_EFORMAT, "%s: tensors \"%s\" and \"%s\" overlap in the data section",
                        name, sp[i - 1].name, sp[i].name);
            goto fail;
        }
        if (sp[i].begin > pos) {
            rc = nn_err(NN_EFORMAT, "%s: hole in the data section: bytes %" PRIu64 "..%" PRIu64
                        " belong to no tensor", name, pos, sp[i].begin);
            goto fail;
        }
        pos = sp[i].end;
    }
    if (pos != data_len) {
        rc = nn_err(NN_EFORMAT, "%s: data section has %" PRIu64 " trailing bytes not covered "
                    "by any tensor", name, data_len - pos);
        goto fail;
    }
    if (data_len > SIZE_MAX - ST_ALIGN) goto nomem;
    size_t cap = ((size_t)data_len + ST_ALIGN - 1) / ST_ALIGN * ST_ALIGN;
    if (!(out->blob = aligned_alloc(ST_ALIGN, cap ? cap : ST_ALIGN))) goto nomem;
    for (int i = 0; i < nt; i++)
        out->tensors[sp[i].idx].data = (const float *)(out->blob + sp[i].begin);
    goto done;
nomem:
    rc = nn_err(NN_ENOMEM, "%s: out of memory reading the header", name);
fail:
done:
    cJSON_Delete(root);
    free(sp);
    return rc;
}

static uint64_t le64(const uint8_t *b)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | b[i];
    return v;
}

/* What a file that is not safetensors probably is, from its first bytes
 * head [len]: the files a user may mix up with a checkpoint. */
static const char *sniff_kind(const uint8_t *head, size_t len)
{
    if (len >= 6 && !memcmp(head, "\x93NUMPY", 6)) return "a NumPy .npy array";
    if (len >= 4 && !memcmp(head, "\x89PNG", 4)) return "a PNG image";
    if (len >= 2 && head[0] == 0x1f && head[1] == 0x8b) return "gzip data";
    if (len >= 4 && head[0] == 0 && head[1] == 0 && head[2] >= 0x08 && head[2] <= 0x0e)
        return "an IDX array";
    size_t k = 0;
    while (k < len && ((head[k] >= 0x20 && head[k] < 0x7f) || head[k] == '\n' ||
                       head[k] == '\r' || head[k] == '\t'))
        k++;
    if (k < len || len == 0) return "binary data";
    size_t i = 0;
    while (i < len && (head[i] == ' ' || head[i] == '\n' || head[i] == '\r' || head[i] == '\t'))
        i++;
    if (i < len && head[i] == '{') return "a JSON file";
    if (i < len && (head[i] == '[' || head[i] == ';' || head[i] == '#')) return "an INI config";
    return "a text file (a CSV log?)";
}

/* Header length checks shared by st_parse and st_read; head [hlen] are the
 * file's first bytes (at least the 8 of the length when total >= 8). An
 * absurd length is reported as the wrong kind of file, which is what it
 * nearly always is (eight bytes of text read as a number), not as a number. */
static int check_header_len(const char *name, uint64_t total, uint64_t n,
                            const uint8_t *head, size_t hlen)
{
    if (total < 8)
        return nn_err(NN_EFORMAT, "%s: not a safetensors file: %" PRIu64 " bytes, shorter "
                      "than the 8-byte header length", name, total);
    if (n > ST_MAX_HEADER)
        return nn_err(NN_EFORMAT, "%s: not a safetensors file (it looks like %s: the first "
                      "8 bytes are no header length)", name, sniff_kind(head, hlen));
    if (n > total - 8)
        return nn_err(NN_EFORMAT, "%s: header length %" PRIu64 " is larger than the file "
                      "(%" PRIu64 " bytes after the length): a truncated checkpoint, or not a "
                      "safetensors file (it looks like %s)", name, n, total - 8,
                      sniff_kind(head, hlen));
    return NN_OK;
}

int st_parse(const uint8_t *buf, size_t len, const char *name, st_file *out)
{
    int rc;
    char *hdr = NULL;
    if (!out) return nn_err(NN_EINVAL, "st_parse: out is NULL");
    memset(out, 0, sizeof *out);
    if (!name) name = "<memory>";
    if (!buf && len) return nn_err(NN_EINVAL, "%s: buffer is NULL", name);
    uint64_t n = len >= 8 ? le64(buf) : 0;
    if ((rc = check_header_len(name, len, n, buf, len < 16 ? len : 16))) return rc;
    if (!(hdr = malloc((size_t)n + 1))) {
        rc = nn_err(NN_ENOMEM, "%s: out of memory for a %" PRIu64 "-byte header", name, n);
        goto fail;
    }
    /* A NUL-terminated copy: cJSON is never asked to stop at a length alone. */
    memcpy(hdr, buf + 8, (size_t)n);
    hdr[n] = '\0';
    size_t data_len = len - 8 - (size_t)n;
    if ((rc = parse_header(name, hdr, (size_t)n, data_len, out))) goto fail;
    if (data_len) memcpy(out->blob, buf + 8 + n, data_len);
    if ((rc = st_convert(name, out))) goto fail;
    free(hdr);
    return NN_OK;
fail:
    free(hdr);
    st_free(out);
    return rc;
}

int st_read(const char *path, st_file *out)
{
    int rc;
    FILE *f = NULL;
    char *hdr = NULL;
    uint8_t head[16];
    struct stat sb;

    if (!out) return nn_err(NN_EINVAL, "st_read: out is NULL");
    memset(out, 0, sizeof *out);
    if (!path) return nn_err(NN_EINVAL, "st_read: path is NULL");
    /* A FIFO or device would block or never end: regular files only. */
    if ((rc = file_open_regular(path, &f))) goto fail;
    if (fstat(fileno(f), &sb) != 0) {
        rc = nn_err(NN_EIO, "%s: cannot stat: %s", path, strerror(errno));
        goto fail;
    }
    uint64_t total = (uint64_t)sb.st_size;
    size_t hl = total < sizeof head ? (size_t)total : sizeof head;
    if (fread(head, 1, hl, f) != hl) goto short_read;
    uint64_t n = total >= 8 ? le64(head) : 0;
    if ((rc = check_header_len(path, total, n, head, hl))) goto fail;
    uint64_t data_len = total - 8 - n;
    if (data_len > SIZE_MAX) {
        rc = nn_err(NN_ENOMEM, "%s: data section too large for this machine", path);
        goto fail;
    }
    if (!(hdr = malloc((size_t)n + 1))) {
        rc = nn_err(NN_ENOMEM, "%s: out of memory for a %" PRIu64 "-byte header", path, n);
        goto fail;
    }
    /* The header's first bytes were read with the length. */
    size_t have = hl - 8 < n ? hl - 8 : (size_t)n;
    memcpy(hdr, head + 8, have);
    if (fread(hdr + have, 1, (size_t)n - have, f) != (size_t)n - have) goto short_read;
    hdr[n] = '\0';
    if ((rc = parse_header(path, hdr, (size_t)n, data_len, out))) goto fail;
    if (data_len && fread(out->blob, 1, (size_t)data_len, f) != (size_t)data_len)
        goto short_read;
    if ((rc = st_convert(path, out))) goto fail;
    free(hdr);
    fclose(f);
    return NN_OK;
short_read:
    rc = nn_err(NN_EIO, "%s: read error or file changed while reading", path);
fail:
    if (f) fclose(f);
    free(hdr);
    st_free(out);
    return rc;
}

const st_tensor *st_find(const st_file *f, const char *name)
{
    if (!f || !name) return NULL;
    for (int i = 0; i < f->ntensors; i++)
        if (!strcmp(f->tensors[i].name, name)) return &f->tensors[i];
    return NULL;
}

const char *st_meta(const st_file *f, const char *key)
{
    if (!f || !key) return NULL;
    for (int i = 0; i < f->nmeta; i++)
        if (!strcmp(f->meta_keys[i], key)) return f->meta_vals[i];
    return NULL;
}
