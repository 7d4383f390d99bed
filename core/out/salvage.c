/* salvage.c -- a killed run's summary rebuilt from its window logs (see
 * salvage.h). */
#include "salvage.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "hist.h"
#include "qvr.h"
#include "render.h"
#include "report.h"

/* One untagged line of the log: a window of all requests. */
struct swin {
    double start_s, len_s; /* seconds since the log's StartTime */
    double max_ms;
    uint64_t requests, failures;
    double p50_ms, p90_ms, p99_ms;
};

/* Reads dir/latency.hlog whole (a regular file only: a FIFO or a device
 * is never waited on). The caller frees *text. */
static int read_log(const char *path, char **text, size_t *len, char *err,
                    unsigned long errlen)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return QVR_ENOTFOUND;
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return QVR_EIO;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        snprintf(err, errlen, "cannot read %s: not a regular file", path);
        return QVR_EIO;
    }
    *text = malloc((size_t)st.st_size + 1);
    if (!*text) {
        close(fd);
        snprintf(err, errlen, "out of memory reading %s", path);
        return QVR_ENOMEM;
    }
    size_t off = 0;
    while (off < (size_t)st.st_size) {
        ssize_t n = read(fd, *text + off, (size_t)st.st_size - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    close(fd);
    (*text)[off] = 0;
    *len = off;
    return 0;
}

/* Parses one untagged interval line "start,len,max,histogram" into w.
 * Returns 0, 1 for a tagged line (skipped), or -1 when malformed. */
static int parse_line(char *line, struct swin *w)
{
    if (strncmp(line, "Tag=", 4) == 0)
        return 1;
    char *p = line, *end;
    double v[3];
    for (int i = 0; i < 3; i++) {
        errno = 0;
        v[i] = strtod(p, &end);
        if (end == p || *end != ',' || errno == ERANGE || !(v[i] >= 0))
            return -1;
        p = end + 1;
    }
    struct qvr_hist *h = NULL;
    if (qvr_hist_decode(p, strlen(p), &h) < 0)
        return -1;
    memset(w, 0, sizeof(*w));
    w->start_s = v[0];
    w->len_s = v[1];
    w->max_ms = v[2];
    w->requests = h->total;
    w->p50_ms = (double)qvr_hist_value_at(h, 50) / 1000.0;
    w->p90_ms = (double)qvr_hist_value_at(h, 90) / 1000.0;
    w->p99_ms = (double)qvr_hist_value_at(h, 99) / 1000.0;
    qvr_hist_free(h);
    return 0;
}

/* Adds a name's window to summary names{}. */
static int add_name(cJSON *names, const struct qvr_rname *r)
{
    cJSON *o = cJSON_GetObjectItemCaseSensitive(names, r->name);
    if (!o) {
        o = cJSON_AddObjectToObject(names, r->name);
        if (!o || !cJSON_AddNumberToObject(o, "requests", 0) ||
            !cJSON_AddNumberToObject(o, "failures", 0))
            return QVR_ENOMEM;
    }
    cJSON *q = cJSON_GetObjectItemCaseSensitive(o, "requests");
    cJSON *f = cJSON_GetObjectItemCaseSensitive(o, "failures");
    cJSON_SetNumberValue(q, q->valuedouble + (double)r->requests);
    cJSON_SetNumberValue(f, f->valuedouble + (double)r->failures);
    return 0;
}

static int write_timeseries(const char *dir, const struct swin *w, int nw,
                            double start, char *err, unsigned long errlen)
{
    struct qvr_buf b;
    qvr_buf_init(&b, 0);
    qvr_buf_printf(&b, "time_s,wall_s,requests,failures,rps,p50_ms,p90_ms,"
                       "p99_ms,max_ms\n");
    for (int i = 0; i < nw; i++) {
        double end = w[i].start_s + w[i].len_s;
        qvr_buf_printf(&b, "%.3f,%.3f,%llu,%llu,%.3f,%.3f,%.3f,%.3f,%.3f\n",
                       end, start + end, (unsigned long long)w[i].requests,
                       (unsigned long long)w[i].failures,
                       w[i].len_s > 0 ? (double)w[i].requests / w[i].len_s : 0,
                       w[i].p50_ms, w[i].p90_ms, w[i].p99_ms, w[i].max_ms);
    }
    int rc = QVR_ENOMEM;
    if (b.truncated || !b.data)
        snprintf(err, errlen, "out of memory writing timeseries.csv");
    else
        rc = qvr_report_write_file(dir, "timeseries.csv", b.data, b.len, err,
                                   errlen);
    qvr_buf_free(&b);
    return rc;
}

/* Drops what follows the last line break of dir/name (a line the kill cut
 * short), rewriting the file; *cut set when something was dropped. text
 * and len: the file as read (text is cut in place). Returns 0 or a
 * negative enum qvr_err with err set. */
static int drop_cut_line(const char *dir, const char *name, char *text,
                         size_t *len, int *cut, char *err, unsigned long errlen)
{
    size_t keep = *len;
    while (keep > 0 && text[keep - 1] != '\n')
        keep--;
    if (keep == *len)
        return 0;
    *cut = 1;
    text[keep] = 0;
    *len = keep;
    return qvr_report_write_file(dir, name, text, keep, err, errlen);
}

/* The same for timeseries_by_name.csv, when it is there. */
static int trim_byname(const char *dir, int *cut, char *err,
                       unsigned long errlen)
{
    char path[4200], *text = NULL;
    size_t len = 0;
    snprintf(path, sizeof(path), "%s/timeseries_by_name.csv", dir);
    int rc = read_log(path, &text, &len, err, errlen);
    if (rc == QVR_ENOTFOUND)
        return 0;
    if (rc == 0)
        rc = drop_cut_line(dir, "timeseries_by_name.csv", text, &len, cut, err,
                           errlen);
    free(text);
    return rc;
}

int qvr_salvage_dir(const char *dir, int *cut, char *err, unsigned long errlen)
{
    char path[4200];
    char *text = NULL, *js = NULL;
    size_t len = 0;
    struct swin *w = NULL;
    struct qvr_rname *rows = NULL;
    int nw = 0, capw = 0, nrows = 0, lineno = 0;
    double start = 0;
    cJSON *root = NULL;
    *cut = 0;
    snprintf(path, sizeof(path), "%s/latency.hlog", dir);
    int rc = read_log(path, &text, &len, err, errlen);
    if (rc < 0)
        return rc;
    /* A line the kill cut short: everything after the last line break. */
    if ((rc = drop_cut_line(dir, "latency.hlog", text, &len, cut, err,
                            errlen)) < 0 ||
        (rc = trim_byname(dir, cut, err, errlen)) < 0)
        goto out;
    rc = QVR_ENOMEM;
    for (char *line = text, *next; *line; line = next) {
        next = strchr(line, '\n');
        *next++ = 0; /* every kept line ends with '\n' */
        lineno++;
        if (strncmp(line, "#[StartTime:", 12) == 0)
            start = strtod(line + 12, NULL);
        if (!line[0] || line[0] == '#' || line[0] == '"')
            continue;
        if (nw == capw) {
            capw = capw ? capw * 2 : 64;
            struct swin *g = realloc(w, (size_t)capw * sizeof(*g));
            if (!g)
                goto oom;
            w = g;
        }
        int pr = parse_line(line, &w[nw]);
        if (pr < 0) {
            rc = QVR_EINVAL;
            snprintf(err, errlen, "%s line %d: malformed interval line", path,
                     lineno);
            goto out;
        }
        nw += pr == 0;
    }
    rc = qvr_rnames_load(dir, &rows, &nrows, err, errlen);
    if (rc < 0 && rc != QVR_ENOTFOUND)
        goto out;
    root = cJSON_CreateObject();
    cJSON *tot = cJSON_CreateObject(), *names = cJSON_CreateObject();
    if (!root || !tot || !names) {
        cJSON_Delete(tot);
        cJSON_Delete(names);
        goto oom;
    }
    cJSON_AddStringToObject(root, "schema", "qvrrun.summary/1");
    cJSON_AddStringToObject(root, "scenario", "");
    cJSON_AddBoolToObject(root, "partial", 1);
    cJSON_AddStringToObject(
        root, "partial_reason",
        "the run ended without writing its summary (killed?): rebuilt by "
        "qvrrun report from latency.hlog and timeseries_by_name.csv; no "
        "thresholds, load or scenario name");
    cJSON_AddNumberToObject(root, "started", start);
    cJSON_AddItemToObject(root, "totals", tot);
    cJSON_AddItemToObject(root, "names", names);
    /* Each name row joins the window that ends at its time_s. */
    uint64_t req = 0, fail = 0;
    int cursor = 0;
    for (int i = 0; i < nrows; i++) {
        if (add_name(names, &rows[i]) < 0)
            goto oom;
        fail += rows[i].failures;
        while (cursor < nw &&
               w[cursor].start_s + w[cursor].len_s < rows[i].end_s - 0.0025)
            cursor++;
        if (cursor < nw &&
            fabs(w[cursor].start_s + w[cursor].len_s - rows[i].end_s) <= 0.0025)
            w[cursor].failures += rows[i].failures;
    }
    double dur = 0;
    for (int i = 0; i < nw; i++) {
        req += w[i].requests;
        dur = w[i].start_s + w[i].len_s;
    }
    cJSON_AddNumberToObject(root, "duration_s", dur);
    cJSON_AddNumberToObject(tot, "requests", (double)req);
    cJSON_AddNumberToObject(tot, "failures", (double)fail);
    struct stat st;
    snprintf(path, sizeof(path), "%s/timeseries.csv", dir);
    if (lstat(path, &st) < 0 &&
        (rc = write_timeseries(dir, w, nw, start, err, errlen)) < 0)
        goto out;
    js = cJSON_Print(root);
    if (!js)
        goto oom;
    size_t jl = strlen(js);
    char *nl = malloc(jl + 2);
    if (!nl)
        goto oom;
    memcpy(nl, js, jl);
    nl[jl] = '\n';
    rc = qvr_report_write_file(dir, "summary.json", nl, jl + 1, err, errlen);
    free(nl);
    goto out;
oom:
    rc = QVR_ENOMEM;
    snprintf(err, errlen, "out of memory rebuilding %s/summary.json", dir);
out:
    cJSON_free(js);
    cJSON_Delete(root);
    qvr_rnames_free(rows, nrows);
    free(w);
    free(text);
    return rc;
}
