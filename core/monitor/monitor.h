/* monitor.h -- `qvrrun monitor SCENARIO.lua|URL`: one probe per interval,
 * all day long, with P50/P90/P99 over a rolling window of the last
 * `window` probes, a history file that survives kill -9 and restarts, a
 * trend chart, alerts, and a CI gate with --duration (docs/monitor.md). */
#ifndef QVR_MONITOR_H
#define QVR_MONITOR_H

#include <stdint.h>

/* The probe of `qvrrun monitor URL`: the standard rerank request. */
#define QVR_MONITOR_INSTRUCTION "Re-rank for visual-text alignment."
#define QVR_MONITOR_QUERY "A red sports car driving on mountain road"
#define QVR_MONITOR_DOC1 "High-performance vehicle on winding asphalt"
#define QVR_MONITOR_DOC2 "Old sedan parked in garage"
#define QVR_MONITOR_IMAGE "examples/data/camera.png"

/* What `qvrrun monitor`'s flags say (unset: 0 / NULL; duration -1). The
 * arrays are borrowed for the call. */
struct qvr_monitor_opts {
    const char *what;     /* scenario file, URL or "mock" */
    uint64_t interval_ns; /* 0: the scenario's */
    int window;           /* 0: the scenario's */
    int64_t duration_ns;  /* -1: the scenario's (0 there = forever) */
    const char *out_dir;
    const char *target;
    const char *metrics_listen;
    const char *web;       /* --web ADDR: the dashboard */
    const char *web_token; /* --web-token or QVR_WEB_TOKEN */
    const char *on_alert;
    const char *image;
    const char *name;
    uint64_t timeout_ns;
    int quiet, no_plots;
    int nenv;
    const char **env;
    int nthresh;
    const char **thresh; /* --threshold expressions */
};

/* Runs `qvrrun monitor` (its flags: cli/cmd_monitor.c):
 *
 *   SCENARIO.lua | URL | mock   what to probe (URL: the standard rerank
 *                               probe POSTed to URL, /api/rerank when the
 *                               URL has no path; mock: the built-in mock)
 *   --interval D  --window N    override every{interval, window}
 *   --duration D                stop after D (default: never)
 *   --out DIR                   default results/monitor-<name>/ (fixed, so
 *                               a restart continues the history)
 *   --target URL  -e K=V        scenario overrides
 *   --threshold EXPR            e.g. 'p99<5s', 'error_rate<5%' (repeat)
 *   --on-alert CMD              run on alert changes (/bin/sh -c)
 *   --metrics-listen ADDR       Prometheus exposition (expo.h)
 *   --timeout D                 URL probe timeout (default 60s)
 *   --image PATH  --name NAME   URL probe's image; the monitor's name
 *   --quiet  --no-plots
 *
 * The process must have run qvr_http_global_init. Returns the exit code:
 * 0; 99 with --duration when a threshold failed at any time during the
 * run; 2 for a usage or scenario error (a scenario whose load is not
 * every{}); 3 when the monitor cannot run (out directory not writable,
 * mock cannot start); 130 after SIGINT/SIGTERM, everything written. */
int qvr_monitor_main(const struct qvr_monitor_opts *o);

#endif
