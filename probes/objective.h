/* The only view of a model that probes get: a function of θ ∈ Rⁿ with its
 * value, gradient and Hessian-vector product, plus the block layout
 * of θ that filter normalization needs. nn/ provides one for (model, data
 * subset); analytic test functions provide others. */
#ifndef SADDLE_OBJECTIVE_H
#define SADDLE_OBJECTIVE_H

#include <stddef.h>
#include <stdint.h>

/* A contiguous piece of θ: a weight matrix [rows][cols] (one row per output
 * neuron — the "filter" of filter normalization) or a bias [rows] (cols = 1). */
typedef struct theta_block {
    size_t off;     /* offset into θ */
    int rows, cols;
    int is_bias;
    int layer;      /* dense layer index, 0-based */
} theta_block;

#define OBJ_MAX_BLOCKS 64

typedef struct objective {
    size_t n;                                                     /* length of θ */
    /* Mean loss at theta; mean accuracy into *acc when acc != NULL. */
    double (*value)(void *ctx, const float *theta, double *acc);
    /* Mean gradient into g [n]; returns the mean loss. */
    double (*grad)(void *ctx, const float *theta, float *g);
    /* Hv [n] at theta; NULL where the objective has no curvature. */
    void (*hvp)(void *ctx, const float *theta, const float *v, float *hv);
    /* Optional batch evaluation on a plane: loss[k] (and acc[k] when acc !=
     * NULL) at theta0 + a[k] d1 + b[k] d2 for k < npts; d2 == NULL for a
     * line. Must equal value() point by point up to float rounding; exists
     * because it can be much faster. NULL = use value(). Returns NN_*. */
    int (*plane)(void *ctx, const float *theta0, const float *d1, const float *d2, int npts,
                 const double *a, const double *b, double *loss, double *acc);
    /* Optional double-precision path, for solvers that drive the gradient
     * down by many orders of magnitude (the critical-point finder): mean loss
     * and gradient g [n] (NULL = loss only) at a double θ, and the dense
     * Hessian H [n][n] (returns NN_*). NULL where the objective has none. */
    double (*grad64)(void *ctx, const double *theta, double *g);
    int (*hessian64)(void *ctx, const double *theta, double *H);
    int nblocks;                                                  /* 0 = θ is one flat block */
    theta_block blocks[OBJ_MAX_BLOCKS];
    void *ctx;
} objective;

#endif
