/* fuzz_sse.c -- libFuzzer target for the stream parser (core/net/sse.c).
 *
 * Input: one control byte, then the stream. The control byte's low bit
 * picks SSE or NDJSON, bit 1 a small line cap (64 bytes, so that lines over
 * the cap are common), and the rest a chunk size (1..63). Checked beyond
 * memory safety (aborting when it does not hold):
 *   - the figures do not depend on how the bytes were split: fed whole and
 *     fed in chunks, every count is the same;
 *   - the buffers never hold more than the cap (memory bounded whatever
 *     the server sends); output events never outnumber events;
 *   - the gap callback runs once per output event after the first, and
 *     the first output's time is the time of a chunk fed (or of the end,
 *     for NDJSON's last line). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void sz_check(int ok, const char *what)
{
    if (ok)
        return;
    fprintf(stderr, "fuzz_sse: %s\n", what);
    abort();
}

static void sz_gap(void *ud, uint64_t gap)
{
    (void)gap;
    (*(uint64_t *)ud)++;
}

/* Feeds in to s in chunks of k (0: whole); chunk i arrives at time i + 1. */
static void sz_run(struct qvr_sse *s, enum qvr_sse_mode mode, size_t cap,
                   const char *in, size_t n, size_t k, uint64_t *gaps)
{
    qvr_sse_init(s);
    s->cap = cap;
    qvr_sse_begin(s, mode, sz_gap, gaps, NULL);
    uint64_t t = 1;
    for (size_t off = 0; off < n; t++) {
        size_t len = k && n - off > k ? k : n - off;
        qvr_sse_feed(s, in + off, len, t);
        sz_check(s->line.len <= cap && s->data.len <= cap + 1,
                 "a buffer holds more than the cap");
        off += len;
    }
    qvr_sse_finish(s, t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 65536)
        return 0;
    enum qvr_sse_mode mode = (data[0] & 1) ? QVR_SSE_NDJSON : QVR_SSE_EVENTS;
    size_t cap = (data[0] & 2) ? 64 : QVR_SSE_CAP;
    size_t k = (size_t)(data[0] >> 2) + 1;
    const char *in = (const char *)data + 1;
    size_t n = size - 1;
    struct qvr_sse a, b;
    uint64_t ga = 0, gb = 0;
    sz_run(&a, mode, cap, in, n, 0, &ga);
    sz_run(&b, mode, cap, in, n, k, &gb);
    const struct qvr_sse_stats *x = &a.st, *y = &b.st;
    sz_check(x->events == y->events && x->outputs == y->outputs &&
                 x->malformed == y->malformed && x->errors == y->errors &&
                 x->in_tokens == y->in_tokens &&
                 x->out_tokens == y->out_tokens &&
                 x->has_usage == y->has_usage && x->done == y->done &&
                 x->finished == y->finished && x->bytes == n && y->bytes == n &&
                 strcmp(x->error, y->error) == 0,
             "the figures depend on the split");
    sz_check(x->outputs <= x->events, "more outputs than events");
    sz_check(ga == (x->outputs ? x->outputs - 1 : 0) &&
                 gb == (y->outputs ? y->outputs - 1 : 0),
             "one gap per output after the first");
    /* fed whole at t=1; an NDJSON last line without its newline is read
     * when the stream ends, at t=2 */
    sz_check(!x->outputs || x->t_first_ns == 1 || x->t_first_ns == 2,
             "whole feed: first at t=1 (or at the end)");
    sz_check(!y->outputs || (y->t_first_ns >= 1 && y->t_first_ns <= n / k + 2),
             "chunked feed: first at a chunk's time");
    sz_check(qvr_sse_out_tokens(&a) ==
                 (x->has_usage ? x->out_tokens : x->outputs),
             "out tokens: usage, else counted");
    qvr_sse_free(&a);
    qvr_sse_free(&b);
    return 0;
}
