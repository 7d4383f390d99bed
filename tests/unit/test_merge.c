/* test_merge.c -- `qvrrun merge` on segment directories built here.
 *
 * Each segment is written the way a run writes one (summary.json with the
 * writer's keys and V2 histograms, timeseries.csv, latency.hlog) from
 * latencies this test draws and keeps, so every merged figure is checked
 * against numbers computed from the raw values, not by the code under
 * test: counts summed, percentiles within histogram precision (0.1%) of
 * the exact ones, windows of segments started 0.5 s apart aligned on the
 * wall clock, thresholds re-evaluated on the whole, steps merged, and every
 * kind of mismatch refused with the directory named. */
#include <cjson/cJSON.h>
#include <ftw.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "gate.h"
#include "hist.h"
#include "merge.h"
#include "qvr.h"
#include "render.h"
#include "t.h"

#define NSEG 3
#define NWIN 6        /* windows of 1 s per segment (a trend needs 5) */
#define NB (NWIN + 1) /* merged windows: segment 2 starts 0.5 s late */
#define TAIL_S 0.02   /* segment 2 ends with a drain window this long */
#define SPAN (NWIN + 0.5 + TAIL_S)
#define MAXV 4096
#define T0 1795500000.0

enum { ALPHA, BETA, NNAME };
static const char *const names[NNAME] = {"alpha", "beta"};

/* Everything the fixture recorded, for the checks. */
struct truth {
    uint64_t all[MAXV];
    int nall;
    uint64_t name_v[NNAME][MAXV];
    int nname[NNAME];
    uint64_t bucket_v[NB][MAXV];
    int nbucket[NB];
    uint64_t bucket_fail[NB];
    int seg_users[NSEG + 1][NB]; /* users of a segment's last window in
                                    a merged window, -1: none */
    uint64_t fail, fail_beta;
};

static struct truth tr;
static uint64_t rng_state = 42;
static char root[256];

static double rnd(void)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(rng_state >> 11) / 9007199254740992.0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* The exact percentile of v[0..n): the smallest value with at least p% of
 * the values at or below it (HdrHistogram's definition), in ms. */
static double exact_pct(uint64_t *v, int n, double p)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_u64);
    double x = p / 100.0 * n;
    long rank = (long)ceil(x - 1e-9);
    if (rank < 1)
        rank = 1;
    return (double)v[rank - 1] / 1000.0;
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

static cJSON *read_json(const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    char *s = read_text(path);
    cJSON *j = s ? cJSON_Parse(s) : NULL;
    free(s);
    return j;
}

static void write_json(const char *dir, const char *name, cJSON *j)
{
    char *s = cJSON_Print(j);
    write_text(dir, name, s);
    free(s);
}

/* One statistic of a segment as the run writes it. */
struct fstat {
    struct qvr_hist *h, *svc, *ttfb;
    uint64_t fail, checks_ok, checks_fail;
};

static void fstat_init(struct fstat *s)
{
    memset(s, 0, sizeof(*s));
    s->h = qvr_hist_new();
    s->svc = qvr_hist_new();
    s->ttfb = qvr_hist_new();
}

static void fstat_fini(struct fstat *s)
{
    qvr_hist_free(s->h);
    qvr_hist_free(s->svc);
    qvr_hist_free(s->ttfb);
}

static void add_hist(cJSON *o, const char *key, const struct qvr_hist *h)
{
    char *enc = NULL;
    T_EQ_INT(qvr_hist_encode(h, &enc), 0);
    cJSON_AddStringToObject(o, key, enc ? enc : "");
    free(enc);
}

static double ms(uint64_t us)
{
    return (double)us / 1000.0;
}

/* with_ttfb: also the time-to-first-byte histogram (a run may add it). */
static cJSON *stat_json(const struct fstat *s, double elapsed, int with_ttfb)
{
    const struct qvr_hist *h = s->h;
    cJSON *o = cJSON_CreateObject();
    uint64_t n = h->total;
    cJSON_AddStringToObject(o, "method", "POST");
    cJSON_AddNumberToObject(o, "requests", (double)n);
    cJSON_AddNumberToObject(o, "failures", (double)s->fail);
    cJSON_AddNumberToObject(o, "rps", n / elapsed);
    cJSON_AddNumberToObject(o, "error_rate", n ? (double)s->fail / n : 0);
    cJSON_AddNumberToObject(o, "good", (double)(n - s->fail));
    cJSON *l = cJSON_AddObjectToObject(o, "latency_ms");
    cJSON_AddNumberToObject(l, "min", n ? ms(h->min) : 0);
    cJSON_AddNumberToObject(l, "mean",
                            n ? round(qvr_hist_mean(h)) / 1000.0 : 0);
    cJSON_AddNumberToObject(l, "p50", ms(qvr_hist_value_at(h, 50)));
    cJSON_AddNumberToObject(l, "p90", ms(qvr_hist_value_at(h, 90)));
    cJSON_AddNumberToObject(l, "p95", ms(qvr_hist_value_at(h, 95)));
    cJSON_AddNumberToObject(l, "p99", ms(qvr_hist_value_at(h, 99)));
    cJSON_AddNumberToObject(l, "p99.9", ms(qvr_hist_value_at(h, 99.9)));
    cJSON_AddNumberToObject(l, "max", n ? ms(h->max) : 0);
    cJSON *sv = cJSON_AddObjectToObject(o, "service_ms");
    cJSON_AddNumberToObject(sv, "p50", ms(qvr_hist_value_at(s->svc, 50)));
    cJSON_AddNumberToObject(sv, "p99", ms(qvr_hist_value_at(s->svc, 99)));
    cJSON_AddNumberToObject(sv, "max", n ? ms(s->svc->max) : 0);
    cJSON *tt = cJSON_AddObjectToObject(o, "ttfb_ms");
    cJSON_AddNumberToObject(tt, "p50", ms(qvr_hist_value_at(s->ttfb, 50)));
    cJSON_AddNumberToObject(tt, "p99", ms(qvr_hist_value_at(s->ttfb, 99)));
    cJSON *cn = cJSON_AddObjectToObject(o, "connections_ms");
    cJSON_AddNumberToObject(cn, "connects", 4);
    cJSON_AddNumberToObject(cn, "connect_mean", 0.5);
    cJSON_AddNumberToObject(cn, "tls_handshakes", 0);
    cJSON_AddNumberToObject(cn, "tls_mean", 0);
    cJSON *fk = cJSON_AddObjectToObject(o, "failures_by_kind");
    if (s->fail)
        cJSON_AddNumberToObject(fk, "http_5xx", (double)s->fail);
    cJSON *st = cJSON_AddObjectToObject(o, "status");
    cJSON_AddNumberToObject(st, "200", (double)(n - s->fail));
    if (s->fail)
        cJSON_AddNumberToObject(st, "500", (double)s->fail);
    cJSON *by = cJSON_AddObjectToObject(o, "bytes");
    cJSON_AddNumberToObject(by, "received", (double)n * 100);
    cJSON_AddNumberToObject(by, "sent", (double)n * 300);
    cJSON *ck = cJSON_AddObjectToObject(o, "checks");
    cJSON_AddNumberToObject(ck, "passed", (double)s->checks_ok);
    cJSON_AddNumberToObject(ck, "failed", (double)s->checks_fail);
    add_hist(o, "histogram_us", h);
    add_hist(o, "service_histogram_us", s->svc);
    if (with_ttfb)
        add_hist(o, "ttfb_histogram_us", s->ttfb);
    return o;
}

/* How a fixture segment differs from a good one. */
struct variant {
    const char *scenario; /* NULL: "fixture" */
    int users;            /* config.load.count; 0: 12 */
    int no_segment;       /* no "segment" key */
    int steps;            /* write two steps; 2: the second without a
                             histogram in this segment */
};

static cJSON *config_json(const struct variant *v)
{
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "file", "/somewhere/fixture.lua");
    cJSON *l = cJSON_AddObjectToObject(c, "load");
    cJSON_AddStringToObject(l, "shape", "users");
    cJSON_AddNumberToObject(l, "count", v->users ? v->users : 12);
    cJSON_AddNumberToObject(l, "spawn_rate", 0);
    cJSON_AddNumberToObject(l, "duration_s", NWIN);
    cJSON_AddNumberToObject(c, "timeout_ms", 60000);
    cJSON_AddNumberToObject(c, "window_s", 1);
    return c;
}

static const char *const thresholds[] = {
    "p99 < 4s",     "error_rate < 5%", "p50{name=alpha} < 1s",
    "rps > 100",    "p99[1s] < 3s",    "rps_trend > -10%",
    "checks > 90%", "max < 5s",        "mean{task=work} < 2s"};
#define NTH ((int)(sizeof(thresholds) / sizeof(thresholds[0])))

/* Draws one latency (us) of a name. */
static uint64_t draw(int name, int outlier)
{
    if (outlier)
        return 4000000 + (uint64_t)(rnd() * 500000);
    if (name == ALPHA)
        return 20000 + (uint64_t)(rnd() * 180000);
    return 1000000 + (uint64_t)(rnd() * 2000000);
}

/* Writes segment k (1-based) of NSEG into dir, starting at start (Unix s).
 * record: keep its values in the truth (bucket = window + shift). */
static void make_seg(const char *dir, int k, double start, int shift,
                     const struct variant *v, int record)
{
    struct fstat tot, nm[NNAME], task;
    struct qvr_hist *win[NNAME + 1];
    uint64_t winmax[NNAME + 1];
    char line[1024];
    mkdir(dir, 0755);
    fstat_init(&tot);
    fstat_init(&task);
    for (int i = 0; i < NNAME; i++)
        fstat_init(&nm[i]);
    for (int i = 0; i <= NNAME; i++)
        win[i] = qvr_hist_new();
    FILE *hl = NULL, *ts = NULL;
    snprintf(line, sizeof(line), "%s/latency.hlog", dir);
    hl = fopen(line, "w");
    snprintf(line, sizeof(line), "%s/timeseries.csv", dir);
    ts = fopen(line, "w");
    T_CHECK(hl && ts);
    if (!hl || !ts)
        return;
    fprintf(hl,
            "#[Histogram log format version 1.3]\n"
            "#[StartTime: %.3f (seconds since epoch), fixture]\n"
            "#[MaxValueDivisor: 1000.0]\n"
            "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\","
            "\"Interval_Compressed_Histogram\"\n",
            start);
    fprintf(ts, "time_s,wall_s,users,requests,failures,rps,p50_ms,p90_ms,"
                "p99_ms,max_ms\n");
    /* segment 2 ends with a short drain window, [4, 4.02) of its own
     * clock, which shares merged window 4 with its last full one */
    for (int w = 0; w < NWIN + (k == 2); w++) {
        int tail = w == NWIN;
        int users = tail ? k : k * (w + 1);
        int b = tail ? NB - 1 : w + shift;
        uint64_t wreq = 0, wfail = 0;
        memset(winmax, 0, sizeof(winmax));
        for (int i = 0; i <= NNAME; i++)
            qvr_hist_reset(win[i]);
        int n[NNAME] = {tail ? 5 : 60 + 10 * k, tail ? 0 : 20};
        int outliers = (k == 2 && w == NWIN - 1) ? 12 : 0;
        for (int name = 0; name < NNAME; name++) {
            int total = n[name] + (name == BETA ? outliers : 0);
            for (int j = 0; j < total; j++) {
                uint64_t val = draw(name, j >= n[name]);
                int failed = name == BETA && j % 7 == 3;
                qvr_hist_record(tot.h, val);
                qvr_hist_record(tot.svc, val / 2);
                qvr_hist_record(nm[name].h, val);
                qvr_hist_record(nm[name].svc, val / 2);
                qvr_hist_record(nm[name].ttfb, val / 4);
                qvr_hist_record(tot.ttfb, val / 4);
                qvr_hist_record(task.h, val);
                qvr_hist_record(task.svc, val / 2);
                qvr_hist_record(win[NNAME], val);
                qvr_hist_record(win[name], val);
                if (val > winmax[name])
                    winmax[name] = val;
                if (val > winmax[NNAME])
                    winmax[NNAME] = val;
                tot.fail += failed;
                nm[name].fail += failed;
                task.fail += failed;
                tot.checks_ok += !failed;
                tot.checks_fail += failed;
                task.checks_ok += !failed;
                task.checks_fail += failed;
                wreq++;
                wfail += failed;
                if (record) {
                    tr.all[tr.nall++] = val;
                    tr.name_v[name][tr.nname[name]++] = val;
                    tr.bucket_v[b][tr.nbucket[b]++] = val;
                    tr.bucket_fail[b] += failed;
                    tr.fail += failed;
                    tr.fail_beta += failed && name == BETA;
                }
            }
        }
        if (record)
            tr.seg_users[k][b] = users;
        for (int i = NNAME; i >= 0; i--) {
            char *enc = NULL;
            qvr_hist_encode(win[i], &enc);
            if (i < NNAME)
                fprintf(hl, "Tag=name:%s,", names[i]);
            fprintf(hl, "%.3f,%.3f,%.3f,%s\n", (double)w, tail ? TAIL_S : 1.0,
                    winmax[i] / 1000.0, enc);
            free(enc);
        }
        double end = tail ? w + TAIL_S : w + 1;
        fprintf(ts, "%.3f,%.3f,%d,%llu,%llu,%.3f,%.3f,%.3f,%.3f,%.3f\n", end,
                start + end, users, (unsigned long long)wreq,
                (unsigned long long)wfail, wreq / (end - floor(end - 1e-9)),
                ms(qvr_hist_value_at(win[NNAME], 50)),
                ms(qvr_hist_value_at(win[NNAME], 90)),
                ms(qvr_hist_value_at(win[NNAME], 99)), winmax[NNAME] / 1e3);
    }
    fclose(hl);
    fclose(ts);

    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "schema", "qvrrun.summary/1");
    cJSON_AddStringToObject(r, "scenario",
                            v->scenario ? v->scenario : "fixture");
    cJSON_AddNumberToObject(r, "exit_code", 0);
    cJSON_AddBoolToObject(r, "interrupted", 0);
    cJSON *tg = cJSON_AddObjectToObject(r, "target");
    cJSON_AddStringToObject(tg, "url", "http://127.0.0.1:1");
    cJSON_AddStringToObject(tg, "kind", "http");
    cJSON_AddNumberToObject(r, "started", start);
    cJSON_AddNumberToObject(r, "duration_s", NWIN);
    cJSON_AddNumberToObject(r, "max_users", k * NWIN);
    if (!v->no_segment) {
        cJSON *sg = cJSON_AddObjectToObject(r, "segment");
        cJSON_AddNumberToObject(sg, "index", k);
        cJSON_AddNumberToObject(sg, "count", NSEG);
    }
    cJSON_AddItemToObject(r, "config", config_json(v));
    cJSON *t = stat_json(&tot, NWIN, 0);
    cJSON_AddNumberToObject(t, "iterations", (double)tot.h->total);
    cJSON_AddNumberToObject(t, "script_errors", 1);
    cJSON_AddNumberToObject(t, "cancelled", 0);
    cJSON_AddItemToObject(r, "totals", t);
    cJSON *nms = cJSON_AddObjectToObject(r, "names");
    /* segment 3 lists its names the other way round */
    for (int i = 0; i < NNAME; i++) {
        int j = k == 3 ? NNAME - 1 - i : i;
        cJSON_AddItemToObject(nms, names[j],
                              stat_json(&nm[j], NWIN, j == ALPHA));
    }
    cJSON *tasks = cJSON_AddObjectToObject(r, "tasks");
    cJSON_AddItemToObject(tasks, "work", stat_json(&task, NWIN, 0));
    cJSON *ck = cJSON_AddArrayToObject(r, "checks");
    cJSON *c1 = cJSON_CreateObject();
    cJSON_AddStringToObject(c1, "name", "status 200");
    cJSON_AddNumberToObject(c1, "passed", (double)tot.checks_ok);
    cJSON_AddNumberToObject(c1, "failed", (double)tot.checks_fail);
    cJSON_AddItemToArray(ck, c1);
    cJSON *er = cJSON_AddArrayToObject(r, "errors");
    cJSON *e1 = cJSON_CreateObject();
    cJSON_AddStringToObject(e1, "message", k == 1 ? "only in one" : "boom");
    cJSON_AddNumberToObject(e1, "count", k);
    cJSON_AddItemToArray(er, e1);
    cJSON *th = cJSON_AddArrayToObject(r, "thresholds");
    for (int i = 0; i < NTH; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "expr", thresholds[i]);
        cJSON_AddNumberToObject(o, "value", 0);
        cJSON_AddBoolToObject(o, "ok", 1);
        cJSON_AddItemToArray(th, o);
    }
    if (v->steps) {
        /* two steps: 2k users then 4k users, k = the segment */
        cJSON *st = cJSON_AddArrayToObject(r, "steps");
        for (int i = 0; i < 2; i++) {
            struct qvr_hist *h = qvr_hist_new();
            int nreq = 50 * (i + 1) * k;
            for (int j = 0; j < nreq; j++) {
                uint64_t val = 1000 * (uint64_t)(10 + (j * 7 + k) % 90) *
                               (uint64_t)(i + 1);
                qvr_hist_record(h, val);
            }
            cJSON *o = cJSON_CreateObject();
            cJSON_AddNumberToObject(o, "step", i + 1);
            cJSON_AddNumberToObject(o, "users", 2 * k * (i + 1));
            cJSON_AddNumberToObject(o, "duration_s", 2);
            cJSON_AddNumberToObject(o, "achieved_users", 2 * k * (i + 1));
            cJSON_AddNumberToObject(o, "achieved_rate", 0);
            cJSON_AddNumberToObject(o, "requests", nreq);
            cJSON_AddNumberToObject(o, "failures", i);
            cJSON_AddNumberToObject(o, "refused", 0);
            cJSON_AddNumberToObject(o, "late", 0);
            cJSON_AddNumberToObject(o, "dropped", 0);
            cJSON_AddNumberToObject(o, "rps", nreq / 2.0);
            cJSON *l = cJSON_AddObjectToObject(o, "latency_ms");
            cJSON_AddNumberToObject(l, "p50", ms(qvr_hist_value_at(h, 50)));
            cJSON_AddNumberToObject(l, "p90", ms(qvr_hist_value_at(h, 90)));
            cJSON_AddNumberToObject(l, "p95", ms(qvr_hist_value_at(h, 95)));
            cJSON_AddNumberToObject(l, "p99", ms(qvr_hist_value_at(h, 99)));
            cJSON_AddNumberToObject(l, "max", ms(h->max));
            cJSON_AddNumberToObject(o, "error_rate", (double)i / nreq);
            if (!(v->steps == 2 && i == 1))
                add_hist(o, "histogram_us", h);
            cJSON_AddItemToArray(st, o);
            qvr_hist_free(h);
        }
    }
    cJSON *fd = cJSON_AddArrayToObject(r, "findings");
    if (k == 2) {
        cJSON_AddItemToArray(fd, cJSON_CreateString("a finding of two"));
        cJSON_AddItemToArray(fd, cJSON_CreateString("knee at step 1 (0 "
                                                    "users): it breaks"));
    }
    write_json(dir, "summary.json", r);
    cJSON_Delete(r);
    fstat_fini(&tot);
    fstat_fini(&task);
    for (int i = 0; i < NNAME; i++)
        fstat_fini(&nm[i]);
    for (int i = 0; i <= NNAME; i++)
        qvr_hist_free(win[i]);
}

static double jnum(const cJSON *o, const char *path)
{
    char buf[256], *save = NULL;
    snprintf(buf, sizeof(buf), "%s", path);
    const cJSON *c = o;
    for (char *k = strtok_r(buf, "/", &save); k && c;
         k = strtok_r(NULL, "/", &save))
        c = cJSON_GetObjectItemCaseSensitive(c, k);
    return cJSON_IsNumber(c) ? c->valuedouble : NAN;
}

static int rm_entry(const char *path, const struct stat *sb, int flag,
                    struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int merge_into(const char *out, const char *const *dirs, int n,
                      char *err, size_t errlen)
{
    struct qvr_render_opts ro;
    memset(&ro, 0, sizeof(ro));
    ro.no_plots = 1;
    ro.quiet = 1;
    return qvr_merge_dirs(out, dirs, n, &ro, NULL, err, errlen);
}

/* Percentile p (ms) of the merged figure got is the exact one within the
 * histogram's precision and the JSON's microsecond rounding. */
static void check_pct(double got, uint64_t *v, int n, double p,
                      const char *what)
{
    double want = exact_pct(v, n, p);
    T_CHECK_MSG(fabs(got - want) <= want * 0.001 + 0.0005,
                "%s p%g: merged %.3f, exact %.3f", what, p, got, want);
}

static void test_merge_good(void)
{
    char d[NSEG][300], out[300], err[512];
    const char *dirs[NSEG];
    struct variant v;
    memset(&v, 0, sizeof(v));
    /* segment 2 starts 0.5 s after the others; 3 is 2 ms late */
    static const double offs[NSEG] = {0, 0.5, 0.002};
    for (int k = 0; k < NSEG; k++) {
        snprintf(d[k], sizeof(d[k]), "%s/seg-%d", root, k + 1);
        make_seg(d[k], k + 1, T0 + offs[k], k == 1, &v, 1);
    }
    /* given out of order: the merge sorts by segment index */
    dirs[0] = d[2];
    dirs[1] = d[0];
    dirs[2] = d[1];
    snprintf(out, sizeof(out), "%s/merged/deep", root);
    int rc = merge_into(out, dirs, NSEG, err, sizeof(err));
    /* only p99[1s] < 3s fails: segment 2's outliers fill the last window */
    T_CHECK_MSG(rc == 1, "rc %d: %s", rc, err);

    cJSON *s = read_json(out, "summary.json");
    T_CHECK(s != NULL);
    if (!s)
        return;
    T_EQ_INT(jnum(s, "totals/requests"), tr.nall);
    T_EQ_INT(jnum(s, "totals/failures"), tr.fail);
    T_EQ_INT(jnum(s, "totals/failures_by_kind/http_5xx"), tr.fail);
    T_EQ_INT(jnum(s, "totals/status/200"), tr.nall - tr.fail);
    T_EQ_INT(jnum(s, "totals/status/500"), tr.fail);
    T_EQ_INT(jnum(s, "totals/bytes/received"), tr.nall * 100);
    T_EQ_INT(jnum(s, "totals/iterations"), tr.nall);
    T_EQ_INT(jnum(s, "totals/script_errors"), NSEG);
    T_EQ_INT(jnum(s, "totals/connections_ms/connects"), 4 * NSEG);
    T_NEAR(jnum(s, "totals/connections_ms/connect_mean"), 0.5, 1e-9);
    T_EQ_INT(jnum(s, "exit_code"), 99);
    T_NEAR(jnum(s, "started"), T0, 1e-6);
    T_NEAR(jnum(s, "duration_s"), SPAN, 1e-6);
    int users[NB], max_users = 0;
    for (int b = 0; b < NB; b++) {
        users[b] = 0;
        for (int k = 1; k <= NSEG; k++)
            users[b] += tr.seg_users[k][b] > 0 ? tr.seg_users[k][b] : 0;
        if (users[b] > max_users)
            max_users = users[b];
    }
    T_EQ_INT(jnum(s, "max_users"), max_users);
    T_CHECK(cJSON_GetObjectItemCaseSensitive(s, "segment") == NULL);
    T_EQ_INT(
        cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(s, "segments")),
        NSEG);

    uint64_t *all = tr.all;
    check_pct(jnum(s, "totals/latency_ms/p50"), all, tr.nall, 50, "total");
    check_pct(jnum(s, "totals/latency_ms/p90"), all, tr.nall, 90, "total");
    check_pct(jnum(s, "totals/latency_ms/p99"), all, tr.nall, 99, "total");
    check_pct(jnum(s, "totals/latency_ms/p99.9"), all, tr.nall, 99.9, "total");
    qsort(all, (size_t)tr.nall, sizeof(*all), cmp_u64);
    T_NEAR(jnum(s, "totals/latency_ms/min"), all[0] / 1000.0, 1e-9);
    T_NEAR(jnum(s, "totals/latency_ms/max"), all[tr.nall - 1] / 1000.0, 1e-9);
    double sum = 0;
    for (int i = 0; i < tr.nall; i++)
        sum += (double)all[i];
    T_NEAR(jnum(s, "totals/latency_ms/mean"), sum / tr.nall / 1000.0, 0.001);
    T_NEAR(jnum(s, "totals/rps"), tr.nall / SPAN, 0.001);
    T_NEAR(jnum(s, "totals/error_rate"), (double)tr.fail / tr.nall, 1e-12);
    /* every name, whatever order each segment listed them in */
    for (int i = 0; i < NNAME; i++) {
        char key[64];
        snprintf(key, sizeof(key), "names/%s/requests", names[i]);
        T_EQ_INT(jnum(s, key), tr.nname[i]);
        snprintf(key, sizeof(key), "names/%s/latency_ms/p50", names[i]);
        check_pct(jnum(s, key), tr.name_v[i], tr.nname[i], 50, names[i]);
        snprintf(key, sizeof(key), "names/%s/latency_ms/p99", names[i]);
        check_pct(jnum(s, key), tr.name_v[i], tr.nname[i], 99, names[i]);
    }
    T_EQ_INT(jnum(s, "names/beta/failures"), tr.fail_beta);
    /* TTFB: exact from alpha's histograms; for the totals (no histogram)
     * the worst segment's, an upper bound, marked */
    uint64_t quarter[MAXV];
    for (int i = 0; i < tr.nname[ALPHA]; i++)
        quarter[i] = tr.name_v[ALPHA][i] / 4;
    check_pct(jnum(s, "names/alpha/ttfb_ms/p99"), quarter, tr.nname[ALPHA], 99,
              "alpha ttfb");
    const cJSON *att = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(s, "names"), "alpha"),
        "ttfb_ms");
    T_CHECK(cJSON_GetObjectItemCaseSensitive(att, "exact") == NULL);
    for (int i = 0; i < tr.nall; i++)
        quarter[i] = tr.all[i] / 4;
    double ttfb99 = exact_pct(quarter, tr.nall, 99);
    T_CHECK(jnum(s, "totals/ttfb_ms/p99") >= ttfb99 * 0.999);
    const cJSON *ttt = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(s, "totals"), "ttfb_ms");
    T_CHECK(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(ttt, "exact")));
    T_EQ_INT(jnum(s, "tasks/work/requests"), tr.nall);
    T_EQ_INT(jnum(s, "tasks/work/checks/failed"), tr.fail);
    /* the merged histogram is the sum: decoding it gives every request */
    const cJSON *hs = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(s, "totals"), "histogram_us");
    struct qvr_hist *h = NULL;
    T_CHECK(cJSON_IsString(hs) &&
            qvr_hist_decode(hs->valuestring, strlen(hs->valuestring), &h) == 0);
    T_EQ_INT(h ? h->total : 0, tr.nall);
    qvr_hist_free(h);

    /* labelled lists merged by label */
    const cJSON *ck = cJSON_GetObjectItemCaseSensitive(s, "checks");
    T_EQ_INT(cJSON_GetArraySize(ck), 1);
    T_EQ_INT(jnum(cJSON_GetArrayItem(ck, 0), "failed"), tr.fail);
    const cJSON *er = cJSON_GetObjectItemCaseSensitive(s, "errors");
    T_EQ_INT(cJSON_GetArraySize(er), 2);
    for (int i = 0; i < cJSON_GetArraySize(er); i++) {
        const cJSON *e = cJSON_GetArrayItem(er, i);
        const cJSON *msg = cJSON_GetObjectItemCaseSensitive(e, "message");
        int boom = cJSON_IsString(msg) && strcmp(msg->valuestring, "boom") == 0;
        T_EQ_INT(jnum(e, "count"), boom ? 2 + 3 : 1);
    }

    /* thresholds on the whole run */
    const cJSON *th = cJSON_GetObjectItemCaseSensitive(s, "thresholds");
    T_EQ_INT(cJSON_GetArraySize(th), NTH);
    int nfail = 0;
    for (int i = 0; i < cJSON_GetArraySize(th); i++) {
        const cJSON *t = cJSON_GetArrayItem(th, i);
        const cJSON *ex = cJSON_GetObjectItemCaseSensitive(t, "expr");
        int ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "ok"));
        const char *e = cJSON_IsString(ex) ? ex->valuestring : "";
        nfail += cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(t, "ok"));
        if (strcmp(e, "p99 < 4s") == 0) {
            T_CHECK(ok);
            check_pct(jnum(t, "value_ms"), tr.all, tr.nall, 99, e);
        } else if (strcmp(e, "p99[1s] < 3s") == 0) {
            /* the worst window is merged window 4: segment 2's last */
            T_CHECK(!ok);
            check_pct(jnum(t, "value_ms"), tr.bucket_v[NB - 1],
                      tr.nbucket[NB - 1], 99, e);
        } else if (strcmp(e, "rps > 100") == 0) {
            T_CHECK(ok);
            T_NEAR(jnum(t, "value"), tr.nall / SPAN, 1e-3);
        } else if (strcmp(e, "p50{name=alpha} < 1s") == 0) {
            T_CHECK(ok);
            check_pct(jnum(t, "value_ms"), tr.name_v[ALPHA], tr.nname[ALPHA],
                      50, e);
        } else if (strcmp(e, "error_rate < 5%") == 0) {
            T_CHECK(ok);
            T_NEAR(jnum(t, "value"), (double)tr.fail / tr.nall, 1e-12);
        } else if (strcmp(e, "checks > 90%") == 0) {
            T_CHECK(ok);
            T_NEAR(jnum(t, "value"), 1.0 - (double)tr.fail / tr.nall, 1e-12);
        } else if (strcmp(e, "max < 5s") == 0) {
            T_CHECK(ok);
            T_NEAR(jnum(t, "value_ms"), all[tr.nall - 1] / 1000.0, 1e-9);
        } else if (strcmp(e, "mean{task=work} < 2s") == 0) {
            T_CHECK(ok);
            T_NEAR(jnum(t, "value_ms"), sum / tr.nall / 1000.0, 0.001);
        } else if (strcmp(e, "rps_trend > -10%") == 0) {
            /* least squares through the full windows 1..NWIN (the last
             * is about half a window): rps 2 segments, then 3 */
            double x[NWIN], y[NWIN], mx = 0, my = 0, sxx = 0, sxy = 0;
            for (int b = 0; b < NWIN; b++) {
                x[b] = b + 1;
                y[b] = tr.nbucket[b];
                mx += x[b] / NWIN;
                my += y[b] / NWIN;
            }
            for (int b = 0; b < NWIN; b++) {
                sxx += (x[b] - mx) * (x[b] - mx);
                sxy += (x[b] - mx) * (y[b] - my);
            }
            double first = my + sxy / sxx * (1 - mx);
            double last = my + sxy / sxx * (NWIN - mx);
            T_NEAR(jnum(t, "value"), (last - first) / first, 1e-3);
            /* judged, or n/a when 0 and -10% lie inside its 95% interval
             * (the half-width from gate.c's fit, checked by hand in
             * test_gate) */
            double a, b, half;
            T_EQ_INT(qvr_trend_fit(x, y, NWIN, &a, &b, &half), 0);
            double chg = (last - first) / first, noise = half / first;
            const cJSON *sk = cJSON_GetObjectItemCaseSensitive(t, "skipped");
            if (fabs(chg + 0.10) < noise && fabs(chg) < noise) {
                T_CHECK(
                    cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(t, "ok")));
                T_CHECK_MSG(cJSON_IsString(sk) &&
                                strncmp(sk->valuestring, "too noisy: ", 11) ==
                                    0,
                            "%s", cJSON_IsString(sk) ? sk->valuestring : "");
            } else {
                T_CHECK(ok && !sk);
            }
        } else {
            T_CHECK_MSG(0, "unexpected threshold %s", e);
        }
    }
    T_EQ_INT(nfail, 1);
    /* findings: the segment count, the failed threshold, carried ones */
    char *txt =
        cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(s, "findings"));
    T_CHECK(txt && strstr(txt, "merged from 3 segments"));
    T_CHECK(txt && strstr(txt, "threshold p99[1s] < 3s failed"));
    T_CHECK(txt && strstr(txt, "segment 2/3: a finding of two"));
    /* a part's knee is not the whole run's: not carried over */
    T_CHECK(txt && !strstr(txt, "knee at step 1 (0 users)"));
    free(txt);
    cJSON_Delete(s);

    /* timeseries.csv: windows aligned by wall clock */
    char path[400];
    snprintf(path, sizeof(path), "%s/timeseries.csv", out);
    char *ts = read_text(path), *save = NULL;
    T_CHECK(ts != NULL);
    int row = 0;
    for (char *l = ts ? strtok_r(ts, "\n", &save) : NULL; l;
         l = strtok_r(NULL, "\n", &save)) {
        double t, wall, rps, p50, p90, p99, mx;
        int wusers;
        unsigned long long req, fail;
        if (sscanf(l, "%lf,%lf,%d,%llu,%llu,%lf,%lf,%lf,%lf,%lf", &t, &wall,
                   &wusers, &req, &fail, &rps, &p50, &p90, &p99, &mx) != 10)
            continue;
        T_CHECK(row < NB);
        if (row >= NB)
            break;
        double end = row < NB - 1 ? row + 1 : SPAN;
        T_NEAR(t, end, 1e-9);
        T_NEAR(wall, T0 + end, 1e-6);
        T_EQ_INT(wusers, users[row]);
        T_EQ_INT(req, tr.nbucket[row]);
        T_EQ_INT(fail, tr.bucket_fail[row]);
        T_NEAR(rps, tr.nbucket[row] / (end - row), 0.001);
        check_pct(p50, tr.bucket_v[row], tr.nbucket[row], 50, "window");
        check_pct(p99, tr.bucket_v[row], tr.nbucket[row], 99, "window");
        qsort(tr.bucket_v[row], (size_t)tr.nbucket[row], sizeof(uint64_t),
              cmp_u64);
        T_NEAR(mx, tr.bucket_v[row][tr.nbucket[row] - 1] / 1000.0, 0.0005);
        row++;
    }
    T_EQ_INT(row, NB);
    free(ts);
    /* the first window has segments 1 and 3; the last only segment 2, whose
     * users there are those of its drain window */
    T_EQ_INT(users[0], 1 + 3);
    T_EQ_INT(users[NB - 1], 2);

    /* latency.hlog: one untagged line per merged window, adding up to
     * every request; name lines add up per name */
    snprintf(path, sizeof(path), "%s/latency.hlog", out);
    char *hl = read_text(path);
    T_CHECK(hl != NULL);
    uint64_t untagged = 0, beta = 0;
    int lines = 0;
    double start_time = 0;
    save = NULL;
    for (char *l = hl ? strtok_r(hl, "\n", &save) : NULL; l;
         l = strtok_r(NULL, "\n", &save)) {
        if (strncmp(l, "#[StartTime: ", 13) == 0)
            start_time = strtod(l + 13, NULL);
        if (l[0] == '#' || l[0] == '"')
            continue;
        int tagged = strncmp(l, "Tag=", 4) == 0;
        int is_beta = strncmp(l, "Tag=name:beta,", 14) == 0;
        char *enc = strrchr(l, ',') + 1;
        struct qvr_hist *x = NULL;
        T_EQ_INT(qvr_hist_decode(enc, strlen(enc), &x), 0);
        if (!x)
            continue;
        if (!tagged) {
            untagged += x->total;
            lines++;
        }
        if (is_beta)
            beta += x->total;
        qvr_hist_free(x);
    }
    free(hl);
    T_NEAR(start_time, T0, 1e-6);
    T_EQ_INT(lines, NB);
    T_EQ_INT(untagged, tr.nall);
    T_EQ_INT(beta, tr.nname[BETA]);

    /* a second merge into the same, now full, directory is refused */
    rc = merge_into(out, dirs, NSEG, err, sizeof(err));
    T_EQ_INT(rc, QVR_ESTATE);
    T_CHECK(strstr(err, out) != NULL);
}

/* Mismatched segments: each refused (QVR_ESTATE) naming the directory. */
static void test_mismatch(void)
{
    char d[8][300], out[300], err[512];
    struct variant good, v;
    memset(&good, 0, sizeof(good));
    for (int k = 0; k < NSEG; k++) {
        snprintf(d[k], sizeof(d[k]), "%s/m-%d", root, k + 1);
        make_seg(d[k], k + 1, T0, 0, &good, 0);
    }
    struct {
        const char *what;
        struct variant v;
        int as;           /* segment index it claims */
        const char *says; /* in the message besides its directory */
    } cases[] = {
        {"other scenario", {"other", 0, 0, 0}, 3, "scenario"},
        {"other config", {NULL, 13, 0, 0}, 3, "config"},
        {"not a segment", {NULL, 0, 1, 0}, 3, "--segment"},
        {"duplicate", {NULL, 0, 0, 0}, 2, "twice"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(d[3], sizeof(d[3]), "%s/bad-%zu", root, i);
        v = cases[i].v;
        make_seg(d[3], cases[i].as, T0, 0, &v, 0);
        const char *dirs[3] = {d[0], d[1], d[3]};
        snprintf(out, sizeof(out), "%s/out-bad-%zu", root, i);
        int rc = merge_into(out, dirs, 3, err, sizeof(err));
        T_CHECK_MSG(rc == QVR_ESTATE, "%s: rc %d", cases[i].what, rc);
        T_CHECK_MSG(strstr(err, d[3]) != NULL, "%s: '%s' does not name %s",
                    cases[i].what, err, d[3]);
        T_CHECK_MSG(strstr(err, cases[i].says) != NULL, "%s: '%s'",
                    cases[i].what, err);
        struct stat st;
        T_CHECK_MSG(stat(out, &st) < 0, "%s: %s created", cases[i].what, out);
    }
    /* a missing segment names what is missing */
    const char *two[2] = {d[0], d[2]};
    snprintf(out, sizeof(out), "%s/out-missing", root);
    int rc = merge_into(out, two, 2, err, sizeof(err));
    T_EQ_INT(rc, QVR_ESTATE);
    T_CHECK_MSG(strstr(err, "missing 2/3") != NULL, "'%s'", err);
    T_CHECK(strstr(err, d[0]) != NULL);
    /* a directory that does not exist */
    char none[320];
    snprintf(none, sizeof(none), "%s/no-such", root);
    const char *nd[3] = {d[0], d[1], none};
    rc = merge_into(out, nd, 3, err, sizeof(err));
    T_EQ_INT(rc, QVR_ESTATE);
    T_CHECK(strstr(err, none) != NULL);
    /* a corrupt summary.json is a file error naming the file */
    write_text(d[2], "summary.json", "{\"schema\": \"qvrrun.summary/1\", ");
    const char *all[3] = {d[0], d[1], d[2]};
    rc = merge_into(out, all, 3, err, sizeof(err));
    T_CHECK_MSG(rc < 0 && rc != QVR_ESTATE, "corrupt: rc %d", rc);
    T_CHECK_MSG(strstr(err, "summary.json") && strstr(err, d[2]), "'%s'", err);
    /* and through the command line: exit 3 for it, 2 for a mismatch */
    char *argv3[] = {(char *)"-o", out, d[0], d[1], d[2]};
    T_EQ_INT(qvr_cmd_merge(5, argv3), QVR_EXIT_RUN);
    char *argv2[] = {(char *)"-o", out, d[0], d[1]};
    T_EQ_INT(qvr_cmd_merge(4, argv2), QVR_EXIT_USAGE);
    char *argvu[] = {d[0], d[1]};
    T_EQ_INT(qvr_cmd_merge(2, argvu), QVR_EXIT_USAGE);
    char *argvf[] = {(char *)"--bogus", (char *)"-o", out, d[0]};
    T_EQ_INT(qvr_cmd_merge(4, argvf), QVR_EXIT_USAGE);
}

/* Steps merged row by row; a step missing its histogram in one segment
 * keeps a bound and says it is not exact. */
static void test_steps(void)
{
    char d[NSEG][300], out[300], err[512];
    const char *dirs[NSEG];
    struct variant v;
    memset(&v, 0, sizeof(v));
    for (int k = 0; k < NSEG; k++) {
        snprintf(d[k], sizeof(d[k]), "%s/st-%d", root, k + 1);
        v.steps = k == 2 ? 2 : 1;
        make_seg(d[k], k + 1, T0, 0, &v, 0);
        dirs[k] = d[k];
    }
    snprintf(out, sizeof(out), "%s/out-steps", root);
    int rc = merge_into(out, dirs, NSEG, err, sizeof(err));
    T_CHECK_MSG(rc >= 0, "rc %d: %s", rc, err);
    cJSON *s = read_json(out, "summary.json");
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(s, "steps");
    T_EQ_INT(cJSON_GetArraySize(st), 2);
    for (int i = 0; i < 2; i++) {
        const cJSON *o = cJSON_GetArrayItem(st, i);
        /* requests 50(i+1)k over k = 1..3, users 2k(i+1) */
        T_EQ_INT(jnum(o, "requests"), 50 * (i + 1) * 6);
        T_EQ_INT(jnum(o, "users"), 2 * (i + 1) * 6);
        T_EQ_INT(jnum(o, "failures"), i * NSEG);
        T_NEAR(jnum(o, "rps"), 50 * (i + 1) * 6 / 2.0, 1e-9);
        const cJSON *lat = cJSON_GetObjectItemCaseSensitive(o, "latency_ms");
        const cJSON *ex = cJSON_GetObjectItemCaseSensitive(lat, "exact");
        if (i == 0) {
            uint64_t vals[1024];
            int n = 0;
            for (int k = 1; k <= NSEG; k++)
                for (int j = 0; j < 50 * k; j++)
                    vals[n++] = 1000 * (uint64_t)(10 + (j * 7 + k) % 90);
            T_CHECK(ex == NULL);
            check_pct(jnum(lat, "p99"), vals, n, 99, "step 1");
            check_pct(jnum(lat, "p50"), vals, n, 50, "step 1");
        } else {
            /* segment 3 has no histogram: the worst segment's p99, an
             * upper bound of the exact one, marked */
            uint64_t vals[1024];
            int n = 0;
            for (int k = 1; k <= NSEG; k++)
                for (int j = 0; j < 100 * k; j++)
                    vals[n++] = 2000 * (uint64_t)(10 + (j * 7 + k) % 90);
            double exact = exact_pct(vals, n, 99);
            T_CHECK(cJSON_IsFalse(ex));
            T_CHECK_MSG(jnum(lat, "p99") >= exact * 0.999 &&
                            jnum(lat, "p99") <= 198.0 + 0.2,
                        "bound %.3f, exact %.3f", jnum(lat, "p99"), exact);
        }
    }
    const cJSON *kn = cJSON_GetObjectItemCaseSensitive(s, "knee");
    T_CHECK(cJSON_IsObject(kn));
    cJSON_Delete(s);
    char path[400];
    snprintf(path, sizeof(path), "%s/steps.csv", out);
    char *csv = read_text(path);
    T_CHECK(csv && strncmp(csv, "step,users,rate,", 16) == 0);
    T_CHECK(csv && strstr(csv, "\n2,24,"));
    free(csv);
}

int main(void)
{
    snprintf(root, sizeof(root), "/tmp/qvr-test-merge.XXXXXX");
    T_CHECK(mkdtemp(root) != NULL);
    memset(tr.seg_users, -1, sizeof(tr.seg_users));
    test_merge_good();
    test_mismatch();
    test_steps();
    nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return T_DONE();
}
