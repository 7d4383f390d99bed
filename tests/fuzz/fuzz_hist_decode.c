/* fuzz_hist_decode.c -- libFuzzer target for qvr_hist_decode
 * (core/stats/hist.c).
 *
 * Random text almost never gets past base64, the cookie and zlib, so the
 * first input byte picks the layer the fuzzer mutates (the rest is the
 * data):
 *   0  the base64 text itself, as a result file holds it;
 *   1  the binary compressed form (cookie, length, deflate stream), which
 *      the target base64-encodes;
 *   2  the uncompressed V2 payload (40-byte header, then ZigZag LEB128
 *      counts), which the target deflates and wraps as HdrHistogram does,
 *      so the fuzzer works directly on layouts and counts.
 * On success the decoded histogram must be consistent (counts add up to
 * total, min <= max <= the highest trackable value, percentiles rise with
 * p) and survive an encode/decode round trip with identical counts; the
 * target aborts when it is not. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "hist.h"
#include "qvr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FH_MAX_INPUT (256u * 1024u)
#define FH_COOKIE_COMPRESSED 0x1c849304u

static void fh_check(int ok, const char *what)
{
    if (ok)
        return;
    fprintf(stderr, "fuzz_hist_decode: %s\n", what);
    abort();
}

/* Base64 (RFC 4648, padded) of p[0..n) as a new NUL-terminated string;
 * the caller frees it. NULL when out of memory. */
static char *fh_b64(const uint8_t *p, size_t n)
{
    static const char abc[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = malloc((n + 2) / 3 * 4 + 1), *o = out;
    size_t i;

    if (out == NULL)
        return NULL;
    for (i = 0; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];

        *o++ = abc[v >> 18];
        *o++ = abc[(v >> 12) & 63];
        *o++ = abc[(v >> 6) & 63];
        *o++ = abc[v & 63];
    }
    if (i < n) {
        uint32_t v = (uint32_t)p[i] << 16;

        if (i + 1 < n)
            v |= (uint32_t)p[i + 1] << 8;
        *o++ = abc[v >> 18];
        *o++ = abc[(v >> 12) & 63];
        *o++ = i + 1 < n ? abc[(v >> 6) & 63] : '=';
        *o++ = '=';
    }
    *o = '\0';
    return out;
}

/* Deflates the payload p[0..n) and prefixes the compressed cookie and
 * length; returns the base64 of that (caller frees), NULL on failure. */
static char *fh_wrap_payload(const uint8_t *p, size_t n)
{
    uLongf packed_len = compressBound((uLong)n);
    uint8_t *bin = malloc(8 + packed_len);
    char *b64 = NULL;

    if (bin == NULL)
        return NULL;
    if (compress(bin + 8, &packed_len, p, (uLong)n) == Z_OK) {
        uint32_t c = FH_COOKIE_COMPRESSED, l = (uint32_t)packed_len;
        int i;

        for (i = 0; i < 4; i++) {
            bin[i] = (uint8_t)(c >> (24 - 8 * i));
            bin[4 + i] = (uint8_t)(l >> (24 - 8 * i));
        }
        b64 = fh_b64(bin, 8 + packed_len);
    }
    free(bin);
    return b64;
}

static void fh_consistent(const struct qvr_hist *h)
{
    static const double ps[] = {0.0, 1.0, 50.0, 90.0, 99.0, 99.9, 100.0};
    uint64_t sum = 0, value, count, prev = 0, v;
    int idx = -1, i, last_idx = -1;

    while (qvr_hist_next(h, &idx, &value, &count)) {
        fh_check(idx > last_idx && idx < h->counts_len,
                 "iteration out of order or range");
        fh_check(count > 0, "iteration yields an empty bucket");
        fh_check(sum + count >= sum, "counts overflow");
        sum += count;
        last_idx = idx;
    }
    fh_check(sum == h->total, "counts do not add up to total");
    if (h->total == 0)
        return;
    fh_check(h->min <= h->max, "min above max");
    fh_check(h->max <= QVR_HIST_HIGHEST, "max above the highest value");
    fh_check(h->clamped <= h->total, "more clamped than recorded");
    for (i = 0; i < (int)QVR_ARRAY_LEN(ps); i++) {
        v = qvr_hist_value_at(h, ps[i]);
        fh_check(v >= prev, "percentiles fall as p rises");
        fh_check(v <= h->max, "percentile above max");
        prev = v;
    }
}

static void fh_round_trip(const struct qvr_hist *h)
{
    struct qvr_hist *back = NULL;
    char *enc = NULL;
    int rc;

    rc = qvr_hist_encode(h, &enc);
    if (rc == QVR_ENOMEM)
        return;
    fh_check(rc == 0 && enc != NULL, "encode of a decoded histogram failed");
    rc = qvr_hist_decode(enc, strlen(enc), &back);
    free(enc);
    if (rc == QVR_ENOMEM)
        return;
    fh_check(rc == 0 && back != NULL, "our own encoding does not decode");
    fh_check(back->counts_len == h->counts_len, "layout changed");
    fh_check(back->total == h->total, "total changed in a round trip");
    fh_check(memcmp(back->counts, h->counts,
                    (size_t)h->counts_len * sizeof(*h->counts)) == 0,
             "counts changed in a round trip");
    qvr_hist_free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct qvr_hist sentinel; /* decode must reset *out to NULL */
    struct qvr_hist *h = &sentinel;
    char *text = NULL;
    size_t len;
    int rc;

    if (size < 1 || size > FH_MAX_INPUT)
        return 0;
    switch (data[0] % 3) {
    case 0:
        text = malloc(size);
        if (text == NULL)
            return 0;
        memcpy(text, data + 1, size - 1);
        text[size - 1] = '\0';
        len = size - 1; /* may hold NULs: decode must go by len */
        break;
    case 1:
        text = fh_b64(data + 1, size - 1);
        len = text != NULL ? strlen(text) : 0;
        break;
    default:
        text = fh_wrap_payload(data + 1, size - 1);
        len = text != NULL ? strlen(text) : 0;
        break;
    }
    if (text == NULL)
        return 0;
    rc = qvr_hist_decode(text, len, &h);
    fh_check(rc == 0 || rc == QVR_EINVAL || rc == QVR_ENOMEM,
             "unexpected return code");
    if (rc == 0) {
        fh_check(h != NULL, "success without a histogram");
        fh_consistent(h);
        fh_round_trip(h);
    } else {
        fh_check(h == NULL, "failure left *out set");
    }
    qvr_hist_free(h);
    free(text);
    return 0;
}
