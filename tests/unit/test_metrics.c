/* test_metrics.c -- named request metrics: recording, windows, merging,
 * lookup and labels.
 *
 * The merge test records the same random stream twice: split over two sets
 * that are then added, and whole into a third. Every counter, every status
 * code and every percentile of every stat must then be equal, which a merge
 * that forgets a field, a window or a name cannot produce. */
#include "metrics.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "hist.h"
#include "qvr.h"
#include "t.h"

static uint64_t rng = 0x2545f4914f6cdd1dULL;

static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static const char *const task_names[] = {"embed", "rerank", "search"};

static struct qvr_sample sample(uint64_t us, int status,
                                enum qvr_fail_kind fail)
{
    struct qvr_sample s;
    memset(&s, 0, sizeof(s));
    s.response_us = us;
    s.service_us = us / 2;
    s.ttfb_us = us / 4;
    s.status = status;
    s.fail = fail;
    return s;
}

static void test_new_free(void)
{
    struct qvr_metrics *m = qvr_metrics_new(3, task_names);
    T_CHECK(m != NULL);
    if (!m)
        return;
    T_EQ_INT(m->ntasks, 3);
    T_EQ_STR(m->total.name, "total");
    for (int i = 0; i < 3; i++) {
        T_EQ_STR(m->tasks[i].name, task_names[i]);
        T_CHECK(m->tasks[i].name != task_names[i]); /* copied */
    }
    T_EQ_INT(m->nnames, 0);
    T_EQ_INT(m->total.requests, 0);
    qvr_metrics_free(m);
    qvr_metrics_free(NULL);

    struct qvr_metrics *none = qvr_metrics_new(0, NULL);
    T_CHECK(none != NULL);
    T_EQ_INT(none ? none->ntasks : -1, 0);
    qvr_metrics_free(none);

    T_EQ_STR(qvr_fail_kind_name(QVR_FAIL_HTTP_5XX), "http_5xx");
    T_EQ_STR(qvr_fail_kind_name(QVR_FAIL_TIMEOUT), "timeout");
    T_EQ_STR(qvr_fail_kind_name(QVR_FAIL_TOO_LARGE), "too_large");
    T_EQ_STR(qvr_fail_kind_name(QVR_FAIL_SCRIPT), "script");
    T_EQ_STR(qvr_fail_kind_name(QVR_FAIL_INVALID_JSON), "invalid_json");
    T_EQ_STR(qvr_fail_kind_name(QVR_FAIL_CHECK), "check");
    T_EQ_STR(qvr_fail_kind_name(QVR_FAIL__COUNT), "unknown");
}

/* A table of requests, recorded and then summed by task, name and kind. */
static void test_record(void)
{
    static const struct {
        int task;
        const char *name;
        uint64_t us;
        int status;
        enum qvr_fail_kind fail;
        uint64_t in, out, connect, tls;
    } rows[] = {
        {0, "a", 1000, 200, QVR_FAIL_NONE, 100, 10, 50, 0},
        {0, "a", 2000, 200, QVR_FAIL_NONE, 100, 10, 0, 0},
        {1, "b", 3000, 503, QVR_FAIL_HTTP_5XX, 7, 20, 60, 300},
        {1, "b", 4000, 500, QVR_FAIL_HTTP_5XX, 7, 20, 0, 0},
        {1, "a", 5000, 404, QVR_FAIL_HTTP_4XX, 3, 30, 0, 0},
        {2, NULL, 6000, 0, QVR_FAIL_REFUSED, 0, 0, 0, 0},
        {2, "c", 60000000, 0, QVR_FAIL_TIMEOUT, 0, 40, 70, 0},
        {-1, "c", 8000, 200, QVR_FAIL_CHECK, 11, 40, 0, 0},
        {0, "a", 9000, 999, QVR_FAIL_HTTP_OTHER, 0, 0, 0, 0},
        {2, "c", 10000, 200, QVR_FAIL_NONE, 1, 1, 0, 0},
    };
    struct qvr_metrics *m = qvr_metrics_new(3, task_names);
    T_CHECK(m != NULL);
    if (!m)
        return;
    for (size_t i = 0; i < QVR_ARRAY_LEN(rows); i++) {
        struct qvr_sample s = sample(rows[i].us, rows[i].status, rows[i].fail);
        s.bytes_in = rows[i].in;
        s.bytes_out = rows[i].out;
        s.connect_us = rows[i].connect;
        s.tls_us = rows[i].tls;
        struct qvr_stat *n =
            rows[i].name ? qvr_metrics_name(m, rows[i].name) : NULL;
        qvr_metrics_record(m, rows[i].task, n, &s);
    }
    /* Names in first-seen order, one stat each. */
    T_EQ_INT(m->nnames, 3);
    T_EQ_STR(m->names[0]->name, "a");
    T_EQ_STR(m->names[1]->name, "b");
    T_EQ_STR(m->names[2]->name, "c");
    T_CHECK(qvr_metrics_name(m, "b") == m->names[1]);
    T_EQ_INT(m->nnames, 3);

    const struct qvr_stat *t = &m->total;
    T_EQ_INT(t->requests, 10);
    T_EQ_INT(t->failures, 7);
    T_EQ_INT(t->fails[QVR_FAIL_NONE], 0);
    T_EQ_INT(t->fails[QVR_FAIL_HTTP_5XX], 2);
    T_EQ_INT(t->fails[QVR_FAIL_HTTP_4XX], 1);
    T_EQ_INT(t->fails[QVR_FAIL_REFUSED], 1);
    T_EQ_INT(t->fails[QVR_FAIL_TIMEOUT], 1);
    T_EQ_INT(t->fails[QVR_FAIL_CHECK], 1);
    T_EQ_INT(t->fails[QVR_FAIL_HTTP_OTHER], 1);
    T_EQ_INT(t->fails[QVR_FAIL_RESET], 0);
    T_EQ_INT(t->status[200], 4);
    T_EQ_INT(t->status[503], 1);
    T_EQ_INT(t->status[500], 1);
    T_EQ_INT(t->status[404], 1);
    T_EQ_INT(t->status[0], 0); /* no answer is not a status */
    T_EQ_INT(t->bytes_in, 229);
    T_EQ_INT(t->bytes_out, 171);
    T_EQ_INT(t->connects, 3);
    T_EQ_INT(t->connect_us_sum, 180);
    T_EQ_INT(t->tls_handshakes, 1);
    T_EQ_INT(t->tls_us_sum, 300);
    T_EQ_INT(t->win_requests, 10);
    T_EQ_INT(t->win_failures, 7);
    T_EQ_INT(t->resp->total, 10);
    T_EQ_INT(t->win->total, 10);
    T_EQ_INT(t->service->total, 10);
    T_EQ_INT(t->ttfb->total, 8); /* only answered requests have a TTFB */
    T_EQ_INT(t->resp->min, 1000);
    /* 3 significant digits: a bucket above 2048 us is a few us wide. */
    T_NEAR(qvr_hist_value_at(t->resp, 50), 5000, 5);
    T_NEAR(t->resp->max, 60000000, 60000);
    T_EQ_INT(qvr_hist_value_at(t->service, 0), 500);

    /* Per task: row -1 counts only in the total. */
    T_EQ_INT(m->tasks[0].requests, 3);
    T_EQ_INT(m->tasks[0].failures, 1);
    T_EQ_INT(m->tasks[0].fails[QVR_FAIL_HTTP_OTHER], 1);
    T_EQ_INT(m->tasks[0].bytes_in, 200);
    T_EQ_INT(m->tasks[1].requests, 3);
    T_EQ_INT(m->tasks[1].failures, 3);
    T_EQ_INT(m->tasks[1].status[503], 1);
    T_EQ_INT(m->tasks[1].tls_handshakes, 1);
    T_EQ_INT(m->tasks[2].requests, 3);
    T_EQ_INT(m->tasks[2].failures, 2);
    T_EQ_INT(m->tasks[2].status[200], 1);
    T_EQ_INT(m->tasks[0].requests + m->tasks[1].requests + m->tasks[2].requests,
             9);
    T_NEAR(qvr_hist_value_at(m->tasks[2].resp, 0), 6000, 6);

    /* Per name: the refused row had no name. */
    const struct qvr_stat *a = qvr_metrics_find(m, "name", "a");
    const struct qvr_stat *b = qvr_metrics_find(m, "name", "b");
    const struct qvr_stat *c = qvr_metrics_find(m, "name", "c");
    T_CHECK(a && b && c);
    if (a && b && c) {
        T_EQ_INT(a->requests, 4);
        T_EQ_INT(a->failures, 2);
        T_EQ_INT(a->status[200], 2);
        T_EQ_INT(a->status[404], 1);
        T_EQ_INT(b->requests, 2);
        T_EQ_INT(b->fails[QVR_FAIL_HTTP_5XX], 2);
        T_EQ_INT(c->requests, 3);
        T_EQ_INT(c->fails[QVR_FAIL_TIMEOUT], 1);
        T_EQ_INT(c->fails[QVR_FAIL_CHECK], 1);
        T_EQ_INT(a->requests + b->requests + c->requests, 9);
        T_EQ_INT(qvr_hist_value_at(b->resp, 100), 4000);
    }

    /* Per-window reset: windows cleared, cumulative figures intact. */
    qvr_metrics_window_reset(m);
    T_EQ_INT(m->total.win_requests, 0);
    T_EQ_INT(m->total.win_failures, 0);
    T_EQ_INT(m->total.win->total, 0);
    T_EQ_INT(m->tasks[1].win->total, 0);
    T_EQ_INT(m->tasks[1].win_requests, 0);
    T_EQ_INT(m->names[2]->win->total, 0);
    T_EQ_INT(m->names[2]->win_failures, 0);
    T_EQ_INT(m->total.requests, 10);
    T_EQ_INT(m->total.failures, 7);
    T_EQ_INT(m->total.resp->total, 10);
    T_EQ_INT(m->tasks[1].requests, 3);
    T_EQ_INT(m->names[2]->resp->total, 3);
    T_NEAR(qvr_hist_value_at(m->total.resp, 50), 5000, 5);

    struct qvr_sample s = sample(777, 200, QVR_FAIL_NONE);
    qvr_metrics_record(m, 1, m->names[0], &s);
    T_EQ_INT(m->total.win_requests, 1);
    T_EQ_INT(m->total.win->total, 1);
    T_EQ_INT(qvr_hist_value_at(m->total.win, 50), 777);
    T_EQ_INT(m->tasks[1].win_requests, 1);
    T_EQ_INT(m->tasks[0].win_requests, 0);
    T_EQ_INT(m->names[0]->win_requests, 1);
    T_EQ_INT(m->total.requests, 11);
    T_EQ_INT(m->total.resp->min, 777);
    qvr_metrics_free(m);
}

static void test_find(void)
{
    struct qvr_metrics *m = qvr_metrics_new(3, task_names);
    T_CHECK(m != NULL);
    if (!m)
        return;
    struct qvr_stat *x = qvr_metrics_name(m, "rerank_text");
    struct qvr_stat *y = qvr_metrics_name(m, "embed"); /* also a task name */
    T_CHECK(qvr_metrics_find(m, NULL, NULL) == &m->total);
    T_CHECK(qvr_metrics_find(m, "task", "embed") == &m->tasks[0]);
    T_CHECK(qvr_metrics_find(m, "task", "search") == &m->tasks[2]);
    T_CHECK(qvr_metrics_find(m, "task", "rerank_text") == NULL);
    T_CHECK(qvr_metrics_find(m, "name", "rerank_text") == x);
    T_CHECK(qvr_metrics_find(m, "name", "embed") == y);
    T_CHECK(qvr_metrics_find(m, "name", "search") == NULL);
    T_CHECK(qvr_metrics_find(m, "name", "") == NULL);
    T_CHECK(qvr_metrics_find(m, "status", "200") == NULL);
    T_CHECK(qvr_metrics_find(m, "step", "1") == NULL);
    /* Many names: the table grows and lookups still land. */
    char buf[32];
    for (int i = 0; i < 100; i++) {
        snprintf(buf, sizeof(buf), "n%03d", i);
        T_CHECK(qvr_metrics_name(m, buf) != NULL);
    }
    T_EQ_INT(m->nnames, 102);
    T_CHECK(qvr_metrics_find(m, "name", "rerank_text") == x);
    struct qvr_stat *n57 = qvr_metrics_find(m, "name", "n057");
    T_CHECK(n57 != NULL && strcmp(n57->name, "n057") == 0);
    T_CHECK(qvr_metrics_name(m, "n057") == n57);
    qvr_metrics_free(m);
}

static void test_checks_and_labels(void)
{
    struct qvr_metrics *m = qvr_metrics_new(2, task_names);
    T_CHECK(m != NULL);
    if (!m)
        return;
    struct qvr_stat *n = qvr_metrics_name(m, "q");
    qvr_metrics_check(m, 0, n, 1);
    qvr_metrics_check(m, 0, n, 0);
    qvr_metrics_check(m, 1, NULL, 1);
    qvr_metrics_check(m, -1, n, 0);
    qvr_metrics_check(m, 7, NULL, 1); /* out of range task: total only */
    T_EQ_INT(m->total.checks_ok, 3);
    T_EQ_INT(m->total.checks_fail, 2);
    T_EQ_INT(m->tasks[0].checks_ok, 1);
    T_EQ_INT(m->tasks[0].checks_fail, 1);
    T_EQ_INT(m->tasks[1].checks_ok, 1);
    T_EQ_INT(m->tasks[1].checks_fail, 0);
    T_EQ_INT(n->checks_ok, 1);
    T_EQ_INT(n->checks_fail, 2);
    T_EQ_INT(m->total.requests, 0); /* checks are not requests */

    qvr_metrics_label(m, 0, "status is 200", 1);
    qvr_metrics_label(m, 0, "status is 200", 1);
    qvr_metrics_label(m, 0, "status is 200", 0);
    qvr_metrics_label(m, 0, "has scores", 0);
    qvr_metrics_label(m, 1, "boom: attempt to index a nil value", 0);
    qvr_metrics_label(m, 1, "boom: attempt to index a nil value", 0);
    T_EQ_INT(m->nlabels[0], 2);
    T_EQ_INT(m->nlabels[1], 1);
    T_EQ_STR(m->labels[0][0].label, "status is 200");
    T_EQ_INT(m->labels[0][0].ok, 2);
    T_EQ_INT(m->labels[0][0].fail, 1);
    T_EQ_STR(m->labels[0][1].label, "has scores");
    T_EQ_INT(m->labels[0][1].ok, 0);
    T_EQ_INT(m->labels[0][1].fail, 1);
    T_EQ_INT(m->labels[1][0].fail, 2);
    T_EQ_INT(m->labels_dropped, 0);

    /* The cap: QVR_MAX_LABELS distinct labels per list, then only counted
     * as dropped; known labels still count. */
    char buf[32];
    for (int i = 0; i < QVR_MAX_LABELS + 10; i++) {
        snprintf(buf, sizeof(buf), "check %d", i);
        qvr_metrics_label(m, 0, buf, i % 2);
    }
    T_EQ_INT(m->nlabels[0], QVR_MAX_LABELS);
    T_EQ_INT(m->labels_dropped, 2 + 10);
    T_EQ_STR(m->labels[0][QVR_MAX_LABELS - 1].label, "check 253");
    qvr_metrics_label(m, 0, "status is 200", 1);
    T_EQ_INT(m->labels[0][0].ok, 3);
    qvr_metrics_label(m, 0, "check 100", 0);
    T_EQ_INT(m->labels[0][102].fail, 2);
    T_EQ_INT(m->nlabels[0], QVR_MAX_LABELS);
    T_EQ_INT(m->labels_dropped, 12);
    /* The other list has its own room. */
    qvr_metrics_label(m, 1, "another error", 0);
    T_EQ_INT(m->nlabels[1], 2);
    T_EQ_INT(m->labels_dropped, 12);
    qvr_metrics_free(m);
}

/* Compares every figure of two stats; returns the number of differences
 * (each reported). */
static int stat_diff(const struct qvr_stat *a, const struct qvr_stat *b)
{
    static const double pct[] = {0,  1,  10,   25,    50,     75, 90,
                                 95, 99, 99.9, 99.99, 99.999, 100};
    int d = 0;
#define SAME(f)                                                                \
    do {                                                                       \
        if (a->f != b->f) {                                                    \
            d++;                                                               \
            T_CHECK_MSG(0, "%s: %s %llu != %llu", a->name, #f,                 \
                        (unsigned long long)a->f, (unsigned long long)b->f);   \
        }                                                                      \
    } while (0)
    SAME(requests);
    SAME(failures);
    SAME(bytes_in);
    SAME(bytes_out);
    SAME(connect_us_sum);
    SAME(connects);
    SAME(tls_us_sum);
    SAME(tls_handshakes);
    SAME(checks_ok);
    SAME(checks_fail);
    SAME(win_requests);
    SAME(win_failures);
    for (int k = 0; k < QVR_FAIL__COUNT; k++)
        SAME(fails[k]);
    for (int c = 0; c < QVR_STATUS_MAX; c++)
        SAME(status[c]);
    const struct qvr_hist *ha[] = {a->resp, a->service, a->ttfb, a->win};
    const struct qvr_hist *hb[] = {b->resp, b->service, b->ttfb, b->win};
    for (int h = 0; h < 4; h++) {
        if (ha[h]->total != hb[h]->total || ha[h]->min != hb[h]->min ||
            ha[h]->max != hb[h]->max || ha[h]->clamped != hb[h]->clamped) {
            d++;
            T_CHECK_MSG(0, "%s: hist %d total/min/max differ", a->name, h);
        }
        for (size_t i = 0; i < QVR_ARRAY_LEN(pct); i++) {
            uint64_t va = qvr_hist_value_at(ha[h], pct[i]);
            uint64_t vb = qvr_hist_value_at(hb[h], pct[i]);
            if (va != vb) {
                d++;
                T_CHECK_MSG(0, "%s: hist %d p%g %llu != %llu", a->name, h,
                            pct[i], (unsigned long long)va,
                            (unsigned long long)vb);
            }
        }
        T_NEAR(qvr_hist_mean(ha[h]), qvr_hist_mean(hb[h]),
               1e-9 * qvr_hist_mean(hb[h]) + 1e-9);
    }
#undef SAME
    return d;
}

static enum qvr_fail_kind random_fail(int *status)
{
    uint64_t r = next_rand() % 22;
    if (r >= 20) { /* a 200 whose answer failed: not JSON, or a check */
        *status = 200;
        return r == 20 ? QVR_FAIL_INVALID_JSON : QVR_FAIL_CHECK;
    }
    if (r < 12) {
        *status = 200;
        return QVR_FAIL_NONE;
    }
    if (r < 14) {
        *status = 500 + (int)(next_rand() % 4);
        return QVR_FAIL_HTTP_5XX;
    }
    if (r < 15) {
        *status = 429;
        return QVR_FAIL_HTTP_4XX;
    }
    *status = 0;
    return (enum qvr_fail_kind)(QVR_FAIL_TIMEOUT + (int)(r - 15));
}

/* Records the same stream into all, and into a or b at random. */
static void record_both(struct qvr_metrics *all, struct qvr_metrics *a,
                        struct qvr_metrics *b, int n, int with_labels)
{
    static const char *const names[] = {"text",  "image",  "video",
                                        "probe", "late_a", "late_b"};
    for (int i = 0; i < n; i++) {
        struct qvr_metrics *part = next_rand() % 3 ? a : b;
        int status;
        enum qvr_fail_kind fail = random_fail(&status);
        /* Long-tailed latencies, a few past the histogram's range. */
        uint64_t us = 100 + next_rand() % 5000;
        if (next_rand() % 50 == 0)
            us *= 1000;
        if (next_rand() % 997 == 0)
            us = 5000000000ULL;
        struct qvr_sample s = sample(us, status, fail);
        s.bytes_in = next_rand() % 4096;
        s.bytes_out = next_rand() % 512;
        s.connect_us = next_rand() % 10 == 0 ? 1 + next_rand() % 900 : 0;
        s.tls_us = s.connect_us && next_rand() % 2 ? 1 + next_rand() % 9 : 0;
        int task = (int)(next_rand() % 4) - 1;
        /* late_* names appear only in b, and only late in the stream. */
        size_t nn = i > n / 2 ? 6 : 4;
        const char *name = names[next_rand() % nn];
        if (strncmp(name, "late", 4) == 0)
            part = b;
        int named = next_rand() % 5 != 0;
        qvr_metrics_record(all, task,
                           named ? qvr_metrics_name(all, name) : NULL, &s);
        qvr_metrics_record(part, task,
                           named ? qvr_metrics_name(part, name) : NULL, &s);
        if (next_rand() % 4 == 0) {
            int ok = next_rand() % 3 != 0;
            qvr_metrics_check(all, task, qvr_metrics_name(all, name), ok);
            qvr_metrics_check(part, task, qvr_metrics_name(part, name), ok);
        }
        if (with_labels && next_rand() % 4 == 0) {
            char label[32];
            int ok = next_rand() % 2;
            int list = (int)(next_rand() % 2);
            snprintf(label, sizeof(label), "label %d", (int)(next_rand() % 40));
            qvr_metrics_label(all, list, label, ok);
            qvr_metrics_label(part, list, label, ok);
        }
    }
}

static const struct qvr_label *find_label(const struct qvr_metrics *m, int list,
                                          const char *label)
{
    for (int i = 0; i < m->nlabels[list]; i++)
        if (strcmp(m->labels[list][i].label, label) == 0)
            return &m->labels[list][i];
    return NULL;
}

static void test_add(void)
{
    struct qvr_metrics *all = qvr_metrics_new(3, task_names);
    struct qvr_metrics *a = qvr_metrics_new(3, task_names);
    struct qvr_metrics *b = qvr_metrics_new(3, task_names);
    T_CHECK(all && a && b);
    if (!all || !a || !b)
        goto out;
    /* Two windows: the first is rotated away in all three sets. */
    record_both(all, a, b, 5000, 1);
    qvr_metrics_window_reset(all);
    qvr_metrics_window_reset(a);
    qvr_metrics_window_reset(b);
    record_both(all, a, b, 20000, 1);
    a->script_errors = 3;
    b->script_errors = 4;
    all->script_errors = 7;
    a->iterations = 100;
    b->iterations = 50;
    all->iterations = 150;
    int b_only = 0;
    for (int i = 0; i < b->nnames; i++)
        b_only += qvr_metrics_find(a, "name", b->names[i]->name) == NULL;
    T_CHECK_MSG(b_only >= 2, "%d names only in b", b_only);

    T_EQ_INT(qvr_metrics_add(a, b), 0);
    T_EQ_INT(a->nnames, all->nnames);
    T_CHECK(all->total.resp->clamped > 0);
    int diffs = stat_diff(&a->total, &all->total);
    for (int i = 0; i < 3; i++)
        diffs += stat_diff(&a->tasks[i], &all->tasks[i]);
    for (int i = 0; i < all->nnames; i++) {
        struct qvr_stat *s = qvr_metrics_find(a, "name", all->names[i]->name);
        T_CHECK_MSG(s != NULL, "name %s missing after add",
                    all->names[i]->name);
        if (s)
            diffs += stat_diff(s, all->names[i]);
    }
    T_EQ_INT(diffs, 0);
    /* invalid_json was drawn (apart from check) and summed like the other
     * kinds (stat_diff compared every kind above). */
    T_CHECK(all->total.fails[QVR_FAIL_INVALID_JSON] > 0);
    T_CHECK(all->total.fails[QVR_FAIL_CHECK] > 0);
    T_EQ_INT(a->total.fails[QVR_FAIL_INVALID_JSON],
             all->total.fails[QVR_FAIL_INVALID_JSON]);
    T_EQ_INT(a->script_errors, 7);
    T_EQ_INT(a->iterations, 150);
    for (int l = 0; l < 2; l++) {
        T_EQ_INT(a->nlabels[l], all->nlabels[l]);
        for (int i = 0; i < all->nlabels[l]; i++) {
            const struct qvr_label *x = &all->labels[l][i];
            const struct qvr_label *y = find_label(a, l, x->label);
            T_CHECK_MSG(y && y->ok == x->ok && y->fail == x->fail,
                        "label %s differs after add", x->label);
        }
    }
    /* b is left as it was. */
    T_CHECK(b->total.requests > 0 && b->total.requests < all->total.requests);

    /* Tasks must match. */
    struct qvr_metrics *two = qvr_metrics_new(2, task_names);
    T_CHECK(two != NULL);
    if (two) {
        uint64_t before = a->total.requests;
        T_EQ_INT(qvr_metrics_add(a, two), QVR_EINVAL);
        T_EQ_INT(a->total.requests, before);
        qvr_metrics_free(two);
    }
out:
    qvr_metrics_free(all);
    qvr_metrics_free(a);
    qvr_metrics_free(b);
}

/* Adding into an empty set copies; adding the labels of two full sets
 * respects the cap. */
static void test_add_empty_and_cap(void)
{
    struct qvr_metrics *src = qvr_metrics_new(1, task_names);
    struct qvr_metrics *dst = qvr_metrics_new(1, task_names);
    struct qvr_metrics *other = qvr_metrics_new(1, task_names);
    T_CHECK(src && dst && other);
    if (!src || !dst || !other)
        goto out;
    for (uint64_t v = 1; v <= 1000; v++) {
        struct qvr_sample s = sample(v, 200, QVR_FAIL_NONE);
        s.method = v < 3 ? NULL : v % 2 ? "POST" : "GET"; /* first one wins */
        qvr_metrics_record(src, 0, qvr_metrics_name(src, v % 2 ? "o" : "e"),
                           &s);
    }
    T_EQ_INT(qvr_metrics_add(dst, src), 0);
    T_EQ_INT(dst->nnames, 2);
    T_EQ_STR(dst->names[0]->name, "o");
    T_EQ_INT(dst->total.requests, 1000);
    T_EQ_INT(dst->tasks[0].requests, 1000);
    T_EQ_INT(qvr_hist_value_at(dst->total.resp, 50), 500);
    T_EQ_INT(qvr_hist_value_at(dst->total.resp, 99), 990);
    T_EQ_INT(qvr_hist_value_at(dst->names[1]->resp, 100), 1000);
    T_EQ_INT(dst->names[0]->requests, 500);
    T_EQ_INT(dst->total.status[200], 1000);
    T_CHECK(dst->names[0]->method && !strcmp(dst->names[0]->method, "POST"));
    T_CHECK(dst->names[1]->method && !strcmp(dst->names[1]->method, "GET"));
    /* Adding an empty set changes nothing. */
    T_EQ_INT(qvr_metrics_add(dst, other), 0);
    T_EQ_INT(dst->total.requests, 1000);
    T_EQ_INT(dst->nnames, 2);

    char buf[32];
    for (int i = 0; i < 200; i++) {
        snprintf(buf, sizeof(buf), "x%d", i);
        qvr_metrics_label(dst, 0, buf, 1);
        snprintf(buf, sizeof(buf), "y%d", i);
        qvr_metrics_label(other, 0, buf, 0);
    }
    qvr_metrics_label(other, 0, "x5", 0);
    T_EQ_INT(qvr_metrics_add(dst, other), 0);
    T_EQ_INT(dst->nlabels[0], QVR_MAX_LABELS);
    T_EQ_INT(dst->labels_dropped, 200 - (QVR_MAX_LABELS - 200));
    const struct qvr_label *x5 = find_label(dst, 0, "x5");
    T_CHECK(x5 && x5->ok == 1 && x5->fail == 1);
    /* Drops already counted in the source carry over. */
    struct qvr_metrics *fresh = qvr_metrics_new(1, task_names);
    T_CHECK(fresh != NULL);
    if (fresh) {
        T_EQ_INT(qvr_metrics_add(fresh, dst), 0);
        T_EQ_INT(fresh->labels_dropped, 144);
        T_EQ_INT(fresh->nlabels[0], QVR_MAX_LABELS);
        qvr_metrics_free(fresh);
    }
out:
    qvr_metrics_free(src);
    qvr_metrics_free(dst);
    qvr_metrics_free(other);
}

/* More names than QVR_MAX_NAMES (an unnamed URL with an id in it): the
 * first ones keep their own stats, found through the hash index; the rest
 * land in "(other)"; counts stay exact, in a merge too. */
static void test_name_cap(void)
{
    struct qvr_metrics *m = qvr_metrics_new(1, task_names);
    struct qvr_metrics *a = qvr_metrics_new(1, task_names);
    struct qvr_metrics *b = qvr_metrics_new(1, task_names);
    struct qvr_metrics *ab = qvr_metrics_new(1, task_names);
    T_CHECK(m && a && b && ab);
    if (!m || !a || !b || !ab)
        return;
    int n = QVR_MAX_NAMES + 200;
    for (int i = 0; i < n; i++) {
        char name[32];
        snprintf(name, sizeof(name), "/items/%d", i);
        struct qvr_sample smp =
            sample((uint64_t)(1000 + i), 200, QVR_FAIL_NONE);
        qvr_metrics_record(m, 0, qvr_metrics_name(m, name), &smp);
        struct qvr_metrics *half = i % 2 ? a : b;
        qvr_metrics_record(half, 0, qvr_metrics_name(half, name), &smp);
        /* the same name again: the same stat */
        T_CHECK(qvr_metrics_name(m, name) == qvr_metrics_name(m, name));
    }
    T_EQ_INT(m->nnames, QVR_MAX_NAMES + 1);
    T_EQ_INT(m->names_capped, 1);
    T_EQ_STR(m->names[QVR_MAX_NAMES]->name, QVR_OTHER_NAME);
    T_EQ_INT((int)m->names[QVR_MAX_NAMES]->requests, 200);
    T_EQ_INT((int)m->total.requests, n);
    for (int i = 0; i < QVR_MAX_NAMES; i++) {
        char name[32];
        snprintf(name, sizeof(name), "/items/%d", i);
        T_CHECK(qvr_metrics_find(m, "name", name) == m->names[i]);
        T_EQ_INT((int)m->names[i]->requests, 1);
    }
    T_CHECK(qvr_metrics_find(m, "name", "/items/1000") == NULL);
    T_CHECK(qvr_metrics_find(m, "name", QVR_OTHER_NAME) ==
            m->names[QVR_MAX_NAMES]);
    /* each half has 600 names of its own, under the cap; their sum is not */
    T_EQ_INT(a->names_capped, 0);
    T_EQ_INT(qvr_metrics_add(ab, a), 0);
    T_EQ_INT(qvr_metrics_add(ab, b), 0);
    T_EQ_INT(ab->nnames, QVR_MAX_NAMES + 1);
    T_EQ_INT(ab->names_capped, 1);
    T_EQ_INT((int)ab->total.requests, n);
    uint64_t sum = 0;
    for (int i = 0; i < ab->nnames; i++)
        sum += ab->names[i]->requests;
    T_EQ_INT((int)sum, n);
    T_EQ_INT((int)qvr_metrics_find(ab, "name", QVR_OTHER_NAME)->requests, 200);
    qvr_metrics_free(m);
    qvr_metrics_free(a);
    qvr_metrics_free(b);
    qvr_metrics_free(ab);
}

/* Transport failure messages: kept per kind, digits aside, bounded, summed
 * across threads; the kind names are the summary's. */
static void test_errmsg(void)
{
    const char *const names[1] = {"t"};
    struct qvr_metrics *a = qvr_metrics_new(1, names);
    struct qvr_metrics *b = qvr_metrics_new(1, names);
    T_CHECK(a && b);
    if (!a || !b)
        goto out;
    T_EQ_STR(qvr_fail_kind_name(QVR_FAIL_BAD_ENCODING), "bad_encoding");
    T_EQ_STR(qvr_fail_kind_name(QVR_FAIL_TRANSPORT), "transport");
    T_EQ_STR(qvr_fail_kind_name(QVR_FAIL_SCRIPT), "script");
    T_CHECK(qvr_metrics_errmsg_top(a, QVR_FAIL_TIMEOUT) == NULL);
    qvr_metrics_errmsg(a, QVR_FAIL_TIMEOUT, "timed out after 1001 ms", "GET u1",
                       1);
    qvr_metrics_errmsg(a, QVR_FAIL_TIMEOUT, "timed out after 1002 ms", "GET u2",
                       1);
    qvr_metrics_errmsg(a, QVR_FAIL_TIMEOUT, "timed out after 9 ms", NULL, 1);
    qvr_metrics_errmsg(a, QVR_FAIL_TIMEOUT, "timed out after ms", NULL, 1);
    const struct qvr_errmsg *e = qvr_metrics_errmsg_top(a, QVR_FAIL_TIMEOUT);
    T_CHECK(e != NULL);
    if (e) {
        T_EQ_STR(e->text, "timed out after 1001 ms");
        T_EQ_STR(e->where, "GET u1");
        T_EQ_INT(e->count, 3);
    }
    T_EQ_STR(a->errmsgs[QVR_FAIL_TIMEOUT][1].text, "timed out after ms");
    /* past QVR_ERRMSG_KEEP distinct messages: counted, not kept */
    qvr_metrics_errmsg(a, QVR_FAIL_RESET, "ra", NULL, 1);
    qvr_metrics_errmsg(a, QVR_FAIL_RESET, "rb", NULL, 2);
    qvr_metrics_errmsg(a, QVR_FAIL_RESET, "rc", NULL, 5);
    qvr_metrics_errmsg(a, QVR_FAIL_RESET, "rd", NULL, 7);
    T_EQ_INT(a->errmsg_other[QVR_FAIL_RESET], 7);
    e = qvr_metrics_errmsg_top(a, QVR_FAIL_RESET);
    T_CHECK(e && strcmp(e->text, "rc") == 0 && e->count == 5);
    /* a long message is cut, never overflows */
    char big[1000];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    qvr_metrics_errmsg(a, QVR_FAIL_TLS, big, big, 1);
    T_EQ_INT(strlen(a->errmsgs[QVR_FAIL_TLS][0].text), QVR_ERRMSG_LEN - 1);
    /* bad kinds and no text are ignored */
    qvr_metrics_errmsg(a, QVR_FAIL_NONE, "x", NULL, 1);
    qvr_metrics_errmsg(a, QVR_FAIL__COUNT, "x", NULL, 1);
    qvr_metrics_errmsg(a, QVR_FAIL_DNS, NULL, NULL, 1);
    T_CHECK(a->errmsgs[QVR_FAIL_NONE][0].text[0] == 0);
    T_CHECK(a->errmsgs[QVR_FAIL_DNS][0].text[0] == 0);
    /* merged: equal shapes add, a new one takes a free slot */
    qvr_metrics_errmsg(b, QVR_FAIL_TIMEOUT, "timed out after 77 ms", "GET u9",
                       4);
    qvr_metrics_errmsg(b, QVR_FAIL_TIMEOUT, "other text", "GET u8", 2);
    qvr_metrics_errmsg(b, QVR_FAIL_RESET, "rz", NULL, 1);
    T_EQ_INT(qvr_metrics_add(a, b), 0);
    T_EQ_INT(a->errmsgs[QVR_FAIL_TIMEOUT][0].count, 7);
    T_EQ_STR(a->errmsgs[QVR_FAIL_TIMEOUT][0].where, "GET u1");
    T_EQ_STR(a->errmsgs[QVR_FAIL_TIMEOUT][2].text, "other text");
    T_EQ_INT(a->errmsgs[QVR_FAIL_TIMEOUT][2].count, 2);
    T_EQ_INT(a->errmsg_other[QVR_FAIL_RESET], 8);
out:
    qvr_metrics_free(a);
    qvr_metrics_free(b);
}

/* Token figures: none (no memory) until a stream is recorded; recorded
 * into total, task and name; windows reset; merged by qvr_metrics_add. */
static void test_tokens(void)
{
    const char *tn[1] = {"t"};
    struct qvr_metrics *a = qvr_metrics_new(1, tn);
    struct qvr_metrics *b = qvr_metrics_new(1, tn);
    struct qvr_stat *na = qvr_metrics_name(a, "chat");
    struct qvr_sample s;
    memset(&s, 0, sizeof(s));
    s.response_us = 1000;
    s.status = 200;
    qvr_metrics_record(a, 0, na, &s);
    T_CHECK(a->total.tok == NULL && na->tok == NULL);
    s.streamed = 1;
    s.usage = 1;
    s.ttft_us = 20000;
    s.tpot_us = 5000;
    s.in_tokens = 10;
    s.out_tokens = 32;
    qvr_metrics_record(a, 0, na, &s);
    qvr_metrics_gap(a, 0, na, 5000);
    qvr_metrics_gap(a, 0, na, 7000);
    T_CHECK(na->tok != NULL && a->tasks[0].tok != NULL);
    T_EQ_INT(a->total.tok->streams, 1);
    T_EQ_INT(a->total.tok->out_tokens, 32);
    T_EQ_INT(na->tok->itl->total, 2);
    T_EQ_INT(na->tok->itl_win->total, 2);
    T_EQ_INT(qvr_hist_value_at(na->tok->ttft, 50) / 1000, 20);
    s.usage = 0;
    s.out_tokens = 3;
    s.in_tokens = 0;
    s.ttft_us = 0; /* a stream with no first token: no TTFT */
    s.tpot_us = 0;
    qvr_metrics_record(b, 0, qvr_metrics_name(b, "chat"), &s);
    T_EQ_INT(qvr_metrics_add(a, b), 0);
    T_EQ_INT(na->tok->streams, 2);
    T_EQ_INT(na->tok->usage_streams, 1);
    T_EQ_INT(na->tok->out_tokens, 35);
    T_EQ_INT(na->tok->in_tokens, 10);
    T_EQ_INT(na->tok->ttft->total, 1);
    qvr_metrics_window_reset(a);
    T_EQ_INT(na->tok->itl_win->total, 0);
    T_EQ_INT(na->tok->win_streams, 0);
    T_EQ_INT(na->tok->itl->total, 2);
    struct qvr_stat *st = qvr_stat_new("step");
    qvr_stat_gap(st, 100);
    qvr_stat_reset(st);
    T_CHECK(st->tok != NULL && st->tok->itl->total == 0);
    qvr_stat_free(st);
    qvr_metrics_free(a);
    qvr_metrics_free(b);
}

int main(void)
{
    test_tokens();
    test_new_free();
    test_record();
    test_find();
    test_checks_and_labels();
    test_add();
    test_add_empty_and_cap();
    test_name_cap();
    test_errmsg();
    return T_DONE();
}
