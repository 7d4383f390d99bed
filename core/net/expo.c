/* expo.c -- Prometheus text exposition (see expo.h).
 *
 * Nothing is kept between scrapes: every GET /metrics walks the borrowed
 * metrics set and writes the text into one buffer that becomes the reply.
 * The histogram's cumulative bucket counts come from the HDR histogram of
 * the stat: a bucket of the HDR histogram belongs under `le` when its
 * lowest equivalent value is at or below the bound, so a value recorded
 * exactly on a bound is counted under it (the HDR buckets are 0.1% wide,
 * which is all the error there is). */
#include "expo.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "qvr.h"

const double qvr_expo_buckets[QVR_EXPO_NBUCKETS] = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1,
    1.5,   2,      3,     5,    7.5,   10,   15,  30,   60,  120};

static const double expo_quantiles[] = {0.5, 0.9, 0.99};

struct value {
    char *family;     /* owned: the family (HELP, TYPE) */
    char *sample;     /* owned: the sample's name (family, or a summary's
                         family_sum / family_count) */
    char *labels;     /* owned; "" for none */
    char *help;       /* owned */
    const char *type; /* "gauge", "counter" or "summary" */
    double v;
};

struct qvr_expo {
    struct event_base *base;
    struct evhttp *http;
    int port;
    char url[160];
    const struct qvr_metrics *m; /* borrowed */
    int users;
    struct value values[QVR_EXPO_MAX_VALUES];
    int nvalues;
    struct qvr_buf text; /* scratch for one scrape */
};

/* ---- formatting ---------------------------------------------------------- */

/* A label value with \, " and newline escaped as the format wants. */
static int put_label(struct qvr_buf *b, const char *s)
{
    int rc = 0;
    for (const char *c = s; *c && rc == 0; c++) {
        if (*c == '\\')
            rc = qvr_buf_append(b, "\\\\", 2);
        else if (*c == '"')
            rc = qvr_buf_append(b, "\\\"", 2);
        else if (*c == '\n')
            rc = qvr_buf_append(b, "\\n", 2);
        else
            rc = qvr_buf_append(b, c, 1);
    }
    return rc;
}

static int put_double(struct qvr_buf *b, double v)
{
    if (isnan(v))
        return qvr_buf_append(b, "NaN", 3);
    if (isinf(v))
        return qvr_buf_printf(b, "%s", v > 0 ? "+Inf" : "-Inf");
    return qvr_buf_printf(b, "%.15g", v);
}

static int put_head(struct qvr_buf *b, const char *family, const char *type,
                    const char *help)
{
    return qvr_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", family, help,
                          family, type);
}

/* `family{name="..."` without the closing brace. */
static int put_series(struct qvr_buf *b, const char *family, const char *name)
{
    qvr_buf_printf(b, "%s{name=\"", family);
    put_label(b, name);
    return qvr_buf_append(b, "\"", 1);
}

/* The stats to expose: every name, then the remainder of the total that
 * no name accounts for (requests recorded without a name). The remainder
 * is computed into *rest; *has_rest says whether it is shown. */
struct view {
    const struct qvr_metrics *m;
    struct qvr_stat rest;
    int has_rest;
};

static void view_init(struct view *v, const struct qvr_metrics *m)
{
    memset(v, 0, sizeof(*v));
    v->m = m;
    uint64_t req = 0, fails[QVR_FAIL__COUNT] = {0};
    for (int i = 0; i < m->nnames; i++) {
        req += m->names[i]->requests;
        for (int k = 0; k < QVR_FAIL__COUNT; k++)
            fails[k] += m->names[i]->fails[k];
    }
    if (m->total.requests > req) {
        v->has_rest = 1;
        v->rest.name = (char *)"_unnamed";
        v->rest.requests = m->total.requests - req;
        for (int k = 0; k < QVR_FAIL__COUNT; k++)
            v->rest.fails[k] =
                m->total.fails[k] > fails[k] ? m->total.fails[k] - fails[k] : 0;
        /* Its latency cannot be told apart from the named ones. */
        v->rest.resp = NULL;
    }
}

static int view_count(const struct view *v)
{
    return v->m->nnames + v->has_rest;
}

static const struct qvr_stat *view_at(const struct view *v, int i)
{
    return i < v->m->nnames ? v->m->names[i] : &v->rest;
}

/* The lowest value that shares h's bucket with value (HDR layout: below
 * the sub-bucket count values are exact, above it a bucket spans
 * 2^(msb - half-count magnitude) values). */
static uint64_t lowest_equiv(const struct qvr_hist *h, uint64_t value)
{
    if (value == 0)
        return 0;
    int msb = 63 - __builtin_clzll(value);
    int shift = msb - h->sub_bucket_half_count_magnitude;
    if (shift < h->unit_magnitude)
        shift = h->unit_magnitude;
    if (shift <= 0)
        return value;
    return (value >> shift) << shift;
}

static void put_histogram(struct qvr_buf *b, const struct qvr_stat *s)
{
    const char *fam = "qvrrun_latency_seconds_bucket";
    uint64_t cum = 0;
    int j = 0, idx = -1;
    uint64_t value, count;
    const struct qvr_hist *h = s->resp;
    while (h && qvr_hist_next(h, &idx, &value, &count)) {
        uint64_t lo = lowest_equiv(h, value);
        while (j < QVR_EXPO_NBUCKETS &&
               (double)lo > qvr_expo_buckets[j] * 1e6 + 1e-6) {
            put_series(b, fam, s->name);
            qvr_buf_printf(b, ",le=\"%g\"} %llu\n", qvr_expo_buckets[j],
                           (unsigned long long)cum);
            j++;
        }
        cum += count;
    }
    for (; j < QVR_EXPO_NBUCKETS; j++) {
        put_series(b, fam, s->name);
        qvr_buf_printf(b, ",le=\"%g\"} %llu\n", qvr_expo_buckets[j],
                       (unsigned long long)cum);
    }
    uint64_t total = h ? h->total : 0;
    put_series(b, fam, s->name);
    qvr_buf_printf(b, ",le=\"+Inf\"} %llu\n", (unsigned long long)total);
    put_series(b, "qvrrun_latency_seconds_sum", s->name);
    qvr_buf_append(b, "} ", 2);
    put_double(b, h ? h->sum / 1e6 : 0);
    qvr_buf_append(b, "\n", 1);
    put_series(b, "qvrrun_latency_seconds_count", s->name);
    qvr_buf_printf(b, "} %llu\n", (unsigned long long)total);
}

/* Token streams, by request name, once any was seen: output and input
 * tokens (counters), TTFT, ITL and TPOT percentiles (summaries). */
static void put_tokens(struct qvr_buf *b, const struct qvr_metrics *m)
{
    if (!m->total.tok || !m->total.tok->streams)
        return;
    static const char *const fam[2] = {"qvrrun_output_tokens_total",
                                       "qvrrun_input_tokens_total"};
    static const char *const help[2] = {
        "Output tokens of token streams, by request name.",
        "Prompt tokens of token streams (server's usage), by request name."};
    for (int c = 0; c < 2; c++) {
        put_head(b, fam[c], "counter", help[c]);
        for (int i = 0; i < m->nnames; i++) {
            const struct qvr_tok *t = m->names[i]->tok;
            if (!t || !t->streams)
                continue;
            put_series(b, fam[c], m->names[i]->name);
            qvr_buf_printf(
                b, "} %llu\n",
                (unsigned long long)(c ? t->in_tokens : t->out_tokens));
        }
    }
    static const char *const q[3] = {
        "qvrrun_ttft_seconds", "qvrrun_itl_seconds", "qvrrun_tpot_seconds"};
    static const char *const qh[3] = {
        "Time to first token from the intended start, by request name.",
        "Inter-token latency (every gap), by request name.",
        "Time per output token, by request name."};
    for (int k = 0; k < 3; k++) {
        put_head(b, q[k], "summary", qh[k]);
        for (int i = 0; i < m->nnames; i++) {
            const struct qvr_tok *t = m->names[i]->tok;
            if (!t || !t->streams)
                continue;
            const struct qvr_hist *h = k == 0   ? t->ttft
                                       : k == 1 ? t->itl
                                                : t->tpot;
            for (size_t j = 0; j < QVR_ARRAY_LEN(expo_quantiles); j++) {
                put_series(b, q[k], m->names[i]->name);
                qvr_buf_printf(b, ",quantile=\"%g\"} ", expo_quantiles[j]);
                put_double(b, h->total ? (double)qvr_hist_value_at(
                                             h, expo_quantiles[j] * 100) /
                                             1e6
                                       : NAN);
                qvr_buf_append(b, "\n", 1);
            }
            char sfx[64];
            snprintf(sfx, sizeof(sfx), "%s_sum", q[k]);
            put_series(b, sfx, m->names[i]->name);
            qvr_buf_append(b, "} ", 2);
            put_double(b, h->sum / 1e6);
            qvr_buf_append(b, "\n", 1);
            snprintf(sfx, sizeof(sfx), "%s_count", q[k]);
            put_series(b, sfx, m->names[i]->name);
            qvr_buf_printf(b, "} %llu\n", (unsigned long long)h->total);
        }
    }
}

int qvr_expo_format_metrics(const struct qvr_metrics *m, struct qvr_buf *b)
{
    if (!m)
        return 0;
    struct view v;
    view_init(&v, m);
    int n = view_count(&v);

    put_head(b, "qvrrun_requests_total", "counter",
             "Completed requests (failures included), by request name.");
    for (int i = 0; i < n; i++) {
        const struct qvr_stat *s = view_at(&v, i);
        put_series(b, "qvrrun_requests_total", s->name);
        qvr_buf_printf(b, "} %llu\n", (unsigned long long)s->requests);
    }

    put_head(b, "qvrrun_failures_total", "counter",
             "Failed requests by request name and kind of failure.");
    for (int i = 0; i < n; i++) {
        const struct qvr_stat *s = view_at(&v, i);
        for (int k = QVR_FAIL_NONE + 1; k < QVR_FAIL__COUNT; k++) {
            put_series(b, "qvrrun_failures_total", s->name);
            qvr_buf_printf(b, ",kind=\"%s\"} %llu\n",
                           qvr_fail_kind_name((enum qvr_fail_kind)k),
                           (unsigned long long)s->fails[k]);
        }
    }

    put_head(b, "qvrrun_latency_seconds", "histogram",
             "Response time from the intended start, by request name.");
    for (int i = 0; i < n; i++) {
        const struct qvr_stat *s = view_at(&v, i);
        if (s->resp)
            put_histogram(b, s);
    }

    put_head(b, "qvrrun_latency_quantile_seconds", "summary",
             "Response time percentiles since the start, by request name.");
    for (int i = 0; i < n; i++) {
        const struct qvr_stat *s = view_at(&v, i);
        if (!s->resp)
            continue;
        for (size_t q = 0; q < QVR_ARRAY_LEN(expo_quantiles); q++) {
            put_series(b, "qvrrun_latency_quantile_seconds", s->name);
            qvr_buf_printf(b, ",quantile=\"%g\"} ", expo_quantiles[q]);
            double p = expo_quantiles[q] * 100;
            double val = s->resp->total
                             ? (double)qvr_hist_value_at(s->resp, p) / 1e6
                             : NAN;
            put_double(b, val);
            qvr_buf_append(b, "\n", 1);
        }
        put_series(b, "qvrrun_latency_quantile_seconds_sum", s->name);
        qvr_buf_append(b, "} ", 2);
        put_double(b, s->resp->sum / 1e6);
        qvr_buf_append(b, "\n", 1);
        put_series(b, "qvrrun_latency_quantile_seconds_count", s->name);
        qvr_buf_printf(b, "} %llu\n", (unsigned long long)s->resp->total);
    }
    put_tokens(b, m);
    return b->truncated ? QVR_ERANGE : (b->data ? 0 : QVR_ENOMEM);
}

int qvr_expo_format(const struct qvr_expo *e, struct qvr_buf *b)
{
    qvr_expo_format_metrics(e->m, b);
    put_head(b, "qvrrun_users", "gauge", "Virtual users running.");
    qvr_buf_printf(b, "qvrrun_users %d\n", e->users);
    /* Extra values, grouped by family in the order families were set. */
    for (int i = 0; i < e->nvalues; i++) {
        const struct value *x = &e->values[i];
        int seen = 0;
        for (int k = 0; k < i && !seen; k++)
            seen = strcmp(e->values[k].family, x->family) == 0;
        if (seen)
            continue;
        put_head(b, x->family, x->type, x->help);
        for (int k = i; k < e->nvalues; k++) {
            const struct value *y = &e->values[k];
            if (strcmp(y->family, x->family) != 0)
                continue;
            if (y->labels[0])
                qvr_buf_printf(b, "%s{%s} ", y->sample, y->labels);
            else
                qvr_buf_printf(b, "%s ", y->sample);
            put_double(b, y->v);
            qvr_buf_append(b, "\n", 1);
        }
    }
    return b->truncated ? QVR_ERANGE : (b->data ? 0 : QVR_ENOMEM);
}

/* ---- values -------------------------------------------------------------- */

static int valid_family(const char *s)
{
    if (!s || !*s || (*s >= '0' && *s <= '9'))
        return 0;
    for (const char *c = s; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
              (*c >= '0' && *c <= '9') || *c == '_' || *c == ':'))
            return 0;
    return 1;
}

/* Sets sample{labels} of family to v, adding it when new. */
static int set_value(struct qvr_expo *e, const char *family, const char *sample,
                     const char *labels, const char *type, const char *help,
                     double v)
{
    if (!valid_family(family) || !valid_family(sample))
        return QVR_EINVAL;
    if (!labels)
        labels = "";
    for (int i = 0; i < e->nvalues; i++) {
        struct value *x = &e->values[i];
        if (strcmp(x->sample, sample) == 0 && strcmp(x->labels, labels) == 0) {
            x->v = v;
            return 0;
        }
    }
    if (e->nvalues == QVR_EXPO_MAX_VALUES)
        return QVR_ERANGE;
    const char *h = help && *help ? help : family;
    for (int i = 0; i < e->nvalues; i++)
        if (strcmp(e->values[i].family, family) == 0) {
            h = e->values[i].help;
            type = e->values[i].type;
        }
    struct value *x = &e->values[e->nvalues];
    x->family = strdup(family);
    x->sample = strdup(sample);
    x->labels = strdup(labels);
    x->help = strdup(h);
    if (!x->family || !x->sample || !x->labels || !x->help) {
        free(x->family);
        free(x->sample);
        free(x->labels);
        free(x->help);
        memset(x, 0, sizeof(*x));
        return QVR_ENOMEM;
    }
    /* HELP text may not hold a raw newline. */
    for (char *c = x->help; *c; c++)
        if (*c == '\n')
            *c = ' ';
    x->type = type;
    x->v = v;
    e->nvalues++;
    return 0;
}

int qvr_expo_value(struct qvr_expo *e, const char *family, const char *labels,
                   int counter, const char *help, double v)
{
    return set_value(e, family, family, labels, counter ? "counter" : "gauge",
                     help, v);
}

int qvr_expo_summary(struct qvr_expo *e, const char *family, const char *help,
                     int n, const double *quantiles, const double *values,
                     double sum, double count)
{
    char name[160], l[48];
    int rc = 0;
    if (strlen(family) > sizeof(name) - 8)
        return QVR_EINVAL;
    for (int i = 0; i < n && rc == 0; i++) {
        snprintf(l, sizeof(l), "quantile=\"%g\"", quantiles[i]);
        rc = set_value(e, family, family, l, "summary", help, values[i]);
    }
    snprintf(name, sizeof(name), "%s_sum", family);
    if (rc == 0)
        rc = set_value(e, family, name, NULL, "summary", help, sum);
    snprintf(name, sizeof(name), "%s_count", family);
    if (rc == 0)
        rc = set_value(e, family, name, NULL, "summary", help, count);
    return rc;
}

void qvr_expo_set_metrics(struct qvr_expo *e, const struct qvr_metrics *m)
{
    e->m = m;
}

void qvr_expo_set_users(struct qvr_expo *e, int users)
{
    e->users = users;
}

/* ---- the server ---------------------------------------------------------- */

static void reply_text(struct evhttp_request *req, int code, const char *reason,
                       const char *ctype, const char *body, size_t len)
{
    struct evbuffer *out = evbuffer_new();
    if (!out) {
        evhttp_send_error(req, 500, NULL);
        return;
    }
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                      ctype);
    if (evhttp_request_get_command(req) != EVHTTP_REQ_HEAD)
        evbuffer_add(out, body, len);
    evhttp_send_reply(req, code, reason, out);
    evbuffer_free(out);
}

static void handle(struct evhttp_request *req, void *arg)
{
    struct qvr_expo *e = arg;
    const char *uri = evhttp_request_get_uri(req);
    size_t plen = strcspn(uri, "?#");
    int metrics = plen == 8 && strncmp(uri, "/metrics", 8) == 0;
    if (!metrics) {
        static const char msg[] = "qvrrun: the metrics are at /metrics\n";
        reply_text(req, 404, "Not Found", "text/plain; charset=utf-8", msg,
                   sizeof(msg) - 1);
        return;
    }
    qvr_buf_reset(&e->text);
    if (qvr_expo_format(e, &e->text) < 0) {
        static const char msg[] = "qvrrun: cannot format the metrics\n";
        reply_text(req, 500, "Internal Server Error",
                   "text/plain; charset=utf-8", msg, sizeof(msg) - 1);
        return;
    }
    reply_text(req, 200, "OK", "text/plain; version=0.0.4; charset=utf-8",
               e->text.data, e->text.len);
}

/* Splits addr into host and port. ":9464" and "9464" mean loopback. */
static int parse_addr(const char *addr, char *host, size_t hlen, int *port,
                      char *err, unsigned long errlen)
{
    const char *p;
    if (!addr || !*addr)
        addr = QVR_EXPO_DEFAULT_ADDR;
    if (addr[0] == '[') {
        const char *close = strchr(addr, ']');
        if (!close || close[1] != ':' || (size_t)(close - addr) >= hlen) {
            snprintf(err, errlen, "metrics address '%s': expected [V6]:PORT",
                     addr);
            return QVR_EINVAL;
        }
        snprintf(host, hlen, "%.*s", (int)(close - addr - 1), addr + 1);
        p = close + 2;
    } else {
        const char *colon = strrchr(addr, ':');
        if (!colon) {
            snprintf(host, hlen, "127.0.0.1");
            p = addr;
        } else {
            if ((size_t)(colon - addr) >= hlen) {
                snprintf(err, errlen, "metrics address '%s': host too long",
                         addr);
                return QVR_EINVAL;
            }
            if (colon == addr)
                snprintf(host, hlen, "127.0.0.1");
            else
                snprintf(host, hlen, "%.*s", (int)(colon - addr), addr);
            p = colon + 1;
        }
    }
    char *end;
    errno = 0;
    long v = strtol(p, &end, 10);
    if (!*p || *end || errno || v < 0 || v > 65535) {
        snprintf(err, errlen, "metrics address '%s': bad port '%s'", addr, p);
        return QVR_EINVAL;
    }
    *port = (int)v;
    return 0;
}

struct qvr_expo *qvr_expo_start(struct event_base *base, const char *addr,
                                char *err, unsigned long errlen)
{
    char host[128];
    int port;
    if (parse_addr(addr, host, sizeof(host), &port, err, errlen) < 0)
        return NULL;
    struct qvr_expo *e = calloc(1, sizeof(*e));
    if (!e) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    e->base = base;
    qvr_buf_init(&e->text, 0);
    e->http = evhttp_new(base);
    if (!e->http) {
        snprintf(err, errlen, "cannot create the metrics server");
        goto fail;
    }
    evhttp_set_allowed_methods(e->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
    evhttp_set_timeout(e->http, 30);
    evhttp_set_max_headers_size(e->http, 16 * 1024);
    evhttp_set_max_body_size(e->http, 0);
    evhttp_set_gencb(e->http, handle, e);
    struct evhttp_bound_socket *bs =
        evhttp_bind_socket_with_handle(e->http, host, (ev_uint16_t)port);
    if (!bs) {
        snprintf(err, errlen, "cannot listen for metrics on %s:%d: %s", host,
                 port, strerror(errno ? errno : EADDRINUSE));
        goto fail;
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    evutil_socket_t fd = evhttp_bound_socket_get_fd(bs);
    char shown[INET6_ADDRSTRLEN] = "";
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
        snprintf(err, errlen, "metrics socket: %s", strerror(errno));
        goto fail;
    }
    if (ss.ss_family == AF_INET6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        e->port = ntohs(s6->sin6_port);
        inet_ntop(AF_INET6, &s6->sin6_addr, shown, sizeof(shown));
        snprintf(e->url, sizeof(e->url), "http://[%s]:%d/metrics", shown,
                 e->port);
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        e->port = ntohs(s4->sin_port);
        inet_ntop(AF_INET, &s4->sin_addr, shown, sizeof(shown));
        snprintf(e->url, sizeof(e->url), "http://%s:%d/metrics", shown,
                 e->port);
    }
    return e;
fail:
    qvr_expo_stop(e);
    return NULL;
}

void qvr_expo_stop(struct qvr_expo *e)
{
    if (!e)
        return;
    if (e->http)
        evhttp_free(e->http);
    for (int i = 0; i < e->nvalues; i++) {
        free(e->values[i].family);
        free(e->values[i].sample);
        free(e->values[i].labels);
        free(e->values[i].help);
    }
    qvr_buf_free(&e->text);
    free(e);
}

int qvr_expo_port(const struct qvr_expo *e)
{
    return e->port;
}

const char *qvr_expo_url(const struct qvr_expo *e)
{
    return e->url;
}
