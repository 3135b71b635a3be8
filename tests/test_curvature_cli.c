/* `saddle hessian` and `saddle sharpness` say which examples their numbers
 * are on, report the SLQ index per threshold with its spread (printed and
 * in hessian.json), and show the phases of a long run in a log. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "../datasets/fileio.h"
#include "test.h"

static const char *curv_run(void)
{
    return test_run("curv-run", "--set train.epochs=3");
}

TEST(hessian_index_per_threshold_and_its_examples)
{
    const char *dir = curv_run(), *out;
    char args[2048];
    snprintf(args, sizeof args, "hessian %s --top 2 --density --runs 4 --slq-steps 20 --limit 300 "
             "--threads 1", dir);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    CHECK_MSG(strstr(out, "every number below is on 300 of the 1500 train examples (seeded subset, "
                          "seed 1)"), "%s", out);
    CHECK_MSG(strstr(out, "t = 1e-06") && strstr(out, "t = 0.0001") && strstr(out, "t = 0.001") &&
                  strstr(out, "below -t lambda_max") && !strstr(out, "negative fraction"),
              "%s", out);
    /* Off a terminal, each phase is announced as it starts. */
    CHECK_MSG(strstr(out, "Lanczos: at most") && strstr(out, "SLQ density: at most 80 HVPs"), "%s",
              out);
    snprintf(args, sizeof args, "%s/probes/hessian.json", dir);
    uint8_t *js;
    size_t jl;
    CHECK_OK(file_read_all(args, 1 << 20, &js, &jl));
    cJSON *j = cJSON_ParseWithLength((const char *)js, jl);
    free(js);
    CHECK(j != NULL);
    const cJSON *ix = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(j, "density"), "index");
    const cJSON *th = cJSON_GetObjectItemCaseSensitive(ix, "thresholds");
    CHECK_MSG(cJSON_GetArraySize(th) == 3, "%d thresholds", cJSON_GetArraySize(th));
    const double ts[3] = {1e-6, 1e-4, 1e-3};
    double prev = 2;
    int unresolved = 0;
    for (int t = 0; t < cJSON_GetArraySize(th) && t < 3; t++) {
        const cJSON *e = cJSON_GetArrayItem(th, t);
        double v = cJSON_GetObjectItemCaseSensitive(e, "index")->valuedouble;
        CHECK(cJSON_GetObjectItemCaseSensitive(e, "t")->valuedouble == ts[t]);
        CHECK(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(e, "sd")) &&
              cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(e, "unresolved")) &&
              cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(e, "resolved")));
        /* An index the SLQ cannot resolve is printed as such, not as a number. */
        if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "resolved"))) {
            char want[64];
            snprintf(want, sizeof want, "t = %-6g not resolved", ts[t]);
            CHECK_MSG(strstr(out, want) != NULL, "'%s' not printed: %s", want, out);
            unresolved++;
            continue;
        }
        /* A coarser threshold counts fewer eigenvalues, never more. */
        CHECK_MSG(v >= 0 && v <= prev, "t %g: index %g after %g", ts[t], v, prev);
        prev = v;
    }
    /* This small relu-free net at 3 epochs has most of its spectrum within
     * 1e-3 lambda_max of zero: t = 1e-6 is the case the rule exists for. */
    CHECK_MSG(unresolved >= 1, "no unresolved threshold: the check above was not exercised");
    const cJSON *lm = cJSON_GetObjectItemCaseSensitive(ix, "lambda_max");
    const cJSON *top = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "lanczos"),
                                                        "top");
    CHECK(cJSON_IsNumber(lm) && lm->valuedouble == cJSON_GetArrayItem(top, 0)->valuedouble);
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(j, "data");
    CHECK(cJSON_GetObjectItemCaseSensitive(data, "examples")->valuedouble == 300);
    cJSON_Delete(j);
}

TEST(sharpness_says_which_examples)
{
    const char *dir = curv_run(), *out;
    char args[2048];
    snprintf(args, sizeof args, "sharpness %s --limit 250 --p 5 --samples 2 --iters 2 --threads 1", dir);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    CHECK_MSG(strstr(out, "every number below is on 250 of the 1500 train examples (seeded subset, "
                          "seed 1)"), "%s", out);
    snprintf(args, sizeof args, "sharpness %s --limit 0 --data test --p 5 --samples 2 --iters 2 "
             "--threads 1", dir);
    CHECK_MSG(test_saddle(args, &out) == 0 && strstr(out, "every number below is on all "), "%s", out);
}
