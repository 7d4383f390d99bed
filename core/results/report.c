/* report.c -- summary.json, timeseries.csv and the final table (see
 * report.h). JSON is built with cJSON. */
#include "report.h"

#include "collect.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "fs.h"
#include "fmt.h"
#include "gate.h"
#include "qvr.h"
#include "redact.h"
#include "thresh.h"
#include "verdict_json.h"

double qvr_report_pct_ms(const struct qvr_stat *s, double p)
{
    if (!s->resp->total)
        return 0;
    return (double)qvr_hist_value_at(s->resp, p) / 1000.0;
}

int qvr_report_mkdir_p(const char *path)
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
            return QVR_EIO;
        *p = '/';
    }
    if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
        return QVR_EIO;
    return 0;
}

int qvr_report_write_file(const char *dir, const char *name, const char *data,
                          size_t len, char *err, unsigned long errlen)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return qvr_fs_write(path, data, len, err, errlen);
}

static double ms(uint64_t us)
{
    return (double)us / 1000.0;
}

/* Rounds to 3 decimals so the JSON stays readable. */
static double r3(double v)
{
    return round(v * 1000.0) / 1000.0;
}

static cJSON *latency_obj(const struct qvr_hist *h)
{
    cJSON *o = cJSON_CreateObject();
    int empty = h->total == 0;
    cJSON_AddNumberToObject(o, "min", empty ? 0 : ms(h->min));
    cJSON_AddNumberToObject(o, "mean",
                            empty ? 0 : r3(qvr_hist_mean(h) / 1000.0));
    static const struct {
        const char *k;
        double p;
    } pc[] = {
        {"p50", 50}, {"p90", 90}, {"p95", 95}, {"p99", 99}, {"p99.9", 99.9}};
    for (size_t i = 0; i < QVR_ARRAY_LEN(pc); i++)
        cJSON_AddNumberToObject(o, pc[i].k, ms(qvr_hist_value_at(h, pc[i].p)));
    cJSON_AddNumberToObject(o, "max", empty ? 0 : ms(h->max));
    return o;
}

void qvr_report_tok_row(struct qvr_window_row *w,
                        const struct qvr_hist *const h[3], uint64_t streams,
                        uint64_t out_tokens)
{
    double v[6] = {0, 0, 0, 0, 0, 0};
    for (int k = 0; k < 3; k++) {
        if (!h[k] || !h[k]->total)
            continue;
        v[2 * k] = ms(qvr_hist_value_at(h[k], 50));
        v[2 * k + 1] = ms(qvr_hist_value_at(h[k], 99));
    }
    w->streams = streams;
    w->out_tokens = out_tokens;
    w->tok_no_tps = 0;
    w->ttft_p50_ms = v[0];
    w->ttft_p99_ms = v[1];
    w->itl_p50_ms = v[2];
    w->itl_p99_ms = v[3];
    w->tpot_p50_ms = v[4];
    w->tpot_p99_ms = v[5];
}

void qvr_report_tok_cells(const struct qvr_window_row *w, struct qvr_buf *b)
{
    if (!w->streams) {
        qvr_buf_printf(b, ",,,,,");
        return;
    }
    qvr_buf_printf(b, ",%.3f,%.3f,%.3f,%.3f,", w->ttft_p50_ms, w->ttft_p99_ms,
                   w->itl_p50_ms, w->itl_p99_ms);
    if (!w->tok_no_tps)
        qvr_buf_printf(b, "%.3f",
                       w->len_s > 0 ? (double)w->out_tokens / w->len_s : 0);
}

const struct qvr_hist *qvr_report_tok_hist(const struct qvr_tok *t, int src,
                                           int win)
{
    switch (src) {
    case QVR_TS_TTFT:
        return win ? t->ttft_win : t->ttft;
    case QVR_TS_ITL:
        return win ? t->itl_win : t->itl;
    case QVR_TS_TPOT:
        return win ? t->tpot_win : t->tpot;
    default:
        return NULL;
    }
}

double qvr_report_tok_value(const struct qvr_stat *s,
                            const struct qvr_thresh *t, double elapsed_s)
{
    const struct qvr_tok *k = s->tok;
    if (!k || !k->streams)
        return NAN;
    if (t->metric == QVR_TM_OUT_TPS)
        return elapsed_s > 0 ? (double)k->out_tokens / elapsed_s : NAN;
    const struct qvr_hist *h = qvr_report_tok_hist(k, t->src, 0);
    if (!h || !h->total)
        return NAN;
    switch (t->metric) {
    case QVR_TM_PCTL:
        return ms(qvr_hist_value_at(h, t->pct));
    case QVR_TM_MIN:
        return ms(h->min);
    case QVR_TM_MAX:
        return ms(h->max);
    case QVR_TM_MEAN:
        return qvr_hist_mean(h) / 1000.0;
    default:
        return NAN;
    }
}

/* "usage" when every stream's tokens came from the server, "events" when
 * none did (counted content events), "mixed" otherwise. */
static const char *tokens_source(const struct qvr_tok *t)
{
    if (t->usage_streams == t->streams)
        return "usage";
    return t->usage_streams ? "mixed" : "events";
}

/* The token figures beside latency_ms, only for a stat that saw streams
 * (a run without any keeps its summary as it was). */
static void tok_members(cJSON *o, const struct qvr_stat *s, double elapsed_s)
{
    const struct qvr_tok *t = s->tok;
    if (!t || !t->streams)
        return;
    cJSON_AddItemToObject(o, "ttft_ms", latency_obj(t->ttft));
    cJSON_AddItemToObject(o, "ttft_service_ms", latency_obj(t->ttft_svc));
    cJSON_AddItemToObject(o, "itl_ms", latency_obj(t->itl));
    cJSON_AddItemToObject(o, "tpot_ms", latency_obj(t->tpot));
    cJSON_AddNumberToObject(o, "streams", (double)t->streams);
    cJSON_AddNumberToObject(o, "input_tokens", (double)t->in_tokens);
    cJSON_AddNumberToObject(o, "output_tokens", (double)t->out_tokens);
    cJSON_AddNumberToObject(
        o, "output_tokens_per_s",
        r3(elapsed_s > 0 ? (double)t->out_tokens / elapsed_s : 0));
    cJSON_AddNumberToObject(
        o, "total_tokens_per_s",
        r3(elapsed_s > 0 ? (double)(t->in_tokens + t->out_tokens) / elapsed_s
                         : 0));
    cJSON_AddStringToObject(o, "tokens_source", tokens_source(t));
}

static void tok_hists(cJSON *o, const struct qvr_stat *s)
{
    const struct qvr_tok *t = s->tok;
    if (!t || !t->streams)
        return;
    const struct qvr_hist *h[4] = {t->ttft, t->itl, t->tpot, t->ttft_svc};
    static const char *const k[4] = {"ttft_histogram_us", "itl_histogram_us",
                                     "tpot_histogram_us",
                                     "ttft_service_histogram_us"};
    for (int i = 0; i < 4; i++) {
        char *enc = NULL;
        if (qvr_hist_encode(h[i], &enc) == 0) {
            cJSON_AddStringToObject(o, k[i], enc);
            free(enc);
        }
    }
}

static cJSON *stat_obj(const struct qvr_stat *s, double elapsed_s,
                       int with_hist)
{
    cJSON *o = cJSON_CreateObject();
    if (s->method)
        cJSON_AddStringToObject(o, "method", s->method);
    cJSON_AddNumberToObject(o, "requests", (double)s->requests);
    cJSON_AddNumberToObject(o, "failures", (double)s->failures);
    cJSON_AddNumberToObject(o, "rps",
                            r3(elapsed_s > 0 ? s->requests / elapsed_s : 0));
    cJSON_AddNumberToObject(
        o, "error_rate", s->requests ? (double)s->failures / s->requests : 0);
    cJSON_AddNumberToObject(o, "good", (double)s->good);
    cJSON_AddItemToObject(o, "latency_ms", latency_obj(s->resp));
    tok_members(o, s, elapsed_s);
    cJSON *sv = cJSON_CreateObject();
    cJSON_AddNumberToObject(sv, "p50", ms(qvr_hist_value_at(s->service, 50)));
    cJSON_AddNumberToObject(sv, "p90", ms(qvr_hist_value_at(s->service, 90)));
    cJSON_AddNumberToObject(sv, "p99", ms(qvr_hist_value_at(s->service, 99)));
    cJSON_AddNumberToObject(sv, "max",
                            ms(s->service->total ? s->service->max : 0));
    cJSON_AddItemToObject(o, "service_ms", sv);
    cJSON *tt = cJSON_CreateObject();
    cJSON_AddNumberToObject(tt, "p50", ms(qvr_hist_value_at(s->ttfb, 50)));
    cJSON_AddNumberToObject(tt, "p99", ms(qvr_hist_value_at(s->ttfb, 99)));
    cJSON_AddItemToObject(o, "ttfb_ms", tt);
    cJSON *ph = cJSON_CreateObject();
    cJSON_AddNumberToObject(ph, "connects", (double)s->connects);
    cJSON_AddNumberToObject(
        ph, "connect_mean",
        s->connects ? r3(ms(s->connect_us_sum) / (double)s->connects) : 0);
    cJSON_AddNumberToObject(ph, "tls_handshakes", (double)s->tls_handshakes);
    cJSON_AddNumberToObject(
        ph, "tls_mean",
        s->tls_handshakes ? r3(ms(s->tls_us_sum) / (double)s->tls_handshakes)
                          : 0);
    cJSON_AddItemToObject(o, "connections_ms", ph);
    cJSON *fk = cJSON_CreateObject();
    for (int k = 1; k < QVR_FAIL__COUNT; k++)
        if (s->fails[k])
            cJSON_AddNumberToObject(fk, qvr_fail_kind_name(k),
                                    (double)s->fails[k]);
    cJSON_AddItemToObject(o, "failures_by_kind", fk);
    cJSON *st = cJSON_CreateObject();
    for (int c = 0; c < QVR_STATUS_MAX; c++) {
        if (!s->status[c])
            continue;
        char k[8];
        snprintf(k, sizeof(k), "%d", c);
        cJSON_AddNumberToObject(st, k, s->status[c]);
    }
    cJSON_AddItemToObject(o, "status", st);
    static const char *const vnames[4] = {"1.0", "1.1", "2", "3"};
    cJSON *hv = cJSON_CreateObject();
    for (int v = 0; v < 4; v++)
        if (s->versions[v])
            cJSON_AddNumberToObject(hv, vnames[v], (double)s->versions[v]);
    cJSON_AddItemToObject(o, "http_versions", hv);
    cJSON *by = cJSON_CreateObject();
    cJSON_AddNumberToObject(by, "received", (double)s->bytes_in);
    cJSON_AddNumberToObject(by, "sent", (double)s->bytes_out);
    cJSON_AddItemToObject(o, "bytes", by);
    if (s->checks_ok + s->checks_fail) {
        cJSON *ck = cJSON_CreateObject();
        cJSON_AddNumberToObject(ck, "passed", (double)s->checks_ok);
        cJSON_AddNumberToObject(ck, "failed", (double)s->checks_fail);
        cJSON_AddItemToObject(o, "checks", ck);
    }
    if (with_hist) {
        char *enc = NULL;
        if (qvr_hist_encode(s->resp, &enc) == 0) {
            cJSON_AddStringToObject(o, "histogram_us", enc);
            free(enc);
        }
        if (qvr_hist_encode(s->service, &enc) == 0) {
            cJSON_AddStringToObject(o, "service_histogram_us", enc);
            free(enc);
        }
        if (qvr_hist_encode(s->ttfb, &enc) == 0) {
            cJSON_AddStringToObject(o, "ttfb_histogram_us", enc);
            free(enc);
        }
        tok_hists(o, s);
    }
    return o;
}

static cJSON *load_obj(const struct qvr_load *ld)
{
    static const char *const kinds[] = {"users", "ramp",  "rate",
                                        "steps", "sweep", "every"};
    cJSON *l = cJSON_CreateObject();
    cJSON_AddStringToObject(l, "shape", kinds[ld->kind]);
    switch (ld->kind) {
    case QVR_LOAD_USERS:
        cJSON_AddNumberToObject(l, "count", ld->users);
        cJSON_AddNumberToObject(l, "spawn_rate", ld->spawn_rate);
        cJSON_AddNumberToObject(l, "duration_s", ld->duration_ns / 1e9);
        break;
    case QVR_LOAD_RAMP: {
        cJSON *st = cJSON_AddArrayToObject(l, "stages");
        for (int i = 0; i < ld->nstages; i++) {
            cJSON *s = cJSON_CreateObject();
            cJSON_AddNumberToObject(s, "users", ld->stages[i].users);
            cJSON_AddNumberToObject(s, "duration_s",
                                    ld->stages[i].dur_ns / 1e9);
            cJSON_AddItemToArray(st, s);
        }
        break;
    }
    case QVR_LOAD_RATE:
        cJSON_AddNumberToObject(l, "rps", ld->rps);
        cJSON_AddNumberToObject(l, "duration_s", ld->duration_ns / 1e9);
        cJSON_AddNumberToObject(l, "max_users", ld->max_users);
        cJSON_AddStringToObject(
            l, "arrival",
            ld->arrival == QVR_ARRIVAL_POISSON ? "poisson" : "constant");
        break;
    case QVR_LOAD_STEPS: {
        cJSON *st = cJSON_AddArrayToObject(l, ld->vary[0] ? ld->vary
                                              : ld->open  ? "rps"
                                                          : "users");
        for (int i = 0; i < ld->nsteps; i++)
            cJSON_AddItemToArray(
                st, cJSON_CreateNumber(ld->vary[0] ? ld->steps[i].vary
                                       : ld->open  ? ld->steps[i].rps
                                                   : ld->steps[i].users));
        if (ld->vary[0])
            cJSON_AddNumberToObject(l, "users", ld->users);
        cJSON_AddNumberToObject(l, "hold_s", ld->hold_ns / 1e9);
        cJSON_AddNumberToObject(l, "settle_s", ld->settle_ns / 1e9);
        break;
    }
    case QVR_LOAD_SWEEP:
        cJSON_AddNumberToObject(l, "max_rps", ld->max_rps);
        cJSON_AddNumberToObject(l, "rates", ld->rates);
        cJSON_AddNumberToObject(l, "hold_s", ld->hold_ns / 1e9);
        break;
    case QVR_LOAD_EVERY:
        cJSON_AddNumberToObject(l, "interval_s", ld->interval_ns / 1e9);
        cJSON_AddNumberToObject(l, "window", ld->window);
        break;
    }
    return l;
}

static cJSON *config_obj(const struct qvr_plan *p)
{
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "file", p->file);
    cJSON *l = load_obj(&p->load_full);
    cJSON_AddItemToObject(c, "load", l);
    static const char *const waits[] = {"none", "between", "constant",
                                        "pacing"};
    cJSON *w = cJSON_CreateObject();
    cJSON_AddStringToObject(w, "kind", waits[p->wait.kind]);
    cJSON_AddNumberToObject(w, "a", p->wait.a);
    cJSON_AddNumberToObject(w, "b", p->wait.b);
    cJSON_AddItemToObject(c, "wait", w);
    cJSON *t = cJSON_CreateObject();
    for (int i = 0; i < p->ntasks; i++)
        cJSON_AddNumberToObject(t, p->tasks[i].name, p->tasks[i].weight);
    cJSON_AddItemToObject(c, "task_weights", t);
    cJSON_AddNumberToObject(c, "warmup_requests", p->warmup_requests);
    if (p->warmup_ns)
        cJSON_AddNumberToObject(c, "warmup_duration_s", p->warmup_ns / 1e9);
    if (p->collect_gpu && *p->collect_gpu) /* asked for: a chart can say
                                              when it found none */
        cJSON_AddStringToObject(c, "collect_gpu", p->collect_gpu);
    cJSON_AddNumberToObject(c, "timeout_ms", (double)p->timeout_ms);
    cJSON_AddNumberToObject(c, "window_s", p->window_ns / 1e9);
    cJSON *slo = cJSON_AddObjectToObject(c, "slo");
    cJSON_AddNumberToObject(slo, "pct", p->slo.pct);
    cJSON_AddNumberToObject(slo, "latency_ms", p->slo.p99_ms);
    cJSON_AddNumberToObject(slo, "error_rate", p->slo.error_rate);
    if (p->slo.ttft_ms > 0) {
        cJSON_AddNumberToObject(slo, "ttft_pct", p->slo.ttft_pct);
        cJSON_AddNumberToObject(slo, "ttft_ms", p->slo.ttft_ms);
    }
    if (p->slo.tpot_ms > 0) {
        cJSON_AddNumberToObject(slo, "tpot_pct", p->slo.tpot_pct);
        cJSON_AddNumberToObject(slo, "tpot_ms", p->slo.tpot_ms);
    }
    cJSON_AddBoolToObject(c, "insecure", p->insecure);
    return c;
}

/* Labels are redacted again as they are written: a secret learned after a
 * label was counted goes too, and labels that become equal are one. */
static cJSON *labels_obj(const struct qvr_metrics *m, int list)
{
    cJSON *a = cJSON_CreateArray();
    const char *key = list == 0 ? "name" : "message";
    for (int i = 0; i < m->nlabels[list]; i++) {
        const struct qvr_label *l = &m->labels[list][i];
        char *tofree;
        const char *label = qvr_redact_str(NULL, l->label, &tofree);
        cJSON *o = a->child;
        while (o && strcmp(cJSON_GetObjectItem(o, key)->valuestring, label))
            o = o->next;
        if (o && list == 0) {
            cJSON *p = cJSON_GetObjectItem(o, "passed");
            cJSON *f = cJSON_GetObjectItem(o, "failed");
            cJSON_SetNumberValue(p, p->valuedouble + (double)l->ok);
            cJSON_SetNumberValue(f, f->valuedouble + (double)l->fail);
        } else if (o) {
            cJSON *c = cJSON_GetObjectItem(o, "count");
            cJSON_SetNumberValue(c, c->valuedouble + (double)l->fail);
        } else if (list == 0) {
            o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "name", label);
            cJSON_AddNumberToObject(o, "passed", (double)l->ok);
            cJSON_AddNumberToObject(o, "failed", (double)l->fail);
            cJSON_AddItemToArray(a, o);
        } else {
            o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "message", label);
            cJSON_AddNumberToObject(o, "count", (double)l->fail);
            cJSON_AddItemToArray(a, o);
        }
        free(tofree);
    }
    return a;
}

/* The kept messages of kind, most frequent first (ties: first kept). */
static int errmsgs_sorted(const struct qvr_metrics *m, int kind,
                          const struct qvr_errmsg **out)
{
    int n = 0;
    for (int i = 0; i < QVR_ERRMSG_KEEP; i++) {
        const struct qvr_errmsg *e = &m->errmsgs[kind][i];
        if (!e->text[0])
            continue;
        int j = n++;
        while (j > 0 && out[j - 1]->count < e->count) {
            out[j] = out[j - 1];
            j--;
        }
        out[j] = e;
    }
    return n;
}

/* "failure_messages": {kind: [{message, request, count}, ...]}: why the
 * transfers failed, in curl's words, most frequent first; a last entry
 * {"message": "(other messages)", count} holds those not kept. */
static cJSON *errmsgs_obj(const struct qvr_metrics *m)
{
    cJSON *o = cJSON_CreateObject();
    for (int k = 1; k < QVR_FAIL__COUNT; k++) {
        const struct qvr_errmsg *v[QVR_ERRMSG_KEEP];
        int n = errmsgs_sorted(m, k, v);
        if (!n && !m->errmsg_other[k])
            continue;
        cJSON *a = cJSON_AddArrayToObject(o, qvr_fail_kind_name(k));
        for (int i = 0; i < n; i++) {
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "message", v[i]->text);
            cJSON_AddStringToObject(e, "request", v[i]->where);
            cJSON_AddNumberToObject(e, "count", (double)v[i]->count);
            cJSON_AddItemToArray(a, e);
        }
        if (m->errmsg_other[k]) {
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "message", "(other messages)");
            cJSON_AddNumberToObject(e, "count", (double)m->errmsg_other[k]);
            cJSON_AddItemToArray(a, e);
        }
    }
    return o;
}

/* A step load or sweep: its arrivals are also counted per step. */
static int step_load(const struct qvr_run_result *r)
{
    return r->plan->load.kind == QVR_LOAD_STEPS ||
           r->plan->load.kind == QVR_LOAD_SWEEP;
}

/* The late and dropped starts of the run that no step row counts: those
 * meant for a step's settle (before its measured hold) and those of a step
 * cut short by an interrupt or an abort, which has no row. Every other
 * one is in the row of the step whose hold it was meant for. */
static void outside_steps(const struct qvr_run_result *r, uint64_t *late,
                          uint64_t *dropped)
{
    uint64_t l = 0, d = 0;
    for (int i = 0; i < r->nsteps; i++) {
        l += r->steps[i].late;
        d += r->steps[i].dropped;
    }
    *late = r->late > l ? r->late - l : 0;
    *dropped = r->dropped > d ? r->dropped - d : 0;
}

static char *summary_json(const struct qvr_run_result *r)
{
    const struct qvr_plan *p = r->plan;
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "schema", "qvrrun.summary/1");
    cJSON_AddStringToObject(root, "scenario", p->name);
    cJSON_AddNumberToObject(root, "exit_code", r->exit_code);
    cJSON_AddBoolToObject(root, "interrupted", r->interrupted);
    if (r->abort_reason)
        cJSON_AddStringToObject(root, "aborted", r->abort_reason);
    if (r->stopped_by) {
        cJSON_AddStringToObject(root, "stopped_by", r->stopped_by);
        cJSON_AddNumberToObject(root, "stopped_at_s", r3(r->stopped_at_s));
    }
    if (r->nchanges) {
        cJSON *lc = cJSON_AddArrayToObject(root, "load_changes");
        for (int i = 0; i < r->nchanges; i++) {
            const struct qvr_load_change *c = &r->changes[i];
            cJSON *o = cJSON_CreateObject();
            cJSON_AddNumberToObject(o, "time_s", r3(c->time_s));
            if (c->users >= 0)
                cJSON_AddNumberToObject(o, "users", c->users);
            else
                cJSON_AddNumberToObject(o, "rps", r3(c->rps));
            cJSON_AddStringToObject(o, "source", c->source);
            cJSON_AddItemToArray(lc, o);
        }
    }
    cJSON *tg = cJSON_CreateObject();
    cJSON_AddStringToObject(tg, "url", r->target_url);
    cJSON_AddStringToObject(tg, "kind", r->target_kind);
    cJSON_AddItemToObject(root, "target", tg);
    cJSON_AddNumberToObject(root, "started", r3(r->started_wall_s));
    cJSON_AddNumberToObject(root, "duration_s", r3(r->elapsed_s));
    cJSON_AddNumberToObject(root, "steady_from_s", r3(r->steady_from_s));
    cJSON_AddNumberToObject(root, "max_users", r->max_users);
    if (p->seg_count) {
        cJSON *sg = cJSON_AddObjectToObject(root, "segment");
        cJSON_AddNumberToObject(sg, "index", p->seg_index);
        cJSON_AddNumberToObject(sg, "count", p->seg_count);
    }
    cJSON_AddItemToObject(root, "config", config_obj(p));

    cJSON *tot = stat_obj(&r->m->total, r->elapsed_s, 1);
    cJSON_AddNumberToObject(tot, "iterations", (double)r->m->iterations);
    cJSON_AddNumberToObject(tot, "script_errors", (double)r->m->script_errors);
    cJSON_AddNumberToObject(tot, "cancelled", (double)r->cancelled);
    cJSON_AddItemToObject(tot, "failure_messages", errmsgs_obj(r->m));
    cJSON_AddItemToObject(root, "totals", tot);
    cJSON *names = cJSON_CreateObject();
    for (int i = 0; i < r->m->nnames; i++)
        cJSON_AddItemToObject(names, r->m->names[i]->name,
                              stat_obj(r->m->names[i], r->elapsed_s, 1));
    cJSON_AddItemToObject(root, "names", names);
    cJSON *tasks = cJSON_CreateObject();
    for (int i = 0; i < r->m->ntasks; i++)
        cJSON_AddItemToObject(tasks, r->m->tasks[i].name,
                              stat_obj(&r->m->tasks[i], r->elapsed_s, 1));
    cJSON_AddItemToObject(root, "tasks", tasks);
    if (r->warm)
        cJSON_AddItemToObject(root, "warmup", stat_obj(&r->warm->total, 0, 0));
    cJSON_AddItemToObject(root, "checks", labels_obj(r->m, 0));
    cJSON_AddItemToObject(root, "errors", labels_obj(r->m, 1));

    if (r->co_hist) {
        cJSON *co = cJSON_AddObjectToObject(root, "coordinated_omission");
        cJSON_AddNumberToObject(co, "expected_interval_ms",
                                r3(r->co_interval_ms));
        cJSON_AddBoolToObject(co, "detected", r->co_detected);
        cJSON_AddItemToObject(co, "latency_ms", latency_obj(r->co_hist));
    }

    cJSON *th = cJSON_CreateArray();
    for (int i = 0; i < p->nthresh; i++)
        cJSON_AddItemToArray(th, qvr_verdict_json_new(&p->thresh[i]));
    cJSON_AddItemToObject(root, "thresholds", th);
    if (r->nsteps) {
        cJSON *st = cJSON_AddArrayToObject(root, "steps");
        for (int i = 0; i < r->nsteps; i++) {
            const struct qvr_step_row *s = &r->steps[i];
            cJSON *o = cJSON_CreateObject();
            cJSON_AddNumberToObject(o, "step", s->index);
            if (s->label)
                cJSON_AddStringToObject(o, "label", s->label);
            if (s->rate > 0)
                cJSON_AddNumberToObject(o, "rate", r3(s->rate));
            else
                cJSON_AddNumberToObject(o, "users", s->users);
            if (r->vary)
                cJSON_AddNumberToObject(o, r->vary, s->vary);
            cJSON_AddNumberToObject(o, "duration_s", r3(s->duration_s));
            cJSON_AddNumberToObject(o, "start_s", r3(s->start_s));
            cJSON_AddNumberToObject(o, "achieved_users", r3(s->achieved_users));
            cJSON_AddNumberToObject(o, "achieved_rate", r3(s->achieved_rate));
            cJSON_AddBoolToObject(o, "under_delivered", s->under);
            cJSON_AddNumberToObject(o, "requests", (double)s->requests);
            cJSON_AddNumberToObject(o, "failures", (double)s->failures);
            cJSON_AddNumberToObject(o, "refused", (double)s->refused);
            cJSON_AddNumberToObject(o, "late", (double)s->late);
            cJSON_AddNumberToObject(o, "dropped", (double)s->dropped);
            cJSON_AddNumberToObject(o, "rps", r3(s->rps));
            cJSON *l = cJSON_AddObjectToObject(o, "latency_ms");
            cJSON_AddNumberToObject(l, "p50", s->p50_ms);
            cJSON_AddNumberToObject(l, "p90", s->p90_ms);
            cJSON_AddNumberToObject(l, "p95", s->p95_ms);
            cJSON_AddNumberToObject(l, "p99", s->p99_ms);
            cJSON_AddNumberToObject(l, "max", s->max_ms);
            if (s->streams) {
                cJSON *t = cJSON_AddObjectToObject(o, "ttft_ms");
                cJSON_AddNumberToObject(t, "p50", r3(s->ttft_p50_ms));
                cJSON_AddNumberToObject(t, "p99", r3(s->ttft_p99_ms));
                t = cJSON_AddObjectToObject(o, "tpot_ms");
                cJSON_AddNumberToObject(t, "p50", r3(s->tpot_p50_ms));
                cJSON_AddNumberToObject(t, "p99", r3(s->tpot_p99_ms));
                cJSON_AddNumberToObject(o, "output_tokens",
                                        (double)s->out_tokens);
                cJSON_AddNumberToObject(
                    o, "output_tokens_per_s",
                    r3(s->duration_s > 0 ? s->out_tokens / s->duration_s : 0));
            }
            cJSON_AddNumberToObject(o, "error_rate", s->error_rate);
            cJSON_AddBoolToObject(o, "slo_ok", s->slo_ok);
            cJSON_AddStringToObject(o, "note", s->note);
            if (r->step_hist && r->step_hist[i])
                cJSON_AddStringToObject(o, "histogram_us", r->step_hist[i]);
            cJSON_AddItemToArray(st, o);
        }
        cJSON *k = cJSON_AddObjectToObject(root, "knee");
        const struct qvr_knee *kn = r->knee;
        /* The level the knee is quoted in: the varied variable, users, or
         * for rate steps and sweeps (whose knee is always a rate step,
         * even though the baseline row is one user) the offered rate. */
        int rate_steps = 0;
        for (int i = 0; i < r->nsteps; i++)
            rate_steps |=
                r->steps[i].rate > 0 || qvr_steps_reference(&r->steps[i]);
        const char *unit = r->vary ? r->vary : (rate_steps ? "rps" : "users");
        char key[48];
        if (kn->knee >= 0) {
            const struct qvr_step_row *s = &r->steps[kn->knee];
            cJSON_AddNumberToObject(k, "step", s->index);
            cJSON_AddNumberToObject(
                k, unit,
                r->vary ? s->vary : (s->rate > 0 ? s->rate : s->users));
        } else {
            cJSON_AddNullToObject(k, "step");
        }
        snprintf(key, sizeof(key), "safe_%s", unit);
        if (kn->safe >= 0) {
            const struct qvr_step_row *s = &r->steps[kn->safe];
            cJSON_AddNumberToObject(k, "safe_step", s->index);
            cJSON_AddNumberToObject(
                k, key, r->vary ? s->vary : (s->rate > 0 ? s->rate : s->users));
        } else {
            cJSON_AddNullToObject(k, "safe_step");
            cJSON_AddNullToObject(k, key);
        }
        if (kn->best_slo >= 0) {
            const struct qvr_step_row *s = &r->steps[kn->best_slo];
            cJSON_AddNumberToObject(k, "best_slo_step", s->index);
            cJSON_AddNumberToObject(k, "goodput_rps", r3(s->rps));
        }
        cJSON_AddBoolToObject(k, "saturated", kn->saturated);
    }
    if (r->open_model) {
        cJSON *a = cJSON_AddObjectToObject(root, "arrivals");
        if (r->intended_rps > 0)
            cJSON_AddNumberToObject(a, "intended_rps", r->intended_rps);
        cJSON_AddNumberToObject(a, "started", (double)r->started);
        cJSON_AddNumberToObject(a, "achieved_rps",
                                r->load_s > 0 ? r3(r->started / r->load_s) : 0);
        cJSON_AddNumberToObject(a, "late", (double)r->late);
        cJSON_AddNumberToObject(a, "dropped", (double)r->dropped);
        if (step_load(r)) {
            /* what no step row counts: starts meant for a settle, or
             * for a step cut short (no row); the rows add up with it */
            uint64_t late, dropped;
            outside_steps(r, &late, &dropped);
            cJSON *o = cJSON_AddObjectToObject(a, "outside_steps");
            cJSON_AddNumberToObject(o, "late", (double)late);
            cJSON_AddNumberToObject(o, "dropped", (double)dropped);
        }
        if (isnan(r->start_gap_cv))
            cJSON_AddNullToObject(a, "start_gap_cv");
        else
            cJSON_AddNumberToObject(a, "start_gap_cv", r3(r->start_gap_cv));
    }
    cJSON *gen = cJSON_AddObjectToObject(root, "generator");
    cJSON_AddNumberToObject(gen, "cpu_pct_max", r3(r->gen_cpu_max_pct));
    cJSON_AddNumberToObject(gen, "busy_windows", r->gen_busy_windows);
    cJSON_AddNumberToObject(gen, "loop_lag_ms_max", r3(r->gen_lag_max_ms));
    cJSON_AddNumberToObject(gen, "loop_lag_ms_mean", r3(r->gen_lag_mean_ms));
    cJSON_AddNumberToObject(gen, "threads", r->threads);
    cJSON *f = cJSON_CreateArray();
    for (int i = 0; i < r->nfindings; i++)
        cJSON_AddItemToArray(f, cJSON_CreateString(r->findings[i]));
    cJSON_AddItemToObject(root, "findings", f);
    char *s = cJSON_Print(root);
    cJSON_Delete(root);
    return s;
}

int qvr_report_window_csv(struct qvr_buf *b, const struct qvr_window_row *w)
{
    int rc =
        qvr_buf_printf(b, "%.3f,%.3f,%d,%llu,%llu,%.3f,", w->t_s, w->wall_s,
                       w->users, (unsigned long long)w->requests,
                       (unsigned long long)w->failures, w->rps);
    if (!w->requests)
        return rc | qvr_buf_printf(b, ",,,");
    return rc | qvr_buf_printf(b, "%.3f,%.3f,%.3f,%.3f", w->p50_ms, w->p90_ms,
                               w->p99_ms, w->max_ms);
}

static int timeseries_csv(const struct qvr_run_result *r, struct qvr_buf *b)
{
    char extra[4096] = "";
    qvr_buf_printf(b, "time_s,wall_s,users,requests,failures,rps,p50_ms,"
                      "p90_ms,p99_ms,max_ms");
    if (r->collect && qvr_collect_columns(r->collect, extra, sizeof(extra)) > 0)
        qvr_buf_printf(b, "%s", extra);
    qvr_buf_printf(b, "%s\n", QVR_REPORT_TOK_COLUMNS);
    for (int i = 0; i < r->nrows; i++) {
        const struct qvr_window_row *w = &r->rows[i];
        qvr_report_window_csv(b, w);
        qvr_buf_printf(b, "\n");
        if (r->collect &&
            qvr_collect_row(r->collect, i, extra, sizeof(extra)) > 0) {
            b->len--; /* the collect cells go before the newline */
            qvr_buf_printf(b, "%s\n", extra);
        }
        b->len--; /* the token cells last */
        qvr_report_tok_cells(w, b);
        qvr_buf_printf(b, "\n");
    }
    return b->truncated ? QVR_ENOMEM : 0;
}

int qvr_report_write(const struct qvr_run_result *r, char *err,
                     unsigned long errlen)
{
    char *js = summary_json(r);
    if (!js) {
        snprintf(err, errlen, "out of memory building summary.json");
        return QVR_ENOMEM;
    }
    size_t jl = strlen(js);
    js[jl] = 0;
    struct qvr_buf b;
    qvr_buf_init(&b, 0);
    int rc = timeseries_csv(r, &b);
    if (rc == 0)
        rc = qvr_report_write_file(r->out_dir, "timeseries.csv",
                                   b.data ? b.data : "", b.len, err, errlen);
    if (rc == 0 && r->nsteps) {
        qvr_buf_reset(&b);
        qvr_steps_csv(r->steps, r->nsteps, r->vary, &b);
        rc = qvr_report_write_file(r->out_dir, "steps.csv",
                                   b.data ? b.data : "", b.len, err, errlen);
    }
    qvr_buf_free(&b);
    /* summary.json last: its presence means the rest is there too. */
    if (rc == 0) {
        char *nl = malloc(jl + 2);
        if (!nl) {
            rc = QVR_ENOMEM;
        } else {
            memcpy(nl, js, jl);
            nl[jl] = '\n';
            rc = qvr_report_write_file(r->out_dir, "summary.json", nl, jl + 1,
                                       err, errlen);
            free(nl);
        }
    }
    cJSON_free(js);
    return rc;
}

/* The latency format of every table (base/fmt.c). */
static void fmt_ms(double v, char *buf, size_t len)
{
    qvr_fmt_ms(v, buf, len);
}

static void print_row(FILE *out, const char *name, const struct qvr_stat *s,
                      double elapsed)
{
    char p50[16], p90[16], p99[16], mx[16];
    fmt_ms(qvr_report_pct_ms(s, 50), p50, sizeof(p50));
    fmt_ms(qvr_report_pct_ms(s, 90), p90, sizeof(p90));
    fmt_ms(qvr_report_pct_ms(s, 99), p99, sizeof(p99));
    fmt_ms(s->resp->total ? ms(s->resp->max) : 0, mx, sizeof(mx));
    if (!s->requests) /* no answer: no latency, never 0.00ms; the dash is
                         three bytes, padded here to the column's 8 */
        for (char *c[4] = {p50, p90, p99, mx}, **p = c; p < c + 4; p++)
            snprintf(*p, 16, "       \u2013");
    fprintf(out, "  %-28.28s %9llu %8llu %9.1f %8s %8s %8s %8s\n", name,
            (unsigned long long)s->requests, (unsigned long long)s->failures,
            elapsed > 0 ? s->requests / elapsed : 0, p50, p90, p99, mx);
}

/* Why transfers failed: each kind's kept messages, most frequent first,
 * with the request each was first seen on. */
static void print_errmsgs(const struct qvr_metrics *m, FILE *out)
{
    int any = 0;
    for (int k = 1; k < QVR_FAIL__COUNT; k++) {
        const struct qvr_errmsg *v[QVR_ERRMSG_KEEP];
        int n = errmsgs_sorted(m, k, v);
        for (int i = 0; i < n; i++) {
            if (!any++)
                fprintf(out, "  transport errors:\n");
            fprintf(out, "    %-12s %6llu x %s\n", qvr_fail_kind_name(k),
                    (unsigned long long)v[i]->count, v[i]->text);
            if (v[i]->where[0])
                fprintf(out, "    %-12s          first on %s\n", "",
                        v[i]->where);
        }
        if (m->errmsg_other[k])
            fprintf(out, "    %-12s %6llu x (other messages)\n",
                    qvr_fail_kind_name(k),
                    (unsigned long long)m->errmsg_other[k]);
    }
}

static void print_tok_row(FILE *out, const char *name, const struct qvr_stat *s,
                          double elapsed)
{
    const struct qvr_tok *t = s->tok;
    char v[6][16];
    const struct qvr_hist *h[3] = {t->ttft, t->itl, t->tpot};
    for (int k = 0; k < 3; k++) {
        fmt_ms(ms(qvr_hist_value_at(h[k], 50)), v[2 * k], sizeof(v[0]));
        fmt_ms(ms(qvr_hist_value_at(h[k], 99)), v[2 * k + 1], sizeof(v[0]));
    }
    fprintf(out, "  %-20.20s %8llu %9llu %9.1f %8s %8s %8s %8s %8s %8s\n", name,
            (unsigned long long)t->streams, (unsigned long long)t->out_tokens,
            elapsed > 0 ? t->out_tokens / elapsed : 0, v[0], v[1], v[2], v[3],
            v[4], v[5]);
}

/* The token block under the table: one row per name that streamed, then
 * the total; only when streams were seen. */
static void print_tokens(const struct qvr_run_result *r, FILE *out)
{
    const struct qvr_metrics *m = r->m;
    const struct qvr_tok *t = m->total.tok;
    if (!t || !t->streams)
        return;
    fprintf(out, "\n  %-20s %8s %9s %9s %8s %8s %8s %8s %8s %8s\n",
            "token streams", "streams", "out tok", "out tok/s", "ttft p50",
            "ttft p99", "itl p50", "itl p99", "tpot p50", "tpot p99");
    int shown = 0;
    for (int i = 0; i < m->nnames && shown < 40; i++) {
        const struct qvr_stat *s = m->names[i];
        if (s->tok && s->tok->streams) {
            print_tok_row(out, s->name, s, r->elapsed_s);
            shown++;
        }
    }
    print_tok_row(out, "TOTAL", &m->total, r->elapsed_s);
    fprintf(out, "  input tokens %llu, output tokens %llu (%s)\n",
            (unsigned long long)t->in_tokens, (unsigned long long)t->out_tokens,
            t->usage_streams == t->streams
                ? "from the server's usage"
                : (t->usage_streams ? "usage where given, else counted events"
                                    : "counted content events: no usage"));
}

void qvr_report_print(const struct qvr_run_result *r, FILE *out)
{
    const struct qvr_metrics *m = r->m;
    fprintf(out, "\n  %-28s %9s %8s %9s %8s %8s %8s %8s\n", "name", "requests",
            "failures", "req/s", "p50", "p90", "p99", "max");
    /* The first names seen, "(other)", and a count of the rest: the table
     * is read by a person; summary.json has every name. */
    int shown = m->nnames < 40 ? m->nnames : 40, hidden = 0;
    for (int i = 0; i < m->nnames; i++) {
        if (i < shown || strcmp(m->names[i]->name, QVR_OTHER_NAME) == 0)
            print_row(out, m->names[i]->name, m->names[i], r->elapsed_s);
        else
            hidden++;
    }
    if (hidden)
        fprintf(out, "  ... %d more names (summary.json has them all)\n",
                hidden);
    if (m->ntasks > 1)
        for (int i = 0; i < m->ntasks; i++) {
            char n[64];
            snprintf(n, sizeof(n), "task %s", m->tasks[i].name);
            print_row(out, n, &m->tasks[i], r->elapsed_s);
        }
    print_row(out, "TOTAL", &m->total, r->elapsed_s);
    print_tokens(r, out);
    if (r->co_hist && r->co_detected) {
        /* beside the measured figures, never instead of them */
        char p50[16], p90[16], p99[16], mx[16];
        fmt_ms(ms(qvr_hist_value_at(r->co_hist, 50)), p50, sizeof(p50));
        fmt_ms(ms(qvr_hist_value_at(r->co_hist, 90)), p90, sizeof(p90));
        fmt_ms(ms(qvr_hist_value_at(r->co_hist, 99)), p99, sizeof(p99));
        fmt_ms(ms(r->co_hist->max), mx, sizeof(mx));
        fprintf(out, "  %-28.28s %9s %8s %9s %8s %8s %8s %8s\n",
                "TOTAL corrected (CO)", "", "", "", p50, p90, p99, mx);
    }
    const struct qvr_stat *t = &m->total;
    if (t->requests) {
        /* every status code, so a run of 404s says 404 */
        int first = 1;
        for (int c = 0; c < QVR_STATUS_MAX; c++)
            if (t->status[c]) {
                fprintf(out, "%s %d x%u", first ? "\n  status:" : ",", c,
                        t->status[c]);
                first = 0;
            }
        if (!first)
            fputc('\n', out);
    }
    if (r->warm && r->warm->total.requests) {
        const struct qvr_stat *w = &r->warm->total;
        char f[16], p50[16], mx[16];
        fmt_ms(isnan(r->warm_first_ms) ? 0 : r->warm_first_ms, f, sizeof(f));
        fmt_ms(qvr_report_pct_ms(w, 50), p50, sizeof(p50));
        fmt_ms(ms(w->resp->max), mx, sizeof(mx));
        fprintf(out,
                "\n  warm-up (not in the figures above): %llu requests, "
                "first %s, p50 %s, max %s\n",
                (unsigned long long)w->requests, f, p50, mx);
    }
    if (t->failures) {
        fprintf(out, "\n  failures:");
        for (int k = 1; k < QVR_FAIL__COUNT; k++)
            if (t->fails[k])
                fprintf(out, " %s %llu", qvr_fail_kind_name(k),
                        (unsigned long long)t->fails[k]);
        fprintf(out, "\n");
        print_errmsgs(m, out);
    }
    if (m->nlabels[0]) {
        fprintf(out, "\n  checks:\n");
        for (int i = 0; i < m->nlabels[0]; i++) {
            const struct qvr_label *l = &m->labels[0][i];
            fprintf(out, "    %-4s %s  (%llu passed, %llu failed)\n",
                    l->fail ? "FAIL" : "ok", l->label,
                    (unsigned long long)l->ok, (unsigned long long)l->fail);
        }
    }
    if (m->script_errors)
        fprintf(out, "\n  task errors: %llu (see \"errors\" in summary.json)\n",
                (unsigned long long)m->script_errors);
    if (r->nsteps)
        qvr_steps_print(r->steps, r->nsteps, r->vary, r->knee, out);
    if (r->open_model) {
        uint64_t late = 0, dropped = 0;
        if (step_load(r))
            outside_steps(r, &late, &dropped);
        fprintf(out,
                "\n  arrivals: %llu started (%.2f/s), %llu late, %llu "
                "dropped",
                (unsigned long long)r->started,
                r->load_s > 0 ? r->started / r->load_s : 0,
                (unsigned long long)r->late, (unsigned long long)r->dropped);
        if (late || dropped)
            fprintf(out, " (%llu late, %llu dropped outside the steps)",
                    (unsigned long long)late, (unsigned long long)dropped);
        fprintf(out, "\n");
    }
    if (r->plan->nthresh) {
        fprintf(out, "\n  thresholds:\n");
        for (int i = 0; i < r->plan->nthresh; i++)
            qvr_gate_print(&r->plan->thresh[i], out);
    }
    for (int i = 0; i < r->nfindings; i++)
        fprintf(out, "%s  %s\n", i == 0 ? "\n  findings:\n" : "",
                r->findings[i]);
    fprintf(out, "\n  results: %s/summary.json\n", r->out_dir);
    fflush(out);
}
