/* The curvature map of `saddle surface --curvature`: λmax and λmin of the
 * Hessian at every point of the plane, and the two pictures drawn from them. */
#include "surface_curvature.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../probes/hessian.h"
#include "../probes/npy.h"
#include "../probes/render.h"
#include "progress.h"

/* λmax and λmin of the Hessian at every point of the plane, each Lanczos run
 * warm-started from the previous point's top Ritz vector (neighbouring
 * points have similar eigenvectors, so few steps suffice); serpentine order
 * keeps consecutive points neighbours. Writes NAME_lmax/_lmin/_ratio.npy and
 * two pictures. */
int curvature_map(const objective *o, const float *th, const float *d1, const float *d2,
                         const grid_spec *g, const char *dir, const char *name, cJSON *j,
                         const probe_args *a, const char *arch)
{
    size_t n = o->n, np = (size_t)g->nx * g->ny;
    double *lmax = malloc(np * sizeof *lmax), *lmin = malloc(np * sizeof *lmin);
    double *ratio = malloc(np * sizeof *ratio), *neg = malloc(np * sizeof *neg);
    float *tp = malloc(n * sizeof *tp), *warm = malloc(n * sizeof *warm);
    int rc = NN_OK, have_warm = 0;
    long hvps = 0;
    double worst_resid = 0;
    if (!lmax || !lmin || !ratio || !neg || !tp || !warm) {
        rc = nn_err(NN_ENOMEM, "curvature: out of memory");
        goto done;
    }
    progress pg;
    progress_begin(&pg, np, "curvature: %dx%d grid", g->nx, g->ny);
    progress_unit(&pg, "points", 0);
    pg.log_ends = 1;
    for (int jy = 0; jy < g->ny && !rc; jy++) {
        for (int k = 0; k < g->nx; k++) {
            int ix = jy % 2 ? g->nx - 1 - k : k;
            double x = grid_x(g, ix), y = grid_y(g, jy);
            for (size_t i = 0; i < n; i++) tp[i] = (float)(th[i] + x * d1[i] + y * d2[i]);
            hess_lanczos_opts lo = {0};
            lo.k = 1;
            lo.want_min = 1;
            lo.max_steps = 40;
            lo.tol = 1e-2;
            lo.seed = a->seed;
            lo.start = have_warm ? warm : NULL;
            lo.want_vectors = 1;
            lo.basis_float = 1;
            hess_eig e = {0};
            if ((rc = hess_lanczos(o, tp, &lo, &e))) break;
            size_t p = (size_t)jy * g->nx + ix;
            lmax[p] = e.eval[0];
            lmin[p] = e.lmin;
            ratio[p] = fabs(e.lmin / e.eval[0]);
            neg[p] = e.lmin < 0 ? 1.0 : 0.0;
            hvps += e.hvps;
            worst_resid = fmax(worst_resid, e.resid[0] / fmax(fabs(e.eval[0]), 1e-12));
            memcpy(warm, e.evec, n * sizeof *warm);
            have_warm = 1;
            hess_eig_free(&e);
            progress_note(&pg, "%ld HVPs", hvps);
            progress_update(&pg, (size_t)jy * g->nx + k + 1);
        }
    }
    progress_end(&pg);
    if (rc) goto done;
    size_t shape[2] = {(size_t)g->ny, (size_t)g->nx};
    char f[PROBE_PATH_MAX];
    if ((rc = npy_write_f64(probe_path(f, dir, name, "_lmax.npy"), lmax, 2, shape))) goto done;
    if ((rc = npy_write_f64(probe_path(f, dir, name, "_lmin.npy"), lmin, 2, shape))) goto done;
    if ((rc = npy_write_f64(probe_path(f, dir, name, "_ratio.npy"), ratio, 2, shape))) goto done;
    size_t nneg = 0;
    for (size_t p = 0; p < np; p++) nneg += neg[p] > 0;
    cJSON *cj = cJSON_AddObjectToObject(j, "curvature");
    cJSON_AddStringToObject(cj, "method", "Lanczos, k = 1 and lambda_min, warm-started, tol 1e-2, <= 40 steps");
    cJSON_AddNumberToObject(cj, "hvps", (double)hvps);
    cJSON_AddNumberToObject(cj, "worst_relative_residual", worst_resid);
    cJSON_AddNumberToObject(cj, "nonconvex_fraction", (double)nneg / (double)np);
    render_heatmap_opts ho;
    memset(&ho, 0, sizeof ho);
    char title[300], sub[300];
    snprintf(title, sizeof title, "|λ_{min} / λ_{max}| over the plane: %s", arch);
    snprintf(sub, sizeof sub, "Hessian at each point; %zu of %zu points have λ_{min} < 0", nneg, np);
    ho.title = title;
    ho.subtitle = sub;
    ho.xlabel = "x (direction 1)";
    ho.ylabel = "y (direction 2)";
    ho.zlabel = "|λ_{min} / λ_{max}|";
    ho.no_min_marker = 1;
    ho.ncontours = a->levels > 0 ? a->levels : -1;
    if (a->cmap && (rc = render_cmap_parse(a->cmap, &ho.cmap))) goto done;
    picture_heatmap(&a->pic, &ho);
    render_target tg = picture_target(&a->pic);
    char ext[32];
    snprintf(ext, sizeof ext, "_curvature%s", picture_ext(&a->pic));
    if ((rc = render_heatmap_write(probe_path(f, dir, name, ext), &tg, ratio, g->nx, g->ny, g->x0,
                                   g->x1, g->y0, g->y1, &ho, NULL)))
        goto done;
    ho.title = "where the Hessian has a negative eigenvalue (λ_{min} < 0)";
    ho.zlabel = "1 = non-convex";
    ho.cmap = RENDER_CMAP_GRAY;
    ho.ncontours = -1;
    ho.vmin = 0;
    ho.vmax = 1;
    ho.vmin_set = ho.vmax_set = 0;
    /* One color everywhere tells nothing by itself: the picture says it. */
    ho.flat_note = nneg == np ? "every point is non-convex (λ_{min} < 0)"
                              : "every point is convex (λ_{min} ≥ 0)";
    snprintf(ext, sizeof ext, "_convex%s", picture_ext(&a->pic));
    rc = render_heatmap_write(probe_path(f, dir, name, ext), &tg, neg, g->nx, g->ny, g->x0, g->x1,
                              g->y0, g->y1, &ho, NULL);
done:
    free(lmax);
    free(lmin);
    free(ratio);
    free(neg);
    free(tp);
    free(warm);
    return rc;
}
