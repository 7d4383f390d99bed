/* vu.c -- virtual users as coroutines (see vu.h).
 *
 * A VU's life is a loop: pick a task, resume its function in the VU's
 * coroutine; the function yields inside http.* or sleep(), the VU waits for
 * the completion or timer, then resumes it; when the function returns, the
 * iteration is over, the pending response is recorded and the think time
 * starts. A Lua error ends only the iteration. Nothing here calls Lua
 * unprotected: lua_resume is the protected boundary. */
#include "vu.h"

#include <event2/event.h>
#include <lauxlib.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "l_http.h"
#include "log.h"
#include "qvr.h"

#define RUNNING ((enum qvr_vu_state)100) /* inside lua_resume */
/* withdrawn inside lua_resume: the task is dropped once it yields */
#define ENDING ((enum qvr_vu_state)101)
#define MAX_PRINTED_ERRORS 3

static void start_iteration(struct qvr_vu *vu);

/* Registry key of the ctx whose VUs run tasks in a Lua state (a light
 * userdata, set by qvr_vu_new, cleared by qvr_vu_ctx_cleanup): found
 * from any thread of that state, a coroutine a task made included. */
static const char ctx_key = 0;

/* The watchdog's coarse clock (qvr_clock_ns, updated every tick; 0: no
 * watchdog): a resume reads it rather than the clock. */
static _Atomic uint64_t wd_now_ns;

/* SIGINT, SIGTERM and SIGHUP seen while a watchdog runs (see
 * wd_on_signal). */
static atomic_int wd_signalled;

double qvr_vu_rand(struct qvr_vu_ctx *ctx)
{
    /* xorshift64*: fast, good enough for task picks and think times. */
    uint64_t x = ctx->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    ctx->rng = x;
    return (double)((x * 0x2545F4914F6CDD1DULL) >> 11) * 0x1.0p-53;
}

struct qvr_vu *qvr_vu_current(lua_State *co)
{
    return *(struct qvr_vu **)lua_getextraspace(co);
}

/* Coroutines are taken for an iteration and given back to the ctx's pool
 * when the user starts to think, stops or waits for an open-model start:
 * a waiting user holds no Lua thread (about 1 KB with its stack). */
static void co_take(struct qvr_vu *vu)
{
    struct qvr_vu_ctx *ctx = vu->ctx;
    if (vu->co)
        return;
    if (ctx->nco > 0) {
        ctx->nco--;
        vu->co = ctx->co_pool[ctx->nco].co;
        vu->co_ref = ctx->co_pool[ctx->nco].ref;
    } else {
        vu->co = lua_newthread(ctx->L); /* L: co */
        vu->co_ref = luaL_ref(ctx->L, LUA_REGISTRYINDEX);
    }
    *(struct qvr_vu **)lua_getextraspace(vu->co) = vu;
}

static void co_give(struct qvr_vu *vu)
{
    struct qvr_vu_ctx *ctx = vu->ctx;
    if (!vu->co)
        return;
    lua_settop(vu->co, 0);
    *(struct qvr_vu **)lua_getextraspace(vu->co) = NULL;
    if (ctx->nco == ctx->co_cap) {
        int cap = ctx->co_cap ? 2 * ctx->co_cap : 64;
        struct qvr_co *p = realloc(ctx->co_pool, (size_t)cap * sizeof(*p));
        if (!p) {
            luaL_unref(ctx->L, LUA_REGISTRYINDEX, vu->co_ref);
            vu->co = NULL;
            vu->co_ref = LUA_NOREF;
            return;
        }
        ctx->co_pool = p;
        ctx->co_cap = cap;
    }
    ctx->co_pool[ctx->nco].co = vu->co;
    ctx->co_pool[ctx->nco].ref = vu->co_ref;
    ctx->nco++;
    vu->co = NULL;
    vu->co_ref = LUA_NOREF;
}

static void arm(struct qvr_vu *vu, uint64_t ns)
{
    struct timeval tv = {(time_t)(ns / QVR_NS_PER_S),
                         (suseconds_t)(ns % QVR_NS_PER_S / 1000)};
    evtimer_add(vu->timer, &tv);
}

static void ready_cb(evutil_socket_t fd, short what, void *arg)
{
    struct qvr_vu_ctx *ctx = arg;
    (void)fd;
    (void)what;
    struct timeval zero = {0, 0};
    /* A signal that came while a task blocked the loop: its event runs
     * in this pass, after this callback; the users start at the next one
     * (if the run still wants them). */
    int sigs = atomic_load(&wd_signalled);
    if (sigs != ctx->wd_sigs_seen) {
        ctx->wd_sigs_seen = sigs;
        event_add(ctx->ready_ev, &zero);
        return;
    }
    /* Only the VUs queued now; those queued while these run (an iteration
     * that ended without yielding) wait for the next pass. */
    struct qvr_vu *vu, *list = ctx->ready_head;
    ctx->ready_head = ctx->ready_tail = NULL;
    ctx->in_ready = 1;
    for (vu = list; vu; vu = vu->ready_next)
        vu->on_ready = 2; /* taken: unready() must not touch the links */
    uint64_t stops = ctx->wd_stops;
    while ((vu = list) && ctx->wd_stops == stops) {
        list = vu->ready_next;
        vu->ready_next = NULL;
        vu->on_ready = 0;
        if (vu->state == QVR_VU_READY || vu->state == QVR_VU_THINK)
            start_iteration(vu);
    }
    if (list) {
        /* The watchdog stopped a task that had blocked the loop: timers
         * (the end of the run) and signals first; the others start at the
         * next pass, in their order. */
        struct qvr_vu *last = list;
        for (vu = list; vu; vu = vu->ready_next) {
            vu->on_ready = 1;
            last = vu;
        }
        last->ready_next = ctx->ready_head;
        if (!ctx->ready_head)
            ctx->ready_tail = last;
        ctx->ready_head = list;
    }
    ctx->in_ready = 0;
    /* Queued meanwhile (an iteration that never yielded): at the next loop
     * pass, after the loop has polled, as a zero timer would. */
    if (ctx->ready_head)
        event_add(ctx->ready_ev, &zero);
}

/* Starts vu's next iteration later in this loop pass. */
static void make_ready(struct qvr_vu *vu)
{
    struct qvr_vu_ctx *ctx = vu->ctx;
    if (vu->on_ready)
        return;
    if (!ctx->ready_ev) {
        ctx->ready_ev = event_new(ctx->base, -1, 0, ready_cb, ctx);
        if (!ctx->ready_ev) {
            arm(vu, 0);
            return;
        }
    }
    evtimer_del(vu->timer);
    vu->on_ready = 1;
    vu->ready_next = NULL;
    if (ctx->ready_tail)
        ctx->ready_tail->ready_next = vu;
    else
        ctx->ready_head = vu;
    ctx->ready_tail = vu;
    if (ctx->ready_head == vu && !ctx->in_ready)
        event_active(ctx->ready_ev, EV_TIMEOUT, 0);
}

static void unready(struct qvr_vu *vu)
{
    struct qvr_vu_ctx *ctx = vu->ctx;
    if (vu->on_ready != 1)
        return; /* not queued, or taken by ready_cb (which checks state) */
    struct qvr_vu **pp = &ctx->ready_head, *prev = NULL;
    while (*pp && *pp != vu) {
        prev = *pp;
        pp = &(*pp)->ready_next;
    }
    if (*pp) {
        *pp = vu->ready_next;
        if (ctx->ready_tail == vu)
            ctx->ready_tail = prev;
    }
    vu->on_ready = 0;
    vu->ready_next = NULL;
}

void qvr_vu_ctx_cleanup(struct qvr_vu_ctx *ctx)
{
    if (ctx->L) {
        lua_pushnil(ctx->L);
        lua_rawsetp(ctx->L, LUA_REGISTRYINDEX, &ctx_key);
    }
    for (int i = 0; i < ctx->nco; i++)
        luaL_unref(ctx->L, LUA_REGISTRYINDEX, ctx->co_pool[i].ref);
    free(ctx->co_pool);
    ctx->co_pool = NULL;
    ctx->nco = ctx->co_cap = 0;
    if (ctx->ready_ev)
        event_free(ctx->ready_ev);
    ctx->ready_ev = NULL;
    ctx->ready_head = ctx->ready_tail = NULL;
}

void qvr_vu_commit(struct qvr_vu *vu)
{
    if (!vu->pending)
        return;
    struct qvr_vu_ctx *ctx = vu->ctx;
    struct qvr_stat *name = NULL;
    if (vu->name[0])
        name = qvr_metrics_name(ctx->metrics, vu->name);
    qvr_metrics_record(ctx->metrics, vu->task, name, &vu->sample);
    if (ctx->step_stat)
        qvr_stat_record(ctx->step_stat, &vu->sample);
    vu->pending = 0;
    ctx->requests_done++;
    if (ctx->on_request)
        ctx->on_request(ctx->ud, vu);
}

static void stop_now(struct qvr_vu *vu)
{
    qvr_vu_commit(vu);
    evtimer_del(vu->timer);
    unready(vu);
    co_give(vu);
    vu->state = QVR_VU_STOPPED;
    if (vu->ctx->on_stopped)
        vu->ctx->on_stopped(vu->ctx->ud, vu);
}

static void report_error(struct qvr_vu *vu, const char *raw)
{
    struct qvr_vu_ctx *ctx = vu->ctx;
    char *clean = qvr_redact_text(ctx->redact, raw);
    const char *msg = clean ? clean : "(out of memory)";
    ctx->metrics->script_errors++;
    qvr_metrics_label(ctx->metrics, 1, msg, 0);
    snprintf(ctx->last_task_error, sizeof(ctx->last_task_error), "%.*s",
             (int)strcspn(msg, "\n"), msg);
    /* The first MAX_PRINTED_ERRORS of the run, whichever thread they
     * come from; the counter stops there (no wrap on a long run). */
    int nth = MAX_PRINTED_ERRORS + 2;
    if (ctx->errors_shared) {
        if (atomic_load(ctx->errors_shared) <= MAX_PRINTED_ERRORS)
            nth = atomic_fetch_add(ctx->errors_shared, 1) + 1;
    } else if (ctx->errors_printed <= MAX_PRINTED_ERRORS) {
        nth = ++ctx->errors_printed;
    }
    if (nth <= MAX_PRINTED_ERRORS)
        qvr_warn("error in task '%s' (vu %d): %s",
                 ctx->metrics->tasks[vu->task].name, vu->id, msg);
    else if (nth == MAX_PRINTED_ERRORS + 1) /* the first one not printed */
        qvr_warn("(further task errors are counted, not printed)");
    free(clean);
}

static void iteration_end(struct qvr_vu *vu)
{
    struct qvr_vu_ctx *ctx = vu->ctx;
    qvr_vu_commit(vu);
    ctx->metrics->iterations++;
    if (ctx->stopping || vu->stop_requested) {
        stop_now(vu);
        return;
    }
    if (ctx->open_model) {
        co_give(vu);
        vu->state = QVR_VU_FREE;
        if (ctx->on_free)
            ctx->on_free(ctx->ud, vu);
        return;
    }
    uint64_t wait = 0;
    switch (ctx->wait.kind) {
    case QVR_WAIT_NONE:
        break;
    case QVR_WAIT_CONSTANT:
        wait = (uint64_t)(ctx->wait.a * 1e9);
        break;
    case QVR_WAIT_BETWEEN:
        wait = (uint64_t)((ctx->wait.a +
                           (ctx->wait.b - ctx->wait.a) * qvr_vu_rand(ctx)) *
                          1e9);
        break;
    case QVR_WAIT_PACING: {
        uint64_t period = (uint64_t)(ctx->wait.a * 1e9);
        uint64_t spent = qvr_clock_ns() - vu->iter_start_ns;
        wait = spent < period ? period - spent : 0;
        break;
    }
    }
    vu->state = QVR_VU_THINK;
    if (wait == 0) {
        make_ready(vu);
    } else {
        co_give(vu);
        arm(vu, wait);
    }
}

/* The watchdog stopped the resume that has just returned st (nres values
 * on the stack of a yield): its hook yielded the task's coroutine or raised
 * its error (where it could not yield). A task error; the coroutine's
 * to-be-closed variables are closed while the resume still counts as
 * stopped (a __close that loops meets the hook too), and it is not reused
 * (the hook is still set; after a hook's error its hooks are off). */
static void wd_stopped(struct qvr_vu *vu, int st, int nres)
{
    struct qvr_vu_ctx *ctx = vu->ctx;
    uint64_t since =
        atomic_load_explicit(&ctx->lua_since_ns, memory_order_relaxed);
    uint64_t now = qvr_clock_ns();
    char built[96];
    snprintf(built, sizeof(built),
             "task ran %.1fs without yielding (an endless loop?): stopped",
             now > since ? (double)(now - since) / 1e9 : 0.0);
    const char *msg = built;
    if (st == LUA_YIELD)
        lua_pop(vu->co, nres);
    else if (st != LUA_OK && lua_type(vu->co, -1) == LUA_TSTRING)
        msg = lua_tostring(vu->co, -1); /* its error, where it came out */
    luaL_traceback(ctx->L, vu->co, msg, 0);
    report_error(vu, lua_tostring(ctx->L, -1));
    lua_pop(ctx->L, 1);
    lua_resetthread(vu->co);
    atomic_store_explicit(&ctx->lua_since_ns, 0, memory_order_relaxed);
    atomic_store_explicit(&ctx->wd_stop_ns, now, memory_order_relaxed);
    ctx->wd_fired = 0;
    ctx->wd_stops++;
    /* the loop's cached time is as old as the loop: timers armed from here
     * (a think time) would be due at once */
    event_base_update_cache_time(ctx->base);
    *(struct qvr_vu **)lua_getextraspace(vu->co) = NULL;
    luaL_unref(ctx->L, LUA_REGISTRYINDEX, vu->co_ref);
    vu->co = NULL;
    vu->state = RUNNING; /* whatever a binding set: nothing is waited for */
    iteration_end(vu);
}

/* Resumes the coroutine with nargs values on its stack and handles what it
 * did: yielded in a binding (wait), returned (iteration over) or failed. */
static void resume(struct qvr_vu *vu, int nargs)
{
    struct qvr_vu_ctx *ctx = vu->ctx;
    int nres = 0;
    vu->state = RUNNING;
    atomic_store_explicit(&ctx->lua_co, vu->co, memory_order_relaxed);
    atomic_store_explicit(
        &ctx->lua_since_ns,
        atomic_load_explicit(&wd_now_ns, memory_order_relaxed),
        memory_order_relaxed);
    int st = lua_resume(vu->co, ctx->L, nargs, &nres);
    while (atomic_load(&ctx->abandoned))
        pause(); /* the watchdog writes the results and ends the process */
    if (ctx->wd_fired) {
        wd_stopped(vu, st, nres);
        return;
    }
    atomic_store_explicit(&ctx->lua_since_ns, 0, memory_order_relaxed);
    if (st == LUA_YIELD && vu->state == ENDING) {
        /* A withdrawn user about to send or sleep: the rest of its task
         * is dropped (its last answer is still recorded by stop_now). */
        lua_resetthread(vu->co);
        stop_now(vu);
        return;
    }
    if (st == LUA_YIELD) {
        if (vu->state != RUNNING)
            return; /* waiting in http.* or sleep() */
        /* A bare coroutine.yield() from the task: nothing would resume it.
         * Report it and end the iteration instead of hanging. */
        lua_pop(vu->co, nres);
        report_error(vu, "coroutine.yield() called inside a task; only "
                         "http.* and sleep() may suspend a user");
        lua_resetthread(vu->co);
        iteration_end(vu);
        return;
    }
    if (st == LUA_OK) {
        lua_settop(vu->co, 0);
        iteration_end(vu);
        return;
    }
    const char *msg = lua_tostring(vu->co, -1);
    luaL_traceback(ctx->L, vu->co, msg ? msg : "(error object is not a string)",
                   0);
    report_error(vu, lua_tostring(ctx->L, -1));
    lua_pop(ctx->L, 1);
    lua_resetthread(vu->co);
    iteration_end(vu);
}

static void start_iteration(struct qvr_vu *vu)
{
    struct qvr_vu_ctx *ctx = vu->ctx;
    if (ctx->stopping || vu->stop_requested) {
        stop_now(vu);
        return;
    }
    int t = 0;
    if (ctx->ntasks > 1) {
        double r = qvr_vu_rand(ctx) * ctx->task_cumw[ctx->ntasks - 1];
        while (t < ctx->ntasks - 1 && r >= ctx->task_cumw[t])
            t++;
    }
    vu->task = t;
    vu->iter_start_ns = qvr_clock_ns();
    co_take(vu);
    lua_rawgeti(vu->co, LUA_REGISTRYINDEX, ctx->task_refs[t]);
    resume(vu, 0);
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
    struct qvr_vu *vu = arg;
    (void)fd;
    (void)what;
    switch (vu->state) {
    case QVR_VU_READY:
    case QVR_VU_THINK:
        if (atomic_load(&wd_signalled) != vu->ctx->wd_sigs_seen)
            make_ready(vu); /* after the signal's event (see ready_cb) */
        else
            start_iteration(vu);
        break;
    case QVR_VU_SLEEP:
        resume(vu, 0);
        break;
    case QVR_VU_HTTP: /* a withdrawn user's grace period is over */
        if (vu->stop_requested != 2)
            break;
        if (vu->ctx->on_grace_over)
            vu->ctx->on_grace_over(vu->ctx->ud, vu);
        else
            qvr_vu_abort(vu);
        break;
    default:
        break;
    }
}

struct qvr_vu *qvr_vu_new(struct qvr_vu_ctx *ctx, int id)
{
    struct qvr_vu *vu = calloc(1, sizeof(*vu));
    if (!vu)
        return NULL;
    vu->ctx = ctx;
    vu->id = id;
    vu->co_ref = LUA_NOREF;
    vu->body_ref = LUA_NOREF;
    vu->task = -1;
    qvr_buf_init(&vu->url, 64 * 1024);
    qvr_buf_init(&vu->hdrs, 256 * 1024);
    qvr_buf_init(&vu->text, 16u << 20);
    vu->timer = evtimer_new(ctx->base, timer_cb, vu);
    if (!vu->timer) {
        qvr_vu_free(vu);
        return NULL;
    }
    lua_pushlightuserdata(ctx->L, ctx); /* for the watchdog's hook */
    lua_rawsetp(ctx->L, LUA_REGISTRYINDEX, &ctx_key);
    return vu;
}

void qvr_vu_free(struct qvr_vu *vu)
{
    if (!vu)
        return;
    unready(vu);
    qvr_http_xfer_put(vu->xfer);
    if (vu->timer)
        event_free(vu->timer);
    luaL_unref(vu->ctx->L, LUA_REGISTRYINDEX, vu->body_ref);
    luaL_unref(vu->ctx->L, LUA_REGISTRYINDEX, vu->co_ref);
    qvr_buf_free(&vu->url);
    qvr_buf_free(&vu->hdrs);
    qvr_buf_free(&vu->text);
    free(vu);
}

void qvr_vu_start(struct qvr_vu *vu)
{
    vu->state = QVR_VU_READY;
    make_ready(vu);
}

void qvr_vu_begin(struct qvr_vu *vu, uint64_t intended_ns)
{
    vu->iter_intended_ns = intended_ns;
    vu->stop_requested = 0;
    vu->state = QVR_VU_READY;
    make_ready(vu);
}

void qvr_vu_stop(struct qvr_vu *vu)
{
    if (!vu->stop_requested)
        vu->stop_requested = 1;
    if (vu->state == QVR_VU_THINK || vu->state == QVR_VU_READY ||
        vu->state == QVR_VU_IDLE || vu->state == QVR_VU_FREE)
        stop_now(vu);
}

void qvr_vu_withdraw(struct qvr_vu *vu)
{
    struct qvr_vu_ctx *ctx = vu->ctx;
    int first = vu->stop_requested != 2;
    vu->stop_requested = 2;
    if (vu->state == QVR_VU_THINK || vu->state == QVR_VU_READY ||
        vu->state == QVR_VU_IDLE || vu->state == QVR_VU_FREE) {
        stop_now(vu);
    } else if (vu->state == QVR_VU_SLEEP) {
        /* between requests: whatever follows the sleep is not run */
        lua_resetthread(vu->co);
        stop_now(vu);
    } else if (vu->state == QVR_VU_HTTP && first && ctx->stop_grace_ns &&
               !ctx->stopping) {
        arm(vu, ctx->stop_grace_ns); /* the timer is idle while in HTTP */
    }
}

void qvr_vu_keep(struct qvr_vu *vu)
{
    if (!vu->stop_requested)
        return;
    vu->stop_requested = 0;
    if (vu->state == QVR_VU_HTTP)
        evtimer_del(vu->timer); /* its grace timer */
}

int qvr_vu_abort(struct qvr_vu *vu)
{
    int inflight = vu->state == QVR_VU_HTTP;
    qvr_http_xfer_put(vu->xfer);
    vu->xfer = NULL;
    luaL_unref(vu->ctx->L, LUA_REGISTRYINDEX, vu->body_ref);
    vu->body_ref = LUA_NOREF;
    if (vu->state != QVR_VU_STOPPED && vu->state != RUNNING) {
        if (vu->co)
            lua_resetthread(vu->co);
        stop_now(vu);
    }
    return inflight;
}

/* An inter-token gap of the VU's stream in flight, from inside libcurl's
 * write callback: recorded now into the stats the request will count in
 * (the metrics current when it started). */
static void gap_cb(void *ud, uint64_t gap_ns)
{
    struct qvr_vu *vu = ud;
    struct qvr_vu_ctx *ctx = vu->ctx;
    struct qvr_metrics *m = vu->gap_m ? vu->gap_m : ctx->metrics;
    if (!vu->gap_name && vu->name[0])
        vu->gap_name = qvr_metrics_name(m, vu->name);
    qvr_metrics_gap(m, vu->task, vu->gap_name, gap_ns / 1000);
    if (ctx->step_stat && m == ctx->metrics)
        qvr_stat_gap(ctx->step_stat, gap_ns / 1000);
}

/* A stream's figures into the sample; a 2xx stream that carried an error
 * event, ended before its end marker, or held a malformed event fails
 * as such (an answer cut by the connection, too, once it had started). */
static void stream_sample(struct qvr_sample *s, const struct qvr_http_result *r,
                          uint64_t t0)
{
    const struct qvr_sse_stats *st = r->stream;
    s->streamed = 1;
    s->bytes_in = st->bytes;
    s->usage = st->has_usage;
    s->in_tokens = st->in_tokens;
    s->out_tokens = st->has_usage ? st->out_tokens : st->outputs;
    if (st->t_first_ns) {
        uint64_t f = st->t_first_ns;
        s->ttft_us = f > t0 ? (f - t0) / 1000 : 0;
        s->ttft_us += s->ttft_us ? 0 : 1; /* 0 means "none" */
        s->ttft_svc_us = f > r->t_sent_ns ? (f - r->t_sent_ns) / 1000 : 0;
        if (s->out_tokens >= 2 && st->t_last_ns > f)
            s->tpot_us = (st->t_last_ns - f) / 1000 / (s->out_tokens - 1);
    }
    int done = st->done || st->finished;
    if (r->fail == QVR_FAIL_RESET || r->fail == QVR_FAIL_TRANSPORT)
        s->fail = QVR_FAIL_STREAM_CUT;
    else if (r->fail != QVR_FAIL_NONE)
        return;
    else if (st->errors)
        s->fail = QVR_FAIL_STREAM_ERROR;
    else if (!done)
        s->fail = QVR_FAIL_STREAM_CUT;
    else if (st->malformed)
        s->fail = QVR_FAIL_MALFORMED;
}

/* The first error answer of the warm-up, for a diagnosis of the target:
 * "POST http://h:1/api/rerank/api/rerank: HTTP 404: {"detail":"Not
 * Found"}" (the body's first 120 bytes, control characters as spaces),
 * redacted. */
static void keep_bad_answer(struct qvr_vu_ctx *ctx, const char *method,
                            const struct qvr_http_result *r)
{
    char body[124];
    size_t n = r->body_len < 120 ? r->body_len : 120, k = 0;
    for (size_t i = 0; r->body && i < n; i++)
        body[k++] = (unsigned char)r->body[i] < 0x20 ? ' ' : r->body[i];
    body[k] = 0;
    char raw[768];
    snprintf(raw, sizeof(raw), "%s %s: HTTP %d%s%s%s", method ? method : "GET",
             ctx->cur_url, r->status, k ? ": " : " (empty body)", body,
             r->body_len > 120 ? "..." : "");
    char *clean = qvr_redact_text(ctx->redact, raw);
    snprintf(ctx->first_bad, sizeof(ctx->first_bad), "%s", clean ? clean : raw);
    free(clean);
}

static void http_done(void *ud, const struct qvr_http_result *r)
{
    struct qvr_vu *vu = ud;
    struct qvr_vu_ctx *ctx = vu->ctx;
    luaL_unref(ctx->L, LUA_REGISTRYINDEX, vu->body_ref);
    vu->body_ref = LUA_NOREF;

    if (ctx->on_headers && r->headers)
        ctx->on_headers(ctx->ud, r->headers, r->headers_len);
    struct qvr_sample *s = &vu->sample;
    memset(s, 0, sizeof(*s));
    uint64_t t0 = vu->t_intended_ns ? vu->t_intended_ns : r->t_sent_ns;
    s->response_us = (r->t_done_ns - t0) / 1000;
    s->service_us = (r->t_done_ns - r->t_sent_ns) / 1000;
    s->ttfb_us = r->ttfb_us;
    s->connect_us = r->connect_us;
    s->tls_us = r->tls_us;
    s->bytes_in = r->body_len;
    s->bytes_out = r->bytes_out;
    s->status = r->status;
    s->fail = r->fail;
    s->method = vu->method;
    s->http_version = r->status ? r->http_version : 0;
    s->good = r->fail == QVR_FAIL_NONE && r->status >= 200 && r->status < 400 &&
              ctx->slo_us && s->response_us <= ctx->slo_us;
    if (r->fail == QVR_FAIL_NONE) {
        ctx->answered++;
        ctx->good_answers += r->status < 400;
        if (ctx->watch_answers && r->status >= 400 && !ctx->first_bad[0])
            keep_bad_answer(ctx, vu->method, r);
        if (r->status >= 500)
            s->fail = QVR_FAIL_HTTP_5XX;
        else if (r->status >= 400)
            s->fail = QVR_FAIL_HTTP_4XX;
        else if (r->status < 200)
            s->fail = QVR_FAIL_HTTP_OTHER;
    }
    if (r->stream) {
        stream_sample(s, r, t0);
        s->good = s->good && s->fail == QVR_FAIL_NONE &&
                  (!ctx->slo_ttft_us ||
                   (s->ttft_us && s->ttft_us <= ctx->slo_ttft_us)) &&
                  (!ctx->slo_tpot_us || s->tpot_us <= ctx->slo_tpot_us);
    }
    if (r->fail != QVR_FAIL_NONE && r->error) {
        char *clean = qvr_redact_text(ctx->redact, r->error);
        snprintf(ctx->last_error_buf, sizeof(ctx->last_error_buf), "%s",
                 clean ? clean : "transport error");
        free(clean);
        ctx->last_error = ctx->last_error_buf;
        /* the reason, kept per kind for the table and summary.json */
        char url[QVR_ERRMSG_LEN], where[QVR_ERRMSG_LEN + 16];
        qvr_redact_url(r->url ? r->url : "", url, sizeof(url));
        snprintf(where, sizeof(where), "%s %s", vu->method ? vu->method : "GET",
                 url);
        char *wclean = qvr_redact_text(ctx->redact, where);
        qvr_metrics_errmsg(ctx->metrics, r->fail, ctx->last_error_buf,
                           wclean ? wclean : "", 1);
        free(wclean);
    }
    vu->pending = 1;
    vu->pending_seq = ++ctx->seq;
    qvr_l_http_push_response(vu->co, r, s, vu->name, vu->pending_seq);
    /* Everything of r is copied: the handle goes back to the pool. */
    qvr_http_xfer_put(vu->xfer);
    vu->xfer = NULL;
    resume(vu, 1);
}

int qvr_vu_http(struct qvr_vu *vu, const struct qvr_http_request *req,
                const char *name, int body_idx)
{
    qvr_vu_commit(vu);
    if (vu->stop_requested == 2) {
        /* withdrawn: no further request; resume ends the task here */
        vu->state = ENDING;
        return 0;
    }
    size_t n = strlen(name);
    if (n >= sizeof(vu->name))
        n = sizeof(vu->name) - 1;
    memcpy(vu->name, name, n);
    vu->name[n] = 0;
    vu->method = req->method;
    vu->gap_m = vu->ctx->metrics;
    vu->gap_name = NULL;
    struct qvr_http_request rq = *req;
    rq.on_gap = gap_cb;
    rq.gap_ud = vu;
    vu->want_text = req->text != NULL;
    if (req->text)
        qvr_buf_reset(req->text);
    req = &rq;
    if (vu->ctx->watch_answers)
        snprintf(vu->ctx->cur_url, sizeof(vu->ctx->cur_url), "%s", req->url);
    vu->t_intended_ns = qvr_clock_ns();
    if (vu->iter_intended_ns && vu->iter_intended_ns < vu->t_intended_ns)
        vu->t_intended_ns = vu->iter_intended_ns;
    vu->iter_intended_ns = 0; /* later requests count from their send */
    if (vu->ctx->on_send && vu->ctx->on_send(vu->ctx->ud, vu, req)) {
        vu->state = QVR_VU_HTTP; /* held back, never answered */
        return 0;
    }
    if (!vu->xfer &&
        !(vu->xfer = qvr_http_xfer_get(vu->ctx->http[vu->id % vu->ctx->nhttp])))
        return QVR_ENOMEM;
    int rc = qvr_http_start(vu->xfer, req, http_done, vu);
    if (rc < 0) {
        qvr_http_xfer_put(vu->xfer);
        vu->xfer = NULL;
        return rc;
    }
    if (body_idx) {
        lua_pushvalue(vu->co, body_idx);
        vu->body_ref = luaL_ref(vu->co, LUA_REGISTRYINDEX);
    }
    vu->state = QVR_VU_HTTP;
    return 0;
}

void qvr_vu_sleep(struct qvr_vu *vu, uint64_t ns)
{
    qvr_vu_commit(vu);
    if (vu->stop_requested == 2) {
        vu->state = ENDING; /* as in qvr_vu_http */
        return;
    }
    vu->state = QVR_VU_SLEEP;
    arm(vu, ns);
}

void qvr_vu_check(struct qvr_vu *vu, uint64_t seq, const char *label, int ok,
                  enum qvr_fail_kind kind)
{
    struct qvr_vu_ctx *ctx = vu->ctx;
    int matches = seq && vu->pending && seq == vu->pending_seq;
    struct qvr_stat *name = matches && vu->name[0]
                                ? qvr_metrics_name(ctx->metrics, vu->name)
                                : NULL;
    qvr_metrics_check(ctx->metrics, vu->task, name, ok);
    qvr_metrics_label(ctx->metrics, 0, label, ok);
    if (!ok && matches && vu->sample.fail == QVR_FAIL_NONE) {
        vu->sample.fail = kind;
        vu->sample.good = 0;
    }
}

/* ---- watchdog ------------------------------------------------------------ */

#define WD_TICK_NS (100 * QVR_NS_PER_MS)
#define WD_LIMIT_NS (5 * QVR_NS_PER_S)      /* a resume without yielding */
#define WD_LIMIT_LATE_NS (1 * QVR_NS_PER_S) /* past the end or signalled */
/* a resume still running this long after the second signal (or after the
 * first and the grace period) is stuck where no hook reaches */
#define WD_LAST_RESORT_NS (2 * QVR_NS_PER_S)

struct qvr_watchdog {
    pthread_t tid;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop; /* under mu */
    struct qvr_vu_ctx **ctxs;
    int n;
    int started;            /* tid is a running thread */
    int chained[3];         /* wd_on_signal installed in front of the loop's
                               handler of wd_sigs[i] */
    int (*stuck)(void *ud); /* see qvr_watchdog_last_resort */
    void *stuck_ud;
    uint64_t second_ns; /* when the watchdog saw a second signal (0: not) */
    uint64_t sig_ns;    /* when it saw the first (0: not) */
    uint64_t grace_ns;  /* the run's grace period (last resort) */
};

/* SIGINT/SIGTERM/SIGHUP seen while a watchdog runs: the loop's own signal
 * events (libevent's handler) are not processed while a task blocks it,
 * so a handler chained in front of libevent's tells the watchdog. */
static const int wd_sigs[3] = {SIGINT, SIGTERM, SIGHUP};
static struct sigaction wd_old[3];

static void wd_on_signal(int sig, siginfo_t *si, void *uc)
{
    atomic_fetch_add(&wd_signalled, 1);
    for (int i = 0; i < 3; i++) {
        if (wd_sigs[i] != sig)
            continue;
        if (wd_old[i].sa_flags & SA_SIGINFO)
            wd_old[i].sa_sigaction(sig, si, uc);
        else if (wd_old[i].sa_handler != SIG_DFL &&
                 wd_old[i].sa_handler != SIG_IGN)
            wd_old[i].sa_handler(sig);
    }
}

static struct qvr_vu_ctx *ctx_of(lua_State *L)
{
    lua_rawgetp(L, LUA_REGISTRYINDEX, &ctx_key); /* ctx|nil */
    struct qvr_vu_ctx *ctx = lua_touserdata(L, -1);
    lua_pop(L, 1);
    return ctx;
}

/* 1 while the watchdog stops the resume that runs on L's loop thread now
 * (L being the Lua thread that runs in it: the VU's coroutine or one its
 * task resumed). */
static int being_stopped(struct qvr_vu_ctx *ctx, lua_State *L)
{
    uint64_t since =
        atomic_load_explicit(&ctx->lua_since_ns, memory_order_relaxed);
    return since &&
           since ==
               atomic_load_explicit(&ctx->wd_target, memory_order_relaxed) &&
           atomic_load_explicit(&ctx->lua_co, memory_order_relaxed) == L;
}

/* Runs on the loop's thread at every Lua instruction of the thread the
 * watchdog marked. It yields that thread where it can: no pcall catches
 * a yield, and no message handler of xpcall runs (the handler of an error
 * raised in a hook would run with hooks off, out of reach). Where it
 * cannot (inside a C function such as table.sort's comparator) it raises,
 * and again at the next instruction if a pcall caught it, until the error
 * or a yield leaves the task (the hook stays set; the coroutine is not
 * reused, see wd_stopped). A hook left over from a resume that has ended
 * meanwhile (or on a coroutine since given to another user) removes
 * itself. */
static void runaway_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    struct qvr_vu_ctx *ctx = ctx_of(L);
    if (!ctx || !being_stopped(ctx, L)) {
        lua_sethook(L, NULL, 0, 0);
        return;
    }
    ctx->wd_fired = 1;
    if (lua_isyieldable(L)) {
        lua_yield(L, 0); /* a hook's yield: no values, and nothing after */
        return;
    }
    uint64_t since =
        atomic_load_explicit(&ctx->lua_since_ns, memory_order_relaxed);
    uint64_t now = qvr_clock_ns();
    char msg[96];
    snprintf(msg, sizeof(msg),
             "task ran %.1fs without yielding (an endless loop?): stopped",
             now > since ? (double)(now - since) / 1e9 : 0.0);
    luaL_error(L, "%s", msg);
}

/* coroutine.resume, coroutine.close (which runs the coroutine's pending
 * __close methods) and the functions coroutine.wrap returns: Lua's own
 * (upvalue 1), called with ctx->lua_co naming the coroutine they run
 * (upvalue 2, or argument 1 for resume and close), so that the watchdog hooks
 * the thread that runs: a loop in a coroutine the task made is stopped too.
 * Back in the caller, a resume being stopped hooks the caller as well. */
static int co_call(lua_State *L)
{
    struct qvr_vu_ctx *ctx = ctx_of(L);
    lua_State *co = lua_tothread(L, lua_upvalueindex(2));
    if (!co) { /* resume, close: its argument named here, as Lua's would */
        luaL_checktype(L, 1, LUA_TTHREAD);
        co = lua_tothread(L, 1);
    }
    int tracked =
        ctx && co &&
        atomic_load_explicit(&ctx->lua_since_ns, memory_order_relaxed) &&
        atomic_load_explicit(&ctx->lua_co, memory_order_relaxed) == L;
    lua_pushvalue(L, lua_upvalueindex(1)); /* args... f */
    lua_insert(L, 1);                      /* f args... */
    if (tracked)
        atomic_store_explicit(&ctx->lua_co, co, memory_order_relaxed);
    int st = lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0);
    if (tracked) {
        atomic_store_explicit(&ctx->lua_co, L, memory_order_relaxed);
        if (being_stopped(ctx, L))
            lua_sethook(L, runaway_hook, LUA_MASKCOUNT, 1);
    }
    if (st != LUA_OK)
        return lua_error(L); /* wrap's own error, as it raised it */
    return lua_gettop(L);
}

/* coroutine.wrap(f): Lua's (upvalue 1) around co_call. */
static int co_wrap(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TFUNCTION);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushvalue(L, 1);
    lua_call(L, 1, 1); /* g: Lua's function, its thread as upvalue 1 */
    if (!lua_getupvalue(L, -1, 1)) /* g co */
        return 1;
    lua_pushcclosure(L, co_call, 2); /* co_call(g, co) */
    return 1;
}

void qvr_vu_install(lua_State *L)
{
    lua_getglobal(L, "coroutine"); /* coroutine */
    if (!lua_istable(L, -1)) {
        lua_pop(L, 1);
        return;
    }
    lua_getfield(L, -1, "resume"); /* coroutine resume */
    lua_pushnil(L);
    lua_pushcclosure(L, co_call, 2); /* coroutine co_call */
    lua_setfield(L, -2, "resume");
    lua_getfield(L, -1, "close"); /* coroutine close: runs its __close */
    lua_pushnil(L);
    lua_pushcclosure(L, co_call, 2);
    lua_setfield(L, -2, "close");
    lua_getfield(L, -1, "wrap"); /* coroutine wrap */
    lua_pushcclosure(L, co_wrap, 1);
    lua_setfield(L, -2, "wrap");
    lua_pop(L, 1);
}

static void wd_check(struct qvr_watchdog *w, uint64_t now)
{
    if (!w->sig_ns && atomic_load(&wd_signalled))
        w->sig_ns = now;
    for (int i = 0; i < w->n; i++) {
        struct qvr_vu_ctx *c = w->ctxs[i];
        uint64_t since =
            atomic_load_explicit(&c->lua_since_ns, memory_order_relaxed);
        if (!since)
            continue;
        /* late: since the planned end (or the drain) or a signal */
        uint64_t late = w->sig_ns;
        uint64_t end = atomic_load_explicit(&c->end_ns, memory_order_relaxed);
        if (end && now > end && (!late || end < late))
            late = end;
        uint64_t limit = late ? WD_LIMIT_LATE_NS : WD_LIMIT_NS;
        /* Late, and a task of this ctx was stopped already: the users
         * that loop too (each resumed by its answer, or the next one) get
         * a tick each, not a second each, so that many of them do not
         * hold the end of the run (or a signal) for as many seconds. */
        if (late &&
            atomic_load_explicit(&c->wd_stop_ns, memory_order_relaxed) >= late)
            limit = WD_TICK_NS;
        /* since is a tick's time: half a tick of slack, so that a tick
         * that wakes a little early does not add a whole tick */
        if (now < since || now - since + WD_TICK_NS / 2 < limit)
            continue;
        lua_State *co = atomic_load_explicit(&c->lua_co, memory_order_relaxed);
        if (!co)
            continue;
        atomic_store_explicit(&c->wd_target, since, memory_order_relaxed);
        /* Documented as safe to call asynchronously (lua.c does it from its
         * SIGINT handler); the hook checks that this resume still runs. */
        lua_sethook(co, runaway_hook, LUA_MASKCOUNT, 1);
    }
}

/* After a signal, a resume that has not returned for the grace period
 * (2 s at least), or for 2 s after a second signal, although the hook
 * stops any Lua code within a second: the loop's thread is stuck where no
 * hook reaches (C code, a __gc) and would never end the run. */
static void wd_last_resort(struct qvr_watchdog *w, uint64_t now)
{
    if (!w->sig_ns)
        return;
    if (!w->second_ns && atomic_load(&wd_signalled) >= 2)
        w->second_ns = now;
    uint64_t wait = WD_LAST_RESORT_NS, from = w->second_ns;
    if (!from) {
        from = w->sig_ns;
        if (w->grace_ns > wait)
            wait = w->grace_ns;
    }
    if (now - from < wait)
        return;
    int stuck = 0;
    for (int i = 0; i < w->n; i++) {
        uint64_t since = atomic_load_explicit(&w->ctxs[i]->lua_since_ns,
                                              memory_order_relaxed);
        if (since && now - since >= wait) {
            atomic_store(&w->ctxs[i]->abandoned, 1);
            stuck = 1;
        }
    }
    if (!stuck)
        return;
    const char *which = w->second_ns ? "the second signal" : "the signal";
    double secs = (double)(now - from) / 1e9;
    if (w->stuck) {
        qvr_warn("a task is stuck in C code (%.0fs after %s; no hook stops "
                 "it): writing the results measured so far and exiting",
                 secs, which);
        int code = w->stuck(w->stuck_ud);
        fflush(NULL);
        while (code < 0)
            pause(); /* another thread writes them and ends the process */
        _exit(code);
    }
    qvr_error("a task is stuck in C code (%.0fs after %s; no hook stops "
              "it): exiting; the results of this run are not written",
              secs, which);
    fflush(NULL);
    _exit(QVR_EXIT_INTERRUPT);
}

static void *wd_main(void *arg)
{
    struct qvr_watchdog *w = arg;
    sigset_t all;
    sigfillset(&all); /* signals are the loop's */
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    pthread_mutex_lock(&w->mu);
    /* Ticks on a fixed schedule, not 100 ms after each wake-up: the
     * limits are counted in ticks from a tick (a resume's since), and a
     * late wake-up must not add up over the 50 ticks of 5 s. */
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t due = (uint64_t)ts.tv_sec * QVR_NS_PER_S + (uint64_t)ts.tv_nsec;
    while (!w->stop) {
        clock_gettime(CLOCK_MONOTONIC, &ts);
        uint64_t mono =
            (uint64_t)ts.tv_sec * QVR_NS_PER_S + (uint64_t)ts.tv_nsec;
        due += WD_TICK_NS;
        if (due <= mono) /* fell behind by a tick or more: from now on */
            due = mono + WD_TICK_NS;
        ts.tv_sec = (time_t)(due / QVR_NS_PER_S);
        ts.tv_nsec = (long)(due % QVR_NS_PER_S);
        pthread_cond_timedwait(&w->cv, &w->mu, &ts);
        if (w->stop)
            break;
        uint64_t now = qvr_clock_ns();
        atomic_store_explicit(&wd_now_ns, now, memory_order_relaxed);
        wd_check(w, now);
        wd_last_resort(w, now);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

struct qvr_watchdog *qvr_watchdog_start(struct qvr_vu_ctx **ctxs, int n)
{
    struct qvr_watchdog *w = calloc(1, sizeof(*w));
    if (!w)
        return NULL;
    w->ctxs = ctxs;
    w->n = n;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, &ca);
    pthread_condattr_destroy(&ca);
    atomic_store(&wd_signalled, 0);
    atomic_store(&wd_now_ns, qvr_clock_ns());
    /* Chain in front of libevent's handlers (installed by evsignal events),
     * never in place of a default or ignored disposition. */
    for (int i = 0; i < 3; i++) {
        struct sigaction cur;
        if (sigaction(wd_sigs[i], NULL, &cur) != 0 ||
            (!(cur.sa_flags & SA_SIGINFO) &&
             (cur.sa_handler == SIG_DFL || cur.sa_handler == SIG_IGN)))
            continue;
        wd_old[i] = cur;
        struct sigaction sa = cur;
        sa.sa_flags |= SA_SIGINFO;
        sa.sa_sigaction = wd_on_signal;
        sigaction(wd_sigs[i], &sa, NULL);
        w->chained[i] = 1;
    }
    if (pthread_create(&w->tid, NULL, wd_main, w) != 0) {
        qvr_watchdog_stop(w);
        return NULL;
    }
    w->started = 1;
    return w;
}

void qvr_watchdog_last_resort(struct qvr_watchdog *w, uint64_t grace_ns,
                              int (*fn)(void *ud), void *ud)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->grace_ns = grace_ns;
    w->stuck = fn;
    w->stuck_ud = ud;
    pthread_mutex_unlock(&w->mu);
}

int qvr_watchdog_signalled(const struct qvr_watchdog *w)
{
    return w ? atomic_load(&wd_signalled) > 0 : 0;
}

void qvr_watchdog_stop(struct qvr_watchdog *w)
{
    if (!w)
        return;
    if (w->started) {
        pthread_mutex_lock(&w->mu);
        w->stop = 1;
        pthread_cond_signal(&w->cv);
        pthread_mutex_unlock(&w->mu);
        pthread_join(w->tid, NULL);
    }
    for (int i = 0; i < 3; i++)
        if (w->chained[i])
            sigaction(wd_sigs[i], &wd_old[i], NULL);
    atomic_store(&wd_now_ns, 0);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    free(w);
}
