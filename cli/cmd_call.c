/* cmd_call.c -- `qvrrun call URL|SCENARIO.lua`: one request, shown whole.
 *
 * For a URL the request is built from the flags. For a scenario its first
 * task runs once in a virtual user, as in a run, up to its first http.*
 * call (a qvr.rerank payload included); that request is held back (the VU
 * ctx's on_send) and sent here instead. Either way the request goes through
 * core/net/http.c (libcurl), and the status, libcurl's timings, the answer's
 * headers and its body are printed. Secret request headers are shown as
 * <redacted>. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/event.h>

#include "args.h"
#include "buf.h"
#include "clock.h"
#include "cmd.h"
#include "fmt.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "mock.h"
#include "mock_plan.h"
#include "qvr.h"
#include "redact.h"
#include "script.h"
#include "vu.h"

#define MAX_HEADERS 64

/* The request to send, owned. */
struct call_req {
    char method[16];
    char *url;
    char *body;
    size_t body_len;
    char *headers[MAX_HEADERS];
    int nheaders;
    char task[128]; /* scenario: the task and request name */
    char name[128];
};

struct call {
    struct event_base *base;
    struct qvr_http *http;
    struct call_req req;
    int held;      /* scenario: the first request was taken */
    int done;      /* the answer (or failure) came */
    int stopped;   /* scenario: the iteration ended without a request */
    int rc;        /* exit code */
    int show_body; /* print the body */
    struct qvr_redact redact;
};

static void usage(FILE *out)
{
    fputs("usage: qvrrun call URL [flags]\n"
          "       qvrrun call SCENARIO.lua [--target URL] [-e KEY=VALUE]\n"
          "  sends one request and prints its status, timings (DNS, connect, "
          "TLS, time to\n"
          "  first byte, total), the response headers and body. For a "
          "scenario: the first\n"
          "  request of its first task (target = \"mock\" starts the "
          "built-in mock).\n"
          "  -X, --method M     method for a URL (default GET, POST with a "
          "body)\n"
          "  -d, --data BODY    request body for a URL (@FILE reads a file)\n"
          "  --json BODY        the same, with Content-Type: "
          "application/json\n"
          "  -H, --header 'N: V'  a request header (repeatable)\n"
          "  --timeout D        whole-request timeout (default 60s)\n"
          "  --insecure         do not verify the TLS certificate\n"
          "  --target URL       a scenario's target instead of its own\n"
          "  -e KEY=VALUE       value for env(KEY) in the scenario\n"
          "  --no-body          leave the body out\n"
          "exit codes: 0 an answer came (any status), 2 usage or scenario "
          "error,\n"
          "            3 no answer (refused, timeout, reset, ...)\n",
          out);
}

static void req_free(struct call_req *r)
{
    free(r->url);
    free(r->body);
    for (int i = 0; i < r->nheaders; i++)
        free(r->headers[i]);
    memset(r, 0, sizeof(*r));
}

static int add_header(struct call_req *r, const char *line, size_t len)
{
    if (r->nheaders == MAX_HEADERS)
        return QVR_EINVAL;
    char *h = malloc(len + 1);
    if (!h)
        return QVR_ENOMEM;
    memcpy(h, line, len);
    h[len] = 0;
    r->headers[r->nheaders++] = h;
    return 0;
}

static int has_header(const struct call_req *r, const char *name)
{
    size_t n = strlen(name);
    for (int i = 0; i < r->nheaders; i++)
        if (strncasecmp(r->headers[i], name, n) == 0 && r->headers[i][n] == ':')
            return 1;
    return 0;
}

/* ---- the answer --------------------------------------------------------- */

static void print_ms(const char *label, uint64_t us, int known)
{
    char b[16];
    printf("  %-12s %s\n", label,
           known ? qvr_fmt_ms((double)us / 1000.0, b, sizeof(b)) : "-");
}

static void answered(void *ud, const struct qvr_http_result *res)
{
    struct call *c = ud;
    c->done = 1;
    event_base_loopbreak(c->base);
    if (res->fail != QVR_FAIL_NONE && !res->status) {
        qvr_error("call: %s %s: no answer: %s (%s)", c->req.method, c->req.url,
                  res->error ? res->error : "?", qvr_fail_kind_name(res->fail));
        c->rc = QVR_EXIT_RUN;
        return;
    }
    int v = res->http_version;
    printf("< HTTP/%s %d\n",
           v == 20   ? "2"
           : v == 30 ? "3"
           : v == 10 ? "1.0"
                     : "1.1",
           res->status);
    /* the raw header block: skip the status line(s), print the rest */
    const char *h = res->headers, *end = res->headers + res->headers_len;
    while (h < end) {
        const char *nl = memchr(h, '\n', (size_t)(end - h));
        size_t len = nl ? (size_t)(nl - h) : (size_t)(end - h);
        size_t shown = len && h[len - 1] == '\r' ? len - 1 : len;
        if (shown && strncmp(h, "HTTP/", 5) != 0)
            printf("< %.*s\n", (int)shown, h);
        h += len + (nl ? 1 : 0);
    }
    printf("<\n");
    if (c->show_body && res->body_len) {
        fwrite(res->body, 1, res->body_len, stdout);
        if (res->body[res->body_len - 1] != '\n')
            putchar('\n');
    }
    uint64_t total_us = (res->t_done_ns - res->t_sent_ns) / 1000;
    int fresh = res->connect_us > 0;
    printf("\nbody: %zu bytes%s\n", res->body_len,
           res->fail != QVR_FAIL_NONE ? " (cut short)" : "");
    printf("timings (libcurl; phases alone, first byte and total from the "
           "start):\n");
    print_ms("dns", res->dns_us, fresh);
    print_ms("connect",
             res->connect_us - (res->dns_us < res->connect_us
                                    ? res->dns_us
                                    : res->connect_us),
             fresh);
    print_ms("tls", res->tls_us, res->tls_us > 0);
    print_ms("first byte", res->ttfb_us, res->ttfb_us > 0);
    print_ms("total", total_us, 1);
    if (res->fail != QVR_FAIL_NONE) {
        qvr_error("call: the answer failed: %s", res->error ? res->error : "?");
        c->rc = QVR_EXIT_RUN;
    }
    fflush(stdout);
}

/* Sends c->req and prints the answer; returns the exit code. */
static int send_req(struct call *c, long timeout_ms, int insecure)
{
    struct call_req *r = &c->req;
    struct qvr_http_conf hc;
    qvr_http_conf_init(&hc);
    if (timeout_ms > 0)
        hc.timeout_ms = timeout_ms;
    hc.insecure = insecure;
    if (!c->http && !(c->http = qvr_http_new(c->base, &hc))) {
        qvr_error("call: cannot set up libcurl");
        return QVR_EXIT_RUN;
    }
    struct qvr_http_xfer *x = qvr_http_xfer_new(c->http);
    if (!x) {
        qvr_error("call: out of memory");
        return QVR_EXIT_RUN;
    }
    printf("> %s %s\n", r->method, r->url);
    for (int i = 0; i < r->nheaders; i++) {
        const char *colon = strchr(r->headers[i], ':');
        size_t kl = colon ? (size_t)(colon - r->headers[i]) : 0;
        if (colon && qvr_redact_is_secret(&c->redact, r->headers[i], kl))
            printf("> %.*s: <redacted>\n", (int)kl, r->headers[i]);
        else
            printf("> %s\n", r->headers[i]);
    }
    if (r->body_len)
        printf("> (body: %zu bytes)\n", r->body_len);
    printf(">\n");
    fflush(stdout);
    struct qvr_http_request req = {
        .method = r->method,
        .url = r->url,
        .body = r->body,
        .body_len = r->body_len,
        .headers = (const char *const *)r->headers,
        .nheaders = r->nheaders,
    };
    c->done = 0;
    c->rc = QVR_EXIT_OK;
    int rc = qvr_http_start(x, &req, answered, c);
    if (rc < 0) {
        qvr_error("call: %s: cannot send: %s", r->url, qvr_strerror(rc));
        qvr_http_xfer_free(x);
        return rc == QVR_EINVAL ? QVR_EXIT_USAGE : QVR_EXIT_RUN;
    }
    while (!c->done && event_base_loop(c->base, EVLOOP_ONCE) == 0)
        ;
    qvr_http_xfer_free(x);
    return c->rc;
}

/* ---- a scenario's first request ----------------------------------------- */

static int hold_first(void *ud, struct qvr_vu *vu,
                      const struct qvr_http_request *req)
{
    struct call *c = ud;
    struct call_req *r = &c->req;
    if (c->held)
        return 1;
    c->held = 1;
    snprintf(r->method, sizeof(r->method), "%s", req->method);
    snprintf(r->name, sizeof(r->name), "%s", vu->name);
    r->url = strdup(req->url);
    if (req->body_len && (r->body = malloc(req->body_len)) != NULL) {
        memcpy(r->body, req->body, req->body_len);
        r->body_len = req->body_len;
    }
    for (int i = 0; i < req->nheaders; i++)
        add_header(r, req->headers[i], strlen(req->headers[i]));
    event_base_loopbreak(c->base);
    return 1;
}

static void iteration_over(void *ud, struct qvr_vu *vu)
{
    struct call *c = ud;
    (void)vu;
    c->stopped = 1;
    event_base_loopbreak(c->base);
}

static int scenario_request(struct call *c, const char *file,
                            const struct qvr_overrides *ov, long *timeout_ms,
                            int *insecure)
{
    char err[1024] = "";
    int code = QVR_EXIT_USAGE;
    struct qvr_mock *mock = NULL;
    struct qvr_metrics *m = NULL;
    struct qvr_vu *vu = NULL;
    struct qvr_vu_ctx ctx;
    memset(&ctx, 0, sizeof(ctx));
    struct qvr_script *s = qvr_script_load(file, ov, err, sizeof(err));
    if (!s) {
        qvr_error("%s", err);
        return QVR_EXIT_USAGE;
    }
    struct qvr_plan *p = &s->plan;
    char target[128];
    const char *t = p->target;
    if (p->target_is_mock) {
        int port = qvr_mock_plan_start(p->mock_argc, p->mock_argv, &mock, err,
                                       sizeof(err));
        if (port < 0) {
            qvr_error("%s: %s", p->file, err);
            code = port == QVR_EINVAL ? QVR_EXIT_USAGE : QVR_EXIT_RUN;
            goto out;
        }
        snprintf(target, sizeof(target), "http://127.0.0.1:%d", port);
        t = target;
    }
    if (!p->ntasks) {
        qvr_error("%s: the scenario has no task", p->file);
        goto out;
    }
    for (int i = 0; i < p->nredact; i++)
        qvr_redact_add_name(&c->redact, p->redact[i]);
    *timeout_ms = p->timeout_ms;
    *insecure = p->insecure;
    struct qvr_http_conf hc;
    qvr_http_conf_init(&hc);
    hc.timeout_ms = p->timeout_ms;
    hc.max_body = p->max_body;
    hc.insecure = p->insecure;
    const char *names[] = {p->tasks[0].name, NULL};
    static const double one = 1.0;
    code = QVR_EXIT_RUN;
    if (!(c->http = qvr_http_new(c->base, &hc)) ||
        !(m = qvr_metrics_new(1, names))) {
        qvr_error("call: out of memory");
        goto out;
    }
    ctx.base = c->base;
    ctx.http = &c->http;
    ctx.nhttp = 1;
    ctx.L = s->L;
    ctx.metrics = m;
    ctx.target = t;
    ctx.ntasks = 1; /* the first task, whatever the weights */
    ctx.task_refs = p->task_refs;
    ctx.task_cumw = &one;
    ctx.rng = 0x9E3779B97F4A7C15ULL ^ qvr_clock_ns();
    ctx.timeout_ms = p->timeout_ms;
    ctx.open_model = 1; /* one iteration, then on_free */
    ctx.redact = &c->redact;
    ctx.on_send = hold_first;
    ctx.on_free = iteration_over;
    ctx.on_stopped = iteration_over;
    ctx.ud = c;
    if (!(vu = qvr_vu_new(&ctx, 1))) {
        qvr_error("call: out of memory");
        goto out;
    }
    snprintf(c->req.task, sizeof(c->req.task), "%s", p->tasks[0].name);
    qvr_vu_begin(vu, qvr_clock_ns());
    uint64_t until = qvr_clock_ns() + 30 * QVR_NS_PER_S;
    while (!c->held && !c->stopped && qvr_clock_ns() < until &&
           event_base_loop(c->base, EVLOOP_ONCE) == 0)
        ;
    if (!c->held) {
        qvr_error("%s: task '%s' %s without sending a request", p->file,
                  p->tasks[0].name, c->stopped ? "ended" : "ran for 30 s");
        code = QVR_EXIT_USAGE;
        goto out;
    }
    qvr_vu_free(vu);
    vu = NULL;
    printf("# scenario %s, task '%s', request '%s'\n", p->name, c->req.task,
           c->req.name);
    code = send_req(c, *timeout_ms, *insecure);
out:
    qvr_vu_free(vu);
    qvr_vu_ctx_cleanup(&ctx);
    qvr_metrics_free(m);
    qvr_script_free(s);
    qvr_mock_stop(mock);
    return code;
}

/* ---- flags -------------------------------------------------------------- */

static int is_scenario(const char *a)
{
    size_t n = strlen(a);
    return n > 4 && strcmp(a + n - 4, ".lua") == 0;
}

/* The body of -d/--json: the text, or @FILE's content. */
static int take_body(struct call_req *r, const char *v)
{
    free(r->body);
    r->body = NULL;
    r->body_len = 0;
    if (v[0] != '@') {
        r->body_len = strlen(v);
        r->body = r->body_len ? strdup(v) : NULL;
        return r->body_len && !r->body ? QVR_ENOMEM : 0;
    }
    struct qvr_buf b;
    qvr_buf_init(&b, 64u << 20);
    FILE *f = fopen(v + 1, "rb");
    if (!f) {
        qvr_buf_free(&b);
        return QVR_EIO;
    }
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        qvr_buf_append(&b, chunk, n);
    int bad = ferror(f) || b.truncated;
    fclose(f);
    if (bad) {
        qvr_buf_free(&b);
        return QVR_EIO;
    }
    r->body = b.data;
    r->body_len = b.len;
    return 0;
}

int qvr_cmd_call(int argc, char **argv)
{
    struct call c;
    memset(&c, 0, sizeof(c));
    c.show_body = 1;
    qvr_redact_init(&c.redact);
    struct qvr_overrides ov;
    memset(&ov, 0, sizeof(ov));
    ov.users = -1;
    ov.spawn_rate = -1;
    ov.duration_ns = -1;
    ov.rps = -1;
    const char **env = calloc((size_t)argc + 1, sizeof(char *));
    const char *what = NULL, *method = NULL;
    long timeout_ms = 0;
    int insecure = 0, json = 0, url_flags = 0;
    int rc = QVR_EXIT_USAGE;
    if (!env) {
        rc = QVR_EXIT_RUN;
        goto out;
    }
    ov.env = env;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (qvr_args_is_help(a)) {
            usage(stdout);
            rc = QVR_EXIT_OK;
            goto out;
        }
        if (a[0] != '-' || !a[1]) {
            if (what) {
                rc = qvr_args_bad("call",
                                  "call: unexpected argument '%s': give one "
                                  "URL or scenario",
                                  a);
                goto out;
            }
            what = a;
            continue;
        }
        if (strcmp(a, "--insecure") == 0 || strcmp(a, "-k") == 0) {
            insecure = 1;
            continue;
        }
        if (strcmp(a, "--no-body") == 0) {
            c.show_body = 0;
            continue;
        }
        static const char *const valued[] = {
            "-X",       "--method",  "-d",       "--data", "--json", "-H",
            "--header", "--timeout", "--target", "-e",     "--env",  NULL};
        int k = 0;
        while (valued[k] && strcmp(a, valued[k]) != 0)
            k++;
        if (!valued[k]) {
            rc = qvr_args_bad("call", "call: unknown flag '%s'", a);
            goto out;
        }
        const char *v = qvr_args_value(argc, argv, &i);
        if (!v) {
            rc = qvr_args_bad("call", "call: flag '%s' needs a value", a);
            goto out;
        }
        if (strcmp(a, "-X") == 0 || strcmp(a, "--method") == 0) {
            if (strlen(v) >= sizeof(c.req.method) || strpbrk(v, " \t\r\n")) {
                rc = qvr_args_bad("call", "call: %s: not a method", a);
                goto out;
            }
            method = v;
            url_flags++;
        } else if (strcmp(a, "-d") == 0 || strcmp(a, "--data") == 0 ||
                   strcmp(a, "--json") == 0) {
            if (take_body(&c.req, v) < 0) {
                qvr_error("call: %s: cannot read '%s': %s", a, v + 1,
                          strerror(errno ? errno : EIO));
                goto out;
            }
            json |= a[2] == 'j';
            url_flags++;
        } else if (strcmp(a, "-H") == 0 || strcmp(a, "--header") == 0) {
            const char *colon = strchr(v, ':');
            if (!colon || colon == v) {
                rc = qvr_args_bad(
                    "call", "call: -H: expected 'Name: value', got '%s'", v);
                goto out;
            }
            if (add_header(&c.req, v, strlen(v)) < 0) {
                rc = qvr_args_bad("call", "call: -H: more than 64 headers%s",
                                  "");
                goto out;
            }
            url_flags++;
        } else if (strcmp(a, "--timeout") == 0) {
            uint64_t ns;
            if (qvr_args_duration(v, QVR_NS_PER_MS, &ns) < 0) {
                rc = qvr_args_bad("call",
                                  "call: --timeout: bad duration '%s' (use "
                                  "e.g. 500ms, 30s)",
                                  v);
                goto out;
            }
            timeout_ms = (long)(ns / QVR_NS_PER_MS);
        } else if (strcmp(a, "--target") == 0) {
            ov.target = v;
        } else {
            if (!qvr_args_env_pair(v)) {
                rc = qvr_args_bad("call",
                                  "call: -e: expected KEY=VALUE, got "
                                  "'%s'",
                                  v);
                goto out;
            }
            env[ov.nenv++] = v;
        }
    }
    if (!what) {
        rc = qvr_args_bad("call", "call: give a URL or a scenario file%s", "");
        goto out;
    }
    c.base = event_base_new();
    if (!c.base) {
        qvr_error("call: cannot create the event loop");
        rc = QVR_EXIT_RUN;
        goto out;
    }
    if (is_scenario(what)) {
        if (url_flags) {
            rc = qvr_args_bad("call",
                              "call: -X, -d, --json and -H are for a URL; "
                              "the scenario '%s' builds its own request",
                              what);
            goto out;
        }
        long t_ms = 0;
        int ins = 0;
        rc = scenario_request(&c, what, &ov, &t_ms, &ins);
        goto out;
    }
    if (strncmp(what, "http://", 7) != 0 && strncmp(what, "https://", 8) != 0) {
        rc = qvr_args_bad("call",
                          "call: '%s' is neither an http:// or https:// URL "
                          "nor a scenario file (.lua)",
                          what);
        goto out;
    }
    if (ov.target || ov.nenv) {
        rc = qvr_args_bad("call", "call: --target and -e are for a scenario%s",
                          "");
        goto out;
    }
    snprintf(c.req.method, sizeof(c.req.method), "%s",
             method       ? method
             : c.req.body ? "POST"
                          : "GET");
    if (!(c.req.url = strdup(what))) {
        rc = QVR_EXIT_RUN;
        goto out;
    }
    if (json && !has_header(&c.req, "Content-Type")) {
        static const char ct[] = "Content-Type: application/json";
        add_header(&c.req, ct, sizeof(ct) - 1);
    }
    rc = send_req(&c, timeout_ms, insecure);
out:
    req_free(&c.req);
    qvr_http_free(c.http);
    if (c.base)
        event_base_free(c.base);
    qvr_redact_fini(&c.redact);
    free(env);
    return rc;
}
