/* Sharpness probes: ε-sharpness by spectral projected gradient ascent on a box
 * (full space or a seeded random subspace), worst-case sharpness in L2 balls,
 * and average-case sharpness under Gaussian noise, raw or per filter. */
#include "sharpness.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../datasets/rng.h"
#include "../datasets/status.h"
#include "directions.h"

/* Subspace matrix stream: far from RNG_DIRECTION + index, so a subspace never
 * shares draws with the directions of the same seed. */
#define SHARP_RNG_SUBSPACE 0x5348415250ULL

#define ARMIJO_C 1e-4
#define EPS_MAX_HALVINGS 20   /* 1e-6 of the trial step: below that float noise decides */
#define WORST_MAX_HALVINGS 10

static const char *const eps_method =
    "spectral projected gradient ascent (Barzilai-Borwein step, Armijo backtracking)";

static double sumsq_f(const float *x, size_t len)
{
    double s = 0;
    for (size_t i = 0; i < len; i++) s += (double)x[i] * x[i];
    return s;
}

static int check_common(const objective *o, const float *x, const void *opt, const void *res,
                        int need_grad, const char *who)
{
    if (!o || !x || !opt || !res) return nn_err(NN_EINVAL, "%s: NULL argument", who);
    if (o->n == 0) return nn_err(NN_EINVAL, "%s: objective has no parameters", who);
    if (!o->value) return nn_err(NN_EINVAL, "%s: objective has no value function", who);
    if (need_grad && !o->grad)
        return nn_err(NN_EINVAL, "%s: objective has no gradient (needed for the ascent)", who);
    return NN_OK;
}

/* ---- ε-sharpness --------------------------------------------------------------- */

void sharp_eps_defaults(sharp_eps_opts *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->eps = 1e-3;
    opt->space = SHARP_FULL;
    opt->p = SHARP_P_DEFAULT;
}

typedef struct eps_ctx {
    const objective *o;
    const float *x;   /* [n] */
    size_t n, m;      /* m = length of y: n or p */
    float *At;        /* [p][n] subspace columns, NULL in the full space */
    double *acc;      /* [n] A y in double (subspace only) */
    float *th;        /* [n] x + A y */
    float *g;         /* [n] ∇f at th */
    long grads;
} eps_ctx;

/* f(x + A y) into *f and its gradient in y, Aᵀ∇f, into gy [m]. */
static int eps_eval(eps_ctx *c, const double *y, double *f, double *gy)
{
    size_t n = c->n, m = c->m;
    if (!c->At) {
        for (size_t i = 0; i < n; i++) c->th[i] = (float)(c->x[i] + y[i]);
    } else {
        memset(c->acc, 0, n * sizeof *c->acc);
        for (size_t j = 0; j < m; j++) {
            const float *a = c->At + j * n;
            double yj = y[j];
            if (yj == 0) continue;
            for (size_t i = 0; i < n; i++) c->acc[i] += yj * a[i];
        }
        for (size_t i = 0; i < n; i++) c->th[i] = (float)(c->x[i] + c->acc[i]);
    }
    *f = c->o->grad(c->o->ctx, c->th, c->g);
    c->grads++;
    if (!isfinite(*f))
        return nn_err(NN_ENAN, "sharp_eps: loss is %g after %ld gradient evaluations", *f,
                      c->grads);
    if (!c->At) {
        for (size_t i = 0; i < n; i++) gy[i] = c->g[i];
    } else {
        for (size_t j = 0; j < m; j++) {
            const float *a = c->At + j * n;
            double s = 0;
            for (size_t i = 0; i < n; i++) s += (double)a[i] * c->g[i];
            gy[j] = s;
        }
    }
    return NN_OK;
}

/* In-place Cholesky of the p×p symmetric positive definite S (lower triangle
 * used and overwritten with L); -1 when a pivot is not positive. */
static int chol_factor(double *S, int p)
{
    for (int j = 0; j < p; j++) {
        double d = S[(size_t)j * p + j];
        for (int k = 0; k < j; k++) d -= S[(size_t)j * p + k] * S[(size_t)j * p + k];
        if (!(d > 0)) return -1;
        d = sqrt(d);
        S[(size_t)j * p + j] = d;
        for (int i = j + 1; i < p; i++) {
            double s = S[(size_t)i * p + j];
            for (int k = 0; k < j; k++) s -= S[(size_t)i * p + k] * S[(size_t)j * p + k];
            S[(size_t)i * p + j] = s / d;
        }
    }
    return 0;
}

/* Solves L Lᵀ z = z in place with the factor from chol_factor. */
static void chol_solve(const double *L, int p, double *z)
{
    for (int i = 0; i < p; i++) {
        double s = z[i];
        for (int k = 0; k < i; k++) s -= L[(size_t)i * p + k] * z[k];
        z[i] = s / L[(size_t)i * p + i];
    }
    for (int i = p - 1; i >= 0; i--) {
        double s = z[i];
        for (int k = i + 1; k < p; k++) s -= L[(size_t)k * p + i] * z[k];
        z[i] = s / L[(size_t)i * p + i];
    }
}

/* Draws the unit columns of A into At [p][n] and puts A⁺x = (AᵀA)⁻¹Aᵀx into
 * z [p]. AᵀA is accumulated in double from double copies of row chunks
 * (dsyrk), since float Gram sums over 10⁵ terms would blur a near-singular A. */
int sharp_subspace(const float *x, size_t n, int p, uint64_t seed, float *At, double *z)
{
    enum { CHUNK = 512 };
    if (!x || !At || !z || p < 1 || (size_t)p > n || n > (size_t)1 << 40)
        return nn_err(NN_EINVAL, "sharp_subspace: p = %d, n = %zu (need 1 <= p <= n)", p, n);
    double *S = calloc((size_t)p * p, sizeof *S);
    double *buf = malloc((size_t)p * CHUNK * sizeof *buf);
    int rc = NN_OK;
    if (!S || !buf) {
        rc = nn_err(NN_ENOMEM, "sharp_eps: cannot allocate the %d x %d normal equations", p, p);
        goto done;
    }
    for (int j = 0; j < p; j++) {
        float *a = At + (size_t)j * n;
        double s = 0;
        for (size_t i = 0; i < n; i++) {
            double v = rng_normal(seed, SHARP_RNG_SUBSPACE, (uint64_t)j * n + i);
            a[i] = (float)v;
            s += v * v;
        }
        double inv = 1.0 / sqrt(s);
        for (size_t i = 0; i < n; i++) a[i] = (float)(a[i] * inv);
    }
    for (size_t i0 = 0; i0 < n; i0 += CHUNK) {
        size_t len = n - i0 < CHUNK ? n - i0 : CHUNK;
        for (int j = 0; j < p; j++)
            for (size_t i = 0; i < len; i++)
                buf[(size_t)j * len + i] = At[(size_t)j * n + i0 + i];
        /* S += B Bᵀ with B = [p][len], lower triangle */
        cblas_dsyrk(CblasRowMajor, CblasLower, CblasNoTrans, p, (int)len, 1.0, buf, (int)len,
                    1.0, S, p);
    }
    for (int j = 0; j < p; j++) {
        const float *a = At + (size_t)j * n;
        double s = 0;
        for (size_t i = 0; i < n; i++) s += (double)a[i] * x[i];
        z[j] = s;
    }
    if (chol_factor(S, p)) {
        rc = nn_err(NN_ENAN, "sharp_subspace: the %d x %d Gram matrix of the random subspace is "
                    "not positive definite (p too close to n = %zu?)", p, p, n);
        goto done;
    }
    chol_solve(S, p, z);
done:
    free(S);
    free(buf);
    return rc;
}

int sharp_eps(const objective *o, const float *x, const sharp_eps_opts *opt,
              sharp_eps_result *res)
{
    int rc = check_common(o, x, opt, res, 1, "sharp_eps");
    if (rc) return rc;
    memset(res, 0, sizeof *res);
    res->method = eps_method;
    if (!(opt->eps > 0) || !isfinite(opt->eps))
        return nn_err(NN_EINVAL, "sharp_eps: eps = %g (must be a positive number)", opt->eps);
    if (opt->space != SHARP_FULL && opt->space != SHARP_SUBSPACE)
        return nn_err(NN_EINVAL, "sharp_eps: unknown space %d (full or subspace)", opt->space);
    if (opt->space == SHARP_SUBSPACE && (opt->p < 1 || (size_t)opt->p > o->n))
        return nn_err(NN_EINVAL, "sharp_eps: subspace dimension p = %d (must be 1..n = %zu)",
                      opt->p, o->n);
    if (opt->iters < 0)
        return nn_err(NN_EINVAL, "sharp_eps: iters = %d (0 = default, else positive)",
                      opt->iters);

    size_t n = o->n;
    int sub = opt->space == SHARP_SUBSPACE;
    size_t m = sub ? (size_t)opt->p : n;
    int iters = opt->iters ? opt->iters : sub ? SHARP_ITERS_SUBSPACE : SHARP_ITERS_FULL;
    eps_ctx c = {.o = o, .x = x, .n = n, .m = m};
    double *dbuf = malloc(6 * m * sizeof *dbuf);
    c.th = malloc(n * sizeof *c.th);
    c.g = malloc(n * sizeof *c.g);
    if (sub) {
        c.At = malloc(m * n * sizeof *c.At);
        c.acc = malloc(n * sizeof *c.acc);
    }
    if (!dbuf || !c.th || !c.g || (sub && (!c.At || !c.acc))) {
        rc = nn_err(NN_ENOMEM, "sharp_eps: cannot allocate buffers for n = %zu, dimension %zu",
                    n, m);
        goto fail;
    }
    double *y = dbuf, *yt = dbuf + m, *gy = dbuf + 2 * m, *gyt = dbuf + 3 * m,
           *r = dbuf + 4 * m, *z = dbuf + 5 * m;

    if (sub) {
        if ((rc = sharp_subspace(x, n, opt->p, opt->seed, c.At, z))) goto fail;
        for (size_t i = 0; i < m; i++) r[i] = opt->eps * (fabs(z[i]) + 1.0);
    } else {
        for (size_t i = 0; i < n; i++) r[i] = opt->eps * (fabs((double)x[i]) + 1.0);
    }

    memset(y, 0, m * sizeof *y);
    double f;
    if ((rc = eps_eval(&c, y, &f, gy))) goto fail;
    res->f0 = f;
    double gg = 0, rr = 0;
    for (size_t i = 0; i < m; i++) gg += gy[i] * gy[i], rr += r[i] * r[i];
    if (gg == 0) {
        /* The centre is stationary (e.g. an exact minimum): ascent needs a push. */
        for (size_t i = 0; i < m; i++)
            y[i] = 1e-3 * r[i] * (2.0 * rng_uniform(opt->seed, SHARP_RNG_SUBSPACE + 1, i) - 1.0);
        if ((rc = eps_eval(&c, y, &f, gy))) goto fail;
        gg = 0;
        for (size_t i = 0; i < m; i++) gg += gy[i] * gy[i];
    }
    double alpha = gg > 0 ? sqrt(rr / gg) : 0;

    for (int it = 0; it < iters && alpha > 0; it++) {
        int accepted = 0;
        double ft = f;
        for (int tries = 0; tries <= EPS_MAX_HALVINGS; tries++, alpha *= 0.5) {
            double gd = 0;
            int moved = 0;
            for (size_t i = 0; i < m; i++) {
                double v = y[i] + alpha * gy[i];
                yt[i] = v > r[i] ? r[i] : v < -r[i] ? -r[i] : v;
                gd += gy[i] * (yt[i] - y[i]);
                moved |= yt[i] != y[i];
            }
            if (!moved || !(gd > 0)) break; /* every coordinate pinned: a KKT point */
            if ((rc = eps_eval(&c, yt, &ft, gyt))) goto fail;
            if (ft >= f + ARMIJO_C * gd) {
                accepted = 1;
                break;
            }
        }
        if (!accepted) break;
        double ss = 0, sy = 0;
        for (size_t i = 0; i < m; i++) {
            double s = yt[i] - y[i];
            ss += s * s;
            sy -= s * (gyt[i] - gy[i]);
        }
        /* BB step of -f; where f curves upward along s the box, not the
         * curvature, limits the step, so try further out. */
        alpha = sy > 0 ? ss / sy : 10.0 * alpha;
        if (!(alpha < 1e300)) alpha = 1e300;
        double *tmp = y;
        y = yt, yt = tmp;
        tmp = gy, gy = gyt, gyt = tmp;
        f = ft;
        res->iters++;
    }

    size_t at_bound = 0;
    for (size_t i = 0; i < m; i++) at_bound += fabs(y[i]) >= r[i] * (1 - 1e-12);
    res->fmax = f > res->f0 ? f : res->f0;
    res->phi = 100.0 * (res->fmax - res->f0) / (1.0 + res->f0);
    res->dim = m;
    res->occupancy = (double)at_bound / (double)m;
    res->grads = c.grads;
    rc = NN_OK;
fail:
    free(dbuf);
    free(c.th);
    free(c.g);
    free(c.At);
    free(c.acc);
    return rc;
}

/* ---- balls: raw or per filter --------------------------------------------------- */

static int check_scale(const objective *o, const float *x, int scale, float *scratch,
                       const char *who)
{
    if (scale != SHARP_RAW && scale != SHARP_FILTER)
        return nn_err(NN_EINVAL, "%s: unknown scale %d (raw or filter)", who, scale);
    if (scale == SHARP_FILTER) { /* validates the block layout; zeros stay zeros */
        memset(scratch, 0, o->n * sizeof *scratch);
        return dir_normalize(o, x, DIR_FILTER, BIAS_ZERO, scratch);
    }
    return NN_OK;
}

/* Shrinks d [len] onto the ball of radius rad; adds ‖d‖² and rad² to the sums. */
static void row_project(float *d, size_t len, double rad, double *num, double *den)
{
    double s = sumsq_f(d, len);
    if (s > rad * rad) {
        double k = s > 0 ? rad / sqrt(s) : 0;
        for (size_t i = 0; i < len; i++) d[i] = (float)(d[i] * k);
        s = sumsq_f(d, len);
    }
    *num += s;
    *den += rad * rad;
}

/* Projects d [n] onto the feasible set and returns ‖d‖ over its largest
 * allowed norm. Filter: each weight row onto ‖d_r‖ ≤ ρ‖x_r‖, biases to 0. */
static double ball_project(const objective *o, const float *x, int scale, double rho, float *d)
{
    double num = 0, den = 0;
    if (scale == SHARP_RAW) {
        row_project(d, o->n, rho, &num, &den);
    } else if (o->nblocks == 0) {
        row_project(d, o->n, rho * sqrt(sumsq_f(x, o->n)), &num, &den);
    } else {
        for (int k = 0; k < o->nblocks; k++) {
            const theta_block *b = &o->blocks[k];
            size_t c = (size_t)b->cols;
            if (b->is_bias) {
                memset(d + b->off, 0, (size_t)b->rows * c * sizeof *d);
                continue;
            }
            for (int rw = 0; rw < b->rows; rw++) {
                size_t off = b->off + (size_t)rw * c;
                row_project(d + off, c, rho * sqrt(sumsq_f(x + off, c)), &num, &den);
            }
        }
    }
    return den > 0 ? sqrt(num / den) : 0;
}

/* step [n] = the gradient g [n] scaled to the ball's radius: ρ g/‖g‖, or per
 * filter ρ‖x_r‖ g_r/‖g_r‖ with biases 0. Returns ‖step‖² (0: nowhere to go). */
static double ball_step(const objective *o, const float *x, int scale, double rho,
                        const float *g, float *step)
{
    size_t n = o->n;
    if (scale == SHARP_RAW) {
        double gn = sqrt(sumsq_f(g, n));
        if (!(gn > 0)) return 0;
        for (size_t i = 0; i < n; i++) step[i] = (float)(rho * g[i] / gn);
    } else {
        memcpy(step, g, n * sizeof *step);
        dir_normalize(o, x, DIR_FILTER, BIAS_ZERO, step); /* layout checked already */
        for (size_t i = 0; i < n; i++) step[i] = (float)(rho * step[i]);
    }
    return sumsq_f(step, n);
}

/* ---- worst case ------------------------------------------------------------------- */

int sharp_worst(const objective *o, const float *x, const sharp_worst_opts *opt,
                sharp_worst_result *res)
{
    int rc = check_common(o, x, opt, res, 1, "sharp_worst");
    if (rc) return rc;
    memset(res, 0, sizeof *res);
    if (!(opt->rho > 0) || !isfinite(opt->rho))
        return nn_err(NN_EINVAL, "sharp_worst: rho = %g (must be a positive number)", opt->rho);
    if (opt->iters < 0)
        return nn_err(NN_EINVAL, "sharp_worst: iters = %d (0 = default, else positive)",
                      opt->iters);
    size_t n = o->n;
    int iters = opt->iters ? opt->iters : SHARP_ITERS_WORST;
    double rho = opt->rho;
    float *buf = malloc(6 * n * sizeof *buf);
    if (!buf) return nn_err(NN_ENOMEM, "sharp_worst: cannot allocate 6 x %zu floats", n);
    float *d = buf, *dt = buf + n, *th = buf + 2 * n, *g = buf + 3 * n, *gt = buf + 4 * n,
          *step = buf + 5 * n;
    if ((rc = check_scale(o, x, opt->scale, step, "sharp_worst"))) goto fail;

    double f0 = o->grad(o->ctx, x, g), f;
    res->grads = 1;
    if (!isfinite(f0)) {
        rc = nn_err(NN_ENAN, "sharp_worst: loss at x is %g", f0);
        goto fail;
    }
    if (ball_step(o, x, opt->scale, rho, g, d) == 0) {
        /* x is stationary (or its gradient lives only in biases/dead rows):
         * any direction is as good a start as the SAM step. */
        int filt = opt->scale == SHARP_FILTER;
        if ((rc = dir_random(o, x, filt ? DIR_FILTER : DIR_NONE, filt ? BIAS_ZERO : BIAS_KEEP,
                             opt->seed, 0, d)))
            goto fail;
        double dn = sqrt(sumsq_f(d, n)), k = filt ? rho : dn > 0 ? rho / dn : 0;
        for (size_t i = 0; i < n; i++) d[i] = (float)(d[i] * k);
    }
    double fill = ball_project(o, x, opt->scale, rho, d);
    for (size_t i = 0; i < n; i++) th[i] = x[i] + d[i];
    f = o->grad(o->ctx, th, g);
    res->grads++;

    double eta = 1.0;
    for (int it = 0; it < iters && isfinite(f); it++) {
        if (ball_step(o, x, opt->scale, rho, g, step) == 0) break;
        int accepted = 0;
        double ft = f, fillt = fill;
        for (int tries = 0; tries <= WORST_MAX_HALVINGS; tries++, eta *= 0.5) {
            for (size_t i = 0; i < n; i++) dt[i] = (float)(d[i] + eta * step[i]);
            fillt = ball_project(o, x, opt->scale, rho, dt);
            for (size_t i = 0; i < n; i++) th[i] = x[i] + dt[i];
            ft = o->grad(o->ctx, th, gt);
            res->grads++;
            if (!isfinite(ft)) break;
            if (ft > f) {
                accepted = 1;
                break;
            }
        }
        if (!accepted) break;
        float *tmp = d;
        d = dt, dt = tmp;
        tmp = g, g = gt, gt = tmp;
        f = ft;
        fill = fillt;
        eta = eta < 1e6 ? 2.0 * eta : eta; /* growing η turns the ascent into power iteration */
        res->iters++;
    }
    if (!isfinite(f)) {
        rc = nn_err(NN_ENAN, "sharp_worst: loss became %g in the ball of radius %g", f, rho);
        goto fail;
    }
    res->f0 = f0;
    if (f > f0) { /* δ = 0 is feasible: the worst case is never below f0 */
        res->fmax = f;
        res->fill = fill;
    } else {
        res->fmax = f0;
        res->fill = 0;
    }
    res->sharpness = res->fmax - f0;
    rc = NN_OK;
fail:
    free(buf); /* d, dt, g, gt swap places inside it */
    return rc;
}

/* ---- average case ------------------------------------------------------------------- */

int sharp_average(const objective *o, const float *x, const sharp_avg_opts *opt,
                  sharp_avg_result *res)
{
    int rc = check_common(o, x, opt, res, 0, "sharp_average");
    if (rc) return rc;
    memset(res, 0, sizeof *res);
    if (!(opt->sigma > 0) || !isfinite(opt->sigma))
        return nn_err(NN_EINVAL, "sharp_average: sigma = %g (must be a positive number)",
                      opt->sigma);
    if (opt->samples < 2)
        return nn_err(NN_EINVAL, "sharp_average: samples = %d (a standard error needs >= 2)",
                      opt->samples);
    size_t n = o->n;
    float *z = malloc(2 * n * sizeof *z);
    if (!z) return nn_err(NN_ENOMEM, "sharp_average: cannot allocate 2 x %zu floats", n);
    float *th = z + n;
    int filt = opt->scale == SHARP_FILTER;
    if ((rc = check_scale(o, x, opt->scale, z, "sharp_average"))) goto fail;

    double f0 = o->value(o->ctx, x, NULL);
    res->values = 1;
    if (!isfinite(f0)) {
        rc = nn_err(NN_ENAN, "sharp_average: loss at x is %g", f0);
        goto fail;
    }
    double mean = 0, m2 = 0; /* Welford: the increments can be tiny next to f0 */
    for (int k = 0; k < opt->samples; k++) {
        if ((rc = dir_random(o, x, filt ? DIR_FILTER : DIR_NONE, filt ? BIAS_ZERO : BIAS_KEEP,
                             opt->seed, k, z)))
            goto fail;
        for (size_t i = 0; i < n; i++) th[i] = (float)(x[i] + opt->sigma * z[i]);
        double f = o->value(o->ctx, th, NULL);
        res->values++;
        if (!isfinite(f)) {
            rc = nn_err(NN_ENAN, "sharp_average: loss is %g at sample %d (sigma %g)", f, k,
                        opt->sigma);
            goto fail;
        }
        double dlt = (f - f0) - mean;
        mean += dlt / (k + 1);
        m2 += dlt * ((f - f0) - mean);
    }
    res->f0 = f0;
    res->samples = opt->samples;
    res->sharpness = mean;
    res->stderr_ = sqrt(m2 / (opt->samples - 1) / opt->samples);
    rc = NN_OK;
fail:
    free(z);
    return rc;
}
