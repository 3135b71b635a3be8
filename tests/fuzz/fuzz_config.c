/* libFuzzer target for the config reader: any bytes either parse or fail with
 * a message; whatever parses must format to text that parses back to the same
 * config (checked through a second format, which must match the first). */
#include "../../nn/nn.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    config c, back;
    config_defaults(&c);
    int rc = config_parse(&c, (const char *)data, size, "fuzz.ini");
    if (rc != NN_OK) {
        /* Every rejection names the input and line. */
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
    char *again = config_format(&back);
    if (!again || strcmp(text, again) != 0) {
        fprintf(stderr, "round trip differs:\n%s\n---\n%s", text, again ? again : "(null)");
        abort();
    }
    /* The fields the text cannot show must match too. */
    if (back.model.nlayers != c.model.nlayers || back.model.leaky_slope != c.model.leaky_slope ||
        back.optim.lr != c.optim.lr || back.train.seed != c.train.seed ||
        strcmp(back.data.dir, c.data.dir) != 0)
        abort();
    free(again);
    free(text);
    return 0;
}
