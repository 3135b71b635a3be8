/* Tests of datasets/idx.c: round trips of every element type (plain and
 * gzip), one distinct error per kind of malformed file, the gzip size cap,
 * atomic writes, and images + labels pairs. */
#include "test.h"
#include "../datasets/dataset.h"

#include <dirent.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

static size_t type_size(int t)
{
    return t == IDX_F64 ? 8 : t == IDX_I32 || t == IDX_F32 ? 4 : t == IDX_I16 ? 2 : 1;
}

/* An array of `type` and shape dims [ndim] filled with varied bit patterns. */
static void make_array(idx_array *a, int type, int ndim, const uint32_t *dims)
{
    memset(a, 0, sizeof *a);
    a->type = type;
    a->ndim = ndim;
    a->count = 1;
    for (int i = 0; i < ndim; i++) {
        a->dims[i] = dims[i];
        a->count *= dims[i];
    }
    size_t es = type_size(type);
    uint8_t *p = malloc(a->count * es + 1);
    for (size_t i = 0; i < a->count * es; i++) p[i] = (uint8_t)(i * 37 + 11 + (i >> 8));
    if (type == IDX_F32) {
        float *f = (float *)p;
        for (size_t i = 0; i < a->count; i++) f[i] = (float)i * -1.25f + 0.1f;
    } else if (type == IDX_F64) {
        double *f = (double *)p;
        for (size_t i = 0; i < a->count; i++) f[i] = (double)i * 3.0e-300 - 1e10;
    }
    a->data = p;
}

static void check_same(const idx_array *a, const idx_array *b)
{
    CHECK(a->type == b->type);
    CHECK(a->ndim == b->ndim);
    CHECK(a->count == b->count);
    for (int i = 0; i < a->ndim; i++) CHECK(a->dims[i] == b->dims[i]);
    CHECK(b->data && memcmp(a->data, b->data, a->count * type_size(a->type)) == 0);
}

TEST(idx_round_trip_types_and_dims)
{
    static const struct { int type, ndim; uint32_t dims[8]; } cases[] = {
        {IDX_U8, 1, {7}}, {IDX_U8, 3, {4, 3, 5}}, {IDX_I8, 2, {3, 9}},
        {IDX_I16, 3, {2, 3, 4}}, {IDX_I32, 1, {33}}, {IDX_F32, 2, {5, 6}},
        {IDX_F64, 4, {2, 1, 3, 2}}, {IDX_U8, 8, {1, 2, 1, 2, 1, 2, 1, 3}},
        {IDX_I16, 1, {0}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        for (int gz = 0; gz < 2; gz++) {
            idx_array a, b;
            char name[64];
            snprintf(name, sizeof name, "rt%zu.idx%s", c, gz ? ".gz" : "");
            make_array(&a, cases[c].type, cases[c].ndim, cases[c].dims);
            CHECK_OK(idx_write(test_path(name), &a));
            CHECK_OK(idx_read(test_path(name), &b));
            check_same(&a, &b);
            size_t len = 0;
            uint8_t *raw = test_read_file(test_path(name), &len);
            CHECK(raw && len >= 2);
            if (raw) CHECK((raw[0] == 0x1f && raw[1] == 0x8b) == gz);
            free(raw);
            idx_free(&a);
            idx_free(&b);
        }
    }
}

TEST(idx_write_is_big_endian)
{
    int16_t v[2] = {0x0102, -2};
    idx_array a = {.type = IDX_I16, .ndim = 1, .dims = {2}, .count = 2, .data = v};
    static const uint8_t want[] = {0, 0, 0x0B, 1, 0, 0, 0, 2, 0x01, 0x02, 0xFF, 0xFE};
    size_t len = 0;
    CHECK(mkdir(test_path("atomic"), 0777) == 0);
    CHECK_OK(idx_write(test_path("atomic/be.idx"), &a));
    CHECK_OK(idx_write(test_path("atomic/be.idx"), &a));   /* replacing works too */
    uint8_t *raw = test_read_file(test_path("atomic/be.idx"), &len);
    CHECK(raw && len == sizeof want && memcmp(raw, want, sizeof want) == 0);
    free(raw);
    /* And no temporary file is left beside it. */
    DIR *dir = opendir(test_path("atomic"));
    struct dirent *e;
    CHECK(dir);
    while (dir && (e = readdir(dir)))
        CHECK_MSG(!strstr(e->d_name, ".tmp."), "leftover %s", e->d_name);
    if (dir) closedir(dir);
}

TEST(idx_gzip_detected_without_suffix)
{
    uint32_t dims[2] = {3, 4};
    idx_array a, b;
    size_t len = 0;
    make_array(&a, IDX_U8, 2, dims);
    CHECK_OK(idx_write(test_path("sniff.idx.gz"), &a));
    uint8_t *raw = test_read_file(test_path("sniff.idx.gz"), &len);
    CHECK(raw && test_write_file(test_path("sniff-noext"), raw, len) == 0);
    CHECK_OK(idx_read(test_path("sniff-noext"), &b));
    check_same(&a, &b);
    /* A plain IDX file named .gz is read as what it is. */
    CHECK_OK(idx_write(test_path("plain.idx"), &a));
    free(raw);
    raw = test_read_file(test_path("plain.idx"), &len);
    CHECK(raw && test_write_file(test_path("misnamed.idx.gz"), raw, len) == 0);
    idx_free(&b);
    CHECK_OK(idx_read(test_path("misnamed.idx.gz"), &b));
    check_same(&a, &b);
    free(raw);
    idx_free(&a);
    idx_free(&b);
}

TEST(idx_malformed_files_each_have_their_own_error)
{
    /* 3x4 u8 needs 12 data bytes after the 12-byte header. */
    uint8_t good[24] = {0, 0, 0x08, 2, 0, 0, 0, 3, 0, 0, 0, 4};
    uint8_t buf[64];
    idx_array a;

    CHECK_OK(idx_parse(good, sizeof good, "good", &a));
    CHECK(a.count == 12 && a.dims[0] == 3 && a.dims[1] == 4);
    idx_free(&a);

    CHECK_ERR(idx_parse(good, 17, "t.idx", &a), NN_EFORMAT, "t.idx: truncated: header says 3x4 u8 = 12 data bytes, file has 5");
    CHECK(a.data == NULL && a.count == 0);

    memcpy(buf, good, sizeof good);
    buf[0] = 1;
    CHECK_ERR(idx_parse(buf, sizeof good, "m.idx", &a), NN_EFORMAT, "m.idx: byte 0: bad magic");

    memcpy(buf, good, sizeof good);
    buf[2] = 0x07;
    CHECK_ERR(idx_parse(buf, sizeof good, "ty.idx", &a), NN_EFORMAT, "unknown element type 0x07");

    memcpy(buf, good, sizeof good);
    buf[3] = 0;
    CHECK_ERR(idx_parse(buf, sizeof good, "nd.idx", &a), NN_EFORMAT, "0 dimensions, expected 1..8");
    buf[3] = 9;
    CHECK_ERR(idx_parse(buf, sizeof good, "nd.idx", &a), NN_EFORMAT, "9 dimensions");

    memcpy(buf, good, sizeof good);
    buf[sizeof good] = 0xAB;
    CHECK_ERR(idx_parse(buf, sizeof good + 1, "tr.idx", &a), NN_EFORMAT, "byte 24: 1 trailing bytes");

    CHECK_ERR(idx_parse(good, 3, "h.idx", &a), NN_EFORMAT, "truncated header");
    CHECK_ERR(idx_parse(good, 9, "h.idx", &a), NN_EFORMAT, "2 dimensions need 12");
    CHECK_ERR(idx_parse(NULL, 0, "empty", &a), NN_EFORMAT, "truncated header: 0 bytes");

    /* Dimensions whose product overflows must not wrap into a small count. */
    uint8_t big[4 + 32] = {0, 0, 0x0E, 8};
    memset(big + 4, 0xFF, 32);
    CHECK_ERR(idx_parse(big, sizeof big, "big.idx", &a), NN_EFORMAT, "overflow");

    /* The same errors arrive through files, naming the path. */
    CHECK(test_write_file(test_path("trunc.idx"), good, 17) == 0);
    CHECK_ERR(idx_read(test_path("trunc.idx"), &a), NN_EFORMAT, "trunc.idx: truncated: header says");
    CHECK_ERR(idx_read(test_path("absent.idx"), &a), NN_EIO, "absent.idx: cannot open");
    CHECK(a.data == NULL);
}

/* gz [*len] holding the gzip image of a 3x4 u8 IDX file. */
static uint8_t *small_gz(size_t *len)
{
    uint32_t dims[2] = {3, 4};
    idx_array a;
    make_array(&a, IDX_U8, 2, dims);
    idx_write(test_path("small.idx.gz"), &a);
    idx_free(&a);
    return test_read_file(test_path("small.idx.gz"), len);
}

TEST(idx_gzip_errors)
{
    size_t len = 0;
    uint8_t *gz = small_gz(&len);
    idx_array a;
    CHECK(gz && len > 20);
    if (!gz) return;

    /* A CRC mismatch in the trailer. */
    gz[len - 8] ^= 0x55;
    CHECK(test_write_file(test_path("crc.idx.gz"), gz, len) == 0);
    CHECK_ERR(idx_read(test_path("crc.idx.gz"), &a), NN_EFORMAT, "corrupt gzip data (zlib: incorrect data check)");
    gz[len - 8] ^= 0x55;

    /* An unknown compression method in the header. */
    gz[2] = 7;
    CHECK(test_write_file(test_path("meth.idx.gz"), gz, len) == 0);
    CHECK_ERR(idx_read(test_path("meth.idx.gz"), &a), NN_EFORMAT, "meth.idx.gz: corrupt gzip data (zlib: ");
    CHECK(test_errmsg_has("near compressed byte"));
    gz[2] = 8;

    CHECK(test_write_file(test_path("half.idx.gz"), gz, len / 2) == 0);
    CHECK_ERR(idx_read(test_path("half.idx.gz"), &a), NN_EFORMAT, "truncated gzip data");

    uint8_t *more = malloc(len + 3);
    memcpy(more, gz, len);
    memcpy(more + len, "xyz", 3);
    CHECK(test_write_file(test_path("tail.idx.gz"), more, len + 3) == 0);
    CHECK_ERR(idx_read(test_path("tail.idx.gz"), &a), NN_EFORMAT, "3 bytes of trailing garbage after the gzip stream");
    free(more);

    /* Named .gz but neither gzip nor IDX. */
    CHECK(test_write_file(test_path("junk.idx.gz"), "hello world", 11) == 0);
    CHECK_ERR(idx_read(test_path("junk.idx.gz"), &a), NN_EFORMAT, "corrupt gzip data (no 1f 8b magic");

    /* The inflated image is validated like a plain one. */
    uint8_t trunc[17] = {0, 0, 0x08, 2, 0, 0, 0, 3, 0, 0, 0, 4, 1, 2, 3, 4, 5};
    idx_array t = {.type = IDX_U8, .ndim = 1, .dims = {17}, .count = 17, .data = trunc};
    CHECK_OK(idx_write(test_path("inner.bin.gz"), &t));   /* an IDX file whose payload is a bad IDX */
    uint8_t *g2 = test_read_file(test_path("inner.bin.gz"), &len), *plain = NULL;
    size_t plen = 0;
    CHECK_OK(idx_gunzip(g2, len, "inner", IDX_GZIP_CAP, &plain, &plen));
    CHECK(plen == 4 + 4 + 17);
    CHECK_ERR(idx_parse(plain + 8, plen - 8, "inner", &a), NN_EFORMAT, "truncated: header says 3x4 u8");
    free(plain);
    free(g2);
    free(gz);
}

TEST(idx_gzip_multi_member_and_size_cap)
{
    uint32_t dims[1] = {5000};
    idx_array a, b;
    size_t len = 0;
    make_array(&a, IDX_I16, 1, dims);
    CHECK_OK(idx_write(test_path("whole.idx"), &a));
    uint8_t *raw = test_read_file(test_path("whole.idx"), &len);
    CHECK(raw != NULL);
    if (!raw) return;
    /* Two gzip members, as `cat a.gz b.gz` makes, split mid-element. */
    gzFile g = gzopen(test_path("multi.idx.gz"), "wb");
    CHECK(g && gzwrite(g, raw, 1001) == 1001 && gzclose(g) == Z_OK);
    g = gzopen(test_path("multi.idx.gz"), "ab");
    CHECK(g && gzwrite(g, raw + 1001, (unsigned)(len - 1001)) == (int)(len - 1001) && gzclose(g) == Z_OK);
    CHECK_OK(idx_read(test_path("multi.idx.gz"), &b));
    check_same(&a, &b);
    idx_free(&b);

    /* A stream that inflates past the cap stops at the cap. */
    size_t glen = 0, olen = 0;
    uint8_t *gz, *out = (uint8_t *)"untouched";
    CHECK_OK(idx_write(test_path("whole.idx.gz"), &a));
    gz = test_read_file(test_path("whole.idx.gz"), &glen);
    CHECK_ERR(idx_gunzip(gz, glen, "bomb.gz", 1000, &out, &olen), NN_EFORMAT, "bomb.gz: inflates to more than 1000 bytes");
    CHECK(out == NULL && olen == 0);
    CHECK_OK(idx_gunzip(gz, glen, "fits.gz", len, &out, &olen));
    CHECK(olen == len && memcmp(out, raw, len) == 0);
    free(out);
    CHECK_ERR(idx_gunzip(raw, len, "plain", 100, &out, &olen), NN_EFORMAT, "not gzip data");
    free(gz);
    free(raw);
    idx_free(&a);
}

TEST(idx_write_rejects_bad_arrays)
{
    uint8_t v[6] = {0};
    idx_array a = {.type = IDX_U8, .ndim = 2, .dims = {2, 3}, .count = 5, .data = v};
    CHECK_ERR(idx_write(test_path("bad.idx"), &a), NN_EINVAL, "count 5 differs");
    a.count = 6;
    a.type = 0x0A;
    CHECK_ERR(idx_write(test_path("bad.idx"), &a), NN_EINVAL, "unknown IDX type 0x0a");
    a.type = IDX_U8;
    CHECK_ERR(idx_write(test_path("no/such/dir/x.idx"), &a), NN_EIO, "cannot create");
}

static void write_u8(const char *name, int ndim, const uint32_t *dims, const uint8_t *data)
{
    idx_array a = {.type = IDX_U8, .ndim = ndim, .count = 1, .data = (void *)data};
    for (int i = 0; i < ndim; i++) {
        a.dims[i] = dims[i];
        a.count *= dims[i];
    }
    CHECK_OK(idx_write(test_path(name), &a));
}

TEST(idx_load_pair_builds_a_dataset)
{
    uint8_t px[12] = {0, 1, 2, 3, 255, 254, 253, 252, 9, 8, 7, 6}, lab[3] = {0, 2, 1};
    uint32_t d3[3] = {3, 2, 2}, d2[2] = {3, 4}, d1[1] = {3};
    dataset d;
    write_u8("pi.idx", 3, d3, px);
    write_u8("pl.idx.gz", 1, d1, lab);
    CHECK_OK(idx_load_pair(test_path("pi.idx"), test_path("pl.idx.gz"), &d));
    CHECK(d.n == 3 && d.dim == 4 && d.rows == 2 && d.cols == 2 && d.classes == 3);
    for (int i = 0; i < 12; i++) CHECK(d.x[i] == (float)px[i]);
    for (int i = 0; i < 3; i++) CHECK(d.y[i] == lab[i]);
    dataset_free(&d);

    uint8_t zeros[3] = {0, 0, 0};
    write_u8("pi2.idx", 2, d2, px);
    write_u8("pl0.idx", 1, d1, zeros);
    CHECK_OK(idx_load_pair(test_path("pi2.idx"), test_path("pl0.idx"), &d));
    CHECK(d.n == 3 && d.dim == 4 && d.rows == 0 && d.cols == 0 && d.classes == 2);
    dataset_free(&d);
}

TEST(idx_load_pair_errors)
{
    uint8_t px[16] = {0}, lab[4] = {0};
    uint32_t d3[3] = {3, 2, 2}, d1[1] = {4}, d4[4] = {1, 1, 1, 3};
    dataset d;
    write_u8("ci.idx", 3, d3, px);
    write_u8("cl.idx", 1, d1, lab);
    CHECK_ERR(idx_load_pair(test_path("ci.idx"), test_path("cl.idx"), &d), NN_EFORMAT, "3 images but");
    CHECK(test_errmsg_has("ci.idx") && test_errmsg_has("cl.idx has 4 labels"));
    CHECK(d.x == NULL && d.y == NULL && d.n == 0);

    write_u8("c4.idx", 4, d4, px);
    CHECK_ERR(idx_load_pair(test_path("c4.idx"), test_path("cl.idx"), &d), NN_EFORMAT, "images must be u8 with 2 or 3");

    int16_t w[3] = {0};
    idx_array a = {.type = IDX_I16, .ndim = 1, .dims = {3}, .count = 3, .data = w};
    CHECK_OK(idx_write(test_path("l16.idx"), &a));
    CHECK_ERR(idx_load_pair(test_path("ci.idx"), test_path("l16.idx"), &d), NN_EFORMAT, "labels must be u8");
    CHECK_ERR(idx_load_pair(test_path("ci.idx"), test_path("gone.idx"), &d), NN_EIO, "gone.idx: cannot open");
}
