/* libFuzzer target for the IDX reader: every input is parsed as an IDX image
 * and, when it starts with the gzip magic, inflated (under a small cap) and
 * the result parsed too. A parse that succeeds must describe its own bytes. */
#include "../../datasets/dataset.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Well above anything a fuzz input can inflate to (about 1032:1), well
 * below libFuzzer's memory limit. */
#define FUZZ_GZIP_CAP ((size_t)64 << 20)

static void fuzz_check(const uint8_t *buf, size_t len)
{
    idx_array a;
    if (idx_parse(buf, len, "fuzz", &a) != NN_OK) {
        if (a.data || a.count) abort();   /* failures leave the output zeroed */
        return;
    }
    size_t count = 1, es = a.type == IDX_F64 ? 8 : a.type == IDX_I32 || a.type == IDX_F32 ? 4
                             : a.type == IDX_I16 ? 2 : 1;
    for (int i = 0; i < a.ndim; i++) count *= a.dims[i];
    if (a.ndim < 1 || a.ndim > IDX_MAX_DIMS || count != a.count ||
        len != 4 + 4 * (size_t)a.ndim + count * es || !a.data)
        abort();
    /* Touch every element so ASan sees any short allocation. */
    volatile uint8_t sink = 0;
    for (size_t i = 0; i < count * es; i++) sink ^= ((const uint8_t *)a.data)[i];
    (void)sink;
    idx_free(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_check(data, size);
    if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b) {
        uint8_t *plain = NULL;
        size_t plen = 0;
        if (idx_gunzip(data, size, "fuzz.gz", FUZZ_GZIP_CAP, &plain, &plen) == NN_OK) {
            if (plen > FUZZ_GZIP_CAP) abort();
            fuzz_check(plain, plen);
            free(plain);
        } else if (plain || plen) {
            abort();
        }
    }
    return 0;
}
