/* gate.h -- the thresholds that need more than the final totals: windowed
 * ones (`p99[1m] < 5s`, which must hold in every sliding window of that
 * length) and trends (`rps_trend > -10%`, the change of a least-squares line
 * through the steady-phase windows from its start to its end).
 *
 * Memory is bounded by the longest threshold window: a ring of that many
 * compressed per-window histograms, never the whole run.
 *
 * Also the verdicts as the table and summary.json show them, and the drift
 * findings, which follow the scenario's trend thresholds; run.c and merge.c
 * share them. */
#ifndef QVR_GATE_H
#define QVR_GATE_H

#include <stdint.h>
#include <stdio.h>

#include "hist.h"
#include "plan.h"
#include "thresh.h"
#include "window_row.h"

struct qvr_gate;

/* Least-squares line through (x[i], y[i]), i < n; writes its values at x[0]
 * and x[n-1], and when half is not NULL the half-width of the 95%
 * confidence interval of their difference (y_last - y_first), from the
 * scatter of the points about the line (Student's t with n - 2 degrees of
 * freedom). Returns 0, or QVR_EINVAL when n < 3 or the x are all equal. */
int qvr_trend_fit(const double *x, const double *y, int n, double *y_first,
                  double *y_last, double *half);

/* The fewest steady windows a trend is fitted through. With fewer, a trend
 * threshold is not evaluated: reported "n/a" with the reason, a warning on
 * stderr, and it does not fail the gate (a 5 s run of a soak scenario
 * says nothing about drift, neither good nor bad). */
#define QVR_TREND_MIN_WINDOWS 5

/* A trend is also not evaluated when the windows can tell nothing: when
 * the 95% confidence interval of its change (change +- noise) holds both
 * 0 and the threshold's limit, they can neither tell a drift from a flat
 * line nor say on which side of the limit it lies. A 40 s soak at 3 req/s
 * has a P99 "trend" of +-30 to 50% from window-to-window scatter alone; a
 * gate that failed on it would fail one short run in three. Otherwise the
 * change is judged against the limit as usual: a change past the limit
 * whose interval leaves out 0 (a drift, if not surely past the limit)
 * fails, on any number of windows. The same rule keeps noise out of the
 * drift findings. Returns 1 when the trend is judged. */
int qvr_trend_decided(double change, double noise, double limit);

/* A fitted trend. */
struct qvr_trend {
    double change;      /* relative (rps, p50, p99) or absolute change of the
                           fraction (error rate); NaN when not fitted */
    double first, last; /* the line at the first and last steady window
                           (req/s, ms, or a fraction for the error rate) */
    double noise;       /* 95% half-width of change, in its unit; NaN
                           when not fitted */
    int windows;        /* steady windows fitted through */
    int lo, hi;         /* rows of the first and last of them; -1 none */
    double span_s;      /* start of the first to end of the last of them */
};

/* Fits the trend of a metric through the steady windows: the rows whose
 * window lies wholly after steady_from_s and that are full-length (at least
 * 90% of window_s); for latency and error rate only windows with requests
 * (an empty window has no percentile and no rate; for throughput it is a
 * real 0). Fills *t. Returns 0; QVR_EINVAL when there are fewer than
 * QVR_TREND_MIN_WINDOWS steady windows (t->windows says how many, change is
 * NaN), or when a relative change has no start (the line starts at or
 * below 0: change NaN, first and last set). */
int qvr_trend_eval(const struct qvr_window_row *rows, int n,
                   double steady_from_s, double window_s,
                   enum qvr_thresh_metric metric, struct qvr_trend *t);

/* qvr_trend_eval's change, and the line's ends in first and last (each may
 * be NULL). NaN when it cannot be fitted. */
double qvr_trend_value(const struct qvr_window_row *rows, int n,
                       double steady_from_s, double window_s,
                       enum qvr_thresh_metric metric, double *first,
                       double *last);

/* Evaluates every trend threshold of th (nth entries; the others are left
 * alone) over the rows, as qvr_trend_eval fits them: value, ok, evaluated.
 * One with too few steady windows is skipped (value NaN, ok 1, evaluated 0,
 * skipped 1, why "2 steady windows, a trend needs 5"); so is one whose
 * verdict noise decides (qvr_trend_decided: value kept, why "too noisy:
 * -12.5% +-44.5% (95%) through 34 windows, a range that holds both 0 and
 * the limit -10.0%"); one
 * whose line starts at 0 fails with its why. Warns on stderr once for each
 * of the two reasons when any was skipped for it. Returns the number
 * skipped. */
int qvr_gate_trends(struct qvr_plan_thresh *th, int nth,
                    const struct qvr_window_row *rows, int n,
                    double steady_from_s, double window_s);

/* The drift findings of a run, in words with the fitted numbers: "throughput
 * fell 8.0% over 10.0s (30.5 -> 28.1 req/s on the trend line through 10
 * windows), failing rps_trend > -5%". For each of throughput, P99, P50 and
 * error rate: when th holds a trend threshold on it, a finding exactly when
 * that threshold failed; otherwise the fixed limits (throughput -5%, P99 and
 * P50 +25%, error rate +2 pp) over a steady phase of at least 10 windows and
 * 30 s. Writes up to max malloc'd sentences to out (the caller frees them);
 * returns how many. */
int qvr_drift_findings(const struct qvr_plan_thresh *th, int nth,
                       const struct qvr_window_row *rows, int n,
                       double steady_from_s, double window_s, char **out,
                       int max);

/* 1 when f is a sentence of qvr_drift_findings (a merge makes those again
 * on the whole run instead of carrying a segment's), else 0. */
int qvr_drift_finding_is(const char *f);

/* Why a whole-run or windowed threshold has no value (pt->value NaN, not
 * skipped), when the reason is that what it reads never occurred: no
 * request had its tag (a task that never ran, a typo'd name), the run
 * completed no request, or no check ran. requests and checks are the
 * counts of the stat the threshold reads (0 when there is none); seen
 * lists the values of the threshold's tag key (request names or tasks)
 * that did have requests, nseen of them (borrowed). Sets pt->no_data and
 * pt->why, e.g. "no request had name=nope; names seen: rerank", the names
 * closest to the value first (at most QVR_GATE_SEEN_MAX, then "and N
 * more"), so that a typo shows. Such a threshold fails: a CI gate must not
 * pass on a task that never ran. Unlike a trend through too few windows
 * (the thing happened, the run was too short to fit a line), it is not
 * skipped. Returns 1 when it set them, else 0 (value not NaN, or NaN for
 * another reason). */
#define QVR_GATE_SEEN_MAX 3
int qvr_gate_no_data(struct qvr_plan_thresh *pt, uint64_t requests,
                     uint64_t checks, const char *const *seen, int nseen);

/* Warns once on stderr, naming every threshold of th (nth entries) that
 * failed for want of data, with why. Returns how many there were. */
int qvr_gate_warn_no_data(const struct qvr_plan_thresh *th, int nth);

/* A threshold's verdict as the table prints it: "ok", "FAIL", or "n/a" when
 * it was skipped. */
const char *qvr_gate_verdict(const struct qvr_plan_thresh *pt);

/* The table's line for a threshold: verdict, expression, the measured value
 * or why there is none. */
void qvr_gate_print(const struct qvr_plan_thresh *pt, FILE *out);

/* The run's one verdict line, without the "qvrrun: " prefix, into buf (len
 * bytes): "1 of 4 thresholds failed (p99 < 60ms: 216ms), exit 99" (the
 * first three that failed, with their measured values or "no data"), "all
 * 4 thresholds passed, exit 0" (", 1 n/a" when some were skipped), "no
 * thresholds, exit 0"; an exit code that is neither 0 nor 99 says why
 * ("interrupted", or reason when given). Returns the number that failed. */
int qvr_gate_summary(const struct qvr_plan_thresh *th, int nth, int exit_code,
                     const char *reason, char *buf, unsigned long len);

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

/* Token streams of the window that the next qvr_gate_window closes: its
 * TTFT, ITL and TPOT histograms (each may be NULL), streams completed and
 * their output tokens, for windowed ttft./itl./tpot. and
 * output_tokens_per_s thresholds. Call before qvr_gate_window; a window
 * without a call has no stream. NULL g is a no-op. */
void qvr_gate_tok(struct qvr_gate *g, const struct qvr_hist *const h[3],
                  uint64_t streams, uint64_t out_tokens);

/* At the end of the run: evaluates windowed thresholds that never had a full
 * window (a run shorter than the window) over everything seen, and sets
 * th[i].ok from the worst value. */
void qvr_gate_finish(struct qvr_gate *g);

#endif
