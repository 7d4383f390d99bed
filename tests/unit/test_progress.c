/* test_progress.c -- the live line sums the windows since the last line:
 * a stall in any of them shows in the peak P99, an interval without an
 * answer prints "–", errors since the last line are listed by kind. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "hist.h"
#include "metrics.h"
#include "progress.h"
#include "t.h"

int main(void)
{
    struct qvr_progress *p = qvr_progress_new();
    struct qvr_hist *w = qvr_hist_new();
    char line[512], buf[32];
    uint64_t fails[QVR_FAIL__COUNT] = {0};
    T_CHECK(p && w);

    /* Five 1 s windows: four of 100 answers at 5 ms, one (the second) of
     * 4 answers held 1 s by a stall. The newest window alone (what the old
     * line showed) says 5 ms; the interval's P99 is 5 ms too (4 of 404 is
     * under 1%), and its peak window P99 is the stall's 1 s. */
    for (int i = 0; i < 5; i++) {
        qvr_hist_reset(w);
        if (i == 1)
            qvr_hist_record_n(w, 1000000, 4);
        else
            qvr_hist_record_n(w, 5000, 100);
        qvr_progress_add(p, w, i == 1 ? 4 : 100, 0, 1.0);
    }
    struct qvr_progress_now now = {5.0, 30.0, 10, 404, 0, fails, 1};
    /* a terminal's line rewritten in place (keep): the interval goes on */
    qvr_progress_line(p, &now, line, sizeof(line));
    T_CHECK_MSG(strstr(line, "| 80.8 req/s | p50 5.00ms p99 5.00ms peak "
                             "1.00s |") != NULL,
                "%s", line);
    now.keep = 0;
    qvr_progress_line(p, &now, line, sizeof(line));
    T_CHECK_MSG(strstr(line, "[    5s/30s] users 10 | 80.8 req/s | p50 5.00ms "
                             "p99 5.00ms peak 1.00s | requests 404 | "
                             "errors 0 (0.0%)") == line,
                "%s", line);

    /* The next interval has no answer: dashes, not 0.0ms. */
    qvr_progress_add(p, NULL, 0, 0, 1.0);
    now.elapsed_s = 6.0;
    qvr_progress_line(p, &now, line, sizeof(line));
    T_CHECK_MSG(strstr(line, "| 0.0 req/s | p50 \u2013 p99 \u2013 peak "
                             "\u2013 |") != NULL,
                "%s", line);
    T_CHECK(strstr(line, "0.0ms") == NULL);

    /* Errors since the last line, by kind; the next line counts anew. */
    qvr_hist_reset(w);
    qvr_hist_record_n(w, 2000, 10);
    qvr_progress_add(p, w, 10, 3, 1.0);
    fails[QVR_FAIL_HTTP_5XX] = 2;
    fails[QVR_FAIL_TIMEOUT] = 1;
    now.requests = 414;
    now.failures = 3;
    qvr_progress_line(p, &now, line, sizeof(line));
    T_CHECK_MSG(strstr(line, "errors 3 (0.7%; since last: http_5xx 2, "
                             "timeout 1)") != NULL,
                "%s", line);
    qvr_progress_add(p, w, 10, 0, 1.0);
    qvr_progress_line(p, &now, line, sizeof(line));
    T_CHECK_MSG(strstr(line, "errors 3 (0.7%)") != NULL, "%s", line);

    T_EQ_STR(qvr_progress_fmt_ms(NAN, buf, sizeof(buf)), "\u2013");
    T_EQ_STR(qvr_progress_fmt_ms(0.25, buf, sizeof(buf)), "0.25ms");
    T_EQ_STR(qvr_progress_fmt_ms(812, buf, sizeof(buf)), "812ms");
    T_EQ_STR(qvr_progress_fmt_ms(1240, buf, sizeof(buf)), "1.24s");
    /* The terminal's per-name table: the run so far, a name without an
     * answer shows dashes. */
    struct qvr_metrics *m = qvr_metrics_new(0, NULL);
    struct qvr_stat *a = qvr_metrics_name(m, "rerank_text");
    qvr_metrics_name(m, "never");
    struct qvr_sample smp;
    memset(&smp, 0, sizeof(smp));
    for (int i = 1; i <= 100; i++) {
        smp.response_us = (uint64_t)i * 1000; /* 1..100 ms */
        smp.status = 200;
        qvr_metrics_record(m, -1, a, &smp);
    }
    char tab[2048];
    FILE *f = fmemopen(tab, sizeof(tab), "w");
    qvr_progress_table(m, 10.0, 10, f);
    fclose(f);
    T_CHECK_MSG(strstr(tab, "  rerank_text                    100        0     "
                            "10.0    50.0ms    99.0ms     100ms\n"),
                "%s", tab);
    T_CHECK_MSG(strstr(tab,
                       "  never                            0        0      "
                       "0.0         \u2013         \u2013         "
                       "\u2013\n"),
                "%s", tab);
    T_CHECK_MSG(strstr(tab, "  TOTAL                          100"), "%s", tab);
    qvr_metrics_free(m);
    qvr_hist_free(w);
    qvr_progress_free(p);
    qvr_progress_free(NULL);
    return T_DONE();
}
