/* Base64 (RFC 4648, standard alphabet, '=' padding): how the study report
 * carries its pictures inside report.html as data: URIs, and how the tests
 * read them back. */
#ifndef SADDLE_BASE64_H
#define SADDLE_BASE64_H

#include <stddef.h>
#include <stdint.h>

/* Characters base64 makes of n bytes (4 per started group of 3), without a
 * NUL; SIZE_MAX when that does not fit in a size_t. */
size_t base64_encoded_len(size_t n);
/* in [n] -> out [base64_encoded_len(n) + 1], NUL-terminated. */
void base64_encode(const uint8_t *in, size_t n, char *out);
/* in [n] (padded, no whitespace) -> out [3 * n / 4], *outlen bytes. A bad
 * character, bad padding or a length that is not a multiple of 4 is
 * NN_EFORMAT naming the byte offset. */
int base64_decode(const char *in, size_t n, uint8_t *out, size_t *outlen);

#endif
