/* web.h -- the live dashboard (`--web [ADDR]`): an evhttp server on the
 * caller's event base that serves one page (page.h: HTML, CSS, script and
 * the charting library compiled into the binary), streams the run's state
 * to it with Server-Sent Events, and takes the page's controls.
 *
 *   GET  /         the page
 *   GET  /events   text/event-stream: on connect one `history` event
 *                  ({"windows": [...], "state": {...}}: every window so
 *                  far, so a late or reconnecting browser catches up), then
 *                  one `window` event per closed window ({"window": [...],
 *                  "state": {...}}) and a `state` event when only the state
 *                  changed (a phase)
 *   POST /stop     {}              the caller's stop
 *   POST /users    {"count": N}    the caller's set_users
 *   POST /rate     {"rps": X}      the caller's set_rate
 *
 * The server never holds up the load: a client whose unsent output passes
 * QVR_WEB_CLIENT_MAX bytes is skipped (nothing more is queued for it) and,
 * once it has drained, resynchronised with a fresh `history` event; one
 * still behind after QVR_WEB_LAG_WINDOWS windows is disconnected (its
 * EventSource reconnects and catches up from the history).
 *
 * Safety: an address without a host binds loopback. A non-loopback bind
 * needs a token; with a token every request must carry it (`?token=`,
 * `Authorization: Bearer`, or `X-Qvr-Token`). Without one, requests must
 * name a loopback Host (DNS rebinding). A control must be a POST with
 * Content-Type application/json, which a foreign page cannot send without
 * a CORS preflight this server never grants. */
#ifndef QVR_WEB_H
#define QVR_WEB_H

#include <stddef.h>

struct event_base;
struct qvr_web;

#define QVR_WEB_DEFAULT_ADDR "127.0.0.1:8089"
#define QVR_WEB_CLIENT_MAX (1024 * 1024) /* unsent bytes per client */
#define QVR_WEB_LAG_WINDOWS 30
#define QVR_WEB_MAX_CLIENTS 32

/* The controls the page can use; a NULL member answers 409 ("not for this
 * load"). Each returns 0, or a negative enum qvr_err with a one-line reason
 * in err (the page shows it). */
struct qvr_web_ops {
    void *ud;
    int (*stop)(void *ud, char *err, size_t len);
    int (*set_users)(void *ud, long n, char *err, size_t len);
    int (*set_rate)(void *ud, double rps, char *err, size_t len);
};

/* Starts serving on base at addr ("HOST:PORT", "[V6]:PORT", ":PORT",
 * "PORT"; NULL or "" for QVR_WEB_DEFAULT_ADDR; port 0 picks a free one).
 * token (copied; NULL or "" for none) is required for a non-loopback host.
 * ops is copied. Returns the server, which the caller stops with
 * qvr_web_stop before freeing base, or NULL with a one-line reason in err
 * (bad address, non-loopback without a token, cannot bind). */
struct qvr_web *qvr_web_start(struct event_base *base, const char *addr,
                              const char *token, const struct qvr_web_ops *ops,
                              char *err, size_t errlen);

/* Closes every client, stops serving and frees w. NULL is a no-op. */
void qvr_web_stop(struct qvr_web *w);

/* "http://HOST:PORT/" of the bound socket (owned by w). */
const char *qvr_web_url(const struct qvr_web *w);

/* 1 when a token protects the server. */
int qvr_web_has_token(const struct qvr_web *w);

/* One closed window: window_json (a JSON value, copied) joins the history,
 * state_json (a JSON object, copied) becomes the current state, and both
 * go to every client that keeps up. Returns 0 or QVR_ENOMEM. */
int qvr_web_window(struct qvr_web *w, const char *window_json,
                   const char *state_json);

/* A new state without a window (a phase began): kept and sent. Returns 0
 * or QVR_ENOMEM. */
int qvr_web_state(struct qvr_web *w, const char *state_json);

/* `--web [ADDR]` takes its optional value when the next argument v looks
 * like an address: a port ("8089", "0"), or holds a ':' and is not a file
 * name ending in .lua ("127.0.0.1:0", ":8089", "[::1]:8089"). Returns 1 or
 * 0 (NULL: 0). */
int qvr_web_addr_like(const char *v);

/* Number of clients connected to /events (for tests). */
int qvr_web_clients(const struct qvr_web *w);

/* Bytes queued for the clients and not yet taken by their sockets, all
 * clients together (for tests: it stays within QVR_WEB_CLIENT_MAX and one
 * event per client however slow a client is). */
size_t qvr_web_unsent(const struct qvr_web *w);

/* Splits addr into host and port as qvr_web_start reads it; 1 in
 * *loopback when host is 127.0.0.0/8, ::1 or localhost. Returns 0 or
 * QVR_EINVAL with err set. Exposed for tests. */
int qvr_web_parse_addr(const char *addr, char *host, size_t hlen, int *port,
                       int *loopback, char *err, size_t errlen);

#endif
