/* The config: one table of every key (section, name, type, place in `config`,
 * bounds or choices, default, help), and the INI reader (inih), --set
 * overrides, formatter, atomic writer and help text, all driven by that table. */
#include "nn.h"

#include "../datasets/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Longest accepted line: room for data.dir (1023 bytes) or 32 layer items. */
#define CFG_MAX_LINE 4096
#define CFG_MAX_FILE (1 << 20)
#define CFG_MAX_WIDTH NN_MAX_WIDTH
#define WS " \t\r\n\v\f"

enum { T_INT, T_SIZE, T_U64, T_DOUBLE, T_FLOAT, T_BOOL, T_ENUM, T_ENUMSTR, T_NAMED,
       T_STRING, T_LAYERS };
static const char *const TYPE_NAMES[] = {"int", "size", "uint64", "double", "float", "bool",
                                         "enum", "enum", "enum", "string", "layers"};

typedef struct cfg_choice { const char *name; int value; } cfg_choice;

typedef struct cfg_key {
    const char *section, *key;
    int type;
    size_t off, size;                   /* the field in `config` */
    double lo, hi;                      /* numeric bounds, inclusive unless *_open */
    int lo_open, hi_open;
    const cfg_choice *choices;          /* T_ENUM, T_ENUMSTR: ends with {NULL} */
    const char *(*name_of)(int);        /* T_NAMED: the owning module's name table */
    int (*from_name)(const char *);
    int count;
    const char *def;                    /* the default, as it would be written */
    const char *help;
} cfg_key;

static const char *const SECTIONS[] = {"data", "model", "loss", "optimizer", "schedule",
                                       "train", "monitor"};
#define NSECTIONS ((int)(sizeof SECTIONS / sizeof SECTIONS[0]))

static const cfg_choice DATA_NAMES[] = {{"fashion-mnist", 0}, {"mnist", 0}, {"idx", 0},
                                        {"spirals", 0}, {"blobs", 0}, {"xor", 0}, {NULL, 0}};
static const cfg_choice SUBSETS[] = {{"first", SUBSET_FIRST}, {"random", SUBSET_RANDOM},
                                     {NULL, 0}};
static const cfg_choice NORMS[] = {{"scale", NORM_SCALE}, {"standardize", NORM_STANDARDIZE},
                                   {"none", NORM_NONE}, {"whiten", NORM_WHITEN}, {NULL, 0}};
static const cfg_choice OPTIMS[] = {{"sgd", 0}, {"momentum", 0}, {"nesterov", 0},
                                    {"rmsprop", 0}, {"adam", 0}, {"adamw", 0}, {NULL, 0}};
static const cfg_choice SCHEDS[] = {{"constant", SCHED_CONSTANT}, {"step", SCHED_STEP},
                                    {"cosine", SCHED_COSINE}, {NULL, 0}};
static const cfg_choice SAMS[] = {{"none", SAM_NONE}, {"sam", SAM_SAM}, {"asam", SAM_ASAM},
                                  {NULL, 0}};
static const cfg_choice UNITS[] = {{"epochs", UNIT_EPOCHS}, {"steps", UNIT_STEPS}, {NULL, 0}};

#define FIELD(m) offsetof(config, m), sizeof(((config *)0)->m)
#define BIG HUGE_VAL
/* Numbers: [lo, hi]; NUMX gives flags that make either end exclusive. */
#define NUM(s, k, t, m, lo, hi, d, h) {s, k, t, FIELD(m), lo, hi, .def = d, .help = h}
#define NUMX(s, k, t, m, lo, hi, lo_open, hi_open, d, h) \
    {s, k, t, FIELD(m), lo, hi, lo_open, hi_open, .def = d, .help = h}
#define CHOICE(s, k, t, m, ch, d, h) {s, k, t, FIELD(m), .choices = ch, .def = d, .help = h}
#define NAMED(s, k, m, fn, cnt, d, h) \
    {s, k, T_NAMED, FIELD(m), .name_of = fn##_name, .from_name = fn##_from_name, \
     .count = cnt, .def = d, .help = h}

static const cfg_key KEYS[] = {
    CHOICE("data", "name", T_ENUMSTR, data.name, DATA_NAMES, "fashion-mnist",
           "data set; idx reads train/t10k IDX files from dir"),
    {"data", "dir", T_STRING, FIELD(data.dir), .def = "",
     .help = "directory of the IDX files; empty = the set's default location"},
    NUM("data", "limit", T_SIZE, data.limit, 0, BIG, "0", "training examples to keep; 0 = all"),
    CHOICE("data", "subset", T_ENUM, data.subset, SUBSETS, "first",
           "which examples `limit` keeps: the first ones or a seeded random subset"),
    NUM("data", "test_limit", T_SIZE, data.test_limit, 0, BIG, "0",
        "test examples to keep (the first ones); 0 = all"),
    NUM("data", "val_split", T_DOUBLE, data.val_split, 0, 0.5, "0",
        "fraction of the training data held out for validation"),
    NUM("data", "resize", T_INT, data.resize, 0, 100000, "0",
        "images: area-average to resize x resize pixels (at most the image size; "
        "before normalizing); 0 = off"),
    CHOICE("data", "normalize", T_ENUM, data.normalize, NORMS, "scale",
           "scale: pixels to [0,1]; standardize: per-feature training mean/std; whiten: "
           "PCA whitening with training statistics, features ordered by variance"),
    NUM("data", "synth_n", T_SIZE, data.synth_n, 1, 1e8, "1000",
        "synthetic sets: training examples"),
    NUM("data", "synth_test_n", T_SIZE, data.synth_test_n, 1, 1e8, "500",
        "synthetic sets: test examples"),
    NUM("data", "synth_classes", T_INT, data.synth_classes, 2, 1000, "3",
        "synthetic sets: classes (xor always has 2)"),
    NUM("data", "synth_dim", T_SIZE, data.synth_dim, 1, 100000, "2",
        "synthetic sets: features (blobs only; spirals and xor are 2-D)"),
    NUM("data", "synth_noise", T_DOUBLE, data.synth_noise, 0, 100, "0.2",
        "synthetic sets: noise standard deviation"),
    NUM("data", "seed", T_U64, data.seed, 0, BIG, "0",
        "seed of subset, split and synthetic data; 0 = use train.seed"),

    {"model", "layers", T_LAYERS, FIELD(model), .def = "256 relu, 256 relu, 10",
     .help = "dense layers 'WIDTH [ACTIVATION] [INIT]', comma-separated; hidden layers "
             "default to relu, the last to linear"},
    NAMED("model", "init", model.init, init, INIT_COUNT, "torch",
          "default weight init of layers that name none"),
    NUM("model", "leaky_slope", T_FLOAT, model.leaky_slope, 0, 1, "0.01",
        "negative slope of leaky_relu"),

    NAMED("loss", "type", model.loss, loss, LOSS_COUNT, "xent",
          "xent: softmax cross-entropy; mse: 0.5*||f - onehot(y)||^2"),

    CHOICE("optimizer", "type", T_ENUMSTR, optim.type, OPTIMS, "momentum", "update rule"),
    NUMX("optimizer", "lr", T_DOUBLE, optim.lr, 0, 1000, 1, 0, "0.05",
         "base learning rate (the schedule scales it)"),
    NUMX("optimizer", "momentum", T_DOUBLE, optim.momentum, 0, 1, 0, 1, "0.9",
         "momentum of momentum, nesterov and rmsprop"),
    NUMX("optimizer", "beta1", T_DOUBLE, optim.beta1, 0, 1, 0, 1, "0.9",
         "adam/adamw first-moment decay"),
    NUMX("optimizer", "beta2", T_DOUBLE, optim.beta2, 0, 1, 0, 1, "0.999",
         "adam/adamw second-moment decay"),
    NUMX("optimizer", "alpha", T_DOUBLE, optim.alpha, 0, 1, 0, 1, "0.99",
         "rmsprop smoothing constant"),
    NUMX("optimizer", "eps", T_DOUBLE, optim.eps, 0, 1, 1, 0, "1e-08",
         "rmsprop/adam denominator guard"),
    NUM("optimizer", "weight_decay", T_DOUBLE, optim.weight_decay, 0, 100, "0",
        "L2 penalty (decoupled for adamw)"),
    NUM("optimizer", "clip_norm", T_DOUBLE, optim.clip_norm, 0, 1e12, "0",
        "clip the gradient to this global L2 norm; 0 = off"),
    CHOICE("optimizer", "sam", T_ENUM, optim.sam, SAMS, "none",
           "sharpness-aware wrapper: the update rule steps with the gradient at "
           "theta + eps (sam: eps = rho g/|g|; asam: eps = rho T^2 g/|T g|, T = |theta| + eta)"),
    /* Published radii are 0.01-5; far larger steps leave the float range
     * and would silently skip the ascent. */
    NUM("optimizer", "sam_rho", T_DOUBLE, optim.sam_rho, 0, 10, "0.05",
        "sam/asam: radius rho of the ascent step; 0 reproduces the plain update rule"),
    NUM("optimizer", "sam_eta", T_DOUBLE, optim.sam_eta, 0, 10, "0.01",
        "asam: eta in T = |theta| + eta"),

    CHOICE("schedule", "type", T_ENUM, sched.type, SCHEDS, "constant",
           "learning-rate schedule after warm-up"),
    NUM("schedule", "warmup_epochs", T_DOUBLE, sched.warmup_epochs, 0, 1e6, "0",
        "linear warm-up length in epochs; 0 = none"),
    NUMX("schedule", "step_epochs", T_DOUBLE, sched.step_epochs, 0, 1e6, 1, 0, "1",
         "step: multiply the lr by gamma every this many epochs"),
    NUMX("schedule", "gamma", T_DOUBLE, sched.gamma, 0, 1, 1, 0, "0.1", "step: decay factor"),
    NUM("schedule", "min_lr", T_DOUBLE, sched.min_lr, 0, 1e6, "0", "cosine: final learning rate"),

    NUM("train", "epochs", T_INT, train.epochs, 1, 100000, "5", "passes over the training data"),
    NUM("train", "batch", T_INT, train.batch, 0, 10000000, "128",
        "minibatch size; 0 = full batch"),
    NUM("train", "seed", T_U64, train.seed, 0, BIG, "1", "seed of initialization and shuffling"),
    NUM("train", "eval_every", T_INT, train.eval_every, 0, INT_MAX, "0",
        "log a row every this many steps; 0 = once per epoch"),
    NUM("train", "snapshot_every", T_INT, train.snapshot_every, 0, INT_MAX, "1",
        "trajectory snapshot every this many units; 0 = off"),
    CHOICE("train", "snapshot_unit", T_ENUM, train.snapshot_unit, UNITS, "epochs",
           "unit of snapshot_every"),
    NUM("train", "ckpt_every", T_INT, train.ckpt_every, 0, INT_MAX, "0",
        "resumable checkpoint every this many steps; 0 = at the end of an epoch once "
        "train.ckpt_seconds have passed since the last one (and always at the end)"),
    NUM("train", "ckpt_seconds", T_DOUBLE, train.ckpt_seconds, 0, 1e6, "10",
        "with ckpt_every = 0: least time between resumable checkpoints, so that writing "
        "them never dominates a run of many short epochs; 0 = each epoch"),
    NUM("train", "threads", T_INT, train.threads, 0, 256, "0", "worker threads; 0 = all cores"),
    NUM("train", "eval_limit", T_SIZE, train.eval_limit, 0, BIG, "10000",
        "training examples behind the train loss/acc columns; 0 = all"),

    NUM("monitor", "every", T_INT, monitor.every, 0, INT_MAX, "0",
        "estimate lambda_max of the training loss every this many steps (and at step 0) "
        "into log.csv; 0 = off"),
    NUM("monitor", "limit", T_SIZE, monitor.limit, 1, BIG, "2000",
        "training examples in the fixed seeded random subset the monitor uses"),
    NUM("monitor", "steps", T_INT, monitor.steps, 10, 100000, "20",
        "Lanczos steps per estimate (warm-started from the previous top eigenvector)"),
    NUMX("monitor", "tol", T_DOUBLE, monitor.tol, 0, 1, 1, 1, "0.001",
         "relative Ritz residual at which an estimate stops early"),
};
#define NKEYS ((int)(sizeof KEYS / sizeof KEYS[0]))

/* ---- growing text buffer ---------------------------------------------------- */

typedef struct sbuf { char *p; size_t len, cap; int oom; } sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    /* The second pass always fits: the first one measured the text. */
    for (int pass = 0; pass < 2 && !b->oom; pass++) {
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (k < 0) { b->oom = 1; return; }
        if (b->p && b->len + (size_t)k < b->cap) { b->len += (size_t)k; return; }
        size_t cap = b->cap ? b->cap : 1024;
        while (cap <= b->len + (size_t)k) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) { b->oom = 1; return; }
        b->p = p;
        b->cap = cap;
    }
}

static char *sb_finish(sbuf *b)
{
    if (b->oom || !b->p) { free(b->p); return NULL; }
    return b->p;
}

/* ---- lookups and descriptions ---------------------------------------------- */

static int section_find(const char *s)
{
    for (int i = 0; i < NSECTIONS; i++)
        if (strcmp(s, SECTIONS[i]) == 0) return i;
    return -1;
}

/* "data, model, ...", or the keys of one section. */
static void sb_names(sbuf *b, const char *section)
{
    int first = 1;
    for (int i = 0; i < (section ? NKEYS : NSECTIONS); i++) {
        if (section && strcmp(KEYS[i].section, section) != 0) continue;
        sb_printf(b, "%s%s", first ? "" : ", ", section ? KEYS[i].key : SECTIONS[i]);
        first = 0;
    }
}

/* The key, or an error naming what the section (or the file) accepts. */
static int key_lookup(const char *section, const char *key, const char *where,
                      const cfg_key **out)
{
    for (int i = 0; i < NKEYS; i++)
        if (strcmp(KEYS[i].section, section) == 0 && strcmp(KEYS[i].key, key) == 0) {
            *out = &KEYS[i];
            return NN_OK;
        }
    int known = section_find(section) >= 0, rc;
    sbuf b = {0};
    sb_names(&b, known ? section : NULL);
    if (known)
        rc = nn_err(NN_ECONFIG, "%s: unknown key '%s' in [%s]; keys are %s", where, key,
                    section, b.p ? b.p : "?");
    else
        rc = nn_err(NN_ECONFIG, "%s: unknown section [%s]; sections are %s", where, section,
                    b.p ? b.p : "?");
    free(b.p);
    return rc;
}

static void sb_bound(sbuf *b, double v)
{
    /* Integral bounds in full ("10000000", not "1e+07"): they are what to type. */
    if (v == floor(v) && fabs(v) < 1e15) sb_printf(b, "%.0f", v);
    else sb_printf(b, "%g", v);
}

/* What a key accepts, in words: for --help, the written config and every
 * value error. */
static void sb_describe(sbuf *b, const cfg_key *k)
{
    switch (k->type) {
    case T_INT: case T_SIZE: case T_U64: case T_DOUBLE: case T_FLOAT:
        sb_printf(b, "%s", k->type >= T_DOUBLE ? "a number" : "an integer");
        if (k->hi == BIG) {
            sb_printf(b, " >= ");
            sb_bound(b, k->lo);
            break;
        }
        sb_printf(b, " in %c", k->lo_open ? '(' : '[');
        sb_bound(b, k->lo);
        sb_printf(b, ", ");
        sb_bound(b, k->hi);
        sb_printf(b, "%c", k->hi_open ? ')' : ']');
        break;
    case T_BOOL: sb_printf(b, "true or false"); break;
    case T_ENUM: case T_ENUMSTR:
        sb_printf(b, "one of");
        for (const cfg_choice *ch = k->choices; ch->name; ch++)
            sb_printf(b, "%s %s", ch == k->choices ? "" : ",", ch->name);
        break;
    case T_NAMED:
        sb_printf(b, "one of");
        for (int i = 0; i < k->count; i++) sb_printf(b, "%s %s", i ? "," : "", k->name_of(i));
        break;
    case T_STRING:
        sb_printf(b, "text of at most %zu bytes, no control characters", k->size - 1);
        break;
    case T_LAYERS:
        sb_printf(b, "1 to %d comma-separated items 'WIDTH [ACTIVATION] [INIT]', width in "
                  "[1, %d]", NN_MAX_LAYERS, CFG_MAX_WIDTH);
        break;
    }
}

/* ---- values: text -> field -------------------------------------------------- */

static int bad_value(const cfg_key *k, const char *where, const char *v, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int bad_value(const cfg_key *k, const char *where, const char *v, const char *fmt, ...)
{
    char why[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    sbuf b = {0};
    sb_describe(&b, k);
    int rc = nn_err(NN_ECONFIG, "%s: %s.%s = '%s' %s; expected %s", where, k->section,
                    k->key, v, why, b.p ? b.p : "?");
    free(b.p);
    return rc;
}

/* Integers as a double for the bounds check (exact below 2^53, and every
 * finite bound in the table is far below that). */
static int parse_integer(const cfg_key *k, const char *v, const char *where, double *out,
                         unsigned long long *u)
{
    int neg = *v == '-';
    const char *p = v + (*v == '+' || neg);
    if (*p < '0' || *p > '9') return bad_value(k, where, v, "is not an integer");
    char *end;
    errno = 0;
    unsigned long long x = strtoull(p, &end, 10);
    if (*end) return bad_value(k, where, v, "is not an integer (trailing '%.40s')", end);
    *out = neg ? -(double)x : (double)x;
    if (errno == ERANGE || *out < k->lo || *out > k->hi)
        return bad_value(k, where, v, "is out of range");
    *u = x;
    return NN_OK;
}

static int parse_real(const cfg_key *k, const char *v, const char *where, double *out)
{
    char *end;
    double d = strtod(v, &end);
    if (end == v) return bad_value(k, where, v, "is not a number");
    if (*end) return bad_value(k, where, v, "is not a number (trailing '%.40s')", end);
    if (!isfinite(d)) return bad_value(k, where, v, "is not finite");
    /* strtod also reads hex floats; a config holds decimals only. */
    if (v[strspn(v, "0123456789+-.eE")] != '\0')
        return bad_value(k, where, v, "is not a decimal number");
    if (d < k->lo || (k->lo_open && d == k->lo) || d > k->hi || (k->hi_open && d == k->hi))
        return bad_value(k, where, v, "is out of range");
    *out = d;
    return NN_OK;
}

static int check_string(const cfg_key *k, const char *v, const char *where)
{
    size_t n = strlen(v);
    if (n >= k->size) return bad_value(k, where, v, "is too long");
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)v[i];
        if (ch < 0x20 || ch == 0x7f)
            return bad_value(k, where, v, "contains a control character");
        /* inih takes " ;" for the start of a comment: such a value would not
         * read back from the written config. */
        if (ch == ';' && (i == 0 || v[i - 1] == ' '))
            return bad_value(k, where, v, "contains ';' after a space (a comment)");
    }
    return NN_OK;
}

static int layers_err(const cfg_key *k, const char *where, int item, const char *text,
                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int layers_err(const cfg_key *k, const char *where, int item, const char *text,
                      const char *fmt, ...)
{
    char why[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    return nn_err(NN_ECONFIG, "%s: %s.%s item %d '%s': %s", where, k->section, k->key, item,
                  text, why);
}

/* "256 relu, 256 relu he, 10": a width, then optionally an activation, then
 * optionally an init; unnamed activations are relu (hidden) or linear (last). */
static int parse_layers(const cfg_key *k, const char *v, const char *where, model_spec *ms)
{
    layer_spec ls[NN_MAX_LAYERS];
    int n = 0, rc = NN_OK;
    if (!*v) return bad_value(k, where, v, "is empty");
    char *copy = strdup(v), *item = copy;
    if (!copy) return nn_err(NN_ENOMEM, "%s: out of memory", where);
    memset(ls, 0, sizeof ls);
    for (int idx = 1; item; idx++) {
        char *comma = strchr(item, ',');
        if (comma) *comma = '\0';
        char *text = item + strspn(item, WS);
        size_t tl = strlen(text);
        while (tl && strchr(WS, text[tl - 1])) text[--tl] = '\0';
        item = comma ? comma + 1 : NULL;
        if (!tl) { rc = layers_err(k, where, idx, text, "empty layer item"); goto fail; }
        if (n == NN_MAX_LAYERS) {
            rc = layers_err(k, where, idx, text, "too many layers (at most %d)", NN_MAX_LAYERS);
            goto fail;
        }
        /* Messages quote the item, so split a copy of it. */
        char shown[128], *words[4], *save = NULL, *end;
        snprintf(shown, sizeof shown, "%s", text);
        int nw = 0;
        for (char *w = strtok_r(text, WS, &save); w && nw < 4; w = strtok_r(NULL, WS, &save))
            words[nw++] = w;
        text = shown;
        if (nw > 3) {
            rc = layers_err(k, where, idx, text, "expected 'WIDTH [ACTIVATION] [INIT]'");
            goto fail;
        }
        errno = 0;
        long w = words[0][0] >= '0' && words[0][0] <= '9' ? strtol(words[0], &end, 10) : 0;
        if (w < 1 || w > CFG_MAX_WIDTH || *end || errno) {
            rc = layers_err(k, where, idx, text, "width must be an integer in [1, %d]",
                            CFG_MAX_WIDTH);
            goto fail;
        }
        layer_spec *l = &ls[n++];
        *l = (layer_spec){.out = (int)w, .act = -1, .init = -1};
        for (int j = 1; j < nw; j++) {
            int a = act_from_name(words[j]), in = init_from_name(words[j]);
            if (a >= 0 && j == 1) {
                l->act = a;
            } else if (in >= 0 && l->init < 0) {
                l->init = in;
            } else if (a >= 0 || in >= 0) {
                rc = layers_err(k, where, idx, text, "expected 'WIDTH [ACTIVATION] [INIT]'");
                goto fail;
            } else {
                sbuf b = {0};
                for (int i = 0; i < ACT_COUNT; i++)
                    sb_printf(&b, "%s%s", i ? ", " : "", act_name(i));
                sb_printf(&b, "; inits are ");
                for (int i = 0; i < INIT_COUNT; i++)
                    sb_printf(&b, "%s%s", i ? ", " : "", init_name(i));
                rc = layers_err(k, where, idx, text, "unknown activation or init '%.40s'; "
                                "activations are %s", words[j], b.p ? b.p : "?");
                free(b.p);
                goto fail;
            }
        }
    }
    for (int i = 0; i < n; i++)
        if (ls[i].act < 0) ls[i].act = i == n - 1 ? ACT_LINEAR : ACT_RELU;
    /* The layers after the first already fix a lower bound on θ; refusing it
     * here names the line instead of failing an allocation later. */
    size_t np = 0;
    for (int i = 1; i < n; i++) np += (size_t)ls[i - 1].out * (size_t)ls[i].out + ls[i].out;
    if (np > NN_MAX_PARAMS) {
        rc = bad_value(k, where, v, "holds %zu parameters besides the input layer, more "
                       "than the limit of %zu", np, NN_MAX_PARAMS);
        goto fail;
    }
    ms->nlayers = n;
    memcpy(ms->layers, ls, sizeof ls);
fail:
    free(copy);
    return rc;
}

/* Validates v for key k and stores it into c; on error c is untouched. Text
 * fields are zero-filled past the end so equal configs compare equal. */
static int key_apply(config *c, const cfg_key *k, const char *v, const char *where)
{
    char *field = (char *)c + k->off;
    unsigned long long u = 0;
    double d = 0;
    int rc = NN_OK, i;

    if (!*v && k->type != T_STRING) return bad_value(k, where, v, "is empty");
    switch (k->type) {
    case T_INT: case T_SIZE: case T_U64:
        if ((rc = parse_integer(k, v, where, &d, &u))) return rc;
        if (k->type == T_INT) *(int *)field = (int)d;
        else if (k->type == T_SIZE) *(size_t *)field = (size_t)u;
        else *(uint64_t *)field = (uint64_t)u;
        return NN_OK;
    case T_DOUBLE: case T_FLOAT:
        if ((rc = parse_real(k, v, where, &d))) return rc;
        if (k->type == T_DOUBLE) *(double *)field = d;
        else *(float *)field = (float)d;
        return NN_OK;
    case T_BOOL:
        if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "on") || !strcmp(v, "1"))
            *(int *)field = 1;
        else if (!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "off") || !strcmp(v, "0"))
            *(int *)field = 0;
        else return bad_value(k, where, v, "is not a boolean");
        return NN_OK;
    case T_ENUM: case T_ENUMSTR:
        for (const cfg_choice *ch = k->choices; ch->name; ch++) {
            if (strcmp(v, ch->name) != 0) continue;
            if (k->type == T_ENUM) *(int *)field = ch->value;
            else strncpy(field, v, k->size);
            return NN_OK;
        }
        return bad_value(k, where, v, "is not accepted");
    case T_NAMED:
        if ((i = k->from_name(v)) < 0) return bad_value(k, where, v, "is not accepted");
        *(int *)field = i;
        return NN_OK;
    case T_STRING:
        if ((rc = check_string(k, v, where))) return rc;
        strncpy(field, v, k->size);
        return NN_OK;
    case T_LAYERS:
        return parse_layers(k, v, where, (model_spec *)field);
    }
    return nn_err(NN_EINVAL, "%s: %s.%s: unknown key type", where, k->section, k->key);
}

void config_defaults(config *c)
{
    memset(c, 0, sizeof *c);
    for (int i = 0; i < NKEYS; i++) key_apply(c, &KEYS[i], KEYS[i].def, "default");
}

/* ---- values: field -> text -------------------------------------------------- */

/* The shortest %.Ng that reads back to the same value. */
static void sb_real(sbuf *b, double v, int is_float)
{
    char buf[40];
    for (int prec = is_float ? 6 : 15; prec <= (is_float ? 9 : 17); prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, v);
        double back = strtod(buf, NULL);
        if (is_float ? (float)back == (float)v : back == v) break;
    }
    sb_printf(b, "%s", buf);
}

static void sb_value(sbuf *b, const config *c, const cfg_key *k)
{
    const char *field = (const char *)c + k->off;
    switch (k->type) {
    case T_INT: sb_printf(b, "%d", *(const int *)field); break;
    case T_SIZE: sb_printf(b, "%zu", *(const size_t *)field); break;
    case T_U64: sb_printf(b, "%llu", (unsigned long long)*(const uint64_t *)field); break;
    case T_DOUBLE: sb_real(b, *(const double *)field, 0); break;
    case T_FLOAT: sb_real(b, *(const float *)field, 1); break;
    case T_BOOL: sb_printf(b, "%s", *(const int *)field ? "true" : "false"); break;
    case T_ENUM:
        for (const cfg_choice *ch = k->choices; ch->name; ch++)
            if (ch->value == *(const int *)field) { sb_printf(b, "%s", ch->name); break; }
        break;
    case T_NAMED: sb_printf(b, "%s", k->name_of(*(const int *)field)); break;
    case T_ENUMSTR: case T_STRING: sb_printf(b, "%.*s", (int)k->size, field); break;
    case T_LAYERS: {
        const model_spec *ms = (const model_spec *)field;
        for (int i = 0; i < ms->nlayers && i < NN_MAX_LAYERS; i++) {
            const layer_spec *l = &ms->layers[i];
            sb_printf(b, "%s%d", i ? ", " : "", l->out);
            /* The last layer's linear is implied, as in the default "..., 10". */
            if (!(i == ms->nlayers - 1 && l->act == ACT_LINEAR))
                sb_printf(b, " %s", act_name(l->act));
            if (l->init >= 0) sb_printf(b, " %s", init_name(l->init));
        }
        break;
    }
    }
}

/* Both listings walk the table section by section; `c` NULL means help text. */
static char *config_listing(const config *c)
{
    sbuf b = {0};
    if (c) sb_printf(&b, "; saddle config: every key written out (saddle train --help)\n");
    for (int s = 0; s < NSECTIONS; s++) {
        sb_printf(&b, "%s[%s]\n", c || s ? "\n" : "", SECTIONS[s]);
        for (int i = 0; i < NKEYS; i++) {
            const cfg_key *k = &KEYS[i];
            if (strcmp(k->section, SECTIONS[s]) != 0) continue;
            if (c) {
                sb_printf(&b, "; %s (", k->help);
                sb_describe(&b, k);
                sb_printf(&b, ")\n%s =", k->key);
                size_t at = b.len;
                sb_printf(&b, " ");
                sb_value(&b, c, k);
                if (b.len == at + 1) b.len = at;   /* no trailing blank after "dir =" */
                sb_printf(&b, "\n");
            } else {
                char name[64];
                snprintf(name, sizeof name, "%s.%s", k->section, k->key);
                sb_printf(&b, "  %-24s %-6s default: %s\n      %s\n      accepts ", name,
                          TYPE_NAMES[k->type], *k->def ? k->def : "(empty)", k->help);
                sb_describe(&b, k);
                sb_printf(&b, "\n");
            }
        }
    }
    return sb_finish(&b);
}

char *config_format(const config *c) { return config_listing(c); }

char *config_help(void) { return config_listing(NULL); }

/* ---- INI files through inih ------------------------------------------------- */

typedef struct parse_state {
    const char *text, *name;
    size_t len, pos;
    int lineno;
    int section;              /* index into SECTIONS, -1 before the first header */
    int seen[NKEYS];          /* line that set each key, 0 = not yet */
    int err;                  /* first error, already recorded with nn_err */
    config *cfg;
} parse_state;

static int is_blank(char ch) { return ch && strchr(WS, ch) != NULL; }

/* Feeds inih one line at a time. Doing the line-level checks here gives every
 * message its line number and keeps out inih's looser habits: indented
 * continuation lines, "name: value", text after a section header, long lines
 * silently split in two. inih still splits key from value and drops comments. */
static char *cfg_reader(char *str, int num, void *stream)
{
    parse_state *st = stream;
    if (st->err || st->pos >= st->len) return NULL;
    const char *p = st->text + st->pos, *name = st->name;
    const char *nl = memchr(p, '\n', st->len - st->pos);
    size_t n = nl ? (size_t)(nl - p) : st->len - st->pos;
    int line = ++st->lineno;
    st->pos += n + (nl != NULL);

    if (memchr(p, '\0', n)) {
        st->err = nn_err(NN_ECONFIG, "%s:%d: NUL byte in the line", name, line);
        return NULL;
    }
    if (line == 1 && n >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3)) p += 3, n -= 3;
    while (n && is_blank(*p)) p++, n--;
    while (n && is_blank(p[n - 1])) n--;
    if (n + 2 > (size_t)num) {
        st->err = nn_err(NN_ECONFIG, "%s:%d: line too long (%zu characters; at most %d)",
                         name, line, n, num - 2);
        return NULL;
    }
    if (n == 0 || *p == ';' || *p == '#') {
        strcpy(str, "\n");
        return str;
    }
    if (*p == '[') {
        const char *close = memchr(p, ']', n), *s = p + 1;
        if (!close) {
            st->err = nn_err(NN_ECONFIG, "%s:%d: section header '%.*s' lacks ']'", name, line,
                             (int)n, p);
            return NULL;
        }
        const char *after = close + 1;
        while (after < p + n && is_blank(*after)) after++;
        if (after < p + n && *after != ';' && *after != '#') {
            st->err = nn_err(NN_ECONFIG, "%s:%d: unexpected text after the section header "
                             "'%.*s'", name, line, (int)(after - p), p);
            return NULL;
        }
        while (s < close && is_blank(*s)) s++;
        while (close > s && is_blank(close[-1])) close--;
        char sec[64], where[1100];
        snprintf(sec, sizeof sec, "%.*s", (int)(close - s), s);
        snprintf(where, sizeof where, "%.1000s:%d", name, line);
        const cfg_key *k = NULL;
        st->section = section_find(sec);
        if (st->section < 0) {
            st->err = key_lookup(sec, "", where, &k);
            return NULL;
        }
        snprintf(str, (size_t)num, "[%s]\n", SECTIONS[st->section]);
        return str;
    }
    const char *eq = memchr(p, '=', n);
    size_t klen = eq ? (size_t)(eq - p) : 0;
    if (!klen || memchr(p, ':', klen) || memchr(p, ';', klen)) {
        st->err = nn_err(NN_ECONFIG, "%s:%d: expected 'key = value', '[section]' or a "
                         "';' comment, got '%.*s'", name, line, (int)n, p);
        return NULL;
    }
    memcpy(str, p, n);
    memcpy(str + n, "\n", 2);
    return str;
}

static int cfg_handler(void *user, const char *section, const char *key, const char *value)
{
    parse_state *st = user;
    const cfg_key *k = NULL;
    char where[1100];
    if (st->err) return 0;
    snprintf(where, sizeof where, "%.1000s:%d", st->name, st->lineno);
    if (st->section < 0) {
        st->err = nn_err(NN_ECONFIG, "%s: key '%s' comes before any [section]", where, key);
        return 0;
    }
    if ((st->err = key_lookup(SECTIONS[st->section], key, where, &k))) return 0;
    int ki = (int)(k - KEYS);
    if (st->seen[ki]) {
        st->err = nn_err(NN_ECONFIG, "%s: duplicate key %s.%s (already set on line %d)",
                         where, k->section, k->key, st->seen[ki]);
        return 0;
    }
    st->seen[ki] = st->lineno;
    st->err = key_apply(st->cfg, k, value ? value : "", where);
    st->cfg->nset += st->err == NN_OK;
    return st->err == NN_OK;
}

int config_parse(config *c, const char *text, size_t len, const char *name)
{
    parse_state st = {.text = text, .name = name ? name : "<config>", .len = text ? len : 0,
                      .section = -1};
    config tmp = *c;   /* a failed parse leaves *c as it was */
    st.cfg = &tmp;
    /* Debian's inih takes its line buffer size from ini_max_line at run time
     * (default 200); the reader rejects longer lines rather than let inih
     * split them, so raise it to fit a long data.dir. */
    if (ini_max_line < CFG_MAX_LINE) ini_max_line = CFG_MAX_LINE;
    int rc = ini_parse_stream(cfg_reader, &st, cfg_handler, &st);
    if (st.err) return st.err;
    if (rc == -2) return nn_err(NN_ENOMEM, "%s: out of memory", st.name);
    if (rc != 0) return nn_err(NN_ECONFIG, "%s:%d: syntax error", st.name, rc);
    *c = tmp;
    return NN_OK;
}

int config_load(config *c, const char *path)
{
    /* A FIFO (`train <(...)`, or a planted one) would block; files only. */
    FILE *f;
    int rc = file_open_regular(path, &f);
    if (rc) return rc;
    char *buf = malloc(CFG_MAX_FILE + 1);
    if (!buf) { rc = nn_err(NN_ENOMEM, "%s: out of memory", path); goto fail; }
    size_t n = fread(buf, 1, CFG_MAX_FILE + 1, f);
    if (ferror(f)) rc = nn_err(NN_EIO, "%s: cannot read: %s", path, strerror(errno));
    else if (n > CFG_MAX_FILE)
        rc = nn_err(NN_ECONFIG, "%s: over %d bytes: not a config file", path, CFG_MAX_FILE);
    else rc = config_parse(c, buf, n, path);
fail:
    free(buf);
    fclose(f);
    return rc;
}

int config_set(config *c, const char *assignment)
{
    char where[1100];
    const cfg_key *k = NULL;
    snprintf(where, sizeof where, "--set %.1000s", assignment);
    char *s = strdup(assignment);
    if (!s) return nn_err(NN_ENOMEM, "%s: out of memory", where);
    int rc;
    char *eq = strchr(s, '='), *dot = eq ? memchr(s, '.', (size_t)(eq - s)) : NULL;
    if (!dot) {
        rc = nn_err(NN_ECONFIG, "%s: expected section.key=value (e.g. train.epochs=3)", where);
        goto fail;
    }
    *eq = *dot = '\0';
    /* Trim each part as inih trims a file line. */
    char *parts[3] = {s, dot + 1, eq + 1};
    for (int i = 0; i < 3; i++) {
        char *p = parts[i] + strspn(parts[i], WS);
        size_t l = strlen(p);
        while (l && is_blank(p[l - 1])) p[--l] = '\0';
        parts[i] = p;
    }
    if ((rc = key_lookup(parts[0], parts[1], where, &k))) goto fail;
    rc = key_apply(c, k, parts[2], where);
    c->nset += rc == NN_OK;
fail:
    free(s);
    return rc;
}

int config_write(const config *c, const char *path)
{
    char *text = config_format(c);
    if (!text) return nn_err(NN_ENOMEM, "%s: out of memory", path);
    int rc = file_write_atomic(path, text, strlen(text));
    free(text);
    return rc;
}

/* ---- what a resumed run may change ----------------------------------------- */

/* Why a key cannot change once steps have been taken: resuming under another
 * value would leave a run that its own config.ini does not reproduce. */
static const char *resume_why(const cfg_key *k)
{
    static const struct { const char *section, *key, *why; } WHY[] = {
        {"train", "seed", "the seed fixed the initial weights and every epoch's shuffle"},
        {"train", "batch", "the batch size fixed the steps per epoch and the examples of "
                           "every step taken"},
        {"train", "eval_every", "log.csv's rows so far follow it"},
        {"train", "eval_limit", "log.csv's train columns so far are over those examples"},
        {"train", "snapshot_every", "traj/ holds the snapshots it asked for"},
        {"train", "snapshot_unit", "traj/ holds the snapshots it asked for"},
        {"data", NULL, "the steps taken saw the run's data"},
        {"model", NULL, "the checkpoint holds the weights of the run's model"},
        {"loss", NULL, "the steps taken descended the run's loss"},
        {"optimizer", NULL, "the steps taken used the run's optimizer, whose state is in "
                            "the checkpoint"},
        {"schedule", NULL, "the steps taken used the run's learning-rate schedule"},
        {"monitor", NULL, "the lambda_max column so far and the monitor's checkpointed warm "
                          "start follow it"},
    };
    for (size_t i = 0; i < sizeof WHY / sizeof WHY[0]; i++)
        if (!strcmp(WHY[i].section, k->section) && (!WHY[i].key || !strcmp(WHY[i].key, k->key)))
            return WHY[i].why;
    return NULL;
}

int config_resume_check(const config *run, const config *want, const char *dir)
{
    int rc = NN_OK;
    for (int i = 0; i < NKEYS && !rc; i++) {
        const cfg_key *k = &KEYS[i];
        sbuf a = {0}, b = {0};
        sb_value(&a, run, k);
        sb_value(&b, want, k);
        char *va = sb_finish(&a), *vb = sb_finish(&b);
        if (!va || !vb) {
            rc = nn_err(NN_ENOMEM, "%s: out of memory", dir);
        } else if (strcmp(va, vb) != 0) {
            const char *why = resume_why(k);
            /* Only the cosine schedule looks at the run's length: it spreads
             * its decay over train.epochs. */
            if (!strcmp(k->key, "epochs") && run->sched.type == SCHED_COSINE)
                why = "the cosine schedule spreads its decay over train.epochs, so every step "
                      "taken would have had another learning rate";
            if (why)
                rc = nn_err(NN_ECONFIG,
                            "%s.%s cannot change from %s to %s when resuming %s: %s; train a new "
                            "run for it (another --out, or --force to replace this one)",
                            k->section, k->key, va, vb, dir, why);
        }
        free(va);
        free(vb);
    }
    return rc;
}
