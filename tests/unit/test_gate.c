/* test_gate.c -- least-squares trends over window rows and sliding-window
 * thresholds fed window by window. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gate.h"
#include "hist.h"
#include "log.h"
#include "t.h"
#include "thresh.h"
#include "verdict_json.h"

/* ttft./itl. trends fit the windows' token times, not the latency: TTFT
 * p99 climbing 100 -> 195 ms while latency holds still; windows without
 * a stream are left out. */
static void test_token_trends(void)
{
    struct qvr_window_row rows[20];
    memset(rows, 0, sizeof(rows));
    for (int i = 0; i < 20; i++) {
        rows[i].t_s = i + 1;
        rows[i].len_s = 1;
        rows[i].requests = 10;
        rows[i].rps = 10;
        rows[i].p50_ms = rows[i].p99_ms = 50;
        rows[i].streams = i == 7 ? 0 : 10;
        rows[i].ttft_p99_ms = i == 7 ? 9999 : 100 + 5 * i;
        rows[i].itl_p50_ms = 5;
    }
    struct qvr_plan_thresh th[3];
    memset(th, 0, sizeof(th));
    char err[128];
    T_EQ_INT(qvr_thresh_parse("ttft.p99_trend", "< +20%", &th[0].t, err,
                              sizeof(err)),
             0);
    T_EQ_INT(
        qvr_thresh_parse("p99_trend", "< +20%", &th[1].t, err, sizeof(err)), 0);
    T_EQ_INT(
        qvr_thresh_parse("itl.p50_trend", "< +20%", &th[2].t, err, sizeof(err)),
        0);
    T_EQ_INT(qvr_gate_trends(th, 3, rows, 20, 0, 1), 0);
    T_NEAR(th[0].value, 0.95, 1e-6); /* 100 -> 195: +95% */
    T_EQ_INT(th[0].ok, 0);
    T_NEAR(th[1].value, 0, 1e-9);
    T_EQ_INT(th[1].ok, 1);
    T_NEAR(th[2].value, 0, 1e-9);

    /* a token threshold on a run whose answers were not streams */
    struct qvr_plan_thresh nd;
    memset(&nd, 0, sizeof(nd));
    T_EQ_INT(qvr_thresh_parse("ttft.p99", "< 1s", &nd.t, err, sizeof(err)), 0);
    nd.value = NAN;
    T_EQ_INT(qvr_gate_no_data(&nd, 5, 0, NULL, 0), 1);
    T_CHECK(strstr(nd.why, "no token stream carried a token") != NULL);
}

int main(void)
{
    /* A line fits exactly. */
    double x[5] = {1, 2, 3, 4, 5}, y[5] = {10, 9, 8, 7, 6}, a, b;
    T_EQ_INT(qvr_trend_fit(x, y, 5, &a, &b, NULL), 0);
    T_NEAR(a, 10, 1e-9);
    T_NEAR(b, 6, 1e-9);
    T_CHECK(qvr_trend_fit(x, y, 2, &a, &b, NULL) < 0); /* too few points */
    double same[3] = {2, 2, 2};
    T_CHECK(qvr_trend_fit(same, y, 3, &a, &b, NULL) < 0);
    /* The 95% half-width of the change from the scatter about the line:
     * y = 10, 9.5, 8, 7.5, 6 fits 10.2 -> 6.2; residuals 0.2, -0.3, -0.8,
     * -0.3, -0.2... worked by hand: SSR 0.3, t(3) 3.182, sxx 10, span 4:
     * 3.182 * sqrt(0.3 / 3 / 10) * 4 = 1.2728. An exact line has none. */
    double yn[5] = {10, 9.5, 8, 7.5, 6}, half = -1;
    T_EQ_INT(qvr_trend_fit(x, yn, 5, &a, &b, &half), 0);
    T_NEAR(a, 10.2, 1e-9);
    T_NEAR(b, 6.2, 1e-9);
    T_NEAR(half, 1.2728, 1e-4);
    T_EQ_INT(qvr_trend_fit(x, y, 5, &a, &b, &half), 0);
    T_NEAR(half, 0, 1e-9);

    /* Rows: 60 one-second windows after a 10 s ramp; rps falls from 20 to
     * 17 over the steady phase; the ramp windows are ignored. */
    struct qvr_window_row rows[70];
    memset(rows, 0, sizeof(rows));
    for (int i = 0; i < 70; i++) {
        rows[i].t_s = i + 1;
        rows[i].len_s = 1;
        rows[i].rps = i < 10 ? 2.0 * i : 20 - 3.0 * (i - 10) / 59;
        rows[i].p99_ms = 100 + (i < 10 ? 0 : (i - 10));
        rows[i].requests = 100;
        rows[i].failures = i >= 40 ? 4 : 0;
    }
    rows[69].len_s = 0.2; /* a short tail is not a full window */
    double v = qvr_trend_value(rows, 70, 10, 1, QVR_TM_RPS_TREND, &a, &b);
    T_NEAR(a, 20, 0.01);
    T_NEAR(v, (20 - 3.0 * 58 / 59 - 20) / 20, 0.002);
    v = qvr_trend_value(rows, 70, 10, 1, QVR_TM_P99_TREND, &a, &b);
    T_NEAR(a, 100, 1.5);
    T_CHECK(v > 0.5 && v < 0.6);
    v = qvr_trend_value(rows, 70, 10, 1, QVR_TM_ERROR_RATE_TREND, NULL, NULL);
    T_CHECK(v > 0.02 && v < 0.06); /* absolute change of the fraction */
    T_CHECK(isnan(
        qvr_trend_value(rows, 70, 68.5, 1, QVR_TM_RPS_TREND, NULL, NULL)));

    /* A trend needs QVR_TREND_MIN_WINDOWS steady windows: from 64 s (the
     * windows ending at 65..69; 70 is a short tail) it is fitted, from 65 s
     * it is not, and says how many there were. */
    struct qvr_trend tr;
    T_EQ_INT(QVR_TREND_MIN_WINDOWS, 5);
    T_EQ_INT(qvr_trend_eval(rows, 70, 64, 1, QVR_TM_RPS_TREND, &tr), 0);
    T_EQ_INT(tr.windows, 5);
    T_NEAR(tr.span_s, 5, 1e-9);
    T_CHECK(!isnan(tr.change) && tr.change < 0);
    T_CHECK(qvr_trend_eval(rows, 70, 65, 1, QVR_TM_RPS_TREND, &tr) < 0);
    T_EQ_INT(tr.windows, 4);
    T_CHECK(isnan(tr.change));
    T_CHECK(
        isnan(qvr_trend_value(rows, 70, 65, 1, QVR_TM_RPS_TREND, NULL, NULL)));
    /* A window without requests has no P99 (it is not 0 ms) but a real
     * throughput of 0. */
    struct qvr_window_row gap[12];
    memset(gap, 0, sizeof(gap));
    for (int i = 0; i < 12; i++) {
        gap[i].t_s = i + 1;
        gap[i].len_s = 1;
        gap[i].requests = i % 2 ? 0 : 10;
        gap[i].rps = gap[i].requests;
        gap[i].p99_ms = gap[i].requests ? 100 : 0;
    }
    T_EQ_INT(qvr_trend_eval(gap, 12, 0, 1, QVR_TM_P99_TREND, &tr), 0);
    T_EQ_INT(tr.windows, 6);
    T_NEAR(tr.change, 0, 1e-12);
    T_EQ_INT(qvr_trend_eval(gap, 12, 0, 1, QVR_TM_RPS_TREND, &tr), 0);
    T_EQ_INT(tr.windows, 12);
    T_EQ_INT(qvr_trend_eval(gap, 9, 0, 1, QVR_TM_ERROR_RATE_TREND, &tr), 0);
    T_EQ_INT(tr.windows, 5);
    T_CHECK(qvr_trend_eval(gap, 8, 0, 1, QVR_TM_ERROR_RATE_TREND, &tr) < 0);
    T_EQ_INT(tr.windows, 4);

    /* The n/a rule on thresholds: steady phase from 67 s leaves 2 full
     * windows (68, 69; 70 is a short tail): every trend is skipped, not
     * failed, and says why; the others are left alone. */
    struct qvr_plan_thresh tt[4];
    memset(tt, 0, sizeof(tt));
    char err0[128];
    T_EQ_INT(
        qvr_thresh_parse("rps_trend", "> -20%", &tt[0].t, err0, sizeof(err0)),
        0);
    T_EQ_INT(
        qvr_thresh_parse("p99_trend", "< +25%", &tt[1].t, err0, sizeof(err0)),
        0);
    T_EQ_INT(qvr_thresh_parse("error_rate_trend", "< +2pp", &tt[2].t, err0,
                              sizeof(err0)),
             0);
    T_EQ_INT(qvr_thresh_parse("p99", "< 5s", &tt[3].t, err0, sizeof(err0)), 0);
    tt[3].value = 42;
    qvr_log_set_level(QVR_LOG_ERROR); /* the warning is not this test's */
    T_EQ_INT(qvr_gate_trends(tt, 4, rows, 70, 67, 1), 3);
    for (int i = 0; i < 3; i++) {
        T_EQ_INT(tt[i].skipped, 1);
        T_EQ_INT(tt[i].ok, 1);
        T_EQ_INT(tt[i].evaluated, 0);
        T_CHECK(isnan(tt[i].value));
        T_EQ_STR(tt[i].why, "2 steady windows, a trend needs 5");
        T_EQ_STR(qvr_gate_verdict(&tt[i]), "n/a");
    }
    T_EQ_INT(tt[3].skipped, 0);
    T_NEAR(tt[3].value, 42, 0);
    /* summary.json: "ok": null with the reason; the table says n/a */
    cJSON *jo = qvr_verdict_json_new(&tt[0]);
    T_CHECK(jo && cJSON_IsNull(cJSON_GetObjectItem(jo, "ok")));
    T_CHECK(jo && cJSON_IsNull(cJSON_GetObjectItem(jo, "value")));
    T_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(jo, "skipped")),
             "2 steady windows, a trend needs 5");
    T_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(jo, "measured")), "n/a");
    cJSON_Delete(jo);
    char line[512] = "";
    FILE *mf = fmemopen(line, sizeof(line) - 1, "w");
    T_CHECK(mf != NULL);
    if (mf) {
        qvr_gate_print(&tt[0], mf);
        fclose(mf);
    }
    T_CHECK(strstr(line, "n/a  rps_trend > -20%") != NULL);
    T_CHECK(strstr(line, "not evaluated: 2 steady windows, a trend needs 5"));
    /* Skipped trends make no drift finding. */
    char *fs[4];
    T_EQ_INT(qvr_drift_findings(tt, 4, rows, 70, 67, 1, fs, 4), 0);

    /* With enough windows they are judged: from 10 s the rps trend is
     * -14.7% (holds > -20%), the p99 trend +58% (fails < +25%). */
    T_EQ_INT(qvr_gate_trends(tt, 4, rows, 70, 10, 1), 0);
    T_EQ_INT(tt[0].skipped, 0);
    T_EQ_INT(tt[0].evaluated, 1);
    T_EQ_INT(tt[0].ok, 1);
    T_EQ_INT(tt[1].ok, 0);
    T_EQ_STR(tt[1].why, "");
    jo = qvr_verdict_json_new(&tt[1]);
    T_CHECK(jo && cJSON_IsFalse(cJSON_GetObjectItem(jo, "ok")));
    T_CHECK(jo && !cJSON_GetObjectItem(jo, "skipped"));
    cJSON_Delete(jo);

    /* Findings follow the thresholds: the failed p99_trend has one with
     * the fitted numbers and the measured change as the table prints it;
     * throughput fell 14.7%, within its threshold -20% (the default limit
     * -5% is not used when a threshold exists), and the error rate rose
     * 3.4 pp against "< +2pp": a finding. */
    int nf = qvr_drift_findings(tt, 4, rows, 70, 10, 1, fs, 4);
    T_EQ_INT(nf, 2);
    char want[160], meas[32];
    qvr_trend_eval(rows, 70, 10, 1, QVR_TM_P99_TREND, &tr);
    qvr_thresh_fmt_value(&tt[1].t, tt[1].value, meas, sizeof(meas));
    snprintf(want, sizeof(want), "P99 rose %s over 59s (", meas + 1);
    T_CHECK_MSG(nf > 0 && strstr(fs[0], want), "%s / %s", nf ? fs[0] : "",
                want);
    snprintf(want, sizeof(want),
             "(%.0f -> %.0f ms on the trend line through 59 windows), "
             "failing p99_trend < +25%%",
             tr.first, tr.last);
    T_CHECK_MSG(nf > 0 && strstr(fs[0], want), "%s / %s", nf ? fs[0] : "",
                want);
    T_CHECK(nf > 1 && strstr(fs[1], "the error rate crept up") &&
            strstr(fs[1], "failing error_rate_trend < +2pp"));
    for (int i = 0; i < nf; i++)
        free(fs[i]);

    /* Without trend thresholds the fixed limits apply, and only over a
     * steady phase of 30 s or more: rps -14.7% (limit -5%), P99 +58% and
     * the error rate +3.4 pp are findings; P50 (0 ms here) has no relative
     * change. */
    nf = qvr_drift_findings(tt + 3, 1, rows, 70, 10, 1, fs, 4);
    T_EQ_INT(nf, 3);
    T_CHECK(nf > 0 && strstr(fs[0], "throughput fell 14.7% over 59s") &&
            !strstr(fs[0], "failing"));
    T_CHECK(nf > 1 && strstr(fs[1], "P99 rose 58."));
    T_CHECK(nf > 2 && strstr(fs[2], "the error rate crept up"));
    for (int i = 0; i < nf; i++) {
        T_CHECK(qvr_drift_finding_is(fs[i])); /* merge re-derives them */
        free(fs[i]);
    }
    T_CHECK(qvr_drift_finding_is("the error rate fell 1.00 points over 1m"));
    T_CHECK(!qvr_drift_finding_is("knee at step 3 (8 users)"));
    T_CHECK(!qvr_drift_finding_is("throughput was flat"));
    T_CHECK(!qvr_drift_finding_is("P99"));
    T_EQ_INT(qvr_drift_findings(NULL, 0, rows, 70, 45, 1, fs, 4), 0);
    /* ... while a failed threshold needs no 30 s: 6 windows of a falling
     * throughput (20 -> 10 req/s) against rps_trend > -5% */
    struct qvr_window_row fall[6];
    memset(fall, 0, sizeof(fall));
    for (int i = 0; i < 6; i++) {
        fall[i].t_s = i + 1;
        fall[i].len_s = 1;
        fall[i].rps = 20 - 2.0 * i;
        fall[i].requests = (uint64_t)fall[i].rps;
        fall[i].p99_ms = 100;
    }
    struct qvr_plan_thresh ft;
    memset(&ft, 0, sizeof(ft));
    qvr_thresh_parse("rps_trend", "> -5%", &ft.t, err0, sizeof(err0));
    T_EQ_INT(qvr_gate_trends(&ft, 1, fall, 6, 0, 1), 0);
    T_EQ_INT(ft.ok, 0);
    T_NEAR(ft.value, -0.5, 1e-9);
    nf = qvr_drift_findings(&ft, 1, fall, 6, 0, 1, fs, 4);
    T_EQ_INT(nf, 1);
    T_CHECK_MSG(nf == 1 && strcmp(fs[0], "throughput fell 50.0% over 6s "
                                         "(20.0 -> 10.0 req/s on the trend "
                                         "line through 6 windows), failing "
                                         "rps_trend > -5%") == 0,
                "%s", nf ? fs[0] : "");
    for (int i = 0; i < nf; i++)
        free(fs[i]);
    T_EQ_INT(qvr_drift_findings(NULL, 0, fall, 6, 0, 1, fs, 4), 0);

    /* The rule: judged unless change +- noise holds both 0 and the
     * limit. */
    T_CHECK(qvr_trend_decided(-0.138, 0.068, -0.05));  /* fails for sure */
    T_CHECK(qvr_trend_decided(0.02, 0.2, 0.25));       /* holds for sure */
    T_CHECK(!qvr_trend_decided(-0.125, 0.445, -0.10)); /* noise decides */
    T_CHECK(!qvr_trend_decided(0.20, 0.30, 0.25));
    T_CHECK(qvr_trend_decided(0.30, 0.10, 0.25));   /* a drift, past it */
    T_CHECK(qvr_trend_decided(-0.12, 0.06, -0.10)); /* a drift: judged */
    T_CHECK(qvr_trend_decided(-0.08, 0.06, -0.10)); /* a drift: judged */
    T_CHECK(qvr_trend_decided(0.01, 0.06, -0.10));  /* flat, clear of it */
    T_CHECK(qvr_trend_decided(0.30, 0, 0.25));      /* an exact line */
    T_CHECK(qvr_trend_decided(0, 0, 0));

    /* Too noisy to judge: 34 windows of a flat 3 req/s service whose
     * windows see 2, 3 or 4 requests and whose P99 is the slowest of
     * those few (40-160 ms). 0 and the limits lie inside the fitted
     * changes' intervals: skipped with the value and the half-width,
     * neither held nor failed, and no drift finding; the error rate (0
     * throughout, no scatter) is judged. */
    struct qvr_window_row noisy[40];
    memset(noisy, 0, sizeof(noisy));
    unsigned seed = 7;
    for (int i = 0; i < 40; i++) {
        seed = seed * 1103515245u + 12345u;
        noisy[i].t_s = i + 1;
        noisy[i].len_s = 1;
        noisy[i].requests = 2 + (seed >> 16) % 3;
        noisy[i].rps = (double)noisy[i].requests;
        noisy[i].p99_ms = 40 + (double)((seed >> 8) % 121);
    }
    struct qvr_plan_thresh nt[3];
    memset(nt, 0, sizeof(nt));
    qvr_thresh_parse("rps_trend", "> -10%", &nt[0].t, err0, sizeof(err0));
    qvr_thresh_parse("p99_trend", "< +25%", &nt[1].t, err0, sizeof(err0));
    qvr_thresh_parse("error_rate_trend", "< +2pp", &nt[2].t, err0,
                     sizeof(err0));
    T_EQ_INT(qvr_gate_trends(nt, 3, noisy, 40, 6, 1), 2);
    for (int i = 0; i < 2; i++) {
        qvr_trend_eval(noisy, 40, 6, 1, nt[i].t.metric, &tr);
        T_CHECK_MSG(fabs(tr.change - nt[i].t.target) < tr.noise &&
                        fabs(tr.change) < tr.noise,
                    "%s: %g +- %g", nt[i].t.expr, tr.change, tr.noise);
        T_EQ_INT(nt[i].skipped, 1);
        T_EQ_INT(nt[i].ok, 1);
        T_NEAR(nt[i].value, tr.change, 1e-12);
        T_CHECK_MSG(strncmp(nt[i].why, "too noisy: ", 11) == 0 &&
                        strstr(nt[i].why, "(95%) through 34 windows, a range "
                                          "that holds both 0 and the limit "),
                    "%s", nt[i].why);
        T_EQ_STR(qvr_gate_verdict(&nt[i]), "n/a");
    }
    T_CHECK_MSG(strstr(nt[0].why, "and the limit -10.0%") != NULL, "%s",
                nt[0].why);
    T_EQ_INT(nt[2].skipped, 0);
    T_EQ_INT(nt[2].ok, 1);
    T_EQ_INT(nt[2].evaluated, 1);
    T_EQ_INT(qvr_drift_findings(nt, 3, noisy, 40, 6, 1, fs, 4), 0);
    T_EQ_INT(qvr_drift_findings(NULL, 0, noisy, 40, 6, 1, fs, 4), 0);
    /* A fall beyond the limit by more than its noise fails however noisy:
     * the same scatter on 20 times the rate, falling by a quarter. */
    for (int i = 0; i < 40; i++)
        noisy[i].rps = 20.0 * noisy[i].rps * (1 - 0.25 * i / 39);
    T_EQ_INT(qvr_gate_trends(nt, 1, noisy, 40, 6, 1), 0);
    T_EQ_INT(nt[0].skipped, 0);
    T_EQ_INT(nt[0].ok, 0);
    qvr_trend_eval(noisy, 40, 6, 1, QVR_TM_RPS_TREND, &tr);
    T_CHECK_MSG(tr.noise > 0.05 && tr.change + tr.noise < -0.10, "%g +- %g",
                tr.change, tr.noise);

    /* Windowed: p99[3s] < 50ms over windows of 1 s: windows 1-4 fast,
     * window 5 slow -> the sliding window ending at 5 fails; the worst
     * value is kept. */
    struct qvr_plan_thresh th[2];
    memset(th, 0, sizeof(th));
    char err[128];
    T_EQ_INT(qvr_thresh_parse("p99[3s]", "< 50ms", &th[0].t, err, sizeof(err)),
             0);
    T_EQ_INT(
        qvr_thresh_parse("error_rate[2s]", "< 10%", &th[1].t, err, sizeof(err)),
        0);
    th[0].value = th[1].value = NAN;
    struct qvr_gate *g = qvr_gate_new(th, 2, 1000000000ULL);
    T_CHECK(g != NULL);
    struct qvr_hist *h = qvr_hist_new();
    for (int w = 1; w <= 6; w++) {
        qvr_hist_reset(h);
        for (int i = 0; i < 100; i++)
            qvr_hist_record(h, w == 5 ? 200000 : 10000); /* 200 ms or 10 ms */
        qvr_gate_window(g, h, 100, w == 2 ? 30 : 0, 1.0, w);
        if (w == 4) {
            T_EQ_INT(th[0].ok, 1);
            T_NEAR(th[0].value, 10, 0.02);
        }
    }
    qvr_gate_finish(g);
    T_EQ_INT(th[0].ok, 0);
    T_NEAR(th[0].value, 200, 0.3);
    T_EQ_INT(th[1].ok, 0); /* windows 1-2 or 2-3: 15% errors */
    T_NEAR(th[1].value, 0.15, 1e-9);
    qvr_gate_free(g);

    /* A run shorter than the window is judged on all of it. */
    memset(th, 0, sizeof(th));
    qvr_thresh_parse("error_rate[1m]", "< 5%", &th[0].t, err, sizeof(err));
    th[0].value = NAN;
    g = qvr_gate_new(th, 1, 1000000000ULL);
    for (int w = 0; w < 3; w++)
        qvr_gate_window(g, h, 100, w == 0 ? 3 : 0, 1.0, w + 1);
    T_EQ_INT(th[0].evaluated, 0);
    qvr_gate_finish(g);
    T_EQ_INT(th[0].evaluated, 1);
    T_NEAR(th[0].value, 0.01, 1e-9);
    T_EQ_INT(th[0].ok, 1);
    qvr_gate_free(g);
    qvr_hist_free(h);

    /* No data: a tag that never occurred fails, and says so with the names
     * that did, closest first. */
    struct qvr_plan_thresh nd[5];
    memset(nd, 0, sizeof(nd));
    qvr_thresh_parse("p99{name=rerank_txt}", "< 1s", &nd[0].t, err,
                     sizeof(err));
    qvr_thresh_parse("p99{task=never}", "< 5s", &nd[1].t, err, sizeof(err));
    qvr_thresh_parse("checks{name=a}", "> 99%", &nd[2].t, err, sizeof(err));
    qvr_thresh_parse("p99", "< 5s", &nd[3].t, err, sizeof(err));
    qvr_thresh_parse("p50", "< 5s", &nd[4].t, err, sizeof(err));
    for (int i = 0; i < 5; i++)
        nd[i].value = NAN;
    nd[4].value = 3;
    const char *names[] = {"alpha", "Rerank_Image", "beta", "rerank_text",
                           "gamma"};
    T_EQ_INT(qvr_gate_no_data(&nd[0], 0, 0, names, 5), 1);
    T_EQ_STR(nd[0].why, "no request had name=rerank_txt; names seen (closest "
                        "first): rerank_text, Rerank_Image, beta and 2 more");
    const char *tasks[] = {"r"};
    T_EQ_INT(qvr_gate_no_data(&nd[1], 0, 0, tasks, 1), 1);
    T_EQ_STR(nd[1].why, "no request had task=never; tasks seen: r");
    T_EQ_INT(qvr_gate_no_data(&nd[2], 10, 0, names, 5), 1);
    T_EQ_STR(nd[2].why, "no check ran on a request with name=a");
    T_EQ_INT(qvr_gate_no_data(&nd[3], 0, 0, NULL, 0), 1);
    T_EQ_STR(nd[3].why, "the run completed no request");
    T_EQ_INT(qvr_gate_no_data(&nd[4], 0, 0, NULL, 0), 0); /* has a value */
    T_EQ_INT(nd[4].no_data, 0);
    nd[3].no_data = 0;
    nd[3].why[0] = 0;
    T_EQ_INT(qvr_gate_no_data(&nd[3], 5, 0, NULL, 0), 0); /* another cause */
    T_EQ_INT(nd[3].no_data, 0);
    jo = qvr_verdict_json_new(&nd[0]);
    T_CHECK(jo && cJSON_IsFalse(cJSON_GetObjectItem(jo, "ok")));
    T_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(jo, "no_data")),
             nd[0].why);
    T_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(jo, "measured")), "n/a");
    T_CHECK(jo && !cJSON_GetObjectItem(jo, "reason") &&
            !cJSON_GetObjectItem(jo, "skipped"));
    cJSON_Delete(jo);
    T_EQ_STR(qvr_gate_verdict(&nd[0]), "FAIL");
    T_EQ_INT(qvr_gate_warn_no_data(nd, 5), 3);
    test_token_trends();

    /* The run's one verdict vl. */
    {
        struct qvr_plan_thresh vt[5];
        char vl[512];
        memset(vt, 0, sizeof(v));
        const char *keys[5] = {"p99", "error_rate", "task_errors", "p50",
                               "rps_trend"};
        const char *conds[5] = {"< 60ms", "< 1%", "== 0", "< 1s", "> -10%"};
        for (int i = 0; i < 5; i++) {
            T_EQ_INT(qvr_thresh_parse(keys[i], conds[i], &vt[i].t, NULL, 0), 0);
            vt[i].ok = 1;
        }
        vt[0].value = 216.4;
        vt[1].value = 0.002;
        vt[2].value = 0;
        vt[3].value = 80;
        vt[4].value = NAN;
        vt[4].skipped = 1;
        T_EQ_INT(qvr_gate_summary(vt, 4, 0, NULL, vl, sizeof(vl)), 0);
        T_EQ_STR(vl, "all 4 thresholds passed, exit 0");
        T_EQ_INT(qvr_gate_summary(vt, 5, 0, NULL, vl, sizeof(vl)), 0);
        T_EQ_STR(vl, "4 of 5 thresholds passed, 1 n/a, exit 0");
        vt[0].ok = 0;
        T_EQ_INT(qvr_gate_summary(vt, 4, 99, NULL, vl, sizeof(vl)), 1);
        T_EQ_STR(vl, "1 of 4 thresholds failed (p99 < 60ms: 216ms), exit 99");
        vt[2].ok = 0;
        vt[2].value = 25;
        vt[3].ok = 0;
        vt[3].value = NAN;
        T_EQ_INT(qvr_gate_summary(vt, 4, 99, NULL, vl, sizeof(vl)), 3);
        T_EQ_STR(vl, "3 of 4 thresholds failed (p99 < 60ms: 216ms, "
                     "task_errors == 0: 25, p50 < 1s: no data), exit 99");
        vt[1].ok = 0;
        T_EQ_INT(qvr_gate_summary(vt, 4, 99, NULL, vl, sizeof(vl)), 4);
        T_CHECK(strstr(vl, "4 of 4 thresholds failed (p99 < 60ms: 216ms, "
                           "error_rate < 1%: 0.20%, task_errors == 0: 25, "
                           "...), exit 99") != NULL);
        T_EQ_INT(qvr_gate_summary(vt, 0, 130, NULL, vl, sizeof(vl)), 0);
        T_EQ_STR(vl, "no thresholds set, exit 130 (interrupted)");
        T_EQ_INT(qvr_gate_summary(vt + 4, 1, 0, NULL, vl, sizeof(vl)), 0);
        T_EQ_STR(vl, "no threshold judged (1 n/a), exit 0");
        T_EQ_INT(qvr_gate_summary(vt, 1, 99, "stopped early", vl, 40), 1);
        T_EQ_INT((int)strlen(vl), 39); /* truncated, terminated */
    }
    return T_DONE();
}
