/* libFuzzer target for the safetensors reader: any byte string must either
 * parse into tensors that lie inside the owned blob or be rejected cleanly. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../nn/nn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    st_file f;
    if (st_parse(data, size, "fuzz", &f) != NN_OK) {
        if (f.tensors || f.blob || f.ntensors || f.nmeta) abort(); /* not cleared */
        return 0;
    }
    /* Touch every element and metadata string so ASan sees any bad pointer. */
    volatile float sink = 0;
    for (int i = 0; i < f.ntensors; i++) {
        const st_tensor *t = &f.tensors[i];
        size_t cnt = 1;
        for (int d = 0; d < t->ndim; d++) cnt *= (size_t)t->shape[d];
        for (size_t k = 0; k < cnt; k++) sink += t->data[k];
        if (st_find(&f, t->name) == NULL) abort();
    }
    for (int i = 0; i < f.nmeta; i++)
        if (st_meta(&f, f.meta_keys[i]) == NULL || strlen(f.meta_vals[i]) > size) abort();
    (void)sink;
    st_free(&f);
    return 0;
}
