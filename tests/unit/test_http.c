/* test_http.c -- libcurl multi-socket on libevent against an in-process
 * evhttp server: answers, keep-alive reuse, timeouts, refused connections,
 * the body cap, header capture, methods and bodies. */
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "http.h"
#include "qvr.h"
#include "t.h"

struct srv {
    struct event_base *base;
    struct evhttp *http;
    int port;
    int requests;
    char last_method[16];
    char last_body[256];
};

static void stall_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    evhttp_send_reply(arg, 200, "OK", NULL);
}

static void handler(struct evhttp_request *req, void *arg)
{
    struct srv *s = arg;
    s->requests++;
    const char *uri = evhttp_request_get_uri(req);
    static const char *const names[] = {"GET", "POST",   "HEAD",
                                        "PUT", "DELETE", "PATCH"};
    static const enum evhttp_cmd_type cmds[] = {
        EVHTTP_REQ_GET, EVHTTP_REQ_POST,   EVHTTP_REQ_HEAD,
        EVHTTP_REQ_PUT, EVHTTP_REQ_DELETE, EVHTTP_REQ_PATCH};
    for (size_t i = 0; i < 6; i++)
        if (evhttp_request_get_command(req) == cmds[i])
            snprintf(s->last_method, sizeof(s->last_method), "%s", names[i]);
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t n = evbuffer_get_length(in);
    if (n >= sizeof(s->last_body))
        n = sizeof(s->last_body) - 1;
    evbuffer_remove(in, s->last_body, n);
    s->last_body[n] = 0;

    struct evbuffer *out = evbuffer_new();
    evhttp_add_header(evhttp_request_get_output_headers(req), "X-Test",
                      "hello");
    if (strcmp(uri, "/stall") == 0) {
        /* answer after 2 s: longer than the client's timeout */
        struct timeval tv = {2, 0};
        event_base_once(s->base, -1, EV_TIMEOUT, stall_cb, req, &tv);
        evbuffer_free(out);
        return;
    }
    if (strcmp(uri, "/big") == 0) {
        char chunk[1024];
        memset(chunk, 'x', sizeof(chunk));
        for (int i = 0; i < 100; i++)
            evbuffer_add(out, chunk, sizeof(chunk));
        evhttp_send_reply(req, 200, "OK", out);
    } else if (strcmp(uri, "/500") == 0) {
        evbuffer_add_printf(out, "{\"error\":\"boom\"}");
        evhttp_send_reply(req, 500, "Internal", out);
    } else {
        evbuffer_add_printf(out, "{\"ok\":true}");
        evhttp_send_reply(req, 200, "OK", out);
    }
    evbuffer_free(out);
}

struct call {
    int done;
    int status;
    enum qvr_fail_kind fail;
    char body[64];
    size_t body_len;
    int has_header;
    uint64_t connect_us;
    uint64_t elapsed_ns;
    struct event_base *base;
};

static void done_cb(void *ud, const struct qvr_http_result *r)
{
    struct call *c = ud;
    c->done = 1;
    c->status = r->status;
    c->fail = r->fail;
    c->body_len = r->body_len;
    snprintf(c->body, sizeof(c->body), "%.*s", (int)r->body_len, r->body);
    c->has_header = strstr(r->headers, "X-Test: hello") != NULL;
    c->connect_us = r->connect_us;
    c->elapsed_ns = r->t_done_ns - r->t_sent_ns;
    event_base_loopbreak(c->base);
}

/* Runs one request to completion on base and returns its outcome. */
static struct call one(struct event_base *base, struct qvr_http_xfer *x,
                       const char *method, const char *url, const char *body)
{
    struct call c;
    memset(&c, 0, sizeof(c));
    c.base = base;
    struct qvr_http_request req;
    memset(&req, 0, sizeof(req));
    req.method = method;
    req.url = url;
    req.body = body;
    req.body_len = body ? strlen(body) : 0;
    const char *h[] = {"Content-Type: application/json"};
    req.headers = h;
    req.nheaders = 1;
    T_EQ_INT(qvr_http_start(x, &req, done_cb, &c), 0);
    T_EQ_INT(qvr_http_start(x, &req, done_cb, &c), QVR_ESTATE);
    while (!c.done)
        event_base_loop(base, EVLOOP_ONCE);
    return c;
}

int main(void)
{
    T_EQ_INT(qvr_http_global_init(), 0);
    struct event_base *base = event_base_new();
    struct srv s;
    memset(&s, 0, sizeof(s));
    s.base = base;
    s.http = evhttp_new(base);
    struct evhttp_bound_socket *bs =
        evhttp_bind_socket_with_handle(s.http, "127.0.0.1", 0);
    T_CHECK(bs != NULL);
    evhttp_set_gencb(s.http, handler, &s);
    struct sockaddr_in sin;
    socklen_t sl = sizeof(sin);
    getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&sin, &sl);
    s.port = ntohs(sin.sin_port);

    struct qvr_http_conf conf;
    qvr_http_conf_init(&conf);
    conf.timeout_ms = 300;
    conf.max_body = 10000;
    struct qvr_http *h = qvr_http_new(base, &conf);
    struct qvr_http_xfer *x = qvr_http_xfer_new(h);
    T_CHECK(h && x);
    char url[128];

    /* An answer, its body and headers; the first request connects. */
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/ok", s.port);
    struct call c = one(base, x, "GET", url, NULL);
    T_EQ_INT(c.status, 200);
    T_EQ_INT(c.fail, QVR_FAIL_NONE);
    T_EQ_STR(c.body, "{\"ok\":true}");
    T_CHECK(c.has_header);
    T_CHECK(c.connect_us > 0);
    T_EQ_STR(s.last_method, "GET");

    /* Keep-alive: the next 50 requests reuse the connection. */
    int reused = 0;
    for (int i = 0; i < 50; i++) {
        c = one(base, x, "POST", url, "{\"q\":1}");
        reused += c.connect_us == 0 && c.status == 200;
    }
    T_EQ_INT(reused, 50);
    T_EQ_STR(s.last_method, "POST");
    T_EQ_STR(s.last_body, "{\"q\":1}");
    T_EQ_INT(qvr_http_active(h), 0);

    /* Other methods; after a POST, a GET carries no body. */
    c = one(base, x, "PUT", url, "abc");
    T_EQ_STR(s.last_method, "PUT");
    T_EQ_STR(s.last_body, "abc");
    c = one(base, x, "GET", url, NULL);
    T_EQ_STR(s.last_method, "GET");
    T_EQ_STR(s.last_body, "");

    /* A 500 is an answer: status kept, no transport failure. */
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/500", s.port);
    c = one(base, x, "GET", url, NULL);
    T_EQ_INT(c.status, 500);
    T_EQ_INT(c.fail, QVR_FAIL_NONE);

    /* Above max_body: too_large, not a silent truncation. */
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/big", s.port);
    c = one(base, x, "GET", url, NULL);
    T_EQ_INT(c.fail, QVR_FAIL_TOO_LARGE);
    T_EQ_INT(c.status, 0);

    /* Timeout at the configured 300 ms. */
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/stall", s.port);
    c = one(base, x, "GET", url, NULL);
    T_EQ_INT(c.fail, QVR_FAIL_TIMEOUT);
    T_CHECK(c.elapsed_ns >= 290 * QVR_NS_PER_MS);
    T_CHECK(c.elapsed_ns < 1000 * QVR_NS_PER_MS);

    /* Refused: a port nobody listens on (ours, after closing it). */
    evhttp_del_accept_socket(s.http, bs);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/ok", s.port);
    struct qvr_http_xfer *y = qvr_http_xfer_new(h);
    c = one(base, y, "GET", url, NULL);
    T_EQ_INT(c.fail, QVR_FAIL_REFUSED);
    qvr_http_xfer_free(y);

    /* DNS: a name under .invalid never resolves (RFC 6761). */
    y = qvr_http_xfer_new(h);
    c = one(base, y, "GET", "http://no-such-host.invalid/", NULL);
    T_EQ_INT(c.fail, QVR_FAIL_DNS);

    /* Cancel: no callback, nothing active afterwards. */
    struct qvr_http_request req;
    memset(&req, 0, sizeof(req));
    req.method = "GET";
    req.url = "http://127.0.0.1:1/";
    struct call never;
    memset(&never, 0, sizeof(never));
    T_EQ_INT(qvr_http_start(y, &req, done_cb, &never), 0);
    T_EQ_INT(qvr_http_active(h), 1);
    qvr_http_cancel(y);
    T_EQ_INT(qvr_http_active(h), 0);
    T_EQ_INT(never.done, 0);
    qvr_http_xfer_free(y);

    qvr_http_xfer_free(x);
    qvr_http_free(h);
    evhttp_free(s.http);
    event_base_free(base);
    qvr_http_global_cleanup();
    return T_DONE();
}
