/* locust.h -- Locust-compatible CSV files (`--csv PREFIX`), so dashboards
 * and notebooks written for Locust's output read qvrrun's unchanged.
 *
 * The four files carry Locust's exact header lines; times are milliseconds
 * with 3 significant digits. PREFIX_stats.csv: one row per request name,
 * then "Aggregated", from summary.json. PREFIX_stats_history.csv: one
 * "Aggregated" row per results window, with that window's own percentiles
 * (from latency.hlog) and the run's running totals. PREFIX_failures.csv:
 * failures grouped by name and error ("HTTP 500", "timeout", ...).
 * PREFIX_exceptions.csv: the task errors of summary.json's "errors". */
#ifndef QVR_LOCUST_H
#define QVR_LOCUST_H

#include "render.h"

#define QVR_LOCUST_STATS_HEADER                                                \
    "Type,Name,Request Count,Failure Count,Median Response Time,Average "      \
    "Response Time,Min Response Time,Max Response Time,Average Content "       \
    "Size,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,"        \
    "99.99%,100%"
#define QVR_LOCUST_HISTORY_HEADER                                              \
    "Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,66%,75%,80%,"    \
    "90%,95%,98%,99%,99.9%,99.99%,100%,Total Request Count,Total Failure "     \
    "Count,Total Median Response Time,Total Average Response Time,Total "      \
    "Min Response Time,Total Max Response Time,Total Average Content Size"
#define QVR_LOCUST_FAILURES_HEADER                                             \
    "Method,Name,Error,Occurrences,First Seen,Last Seen"
#define QVR_LOCUST_EXCEPTIONS_HEADER "Count,Message,Traceback,Nodes"

/* Writes PREFIX_stats.csv, PREFIX_stats_history.csv, PREFIX_failures.csv
 * and PREFIX_exceptions.csv (prefix: a path relative to the current
 * directory, or absolute), each atomically. Returns 0, or QVR_EIO /
 * QVR_ENOMEM / QVR_EINVAL (an empty file name) with err naming the file. */
int qvr_locust_write(const struct qvr_rdir *rd, const char *prefix, char *err,
                     unsigned long errlen);

#endif
