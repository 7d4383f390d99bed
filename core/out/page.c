/* page.c -- the dashboard page and report.html (see page.h).
 *
 * web/page.html holds two markers: <!--QVR:STYLE--> becomes the library's
 * CSS and the page's, <!--QVR:SCRIPT--> the library, the data and the
 * page's script. A source-map comment of the library is left out (there is
 * no map beside an inlined script). */
#include "page.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "live.h"
#include "qvr.h"
#include "report.h"

struct qvr_embedded_file {
    const char *name;
    const char *data;
    size_t len;
};
extern const struct qvr_embedded_file qvr_embedded_web[];

const char *qvr_page_asset(const char *name, size_t *len)
{
    for (const struct qvr_embedded_file *f = qvr_embedded_web; f->name; f++)
        if (strcmp(f->name, name) == 0) {
            *len = f->len;
            return f->data;
        }
    *len = 0;
    return NULL;
}

/* Appends asset name without a trailing source-map comment. */
static int put_asset(struct qvr_buf *out, const char *name)
{
    size_t n;
    const char *s = qvr_page_asset(name, &n);
    if (!s)
        return QVR_ENOTFOUND;
    const char *map = NULL;
    for (const char *p = s; (p = strstr(p, "sourceMappingURL=")); p++)
        map = p;
    if (map) {
        while (map > s && map[-1] != '\n')
            map--;
        n = (size_t)(map - s);
    }
    return qvr_buf_append(out, s, n);
}

/* data with every "</" as "<\/" (the same string to a JSON reader). */
static int put_data(struct qvr_buf *out, const char *data)
{
    int rc = 0;
    for (const char *p = data; *p && !rc;) {
        const char *lt = strstr(p, "</");
        size_t n = lt ? (size_t)(lt - p) + 1 : strlen(p);
        rc = qvr_buf_append(out, p, n);
        if (lt && !rc)
            rc = qvr_buf_append(out, "\\", 1);
        p += n;
    }
    return rc;
}

int qvr_page_build(struct qvr_buf *out, const char *data_json)
{
    size_t n;
    const char *html = qvr_page_asset("page.html", &n);
    if (!html)
        return QVR_ENOTFOUND;
    const char *style = strstr(html, "<!--QVR:STYLE-->");
    const char *script = strstr(html, "<!--QVR:SCRIPT-->");
    if (!style || !script || script < style)
        return QVR_EINVAL;
    int rc = qvr_buf_append(out, html, (size_t)(style - html));
    rc = rc ? rc : qvr_buf_append(out, "<style>\n", 8);
    rc = rc ? rc : put_asset(out, "dygraph.min.css");
    rc = rc ? rc : put_asset(out, "page.css");
    rc = rc ? rc : qvr_buf_append(out, "</style>", 8);
    const char *mid = style + strlen("<!--QVR:STYLE-->");
    rc = rc ? rc : qvr_buf_append(out, mid, (size_t)(script - mid));
    rc = rc ? rc : qvr_buf_append(out, "<script>\n", 9);
    rc = rc ? rc : put_asset(out, "dygraph.min.js");
    rc = rc ? rc
            : qvr_buf_append(out, "</script>\n<script>window.QVR_DATA = ", 36);
    rc = rc ? rc : put_data(out, data_json ? data_json : "null");
    rc = rc ? rc : qvr_buf_append(out, ";</script>\n<script>\n", 20);
    rc = rc ? rc : put_asset(out, "page.js");
    rc = rc ? rc : qvr_buf_append(out, "</script>", 9);
    const char *tail = script + strlen("<!--QVR:SCRIPT-->");
    rc = rc ? rc : qvr_buf_append(out, tail, n - (size_t)(tail - html));
    return rc;
}

/* ---- report.html ----------------------------------------------------------
 */

static double num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* A number, or null when it is not finite. */
static cJSON *jnum(double v)
{
    return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull();
}

/* [name, requests, failures, rps, p50, p90, p99, max] per entry of a
 * summary's "names" or "tasks" object. */
static cJSON *stat_rows(const cJSON *obj)
{
    cJSON *rows = cJSON_CreateArray();
    const cJSON *e;
    cJSON_ArrayForEach(e, obj)
    {
        const cJSON *lat = cJSON_GetObjectItemCaseSensitive(e, "latency_ms");
        cJSON *row = cJSON_CreateArray();
        cJSON_AddItemToArray(row, cJSON_CreateString(e->string));
        cJSON_AddItemToArray(row, jnum(num(e, "requests")));
        cJSON_AddItemToArray(row, jnum(num(e, "failures")));
        cJSON_AddItemToArray(row, jnum(num(e, "rps")));
        static const char *const k[] = {"p50", "p90", "p99", "max"};
        for (int i = 0; i < 4; i++)
            cJSON_AddItemToArray(row, jnum(num(lat, k[i])));
        cJSON_AddItemToArray(rows, row);
    }
    return rows;
}

/* The percentiles the distribution chart draws (the max is added). */
static const double dist_pcts[] = {0,    25,   50,    75,    90,     95,    99,
                                   99.5, 99.9, 99.95, 99.99, 99.995, 99.999};

static cJSON *distribution(const struct qvr_rdir *rd)
{
    cJSON *a = cJSON_CreateArray();
    if (rd->nseries < 1 || !rd->series[0].h || !rd->series[0].h->total)
        return a;
    for (size_t i = 0; i < sizeof(dist_pcts) / sizeof(dist_pcts[0]); i++) {
        cJSON *p = cJSON_CreateArray();
        cJSON_AddItemToArray(p, cJSON_CreateNumber(dist_pcts[i]));
        cJSON_AddItemToArray(
            p, jnum(qvr_rseries_pct_ms(&rd->series[0], dist_pcts[i])));
        cJSON_AddItemToArray(a, p);
    }
    return a;
}

static cJSON *window_row(double t, double p50, double p90, double p99,
                         double rps, double fps, int users)
{
    double v[6] = {t, p50, p90, p99, rps, fps};
    cJSON *row = cJSON_CreateArray();
    for (int i = 0; i < 6; i++)
        cJSON_AddItemToArray(row, jnum(round(v[i] * 1000) / 1000));
    cJSON_AddItemToArray(row, cJSON_CreateNumber(users));
    return row;
}

/* More windows than this are drawn in rd's groups. */
#define PAGE_MAX_WINDOWS 4000

/* The collected columns of timeseries.csv (host, GPU, timing headers:
 * those after max_ms), one line per window in rd->win's order: the names
 * into names and each row's cells into rows[i] (",37.5,1024,"; malloc'd,
 * the caller frees). Returns the rows read; 0 when there are none. */
static const char ts_head[] = "time_s,wall_s,users,requests,failures,rps,"
                              "p50_ms,p90_ms,p99_ms,max_ms,";

static int collected(const struct qvr_rdir *rd, cJSON *names, char **rows)
{
    char path[4200], line[4096];
    snprintf(path, sizeof(path), "%s/timeseries.csv", rd->dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    int n = 0;
    if (fgets(line, sizeof(line), f) &&
        strncmp(line, ts_head, sizeof(ts_head) - 1) == 0) {
        qvr_live_cells(names, line + sizeof(ts_head) - 2, 1);
        while (n < rd->nwin && fgets(line, sizeof(line), f)) {
            if (!strchr(line, '\n') && !feof(f))
                break; /* a row longer than this: stop, never misalign */
            const char *p = line;
            for (int c = 0; p && c < 10; c++)
                p = strchr(p + (c > 0), ',');
            rows[n++] = p ? strdup(p) : NULL;
        }
    }
    fclose(f);
    return n;
}

static cJSON *windows(const struct qvr_rdir *rd, char *note, size_t nlen,
                      cJSON *state)
{
    cJSON *a = cJSON_CreateArray();
    if (rd->grp && rd->nwin > PAGE_MAX_WINDOWS) {
        snprintf(note, nlen,
                 "%d windows drawn in %d groups of %d: counts summed, "
                 "percentiles of the merged histograms",
                 rd->nwin, rd->ngrp, rd->group_k);
        for (int i = 0; i < rd->ngrp; i++) {
            const struct qvr_rgroup *g = &rd->grp[i];
            double len = g->len_s > 0 ? g->len_s : 1;
            cJSON_AddItemToArray(a, window_row(g->end_s, g->p50_ms, g->p90_ms,
                                               g->p99_ms, g->requests / len,
                                               g->failures / len, g->users));
        }
        return a;
    }
    cJSON *names = cJSON_CreateArray();
    char **rows = rd->nwin ? calloc((size_t)rd->nwin, sizeof(char *)) : NULL;
    int nrows = rows && names ? collected(rd, names, rows) : 0;
    if (nrows && cJSON_GetArraySize(names) > 0)
        cJSON_AddItemToObject(state, "collect", names);
    else
        cJSON_Delete(names);
    for (int i = 0; i < rd->nwin; i++) {
        const struct qvr_rwin *w = &rd->win[i];
        /* a last window much shorter than the others rests on a handful
         * of requests: kept in the files, not drawn (as the PNGs do) */
        if (i == rd->nwin - 1 && i > 0 && w->len_s < 0.5 * rd->win[0].len_s)
            break;
        double len = w->len_s > 0 ? w->len_s : 1;
        cJSON *row = window_row(w->end_s, w->p50_ms, w->p90_ms, w->p99_ms,
                                w->rps, w->failures / len, w->users);
        if (i < nrows && rows[i]) {
            cJSON *c = cJSON_CreateArray();
            qvr_live_cells(c, rows[i], 0);
            cJSON_AddItemToArray(row, c);
        }
        cJSON_AddItemToArray(a, row);
    }
    for (int i = 0; i < nrows; i++)
        free(rows[i]);
    free(rows);
    return a;
}

static cJSON *thresholds(const cJSON *summary)
{
    cJSON *a = cJSON_CreateArray();
    const cJSON *t;
    cJSON_ArrayForEach(t,
                       cJSON_GetObjectItemCaseSensitive(summary, "thresholds"))
    {
        const cJSON *ok = cJSON_GetObjectItemCaseSensitive(t, "ok");
        const cJSON *expr = cJSON_GetObjectItemCaseSensitive(t, "expr");
        const cJSON *meas = cJSON_GetObjectItemCaseSensitive(t, "measured");
        const char *why = NULL;
        static const char *const whys[] = {"skipped", "no_data", "reason"};
        for (int i = 0; i < 3 && !why; i++) {
            const cJSON *w = cJSON_GetObjectItemCaseSensitive(t, whys[i]);
            why = cJSON_IsString(w) ? w->valuestring : NULL;
        }
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "expr",
                                cJSON_IsString(expr) ? expr->valuestring : "?");
        cJSON_AddStringToObject(
            o, "measured", cJSON_IsString(meas) ? meas->valuestring : "n/a");
        cJSON_AddStringToObject(o, "state",
                                cJSON_IsTrue(ok)    ? "held"
                                : cJSON_IsFalse(ok) ? "failed"
                                                    : "n/a");
        if (why)
            cJSON_AddStringToObject(o, "why", why);
        cJSON_AddItemToArray(a, o);
    }
    return a;
}

static cJSON *steps(const struct qvr_rdir *rd, const cJSON *summary,
                    cJSON *state)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < rd->nsteps; i++) {
        const struct qvr_rstep *s = &rd->steps[i];
        cJSON *row = cJSON_CreateArray();
        cJSON_AddItemToArray(row, jnum(s->x));
        cJSON_AddItemToArray(row, jnum(s->rps));
        cJSON_AddItemToArray(row, jnum(s->p99_ms));
        cJSON_AddItemToArray(row, jnum(s->error_rate));
        cJSON_AddItemToArray(row, cJSON_CreateNumber(s->knee));
        cJSON_AddItemToArray(a, row);
    }
    cJSON_AddStringToObject(state, "steps_x", rd->steps_x);
    const cJSON *knee = cJSON_GetObjectItemCaseSensitive(summary, "knee");
    if (cJSON_IsObject(knee)) {
        char *k = cJSON_PrintUnformatted(knee);
        if (k)
            cJSON_AddStringToObject(state, "knee", k);
        free(k);
    }
    return a;
}

/* [kind, count] for each kind of failure in the totals. */
static cJSON *failure_kinds(const cJSON *totals)
{
    cJSON *a = cJSON_CreateArray();
    const cJSON *e;
    cJSON_ArrayForEach(
        e, cJSON_GetObjectItemCaseSensitive(totals, "failures_by_kind"))
    {
        if (!cJSON_IsNumber(e) || e->valuedouble <= 0)
            continue;
        cJSON *row = cJSON_CreateArray();
        cJSON_AddItemToArray(row, cJSON_CreateString(e->string));
        cJSON_AddItemToArray(row, cJSON_CreateNumber(e->valuedouble));
        cJSON_AddItemToArray(a, row);
    }
    return a;
}

static void copy_item(cJSON *to, const char *key, const cJSON *from,
                      const char *fkey)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(from, fkey);
    if (v)
        cJSON_AddItemToObject(to, key, cJSON_Duplicate(v, 1));
}

static cJSON *report_state(const struct qvr_rdir *rd)
{
    const cJSON *s = rd->summary;
    const cJSON *totals = cJSON_GetObjectItemCaseSensitive(s, "totals");
    const cJSON *target = cJSON_GetObjectItemCaseSensitive(s, "target");
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(s, "arrivals");
    cJSON *st = cJSON_CreateObject();
    cJSON_AddStringToObject(st, "mode", "report");
    cJSON_AddStringToObject(st, "scenario", rd->scenario);
    copy_item(st, "target", target, "url");
    cJSON_AddStringToObject(st, "phase", "done");
    cJSON_AddItemToObject(st, "elapsed_s", jnum(rd->duration_s));
    cJSON_AddItemToObject(st, "users", jnum(num(s, "max_users")));
    cJSON_AddItemToObject(st, "max_users", jnum(num(s, "max_users")));
    cJSON_AddBoolToObject(st, "open", cJSON_IsObject(arr));
    if (cJSON_IsObject(arr)) {
        copy_item(st, "intended_rps", arr, "intended_rps");
        copy_item(st, "achieved_rps", arr, "achieved_rps");
        copy_item(st, "late", arr, "late");
        copy_item(st, "dropped", arr, "dropped");
    }
    cJSON_AddItemToObject(st, "requests", jnum(num(totals, "requests")));
    cJSON_AddItemToObject(st, "failures", jnum(num(totals, "failures")));
    cJSON_AddItemToObject(st, "error_rate", jnum(num(totals, "error_rate")));
    cJSON_AddItemToObject(st, "rps", jnum(num(totals, "rps")));
    cJSON_AddItemToObject(st, "exit_code", jnum(num(s, "exit_code")));
    copy_item(st, "interrupted", s, "interrupted");
    copy_item(st, "aborted", s, "aborted");
    copy_item(st, "stopped_by", s, "stopped_by");
    /* the totals as a row like the names' */
    cJSON *tot = cJSON_CreateObject();
    if (tot && totals)
        cJSON_AddItemReferenceToObject(tot, "TOTAL", (cJSON *)totals);
    cJSON *trow = stat_rows(tot);
    cJSON_Delete(tot);
    cJSON_AddItemToObject(st, "total", cJSON_DetachItemFromArray(trow, 0));
    cJSON_Delete(trow);
    cJSON_AddItemToObject(
        st, "names", stat_rows(cJSON_GetObjectItemCaseSensitive(s, "names")));
    cJSON_AddItemToObject(
        st, "tasks", stat_rows(cJSON_GetObjectItemCaseSensitive(s, "tasks")));
    cJSON_AddItemToObject(st, "thresholds", thresholds(s));
    copy_item(st, "findings", s, "findings");
    cJSON_AddItemToObject(st, "errors", failure_kinds(totals));
    cJSON *te = cJSON_CreateArray();
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(s, "errors"))
    {
        const cJSON *msg = cJSON_GetObjectItemCaseSensitive(e, "message");
        cJSON *row = cJSON_CreateArray();
        cJSON_AddItemToArray(
            row,
            cJSON_CreateString(cJSON_IsString(msg) ? msg->valuestring : "?"));
        cJSON_AddItemToArray(row, jnum(num(e, "count")));
        cJSON_AddItemToArray(te, row);
    }
    cJSON_AddItemToObject(st, "task_errors", te);
    cJSON_AddItemToObject(st, "distribution", distribution(rd));
    cJSON_AddItemToObject(st, "steps", steps(rd, s, st));
    copy_item(st, "changes", s, "load_changes");
    return st;
}

int qvr_page_report(const struct qvr_rdir *rd, char *err, unsigned long errlen)
{
    char note[256] = "";
    cJSON *d = cJSON_CreateObject();
    if (!d)
        goto nomem;
    cJSON_AddStringToObject(d, "mode", "report");
    cJSON *st = report_state(rd);
    cJSON_AddItemToObject(d, "state", st);
    cJSON_AddItemToObject(d, "windows", windows(rd, note, sizeof(note), st));
    cJSON_AddStringToObject(d, "note", note);
    char *json = cJSON_PrintUnformatted(d);
    cJSON_Delete(d);
    if (!json)
        goto nomem;
    struct qvr_buf out;
    qvr_buf_init(&out, 0);
    int rc = qvr_page_build(&out, json);
    free(json);
    if (rc < 0) {
        qvr_buf_free(&out);
        goto nomem;
    }
    rc = qvr_report_write_file(rd->dir, "report.html", out.data, out.len, err,
                               errlen);
    qvr_buf_free(&out);
    return rc;
nomem:
    snprintf(err, errlen, "cannot write %s/report.html: out of memory",
             rd->dir);
    return QVR_ENOMEM;
}
