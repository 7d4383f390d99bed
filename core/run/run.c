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
#include <fcntl.h>
#include <limits.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "collect.h"
#include "expo.h"
#include "fs.h"
#include "gate.h"
#include "http.h"
#include "live.h"
#include "log.h"
#include "metrics.h"
#include "mock.h"
#include "mock_plan.h"
#include "progress.h"
#include "qvr.h"
#include "redact.h"
#include "render.h"
#include "report.h"
#include "sched.h"
#include "steps.h"
#include "thresh.h"
#include "vu.h"
#include "web.h"

enum phase { PH_WARMUP, PH_RUN, PH_DRAIN, PH_DONE };

/* A part of the measured phase: the users{}/ramp{} plan as a whole, an
 * arrival rate, or one step of a step load or sweep (settle, then hold:
 * only the hold is a step row). */
struct segment {
    int plan;    /* users follow qvr_sched (users{}, ramp{}) */
    int open;    /* arrivals at rps hand iterations to users */
    int is_step; /* produces a step row */
    int users;   /* closed steps */
    double rps;  /* open segments */
    double vary; /* steps over a payload variable */
    uint64_t settle_ns, hold_ns;
    const char *label; /* sweeps: "baseline", "saturation" */
};

#define MAX_SEGS (QVR_MAX_STEPS + 2)

#define WEB_MAX_CHANGES 64
#define WEB_MAX_USERS 100000

#ifndef USERS_PER_MULTI
#define USERS_PER_MULTI 64
#endif

/* A worker's window of one request name, waiting for the main thread to
 * merge it with the other workers' (and then write it to the logs). */
struct name_win {
    int row;          /* the worker's window index */
    const char *name; /* the worker's stat's name: lives as long as the run */
    uint64_t requests, failures;
    char *enc; /* the window's histogram, encoded; owned */
};

struct run {
    const struct qvr_run_opts *opts;
    struct qvr_script *script;
    struct qvr_plan *plan;
    struct qvr_mock *mock;
    char target[512];
    char out_dir[4096];
    int lock_fd; /* the result directory's lock (qvr_fs_lock_dir); 0: none */
    struct event_base *base;
    struct qvr_http **http; /* shards of at most USERS_PER_MULTI users */
    int nhttp;
    struct qvr_metrics *m, *warm;
    struct qvr_vu_ctx ctx;
    struct qvr_vu **vus;
    int nvus;   /* allocated slots (max users) */
    int wanted; /* users [0, wanted) should be running */
    int max_active;
    enum phase phase;
    uint64_t t0;     /* start of the measured phase */
    uint64_t t_stop; /* when the load stopped (end, signal, abort) */
    double wall0;
    struct event *sched_ev, *window_ev, *grace_ev;
    struct event *sig_ev[3]; /* SIGINT, SIGTERM, SIGHUP (NULL: not handled) */
    int signals;
    atomic_int gave_up; /* --threads: the watchdog's last resort asked the
                           main thread to write what it has (last_resort) */
    uint64_t win_start;
    struct qvr_window_row *rows;
    int nrows, caprows;
    int tty;
    uint64_t last_progress;
    struct qvr_progress *prog; /* the windows since the last line */
    struct qvr_hist *co_hist;  /* closed models: CO-corrected latency */
    uint64_t last_table;       /* terminal: when the per-name table was */
    uint64_t last_kept;        /* terminal: when a line was last kept */
    uint64_t cancelled;
    const char *abort_reason;
    char abort_buf[QVR_THRESH_EXPR_LEN + 64];
    int fatal; /* exit code 3 decided during the run */
    char fatal_msg[512];
    struct qvr_gate *gate;
    FILE *hlog;   /* latency.hlog, one line per window and name */
    FILE *byname; /* timeseries_by_name.csv, one row per window and name */
    int logs_open;
    int log_errno;       /* the first failed write to either of them */
    const char *log_bad; /* and that file's name */
    struct qvr_buf line; /* one by-name row being built */
    char *findings[8];
    struct qvr_expo *expo;
    struct qvr_collect *coll;
    int nfindings;
    /* segments */
    struct segment segs[MAX_SEGS];
    int nsegs, seg;
    int holding; /* in the measured part of a step */
    uint64_t hold_t0;
    struct qvr_stat *step_stat;
    double users_sum; /* samples of running users during the hold */
    int users_samples;
    struct qvr_step_row steps[MAX_SEGS];
    int nsteps;
    struct qvr_knee knee;
    struct event *seg_ev, *arrive_ev;
    /* open model */
    double rps;
    uint64_t next_arrival;
    uint64_t arr_rng;
    uint64_t *lateq; /* intended starts waiting for a free user */
    int *lateq_step; /* per queued start: the step row it was meant for
                        (r->nsteps while holding), -1 outside a hold */
    int lateq_head, lateq_n, lateq_cap;
    int *freev; /* indices of free users */
    char *in_free;
    int nfree, next_new;
    /* whole run: started, late (queued for a free user, then started),
     * dropped (never started: the queue was full, or the load stopped
     * while it waited); each planned start is on time, late or dropped */
    uint64_t started, late, dropped;
    uint64_t hold_started, hold_late, hold_dropped; /* this step */
    uint64_t last_start; /* for the inter-arrival statistics */
    double gap_mean, gap_m2;
    uint64_t ngaps;
    int nactive;      /* users not stopped, idle or free */
    uint64_t seg_end; /* open segments: no arrival at or after this */
    int drain_users;  /* users running when the load stopped */
    int drain_left;   /* of those, not stopped yet (see on_stopped) */
    int stopping_all; /* begin_drain is stopping every user */
    struct qvr_redact redact;
    char shown_target[512]; /* the target with any password redacted */
    struct event *start_ev; /* --start-at */
    struct event *warm_ev;  /* warmup.duration is up */
    /* the generator watching itself, and what findings need */
    uint64_t next_win_due; /* when the window timer should fire */
    uint64_t lag_max_ns;   /* worst event-loop lag seen by that timer */
    uint64_t lag_sum_ns;
    int lag_n;
    double cpu_prev_s;  /* process CPU seconds at the last window */
    double wait_prev_s; /* the loop thread's run-queue wait, the same */
    int busy_windows;   /* windows with the generator above 90% CPU */
    double cpu_max_pct;
    uint64_t first_us; /* the first request's response time */
    uint64_t first_t;  /* and its intended start */
    int have_first;
    uint64_t win_refused; /* 429/503 answers in the current window */
    int refused_windows, refused_first, refused_last;
    uint64_t refused_total;
    double retry_after_max; /* largest Retry-After seen, seconds */
    /* --threads: a worker runs the engine on its share of the load and
     * writes nothing; the main thread merges and reports. */
    int worker; /* 1: this run is a worker thread's */
    pthread_t tid;
    pthread_mutex_t mu;         /* guards rows, wenc, steps (worker side) */
    char **wenc;                /* per window: the total histogram, encoded */
    char **tenc;                /* per window: 3 token histograms, encoded */
    int captenc;                /* rows tenc has room for */
    struct qvr_hist *tokwin[4]; /* main: merge_window's token histograms */
    struct name_win *nw;        /* per window and name, not yet merged */
    int nnw, capnw;
    struct qvr_metrics *wm;       /* main: the merged window being written */
    int emitted;                  /* main: windows written to the logs */
    char *step_enc[MAX_SEGS];     /* per step: its histogram, encoded */
    char *step_tenc[MAX_SEGS][2]; /* per step: its TTFT, TPOT, encoded */
    struct event *ctl_ev;         /* main -> worker: stop_req changed */
    int stop_req;                 /* 1: drain, 2: stop now (under mu) */
    int finished;                 /* the worker's loop is over (under mu) */
    double run_at;                /* --start-at with a warm-up: the measured
                                     phase (not the warm-up) starts then */
    int warm_done;                /* the warm-up is over, waiting for run_at */
    struct run *main_run;         /* the worker's main run */
    atomic_int task_errors_printed; /* main: task errors printed by the
                                       workers (up to vu.c's limit) */
    atomic_int grace_over_logged;   /* main: a worker said on_grace_over's
                                       (1) or grace_cb's (2) line: once
                                       for the run */
    struct event *done_ev;          /* main: a worker has finished */
    int ndone;
    struct run **workers;
    int nworkers;
    struct qvr_run_opts wopts; /* the workers' options */
    struct event *progress_ev;
    uint64_t t_end; /* threads: when the last worker finished */
    int prog_rows;  /* threads: merged windows already shown */
    uint64_t prog_requests, prog_failures;
    /* threads: abort = true thresholds judged as the merged windows come */
    struct qvr_gate *live_gate; /* windowed ones (on the plan's results) */
    int want_snap; /* workers copy their metrics at each window (live_m) */
    uint64_t prog_shown; /* when progress was last printed */
    double prog_wall;    /* wall-clock end of the last merged window */
    /* threads and --metrics-listen: each worker's metrics as of its last
     * closed window (under its mu), and their sum the main serves */
    struct qvr_metrics *snap;
    struct qvr_metrics *live_m;
    uint64_t spawn_t0; /* steps{spawn_rate=}: when this step began */
    /* stop_on = "saturation" for a ramp: the windows while users rise, as
     * steps (see ramp_saturation); sat[nsat] is the one being filled */
    struct sat_step {
        uint64_t requests;
        double len_s, users_sum, p99_sum;
        int nwin, users_end;
    } sat[3];
    int nsat;
    /* --web: the dashboard, and the changes of the load made from it */
    struct qvr_web *web;
    struct qvr_load_change changes[WEB_MAX_CHANGES];
    int nchanges;
    int web_users_set; /* the page set the users: the plan's are ignored */
    int web_stop;      /* stopped from the page */
    double web_stop_s;
    uint64_t web_started; /* r->started at the last window (achieved rate) */
    int web_row;          /* the collector's row of the window published */
};

static void add_finding(struct run *r, const char *fmt, ...) QVR_PRINTF(2, 3);
static void sample_users(struct run *r);
static void web_window(struct run *r, const struct qvr_window_row *w);
static double intended_rps(const struct run *r, double load_s);

/* warmup = { requests = N } and/or { duration = "30s" } */
static int has_warmup(const struct qvr_plan *p)
{
    return p->warmup_requests > 0 || p->warmup_ns > 0;
}

static void finish(struct run *r)
{
    if (r->phase == PH_DONE)
        return;
    r->phase = PH_DONE;
    event_base_loopbreak(r->base);
}

static int busy(const struct qvr_vu *vu)
{
    return vu && vu->state != QVR_VU_STOPPED && vu->state != QVR_VU_IDLE &&
           vu->state != QVR_VU_FREE;
}

/* Users that are busy; with running, only those not asked to stop (a
 * user stopped by a ramp-down may finish its request in flight; it is no
 * longer one of the load's users). */
static int count_users(const struct run *r, int running)
{
    int n = 0;
    for (int i = 0; i < r->nvus; i++)
        n += busy(r->vus[i]) && !(running && r->vus[i]->stop_requested);
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
        qvr_vu_keep(vu);
        if (vu->state == QVR_VU_IDLE || vu->state == QVR_VU_STOPPED)
            qvr_vu_start(vu);
    }
    /* A withdrawn user sends no further request; one in flight gets the
     * grace period (ctx.stop_grace_ns, then on_grace_over). */
    for (int i = n; i < r->nvus; i++)
        if (busy(r->vus[i]))
            qvr_vu_withdraw(r->vus[i]);
    r->wanted = n;
    int a = count_users(r, 1);
    if (a > r->max_active)
        r->max_active = a;
}

static void arm_ns(struct event *ev, uint64_t ns)
{
    struct timeval tv = {(time_t)(ns / QVR_NS_PER_S),
                         (suseconds_t)(ns % QVR_NS_PER_S / 1000)};
    evtimer_add(ev, &tv);
}

static void start_hold(struct run *r);

/* steps{spawn_rate=}: the step's users come (or go) one at a time, on the
 * whole plan's instants (each part of a split load runs its share); the
 * settle, then the hold, begin after the last change. */
static void spawn_step(struct run *r)
{
    const struct qvr_plan *p = r->plan;
    const struct segment *s = &r->segs[r->seg];
    int k = p->seg_count > 1 ? p->seg_index : 1;
    int n = p->seg_count > 1 ? p->seg_count : 1;
    uint64_t x = qvr_clock_ns() - r->spawn_t0;
    set_users(r, qvr_sched_step_users(&p->load_full, r->seg, x, k, n));
    uint64_t next = qvr_sched_step_next_change(&p->load_full, r->seg, x);
    if (next != UINT64_MAX)
        arm_ns(r->sched_ev, next - x);
    else if (s->settle_ns)
        arm_ns(r->seg_ev, s->settle_ns);
    else
        start_hold(r);
}

static void sched_cb(evutil_socket_t fd, short what, void *arg)
{
    struct run *r = arg;
    (void)fd;
    (void)what;
    if (r->phase != PH_RUN)
        return;
    if (!r->segs[r->seg].plan) {
        spawn_step(r);
        return;
    }
    if (r->web_users_set)
        return; /* the dashboard set the users */
    uint64_t t = qvr_clock_ns() - r->t0;
    set_users(r, qvr_sched_users_at(&r->plan->load, t));
    uint64_t next = qvr_sched_next_change(&r->plan->load, t);
    uint64_t end = qvr_sched_duration(&r->plan->load);
    if (next != UINT64_MAX && next < end)
        arm_ns(r->sched_ev, next - t);
}

/* The starts still queued for a free user when the load stops never ran:
 * each was counted late when it was queued, and is now dropped instead,
 * in the whole run and in the step it was meant for (its row, or the hold
 * still running), so that the steps add up to the run. */
static void drop_queued(struct run *r)
{
    for (int k = 0; k < r->lateq_n; k++) {
        int st = r->lateq_step[(r->lateq_head + k) % r->lateq_cap];
        r->late--;
        r->dropped++;
        if (st >= 0 && st < r->nsteps) {
            r->steps[st].late--;
            r->steps[st].dropped++;
        } else if (st == r->nsteps && r->holding) {
            r->hold_late--;
            r->hold_dropped++;
        }
    }
    r->lateq_n = 0;
}

/* Stop starting work; in-flight requests get the grace period. */
static void begin_drain(struct run *r)
{
    if (r->phase != PH_RUN && r->phase != PH_WARMUP)
        return;
    r->phase = PH_DRAIN;
    r->t_stop = qvr_clock_ns();
    atomic_store_explicit(&r->ctx.end_ns, r->t_stop, memory_order_relaxed);
    r->drain_users = count_users(r, 1);
    r->ctx.stopping = 1;
    evtimer_del(r->sched_ev);
    evtimer_del(r->seg_ev);
    evtimer_del(r->arrive_ev);
    drop_queued(r);      /* queued starts never ran */
    r->stopping_all = 1; /* on_stopped: no count per user stopped here */
    for (int i = 0; i < r->nvus; i++)
        if (r->vus[i] && r->vus[i]->state != QVR_VU_STOPPED)
            qvr_vu_stop(r->vus[i]);
    r->stopping_all = 0;
    r->drain_left = count_users(r, 0);
    web_window(r, NULL);
    if (r->drain_left == 0) {
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
    drop_queued(r);
    finish(r);
}

static void grace_cb(evutil_socket_t fd, short what, void *arg)
{
    struct run *r = arg;
    (void)fd;
    (void)what;
    if (r->cancelled == 0 && count_users(r, 0) && !r->worker)
        qvr_warn("grace period over: cancelling %d unfinished users",
                 count_users(r, 0));
    else if (r->cancelled == 0 && count_users(r, 0) &&
             !(atomic_fetch_or(&r->main_run->grace_over_logged, 2) & 2))
        qvr_warn("grace period over: cancelling the unfinished users (of "
                 "every thread; counted as cancelled)");
    abort_all(r);
}

/* A user stopped by the plan (a ramp down, a smaller step) still had its
 * request in flight at the end of the grace period: cancelled and counted
 * as the drain counts its own (abort_all). */
static void on_grace_over(void *ud, struct qvr_vu *vu)
{
    struct run *r = ud;
    if (r->cancelled == 0 && vu->state == QVR_VU_HTTP &&
        (!r->worker ||
         !(atomic_fetch_or(&r->main_run->grace_over_logged, 1) & 1))) {
        char g[16];
        qvr_duration_fmt(r->plan->grace_ns, g, sizeof(g));
        qvr_warn("%.1fs: a user stopped by the load plan still waits for an "
                 "answer after the grace period (%s): cancelling it (counted "
                 "as cancelled, not as a request; later ones are not logged)",
                 (double)(qvr_clock_ns() - r->t0) / 1e9, g);
    }
    r->cancelled += (uint64_t)qvr_vu_abort(vu);
}

/* ---- windows, progress, abort thresholds --------------------------------- */

static double thresh_value(struct run *r, const struct qvr_thresh *t,
                           double elapsed_s);
static struct qvr_metrics *metrics_for(const struct qvr_plan *p);
static double metrics_value(struct qvr_metrics *m, const struct qvr_thresh *t,
                            double elapsed_s);

static void progress(struct run *r, const struct qvr_window_row *w, int final)
{
    if (r->opts->quiet)
        return;
    /* With threads the main run has no metrics until the merge: the
     * workers' last snapshot, when there is one, has the kinds. */
    const struct qvr_metrics *m = r->nworkers ? r->live_m : r->m;
    struct qvr_progress_now now = {
        w->t_s,
        (double)qvr_sched_duration(&r->plan->load) / 1e9,
        w->users,
        r->nworkers ? r->prog_requests : r->m->total.requests,
        r->nworkers ? r->prog_failures : r->m->total.failures,
        m ? m->total.fails : NULL,
        0};
    char line[512];
    /* A terminal rewrites the line every second and keeps one every 5 s
     * (a short scroll of history): the rewritten line shows the interval
     * since the last kept one, which it then closes. */
    uint64_t t_now = qvr_clock_ns();
    int keep_line =
        !r->tty || final ||
        t_now - r->last_kept >= 5 * QVR_NS_PER_S - QVR_NS_PER_S / 10;
    now.keep = !keep_line;
    if (keep_line)
        r->last_kept = t_now;
    qvr_progress_line(r->prog, &now, line, sizeof(line));
    if (w->streams) { /* the window's token streams */
        size_t n = strlen(line);
        snprintf(line + n, sizeof(line) - n,
                 " | ttft p50 %.1fms | itl p50 %.1fms | %.0f tok/s",
                 w->ttft_p50_ms, w->itl_p50_ms,
                 w->len_s > 0 ? w->out_tokens / w->len_s : 0);
    }
    if (r->tty) {
        /* every 10 s, the names so far above the line */
        uint64_t t = qvr_clock_ns();
        if (m && !final && m->nnames &&
            t - r->last_table >= 10 * QVR_NS_PER_S - QVR_NS_PER_S / 10) {
            r->last_table = t;
            fputs("\r\033[K", stderr);
            qvr_progress_table(m, w->t_s, 10, stderr);
        }
        fprintf(stderr, "\r\033[K%s%s", line, keep_line ? "\n" : "");
    } else {
        fprintf(stderr, "%s\n", line);
    }
    fflush(stderr);
}

/* A failed write to latency.hlog or timeseries_by_name.csv: the first
 * one is reported when the run ends (exit 3); the run goes on. */
static void log_check(struct run *r, FILE *f, const char *name)
{
    if (!f || r->log_errno)
        return;
    /* errno is this fflush's (it retries what an earlier failed write
     * left); a write that failed for good leaves only the error flag */
    errno = 0;
    if (fflush(f) != 0 || ferror(f)) {
        r->log_errno = errno ? errno : EIO;
        r->log_bad = name;
    }
}

/* The merged window's token figures (merge_tok_window) into m's total,
 * for emit_window's log lines. */
static void tok_into(struct run *r, struct qvr_metrics *m,
                     const struct qvr_window_row *w)
{
    if (!w->streams)
        return;
    struct qvr_tok *t = qvr_stat_tok(&m->total);
    if (!t)
        return;
    struct qvr_hist *d[4] = {t->ttft_win, t->itl_win, t->tpot_win, t->otok_win};
    for (int k = 0; k < 4; k++)
        if (r->tokwin[k])
            qvr_hist_add(d[k], r->tokwin[k]);
    t->win_streams += w->streams;
    t->win_out_tokens += w->out_tokens;
}

/* The window's token histograms as tagged latency.hlog lines (Tag=ttft,
 * itl, tpot; all streams), after the untagged line of all requests. */
static void hlog_tok(struct run *r, const struct qvr_tok *t, double start_s,
                     double len_s)
{
    if (!t || !t->win_streams)
        return;
    static const char *const tag[4] = {"ttft", "itl", "tpot", "out_tokens"};
    const struct qvr_hist *h[4] = {t->ttft_win, t->itl_win, t->tpot_win,
                                   t->otok_win};
    for (int k = 0; k < 4; k++) {
        char *enc = NULL;
        if (!h[k]->total || qvr_hist_encode(h[k], &enc) < 0)
            continue;
        fprintf(r->hlog, "Tag=%s,%.3f,%.3f,%.3f,%s\n", tag[k], start_s, len_s,
                h[k]->max / 1000.0, enc);
        free(enc);
    }
}

/* One window into the two logs written as the run goes, each flushed at
 * once so that a killed run keeps them:
 * - latency.hlog, HdrHistogram's interval log: one line for all requests
 *   and one per request name (values in us; MaxValueDivisor 1000 makes the
 *   max column ms);
 * - timeseries_by_name.csv: one row per request name.
 * m holds the window's histograms and counts: the run's own metrics, or
 * with threads the main's merge of the workers' windows. */
static void emit_window(struct run *r, struct qvr_metrics *m,
                        const struct qvr_window_row *w)
{
    double start_s = w->t_s - w->len_s;
    for (int i = -1; i < m->nnames; i++) {
        struct qvr_stat *st = i < 0 ? &m->total : m->names[i];
        if (i >= 0 && !st->win_requests)
            continue;
        double max_ms = st->win->total ? st->win->max / 1000.0 : 0.0;
        char *enc = NULL;
        if (r->hlog && qvr_hist_encode(st->win, &enc) == 0) {
            if (i >= 0) {
                fputs("Tag=name:", r->hlog);
                for (const char *c = st->name; *c; c++)
                    fputc(((unsigned char)*c <= ' ' || *c == ',' || *c == 0x7f)
                              ? '_'
                              : *c,
                          r->hlog);
                fputc(',', r->hlog);
            }
            fprintf(r->hlog, "%.3f,%.3f,%.3f,%s\n", start_s, w->len_s, max_ms,
                    enc);
            if (i < 0)
                hlog_tok(r, st->tok, start_s, w->len_s);
        }
        free(enc);
        if (i < 0 || !r->byname)
            continue;
        qvr_buf_reset(&r->line);
        int bad = qvr_buf_printf(&r->line, "%.3f,%.3f,", w->t_s, w->wall_s);
        bad |= qvr_buf_csv_field(&r->line, st->name, 0);
        bad |= qvr_buf_printf(&r->line, "%llu,%llu,%.3f,%.3f,%.3f,%.3f,%.3f\n",
                              (unsigned long long)st->win_requests,
                              (unsigned long long)st->win_failures,
                              w->len_s > 0 ? st->win_requests / w->len_s : 0,
                              qvr_hist_value_at(st->win, 50) / 1000.0,
                              qvr_hist_value_at(st->win, 90) / 1000.0,
                              qvr_hist_value_at(st->win, 99) / 1000.0, max_ms);
        if (!bad) /* never half a row (out of memory) */
            fwrite(r->line.data, 1, r->line.len, r->byname);
    }
    log_check(r, r->hlog, "latency.hlog");
    log_check(r, r->byname, "timeseries_by_name.csv");
}

/* Opens one log for writing. Never blocks (a FIFO nobody reads fails
 * with ENXIO); a log that cannot be opened is the run's log error, so the
 * run still ends with exit 3 naming it. */
static FILE *open_log(struct run *r, const char *name)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/%s", r->out_dir, name);
    FILE *f = NULL;
    int fd =
        open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NONBLOCK | O_CLOEXEC, 0644);
    if (fd >= 0) {
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
        if (!(f = fdopen(fd, "w")))
            close(fd);
    }
    if (!f) {
        qvr_warn("cannot write %s: %s", path, strerror(errno));
        if (!r->log_errno) {
            r->log_errno = errno ? errno : EIO;
            r->log_bad = name;
        }
    }
    return f;
}

static void open_logs(struct run *r)
{
    r->logs_open = 1;
    r->hlog = open_log(r, "latency.hlog");
    r->byname = open_log(r, "timeseries_by_name.csv");
    if (r->byname)
        fputs("time_s,wall_s,name,requests,failures,rps,p50_ms,p90_ms,"
              "p99_ms,max_ms\n",
              r->byname);
    if (r->hlog) {
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
    }
    log_check(r, r->hlog, "latency.hlog");
    log_check(r, r->byname, "timeseries_by_name.csv");
}

/* Closes both logs. Returns 0, or -1 with a one-line message in err when
 * a write to either failed at any time during the run. */
static int close_logs(struct run *r, char *err, size_t errlen)
{
    FILE *f[2] = {r->hlog, r->byname};
    const char *name[2] = {"latency.hlog", "timeseries_by_name.csv"};
    r->hlog = r->byname = NULL;
    for (int i = 0; i < 2; i++) {
        if (!f[i])
            continue;
        log_check(r, f[i], name[i]);
        if (fclose(f[i]) != 0 && !r->log_errno) {
            r->log_errno = errno ? errno : EIO;
            r->log_bad = name[i];
        }
    }
    if (!r->log_errno)
        return 0;
    snprintf(err, errlen, "cannot write %.900s/%s: %s", r->out_dir, r->log_bad,
             strerror(r->log_errno));
    return -1;
}

/* Worker side, in close_window (under mu): each name's window, encoded,
 * for the main thread to merge with the other workers'. */
static void keep_name_windows(struct run *r, int row)
{
    for (int i = 0; i < r->m->nnames; i++) {
        struct qvr_stat *st = r->m->names[i];
        if (!st->win_requests)
            continue;
        if (r->nnw == r->capnw) {
            int cap = r->capnw ? r->capnw * 2 : 16;
            struct name_win *n = realloc(r->nw, (size_t)cap * sizeof(*n));
            if (!n)
                return;
            r->nw = n;
            r->capnw = cap;
        }
        struct name_win *e = &r->nw[r->nnw];
        e->enc = NULL;
        if (qvr_hist_encode(st->win, &e->enc) < 0)
            continue;
        e->row = row;
        e->name = st->name;
        e->requests = st->win_requests;
        e->failures = st->win_failures;
        r->nnw++;
    }
}

/* The measured start of a threaded run: its earliest worker's. */
static void start_from_workers(struct run *r)
{
    for (int k = 0; k < r->nworkers; k++) {
        struct run *w = r->workers[k];
        pthread_mutex_lock(&w->mu);
        if (w->t0 && (!r->t0 || w->t0 < r->t0)) {
            r->t0 = w->t0;
            r->wall0 = w->wall0;
        }
        pthread_mutex_unlock(&w->mu);
    }
}

/* Main side: merged window i (w, with histogram h) into the logs, with
 * every worker's windows of each request name for that window added
 * together. Windows go out in order, each once. */
static void main_emit(struct run *r, int i, const struct qvr_window_row *w,
                      const struct qvr_hist *h)
{
    if (i < r->emitted)
        return;
    if (!r->wm && !(r->wm = qvr_metrics_new(0, NULL)))
        return;
    if (!r->logs_open) {
        start_from_workers(r);
        open_logs(r);
    }
    struct qvr_metrics *m = r->wm;
    qvr_hist_add(m->total.win, h);
    for (int k = 0; k < r->nworkers; k++) {
        struct run *wk = r->workers[k];
        pthread_mutex_lock(&wk->mu);
        int j = 0;
        for (; j < wk->nnw && wk->nw[j].row <= i; j++) {
            struct name_win *e = &wk->nw[j];
            struct qvr_stat *st =
                e->row == i ? qvr_metrics_name(m, e->name) : NULL;
            struct qvr_hist *one = NULL;
            if (st && qvr_hist_decode(e->enc, strlen(e->enc), &one) == 0) {
                qvr_hist_add(st->win, one);
                st->win_requests += e->requests;
                st->win_failures += e->failures;
            }
            qvr_hist_free(one);
            free(e->enc);
        }
        wk->nnw -= j;
        if (j && wk->nnw)
            memmove(wk->nw, wk->nw + j, (size_t)wk->nnw * sizeof(*wk->nw));
        pthread_mutex_unlock(&wk->mu);
    }
    tok_into(r, m, w);
    emit_window(r, m, w);
    qvr_metrics_window_reset(m);
    r->emitted = i + 1;
}

/* The load stops before its plan ends: this run drains; with threads (the
 * main run) the workers drain, as on a first signal. */
static void stop_load(struct run *r)
{
    if (!r->nworkers) {
        begin_drain(r);
        return;
    }
    for (int k = 0; k < r->nworkers; k++) {
        struct run *wk = r->workers[k];
        pthread_mutex_lock(&wk->mu);
        if (!wk->stop_req)
            wk->stop_req = 1;
        pthread_mutex_unlock(&wk->mu);
        event_active(wk->ctl_ev, EV_READ, 0);
    }
}

/* The abort = true threshold t failed with value v: the reason is kept and
 * shown, and the load stops. */
static void abort_run(struct run *r, const struct qvr_thresh *t, double v)
{
    char buf[64];
    snprintf(r->abort_buf, sizeof(r->abort_buf), "%s (measured %s)", t->expr,
             qvr_thresh_fmt_value(t, v, buf, sizeof(buf)));
    r->abort_reason = r->abort_buf;
    qvr_warn("threshold %s failed: stopping the run", r->abort_buf);
    stop_load(r);
}

/* stop_on = "saturation" for ramp{} (and users{} with spawn_rate): the
 * windows are cut into steps as the users rise. A step closes once it has
 * SAT_WINDOWS windows, SAT_REQUESTS requests and, at its last window, at
 * least SAT_RISE times (and one more than) the users at the end of the
 * step before; the last three steps are judged as a step load's are
 * (qvr_steps_saturated: throughput up by under 5% twice while P99 climbed
 * twice). A smaller rise is never judged on its own (throughput need not
 * follow it beyond noise); users that fall start the steps over. One
 * thread: the run's windows; threads: the main run's merged windows. */
#define SAT_WINDOWS 2
#define SAT_REQUESTS 20
#define SAT_RISE 1.2

static void ramp_saturation(struct run *r, const struct qvr_window_row *w)
{
    const struct qvr_load *l = &r->plan->load;
    if (!l->stop_on_saturation || r->nsat < 0 || r->abort_reason ||
        r->signals || (l->kind != QVR_LOAD_RAMP && l->kind != QVR_LOAD_USERS))
        return;
    struct sat_step *c = &r->sat[r->nsat];
    int last = c->nwin   ? c->users_end
               : r->nsat ? r->sat[r->nsat - 1].users_end
                         : 0;
    if (w->users < last) {
        memset(r->sat, 0, sizeof(r->sat));
        r->nsat = 0;
        c = &r->sat[0];
    }
    c->requests += w->requests;
    c->len_s += w->len_s;
    c->users_sum += w->users;
    c->p99_sum += w->p99_ms * (double)w->requests; /* weighted by requests */
    c->nwin++;
    c->users_end = w->users;
    int before = r->nsat ? r->sat[r->nsat - 1].users_end : 0;
    if (c->nwin < SAT_WINDOWS || c->requests < SAT_REQUESTS ||
        (r->nsat &&
         (c->users_end < before + 1 || c->users_end < before * SAT_RISE)))
        return;
    if (r->nsat < 2) {
        r->nsat++;
        return;
    }
    struct qvr_step_row g[3];
    memset(g, 0, sizeof(g));
    for (int i = 0; i < 3; i++) {
        g[i].rps = (double)r->sat[i].requests / r->sat[i].len_s;
        g[i].p99_ms = r->sat[i].p99_sum / (double)r->sat[i].requests;
    }
    if (!qvr_steps_saturated(g, 3)) {
        r->sat[0] = r->sat[1];
        r->sat[1] = r->sat[2];
        memset(&r->sat[2], 0, sizeof(r->sat[2]));
        return;
    }
    add_finding(r,
                "stopped at %d users (%.0fs): throughput stopped rising for "
                "two steps of the ramp (%.1f -> %.1f req/s as users went "
                "%.0f -> %.0f) while P99 climbed (%.0f -> %.0f ms)",
                w->users, w->t_s, g[0].rps, g[2].rps,
                r->sat[0].users_sum / r->sat[0].nwin,
                r->sat[2].users_sum / r->sat[2].nwin, g[0].p99_ms, g[2].p99_ms);
    r->nsat = -1; /* judged: the load is stopping */
    stop_load(r);
}

/* Seconds the calling thread has waited on a run queue for a CPU
 * (/proc/thread-self/schedstat), or -1. A generator that wanted a core and
 * did not get it (a shared machine) is as much the bottleneck as one that
 * used it all. */
static double runq_wait_s(void)
{
    FILE *f = fopen("/proc/thread-self/schedstat", "r");
    unsigned long long run_ns, wait_ns;
    int n = f ? fscanf(f, "%llu %llu", &run_ns, &wait_ns) : 0;
    if (f)
        fclose(f);
    return n == 2 ? wait_ns / 1e9 : -1;
}

/* The row's token figures from a stat's token windows (none: zeros). */
static void tok_row(struct qvr_window_row *w, const struct qvr_tok *t)
{
    const struct qvr_hist *h[3] = {NULL, NULL, NULL};
    if (t) {
        h[0] = t->ttft_win;
        h[1] = t->itl_win;
        h[2] = t->tpot_win;
    }
    qvr_report_tok_row(w, h, t ? t->win_streams : 0, t ? t->win_out_tokens : 0);
}

/* The window's token histograms to g, for windowed token thresholds. */
static void gate_tok(struct qvr_gate *g, const struct qvr_tok *t)
{
    if (!t || !t->win_streams)
        return;
    const struct qvr_hist *h[3] = {t->ttft_win, t->itl_win, t->tpot_win};
    qvr_gate_tok(g, h, t->win_streams, t->win_out_tokens);
}

/* Worker side, in close_window (under mu): the total's token windows,
 * encoded, for the main thread (row's entries stay NULL when none). */
static void keep_tok_window(struct run *r, int row)
{
    if (row >= r->captenc) {
        int cap = r->captenc ? r->captenc * 2 : 64;
        while (cap <= row)
            cap *= 2;
        char **n = realloc(r->tenc, (size_t)cap * 4 * sizeof(*n));
        if (!n)
            return;
        memset(n + (size_t)r->captenc * 4, 0,
               (size_t)(cap - r->captenc) * 4 * sizeof(*n));
        r->tenc = n;
        r->captenc = cap;
    }
    const struct qvr_tok *t = r->m->total.tok;
    if (!t || !t->win_streams)
        return;
    const struct qvr_hist *h[4] = {t->ttft_win, t->itl_win, t->tpot_win,
                                   t->otok_win};
    for (int k = 0; k < 4; k++)
        if (h[k]->total)
            qvr_hist_encode(h[k], &r->tenc[(size_t)row * 4 + k]);
}

static void close_window(struct run *r, uint64_t now, int final)
{
    struct qvr_stat *s = &r->m->total;
    double len = (double)(now - r->win_start) / 1e9;
    if (final && s->win_requests == 0 && len < 0.05)
        return;
    if (r->worker)
        pthread_mutex_lock(&r->mu); /* the main thread reads the rows */
    if (r->nrows == r->caprows) {
        int cap = r->caprows ? r->caprows * 2 : 64;
        struct qvr_window_row *n = realloc(r->rows, (size_t)cap * sizeof(*n));
        char **e =
            r->worker ? realloc(r->wenc, (size_t)cap * sizeof(*e)) : NULL;
        if (n)
            r->rows = n;
        if (e)
            r->wenc = e;
        if (!n || (r->worker && !e)) {
            if (r->worker)
                pthread_mutex_unlock(&r->mu);
            return;
        }
        r->caprows = cap;
    }
    struct qvr_window_row *w = &r->rows[r->nrows++];
    w->t_s = (double)(now - r->t0) / 1e9;
    w->wall_s = r->wall0 + w->t_s;
    /* The window that ends as the load stops still had its users. */
    w->users = r->phase == PH_RUN ? count_users(r, 1) : r->drain_users;
    w->requests = s->win_requests;
    w->failures = s->win_failures;
    w->rps = len > 0 ? s->win_requests / len : 0;
    w->p50_ms = (double)qvr_hist_value_at(s->win, 50) / 1000.0;
    w->p90_ms = (double)qvr_hist_value_at(s->win, 90) / 1000.0;
    w->p99_ms = (double)qvr_hist_value_at(s->win, 99) / 1000.0;
    w->max_ms = s->win->total ? (double)s->win->max / 1000.0 : 0;
    w->len_s = len;
    tok_row(w, s->tok);
    sample_users(r);
    struct rusage ru;
    if (getrusage(r->worker ? RUSAGE_THREAD : RUSAGE_SELF, &ru) == 0) {
        double cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
                     ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
        double pct = len > 0 ? 100.0 * (cpu - r->cpu_prev_s) / len : 0;
        double wait = runq_wait_s();
        double wpct =
            len > 0 && wait >= 0 ? 100.0 * (wait - r->wait_prev_s) / len : 0;
        r->cpu_prev_s = cpu;
        r->wait_prev_s = wait;
        if (!final) {
            if (pct > r->cpu_max_pct)
                r->cpu_max_pct = pct;
            r->busy_windows += pct + wpct >= 90;
        }
    }
    if (r->win_refused) {
        r->refused_total += r->win_refused;
        if (!r->refused_windows++)
            r->refused_first = r->nrows - 1;
        r->refused_last = r->nrows - 1;
        r->win_refused = 0;
    }
    if (w->users > r->max_active)
        r->max_active = w->users;
    if (r->worker) {
        /* The main thread merges this window with the other workers'. */
        r->wenc[r->nrows - 1] = NULL;
        qvr_hist_encode(s->win, &r->wenc[r->nrows - 1]);
        keep_tok_window(r, r->nrows - 1);
        keep_name_windows(r, r->nrows - 1);
        if (r->main_run->want_snap) {
            struct qvr_metrics *snap = metrics_for(r->plan);
            if (snap && qvr_metrics_add(snap, r->m) == 0) {
                qvr_metrics_free(r->snap);
                r->snap = snap;
            } else {
                qvr_metrics_free(snap);
            }
        }
        pthread_mutex_unlock(&r->mu);
        qvr_metrics_window_reset(r->m);
        r->win_start = now;
        return;
    }
    emit_window(r, r->m, w);
    gate_tok(r->gate, s->tok);
    qvr_progress_add(r->prog, s->win, s->win_requests, s->win_failures, len);
    int gate_abort = qvr_gate_window(r->gate, s->win, s->win_requests,
                                     s->win_failures, len, w->t_s);
    if (r->coll)
        qvr_collect_window(r->coll); /* row r->nrows - 1 */
    if (r->expo) {
        qvr_expo_set_users(r->expo, w->users);
        if (r->coll)
            qvr_collect_expo(r->coll, r->expo);
    }
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
    for (int i = 0; !final && !r->abort_reason && i < r->plan->nthresh; i++) {
        const struct qvr_thresh *t = &r->plan->thresh[i].t;
        if (!t->abort || now - r->t0 < t->after_ns)
            continue;
        if (t->window_ns) {
            if (gate_abort && !r->plan->thresh[i].ok)
                abort_run(r, t, r->plan->thresh[i].value);
            continue;
        }
        if (t->kind == QVR_TK_TREND)
            continue;
        double v = thresh_value(r, t, w->t_s);
        if (!isnan(v) && !qvr_thresh_check(t, v))
            abort_run(r, t, v);
    }
    r->web_row = r->coll ? qvr_collect_nrows(r->coll) - 1 : -1;
    if (!final)
        web_window(r, w);
    if (!final && r->phase == PH_RUN)
        ramp_saturation(r, w);
}

/* Whether the window due now should run on to the end of the run: the
 * load ends within a twentieth of a window (the stop timer is due at the
 * same moment), or stopped less than half a window ago and is draining.
 * The final window then takes the requests in flight at the stop, and a
 * run does not end with a sliver of a window holding a few of them (its
 * rps a spike, its time_s the same as the row before it). A drain that
 * goes on past half a window closes windows as usual from the next tick. */
static int end_is_near(struct run *r, uint64_t now)
{
    uint64_t win = r->plan->window_ns;
    if (r->phase == PH_DRAIN)
        return r->t_stop && now - r->t_stop < win / 2;
    uint64_t end = atomic_load_explicit(&r->ctx.end_ns, memory_order_relaxed);
    return end && end < now + win / 20 && now < end + win / 2;
}

static void window_cb(evutil_socket_t fd, short what, void *arg)
{
    struct run *r = arg;
    (void)fd;
    (void)what;
    uint64_t now = qvr_clock_ns();
    /* How late the loop got round to this timer: the generator's own lag. */
    if (r->next_win_due && now > r->next_win_due) {
        uint64_t lag = now - r->next_win_due;
        r->lag_sum_ns += lag;
        r->lag_n++;
        if (lag > r->lag_max_ns)
            r->lag_max_ns = lag;
    }
    r->next_win_due =
        (r->next_win_due ? r->next_win_due : now) + r->plan->window_ns;
    if ((r->phase == PH_RUN || r->phase == PH_DRAIN) && !end_is_near(r, now))
        close_window(r, now, 0);
}

/* ---- phases -------------------------------------------------------------- */

/* ---- the open model: arrivals hand iterations to free users ------------- */

static struct qvr_vu *take_free(struct run *r)
{
    while (r->nfree > 0) {
        int i = r->freev[--r->nfree];
        r->in_free[i] = 0;
        struct qvr_vu *vu = r->vus[i];
        if (vu && (vu->state == QVR_VU_FREE || vu->state == QVR_VU_STOPPED))
            return vu;
    }
    while (r->next_new < r->nvus && r->vus[r->next_new])
        r->next_new++;
    if (r->next_new >= r->nvus)
        return NULL;
    int i = r->next_new++;
    r->vus[i] = qvr_vu_new(&r->ctx, i + 1);
    if (!r->vus[i]) {
        snprintf(r->fatal_msg, sizeof(r->fatal_msg),
                 "cannot create user %d: out of memory", i + 1);
        r->fatal = 1;
        finish(r);
    }
    return r->vus[i];
}

static void give_back(struct run *r, struct qvr_vu *vu)
{
    int i = vu->id - 1;
    if (r->in_free[i])
        return;
    r->in_free[i] = 1;
    r->freev[r->nfree++] = i;
}

/* An iteration actually starts now for its intended time t. */
static void launch(struct run *r, struct qvr_vu *vu, uint64_t t)
{
    uint64_t now = qvr_clock_ns();
    if (r->last_start) {
        /* Welford over the gaps between actual starts */
        double g = (double)(now - r->last_start) / 1e9;
        r->ngaps++;
        double d = g - r->gap_mean;
        r->gap_mean += d / (double)r->ngaps;
        r->gap_m2 += d * (g - r->gap_mean);
    }
    r->last_start = now;
    r->started++;
    if (r->holding)
        r->hold_started++;
    qvr_vu_begin(vu, t);
}

/* Hands the start intended at t to a free user, or queues it (late), or
 * drops it. A late or dropped start counts in the step whose hold it was
 * meant for (t in the hold), never in a settle before it. */
static void dispatch(struct run *r, uint64_t t)
{
    struct qvr_vu *vu = take_free(r);
    int in_hold = r->holding && t >= r->hold_t0;
    if (vu) {
        launch(r, vu, t);
    } else if (r->lateq_n < r->lateq_cap) {
        int at = (r->lateq_head + r->lateq_n++) % r->lateq_cap;
        r->lateq[at] = t;
        r->lateq_step[at] = in_hold ? r->nsteps : -1;
        r->late++;
        if (in_hold)
            r->hold_late++;
    } else {
        r->dropped++;
        if (in_hold)
            r->hold_dropped++;
    }
}

static void arrive_cb(evutil_socket_t fd, short what, void *arg)
{
    struct run *r = arg;
    (void)fd;
    (void)what;
    if (r->phase != PH_RUN || r->rps <= 0)
        return;
    uint64_t now = qvr_clock_ns();
    while (r->next_arrival <= now && r->next_arrival < r->seg_end &&
           r->phase == PH_RUN) {
        dispatch(r, r->next_arrival);
        r->next_arrival +=
            qvr_sched_gap_ns(r->rps, r->plan->load.arrival, &r->arr_rng);
    }
    if (r->phase == PH_RUN && r->next_arrival < r->seg_end)
        arm_ns(r->arrive_ev, r->next_arrival - now);
}

static void on_free(void *ud, struct qvr_vu *vu)
{
    struct run *r = ud;
    if (r->phase == PH_RUN && r->lateq_n > 0) {
        uint64_t t = r->lateq[r->lateq_head];
        r->lateq_head = (r->lateq_head + 1) % r->lateq_cap;
        r->lateq_n--;
        launch(r, vu, t);
        return;
    }
    give_back(r, vu);
}

/* ---- segments: plans, steps, sweeps -------------------------------------- */

static void begin_segment(struct run *r, int i);

/* The Lua global `step` that tasks read: {index, users, rps, <vary>}. */
static void set_step_global(struct run *r, const struct segment *s, int idx)
{
    lua_State *L = r->script->L;
    lua_createtable(L, 0, 4);
    lua_pushinteger(L, idx);
    lua_setfield(L, -2, "index");
    lua_pushinteger(L, s->users);
    lua_setfield(L, -2, "users");
    lua_pushnumber(L, s->rps);
    lua_setfield(L, -2, "rps");
    if (r->plan->load.vary[0]) {
        if (s->vary == (double)(lua_Integer)s->vary)
            lua_pushinteger(L, (lua_Integer)s->vary);
        else
            lua_pushnumber(L, s->vary);
        lua_setfield(L, -2, r->plan->load.vary);
    }
    lua_setglobal(L, "step");
}

static void sample_users(struct run *r)
{
    if (!r->holding)
        return;
    r->users_sum += count_users(r, 1);
    r->users_samples++;
}

static void print_step(struct run *r, const struct qvr_step_row *row)
{
    if (r->opts->quiet)
        return;
    char what[64];
    if (r->plan->load.vary[0])
        snprintf(what, sizeof(what), "%s %g", r->plan->load.vary, row->vary);
    else if (row->rate > 0)
        snprintf(what, sizeof(what), "rate %.2f/s", row->rate);
    else
        snprintf(what, sizeof(what), "users %d", row->users);
    if (r->tty)
        fprintf(stderr, "\r\033[K");
    fprintf(stderr,
            "step %d%s%s: %s -> %.1f req/s, p50 %.1fms, p99 %.1fms, "
            "errors %.1f%%%s\n",
            row->index, row->label ? " " : "", row->label ? row->label : "",
            what, row->rps, row->p50_ms, row->p99_ms, row->error_rate * 100,
            row->under ? " (under-delivered)" : "");
    fflush(stderr);
}

/* A step row's token figures from its TTFT and TPOT histograms. */
static void step_tok(struct run *r, struct qvr_step_row *row,
                     const struct qvr_hist *ttft, const struct qvr_hist *tpot,
                     uint64_t streams, uint64_t out_tokens)
{
    const struct qvr_slo *slo = &r->plan->slo;
    row->streams = streams;
    row->out_tokens = out_tokens;
    row->ttft_p50_ms = qvr_hist_value_at(ttft, 50) / 1000.0;
    row->ttft_p99_ms = qvr_hist_value_at(ttft, 99) / 1000.0;
    row->tpot_p50_ms = qvr_hist_value_at(tpot, 50) / 1000.0;
    row->tpot_p99_ms = qvr_hist_value_at(tpot, 99) / 1000.0;
    row->ttft_slo_ms =
        qvr_hist_value_at(ttft, slo->ttft_pct > 0 ? slo->ttft_pct : 99) /
        1000.0;
    row->tpot_slo_ms =
        qvr_hist_value_at(tpot, slo->tpot_pct > 0 ? slo->tpot_pct : 99) /
        1000.0;
}

/* Main side: step i's token figures of every worker as one. */
static void merge_step_tok(struct run *r, int i, struct qvr_step_row *row)
{
    struct qvr_hist *h[2] = {qvr_hist_new(), qvr_hist_new()};
    uint64_t streams = 0, tokens = 0;
    for (int k = 0; h[0] && h[1] && k < r->nworkers; k++) {
        const struct run *w = r->workers[k];
        streams += w->steps[i].streams;
        tokens += w->steps[i].out_tokens;
        for (int j = 0; j < 2; j++) {
            const char *e = w->step_tenc[i][j];
            struct qvr_hist *one = NULL;
            if (e && qvr_hist_decode(e, strlen(e), &one) == 0)
                qvr_hist_add(h[j], one);
            qvr_hist_free(one);
        }
    }
    row->streams = 0;
    row->out_tokens = 0;
    if (streams && h[0] && h[1])
        step_tok(r, row, h[0], h[1], streams, tokens);
    qvr_hist_free(h[0]);
    qvr_hist_free(h[1]);
}

/* The hold of a step is over: its row, then the next segment. */
static void end_step(struct run *r)
{
    const struct segment *s = &r->segs[r->seg];
    /* Arrivals of this step's plan already due go to this step, before
     * the next segment restarts the arrivals (both timers may be due in
     * one loop pass, this one first). */
    if (s->open)
        arrive_cb(-1, 0, r);
    uint64_t now = qvr_clock_ns();
    sample_users(r);
    struct qvr_stat *st = r->step_stat;
    struct qvr_step_row *row = &r->steps[r->nsteps++];
    memset(row, 0, sizeof(*row));
    row->index = r->nsteps;
    row->label = s->label;
    row->users = s->open ? 0 : s->users;
    row->rate = s->open ? s->rps : 0;
    row->vary = s->vary;
    row->has_vary = r->plan->load.vary[0] != 0;
    row->duration_s = (double)(now - r->hold_t0) / 1e9;
    row->start_s = (double)(r->hold_t0 - r->t0) / 1e9;
    row->achieved_users =
        r->users_samples ? r->users_sum / r->users_samples : 0;
    row->achieved_rate =
        row->duration_s > 0 ? r->hold_started / row->duration_s : 0;
    row->requests = st->requests;
    row->failures = st->failures;
    row->late = r->hold_late;
    row->dropped = r->hold_dropped;
    row->refused = st->status[413] + st->status[429] + st->status[503];
    row->rps = row->duration_s > 0 ? st->requests / row->duration_s : 0;
    row->p50_ms = qvr_report_pct_ms(st, 50);
    row->p90_ms = qvr_report_pct_ms(st, 90);
    row->p95_ms = qvr_report_pct_ms(st, 95);
    row->p99_ms = qvr_report_pct_ms(st, 99);
    row->max_ms = st->resp->total ? st->resp->max / 1000.0 : 0;
    row->error_rate = st->requests ? (double)st->failures / st->requests : 0;
    row->under = 0;
    double want = row->rate > 0 ? row->rate : (double)row->users;
    double got = row->rate > 0 ? row->achieved_rate : row->achieved_users;
    row->under = want > 0 && got < 0.9 * want;
    r->holding = 0;
    r->ctx.step_stat = NULL;
    /* The step's histogram goes into summary.json (merges are exact) and,
     * for a worker, to the main thread. */
    r->step_enc[r->nsteps - 1] = NULL;
    qvr_hist_encode(st->resp, &r->step_enc[r->nsteps - 1]);
    if (st->tok && st->tok->streams) {
        step_tok(r, row, st->tok->ttft, st->tok->tpot, st->tok->streams,
                 st->tok->out_tokens);
        qvr_hist_encode(st->tok->ttft, &r->step_tenc[r->nsteps - 1][0]);
        qvr_hist_encode(st->tok->tpot, &r->step_tenc[r->nsteps - 1][1]);
    }
    if (!r->worker)
        print_step(r, row);

    /* A sweep learns its rates from the baseline and saturation steps. */
    const struct qvr_load *l = &r->plan->load;
    if (l->kind == QVR_LOAD_SWEEP && s->label &&
        (strcmp(s->label, "saturation") == 0 ||
         (strcmp(s->label, "baseline") == 0 && l->max_rps > 0))) {
        double base = r->steps[0].rps;
        double top = l->max_rps > 0 ? l->max_rps : row->rps;
        if (top < base)
            top = base;
        for (int k = 1; k <= l->rates && r->nsegs < MAX_SEGS; k++) {
            struct segment *n = &r->segs[r->nsegs++];
            memset(n, 0, sizeof(*n));
            n->open = 1;
            n->is_step = 1;
            n->rps = base + (top - base) * k / l->rates;
            n->settle_ns = l->settle_ns;
            n->hold_ns = l->hold_ns;
        }
    }
    if (l->stop_on_saturation && qvr_steps_saturated(r->steps, r->nsteps)) {
        add_finding(r,
                    "stopped at step %d: throughput stopped rising for "
                    "two steps (%.1f -> %.1f req/s) while P99 climbed "
                    "(%.0f -> %.0f ms)",
                    row->index, r->steps[r->nsteps - 3].rps, row->rps,
                    r->steps[r->nsteps - 3].p99_ms, row->p99_ms);
        begin_drain(r);
        return;
    }
    if (r->seg + 1 < r->nsegs)
        begin_segment(r, r->seg + 1);
    else
        begin_drain(r);
}

static void start_hold(struct run *r)
{
    r->holding = 1;
    r->hold_t0 = qvr_clock_ns();
    r->users_sum = 0;
    r->users_samples = 0;
    r->hold_started = r->hold_late = r->hold_dropped = 0;
    qvr_stat_reset(r->step_stat);
    r->ctx.step_stat = r->step_stat;
    arm_ns(r->seg_ev, r->segs[r->seg].hold_ns);
}

static void seg_cb(evutil_socket_t fd, short what, void *arg)
{
    struct run *r = arg;
    (void)fd;
    (void)what;
    if (r->phase != PH_RUN)
        return;
    const struct segment *s = &r->segs[r->seg];
    if (s->is_step && !r->holding)
        start_hold(r);
    else if (s->is_step)
        end_step(r);
    else
        begin_drain(r);
}

static void begin_segment(struct run *r, int i)
{
    const struct segment *s = &r->segs[i];
    uint64_t quiet_ns = 0;
    r->seg = i;
    set_step_global(r, s, s->is_step ? r->nsteps + 1 : 1);
    if (s->open) {
        /* users of a closed segment before finish their iteration */
        if (!r->ctx.open_model) {
            set_users(r, 0);
            /* After a closed step (a sweep's saturation probe) its users'
             * requests are still queued at the target: arrivals begin
             * once they are answered, within about the step's slowest
             * request, or the backlog would count in this step's hold
             * (throughput above the offered rate, P99 of the probe). */
            if (s->is_step && r->nsteps > 0)
                quiet_ns = (uint64_t)(r->steps[r->nsteps - 1].max_ms * 1.25 *
                                      QVR_NS_PER_MS);
        }
        r->ctx.open_model = 1;
        r->rps = s->rps;
        /* a part of a split load starts its arrivals between the others' */
        r->next_arrival =
            qvr_clock_ns() + r->plan->load.arrival_offset_ns + quiet_ns;
        r->seg_end = r->next_arrival + s->settle_ns + s->hold_ns;
        arm_ns(r->arrive_ev, 0);
    } else if (s->plan) {
        r->ctx.open_model = 0;
        sched_cb(-1, 0, r);
    } else {
        r->ctx.open_model = 0;
        r->rps = 0;
        evtimer_del(r->arrive_ev);
        if (r->plan->load.kind == QVR_LOAD_STEPS &&
            r->plan->load.spawn_rate > 0) {
            r->spawn_t0 = qvr_clock_ns();
            spawn_step(r); /* then the settle or the hold */
            return;
        }
        set_users(r, s->users);
    }
    if (s->is_step) {
        if (s->settle_ns + quiet_ns)
            arm_ns(r->seg_ev, s->settle_ns + quiet_ns);
        else
            start_hold(r);
    } else {
        arm_ns(r->seg_ev, s->hold_ns);
    }
}

/* The segments of the plan: one for users{}/ramp{} and rate{}, one per
 * step, and for a sweep the baseline and saturation steps (its rates are
 * added when they are known). */
static void build_segments(struct run *r)
{
    const struct qvr_load *l = &r->plan->load;
    struct segment *s = r->segs;
    memset(r->segs, 0, sizeof(r->segs));
    switch (l->kind) {
    case QVR_LOAD_USERS:
    case QVR_LOAD_RAMP:
        s[0].plan = 1;
        s[0].hold_ns = qvr_sched_duration(l);
        r->nsegs = 1;
        break;
    case QVR_LOAD_RATE:
        s[0].open = 1;
        s[0].rps = l->rps;
        s[0].hold_ns = l->duration_ns;
        r->nsegs = 1;
        break;
    case QVR_LOAD_STEPS:
        for (int i = 0; i < l->nsteps; i++) {
            s[i].is_step = 1;
            s[i].open = l->open;
            s[i].users = l->vary[0] ? l->users : l->steps[i].users;
            s[i].rps = l->steps[i].rps;
            s[i].vary = l->steps[i].vary;
            s[i].settle_ns = l->settle_ns;
            s[i].hold_ns = l->hold_ns;
        }
        r->nsegs = l->nsteps;
        break;
    case QVR_LOAD_SWEEP:
        s[0].is_step = 1;
        s[0].users = 1;
        s[0].label = "baseline";
        s[0].settle_ns = l->settle_ns;
        s[0].hold_ns = l->hold_ns;
        r->nsegs = 1;
        if (l->max_rps <= 0) {
            s[1] = s[0];
            s[1].users = l->max_users;
            s[1].label = "saturation";
            r->nsegs = 2;
        }
        break;
    case QVR_LOAD_EVERY: /* refused before the run (monitor's shape) */
        break;
    }
}

static void start_run_phase(struct run *r)
{
    r->phase = PH_RUN;
    r->ctx.metrics = r->m;
    r->ctx.stopping = 0;
    /* libevent times the window timer from its cached clock, read when
     * this loop pass began: refreshed first, the windows end at t0 + k
     * windows, not a millisecond or so before (time_s 4.999, and a window
     * holding the spawn at 5 s counted as steady) */
    event_base_update_cache_time(r->base);
    r->t0 = qvr_clock_ns();
    r->win_start = r->t0;
    r->last_progress = r->t0;
    r->last_kept = r->last_table = r->t0;
    r->wall0 = (double)qvr_clock_wall_ns() / 1e9;
    if (!r->worker)
        open_logs(r);
    struct timeval tv = {
        (time_t)(r->plan->window_ns / QVR_NS_PER_S),
        (suseconds_t)(r->plan->window_ns % QVR_NS_PER_S / 1000)};
    event_add(r->window_ev, &tv);
    r->next_win_due = r->t0 + r->plan->window_ns;
    struct rusage ru;
    if (getrusage(r->worker ? RUSAGE_THREAD : RUSAGE_SELF, &ru) == 0)
        r->cpu_prev_s = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
                        ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
    r->wait_prev_s = runq_wait_s();
    /* the watchdog's limit is shorter past the planned end (see vu.h): a
     * task spinning in Lua has no request in flight to give grace to */
    uint64_t d = qvr_sched_duration(&r->plan->load);
    if (d && d < UINT64_MAX / 4)
        atomic_store_explicit(&r->ctx.end_ns, r->t0 + d, memory_order_relaxed);
    build_segments(r);
    begin_segment(r, 0);
    web_window(r, NULL);
}

static void start_cb(evutil_socket_t fd, short what, void *arg);

/* Every warm-up answer was a 4xx/5xx: the target answers, but not to
 * these requests. Says so with the first answer (method, full URL, status,
 * the body's start) and the usual cause; the run goes on. */
static void warn_bad_target(struct run *r)
{
    const char *t = r->plan->target ? r->plan->target : "";
    const char *path = strstr(t, "://");
    path = path ? strchr(path + 3, '/') : NULL;
    char hint[600];
    if (path && strcmp(path, "/") != 0)
        snprintf(hint, sizeof(hint),
                 "the target already holds a path (%.200s) and the "
                 "scenario adds its own: give --target the service's base "
                 "URL (%.*s)",
                 path, (int)(path - t) > 300 ? 300 : (int)(path - t), t);
    else
        snprintf(hint, sizeof(hint),
                 "check the target, the path and the body the scenario "
                 "sends");
    char *h = qvr_redact_text(&r->redact, hint);
    qvr_warn("every warm-up answer was an error (%llu of %llu): %s; %s",
             (unsigned long long)r->ctx.answered,
             (unsigned long long)r->warm->total.requests,
             r->ctx.first_bad[0] ? r->ctx.first_bad : "?", h ? h : hint);
    free(h);
}

static void on_stopped(void *ud, struct qvr_vu *vu)
{
    struct run *r = ud;
    if (r->phase == PH_WARMUP) {
        if (r->signals) { /* signal_cb said why */
            finish(r);
            return;
        }
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
        r->ctx.watch_answers = 0;
        if (r->ctx.good_answers == 0 &&
            (!r->worker || r->main_run->workers[0] == r))
            warn_bad_target(r);
        double wait_s = r->run_at - (double)qvr_clock_wall_ns() / 1e9;
        if (r->run_at > 0 && wait_s > 0) {
            r->warm_done = 1;
            if (!r->start_ev)
                r->start_ev = evtimer_new(r->base, start_cb, r);
            if (r->start_ev) {
                arm_ns(r->start_ev, (uint64_t)(wait_s * 1e9));
                return;
            }
        }
        start_run_phase(r);
        return;
    }
    if (r->phase == PH_RUN && r->ctx.open_model) {
        on_free(r, vu);
        return;
    }
    /* Counted down, and confirmed by a scan only at zero: a scan per
     * stopped user would cost users^2 at the end of a large run. */
    if (r->phase == PH_DRAIN && !r->stopping_all && --r->drain_left <= 0 &&
        count_users(r, 0) == 0)
        finish(r);
}

static void warm_cb(evutil_socket_t fd, short what, void *arg)
{
    struct run *r = arg;
    (void)fd;
    (void)what;
    if (r->phase == PH_WARMUP && r->vus[0])
        qvr_vu_stop(r->vus[0]);
}

/* The warm-up if the scenario has one, else the measured phase. */
static int begin_first_phase(struct run *r)
{
    if (has_warmup(r->plan)) {
        r->phase = PH_WARMUP;
        r->ctx.watch_answers = 1;
        r->ctx.metrics = r->warm;
        r->vus[0] = qvr_vu_new(&r->ctx, 1);
        if (!r->vus[0]) {
            snprintf(r->fatal_msg, sizeof(r->fatal_msg),
                     "cannot create a user: out of memory");
            r->fatal = 1;
            return QVR_ENOMEM;
        }
        qvr_vu_start(r->vus[0]);
        if (r->plan->warmup_ns) {
            /* the warm-up's user stops when its time is up */
            if (!r->warm_ev)
                r->warm_ev = evtimer_new(r->base, warm_cb, r);
            if (r->warm_ev)
                arm_ns(r->warm_ev, r->plan->warmup_ns);
        }
    } else {
        start_run_phase(r);
    }
    return 0;
}

static void start_cb(evutil_socket_t fd, short what, void *arg)
{
    struct run *r = arg;
    (void)fd;
    (void)what;
    if (r->phase != PH_WARMUP || r->signals)
        return;
    if (r->warm_done)
        start_run_phase(r);
    else if (begin_first_phase(r) < 0)
        finish(r);
}

static void on_headers(void *ud, const char *raw, size_t len)
{
    struct run *r = ud;
    /* A worker feeds the main run's collector (shared, locked). */
    struct qvr_collect *coll = r->worker ? r->main_run->coll : r->coll;
    if (coll && r->phase != PH_WARMUP)
        qvr_collect_header(coll, raw, len);
    /* Retry-After of a refusal, for the burst finding (only refusals
     * carry it; the common answer is skipped with one comparison). */
    const char *sp = memchr(raw, ' ', len < 16 ? len : 16);
    if (sp && (size_t)(raw + len - sp) > 4 && memcmp(sp + 1, "200", 3) == 0)
        return;
    for (const char *p = raw, *end = raw + len; p < end;) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        if (eol - p > 12 && (*p == 'r' || *p == 'R') &&
            strncasecmp(p, "retry-after:", 12) == 0) {
            double v = strtod(p + 12, NULL);
            if (v > r->retry_after_max)
                r->retry_after_max = v;
        }
        p = eol + 1;
    }
}

static void on_request(void *ud, struct qvr_vu *vu)
{
    struct run *r = ud;
    /* The first request is the one meant to start first (others may
     * complete before it does). */
    if (!r->have_first || vu->t_intended_ns < r->first_t) {
        r->have_first = 1;
        r->first_t = vu->t_intended_ns;
        r->first_us = vu->sample.response_us;
    }
    if (r->phase != PH_WARMUP &&
        (vu->sample.status == 503 || vu->sample.status == 429))
        r->win_refused++;
    if (r->phase == PH_WARMUP && r->plan->warmup_requests > 0 &&
        r->warm->total.requests >= (uint64_t)r->plan->warmup_requests)
        qvr_vu_stop(vu);
}

/* What a stopping signal is called in messages. */
static const char *sig_word(int sig)
{
    return sig == SIGINT   ? "interrupted"
           : sig == SIGHUP ? "hangup"
                           : "terminated";
}

/* SIGHUP (the terminal or ssh session closed) stops a run as SIGTERM
 * does, unless it was ignored when qvrrun started (nohup). The output
 * it was printed to is gone then: a write fails rather than kill. */
static int hup_wanted(void)
{
    struct sigaction sa;
    return sigaction(SIGHUP, NULL, &sa) == 0 &&
           ((sa.sa_flags & SA_SIGINFO) || sa.sa_handler != SIG_IGN);
}

/* A signal during the warm-up (or the wait for --start-at after it):
 * exit 130 with this line, not "target unreachable". */
static void warmup_stopped(struct run *r, int sig)
{
    snprintf(r->fatal_msg, sizeof(r->fatal_msg),
             "%s during warm-up (%llu of %d warm-up requests done): no "
             "results",
             sig_word(sig), (unsigned long long)r->warm->total.requests,
             r->plan->warmup_requests);
    r->fatal = 1;
}

static void on_hup(int sig)
{
    if (sig == SIGHUP)
        signal(SIGPIPE, SIG_IGN);
}

static void signal_cb(evutil_socket_t sig, short what, void *arg)
{
    struct run *r = arg;
    (void)what;
    r->signals++;
    on_hup((int)sig);
    if (r->signals == 1) {
        if (!r->opts->quiet)
            fprintf(stderr, "%s", r->tty ? "\n" : "");
        if (r->phase == PH_WARMUP) {
            /* nothing measured yet: no grace to give */
            if (r->plan->warmup_requests > 0) {
                qvr_warn("%s during warm-up: stopping", sig_word((int)sig));
                warmup_stopped(r, (int)sig);
            } else {
                qvr_warn("%s: stopping", sig_word((int)sig));
            }
            abort_all(r);
            return;
        }
        qvr_warn("%s: stopping; in-flight requests get up to %.0fs (again to "
                 "stop now)",
                 sig_word((int)sig), r->plan->grace_ns / 1e9);
        begin_drain(r);
    } else {
        abort_all(r);
    }
}

/* ---- thresholds ---------------------------------------------------------- */

/* A whole-run threshold's metric in m; NaN when there is no data. */
static double metrics_value(struct qvr_metrics *m, const struct qvr_thresh *t,
                            double elapsed_s)
{
    struct qvr_stat *s = &m->total;
    for (int i = 0; i < t->ntags; i++) {
        s = qvr_metrics_find(m, t->tags[i].key, t->tags[i].value);
        if (!s)
            return NAN;
    }
    if (t->src != QVR_TS_LATENCY || t->metric == QVR_TM_OUT_TPS)
        return qvr_report_tok_value(s, t, elapsed_s);
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
    case QVR_TM_GOODPUT:
        return elapsed_s > 0 ? s->good / elapsed_s : NAN;
    case QVR_TM_CHECKS: {
        uint64_t n = s->checks_ok + s->checks_fail;
        return n ? (double)s->checks_ok / n : NAN;
    }
    case QVR_TM_TASK_ERRORS: /* a count, or a share of the iterations */
        if (t->kind == QVR_TK_COUNT)
            return (double)m->script_errors;
        return m->iterations ? (double)m->script_errors / m->iterations : NAN;
    default:
        return NAN;
    }
}

static double thresh_value(struct run *r, const struct qvr_thresh *t,
                           double elapsed_s)
{
    return metrics_value(r->m, t, elapsed_s);
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
        for (int k = 0; !why && k < t->ntags; k++) {
            const char *key = t->tags[k].key;
            if (strcmp(key, "task") == 0) {
                int found = 0;
                for (int j = 0; j < r->plan->ntasks; j++)
                    found |=
                        strcmp(r->plan->tasks[j].name, t->tags[k].value) == 0;
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

/* A broken scenario fails the gate: unless the scenario (or the command
 * line) says how many task errors it accepts, a run judges task_errors ==
 * 0, so a Lua error inside a task (a typo) exits 99 instead of passing.
 * Returns 0, or QVR_ENOMEM. */
static int add_default_thresholds(struct qvr_plan *p)
{
    for (int i = 0; i < p->nthresh; i++)
        if (p->thresh[i].t.metric == QVR_TM_TASK_ERRORS)
            return 0;
    struct qvr_plan_thresh *th =
        realloc(p->thresh, (size_t)(p->nthresh + 1) * sizeof(*th));
    if (!th)
        return QVR_ENOMEM;
    p->thresh = th;
    struct qvr_plan_thresh *pt = &th[p->nthresh];
    memset(pt, 0, sizeof(*pt));
    if (qvr_thresh_parse("task_errors", "== 0", &pt->t, NULL, 0) < 0)
        return QVR_EINVAL;
    pt->value = NAN;
    pt->ok = 1;
    p->nthresh++;
    return 0;
}

/* Seconds after the start when the plan first reaches its most users: the
 * steady phase that trends are fitted over starts there. */
static double steady_from_s(const struct qvr_load *l)
{
    return (double)qvr_sched_full_ns(l) / 1e9;
}

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

/* Drift over the steady phase, in words with the fitted numbers: when a
 * *_trend threshold failed, and without one when it is large enough to
 * matter (qvr_drift_findings, shared with merge). */
static void drift_findings(struct run *r)
{
    char *f[4];
    int nf =
        qvr_drift_findings(r->plan->thresh, r->plan->nthresh, r->rows, r->nrows,
                           steady_from_s(&r->plan->load),
                           r->plan->window_ns / 1e9, f, (int)QVR_ARRAY_LEN(f));
    for (int i = 0; i < nf; i++) {
        add_finding(r, "%s", f[i]);
        free(f[i]);
    }
}

/* The knee and the safe level of a step load, in words. */
static void knee_findings(struct run *r)
{
    qvr_steps_analyse(r->steps, r->nsteps, &r->plan->slo, &r->knee);
    const char *vary = r->plan->load.vary[0] ? r->plan->load.vary : NULL;
    char what[64], safe[96] = "";
    const struct qvr_knee *k = &r->knee;
    if (k->knee < 0) {
        const struct qvr_slo *slo = &r->plan->slo;
        char tok[128] = "";
        int n = 0;
        if (slo->ttft_ms > 0)
            n = snprintf(tok, sizeof(tok), ", TTFT p%g < %.4g ms",
                         slo->ttft_pct, slo->ttft_ms);
        if (slo->tpot_ms > 0 && n >= 0 && (size_t)n < sizeof(tok))
            snprintf(tok + n, sizeof(tok) - (size_t)n, ", TPOT p%g < %.4g ms",
                     slo->tpot_pct, slo->tpot_ms);
        add_finding(r,
                    "no knee: throughput kept rising and every step met "
                    "the SLO (p99 < %.0f ms, errors < %.1f%%%s)",
                    r->plan->slo.p99_ms, r->plan->slo.error_rate * 100, tok);
        return;
    }
    const struct qvr_step_row *s = &r->steps[k->knee];
    if (vary)
        snprintf(what, sizeof(what), "%s = %g", vary, s->vary);
    else if (s->rate > 0)
        snprintf(what, sizeof(what), "%.2f req/s offered", s->rate);
    else
        snprintf(what, sizeof(what), "%d users", s->users);
    if (k->safe >= 0) {
        const struct qvr_step_row *g = &r->steps[k->safe];
        snprintf(safe, sizeof(safe),
                 "; safe level: %s %g (%.1f req/s, p99 "
                 "%.0f ms)",
                 vary ? vary : (g->rate > 0 ? "rate" : "users"),
                 vary ? g->vary : (g->rate > 0 ? g->rate : g->users), g->rps,
                 g->p99_ms);
    }
    /* "the step before" is the step of the curve the knee was judged
     * against (k->prev): for a sweep the rate step before, never the
     * baseline or the saturation probe. */
    if (!s->slo_ok || k->prev < 0)
        add_finding(r,
                    "knee at step %d (%s): it breaks the SLO (p99 %.0f ms, "
                    "errors %.1f%%)%s",
                    s->index, what, s->p99_ms, s->error_rate * 100, safe);
    else
        add_finding(r,
                    "knee at step %d (%s): throughput %.1f req/s, hardly "
                    "above the step before (%.1f req/s) while p99 went "
                    "%.0f -> %.0f ms%s",
                    s->index, what, s->rps, r->steps[k->prev].rps,
                    r->steps[k->prev].p99_ms, s->p99_ms, safe);
}

/* Cold start, refusal bursts, and the generator as the bottleneck. */
static void run_findings(struct run *r, double elapsed_s)
{
    const struct qvr_stat *t = &r->m->total;
    double p50 = qvr_report_pct_ms(t, 50);
    double first = r->first_us / 1000.0;
    if (r->have_first && t->requests >= 10 && p50 > 0 && first > 3 * p50 &&
        first - p50 > 50)
        add_finding(r,
                    "cold start: the first request took %.0f ms, %.0fx "
                    "the steady P50 (%.0f ms)%s",
                    first, first / p50, p50,
                    has_warmup(r->plan) ? " (it was a warm-up request)" : "");
    if (r->refused_windows) {
        char when[64] = "";
        if (r->refused_last < r->nrows && r->refused_first < r->nrows)
            snprintf(when, sizeof(when), " between %.0fs and %.0fs",
                     r->rows[r->refused_first].t_s -
                         r->rows[r->refused_first].len_s,
                     r->rows[r->refused_last].t_s);
        char ra[64] = "";
        if (r->retry_after_max > 0)
            snprintf(ra, sizeof(ra), "; Retry-After up to %gs",
                     r->retry_after_max);
        add_finding(r,
                    "the target refused load: %llu answers 503/429 in %d "
                    "window%s%s (%.1f%% of requests)%s",
                    (unsigned long long)r->refused_total, r->refused_windows,
                    r->refused_windows == 1 ? "" : "s", when,
                    t->requests ? 100.0 * r->refused_total / t->requests : 0,
                    ra);
    }
    int windows = r->nrows > 1 ? r->nrows - 1 : r->nrows;
    if (windows >= 3 && r->busy_windows * 5 >= windows)
        add_finding(r,
                    "the generator was the bottleneck: qvrrun used or waited "
                    "for >= 90%% of a core in %d of %d windows (peak use "
                    "%.0f%%); add --segment processes or lower the load",
                    r->busy_windows, windows, r->cpu_max_pct);
    else if (r->lag_max_ns > 50 * QVR_NS_PER_MS && elapsed_s > 0)
        add_finding(r,
                    "the generator's event loop fell behind by up to %.0f "
                    "ms: figures near that size are the tool's, not the "
                    "target's",
                    r->lag_max_ns / 1e6);
}

/* The closed model's blind spot (wrk2, HdrHistogram): users that wait on
 * a stalled request send nothing meanwhile, so the requests they would
 * have sent are missing and the measured percentiles are far too low. For
 * users{}, ramp{} and user steps the response times are corrected with
 * HdrHistogram's expected-interval correction, the interval being a
 * user's typical cycle per request (the median response time plus the
 * mean think time per request; a pacing period when that is longer).
 * *detected when the schedule shows a stall: a response far above the
 * median (over 10x), a window that completed under a quarter of the
 * median window's requests (the users were all waiting), and a corrected
 * P99 over twice the measured one. Returns the corrected histogram (the
 * caller frees it) or NULL for open loads and empty runs. */
#define CO_MAX_STEPS 50000000ULL

static struct qvr_hist *co_correct(struct run *r, int open_model,
                                   double *interval_ms, int *detected,
                                   int *low_win)
{
    const struct qvr_stat *t = &r->m->total;
    *detected = 0;
    *low_win = -1;
    if (open_model || !t->requests || !t->resp->total)
        return NULL;
    double p50 = qvr_hist_value_at(t->resp, 50) / 1000.0;
    double per_req =
        r->m->iterations ? (double)r->m->iterations / (double)t->requests : 1;
    const struct qvr_wait *w = &r->plan->wait;
    double wait_ms = 0;
    if (w->kind == QVR_WAIT_CONSTANT)
        wait_ms = w->a * 1000;
    else if (w->kind == QVR_WAIT_BETWEEN)
        wait_ms = (w->a + w->b) / 2 * 1000;
    double cycle = p50 + wait_ms * per_req;
    if (w->kind == QVR_WAIT_PACING && w->a * 1000 * per_req > cycle)
        cycle = w->a * 1000 * per_req;
    uint64_t iv = (uint64_t)(cycle * 1000 + 0.5);
    struct qvr_hist *h = qvr_hist_new();
    if (!h || iv == 0 ||
        qvr_hist_add_corrected(h, t->resp, iv, CO_MAX_STEPS) < 0) {
        qvr_hist_free(h);
        return NULL;
    }
    *interval_ms = (double)iv / 1000.0;
    /* the median window's requests (the tail window aside) */
    int n = r->nrows > 1 ? r->nrows - 1 : r->nrows;
    uint64_t *c = n ? malloc((size_t)n * sizeof(*c)) : NULL;
    uint64_t med = 0;
    for (int i = 0; c && i < n; i++)
        c[i] = r->rows[i].requests;
    for (int i = 1; c && i < n; i++) /* insertion sort: a run's windows */
        for (int j = i; j > 0 && c[j - 1] > c[j]; j--) {
            uint64_t x = c[j];
            c[j] = c[j - 1];
            c[j - 1] = x;
        }
    if (c)
        med = c[n / 2];
    free(c);
    for (int i = 0; i < n && *low_win < 0; i++)
        if (r->rows[i].requests * 4 < med)
            *low_win = i;
    double max_ms = t->resp->max / 1000.0;
    double p99 = qvr_hist_value_at(t->resp, 99) / 1000.0;
    double cp99 = qvr_hist_value_at(h, 99) / 1000.0;
    *detected = *low_win >= 0 && max_ms > 10 * p50 && cp99 > 2 * p99;
    return h;
}

/* A task that never completed a request is a broken scenario, not a
 * quiet one: one finding per such task, with the first task error's
 * message when there were any (a typo in a task shows here). */
static void task_findings(struct run *r)
{
    const struct qvr_metrics *m = r->m;
    const char *first =
        m->nlabels[1] ? m->labels[1][0].label : NULL; /* a task error */
    for (int i = 0; i < m->ntasks; i++) {
        const struct qvr_stat *t = &m->tasks[i];
        if (t->requests && t->failures < t->requests)
            continue;
        if (t->requests)
            add_finding(r,
                        "task '%s' never completed a request: all %llu of "
                        "its requests failed",
                        t->name, (unsigned long long)t->requests);
        else if (first)
            add_finding(r,
                        "task '%s' sent no request; the run had %llu task "
                        "errors, the first: %.*s",
                        t->name, (unsigned long long)m->script_errors,
                        (int)strcspn(first, "\n"), first);
        else
            add_finding(r, "task '%s' sent no request", t->name);
    }
}

/* A threshold without a value because what it reads never occurred (a
 * task that never ran, a typo'd name): says so in pt->why, with the names
 * or tasks that did have requests (qvr_gate_no_data). */
static void explain_no_data(struct run *r, struct qvr_plan_thresh *pt)
{
    struct qvr_metrics *m = r->m;
    const struct qvr_thresh *t = &pt->t;
    struct qvr_stat *s = &m->total;
    if (!isnan(pt->value) || pt->skipped || t->kind == QVR_TK_TREND)
        return;
    if (t->ntags)
        s = qvr_metrics_find(m, t->tags[0].key, t->tags[0].value);
    int cap = m->nnames > m->ntasks ? m->nnames : m->ntasks;
    const char **seen = malloc(sizeof(*seen) * (size_t)(cap ? cap : 1));
    int nseen = 0;
    int task = t->ntags && strcmp(t->tags[0].key, "task") == 0;
    int name = t->ntags && strcmp(t->tags[0].key, "name") == 0;
    for (int i = 0; seen && task && i < m->ntasks; i++)
        if (m->tasks[i].requests)
            seen[nseen++] = m->tasks[i].name;
    for (int i = 0; seen && name && i < m->nnames; i++)
        if (m->names[i]->requests)
            seen[nseen++] = m->names[i]->name;
    qvr_gate_no_data(pt, s ? s->requests : 0,
                     s ? s->checks_ok + s->checks_fail : 0, seen, nseen);
    free(seen);
}

static int evaluate_thresholds(struct run *r, double elapsed_s)
{
    int all = 1;
    double from = steady_from_s(&r->plan->load);
    qvr_gate_finish(r->gate);
    /* trends: too few steady windows is "n/a", never a failure */
    qvr_gate_trends(r->plan->thresh, r->plan->nthresh, r->rows, r->nrows, from,
                    r->plan->window_ns / 1e9);
    for (int i = 0; i < r->plan->nthresh; i++) {
        struct qvr_plan_thresh *pt = &r->plan->thresh[i];
        if (pt->t.window_ns || pt->t.kind == QVR_TK_TREND) {
            explain_no_data(r, pt);
            all &= pt->ok; /* set by the gate */
            continue;
        }
        pt->value = thresh_value(r, &pt->t, elapsed_s);
        pt->ok = !isnan(pt->value) && qvr_thresh_check(&pt->t, pt->value);
        pt->evaluated = 1;
        explain_no_data(r, pt);
        all &= pt->ok;
    }
    /* no data is a failure, never a pass: say which and why, once */
    qvr_gate_warn_no_data(r->plan->thresh, r->plan->nthresh);
    return all;
}

/* ---- set-up -------------------------------------------------------------- */

/* The default result directory, results/<name>-<UTC stamp>, with the
 * scenario's name made safe as one folder name; a new folder (-2, -3, ...
 * when two runs start in the same second). */
static int default_out(struct run *r)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    char stamp[32], safe[128];
    strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
    qvr_fs_safe_name(r->plan->name, safe, sizeof(safe));
    snprintf(r->out_dir, sizeof(r->out_dir), "results");
    if (qvr_report_mkdir_p(r->out_dir) < 0)
        return QVR_EIO;
    for (int k = 1; k <= 100; k++) {
        if (k == 1)
            snprintf(r->out_dir, sizeof(r->out_dir), "results/%s-%s", safe,
                     stamp);
        else
            snprintf(r->out_dir, sizeof(r->out_dir), "results/%s-%s-%d", safe,
                     stamp, k);
        if (mkdir(r->out_dir, 0755) == 0)
            return 0;
        if (errno != EEXIST)
            return QVR_EIO;
    }
    return QVR_EIO;
}

/* Another run's files in the result directory (regular files of the names
 * a run writes): refused, or with --force removed, so two runs are never
 * mixed. */
static int clear_out(struct run *r, char *err, size_t len)
{
    char path[4200];
    struct stat st;
    for (int i = 0; qvr_render_own_files[i]; i++) {
        const char *name = qvr_render_own_files[i];
        snprintf(path, sizeof(path), "%s/%s", r->out_dir, name);
        if (name[0] == '.' || lstat(path, &st) < 0 || !S_ISREG(st.st_mode))
            continue;
        if (!r->opts->force) {
            snprintf(err, len,
                     "--out '%.900s' holds another run's results (%s): give "
                     "a new folder, or --force to replace them",
                     r->out_dir, name);
            return QVR_EINVAL;
        }
        if (unlink(path) < 0) {
            snprintf(err, len, "--force: cannot remove %.900s: %s", path,
                     strerror(errno));
            return QVR_EIO;
        }
    }
    return 0;
}

/* Creates the result directory, proves it is writable, checks --junit and
 * --csv (qvr_render_check_outputs), locks the directory against another
 * run, and clears (--force) or refuses another run's results in it: all
 * before any load is sent. */
static int prepare_out(struct run *r, char *err, size_t len)
{
    int rc;
    if (r->opts->out_dir) {
        snprintf(r->out_dir, sizeof(r->out_dir), "%s", r->opts->out_dir);
        rc = qvr_report_mkdir_p(r->out_dir);
    } else {
        rc = default_out(r);
    }
    char probe[4200], why[512];
    snprintf(probe, sizeof(probe), "%s/summary.json", r->out_dir);
    if (rc == 0 && qvr_fs_check(probe, why, sizeof(why)) < 0) {
        snprintf(err, len, "--out '%.500s': %.400s", r->out_dir, why);
        return QVR_EINVAL;
    }
    snprintf(probe, sizeof(probe), "%s/.qvrrun-write-test", r->out_dir);
    FILE *f = NULL;
    if (rc == 0)
        f = fopen(probe, "w");
    if (!f) {
        snprintf(err, len, "cannot write results to '%.900s': %s", r->out_dir,
                 strerror(errno));
        return QVR_EIO;
    }
    fclose(f);
    unlink(probe);
    struct qvr_render_opts ro = {r->opts->csv_prefix, r->opts->junit_file, 0, 0,
                                 0};
    rc = qvr_render_check_outputs(&ro, r->out_dir, r->opts->scenario, err, len);
    if (rc < 0)
        return rc;
    r->lock_fd = qvr_fs_lock_dir(r->out_dir, err, len);
    if (r->lock_fd < 0) {
        rc = r->lock_fd;
        r->lock_fd = 0;
        size_t n = strlen(err);
        if (rc == QVR_ESTATE && n < len)
            snprintf(err + n, len - n, ": give each run its own --out");
        return rc;
    }
    return clear_out(r, err, len);
}

static int start_mock(struct run *r, char *err, size_t len)
{
    char why[300] = "";
    int port = qvr_mock_plan_start(r->plan->mock_argc, r->plan->mock_argv,
                                   &r->mock, why, sizeof(why));
    if (port < 0) {
        if (port == QVR_EINVAL)
            snprintf(err, len, "%s: %s", r->plan->file, why);
        else
            snprintf(err, len, "%s", why);
        return port;
    }
    snprintf(r->target, sizeof(r->target), "http://127.0.0.1:%d", port);
    return 0;
}

static void banner(struct run *r)
{
    if (r->opts->quiet)
        return;
    const struct qvr_plan *p = r->plan;
    char dur[16];
    qvr_duration_fmt(qvr_sched_duration(&p->load), dur, sizeof(dur));
    fprintf(stderr,
            "qvrrun: scenario '%s' (%s): up to %d users for %s "
            "against %s%s\n",
            p->name, p->file, qvr_sched_max_users(&p->load), dur,
            r->shown_target, r->mock ? " (built-in mock)" : "");
    if (has_warmup(p)) {
        char wd[16] = "";
        if (p->warmup_ns)
            qvr_duration_fmt(p->warmup_ns, wd, sizeof(wd));
        if (p->warmup_requests && p->warmup_ns)
            fprintf(stderr,
                    "qvrrun: warm-up: %d requests or %s, whichever comes "
                    "first, reported apart\n",
                    p->warmup_requests, wd);
        else if (p->warmup_ns)
            fprintf(stderr, "qvrrun: warm-up: %s, reported apart\n", wd);
        else
            fprintf(stderr, "qvrrun: warm-up: %d requests, reported apart\n",
                    p->warmup_requests);
    }
    if (p->insecure)
        fprintf(stderr, "qvrrun: TLS certificate verification is OFF "
                        "(insecure = true)\n");
    fflush(stderr);
}

static void teardown(struct run *r)
{
    if (r->lock_fd > 0)
        close(r->lock_fd);
    for (int i = 0; i < r->nvus; i++)
        qvr_vu_free(r->vus[i]);
    free(r->vus);
    qvr_vu_ctx_cleanup(&r->ctx);
    for (int i = 0; i < r->nhttp; i++)
        qvr_http_free(r->http[i]);
    free(r->http);
    if (r->sched_ev)
        event_free(r->sched_ev);
    if (r->window_ev)
        event_free(r->window_ev);
    if (r->seg_ev)
        event_free(r->seg_ev);
    if (r->start_ev)
        event_free(r->start_ev);
    if (r->warm_ev)
        event_free(r->warm_ev);
    if (r->ctl_ev)
        event_free(r->ctl_ev);
    if (r->done_ev)
        event_free(r->done_ev);
    if (r->progress_ev)
        event_free(r->progress_ev);
    if (r->arrive_ev)
        event_free(r->arrive_ev);
    qvr_stat_free(r->step_stat);
    qvr_progress_free(r->prog);
    qvr_hist_free(r->co_hist);
    free(r->lateq);
    free(r->lateq_step);
    free(r->freev);
    free(r->in_free);
    if (r->grace_ev)
        event_free(r->grace_ev);
    for (int i = 0; i < 3; i++)
        if (r->sig_ev[i])
            event_free(r->sig_ev[i]);
    qvr_expo_stop(r->expo);
    qvr_web_stop(r->web);
    qvr_metrics_free(r->live_m);
    qvr_metrics_free(r->snap);
    qvr_collect_free(r->coll);
    if (r->base)
        event_base_free(r->base);
    qvr_mock_stop(r->mock);
    qvr_metrics_free(r->m);
    qvr_metrics_free(r->warm);
    free(r->rows);
    for (int i = 0; i < r->nfindings; i++)
        free(r->findings[i]);
    qvr_gate_free(r->gate);
    qvr_gate_free(r->live_gate);
    char err[256];
    close_logs(r, err, sizeof(err)); /* reported by finish_run if it ran */
    qvr_buf_free(&r->line);
    for (int i = 0; i < r->nnw; i++)
        free(r->nw[i].enc);
    free(r->nw);
    qvr_metrics_free(r->wm);
    qvr_redact_fini(&r->redact);
    qvr_script_free(r->script);
    for (int i = 0; r->wenc && i < r->nrows; i++)
        free(r->wenc[i]);
    free(r->wenc);
    for (int i = 0; r->tenc && i < r->captenc * 4; i++)
        free(r->tenc[i]);
    free(r->tenc);
    for (int k = 0; k < 4; k++)
        qvr_hist_free(r->tokwin[k]);
    for (int i = 0; i < MAX_SEGS; i++)
        free(r->step_enc[i]);
    for (int i = 0; i < MAX_SEGS; i++)
        for (int k = 0; k < 2; k++)
            free(r->step_tenc[i][k]);
    for (int i = 0; i < r->nworkers; i++) {
        teardown(r->workers[i]);
        pthread_mutex_destroy(&r->workers[i]->mu);
        free(r->workers[i]);
    }
    free(r->workers);
}

static void ctl_cb(evutil_socket_t fd, short what, void *arg);

/* The run's metrics and the warm-up's, one stat per task of the plan; NULL
 * members on allocation failure (the callers check). */
static struct qvr_metrics *metrics_for(const struct qvr_plan *p)
{
    const char **names = calloc((size_t)p->ntasks + 1, sizeof(char *));
    if (!names)
        return NULL;
    for (int i = 0; i < p->ntasks; i++)
        names[i] = p->tasks[i].name;
    struct qvr_metrics *m = qvr_metrics_new(p->ntasks, names);
    free(names);
    return m;
}

static void new_metrics(struct run *r)
{
    r->m = metrics_for(r->plan);
    r->warm = metrics_for(r->plan);
}

/* Everything a run needs to turn: metrics, event base, libcurl handles,
 * the user pool and the VU context. A worker gets a control event instead
 * of signal handlers. Returns 0, or -1 with fatal_msg set. */
static int setup_engine(struct run *r)
{
    struct qvr_plan *p = r->plan;
    new_metrics(r);
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
    /* libcurl finds a connection to reuse by walking its cache: a cost per
     * request that grows with the connections of one multi handle. Users
     * are spread over multi handles of at most USERS_PER_MULTI each. */
    r->nhttp = (r->nvus + USERS_PER_MULTI - 1) / USERS_PER_MULTI;
    hc.max_conns = USERS_PER_MULTI + 4;
    /* Thousands of users: a smaller receive buffer each (answers of a
     * reranker are small); more reads for a large body, far less memory. */
    hc.buffer_size = r->nvus > 1000 ? 4096 : 0;
    r->http = calloc((size_t)r->nhttp, sizeof(*r->http));
    for (int i = 0; r->base && r->http && i < r->nhttp; i++)
        r->http[i] = qvr_http_new(r->base, &hc);
    r->vus = calloc((size_t)r->nvus, sizeof(*r->vus));
    r->freev = calloc((size_t)r->nvus, sizeof(*r->freev));
    r->in_free = calloc((size_t)r->nvus, 1);
    r->lateq_cap = r->nvus;
    r->lateq = calloc((size_t)r->lateq_cap, sizeof(*r->lateq));
    r->lateq_step = calloc((size_t)r->lateq_cap, sizeof(*r->lateq_step));
    r->step_stat = qvr_stat_new("step");
    r->arr_rng = 0x2545F4914F6CDD1DULL ^ (uint64_t)qvr_clock_ns() ^
                 ((uint64_t)r->plan->seg_index << 40);
    int http_ok = r->http != NULL;
    for (int i = 0; http_ok && i < r->nhttp; i++)
        http_ok = r->http[i] != NULL;
    if (!r->m || !r->warm || !r->base || !http_ok || !r->vus || !r->freev ||
        !r->in_free || !r->lateq || !r->lateq_step || !r->step_stat) {
        snprintf(r->fatal_msg, sizeof(r->fatal_msg),
                 "cannot set up the run: out of memory");
        return -1;
    }
    r->sched_ev = evtimer_new(r->base, sched_cb, r);
    r->window_ev = event_new(r->base, -1, EV_PERSIST, window_cb, r);
    r->seg_ev = evtimer_new(r->base, seg_cb, r);
    r->arrive_ev = evtimer_new(r->base, arrive_cb, r);
    r->grace_ev = evtimer_new(r->base, grace_cb, r);
    if (r->worker) {
        r->ctl_ev = event_new(r->base, -1, 0, ctl_cb, r);
    } else {
        r->sig_ev[0] = evsignal_new(r->base, SIGINT, signal_cb, r);
        r->sig_ev[1] = evsignal_new(r->base, SIGTERM, signal_cb, r);
        if (hup_wanted())
            r->sig_ev[2] = evsignal_new(r->base, SIGHUP, signal_cb, r);
        for (int i = 0; i < 3; i++)
            if (r->sig_ev[i])
                event_add(r->sig_ev[i], NULL);
    }

    struct qvr_vu_ctx *c = &r->ctx;
    c->base = r->base;
    c->http = r->http;
    c->nhttp = r->nhttp;
    c->L = r->script->L;
    c->target = r->target;
    c->ntasks = p->ntasks;
    c->task_refs = p->task_refs;
    c->task_cumw = p->task_cumw;
    c->wait = p->wait;
    c->rng = 0x9E3779B97F4A7C15ULL ^ (uint64_t)qvr_clock_ns() ^
             ((uint64_t)r->plan->seg_index << 32);
    c->timeout_ms = p->timeout_ms;
    c->slo_us = (uint64_t)(p->slo.p99_ms * 1000.0);
    c->slo_ttft_us = (uint64_t)(p->slo.ttft_ms * 1000.0);
    c->slo_tpot_us = (uint64_t)(p->slo.tpot_ms * 1000.0);
    qvr_redact_setup(&r->redact, p->nredact, p->redact, r->target,
                     r->shown_target, sizeof(r->shown_target));
    c->redact = &r->redact;
    c->errors_shared = r->worker ? &r->main_run->task_errors_printed : NULL;
    c->on_stopped = on_stopped;
    c->on_request = on_request;
    c->on_free = on_free;
    c->on_headers = on_headers;
    c->stop_grace_ns = p->grace_ns;
    c->on_grace_over = on_grace_over;
    c->ud = r;
    return 0;
}

/* Waits for --start-at (or starts now). Returns 0 or -1 (fatal_msg). */
static int schedule_start(struct run *r, double start_at)
{
    double wait_s =
        start_at > 0 ? start_at - (double)qvr_clock_wall_ns() / 1e9 : 0;
    if (wait_s > 0 && has_warmup(r->plan)) {
        /* Warm up now; the measured phases of all parts begin together at
         * start_at (on_stopped waits for it). */
        r->run_at = start_at;
        return begin_first_phase(r);
    }
    if (wait_s > 0) {
        if (!r->opts->quiet)
            fprintf(stderr, "qvrrun: starting in %.1fs (--start-at)\n", wait_s);
        r->start_ev = evtimer_new(r->base, start_cb, r);
        if (!r->start_ev) {
            snprintf(r->fatal_msg, sizeof(r->fatal_msg), "out of memory");
            return -1;
        }
        arm_ns(r->start_ev, (uint64_t)(wait_s * 1e9));
        return 0;
    }
    if (start_at > 0 && wait_s < -1)
        qvr_warn("--start-at is %.1fs in the past: starting now", -wait_s);
    return begin_first_phase(r);
}

/* After the loop: thresholds, findings, files, the table. Returns the
 * exit code. */
static int finish_run(struct run *r, const struct qvr_run_opts *o)
{
    struct qvr_plan *p = r->plan;
    char err[1024] = "";
    int code;
    if (r->fatal) {
        qvr_error("%s", r->fatal_msg);
        return r->signals ? QVR_EXIT_INTERRUPT : QVR_EXIT_RUN;
    }
    uint64_t now = qvr_clock_ns();
    if (!r->t_stop)
        r->t_stop = now;
    if (r->t0 && !r->nworkers)
        close_window(r, now, 1);
    double elapsed =
        r->t0 ? (double)((r->t_end ? r->t_end : now) - r->t0) / 1e9 : 0;
    if (r->nsteps)
        knee_findings(r);
    int held = evaluate_thresholds(r, elapsed);
    drift_findings(r);
    run_findings(r, elapsed);
    if (r->t0)
        task_findings(r);
    int open_model = p->load.kind == QVR_LOAD_RATE ||
                     p->load.kind == QVR_LOAD_SWEEP ||
                     (p->load.kind == QVR_LOAD_STEPS && p->load.open);
    double co_iv = 0;
    int co_found = 0, co_win = -1;
    struct qvr_hist *co = r->co_hist =
        co_correct(r, open_model, &co_iv, &co_found, &co_win);
    if (co_found) {
        const struct qvr_hist *h = r->m->total.resp;
        const struct qvr_window_row *lw = &r->rows[co_win];
        char mx[16], med[16], p99[16], cp99[16], cp999[16];
        qvr_progress_fmt_ms(h->max / 1000.0, mx, sizeof(mx));
        qvr_progress_fmt_ms(qvr_hist_value_at(h, 50) / 1000.0, med,
                            sizeof(med));
        qvr_progress_fmt_ms(qvr_hist_value_at(h, 99) / 1000.0, p99,
                            sizeof(p99));
        qvr_progress_fmt_ms(qvr_hist_value_at(co, 99) / 1000.0, cp99,
                            sizeof(cp99));
        qvr_progress_fmt_ms(qvr_hist_value_at(co, 99.9) / 1000.0, cp999,
                            sizeof(cp999));
        add_finding(r,
                    "closed-model blind spot: requests took up to %s (the "
                    "median is %s) while the users waiting on them sent "
                    "nothing (the window ending at %.0fs completed %llu), so "
                    "the measured p99 %s leaves out the requests they would "
                    "have sent; corrected for coordinated omission (expected "
                    "interval %.1f ms, a user's typical cycle) p99 is %s, "
                    "p99.9 %s. Offer the load on a schedule with rate{} to "
                    "measure it directly",
                    mx, med, lw->t_s, (unsigned long long)lw->requests, p99,
                    co_iv, cp99, cp999);
    }
    if (r->m->names_capped)
        add_finding(r,
                    "more than %d request names: the later ones are counted "
                    "as \"%s\"; name requests by pattern, e.g. http.get(url, "
                    "{ name = \"/items/:id\" })",
                    QVR_MAX_NAMES, QVR_OTHER_NAME);
    if (r->m->labels_dropped)
        add_finding(r,
                    "more than %d check labels or task errors: %llu later "
                    "ones were not counted apart",
                    QVR_MAX_LABELS, (unsigned long long)r->m->labels_dropped);
    if (r->coll) {
        char *cf[4];
        int ncf = qvr_collect_findings(r->coll, r->rows, r->nrows, cf, 4);
        for (int i = 0; i < ncf; i++) {
            add_finding(r, "%s", cf[i]);
            free(cf[i]);
        }
    }
    code = r->signals
               ? QVR_EXIT_INTERRUPT
               : (held && !r->abort_reason ? QVR_EXIT_OK : QVR_EXIT_THRESHOLD);

    struct qvr_run_result res;
    memset(&res, 0, sizeof(res));
    res.plan = p;
    res.target_url = r->shown_target;
    res.target_kind = r->mock ? "mock" : "http";
    res.out_dir = r->out_dir;
    res.m = r->m;
    res.warm = has_warmup(p) ? r->warm : NULL;
    res.warm_first_ms = r->have_first ? r->first_us / 1000.0 : NAN;
    res.elapsed_s = elapsed;
    res.started_wall_s = r->wall0;
    res.max_users = r->max_active;
    res.rows = r->rows;
    res.nrows = r->nrows;
    res.exit_code = code;
    res.interrupted = r->signals > 0;
    res.abort_reason = r->abort_reason;
    res.cancelled = r->cancelled;
    res.collect = r->coll;
    res.findings = (const char *const *)r->findings;
    res.nfindings = r->nfindings;
    res.steps = r->steps;
    res.nsteps = r->nsteps;
    res.knee = &r->knee;
    res.vary = p->load.vary[0] ? p->load.vary : NULL;
    res.open_model = open_model;
    res.co_hist = co;
    res.co_interval_ms = co_iv;
    res.co_detected = co_found;
    res.load_s = (double)(r->t_stop - r->t0) / 1e9;
    res.intended_rps =
        p->load.kind == QVR_LOAD_RATE ? intended_rps(r, res.load_s) : 0;
    res.gen_cpu_max_pct = r->cpu_max_pct;
    res.gen_busy_windows = r->busy_windows;
    res.gen_lag_max_ms = r->lag_max_ns / 1e6;
    res.gen_lag_mean_ms = r->lag_n ? r->lag_sum_ns / 1e6 / r->lag_n : 0;
    res.threads = r->nworkers ? r->nworkers : 1;
    res.step_hist = (const char *const *)r->step_enc;
    res.changes = r->changes;
    res.nchanges = r->nchanges;
    res.stopped_by = r->web_stop ? "web" : NULL;
    res.stopped_at_s = r->web_stop_s;
    res.started = r->started;
    res.load_s = (double)(r->t_stop - r->t0) / 1e9;
    res.steady_from_s = steady_from_s(&p->load);
    res.late = r->late;
    res.dropped = r->dropped;
    res.start_gap_cv =
        r->ngaps > 1 && r->gap_mean > 0
            ? sqrt(r->gap_m2 / (double)(r->ngaps - 1)) / r->gap_mean
            : NAN;
    char logerr[1024] = "", outerr[1024] = "";
    close_logs(r, logerr, sizeof(logerr));
    /* Charts, Locust CSV and JUnit come from the files just written, the
     * same way `qvrrun report DIR` makes them later. An output that cannot
     * be written is exit 3, after the table (which needs no disk). */
    struct qvr_render_opts ro = {o->csv_prefix, o->junit_file, o->no_plots,
                                 o->quiet, 0};
    int bad = qvr_report_write(&res, err, sizeof(err)) < 0;
    if (bad)
        snprintf(outerr, sizeof(outerr), "%s", err);
    else
        bad = qvr_render(r->out_dir, &ro, outerr, sizeof(outerr)) < 0;
    qvr_report_print(&res, stdout);
    fflush(stdout);
    if (logerr[0])
        qvr_error("%s", logerr);
    if (bad)
        qvr_error("%s", outerr[0] ? outerr : "cannot write the results");
    int rc = logerr[0] || bad ? QVR_EXIT_RUN : code;
    /* One last line for a CI log: the verdict and the exit code. */
    char verdict[768];
    qvr_gate_summary(p->thresh, p->nthresh, rc,
                     rc == QVR_EXIT_RUN ? "results not all written"
                     : r->abort_reason  ? "stopped early"
                                        : NULL,
                     verdict, sizeof(verdict));
    qvr_info("%s", verdict);
    return rc;
}

/* ---- --threads: workers on shares of the load, merged by the main -------- */

/* Worker side: the main thread asked to stop (a signal). */
static void ctl_cb(evutil_socket_t fd, short what, void *arg)
{
    struct run *r = arg;
    (void)fd;
    (void)what;
    pthread_mutex_lock(&r->mu);
    int req = r->stop_req;
    pthread_mutex_unlock(&r->mu);
    r->signals = req;
    if (req >= 1 && r->phase == PH_WARMUP && r->plan->warmup_requests > 0 &&
        !r->fatal)
        warmup_stopped(r, SIGINT);
    if (req == 1 && r->phase == PH_RUN)
        begin_drain(r);
    else if (req >= 1)
        abort_all(r);
}

static void *worker_main(void *arg)
{
    struct run *r = arg;
    sigset_t all;
    sigfillset(&all); /* signals are the main thread's */
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    if (schedule_start(r, r->opts->start_at) < 0)
        r->fatal = 1;
    else
        event_base_dispatch(r->base);
    uint64_t now = qvr_clock_ns();
    if (!r->t_stop)
        r->t_stop = now;
    if (r->t0)
        close_window(r, now, 1);
    r->t_end = now;
    pthread_mutex_lock(&r->mu);
    r->finished = 1;
    pthread_mutex_unlock(&r->mu);
    /* Two workers finishing together activate the event once: done_cb
     * counts the finished flags, not the activations. */
    event_active(r->main_run->done_ev, EV_READ, 0);
    return NULL;
}

static void done_cb(evutil_socket_t fd, short what, void *arg)
{
    struct run *r = arg;
    (void)fd;
    (void)what;
    int n = 0;
    for (int i = 0; i < r->nworkers; i++) {
        pthread_mutex_lock(&r->workers[i]->mu);
        n += r->workers[i]->finished;
        pthread_mutex_unlock(&r->workers[i]->mu);
    }
    r->ndone = n;
    if (n >= r->nworkers)
        event_base_loopbreak(r->base);
}

static void main_signal_cb(evutil_socket_t sig, short what, void *arg)
{
    struct run *r = arg;
    (void)what;
    r->signals++;
    on_hup((int)sig);
    if (r->signals == 1 && !r->opts->quiet)
        qvr_warn("%s: stopping; in-flight requests get up to %.0fs (again to "
                 "stop now)",
                 sig_word((int)sig), r->plan->grace_ns / 1e9);
    for (int i = 0; i < r->nworkers; i++) {
        struct run *w = r->workers[i];
        pthread_mutex_lock(&w->mu);
        w->stop_req = r->signals >= 2 ? 2 : 1;
        pthread_mutex_unlock(&w->mu);
        event_active(w->ctl_ev, EV_READ, 0);
    }
}

/* Window i's token figures of every worker as one, into out and
 * r->tokwin (kept for main_emit and the gates until the next call). */
static void merge_tok_window(struct run *r, int i, struct qvr_window_row *out)
{
    uint64_t streams = 0, tokens = 0;
    for (int k = 0; k < 4; k++) {
        if (!r->tokwin[k])
            r->tokwin[k] = qvr_hist_new();
        if (r->tokwin[k])
            qvr_hist_reset(r->tokwin[k]);
    }
    for (int k = 0; k < r->nworkers; k++) {
        struct run *w = r->workers[k];
        pthread_mutex_lock(&w->mu);
        if (i < w->nrows) {
            streams += w->rows[i].streams;
            tokens += w->rows[i].out_tokens;
        }
        for (int j = 0; i < w->captenc && j < 4; j++) {
            const char *e = w->tenc[(size_t)i * 4 + j];
            struct qvr_hist *one = NULL;
            if (e && r->tokwin[j] && qvr_hist_decode(e, strlen(e), &one) == 0)
                qvr_hist_add(r->tokwin[j], one);
            qvr_hist_free(one);
        }
        pthread_mutex_unlock(&w->mu);
    }
    const struct qvr_hist *h[3] = {r->tokwin[0], r->tokwin[1], r->tokwin[2]};
    qvr_report_tok_row(out, h, streams, tokens);
}

/* The merged window's token histograms to g. */
static void gate_tokwin(struct run *r, struct qvr_gate *g,
                        const struct qvr_window_row *w)
{
    if (!w->streams)
        return;
    const struct qvr_hist *h[3] = {r->tokwin[0], r->tokwin[1], r->tokwin[2]};
    qvr_gate_tok(g, h, w->streams, w->out_tokens);
}

/* Window i of every worker as one: counts summed, histograms added.
 * Returns the merged histogram (the caller frees it) or NULL. Workers'
 * rows are read under their locks. */
static struct qvr_hist *merge_window(struct run *r, int i,
                                     struct qvr_window_row *out)
{
    struct qvr_hist *h = qvr_hist_new();
    if (!h)
        return NULL;
    memset(out, 0, sizeof(*out));
    for (int k = 0; k < r->nworkers; k++) {
        struct run *w = r->workers[k];
        pthread_mutex_lock(&w->mu);
        if (i < w->nrows) {
            const struct qvr_window_row *x = &w->rows[i];
            out->t_s = x->t_s > out->t_s ? x->t_s : out->t_s;
            out->wall_s = x->wall_s > out->wall_s ? x->wall_s : out->wall_s;
            out->len_s = x->len_s > out->len_s ? x->len_s : out->len_s;
            out->users += x->users;
            out->requests += x->requests;
            out->failures += x->failures;
            out->rps += x->rps;
            struct qvr_hist *one = NULL;
            if (w->wenc[i] &&
                qvr_hist_decode(w->wenc[i], strlen(w->wenc[i]), &one) == 0)
                qvr_hist_add(h, one);
            qvr_hist_free(one);
        } else if (w->nrows > 0) {
            /* A worker whose end came before its window timer has no tail
             * window; its users were still there as the load stopped. */
            out->users += w->rows[w->nrows - 1].users;
        }
        pthread_mutex_unlock(&w->mu);
    }
    out->p50_ms = qvr_hist_value_at(h, 50) / 1000.0;
    out->p90_ms = qvr_hist_value_at(h, 90) / 1000.0;
    out->p99_ms = qvr_hist_value_at(h, 99) / 1000.0;
    out->max_ms = h->total ? h->max / 1000.0 : 0;
    merge_tok_window(r, i, out);
    return h;
}

/* Main side: the abort = true thresholds, as close_window judges them in a
 * one-thread run. Windowed ones see each merged window w (histogram h)
 * through a gate of their own (it records the worst value, which the final
 * gate in merge_workers finds again); whole-run ones (tags, checks and
 * goodput included) are judged on the workers' metrics summed as of their
 * last closed window (live_m); trends only at the end. */
static void live_abort_window(struct run *r, const struct qvr_hist *h,
                              const struct qvr_window_row *w)
{
    if (!r->live_gate)
        return;
    gate_tokwin(r, r->live_gate, w);
    int gate_abort = qvr_gate_window(r->live_gate, h, w->requests, w->failures,
                                     w->len_s, w->t_s);
    for (int i = 0; gate_abort && i < r->plan->nthresh; i++) {
        const struct qvr_plan_thresh *pt = &r->plan->thresh[i];
        const struct qvr_thresh *t = &pt->t;
        if (r->abort_reason || r->signals)
            return;
        if (t->abort && t->window_ns && !pt->ok &&
            w->t_s * 1e9 >= (double)t->after_ns)
            abort_run(r, t, pt->value);
    }
}

static void live_abort_total(struct run *r, double elapsed_s)
{
    for (int i = 0; r->live_m && i < r->plan->nthresh; i++) {
        const struct qvr_thresh *t = &r->plan->thresh[i].t;
        if (r->abort_reason || r->signals)
            return;
        if (!t->abort || t->window_ns || t->kind == QVR_TK_TREND ||
            elapsed_s * 1e9 < (double)t->after_ns)
            continue;
        double v = metrics_value(r->live_m, t, elapsed_s);
        if (!isnan(v) && !qvr_thresh_check(t, v))
            abort_run(r, t, v);
    }
}

/* Main side: the next pass of main_progress_cb, 50 ms after the workers
 * should have closed their next window (the one after the window that
 * ended at last_wall_s), so that the collector's rows (host and GPU
 * samples, the answers' headers) line up with the workers' windows; every
 * 100 ms until the first window is known, and while a worker is behind
 * (min_s: a worker still draining its last requests is not polled at a
 * high rate). */
static void arm_progress(struct run *r, double last_wall_s, double min_s)
{
    double win = (double)r->plan->window_ns / 1e9;
    double delay = 0.1;
    if (last_wall_s > 0) {
        delay = last_wall_s + win + 0.05 - (double)qvr_clock_wall_ns() / 1e9;
        if (delay < min_s)
            delay = min_s;
        if (delay > win + 0.1)
            delay = win + 0.1;
    }
    struct timeval tv = {(time_t)delay,
                         (suseconds_t)((delay - (double)(time_t)delay) * 1e6)};
    event_add(r->progress_ev, &tv);
}

/* Main side, once per window: the windows every worker has closed, merged,
 * judged against the abort thresholds and closed in the collector, and a
 * progress line (every second on a terminal, else every 5 s). */
static void main_progress_cb(evutil_socket_t fd, short what, void *arg)
{
    struct run *r = arg;
    (void)fd;
    (void)what;
    int k = INT_MAX;
    for (int i = 0; i < r->nworkers; i++) {
        pthread_mutex_lock(&r->workers[i]->mu);
        int n = r->workers[i]->nrows;
        pthread_mutex_unlock(&r->workers[i]->mu);
        k = n < k ? n : k;
    }
    if (k == INT_MAX || k <= r->prog_rows) {
        arm_progress(r, r->prog_wall, 0.1);
        return;
    }
    struct qvr_window_row w, got[8];
    int ngot = 0, first = r->prog_rows;
    for (; r->prog_rows < k; r->prog_rows++) {
        struct qvr_hist *h = merge_window(r, r->prog_rows, &w);
        r->prog_requests += w.requests;
        r->prog_failures += w.failures;
        if (h) {
            live_abort_window(r, h, &w);
            main_emit(r, r->prog_rows, &w, h);
            qvr_progress_add(r->prog, h, w.requests, w.failures, w.len_s);
        }
        qvr_hist_free(h);
        ramp_saturation(r, &w);
        if (r->coll)
            qvr_collect_window(r->coll); /* row r->prog_rows */
        if (ngot < 8)
            got[ngot++] = w; /* for the dashboard, once live_m is new */
    }
    r->prog_wall = w.wall_s;
    arm_progress(r, r->prog_wall, 0.02);
    if (r->want_snap) {
        /* The workers' figures as of their last closed window. */
        struct qvr_metrics *m = metrics_for(r->plan);
        for (int i = 0; m && i < r->nworkers; i++) {
            pthread_mutex_lock(&r->workers[i]->mu);
            if (r->workers[i]->snap)
                qvr_metrics_add(m, r->workers[i]->snap);
            pthread_mutex_unlock(&r->workers[i]->mu);
        }
        if (m) {
            if (r->expo)
                qvr_expo_set_metrics(r->expo, m);
            qvr_metrics_free(r->live_m);
            r->live_m = m;
        }
        live_abort_total(r, w.t_s);
    }
    for (int i = 0; i < ngot; i++) {
        r->web_row = first + i; /* the collector's row too */
        web_window(r, &got[i]);
    }
    if (r->expo) {
        qvr_expo_set_users(r->expo, w.users);
        if (r->coll)
            qvr_collect_expo(r->coll, r->expo);
    }
    uint64_t now = qvr_clock_ns();
    uint64_t every = r->tty ? QVR_NS_PER_S : 5 * QVR_NS_PER_S;
    if (!r->prog_shown || now - r->prog_shown >= every - QVR_NS_PER_S / 10) {
        progress(r, &w, 0);
        r->prog_shown = now;
    }
}

/* After the workers: their figures as one run, in the main run. */
static int merge_workers(struct run *r)
{
    new_metrics(r);
    if (!r->m || !r->warm)
        return QVR_ENOMEM;
    int maxrows = 0, nsteps = INT_MAX;
    double cv_sum = 0;
    int cv_n = 0;
    for (int k = 0; k < r->nworkers; k++) {
        struct run *w = r->workers[k];
        if (w->fatal && !r->fatal) {
            r->fatal = 1;
            snprintf(r->fatal_msg, sizeof(r->fatal_msg), "%s", w->fatal_msg);
        }
        qvr_metrics_add(r->m, w->m);
        qvr_metrics_add(r->warm, w->warm);
        if (w->t0 && (!r->t0 || w->t0 < r->t0)) {
            r->t0 = w->t0;
            r->wall0 = w->wall0;
        }
        r->t_stop = w->t_stop > r->t_stop ? w->t_stop : r->t_stop;
        r->t_end = w->t_end > r->t_end ? w->t_end : r->t_end;
        r->started += w->started;
        r->late += w->late;
        r->dropped += w->dropped;
        r->cancelled += w->cancelled;
        r->max_active += w->max_active;
        r->busy_windows = w->busy_windows > r->busy_windows ? w->busy_windows
                                                            : r->busy_windows;
        r->cpu_max_pct =
            w->cpu_max_pct > r->cpu_max_pct ? w->cpu_max_pct : r->cpu_max_pct;
        r->lag_max_ns =
            w->lag_max_ns > r->lag_max_ns ? w->lag_max_ns : r->lag_max_ns;
        r->lag_sum_ns += w->lag_sum_ns;
        r->lag_n += w->lag_n;
        r->refused_total += w->refused_total;
        if (w->refused_windows > r->refused_windows) {
            r->refused_windows = w->refused_windows;
            r->refused_first = w->refused_first;
            r->refused_last = w->refused_last;
        }
        if (w->retry_after_max > r->retry_after_max)
            r->retry_after_max = w->retry_after_max;
        if (w->have_first && (!r->have_first || w->first_t < r->first_t)) {
            r->have_first = 1;
            r->first_t = w->first_t;
            r->first_us = w->first_us;
        }
        if (w->ngaps > 1 && w->gap_mean > 0) {
            cv_sum += sqrt(w->gap_m2 / (double)(w->ngaps - 1)) / w->gap_mean;
            cv_n++;
        }
        for (int i = 0; i < w->nfindings; i++)
            if (k == 0)
                add_finding(r, "%s", w->findings[i]);
        maxrows = w->nrows > maxrows ? w->nrows : maxrows;
        nsteps = w->nsteps < nsteps ? w->nsteps : nsteps;
    }
    /* Each worker's arrivals are their own stream: report their mean
     * coefficient of variation (1 for Poisson, ~0 for constant). */
    if (cv_n) {
        r->ngaps = 2;
        r->gap_mean = 1;
        r->gap_m2 = (cv_sum / cv_n) * (cv_sum / cv_n);
    }
    /* The windows the progress pass has not written yet (the last ones)
     * go to the logs here; a run stopped before its first window still
     * gets both logs, as a one-thread run does. */
    if (!r->logs_open)
        open_logs(r);
    for (int i = 0; i < maxrows; i++) {
        if (r->nrows == r->caprows) {
            int cap = r->caprows ? r->caprows * 2 : 64;
            struct qvr_window_row *nr =
                realloc(r->rows, (size_t)cap * sizeof(*nr));
            if (!nr)
                return QVR_ENOMEM;
            r->rows = nr;
            r->caprows = cap;
        }
        struct qvr_window_row *w = &r->rows[r->nrows++];
        struct qvr_hist *h = merge_window(r, i, w);
        if (!h)
            return QVR_ENOMEM;
        main_emit(r, i, w, h);
        gate_tokwin(r, r->gate, w);
        qvr_gate_window(r->gate, h, w->requests, w->failures, w->len_s, w->t_s);
        qvr_hist_free(h);
    }
    if (r->hlog)
        fflush(r->hlog);
    /* The collector's rows follow the merged windows; the last ones
     * closed after the final progress pass. */
    while (r->coll && qvr_collect_nrows(r->coll) < r->nrows)
        if (qvr_collect_window(r->coll) < 0)
            return QVR_ENOMEM;
    for (int i = 0; nsteps != INT_MAX && i < nsteps; i++) {
        struct qvr_step_row *row = &r->steps[r->nsteps++];
        *row = r->workers[0]->steps[i];
        struct qvr_hist *h = qvr_hist_new();
        if (!h)
            return QVR_ENOMEM;
        row->users = 0;
        row->rate = 0;
        row->achieved_users = row->achieved_rate = row->rps = 0;
        row->requests = row->failures = row->late = row->dropped = 0;
        row->refused = 0;
        for (int k = 0; k < r->nworkers; k++) {
            const struct qvr_step_row *x = &r->workers[k]->steps[i];
            row->users += x->users;
            row->rate += x->rate;
            row->achieved_users += x->achieved_users;
            row->achieved_rate += x->achieved_rate;
            row->rps += x->rps;
            row->requests += x->requests;
            row->failures += x->failures;
            row->late += x->late;
            row->dropped += x->dropped;
            row->refused += x->refused;
            if (x->duration_s > row->duration_s)
                row->duration_s = x->duration_s;
            struct qvr_hist *one = NULL;
            const char *e = r->workers[k]->step_enc[i];
            if (e && qvr_hist_decode(e, strlen(e), &one) == 0)
                qvr_hist_add(h, one);
            qvr_hist_free(one);
        }
        row->p50_ms = qvr_hist_value_at(h, 50) / 1000.0;
        row->p90_ms = qvr_hist_value_at(h, 90) / 1000.0;
        row->p95_ms = qvr_hist_value_at(h, 95) / 1000.0;
        row->p99_ms = qvr_hist_value_at(h, 99) / 1000.0;
        row->max_ms = h->total ? h->max / 1000.0 : 0;
        row->error_rate =
            row->requests ? (double)row->failures / row->requests : 0;
        qvr_hist_encode(h, &r->step_enc[r->nsteps - 1]);
        qvr_hist_free(h);
        merge_step_tok(r, i, row);
    }
    return 0;
}

/* ---- --web: the dashboard -------------------------------------------------
 */

static const char *web_phase(const struct run *r)
{
    if (r->nworkers) /* the main run of --threads: its workers' phase */
        return r->abort_reason || r->signals || r->web_stop ? "drain" : "run";
    switch (r->phase) {
    case PH_WARMUP:
        return r->t0 ? "run" : "warm-up";
    case PH_RUN:
        return r->segs[r->seg].is_step ? "steps" : "run";
    case PH_DRAIN:
        return "drain";
    default:
        return "done";
    }
}

/* Each threshold as it stands now: whole-run ones on the figures so far,
 * windowed ones by their worst window so far, trends at the end. */
static void web_thresholds(struct run *r, struct qvr_metrics *m, double el,
                           struct qvr_live_thresh *out, int n)
{
    for (int i = 0; i < n; i++) {
        struct qvr_plan_thresh *pt = &r->plan->thresh[i];
        const struct qvr_thresh *t = &pt->t;
        struct qvr_live_thresh *o = &out[i];
        double v = NAN;
        o->expr = t->expr;
        o->why = NULL;
        snprintf(o->measured, sizeof(o->measured), "-");
        if (t->kind == QVR_TK_TREND) {
            o->state = "at the end";
            continue;
        }
        if (t->window_ns)
            v = pt->evaluated ? pt->value : NAN;
        else if (m)
            v = metrics_value(m, t, el);
        if (isnan(v)) {
            o->state = "no data yet";
            continue;
        }
        qvr_thresh_fmt_value(t, v, o->measured, sizeof(o->measured));
        o->state = qvr_thresh_check(t, v) ? "holding" : "failing";
    }
}

/* The page's state after window w (NULL: the state changed, e.g. a phase
 * began, without a window), sent to the dashboard. */
static void web_window(struct run *r, const struct qvr_window_row *w)
{
    if (!r->web)
        return;
    const struct qvr_plan *p = r->plan;
    struct qvr_live in;
    struct qvr_live_thresh th[64];
    memset(&in, 0, sizeof(in));
    uint64_t now = qvr_clock_ns();
    uint64_t dur = qvr_sched_duration(&p->load);
    int nth = p->nthresh < 64 ? p->nthresh : 64;
    in.mode = "run";
    in.scenario = p->name;
    in.target = r->shown_target;
    in.phase = web_phase(r);
    if (!r->nworkers && r->phase == PH_RUN && r->segs[r->seg].is_step)
        snprintf(in.step, sizeof(in.step), "%d/%d", r->nsteps + 1, r->nsegs);
    in.elapsed_s = r->t0 ? (double)(now - r->t0) / 1e9 : 0;
    in.planned_s = dur && dur < UINT64_MAX / 4 ? (double)dur / 1e9 : 0;
    in.window_s = (double)p->window_ns / 1e9;
    in.users = w ? w->users : r->nworkers ? 0 : count_users(r, 1);
    in.max_users = r->nvus > qvr_sched_max_users(&p->load)
                       ? r->nvus
                       : qvr_sched_max_users(&p->load);
    in.open = r->ctx.open_model;
    in.intended_rps = r->rps;
    if (w && w->len_s > 0) {
        in.achieved_rps = (double)(r->started - r->web_started) / w->len_s;
        r->web_started = r->started;
    }
    in.late = r->late;
    in.dropped = r->dropped;
    struct qvr_metrics *m = r->nworkers ? r->live_m : r->m;
    in.m = m;
    web_thresholds(r, m, in.elapsed_s, th, nth);
    in.thresh = th;
    in.nthresh = nth;
    in.findings = (const char *const *)r->findings;
    in.nfindings = r->nfindings;
    /* the knee as the steps so far show it (the run's own rows are
     * analysed once, at the end) */
    struct qvr_step_row steps[MAX_SEGS];
    struct qvr_knee knee;
    memcpy(steps, r->steps, (size_t)r->nsteps * sizeof(*steps));
    if (r->nsteps && !r->nworkers)
        qvr_steps_analyse(steps, r->nsteps, &p->slo, &knee);
    in.steps = steps;
    in.nsteps = r->nworkers ? 0 : r->nsteps;
    in.steps_x = p->load.vary[0]     ? p->load.vary
                 : r->ctx.open_model ? "rate"
                                     : "users";
    in.changes = r->changes;
    in.nchanges = r->nchanges;
    char *tofree = NULL;
    if (!r->nworkers && r->ctx.last_error)
        in.last_error = qvr_redact_str(&r->redact, r->ctx.last_error, &tofree);
    int running = r->nworkers ? !r->abort_reason && !r->signals && !r->web_stop
                              : r->phase == PH_RUN || r->phase == PH_WARMUP;
    in.can_stop = running && !r->web_stop;
    in.can_users = running && !r->nworkers && p->load.kind == QVR_LOAD_USERS;
    in.can_rate = running && !r->nworkers && p->load.kind == QVR_LOAD_RATE;
    /* the collector's row of this window (host, GPU, timing headers) */
    char cols[2048] = "", row[2048] = "";
    int has_row = 0;
    if (r->coll && qvr_collect_columns(r->coll, cols, sizeof(cols)) > 0) {
        in.collect_columns = cols;
        has_row = w && r->web_row >= 0 &&
                  qvr_collect_row(r->coll, r->web_row, row, sizeof(row)) > 0;
    }
    char *st = qvr_live_state(&in);
    char *win = w ? qvr_live_window(w, has_row ? row : NULL) : NULL;
    if (st && w && win)
        qvr_web_window(r->web, win, st);
    else if (st && !w)
        qvr_web_state(r->web, st);
    free(st);
    free(win);
    free(tofree);
}

static void web_stop_now(evutil_socket_t fd, short what, void *arg)
{
    struct run *r = arg;
    (void)fd;
    (void)what;
    r->web_stop_s = r->t0 ? (double)(qvr_clock_ns() - r->t0) / 1e9 : 0;
    if (!r->nworkers && r->phase == PH_WARMUP)
        abort_all(r);
    else
        stop_load(r);
}

static int web_stop(void *ud, char *err, size_t len)
{
    struct run *r = ud;
    if (r->web_stop || r->signals || r->abort_reason ||
        (!r->nworkers && r->phase != PH_RUN && r->phase != PH_WARMUP)) {
        snprintf(err, len, "the run is already stopping");
        return QVR_ESTATE;
    }
    r->web_stop = 1;
    qvr_warn("stopped from the dashboard: in-flight requests get up to %.0fs",
             r->plan->grace_ns / 1e9);
    /* 50 ms later: the page's answer goes out first (a drain with nothing
     * in flight ends the loop at once) */
    struct timeval soon = {0, 50000};
    if (event_base_once(r->base, -1, EV_TIMEOUT, web_stop_now, r, &soon) < 0)
        web_stop_now(-1, 0, r);
    return 0;
}

/* A load change from the page, for summary.json and the charts. */
static int web_change(struct run *r, int users, double rps, char *err,
                      size_t len)
{
    if (r->nworkers) {
        snprintf(err, len, "not with --threads: each worker runs its share");
        return QVR_ESTATE;
    }
    if (r->phase != PH_RUN) {
        snprintf(err, len, "the load is not running (%s)", web_phase(r));
        return QVR_ESTATE;
    }
    if (r->nchanges == WEB_MAX_CHANGES) {
        snprintf(err, len, "at most %d changes in one run", WEB_MAX_CHANGES);
        return QVR_ERANGE;
    }
    struct qvr_load_change *c = &r->changes[r->nchanges++];
    c->time_s = (double)(qvr_clock_ns() - r->t0) / 1e9;
    c->users = users;
    c->rps = rps;
    c->source = "web";
    return 0;
}

static int web_users(void *ud, long n, char *err, size_t len)
{
    struct run *r = ud;
    if (r->plan->load.kind != QVR_LOAD_USERS) {
        snprintf(err, len, "only a users{} load takes a number of users");
        return QVR_ESTATE;
    }
    if (n > WEB_MAX_USERS) {
        snprintf(err, len, "at most %d users", WEB_MAX_USERS);
        return QVR_EINVAL;
    }
    if (n > r->nvus) {
        /* more users than the plan had slots for (a closed load: the
         * open model's queues are not in use) */
        struct qvr_vu **v = realloc(r->vus, (size_t)n * sizeof(*v));
        if (!v) {
            snprintf(err, len, "out of memory");
            return QVR_ENOMEM;
        }
        memset(v + r->nvus, 0, (size_t)(n - r->nvus) * sizeof(*v));
        r->vus = v;
        r->nvus = (int)n;
    }
    int rc = web_change(r, (int)n, 0, err, len);
    if (rc < 0)
        return rc;
    r->web_users_set = 1;
    evtimer_del(r->sched_ev);
    set_users(r, (int)n);
    qvr_info("dashboard: users set to %ld at %.1fs", n,
             r->changes[r->nchanges - 1].time_s);
    web_window(r, NULL);
    return 0;
}

static int web_rate(void *ud, double rps, char *err, size_t len)
{
    struct run *r = ud;
    if (r->plan->load.kind != QVR_LOAD_RATE) {
        snprintf(err, len, "only a rate{} load takes an arrival rate");
        return QVR_ESTATE;
    }
    int rc = web_change(r, -1, rps, err, len);
    if (rc < 0)
        return rc;
    r->rps = rps;
    /* the next start comes no later than the new rate's first gap */
    uint64_t now = qvr_clock_ns();
    uint64_t gap = qvr_sched_gap_ns(rps, r->plan->load.arrival, &r->arr_rng);
    if (r->next_arrival > now + gap) {
        r->next_arrival = now + gap;
        arm_ns(r->arrive_ev, gap);
    }
    qvr_info("dashboard: rate set to %g/s at %.1fs", rps,
             r->changes[r->nchanges - 1].time_s);
    web_window(r, NULL);
    return 0;
}

/* rate{} with changes from the page: the planned rate over the load's
 * time, weighted by how long each rate was asked for. */
static double intended_rps(const struct run *r, double load_s)
{
    double rps = r->plan->load.rps, at = 0, sum = 0;
    for (int i = 0; i < r->nchanges; i++) {
        double t =
            r->changes[i].time_s < load_s ? r->changes[i].time_s : load_s;
        sum += rps * (t - at);
        at = t;
        rps = r->changes[i].rps;
    }
    sum += rps * (load_s - at);
    return r->nchanges && load_s > 0 ? sum / load_s : r->plan->load.rps;
}

/* The run's collector (collect = {...}) and, with --metrics-listen, its
 * Prometheus endpoint, on the run's event base. With threads the main run
 * has no metrics yet: the endpoint gets them from main_progress_cb. -1 after
 * a one-line error. */
static int start_outputs(struct run *r, const struct qvr_run_opts *o)
{
    char err[1024] = "";
    r->coll = qvr_collect_new(r->base, r->plan, err, sizeof(err));
    if (!r->coll) {
        qvr_error("%s: %s", r->plan->file, err);
        return -1;
    }
    if (o->web) {
        struct qvr_web_ops ops = {r, web_stop, web_users, web_rate};
        r->web = qvr_web_start(r->base, o->web, o->web_token, &ops, err,
                               sizeof(err));
        if (!r->web) {
            qvr_error("%s", err);
            return -1;
        }
        fprintf(stderr, "qvrrun: dashboard at %s%s\n", qvr_web_url(r->web),
                qvr_web_has_token(r->web) ? "?token=TOKEN (the token given)"
                                          : "");
        web_window(r, NULL); /* the plan, before the first window */
    }
    if (!o->metrics_listen)
        return 0;
    r->expo = qvr_expo_start(r->base, o->metrics_listen, err, sizeof(err));
    if (!r->expo) {
        qvr_error("%s", err);
        return -1;
    }
    if (r->m)
        qvr_expo_set_metrics(r->expo, r->m);
    fprintf(stderr, "qvrrun: metrics at %s\n", qvr_expo_url(r->expo));
    return 0;
}

/* The watchdog's last resort (vu.h) with --threads, on its thread: a
 * worker stuck in a task's C code after a signal never finishes.
 * The main thread stops waiting for it and writes what the workers have
 * measured (run_threaded); the process ends there. */
static int last_resort_threads(void *ud)
{
    struct run *r = ud;
    atomic_store(&r->gave_up, 1);
    event_base_loopbreak(r->base);
    return -1;
}

static int run_threaded(struct run *r, const struct qvr_run_opts *o, int n)
{
    char err[1024] = "";
    int code = QVR_EXIT_RUN;
    evthread_use_pthreads();
    r->base = event_base_new();
    r->workers = calloc((size_t)n, sizeof(*r->workers));
    if (!r->base || !r->workers) {
        qvr_error("cannot set up the run: out of memory");
        return QVR_EXIT_RUN;
    }
    r->done_ev = event_new(r->base, -1, 0, done_cb, r);
    r->sig_ev[0] = evsignal_new(r->base, SIGINT, main_signal_cb, r);
    r->sig_ev[1] = evsignal_new(r->base, SIGTERM, main_signal_cb, r);
    if (hup_wanted())
        r->sig_ev[2] = evsignal_new(r->base, SIGHUP, main_signal_cb, r);
    r->progress_ev = event_new(r->base, -1, 0, main_progress_cb, r);
    for (int i = 0; i < r->plan->nthresh; i++) {
        const struct qvr_thresh *t = &r->plan->thresh[i].t;
        if (!t->abort)
            continue;
        if (t->window_ns && !r->live_gate)
            r->live_gate = qvr_gate_new(r->plan->thresh, r->plan->nthresh,
                                        r->plan->window_ns);
        if (!t->window_ns && t->kind != QVR_TK_TREND)
            r->want_snap = 1;
    }
    if (o->metrics_listen || o->web)
        r->want_snap = 1;
    for (int i = 0; i < 3; i++)
        if (r->sig_ev[i])
            event_add(r->sig_ev[i], NULL);
    qvr_redact_setup(&r->redact, 0, NULL, r->target, r->shown_target,
                     sizeof(r->shown_target));
    /* Host, GPU and Prometheus samples on the main thread's loop; the
     * workers feed it the answers' timing headers. */
    if (start_outputs(r, o) < 0)
        return QVR_EXIT_USAGE;
    qvr_collect_share(r->coll);
    /* Workers: the same scenario, each its own share of the load (as
     * --segment parts), all starting at the same moment. */
    r->wopts = *o;
    r->wopts.quiet = 1;
    double now_s = (double)qvr_clock_wall_ns() / 1e9;
    r->wopts.start_at = o->start_at > now_s + 0.3 ? o->start_at : now_s + 0.3;
    for (int k = 0; k < n; k++) {
        struct run *w = calloc(1, sizeof(*w));
        if (!w) {
            qvr_error("out of memory");
            goto stop;
        }
        r->workers[r->nworkers++] = w;
        w->worker = 1;
        w->opts = &r->wopts;
        w->main_run = r;
        pthread_mutex_init(&w->mu, NULL);
        struct qvr_overrides ov = o->ov;
        ov.target = r->target;
        ov.quiet_top = 1; /* the main thread's load printed its log() */
        int base_n = o->ov.seg_count > 0 ? o->ov.seg_count : 1;
        int base_k = o->ov.seg_count > 0 ? o->ov.seg_index : 1;
        ov.seg_count = base_n * n;
        ov.seg_index = (base_k - 1) * n + k + 1;
        w->script = qvr_script_load(o->scenario, &ov, err, sizeof(err));
        if (!w->script) {
            qvr_error("%s", err);
            goto stop;
        }
        w->plan = &w->script->plan;
        snprintf(w->target, sizeof(w->target), "%s", r->target);
        snprintf(w->out_dir, sizeof(w->out_dir), "%s", r->out_dir);
        if (setup_engine(w) < 0) {
            qvr_error("%s", w->fatal_msg);
            goto stop;
        }
    }
    banner(r);
    if (!o->quiet)
        fprintf(stderr, "qvrrun: %d worker threads\n", n);
    arm_progress(r, 0, 0.1);
    /* one watchdog for every worker's tasks (see vu.h) */
    struct qvr_vu_ctx **wctx = calloc((size_t)n, sizeof(*wctx));
    struct qvr_watchdog *wd = NULL;
    if (wctx) {
        for (int k = 0; k < n; k++)
            wctx[k] = &r->workers[k]->ctx;
        wd = qvr_watchdog_start(wctx, n);
        qvr_watchdog_last_resort(wd, r->plan->grace_ns, last_resort_threads, r);
    }
    int started = 0;
    for (int k = 0; k < n; k++) {
        if (pthread_create(&r->workers[k]->tid, NULL, worker_main,
                           r->workers[k]) != 0) {
            qvr_error("cannot start worker thread %d", k + 1);
            break;
        }
        started++;
    }
    if (started == n)
        event_base_dispatch(r->base);
    else
        for (int k = 0; k < started; k++)
            main_signal_cb(SIGTERM, 0, r), main_signal_cb(SIGTERM, 0, r);
    /* A worker the watchdog gave up (stuck in a task's C code) is never
     * joined: it stays blocked until the process ends, below. */
    int gave_up = atomic_load(&r->gave_up);
    for (int k = 0; k < started; k++)
        if (!gave_up || !atomic_load(&r->workers[k]->ctx.abandoned))
            pthread_join(r->workers[k]->tid, NULL);
    if (!gave_up) {
        qvr_watchdog_stop(wd);
        free(wctx);
    }
    if (started < n)
        goto stop;
    if (merge_workers(r) < 0) {
        qvr_error("cannot merge the workers' results: out of memory");
        goto stop;
    }
    if (r->expo)
        qvr_expo_set_metrics(r->expo, r->m); /* the whole run, merged */
    if (gave_up && r->signals < 1)
        r->signals = 1;
    code = finish_run(r, o);
stop:
    /* after the last resort nothing may be freed under the stuck worker */
    if (atomic_load(&r->gave_up)) {
        fflush(NULL);
        _exit(code);
    }
    return code;
}

/* --threads: the number of worker threads. The default is the number of
 * cores for loads of 100 users or more, else 1; sweeps and monitors keep
 * one (their steps depend on each other's results). */
static int choose_threads(const struct qvr_run_opts *o,
                          const struct qvr_plan *p)
{
    int n = o->threads;
    if (n <= 0) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        n = qvr_sched_max_users(&p->load) >= 100 && cores > 1 ? (int)cores : 1;
    }
    if (n > 1 && p->load.kind == QVR_LOAD_SWEEP) {
        if (o->threads > 1)
            qvr_warn("a sweep runs on one thread (--threads %d ignored)", n);
        n = 1;
    }
    int users = qvr_sched_max_users(&p->load);
    if (n > users && users > 0)
        n = users;
    return n < 1 ? 1 : n;
}

/* The watchdog's last resort (vu.h), on its thread: after a signal and
 * the grace period, or a second signal, the loop's thread is stuck in a
 * task's C code, and stays so (the watchdog keeps it from going on). The
 * results measured so far are written as the signal would have had them
 * written. */
static int last_resort(void *ud)
{
    struct run *r = ud;
    if (r->signals < 1)
        r->signals = 1; /* the loop never saw it */
    if (r->phase == PH_WARMUP && r->plan->warmup_requests > 0 && !r->fatal)
        warmup_stopped(r, SIGINT);
    if (r->phase != PH_DONE && !r->t_stop)
        r->t_stop = qvr_clock_ns();
    int code = finish_run(r, r->opts);
    fflush(stdout);
    return code;
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
    r->prog = qvr_progress_new();
    if (!r->prog || add_default_thresholds(p) < 0) {
        qvr_error("out of memory");
        goto out;
    }
    r->gate = qvr_gate_new(p->thresh, p->nthresh, p->window_ns);
    if (!r->gate) {
        qvr_error("out of memory");
        goto out;
    }
    if (p->load.kind == QVR_LOAD_EVERY) {
        qvr_error("%s: every{} is a monitor load: run it with 'qvrrun "
                  "monitor %s'",
                  p->file, p->file);
        code = QVR_EXIT_USAGE;
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
    int nthreads = choose_threads(o, p);
    if (nthreads > 1) {
        code = run_threaded(r, o, nthreads);
        goto out;
    }
    if (setup_engine(r) < 0) {
        qvr_error("%s", r->fatal_msg);
        goto out;
    }
    if (start_outputs(r, o) < 0) {
        code = QVR_EXIT_USAGE;
        goto out;
    }
    banner(r);
    /* --start-at: segments on several machines begin together. */
    if (schedule_start(r, o->start_at) < 0) {
        qvr_error("%s", r->fatal_msg);
        goto out;
    }
    struct qvr_vu_ctx *wctx = &r->ctx;
    struct qvr_watchdog *wd = qvr_watchdog_start(&wctx, 1);
    qvr_watchdog_last_resort(wd, r->plan->grace_ns, last_resort, r);
    event_base_dispatch(r->base);
    qvr_watchdog_stop(wd);
    code = finish_run(r, o);
out:
    teardown(r);
    return code;
}
