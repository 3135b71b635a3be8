/* `saddle eval`: loss and accuracy of a run or checkpoint on the data its
 * config names (or on a config given for a PyTorch-written file). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "../datasets/fileio.h"
#include "cli.h"

static const char EVAL_USAGE[] =
    "usage: saddle eval RUN|CHECKPOINT [--data train|test] [--limit N] [options]\n"
    "\n"
    "Prints mean loss and accuracy of a run directory (its final.safetensors) or\n"
    "CHECKPOINT, and which examples they are on. The data set and its\n"
    "normalization come from the config stored in a saddle checkpoint; by default\n"
    "the examples are the ones the run itself reported on (the first\n"
    "data.test_limit test examples when it set one), so the numbers match its\n"
    "summary.json.\n"
    "\n"
    "options:\n"
    "  --data train|test  which split (default test)\n"
    "  --limit N          the first N examples of the split (0 = all; default: as the run)\n"
    "  --config FILE      config for a checkpoint without one (a PyTorch file)\n"
    "  --act NAME         hidden activation of a PyTorch file (relu, tanh, ...)\n"
    "  --map A,B,...      layer order of a PyTorch file's named modules, e.g. fc1,fc2,out\n"
    "                     (default: a Sequential's index order, else the order the shapes chain)\n"
    "  --set S.K=V        override a config key, e.g. --set data.dir=/path/to/mnist\n";

int cmd_eval(int argc, char **argv)
{
    const char *ckpt = NULL, *split = "test", *cfg_path = NULL, *act_s = NULL, *map = NULL;
    const char *sets[64];
    int nsets = 0;
    long long limit = -1; /* -1: the examples the run reported on */
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
            else if (!strcmp(a, "--map")) map = v;
            else if (!strcmp(a, "--set") && nsets < 64) sets[nsets++] = v;
            else if (!strcmp(a, "--limit")) {
                char *end;
                errno = 0;
                limit = strtoll(v, &end, 10);
                if (end == v || *end || errno || limit < 0) return cli_usage_error("eval", "--limit wants a count, not '%s'", v);
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
    /* A run directory means its final model, as for every probe. */
    char path[4200], summary[4200] = "";
    struct stat st;
    if (stat(ckpt, &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(path, sizeof path, "%s/final.safetensors", ckpt);
        snprintf(summary, sizeof summary, "%s/summary.json", ckpt);
        ckpt = path;
    } else {
        size_t L = strlen(ckpt);
        if (L >= 17 && !strcmp(ckpt + L - 17, "final.safetensors") && L - 17 < sizeof summary - 13)
            snprintf(summary, sizeof summary, "%.*ssummary.json", (int)(L - 17), ckpt);
    }
    char *note = NULL;
    int rc = ckpt_load_map(ckpt, &m, act >= 0 ? act : -1, c.model.loss, map, &info, &note, NULL,
                           NULL, 0);
    if (rc) return cli_fail("eval", rc);
    if (note) fprintf(stderr, "%s\n", note);
    free(note);
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
    /* The whole split is loaded; how many of its first examples count is
     * decided below and printed. */
    size_t run_test_limit = c.data.test_limit;
    c.data.test_limit = 0;
    dataset tr = {0}, va = {0}, te = {0};
    workspace ws = {0};
    rc = data_load(&c.data, &tr, &va, &te);
    if (rc) goto fail;
    dataset *d = !strcmp(split, "train") ? &tr : &te;
    int test = d == &te;
    size_t want = limit > 0 ? (size_t)limit : limit == 0 ? 0 : test ? run_test_limit : 0;
    size_t k = want > 0 && want < d->n ? want : d->n;
    if ((rc = model_data_check(&m, d, NULL, k, ckpt))) goto fail;
    if ((rc = workspace_alloc(&ws, &m, 1024))) goto fail;
    double acc, loss = model_eval(&m, m.theta, d, NULL, k, &acc, NULL, &ws);
    char which[200];
    if (k == d->n) snprintf(which, sizeof which, "all %zu %s examples", k, split);
    else snprintf(which, sizeof which, "the first %zu of %zu %s examples%s", k, d->n, split,
                  limit < 0 ? ", as the run's data.test_limit" : "");
    printf("%s: %s loss %.6f  acc %.4f  (%s)\n", ckpt, split, loss, acc, which);
    /* Beside the run's own figures, so a mismatch shows at once. */
    cJSON *sj = NULL;
    uint8_t *txt = NULL;
    size_t tl;
    if (summary[0] && file_read_all(summary, 1 << 20, &txt, &tl) == NN_OK &&
        (sj = cJSON_ParseWithLength((const char *)txt, tl))) {
        const cJSON *sl = cJSON_GetObjectItemCaseSensitive(sj, test ? "test_loss" : "train_loss");
        const cJSON *sa = cJSON_GetObjectItemCaseSensitive(sj, test ? "test_acc" : "train_acc");
        const cJSON *sn = cJSON_GetObjectItemCaseSensitive(sj, test ? "test_examples" : "train_examples");
        if (cJSON_IsNumber(sl) && cJSON_IsNumber(sa) && cJSON_IsNumber(sn))
            printf("  the run's %s: %s loss %.6f  acc %.4f  (%.0f examples)\n", summary, split,
                   sl->valuedouble, sa->valuedouble, sn->valuedouble);
    }
    cJSON_Delete(sj);
    free(txt);
fail:
    workspace_free(&ws);
    dataset_free(&tr);
    dataset_free(&va);
    dataset_free(&te);
    model_free(&m);
    return rc ? cli_fail("eval", rc) : EXIT_OK;
}
