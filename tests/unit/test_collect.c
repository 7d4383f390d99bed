/* test_collect.c -- the collect module: the /proc, nvidia-smi, Prometheus
 * and Server-Timing parsers (table-driven), then a collector on a real
 * event loop with a fake nvidia-smi, a loopback Prometheus endpoint and
 * fed timing headers, its CSV columns and rows, the one-note rule for a
 * missing GPU command, and the findings (the host CPU ones from a fake
 * /proc/stat). */
#include <arpa/inet.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "collect.h"
#include "expo.h"
#include "qvr.h"
#include "report.h"
#include "script.h"
#include "t.h"

/* ---- parsers ------------------------------------------------------------- */

struct stat_case {
    const char *text;
    int rc;
    uint64_t busy, total;
};

static void test_parse_stat(void)
{
    static const struct stat_case cases[] = {
        {"cpu  100 5 50 800 45 0 0 0 0 0\ncpu0 1 2 3 4\n", 0, 155, 1000},
        {"intr 5\ncpu  10 0 10 80\n", 0, 20, 100}, /* old kernels: 4 */
        {"cpu0 1 2 3 4 5\n", QVR_EINVAL, 0, 0},    /* no aggregate line */
        {"cpu  1 2\n", QVR_EINVAL, 0, 0},
        {"", QVR_EINVAL, 0, 0},
    };
    for (size_t i = 0; i < QVR_ARRAY_LEN(cases); i++) {
        uint64_t b = 0, t = 0;
        int rc = qvr_collect_parse_stat(cases[i].text, &b, &t);
        T_EQ_INT(rc, cases[i].rc);
        if (rc == 0) {
            T_EQ_INT(b, cases[i].busy);
            T_EQ_INT(t, cases[i].total);
        }
    }
    double mb = 0;
    T_EQ_INT(qvr_collect_parse_meminfo("MemTotal: 4096000 kB\nMemFree: 1 kB\n"
                                       "MemAvailable:    2048000 kB\n",
                                       &mb),
             0);
    T_NEAR(mb, 2000, 1e-9);
    T_EQ_INT(qvr_collect_parse_meminfo("MemTotal: 1 kB\n", &mb), QVR_EINVAL);
}

struct gpu_case {
    const char *text;
    int rc;
    double util, used, total;
};

static void test_parse_gpu(void)
{
    static const struct gpu_case cases[] = {
        {"37, 1024, 81920\n", 1, 37, 1024, 81920},
        {"10, 100, 1000\r\n30, 300, 1000\r\n", 2, 20, 400, 2000},
        {"10, 100, 1000\n[N/A], 5, 1000\n", 1, 10, 100, 1000},
        {"[N/A], [N/A], [N/A]\n", QVR_EINVAL, 0, 0, 0},
        {"NVIDIA-SMI has failed because it couldn't communicate with the "
         "NVIDIA driver.\n",
         QVR_EINVAL, 0, 0, 0},
        {"37, 1024\n", QVR_EINVAL, 0, 0, 0},
        {"37, 1024, 81920, 5\n", QVR_EINVAL, 0, 0, 0},
        {"", QVR_EINVAL, 0, 0, 0},
    };
    for (size_t i = 0; i < QVR_ARRAY_LEN(cases); i++) {
        double u = -1, m = -1, t = -1;
        int rc = qvr_collect_parse_gpu(cases[i].text, &u, &m, &t);
        T_CHECK_MSG(rc == cases[i].rc, "case %zu: rc %d", i, rc);
        if (rc > 0) {
            T_NEAR(u, cases[i].util, 1e-9);
            T_NEAR(m, cases[i].used, 1e-9);
            T_NEAR(t, cases[i].total, 1e-9);
        }
    }
}

static const char prom_text[] =
    "# HELP qvr_mock_requests_total Answers.\n"
    "# TYPE qvr_mock_requests_total counter\n"
    "qvr_mock_requests_total{status=\"200\"} 41\n"
    "# TYPE qvr_mock_queue_depth gauge\n"
    "qvr_mock_queue_depth 3\n"
    "# TYPE vllm:num_requests_running gauge\n"
    "vllm:num_requests_running{model_name=\"a}b\",gpu=\"0\"} 2\n"
    "vllm:num_requests_running{model_name=\"c\\\"d\",gpu=\"1\"} 5 1700000000\n"
    "  # a comment\n"
    "# TYPE temp gauge\n"
    "temp NaN\n"
    "temp{x=\"1\"} 1.5e1\n"
    "temp{broken=\"1\" 4\n"
    "qvr_mock_queue_depth{unterminated 9\n";

static void test_parse_prom(void)
{
    struct qvr_prom_gauge g[8];
    int n = qvr_collect_parse_prom(prom_text, sizeof(prom_text) - 1, g, 8);
    T_EQ_INT(n, 3);
    if (n == 3) {
        T_EQ_STR(g[0].name, "qvr_mock_queue_depth");
        T_NEAR(g[0].value, 3, 0);
        T_EQ_STR(g[1].name, "vllm:num_requests_running");
        T_NEAR(g[1].value, 7, 0);
        T_EQ_STR(g[2].name, "temp");
        T_NEAR(g[2].value, 15, 0);
    }
    T_EQ_INT(qvr_collect_parse_prom(prom_text, sizeof(prom_text) - 1, g, 1), 1);
    T_EQ_INT(qvr_collect_parse_prom("", 0, g, 8), 0);
}

struct timing {
    char names[8][32];
    double ms[8];
    int n;
};

static void timing_fn(void *ud, const char *name, size_t len, double ms)
{
    struct timing *t = ud;
    if (t->n < 8) {
        snprintf(t->names[t->n], sizeof(t->names[0]), "%.*s", (int)len, name);
        t->ms[t->n++] = ms;
    }
}

static void test_parse_timing(void)
{
    static const char v[] = "db;dur=53, app;desc=\"a, b;dur=9\";dur=47.2,"
                            "cache;desc=hit,total ; dur = 100.5, x;dur=abc";
    struct timing t;
    memset(&t, 0, sizeof(t));
    int n = qvr_collect_parse_server_timing(v, sizeof(v) - 1, timing_fn, &t);
    T_EQ_INT(n, 3);
    T_EQ_INT(t.n, 3);
    if (t.n == 3) {
        T_EQ_STR(t.names[0], "db");
        T_NEAR(t.ms[0], 53, 0);
        T_EQ_STR(t.names[1], "app");
        T_NEAR(t.ms[1], 47.2, 1e-12);
        T_EQ_STR(t.names[2], "total");
        T_NEAR(t.ms[2], 100.5, 0);
    }
}

/* ---- a collector on a loop ------------------------------------------------
 */

static void run_loop(struct event_base *base, double secs)
{
    struct timeval tv = {(time_t)secs,
                         (suseconds_t)((secs - (time_t)secs) * 1e6)};
    event_base_loopexit(base, &tv);
    event_base_dispatch(base);
}

static void prom_handler(struct evhttp_request *req, void *arg)
{
    int *hits = arg;
    (*hits)++;
    struct evbuffer *b = evbuffer_new();
    evbuffer_add(b, prom_text, sizeof(prom_text) - 1);
    evhttp_send_reply(req, 200, "OK", b);
    evbuffer_free(b);
}

/* A directory holding an executable "nvidia-smi" that prints out. */
static void fake_gpu(char *dir, size_t len, const char *out)
{
    snprintf(dir, len, "/tmp/qvr-collect-XXXXXX");
    if (!mkdtemp(dir))
        return;
    char path[300];
    snprintf(path, sizeof(path), "%s/nvidia-smi", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return;
    fprintf(f,
            "#!/bin/sh\n[ \"$1\" = \"--query-gpu=utilization.gpu,"
            "memory.used,memory.total\" ] || exit 2\n"
            "printf '%s\\n'\n",
            out);
    fclose(f);
    chmod(path, 0755);
}

static void rm_fake(const char *dir)
{
    char path[300];
    snprintf(path, sizeof(path), "%s/nvidia-smi", dir);
    unlink(path);
    rmdir(dir);
}

/* The value of CSV cell i (0-based, after the leading comma) of row. */
static double cell(const char *row, int i)
{
    const char *p = row;
    for (int k = 0; k <= i; k++) {
        p = strchr(p, ',');
        if (!p)
            return -999;
        p++;
    }
    if (*p == ',' || *p == 0)
        return NAN;
    return strtod(p, NULL);
}

static void test_collector(void)
{
    char dir[64];
    fake_gpu(dir, sizeof(dir), "37, 1024, 81920");
    char gpu[300];
    snprintf(gpu, sizeof(gpu), "%s/nvidia-smi", dir);

    struct event_base *base = event_base_new();
    struct evhttp *srv = evhttp_new(base);
    int hits = 0;
    evhttp_set_gencb(srv, prom_handler, &hits);
    struct evhttp_bound_socket *bs =
        evhttp_bind_socket_with_handle(srv, "127.0.0.1", 0);
    T_CHECK(bs != NULL);
    struct sockaddr_in sa;
    socklen_t sl = sizeof(sa);
    getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&sa, &sl);
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/metrics",
             ntohs(sa.sin_port));

    char *hdrs[] = {(char *)"X-Queue-Ms", (char *)"X-Infer-Ms"};
    struct qvr_plan p;
    memset(&p, 0, sizeof(p));
    p.collect_host = 1;
    p.collect_gpu = gpu;
    p.collect_prom = url;
    p.ncollect_headers = 2;
    p.collect_headers = hdrs;
    T_EQ_INT(qvr_collect_wanted(&p), 1);
    char err[256] = "";
    struct qvr_collect *c = qvr_collect_new(base, &p, err, sizeof(err));
    T_CHECK_MSG(c != NULL, "%s", err);
    if (!c)
        goto out;

    static const char h1[] = "HTTP/1.1 200 OK\r\nContent-Type: x\r\n"
                             "x-queue-ms: 10.5\r\nX-Infer-Ms:20\r\n"
                             "Server-Timing: db;dur=4, app;dur=6\r\n\r\n";
    static const char h2[] = "HTTP/1.1 200 OK\nX-Queue-Ms: 19.5 ms\n"
                             "X-Infer-Ms: n/a\nServer-Timing: db;dur=8\n";
    qvr_collect_header(c, h1, sizeof(h1) - 1);
    qvr_collect_header(c, h2, sizeof(h2) - 1);
    run_loop(base, 2.3); /* two ticks: CPU delta, GPU and gauges */

    T_EQ_INT(qvr_collect_window(c), 0);
    char cols[512], row[512];
    T_CHECK(qvr_collect_columns(c, cols, sizeof(cols)) > 0);
    T_EQ_STR(cols, ",cpu_pct,mem_avail_mb,gpu_util_pct,gpu_mem_mb,"
                   "gpu_mem_total_mb,x_queue_ms,x_infer_ms,st_db_ms,"
                   "st_app_ms,prom_qvr_mock_queue_depth,"
                   "prom_vllm_num_requests_running,prom_temp");
    T_CHECK(qvr_collect_row(c, 0, row, sizeof(row)) > 0);
    double cpu = cell(row, 0), mem = cell(row, 1);
    T_CHECK_MSG(cpu >= 0 && cpu <= 100, "cpu %g", cpu);
    T_CHECK_MSG(mem > 1 && mem < 1e8, "mem %g", mem);
    T_NEAR(cell(row, 2), 37, 0);
    T_NEAR(cell(row, 3), 1024, 0);
    T_NEAR(cell(row, 4), 81920, 0);
    T_NEAR(cell(row, 5), 15, 1e-6); /* mean of 10.5 and 19.5 */
    T_NEAR(cell(row, 6), 20, 1e-6); /* "n/a" is not a sample */
    T_NEAR(cell(row, 7), 6, 1e-6);  /* mean of 4 and 8 */
    T_NEAR(cell(row, 8), 6, 1e-6);
    T_NEAR(cell(row, 9), 3, 0);
    T_NEAR(cell(row, 10), 7, 0);
    T_NEAR(cell(row, 11), 15, 0);
    T_CHECK(hits >= 2);

    /* the next window: no headers (empty cells), gauges carried */
    T_EQ_INT(qvr_collect_window(c), 1);
    qvr_collect_row(c, 1, row, sizeof(row));
    T_CHECK(isnan(cell(row, 5)) && isnan(cell(row, 7)));
    T_NEAR(cell(row, 2), 37, 0);
    T_NEAR(cell(row, 10), 7, 0);
    T_EQ_INT(qvr_collect_nrows(c), 2);
    T_EQ_INT(qvr_collect_row(c, 2, row, sizeof(row)), QVR_EINVAL);
    T_EQ_INT(qvr_collect_row(c, 0, row, 8), QVR_ERANGE);

    struct qvr_collect_sample s;
    qvr_collect_latest(c, &s);
    T_NEAR(s.gpu_util_pct, 37, 0);
    T_NEAR(s.gpu_mem_total_mb, 81920, 0);
    char js[512];
    T_CHECK(qvr_collect_json(c, js, sizeof(js)) > 0);
    T_CHECK(strstr(js, "\"gpu_util_pct\":37,\"gpu_mem_mb\":1024") != NULL);

    struct qvr_expo *e = qvr_expo_start(base, ":0", err, sizeof(err));
    T_CHECK(e != NULL);
    if (e) {
        T_EQ_INT(qvr_collect_expo(c, e), 0);
        struct qvr_buf b;
        qvr_buf_init(&b, 0);
        qvr_expo_format(e, &b);
        T_CHECK(strstr(b.data, "\nqvrrun_gpu_utilization_percent 37\n"));
        T_CHECK(strstr(b.data, "\nqvrrun_gpu_memory_used_bytes 1073741824\n"));
        T_CHECK(strstr(b.data, "qvrrun_target_gauge{name=\"vllm:num_requests_"
                               "running\"} 7\n"));
        qvr_buf_free(&b);
        qvr_expo_stop(e);
    }
    qvr_collect_free(c);
out:
    evhttp_free(srv);
    event_base_free(base);
    rm_fake(dir);
}

/* Runs fn with stderr captured into out (len bytes). */
static void capture_stderr(void (*fn)(void), char *out, size_t len)
{
    char path[] = "/tmp/qvr-collect-err-XXXXXX";
    out[0] = 0;
    int fd = mkstemp(path);
    if (fd < 0)
        return;
    fflush(stderr);
    int saved = dup(2);
    dup2(fd, 2);
    fn();
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    ssize_t n = pread(fd, out, len - 1, 0);
    close(fd);
    unlink(path);
    out[n > 0 ? n : 0] = 0;
}

static int count(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

static void no_gpu_run(void)
{
    struct event_base *base = event_base_new();
    struct qvr_plan p;
    memset(&p, 0, sizeof(p));
    p.collect_gpu = (char *)"qvr-no-such-nvidia-smi";
    char err[256];
    struct qvr_collect *c = qvr_collect_new(base, &p, err, sizeof(err));
    if (c) {
        run_loop(base, 1.2);
        qvr_collect_window(c);
        char cols[256];
        qvr_collect_columns(c, cols, sizeof(cols));
        fprintf(stderr, "columns=[%s]\n", cols);
    }
    qvr_collect_free(c);
    event_base_free(base);
}

static void failing_gpu_run(void)
{
    char dir[64];
    fake_gpu(dir, sizeof(dir), "[N/A], [N/A], [N/A]");
    char gpu[300];
    snprintf(gpu, sizeof(gpu), "%s/nvidia-smi", dir);
    struct event_base *base = event_base_new();
    struct qvr_plan p;
    memset(&p, 0, sizeof(p));
    p.collect_gpu = gpu;
    char err[256];
    struct qvr_collect *c = qvr_collect_new(base, &p, err, sizeof(err));
    if (c)
        run_loop(base, 3.3); /* 4 attempts: stopped after the third */
    qvr_collect_free(c);
    event_base_free(base);
    rm_fake(dir);
}

static void test_notes(void)
{
    char text[4096];
    capture_stderr(no_gpu_run, text, sizeof(text));
    T_EQ_INT(count(text, "GPU samples skipped: qvr-no-such-nvidia-smi not "
                         "found"),
             1);
    T_EQ_INT(count(text, "columns=[]"), 1);
    T_EQ_INT(count(text, "qvrrun"), 1); /* one note, nothing else */
    capture_stderr(failing_gpu_run, text, sizeof(text));
    T_EQ_INT(count(text, "GPU samples stopped: "), 1);
    T_EQ_INT(count(text, "qvrrun"), 1);

    struct qvr_plan p;
    memset(&p, 0, sizeof(p));
    T_EQ_INT(qvr_collect_wanted(&p), 0);
    p.collect_prom = (char *)"https://127.0.0.1:1/metrics";
    char err[256] = "";
    struct event_base *base = event_base_new();
    T_CHECK(qvr_collect_new(base, &p, err, sizeof(err)) == NULL);
    T_CHECK(strstr(err, "collect.prometheus") != NULL);
    event_base_free(base);
}

/* ---- findings ------------------------------------------------------------ */

static void test_findings(void)
{
    char dir[64];
    fake_gpu(dir, sizeof(dir), "12, 1024, 81920");
    char gpu[300];
    snprintf(gpu, sizeof(gpu), "%s/nvidia-smi", dir);
    char *hdrs[] = {(char *)"X-Queue-Ms", (char *)"X-Infer-Ms"};
    struct qvr_plan p;
    memset(&p, 0, sizeof(p));
    p.collect_gpu = gpu;
    p.ncollect_headers = 2;
    p.collect_headers = hdrs;
    struct event_base *base = event_base_new();
    char err[256];
    struct qvr_collect *c = qvr_collect_new(base, &p, err, sizeof(err));
    T_CHECK(c != NULL);
    if (!c) {
        event_base_free(base);
        return;
    }
    run_loop(base, 0.5); /* the first GPU sample */
    struct qvr_window_row rows[9];
    memset(rows, 0, sizeof(rows));
    static const char h[] = "X-Queue-Ms: 300\r\nX-Infer-Ms: 100\r\n";
    for (int i = 0; i < 9; i++) {
        rows[i].requests = 10;
        rows[i].rps = 10;
        rows[i].p99_ms = i < 3 ? 200 : (i < 6 ? 400 : 900);
        qvr_collect_header(c, h, sizeof(h) - 1);
        qvr_collect_window(c);
    }
    char *f[4] = {0};
    int n = qvr_collect_findings(c, rows, 9, f, 4);
    T_EQ_INT(n, 2);
    T_CHECK(f[0] && strstr(f[0], "P99 rose from 200 ms to 900 ms") &&
            strstr(f[0], "(12% utilisation"));
    T_CHECK(f[1] && strstr(f[1], "x_queue_ms mean 300 ms against "
                                 "x_infer_ms 100 ms"));
    for (int i = 0; i < n; i++)
        free(f[i]);
    /* a flat P99 and a busy queue-free target: nothing */
    for (int i = 0; i < 9; i++)
        rows[i].p99_ms = 200;
    T_EQ_INT(qvr_collect_findings(c, rows, 9, f, 1), 1);
    free(f[0]);
    T_EQ_INT(qvr_collect_findings(c, rows, 5, f, 4), 0); /* too short */
    qvr_collect_free(c);
    event_base_free(base);
    rm_fake(dir);
}

/* ---- CPU saturated while throughput is flat ------------------------------ */

/* The collector reads /proc/stat with open(2); while fake_stat is set this
 * test's open() hands it that file instead, so the CPU figure of each
 * window is the test's. Every other open goes through as it is. */
static const char *fake_stat;

int open(const char *path, int flags, ...)
{
    int mode = 0;
    if (flags & (O_CREAT | O_TMPFILE)) {
        va_list ap;
        va_start(ap, flags);
        mode = va_arg(ap, int);
        va_end(ap);
    }
    if (fake_stat && strcmp(path, "/proc/stat") == 0)
        path = fake_stat;
    return openat(AT_FDCWD, path, flags, (mode_t)mode);
}

/* Writes the aggregate cpu line: busy jiffies (user) and idle ones. */
static void write_stat(const char *path, unsigned long busy, unsigned long idle)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return;
    fprintf(f, "cpu  %lu 0 0 %lu 0 0 0 0 0 0\ncpu0 %lu 0 0 %lu\n", busy, idle,
            busy, idle);
    fclose(f);
}

/* The findings of a host-only collector whose windows saw cpu[i] percent
 * CPU (100 jiffies a window, sampled once at its end) and rps[i] requests
 * per second (0: a window without requests). */
static int cpu_findings(const double *cpu, const double *rps, int n, char **f,
                        int max)
{
    char path[] = "/tmp/qvr-stat-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    close(fd);
    unsigned long busy = 1000, idle = 9000;
    write_stat(path, busy, idle);
    fake_stat = path;
    struct qvr_plan p;
    memset(&p, 0, sizeof(p));
    p.collect_host = 1;
    struct event_base *base = event_base_new();
    char err[256];
    struct qvr_collect *c = qvr_collect_new(base, &p, err, sizeof(err));
    int nf = -1;
    struct qvr_window_row rows[32];
    memset(rows, 0, sizeof(rows));
    T_CHECK(c != NULL && n <= 32);
    if (c && n <= 32) {
        for (int i = 0; i < n; i++) {
            busy += (unsigned long)cpu[i];
            idle += 100 - (unsigned long)cpu[i];
            write_stat(path, busy, idle);
            qvr_collect_tick(c);
            T_EQ_INT(qvr_collect_window(c), i);
            rows[i].requests = (uint64_t)(rps[i] * 10);
            rows[i].rps = rps[i];
            rows[i].p99_ms = 200;
        }
        /* the row carries the fake figure */
        char buf[256];
        T_CHECK(qvr_collect_row(c, 0, buf, sizeof(buf)) > 0);
        T_NEAR(cell(buf, 0), cpu[0], 1e-3);
        nf = qvr_collect_findings(c, rows, n, f, max);
    }
    qvr_collect_free(c);
    event_base_free(base);
    fake_stat = NULL;
    unlink(path);
    return nf;
}

static void test_cpu_findings(void)
{
    char *f[4] = {0};
    /* CPU at 90% or more in 6 of 8 windows, throughput flat at 10 req/s:
     * the finding with its numbers (mean 680 / 8 = 85%). */
    static const double hot[8] = {95, 97, 99, 92, 60, 96, 44, 97};
    static const double flat[8] = {10, 10, 10, 10, 10, 10, 10, 10};
    T_EQ_INT(cpu_findings(hot, flat, 8, f, 4), 1);
    T_CHECK_MSG(f[0] && strstr(f[0], "host CPU was saturated (90% or more in "
                                     "6 of 8 windows, 85% on average) while "
                                     "throughput stayed flat (10.0 -> 10.0 "
                                     "req/s)"),
                "%s", f[0] ? f[0] : "(none)");
    free(f[0]);
    f[0] = NULL;

    /* Exactly half the windows busy, throughput up by 10% (not more), and
     * a window without requests (the sixth, at 100%) that does not count:
     * 4 of 8, mean 600 / 8 = 75%. */
    static const double half[9] = {100, 100, 100, 100, 50, 100, 50, 50, 50};
    static const double up10[9] = {10, 10, 10, 10, 10, 0, 11, 11, 11};
    T_EQ_INT(cpu_findings(half, up10, 9, f, 4), 1);
    T_CHECK_MSG(f[0] &&
                    strstr(f[0], "(90% or more in 4 of 8 windows, 75% on "
                                 "average)") &&
                    strstr(f[0], "(10.0 -> 11.0 req/s)"),
                "%s", f[0] ? f[0] : "(none)");
    free(f[0]);
    f[0] = NULL;

    /* CPU just as high but throughput rising by more than 10%: it is
     * scaling, not stuck. */
    static const double rising[8] = {10, 10, 11, 12, 12, 13, 14, 14};
    T_EQ_INT(cpu_findings(hot, rising, 8, f, 4), 0);

    /* CPU low (and busy in fewer than half the windows): nothing. */
    static const double low[8] = {20, 35, 30, 25, 40, 30, 20, 35};
    T_EQ_INT(cpu_findings(low, flat, 8, f, 4), 0);
    static const double few[8] = {95, 95, 95, 50, 50, 50, 50, 50};
    T_EQ_INT(cpu_findings(few, flat, 8, f, 4), 0);
}

int main(void)
{
    test_parse_stat();
    test_parse_gpu();
    test_parse_prom();
    test_parse_timing();
    test_collector();
    test_notes();
    test_findings();
    test_cpu_findings();
    return T_DONE();
}
