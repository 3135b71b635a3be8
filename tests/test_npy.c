/* Tests of probes/npy.c: headers byte-identical to numpy.save's, round trips
 * of every element type, a file numpy wrote, and one rejection per kind of
 * malformed file (each NN_EFORMAT naming the file). */
#include "test.h"
#include "../datasets/status.h"
#include "../probes/npy.h"

#include <dirent.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Header of np.save(f, np.zeros((2, 3))) from numpy 1.24, pasted as it came
 * out (`open(f,'rb').read()[:128]`): magic, version 1.0, length 118 (0x76),
 * the dict, 58 spaces, newline, so the data starts at byte 128. */
static const char numpy_f8_2x3[] =
    "\x93NUMPY\x01\x00v\x00{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }"
    "                                                          \n";

TEST(npy_header_matches_numpy)
{
    uint8_t h[512];
    size_t len = 0;
    size_t shape[2] = {2, 3};
    CHECK(sizeof numpy_f8_2x3 - 1 == 128);
    CHECK_OK(npy_header_make(NPY_F64, 2, shape, h, sizeof h, &len));
    CHECK(len == 128);
    CHECK(memcmp(h, numpy_f8_2x3, 128) == 0);
    /* Other shapes and types (numpy's dict text and padding, 128 bytes). */
    struct { int type, ndim; size_t shape[4]; const char *dict; int spaces; } cases[] = {
        {NPY_F64, 1, {51}, "{'descr': '<f8', 'fortran_order': False, 'shape': (51,), }", 59},
        {NPY_F32, 4, {2, 1, 3, 2},
         "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1, 3, 2), }", 52},
        {NPY_U8, 2, {7, 5}, "{'descr': '|u1', 'fortran_order': False, 'shape': (7, 5), }", 58},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        CHECK_OK(npy_header_make(cases[c].type, cases[c].ndim, cases[c].shape, h, sizeof h, &len));
        size_t dl = strlen(cases[c].dict);
        CHECK(len == 128);
        CHECK(h[8] == 118 && h[9] == 0);
        CHECK(memcmp(h + 10, cases[c].dict, dl) == 0);
        for (int k = 0; k < cases[c].spaces; k++) CHECK(h[10 + dl + (size_t)k] == ' ');
        CHECK(h[127] == '\n');
    }
    /* Always a multiple of 64, whatever the shape. */
    size_t big[4] = {123456789012ULL, 99999, 7, 3};
    CHECK_OK(npy_header_make(NPY_F64, 4, big, h, sizeof h, &len));
    CHECK(len % 64 == 0);
}

TEST(npy_roundtrip_f64)
{
    const char *path = test_path("a.npy");
    double a[3][4];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 4; j++) a[i][j] = (i - 1) * 1e-300 + j * 0.1 - i * 1e10;
    a[0][0] = NAN;
    a[0][1] = -INFINITY;
    a[0][2] = -0.0;
    size_t shape[2] = {3, 4};
    CHECK_OK(npy_write_f64(path, &a[0][0], 2, shape));
    size_t len;
    uint8_t *raw = test_read_file(path, &len);
    CHECK(raw && len == 128 + 12 * 8);
    free(raw);
    double *d = NULL;
    int nd = 0;
    size_t sh[NPY_MAX_DIMS] = {0};
    CHECK_OK(npy_read_f64(path, &d, &nd, sh));
    CHECK(nd == 2 && sh[0] == 3 && sh[1] == 4);
    if (d) {
        CHECK(memcmp(d, a, sizeof a) == 0); /* bit for bit, NaN and -0 included */
        free(d);
    }
    /* No temporary file left beside it. */
    DIR *dir = opendir(test_tmpdir());
    struct dirent *e;
    int tmp = 0;
    while (dir && (e = readdir(dir)))
        if (strstr(e->d_name, ".tmp")) tmp++;
    if (dir) closedir(dir);
    CHECK(tmp == 0);
}

TEST(npy_roundtrip_f32_and_u8)
{
    const char *p32 = test_path("b.npy"), *p8 = test_path("c.npy");
    float f[2][1][3] = {{{1.5f, -2.25f, 3.1f}}, {{1e-30f, 0.0f, 7.0f}}};
    size_t s3[3] = {2, 1, 3};
    CHECK_OK(npy_write_f32(p32, &f[0][0][0], 3, s3));
    double *d = NULL;
    int nd = 0;
    size_t sh[NPY_MAX_DIMS];
    CHECK_OK(npy_read_f64(p32, &d, &nd, sh));
    CHECK(nd == 3 && sh[0] == 2 && sh[1] == 1 && sh[2] == 3);
    for (int k = 0; d && k < 6; k++) CHECK(d[k] == (double)(&f[0][0][0])[k]);
    free(d);

    uint8_t done[2][5] = {{1, 1, 0, 1, 0}, {0, 0, 0, 1, 255}};
    size_t s2[2] = {2, 5};
    CHECK_OK(npy_write_u8(p8, &done[0][0], 2, s2));
    uint8_t *u = NULL;
    CHECK_OK(npy_read_u8(p8, &u, &nd, sh));
    CHECK(nd == 2 && sh[0] == 2 && sh[1] == 5);
    CHECK(u && memcmp(u, done, 10) == 0);
    free(u);
    CHECK_OK(npy_read_f64(p8, &d, &nd, sh)); /* u1 also reads as doubles */
    CHECK(d && d[9] == 255 && d[0] == 1);
    free(d);
    /* A float file is not a completion map. */
    CHECK(npy_read_u8(p32, &u, &nd, sh) == NN_EFORMAT);
    CHECK(u == NULL);
}

TEST(npy_reads_numpy_file)
{
    /* np.save(f, np.array([[1.5, -2], [3, 0.25]], dtype='<f4')): numpy's
     * header above with '<f4' and (2, 2), then the 16 data bytes. */
    uint8_t file[144];
    memcpy(file, numpy_f8_2x3, 128);
    memcpy(file + 10, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", 59);
    static const uint8_t data[16] = {0x00, 0x00, 0xc0, 0x3f, 0x00, 0x00, 0x00, 0xc0,
                                     0x00, 0x00, 0x40, 0x40, 0x00, 0x00, 0x80, 0x3e};
    memcpy(file + 128, data, 16);
    const char *path = test_path("numpy.npy");
    CHECK(test_write_file(path, file, sizeof file) == 0);
    double *d = NULL;
    int nd;
    size_t sh[NPY_MAX_DIMS];
    CHECK_OK(npy_read_f64(path, &d, &nd, sh));
    CHECK(nd == 2 && sh[0] == 2 && sh[1] == 2);
    CHECK(d && d[0] == 1.5 && d[1] == -2 && d[2] == 3 && d[3] == 0.25);
    free(d);
    /* Key order and spacing are free in a hand-written header. */
    int type;
    const char hand[] = "\x93NUMPY\x01\x00\x35\x00{ \"shape\":(2,) ,'fortran_order':False,"
                        "'descr':'<f8'}\n\0\0\0\0\0\0\xf0\x3f\0\0\0\0\0\0\0\x40";
    CHECK(sizeof hand - 1 == 10 + 0x35 + 16);
    CHECK_OK(npy_parse_f64((const uint8_t *)hand, sizeof hand - 1, "hand", &d, &nd, sh, &type));
    CHECK(type == NPY_F64 && nd == 1 && sh[0] == 2 && d && d[0] == 1 && d[1] == 2);
    free(d);
}

/* Writes a valid (2,3) f8 file, lets edit() spoil it, and expects
 * NN_EFORMAT with a message naming the file and containing want. */
static void expect_bad(const char *name, void (*edit)(uint8_t *b, size_t *len), const char *want)
{
    uint8_t b[256];
    size_t len = 176;
    memcpy(b, numpy_f8_2x3, 128);
    for (int k = 0; k < 48; k++) b[128 + k] = (uint8_t)k;
    edit(b, &len);
    const char *path = test_path(name);
    CHECK(test_write_file(path, b, len) == 0);
    double *d = (double *)1;
    int nd;
    size_t sh[NPY_MAX_DIMS];
    int rc = npy_read_f64(path, &d, &nd, sh);
    CHECK_MSG(rc == NN_EFORMAT, "%s: rc %d (%s)", name, rc, nn_errmsg());
    CHECK(d == NULL);
    CHECK_MSG(strstr(nn_errmsg(), path) && strstr(nn_errmsg(), want), "%s: message '%s'", name,
              nn_errmsg());
}

static void e_magic(uint8_t *b, size_t *len) { b[1] = 'X'; }
static void e_truncated(uint8_t *b, size_t *len) { *len -= 8; }
static void e_extra(uint8_t *b, size_t *len) { *len += 8; }
static void e_descr(uint8_t *b, size_t *len) { memcpy(b + 21, "<i4", 3); }
static void e_bigendian(uint8_t *b, size_t *len) { memcpy(b + 21, ">f8", 3); }
static void e_fortran(uint8_t *b, size_t *len) { memcpy(b + 44, "True, ", 6); }
static void e_version(uint8_t *b, size_t *len) { b[6] = 3; }
static void e_hlen(uint8_t *b, size_t *len) { b[8] = 0xff; b[9] = 0x7f; }
static void e_newline(uint8_t *b, size_t *len) { b[127] = ' '; }
static void e_shape(uint8_t *b, size_t *len) { memcpy(b + 60, "(2, x)", 6); }
static void e_dims5(uint8_t *b, size_t *len) { memcpy(b + 60, "(1,1,1,2,3), }", 14); }
static void e_dims0(uint8_t *b, size_t *len) { memcpy(b + 60, "(), }    ", 9); }
static void e_key(uint8_t *b, size_t *len) { memcpy(b + 27, "'fortran_oopsy'", 15); }
static void e_short(uint8_t *b, size_t *len) { *len = 7; }

TEST(npy_rejects_malformed)
{
    expect_bad("magic.npy", e_magic, "magic");
    expect_bad("trunc.npy", e_truncated, "data bytes");
    expect_bad("extra.npy", e_extra, "data bytes");
    expect_bad("descr.npy", e_descr, "'<i4'");
    expect_bad("big.npy", e_bigendian, "'>f8'");
    expect_bad("fortran.npy", e_fortran, "fortran_order");
    expect_bad("version.npy", e_version, "version 3.0");
    expect_bad("hlen.npy", e_hlen, "past the end");
    expect_bad("newline.npy", e_newline, "newline");
    expect_bad("shape.npy", e_shape, "shape");
    expect_bad("dims5.npy", e_dims5, "dimensions");
    expect_bad("dims0.npy", e_dims0, "0-dimensional");
    expect_bad("key.npy", e_key, "fortran_oopsy");
    expect_bad("short.npy", e_short, "magic");
}

TEST(npy_write_errors)
{
    double x[2] = {1, 2};
    size_t shape[5] = {2, 1, 1, 1, 1};
    CHECK(npy_write_f64(test_path("no/such/dir/x.npy"), x, 1, shape) == NN_EIO);
    CHECK(npy_write_f64(test_path("x.npy"), x, 0, shape) == NN_EINVAL);
    CHECK(npy_write_f64(test_path("x.npy"), x, 5, shape) == NN_EINVAL);
    double *d = NULL;
    int nd;
    size_t sh[NPY_MAX_DIMS];
    CHECK(npy_read_f64(test_path("missing.npy"), &d, &nd, sh) == NN_EIO);
    /* A shape whose byte count overflows size_t is refused, not wrapped. */
    size_t huge[2] = {(size_t)1 << 62, 4};
    CHECK(npy_write_f64(test_path("x.npy"), x, 2, huge) == NN_EINVAL);
    const char hdr[] = "\x93NUMPY\x01\x00\x4e\x00{'descr': '<f8', 'fortran_order': False, "
                       "'shape': (4611686018427387904, 4), }\n";
    int type;
    CHECK(npy_parse_f64((const uint8_t *)hdr, sizeof hdr - 1, "huge", &d, &nd, sh, &type) ==
          NN_EFORMAT);
    CHECK(d == NULL);
}
