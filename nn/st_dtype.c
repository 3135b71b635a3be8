/* The dtypes a safetensors file may hold besides F32 (F64, F16, BF16),
 * converted to float32 once the data section is read; F64's rounding is
 * kept per tensor so a loader can say what it cost. */
#include "nn.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ST_ALIGN 64

/* The header was checked: the count fits and is covered by the data. */
static size_t elements(const st_tensor *t)
{
    size_t c = 1;
    for (int d = 0; d < t->ndim; d++) c *= (size_t)t->shape[d];
    return c;
}

const char *st_dtype_name(int dtype)
{
    static const char *const names[] = {"F32", "F64", "F16", "BF16"};
    return dtype >= ST_F32 && dtype <= ST_BF16 ? names[dtype] : "?";
}

/* IEEE binary16 to float: every half is exactly a float. */
static float half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h >> 15) << 31, e = (h >> 10) & 0x1f, m = h & 0x3ff, bits;
    if (e == 0) { /* zero or subnormal: m * 2^-24 */
        float v = ldexpf((float)m, -24);
        return sign ? -v : v;
    }
    if (e == 31) bits = sign | 0x7f800000u | (m << 13);
    else bits = sign | ((e + 112) << 23) | (m << 13);
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

/* One tensor of another dtype into float: src [cnt * size] raw little-endian
 * bytes (any alignment), dst [cnt]. A finite double beyond float's range
 * would become an infinity no later check could tell from a corrupt file. */
static int tensor_to_float(const char *name, const st_tensor *t, st_source *s,
                           const uint8_t *src, size_t cnt, float *dst)
{
    s->round_abs = s->round_rel = 0;
    for (size_t i = 0; i < cnt; i++) {
        if (s->dtype == ST_F32) {
            memcpy(&dst[i], src + 4 * i, 4);
        } else if (s->dtype == ST_F64) {
            double d;
            memcpy(&d, src + 8 * i, 8);
            float f = (float)d;
            if (isfinite(d) && !isfinite(f))
                return nn_err(NN_EFORMAT, "%s: tensor \"%s\" (F64) entry %zu (flat index) is %g, "
                              "beyond the range of float32", name, t->name, i, d);
            double r = fabs(d - (double)f);
            if (r > s->round_abs) s->round_abs = r;
            if (d != 0 && r / fabs(d) > s->round_rel) s->round_rel = r / fabs(d);
            dst[i] = f;
        } else {
            uint16_t h = (uint16_t)(src[2 * i] | (src[2 * i + 1] << 8));
            if (s->dtype == ST_F16) {
                dst[i] = half_to_float(h);
            } else {
                uint32_t bits = (uint32_t)h << 16;
                memcpy(&dst[i], &bits, 4);
            }
        }
    }
    return NN_OK;
}

/* Every tensor moves into a new float blob (aligned) when any is not F32. */
int st_convert(const char *name, st_file *out)
{
    int other = 0;
    size_t total = 0;
    for (int i = 0; i < out->ntensors; i++) {
        other |= out->src[i].dtype != ST_F32;
        total += elements(&out->tensors[i]);
    }
    if (!other) return NN_OK;
    /* Halves double in size: the float blob may exceed the file. */
    if (total > (SIZE_MAX - ST_ALIGN) / sizeof(float))
        return nn_err(NN_ENOMEM, "%s: tensors too large to convert to float", name);
    size_t cap = (total * sizeof(float) + ST_ALIGN - 1) / ST_ALIGN * ST_ALIGN;
    uint8_t *blob = aligned_alloc(ST_ALIGN, cap ? cap : ST_ALIGN);
    if (!blob) return nn_err(NN_ENOMEM, "%s: out of memory converting tensors to float", name);
    float *dst = (float *)blob;
    for (int i = 0; i < out->ntensors; i++) {
        st_tensor *t = &out->tensors[i];
        size_t cnt = elements(t);
        int rc = tensor_to_float(name, t, &out->src[i], (const uint8_t *)t->data, cnt, dst);
        if (rc) {
            free(blob);
            return rc;
        }
        t->data = dst;
        dst += cnt;
    }
    free(out->blob);
    out->blob = blob;
    return NN_OK;
}
