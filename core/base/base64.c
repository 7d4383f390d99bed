/* base64.c -- standard base64 encoding (see base64.h). */
#include "base64.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t qvr_base64_len(size_t n)
{
    if (n > SIZE_MAX / 4 * 3 - 2)
        return 0;
    return (n + 2) / 3 * 4;
}

size_t qvr_base64_encode(char *dst, const void *src, size_t n)
{
    const unsigned char *p = src;
    char *o = dst;
    size_t i = 0;
    /* whole groups of three bytes: four characters each */
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        o[0] = alphabet[v >> 18];
        o[1] = alphabet[v >> 12 & 63];
        o[2] = alphabet[v >> 6 & 63];
        o[3] = alphabet[v & 63];
        o += 4;
    }
    /* one or two bytes left: padded with '=' */
    if (i < n) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)p[i + 1] << 8;
        o[0] = alphabet[v >> 18];
        o[1] = alphabet[v >> 12 & 63];
        o[2] = i + 1 < n ? alphabet[v >> 6 & 63] : '=';
        o[3] = '=';
        o += 4;
    }
    return (size_t)(o - dst);
}

char *qvr_base64_new(const char *prefix, const void *src, size_t n)
{
    size_t pl = prefix ? strlen(prefix) : 0;
    size_t el = qvr_base64_len(n);
    if (n && !el)
        return NULL;
    if (el > SIZE_MAX - pl - 1)
        return NULL;
    char *out = malloc(pl + el + 1);
    if (!out)
        return NULL;
    if (pl)
        memcpy(out, prefix, pl);
    out[pl + qvr_base64_encode(out + pl, src, n)] = 0;
    return out;
}
