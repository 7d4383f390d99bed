/* metrics.h -- named request metrics: one set of cumulative and per-window
 * histograms and counters for the whole run, per task and per request name.
 *
 * A qvr_metrics belongs to one thread; workers record into their own and the
 * owner merges them (qvr_metrics_add). Memory is fixed by the number of
 * names, never by run length. */
#ifndef QVR_METRICS_H
#define QVR_METRICS_H

#include <stdint.h>

#include "hist.h"

/* Why a request failed. Order is the order of columns in reports. */
enum qvr_fail_kind {
    QVR_FAIL_NONE = 0,
    QVR_FAIL_HTTP_4XX,     /* answered 4xx */
    QVR_FAIL_HTTP_5XX,     /* answered 5xx */
    QVR_FAIL_HTTP_OTHER,   /* answered 1xx/3xx that was not followed */
    QVR_FAIL_TIMEOUT,      /* no complete answer within the timeout */
    QVR_FAIL_REFUSED,      /* connection refused */
    QVR_FAIL_RESET,        /* connection reset / closed without an answer */
    QVR_FAIL_DNS,          /* name did not resolve */
    QVR_FAIL_TLS,          /* TLS handshake or verification failed */
    QVR_FAIL_TOO_LARGE,    /* body exceeded max_body */
    QVR_FAIL_TRANSPORT,    /* any other transport error */
    QVR_FAIL_BAD_ENCODING, /* malformed chunked or content encoding */
    QVR_FAIL_INVALID_JSON, /* answer not JSON: fail(msg, "invalid_json") */
    QVR_FAIL_CHECK,        /* a check() was false or fail() was called */
    QVR_FAIL_SCRIPT,       /* the task raised a Lua error (per iteration) */
    QVR_FAIL_STREAM_CUT,   /* a stream ended before its end marker */
    QVR_FAIL_STREAM_ERROR, /* an error event inside the stream */
    QVR_FAIL_MALFORMED,    /* an event that was not JSON, or too long */
    QVR_FAIL_FIRST_TOKEN,  /* no output within first_token_timeout */
    QVR_FAIL__COUNT
};

/* "http_4xx", "timeout", ... as used in summary.json. */
const char *qvr_fail_kind_name(enum qvr_fail_kind k);

/* The outcome of one request, as recorded. Times in microseconds. */
struct qvr_sample {
    uint64_t response_us; /* from the intended start to completion */
    uint64_t service_us;  /* from the actual send to completion */
    uint64_t ttfb_us;     /* time to first byte, from the actual send */
    uint64_t connect_us;  /* TCP connect (0 on a reused connection) */
    uint64_t tls_us;      /* TLS handshake (0 when none) */
    uint64_t bytes_in;    /* body bytes received */
    uint64_t bytes_out;   /* body bytes sent */
    int status;           /* HTTP status, 0 when none */
    enum qvr_fail_kind fail;
    const char *method; /* static string ("GET", "POST"...), may be NULL */
    int good;           /* succeeded within the run's slo (goodput) */
    int http_version;   /* 10, 11, 20, 30; 0 when no answer */
    /* streamed answers (SSE / NDJSON) only: */
    int streamed;         /* 1: the answer was a token stream */
    int usage;            /* its token counts came from the server */
    uint64_t ttft_us;     /* intended start to first output (0: none) */
    uint64_t ttft_svc_us; /* actual send to first output */
    uint64_t tpot_us;     /* (last - first) / (out_tokens - 1); 0: n/a */
    uint64_t in_tokens;   /* prompt tokens (server's usage, else 0) */
    uint64_t out_tokens;  /* output tokens (usage, else output events) */
};

/* Token figures of a stat, allocated on its first streamed answer. */
struct qvr_tok {
    struct qvr_hist *ttft;     /* time to first token, from the intended
                                  start (as resp) */
    struct qvr_hist *itl;      /* every gap between output events */
    struct qvr_hist *tpot;     /* time per output token, per request */
    struct qvr_hist *ttft_svc; /* time to first token from the actual send */
    struct qvr_hist *ttft_win; /* the current window's */
    struct qvr_hist *itl_win;
    struct qvr_hist *tpot_win;
    struct qvr_hist *otok_win; /* the window's output tokens per stream
                                  (a count, not a time: exact below 2048) */
    uint64_t streams;          /* streamed answers */
    uint64_t usage_streams;    /* of which the server gave usage */
    uint64_t in_tokens, out_tokens;
    uint64_t win_streams, win_out_tokens; /* the current window's */
};

#define QVR_STATUS_MAX 600

struct qvr_stat {
    char *name;               /* owned */
    const char *method;       /* method of the first request (static) */
    struct qvr_hist *resp;    /* response time, cumulative */
    struct qvr_hist *service; /* service time, cumulative */
    struct qvr_hist *ttfb;    /* time to first byte, cumulative */
    struct qvr_hist *win;     /* response time of the current window */
    uint64_t requests;        /* completed requests (failures included) */
    uint64_t failures;
    uint64_t fails[QVR_FAIL__COUNT];
    uint64_t bytes_in, bytes_out;
    uint64_t connect_us_sum, connects; /* new connections and their time */
    uint64_t tls_us_sum, tls_handshakes;
    uint64_t checks_ok, checks_fail;
    uint64_t good;        /* requests that met the slo */
    uint64_t versions[4]; /* answers over HTTP/1.0, 1.1, 2, 3 */
    uint64_t win_requests, win_failures;
    uint32_t status[QVR_STATUS_MAX]; /* count per HTTP status code */
    struct qvr_tok *tok; /* token figures; NULL until a stream is seen */
};

/* A named count: a check's passes and failures, or a task error's
 * occurrences (in fail). */
struct qvr_label {
    char *label; /* owned */
    uint64_t ok, fail;
};

#define QVR_MAX_LABELS 256
/* Distinct request names kept apart; later ones are counted under
 * QVR_OTHER_NAME (a URL with an id in its path, unnamed, would otherwise
 * make one set of histograms per id). */
#define QVR_MAX_NAMES 1000
#define QVR_OTHER_NAME "(other)"

/* Transport failure messages kept per fail kind: the first few distinct
 * ones (messages equal but for their numbers are one), each with a count
 * and the request it was first seen on. Later distinct ones are counted in
 * errmsg_other. Memory is fixed: QVR_FAIL__COUNT x QVR_ERRMSG_KEEP. */
#define QVR_ERRMSG_KEEP 3
#define QVR_ERRMSG_LEN 200
struct qvr_errmsg {
    char text[QVR_ERRMSG_LEN];  /* curl's message, redacted; "" = unused */
    char where[QVR_ERRMSG_LEN]; /* "GET http://..." of its first request */
    uint64_t count;
};

struct qvr_metrics {
    struct qvr_stat total;
    struct qvr_stat *tasks; /* ntasks entries, indexed like the plan */
    int ntasks;
    struct qvr_stat **names; /* per request name, in first-seen order */
    int nnames, cap_names;
    int *name_index;  /* open addressing on the name: slots hold index + 1 */
    int index_cap;    /* a power of two, at least twice nnames */
    int names_capped; /* more than QVR_MAX_NAMES names: rest in "(other)" */
    uint64_t script_errors;      /* iterations ended by a Lua error */
    uint64_t iterations;         /* iterations completed */
    struct qvr_label *labels[2]; /* [0] checks by label, [1] task errors */
    int nlabels[2];
    uint64_t labels_dropped; /* distinct labels beyond QVR_MAX_LABELS */
    struct qvr_errmsg errmsgs[QVR_FAIL__COUNT][QVR_ERRMSG_KEEP];
    uint64_t errmsg_other[QVR_FAIL__COUNT]; /* messages not kept above */
};

/* Creates a metrics set with ntasks task stats named by task_names (copied).
 * The caller frees with qvr_metrics_free. NULL on allocation failure. */
struct qvr_metrics *qvr_metrics_new(int ntasks, const char *const *task_names);

void qvr_metrics_free(struct qvr_metrics *m);

/* The stat for a request name, created on first use (name copied); once
 * QVR_MAX_NAMES names exist, a new name gets the QVR_OTHER_NAME stat and
 * names_capped is set. A hash lookup. NULL on allocation failure. */
struct qvr_stat *qvr_metrics_name(struct qvr_metrics *m, const char *name);

/* A standalone stat (e.g. one step of a step load). The caller frees with
 * qvr_stat_free. NULL on allocation failure. */
struct qvr_stat *qvr_stat_new(const char *name);
void qvr_stat_free(struct qvr_stat *s);

/* Records one request into s alone. */
void qvr_stat_record(struct qvr_stat *s, const struct qvr_sample *smp);

/* s's token figures, created on first use. NULL on allocation failure. */
struct qvr_tok *qvr_stat_tok(struct qvr_stat *s);

/* Records one inter-token gap (us) into s alone / into total, the task
 * (task < 0: none) and the name stat (NULL: none). Gaps are recorded as
 * they arrive, before the request is complete. */
void qvr_stat_gap(struct qvr_stat *s, uint64_t gap_us);
void qvr_metrics_gap(struct qvr_metrics *m, int task, struct qvr_stat *name,
                     uint64_t gap_us);

/* Clears every figure of s, keeping its name and memory. */
void qvr_stat_reset(struct qvr_stat *s);

/* Records one request into total, the task (task < 0: none) and name stat
 * (NULL: none). */
void qvr_metrics_record(struct qvr_metrics *m, int task, struct qvr_stat *name,
                        const struct qvr_sample *s);

/* Counts a check result for the task and name (either may be absent). */
void qvr_metrics_check(struct qvr_metrics *m, int task, struct qvr_stat *name,
                       int ok);

/* Counts ok/failed under label in list 0 (checks) or 1 (task errors, where
 * the message is the label and every call counts as a failure). Past
 * QVR_MAX_LABELS distinct labels, new ones are only counted as dropped. */
void qvr_metrics_label(struct qvr_metrics *m, int list, const char *label,
                       int ok);

/* Counts one transport failure message of kind (text and where are
 * copied, cut to QVR_ERRMSG_LEN - 1 bytes; where may be NULL). The caller
 * redacts both first. Bounded: see struct qvr_errmsg. */
void qvr_metrics_errmsg(struct qvr_metrics *m, enum qvr_fail_kind kind,
                        const char *text, const char *where, uint64_t count);

/* 1 when two messages are one: they differ only in their runs of digits
 * ("timed out after 1001 ms" and "after 1002 ms"). */
int qvr_metrics_errmsg_same(const char *a, const char *b);

/* The kept message of kind seen most often (the first of equal counts), or
 * NULL when none was kept. */
const struct qvr_errmsg *qvr_metrics_errmsg_top(const struct qvr_metrics *m,
                                                enum qvr_fail_kind kind);

/* Clears the per-window histograms and counters of every stat. */
void qvr_metrics_window_reset(struct qvr_metrics *m);

/* Adds every cumulative and window figure of src into dst. Names missing in
 * dst are created. Tasks must match (same ntasks). Returns 0, QVR_ENOMEM or
 * QVR_EINVAL. */
int qvr_metrics_add(struct qvr_metrics *dst, const struct qvr_metrics *src);

/* Looks a stat up by threshold tag: key "task" or "name" (NULL key = total).
 * NULL when there is none. */
struct qvr_stat *qvr_metrics_find(struct qvr_metrics *m, const char *key,
                                  const char *value);

#endif
