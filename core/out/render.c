/* render.c -- loading a result directory and rendering it: `qvrrun report`
 * and the end of every run (see render.h).
 *
 * latency.hlog is streamed: each line's histogram is decoded, measured and
 * folded into its series' cumulative histogram, then freed, so a day-long
 * soak costs one histogram per series, not one per window. The encoding
 * carries no min or max; the log's Interval_Max column (exact to the
 * microsecond) restores the max, which is what makes the recomputed
 * percentiles equal the ones the run wrote. */
#include "render.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"
#include "file.h"
#include "junit.h"
#include "locust.h"
#include "log.h"
#include "page.h"
#include "plot.h"
#include "qvr.h"
#include "report.h"
#include "salvage.h"

const double qvr_render_pcts[QVR_RENDER_NPCT] = {50, 66, 75,   80,    90, 95,
                                                 98, 99, 99.9, 99.99, 100};

/* The percentiles of summary.json's latency_ms, in the writer's order. */
static const struct {
    const char *key;
    double p;
} sum_pcts[] = {
    {"p50", 50}, {"p90", 90}, {"p95", 95}, {"p99", 99}, {"p99.9", 99.9}};

double qvr_rseries_pct_ms(const struct qvr_rseries *s, double p)
{
    if (!s->h || !s->h->total)
        return 0;
    if (p >= 100)
        return (double)s->h->max / 1000.0;
    return (double)qvr_hist_value_at(s->h, p) / 1000.0;
}

/* A decoded histogram's max is its top bucket's upper edge; the exact max
 * (from the log or the summary) caps it, as the recording run's did. */
static void fix_max(struct qvr_hist *h, uint64_t max_us)
{
    if (h && h->total && max_us > 0 && max_us <= h->max)
        h->max = max_us;
}

/* Splits one CSV line in place into at most max fields (RFC 4180 quotes,
 * "" inside quotes). Returns the number of fields. */
static int csv_split(char *line, char **f, int max)
{
    int n = 0;
    char *r = line, *w = line;
    while (n < max) {
        f[n++] = w;
        if (*r == '"') {
            r++;
            for (;;) {
                if (!*r)
                    break;
                if (*r == '"' && r[1] == '"') {
                    *w++ = '"';
                    r += 2;
                } else if (*r == '"') {
                    r++;
                    break;
                } else {
                    *w++ = *r++;
                }
            }
        }
        while (*r && *r != ',')
            *w++ = *r++;
        if (*r != ',') {
            *w = 0;
            break;
        }
        r++;
        *w++ = 0;
    }
    return n;
}

/* Next line of text[*pos..], NUL-terminated in place, CR stripped. */
static char *next_line(char *text, size_t len, size_t *pos)
{
    if (*pos >= len)
        return NULL;
    char *s = text + *pos, *nl = memchr(s, '\n', len - *pos);
    if (nl) {
        *nl = 0;
        *pos = (size_t)(nl - text) + 1;
    } else {
        *pos = len;
    }
    size_t l = strlen(s);
    if (l && s[l - 1] == '\r')
        s[l - 1] = 0;
    return s;
}

static int parse_num(const char *s, double *v)
{
    char *end;
    while (*s == ' ')
        s++;
    if (!*s) {
        *v = 0;
        return 0;
    }
    errno = 0;
    *v = strtod(s, &end);
    while (*end == ' ')
        end++;
    return (end == s || *end || errno == ERANGE) ? -1 : 0;
}

static double jnum(const cJSON *o, const char *k, double def)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : def;
}

/* ---- timeseries.csv ---- */

enum ts_col {
    TS_TIME,
    TS_WALL,
    TS_USERS,
    TS_REQ,
    TS_FAIL,
    TS_RPS,
    TS_P50,
    TS_P90,
    TS_P99,
    TS_MAX,
    TS__N
};

static const char *const ts_names[TS__N] = {
    "time_s", "wall_s", "users",  "requests", "failures",
    "rps",    "p50_ms", "p90_ms", "p99_ms",   "max_ms"};

#define MAX_FIELDS 128

static int load_timeseries(struct qvr_rdir *rd, char *err, unsigned long errlen)
{
    char *text = NULL, *fields[MAX_FIELDS];
    size_t len, pos = 0;
    int col[TS__N], cap = 0, lineno = 1, rc;
    rc = qvr_file_slurp(rd->dir, "timeseries.csv", &text, &len, err, errlen);
    if (rc < 0)
        return rc;
    rc = QVR_EINVAL;
    char *line = next_line(text, len, &pos);
    if (!line) {
        snprintf(err, errlen, "%s/timeseries.csv: empty, no header", rd->dir);
        goto fail;
    }
    int nh = csv_split(line, fields, MAX_FIELDS);
    for (int c = 0; c < TS__N; c++) {
        col[c] = -1;
        for (int i = 0; i < nh; i++)
            if (strcmp(fields[i], ts_names[c]) == 0)
                col[c] = i;
    }
    rd->no_users = col[TS_USERS] < 0;
    if (col[TS_TIME] < 0 || col[TS_REQ] < 0) {
        snprintf(err, errlen,
                 "%s/timeseries.csv: header lacks time_s or requests", rd->dir);
        goto fail;
    }
    double prev_end = 0;
    while ((line = next_line(text, len, &pos))) {
        lineno++;
        if (!*line)
            continue;
        int nf = csv_split(line, fields, MAX_FIELDS);
        double v[TS__N];
        for (int c = 0; c < TS__N; c++) {
            v[c] = 0;
            if (col[c] < 0)
                continue;
            if (col[c] >= nf || parse_num(fields[col[c]], &v[c]) < 0) {
                snprintf(err, errlen,
                         "%s/timeseries.csv line %d: bad or missing %s",
                         rd->dir, lineno, ts_names[c]);
                goto fail;
            }
        }
        if (rd->nwin == cap) {
            cap = cap ? cap * 2 : 256;
            struct qvr_rwin *n = realloc(rd->win, (size_t)cap * sizeof(*n));
            if (!n) {
                rc = QVR_ENOMEM;
                snprintf(err, errlen, "out of memory reading timeseries.csv");
                goto fail;
            }
            rd->win = n;
        }
        struct qvr_rwin *w = &rd->win[rd->nwin++];
        memset(w, 0, sizeof(*w));
        w->end_s = v[TS_TIME];
        w->len_s = v[TS_TIME] - prev_end;
        prev_end = v[TS_TIME];
        w->wall_s = v[TS_WALL];
        /* clamp before converting: a hostile file may say 1e300 or nan */
        double u = v[TS_USERS];
        w->users = !(u > 0) ? 0 : u >= (double)INT_MAX ? INT_MAX : (int)u;
        w->requests = (uint64_t)llround(v[TS_REQ] < 0 ? 0 : v[TS_REQ]);
        w->failures = (uint64_t)llround(v[TS_FAIL] < 0 ? 0 : v[TS_FAIL]);
        w->rps = col[TS_RPS] >= 0 ? v[TS_RPS]
                                  : (w->len_s > 0 ? w->requests / w->len_s : 0);
        w->p50_ms = v[TS_P50];
        w->p90_ms = v[TS_P90];
        w->p99_ms = v[TS_P99];
        w->max_ms = v[TS_MAX];
    }
    rc = 0;
fail:
    free(text);
    return rc;
}

/* ---- timeseries_by_name.csv ---- */

int qvr_rnames_load(const char *dir, struct qvr_rname **rows, int *n, char *err,
                    unsigned long errlen)
{
    static const char *const want[4] = {"time_s", "name", "requests",
                                        "failures"};
    char *text = NULL, *fields[MAX_FIELDS];
    size_t len, pos = 0;
    int col[4], cap = 0, lineno = 1;
    *rows = NULL;
    *n = 0;
    int rc =
        qvr_file_slurp(dir, "timeseries_by_name.csv", &text, &len, err, errlen);
    if (rc < 0)
        return rc;
    rc = QVR_EINVAL;
    char *line = next_line(text, len, &pos);
    int nh = line ? csv_split(line, fields, MAX_FIELDS) : 0;
    for (int c = 0; c < 4; c++) {
        col[c] = -1;
        for (int i = 0; i < nh; i++)
            if (strcmp(fields[i], want[c]) == 0)
                col[c] = i;
        if (col[c] < 0) {
            snprintf(err, errlen, "%s/timeseries_by_name.csv: header lacks %s",
                     dir, want[c]);
            goto out;
        }
    }
    while ((line = next_line(text, len, &pos))) {
        lineno++;
        if (!*line)
            continue;
        int nf = csv_split(line, fields, MAX_FIELDS);
        double v[4] = {0, 0, 0, 0};
        for (int c = 0; c < 4; c++)
            if (col[c] >= nf ||
                (c != 1 && parse_num(fields[col[c]], &v[c]) < 0)) {
                snprintf(err, errlen,
                         "%s/timeseries_by_name.csv line %d: bad or missing %s",
                         dir, lineno, want[c]);
                goto out;
            }
        if (*n == cap) {
            cap = cap ? cap * 2 : 256;
            struct qvr_rname *g = realloc(*rows, (size_t)cap * sizeof(*g));
            if (!g)
                goto oom;
            *rows = g;
        }
        struct qvr_rname *r = &(*rows)[*n];
        if (!(r->name = strdup(fields[col[1]])))
            goto oom;
        (*n)++;
        r->end_s = v[0];
        r->requests = (uint64_t)llround(v[2] > 0 && v[2] < 1e18 ? v[2] : 0);
        r->failures = (uint64_t)llround(v[3] > 0 && v[3] < 1e18 ? v[3] : 0);
    }
    rc = 0;
    goto out;
oom:
    rc = QVR_ENOMEM;
    snprintf(err, errlen, "out of memory reading timeseries_by_name.csv");
out:
    free(text);
    return rc;
}

void qvr_rnames_free(struct qvr_rname *rows, int n)
{
    for (int i = 0; i < n; i++)
        free(rows[i].name);
    free(rows);
}

/* ---- latency.hlog ---- */

/* The tag a request name's lines carry in latency.hlog: "name:" and the
 * name with spaces, control characters and commas made '_' (as run.c
 * writes them). */
static void hlog_tag(const char *name, char *out, size_t len)
{
    size_t o = (size_t)snprintf(out, len, "name:");
    for (size_t i = 0; name[i] && o + 1 < len; i++)
        out[o++] =
            ((unsigned char)name[i] <= ' ' || name[i] == ',' || name[i] == 0x7f)
                ? '_'
                : name[i];
    out[o < len ? o : len - 1] = 0;
}

static struct qvr_rwin *match_window(struct qvr_rdir *rd, int *cursor,
                                     double end_s)
{
    for (int i = *cursor; i < rd->nwin; i++)
        if (fabs(rd->win[i].end_s - end_s) <= 0.0025) {
            *cursor = i + 1;
            return &rd->win[i];
        }
    return NULL;
}

/* Closes group g: its percentiles from the merged histogram gh. */
static void group_done(struct qvr_rdir *rd, int g, struct qvr_hist *gh)
{
    struct qvr_rgroup *gr = &rd->grp[g];
    if (gh->total) {
        gr->p50_ms = (double)qvr_hist_value_at(gh, 50) / 1000.0;
        gr->p90_ms = (double)qvr_hist_value_at(gh, 90) / 1000.0;
        gr->p99_ms = (double)qvr_hist_value_at(gh, 99) / 1000.0;
        gr->max_ms = (double)gh->max / 1000.0;
    }
    qvr_hist_reset(gh);
}

/* Folds window i's histogram into its group's; *gcur is the group being
 * filled (-1: none). */
static void group_add(struct qvr_rdir *rd, int i, const struct qvr_hist *h,
                      struct qvr_hist *gh, int *gcur)
{
    int g = i / rd->group_k;
    if (*gcur >= 0 && *gcur != g)
        group_done(rd, *gcur, gh);
    *gcur = g;
    qvr_hist_add(gh, h);
    if (i % rd->group_k == rd->group_k - 1 || i == rd->nwin - 1) {
        group_done(rd, g, gh);
        *gcur = -1;
    }
}

/* One untagged line: this window's percentiles, then the running totals. */
static void hlog_window(struct qvr_rdir *rd, int *cursor, double start,
                        double len, uint64_t max_us, const struct qvr_hist *h,
                        struct qvr_hist *gh, int *gcur)
{
    struct qvr_rseries *tot = &rd->series[0];
    qvr_hist_add(tot->h, h);
    if (max_us > tot->max_us)
        tot->max_us = max_us;
    struct qvr_rwin *w = match_window(rd, cursor, start + len);
    if (!w)
        return;
    if (rd->grp)
        group_add(rd, (int)(w - rd->win), h, gh, gcur);
    w->has_hist = 1;
    w->len_s = len;
    for (int i = 0; i < QVR_RENDER_NPCT; i++) {
        double p = qvr_render_pcts[i];
        uint64_t v =
            p >= 100 ? (h->total ? max_us : 0) : qvr_hist_value_at(h, p);
        w->pct_ms[i] = (double)v / 1000.0;
    }
    const struct qvr_hist *c = tot->h;
    w->cum_p50_ms = (double)qvr_hist_value_at(c, 50) / 1000.0;
    w->cum_mean_ms = qvr_hist_mean(c) / 1000.0;
    w->cum_min_ms = c->total ? (double)c->min / 1000.0 : 0;
    w->cum_max_ms = c->total ? (double)c->max / 1000.0 : 0;
}

static int load_hlog(struct qvr_rdir *rd, char *err, unsigned long errlen)
{
    char path[4200], tag[512];
    snprintf(path, sizeof(path), "%s/latency.hlog", rd->dir);
    FILE *f = NULL;
    int orc = qvr_file_open_regular(path, &f, err, errlen);
    if (orc < 0)
        return orc;
    char **tags = calloc((size_t)rd->nseries, sizeof(char *));
    char *line = NULL;
    size_t cap = 0;
    int rc = QVR_ENOMEM, lineno = 0, cursor = 0, gcur = -1;
    struct qvr_hist *h = NULL, *gh = rd->grp ? qvr_hist_new() : NULL;
    if (!tags || (rd->grp && !gh))
        goto fail;
    for (int i = 0; i < rd->nseries; i++) {
        struct qvr_rseries *s = &rd->series[i];
        if (s->tag_clash)
            continue;
        s->h = qvr_hist_new();
        if (!s->h)
            goto fail;
        s->from_hlog = 1;
        s->max_us = 0;
        if (s->name) {
            hlog_tag(s->name, tag, sizeof(tag));
            if (!(tags[i] = strdup(tag)))
                goto fail;
        }
    }
    ssize_t n;
    rc = QVR_EINVAL;
    while ((n = getline(&line, &cap, f)) >= 0) {
        lineno++;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = 0;
        if (strncmp(line, "#[StartTime:", 12) == 0) {
            rd->hlog_start = strtod(line + 12, NULL);
            continue;
        }
        if (!line[0] || line[0] == '#' || line[0] == '"')
            continue;
        char *p = line, *t = NULL, *end;
        if (strncmp(p, "Tag=", 4) == 0) {
            t = p + 4;
            p = strchr(t, ',');
            if (!p)
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
        int drc = qvr_hist_decode(p, strlen(p), &h);
        if (drc < 0) {
            rc = drc;
            goto bad;
        }
        uint64_t max_us = (uint64_t)llround(v[2] * 1000.0);
        fix_max(h, max_us);
        if (!t) {
            hlog_window(rd, &cursor, v[0], v[1], max_us, h, gh, &gcur);
        } else {
            for (int i = 1; i < rd->nseries; i++) {
                struct qvr_rseries *s = &rd->series[i];
                if (!tags[i] || strcmp(t, tags[i]) != 0)
                    continue;
                qvr_hist_add(s->h, h);
                if (max_us > s->max_us)
                    s->max_us = max_us;
            }
        }
        qvr_hist_free(h);
        h = NULL;
    }
    if (ferror(f)) {
        rc = QVR_EIO;
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        goto fail;
    }
    if (gcur >= 0)
        group_done(rd, gcur, gh);
    rd->has_hlog = 1;
    rc = 0;
    goto fail;
bad:
    snprintf(err, errlen, "%s line %d: %s", path, lineno,
             rc == QVR_ENOMEM ? "out of memory" : "malformed interval line");
fail:
    if (rc == QVR_ENOMEM && !err[0])
        snprintf(err, errlen, "out of memory reading %s", path);
    if (rc < 0)
        for (int i = 0; i < rd->nseries; i++) {
            qvr_hist_free(rd->series[i].h);
            rd->series[i].h = NULL;
            rd->series[i].from_hlog = 0;
        }
    if (tags)
        for (int i = 0; i < rd->nseries; i++)
            free(tags[i]);
    free(tags);
    qvr_hist_free(h);
    qvr_hist_free(gh);
    free(line);
    fclose(f);
    return rc;
}

/* ---- summary.json ---- */

static int load_summary(struct qvr_rdir *rd, char *err, unsigned long errlen)
{
    char *text = NULL;
    size_t len;
    int rc = qvr_file_slurp(rd->dir, "summary.json", &text, &len, err, errlen);
    if (rc < 0)
        return rc;
    rc = QVR_EINVAL;
    rd->summary = cJSON_ParseWithLength(text, len);
    if (!rd->summary || !cJSON_IsObject(rd->summary)) {
        const char *at = cJSON_GetErrorPtr();
        if (at && at >= text && at <= text + len)
            snprintf(err, errlen,
                     "%s/summary.json: not a JSON object (error near byte "
                     "%ld)",
                     rd->dir, (long)(at - text));
        else
            snprintf(err, errlen, "%s/summary.json: not a JSON object",
                     rd->dir);
        goto fail;
    }
    const cJSON *schema =
        cJSON_GetObjectItemCaseSensitive(rd->summary, "schema");
    if (cJSON_IsString(schema) &&
        strncmp(schema->valuestring, "qvrrun.summary/", 15) != 0) {
        snprintf(err, errlen, "%s/summary.json: unknown schema \"%s\"", rd->dir,
                 schema->valuestring);
        goto fail;
    }
    cJSON *tot = cJSON_GetObjectItemCaseSensitive(rd->summary, "totals");
    if (!cJSON_IsObject(tot)) {
        snprintf(err, errlen, "%s/summary.json: no \"totals\" object", rd->dir);
        goto fail;
    }
    const cJSON *sc = cJSON_GetObjectItemCaseSensitive(rd->summary, "scenario");
    rd->scenario = cJSON_IsString(sc) ? sc->valuestring : "";
    rd->partial =
        cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rd->summary, "partial"));
    rd->duration_s = jnum(rd->summary, "duration_s", 0);
    rd->steady_from_s = jnum(rd->summary, "steady_from_s", NAN);
    cJSON *names = cJSON_GetObjectItemCaseSensitive(rd->summary, "names");
    int nn = cJSON_IsObject(names) ? cJSON_GetArraySize(names) : 0;
    rd->series = calloc((size_t)nn + 1, sizeof(*rd->series));
    if (!rd->series) {
        rc = QVR_ENOMEM;
        snprintf(err, errlen, "out of memory reading summary.json");
        goto fail;
    }
    rd->series[0].obj = tot;
    rd->nseries = 1;
    cJSON *it;
    cJSON_ArrayForEach(it, names)
    {
        if (!cJSON_IsObject(it) || !it->string)
            continue;
        rd->series[rd->nseries].name = it->string;
        rd->series[rd->nseries].obj = it;
        rd->nseries++;
    }
    /* Names that collide once sanitised cannot be told apart in the log. */
    for (int i = 1; i < rd->nseries; i++)
        for (int j = i + 1; j < rd->nseries; j++) {
            char a[512], b[512];
            hlog_tag(rd->series[i].name, a, sizeof(a));
            hlog_tag(rd->series[j].name, b, sizeof(b));
            if (strcmp(a, b) == 0)
                rd->series[i].tag_clash = rd->series[j].tag_clash = 1;
        }
    rc = 0;
fail:
    free(text);
    return rc;
}

/* A series' histogram from summary.json's histogram_us, capped by its
 * latency_ms.max. Absent: no histogram (not an error). */
static int series_from_summary(struct qvr_rdir *rd, struct qvr_rseries *s,
                               char *err, unsigned long errlen)
{
    const cJSON *hs = cJSON_GetObjectItemCaseSensitive(s->obj, "histogram_us");
    if (!cJSON_IsString(hs))
        return 0;
    int rc = qvr_hist_decode(hs->valuestring, strlen(hs->valuestring), &s->h);
    if (rc < 0) {
        snprintf(err, errlen, "%s/summary.json: %s%s.histogram_us is %s",
                 rd->dir, s->name ? "names." : "totals", s->name ? s->name : "",
                 rc == QVR_ENOMEM ? "too large" : "not a valid histogram");
        return rc;
    }
    const cJSON *lat = cJSON_GetObjectItemCaseSensitive(s->obj, "latency_ms");
    double mx = jnum(lat, "max", 0);
    s->max_us = mx > 0 ? (uint64_t)llround(mx * 1000.0) : 0;
    fix_max(s->h, s->max_us);
    return 0;
}

/* ---- steps.csv ---- */

static int load_steps(struct qvr_rdir *rd, char *err, unsigned long errlen)
{
    static const char *const known[] = {
        "step",           "users",         "rate",     "duration_s",
        "achieved_users", "achieved_rate", "requests", "failures",
        "late",           "dropped",       "rps",      "p50_ms",
        "p90_ms",         "p95_ms",        "p99_ms",   "max_ms",
        "error_rate",     "note"};
    char *text = NULL, *fields[MAX_FIELDS];
    size_t len, pos = 0;
    int rc = qvr_file_slurp(rd->dir, "steps.csv", &text, &len, err, errlen);
    if (rc == QVR_ENOTFOUND) {
        err[0] = 0;
        return 0;
    }
    if (rc < 0)
        return rc;
    rc = QVR_EINVAL;
    char *line = next_line(text, len, &pos);
    int nh = line ? csv_split(line, fields, MAX_FIELDS) : 0;
    int c_users = -1, c_rate = -1, c_vary = -1, c_rps = -1, c_p99 = -1,
        c_err = -1, c_note = -1;
    for (int i = 0; i < nh; i++) {
        const char *h = fields[i];
        int k = 0;
        for (size_t j = 0; j < QVR_ARRAY_LEN(known); j++)
            k |= strcmp(h, known[j]) == 0;
        if (!k && c_vary < 0) {
            c_vary = i;
            snprintf(rd->steps_x, sizeof(rd->steps_x), "%s", h);
        }
        c_users = strcmp(h, "users") == 0 ? i : c_users;
        c_rate = strcmp(h, "rate") == 0 ? i : c_rate;
        c_rps = strcmp(h, "rps") == 0 ? i : c_rps;
        c_p99 = strcmp(h, "p99_ms") == 0 ? i : c_p99;
        c_err = strcmp(h, "error_rate") == 0 ? i : c_err;
        c_note = strcmp(h, "note") == 0 ? i : c_note;
    }
    if (c_rps < 0 || c_p99 < 0 || (c_users < 0 && c_rate < 0 && c_vary < 0)) {
        snprintf(err, errlen,
                 "%s/steps.csv: header lacks rps, p99_ms or "
                 "users/rate",
                 rd->dir);
        goto fail;
    }
    int cap = 0, lineno = 1, any_rate = 0;
    while ((line = next_line(text, len, &pos))) {
        lineno++;
        if (!*line)
            continue;
        int nf = csv_split(line, fields, MAX_FIELDS);
        struct qvr_rstep s;
        memset(&s, 0, sizeof(s));
        if ((c_users >= 0 &&
             (c_users >= nf || parse_num(fields[c_users], &s.users) < 0)) ||
            (c_rate >= 0 &&
             (c_rate >= nf || parse_num(fields[c_rate], &s.rate) < 0)) ||
            (c_vary >= 0 &&
             (c_vary >= nf || parse_num(fields[c_vary], &s.x) < 0)) ||
            c_rps >= nf || parse_num(fields[c_rps], &s.rps) < 0 ||
            c_p99 >= nf || parse_num(fields[c_p99], &s.p99_ms) < 0 ||
            (c_err >= 0 && c_err < nf &&
             parse_num(fields[c_err], &s.error_rate) < 0)) {
            snprintf(err, errlen, "%s/steps.csv line %d: bad number", rd->dir,
                     lineno);
            goto fail;
        }
        s.knee = c_note >= 0 && c_note < nf &&
                 strstr(fields[c_note], "knee") != NULL;
        if (rd->nsteps == cap) {
            cap = cap ? cap * 2 : 16;
            struct qvr_rstep *ns =
                realloc(rd->steps, (size_t)cap * sizeof(*ns));
            if (!ns) {
                rc = QVR_ENOMEM;
                snprintf(err, errlen, "out of memory reading steps.csv");
                goto fail;
            }
            rd->steps = ns;
        }
        rd->steps[rd->nsteps++] = s;
        any_rate |= s.rate > 0;
    }
    if (c_vary < 0) {
        snprintf(rd->steps_x, sizeof(rd->steps_x), "%s",
                 any_rate ? "rate" : "users");
        for (int i = 0; i < rd->nsteps; i++)
            rd->steps[i].x = any_rate ? rd->steps[i].rate : rd->steps[i].users;
    }
    rc = 0;
fail:
    free(text);
    return rc;
}

/* A long run's windows in groups of group_k, about QVR_RENDER_MAX_POINTS
 * of them; counts now, percentiles while the log is read. */
static int make_groups(struct qvr_rdir *rd)
{
    rd->group_k = 1;
    if (rd->nwin <= QVR_RENDER_MAX_POINTS)
        return 0;
    int k = (rd->nwin + QVR_RENDER_MAX_POINTS - 1) / QVR_RENDER_MAX_POINTS;
    /* Round to a count people think in: 2, 5, 10, 15, 30, 60, ... */
    static const int nice[] = {2,   3,   5,   10,  15,   20,   30,  60,
                               120, 300, 600, 900, 1800, 3600, 7200};
    for (size_t i = 0; i < QVR_ARRAY_LEN(nice); i++)
        if (nice[i] >= k) {
            k = nice[i];
            break;
        }
    rd->group_k = k;
    rd->ngrp = (rd->nwin + k - 1) / k;
    rd->grp = calloc((size_t)rd->ngrp, sizeof(*rd->grp));
    if (!rd->grp)
        return QVR_ENOMEM;
    for (int i = 0; i < rd->nwin; i++) {
        const struct qvr_rwin *w = &rd->win[i];
        struct qvr_rgroup *g = &rd->grp[i / k];
        g->end_s = w->end_s;
        g->len_s += w->len_s;
        g->users = w->users;
        g->requests += w->requests;
        g->failures += w->failures;
        g->p50_ms = g->p90_ms = g->p99_ms = g->max_ms = NAN;
    }
    return 0;
}

int qvr_rdir_load(struct qvr_rdir *rd, const char *dir, int recompute,
                  char *err, unsigned long errlen)
{
    memset(rd, 0, sizeof(*rd));
    rd->dir = dir;
    err[0] = 0;
    int rc = load_summary(rd, err, errlen);
    if (rc < 0)
        return rc;
    rc = load_timeseries(rd, err, errlen);
    if (rc < 0)
        return rc;
    if ((rc = make_groups(rd)) < 0) {
        snprintf(err, errlen, "out of memory reading %s", dir);
        return rc;
    }
    rc = load_hlog(rd, err, errlen);
    if (rc == QVR_ENOTFOUND && !recompute) {
        err[0] = 0;
        rc = 0;
    }
    if (rc < 0)
        return rc;
    for (int i = 0; i < rd->nseries; i++) {
        struct qvr_rseries *s = &rd->series[i];
        if (!s->h && (rc = series_from_summary(rd, s, err, errlen)) < 0)
            return rc;
        if (s->from_hlog)
            fix_max(s->h, s->max_us);
    }
    /* The Total columns: counts since the start, latency carried forward
     * over windows the log does not cover. */
    uint64_t cr = 0, cf = 0;
    for (int i = 0; i < rd->nwin; i++) {
        struct qvr_rwin *w = &rd->win[i];
        cr += w->requests;
        cf += w->failures;
        w->cum_requests = cr;
        w->cum_failures = cf;
        if (!w->has_hist && i > 0) {
            w->cum_p50_ms = rd->win[i - 1].cum_p50_ms;
            w->cum_mean_ms = rd->win[i - 1].cum_mean_ms;
            w->cum_min_ms = rd->win[i - 1].cum_min_ms;
            w->cum_max_ms = rd->win[i - 1].cum_max_ms;
        }
    }
    return load_steps(rd, err, errlen);
}

void qvr_rdir_free(struct qvr_rdir *rd)
{
    for (int i = 0; i < rd->nseries; i++)
        qvr_hist_free(rd->series[i].h);
    free(rd->series);
    free(rd->win);
    free(rd->grp);
    free(rd->steps);
    cJSON_Delete(rd->summary);
    memset(rd, 0, sizeof(*rd));
}

/* ---- recompute ---- */

/* Rebuilds one entry's latency_ms from its histogram, in the writer's key
 * order (min, mean, p50 .. p99.9, max, then anything else it had), in the
 * same place. min and mean are kept when present: the log cannot give them
 * exactly (the encoding keeps buckets, not values). */
static int recompute_entry(struct qvr_rseries *s)
{
    const struct qvr_hist *h = s->h;
    cJSON *old = cJSON_GetObjectItemCaseSensitive(s->obj, "latency_ms");
    cJSON *lat = cJSON_CreateObject();
    if (!lat)
        return QVR_ENOMEM;
    if (!cJSON_IsObject(old))
        old = NULL;
    int empty = h->total == 0;
    cJSON *mn =
        old ? cJSON_DetachItemFromObjectCaseSensitive(old, "min") : NULL;
    cJSON *mean =
        old ? cJSON_DetachItemFromObjectCaseSensitive(old, "mean") : NULL;
    if (!cJSON_IsNumber(mn)) {
        cJSON_Delete(mn);
        mn = cJSON_CreateNumber(empty ? 0 : (double)h->min / 1000.0);
    }
    if (!cJSON_IsNumber(mean)) {
        cJSON_Delete(mean);
        mean = cJSON_CreateNumber(empty ? 0 : round(qvr_hist_mean(h)) / 1000.0);
    }
    cJSON_AddItemToObject(lat, "min", mn);
    cJSON_AddItemToObject(lat, "mean", mean);
    for (size_t i = 0; i < QVR_ARRAY_LEN(sum_pcts); i++) {
        cJSON_AddNumberToObject(lat, sum_pcts[i].key,
                                (double)qvr_hist_value_at(h, sum_pcts[i].p) /
                                    1000.0);
        if (old)
            cJSON_DeleteItemFromObjectCaseSensitive(old, sum_pcts[i].key);
    }
    cJSON_AddNumberToObject(lat, "max", empty ? 0 : (double)h->max / 1000.0);
    if (old) {
        cJSON_DeleteItemFromObjectCaseSensitive(old, "max");
        cJSON *it;
        while ((it = old->child)) {
            cJSON_DetachItemViaPointer(old, it);
            cJSON_AddItemToObject(lat, it->string, it);
        }
        cJSON_ReplaceItemInObjectCaseSensitive(s->obj, "latency_ms", lat);
    } else {
        cJSON_AddItemToObject(s->obj, "latency_ms", lat);
    }
    if (!cJSON_GetObjectItemCaseSensitive(s->obj, "requests"))
        cJSON_AddNumberToObject(s->obj, "requests", (double)h->total);
    if (!cJSON_GetObjectItemCaseSensitive(s->obj, "histogram_us")) {
        char *enc = NULL;
        if (qvr_hist_encode(h, &enc) < 0)
            return QVR_ENOMEM;
        cJSON_AddStringToObject(s->obj, "histogram_us", enc);
        free(enc);
    }
    return 0;
}

static int recompute_summary(struct qvr_rdir *rd, int quiet, char *err,
                             unsigned long errlen)
{
    for (int i = 0; i < rd->nseries; i++) {
        struct qvr_rseries *s = &rd->series[i];
        if (!s->from_hlog) {
            if (!quiet && s->name)
                qvr_info("name \"%s\" shares its latency.hlog tag with "
                         "another name: its percentiles are kept",
                         s->name);
            continue;
        }
        double want = jnum(s->obj, "requests", -1);
        if (!quiet && want >= 0 && (uint64_t)want != s->h->total)
            qvr_warn("%s/latency.hlog holds %llu requests for %s%s, "
                     "summary.json %.0f",
                     rd->dir, (unsigned long long)s->h->total,
                     s->name ? "name " : "the totals", s->name ? s->name : "",
                     want);
        if (recompute_entry(s) < 0) {
            snprintf(err, errlen, "out of memory recomputing summary.json");
            return QVR_ENOMEM;
        }
    }
    char *js = cJSON_Print(rd->summary);
    if (!js) {
        snprintf(err, errlen, "out of memory writing summary.json");
        return QVR_ENOMEM;
    }
    size_t jl = strlen(js);
    char *nl = malloc(jl + 2);
    int rc = QVR_ENOMEM;
    if (nl) {
        memcpy(nl, js, jl);
        nl[jl] = '\n';
        rc = qvr_report_write_file(rd->dir, "summary.json", nl, jl + 1, err,
                                   errlen);
        free(nl);
    } else {
        snprintf(err, errlen, "out of memory writing summary.json");
    }
    cJSON_free(js);
    return rc;
}

int qvr_render_write_path(const char *path, const char *data, size_t len,
                          char *err, unsigned long errlen)
{
    return qvr_fs_write(path, data, len, err, errlen);
}

int qvr_render(const char *dir, const struct qvr_render_opts *o, char *err,
               unsigned long errlen)
{
    struct qvr_rdir rd;
    char more[512];
    int rc = qvr_rdir_load(&rd, dir, o->recompute, err, errlen);
    if (rc < 0)
        goto fail;
    if (o->recompute &&
        (rc = recompute_summary(&rd, o->quiet, err, errlen)) < 0)
        goto fail;
    /* Each output is tried even when one before it failed (a chart on a
     * full disk must not cost the JUnit report): the first error is
     * returned, the later ones are warnings. */
    if (!o->no_plots)
        rc = qvr_plot_render(&rd, o->quiet, err, errlen);
    if (o->csv_prefix) {
        int r2 = qvr_locust_write(&rd, o->csv_prefix, rc < 0 ? more : err,
                                  rc < 0 ? sizeof(more) : errlen);
        if (r2 < 0 && rc < 0)
            qvr_warn("%s", more);
        rc = rc < 0 ? rc : r2;
    }
    if (o->junit_file) {
        int r2 = qvr_junit_write(&rd, o->junit_file, rc < 0 ? more : err,
                                 rc < 0 ? sizeof(more) : errlen);
        if (r2 < 0 && rc < 0)
            qvr_warn("%s", more);
        rc = rc < 0 ? rc : r2;
    }
    {
        char pmsg[512];
        int r2 = qvr_page_report(&rd, rc < 0 ? pmsg : err,
                                 rc < 0 ? sizeof(pmsg) : errlen);
        if (r2 < 0 && rc < 0)
            qvr_warn("%s", pmsg);
        rc = rc < 0 ? rc : r2;
    }
    rc = rc < 0 ? rc : 0;
fail:
    qvr_rdir_free(&rd);
    return rc;
}

/* The files a run writes into its result directory (and the lock). */
const char *const qvr_render_own_files[] = {"summary.json",
                                            "timeseries.csv",
                                            "timeseries_by_name.csv",
                                            "latency.hlog",
                                            "steps.csv",
                                            "latency.png",
                                            "throughput.png",
                                            "distribution.png",
                                            "steps.png",
                                            "resources.png",
                                            "tokens.png",
                                            "report.html",
                                            "plot-latency.dat",
                                            "plot-latency-grouped.dat",
                                            "plot-throughput.dat",
                                            "plot-throughput-grouped.dat",
                                            "plot-distribution.dat",
                                            "plot-steps.dat",
                                            ".qvrrun.lock",
                                            NULL};

/* One output path of the flag: writable, and none of the files the run
 * reads or writes itself. */
static int check_one(const char *flag, const char *path, const char *dir,
                     const char *scenario, char *err, unsigned long errlen)
{
    char why[512], own[4200];
    if (qvr_fs_check(path, why, sizeof(why)) < 0) {
        snprintf(err, errlen, "%s '%s': %s", flag, path, why);
        return QVR_EINVAL;
    }
    if (scenario && qvr_fs_same(path, scenario)) {
        snprintf(err, errlen, "%s '%s' is the scenario file: give another path",
                 flag, path);
        return QVR_EINVAL;
    }
    for (int i = 0; qvr_render_own_files[i]; i++) {
        snprintf(own, sizeof(own), "%s/%s", dir, qvr_render_own_files[i]);
        if (qvr_fs_same(path, own)) {
            snprintf(err, errlen,
                     "%s '%s' is the run's own %s: give another path", flag,
                     path, qvr_render_own_files[i]);
            return QVR_EINVAL;
        }
    }
    return 0;
}

static const char *const locust_suffix[] = {"_stats.csv", "_stats_history.csv",
                                            "_failures.csv", "_exceptions.csv"};

int qvr_render_check_outputs(const struct qvr_render_opts *o, const char *dir,
                             const char *scenario, char *err,
                             unsigned long errlen)
{
    char path[4200];
    if (o->junit_file &&
        check_one("--junit", o->junit_file, dir, scenario, err, errlen) < 0)
        return QVR_EINVAL;
    for (size_t i = 0; o->csv_prefix && i < QVR_ARRAY_LEN(locust_suffix); i++) {
        snprintf(path, sizeof(path), "%s%s", o->csv_prefix, locust_suffix[i]);
        if (check_one("--csv", path, dir, scenario, err, errlen) < 0)
            return QVR_EINVAL;
        if (o->junit_file && qvr_fs_same(path, o->junit_file)) {
            snprintf(err, errlen, "--junit '%s' is also --csv's %s",
                     o->junit_file, path);
            return QVR_EINVAL;
        }
    }
    return 0;
}

/* A result directory without summary.json but with latency.hlog (a run
 * killed with SIGKILL): the summary rebuilt from the window logs, marked
 * partial. Returns 0 (also when there is nothing to rebuild) or a negative
 * enum qvr_err with err set. */
static int salvage(const char *dir, int quiet, char *err, unsigned long errlen)
{
    char path[4200];
    struct stat st;
    int cut = 0;
    snprintf(path, sizeof(path), "%s/summary.json", dir);
    if (lstat(path, &st) == 0 || errno != ENOENT)
        return 0;
    int rc = qvr_salvage_dir(dir, &cut, err, errlen);
    if (rc == QVR_ENOTFOUND) {
        err[0] = 0;
        return 0;
    }
    if (rc < 0)
        return rc;
    if (!quiet)
        qvr_warn("report: %s/summary.json was missing (the run did not end: "
                 "killed?): rebuilt from latency.hlog and "
                 "timeseries_by_name.csv, marked \"partial\": true%s",
                 dir, cut ? "; a last line cut by the kill was dropped" : "");
    return 0;
}

int qvr_render_report_dir(const char *dir, const struct qvr_render_opts *opts)
{
    struct qvr_render_opts o = *opts;
    char err[512];
    if (qvr_render_check_outputs(&o, dir, NULL, err, sizeof(err)) < 0) {
        qvr_error("report: %s", err);
        return QVR_EXIT_USAGE;
    }
    /* Never a directory a run is still writing (its summary is not there
     * yet, and its logs grow); the lock lasts until the process ends. */
    int lock = qvr_fs_lock_dir(dir, err, sizeof(err));
    if (lock == QVR_ESTATE) {
        qvr_error("report: %s", err);
        return QVR_EXIT_USAGE;
    }
    int rc = salvage(dir, o.quiet, err, sizeof(err));
    if (rc == 0)
        rc = qvr_render(dir, &o, err, sizeof(err));
    if (lock >= 0)
        close(lock);
    if (rc < 0) {
        qvr_error("report: %s", err);
        return QVR_EXIT_RUN;
    }
    if (!o.quiet)
        qvr_info(
            "report: %s/summary.json percentiles recomputed from "
            "latency.hlog%s%s%s%s",
            dir, o.csv_prefix ? "; CSV " : "", o.csv_prefix ? o.csv_prefix : "",
            o.junit_file ? "; JUnit " : "", o.junit_file ? o.junit_file : "");
    return QVR_EXIT_OK;
}
