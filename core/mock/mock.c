/* mock.c -- the simulated reranker's HTTP server.
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
 * Randomness (jitter, faults) comes from one splitmix64 stream seeded by
 * --seed and drawn in event order, so a run with the same requests in the
 * same order gives the same times and faults. */
#include "mock.h"

#include <errno.h>
#include <math.h>
#include <netdb.h>
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
static void drop(struct job *j)
{
    static const char line[] = "HTTP/1.1 200 OK\r\n";
    struct evhttp_connection *c = evhttp_request_get_connection(j->req);
    struct bufferevent *bev;
    struct sockaddr sa;
    evutil_socket_t fd;

    if (c == NULL) {
        /* The client went away first; the request is ours to free. */
        evhttp_request_free(j->req);
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
    evhttp_connection_free(c); /* frees j->req too */
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
        drop(j);
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
    send_out(m, req, 200, "text/plain; version=0.0.4; charset=utf-8", 0, 0);
}

enum route_kind { ROUTE_RERANK, ROUTE_HEALTH, ROUTE_METRICS };

static const struct route {
    const char *path;
    enum route_kind kind;
    enum qvr_mock_dialect dialect;
    const char *allow;
} routes[] = {
    {"/api/rerank", ROUTE_RERANK, QVR_MOCK_QWEN3VL, "POST"},
    {"/v1/rerank", ROUTE_RERANK, QVR_MOCK_COHERE, "POST"},
    {"/rerank", ROUTE_RERANK, QVR_MOCK_TEI, "POST"},
    {"/health", ROUTE_HEALTH, QVR_MOCK_QWEN3VL, "GET, HEAD"},
    {"/metrics", ROUTE_METRICS, QVR_MOCK_QWEN3VL, "GET, HEAD"},
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
    if (r->kind == ROUTE_RERANK)
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
    h = cJSON_CreateObject();
    if (h != NULL && cJSON_AddStringToObject(h, "status", "ok") != NULL)
        m->health = cJSON_PrintUnformatted(h);
    cJSON_Delete(h);
    if (m->http == NULL || m->out == NULL || m->stall_timer == NULL ||
        m->slots == NULL || m->idle == NULL || m->health == NULL) {
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
        snprintf(buf + n, len - n, ", garbage %g%%", c->garbage_rate * 100);
}

int qvr_mock_serve(const struct qvr_mock_config *cfg)
{
    const struct qvr_mock_config c = *cfg;
    struct qvr_mock *m;
    char err[256], faults[256];
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
