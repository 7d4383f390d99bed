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
    struct qvr_slo slo = {5000, 99, 0.05};
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
