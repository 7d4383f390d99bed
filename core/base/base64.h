/* base64.h -- standard base64 (RFC 4648, the + / alphabet, '=' padding),
 * for media payloads (images and videos become data: URLs) and the
 * monitor's probe image. Encoding only; a 20 MB file encodes in tens of
 * milliseconds, into one allocation of the exact size. */
#ifndef QVR_BASE64_H
#define QVR_BASE64_H

#include <stddef.h>

/* Length of the encoding of n bytes, without a NUL; 0 when it would not
 * fit in a size_t (n beyond SIZE_MAX / 4 * 3). */
size_t qvr_base64_len(size_t n);

/* Encodes n bytes of src into dst, which has room for qvr_base64_len(n)
 * bytes (no NUL is written). Returns the length written. */
size_t qvr_base64_encode(char *dst, const void *src, size_t n);

/* The encoding of n bytes of src as a new NUL-terminated string, after
 * prefix (NULL: none), e.g. "data:image/png;base64,". The caller frees
 * it with free(). NULL when out of memory or too large. */
char *qvr_base64_new(const char *prefix, const void *src, size_t n);

#endif
