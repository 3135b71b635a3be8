/* The objective of a model on a data subset: mean loss, accuracy and gradient
 * through model_eval, planes through model_eval_plane. This is the one place
 * where probes meet nn/: tools build an nnobj and hand probes the table. */
#ifndef SADDLE_NNOBJ_H
#define SADDLE_NNOBJ_H

#include "../nn/model64.h"
#include "../nn/nn.h"
#include "objective.h"

/* NNOBJ_CAP examples per model_eval chunk: large enough for GEMMs at speed,
 * small enough that a value() on a big subset needs little scratch. */
#define NNOBJ_CAP 1024

typedef struct nnobj {
    const model *m;     /* layer table; its own θ is never read or written */
    const dataset *d;
    size_t *idx;        /* owned copy of the subset [k], or NULL = the first k */
    size_t k;
    workspace ws;       /* batches of up to NNOBJ_CAP rows */
    hvp_ws hws;         /* HVP scratch and the cached forward pass */
    model64 *m64;       /* the double-precision copy behind grad64/hessian64,
                           made on first use (it holds the examples as doubles) */
    int gauss_newton;   /* 1: hvp() is the Gauss-Newton product Gv (PSD) instead
                           of the exact Hv; may be changed between calls */
} nnobj;

/* Fills *o with value/grad (model_eval on examples idx[0..k-1] of d, idx
 * NULL = the first k), plane (model_eval_plane), hvp (model_hvp: exact Hv, or
 * Gv when ctx->gauss_newton is set; the forward pass is reused while θ
 * stays the same), grad64/hessian64 (model64, in double), and one weight
 * block [out][in] and one bias block [out] per dense layer. m and d must
 * outlive the objective; idx is copied. The workspace is split across the
 * pool's current thread count: call pool_set_threads first. Not reentrant:
 * one call at a time per nnobj. */
int nnobj_init(nnobj *ctx, objective *o, const model *m, const dataset *d, const size_t *idx,
               size_t k);
void nnobj_free(nnobj *ctx);
/* Makes the double-precision copy behind grad64/hessian64 now (it is made on
 * first use otherwise, where a failure can only show as a NaN loss). */
int nnobj_double(nnobj *ctx);

#endif
