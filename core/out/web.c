/* web.c -- the live dashboard's server (see web.h).
 *
 * The history is one growing text of comma-separated window values, so a
 * client that connects late gets "[" + history + "]" in one event; the
 * state is the latest JSON object as given. Clients of /events are kept in
 * a list; libevent tells us (the connection's close callback) when one is
 * gone, and the request is never touched after that. */
#include "web.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <cjson/cJSON.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "buf.h"
#include "page.h"
#include "qvr.h"

struct client {
    struct qvr_web *w;
    struct evhttp_request *req;  /* the open /events reply */
    struct evhttp_connection *c; /* its connection */
    int behind;                  /* windows skipped while it was full */
    struct client *next;
};

struct qvr_web {
    struct evhttp *http;
    struct qvr_web_ops ops;
    char token[256]; /* "" for none */
    int loopback;    /* bound to a loopback address */
    char url[160];
    struct qvr_buf history; /* window values, comma-separated */
    int nwindows;
    char *state; /* latest state (owned), or NULL */
    char *page;  /* the page, built once (owned) */
    size_t plen;
    struct client *clients;
    int nclients;
};

/* ---- addresses and requests ---------------------------------------------- */

static int host_is_loopback(const char *h)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (strcasecmp(h, "localhost") == 0)
        return 1;
    if (inet_pton(AF_INET, h, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, h, &a6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&a6);
    return 0;
}

int qvr_web_parse_addr(const char *addr, char *host, size_t hlen, int *port,
                       int *loopback, char *err, size_t errlen)
{
    const char *p;
    if (!addr || !*addr)
        addr = QVR_WEB_DEFAULT_ADDR;
    if (addr[0] == '[') {
        const char *close = strchr(addr, ']');
        if (!close || close[1] != ':' || (size_t)(close - addr) >= hlen) {
            snprintf(err, errlen, "--web '%s': expected [V6]:PORT", addr);
            return QVR_EINVAL;
        }
        snprintf(host, hlen, "%.*s", (int)(close - addr - 1), addr + 1);
        p = close + 2;
    } else {
        const char *colon = strrchr(addr, ':');
        if (!colon || colon == addr) {
            snprintf(host, hlen, "127.0.0.1");
            p = colon ? colon + 1 : addr;
        } else {
            if ((size_t)(colon - addr) >= hlen) {
                snprintf(err, errlen, "--web '%s': host too long", addr);
                return QVR_EINVAL;
            }
            snprintf(host, hlen, "%.*s", (int)(colon - addr), addr);
            p = colon + 1;
        }
    }
    char *end;
    errno = 0;
    long v = strtol(p, &end, 10);
    if (!*p || *end || errno || v < 0 || v > 65535) {
        snprintf(err, errlen, "--web '%s': bad port '%s'", addr, p);
        return QVR_EINVAL;
    }
    *port = (int)v;
    *loopback = host_is_loopback(host);
    return 0;
}

int qvr_web_addr_like(const char *v)
{
    if (!v || !*v || v[0] == '-')
        return 0;
    size_t n = strlen(v);
    if (strspn(v, "0123456789") == n)
        return 1;
    return strchr(v, ':') && !(n > 4 && strcmp(v + n - 4, ".lua") == 0);
}

/* Compares in time independent of where the strings differ. */
static int token_equal(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned char d = la != lb;
    for (size_t i = 0; i < la && i < lb; i++)
        d |= (unsigned char)(a[i] ^ b[i]);
    return d == 0;
}

/* Whether req may be served: the token when there is one, else a loopback
 * Host header (a page on another site resolving its name to 127.0.0.1
 * sends its own name). */
static int allowed(struct qvr_web *w, struct evhttp_request *req)
{
    struct evkeyvalq *h = evhttp_request_get_input_headers(req);
    if (!w->token[0]) {
        const char *host = evhttp_find_header(h, "Host");
        if (!host || !w->loopback)
            return host != NULL;
        char name[128];
        if (host[0] == '[') {
            const char *e = strchr(host, ']');
            if (!e)
                return 0;
            snprintf(name, sizeof(name), "%.*s", (int)(e - host - 1), host + 1);
        } else {
            snprintf(name, sizeof(name), "%.*s", (int)strcspn(host, ":"), host);
        }
        return host_is_loopback(name);
    }
    const char *v = evhttp_find_header(h, "X-Qvr-Token");
    if (v && token_equal(v, w->token))
        return 1;
    v = evhttp_find_header(h, "Authorization");
    if (v && strncasecmp(v, "Bearer ", 7) == 0 && token_equal(v + 7, w->token))
        return 1;
    const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
    const char *q = u ? evhttp_uri_get_query(u) : NULL;
    int ok = 0;
    struct evkeyvalq args;
    TAILQ_INIT(&args);
    if (q && evhttp_parse_query_str(q, &args) == 0) {
        const char *t = evhttp_find_header(&args, "token");
        ok = t && token_equal(t, w->token);
    }
    evhttp_clear_headers(&args);
    return ok;
}

static void reply(struct evhttp_request *req, int code, const char *reason,
                  const char *ctype, const char *body, size_t len)
{
    struct evbuffer *out = evbuffer_new();
    if (!out) {
        evhttp_send_error(req, 500, NULL);
        return;
    }
    struct evkeyvalq *oh = evhttp_request_get_output_headers(req);
    evhttp_add_header(oh, "Content-Type", ctype);
    evhttp_add_header(oh, "Cache-Control", "no-store");
    evhttp_add_header(oh, "X-Content-Type-Options", "nosniff");
    if (evhttp_request_get_command(req) != EVHTTP_REQ_HEAD)
        evbuffer_add(out, body, len);
    evhttp_send_reply(req, code, reason, out);
    evbuffer_free(out);
}

/* {"ok": true} or {"error": msg} with the code. */
static void reply_json(struct evhttp_request *req, int code, const char *msg)
{
    cJSON *o = cJSON_CreateObject();
    char *s = NULL;
    if (o) {
        if (code == 200)
            cJSON_AddTrueToObject(o, "ok");
        else
            cJSON_AddStringToObject(o, "error", msg);
        s = cJSON_PrintUnformatted(o);
        cJSON_Delete(o);
    }
    if (!s) {
        evhttp_send_error(req, 500, NULL);
        return;
    }
    reply(req, code, code == 200 ? "OK" : "Error", "application/json", s,
          strlen(s));
    free(s);
}

/* ---- events -------------------------------------------------------------- */

static void drop_client(struct qvr_web *w, struct client *c)
{
    for (struct client **p = &w->clients; *p; p = &(*p)->next)
        if (*p == c) {
            *p = c->next;
            w->nclients--;
            free(c);
            return;
        }
}

/* The browser went away. libevent has taken the unfinished reply off the
 * connection it is freeing: ending the reply frees the request. */
static void on_client_close(struct evhttp_connection *evcon, void *arg)
{
    struct client *c = arg;
    (void)evcon;
    if (!evhttp_request_get_connection(c->req))
        evhttp_send_reply_end(c->req);
    drop_client(c->w, c);
}

static size_t unsent(const struct client *c)
{
    struct bufferevent *bev = evhttp_connection_get_bufferevent(c->c);
    return bev ? evbuffer_get_length(bufferevent_get_output(bev)) : 0;
}

/* Queues "event: name\ndata: PARTS\n\n" for one client: the n parts
 * joined without separators (none holds a line break: cJSON's unformatted
 * output escapes them). */
static int send_event(struct client *c, const char *name,
                      const char *const *parts, int n)
{
    struct evbuffer *out = evbuffer_new();
    if (!out)
        return QVR_ENOMEM;
    evbuffer_add_printf(out, "event: %s\ndata: ", name);
    for (int i = 0; i < n; i++)
        evbuffer_add(out, parts[i], strlen(parts[i]));
    evbuffer_add(out, "\n\n", 2);
    evhttp_send_reply_chunk(c->req, out);
    evbuffer_free(out);
    return 0;
}

static int send_history(struct qvr_web *w, struct client *c)
{
    const char *hist = w->history.data ? w->history.data : "";
    const char *parts[] = {"{\"windows\":[", hist,
                           "],\"state\":", w->state ? w->state : "null", "}"};
    return send_event(c, "history", parts, 5);
}

/* Ends every stream where it is: the clients' close callbacks free them. */
static void close_clients(struct qvr_web *w)
{
    while (w->clients) {
        struct client *c = w->clients;
        evhttp_connection_set_closecb(c->c, NULL, NULL);
        w->clients = c->next;
        w->nclients--;
        evhttp_connection_free(c->c);
        free(c);
    }
}

static void handle_events(struct qvr_web *w, struct evhttp_request *req)
{
    if (w->nclients >= QVR_WEB_MAX_CLIENTS) {
        reply_json(req, 503, "too many dashboard clients");
        return;
    }
    struct client *c = calloc(1, sizeof(*c));
    if (!c) {
        evhttp_send_error(req, 500, NULL);
        return;
    }
    c->w = w;
    c->req = req;
    c->c = evhttp_request_get_connection(req);
    struct evkeyvalq *oh = evhttp_request_get_output_headers(req);
    evhttp_add_header(oh, "Content-Type", "text/event-stream");
    evhttp_add_header(oh, "Cache-Control", "no-store");
    evhttp_send_reply_start(req, 200, "OK");
    evhttp_connection_set_closecb(c->c, on_client_close, c);
    c->next = w->clients;
    w->clients = c;
    w->nclients++;
    send_history(w, c);
}

/* Sends one event (the window's or the state's) to every client that
 * keeps up; see web.h for the ones that do not. */
static void broadcast(struct qvr_web *w, const char *name,
                      const char *const *parts, int nparts)
{
    struct client *next;
    for (struct client *c = w->clients; c; c = next) {
        next = c->next;
        size_t n = unsent(c);
        if (n > QVR_WEB_CLIENT_MAX) {
            if (++c->behind > QVR_WEB_LAG_WINDOWS) {
                evhttp_connection_set_closecb(c->c, NULL, NULL);
                evhttp_connection_free(c->c);
                drop_client(w, c);
            }
            continue;
        }
        if (c->behind) {
            /* it skipped some: everything again */
            if (n < QVR_WEB_CLIENT_MAX / 2) {
                c->behind = 0;
                send_history(w, c);
            }
            continue;
        }
        send_event(c, name, parts, nparts);
    }
}

int qvr_web_window(struct qvr_web *w, const char *window_json,
                   const char *state_json)
{
    char *st = strdup(state_json);
    if (!st)
        return QVR_ENOMEM;
    size_t mark = w->history.len;
    if ((w->nwindows && qvr_buf_append(&w->history, ",", 1) < 0) ||
        qvr_buf_append(&w->history, window_json, strlen(window_json)) < 0) {
        w->history.len = mark; /* never half a value */
        if (w->history.data)
            w->history.data[mark] = 0;
        free(st);
        return QVR_ENOMEM;
    }
    w->nwindows++;
    free(w->state);
    w->state = st;
    const char *parts[] = {"{\"window\":", window_json, ",\"state\":", w->state,
                           "}"};
    broadcast(w, "window", parts, 5);
    return 0;
}

int qvr_web_state(struct qvr_web *w, const char *state_json)
{
    char *st = strdup(state_json);
    if (!st)
        return QVR_ENOMEM;
    free(w->state);
    w->state = st;
    const char *parts[] = {w->state};
    broadcast(w, "state", parts, 1);
    return 0;
}

int qvr_web_clients(const struct qvr_web *w)
{
    return w->nclients;
}

size_t qvr_web_unsent(const struct qvr_web *w)
{
    size_t n = 0;
    for (const struct client *c = w->clients; c; c = c->next)
        n += unsent(c);
    return n;
}

/* ---- controls ------------------------------------------------------------ */

/* The JSON body of a control, or NULL after replying 400/415. */
static cJSON *control_body(struct evhttp_request *req)
{
    struct evkeyvalq *h = evhttp_request_get_input_headers(req);
    const char *ct = evhttp_find_header(h, "Content-Type");
    if (!ct || strncasecmp(ct, "application/json", 16) != 0) {
        reply_json(req, 415,
                   "a control is a POST with Content-Type "
                   "application/json");
        return NULL;
    }
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t n = evbuffer_get_length(in);
    char body[1024];
    if (n >= sizeof(body)) {
        reply_json(req, 400, "body too large");
        return NULL;
    }
    evbuffer_remove(in, body, n);
    body[n] = 0;
    cJSON *j = cJSON_Parse(n ? body : "{}");
    if (!j || !cJSON_IsObject(j)) {
        cJSON_Delete(j);
        reply_json(req, 400, "the body is not a JSON object");
        return NULL;
    }
    return j;
}

static void handle_control(struct qvr_web *w, struct evhttp_request *req,
                           const char *path)
{
    if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
        reply_json(req, 405, "a control is a POST");
        return;
    }
    cJSON *j = control_body(req);
    if (!j)
        return;
    char err[256] = "";
    int rc = 0, known = 1;
    if (strcmp(path, "/stop") == 0) {
        known = w->ops.stop != NULL;
        if (known)
            rc = w->ops.stop(w->ops.ud, err, sizeof(err));
    } else if (strcmp(path, "/users") == 0) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "count");
        known = w->ops.set_users != NULL;
        if (known &&
            (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 1e7 ||
             v->valuedouble != (double)(long)v->valuedouble)) {
            snprintf(err, sizeof(err),
                     "users: expected {\"count\": N}, a "
                     "whole number >= 0");
            rc = QVR_EINVAL;
        } else if (known) {
            rc = w->ops.set_users(w->ops.ud, (long)v->valuedouble, err,
                                  sizeof(err));
        }
    } else {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "rps");
        known = w->ops.set_rate != NULL;
        if (known && (!cJSON_IsNumber(v) || !(v->valuedouble > 0) ||
                      v->valuedouble > 1e7)) {
            snprintf(err, sizeof(err), "rate: expected {\"rps\": X}, X > 0");
            rc = QVR_EINVAL;
        } else if (known) {
            rc = w->ops.set_rate(w->ops.ud, v->valuedouble, err, sizeof(err));
        }
    }
    cJSON_Delete(j);
    if (!known)
        reply_json(req, 409, "this control does not apply to this load");
    else if (rc == QVR_EINVAL)
        reply_json(req, 400, err);
    else if (rc < 0)
        reply_json(req, 409, err[0] ? err : "cannot do that now");
    else
        reply_json(req, 200, NULL);
}

static void handle(struct evhttp_request *req, void *arg)
{
    struct qvr_web *w = arg;
    const char *uri = evhttp_request_get_uri(req);
    if (!uri)
        return; /* libevent reporting a failed connection: nothing to do */
    char path[64];
    snprintf(path, sizeof(path), "%.*s", (int)strcspn(uri, "?#"), uri);
    if (!allowed(w, req)) {
        reply_json(req, 403,
                   w->token[0] ? "a token is needed: open the page as "
                                 "/?token=TOKEN"
                               : "the Host header is not a loopback name");
        return;
    }
    enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
    int get = cmd == EVHTTP_REQ_GET || cmd == EVHTTP_REQ_HEAD;
    if (strcmp(path, "/") == 0 && get) {
        reply(req, 200, "OK", "text/html; charset=utf-8", w->page, w->plen);
    } else if (strcmp(path, "/events") == 0 && cmd == EVHTTP_REQ_GET) {
        handle_events(w, req);
    } else if (strcmp(path, "/stop") == 0 || strcmp(path, "/users") == 0 ||
               strcmp(path, "/rate") == 0) {
        handle_control(w, req, path);
    } else {
        reply_json(req, 404, "not found: the dashboard is at /");
    }
}

/* ---- start and stop ------------------------------------------------------ */

struct qvr_web *qvr_web_start(struct event_base *base, const char *addr,
                              const char *token, const struct qvr_web_ops *ops,
                              char *err, size_t errlen)
{
    char host[128];
    int port, loopback;
    if (qvr_web_parse_addr(addr, host, sizeof(host), &port, &loopback, err,
                           errlen) < 0)
        return NULL;
    if (!loopback && (!token || !*token)) {
        snprintf(err, errlen,
                 "--web %s: a non-loopback address needs --web-token TOKEN "
                 "(or QVR_WEB_TOKEN): the page can stop the run",
                 host);
        return NULL;
    }
    if (token && strlen(token) >= sizeof(((struct qvr_web *)0)->token)) {
        snprintf(err, errlen, "--web-token: longer than 255 characters");
        return NULL;
    }
    struct qvr_web *w = calloc(1, sizeof(*w));
    if (!w) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (ops)
        w->ops = *ops;
    snprintf(w->token, sizeof(w->token), "%s", token ? token : "");
    w->loopback = loopback;
    qvr_buf_init(&w->history, 0);
    struct qvr_buf page;
    qvr_buf_init(&page, 0);
    if (qvr_page_build(&page, NULL) < 0) {
        qvr_buf_free(&page);
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    w->page = page.data;
    w->plen = page.len;
    w->http = evhttp_new(base);
    if (!w->http) {
        snprintf(err, errlen, "cannot create the dashboard server");
        goto fail;
    }
    evhttp_set_allowed_methods(w->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD |
                                            EVHTTP_REQ_POST);
    evhttp_set_timeout(w->http, 3600);
    evhttp_set_max_headers_size(w->http, 16 * 1024);
    evhttp_set_max_body_size(w->http, 1023);
    evhttp_set_gencb(w->http, handle, w);
    struct evhttp_bound_socket *bs =
        evhttp_bind_socket_with_handle(w->http, host, (ev_uint16_t)port);
    if (!bs) {
        snprintf(err, errlen, "--web: cannot listen on %s:%d: %s", host, port,
                 strerror(errno ? errno : EADDRINUSE));
        goto fail;
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    char shown[INET6_ADDRSTRLEN] = "";
    if (getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&ss,
                    &sl) != 0) {
        snprintf(err, errlen, "--web socket: %s", strerror(errno));
        goto fail;
    }
    if (ss.ss_family == AF_INET6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        inet_ntop(AF_INET6, &s6->sin6_addr, shown, sizeof(shown));
        snprintf(w->url, sizeof(w->url), "http://[%s]:%d/", shown,
                 ntohs(s6->sin6_port));
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        inet_ntop(AF_INET, &s4->sin_addr, shown, sizeof(shown));
        snprintf(w->url, sizeof(w->url), "http://%s:%d/", shown,
                 ntohs(s4->sin_port));
    }
    return w;
fail:
    qvr_web_stop(w);
    return NULL;
}

void qvr_web_stop(struct qvr_web *w)
{
    if (!w)
        return;
    close_clients(w);
    if (w->http)
        evhttp_free(w->http);
    qvr_buf_free(&w->history);
    free(w->state);
    free(w->page);
    free(w);
}

const char *qvr_web_url(const struct qvr_web *w)
{
    return w->url;
}

int qvr_web_has_token(const struct qvr_web *w)
{
    return w->token[0] != 0;
}
