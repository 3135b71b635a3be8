/* Model checkpoints on top of safetensors: θ (and optional θ-shaped optimizer
 * state) under the tensor names of the equivalent torch.nn.Sequential, the
 * architecture and progress in __metadata__; loading also accepts PyTorch files. */
#include "nn.h"
#include "ckpt_import.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CKPT_FORMAT "saddle-1"
#define CKPT_MAX_WIDTH NN_MAX_INPUT /* the widest input model_build accepts */
#define TORCH_LEAKY_SLOPE 0.01f    /* nn.LeakyReLU's default negative_slope */

typedef char stem_table[NN_MAX_LAYERS][CKPT_STEM_MAX];

int ckpt_seq_index(const model *m, int l)
{
    int k = 0;
    for (int i = 0; i < l && i < m->nlayers; i++) k += m->layers[i].act == ACT_LINEAR ? 1 : 2;
    return k;
}

/* "<prefix><seq>.<part>" into a st_tensor name; 0 if it does not fit. */
static int name_make(char *buf, size_t len, const char *prefix, int seq, const char *part)
{
    int k = snprintf(buf, len, "%s%d.%s", prefix, seq, part);
    return k > 0 && (size_t)k < len;
}

static void shape_str(char *buf, size_t len, int ndim, const int64_t *shape)
{
    size_t k = (size_t)snprintf(buf, len, "[");
    for (int i = 0; i < ndim && k < len; i++)
        k += (size_t)snprintf(buf + k, len - k, i ? ", %" PRId64 : "%" PRId64, shape[i]);
    if (k < len) snprintf(buf + k, len - k, "]");
}

/* ---- save ------------------------------------------------------------------ */

int ckpt_save(const char *path, const model *m, const float *theta, const ckpt_info *info,
              const char *const *state_names, const float *const *state, int nstate)
{
    int rc = NN_OK;
    st_tensor *t = NULL;
    char arch[NN_MAX_LAYERS * 24 + 16], slope[32], step[32], epoch[32], seed[32];

    if (!path || !m || m->nlayers < 1 || m->nlayers > NN_MAX_LAYERS || nstate < 0 ||
        (nstate > 0 && (!state_names || !state)))
        return nn_err(NN_EINVAL, "ckpt_save: bad arguments");
    if (!theta) theta = m->theta;
    if (!theta) return nn_err(NN_EINVAL, "ckpt_save: %s: no parameters", path);

    int nt = 2 * m->nlayers * (1 + nstate);
    if (!(t = calloc((size_t)nt, sizeof *t))) {
        rc = nn_err(NN_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    int k = 0;
    for (int s = -1; s < nstate; s++) {
        const float *base = s < 0 ? theta : state[s];
        char prefix[96] = "";
        if (s >= 0) {
            if (!state_names[s] || !state_names[s][0] || !base) {
                rc = nn_err(NN_EINVAL, "%s: optimizer state %d has no name or data", path, s);
                goto fail;
            }
            snprintf(prefix, sizeof prefix, "optim.%s.", state_names[s]);
        }
        for (int l = 0; l < m->nlayers; l++) {
            const layer *L = &m->layers[l];
            int seq = ckpt_seq_index(m, l);
            st_tensor *w = &t[k++], *b = &t[k++];
            if (!name_make(w->name, sizeof w->name, prefix, seq, "weight") ||
                !name_make(b->name, sizeof b->name, prefix, seq, "bias")) {
                rc = nn_err(NN_EINVAL, "%s: optimizer state name \"%s\" is too long", path,
                            state_names[s]);
                goto fail;
            }
            w->ndim = 2;
            w->shape[0] = L->out;
            w->shape[1] = L->in;
            w->data = base + L->w_off;
            b->ndim = 1;
            b->shape[0] = L->out;
            b->data = base + L->b_off;
        }
    }

    model_arch_string(m, arch, sizeof arch);
    snprintf(slope, sizeof slope, "%.9g", (double)m->spec.leaky_slope);
    snprintf(step, sizeof step, "%ld", info ? info->step : 0L);
    snprintf(epoch, sizeof epoch, "%d", info ? info->epoch : 0);
    snprintf(seed, sizeof seed, "%" PRIu64, info ? info->seed : (uint64_t)0);
    const char *keys[] = {"format", "arch", "loss", "leaky_slope", "init",
                          "step", "epoch", "seed", "config"};
    const char *vals[] = {CKPT_FORMAT, arch, loss_name(m->spec.loss), slope,
                          init_name(m->spec.init), step, epoch, seed,
                          info ? info->config_text : NULL};
    int nmeta = vals[8] ? 9 : 8;
    rc = st_write(path, t, nt, keys, vals, nmeta);
fail:
    free(t);
    return rc;
}

/* ---- the architecture of a file ---------------------------------------------- */

/* Parses a non-negative decimal at *p (no sign, at most 9 digits); -1 if none. */
static long digits_parse(const char **p)
{
    long v = 0;
    int n = 0;
    while (**p >= '0' && **p <= '9') {
        if (++n > 9) return -1;
        v = v * 10 + (**p - '0');
        (*p)++;
    }
    return n ? v : -1;
}

/* "784-256relu-256relu-10": input width, then width+activation per layer
 * (no suffix = linear), as model_arch_string writes it. */
static int arch_parse(const char *path, const char *arch, model_spec *spec)
{
    const char *p = arch;
    long in = digits_parse(&p);
    if (in <= 0 || in > CKPT_MAX_WIDTH) goto bad;
    spec->in = (int)in;
    spec->nlayers = 0;
    while (*p == '-') {
        p++;
        long out = digits_parse(&p);
        char nm[32];
        size_t k = 0;
        while ((*p >= 'a' && *p <= 'z') || *p == '_') {
            if (k + 1 >= sizeof nm) goto bad;
            nm[k++] = *p++;
        }
        nm[k] = '\0';
        int act = k ? act_from_name(nm) : ACT_LINEAR;
        if (out <= 0 || out > CKPT_MAX_WIDTH || act < 0 || spec->nlayers == NN_MAX_LAYERS)
            goto bad;
        layer_spec *ls = &spec->layers[spec->nlayers++];
        ls->out = (int)out;
        ls->act = act;
        ls->init = -1;
    }
    if (*p || spec->nlayers == 0) goto bad;
    return NN_OK;
bad:
    return nn_err(NN_EFORMAT, "%s: metadata arch \"%.200s\" is malformed near \"%.20s\" "
                  "(expected e.g. 784-256relu-10, at most %d layers)", path, arch, p,
                  NN_MAX_LAYERS);
}

/* A non-negative integer metadata value up to hi; absent means 0. */
static int meta_uint(const char *path, const st_file *f, const char *key, uint64_t hi,
                     uint64_t *v)
{
    const char *s = st_meta(f, key);
    *v = 0;
    if (!s) return NN_OK;
    char *end;
    errno = 0;
    /* strtoull would accept a sign or leading blanks; metadata has neither. */
    unsigned long long x = s[0] >= '0' && s[0] <= '9' ? strtoull(s, &end, 10) : 0;
    if (s[0] < '0' || s[0] > '9' || errno || *end || x > hi)
        return nn_err(NN_EFORMAT, "%s: metadata %s=\"%.40s\" is not an integer in "
                      "[0, %" PRIu64 "]", path, key, s, hi);
    *v = x;
    return NN_OK;
}

static int spec_from_meta(const char *path, const st_file *f, model_spec *spec)
{
    int rc;
    const char *arch = st_meta(f, "arch"), *loss = st_meta(f, "loss");
    const char *init = st_meta(f, "init"), *slope = st_meta(f, "leaky_slope");
    if (!arch || !loss)
        return nn_err(NN_EFORMAT, "%s: saddle metadata lacks \"%s\"", path,
                      !arch ? "arch" : "loss");
    if ((rc = arch_parse(path, arch, spec))) return rc;
    if ((spec->loss = loss_from_name(loss)) < 0)
        return nn_err(NN_EFORMAT, "%s: metadata loss \"%.40s\" is unknown", path, loss);
    spec->init = init ? init_from_name(init) : INIT_TORCH;
    if (spec->init < 0)
        return nn_err(NN_EFORMAT, "%s: metadata init \"%.40s\" is unknown", path, init);
    spec->leaky_slope = TORCH_LEAKY_SLOPE;
    if (slope) {
        char *end;
        double v = strtod(slope, &end);
        if (end == slope || *end || !(v >= 0 && v < 1e6))
            return nn_err(NN_EFORMAT, "%s: metadata leaky_slope \"%.40s\" is not a number",
                          path, slope);
        spec->leaky_slope = (float)v;
    }
    return NN_OK;
}

/* ---- load ------------------------------------------------------------------ */

/* The metadata's architecture against the tensors the file holds, before
 * anything is allocated for it: a few-kilobyte file whose metadata names
 * 16384-wide layers is refused here rather than after committing θ. */
static int spec_check_tensors(const char *path, const st_file *f, const model_spec *spec,
                              const char *arch)
{
    char nm[32], want[64], got[128];
    int in = spec->in, seq = 0;
    for (int l = 0; l < spec->nlayers; l++) {
        const layer_spec *ls = &spec->layers[l];
        for (int part = 0; part < 2; part++) {
            int64_t shape[2] = {ls->out, in};
            int ndim = part ? 1 : 2;
            if (!name_make(nm, sizeof nm, "", seq, part ? "bias" : "weight"))
                return nn_err(NN_EFORMAT, "%s: layer %d has no tensor name", path, l);
            const st_tensor *t = st_find(f, nm);
            shape_str(want, sizeof want, ndim, shape);
            if (!t)
                return nn_err(NN_EFORMAT, "%s: the metadata arch %.200s needs a tensor \"%s\" "
                              "of shape %s; the file has none", path, arch, nm, want);
            int same = t->ndim == ndim;
            for (int d = 0; same && d < ndim; d++) same = t->shape[d] == shape[d];
            if (!same) {
                shape_str(got, sizeof got, t->ndim, t->shape);
                return nn_err(NN_EFORMAT, "%s: tensor \"%s\" has shape %s but the metadata "
                              "arch %.200s needs %s", path, nm, got, arch, want);
            }
        }
        seq += ls->act == ACT_LINEAR ? 1 : 2;
        in = ls->out;
    }
    return NN_OK;
}

/* The index of the first NaN or infinity in x [cnt], or cnt when all are finite. */
static size_t first_nonfinite(const float *x, size_t cnt)
{
    for (size_t i = 0; i < cnt; i++)
        if (!isfinite(x[i])) return i;
    return cnt;
}

/* "<prefix><stem>.<part>" into a st_tensor name; 0 if it does not fit. */
static int name_of(char *buf, size_t len, const char *prefix, const char *stem, const char *part)
{
    int k = snprintf(buf, len, "%s%s.%s", prefix, stem, part);
    return k > 0 && (size_t)k < len;
}

/* Copies every "<prefix><stem>.weight|bias" of the model from f into dst [n]. */
static int tensors_copy(const char *path, const st_file *f, const model *m,
                        const char *prefix, const stem_table stems, float *dst)
{
    char nm[200], want[64], got[128];
    for (int l = 0; l < m->nlayers; l++) {
        const layer *L = &m->layers[l];
        for (int part = 0; part < 2; part++) {
            int64_t shape[2] = {L->out, L->in};
            int ndim = part ? 1 : 2;
            if (!name_of(nm, sizeof nm, prefix, stems[l], part ? "bias" : "weight"))
                return nn_err(NN_EINVAL, "%s: state name \"%s\" is too long", path, prefix);
            const st_tensor *t = st_find(f, nm);
            shape_str(want, sizeof want, ndim, shape);
            if (!t)
                return nn_err(NN_EFORMAT, "%s: missing tensor \"%s\" (expected shape %s)", path,
                              nm, want);
            int same = t->ndim == ndim;
            for (int d = 0; same && d < ndim; d++) same = t->shape[d] == shape[d];
            if (!same) {
                shape_str(got, sizeof got, t->ndim, t->shape);
                return nn_err(NN_EFORMAT, "%s: tensor \"%s\" has shape %s, expected %s", path,
                              nm, got, want);
            }
            size_t cnt = (size_t)L->out * (part ? 1 : (size_t)L->in);
            /* Every command would compute NaN from here on, and some (a
             * surface) only say so after minutes; refuse the file instead. */
            size_t bad = first_nonfinite(t->data, cnt);
            if (bad < cnt) {
                float v = t->data[bad];
                return nn_err(NN_ENAN, "%s: tensor \"%s\" entry %zu (flat index) is %s: "
                              "the checkpoint holds no usable weights", path, nm, bad,
                              isnan(v) ? "NaN" : v > 0 ? "+Inf" : "-Inf");
            }
            memcpy(dst + (part ? L->b_off : L->w_off), t->data, cnt * sizeof(float));
        }
    }
    return NN_OK;
}

/* Any tensor that is neither a layer of m nor optimizer state is an error:
 * silently dropping it would hide a mismatched architecture. */
static int tensors_unexpected(const char *path, const st_file *f, const model *m,
                              const stem_table stems)
{
    char nm[200];
    for (int i = 0; i < f->ntensors; i++) {
        const char *name = f->tensors[i].name;
        int known = !strncmp(name, "optim.", 6);
        for (int l = 0; l < m->nlayers && !known; l++)
            known = (name_of(nm, sizeof nm, "", stems[l], "weight") && !strcmp(nm, name)) ||
                    (name_of(nm, sizeof nm, "", stems[l], "bias") && !strcmp(nm, name));
        if (!known) {
            char arch[NN_MAX_LAYERS * 24 + 16];
            model_arch_string(m, arch, sizeof arch);
            return nn_err(NN_EFORMAT, "%s: unexpected tensor \"%s\" for architecture %s", path,
                          name, arch);
        }
    }
    return NN_OK;
}

int ckpt_load(const char *path, model *m, int act, int loss, ckpt_info *info,
              const char *const *state_names, float *const *state, int nstate)
{
    return ckpt_load_map(path, m, act, loss, NULL, info, NULL, state_names, state, nstate);
}

int ckpt_load_map(const char *path, model *m, int act, int loss, const char *map,
                  ckpt_info *info, char **note_out, const char *const *state_names,
                  float *const *state, int nstate)
{
    int rc, built = 0;
    st_file f = {0};
    model_spec spec;
    uint64_t step = 0, epoch = 0, seed = 0;
    stem_table stems;
    const char *how = NULL;
    char *note = NULL;

    if (info) memset(info, 0, sizeof *info);
    if (note_out) *note_out = NULL;
    if (!path || !m || nstate < 0 || (nstate > 0 && (!state_names || !state)))
        return nn_err(NN_EINVAL, "ckpt_load: bad arguments");
    memset(m, 0, sizeof *m);
    memset(&spec, 0, sizeof spec);
    if ((rc = st_read(path, &f))) {
        if (rc == NN_EFORMAT && strstr(nn_errmsg(), "not a safetensors file")) {
            char why[512];
            snprintf(why, sizeof why, "%s", nn_errmsg());
            rc = nn_err(rc, "%s; expected a checkpoint such as RUN/final.safetensors", why);
        }
        goto fail;
    }

    const char *fmt = st_meta(&f, "format");
    if (fmt && !strcmp(fmt, CKPT_FORMAT)) {
        if ((rc = spec_from_meta(path, &f, &spec)) ||
            (rc = spec_check_tensors(path, &f, &spec, st_meta(&f, "arch"))))
            goto fail;
        if ((rc = meta_uint(path, &f, "step", LONG_MAX, &step)) ||
            (rc = meta_uint(path, &f, "epoch", INT_MAX, &epoch)) ||
            (rc = meta_uint(path, &f, "seed", UINT64_MAX, &seed)))
            goto fail;
        /* saddle numbers its layers as the Sequential with activations between. */
        for (int l = 0, q = 0; l < spec.nlayers; l++) {
            snprintf(stems[l], sizeof stems[l], "%d", q);
            q += spec.layers[l].act == ACT_LINEAR ? 1 : 2;
        }
    } else if (fmt && !strncmp(fmt, "saddle-", 7)) {
        rc = nn_err(NN_EFORMAT, "%s: checkpoint format \"%.40s\" is not supported (this "
                    "build reads %s)", path, fmt, CKPT_FORMAT);
        goto fail;
    } else if ((rc = ckpt_import_spec(path, &f, act, loss, map, &spec, stems, &how))) {
        goto fail;
    }
    if (note_out && (rc = ckpt_import_note(path, &f, &note))) goto fail;

    if ((rc = model_build(m, &spec))) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", nn_errmsg());
        rc = nn_err(rc, "%s: %s", path, msg);
        goto fail;
    }
    built = 1;
    if ((rc = tensors_copy(path, &f, m, "", stems, m->theta))) goto fail;
    if ((rc = tensors_unexpected(path, &f, m, stems))) goto fail;
    for (int s = 0; s < nstate; s++) {
        char prefix[96];
        if (!state_names[s] || !state[s]) {
            rc = nn_err(NN_EINVAL, "ckpt_load: state %d has no name or buffer", s);
            goto fail;
        }
        snprintf(prefix, sizeof prefix, "optim.%s.", state_names[s]);
        if ((rc = tensors_copy(path, &f, m, prefix, stems, state[s]))) goto fail;
    }
    if (info) {
        const char *cfg = st_meta(&f, "config");
        if (cfg && fmt && !strcmp(fmt, CKPT_FORMAT) && !(info->config_text = strdup(cfg))) {
            rc = nn_err(NN_ENOMEM, "%s: out of memory", path);
            goto fail;
        }
        info->step = (long)step;
        info->epoch = (int)epoch;
        info->seed = seed;
    }
    if (note_out && how) {
        /* Which tensors became which layer, before any dtype note. */
        char arch[NN_MAX_LAYERS * 24 + 16], order[1200];
        size_t k = 0;
        model_arch_string(m, arch, sizeof arch);
        for (int l = 0; l < m->nlayers && k < sizeof order; l++)
            k += (size_t)snprintf(order + k, sizeof order - k, "%s%s", l ? ", " : "", stems[l]);
        size_t cap = strlen(path) + strlen(arch) + sizeof order + 160 + (note ? strlen(note) : 0);
        char *s2 = malloc(cap);
        if (!s2) {
            rc = nn_err(NN_ENOMEM, "%s: out of memory", path);
            goto fail;
        }
        snprintf(s2, cap, "%s: no saddle metadata; read as %s from the Linear layers %s (%s)%s%s",
                 path, arch, order, how, note ? "\n" : "", note ? note : "");
        free(note);
        note = s2;
    }
    if (note_out) *note_out = note;
    st_free(&f);
    return NN_OK;
fail:
    free(note);
    if (built) model_free(m);
    memset(m, 0, sizeof *m);
    ckpt_info_free(info);
    st_free(&f);
    return rc;
}

void ckpt_info_free(ckpt_info *info)
{
    if (!info) return;
    free(info->config_text);
    memset(info, 0, sizeof *info);
}
