/* test_gate.c -- least-squares trends over window rows and sliding-window
 * thresholds fed window by window. */
#include <math.h>
#include <string.h>

#include "gate.h"
#include "hist.h"
#include "t.h"
#include "thresh.h"

int main(void)
{
    /* A line fits exactly. */
    double x[5] = {1, 2, 3, 4, 5}, y[5] = {10, 9, 8, 7, 6}, a, b;
    T_EQ_INT(qvr_trend_fit(x, y, 5, &a, &b), 0);
    T_NEAR(a, 10, 1e-9);
    T_NEAR(b, 6, 1e-9);
    T_CHECK(qvr_trend_fit(x, y, 2, &a, &b) < 0); /* too few points */
    double same[3] = {2, 2, 2};
    T_CHECK(qvr_trend_fit(same, y, 3, &a, &b) < 0);

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
    return T_DONE();
}
