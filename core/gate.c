/* gate.c -- windowed and trend thresholds (see gate.h). */
#include "gate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "qvr.h"
#include "thresh.h"

struct slot {
    char *enc; /* V2-compressed histogram of the window, owned */
    uint64_t requests, failures;
    double len_s;
};

struct qvr_gate {
    struct qvr_plan_thresh *th;
    int nth;
    uint64_t window_ns;
    struct slot *ring;
    int cap, n, head; /* head: next write position */
    int *evaluated;   /* per threshold: evaluated over a full window */
    struct qvr_hist *acc;
};

int qvr_trend_fit(const double *x, const double *y, int n, double *y_first,
                  double *y_last)
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
    return 0;
}

double qvr_trend_value(const struct qvr_window_row *rows, int n,
                       double steady_from_s, double window_s,
                       enum qvr_thresh_metric metric, double *first,
                       double *last)
{
    double *x = malloc(sizeof(double) * (size_t)(n ? n : 1));
    double *y = malloc(sizeof(double) * (size_t)(n ? n : 1));
    int m = 0;
    double v = NAN;
    if (!x || !y)
        goto out;
    for (int i = 0; i < n; i++) {
        const struct qvr_window_row *w = &rows[i];
        if (w->t_s - w->len_s < steady_from_s - 1e-6 ||
            w->len_s < 0.9 * window_s)
            continue;
        x[m] = w->t_s;
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
            y[m] = w->requests ? (double)w->failures / w->requests : 0;
            break;
        default:
            goto out;
        }
        m++;
    }
    double a, b;
    if (qvr_trend_fit(x, y, m, &a, &b) < 0)
        goto out;
    if (first)
        *first = a;
    if (last)
        *last = b;
    if (metric == QVR_TM_ERROR_RATE_TREND)
        v = b - a;
    else if (a > 0)
        v = (b - a) / a;
out:
    free(x);
    free(y);
    return v;
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
    for (int i = 0; i < g->cap; i++)
        free(g->ring[i].enc);
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
    uint64_t req = 0, fail = 0;
    double len = 0;
    qvr_hist_reset(g->acc);
    for (int j = 0; j < k; j++) {
        const struct slot *s = &g->ring[(g->head - 1 - j + g->cap) % g->cap];
        req += s->requests;
        fail += s->failures;
        len += s->len_s;
        if (t->kind == QVR_TK_LATENCY && s->enc) {
            struct qvr_hist *h = NULL;
            if (qvr_hist_decode(s->enc, strlen(s->enc), &h) == 0)
                qvr_hist_add(g->acc, h);
            qvr_hist_free(h);
        }
    }
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
    g->head = (g->head + 1) % g->cap;
    if (g->n < g->cap)
        g->n++;
    return evaluate(g, 0);
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
