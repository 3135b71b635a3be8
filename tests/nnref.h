/* Test fixtures shared by the model, HVP and plane tests: a small MLP built
 * from widths and activations, and an independent double-precision
 * reference of its loss written with plain loops. */
#ifndef SADDLE_NNREF_H
#define SADDLE_NNREF_H

#include "../nn/nn.h"
#include "../probes/nnobj.h"

/* f(z) in double, as the activations are defined (PyTorch's conventions). */
double nnref_act(int act, double z, double slope);
/* Mean loss of m at parameters p [n] (double) over B examples x [B][in],
 * y [B]; the smallest |pre-activation| of a relu or leaky_relu unit goes to
 * *minz when minz != NULL (for choosing a difference step off the kinks). */
double nnref_loss(const model *m, const double *p, const float *x, const int32_t *y, size_t B,
                  double *minz);
/* An MLP with torch init (nonzero biases keep relu units off their kink) and
 * leaky slope 0.1; θ is left zero for the caller to initialize. */
void nnref_build(model *m, int in, const int *widths, const int *acts, int nl, int loss);

/* n examples of `in` standard normal features (stream `stream` of seed) and
 * labels uniform in 0..K-1 (stream `stream` + 1). */
dataset nnref_data(size_t n, int in, int K, uint64_t seed, uint64_t stream);

/* The small indefinite MLP the curvature tests check against: 5-9tanh-
 * 7softplus-3 (xent), torch init scaled by 2 so the curvature is far from a
 * multiple of I, on 60 blobs examples, with its nn objective and the
 * eigendecomposition of its dense Hessian (n unit HVPs, symmetrized: the
 * asymmetry is float rounding, checked in test_hvp): ev [n] descending,
 * V [n][n]. Sets one thread. */
typedef struct nnref_hess {
    model m;
    dataset d;
    nnobj ctx;
    objective o;
    int n;
    double *ev, *V;
} nnref_hess;
int nnref_hess_init(nnref_hess *f);
void nnref_hess_free(nnref_hess *f);

#endif
