/* libFuzzer target for a probe's JSON sidecar, a file saddle reads back that
 * it wrote itself and a user may hand it edited: `saddle render` redraws
 * every kind of result from it (surfaces, slices, critical points, spectra,
 * sharpness, barrier matrices, training curves). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../probes/npy.h"
#include "../../tools/probe.h"
#include "../../tools/render_kinds.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The arrays a sidecar may name: a 3x3 surface "s", a 5-point slice "l", a
 * spectral density "d" ([2][5]: eigenvalues, density) and a 2-seed barrier
 * matrix. */
static void setup(void)
{
    static int done;
    if (done) return;
    char path[256];
    double z[9] = {1, 2, 3, 4, 0.5, 6, 7, 8, 9};
    double dens[10] = {-1, 0, 1, 2, 3, 1e-3, 0.5, 0.2, 1e-9, 0.01}, bar[4] = {0, 0.25, 0.25, 0};
    size_t s2[2] = {3, 3}, s1[1] = {5}, sd[2] = {2, 5}, sb[2] = {2, 2};
    if (npy_write_f64(fuzz_path(path, sizeof path, "s.npy"), z, 2, s2) ||
        npy_write_f64(fuzz_path(path, sizeof path, "l.npy"), z, 1, s1) ||
        npy_write_f64(fuzz_path(path, sizeof path, "l_acc.npy"), z, 1, s1) ||
        npy_write_f64(fuzz_path(path, sizeof path, "d.npy"), dens, 2, sd) ||
        npy_write_f64(fuzz_path(path, sizeof path, "barriers.npy"), bar, 2, sb))
        abort();
    done = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    setup();
    char png[256];
    fuzz_path(png, sizeof png, "out.png");
    cJSON *j = cJSON_ParseWithLength((const char *)data, size);
    if (j) {
        probe_args a;
        probe_args_defaults(&a);
        const render_kind *k;
        /* A toy result is run again, for as long as its options say: time,
         * not a reader's bug. */
        if (!render_kind_of(j, "fuzz.json", &k) && strcmp(k->command, "toy"))
            (void)k->draw(j, fuzz_dir(), &a, png);
        cJSON_Delete(j);
    }
    return 0;
}
