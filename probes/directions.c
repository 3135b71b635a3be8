/* Random directions: counter-based Gaussian draws, filter/layer/model
 * normalization against θ0 with the bias choices of directions.h,
 * orthogonalization, and safetensors save/load. */
#include "directions.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../datasets/rng.h"
#include "../nn/nn.h"

static const char *const norm_names[DIR_NORM_COUNT] = {"filter", "layer", "model", "none"};
static const char *const bias_names[DIR_BIAS_COUNT] = {"zero", "keep", "normalize"};

const char *dir_norm_name(int norm)
{
    return norm >= 0 && norm < DIR_NORM_COUNT ? norm_names[norm] : "?";
}

int dir_norm_from_name(const char *s)
{
    for (int k = 0; s && k < DIR_NORM_COUNT; k++)
        if (!strcmp(s, norm_names[k])) return k;
    return -1;
}

const char *dir_bias_name(int bias)
{
    return bias >= 0 && bias < DIR_BIAS_COUNT ? bias_names[bias] : "?";
}

int dir_bias_from_name(const char *s)
{
    for (int k = 0; s && k < DIR_BIAS_COUNT; k++)
        if (!strcmp(s, bias_names[k])) return k;
    return -1;
}

/* ---- helpers --------------------------------------------------------------- */

static double sumsq(const float *x, size_t len)
{
    double s = 0;
    for (size_t i = 0; i < len; i++) s += (double)x[i] * x[i];
    return s;
}

static double dot(const float *a, const float *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)a[i] * b[i];
    return s;
}

/* d *= s in double, or zero d when there is no finite positive scale. */
static void scale_by(float *d, size_t len, double tn2, double dn2)
{
    if (!(tn2 > 0) || !(dn2 > 0)) {
        memset(d, 0, len * sizeof *d);
        return;
    }
    double s = sqrt(tn2 / dn2);
    for (size_t i = 0; i < len; i++) d[i] = (float)(d[i] * s);
}

static size_t block_len(const theta_block *b) { return (size_t)b->rows * (size_t)b->cols; }

/* Blocks must tile θ: a gap would escape normalization and an overlap would
 * be scaled twice, both silently wrong. */
static int args_check(const objective *o, const float *theta0, int norm, int bias,
                      const float *d, const char *who)
{
    if (!o || !theta0 || !d) return nn_err(NN_EINVAL, "%s: NULL argument", who);
    if (norm < 0 || norm >= DIR_NORM_COUNT)
        return nn_err(NN_EINVAL, "%s: unknown normalization %d (filter, layer, model, none)",
                      who, norm);
    if (bias < 0 || bias >= DIR_BIAS_COUNT)
        return nn_err(NN_EINVAL, "%s: unknown bias handling %d (zero, keep, normalize)", who,
                      bias);
    if (o->nblocks < 0 || o->nblocks > OBJ_MAX_BLOCKS)
        return nn_err(NN_EINVAL, "%s: objective has %d blocks (0..%d allowed)", who,
                      o->nblocks, OBJ_MAX_BLOCKS);
    if (o->nblocks == 0) return NN_OK;
    size_t covered = 0;
    for (int k = 0; k < o->nblocks; k++) {
        const theta_block *b = &o->blocks[k];
        if (b->rows <= 0 || b->cols <= 0 || block_len(b) > o->n || b->off > o->n - block_len(b))
            return nn_err(NN_EINVAL, "%s: block %d ([%d][%d] at %zu) does not fit in θ of %zu",
                          who, k, b->rows, b->cols, b->off, o->n);
        for (int j = 0; j < k; j++) {
            const theta_block *c = &o->blocks[j];
            if (b->off < c->off + block_len(c) && c->off < b->off + block_len(b))
                return nn_err(NN_EINVAL, "%s: blocks %d and %d overlap", who, j, k);
        }
        covered += block_len(b);
    }
    if (covered != o->n)
        return nn_err(NN_EINVAL, "%s: blocks cover %zu of the %zu entries of θ", who, covered,
                      o->n);
    return NN_OK;
}

/* ---- normalization ----------------------------------------------------------- */

int dir_normalize(const objective *o, const float *theta0, int norm, int bias, float *d)
{
    int rc = args_check(o, theta0, norm, bias, d, "dir_normalize");
    if (rc) return rc;

    if (o->nblocks == 0) {
        if (norm != DIR_NONE) scale_by(d, o->n, sumsq(theta0, o->n), sumsq(d, o->n));
        return NN_OK;
    }

    double tw = 0, dw = 0; /* whole weight part, for DIR_MODEL */
    for (int k = 0; k < o->nblocks; k++) {
        const theta_block *b = &o->blocks[k];
        const float *t = theta0 + b->off;
        float *x = d + b->off;
        size_t len = block_len(b);
        if (b->is_bias) {
            if (bias == BIAS_ZERO) memset(x, 0, len * sizeof *x);
            else if (bias == BIAS_NORMALIZE) scale_by(x, len, sumsq(t, len), sumsq(x, len));
            continue;
        }
        switch (norm) {
        case DIR_FILTER:
            for (int r = 0; r < b->rows; r++) {
                size_t c = (size_t)b->cols, ro = (size_t)r * c;
                scale_by(x + ro, c, sumsq(t + ro, c), sumsq(x + ro, c));
            }
            break;
        case DIR_LAYER:
            scale_by(x, len, sumsq(t, len), sumsq(x, len));
            break;
        case DIR_MODEL:
            tw += sumsq(t, len);
            dw += sumsq(x, len);
            break;
        default:
            break;
        }
    }
    if (norm == DIR_MODEL) {
        int zero = !(tw > 0) || !(dw > 0);
        double s = zero ? 0 : sqrt(tw / dw);
        for (int k = 0; k < o->nblocks; k++) {
            const theta_block *b = &o->blocks[k];
            if (b->is_bias) continue;
            float *x = d + b->off;
            for (size_t i = 0; i < block_len(b); i++) x[i] = (float)(x[i] * s);
        }
    }
    return NN_OK;
}

int dir_random(const objective *o, const float *theta0, int norm, int bias, uint64_t seed,
               int index, float *d)
{
    int rc = args_check(o, theta0, norm, bias, d, "dir_random");
    if (rc) return rc;
    if (index < 0) return nn_err(NN_EINVAL, "dir_random: direction index %d < 0", index);
    uint64_t stream = RNG_DIRECTION + (uint64_t)index;
    for (size_t i = 0; i < o->n; i++) d[i] = (float)rng_normal(seed, stream, i);
    return dir_normalize(o, theta0, norm, bias, d);
}

/* ---- cosine and orthogonalization ---------------------------------------------- */

double dir_cosine(const float *a, const float *b, size_t n)
{
    double aa = sumsq(a, n), bb = sumsq(b, n);
    if (!(aa > 0) || !(bb > 0)) return 0;
    return dot(a, b, n) / sqrt(aa * bb);
}

#define ORTHO_ROUNDS 8
#define ORTHO_TOL 1e-7

double dir_orthogonalize(const objective *o, const float *theta0, int norm, int bias,
                         const float *d1, float *d2)
{
    if (args_check(o, theta0, norm, bias, d2, "dir_orthogonalize")) return NAN;
    if (!d1) {
        nn_err(NN_EINVAL, "dir_orthogonalize: NULL d1");
        return NAN;
    }
    size_t n = o->n;
    double before = dir_cosine(d1, d2, n);
    double d11 = sumsq(d1, n);
    if (!(d11 > 0)) return before;
    /* Filter/layer rescaling after the projection weights rows unequally and
     * so reintroduces a little of d1; each further round removes most of what
     * is left (measured: one or two extra rounds reach float rounding). */
    for (int round = 0; round < ORTHO_ROUNDS; round++) {
        double c = dot(d1, d2, n) / d11, before2 = sumsq(d2, n);
        for (size_t i = 0; i < n; i++) d2[i] = (float)(d2[i] - c * d1[i]);
        if (round == 0 && !(sumsq(d2, n) > 1e-10 * before2)) {
            nn_err(NN_EINVAL, "dir_orthogonalize: the directions are parallel (cosine %.9f), "
                   "nothing is left after projection", before);
            return NAN;
        }
        dir_normalize(o, theta0, norm, bias, d2);
        if (fabs(dir_cosine(d1, d2, n)) <= ORTHO_TOL) break;
    }
    return before;
}

/* ---- save / load --------------------------------------------------------------- */

int dir_save(const char *path, const float *const *dirs, int ndirs, size_t n,
             const char *const *meta_keys, const char *const *meta_vals, int nmeta)
{
    if (!path || !dirs || ndirs < 1 || n == 0 || (uint64_t)n > (uint64_t)INT64_MAX)
        return nn_err(NN_EINVAL, "dir_save: bad arguments");
    st_tensor *t = calloc((size_t)ndirs, sizeof *t);
    if (!t) return nn_err(NN_ENOMEM, "%s: out of memory", path);
    int rc = NN_OK;
    for (int k = 0; k < ndirs; k++) {
        if (!dirs[k]) {
            rc = nn_err(NN_EINVAL, "dir_save: %s: direction %d is NULL", path, k);
            goto fail;
        }
        snprintf(t[k].name, sizeof t[k].name, "dir%d", k);
        t[k].ndim = 1;
        t[k].shape[0] = (int64_t)n;
        t[k].data = dirs[k];
    }
    rc = st_write(path, t, ndirs, meta_keys, meta_vals, nmeta);
fail:
    free(t);
    return rc;
}

int dir_load(const char *path, float **dirs, int *ndirs, size_t n_expected)
{
    st_file f;
    int rc = NN_OK, cap = ndirs ? *ndirs : 0, got = 0;
    if (ndirs) *ndirs = 0;
    if (!path || !dirs || cap < 1 || n_expected == 0)
        return nn_err(NN_EINVAL, "dir_load: bad arguments");
    if ((rc = st_read(path, &f))) {
        /* Say what a directions file is, not only what this one is not. */
        if (rc == NN_EFORMAT && strstr(nn_errmsg(), "not a safetensors file")) {
            char why[512];
            snprintf(why, sizeof why, "%s", nn_errmsg());
            rc = nn_err(rc, "%s; directions are a safetensors file with 1-D tensors dir0 "
                        "(and dir1), as --save-dirs writes", why);
        }
        return rc;
    }

    for (; got < cap; got++) {
        char name[32];
        snprintf(name, sizeof name, "dir%d", got);
        const st_tensor *t = st_find(&f, name);
        if (!t) break;
        uint64_t len = 1;
        for (int i = 0; i < t->ndim; i++) len *= (uint64_t)t->shape[i];
        if (t->ndim != 1 || len != (uint64_t)n_expected) {
            rc = nn_err(NN_EINVAL, "%s: direction %s has %" PRIu64 " entries%s, but θ has %zu "
                        "(directions saved for a different architecture?)", path, name, len,
                        t->ndim != 1 ? " and is not 1-D" : "", n_expected);
            goto fail;
        }
        for (size_t i = 0; i < n_expected; i++) {
            if (!isfinite(t->data[i])) {
                rc = nn_err(NN_EFORMAT, "%s: direction %s has a non-finite entry at %zu", path,
                            name, i);
                goto fail;
            }
        }
        if (!(dirs[got] = malloc(n_expected * sizeof(float)))) {
            rc = nn_err(NN_ENOMEM, "%s: out of memory for %s", path, name);
            goto fail;
        }
        memcpy(dirs[got], t->data, n_expected * sizeof(float));
    }
    if (got == 0) {
        rc = nn_err(NN_EFORMAT, "%s: no direction tensor \"dir0\" in the file (directions "
                    "are 1-D tensors dir0 and dir1, as --save-dirs writes; a checkpoint is "
                    "not a directions file)", path);
        goto fail;
    }
    st_free(&f);
    *ndirs = got;
    return NN_OK;
fail:
    /* Only slots this call filled are touched: dirs[got] was never set. */
    for (int k = 0; k < got; k++) {
        free(dirs[k]);
        dirs[k] = NULL;
    }
    st_free(&f);
    return rc;
}
