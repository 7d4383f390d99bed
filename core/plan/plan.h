/* plan.h -- the scenario as plain data: what to send (tasks, think time),
 * how the load goes (sched.h), the SLO, what to collect, and the
 * command-line overrides. No <lua.h>: the Lua host (lua/script.c) builds a
 * plan, everything else reads it. The thresholds are declared here only by
 * name; thresh.h (judge) defines them with their verdicts. */
#ifndef QVR_PLAN_H
#define QVR_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "sched.h"

struct qvr_plan_thresh;

enum qvr_wait_kind {
    QVR_WAIT_NONE,
    QVR_WAIT_BETWEEN,  /* uniform in [a, b] seconds after each iteration */
    QVR_WAIT_CONSTANT, /* a seconds after each iteration */
    QVR_WAIT_PACING    /* iterations start every a seconds */
};

struct qvr_wait {
    enum qvr_wait_kind kind;
    double a, b; /* seconds */
};

struct qvr_slo {
    double p99_ms;     /* latency bound (0: none) */
    double pct;        /* its percentile (99 by default) */
    double error_rate; /* error-rate bound, fraction */
    double ttft_ms;    /* token streams: time to first token bound (0: none) */
    double ttft_pct;   /* its percentile */
    double tpot_ms;    /* time per output token bound (0: none) */
    double tpot_pct;
};

struct qvr_task {
    char *name; /* owned */
    double weight;
    int fn_ref; /* registry ref of the task function */
};

/* Command-line values that override the scenario (unset: < 0 / NULL). */
struct qvr_overrides {
    const char *target;
    int users;
    double spawn_rate;
    int64_t duration_ns;
    double rps;               /* --rate: rate{} arrivals per second */
    int seg_index, seg_count; /* --segment K/N; 0 when none */
    int nenv;
    const char *const *env; /* "KEY=VALUE" pairs for env() */
    int quiet_top;          /* 1: log() outside a task prints nothing (a
                               worker thread's copy of a scenario the main
                               thread has loaded, and printed, already) */
    int nthresh;
    const char *const *thresh; /* --threshold "KEY OP VALUE": each replaces
                                  the scenario's of the same key, or adds */
};

struct qvr_plan {
    char *file;   /* scenario path as given */
    char *name;   /* scenario name (default: file's basename) */
    char *target; /* base URL, or "mock" */
    int target_is_mock;
    int mock_argc; /* target = "mock": flags for the mock */
    char **mock_argv;
    struct qvr_load load;      /* what this process runs (its segment) */
    struct qvr_load load_full; /* the scenario's whole load */
    int seg_index, seg_count;  /* --segment K/N (1-based); 0 when none */
    struct qvr_wait wait;
    int ntasks;
    struct qvr_task *tasks;
    double *task_cumw;   /* ntasks cumulative weights */
    int *task_refs;      /* ntasks refs, for the VU context */
    int warmup_requests; /* warm-up: stop after this many requests (0: no
                            limit) */
    uint64_t warmup_ns;  /* or after this long (0: no limit) */
    int nthresh;
    struct qvr_plan_thresh *thresh;
    long timeout_ms;
    uint64_t grace_ns;  /* in-flight work allowed after the end */
    uint64_t window_ns; /* results window (default 1 s) */
    size_t max_body;
    int insecure;
    struct qvr_slo slo; /* knee, goodput (default p99 < 5s, err < 5%) */
    /* collect = { host =, gpu =, prometheus =, headers = {...} } */
    int collect_host;   /* host CPU and memory from /proc */
    char *collect_gpu;  /* "nvidia-smi" (the command), or NULL */
    char *collect_prom; /* target's Prometheus URL, or NULL */
    int ncollect_headers;
    char **collect_headers; /* answer headers recorded as metrics */
    char *on_alert;         /* monitor: command run on alert changes */
    int nredact;
    char **redact; /* extra secret header names */
};

#endif
