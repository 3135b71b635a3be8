/* `saddle sharpness`: how sharp a minimum is, in the measures that are in use:
 * Keskar et al.'s ε-sharpness (full space and a random subspace), the worst
 * case in an L2 ball, the average under Gaussian noise, and the latter two
 * filter-normalized, since raw sharpness changes under reparameterizations
 * that leave the function alone (Dinh et al. 2017). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../nn/pool.h"
#include "../probes/render.h"
#include "../probes/sharpness.h"
#include "probe.h"
#include "progress.h"
#include "render_kinds.h"
#include "shard.h"

static const char SHARPNESS_USAGE[] =
    "usage: saddle sharpness TARGET [options]\n"
    "\n"
    "Prints a table of sharpness measures at a run's final weights (or a checkpoint)\n"
    "and writes NAME.json (default sharpness) and NAME.png: what each measure adds\n"
    "to the loss.\n"
    "\n"
    "options:\n"
    "  --eps E        box half-width of the epsilon-sharpness (default 1e-3)\n"
    "  --p P          dimension of its random subspace (default 100)\n"
    "  --iters N      ascent iterations (default 10 in the full space, 20 in the subspace)\n"
    "  --rho R        L2 ball radius of the worst case (default 0.05; filter-normalized:\n"
    "                 relative to each filter's norm)\n"
    "  --sigma S      noise scale of the average case (default 0.01; filter-normalized:\n"
    "                 relative to each filter's norm)\n"
    "  --samples N    noise draws of the average case (default 20)\n"
    "\n"
    "Progress goes to stderr, measure by measure: a line redrawn on a terminal, a line\n"
    "every 10 s otherwise.\n";

static int num_opt(const char *v, double lo, double hi, double *out)
{
    char *end;
    double x = strtod(v, &end);
    if (*end || end == v || !(x > lo && x <= hi)) return -1;
    *out = x;
    return 0;
}

/* Counts the passes over the data the measures make (each value or
 * gradient is one) and shows them, measure by measure, so a run of minutes
 * on a large model is not silent. */
typedef struct eval_meter {
    objective inner;
    progress pg;
    size_t done;
} eval_meter;

static double meter_value(void *ctx, const float *theta, double *acc)
{
    eval_meter *m = ctx;
    double f = m->inner.value(m->inner.ctx, theta, acc);
    progress_update(&m->pg, ++m->done);
    return f;
}

static double meter_grad(void *ctx, const float *theta, float *g)
{
    eval_meter *m = ctx;
    double f = m->inner.grad(m->inner.ctx, theta, g);
    progress_update(&m->pg, ++m->done);
    return f;
}

/* o: inner's view (θ's blocks too, which the filter-normalized measures
 * need) through the meter. */
static void meter_wrap(eval_meter *m, objective *o, const objective *inner)
{
    memset(m, 0, sizeof *m);
    m->inner = *inner;
    *o = *inner;
    o->value = meter_value;
    o->grad = inner->grad ? meter_grad : NULL;
    o->hvp = NULL;
    o->plane = NULL;
    o->grad64 = NULL;
    o->hessian64 = NULL;
    o->ctx = m;
    progress_begin(&m->pg, 0, "sharpness");
    progress_unit(&m->pg, "evaluations", 0);
}

#define SHARP_MEASURES 6

static void meter_measure(eval_meter *m, int k, const char *fmt, double x, const char *how)
{
    char what[96];
    snprintf(what, sizeof what, fmt, x, how);
    m->done = 0;
    progress_phase(&m->pg, 0, "sharpness %d/%d: %s", k, SHARP_MEASURES, what);
}

/* The six measures as the loss each perturbation adds to L(theta) (the
 * eps-sharpness's percent read back from its max_loss), the average cases
 * with their standard error: from the sidecar alone, so `saddle render`
 * draws what the command drew. A log axis when every increase is positive. */
int sharpness_draw(const cJSON *j, const char *dir, const probe_args *a, const char *png)
{
    static const char *const keys[6] = {"eps_sharpness.full", "eps_sharpness.subspace",
                                        "worst_l2_raw", "worst_l2_filter", "average_raw",
                                        "average_filter"};
    double f0, eps, examples, v[6], se[6] = {0}, scale[6], dim = 0;
    const char *arch = sidecar_str(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "checkpoints"), 0), "arch");
    const char *split = sidecar_str(j, "data.split");
    int rc;
    if (!arch || !split) return nn_err(NN_EFORMAT, "sidecar: no checkpoint arch or data.split");
    if ((rc = sidecar_num(j, "loss", NULL, &f0)) || (rc = sidecar_num(j, "eps_sharpness.eps", NULL, &eps)) ||
        (rc = sidecar_num(j, "eps_sharpness.subspace.dim", NULL, &dim)) ||
        (rc = sidecar_num(j, "data.examples", NULL, &examples)))
        return rc;
    for (int k = 0; k < 6; k++) {
        char key[64];
        snprintf(key, sizeof key, "%s.%s", keys[k], k < 2 ? "max_loss" : "sharpness");
        if ((rc = sidecar_num(j, key, NULL, &v[k]))) return rc;
        if (k < 2) v[k] -= f0;
        snprintf(key, sizeof key, "%s.%s", keys[k], k < 2 ? "phi" : k < 4 ? "rho" : "sigma");
        if ((rc = sidecar_num(j, key, NULL, &scale[k]))) return rc;
        snprintf(key, sizeof key, "%s.stderr", keys[k]);
        if (k >= 4 && (rc = sidecar_num(j, key, NULL, &se[k]))) return rc;
    }
    int logy = 1;
    for (int k = 0; k < 6; k++) logy &= v[k] > 0 && isfinite(v[k]);
    char label[6][96];
    snprintf(label[0], sizeof label[0], "1 eps-sharpness, full space, eps %g: %.3g%%", eps, scale[0]);
    snprintf(label[1], sizeof label[1], "2 eps-sharpness, subspace p = %.0f: %.3g%%", dim, scale[1]);
    for (int k = 2; k < 6; k++)
        snprintf(label[k], sizeof label[k], "%d %s %s %g, %s%s", k + 1,
                 k < 4 ? "worst case, L2 ball" : "mean under noise", k < 4 ? "rho" : "sigma",
                 scale[k], k % 2 ? "filter-normalized" : "raw", k < 4 ? "" : " (+- se)");
    double x[6], bx[4], by[4];
    render_series s[8];
    int ns = 0;
    for (int k = 0; k < 6; k++) {
        x[k] = k + 1;
        render_rgb c = render_palette(k);
        uint32_t hex = RENDER_HEX(((uint32_t)c.r << 16) | ((uint32_t)c.g << 8) | c.b);
        s[ns++] = (render_series){&x[k], &v[k], 1, label[k], hex, 0, RENDER_MARK_DOT, 0, 3};
        if (k >= 4) {
            double *ex = &bx[2 * (k - 4)], *ey = &by[2 * (k - 4)];
            ex[0] = ex[1] = x[k];
            ey[0] = v[k] - se[k];
            ey[1] = v[k] + se[k];
            s[ns++] = (render_series){ex, ey, 2, NULL, hex, 0, 0, 0, 2};
        }
    }
    /* The legend needs the top half of the frame: the values keep the bottom. */
    double lo = INFINITY, hi = -INFINITY;
    for (int k = 0; k < 6; k++) {
        double l = v[k] - se[k], h = v[k] + se[k];
        if (isfinite(l) && (!logy || l > 0)) lo = fmin(lo, l);
        if (isfinite(h)) hi = fmax(hi, h);
    }
    if (logy && isfinite(lo) && isfinite(hi)) {
        double r = fmax(log10(hi / lo), 1);
        lo /= pow(10, 0.1 * r);
        hi *= pow(10, 1.2 * r);
    } else if (isfinite(lo) && isfinite(hi)) {
        double r = hi > lo ? hi - lo : fmax(fabs(hi), 1e-6);
        lo = fmin(lo - 0.1 * r, 0);
        hi += 1.2 * r;
    }
    render_refline zero = {0, 0.0, NULL, 0, 0};
    render_lineplot_opts o;
    memset(&o, 0, sizeof o);
    char title[300], sub[300];
    snprintf(title, sizeof title, "sharpness of %s: what each perturbation adds to the loss", arch);
    snprintf(sub, sizeof sub, "L(θ) = %.4g on %.0f %s examples; each measure's largest or mean "
             "loss minus L(θ)", f0, examples, split);
    o.title = title;
    o.subtitle = sub;
    o.xlabel = "measure (numbered as in the legend)";
    o.ylabel = logy ? "loss increase (log)" : "loss increase";
    o.logy = logy;
    o.xmin = 0.5;
    o.xmax = 6.5;
    o.width = 900;
    o.height = 600;
    if (lo < hi) o.ymin = lo, o.ymax = hi;
    o.series = s;
    o.nseries = ns;
    o.refs = logy ? NULL : &zero;
    o.nrefs = !logy;
    picture_lineplot(&a->pic, &o);
    render_target tg = picture_target(&a->pic);
    return render_lineplot_write(png, &tg, &o, NULL);
}

int cmd_sharpness(int argc, char **argv)
{
    probe_args a;
    probe_args_defaults(&a);
    a.limit = 2000;
    a.takes = PROBE_TAKES_DATA | PROBE_TAKES_OUT;
    const char *target = NULL;
    double eps = 1e-3, rho = 0.05, sigma = 0.01, p = 100, iters = 0, samples = 20;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        int r = picture_args_parse("sharpness", argc, argv, &i, &a.pic);
        if (!r) r = probe_args_parse("sharpness", SHARPNESS_USAGE, argc, argv, &i, &a);
        if (r == PROBE_HELP) {
            picture_args_help();
            return EXIT_OK;
        }
        if (r < 0) return EXIT_USAGE;
        if (r) continue;
        if (!strcmp(o, "--eps") || !strcmp(o, "--rho") || !strcmp(o, "--sigma") ||
            !strcmp(o, "--p") || !strcmp(o, "--iters") || !strcmp(o, "--samples")) {
            if (i + 1 >= argc) return cli_usage_error("sharpness", "%s needs a value", o);
            const char *v = argv[++i];
            int bad;
            if (!strcmp(o, "--eps")) bad = num_opt(v, 0, 10, &eps);
            else if (!strcmp(o, "--rho")) bad = num_opt(v, 0, 1e6, &rho);
            else if (!strcmp(o, "--sigma")) bad = num_opt(v, 0, 1e6, &sigma);
            else if (!strcmp(o, "--p")) bad = num_opt(v, 0, 1e7, &p) || p != floor(p);
            else if (!strcmp(o, "--iters")) bad = num_opt(v, 0, 1e5, &iters) || iters != floor(iters);
            else bad = num_opt(v, 1, 1e6, &samples) || samples != floor(samples);
            if (bad) return cli_usage_error("sharpness", "%s: bad value '%s' (must be > 0%s)", o, v,
                                            !strcmp(o, "--samples") ? ", at least 2" : "");
        } else if (cli_positional("sharpness", o, &target)) {
            return EXIT_USAGE;
        }
    }
    if (!target) return cli_usage_error("sharpness", "a run directory or checkpoint is required");
    int rc = pool_set_threads(a.threads);
    if (rc) return cli_fail("sharpness", rc);

    double t0 = nn_now();
    probe_model pm = {0};
    const probe_model *pms[1] = {&pm};
    probe_data pd = {0};
    nnobj ctx = {0};
    objective inner, o;
    eval_meter meter = {0};
    cJSON *j = NULL;
    probe_out pout = {.lock = {-1}};
    if ((rc = probe_model_open(&pm, target, &a))) goto fail;
    if ((rc = probe_data_open(&pd, &pm, &a))) goto fail;
    if ((size_t)p > pm.m.n) {
        rc = nn_err(NN_EINVAL, "--p %.0f: the model has only %zu parameters", p, pm.m.n);
        goto fail;
    }
    if ((rc = nnobj_init(&ctx, &inner, &pm.m, pd.d, pd.idx, pd.k))) goto fail;
    meter_wrap(&meter, &o, &inner);
    if ((rc = probe_out_open(&pout, "sharpness", "sharpness", pms, 1, &a, argc, argv, NULL))) goto fail;

    sharp_eps_opts eo;
    sharp_eps_defaults(&eo);
    eo.eps = eps;
    eo.seed = a.seed;
    eo.iters = (int)iters;
    sharp_eps_result full, sub;
    eo.space = SHARP_FULL;
    meter_measure(&meter, 1, "eps-sharpness, full space, eps = %g%s", eps, "");
    if ((rc = sharp_eps(&o, pm.m.theta, &eo, &full))) goto fail;
    eo.space = SHARP_SUBSPACE;
    eo.p = (int)p;
    meter_measure(&meter, 2, "eps-sharpness, subspace p = %.0f%s", p, "");
    if ((rc = sharp_eps(&o, pm.m.theta, &eo, &sub))) goto fail;
    sharp_worst_result wr[2];
    sharp_avg_result av[2];
    for (int s = 0; s < 2; s++) {
        const char *how = s ? " (filter-normalized)" : " (raw)";
        sharp_worst_opts wo = {rho, s ? SHARP_FILTER : SHARP_RAW, (int)iters, a.seed};
        meter_measure(&meter, 3 + 2 * s, "worst case, rho = %g%s", rho, how);
        if ((rc = sharp_worst(&o, pm.m.theta, &wo, &wr[s]))) goto fail;
        sharp_avg_opts ao = {sigma, s ? SHARP_FILTER : SHARP_RAW, (int)samples, a.seed};
        meter_measure(&meter, 4 + 2 * s, "average case, sigma = %g%s", sigma, how);
        if ((rc = sharp_average(&o, pm.m.theta, &ao, &av[s]))) goto fail;
    }
    progress_end(&meter.pg);

    char on[256];
    if (pd.idx)
        snprintf(on, sizeof on, "%zu of the %zu %s examples (seeded subset, seed %llu)", pd.k,
                 pd.d->n, a.split, (unsigned long long)a.seed);
    else
        snprintf(on, sizeof on, "all %zu %s examples", pd.k, a.split);
    printf("sharpness at %s (%zu parameters, loss %.6g)\n  every number below is on %s\n", pm.path,
           pm.m.n, full.f0, on);
    printf("  %-50s %12s  %s\n", "measure", "value", "how");
    printf("  %-50s %12.6g  %s, %d steps, %ld gradients, %.0f%% of coordinates at a bound\n",
           "eps-sharpness, full space (Keskar, %)", full.phi, full.method, full.iters, full.grads,
           100 * full.occupancy);
    printf("  %-50s %12.6g  %s, p = %zu, %d steps, %.0f%% at a bound\n",
           "eps-sharpness, random subspace (%)", sub.phi, sub.method, sub.dim, sub.iters,
           100 * sub.occupancy);
    const char *names[2] = {"raw", "filter-normalized"};
    for (int s = 0; s < 2; s++) {
        char label[80];
        snprintf(label, sizeof label, "worst case, L2 ball rho = %g (%s)", rho, names[s]);
        printf("  %-50s %12.6g  projected ascent, %d steps, %ld gradients\n", label, wr[s].sharpness,
               wr[s].iters, wr[s].grads);
    }
    for (int s = 0; s < 2; s++) {
        char label[80];
        snprintf(label, sizeof label, "average case, sigma = %g (%s)", sigma, names[s]);
        printf("  %-50s %12.6g  +- %.2g over %d Gaussian draws\n", label, av[s].sharpness,
               av[s].stderr_, av[s].samples);
    }

    j = probe_sidecar("sharpness", pms, 1, &pd, &a);
    probe_out_stamp(&pout, j);
    cJSON_AddStringToObject(j, "kind", "sharpness");
    cJSON_AddNumberToObject(j, "loss", full.f0);
    cJSON *ej = cJSON_AddObjectToObject(j, "eps_sharpness");
    cJSON_AddNumberToObject(ej, "eps", eps);
    const sharp_eps_result *er[2] = {&full, &sub};
    const char *sp[2] = {"full", "subspace"};
    for (int s = 0; s < 2; s++) {
        cJSON *x = cJSON_AddObjectToObject(ej, sp[s]);
        cJSON_AddNumberToObject(x, "phi", er[s]->phi);
        cJSON_AddNumberToObject(x, "max_loss", er[s]->fmax);
        cJSON_AddNumberToObject(x, "dim", (double)er[s]->dim);
        cJSON_AddNumberToObject(x, "iterations", er[s]->iters);
        cJSON_AddNumberToObject(x, "gradients", (double)er[s]->grads);
        cJSON_AddNumberToObject(x, "box_occupancy", er[s]->occupancy);
        cJSON_AddStringToObject(x, "method", er[s]->method);
    }
    for (int s = 0; s < 2; s++) {
        char key[64];
        snprintf(key, sizeof key, "worst_l2_%s", s ? "filter" : "raw");
        cJSON *x = cJSON_AddObjectToObject(j, key);
        cJSON_AddNumberToObject(x, "rho", rho);
        cJSON_AddNumberToObject(x, "sharpness", wr[s].sharpness);
        cJSON_AddNumberToObject(x, "iterations", wr[s].iters);
        cJSON_AddNumberToObject(x, "gradients", (double)wr[s].grads);
        cJSON_AddNumberToObject(x, "fill", wr[s].fill);
        snprintf(key, sizeof key, "average_%s", s ? "filter" : "raw");
        x = cJSON_AddObjectToObject(j, key);
        cJSON_AddNumberToObject(x, "sigma", sigma);
        cJSON_AddNumberToObject(x, "sharpness", av[s].sharpness);
        cJSON_AddNumberToObject(x, "stderr", av[s].stderr_);
        cJSON_AddNumberToObject(x, "samples", av[s].samples);
    }
    cJSON_AddNumberToObject(j, "wall_seconds", nn_now() - t0);
    char json[PROBE_PATH_MAX], png[PROBE_PATH_MAX];
    rc = probe_json_write(probe_out_path(&pout, json, ".json"), j);
    if (!rc) rc = render_kind_draw(j, pout.dir, &a, probe_out_path(&pout, png, picture_ext(&a.pic)));
    if (!rc) printf("  %s, %s (%.1f s)\n", json, png, nn_now() - t0);
fail:
    progress_end(&meter.pg); /* a failure starts its own line */
    nnobj_free(&ctx);
    probe_model_close(&pm);
    probe_data_close(&pd);
    cJSON_Delete(j);
    probe_out_close(&pout);
    return rc ? cli_fail("sharpness", rc) : EXIT_OK;
}
