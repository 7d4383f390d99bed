/* hist.h -- our own HDR-style log-linear histogram.
 *
 * Layout is HdrHistogram's exactly (lowest discernible value 1, highest
 * trackable value 3,600,000,000, 3 significant digits: sub_bucket_count
 * 2048, unit magnitude 0), so counts index-match HdrHistogram and the V2
 * encoding below is readable by HdrHistogram's own tools. qvrrun records
 * microseconds, so the range is 1 us .. 1 h.
 *
 * Memory is fixed at creation (counts_len 64-bit counters) and never grows.
 * Not thread-safe: each thread records into its own and the owner merges
 * with qvr_hist_add. */
#ifndef QVR_HIST_H
#define QVR_HIST_H

#include <stddef.h>
#include <stdint.h>

#define QVR_HIST_LOWEST 1ULL
#define QVR_HIST_HIGHEST 3600000000ULL /* 1 h in microseconds */
#define QVR_HIST_SIGFIGS 3

struct qvr_hist {
    int64_t lowest;     /* lowest discernible value (1) */
    int64_t highest;    /* highest trackable value */
    int sigfigs;        /* significant figures (3) */
    int unit_magnitude; /* floor(log2(lowest)) */
    int sub_bucket_half_count_magnitude;
    int sub_bucket_count; /* 2048 for 3 significant figures */
    int sub_bucket_half_count;
    int64_t sub_bucket_mask;
    int bucket_count;
    int counts_len;
    uint64_t total;   /* number of recorded values (incl. clamped) */
    uint64_t min;     /* smallest recorded value, UINT64_MAX if none */
    uint64_t max;     /* largest recorded value (after clamping) */
    double sum;       /* sum of recorded values, for the mean */
    uint64_t clamped; /* values above highest, recorded as highest */
    uint64_t *counts; /* counts_len counters, owned */
};

/* Creates an empty histogram with the standard range. The caller frees with
 * qvr_hist_free. Returns NULL on allocation failure. */
struct qvr_hist *qvr_hist_new(void);

/* Frees h; qvr_hist_free(NULL) is a no-op. */
void qvr_hist_free(struct qvr_hist *h);

/* Records one value (microseconds). 0 is recorded in the lowest bucket.
 * A value above the highest trackable one is recorded as the highest and
 * counted in h->clamped; it is never dropped or relabelled. */
void qvr_hist_record(struct qvr_hist *h, uint64_t value);

/* Records n copies of value. */
void qvr_hist_record_n(struct qvr_hist *h, uint64_t value, uint64_t n);

/* Records value and, when it exceeds expected_interval (> 0), the values a
 * user that waited on it would have sent meanwhile: value - interval,
 * value - 2 * interval, ... down to the first below interval
 * (HdrHistogram's recordCorrectedValue: the coordinated-omission
 * correction of a closed model, whose users stop sending while the target
 * stalls). expected_interval 0 records value alone. */
void qvr_hist_record_corrected(struct qvr_hist *h, uint64_t value,
                               uint64_t expected_interval);

/* Adds every value of src to dst as qvr_hist_record_corrected would have
 * recorded it (HdrHistogram's copyCorrectedForCoordinatedOmission), each
 * bucket at its highest equivalent value. At most max_steps corrected
 * records are made (a bound on the time a tiny interval could take).
 * Returns 0, QVR_EINVAL for interval 0, or QVR_ERANGE when the bound was
 * reached (dst then holds a partial correction). */
int qvr_hist_add_corrected(struct qvr_hist *dst, const struct qvr_hist *src,
                           uint64_t expected_interval, uint64_t max_steps);

/* The value at percentile p (0..100): the highest value equivalent to the
 * smallest recorded value v such that at least p% of values are <= v (the
 * same definition as hdr_value_at_percentile). p=100 gives the max bucket's
 * highest equivalent value capped to h->max; p=0 the min. 0 when empty. */
uint64_t qvr_hist_value_at(const struct qvr_hist *h, double p);

/* Mean of recorded values; 0 when empty. */
double qvr_hist_mean(const struct qvr_hist *h);

/* Adds every count of src into dst (same layout). Returns 0. */
int qvr_hist_add(struct qvr_hist *dst, const struct qvr_hist *src);

/* Clears all counts and statistics; keeps the memory. */
void qvr_hist_reset(struct qvr_hist *h);

/* Iteration over non-empty buckets, lowest first: start with *idx = -1;
 * each call advances to the next non-empty index, writes the bucket's
 * highest equivalent value (never above h->max) and its count, and returns
 * 1; returns 0 at the end. */
int qvr_hist_next(const struct qvr_hist *h, int *idx, uint64_t *value,
                  uint64_t *count);

/* Encodes h in HdrHistogram's V2 compressed format (cookie 0x1c849304 around
 * a zlib-deflated V2 encoding, cookie 0x1c849303, ZigZag LEB128 counts with
 * runs of zeros as negative numbers) and then base64, as one NUL-terminated
 * string. The caller frees *out with free(). Returns 0, QVR_ENOMEM, QVR_EIO
 * (zlib error). */
int qvr_hist_encode(const struct qvr_hist *h, char **out);

/* Decodes a base64 V2 compressed histogram (as written by qvr_hist_encode
 * or by HdrHistogram) into a new histogram with our standard layout; counts
 * outside our range are clamped. A bucket of another layout is recorded at
 * its highest equivalent value; min and max become the edges of the first
 * and last buckets (the encoding does not carry them) and the mean uses
 * bucket midpoints. The caller frees *out with qvr_hist_free.
 * Returns 0 or QVR_EINVAL on any malformed input (never reads out of
 * bounds), QVR_ENOMEM. */
int qvr_hist_decode(const char *b64, size_t len, struct qvr_hist **out);

#endif
