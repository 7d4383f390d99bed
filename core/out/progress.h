/* progress.h -- the live line: what happened since the last one.
 *
 * A run closes a window every second; a line is kept every 5 s (on a
 * terminal it is also rewritten in place every second, over the interval
 * so far). The line sums every window since the last kept line (their
 * histograms merged), so a stall between two lines shows in its peak P99
 * instead of falling between the lines. An interval without an answer
 * prints "–" for its latencies, never 0.0ms. */
#ifndef QVR_PROGRESS_H
#define QVR_PROGRESS_H

#include <stdint.h>
#include <stdio.h>

#include "hist.h"
#include "metrics.h"

struct qvr_progress {
    struct qvr_hist *h; /* the windows since the last line, merged */
    uint64_t requests;  /* answered in those windows */
    uint64_t failures;  /* of which failed */
    double len_s;       /* seconds they cover */
    double peak_p99_ms; /* the worst window P99 among them */
    uint64_t fails_seen[QVR_FAIL__COUNT]; /* by kind, as of the last line */
};

/* What the line shows besides the interval. */
struct qvr_progress_now {
    double elapsed_s, total_s; /* since the start; the plan's length (0: ?) */
    int users;
    uint64_t requests, failures; /* the whole run so far */
    const uint64_t *fails;       /* the run's failures by kind
                                    (QVR_FAIL__COUNT), or NULL */
    int keep; /* 1: the interval goes on (a terminal line rewritten in
                 place before the one that is kept) */
};

/* Creates an empty interval; the caller frees with qvr_progress_free. NULL
 * when out of memory. */
struct qvr_progress *qvr_progress_new(void);
void qvr_progress_free(struct qvr_progress *p);

/* Adds one closed window: its histogram (win, may be NULL when it had no
 * request), its counts and its length. */
void qvr_progress_add(struct qvr_progress *p, const struct qvr_hist *win,
                      uint64_t requests, uint64_t failures, double len_s);

/* Formats the line for the interval into buf (len bytes) and, unless
 * now->keep, starts a new interval. E.g. "[   12s/30s] users 10 | 12.3 req/s |
 * p50 5.12ms p99 980ms peak 1.01s | requests 456 | errors 3 (0.7%; since last:
 * http_5xx 2, timeout 1)". Returns buf. */
char *qvr_progress_line(struct qvr_progress *p,
                        const struct qvr_progress_now *now, char *buf,
                        unsigned long len);

/* The compact per-name table a terminal gets every few seconds (like
 * Locust's headless one): per request name and in total, requests,
 * failures, req/s over elapsed_s, P50, P99 and max of the run so far. At
 * most max_names names. */
void qvr_progress_table(const struct qvr_metrics *m, double elapsed_s,
                        int max_names, FILE *out);

/* A latency as the tables print it: "0.25ms", "12.5ms", "812ms", "1.24s";
 * NaN or negative "–". Returns buf. */
char *qvr_progress_fmt_ms(double ms, char *buf, unsigned long len);

#endif
