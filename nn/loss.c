/* Losses on the logits of a batch: softmax cross-entropy and MSE against
 * one-hot targets. Each returns the summed loss and writes the scaled
 * derivative, so callers choose mean-over-N by the scale. */
#include "nn.h"

#include <assert.h>
#include <math.h>
#include <string.h>

static const char *const LOSS_NAMES[LOSS_COUNT] = {"xent", "mse"};

const char *loss_name(int loss)
{
    return loss >= 0 && loss < LOSS_COUNT ? LOSS_NAMES[loss] : "?";
}

int loss_from_name(const char *s)
{
    for (int i = 0; i < LOSS_COUNT; i++)
        if (strcmp(s, LOSS_NAMES[i]) == 0) return i;
    if (strcmp(s, "cross_entropy") == 0) return LOSS_XENT;
    return -1;
}

/* Argmax with the lowest index winning ties, as torch.argmax does. */
static int argmax(const float *f, int K)
{
    int best = 0;
    for (int k = 1; k < K; k++)
        if (f[k] > f[best]) best = k;
    return best;
}

double loss_forward_backward(int loss, int B, int K, const float *f, const int32_t *y,
                             float scale, float *df, size_t *correct)
{
    double total = 0.0;
    size_t ok = 0;
    for (int b = 0; b < B; b++) {
        const float *fb = f + (size_t)b * K;
        float *db = df ? df + (size_t)b * K : NULL;
        int t = y[b];
        /* model_data_check refuses such data where it meets the model; this
         * is the last line if a caller forgot (compiled out under NDEBUG). */
        assert(t >= 0 && t < K);
        if (argmax(fb, K) == t) ok++;
        if (loss == LOSS_XENT) {
            float mx = fb[0];
            for (int k = 1; k < K; k++) mx = fb[k] > mx ? fb[k] : mx;
            double s = 0.0;
            for (int k = 0; k < K; k++) s += exp((double)(fb[k] - mx));
            double lse = mx + log(s);
            total += lse - fb[t];
            if (db) {
                for (int k = 0; k < K; k++)
                    db[k] = (float)(scale * exp((double)fb[k] - lse));
                db[t] -= scale;
            }
        } else {
            double s = 0.0;
            for (int k = 0; k < K; k++) {
                double r = fb[k] - (k == t ? 1.0 : 0.0);
                s += r * r;
                if (db) db[k] = (float)(scale * r);
            }
            total += 0.5 * s;
        }
    }
    if (correct) *correct += ok;
    return total;
}
