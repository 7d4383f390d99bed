/* expo.h -- Prometheus text exposition of a run's metrics
 * (`--metrics-listen ADDR`), so that Prometheus and Grafana can scrape
 * qvrrun while it runs.
 *
 * An evhttp server on the caller's event base answers GET /metrics with
 * the text format (version 0.0.4), built at scrape time from a borrowed
 * qvr_metrics: the server and the code that records into the metrics run
 * on the same thread, so nothing is locked or copied. Families:
 *
 *   qvrrun_requests_total{name}             counter, completed requests
 *   qvrrun_failures_total{name,kind}        counter, failed requests by kind
 *   qvrrun_latency_seconds{name}            histogram (_bucket, _sum, _count)
 *   qvrrun_latency_quantile_seconds{name,quantile}  summary, 0.5 0.9 0.99
 *                                           (with _sum and _count)
 *   qvrrun_users                            gauge, users running
 *
 * plus any number (up to QVR_EXPO_MAX_VALUES) of caller-set values, e.g.
 * the monitor's rolling-window percentiles or collected host/GPU samples.
 * Every request name is one label value; the sum over names equals the
 * summary's totals (a request recorded without a name shows up as
 * name="_unnamed"). Latencies are response times from the intended start,
 * as in summary.json. */
#ifndef QVR_EXPO_H
#define QVR_EXPO_H

#include "buf.h"
#include "metrics.h"

struct event_base;
struct qvr_expo;

#define QVR_EXPO_MAX_VALUES 64
#define QVR_EXPO_DEFAULT_ADDR "127.0.0.1:9464"

/* The latency histogram's upper bounds, in seconds (+Inf is implied). */
#define QVR_EXPO_NBUCKETS 21
extern const double qvr_expo_buckets[QVR_EXPO_NBUCKETS];

/* Starts serving on base at addr: "HOST:PORT", "[V6]:PORT", ":PORT" or
 * "PORT" (both bind 127.0.0.1: loopback unless a host is given); port 0
 * picks an ephemeral port (qvr_expo_port, qvr_expo_url). The socket is
 * listening when this returns. Returns the server, which the caller stops
 * with qvr_expo_stop before freeing base, or NULL with a one-line reason
 * in err (bad address, cannot bind). */
struct qvr_expo *qvr_expo_start(struct event_base *base, const char *addr,
                                char *err, unsigned long errlen);

/* Stops serving and frees e. NULL is a no-op. */
void qvr_expo_stop(struct qvr_expo *e);

/* The bound TCP port. */
int qvr_expo_port(const struct qvr_expo *e);

/* "http://HOST:PORT/metrics" of the bound socket (a static string owned
 * by e). */
const char *qvr_expo_url(const struct qvr_expo *e);

/* The metrics to expose from now on (borrowed; NULL: none). Call it again
 * when the owner switches metrics sets, e.g. after a warm-up. */
void qvr_expo_set_metrics(struct qvr_expo *e, const struct qvr_metrics *m);

/* The value of the qvrrun_users gauge. */
void qvr_expo_set_users(struct qvr_expo *e, int users);

/* Sets one extra sample: family (a metric name, [a-zA-Z_:][a-zA-Z0-9_:]*),
 * labels (the text between the braces, e.g. "quantile=\"0.5\"", or NULL /
 * "" for none; label values must already be escaped), counter (1: a
 * counter, 0: a gauge) and help (written once per family; the first one
 * set wins). The same family and labels overwrite the value; NaN is
 * written as NaN. Everything is copied. Returns 0, QVR_EINVAL for a bad
 * family name, or QVR_ERANGE when QVR_EXPO_MAX_VALUES distinct samples
 * are already set. */
int qvr_expo_value(struct qvr_expo *e, const char *family, const char *labels,
                   int counter, const char *help, double v);

/* Sets a summary family: n quantile samples (quantiles[i] in 0..1, its
 * value values[i]; NaN when unknown) plus family_sum and family_count.
 * Counts against QVR_EXPO_MAX_VALUES as n + 2 samples. Same returns as
 * qvr_expo_value. */
int qvr_expo_summary(struct qvr_expo *e, const char *family, const char *help,
                     int n, const double *quantiles, const double *values,
                     double sum, double count);

/* Appends the exposition text of e (metrics, users and extra values) to
 * out. Returns 0 or the qvr_buf error (QVR_ENOMEM, QVR_ERANGE). Exposed
 * for tests; the server calls it on every scrape. */
int qvr_expo_format(const struct qvr_expo *e, struct qvr_buf *out);

/* Appends the request families of m alone (requests, failures, latency
 * histogram, quantiles) to out; e is not needed. Same returns. */
int qvr_expo_format_metrics(const struct qvr_metrics *m, struct qvr_buf *out);

#endif
