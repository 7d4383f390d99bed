/* thresh.h -- threshold expressions: parse and check.
 *
 * A threshold is a key and a condition, as in a scenario's `thresholds`
 * table: key `metric[{tag=value,...}][[window]]`, condition `OP number[unit]`,
 * e.g. key "p99{task=multimodal}" with condition "< 6s", "error_rate[30s]"
 * with "< 5%", "rps_trend" with "> -10%".
 *
 * This module only parses and compares; the caller computes the measured
 * value for a parsed threshold (it knows the metrics) and passes it to
 * qvr_thresh_check. No allocation: everything lives in the struct. */
#ifndef QVR_THRESH_H
#define QVR_THRESH_H

#include <stdint.h>

enum qvr_thresh_metric {
    QVR_TM_PCTL, /* p50 p90 p95 p99 p99.9 ... (t->pct) */
    QVR_TM_MIN,
    QVR_TM_MAX,
    QVR_TM_MEAN,
    QVR_TM_RPS,        /* requests per second */
    QVR_TM_ERROR_RATE, /* failures / requests, a fraction */
    QVR_TM_CHECKS,     /* passed checks / all checks, a fraction */
    QVR_TM_GOODPUT,    /* requests per second that met the slo */
    QVR_TM_RPS_TREND,  /* trends: relative change start->end */
    QVR_TM_P50_TREND,
    QVR_TM_P99_TREND,
    QVR_TM_ERROR_RATE_TREND, /* absolute change of the fraction (pp / 100) */
    QVR_TM_OUT_TPS,          /* output tokens per second (token streams) */
    QVR_TM_TASK_ERRORS /* iterations ended by a Lua error: a count, or with
                          % a fraction of the iterations (kind RATIO) */
};

/* Which time a latency metric (pNN, min, max, mean, p50/p99 trends)
 * measures: the response time, or a token stream's time to first token,
 * inter-token latency or time per output token ("ttft.p99"). */
enum qvr_thresh_src { QVR_TS_LATENCY, QVR_TS_TTFT, QVR_TS_ITL, QVR_TS_TPOT };

/* The unit family of a metric and so of its canonical value. */
enum qvr_thresh_kind {
    QVR_TK_LATENCY, /* milliseconds */
    QVR_TK_RATE,    /* per second */
    QVR_TK_RATIO,   /* fraction 0..1 */
    QVR_TK_TREND,   /* fraction of change; +0.25 = +25% (pp: 0.01 per pp) */
    QVR_TK_COUNT    /* a number of events (task_errors "< 10") */
};

enum qvr_thresh_op { QVR_OP_LT, QVR_OP_LE, QVR_OP_GT, QVR_OP_GE, QVR_OP_EQ };

#define QVR_THRESH_MAX_TAGS 4
#define QVR_THRESH_TAG_LEN 64
#define QVR_THRESH_EXPR_LEN 256

struct qvr_thresh_tag {
    char key[16]; /* task, name, step or status */
    char value[QVR_THRESH_TAG_LEN];
};

struct qvr_thresh {
    char expr[QVR_THRESH_EXPR_LEN]; /* "key cond", normalised spacing */
    char metric_name[24];           /* "p99", "error_rate", "rps_trend" */
    enum qvr_thresh_metric metric;
    enum qvr_thresh_kind kind;
    enum qvr_thresh_src src; /* ttft., itl., tpot. prefixes */
    double pct;              /* for QVR_TM_PCTL: 50, 99.9, ... */
    int ntags;
    struct qvr_thresh_tag tags[QVR_THRESH_MAX_TAGS];
    uint64_t window_ns; /* 0 = whole run; else sliding window */
    enum qvr_thresh_op op;
    double target;     /* canonical unit of kind */
    int abort;         /* stop the run when it fails */
    uint64_t after_ns; /* abort only after this much time */
};

/* Parses key + cond into *t (zeroed first). Units: latency us|ms|s|m
 * (bare number = ms); ratios % or a bare fraction (a bare number above 1 is
 * ambiguous and rejected); rate: bare number, or "/s"; trends: % (relative
 * change) for rps/p50/p99 trends, pp only for error_rate_trend (its value is
 * an absolute change, so % is rejected there). No space between number and
 * unit; a '-' sign only on trends. task_errors takes a bare count ("< 10",
 * kind COUNT) or a share of the iterations ("< 5%", kind RATIO). Tags may only
 * be task, name, step, status; windows are durations ("30s", "1m") after any
 * tags and are not allowed on trends. abort/after_ns are left 0 (they come from
 * the Lua table). Returns 0, or QVR_EINVAL with a one-line reason written to
 * err (errlen bytes; err may be NULL) such as "unknown metric 'p98x'"; *t is
 * zeroed on error. */
int qvr_thresh_parse(const char *key, const char *cond, struct qvr_thresh *t,
                     char *err, unsigned long errlen);

/* Parses one expression "KEY OP VALUE" as given on the command line
 * (--threshold 'p99 < 2s', 'error_rate{name=x}<5%'): the key ends at the
 * first of < > = ! outside {tags} and [window]; the rest is the condition.
 * Returns as qvr_thresh_parse, with "expected METRIC OP VALUE" when no
 * operator is found. */
int qvr_thresh_parse_expr(const char *expr, struct qvr_thresh *t, char *err,
                          unsigned long errlen);

/* 1 when value (in the threshold's canonical unit) meets the condition,
 * else 0. NaN never meets it. */
int qvr_thresh_check(const struct qvr_thresh *t, double value);

/* Same key (metric, tags, window) in both: used to reject duplicates such
 * as "p99" and "p99{}" written twice. */
int qvr_thresh_same_key(const struct qvr_thresh *a, const struct qvr_thresh *b);

/* Formats a canonical value with the threshold's natural unit ("0.25ms",
 * "812ms", "3.42s", "2.40%", "41.1/s", "-12.0%", "+2.00pp", a count "25";
 * NaN "n/a")
 * into buf (len bytes, truncated to fit). Returns buf. */
char *qvr_thresh_fmt_value(const struct qvr_thresh *t, double value, char *buf,
                           unsigned long len);

/* A threshold of the plan and its verdict once evaluated. */
struct qvr_plan_thresh {
    struct qvr_thresh t;
    double value; /* measured, canonical unit; NAN when not measurable */
    int ok;       /* verdict after evaluation (1 when skipped) */
    int evaluated;
    int skipped;   /* could not be evaluated (a trend through too few
                      windows): neither held nor failed */
    int no_data;   /* failed for want of data: what it reads never occurred
                      (a task that never ran, a typo'd name); why says so */
    char why[256]; /* why value is NaN, for the table and summary.json */
};

#endif
