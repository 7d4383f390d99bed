/* gate.h -- the thresholds that need more than the final totals: windowed
 * ones (`p99[1m] < 5s`, which must hold in every sliding window of that
 * length) and trends (`rps_trend > -10%`, the change of a least-squares line
 * through the steady-phase windows from its start to its end).
 *
 * Memory is bounded by the longest threshold window: a ring of that many
 * compressed per-window histograms, never the whole run. */
#ifndef QVR_GATE_H
#define QVR_GATE_H

#include <stdint.h>

#include "hist.h"
#include "report.h"
#include "script.h"

struct qvr_gate;

/* Least-squares line through (x[i], y[i]), i < n; writes its values at x[0]
 * and x[n-1]. Returns 0, or QVR_EINVAL when n < 3 or the x are all equal. */
int qvr_trend_fit(const double *x, const double *y, int n, double *y_first,
                  double *y_last);

/* The trend of a metric over the rows whose window lies wholly after
 * steady_from_s and that are full-length: relative change for rps/p50/p99,
 * absolute change of the fraction for error_rate. NaN when there are fewer
 * than 3 such windows or the start value is 0 (relative). */
double qvr_trend_value(const struct qvr_window_row *rows, int n,
                       double steady_from_s, double window_s,
                       enum qvr_thresh_metric metric, double *first,
                       double *last);

/* Creates the ring for the windowed thresholds in th (nth entries; those
 * without a window are ignored). The caller frees with qvr_gate_free. NULL
 * on allocation failure. */
struct qvr_gate *qvr_gate_new(struct qvr_plan_thresh *th, int nth,
                              uint64_t window_ns);

void qvr_gate_free(struct qvr_gate *g);

/* Feeds one closed window (its response-time histogram, request and failure
 * counts and length in seconds) and evaluates every windowed threshold over
 * the sliding window ending here, keeping the worst value in th[i].value.
 * Returns 1 if a threshold with abort=true is now failing, else 0. */
int qvr_gate_window(struct qvr_gate *g, const struct qvr_hist *win,
                    uint64_t requests, uint64_t failures, double len_s,
                    double t_end_s);

/* At the end of the run: evaluates windowed thresholds that never had a full
 * window (a run shorter than the window) over everything seen, and sets
 * th[i].ok from the worst value. */
void qvr_gate_finish(struct qvr_gate *g);

#endif
