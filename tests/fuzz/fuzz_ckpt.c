/* libFuzzer target for checkpoint loading through to the model: the file
 * (saddle metadata, a PyTorch-style Sequential or named modules, in any
 * dtype the reader converts) becomes a model whose θ is all finite, the
 * stored config parses or is refused, and the same file read as directions
 * (--dirs) either yields θ-sized vectors or is refused. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../nn/nn.h"
#include "../../probes/directions.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_model(const model *m)
{
    if (m->nlayers < 1 || m->nlayers > NN_MAX_LAYERS || !m->theta || m->n > NN_MAX_PARAMS)
        abort();
    size_t n = 0;
    int in = m->spec.in;
    for (int l = 0; l < m->nlayers; l++) {
        const layer *L = &m->layers[l];
        if (L->in != in || L->out < 1 || L->w_off != n) abort();
        n += (size_t)L->out * (size_t)L->in;
        if (L->b_off != n) abort();
        n += (size_t)L->out;
        in = L->out;
    }
    if (n != m->n) abort();
    for (size_t i = 0; i < m->n; i++)
        if (!isfinite(m->theta[i])) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[256];
    fuzz_put("c.safetensors", data, size);
    fuzz_path(path, sizeof path, "c.safetensors");
    size_t n_dirs = 64;
    for (int act = -1; act <= ACT_RELU; act += 1 + ACT_RELU) {
        model m;
        ckpt_info info;
        char *note = NULL;
        if (ckpt_load_map(path, &m, act, -1, NULL, &info, &note, NULL, NULL, 0) != NN_OK) {
            if (m.theta || info.config_text || note) abort();
            continue;
        }
        free(note);
        check_model(&m);
        n_dirs = m.n;
        if (info.config_text) {
            config c;
            config_defaults(&c);
            (void)config_parse(&c, info.config_text, strlen(info.config_text), path);
        }
        /* One example per class the model has, as a probe would pair them. */
        int K = m.layers[m.nlayers - 1].out;
        size_t dim = (size_t)m.spec.in;
        if (dim <= 4096 && K <= 4096) {
            dataset d = {.n = (size_t)K, .dim = dim, .classes = K};
            d.x = calloc((size_t)K * dim, sizeof *d.x);
            d.y = calloc((size_t)K, sizeof *d.y);
            if (d.x && d.y) {
                for (int k = 0; k < K; k++) d.y[k] = k;
                if (model_data_check(&m, &d, NULL, d.n, "fuzz") != NN_OK) abort();
                d.y[0] = K; /* one past the logits */
                if (model_data_check(&m, &d, NULL, d.n, "fuzz") == NN_OK) abort();
            }
            free(d.x);
            free(d.y);
        }
        ckpt_info_free(&info);
        model_free(&m);
    }
    /* Named modules in a given order (fc1, fc2) rather than by shape. */
    model mm;
    if (ckpt_load_map(path, &mm, ACT_RELU, -1, "fc1,fc2", NULL, NULL, NULL, NULL, 0) == NN_OK) {
        check_model(&mm);
        model_free(&mm);
    } else if (mm.theta) {
        abort();
    }
    float *dirs[2] = {NULL, NULL};
    int nd = 2;
    if (dir_load(path, dirs, &nd, n_dirs) == NN_OK) {
        if (nd < 1 || nd > 2) abort();
        for (int k = 0; k < nd; k++)
            for (size_t i = 0; i < n_dirs; i++)
                if (!isfinite(dirs[k][i])) abort();
    }
    free(dirs[0]);
    free(dirs[1]);
    return 0;
}
