/* libFuzzer target for the .npy reader: directions' and surfaces' arrays,
 * including the partial files a resumed surface reads back. Any bytes must
 * parse into an array whose shape accounts for every element, or be refused. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../datasets/status.h"
#include "../../probes/npy.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t count_of(int nd, const size_t *shape)
{
    if (nd < 1 || nd > NPY_MAX_DIMS) abort();
    size_t n = 1;
    for (int i = 0; i < nd; i++) n *= shape[i];
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    double *d = NULL;
    int nd = 0, type = 0;
    size_t shape[NPY_MAX_DIMS];
    volatile double sink = 0;
    if (npy_parse_f64(data, size, "fuzz", &d, &nd, shape, &type) == NN_OK) {
        if (type != NPY_F64 && type != NPY_F32 && type != NPY_U8) abort();
        size_t n = count_of(nd, shape);
        for (size_t i = 0; i < n; i++) sink += d[i];
        free(d);
    } else if (d) {
        abort(); /* a refusal hands nothing out */
    }
    /* The file readers, as a resumed surface calls them. */
    char path[256];
    fuzz_put("a.npy", data, size);
    fuzz_path(path, sizeof path, "a.npy");
    d = NULL;
    if (npy_read_f64(path, &d, &nd, shape) == NN_OK) {
        size_t n = count_of(nd, shape);
        for (size_t i = 0; i < n; i++) sink += d[i];
        free(d);
    }
    uint8_t *u = NULL;
    if (npy_read_u8(path, &u, &nd, shape) == NN_OK) {
        size_t n = count_of(nd, shape);
        for (size_t i = 0; i < n; i++) sink += u[i];
        free(u);
    } else if (u) {
        abort();
    }
    (void)sink;
    return 0;
}
