/* merge.h -- `qvrrun merge -o OUT DIR...`: the result directories of the
 * segments of one run (`--segment K/N`, on one machine or many) combined
 * into the result directory of the whole run.
 *
 * Exact where the inputs allow it: response and service time histograms are
 * added bucket by bucket (summary.json's histogram_us, latency.hlog's
 * windows), counters are summed, and every percentile, rate and threshold is
 * computed again from the sums. Windows are aligned by wall clock: each
 * segment window goes to the merged window (same length, counted from the
 * earliest segment start) that holds its midpoint, a midpoint on a boundary
 * going to the later one. What the inputs do not carry exactly (TTFB
 * percentiles, the percentiles of a step without a histogram) is bounded by
 * the worst segment and marked "exact": false.
 *
 * Memory is bounded by the number of request names and windows, never by
 * the number of requests: latency.hlog files are streamed side by side, one
 * merged window at a time. */
#ifndef QVR_MERGE_H
#define QVR_MERGE_H

#include <stdio.h>

#include "render.h"

/* Merges the segment result directories dirs[0..ndirs-1] into out, which
 * is created (with its parents) and must be missing or empty. Writes
 * summary.json (thresholds re-evaluated on the whole, findings of the
 * merged run), timeseries.csv, latency.hlog and, for step loads, steps.csv,
 * then renders charts and the files ro asks for (qvr_render; ro NULL: the
 * charts only). When table is not NULL the merged table (requests, rps,
 * p50, p99, error rate per name and in total, the thresholds) is printed
 * on it.
 *
 * Returns the number of failed thresholds (0 or more), or a negative enum
 * qvr_err with a one-line message in err:
 *   QVR_ESTATE     the directories are not the segments of one run (not a
 *                  segment, another scenario or config, an index given
 *                  twice, a different segment count, a segment missing),
 *                  a DIR is not a directory, or out is not empty; the
 *                  message names the directory (exit 2);
 *   QVR_ENOTFOUND, QVR_EINVAL, QVR_EIO, QVR_ENOMEM
 *                  a file is missing, corrupt or cannot be written; the
 *                  message names the file (exit 3). */
int qvr_merge_dirs(const char *out, const char *const *dirs, int ndirs,
                   const struct qvr_render_opts *ro, FILE *table, char *err,
                   unsigned long errlen);

#endif
