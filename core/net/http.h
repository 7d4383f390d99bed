/* http.h -- libcurl's multi-socket interface on a libevent loop.
 *
 * One qvr_http per worker owns a curl multi handle attached to the worker's
 * event base (hiperfifo's shape: socket callback -> per-socket event, one
 * one-shot timer, completions drained after every socket action). A
 * qvr_http_xfer is one reusable easy handle: its buffers and options persist
 * between requests. Users borrow one per request from their qvr_http's pool
 * (qvr_http_xfer_get / _put), so a thinking user holds none; connections
 * live in the multi handle's cache, not in the easy handle, and any handle
 * of the pool reuses them.
 *
 * Completion callbacks run from the drain loop, never from inside a curl
 * callback, so they may start the next transfer or resume a coroutine. */
#ifndef QVR_HTTP_H
#define QVR_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "metrics.h"
#include "sse.h"

struct event_base;
struct qvr_http;
struct qvr_http_xfer;

struct qvr_http_conf {
    long timeout_ms;         /* whole-request timeout (default 60000) */
    long connect_timeout_ms; /* default 10000 */
    size_t max_body;         /* body bytes kept; more = too_large (64 MiB) */
    int insecure;            /* 1: skip TLS certificate verification */
    long max_conns;          /* connection cache size; 0 = curl default */
    long buffer_size;        /* libcurl's receive buffer per transfer;
                                0 = curl's default (16 KiB) */
};

/* One request. Every pointer is borrowed and must stay valid until the
 * completion callback has run (or the transfer was cancelled). */
struct qvr_http_request {
    const char *method; /* "GET", "POST", ... */
    const char *url;    /* absolute http:// or https:// URL */
    const char *body;   /* NULL for none */
    size_t body_len;
    const char *const *headers; /* "Name: value" lines */
    int nheaders;
    long timeout_ms; /* 0 = the conf's */
    /* Token streams. By default an answer whose Content-Type is
     * text/event-stream is parsed as SSE as it arrives (its body is then
     * not kept); stream forces a mode: QVR_SSE_EVENTS, QVR_SSE_NDJSON, or
     * -1 never. */
    int stream;
    int keep_body;         /* a stream's raw body is kept too (capped) */
    struct qvr_buf *text;  /* a stream's output text goes here; NULL: not */
    qvr_sse_gap_cb on_gap; /* every inter-token gap, as it arrives */
    void *gap_ud;
    long first_token_timeout_ms; /* no output by then: the transfer fails
                                    as QVR_FAIL_FIRST_TOKEN (0: none) */
};

/* The outcome, valid only during the callback. */
struct qvr_http_result {
    int status;      /* HTTP status; 0 when no answer */
    uint64_t dns_us; /* name lookup done, from the start (0 if reused) */
    enum qvr_fail_kind fail; /* transport failure kind, or NONE */
    const char *error;       /* curl's message when fail != NONE */
    const char *url;         /* the URL requested (curl's), may be NULL */
    const char *body;        /* response body (NUL-terminated) */
    size_t body_len;
    const char *headers; /* raw header block of the final answer */
    size_t headers_len;
    uint64_t t_sent_ns;                 /* monotonic: handed to libcurl */
    uint64_t t_done_ns;                 /* monotonic: completion seen */
    uint64_t connect_us;                /* TCP connect time, 0 if reused */
    uint64_t tls_us;                    /* TLS handshake time, 0 if none */
    uint64_t ttfb_us;                   /* first response byte, from t_sent */
    uint64_t bytes_out;                 /* request body bytes */
    int http_version;                   /* 10, 11, 20, 30; 0 unknown */
    const struct qvr_sse_stats *stream; /* a token stream's figures, or
                                           NULL when not streamed */
    uint64_t bytes_in;                  /* body bytes received (kept or not) */
};

typedef void (*qvr_http_cb)(void *ud, const struct qvr_http_result *res);

/* Defaults for a conf. */
void qvr_http_conf_init(struct qvr_http_conf *c);

/* Creates the multi handle on base. curl_global_init must have run (done by
 * qvr_http_global_init once per process, before threads). The caller frees
 * with qvr_http_free. NULL on failure. */
struct qvr_http *qvr_http_new(struct event_base *base,
                              const struct qvr_http_conf *conf);

/* Cancels every transfer still running (callbacks are not called) and frees
 * the multi handle. Transfers must be freed before (or are left dangling:
 * free them first). NULL is a no-op. */
void qvr_http_free(struct qvr_http *h);

/* Once per process, before any thread starts. Returns 0 or QVR_EIO. */
int qvr_http_global_init(void);
void qvr_http_global_cleanup(void);

/* A reusable transfer (easy handle). The caller frees with
 * qvr_http_xfer_free. NULL on failure. */
struct qvr_http_xfer *qvr_http_xfer_new(struct qvr_http *h);

/* Cancels the transfer if active (no callback), frees it. NULL: no-op. */
void qvr_http_xfer_free(struct qvr_http_xfer *x);

/* A transfer from h's pool of idle ones (a new one when it is empty), and
 * back: qvr_http_xfer_put cancels it if active and keeps it for the next
 * _get; qvr_http_free frees the pool. NULL on failure / no-op for NULL. */
struct qvr_http_xfer *qvr_http_xfer_get(struct qvr_http *h);
void qvr_http_xfer_put(struct qvr_http_xfer *x);

/* Starts req on x; cb(ud, result) runs once on completion. Returns 0,
 * QVR_ESTATE if x is already active, QVR_EINVAL for a bad request,
 * QVR_ENOMEM. */
int qvr_http_start(struct qvr_http_xfer *x, const struct qvr_http_request *req,
                   qvr_http_cb cb, void *ud);

/* Stops an active transfer without calling its callback. No-op if idle. */
void qvr_http_cancel(struct qvr_http_xfer *x);

/* 0 when url is one libcurl can request: a well-formed URL whose port,
 * when given, is in 1..65535. Otherwise QVR_EINVAL (QVR_ENOMEM) with
 * libcurl's reason ("Port number was not a decimal number between 0 and
 * 65535") in why. For checking a target before the run. */
int qvr_http_url_check(const char *url, char *why, size_t len);

/* Transfers in flight. */
int qvr_http_active(const struct qvr_http *h);

#endif
