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
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

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
    struct event *kick_ev;      /* lets libcurl send what was added */
    struct qvr_http_xfer *pool; /* idle transfers, linked by pool_next */
    struct sock_table *socks;   /* shared with the handles of this base */
    int kick_pending;           /* kick_ev is active */
};

struct qvr_http_xfer {
    struct qvr_http *h;
    CURL *easy;
    struct curl_slist *hdrs; /* the header list given to libcurl */
    int hdrs_body;           /* it was built for a body above 1 kB */
    struct qvr_buf hsig;     /* the request's lines it was built from */
    int hsig_valid;
    struct qvr_buf body; /* response body, capped at max_body */
    struct qvr_buf head; /* raw header block of the last answer */
    qvr_http_cb cb;
    void *ud;
    uint64_t t_sent_ns;
    uint64_t bytes_out;
    int active;
    int too_large;
    int done;                   /* on the done list */
    char *url;                  /* the URL last given to libcurl */
    CURLU *uh;                  /* it, parsed once (CURLOPT_CURLU) */
    struct qvr_http_xfer *next; /* done list link */
    /* Pool link: apart from next, because a transfer cancelled while
     * run_done holds it on its list may go back to the pool meanwhile. */
    struct qvr_http_xfer *pool_next;
    struct qvr_http_result res; /* the outcome, until its callback */
    char errbuf[CURL_ERROR_SIZE];
    /* token streams (see struct qvr_http_request) */
    struct qvr_sse sse;   /* the parser, its buffers kept between uses */
    int want_stream;      /* the request's stream field */
    int ct_stream;        /* the answer says text/event-stream */
    int streaming;        /* 1: this answer is parsed as a stream */
    int decided;          /* the first body byte was seen */
    int keep_body;        /* keep a stream's raw body too */
    struct qvr_buf *text; /* the request's text buffer */
    qvr_sse_gap_cb on_gap;
    void *gap_ud;
    uint64_t bytes_in;   /* body bytes received */
    struct event *ft_ev; /* first_token_timeout (created on first use) */
};

/* What we watch on one socket. Sockets of connections libcurl opened
 * (sock_open) stay registered with epoll while their connection sits idle in
 * curl's cache, so reusing a connection costs no epoll_ctl; they leave the
 * table when libcurl closes them (sock_close). Other sockets (a resolver's
 * socketpair) are watched only while libcurl asks. */
struct sock {
    struct event *ev;
    struct qvr_http *h; /* whose transfer uses it now */
    int what;           /* CURL_POLL_* registered with epoll (0: none) */
    int owned;          /* opened by sock_open: we see its close */
    int idle;           /* libcurl no longer watches it (cached, idle) */
};

/* The sockets of the handles on one event base (one worker), by descriptor:
 * a descriptor belongs to one connection at a time, whichever handle it
 * serves. Handles reach it through h->socks, so a connection closed by
 * another thread (a worker's handles freed after its thread ended) still
 * finds its entry; the last handle of the base frees it. */
struct sock_table {
    struct event_base *base;
    struct sock **v;
    int n;
    int refs;
    struct sock_table *next;
};
static pthread_mutex_t tables_mu = PTHREAD_MUTEX_INITIALIZER;
static struct sock_table *tables;

static struct sock *sock_get(struct sock_table *t, curl_socket_t fd, int create)
{
    if (fd < 0)
        return NULL;
    if (fd >= t->n) {
        if (!create)
            return NULL;
        int n = t->n ? t->n : 64;
        while (n <= fd)
            n *= 2;
        struct sock **v = realloc(t->v, (size_t)n * sizeof(*v));
        if (!v)
            return NULL;
        memset(v + t->n, 0, (size_t)(n - t->n) * sizeof(*v));
        t->v = v;
        t->n = n;
    }
    if (!t->v[fd] && create)
        t->v[fd] = calloc(1, sizeof(struct sock));
    return t->v[fd];
}

/* Stops watching the socket; the entry stays (its close is still to come). */
static void sock_unwatch(struct sock *s)
{
    if (s->what && s->ev)
        event_del(s->ev);
    s->what = 0;
}

/* Forgets fd: its event goes (event_free leaves epoll first). */
static void sock_drop(struct sock_table *t, curl_socket_t fd)
{
    struct sock *s = sock_get(t, fd, 0);
    if (!s)
        return;
    if (s->ev)
        event_free(s->ev);
    free(s);
    t->v[fd] = NULL;
}

static struct sock_table *table_ref(struct event_base *base)
{
    pthread_mutex_lock(&tables_mu);
    struct sock_table *t = tables;
    while (t && t->base != base)
        t = t->next;
    if (!t && (t = calloc(1, sizeof(*t)))) {
        t->base = base;
        t->next = tables;
        tables = t;
    }
    if (t)
        t->refs++;
    pthread_mutex_unlock(&tables_mu);
    return t;
}

static void table_unref(struct sock_table *t)
{
    if (!t)
        return;
    pthread_mutex_lock(&tables_mu);
    int last = --t->refs == 0;
    if (last) {
        struct sock_table **pp = &tables;
        while (*pp != t)
            pp = &(*pp)->next;
        *pp = t->next;
    }
    pthread_mutex_unlock(&tables_mu);
    if (!last)
        return;
    for (int fd = 0; fd < t->n; fd++)
        sock_drop(t, fd);
    free(t->v);
    free(t);
}

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

static enum qvr_fail_kind classify(CURLcode rc, int too_large,
                                   const char *errbuf)
{
    /* a body whose chunked framing is broken is the server's protocol
     * error, not a reset (libcurl reports both as a receive error) */
    if (rc == CURLE_RECV_ERROR && strstr(errbuf, "chunked-encoding"))
        return QVR_FAIL_BAD_ENCODING;
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
    case CURLE_BAD_CONTENT_ENCODING:
        return QVR_FAIL_BAD_ENCODING;
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
        r->fail = classify(rc, x->too_large, x->errbuf);
        /* A timeout before the name lookup finished is a DNS failure (a
         * resolver that drops queries), not a slow target. libcurl stamps
         * the lookup at 1 us at least when it completes, numeric hosts and
         * reused connections included, so 0 means it never did. */
        curl_off_t t_dns = 0;
        int dns_ok = curl_easy_getinfo(easy, CURLINFO_NAMELOOKUP_TIME_T,
                                       &t_dns) == CURLE_OK;
        if (rc == CURLE_OPERATION_TIMEDOUT && dns_ok && t_dns == 0) {
            curl_off_t t_total = 0;
            curl_easy_getinfo(easy, CURLINFO_TOTAL_TIME_T, &t_total);
            r->fail = QVR_FAIL_DNS;
            snprintf(x->errbuf, sizeof(x->errbuf),
                     "name lookup timed out after %lld ms (the DNS "
                     "resolver did not answer in time)",
                     (long long)(t_total / 1000));
        }
        /* An answer cut short still failed as a transfer. */
        r->status = (rc == CURLE_OK) ? (int)status : 0;
        r->error =
            r->fail == QVR_FAIL_NONE
                ? NULL
                : (x->too_large
                       ? "response body exceeds max_body"
                       : (x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc)));
        char *eff = NULL;
        curl_easy_getinfo(easy, CURLINFO_EFFECTIVE_URL, &eff);
        r->url = eff;
        r->body = x->body.data ? x->body.data : "";
        r->body_len = x->body.len;
        r->headers = x->head.data ? x->head.data : "";
        r->headers_len = x->head.len;
        r->t_sent_ns = x->t_sent_ns;
        r->t_done_ns = now;
        r->dns_us = (uint64_t)(dns_ok && t_dns > 0 ? t_dns : 0);
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
        if (x->ft_ev)
            evtimer_del(x->ft_ev);
        r->bytes_in = x->bytes_in;
        if (x->streaming) {
            qvr_sse_finish(&x->sse, now);
            r->stream = &x->sse.st;
            if (!x->keep_body) {
                r->body = "";
                r->body_len = 0;
            }
        }
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

static void socket_action(struct qvr_http *h, curl_socket_t fd, int flags);

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
        x->next = NULL;
        /* Cancelled after it was taken off the list (qvr_http_cancel
         * cleared done; it may even be back from the pool and busy with
         * another request): no callback for this result. */
        if (!x->done)
            continue;
        x->done = 0;
        qvr_http_cb cb = x->cb;
        void *ud = x->ud;
        x->cb = NULL;
        x->ud = NULL;
        if (cb)
            cb(ud, &x->res);
    }
}

/* Sends what qvr_http_start added since the last kick, back to back. */
static void kick_cb(evutil_socket_t fd, short kind, void *arg)
{
    struct qvr_http *h = arg;
    (void)fd;
    (void)kind;
    h->kick_pending = 0;
    socket_action(h, CURL_SOCKET_TIMEOUT, 0);
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
    struct sock *s = arg;
    if (s->idle) {
        /* An idle cached connection became readable: the server closed it
         * (or talks out of turn). libcurl finds out when it reuses it. */
        sock_unwatch(s);
        return;
    }
    int flags = ((kind & EV_READ) ? CURL_CSELECT_IN : 0) |
                ((kind & EV_WRITE) ? CURL_CSELECT_OUT : 0);
    socket_action(s->h, fd, flags);
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

/* CURLMOPT_SOCKETFUNCTION: one persistent event per socket; epoll is told
 * only when the interest changes. A connection going back to curl's cache
 * keeps its registration (see struct sock). */
static int sock_cb(CURL *easy, curl_socket_t fd, int what, void *arg,
                   void *sockp)
{
    struct qvr_http *h = arg;
    (void)easy;
    (void)sockp;
    struct sock *s = sock_get(h->socks, fd, what != CURL_POLL_REMOVE);
    if (what == CURL_POLL_REMOVE) {
        if (!s)
            return 0;
        s->idle = 1;
        if (s->owned && s->what == CURL_POLL_IN)
            return 0; /* stays watched, ready for reuse */
        if (s->owned)
            sock_unwatch(s);
        else
            sock_drop(h->socks, fd);
        return 0;
    }
    if (!s)
        return -1;
    s->h = h;
    s->idle = 0;
    if (s->what == what)
        return 0;
    short kind = EV_PERSIST | ((what & CURL_POLL_IN) ? EV_READ : 0) |
                 ((what & CURL_POLL_OUT) ? EV_WRITE : 0);
    sock_unwatch(s);
    if (!s->ev) {
        s->ev = event_new(h->base, fd, kind, event_cb, s);
        if (!s->ev)
            return -1;
    } else {
        event_assign(s->ev, h->base, fd, kind, event_cb, s);
    }
    if (event_add(s->ev, NULL) < 0)
        return -1;
    s->what = what;
    return 0;
}

/* CURLOPT_OPENSOCKETFUNCTION: a connection's socket, known to the table so
 * that its registration can outlive a transfer. */
static curl_socket_t sock_open(void *arg, curlsocktype purpose,
                               struct curl_sockaddr *a)
{
    struct qvr_http *h = arg;
    (void)purpose;
    curl_socket_t fd =
        socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
    if (fd == CURL_SOCKET_BAD)
        return fd;
    struct sock *s = sock_get(h->socks, fd, 1);
    if (!s) {
        close(fd);
        return CURL_SOCKET_BAD;
    }
    sock_unwatch(s); /* a stale entry: its descriptor was closed */
    s->owned = 1;
    s->idle = 0;
    return fd;
}

/* CURLOPT_CLOSESOCKETFUNCTION: unregister before the descriptor goes. */
static int sock_close(void *arg, curl_socket_t fd)
{
    struct qvr_http *h = arg;
    sock_drop(h->socks, fd);
    return close(fd);
}

/* first_token_timeout: no output yet (a stream still to come, or one
 * that has sent nothing that counts): the transfer ends here, failed as
 * QVR_FAIL_FIRST_TOKEN, with what it received; its callback runs from the
 * done list like any other. An answer that is not a stream is left to the
 * whole-request timeout. */
static void first_token_cb(evutil_socket_t fd, short kind, void *arg)
{
    struct qvr_http_xfer *x = arg;
    struct qvr_http *h = x->h;
    (void)fd;
    (void)kind;
    if (!x->active || (x->decided && !x->streaming) ||
        (x->streaming && x->sse.st.t_first_ns))
        return;
    uint64_t now = qvr_clock_ns();
    long status = 0;
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
    curl_multi_remove_handle(h->multi, x->easy);
    h->active--;
    x->active = 0;
    struct qvr_http_result *r = &x->res;
    memset(r, 0, sizeof(*r));
    snprintf(x->errbuf, sizeof(x->errbuf),
             "no token within first_token_timeout (%.0f ms)",
             (double)(now - x->t_sent_ns) / 1e6);
    r->fail = QVR_FAIL_FIRST_TOKEN;
    r->status = (int)status;
    r->error = x->errbuf;
    r->body = x->body.data ? x->body.data : "";
    r->body_len = x->body.len;
    r->headers = x->head.data ? x->head.data : "";
    r->headers_len = x->head.len;
    r->t_sent_ns = x->t_sent_ns;
    r->t_done_ns = now;
    r->bytes_out = x->bytes_out;
    r->bytes_in = x->bytes_in;
    if (x->streaming) {
        qvr_sse_finish(&x->sse, now);
        r->stream = &x->sse.st;
    }
    x->done = 1;
    x->next = NULL;
    if (h->done_tail)
        h->done_tail->next = x;
    else
        h->done_head = x;
    h->done_tail = x;
    event_active(h->done_ev, EV_TIMEOUT, 0);
}

struct qvr_http *qvr_http_new(struct event_base *base,
                              const struct qvr_http_conf *conf)
{
    struct qvr_http *h = calloc(1, sizeof(*h));
    if (!h)
        return NULL;
    h->base = base;
    h->conf = *conf;
    h->socks = table_ref(base);
    if (!h->socks) {
        free(h);
        return NULL;
    }
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
    h->kick_ev = event_new(base, -1, 0, kick_cb, h);
    if (!h->multi || !h->timer || !h->done_ev || !h->kick_ev)
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
    struct qvr_http_xfer *x;
    while ((x = h->pool)) {
        h->pool = x->pool_next;
        qvr_http_xfer_free(x);
    }
    if (h->multi)
        curl_multi_cleanup(h->multi);
    if (h->timer)
        event_free(h->timer);
    if (h->done_ev)
        event_free(h->done_ev);
    if (h->kick_ev)
        event_free(h->kick_ev);
    table_unref(h->socks);
    free(h);
}

/* The first body bytes: is this answer a token stream? Only a 2xx answer
 * is (an error's body is kept to be read). */
static void decide(struct qvr_http_xfer *x)
{
    x->decided = 1;
    long status = 0;
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status > 299 || x->want_stream < 0)
        return;
    int mode =
        x->want_stream ? x->want_stream : (x->ct_stream ? QVR_SSE_EVENTS : 0);
    if (!mode)
        return;
    x->streaming = 1;
    qvr_sse_begin(&x->sse, (enum qvr_sse_mode)mode, x->on_gap, x->gap_ud,
                  x->text);
}

static size_t write_cb(char *p, size_t size, size_t n, void *arg)
{
    struct qvr_http_xfer *x = arg;
    size_t len = size * n;
    x->bytes_in += len;
    if (!x->decided)
        decide(x);
    if (x->streaming) {
        /* one clock read per chunk: every event in it arrived now */
        qvr_sse_feed(&x->sse, p, len, qvr_clock_ns());
        if (!x->keep_body)
            return len;
    }
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
    if (len > 5 && memcmp(p, "HTTP/", 5) == 0) {
        qvr_buf_reset(&x->head);
        x->ct_stream = 0;
    }
    /* the first letter first: one compare for most header lines */
    if (len > 13 && (p[0] | 0x20) == 'c' &&
        strncasecmp(p, "content-type:", 13) == 0) {
        const char *v = p + 13;
        while (v < p + len && (*v == ' ' || *v == '\t'))
            v++;
        x->ct_stream = (size_t)(p + len - v) >= 17 &&
                       strncasecmp(v, "text/event-stream", 17) == 0;
    }
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
    qvr_buf_init(&x->hsig, 256 * 1024);
    qvr_sse_init(&x->sse);
    CURL *e = x->easy;
    curl_easy_setopt(e, CURLOPT_PRIVATE, x);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, sock_open);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, h);
    curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, sock_close);
    curl_easy_setopt(e, CURLOPT_CLOSESOCKETDATA, h);
    /* Do not wait for a stuck resolver thread at cleanup: a DNS server
     * that drops queries must not keep a finished run alive. */
    curl_easy_setopt(e, CURLOPT_QUICK_EXIT, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, h->conf.connect_timeout_ms);
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    /* No proxy in the environment: say so, and libcurl stops reading the
     * *_proxy and no_proxy variables again for every transfer. */
    if (h->no_proxy_env) {
        curl_easy_setopt(e, CURLOPT_PROXY, "");
        curl_easy_setopt(e, CURLOPT_NOPROXY, "");
    }
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
    if (x->ft_ev)
        evtimer_del(x->ft_ev);
    curl_multi_remove_handle(x->h->multi, x->easy);
    x->h->active--;
    x->active = 0;
    x->cb = NULL;
    x->ud = NULL;
}

void qvr_http_xfer_free(struct qvr_http_xfer *x)
{
    if (!x)
        return;
    qvr_http_cancel(x);
    curl_easy_cleanup(x->easy);
    curl_slist_free_all(x->hdrs);
    qvr_buf_free(&x->body);
    qvr_buf_free(&x->head);
    qvr_buf_free(&x->hsig);
    qvr_sse_free(&x->sse);
    if (x->ft_ev)
        event_free(x->ft_ev);
    free(x->url);
    if (x->uh)
        curl_url_cleanup(x->uh);
    free(x);
}

/* libcurl asks "Expect: 100-continue" only above 1 kB of body: below that
 * there is nothing to switch off (and one custom header less to scan). */
static int big_body(const struct qvr_http_request *req)
{
    return req->body && req->body_len > 1024;
}

/* Whether x's header list was built from req's header lines (a user's
 * requests mostly carry the same ones: the list is then kept, not rebuilt).
 * x->hsig holds the lines it was built from, each with its NUL. */
static int same_headers(const struct qvr_http_xfer *x,
                        const struct qvr_http_request *req)
{
    if (!x->hsig_valid || x->hdrs_body != big_body(req))
        return 0;
    size_t off = 0;
    for (int i = 0; i < req->nheaders; i++) {
        size_t n = strlen(req->headers[i]) + 1;
        if (off + n > x->hsig.len ||
            memcmp(x->hsig.data + off, req->headers[i], n) != 0)
            return 0;
        off += n;
    }
    return off == x->hsig.len;
}

static int has_name(const char *line, const char *name, size_t len)
{
    return strncasecmp(line, name, len) == 0 && line[len] == ':';
}

/* Builds the header list libcurl gets from req's lines: the user's headers,
 * our User-Agent unless they give one, and "Expect:" for a body. An
 * Accept-Encoding line becomes CURLOPT_ACCEPT_ENCODING instead, so that
 * libcurl decodes what the server compresses; without one, nothing is
 * asked for (as wrk does) and libcurl formats one header line less. */
static int build_headers(struct qvr_http_xfer *x,
                         const struct qvr_http_request *req)
{
    struct curl_slist *hl = NULL, *n;
    const char *ae = NULL;
    int has_ua = 0;
    qvr_buf_reset(&x->hsig);
    x->hsig_valid = 0;
    for (int i = 0; i < req->nheaders; i++) {
        const char *h = req->headers[i];
        if (qvr_buf_append(&x->hsig, h, strlen(h) + 1) < 0)
            goto nomem;
        if (has_name(h, "Accept-Encoding", 15)) {
            ae = h + 16;
            while (*ae == ' ' || *ae == '\t')
                ae++;
            continue;
        }
        if (has_name(h, "User-Agent", 10))
            has_ua = 1;
        if (!(n = curl_slist_append(hl, h)))
            goto nomem;
        hl = n;
    }
    if (!has_ua) {
        if (!(n = curl_slist_append(hl, "User-Agent: qvrrun/" QVR_VERSION)))
            goto nomem;
        hl = n;
    }
    if (big_body(req)) {
        /* libcurl would send "Expect: 100-continue" and wait for the
         * server: a round trip that is not the target's latency. */
        if (!(n = curl_slist_append(hl, "Expect:")))
            goto nomem;
        hl = n;
    }
    curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(x->easy, CURLOPT_ACCEPT_ENCODING, ae);
    curl_slist_free_all(x->hdrs);
    x->hdrs = hl;
    x->hdrs_body = big_body(req);
    x->hsig_valid = !x->hsig.truncated;
    return 0;
nomem:
    curl_slist_free_all(hl);
    return QVR_ENOMEM;
}

int qvr_http_start(struct qvr_http_xfer *x, const struct qvr_http_request *req,
                   qvr_http_cb cb, void *ud)
{
    if (x->active || x->done)
        return QVR_ESTATE;
    if (!req->url || !req->method)
        return QVR_EINVAL;
    CURL *e = x->easy;
    if (!same_headers(x, req) && build_headers(x, req) < 0)
        return QVR_ENOMEM;
    /* Same URL as the last request of this handle (the common case): libcurl
     * keeps it; no copy. */
    if (!x->url || strcmp(x->url, req->url) != 0) {
        char *u = strdup(req->url);
        if (!u)
            return QVR_ENOMEM;
        free(x->url);
        x->url = u;
        /* Parsed here once, not by libcurl at every transfer. A URL the
         * parser rejects goes to libcurl as text, which then fails the
         * request with its own message. */
        if (!x->uh)
            x->uh = curl_url();
        if (x->uh && curl_url_set(x->uh, CURLUPART_URL, u,
                                  CURLU_GUESS_SCHEME |
                                      CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK) {
            curl_easy_setopt(e, CURLOPT_CURLU, x->uh);
        } else {
            curl_easy_setopt(e, CURLOPT_CURLU, NULL);
            curl_easy_setopt(e, CURLOPT_URL, u);
        }
    }
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
    x->cb = cb;
    x->ud = ud;
    x->too_large = 0;
    x->errbuf[0] = 0;
    x->bytes_out = req->body ? req->body_len : 0;
    qvr_buf_reset(&x->body);
    qvr_buf_reset(&x->head);
    x->want_stream = req->stream;
    x->ct_stream = x->streaming = x->decided = 0;
    x->keep_body = req->keep_body;
    x->text = req->text;
    x->on_gap = req->on_gap;
    x->gap_ud = req->gap_ud;
    x->bytes_in = 0;
    if (req->first_token_timeout_ms > 0) {
        if (!x->ft_ev &&
            !(x->ft_ev = evtimer_new(x->h->base, first_token_cb, x)))
            return QVR_ENOMEM;
        struct timeval tv = {req->first_token_timeout_ms / 1000,
                             (req->first_token_timeout_ms % 1000) * 1000};
        evtimer_add(x->ft_ev, &tv);
    } else if (x->ft_ev) {
        evtimer_del(x->ft_ev);
    }
    x->t_sent_ns = qvr_clock_ns();
    if (curl_multi_add_handle(x->h->multi, e) != CURLM_OK) {
        if (x->ft_ev)
            evtimer_del(x->ft_ev);
        return QVR_EINVAL;
    }
    x->active = 1;
    x->h->active++;
    /* Sent later in this loop pass, together with every other request
     * started in it: libcurl's send path runs once for the batch, and the
     * server, woken by the first, finds the rest already there. */
    if (!x->h->kick_pending) {
        x->h->kick_pending = 1;
        event_active(x->h->kick_ev, EV_TIMEOUT, 0);
    }
    return 0;
}

struct qvr_http_xfer *qvr_http_xfer_get(struct qvr_http *h)
{
    struct qvr_http_xfer *x = h->pool;
    if (!x)
        return qvr_http_xfer_new(h);
    h->pool = x->pool_next;
    x->pool_next = NULL;
    return x;
}

void qvr_http_xfer_put(struct qvr_http_xfer *x)
{
    if (!x)
        return;
    qvr_http_cancel(x);
    x->pool_next = x->h->pool;
    x->h->pool = x;
}

int qvr_http_active(const struct qvr_http *h)
{
    return h->active;
}

int qvr_http_url_check(const char *url, char *why, size_t len)
{
    CURLU *u = curl_url();
    if (!u) {
        snprintf(why, len, "out of memory");
        return QVR_ENOMEM;
    }
    int rc = 0;
    CURLUcode uc = curl_url_set(u, CURLUPART_URL, url, 0);
    char *port = NULL;
    if (uc != CURLUE_OK) {
        snprintf(why, len, "%s", curl_url_strerror(uc));
        rc = QVR_EINVAL;
    } else if (curl_url_get(u, CURLUPART_PORT, &port, 0) == CURLUE_OK &&
               strtol(port, NULL, 10) == 0) {
        snprintf(why, len, "port 0 cannot be connected to");
        rc = QVR_EINVAL;
    }
    curl_free(port);
    curl_url_cleanup(u);
    return rc;
}
