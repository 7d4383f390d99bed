/* test_expo.c -- the Prometheus exposition: exact counters, histogram
 * buckets and quantiles for known samples, the extra values, address
 * parsing, and the server answering a real HTTP GET on loopback. The text
 * format itself is also checked with promtool in tests/e2e/monitor_expo.sh.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "expo.h"
#include "metrics.h"
#include "qvr.h"
#include "t.h"

/* The value of the sample line that starts with series + " ", or -1. */
static double sample(const char *text, const char *series)
{
    size_t n = strlen(series);
    for (const char *p = text; p && *p;) {
        if (strncmp(p, series, n) == 0 && p[n] == ' ')
            return strtod(p + n + 1, NULL);
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return -1;
}

static int count_lines(const char *text, const char *prefix)
{
    int n = 0;
    size_t len = strlen(prefix);
    for (const char *p = text; p && *p;) {
        n += strncmp(p, prefix, len) == 0;
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return n;
}

static void rec(struct qvr_metrics *m, struct qvr_stat *name, uint64_t us,
                int status, enum qvr_fail_kind fail)
{
    struct qvr_sample s;
    memset(&s, 0, sizeof(s));
    s.response_us = us;
    s.service_us = us;
    s.status = status;
    s.fail = fail;
    qvr_metrics_record(m, 0, name, &s);
}

struct bucket_case {
    const char *le;
    double want;
};

static void test_format(void)
{
    const char *tasks[] = {"probe"};
    struct qvr_metrics *m = qvr_metrics_new(1, tasks);
    struct qvr_stat *rr = qvr_metrics_name(m, "rerank");
    struct qvr_stat *hl = qvr_metrics_name(m, "he\"alth");
    rec(m, rr, 1000, 200, QVR_FAIL_NONE); /* exactly 1 ms */
    rec(m, rr, 5000, 200, QVR_FAIL_NONE); /* exactly on 5 ms */
    rec(m, rr, 5100, 503, QVR_FAIL_HTTP_5XX);
    rec(m, rr, 2000000, 0, QVR_FAIL_TIMEOUT); /* exactly 2 s */
    for (int i = 0; i < 3; i++)
        rec(m, hl, 100, i ? 200 : 404, i ? QVR_FAIL_NONE : QVR_FAIL_HTTP_4XX);
    rec(m, NULL, 300000, 200, QVR_FAIL_NONE); /* no name */

    struct qvr_buf b;
    qvr_buf_init(&b, 0);
    T_EQ_INT(qvr_expo_format_metrics(m, &b), 0);
    const char *t = b.data;
    T_CHECK(t != NULL);

    T_NEAR(sample(t, "qvrrun_requests_total{name=\"rerank\"}"), 4, 0);
    T_NEAR(sample(t, "qvrrun_requests_total{name=\"he\\\"alth\"}"), 3, 0);
    T_NEAR(sample(t, "qvrrun_requests_total{name=\"_unnamed\"}"), 1, 0);
    T_NEAR(
        sample(t, "qvrrun_failures_total{name=\"rerank\",kind=\"http_5xx\"}"),
        1, 0);
    T_NEAR(sample(t, "qvrrun_failures_total{name=\"rerank\",kind=\"timeout\"}"),
           1, 0);
    T_NEAR(
        sample(t, "qvrrun_failures_total{name=\"rerank\",kind=\"http_4xx\"}"),
        0, 0);
    T_NEAR(sample(t, "qvrrun_failures_total{name=\"he\\\"alth\","
                     "kind=\"http_4xx\"}"),
           1, 0);
    /* every kind of every name and the remainder */
    T_EQ_INT(count_lines(t, "qvrrun_failures_total{"),
             3 * (QVR_FAIL__COUNT - 1));
    T_EQ_INT(count_lines(t, "# TYPE qvrrun_latency_seconds histogram"), 1);

    static const struct bucket_case rerank[] = {
        {"0.001", 1}, {"0.0025", 1}, {"0.005", 2}, {"0.01", 3},
        {"1.5", 3},   {"2", 4},      {"120", 4},   {"+Inf", 4},
    };
    for (size_t i = 0; i < QVR_ARRAY_LEN(rerank); i++) {
        char series[128];
        snprintf(series, sizeof(series),
                 "qvrrun_latency_seconds_bucket{name=\"rerank\",le=\"%s\"}",
                 rerank[i].le);
        T_CHECK_MSG(sample(t, series) == rerank[i].want, "%s = %g, want %g",
                    series, sample(t, series), rerank[i].want);
    }
    T_EQ_INT(count_lines(t, "qvrrun_latency_seconds_bucket{name=\"rerank\""),
             QVR_EXPO_NBUCKETS + 1);
    T_NEAR(sample(t, "qvrrun_latency_seconds_count{name=\"rerank\"}"), 4, 0);
    T_NEAR(sample(t, "qvrrun_latency_seconds_sum{name=\"rerank\"}"), 2.0111,
           1e-9);
    T_NEAR(sample(t, "qvrrun_latency_seconds_bucket{name=\"he\\\"alth\","
                     "le=\"0.001\"}"),
           3, 0);
    /* quantiles: p50 of {1, 5, 5.1, 2000} ms is 5 ms (HDR: within 0.1%) */
    T_NEAR(sample(t, "qvrrun_latency_quantile_seconds_sum{name=\"rerank\"}"),
           2.0111, 1e-9);
    T_NEAR(sample(t, "qvrrun_latency_quantile_seconds{name=\"rerank\","
                     "quantile=\"0.5\"}"),
           0.005, 0.005 * 0.001);
    T_NEAR(sample(t, "qvrrun_latency_quantile_seconds{name=\"rerank\","
                     "quantile=\"0.99\"}"),
           2.0, 2.0 * 0.001);
    qvr_buf_free(&b);

    /* an empty set: counters 0, quantiles NaN */
    struct qvr_metrics *e = qvr_metrics_new(1, tasks);
    qvr_metrics_name(e, "x");
    qvr_buf_init(&b, 0);
    qvr_expo_format_metrics(e, &b);
    T_NEAR(sample(b.data, "qvrrun_requests_total{name=\"x\"}"), 0, 0);
    T_CHECK(strstr(b.data, "quantile=\"0.9\"} NaN\n") != NULL);
    T_NEAR(sample(b.data, "qvrrun_latency_seconds_bucket{name=\"x\","
                          "le=\"+Inf\"}"),
           0, 0);
    qvr_buf_free(&b);
    qvr_metrics_free(e);
    qvr_metrics_free(m);
}

/* ---- the server ---------------------------------------------------------- */

struct fetch {
    int status;
    struct qvr_buf body;
    int done;
};

static void fetch_done(struct evhttp_request *req, void *arg)
{
    struct fetch *f = arg;
    f->done = 1;
    if (!req)
        return;
    f->status = evhttp_request_get_response_code(req);
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t n = evbuffer_get_length(in);
    char *p = (char *)evbuffer_pullup(in, (ev_ssize_t)n);
    qvr_buf_append(&f->body, p ? p : "", n);
}

static void get(struct event_base *base, int port, const char *path,
                struct fetch *f)
{
    memset(f, 0, sizeof(*f));
    qvr_buf_init(&f->body, 0);
    struct evhttp_connection *c =
        evhttp_connection_base_new(base, NULL, "127.0.0.1", (ev_uint16_t)port);
    struct evhttp_request *req = evhttp_request_new(fetch_done, f);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Host",
                      "127.0.0.1");
    evhttp_make_request(c, req, EVHTTP_REQ_GET, path);
    struct timeval tv = {0, 10000};
    for (int i = 0; i < 500 && !f->done; i++) {
        event_base_loopexit(base, &tv);
        event_base_dispatch(base);
    }
    evhttp_connection_free(c);
}

static void test_server(void)
{
    struct event_base *base = event_base_new();
    char err[256] = "";
    struct qvr_expo *e = qvr_expo_start(base, ":0", err, sizeof(err));
    T_CHECK_MSG(e != NULL, "%s", err);
    if (!e) {
        event_base_free(base);
        return;
    }
    T_CHECK(qvr_expo_port(e) > 0);
    char want[64];
    snprintf(want, sizeof(want), "http://127.0.0.1:%d/metrics",
             qvr_expo_port(e));
    T_EQ_STR(qvr_expo_url(e), want);

    const char *tasks[] = {"probe"};
    struct qvr_metrics *m = qvr_metrics_new(1, tasks);
    struct qvr_stat *st = qvr_metrics_name(m, "probe");
    for (int i = 0; i < 7; i++)
        rec(m, st, 2000 + (uint64_t)i, i == 3 ? 500 : 200,
            i == 3 ? QVR_FAIL_HTTP_5XX : QVR_FAIL_NONE);
    qvr_expo_set_metrics(e, m);
    qvr_expo_set_users(e, 3);
    T_EQ_INT(
        qvr_expo_value(e, "qvrrun_host_gauge", "x=\"a\"", 0, "A gauge.", 1.5),
        0);
    T_EQ_INT(qvr_expo_value(e, "qvrrun_monitor_late_total", NULL, 1,
                            "Late probes.", 2),
             0);
    T_EQ_INT(qvr_expo_value(e, "qvrrun_host_gauge", "x=\"b\"", 0, NULL, 4.25),
             0);
    /* overwrite */
    T_EQ_INT(qvr_expo_value(e, "qvrrun_host_gauge", "x=\"a\"", 0, NULL, 1.75),
             0);
    static const double q[] = {0.5, 0.99};
    double qv[] = {0.25, NAN};
    T_EQ_INT(qvr_expo_summary(e, "qvrrun_window_seconds", "Window.", 2, q, qv,
                              3.5, 9),
             0);
    qv[1] = 0.75;
    T_EQ_INT(qvr_expo_summary(e, "qvrrun_window_seconds", "Window.", 2, q, qv,
                              4.5, 10),
             0);
    T_EQ_INT(qvr_expo_value(e, "9bad", NULL, 0, "x", 1), QVR_EINVAL);
    T_EQ_INT(qvr_expo_value(e, "bad-name", NULL, 0, "x", 1), QVR_EINVAL);

    struct fetch f;
    get(base, qvr_expo_port(e), "/metrics", &f);
    T_EQ_INT(f.status, 200);
    const char *t = f.body.data ? f.body.data : "";
    T_NEAR(sample(t, "qvrrun_requests_total{name=\"probe\"}"), 7, 0);
    T_NEAR(sample(t, "qvrrun_failures_total{name=\"probe\",kind=\"http_5xx\"}"),
           1, 0);
    T_NEAR(sample(t, "qvrrun_users"), 3, 0);
    T_NEAR(sample(t, "qvrrun_host_gauge{x=\"a\"}"), 1.75, 0);
    T_NEAR(sample(t, "qvrrun_host_gauge{x=\"b\"}"), 4.25, 0);
    T_NEAR(sample(t, "qvrrun_monitor_late_total"), 2, 0);
    T_EQ_INT(count_lines(t, "# TYPE qvrrun_host_gauge gauge"), 1);
    T_EQ_INT(count_lines(t, "# TYPE qvrrun_monitor_late_total counter"), 1);
    /* the two samples of one family are adjacent */
    const char *a = strstr(t, "qvrrun_host_gauge{");
    T_CHECK(a && strncmp(strchr(a, '\n') + 1, "qvrrun_host_gauge{", 18) == 0);
    /* a summary: quantiles, _sum and _count under one TYPE line */
    T_EQ_INT(count_lines(t, "# TYPE qvrrun_window_seconds summary"), 1);
    T_CHECK(strstr(t, "# TYPE qvrrun_window_seconds summary\n"
                      "qvrrun_window_seconds{quantile=\"0.5\"} 0.25\n"
                      "qvrrun_window_seconds{quantile=\"0.99\"} 0.75\n"
                      "qvrrun_window_seconds_sum 4.5\n"
                      "qvrrun_window_seconds_count 10\n") != NULL);
    T_EQ_INT(count_lines(t, "# TYPE qvrrun_latency_quantile_seconds "
                            "summary"),
             1);
    T_NEAR(sample(t, "qvrrun_latency_quantile_seconds_count{name=\"probe\"}"),
           7, 0);
    qvr_buf_free(&f.body);

    get(base, qvr_expo_port(e), "/", &f);
    T_EQ_INT(f.status, 404);
    qvr_buf_free(&f.body);

    /* the cap on extra values */
    int rc = 0;
    for (int i = 0; i < QVR_EXPO_MAX_VALUES && rc == 0; i++) {
        char l[32];
        snprintf(l, sizeof(l), "i=\"%d\"", i);
        rc = qvr_expo_value(e, "qvrrun_x", l, 0, "x", i);
    }
    T_EQ_INT(rc, QVR_ERANGE);

    /* a second server on the same port cannot bind */
    char addr[32];
    snprintf(addr, sizeof(addr), "127.0.0.1:%d", qvr_expo_port(e));
    struct qvr_expo *e2 = qvr_expo_start(base, addr, err, sizeof(err));
    T_CHECK(e2 == NULL);
    T_CHECK(strstr(err, "cannot listen") != NULL);

    qvr_expo_stop(e);
    qvr_metrics_free(m);
    event_base_free(base);
}

static void test_bad_addr(void)
{
    static const char *const bad[] = {
        "127.0.0.1:99999", "host:", "x:abc", "[::1", "[::1]9464", ":-1"};
    struct event_base *base = event_base_new();
    for (size_t i = 0; i < QVR_ARRAY_LEN(bad); i++) {
        char err[256] = "";
        struct qvr_expo *e = qvr_expo_start(base, bad[i], err, sizeof(err));
        T_CHECK_MSG(e == NULL, "%s accepted", bad[i]);
        T_CHECK_MSG(strstr(err, "metrics address") != NULL, "%s: %s", bad[i],
                    err);
        qvr_expo_stop(e);
    }
    /* an explicit v6 loopback, when the host has IPv6 */
    char err[256] = "";
    struct qvr_expo *e = qvr_expo_start(base, "[::1]:0", err, sizeof(err));
    if (e) {
        T_CHECK(strncmp(qvr_expo_url(e), "http://[::1]:", 13) == 0);
        qvr_expo_stop(e);
    }
    qvr_expo_stop(NULL);
    event_base_free(base);
}

/* Token streams: counters and TTFT/ITL/TPOT summaries by name, and none
 * of them before a stream was seen. */
static void test_tokens(void)
{
    const char *tn[1] = {"t"};
    struct qvr_metrics *m = qvr_metrics_new(1, tn);
    struct qvr_stat *chat = qvr_metrics_name(m, "chat");
    struct qvr_buf b;
    qvr_buf_init(&b, 0);
    rec(m, chat, 1000, 200, QVR_FAIL_NONE);
    qvr_expo_format_metrics(m, &b);
    T_CHECK(strstr(b.data, "qvrrun_output_tokens_total") == NULL);
    T_CHECK(strstr(b.data, "qvrrun_ttft_seconds") == NULL);
    for (int i = 0; i < 2; i++) {
        struct qvr_sample s;
        memset(&s, 0, sizeof(s));
        s.response_us = 50000;
        s.status = 200;
        s.streamed = 1;
        s.ttft_us = 20000;
        s.tpot_us = 5000;
        s.in_tokens = 7;
        s.out_tokens = 32;
        qvr_metrics_record(m, 0, chat, &s);
        qvr_metrics_gap(m, 0, chat, 4000);
    }
    qvr_buf_reset(&b);
    qvr_expo_format_metrics(m, &b);
    T_NEAR(sample(b.data, "qvrrun_output_tokens_total{name=\"chat\"}"), 64, 0);
    T_NEAR(sample(b.data, "qvrrun_input_tokens_total{name=\"chat\"}"), 14, 0);
    T_NEAR(
        sample(b.data, "qvrrun_ttft_seconds{name=\"chat\",quantile=\"0.5\"}"),
        0.02, 0.0001);
    T_NEAR(
        sample(b.data, "qvrrun_itl_seconds{name=\"chat\",quantile=\"0.99\"}"),
        0.004, 0.00001);
    T_NEAR(sample(b.data, "qvrrun_tpot_seconds_count{name=\"chat\"}"), 2, 0);
    qvr_buf_free(&b);
    qvr_metrics_free(m);
}

int main(void)
{
    test_tokens();
    test_format();
    test_server();
    test_bad_addr();
    return T_DONE();
}
