/* Analytic test objectives: a dense quadratic and the 2-D Rosenbrock
 * function, each with exact gradient and Hessian-vector product computed in
 * double, so probe tests compare against closed forms rather than each other. */
#include "objective_toy.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../datasets/status.h"

/* ---- quadratic ----------------------------------------------------------- */

/* out [n] = A x + (b when b != NULL), x in double. */
static void quad_apply(const quadobj *q, const double *x, const double *b, double *out)
{
    for (int i = 0; i < q->n; i++) {
        const double *row = q->A + (size_t)i * q->n;
        double s = b ? b[i] : 0.0;
        for (int j = 0; j < q->n; j++) s += row[j] * x[j];
        out[i] = s;
    }
}

/* ½ θᵀAθ + bᵀθ in double at θ = tf (float) or td (double), the other NULL,
 * and ∇ = Aθ + b into gf or gd [n] when not NULL; row by row, so no scratch
 * and nothing that can fail. */
static double quad_eval(const quadobj *q, const float *tf, const double *td, float *gf, double *gd)
{
    double f = 0.0;
    for (int i = 0; i < q->n; i++) {
        const double *row = q->A + (size_t)i * q->n;
        double ax = 0.0;
        for (int j = 0; j < q->n; j++) ax += row[j] * (tf ? (double)tf[j] : td[j]);
        f += (tf ? (double)tf[i] : td[i]) * (0.5 * ax + q->b[i]);
        if (gf) gf[i] = (float)(ax + q->b[i]);
        if (gd) gd[i] = ax + q->b[i];
    }
    return f;
}

static double quad_value(void *ctx, const float *theta, double *acc)
{
    if (acc) *acc = 0.0;
    return quad_eval(ctx, theta, NULL, NULL, NULL);
}

static double quad_grad(void *ctx, const float *theta, float *g)
{
    return quad_eval(ctx, theta, NULL, g, NULL);
}

static void quad_hvp(void *ctx, const float *theta, const float *v, float *hv)
{
    const quadobj *q = ctx;
    for (int i = 0; i < q->n; i++) {
        const double *row = q->A + (size_t)i * q->n;
        double s = 0.0;
        for (int j = 0; j < q->n; j++) s += row[j] * v[j];
        hv[i] = (float)s;
    }
}

static double quad_grad64(void *ctx, const double *theta, double *g)
{
    return quad_eval(ctx, NULL, theta, NULL, g);
}

static int quad_hessian64(void *ctx, const double *theta, double *H)
{
    const quadobj *q = ctx;
    memcpy(H, q->A, (size_t)q->n * q->n * sizeof *H);
    return NN_OK;
}

/* f(θ0 + αu + βv) = f0 + α gᵀu + β gᵀv + ½α² uᵀAu + αβ uᵀAv + ½β² vᵀAv with
 * g = ∇f(θ0): six scalars, then every point is O(1). */
static int quad_plane(void *ctx, const float *theta0, const float *d1, const float *d2, int npts,
                      const double *a, const double *b, double *loss, double *acc)
{
    const quadobj *q = ctx;
    size_t n = (size_t)q->n;
    double *buf = malloc(4 * n * sizeof *buf);
    if (!buf) return nn_err(NN_ENOMEM, "quadratic: cannot allocate %zu doubles", 4 * n);
    double *x = buf, *gx = buf + n, *u = buf + 2 * n, *au = buf + 3 * n;
    for (size_t i = 0; i < n; i++) x[i] = theta0[i];
    quad_apply(q, x, q->b, gx);
    double f0 = 0.0, gu = 0.0, gv = 0.0, uau = 0.0, uav = 0.0, vav = 0.0;
    for (size_t i = 0; i < n; i++) f0 += 0.5 * x[i] * (gx[i] - q->b[i]) + q->b[i] * x[i];
    for (size_t i = 0; i < n; i++) u[i] = d1[i];
    quad_apply(q, u, NULL, au);
    for (size_t i = 0; i < n; i++) {
        gu += gx[i] * u[i];
        uau += u[i] * au[i];
        if (d2) {
            gv += gx[i] * d2[i];
            uav += au[i] * d2[i];
        }
    }
    if (d2) { /* x and gx are free now: reuse them for v and Av */
        for (size_t i = 0; i < n; i++) x[i] = d2[i];
        quad_apply(q, x, NULL, gx);
        for (size_t i = 0; i < n; i++) vav += x[i] * gx[i];
    }
    for (int p = 0; p < npts; p++) {
        double al = a[p], be = d2 ? b[p] : 0.0;
        loss[p] = f0 + al * gu + be * gv + 0.5 * al * al * uau + al * be * uav + 0.5 * be * be * vav;
        if (acc) acc[p] = 0.0;
    }
    free(buf);
    return NN_OK;
}

int quadobj_init(quadobj *q, objective *o, int n, const double *A, const double *b)
{
    memset(q, 0, sizeof *q);
    memset(o, 0, sizeof *o);
    if (n <= 0 || n > (1 << 14))
        return nn_err(NN_EINVAL, "quadratic: dimension %d (must be 1..%d)", n, 1 << 14);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < i; j++) {
            double x = A[(size_t)i * n + j], y = A[(size_t)j * n + i];
            if (fabs(x - y) > 1e-12 * (fabs(x) + fabs(y)) + 1e-300)
                return nn_err(NN_EINVAL, "quadratic: A[%d][%d] = %g but A[%d][%d] = %g "
                              "(A must be symmetric)", i, j, x, j, i, y);
        }
    q->A = malloc((size_t)n * n * sizeof *q->A);
    q->b = calloc((size_t)n, sizeof *q->b);
    if (!q->A || !q->b) {
        quadobj_free(q);
        return nn_err(NN_ENOMEM, "quadratic: cannot allocate a %d x %d matrix", n, n);
    }
    memcpy(q->A, A, (size_t)n * n * sizeof *q->A);
    if (b) memcpy(q->b, b, (size_t)n * sizeof *q->b);
    q->n = n;
    o->n = (size_t)n;
    o->value = quad_value;
    o->grad = quad_grad;
    o->hvp = quad_hvp;
    o->plane = quad_plane;
    o->grad64 = quad_grad64;
    o->hessian64 = quad_hessian64;
    o->ctx = q;
    return NN_OK;
}

void quadobj_free(quadobj *q)
{
    free(q->A);
    free(q->b);
    memset(q, 0, sizeof *q);
}

/* ---- Rosenbrock ---------------------------------------------------------- */

static double rosen_value(void *ctx, const float *theta, double *acc)
{
    const rosenobj *r = ctx;
    double x = theta[0], y = theta[1], u = r->a - x, w = y - x * x;
    if (acc) *acc = 0.0;
    return u * u + r->c * w * w;
}

static double rosen_grad(void *ctx, const float *theta, float *g)
{
    const rosenobj *r = ctx;
    double x = theta[0], y = theta[1], u = r->a - x, w = y - x * x;
    g[0] = (float)(-2.0 * u - 4.0 * r->c * x * w);
    g[1] = (float)(2.0 * r->c * w);
    return u * u + r->c * w * w;
}

/* H = [[2 - 4c(y - x²) + 8c x², -4c x], [-4c x, 2c]]. */
static void rosen_hvp(void *ctx, const float *theta, const float *v, float *hv)
{
    const rosenobj *r = ctx;
    double x = theta[0], y = theta[1];
    double hxx = 2.0 - 4.0 * r->c * (y - x * x) + 8.0 * r->c * x * x, hxy = -4.0 * r->c * x,
           hyy = 2.0 * r->c;
    hv[0] = (float)(hxx * v[0] + hxy * v[1]);
    hv[1] = (float)(hxy * v[0] + hyy * v[1]);
}

void rosenobj_init(rosenobj *r, objective *o, double a, double c)
{
    memset(o, 0, sizeof *o);
    r->a = a;
    r->c = c;
    o->n = 2;
    o->value = rosen_value;
    o->grad = rosen_grad;
    o->hvp = rosen_hvp;
    o->plane = NULL;
    o->ctx = r;
}
