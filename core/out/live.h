/* live.h -- the state of a running run or monitor as the dashboard draws
 * it (web.h, page.h): one JSON object per closed window, built with cJSON
 * from the run's own figures, so the page and summary.json never disagree
 * on what was measured.
 *
 * Keys: mode, scenario, target, phase, step, elapsed_s, planned_s,
 * window_s, users, max_users, open, intended_rps, achieved_rps, late,
 * dropped, requests, failures, error_rate, rps, total, names, tasks
 * (rows [name, requests, failures, req/s, p50, p90, p99, max] in ms; at
 * most QVR_LIVE_MAX_NAMES names, the busiest, with names_total), thresholds
 * ([{expr, measured, state, why}]), findings, errors ([kind, count]),
 * task_errors ([message, count]), last_error, distribution ([percentile,
 * ms] of the run so far), steps ([x, req/s, p99, error rate, knee]),
 * steps_x, knee, changes ([{time_s, users|rps, source}]), controls
 * ({stop, users, rate}), alerts (monitor), collect (the names of the
 * collected columns of each window's eighth element). */
#ifndef QVR_LIVE_H
#define QVR_LIVE_H

#include <stdint.h>

#include "metrics.h"
#include "report.h"
#include "steps.h"

#define QVR_LIVE_MAX_NAMES 50

/* One threshold as it stands: state is "holding", "failing", "no data
 * yet", "at the end" (trends), or for a monitor "alert". */
struct qvr_live_thresh {
    const char *expr; /* borrowed */
    char measured[48];
    const char *state; /* static */
    const char *why;   /* borrowed, or NULL */
};

struct qvr_live {
    const char *mode;     /* "run" or "monitor" */
    const char *scenario; /* borrowed, as every pointer below */
    const char *target;   /* already redacted */
    const char *phase;    /* "warm-up", "run", "steps", "drain", "done" */
    char step[32];        /* "2/4" during a step load, else "" */
    double elapsed_s, planned_s, window_s;
    int users, max_users;
    int open; /* an arrival-rate load: the rate figures below */
    double intended_rps, achieved_rps;
    uint64_t late, dropped;
    const struct qvr_metrics *m; /* the figures so far (NULL: none yet) */
    const struct qvr_live_thresh *thresh;
    int nthresh;
    const char *const *findings;
    int nfindings;
    const struct qvr_step_row *steps;
    int nsteps;
    const char *steps_x; /* "users", "rate", or the varied variable */
    const struct qvr_load_change *changes;
    int nchanges;
    const char *last_error; /* already redacted, or NULL */
    const char *const *alerts;
    int nalerts;
    int can_stop, can_users, can_rate;
    const char *collect_columns; /* ",cpu_pct,..." (qvr_collect_columns): the
                                    collected samples of each window */
};

/* The state as a JSON object (malloc'd; the caller frees), or NULL when
 * out of memory. */
char *qvr_live_state(const struct qvr_live *in);

/* A window as the page's row [time_s, p50_ms, p90_ms, p99_ms, rps,
 * failures_per_s, users], with an eighth element when collect_row is not
 * NULL: the window's collected samples, collect_row's cells
 * (",37.5,1024,,": qvr_collect_row) as numbers or null. malloc'd; NULL when
 * out of memory. */
char *qvr_live_window(const struct qvr_window_row *w, const char *collect_row);

/* Appends to a the comma-separated cells of cells (",a,b,,c", each cell
 * after a comma): as strings when names, else as numbers (null when empty
 * or not a number). */
struct cJSON;
void qvr_live_cells(struct cJSON *a, const char *cells, int names);

#endif
