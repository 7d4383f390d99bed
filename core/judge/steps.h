/* steps.h -- step loads as results: one row per step (achieved against
 * intended users or rate, throughput, percentiles, errors), the knee and the
 * safe level, steps.csv and the step table. Pure: no clock, no I/O but the
 * writers. */
#ifndef QVR_STEPS_H
#define QVR_STEPS_H

#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "plan.h"

struct qvr_step_row {
    int index;         /* 1-based */
    const char *label; /* "baseline", "saturation", or NULL */
    int users;         /* closed: planned users; open: 0 */
    double rate;       /* open: planned arrivals per second; closed: 0 */
    double vary;       /* vary steps: the variable's value */
    int has_vary;
    double duration_s;     /* measured (hold) length */
    double start_s;        /* the hold's start, s since the measured start
                              (the charts shade it) */
    double achieved_users; /* mean users running during the hold */
    double achieved_rate;  /* open: iterations started per second */
    uint64_t requests, failures, late, dropped;
    uint64_t refused; /* answers 413/503/429: the target refusing */
    double rps;
    double p50_ms, p90_ms, p95_ms, p99_ms, max_ms;
    double error_rate;
    int under;  /* achieved < 90% of intended */
    int slo_ok; /* meets the SLO */
    char note[96];
    /* token streams of the hold (streams 0: none, the rest 0) */
    uint64_t streams, out_tokens;
    double ttft_p50_ms, ttft_p99_ms, tpot_p50_ms, tpot_p99_ms;
    double ttft_slo_ms, tpot_slo_ms; /* at the slo's percentiles */
};

struct qvr_knee {
    int knee;      /* index into rows of the knee step, -1 if none */
    int prev;      /* the step the knee was compared with, -1 */
    int safe;      /* last step before it that meets the SLO, -1 */
    int best_slo;  /* highest-throughput step meeting the SLO, -1 */
    int saturated; /* throughput stopped rising while P99 climbed */
};

/* 1 for a row that is a reference point, not a step of the curve: a
 * sweep's "baseline" (one user at a time) and "saturation" (closed-loop
 * probe of the ceiling). Their level is users, the curve's is a rate. */
int qvr_steps_reference(const struct qvr_step_row *r);

/* Marks under-delivering and SLO-breaking steps and finds the knee: the
 * first step whose throughput gain is under 10% of the ideal (linear) gain
 * from the step before, or that breaks the SLO; the safe step is the last
 * one before it that meets the SLO, best_slo the highest-throughput step
 * meeting it (a sweep's goodput). Only the steps of the curve count
 * (qvr_steps_reference rows are skipped): a sweep's knee, safe level and
 * goodput are rate steps, its first rate step is a knee only by breaking
 * the SLO, and each later one is compared with the rate step before it.
 * Writes notes into all rows. */
void qvr_steps_analyse(struct qvr_step_row *rows, int n,
                       const struct qvr_slo *slo, struct qvr_knee *k);

/* stop_on = "saturation": 1 when the last three steps of the curve show
 * throughput that has stopped rising (gain under 5% twice) while P99
 * climbed. */
int qvr_steps_saturated(const struct qvr_step_row *rows, int n);

/* steps.csv into b. */
void qvr_steps_csv(const struct qvr_step_row *rows, int n, const char *vary,
                   struct qvr_buf *b);

/* The step table on out. */
void qvr_steps_print(const struct qvr_step_row *rows, int n, const char *vary,
                     const struct qvr_knee *k, FILE *out);

#endif
