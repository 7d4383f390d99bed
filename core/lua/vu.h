/* vu.h -- a virtual user: one Lua coroutine that runs iterations of the
 * scenario's tasks, yielding on I/O (http.*, sleep) and being resumed on
 * completion from the event loop.
 *
 * The worker fills one qvr_vu_ctx and creates its VUs with it; the Lua
 * bindings (l_http, l_qvr) find the running VU with qvr_vu_current. */
#ifndef QVR_VU_H
#define QVR_VU_H

#include <lua.h>
#include <stdatomic.h>
#include <stdint.h>

#include "buf.h"
#include "http.h"
#include "metrics.h"
#include "plan.h"
#include "redact.h"

struct event;
struct event_base;
struct qvr_vu;

/* What a VU needs from its worker. Owned by the worker; VUs borrow it. */
struct qvr_vu_ctx {
    struct event_base *base;
    struct qvr_http **http; /* shards: user i uses http[i % nhttp] */
    int nhttp;
    lua_State *L;                /* the worker's main Lua state */
    struct qvr_metrics *metrics; /* where samples go now (warm-up or run) */
    const char *target;          /* base URL, no trailing slash */
    int ntasks;
    const int *task_refs;    /* registry refs of the task functions */
    const double *task_cumw; /* cumulative weights, last = total */
    struct qvr_wait wait;
    uint64_t rng;               /* xorshift state for task picks and waits */
    long timeout_ms;            /* default per-request timeout */
    int stopping;               /* 1: start no new iteration */
    int open_model;             /* 1: iterations are handed out by the
                                   arrival schedule; no think time */
    struct qvr_stat *step_stat; /* the measured part of a step, or NULL */
    struct qvr_redact *redact;  /* secret header values to keep out of
                                   logs and results */
    uint64_t slo_us;            /* a request at or under this, without
                                   failure, counts as good (0: no slo) */
    uint64_t slo_ttft_us;       /* and, for a stream, a first token and
                                   time per output token at or under */
    uint64_t slo_tpot_us;       /* these (0: not part of the slo) */
    int errors_printed;         /* script errors printed so far */
    atomic_int *errors_shared;  /* with threads: the run's count of task
                                   errors printed, shared by every worker
                                   (NULL: errors_printed alone) */
    uint64_t requests_done;     /* requests committed (any sink) */
    uint64_t answered;          /* requests that got any HTTP answer */
    uint64_t good_answers;      /* of those, with a status below 400 */
    int watch_answers;          /* keep the first 4xx/5xx (the warm-up) */
    char cur_url[512];          /* while watching: the URL in flight */
    char first_bad[768];        /* the first 4xx/5xx answer: method, URL,
                                   status, the body's start; redacted */
    const char *last_error;     /* last transport error text (static/curl) */
    char last_error_buf[256];
    char last_task_error[256]; /* first line of the last task error,
                                  redacted ("" before any) */
    uint64_t seq;              /* response sequence numbers */
    /* Called when a VU has stopped (ctx->stopping or qvr_vu_stop). */
    void (*on_stopped)(void *ud, struct qvr_vu *vu);
    /* Called after every committed request (the warm-up counts them). */
    void (*on_request)(void *ud, struct qvr_vu *vu);
    /* Open model: called when a VU has finished its iteration and is free
     * for the next scheduled start (state QVR_VU_FREE). */
    void (*on_free)(void *ud, struct qvr_vu *vu);
    /* Called with the raw header block of every answer (may be NULL). */
    void (*on_headers)(void *ud, const char *raw, size_t len);
    /* When set, called with each request a task is about to send (every
     * pointer borrowed for the call only); returning 1 holds it back: it is
     * not sent and the task stays suspended in its http.* call (`qvrrun
     * call SCENARIO` takes the first one and sends it itself). */
    int (*on_send)(void *ud, struct qvr_vu *vu,
                   const struct qvr_http_request *req);
    /* A user withdrawn (qvr_vu_withdraw) with a request in flight gets
     * stop_grace_ns for it (0: no limit; not while ctx->stopping, whose
     * drain has a grace period of its own); then on_grace_over is called
     * (NULL: the request is dropped with qvr_vu_abort). */
    uint64_t stop_grace_ns;
    void (*on_grace_over)(void *ud, struct qvr_vu *vu);
    void *ud;
    /* VUs whose next iteration starts in this loop pass (no think time):
     * one event runs them all, rather than a zero timer per VU. */
    struct qvr_vu *ready_head, *ready_tail;
    struct event *ready_ev; /* created on first use; see qvr_vu_ctx_cleanup */
    int in_ready;           /* ready_ev's callback is running */
    struct qvr_co {
        lua_State *co;
        int ref;
    } * co_pool; /* idle coroutines (see co_take in vu.c) */
    int nco, co_cap;
    /* Read by the watchdog thread (qvr_watchdog_start): while a
     * coroutine is resumed, since when (its coarse clock, ns; 0: not in
     * Lua) and which one; the planned end of the run (0: unknown). */
    _Atomic uint64_t lua_since_ns;
    _Atomic(lua_State *) lua_co;
    _Atomic uint64_t end_ns;
    _Atomic uint64_t wd_target; /* the lua_since_ns the watchdog stops */
    int wd_fired;      /* the hook raised its error in this resume (loop's) */
    uint64_t wd_stops; /* resumes the watchdog stopped (loop's) */
    _Atomic uint64_t wd_stop_ns; /* when it last stopped one (0: never) */
    atomic_int abandoned;        /* the watchdog's last resort gave this ctx's
                                    stuck task up: its loop's thread must not go
                                    on (see qvr_watchdog_last_resort) */
    int wd_sigs_seen; /* signals counted when the ready list last ran */
};

/* A thread that stops a task running too long without yielding (an
 * endless loop would block the event loop, its deadline and signals):
 * every 100 ms it checks each ctx, and a resume older than 5 s (1 s once
 * end_ns, the planned end or the start of the drain, has passed or
 * SIGINT/SIGTERM/SIGHUP arrived; 100 ms once the watchdog has stopped a
 * task of that ctx since) gets a count hook that raises a task error
 * at every instruction of the Lua thread that runs (the VU's coroutine or
 * one its task resumed, see qvr_vu_install) until the error leaves the
 * task: a pcall that catches it does not keep the loop going. Start it
 * before the loop runs, stop it before the ctxs' Lua states are closed. The
 * array ctxs (n pointers) is borrowed, not copied: it must outlive the
 * watchdog, up to qvr_watchdog_stop. NULL on failure (the run goes on). */
struct qvr_watchdog;
struct qvr_watchdog *qvr_watchdog_start(struct qvr_vu_ctx **ctxs, int n);
void qvr_watchdog_stop(struct qvr_watchdog *w);

/* The last resort: a task stuck where no hook reaches (C code such as a
 * pattern match that backtracks for ever, a __gc that loops) would keep
 * the process alive for ever. When one has not returned for grace_ns (2 s
 * at least) after a signal, or for 2 s after a second signal, the
 * watchdog thread marks each such ctx abandoned (its loop's thread stays
 * blocked once the task returns) and calls fn(ud), which writes what it
 * can and returns the exit code the process ends with, or -1 when it has
 * asked another thread to do so (that thread then ends the process; it
 * must not call qvr_watchdog_stop). fn NULL: an error line, no results,
 * exit 130. fn runs on the watchdog thread. */
void qvr_watchdog_last_resort(struct qvr_watchdog *w, uint64_t grace_ns,
                              int (*fn)(void *ud), void *ud);

/* 1 once SIGINT, SIGTERM or SIGHUP arrived while w ran, possibly before the
 * loop's own signal event has run (a task that blocked the loop was stopped
 * first): a caller about to start work can wait for that event instead.
 * 0 for NULL. */
int qvr_watchdog_signalled(const struct qvr_watchdog *w);

/* Replaces coroutine.resume, close and wrap in L's globals with ones
 * that tell the watchdog which coroutine runs (a loop inside a coroutine
 * that a task made is stopped as one in the task). Call it before the
 * scenario file runs, so that no copy of Lua's own is kept. */
void qvr_vu_install(lua_State *L);

/* Frees what the VUs of ctx created in it (after every VU is freed). */
void qvr_vu_ctx_cleanup(struct qvr_vu_ctx *ctx);

enum qvr_vu_state {
    QVR_VU_IDLE,  /* created, not started */
    QVR_VU_READY, /* an iteration is about to start (timer or ready list) */
    QVR_VU_HTTP,  /* waiting for a response */
    QVR_VU_SLEEP, /* in sleep() */
    QVR_VU_THINK, /* waiting between iterations */
    QVR_VU_FREE,  /* open model: done, waiting for a scheduled start */
    QVR_VU_STOPPED
};

struct qvr_vu {
    struct qvr_vu_ctx *ctx;
    int id;
    enum qvr_vu_state state;
    lua_State *co; /* the coroutine of this iteration (anchored by co_ref);
                      NULL while the user thinks or waits */
    int co_ref;
    int body_ref; /* request body anchored while in flight */
    struct qvr_http_xfer *xfer;
    struct event *timer;
    struct qvr_vu *ready_next; /* ctx's ready list */
    int on_ready;              /* 1: on that list; 2: taken to run */
    int task;                  /* task of the current iteration */
    uint64_t iter_start_ns;
    uint64_t iter_intended_ns; /* open model: scheduled start of the
                                  iteration; its first request counts
                                  from here (0: from its own send) */
    uint64_t t_intended_ns;    /* intended start of the current request */
    int stop_requested; /* 1: after this iteration (qvr_vu_stop); 2: before
                           its next request (qvr_vu_withdraw) */
    /* The last response, recorded once the task moves on, so that check()
     * and fail() can still mark it failed. */
    int pending;
    uint64_t pending_seq;
    struct qvr_sample sample;
    char name[128];            /* request name of the pending/in-flight */
    const char *method;        /* its method (static string) */
    struct qvr_buf url;        /* scratch: the request URL */
    struct qvr_buf hdrs;       /* scratch: header lines */
    struct qvr_buf text;       /* a stream's output text, when the task asks */
    int want_text;             /* the request in flight asked for it */
    struct qvr_metrics *gap_m; /* where the in-flight stream's gaps go: */
    struct qvr_stat *gap_name; /* its name stat in gap_m (NULL: look up) */
};

/* Creates a VU (its coroutine, easy handle and timer). The caller frees
 * with qvr_vu_free. NULL on failure. */
struct qvr_vu *qvr_vu_new(struct qvr_vu_ctx *ctx, int id);

/* Cancels whatever the VU waits for and frees it. NULL is a no-op. */
void qvr_vu_free(struct qvr_vu *vu);

/* Starts the VU's first iteration at the next loop pass. */
void qvr_vu_start(struct qvr_vu *vu);

/* Open model: runs one iteration scheduled for intended_ns (monotonic) at
 * the next loop pass; the VU is FREE again (on_free) when it ends. */
void qvr_vu_begin(struct qvr_vu *vu, uint64_t intended_ns);

/* Asks the VU to stop after its current iteration (or now, when it is only
 * thinking between iterations). */
void qvr_vu_stop(struct qvr_vu *vu);

/* The load plan no longer wants the VU (a ramp down, a smaller step): it
 * stops now when it thinks, waits or sleeps; else its task sends no
 * further request (it is dropped where it would send one or sleep) and the
 * VU stops once its request in flight is answered, or at the end of
 * ctx->stop_grace_ns (see on_grace_over). */
void qvr_vu_withdraw(struct qvr_vu *vu);

/* Takes back a stop request (qvr_vu_stop, qvr_vu_withdraw) that has not
 * taken effect yet: the VU goes on with its task, no grace period
 * running. */
void qvr_vu_keep(struct qvr_vu *vu);

/* Drops any in-flight work without recording it (end of grace period).
 * Returns 1 if a request was in flight. */
int qvr_vu_abort(struct qvr_vu *vu);

/* The VU running on coroutine co, or NULL outside a VU (e.g. at load). */
struct qvr_vu *qvr_vu_current(lua_State *co);

/* Bindings: start an HTTP request and mark the VU as waiting; the caller
 * then returns lua_yield(co, 0). The response table is pushed when the
 * coroutine is resumed. name may be NULL (then the URL's path). The body at
 * stack index body_idx (0: none) is anchored until completion. Returns 0 or
 * a negative qvr_err (bad URL, busy). A withdrawn VU sends nothing: 0, and
 * its task is dropped once the binding has yielded. */
int qvr_vu_http(struct qvr_vu *vu, const struct qvr_http_request *req,
                const char *name, int body_idx);

/* Bindings: sleep for ns, then resume with no values (a withdrawn VU does
 * not sleep: its task is dropped, as in qvr_vu_http). */
void qvr_vu_sleep(struct qvr_vu *vu, uint64_t ns);

/* Bindings: a check() named label on response sequence seq (0: none). A
 * false check marks that response failed, as kind (QVR_FAIL_CHECK or
 * QVR_FAIL_INVALID_JSON), if it is still pending and not failed yet. */
void qvr_vu_check(struct qvr_vu *vu, uint64_t seq, const char *label, int ok,
                  enum qvr_fail_kind kind);

/* Records the pending response now. */
void qvr_vu_commit(struct qvr_vu *vu);

/* Uniform double in [0, 1) from the ctx's generator. */
double qvr_vu_rand(struct qvr_vu_ctx *ctx);

#endif
