/* Activations: value, first and second derivatives, elementwise on flat
 * arrays. Second derivatives feed the R-operator (exact Hessian-vector
 * products); relu's and leaky_relu's are zero almost everywhere. */
#include "nn.h"

#include <math.h>
#include <string.h>

static const char *const ACT_NAMES[ACT_COUNT] = {
    "linear", "relu", "leaky_relu", "tanh", "sigmoid", "softplus", "gelu"};

const char *act_name(int act)
{
    return act >= 0 && act < ACT_COUNT ? ACT_NAMES[act] : "?";
}

int act_from_name(const char *s)
{
    for (int i = 0; i < ACT_COUNT; i++)
        if (strcmp(s, ACT_NAMES[i]) == 0) return i;
    return -1;
}

#define INV_SQRT2 0.70710678118654752440
#define INV_SQRT2PI 0.39894228040143267794

static inline float sigm(float z)
{
    /* Both branches stay finite: exp of a non-positive number only. */
    if (z >= 0) return 1.0f / (1.0f + expf(-z));
    float e = expf(z);
    return e / (1.0f + e);
}

/* PyTorch's Softplus(beta=1, threshold=20): linear above 20. */
static inline float softplus(float z)
{
    return z > 20.0f ? z : log1pf(expf(z));
}

void act_forward(int act, float slope, size_t len, const float *z, float *a)
{
    switch (act) {
    case ACT_LINEAR:
        if (a != z) memcpy(a, z, len * sizeof *a);
        break;
    case ACT_RELU:
        for (size_t i = 0; i < len; i++) a[i] = z[i] > 0 ? z[i] : 0.0f;
        break;
    case ACT_LEAKY_RELU:
        for (size_t i = 0; i < len; i++) a[i] = z[i] > 0 ? z[i] : slope * z[i];
        break;
    case ACT_TANH:
        for (size_t i = 0; i < len; i++) a[i] = tanhf(z[i]);
        break;
    case ACT_SIGMOID:
        for (size_t i = 0; i < len; i++) a[i] = sigm(z[i]);
        break;
    case ACT_SOFTPLUS:
        for (size_t i = 0; i < len; i++) a[i] = softplus(z[i]);
        break;
    case ACT_GELU: /* exact (erf) GELU, PyTorch's default */
        for (size_t i = 0; i < len; i++)
            a[i] = (float)(0.5 * z[i] * (1.0 + erf(z[i] * INV_SQRT2)));
        break;
    }
}

void act_deriv(int act, float slope, size_t len, const float *z, const float *a, float *d1)
{
    switch (act) {
    case ACT_LINEAR:
        for (size_t i = 0; i < len; i++) d1[i] = 1.0f;
        break;
    case ACT_RELU:
        for (size_t i = 0; i < len; i++) d1[i] = z[i] > 0 ? 1.0f : 0.0f;
        break;
    case ACT_LEAKY_RELU:
        for (size_t i = 0; i < len; i++) d1[i] = z[i] > 0 ? 1.0f : slope;
        break;
    case ACT_TANH:
        for (size_t i = 0; i < len; i++) d1[i] = 1.0f - a[i] * a[i];
        break;
    case ACT_SIGMOID:
        for (size_t i = 0; i < len; i++) d1[i] = a[i] * (1.0f - a[i]);
        break;
    case ACT_SOFTPLUS:
        for (size_t i = 0; i < len; i++) d1[i] = z[i] > 20.0f ? 1.0f : sigm(z[i]);
        break;
    case ACT_GELU:
        for (size_t i = 0; i < len; i++) {
            double x = z[i];
            d1[i] = (float)(0.5 * (1.0 + erf(x * INV_SQRT2)) + x * INV_SQRT2PI * exp(-0.5 * x * x));
        }
        break;
    }
}

void act_backward(int act, float slope, size_t len, const float *z, const float *a,
                  const float *da, float *dz)
{
    switch (act) {
    case ACT_LINEAR:
        if (dz != da) memcpy(dz, da, len * sizeof *dz);
        break;
    case ACT_RELU:
        for (size_t i = 0; i < len; i++) dz[i] = z[i] > 0 ? da[i] : 0.0f;
        break;
    case ACT_LEAKY_RELU:
        for (size_t i = 0; i < len; i++) dz[i] = z[i] > 0 ? da[i] : slope * da[i];
        break;
    case ACT_TANH:
        for (size_t i = 0; i < len; i++) dz[i] = da[i] * (1.0f - a[i] * a[i]);
        break;
    case ACT_SIGMOID:
        for (size_t i = 0; i < len; i++) dz[i] = da[i] * a[i] * (1.0f - a[i]);
        break;
    case ACT_SOFTPLUS:
        for (size_t i = 0; i < len; i++) dz[i] = da[i] * (z[i] > 20.0f ? 1.0f : sigm(z[i]));
        break;
    case ACT_GELU:
        for (size_t i = 0; i < len; i++) {
            double x = z[i];
            dz[i] = (float)(da[i] * (0.5 * (1.0 + erf(x * INV_SQRT2)) +
                                     x * INV_SQRT2PI * exp(-0.5 * x * x)));
        }
        break;
    }
}

void act_second(int act, float slope, size_t len, const float *z, const float *a, float *d2)
{
    switch (act) {
    case ACT_LINEAR:
    case ACT_RELU:
    case ACT_LEAKY_RELU:
        memset(d2, 0, len * sizeof *d2);
        break;
    case ACT_TANH:
        for (size_t i = 0; i < len; i++) d2[i] = -2.0f * a[i] * (1.0f - a[i] * a[i]);
        break;
    case ACT_SIGMOID:
        for (size_t i = 0; i < len; i++) d2[i] = a[i] * (1.0f - a[i]) * (1.0f - 2.0f * a[i]);
        break;
    case ACT_SOFTPLUS:
        for (size_t i = 0; i < len; i++) {
            float s = sigm(z[i]);
            d2[i] = z[i] > 20.0f ? 0.0f : s * (1.0f - s);
        }
        break;
    case ACT_GELU: /* d2/dx2 [x Phi(x)] = phi(x) (2 - x^2) */
        for (size_t i = 0; i < len; i++) {
            double x = z[i];
            d2[i] = (float)(INV_SQRT2PI * exp(-0.5 * x * x) * (2.0 - x * x));
        }
        break;
    }
}
