/* An update that overflows the weights while the loss and gradient behind
 * it were finite: training stops naming the step, and the checkpoint it
 * leaves is the last finite one, which --resume can load. */
#include <stdlib.h>
#include <string.h>

#include "../nn/nn.h"
#include "test.h"

TEST(weights_that_overflow_are_never_checkpointed)
{
    char dir[512], args[2048], last[600];
    snprintf(dir, sizeof dir, "%s", test_path("overflow-run"));
    snprintf(args, sizeof args,
             "train configs/spirals.ini --out %s --set optimizer.type=sgd --set optimizer.lr=30 "
             "--set train.epochs=3 --set train.ckpt_every=1 --set train.threads=1 "
             "--set 'model.layers=16 relu, 16 relu, 3' --set loss.type=mse",
             dir);
    const char *text;
    int rc = test_saddle(args, &text);
    CHECK_MSG(rc != 0 && strstr(text, "not finite after the update") && strstr(text, "is intact"),
              "%s", text);
    snprintf(last, sizeof last, "%s/last.safetensors", dir);
    model m;
    ckpt_info info = {0};
    int lr = ckpt_load(last, &m, -1, 0, &info, NULL, NULL, 0);
    CHECK_MSG(lr == NN_OK, "%s: %s", last, nn_errmsg());
    if (lr == NN_OK) model_free(&m);
    ckpt_info_free(&info);
    snprintf(args, sizeof args, "train --resume %s", dir);
    rc = test_saddle(args, &text);
    CHECK_MSG(rc != 0 && strstr(text, "not finite after the update") && !strstr(text, "entry"),
              "%s", text);
}
