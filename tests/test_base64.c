/* Base64 against the test vectors of RFC 4648 section 10, a round trip of
 * every byte value at every length remainder, and malformed input refused
 * with the byte named. */
#include <stdlib.h>
#include <string.h>

#include "../datasets/base64.h"
#include "test.h"

static const char *const RFC[7][2] = {
    {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
};

TEST(base64_rfc4648_vectors)
{
    for (int i = 0; i < 7; i++) {
        char out[16];
        size_t n = strlen(RFC[i][0]);
        CHECK(base64_encoded_len(n) == strlen(RFC[i][1]));
        base64_encode((const uint8_t *)RFC[i][0], n, out);
        CHECK_MSG(!strcmp(out, RFC[i][1]), "\"%s\" -> \"%s\", want \"%s\"", RFC[i][0], out, RFC[i][1]);
        uint8_t back[16];
        size_t len;
        CHECK_OK(base64_decode(RFC[i][1], strlen(RFC[i][1]), back, &len));
        CHECK_MSG(len == n && !memcmp(back, RFC[i][0], n), "\"%s\" decodes wrong", RFC[i][1]);
    }
}

TEST(base64_round_trip_all_bytes)
{
    uint8_t in[258], back[258];
    char enc[400];
    for (int i = 0; i < 258; i++) in[i] = (uint8_t)(255 - i * 7);
    for (size_t n = 255; n <= 258; n++) {
        base64_encode(in, n, enc);
        CHECK(strlen(enc) == base64_encoded_len(n));
        CHECK(strspn(enc, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") == strlen(enc));
        size_t len;
        CHECK_OK(base64_decode(enc, strlen(enc), back, &len));
        CHECK(len == n && !memcmp(back, in, n));
    }
    /* Both non-alphanumeric characters of the alphabet appear. */
    uint8_t hi[3] = {0xfb, 0xff, 0xbf};
    base64_encode(hi, 3, enc);
    CHECK_MSG(!strcmp(enc, "+/+/"), "%s", enc);
}

TEST(base64_decode_refuses_malformed)
{
    uint8_t out[16];
    size_t len;
    CHECK_ERR(base64_decode("Zm9", 3, out, &len), NN_EFORMAT, "multiple of 4");
    CHECK_ERR(base64_decode("Zm9v Zg==", 9, out, &len), NN_EFORMAT, "multiple of 4");
    CHECK_ERR(base64_decode("Zm-v", 4, out, &len), NN_EFORMAT, "byte 2");
    CHECK_ERR(base64_decode("Z===", 4, out, &len), NN_EFORMAT, "byte 1");
    CHECK_ERR(base64_decode("Zg==Zm9v", 8, out, &len), NN_EFORMAT, "byte 2");
}
