/* compare.h -- `qvrrun compare BASE_DIR NEW_DIR`: a regression diff of two
 * runs' summary.json, side by side, with a verdict for CI.
 *
 * Compared for the totals and every request name present in both runs:
 * rps, p50, p90, p99 and the error rate. NEW is worse than BASE (exit 99)
 * when, beyond the tolerance, its rps is lower, its p50 or p99 is higher
 * (relative change, --tolerance, default 10%), or its error rate is higher
 * by more than --error-tolerance percentage points (absolute, default 1pp:
 * error rates near zero make relative changes meaningless). p90 is shown,
 * not gated. A name with fewer than QVR_COMPARE_MIN_REQUESTS requests in
 * either run is shown but not gated: its percentiles are noise.
 *
 * Noise: each percentile has its 95% interval (order-statistic bounds
 * from the summary's histogram). A change of p50 or p99 beyond the
 * tolerance is a regression only when the intervals are apart; a percentile
 * without the bound it needs (P99 of ~100 requests) is "too few requests to
 * judge", never a verdict. Runs that differ in scenario, target, users or load
 * are compared with a warning. */
#ifndef QVR_COMPARE_H
#define QVR_COMPARE_H

#include <stdio.h>

#define QVR_COMPARE_MIN_REQUESTS 20

struct qvr_compare_opts {
    double tolerance; /* relative, as a fraction (0.10 = 10%) */
    double error_pp;  /* error-rate tolerance, percentage points */
};

/* Compares base/summary.json with new/summary.json, prints the table and
 * the verdict on out. Returns the number of regressions beyond the
 * tolerance (0 or more), or a negative enum qvr_err with err naming the
 * file that is missing (QVR_ENOTFOUND) or unreadable or corrupt
 * (QVR_EIO, QVR_EINVAL). */
int qvr_compare_dirs(const char *base, const char *new_dir,
                     const struct qvr_compare_opts *o, FILE *out, char *err,
                     unsigned long errlen);

#endif
