/* Models PyTorch users save: an nn.Sequential (with a leading Flatten or
 * dropout the indices have gaps), a Sequential inside a module ("net.0."),
 * or named Linear modules ("fc1.", "fc2.") put in order by --map or by how
 * their shapes chain; and a note on tensors converted from F64/F16/BF16. */
#include "ckpt_import.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WIDTH_MAX NN_MAX_INPUT  /* the widest input model_build accepts */
#define LEAKY_SLOPE 0.01f       /* nn.LeakyReLU's default negative_slope */
#define CHAIN_VISITS 1000000    /* orders tried before giving up on shapes alone */

typedef struct tlayer {
    char stem[CKPT_STEM_MAX];
    const st_tensor *w;
    long idx;                   /* Sequential index, -1 when the stem has none */
} tlayer;

/* "P<n>" with P empty or ending in '.', n without sign or leading zeros:
 * n, and the length of P in *plen; -1 for any other stem. */
static long stem_index(const char *stem, size_t *plen)
{
    const char *dot = strrchr(stem, '.'), *p = dot ? dot + 1 : stem;
    *plen = (size_t)(p - stem);
    if (!*p || (p[0] == '0' && p[1]) || strlen(p) > 9) return -1;
    long v = 0;
    for (; *p; p++) {
        if (*p < '0' || *p > '9') return -1;
        v = v * 10 + (*p - '0');
    }
    return v;
}

/* "fc1 [256, 784], fc2 [10, 256]" (or the stems alone) into buf. */
static void layers_list(char *buf, size_t len, const tlayer *L, int n, int shapes)
{
    size_t k = 0;
    buf[0] = 0;
    for (int i = 0; i < n && k < len; i++) {
        if (shapes)
            k += (size_t)snprintf(buf + k, len - k, "%s%s [%" PRId64 ", %" PRId64 "]", i ? ", " : "",
                                  L[i].stem, L[i].w->shape[0], L[i].w->shape[1]);
        else
            k += (size_t)snprintf(buf + k, len - k, "%s%s", i ? "," : "", L[i].stem);
    }
}

static int tlayer_by_idx(const void *a, const void *b)
{
    long x = ((const tlayer *)a)->idx, y = ((const tlayer *)b)->idx;
    return (x > y) - (x < y);
}

/* Groups f's tensors by module: every tensor must be <stem>.weight or
 * <stem>.bias, and every module has a 2-D weight. */
static int layers_collect(const char *path, const st_file *f, tlayer *L, int *n)
{
    char shp[64];
    *n = 0;
    for (int i = 0; i < f->ntensors; i++) {
        const st_tensor *t = &f->tensors[i];
        if (!strncmp(t->name, "optim.", 6)) continue;
        const char *dot = strrchr(t->name, '.');
        int is_w = dot && !strcmp(dot + 1, "weight"), is_b = dot && !strcmp(dot + 1, "bias");
        if (!dot || dot == t->name || (!is_w && !is_b))
            return nn_err(NN_EFORMAT, "%s: unexpected tensor \"%s\" (a model of Linear layers "
                          "has only <module>.weight and <module>.bias)", path, t->name);
        size_t sl = (size_t)(dot - t->name);
        int k = 0;
        while (k < *n && (strlen(L[k].stem) != sl || strncmp(L[k].stem, t->name, sl))) k++;
        if (k == *n) {
            if (*n == NN_MAX_LAYERS)
                return nn_err(NN_EFORMAT, "%s: more than %d layers", path, NN_MAX_LAYERS);
            memset(&L[k], 0, sizeof L[k]);
            memcpy(L[k].stem, t->name, sl); /* names are < 96 bytes, so stems are too */
            size_t plen;
            L[k].idx = stem_index(L[k].stem, &plen);
            (*n)++;
        }
        if (!is_w) continue;
        L[k].w = t;
        if (t->ndim != 2 || t->shape[0] <= 0 || t->shape[1] <= 0 || t->shape[0] > WIDTH_MAX ||
            t->shape[1] > WIDTH_MAX) {
            size_t j = (size_t)snprintf(shp, sizeof shp, "[");
            for (int d = 0; d < t->ndim && j < sizeof shp; d++)
                j += (size_t)snprintf(shp + j, sizeof shp - j, d ? ", %" PRId64 : "%" PRId64,
                                      t->shape[d]);
            if (j < sizeof shp) snprintf(shp + j, sizeof shp - j, "]");
            return nn_err(NN_EFORMAT, "%s: tensor \"%s\" has shape %s, expected [out, in]", path,
                          t->name, shp);
        }
    }
    if (*n == 0) return nn_err(NN_EFORMAT, "%s: no layer weights (0.weight, ...) found", path);
    for (int k = 0; k < *n; k++)
        if (!L[k].w)
            return nn_err(NN_EFORMAT, "%s: tensor \"%s.bias\" has no \"%s.weight\"", path,
                          L[k].stem, L[k].stem);
    return NN_OK;
}

/* The order --map gives ("fc1,fc2,out"): every layer named once. */
static int order_by_map(const char *path, const char *map, tlayer *L, int n)
{
    tlayer out[NN_MAX_LAYERS];
    int used[NN_MAX_LAYERS] = {0}, k = 0;
    char have[1024];
    layers_list(have, sizeof have, L, n, 0);
    for (const char *p = map;; p++) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        int i = 0;
        while (i < n && (strlen(L[i].stem) != len || strncmp(L[i].stem, p, len))) i++;
        if (len == 0 || i == n)
            return nn_err(NN_EINVAL, "%s: --map names \"%.*s\", but the file has no \"%.*s.weight\" "
                          "(its layers: %s)", path, (int)(len > 96 ? 96 : len), p,
                          (int)(len > 96 ? 96 : len), p, have);
        if (used[i]++)
            return nn_err(NN_EINVAL, "%s: --map names \"%s\" twice", path, L[i].stem);
        out[k++] = L[i];
        if (!e) break;
        p = e;
    }
    for (int i = 0; i < n; i++)
        if (!used[i])
            return nn_err(NN_EINVAL, "%s: --map leaves out layer \"%s\" (the file's layers: %s)",
                          path, L[i].stem, have);
    memcpy(L, out, (size_t)n * sizeof *L);
    return NN_OK;
}

/* A Sequential's index order: an activation module sits between two
 * Linear layers unless they are linear; anything before the first (a
 * Flatten) or between them besides (a Dropout) takes indices too. */
static int order_by_index(const char *path, int act, tlayer *L, int n)
{
    qsort(L, (size_t)n, sizeof *L, tlayer_by_idx);
    for (int l = 1; l < n; l++) {
        long gap = L[l].idx - L[l - 1].idx;
        if (act == ACT_LINEAR && gap != 1)
            return nn_err(NN_EFORMAT, "%s: tensor \"%s\": layer %d of a Sequential with linear "
                          "activations should be at index %ld, right after \"%s\"; a module sits "
                          "between them (an activation? give it with --act)", path, L[l].w->name,
                          l, L[l - 1].idx + 1, L[l - 1].w->name);
        if (act != ACT_LINEAR && gap < 2)
            return nn_err(NN_EFORMAT, "%s: tensors \"%s\" and \"%s\" are next to each other in the "
                          "Sequential: no room for the %s activation between them (--act linear?)",
                          path, L[l - 1].w->name, L[l].w->name, act_name(act));
    }
    return NN_OK;
}

typedef struct chain {
    const tlayer *L;
    int n, found, order[NN_MAX_LAYERS], first[NN_MAX_LAYERS], second[NN_MAX_LAYERS];
    long visits;
} chain;

/* Depth-first over orders whose shapes chain, stopping at the second. */
static void chain_dfs(chain *c, int depth, uint64_t used)
{
    if (c->found >= 2 || ++c->visits > CHAIN_VISITS) return;
    if (depth == c->n) {
        memcpy(c->found ? c->second : c->first, c->order, (size_t)c->n * sizeof(int));
        c->found++;
        return;
    }
    for (int i = 0; i < c->n && c->found < 2; i++) {
        if (used >> i & 1) continue;
        if (depth > 0 && c->L[i].w->shape[1] != c->L[c->order[depth - 1]].w->shape[0]) continue;
        c->order[depth] = i;
        chain_dfs(c, depth + 1, used | (uint64_t)1 << i);
    }
}

static int order_by_shapes(const char *path, tlayer *L, int n)
{
    chain c = {.L = L, .n = n};
    chain_dfs(&c, 0, 0);
    char have[1024], a[512], b[512];
    if (c.found == 1) {
        tlayer out[NN_MAX_LAYERS];
        for (int l = 0; l < n; l++) out[l] = L[c.first[l]];
        memcpy(L, out, (size_t)n * sizeof *L);
        return NN_OK;
    }
    layers_list(have, sizeof have, L, n, 1);
    if (c.found == 0 && c.visits <= CHAIN_VISITS)
        return nn_err(NN_EFORMAT, "%s: the layers' shapes chain in no order (each layer's input "
                      "width the previous one's output): %s", path, have);
    if (c.found == 0)
        return nn_err(NN_EFORMAT, "%s: too many orders of the layers to try by shape (%s): give "
                      "the order with --map", path, have);
    tlayer x[NN_MAX_LAYERS], y[NN_MAX_LAYERS];
    for (int l = 0; l < n; l++) {
        x[l] = L[c.first[l]];
        y[l] = L[c.second[l]];
    }
    layers_list(a, sizeof a, x, n, 0);
    layers_list(b, sizeof b, y, n, 0);
    return nn_err(NN_EFORMAT, "%s: the layers' shapes chain in more than one order (%s and %s): "
                  "give the order with --map, e.g. --map %s", path, a, b, a);
}

int ckpt_import_spec(const char *path, const st_file *f, int act, int loss, const char *map,
                     model_spec *spec, char (*stems)[CKPT_STEM_MAX], const char **how)
{
    tlayer L[NN_MAX_LAYERS];
    int n, rc;
    if (act < 0)
        return nn_err(NN_EINVAL, "%s: file has no saddle metadata, so the hidden activation "
                      "must be given (e.g. --act relu)", path);
    if (act >= ACT_COUNT) return nn_err(NN_EINVAL, "%s: unknown activation %d", path, act);
    if (loss >= LOSS_COUNT) return nn_err(NN_EINVAL, "%s: unknown loss %d", path, loss);
    if ((rc = layers_collect(path, f, L, &n))) return rc;

    /* One Sequential: every stem "<P><index>" with the same P. */
    int seq = 1;
    size_t p0 = 0;
    for (int l = 0; l < n && seq; l++) {
        size_t plen;
        seq = stem_index(L[l].stem, &plen) >= 0 &&
              (l == 0 || (plen == p0 && !strncmp(L[l].stem, L[0].stem, plen)));
        if (l == 0) p0 = plen;
    }
    if (map) {
        rc = order_by_map(path, map, L, n);
        *how = "in the order --map gives";
    } else if (seq) {
        rc = order_by_index(path, act, L, n);
        *how = "in Sequential index order";
    } else {
        rc = order_by_shapes(path, L, n);
        *how = "in the one order their shapes chain";
    }
    if (rc) return rc;

    for (int l = 1; l < n; l++)
        if (L[l].w->shape[1] != L[l - 1].w->shape[0])
            return nn_err(NN_EFORMAT, "%s: tensor \"%s\" has shape [%" PRId64 ", %" PRId64 "] but "
                          "the previous layer \"%s\" has %" PRId64 " outputs", path, L[l].w->name,
                          L[l].w->shape[0], L[l].w->shape[1], L[l - 1].w->name,
                          L[l - 1].w->shape[0]);
    for (int l = 0; l < n; l++) {
        spec->layers[l].out = (int)L[l].w->shape[0];
        spec->layers[l].act = l + 1 < n ? act : ACT_LINEAR;
        spec->layers[l].init = -1;
        memcpy(stems[l], L[l].stem, CKPT_STEM_MAX);
    }
    spec->in = (int)L[0].w->shape[1];
    spec->nlayers = n;
    spec->init = INIT_TORCH;
    spec->leaky_slope = LEAKY_SLOPE;
    spec->loss = loss < 0 ? LOSS_XENT : loss;
    return NN_OK;
}

int ckpt_import_note(const char *path, const st_file *f, char **out)
{
    *out = NULL;
    char seg[3][600];
    int nseg = 0;
    for (int d = ST_F64; d <= ST_BF16; d++) {
        int cnt = 0, shown = 0;
        double ra = 0, rr = 0;
        for (int i = 0; i < f->ntensors; i++)
            if (f->src[i].dtype == d) {
                cnt++;
                if (f->src[i].round_abs > ra) ra = f->src[i].round_abs;
                if (f->src[i].round_rel > rr) rr = f->src[i].round_rel;
            }
        if (!cnt) continue;
        char *s = seg[nseg++];
        size_t len = sizeof seg[0];
        size_t k = (size_t)snprintf(s, len, "%d %s tensor%s (", cnt, st_dtype_name(d),
                                    cnt > 1 ? "s" : "");
        for (int i = 0; i < f->ntensors && k < len; i++) {
            if (f->src[i].dtype != d) continue;
            if (shown == 4) {
                k += (size_t)snprintf(s + k, len - k, " and %d more", cnt - 4);
                break;
            }
            k += (size_t)snprintf(s + k, len - k, "%s%s", shown++ ? ", " : "", f->tensors[i].name);
        }
        /* Halves and bfloat16 are a subset of float; doubles round, unless
         * they were floats to begin with (model.double()). */
        if (k < len && d == ST_F64 && ra > 0)
            snprintf(s + k, len - k, "), largest rounding %.3g (relative %.3g)", ra, rr);
        else if (k < len)
            snprintf(s + k, len - k, "), exactly");
    }
    if (!nseg) return NN_OK;
    size_t cap = strlen(path) + 64 + 3 * sizeof seg[0];
    char *s = malloc(cap);
    if (!s) return nn_err(NN_ENOMEM, "%s: out of memory", path);
    snprintf(s, cap, "%s: converted to float32: %s%s%s%s%s", path, seg[0], nseg > 1 ? "; " : "",
             nseg > 1 ? seg[1] : "", nseg > 2 ? "; " : "", nseg > 2 ? seg[2] : "");
    *out = s;
    return NN_OK;
}
