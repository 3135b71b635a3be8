/* `saddle restarts` end to end on the spirals config: the barrier matrix and
 * its picture, restarts with the same seeds reproducing bit for bit, kept
 * runs, and bad arguments that fail clearly and create nothing. Uses the
 * binary the Makefile names in SADDLE_BIN. */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../datasets/fileio.h"
#include "../probes/npy.h"
#include "../probes/render.h"
#include "test.h"

/* Few epochs, no snapshots, one thread: bit-for-bit reproducibility holds
 * for a fixed thread count only. */
static int restarts(const char *out, const char **text)
{
    char args[2048];
    snprintf(args, sizeof args,
             "restarts configs/spirals.ini --seeds 3 --set train.epochs=3 "
             "--set train.snapshot_every=0 --grid 9 --limit 300 --threads 1 --out %s",
             out);
    return test_saddle(args, text);
}

TEST(restarts_end_to_end_and_reproducible)
{
    char a[512], b[512], p[1024], q[1024];
    snprintf(a, sizeof a, "%s", test_path("restarts-a"));
    snprintf(b, sizeof b, "%s", test_path("restarts-b"));
    const char *out;
    CHECK_MSG(restarts(a, &out) == 0, "%s", out);
    CHECK_MSG(strstr(out, "test_acc") && strstr(out, "barriers"), "%s", out);

    snprintf(p, sizeof p, "%s/barriers.npy", a);
    double *z = NULL;
    int nd = 0;
    size_t sh[NPY_MAX_DIMS];
    CHECK_OK(npy_read_f64(p, &z, &nd, sh));
    if (!z) return;
    CHECK(nd == 2 && sh[0] == 3 && sh[1] == 3);
    int ok = 1, positive = 0;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double v = z[i * 3 + j];
            ok &= isfinite(v) && v >= 0 && v == z[j * 3 + i];
            if (i == j) ok &= v == 0;
            positive += i != j && v > 0;
        }
    CHECK_MSG(ok, "barriers: %g %g %g / %g %g %g / %g %g %g", z[0], z[1], z[2], z[3], z[4], z[5],
              z[6], z[7], z[8]);
    /* Not vacuous: independently initialized nets are not all linearly
     * connected at the same loss. */
    CHECK_MSG(positive > 0, "every barrier is 0");
    free(z);

    render_image im;
    snprintf(p, sizeof p, "%s/barriers.png", a);
    CHECK_OK(render_png_read(p, &im));
    CHECK(im.w >= 300 && im.h >= 300);
    render_image_free(&im);
    snprintf(p, sizeof p, "%s/restarts.json", a);
    size_t len;
    uint8_t *js = test_read_file(p, &len);
    CHECK(js && strstr((char *)js, "\"barriers\"") && strstr((char *)js, "\"wall_seconds\"") &&
          strstr((char *)js, "\"test_acc\"") && strstr((char *)js, "\"grid\""));
    free(js);

    /* Same seeds, fresh directory: identical runs and matrix. */
    CHECK_MSG(restarts(b, &out) == 0, "%s", out);
    for (int k = 1; k <= 3; k++) {
        snprintf(p, sizeof p, "%s/seed-%d/final.safetensors", a, k);
        snprintf(q, sizeof q, "%s/seed-%d/final.safetensors", b, k);
        CHECK_MSG(test_same_file(p, q), "seed %d differs between two restarts", k);
    }
    snprintf(p, sizeof p, "%s/seed-1/final.safetensors", a);
    snprintf(q, sizeof q, "%s/seed-2/final.safetensors", a);
    CHECK_MSG(!test_same_file(p, q), "seeds 1 and 2 trained the same weights");
    snprintf(p, sizeof p, "%s/barriers.npy", a);
    snprintf(q, sizeof q, "%s/barriers.npy", b);
    CHECK(test_same_file(p, q));

    /* Run again into the same directory: every seed is kept, not retrained. */
    CHECK_MSG(restarts(b, &out) == 0, "%s", out);
    const char *k = out;
    int kept = 0;
    while ((k = strstr(k, "kept"))) kept++, k++;
    CHECK_MSG(kept == 3, "%d runs kept: %s", kept, out);
}

TEST(restarts_bad_arguments_create_nothing)
{
    char never[512], args[2048];
    snprintf(never, sizeof never, "%s", test_path("restarts-never"));
    struct { const char *args; int rc; const char *msg; } bad[] = {
        {"restarts configs/spirals.ini --seeds 0 --out %s", 2, "--seeds"},
        {"restarts configs/spirals.ini --seeds many --out %s", 2, "--seeds"},
        {"restarts configs/spirals.ini --out %s", 2, "--seeds"},
        {"restarts --seeds 2 --out %s", 2, "CONFIG"},
        {"restarts /no/such/config.ini --seeds 2 --out %s", 1, "/no/such/config.ini"},
        {"restarts configs/spirals.ini --seeds 2 --grid 1 --out %s", 2, "--grid"},
        {"restarts configs/spirals.ini --seeds 2 --set train.epochs=-3 --out %s", 1, "train.epochs"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *out;
        snprintf(args, sizeof args, bad[i].args, never);
        int rc = test_saddle(args, &out);
        CHECK_MSG(rc == bad[i].rc && strstr(out, bad[i].msg), "'%s' -> %d: %s", args, rc, out);
        CHECK_MSG(access(never, F_OK) != 0, "'%s' created %s", args, never);
    }
    const char *out;
    CHECK(test_saddle("restarts --help", &out) == 0 && strstr(out, "--seeds") && strstr(out, "barriers.npy"));
}
