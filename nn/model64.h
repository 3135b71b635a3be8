/* The model in double precision on a fixed set of examples: mean loss,
 * gradient, exact Hessian-vector products and the dense Hessian. For solvers
 * that need more than float (the critical-point finder drives the gradient
 * norm down by many orders of magnitude); sized for small nets and a few
 * thousand examples, since the examples are held as doubles. */
#ifndef SADDLE_MODEL64_H
#define SADDLE_MODEL64_H

#include "nn.h"

struct m64_part;

typedef struct model64 {
    const model *m;
    size_t B;                       /* examples */
    double *x;                      /* [B][in] */
    int32_t *y;                     /* [B] */
    /* The forward and backward pass at key (valid when cached): what every
     * Hessian-vector product at that θ shares. */
    int cached;
    double *key;                    /* [n] */
    double loss, acc;
    double *a[NN_MAX_LAYERS];       /* [B][out_l] activations */
    double *d1[NN_MAX_LAYERS];      /* [B][out_l] f'(z_l) */
    double *c[NN_MAX_LAYERS];       /* [B][out_l] f''(z_l) * dL/da_l */
    double *dz[NN_MAX_LAYERS];      /* [B][out_l] dL/dz_l of the mean loss */
    double *p;                      /* [B][K] softmax (xent) */
    double *g;                      /* [n] gradient at key */
    int nparts;
    struct m64_part *part[NN_MAX_THREADS];
} model64;

/* Copies examples idx[0..k-1] of d (idx NULL = the first k) as doubles. The
 * Hessian's columns are split across the pool's current thread count. */
int model64_init(model64 *w, const model *m, const dataset *d, const size_t *idx, size_t k);
void model64_free(model64 *w);

/* Mean loss at theta [n] (return); the mean gradient into g [n] and the
 * accuracy into *acc when not NULL. */
double model64_grad(model64 *w, const double *theta, double *g, double *acc);
/* hv [n] = H v, exact (R-operator); the forward pass is reused per θ. */
void model64_hvp(model64 *w, const double *theta, const double *v, double *hv);
/* H [n][n], the exact Hessian of the mean loss (symmetrized: column j is
 * H e_j up to rounding). */
int model64_hessian(model64 *w, const double *theta, double *H);

#endif
