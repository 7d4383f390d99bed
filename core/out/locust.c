/* locust.c -- Locust's four CSV files from a loaded result directory (see
 * locust.h). The final figures come from summary.json as they are, so the
 * CSV and the summary never disagree; only the percentiles the summary does
 * not carry (66%, 75%, 80%, 98%, 99.99%) are read off the histograms. */
#include "locust.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fmt.h"
#include "qvr.h"

/* summary.json's latency_ms key for a Locust percentile, or NULL. */
static const char *summary_key(double p)
{
    if (p == 50)
        return "p50";
    if (p == 90)
        return "p90";
    if (p == 95)
        return "p95";
    if (p == 99)
        return "p99";
    if (p == 99.9)
        return "p99.9";
    if (p >= 100)
        return "max";
    return NULL;
}

static double jnum(const cJSON *o, const char *k, double def)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : def;
}

static void csv_ms(struct qvr_buf *b, double ms, int last)
{
    char t[32];
    qvr_buf_csv_field(b, qvr_fmt_ms_sig3(ms, t, sizeof(t)), last);
}

static void csv_fmt(struct qvr_buf *b, int last, const char *fmt, double v)
{
    char t[64];
    snprintf(t, sizeof(t), fmt, v);
    qvr_buf_csv_field(b, t, last);
}

static double avg_size(const cJSON *o)
{
    double req = jnum(o, "requests", 0);
    const cJSON *by = cJSON_GetObjectItemCaseSensitive(o, "bytes");
    return req > 0 ? jnum(by, "received", 0) / req : 0;
}

static void stats_row(const struct qvr_rdir *rd, const struct qvr_rseries *s,
                      struct qvr_buf *b)
{
    const cJSON *o = s->obj;
    const cJSON *lat = cJSON_GetObjectItemCaseSensitive(o, "latency_ms");
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, "method");
    double req = jnum(o, "requests", 0), fail = jnum(o, "failures", 0);
    qvr_buf_csv_field(b, s->name && cJSON_IsString(m) ? m->valuestring : "", 0);
    qvr_buf_csv_field(b, s->name ? s->name : "Aggregated", 0);
    csv_fmt(b, 0, "%.0f", req);
    csv_fmt(b, 0, "%.0f", fail);
    csv_ms(b, jnum(lat, "p50", 0), 0);
    csv_ms(b, jnum(lat, "mean", 0), 0);
    csv_ms(b, jnum(lat, "min", 0), 0);
    csv_ms(b, jnum(lat, "max", 0), 0);
    csv_fmt(b, 0, "%.2f", avg_size(o));
    csv_fmt(b, 0, "%.15g", jnum(o, "rps", 0));
    csv_fmt(b, 0, "%.3f", rd->duration_s > 0 ? fail / rd->duration_s : 0);
    for (int i = 0; i < QVR_RENDER_NPCT; i++) {
        double p = qvr_render_pcts[i];
        const char *k = summary_key(p);
        int last = i == QVR_RENDER_NPCT - 1;
        if (req <= 0)
            qvr_buf_csv_field(b, "N/A", last);
        else if (k && cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(lat, k)))
            csv_ms(b, jnum(lat, k, 0), last);
        else if (s->h && s->h->total)
            csv_ms(b, qvr_rseries_pct_ms(s, p), last);
        else
            qvr_buf_csv_field(b, "N/A", last);
    }
}

static void stats_csv(const struct qvr_rdir *rd, struct qvr_buf *b)
{
    qvr_buf_printf(b, "%s\n", QVR_LOCUST_STATS_HEADER);
    for (int i = 1; i < rd->nseries; i++)
        stats_row(rd, &rd->series[i], b);
    stats_row(rd, &rd->series[0], b);
}

/* Unix seconds of a window's end. */
static double window_wall(const struct qvr_rdir *rd, const struct qvr_rwin *w)
{
    if (w->wall_s > 0)
        return w->wall_s;
    if (rd->hlog_start > 0)
        return rd->hlog_start + w->end_s;
    return jnum(rd->summary, "started", 0) + w->end_s;
}

/* The Total columns of a history row. The running figures come off the
 * merged histograms (a value there is its bucket's, e.g. 43.744 for a
 * 43.768 ms minimum); once a row counts every request of the run they are
 * summary.json's own, as in _stats.csv's Aggregated row, so the last row
 * and _stats.csv agree. */
static void history_totals(const struct qvr_rdir *rd, const struct qvr_rwin *w,
                           struct qvr_buf *b)
{
    const cJSON *tot = rd->series[0].obj;
    const cJSON *lat = cJSON_GetObjectItemCaseSensitive(tot, "latency_ms");
    int all_in = w->cum_requests > 0 &&
                 (double)w->cum_requests == jnum(tot, "requests", -1) &&
                 (double)w->cum_failures == jnum(tot, "failures", -1);
    if (all_in) {
        csv_ms(b, jnum(lat, "p50", w->cum_p50_ms), 0);
        csv_ms(b, jnum(lat, "mean", w->cum_mean_ms), 0);
        csv_ms(b, jnum(lat, "min", w->cum_min_ms), 0);
        csv_ms(b, jnum(lat, "max", w->cum_max_ms), 0);
    } else if (!rd->has_hlog && w->cum_requests) {
        for (int k = 0; k < 4; k++)
            qvr_buf_csv_field(b, "N/A", 0);
    } else {
        csv_ms(b, w->cum_p50_ms, 0);
        csv_ms(b, w->cum_mean_ms, 0);
        csv_ms(b, w->cum_min_ms, 0);
        csv_ms(b, w->cum_max_ms, 0);
    }
}

static void history_csv(const struct qvr_rdir *rd, struct qvr_buf *b)
{
    double size = avg_size(rd->series[0].obj);
    qvr_buf_printf(b, "%s\n", QVR_LOCUST_HISTORY_HEADER);
    for (int i = 0; i < rd->nwin; i++) {
        const struct qvr_rwin *w = &rd->win[i];
        csv_fmt(b, 0, "%.0f", floor(window_wall(rd, w)));
        csv_fmt(b, 0, "%.0f", w->users);
        qvr_buf_csv_field(b, "", 0);
        qvr_buf_csv_field(b, "Aggregated", 0);
        csv_fmt(b, 0, "%.3f", w->rps);
        csv_fmt(b, 0, "%.3f", w->len_s > 0 ? w->failures / w->len_s : 0);
        for (int k = 0; k < QVR_RENDER_NPCT; k++) {
            double p = qvr_render_pcts[k], v = NAN;
            if (!w->requests)
                v = NAN;
            else if (w->has_hist)
                v = w->pct_ms[k];
            else if (p == 50)
                v = w->p50_ms;
            else if (p == 90)
                v = w->p90_ms;
            else if (p == 99)
                v = w->p99_ms;
            else if (p >= 100)
                v = w->max_ms;
            csv_ms(b, v, 0);
        }
        csv_fmt(b, 0, "%.0f", (double)w->cum_requests);
        csv_fmt(b, 0, "%.0f", (double)w->cum_failures);
        history_totals(rd, w, b);
        csv_fmt(b, 1, "%.2f", size);
    }
}

/* What Error says for a failure kind of summary.json. */
static const char *kind_text(const char *kind)
{
    static const struct {
        const char *kind, *text;
    } map[] = {{"timeout", "timeout"},
               {"refused", "connection refused"},
               {"reset", "connection reset"},
               {"dns", "DNS resolution failed"},
               {"tls", "TLS error"},
               {"too_large", "response too large"},
               {"transport", "transport error"},
               {"bad_encoding", "malformed response encoding"},
               {"invalid_json", "invalid JSON"},
               {"check", "check failed"},
               {"script", "task error"},
               {"http_4xx", "HTTP 4xx"},
               {"http_5xx", "HTTP 5xx"},
               {"http_other", "HTTP status not followed"},
               {"stream_cut", "stream cut before its end"},
               {"stream_error", "error event in the stream"},
               {"stream_malformed", "malformed stream event"},
               {"first_token_timeout", "no token within first_token_timeout"}};
    for (size_t i = 0; i < QVR_ARRAY_LEN(map); i++)
        if (strcmp(kind, map[i].kind) == 0)
            return map[i].text;
    return kind;
}

/* The status range an HTTP failure kind covers: [lo, hi] twice (other:
 * 1xx and 3xx). Returns 0 for a kind that is not HTTP. */
static int kind_statuses(const char *kind, int r[4])
{
    if (strcmp(kind, "http_4xx") == 0) {
        r[0] = 400, r[1] = 499, r[2] = 1, r[3] = 0;
        return 1;
    }
    if (strcmp(kind, "http_5xx") == 0) {
        r[0] = 500, r[1] = 599, r[2] = 1, r[3] = 0;
        return 1;
    }
    if (strcmp(kind, "http_other") == 0) {
        r[0] = 100, r[1] = 199, r[2] = 300, r[3] = 399;
        return 1;
    }
    return 0;
}

struct seen {
    char first[32], last[32];
};

/* First and last time failures were seen: the name's
 * "failures_seen": {kind: [first, last]} (Unix seconds) when the summary
 * has it, else the first and last window of the run with failures. */
static void failures_seen(const struct qvr_rdir *rd, const cJSON *o,
                          const char *kind, struct seen *s)
{
    s->first[0] = s->last[0] = 0;
    const cJSON *fs = cJSON_GetObjectItemCaseSensitive(o, "failures_seen");
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(fs, kind);
    if (cJSON_IsArray(k) && cJSON_GetArraySize(k) == 2 &&
        cJSON_IsNumber(cJSON_GetArrayItem(k, 0)) &&
        cJSON_IsNumber(cJSON_GetArrayItem(k, 1))) {
        snprintf(s->first, sizeof(s->first), "%.0f",
                 floor(cJSON_GetArrayItem(k, 0)->valuedouble));
        snprintf(s->last, sizeof(s->last), "%.0f",
                 floor(cJSON_GetArrayItem(k, 1)->valuedouble));
        return;
    }
    int lo = -1, hi = -1;
    for (int i = 0; i < rd->nwin; i++)
        if (rd->win[i].failures) {
            if (lo < 0)
                lo = i;
            hi = i;
        }
    if (lo < 0)
        return;
    snprintf(s->first, sizeof(s->first), "%.0f",
             floor(window_wall(rd, &rd->win[lo]) - rd->win[lo].len_s));
    snprintf(s->last, sizeof(s->last), "%.0f",
             floor(window_wall(rd, &rd->win[hi])));
}

static void failure_row(struct qvr_buf *b, const char *method, const char *name,
                        const char *error, double n, const struct seen *s)
{
    qvr_buf_csv_field(b, method, 0);
    qvr_buf_csv_field(b, name, 0);
    qvr_buf_csv_field(b, error, 0);
    csv_fmt(b, 0, "%.0f", n);
    qvr_buf_csv_field(b, s->first, 0);
    qvr_buf_csv_field(b, s->last, 1);
}

/* What Error says for a transport kind: with libcurl's reason when every
 * failure of that kind in the run had the same one (totals'
 * failure_messages holds one message for it), so every name's row may
 * quote it; else the kind's text alone. */
static const char *error_text(const struct qvr_rdir *rd, const char *kind,
                              char *buf, size_t len)
{
    const cJSON *fm = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(rd->summary, "totals"),
        "failure_messages");
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(fm, kind);
    const cJSON *msg =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(a, 0), "message");
    if (cJSON_GetArraySize(a) != 1 || !cJSON_IsString(msg) ||
        strcmp(msg->valuestring, "(other messages)") == 0)
        return kind_text(kind);
    snprintf(buf, len, "%s: %s", kind_text(kind), msg->valuestring);
    return buf;
}

static void failures_of(const struct qvr_rdir *rd, const struct qvr_rseries *s,
                        struct qvr_buf *b)
{
    const cJSON *o = s->obj;
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, "method");
    const char *method = cJSON_IsString(m) ? m->valuestring : "";
    const char *name = s->name ? s->name : "Aggregated";
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(o, "status");
    const cJSON *fk = cJSON_GetObjectItemCaseSensitive(o, "failures_by_kind");
    const cJSON *k;
    cJSON_ArrayForEach(k, fk)
    {
        if (!cJSON_IsNumber(k) || !(k->valuedouble > 0) || !k->string)
            continue;
        struct seen seen;
        failures_seen(rd, o, k->string, &seen);
        int r[4];
        if (kind_statuses(k->string, r)) {
            /* Split by status when the statuses account for every one. */
            double sum = 0;
            const cJSON *c;
            cJSON_ArrayForEach(c, st)
            {
                int code = atoi(c->string ? c->string : "0");
                if (cJSON_IsNumber(c) && ((code >= r[0] && code <= r[1]) ||
                                          (code >= r[2] && code <= r[3])))
                    sum += c->valuedouble;
            }
            if (sum == k->valuedouble) {
                cJSON_ArrayForEach(c, st)
                {
                    int code = atoi(c->string ? c->string : "0");
                    if (!cJSON_IsNumber(c) || !(c->valuedouble > 0) ||
                        !((code >= r[0] && code <= r[1]) ||
                          (code >= r[2] && code <= r[3])))
                        continue;
                    char e[32];
                    snprintf(e, sizeof(e), "HTTP %d", code);
                    failure_row(b, method, name, e, c->valuedouble, &seen);
                }
                continue;
            }
        }
        char why[320]; /* a kind's text and one kept message */
        failure_row(b, method, name,
                    error_text(rd, k->string, why, sizeof(why)), k->valuedouble,
                    &seen);
    }
}

static void failures_csv(const struct qvr_rdir *rd, struct qvr_buf *b)
{
    qvr_buf_printf(b, "%s\n", QVR_LOCUST_FAILURES_HEADER);
    if (rd->nseries == 1)
        failures_of(rd, &rd->series[0], b);
    for (int i = 1; i < rd->nseries; i++)
        failures_of(rd, &rd->series[i], b);
}

static void exceptions_csv(const struct qvr_rdir *rd, struct qvr_buf *b)
{
    qvr_buf_printf(b, "%s\n", QVR_LOCUST_EXCEPTIONS_HEADER);
    const cJSON *errs = cJSON_GetObjectItemCaseSensitive(rd->summary, "errors");
    const cJSON *e;
    cJSON_ArrayForEach(e, errs)
    {
        const cJSON *msg = cJSON_GetObjectItemCaseSensitive(e, "message");
        if (!cJSON_IsString(msg))
            continue;
        const char *text = msg->valuestring;
        const char *tb = strstr(text, "\nstack traceback:");
        char *head = strndup(text, tb ? (size_t)(tb - text) : strlen(text));
        if (!head)
            continue;
        csv_fmt(b, 0, "%.0f", jnum(e, "count", 1));
        qvr_buf_csv_field(b, head, 0);
        qvr_buf_csv_field(b, tb ? tb + 1 : "", 0);
        qvr_buf_csv_field(b, "local", 1);
        free(head);
    }
}

int qvr_locust_write(const struct qvr_rdir *rd, const char *prefix, char *err,
                     unsigned long errlen)
{
    static const struct {
        const char *suffix;
        void (*fill)(const struct qvr_rdir *, struct qvr_buf *);
    } files[] = {{"_stats.csv", stats_csv},
                 {"_stats_history.csv", history_csv},
                 {"_failures.csv", failures_csv},
                 {"_exceptions.csv", exceptions_csv}};
    struct qvr_buf b;
    char path[4200];
    int rc = 0;
    qvr_buf_init(&b, 0);
    for (size_t i = 0; i < QVR_ARRAY_LEN(files) && rc == 0; i++) {
        snprintf(path, sizeof(path), "%s%s", prefix, files[i].suffix);
        qvr_buf_reset(&b);
        files[i].fill(rd, &b);
        if (b.truncated || !b.data) {
            snprintf(err, errlen, "out of memory writing %s", path);
            rc = QVR_ENOMEM;
            break;
        }
        rc = qvr_render_write_path(path, b.data, b.len, err, errlen);
    }
    qvr_buf_free(&b);
    return rc;
}
