/* safetensors and checkpoints: round trips, PyTorch tensor names, a file
 * written by PyTorch (tests/data), one rejection per validation rule of the
 * reader, and atomic writes that never clobber or leave temporary files. */
#include <dirent.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "../nn/nn.h"
#include "test.h"

/* ---- helpers ------------------------------------------------------------- */

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *b = NULL;
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    if (n >= 0 && (b = malloc((size_t)n + 1)) && fread(b, 1, (size_t)n, f) == (size_t)n) {
        b[n] = 0;
        *len = (size_t)n;
    } else {
        free(b);
        b = NULL;
    }
    fclose(f);
    return b;
}

/* The JSON header of a safetensors file as a string (malloc'd). */
static char *header_of(const char *path)
{
    size_t len = 0;
    uint8_t *b = slurp(path, &len);
    if (!b || len < 8) {
        free(b);
        return NULL;
    }
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--) n = (n << 8) | b[i];
    char *h = n <= len - 8 ? malloc(n + 1) : NULL;
    if (h) {
        memcpy(h, b + 8, n);
        h[n] = 0;
    }
    free(b);
    return h;
}

/* Count of directory entries of the scratch dir whose name contains s. */
static int tmpdir_count(const char *s)
{
    DIR *d = opendir(test_tmpdir());
    int n = 0;
    struct dirent *e;
    if (!d) return -1;
    while ((e = readdir(d)))
        if (strstr(e->d_name, s)) n++;
    closedir(d);
    return n;
}

static void fill(float *p, size_t n, float scale)
{
    for (size_t i = 0; i < n; i++) p[i] = scale * (float)((i * 37 + 11) % 101) - 0.5f * scale;
}

static int spec_of(model_spec *s, int in, const char *layers)
{
    /* "256relu,10": width and activation name per layer */
    memset(s, 0, sizeof *s);
    s->in = in;
    s->leaky_slope = 0.01f;
    s->loss = LOSS_XENT;
    const char *p = layers;
    while (*p) {
        layer_spec *ls = &s->layers[s->nlayers++];
        ls->out = (int)strtol(p, (char **)&p, 10);
        char nm[32];
        int k = 0;
        while (*p && *p != ',') nm[k++] = *p++;
        nm[k] = 0;
        ls->act = k ? act_from_name(nm) : ACT_LINEAR;
        ls->init = -1;
        if (*p == ',') p++;
    }
    return 0;
}

/* ---- safetensors round trip ------------------------------------------------ */

TEST(st_roundtrip)
{
    float a[6], b[3], c[1] = {42.5f};
    fill(a, 6, 1.0f);
    fill(b, 3, 2.0f);
    st_tensor t[4] = {
        {.name = "layer.a", .ndim = 2, .shape = {2, 3}, .data = a},
        {.name = "b", .ndim = 1, .shape = {3}, .data = b},
        {.name = "scalar", .ndim = 0, .data = c},
        {.name = "empty", .ndim = 2, .shape = {0, 5}, .data = NULL},
    };
    const char *k[] = {"format", "note"}, *v[] = {"test", "quote \" and \xc3\xa9"};
    const char *path = test_path("rt.safetensors");
    CHECK_OK(st_write(path, t, 4, k, v, 2));
    CHECK(tmpdir_count(".tmp.") == 0);

    st_file f;
    CHECK_OK(st_read(path, &f));
    CHECK(f.ntensors == 4);
    CHECK(f.nmeta == 2);
    CHECK(st_meta(&f, "note") && !strcmp(st_meta(&f, "note"), v[1]));
    CHECK(st_meta(&f, "missing") == NULL);
    for (int i = 0; i < 4; i++) {
        const st_tensor *r = st_find(&f, t[i].name);
        CHECK_MSG(r != NULL, "tensor %s not found", t[i].name);
        if (!r) continue;
        CHECK(r->ndim == t[i].ndim);
        size_t cnt = 1;
        for (int d = 0; d < r->ndim; d++) {
            CHECK(r->shape[d] == t[i].shape[d]);
            cnt *= (size_t)r->shape[d];
        }
        if (cnt) CHECK(memcmp(r->data, t[i].data, cnt * sizeof(float)) == 0);
    }
    /* the blob is 64-byte aligned and every F32 tensor in it 4-byte aligned */
    CHECK(((uintptr_t)f.blob % 64) == 0);
    for (int i = 0; i < f.ntensors; i++) CHECK(((uintptr_t)f.tensors[i].data % 4) == 0);
    CHECK(st_find(&f, "nope") == NULL);

    /* data section starts 8-byte aligned, and memory parsing agrees with files */
    size_t len = 0;
    uint8_t *buf = slurp(path, &len);
    CHECK(buf != NULL);
    if (buf) {
        uint64_t n = 0;
        for (int i = 7; i >= 0; i--) n = (n << 8) | buf[i];
        CHECK((8 + n) % 8 == 0);
        CHECK(len == 8 + n + 4 * (6 + 3 + 1));
        st_file g;
        CHECK_OK(st_parse(buf, len, "mem", &g));
        CHECK(g.ntensors == 4);
        const st_tensor *ga = st_find(&g, "layer.a");
        CHECK(ga && memcmp(ga->data, a, sizeof a) == 0);
        st_free(&g);
    }
    free(buf);
    st_free(&f);
    st_free(&f); /* st_free leaves a zeroed struct: a second call is harmless */

    /* no metadata and no tensors at all is a valid (empty) file */
    CHECK_OK(st_write(path, NULL, 0, NULL, NULL, 0));
    CHECK_OK(st_read(path, &f));
    CHECK(f.ntensors == 0 && f.nmeta == 0);
    st_free(&f);
}

TEST(st_write_rejects_bad_tensors)
{
    float a[2] = {1, 2};
    const char *path = test_path("badw.safetensors");
    st_tensor t[2] = {{.name = "x", .ndim = 1, .shape = {2}, .data = a},
                      {.name = "x", .ndim = 1, .shape = {2}, .data = a}};
    CHECK(st_write(path, t, 2, NULL, NULL, 0) == NN_EINVAL);
    CHECK(strstr(nn_errmsg(), "duplicate tensor name"));
    t[1].ndim = 5;
    strcpy(t[1].name, "y");
    CHECK(st_write(path, t, 2, NULL, NULL, 0) == NN_EINVAL);
    t[1].ndim = 1;
    t[1].shape[0] = -1;
    CHECK(st_write(path, t, 2, NULL, NULL, 0) == NN_EINVAL);
    t[1].shape[0] = 2;
    t[1].data = NULL;
    CHECK(st_write(path, t, 2, NULL, NULL, 0) == NN_EINVAL);
    strcpy(t[1].name, "__metadata__");
    t[1].data = a;
    CHECK(st_write(path, t, 2, NULL, NULL, 0) == NN_EINVAL);
    CHECK(tmpdir_count("badw") == 0);
}

/* ---- rejections: one or more per validation rule ------------------------- */

/* A file of an 8-byte length, the JSON header and datalen zero bytes. */
static int parse_json(const char *json, size_t datalen, st_file *f)
{
    size_t hl = strlen(json), len = 8 + hl + datalen;
    uint8_t *buf = calloc(1, len);
    for (int i = 0; i < 8; i++) buf[i] = (uint8_t)((uint64_t)hl >> (8 * i));
    memcpy(buf + 8, json, hl);
    int rc = st_parse(buf, len, "bad.st", f);
    free(buf);
    return rc;
}

static void reject_at(int line, const char *json, size_t datalen, const char *want)
{
    st_file f;
    int rc = parse_json(json, datalen, &f);
    if (rc != NN_EFORMAT || !strstr(nn_errmsg(), want) || !strstr(nn_errmsg(), "bad.st"))
        test_fail(__FILE__, line, "%s -> %d \"%s\", wanted NN_EFORMAT with \"%s\"", json, rc,
                  nn_errmsg(), want);
    if (f.ntensors || f.tensors || f.blob || f.nmeta)
        test_fail(__FILE__, line, "st_file not cleared after a failed parse");
}
#define REJECT(json, datalen, want) reject_at(__LINE__, json, datalen, want)

static void reject_raw(int line, const uint8_t *buf, size_t len, const char *want)
{
    st_file f;
    int rc = st_parse(buf, len, "bad.st", &f);
    if (rc != NN_EFORMAT || !strstr(nn_errmsg(), want))
        test_fail(__FILE__, line, "%zu bytes -> %d \"%s\", wanted \"%s\"", len, rc, nn_errmsg(),
                  want);
}

TEST(st_reject_file_length)
{
    uint8_t b[16] = {0};
    reject_raw(__LINE__, b, 0, "shorter than the 8-byte");
    reject_raw(__LINE__, b, 7, "shorter than the 8-byte");
    b[0] = 9; /* header of 9 bytes in a 16-byte file: 8 remain */
    reject_raw(__LINE__, b, 16, "larger than the file");
    memset(b, 0xff, 8); /* 2^64-1 */
    reject_raw(__LINE__, b, 16, "not a safetensors file");
    memset(b, 0, 8);
    b[3] = 0x10; /* 256 MB */
    reject_raw(__LINE__, b, 16, "not a safetensors file");
    st_file f;
    CHECK(st_read(test_path("does-not-exist.safetensors"), &f) == NN_EIO);
    CHECK(strstr(nn_errmsg(), "does-not-exist"));
}

TEST(st_reject_json)
{
    REJECT("", 0, "not valid JSON");
    REJECT("{\"a\":", 0, "not valid JSON");
    REJECT("{\"a\" 1}", 0, "not valid JSON");
    REJECT("[1, 2]", 0, "not a JSON object");
    REJECT("\"str\"", 0, "not a JSON object");
    REJECT("{} x", 0, "trailing characters");
    REJECT("{}{}", 0, "trailing characters");
    st_file f;
    CHECK_OK(parse_json("{}   ", 0, &f)); /* space padding is allowed */
    st_free(&f);
    uint8_t b[8 + 4] = {4, 0, 0, 0, 0, 0, 0, 0, '{', 0, '}', ' '};
    reject_raw(__LINE__, b, sizeof b, "NUL byte");
}

TEST(st_reject_missing_fields)
{
    REJECT("{\"t\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "missing dtype");
    REJECT("{\"t\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4, "missing shape");
    REJECT("{\"t\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4, "missing data_offsets");
}

TEST(st_reject_wrong_types)
{
    REJECT("{\"t\":[1]}", 4, "entry is not an object");
    REJECT("{\"t\":{\"dtype\":32,\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
           "dtype is not a string");
    REJECT("{\"t\":{\"dtype\":\"F32\",\"shape\":\"1\",\"data_offsets\":[0,4]}}", 4,
           "shape is not an array");
    REJECT("{\"t\":{\"dtype\":\"F32\",\"shape\":[\"1\"],\"data_offsets\":[0,4]}}", 4,
           "not a non-negative integer");
    REJECT("{\"t\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4,
           "not a non-negative integer");
    REJECT("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4,
           "data_offsets is not [begin, end]");
    REJECT("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", 4,
           "data_offsets is not [begin, end]");
    REJECT("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":{\"a\":0}}}", 4,
           "data_offsets is not [begin, end]");
    REJECT("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", 4,
           "data_offsets is not [begin, end]");
}

TEST(st_reject_dtype)
{
    /* F64, F16 and BF16 are read (tests/test_st_dtype.c); integers are not. */
    REJECT("{\"t\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8,
           "dtype I64 is not supported (F32, F64, F16 or BF16)");
    REJECT("{\"t\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]}}", 4,
           "dtype U8 is not supported");
    /* The span is checked against the dtype's size, not F32's. */
    REJECT("{\"t\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
           "F64 shape [1] needs 8");
}

TEST(st_reject_shape)
{
    REJECT("{\"t\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4,
           "negative dimension");
    REJECT("{\"t\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1],\"data_offsets\":[0,4]}}", 4,
           "more than 4 dims");
    REJECT("{\"t\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],"
           "\"data_offsets\":[0,4]}}", 4, "overflows");
    REJECT("{\"t\":{\"dtype\":\"F32\",\"shape\":[1e300],\"data_offsets\":[0,4]}}", 4,
           "not a non-negative integer");
}

TEST(st_reject_offsets)
{
    REJECT("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}", 8,
           "begin 8 > end 4");
    REJECT("{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4,
           "beyond the data section");
    REJECT("{\"t\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8,
           "needs 12");
}

TEST(st_reject_coverage)
{
    REJECT("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
           "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, "overlap");
    REJECT("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
           "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12,
           "hole in the data section: bytes 4..8");
    REJECT("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8,
           "hole in the data section: bytes 0..4");
    REJECT("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 12,
           "8 trailing bytes not covered");
    REJECT("{}", 4, "4 trailing bytes not covered");
    /* out of order in the header but tiling the data: fine */
    st_file f;
    CHECK_OK(parse_json("{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]},"
                        "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
                        8, &f));
    CHECK(f.ntensors == 2 && !strcmp(f.tensors[0].name, "b"));
    CHECK(f.tensors[0].data == (const float *)f.blob + 1);
    st_free(&f);
}

TEST(st_reject_names_and_metadata)
{
    REJECT("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
           "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8,
           "duplicate tensor name \"a\"");
    REJECT("{\"__metadata__\":{},\"__metadata__\":{}}", 0, "duplicate __metadata__");
    REJECT("{\"__metadata__\":{\"k\":\"a\",\"k\":\"b\"}}", 0, "duplicate __metadata__ key");
    REJECT("{\"__metadata__\":{\"step\":3}}", 0, "value of \"step\" is not a string");
    REJECT("{\"__metadata__\":{\"x\":null}}", 0, "value of \"x\" is not a string");
    REJECT("{\"__metadata__\":[\"a\"]}", 0, "__metadata__ is not an object");
    REJECT("{\"\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
           "is empty or longer");
}

/* ---- checkpoints --------------------------------------------------------- */

TEST(ckpt_seq_names_relu)
{
    model_spec s;
    model m;
    spec_of(&s, 784, "256relu,256relu,10");
    CHECK_OK(model_build(&m, &s));
    CHECK(ckpt_seq_index(&m, 0) == 0);
    CHECK(ckpt_seq_index(&m, 1) == 2);
    CHECK(ckpt_seq_index(&m, 2) == 4);
    const char *path = test_path("relu.safetensors");
    CHECK_OK(ckpt_save(path, &m, m.theta, NULL, NULL, NULL, 0));
    char *h = header_of(path);
    CHECK(h != NULL);
    if (h) {
        const char *want[] = {"\"0.weight\":", "\"0.bias\":", "\"2.weight\":", "\"2.bias\":",
                              "\"4.weight\":", "\"4.bias\":",
                              "\"arch\":\"784-256relu-256relu-10\"", "\"format\":\"saddle-1\"",
                              "\"loss\":\"xent\"", "\"step\":\"0\""};
        for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
            CHECK_MSG(strstr(h, want[i]), "header lacks %s: %.300s", want[i], h);
        CHECK(!strstr(h, "\"1.weight\"") && !strstr(h, "\"3.weight\"") &&
              !strstr(h, "\"config\""));
    }
    free(h);
    st_file f;
    CHECK_OK(st_read(path, &f));
    CHECK(f.ntensors == 6);
    const st_tensor *w = st_find(&f, "2.weight"), *b = st_find(&f, "4.bias");
    CHECK(w && w->ndim == 2 && w->shape[0] == 256 && w->shape[1] == 256);
    CHECK(b && b->ndim == 1 && b->shape[0] == 10);
    st_free(&f);
    model_free(&m);
}

TEST(ckpt_seq_names_mixed)
{
    model_spec s;
    model m, r;
    spec_of(&s, 5, "4linear,3tanh,6linear,2");
    CHECK_OK(model_build(&m, &s));
    fill(m.theta, m.n, 0.1f);
    const char *path = test_path("mixed.safetensors");
    CHECK_OK(ckpt_save(path, &m, m.theta, NULL, NULL, NULL, 0));
    char *h = header_of(path);
    const char *want[] = {"\"0.weight\":", "\"1.weight\":", "\"3.weight\":", "\"4.weight\":",
                          "\"4.bias\":", "\"arch\":\"5-4-3tanh-6-2\""};
    for (size_t i = 0; h && i < sizeof want / sizeof want[0]; i++)
        CHECK_MSG(strstr(h, want[i]), "header lacks %s: %.300s", want[i], h);
    CHECK(h && !strstr(h, "\"2.weight\""));
    free(h);
    CHECK_OK(ckpt_load(path, &r, -1, -1, NULL, NULL, NULL, 0));
    CHECK(r.nlayers == 4 && r.n == m.n);
    CHECK(r.layers[1].act == ACT_TANH && r.layers[2].act == ACT_LINEAR);
    if (r.theta) CHECK(memcmp(r.theta, m.theta, m.n * sizeof(float)) == 0);
    model_free(&r);
    model_free(&m);
}

TEST(ckpt_roundtrip_with_info)
{
    model_spec s;
    model m, r;
    spec_of(&s, 6, "5leaky_relu,4gelu,3");
    s.loss = LOSS_MSE;
    s.leaky_slope = 0.2f;
    s.init = INIT_HE;
    CHECK_OK(model_build(&m, &s));
    fill(m.theta, m.n, 0.3f);
    char cfg[] = "[train]\nepochs = 3\n";
    ckpt_info info = {.step = 1234567, .epoch = 7, .seed = 18446744073709551615ull,
                      .config_text = cfg};
    const char *path = test_path("info.safetensors");
    CHECK_OK(ckpt_save(path, &m, m.theta, &info, NULL, NULL, 0));
    ckpt_info got;
    CHECK_OK(ckpt_load(path, &r, ACT_RELU, LOSS_XENT, &got, NULL, NULL, 0));
    CHECK(got.step == 1234567 && got.epoch == 7 && got.seed == 18446744073709551615ull);
    CHECK(got.config_text && !strcmp(got.config_text, cfg));
    CHECK(r.spec.loss == LOSS_MSE && r.spec.init == INIT_HE);
    CHECK_NEAR(r.spec.leaky_slope, 0.2f, 0);
    char a1[128], a2[128];
    model_arch_string(&m, a1, sizeof a1);
    model_arch_string(&r, a2, sizeof a2);
    CHECK_MSG(!strcmp(a1, a2), "%s vs %s", a1, a2);
    if (r.theta) CHECK(memcmp(r.theta, m.theta, m.n * sizeof(float)) == 0);
    ckpt_info_free(&got);
    CHECK(got.config_text == NULL);
    model_free(&r);
    model_free(&m);
}

TEST(ckpt_optimizer_state)
{
    model_spec s;
    model m, r;
    spec_of(&s, 3, "4relu,2");
    CHECK_OK(model_build(&m, &s));
    fill(m.theta, m.n, 1.0f);
    float *mo = malloc(m.n * sizeof *mo), *vo = malloc(m.n * sizeof *vo);
    float *mi = calloc(m.n, sizeof *mi), *vi = calloc(m.n, sizeof *vi);
    fill(mo, m.n, 0.01f);
    fill(vo, m.n, 0.002f);
    const char *names[] = {"m", "v"};
    const float *out[] = {mo, vo};
    float *in[] = {mi, vi};
    const char *path = test_path("last.safetensors");
    ckpt_info info = {.step = 10, .epoch = 1, .seed = 5};
    CHECK_OK(ckpt_save(path, &m, m.theta, &info, names, out, 2));
    char *h = header_of(path);
    CHECK(h && strstr(h, "\"optim.m.0.weight\":") && strstr(h, "\"optim.v.2.bias\":"));
    free(h);

    CHECK_OK(ckpt_load(path, &r, -1, -1, NULL, names, in, 2));
    CHECK(memcmp(mi, mo, m.n * sizeof(float)) == 0);
    CHECK(memcmp(vi, vo, m.n * sizeof(float)) == 0);
    model_free(&r);
    /* optimizer state is ignored when not asked for (evaluating last.safetensors) */
    CHECK_OK(ckpt_load(path, &r, -1, -1, NULL, NULL, NULL, 0));
    model_free(&r);
    /* asking for state the file does not have names the missing tensor */
    const char *other[] = {"m", "w"};
    CHECK(ckpt_load(path, &r, -1, -1, NULL, other, in, 2) == NN_EFORMAT);
    CHECK_MSG(strstr(nn_errmsg(), "missing tensor \"optim.w.0.weight\""), "%s", nn_errmsg());
    CHECK(r.theta == NULL);
    free(mo);
    free(vo);
    free(mi);
    free(vi);
    model_free(&m);
}

/* tests/data/torch_seq_4_3_2.safetensors was written by (torch 1.13):
 *   torch.manual_seed(1234)
 *   net = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
 *   header = {"__metadata__": {"format": "pt"}}; data in state_dict order
 *   for name, t in net.state_dict().items(): header[name] = {"dtype": "F32",
 *       "shape": list(t.shape), "data_offsets": [off, off + 4 * t.numel()]}
 *   h = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
 *   h += b" " * (-(8 + len(h)) % 8)     # then struct.pack("<Q", len(h)) + h + data
 *   x = torch.tensor([[0.5, -1.0, 2.0, 0.25], [-0.3, 0.8, 0.1, -1.5]])
 *   net(x).flatten().tolist()  -> TORCH_LOGITS */
static const float TORCH_W0[12] = {
    -0.47102075815200806f, -0.09810143709182739f, -0.24015581607818604f,
    -0.1333586573600769f,  -0.4416992664337158f,  0.20064473152160645f,
    -0.44820261001586914f, -0.03186076879501343f, 0.17380613088607788f,
    -0.16853803396224976f, 0.28370803594589233f,  0.06306320428848267f};
static const float TORCH_B0[3] = {0.2748504877090454f, 0.32080256938934326f,
                                  -0.2207234501838684f};
static const float TORCH_B2[2] = {-0.22594204545021057f, -0.2831878066062927f};
static const float TORCH_X[8] = {0.5f, -1.0f, 2.0f, 0.25f, -0.3f, 0.8f, 0.1f, -1.5f};
static const float TORCH_LOGITS[4] = {-0.11411664634943008f, -0.2109665870666504f,
                                      -0.27222758531570435f, -0.27342429757118225f};
#define TORCH_FILE "tests/data/torch_seq_4_3_2.safetensors"

TEST(ckpt_load_pytorch_file)
{
    model m;
    ckpt_info info;
    CHECK_OK(ckpt_load(TORCH_FILE, &m, ACT_RELU, LOSS_XENT, &info, NULL, NULL, 0));
    if (!m.theta) return;
    char arch[64];
    model_arch_string(&m, arch, sizeof arch);
    CHECK_MSG(!strcmp(arch, "4-3relu-2"), "arch %s", arch);
    CHECK(info.step == 0 && info.epoch == 0 && info.seed == 0 && info.config_text == NULL);
    CHECK(memcmp(m.theta + m.layers[0].w_off, TORCH_W0, sizeof TORCH_W0) == 0);
    CHECK(memcmp(m.theta + m.layers[0].b_off, TORCH_B0, sizeof TORCH_B0) == 0);
    CHECK(memcmp(m.theta + m.layers[1].b_off, TORCH_B2, sizeof TORCH_B2) == 0);

    workspace ws;
    CHECK_OK(workspace_alloc(&ws, &m, 2));
    model_forward(&m, m.theta, TORCH_X, 2, &ws);
    const float *f = ws.a[m.nlayers - 1];
    for (int i = 0; i < 4; i++) CHECK_NEAR(f[i], TORCH_LOGITS[i], 1e-6);
    workspace_free(&ws);
    model_free(&m);
}

TEST(ckpt_pytorch_file_needs_activation)
{
    model m;
    CHECK(ckpt_load(TORCH_FILE, &m, -1, LOSS_XENT, NULL, NULL, NULL, 0) == NN_EINVAL);
    CHECK_MSG(strstr(nn_errmsg(), "activation must be given"), "%s", nn_errmsg());
    /* with linear activations the layers would sit at 0 and 1, not 0 and 2 */
    CHECK(ckpt_load(TORCH_FILE, &m, ACT_LINEAR, LOSS_XENT, NULL, NULL, NULL, 0) ==
          NN_EFORMAT);
    CHECK_MSG(strstr(nn_errmsg(), "should be at index 1"), "%s", nn_errmsg());
    CHECK(m.theta == NULL);
}

/* A PyTorch-style file (no saddle metadata) from the given tensors. */
static int load_torchlike(const st_tensor *t, int nt, model *m)
{
    const char *path = test_path("torchlike.safetensors");
    int rc = st_write(path, t, nt, NULL, NULL, 0);
    return rc ? rc : ckpt_load(path, m, ACT_TANH, -1, NULL, NULL, NULL, 0);
}

TEST(ckpt_pytorch_shape_errors)
{
    static float z[64];
    model m;
    st_tensor t[5] = {
        {.name = "0.weight", .ndim = 2, .shape = {3, 4}, .data = z},
        {.name = "0.bias", .ndim = 1, .shape = {3}, .data = z},
        {.name = "2.weight", .ndim = 2, .shape = {2, 3}, .data = z},
        {.name = "2.bias", .ndim = 1, .shape = {2}, .data = z},
        {.name = "extra", .ndim = 1, .shape = {1}, .data = z},
    };
    CHECK_OK(load_torchlike(t, 4, &m));
    CHECK(m.nlayers == 2 && m.layers[0].act == ACT_TANH && m.layers[1].act == ACT_LINEAR);
    CHECK(m.spec.loss == LOSS_XENT);
    model_free(&m);

    CHECK(load_torchlike(t, 5, &m) == NN_EFORMAT);
    CHECK_MSG(strstr(nn_errmsg(), "unexpected tensor \"extra\""), "%s", nn_errmsg());

    t[2].shape[1] = 5; /* does not chain: in of layer 1 != out of layer 0 */
    CHECK(load_torchlike(t, 4, &m) == NN_EFORMAT);
    CHECK_MSG(strstr(nn_errmsg(), "previous layer \"0.weight\" has 3 outputs"), "%s",
              nn_errmsg());
    t[2].shape[1] = 3;

    t[3].shape[0] = 4; /* bias does not match */
    CHECK(load_torchlike(t, 4, &m) == NN_EFORMAT);
    CHECK_MSG(strstr(nn_errmsg(), "tensor \"2.bias\" has shape [4], expected [2]"), "%s",
              nn_errmsg());
    t[3].shape[0] = 2;

    CHECK(load_torchlike(t, 3, &m) == NN_EFORMAT); /* no 2.bias */
    CHECK_MSG(strstr(nn_errmsg(), "missing tensor \"2.bias\" (expected shape [2])"), "%s",
              nn_errmsg());

    t[0].ndim = 3;
    CHECK(load_torchlike(t, 4, &m) == NN_EFORMAT);
    CHECK_MSG(strstr(nn_errmsg(), "expected [out, in]"), "%s", nn_errmsg());
    CHECK(m.theta == NULL);
}

TEST(ckpt_saddle_metadata_errors)
{
    static float z[64];
    model m;
    const char *path = test_path("meta.safetensors");
    st_tensor t[2] = {{.name = "0.weight", .ndim = 2, .shape = {2, 3}, .data = z},
                      {.name = "0.bias", .ndim = 1, .shape = {2}, .data = z}};
    const char *k[] = {"format", "arch", "loss", "step"};
    const char *v[] = {"saddle-1", "3-2", "xent", "5"};
    CHECK_OK(st_write(path, t, 2, k, v, 4));
    CHECK_OK(ckpt_load(path, &m, -1, -1, NULL, NULL, NULL, 0));
    model_free(&m);

    v[1] = "3-2x";
    CHECK_OK(st_write(path, t, 2, k, v, 4));
    CHECK(ckpt_load(path, &m, -1, -1, NULL, NULL, NULL, 0) == NN_EFORMAT);
    CHECK_MSG(strstr(nn_errmsg(), "arch \"3-2x\" is malformed"), "%s", nn_errmsg());

    v[1] = "3-4relu-2"; /* the metadata and the tensors disagree */
    CHECK_OK(st_write(path, t, 2, k, v, 4));
    CHECK(ckpt_load(path, &m, -1, -1, NULL, NULL, NULL, 0) == NN_EFORMAT);
    CHECK_MSG(strstr(nn_errmsg(), "tensor \"0.weight\" has shape [2, 3] but the metadata arch "
                             "3-4relu-2 needs [4, 3]"),
              "%s", nn_errmsg());

    v[1] = "3-2";
    v[3] = "-1";
    CHECK_OK(st_write(path, t, 2, k, v, 4));
    CHECK(ckpt_load(path, &m, -1, -1, NULL, NULL, NULL, 0) == NN_EFORMAT);
    CHECK_MSG(strstr(nn_errmsg(), "step=\"-1\""), "%s", nn_errmsg());

    v[3] = "5";
    v[2] = "hinge";
    CHECK_OK(st_write(path, t, 2, k, v, 4));
    CHECK(ckpt_load(path, &m, -1, -1, NULL, NULL, NULL, 0) == NN_EFORMAT);
    CHECK_MSG(strstr(nn_errmsg(), "loss \"hinge\""), "%s", nn_errmsg());

    v[2] = "xent";
    v[0] = "saddle-9";
    CHECK_OK(st_write(path, t, 2, k, v, 4));
    CHECK(ckpt_load(path, &m, -1, -1, NULL, NULL, NULL, 0) == NN_EFORMAT);
    CHECK_MSG(strstr(nn_errmsg(), "\"saddle-9\" is not supported"), "%s", nn_errmsg());
    CHECK(m.theta == NULL);
}

/* ---- atomic writes --------------------------------------------------------- */

static const char OLD[] = "previous contents";

static int file_is_old(const char *path)
{
    size_t len = 0;
    uint8_t *b = slurp(path, &len);
    int same = b && len == sizeof OLD - 1 && !memcmp(b, OLD, len);
    free(b);
    return same;
}

static void write_old(const char *path)
{
    FILE *f = fopen(path, "wb");
    CHECK(f && fwrite(OLD, 1, sizeof OLD - 1, f) == sizeof OLD - 1);
    if (f) fclose(f);
}

TEST(st_write_atomic)
{
    static float big[4096];
    st_tensor t = {.name = "w", .ndim = 1, .shape = {4096}, .data = big};

    /* a directory that does not exist: nothing is created anywhere */
    CHECK(st_write(test_path("no-such-dir/x.safetensors"), &t, 1, NULL, NULL, 0) == NN_EIO);
    CHECK(strstr(nn_errmsg(), "no-such-dir"));
    CHECK(tmpdir_count("no-such-dir") == 0);

    /* the rename fails (the target is a directory): the temp file goes away */
    const char *dir = test_path("isdir");
    CHECK(mkdir(dir, 0700) == 0);
    CHECK(st_write(dir, &t, 1, NULL, NULL, 0) == NN_EIO);
    CHECK(tmpdir_count(".tmp.") == 0);

    /* a write that fails halfway (file size limit) leaves the old file alone */
    const char *path = test_path("keep.safetensors");
    write_old(path);
    struct rlimit old, lim;
    CHECK(getrlimit(RLIMIT_FSIZE, &old) == 0);
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    lim = old;
    lim.rlim_cur = 1000;
    CHECK(setrlimit(RLIMIT_FSIZE, &lim) == 0);
    int rc = st_write(path, &t, 1, NULL, NULL, 0);
    CHECK(setrlimit(RLIMIT_FSIZE, &old) == 0);
    signal(SIGXFSZ, prev);
    CHECK_MSG(rc == NN_EIO, "rc %d: %s", rc, nn_errmsg());
    CHECK(file_is_old(path));
    CHECK(tmpdir_count(".tmp.") == 0);

    /* invalid input is refused before anything touches the disk */
    st_tensor bad = t;
    bad.ndim = 9;
    CHECK(st_write(path, &bad, 1, NULL, NULL, 0) == NN_EINVAL);
    CHECK(file_is_old(path));

    /* and a successful write replaces it */
    CHECK_OK(st_write(path, &t, 1, NULL, NULL, 0));
    CHECK(!file_is_old(path));
    CHECK(tmpdir_count(".tmp.") == 0);
}
