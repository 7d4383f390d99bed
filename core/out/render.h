/* render.h -- everything people read that is made from a result directory
 * alone: the charts (plot.c), Locust's CSV files (locust.c), the JUnit
 * report (junit.c), and `qvrrun report DIR`, which also recomputes
 * summary.json's percentiles from latency.hlog.
 *
 * A result directory is read, never trusted: summary.json (cJSON),
 * timeseries.csv (columns found by header name), latency.hlog (HdrHistogram
 * interval log v1.3) and, for step loads, steps.csv. The loaded form below
 * is shared by the writers; memory is bounded by the number of windows times
 * a few numbers, never by the number of requests (histograms are decoded one
 * window at a time and folded into one cumulative histogram per series). */
#ifndef QVR_RENDER_H
#define QVR_RENDER_H

#include <stddef.h>
#include <stdint.h>

#include "hist.h"

struct cJSON;

struct qvr_render_opts {
    const char *csv_prefix; /* Locust CSV files PREFIX_*.csv; NULL: none */
    const char *junit_file; /* JUnit XML report path; NULL: none */
    int no_plots;           /* write no charts (and no plot data) */
    int quiet;              /* no notes on stderr */
    int recompute;          /* rewrite summary.json's percentiles from
                               latency.hlog (`qvrrun report`) */
};

/* The percentiles Locust writes, in its column order (100% is the max). */
#define QVR_RENDER_NPCT 11
extern const double qvr_render_pcts[QVR_RENDER_NPCT];

/* One results window: a row of timeseries.csv joined with the untagged
 * line of latency.hlog that covers the same time. */
struct qvr_rwin {
    double end_s;  /* window end, seconds since the start */
    double len_s;  /* window length */
    double wall_s; /* window end, Unix seconds */
    int users;     /* users running at the end of the window */
    uint64_t requests, failures;
    double rps;                            /* requests / len_s */
    double p50_ms, p90_ms, p99_ms, max_ms; /* as timeseries.csv has them */
    int has_hist; /* pct_ms and cum_* come from latency.hlog */
    double pct_ms[QVR_RENDER_NPCT];      /* this window's own percentiles */
    uint64_t cum_requests, cum_failures; /* since the start */
    double cum_p50_ms, cum_mean_ms, cum_min_ms, cum_max_ms;
};

/* One latency series of the summary: the totals, then each request name. */
struct qvr_rseries {
    const char *name;   /* request name (borrowed from summary); NULL for
                           the totals */
    struct cJSON *obj;  /* its entry in summary.json (borrowed) */
    struct qvr_hist *h; /* cumulative response time (owned), or NULL */
    uint64_t max_us;    /* exact max from the log or summary, 0: none */
    int from_hlog;      /* h is the sum of the series' latency.hlog
                           windows (else the summary's histogram_us) */
    int tag_clash;      /* another name maps to the same hlog tag */
};

/* Consecutive windows merged for the charts of a long run (more windows
 * than a chart has pixels): counts summed, percentiles from the merged
 * histograms of latency.hlog (NaN without the log). */
struct qvr_rgroup {
    double end_s, len_s; /* end of the last window; summed length */
    int users;           /* users at the end */
    uint64_t requests, failures;
    double p50_ms, p90_ms, p99_ms, max_ms;
};

/* Groups are formed when a run has more windows than this. */
#define QVR_RENDER_MAX_POINTS 400

/* One row of steps.csv. */
struct qvr_rstep {
    double x;           /* users, rate or the varied variable */
    double users, rate; /* planned users (closed) or rate (open) */
    double rps, p99_ms, error_rate;
    int knee; /* the note says "knee" */
};

/* A loaded result directory. */
struct qvr_rdir {
    const char *dir;       /* borrowed */
    struct cJSON *summary; /* parsed summary.json (owned) */
    const char *scenario;  /* borrowed from summary; "" if absent */
    double duration_s;
    double steady_from_s; /* where the trends' steady phase starts; NaN in
                             a summary from before it was written */
    struct qvr_rwin *win; /* nwin windows in time order (owned) */
    int nwin;
    int no_users;               /* timeseries.csv has no users column (a summary
                                   rebuilt after a kill) */
    int partial;                /* summary.json says "partial": true */
    int has_hlog;               /* latency.hlog was read */
    double hlog_start;          /* its StartTime, Unix seconds */
    struct qvr_rseries *series; /* nseries: [0] totals, then names (owned) */
    int nseries;
    struct qvr_rgroup *grp; /* ngrp groups of group_k windows, or NULL
                               (group_k 1: the windows are few) */
    int ngrp, group_k;
    struct qvr_rstep *steps; /* nsteps rows of steps.csv, or NULL */
    int nsteps;
    char steps_x[64]; /* what steps[].x is: "users", "rate", ... */
};

/* Renders a result directory: charts (unless o->no_plots), Locust CSV
 * files when o->csv_prefix is set (PREFIX_stats.csv etc., the prefix a path
 * relative to the current directory), a JUnit report when o->junit_file is
 * set, and with o->recompute the percentiles of summary.json's totals and
 * names recomputed from latency.hlog (every other key kept). Every file is
 * written atomically. When gnuplot is missing the plot data is still
 * written and one note says the charts were skipped (not an error). A
 * failed chart does not stop the CSV files and the JUnit report: every
 * output is tried, the first failure is returned and the later ones are
 * warnings. Returns 0, or a negative enum qvr_err with a one-line message
 * naming the file in err: QVR_ENOTFOUND / QVR_EINVAL when an input file is
 * missing or corrupt, QVR_EIO when a file cannot be written, QVR_ENOMEM. */
int qvr_render(const char *dir, const struct qvr_render_opts *o, char *err,
               unsigned long errlen);

/* Loads dir into *rd (zeroed first). recompute selects whether the totals'
 * and names' histograms are rebuilt from latency.hlog (which must then
 * exist) or taken from summary.json's histogram_us. The caller releases
 * *rd with qvr_rdir_free, also after a failure. Returns 0 or a negative
 * enum qvr_err with err naming the file. */
int qvr_rdir_load(struct qvr_rdir *rd, const char *dir, int recompute,
                  char *err, unsigned long errlen);

/* One row of timeseries_by_name.csv: a request name's window. */
struct qvr_rname {
    double end_s; /* window end, seconds since the start */
    char *name;   /* owned */
    uint64_t requests, failures;
};

/* Loads dir/timeseries_by_name.csv into *rows (*n of them; the caller
 * frees with qvr_rnames_free, also after a failure). Returns 0,
 * QVR_ENOTFOUND when the file is absent (results of an older qvrrun),
 * or a negative enum qvr_err with err naming the file and line. */
int qvr_rnames_load(const char *dir, struct qvr_rname **rows, int *n, char *err,
                    unsigned long errlen);
void qvr_rnames_free(struct qvr_rname *rows, int n);

/* Releases what qvr_rdir_load allocated; safe on a zeroed struct. */
void qvr_rdir_free(struct qvr_rdir *rd);

/* Writes data to path (a file name relative to the current directory, or
 * absolute) through qvr_fs_write: a regular file atomically, a FIFO or a
 * device in place, a symbolic link followed. Returns 0 or QVR_EIO with err
 * naming the file. */
int qvr_render_write_path(const char *path, const char *data, size_t len,
                          char *err, unsigned long errlen);

/* The names of the files a run writes into its result directory, NULL
 * ended (summary.json, the logs, the charts, their data, the lock). */
extern const char *const qvr_render_own_files[];

/* Before a run or a report: every output o names (--junit FILE, --csv
 * PREFIX's four files) can be written (qvr_fs_check) and is neither the
 * scenario file (NULL: none) nor one of dir's own files nor another of the
 * outputs. Returns 0, or QVR_EINVAL with a one-line message naming the
 * flag and the path in err. */
int qvr_render_check_outputs(const struct qvr_render_opts *o, const char *dir,
                             const char *scenario, char *err,
                             unsigned long errlen);

/* `qvrrun report DIR` once its flags are read (cli/cmd_report.c): the
 * outputs checked, the directory locked (a running run's is refused), a
 * killed run's summary rebuilt from its logs (salvage.h), then qvr_render
 * with o. Prints its errors; returns the process exit code. */
int qvr_render_report_dir(const char *dir, const struct qvr_render_opts *o);

/* The latency in milliseconds of series s at percentile p (0..100); the
 * max when p >= 100. 0 when the series has no histogram or is empty. */
double qvr_rseries_pct_ms(const struct qvr_rseries *s, double p);

#endif
