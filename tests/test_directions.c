/* Random directions: the norms each normalization promises (against direct
 * double computations), bias handling, determinism in (seed, index),
 * invariance of filter-normalized slices to ReLU rescaling on a real model,
 * orthogonalization, and save/load. */
#include <stdlib.h>
#include <string.h>

#include "../datasets/rng.h"
#include "../nn/nn.h"
#include "../probes/directions.h"
#include "test.h"

/* ---- a hand-made layout with rows of very different norms ------------------ */

/* W0 [6][5], b0 [6], W1 [4][6], b1 [4]: n = 64. θ0 row r of W0 has scale
 * (r + 1)^2 so a per-layer scale cannot pass for per-row ones; W0 row 2 and
 * all of b1 are zero (dead neuron, zero bias). */
#define TN 64

static void toy_objective(objective *o)
{
    memset(o, 0, sizeof *o);
    o->n = TN;
    o->nblocks = 4;
    o->blocks[0] = (theta_block){0, 6, 5, 0, 0};
    o->blocks[1] = (theta_block){30, 6, 1, 1, 0};
    o->blocks[2] = (theta_block){36, 4, 6, 0, 1};
    o->blocks[3] = (theta_block){60, 4, 1, 1, 1};
}

static void toy_theta(float *t)
{
    for (int i = 0; i < TN; i++) t[i] = (float)rng_normal(5, 77, (uint64_t)i);
    for (int r = 0; r < 6; r++)
        for (int c = 0; c < 5; c++) t[r * 5 + c] *= (float)((r + 1) * (r + 1));
    for (int c = 0; c < 5; c++) t[2 * 5 + c] = 0;
    for (int i = 60; i < 64; i++) t[i] = 0;
}

static double norm2(const float *x, size_t len)
{
    double s = 0;
    for (size_t i = 0; i < len; i++) s += (double)x[i] * x[i];
    return sqrt(s);
}

/* max over i of |d_i / raw_i − ratio| / ratio for the first nonzero ratio:
 * 0 when d is a positive multiple of raw on [0, len). */
static double ratio_spread(const float *d, const float *raw, size_t len)
{
    double ratio = 0, worst = 0;
    for (size_t i = 0; i < len; i++) {
        double q = (double)d[i] / raw[i];
        if (i == 0) ratio = q;
        else if (fabs(q - ratio) / fabs(ratio) > worst) worst = fabs(q - ratio) / fabs(ratio);
    }
    return ratio > 0 ? worst : INFINITY;
}

static void raw_draw(uint64_t seed, int index, size_t n, float *raw)
{
    for (size_t i = 0; i < n; i++)
        raw[i] = (float)rng_normal(seed, RNG_DIRECTION + (uint64_t)index, i);
}

/* ---- names ------------------------------------------------------------------- */

TEST(names_round_trip)
{
    const char *norms[] = {"filter", "layer", "model", "none"};
    const char *biases[] = {"zero", "keep", "normalize"};
    for (int k = 0; k < 4; k++) {
        CHECK(dir_norm_from_name(norms[k]) == k);
        CHECK(!strcmp(dir_norm_name(k), norms[k]));
    }
    for (int k = 0; k < 3; k++) {
        CHECK(dir_bias_from_name(biases[k]) == k);
        CHECK(!strcmp(dir_bias_name(k), biases[k]));
    }
    CHECK(DIR_FILTER == 0 && BIAS_ZERO == 0); /* zeroed options mean the paper's defaults */
    CHECK(dir_norm_from_name("Filter") == -1 && dir_norm_from_name(NULL) == -1);
    CHECK(dir_bias_from_name("") == -1);
    CHECK(!strcmp(dir_norm_name(9), "?") && !strcmp(dir_bias_name(-1), "?"));
}

/* ---- the promised norms ------------------------------------------------------- */

/* Filter: every row of W has θ0's row norm and points along the raw draw.
 * Measured: worst relative row-norm error 3.2e-8, ratio spread 7.9e-8. The
 * broken version that scales each whole block to its layer norm instead
 * (what DIR_LAYER does) misses the row norms by 0.037 .. 19.5. */
TEST(filter_rows_have_theta_row_norms)
{
    objective o;
    float t[TN], d[TN], raw[TN];
    toy_objective(&o);
    toy_theta(t);
    raw_draw(11, 3, TN, raw);
    for (int bias = 0; bias < DIR_BIAS_COUNT; bias++) {
        CHECK_OK(dir_random(&o, t, DIR_FILTER, bias, 11, 3, d));
        for (int k = 0; k < 4; k++) {
            const theta_block *b = &o.blocks[k];
            if (b->is_bias) continue;
            for (int r = 0; r < b->rows; r++) {
                size_t off = b->off + (size_t)r * b->cols;
                double tn = norm2(t + off, (size_t)b->cols), dn = norm2(d + off, (size_t)b->cols);
                if (tn == 0) {
                    CHECK_MSG(dn == 0, "block %d row %d: θ0 row is zero, d row norm %g", k, r,
                              dn);
                    continue;
                }
                CHECK_NEAR(dn / tn, 1.0, 3e-7);
                CHECK_NEAR(ratio_spread(d + off, raw + off, (size_t)b->cols), 0, 5e-7);
            }
        }
        for (int i = 0; i < TN; i++) CHECK(isfinite(d[i]));
    }
}

/* Layer: each weight block has θ0's block norm and stays one multiple of the
 * raw draw (per-row scaling, i.e. DIR_FILTER, measured: spread 97). */
TEST(layer_blocks_have_theta_block_norms)
{
    objective o;
    float t[TN], d[TN], raw[TN];
    toy_objective(&o);
    toy_theta(t);
    raw_draw(11, 0, TN, raw);
    CHECK_OK(dir_random(&o, t, DIR_LAYER, BIAS_ZERO, 11, 0, d));
    for (int k = 0; k < 4; k++) {
        const theta_block *b = &o.blocks[k];
        if (b->is_bias) continue;
        size_t len = (size_t)b->rows * b->cols;
        CHECK_NEAR(norm2(d + b->off, len) / norm2(t + b->off, len), 1.0, 3e-7);
        CHECK_NEAR(ratio_spread(d + b->off, raw + b->off, len), 0, 5e-7);
    }
    /* Not vacuous: the two layers got different multiples. */
    double q0 = (double)d[0] / raw[0], q1 = (double)d[36] / raw[36];
    CHECK(fabs(q0 / q1 - 1) > 0.1);
}

/* Model: the weight part as a whole has θ0's weight norm, one multiple throughout. */
TEST(model_weights_have_theta_weight_norm)
{
    objective o;
    float t[TN], d[TN], raw[TN], tw[54], dw[54], rw[54];
    toy_objective(&o);
    toy_theta(t);
    raw_draw(4, 2, TN, raw);
    CHECK_OK(dir_random(&o, t, DIR_MODEL, BIAS_KEEP, 4, 2, d));
    /* gather the weights: [0, 30) and [36, 60) */
    memcpy(tw, t, 30 * sizeof(float));
    memcpy(tw + 30, t + 36, 24 * sizeof(float));
    memcpy(dw, d, 30 * sizeof(float));
    memcpy(dw + 30, d + 36, 24 * sizeof(float));
    memcpy(rw, raw, 30 * sizeof(float));
    memcpy(rw + 30, raw + 36, 24 * sizeof(float));
    CHECK_NEAR(norm2(dw, 54) / norm2(tw, 54), 1.0, 3e-7);
    CHECK_NEAR(ratio_spread(dw, rw, 54), 0, 5e-7);
    /* the biases were kept raw */
    CHECK(!memcmp(d + 30, raw + 30, 6 * sizeof(float)) && !memcmp(d + 60, raw + 60, 16));
}

TEST(none_leaves_weights_raw)
{
    objective o;
    float t[TN], d[TN], raw[TN];
    toy_objective(&o);
    toy_theta(t);
    raw_draw(9, 1, TN, raw);
    CHECK_OK(dir_random(&o, t, DIR_NONE, BIAS_KEEP, 9, 1, d));
    CHECK(!memcmp(d, raw, sizeof d));
    CHECK_OK(dir_random(&o, t, DIR_NONE, BIAS_ZERO, 9, 1, d));
    CHECK(!memcmp(d, raw, 30 * sizeof(float)) && !memcmp(d + 36, raw + 36, 24 * sizeof(float)));
}

/* zero: bias entries exactly 0; keep: the raw draw, unscaled; normalize: each
 * bias block has θ0's norm (zero where θ0's bias is zero), for every norm. */
TEST(bias_handling_as_documented)
{
    objective o;
    float t[TN], d[TN], raw[TN];
    toy_objective(&o);
    toy_theta(t);
    raw_draw(21, 5, TN, raw);
    for (int norm = 0; norm < DIR_NORM_COUNT; norm++) {
        CHECK_OK(dir_random(&o, t, norm, BIAS_ZERO, 21, 5, d));
        for (int i = 30; i < 36; i++) CHECK(d[i] == 0.0f);
        for (int i = 60; i < 64; i++) CHECK(d[i] == 0.0f);

        CHECK_OK(dir_random(&o, t, norm, BIAS_KEEP, 21, 5, d));
        CHECK(!memcmp(d + 30, raw + 30, 6 * sizeof(float)));
        CHECK(!memcmp(d + 60, raw + 60, 4 * sizeof(float)));

        CHECK_OK(dir_random(&o, t, norm, BIAS_NORMALIZE, 21, 5, d));
        CHECK_NEAR(norm2(d + 30, 6) / norm2(t + 30, 6), 1.0, 3e-7);
        CHECK_NEAR(ratio_spread(d + 30, raw + 30, 6), 0, 5e-7);
        for (int i = 60; i < 64; i++) CHECK(d[i] == 0.0f);
    }
}

/* nblocks == 0: θ is one weight row, so filter, layer and model all give
 * ||d|| = ||θ0||, and bias settings have nothing to act on. */
TEST(flat_objective_is_one_row)
{
    objective o;
    float t[TN], d[TN], raw[TN];
    memset(&o, 0, sizeof o);
    o.n = TN;
    toy_theta(t);
    raw_draw(3, 0, TN, raw);
    for (int norm = 0; norm < DIR_NONE; norm++) {
        CHECK_OK(dir_random(&o, t, norm, BIAS_ZERO, 3, 0, d));
        CHECK_NEAR(norm2(d, TN) / norm2(t, TN), 1.0, 3e-7);
        CHECK_NEAR(ratio_spread(d, raw, TN), 0, 5e-7);
    }
    CHECK_OK(dir_random(&o, t, DIR_NONE, BIAS_ZERO, 3, 0, d));
    CHECK(!memcmp(d, raw, sizeof d));
}

TEST(normalize_is_idempotent)
{
    objective o;
    float t[TN], d[TN], e[TN];
    toy_objective(&o);
    toy_theta(t);
    for (int norm = 0; norm < DIR_NORM_COUNT; norm++) {
        for (int bias = 0; bias < DIR_BIAS_COUNT; bias++) {
            CHECK_OK(dir_random(&o, t, norm, bias, 8, 0, d));
            memcpy(e, d, sizeof d);
            CHECK_OK(dir_normalize(&o, t, norm, bias, e));
            for (int i = 0; i < TN; i++) CHECK_NEAR(e[i], d[i], 3e-7 * fabs(d[i]));
        }
    }
}

/* The draw is a pure function of (seed, index, i): equal calls give equal
 * bits, other indices and seeds give (nearly) uncorrelated vectors. */
TEST(deterministic_in_seed_and_index)
{
    enum { N = 4000 };
    objective o;
    memset(&o, 0, sizeof o);
    o.n = N;
    float *t = malloc(N * sizeof(float)), *a = malloc(N * sizeof(float));
    float *b = malloc(N * sizeof(float)), *c = malloc(N * sizeof(float));
    for (int i = 0; i < N; i++) t[i] = 1.0f;
    CHECK_OK(dir_random(&o, t, DIR_NONE, BIAS_ZERO, 123, 1, a));
    CHECK_OK(dir_random(&o, t, DIR_NONE, BIAS_ZERO, 123, 0, c)); /* order does not matter */
    CHECK_OK(dir_random(&o, t, DIR_NONE, BIAS_ZERO, 123, 1, b));
    CHECK(!memcmp(a, b, N * sizeof(float)));
    for (int i = 0; i < N; i++) CHECK(a[i] == (float)rng_normal(123, RNG_DIRECTION + 1, i));
    /* independent N(0,1) vectors: |cos| ~ 1/sqrt(N) = 0.016 */
    CHECK(fabs(dir_cosine(a, c, N)) < 0.06);
    CHECK_OK(dir_random(&o, t, DIR_NONE, BIAS_ZERO, 124, 1, b));
    CHECK(fabs(dir_cosine(a, b, N)) < 0.06);
    /* and they are standard normal */
    double s = 0, s2 = 0;
    for (int i = 0; i < N; i++) {
        s += a[i];
        s2 += (double)a[i] * a[i];
    }
    CHECK_NEAR(s / N, 0, 0.06);
    CHECK_NEAR(s2 / N, 1, 0.08);
    free(t);
    free(a);
    free(b);
    free(c);
}

TEST(bad_arguments_rejected)
{
    objective o;
    float t[TN], d[TN];
    toy_objective(&o);
    toy_theta(t);
    CHECK(dir_random(&o, t, 7, BIAS_ZERO, 1, 0, d) == NN_EINVAL);
    CHECK(dir_random(&o, t, DIR_FILTER, -1, 1, 0, d) == NN_EINVAL);
    CHECK(dir_random(&o, t, DIR_FILTER, BIAS_ZERO, 1, -1, d) == NN_EINVAL);
    o.blocks[3].rows = 3; /* a gap at the end */
    CHECK(dir_random(&o, t, DIR_FILTER, BIAS_ZERO, 1, 0, d) == NN_EINVAL);
    CHECK(strstr(nn_errmsg(), "cover 63 of the 64") != NULL);
    toy_objective(&o);
    o.blocks[1].off = 29; /* overlaps W0 */
    o.blocks[3].rows = 5;
    CHECK(dir_normalize(&o, t, DIR_FILTER, BIAS_ZERO, d) == NN_EINVAL);
    CHECK(strstr(nn_errmsg(), "overlap") != NULL);
    toy_objective(&o);
    o.blocks[3].off = 62; /* runs past the end */
    CHECK(dir_normalize(&o, t, DIR_FILTER, BIAS_ZERO, d) == NN_EINVAL);
}

/* ---- ReLU rescaling invariance on a real model --------------------------------- */

static void model_objective(const model *m, objective *o)
{
    memset(o, 0, sizeof *o);
    o->n = m->n;
    for (int l = 0; l < m->nlayers; l++) {
        const layer *L = &m->layers[l];
        o->blocks[o->nblocks++] = (theta_block){L->w_off, L->out, L->in, 0, l};
        o->blocks[o->nblocks++] = (theta_block){L->b_off, L->out, 1, 1, l};
    }
}

/* Largest |L(θ + α d) − L(θ' + α d')| over the α grid; *spread gets the
 * largest |L(θ + α d) − L(θ)| so a flat (vacuous) slice is visible. */
static double slice_gap(const model *m, const dataset *ds, workspace *ws, const float *th,
                        const float *d, const float *th2, const float *d2, double *spread)
{
    static const double alphas[] = {-1.0, -0.5, -0.2, 0.3, 0.7, 1.0};
    float *p = malloc(m->n * sizeof(float)), *q = malloc(m->n * sizeof(float));
    double gap = 0, l0 = model_eval(m, th, ds, NULL, ds->n, NULL, NULL, ws);
    *spread = 0;
    for (int k = 0; k < 6; k++) {
        for (size_t i = 0; i < m->n; i++) {
            p[i] = th[i] + (float)alphas[k] * d[i];
            q[i] = th2[i] + (float)alphas[k] * d2[i];
        }
        double lp = model_eval(m, p, ds, NULL, ds->n, NULL, NULL, ws);
        double lq = model_eval(m, q, ds, NULL, ds->n, NULL, NULL, ws);
        gap = fmax(gap, fabs(lp - lq));
        *spread = fmax(*spread, fabs(lp - l0));
    }
    free(p);
    free(q);
    return gap;
}

/* Scaling layer l's W and b by c = 10 and layer l+1's W by 1/c leaves a ReLU
 * net's function unchanged; filter normalization scales the direction the
 * same way, so the slice is unchanged too, while a raw direction's is not.
 * Measured largest gaps over the α grid (L(θ0) = 1.39, the slice moving the
 * loss by up to 1.26): filter 2.6e-8 .. 9.6e-8, none 8.8 .. 135. Layer
 * normalization passes this whole-layer rescale as well (both scale by c);
 * filter_rows_have_theta_row_norms is the test that separates them. */
TEST(filter_slice_invariant_to_relu_rescaling)
{
    model m;
    model_spec s;
    memset(&s, 0, sizeof s);
    s.in = 4;
    s.nlayers = 3;
    s.loss = LOSS_XENT;
    s.init = INIT_TORCH;
    int widths[3] = {12, 10, 3}, acts[3] = {ACT_RELU, ACT_RELU, ACT_LINEAR};
    for (int l = 0; l < 3; l++) s.layers[l] = (layer_spec){widths[l], acts[l], -1};
    CHECK_OK(model_build(&m, &s));
    model_init_params(&m, 17);
    dataset ds;
    CHECK_OK(synth_make("blobs", 200, 3, 4, 1.0, 5, &ds));
    workspace ws;
    CHECK_OK(workspace_alloc(&ws, &m, 64));
    objective o;
    model_objective(&m, &o);

    size_t n = m.n;
    float *th2 = malloc(n * sizeof(float)), *d = malloc(n * sizeof(float));
    float *d2 = malloc(n * sizeof(float));
    const float c = 10.0f;
    for (int l = 0; l < 2; l++) {
        const layer *A = &m.layers[l], *B = &m.layers[l + 1];
        memcpy(th2, m.theta, n * sizeof(float));
        for (size_t i = 0; i < (size_t)A->out * A->in; i++) th2[A->w_off + i] *= c;
        for (int i = 0; i < A->out; i++) th2[A->b_off + i] *= c;
        for (size_t i = 0; i < (size_t)B->out * B->in; i++) th2[B->w_off + i] /= c;
        double l0 = model_eval(&m, m.theta, &ds, NULL, ds.n, NULL, NULL, &ws);
        double l1 = model_eval(&m, th2, &ds, NULL, ds.n, NULL, NULL, &ws);
        CHECK_NEAR(l1, l0, 1e-6 * l0); /* the function really is unchanged */

        double spread;
        for (int bias = 0; bias < 3; bias += 2) { /* zero and normalize are both invariant */
            CHECK_OK(dir_random(&o, m.theta, DIR_FILTER, bias, 99, 0, d));
            CHECK_OK(dir_random(&o, th2, DIR_FILTER, bias, 99, 0, d2));
            double gap = slice_gap(&m, &ds, &ws, m.theta, d, th2, d2, &spread);
            CHECK_MSG(gap <= 1e-6 * l0, "layer %d bias %s: filter slice moved by %g", l,
                      dir_bias_name(bias), gap);
            CHECK_MSG(spread > 0.1, "layer %d: slice is flat (%g)", l, spread);
        }
        CHECK_OK(dir_random(&o, m.theta, DIR_NONE, BIAS_ZERO, 99, 0, d));
        CHECK_OK(dir_random(&o, th2, DIR_NONE, BIAS_ZERO, 99, 0, d2));
        double gap = slice_gap(&m, &ds, &ws, m.theta, d, th2, d2, &spread);
        CHECK_MSG(gap > 0.05, "layer %d: the unnormalized slice did not change (%g)", l, gap);
    }
    free(th2);
    free(d);
    free(d2);
    workspace_free(&ws);
    dataset_free(&ds);
    model_free(&m);
}

/* ---- orthogonalization ----------------------------------------------------------- */

/* d2 is built with cosine ~0.9 to d1. Afterwards |cos| must be at float
 * rounding and d2 must still satisfy its normalization. Measured: |cos|
 * after <= 4.2e-8 for every scheme; a single Gram-Schmidt step followed by
 * re-normalization leaves filter 2.5e-2, layer 7.6e-6, model 5.5e-7 and
 * none 4.3e-3 (its biases are normalized here), so one round would fail. */
TEST(orthogonalize_removes_cosine)
{
    objective o;
    float t[TN], d1[TN], d2[TN], e[TN];
    toy_objective(&o);
    toy_theta(t);
    for (int norm = 0; norm < DIR_NORM_COUNT; norm++) {
        CHECK_OK(dir_random(&o, t, norm, BIAS_NORMALIZE, 1, 0, d1));
        CHECK_OK(dir_random(&o, t, norm, BIAS_NORMALIZE, 1, 1, d2));
        for (int i = 0; i < TN; i++) d2[i] = d2[i] + 1.5f * d1[i];
        CHECK_OK(dir_normalize(&o, t, norm, BIAS_NORMALIZE, d2));
        double c0 = dir_cosine(d1, d2, TN);
        CHECK_MSG(c0 > 0.5, "%s: setup cosine %g", dir_norm_name(norm), c0);
        double before = dir_orthogonalize(&o, t, norm, BIAS_NORMALIZE, d1, d2);
        CHECK_NEAR(before, c0, 1e-12);
        double after = dir_cosine(d1, d2, TN);
        CHECK_MSG(fabs(after) <= 1e-7, "%s: cosine after %g", dir_norm_name(norm), after);
        memcpy(e, d2, sizeof e);
        CHECK_OK(dir_normalize(&o, t, norm, BIAS_NORMALIZE, e));
        for (int i = 0; i < TN; i++) CHECK_NEAR(e[i], d2[i], 3e-7 * fabs(d2[i]) + 1e-30);
        if (norm == DIR_FILTER)
            for (int r = 0; r < 4; r++)
                CHECK_NEAR(norm2(d2 + 36 + 6 * r, 6), norm2(t + 36 + 6 * r, 6),
                           3e-7 * norm2(t + 36 + 6 * r, 6));
    }
    /* parallel directions cannot be orthogonalized */
    CHECK_OK(dir_random(&o, t, DIR_FILTER, BIAS_ZERO, 1, 0, d1));
    memcpy(d2, d1, sizeof d2);
    CHECK(isnan(dir_orthogonalize(&o, t, DIR_FILTER, BIAS_ZERO, d1, d2)));
    CHECK(strstr(nn_errmsg(), "parallel") != NULL);
    /* cosine of a zero vector is 0, not NaN */
    memset(e, 0, sizeof e);
    CHECK(dir_cosine(d1, e, TN) == 0);
}

/* ---- save / load -------------------------------------------------------------------- */

TEST(save_load_round_trip)
{
    objective o;
    float t[TN], d1[TN], d2[TN];
    toy_objective(&o);
    toy_theta(t);
    CHECK_OK(dir_random(&o, t, DIR_FILTER, BIAS_ZERO, 6, 0, d1));
    CHECK_OK(dir_random(&o, t, DIR_FILTER, BIAS_ZERO, 6, 1, d2));
    const float *dirs[2] = {d1, d2};
    const char *keys[2] = {"seed", "norm"}, *vals[2] = {"6", "filter"};
    const char *path = test_path("dirs.safetensors");
    CHECK_OK(dir_save(path, dirs, 2, TN, keys, vals, 2));

    float *got[3] = {NULL, NULL, NULL};
    int nd = 3;
    CHECK_OK(dir_load(path, got, &nd, TN));
    CHECK(nd == 2 && got[2] == NULL);
    if (nd == 2) {
        CHECK(!memcmp(got[0], d1, sizeof d1));
        CHECK(!memcmp(got[1], d2, sizeof d2));
    }
    free(got[0]);
    free(got[1]);
    nd = 1; /* fewer slots than directions: the first ones */
    CHECK_OK(dir_load(path, got, &nd, TN));
    CHECK(nd == 1 && !memcmp(got[0], d1, sizeof d1));
    free(got[0]);

    st_file f;
    CHECK_OK(st_read(path, &f));
    CHECK(st_meta(&f, "norm") && !strcmp(st_meta(&f, "norm"), "filter"));
    const st_tensor *tt = st_find(&f, "dir1");
    CHECK(tt && tt->ndim == 1 && tt->shape[0] == TN);
    st_free(&f);
}

TEST(load_rejects_wrong_length_and_bad_files)
{
    float d[TN];
    for (int i = 0; i < TN; i++) d[i] = (float)i;
    const float *dirs[1] = {d};
    const char *path = test_path("dirs64.safetensors");
    CHECK_OK(dir_save(path, dirs, 1, TN, NULL, NULL, 0));
    float *got[2] = {NULL, NULL};
    int nd = 2;
    CHECK(dir_load(path, got, &nd, 65) == NN_EINVAL);
    CHECK(nd == 0 && got[0] == NULL);
    CHECK(strstr(nn_errmsg(), path) != NULL);
    CHECK(strstr(nn_errmsg(), "64 entries") != NULL && strstr(nn_errmsg(), "65") != NULL);

    nd = 2;
    CHECK(dir_load(test_path("missing.safetensors"), got, &nd, TN) == NN_EIO);

    st_tensor x = {.name = "weights", .ndim = 1, .shape = {TN}, .data = d};
    const char *other = test_path("other.safetensors");
    CHECK_OK(st_write(other, &x, 1, NULL, NULL, 0));
    nd = 2;
    CHECK(dir_load(other, got, &nd, TN) == NN_EFORMAT);
    CHECK(strstr(nn_errmsg(), "dir0") != NULL);

    d[5] = NAN;
    CHECK_OK(dir_save(path, dirs, 1, TN, NULL, NULL, 0));
    nd = 2;
    CHECK(dir_load(path, got, &nd, TN) == NN_EFORMAT);
    CHECK(nd == 0 && got[0] == NULL);
    nd = 0;
    CHECK(dir_load(path, got, &nd, TN) == NN_EINVAL);
}
