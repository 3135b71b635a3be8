/* Base64 encoding and decoding (RFC 4648 section 4). */
#include "base64.h"

#include <stdint.h>

#include "status.h"

static const char ALPHABET[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t base64_encoded_len(size_t n)
{
    size_t groups = n / 3 + (n % 3 != 0);
    return groups > SIZE_MAX / 4 ? SIZE_MAX : groups * 4;
}

void base64_encode(const uint8_t *in, size_t n, char *out)
{
    size_t i = 0, k = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t w = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[k++] = ALPHABET[w >> 18];
        out[k++] = ALPHABET[(w >> 12) & 63];
        out[k++] = ALPHABET[(w >> 6) & 63];
        out[k++] = ALPHABET[w & 63];
    }
    if (n - i == 1) {
        uint32_t w = (uint32_t)in[i] << 16;
        out[k++] = ALPHABET[w >> 18];
        out[k++] = ALPHABET[(w >> 12) & 63];
        out[k++] = '=';
        out[k++] = '=';
    } else if (n - i == 2) {
        uint32_t w = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[k++] = ALPHABET[w >> 18];
        out[k++] = ALPHABET[(w >> 12) & 63];
        out[k++] = ALPHABET[(w >> 6) & 63];
        out[k++] = '=';
    }
    out[k] = 0;
}

static int sextet(char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

int base64_decode(const char *in, size_t n, uint8_t *out, size_t *outlen)
{
    *outlen = 0;
    if (n % 4) return nn_err(NN_EFORMAT, "base64: length %zu is not a multiple of 4", n);
    size_t k = 0;
    for (size_t i = 0; i < n; i += 4) {
        int last = i + 4 == n;
        /* '=' only at the end of the last group: "x===" is never valid. */
        int pad = last && in[i + 3] == '=' ? (in[i + 2] == '=' ? 2 : 1) : 0;
        uint32_t w = 0;
        for (int j = 0; j < 4; j++) {
            int v = j >= 4 - pad ? 0 : sextet(in[i + (size_t)j]);
            if (v < 0)
                return nn_err(NN_EFORMAT, "base64: byte %zu: '%c' is not a base64 character",
                              i + (size_t)j, in[i + (size_t)j] >= 32 && in[i + (size_t)j] < 127
                                                 ? in[i + (size_t)j] : '?');
            w = w << 6 | (uint32_t)v;
        }
        out[k++] = (uint8_t)(w >> 16);
        if (pad < 2) out[k++] = (uint8_t)(w >> 8);
        if (pad < 1) out[k++] = (uint8_t)w;
    }
    *outlen = k;
    return NN_OK;
}
