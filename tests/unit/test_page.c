/* test_page.c -- report.html from a loaded result directory: a 30-minute
 * soak at 1 s windows draws every window and stays far under 2 MB; a run
 * of more windows than the page draws one by one is drawn in the loaded
 * groups and the page says so; the figures come from summary.json. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "hist.h"
#include "page.h"
#include "qvr.h"
#include "render.h"
#include "t.h"

static char *slurp(const char *path, long *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    *n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)*n + 1);
    if (s && fread(s, 1, (size_t)*n, f) != (size_t)*n) {
        free(s);
        s = NULL;
    }
    if (s)
        s[*n] = 0;
    fclose(f);
    return s;
}

static int count(const char *s, const char *part)
{
    int n = 0;
    for (const char *p = s; (p = strstr(p, part)); p++)
        n++;
    return n;
}

/* A result directory of nwin 1 s windows (groups of k when k > 1). */
static void make(struct qvr_rdir *rd, const char *dir, int nwin, int k,
                 struct qvr_rseries *series)
{
    memset(rd, 0, sizeof(*rd));
    rd->dir = dir;
    rd->summary = cJSON_Parse(
        "{\"scenario\":\"soak\",\"exit_code\":99,\"max_users\":8,"
        "\"target\":{\"url\":\"http://127.0.0.1:1\"},"
        "\"totals\":{\"requests\":12345,\"failures\":7,\"rps\":6.85,"
        "\"error_rate\":0.00057,\"failures_by_kind\":{\"http_5xx\":7},"
        "\"latency_ms\":{\"p50\":20,\"p90\":30,\"p99\":40,\"max\":90}},"
        "\"names\":{\"rerank\":{\"requests\":12345,\"failures\":7,"
        "\"rps\":6.85,\"latency_ms\":{\"p50\":20,\"p90\":30,\"p99\":40,"
        "\"max\":90}}},"
        "\"thresholds\":[{\"expr\":\"p99 < 30ms\",\"measured\":\"40ms\","
        "\"ok\":false},{\"expr\":\"rps_trend > -10%\",\"measured\":\"n/a\","
        "\"ok\":null,\"skipped\":\"2 steady windows, a trend needs 5\"}],"
        "\"findings\":[\"a finding </script> with a tag\"],"
        "\"load_changes\":[{\"time_s\":10,\"users\":8,\"source\":\"web\"}]}");
    rd->scenario = "soak";
    rd->duration_s = nwin;
    rd->nwin = nwin;
    rd->win = calloc((size_t)nwin, sizeof(*rd->win));
    for (int i = 0; i < nwin; i++) {
        struct qvr_rwin *w = &rd->win[i];
        w->end_s = i + 1;
        w->len_s = 1;
        w->users = 8;
        w->requests = 7;
        w->rps = 7;
        w->p50_ms = 20.123;
        w->p90_ms = 30.456;
        w->p99_ms = 40.789;
    }
    if (k > 1) {
        rd->group_k = k;
        rd->ngrp = (nwin + k - 1) / k;
        rd->grp = calloc((size_t)rd->ngrp, sizeof(*rd->grp));
        for (int g = 0; g < rd->ngrp; g++) {
            rd->grp[g].end_s = (g + 1) * k;
            rd->grp[g].len_s = k;
            rd->grp[g].requests = 7 * (uint64_t)k;
            rd->grp[g].p99_ms = 41;
            rd->grp[g].users = 8;
        }
    }
    series->h = qvr_hist_new();
    for (int v = 1; v <= 1000; v++)
        qvr_hist_record(series->h, (uint64_t)v * 100);
    rd->series = series;
    rd->nseries = 1;
}

static void release(struct qvr_rdir *rd, struct qvr_rseries *series)
{
    cJSON_Delete(rd->summary);
    free(rd->win);
    free(rd->grp);
    qvr_hist_free(series->h);
}

int main(void)
{
    char dir[] = "/tmp/qvr-test-page.XXXXXX";
    T_CHECK(mkdtemp(dir) != NULL);
    char path[256], err[512] = "";
    snprintf(path, sizeof(path), "%s/report.html", dir);

    /* 30 minutes at 1 s windows: every window drawn */
    struct qvr_rdir rd;
    struct qvr_rseries series;
    memset(&series, 0, sizeof(series));
    make(&rd, dir, 1800, 1, &series);
    T_EQ_INT(qvr_page_report(&rd, err, sizeof(err)), 0);
    long n = 0;
    char *html = slurp(path, &n);
    T_CHECK(html != NULL);
    if (html) {
        T_CHECK_MSG(n < 400 * 1024, "report.html is %ld bytes", n);
        T_EQ_INT(count(html, "[1800,20.123,30.456,40.789,7,0,8]"), 1);
        T_EQ_INT(count(html, ",7,0,8]"), 1800);
        T_CHECK(strstr(html, "\"requests\":12345") != NULL);
        T_CHECK(strstr(html, "\"state\":\"failed\"") != NULL);
        T_CHECK(strstr(html, "\"state\":\"n/a\",\"why\":\"2 steady") != NULL);
        T_CHECK(strstr(html, "a finding <\\/script> with a tag") != NULL);
        T_CHECK(strstr(html, "\"changes\":[{\"time_s\":10,\"users\":8") !=
                NULL);
        T_CHECK(strstr(html, "\"note\":\"\"") != NULL);
        /* the spectrum: 13 percentiles of the series, the median 50 ms */
        T_CHECK(strstr(html, "[50,50") != NULL);
    }
    free(html);
    release(&rd, &series);

    /* 2 hours at 1 s windows: drawn in the groups, and said so */
    make(&rd, dir, 7200, 20, &series);
    T_EQ_INT(qvr_page_report(&rd, err, sizeof(err)), 0);
    html = slurp(path, &n);
    T_CHECK(html != NULL);
    if (html) {
        T_CHECK(strstr(html, "7200 windows drawn in 360 groups of 20") != NULL);
        T_EQ_INT(count(html, ",0,0,41,7,0,8]"), 360);
        T_CHECK_MSG(n < 2 * 1024 * 1024, "report.html is %ld bytes", n);
    }
    free(html);
    release(&rd, &series);

    /* an unwritable directory: an error naming the file */
    memset(&series, 0, sizeof(series));
    make(&rd, "/nonexistent-qvr-dir", 10, 1, &series);
    T_CHECK(qvr_page_report(&rd, err, sizeof(err)) < 0);
    T_CHECK(strstr(err, "report.html") != NULL);
    release(&rd, &series);
    unlink(path);
    rmdir(dir);
    return T_DONE();
}
