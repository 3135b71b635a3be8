/* libFuzzer target for the config reader: any bytes either parse or fail with
 * a message naming the line; whatever parses must format to text that parses
 * back to the same config, field by field. */
#include "../../nn/nn.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SAME(f) (a->f == b->f)

/* Field by field: memcmp would also compare padding. */
static int config_same(const config *a, const config *b)
{
    if (strcmp(a->data.name, b->data.name) || strcmp(a->data.dir, b->data.dir) ||
        strcmp(a->optim.type, b->optim.type))
        return 0;
    int same = SAME(data.limit) && SAME(data.subset) && SAME(data.test_limit) &&
               SAME(data.val_split) && SAME(data.normalize) && SAME(data.resize) && SAME(data.synth_n) &&
               SAME(data.synth_test_n) && SAME(data.synth_classes) && SAME(data.synth_dim) &&
               SAME(data.synth_noise) && SAME(data.seed) && SAME(model.in) &&
               SAME(model.nlayers) && SAME(model.init) && SAME(model.leaky_slope) &&
               SAME(model.loss) && SAME(optim.lr) && SAME(optim.momentum) &&
               SAME(optim.beta1) && SAME(optim.beta2) && SAME(optim.alpha) &&
               SAME(optim.eps) && SAME(optim.weight_decay) && SAME(optim.clip_norm) &&
               SAME(sched.type) && SAME(sched.warmup_epochs) && SAME(sched.step_epochs) &&
               SAME(sched.gamma) && SAME(sched.min_lr) && SAME(train.epochs) &&
               SAME(train.batch) && SAME(train.seed) && SAME(train.eval_every) &&
               SAME(train.snapshot_every) && SAME(train.snapshot_unit) &&
               SAME(train.ckpt_every) && SAME(train.threads) && SAME(train.eval_limit);
    for (int i = 0; same && i < a->model.nlayers; i++)
        same = SAME(model.layers[i].out) && SAME(model.layers[i].act) &&
               SAME(model.layers[i].init);
    return same;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    config c, back;
    config_defaults(&c);
    int rc = config_parse(&c, (const char *)data, size, "fuzz.ini");
    if (rc != NN_OK) {
        if (rc != NN_ECONFIG || strncmp(nn_errmsg(), "fuzz.ini:", 9) != 0) {
            fprintf(stderr, "rc %d, message '%s'\n", rc, nn_errmsg());
            abort();
        }
        return 0;
    }
    char *text = config_format(&c);
    if (!text) abort();
    config_defaults(&back);
    if (config_parse(&back, text, strlen(text), "formatted") != NN_OK) {
        fprintf(stderr, "formatted config does not parse: %s\n%s", nn_errmsg(), text);
        abort();
    }
    if (!config_same(&c, &back)) {
        fprintf(stderr, "round trip changed the config:\n%s", text);
        abort();
    }
    free(text);
    return 0;
}
