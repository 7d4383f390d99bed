/* merge.c -- combining the result directories of a run's segments (see
 * merge.h).
 *
 * The work goes in the order of the output: every segment is loaded with
 * render's reader (summary.json, timeseries.csv) and checked against the
 * first; the segments' windows are laid on one wall-clock grid; the summary
 * entries are merged from their histograms and counters; the latency.hlog
 * files are streamed side by side, one merged window at a time, into the
 * merged log, the merged windows and the windowed thresholds; then the
 * thresholds, steps and findings of the whole run, and summary.json last,
 * as a run writes it. */
#include "merge.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "fmt.h"
#include "gate.h"
#include "hist.h"
#include "log.h"
#include "qvr.h"
#include "report.h"
#include "sched.h"
#include "steps.h"
#include "thresh.h"
#include "verdict_json.h"

#define MAX_FINDINGS 32
#define MATCH_S 0.0025 /* a log line and a timeseries row are one window */
#define NPCT 5

/* The percentiles of summary.json's latency_ms, in the writer's order. */
static const struct {
    const char *key;
    double p;
} pcts[NPCT] = {
    {"p50", 50}, {"p90", 90}, {"p95", 95}, {"p99", 99}, {"p99.9", 99.9}};

/* One input: the result directory of one segment. */
struct seg {
    const char *dir;    /* borrowed from the caller */
    struct qvr_rdir rd; /* summary.json and timeseries.csv */
    int index, count;   /* segment K of N */
    double start, end;  /* measured phase, Unix seconds */
    int *bucket;        /* the merged window of each rd.win[] */
    /* latency.hlog, read one interval line ahead */
    FILE *hlog;
    char *line;
    size_t cap;
    int lineno;
    int cursor;      /* first rd.win[] a later line can match */
    int pending;     /* line holds an interval not yet folded in */
    int pb;          /* its merged window; -1: none */
    char *tag;       /* its tag (in line), NULL when untagged */
    char *enc;       /* its histogram (in line) */
    uint64_t max_us; /* its Interval_Max */
};

/* One merged statistic: the totals, a request name or a task. */
struct mstat {
    const char *key;       /* "name", "task", or NULL for the totals */
    const char *name;      /* borrowed from a segment's summary */
    struct qvr_hist *resp; /* response time, the segments' sum (owned) */
    int exact;             /* every segment carried its histogram */
    uint64_t requests, failures, good, checks_ok, checks_fail;
    double min_ms, max_ms;         /* exact, from the segments' latency_ms */
    double mean_sum;               /* sum of mean x requests, ms */
    uint64_t iters, script_errors; /* iterations, those ended by an error */
};

/* A request name's merged window, summed from the segments'
 * timeseries_by_name.csv rows that fall in it. */
struct bname {
    int b;      /* merged window */
    char *name; /* owned */
    uint64_t requests, failures;
};

/* One series of the merged window being built from the logs. */
struct tacc {
    char *tag;          /* as the logs carry it ("name:x"); NULL: all */
    struct qvr_hist *h; /* this window's histogram (owned) */
    uint64_t max_us;    /* the largest Interval_Max folded in */
};

struct merge {
    const char *out;
    const struct qvr_render_opts *ro;
    char *err;
    unsigned long errlen;
    struct seg *segs;
    int nseg;
    const cJSON *first;     /* segs[0]'s summary */
    double t0, span, win_s; /* merged start (Unix s), length, window */
    int nb;                 /* merged windows */
    struct qvr_window_row *rows;
    int max_users;
    struct mstat *stats; /* [0] totals, then names and tasks */
    int nstats, capstats;
    struct qvr_plan_thresh *th;
    int nth;
    struct qvr_step_row *steps;
    int nsteps;
    const char *vary; /* steps over a payload variable: its name */
    struct qvr_knee knee;
    struct qvr_slo slo;
    struct qvr_load load; /* the scenario's load, when it is closed */
    int has_load;
    char *findings[MAX_FINDINGS];
    int nfindings;
    cJSON *root;      /* the merged summary.json */
    struct tacc *acc; /* [0] all requests, then tags */
    int nacc, capacc;
    char hlog_tmp[4200];   /* the merged log until it is renamed */
    struct bname *bn;      /* by window, then name; NULL: no by-name file */
    int nbn, bn_cur;       /* bn_cur: the first not yet written */
    struct qvr_buf bn_out; /* the merged timeseries_by_name.csv */
};

static int errf(struct merge *m, int rc, const char *fmt, ...) QVR_PRINTF(3, 4);

static int errf(struct merge *m, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->err, m->errlen, fmt, ap);
    va_end(ap);
    return rc;
}

static void add_finding(struct merge *m, const char *fmt, ...) QVR_PRINTF(2, 3);

static void add_finding(struct merge *m, const char *fmt, ...)
{
    if (m->nfindings >= MAX_FINDINGS)
        return;
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    m->findings[m->nfindings] = strdup(buf);
    if (m->findings[m->nfindings])
        m->nfindings++;
}

/* ---- JSON helpers ---- */

static double jnum(const cJSON *o, const char *k, double def)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : def;
}

static const cJSON *jobj(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsObject(v) ? v : NULL;
}

static const char *jstr(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static uint64_t jcount(const cJSON *o, const char *k)
{
    double v = jnum(o, k, 0);
    return v > 0 ? (uint64_t)llround(v) : 0;
}

static double r3(double v)
{
    return round(v * 1000.0) / 1000.0;
}

static uint64_t us_of(double ms)
{
    return ms > 0 ? (uint64_t)llround(ms * 1000.0) : 0;
}

/* Adds every number of src into the member of dst with the same name,
 * creating it when dst has none. */
static int sum_into(cJSON *dst, const cJSON *src)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, src)
    {
        if (!cJSON_IsNumber(it) || !it->string)
            continue;
        cJSON *d = cJSON_GetObjectItemCaseSensitive(dst, it->string);
        if (cJSON_IsNumber(d))
            cJSON_SetNumberValue(d, d->valuedouble + it->valuedouble);
        else if (!d &&
                 !cJSON_AddNumberToObject(dst, it->string, it->valuedouble))
            return QVR_ENOMEM;
    }
    return 0;
}

#define OTHER_MESSAGES "(other messages)"

/* Adds a segment's "failure_messages" ({kind: [{message, request, count}]})
 * into dst: equal messages (but for their numbers) add their counts; past
 * QVR_ERRMSG_KEEP distinct ones in a kind, the rest join "(other messages)", as
 * a run keeps them. */
static int msgs_into(cJSON *dst, const cJSON *src)
{
    const cJSON *kind;
    cJSON_ArrayForEach(kind, src)
    {
        if (!cJSON_IsArray(kind) || !kind->string)
            continue;
        cJSON *d = cJSON_GetObjectItemCaseSensitive(dst, kind->string);
        if (!d && !(d = cJSON_AddArrayToObject(dst, kind->string)))
            return QVR_ENOMEM;
        const cJSON *it;
        cJSON_ArrayForEach(it, kind)
        {
            const char *msg = jstr(it, "message");
            double n = jnum(it, "count", 0);
            if (!msg || !(n > 0))
                continue;
            int is_other = strcmp(msg, OTHER_MESSAGES) == 0, kept = 0;
            cJSON *hit = NULL, *other = NULL, *x;
            cJSON_ArrayForEach(x, d)
            {
                const char *xm = jstr(x, "message");
                if (xm && strcmp(xm, OTHER_MESSAGES) == 0)
                    other = x;
                else
                    kept++;
                if (xm && qvr_metrics_errmsg_same(xm, msg))
                    hit = x;
            }
            if (!hit && kept >= QVR_ERRMSG_KEEP) {
                hit = other;
                is_other = 1;
            }
            if (!hit) {
                const char *req = jstr(it, "request");
                hit = cJSON_CreateObject();
                if (!hit ||
                    !cJSON_AddStringToObject(hit, "message",
                                             is_other ? OTHER_MESSAGES : msg) ||
                    (!is_other && req &&
                     !cJSON_AddStringToObject(hit, "request", req)) ||
                    !cJSON_AddNumberToObject(hit, "count", 0) ||
                    !cJSON_AddItemToArray(d, hit)) {
                    cJSON_Delete(hit);
                    return QVR_ENOMEM;
                }
            }
            cJSON *c = cJSON_GetObjectItemCaseSensitive(hit, "count");
            cJSON_SetNumberValue(c, c->valuedouble + n);
        }
    }
    return 0;
}

/* Each kind's messages most frequent first, "(other messages)" last. */
static void msgs_sort(cJSON *msgs)
{
    cJSON *kind;
    cJSON_ArrayForEach(kind, msgs)
    {
        cJSON *v[QVR_ERRMSG_KEEP + 1];
        int n = 0;
        while (kind->child && n < QVR_ERRMSG_KEEP + 1) {
            cJSON *x = cJSON_DetachItemFromArray(kind, 0);
            const char *xm = jstr(x, "message");
            double key = xm && strcmp(xm, OTHER_MESSAGES) == 0
                             ? -1
                             : jnum(x, "count", 0);
            int j = n++;
            while (j > 0) {
                const char *pm = jstr(v[j - 1], "message");
                double pk = pm && strcmp(pm, OTHER_MESSAGES) == 0
                                ? -1
                                : jnum(v[j - 1], "count", 0);
                if (pk >= key)
                    break;
                v[j] = v[j - 1];
                j--;
            }
            v[j] = x;
        }
        for (int i = 0; i < n; i++)
            cJSON_AddItemToArray(kind, v[i]);
    }
}

/* A decoded histogram's min and max are bucket edges; the exact ones from
 * latency_ms narrow them, as the recording run had them. */
static void pin(struct qvr_hist *h, uint64_t min_us, uint64_t max_us)
{
    if (!h->total)
        return;
    if (max_us > 0 && max_us <= h->max && max_us >= h->min)
        h->max = max_us;
    if (min_us > 0 && min_us >= h->min && min_us <= h->max)
        h->min = min_us;
}

static double pct_ms(const struct qvr_hist *h, double p)
{
    return h->total ? (double)qvr_hist_value_at(h, p) / 1000.0 : 0;
}

/* ---- loading and checking the segments ---- */

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* The first member of config in which a and b differ, or NULL. The
 * segment (should a writer put it there) is not compared, and the scenario
 * file only by its name: machines may keep it in different places. */
static const char *config_diff(const cJSON *a, const cJSON *b)
{
    for (int pass = 0; pass < 2; pass++) {
        const cJSON *x = pass ? b : a, *y = pass ? a : b, *it;
        cJSON_ArrayForEach(it, x)
        {
            if (!it->string || strcmp(it->string, "segment") == 0)
                continue;
            const cJSON *o = cJSON_GetObjectItemCaseSensitive(y, it->string);
            if (strcmp(it->string, "file") == 0 && cJSON_IsString(it) &&
                cJSON_IsString(o)) {
                if (strcmp(base_name(it->valuestring),
                           base_name(o->valuestring)) != 0)
                    return it->string;
                continue;
            }
            if (!o || !cJSON_Compare(it, o, 1))
                return it->string;
        }
    }
    return NULL;
}

/* 1 when both summaries hold the same threshold expressions in order. */
static int same_thresholds(const cJSON *a, const cJSON *b)
{
    const cJSON *ta = cJSON_GetObjectItemCaseSensitive(a, "thresholds");
    const cJSON *tb = cJSON_GetObjectItemCaseSensitive(b, "thresholds");
    if (cJSON_GetArraySize(ta) != cJSON_GetArraySize(tb))
        return 0;
    const cJSON *x = ta ? ta->child : NULL, *y = tb ? tb->child : NULL;
    for (; x && y; x = x->next, y = y->next) {
        const char *ex = jstr(x, "expr"), *ey = jstr(y, "expr");
        if (!ex || !ey || strcmp(ex, ey) != 0)
            return 0;
    }
    return 1;
}

static int load_seg(struct merge *m, struct seg *s)
{
    struct stat st;
    if (stat(s->dir, &st) < 0 || !S_ISDIR(st.st_mode))
        return errf(m, QVR_ESTATE, "%s: no such result directory", s->dir);
    int rc = qvr_rdir_load(&s->rd, s->dir, 0, m->err, m->errlen);
    if (rc < 0)
        return rc;
    if (!s->rd.has_hlog)
        return errf(m, QVR_ENOTFOUND,
                    "cannot read %s/latency.hlog: the windows of a segment "
                    "cannot be merged without it",
                    s->dir);
    const cJSON *sg = jobj(s->rd.summary, "segment");
    double k = jnum(sg, "index", 0), n = jnum(sg, "count", 0);
    if (!sg)
        return errf(m, QVR_ESTATE,
                    "%s: not a segment's result (summary.json has no "
                    "\"segment\"; run each part with --segment K/N)",
                    s->dir);
    if (!(n >= 1 && n <= 100000 && k >= 1 && k <= n && k == floor(k) &&
          n == floor(n)))
        return errf(m, QVR_EINVAL,
                    "%s/summary.json: \"segment\" is not an index K of a "
                    "count N with 1 <= K <= N",
                    s->dir);
    s->index = (int)k;
    s->count = (int)n;
    if (!jobj(s->rd.summary, "config"))
        return errf(m, QVR_EINVAL, "%s/summary.json: no \"config\" object",
                    s->dir);
    s->start = s->rd.hlog_start > 0 ? s->rd.hlog_start
                                    : jnum(s->rd.summary, "started", 0);
    s->end = s->start + jnum(s->rd.summary, "duration_s", 0);
    if (s->rd.nwin > 0 && s->start + s->rd.win[s->rd.nwin - 1].end_s > s->end)
        s->end = s->start + s->rd.win[s->rd.nwin - 1].end_s;
    return 0;
}

static int by_index(const void *a, const void *b)
{
    const struct seg *x = a, *y = b;
    return (x->index > y->index) - (x->index < y->index);
}

/* The segments belong to one run: one scenario, one config, one count, one
 * set of thresholds and steps, every index once and none missing. */
static int check_together(struct merge *m)
{
    const struct seg *a = &m->segs[0];
    const cJSON *sa = a->rd.summary;
    for (int i = 1; i < m->nseg; i++) {
        const struct seg *b = &m->segs[i];
        const cJSON *sb = b->rd.summary;
        const char *what;
        if (strcmp(a->rd.scenario, b->rd.scenario) != 0)
            return errf(m, QVR_ESTATE,
                        "%s: scenario \"%s\", but %s ran \"%s\": not "
                        "segments of one run",
                        b->dir, b->rd.scenario, a->dir, a->rd.scenario);
        if (b->count != a->count)
            return errf(m, QVR_ESTATE,
                        "%s: segment %d/%d, but %s is segment %d/%d: the "
                        "counts differ",
                        b->dir, b->index, b->count, a->dir, a->index, a->count);
        what = config_diff(jobj(sa, "config"), jobj(sb, "config"));
        if (what)
            return errf(m, QVR_ESTATE,
                        "%s: config differs from %s's (\"%s\"): not "
                        "segments of one run",
                        b->dir, a->dir, what);
        if (!same_thresholds(sa, sb))
            return errf(m, QVR_ESTATE, "%s: its thresholds differ from %s's",
                        b->dir, a->dir);
        if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(sa, "steps")) !=
            cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(sb, "steps")))
            return errf(m, QVR_ESTATE,
                        "%s: its number of steps differs from %s's", b->dir,
                        a->dir);
    }
    qsort(m->segs, (size_t)m->nseg, sizeof(*m->segs), by_index);
    for (int i = 1; i < m->nseg; i++)
        if (m->segs[i].index == m->segs[i - 1].index)
            return errf(m, QVR_ESTATE,
                        "%s: segment %d/%d given twice (also %s)",
                        m->segs[i].dir, m->segs[i].index, m->segs[i].count,
                        m->segs[i - 1].dir);
    int n = m->segs[0].count;
    if (m->nseg != n) {
        char miss[256] = "";
        size_t o = 0;
        int have = 0, nmiss = 0;
        for (int k = 1; k <= n && o + 16 < sizeof(miss); k++) {
            while (have < m->nseg && m->segs[have].index < k)
                have++;
            if (have < m->nseg && m->segs[have].index == k)
                continue;
            if (nmiss++ < 8)
                o += (size_t)snprintf(miss + o, sizeof(miss) - o, "%s%d/%d",
                                      nmiss > 1 ? ", " : "", k, n);
        }
        return errf(m, QVR_ESTATE,
                    "%s and the others given are %d of %d segments: "
                    "missing %s%s",
                    m->segs[0].dir, m->nseg, n, miss, nmiss > 8 ? ", ..." : "");
    }
    m->first = m->segs[0].rd.summary;
    return 0;
}

/* ---- the wall-clock grid ---- */

static int grid_bucket(const struct merge *m, double mid_abs)
{
    double x = (mid_abs - m->t0) / m->win_s;
    if (!(x > 0))
        return 0;
    if (x > 1e8)
        return 100000000;
    return (int)floor(x + 1e-6);
}

/* Every segment window goes to the merged window holding its midpoint;
 * counts add up, users add the last window each segment has there. */
static int lay_windows(struct merge *m)
{
    double tend = -INFINITY;
    m->t0 = INFINITY;
    for (int k = 0; k < m->nseg; k++) {
        m->t0 = fmin(m->t0, m->segs[k].start);
        tend = fmax(tend, m->segs[k].end);
    }
    m->span = tend > m->t0 ? tend - m->t0 : 0;
    m->win_s = jnum(jobj(m->first, "config"), "window_s", 1);
    if (!(m->win_s >= 0.001))
        m->win_s = 1;
    m->nb = 0;
    for (int k = 0; k < m->nseg; k++) {
        struct seg *s = &m->segs[k];
        s->bucket = calloc((size_t)(s->rd.nwin ? s->rd.nwin : 1), sizeof(int));
        if (!s->bucket)
            return errf(m, QVR_ENOMEM, "out of memory merging windows");
        for (int i = 0; i < s->rd.nwin; i++) {
            const struct qvr_rwin *w = &s->rd.win[i];
            int b = grid_bucket(m, s->start + w->end_s - w->len_s / 2);
            s->bucket[i] = b;
            if (b >= m->nb)
                m->nb = b + 1;
        }
    }
    if (m->nb > 10000000)
        return errf(m, QVR_EINVAL,
                    "the segments' windows span more than 10 million "
                    "windows: are their start times right?");
    m->rows = calloc((size_t)(m->nb ? m->nb : 1), sizeof(*m->rows));
    if (!m->rows)
        return errf(m, QVR_ENOMEM, "out of memory merging windows");
    for (int b = 0; b < m->nb; b++)
        m->rows[b].t_s = -1;
    for (int k = 0; k < m->nseg; k++) {
        const struct seg *s = &m->segs[k];
        for (int i = 0; i < s->rd.nwin; i++) {
            const struct qvr_rwin *w = &s->rd.win[i];
            struct qvr_window_row *r = &m->rows[s->bucket[i]];
            r->requests += w->requests;
            r->failures += w->failures;
            r->t_s = fmax(r->t_s, s->start + w->end_s - m->t0);
            if (i + 1 == s->rd.nwin || s->bucket[i + 1] != s->bucket[i])
                r->users += w->users;
        }
    }
    m->max_users = 0;
    for (int b = 0; b < m->nb; b++) {
        struct qvr_window_row *r = &m->rows[b];
        double end = (b + 1) * m->win_s;
        /* The last window ends where the segments' last windows end: a
         * short tail, or one that ran on to the end of the drain. */
        if (r->t_s >= 0 && (r->t_s < end || b == m->nb - 1))
            end = r->t_s;
        r->t_s = end;
        r->len_s = end - b * m->win_s;
        if (r->len_s < 0.001)
            r->len_s = 0.001;
        r->wall_s = m->t0 + end;
        r->rps = r->requests / r->len_s;
        if (r->users > m->max_users)
            m->max_users = r->users;
    }
    return 0;
}

/* ---- summary entries ---- */

/* The entry of a section of s's summary: totals or warmup (name NULL), or
 * names/tasks[name]. */
static const cJSON *entry(const struct seg *s, const char *sect,
                          const char *name)
{
    const cJSON *o = jobj(s->rd.summary, sect);
    return name ? jobj(o, name) : o;
}

/* Adds src's histogram member key into h; without one, an entry with
 * requests makes the merge inexact. */
static int add_hist(struct merge *m, const struct seg *s, const cJSON *src,
                    const char *key, const char *what, struct qvr_hist *h,
                    int *exact)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(src, key);
    if (!cJSON_IsString(v)) {
        if (jcount(src, "requests"))
            *exact = 0;
        return 0;
    }
    struct qvr_hist *x = NULL;
    int rc = qvr_hist_decode(v->valuestring, strlen(v->valuestring), &x);
    if (rc < 0)
        return errf(m, rc, "%s/summary.json: %s.%s is %s", s->dir, what, key,
                    rc == QVR_ENOMEM ? "too large" : "not a valid histogram");
    qvr_hist_add(h, x);
    qvr_hist_free(x);
    return 0;
}

/* Sums of one entry over the segments, besides the response times. */
struct esum {
    double pmax[NPCT], svc_pmax[3], ttfb[2];
    double svc_max, conn, conn_ms, tls, tls_ms;
    uint64_t min_us, max_us, iters, script_errors, cancelled;
    int with_req, extras, svc_exact, ttfb_exact;
    int one; /* at most one segment has requests */
    const char *method;
    struct qvr_hist *svc, *ttfb_h; /* service time, time to first byte */
    cJSON *sums[4];                /* failures_by_kind, status, bytes,
                                      checks */
    cJSON *msgs;                   /* failure_messages (totals) */
    /* token streams (segments with "streams") */
    int tok_seen;
    uint64_t streams, in_tokens, out_tokens;
    int src_usage, src_events; /* segments whose tokens_source said so */
    struct tsum {
        struct qvr_hist *h; /* NULL until a segment has the histogram */
        double min, max, mean_sum;
        uint64_t n;
        int missing; /* a segment with streams lacked it */
    } tk[4];         /* TTFT, ITL, TPOT, TTFT from the actual send */
};

#define NTOK 4
static const char *const tok_keys[NTOK][2] = {
    {"ttft_ms", "ttft_histogram_us"},
    {"itl_ms", "itl_histogram_us"},
    {"tpot_ms", "tpot_histogram_us"},
    {"ttft_service_ms", "ttft_service_histogram_us"}};

/* One segment's token figures of an entry into e. */
static int sum_tok(struct merge *m, const struct seg *s, const cJSON *src,
                   const char *what, struct esum *e)
{
    if (!cJSON_GetObjectItemCaseSensitive(src, "streams"))
        return 0;
    e->tok_seen = 1;
    e->streams += jcount(src, "streams");
    e->in_tokens += jcount(src, "input_tokens");
    e->out_tokens += jcount(src, "output_tokens");
    const char *ts = jstr(src, "tokens_source");
    e->src_usage |= ts && strcmp(ts, "events") != 0;
    e->src_events |= !ts || strcmp(ts, "usage") != 0;
    for (int k = 0; k < NTOK; k++) {
        struct tsum *t = &e->tk[k];
        const cJSON *lat = jobj(src, tok_keys[k][0]);
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(src, tok_keys[k][1]);
        if (!cJSON_IsString(v)) {
            t->missing = 1;
            continue;
        }
        struct qvr_hist *x = NULL;
        int rc = qvr_hist_decode(v->valuestring, strlen(v->valuestring), &x);
        if (rc < 0)
            return errf(m, rc,
                        "%s/summary.json: %s.%s is not a valid "
                        "histogram",
                        s->dir, what, tok_keys[k][1]);
        if (!t->h && !(t->h = qvr_hist_new())) {
            qvr_hist_free(x);
            return errf(m, QVR_ENOMEM, "out of memory merging %s", what);
        }
        if (x->total) {
            double lo = jnum(lat, "min", 0), hi = jnum(lat, "max", 0);
            t->min = t->n ? fmin(t->min, lo) : lo;
            t->max = fmax(t->max, hi);
            t->mean_sum += jnum(lat, "mean", 0) * (double)x->total;
            t->n += x->total;
        }
        qvr_hist_add(t->h, x);
        qvr_hist_free(x);
    }
    return 0;
}

/* The merged token members of an entry, beside latency_ms. */
static void tok_obj(cJSON *o, struct esum *e, double elapsed, int with_hist)
{
    if (!e->tok_seen)
        return;
    for (int k = 0; k < NTOK; k++) {
        struct tsum *t = &e->tk[k];
        cJSON *l = cJSON_AddObjectToObject(o, tok_keys[k][0]);
        cJSON_AddNumberToObject(l, "min", t->n ? t->min : 0);
        cJSON_AddNumberToObject(l, "mean",
                                t->n ? r3(t->mean_sum / (double)t->n) : 0);
        for (int i = 0; i < NPCT; i++)
            cJSON_AddNumberToObject(l, pcts[i].key,
                                    t->h ? pct_ms(t->h, pcts[i].p) : 0);
        cJSON_AddNumberToObject(l, "max", t->n ? t->max : 0);
        if (t->missing)
            cJSON_AddFalseToObject(l, "exact");
    }
    cJSON_AddNumberToObject(o, "streams", (double)e->streams);
    cJSON_AddNumberToObject(o, "input_tokens", (double)e->in_tokens);
    cJSON_AddNumberToObject(o, "output_tokens", (double)e->out_tokens);
    cJSON_AddNumberToObject(
        o, "output_tokens_per_s",
        r3(elapsed > 0 ? (double)e->out_tokens / elapsed : 0));
    cJSON_AddNumberToObject(
        o, "total_tokens_per_s",
        r3(elapsed > 0 ? (double)(e->in_tokens + e->out_tokens) / elapsed : 0));
    cJSON_AddStringToObject(o, "tokens_source",
                            e->src_usage && e->src_events ? "mixed"
                            : e->src_usage                ? "usage"
                                                          : "events");
    (void)with_hist; /* the histograms go last, with the others */
}

static int sum_entry(struct merge *m, struct mstat *ms, const struct seg *s,
                     const cJSON *src, const char *what, struct esum *e)
{
    static const char *const sum_keys[4] = {"failures_by_kind", "status",
                                            "bytes", "checks"};
    const char *mt = jstr(src, "method");
    if (!e->method && mt)
        e->method = mt;
    uint64_t req = jcount(src, "requests");
    ms->requests += req;
    ms->failures += jcount(src, "failures");
    ms->good += jcount(src, "good");
    const cJSON *lat = jobj(src, "latency_ms");
    if (req) {
        e->with_req++;
        uint64_t lo = us_of(jnum(lat, "min", 0));
        uint64_t hi = us_of(jnum(lat, "max", 0));
        if (lo < e->min_us)
            e->min_us = lo;
        if (hi > e->max_us)
            e->max_us = hi;
        ms->mean_sum += jnum(lat, "mean", 0) * (double)req;
    }
    for (int i = 0; i < NPCT; i++)
        e->pmax[i] = fmax(e->pmax[i], jnum(lat, pcts[i].key, 0));
    const cJSON *sv = jobj(src, "service_ms");
    static const char *const svk[3] = {"p50", "p90", "p99"};
    for (int i = 0; i < 3; i++)
        e->svc_pmax[i] = fmax(e->svc_pmax[i], jnum(sv, svk[i], 0));
    e->svc_max = fmax(e->svc_max, jnum(sv, "max", 0));
    const cJSON *tt = jobj(src, "ttfb_ms");
    e->ttfb[0] = fmax(e->ttfb[0], jnum(tt, "p50", 0));
    e->ttfb[1] = fmax(e->ttfb[1], jnum(tt, "p99", 0));
    const cJSON *cn = jobj(src, "connections_ms");
    double c = jnum(cn, "connects", 0), t = jnum(cn, "tls_handshakes", 0);
    e->conn += c;
    e->conn_ms += c * jnum(cn, "connect_mean", 0);
    e->tls += t;
    e->tls_ms += t * jnum(cn, "tls_mean", 0);
    for (int i = 0; i < 4; i++)
        if (sum_into(e->sums[i], jobj(src, sum_keys[i])) < 0)
            return errf(m, QVR_ENOMEM, "out of memory merging %s", what);
    if (msgs_into(e->msgs, jobj(src, "failure_messages")) < 0)
        return errf(m, QVR_ENOMEM, "out of memory merging %s", what);
    if (cJSON_GetObjectItemCaseSensitive(src, "iterations"))
        e->extras = 1;
    e->iters += jcount(src, "iterations");
    e->script_errors += jcount(src, "script_errors");
    e->cancelled += jcount(src, "cancelled");
    int rc = sum_tok(m, s, src, what, e);
    if (rc < 0)
        return rc;
    rc = add_hist(m, s, src, "histogram_us", what, ms->resp, &ms->exact);
    if (rc == 0)
        rc = add_hist(m, s, src, "service_histogram_us", what, e->svc,
                      &e->svc_exact);
    if (rc == 0)
        rc = add_hist(m, s, src, "ttfb_histogram_us", what, e->ttfb_h,
                      &e->ttfb_exact);
    return rc;
}

static void add_hist_member(cJSON *o, const char *key, const struct qvr_hist *h)
{
    char *enc = NULL;
    if (qvr_hist_encode(h, &enc) == 0) {
        cJSON_AddStringToObject(o, key, enc);
        free(enc);
    }
}

/* The merged object of one entry, in the writer's key order; percentiles
 * from the summed histograms, or the worst segment's where a histogram is
 * missing (then "exact": false). Takes e->sums into the object. */
static cJSON *entry_obj(struct mstat *ms, struct esum *e, double elapsed,
                        int with_hist)
{
    const struct qvr_hist *svc = e->svc;
    cJSON **sums = e->sums;
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    uint64_t req = ms->requests;
    if (e->method)
        cJSON_AddStringToObject(o, "method", e->method);
    cJSON_AddNumberToObject(o, "requests", (double)req);
    cJSON_AddNumberToObject(o, "failures", (double)ms->failures);
    cJSON_AddNumberToObject(o, "rps", r3(elapsed > 0 ? req / elapsed : 0));
    cJSON_AddNumberToObject(o, "error_rate",
                            req ? (double)ms->failures / req : 0);
    cJSON_AddNumberToObject(o, "good", (double)ms->good);
    cJSON *lat = cJSON_AddObjectToObject(o, "latency_ms");
    cJSON_AddNumberToObject(lat, "min", req ? ms->min_ms : 0);
    cJSON_AddNumberToObject(lat, "mean",
                            req ? r3(ms->mean_sum / (double)req) : 0);
    for (int i = 0; i < NPCT; i++)
        cJSON_AddNumberToObject(lat, pcts[i].key,
                                !req        ? 0
                                : ms->exact ? pct_ms(ms->resp, pcts[i].p)
                                            : e->pmax[i]);
    cJSON_AddNumberToObject(lat, "max", req ? ms->max_ms : 0);
    if (req && !ms->exact && !e->one)
        cJSON_AddFalseToObject(lat, "exact");
    tok_obj(o, e, elapsed, with_hist);
    cJSON *sv = cJSON_AddObjectToObject(o, "service_ms");
    static const double svp[3] = {50, 90, 99};
    static const char *const svk[3] = {"p50", "p90", "p99"};
    for (int i = 0; i < 3; i++)
        cJSON_AddNumberToObject(
            sv, svk[i], e->svc_exact ? pct_ms(svc, svp[i]) : e->svc_pmax[i]);
    cJSON_AddNumberToObject(sv, "max", e->svc_max);
    if (req && !e->svc_exact && !e->one)
        cJSON_AddFalseToObject(sv, "exact");
    cJSON *tt = cJSON_AddObjectToObject(o, "ttfb_ms");
    /* Without histograms, the worst segment's: a bound, not the figure. */
    int tt_exact = e->ttfb_exact && e->ttfb_h->total == req;
    cJSON_AddNumberToObject(tt, "p50",
                            tt_exact ? pct_ms(e->ttfb_h, 50) : e->ttfb[0]);
    cJSON_AddNumberToObject(tt, "p99",
                            tt_exact ? pct_ms(e->ttfb_h, 99) : e->ttfb[1]);
    if (!tt_exact && !e->one)
        cJSON_AddFalseToObject(tt, "exact");
    cJSON *cn = cJSON_AddObjectToObject(o, "connections_ms");
    cJSON_AddNumberToObject(cn, "connects", e->conn);
    cJSON_AddNumberToObject(cn, "connect_mean",
                            e->conn > 0 ? r3(e->conn_ms / e->conn) : 0);
    cJSON_AddNumberToObject(cn, "tls_handshakes", e->tls);
    cJSON_AddNumberToObject(cn, "tls_mean",
                            e->tls > 0 ? r3(e->tls_ms / e->tls) : 0);
    cJSON_AddItemToObject(o, "failures_by_kind", sums[0]);
    cJSON_AddItemToObject(o, "status", sums[1]);
    cJSON_AddItemToObject(o, "bytes", sums[2]);
    if (sums[3]->child)
        cJSON_AddItemToObject(o, "checks", sums[3]);
    else
        cJSON_Delete(sums[3]);
    sums[0] = sums[1] = sums[2] = sums[3] = NULL;
    if (with_hist && ms->exact)
        add_hist_member(o, "histogram_us", ms->resp);
    if (with_hist && e->svc_exact)
        add_hist_member(o, "service_histogram_us", svc);
    if (with_hist && tt_exact && req)
        add_hist_member(o, "ttfb_histogram_us", e->ttfb_h);
    for (int k = 0; with_hist && e->tok_seen && k < NTOK; k++)
        if (e->tk[k].h && !e->tk[k].missing)
            add_hist_member(o, tok_keys[k][1], e->tk[k].h);
    if (e->extras) {
        cJSON_AddNumberToObject(o, "iterations", (double)e->iters);
        cJSON_AddNumberToObject(o, "script_errors", (double)e->script_errors);
        cJSON_AddNumberToObject(o, "cancelled", (double)e->cancelled);
        msgs_sort(e->msgs);
        cJSON_AddItemToObject(o, "failure_messages", e->msgs);
        e->msgs = NULL;
    }
    return o;
}

/* Merges one entry of every segment into ms and adds the merged object to
 * parent under key. */
static int merge_stat(struct merge *m, struct mstat *ms, const char *sect,
                      cJSON *parent, const char *key, double elapsed,
                      int with_hist)
{
    struct esum e;
    char what[320];
    int rc = QVR_ENOMEM;
    memset(&e, 0, sizeof(e));
    for (int i = 0; i < 4; i++)
        e.sums[i] = cJSON_CreateObject();
    e.msgs = cJSON_CreateObject();
    e.svc = qvr_hist_new();
    e.ttfb_h = qvr_hist_new();
    e.min_us = UINT64_MAX;
    e.svc_exact = e.ttfb_exact = 1;
    ms->exact = 1;
    ms->resp = qvr_hist_new();
    snprintf(what, sizeof(what), "%s%s%s", sect, ms->name ? "." : "",
             ms->name ? ms->name : "");
    if (!e.sums[0] || !e.sums[1] || !e.sums[2] || !e.sums[3] || !e.msgs ||
        !e.svc || !e.ttfb_h || !ms->resp) {
        errf(m, rc, "out of memory merging %s", what);
        goto fail;
    }
    for (int k = 0; k < m->nseg; k++) {
        const cJSON *src = entry(&m->segs[k], sect, ms->name);
        if (src && (rc = sum_entry(m, ms, &m->segs[k], src, what, &e)) < 0)
            goto fail;
    }
    ms->min_ms = e.with_req ? (double)e.min_us / 1000.0 : 0;
    ms->max_ms = (double)e.max_us / 1000.0;
    ms->iters = e.iters;
    ms->script_errors = e.script_errors;
    ms->checks_ok = jcount(e.sums[3], "passed");
    ms->checks_fail = jcount(e.sums[3], "failed");
    if (ms->resp->total != ms->requests)
        ms->exact = 0; /* a segment's histogram and counts disagree */
    /* One segment with requests: its own figures are the merged ones. */
    e.one = e.with_req <= 1;
    pin(ms->resp, e.with_req ? e.min_us : 0, e.max_us);
    pin(e.svc, 0, us_of(e.svc_max));
    cJSON *o = entry_obj(ms, &e, elapsed, with_hist);
    if (!o) {
        rc = errf(m, QVR_ENOMEM, "out of memory merging %s", what);
        goto fail;
    }
    cJSON_AddItemToObject(parent, key, o);
    rc = 0;
fail:
    for (int i = 0; i < 4; i++)
        cJSON_Delete(e.sums[i]);
    cJSON_Delete(e.msgs);
    qvr_hist_free(e.svc);
    qvr_hist_free(e.ttfb_h);
    for (int k = 0; k < NTOK; k++)
        qvr_hist_free(e.tk[k].h);
    return rc;
}

static struct mstat *stat_find(struct merge *m, const char *key,
                               const char *name)
{
    for (int i = 1; i < m->nstats; i++)
        if (strcmp(m->stats[i].key, key) == 0 &&
            strcmp(m->stats[i].name, name) == 0)
            return &m->stats[i];
    return NULL;
}

static int stat_push(struct merge *m, const char *key, const char *name)
{
    if (m->nstats == m->capstats) {
        int cap = m->capstats ? m->capstats * 2 : 16;
        struct mstat *n = realloc(m->stats, (size_t)cap * sizeof(*n));
        if (!n)
            return errf(m, QVR_ENOMEM, "out of memory merging names");
        m->stats = n;
        m->capstats = cap;
    }
    struct mstat *s = &m->stats[m->nstats++];
    memset(s, 0, sizeof(*s));
    s->key = key;
    s->name = name;
    return 0;
}

/* The union of the names (or tasks) of all segments, in first-seen order,
 * each merged into an object of the section in root. */
static int merge_section(struct merge *m, const char *sect, const char *key)
{
    int from = m->nstats, rc;
    for (int k = 0; k < m->nseg; k++) {
        const cJSON *it;
        cJSON_ArrayForEach(it, jobj(m->segs[k].rd.summary, sect))
        {
            if (!cJSON_IsObject(it) || !it->string ||
                stat_find(m, key, it->string))
                continue;
            if ((rc = stat_push(m, key, it->string)) < 0)
                return rc;
        }
    }
    cJSON *obj = cJSON_AddObjectToObject(m->root, sect);
    if (!obj)
        return errf(m, QVR_ENOMEM, "out of memory merging %s", sect);
    for (int i = from; i < m->nstats; i++)
        if ((rc = merge_stat(m, &m->stats[i], sect, obj, m->stats[i].name,
                             m->span, 1)) < 0)
            return rc;
    return 0;
}

/* A list of labelled counts (checks by name, errors by message): entries
 * with the same label are one, their numbers summed. */
static int merge_labels(struct merge *m, const char *list, const char *label)
{
    cJSON *out = cJSON_AddArrayToObject(m->root, list);
    if (!out)
        return errf(m, QVR_ENOMEM, "out of memory merging %s", list);
    for (int k = 0; k < m->nseg; k++) {
        const cJSON *it;
        cJSON_ArrayForEach(
            it, cJSON_GetObjectItemCaseSensitive(m->segs[k].rd.summary, list))
        {
            const char *l = jstr(it, label);
            cJSON *d = NULL, *x;
            if (!l)
                continue;
            cJSON_ArrayForEach(x, out)
            {
                if (strcmp(jstr(x, label), l) == 0) {
                    d = x;
                    break;
                }
            }
            if (d) {
                if (sum_into(d, it) < 0)
                    return errf(m, QVR_ENOMEM, "out of memory merging %s",
                                list);
            } else {
                if (!(d = cJSON_Duplicate(it, 1)))
                    return errf(m, QVR_ENOMEM, "out of memory merging %s",
                                list);
                cJSON_AddItemToArray(out, d);
            }
        }
    }
    return 0;
}

/* ---- timeseries_by_name.csv ---- */

static int bname_cmp(const void *a, const void *b)
{
    const struct bname *x = a, *y = b;
    return x->b != y->b ? (x->b > y->b) - (x->b < y->b)
                        : strcmp(x->name, y->name);
}

/* Every segment's by-name rows, put in the merged window of the
 * timeseries row they close with (as the log lines are), and summed per
 * window and name. A segment without the file (an older qvrrun) means no
 * merged file: a partial one would not add up. */
static int load_names(struct merge *m)
{
    int cap = 0, rc = 0;
    for (int k = 0; k < m->nseg; k++) {
        struct seg *s = &m->segs[k];
        struct qvr_rname *rows = NULL;
        int n = 0, cur = 0;
        rc = qvr_rnames_load(s->dir, &rows, &n, m->err, m->errlen);
        if (rc == QVR_ENOTFOUND) {
            qvr_rnames_free(rows, n);
            m->err[0] = 0;
            rc = 0;
            goto none;
        }
        for (int i = 0; rc == 0 && i < n; i++) {
            double end = rows[i].end_s;
            while (cur < s->rd.nwin && s->rd.win[cur].end_s < end - MATCH_S)
                cur++;
            int b =
                cur < s->rd.nwin && fabs(s->rd.win[cur].end_s - end) <= MATCH_S
                    ? s->bucket[cur]
                    : grid_bucket(m, s->start + end - MATCH_S);
            if (m->nbn == cap) {
                cap = cap ? cap * 2 : 256;
                struct bname *g = realloc(m->bn, (size_t)cap * sizeof(*g));
                if (!g) {
                    rc = errf(m, QVR_ENOMEM, "out of memory merging names");
                    break;
                }
                m->bn = g;
            }
            struct bname *e = &m->bn[m->nbn++];
            e->b = b < m->nb ? b : m->nb - 1;
            e->name = rows[i].name;
            rows[i].name = NULL; /* now the merge's */
            e->requests = rows[i].requests;
            e->failures = rows[i].failures;
        }
        qvr_rnames_free(rows, n);
        if (rc < 0)
            return rc;
    }
    if (!m->bn)
        goto none;
    qsort(m->bn, (size_t)m->nbn, sizeof(*m->bn), bname_cmp);
    int j = 0;
    for (int i = 0; i < m->nbn; i++) {
        if (j && m->bn[j - 1].b == m->bn[i].b &&
            strcmp(m->bn[j - 1].name, m->bn[i].name) == 0) {
            m->bn[j - 1].requests += m->bn[i].requests;
            m->bn[j - 1].failures += m->bn[i].failures;
            free(m->bn[i].name);
        } else {
            m->bn[j++] = m->bn[i];
        }
    }
    m->nbn = j;
    qvr_buf_printf(&m->bn_out, "time_s,wall_s,name,requests,failures,rps,"
                               "p50_ms,p90_ms,p99_ms,max_ms\n");
    return 0;
none:
    for (int i = 0; i < m->nbn; i++)
        free(m->bn[i].name);
    free(m->bn);
    m->bn = NULL;
    m->nbn = 0;
    return rc;
}

/* The log series of a request name: its tag with the characters a tag
 * cannot hold made '_', as the run wrote it. */
static struct tacc *name_acc(struct merge *m, const char *name)
{
    for (int i = 1; i < m->nacc; i++) {
        const char *t = m->acc[i].tag, *c = name;
        if (!t || strncmp(t, "name:", 5) != 0)
            continue;
        for (t += 5; *c && *t; c++, t++)
            if (*t != (((unsigned char)*c <= ' ' || *c == ',' || *c == 0x7f)
                           ? '_'
                           : *c))
                break;
        if (!*c && !*t)
            return &m->acc[i];
    }
    return NULL;
}

/* Merged window b's rows of timeseries_by_name.csv: counts from the
 * segments' rows, percentiles from the names' merged log series. */
static void names_window(struct merge *m, int b)
{
    const struct qvr_window_row *w = &m->rows[b];
    for (; m->bn && m->bn_cur < m->nbn && m->bn[m->bn_cur].b <= b;
         m->bn_cur++) {
        const struct bname *e = &m->bn[m->bn_cur];
        struct tacc *a = name_acc(m, e->name);
        double p[3] = {0, 0, 0}, max_ms = 0;
        if (a && a->h->total) {
            pin(a->h, 0, a->max_us);
            p[0] = pct_ms(a->h, 50);
            p[1] = pct_ms(a->h, 90);
            p[2] = pct_ms(a->h, 99);
            max_ms = a->max_us / 1000.0;
        }
        qvr_buf_printf(&m->bn_out, "%.3f,%.3f,", w->t_s, w->wall_s);
        qvr_buf_csv_field(&m->bn_out, e->name, 0);
        qvr_buf_printf(&m->bn_out, "%llu,%llu,%.3f,%.3f,%.3f,%.3f,%.3f\n",
                       (unsigned long long)e->requests,
                       (unsigned long long)e->failures,
                       w->len_s > 0 ? e->requests / w->len_s : 0, p[0], p[1],
                       p[2], max_ms);
    }
}

static int write_names(struct merge *m)
{
    if (!m->bn)
        return 0;
    if (m->bn_out.truncated || !m->bn_out.data)
        return errf(m, QVR_ENOMEM,
                    "out of memory writing timeseries_by_name.csv");
    return qvr_report_write_file(m->out, "timeseries_by_name.csv",
                                 m->bn_out.data, m->bn_out.len, m->err,
                                 m->errlen);
}

/* ---- latency.hlog, streamed side by side ---- */

/* The merged window of a log line: the one of the timeseries row it
 * belongs to (one decision per segment window), or by its own midpoint. */
static int line_bucket(struct merge *m, struct seg *s, double start, double len)
{
    const struct qvr_rdir *rd = &s->rd;
    double end = start + len;
    while (s->cursor < rd->nwin && rd->win[s->cursor].end_s < end - MATCH_S)
        s->cursor++;
    int b;
    if (s->cursor < rd->nwin && fabs(rd->win[s->cursor].end_s - end) <= MATCH_S)
        b = s->bucket[s->cursor];
    else
        b = grid_bucket(m, s->start + start + len / 2);
    return b < m->nb ? b : m->nb - 1;
}

/* Reads s's next interval line; s->pending is 0 at the end of the log. */
static int seg_next(struct merge *m, struct seg *s)
{
    ssize_t n;
    s->pending = 0;
    while ((n = getline(&s->line, &s->cap, s->hlog)) >= 0) {
        s->lineno++;
        while (n > 0 && (s->line[n - 1] == '\n' || s->line[n - 1] == '\r'))
            s->line[--n] = 0;
        char *p = s->line, *end;
        if (!*p || *p == '#' || *p == '"')
            continue;
        s->tag = NULL;
        if (strncmp(p, "Tag=", 4) == 0) {
            s->tag = p + 4;
            if (!(p = strchr(s->tag, ',')))
                goto bad;
            *p++ = 0;
        }
        double v[3];
        for (int i = 0; i < 3; i++) {
            errno = 0;
            v[i] = strtod(p, &end);
            if (end == p || *end != ',' || errno == ERANGE || !(v[i] >= 0))
                goto bad;
            p = end + 1;
        }
        s->enc = p;
        s->max_us = us_of(v[2]);
        /* Timestamps past 1e9 s are absolute (HdrHistogram allows both). */
        double start = v[0] >= 1e9 ? v[0] - s->start : v[0];
        s->pb = line_bucket(m, s, start, v[1]);
        s->pending = 1;
        return 0;
    }
    if (ferror(s->hlog))
        return errf(m, QVR_EIO, "cannot read %s/latency.hlog: %s", s->dir,
                    strerror(errno));
    return 0;
bad:
    return errf(m, QVR_EINVAL,
                "%s/latency.hlog line %d: malformed interval "
                "line",
                s->dir, s->lineno);
}

static struct tacc *acc_for(struct merge *m, const char *tag)
{
    for (int i = 0; i < m->nacc; i++)
        if ((!tag && !m->acc[i].tag) ||
            (tag && m->acc[i].tag && strcmp(tag, m->acc[i].tag) == 0))
            return &m->acc[i];
    if (m->nacc == m->capacc) {
        int cap = m->capacc ? m->capacc * 2 : 8;
        struct tacc *n = realloc(m->acc, (size_t)cap * sizeof(*n));
        if (!n)
            return NULL;
        m->acc = n;
        m->capacc = cap;
    }
    struct tacc *a = &m->acc[m->nacc];
    a->tag = tag ? strdup(tag) : NULL;
    a->h = qvr_hist_new();
    a->max_us = 0;
    if ((tag && !a->tag) || !a->h) {
        free(a->tag);
        qvr_hist_free(a->h);
        return NULL;
    }
    m->nacc++;
    return a;
}

/* Folds s's pending line into its series of the merged window. */
static int fold(struct merge *m, struct seg *s)
{
    struct tacc *a = acc_for(m, s->tag);
    if (!a)
        return errf(m, QVR_ENOMEM, "out of memory merging latency.hlog");
    struct qvr_hist *x = NULL;
    int rc = qvr_hist_decode(s->enc, strlen(s->enc), &x);
    if (rc < 0)
        return errf(m, rc, "%s/latency.hlog line %d: %s", s->dir, s->lineno,
                    rc == QVR_ENOMEM ? "out of memory"
                                     : "not a valid histogram");
    qvr_hist_add(a->h, x);
    qvr_hist_free(x);
    if (s->max_us > a->max_us)
        a->max_us = s->max_us;
    return 0;
}

static int put_line(FILE *f, const struct tacc *a, double start, double len)
{
    char *enc = NULL;
    if (qvr_hist_encode(a->h, &enc) < 0)
        return QVR_ENOMEM;
    if (a->tag)
        fprintf(f, "Tag=%s,", a->tag);
    fprintf(f, "%.3f,%.3f,%.3f,%s\n", start, len,
            a->h->total ? a->max_us / 1000.0 : 0.0, enc);
    free(enc);
    return 0;
}

/* The merged window's token figures from its Tag=ttft/itl/tpot lines
 * (the segments' logs carry no token counts: output tokens/s stays
 * empty), and the same histograms for windowed token thresholds. */
static void merge_tok_row(struct merge *m, struct qvr_gate *g,
                          struct qvr_window_row *w)
{
    static const char *const tag[4] = {"ttft", "itl", "tpot", "out_tokens"};
    const struct qvr_hist *h[4] = {NULL, NULL, NULL, NULL};
    for (int i = 0; i < m->nacc; i++)
        for (int k = 0; k < 4; k++)
            if (m->acc[i].tag && strcmp(m->acc[i].tag, tag[k]) == 0 &&
                m->acc[i].h->total)
                h[k] = m->acc[i].h;
    if (!h[0] && !h[1] && !h[3])
        return;
    /* out_tokens: each stream's output tokens (exact below 2048 a stream);
     * without those lines (an older log) tokens/s stays empty */
    uint64_t streams = h[3] ? h[3]->total : (h[0] ? h[0]->total : 1);
    uint64_t tokens = 0;
    int idx = -1;
    uint64_t v, c;
    while (h[3] && qvr_hist_next(h[3], &idx, &v, &c))
        tokens += v * c;
    qvr_report_tok_row(w, h, streams, tokens);
    w->tok_no_tps = !h[3];
    qvr_gate_tok(g, h, streams, tokens);
}

/* Merged window b is complete: its percentiles, its log lines, the
 * windowed thresholds; then the series start empty again. */
static int emit_window(struct merge *m, FILE *f, struct qvr_gate *g, int b)
{
    struct qvr_window_row *w = &m->rows[b];
    struct tacc *all = &m->acc[0];
    pin(all->h, 0, all->max_us);
    w->p50_ms = pct_ms(all->h, 50);
    w->p90_ms = pct_ms(all->h, 90);
    w->p99_ms = pct_ms(all->h, 99);
    w->max_ms = all->h->total ? all->max_us / 1000.0 : 0;
    double start = b * m->win_s;
    for (int i = 0; i < m->nacc; i++) {
        struct tacc *a = &m->acc[i];
        if ((i == 0 || a->h->total) && put_line(f, a, start, w->len_s) < 0)
            return errf(m, QVR_ENOMEM, "out of memory writing latency.hlog");
    }
    merge_tok_row(m, g, w);
    qvr_gate_window(g, all->h, w->requests, w->failures, w->len_s, w->t_s);
    names_window(m, b);
    for (int i = 0; i < m->nacc; i++) {
        qvr_hist_reset(m->acc[i].h);
        m->acc[i].max_us = 0;
    }
    return 0;
}

static void hlog_header(const struct merge *m, FILE *f)
{
    /* clamp: start times come from files that may be hostile */
    time_t secs = m->t0 > 0 && m->t0 < 253402300800.0 ? (time_t)m->t0 : 0;
    char date[64];
    struct tm tm;
    gmtime_r(&secs, &tm);
    strftime(date, sizeof(date), "%a %b %d %H:%M:%S UTC %Y", &tm);
    fprintf(f,
            "#[Histogram log format version 1.3]\n"
            "#[StartTime: %.3f (seconds since epoch), %s]\n"
            "#[MaxValueDivisor: 1000.0]\n"
            "#[qvrrun: response time in microseconds from the intended "
            "start; untagged = all requests]\n"
            "#[qvrrun: merged from %d segments, windows aligned by wall "
            "clock]\n"
            "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\","
            "\"Interval_Compressed_Histogram\"\n",
            m->t0, date, m->nseg);
}

/* Streams every segment's latency.hlog into the merged one (a temp file
 * in out, renamed when everything else is written) and the merged windows'
 * percentiles, feeding the windowed thresholds on the way. */
static int merge_windows(struct merge *m, struct qvr_gate *g)
{
    int rc;
    if (!acc_for(m, NULL))
        return errf(m, QVR_ENOMEM, "out of memory merging latency.hlog");
    snprintf(m->hlog_tmp, sizeof(m->hlog_tmp), "%s/.latency.hlog.%ld.tmp",
             m->out, (long)getpid());
    FILE *f = fopen(m->hlog_tmp, "w");
    if (!f)
        return errf(m, QVR_EIO, "cannot write %s: %s", m->hlog_tmp,
                    strerror(errno));
    hlog_header(m, f);
    for (int k = 0; k < m->nseg; k++) {
        struct seg *s = &m->segs[k];
        char path[4200];
        snprintf(path, sizeof(path), "%s/latency.hlog", s->dir);
        if (!(s->hlog = fopen(path, "r"))) {
            rc = errf(m, errno == ENOENT ? QVR_ENOTFOUND : QVR_EIO,
                      "cannot read %s: %s", path, strerror(errno));
            goto out;
        }
        if ((rc = seg_next(m, s)) < 0)
            goto out;
    }
    for (int b = 0; b < m->nb; b++) {
        for (int k = 0; k < m->nseg; k++) {
            struct seg *s = &m->segs[k];
            while (s->pending && s->pb <= b) {
                if ((rc = fold(m, s)) < 0 || (rc = seg_next(m, s)) < 0)
                    goto out;
            }
        }
        if ((rc = emit_window(m, f, g, b)) < 0)
            goto out;
    }
    rc = 0;
out:
    if (fflush(f) != 0 || ferror(f)) {
        if (rc == 0)
            rc = errf(m, QVR_EIO, "cannot write %s: %s", m->hlog_tmp,
                      strerror(errno));
    }
    if (fclose(f) != 0 && rc == 0)
        rc = errf(m, QVR_EIO, "cannot write %s: %s", m->hlog_tmp,
                  strerror(errno));
    return rc;
}

/* ---- thresholds ---- */

/* "p99{task=a} < 5s" -> key "p99{task=a}", cond "< 5s": split at the
 * first of < > = outside tags and windows. */
static int split_expr(const char *expr, char *key, size_t klen, char *cond,
                      size_t clen)
{
    int depth = 0;
    for (const char *p = expr; *p; p++) {
        if (*p == '{' || *p == '[') {
            depth++;
        } else if ((*p == '}' || *p == ']') && depth > 0) {
            depth--;
        } else if (!depth && strchr("<>=", *p)) {
            size_t n = (size_t)(p - expr);
            while (n > 0 && expr[n - 1] == ' ')
                n--;
            if (n == 0 || n >= klen)
                return QVR_EINVAL;
            memcpy(key, expr, n);
            key[n] = 0;
            snprintf(cond, clen, "%s", p);
            return 0;
        }
    }
    return QVR_EINVAL;
}

static int load_thresholds(struct merge *m)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(m->first, "thresholds");
    int n = cJSON_IsArray(a) ? cJSON_GetArraySize(a) : 0;
    m->th = calloc((size_t)(n ? n : 1), sizeof(*m->th));
    if (!m->th)
        return errf(m, QVR_ENOMEM, "out of memory reading thresholds");
    const cJSON *it;
    cJSON_ArrayForEach(it, a)
    {
        const char *expr = jstr(it, "expr");
        char key[QVR_THRESH_EXPR_LEN], cond[QVR_THRESH_EXPR_LEN], why[160];
        struct qvr_plan_thresh *pt = &m->th[m->nth];
        if (!expr || split_expr(expr, key, sizeof(key), cond, sizeof(cond)))
            return errf(m, QVR_EINVAL,
                        "%s/summary.json: threshold %d has no expression "
                        "\"key OP value\"",
                        m->segs[0].dir, m->nth + 1);
        if (qvr_thresh_parse(key, cond, &pt->t, why, sizeof(why)) < 0)
            return errf(m, QVR_EINVAL, "%s/summary.json: threshold '%s': %s",
                        m->segs[0].dir, expr, why);
        pt->value = NAN;
        m->nth++;
    }
    return 0;
}

/* The scenario's load from config.load, for the closed shapes whose
 * steady phase (where trends are fitted) starts when the most users run. */
static void load_from_config(struct merge *m)
{
    const cJSON *ld = jobj(jobj(m->first, "config"), "load");
    const char *shape = jstr(ld, "shape");
    struct qvr_load *l = &m->load;
    memset(l, 0, sizeof(*l));
    m->has_load = 0;
    if (!shape)
        return;
    if (strcmp(shape, "users") == 0) {
        l->kind = QVR_LOAD_USERS;
        l->users = (int)jnum(ld, "count", 0);
        l->spawn_rate = jnum(ld, "spawn_rate", 0);
        l->duration_ns = (uint64_t)(jnum(ld, "duration_s", 0) * 1e9);
        m->has_load = l->users > 0;
    } else if (strcmp(shape, "ramp") == 0) {
        const cJSON *st;
        l->kind = QVR_LOAD_RAMP;
        cJSON_ArrayForEach(st, cJSON_GetObjectItemCaseSensitive(ld, "stages"))
        {
            if (l->nstages == QVR_MAX_STAGES)
                break;
            l->stages[l->nstages].users = (int)jnum(st, "users", 0);
            l->stages[l->nstages].dur_ns =
                (uint64_t)(jnum(st, "duration_s", 0) * 1e9);
            l->nstages++;
        }
        m->has_load = l->nstages > 0;
    } else if (strcmp(shape, "steps") == 0) {
        const cJSON *us = cJSON_GetObjectItemCaseSensitive(ld, "users"), *v;
        l->kind = QVR_LOAD_STEPS;
        l->hold_ns = (uint64_t)(jnum(ld, "hold_s", 0) * 1e9);
        l->settle_ns = (uint64_t)(jnum(ld, "settle_s", 0) * 1e9);
        if (!cJSON_IsArray(us))
            return; /* rate or payload steps: trends from the start */
        cJSON_ArrayForEach(v, us)
        {
            if (l->nsteps < QVR_MAX_STEPS && cJSON_IsNumber(v))
                l->steps[l->nsteps++].users = (int)v->valuedouble;
        }
        m->has_load = l->nsteps > 0;
    }
}

/* Seconds after the start when the plan first runs its most users, as a
 * run computes it; 0 for open loads. */
static double steady_from(const struct merge *m)
{
    if (!m->has_load)
        return 0;
    const struct qvr_load *l = &m->load;
    return (double)qvr_sched_full_ns(l) / 1e9;
}

static double stat_value(struct merge *m, const struct qvr_thresh *t)
{
    struct mstat *s = &m->stats[0];
    if (t->ntags > 1)
        return NAN;
    if (t->ntags == 1) {
        const char *k = t->tags[0].key;
        if (strcmp(k, "task") != 0 && strcmp(k, "name") != 0)
            return NAN;
        if (!(s = stat_find(m, k, t->tags[0].value)))
            return NAN;
    }
    uint64_t n = s->checks_ok + s->checks_fail;
    switch (t->metric) {
    case QVR_TM_PCTL:
        return s->requests && s->exact ? pct_ms(s->resp, t->pct) : NAN;
    case QVR_TM_MIN:
        return s->requests ? s->min_ms : NAN;
    case QVR_TM_MAX:
        return s->requests ? s->max_ms : NAN;
    case QVR_TM_MEAN:
        return s->requests ? s->mean_sum / (double)s->requests : NAN;
    case QVR_TM_RPS:
        return m->span > 0 ? s->requests / m->span : NAN;
    case QVR_TM_ERROR_RATE:
        return s->requests ? (double)s->failures / s->requests : NAN;
    case QVR_TM_GOODPUT:
        return m->span > 0 ? s->good / m->span : NAN;
    case QVR_TM_CHECKS:
        return n ? (double)s->checks_ok / n : NAN;
    case QVR_TM_TASK_ERRORS:
        if (t->kind == QVR_TK_COUNT)
            return (double)s->script_errors;
        return s->iters ? (double)s->script_errors / s->iters : NAN;
    default:
        return NAN;
    }
}

/* A threshold without a value because what it reads never occurred: says
 * so in pt->why, with the names or tasks that did have requests, as a run
 * does (qvr_gate_no_data). */
static void explain_no_data(struct merge *m, struct qvr_plan_thresh *pt)
{
    const struct qvr_thresh *t = &pt->t;
    const struct mstat *s = &m->stats[0];
    if (!isnan(pt->value) || pt->skipped || t->kind == QVR_TK_TREND ||
        t->ntags > 1)
        return;
    if (t->ntags)
        s = stat_find(m, t->tags[0].key, t->tags[0].value);
    const char **seen = malloc(sizeof(*seen) * (size_t)m->nstats);
    int nseen = 0;
    for (int i = 1; seen && t->ntags && i < m->nstats; i++)
        if (strcmp(m->stats[i].key, t->tags[0].key) == 0 &&
            m->stats[i].requests)
            seen[nseen++] = m->stats[i].name;
    qvr_gate_no_data(pt, s ? s->requests : 0,
                     s ? s->checks_ok + s->checks_fail : 0, seen, nseen);
    free(seen);
}

/* Every threshold on the whole run; windowed ones were fed window by
 * window. Returns the number that failed. */
static int eval_thresholds(struct merge *m, struct qvr_gate *g)
{
    int failed = 0;
    double from = steady_from(m);
    qvr_gate_finish(g);
    /* trends: too few steady windows is "n/a", never a failure */
    qvr_gate_trends(m->th, m->nth, m->rows, m->nb, from, m->win_s);
    for (int i = 0; i < m->nth; i++) {
        struct qvr_plan_thresh *pt = &m->th[i];
        if (!pt->t.window_ns && pt->t.kind != QVR_TK_TREND) {
            pt->value = stat_value(m, &pt->t);
            pt->ok = !isnan(pt->value) && qvr_thresh_check(&pt->t, pt->value);
            pt->evaluated = 1;
        }
        explain_no_data(m, pt);
        failed += !pt->ok;
    }
    /* no data is a failure, never a pass: say which and why, once */
    qvr_gate_warn_no_data(m->th, m->nth);
    cJSON *a = cJSON_AddArrayToObject(m->root, "thresholds");
    for (int i = 0; i < m->nth; i++)
        cJSON_AddItemToArray(a, qvr_verdict_json_new(&m->th[i]));
    return failed;
}

/* ---- steps ---- */

/* The varied payload variable of a steps{vary=} load, from config.load. */
static const char *vary_name(const cJSON *first)
{
    const cJSON *ld = jobj(jobj(first, "config"), "load"), *it;
    const char *shape = jstr(ld, "shape");
    if (!shape || strcmp(shape, "steps") != 0)
        return NULL;
    cJSON_ArrayForEach(it, ld)
    {
        if (cJSON_IsArray(it) && it->string &&
            strcmp(it->string, "users") != 0 && strcmp(it->string, "rps") != 0)
            return it->string;
    }
    return NULL;
}

/* Step i of every segment into one row: planned and achieved load,
 * counts and rates summed; latency from the steps' histograms when each
 * has one, else the worst segment's (a bound, marked inexact). */
static int merge_step(struct merge *m, int i, struct qvr_step_row *r,
                      struct qvr_hist *h, int *exact)
{
    double pmax[5] = {0};
    static const char *const keys[5] = {"p50", "p90", "p95", "p99", "max"};
    uint64_t max_us = 0;
    int with_req = 0;
    *exact = 1;
    qvr_hist_reset(h);
    for (int k = 0; k < m->nseg; k++) {
        const struct seg *s = &m->segs[k];
        const cJSON *o = cJSON_GetArrayItem(
            cJSON_GetObjectItemCaseSensitive(s->rd.summary, "steps"), i);
        if (!cJSON_IsObject(o))
            continue;
        if (k == 0) {
            r->index = (int)jnum(o, "step", i + 1);
            r->label = jstr(o, "label");
            if (m->vary) {
                r->vary = jnum(o, m->vary, 0);
                r->has_vary = 1;
            }
        }
        r->users += (int)jnum(o, "users", 0);
        r->rate += jnum(o, "rate", 0);
        r->duration_s = fmax(r->duration_s, jnum(o, "duration_s", 0));
        r->achieved_users += jnum(o, "achieved_users", 0);
        r->achieved_rate += jnum(o, "achieved_rate", 0);
        with_req += jcount(o, "requests") > 0;
        r->requests += jcount(o, "requests");
        r->failures += jcount(o, "failures");
        r->refused += jcount(o, "refused");
        r->late += jcount(o, "late");
        r->dropped += jcount(o, "dropped");
        r->rps += jnum(o, "rps", 0);
        const cJSON *lat = jobj(o, "latency_ms");
        for (int j = 0; j < 5; j++)
            pmax[j] = fmax(pmax[j], jnum(lat, keys[j], 0));
        if (us_of(jnum(lat, "max", 0)) > max_us)
            max_us = us_of(jnum(lat, "max", 0));
        char what[32];
        snprintf(what, sizeof(what), "steps[%d]", i);
        int rc = add_hist(m, s, o, "histogram_us", what, h, exact);
        if (rc < 0)
            return rc;
    }
    pin(h, 0, max_us);
    if (*exact && h->total == r->requests) {
        r->p50_ms = pct_ms(h, 50);
        r->p90_ms = pct_ms(h, 90);
        r->p95_ms = pct_ms(h, 95);
        r->p99_ms = pct_ms(h, 99);
    } else {
        /* The worst segment's: a bound, or the figure itself when only
         * one segment had requests in this step. */
        *exact = with_req <= 1;
        r->p50_ms = pmax[0];
        r->p90_ms = pmax[1];
        r->p95_ms = pmax[2];
        r->p99_ms = pmax[3];
    }
    r->max_ms = pmax[4];
    r->error_rate = r->requests ? (double)r->failures / r->requests : 0;
    return 0;
}

static void step_json(const struct merge *m, cJSON *st,
                      const struct qvr_step_row *s, const struct qvr_hist *h,
                      int exact)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "step", s->index);
    if (s->label)
        cJSON_AddStringToObject(o, "label", s->label);
    if (s->rate > 0)
        cJSON_AddNumberToObject(o, "rate", r3(s->rate));
    else
        cJSON_AddNumberToObject(o, "users", s->users);
    if (m->vary)
        cJSON_AddNumberToObject(o, m->vary, s->vary);
    cJSON_AddNumberToObject(o, "duration_s", r3(s->duration_s));
    cJSON_AddNumberToObject(o, "achieved_users", r3(s->achieved_users));
    cJSON_AddNumberToObject(o, "achieved_rate", r3(s->achieved_rate));
    cJSON_AddBoolToObject(o, "under_delivered", s->under);
    cJSON_AddNumberToObject(o, "requests", (double)s->requests);
    cJSON_AddNumberToObject(o, "failures", (double)s->failures);
    cJSON_AddNumberToObject(o, "refused", (double)s->refused);
    cJSON_AddNumberToObject(o, "late", (double)s->late);
    cJSON_AddNumberToObject(o, "dropped", (double)s->dropped);
    cJSON_AddNumberToObject(o, "rps", r3(s->rps));
    cJSON *l = cJSON_AddObjectToObject(o, "latency_ms");
    cJSON_AddNumberToObject(l, "p50", s->p50_ms);
    cJSON_AddNumberToObject(l, "p90", s->p90_ms);
    cJSON_AddNumberToObject(l, "p95", s->p95_ms);
    cJSON_AddNumberToObject(l, "p99", s->p99_ms);
    cJSON_AddNumberToObject(l, "max", s->max_ms);
    if (!exact)
        cJSON_AddFalseToObject(l, "exact");
    cJSON_AddNumberToObject(o, "error_rate", s->error_rate);
    cJSON_AddBoolToObject(o, "slo_ok", s->slo_ok);
    cJSON_AddStringToObject(o, "note", s->note);
    if (exact && h->total)
        add_hist_member(o, "histogram_us", h);
    cJSON_AddItemToArray(st, o);
}

static double step_level(const struct merge *m, const struct qvr_step_row *s)
{
    return m->vary ? s->vary : (s->rate > 0 ? s->rate : s->users);
}

static void knee_json(struct merge *m)
{
    cJSON *k = cJSON_AddObjectToObject(m->root, "knee");
    const struct qvr_knee *kn = &m->knee;
    /* As a run's summary.json keys it (report.c): rate steps and sweeps
     * (whose knee is always a rate step) in rps. */
    int rate_steps = 0;
    for (int i = 0; i < m->nsteps; i++)
        rate_steps |= m->steps[i].rate > 0 || qvr_steps_reference(&m->steps[i]);
    const char *unit = m->vary ? m->vary : (rate_steps ? "rps" : "users");
    char key[48];
    if (kn->knee >= 0) {
        cJSON_AddNumberToObject(k, "step", m->steps[kn->knee].index);
        cJSON_AddNumberToObject(k, unit, step_level(m, &m->steps[kn->knee]));
    } else {
        cJSON_AddNullToObject(k, "step");
    }
    snprintf(key, sizeof(key), "safe_%s", unit);
    if (kn->safe >= 0) {
        cJSON_AddNumberToObject(k, "safe_step", m->steps[kn->safe].index);
        cJSON_AddNumberToObject(k, key, step_level(m, &m->steps[kn->safe]));
    } else {
        cJSON_AddNullToObject(k, "safe_step");
        cJSON_AddNullToObject(k, key);
    }
    if (kn->best_slo >= 0) {
        cJSON_AddNumberToObject(k, "best_slo_step",
                                m->steps[kn->best_slo].index);
        cJSON_AddNumberToObject(k, "goodput_rps",
                                r3(m->steps[kn->best_slo].rps));
    }
    cJSON_AddBoolToObject(k, "saturated", kn->saturated);
}

/* The SLO the knee is judged by: config.slo when the run wrote it, else
 * the scenario default (p99 < 5s, errors < 5%). */
static void load_slo(struct merge *m)
{
    const cJSON *s = jobj(jobj(m->first, "config"), "slo");
    m->slo.pct = jnum(s, "pct", 99);
    m->slo.p99_ms = jnum(s, "latency_ms", 5000);
    m->slo.error_rate = jnum(s, "error_rate", 0.05);
}

static int merge_steps(struct merge *m)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(m->first, "steps");
    int n = cJSON_IsArray(a) ? cJSON_GetArraySize(a) : 0;
    if (!n)
        return 0;
    m->vary = vary_name(m->first);
    load_slo(m);
    m->steps = calloc((size_t)n, sizeof(*m->steps));
    int *exact = calloc((size_t)n, sizeof(int));
    struct qvr_hist **h = calloc((size_t)n, sizeof(*h));
    int rc = QVR_ENOMEM;
    if (!m->steps || !exact || !h) {
        errf(m, rc, "out of memory merging steps");
        goto out;
    }
    m->nsteps = n;
    for (int i = 0; i < n; i++) {
        if (!(h[i] = qvr_hist_new())) {
            rc = errf(m, QVR_ENOMEM, "out of memory merging steps");
            goto out;
        }
        if ((rc = merge_step(m, i, &m->steps[i], h[i], &exact[i])) < 0)
            goto out;
    }
    qvr_steps_analyse(m->steps, n, &m->slo, &m->knee);
    cJSON *st = cJSON_AddArrayToObject(m->root, "steps");
    for (int i = 0; i < n; i++)
        step_json(m, st, &m->steps[i], h[i], exact[i]);
    knee_json(m);
    rc = 0;
out:
    for (int i = 0; h && i < n; i++)
        qvr_hist_free(h[i]);
    free(h);
    free(exact);
    return rc;
}

/* ---- arrivals, findings ---- */

static void merge_arrivals(struct merge *m)
{
    double intended = 0, started = 0, achieved = 0, late = 0, dropped = 0;
    int any = 0, steps = 0;
    for (int k = 0; k < m->nseg; k++) {
        const cJSON *a = jobj(m->segs[k].rd.summary, "arrivals");
        if (!a)
            continue;
        any = 1;
        steps |= jobj(a, "outside_steps") != NULL;
        intended += jnum(a, "intended_rps", 0);
        started += jnum(a, "started", 0);
        achieved += jnum(a, "achieved_rps", 0);
        late += jnum(a, "late", 0);
        dropped += jnum(a, "dropped", 0);
    }
    if (!any)
        return;
    cJSON *o = cJSON_AddObjectToObject(m->root, "arrivals");
    if (intended > 0)
        cJSON_AddNumberToObject(o, "intended_rps", r3(intended));
    cJSON_AddNumberToObject(o, "started", started);
    cJSON_AddNumberToObject(o, "achieved_rps", r3(achieved));
    cJSON_AddNumberToObject(o, "late", late);
    cJSON_AddNumberToObject(o, "dropped", dropped);
    if (steps) {
        /* as a run says it: what the merged step rows do not count */
        double sl = 0, sd = 0;
        for (int i = 0; i < m->nsteps; i++) {
            sl += (double)m->steps[i].late;
            sd += (double)m->steps[i].dropped;
        }
        cJSON *x = cJSON_AddObjectToObject(o, "outside_steps");
        cJSON_AddNumberToObject(x, "late", late > sl ? late - sl : 0);
        cJSON_AddNumberToObject(x, "dropped", dropped > sd ? dropped - sd : 0);
    }
    /* The gaps between starts of different machines are not known. */
    cJSON_AddNullToObject(o, "start_gap_cv");
}

/* Drift over the steady phase of the merged windows, with the rules and
 * words of a single run (qvr_drift_findings). */
static void drift_findings(struct merge *m)
{
    char *f[4];
    int nf = qvr_drift_findings(m->th, m->nth, m->rows, m->nb, steady_from(m),
                                m->win_s, f, (int)QVR_ARRAY_LEN(f));
    for (int i = 0; i < nf; i++) {
        add_finding(m, "%s", f[i]);
        free(f[i]);
    }
}

static void knee_finding(struct merge *m)
{
    const struct qvr_knee *k = &m->knee;
    char what[64], safe[128] = "";
    if (!m->nsteps)
        return;
    if (k->knee < 0) {
        add_finding(m,
                    "no knee: throughput kept rising and every step met "
                    "the SLO (p99 < %.0f ms, errors < %.1f%%)",
                    m->slo.p99_ms, m->slo.error_rate * 100);
        return;
    }
    const struct qvr_step_row *s = &m->steps[k->knee];
    if (m->vary)
        snprintf(what, sizeof(what), "%s = %g", m->vary, s->vary);
    else if (s->rate > 0)
        snprintf(what, sizeof(what), "%.2f req/s offered", s->rate);
    else
        snprintf(what, sizeof(what), "%d users", s->users);
    if (k->safe >= 0) {
        const struct qvr_step_row *g = &m->steps[k->safe];
        snprintf(safe, sizeof(safe),
                 "; safe level: %s %g (%.1f req/s, p99 %.0f ms)",
                 m->vary ? m->vary : (g->rate > 0 ? "rate" : "users"),
                 step_level(m, g), g->rps, g->p99_ms);
    }
    /* The step the knee was compared with (a sweep's reference rows are
     * not steps of the curve). */
    int prev = k->prev >= 0 ? k->prev : k->knee - 1;
    if (!s->slo_ok || k->knee == 0 || prev < 0)
        add_finding(m,
                    "knee at step %d (%s): it breaks the SLO (p99 %.0f ms, "
                    "errors %.1f%%)%s",
                    s->index, what, s->p99_ms, s->error_rate * 100, safe);
    else
        add_finding(m,
                    "knee at step %d (%s): throughput %.1f req/s, hardly "
                    "above the step before (%.1f req/s) while p99 went "
                    "%.0f -> %.0f ms%s",
                    s->index, what, s->rps, m->steps[prev].rps,
                    m->steps[prev].p99_ms, s->p99_ms, safe);
}

/* A segment's finding that the merge makes again on the whole run (the
 * knee, drift): the version of a part would only mislead. */
static int rederived(const char *f)
{
    static const char *const heads[] = {"knee at ", "no knee:"};
    for (size_t i = 0; i < QVR_ARRAY_LEN(heads); i++)
        if (strncmp(f, heads[i], strlen(heads[i])) == 0)
            return 1;
    return qvr_drift_finding_is(f);
}

static void merged_findings(struct merge *m)
{
    double lo = INFINITY, hi = -INFINITY;
    for (int k = 0; k < m->nseg; k++) {
        lo = fmin(lo, m->segs[k].start);
        hi = fmax(hi, m->segs[k].start);
    }
    add_finding(m,
                "merged from %d segments: %llu requests, %.1f req/s over "
                "%.1f s; their measured starts lie within %.3f s",
                m->nseg, (unsigned long long)m->stats[0].requests,
                m->span > 0 ? m->stats[0].requests / m->span : 0, m->span,
                hi - lo);
    if (hi - lo > m->win_s)
        add_finding(m,
                    "the segments started %.1f s apart (more than a "
                    "window of %.1f s): the first and last windows hold "
                    "only part of the load; use the same --start-at",
                    hi - lo, m->win_s);
    for (int i = 0; i < m->nth; i++) {
        const struct qvr_plan_thresh *pt = &m->th[i];
        char buf[64];
        if (!pt->ok)
            add_finding(
                m, "threshold %s failed on the merged run: measured %s%s%s",
                pt->t.expr,
                qvr_thresh_fmt_value(&pt->t, pt->value, buf, sizeof(buf)),
                isnan(pt->value) && pt->why[0] ? ": " : "",
                isnan(pt->value) ? pt->why : "");
    }
    knee_finding(m);
    drift_findings(m);
    for (int k = 0; k < m->nseg; k++) {
        const struct seg *s = &m->segs[k];
        const cJSON *sm = s->rd.summary, *it;
        const char *ab = jstr(sm, "aborted");
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(sm, "interrupted")))
            add_finding(m,
                        "segment %d/%d (%s) was interrupted: its results "
                        "end early",
                        s->index, s->count, s->dir);
        if (ab)
            add_finding(m, "segment %d/%d (%s) was stopped: %s", s->index,
                        s->count, s->dir, ab);
        cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(sm, "findings"))
        {
            if (cJSON_IsString(it) && !rederived(it->valuestring))
                add_finding(m, "segment %d/%d: %s", s->index, s->count,
                            it->valuestring);
        }
    }
}

/* ---- output ---- */

/* out must be missing or an empty directory: a merge never mixes its files
 * with another run's. */
static int check_out(struct merge *m)
{
    struct stat st;
    if (stat(m->out, &st) < 0)
        return errno == ENOENT ? 0
                               : errf(m, QVR_EIO, "cannot use %s: %s", m->out,
                                      strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return errf(m, QVR_ESTATE, "%s: exists and is not a directory", m->out);
    DIR *d = opendir(m->out);
    if (!d)
        return errf(m, QVR_EIO, "cannot read %s: %s", m->out, strerror(errno));
    struct dirent *e;
    int empty = 1;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            empty = 0;
    closedir(d);
    if (!empty)
        return errf(m, QVR_ESTATE,
                    "%s: not empty: merge into a new or empty directory",
                    m->out);
    return 0;
}

static int write_timeseries(struct merge *m)
{
    struct qvr_buf b;
    qvr_buf_init(&b, 0);
    qvr_buf_printf(&b,
                   "time_s,wall_s,users,requests,failures,rps,p50_ms,"
                   "p90_ms,p99_ms,max_ms%s\n",
                   QVR_REPORT_TOK_COLUMNS);
    for (int i = 0; i < m->nb; i++) {
        const struct qvr_window_row *w = &m->rows[i];
        qvr_report_window_csv(&b, w);
        qvr_report_tok_cells(w, &b);
        qvr_buf_printf(&b, "\n");
    }
    int rc = b.truncated || (m->nb && !b.data)
                 ? errf(m, QVR_ENOMEM, "out of memory writing timeseries.csv")
                 : qvr_report_write_file(m->out, "timeseries.csv",
                                         b.data ? b.data : "", b.len, m->err,
                                         m->errlen);
    qvr_buf_free(&b);
    return rc;
}

static int write_steps(struct merge *m)
{
    if (!m->nsteps)
        return 0;
    struct qvr_buf b;
    qvr_buf_init(&b, 0);
    qvr_steps_csv(m->steps, m->nsteps, m->vary, &b);
    int rc = b.truncated || !b.data
                 ? errf(m, QVR_ENOMEM, "out of memory writing steps.csv")
                 : qvr_report_write_file(m->out, "steps.csv", b.data, b.len,
                                         m->err, m->errlen);
    qvr_buf_free(&b);
    return rc;
}

static int write_summary(struct merge *m)
{
    char *js = cJSON_Print(m->root);
    if (!js)
        return errf(m, QVR_ENOMEM, "out of memory writing summary.json");
    size_t jl = strlen(js);
    char *nl = malloc(jl + 2);
    int rc;
    if (!nl) {
        rc = errf(m, QVR_ENOMEM, "out of memory writing summary.json");
    } else {
        memcpy(nl, js, jl);
        nl[jl] = '\n';
        rc = qvr_report_write_file(m->out, "summary.json", nl, jl + 1, m->err,
                                   m->errlen);
        free(nl);
    }
    cJSON_free(js);
    return rc;
}

/* The latency format of every table (base/fmt.c). */
static void fmt_ms(double v, char *buf, size_t len)
{
    qvr_fmt_ms(v, buf, len);
}

static void print_row(const struct merge *m, FILE *out, const char *name,
                      const struct mstat *s)
{
    char p50[16] = "n/a", p99[16] = "n/a";
    if (s->exact) {
        fmt_ms(pct_ms(s->resp, 50), p50, sizeof(p50));
        fmt_ms(pct_ms(s->resp, 99), p99, sizeof(p99));
    }
    fprintf(out, "  %-28.28s %9llu %8llu %9.1f %8s %8s %7.2f%%\n", name,
            (unsigned long long)s->requests, (unsigned long long)s->failures,
            m->span > 0 ? s->requests / m->span : 0, p50, p99,
            s->requests ? 100.0 * s->failures / s->requests : 0);
}

static void print_table(const struct merge *m, FILE *out)
{
    fprintf(out, "\n  merged %d segments of %s into %s\n", m->nseg,
            m->segs[0].rd.scenario, m->out);
    fprintf(out, "\n  %-28s %9s %8s %9s %8s %8s %8s\n", "name", "requests",
            "failures", "req/s", "p50", "p99", "errors");
    for (int i = 1; i < m->nstats; i++)
        if (strcmp(m->stats[i].key, "name") == 0)
            print_row(m, out, m->stats[i].name, &m->stats[i]);
    print_row(m, out, "TOTAL", &m->stats[0]);
    if (m->nsteps)
        qvr_steps_print(m->steps, m->nsteps, m->vary, &m->knee, out);
    if (m->nth)
        fprintf(out, "\n  thresholds:\n");
    for (int i = 0; i < m->nth; i++)
        qvr_gate_print(&m->th[i], out);
    fprintf(out, "\n  results: %s/summary.json\n", m->out);
    fflush(out);
}

/* The head of the merged summary, in the writer's key order: everything
 * up to the checks and errors. */
static int summary_head(struct merge *m, cJSON **exit_item)
{
    cJSON *r = m->root;
    int interrupted = 0, rc;
    const char *aborted = NULL;
    for (int k = 0; k < m->nseg; k++) {
        const cJSON *sm = m->segs[k].rd.summary;
        interrupted |=
            cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(sm, "interrupted"));
        if (!aborted)
            aborted = jstr(sm, "aborted");
    }
    cJSON_AddStringToObject(r, "schema", "qvrrun.summary/1");
    cJSON_AddStringToObject(r, "scenario", m->segs[0].rd.scenario);
    *exit_item = cJSON_AddNumberToObject(r, "exit_code", 0);
    cJSON_AddBoolToObject(r, "interrupted", interrupted);
    if (aborted)
        cJSON_AddStringToObject(r, "aborted", aborted);
    const cJSON *tg = jobj(m->first, "target");
    if (tg)
        cJSON_AddItemToObject(r, "target", cJSON_Duplicate(tg, 1));
    cJSON_AddNumberToObject(r, "started", r3(m->t0));
    cJSON_AddNumberToObject(r, "duration_s", r3(m->span));
    cJSON_AddNumberToObject(r, "max_users", m->max_users);
    cJSON *sa = cJSON_AddArrayToObject(r, "segments");
    for (int k = 0; k < m->nseg; k++) {
        const struct seg *s = &m->segs[k];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "index", s->index);
        cJSON_AddNumberToObject(o, "count", s->count);
        cJSON_AddStringToObject(o, "dir", s->dir);
        cJSON_AddNumberToObject(o, "started", r3(s->start));
        cJSON_AddNumberToObject(o, "duration_s",
                                jnum(s->rd.summary, "duration_s", 0));
        cJSON_AddNumberToObject(
            o, "requests",
            (double)jcount(jobj(s->rd.summary, "totals"), "requests"));
        cJSON_AddNumberToObject(o, "exit_code",
                                jnum(s->rd.summary, "exit_code", 0));
        cJSON_AddItemToArray(sa, o);
    }
    cJSON_AddNumberToObject(r, "steady_from_s", r3(steady_from(m)));
    cJSON *cf = cJSON_Duplicate(jobj(m->first, "config"), 1);
    cJSON_DeleteItemFromObjectCaseSensitive(cf, "segment");
    cJSON_AddItemToObject(r, "config", cf);
    if ((rc = stat_push(m, NULL, NULL)) < 0 ||
        (rc = merge_stat(m, &m->stats[0], "totals", r, "totals", m->span, 1)) <
            0 ||
        (rc = merge_section(m, "names", "name")) < 0 ||
        (rc = merge_section(m, "tasks", "task")) < 0)
        return rc;
    for (int k = 0; k < m->nseg; k++) {
        if (!jobj(m->segs[k].rd.summary, "warmup"))
            continue;
        struct mstat w;
        memset(&w, 0, sizeof(w));
        rc = merge_stat(m, &w, "warmup", r, "warmup", 0, 0);
        qvr_hist_free(w.resp);
        if (rc < 0)
            return rc;
        break;
    }
    if ((rc = merge_labels(m, "checks", "name")) < 0 ||
        (rc = merge_labels(m, "errors", "message")) < 0)
        return rc;
    return 0;
}

static void merge_free(struct merge *m)
{
    for (int k = 0; m->segs && k < m->nseg; k++) {
        struct seg *s = &m->segs[k];
        qvr_rdir_free(&s->rd);
        free(s->bucket);
        free(s->line);
        if (s->hlog)
            fclose(s->hlog);
    }
    free(m->segs);
    free(m->rows);
    for (int i = 0; i < m->nstats; i++)
        qvr_hist_free(m->stats[i].resp);
    free(m->stats);
    for (int i = 0; i < m->nacc; i++) {
        free(m->acc[i].tag);
        qvr_hist_free(m->acc[i].h);
    }
    free(m->acc);
    free(m->th);
    free(m->steps);
    for (int i = 0; i < m->nfindings; i++)
        free(m->findings[i]);
    cJSON_Delete(m->root);
    for (int i = 0; i < m->nbn; i++)
        free(m->bn[i].name);
    free(m->bn);
    qvr_buf_free(&m->bn_out);
    if (m->hlog_tmp[0])
        unlink(m->hlog_tmp);
}

int qvr_merge_dirs(const char *out, const char *const *dirs, int ndirs,
                   const struct qvr_render_opts *ro, FILE *table, char *err,
                   unsigned long errlen)
{
    struct merge m;
    struct qvr_render_opts none;
    struct qvr_gate *g = NULL;
    cJSON *exit_item = NULL;
    int rc, failed = 0;
    memset(&m, 0, sizeof(m));
    memset(&none, 0, sizeof(none));
    if (!ro)
        ro = &none;
    m.out = out;
    m.ro = ro;
    m.err = err;
    m.errlen = errlen;
    err[0] = 0;
    if (ndirs < 1) {
        rc = errf(&m, QVR_ESTATE,
                  "give the result directories of the "
                  "segments to merge");
        goto done;
    }
    if ((rc = check_out(&m)) < 0)
        goto done;
    if (!(m.segs = calloc((size_t)ndirs, sizeof(*m.segs)))) {
        rc = errf(&m, QVR_ENOMEM, "out of memory");
        goto done;
    }
    for (int k = 0; k < ndirs; k++) {
        m.segs[k].dir = dirs[k];
        m.nseg++;
        if ((rc = load_seg(&m, &m.segs[k])) < 0)
            goto done;
    }
    if ((rc = check_together(&m)) < 0 || (rc = lay_windows(&m)) < 0 ||
        (rc = load_names(&m)) < 0 || (rc = load_thresholds(&m)) < 0)
        goto done;
    load_from_config(&m);
    if (qvr_report_mkdir_p(out) < 0) {
        rc = errf(&m, QVR_EIO, "cannot create %s: %s", out, strerror(errno));
        goto done;
    }
    if (!(m.root = cJSON_CreateObject()) ||
        !(g = qvr_gate_new(m.th, m.nth, (uint64_t)llround(m.win_s * 1e9)))) {
        rc = errf(&m, QVR_ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = summary_head(&m, &exit_item)) < 0 ||
        (rc = merge_windows(&m, g)) < 0)
        goto done;
    failed = eval_thresholds(&m, g);
    if ((rc = merge_steps(&m)) < 0)
        goto done;
    merge_arrivals(&m);
    merged_findings(&m);
    cJSON *f = cJSON_AddArrayToObject(m.root, "findings");
    for (int i = 0; i < m.nfindings; i++)
        cJSON_AddItemToArray(f, cJSON_CreateString(m.findings[i]));
    cJSON_SetNumberValue(exit_item, failed ? QVR_EXIT_THRESHOLD : QVR_EXIT_OK);
    char path[4200];
    snprintf(path, sizeof(path), "%s/latency.hlog", out);
    if ((rc = write_timeseries(&m)) < 0 || (rc = write_names(&m)) < 0 ||
        (rc = write_steps(&m)) < 0)
        goto done;
    if (rename(m.hlog_tmp, path) < 0) {
        rc = errf(&m, QVR_EIO, "cannot write %s: %s", path, strerror(errno));
        goto done;
    }
    m.hlog_tmp[0] = 0;
    /* summary.json last: its presence means the rest is there too. */
    if ((rc = write_summary(&m)) < 0 ||
        (rc = qvr_render(out, ro, err, errlen)) < 0)
        goto done;
    if (table) {
        print_table(&m, table);
        /* the run's one verdict line, as a run ends */
        char verdict[768];
        qvr_gate_summary(m.th, m.nth, failed ? QVR_EXIT_THRESHOLD : QVR_EXIT_OK,
                         NULL, verdict, sizeof(verdict));
        qvr_info("%s", verdict);
    }
    rc = failed;
done:
    qvr_gate_free(g);
    merge_free(&m);
    return rc;
}
