/* mock.c -- the simulated reranker's and LLM server's HTTP server.
 *
 * One event base runs everything: evhttp reads a request, the handler
 * validates it (mock_model.c) and either answers at once (4xx, /health,
 * /metrics, 503 when the queue is full) or puts a job on the FIFO queue.
 * A free slot takes up to `batch` jobs from the queue as one pass and arms
 * its one-shot timer for the pass time; when it fires every job of the
 * pass is answered (or held while a stall lasts, or faulted), the slot is
 * free again and the queue is served. Nothing sleeps and nothing spawns a
 * thread per request; the only thread is the one qvr_mock_start creates to
 * run the base (qvr_mock_serve runs it in the caller's thread).
 *
 * The LLM routes share the base: a request is parsed (mock_llm.c), becomes
 * a `struct stream` and a sequence of the engine; one timer fires at the
 * engine's next token time, and the engine's emit callback writes each
 * token as an SSE chunk (or NDJSON line) to its stream, or the whole JSON
 * answer at the last one. A once-a-second reaper frees the streams whose
 * clients left while nothing was being written to them.
 *
 * Randomness (jitter, faults) comes from one splitmix64 stream seeded by
 * --seed and drawn in event order, so a run with the same requests in the
 * same order gives the same times and faults. */
#include "mock.h"

#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <stddef.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/util.h>

#include "clock.h"
#include "log.h"
#include "qvr.h"

#define MAX_HEADERS_SIZE (64 * 1024)
#define HTTP_TIMEOUT_S 600
#define LISTEN_BACKLOG 4096
#define MAX_PASS_NS 3600e9 /* a leak over days must not overflow */

/* What happens to an accepted request when its pass ends. Decided at
 * arrival, applied at the answer: a fault costs its service time, as a
 * failing forward pass does. */
enum fault {
    FAULT_NONE = 0,
    FAULT_DROP,   /* connection reset, no answer */
    FAULT_ERROR,  /* 500 with a JSON error */
    FAULT_GARBAGE /* 200 with a body that is not JSON */
};

struct qvr_mock;

/* A fault of an LLM stream, drawn at arrival (docs/mock.md). */
enum sfault {
    SF_NONE = 0,
    SF_HANG,      /* headers (or nothing), then no token ever */
    SF_CUT,       /* the connection is closed after fault_at tokens */
    SF_ERROR,     /* an error event after fault_at tokens, then the end */
    SF_MALFORMED, /* one event that is not JSON after fault_at tokens */
    SF_HUGE,      /* token fault_at is one event of 1 MiB of content */
    SF_ENDLESS    /* never ends */
};

/* One LLM request, from arrival to its last byte. */
struct stream {
    struct qvr_mock *m;
    struct evhttp_request *req;   /* evhttp's; detached when the client left */
    struct qvr_mock_llm_seq *seq; /* in the engine; NULL when out of it */
    struct qvr_mock_llm_req r;    /* the parsed request */
    char *model;                  /* JSON-escaped model name, quoted, owned */
    uint64_t id;                  /* for "chatcmpl-<id>" */
    uint64_t arrival_ns;
    uint64_t first_ns; /* first token sent */
    long long created; /* Unix seconds at arrival */
    uint64_t n;        /* output tokens of the answer */
    uint64_t sent;     /* tokens sent */
    enum sfault fault;
    uint64_t fault_at; /* token index of a mid-stream fault */
    int started;       /* reply headers sent (a stream) */
    int finished;      /* no more writes: cut, or hung */
    struct stream *prev, *next;
};

/* One accepted rerank request, from arrival to answer. */
struct job {
    struct qvr_mock *m;
    struct evhttp_request *req; /* evhttp's until answered or dropped */
    struct qvr_mock_work work;  /* scores and token counts, owned */
    uint64_t arrival_ns;        /* handler ran */
    uint64_t start_ns;          /* its pass began */
    uint64_t infer_ns;          /* its pass's time */
    enum fault fault;
    int garbage_html; /* garbage kind: HTML page or cut JSON */
    struct job *next; /* in the queue or the held list */
};

/* One simulated GPU worker. */
struct slot {
    struct qvr_mock *m;
    struct event *timer;                /* the pass's end, owned */
    struct job **jobs;                  /* batch entries, owned array */
    const struct qvr_mock_work **works; /* same jobs' work, for the model */
    int n;                              /* jobs in the pass; 0 = idle */
    uint64_t pass_ns;
};

/* Prometheus histogram bounds of qvr_mock_service_seconds. */
static const double service_bounds[] = {0.001, 0.0025, 0.005, 0.01, 0.025,
                                        0.05,  0.1,    0.25,  0.5,  1.0,
                                        2.5,   5.0,    10.0,  30.0};
#define NBOUNDS QVR_ARRAY_LEN(service_bounds)

struct qvr_mock {
    struct qvr_mock_config cfg;
    struct event_base *base;
    struct evhttp *http;
    int port;
    char addr[80];                /* "127.0.0.1:PORT" or "[::1]:PORT" */
    uint64_t start_ns;            /* for the leak and the stall schedule */
    uint64_t rng;                 /* splitmix64 state */
    const struct timeval *common; /* shared timeout for fixed pass times */

    struct slot *slots; /* cfg.slots of them */
    struct slot **idle; /* stack of idle slots */
    int nidle;
    struct job *qhead, *qtail; /* FIFO of waiting jobs */
    int qlen;
    struct job *held, *held_tail; /* answers held by a stall */
    struct event *stall_timer;    /* the current stall's end */
    int inflight;                 /* jobs in a pass or held */

    struct evbuffer *out; /* scratch reply body */
    char *print;          /* scratch for cJSON_PrintPreallocated */
    int print_len;
    char *health; /* the /health body, built once */

    uint64_t by_code[600]; /* answers by status, API paths only */
    uint64_t dropped;
    uint64_t hist[NBOUNDS + 1]; /* service-time buckets (+Inf last) */
    double hist_sum;            /* seconds */
    uint64_t hist_count;

    /* The LLM routes: one engine, one timer for its next token, and the
     * list of every stream from arrival to its last byte. */
    struct qvr_mock_llm *llm;
    struct event *llm_timer; /* the engine's next token is due */
    struct event *reaper;    /* looks for clients that left, each second */
    struct stream *streams;  /* doubly linked, owned */
    int nstreams;
    uint64_t llm_ids;       /* completion ids */
    uint64_t llm_faults[8]; /* stream faults applied, by enum sfault */
    char *huge;             /* the --stream-huge content, built once */

    int wake_fd; /* eventfd that stops the thread */
    struct event *wake;
    struct event *sigint, *sigterm;
    pthread_t thread;
    int running; /* the thread was started */
};

/* ---- randomness --------------------------------------------------------- */

static uint64_t rng_next(struct qvr_mock *m)
{
    uint64_t z = (m->rng += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static double rng_unit(struct qvr_mock *m)
{
    return (double)(rng_next(m) >> 11) * 0x1.0p-53;
}

/* Standard normal by Box-Muller (two draws, one value). */
static double rng_normal(struct qvr_mock *m)
{
    double u1 = 1.0 - rng_unit(m), u2 = rng_unit(m);

    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

/* ---- answers ------------------------------------------------------------ */

static void add_ms_header(struct evkeyvalq *h, const char *name, uint64_t ns)
{
    char v[32];

    snprintf(v, sizeof(v), "%.3f", (double)ns / 1e6);
    evhttp_add_header(h, name, v);
}

/* Sends m->out (drained) with status code and the common headers. */
static void send_out(struct qvr_mock *m, struct evhttp_request *req, int code,
                     const char *type, uint64_t queue_ns, uint64_t infer_ns)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);

    evhttp_add_header(h, "Content-Type", type);
    add_ms_header(h, "X-Queue-Ms", queue_ns);
    add_ms_header(h, "X-Infer-Ms", infer_ns);
    evhttp_send_reply(req, code, NULL, m->out);
    evbuffer_drain(m->out, evbuffer_get_length(m->out));
}

/* Prints j into m->print (grown as needed) and appends it to m->out.
 * Returns 0 or -1 when out of memory. */
static int out_json(struct qvr_mock *m, cJSON *j)
{
    for (;;) {
        if (m->print != NULL &&
            cJSON_PrintPreallocated(j, m->print, m->print_len, 0)) {
            evbuffer_add(m->out, m->print, strlen(m->print));
            return 0;
        }
        if (m->print_len > (1 << 28))
            return -1;
        free(m->print);
        m->print_len = m->print_len ? m->print_len * 2 : 4096;
        m->print = malloc((size_t)m->print_len);
        if (m->print == NULL) {
            m->print_len = 0;
            return -1;
        }
    }
}

static void count(struct qvr_mock *m, int code)
{
    if (code >= 0 && code < (int)QVR_ARRAY_LEN(m->by_code))
        m->by_code[code]++;
}

/* Answers {"error": msg} with code at once (no queueing). */
static void reply_error(struct qvr_mock *m, struct evhttp_request *req,
                        int code, const char *msg)
{
    cJSON *j = cJSON_CreateObject();

    if (j == NULL || cJSON_AddStringToObject(j, "error", msg) == NULL ||
        out_json(m, j) != 0) {
        evbuffer_drain(m->out, evbuffer_get_length(m->out));
        evbuffer_add(m->out, "{\"error\":\"internal\"}", 20);
    }
    cJSON_Delete(j);
    count(m, code);
    send_out(m, req, code, "application/json", 0, 0);
}

/* The document indexes in order of descending score (ties: lower index
 * first). Returns a malloc'd array or NULL. */
static int *rank_order(const struct qvr_mock_work *w)
{
    int *idx = malloc((size_t)w->docs * sizeof(*idx));
    int i, k;

    if (idx == NULL)
        return NULL;
    /* Insertion sort: n is at most max_docs and usually tens. */
    for (i = 0; i < w->docs; i++) {
        for (k = i; k > 0 && w->scores[idx[k - 1]] < w->scores[i]; k--)
            idx[k] = idx[k - 1];
        idx[k] = i;
    }
    return idx;
}

/* A score as it goes on the wire: six decimals. */
static double wire(double s)
{
    return round(s * 1e6) / 1e6;
}

/* Builds the dialect's answer for w. Returns NULL when out of memory. */
static cJSON *answer_json(const struct qvr_mock_work *w)
{
    cJSON *root = NULL, *arr, *o;
    int *idx = NULL, i;

    if (w->dialect == QVR_MOCK_QWEN3VL) {
        root = cJSON_CreateObject();
        arr = cJSON_AddArrayToObject(root, "scores");
        if (arr == NULL)
            goto fail;
        for (i = 0; i < w->docs; i++) {
            o = cJSON_CreateNumber(wire(w->scores[i]));
            if (o == NULL || !cJSON_AddItemToArray(arr, o))
                goto fail;
        }
        return root;
    }
    idx = rank_order(w);
    if (idx == NULL)
        goto fail;
    if (w->dialect == QVR_MOCK_COHERE) {
        root = cJSON_CreateObject();
        if (cJSON_AddStringToObject(root, "model", "qvr-mock") == NULL)
            goto fail;
        arr = cJSON_AddArrayToObject(root, "results");
    } else {
        root = arr = cJSON_CreateArray();
    }
    if (arr == NULL)
        goto fail;
    for (i = 0; i < w->top_n; i++) {
        o = cJSON_CreateObject();
        if (o == NULL || !cJSON_AddItemToArray(arr, o) ||
            cJSON_AddNumberToObject(o, "index", idx[i]) == NULL ||
            cJSON_AddNumberToObject(
                o, w->dialect == QVR_MOCK_COHERE ? "relevance_score" : "score",
                wire(w->scores[idx[i]])) == NULL)
            goto fail;
    }
    free(idx);
    return root;

fail:
    free(idx);
    cJSON_Delete(root);
    return NULL;
}

static void job_free(struct job *j)
{
    if (j == NULL)
        return;
    qvr_mock_work_clear(&j->work);
    free(j);
}

/* Kills the job's connection in the middle of its answer: the status line
 * goes out, then a TCP reset. libcurl silently retries a request on a
 * fresh connection when a reused one dies before any byte of the answer
 * (even by a reset), so a drop with nothing written would only show when
 * the retry is dropped too; one complete line makes every drop a failure
 * the client reports ("connection reset by peer"). */
static void drop_req(struct evhttp_request *req)
{
    static const char line[] = "HTTP/1.1 200 OK\r\n";
    struct evhttp_connection *c = evhttp_request_get_connection(req);
    struct bufferevent *bev;
    struct sockaddr sa;
    evutil_socket_t fd;

    if (c == NULL) {
        /* The client went away first; the request is ours to free. */
        evhttp_request_free(req);
        return;
    }
    bev = evhttp_connection_get_bufferevent(c);
    fd = bev != NULL ? bufferevent_getfd(bev) : -1;
    if (fd >= 0) {
        if (send(fd, line, sizeof(line) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
            qvr_debug("mock: drop: %s", strerror(errno));
        /* Linux: connect(AF_UNSPEC) on a connected TCP socket aborts it
         * with an RST and leaves the descriptor for evhttp to close. */
        memset(&sa, 0, sizeof(sa));
        sa.sa_family = AF_UNSPEC;
        if (connect(fd, &sa, sizeof(sa)) != 0)
            qvr_debug("mock: drop: %s", strerror(errno));
    }
    evhttp_connection_free(c); /* frees req too */
}

/* Answers (or drops) a job whose pass is over, then frees it. */
static void answer(struct qvr_mock *m, struct job *j)
{
    uint64_t queue_ns = j->start_ns - j->arrival_ns;
    cJSON *body = NULL;
    int code = 200;

    m->inflight--;
    if (j->fault == FAULT_DROP) {
        m->dropped++;
        drop_req(j->req);
        job_free(j);
        return;
    }
    if (j->fault == FAULT_ERROR) {
        code = 500;
        body = cJSON_CreateObject();
        cJSON_AddStringToObject(body, "error", "simulated internal error");
    } else {
        body = answer_json(&j->work);
    }
    if (body == NULL || out_json(m, body) != 0) {
        evbuffer_drain(m->out, evbuffer_get_length(m->out));
        evbuffer_add(m->out, "{\"error\":\"out of memory\"}", 25);
        code = 500;
    } else if (j->fault == FAULT_GARBAGE) {
        size_t len = evbuffer_get_length(m->out);

        if (j->garbage_html) {
            static const char html[] =
                "<!DOCTYPE html><html><head><title>502 Bad Gateway</title>"
                "</head><body>upstream error</body></html>\n";

            evbuffer_drain(m->out, len);
            evbuffer_add(m->out, html, sizeof(html) - 1);
        } else {
            /* A strict prefix of a JSON object or array never parses. */
            struct evbuffer *cut = evbuffer_new();

            if (cut != NULL) {
                evbuffer_remove_buffer(m->out, cut, len / 2 + 1);
                evbuffer_drain(m->out, evbuffer_get_length(m->out));
                evbuffer_add_buffer(m->out, cut);
                evbuffer_free(cut);
            }
        }
    }
    cJSON_Delete(body);
    count(m, code);
    send_out(m, j->req, code, "application/json", queue_ns, j->infer_ns);
    job_free(j);
}

/* ---- stalls ------------------------------------------------------------- */

/* When now falls in a stall, stores the stall's end in *end and returns 1;
 * else 0. A stall is the last D of every period P after start, [k P - D,
 * k P) for k >= 1: the start is clean, and a run that lasts a whole number
 * of periods meets exactly D/P of stalled time. */
static int in_stall(const struct qvr_mock *m, uint64_t now, uint64_t *end)
{
    uint64_t up, phase, p = m->cfg.stall_period_ns;

    if (p == 0 || now < m->start_ns)
        return 0;
    up = now - m->start_ns;
    phase = up % p;
    if (phase < p - m->cfg.stall_ns)
        return 0;
    *end = now + (p - phase);
    return 1;
}

static void arm(struct event *ev, uint64_t ns)
{
    struct timeval tv;

    tv.tv_sec = (time_t)(ns / QVR_NS_PER_S);
    tv.tv_usec = (suseconds_t)((ns % QVR_NS_PER_S + 999) / 1000);
    if (tv.tv_usec >= 1000000) {
        tv.tv_sec++;
        tv.tv_usec -= 1000000;
    }
    evtimer_add(ev, &tv);
}

/* The stall is over: answer everything it held, in order. */
static void on_stall_end(evutil_socket_t fd, short what, void *arg)
{
    struct qvr_mock *m = arg;
    struct job *j, *next;
    uint64_t end, now = qvr_clock_ns();

    (void)fd;
    (void)what;
    if (in_stall(m, now, &end)) {
        /* The timer fired a little early: wait out the rest. */
        arm(m->stall_timer, end - now);
        return;
    }
    j = m->held;
    m->held = m->held_tail = NULL;
    for (; j != NULL; j = next) {
        next = j->next;
        answer(m, j);
    }
}

/* Answers j now, or holds it until the current stall ends. */
static void finish(struct qvr_mock *m, struct job *j, uint64_t now)
{
    uint64_t end;

    if (!in_stall(m, now, &end)) {
        answer(m, j);
        return;
    }
    j->next = NULL;
    if (m->held_tail != NULL)
        m->held_tail->next = j;
    else
        m->held = j;
    m->held_tail = j;
    if (!evtimer_pending(m->stall_timer, NULL))
        arm(m->stall_timer, end - now);
}

/* ---- the service model -------------------------------------------------- */

static void record_service(struct qvr_mock *m, uint64_t ns, int n)
{
    double s = (double)ns / 1e9;
    size_t b = 0;

    while (b < NBOUNDS && s > service_bounds[b])
        b++;
    m->hist[b] += (uint64_t)n;
    m->hist_sum += s * n;
    m->hist_count += (uint64_t)n;
}

/* Starts passes on idle slots while jobs wait. */
static void dispatch(struct qvr_mock *m)
{
    while (m->qhead != NULL && m->nidle > 0) {
        struct slot *s = m->idle[--m->nidle];
        uint64_t now = qvr_clock_ns();
        double t;
        int i;

        s->n = 0;
        while (s->n < m->cfg.batch && m->qhead != NULL) {
            struct job *j = m->qhead;

            m->qhead = j->next;
            if (m->qhead == NULL)
                m->qtail = NULL;
            m->qlen--;
            j->next = NULL;
            s->jobs[s->n] = j;
            s->works[s->n] = &j->work;
            s->n++;
        }
        t = (double)qvr_mock_pass_ns(&m->cfg, s->works, s->n);
        if (m->cfg.jitter_sigma > 0.0)
            t *= exp(m->cfg.jitter_sigma * rng_normal(m));
        if (m->cfg.leak_per_min > 0.0)
            t *= 1.0 + m->cfg.leak_per_min * (double)(now - m->start_ns) /
                           (60.0 * QVR_NS_PER_S);
        if (t > MAX_PASS_NS)
            t = MAX_PASS_NS;
        s->pass_ns = (uint64_t)llround(t);
        for (i = 0; i < s->n; i++) {
            s->jobs[i]->start_ns = now;
            s->jobs[i]->infer_ns = s->pass_ns;
        }
        m->inflight += s->n;
        if (m->common != NULL)
            evtimer_add(s->timer, m->common);
        else
            arm(s->timer, s->pass_ns);
    }
}

static void on_pass_end(evutil_socket_t fd, short what, void *arg)
{
    struct slot *s = arg;
    struct qvr_mock *m = s->m;
    uint64_t now = qvr_clock_ns();
    int i, n = s->n;

    (void)fd;
    (void)what;
    record_service(m, s->pass_ns, n);
    s->n = 0;
    m->idle[m->nidle++] = s;
    for (i = 0; i < n; i++)
        finish(m, s->jobs[i], now);
    dispatch(m);
}

/* ---- endpoints ---------------------------------------------------------- */

static void handle_rerank(struct qvr_mock *m, struct evhttp_request *req,
                          enum qvr_mock_dialect d)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(in);
    const char *body = len > 0 ? (const char *)evbuffer_pullup(in, -1) : "";
    char err[160];
    struct job *j;
    int status;
    double u_drop, u_err, u_garbage, u_kind;

    j = calloc(1, sizeof(*j));
    if (j == NULL || body == NULL) {
        free(j);
        reply_error(m, req, 500, "out of memory");
        return;
    }
    status = qvr_mock_work_parse(&j->work, d, body, len, m->cfg.max_docs, err,
                                 sizeof(err));
    if (status != 0) {
        job_free(j);
        reply_error(m, req, status, err);
        return;
    }
    if (m->nidle == 0 && m->qlen >= m->cfg.queue) {
        job_free(j);
        evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After",
                          "1");
        reply_error(m, req, 503, "queue full");
        return;
    }
    j->m = m;
    j->req = req;
    j->arrival_ns = qvr_clock_ns();
    /* Always four draws, so the stream stays aligned whatever the rates. */
    u_drop = rng_unit(m);
    u_err = rng_unit(m);
    u_garbage = rng_unit(m);
    u_kind = rng_unit(m);
    if (u_drop < m->cfg.drop_rate)
        j->fault = FAULT_DROP;
    else if (u_err < m->cfg.error_rate)
        j->fault = FAULT_ERROR;
    else if (u_garbage < m->cfg.garbage_rate)
        j->fault = FAULT_GARBAGE;
    j->garbage_html = u_kind < 0.5;
    if (m->qtail != NULL)
        m->qtail->next = j;
    else
        m->qhead = j;
    m->qtail = j;
    m->qlen++;
    dispatch(m);
}

static void handle_health(struct qvr_mock *m, struct evhttp_request *req)
{
    evbuffer_add(m->out, m->health, strlen(m->health));
    send_out(m, req, 200, "application/json", 0, 0);
}

/* The LLM engine's gauges and counters, Prometheus text. */
static void llm_metrics(struct qvr_mock *m, struct evbuffer *b)
{
    static const char *const kinds[] = {"",          "hang", "cut",    "error",
                                        "malformed", "huge", "endless"};
    struct qvr_mock_llm_stats st;
    size_t i;

    qvr_mock_llm_stats(m->llm, &st);
    evbuffer_add_printf(
        b,
        "# HELP qvr_mock_llm_running Sequences in the LLM engine's batch.\n"
        "# TYPE qvr_mock_llm_running gauge\n"
        "qvr_mock_llm_running %d\n"
        "# HELP qvr_mock_llm_waiting Sequences waiting for a place in the "
        "batch.\n"
        "# TYPE qvr_mock_llm_waiting gauge\n"
        "qvr_mock_llm_waiting %d\n"
        "# HELP qvr_mock_llm_kv_tokens_used KV cache tokens reserved by the "
        "batch.\n"
        "# TYPE qvr_mock_llm_kv_tokens_used gauge\n"
        "qvr_mock_llm_kv_tokens_used %llu\n"
        "# HELP qvr_mock_llm_streams LLM requests open (answering, waiting "
        "or held by a fault).\n"
        "# TYPE qvr_mock_llm_streams gauge\n"
        "qvr_mock_llm_streams %d\n"
        "# HELP qvr_mock_llm_tokens_total Output tokens generated.\n"
        "# TYPE qvr_mock_llm_tokens_total counter\n"
        "qvr_mock_llm_tokens_total %llu\n"
        "# HELP qvr_mock_llm_prompt_tokens_total Prompt tokens prefilled.\n"
        "# TYPE qvr_mock_llm_prompt_tokens_total counter\n"
        "qvr_mock_llm_prompt_tokens_total %llu\n"
        "# HELP qvr_mock_llm_steps_total Engine steps run.\n"
        "# TYPE qvr_mock_llm_steps_total counter\n"
        "qvr_mock_llm_steps_total %llu\n"
        "# HELP qvr_mock_llm_stream_faults_total Stream faults applied, by "
        "kind.\n"
        "# TYPE qvr_mock_llm_stream_faults_total counter\n",
        st.running, st.waiting, (unsigned long long)st.kv_used, m->nstreams,
        (unsigned long long)st.tokens, (unsigned long long)st.prefilled,
        (unsigned long long)st.steps);
    for (i = 1; i < QVR_ARRAY_LEN(kinds); i++)
        evbuffer_add_printf(b,
                            "qvr_mock_llm_stream_faults_total{kind=\"%s\"} "
                            "%llu\n",
                            kinds[i], (unsigned long long)m->llm_faults[i]);
}

static void handle_metrics(struct qvr_mock *m, struct evhttp_request *req)
{
    struct evbuffer *b = m->out;
    uint64_t cum = 0, end;
    size_t i;

    evbuffer_add_printf(b, "# HELP qvr_mock_requests_total Answers to the API "
                           "paths by status code.\n"
                           "# TYPE qvr_mock_requests_total counter\n");
    for (i = 0; i < QVR_ARRAY_LEN(m->by_code); i++) {
        if (m->by_code[i] > 0)
            evbuffer_add_printf(b,
                                "qvr_mock_requests_total{code=\"%zu\"} "
                                "%llu\n",
                                i, (unsigned long long)m->by_code[i]);
    }
    evbuffer_add_printf(
        b,
        "# HELP qvr_mock_dropped_total Connections reset without an "
        "answer.\n"
        "# TYPE qvr_mock_dropped_total counter\n"
        "qvr_mock_dropped_total %llu\n"
        "# HELP qvr_mock_queue_depth Requests waiting for a slot.\n"
        "# TYPE qvr_mock_queue_depth gauge\n"
        "qvr_mock_queue_depth %d\n"
        "# HELP qvr_mock_inflight Requests in a pass or held by a stall.\n"
        "# TYPE qvr_mock_inflight gauge\n"
        "qvr_mock_inflight %d\n"
        "# HELP qvr_mock_slots_busy Slots running a pass.\n"
        "# TYPE qvr_mock_slots_busy gauge\n"
        "qvr_mock_slots_busy %d\n"
        "# HELP qvr_mock_stalled 1 while a simulated stall holds answers.\n"
        "# TYPE qvr_mock_stalled gauge\n"
        "qvr_mock_stalled %d\n"
        "# HELP qvr_mock_service_seconds Simulated pass time per request.\n"
        "# TYPE qvr_mock_service_seconds histogram\n",
        (unsigned long long)m->dropped, m->qlen, m->inflight,
        m->cfg.slots - m->nidle, in_stall(m, qvr_clock_ns(), &end));
    for (i = 0; i < NBOUNDS; i++) {
        cum += m->hist[i];
        evbuffer_add_printf(b,
                            "qvr_mock_service_seconds_bucket{le=\"%g\"} "
                            "%llu\n",
                            service_bounds[i], (unsigned long long)cum);
    }
    cum += m->hist[NBOUNDS];
    evbuffer_add_printf(b,
                        "qvr_mock_service_seconds_bucket{le=\"+Inf\"} %llu\n"
                        "qvr_mock_service_seconds_sum %.9f\n"
                        "qvr_mock_service_seconds_count %llu\n",
                        (unsigned long long)cum, m->hist_sum,
                        (unsigned long long)m->hist_count);
    llm_metrics(m, b);
    send_out(m, req, 200, "text/plain; version=0.0.4; charset=utf-8", 0, 0);
}

/* ---- LLM routes --------------------------------------------------------- */

#define HUGE_EVENT_BYTES (1 << 20) /* content of a --stream-huge event */
#define STREAM_OUT_CAP (16 << 20)  /* unread bytes before a client is cut */

/* The words an answer is made of: one word per output token. */
static const char *const vocab[] = {
    "the",       "model",  "answers", "with",   "tokens",  "that",
    "arrive",    "one",    "by",      "one",    "from",    "a",
    "simulated", "GPU",    "batch",   "of",     "many",    "requests",
    "each",      "step",   "takes",   "longer", "when",    "more",
    "sequences", "share",  "it",      "and",    "prompts", "are",
    "prefilled", "in",     "chunks",  "while",  "others",  "decode",
    "latency",   "grows",  "under",   "load",   "so",      "measure",
    "time",      "to",     "first",   "token",  "inter",   "gaps",
    "output",    "rate",   "cache",   "memory", "queue",   "waits",
    "until",     "room",   "frees",   "up",     "again",   "fast",
    "steady",    "stream", "ends",    "here",
};

/* The word of output token k (1-based) of completion id. */
static const char *token_word(uint64_t id, uint64_t k)
{
    uint64_t h = id * 0x9e3779b97f4a7c15ULL + k * 0xbf58476d1ce4e5b9ULL;

    h ^= h >> 31;
    h *= 0x94d049bb133111ebULL;
    h ^= h >> 29;
    return vocab[h % QVR_ARRAY_LEN(vocab)];
}

static const char *stream_model(const struct stream *s)
{
    return s->r.model[0] != '\0' ? s->r.model : s->m->cfg.model;
}

/* "length" when the answer stopped at the request's max_tokens. */
static const char *finish_reason(const struct stream *s)
{
    return s->r.max_tokens > 0 && s->n >= s->r.max_tokens ? "length" : "stop";
}

static void stream_free(struct qvr_mock *m, struct stream *s)
{
    if (s->prev != NULL)
        s->prev->next = s->next;
    else
        m->streams = s->next;
    if (s->next != NULL)
        s->next->prev = s->prev;
    m->nstreams--;
    free(s->model);
    free(s);
}

/* The client of s has left (or must be cut off): takes s out of the
 * engine, releases its request (and its connection, when libevent has not
 * closed it yet) and frees s. */
static void stream_abandon(struct qvr_mock *m, struct stream *s)
{
    struct evhttp_connection *c = evhttp_request_get_connection(s->req);

    if (s->seq != NULL)
        qvr_mock_llm_cancel(m->llm, s->seq, qvr_clock_ns());
    s->seq = NULL;
    if (c == NULL)
        evhttp_request_free(s->req);
    else
        evhttp_connection_free(c); /* frees s->req too */
    stream_free(m, s);
}

/* Answers an LLM route's error: OpenAI's {"error": {...}} object, or
 * Ollama's {"error": "..."}. */
static void llm_error(struct qvr_mock *m, struct evhttp_request *req,
                      enum qvr_mock_llm_api api, int code, const char *type,
                      const char *msg)
{
    cJSON *j, *e;

    if (api == QVR_MOCK_LLM_OLLAMA_CHAT) {
        reply_error(m, req, code, msg);
        return;
    }
    j = cJSON_CreateObject();
    e = cJSON_AddObjectToObject(j, "error");
    if (e == NULL || cJSON_AddStringToObject(e, "message", msg) == NULL ||
        cJSON_AddStringToObject(e, "type", type) == NULL ||
        cJSON_AddNullToObject(e, "param") == NULL ||
        cJSON_AddNumberToObject(e, "code", code) == NULL ||
        out_json(m, j) != 0) {
        evbuffer_drain(m->out, evbuffer_get_length(m->out));
        evbuffer_add(m->out, "{\"error\":\"internal\"}", 20);
    }
    cJSON_Delete(j);
    count(m, code);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                      "application/json");
    evhttp_send_reply(req, code, NULL, m->out);
    evbuffer_drain(m->out, evbuffer_get_length(m->out));
}

/* Ollama's created_at: RFC 3339 UTC with nanoseconds. */
static void rfc3339_now(char *buf, size_t len)
{
    struct timespec ts;
    struct tm tm;
    char day[32];

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, len, "%s.%09ldZ", day, (long)ts.tv_nsec);
}

/* Appends the event carrying output token k to m->out; text NULL = the
 * token's word (with a space before all but the first). */
static void add_token_event(struct qvr_mock *m, struct stream *s, uint64_t k,
                            const char *text)
{
    struct evbuffer *b = m->out;
    const char *sp = k > 1 ? " " : "";
    unsigned long long id = (unsigned long long)s->id;
    char when[48];

    if (text == NULL)
        text = token_word(s->id, k);
    switch (s->r.api) {
    case QVR_MOCK_LLM_CHAT:
        if (k == 1) /* vLLM's first chunk: the role, no content */
            evbuffer_add_printf(
                b,
                "data: {\"id\":\"chatcmpl-%016llx\",\"object\":\"chat."
                "completion.chunk\",\"created\":%lld,\"model\":%s,"
                "\"choices\":[{\"index\":0,\"delta\":{\"role\":"
                "\"assistant\",\"content\":\"\"},\"logprobs\":null,"
                "\"finish_reason\":null}]}\n\n",
                id, s->created, s->model);
        evbuffer_add_printf(
            b,
            "data: {\"id\":\"chatcmpl-%016llx\",\"object\":\"chat.completion."
            "chunk\",\"created\":%lld,\"model\":%s,\"choices\":[{\"index\":0,"
            "\"delta\":{\"content\":\"%s",
            id, s->created, s->model, sp);
        evbuffer_add(b, text, strlen(text));
        evbuffer_add_printf(b, "\"},\"logprobs\":null,\"finish_reason\":"
                               "null}]}\n\n");
        break;
    case QVR_MOCK_LLM_COMPLETION:
        evbuffer_add_printf(b,
                            "data: {\"id\":\"cmpl-%016llx\",\"object\":\"text_"
                            "completion\",\"created\":%lld,\"model\":%s,"
                            "\"choices\":[{\"index\":0,\"text\":\"%s",
                            id, s->created, s->model, sp);
        evbuffer_add(b, text, strlen(text));
        evbuffer_add_printf(b, "\",\"logprobs\":null,\"finish_reason\":null,"
                               "\"stop_reason\":null}]}\n\n");
        break;
    default:
        rfc3339_now(when, sizeof(when));
        evbuffer_add_printf(b,
                            "{\"model\":%s,\"created_at\":\"%s\",\"message\":"
                            "{\"role\":\"assistant\",\"content\":\"%s",
                            s->model, when, sp);
        evbuffer_add(b, text, strlen(text));
        evbuffer_add_printf(b, "\"},\"done\":false}\n");
        break;
    }
}

/* Appends the end of a stream: the finish chunk, the usage chunk when
 * asked, and [DONE] (or Ollama's final line). */
static void add_finish(struct qvr_mock *m, struct stream *s, uint64_t now)
{
    struct evbuffer *b = m->out;
    unsigned long long id = (unsigned long long)s->id,
                       p = (unsigned long long)s->r.prompt_tokens,
                       n = (unsigned long long)s->sent;
    int chat = s->r.api == QVR_MOCK_LLM_CHAT;
    char when[48];

    if (s->r.api == QVR_MOCK_LLM_OLLAMA_CHAT) {
        uint64_t first = s->first_ns > 0 ? s->first_ns : now;

        rfc3339_now(when, sizeof(when));
        evbuffer_add_printf(
            b,
            "{\"model\":%s,\"created_at\":\"%s\",\"message\":{\"role\":"
            "\"assistant\",\"content\":\"\"},\"done\":true,\"done_reason\":"
            "\"%s\",\"total_duration\":%llu,\"load_duration\":0,"
            "\"prompt_eval_count\":%llu,\"prompt_eval_duration\":%llu,"
            "\"eval_count\":%llu,\"eval_duration\":%llu}\n",
            s->model, when, finish_reason(s),
            (unsigned long long)(now - s->arrival_ns), p,
            (unsigned long long)(first - s->arrival_ns), n,
            (unsigned long long)(now - first));
        return;
    }
    if (chat)
        evbuffer_add_printf(
            b,
            "data: {\"id\":\"chatcmpl-%016llx\",\"object\":\"chat.completion."
            "chunk\",\"created\":%lld,\"model\":%s,\"choices\":[{\"index\":0,"
            "\"delta\":{},\"logprobs\":null,\"finish_reason\":\"%s\"}]}\n\n",
            id, s->created, s->model, finish_reason(s));
    else
        evbuffer_add_printf(
            b,
            "data: {\"id\":\"cmpl-%016llx\",\"object\":\"text_completion\","
            "\"created\":%lld,\"model\":%s,\"choices\":[{\"index\":0,\"text\":"
            "\"\",\"logprobs\":null,\"finish_reason\":\"%s\",\"stop_reason\":"
            "null}]}\n\n",
            id, s->created, s->model, finish_reason(s));
    if (s->r.include_usage)
        evbuffer_add_printf(
            b,
            "data: {\"id\":\"%s%016llx\",\"object\":\"%s\",\"created\":%lld,"
            "\"model\":%s,\"choices\":[],\"usage\":{\"prompt_tokens\":%llu,"
            "\"total_tokens\":%llu,\"completion_tokens\":%llu}}\n\n",
            chat ? "chatcmpl-" : "cmpl-", id,
            chat ? "chat.completion.chunk" : "text_completion", s->created,
            s->model, p, p + n, n);
    evbuffer_add_printf(b, "data: [DONE]\n\n");
}

/* The text of the whole answer, tokens 1..n. Returns a malloc'd string or
 * NULL when out of memory. */
static char *answer_text(const struct stream *s)
{
    struct evbuffer *b = evbuffer_new();
    char *text = NULL;
    size_t len;
    uint64_t k;

    if (b == NULL)
        return NULL;
    for (k = 1; k <= s->n; k++)
        evbuffer_add_printf(b, "%s%s", k > 1 ? " " : "", token_word(s->id, k));
    len = evbuffer_get_length(b);
    text = malloc(len + 1);
    if (text != NULL) {
        evbuffer_remove(b, text, len);
        text[len] = '\0';
    }
    evbuffer_free(b);
    return text;
}

static cJSON *usage_json(const struct stream *s, int completion)
{
    cJSON *u = cJSON_CreateObject();
    double p = (double)s->r.prompt_tokens, n = (double)s->n;

    cJSON_AddNumberToObject(u, "prompt_tokens", p);
    cJSON_AddNumberToObject(u, "total_tokens", completion ? p + n : p);
    if (completion)
        cJSON_AddNumberToObject(u, "completion_tokens", n);
    return u;
}

/* A request that does not stream: the whole answer in one JSON. */
static void answer_llm(struct qvr_mock *m, struct stream *s, uint64_t now)
{
    cJSON *j = cJSON_CreateObject(), *arr, *c, *o;
    char id[40], when[48], *text = NULL;
    int i, d;

    if (s->r.api == QVR_MOCK_LLM_EMBEDDING) {
        cJSON_AddStringToObject(j, "object", "list");
        arr = cJSON_AddArrayToObject(j, "data");
        for (i = 0; arr != NULL && i < s->r.inputs; i++) {
            double *v = malloc((size_t)s->r.dims * sizeof(*v)), norm = 0.0;

            o = cJSON_CreateObject();
            cJSON_AddItemToArray(arr, o);
            cJSON_AddStringToObject(o, "object", "embedding");
            cJSON_AddNumberToObject(o, "index", i);
            if (v == NULL)
                break;
            for (d = 0; d < s->r.dims; d++) {
                uint64_t h = s->r.input_hash ^ ((uint64_t)i << 32) ^
                             (uint64_t)d * 0x9e3779b97f4a7c15ULL;

                h ^= h >> 33;
                h *= 0xff51afd7ed558ccdULL;
                h ^= h >> 33;
                v[d] = (double)(h >> 11) * 0x1.0p-52 - 1.0;
                norm += v[d] * v[d];
            }
            norm = norm > 0.0 ? sqrt(norm) : 1.0;
            for (d = 0; d < s->r.dims; d++)
                v[d] = round(v[d] / norm * 1e6) / 1e6;
            cJSON_AddItemToObject(o, "embedding",
                                  cJSON_CreateDoubleArray(v, s->r.dims));
            free(v);
        }
        cJSON_AddStringToObject(j, "model", stream_model(s));
        cJSON_AddItemToObject(j, "usage", usage_json(s, 0));
    } else if (s->r.api == QVR_MOCK_LLM_OLLAMA_CHAT) {
        text = answer_text(s);
        rfc3339_now(when, sizeof(when));
        cJSON_AddStringToObject(j, "model", stream_model(s));
        cJSON_AddStringToObject(j, "created_at", when);
        o = cJSON_AddObjectToObject(j, "message");
        cJSON_AddStringToObject(o, "role", "assistant");
        cJSON_AddStringToObject(o, "content", text != NULL ? text : "");
        cJSON_AddTrueToObject(j, "done");
        cJSON_AddStringToObject(j, "done_reason", finish_reason(s));
        cJSON_AddNumberToObject(j, "total_duration",
                                (double)(now - s->arrival_ns));
        cJSON_AddNumberToObject(j, "load_duration", 0);
        cJSON_AddNumberToObject(j, "prompt_eval_count",
                                (double)s->r.prompt_tokens);
        cJSON_AddNumberToObject(j, "eval_count", (double)s->n);
    } else {
        int chat = s->r.api == QVR_MOCK_LLM_CHAT;

        text = answer_text(s);
        snprintf(id, sizeof(id), "%s%016llx", chat ? "chatcmpl-" : "cmpl-",
                 (unsigned long long)s->id);
        cJSON_AddStringToObject(j, "id", id);
        cJSON_AddStringToObject(j, "object",
                                chat ? "chat.completion" : "text_completion");
        cJSON_AddNumberToObject(j, "created", (double)s->created);
        cJSON_AddStringToObject(j, "model", stream_model(s));
        arr = cJSON_AddArrayToObject(j, "choices");
        c = cJSON_CreateObject();
        cJSON_AddItemToArray(arr, c);
        cJSON_AddNumberToObject(c, "index", 0);
        if (chat) {
            o = cJSON_AddObjectToObject(c, "message");
            cJSON_AddStringToObject(o, "role", "assistant");
            cJSON_AddStringToObject(o, "content", text != NULL ? text : "");
        } else {
            cJSON_AddStringToObject(c, "text", text != NULL ? text : "");
        }
        cJSON_AddNullToObject(c, "logprobs");
        cJSON_AddStringToObject(c, "finish_reason", finish_reason(s));
        cJSON_AddItemToObject(j, "usage", usage_json(s, 1));
    }
    free(text);
    if (out_json(m, j) != 0) {
        cJSON_Delete(j);
        llm_error(m, s->req, s->r.api, 500, "InternalServerError",
                  "out of memory");
        return;
    }
    cJSON_Delete(j);
    count(m, 200);
    evhttp_add_header(evhttp_request_get_output_headers(s->req), "Content-Type",
                      "application/json");
    evhttp_send_reply(s->req, 200, NULL, m->out);
    evbuffer_drain(m->out, evbuffer_get_length(m->out));
}

/* After the last bytes before a cut have gone to the kernel: half-close,
 * so the client gets them, then a FIN in the middle of the body. */
static void on_cut_flushed(struct evhttp_connection *c, void *arg)
{
    struct bufferevent *bev = evhttp_connection_get_bufferevent(c);
    evutil_socket_t fd = bev != NULL ? bufferevent_getfd(bev) : -1;

    (void)arg;
    if (fd >= 0 && shutdown(fd, SHUT_WR) != 0)
        qvr_debug("mock: cut: %s", strerror(errno));
}

/* Unread output of s's connection, in bytes. */
static size_t pending_out(struct evhttp_request *req)
{
    struct evhttp_connection *c = evhttp_request_get_connection(req);
    struct bufferevent *bev =
        c != NULL ? evhttp_connection_get_bufferevent(c) : NULL;

    return bev != NULL ? evbuffer_get_length(bufferevent_get_output(bev)) : 0;
}

/* The engine's emit callback: sends token index of stream user. */
static int on_token(void *user, uint64_t index, uint64_t t, int last, void *arg)
{
    struct stream *s = user;
    struct qvr_mock *m = arg;
    uint64_t now = qvr_clock_ns();

    (void)t;
    if (evhttp_request_get_connection(s->req) == NULL ||
        pending_out(s->req) > STREAM_OUT_CAP) {
        s->seq = NULL; /* the engine drops it when this returns 1 */
        stream_abandon(m, s);
        return 1;
    }
    s->sent = index;
    if (index == 1)
        s->first_ns = now;
    if (!s->r.stream) {
        if (!last)
            return 0;
        answer_llm(m, s, now);
        s->seq = NULL;
        stream_free(m, s);
        return 1;
    }
    add_token_event(m, s, index,
                    s->fault == SF_HUGE && index == s->fault_at ? m->huge
                                                                : NULL);
    if (index == s->fault_at && s->fault != SF_NONE) {
        m->llm_faults[s->fault]++;
        if (s->fault == SF_MALFORMED) {
            evbuffer_add_printf(
                m->out,
                s->r.api == QVR_MOCK_LLM_OLLAMA_CHAT
                    ? "{\"model\":%s,\"message\":{\"content\":\n"
                    : "data: {\"model\":%s,\"choices\":[{\"delta\":{\n\n",
                s->model);
        } else if (s->fault == SF_ERROR) {
            evbuffer_add_printf(
                m->out, "%s",
                s->r.api == QVR_MOCK_LLM_OLLAMA_CHAT
                    ? "{\"error\":\"simulated error in the stream\"}\n"
                    : "data: {\"error\":{\"message\":\"simulated error in "
                      "the stream\",\"type\":\"InternalServerError\","
                      "\"param\":null,\"code\":500}}\n\ndata: [DONE]\n\n");
            evhttp_send_reply_chunk(s->req, m->out);
            evhttp_send_reply_end(s->req);
            s->seq = NULL;
            stream_free(m, s);
            return 1;
        } else if (s->fault == SF_CUT) {
            evhttp_send_reply_chunk_with_cb(s->req, m->out, on_cut_flushed,
                                            NULL);
            s->seq = NULL; /* stays listed until the client closes */
            s->finished = 1;
            return 1;
        }
    }
    if (last)
        add_finish(m, s, now);
    evhttp_send_reply_chunk(s->req, m->out);
    evbuffer_drain(m->out, evbuffer_get_length(m->out));
    if (!last)
        return 0;
    evhttp_send_reply_end(s->req);
    s->seq = NULL;
    stream_free(m, s);
    return 1;
}

/* Arms the engine's timer for its next token (or stops it when idle). */
static void llm_arm(struct qvr_mock *m)
{
    uint64_t next = qvr_mock_llm_next_ns(m->llm), now;

    if (next == UINT64_MAX) {
        evtimer_del(m->llm_timer);
        return;
    }
    now = qvr_clock_ns();
    arm(m->llm_timer, next > now ? next - now : 0);
}

static void on_llm_timer(evutil_socket_t fd, short what, void *arg)
{
    struct qvr_mock *m = arg;

    (void)fd;
    (void)what;
    qvr_mock_llm_advance(m->llm, qvr_clock_ns(), on_token, m);
    llm_arm(m);
}

/* 1 when the client of s has gone: its request detached by libevent, or
 * its socket at end of file or reset (a waiting, hung or cut stream
 * writes nothing, so libevent would not notice). */
static int client_gone(struct stream *s)
{
    struct evhttp_connection *c = evhttp_request_get_connection(s->req);
    struct bufferevent *bev;
    evutil_socket_t fd;
    char byte;
    ssize_t n;

    if (c == NULL)
        return 1;
    bev = evhttp_connection_get_bufferevent(c);
    fd = bev != NULL ? bufferevent_getfd(bev) : -1;
    if (fd < 0)
        return 0;
    n = recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0)
        return 1;
    return n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
}

static void on_reap(evutil_socket_t fd, short what, void *arg)
{
    struct qvr_mock *m = arg;
    struct stream *s, *next;

    (void)fd;
    (void)what;
    for (s = m->streams; s != NULL; s = next) {
        next = s->next;
        if (client_gone(s))
            stream_abandon(m, s);
    }
    llm_arm(m);
}

static void handle_llm(struct qvr_mock *m, struct evhttp_request *req,
                       enum qvr_mock_llm_api api)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(in);
    const char *body = len > 0 ? (const char *)evbuffer_pullup(in, -1) : "";
    struct qvr_mock_llm_req r;
    struct stream *s;
    cJSON *name;
    char err[256];
    uint64_t now = qvr_clock_ns(), answer = m->cfg.answer_tokens;
    double u[10];
    int i, full;

    if (body == NULL ||
        qvr_mock_llm_req_parse(&r, api, body, len, err, sizeof(err)) != 0) {
        llm_error(m, req, api, 400, "BadRequestError",
                  body == NULL ? "out of memory" : err);
        return;
    }
    /* Tokens due by now go out first, so this request joins the engine
     * at its true place. */
    qvr_mock_llm_advance(m->llm, now, on_token, m);
    /* Always ten draws, so the random stream stays aligned. */
    for (i = 0; i < 10; i++)
        u[i] = rng_unit(m);
    if (u[0] < m->cfg.drop_rate) {
        m->dropped++;
        drop_req(req);
        llm_arm(m);
        return;
    }
    if (u[1] < m->cfg.error_rate) {
        llm_error(m, req, api, 500, "InternalServerError",
                  "simulated internal error");
        llm_arm(m);
        return;
    }
    s = calloc(1, sizeof(*s));
    name = cJSON_CreateString(r.model[0] != '\0' ? r.model : m->cfg.model);
    if (s != NULL && name != NULL)
        s->model = cJSON_PrintUnformatted(name);
    cJSON_Delete(name);
    if (s == NULL || s->model == NULL) {
        if (s != NULL)
            free(s->model);
        free(s);
        llm_error(m, req, api, 500, "InternalServerError", "out of memory");
        return;
    }
    s->m = m;
    s->req = req;
    s->r = r;
    s->id = ++m->llm_ids ^ (m->cfg.seed << 40);
    s->arrival_ns = now;
    s->created = (long long)time(NULL);
    if (api == QVR_MOCK_LLM_EMBEDDING)
        s->n = 0;
    else if (r.max_tokens > 0)
        s->n = r.max_tokens;
    else
        s->n = answer / 2 + (uint64_t)(u[9] * (double)(answer + 1));
    if (s->n + r.prompt_tokens > QVR_MOCK_LLM_MAX_TOKENS)
        s->n = QVR_MOCK_LLM_MAX_TOKENS - r.prompt_tokens;
    if (api != QVR_MOCK_LLM_EMBEDDING && s->n == 0)
        s->n = 1;
    if (!qvr_mock_llm_fits(m->llm, r.prompt_tokens, s->n)) {
        snprintf(err, sizeof(err),
                 "the prompt (%llu tokens) and the answer (%llu) do not fit "
                 "in the KV cache of %llu tokens",
                 (unsigned long long)r.prompt_tokens, (unsigned long long)s->n,
                 (unsigned long long)m->cfg.llm.kv_tokens);
        free(s->model);
        free(s);
        llm_error(m, req, api, 400, "BadRequestError", err);
        return;
    }
    if (u[2] < m->cfg.hang_rate)
        s->fault = SF_HANG;
    else if (!r.stream)
        s->fault = SF_NONE;
    else if (u[3] < m->cfg.cut_rate)
        s->fault = SF_CUT;
    else if (u[4] < m->cfg.stream_error_rate)
        s->fault = SF_ERROR;
    else if (u[5] < m->cfg.malformed_rate)
        s->fault = SF_MALFORMED;
    else if (u[6] < m->cfg.huge_rate && m->huge != NULL)
        s->fault = SF_HUGE;
    else if (u[7] < m->cfg.endless_rate)
        s->fault = SF_ENDLESS;
    s->fault_at = 1 + (uint64_t)(u[8] * (double)(s->n > 1 ? s->n - 1 : 1));
    if (s->fault_at > s->n)
        s->fault_at = s->n;
    s->next = m->streams;
    if (m->streams != NULL)
        m->streams->prev = s;
    m->streams = s;
    m->nstreams++;
    if (s->fault != SF_HANG) {
        s->seq = qvr_mock_llm_submit(m->llm, now, r.prompt_tokens, s->n,
                                     s->fault == SF_ENDLESS, s, &full);
        if (s->seq == NULL) {
            stream_free(m, s);
            if (full)
                evhttp_add_header(evhttp_request_get_output_headers(req),
                                  "Retry-After", "1");
            llm_error(m, req, api, full ? 503 : 500,
                      full ? "ServiceUnavailableError" : "InternalServerError",
                      full ? "the server is overloaded: too many requests "
                             "wait"
                           : "out of memory");
            return;
        }
    } else {
        m->llm_faults[SF_HANG]++;
        s->finished = 1;
    }
    if (r.stream) {
        struct evkeyvalq *h = evhttp_request_get_output_headers(req);

        evhttp_add_header(h, "Content-Type",
                          api == QVR_MOCK_LLM_OLLAMA_CHAT
                              ? "application/x-ndjson"
                              : "text/event-stream; charset=utf-8");
        evhttp_add_header(h, "Cache-Control", "no-cache");
        evhttp_send_reply_start(req, 200, "OK");
        s->started = 1;
        count(m, 200);
    }
    llm_arm(m);
}

static void handle_models(struct qvr_mock *m, struct evhttp_request *req)
{
    cJSON *j = cJSON_CreateObject(), *arr, *o;

    cJSON_AddStringToObject(j, "object", "list");
    arr = cJSON_AddArrayToObject(j, "data");
    o = cJSON_CreateObject();
    cJSON_AddItemToArray(arr, o);
    cJSON_AddStringToObject(o, "id", m->cfg.model);
    cJSON_AddStringToObject(o, "object", "model");
    cJSON_AddNumberToObject(o, "created", 0);
    cJSON_AddStringToObject(o, "owned_by", "qvrrun");
    cJSON_AddNumberToObject(o, "max_model_len", QVR_MOCK_LLM_MAX_TOKENS);
    if (out_json(m, j) != 0)
        evbuffer_add(m->out, "{}", 2);
    cJSON_Delete(j);
    send_out(m, req, 200, "application/json", 0, 0);
}

enum route_kind {
    ROUTE_RERANK,
    ROUTE_HEALTH,
    ROUTE_METRICS,
    ROUTE_LLM,
    ROUTE_MODELS
};

static const struct route {
    const char *path;
    enum route_kind kind;
    enum qvr_mock_dialect dialect;
    enum qvr_mock_llm_api api;
    const char *allow;
} routes[] = {
    {"/api/rerank", ROUTE_RERANK, QVR_MOCK_QWEN3VL, 0, "POST"},
    {"/v1/rerank", ROUTE_RERANK, QVR_MOCK_COHERE, 0, "POST"},
    {"/rerank", ROUTE_RERANK, QVR_MOCK_TEI, 0, "POST"},
    {"/health", ROUTE_HEALTH, QVR_MOCK_QWEN3VL, 0, "GET, HEAD"},
    {"/metrics", ROUTE_METRICS, QVR_MOCK_QWEN3VL, 0, "GET, HEAD"},
    {"/v1/chat/completions", ROUTE_LLM, 0, QVR_MOCK_LLM_CHAT, "POST"},
    {"/v1/completions", ROUTE_LLM, 0, QVR_MOCK_LLM_COMPLETION, "POST"},
    {"/v1/embeddings", ROUTE_LLM, 0, QVR_MOCK_LLM_EMBEDDING, "POST"},
    {"/api/chat", ROUTE_LLM, 0, QVR_MOCK_LLM_OLLAMA_CHAT, "POST"},
    {"/v1/models", ROUTE_MODELS, 0, 0, "GET, HEAD"},
};

static void on_request(struct evhttp_request *req, void *arg)
{
    struct qvr_mock *m = arg;
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
    enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
    const struct route *r = NULL;
    size_t i;
    int ok;

    if (path == NULL || *path == '\0')
        path = "/";
    for (i = 0; i < QVR_ARRAY_LEN(routes); i++) {
        if (strcmp(path, routes[i].path) == 0) {
            r = &routes[i];
            break;
        }
    }
    if (r == NULL) {
        reply_error(m, req, 404, "not found");
        return;
    }
    if (r->kind == ROUTE_RERANK || r->kind == ROUTE_LLM)
        ok = cmd == EVHTTP_REQ_POST;
    else
        ok = cmd == EVHTTP_REQ_GET || cmd == EVHTTP_REQ_HEAD;
    if (!ok) {
        evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
                          r->allow);
        reply_error(m, req, 405, "method not allowed");
        return;
    }
    switch (r->kind) {
    case ROUTE_RERANK:
        handle_rerank(m, req, r->dialect);
        break;
    case ROUTE_HEALTH:
        handle_health(m, req);
        break;
    case ROUTE_METRICS:
        handle_metrics(m, req);
        break;
    case ROUTE_LLM:
        handle_llm(m, req, r->api);
        break;
    case ROUTE_MODELS:
        handle_models(m, req);
        break;
    }
}

/* ---- life cycle --------------------------------------------------------- */

/* Binds and listens on cfg host:port. Returns the fd, or -1 with err. */
static int listen_on(struct qvr_mock *m, char *err, unsigned long errlen)
{
    struct addrinfo hints, *ai = NULL;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    char port[16], host[INET6_ADDRSTRLEN], serv[16];
    int fd = -1, one = 1, rc;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    snprintf(port, sizeof(port), "%d", m->cfg.port);
    rc = getaddrinfo(m->cfg.host, port, &hints, &ai);
    if (rc != 0 || ai == NULL) {
        snprintf(err, errlen, "cannot resolve listen address '%s': %s",
                 m->cfg.host, gai_strerror(rc));
        goto fail;
    }
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                ai->ai_protocol);
    if (fd < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0 ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
        listen(fd, LISTEN_BACKLOG) != 0 ||
        getsockname(fd, (struct sockaddr *)&ss, &sl) != 0 ||
        getnameinfo((struct sockaddr *)&ss, sl, host, sizeof(host), serv,
                    sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        snprintf(err, errlen, "cannot listen on %s:%d: %s", m->cfg.host,
                 m->cfg.port, strerror(errno));
        goto fail;
    }
    m->port = atoi(serv);
    if (ss.ss_family == AF_INET6)
        snprintf(m->addr, sizeof(m->addr), "[%s]:%s", host, serv);
    else
        snprintf(m->addr, sizeof(m->addr), "%s:%s", host, serv);
    freeaddrinfo(ai);
    return fd;

fail:
    if (fd >= 0)
        close(fd);
    if (ai != NULL)
        freeaddrinfo(ai);
    return -1;
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
    struct qvr_mock *m = arg;
    uint64_t v;

    (void)what;
    if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
        qvr_warn("mock: eventfd read: %s", strerror(errno));
    event_base_loopbreak(m->base);
}

/* Frees a job that never got its answer. A request whose client left is
 * detached from its connection and ours to free; the others go with
 * their connection in evhttp_free. */
static void abandon(struct job *j)
{
    if (evhttp_request_get_connection(j->req) == NULL)
        evhttp_request_free(j->req);
    job_free(j);
}

static void free_chain(struct job *j)
{
    struct job *next;

    for (; j != NULL; j = next) {
        next = j->next;
        abandon(j);
    }
}

/* Frees everything m owns; m may be partly built. */
static void mock_free(struct qvr_mock *m)
{
    int i, k;

    if (m == NULL)
        return;
    /* Streams first: a request libevent detached is ours to free; the
     * others go with their connections in evhttp_free. */
    while (m->streams != NULL) {
        struct stream *s = m->streams;

        if (evhttp_request_get_connection(s->req) == NULL)
            evhttp_request_free(s->req);
        stream_free(m, s);
    }
    qvr_mock_llm_free(m->llm);
    if (m->llm_timer != NULL)
        event_free(m->llm_timer);
    if (m->reaper != NULL)
        event_free(m->reaper);
    free(m->huge);
    free_chain(m->qhead);
    free_chain(m->held);
    for (i = 0; m->slots != NULL && i < m->cfg.slots; i++) {
        for (k = 0; k < m->slots[i].n; k++)
            abandon(m->slots[i].jobs[k]);
        if (m->slots[i].timer != NULL)
            event_free(m->slots[i].timer);
        free(m->slots[i].jobs);
        free(m->slots[i].works);
    }
    if (m->http != NULL)
        evhttp_free(m->http);
    if (m->stall_timer != NULL)
        event_free(m->stall_timer);
    if (m->wake != NULL)
        event_free(m->wake);
    if (m->sigint != NULL)
        event_free(m->sigint);
    if (m->sigterm != NULL)
        event_free(m->sigterm);
    if (m->out != NULL)
        evbuffer_free(m->out);
    if (m->base != NULL)
        event_base_free(m->base);
    if (m->wake_fd >= 0)
        close(m->wake_fd);
    free(m->slots);
    free(m->idle);
    free(m->print);
    free(m->health);
    free(m);
}

/* Builds the server and binds its socket (no thread). Returns NULL with
 * err set on failure. */
static struct qvr_mock *mock_new(const struct qvr_mock_config *c, char *err,
                                 unsigned long errlen)
{
    struct qvr_mock *m;
    struct event_config *ecfg;
    cJSON *h = NULL;
    int fd, i;

    m = calloc(1, sizeof(*m));
    if (m == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    m->wake_fd = -1;
    m->cfg = *c;
    if (m->cfg.slots < 1 || m->cfg.batch < 1 || m->cfg.queue < 0 ||
        m->cfg.max_docs < 1) {
        snprintf(err, errlen, "mock: slots, batch and max_docs must be >= 1");
        goto fail;
    }
    m->rng = m->cfg.seed;
    /* Without PRECISE_TIMER libevent reads CLOCK_MONOTONIC_COARSE and every
     * pass time would be rounded up to the kernel tick (4 ms at HZ=250). */
    ecfg = event_config_new();
    if (ecfg != NULL &&
        event_config_set_flag(ecfg, EVENT_BASE_FLAG_PRECISE_TIMER) == 0)
        m->base = event_base_new_with_config(ecfg);
    if (ecfg != NULL)
        event_config_free(ecfg);
    m->http = m->base != NULL ? evhttp_new(m->base) : NULL;
    m->out = evbuffer_new();
    m->stall_timer =
        m->base != NULL ? evtimer_new(m->base, on_stall_end, m) : NULL;
    m->slots = calloc((size_t)m->cfg.slots, sizeof(*m->slots));
    m->idle = calloc((size_t)m->cfg.slots, sizeof(*m->idle));
    {
        struct qvr_mock_llm_config lc = m->cfg.llm;
        struct timeval second = {1, 0};

        lc.seed = m->cfg.seed;
        m->llm = qvr_mock_llm_new(&lc);
        m->llm_timer =
            m->base != NULL ? evtimer_new(m->base, on_llm_timer, m) : NULL;
        m->reaper = m->base != NULL
                        ? event_new(m->base, -1, EV_PERSIST, on_reap, m)
                        : NULL;
        if (m->reaper != NULL)
            event_add(m->reaper, &second);
        if (m->cfg.huge_rate > 0.0) {
            static const char lorem[] = "lorem ipsum ";
            size_t k;

            m->huge = malloc(HUGE_EVENT_BYTES + 1);
            for (k = 0; m->huge != NULL && k < HUGE_EVENT_BYTES; k++)
                m->huge[k] = lorem[k % (sizeof(lorem) - 1)];
            if (m->huge != NULL)
                m->huge[HUGE_EVENT_BYTES] = '\0';
        }
    }
    h = cJSON_CreateObject();
    if (h != NULL && cJSON_AddStringToObject(h, "status", "ok") != NULL)
        m->health = cJSON_PrintUnformatted(h);
    cJSON_Delete(h);
    if (m->http == NULL || m->out == NULL || m->stall_timer == NULL ||
        m->slots == NULL || m->idle == NULL || m->health == NULL ||
        m->llm == NULL || m->llm_timer == NULL || m->reaper == NULL ||
        (m->cfg.huge_rate > 0.0 && m->huge == NULL)) {
        snprintf(err, errlen, "mock: out of memory");
        goto fail;
    }
    for (i = 0; i < m->cfg.slots; i++) {
        struct slot *s = &m->slots[i];

        s->m = m;
        s->jobs = calloc((size_t)m->cfg.batch, sizeof(*s->jobs));
        s->works = calloc((size_t)m->cfg.batch, sizeof(*s->works));
        s->timer = evtimer_new(m->base, on_pass_end, s);
        if (s->jobs == NULL || s->works == NULL || s->timer == NULL) {
            snprintf(err, errlen, "mock: out of memory");
            goto fail;
        }
        m->idle[m->nidle++] = s;
    }
    /* A fixed pass time shares one timeout queue: O(1) timers. */
    if (m->cfg.service_ns > 0 && m->cfg.jitter_sigma == 0.0 &&
        m->cfg.leak_per_min == 0.0) {
        struct timeval tv;

        tv.tv_sec = (time_t)(m->cfg.service_ns / QVR_NS_PER_S);
        tv.tv_usec =
            (suseconds_t)((m->cfg.service_ns % QVR_NS_PER_S + 999) / 1000);
        if (tv.tv_usec >= 1000000) {
            tv.tv_sec++;
            tv.tv_usec -= 1000000;
        }
        m->common = event_base_init_common_timeout(m->base, &tv);
    }

    evhttp_set_gencb(m->http, on_request, m);
    evhttp_set_allowed_methods(
        m->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                     EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
                     EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
    evhttp_set_max_body_size(m->http, (ev_ssize_t)m->cfg.max_body);
    evhttp_set_max_headers_size(m->http, MAX_HEADERS_SIZE);
    evhttp_set_timeout(m->http, HTTP_TIMEOUT_S);

    fd = listen_on(m, err, errlen);
    if (fd < 0)
        goto fail;
    if (evhttp_accept_socket_with_handle(m->http, fd) == NULL) {
        close(fd);
        snprintf(err, errlen, "mock: cannot accept on %s", m->addr);
        goto fail;
    }
    m->start_ns = qvr_clock_ns();
    return m;

fail:
    mock_free(m);
    return NULL;
}

/* libevent writes to sockets with plain writev: a peer that has gone
 * would kill the process with SIGPIPE unless it is ignored. Only a
 * default disposition is changed. */
static void ignore_sigpipe(void)
{
    struct sigaction sa;

    if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL) {
        sa.sa_handler = SIG_IGN;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = 0;
        sigaction(SIGPIPE, &sa, NULL);
    }
}

/* POSIX threads, not C11 <threads.h>: glibc's thrd_create bypasses the
 * pthread_create that ThreadSanitizer intercepts. */
static void *mock_thread(void *arg)
{
    struct qvr_mock *m = arg;

    event_base_loop(m->base, EVLOOP_NO_EXIT_ON_EMPTY);
    return NULL;
}

struct qvr_mock *qvr_mock_start(const struct qvr_mock_config *c, char *err,
                                unsigned long errlen)
{
    struct qvr_mock *m;
    sigset_t all, old;
    int rc;

    ignore_sigpipe();
    m = mock_new(c, err, errlen);
    if (m == NULL)
        return NULL;
    m->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (m->wake_fd >= 0)
        m->wake =
            event_new(m->base, m->wake_fd, EV_READ | EV_PERSIST, on_wake, m);
    if (m->wake == NULL || event_add(m->wake, NULL) != 0) {
        snprintf(err, errlen, "mock: cannot create its wake-up event");
        goto fail;
    }
    /* The server thread takes no signals: they belong to the caller. */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = pthread_create(&m->thread, NULL, mock_thread, m);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        snprintf(err, errlen, "mock: cannot start its thread");
        goto fail;
    }
    m->running = 1;
    return m;

fail:
    mock_free(m);
    return NULL;
}

int qvr_mock_port(const struct qvr_mock *m)
{
    return m != NULL ? m->port : 0;
}

void qvr_mock_stop(struct qvr_mock *m)
{
    uint64_t one = 1;

    if (m == NULL)
        return;
    if (m->running) {
        if (write(m->wake_fd, &one, sizeof(one)) != sizeof(one))
            qvr_warn("mock: cannot wake its thread: %s", strerror(errno));
        pthread_join(m->thread, NULL);
        m->running = 0;
    }
    mock_free(m);
}

/* ---- qvrrun mock -------------------------------------------------------- */

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    struct qvr_mock *m = arg;

    (void)sig;
    (void)what;
    event_base_loopbreak(m->base);
}

/* Appends ", NAME V" to buf for a fault that is on. */
static void describe_faults(const struct qvr_mock_config *c, char *buf,
                            size_t len)
{
    char d1[16], d2[16];
    size_t n = 0;

    buf[0] = '\0';
    if (c->service_ns > 0 && c->profile != QVR_MOCK_FAST)
        n += (size_t)snprintf(buf + n, len - n, ", service %s",
                              qvr_duration_fmt(c->service_ns, d1, 16));
    if (n < len && c->error_rate > 0)
        n += (size_t)snprintf(buf + n, len - n, ", error-rate %g%%",
                              c->error_rate * 100);
    if (n < len && c->stall_period_ns > 0)
        n += (size_t)snprintf(buf + n, len - n, ", stall %s/%s",
                              qvr_duration_fmt(c->stall_ns, d1, 16),
                              qvr_duration_fmt(c->stall_period_ns, d2, 16));
    if (n < len && c->leak_per_min > 0)
        n += (size_t)snprintf(buf + n, len - n, ", leak %g%%/min",
                              c->leak_per_min * 100);
    if (n < len && c->drop_rate > 0)
        n += (size_t)snprintf(buf + n, len - n, ", drop %g%%",
                              c->drop_rate * 100);
    if (n < len && c->garbage_rate > 0)
        n += (size_t)snprintf(buf + n, len - n, ", garbage %g%%",
                              c->garbage_rate * 100);
    if (n < len && c->llm.fixed)
        n += (size_t)snprintf(buf + n, len - n, ", ttft %s, itl %s",
                              qvr_duration_fmt(c->llm.ttft_ns, d1, 16),
                              qvr_duration_fmt(c->llm.itl_ns, d2, 16));
    {
        static const struct {
            const char *name;
            size_t off;
        } rates[] = {
            {"stream-cut", offsetof(struct qvr_mock_config, cut_rate)},
            {"stream-error",
             offsetof(struct qvr_mock_config, stream_error_rate)},
            {"stream-malformed",
             offsetof(struct qvr_mock_config, malformed_rate)},
            {"stream-hang", offsetof(struct qvr_mock_config, hang_rate)},
            {"stream-endless", offsetof(struct qvr_mock_config, endless_rate)},
            {"stream-huge", offsetof(struct qvr_mock_config, huge_rate)},
        };
        size_t i;

        for (i = 0; i < QVR_ARRAY_LEN(rates); i++) {
            double v = *(const double *)((const char *)c + rates[i].off);

            if (n < len && v > 0)
                n += (size_t)snprintf(buf + n, len - n, ", %s %g%%",
                                      rates[i].name, v * 100);
        }
    }
}

int qvr_mock_serve(const struct qvr_mock_config *cfg)
{
    const struct qvr_mock_config c = *cfg;
    struct qvr_mock *m;
    char err[256], faults[512];
    uint64_t answered = 0;
    size_t i;

    ignore_sigpipe();
    m = mock_new(&c, err, sizeof(err));
    if (m == NULL) {
        fprintf(stderr, "qvrrun mock: %s\n", err);
        return QVR_EXIT_RUN;
    }
    m->sigint = evsignal_new(m->base, SIGINT, on_signal, m);
    m->sigterm = evsignal_new(m->base, SIGTERM, on_signal, m);
    if (m->sigint == NULL || m->sigterm == NULL ||
        event_add(m->sigint, NULL) != 0 || event_add(m->sigterm, NULL) != 0) {
        fprintf(stderr, "qvrrun mock: cannot install signal handlers\n");
        mock_free(m);
        return QVR_EXIT_RUN;
    }
    describe_faults(&c, faults, sizeof(faults));
    fprintf(stderr,
            "qvrrun mock: listening on http://%s (profile %s, %d slot%s, "
            "batch %d, queue %d, max-docs %d, seed %llu%s)\n",
            m->addr, qvr_mock_profile_name(c.profile), c.slots,
            c.slots == 1 ? "" : "s", c.batch, c.queue, c.max_docs,
            (unsigned long long)c.seed, faults);
    fflush(stderr);
    event_base_loop(m->base, EVLOOP_NO_EXIT_ON_EMPTY);
    for (i = 0; i < QVR_ARRAY_LEN(m->by_code); i++)
        answered += m->by_code[i];
    fprintf(stderr, "qvrrun mock: stopped after %llu answers, %llu dropped\n",
            (unsigned long long)answered, (unsigned long long)m->dropped);
    mock_free(m);
    return QVR_EXIT_OK;
}
