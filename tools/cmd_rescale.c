/* `saddle rescale`: Dinh et al.'s reparameterization of a ReLU net (layer l
 * times c, layer l+1's weights times 1/c), written as a new checkpoint, with
 * the check that the function did not change and what raw and
 * filter-normalized sharpness make of it. */
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../nn/pool.h"
#include "../probes/sharpness.h"
#include "probe.h"
#include "progress.h"
#include "study.h"

static const char RESCALE_USAGE[] =
    "usage: saddle rescale CHECKPOINT --layer L --factor C [--out FILE] [options]\n"
    "\n"
    "Multiplies dense layer L's weights and bias by C and layer L+1's weights by\n"
    "1/C. With a ReLU (or leaky ReLU) between them the network computes the same\n"
    "function, yet raw sharpness changes while filter-normalized sharpness does not\n"
    "(Dinh et al. 2017). Writes the new checkpoint (default beside the input:\n"
    "NAME-rescaled-lL-cC.safetensors) with the input's metadata, prints the largest\n"
    "logit difference on --limit examples and the average-case\n"
    "sharpness (sigma 0.01, 10 draws), raw and filter-normalized, before and after.\n"
    "\n"
    "options:\n"
    "  --layer L        dense layer index, 0-based (a ReLU must follow it)\n"
    "  --factor C       scale, > 0\n"
    "  --out FILE       the rescaled checkpoint (default beside the input, above)\n"
    "  --no-sharpness   skip the sharpness comparison\n";

int rescale_apply(model *m, int l, double c)
{
    if (l < 0 || l + 1 >= m->nlayers)
        return nn_err(NN_EINVAL, "rescale: --layer %d: the model has dense layers 0..%d and layer l+1 "
                      "must exist", l, m->nlayers - 1);
    int act = m->layers[l].act;
    /* Only positively homogeneous activations commute with a positive scale. */
    if (act != ACT_RELU && act != ACT_LEAKY_RELU)
        return nn_err(NN_EINVAL, "rescale: layer %d is followed by %s, not relu: the rescaled net "
                      "would compute a different function", l, act_name(act));
    if (!(c > 0) || !isfinite(c)) return nn_err(NN_EINVAL, "rescale: factor %g must be > 0", c);
    const layer *a = &m->layers[l], *b = &m->layers[l + 1];
    float *th = m->theta;
    for (size_t i = 0; i < (size_t)a->out * a->in; i++) th[a->w_off + i] = (float)(th[a->w_off + i] * c);
    for (int i = 0; i < a->out; i++) th[a->b_off + i] = (float)(th[a->b_off + i] * c);
    for (size_t i = 0; i < (size_t)b->out * b->in; i++) th[b->w_off + i] = (float)(th[b->w_off + i] / c);
    return NN_OK;
}

/* Largest |logit difference| between two parameter vectors on the subset. */
static int logits_maxdiff(const model *m, const float *t0, const float *t1, const probe_data *pd,
                          double *maxdiff, double *maxlogit)
{
    const int CAP = 256;
    workspace ws;
    int rc = workspace_alloc(&ws, m, CAP);
    if (rc) return rc;
    size_t dim = pd->d->dim, K = (size_t)m->layers[m->nlayers - 1].out;
    float *xb = malloc((size_t)CAP * dim * sizeof *xb), *f0 = malloc((size_t)CAP * K * sizeof *f0);
    if (!xb || !f0) {
        rc = nn_err(NN_ENOMEM, "rescale: out of memory");
        goto done;
    }
    *maxdiff = *maxlogit = 0;
    for (size_t s = 0; s < pd->k; s += CAP) {
        int B = (int)(pd->k - s < (size_t)CAP ? pd->k - s : (size_t)CAP);
        for (int r = 0; r < B; r++) {
            size_t e = pd->idx ? pd->idx[s + r] : s + r;
            memcpy(xb + (size_t)r * dim, pd->d->x + e * dim, dim * sizeof *xb);
        }
        model_forward(m, t0, xb, B, &ws);
        memcpy(f0, ws.a[m->nlayers - 1], (size_t)B * K * sizeof *f0);
        model_forward(m, t1, xb, B, &ws);
        const float *f1 = ws.a[m->nlayers - 1];
        for (size_t i = 0; i < (size_t)B * K; i++) {
            *maxdiff = fmax(*maxdiff, fabs((double)f0[i] - f1[i]));
            *maxlogit = fmax(*maxlogit, fabs((double)f0[i]));
        }
    }
done:
    free(xb);
    free(f0);
    workspace_free(&ws);
    return rc;
}

int cmd_rescale(int argc, char **argv)
{
    probe_args a;
    probe_args_defaults(&a);
    a.limit = 500;
    a.takes = PROBE_TAKES_DATA;
    const char *target = NULL, *out = NULL;
    int lay = -1, sharp = 1;
    double factor = 0;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        if (!strcmp(o, "--out") && i + 1 < argc) {
            out = argv[++i];
            continue;
        }
        int r = probe_args_parse("rescale", RESCALE_USAGE, argc, argv, &i, &a);
        if (r == PROBE_HELP) return EXIT_OK;
        if (r < 0) return EXIT_USAGE;
        if (r) continue;
        if (!strcmp(o, "--no-sharpness")) sharp = 0;
        else if (!strcmp(o, "--layer") || !strcmp(o, "--factor")) {
            if (i + 1 >= argc) return cli_usage_error("rescale", "%s needs a value", o);
            const char *v = argv[++i];
            char *end;
            if (!strcmp(o, "--layer")) {
                long x = strtol(v, &end, 10);
                if (*end || end == v || x < 0 || x >= NN_MAX_LAYERS)
                    return cli_usage_error("rescale", "--layer: bad value '%s'", v);
                lay = (int)x;
            } else {
                factor = strtod(v, &end);
                if (*end || end == v || !(factor > 0) || !isfinite(factor))
                    return cli_usage_error("rescale", "--factor: bad value '%s' (must be > 0)", v);
            }
        } else if (cli_positional("rescale", o, &target)) {
            return EXIT_USAGE;
        }
    }
    if (!target) return cli_usage_error("rescale", "a checkpoint is required");
    if (lay < 0 || factor == 0) return cli_usage_error("rescale", "--layer and --factor are required");
    if (out) {
        /* Where the checkpoint goes is checked before the model and data load. */
        char d[4096];
        struct stat st;
        snprintf(d, sizeof d, "%s", out);
        const char *dd = dirname(d);
        if (stat(dd, &st) != 0 || !S_ISDIR(st.st_mode))
            return cli_usage_error("rescale", "--out %s: no directory %s to write into", out, dd);
    }
    int rc = pool_set_threads(a.threads);
    if (rc) return cli_fail("rescale", rc);

    probe_model pm = {0};
    probe_data pd = {0};
    model raw = {0};
    ckpt_info info = {0};
    float *t0 = NULL;
    nnobj ctx = {0};
    char outbuf[4400];
    if ((rc = probe_model_open(&pm, target, &a))) goto fail;
    size_t n = pm.m.n;
    t0 = malloc(n * sizeof *t0);
    if (!t0) {
        rc = nn_err(NN_ENOMEM, "rescale: out of memory");
        goto fail;
    }
    memcpy(t0, pm.m.theta, n * sizeof *t0);
    if ((rc = rescale_apply(&pm.m, lay, factor))) goto fail;
    if ((rc = probe_data_open(&pd, &pm, &a))) goto fail;
    /* The input's metadata (step, seed, config) travels with the copy. */
    if ((rc = ckpt_load(pm.path, &raw, pm.m.spec.layers[0].act, pm.c.model.loss, &info, NULL, NULL, 0)))
        goto fail;
    if (!out) {
        char base[4096];
        snprintf(base, sizeof base, "%s", pm.path);
        char *dot = strrchr(base, '.');
        if (dot && strchr(dot, '/') == NULL) *dot = 0;
        snprintf(outbuf, sizeof outbuf, "%s-rescaled-l%d-c%g.safetensors", base, lay, factor);
        out = outbuf;
    }
    if ((rc = ckpt_save(out, &pm.m, pm.m.theta, &info, NULL, NULL, 0))) goto fail;
    double maxdiff = 0, maxlogit = 0;
    if ((rc = logits_maxdiff(&pm.m, t0, pm.m.theta, &pd, &maxdiff, &maxlogit))) goto fail;
    /* A sidecar, so reports can show the check without rerunning it. */
    {
        char jp[4400];
        snprintf(jp, sizeof jp, "%s", out);
        char *dot = strrchr(jp, '.');
        if (dot && !strchr(dot, '/')) *dot = 0;
        strncat(jp, ".json", sizeof jp - strlen(jp) - 1);
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "command", "rescale");
        cJSON_AddStringToObject(j, "input", pm.path);
        cJSON_AddStringToObject(j, "output", out);
        cJSON_AddNumberToObject(j, "layer", lay);
        cJSON_AddNumberToObject(j, "factor", factor);
        cJSON_AddNumberToObject(j, "max_logit_diff", maxdiff);
        cJSON_AddNumberToObject(j, "max_abs_logit", maxlogit);
        cJSON_AddNumberToObject(j, "examples", (double)pd.k);
        rc = probe_json_write(jp, j);
        cJSON_Delete(j);
        if (rc) goto fail;
    }
    printf("%s: layer %d x %g, layer %d weights x %g\n", out, lay, factor, lay + 1, 1 / factor);
    printf("  function unchanged: max |logit difference| %.3g over %zu %s examples (largest |logit| %.3g)\n",
           maxdiff, pd.k, a.split, maxlogit);
    if (sharp) {
        objective o;
        if ((rc = nnobj_init(&ctx, &o, &pm.m, pd.d, pd.idx, pd.k))) goto fail;
        printf("  average-case sharpness (sigma 0.01, 10 draws)   before        after\n");
        fflush(stdout);
        sharp_avg_result r[2][2];
        progress pg;
        progress_begin(&pg, 4, "rescale: average-case sharpness, %zu examples", pd.k);
        for (int s = 0; s < 2 && !rc; s++) {
            sharp_avg_opts ao = {0.01, s ? SHARP_FILTER : SHARP_RAW, 10, a.seed};
            if (!(rc = sharp_average(&o, t0, &ao, &r[s][0]))) progress_update(&pg, 2 * (size_t)s + 1);
            if (!rc && !(rc = sharp_average(&o, pm.m.theta, &ao, &r[s][1])))
                progress_update(&pg, 2 * (size_t)s + 2);
        }
        progress_end(&pg);
        if (rc) goto fail;
        for (int s = 0; s < 2; s++)
            printf("    %-45s %12.5g %12.5g\n", s ? "filter-normalized" : "raw", r[s][0].sharpness,
                   r[s][1].sharpness);
    }
fail:
    nnobj_free(&ctx);
    ckpt_info_free(&info);
    model_free(&raw);
    free(t0);
    probe_data_close(&pd);
    probe_model_close(&pm);
    return rc ? cli_fail("rescale", rc) : EXIT_OK;
}
