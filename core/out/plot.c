/* plot.c -- chart data files and gnuplot as a child process (see plot.h).
 *
 * The C side does the arithmetic (trend line, percentile spectrum) and
 * writes plain columns; the templates in plots/ only draw. gnuplot is
 * forked and exec'd (posix_spawn's header would pull in <sched.h>, which
 * core/plan/sched.h shadows), gets stdin and stdout on /dev/null and its stderr
 * on a pipe, is given a minute and is killed (by its pid) after that. */
#include "plot.h"

#include <cjson/cJSON.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "file.h"
#include "gate.h"
#include "log.h"
#include "proc.h"
#include "qvr.h"
#include "report.h"
#include "thresh.h"

extern char **environ;

#define GNUPLOT_TIMEOUT_MS 60000

/* ---- where things are ---- */

/* The directory holding latency.gp and friends, into out. 0 or -1. */
static int plots_dir(char *out, size_t len)
{
    char probe[PATH_MAX + 32];
    const char *env = getenv("QVR_PLOTS_DIR");
    if (env && *env) {
        snprintf(out, len, "%s", env);
        snprintf(probe, sizeof(probe), "%s/latency.gp", out);
        return qvr_file_is_regular(probe) ? 0 : -1;
    }
    if (qvr_file_data_file("plots/latency.gp", out, len) < 0)
        return -1;
    out[strlen(out) - strlen("/latency.gp")] = 0;
    return 0;
}

/* ---- running gnuplot ---- */

/* Appends name='value' to a -e command line; gnuplot's single-quoted
 * strings double a quote and take everything else as it is. */
static void gp_str(struct qvr_buf *b, const char *name, const char *value)
{
    qvr_buf_printf(b, "%s='", name);
    for (const char *c = value; *c; c++) {
        if (*c == '\'')
            qvr_buf_append(b, "''", 2);
        else if ((unsigned char)*c < 0x20)
            qvr_buf_append(b, " ", 1);
        else
            qvr_buf_append(b, c, 1);
    }
    qvr_buf_append(b, "'; ", 3);
}

static void gp_num(struct qvr_buf *b, const char *name, double v)
{
    qvr_buf_printf(b, "%s=%.17g; ", name, v);
}

int qvr_plot_png_whole(const char *path, char *why, size_t wlen)
{
    static const unsigned char sig[8] = {0x89, 'P',  'N',  'G',
                                         '\r', '\n', 0x1a, '\n'};
    static const unsigned char iend[12] = {0,   0,   0,    0,    'I',  'E',
                                           'N', 'D', 0xae, 0x42, 0x60, 0x82};
    unsigned char head[8], tail[12];
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        snprintf(why, wlen, "gnuplot wrote nothing");
        goto fail;
    }
    if (st.st_size == 0) {
        snprintf(why, wlen, "gnuplot wrote an empty file (disk full?)");
        goto fail;
    }
    if (st.st_size < 20 || pread(fd, head, 8, 0) != 8 ||
        memcmp(head, sig, 8) != 0 ||
        pread(fd, tail, 12, st.st_size - 12) != 12 ||
        memcmp(tail, iend, 12) != 0) {
        snprintf(why, wlen,
                 "gnuplot wrote %lld bytes, not a whole PNG (disk full?)",
                 (long long)st.st_size);
        goto fail;
    }
    close(fd);
    return 0;
fail:
    if (fd >= 0)
        close(fd);
    return -1;
}

/* Runs gnuplot -e vars template and renames outdir/.name.tmp to
 * outdir/name when gnuplot exits 0 and the file is a whole PNG. Returns 0,
 * or -1 with "cannot write DIR/NAME: reason" in err for the first chart
 * that failed (*nfail 0) and as a warning for the later ones; *nfail
 * counts them. */
static int run_gnuplot(const char *gnuplot, const char *tmpl, const char *dir,
                       const char *png, struct qvr_buf *vars, int *nfail,
                       char *err, unsigned long errlen)
{
    char tmp[4200], final[4200], why[512] = "";
    snprintf(tmp, sizeof(tmp), "%s/.%s.%ld.tmp", dir, png, (long)getpid());
    snprintf(final, sizeof(final), "%s/%s", dir, png);
    gp_str(vars, "outfile", tmp);
    if (vars->truncated || !vars->data) {
        snprintf(why, sizeof(why), "out of memory");
        goto fail;
    }

    int pfd[2] = {-1, -1};
    if (pipe2(pfd, O_CLOEXEC) < 0) {
        snprintf(why, sizeof(why), "pipe: %s", strerror(errno));
        goto fail;
    }
    char *argv[] = {(char *)"gnuplot", (char *)"-e", vars->data, (char *)tmpl,
                    NULL};
    pid_t pid = qvr_proc_spawn(gnuplot, argv, environ, QVR_PROC_NULL, pfd[1]);
    close(pfd[1]);
    if (pid < 0) {
        close(pfd[0]);
        snprintf(why, sizeof(why), "cannot start %s: %s", gnuplot,
                 strerror(errno));
        goto fail;
    }

    /* Collect its complaints (the first KiB) until it closes stderr or
     * runs out of time. */
    char msg[1024];
    size_t mlen = 0;
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int timed_out = 0;
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        long el = (now.tv_sec - t0.tv_sec) * 1000 +
                  (now.tv_nsec - t0.tv_nsec) / 1000000;
        if (el >= GNUPLOT_TIMEOUT_MS) {
            timed_out = 1;
            kill(pid, SIGKILL);
            break;
        }
        struct pollfd p = {.fd = pfd[0], .events = POLLIN};
        int pr = poll(&p, 1, (int)(GNUPLOT_TIMEOUT_MS - el));
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr <= 0)
            continue;
        char chunk[512];
        ssize_t n = read(pfd[0], chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        size_t take = (size_t)n < sizeof(msg) - 1 - mlen
                          ? (size_t)n
                          : sizeof(msg) - 1 - mlen;
        memcpy(msg + mlen, chunk, take);
        mlen += take;
    }
    close(pfd[0]);
    msg[mlen] = 0;
    int status = 0;
    qvr_proc_wait(pid, 0, &status, NULL);
    if (timed_out) {
        snprintf(why, sizeof(why), "gnuplot took longer than %d s",
                 GNUPLOT_TIMEOUT_MS / 1000);
    } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        /* gnuplot's message: the line that says what went wrong. */
        char *line = msg;
        while (*line == '\n' || *line == ' ')
            line++;
        char *e = strstr(line, "\n\n");
        if (e)
            *e = 0;
        for (char *c = line; *c; c++)
            if (*c == '\n')
                *c = ' ';
        snprintf(why, sizeof(why), "gnuplot failed: %.300s",
                 *line ? line : "(no message)");
    } else if (qvr_plot_png_whole(tmp, why, sizeof(why)) == 0 &&
               rename(tmp, final) < 0) {
        snprintf(why, sizeof(why), "rename: %s", strerror(errno));
    }
    if (!why[0])
        return 0;
fail:
    unlink(tmp);
    if ((*nfail)++ == 0)
        snprintf(err, errlen, "cannot write %s: %s", final, why);
    else
        qvr_warn("cannot write %s: %s", final, why);
    return -1;
}

/* ---- the data files ---- */

static void put_num(struct qvr_buf *b, double v, int last)
{
    if (isnan(v))
        qvr_buf_printf(b, "NaN%c", last ? '\n' : ' ');
    else
        qvr_buf_printf(b, "%.10g%c", v, last ? '\n' : ' ');
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The typical window length: the median (the first and last windows may
 * be shorter or longer than the rest). qsort: a day's soak has 86,400. */
static double window_len(const struct qvr_rdir *rd)
{
    int n = rd->nwin;
    if (n == 0)
        return 0;
    double *v = malloc((size_t)n * sizeof(*v));
    if (!v)
        return rd->win[0].len_s;
    for (int i = 0; i < n; i++)
        v[i] = rd->win[i].len_s;
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    double m = v[n / 2];
    free(v);
    return m;
}

/* A window of at least half the typical length; a shorter one (the tail
 * of the run) is kept in the data but not drawn: its rate and percentiles
 * come from a handful of requests. */
static int full_window(const struct qvr_rwin *w, double typical)
{
    return w->len_s >= 0.5 * typical;
}

/* The gate's own p99_trend fit (qvr_trend_eval) over the windows, from
 * the steady start the summary records. */
static int gate_p99_trend(const struct qvr_rdir *rd, double typical, int *first,
                          int *last, double *a, double *b, double *noise)
{
    int n = rd->nwin, rc = -1;
    struct qvr_window_row *rows = calloc((size_t)n, sizeof(*rows));
    struct qvr_trend t;
    if (!rows)
        return -1;
    for (int i = 0; i < n; i++) {
        rows[i].t_s = rd->win[i].end_s;
        rows[i].len_s = rd->win[i].len_s;
        rows[i].requests = rd->win[i].requests;
        rows[i].p99_ms = rd->win[i].p99_ms;
    }
    if (qvr_trend_eval(rows, n, rd->steady_from_s, typical, QVR_TM_P99_TREND,
                       &t) == 0 &&
        t.hi > t.lo) {
        double x0 = rows[t.lo].t_s, x1 = rows[t.hi].t_s;
        *b = (t.last - t.first) / (x1 - x0);
        *a = t.first - *b * x0;
        *first = t.lo;
        *last = t.hi;
        *noise = t.noise;
        rc = t.windows;
    }
    free(rows);
    return rc;
}

int qvr_plot_p99_trend(const struct qvr_rdir *rd, int *first, int *last,
                       double *a, double *b, double *noise)
{
    int n = rd->nwin, maxu = 0;
    *noise = NAN;
    if (n < 2)
        return -1;
    double typical = window_len(rd);
    if (!isnan(rd->steady_from_s))
        return gate_p99_trend(rd, typical, first, last, a, b, noise);
    for (int i = 0; i < n; i++)
        if (rd->win[i].users > maxu)
            maxu = rd->win[i].users;
    int from = 0, at_max = 0;
    for (int i = 0; i < n; i++)
        at_max += rd->win[i].users == maxu;
    if (maxu > 0 && at_max >= 2)
        while (from < n && rd->win[from].users != maxu)
            from++;
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    int k = 0, lo = -1, hi = -1;
    for (int i = from; i < n; i++) {
        const struct qvr_rwin *w = &rd->win[i];
        if (!w->requests || !full_window(w, typical))
            continue;
        sx += w->end_s;
        sy += w->p99_ms;
        sxx += w->end_s * w->end_s;
        sxy += w->end_s * w->p99_ms;
        if (lo < 0)
            lo = i;
        hi = i;
        k++;
    }
    double d = k * sxx - sx * sx;
    if (k < 2 || !(fabs(d) > 0))
        return -1;
    *b = (k * sxy - sx * sy) / d;
    *a = (sy - *b * sx) / k;
    *first = lo;
    *last = hi;
    return k;
}

/* "P99 trend over 36 windows: +58.8% (124 -> 196 ms)": the title's second
 * line on the latency chart; with the fit's 95% half-width when known,
 * "+58.8% +-12.0%", as the p99_trend threshold reports it. */
static void trend_label(char *label, size_t llen, int n, const char *what,
                        double y0, double y1, double noise)
{
    char pm[32] = "";
    if (!isnan(noise))
        snprintf(pm, sizeof(pm), " +-%.1f%%", noise * 100.0);
    if (y0 > 0)
        snprintf(label, llen,
                 "P99 trend over %d %s: %+.1f%%%s (%.3g -> %.3g ms)", n, what,
                 (y1 - y0) / y0 * 100.0, pm, y0, y1);
    else
        snprintf(label, llen, "P99 trend over %d %s: %.3g -> %.3g ms", n, what,
                 y0, y1);
}

/* What the latency chart shows of the run's thresholds (summary.json), so
 * that the chart agrees with the verdicts: the p99_trend line only when
 * such a threshold exists, grey when it was not judged; the latency limits
 * as horizontal lines. */
#define MAX_LIMITS 3

struct chart_gate {
    int trend;            /* 0: no p99_trend threshold, 1 judged, 2 n/a */
    char trend_note[192]; /* "p99_trend < +25%: FAIL" */
    int rps_trend;        /* the same for rps_trend (throughput.png) */
    char rps_note[192];
    int nrlim; /* rps limits (rps > 40), drawn on throughput.png */
    double rlim[MAX_LIMITS];
    char rlimlabel[MAX_LIMITS][96];
    int nlim;
    double lim[MAX_LIMITS];           /* ms */
    char limlabel[MAX_LIMITS][96];    /* "limit p99 < 60ms" */
    const char *limcolor[MAX_LIMITS]; /* the colour of its percentile */
    char above[192];                  /* limits far above the data */
    uint64_t requests;                /* in all windows */
    int sparse; /* few requests per window: points drawn too, so that a
                   window alone between empty ones is not lost */
};

static void chart_gate(const struct qvr_rdir *rd, struct chart_gate *g)
{
    memset(g, 0, sizeof(*g));
    double top = 0; /* the highest P99 drawn */
    int with_req = 0;
    for (int i = 0; i < rd->nwin; i++) {
        if (rd->win[i].requests && rd->win[i].p99_ms > top)
            top = rd->win[i].p99_ms;
        g->requests += rd->win[i].requests;
        with_req += rd->win[i].requests > 0;
    }
    g->sparse = (double)g->requests < 20.0 * rd->nwin || with_req < 3;
    const cJSON *th =
        cJSON_GetObjectItemCaseSensitive(rd->summary, "thresholds");
    const cJSON *it;
    size_t au = 0;
    cJSON_ArrayForEach(it, th)
    {
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(it, "expr");
        const cJSON *ok = cJSON_GetObjectItemCaseSensitive(it, "ok");
        if (!cJSON_IsString(e))
            continue;
        const char *x = e->valuestring;
        size_t k = strcspn(x, "<>=");
        if (!x[k] || k >= QVR_THRESH_EXPR_LEN)
            continue;
        char key[QVR_THRESH_EXPR_LEN];
        snprintf(key, sizeof(key), "%.*s", (int)k, x);
        struct qvr_thresh t;
        if (qvr_thresh_parse(key, x + k, &t, NULL, 0) < 0)
            continue;
        if (t.metric == QVR_TM_RPS_TREND && !g->rps_trend) {
            g->rps_trend = cJSON_IsNull(ok) ? 2 : 1;
            snprintf(g->rps_note, sizeof(g->rps_note), "%s: %s", x,
                     g->rps_trend == 2  ? "n/a (too noisy), line in grey"
                     : cJSON_IsTrue(ok) ? "ok"
                                        : "FAIL");
            continue;
        }
        if (t.metric == QVR_TM_RPS && !t.ntags && !t.window_ns &&
            g->nrlim < MAX_LIMITS) {
            g->rlim[g->nrlim] = t.target;
            snprintf(g->rlimlabel[g->nrlim], sizeof(g->rlimlabel[0]),
                     "limit %s", x);
            g->nrlim++;
            continue;
        }
        if (t.metric == QVR_TM_P99_TREND && !g->trend) {
            g->trend = cJSON_IsNull(ok) ? 2 : 1;
            snprintf(g->trend_note, sizeof(g->trend_note), "%s: %s", x,
                     g->trend == 2      ? "n/a (too noisy), line in grey"
                     : cJSON_IsTrue(ok) ? "ok"
                                        : "FAIL");
            continue;
        }
        int lat = t.kind == QVR_TK_LATENCY && !t.ntags &&
                  (t.metric == QVR_TM_MAX ||
                   (t.metric == QVR_TM_PCTL && t.pct >= 50));
        if (!lat)
            continue;
        if (g->nlim < MAX_LIMITS && t.target <= 3 * (top > 0 ? top : 1)) {
            g->lim[g->nlim] = t.target;
            snprintf(g->limlabel[g->nlim], sizeof(g->limlabel[0]), "limit %s",
                     x);
            /* the colour of the line it limits (latency.gp) */
            g->limcolor[g->nlim] = t.metric == QVR_TM_MAX ? "#444444"
                                   : t.pct == 50          ? "#1b9e77"
                                   : t.pct == 90          ? "#7570b3"
                                   : t.pct == 99          ? "#d95f02"
                                                          : "#c00000";
            g->nlim++;
        } else if (au < sizeof(g->above)) {
            au += (size_t)snprintf(g->above + au, sizeof(g->above) - au, "%s%s",
                                   au ? ", " : "limit above the chart: ", x);
        }
    }
}

/* The holds of a step load, from summary.json's steps (start_s and
 * duration_s; a summary without start_s has none), as gnuplot variables:
 * nsteps, stepS<i> and stepE<i> (seconds), stepL<i> ("2 users"). The
 * charts shade each hold and grey the settle before it. */
static void step_spans(const struct qvr_rdir *rd, struct qvr_buf *v)
{
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(rd->summary, "steps");
    const cJSON *it;
    int n = 0;
    cJSON_ArrayForEach(it, st)
    {
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(it, "start_s");
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(it, "duration_s");
        if (!cJSON_IsNumber(s) || !cJSON_IsNumber(d) || n >= 64)
            continue;
        const cJSON *u = cJSON_GetObjectItemCaseSensitive(it, "users");
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(it, "rate");
        const cJSON *lb = cJSON_GetObjectItemCaseSensitive(it, "label");
        char nm[24], text[64];
        if (cJSON_IsString(lb))
            snprintf(text, sizeof(text), "%.40s", lb->valuestring);
        else if (cJSON_IsNumber(r))
            snprintf(text, sizeof(text), "%g/s", r->valuedouble);
        else if (cJSON_IsNumber(u))
            snprintf(text, sizeof(text), "%g user%s", u->valuedouble,
                     u->valuedouble == 1 ? "" : "s");
        else
            snprintf(text, sizeof(text), "step %d", n + 1);
        n++;
        snprintf(nm, sizeof(nm), "stepS%d", n);
        gp_num(v, nm, s->valuedouble);
        snprintf(nm, sizeof(nm), "stepE%d", n);
        gp_num(v, nm, s->valuedouble + d->valuedouble);
        snprintf(nm, sizeof(nm), "stepL%d", n);
        gp_str(v, nm, text);
    }
    gp_num(v, "nsteps", n);
}

/* The title's second line: the trend's figures with its verdict, or that
 * no trend threshold was set (and no line is drawn). */
static void gate_label(const struct chart_gate *g, const char *fit, char *out,
                       size_t len)
{
    if (g->trend)
        snprintf(out, len, "%s; %s%s%s", fit, g->trend_note,
                 g->above[0] ? "; " : "", g->above);
    else
        snprintf(out, len, "no p99_trend threshold: no trend line%s%s",
                 g->above[0] ? "; " : "", g->above);
}

static int latency_dat(const struct qvr_rdir *rd, struct qvr_buf *b,
                       char *label, size_t llen, const struct chart_gate *cg)
{
    double typical = window_len(rd);
    int lo = -1, hi = -1;
    double a = 0, sl = 0, noise = NAN;
    int fitted = qvr_plot_p99_trend(rd, &lo, &hi, &a, &sl, &noise);
    int has_trend = fitted > 0;
    qvr_buf_printf(b,
                   "# qvrrun %s/latency.png: response time per window "
                   "(timeseries.csv)\n"
                   "# time_s p50_ms p90_ms p99_ms max_ms p99_trend_ms "
                   "full (0: a short window, not drawn)\n",
                   rd->dir);
    for (int i = 0; i < rd->nwin; i++) {
        const struct qvr_rwin *w = &rd->win[i];
        double nan = NAN;
        int some = w->requests > 0;
        put_num(b, w->end_s, 0);
        put_num(b, some ? w->p50_ms : nan, 0);
        put_num(b, some ? w->p90_ms : nan, 0);
        put_num(b, some ? w->p99_ms : nan, 0);
        put_num(b, some ? w->max_ms : nan, 0);
        put_num(b, has_trend && i >= lo && i <= hi ? a + sl * w->end_s : nan,
                0);
        put_num(b, full_window(w, typical), 1);
    }
    if (has_trend)
        trend_label(label, llen, fitted, "windows", a + sl * rd->win[lo].end_s,
                    a + sl * rd->win[hi].end_s, noise);
    else
        snprintf(label, llen, "P99 trend: too few windows");
    qvr_buf_printf(b, "# the trend through single windows: %s\n", label);
    /* what latency.png draws of it, and the limits */
    char second[512];
    gate_label(cg, label, second, sizeof(second));
    qvr_buf_printf(b, "# the chart's second title line: %s\n", second);
    qvr_buf_printf(b, "# trend line drawn: %s\n",
                   cg->trend == 0   ? "no (no p99_trend threshold)"
                   : cg->trend == 1 ? "yes (judged)"
                                    : "grey (n/a, too noisy)");
    for (int i = 0; i < cg->nlim; i++)
        qvr_buf_printf(b, "# limit line: %.17g ms (%s)\n", cg->lim[i],
                       cg->limlabel[i]);
    qvr_buf_printf(b, "# points drawn: %s\n",
                   cg->sparse ? "yes (under 20 requests a window)" : "no");
    return b->truncated ? QVR_ENOMEM : 0;
}

/* The rps_trend threshold's own fit through the steady windows (as
 * gate_p99_trend for P99): the line's a + b * t over rows lo..hi, its
 * change and 95% half-width in *t. Returns the windows fitted, or -1. */
static int gate_rps_trend(const struct qvr_rdir *rd, int *lo, int *hi,
                          double *a, double *b, struct qvr_trend *t)
{
    int n = rd->nwin, rc = -1;
    if (n < 2 || isnan(rd->steady_from_s))
        return -1;
    struct qvr_window_row *rows = calloc((size_t)n, sizeof(*rows));
    if (!rows)
        return -1;
    for (int i = 0; i < n; i++) {
        rows[i].t_s = rd->win[i].end_s;
        rows[i].len_s = rd->win[i].len_s;
        rows[i].requests = rd->win[i].requests;
        rows[i].rps = rd->win[i].rps;
    }
    if (qvr_trend_eval(rows, n, rd->steady_from_s, window_len(rd),
                       QVR_TM_RPS_TREND, t) == 0 &&
        t->hi > t->lo) {
        double x0 = rows[t->lo].t_s, x1 = rows[t->hi].t_s;
        *b = (t->last - t->first) / (x1 - x0);
        *a = t->first - *b * x0;
        *lo = t->lo;
        *hi = t->hi;
        rc = t->windows;
    }
    free(rows);
    return rc;
}

static int throughput_dat(const struct qvr_rdir *rd, struct qvr_buf *b,
                          const struct chart_gate *cg, char *label, size_t llen)
{
    double typical = window_len(rd);
    int lo = -1, hi = -1;
    double a = 0, sl = 0;
    struct qvr_trend t;
    int fitted = cg->rps_trend ? gate_rps_trend(rd, &lo, &hi, &a, &sl, &t) : -1;
    if (!cg->rps_trend)
        snprintf(label, llen, "no rps_trend threshold: no trend line");
    else if (fitted > 0)
        snprintf(label, llen,
                 "rps trend over %d windows: %+.1f%% +-%.1f%% (%.3g -> %.3g "
                 "req/s); %s",
                 fitted, t.change * 100.0, t.noise * 100.0, t.first, t.last,
                 cg->rps_note);
    else
        snprintf(label, llen, "rps trend: too few windows; %s", cg->rps_note);
    qvr_buf_printf(b,
                   "# qvrrun %s/throughput.png: per window "
                   "(timeseries.csv)\n"
                   "# time_s rps failures_per_s users full (0: a short "
                   "window, not drawn) rps_trend\n",
                   rd->dir);
    for (int i = 0; i < rd->nwin; i++) {
        const struct qvr_rwin *w = &rd->win[i];
        put_num(b, w->end_s, 0);
        put_num(b, w->rps, 0);
        put_num(b, w->len_s > 0 ? (double)w->failures / w->len_s : 0, 0);
        put_num(b, rd->no_users ? NAN : w->users, 0); /* unknown: no line */
        put_num(b, full_window(w, typical), 0);
        put_num(b, fitted > 0 && i >= lo && i <= hi ? a + sl * w->end_s : NAN,
                1);
    }
    qvr_buf_printf(b, "# the chart's second title line: %s\n", label);
    qvr_buf_printf(b, "# trend line drawn: %s\n",
                   cg->rps_trend == 0   ? "no (no rps_trend threshold)"
                   : cg->rps_trend == 1 ? "yes (judged)"
                                        : "grey (n/a, too noisy)");
    for (int i = 0; i < cg->nrlim; i++)
        qvr_buf_printf(b, "# limit line: %.17g req/s (%s)\n", cg->rlim[i],
                       cg->rlimlabel[i]);
    return b->truncated ? QVR_ENOMEM : 0;
}

/* The same columns as plot-latency.dat and plot-throughput.dat, one row per
 * group of group_k windows (percentiles of the merged histograms), for the
 * charts of a run with more windows than a chart can show. */
static int grouped_dat(const struct qvr_rdir *rd, struct qvr_buf *lat,
                       struct qvr_buf *thr, char *label, size_t llen)
{
    double full = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
    int maxu = 0, from = 0, k = 0, lo = -1, hi = -1;
    for (int g = 0; g < rd->ngrp; g++) {
        full = rd->grp[g].len_s > full ? rd->grp[g].len_s : full;
        maxu = rd->grp[g].users > maxu ? rd->grp[g].users : maxu;
    }
    /* The trend drawn is the one through the points drawn: the merged
     * groups' P99, full groups from the first at the most users on. */
    while (from < rd->ngrp - 1 && rd->grp[from].users != maxu)
        from++;
    for (int g = from; g < rd->ngrp; g++) {
        const struct qvr_rgroup *gr = &rd->grp[g];
        if (!gr->requests || gr->len_s < 0.5 * full || isnan(gr->p99_ms))
            continue;
        sx += gr->end_s, sy += gr->p99_ms;
        sxx += gr->end_s * gr->end_s, sxy += gr->end_s * gr->p99_ms;
        lo = lo < 0 ? g : lo;
        hi = g;
        k++;
    }
    double d = k * sxx - sx * sx, b = 0, a = 0;
    int has_trend = k >= 2 && fabs(d) > 0;
    if (has_trend) {
        b = (k * sxy - sx * sy) / d;
        a = (sy - b * sx) / k;
        trend_label(label, llen, hi - lo + 1, "groups",
                    a + b * rd->grp[lo].end_s, a + b * rd->grp[hi].end_s, NAN);
    } else {
        snprintf(label, llen, "P99 trend: too few groups");
    }
    /* The groups' P99 (merged histograms) is not the windows' the
     * p99_trend threshold is fitted through: the title gives that one too,
     * so the chart and the threshold table agree. */
    int wlo, whi;
    double wa, wb, wnoise;
    int nw = isnan(rd->steady_from_s)
                 ? -1
                 : qvr_plot_p99_trend(rd, &wlo, &whi, &wa, &wb, &wnoise);
    size_t used = strlen(label);
    double w0 = nw > 0 ? wa + wb * rd->win[wlo].end_s : 0;
    if (nw > 0 && w0 > 0 && used < llen)
        snprintf(label + used, llen - used,
                 "; p99_trend through %d windows: %+.1f%% +-%.1f%%", nw,
                 (wb * (rd->win[whi].end_s - rd->win[wlo].end_s)) / w0 * 100.0,
                 wnoise * 100.0);
    qvr_buf_printf(lat,
                   "# qvrrun %s/latency.png: response time per %d windows "
                   "merged (latency.hlog)\n"
                   "# the chart's title: %s\n"
                   "# time_s p50_ms p90_ms p99_ms max_ms p99_trend_ms "
                   "full (0: a short group, not drawn)\n",
                   rd->dir, rd->group_k, label);
    qvr_buf_printf(thr,
                   "# qvrrun %s/throughput.png: per %d windows merged "
                   "(timeseries.csv)\n"
                   "# time_s rps failures_per_s users full (0: a short "
                   "group, not drawn)\n",
                   rd->dir, rd->group_k);
    for (int g = 0; g < rd->ngrp; g++) {
        const struct qvr_rgroup *gr = &rd->grp[g];
        int some = gr->requests > 0, ok = gr->len_s >= 0.5 * full;
        double nan = NAN, x = gr->end_s;
        put_num(lat, x, 0);
        put_num(lat, some ? gr->p50_ms : nan, 0);
        put_num(lat, some ? gr->p90_ms : nan, 0);
        put_num(lat, some ? gr->p99_ms : nan, 0);
        put_num(lat, some ? gr->max_ms : nan, 0);
        put_num(lat, has_trend && g >= lo && g <= hi ? a + b * x : nan, 0);
        put_num(lat, ok, 1);
        put_num(thr, x, 0);
        put_num(thr, gr->len_s > 0 ? gr->requests / gr->len_s : 0, 0);
        put_num(thr, gr->len_s > 0 ? gr->failures / gr->len_s : 0, 0);
        put_num(thr, rd->no_users ? NAN : gr->users, 0);
        put_num(thr, ok, 1);
    }
    return lat->truncated || thr->truncated ? QVR_ENOMEM : 0;
}

/* One block per series (all requests first): percentile, 1/(1-p) and the
 * latency there, 20 points per decade of 1/(1-p) up to the number of
 * requests, where the max is drawn. *xmax: the widest x; *spread: the
 * largest max/p50. */
/* One block of plot-distribution.dat: title, then percentile,
 * 1/(1-p) and latency from h (its values in us). */
static void spectrum_block(struct qvr_buf *b, const char *title,
                           const struct qvr_hist *h, int *nblocks, double *xmax,
                           double *spread)
{
    double n = (double)h->total, top = n < 1e7 ? n : 1e7;
    if (*nblocks)
        qvr_buf_printf(b, "\n\n");
    qvr_buf_printf(b, "\"%s\"\n", title);
    for (int k = 0;; k++) {
        double x = pow(10.0, k / 20.0);
        if (x >= top)
            break;
        double p = 100.0 * (1.0 - 1.0 / x);
        qvr_buf_printf(b, "%.6f %.6g %.6g\n", p, x,
                       qvr_hist_value_at(h, p) / 1000.0);
    }
    double mx = (double)h->max / 1000.0;
    qvr_buf_printf(b, "100 %.6g %.6g\n", top < 2 ? 2 : top, mx);
    if ((top < 2 ? 2 : top) > *xmax)
        *xmax = top < 2 ? 2 : top;
    double p50 = qvr_hist_value_at(h, 50) / 1000.0;
    if (p50 > 0 && mx / p50 > *spread)
        *spread = mx / p50;
    (*nblocks)++;
}

/* A step load's curves: one per step (its hold's histogram from
 * summary.json), after the total, instead of one per name: each step is
 * its own load, and one curve through them all mixes them. Returns the
 * blocks added (0: not a step load, or no step histograms). */
static int step_spectra(const struct qvr_rdir *rd, struct qvr_buf *b,
                        int *nblocks, double *xmax, double *spread)
{
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(rd->summary, "steps");
    const cJSON *it;
    int added = 0;
    cJSON_ArrayForEach(it, st)
    {
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(it, "histogram_us");
        struct qvr_hist *h = NULL;
        if (!cJSON_IsString(e) ||
            qvr_hist_decode(e->valuestring, strlen(e->valuestring), &h) < 0)
            continue;
        if (h->total) {
            const cJSON *u = cJSON_GetObjectItemCaseSensitive(it, "users");
            const cJSON *r = cJSON_GetObjectItemCaseSensitive(it, "rate");
            const cJSON *lb = cJSON_GetObjectItemCaseSensitive(it, "label");
            char t[96];
            int k = (int)cJSON_GetNumberValue(
                cJSON_GetObjectItemCaseSensitive(it, "step"));
            if (cJSON_IsString(lb))
                snprintf(t, sizeof(t), "step %d: %.40s", k, lb->valuestring);
            else if (cJSON_IsNumber(r))
                snprintf(t, sizeof(t), "step %d: %g/s", k, r->valuedouble);
            else
                snprintf(t, sizeof(t), "step %d: %g user%s", k,
                         cJSON_IsNumber(u) ? u->valuedouble : 0,
                         cJSON_IsNumber(u) && u->valuedouble == 1 ? "" : "s");
            for (char *c = t; *c; c++)
                if (*c == '"' || (unsigned char)*c < 0x20)
                    *c = '\'';
            spectrum_block(b, t, h, nblocks, xmax, spread);
            added++;
        }
        qvr_hist_free(h);
    }
    return added;
}

static int distribution_dat(const struct qvr_rdir *rd, struct qvr_buf *b,
                            int *nblocks, double *xmax, double *spread)
{
    *nblocks = 0;
    *xmax = 100; /* at least up to the 99% tick */
    *spread = 1;
    qvr_buf_printf(b,
                   "# qvrrun %s/distribution.png: HDR percentile "
                   "spectrum per series (summary histograms)\n"
                   "# one block per series: percentile "
                   "one_over_1_minus_p latency_ms\n",
                   rd->dir);
    for (int i = 0; i < rd->nseries; i++) {
        const struct qvr_rseries *s = &rd->series[i];
        if (!s->h || !s->h->total)
            continue;
        /* a step load: the total, then one curve per step */
        if (i > 0 && rd->nsteps &&
            step_spectra(rd, b, nblocks, xmax, spread) > 0)
            break;
        double n = (double)s->h->total, top = n < 1e7 ? n : 1e7;
        if (*nblocks)
            qvr_buf_printf(b, "\n\n");
        qvr_buf_printf(b, "\"");
        const char *nm = s->name ? s->name : "all requests";
        for (const char *c = nm; *c; c++)
            qvr_buf_printf(b, "%c",
                           *c == '"' || (unsigned char)*c < 0x20 ? '\'' : *c);
        qvr_buf_printf(b, "%s\"\n", s->name ? "" : " (total)");
        for (int k = 0;; k++) {
            double x = pow(10.0, k / 20.0);
            if (x >= top)
                break;
            double p = 100.0 * (1.0 - 1.0 / x);
            qvr_buf_printf(b, "%.6f %.6g %.6g\n", p, x,
                           qvr_rseries_pct_ms(s, p));
        }
        qvr_buf_printf(b, "100 %.6g %.6g\n", top < 2 ? 2 : top,
                       qvr_rseries_pct_ms(s, 100));
        if ((top < 2 ? 2 : top) > *xmax)
            *xmax = top < 2 ? 2 : top;
        double p50 = qvr_rseries_pct_ms(s, 50);
        if (p50 > 0 && qvr_rseries_pct_ms(s, 100) / p50 > *spread)
            *spread = qvr_rseries_pct_ms(s, 100) / p50;
        (*nblocks)++;
    }
    return b->truncated ? QVR_ENOMEM : 0;
}

static int steps_dat(const struct qvr_rdir *rd, struct qvr_buf *b,
                     double *kneex)
{
    *kneex = NAN;
    qvr_buf_printf(b,
                   "# qvrrun %s/steps.png: one row per step "
                   "(steps.csv)\n"
                   "# %s rps p99_ms error_rate knee\n",
                   rd->dir, rd->steps_x);
    for (int i = 0; i < rd->nsteps; i++) {
        const struct qvr_rstep *s = &rd->steps[i];
        qvr_buf_printf(b, "%.6g %.6g %.6g %.6g %d\n", s->x, s->rps, s->p99_ms,
                       s->error_rate, s->knee);
        if (s->knee && isnan(*kneex))
            *kneex = s->x;
    }
    return b->truncated ? QVR_ENOMEM : 0;
}

/* ---- the charts ---- */

static int write_dat(const struct qvr_rdir *rd, const char *name,
                     const struct qvr_buf *b, char *err, unsigned long errlen)
{
    return qvr_report_write_file(rd->dir, name, b->data ? b->data : "", b->len,
                                 err, errlen);
}

/* Time axis: seconds, minutes past 20 min, hours past 3 h. */
static void time_axis(const struct qvr_rdir *rd, double *div, const char **unit)
{
    double end = rd->nwin ? rd->win[rd->nwin - 1].end_s : 0;
    *div = 1;
    *unit = "s";
    if (end > 3 * 3600) {
        *div = 3600;
        *unit = "h";
    } else if (end > 1200) {
        *div = 60;
        *unit = "min";
    }
}

/* ---- resources.png: which collect columns timeseries.csv has ---- */

struct collect_cols {
    int hashost, hasgpu;
    /* the timing-header columns (collect.headers and Server-Timing, all in
     * ms) with at least one value, space-separated: resources.gp draws
     * them with word() */
    char timing[1024];
};

/* The columns of timeseries.csv before the collect ones, and the collect
 * columns that are not timing headers. */
static int plain_column(const char *name)
{
    static const char *const plain[] = {
        "time_s",       "wall_s",     "users",           "requests",
        "failures",     "rps",        "p50_ms",          "p90_ms",
        "p99_ms",       "max_ms",     "cpu_pct",         "mem_avail_mb",
        "gpu_util_pct", "gpu_mem_mb", "gpu_mem_total_mb"};
    static const char *const tok[] = {"ttft_p50_ms", "ttft_p99_ms",
                                      "itl_p50_ms", "itl_p99_ms",
                                      "output_tokens_per_s"};
    for (size_t i = 0; i < sizeof(tok) / sizeof(tok[0]); i++)
        if (strcmp(name, tok[i]) == 0)
            return 1;
    for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
        if (strcmp(name, plain[i]) == 0)
            return 1;
    return strncmp(name, "prom_", 5) == 0;
}

#define COLLECT_MAX_FIELDS 320

/* Splits a CSV line (no quoting: qvrrun writes none) in place. */
static int split_commas(char *line, char **f, int max)
{
    int n = 0;
    line[strcspn(line, "\r\n")] = 0;
    for (char *p = line; n < max;) {
        f[n++] = p;
        char *c = strchr(p, ',');
        if (!c)
            break;
        *c = 0;
        p = c + 1;
    }
    return n;
}

/* Reads the header of timeseries.csv at path and, for the timing-header
 * columns, whether any row has a value (a column the target never sent
 * would leave gnuplot nothing to draw). 0, or -1 when unreadable. */
static int collect_columns(const char *path, struct collect_cols *cc)
{
    memset(cc, 0, sizeof(*cc));
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char *line = NULL, *hdr = NULL, *fields[COLLECT_MAX_FIELDS];
    size_t cap = 0;
    unsigned char cand[COLLECT_MAX_FIELDS] = {0},
                  seen[COLLECT_MAX_FIELDS] = {0};
    int nh = 0, ncand = 0;
    if (getline(&line, &cap, f) < 0)
        goto done;
    hdr = strdup(line);
    if (!hdr)
        goto done;
    nh = split_commas(hdr, fields, COLLECT_MAX_FIELDS);
    for (int i = 0; i < nh; i++) {
        cc->hashost |= strcmp(fields[i], "cpu_pct") == 0;
        cc->hasgpu |= strcmp(fields[i], "gpu_util_pct") == 0;
        /* names as collect.c makes them: [a-z0-9_], never empty */
        int ok = fields[i][0] && !plain_column(fields[i]) &&
                 strspn(fields[i], "abcdefghijklmnopqrstuvwxyz0123456789_") ==
                     strlen(fields[i]);
        cand[i] = (unsigned char)ok;
        ncand += ok;
    }
    while (ncand > 0 && getline(&line, &cap, f) >= 0) {
        char *row[COLLECT_MAX_FIELDS];
        int nf = split_commas(line, row, COLLECT_MAX_FIELDS);
        for (int i = 0; i < nf && i < nh; i++)
            if (cand[i] && !seen[i] && row[i][0]) {
                char *end;
                double x = strtod(row[i], &end);
                if (end != row[i] && isfinite(x))
                    seen[i] = 1;
            }
    }
    for (int i = 0; i < nh; i++) {
        size_t o = strlen(cc->timing);
        if (!seen[i] || o + strlen(fields[i]) + 2 > sizeof(cc->timing))
            continue;
        snprintf(cc->timing + o, sizeof(cc->timing) - o, "%s%s", o ? " " : "",
                 fields[i]);
    }
done:
    free(hdr);
    free(line);
    fclose(f);
    return 0;
}

int qvr_plot_render(const struct qvr_rdir *rd, int quiet, char *err,
                    unsigned long errlen)
{
    struct qvr_buf b, v;
    char label[256], title[512], tmpl[PATH_MAX + 32], pdir[PATH_MAX],
        gnuplot[PATH_MAX + 32], path[PATH_MAX + 64];
    int rc, nblocks = 0, nfail = 0;
    double xmax = 100, spread = 1, kneex = NAN, tdiv;
    const char *tunit;
    qvr_buf_init(&b, 0);
    qvr_buf_init(&v, 0);

    struct chart_gate cg;
    chart_gate(rd, &cg);
    rc = latency_dat(rd, &b, label, sizeof(label), &cg);
    if (rc == 0)
        rc = write_dat(rd, "plot-latency.dat", &b, err, errlen);
    qvr_buf_reset(&b);
    char tlabel[384];
    if (rc == 0)
        rc = throughput_dat(rd, &b, &cg, tlabel, sizeof(tlabel));
    if (rc == 0)
        rc = write_dat(rd, "plot-throughput.dat", &b, err, errlen);
    qvr_buf_reset(&b);
    /* A long run: the charts draw merged groups of windows. */
    int grouped = rd->group_k > 1 && rd->has_hlog;
    if (rc == 0 && grouped) {
        rc = grouped_dat(rd, &b, &v, label, sizeof(label));
        if (rc == 0)
            rc = write_dat(rd, "plot-latency-grouped.dat", &b, err, errlen);
        if (rc == 0)
            rc = write_dat(rd, "plot-throughput-grouped.dat", &v, err, errlen);
        qvr_buf_reset(&b);
        qvr_buf_reset(&v);
    }
    if (rc == 0)
        rc = distribution_dat(rd, &b, &nblocks, &xmax, &spread);
    if (rc == 0)
        rc = write_dat(rd, "plot-distribution.dat", &b, err, errlen);
    qvr_buf_reset(&b);
    if (rc == 0 && rd->nsteps) {
        rc = steps_dat(rd, &b, &kneex);
        if (rc == 0)
            rc = write_dat(rd, "plot-steps.dat", &b, err, errlen);
    }
    if (rc < 0) {
        if (rc == QVR_ENOMEM)
            snprintf(err, errlen, "out of memory writing plot data in %s",
                     rd->dir);
        goto fail;
    }

    if (qvr_proc_find_gnuplot(gnuplot, sizeof(gnuplot)) < 0) {
        if (!quiet)
            qvr_info("charts skipped: gnuplot not found");
        goto fail;
    }
    if (plots_dir(pdir, sizeof(pdir)) < 0) {
        if (!quiet)
            qvr_info("charts skipped: gnuplot templates not found (set "
                     "QVR_PLOTS_DIR to the plots/ directory)");
        goto fail;
    }
    const char *sc = rd->partial       ? "partial run (rebuilt after a kill)"
                     : rd->scenario[0] ? rd->scenario
                                       : "qvrrun";
    time_axis(rd, &tdiv, &tunit);
    double wl = window_len(rd);

    int answered = 0;
    for (int i = 0; i < rd->nwin; i++)
        answered |= rd->win[i].requests > 0;
    if (answered) {
        snprintf(path, sizeof(path), "%s/plot-latency%s.dat", rd->dir,
                 grouped ? "-grouped" : "");
        snprintf(tmpl, sizeof(tmpl), "%s/latency.gp", pdir);
        if (grouped)
            snprintf(title, sizeof(title),
                     "%s: response time per %.3g s (%d windows merged), "
                     "from the intended start",
                     sc, wl * rd->group_k, rd->group_k);
        else
            snprintf(title, sizeof(title),
                     "%s: response time per %.3g s window (from the "
                     "intended start)",
                     sc, wl);
        char second[512];
        gate_label(&cg, label, second, sizeof(second));
        if (cg.requests == 1) {
            size_t tl = strlen(title);
            snprintf(title + tl, sizeof(title) - tl,
                     ": 1 request, a single point");
        }
        qvr_buf_reset(&v);
        gp_str(&v, "datafile", path);
        gp_str(&v, "charttitle", title);
        gp_str(&v, "xunit", tunit);
        gp_num(&v, "xdiv", tdiv);
        gp_str(&v, "trendlabel", second);
        gp_num(&v, "trendmode", cg.trend);
        gp_num(&v, "points", cg.sparse);
        step_spans(rd, &v);
        gp_num(&v, "nlim", cg.nlim);
        for (int i = 0; i < MAX_LIMITS; i++) {
            char nm[16];
            snprintf(nm, sizeof(nm), "lim%d", i + 1);
            gp_num(&v, nm, i < cg.nlim ? cg.lim[i] : 0);
            snprintf(nm, sizeof(nm), "limlabel%d", i + 1);
            gp_str(&v, nm, i < cg.nlim ? cg.limlabel[i] : "");
            snprintf(nm, sizeof(nm), "limcolor%d", i + 1);
            gp_str(&v, nm, i < cg.nlim ? cg.limcolor[i] : "#c00000");
        }
        run_gnuplot(gnuplot, tmpl, rd->dir, "latency.png", &v, &nfail, err,
                    errlen);
    } else if (!quiet) {
        qvr_info("latency chart skipped: no request completed in any "
                 "window");
    }

    if (rd->nwin > 0) {

        snprintf(path, sizeof(path), "%s/plot-throughput%s.dat", rd->dir,
                 grouped ? "-grouped" : "");
        snprintf(tmpl, sizeof(tmpl), "%s/throughput.gp", pdir);
        if (grouped)
            snprintf(title, sizeof(title),
                     "%s: throughput and failures per %.3g s (%d windows "
                     "merged)",
                     sc, wl * rd->group_k, rd->group_k);
        else
            snprintf(title, sizeof(title),
                     "%s: throughput and failures per %.3g s window", sc, wl);
        qvr_buf_reset(&v);
        gp_str(&v, "datafile", path);
        gp_str(&v, "charttitle", title);
        gp_str(&v, "xunit", tunit);
        gp_num(&v, "xdiv", tdiv);
        int maxu = 1;
        for (int i = 0; i < rd->nwin; i++)
            maxu = rd->win[i].users > maxu ? rd->win[i].users : maxu;
        step_spans(rd, &v);
        /* the rps trend and limits: single windows only (the grouped data
         * has no trend column) */
        gp_str(&v, "trendlabel", grouped ? "" : tlabel);
        gp_num(&v, "trendmode", grouped ? 0 : cg.rps_trend);
        gp_num(&v, "nlim", cg.nrlim);
        for (int i = 0; i < MAX_LIMITS; i++) {
            char nm[16];
            snprintf(nm, sizeof(nm), "lim%d", i + 1);
            gp_num(&v, nm, i < cg.nrlim ? cg.rlim[i] : 0);
            snprintf(nm, sizeof(nm), "limlabel%d", i + 1);
            gp_str(&v, nm, i < cg.nrlim ? cg.rlimlabel[i] : "");
        }
        gp_num(&v, "usersmax", ceil(maxu * 1.25));
        gp_num(&v, "usersstep", maxu <= 8 ? 1 : ceil(maxu / 8.0));
        run_gnuplot(gnuplot, tmpl, rd->dir, "throughput.png", &v, &nfail, err,
                    errlen);
    } else if (!quiet) {
        qvr_info("latency and throughput charts skipped: no windows in "
                 "timeseries.csv");
    }

    if (nblocks > 0) {
        const struct qvr_rseries *t = &rd->series[0];
        snprintf(path, sizeof(path), "%s/plot-distribution.dat", rd->dir);
        snprintf(tmpl, sizeof(tmpl), "%s/distribution.gp", pdir);
        snprintf(title, sizeof(title),
                 "%s: response time by percentile (%llu requests, whole "
                 "run%s)",
                 sc, t->h ? (unsigned long long)t->h->total : 0ULL,
                 rd->nsteps ? "; one curve per step" : "");
        qvr_buf_reset(&v);
        gp_str(&v, "datafile", path);
        gp_str(&v, "charttitle", title);
        gp_num(&v, "nseries", nblocks);
        gp_num(&v, "xmax", xmax);
        gp_num(&v, "logy", spread > 50);
        run_gnuplot(gnuplot, tmpl, rd->dir, "distribution.png", &v, &nfail, err,
                    errlen);
    }

    if (rd->nsteps > 0) {
        double lo = INFINITY, hi = 0;
        for (int i = 0; i < rd->nsteps; i++) {
            lo = rd->steps[i].x < lo ? rd->steps[i].x : lo;
            hi = rd->steps[i].x > hi ? rd->steps[i].x : hi;
        }
        char xl[128], kl[160];
        if (strcmp(rd->steps_x, "users") == 0)
            snprintf(xl, sizeof(xl), "concurrent users");
        else if (strcmp(rd->steps_x, "rate") == 0)
            snprintf(xl, sizeof(xl), "offered arrival rate (requests/s)");
        else
            snprintf(xl, sizeof(xl), "%s (payload variable)", rd->steps_x);
        snprintf(kl, sizeof(kl), "knee: %.6g %s", kneex,
                 strcmp(rd->steps_x, "rate") == 0 ? "req/s" : rd->steps_x);
        snprintf(path, sizeof(path), "%s/plot-steps.dat", rd->dir);
        snprintf(tmpl, sizeof(tmpl), "%s/steps.gp", pdir);
        snprintf(title, sizeof(title),
                 "%s: throughput and P99 per step (%d steps)", sc, rd->nsteps);
        qvr_buf_reset(&v);
        gp_str(&v, "datafile", path);
        gp_str(&v, "charttitle", title);
        gp_str(&v, "xlabeltext", xl);
        gp_num(&v, "logx", lo > 0 && hi / lo >= 8);
        gp_num(&v, "hasknee", !isnan(kneex));
        gp_num(&v, "kneex", isnan(kneex) ? 0 : kneex);
        gp_str(&v, "kneelabel", kl);
        run_gnuplot(gnuplot, tmpl, rd->dir, "steps.png", &v, &nfail, err,
                    errlen);
    }

    /* tokens.png when summary.json says streams were seen: TTFT and ITL
     * percentiles and output tokens/s per window (timeseries.csv). */
    if (cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(rd->summary, "totals"),
            "streams")) {
        snprintf(path, sizeof(path), "%s/timeseries.csv", rd->dir);
        snprintf(tmpl, sizeof(tmpl), "%s/tokens.gp", pdir);
        snprintf(title, sizeof(title),
                 "%s: time to first token, inter-token latency and output "
                 "tokens/s per window",
                 sc);
        qvr_buf_reset(&v);
        gp_str(&v, "datafile", path);
        gp_str(&v, "charttitle", title);
        run_gnuplot(gnuplot, tmpl, rd->dir, "tokens.png", &v, &nfail, err,
                    errlen);
    }

    /* resources.png when the run collected host or GPU samples or the
     * target's timing headers (their columns in timeseries.csv). */
    snprintf(path, sizeof(path), "%s/timeseries.csv", rd->dir);
    struct collect_cols cc;
    if (collect_columns(path, &cc) == 0 &&
        (cc.hashost || cc.hasgpu || cc.timing[0])) {
        snprintf(tmpl, sizeof(tmpl), "%s/resources.gp", pdir);
        if (cc.hashost || cc.hasgpu)
            snprintf(title, sizeof(title), "%s: host%s resources%s per window",
                     sc, cc.hasgpu ? " and GPU" : "",
                     cc.timing[0] ? " and server timing" : "");
        else
            snprintf(title, sizeof(title),
                     "%s: server timing headers per window", sc);
        qvr_buf_reset(&v);
        gp_str(&v, "datafile", path);
        gp_str(&v, "charttitle", title);
        /* GPU samples asked for and not found: say so on the chart */
        const cJSON *cg_gpu = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(rd->summary, "config"),
            "collect_gpu");
        if (cJSON_IsString(cg_gpu) && !cc.hasgpu) {
            size_t tl = strlen(title);
            snprintf(title + tl, sizeof(title) - tl,
                     " (GPU: none, %.60s not found on this host)",
                     cg_gpu->valuestring);
        }
        gp_num(&v, "hashost", cc.hashost);
        gp_num(&v, "hasgpu", cc.hasgpu);
        gp_str(&v, "timingcols", cc.timing);
        run_gnuplot(gnuplot, tmpl, rd->dir, "resources.png", &v, &nfail, err,
                    errlen);
    }
    rc = nfail ? QVR_EIO : 0;
fail:
    qvr_buf_free(&b);
    qvr_buf_free(&v);
    return rc;
}

void qvr_plot_gp_str(struct qvr_buf *b, const char *name, const char *value)
{
    gp_str(b, name, value);
}
