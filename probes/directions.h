/* Random directions in parameter space for loss-landscape slices: Gaussian
 * draws keyed by (seed, index), filter/layer/model normalization against θ0
 * (Li et al. 2018), bias handling, orthogonalization, and saving/loading. */
#ifndef SADDLE_DIRECTIONS_H
#define SADDLE_DIRECTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "objective.h"

/* How the weight part of a direction is scaled. Weight blocks are the
 * objective's non-bias blocks; with o->nblocks == 0 all of θ is one weight
 * block with a single row, so filter, layer and model coincide there.
 *   DIR_FILTER  each row r of each weight block: d_r *= ||θ0_r|| / ||d_r||
 *               (one row = one output neuron's incoming weights, the
 *               "filter" of Li et al. 2018 sec. 4)
 *   DIR_LAYER   each weight block:  d_B *= ||θ0_B|| / ||d_B||
 *   DIR_MODEL   all weight blocks together: d_W *= ||θ0_W|| / ||d_W||
 *   DIR_NONE    weights left as they are (a fresh draw stays raw N(0,1))
 * A row/block whose θ0 part or d part is all zero becomes zero (never NaN):
 * a dead neuron has no scale to borrow, and nothing can be scaled up from 0. */
enum { DIR_FILTER = 0, DIR_LAYER, DIR_MODEL, DIR_NONE, DIR_NORM_COUNT };

/* What happens to the bias entries of a direction, whatever the weight
 * normalization (also under DIR_NONE):
 *   BIAS_ZERO       set to 0, so slices never move biases (Li et al.'s
 *                   default "biasbn" setting; saddle's default too)
 *   BIAS_KEEP       left untouched by normalization: a fresh draw keeps its
 *                   raw N(0,1) entries, unscaled, so biases move by |α| per
 *                   unit of the slice coordinate whatever θ0's scale
 *   BIAS_NORMALIZE  each bias block scaled like a layer: d_b *= ||θ0_b|| / ||d_b||
 *                   (zero when either norm is zero) */
enum { BIAS_ZERO = 0, BIAS_KEEP, BIAS_NORMALIZE, DIR_BIAS_COUNT };

/* "filter", "layer", "model", "none"; "?" for an unknown value. */
const char *dir_norm_name(int norm);
/* DIR_* for a name above; -1 if unknown. */
int dir_norm_from_name(const char *s);
/* "zero", "keep", "normalize"; "?" for an unknown value. */
const char *dir_bias_name(int bias);
/* BIAS_* for a name above; -1 if unknown. */
int dir_bias_from_name(const char *s);

/* Direction `index` for seed: d_i = rng_normal(seed, RNG_DIRECTION + index, i)
 * (the same vector on any thread or process count), then dir_normalize.
 * When o->nblocks > 0 the blocks must tile θ exactly (every entry in one
 * block), else NN_EINVAL. Returns NN_*. */
int dir_random(const objective *o, const float *theta0 /* [n] */, int norm, int bias,
               uint64_t seed, int index, float *d /* [n] out */);

/* Normalizes d in place against theta0 per norm and bias (above); usable on a
 * loaded or orthogonalized direction. Idempotent for every scheme. NN_EINVAL
 * for an unknown scheme or blocks that do not tile θ. */
int dir_normalize(const objective *o, const float *theta0 /* [n] */, int norm, int bias,
                  float *d /* [n] in/out */);

/* a·b / (||a|| ||b||), accumulated in double; 0 when either vector is zero. */
double dir_cosine(const float *a /* [n] */, const float *b /* [n] */, size_t n);

/* Makes d2 orthogonal to d1 and normalized again with the same scheme;
 * returns cos(d1, d2) from before. Row-wise rescaling after one Gram-Schmidt
 * step leaves a small residual cosine, so project-and-normalize repeats
 * (a few rounds at most) until |cos| <= 1e-7. d1 should already be normalized
 * with the same scheme. A zero d1 leaves d2 as is. Returns NAN (message via
 * nn_errmsg) for bad arguments or when d2 is parallel to d1 (nothing left
 * after projection); d2 is then unspecified. */
double dir_orthogonalize(const objective *o, const float *theta0 /* [n] */, int norm, int bias,
                         const float *d1 /* [n] */, float *d2 /* [n] in/out */);

/* Writes directions dirs[k] [n] as 1-D float32 tensors "dir0", "dir1", ...
 * of a safetensors file (atomically), with a string metadata map (seed,
 * normalization, ... as the caller likes). Returns NN_*. */
int dir_save(const char *path, const float *const *dirs /* [ndirs][n] */, int ndirs, size_t n,
             const char *const *meta_keys /* [nmeta] */, const char *const *meta_vals /* [nmeta] */,
             int nmeta);

/* Reads "dir0", "dir1", ... (consecutive names; other tensors are ignored)
 * from a file dir_save wrote. *ndirs is in/out: on entry the number of slots
 * in dirs[] (at least 1), on return how many were loaded — the file's count
 * or the slot count, whichever is smaller. dirs[k] is malloc'd [n_expected]
 * (caller frees). A direction whose length is not n_expected is NN_EINVAL
 * naming the file and both lengths; a file without dir0 or with non-finite
 * entries is NN_EFORMAT. Slots past the loaded ones are never written. On
 * error nothing stays allocated (filled slots are reset to NULL), *ndirs = 0. */
int dir_load(const char *path, float **dirs /* [*ndirs] out, each [n_expected] */, int *ndirs,
             size_t n_expected);

#endif
