/* run.c -- one scenario run (see run.h).
 *
 * Phases: WARMUP (one user sends warmup.requests, recorded apart), RUN (the
 * load plan starts and stops users at their planned times), DRAIN (no new
 * iterations; in-flight requests finish within the grace period), DONE.
 * Everything runs on one libevent loop; the run struct is the user pointer
 * of every callback. Windows close on a timer and feed the progress line and
 * timeseries.csv. */
#include "run.h"

#include <errno.h>
#include <event2/event.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "gate.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "mock.h"
#include "qvr.h"
#include "report.h"
#include "sched.h"
#include "thresh.h"
#include "vu.h"

enum phase { PH_WARMUP, PH_RUN, PH_DRAIN, PH_DONE };

struct run {
    const struct qvr_run_opts *opts;
    struct qvr_script *script;
    struct qvr_plan *plan;
    struct qvr_mock *mock;
    char target[512];
    char out_dir[4096];
    struct event_base *base;
    struct qvr_http *http;
    struct qvr_metrics *m, *warm;
    struct qvr_vu_ctx ctx;
    struct qvr_vu **vus;
    int nvus;            /* allocated slots (max users) */
    int wanted;          /* users [0, wanted) should be running */
    int max_active;
    enum phase phase;
    uint64_t t0;         /* start of the measured phase */
    uint64_t t_stop;     /* when the load stopped (end, signal, abort) */
    double wall0;
    struct event *sched_ev, *window_ev, *end_ev, *grace_ev;
    struct event *sig_ev[2];
    int signals;
    uint64_t win_start;
    struct qvr_window_row *rows;
    int nrows, caprows;
    int tty;
    uint64_t last_progress;
    uint64_t cancelled;
    const char *abort_reason;
    char abort_buf[QVR_THRESH_EXPR_LEN + 64];
    int fatal;           /* exit code 3 decided during the run */
    char fatal_msg[512];
    struct qvr_gate *gate;
    FILE *hlog;          /* latency.hlog, one line per window and name */
    char *findings[8];
    int nfindings;
};

static void finish(struct run *r)
{
    if (r->phase == PH_DONE)
        return;
    r->phase = PH_DONE;
    event_base_loopbreak(r->base);
}

static int active_users(const struct run *r)
{
    int n = 0;
    for (int i = 0; i < r->nvus; i++)
        if (r->vus[i] && r->vus[i]->state != QVR_VU_STOPPED &&
            r->vus[i]->state != QVR_VU_IDLE)
            n++;
    return n;
}

/* Brings the running users to n: starts [old, n), asks [n, old) to stop. */
static void set_users(struct run *r, int n)
{
    if (n > r->nvus)
        n = r->nvus;
    for (int i = 0; i < n; i++) {
        struct qvr_vu *vu = r->vus[i];
        if (!vu) {
            vu = r->vus[i] = qvr_vu_new(&r->ctx, i + 1);
            if (!vu) {
                snprintf(r->fatal_msg, sizeof(r->fatal_msg),
                         "cannot create user %d: out of memory", i + 1);
                r->fatal = 1;
                finish(r);
                return;
            }
        }
        vu->stop_requested = 0;
        if (vu->state == QVR_VU_IDLE || vu->state == QVR_VU_STOPPED)
            qvr_vu_start(vu);
    }
    for (int i = n; i < r->nvus; i++)
        if (r->vus[i] && r->vus[i]->state != QVR_VU_STOPPED &&
            r->vus[i]->state != QVR_VU_IDLE)
            qvr_vu_stop(r->vus[i]);
    r->wanted = n;
    int a = active_users(r);
    if (a > r->max_active)
        r->max_active = a;
}

static void arm_ns(struct event *ev, uint64_t ns)
{
    struct timeval tv = {(time_t)(ns / QVR_NS_PER_S),
                         (suseconds_t)(ns % QVR_NS_PER_S / 1000)};
    evtimer_add(ev, &tv);
}

static void sched_cb(evutil_socket_t fd, short what, void *arg)
{
    struct run *r = arg;
    (void)fd;
    (void)what;
    if (r->phase != PH_RUN)
        return;
    uint64_t t = qvr_clock_ns() - r->t0;
    set_users(r, qvr_sched_users_at(&r->plan->load, t));
    uint64_t next = qvr_sched_next_change(&r->plan->load, t);
    uint64_t end = qvr_sched_duration(&r->plan->load);
    if (next != UINT64_MAX && next < end)
        arm_ns(r->sched_ev, next - t);
}

/* Stop starting work; in-flight requests get the grace period. */
static void begin_drain(struct run *r)
{
    if (r->phase != PH_RUN && r->phase != PH_WARMUP)
        return;
    r->phase = PH_DRAIN;
    r->t_stop = qvr_clock_ns();
    r->ctx.stopping = 1;
    evtimer_del(r->sched_ev);
    evtimer_del(r->end_ev);
    for (int i = 0; i < r->nvus; i++)
        if (r->vus[i] && r->vus[i]->state != QVR_VU_STOPPED)
            qvr_vu_stop(r->vus[i]);
    if (active_users(r) == 0) {
        finish(r);
        return;
    }
    arm_ns(r->grace_ev, r->plan->grace_ns);
}

static void abort_all(struct run *r)
{
    for (int i = 0; i < r->nvus; i++)
        if (r->vus[i] && r->vus[i]->state != QVR_VU_STOPPED &&
            r->vus[i]->state != QVR_VU_IDLE)
            r->cancelled += (uint64_t)qvr_vu_abort(r->vus[i]);
    finish(r);
}

static void grace_cb(evutil_socket_t fd, short what, void *arg)
{
    struct run *r = arg;
    (void)fd;
    (void)what;
    if (r->cancelled == 0 && active_users(r))
        qvr_warn("grace period over: cancelling %d unfinished users",
                 active_users(r));
    abort_all(r);
}

static void end_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    begin_drain(arg);
}

/* ---- windows, progress, abort thresholds --------------------------------- */

static double thresh_value(struct run *r, const struct qvr_thresh *t,
                           double elapsed_s);

static void progress(struct run *r, const struct qvr_window_row *w, int final)
{
    if (r->opts->quiet)
        return;
    const struct qvr_stat *s = &r->m->total;
    uint64_t dur = qvr_sched_duration(&r->plan->load);
    char el[16], tot[16];
    qvr_duration_fmt((uint64_t)(w->t_s * 1e9), el, sizeof(el));
    qvr_duration_fmt(dur, tot, sizeof(tot));
    double er = s->requests ? 100.0 * s->failures / s->requests : 0;
    char line[256];
    snprintf(line, sizeof(line),
             "[%6s/%s] users %d | %.1f req/s | p50 %.1fms p99 %.1fms | "
             "requests %llu | errors %llu (%.1f%%)",
             el, tot, w->users, w->rps, w->p50_ms, w->p99_ms,
             (unsigned long long)s->requests,
             (unsigned long long)s->failures, er);
    if (r->tty) {
        fprintf(stderr, "\r\033[K%s%s", line, final ? "\n" : "");
    } else {
        fprintf(stderr, "%s\n", line);
    }
    fflush(stderr);
}

/* One line per window for the whole run and one per request name, in
 * HdrHistogram's interval log format (values in us, MaxValueDivisor 1000:
 * the max column is in ms). Flushed at once: a killed run keeps its log. */
static void write_hlog(struct run *r, double start_s, double len_s)
{
    if (!r->hlog)
        return;
    struct qvr_stat *s = &r->m->total;
    for (int i = -1; i < r->m->nnames; i++) {
        struct qvr_stat *st = i < 0 ? s : r->m->names[i];
        if (i >= 0 && !st->win_requests)
            continue;
        char *enc = NULL;
        if (qvr_hist_encode(st->win, &enc) < 0)
            continue;
        if (i >= 0) {
            fputs("Tag=name:", r->hlog);
            for (const char *c = st->name; *c; c++)
                fputc((*c == ',' || *c == ' ' || *c == '\t') ? '_' : *c,
                      r->hlog);
            fputc(',', r->hlog);
        }
        fprintf(r->hlog, "%.3f,%.3f,%.3f,%s\n", start_s, len_s,
                st->win->total ? st->win->max / 1000.0 : 0.0, enc);
        free(enc);
    }
    fflush(r->hlog);
}

static void open_hlog(struct run *r)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/latency.hlog", r->out_dir);
    r->hlog = fopen(path, "w");
    if (!r->hlog) {
        qvr_warn("cannot write %s: %s", path, strerror(errno));
        return;
    }
    time_t secs = (time_t)r->wall0;
    char date[64];
    struct tm tm;
    gmtime_r(&secs, &tm);
    strftime(date, sizeof(date), "%a %b %d %H:%M:%S UTC %Y", &tm);
    fprintf(r->hlog,
            "#[Histogram log format version 1.3]\n"
            "#[StartTime: %.3f (seconds since epoch), %s]\n"
            "#[MaxValueDivisor: 1000.0]\n"
            "#[qvrrun: response time in microseconds from the intended "
            "start; untagged = all requests]\n"
            "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\","
            "\"Interval_Compressed_Histogram\"\n",
            r->wall0, date);
    fflush(r->hlog);
}

static void close_window(struct run *r, uint64_t now, int final)
{
    struct qvr_stat *s = &r->m->total;
    double len = (double)(now - r->win_start) / 1e9;
    if (final && s->win_requests == 0 && len < 0.05)
        return;
    if (r->nrows == r->caprows) {
        int cap = r->caprows ? r->caprows * 2 : 64;
        struct qvr_window_row *n = realloc(r->rows, (size_t)cap * sizeof(*n));
        if (!n)
            return;
        r->rows = n;
        r->caprows = cap;
    }
    struct qvr_window_row *w = &r->rows[r->nrows++];
    w->t_s = (double)(now - r->t0) / 1e9;
    w->wall_s = r->wall0 + w->t_s;
    w->users = active_users(r);
    w->requests = s->win_requests;
    w->failures = s->win_failures;
    w->rps = len > 0 ? s->win_requests / len : 0;
    w->p50_ms = (double)qvr_hist_value_at(s->win, 50) / 1000.0;
    w->p90_ms = (double)qvr_hist_value_at(s->win, 90) / 1000.0;
    w->p99_ms = (double)qvr_hist_value_at(s->win, 99) / 1000.0;
    w->max_ms = s->win->total ? (double)s->win->max / 1000.0 : 0;
    w->len_s = len;
    if (w->users > r->max_active)
        r->max_active = w->users;
    write_hlog(r, w->t_s - len, len);
    int gate_abort = qvr_gate_window(r->gate, s->win, s->win_requests,
                                     s->win_failures, len, w->t_s);
    qvr_metrics_window_reset(r->m);
    r->win_start = now;

    uint64_t every = r->tty ? QVR_NS_PER_S : 5 * QVR_NS_PER_S;
    /* The drain's short tail window would show a meaningless rate. */
    int tail = final && len < 0.5 * (double)r->plan->window_ns / 1e9;
    if (!tail &&
        (final || now - r->last_progress >= every - QVR_NS_PER_S / 10)) {
        progress(r, w, final);
        r->last_progress = now;
    }

    /* Thresholds with abort = true stop the run once they fail. */
    for (int i = 0; !final && i < r->plan->nthresh; i++) {
        const struct qvr_thresh *t = &r->plan->thresh[i].t;
        if (!t->abort || now - r->t0 < t->after_ns)
            continue;
        if (t->window_ns) {
            if (gate_abort && !r->plan->thresh[i].ok) {
                char buf[64];
                snprintf(r->abort_buf, sizeof(r->abort_buf),
                         "%s (measured %s)", t->expr,
                         qvr_thresh_fmt_value(t, r->plan->thresh[i].value,
                                              buf, sizeof(buf)));
                r->abort_reason = r->abort_buf;
                qvr_warn("threshold %s failed: stopping the run",
                         r->abort_buf);
                begin_drain(r);
                break;
            }
            continue;
        }
        if (t->kind == QVR_TK_TREND)
            continue;
        double v = thresh_value(r, t, w->t_s);
        if (!isnan(v) && !qvr_thresh_check(t, v)) {
            char buf[64];
            snprintf(r->abort_buf, sizeof(r->abort_buf), "%s (measured %s)",
                     t->expr, qvr_thresh_fmt_value(t, v, buf, sizeof(buf)));
            r->abort_reason = r->abort_buf;
            qvr_warn("threshold %s failed: stopping the run", r->abort_buf);
            begin_drain(r);
            break;
        }
    }
}

static void window_cb(evutil_socket_t fd, short what, void *arg)
{
    struct run *r = arg;
    (void)fd;
    (void)what;
    if (r->phase == PH_RUN || r->phase == PH_DRAIN)
        close_window(r, qvr_clock_ns(), 0);
}

/* ---- phases -------------------------------------------------------------- */

static void start_run_phase(struct run *r)
{
    r->phase = PH_RUN;
    r->ctx.metrics = r->m;
    r->ctx.stopping = 0;
    r->t0 = qvr_clock_ns();
    r->win_start = r->t0;
    r->last_progress = r->t0;
    r->wall0 = (double)qvr_clock_wall_ns() / 1e9;
    open_hlog(r);
    struct timeval tv = {(time_t)(r->plan->window_ns / QVR_NS_PER_S),
                         (suseconds_t)(r->plan->window_ns % QVR_NS_PER_S /
                                       1000)};
    event_add(r->window_ev, &tv);
    arm_ns(r->end_ev, qvr_sched_duration(&r->plan->load));
    sched_cb(-1, 0, r);
}

static void on_stopped(void *ud, struct qvr_vu *vu)
{
    struct run *r = ud;
    (void)vu;
    if (r->phase == PH_WARMUP) {
        if (r->ctx.answered == 0) {
            snprintf(r->fatal_msg, sizeof(r->fatal_msg),
                     "target unreachable during warm-up: %s (%llu of %llu "
                     "warm-up requests got no answer)",
                     r->ctx.last_error ? r->ctx.last_error : "no answer",
                     (unsigned long long)r->warm->total.requests,
                     (unsigned long long)r->warm->total.requests);
            r->fatal = 1;
            finish(r);
            return;
        }
        start_run_phase(r);
        return;
    }
    if (r->phase == PH_DRAIN && active_users(r) == 0)
        finish(r);
}

static void on_request(void *ud, struct qvr_vu *vu)
{
    struct run *r = ud;
    if (r->phase == PH_WARMUP &&
        r->warm->total.requests >= (uint64_t)r->plan->warmup_requests)
        qvr_vu_stop(vu);
}

static void signal_cb(evutil_socket_t sig, short what, void *arg)
{
    struct run *r = arg;
    (void)what;
    r->signals++;
    if (r->signals == 1) {
        if (!r->opts->quiet)
            fprintf(stderr, "%s", r->tty ? "\n" : "");
        qvr_warn("%s: stopping; in-flight requests get up to %.0fs (again to "
                 "stop now)",
                 sig == SIGINT ? "interrupted" : "terminated",
                 r->plan->grace_ns / 1e9);
        if (r->phase == PH_WARMUP) {
            abort_all(r);
            return;
        }
        begin_drain(r);
    } else {
        abort_all(r);
    }
}

/* ---- thresholds ---------------------------------------------------------- */

static double thresh_value(struct run *r, const struct qvr_thresh *t,
                           double elapsed_s)
{
    struct qvr_stat *s = &r->m->total;
    for (int i = 0; i < t->ntags; i++) {
        s = qvr_metrics_find(r->m, t->tags[i].key, t->tags[i].value);
        if (!s)
            return NAN;
    }
    switch (t->metric) {
    case QVR_TM_PCTL:
        return s->requests ? qvr_report_pct_ms(s, t->pct) : NAN;
    case QVR_TM_MIN:
        return s->requests ? (double)s->resp->min / 1000.0 : NAN;
    case QVR_TM_MAX:
        return s->requests ? (double)s->resp->max / 1000.0 : NAN;
    case QVR_TM_MEAN:
        return s->requests ? qvr_hist_mean(s->resp) / 1000.0 : NAN;
    case QVR_TM_RPS:
        return elapsed_s > 0 ? s->requests / elapsed_s : NAN;
    case QVR_TM_ERROR_RATE:
        return s->requests ? (double)s->failures / s->requests : NAN;
    case QVR_TM_CHECKS: {
        uint64_t n = s->checks_ok + s->checks_fail;
        return n ? (double)s->checks_ok / n : NAN;
    }
    default:
        return NAN;
    }
}

/* Features of the threshold grammar that this build cannot evaluate are
 * refused before the run, never silently passed. */
static int check_thresholds_supported(struct run *r, char *err, size_t len)
{
    for (int i = 0; i < r->plan->nthresh; i++) {
        const struct qvr_thresh *t = &r->plan->thresh[i].t;
        const char *why = NULL;
        if ((t->window_ns || t->kind == QVR_TK_TREND) && t->ntags)
            why = "windowed and trend thresholds apply to the whole run: "
                  "no tags";
        else if (t->window_ns && t->metric == QVR_TM_CHECKS)
            why = "checks cannot be windowed";
        else if (t->metric == QVR_TM_GOODPUT)
            why = "goodput needs an slo, which this build does not support";
        for (int k = 0; !why && k < t->ntags; k++) {
            const char *key = t->tags[k].key;
            if (strcmp(key, "task") == 0) {
                int found = 0;
                for (int j = 0; j < r->plan->ntasks; j++)
                    found |= strcmp(r->plan->tasks[j].name,
                                    t->tags[k].value) == 0;
                if (!found)
                    why = "no task has that name";
            } else if (strcmp(key, "name") != 0) {
                why = "only task= and name= tags are supported by this build";
            }
            if (!why && t->ntags > 1)
                why = "combine at most one tag";
        }
        if (why) {
            snprintf(err, len, "%s: thresholds: '%s': %s", r->plan->file,
                     t->expr, why);
            return QVR_EINVAL;
        }
    }
    return 0;
}

/* Seconds after the start when the plan first reaches its most users: the
 * steady phase that trends are fitted over starts there. */
static double steady_from_s(const struct qvr_load *l)
{
    int max = qvr_sched_max_users(l);
    uint64_t t = 0;
    for (int guard = 0; guard < 100000000; guard++) {
        if (qvr_sched_users_at(l, t) >= max)
            break;
        uint64_t n = qvr_sched_next_change(l, t);
        if (n == UINT64_MAX)
            break;
        t = n;
    }
    return (double)t / 1e9;
}

static void add_finding(struct run *r, const char *fmt, ...)
    QVR_PRINTF(2, 3);

static void add_finding(struct run *r, const char *fmt, ...)
{
    if (r->nfindings >= (int)QVR_ARRAY_LEN(r->findings))
        return;
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    r->findings[r->nfindings] = strdup(buf);
    if (r->findings[r->nfindings])
        r->nfindings++;
}

/* Drift over the steady phase, in words, when it is large enough to
 * matter: throughput -10% or worse, P99 +25% or worse, errors +2 pp. */
static void drift_findings(struct run *r)
{
    double from = steady_from_s(&r->plan->load);
    double win = r->plan->window_ns / 1e9;
    double a, b, v;
    char span[16];
    /* Too short a steady phase says nothing about drift. */
    if (r->nrows < 10 || r->rows[r->nrows - 1].t_s - from < 30)
        return;
    qvr_duration_fmt((uint64_t)((r->rows[r->nrows - 1].t_s - from) * 1e9),
                     span, sizeof(span));
    v = qvr_trend_value(r->rows, r->nrows, from, win, QVR_TM_RPS_TREND, &a,
                        &b);
    if (!isnan(v) && v <= -0.10)
        add_finding(r, "throughput fell %.0f%% over %s (%.1f -> %.1f req/s "
                       "on the trend line)",
                    -v * 100, span, a, b);
    v = qvr_trend_value(r->rows, r->nrows, from, win, QVR_TM_P99_TREND, &a,
                        &b);
    if (!isnan(v) && v >= 0.25)
        add_finding(r, "P99 rose %.0f%% over %s (%.0f -> %.0f ms on the "
                       "trend line)",
                    v * 100, span, a, b);
    v = qvr_trend_value(r->rows, r->nrows, from, win, QVR_TM_P50_TREND, &a,
                        &b);
    if (!isnan(v) && v >= 0.25)
        add_finding(r, "P50 rose %.0f%% over %s (%.0f -> %.0f ms on the "
                       "trend line)",
                    v * 100, span, a, b);
    v = qvr_trend_value(r->rows, r->nrows, from, win,
                        QVR_TM_ERROR_RATE_TREND, &a, &b);
    if (!isnan(v) && v >= 0.02)
        add_finding(r, "the error rate crept up %.1f points over %s (%.1f%% "
                       "-> %.1f%%)",
                    v * 100, span, a * 100, b * 100);
}

static int evaluate_thresholds(struct run *r, double elapsed_s)
{
    int all = 1;
    double from = steady_from_s(&r->plan->load);
    qvr_gate_finish(r->gate);
    for (int i = 0; i < r->plan->nthresh; i++) {
        struct qvr_plan_thresh *pt = &r->plan->thresh[i];
        if (pt->t.window_ns) {
            all &= pt->ok; /* the worst sliding window, set by the gate */
            continue;
        }
        if (pt->t.kind == QVR_TK_TREND)
            pt->value = qvr_trend_value(r->rows, r->nrows, from,
                                        r->plan->window_ns / 1e9,
                                        pt->t.metric, NULL, NULL);
        else
            pt->value = thresh_value(r, &pt->t, elapsed_s);
        pt->ok = !isnan(pt->value) && qvr_thresh_check(&pt->t, pt->value);
        pt->evaluated = 1;
        all &= pt->ok;
    }
    return all;
}

/* ---- set-up -------------------------------------------------------------- */

static int mkdir_p(const char *path)
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
        return -1;
    return 0;
}

/* Creates the result directory and proves it is writable, before any load
 * is sent. */
static int prepare_out(struct run *r, char *err, size_t len)
{
    if (r->opts->out_dir) {
        snprintf(r->out_dir, sizeof(r->out_dir), "%s", r->opts->out_dir);
    } else {
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        char stamp[32];
        strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
        snprintf(r->out_dir, sizeof(r->out_dir), "results/%s-%s",
                 r->plan->name, stamp);
    }
    char probe[4200];
    snprintf(probe, sizeof(probe), "%s/.qvrrun-write-test", r->out_dir);
    FILE *f = NULL;
    if (mkdir_p(r->out_dir) == 0)
        f = fopen(probe, "w");
    if (!f) {
        snprintf(err, len, "cannot write results to '%.900s': %s", r->out_dir,
                 strerror(errno));
        return QVR_EIO;
    }
    fclose(f);
    unlink(probe);
    return 0;
}

static int start_mock(struct run *r, char *err, size_t len)
{
    struct qvr_mock_config mc;
    qvr_mock_config_init(&mc);
    int argc = r->plan->mock_argc + 2;
    char **argv = calloc((size_t)argc + 1, sizeof(char *));
    if (!argv)
        return QVR_ENOMEM;
    argv[0] = (char *)"--listen";
    argv[1] = (char *)"127.0.0.1:0";
    for (int i = 0; i < r->plan->mock_argc; i++)
        argv[i + 2] = r->plan->mock_argv[i];
    char why[256] = "";
    int rc = qvr_mock_parse_args(&mc, argc, argv, why, sizeof(why));
    free(argv);
    if (rc < 0) {
        snprintf(err, len, "%s: mock: %s", r->plan->file, why);
        return QVR_EINVAL;
    }
    r->mock = qvr_mock_start(&mc, why, sizeof(why));
    if (!r->mock) {
        snprintf(err, len, "cannot start the built-in mock: %s", why);
        return QVR_EIO;
    }
    snprintf(r->target, sizeof(r->target), "http://127.0.0.1:%d",
             qvr_mock_port(r->mock));
    return 0;
}

static void banner(struct run *r)
{
    if (r->opts->quiet)
        return;
    const struct qvr_plan *p = r->plan;
    char dur[16];
    qvr_duration_fmt(qvr_sched_duration(&p->load), dur, sizeof(dur));
    fprintf(stderr, "qvrrun: scenario '%s' (%s): up to %d users for %s "
                    "against %s%s\n",
            p->name, p->file, qvr_sched_max_users(&p->load), dur, r->target,
            r->mock ? " (built-in mock)" : "");
    if (p->warmup_requests)
        fprintf(stderr, "qvrrun: warm-up: %d requests, reported apart\n",
                p->warmup_requests);
    if (p->insecure)
        fprintf(stderr, "qvrrun: TLS certificate verification is OFF "
                        "(insecure = true)\n");
    fflush(stderr);
}

static void teardown(struct run *r)
{
    for (int i = 0; i < r->nvus; i++)
        qvr_vu_free(r->vus[i]);
    free(r->vus);
    qvr_http_free(r->http);
    if (r->sched_ev)
        event_free(r->sched_ev);
    if (r->window_ev)
        event_free(r->window_ev);
    if (r->end_ev)
        event_free(r->end_ev);
    if (r->grace_ev)
        event_free(r->grace_ev);
    for (int i = 0; i < 2; i++)
        if (r->sig_ev[i])
            event_free(r->sig_ev[i]);
    if (r->base)
        event_base_free(r->base);
    qvr_mock_stop(r->mock);
    qvr_metrics_free(r->m);
    qvr_metrics_free(r->warm);
    free(r->rows);
    for (int i = 0; i < r->nfindings; i++)
        free(r->findings[i]);
    qvr_gate_free(r->gate);
    if (r->hlog)
        fclose(r->hlog);
    qvr_script_free(r->script);
}

int qvr_run_main(const struct qvr_run_opts *o)
{
    struct run run, *r = &run;
    memset(r, 0, sizeof(*r));
    r->opts = o;
    r->tty = isatty(2);
    char err[1024] = "";
    int code = QVR_EXIT_RUN;

    r->script = qvr_script_load(o->scenario, &o->ov, err, sizeof(err));
    if (!r->script) {
        qvr_error("%s", err);
        return QVR_EXIT_USAGE;
    }
    r->plan = &r->script->plan;
    struct qvr_plan *p = r->plan;
    r->gate = qvr_gate_new(p->thresh, p->nthresh, p->window_ns);
    if (!r->gate) {
        qvr_error("out of memory");
        goto out;
    }
    if (check_thresholds_supported(r, err, sizeof(err)) < 0) {
        qvr_error("%s", err);
        code = QVR_EXIT_USAGE;
        goto out;
    }
    if (prepare_out(r, err, sizeof(err)) < 0) {
        qvr_error("%s", err);
        code = QVR_EXIT_USAGE;
        goto out;
    }
    if (p->target_is_mock) {
        int rc = start_mock(r, err, sizeof(err));
        if (rc < 0) {
            qvr_error("%s", err);
            code = rc == QVR_EINVAL ? QVR_EXIT_USAGE : QVR_EXIT_RUN;
            goto out;
        }
    } else {
        snprintf(r->target, sizeof(r->target), "%s", p->target);
    }

    const char **names = calloc((size_t)p->ntasks + 1, sizeof(char *));
    for (int i = 0; names && i < p->ntasks; i++)
        names[i] = p->tasks[i].name;
    if (names) {
        r->m = qvr_metrics_new(p->ntasks, names);
        r->warm = qvr_metrics_new(p->ntasks, names);
        free(names);
    }
    /* Precise timers: epoll's millisecond timeouts would add up to 1 ms to
     * every think time, sleep and libcurl timeout. */
    struct event_config *ecfg = event_config_new();
    if (ecfg) {
        event_config_set_flag(ecfg, EVENT_BASE_FLAG_PRECISE_TIMER);
        r->base = event_base_new_with_config(ecfg);
        event_config_free(ecfg);
    }
    struct qvr_http_conf hc;
    qvr_http_conf_init(&hc);
    hc.timeout_ms = p->timeout_ms;
    hc.max_body = p->max_body;
    hc.insecure = p->insecure;
    r->nvus = qvr_sched_max_users(&p->load);
    if (r->nvus < 1)
        r->nvus = 1;
    hc.max_conns = r->nvus + 16;
    if (r->base)
        r->http = qvr_http_new(r->base, &hc);
    r->vus = calloc((size_t)r->nvus, sizeof(*r->vus));
    if (!r->m || !r->warm || !r->base || !r->http || !r->vus) {
        qvr_error("cannot set up the run: out of memory");
        goto out;
    }
    r->sched_ev = evtimer_new(r->base, sched_cb, r);
    r->window_ev = event_new(r->base, -1, EV_PERSIST, window_cb, r);
    r->end_ev = evtimer_new(r->base, end_cb, r);
    r->grace_ev = evtimer_new(r->base, grace_cb, r);
    r->sig_ev[0] = evsignal_new(r->base, SIGINT, signal_cb, r);
    r->sig_ev[1] = evsignal_new(r->base, SIGTERM, signal_cb, r);
    for (int i = 0; i < 2; i++)
        if (r->sig_ev[i])
            event_add(r->sig_ev[i], NULL);

    struct qvr_vu_ctx *c = &r->ctx;
    c->base = r->base;
    c->http = r->http;
    c->L = r->script->L;
    c->target = r->target;
    c->ntasks = p->ntasks;
    c->task_refs = p->task_refs;
    c->task_cumw = p->task_cumw;
    c->wait = p->wait;
    c->rng = 0x9E3779B97F4A7C15ULL ^ (uint64_t)qvr_clock_ns();
    c->timeout_ms = p->timeout_ms;
    c->on_stopped = on_stopped;
    c->on_request = on_request;
    c->ud = r;

    banner(r);
    if (p->warmup_requests > 0) {
        r->phase = PH_WARMUP;
        c->metrics = r->warm;
        r->vus[0] = qvr_vu_new(c, 1);
        if (!r->vus[0]) {
            qvr_error("cannot create a user: out of memory");
            goto out;
        }
        qvr_vu_start(r->vus[0]);
    } else {
        start_run_phase(r);
    }
    event_base_dispatch(r->base);

    if (r->fatal) {
        qvr_error("%s", r->fatal_msg);
        code = QVR_EXIT_RUN;
        goto out;
    }
    uint64_t now = qvr_clock_ns();
    if (!r->t_stop)
        r->t_stop = now;
    if (r->t0)
        close_window(r, now, 1);
    double elapsed = r->t0 ? (double)(now - r->t0) / 1e9 : 0;
    int held = evaluate_thresholds(r, elapsed);
    drift_findings(r);
    code = r->signals ? QVR_EXIT_INTERRUPT
                      : (held && !r->abort_reason ? QVR_EXIT_OK
                                                  : QVR_EXIT_THRESHOLD);

    struct qvr_run_result res;
    memset(&res, 0, sizeof(res));
    res.plan = p;
    res.target_url = r->target;
    res.target_kind = r->mock ? "mock" : "http";
    res.out_dir = r->out_dir;
    res.m = r->m;
    res.warm = p->warmup_requests ? r->warm : NULL;
    res.elapsed_s = elapsed;
    res.started_wall_s = r->wall0;
    res.max_users = r->max_active;
    res.rows = r->rows;
    res.nrows = r->nrows;
    res.exit_code = code;
    res.interrupted = r->signals > 0;
    res.abort_reason = r->abort_reason;
    res.cancelled = r->cancelled;
    res.findings = (const char *const *)r->findings;
    res.nfindings = r->nfindings;
    if (qvr_report_write(&res, err, sizeof(err)) < 0) {
        qvr_error("%s", err);
        code = QVR_EXIT_RUN;
        goto out;
    }
    qvr_report_print(&res, stdout);
out:
    teardown(r);
    return code;
}
