/* Synthetic classification sets (spirals, blobs, xor) so tests and demos need
 * no downloads. Example i is a pure function of (seed, i) and has class
 * i % classes: any prefix is balanced, and a longer set extends a shorter one. */
#include "dataset.h"
#include "rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SYNTH_MAX_CLASSES 1000
#define SYNTH_MAX_DIM 100000
/* An arm sweeps this many radians from the center to the rim (the CS231n set's value). */
#define SPIRAL_SWEEP 4.0
/* Blob centers are uniform in [-BLOB_BOX, BLOB_BOX]^dim. */
#define BLOB_BOX 5.0

/* Sub-streams of RNG_SYNTH, so changing one kind of draw never shifts another. */
enum { SYN_POS = 0, SYN_NOISE = 1, SYN_CENTER = 2, SYN_SIGN = 3 };

static void synth_spirals(dataset *d, double noise, uint64_t seed)
{
    const double tau = 6.283185307179586;
    for (size_t i = 0; i < d->n; i++) {
        int c = d->y[i];
        double r = rng_uniform(seed, RNG_SYNTH + SYN_POS, i);
        /* Noise on the angle, as in the classic set: arms blur sideways and
         * stay separable near the rim, where they are furthest apart. */
        double t = tau * c / d->classes + SPIRAL_SWEEP * r
                   + noise * rng_normal(seed, RNG_SYNTH + SYN_NOISE, i);
        d->x[2 * i] = (float)(r * sin(t));
        d->x[2 * i + 1] = (float)(r * cos(t));
    }
}

static void synth_xor(dataset *d, double noise, uint64_t seed)
{
    for (size_t i = 0; i < d->n; i++) {
        /* Pick the quadrant from the class so the set is exactly balanced;
         * the result is still uniform on the square labelled by sign(x0*x1):
         * class 1 where the signs differ (x0*x1 < 0), class 0 where they agree. */
        double a = rng_uniform(seed, RNG_SYNTH + SYN_POS, 2 * i);
        double b = rng_uniform(seed, RNG_SYNTH + SYN_POS, 2 * i + 1);
        double s0 = (rng_u64(seed, RNG_SYNTH + SYN_SIGN, i) >> 63) ? -1.0 : 1.0;
        double s1 = d->y[i] ? -s0 : s0;
        d->x[2 * i] = (float)(s0 * a + noise * rng_normal(seed, RNG_SYNTH + SYN_NOISE, 2 * i));
        d->x[2 * i + 1] = (float)(s1 * b + noise * rng_normal(seed, RNG_SYNTH + SYN_NOISE, 2 * i + 1));
    }
}

static void synth_blobs(dataset *d, double noise, uint64_t seed)
{
    size_t D = d->dim;
    for (size_t i = 0; i < d->n; i++) {
        size_t c = (size_t)d->y[i];
        for (size_t k = 0; k < D; k++) {
            double center = BLOB_BOX * (2.0 * rng_uniform(seed, RNG_SYNTH + SYN_CENTER, c * D + k) - 1.0);
            d->x[i * D + k] = (float)(center + noise * rng_normal(seed, RNG_SYNTH + SYN_NOISE, i * D + k));
        }
    }
}

int synth_make(const char *kind, size_t n, int classes, size_t dim, double noise,
               uint64_t seed, dataset *out)
{
    int rc;
    enum { SPIRALS, BLOBS, XOR } k;

    memset(out, 0, sizeof *out);
    if (!kind) kind = "(null)";
    if (strcmp(kind, "spirals") == 0) k = SPIRALS;
    else if (strcmp(kind, "blobs") == 0) k = BLOBS;
    else if (strcmp(kind, "xor") == 0) k = XOR;
    else return nn_err(NN_EINVAL, "synthetic set \"%s\": unknown kind (known: spirals, blobs, xor)", kind);

    /* 0 picks the kind's default, so one config can switch kinds freely. */
    if (classes == 0) classes = k == XOR ? 2 : 3;
    if (k == XOR && classes != 2)
        return nn_err(NN_EINVAL, "synthetic set \"xor\": has 2 classes, asked for %d", classes);
    if (classes < 2 || classes > SYNTH_MAX_CLASSES)
        return nn_err(NN_EINVAL, "synthetic set \"%s\": classes = %d, expected 2..%d", kind,
                      classes, SYNTH_MAX_CLASSES);
    if (k != BLOBS) dim = 2;
    else if (dim == 0) dim = 2;
    if (dim > SYNTH_MAX_DIM)
        return nn_err(NN_EINVAL, "synthetic set \"%s\": dim = %zu, expected 1..%d", kind, dim,
                      SYNTH_MAX_DIM);
    if (n == 0) return nn_err(NN_EINVAL, "synthetic set \"%s\": n must be positive", kind);
    if (!(noise >= 0 && isfinite(noise)))
        return nn_err(NN_EINVAL, "synthetic set \"%s\": noise = %g, expected a finite value >= 0",
                      kind, noise);
    if (n > SIZE_MAX / sizeof(float) / dim)
        return nn_err(NN_EINVAL, "synthetic set \"%s\": %zu x %zu is too large", kind, n, dim);

    out->x = malloc(n * dim * sizeof(float));
    out->y = malloc(n * sizeof(int32_t));
    if (!out->x || !out->y) {
        rc = nn_err(NN_ENOMEM, "synthetic set \"%s\": cannot allocate %zu x %zu floats", kind, n, dim);
        goto fail;
    }
    out->n = n;
    out->dim = dim;
    out->classes = classes;
    for (size_t i = 0; i < n; i++) out->y[i] = (int32_t)(i % (size_t)classes);
    switch (k) {
    case SPIRALS: synth_spirals(out, noise, seed); break;
    case BLOBS: synth_blobs(out, noise, seed); break;
    case XOR: synth_xor(out, noise, seed); break;
    }
    return NN_OK;
fail:
    dataset_free(out);
    return rc;
}
