/* sse.h -- a streamed answer, parsed as it arrives: Server-Sent Events
 * (text/event-stream: fields data, event, id; multi-line data; CRLF, LF or
 * CR line ends; comments; "[DONE]") or newline-delimited JSON (Ollama's
 * native API), and the tokens its events carry.
 *
 * Fed arbitrary chunks with the time each arrived; pure (no libcurl, no
 * event loop). Each event's data is read with cJSON as an OpenAI chat or
 * completions chunk (choices[].delta.content, choices[].text, usage,
 * error, finish_reason) or an Ollama line (message.content, response, done,
 * eval_count, prompt_eval_count). An event carrying output text is an
 * "output event": the first one gives the time to first token, the gaps
 * between consecutive ones are the inter-token latencies.
 *
 * Memory per stream is bounded by cap: a line (or an event's data) longer
 * than cap is skipped to its end and counted as malformed; the stream goes
 * on. The buffers are kept between streams (qvr_sse_begin). */
#ifndef QVR_SSE_H
#define QVR_SSE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum qvr_sse_mode {
    QVR_SSE_EVENTS = 1, /* text/event-stream */
    QVR_SSE_NDJSON = 2  /* one JSON object per line */
};

#define QVR_SSE_CAP (64 * 1024) /* longest line or event data kept */

/* Called for every output event after the first with the gap since the
 * previous one (ns); from inside the feeding call. */
typedef void (*qvr_sse_gap_cb)(void *ud, uint64_t gap_ns);

/* What one stream carried so far. */
struct qvr_sse_stats {
    uint64_t events;     /* events dispatched (with data) */
    uint64_t outputs;    /* events carrying output text */
    uint64_t malformed;  /* events not JSON, or lines over the cap */
    uint64_t errors;     /* error objects / "event: error" */
    uint64_t in_tokens;  /* usage.prompt_tokens (prompt_eval_count) */
    uint64_t out_tokens; /* usage.completion_tokens (eval_count) */
    int has_usage;       /* the server reported usage */
    int done;            /* "[DONE]" or Ollama's done: true seen */
    int finished;        /* a finish_reason was given */
    uint64_t t_first_ns; /* arrival of the first output event (0: none) */
    uint64_t t_last_ns;  /* arrival of the last output event */
    uint64_t bytes;      /* bytes fed */
    char error[160];     /* the first error's message ("" if none) */
};

struct qvr_sse {
    enum qvr_sse_mode mode;
    size_t cap;          /* QVR_SSE_CAP unless set before qvr_sse_begin */
    struct qvr_buf line; /* the line being read */
    struct qvr_buf data; /* SSE: data lines of the event being built */
    int skipping;        /* the current line is over cap: drop to its end */
    int after_cr;        /* the last byte was CR (an LF next ends nothing) */
    int has_data;        /* SSE: the event being built has a data field */
    int broken;          /* SSE: a line of this event was over the cap */
    char event[32];      /* SSE: its event type ("" = message) */
    char id[64];         /* SSE: last event id seen */
    struct qvr_sse_stats st;
    qvr_sse_gap_cb on_gap; /* may be NULL */
    void *ud;
    struct qvr_buf *text; /* output text appended here when not NULL */
};

/* Initialises s (no allocation). Free with qvr_sse_free. */
void qvr_sse_init(struct qvr_sse *s);

/* Starts a new stream in mode, keeping the buffers' memory. on_gap/ud and
 * text (borrowed; capped by its own max) may be NULL. */
void qvr_sse_begin(struct qvr_sse *s, enum qvr_sse_mode mode,
                   qvr_sse_gap_cb on_gap, void *ud, struct qvr_buf *text);

/* Parses n bytes that arrived at t_ns (monotonic). Never fails: memory
 * exhaustion drops the line as malformed. */
void qvr_sse_feed(struct qvr_sse *s, const char *p, size_t n, uint64_t t_ns);

/* The stream ended at t_ns: NDJSON's last line without its newline is
 * taken; an SSE event without its closing blank line is discarded (as the
 * SSE standard says). */
void qvr_sse_finish(struct qvr_sse *s, uint64_t t_ns);

/* Whether the stream reached its proper end: "[DONE]", Ollama's done, or a
 * finish_reason. */
int qvr_sse_complete(const struct qvr_sse *s);

/* Output tokens of the stream: usage when the server gave it, else the
 * number of output events. */
uint64_t qvr_sse_out_tokens(const struct qvr_sse *s);

/* Releases the buffers; s can be begun again. NULL is a no-op. */
void qvr_sse_free(struct qvr_sse *s);

#endif
