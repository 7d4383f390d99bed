/* gate.c -- windowed and trend thresholds (see gate.h). */
#include "gate.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "log.h"
#include "qvr.h"
#include "suggest.h"
#include "thresh.h"

struct slot {
    char *enc; /* V2-compressed histogram of the window, owned */
    uint64_t requests, failures;
    double len_s;
    char *tenc[3];       /* token streams: TTFT, ITL, TPOT windows, owned */
    uint64_t streams;    /* streams completed in the window */
    uint64_t out_tokens; /* their output tokens */
};

struct qvr_gate {
    struct qvr_plan_thresh *th;
    int nth;
    uint64_t window_ns;
    struct slot *ring;
    int cap, n, head; /* head: next write position */
    int *evaluated;   /* per threshold: evaluated over a full window */
    struct qvr_hist *acc;
    struct slot pend; /* qvr_gate_tok's figures for the next window */
};

/* Student's t at 97.5% for df degrees of freedom (a two-sided 95%
 * interval): the table up to 10, then the series 1.96 + 2.37/df +
 * 2.8/df^2, within 0.2% of it. */
static double t975(int df)
{
    static const double small[] = {INFINITY, 12.706, 4.303, 3.182, 2.776, 2.571,
                                   2.447,    2.365,  2.306, 2.262, 2.228};
    if (df <= 10)
        return small[df > 0 ? df : 0];
    return 1.96 + 2.37 / df + 2.8 / ((double)df * df);
}

int qvr_trend_decided(double change, double noise, double limit)
{
    return !(noise > 0) || fabs(change) >= noise ||
           fabs(change - limit) >= noise;
}

int qvr_trend_fit(const double *x, const double *y, int n, double *y_first,
                  double *y_last, double *half)
{
    if (n < 3)
        return QVR_EINVAL;
    double mx = 0, my = 0;
    for (int i = 0; i < n; i++) {
        mx += x[i];
        my += y[i];
    }
    mx /= n;
    my /= n;
    double sxx = 0, sxy = 0;
    for (int i = 0; i < n; i++) {
        sxx += (x[i] - mx) * (x[i] - mx);
        sxy += (x[i] - mx) * (y[i] - my);
    }
    if (sxx <= 0)
        return QVR_EINVAL;
    double b = sxy / sxx;
    *y_first = my + b * (x[0] - mx);
    *y_last = my + b * (x[n - 1] - mx);
    if (half) {
        /* the slope's standard error from the residuals, over the span */
        double ssr = 0;
        for (int i = 0; i < n; i++) {
            double e = y[i] - (my + b * (x[i] - mx));
            ssr += e * e;
        }
        *half = t975(n - 2) * sqrt(ssr / (n - 2) / sxx) * fabs(x[n - 1] - x[0]);
    }
    return 0;
}

/* A window's p50 or p99 of a token time (ttft., itl., tpot. trends). */
static double tok_level(const struct qvr_window_row *w, enum qvr_thresh_src src,
                        int p99)
{
    switch (src) {
    case QVR_TS_TTFT:
        return p99 ? w->ttft_p99_ms : w->ttft_p50_ms;
    case QVR_TS_ITL:
        return p99 ? w->itl_p99_ms : w->itl_p50_ms;
    default:
        return p99 ? w->tpot_p99_ms : w->tpot_p50_ms;
    }
}

static int trend_eval_src(const struct qvr_window_row *rows, int n,
                          double steady_from_s, double window_s,
                          enum qvr_thresh_metric metric,
                          enum qvr_thresh_src src, struct qvr_trend *t);

int qvr_trend_eval(const struct qvr_window_row *rows, int n,
                   double steady_from_s, double window_s,
                   enum qvr_thresh_metric metric, struct qvr_trend *t)
{
    return trend_eval_src(rows, n, steady_from_s, window_s, metric,
                          QVR_TS_LATENCY, t);
}

/* qvr_trend_eval through the windows' token times when src says so
 * (windows without a stream are left out). */
static int trend_eval_src(const struct qvr_window_row *rows, int n,
                          double steady_from_s, double window_s,
                          enum qvr_thresh_metric metric,
                          enum qvr_thresh_src src, struct qvr_trend *t)
{
    double *x = malloc(sizeof(double) * (size_t)(n > 0 ? n : 1));
    double *y = malloc(sizeof(double) * (size_t)(n > 0 ? n : 1));
    int m = 0, rc = QVR_EINVAL;
    double start_s = 0;
    t->change = t->first = t->last = t->noise = NAN;
    t->windows = 0;
    t->lo = t->hi = -1;
    t->span_s = 0;
    if (!x || !y) {
        rc = QVR_ENOMEM;
        goto out;
    }
    for (int i = 0; i < n; i++) {
        const struct qvr_window_row *w = &rows[i];
        if (w->t_s - w->len_s < steady_from_s - 1e-6 ||
            w->len_s < 0.9 * window_s)
            continue;
        if (metric != QVR_TM_RPS_TREND && !w->requests)
            continue; /* no percentile, no error rate */
        if (src != QVR_TS_LATENCY && !w->streams)
            continue;
        x[m] = w->t_s;
        if (src != QVR_TS_LATENCY &&
            (metric == QVR_TM_P50_TREND || metric == QVR_TM_P99_TREND)) {
            y[m] = tok_level(w, src, metric == QVR_TM_P99_TREND);
            goto keep;
        }
        switch (metric) {
        case QVR_TM_RPS_TREND:
            y[m] = w->rps;
            break;
        case QVR_TM_P50_TREND:
            y[m] = w->p50_ms;
            break;
        case QVR_TM_P99_TREND:
            y[m] = w->p99_ms;
            break;
        case QVR_TM_ERROR_RATE_TREND:
            y[m] = (double)w->failures / w->requests;
            break;
        default:
            goto out;
        }
    keep:
        if (m == 0) {
            start_s = w->t_s - w->len_s;
            t->lo = i;
        }
        t->hi = i;
        t->span_s = w->t_s - start_s;
        m++;
    }
    t->windows = m;
    double a, b, half;
    if (m < QVR_TREND_MIN_WINDOWS || qvr_trend_fit(x, y, m, &a, &b, &half) < 0)
        goto out;
    t->first = a;
    t->last = b;
    if (metric == QVR_TM_ERROR_RATE_TREND) {
        t->change = b - a;
        t->noise = half;
    } else if (a > 0) {
        t->change = (b - a) / a;
        t->noise = half / a;
    }
    if (!isnan(t->change))
        rc = 0;
out:
    free(x);
    free(y);
    return rc;
}

double qvr_trend_value(const struct qvr_window_row *rows, int n,
                       double steady_from_s, double window_s,
                       enum qvr_thresh_metric metric, double *first,
                       double *last)
{
    struct qvr_trend t;
    qvr_trend_eval(rows, n, steady_from_s, window_s, metric, &t);
    if (first)
        *first = t.first;
    if (last)
        *last = t.last;
    return t.change;
}

/* What a trend metric is about, in the words and units of a finding, and
 * the fixed limit of a finding when the scenario has no threshold on it. */
static const struct drift {
    enum qvr_thresh_metric metric;
    const char *what, *unit;
    double limit; /* a change at or beyond it (same sign) is a finding */
} drifts[] = {
    {QVR_TM_RPS_TREND, "throughput", "req/s", -0.05},
    {QVR_TM_P99_TREND, "P99", "ms", 0.25},
    {QVR_TM_P50_TREND, "P50", "ms", 0.25},
    {QVR_TM_ERROR_RATE_TREND, "the error rate", "points", 0.02},
};

/* A line's value with about 3 significant digits and no exponent. */
static void fmt_level(char *buf, size_t len, double v)
{
    double a = fabs(v);
    snprintf(buf, len, a >= 100 ? "%.0f" : a >= 10 ? "%.1f" : "%.2f", v);
}

/* "throughput fell 8.0% over 10.0s (30.5 -> 28.1 req/s on the trend line
 * through 10 windows)", then ", failing EXPR" when a threshold failed. The
 * change is printed as the threshold's measured value is (one decimal of
 * %, two of pp), so the two agree. */
static char *drift_sentence(const struct drift *d, const struct qvr_trend *t,
                            const struct qvr_plan_thresh *pt)
{
    char span[24], a[32], b[32], buf[512];
    int rate = d->metric == QVR_TM_ERROR_RATE_TREND;
    const char *verb = t->change > 0   ? (rate ? "crept up" : "rose")
                       : t->change < 0 ? "fell"
                                       : "changed";
    /* to 0.1 s: ten windows of a run are "10s", not "9.99s" */
    qvr_duration_fmt((uint64_t)llround(t->span_s * 10) * 100000000ULL, span,
                     sizeof(span));
    if (rate) {
        snprintf(a, sizeof(a), "%.2f%%", t->first * 100);
        snprintf(b, sizeof(b), "%.2f%%", t->last * 100);
    } else {
        fmt_level(a, sizeof(a), t->first);
        fmt_level(b, sizeof(b), t->last);
    }
    int k;
    if (rate)
        k = snprintf(buf, sizeof(buf),
                     "%s %s %.2f points over %s (%s -> %s on the trend line "
                     "through %d windows)",
                     d->what, verb, fabs(t->change) * 100, span, a, b,
                     t->windows);
    else
        k = snprintf(buf, sizeof(buf),
                     "%s %s %.1f%% over %s (%s -> %s %s on the trend line "
                     "through %d windows)",
                     d->what, verb, fabs(t->change) * 100, span, a, b, d->unit,
                     t->windows);
    if (pt && k > 0 && (size_t)k < sizeof(buf))
        snprintf(buf + k, sizeof(buf) - (size_t)k, ", failing %s", pt->t.expr);
    return strdup(buf);
}

int qvr_drift_findings(const struct qvr_plan_thresh *th, int nth,
                       const struct qvr_window_row *rows, int n,
                       double steady_from_s, double window_s, char **out,
                       int max)
{
    int count = 0;
    /* The fixed limits need a steady phase long enough to mean drift. */
    int long_enough = n >= 10 && rows[n - 1].t_s - steady_from_s >= 30;
    for (size_t i = 0; i < QVR_ARRAY_LEN(drifts) && count < max; i++) {
        const struct drift *d = &drifts[i];
        const struct qvr_plan_thresh *pt = NULL;
        for (int j = 0; j < nth && !pt; j++)
            if (th[j].t.kind == QVR_TK_TREND && th[j].t.metric == d->metric)
                pt = &th[j];
        if (pt ? pt->ok || pt->skipped : !long_enough)
            continue;
        struct qvr_trend t;
        if (qvr_trend_eval(rows, n, steady_from_s, window_s, d->metric, &t) < 0)
            continue;
        if (!pt && (d->limit < 0 ? t.change > d->limit : t.change < d->limit))
            continue;
        if (!pt && !qvr_trend_decided(t.change, t.noise, d->limit))
            continue; /* past the limit by less than its noise */
        char *f = drift_sentence(d, &t, pt);
        if (f)
            out[count++] = f;
    }
    return count;
}

static const char *const drift_verbs[] = {"fell ", "rose ", "crept up ",
                                          "changed "};

int qvr_drift_finding_is(const char *f)
{
    for (size_t i = 0; i < QVR_ARRAY_LEN(drifts); i++) {
        size_t n = strlen(drifts[i].what);
        if (strncmp(f, drifts[i].what, n) != 0 || f[n] != ' ')
            continue;
        for (size_t j = 0; j < QVR_ARRAY_LEN(drift_verbs); j++)
            if (strncmp(f + n + 1, drift_verbs[j], strlen(drift_verbs[j])) == 0)
                return 1;
    }
    return 0;
}

/* The thresholds skipped for one reason, named in its warning. */
struct skipped {
    int n;
    size_t used;
    char names[512];
};

/* pt is not evaluated (n/a): neither held nor failed; why is set. */
static void skip_trend(struct qvr_plan_thresh *pt, struct skipped *s)
{
    pt->skipped = 1;
    pt->ok = 1;
    pt->evaluated = 0;
    int k = snprintf(s->names + s->used, sizeof(s->names) - s->used, "%s%s",
                     s->n ? ", " : "", pt->t.expr);
    if (k > 0 && (size_t)k < sizeof(s->names) - s->used)
        s->used += (size_t)k;
    s->n++;
}

int qvr_gate_trends(struct qvr_plan_thresh *th, int nth,
                    const struct qvr_window_row *rows, int n,
                    double steady_from_s, double window_s)
{
    struct skipped few = {0}, noisy = {0};
    for (int i = 0; i < nth; i++) {
        struct qvr_plan_thresh *pt = &th[i];
        if (pt->t.kind != QVR_TK_TREND || pt->t.window_ns)
            continue;
        struct qvr_trend t;
        int rc = trend_eval_src(rows, n, steady_from_s, window_s, pt->t.metric,
                                pt->t.src, &t);
        pt->value = t.change;
        pt->why[0] = 0;
        pt->skipped = 0;
        if (rc == 0 && !qvr_trend_decided(t.change, t.noise, pt->t.target)) {
            char v[32], hw[32], lim[32];
            qvr_thresh_fmt_value(&pt->t, t.change, v, sizeof(v));
            qvr_thresh_fmt_value(&pt->t, t.noise, hw, sizeof(hw));
            qvr_thresh_fmt_value(&pt->t, pt->t.target, lim, sizeof(lim));
            snprintf(pt->why, sizeof(pt->why),
                     "too noisy: %s +-%s (95%%) through %d windows, a range "
                     "that holds both 0 and the limit %s",
                     v, hw + 1, t.windows, lim);
            skip_trend(pt, &noisy);
        } else if (rc == 0) {
            pt->ok = qvr_thresh_check(&pt->t, pt->value);
            pt->evaluated = 1;
        } else if (t.windows < QVR_TREND_MIN_WINDOWS) {
            snprintf(pt->why, sizeof(pt->why),
                     "%d steady window%s, a trend needs %d", t.windows,
                     t.windows == 1 ? "" : "s", QVR_TREND_MIN_WINDOWS);
            skip_trend(pt, &few);
        } else {
            snprintf(pt->why, sizeof(pt->why),
                     "the trend line starts at %.3g, no relative change",
                     t.first);
            pt->ok = 0;
            pt->evaluated = 1;
        }
    }
    if (few.n)
        qvr_warn("%d trend threshold%s not evaluated (%s): fewer than %d "
                 "steady windows (full-length windows from %.1fs on, once "
                 "the load runs its most users); %s not fail the gate, run "
                 "longer to judge drift",
                 few.n, few.n == 1 ? "" : "s", few.names, QVR_TREND_MIN_WINDOWS,
                 steady_from_s, few.n == 1 ? "it does" : "they do");
    if (noisy.n)
        qvr_warn("%d trend threshold%s not evaluated (%s): the fitted "
                 "change's 95%% confidence interval holds both 0 and the "
                 "limit, so the window-to-window scatter would decide the "
                 "verdict (see the table); %s not fail the gate, run longer "
                 "or at a higher rate to judge drift",
                 noisy.n, noisy.n == 1 ? "" : "s", noisy.names,
                 noisy.n == 1 ? "it does" : "they do");
    return few.n + noisy.n;
}

int qvr_gate_no_data(struct qvr_plan_thresh *pt, uint64_t requests,
                     uint64_t checks, const char *const *seen, int nseen)
{
    const struct qvr_thresh *t = &pt->t;
    char *w = pt->why;
    size_t len = sizeof(pt->why);
    if (!isnan(pt->value) || pt->skipped)
        return 0;
    if (requests && t->metric == QVR_TM_CHECKS && !checks) {
        if (t->ntags)
            snprintf(w, len, "no check ran on a request with %s=%s",
                     t->tags[0].key, t->tags[0].value);
        else
            snprintf(w, len, "no check ran");
    } else if (requests &&
               (t->src != QVR_TS_LATENCY || t->metric == QVR_TM_OUT_TPS)) {
        snprintf(w, len,
                 "no token stream%s%s%s carried a token (answers not "
                 "text/event-stream, or no output in them; stream = "
                 "\"sse\" or \"ndjson\" on a request parses it)",
                 t->ntags ? " with " : "", t->ntags ? t->tags[0].key : "",
                 t->ntags ? "=..." : "");
    } else if (requests) {
        return 0; /* NaN for another reason */
    } else if (!t->ntags) {
        snprintf(w, len, "the run completed no request");
    } else if (!nseen) {
        snprintf(w, len, "no request had %s=%s; the run completed no request",
                 t->tags[0].key, t->tags[0].value);
    } else {
        /* the names seen, closest to the value first: a typo shows */
        int pick[QVR_GATE_SEEN_MAX], dist[QVR_GATE_SEEN_MAX], np = 0;
        for (int i = 0; i < nseen; i++) {
            int d = qvr_suggest_distance(t->tags[0].value, seen[i]), k = np;
            if (np < QVR_GATE_SEEN_MAX)
                np++;
            else if (d >= dist[np - 1])
                continue;
            else
                k = np - 1;
            for (; k > 0 && dist[k - 1] > d; k--) {
                pick[k] = pick[k - 1];
                dist[k] = dist[k - 1];
            }
            pick[k] = i;
            dist[k] = d;
        }
        int n = snprintf(w, len,
                         "no request had %s=%s; %ss seen%s: ", t->tags[0].key,
                         t->tags[0].value, t->tags[0].key,
                         nseen > QVR_GATE_SEEN_MAX ? " (closest first)" : "");
        for (int i = 0; i < np && n > 0 && (size_t)n < len; i++)
            n += snprintf(w + n, len - (size_t)n, "%s%s", i ? ", " : "",
                          seen[pick[i]]);
        if (nseen > np && n > 0 && (size_t)n < len)
            snprintf(w + n, len - (size_t)n, " and %d more", nseen - np);
    }
    pt->no_data = 1;
    return 1;
}

int qvr_gate_warn_no_data(const struct qvr_plan_thresh *th, int nth)
{
    struct qvr_buf b;
    int n = 0;
    qvr_buf_init(&b, 0);
    for (int i = 0; i < nth; i++) {
        if (!th[i].no_data)
            continue;
        qvr_buf_printf(&b, "%s%s (%s)", n ? "; " : "", th[i].t.expr, th[i].why);
        n++;
    }
    if (n)
        qvr_warn("%d threshold%s had no data and fail%s the gate: %s", n,
                 n == 1 ? "" : "s", n == 1 ? "s" : "",
                 b.data ? b.data : "(out of memory)");
    qvr_buf_free(&b);
    return n;
}

const char *qvr_gate_verdict(const struct qvr_plan_thresh *pt)
{
    return pt->skipped ? "n/a" : pt->ok ? "ok" : "FAIL";
}

void qvr_gate_print(const struct qvr_plan_thresh *pt, FILE *out)
{
    char buf[64];
    if (pt->skipped)
        fprintf(out, "    %-4s %-36s not evaluated: %s\n", qvr_gate_verdict(pt),
                pt->t.expr, pt->why);
    else if (isnan(pt->value) && pt->why[0])
        fprintf(out, "    %-4s %-36s measured n/a: %s\n", qvr_gate_verdict(pt),
                pt->t.expr, pt->why);
    else
        fprintf(out, "    %-4s %-36s measured %s\n", qvr_gate_verdict(pt),
                pt->t.expr,
                qvr_thresh_fmt_value(&pt->t, pt->value, buf, sizeof(buf)));
}

int qvr_gate_summary(const struct qvr_plan_thresh *th, int nth, int exit_code,
                     const char *reason, char *buf, unsigned long len)
{
    int failed = 0, skipped = 0;
    char list[512] = "", v[64];
    size_t used = 0;
    for (int i = 0; i < nth; i++) {
        const struct qvr_plan_thresh *pt = &th[i];
        if (pt->skipped) {
            skipped++;
            continue;
        }
        if (pt->ok)
            continue;
        if (failed++ >= 3) {
            if (failed == 4 && used < sizeof(list))
                used +=
                    (size_t)snprintf(list + used, sizeof(list) - used, ", ...");
            continue;
        }
        const char *m =
            isnan(pt->value)
                ? "no data"
                : qvr_thresh_fmt_value(&pt->t, pt->value, v, sizeof(v));
        if (used < sizeof(list))
            used +=
                (size_t)snprintf(list + used, sizeof(list) - used, "%s%s: %s",
                                 failed > 1 ? ", " : "", pt->t.expr, m);
    }
    char why[160] = "";
    if (exit_code == 130)
        snprintf(why, sizeof(why), " (interrupted)");
    else if (reason && reason[0])
        snprintf(why, sizeof(why), " (%.150s)", reason);
    if (failed)
        snprintf(buf, len, "%d of %d threshold%s failed (%s), exit %d%s",
                 failed, nth, nth == 1 ? "" : "s", list, exit_code, why);
    else if (nth == 0)
        snprintf(buf, len, "no thresholds set, exit %d%s", exit_code, why);
    else if (nth == skipped)
        snprintf(buf, len, "no threshold judged (%d n/a), exit %d%s", nth,
                 exit_code, why);
    else if (skipped)
        snprintf(buf, len, "%d of %d thresholds passed, %d n/a, exit %d%s",
                 nth - skipped, nth, skipped, exit_code, why);
    else
        snprintf(buf, len, "all %d threshold%s passed, exit %d%s", nth,
                 nth == 1 ? "" : "s", exit_code, why);
    return failed;
}

struct qvr_gate *qvr_gate_new(struct qvr_plan_thresh *th, int nth,
                              uint64_t window_ns)
{
    struct qvr_gate *g = calloc(1, sizeof(*g));
    if (!g)
        return NULL;
    g->th = th;
    g->nth = nth;
    g->window_ns = window_ns ? window_ns : 1000000000ULL;
    for (int i = 0; i < nth; i++) {
        uint64_t w = th[i].t.window_ns;
        int k = (int)((w + g->window_ns / 2) / g->window_ns);
        if (w && k < 1)
            k = 1;
        if (k > g->cap)
            g->cap = k;
    }
    g->evaluated = calloc((size_t)(nth ? nth : 1), sizeof(int));
    g->acc = qvr_hist_new();
    if (g->cap)
        g->ring = calloc((size_t)g->cap, sizeof(*g->ring));
    if (!g->evaluated || !g->acc || (g->cap && !g->ring)) {
        qvr_gate_free(g);
        return NULL;
    }
    return g;
}

void qvr_gate_free(struct qvr_gate *g)
{
    if (!g)
        return;
    for (int i = 0; i < g->cap; i++) {
        free(g->ring[i].enc);
        for (int k = 0; k < 3; k++)
            free(g->ring[i].tenc[k]);
    }
    for (int k = 0; k < 3; k++)
        free(g->pend.tenc[k]);
    free(g->ring);
    free(g->evaluated);
    qvr_hist_free(g->acc);
    free(g);
}

static int worse(const struct qvr_thresh *t, double a, double b)
{
    /* Is a worse than b for this threshold? */
    if (isnan(b))
        return 1;
    switch (t->op) {
    case QVR_OP_LT:
    case QVR_OP_LE:
        return a > b;
    case QVR_OP_GT:
    case QVR_OP_GE:
        return a < b;
    default:
        return !qvr_thresh_check(t, a);
    }
}

/* The metric over the last k slots. NaN when there is no data. */
static double over_last(struct qvr_gate *g, const struct qvr_thresh *t, int k)
{
    uint64_t req = 0, fail = 0, streams = 0, tokens = 0;
    double len = 0;
    qvr_hist_reset(g->acc);
    for (int j = 0; j < k; j++) {
        const struct slot *s = &g->ring[(g->head - 1 - j + g->cap) % g->cap];
        req += s->requests;
        fail += s->failures;
        len += s->len_s;
        streams += s->streams;
        tokens += s->out_tokens;
        const char *enc =
            t->src == QVR_TS_LATENCY ? s->enc : s->tenc[t->src - 1];
        if (t->kind == QVR_TK_LATENCY && enc) {
            struct qvr_hist *h = NULL;
            if (qvr_hist_decode(enc, strlen(enc), &h) == 0)
                qvr_hist_add(g->acc, h);
            qvr_hist_free(h);
        }
    }
    if (t->metric == QVR_TM_OUT_TPS) /* no tokens: unknown (a merge) */
        return len > 0 && streams && tokens ? tokens / len : NAN;
    if (t->src != QVR_TS_LATENCY)
        req = g->acc->total; /* times only streams have */
    switch (t->metric) {
    case QVR_TM_PCTL:
        return req ? qvr_hist_value_at(g->acc, t->pct) / 1000.0 : NAN;
    case QVR_TM_MAX:
        return req ? g->acc->max / 1000.0 : NAN;
    case QVR_TM_MIN:
        return req ? g->acc->min / 1000.0 : NAN;
    case QVR_TM_MEAN:
        return req ? qvr_hist_mean(g->acc) / 1000.0 : NAN;
    case QVR_TM_RPS:
        return len > 0 ? req / len : NAN;
    case QVR_TM_ERROR_RATE:
        return req ? (double)fail / req : NAN;
    default:
        return NAN;
    }
}

static int evaluate(struct qvr_gate *g, int final)
{
    int abort = 0;
    for (int i = 0; i < g->nth; i++) {
        struct qvr_plan_thresh *pt = &g->th[i];
        const struct qvr_thresh *t = &pt->t;
        if (!t->window_ns)
            continue;
        int k = (int)((t->window_ns + g->window_ns / 2) / g->window_ns);
        if (k < 1)
            k = 1;
        if (g->n < k) {
            if (!final || g->evaluated[i])
                continue;
            k = g->n; /* the run was shorter than the window */
        }
        if (k == 0)
            continue;
        double v = over_last(g, t, k);
        if (isnan(v))
            continue;
        g->evaluated[i] = 1;
        if (worse(t, v, pt->value))
            pt->value = v;
        pt->evaluated = 1;
        pt->ok = qvr_thresh_check(t, pt->value);
        if (t->abort && !pt->ok)
            abort = 1;
    }
    return abort;
}

int qvr_gate_window(struct qvr_gate *g, const struct qvr_hist *win,
                    uint64_t requests, uint64_t failures, double len_s,
                    double t_end_s)
{
    (void)t_end_s;
    if (!g->cap)
        return 0;
    struct slot *s = &g->ring[g->head];
    free(s->enc);
    s->enc = NULL;
    if (win->total)
        qvr_hist_encode(win, &s->enc);
    s->requests = requests;
    s->failures = failures;
    s->len_s = len_s;
    for (int k = 0; k < 3; k++) {
        free(s->tenc[k]);
        s->tenc[k] = g->pend.tenc[k];
        g->pend.tenc[k] = NULL;
    }
    s->streams = g->pend.streams;
    s->out_tokens = g->pend.out_tokens;
    g->pend.streams = g->pend.out_tokens = 0;
    g->head = (g->head + 1) % g->cap;
    if (g->n < g->cap)
        g->n++;
    return evaluate(g, 0);
}

void qvr_gate_tok(struct qvr_gate *g, const struct qvr_hist *const h[3],
                  uint64_t streams, uint64_t out_tokens)
{
    if (!g || !g->cap)
        return;
    for (int k = 0; k < 3; k++) {
        free(g->pend.tenc[k]);
        g->pend.tenc[k] = NULL;
        if (h[k] && h[k]->total)
            qvr_hist_encode(h[k], &g->pend.tenc[k]);
    }
    g->pend.streams = streams;
    g->pend.out_tokens = out_tokens;
}

void qvr_gate_finish(struct qvr_gate *g)
{
    if (g->cap)
        evaluate(g, 1);
    for (int i = 0; i < g->nth; i++) {
        struct qvr_plan_thresh *pt = &g->th[i];
        if (pt->t.window_ns)
            pt->ok = pt->evaluated && !isnan(pt->value) &&
                     qvr_thresh_check(&pt->t, pt->value);
    }
}
