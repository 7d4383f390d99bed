/* run.h -- `qvrrun SCENARIO.lua`: load the scenario, start the built-in
 * mock when it is the target, drive the load, print progress, evaluate the
 * thresholds and write the results. */
#ifndef QVR_RUN_H
#define QVR_RUN_H

#include "script.h"

struct qvr_run_opts {
    const char *scenario;       /* path of the scenario file */
    struct qvr_overrides ov;    /* command-line overrides */
    const char *out_dir;        /* NULL: results/<name>-<UTC stamp> */
    int quiet;                  /* no progress lines */
    int no_plots;               /* skip the charts */
    const char *csv_prefix;     /* --csv: Locust-compatible CSV files */
    const char *junit_file;     /* --junit: thresholds as a JUnit report */
    double start_at;            /* --start-at: Unix seconds; 0 = now */
    int threads;                /* --threads; 0 = automatic */
    const char *metrics_listen; /* --metrics-listen ADDR, or NULL */
    int force;             /* --force: replace another run's results in --out */
    const char *web;       /* --web ADDR (the dashboard), or NULL */
    const char *web_token; /* --web-token or QVR_WEB_TOKEN, or NULL */
};

/* Runs a scenario to the end (or to SIGINT/SIGTERM) and returns the process
 * exit code: 0 thresholds held, 99 a threshold failed, 2 scenario or usage
 * error, 3 the run could not be carried out, 130 interrupted (results
 * written). A run stopped from the dashboard (--web) ends as a normal run
 * does, judged on what it measured (0 or 99). */
int qvr_run_main(const struct qvr_run_opts *o);

#endif
