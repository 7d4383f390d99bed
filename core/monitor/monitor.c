/* monitor.c -- `qvrrun monitor` (see monitor.h and docs/monitor.md).
 *
 * A monitor is a run with one user that runs one iteration per interval.
 * Everything happens on one libevent loop: a one-shot timer starts each
 * probe at its slot on a fixed grid (t0 + k * interval); a probe that is
 * still running when its successor's slot comes delays that successor,
 * which then starts as soon as it ends and is counted late (slots missed
 * entirely are skipped and counted). A probe is either the built-in rerank
 * request (URL mode, one libcurl transfer) or one iteration of the
 * scenario's tasks through a VU (scenario mode), whose latency is the sum
 * of the response times of the iteration's requests.
 *
 * After every probe: the rolling window (the last `window` probes, kept
 * as values: the window is bounded by configuration) gives exact
 * nearest-rank percentiles; one line goes to stdout; one JSON line is
 * appended to history.jsonl with a single write(2) (a kill -9 never tears
 * a line; a torn last line left by a crash mid-write is cut off at start);
 * the thresholds are evaluated over the window and their state changes
 * print ALERT lines and start the on_alert command as a child process that
 * nobody waits for (it is reaped by a polling timer); every N probes the
 * chart data is rewritten and gnuplot is started, also as a child. */
#include "monitor.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include <cjson/cJSON.h>
#include <event2/event.h>

#include "base64.h"
#include "buf.h"
#include "clock.h"
#include "collect.h"
#include "expo.h"
#include "live.h"
#include "fmt.h"
#include "file.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "mock.h"
#include "mock_plan.h"
#include "plot.h"
#include "proc.h"
#include "qvr.h"
#include "redact.h"
#include "report.h"
#include "script.h"
#include "thresh.h"
#include "vu.h"
#include "web.h"

extern char **environ;

#define PLOT_MAX 10000 /* probes drawn in monitor.png */
#define MAX_CHILDREN 16
#define REAP_PERIOD_US 100000
#define GNUPLOT_TIMEOUT_NS (30 * QVR_NS_PER_S)
#define EXIT_WAIT_NS (5 * QVR_NS_PER_S)
#define GRACE_NS (10 * QVR_NS_PER_S)
#define MAX_THRESH 32
#define MONITOR_ALERTS 10

/* The rolling window: a ring in probe order and the answered probes'
 * values sorted. A failed probe (refused, timed out, a 5xx) counts in
 * fails but not in the percentiles: a dead target's 0.2 ms refusals would
 * make it look fast. */
struct window {
    int cap, n, head;
    double *ms;
    unsigned char *ok;
    double *sorted; /* nok values: the probes that succeeded */
    int nok;
    int fails;
};

struct prow {
    double t, ms, p50, p90, p99;
    int ok;
};

enum child_kind { CH_PLOT, CH_ALERT };

struct child {
    pid_t pid;
    enum child_kind kind;
    uint64_t started;
};

struct monitor {
    struct qvr_monitor_opts o;
    struct qvr_script *script;
    struct qvr_plan *plan; /* scenario mode, else NULL */
    struct qvr_mock *mock;
    char name[128];
    char target[512];       /* base URL (scenario) or probe URL */
    char shown_target[512]; /* target with any URL password redacted */
    /* Secrets, as in a run (redact.h): set up before the first probe;
     * every line the monitor writes that holds text from the scenario, the
     * target or the probe's errors goes through it. */
    struct qvr_redact redact;
    char out_dir[4096];
    uint64_t interval_ns, duration_ns;
    int window_cap;
    struct qvr_plan_thresh th[MAX_THRESH];
    int nth;
    int failing[MAX_THRESH];
    int ever_failed[MAX_THRESH];
    const char *on_alert;
    struct event_base *base;
    struct qvr_http *http;
    struct qvr_http_xfer *xfer; /* URL mode */
    char *body;                 /* URL mode: the request (owned) */
    size_t body_len;
    int ndocs;
    struct qvr_metrics *m;
    struct qvr_stat *probe_stat; /* URL mode: name "probe" */
    struct qvr_vu_ctx ctx;
    struct qvr_vu *vu;
    struct qvr_watchdog *wd; /* scenario mode: stops a task that never
                                yields (see vu.h) */
    struct qvr_expo *expo;
    struct qvr_web *web;
    char *alert_lines[MONITOR_ALERTS]; /* the last alerts, for the page */
    int nalerts;
    struct qvr_collect *coll;
    struct event *tick_ev, *end_ev, *grace_ev, *reap_ev, *sig_ev[3];
    struct window w;
    struct prow *plot;
    int plot_n, plot_head;
    /* the probe in flight */
    int in_flight;
    int aborting;
    uint64_t probe_start; /* monotonic */
    double probe_wall;    /* Unix seconds at its start */
    uint64_t probe_late_ns;
    double acc_ms;
    int acc_requests, acc_status, acc_fail;
    enum qvr_fail_kind acc_kind; /* of the first failure */
    uint64_t acc_script_errors;
    char acc_err[256];
    /* schedule */
    uint64_t t0, next_due;
    uint64_t probes, restored, late, skipped, bad_lines;
    uint64_t probes_failed; /* of probes (this process's): no good answer */
    int stopping, signals, done;
    /* files and children */
    int hist_fd;
    int render_every, since_render;
    int can_plot, plot_running;
    char gnuplot[PATH_MAX], tmpl[PATH_MAX];
    struct child children[MAX_CHILDREN];
    int nchildren;
};

/* ---- small helpers ------------------------------------------------------- */

static void arm_ns(struct event *ev, uint64_t ns)
{
    struct timeval tv = {(time_t)(ns / QVR_NS_PER_S),
                         (suseconds_t)(ns % QVR_NS_PER_S / 1000)};
    evtimer_add(ev, &tv);
}

static double wall_s(void)
{
    return (double)qvr_clock_wall_ns() / 1e9;
}

/* The table's latency format (base/fmt.c); "-" for no data. */
static char *fmt_ms(double ms, char *buf, size_t len)
{
    return qvr_fmt_ms(ms, buf, len);
}

/* Appends s as a JSON string (quotes included). */
static void json_str(struct qvr_buf *b, const char *s)
{
    qvr_buf_append(b, "\"", 1);
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c == '"' || *c == '\\')
            qvr_buf_printf(b, "\\%c", *c);
        else if (*c < 0x20)
            qvr_buf_printf(b, "\\u%04x", *c);
        else
            qvr_buf_append(b, c, 1);
    }
    qvr_buf_append(b, "\"", 1);
}

/* ---- the rolling window -------------------------------------------------- */

static int window_init(struct window *w, int cap)
{
    memset(w, 0, sizeof(*w));
    w->cap = cap;
    w->ms = calloc((size_t)cap, sizeof(double));
    w->ok = calloc((size_t)cap, 1);
    w->sorted = calloc((size_t)cap, sizeof(double));
    return w->ms && w->ok && w->sorted ? 0 : QVR_ENOMEM;
}

static void window_free(struct window *w)
{
    free(w->ms);
    free(w->ok);
    free(w->sorted);
}

/* First index in sorted[0, n) whose value is >= v (upper: > v). */
static int bound(const double *a, int n, double v, int upper)
{
    int lo = 0, hi = n;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (upper ? a[mid] <= v : a[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void window_push(struct window *w, double ms, int ok)
{
    if (w->n == w->cap) {
        double old = w->ms[w->head];
        if (w->ok[w->head]) {
            int i = bound(w->sorted, w->nok, old, 0);
            memmove(w->sorted + i, w->sorted + i + 1,
                    (size_t)(w->nok - i - 1) * sizeof(double));
            w->nok--;
        }
        w->fails -= !w->ok[w->head];
        w->head = (w->head + 1) % w->cap;
        w->n--;
    }
    int slot = (w->head + w->n) % w->cap;
    w->ms[slot] = ms;
    w->ok[slot] = (unsigned char)(ok != 0);
    if (ok) {
        int i = bound(w->sorted, w->nok, ms, 1);
        memmove(w->sorted + i + 1, w->sorted + i,
                (size_t)(w->nok - i) * sizeof(double));
        w->sorted[i] = ms;
        w->nok++;
    }
    w->n++;
    w->fails += !ok;
}

/* Nearest rank over the probes that succeeded: the smallest value with at
 * least p% of them at or below it (sorted[ceil(p/100 * nok) - 1]). NaN
 * when none did. */
static double window_pct(const struct window *w, double p)
{
    if (!w->nok)
        return NAN;
    double r = ceil(p * w->nok / 100.0 - 1e-9);
    int k = r < 1 ? 1 : (r > w->nok ? w->nok : (int)r);
    return w->sorted[k - 1];
}

static double window_value(const struct window *w, const struct qvr_thresh *t)
{
    if (!w->n)
        return NAN;
    switch (t->metric) {
    case QVR_TM_PCTL:
        return window_pct(w, t->pct);
    case QVR_TM_MIN:
        return w->nok ? w->sorted[0] : NAN;
    case QVR_TM_MAX:
        return w->nok ? w->sorted[w->nok - 1] : NAN;
    case QVR_TM_MEAN: {
        double s = 0;
        for (int i = 0; i < w->nok; i++)
            s += w->sorted[i];
        return w->nok ? s / w->nok : NAN;
    }
    case QVR_TM_ERROR_RATE:
        return (double)w->fails / w->n;
    default:
        return NAN;
    }
}

static void plot_push(struct monitor *mo, double t, double ms, int ok)
{
    struct prow *r;
    if (mo->plot_n < PLOT_MAX) {
        r = &mo->plot[(mo->plot_head + mo->plot_n++) % PLOT_MAX];
    } else {
        r = &mo->plot[mo->plot_head];
        mo->plot_head = (mo->plot_head + 1) % PLOT_MAX;
    }
    r->t = t;
    r->ms = ms;
    r->ok = ok;
    r->p50 = window_pct(&mo->w, 50);
    r->p90 = window_pct(&mo->w, 90);
    r->p99 = window_pct(&mo->w, 99);
}

/* ---- children: gnuplot and on_alert ------------------------------------- */

static void render_done(struct monitor *mo, int ok);

static int reap_children(struct monitor *mo)
{
    for (int i = 0; i < mo->nchildren;) {
        struct child *c = &mo->children[i];
        int st = 0, late = 0;
        int r = qvr_proc_reap(
            c->pid, c->kind == CH_PLOT ? c->started + GNUPLOT_TIMEOUT_NS : 0,
            &st, &late);
        if (late)
            st = 1 << 8; /* killed: a failed chart */
        if (r == 0) {
            i++;
            continue;
        }
        int ok = r > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
        if (c->kind == CH_PLOT)
            render_done(mo, ok || r < 0);
        else if (r > 0 && !ok)
            qvr_warn("on_alert command exited with status %d",
                     WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
        mo->children[i] = mo->children[--mo->nchildren];
    }
    if (!mo->nchildren && mo->reap_ev)
        evtimer_del(mo->reap_ev);
    return mo->nchildren;
}

static void reap_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    reap_children(arg);
}

static void add_child(struct monitor *mo, pid_t pid, enum child_kind kind)
{
    if (mo->nchildren == MAX_CHILDREN) {
        /* Too many alert commands at once: wait for the oldest. */
        waitpid(mo->children[0].pid, NULL, 0);
        if (mo->children[0].kind == CH_PLOT)
            render_done(mo, 0);
        mo->children[0] = mo->children[--mo->nchildren];
    }
    struct child *c = &mo->children[mo->nchildren++];
    c->pid = pid;
    c->kind = kind;
    c->started = qvr_clock_ns();
    struct timeval tv = {0, REAP_PERIOD_US};
    event_add(mo->reap_ev, &tv);
}

/* Runs on_alert with the alert's details in the environment. */
static void run_alert(struct monitor *mo, const struct qvr_thresh *t,
                      int failing, const char *value)
{
    if (!mo->on_alert || !*mo->on_alert)
        return;
    char *fexpr, *fname;
    const char *expr = qvr_redact_str(&mo->redact, t->expr, &fexpr);
    const char *name = qvr_redact_str(&mo->redact, mo->name, &fname);
    int n = 0;
    while (environ[n])
        n++;
    char **envp = calloc((size_t)n + 6, sizeof(char *));
    char *vars[5] = {NULL};
    if (!envp) {
        free(fexpr);
        free(fname);
        return;
    }
    int k = 0;
    for (int i = 0; i < n; i++)
        if (strncmp(environ[i], "QVR_ALERT_", 10) != 0)
            envp[k++] = environ[i];
    if (asprintf(&vars[0], "QVR_ALERT_EXPR=%s", expr) < 0)
        vars[0] = NULL;
    if (asprintf(&vars[1], "QVR_ALERT_STATE=%s", failing ? "failing" : "ok") <
        0)
        vars[1] = NULL;
    if (asprintf(&vars[2], "QVR_ALERT_VALUE=%s", value) < 0)
        vars[2] = NULL;
    if (asprintf(&vars[3], "QVR_ALERT_TARGET=%s", mo->shown_target) < 0)
        vars[3] = NULL;
    if (asprintf(&vars[4], "QVR_ALERT_NAME=%s", name) < 0)
        vars[4] = NULL;
    for (int i = 0; i < 5; i++)
        if (vars[i])
            envp[k++] = vars[i];
    envp[k] = NULL;
    char *argv[] = {(char *)"sh", (char *)"-c", (char *)mo->on_alert, NULL};
    fflush(stdout);
    fflush(stderr);
    pid_t pid =
        qvr_proc_spawn("/bin/sh", argv, envp, QVR_PROC_KEEP, QVR_PROC_KEEP);
    if (pid < 0)
        qvr_warn("cannot run on_alert: %s", strerror(errno));
    else
        add_child(mo, pid, CH_ALERT);
    for (int i = 0; i < 5; i++)
        free(vars[i]);
    free(envp);
    free(fexpr);
    free(fname);
}

/* ---- the chart ----------------------------------------------------------- */

/* plots/monitor.gp: $QVR_PLOTS_DIR, next to the executable (../plots),
 * the source tree when compiled in, then ./plots. */
static int find_template(char *out, size_t len)
{
    const char *env = getenv("QVR_PLOTS_DIR");
    if (env && *env) {
        snprintf(out, len, "%s/monitor.gp", env);
        return qvr_file_is_regular(out) ? 0 : -1;
    }
    if (qvr_file_data_file("plots/monitor.gp", out, len) == 0)
        return 0;
    snprintf(out, len, "plots/monitor.gp");
    return qvr_file_is_regular(out) ? 0 : -1;
}

/* The latency thresholds the chart draws as lines: at most 3, those
 * within 3x the slowest probe drawn (a limit far above would flatten the
 * chart). Their indices in mo->th go to idx; returns how many. */
static int chart_limits(const struct monitor *mo, double top_ms, int idx[3])
{
    int n = 0;
    for (int i = 0; i < mo->nth && n < 3; i++) {
        const struct qvr_thresh *t = &mo->th[i].t;
        if (t->kind == QVR_TK_LATENCY && t->target <= 3 * top_ms)
            idx[n++] = i;
    }
    return n;
}

/* Writes monitor.dat: local-time seconds, latency, ok, rolling P50, P90,
 * P99 (ms; NaN where unknown), one line per probe, then the threshold
 * lines drawn as comments. *top_ms: the slowest probe. 0 or -1. */
static int write_plot_data(struct monitor *mo, double *ydiv, double *top_ms)
{
    char tmp[4200], final[4200];
    snprintf(tmp, sizeof(tmp), "%s/.monitor.dat.tmp", mo->out_dir);
    snprintf(final, sizeof(final), "%s/monitor.dat", mo->out_dir);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -1;
    fprintf(f,
            "# qvrrun monitor: local_time_s latency_ms ok p50_ms p90_ms "
            "p99_ms (rolling window of %d probes)\n",
            mo->window_cap);
    double top = 0;
    for (int i = 0; i < mo->plot_n; i++) {
        const struct prow *r = &mo->plot[(mo->plot_head + i) % PLOT_MAX];
        time_t secs = (time_t)r->t;
        struct tm tm;
        localtime_r(&secs, &tm);
        fprintf(f, "%.3f %.3f %d %.3f %.3f %.3f\n", r->t + (double)tm.tm_gmtoff,
                r->ms, r->ok, r->p50, r->p90, r->p99);
        if (!isnan(r->p50) && r->p50 > top)
            top = r->p50;
        if (r->ms > *top_ms)
            *top_ms = r->ms;
    }
    *ydiv = top >= 1000 ? 1000 : 1;
    int idx[3], nl = chart_limits(mo, *top_ms, idx);
    for (int i = 0; i < nl; i++)
        fprintf(f, "# limit line: %.17g ms (%s)\n", mo->th[idx[i]].t.target,
                mo->th[idx[i]].t.expr);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad || rename(tmp, final) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

static void render_done(struct monitor *mo, int ok)
{
    char tmp[4200], final[4200];
    snprintf(tmp, sizeof(tmp), "%s/.monitor.png.tmp", mo->out_dir);
    snprintf(final, sizeof(final), "%s/monitor.png", mo->out_dir);
    char why[256] = "";
    mo->plot_running = 0;
    /* gnuplot exits 0 on a full disk: an empty or cut PNG is not kept */
    if (ok && qvr_plot_png_whole(tmp, why, sizeof(why)) == 0 &&
        rename(tmp, final) == 0)
        return;
    unlink(tmp);
    if (!ok)
        qvr_warn("monitor.png not drawn: gnuplot failed on %s", mo->tmpl);
    else if (why[0])
        qvr_warn("monitor.png not drawn: %s", why);
}

/* Starts gnuplot on the current history (nothing when one is running). */
static void render(struct monitor *mo)
{
    mo->since_render = 0;
    if (!mo->can_plot || mo->plot_running || mo->plot_n == 0)
        return;
    double ydiv, top_ms = 0;
    if (write_plot_data(mo, &ydiv, &top_ms) < 0) {
        qvr_warn("monitor.png not drawn: cannot write %s/monitor.dat",
                 mo->out_dir);
        return;
    }
    struct qvr_buf v;
    qvr_buf_init(&v, 64 * 1024);
    char path[4200], title[1024];
    snprintf(path, sizeof(path), "%s/monitor.dat", mo->out_dir);
    qvr_plot_gp_str(&v, "datafile", path);
    snprintf(path, sizeof(path), "%s/.monitor.png.tmp", mo->out_dir);
    qvr_plot_gp_str(&v, "outfile", path);
    char iv[16];
    qvr_duration_fmt(mo->interval_ns, iv, sizeof(iv));
    snprintf(title, sizeof(title),
             "qvrrun monitor %s: %s, a probe every %s, rolling window of %d "
             "probes",
             mo->name, mo->shown_target, iv, mo->window_cap);
    char *ftitle;
    qvr_plot_gp_str(&v, "charttitle",
                    qvr_redact_str(&mo->redact, title, &ftitle));
    free(ftitle);
    qvr_plot_gp_str(&v, "yunit", ydiv > 1 ? "s" : "ms");
    qvr_buf_printf(&v, "ydiv=%g; ", ydiv);
    /* the latency thresholds, as lines */
    int idx[3], nl = chart_limits(mo, top_ms, idx);
    qvr_buf_printf(&v, "nlim=%d; ", nl);
    for (int i = 0; i < 3; i++) {
        char nm[16], lab[QVR_THRESH_EXPR_LEN + 16];
        qvr_buf_printf(&v, "lim%d=%.17g; ", i + 1,
                       i < nl ? mo->th[idx[i]].t.target : 0.0);
        snprintf(nm, sizeof(nm), "limlabel%d", i + 1);
        snprintf(lab, sizeof(lab), "limit %s",
                 i < nl ? mo->th[idx[i]].t.expr : "");
        qvr_plot_gp_str(&v, nm, i < nl ? lab : "");
    }
    if (!v.data || v.truncated) {
        qvr_buf_free(&v);
        return;
    }
    char *argv[] = {(char *)"gnuplot", (char *)"-e", v.data, mo->tmpl, NULL};
    pid_t pid = qvr_proc_spawn(mo->gnuplot, argv, environ, QVR_PROC_NULL,
                               QVR_PROC_NULL);
    qvr_buf_free(&v);
    if (pid < 0) {
        qvr_warn("monitor.png not drawn: cannot start %s: %s", mo->gnuplot,
                 strerror(errno));
        return;
    }
    mo->plot_running = 1;
    add_child(mo, pid, CH_PLOT);
}

/* ---- history ------------------------------------------------------------- */

/* Reads history.jsonl back into the window and the chart, cuts a torn last
 * line off, and opens the file for appending. */
static int open_history(struct monitor *mo, char *err, size_t errlen)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/history.jsonl", mo->out_dir);
    FILE *f = fopen(path, "r");
    if (f) {
        char *line = NULL;
        size_t cap = 0;
        ssize_t n;
        off_t good = 0;
        while ((n = getline(&line, &cap, f)) > 0) {
            if (line[n - 1] != '\n')
                break; /* torn: written partly when the process died */
            good += n;
            cJSON *j = cJSON_ParseWithLength(line, (size_t)n);
            cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "t");
            cJSON *ms = cJSON_GetObjectItemCaseSensitive(j, "latency_ms");
            cJSON *ok = cJSON_GetObjectItemCaseSensitive(j, "ok");
            if (cJSON_IsNumber(t) && cJSON_IsNumber(ms) && cJSON_IsBool(ok)) {
                window_push(&mo->w, ms->valuedouble, cJSON_IsTrue(ok));
                plot_push(mo, t->valuedouble, ms->valuedouble,
                          cJSON_IsTrue(ok));
                mo->restored++;
            } else if (n > 1) {
                mo->bad_lines++;
            }
            cJSON_Delete(j);
        }
        free(line);
        int torn = n > 0; /* the last line has no newline */
        fclose(f);
        if (torn) {
            if (truncate(path, good) == 0)
                qvr_warn("%s: cut off a torn last line", path);
        }
        if (mo->bad_lines)
            qvr_warn("%s: skipped %llu lines that do not parse", path,
                     (unsigned long long)mo->bad_lines);
    }
    mo->hist_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (mo->hist_fd < 0) {
        snprintf(err, errlen, "cannot write %.900s: %s", path, strerror(errno));
        return QVR_EIO;
    }
    return 0;
}

static void write_history(struct monitor *mo, double t, double ms, int status,
                          int ok, enum qvr_fail_kind kind, const char *error)
{
    struct qvr_buf b;
    qvr_buf_init(&b, 64 * 1024);
    qvr_buf_printf(&b, "{\"t\": %.3f, \"latency_ms\": %.3f, \"status\": ", t,
                   ms);
    if (status > 0)
        qvr_buf_printf(&b, "%d", status);
    else
        qvr_buf_append(&b, "null", 4);
    qvr_buf_printf(&b, ", \"ok\": %s, \"error\": ", ok ? "true" : "false");
    if (error && *error)
        json_str(&b, error);
    else
        qvr_buf_append(&b, "null", 4);
    if (!ok)
        qvr_buf_printf(&b, ", \"kind\": \"%s\"", qvr_fail_kind_name(kind));
    if (mo->probe_late_ns)
        qvr_buf_printf(&b, ", \"late_ms\": %.3f",
                       (double)mo->probe_late_ns / 1e6);
    char extra[1024];
    if (mo->coll && qvr_collect_json(mo->coll, extra, sizeof(extra)) > 0)
        qvr_buf_printf(&b, ", %s", extra);
    qvr_buf_append(&b, "}\n", 2);
    if (!b.data || b.truncated) {
        qvr_buf_free(&b);
        return;
    }
    /* One write: a killed process leaves whole lines only. */
    size_t off = 0;
    while (off < b.len) {
        ssize_t w = write(mo->hist_fd, b.data + off, b.len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            qvr_warn("cannot append to history.jsonl: %s", strerror(errno));
            break;
        }
        off += (size_t)w;
    }
    fdatasync(mo->hist_fd);
    qvr_buf_free(&b);
}

/* ---- one probe is over --------------------------------------------------- */

static void schedule(struct monitor *mo);

/* An alert line for the dashboard; the oldest goes past MONITOR_ALERTS. */
static void keep_alert(struct monitor *mo, const char *stamp, const char *expr,
                       const char *what, const char *val)
{
    struct qvr_buf b;
    qvr_buf_init(&b, 512);
    if (qvr_buf_printf(&b, "[%s] ALERT %s %s: measured %s", stamp, expr, what,
                       val) < 0 ||
        !b.data) {
        qvr_buf_free(&b);
        return;
    }
    if (mo->nalerts == MONITOR_ALERTS) {
        free(mo->alert_lines[0]);
        memmove(mo->alert_lines, mo->alert_lines + 1,
                (MONITOR_ALERTS - 1) * sizeof(char *));
        mo->nalerts--;
    }
    mo->alert_lines[mo->nalerts++] = b.data; /* the buffer's bytes, owned */
}

/* The dashboard's window after a probe: the rolling percentiles, and the
 * state (thresholds as alerts over the window). */
static void web_probe(struct monitor *mo)
{
    if (!mo->web)
        return;
    struct qvr_live in;
    struct qvr_live_thresh th[MAX_THRESH];
    memset(&in, 0, sizeof(in));
    in.mode = "monitor";
    in.scenario = mo->name;
    in.target = mo->shown_target;
    in.phase = mo->stopping ? "drain" : "run";
    in.elapsed_s = (double)(qvr_clock_ns() - mo->t0) / 1e9;
    in.planned_s = (double)mo->duration_ns / 1e9;
    in.window_s = (double)mo->interval_ns / 1e9;
    in.users = 1;
    in.max_users = 1;
    in.m = mo->m;
    char *tofree[MAX_THRESH];
    for (int i = 0; i < mo->nth; i++) {
        struct qvr_plan_thresh *pt = &mo->th[i];
        th[i].expr = qvr_redact_str(&mo->redact, pt->t.expr, &tofree[i]);
        th[i].why = NULL;
        snprintf(th[i].measured, sizeof(th[i].measured), "-");
        if (isnan(pt->value) || !pt->evaluated) {
            th[i].state = "no data yet";
            continue;
        }
        qvr_thresh_fmt_value(&pt->t, pt->value, th[i].measured,
                             sizeof(th[i].measured));
        th[i].state = mo->failing[i] ? "failing" : "holding";
    }
    in.thresh = th;
    in.nthresh = mo->nth;
    in.alerts = (const char *const *)mo->alert_lines;
    in.nalerts = mo->nalerts;
    in.can_stop = !mo->stopping;
    struct qvr_window_row w;
    memset(&w, 0, sizeof(w));
    w.t_s = in.elapsed_s;
    w.p50_ms = window_pct(&mo->w, 50);
    w.p90_ms = window_pct(&mo->w, 90);
    w.p99_ms = window_pct(&mo->w, 99);
    w.users = 1;
    w.len_s = in.window_s;
    w.rps = NAN; /* a monitor has no throughput: the page hides it */
    char *st = qvr_live_state(&in);
    char *win = qvr_live_window(&w, NULL);
    if (st && win)
        qvr_web_window(mo->web, win, st);
    free(st);
    free(win);
    for (int i = 0; i < mo->nth; i++)
        free(tofree[i]);
}

static void end_cb(evutil_socket_t fd, short what, void *arg);

/* Stop from the dashboard: the monitor ends as at the end of --duration. */
static int web_stop(void *ud, char *err, size_t len)
{
    struct monitor *mo = ud;
    if (mo->stopping) {
        snprintf(err, len, "the monitor is already stopping");
        return QVR_ESTATE;
    }
    qvr_warn("stopped from the dashboard");
    /* 50 ms later: the page's answer goes out before the loop ends */
    struct timeval tv = {0, 50000};
    mo->stopping = 1;
    if (event_base_once(mo->base, -1, EV_TIMEOUT, end_cb, mo, &tv) < 0)
        end_cb(-1, 0, mo);
    return 0;
}

static void alerts(struct monitor *mo, const char *stamp)
{
    for (int i = 0; i < mo->nth; i++) {
        struct qvr_plan_thresh *pt = &mo->th[i];
        double v = window_value(&mo->w, &pt->t);
        pt->value = v;
        if (isnan(v))
            continue;
        int ok = qvr_thresh_check(&pt->t, v);
        pt->ok = ok;
        pt->evaluated = 1;
        char val[64];
        qvr_thresh_fmt_value(&pt->t, v, val, sizeof(val));
        char *fexpr;
        const char *expr = qvr_redact_str(&mo->redact, pt->t.expr, &fexpr);
        if (!ok && !mo->failing[i]) {
            mo->failing[i] = 1;
            mo->ever_failed[i] = 1;
            printf("[%s] ALERT %s failing: measured %s over the last %d "
                   "probes\n",
                   stamp, expr, val, mo->w.n);
            keep_alert(mo, stamp, expr, "failing", val);
            fflush(stdout);
            run_alert(mo, &pt->t, 1, val);
        } else if (ok && mo->failing[i]) {
            mo->failing[i] = 0;
            printf("[%s] ALERT %s ok again: measured %s over the last %d "
                   "probes\n",
                   stamp, expr, val, mo->w.n);
            keep_alert(mo, stamp, expr, "ok again", val);
            fflush(stdout);
            run_alert(mo, &pt->t, 0, val);
        }
        free(fexpr);
    }
}

static void publish(struct monitor *mo, double ms)
{
    if (!mo->expo)
        return;
    static const double q[] = {0.5, 0.9, 0.99};
    double v[3], sum = 0;
    for (int i = 0; i < 3; i++)
        v[i] = window_pct(&mo->w, q[i] * 100) / 1000;
    for (int i = 0; i < mo->w.n; i++)
        sum += mo->w.sorted[i] / 1000;
    qvr_expo_summary(mo->expo, "qvrrun_monitor_window_latency_seconds",
                     "Probe latency over the rolling window of probes.", 3, q,
                     v, sum, mo->w.n);
    qvr_expo_value(mo->expo, "qvrrun_monitor_window_probes", NULL, 0,
                   "Probes in the rolling window.", mo->w.n);
    qvr_expo_value(mo->expo, "qvrrun_monitor_window_failures", NULL, 0,
                   "Failed probes in the rolling window.", mo->w.fails);
    qvr_expo_value(mo->expo, "qvrrun_monitor_last_latency_seconds", NULL, 0,
                   "Latency of the last probe.", ms / 1000);
    qvr_expo_value(mo->expo, "qvrrun_monitor_late_probes_total", NULL, 1,
                   "Probes started late because the one before was slow.",
                   (double)mo->late);
    qvr_expo_value(mo->expo, "qvrrun_monitor_skipped_probes_total", NULL, 1,
                   "Probe slots skipped because a probe ran past them.",
                   (double)mo->skipped);
    for (int i = 0; i < mo->nth; i++) {
        struct qvr_buf l;
        qvr_buf_init(&l, 1024);
        qvr_buf_append(&l, "expr=\"", 6);
        char *fexpr;
        const char *expr =
            qvr_redact_str(&mo->redact, mo->th[i].t.expr, &fexpr);
        for (const char *c = expr; *c; c++) {
            if (*c == '"' || *c == '\\')
                qvr_buf_append(&l, "\\", 1);
            qvr_buf_append(&l, c, 1);
        }
        qvr_buf_append(&l, "\"", 1);
        free(fexpr);
        if (l.data)
            qvr_expo_value(mo->expo, "qvrrun_monitor_alert_failing", l.data, 0,
                           "1 while a threshold fails over the window.",
                           mo->failing[i]);
        qvr_buf_free(&l);
    }
    if (mo->coll)
        qvr_collect_expo(mo->coll, mo->expo);
}

static void probe_done(struct monitor *mo, double ms, int status, int ok,
                       enum qvr_fail_kind kind, const char *error)
{
    mo->in_flight = 0;
    mo->probes++;
    mo->probes_failed += !ok;
    /* the probe's error may quote the scenario's or the target's text */
    char *ferror = NULL;
    if (error)
        error = qvr_redact_str(&mo->redact, error, &ferror);
    /* the history keeps microseconds: the window holds the same values */
    ms = round(ms * 1000) / 1000;
    window_push(&mo->w, ms, ok);
    plot_push(mo, mo->probe_wall, ms, ok);
    write_history(mo, mo->probe_wall, ms, status, ok, kind, error);

    char stamp[16];
    time_t secs = (time_t)mo->probe_wall;
    struct tm tm;
    localtime_r(&secs, &tm);
    strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);
    if (!mo->o.quiet) {
        char a[24], b[24], c[24];
        printf("[%s] P50=%s | P90=%s | P99=%s | samples=%d | fails=%d", stamp,
               fmt_ms(window_pct(&mo->w, 50), a, sizeof(a)),
               fmt_ms(window_pct(&mo->w, 90), b, sizeof(b)),
               fmt_ms(window_pct(&mo->w, 99), c, sizeof(c)), mo->w.n,
               mo->w.fails);
        if (!ok)
            printf(" | probe failed: %s", error && *error ? error : "?");
        if (mo->probe_late_ns)
            printf(" | late %s",
                   fmt_ms((double)mo->probe_late_ns / 1e6, a, sizeof(a)));
        putchar('\n');
        fflush(stdout);
    }
    free(ferror);
    alerts(mo, stamp);
    publish(mo, ms);
    web_probe(mo);
    if (++mo->since_render >= mo->render_every)
        render(mo);
    schedule(mo);
}

/* ---- URL mode: the built-in probe --------------------------------------- */

static void url_done(void *ud, const struct qvr_http_result *r)
{
    struct monitor *mo = ud;
    if (mo->coll && r->headers)
        qvr_collect_header(mo->coll, r->headers, r->headers_len);
    double ms = (double)((r->t_done_ns - r->t_sent_ns) / 1000) / 1000.0;
    char why[300] = "";
    struct qvr_sample s;
    memset(&s, 0, sizeof(s));
    s.response_us = s.service_us = (r->t_done_ns - r->t_sent_ns) / 1000;
    s.ttfb_us = r->ttfb_us;
    s.connect_us = r->connect_us;
    s.bytes_in = r->body_len;
    s.bytes_out = r->bytes_out;
    s.status = r->status;
    s.method = "POST";
    s.fail = r->fail;
    if (r->fail != QVR_FAIL_NONE) {
        snprintf(why, sizeof(why), "%s",
                 r->error ? r->error : qvr_fail_kind_name(r->fail));
    } else if (r->status != 200) {
        snprintf(why, sizeof(why), "HTTP %d", r->status);
        s.fail = r->status >= 500   ? QVR_FAIL_HTTP_5XX
                 : r->status >= 400 ? QVR_FAIL_HTTP_4XX
                                    : QVR_FAIL_HTTP_OTHER;
    } else {
        cJSON *j = cJSON_ParseWithLength(r->body ? r->body : "", r->body_len);
        cJSON *sc = cJSON_GetObjectItemCaseSensitive(j, "scores");
        if (!j)
            snprintf(why, sizeof(why), "the answer is not JSON");
        else if (!cJSON_IsArray(sc))
            snprintf(why, sizeof(why), "the answer has no 'scores' list");
        else if (cJSON_GetArraySize(sc) != mo->ndocs)
            snprintf(why, sizeof(why), "%d scores for %d documents",
                     cJSON_GetArraySize(sc), mo->ndocs);
        for (int i = 0; !why[0] && i < mo->ndocs; i++)
            if (!cJSON_IsNumber(cJSON_GetArrayItem(sc, i)))
                snprintf(why, sizeof(why), "score %d is not a number", i + 1);
        if (why[0])
            s.fail = j ? QVR_FAIL_CHECK : QVR_FAIL_INVALID_JSON;
        cJSON_Delete(j);
    }
    qvr_metrics_record(mo->m, 0, mo->probe_stat, &s);
    probe_done(mo, ms, r->status, why[0] == 0, s.fail, why);
}

/* ---- scenario mode: one iteration through the VU ------------------------ */

/* Timing headers of the scenario's answers go to the collector too. */
static void scenario_headers(void *ud, const char *raw, size_t len)
{
    struct monitor *mo = ud;
    if (mo->coll)
        qvr_collect_header(mo->coll, raw, len);
}

static void on_request(void *ud, struct qvr_vu *vu)
{
    struct monitor *mo = ud;
    const struct qvr_sample *s = &vu->sample;
    if (!mo->in_flight)
        return;
    mo->acc_ms += (double)s->response_us / 1000.0;
    mo->acc_requests++;
    mo->acc_status = s->status;
    if (s->fail != QVR_FAIL_NONE && !mo->acc_fail) {
        mo->acc_fail = 1;
        mo->acc_kind = s->fail;
        if (s->fail == QVR_FAIL_HTTP_4XX || s->fail == QVR_FAIL_HTTP_5XX ||
            s->fail == QVR_FAIL_HTTP_OTHER)
            snprintf(mo->acc_err, sizeof(mo->acc_err), "HTTP %d", s->status);
        else if (s->fail == QVR_FAIL_CHECK)
            snprintf(mo->acc_err, sizeof(mo->acc_err),
                     "a check failed (HTTP %d)", s->status);
        else if (s->fail == QVR_FAIL_INVALID_JSON)
            snprintf(mo->acc_err, sizeof(mo->acc_err),
                     "the answer is not JSON (HTTP %d)", s->status);
        else
            snprintf(mo->acc_err, sizeof(mo->acc_err), "%s",
                     mo->ctx.last_error ? mo->ctx.last_error
                                        : qvr_fail_kind_name(s->fail));
    }
}

static void iteration_over(struct monitor *mo)
{
    if (!mo->in_flight || mo->aborting)
        return;
    /* a task error (a loop the watchdog stopped included) or a probe that
     * probed nothing: the scenario's fault, kind script */
    if (mo->m->script_errors > mo->acc_script_errors && !mo->acc_fail) {
        mo->acc_fail = 1;
        mo->acc_kind = QVR_FAIL_SCRIPT;
        snprintf(mo->acc_err, sizeof(mo->acc_err), "task error: %.243s",
                 mo->ctx.last_task_error);
    } else if (!mo->acc_requests && !mo->acc_fail) {
        mo->acc_fail = 1;
        mo->acc_kind = QVR_FAIL_SCRIPT;
        snprintf(mo->acc_err, sizeof(mo->acc_err),
                 "the iteration sent no request");
    }
    probe_done(mo, mo->acc_ms, mo->acc_status, !mo->acc_fail, mo->acc_kind,
               mo->acc_err);
}

static void on_free(void *ud, struct qvr_vu *vu)
{
    (void)vu;
    iteration_over(ud);
}

static void on_stopped(void *ud, struct qvr_vu *vu)
{
    (void)vu;
    iteration_over(ud);
}

/* ---- the schedule -------------------------------------------------------- */

static void finish(struct monitor *mo)
{
    if (mo->done)
        return;
    mo->done = 1;
    event_base_loopbreak(mo->base);
}

/* Starts a probe for the slot at intended; late: its predecessor ran past
 * that slot (a timer that fires a little after its time is not late). */
static void start_probe(struct monitor *mo, uint64_t intended, int late)
{
    uint64_t now = qvr_clock_ns();
    mo->in_flight = 1;
    mo->probe_start = now;
    mo->probe_wall = wall_s();
    mo->probe_late_ns = late && now > intended ? now - intended : 0;
    if (mo->plan) {
        mo->acc_ms = 0;
        mo->acc_requests = 0;
        mo->acc_status = 0;
        mo->acc_fail = 0;
        mo->acc_kind = QVR_FAIL_NONE;
        mo->acc_err[0] = 0;
        mo->acc_script_errors = mo->m->script_errors;
        qvr_vu_begin(mo->vu, 0);
        return;
    }
    static const char *const hdrs[] = {"Content-Type: application/json",
                                       "Accept: application/json"};
    struct qvr_http_request req;
    memset(&req, 0, sizeof(req));
    req.method = "POST";
    req.url = mo->target;
    req.body = mo->body;
    req.body_len = mo->body_len;
    req.headers = hdrs;
    req.nheaders = 2;
    int rc = qvr_http_start(mo->xfer, &req, url_done, mo);
    if (rc < 0) {
        char why[128];
        snprintf(why, sizeof(why), "cannot start the request: %s",
                 qvr_strerror(rc));
        probe_done(mo, 0, 0, 0, QVR_FAIL_TRANSPORT, why);
    }
}

/* After a probe: the next one now (late) or at its slot. */
static void schedule(struct monitor *mo)
{
    if (mo->stopping) {
        finish(mo);
        return;
    }
    /* A signal came while a task blocked the loop, which the watchdog
     * has just freed: signal_cb runs in this loop pass; no probe before. */
    if (qvr_watchdog_signalled(mo->wd))
        return;
    uint64_t now = qvr_clock_ns();
    if (mo->duration_ns && now - mo->t0 >= mo->duration_ns) {
        finish(mo);
        return;
    }
    if (now >= mo->next_due) {
        uint64_t intended = mo->next_due;
        mo->late++;
        mo->next_due += mo->interval_ns;
        while (mo->next_due <= now) {
            mo->next_due += mo->interval_ns;
            mo->skipped++;
        }
        start_probe(mo, intended, 1);
        return;
    }
    arm_ns(mo->tick_ev, mo->next_due - now);
}

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
    struct monitor *mo = arg;
    (void)fd;
    (void)what;
    if (mo->in_flight || mo->stopping)
        return;
    uint64_t now = qvr_clock_ns();
    if (mo->duration_ns && now - mo->t0 >= mo->duration_ns)
        return;               /* the end timer is due: no probe past the end */
    if (now < mo->next_due) { /* a timer that fired a little early */
        arm_ns(mo->tick_ev, mo->next_due - now);
        return;
    }
    uint64_t intended = mo->next_due;
    mo->next_due += mo->interval_ns;
    while (mo->next_due <= now) {
        mo->next_due += mo->interval_ns;
        mo->skipped++;
    }
    start_probe(mo, intended, 0);
}

static void abort_probe(struct monitor *mo)
{
    if (!mo->in_flight)
        return;
    mo->aborting = 1;
    if (mo->plan)
        qvr_vu_abort(mo->vu);
    else
        qvr_http_cancel(mo->xfer);
    mo->in_flight = 0;
}

static void grace_cb(evutil_socket_t fd, short what, void *arg)
{
    struct monitor *mo = arg;
    (void)fd;
    (void)what;
    qvr_warn("the last probe did not finish in time: dropped");
    abort_probe(mo);
    finish(mo);
}

static void end_cb(evutil_socket_t fd, short what, void *arg)
{
    struct monitor *mo = arg;
    (void)fd;
    (void)what;
    mo->stopping = 1;
    evtimer_del(mo->tick_ev);
    if (!mo->in_flight) {
        finish(mo);
        return;
    }
    arm_ns(mo->grace_ev, GRACE_NS);
}

static void signal_cb(evutil_socket_t sig, short what, void *arg)
{
    struct monitor *mo = arg;
    (void)what;
    mo->signals++;
    mo->stopping = 1;
    if (sig == SIGHUP) /* the output it printed to is gone: writes fail */
        signal(SIGPIPE, SIG_IGN);
    if (!mo->o.quiet)
        qvr_info("%s: stopping", sig == SIGINT   ? "interrupted"
                                 : sig == SIGHUP ? "hangup"
                                                 : "terminated");
    abort_probe(mo);
    finish(mo);
}

/* ---- the probe's payload ------------------------------------------------- */

static void put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* Appends one PNG chunk (length, type, data, CRC of type and data). */
static void png_chunk(struct qvr_buf *b, const char *type,
                      const unsigned char *data, uint32_t len)
{
    unsigned char be[4];
    put_be32(be, len);
    qvr_buf_append(b, be, 4);
    qvr_buf_append(b, type, 4);
    if (len)
        qvr_buf_append(b, data, len);
    uLong crc = crc32(0L, (const Bytef *)type, 4);
    if (len)
        crc = crc32(crc, data, len);
    put_be32(be, (uint32_t)crc);
    qvr_buf_append(b, be, 4);
}

/* A small RGB picture (a red car-ish shape on a road and sky) as PNG,
 * for when examples/data/camera.png cannot be found. */
static int synth_png(struct qvr_buf *out)
{
    enum { W = 64, H = 48 };
    unsigned char raw[H * (1 + W * 3)];
    for (int y = 0; y < H; y++) {
        unsigned char *row = raw + y * (1 + W * 3);
        row[0] = 0; /* filter: none */
        for (int x = 0; x < W; x++) {
            unsigned char *px = row + 1 + x * 3;
            int car = y >= 26 && y < 36 && x >= 14 && x < 50 &&
                      !(y < 30 && (x < 22 || x > 42));
            if (car) {
                px[0] = 200, px[1] = 20, px[2] = 30;
            } else if (y >= 34) {
                px[0] = px[1] = px[2] = (unsigned char)(70 + (x * 2 % 20));
            } else {
                px[0] = (unsigned char)(110 + y),
                px[1] = (unsigned char)(160 + y);
                px[2] = 235;
            }
        }
    }
    unsigned char z[sizeof(raw) + 256];
    uLongf zl = sizeof(z);
    if (compress2(z, &zl, raw, sizeof(raw), 9) != Z_OK)
        return QVR_EIO;
    static const unsigned char sig[8] = {0x89, 'P',  'N',  'G',
                                         '\r', '\n', 0x1a, '\n'};
    unsigned char ihdr[13] = {0};
    put_be32(ihdr, W);
    put_be32(ihdr + 4, H);
    ihdr[8] = 8; /* bit depth */
    ihdr[9] = 2; /* RGB */
    qvr_buf_append(out, sig, 8);
    png_chunk(out, "IHDR", ihdr, 13);
    png_chunk(out, "IDAT", z, (uint32_t)zl);
    png_chunk(out, "IEND", NULL, 0);
    return out->data && !out->truncated ? 0 : QVR_ENOMEM;
}

/* Reads a regular file whole into out (capped). Returns 0, or -1 with
 * the reason in *why: a folder, a device or FIFO (refused unread: a FIFO
 * is opened non-blocking, so a missing writer cannot hang the start), a
 * file over the cap, or strerror. */
static int read_file(const char *path, struct qvr_buf *out, const char **why)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    *why = NULL;
    if (fd < 0 || fstat(fd, &st) < 0) {
        *why = strerror(errno);
        if (fd >= 0)
            close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        *why = S_ISDIR(st.st_mode) ? "is a folder, not a file"
                                   : "is not a regular file (a device, FIFO "
                                     "or socket); it is not read";
        close(fd);
        return -1;
    }
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        *why = strerror(errno);
        close(fd);
        return -1;
    }
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0 && !out->truncated)
        qvr_buf_append(out, chunk, n);
    int bad = ferror(f);
    fclose(f);
    if (out->truncated)
        *why = "larger than the 32 MiB a probe image may have";
    else if (bad)
        *why = "read error";
    return *why ? -1 : 0;
}

/* The image: --image, else examples/data/camera.png in the working
 * directory, next to the executable or in the source tree, else a
 * synthetic picture. Returns a malloc'ed data: URL or NULL. */
static char *probe_image(const char *given, char *err, size_t errlen)
{
    struct qvr_buf png;
    qvr_buf_init(&png, 32u << 20);
    int found = 0;
    const char *why;
    if (given) {
        if (read_file(given, &png, &why) < 0) {
            snprintf(err, errlen, "--image: cannot read '%s': %s", given, why);
            qvr_buf_free(&png);
            return NULL;
        }
        found = 1;
    }
    char path[PATH_MAX + 64];
    if (!found && read_file(QVR_MONITOR_IMAGE, &png, &why) == 0)
        found = 1;
    if (!found &&
        qvr_file_data_file(QVR_MONITOR_IMAGE, path, sizeof(path)) == 0) {
        qvr_buf_reset(&png);
        found = read_file(path, &png, &why) == 0;
    }
    if (!found) {
        qvr_buf_reset(&png);
        if (synth_png(&png) < 0) {
            snprintf(err, errlen, "cannot build the probe image");
            qvr_buf_free(&png);
            return NULL;
        }
    }
    const char *ext = given ? strrchr(given, '.') : ".png";
    const char *mime = "image/png";
    if (ext && (strcasecmp(ext, ".jpg") == 0 || strcasecmp(ext, ".jpeg") == 0))
        mime = "image/jpeg";
    else if (ext && strcasecmp(ext, ".webp") == 0)
        mime = "image/webp";
    char prefix[48];
    snprintf(prefix, sizeof(prefix), "data:%s;base64,", mime);
    char *url = qvr_base64_new(prefix, png.data, png.len);
    qvr_buf_free(&png);
    if (!url)
        snprintf(err, errlen, "out of memory");
    return url;
}

static cJSON *text_item(const char *s)
{
    cJSON *o = cJSON_CreateObject();
    if (o)
        cJSON_AddStringToObject(o, "text", s);
    return o;
}

/* The standard probe body (qwen3vl dialect). */
static int build_body(struct monitor *mo, char *err, size_t errlen)
{
    char *img = probe_image(mo->o.image, err, errlen);
    if (!img)
        return QVR_EINVAL;
    cJSON *root = cJSON_CreateObject();
    cJSON *docs = cJSON_CreateArray();
    cJSON *im = cJSON_CreateObject();
    if (root && docs && im) {
        cJSON_AddStringToObject(root, "instruction", QVR_MONITOR_INSTRUCTION);
        cJSON_AddItemToObject(root, "query", text_item(QVR_MONITOR_QUERY));
        cJSON_AddItemToArray(docs, text_item(QVR_MONITOR_DOC1));
        cJSON_AddItemToArray(docs, text_item(QVR_MONITOR_DOC2));
        cJSON_AddStringToObject(im, "image", img);
        cJSON_AddItemToArray(docs, im);
        im = NULL;
        cJSON_AddItemToObject(root, "documents", docs);
        docs = NULL;
        mo->body = cJSON_PrintUnformatted(root);
    }
    cJSON_Delete(root);
    cJSON_Delete(docs);
    cJSON_Delete(im);
    free(img);
    if (!mo->body) {
        snprintf(err, errlen, "out of memory");
        return QVR_ENOMEM;
    }
    mo->body_len = strlen(mo->body);
    mo->ndocs = 3;
    return 0;
}

/* ---- set-up -------------------------------------------------------------- */

static int is_url(const char *s)
{
    return strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0;
}

/* A name made of [A-Za-z0-9._-] from s. */
static void safe_name(char *out, size_t len, const char *s)
{
    size_t o = 0;
    for (; *s && o + 1 < len; s++)
        out[o++] =
            (isalnum((unsigned char)*s) || *s == '.' || *s == '-' || *s == '_')
                ? *s
                : '_';
    out[o] = 0;
}

/* "p99<5s" -> key "p99", cond "<5s". */
static int add_flag_threshold(struct monitor *mo, const char *expr, char *err,
                              size_t errlen)
{
    if (mo->nth == MAX_THRESH) {
        snprintf(err, errlen, "too many thresholds (at most %d)", MAX_THRESH);
        return QVR_EINVAL;
    }
    struct qvr_plan_thresh *pt = &mo->th[mo->nth];
    memset(pt, 0, sizeof(*pt));
    char why[256];
    if (qvr_thresh_parse_expr(expr, &pt->t, why, sizeof(why)) < 0) {
        snprintf(err, errlen, "--threshold '%s': %s", expr, why);
        return QVR_EINVAL;
    }
    pt->value = NAN;
    mo->nth++;
    return 0;
}

/* Only what a window of probes can measure. */
static int check_thresholds(struct monitor *mo, char *err, size_t errlen)
{
    for (int i = 0; i < mo->nth; i++) {
        const struct qvr_thresh *t = &mo->th[i].t;
        const char *why = NULL;
        if (t->ntags)
            why = "monitor thresholds take no tags";
        else if (t->window_ns)
            why = "monitor thresholds hold over the rolling window of "
                  "probes; no [window]";
        else if (t->metric != QVR_TM_PCTL && t->metric != QVR_TM_MIN &&
                 t->metric != QVR_TM_MAX && t->metric != QVR_TM_MEAN &&
                 t->metric != QVR_TM_ERROR_RATE)
            why = "monitor supports p50..p99.9, min, max, mean and "
                  "error_rate";
        for (int k = 0; !why && k < i; k++)
            if (qvr_thresh_same_key(t, &mo->th[k].t))
                why = "given twice";
        if (why) {
            snprintf(err, errlen, "threshold '%s': %s", t->expr, why);
            return QVR_EINVAL;
        }
    }
    return 0;
}

static int start_mock(struct monitor *mo, int argc, char **extra, char *err,
                      size_t errlen)
{
    return qvr_mock_plan_start(argc, extra, &mo->mock, err, errlen);
}

static int fail_msg(char *err, size_t errlen, int code, const char *fmt, ...)
    QVR_PRINTF(4, 5);

/* Writes the message to err and returns code. */
static int fail_msg(char *err, size_t errlen, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return code;
}

/* Loads the scenario or builds the URL probe; fills name, target, the
 * schedule and the thresholds. Returns an exit code or 0. */
static int setup_probe(struct monitor *mo, char *err, size_t errlen)
{
    struct qvr_monitor_opts *o = &mo->o;
    if (is_url(o->what) || strcmp(o->what, "mock") == 0) {
        if (o->target)
            return fail_msg(err, errlen, QVR_EXIT_USAGE,
                            "--target is for scenarios; give the URL once");
        if (o->nenv)
            return fail_msg(err, errlen, QVR_EXIT_USAGE, "-e is for scenarios");
        if (strcmp(o->what, "mock") == 0) {
            int port = start_mock(mo, 0, NULL, err, errlen);
            if (port < 0)
                return QVR_EXIT_RUN;
            snprintf(mo->target, sizeof(mo->target),
                     "http://127.0.0.1:%d/api/rerank", port);
            snprintf(mo->name, sizeof(mo->name), "%s",
                     o->name ? o->name : "mock");
        } else {
            const char *host = strstr(o->what, "://") + 3;
            const char *slash = strchr(host, '/');
            int no_path = !slash || strcmp(slash, "/") == 0;
            snprintf(mo->target, sizeof(mo->target), "%.*s%s",
                     (int)(slash ? (size_t)(slash - o->what) : strlen(o->what)),
                     o->what, no_path ? "/api/rerank" : slash);
            char hp[256];
            snprintf(hp, sizeof(hp), "%.*s",
                     (int)(slash ? (size_t)(slash - host) : strlen(host)),
                     host);
            safe_name(mo->name, sizeof(mo->name), o->name ? o->name : hp);
        }
        mo->interval_ns = o->interval_ns ? o->interval_ns : 30 * QVR_NS_PER_S;
        mo->window_cap = o->window ? o->window : 1000;
        mo->duration_ns = o->duration_ns > 0 ? (uint64_t)o->duration_ns : 0;
        mo->on_alert = o->on_alert;
        int rc = build_body(mo, err, errlen);
        return rc == QVR_EINVAL ? QVR_EXIT_USAGE : (rc < 0 ? QVR_EXIT_RUN : 0);
    }

    struct qvr_overrides ov;
    memset(&ov, 0, sizeof(ov));
    ov.users = -1;
    ov.spawn_rate = -1;
    ov.duration_ns = o->duration_ns;
    ov.rps = -1;
    ov.target = o->target;
    ov.nenv = o->nenv;
    ov.env = o->env;
    mo->script = qvr_script_load(o->what, &ov, err, errlen);
    if (!mo->script)
        return QVR_EXIT_USAGE;
    struct qvr_plan *p = mo->plan = &mo->script->plan;
    if (p->load.kind != QVR_LOAD_EVERY)
        return fail_msg(err, errlen, QVR_EXIT_USAGE,
                        "%s: monitor needs an every{interval=, window=} "
                        "load; run other loads with 'qvrrun %s'",
                        p->file, p->file);
    mo->interval_ns = o->interval_ns ? o->interval_ns : p->load.interval_ns;
    mo->window_cap = o->window ? o->window : p->load.window;
    if (mo->interval_ns == 0 || mo->window_cap < 1)
        return fail_msg(err, errlen, QVR_EXIT_USAGE,
                        "%s: every{}: interval and window must be positive",
                        p->file);
    mo->duration_ns =
        o->duration_ns > 0 ? (uint64_t)o->duration_ns : p->load.duration_ns;
    mo->on_alert = o->on_alert ? o->on_alert : p->on_alert;
    safe_name(mo->name, sizeof(mo->name), o->name ? o->name : p->name);
    if (p->nthresh > MAX_THRESH)
        return fail_msg(err, errlen, QVR_EXIT_USAGE,
                        "%s: too many thresholds (at most %d)", p->file,
                        MAX_THRESH);
    for (int i = 0; i < p->nthresh; i++) {
        mo->th[mo->nth] = p->thresh[i];
        mo->th[mo->nth++].value = NAN;
    }
    if (p->target_is_mock) {
        int port = start_mock(mo, p->mock_argc, p->mock_argv, err, errlen);
        if (port < 0)
            return port == QVR_EINVAL ? QVR_EXIT_USAGE : QVR_EXIT_RUN;
        snprintf(mo->target, sizeof(mo->target), "http://127.0.0.1:%d", port);
    } else {
        snprintf(mo->target, sizeof(mo->target), "%s", p->target);
    }
    return 0;
}

static void banner(struct monitor *mo)
{
    char iv[16], du[16];
    qvr_duration_fmt(mo->interval_ns, iv, sizeof(iv));
    qvr_duration_fmt(mo->duration_ns, du, sizeof(du));
    fprintf(stderr,
            "qvrrun monitor: %s%s every %s, rolling window of %d probes, "
            "%s%s -> %s/history.jsonl\n",
            mo->shown_target, mo->mock ? " (built-in mock)" : "", iv,
            mo->window_cap, mo->duration_ns ? "for " : "until stopped",
            mo->duration_ns ? du : "", mo->out_dir);
    if (mo->restored)
        fprintf(stderr,
                "qvrrun monitor: continuing a history of %llu "
                "probes\n",
                (unsigned long long)mo->restored);
    fflush(stderr);
}

static void wait_children(struct monitor *mo)
{
    uint64_t until = qvr_clock_ns() + EXIT_WAIT_NS;
    int any_plot = 0;
    for (int i = 0; i < mo->nchildren; i++)
        any_plot |= mo->children[i].kind == CH_PLOT;
    if (any_plot)
        until = qvr_clock_ns() + GNUPLOT_TIMEOUT_NS;
    while (reap_children(mo) && qvr_clock_ns() < until) {
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

static void summary(struct monitor *mo, int code);

/* The watchdog's last resort (vu.h), on its thread: a probe's task stuck
 * in C code after a second signal. Every finished probe is in
 * history.jsonl already; the summary is printed, the chart not drawn. */
static int last_resort(void *ud)
{
    struct monitor *mo = ud;
    if (mo->signals < 2)
        mo->signals = 2;
    summary(mo, QVR_EXIT_INTERRUPT);
    return QVR_EXIT_INTERRUPT;
}

/* URL mode: every probe of this process failed (a dead target), which
 * fails the gate with or without thresholds. A scenario's probe judges
 * its own answers. */
static int all_failed(const struct monitor *mo)
{
    return !mo->plan && mo->probes && mo->probes_failed == mo->probes;
}

static void summary(struct monitor *mo, int code)
{
    char a[24], b[24], c[24];
    fprintf(stderr,
            "qvrrun monitor: %llu probes (%llu late, %llu slots skipped); "
            "window of %d: P50=%s P90=%s P99=%s, %d failed\n",
            (unsigned long long)mo->probes, (unsigned long long)mo->late,
            (unsigned long long)mo->skipped, mo->w.n,
            fmt_ms(window_pct(&mo->w, 50), a, sizeof(a)),
            fmt_ms(window_pct(&mo->w, 90), b, sizeof(b)),
            fmt_ms(window_pct(&mo->w, 99), c, sizeof(c)), mo->w.fails);
    for (int i = 0; i < mo->nth; i++) {
        char val[64];
        qvr_thresh_fmt_value(&mo->th[i].t, mo->th[i].value, val, sizeof(val));
        char *fexpr;
        fprintf(stderr, "qvrrun monitor: threshold %s: %s (now %s)\n",
                qvr_redact_str(&mo->redact, mo->th[i].t.expr, &fexpr),
                mo->ever_failed[i]
                    ? (mo->failing[i] ? "FAILING" : "failed during the run")
                    : "held",
                val);
        free(fexpr);
    }
    if (all_failed(mo))
        fprintf(stderr,
                "qvrrun monitor: every probe failed (%llu of %llu): the "
                "target never answered well; failed probes are left out of "
                "the percentiles\n",
                (unsigned long long)mo->probes_failed,
                (unsigned long long)mo->probes);
    if (mo->duration_ns && (mo->nth || all_failed(mo)) &&
        code != QVR_EXIT_INTERRUPT)
        fprintf(stderr, "qvrrun monitor: gate %s (exit %d)\n",
                code == QVR_EXIT_OK ? "passed" : "FAILED", code);
    fflush(stderr);
}

static void teardown(struct monitor *mo)
{
    qvr_vu_free(mo->vu);
    qvr_vu_ctx_cleanup(&mo->ctx);
    qvr_redact_fini(&mo->redact);
    qvr_http_xfer_free(mo->xfer);
    qvr_http_free(mo->http);
    qvr_expo_stop(mo->expo);
    qvr_web_stop(mo->web);
    for (int i = 0; i < mo->nalerts; i++)
        free(mo->alert_lines[i]);
    qvr_collect_free(mo->coll);
    struct event *evs[] = {mo->tick_ev,  mo->end_ev,    mo->grace_ev,
                           mo->reap_ev,  mo->sig_ev[0], mo->sig_ev[1],
                           mo->sig_ev[2]};
    for (size_t i = 0; i < QVR_ARRAY_LEN(evs); i++)
        if (evs[i])
            event_free(evs[i]);
    if (mo->base)
        event_base_free(mo->base);
    qvr_mock_stop(mo->mock);
    qvr_metrics_free(mo->m);
    if (mo->hist_fd >= 0)
        close(mo->hist_fd);
    window_free(&mo->w);
    free(mo->plot);
    free(mo->body);
    qvr_script_free(mo->script);
}

int qvr_monitor_main(const struct qvr_monitor_opts *opts)
{
    struct monitor *mo = calloc(1, sizeof(*mo));
    if (!mo) {
        qvr_error("out of memory");
        return QVR_EXIT_RUN;
    }
    mo->hist_fd = -1;
    char err[1024] = "";
    mo->o = *opts;
    int code = setup_probe(mo, err, sizeof(err));
    if (code) {
        qvr_error("%s", err);
        goto out;
    }
    /* The same secrets as a run's, before anything is written or probed:
     * the standard secret headers and the scenario's `redact` names (their
     * values are learned as the probe's requests send them), and the
     * target shown without its URL password. */
    qvr_redact_setup(&mo->redact, mo->plan ? mo->plan->nredact : 0,
                     mo->plan ? mo->plan->redact : NULL, mo->target,
                     mo->shown_target, sizeof(mo->shown_target));
    for (int i = 0; i < mo->o.nthresh; i++)
        if (add_flag_threshold(mo, mo->o.thresh[i], err, sizeof(err)) < 0) {
            qvr_error("%s", err);
            code = QVR_EXIT_USAGE;
            goto out;
        }
    if (check_thresholds(mo, err, sizeof(err)) < 0) {
        qvr_error("%s%s%s", mo->plan ? mo->plan->file : "",
                  mo->plan ? ": " : "", err);
        code = QVR_EXIT_USAGE;
        goto out;
    }

    code = QVR_EXIT_RUN;
    if (mo->o.out_dir)
        snprintf(mo->out_dir, sizeof(mo->out_dir), "%s", mo->o.out_dir);
    else
        snprintf(mo->out_dir, sizeof(mo->out_dir), "results/monitor-%s",
                 mo->name);
    if (qvr_report_mkdir_p(mo->out_dir) < 0) {
        qvr_error("cannot create '%s': %s", mo->out_dir, strerror(errno));
        goto out;
    }
    mo->plot = calloc(PLOT_MAX, sizeof(*mo->plot));
    if (window_init(&mo->w, mo->window_cap) < 0 || !mo->plot) {
        qvr_error("out of memory (window of %d probes)", mo->window_cap);
        goto out;
    }
    if (open_history(mo, err, sizeof(err)) < 0) {
        qvr_error("%s", err);
        goto out;
    }
    mo->render_every = mo->window_cap / 10 > 10 ? mo->window_cap / 10 : 10;
    if (!mo->o.no_plots) {
        if (qvr_proc_find_gnuplot(mo->gnuplot, sizeof(mo->gnuplot)) < 0)
            qvr_info("monitor.png skipped: gnuplot not found");
        else if (find_template(mo->tmpl, sizeof(mo->tmpl)) < 0)
            qvr_info("monitor.png skipped: plots/monitor.gp not found (set "
                     "QVR_PLOTS_DIR to the plots/ directory)");
        else
            mo->can_plot = 1;
    }

    struct event_config *ecfg = event_config_new();
    if (ecfg) {
        event_config_set_flag(ecfg, EVENT_BASE_FLAG_PRECISE_TIMER);
        mo->base = event_base_new_with_config(ecfg);
        event_config_free(ecfg);
    }
    struct qvr_http_conf hc;
    qvr_http_conf_init(&hc);
    if (mo->plan) {
        hc.timeout_ms = mo->plan->timeout_ms;
        hc.max_body = mo->plan->max_body;
        hc.insecure = mo->plan->insecure;
    } else if (mo->o.timeout_ns) {
        hc.timeout_ms = (long)(mo->o.timeout_ns / QVR_NS_PER_MS);
    }
    hc.max_conns = 4;
    const char *tn[] = {"probe"};
    const char **names = tn;
    int ntasks = 1;
    if (mo->plan) {
        ntasks = mo->plan->ntasks;
        names = calloc((size_t)ntasks + 1, sizeof(char *));
        for (int i = 0; names && i < ntasks; i++)
            names[i] = mo->plan->tasks[i].name;
    }
    if (names)
        mo->m = qvr_metrics_new(ntasks, names);
    if (names != tn)
        free(names);
    if (mo->base)
        mo->http = qvr_http_new(mo->base, &hc);
    if (!mo->base || !mo->http || !mo->m) {
        qvr_error("cannot set up the monitor: out of memory");
        goto out;
    }
    mo->tick_ev = evtimer_new(mo->base, tick_cb, mo);
    mo->end_ev = evtimer_new(mo->base, end_cb, mo);
    mo->grace_ev = evtimer_new(mo->base, grace_cb, mo);
    mo->reap_ev = event_new(mo->base, -1, EV_PERSIST, reap_cb, mo);
    mo->sig_ev[0] = evsignal_new(mo->base, SIGINT, signal_cb, mo);
    mo->sig_ev[1] = evsignal_new(mo->base, SIGTERM, signal_cb, mo);
    if (!mo->tick_ev || !mo->end_ev || !mo->grace_ev || !mo->reap_ev ||
        !mo->sig_ev[0] || !mo->sig_ev[1]) {
        qvr_error("cannot set up the monitor's timers");
        goto out;
    }
    event_add(mo->sig_ev[0], NULL);
    event_add(mo->sig_ev[1], NULL);
    /* SIGHUP (the terminal or ssh session closed) as SIGTERM, unless
     * ignored at start (nohup) */
    struct sigaction hup;
    if (sigaction(SIGHUP, NULL, &hup) == 0 &&
        ((hup.sa_flags & SA_SIGINFO) || hup.sa_handler != SIG_IGN) &&
        (mo->sig_ev[2] = evsignal_new(mo->base, SIGHUP, signal_cb, mo)))
        event_add(mo->sig_ev[2], NULL);

    if (mo->plan) {
        struct qvr_vu_ctx *c = &mo->ctx;
        c->base = mo->base;
        c->http = &mo->http;
        c->nhttp = 1;
        c->L = mo->script->L;
        c->metrics = mo->m;
        c->target = mo->target;
        c->ntasks = mo->plan->ntasks;
        c->task_refs = mo->plan->task_refs;
        c->task_cumw = mo->plan->task_cumw;
        c->rng = 0x9E3779B97F4A7C15ULL ^ qvr_clock_ns();
        c->timeout_ms = mo->plan->timeout_ms;
        c->open_model = 1;
        c->slo_us = (uint64_t)(mo->plan->slo.p99_ms * 1000.0);
        c->on_request = on_request;
        c->on_free = on_free;
        c->on_stopped = on_stopped;
        c->on_headers = scenario_headers;
        c->redact = &mo->redact;
        c->ud = mo;
        mo->vu = qvr_vu_new(c, 1);
        if (!mo->vu) {
            qvr_error("cannot create the probe's user: out of memory");
            goto out;
        }
        if (qvr_collect_wanted(mo->plan)) {
            mo->coll = qvr_collect_new(mo->base, mo->plan, err, sizeof(err));
            if (!mo->coll) {
                qvr_error("%s: %s", mo->plan->file, err);
                code = QVR_EXIT_USAGE;
                goto out;
            }
        }
    } else {
        mo->xfer = qvr_http_xfer_new(mo->http);
        mo->probe_stat = qvr_metrics_name(mo->m, "probe");
        if (!mo->xfer || !mo->probe_stat) {
            qvr_error("cannot set up the probe: out of memory");
            goto out;
        }
    }
    if (mo->o.metrics_listen) {
        mo->expo =
            qvr_expo_start(mo->base, mo->o.metrics_listen, err, sizeof(err));
        if (!mo->expo) {
            qvr_error("%s", err);
            code = QVR_EXIT_USAGE;
            goto out;
        }
        qvr_expo_set_metrics(mo->expo, mo->m);
        qvr_expo_set_users(mo->expo, 1);
        fprintf(stderr, "qvrrun monitor: metrics at %s\n",
                qvr_expo_url(mo->expo));
    }
    if (mo->o.web) {
        struct qvr_web_ops ops = {mo, web_stop, NULL, NULL};
        mo->web = qvr_web_start(mo->base, mo->o.web, mo->o.web_token, &ops, err,
                                sizeof(err));
        if (!mo->web) {
            qvr_error("%s", err);
            code = QVR_EXIT_USAGE;
            goto out;
        }
        fprintf(
            stderr, "qvrrun monitor: dashboard at %s%s\n", qvr_web_url(mo->web),
            qvr_web_has_token(mo->web) ? "?token=TOKEN (the token given)" : "");
    }
    banner(mo);

    mo->t0 = qvr_clock_ns();
    mo->next_due = mo->t0;
    if (mo->duration_ns)
        arm_ns(mo->end_ev, mo->duration_ns);
    arm_ns(mo->tick_ev, 0);
    /* The watchdog borrows this array of one for as long as it runs: it
     * lives in this frame until qvr_watchdog_stop, not in the block below
     * (ASan: stack-use-after-scope from the watchdog thread). */
    struct qvr_vu_ctx *wctx[1] = {&mo->ctx};
    if (mo->plan) {
        /* as in a run: a probe looping past the end gets 1 s, not 5 */
        if (mo->duration_ns)
            atomic_store_explicit(&mo->ctx.end_ns, mo->t0 + mo->duration_ns,
                                  memory_order_relaxed);
        mo->wd = qvr_watchdog_start(wctx, 1);
        qvr_watchdog_last_resort(mo->wd, 0, last_resort, mo);
    }
    event_base_dispatch(mo->base);
    qvr_watchdog_stop(mo->wd);
    mo->wd = NULL;

    if (mo->plot_n) {
        wait_children(mo); /* a chart still being drawn */
        render(mo);
    }
    wait_children(mo);
    int failed = 0;
    for (int i = 0; i < mo->nth; i++)
        failed |= mo->ever_failed[i];
    /* every probe failed: the target is down, whatever the thresholds */
    failed |= all_failed(mo);
    if (mo->signals)
        code = QVR_EXIT_INTERRUPT;
    else
        code = mo->duration_ns && failed ? QVR_EXIT_THRESHOLD : QVR_EXIT_OK;
    summary(mo, code);
out:
    teardown(mo);
    free(mo);
    return code;
}
