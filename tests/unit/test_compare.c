/* test_compare.c -- `qvrrun compare` judges noise: summaries written here
 * with known histograms, so that the intervals are exactly those of the
 * order statistics. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compare.h"
#include "hist.h"
#include "t.h"

static char root[] = "/tmp/qvr-test-compare-XXXXXX";

/* root/name/summary.json for n requests in 10 s whose latencies spread
 * evenly from base_ms to 2 * base_ms (and users / load as given). */
static void write_run(const char *name, int n, double base_ms, int users)
{
    char dir[256], path[300];
    snprintf(dir, sizeof(dir), "%s/%s", root, name);
    T_CHECK(mkdir(dir, 0755) == 0);
    struct qvr_hist *h = qvr_hist_new();
    for (int i = 0; i < n; i++)
        qvr_hist_record(h, (uint64_t)(base_ms * 1000 * (1 + (double)i / n)));
    char *enc = NULL;
    T_EQ_INT(qvr_hist_encode(h, &enc), 0);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "scenario", "s");
    cJSON_AddNumberToObject(o, "duration_s", 10);
    cJSON_AddNumberToObject(o, "max_users", users);
    cJSON *ld =
        cJSON_AddObjectToObject(cJSON_AddObjectToObject(o, "config"), "load");
    cJSON_AddStringToObject(ld, "shape", "users");
    cJSON_AddNumberToObject(ld, "count", users);
    cJSON *t = cJSON_AddObjectToObject(o, "totals");
    cJSON_AddNumberToObject(t, "requests", n);
    cJSON_AddNumberToObject(t, "rps", n / 10.0);
    cJSON_AddNumberToObject(t, "error_rate", 0);
    cJSON *l = cJSON_AddObjectToObject(t, "latency_ms");
    cJSON_AddNumberToObject(l, "p50", qvr_hist_value_at(h, 50) / 1000.0);
    cJSON_AddNumberToObject(l, "p90", qvr_hist_value_at(h, 90) / 1000.0);
    cJSON_AddNumberToObject(l, "p99", qvr_hist_value_at(h, 99) / 1000.0);
    cJSON_AddStringToObject(t, "histogram_us", enc);
    char *text = cJSON_Print(o);
    snprintf(path, sizeof(path), "%s/summary.json", dir);
    FILE *f = fopen(path, "w");
    T_CHECK(f != NULL);
    if (f) {
        fputs(text, f);
        fclose(f);
    }
    free(text);
    free(enc);
    cJSON_Delete(o);
    qvr_hist_free(h);
}

/* Compares root/a with root/b; the output in out (size len). */
static int run_compare(const char *a, const char *b, char *out, size_t len)
{
    char da[256], db[256], err[256];
    snprintf(da, sizeof(da), "%s/%s", root, a);
    snprintf(db, sizeof(db), "%s/%s", root, b);
    struct qvr_compare_opts o = {0.10, 1.0};
    FILE *f = fmemopen(out, len, "w");
    int rc = qvr_compare_dirs(da, db, &o, f, err, sizeof(err));
    fclose(f);
    out[len - 1] = 0;
    return rc;
}

int main(void)
{
    static char out[16384];
    T_CHECK(mkdtemp(root) != NULL);
    /* 100 requests, new 12% slower: beyond the tolerance, but p50's
     * intervals overlap (ranks 40..61 of values spread 50..100 ms) and
     * p99 of 100 requests has no upper bound. */
    write_run("a100", 100, 50, 4);
    write_run("b100", 100, 56, 4);
    T_EQ_INT(run_compare("a100", "b100", out, sizeof(out)), 0);
    T_CHECK_MSG(strstr(out, "too few requests to judge p99 (needs ~569)"), "%s",
                out);
    T_CHECK_MSG(strstr(out, "within noise (intervals overlap)"), "%s", out);
    T_CHECK_MSG(strstr(out, "TOTAL (requests: base 100, new 100)"), "%s", out);
    T_CHECK(strstr(out, "warning:") == NULL);
    T_EQ_INT(run_compare("b100", "a100", out, sizeof(out)), 0);

    /* 5000 requests, the same 12%: the intervals are apart, p50 and p99
     * are regressions (rps is the same). */
    write_run("a5k", 5000, 50, 4);
    write_run("b5k", 5000, 56, 4);
    T_EQ_INT(run_compare("a5k", "b5k", out, sizeof(out)), 2);
    T_CHECK_MSG(strstr(out, "TOTAL p50 +12.0%, TOTAL p99 +12.0%"), "%s", out);
    /* p99 of 5000 spread evenly over 50..100 ms: 99.5 ms; its bounds the
     * ranks 4950 -+ 1.96 sqrt(49.5) = 4936 and 4965 + 1, that is 50 * (1 +
     * rank / 5000): 99.36 and 99.66 ms (read from the histogram's 0.1%
     * buckets) */
    T_CHECK_MSG(strstr(out, "99.5ms [99.4ms, 99.6ms]"), "%s", out);
    T_EQ_INT(run_compare("b5k", "a5k", out, sizeof(out)), 0);

    /* 5000 requests, 2% slower: apart, but within the tolerance. */
    write_run("c5k", 5000, 51, 4);
    T_EQ_INT(run_compare("a5k", "c5k", out, sizeof(out)), 0);

    /* Different users and load: said, and still compared. */
    write_run("d5k", 5000, 50, 8);
    T_EQ_INT(run_compare("a5k", "d5k", out, sizeof(out)), 0);
    T_CHECK_MSG(strstr(out, "warning: the users differ: at most 4 vs 8"), "%s",
                out);
    T_CHECK_MSG(strstr(out, "warning: the loads differ: users count=4 vs "
                            "users count=8"),
                "%s", out);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
    T_CHECK(system(cmd) == 0);
    return T_DONE();
}
