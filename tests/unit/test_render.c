/* test_render.c -- result directories rendered: Locust CSV, JUnit, the
 * recomputation of summary.json from latency.hlog, the plot data and
 * charts, `qvrrun report` and `qvrrun compare` exit codes and verdicts.
 *
 * The fixture is built here the way a run writes it (histograms recorded
 * with qvr_hist_record, encoded with qvr_hist_encode, summary.json with the
 * writer's keys), from latencies the test knows, so every figure checked is
 * computed independently of the code under test. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "compare.h"
#include "fmt.h"
#include "gate.h"
#include "hist.h"
#include "locust.h"
#include "plot.h"
#include "qvr.h"
#include "render.h"
#include "t.h"

#define NWIN 40 /* 39 full windows of 1 s and a 0.25 s tail */
#define NNAMES 2
#define TAIL_US 4567891ULL /* rare outliers: p99.9 sits in the max's bucket */

static const char *const names[NNAMES] = {"rerank text", "rerank,mm"};

/* What the fixture recorded, for the checks. */
struct truth {
    struct qvr_hist *cum[NNAMES + 1]; /* [NNAMES] = all requests */
    uint64_t req[NNAMES + 1], fail[NNAMES + 1];
    uint64_t http500, timeouts; /* failures of names[1] */
    uint64_t win_req[NWIN], win_fail[NWIN], cum_req[NWIN];
    double win_pct[NWIN][QVR_RENDER_NPCT]; /* window percentiles, ms */
    double win_p99[NWIN], win_len[NWIN], win_end[NWIN];
    double duration;
};

static uint64_t rng_state;

static double rnd(void)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(rng_state >> 11) / 9007199254740992.0;
}

static double msv(uint64_t us)
{
    return (double)us / 1000.0;
}

static void write_text(const char *dir, const char *name, const char *text)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    T_CHECK(f != NULL);
    if (!f)
        return;
    fputs(text, f);
    fclose(f);
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
        free(s);
        s = NULL;
    }
    if (s)
        s[n] = 0;
    fclose(f);
    return s;
}

static cJSON *latency_obj(const struct qvr_hist *h)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "min", msv(h->min));
    cJSON_AddNumberToObject(o, "mean", round(qvr_hist_mean(h)) / 1000.0);
    cJSON_AddNumberToObject(o, "p50", msv(qvr_hist_value_at(h, 50)));
    cJSON_AddNumberToObject(o, "p90", msv(qvr_hist_value_at(h, 90)));
    cJSON_AddNumberToObject(o, "p95", msv(qvr_hist_value_at(h, 95)));
    cJSON_AddNumberToObject(o, "p99", msv(qvr_hist_value_at(h, 99)));
    cJSON_AddNumberToObject(o, "p99.9", msv(qvr_hist_value_at(h, 99.9)));
    cJSON_AddNumberToObject(o, "max", msv(h->max));
    return o;
}

static cJSON *stat_obj(const struct qvr_hist *h, uint64_t req, uint64_t fail,
                       uint64_t n500, uint64_t nto, double dur)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "method", "POST");
    cJSON_AddNumberToObject(o, "requests", (double)req);
    cJSON_AddNumberToObject(o, "failures", (double)fail);
    cJSON_AddNumberToObject(o, "rps", round(req / dur * 1000) / 1000);
    cJSON_AddNumberToObject(o, "error_rate", req ? (double)fail / req : 0);
    cJSON_AddNumberToObject(o, "good", (double)(req - fail));
    cJSON_AddItemToObject(o, "latency_ms", latency_obj(h));
    cJSON *fk = cJSON_AddObjectToObject(o, "failures_by_kind");
    if (n500)
        cJSON_AddNumberToObject(fk, "http_5xx", (double)n500);
    if (nto)
        cJSON_AddNumberToObject(fk, "timeout", (double)nto);
    cJSON *st = cJSON_AddObjectToObject(o, "status");
    cJSON_AddNumberToObject(st, "200", (double)(req - fail));
    if (n500)
        cJSON_AddNumberToObject(st, "500", (double)n500);
    cJSON *by = cJSON_AddObjectToObject(o, "bytes");
    cJSON_AddNumberToObject(by, "received", (double)req * 40);
    cJSON_AddNumberToObject(by, "sent", (double)req * 200);
    char *enc = NULL;
    T_EQ_INT(qvr_hist_encode(h, &enc), 0);
    cJSON_AddStringToObject(o, "histogram_us", enc ? enc : "");
    free(enc);
    return o;
}

/* Writes summary.json, timeseries.csv, latency.hlog (and steps.csv) into
 * dir from a fixed seed; t (if not NULL) gets the truth. */
static void make_fixture(const char *dir, int steps, struct truth *t)
{
    struct truth local;
    if (!t)
        t = &local;
    memset(t, 0, sizeof(*t));
    mkdir(dir, 0755);
    rng_state = 42;
    for (int k = 0; k <= NNAMES; k++)
        t->cum[k] = qvr_hist_new();
    struct qvr_hist *win[NNAMES + 1];
    for (int k = 0; k <= NNAMES; k++)
        win[k] = qvr_hist_new();
    char path[1024];
    snprintf(path, sizeof(path), "%s/latency.hlog", dir);
    FILE *hl = fopen(path, "w");
    snprintf(path, sizeof(path), "%s/timeseries.csv", dir);
    FILE *ts = fopen(path, "w");
    T_CHECK(hl && ts);
    const double t0 = 1700000000.5;
    fprintf(hl,
            "#[Histogram log format version 1.3]\n"
            "#[StartTime: %.3f (seconds since epoch), Tue Nov 14 "
            "22:13:20 UTC 2023]\n"
            "#[MaxValueDivisor: 1000.0]\n"
            "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\","
            "\"Interval_Compressed_Histogram\"\n",
            t0);
    /* An extra column at the end, as host samples will add: read by name. */
    fprintf(ts, "time_s,wall_s,users,requests,failures,rps,p50_ms,p90_ms,"
                "p99_ms,max_ms,gpu_util\n");
    uint64_t nreq = 0, cum = 0;
    for (int w = 0; w < NWIN; w++) {
        double len = w == NWIN - 1 ? 0.25 : 1.0;
        double start = w;
        int users = w < 3 ? w + 1 : 4;
        uint64_t wf = 0;
        for (int k = 0; k <= NNAMES; k++)
            qvr_hist_reset(win[k]);
        for (int k = 0; k < NNAMES; k++) {
            int n = w == NWIN - 1 ? 5 : (k == 0 ? 200 + 2 * w : 50);
            for (int i = 0; i < n; i++) {
                nreq++;
                /* 2..40 ms, growing 2% a window (a drift), plus a rare
                 * outlier that fills the top bucket. */
                uint64_t us = (uint64_t)((2000 + 38000 * rnd()) *
                                         (1 + 0.02 * w) * (k ? 3 : 1));
                if (nreq % 700 == 0)
                    us = TAIL_US;
                qvr_hist_record(win[k], us);
                qvr_hist_record(win[NNAMES], us);
                qvr_hist_record(t->cum[k], us);
                qvr_hist_record(t->cum[NNAMES], us);
                t->req[k]++;
                t->req[NNAMES]++;
                if (k == 1 && nreq % 7 == 0) {
                    t->fail[k]++;
                    t->fail[NNAMES]++;
                    wf++;
                    if (nreq % 3 == 0)
                        t->timeouts++;
                    else
                        t->http500++;
                }
            }
        }
        const struct qvr_hist *a = win[NNAMES];
        cum += a->total;
        t->win_req[w] = a->total;
        t->win_fail[w] = wf;
        t->cum_req[w] = cum;
        t->win_len[w] = len;
        t->win_end[w] = start + len;
        for (int i = 0; i < QVR_RENDER_NPCT; i++)
            t->win_pct[w][i] =
                qvr_render_pcts[i] >= 100
                    ? msv(a->max)
                    : msv(qvr_hist_value_at(a, qvr_render_pcts[i]));
        t->win_p99[w] = msv(qvr_hist_value_at(a, 99));
        fprintf(ts, "%.3f,%.3f,%d,%llu,%llu,%.3f,%.3f,%.3f,%.3f,%.3f,%d\n",
                start + len, t0 + start + len, users,
                (unsigned long long)a->total, (unsigned long long)wf,
                a->total / len, msv(qvr_hist_value_at(a, 50)),
                msv(qvr_hist_value_at(a, 90)), t->win_p99[w], msv(a->max),
                50 + w);
        for (int k = -1; k < NNAMES; k++) {
            const struct qvr_hist *h = k < 0 ? a : win[k];
            char *enc = NULL;
            T_EQ_INT(qvr_hist_encode(h, &enc), 0);
            if (k >= 0)
                fprintf(hl, "Tag=name:%s,",
                        k == 0 ? "rerank_text" : "rerank_mm");
            fprintf(hl, "%.3f,%.3f,%.3f,%s\n", start, len, msv(h->max),
                    enc ? enc : "");
            free(enc);
        }
    }
    fclose(hl);
    fclose(ts);
    t->duration = (NWIN - 1) + 0.25;

    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "schema", "qvrrun.summary/1");
    cJSON_AddStringToObject(root, "scenario", "fx<&>\"");
    cJSON_AddNumberToObject(root, "exit_code", 99);
    cJSON *tg = cJSON_AddObjectToObject(root, "target");
    cJSON_AddStringToObject(tg, "url", "http://127.0.0.1:1");
    cJSON_AddStringToObject(tg, "kind", "http");
    cJSON_AddNumberToObject(root, "started", t0);
    cJSON_AddNumberToObject(root, "duration_s", t->duration);
    cJSON_AddItemToObject(root, "totals",
                          stat_obj(t->cum[NNAMES], t->req[NNAMES],
                                   t->fail[NNAMES], t->http500, t->timeouts,
                                   t->duration));
    cJSON *nm = cJSON_AddObjectToObject(root, "names");
    for (int k = 0; k < NNAMES; k++)
        cJSON_AddItemToObject(nm, names[k],
                              stat_obj(t->cum[k], t->req[k], t->fail[k],
                                       k ? t->http500 : 0, k ? t->timeouts : 0,
                                       t->duration));
    cJSON *errs = cJSON_AddArrayToObject(root, "errors");
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "message",
                            "boom, \"bad\"\nstack traceback:"
                            "\n\t[C]: in ?");
    cJSON_AddNumberToObject(e, "count", 3);
    cJSON_AddItemToArray(errs, e);
    cJSON *th = cJSON_AddArrayToObject(root, "thresholds");
    cJSON *a = cJSON_CreateObject();
    cJSON_AddStringToObject(a, "expr", "p99 < 5s");
    cJSON_AddNumberToObject(a, "value_ms", 812);
    cJSON_AddStringToObject(a, "measured", "812ms");
    cJSON_AddBoolToObject(a, "ok", 0);
    cJSON_AddItemToArray(th, a);
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "expr", "error_rate{name=a&b} < 5%");
    cJSON_AddNumberToObject(b, "value", 0.01);
    cJSON_AddStringToObject(b, "measured", "1.00%");
    cJSON_AddBoolToObject(b, "ok", 1);
    cJSON_AddItemToArray(th, b);
    cJSON_AddItemToObject(root, "findings", cJSON_CreateArray());
    /* As report.c writes it: cJSON_Print and a newline. */
    char *js = cJSON_Print(root);
    size_t jl = strlen(js);
    char *nl = malloc(jl + 2);
    memcpy(nl, js, jl);
    memcpy(nl + jl, "\n", 2);
    write_text(dir, "summary.json", nl);
    free(nl);
    free(js);
    cJSON_Delete(root);
    if (steps)
        write_text(dir, "steps.csv",
                   "step,users,rate,duration_s,achieved_users,achieved_rate,"
                   "requests,failures,late,dropped,rps,p50_ms,p90_ms,p95_ms,"
                   "p99_ms,max_ms,error_rate,note\n"
                   "1,2,0.000,10.000,2.00,0.000,100,0,0,0,10.000,150.000,"
                   "180.000,190.000,200.000,210.000,0.00000,\"\"\n"
                   "2,4,0.000,10.000,4.00,0.000,200,0,0,0,20.000,160.000,"
                   "190.000,200.000,220.000,230.000,0.00000,\"\"\n"
                   "3,8,0.000,10.000,8.00,0.000,260,0,0,0,26.000,290.000,"
                   "400.000,450.000,520.000,600.000,0.00000,\"knee, "
                   "gain 30% of ideal\"\n"
                   "4,16,0.000,10.000,16.00,0.000,270,3,0,0,27.000,580.000,"
                   "800.000,900.000,1100.000,1300.000,0.01111,\"\"\n");
    for (int k = 0; k <= NNAMES; k++) {
        qvr_hist_free(win[k]);
        if (t == &local)
            qvr_hist_free(t->cum[k]);
    }
}

static void truth_free(struct truth *t)
{
    for (int k = 0; k <= NNAMES; k++)
        qvr_hist_free(t->cum[k]);
}

/* ---- a tiny CSV reader for the checks ---- */

#define MAXROWS 64
#define MAXCOLS 32

struct csv {
    char *text;
    int nrows;
    int ncols[MAXROWS];
    char *cell[MAXROWS][MAXCOLS];
    char *line[MAXROWS]; /* raw first line only valid for row 0 */
};

static int csv_read(const char *path, struct csv *c)
{
    memset(c, 0, sizeof(*c));
    c->text = read_text(path);
    if (!c->text)
        return -1;
    char *p = c->text;
    static char header[4096];
    char *nl = strchr(p, '\n');
    snprintf(header, sizeof(header), "%.*s", nl ? (int)(nl - p) : 0, p);
    c->line[0] = header;
    while (*p && c->nrows < MAXROWS) {
        int r = c->nrows++, n = 0;
        char *w = p;
        for (;;) {
            char *start = w;
            if (*p == '"') {
                p++;
                while (*p && !(*p == '"' && p[1] != '"')) {
                    if (*p == '"')
                        p++;
                    *w++ = *p++;
                }
                if (*p == '"')
                    p++;
            }
            while (*p && *p != ',' && *p != '\n')
                *w++ = *p++;
            char end = *p;
            *w++ = 0;
            if (n < MAXCOLS)
                c->cell[r][n++] = start;
            if (end == ',') {
                p++;
                continue;
            }
            if (end == '\n')
                p++;
            break;
        }
        c->ncols[r] = n;
    }
    return 0;
}

static int csv_col(const struct csv *c, const char *name)
{
    for (int i = 0; i < c->ncols[0]; i++)
        if (strcmp(c->cell[0][i], name) == 0)
            return i;
    return -1;
}

static int csv_row(const struct csv *c, int col, const char *value)
{
    for (int r = 1; r < c->nrows; r++)
        if (col < c->ncols[r] && strcmp(c->cell[r][col], value) == 0)
            return r;
    return -1;
}

static const char *fmt3(double ms, char *buf)
{
    return qvr_fmt_ms_sig3(ms, buf, 32);
}

static char tmproot[256];

static void path_of(char *out, size_t len, const char *sub, const char *name)
{
    snprintf(out, len, "%s/%s%s%s", tmproot, sub, name ? "/" : "",
             name ? name : "");
}

/* ---- the checks ---- */

static void test_fmt(void)
{
    static const struct {
        double v;
        const char *want;
    } cases[] = {{0, "0"},         {0.148, "0.148"},   {70.021, "70.0"},
                 {1234.5, "1230"}, {0.0391, "0.0391"}, {9.996, "10.0"},
                 {999.6, "1000"},  {5.403, "5.40"},    {4567.891, "4570"},
                 {100, "100"},     {NAN, "N/A"}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char b[32];
        T_EQ_STR(qvr_fmt_ms_sig3(cases[i].v, b, sizeof(b)), cases[i].want);
    }
}

static void test_locust(const struct truth *t, const char *dir)
{
    char p[1024], b1[32], b2[32];
    struct csv c;
    static const struct {
        const char *suffix, *header;
    } files[] = {
        {"_stats.csv",
         "Type,Name,Request Count,Failure Count,Median Response Time,"
         "Average Response Time,Min Response Time,Max Response Time,Average "
         "Content Size,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,"
         "99%,99.9%,99.99%,100%"},
        {"_stats_history.csv",
         "Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,66%,75%,"
         "80%,90%,95%,98%,99%,99.9%,99.99%,100%,Total Request Count,Total "
         "Failure Count,Total Median Response Time,Total Average Response "
         "Time,Total Min Response Time,Total Max Response Time,Total Average "
         "Content Size"},
        {"_failures.csv", "Method,Name,Error,Occurrences,First Seen,Last Seen"},
        {"_exceptions.csv", "Count,Message,Traceback,Nodes"}};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(p, sizeof(p), "%s/loc%s", dir, files[i].suffix);
        char *txt = read_text(p);
        T_CHECK_MSG(txt != NULL, "%s missing", p);
        if (!txt)
            continue;
        size_t hl = strlen(files[i].header);
        T_CHECK_MSG(strncmp(txt, files[i].header, hl) == 0 && txt[hl] == '\n',
                    "header of %s", p);
        free(txt);
    }

    /* _stats.csv: a row per name, then Aggregated; numbers = the truth. */
    snprintf(p, sizeof(p), "%s/loc_stats.csv", dir);
    T_EQ_INT(csv_read(p, &c), 0);
    T_EQ_INT(c.nrows, 1 + NNAMES + 1);
    int cn = csv_col(&c, "Name"), creq = csv_col(&c, "Request Count"),
        cf = csv_col(&c, "Failure Count"),
        cmed = csv_col(&c, "Median Response Time"), c66 = csv_col(&c, "66%"),
        c999 = csv_col(&c, "99.99%"), c100 = csv_col(&c, "100%"),
        ct = csv_col(&c, "Type"), cfs = csv_col(&c, "Failures/s");
    T_CHECK(cn == 1 && creq == 2 && c100 == 21);
    T_EQ_STR(c.cell[3][cn], "Aggregated");
    T_EQ_STR(c.cell[3][ct], "");
    for (int k = 0; k <= NNAMES; k++) {
        int r = csv_row(&c, cn, k < NNAMES ? names[k] : "Aggregated");
        T_CHECK_MSG(r > 0, "row for %s", k < NNAMES ? names[k] : "Agg");
        if (r < 0)
            continue;
        const struct qvr_hist *h = t->cum[k];
        T_EQ_INT(c.ncols[r], 22);
        T_EQ_INT(atoll(c.cell[r][creq]), t->req[k]);
        T_EQ_INT(atoll(c.cell[r][cf]), t->fail[k]);
        T_EQ_STR(c.cell[r][cmed], fmt3(msv(qvr_hist_value_at(h, 50)), b1));
        T_EQ_STR(c.cell[r][c66], fmt3(msv(qvr_hist_value_at(h, 66)), b1));
        T_EQ_STR(c.cell[r][c999], fmt3(msv(qvr_hist_value_at(h, 99.99)), b1));
        T_EQ_STR(c.cell[r][c100], fmt3(msv(h->max), b2));
        T_NEAR(atof(c.cell[r][cfs]), t->fail[k] / t->duration, 0.0006);
        if (k < NNAMES)
            T_EQ_STR(c.cell[r][ct], "POST");
    }
    free(c.text);

    /* _stats_history.csv: one row per window with that window's own
     * percentiles and the running total. */
    snprintf(p, sizeof(p), "%s/loc_stats_history.csv", dir);
    T_EQ_INT(csv_read(p, &c), 0);
    T_EQ_INT(c.nrows, 1 + NWIN);
    int c50 = csv_col(&c, "50%"), c99 = csv_col(&c, "99%"),
        cmax = csv_col(&c, "100%"), ctot = csv_col(&c, "Total Request Count"),
        ctf = csv_col(&c, "Total Failure Count"),
        ctmax = csv_col(&c, "Total Max Response Time"),
        crps = csv_col(&c, "Requests/s"), cu = csv_col(&c, "User Count"),
        cts = csv_col(&c, "Timestamp");
    uint64_t cumf = 0;
    for (int w = 0; w < NWIN && w + 1 < c.nrows; w++) {
        int r = w + 1;
        cumf += t->win_fail[w];
        T_EQ_STR(c.cell[r][c50], fmt3(t->win_pct[w][0], b1));
        T_EQ_STR(c.cell[r][c99], fmt3(t->win_pct[w][7], b1));
        T_EQ_STR(c.cell[r][cmax], fmt3(t->win_pct[w][10], b1));
        T_EQ_INT(atoll(c.cell[r][ctot]), t->cum_req[w]);
        T_EQ_INT(atoll(c.cell[r][ctf]), cumf);
        T_NEAR(atof(c.cell[r][crps]), t->win_req[w] / t->win_len[w], 0.001);
        T_EQ_INT(atoi(c.cell[r][cu]), w < 3 ? w + 1 : 4);
        T_EQ_INT(atoll(c.cell[r][cts]),
                 (long long)(1700000000.5 + t->win_end[w]));
    }
    T_EQ_INT(atoll(c.cell[NWIN][ctot]), t->req[NNAMES]);
    T_EQ_STR(c.cell[NWIN][ctmax], fmt3(msv(t->cum[NNAMES]->max), b1));
    T_EQ_STR(c.cell[NWIN][csv_col(&c, "Total Median Response Time")],
             fmt3(msv(qvr_hist_value_at(t->cum[NNAMES], 50)), b1));
    free(c.text);

    /* _failures.csv: by name and error, summing to the failures. */
    snprintf(p, sizeof(p), "%s/loc_failures.csv", dir);
    T_EQ_INT(csv_read(p, &c), 0);
    T_EQ_INT(c.nrows, 3);
    int ce = csv_col(&c, "Error"), co = csv_col(&c, "Occurrences");
    uint64_t sum = 0;
    for (int r = 1; r < c.nrows; r++) {
        T_EQ_STR(c.cell[r][1], names[1]);
        T_EQ_STR(c.cell[r][0], "POST");
        sum += (uint64_t)atoll(c.cell[r][co]);
        if (strcmp(c.cell[r][ce], "HTTP 500") == 0)
            T_EQ_INT(atoll(c.cell[r][co]), t->http500);
        else
            T_CHECK(strcmp(c.cell[r][ce], "timeout") == 0 &&
                    atoll(c.cell[r][co]) == (long long)t->timeouts);
        T_CHECK(atoll(c.cell[r][4]) >= 1700000000 &&
                atoll(c.cell[r][5]) >= atoll(c.cell[r][4]));
    }
    T_EQ_INT(sum, t->fail[1]);
    free(c.text);

    snprintf(p, sizeof(p), "%s/loc_exceptions.csv", dir);
    T_EQ_INT(csv_read(p, &c), 0);
    T_EQ_INT(c.nrows, 2);
    T_EQ_STR(c.cell[1][0], "3");
    T_EQ_STR(c.cell[1][1], "boom, \"bad\"");
    T_CHECK(strncmp(c.cell[1][2], "stack traceback:", 16) == 0);
    free(c.text);
}

static int count(const char *s, const char *needle)
{
    int n = 0;
    for (const char *p = s; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

static void test_junit(const char *path)
{
    char *x = read_text(path);
    T_CHECK(x != NULL);
    if (!x)
        return;
    T_CHECK(strncmp(x, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", 39) ==
            0);
    T_CHECK(strstr(x, "<testsuite name=\"qvrrun thresholds\" tests=\"2\" "
                      "failures=\"1\"") != NULL);
    T_EQ_INT(count(x, "<testcase "), 2);
    T_EQ_INT(count(x, "</testcase>"), 2);
    T_EQ_INT(count(x, "<failure "), 1);
    T_CHECK(strstr(x, "<testcase classname=\"fx&lt;&amp;&gt;&quot;\" "
                      "name=\"p99 &lt; 5s\"") != NULL);
    T_CHECK(strstr(x, "<failure message=\"measured 812ms\"") != NULL);
    T_CHECK(strstr(x, "name=\"error_rate{name=a&amp;b} &lt; 5%\"") != NULL);
    T_CHECK(strstr(x, "</testsuite>\n") != NULL);
    /* Escaped everywhere: no '&' that does not start an entity. */
    for (const char *p = x; (p = strchr(p, '&')); p++)
        T_CHECK(strncmp(p, "&amp;", 5) == 0 || strncmp(p, "&lt;", 4) == 0 ||
                strncmp(p, "&gt;", 4) == 0 || strncmp(p, "&quot;", 6) == 0 ||
                strncmp(p, "&apos;", 6) == 0 || strncmp(p, "&#", 2) == 0);
    free(x);
}

/* Data rows of a plot .dat file (comment lines skipped). */
static int dat_rows(const char *path, double rows[][8], int max)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[512];
    int n = 0;
    while (fgets(line, sizeof(line), f) && n < max) {
        if (line[0] == '#' || line[0] == '\n' || line[0] == '"')
            continue;
        char *p = line;
        for (int i = 0; i < 8; i++) {
            char *end;
            rows[n][i] = strtod(p, &end);
            if (end == p)
                rows[n][i] = NAN;
            p = end;
        }
        n++;
    }
    fclose(f);
    return n;
}

static void test_plot_data(const struct truth *t, const char *dir)
{
    char p[1024];
    static double rows[256][8];
    snprintf(p, sizeof(p), "%s/plot-latency.dat", dir);
    T_EQ_INT(dat_rows(p, rows, 256), NWIN);
    for (int w = 0; w < NWIN; w++) {
        T_NEAR(rows[w][0], t->win_end[w], 1e-9);
        T_NEAR(rows[w][3], t->win_p99[w], 0.0005);
        T_EQ_INT(rows[w][6], w == NWIN - 1 ? 0 : 1); /* the tail: not drawn */
    }
    /* The trend: least squares through the full windows at 4 users
     * (w = 3 .. NWIN-2), computed here independently. */
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    int k = 0;
    for (int w = 3; w < NWIN - 1; w++, k++) {
        double x = t->win_end[w], y = t->win_p99[w];
        sx += x, sy += y, sxx += x * x, sxy += x * y;
    }
    double b = (k * sxy - sx * sy) / (k * sxx - sx * sx), a = (sy - b * sx) / k;
    T_CHECK(b > 0); /* the fixture drifts up */
    T_CHECK(isnan(rows[0][5]) && isnan(rows[2][5]) && isnan(rows[NWIN - 1][5]));
    T_NEAR(rows[3][5], a + b * t->win_end[3], 1e-3);
    T_NEAR(rows[NWIN - 2][5], a + b * t->win_end[NWIN - 2], 1e-3);

    snprintf(p, sizeof(p), "%s/plot-throughput.dat", dir);
    T_EQ_INT(dat_rows(p, rows, 256), NWIN);
    for (int w = 0; w < NWIN; w++) {
        T_NEAR(rows[w][1], t->win_req[w] / t->win_len[w], 0.01);
        T_NEAR(rows[w][2], t->win_fail[w] / t->win_len[w], 0.01);
        T_EQ_INT(rows[w][3], w < 3 ? w + 1 : 4);
    }

    /* The spectrum: blocks for the total and both names; the last point
     * of the total's block is its max at x = the number of requests. */
    snprintf(p, sizeof(p), "%s/plot-distribution.dat", dir);
    char *txt = read_text(p);
    T_CHECK(txt != NULL);
    if (txt) {
        T_EQ_INT(count(txt, "\n\n\n"), NNAMES);
        T_CHECK(strstr(txt, "\"all requests (total)\"\n") != NULL);
        T_CHECK(strstr(txt, "\"rerank,mm\"\n") != NULL);
        char want[64];
        snprintf(want, sizeof(want), "\n100 %.6g %.6g\n",
                 (double)t->req[NNAMES], msv(t->cum[NNAMES]->max));
        T_CHECK_MSG(strstr(txt, want) != NULL, "no max point %s", want);
        free(txt);
    }
    snprintf(p, sizeof(p), "%s/plot-steps.dat", dir);
    int n = dat_rows(p, rows, 256);
    T_EQ_INT(n, 4);
    if (n == 4) {
        T_EQ_INT(rows[2][0], 8);
        T_EQ_INT(rows[2][4], 1);
        T_EQ_INT(rows[1][4], 0);
        T_NEAR(rows[3][2], 1100, 1e-9);
    }
}

static int have_gnuplot(void)
{
    const char *path = getenv("PATH");
    char buf[1024];
    while (path && *path) {
        const char *c = strchr(path, ':');
        size_t l = c ? (size_t)(c - path) : strlen(path);
        snprintf(buf, sizeof(buf), "%.*s/gnuplot", (int)l, path);
        if (access(buf, X_OK) == 0)
            return 1;
        path += l + (c ? 1 : 0);
    }
    return 0;
}

static void check_png(const char *dir, const char *name)
{
    char p[1024];
    unsigned char h[24];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    FILE *f = fopen(p, "rb");
    T_CHECK_MSG(f != NULL, "%s missing", p);
    if (!f)
        return;
    size_t n = fread(h, 1, sizeof(h), f);
    fclose(f);
    T_EQ_INT(n, 24);
    T_CHECK(memcmp(h, "\x89PNG\r\n\x1a\n", 8) == 0);
    T_CHECK(memcmp(h + 12, "IHDR", 4) == 0);
    unsigned w = (unsigned)h[16] << 24 | h[17] << 16 | h[18] << 8 | h[19];
    unsigned ht = (unsigned)h[20] << 24 | h[21] << 16 | h[22] << 8 | h[23];
    T_EQ_INT(w, 1200);
    T_EQ_INT(ht, 600);
}

static int exists(const char *dir, const char *name)
{
    char p[1024];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    return access(p, F_OK) == 0;
}

/* dir/summary.json parsed (the caller passes it to put_summary), or NULL */
static cJSON *get_summary(const char *dir)
{
    char p[1024];
    snprintf(p, sizeof(p), "%s/summary.json", dir);
    char *txt = read_text(p);
    cJSON *root = cJSON_Parse(txt);
    free(txt);
    T_CHECK(root != NULL);
    return root;
}

/* Writes root as dir/summary.json and frees it. */
static void put_summary(const char *dir, cJSON *root)
{
    char *js = cJSON_Print(root);
    write_text(dir, "summary.json", js);
    free(js);
    cJSON_Delete(root);
}

static void strip_percentiles(const char *dir)
{
    cJSON *root = get_summary(dir);
    cJSON *tot = cJSON_GetObjectItem(root, "totals");
    cJSON *nm = cJSON_GetObjectItem(root, "names");
    cJSON *objs[NNAMES + 1] = {tot, cJSON_GetObjectItem(nm, names[0]),
                               cJSON_GetObjectItem(nm, names[1])};
    static const char *const keys[] = {"p50", "p90",   "p95",
                                       "p99", "p99.9", "max"};
    for (int k = 0; k <= NNAMES; k++) {
        cJSON *lat = cJSON_GetObjectItem(objs[k], "latency_ms");
        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
            cJSON_DeleteItemFromObject(lat, keys[i]);
    }
    put_summary(dir, root);
}

/* The chart's trend is the p99_trend threshold's fit when summary.json
 * says where the steady phase starts: from the end of window `from - 1`,
 * the line runs over windows from .. NWIN-2 (the 0.25 s tail is not a
 * full window) with the least squares through exactly those, and the
 * title gives qvr_trend_eval's change and 95% half-width. */
static void test_plot_gate_trend(const struct truth *t, const char *dir,
                                 int from)
{
    char p[1024], *txt;
    cJSON *root = get_summary(dir);
    if (!root)
        return;
    cJSON_DeleteItemFromObject(root, "steady_from_s");
    cJSON_AddNumberToObject(root, "steady_from_s", t->win_end[from - 1]);
    put_summary(dir, root);
    struct qvr_render_opts o = {.quiet = 1};
    char err[512] = "";
    T_CHECK_MSG(qvr_render(dir, &o, err, sizeof(err)) == 0, "%s", err);
    static double rows[256][8];
    snprintf(p, sizeof(p), "%s/plot-latency.dat", dir);
    T_EQ_INT(dat_rows(p, rows, 256), NWIN);
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    int k = 0;
    for (int w = from; w < NWIN - 1; w++, k++) {
        double x = t->win_end[w], y = t->win_p99[w];
        sx += x, sy += y, sxx += x * x, sxy += x * y;
    }
    double b = (k * sxy - sx * sy) / (k * sxx - sx * sx), a = (sy - b * sx) / k;
    T_CHECK(isnan(rows[from - 1][5]) && isnan(rows[NWIN - 1][5]));
    T_NEAR(rows[from][5], a + b * t->win_end[from], 1e-3);
    T_NEAR(rows[NWIN - 2][5], a + b * t->win_end[NWIN - 2], 1e-3);
    /* the label, as qvr_trend_eval fits the same windows */
    struct qvr_window_row wr[NWIN];
    memset(wr, 0, sizeof(wr));
    for (int w = 0; w < NWIN; w++) {
        wr[w].t_s = t->win_end[w];
        wr[w].len_s = t->win_len[w];
        wr[w].requests = t->win_req[w];
        wr[w].p99_ms = t->win_p99[w];
    }
    struct qvr_trend tr;
    T_EQ_INT(qvr_trend_eval(wr, NWIN, t->win_end[from - 1], 1, QVR_TM_P99_TREND,
                            &tr),
             0);
    T_EQ_INT(tr.windows, k);
    T_CHECK(tr.noise > 0);
    char want[128];
    snprintf(want, sizeof(want), "P99 trend over %d windows: %+.1f%% +-%.1f%%",
             k, tr.change * 100, tr.noise * 100);
    snprintf(p, sizeof(p), "%s/plot-latency.dat", dir);
    txt = read_text(p);
    T_CHECK_MSG(txt && strstr(txt, want), "no '%s' in %s", want, p);
    free(txt);
}

static void test_recompute(void)
{
    char a[512], b[512], p[700];
    struct truth t;
    path_of(a, sizeof(a), "orig", NULL);
    path_of(b, sizeof(b), "copy", NULL);
    make_fixture(a, 0, NULL);
    make_fixture(b, 0, &t);
    strip_percentiles(b);
    /* The test has teeth: the encoded histogram alone (no max) puts p99.9
     * at its bucket's upper edge, not at the recorded value. */
    struct qvr_hist *dec = NULL;
    char *enc = NULL;
    qvr_hist_encode(t.cum[NNAMES], &enc);
    T_EQ_INT(qvr_hist_decode(enc, strlen(enc), &dec), 0);
    T_CHECK(qvr_hist_value_at(dec, 99.9) !=
            qvr_hist_value_at(t.cum[NNAMES], 99.9));
    T_EQ_INT(qvr_hist_value_at(t.cum[NNAMES], 99.9), TAIL_US);
    qvr_hist_free(dec);
    free(enc);

    char *argv[] = {b, (char *)"--no-plots", (char *)"--quiet"};
    T_EQ_INT(qvr_cmd_report(3, argv), 0);
    snprintf(p, sizeof(p), "%s/summary.json", a);
    char *ta = read_text(p);
    snprintf(p, sizeof(p), "%s/summary.json", b);
    char *tb = read_text(p);
    cJSON *ja = cJSON_Parse(ta), *jb = cJSON_Parse(tb);
    T_CHECK(ja && jb);
    /* Byte for byte the file the fixture wrote: values and key order. */
    T_CHECK_MSG(ta && tb && strcmp(ta, tb) == 0,
                "recomputed summary.json differs from the original");
    static const char *const keys[] = {"min", "mean", "p50",   "p90",
                                       "p95", "p99",  "p99.9", "max"};
    for (int k = 0; k <= NNAMES; k++) {
        const cJSON *sa =
            k == NNAMES ? cJSON_GetObjectItem(ja, "totals")
                        : cJSON_GetObjectItem(cJSON_GetObjectItem(ja, "names"),
                                              names[k]);
        const cJSON *sb =
            k == NNAMES ? cJSON_GetObjectItem(jb, "totals")
                        : cJSON_GetObjectItem(cJSON_GetObjectItem(jb, "names"),
                                              names[k]);
        const cJSON *la = cJSON_GetObjectItem(sa, "latency_ms");
        const cJSON *lb = cJSON_GetObjectItem(sb, "latency_ms");
        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
            const cJSON *va = cJSON_GetObjectItem(la, keys[i]);
            const cJSON *vb = cJSON_GetObjectItem(lb, keys[i]);
            T_CHECK_MSG(va && vb && va->valuedouble == vb->valuedouble,
                        "%s %s: %g vs %g", k == NNAMES ? "totals" : names[k],
                        keys[i], va ? va->valuedouble : -1,
                        vb ? vb->valuedouble : -1);
        }
        T_EQ_INT(cJSON_GetObjectItem(lb, "p99.9")->valuedouble * 1000 + 0.5,
                 qvr_hist_value_at(t.cum[k], 99.9));
    }
    cJSON_Delete(ja);
    cJSON_Delete(jb);
    free(ta);
    free(tb);
    truth_free(&t);
}

static void test_errors(void)
{
    char d[512], p[700];
    path_of(d, sizeof(d), "bad", NULL);
    make_fixture(d, 0, NULL);
    char *nodir[] = {(char *)"/nonexistent/qvr-result"};
    T_EQ_INT(qvr_cmd_report(1, nodir), 2);
    char *flag[] = {d, (char *)"--bogus"};
    T_EQ_INT(qvr_cmd_report(2, flag), 2);
    char *noval[] = {d, (char *)"--csv"};
    T_EQ_INT(qvr_cmd_report(2, noval), 2);
    T_EQ_INT(qvr_cmd_report(0, NULL), 2);

    /* A corrupt histogram line: exit 3, and the error names the file. */
    snprintf(p, sizeof(p), "%s/latency.hlog", d);
    FILE *f = fopen(p, "a");
    fputs("41.000,1.000,3.000,HISTnotbase64!!\n", f);
    fclose(f);
    char *args[] = {d, (char *)"--no-plots", (char *)"--quiet"};
    T_EQ_INT(qvr_cmd_report(3, args), 3);
    struct qvr_render_opts o = {.no_plots = 1, .quiet = 1, .recompute = 1};
    char err[512];
    T_CHECK(qvr_render(d, &o, err, sizeof(err)) < 0);
    T_CHECK_MSG(strstr(err, "latency.hlog line ") != NULL, "%s", err);

    /* Without latency.hlog, report cannot recompute: exit 3 naming it. */
    unlink(p);
    T_EQ_INT(qvr_cmd_report(3, args), 3);
    T_CHECK(qvr_render(d, &o, err, sizeof(err)) == QVR_ENOTFOUND);
    T_CHECK(strstr(err, "latency.hlog") != NULL);
    /* ... while the end of a run renders what there is. */
    o.recompute = 0;
    T_EQ_INT(qvr_render(d, &o, err, sizeof(err)), 0);

    write_text(d, "summary.json", "{\"schema\": \"qvrrun.summary/1\", ");
    T_EQ_INT(qvr_cmd_report(3, args), 3);
    T_CHECK(qvr_render(d, &o, err, sizeof(err)) == QVR_EINVAL);
    T_CHECK(strstr(err, "summary.json") != NULL);
    write_text(d, "summary.json", "{\"totals\": {}}");
    write_text(d, "timeseries.csv", "time_s,requests\n1.0,abc\n");
    T_CHECK(qvr_render(d, &o, err, sizeof(err)) == QVR_EINVAL);
    T_CHECK_MSG(strstr(err, "timeseries.csv line 2") != NULL, "%s", err);
}

static void test_no_gnuplot(void)
{
    char d[512];
    path_of(d, sizeof(d), "nognuplot", NULL);
    make_fixture(d, 1, NULL);
    setenv("QVR_GNUPLOT", "/nonexistent/gnuplot", 1);
    struct qvr_render_opts o = {.quiet = 1};
    char err[512];
    T_EQ_INT(qvr_render(d, &o, err, sizeof(err)), 0);
    unsetenv("QVR_GNUPLOT");
    T_CHECK(exists(d, "plot-latency.dat") && exists(d, "plot-steps.dat") &&
            exists(d, "plot-throughput.dat") &&
            exists(d, "plot-distribution.dat"));
    T_CHECK(!exists(d, "latency.png") && !exists(d, "steps.png"));
}

/* A run of n windows of 1 s, 20 requests each, totals only: more windows
 * than a chart shows, so the charts draw merged groups. */
static void make_long(const char *dir, int n, struct qvr_hist **groups, int k)
{
    char path[1024];
    mkdir(dir, 0755);
    snprintf(path, sizeof(path), "%s/latency.hlog", dir);
    FILE *hl = fopen(path, "w");
    snprintf(path, sizeof(path), "%s/timeseries.csv", dir);
    FILE *ts = fopen(path, "w");
    T_CHECK(hl && ts);
    fprintf(hl, "#[StartTime: 1700000000.000 (seconds since epoch), x]\n"
                "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\","
                "\"Interval_Compressed_Histogram\"\n");
    fprintf(ts, "time_s,wall_s,users,requests,failures,rps,p50_ms,p90_ms,"
                "p99_ms,max_ms\n");
    struct qvr_hist *w = qvr_hist_new(), *all = qvr_hist_new();
    for (int i = 0; i < n; i++) {
        qvr_hist_reset(w);
        for (int j = 0; j < 20; j++)
            qvr_hist_record(w, 1000 + (uint64_t)((i * 37 + j * 911) % 50000) +
                                   (uint64_t)i * 40);
        qvr_hist_add(groups[i / k], w);
        qvr_hist_add(all, w);
        char *enc = NULL;
        qvr_hist_encode(w, &enc);
        fprintf(hl, "%d.000,1.000,%.3f,%s\n", i, msv(w->max), enc);
        free(enc);
        fprintf(ts, "%d.000,%d.000,4,20,0,20.000,%.3f,%.3f,%.3f,%.3f\n", i + 1,
                1700000001 + i, msv(qvr_hist_value_at(w, 50)),
                msv(qvr_hist_value_at(w, 90)), msv(qvr_hist_value_at(w, 99)),
                msv(w->max));
    }
    fclose(hl);
    fclose(ts);
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "scenario", "long");
    cJSON_AddNumberToObject(root, "duration_s", n);
    cJSON_AddItemToObject(root, "totals",
                          stat_obj(all, all->total, 0, 0, 0, n));
    char *js = cJSON_Print(root);
    write_text(dir, "summary.json", js);
    free(js);
    cJSON_Delete(root);
    qvr_hist_free(w);
    qvr_hist_free(all);
}

static void test_grouped(void)
{
    enum { N = 1000, K = 3, G = (N + K - 1) / K };
    static struct qvr_hist *groups[G];
    static double rows[G + 8][8];
    char d[512], p[1024];
    for (int g = 0; g < G; g++)
        groups[g] = qvr_hist_new();
    path_of(d, sizeof(d), "long", NULL);
    make_long(d, N, groups, K);
    struct qvr_render_opts o = {.quiet = 1};
    char err[512];
    T_CHECK_MSG(qvr_render(d, &o, err, sizeof(err)) == 0, "%s", err);
    /* Every window is still in plot-latency.dat ... */
    snprintf(p, sizeof(p), "%s/plot-latency.dat", d);
    static double all[N + 8][8];
    T_EQ_INT(dat_rows(p, all, N + 8), N);
    /* ... and the chart draws 1000 / 400 -> groups of 3 windows, each with
     * the percentiles of the 3 windows' merged histogram. */
    snprintf(p, sizeof(p), "%s/plot-latency-grouped.dat", d);
    T_EQ_INT(dat_rows(p, rows, G + 8), G);
    int bad = 0;
    for (int g = 0; g < G; g++) {
        bad += rows[g][0] != (g == G - 1 ? N : (g + 1) * K);
        bad += rows[g][1] != msv(qvr_hist_value_at(groups[g], 50));
        bad += rows[g][3] != msv(qvr_hist_value_at(groups[g], 99));
        bad += rows[g][4] != msv(groups[g]->max);
        bad += rows[g][6] != (g == G - 1 ? 0 : 1); /* 1 window: short */
    }
    T_EQ_INT(bad, 0);
    /* P99 grows 40 us a window: the drawn trend rises. */
    T_CHECK(rows[G - 2][5] > rows[0][5]);
    snprintf(p, sizeof(p), "%s/plot-throughput-grouped.dat", d);
    T_EQ_INT(dat_rows(p, rows, G + 8), G);
    T_NEAR(rows[0][1], 20.0, 1e-9);
    T_NEAR(rows[0][3], 4, 1e-9);
    /* The title gives the groups' trend and, once summary.json says where
     * the steady phase starts, the p99_trend threshold's own through the
     * windows (P99 up 40 us a window: a rise, with its half-width). */
    char *txt;
    snprintf(p, sizeof(p), "%s/plot-latency-grouped.dat", d);
    txt = read_text(p);
    T_CHECK(txt && strstr(txt, "# the chart's title: P99 trend over ") &&
            !strstr(txt, "p99_trend through"));
    free(txt);
    cJSON *root = get_summary(d);
    if (root) {
        cJSON_AddNumberToObject(root, "steady_from_s", 0);
        put_summary(d, root);
    }
    T_CHECK_MSG(qvr_render(d, &o, err, sizeof(err)) == 0, "%s", err);
    txt = read_text(p);
    const char *at = txt ? strstr(txt, "; p99_trend through ") : NULL;
    int nw = 0;
    double chg = NAN, hw = NAN;
    T_CHECK_MSG(at &&
                    sscanf(at, "; p99_trend through %d windows: %lf%% +-%lf%%",
                           &nw, &chg, &hw) == 3,
                "%s", txt ? txt : "");
    T_EQ_INT(nw, N); /* every window is full: only the last group is short */
    T_CHECK(chg > 0 && hw >= 0 && hw < chg);
    free(txt);
    if (have_gnuplot())
        check_png(d, "latency.png");
    for (int g = 0; g < G; g++)
        qvr_hist_free(groups[g]);
}

/* ---- compare ---- */

static void write_summary(const char *dir, double rps, double p50, double p90,
                          double p99, double er, double few_p99)
{
    char js[1024];
    mkdir(dir, 0755);
    snprintf(js, sizeof(js),
             "{\"schema\": \"qvrrun.summary/1\", \"scenario\": \"cmp\", "
             "\"duration_s\": 10, \"totals\": {\"requests\": 1000, "
             "\"rps\": %g, \"error_rate\": %g, \"latency_ms\": {\"p50\": %g, "
             "\"p90\": %g, \"p99\": %g}}, \"names\": {\"few\": "
             "{\"requests\": 5, \"rps\": 0.5, \"error_rate\": 0, "
             "\"latency_ms\": {\"p50\": 1, \"p90\": 1, \"p99\": %g}}}}",
             rps, er, p50, p90, p99, few_p99);
    write_text(dir, "summary.json", js);
}

static void test_compare(void)
{
    static const struct {
        double rps, p50, p90, p99, er;
        int regressions; /* with 10% and 1pp */
        const char *what;
    } cases[] = {
        {100, 10, 20, 50, 0.010, 0, "identical"},
        {91, 10.9, 20, 54.9, 0.010, 0, "inside 10% everywhere"},
        {89, 10, 20, 50, 0.010, 1, "rps 11% lower"},
        {120, 8, 20, 40, 0.000, 0, "better everywhere"},
        {100, 11.5, 20, 50, 0.010, 1, "p50 15% higher"},
        {100, 10, 20, 56, 0.010, 1, "p99 12% higher"},
        {100, 10, 200, 50, 0.010, 0, "p90 is shown, not judged"},
        {100, 10, 20, 50, 0.021, 1, "error rate +1.1pp"},
        {100, 10, 20, 50, 0.019, 0, "error rate +0.9pp"},
        {80, 20, 20, 100, 0.5, 4, "worse on all four"},
    };
    char base[512], nw[512];
    path_of(base, sizeof(base), "cmp-base", NULL);
    path_of(nw, sizeof(nw), "cmp-new", NULL);
    write_summary(base, 100, 10, 20, 50, 0.010, 1);
    struct qvr_compare_opts o = {.tolerance = 0.10, .error_pp = 1.0};
    FILE *devnull = fopen("/dev/null", "w");
    /* qvr_cmd_compare prints its table on stdout: keep the log short. */
    fflush(stdout);
    int saved = dup(1);
    dup2(fileno(devnull), 1);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char err[256];
        /* The name with 5 requests gets 100x worse: never judged. */
        write_summary(nw, cases[i].rps, cases[i].p50, cases[i].p90,
                      cases[i].p99, cases[i].er, 100);
        int n = qvr_compare_dirs(base, nw, &o, devnull, err, sizeof(err));
        T_CHECK_MSG(n == cases[i].regressions, "%s: %d regressions, want %d",
                    cases[i].what, n, cases[i].regressions);
        char *argv[] = {base, nw};
        T_EQ_INT(qvr_cmd_compare(2, argv), cases[i].regressions ? 99 : 0);
    }
    /* A wider tolerance forgives the 11% drop; flags are checked. */
    write_summary(nw, 89, 10, 20, 50, 0.010, 1);
    char *wide[] = {base, nw, (char *)"--tolerance", (char *)"15%"};
    T_EQ_INT(qvr_cmd_compare(4, wide), 0);
    char *pp[] = {base,
                  nw,
                  (char *)"--error-tolerance",
                  (char *)"0.5pp",
                  (char *)"--tolerance",
                  (char *)"20"};
    T_EQ_INT(qvr_cmd_compare(6, pp), 0);
    char *badtol[] = {base, nw, (char *)"--tolerance", (char *)"lots"};
    T_EQ_INT(qvr_cmd_compare(4, badtol), 2);
    char *one[] = {base};
    T_EQ_INT(qvr_cmd_compare(1, one), 2);
    char *missing[] = {base, (char *)"/nonexistent/qvr-new"};
    T_EQ_INT(qvr_cmd_compare(2, missing), 2);
    write_text(nw, "summary.json", "[1, 2");
    char *corrupt[] = {base, nw};
    T_EQ_INT(qvr_cmd_compare(2, corrupt), 3);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);

    /* The table names the regression. */
    write_summary(nw, 100, 10, 20, 56, 0.010, 1);
    char out[512];
    path_of(out, sizeof(out), "cmp.txt", NULL);
    FILE *f = fopen(out, "w");
    char err[256];
    T_EQ_INT(qvr_compare_dirs(base, nw, &o, f, err, sizeof(err)), 1);
    fclose(f);
    char *txt = read_text(out);
    T_CHECK(txt && strstr(txt, "+12.0%  WORSE") &&
            strstr(txt, "(1 regression: TOTAL p99 +12.0%)"));
    free(txt);
    fclose(devnull);
}

static void rm_rf(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

int main(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(tmproot, sizeof(tmproot), "%s/qvr-render.XXXXXX",
             tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(tmproot)) {
        perror("mkdtemp");
        return 1;
    }
    /* Templates from the source tree (ctest runs in it). */
    char cwd[400], plots[512];
    if (getcwd(cwd, sizeof(cwd))) {
        snprintf(plots, sizeof(plots), "%s/plots", cwd);
        if (access(plots, F_OK) == 0)
            setenv("QVR_PLOTS_DIR", plots, 1);
    }

    test_fmt();

    struct truth t;
    char d[512], pre[512], ju[512];
    path_of(d, sizeof(d), "full", NULL);
    make_fixture(d, 1, &t);
    path_of(pre, sizeof(pre), "full", "loc");
    path_of(ju, sizeof(ju), "full", "junit.xml");
    struct qvr_render_opts o = {
        .csv_prefix = pre, .junit_file = ju, .quiet = 1};
    char err[512] = "";
    T_CHECK_MSG(qvr_render(d, &o, err, sizeof(err)) == 0, "%s", err);
    test_locust(&t, d);
    test_junit(ju);
    test_plot_data(&t, d);
    test_plot_gate_trend(&t, d, 6);
    test_plot_gate_trend(&t, d, 3);
    if (have_gnuplot()) {
        check_png(d, "latency.png");
        check_png(d, "throughput.png");
        check_png(d, "distribution.png");
        check_png(d, "steps.png");
    } else {
        printf("gnuplot not installed: PNG checks not run\n");
    }
    truth_free(&t);

    test_recompute();
    test_errors();
    test_no_gnuplot();
    test_grouped();
    test_compare();

    if (!getenv("QVR_KEEP_TMP"))
        rm_rf(tmproot);
    else
        printf("kept %s\n", tmproot);
    return T_DONE();
}
