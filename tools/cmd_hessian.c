/* `saddle hessian`: curvature of a minimum from exact Hessian-vector
 * products: top eigenvalues and λmin by Lanczos (power iteration as a cross-
 * check), the trace (Hutchinson, Hutch++), and the spectral density by
 * stochastic Lanczos quadrature, as numbers, .npy and a PNG. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../nn/pool.h"
#include "../probes/hessian.h"
#include "../probes/npy.h"
#include "../probes/render.h"
#include "probe.h"
#include "progress.h"
#include "render_kinds.h"
#include "shard.h"

static const char HESSIAN_USAGE[] =
    "usage: saddle hessian TARGET [options]\n"
    "\n"
    "Eigenvalues of the Hessian of the mean loss at a run's final weights (or a\n"
    "checkpoint), from exact Hessian-vector products (R-operator). Prints a summary\n"
    "and writes NAME.json (default hessian), plus NAME_density.npy/.png with --density.\n"
    "Under mpirun (make MPI=1) every rank holds a shard of the data subset and the\n"
    "products are summed across ranks.\n"
    "\n"
    "The index (with --density) is the fraction of eigenvalues below -t lambda_max\n"
    "for t = 1e-6, 1e-4, 1e-3 (as `saddle critical`), with its spread over the runs;\n"
    "a threshold finer than the SLQ nodes near zero can resolve is marked so.\n"
    "Progress goes to stderr: a line redrawn on a terminal, a line every 10 s otherwise.\n"
    "\n"
    "options:\n"
    "  --top K          top-K eigenvalues by Lanczos, and lambda_min (default 5)\n"
    "  --steps N        most Lanczos steps (default min(n, max(100, 4K)))\n"
    "  --tol T          relative Ritz residual to stop at (default 1e-6)\n"
    "  --power          also run power iteration with deflation, as a cross-check\n"
    "  --trace          Hutchinson trace (and Hutch++) with --probes N products (default 100)\n"
    "  --density        spectral density by stochastic Lanczos quadrature\n"
    "  --runs R         SLQ runs (default 10)      --slq-steps M   steps per run (default 80)\n"
    "  --gn             the Gauss-Newton matrix G instead of the Hessian\n";

/* Counts the products a solver asks for and shows how far it is (see
 * progress.h), phase by phase. The solvers call nothing but hvp, so the
 * wrapper offers nothing else. */
typedef struct hvp_meter {
    objective inner;
    progress pg;
    size_t done;
    int show;
} hvp_meter;

static void meter_hvp(void *ctx, const float *theta, const float *v, float *hv)
{
    hvp_meter *m = ctx;
    m->inner.hvp(m->inner.ctx, theta, v, hv);
    m->done++;
    if (m->show) progress_update(&m->pg, m->done);
}

static void meter_phase(hvp_meter *m, const char *phase, int cap)
{
    m->done = 0;
    if (m->show) progress_phase(&m->pg, (size_t)cap, "hessian: %s", phase);
}

static void meter_wrap(hvp_meter *m, objective *o, const objective *inner, int show)
{
    memset(m, 0, sizeof *m);
    m->inner = *inner;
    m->show = show;
    if (show) {
        progress_begin(&m->pg, 0, "hessian");
        progress_unit(&m->pg, "HVPs", 1);
    }
    memset(o, 0, sizeof *o);
    o->n = inner->n;
    o->hvp = meter_hvp;
    o->ctx = m;
}

/* "2000 of the 60000 train examples (seeded subset, seed 1)": which examples
 * every printed number is on. */
static void subset_desc(const probe_data *pd, const probe_args *a, char *buf, size_t len)
{
    if (pd->idx)
        snprintf(buf, len, "%zu of the %zu %s examples (seeded subset, seed %llu)", pd->k, pd->d->n,
                 a->split, (unsigned long long)a->seed);
    else
        snprintf(buf, len, "all %zu %s examples", pd->k, a->split);
}

static int parse_int_opt(const char *v, int lo, int hi, int *out)
{
    char *end;
    long x = strtol(v, &end, 10);
    if (*end || end == v || x < lo || x > hi) return -1;
    *out = (int)x;
    return 0;
}

/* The spectral density on a log axis (the bulk near 0 and the outliers both
 * show), the top Ritz values and lambda_min marked: from the sidecar and
 * NAME_density.npy, so `saddle render` draws what the command drew. */
int hessian_draw(const cJSON *j, const char *dir, const probe_args *a, const char *png)
{
    const cJSON *dj = cJSON_GetObjectItemCaseSensitive(j, "density");
    const cJSON *top = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "lanczos"), "top");
    const cJSON *ck = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "checkpoints"), 0);
    const cJSON *t1 = cJSON_GetArrayItem(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(dj, "index"), "thresholds"), 1);
    if (!dj)
        return nn_err(NN_EINVAL, "sidecar: no spectral density (hessian ran without --density), so no "
                      "picture; its eigenvalues are numbers, in the file");
    const char *file = sidecar_str(dj, "file"), *mat = sidecar_str(j, "matrix");
    const char *arch = sidecar_str(ck, "arch"), *split = sidecar_str(j, "data.split");
    double lmin, runs, steps, sigma, examples, index;
    int rc = NN_OK;
    if (!file || !mat || !arch || !split || cJSON_GetArraySize(top) < 1)
        return nn_err(NN_EFORMAT, "sidecar: no density.file, matrix, checkpoint arch, data.split or "
                      "lanczos.top");
    if ((rc = sidecar_num(j, "lanczos.lambda_min", NULL, &lmin)) ||
        (rc = sidecar_num(dj, "runs", "in density", &runs)) ||
        (rc = sidecar_num(dj, "steps", "in density", &steps)) ||
        (rc = sidecar_num(dj, "sigma", "in density", &sigma)) ||
        (rc = sidecar_num(j, "data.examples", NULL, &examples)) ||
        (rc = sidecar_num(t1, "index", "in density.index.thresholds[1]", &index)))
        return rc;
    size_t shape[2] = {2, 0};
    double *arr = NULL, *dv = NULL;
    if ((rc = sidecar_npy(dir, file, 2, shape, &arr))) return rc;
    int ngrid = shape[1] > INT_MAX ? INT_MAX : (int)shape[1];
    const double floor_d = 1e-7;
    if (!(dv = malloc((size_t)ngrid * sizeof *dv))) {
        free(arr);
        return nn_err(NN_ENOMEM, "hessian: out of memory");
    }
    for (int i = 0; i < ngrid; i++) dv[i] = arr[ngrid + i] > floor_d ? arr[ngrid + i] : floor_d;
    render_series s = {arr, dv, ngrid, "SLQ density", 0, 0, 0, 0, 0};
    render_refline refs[8];
    int nr = 0;
    for (const cJSON *e = top->child; e && nr < 6; e = e->next)
        if (cJSON_IsNumber(e) && isfinite(e->valuedouble)) {
            refs[nr] = (render_refline){1, e->valuedouble, nr == 0 ? "λ_{max}" : NULL, 0,
                                        RENDER_HEX(0xd55e00)};
            nr++;
        }
    refs[nr] = (render_refline){1, lmin, "λ_{min}", 0, RENDER_HEX(0x0072b2)};
    render_lineplot_opts lo;
    memset(&lo, 0, sizeof lo);
    char title[300], sub[300];
    snprintf(title, sizeof title, "%s spectral density: %s", mat, arch);
    snprintf(sub, sizeof sub, "SLQ, %.0f runs x %.0f steps, σ %.3g; %.0f %s examples; "
             "index %.2g (below -10^{-4} λ_{max})", runs, steps, sigma, examples, split, index);
    lo.title = title;
    lo.subtitle = sub;
    lo.xlabel = "eigenvalue";
    lo.ylabel = "density (log)";
    lo.logy = 1;
    lo.series = &s;
    lo.nseries = 1;
    lo.refs = refs;
    lo.nrefs = nr + 1;
    lo.no_legend = 1;
    picture_lineplot(&a->pic, &lo);
    render_target tg = picture_target(&a->pic);
    rc = render_lineplot_write(png, &tg, &lo, NULL);
    free(dv);
    free(arr);
    return rc;
}

int cmd_hessian(int argc, char **argv)
{
    probe_args a;
    probe_args_defaults(&a);
    a.limit = 2000;
    a.takes = PROBE_TAKES_DATA | PROBE_TAKES_OUT;
    const char *target = NULL;
    int top = 5, steps = 0, power = 0, trace = 0, density = 0, gn = 0, probes_n = 100;
    int runs = 10, slq_steps = 80;
    double tol = 0;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        int r = picture_args_parse("hessian", argc, argv, &i, &a.pic);
        if (!r) r = probe_args_parse("hessian", HESSIAN_USAGE, argc, argv, &i, &a);
        if (r == PROBE_HELP) {
            picture_args_help();
            return EXIT_OK;
        }
        if (r < 0) return EXIT_USAGE;
        if (r) continue;
        if (!strcmp(o, "--power")) power = 1;
        else if (!strcmp(o, "--trace")) trace = 1;
        else if (!strcmp(o, "--density")) density = 1;
        else if (!strcmp(o, "--gn")) gn = 1;
        else if (!strcmp(o, "--top") || !strcmp(o, "--steps") || !strcmp(o, "--probes") ||
                 !strcmp(o, "--runs") || !strcmp(o, "--slq-steps") || !strcmp(o, "--tol")) {
            if (i + 1 >= argc) return cli_usage_error("hessian", "%s needs a value", o);
            const char *v = argv[++i];
            int bad = 0;
            if (!strcmp(o, "--top")) bad = parse_int_opt(v, 1, 1 << 30, &top);
            else if (!strcmp(o, "--steps")) bad = parse_int_opt(v, 2, 100000, &steps);
            else if (!strcmp(o, "--probes")) bad = parse_int_opt(v, 2, 100000, &probes_n);
            else if (!strcmp(o, "--runs")) bad = parse_int_opt(v, 1, 10000, &runs);
            else if (!strcmp(o, "--slq-steps")) bad = parse_int_opt(v, 2, 10000, &slq_steps);
            else {
                char *end;
                tol = strtod(v, &end);
                bad = *end || !(tol > 0 && tol < 1);
            }
            if (bad) return cli_usage_error("hessian", "%s: bad value '%s'", o, v);
        } else if (cli_positional("hessian", o, &target)) {
            return EXIT_USAGE;
        }
    }
    if (!target) return cli_usage_error("hessian", "a run directory or checkpoint is required");
    int rc = pool_set_threads(a.threads);
    if (rc) return cli_fail("hessian", rc);

    double t0 = nn_now();
    probe_model pm = {0};
    const probe_model *pms[1] = {&pm};
    probe_data pd = {0};
    nnobj ctx = {0};
    shard_obj sh;
    hvp_meter meter = {0};
    objective inner, so_obj, o;
    hess_eig eig = {0}, pw = {0};
    hess_trace tr = {0}, trpp = {0};
    hess_density dens = {0};
    cJSON *j = NULL;
    probe_out pout = {.lock = {-1}};
    const char *dir = pout.dir;
    int rank = 0, nranks = 1;
    if ((rc = probe_model_open(&pm, target, &a))) goto fail;
    if ((rc = probe_data_open(&pd, &pm, &a))) goto fail;
    if ((size_t)top > pm.m.n) {
        rc = nn_err(NN_EINVAL, "--top %d: the model has only %zu parameters", top, pm.m.n);
        goto fail;
    }
    if (pd.k == 0) {
        rc = nn_err(NN_EINVAL, "hessian: the data subset is empty");
        goto fail;
    }
    size_t lo, hi;
    shard_range(pd.k, &lo, &hi, &rank, &nranks);
    /* This rank's shard of the subset: its slice of the index list (or of the
     * first k examples when the subset is the whole split). */
    size_t *shard_idx = NULL;
    if (!pd.idx) {
        shard_idx = malloc((hi - lo + 1) * sizeof *shard_idx);
        if (!shard_idx) {
            rc = nn_err(NN_ENOMEM, "hessian: out of memory");
            goto fail;
        }
        for (size_t i = lo; i < hi; i++) shard_idx[i - lo] = i;
    }
    rc = nnobj_init(&ctx, &inner, &pm.m, pd.d, pd.idx ? pd.idx + lo : shard_idx, hi - lo);
    free(shard_idx);
    if (rc) goto fail;
    ctx.gauss_newton = gn;
    shard_wrap(&sh, &so_obj, &inner, lo, hi, pd.k);
    meter_wrap(&meter, &o, &so_obj, rank == 0);
    if (rank == 0 && (rc = probe_out_open(&pout, "hessian", gn ? "gauss_newton" : "hessian", pms, 1,
                                          &a, argc, argv, NULL)))
        goto fail;

    hess_lanczos_opts lo_opt = {0};
    lo_opt.k = top;
    lo_opt.want_min = 1;
    lo_opt.max_steps = steps;
    lo_opt.tol = tol;
    lo_opt.seed = a.seed;
    int lz_cap = steps ? steps : top * 4 > 100 ? top * 4 : 100;
    meter_phase(&meter, "Lanczos", (size_t)lz_cap < pm.m.n ? lz_cap : (int)pm.m.n);
    if ((rc = hess_lanczos(&o, pm.m.theta, &lo_opt, &eig))) goto fail;
    if (power) {
        hess_power_opts po = {0};
        po.k = top;
        po.seed = a.seed;
        meter_phase(&meter, "power iteration", top > INT_MAX / 1000 ? INT_MAX : top * 1000);
        if ((rc = hess_power(&o, pm.m.theta, &po, &pw))) goto fail;
    }
    if (trace) {
        meter_phase(&meter, "Hutchinson trace", probes_n);
        if ((rc = hess_trace_hutchinson(&o, pm.m.theta, probes_n, a.seed, &tr))) goto fail;
        meter_phase(&meter, "Hutch++ trace", probes_n);
        if ((rc = hess_trace_hutchpp(&o, pm.m.theta, probes_n, a.seed, &trpp))) goto fail;
    }
    if (density) {
        hess_slq_opts so = {0};
        so.nrun = runs;
        so.m = slq_steps;
        so.seed = a.seed;
        so.lmax = eig.eval[0] > 0 ? eig.eval[0] : 0;
        meter_phase(&meter, "SLQ density", runs * slq_steps);
        if ((rc = hess_slq(&o, pm.m.theta, &so, &dens))) goto fail;
    }
    if (meter.show) progress_end(&meter.pg);
    if (rank != 0) goto fail; /* rank 0 reports and writes */

    const char *name = pout.name;
    const char *mat = gn ? "Gauss-Newton" : "Hessian";
    j = probe_sidecar("hessian", pms, 1, &pd, &a);
    probe_out_stamp(&pout, j);
    cJSON_AddStringToObject(j, "kind", "hessian");
    cJSON_AddStringToObject(j, "matrix", mat);
    cJSON_AddNumberToObject(j, "ranks", nranks);
    cJSON *lj = cJSON_AddObjectToObject(j, "lanczos");
    cJSON_AddItemToObject(lj, "top", cJSON_CreateDoubleArray(eig.eval, eig.k));
    cJSON_AddItemToObject(lj, "residuals", cJSON_CreateDoubleArray(eig.resid, eig.k));
    cJSON_AddNumberToObject(lj, "lambda_min", eig.lmin);
    cJSON_AddNumberToObject(lj, "lambda_min_residual", eig.lmin_resid);
    cJSON_AddNumberToObject(lj, "ratio_min_max", eig.lmin / eig.eval[0]);
    cJSON_AddNumberToObject(lj, "steps", eig.steps);
    cJSON_AddNumberToObject(lj, "hvps", eig.hvps);
    cJSON_AddBoolToObject(lj, "converged", eig.converged);
    cJSON_AddNumberToObject(lj, "tol", tol > 0 ? tol : 1e-6);
    cJSON_AddNumberToObject(lj, "seed", (double)a.seed);
    char on[256];
    subset_desc(&pd, &a, on, sizeof on);
    printf("%s of the mean loss at %s (%zu parameters)\n  every number below is on %s%s\n", mat,
           pm.path, pm.m.n, on, nranks > 1 ? ", sharded across ranks" : "");
    printf("  Lanczos: %d steps, %d HVPs, %s\n", eig.steps, eig.hvps,
           eig.converged ? "converged" : "NOT converged (raise --steps)");
    for (int i = 0; i < eig.k; i++)
        printf("    lambda_%-3d %12.6g   (residual %.2g)\n", i + 1, eig.eval[i], eig.resid[i]);
    printf("    lambda_min %12.6g   (residual %.2g)   lambda_min/lambda_max %.3g\n", eig.lmin,
           eig.lmin_resid, eig.lmin / eig.eval[0]);
    if (power) {
        cJSON *pj = cJSON_AddObjectToObject(j, "power");
        cJSON_AddItemToObject(pj, "eigenvalues", cJSON_CreateDoubleArray(pw.eval, pw.k));
        cJSON_AddItemToObject(pj, "residuals", cJSON_CreateDoubleArray(pw.resid, pw.k));
        cJSON_AddNumberToObject(pj, "hvps", pw.hvps);
        cJSON_AddBoolToObject(pj, "converged", pw.converged);
        printf("  power iteration: %d HVPs, %s:", pw.hvps, pw.converged ? "converged" : "NOT converged");
        for (int i = 0; i < pw.k; i++) printf(" %.6g", pw.eval[i]);
        printf("\n");
    }
    if (trace) {
        cJSON *tj = cJSON_AddObjectToObject(j, "trace");
        cJSON_AddNumberToObject(tj, "hutchinson", tr.estimate);
        cJSON_AddNumberToObject(tj, "hutchinson_se", tr.se);
        cJSON_AddNumberToObject(tj, "hutchinson_hvps", tr.hvps);
        cJSON_AddNumberToObject(tj, "hutchpp", trpp.estimate);
        cJSON_AddNumberToObject(tj, "hutchpp_hvps", trpp.hvps);
        printf("  trace: Hutchinson %.6g +- %.2g (%d HVPs), Hutch++ %.6g (%d HVPs)\n", tr.estimate,
               tr.se, tr.hvps, trpp.estimate, trpp.hvps);
    }
    if (density) {
        cJSON *dj = cJSON_AddObjectToObject(j, "density");
        cJSON_AddNumberToObject(dj, "runs", dens.nrun);
        cJSON_AddNumberToObject(dj, "steps", dens.m);
        cJSON_AddNumberToObject(dj, "sigma", dens.sigma);
        cJSON_AddNumberToObject(dj, "moment1", dens.moment1);
        cJSON_AddNumberToObject(dj, "trace_estimate", dens.moment1 * (double)pm.m.n);
        cJSON *ij = cJSON_AddObjectToObject(dj, "index");
        cJSON_AddStringToObject(ij, "rule", "fraction of the spectral mass below -t * lambda_max, "
                                "mean over the SLQ runs");
        cJSON_AddNumberToObject(ij, "lambda_max", dens.scale);
        cJSON *ia = cJSON_AddArrayToObject(ij, "thresholds");
        for (int t = 0; t < HESS_NT; t++) {
            const hess_index *x = &dens.index[t];
            cJSON *e = cJSON_CreateObject();
            cJSON_AddNumberToObject(e, "t", x->t);
            cJSON_AddNumberToObject(e, "index", x->index);
            cJSON_AddNumberToObject(e, "sd", x->sd);
            cJSON_AddNumberToObject(e, "se", x->se);
            cJSON_AddNumberToObject(e, "min", x->lo);
            cJSON_AddNumberToObject(e, "max", x->hi);
            cJSON_AddNumberToObject(e, "near_null", x->null);
            cJSON_AddNumberToObject(e, "unresolved", x->unresolved);
            cJSON_AddBoolToObject(e, "resolved", x->unresolved <= 0.1);
            cJSON_AddBoolToObject(e, "lambda_min_above", eig.lmin > -x->t * dens.scale);
            cJSON_AddItemToArray(ia, e);
        }
        cJSON_AddNumberToObject(dj, "hvps", dens.hvps);
        char f[300];
        snprintf(f, sizeof f, "%s_density", name);
        cJSON_AddStringToObject(dj, "file", f);
        /* [2][ngrid]: row 0 the eigenvalue grid, row 1 the density. */
        double *arr = malloc(2 * (size_t)dens.ngrid * sizeof *arr);
        if (!arr) {
            rc = nn_err(NN_ENOMEM, "hessian: out of memory");
            goto fail;
        }
        memcpy(arr, dens.grid, (size_t)dens.ngrid * sizeof *arr);
        memcpy(arr + dens.ngrid, dens.density, (size_t)dens.ngrid * sizeof *arr);
        size_t shape[2] = {2, (size_t)dens.ngrid};
        char fp[PROBE_PATH_MAX];
        rc = npy_write_f64(probe_path(fp, dir, f, ".npy"), arr, 2, shape);
        free(arr);
        if (rc) goto fail;
        rc = render_kind_draw(j, dir, &a, probe_path(fp, dir, f, picture_ext(&a.pic)));
        if (rc) goto fail;
        printf("  density: %d runs x %d steps (%d HVPs), trace ~ %.6g -> %s\n", dens.nrun, dens.m,
               dens.hvps, dens.moment1 * (double)pm.m.n, fp);
        printf("  index: fraction of eigenvalues below -t lambda_max (lambda_max %.6g), mean +- sd\n"
               "  over the %d runs [smallest, largest run]; near-null: |lambda| <= t lambda_max\n",
               dens.scale, dens.nrun);
        for (int t = 0; t < HESS_NT; t++) {
            const hess_index *x = &dens.index[t];
            char note[160] = "";
            /* Where most of the spectrum sits near zero but outside ±t, the
             * sign of its Gauss node decides the index: not a measurement,
             * so no number is printed (hessian.json keeps it, flagged). */
            if (x->unresolved > 0.1) {
                printf("    t = %-6g not resolved: %.2f of the mass is within %g lambda_max of 0 but "
                       "not within t, and the sign of its SLQ node decides the count\n",
                       x->t, x->unresolved, hess_index_t[HESS_NT - 1]);
                continue;
            }
            if (eig.lmin > -x->t * dens.scale)
                snprintf(note, sizeof note, "   (lambda_min is above -t lambda_max)");
            printf("    t = %-6g %8.4f +- %-7.2g [%.4f, %.4f]   near-null %.4f%s\n", x->t, x->index,
                   x->sd, x->lo, x->hi, x->null, note);
        }
    }
    cJSON_AddNumberToObject(j, "wall_seconds", nn_now() - t0);
    char json[PROBE_PATH_MAX];
    rc = probe_json_write(probe_out_path(&pout, json, ".json"), j);
    if (!rc) printf("  %s (%.1f s)\n", json, nn_now() - t0);
fail:
    if (meter.show) progress_end(&meter.pg); /* a failure starts its own line */
    hess_eig_free(&eig);
    hess_eig_free(&pw);
    hess_density_free(&dens);
    nnobj_free(&ctx);
    probe_model_close(&pm);
    probe_data_close(&pd);
    cJSON_Delete(j);
    probe_out_close(&pout);
    return rc && rank == 0 ? cli_fail("hessian", rc) : rc ? EXIT_FAIL : EXIT_OK;
}
