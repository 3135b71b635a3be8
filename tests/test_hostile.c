/* Hostile and odd files: labels beyond the model's outputs, checkpoints with
 * NaN weights or metadata that promises huge layers, files of the wrong kind
 * where a checkpoint is expected, FIFOs where a file is expected, and IDX or
 * gzip data whose sizes would amplify into huge allocations. */
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "../datasets/fileio.h"
#include "../nn/nn.h"
#include "../probes/npy.h"
#include "test.h"

/* A 2-8tanh-3 model saved with the given stored config (NULL: none). */
static void small_ckpt(const char *path, const char *config_text)
{
    model m;
    model_spec s = {0};
    s.in = 2;
    s.nlayers = 2;
    s.layers[0] = (layer_spec){8, ACT_TANH, -1};
    s.layers[1] = (layer_spec){3, ACT_LINEAR, -1};
    s.loss = LOSS_XENT;
    s.leaky_slope = 0.01f;
    CHECK_OK(model_build(&m, &s));
    model_init_params(&m, 7);
    ckpt_info info = {.step = 1, .epoch = 1, .seed = 1, .config_text = (char *)config_text};
    CHECK_OK(ckpt_save(path, &m, m.theta, &info, NULL, NULL, 0));
    model_free(&m);
}

/* 2,000 examples of 1,000 classes: labels far enough past 3 logits that the
 * old unchecked loss read beyond the logit buffer (ASan: heap-buffer-overflow
 * in loss_forward_backward), not only into the next example's row. */
static const char SPIRALS_1000[] =
    "[data]\nname = spirals\nsynth_n = 2000\nsynth_test_n = 2000\nsynth_classes = 1000\n"
    "normalize = none\n[model]\nlayers = 8 tanh, 3\n";
static const char SPIRALS_3[] =
    "[data]\nname = spirals\nsynth_n = 300\nsynth_test_n = 200\nsynth_classes = 3\n"
    "normalize = none\n[model]\nlayers = 8 tanh, 3\n";

/* ---- labels beyond the model's outputs ----------------------------------- */

TEST(labels_are_checked_against_the_outputs)
{
    model m;
    model_spec s = {0};
    s.in = 2;
    s.nlayers = 1;
    s.layers[0] = (layer_spec){3, ACT_LINEAR, -1};
    s.loss = LOSS_XENT;
    CHECK_OK(model_build(&m, &s));
    float x[8] = {0};
    int32_t y[4] = {0, 1, 2, 2};
    dataset d = {.n = 4, .dim = 2, .classes = 3, .x = x, .y = y};
    CHECK_OK(model_data_check(&m, &d, NULL, 4, "m"));
    y[3] = 5; /* a label the logits do not have, with a `classes` that lies */
    CHECK_ERR(model_data_check(&m, &d, NULL, 4, "m"), NN_EINVAL, "example 3 has label 5");
    size_t idx[2] = {1, 0}; /* a subset that avoids it is fine */
    CHECK_OK(model_data_check(&m, &d, idx, 2, "m"));
    y[3] = -1;
    CHECK_ERR(model_data_check(&m, &d, NULL, 4, "m"), NN_EINVAL, "label -1");
    y[3] = 2;
    d.classes = 10;
    CHECK_ERR(model_data_check(&m, &d, NULL, 4, "m"), NN_EINVAL, "10 classes");
    d.classes = 3;
    d.dim = 5;
    CHECK_ERR(model_data_check(&m, &d, NULL, 4, "m"), NN_EINVAL, "takes 2 inputs");
    model_free(&m);
}

/* The loss keeps its own check for a caller that forgot model_data_check:
 * a label past the logits stops the process instead of reading (or, with a
 * gradient, writing) past them. */
TEST(loss_aborts_on_a_label_past_the_logits)
{
    pid_t pid = fork();
    if (pid == 0) {
        freopen("/dev/null", "w", stderr);
        float f[6] = {0}, df[6];
        int32_t y[2] = {1, 5};
        loss_forward_backward(LOSS_XENT, 2, 3, f, y, 0.5f, df, NULL);
        _exit(0);
    }
    int st = 0;
    CHECK(pid > 0 && waitpid(pid, &st, 0) == pid);
    CHECK_MSG(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT, "status %d", st);
}

/* Every command that pairs a checkpoint with data refuses labels the model
 * has no output for (before, they were read, and in gradient paths written,
 * past the logits: a heap overflow under ASan). */
TEST(cli_refuses_labels_beyond_the_outputs)
{
    char ck[512], good[512], out[512], args[2048];
    snprintf(ck, sizeof ck, "%s", test_path("classes1000.safetensors"));
    snprintf(good, sizeof good, "%s", test_path("classes3.safetensors"));
    snprintf(out, sizeof out, "%s", test_path("classes-out"));
    small_ckpt(ck, SPIRALS_1000);
    small_ckpt(good, SPIRALS_3);
    const char *text;
    static const char *const CMDS[] = {
        "eval %s",
        "eval %s --data train",
        "hessian %s --limit 100 --top 1 --out %s",
        "sharpness %s --limit 100 --p 10 --out %s",
        "surface %s --grid 3 --limit 100 --out %s",
        "surface %s --grid 3x3 --limit 100 --out %s",
    };
    for (size_t i = 0; i < sizeof CMDS / sizeof *CMDS; i++) {
        snprintf(args, sizeof args, CMDS[i], ck, out);
        int rc = test_saddle(args, &text);
        CHECK_MSG(rc != 0 && strstr(text, "outputs") && strstr(text, "1000 classes"),
                  "saddle %s -> %d: %s", args, rc, text);
    }
    /* The same model through --set on the command line. */
    snprintf(args, sizeof args, "eval %s --set data.synth_classes=1000", good);
    CHECK_MSG(test_saddle(args, &text) != 0 && strstr(text, "outputs"), "%s", text);
    snprintf(args, sizeof args, "eval %s", good);
    CHECK_MSG(test_saddle(args, &text) == 0, "%s", text);
}

/* ---- checkpoints ------------------------------------------------------------ */

TEST(ckpt_with_nonfinite_weights_is_refused_by_name)
{
    char path[512];
    snprintf(path, sizeof path, "%s", test_path("nan.safetensors"));
    const float bad[3] = {NAN, INFINITY, -INFINITY};
    const char *what[3] = {"NaN", "+Inf", "-Inf"};
    for (int k = 0; k < 3; k++) {
        model m;
        model_spec s = {0};
        s.in = 2;
        s.nlayers = 2;
        s.layers[0] = (layer_spec){4, ACT_TANH, -1};
        s.layers[1] = (layer_spec){3, ACT_LINEAR, -1};
        s.loss = LOSS_XENT;
        CHECK_OK(model_build(&m, &s));
        model_init_params(&m, 1);
        m.theta[m.layers[1].w_off + 5] = bad[k];
        CHECK_OK(ckpt_save(path, &m, m.theta, NULL, NULL, NULL, 0));
        model_free(&m);
        model got;
        CHECK_ERR(ckpt_load(path, &got, -1, -1, NULL, NULL, NULL, 0), NN_ENAN,
                  "tensor \"2.weight\" entry 5");
        CHECK_MSG(strstr(nn_errmsg(), what[k]), "%s", nn_errmsg());
        CHECK(got.theta == NULL);
    }
    char args[1024];
    const char *text;
    snprintf(args, sizeof args, "eval %s --set data.name=spirals --set data.normalize=none", path);
    CHECK_MSG(test_saddle(args, &text) != 0 && strstr(text, "2.weight"), "%s", text);
}

/* Peak resident memory of this process, in bytes. */
static long long peak_rss(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (long long)ru.ru_maxrss * 1024;
}

/* A few-kilobyte file whose metadata claims 2-16384tanh-16384tanh-3 (1 GB
 * of θ) is refused on its tensor shapes before θ is allocated. */
TEST(ckpt_metadata_cannot_size_a_huge_model)
{
    char path[512];
    snprintf(path, sizeof path, "%s", test_path("amplify.safetensors"));
    float w0[16], b0[8], w1[16], b1[2];
    memset(w0, 0, sizeof w0);
    memset(b0, 0, sizeof b0);
    memset(w1, 0, sizeof w1);
    memset(b1, 0, sizeof b1);
    st_tensor t[4] = {{"0.weight", 2, {8, 2}, w0}, {"0.bias", 1, {8}, b0},
                      {"2.weight", 2, {2, 8}, w1}, {"2.bias", 1, {2}, b1}};
    const char *k[] = {"format", "arch", "loss"};
    const char *v[] = {"saddle-1", "2-16384tanh-16384tanh-3", "xent"};
    CHECK_OK(st_write(path, t, 4, k, v, 3));
    /* Forked, so the peak of the rest of the suite does not hide this one's. */
    pid_t pid = fork();
    if (pid == 0) {
        long long before = peak_rss();
        model m;
        int rc = ckpt_load(path, &m, -1, -1, NULL, NULL, NULL, 0);
        int ok = rc == NN_EFORMAT && strstr(nn_errmsg(), "needs [16384, 2]") &&
                 peak_rss() - before < (64ll << 20);
        if (!ok) fprintf(stderr, "rc %d, %s, peak +%lld bytes\n", rc, nn_errmsg(),
                         peak_rss() - before);
        _exit(ok ? 0 : 1);
    }
    int st = 0;
    CHECK(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

TEST(absurd_layer_widths_are_config_errors)
{
    config c;
    config_defaults(&c);
    static const char WIDE[] = "[model]\nlayers = 1048576 relu, 10\n";
    CHECK_ERR(config_parse(&c, WIDE, strlen(WIDE), "wide.ini"), NN_ECONFIG, "wide.ini");
    static const char MANY[] = "[model]\nlayers = 60000 relu, 60000 relu, 10\n";
    CHECK_ERR(config_parse(&c, MANY, strlen(MANY), "many.ini"), NN_ECONFIG, "parameters");
    /* model_build refuses the count itself before allocating θ. */
    model m;
    model_spec s = {0};
    s.in = 1 << 20;
    s.nlayers = 2;
    s.layers[0] = (layer_spec){1024, ACT_RELU, -1};
    s.layers[1] = (layer_spec){10, ACT_LINEAR, -1};
    CHECK_ERR(model_build(&m, &s), NN_EINVAL, "parameters, more than the limit");
    CHECK(m.theta == NULL);
}

/* ---- the wrong kind of file --------------------------------------------------- */

TEST(wrong_files_are_named_not_a_safetensors_file)
{
    char path[512];
    st_file f;
    static const struct { const char *name, *text, *kind; } T[] = {
        {"log.csv", "step,epoch,lr,train_loss,train_acc\n1,1,0.1,2.3,0.1\n", "CSV"},
        {"config.ini", "[data]\nname = spirals\n", "INI"},
        {"summary.json", "{\n  \"steps\": 100,\n  \"test_acc\": 0.9\n}\n", "JSON"},
    };
    for (size_t i = 0; i < sizeof T / sizeof *T; i++) {
        snprintf(path, sizeof path, "%s", test_path(T[i].name));
        CHECK(test_write_file(path, T[i].text, strlen(T[i].text)) == 0);
        CHECK_ERR(st_read(path, &f), NN_EFORMAT, "not a safetensors file");
        CHECK_MSG(strstr(nn_errmsg(), T[i].kind) && !strstr(nn_errmsg(), "absurd"), "%s",
                  nn_errmsg());
    }
    snprintf(path, sizeof path, "%s", test_path("surface.npy"));
    double z[4] = {1, 2, 3, 4};
    size_t shape[1] = {4};
    CHECK_OK(npy_write_f64(path, z, 1, shape));
    CHECK_ERR(st_read(path, &f), NN_EFORMAT, "not a safetensors file");
    CHECK_MSG(strstr(nn_errmsg(), ".npy"), "%s", nn_errmsg());
    /* and through a command, naming what was expected */
    char args[1024];
    const char *text;
    snprintf(args, sizeof args, "eval %s", path);
    CHECK_MSG(test_saddle(args, &text) != 0 && strstr(text, "not a safetensors file"), "%s",
              text);
}

/* "\u0000" in a tensor name would make cJSON cut the name short. */
TEST(escaped_nul_in_header_is_refused)
{
    static const char *const H[] = {
        "{\"0.weight\\u0000x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
        "{\"__metadata__\":{\"arch\":\"2-3\\u0000\"},"
        "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
    };
    for (int i = 0; i < 2; i++) {
        size_t hl = strlen(H[i]), len = 8 + hl + 4;
        uint8_t *b = calloc(1, len);
        for (int k = 0; k < 8; k++) b[k] = (uint8_t)((uint64_t)hl >> (8 * k));
        memcpy(b + 8, H[i], hl);
        st_file f;
        CHECK_ERR(st_parse(b, len, "nul.st", &f), NN_EFORMAT, "escaped NUL");
        free(b);
    }
    /* an escaped backslash followed by "u0000" is text, not a NUL */
    static const char OK[] =
        "{\"a\\\\u0000\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
    size_t hl = strlen(OK), len = 8 + hl + 4;
    uint8_t *b = calloc(1, len);
    for (int k = 0; k < 8; k++) b[k] = (uint8_t)((uint64_t)hl >> (8 * k));
    memcpy(b + 8, OK, hl);
    st_file f;
    CHECK_OK(st_parse(b, len, "ok.st", &f));
    CHECK(f.ntensors == 1 && !strcmp(f.tensors[0].name, "a\\u0000"));
    st_free(&f);
    free(b);
}

/* ---- special files ------------------------------------------------------------ */

static void on_alarm(int sig) { (void)sig; }

/* Every reader of a user's file refuses a FIFO at once (before, st_read and
 * idx_read blocked in open() until a writer came, config_load too: `train`,
 * `eval` and `--resume` hung forever). The alarm turns a hang into EINTR
 * and a failed check instead of a stuck suite. */
TEST(readers_refuse_a_fifo_at_once)
{
    char fifo[512];
    snprintf(fifo, sizeof fifo, "%s", test_path("fifo.safetensors"));
    CHECK(mkfifo(fifo, 0600) == 0);
    struct sigaction sa = {0}, old;
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, &old);

    alarm(3);
    st_file f;
    CHECK_ERR(st_read(fifo, &f), NN_EIO, "a FIFO");
    alarm(3);
    model m;
    CHECK_ERR(ckpt_load(fifo, &m, -1, -1, NULL, NULL, NULL, 0), NN_EIO, "a FIFO");
    alarm(3);
    idx_array a;
    CHECK_ERR(idx_read(fifo, &a), NN_EIO, "a FIFO");
    alarm(3);
    dataset d;
    CHECK_ERR(idx_load_pair(fifo, fifo, &d), NN_EIO, "a FIFO");
    alarm(3);
    config c;
    config_defaults(&c);
    CHECK_ERR(config_load(&c, fifo), NN_EIO, "a FIFO");
    alarm(3);
    double *z = NULL;
    int nd;
    size_t shape[NPY_MAX_DIMS];
    CHECK_ERR(npy_read_f64(fifo, &z, &nd, shape), NN_EIO, "a FIFO");
    alarm(0);
    sigaction(SIGALRM, &old, NULL);
    /* a directory is no file either */
    CHECK_ERR(st_read(test_tmpdir(), &f), NN_EIO, "a directory");
    CHECK_ERR(config_load(&c, test_tmpdir()), NN_EIO, "a directory");
    unlink(fifo);
}

/* ---- sizes from files ------------------------------------------------------------ */

/* A 16-byte IDX file of 0 x 2^28 x 2^28 images is an empty set with an
 * absurd image shape: refused at load, before data.resize sizes its weight
 * tables from that shape (gigabytes, or an ASan abort). */
TEST(idx_empty_set_with_huge_images_is_refused)
{
    char im[512], lb[512];
    snprintf(im, sizeof im, "%s", test_path("empty-images.idx"));
    snprintf(lb, sizeof lb, "%s", test_path("empty-labels.idx"));
    const uint8_t I[16] = {0, 0, 0x08, 3, 0, 0, 0, 0, 0x10, 0, 0, 0, 0x10, 0, 0, 0};
    const uint8_t L[8] = {0, 0, 0x08, 1, 0, 0, 0, 0};
    CHECK(test_write_file(im, I, sizeof I) == 0 && test_write_file(lb, L, sizeof L) == 0);
    dataset d;
    CHECK_ERR(idx_load_pair(im, lb, &d), NN_EFORMAT, "holds no examples");
    CHECK(d.x == NULL && d.y == NULL);

    /* 2 x 4097 x 4097: one feature over the limit */
    uint8_t I2[16] = {0, 0, 0x08, 3, 0, 0, 0, 2, 0, 0, 0x10, 0x01, 0, 0, 0x10, 0x01};
    size_t n2 = 16 + 2 * (size_t)4097 * 4097;
    uint8_t *big = calloc(1, n2);
    memcpy(big, I2, 16);
    const uint8_t L2[10] = {0, 0, 0x08, 1, 0, 0, 0, 2, 0, 1};
    CHECK(test_write_file(im, big, n2) == 0 && test_write_file(lb, L2, sizeof L2) == 0);
    free(big);
    CHECK_ERR(idx_load_pair(im, lb, &d), NN_EFORMAT, "more than the limit");
}

TEST(resize_refuses_weight_tables_sized_by_a_file)
{
    /* An image shape a file could declare: 1 row of 2^24 pixels. */
    dataset d = {.n = 0, .dim = (size_t)1 << 24, .classes = 2, .rows = 1, .cols = 1 << 24};
    CHECK_ERR(dataset_resize(&d, 1, 1 << 16), NN_EINVAL, "weight tables");
    CHECK(d.x == NULL);
}

/* gzip of len bytes at src, as one member (zlib's gzip wrapper). */
static uint8_t *gzip_of(const uint8_t *src, size_t len, size_t *outlen)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    size_t cap = deflateBound(&zs, (uLong)len) + 64;
    uint8_t *o = malloc(cap);
    zs.next_in = (Bytef *)src;
    zs.avail_in = (uInt)len;
    zs.next_out = o;
    zs.avail_out = (uInt)cap;
    int rc = deflate(&zs, Z_FINISH);
    *outlen = cap - zs.avail_out;
    deflateEnd(&zs);
    if (rc != Z_STREAM_END) {
        free(o);
        return NULL;
    }
    return o;
}

/* An IDX header that says 10 bytes follow, then 32 MB of zeros: inflating
 * stops just past the announced size, not at the 2 GiB cap (the old reader
 * inflated all 32 MB and then found the trailing bytes). */
TEST(gzip_stops_past_the_size_its_idx_header_announces)
{
    size_t len = 32u << 20, glen;
    uint8_t *plain = calloc(1, len);
    const uint8_t H[8] = {0, 0, 0x08, 1, 0, 0, 0, 10};
    memcpy(plain, H, sizeof H);
    uint8_t *gz = gzip_of(plain, len, &glen);
    free(plain);
    CHECK(gz != NULL);
    uint8_t *out = NULL;
    size_t olen = 0;
    CHECK_ERR(idx_gunzip(gz, glen, "bomb.gz", IDX_GZIP_CAP, &out, &olen), NN_EFORMAT,
              "past the 18 bytes its IDX header announces");
    CHECK(out == NULL);
    /* through the file reader too */
    char path[512];
    snprintf(path, sizeof path, "%s", test_path("bomb-idx.gz"));
    CHECK(test_write_file(path, gz, glen) == 0);
    idx_array a;
    CHECK_ERR(idx_read(path, &a), NN_EFORMAT, "announces");
    free(gz);
    /* an honest file still reads, and one that is shorter than announced is
     * still reported as truncated */
    uint8_t ok[18] = {0, 0, 0x08, 1, 0, 0, 0, 10, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    gz = gzip_of(ok, sizeof ok, &glen);
    CHECK_OK(idx_gunzip(gz, glen, "ok.gz", IDX_GZIP_CAP, &out, &olen));
    CHECK(olen == sizeof ok && out && !memcmp(out, ok, sizeof ok));
    free(out);
    free(gz);
}

/* A probe on data of the wrong width says so (it used to read the closed
 * data set for its message and crash), and --dirs given a file of the wrong
 * kind says what a directions file is. */
TEST(cli_probe_wrong_width_and_wrong_dirs_file)
{
    char ini[512], csv[512], args[2048];
    snprintf(ini, sizeof ini, "%s", test_path("blobs3.ini"));
    snprintf(csv, sizeof csv, "%s", test_path("dirs-log.csv"));
    static const char INI[] = "[data]\nname = blobs\nsynth_dim = 3\nsynth_classes = 2\n"
                              "normalize = none\n[model]\nlayers = 3 relu, 2\n";
    static const char CSV[] = "step,epoch,lr,train_loss\n1,1,0.1,2.3\n";
    CHECK(test_write_file(ini, INI, strlen(INI)) == 0);
    CHECK(test_write_file(csv, CSV, strlen(CSV)) == 0);
    const char *text;
    snprintf(args, sizeof args, "surface tests/data/torch_seq_4_3_2.safetensors --act relu "
             "--config %s --grid 3 --out %s", ini, test_path("wrong-width"));
    int rc = test_saddle(args, &text);
    CHECK_MSG(rc == 1 && strstr(text, "takes 4 inputs but the data has 3 features"),
              "-> %d: %s", rc, text);
    char ini4[512];
    snprintf(ini4, sizeof ini4, "%s", test_path("blobs4.ini"));
    static const char INI4[] = "[data]\nname = blobs\nsynth_dim = 4\nsynth_classes = 2\n"
                               "normalize = none\n[model]\nlayers = 3 relu, 2\n";
    CHECK(test_write_file(ini4, INI4, strlen(INI4)) == 0);
    snprintf(args, sizeof args, "surface tests/data/torch_seq_4_3_2.safetensors --act relu "
             "--config %s --dirs %s --grid 3 --out %s", ini4, csv, test_path("wrong-dirs"));
    rc = test_saddle(args, &text);
    CHECK_MSG(rc == 1 && strstr(text, "not a safetensors file") &&
              strstr(text, "directions are a safetensors file"), "-> %d: %s", rc, text);
}

/* After a NaN stop the trainer's last.safetensors holds the last finite θ,
 * so the NaN check of ckpt_load never stands between a user and --resume:
 * the resumed run loads it and meets the same divergence at the same step. */
TEST(resume_after_a_nan_stop_loads_the_last_good_checkpoint)
{
    char dir[512], args[2048];
    snprintf(dir, sizeof dir, "%s", test_path("nan-run"));
    snprintf(args, sizeof args, "train configs/spirals.ini --out %s --set optimizer.type=sgd "
             "--set optimizer.lr=100 --set train.epochs=3 --set train.ckpt_every=1 "
             "--set train.threads=1 --set 'model.layers=16 linear, 16 linear, 3' "
             "--set loss.type=mse", dir);
    const char *text;
    int rc = test_saddle(args, &text);
    CHECK_MSG(rc != 0 && strstr(text, "training stopped") && strstr(text, "is intact"), "%s",
              text);
    const char *stop = text ? strstr(text, "train: step ") : NULL;
    char first[64] = "";
    if (stop) snprintf(first, sizeof first, "%.*s", (int)strcspn(stop, "("), stop);
    snprintf(args, sizeof args, "train --resume %s", dir);
    rc = test_saddle(args, &text);
    CHECK_MSG(rc != 0 && first[0] && strstr(text, first) && !strstr(text, "entry"), "%s", text);
}

/* synth_n and synth_dim are each within their bounds, their product is
 * 40 TB of floats: a config error in every build, not a failed malloc (or
 * an ASan abort). */
TEST(synthetic_set_size_is_checked_before_allocating)
{
    data_opts o;
    memset(&o, 0, sizeof o);
    snprintf(o.name, sizeof o.name, "blobs");
    o.synth_n = 100000000;
    o.synth_test_n = 600;
    o.synth_dim = 100000;
    o.synth_classes = 3;
    o.seed = 1;
    dataset tr = {0}, va = {0}, te = {0};
    CHECK_ERR(data_load(&o, &tr, &va, &te), NN_ECONFIG, "more than the limit");
    CHECK(tr.x == NULL && te.x == NULL);
}
