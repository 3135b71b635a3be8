/* SAM and ASAM never switch themselves off: the radius and η are bounded in
 * the config, and an ascent point that overflows the float weights stops
 * training with an error naming the step instead of quietly taking the plain
 * update (which used to print "two evaluations per step" all the same). */
#include <stdlib.h>
#include <string.h>

#include "../nn/nn.h"
#include "../nn/optim.h"
#include "../nn/pool.h"
#include "test.h"

TEST(sam_keys_are_bounded)
{
    config c;
    config_defaults(&c);
    CHECK_ERR(config_set(&c, "optimizer.sam_rho=1e300"), NN_ECONFIG, "[0, 10]");
    CHECK_ERR(config_set(&c, "optimizer.sam_rho=11"), NN_ECONFIG, "sam_rho");
    CHECK_ERR(config_set(&c, "optimizer.sam_eta=1e40"), NN_ECONFIG, "[0, 10]");
    const char *ini = "[optimizer]\nsam = sam\nsam_rho = 1e300\n";
    CHECK_ERR(config_parse(&c, ini, strlen(ini), "cfg.ini"), NN_ECONFIG, "cfg.ini:3");
    CHECK_OK(config_set(&c, "optimizer.sam_rho=10"));
    CHECK_OK(config_set(&c, "optimizer.sam_eta=0"));
    const char *out;
    CHECK_MSG(test_saddle("train configs/spirals.ini --set optimizer.sam=sam "
                          "--set optimizer.sam_rho=1e300 --out /nonexistent/never", &out) == 1 &&
                  strstr(out, "sam_rho") && strstr(out, "[0, 10]"),
              "%s", out);
}

TEST(sam_point_that_overflows_is_not_finite)
{
    CHECK_OK(pool_set_threads(2));
    enum { N = 41 };
    float theta[N], g[N], out[N];
    for (int i = 0; i < N; i++) theta[i] = 0.1f * (float)(i % 7), g[i] = (float)(i % 3) - 1.0f;
    optim_opts o;
    memset(&o, 0, sizeof o);
    o.sam = SAM_SAM;
    o.sam_eta = 0.01;
    /* ‖ε̂‖ = 1e40 is finite in double, but θ + ε̂ is not in float. */
    o.sam_rho = 1e40;
    CHECK(optim_sam_point(&o, N, theta, g, out) == INFINITY);
    o.sam_rho = 1e300;
    CHECK(optim_sam_point(&o, N, theta, g, out) == INFINITY);
    o.sam = SAM_ASAM;
    CHECK(optim_sam_point(&o, N, theta, g, out) == INFINITY);
    o.sam_rho = 10; /* the largest radius the config takes is fine */
    double e = optim_sam_point(&o, N, theta, g, out);
    CHECK(isfinite(e) && e > 0);
    CHECK_OK(pool_set_threads(1));
}

TEST(sam_overflowing_ascent_stops_training_naming_the_step)
{
    for (int asam = 0; asam < 2; asam++) {
        config c;
        config_defaults(&c);
        const char *sets[] = {"data.name=spirals", "data.synth_n=200", "data.synth_test_n=100",
                              "data.synth_classes=3", "data.normalize=none",
                              "model.layers=12 tanh, 3", "train.batch=64", "train.epochs=2",
                              "train.threads=1", "train.snapshot_every=0",
                              asam ? "optimizer.sam=asam" : "optimizer.sam=sam"};
        for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) CHECK_OK(config_set(&c, sets[i]));
        if (c.data.seed == 0) c.data.seed = c.train.seed;
        /* Past the config's bound, as a caller of the library could set it. */
        c.optim.sam_rho = 1e300;
        train_result r;
        char dir[512];
        snprintf(dir, sizeof dir, "%s", test_path(asam ? "asam-inf" : "sam-inf"));
        CHECK_ERR(train_run(&c, dir, 0, NULL, &r), NN_ENAN, "step 1 (epoch 1)");
        CHECK_MSG(strstr(nn_errmsg(), "SAM ascent point"), "%s", nn_errmsg());
    }
}
