/* collect.c -- host, GPU, target-gauge and timing-header samples (see
 * collect.h).
 *
 * Every value lives in a column: a name, where it comes from, and the sum
 * and count of the samples of the current window plus the last sample.
 * Closing a window turns every column into one float of the row (the
 * window's mean; for sampled gauges the last value when the window had no
 * sample; for headers nothing) and clears the sums. Columns are only ever
 * appended, so a row stored early simply has no value for a column
 * discovered later. */
#include "collect.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "clock.h"
#include "expo.h"
#include "log.h"
#include "plan.h"
#include "proc.h"
#include "qvr.h"
#include "window_row.h"

extern char **environ;

#define GPU_TIMEOUT_NS (5 * QVR_NS_PER_S)
#define GPU_MAX_FAILS 3
#define GPU_OUT_MAX 8192
#define PROM_TIMEOUT_S 2
#define PROM_MAX_GAUGES 256
#define MAX_COLS (5 + QVR_COLLECT_MAX_HEADERS + QVR_COLLECT_MAX_PROM)

enum col_kind {
    K_CPU,
    K_MEM,
    K_GPU_UTIL,
    K_GPU_MEM,
    K_GPU_TOTAL,
    K_HEADER,
    K_TIMING,
    K_PROM
};

struct col {
    enum col_kind kind;
    char name[80];   /* CSV column name */
    char match[128]; /* header name, Server-Timing metric or gauge family */
    double sum;      /* samples of the current window */
    uint32_t n;
    double last;     /* last sample; NaN until one */
    double last_win; /* value of the last closed window; NaN: none */
};

struct qvr_collect {
    struct event_base *base;
    /* qvr_collect_share: worker threads feed headers while the main thread
     * samples and closes windows; every entry point that touches the
     * columns then holds mu. */
    int shared;
    pthread_mutex_t mu;
    struct event *tick_ev;
    int host;
    uint64_t cpu_busy, cpu_total;
    int cpu_have;
    struct col cols[MAX_COLS];
    int ncols, nheaders, nprom;
    /* GPU */
    int gpu_on;
    char gpu_name[128]; /* as configured, for notes */
    char gpu_path[PATH_MAX];
    pid_t gpu_pid; /* child not yet reaped, or 0 */
    int gpu_fd;    /* its stdout, or -1 once at EOF */
    struct event *gpu_ev;
    uint64_t gpu_t0;
    char gpu_out[GPU_OUT_MAX];
    size_t gpu_len;
    int gpu_fails;
    int gpu_status; /* exit status once reaped; -1 before */
    int gpu_parsed; /* output of the current child handled */
    /* Prometheus */
    int prom_on;
    char prom_url[1024];
    char prom_host[256];
    int prom_port;
    char prom_path[1024];
    struct evhttp_connection *conn;
    int prom_busy;
    int prom_fails;
    int prom_noted;
    /* rows */
    float *rows; /* nrows x MAX_COLS, NaN = no value */
    int nrows, caprows;
};

/* ---- parsers ------------------------------------------------------------- */

int qvr_collect_parse_stat(const char *text, uint64_t *busy, uint64_t *total)
{
    const char *p = text;
    while (p && strncmp(p, "cpu ", 4) != 0) {
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    if (!p)
        return QVR_EINVAL;
    p += 4;
    uint64_t v[8] = {0};
    int n = 0;
    while (n < 8) {
        while (*p == ' ')
            p++;
        if (*p < '0' || *p > '9')
            break;
        char *end;
        v[n++] = strtoull(p, &end, 10);
        p = end;
    }
    if (n < 4)
        return QVR_EINVAL;
    uint64_t t = 0;
    for (int i = 0; i < n; i++)
        t += v[i];
    *total = t;
    *busy = t - v[3] - (n > 4 ? v[4] : 0); /* all but idle and iowait */
    return 0;
}

int qvr_collect_parse_meminfo(const char *text, double *avail_mb)
{
    const char *p = strstr(text, "MemAvailable:");
    if (!p)
        return QVR_EINVAL;
    p += 13;
    char *end;
    errno = 0;
    unsigned long long kb = strtoull(p, &end, 10);
    if (end == p || errno)
        return QVR_EINVAL;
    *avail_mb = (double)kb / 1024.0;
    return 0;
}

/* Parses a number after optional spaces; NULL when none. */
static const char *num(const char *p, double *out)
{
    while (*p == ' ' || *p == '\t')
        p++;
    char *end;
    double v = strtod(p, &end);
    if (end == p || isnan(v) || isinf(v))
        return NULL;
    *out = v;
    return end;
}

int qvr_collect_parse_gpu(const char *text, double *util_pct,
                          double *mem_used_mb, double *mem_total_mb)
{
    double u = 0, used = 0, tot = 0;
    int n = 0;
    for (const char *line = text; line && *line;) {
        const char *eol = strchr(line, '\n');
        double a, b, c;
        const char *p = num(line, &a);
        if (p && *p == ',')
            p = num(p + 1, &b);
        else
            p = NULL;
        if (p && *p == ',')
            p = num(p + 1, &c);
        else
            p = NULL;
        if (p) {
            while (*p == ' ' || *p == '\t' || *p == '\r')
                p++;
            if (p == eol || *p == 0) {
                u += a;
                used += b;
                tot += c;
                n++;
            }
        }
        line = eol ? eol + 1 : NULL;
    }
    if (!n)
        return QVR_EINVAL;
    *util_pct = u / n;
    *mem_used_mb = used;
    *mem_total_mb = tot;
    return n;
}

static int is_name_char(int c)
{
    return isalnum(c) || c == '_' || c == ':';
}

int qvr_collect_parse_prom(const char *text, size_t len,
                           struct qvr_prom_gauge *out, int max)
{
    int n = 0;
    const char *end = text + len;
    for (const char *line = text; line < end;) {
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        if (!eol)
            eol = end;
        const char *p = line;
        line = eol + 1;
        while (p < eol && (*p == ' ' || *p == '\t'))
            p++;
        if (p < eol && *p == '#') {
            /* "# TYPE name gauge" declares a family */
            if (eol - p < 7 || strncmp(p, "# TYPE ", 7) != 0 || n >= max)
                continue;
            const char *nm = p + 7, *q = nm;
            while (q < eol && is_name_char((unsigned char)*q))
                q++;
            size_t nl = (size_t)(q - nm);
            while (q < eol && *q == ' ')
                q++;
            if (!nl || nl >= sizeof(out->name) || eol - q < 5 ||
                strncmp(q, "gauge", 5) != 0)
                continue;
            int dup = 0;
            for (int i = 0; i < n && !dup; i++)
                dup = strlen(out[i].name) == nl &&
                      strncmp(out[i].name, nm, nl) == 0;
            if (dup)
                continue;
            memcpy(out[n].name, nm, nl);
            out[n].name[nl] = 0;
            out[n].value = 0;
            n++;
            continue;
        }
        /* a sample: name[{labels}] value [timestamp] */
        const char *nm = p;
        while (p < eol && is_name_char((unsigned char)*p))
            p++;
        size_t nl = (size_t)(p - nm);
        if (!nl)
            continue;
        if (p < eol && *p == '{') {
            int quoted = 0;
            for (p++; p < eol; p++) {
                if (quoted && *p == '\\' && p + 1 < eol)
                    p++;
                else if (*p == '"')
                    quoted = !quoted;
                else if (!quoted && *p == '}')
                    break;
            }
            if (p >= eol)
                continue;
            p++;
        }
        char vbuf[64];
        size_t vl = 0;
        while (p < eol && (*p == ' ' || *p == '\t'))
            p++;
        while (p < eol && *p != ' ' && *p != '\t' && *p != '\r' &&
               vl < sizeof(vbuf) - 1)
            vbuf[vl++] = *p++;
        vbuf[vl] = 0;
        char *ve;
        double v = strtod(vbuf, &ve);
        if (!vl || *ve || isnan(v))
            continue;
        for (int i = 0; i < n; i++)
            if (strlen(out[i].name) == nl &&
                strncmp(out[i].name, nm, nl) == 0) {
                out[i].value += v;
                break;
            }
    }
    return n;
}

int qvr_collect_parse_server_timing(const char *value, size_t len,
                                    void (*fn)(void *ud, const char *name,
                                               size_t name_len, double ms),
                                    void *ud)
{
    const char *p = value, *end = value + len;
    int calls = 0;
    while (p < end) {
        while (p < end && (*p == ' ' || *p == '\t' || *p == ','))
            p++;
        const char *nm = p;
        while (p < end && *p != ';' && *p != ',' && *p != ' ' && *p != '\t')
            p++;
        size_t nl = (size_t)(p - nm);
        double dur = NAN;
        /* parameters: ;key=value or ;key="quoted, value" */
        for (;;) {
            while (p < end && (*p == ' ' || *p == '\t'))
                p++;
            if (p >= end || *p != ';')
                break;
            p++;
            while (p < end && (*p == ' ' || *p == '\t'))
                p++;
            const char *k = p;
            while (p < end && *p != '=' && *p != ';' && *p != ',')
                p++;
            size_t kl = (size_t)(p - k);
            while (kl && (k[kl - 1] == ' ' || k[kl - 1] == '\t'))
                kl--;
            if (p >= end || *p != '=')
                continue;
            p++;
            while (p < end && (*p == ' ' || *p == '\t'))
                p++;
            char vbuf[64];
            size_t vl = 0;
            if (p < end && *p == '"') {
                for (p++; p < end && *p != '"'; p++) {
                    if (*p == '\\' && p + 1 < end)
                        p++;
                    if (vl < sizeof(vbuf) - 1)
                        vbuf[vl++] = *p;
                }
                if (p < end)
                    p++;
            } else {
                while (p < end && *p != ';' && *p != ',' && *p != ' ' &&
                       *p != '\t') {
                    if (vl < sizeof(vbuf) - 1)
                        vbuf[vl++] = *p;
                    p++;
                }
            }
            vbuf[vl] = 0;
            if (kl == 3 && strncasecmp(k, "dur", 3) == 0) {
                char *ve;
                double d = strtod(vbuf, &ve);
                if (vl && !*ve && !isnan(d) && !isinf(d))
                    dur = d;
            }
        }
        /* skip anything up to the next metric */
        while (p < end && *p != ',')
            p++;
        if (nl && !isnan(dur)) {
            fn(ud, nm, nl, dur);
            calls++;
        }
    }
    return calls;
}

/* ---- columns ------------------------------------------------------------- */

static void lock(struct qvr_collect *c)
{
    if (c->shared)
        pthread_mutex_lock(&c->mu);
}

static void unlock(struct qvr_collect *c)
{
    if (c->shared)
        pthread_mutex_unlock(&c->mu);
}

static struct col *add_col(struct qvr_collect *c, enum col_kind kind,
                           const char *name, const char *match)
{
    if (c->ncols == MAX_COLS)
        return NULL;
    struct col *k = &c->cols[c->ncols++];
    memset(k, 0, sizeof(*k));
    k->kind = kind;
    snprintf(k->name, sizeof(k->name), "%s", name);
    snprintf(k->match, sizeof(k->match), "%s", match ? match : "");
    k->last = NAN;
    k->last_win = NAN;
    return k;
}

/* A CSV column name from free text: lower case, [a-z0-9_] only. */
static void col_name(char *out, size_t len, const char *prefix, const char *s,
                     size_t n, const char *suffix)
{
    size_t o = (size_t)snprintf(out, len, "%s", prefix);
    for (size_t i = 0; i < n && o + 1 < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        out[o++] = isalnum(ch) ? (char)tolower(ch) : '_';
    }
    out[o < len ? o : len - 1] = 0;
    size_t l = strlen(out);
    snprintf(out + l, len - l, "%s", suffix);
}

static void add_sample(struct col *k, double v)
{
    if (!k || isnan(v) || isinf(v))
        return;
    k->sum += v;
    k->n++;
    k->last = v;
}

static struct col *find_col(struct qvr_collect *c, enum col_kind kind,
                            const char *match, size_t n)
{
    for (int i = 0; i < c->ncols; i++) {
        struct col *k = &c->cols[i];
        if (k->kind == kind && strlen(k->match) == n &&
            strncasecmp(k->match, match, n) == 0)
            return k;
    }
    return NULL;
}

static struct col *kind_col(struct qvr_collect *c, enum col_kind kind)
{
    for (int i = 0; i < c->ncols; i++)
        if (c->cols[i].kind == kind)
            return &c->cols[i];
    return NULL;
}

/* ---- host ---------------------------------------------------------------- */

static int read_small(const char *path, char *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t got = 0;
    while (got + 1 < len) {
        ssize_t n = read(fd, buf + got, len - 1 - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    buf[got] = 0;
    return (int)got;
}

static void sample_host(struct qvr_collect *c)
{
    char buf[8192];
    uint64_t busy, total;
    if (read_small("/proc/stat", buf, sizeof(buf)) > 0 &&
        qvr_collect_parse_stat(buf, &busy, &total) == 0) {
        if (c->cpu_have && total > c->cpu_total && busy >= c->cpu_busy)
            add_sample(kind_col(c, K_CPU), 100.0 *
                                               (double)(busy - c->cpu_busy) /
                                               (double)(total - c->cpu_total));
        c->cpu_busy = busy;
        c->cpu_total = total;
        c->cpu_have = 1;
    }
    double mb;
    if (read_small("/proc/meminfo", buf, sizeof(buf)) > 0 &&
        qvr_collect_parse_meminfo(buf, &mb) == 0)
        add_sample(kind_col(c, K_MEM), mb);
}

/* ---- GPU: the command as a child process --------------------------------- */

/* The executable for cmd (base/proc.c): itself when it holds a '/', else
 * the first match on PATH. 0 or -1. */
static int find_exe(const char *cmd, char *out, size_t len)
{
    return qvr_proc_which(cmd, out, len);
}

static void gpu_off(struct qvr_collect *c, const char *why)
{
    if (!c->gpu_on)
        return;
    c->gpu_on = 0;
    qvr_info("GPU samples %s", why);
}

static void gpu_close_pipe(struct qvr_collect *c)
{
    if (c->gpu_ev) {
        event_free(c->gpu_ev);
        c->gpu_ev = NULL;
    }
    if (c->gpu_fd >= 0) {
        close(c->gpu_fd);
        c->gpu_fd = -1;
    }
}

/* Reaps the child if it has exited (no waiting). 1 when reaped. */
static int gpu_reap(struct qvr_collect *c)
{
    if (!c->gpu_pid)
        return 1;
    int st = 0;
    int r = qvr_proc_reap(c->gpu_pid, 0, &st, NULL);
    if (r == 0)
        return 0;
    c->gpu_pid = 0;
    if (r < 0) /* someone reaped it for us (SIGCHLD ignored) */
        c->gpu_status = 0;
    else
        c->gpu_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return 1;
}

/* The child's output is complete: a sample, or a failure. */
static void gpu_output(struct qvr_collect *c)
{
    if (c->gpu_parsed)
        return;
    c->gpu_parsed = 1;
    c->gpu_out[c->gpu_len] = 0;
    double u, used, tot;
    if (qvr_collect_parse_gpu(c->gpu_out, &u, &used, &tot) > 0) {
        add_sample(kind_col(c, K_GPU_UTIL), u);
        add_sample(kind_col(c, K_GPU_MEM), used);
        add_sample(kind_col(c, K_GPU_TOTAL), tot);
        c->gpu_fails = 0;
        return;
    }
    gpu_reap(c);
    if (c->gpu_status == 127) {
        char why[300];
        snprintf(why, sizeof(why), "skipped: %s not found", c->gpu_name);
        gpu_off(c, why);
        return;
    }
    if (++c->gpu_fails >= GPU_MAX_FAILS) {
        char first[160];
        size_t l = strcspn(c->gpu_out, "\r\n");
        snprintf(first, sizeof(first), "%.*s", (int)(l < 150 ? l : 150),
                 c->gpu_out);
        char why[400];
        snprintf(why, sizeof(why), "stopped: %s failed %d times (%s)",
                 c->gpu_name, c->gpu_fails, first[0] ? first : "no output");
        gpu_off(c, why);
    }
}

static void gpu_read(struct qvr_collect *c, evutil_socket_t fd)
{
    for (;;) {
        char chunk[1024];
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n <= 0) {
            gpu_close_pipe(c);
            gpu_reap(c);
            gpu_output(c);
            return;
        }
        size_t take = (size_t)n;
        if (take > GPU_OUT_MAX - 1 - c->gpu_len)
            take = GPU_OUT_MAX - 1 - c->gpu_len;
        memcpy(c->gpu_out + c->gpu_len, chunk, take);
        c->gpu_len += take;
    }
}

static void gpu_read_cb(evutil_socket_t fd, short what, void *arg)
{
    struct qvr_collect *c = arg;
    (void)what;
    lock(c);
    gpu_read(c, fd);
    unlock(c);
}

static void gpu_spawn(struct qvr_collect *c)
{
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) < 0)
        return;
    char *argv[] = {c->gpu_name,
                    (char *)"--query-gpu=utilization.gpu,memory.used,"
                            "memory.total",
                    (char *)"--format=csv,noheader,nounits", NULL};
    pid_t pid =
        qvr_proc_spawn(c->gpu_path, argv, environ, pfd[1], QVR_PROC_NULL);
    close(pfd[1]);
    if (pid < 0) {
        close(pfd[0]);
        return;
    }
    fcntl(pfd[0], F_SETFL, fcntl(pfd[0], F_GETFL) | O_NONBLOCK);
    c->gpu_pid = pid;
    c->gpu_fd = pfd[0];
    c->gpu_len = 0;
    c->gpu_parsed = 0;
    c->gpu_status = -1;
    c->gpu_t0 = qvr_clock_ns();
    c->gpu_ev =
        event_new(c->base, c->gpu_fd, EV_READ | EV_PERSIST, gpu_read_cb, c);
    if (!c->gpu_ev || event_add(c->gpu_ev, NULL) < 0) {
        gpu_close_pipe(c);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        c->gpu_pid = 0;
    }
}

static void sample_gpu(struct qvr_collect *c)
{
    if (c->gpu_fd >= 0 || c->gpu_pid) {
        /* the last one is still running or not reaped yet */
        if (c->gpu_fd < 0 && gpu_reap(c))
            goto spawn;
        if (qvr_clock_ns() - c->gpu_t0 < GPU_TIMEOUT_NS)
            return;
        if (c->gpu_pid) {
            kill(c->gpu_pid, SIGKILL);
            waitpid(c->gpu_pid, NULL, 0);
            c->gpu_pid = 0;
        }
        gpu_close_pipe(c);
        c->gpu_len = 0;
        snprintf(c->gpu_out, sizeof(c->gpu_out), "no answer within 5s");
        c->gpu_len = strlen(c->gpu_out);
        c->gpu_status = -1;
        gpu_output(c);
        if (!c->gpu_on)
            return;
    }
spawn:
    gpu_spawn(c);
}

/* ---- the target's Prometheus endpoint ----------------------------------- */

static void prom_fail(struct qvr_collect *c, const char *why)
{
    c->prom_fails++;
    if (!c->prom_noted) {
        c->prom_noted = 1;
        qvr_warn("Prometheus samples from %s failed: %s (retrying each "
                 "second; this is said once)",
                 c->prom_url, why);
    }
}

static void prom_answer(struct qvr_collect *c, struct evhttp_request *req)
{
    c->prom_busy = 0;
    if (!req || evhttp_request_get_response_code(req) == 0) {
        prom_fail(c, "no answer");
        return;
    }
    int code = evhttp_request_get_response_code(req);
    if (code != 200) {
        char why[32];
        snprintf(why, sizeof(why), "HTTP %d", code);
        prom_fail(c, why);
        return;
    }
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(in);
    const char *text = (const char *)evbuffer_pullup(in, (ev_ssize_t)len);
    struct qvr_prom_gauge *g = calloc(PROM_MAX_GAUGES, sizeof(*g));
    if (!g || !text) {
        free(g);
        return;
    }
    int n = qvr_collect_parse_prom(text, len, g, PROM_MAX_GAUGES);
    for (int i = 0; i < n; i++) {
        struct col *k = find_col(c, K_PROM, g[i].name, strlen(g[i].name));
        if (!k && c->nprom < QVR_COLLECT_MAX_PROM) {
            char name[80];
            col_name(name, sizeof(name), "prom_", g[i].name, strlen(g[i].name),
                     "");
            k = add_col(c, K_PROM, name, g[i].name);
            if (k)
                c->nprom++;
        }
        add_sample(k, g[i].value);
    }
    free(g);
}

static void prom_done(struct evhttp_request *req, void *arg)
{
    struct qvr_collect *c = arg;
    lock(c);
    prom_answer(c, req);
    unlock(c);
}

static void sample_prom(struct qvr_collect *c)
{
    if (c->prom_busy)
        return;
    if (!c->conn) {
        c->conn = evhttp_connection_base_new(c->base, NULL, c->prom_host,
                                             (ev_uint16_t)c->prom_port);
        if (!c->conn) {
            prom_fail(c, "cannot create a connection");
            return;
        }
        evhttp_connection_set_timeout(c->conn, PROM_TIMEOUT_S);
    }
    struct evhttp_request *req = evhttp_request_new(prom_done, c);
    if (!req)
        return;
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Host", c->prom_host);
    evhttp_add_header(h, "Accept", "text/plain");
    evhttp_add_header(h, "User-Agent", "qvrrun");
    if (evhttp_make_request(c->conn, req, EVHTTP_REQ_GET, c->prom_path) < 0) {
        prom_fail(c, "cannot send the request");
        return;
    }
    c->prom_busy = 1;
}

static int prom_setup(struct qvr_collect *c, const char *url, char *err,
                      unsigned long errlen)
{
    snprintf(c->prom_url, sizeof(c->prom_url), "%s", url);
    struct evhttp_uri *u = evhttp_uri_parse(url);
    const char *scheme = u ? evhttp_uri_get_scheme(u) : NULL;
    const char *host = u ? evhttp_uri_get_host(u) : NULL;
    if (!u || !scheme || strcasecmp(scheme, "http") != 0 || !host || !*host) {
        snprintf(err, errlen,
                 "collect.prometheus: '%s' is not an "
                 "http://HOST[:PORT][/PATH] URL",
                 url);
        if (u)
            evhttp_uri_free(u);
        return QVR_EINVAL;
    }
    snprintf(c->prom_host, sizeof(c->prom_host), "%s", host);
    c->prom_port = evhttp_uri_get_port(u) > 0 ? evhttp_uri_get_port(u) : 80;
    const char *path = evhttp_uri_get_path(u);
    const char *query = evhttp_uri_get_query(u);
    snprintf(c->prom_path, sizeof(c->prom_path), "%s%s%s",
             path && *path ? path : "/metrics", query ? "?" : "",
             query ? query : "");
    evhttp_uri_free(u);
    c->prom_on = 1;
    return 0;
}

/* ---- the collector ------------------------------------------------------- */

void qvr_collect_tick(struct qvr_collect *c)
{
    if (c->host)
        sample_host(c);
    if (c->gpu_on)
        sample_gpu(c);
    if (c->prom_on)
        sample_prom(c);
}

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
    struct qvr_collect *c = arg;
    (void)fd;
    (void)what;
    lock(c);
    qvr_collect_tick(c);
    unlock(c);
}

void qvr_collect_share(struct qvr_collect *c)
{
    if (c && !c->shared && pthread_mutex_init(&c->mu, NULL) == 0)
        c->shared = 1;
}

int qvr_collect_wanted(const struct qvr_plan *p)
{
    return p && (p->collect_host || p->collect_gpu || p->collect_prom ||
                 p->ncollect_headers > 0);
}

struct qvr_collect *qvr_collect_new(struct event_base *base,
                                    const struct qvr_plan *p, char *err,
                                    unsigned long errlen)
{
    struct qvr_collect *c = calloc(1, sizeof(*c));
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    c->base = base;
    c->gpu_fd = -1;
    c->gpu_status = -1;
    if (p && p->collect_host) {
        c->host = 1;
        add_col(c, K_CPU, "cpu_pct", NULL);
        add_col(c, K_MEM, "mem_avail_mb", NULL);
    }
    if (p && p->collect_gpu && *p->collect_gpu) {
        snprintf(c->gpu_name, sizeof(c->gpu_name), "%s", p->collect_gpu);
        if (find_exe(p->collect_gpu, c->gpu_path, sizeof(c->gpu_path)) < 0) {
            qvr_info("GPU samples skipped: %s not found on this machine "
                     "(collect.gpu samples the load generator's GPU; for "
                     "the target's, use collect.prometheus)",
                     p->collect_gpu);
        } else {
            c->gpu_on = 1;
            add_col(c, K_GPU_UTIL, "gpu_util_pct", NULL);
            add_col(c, K_GPU_MEM, "gpu_mem_mb", NULL);
            add_col(c, K_GPU_TOTAL, "gpu_mem_total_mb", NULL);
        }
    }
    for (int i = 0; p && i < p->ncollect_headers; i++) {
        const char *h = p->collect_headers[i];
        if (c->nheaders == QVR_COLLECT_MAX_HEADERS || !h || !*h)
            break;
        if (find_col(c, K_HEADER, h, strlen(h)))
            continue;
        char name[80];
        col_name(name, sizeof(name), "", h, strlen(h), "");
        if (add_col(c, K_HEADER, name, h))
            c->nheaders++;
    }
    if (p && p->collect_prom && *p->collect_prom &&
        prom_setup(c, p->collect_prom, err, errlen) < 0)
        goto fail;
    if (c->host || c->gpu_on || c->prom_on) {
        c->tick_ev = event_new(base, -1, EV_PERSIST, tick_cb, c);
        struct timeval tv = {(time_t)(QVR_COLLECT_PERIOD_NS / QVR_NS_PER_S), 0};
        if (!c->tick_ev || event_add(c->tick_ev, &tv) < 0) {
            snprintf(err, errlen, "cannot start the collect timer");
            goto fail;
        }
        qvr_collect_tick(c); /* the CPU baseline, the first GPU sample */
    }
    return c;
fail:
    qvr_collect_free(c);
    return NULL;
}

void qvr_collect_free(struct qvr_collect *c)
{
    if (!c)
        return;
    if (c->tick_ev)
        event_free(c->tick_ev);
    gpu_close_pipe(c);
    if (c->gpu_pid) {
        kill(c->gpu_pid, SIGKILL);
        waitpid(c->gpu_pid, NULL, 0);
    }
    if (c->conn)
        evhttp_connection_free(c->conn);
    if (c->shared)
        pthread_mutex_destroy(&c->mu);
    free(c->rows);
    free(c);
}

/* ---- timing headers ------------------------------------------------------ */

static void timing_cb(void *ud, const char *name, size_t n, double ms)
{
    struct qvr_collect *c = ud;
    struct col *k = find_col(c, K_TIMING, name, n);
    if (!k && c->nheaders < QVR_COLLECT_MAX_HEADERS) {
        char col[80], match[128];
        col_name(col, sizeof(col), "st_", name, n < 60 ? n : 60, "_ms");
        snprintf(match, sizeof(match), "%.*s", (int)(n < 127 ? n : 127), name);
        k = add_col(c, K_TIMING, col, match);
        if (k)
            c->nheaders++;
    }
    add_sample(k, ms);
}

static void header(struct qvr_collect *c, const char *raw, size_t len)
{
    const char *end = raw + len;
    for (const char *line = raw; line < end;) {
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        if (!eol)
            eol = end;
        const char *next = eol + 1;
        const char *colon = memchr(line, ':', (size_t)(eol - line));
        size_t nl = colon ? (size_t)(colon - line) : 0;
        /* The name decides first: most lines are neither. */
        int timing = nl == 13 && strncasecmp(line, "Server-Timing", 13) == 0;
        struct col *k = !timing && nl && c->nheaders
                            ? find_col(c, K_HEADER, line, nl)
                            : NULL;
        if (!timing && !k) {
            line = next;
            continue;
        }
        const char *v = colon + 1;
        const char *ve = eol;
        while (v < ve && (*v == ' ' || *v == '\t'))
            v++;
        while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t'))
            ve--;
        if (timing) {
            qvr_collect_parse_server_timing(v, (size_t)(ve - v), timing_cb, c);
        } else {
            char vbuf[64];
            size_t vl = (size_t)(ve - v) < sizeof(vbuf) - 1 ? (size_t)(ve - v)
                                                            : sizeof(vbuf) - 1;
            memcpy(vbuf, v, vl);
            vbuf[vl] = 0;
            double d;
            if (num(vbuf, &d))
                add_sample(k, d);
        }
        line = next;
    }
}

void qvr_collect_header(struct qvr_collect *c, const char *raw, size_t len)
{
    lock(c);
    header(c, raw, len);
    unlock(c);
}

/* ---- rows ---------------------------------------------------------------- */

static int window(struct qvr_collect *c)
{
    if (c->nrows == c->caprows) {
        int cap = c->caprows ? c->caprows * 2 : 256;
        float *n = realloc(c->rows, (size_t)cap * MAX_COLS * sizeof(float));
        if (!n)
            return QVR_ENOMEM;
        c->rows = n;
        c->caprows = cap;
    }
    float *row = c->rows + (size_t)c->nrows * MAX_COLS;
    for (int i = 0; i < MAX_COLS; i++)
        row[i] = NAN;
    for (int i = 0; i < c->ncols; i++) {
        struct col *k = &c->cols[i];
        double v;
        if (k->n)
            v = k->sum / k->n;
        else if (k->kind == K_HEADER || k->kind == K_TIMING)
            v = NAN;
        else
            v = k->last;
        row[i] = (float)v;
        k->last_win = v;
        k->sum = 0;
        k->n = 0;
    }
    return c->nrows++;
}

int qvr_collect_window(struct qvr_collect *c)
{
    lock(c);
    int rc = window(c);
    unlock(c);
    return rc;
}

int qvr_collect_nrows(const struct qvr_collect *c)
{
    return c->nrows;
}

int qvr_collect_columns(const struct qvr_collect *c, char *buf, size_t len)
{
    size_t o = 0;
    if (len)
        buf[0] = 0;
    for (int i = 0; i < c->ncols; i++) {
        int n =
            snprintf(buf + o, len > o ? len - o : 0, ",%s", c->cols[i].name);
        if (n < 0 || o + (size_t)n >= len)
            return QVR_ERANGE;
        o += (size_t)n;
    }
    return (int)o;
}

/* A value as a CSV cell: up to 3 decimals, trailing zeros dropped. */
static int fmt_cell(char *out, size_t len, double v)
{
    if (isnan(v))
        return snprintf(out, len, ",");
    char tmp[48];
    snprintf(tmp, sizeof(tmp), "%.3f", v);
    char *dot = strchr(tmp, '.');
    if (dot) {
        char *e = tmp + strlen(tmp) - 1;
        while (e > dot && *e == '0')
            *e-- = 0;
        if (e == dot)
            *e = 0;
    }
    return snprintf(out, len, ",%s", tmp);
}

int qvr_collect_row(const struct qvr_collect *c, int row, char *buf, size_t len)
{
    if (row < 0 || row >= c->nrows)
        return QVR_EINVAL;
    const float *r = c->rows + (size_t)row * MAX_COLS;
    size_t o = 0;
    if (len)
        buf[0] = 0;
    for (int i = 0; i < c->ncols; i++) {
        int n = fmt_cell(buf + o, len > o ? len - o : 0, r[i]);
        if (n < 0 || o + (size_t)n >= len)
            return QVR_ERANGE;
        o += (size_t)n;
    }
    return (int)o;
}

/* ---- latest values ------------------------------------------------------- */

static double last_of(const struct qvr_collect *c, enum col_kind kind)
{
    for (int i = 0; i < c->ncols; i++)
        if (c->cols[i].kind == kind)
            return c->cols[i].last;
    return NAN;
}

void qvr_collect_latest(const struct qvr_collect *c,
                        struct qvr_collect_sample *out)
{
    out->cpu_pct = last_of(c, K_CPU);
    out->mem_avail_mb = last_of(c, K_MEM);
    out->gpu_util_pct = last_of(c, K_GPU_UTIL);
    out->gpu_mem_mb = last_of(c, K_GPU_MEM);
    out->gpu_mem_total_mb = last_of(c, K_GPU_TOTAL);
}

int qvr_collect_json(const struct qvr_collect *c, char *buf, size_t len)
{
    size_t o = 0;
    if (len)
        buf[0] = 0;
    for (int i = 0; i < c->ncols; i++) {
        const struct col *k = &c->cols[i];
        if (isnan(k->last))
            continue;
        int n = snprintf(buf + o, len > o ? len - o : 0, "%s\"%s\":%.6g",
                         o ? "," : "", k->name, k->last);
        if (n < 0 || o + (size_t)n >= len)
            return QVR_ERANGE;
        o += (size_t)n;
    }
    return (int)o;
}

static int collect_expo(const struct qvr_collect *c, struct qvr_expo *e);

int qvr_collect_expo(const struct qvr_collect *c, struct qvr_expo *e)
{
    struct qvr_collect *mc = (struct qvr_collect *)c; /* the lock only */
    lock(mc);
    int rc = collect_expo(c, e);
    unlock(mc);
    return rc;
}

static int collect_expo(const struct qvr_collect *c, struct qvr_expo *e)
{
    int rc = 0, r;
    for (int i = 0; i < c->ncols; i++) {
        const struct col *k = &c->cols[i];
        char labels[200];
        switch (k->kind) {
        case K_CPU:
            r = qvr_expo_value(e, "qvrrun_host_cpu_percent", NULL, 0,
                               "Host CPU busy, percent of all CPUs.", k->last);
            break;
        case K_MEM:
            r = qvr_expo_value(e, "qvrrun_host_memory_available_bytes", NULL, 0,
                               "Host MemAvailable.", k->last * 1024 * 1024);
            break;
        case K_GPU_UTIL:
            r = qvr_expo_value(e, "qvrrun_gpu_utilization_percent", NULL, 0,
                               "Mean GPU utilisation (nvidia-smi).", k->last);
            break;
        case K_GPU_MEM:
            r = qvr_expo_value(e, "qvrrun_gpu_memory_used_bytes", NULL, 0,
                               "GPU memory used, all GPUs (nvidia-smi).",
                               k->last * 1024 * 1024);
            break;
        case K_HEADER:
        case K_TIMING:
            snprintf(labels, sizeof(labels), "header=\"%s\"", k->name);
            r = qvr_expo_value(e, "qvrrun_target_header_seconds", labels, 0,
                               "Mean of a timing header of the answers "
                               "over the last window.",
                               k->last_win / 1000);
            break;
        case K_PROM:
            snprintf(labels, sizeof(labels), "name=\"%s\"", k->match);
            r = qvr_expo_value(e, "qvrrun_target_gauge", labels, 0,
                               "A gauge scraped from the target.", k->last);
            break;
        default:
            r = 0;
            break;
        }
        if (r < 0 && rc == 0)
            rc = r;
    }
    return rc;
}

/* ---- findings ------------------------------------------------------------ */

static char *sentence(const char *fmt, ...) QVR_PRINTF(1, 2);

static char *sentence(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    return strdup(buf);
}

/* Mean of column k over rows [a, b) that have requests and a value;
 * *n gets how many there were. */
static double col_mean(const struct qvr_collect *c, int k,
                       const struct qvr_window_row *rows, int a, int b, int *n)
{
    double s = 0;
    int m = 0;
    for (int i = a; i < b; i++) {
        float v = c->rows[(size_t)i * MAX_COLS + (size_t)k];
        if (rows[i].requests == 0 || isnan(v))
            continue;
        s += v;
        m++;
    }
    if (n)
        *n = m;
    return m ? s / m : NAN;
}

/* Mean of a window figure over rows [a, b) with requests. */
static double row_mean(const struct qvr_window_row *rows, int a, int b, int p99)
{
    double s = 0;
    int m = 0;
    for (int i = a; i < b; i++) {
        if (rows[i].requests == 0)
            continue;
        s += p99 ? rows[i].p99_ms : rows[i].rps;
        m++;
    }
    return m ? s / m : NAN;
}

static int col_index(const struct qvr_collect *c, enum col_kind kind)
{
    for (int i = 0; i < c->ncols; i++)
        if (c->cols[i].kind == kind)
            return i;
    return -1;
}

int qvr_collect_findings(const struct qvr_collect *c,
                         const struct qvr_window_row *rows, int nrows,
                         char **out, int max)
{
    int nf = 0;
    int n = nrows < c->nrows ? nrows : c->nrows;
    if (n < 6 || max <= 0)
        return 0;
    int third = n / 3;
    double p99_a = row_mean(rows, 0, third, 1);
    double p99_b = row_mean(rows, n - third, n, 1);
    double rps_a = row_mean(rows, 0, third, 0);
    double rps_b = row_mean(rows, n - third, n, 0);

    /* GPU idle while P99 rises: the wait is not on the GPU. */
    int gi = col_index(c, K_GPU_UTIL);
    if (gi >= 0 && nf < max && !isnan(p99_a) && !isnan(p99_b) &&
        p99_b >= 1.5 * p99_a && p99_b - p99_a >= 50) {
        int m;
        double g = col_mean(c, gi, rows, n - third, n, &m);
        if (m > 0 && g < 50)
            out[nf++] = sentence(
                "P99 rose from %.0f ms to %.0f ms while the GPU was mostly "
                "idle (%.0f%% utilisation on average over the last third): "
                "the time goes to queueing, pre-processing or the network, "
                "not to inference",
                p99_a, p99_b, g);
    }

    /* CPU saturated while throughput is flat. */
    int ci = col_index(c, K_CPU);
    if (ci >= 0 && nf < max && !isnan(rps_a) && !isnan(rps_b) && rps_a > 0) {
        int busy = 0, with = 0;
        for (int i = 0; i < n; i++) {
            float v = c->rows[(size_t)i * MAX_COLS + (size_t)ci];
            if (rows[i].requests == 0 || isnan(v))
                continue;
            with++;
            busy += v >= 90;
        }
        if (with >= 3 && busy * 2 >= with && rps_b <= 1.10 * rps_a) {
            double mean = col_mean(c, ci, rows, 0, n, NULL);
            out[nf++] = sentence(
                "host CPU was saturated (90%% or more in %d of %d windows, "
                "%.0f%% on average) while throughput stayed flat "
                "(%.1f -> %.1f req/s): the CPU, not the GPU, may be the "
                "limit (if the target runs on this host) or the load "
                "generator itself is short of CPU",
                busy, with, mean, rps_a, rps_b);
        }
    }

    /* Queueing against inference, from the timing headers. */
    int qi = -1, ii = -1;
    for (int i = 0; i < c->ncols; i++) {
        if (c->cols[i].kind != K_HEADER && c->cols[i].kind != K_TIMING)
            continue;
        if (qi < 0 && strstr(c->cols[i].name, "queue"))
            qi = i;
        if (ii < 0 && strstr(c->cols[i].name, "infer"))
            ii = i;
    }
    if (qi >= 0 && ii >= 0 && nf < max) {
        int mq, mi;
        double q = col_mean(c, qi, rows, 0, n, &mq);
        double inf = col_mean(c, ii, rows, 0, n, &mi);
        if (mq > 0 && mi > 0 && q > inf && q >= 10)
            out[nf++] = sentence(
                "answers spent more time queued than in inference (%s mean "
                "%.0f ms against %s %.0f ms): the target is short of "
                "capacity (slots or batching), not slow per request",
                c->cols[qi].name, q, c->cols[ii].name, inf);
    }
    for (int i = 0; i < nf; i++)
        if (!out[i]) { /* strdup failed: drop the rest */
            nf = i;
            break;
        }
    return nf;
}
