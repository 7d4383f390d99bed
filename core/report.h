/* report.h -- what a run leaves behind: summary.json (schema
 * qvrrun.summary/1), timeseries.csv, and the final table on the terminal.
 * Every file is written to a temporary name and renamed into place. */
#ifndef QVR_REPORT_H
#define QVR_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "metrics.h"
#include "script.h"
#include "steps.h"

struct qvr_collect;

/* One closed results window (all requests of the run). */
struct qvr_window_row {
    double t_s;    /* window end, seconds since the start */
    double wall_s; /* window end, Unix seconds */
    double len_s;  /* window length (the last one may be shorter) */
    int users;     /* users running at the end of the window */
    uint64_t requests, failures;
    double rps;
    double p50_ms, p90_ms, p99_ms, max_ms;
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
    /* closed models: response times corrected for coordinated omission
     * (qvr_hist_add_corrected), NULL for open models */
    const struct qvr_hist *co_hist;
    double co_interval_ms; /* the expected interval: a user's typical cycle */
    int co_detected;       /* a stall hid requests from the measured figures */
};

/* Latency of a stat's cumulative response-time histogram at percentile p,
 * in milliseconds. */
double qvr_report_pct_ms(const struct qvr_stat *s, double p);

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
