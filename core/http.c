/* http.c -- libcurl multi-socket on libevent (see http.h).
 *
 * The shape is curl's hiperfifo example: curl tells us which sockets to
 * watch (sock_cb) and when to call it back (timer_cb); libevent tells curl
 * when a socket is ready (event_cb) or the timer fired (timeout_cb); after
 * each curl_multi_socket_action we drain finished transfers and run their
 * completion callbacks there, outside any curl callback. */
#include "http.h"

#include <curl/curl.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "qvr.h"

struct qvr_http {
    struct event_base *base;
    CURLM *multi;
    struct event *timer; /* curl's one-shot timeout */
    struct qvr_http_conf conf;
    int no_proxy_env;      /* no *_proxy variable set: tell libcurl so */
    int active;            /* transfers added and not yet completed */
    struct event *done_ev; /* runs the completion callbacks */
    struct qvr_http_xfer *done_head; /* finished, callback not yet run */
    struct qvr_http_xfer *done_tail;
};

struct qvr_http_xfer {
    struct qvr_http *h;
    CURL *easy;
    struct curl_slist *hdrs; /* this request's header list */
    struct qvr_buf body;     /* response body, capped at max_body */
    struct qvr_buf head;     /* raw header block of the last answer */
    qvr_http_cb cb;
    void *ud;
    uint64_t t_sent_ns;
    uint64_t bytes_out;
    int active;
    int too_large;
    int done;                   /* on the done list */
    char *url;                  /* the URL last given to libcurl */
    struct qvr_http_xfer *next; /* done list link */
    struct qvr_http_result res; /* the outcome, until its callback */
    char errbuf[CURL_ERROR_SIZE];
};

/* One watched socket: its libevent event, and what it waits for. */
struct sock {
    struct event *ev;
    int what; /* CURL_POLL_IN / OUT / INOUT */
};

void qvr_http_conf_init(struct qvr_http_conf *c)
{
    memset(c, 0, sizeof(*c));
    c->timeout_ms = 60000;
    c->connect_timeout_ms = 10000;
    c->max_body = 64u << 20;
}

int qvr_http_global_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : QVR_EIO;
}

void qvr_http_global_cleanup(void)
{
    curl_global_cleanup();
}

static enum qvr_fail_kind classify(CURLcode rc, int too_large)
{
    switch (rc) {
    case CURLE_OK:
        return QVR_FAIL_NONE;
    case CURLE_OPERATION_TIMEDOUT:
        return QVR_FAIL_TIMEOUT;
    case CURLE_COULDNT_CONNECT:
        return QVR_FAIL_REFUSED;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        return QVR_FAIL_DNS;
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return QVR_FAIL_RESET;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
        return QVR_FAIL_TLS;
    case CURLE_WRITE_ERROR:
    case CURLE_FILESIZE_EXCEEDED:
        if (too_large)
            return QVR_FAIL_TOO_LARGE;
        return QVR_FAIL_TRANSPORT;
    default:
        return QVR_FAIL_TRANSPORT;
    }
}

/* Collects every transfer curl reports done, with its completion time read
 * now, and queues it for run_done. Callbacks (which resume Lua, build the
 * next request) run only after every socket that was ready in this loop
 * pass has been read: a burst of answers is timed as it arrived, not as the
 * generator got round to it. */
static void drain(struct qvr_http *h)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(h->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        uint64_t now = qvr_clock_ns();
        CURL *easy = msg->easy_handle;
        CURLcode rc = msg->data.result;
        struct qvr_http_xfer *x = NULL;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&x);
        curl_multi_remove_handle(h->multi, easy);
        h->active--;
        x->active = 0;

        struct qvr_http_result *r = &x->res;
        memset(r, 0, sizeof(*r));
        long status = 0, ver = 0;
        curl_off_t t_conn = 0, t_app = 0, t_start = 0;
        curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_getinfo(easy, CURLINFO_HTTP_VERSION, &ver);
        curl_easy_getinfo(easy, CURLINFO_CONNECT_TIME_T, &t_conn);
        curl_easy_getinfo(easy, CURLINFO_APPCONNECT_TIME_T, &t_app);
        curl_easy_getinfo(easy, CURLINFO_STARTTRANSFER_TIME_T, &t_start);
        r->fail = classify(rc, x->too_large);
        /* An answer cut short still failed as a transfer. */
        r->status = (rc == CURLE_OK) ? (int)status : 0;
        r->error =
            r->fail == QVR_FAIL_NONE
                ? NULL
                : (x->too_large
                       ? "response body exceeds max_body"
                       : (x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc)));
        r->body = x->body.data ? x->body.data : "";
        r->body_len = x->body.len;
        r->headers = x->head.data ? x->head.data : "";
        r->headers_len = x->head.len;
        r->t_sent_ns = x->t_sent_ns;
        r->t_done_ns = now;
        r->connect_us = (uint64_t)(t_conn > 0 ? t_conn : 0);
        r->tls_us = t_app > t_conn ? (uint64_t)(t_app - t_conn) : 0;
        r->ttfb_us = (uint64_t)(t_start > 0 ? t_start : 0);
        r->bytes_out = x->bytes_out;
        switch (ver) {
        case CURL_HTTP_VERSION_1_0:
            r->http_version = 10;
            break;
        case CURL_HTTP_VERSION_1_1:
            r->http_version = 11;
            break;
        case CURL_HTTP_VERSION_2_0:
            r->http_version = 20;
            break;
        case CURL_HTTP_VERSION_3:
            r->http_version = 30;
            break;
        default:
            r->http_version = 0;
            break;
        }
        curl_slist_free_all(x->hdrs);
        x->hdrs = NULL;
        x->done = 1;
        x->next = NULL;
        if (h->done_tail)
            h->done_tail->next = x;
        else
            h->done_head = x;
        h->done_tail = x;
    }
    if (h->done_head)
        event_active(h->done_ev, EV_TIMEOUT, 0);
}

/* Runs the completion callbacks queued by drain. */
static void run_done(evutil_socket_t fd, short kind, void *arg)
{
    struct qvr_http *h = arg;
    (void)fd;
    (void)kind;
    /* Only what is queued now: transfers that complete while these
     * callbacks run wait for the next loop pass (never a loop in here). */
    struct qvr_http_xfer *x, *list = h->done_head;
    h->done_head = h->done_tail = NULL;
    while ((x = list)) {
        list = x->next;
        x->done = 0;
        x->next = NULL;
        qvr_http_cb cb = x->cb;
        void *ud = x->ud;
        x->cb = NULL;
        x->ud = NULL;
        if (cb) /* NULL: cancelled after it was taken off the list */
            cb(ud, &x->res);
    }
}

/* Takes x off the done list (cancelled before its callback ran). */
static void unlink_done(struct qvr_http *h, struct qvr_http_xfer *x)
{
    struct qvr_http_xfer **pp = &h->done_head, *prev = NULL;
    while (*pp && *pp != x) {
        prev = *pp;
        pp = &(*pp)->next;
    }
    if (!*pp)
        return;
    *pp = x->next;
    if (h->done_tail == x)
        h->done_tail = prev;
    x->done = 0;
    x->next = NULL;
}

static void socket_action(struct qvr_http *h, curl_socket_t fd, int flags)
{
    int running;
    curl_multi_socket_action(h->multi, fd, flags, &running);
    drain(h);
}

static void event_cb(evutil_socket_t fd, short kind, void *arg)
{
    struct qvr_http *h = arg;
    int flags = ((kind & EV_READ) ? CURL_CSELECT_IN : 0) |
                ((kind & EV_WRITE) ? CURL_CSELECT_OUT : 0);
    socket_action(h, fd, flags);
}

static void timeout_cb(evutil_socket_t fd, short kind, void *arg)
{
    (void)fd;
    (void)kind;
    socket_action(arg, CURL_SOCKET_TIMEOUT, 0);
}

/* CURLMOPT_TIMERFUNCTION: -1 deletes the timer, 0 means "at the next loop
 * pass" (a zero timeout, never rounded up to a millisecond). */
static int timer_cb(CURLM *multi, long timeout_ms, void *arg)
{
    struct qvr_http *h = arg;
    (void)multi;
    if (timeout_ms < 0) {
        evtimer_del(h->timer);
        return 0;
    }
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    evtimer_add(h->timer, &tv);
    return 0;
}

/* CURLMOPT_SOCKETFUNCTION: keep one persistent event per socket and touch
 * epoll only when the interest actually changes. */
static int sock_cb(CURL *easy, curl_socket_t fd, int what, void *arg,
                   void *sockp)
{
    struct qvr_http *h = arg;
    struct sock *s = sockp;
    (void)easy;
    if (what == CURL_POLL_REMOVE) {
        if (s) {
            event_free(s->ev);
            free(s);
            curl_multi_assign(h->multi, fd, NULL);
        }
        return 0;
    }
    short kind = EV_PERSIST | ((what & CURL_POLL_IN) ? EV_READ : 0) |
                 ((what & CURL_POLL_OUT) ? EV_WRITE : 0);
    if (!s) {
        s = calloc(1, sizeof(*s));
        if (!s)
            return -1;
        s->ev = event_new(h->base, fd, kind, event_cb, h);
        if (!s->ev) {
            free(s);
            return -1;
        }
        s->what = what;
        event_add(s->ev, NULL);
        curl_multi_assign(h->multi, fd, s);
        return 0;
    }
    if (s->what != what) {
        event_del(s->ev);
        event_assign(s->ev, h->base, fd, kind, event_cb, h);
        event_add(s->ev, NULL);
        s->what = what;
    }
    return 0;
}

struct qvr_http *qvr_http_new(struct event_base *base,
                              const struct qvr_http_conf *conf)
{
    struct qvr_http *h = calloc(1, sizeof(*h));
    if (!h)
        return NULL;
    h->base = base;
    h->conf = *conf;
    /* libcurl looks the proxy variables up on every transfer; when none is
     * set, say so once (an explicit empty proxy) and spare those look-ups. */
    static const char *const vars[] = {
        "http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY",
        "all_proxy",  "ALL_PROXY",  NULL};
    h->no_proxy_env = 1;
    for (int i = 0; vars[i]; i++)
        if (getenv(vars[i]) && *getenv(vars[i]))
            h->no_proxy_env = 0;
    h->multi = curl_multi_init();
    h->timer = evtimer_new(base, timeout_cb, h);
    h->done_ev = event_new(base, -1, 0, run_done, h);
    if (!h->multi || !h->timer || !h->done_ev)
        goto fail;
    curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
    curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
    curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
    curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
    if (conf->max_conns > 0)
        curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, conf->max_conns);
    return h;
fail:
    qvr_http_free(h);
    return NULL;
}

void qvr_http_free(struct qvr_http *h)
{
    if (!h)
        return;
    if (h->multi)
        curl_multi_cleanup(h->multi);
    if (h->timer)
        event_free(h->timer);
    if (h->done_ev)
        event_free(h->done_ev);
    free(h);
}

static size_t write_cb(char *p, size_t size, size_t n, void *arg)
{
    struct qvr_http_xfer *x = arg;
    size_t len = size * n;
    if (qvr_buf_append(&x->body, p, len) < 0) {
        x->too_large = 1;
        return 0; /* abort: CURLE_WRITE_ERROR */
    }
    return len;
}

/* Keeps only the header block of the final answer (a 100 Continue or a
 * redirect starts a new block with its status line). */
static size_t header_cb(char *p, size_t size, size_t n, void *arg)
{
    struct qvr_http_xfer *x = arg;
    size_t len = size * n;
    if (len > 5 && memcmp(p, "HTTP/", 5) == 0)
        qvr_buf_reset(&x->head);
    qvr_buf_append(&x->head, p, len); /* capped; truncation is harmless */
    return len;
}

struct qvr_http_xfer *qvr_http_xfer_new(struct qvr_http *h)
{
    struct qvr_http_xfer *x = calloc(1, sizeof(*x));
    if (!x)
        return NULL;
    x->h = h;
    x->easy = curl_easy_init();
    if (!x->easy) {
        free(x);
        return NULL;
    }
    qvr_buf_init(&x->body, h->conf.max_body);
    qvr_buf_init(&x->head, 64 * 1024);
    CURL *e = x->easy;
    curl_easy_setopt(e, CURLOPT_PRIVATE, x);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    /* Do not wait for a stuck resolver thread at cleanup: a DNS server
     * that drops queries must not keep a finished run alive. */
    curl_easy_setopt(e, CURLOPT_QUICK_EXIT, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, h->conf.connect_timeout_ms);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "qvrrun/0.1");
    if (h->no_proxy_env)
        curl_easy_setopt(e, CURLOPT_PROXY, "");
    if (h->conf.buffer_size > 0)
        curl_easy_setopt(e, CURLOPT_BUFFERSIZE, h->conf.buffer_size);
    if (h->conf.insecure) {
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    return x;
}

void qvr_http_cancel(struct qvr_http_xfer *x)
{
    if (x && x->done) {
        unlink_done(x->h, x);
        x->done = 0;
        x->cb = NULL;
        x->ud = NULL;
        return;
    }
    if (!x || !x->active)
        return;
    curl_multi_remove_handle(x->h->multi, x->easy);
    x->h->active--;
    x->active = 0;
    x->cb = NULL;
    x->ud = NULL;
    curl_slist_free_all(x->hdrs);
    x->hdrs = NULL;
}

void qvr_http_xfer_free(struct qvr_http_xfer *x)
{
    if (!x)
        return;
    qvr_http_cancel(x);
    curl_easy_cleanup(x->easy);
    qvr_buf_free(&x->body);
    qvr_buf_free(&x->head);
    free(x->url);
    free(x);
}

int qvr_http_start(struct qvr_http_xfer *x, const struct qvr_http_request *req,
                   qvr_http_cb cb, void *ud)
{
    if (x->active || x->done)
        return QVR_ESTATE;
    if (!req->url || !req->method)
        return QVR_EINVAL;
    CURL *e = x->easy;
    struct curl_slist *hl = NULL;
    for (int i = 0; i < req->nheaders; i++) {
        struct curl_slist *n = curl_slist_append(hl, req->headers[i]);
        if (!n)
            goto nomem;
        hl = n;
    }
    if (req->body) {
        /* libcurl would send "Expect: 100-continue" above 1 kB and wait for
         * the server: a round trip that is not the target's latency. */
        struct curl_slist *n = curl_slist_append(hl, "Expect:");
        if (!n)
            goto nomem;
        hl = n;
    }
    /* Same URL as the last request of this handle (the common case): libcurl
     * keeps it; no copy. */
    if (!x->url || strcmp(x->url, req->url) != 0) {
        char *u = strdup(req->url);
        if (!u)
            goto nomem;
        free(x->url);
        x->url = u;
        curl_easy_setopt(e, CURLOPT_URL, u);
    }
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
                     req->timeout_ms > 0 ? req->timeout_ms
                                         : x->h->conf.timeout_ms);
    int is_get = strcmp(req->method, "GET") == 0;
    int is_post = strcmp(req->method, "POST") == 0;
    if (is_get && !req->body) {
        curl_easy_setopt(e, CURLOPT_NOBODY, 0L);
        curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, NULL);
    } else if (strcmp(req->method, "HEAD") == 0) {
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, NULL);
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    } else {
        curl_easy_setopt(e, CURLOPT_NOBODY, 0L);
        curl_easy_setopt(e, CURLOPT_POST, 1L);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, req->body ? req->body : "");
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t)(req->body ? req->body_len : 0));
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST,
                         is_post ? NULL : req->method);
    }
    x->hdrs = hl;
    x->cb = cb;
    x->ud = ud;
    x->too_large = 0;
    x->errbuf[0] = 0;
    x->bytes_out = req->body ? req->body_len : 0;
    qvr_buf_reset(&x->body);
    qvr_buf_reset(&x->head);
    x->t_sent_ns = qvr_clock_ns();
    if (curl_multi_add_handle(x->h->multi, e) != CURLM_OK) {
        curl_slist_free_all(hl);
        x->hdrs = NULL;
        return QVR_EINVAL;
    }
    x->active = 1;
    x->h->active++;
    /* Send now rather than at the next loop pass: a burst of completions
     * would otherwise hold every new request until all of them ran. */
    socket_action(x->h, CURL_SOCKET_TIMEOUT, 0);
    return 0;
nomem:
    curl_slist_free_all(hl);
    return QVR_ENOMEM;
}

int qvr_http_active(const struct qvr_http *h)
{
    return h->active;
}
