/* The 3-D surface's geometry (see render_3d.h): the camera, the heights drawn,
 * painter's order and the lighting. */
#include "render_3d.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../datasets/status.h"

#define DEG (M_PI / 180.0)
#define AMBIENT 0.42

static double dot3(const double *a, const double *b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }

static void cross3(const double *a, const double *b, double *o)
{
    o[0] = a[1] * b[2] - a[2] * b[1];
    o[1] = a[2] * b[0] - a[0] * b[2];
    o[2] = a[0] * b[1] - a[1] * b[0];
}

static double unit3(double *a)
{
    double n = sqrt(dot3(a, a));
    if (n > 0)
        for (int k = 0; k < 3; k++) a[k] /= n;
    return n;
}

int render_camera_init(render_camera *c, const double target[3], double azim_deg, double elev_deg,
                       double dist, double cx, double cy, double scale)
{
    if (!(elev_deg >= 1 && elev_deg <= 89))
        return nn_err(NN_EINVAL, "3-D view: elevation %g is not in 1..89 degrees", elev_deg);
    if (!isfinite(azim_deg) || !(dist > 0 && isfinite(dist)))
        return nn_err(NN_EINVAL, "3-D view: azimuth %g or distance %g is not usable", azim_deg, dist);
    double az = azim_deg * DEG, el = elev_deg * DEG;
    double away[3] = {cos(el) * cos(az), cos(el) * sin(az), sin(el)}, zup[3] = {0, 0, 1};
    for (int k = 0; k < 3; k++) {
        c->target[k] = target[k];
        c->eye[k] = target[k] + dist * away[k];
        c->fwd[k] = -away[k];
    }
    cross3(c->fwd, zup, c->right);
    unit3(c->right);
    cross3(c->right, c->fwd, c->up);
    c->dist = dist;
    c->cx = cx;
    c->cy = cy;
    c->scale = scale;
    return NN_OK;
}

double render_camera_project(const render_camera *c, const double p[3], double *sx, double *sy)
{
    double v[3] = {p[0] - c->eye[0], p[1] - c->eye[1], p[2] - c->eye[2]};
    double depth = dot3(v, c->fwd);
    double k = depth > 1e-9 ? c->scale * c->dist / depth : 0;
    *sx = c->cx + k * dot3(v, c->right);
    *sy = c->cy - k * dot3(v, c->up);
    return depth;
}

double render_3d_shade(const render_camera *c, const double centre[3], const double n[3],
                       const double l[3])
{
    double nn[3] = {n[0], n[1], n[2]}, ll[3] = {l[0], l[1], l[2]};
    double toward[3] = {c->eye[0] - centre[0], c->eye[1] - centre[1], c->eye[2] - centre[2]};
    if (!(unit3(nn) > 0) || !(unit3(ll) > 0)) return AMBIENT;
    /* The underside of a fold seen from the camera is lit as its own face. */
    if (dot3(nn, toward) < 0)
        for (int k = 0; k < 3; k++) nn[k] = -nn[k];
    double lam = dot3(nn, ll);
    return AMBIENT + (1 - AMBIENT) * (lam > 0 ? lam : 0);
}

void render_3d_heights(const double *z, size_t n, const render_3d_opts *o, double *s,
                       render_3d_info *info)
{
    double lo = INFINITY, hi = -INFINITY, minpos = INFINITY;
    info->nnan = info->nclipped = info->nclamped = 0;
    for (size_t k = 0; k < n; k++) {
        double v = z[k];
        if (isnan(v) || v == -INFINITY) {
            info->nnan++;
            continue;
        }
        if (!isfinite(v)) continue; /* +inf: drawn at the top, never sets it */
        lo = fmin(lo, v);
        hi = fmax(hi, v);
        if (v > 0) minpos = fmin(minpos, v);
    }
    int clip = isfinite(o->zmax) && o->zmax != 0;
    if (!(lo <= hi)) lo = 0, hi = 1; /* nothing computed, or only +inf */
    if (clip && hi > o->zmax) hi = o->zmax;
    if (lo > hi) lo = hi;
    info->log_floor = isfinite(minpos) ? minpos : 1e-12;
    if (o->log_z) {
        if (!(lo > 0)) lo = info->log_floor;
        if (!(hi > 0)) hi = lo;
        if (lo > hi) lo = hi;
    }
    for (size_t k = 0; k < n; k++) {
        double v = z[k];
        if (isnan(v) || v == -INFINITY) {
            s[k] = NAN;
            continue;
        }
        if (v > hi) {
            v = hi;
            info->nclipped++;
        }
        if (o->log_z && v <= 0) {
            v = lo;
            info->nclamped++;
        }
        s[k] = o->log_z ? log10(v) : v;
    }
    info->zlo = lo;
    info->zhi = hi;
}

typedef struct {
    double d;
    size_t k;
} depth_key;

static int far_first(const void *a, const void *b)
{
    double x = ((const depth_key *)a)->d, y = ((const depth_key *)b)->d;
    return x > y ? -1 : x < y ? 1 : 0;
}

static double gx(int i, int nx, double hx) { return -hx + 2 * hx * i / (nx - 1); }

int render_3d_order(const render_camera *c, const double *zw, int nx, int ny, double hx, double hy,
                    size_t **order, size_t *n)
{
    *order = NULL;
    *n = 0;
    if (nx < 2 || ny < 2) return NN_OK;
    size_t cells = (size_t)(nx - 1) * (size_t)(ny - 1), m = 0;
    depth_key *key = malloc(cells * sizeof *key);
    size_t *out = malloc(cells * sizeof *out);
    if (!key || !out) {
        free(key);
        free(out);
        return nn_err(NN_ENOMEM, "3-D view: cannot sort %zu cells", cells);
    }
    for (int j = 0; j + 1 < ny; j++)
        for (int i = 0; i + 1 < nx; i++) {
            const double *r0 = zw + (size_t)j * (size_t)nx + (size_t)i, *r1 = r0 + nx;
            double zc = 0.25 * (r0[0] + r0[1] + r1[0] + r1[1]);
            if (isnan(zc)) continue;
            /* Distance from the eye to the cell's centre: with perspective
             * it orders a mesh better than depth along the view axis. */
            double p[3] = {0.5 * (gx(i, nx, hx) + gx(i + 1, nx, hx)),
                           0.5 * (gx(j, ny, hy) + gx(j + 1, ny, hy)), zc};
            double v[3] = {p[0] - c->eye[0], p[1] - c->eye[1], p[2] - c->eye[2]};
            key[m].d = dot3(v, v);
            key[m++].k = (size_t)j * (size_t)(nx - 1) + (size_t)i;
        }
    qsort(key, m, sizeof *key, far_first);
    for (size_t q = 0; q < m; q++) out[q] = key[q].k;
    free(key);
    *order = out;
    *n = m;
    return NN_OK;
}
