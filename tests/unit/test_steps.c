/* test_steps.c -- knee, safe level, SLO marks and saturation on step rows
 * built by hand, and the steps.csv layout. */
#include <stdlib.h>
#include <string.h>

#include "steps.h"
#include "t.h"

static struct qvr_step_row row(int users, double rate, double rps, double p99,
                               double err)
{
    struct qvr_step_row r;
    memset(&r, 0, sizeof(r));
    r.users = users;
    r.rate = rate;
    r.rps = rps;
    r.p99_ms = p99;
    r.p50_ms = p99 / 2;
    r.error_rate = err;
    r.requests = 100;
    r.achieved_users = users;
    r.achieved_rate = rate;
    return r;
}

int main(void)
{
    struct qvr_slo slo = {5000, 99, 0.05, 0, 0, 0, 0};
    struct qvr_knee k;

    /* One slot of 100 ms: flat 10 req/s from 1 user; the knee is the first
     * step that gains nothing: 2 users; safe is 1. */
    struct qvr_step_row a[4] = {row(1, 0, 10, 105, 0), row(2, 0, 10.1, 209, 0),
                                row(4, 0, 10, 410, 0), row(8, 0, 9.9, 810, 0)};
    for (int i = 0; i < 4; i++)
        a[i].index = i + 1;
    qvr_steps_analyse(a, 4, &slo, &k);
    T_EQ_INT(k.knee, 1);
    T_EQ_INT(k.safe, 0);
    T_CHECK(strstr(a[1].note, "knee") != NULL);
    T_CHECK(strstr(a[0].note, "safe") != NULL);
    T_CHECK(k.saturated); /* flat rps while p99 climbs */

    /* Linear scaling then a break of the SLO's P99 at 8 users. */
    struct qvr_step_row b[4] = {row(1, 0, 10, 100, 0), row(2, 0, 20, 100, 0),
                                row(4, 0, 39, 110, 0), row(8, 0, 75, 6000, 0)};
    qvr_steps_analyse(b, 4, &slo, &k);
    T_EQ_INT(k.knee, 3);
    T_EQ_INT(k.safe, 2);
    T_EQ_INT(b[3].slo_ok, 0);
    T_CHECK(strstr(b[3].note, "breaks SLO") != NULL);
    T_EQ_INT(k.best_slo, 2);
    T_EQ_INT(k.saturated, 0);

    /* Gain just under 10% of the ideal is the knee; just over is not. */
    struct qvr_step_row c[2] = {row(2, 0, 20, 100, 0), row(4, 0, 21.9, 100, 0)};
    qvr_steps_analyse(c, 2, &slo, &k);
    T_EQ_INT(k.knee, 1);
    c[1].rps = 22.1;
    qvr_steps_analyse(c, 2, &slo, &k);
    T_EQ_INT(k.knee, -1);
    T_EQ_INT(k.safe, -1);

    /* Errors break the SLO; nothing before meets it: no safe level. */
    struct qvr_step_row d[2] = {row(1, 0, 10, 100, 0.2), row(2, 0, 20, 100, 0)};
    qvr_steps_analyse(d, 2, &slo, &k);
    T_EQ_INT(k.knee, 0);
    T_EQ_INT(k.safe, -1);

    /* Open steps: under-delivery is flagged against the planned rate. */
    struct qvr_step_row e[2] = {row(0, 10, 10, 100, 0), row(0, 20, 15, 100, 0)};
    e[1].achieved_rate = 15;
    qvr_steps_analyse(e, 2, &slo, &k);
    T_EQ_INT(e[1].under, 1);
    T_CHECK(strstr(e[1].note, "under-delivered") != NULL);
    T_EQ_INT(e[0].under, 0);
    /* ... and is the knee although its throughput still rose well: 160/s
     * offered, 80 served, after 40 of 40 (rate steps against a 4-slot,
     * 50 ms mock: throughput doubles, latency holds the SLO, but half the
     * starts were dropped). */
    struct qvr_step_row e2[3] = {row(0, 20, 20, 100, 0), row(0, 40, 40, 110, 0),
                                 row(0, 160, 80, 200, 0)};
    e2[2].achieved_rate = 80;
    qvr_steps_analyse(e2, 3, &slo, &k);
    T_EQ_INT(k.knee, 2);
    T_EQ_INT(k.safe, 1);
    e2[2].achieved_rate = 150; /* 94% served: not under, no knee */
    qvr_steps_analyse(e2, 3, &slo, &k);
    T_EQ_INT(k.knee, -1);

    /* A sweep against 4 slots of 100 ms (40 req/s), as the audit saw it:
     * a one-at-a-time baseline (1 user), the closed saturation probe (16
     * users, p99 over the SLO), then rates 25 and 40 that both deliver
     * within it. The first rate step was judged against the baseline's
     * one user (ideal gain x25) and made the knee; the reference rows are
     * not steps of the curve: no knee, no safe level, goodput from the
     * 40/s rate step. */
    struct qvr_slo slo300 = {300, 99, 0.05, 0, 0, 0, 0};
    struct qvr_step_row f[4] = {row(1, 0, 10, 101, 0), row(16, 0, 40, 402, 0),
                                row(0, 25, 24.7, 101, 0),
                                row(0, 40, 40.0, 109, 0)};
    f[0].label = "baseline";
    f[1].label = "saturation";
    for (int i = 0; i < 4; i++)
        f[i].index = i + 1;
    qvr_steps_analyse(f, 4, &slo300, &k);
    T_EQ_INT(k.knee, -1);
    T_EQ_INT(k.prev, -1);
    T_EQ_INT(k.safe, -1);
    T_EQ_INT(k.best_slo, 3);
    T_EQ_INT(k.saturated, 0);
    T_CHECK(strstr(f[1].note, "breaks SLO") != NULL);
    for (int i = 0; i < 4; i++)
        T_CHECK_MSG(!strstr(f[i].note, "knee") && !strstr(f[i].note, "safe"),
                    "row %d: %s", i, f[i].note);

    /* The saturation probe's throughput (closed loop, it met the SLO here)
     * above every rate step is still not the goodput, and the baseline is
     * not a safe level. Four evenly spaced rates that all scale: no knee. */
    struct qvr_step_row g[6] = {
        row(1, 0, 10, 101, 0),      row(16, 0, 48, 250, 0),
        row(0, 17.5, 17.4, 101, 0), row(0, 25, 24.9, 102, 0),
        row(0, 32.5, 32.3, 104, 0), row(0, 40, 39.6, 118, 0)};
    g[0].label = "baseline";
    g[1].label = "saturation";
    qvr_steps_analyse(g, 6, &slo300, &k);
    T_EQ_INT(k.knee, -1);
    T_EQ_INT(k.safe, -1);
    T_EQ_INT(k.best_slo, 5);
    T_EQ_INT(k.saturated, 0);

    /* A real knee at a known rate step: 20, 30, 40 req/s scale, 50 gives
     * 40.4 (gain 0.4, under 10% of the ideal 10): the knee is the 50/s
     * step, judged against the 40/s step (prev), safe at 40/s. */
    struct qvr_step_row h[6] = {
        row(1, 0, 10, 101, 0),    row(16, 0, 40, 402, 0),
        row(0, 20, 19.9, 101, 0), row(0, 30, 29.8, 102, 0),
        row(0, 40, 40.0, 115, 0), row(0, 50, 40.4, 250, 0)};
    h[0].label = "baseline";
    h[1].label = "saturation";
    qvr_steps_analyse(h, 6, &slo300, &k);
    T_EQ_INT(k.knee, 5);
    T_EQ_INT(k.prev, 4);
    T_EQ_INT(k.safe, 4);
    T_EQ_INT(k.best_slo, 5);
    T_CHECK(strstr(h[5].note, "knee") != NULL);
    T_CHECK(strstr(h[4].note, "safe") != NULL);

    /* The same curve breaking the SLO at 50/s instead: knee there too. */
    h[5].rps = 48;
    h[5].p99_ms = 900;
    qvr_steps_analyse(h, 6, &slo300, &k);
    T_EQ_INT(k.knee, 5);
    T_EQ_INT(k.safe, 4);
    T_EQ_INT(k.best_slo, 4);

    /* sweep{max_rps=}: no saturation row. The first rate step follows the
     * baseline (1 user, 10 req/s); 33 req/s at 33.3 offered is no knee (it
     * was, against the baseline's 1 user); 56.7 breaks the SLO. */
    struct qvr_step_row m[4] = {
        row(1, 0, 10, 101, 0), row(0, 33.3, 33.1, 110, 0),
        row(0, 56.7, 40.1, 1040, 0), row(0, 80, 40.0, 2100, 0)};
    m[0].label = "baseline";
    qvr_steps_analyse(m, 4, &slo300, &k);
    T_EQ_INT(k.knee, 2);
    T_EQ_INT(k.prev, 1);
    T_EQ_INT(k.safe, 1);
    T_EQ_INT(k.best_slo, 1);

    /* The first rate step breaking the SLO is the knee, with nothing to
     * compare it with and no safe level (the baseline is not one). */
    m[1].p99_ms = 400;
    qvr_steps_analyse(m, 4, &slo300, &k);
    T_EQ_INT(k.knee, 1);
    T_EQ_INT(k.prev, -1);
    T_EQ_INT(k.safe, -1);
    T_EQ_INT(k.best_slo, -1);

    /* Saturation (stop_on) is read on the curve only: flat throughput and
     * climbing P99 across baseline, probe and one rate step is not it. */
    struct qvr_step_row q[3] = {row(1, 0, 40, 100, 0), row(16, 0, 40, 400, 0),
                                row(0, 40, 40, 500, 0)};
    q[0].label = "baseline";
    q[1].label = "saturation";
    T_EQ_INT(qvr_steps_saturated(q, 3), 0);
    q[0].label = q[1].label = NULL;
    T_EQ_INT(qvr_steps_saturated(q, 3), 1);
    T_EQ_INT(qvr_steps_reference(&g[0]), 1);
    T_EQ_INT(qvr_steps_reference(&g[1]), 1);
    T_EQ_INT(qvr_steps_reference(&g[2]), 0);

    /* steps.csv: header, one line per step, the note last and quoted. */
    struct qvr_buf buf;
    qvr_buf_init(&buf, 0);
    qvr_steps_analyse(a, 4, &slo, &k);
    qvr_steps_csv(a, 4, NULL, &buf);
    T_CHECK(strncmp(buf.data, "step,users,rate,duration_s,", 27) == 0);
    int lines = 0;
    for (size_t i = 0; i < buf.len; i++)
        lines += buf.data[i] == '\n';
    T_EQ_INT(lines, 5);
    T_CHECK(strstr(buf.data, "\n2,2,0.000,") != NULL);
    T_CHECK(strstr(buf.data, "\"knee\"\n") != NULL);
    qvr_buf_reset(&buf);
    qvr_steps_csv(a, 1, "docs", &buf);
    T_CHECK(strncmp(buf.data, "step,users,rate,docs,duration_s,", 32) == 0);
    qvr_buf_free(&buf);
    return T_DONE();
}
