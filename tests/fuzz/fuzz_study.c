/* libFuzzer target for study.ini (tools/study_ini.c): sections, runs, seeds
 * and probe options either parse, with every run's config loaded, or fail
 * with a message naming the line. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../tools/study.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The run configs the seeds name, beside the fuzzed study.ini. */
static void setup(void)
{
    static int done;
    if (done) return;
    static const char RUN[] = "[data]\nname = spirals\n[train]\nepochs = 1\n";
    static const char *const RUNS[] = {"sb.ini",      "lb.ini",       "sam.ini",
                                       "sgd.ini",     "adam.ini",     "momentum.ini",
                                       "rmsprop.ini", "eta-0.02.ini", "eta-0.04.ini",
                                       "eta-0.08.ini", "momentum-small.ini"};
    for (size_t i = 0; i < sizeof RUNS / sizeof *RUNS; i++) fuzz_put(RUNS[i], RUN, sizeof RUN - 1);
    done = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    setup();
    char path[256];
    fuzz_put("study.ini", data, size);
    study *s = malloc(sizeof *s);
    if (!s) abort();
    if (study_load(s, fuzz_path(path, sizeof path, "study.ini")) == NN_OK) {
        if (s->nruns < 1 || s->nruns > STUDY_MAX_RUNS || s->nseeds > STUDY_MAX_SEEDS ||
            s->probes.neps > STUDY_MAX_EPS)
            abort();
        for (int i = 0; i < s->nruns; i++)
            if (!memchr(s->runs[i].config, 0, sizeof s->runs[i].config)) abort();
    }
    free(s);
    return 0;
}
