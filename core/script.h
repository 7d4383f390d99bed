/* script.h -- one Lua state per worker: the scenario file loaded, validated
 * and turned into a plan (what to send, how the load goes, what must hold).
 */
#ifndef QVR_SCRIPT_H
#define QVR_SCRIPT_H

#include <lua.h>
#include <stdint.h>

#include "sched.h"
#include "steps.h"
#include "thresh.h"
#include "vu.h"

struct qvr_task {
    char *name; /* owned */
    double weight;
    int fn_ref; /* registry ref of the task function */
};

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

struct qvr_script {
    lua_State *L;
    struct qvr_plan plan;
};

/* Creates a Lua state, runs the scenario file and validates what it returns
 * into s->plan, applying the overrides. On error returns NULL and writes a
 * one-line message (file:line: ...) to err; the exit code for it is
 * QVR_EXIT_USAGE. The caller frees with qvr_script_free. */
struct qvr_script *qvr_script_load(const char *file,
                                   const struct qvr_overrides *ov, char *err,
                                   unsigned long errlen);

void qvr_script_free(struct qvr_script *s);

#endif
