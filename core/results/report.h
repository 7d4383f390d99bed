/* report.h -- what a run leaves behind: summary.json (schema
 * qvrrun.summary/1), timeseries.csv, and the final table on the terminal.
 * Every file is written to a temporary name and renamed into place. */
#ifndef QVR_REPORT_H
#define QVR_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "metrics.h"
#include "plan.h"
#include "steps.h"
#include "window_row.h"

struct qvr_collect;

/* The users or the rate of a running load changed from outside the plan
 * (the dashboard's controls, web.h). */
struct qvr_load_change {
    double time_s;      /* since the measured start */
    int users;          /* the new users (users{}), or -1 */
    double rps;         /* the new arrival rate (rate{}), or 0 */
    const char *source; /* "web" (static) */
};

/* Everything the writers need; owned by run.c. */
struct qvr_run_result {
    const struct qvr_plan *plan;
    const char *target_url;  /* the URL actually used */
    const char *target_kind; /* "mock" or "http" */
    const char *out_dir;
    struct qvr_metrics *m;    /* the measured run */
    struct qvr_metrics *warm; /* warm-up requests, reported apart */
    double warm_first_ms;     /* the first request's time (a warm-up one
                                 when there was a warm-up) */
    double elapsed_s;         /* measured phase length */
    double started_wall_s;    /* Unix time of the measured start */
    int max_users;            /* most users running at once */
    struct qvr_window_row *rows;
    int nrows;
    int exit_code;
    int interrupted;          /* SIGINT/SIGTERM */
    const char *abort_reason; /* a threshold with abort = true failed */
    uint64_t cancelled;       /* in-flight requests dropped at the end */
    const struct qvr_collect *collect; /* extra timeseries columns, or NULL */
    const char *const *findings;
    int nfindings;
    /* step loads and sweeps */
    const struct qvr_step_row *steps;
    int nsteps;
    const struct qvr_knee *knee;
    const char *vary; /* the varied payload variable, or NULL */
    /* the open model (rate, rate steps, sweeps) */
    int open_model;
    double intended_rps; /* rate{}: the planned arrival rate */
    uint64_t started, late, dropped;
    double load_s;          /* from the start until the load stopped */
    double steady_from_s;   /* where the steady phase the trends are fitted
                               through starts (s since the start) */
    double start_gap_cv;    /* coefficient of variation of the gaps
                               between actual starts; NaN if < 2 */
    double gen_cpu_max_pct; /* the generator's busiest window */
    int gen_busy_windows;   /* windows above 90% of a core */
    double gen_lag_max_ms;  /* worst event-loop lag */
    double gen_lag_mean_ms;
    int threads;                  /* worker threads that ran the load */
    const char *const *step_hist; /* per step: its histogram, encoded */
    const struct qvr_load_change *changes; /* load_changes in summary.json */
    int nchanges;
    const char *stopped_by; /* "web": stopped from the dashboard; NULL */
    double stopped_at_s;    /* and when, since the measured start */
    /* closed models: response times corrected for coordinated omission
     * (qvr_hist_add_corrected), NULL for open models */
    const struct qvr_hist *co_hist;
    double co_interval_ms; /* the expected interval: a user's typical cycle */
    int co_detected;       /* a stall hid requests from the measured figures */
};

/* Latency of a stat's cumulative response-time histogram at percentile p,
 * in milliseconds. */
double qvr_report_pct_ms(const struct qvr_stat *s, double p);

struct qvr_thresh;
struct qvr_buf;

/* The token columns that end every timeseries.csv header (with their
 * leading comma), and one row's cells: empty when the window completed no
 * token stream. */
#define QVR_REPORT_TOK_COLUMNS                                                 \
    ",ttft_p50_ms,ttft_p99_ms,itl_p50_ms,itl_p99_ms,output_tokens_per_s"
void qvr_report_tok_cells(const struct qvr_window_row *w, struct qvr_buf *b);

/* The token figures of a window row from its three token histograms
 * (TTFT, ITL, TPOT; NULL: none) and counts. */
void qvr_report_tok_row(struct qvr_window_row *w,
                        const struct qvr_hist *const h[3], uint64_t streams,
                        uint64_t out_tokens);

/* A token threshold's whole-run value in s (ttft./itl./tpot. times in ms,
 * output_tokens_per_s over elapsed_s); NaN when s saw no stream (or no
 * value of that time). */
double qvr_report_tok_value(const struct qvr_stat *s,
                            const struct qvr_thresh *t, double elapsed_s);

/* The histogram of a token time (QVR_TS_TTFT, _ITL, _TPOT) of t, the
 * cumulative one or the current window's (win = 1). */
const struct qvr_hist *qvr_report_tok_hist(const struct qvr_tok *t, int src,
                                           int win);

/* Writes summary.json and timeseries.csv into r->out_dir. Returns 0, or
 * QVR_EIO with a one-line message naming the file in err. */
int qvr_report_write(const struct qvr_run_result *r, char *err,
                     unsigned long errlen);

/* Prints the final table (one row per name, then the total) and the
 * thresholds' verdicts. */
void qvr_report_print(const struct qvr_run_result *r, FILE *out);

/* Appends timeseries.csv's ten cells of window w to b, without the
 * newline: time_s,wall_s,users,requests,failures,rps,p50_ms,p90_ms,p99_ms,
 * max_ms. A window without requests has empty latency cells, never 0 (a
 * reader would plot a latency of zero). Returns qvr_buf_printf's result. */
struct qvr_buf;
int qvr_report_window_csv(struct qvr_buf *b, const struct qvr_window_row *w);

/* mkdir -p: creates path and its missing parents (0755). Returns 0 or
 * QVR_EIO with errno set. */
int qvr_report_mkdir_p(const char *path);

/* Writes data to dir/name atomically (temp file in dir, fsync, rename).
 * Returns 0 or QVR_EIO with err set. */
int qvr_report_write_file(const char *dir, const char *name, const char *data,
                          size_t len, char *err, unsigned long errlen);

#endif
