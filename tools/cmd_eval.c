/* `saddle eval`: loss and accuracy of a checkpoint on the data its config
 * names (or on a config given for a PyTorch-written file). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char EVAL_USAGE[] =
    "usage: saddle eval CHECKPOINT [--data train|test] [--limit N] [options]\n"
    "\n"
    "Prints mean loss and accuracy of CHECKPOINT. The data set and its\n"
    "normalization come from the config stored in a saddle checkpoint.\n"
    "\n"
    "options:\n"
    "  --data train|test  which split (default test)\n"
    "  --limit N          only the first N examples (default all)\n"
    "  --config FILE      config for a checkpoint without one (a PyTorch file)\n"
    "  --act NAME         hidden activation of a PyTorch file (relu, tanh, ...)\n"
    "  --set S.K=V        override a config key, e.g. --set data.dir=/path/to/mnist\n";

int cmd_eval(int argc, char **argv)
{
    const char *ckpt = NULL, *split = "test", *cfg_path = NULL, *act_s = NULL;
    const char *sets[64];
    int nsets = 0;
    long long limit = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            fputs(EVAL_USAGE, stdout);
            return EXIT_OK;
        }
        if (a[0] == '-' && a[1]) {
            if (i + 1 >= argc) return cli_usage_error("eval", "%s needs a value", a);
            const char *v = argv[++i];
            if (!strcmp(a, "--data")) split = v;
            else if (!strcmp(a, "--config")) cfg_path = v;
            else if (!strcmp(a, "--act")) act_s = v;
            else if (!strcmp(a, "--set") && nsets < 64) sets[nsets++] = v;
            else if (!strcmp(a, "--limit")) {
                char *end;
                limit = strtoll(v, &end, 10);
                if (*end || limit < 0) return cli_usage_error("eval", "--limit wants a count, not '%s'", v);
            } else return cli_usage_error("eval", "unknown option '%s'", a);
        } else if (!ckpt) {
            ckpt = a;
        } else {
            return cli_usage_error("eval", "unexpected argument '%s'", a);
        }
    }
    if (!ckpt) return cli_usage_error("eval", "a CHECKPOINT is required");
    if (strcmp(split, "train") && strcmp(split, "test"))
        return cli_usage_error("eval", "--data is train or test, not '%s'", split);
    int act = -1;
    if (act_s && (act = act_from_name(act_s)) < 0)
        return cli_usage_error("eval", "unknown activation '%s'", act_s);

    config c;
    config_defaults(&c);
    if (cfg_path) {
        int rc = config_load(&c, cfg_path);
        if (rc) return cli_fail("config", rc);
    }
    model m;
    ckpt_info info = {0};
    int rc = ckpt_load(ckpt, &m, act >= 0 ? act : -1, c.model.loss, &info, NULL, NULL, 0);
    if (rc) return cli_fail("eval", rc);
    if (info.config_text && !cfg_path) {
        rc = config_parse(&c, info.config_text, strlen(info.config_text), ckpt);
        if (rc) {
            ckpt_info_free(&info);
            model_free(&m);
            return cli_fail("eval: stored config", rc);
        }
    }
    ckpt_info_free(&info);
    for (int i = 0; i < nsets; i++)
        if ((rc = config_set(&c, sets[i]))) {
            model_free(&m);
            return cli_fail("--set", rc);
        }
    cli_config_resolve(&c);
    /* The whole of the chosen split: evaluation never subsamples silently. */
    c.data.test_limit = 0;
    dataset tr = {0}, va = {0}, te = {0};
    workspace ws = {0};
    rc = data_load(&c.data, &tr, &va, &te);
    if (rc) goto fail;
    dataset *d = !strcmp(split, "train") ? &tr : &te;
    size_t k = limit > 0 && (size_t)limit < d->n ? (size_t)limit : d->n;
    if ((rc = model_data_check(&m, d, NULL, k, ckpt))) goto fail;
    if ((rc = workspace_alloc(&ws, &m, 1024))) goto fail;
    double acc, loss = model_eval(&m, m.theta, d, NULL, k, &acc, NULL, &ws);
    printf("%s: %s loss %.6f  acc %.4f  (%zu examples)\n", ckpt, split, loss, acc, k);
fail:
    workspace_free(&ws);
    dataset_free(&tr);
    dataset_free(&va);
    dataset_free(&te);
    model_free(&m);
    return rc ? cli_fail("eval", rc) : EXIT_OK;
}
