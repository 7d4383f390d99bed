/* hist.c -- an HDR-style log-linear histogram with HdrHistogram's layout.
 *
 * Values are split into buckets by their highest set bit; each bucket holds
 * sub_bucket_half_count linear sub-buckets (the first holds a full
 * sub_bucket_count), so every value is kept with 3 significant digits and
 * values below 2048 exactly. The counts array is indexed exactly as
 * HdrHistogram's counts_index_for, which is what lets the V2 encoding below
 * be exchanged with HdrHistogram's own tools.
 *
 * Encoding (HdrHistogram "V2", all integers big-endian):
 *
 *   compressed := cookie 0x1c849304 (int32) | deflated length (int32) |
 *                 zlib stream of the payload below
 *   payload    := cookie 0x1c849303 (int32) | counts length in bytes (int32)
 *                 | normalizing index offset (int32, 0) | significant
 *                 digits (int32) | lowest (int64) | highest (int64) |
 *                 integer to double ratio (IEEE double, 1.0) | counts
 *   counts     := ZigZag LEB128 varints (at most 9 bytes, the 9th carrying
 *                 8 bits) of the counts from index 0; a run of k zero
 *                 counts is written as the single value -k.
 *
 * Java's HdrHistogram sets bit 4 of the cookies (0x1c849314); the reader
 * ignores bits 4..7 as HdrHistogram does. The reader also ignores the
 * normalizing index offset and the conversion ratio, as HdrHistogram_c and
 * the Go and JavaScript ports do (the JavaScript port writes 1 in both). */
#include "hist.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "qvr.h"

#define COOKIE_PAYLOAD 0x1c849303u
#define COOKIE_COMPRESSED 0x1c849304u
#define COOKIE_MASK (~0xf0u)
#define PAYLOAD_HEADER_LEN 40
#define COMPRESSED_HEADER_LEN 8
#define VARINT_MAX 9
/* The counts of a histogram of any layout we accept are never allowed to
 * inflate past this: a decompression bomb stops here. */
#define PAYLOAD_CAP (4u << 20)

/* Our fixed layout, as constants so the record path is shifts only. */
#define STD_HALF_MAG 10 /* log2(sub_bucket_half_count) */
#define STD_SUB_MASK 2047ULL

/* Fills the layout fields of h for a lowest discernible value, highest
 * trackable value and significant digits, as hdr_init does. Returns 0 or
 * QVR_EINVAL for parameters HdrHistogram itself would refuse. */
static int layout_init(struct qvr_hist *h, int64_t lowest, int64_t highest,
                       int sigfigs)
{
    int64_t single_unit = 2, untrackable;
    int sub_mag = 0, unit_mag = 0, buckets = 1, i;

    if (lowest < 1 || sigfigs < 1 || sigfigs > 5 || lowest > highest / 2)
        return QVR_EINVAL;
    for (i = 0; i < sigfigs; i++)
        single_unit *= 10;
    while ((1LL << sub_mag) < single_unit)
        sub_mag++;
    while (((uint64_t)lowest >> (unit_mag + 1)) != 0)
        unit_mag++;
    if (unit_mag + sub_mag - 1 > 61)
        return QVR_EINVAL;

    h->lowest = lowest;
    h->highest = highest;
    h->sigfigs = sigfigs;
    h->unit_magnitude = unit_mag;
    h->sub_bucket_half_count_magnitude = sub_mag - 1;
    h->sub_bucket_count = 1 << sub_mag;
    h->sub_bucket_half_count = h->sub_bucket_count / 2;
    h->sub_bucket_mask = ((int64_t)h->sub_bucket_count - 1) << unit_mag;

    /* Buckets needed so the last one covers highest. */
    untrackable = (int64_t)h->sub_bucket_count << unit_mag;
    while (untrackable <= highest) {
        if (untrackable > INT64_MAX / 2) {
            buckets++;
            break;
        }
        untrackable <<= 1;
        buckets++;
    }
    h->bucket_count = buckets;
    h->counts_len = (buckets + 1) * h->sub_bucket_half_count;
    return 0;
}

/* Counts index of v in our standard layout (v <= QVR_HIST_HIGHEST). */
static inline int std_index(uint64_t v)
{
    int bucket = 64 - __builtin_clzll(v | STD_SUB_MASK) - (STD_HALF_MAG + 1);

    return (bucket << STD_HALF_MAG) + (int)(v >> bucket);
}

/* Lowest value of counts index idx in h's layout; *size gets the width of
 * the bucket (values lowest .. lowest + size - 1 share the index). */
static uint64_t index_value(const struct qvr_hist *h, int idx, uint64_t *size)
{
    int bucket = (idx >> h->sub_bucket_half_count_magnitude) - 1;
    int sub = (idx & (h->sub_bucket_half_count - 1)) + h->sub_bucket_half_count;

    if (bucket < 0) {
        sub -= h->sub_bucket_half_count;
        bucket = 0;
    }
    *size = 1ULL << (bucket + h->unit_magnitude);
    return (uint64_t)sub << (bucket + h->unit_magnitude);
}

static uint64_t index_highest(const struct qvr_hist *h, int idx)
{
    uint64_t size, lo = index_value(h, idx, &size);

    return lo + (size - 1);
}

static void clear_stats(struct qvr_hist *h)
{
    h->total = 0;
    h->min = UINT64_MAX;
    h->max = 0;
    h->sum = 0.0;
    h->clamped = 0;
}

/* Allocates an empty histogram of the standard layout (about 184 KiB of
 * counters). The caller frees it with qvr_hist_free; NULL when out of
 * memory. */
struct qvr_hist *qvr_hist_new(void)
{
    struct qvr_hist *h = calloc(1, sizeof(*h));

    if (h == NULL)
        return NULL;
    if (layout_init(h, (int64_t)QVR_HIST_LOWEST, (int64_t)QVR_HIST_HIGHEST,
                    QVR_HIST_SIGFIGS) < 0)
        goto fail;
    h->counts = calloc((size_t)h->counts_len, sizeof(*h->counts));
    if (h->counts == NULL)
        goto fail;
    clear_stats(h);
    return h;
fail:
    free(h);
    return NULL;
}

/* Frees h and its counters; NULL is a no-op. */
void qvr_hist_free(struct qvr_hist *h)
{
    if (h == NULL)
        return;
    free(h->counts);
    free(h);
}

/* Records one value; above QVR_HIST_HIGHEST it is recorded as the highest
 * and counted in h->clamped. The hot path: one clz, two shifts, no
 * division, no allocation. */
void qvr_hist_record(struct qvr_hist *h, uint64_t value)
{
    if (value > QVR_HIST_HIGHEST) {
        value = QVR_HIST_HIGHEST;
        h->clamped++;
    }
    h->counts[std_index(value)]++;
    h->total++;
    if (value < h->min)
        h->min = value;
    if (value > h->max)
        h->max = value;
    h->sum += (double)value;
}

/* Like qvr_hist_record n times; n = 0 changes nothing. */
void qvr_hist_record_n(struct qvr_hist *h, uint64_t value, uint64_t n)
{
    if (n == 0)
        return;
    if (value > QVR_HIST_HIGHEST) {
        value = QVR_HIST_HIGHEST;
        h->clamped += n;
    }
    h->counts[std_index(value)] += n;
    h->total += n;
    if (value < h->min)
        h->min = value;
    if (value > h->max)
        h->max = value;
    h->sum += (double)value * (double)n;
}

void qvr_hist_record_corrected(struct qvr_hist *h, uint64_t value,
                               uint64_t expected_interval)
{
    qvr_hist_record(h, value);
    if (expected_interval == 0 || value <= expected_interval)
        return;
    for (uint64_t m = value - expected_interval; m >= expected_interval;
         m -= expected_interval)
        qvr_hist_record(h, m);
}

int qvr_hist_add_corrected(struct qvr_hist *dst, const struct qvr_hist *src,
                           uint64_t expected_interval, uint64_t max_steps)
{
    if (expected_interval == 0)
        return QVR_EINVAL;
    int idx = -1;
    uint64_t v, n, steps = 0;
    while (qvr_hist_next(src, &idx, &v, &n)) {
        qvr_hist_record_n(dst, v, n);
        if (v <= expected_interval)
            continue;
        for (uint64_t m = v - expected_interval; m >= expected_interval;
             m -= expected_interval) {
            if (++steps > max_steps)
                return QVR_ERANGE;
            qvr_hist_record_n(dst, m, n);
        }
    }
    return 0;
}

/* The rank of percentile p among total values: the smallest count c with
 * c >= p% of total (HdrHistogram's ceil). A few ulps are taken off first
 * so that p = 57.3 of 1000 values is rank 573 and not 574 because 57.3 is
 * not exact in binary. */
static uint64_t rank_of(double p, uint64_t total)
{
    double x = p / 100.0 * (double)total;
    double c = ceil(x - x * 8 * DBL_EPSILON);

    if (c < 1.0)
        return 1;
    if (c >= (double)total)
        return total;
    return (uint64_t)c;
}

/* The value at percentile p, as hdr_value_at_percentile: the highest
 * equivalent value of the first bucket whose cumulative count reaches the
 * rank, kept within [min, max]. p <= 0 (or NaN) gives the min, p >= 100
 * the max, an empty histogram 0. Scans the counters once. */
uint64_t qvr_hist_value_at(const struct qvr_hist *h, double p)
{
    uint64_t rank, cum = 0, v;
    int i;

    if (h->total == 0)
        return 0;
    if (!(p > 0.0)) /* also NaN */
        return h->min;
    if (p >= 100.0)
        return h->max;
    rank = rank_of(p, h->total);
    for (i = 0; i < h->counts_len; i++) {
        cum += h->counts[i];
        if (cum >= rank)
            break;
    }
    if (i == h->counts_len)
        return h->max;
    v = index_highest(h, i);
    if (v > h->max)
        v = h->max;
    if (v < h->min)
        v = h->min;
    return v;
}

/* Sum of the recorded values over their number (exact for recorded
 * histograms, bucket midpoints for decoded ones); 0 when empty. */
double qvr_hist_mean(const struct qvr_hist *h)
{
    if (h->total == 0)
        return 0.0;
    return h->sum / (double)h->total;
}

/* Adds src's counts and statistics into dst; src is only read. Returns 0,
 * or QVR_EINVAL (and nothing added) when the layouts differ, which they
 * never do for histograms made by qvr_hist_new or qvr_hist_decode. */
int qvr_hist_add(struct qvr_hist *dst, const struct qvr_hist *src)
{
    int i;

    if (dst->counts_len != src->counts_len ||
        dst->sub_bucket_count != src->sub_bucket_count ||
        dst->unit_magnitude != src->unit_magnitude)
        return QVR_EINVAL;
    if (src->total == 0)
        return 0;
    for (i = 0; i < dst->counts_len; i++)
        dst->counts[i] += src->counts[i];
    dst->total += src->total;
    dst->sum += src->sum;
    dst->clamped += src->clamped;
    if (src->min < dst->min)
        dst->min = src->min;
    if (src->max > dst->max)
        dst->max = src->max;
    return 0;
}

/* Zeroes every counter and statistic; the memory is kept. */
void qvr_hist_reset(struct qvr_hist *h)
{
    memset(h->counts, 0, (size_t)h->counts_len * sizeof(*h->counts));
    clear_stats(h);
}

/* Steps *idx to the next non-empty counter (start at -1); returns 0 at the
 * end. The value written is the bucket's highest equivalent value, but
 * never above h->max, so recording it again lands in the same bucket. */
int qvr_hist_next(const struct qvr_hist *h, int *idx, uint64_t *value,
                  uint64_t *count)
{
    int i = *idx < 0 ? 0 : *idx + 1;

    while (i < h->counts_len && h->counts[i] == 0)
        i++;
    if (i >= h->counts_len) {
        *idx = h->counts_len;
        return 0;
    }
    *idx = i;
    *value = index_highest(h, i);
    if (*value > h->max)
        *value = h->max;
    *count = h->counts[i];
    return 1;
}

/* ---- byte order, varints, base64 ---- */

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void put_be64(uint8_t *p, uint64_t v)
{
    put_be32(p, (uint32_t)(v >> 32));
    put_be32(p + 4, (uint32_t)v);
}

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           (uint32_t)p[3];
}

static uint64_t get_be64(const uint8_t *p)
{
    return (uint64_t)get_be32(p) << 32 | get_be32(p + 4);
}

/* Writes v ZigZag-encoded as HdrHistogram's LEB128 variant: 7 bits per
 * byte with a continuation bit, except that a 9th byte holds the last 8
 * bits whole. Returns the bytes written (1..9). */
static int varint_put(uint8_t *p, int64_t v)
{
    uint64_t u = v < 0 ? ~((uint64_t)v << 1) : (uint64_t)v << 1;
    int i;

    for (i = 0; i < 8; i++) {
        if ((u >> 7) == 0) {
            p[i] = (uint8_t)u;
            return i + 1;
        }
        p[i] = (uint8_t)((u & 0x7f) | 0x80);
        u >>= 7;
    }
    p[8] = (uint8_t)u;
    return 9;
}

/* Reads one varint from p[0..n). Returns the bytes read, or -1 when the
 * varint runs past n. */
static int varint_get(const uint8_t *p, size_t n, int64_t *v)
{
    uint64_t u = 0;
    int i;

    for (i = 0; i < 9; i++) {
        if ((size_t)i >= n)
            return -1;
        if (i == 8) {
            u |= (uint64_t)p[8] << 56;
            break;
        }
        u |= (uint64_t)(p[i] & 0x7f) << (7 * i);
        if ((p[i] & 0x80) == 0)
            break;
    }
    *v = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
    return i + 1;
}

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Standard base64 with '=' padding; the caller frees the result. */
static char *b64_encode(const uint8_t *p, size_t n)
{
    char *out = malloc((n + 2) / 3 * 4 + 1), *o = out;
    size_t i;

    if (out == NULL)
        return NULL;
    for (i = 0; i + 2 < n; i += 3) {
        uint32_t w = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];

        *o++ = b64_alphabet[w >> 18];
        *o++ = b64_alphabet[(w >> 12) & 63];
        *o++ = b64_alphabet[(w >> 6) & 63];
        *o++ = b64_alphabet[w & 63];
    }
    if (i < n) {
        uint32_t w = (uint32_t)p[i] << 16;

        if (i + 1 < n)
            w |= (uint32_t)p[i + 1] << 8;
        *o++ = b64_alphabet[w >> 18];
        *o++ = b64_alphabet[(w >> 12) & 63];
        *o++ = i + 1 < n ? b64_alphabet[(w >> 6) & 63] : '=';
        *o++ = '=';
    }
    *o = '\0';
    return out;
}

static int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* Decodes exactly len characters of padded standard base64 into a new
 * buffer (the caller frees it). Returns 0, QVR_EINVAL for a length that is
 * not a multiple of 4, a character outside the alphabet or misplaced
 * padding, QVR_ENOMEM. */
static int b64_decode(const char *s, size_t len, uint8_t **out, size_t *outlen)
{
    uint8_t *buf;
    size_t i, n = 0;

    if (len == 0 || len % 4 != 0)
        return QVR_EINVAL;
    buf = malloc(len / 4 * 3);
    if (buf == NULL)
        return QVR_ENOMEM;
    for (i = 0; i < len; i += 4) {
        int v[4], k, pad = 0;

        for (k = 0; k < 4; k++) {
            if (s[i + k] == '=' && i + 4 == len && k >= 2) {
                v[k] = 0;
                pad++;
                continue;
            }
            v[k] = pad ? -1 : b64_value(s[i + k]);
            if (v[k] < 0)
                goto fail;
        }
        buf[n++] = (uint8_t)(v[0] << 2 | v[1] >> 4);
        if (pad < 2)
            buf[n++] = (uint8_t)((v[1] & 15) << 4 | v[2] >> 2);
        if (pad < 1)
            buf[n++] = (uint8_t)((v[2] & 3) << 6 | v[3]);
    }
    *out = buf;
    *outlen = n;
    return 0;
fail:
    free(buf);
    return QVR_EINVAL;
}

/* ---- encode ---- */

/* Writes h as base64 of the compressed V2 encoding into a new string
 * *out, which the caller frees with free(). Counts after the last
 * non-empty one are left out, as HdrHistogram does. Returns 0, QVR_ENOMEM
 * or QVR_EIO (zlib failed); *out is NULL on error. */
int qvr_hist_encode(const struct qvr_hist *h, char **out)
{
    uint8_t *raw = NULL, *packed = NULL;
    size_t rawlen = PAYLOAD_HEADER_LEN;
    uLongf packlen;
    int last = h->counts_len - 1, i, err = QVR_ENOMEM;
    union {
        double d;
        uint64_t u;
    } ratio = {1.0};

    *out = NULL;
    while (last >= 0 && h->counts[last] == 0)
        last--;
    raw = malloc(PAYLOAD_HEADER_LEN + (size_t)(last + 1) * VARINT_MAX);
    if (raw == NULL)
        goto fail;
    for (i = 0; i <= last;) {
        int64_t zeros = 0, c;

        while (i <= last && h->counts[i] == 0) {
            zeros++;
            i++;
        }
        if (zeros > 0) {
            rawlen += (size_t)varint_put(raw + rawlen, -zeros);
            continue;
        }
        c = h->counts[i] > INT64_MAX ? INT64_MAX : (int64_t)h->counts[i];
        rawlen += (size_t)varint_put(raw + rawlen, c);
        i++;
    }
    put_be32(raw, COOKIE_PAYLOAD);
    put_be32(raw + 4, (uint32_t)(rawlen - PAYLOAD_HEADER_LEN));
    put_be32(raw + 8, 0);
    put_be32(raw + 12, (uint32_t)h->sigfigs);
    put_be64(raw + 16, (uint64_t)h->lowest);
    put_be64(raw + 24, (uint64_t)h->highest);
    put_be64(raw + 32, ratio.u);

    packlen = compressBound((uLong)rawlen);
    packed = malloc(COMPRESSED_HEADER_LEN + packlen);
    if (packed == NULL)
        goto fail;
    if (compress2(packed + COMPRESSED_HEADER_LEN, &packlen, raw, (uLong)rawlen,
                  Z_DEFAULT_COMPRESSION) != Z_OK) {
        err = QVR_EIO;
        goto fail;
    }
    put_be32(packed, COOKIE_COMPRESSED);
    put_be32(packed + 4, (uint32_t)packlen);
    *out = b64_encode(packed, COMPRESSED_HEADER_LEN + packlen);
    if (*out == NULL)
        goto fail;
    err = 0;
fail:
    free(raw);
    free(packed);
    return err;
}

/* ---- decode ---- */

/* Inflates into dst[0..n). Returns the bytes produced (stopping early at
 * the end of the stream, *ended set), QVR_EINVAL for a corrupt or
 * truncated stream, QVR_ENOMEM. */
static long inflate_some(z_stream *zs, uint8_t *dst, size_t n, int *ended)
{
    zs->next_out = dst;
    zs->avail_out = (uInt)n;
    *ended = 0;
    while (zs->avail_out > 0) {
        int r = inflate(zs, Z_NO_FLUSH);

        if (r == Z_STREAM_END) {
            *ended = 1;
            break;
        }
        if (r == Z_MEM_ERROR)
            return QVR_ENOMEM;
        if (r != Z_OK)
            return QVR_EINVAL;
    }
    return (long)(n - zs->avail_out);
}

/* Adds count values of foreign counts index idx (layout f) to h: the
 * bucket is re-recorded at its highest equivalent value, the figure
 * HdrHistogram reports for it, so percentiles read the same. Buckets above
 * our range are clamped and counted. */
static int add_foreign(struct qvr_hist *h, const struct qvr_hist *f, int idx,
                       uint64_t count)
{
    uint64_t size, lo = index_value(f, idx, &size);
    uint64_t hi = lo + (size - 1), mid = lo + size / 2;

    /* HdrHistogram's counts and total are int64: more cannot be encoded. */
    if (count > (uint64_t)INT64_MAX - h->total)
        return QVR_EINVAL;
    if (hi > QVR_HIST_HIGHEST) {
        hi = QVR_HIST_HIGHEST;
        if (lo > QVR_HIST_HIGHEST) {
            lo = QVR_HIST_HIGHEST;
            h->clamped += count;
        }
        if (mid > QVR_HIST_HIGHEST)
            mid = QVR_HIST_HIGHEST;
    }
    h->counts[std_index(hi)] += count;
    h->total += count;
    h->sum += (double)mid * (double)count;
    if (lo < h->min)
        h->min = lo;
    if (hi > h->max)
        h->max = hi;
    return 0;
}

/* Walks the varint counts of layout f in p[0..n) into h. */
static int decode_counts(struct qvr_hist *h, const struct qvr_hist *f,
                         const uint8_t *p, size_t n)
{
    size_t pos = 0;
    int idx = 0, err;

    while (pos < n) {
        int64_t v;
        int used = varint_get(p + pos, n - pos, &v);

        if (used < 0)
            return QVR_EINVAL;
        pos += (size_t)used;
        if (v < 0) {
            if (v < -(int64_t)(f->counts_len - idx))
                return QVR_EINVAL;
            idx += (int)-v;
            continue;
        }
        if (idx >= f->counts_len)
            return QVR_EINVAL;
        if (v > 0) {
            err = add_foreign(h, f, idx, (uint64_t)v);
            if (err < 0)
                return err;
        }
        idx++;
    }
    return 0;
}

/* Reads len characters of base64 compressed V2 (ours or any
 * HdrHistogram's, any lowest/highest/significant digits) into a new
 * histogram of our layout in *out, which the caller frees with
 * qvr_hist_free. Every length is checked against the bytes really there,
 * the inflated size is bounded by what the announced layout can need (and
 * 4 MiB), and the counts must fill it exactly. Returns 0, QVR_EINVAL for
 * any malformed input (with *out NULL), QVR_ENOMEM. */
int qvr_hist_decode(const char *b64, size_t len, struct qvr_hist **out)
{
    struct qvr_hist *h = NULL, f;
    uint8_t *bin = NULL, *payload = NULL, head[PAYLOAD_HEADER_LEN];
    size_t binlen, paylen;
    int64_t lowest, highest;
    uint32_t packlen;
    z_stream zs;
    int zinit = 0, ended, err;
    long got;

    *out = NULL;
    if (b64 == NULL)
        return QVR_EINVAL;
    err = b64_decode(b64, len, &bin, &binlen);
    if (err < 0)
        goto fail;
    err = QVR_EINVAL;
    if (binlen < COMPRESSED_HEADER_LEN ||
        (get_be32(bin) & COOKIE_MASK) != COOKIE_COMPRESSED)
        goto fail;
    packlen = get_be32(bin + 4);
    if (packlen == 0 || packlen > binlen - COMPRESSED_HEADER_LEN)
        goto fail;

    memset(&zs, 0, sizeof(zs));
    if (inflateInit(&zs) != Z_OK) {
        err = QVR_ENOMEM;
        goto fail;
    }
    zinit = 1;
    zs.next_in = bin + COMPRESSED_HEADER_LEN;
    zs.avail_in = packlen;
    got = inflate_some(&zs, head, sizeof(head), &ended);
    if (got < 0) {
        err = (int)got;
        goto fail;
    }
    err = QVR_EINVAL;
    if (got != PAYLOAD_HEADER_LEN ||
        (get_be32(head) & COOKIE_MASK) != COOKIE_PAYLOAD)
        goto fail;
    memset(&f, 0, sizeof(f));
    lowest = (int64_t)get_be64(head + 16);
    highest = (int64_t)get_be64(head + 24);
    if (layout_init(&f, lowest, highest, (int)get_be32(head + 12)) < 0)
        goto fail;
    paylen = get_be32(head + 4);
    if (paylen > (size_t)f.counts_len * VARINT_MAX || paylen > PAYLOAD_CAP)
        goto fail;

    /* One byte more than announced, to see a stream that goes on. */
    payload = malloc(paylen + 1);
    if (payload == NULL) {
        err = QVR_ENOMEM;
        goto fail;
    }
    got = ended ? 0 : inflate_some(&zs, payload, paylen + 1, &ended);
    if (got < 0) {
        err = (int)got;
        goto fail;
    }
    err = QVR_EINVAL;
    if (!ended || (size_t)got != paylen)
        goto fail;

    h = qvr_hist_new();
    if (h == NULL) {
        err = QVR_ENOMEM;
        goto fail;
    }
    err = decode_counts(h, &f, payload, paylen);
    if (err < 0)
        goto fail;
    *out = h;
    h = NULL;
    err = 0;
fail:
    if (zinit)
        inflateEnd(&zs);
    qvr_hist_free(h);
    free(payload);
    free(bin);
    return err;
}
