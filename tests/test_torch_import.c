/* Models as PyTorch users save them: F64/F16/BF16 tensors converted to
 * float (against known bit patterns), a Sequential behind a Flatten, a
 * Sequential inside a module, named modules ordered by --map or by how
 * their shapes chain, and the errors that name an ambiguity. The files are
 * written byte by byte: 8-byte header length, JSON header, data. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../nn/nn.h"
#include "test.h"

/* A safetensors file of header json and data [len] at name (scratch dir). */
static const char *st_raw(const char *name, const char *json, const void *data, size_t len)
{
    const char *path = test_path(name);
    size_t hl = strlen(json);
    uint8_t *b = malloc(8 + hl + len);
    if (!b) return NULL;
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)((uint64_t)hl >> (8 * i));
    memcpy(b + 8, json, hl);
    if (len) memcpy(b + 8 + hl, data, len);
    int rc = test_write_file(path, b, 8 + hl + len);
    free(b);
    return rc ? NULL : path;
}

TEST(st_reads_f16_and_bf16_exactly)
{
    /* Half: 1, -2, the smallest subnormal 2^-24, the largest subnormal,
     * the largest finite 65504, 1/3 rounded, -0, +inf. */
    static const uint16_t h[8] = {0x3C00, 0xC000, 0x0001, 0x03FF, 0x7BFF, 0x3555, 0x8000, 0x7C00};
    const float hv[8] = {1.0f, -2.0f, 5.9604644775390625e-08f, 6.0975551605224609e-05f,
                         65504.0f, 0.333251953125f, -0.0f, INFINITY};
    /* bfloat16: 1, -5, 1/3 rounded, the top half of 3.14159274f. */
    static const uint16_t bf[4] = {0x3F80, 0xC0A0, 0x3EAB, 0x4049};
    const float bv[4] = {1.0f, -5.0f, 0.333984375f, 3.140625f};
    uint8_t data[24];
    for (int i = 0; i < 8; i++) {
        data[2 * i] = (uint8_t)h[i];
        data[2 * i + 1] = (uint8_t)(h[i] >> 8);
    }
    for (int i = 0; i < 4; i++) {
        data[16 + 2 * i] = (uint8_t)bf[i];
        data[16 + 2 * i + 1] = (uint8_t)(bf[i] >> 8);
    }
    const char *p = st_raw("half.safetensors",
                           "{\"h\":{\"dtype\":\"F16\",\"shape\":[8],\"data_offsets\":[0,16]},"
                           "\"b\":{\"dtype\":\"BF16\",\"shape\":[2,2],\"data_offsets\":[16,24]}}",
                           data, sizeof data);
    st_file f;
    CHECK_OK(st_read(p, &f));
    const st_tensor *th = st_find(&f, "h"), *tb = st_find(&f, "b");
    CHECK(th && tb);
    if (!th || !tb) return;
    for (int i = 0; i < 8; i++)
        CHECK_MSG(th->data[i] == hv[i] && signbit(th->data[i]) == signbit(hv[i]),
                  "half %04x -> %.9g, expected %.9g", h[i], th->data[i], hv[i]);
    for (int i = 0; i < 4; i++)
        CHECK_MSG(tb->data[i] == bv[i], "bf16 %04x -> %.9g, expected %.9g", bf[i], tb->data[i], bv[i]);
    CHECK(f.src[0].dtype == ST_F16 && f.src[1].dtype == ST_BF16);
    CHECK((uintptr_t)th->data % 16 == 0);
    st_free(&f);
}

TEST(st_reads_f64_with_its_rounding)
{
    const double v[3] = {0.1, -1.0 / 3.0, 1e-50};
    const char *p = st_raw("f64.safetensors",
                           "{\"d\":{\"dtype\":\"F64\",\"shape\":[3],\"data_offsets\":[0,24]}}", v,
                           sizeof v);
    st_file f;
    CHECK_OK(st_read(p, &f));
    if (f.ntensors != 1) return;
    double worst = 0, rel = 0;
    for (int i = 0; i < 3; i++) {
        CHECK(f.tensors[0].data[i] == (float)v[i]);
        double r = fabs(v[i] - (double)(float)v[i]);
        if (r > worst) worst = r;
        if (r / fabs(v[i]) > rel) rel = r / fabs(v[i]);
    }
    CHECK(worst > 0 && f.src[0].round_abs == worst && f.src[0].round_rel == rel);
    CHECK(rel == 1.0); /* 1e-50 underflows to 0: all of it is rounding */
    st_free(&f);

    /* A finite double beyond float's range is refused, not made infinite. */
    const double big[2] = {1.0, 1e300};
    p = st_raw("f64big.safetensors",
               "{\"w\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,16]}}", big, sizeof big);
    CHECK_ERR(st_read(p, &f), NN_EFORMAT, "tensor \"w\" (F64) entry 1 (flat index) is 1e+300");
    CHECK(f.tensors == NULL && f.blob == NULL);
}

/* Weights of a 4-3-2 model, w0 [3][4], b0 [3], w1 [2][3], b1 [2]. */
static float W0[12], B0[3], W1[6], B1[2];

static void weights_fill(void)
{
    for (int i = 0; i < 12; i++) W0[i] = 0.1f * (float)(i - 5);
    for (int i = 0; i < 3; i++) B0[i] = 0.05f * (float)(i + 1);
    for (int i = 0; i < 6; i++) W1[i] = -0.2f * (float)(i - 2);
    for (int i = 0; i < 2; i++) B1[i] = 0.3f * (float)i - 0.1f;
}

/* A torch-style file of the 4-3-2 model with its two layers named a and b. */
static const char *two_layers(const char *file, const char *a, const char *b)
{
    char wa[96], ba[96], wb[96], bb[96];
    snprintf(wa, sizeof wa, "%s.weight", a);
    snprintf(ba, sizeof ba, "%s.bias", a);
    snprintf(wb, sizeof wb, "%s.weight", b);
    snprintf(bb, sizeof bb, "%s.bias", b);
    weights_fill();
    st_tensor t[4] = {{.ndim = 2, .shape = {3, 4}, .data = W0}, {.ndim = 1, .shape = {3}, .data = B0},
                      {.ndim = 2, .shape = {2, 3}, .data = W1}, {.ndim = 1, .shape = {2}, .data = B1}};
    snprintf(t[0].name, sizeof t[0].name, "%s", wa);
    snprintf(t[1].name, sizeof t[1].name, "%s", ba);
    snprintf(t[2].name, sizeof t[2].name, "%s", wb);
    snprintf(t[3].name, sizeof t[3].name, "%s", bb);
    const char *path = test_path(file);
    return st_write(path, t, 4, NULL, NULL, 0) ? NULL : path;
}

static int is_432(const model *m)
{
    return m->nlayers == 2 && m->spec.in == 4 && m->layers[0].out == 3 && m->layers[1].out == 2 &&
           !memcmp(m->theta + m->layers[0].w_off, W0, sizeof W0) &&
           !memcmp(m->theta + m->layers[0].b_off, B0, sizeof B0) &&
           !memcmp(m->theta + m->layers[1].w_off, W1, sizeof W1) &&
           !memcmp(m->theta + m->layers[1].b_off, B1, sizeof B1);
}

TEST(ckpt_reads_a_sequential_after_flatten)
{
    model m;
    char *note = NULL;
    /* nn.Sequential(nn.Flatten(), nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2)) */
    const char *p = two_layers("flat.safetensors", "1", "3");
    CHECK_OK(ckpt_load_map(p, &m, ACT_RELU, -1, NULL, NULL, &note, NULL, NULL, 0));
    CHECK(is_432(&m) && m.layers[0].act == ACT_RELU && m.layers[1].act == ACT_LINEAR);
    CHECK_MSG(note && strstr(note, "read as 4-3relu-2 from the Linear layers 1, 3 (in Sequential "
                             "index order)"), "%s", note ? note : "(none)");
    free(note);
    model_free(&m);
    /* A Dropout after the activation: 1, 4. */
    p = two_layers("drop.safetensors", "1", "4");
    CHECK_OK(ckpt_load(p, &m, ACT_RELU, -1, NULL, NULL, NULL, 0));
    CHECK(is_432(&m));
    model_free(&m);
    /* A Sequential inside a module: net.0, net.2. */
    p = two_layers("net.safetensors", "net.0", "net.2");
    CHECK_OK(ckpt_load(p, &m, ACT_TANH, -1, NULL, NULL, NULL, 0));
    CHECK(is_432(&m) && m.layers[0].act == ACT_TANH);
    model_free(&m);
    /* Two Linear layers side by side leave no room for the activation. */
    p = two_layers("adj.safetensors", "1", "2");
    CHECK_ERR(ckpt_load(p, &m, ACT_RELU, -1, NULL, NULL, NULL, 0), NN_EFORMAT,
              "\"1.weight\" and \"2.weight\" are next to each other");
    CHECK(m.theta == NULL);
}

TEST(ckpt_reads_named_modules_by_shape)
{
    model m;
    char *note = NULL;
    /* JSON key order is not layer order: "out" sorts before "hidden". */
    const char *p = two_layers("named.safetensors", "hidden", "out");
    CHECK_OK(ckpt_load_map(p, &m, ACT_RELU, -1, NULL, NULL, &note, NULL, NULL, 0));
    CHECK(is_432(&m));
    CHECK_MSG(note && strstr(note, "layers hidden, out (in the one order their shapes chain)"),
              "%s", note ? note : "(none)");
    free(note);
    model_free(&m);
    /* Mixed names (a Sequential body and a head) chain by shape too. */
    p = two_layers("mixed.safetensors", "body.0", "head");
    CHECK_OK(ckpt_load(p, &m, ACT_RELU, -1, NULL, NULL, NULL, 0));
    CHECK(is_432(&m));
    model_free(&m);
}

/* fc1 [3,4], fc2 [3,3], fc3 [3,3], out [2,3]: two hidden layers of one
 * shape, so the shapes alone cannot order them. */
static const char *square_file(float *w2, float *w3)
{
    static float w1[12], b[3], w4[6], b4[2];
    for (int i = 0; i < 9; i++) {
        w2[i] = (float)i;
        w3[i] = -(float)i;
    }
    st_tensor t[8] = {
        {.name = "fc1.weight", .ndim = 2, .shape = {3, 4}, .data = w1},
        {.name = "fc1.bias", .ndim = 1, .shape = {3}, .data = b},
        {.name = "fc2.weight", .ndim = 2, .shape = {3, 3}, .data = w2},
        {.name = "fc2.bias", .ndim = 1, .shape = {3}, .data = b},
        {.name = "fc3.weight", .ndim = 2, .shape = {3, 3}, .data = w3},
        {.name = "fc3.bias", .ndim = 1, .shape = {3}, .data = b},
        {.name = "out.weight", .ndim = 2, .shape = {2, 3}, .data = w4},
        {.name = "out.bias", .ndim = 1, .shape = {2}, .data = b4},
    };
    const char *path = test_path("square.safetensors");
    return st_write(path, t, 8, NULL, NULL, 0) ? NULL : path;
}

TEST(ckpt_named_modules_ambiguity_and_map)
{
    float w2[9], w3[9];
    const char *p = square_file(w2, w3);
    model m;
    CHECK_ERR(ckpt_load(p, &m, ACT_RELU, -1, NULL, NULL, NULL, 0), NN_EFORMAT,
              "the layers' shapes chain in more than one order (fc1,fc2,fc3,out and "
              "fc1,fc3,fc2,out): give the order with --map, e.g. --map fc1,fc2,fc3,out");
    CHECK(m.theta == NULL);
    /* --map decides: fc3 before fc2. */
    CHECK_OK(ckpt_load_map(p, &m, ACT_RELU, -1, "fc1,fc3,fc2,out", NULL, NULL, NULL, NULL, 0));
    if (m.theta) {
        CHECK(m.nlayers == 4);
        CHECK(!memcmp(m.theta + m.layers[1].w_off, w3, sizeof w3));
        CHECK(!memcmp(m.theta + m.layers[2].w_off, w2, sizeof w2));
        model_free(&m);
    }
    CHECK_ERR(ckpt_load_map(p, &m, ACT_RELU, -1, "fc1,fc2,fc4,out", NULL, NULL, NULL, NULL, 0),
              NN_EINVAL, "--map names \"fc4\", but the file has no \"fc4.weight\" (its layers: "
              "fc1,fc2,fc3,out)");
    CHECK_ERR(ckpt_load_map(p, &m, ACT_RELU, -1, "fc1,fc2,out", NULL, NULL, NULL, NULL, 0),
              NN_EINVAL, "--map leaves out layer \"fc3\"");
    CHECK_ERR(ckpt_load_map(p, &m, ACT_RELU, -1, "fc1,fc2,fc2,out", NULL, NULL, NULL, NULL, 0),
              NN_EINVAL, "--map names \"fc2\" twice");
    CHECK_ERR(ckpt_load_map(p, &m, ACT_RELU, -1, "fc1,,fc2,out", NULL, NULL, NULL, NULL, 0),
              NN_EINVAL, "--map names \"\"");
    /* A map whose shapes do not chain says where. */
    CHECK_ERR(ckpt_load_map(p, &m, ACT_RELU, -1, "fc2,fc1,fc3,out", NULL, NULL, NULL, NULL, 0),
              NN_EFORMAT, "tensor \"fc1.weight\" has shape [3, 4] but the previous layer "
              "\"fc2.weight\" has 3 outputs");
    CHECK(m.theta == NULL);
}

TEST(ckpt_named_modules_errors)
{
    static float z[64];
    model m;
    const char *p = test_path("nochain.safetensors");
    st_tensor t[4] = {{.name = "a.weight", .ndim = 2, .shape = {3, 4}, .data = z},
                      {.name = "a.bias", .ndim = 1, .shape = {3}, .data = z},
                      {.name = "b.weight", .ndim = 2, .shape = {2, 5}, .data = z},
                      {.name = "b.bias", .ndim = 1, .shape = {2}, .data = z}};
    CHECK_OK(st_write(p, t, 4, NULL, NULL, 0));
    CHECK_ERR(ckpt_load(p, &m, ACT_RELU, -1, NULL, NULL, NULL, 0), NN_EFORMAT,
              "the layers' shapes chain in no order (each layer's input width the previous "
              "one's output): a [3, 4], b [2, 5]");
    t[2].shape[1] = 3;
    CHECK_OK(st_write(p, t, 3, NULL, NULL, 0)); /* b.bias missing */
    CHECK_ERR(ckpt_load(p, &m, ACT_RELU, -1, NULL, NULL, NULL, 0), NN_EFORMAT,
              "missing tensor \"b.bias\" (expected shape [2])");
    st_tensor u[3] = {t[0], t[1], t[3]}; /* b.bias without b.weight */
    CHECK_OK(st_write(p, u, 3, NULL, NULL, 0));
    CHECK_ERR(ckpt_load(p, &m, ACT_RELU, -1, NULL, NULL, NULL, 0), NN_EFORMAT,
              "tensor \"b.bias\" has no \"b.weight\"");
    snprintf(u[2].name, sizeof u[2].name, "b.running_mean");
    CHECK_OK(st_write(p, u, 3, NULL, NULL, 0));
    CHECK_ERR(ckpt_load(p, &m, ACT_RELU, -1, NULL, NULL, NULL, 0), NN_EFORMAT,
              "unexpected tensor \"b.running_mean\"");
    CHECK(m.theta == NULL);
}

TEST(ckpt_reads_f64_model_with_a_note)
{
    /* The 4-3-2 model as F64 (what model.double() saves). */
    weights_fill();
    double d[23];
    const float *parts[4] = {W0, B0, W1, B1};
    const int cnt[4] = {12, 3, 6, 2};
    int k = 0;
    for (int t = 0; t < 4; t++)
        for (int i = 0; i < cnt[t]; i++) d[k++] = (double)parts[t][i] + 1e-9 * (i + 1);
    const char *p = st_raw("f64model.safetensors",
                           "{\"0.weight\":{\"dtype\":\"F64\",\"shape\":[3,4],\"data_offsets\":[0,96]},"
                           "\"0.bias\":{\"dtype\":\"F64\",\"shape\":[3],\"data_offsets\":[96,120]},"
                           "\"2.weight\":{\"dtype\":\"F64\",\"shape\":[2,3],\"data_offsets\":[120,168]},"
                           "\"2.bias\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[168,184]}}",
                           d, sizeof d);
    model m;
    char *note = NULL;
    CHECK_OK(ckpt_load_map(p, &m, ACT_RELU, -1, NULL, NULL, &note, NULL, NULL, 0));
    if (!m.theta) return;
    double worst = 0;
    for (int i = 0; i < 23; i++) {
        CHECK(m.theta[i] == (float)d[i]);
        if (fabs(d[i] - (double)(float)d[i]) > worst) worst = fabs(d[i] - (double)(float)d[i]);
    }
    char want[64];
    snprintf(want, sizeof want, "largest rounding %.3g", worst);
    CHECK_MSG(note && strstr(note, "converted to float32: 4 F64 tensors (0.weight, 0.bias, "
                             "2.weight, 2.bias)") && strstr(note, want), "%s", note ? note : "(none)");
    free(note);
    model_free(&m);
}

/* A 2-4-4-4-3 model for configs/spirals.ini under the given four names. */
static const char *spiral_file(const char *file, const char *const *names)
{
    static float w[4][16], bias[4][4];
    for (int l = 0; l < 4; l++)
        for (int i = 0; i < 16; i++) {
            w[l][i] = 0.3f * sinf((float)(7 * l + i));
            bias[l][i % 4] = 0.1f * (float)(l - i % 4);
        }
    const int64_t in[4] = {2, 4, 4, 4}, out[4] = {4, 4, 4, 3};
    st_tensor t[8];
    memset(t, 0, sizeof t);
    for (int l = 0; l < 4; l++) {
        snprintf(t[2 * l].name, sizeof t[0].name, "%s.weight", names[l]);
        snprintf(t[2 * l + 1].name, sizeof t[0].name, "%s.bias", names[l]);
        t[2 * l].ndim = 2;
        t[2 * l].shape[0] = out[l];
        t[2 * l].shape[1] = in[l];
        t[2 * l].data = w[l];
        t[2 * l + 1].ndim = 1;
        t[2 * l + 1].shape[0] = out[l];
        t[2 * l + 1].data = bias[l];
    }
    const char *path = test_path(file);
    return st_write(path, t, 8, NULL, NULL, 0) ? NULL : path;
}

/* "loss X  acc Y" of a `saddle eval` output, copied into buf. */
static const char *eval_numbers(const char *text, char *buf, size_t len)
{
    const char *l = text ? strstr(text, " loss ") : NULL;
    const char *e = l ? strstr(l, "  (") : NULL;
    snprintf(buf, len, "%.*s", l && e ? (int)(e - l) : 0, l ? l : "");
    return buf;
}

/* The same model as named modules and in saddle's Sequential numbering
 * gives the same loss through `saddle eval`; an ambiguous file is refused
 * naming --map, and a probe's --map reaches its sidecar's invocation. */
TEST(cli_eval_named_modules)
{
    static const char *const seq[4] = {"0", "2", "4", "6"}, *named[4] = {"fc1", "fc2", "fc3", "out"};
    static const char *const swapped[4] = {"0", "4", "2", "6"};
    char ref[1200], nm[1200], args[3000], want[200], got[200], alt[200];
    const char *p = spiral_file("seq.safetensors", seq), *text;
    snprintf(ref, sizeof ref, "%s", p ? p : "");
    p = spiral_file("named.safetensors", named);
    snprintf(nm, sizeof nm, "%s", p ? p : "");
    const char *cfg = "--act tanh --config configs/spirals.ini --limit 100";

    snprintf(args, sizeof args, "eval %s %s", ref, cfg);
    CHECK_MSG(test_saddle(args, &text) == 0, "%s", text);
    eval_numbers(text, want, sizeof want);
    CHECK_MSG(want[0], "%s", text);

    snprintf(args, sizeof args, "eval %s %s", nm, cfg);
    CHECK(test_saddle(args, &text) != 0);
    CHECK_MSG(strstr(text, "chain in more than one order") && strstr(text, "--map fc1,fc2,fc3,out"),
              "%s", text);
    snprintf(args, sizeof args, "eval %s %s --map fc1,fc2,fc3,out", nm, cfg);
    CHECK_MSG(test_saddle(args, &text) == 0, "%s", text);
    CHECK_MSG(strstr(text, "read as 2-4tanh-4tanh-4tanh-3 from the Linear layers fc1, fc2, fc3, "
                     "out (in the order --map gives)"), "%s", text);
    CHECK_MSG(!strcmp(eval_numbers(text, got, sizeof got), want), "named %s, Sequential %s", got, want);
    /* The other order is another function: the test can tell them apart. */
    snprintf(args, sizeof args, "eval %s %s --map fc1,fc3,fc2,out", nm, cfg);
    CHECK_MSG(test_saddle(args, &text) == 0, "%s", text);
    CHECK_MSG(strcmp(eval_numbers(text, alt, sizeof alt), want), "fc3 before fc2 gives %s too", alt);
    /* ... and the one a Sequential of that order computes. */
    p = spiral_file("swapped.safetensors", swapped);
    snprintf(args, sizeof args, "eval %s %s", p ? p : "", cfg);
    CHECK_MSG(test_saddle(args, &text) == 0, "%s", text);
    CHECK_MSG(!strcmp(eval_numbers(text, got, sizeof got), alt), "%s vs %s", got, alt);

    snprintf(args, sizeof args, "surface %s --act tanh --config configs/spirals.ini --map "
             "fc1,fc2,fc3,out --grid 3 --limit 20 --out %s", nm, test_path("mapped"));
    CHECK_MSG(test_saddle(args, &text) == 0, "%s", text);
    size_t len = 0;
    char *js = (char *)test_read_file(test_join(test_path("mapped"), "slice.json"), &len);
    CHECK_MSG(js && strstr(js, "\"map\":\t\"fc1,fc2,fc3,out\""), "%s", js ? js : "(no sidecar)");
    free(js);
}
