/* test_thresh.c -- threshold parsing, checking, key identity, formatting.
 *
 * Targets are compared with ==, not with a tolerance: the parser promises
 * the double nearest to the written decimal in the canonical unit, and a
 * parser that divides by 100 after the fact gets "99.9%" one ulp wrong. */
#include "thresh.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "qvr.h"
#include "t.h"

#define S_NS 1000000000ULL

struct valid_case {
    const char *key, *cond;
    const char *name; /* metric_name */
    enum qvr_thresh_metric metric;
    double pct;
    enum qvr_thresh_kind kind;
    enum qvr_thresh_op op;
    double target;
    const char *tags; /* "k=v,k=v" in written order */
    uint64_t window_ns;
    const char *expr;
};

#define LAT QVR_TK_LATENCY
#define RAT QVR_TK_RATIO
#define RATE QVR_TK_RATE
#define TRD QVR_TK_TREND

static const struct valid_case valid[] = {
    {"ttft.p99", "< 500ms", "ttft.p99", QVR_TM_PCTL, 99, LAT, QVR_OP_LT, 500,
     "", 0, "ttft.p99 < 500ms"},
    {"itl.p99[1m]", "< 60ms", "itl.p99", QVR_TM_PCTL, 99, LAT, QVR_OP_LT, 60,
     "", 60000000000ULL, "itl.p99[1m] < 60ms"},
    {"tpot.mean{name=chat}", "< 25ms", "tpot.mean", QVR_TM_MEAN, 0, LAT,
     QVR_OP_LT, 25, "name=chat", 0, "tpot.mean{name=chat} < 25ms"},
    {"ttft.p99_trend", "< +20%", "ttft.p99_trend", QVR_TM_P99_TREND, 0, TRD,
     QVR_OP_LT, 0.2, "", 0, "ttft.p99_trend < +20%"},
    {"output_tokens_per_s", "> 2000", "output_tokens_per_s", QVR_TM_OUT_TPS, 0,
     RATE, QVR_OP_GT, 2000, "", 0, "output_tokens_per_s > 2000"},
    {"p99", "< 5s", "p99", QVR_TM_PCTL, 99, LAT, QVR_OP_LT, 5000, "", 0,
     "p99 < 5s"},
    {"p50", "<=250ms", "p50", QVR_TM_PCTL, 50, LAT, QVR_OP_LE, 250, "", 0,
     "p50 <= 250ms"},
    {"p90", ">= 1.5s", "p90", QVR_TM_PCTL, 90, LAT, QVR_OP_GE, 1500, "", 0,
     "p90 >= 1.5s"},
    {"p95", "< 800", "p95", QVR_TM_PCTL, 95, LAT, QVR_OP_LT, 800, "", 0,
     "p95 < 800"},
    {"p99.9", "< 10s", "p99.9", QVR_TM_PCTL, 99.9, LAT, QVR_OP_LT, 10000, "", 0,
     "p99.9 < 10s"},
    {"p99.99", "<12s", "p99.99", QVR_TM_PCTL, 99.99, LAT, QVR_OP_LT, 12000, "",
     0, "p99.99 < 12s"},
    {"p100", "< 1m", "p100", QVR_TM_PCTL, 100, LAT, QVR_OP_LT, 60000, "", 0,
     "p100 < 1m"},
    {"p0.1", "> 250us", "p0.1", QVR_TM_PCTL, 0.1, LAT, QVR_OP_GT, 0.25, "", 0,
     "p0.1 > 250us"},
    {"max", "< 1.5m", "max", QVR_TM_MAX, 0, LAT, QVR_OP_LT, 90000, "", 0,
     "max < 1.5m"},
    {"min", "> 0.5ms", "min", QVR_TM_MIN, 0, LAT, QVR_OP_GT, 0.5, "", 0,
     "min > 0.5ms"},
    {"mean", "== 42", "mean", QVR_TM_MEAN, 0, LAT, QVR_OP_EQ, 42, "", 0,
     "mean == 42"},
    {"  p99 ", " \t<   5s  ", "p99", QVR_TM_PCTL, 99, LAT, QVR_OP_LT, 5000, "",
     0, "p99 < 5s"},
    {"p99", "< 1.2345s", "p99", QVR_TM_PCTL, 99, LAT, QVR_OP_LT, 1234.5, "", 0,
     "p99 < 1.2345s"},
    {"p99", "<5000us", "p99", QVR_TM_PCTL, 99, LAT, QVR_OP_LT, 5, "", 0,
     "p99 < 5000us"},
    {"p99", "<.5s", "p99", QVR_TM_PCTL, 99, LAT, QVR_OP_LT, 500, "", 0,
     "p99 < .5s"},
    {"p50", "< 0", "p50", QVR_TM_PCTL, 50, LAT, QVR_OP_LT, 0, "", 0, "p50 < 0"},
    {"p99{task=multimodal}", "< 6s", "p99", QVR_TM_PCTL, 99, LAT, QVR_OP_LT,
     6000, "task=multimodal", 0, "p99{task=multimodal} < 6s"},
    {"p99{name=rerank_text,status=200}", "<2s", "p99", QVR_TM_PCTL, 99, LAT,
     QVR_OP_LT, 2000, "name=rerank_text,status=200", 0,
     "p99{name=rerank_text,status=200} < 2s"},
    {"p99{ task = a , step = 3 }", "<1s", "p99", QVR_TM_PCTL, 99, LAT,
     QVR_OP_LT, 1000, "task=a,step=3", 0, "p99{ task = a , step = 3 } < 1s"},
    {"p99{}", "<1s", "p99", QVR_TM_PCTL, 99, LAT, QVR_OP_LT, 1000, "", 0,
     "p99{} < 1s"},
    {"p99{ }", "<1s", "p99", QVR_TM_PCTL, 99, LAT, QVR_OP_LT, 1000, "", 0,
     "p99{ } < 1s"},
    {"p99{task=x,name=y,step=2,status=503}", "<1s", "p99", QVR_TM_PCTL, 99, LAT,
     QVR_OP_LT, 1000, "task=x,name=y,step=2,status=503", 0,
     "p99{task=x,name=y,step=2,status=503} < 1s"},
    {"p99{name=POST /api/rerank}", "<1s", "p99", QVR_TM_PCTL, 99, LAT,
     QVR_OP_LT, 1000, "name=POST /api/rerank", 0,
     "p99{name=POST /api/rerank} < 1s"},
    {"p99[1m]", "< 5s", "p99", QVR_TM_PCTL, 99, LAT, QVR_OP_LT, 5000, "",
     60 * S_NS, "p99[1m] < 5s"},
    {"p99[0.5s]", "< 5s", "p99", QVR_TM_PCTL, 99, LAT, QVR_OP_LT, 5000, "",
     S_NS / 2, "p99[0.5s] < 5s"},
    {"error_rate[30s]", "< 5%", "error_rate", QVR_TM_ERROR_RATE, 0, RAT,
     QVR_OP_LT, 0.05, "", 30 * S_NS, "error_rate[30s] < 5%"},
    {"p99{task=x}[1m30s]", "<5s", "p99", QVR_TM_PCTL, 99, LAT, QVR_OP_LT, 5000,
     "task=x", 90 * S_NS, "p99{task=x}[1m30s] < 5s"},
    {"p99 {task=x} [ 10s ]", "<5s", "p99", QVR_TM_PCTL, 99, LAT, QVR_OP_LT,
     5000, "task=x", 10 * S_NS, "p99 {task=x} [ 10s ] < 5s"},
    {"error_rate", "< 5%", "error_rate", QVR_TM_ERROR_RATE, 0, RAT, QVR_OP_LT,
     0.05, "", 0, "error_rate < 5%"},
    {"error_rate", "<= 0.05", "error_rate", QVR_TM_ERROR_RATE, 0, RAT,
     QVR_OP_LE, 0.05, "", 0, "error_rate <= 0.05"},
    {"error_rate", "< 5.1%", "error_rate", QVR_TM_ERROR_RATE, 0, RAT, QVR_OP_LT,
     0.051, "", 0, "error_rate < 5.1%"},
    {"error_rate", "<= 1.1%", "error_rate", QVR_TM_ERROR_RATE, 0, RAT,
     QVR_OP_LE, 0.011, "", 0, "error_rate <= 1.1%"},
    {"error_rate", "== 0", "error_rate", QVR_TM_ERROR_RATE, 0, RAT, QVR_OP_EQ,
     0, "", 0, "error_rate == 0"},
    {"error_rate", "<= 100%", "error_rate", QVR_TM_ERROR_RATE, 0, RAT,
     QVR_OP_LE, 1, "", 0, "error_rate <= 100%"},
    {"checks", "> 99.9%", "checks", QVR_TM_CHECKS, 0, RAT, QVR_OP_GT, 0.999, "",
     0, "checks > 99.9%"},
    {"checks", ">= 1", "checks", QVR_TM_CHECKS, 0, RAT, QVR_OP_GE, 1, "", 0,
     "checks >= 1"},
    {"rps", "> 40", "rps", QVR_TM_RPS, 0, RATE, QVR_OP_GT, 40, "", 0,
     "rps > 40"},
    {"rps", ">= 12.5/s", "rps", QVR_TM_RPS, 0, RATE, QVR_OP_GE, 12.5, "", 0,
     "rps >= 12.5/s"},
    {"rps{task=text_only}", "> +2", "rps", QVR_TM_RPS, 0, RATE, QVR_OP_GT, 2,
     "task=text_only", 0, "rps{task=text_only} > +2"},
    {"goodput", "> 3/s", "goodput", QVR_TM_GOODPUT, 0, RATE, QVR_OP_GT, 3, "",
     0, "goodput > 3/s"},
    {"rps_trend", "> -10%", "rps_trend", QVR_TM_RPS_TREND, 0, TRD, QVR_OP_GT,
     -0.10, "", 0, "rps_trend > -10%"},
    {"p99_trend", "< +25%", "p99_trend", QVR_TM_P99_TREND, 0, TRD, QVR_OP_LT,
     0.25, "", 0, "p99_trend < +25%"},
    {"p50_trend", "<=5%", "p50_trend", QVR_TM_P50_TREND, 0, TRD, QVR_OP_LE,
     0.05, "", 0, "p50_trend <= 5%"},
    {"error_rate_trend", "< +2pp", "error_rate_trend", QVR_TM_ERROR_RATE_TREND,
     0, TRD, QVR_OP_LT, 0.02, "", 0, "error_rate_trend < +2pp"},
    {"error_rate_trend", "<= 0.5pp", "error_rate_trend",
     QVR_TM_ERROR_RATE_TREND, 0, TRD, QVR_OP_LE, 0.005, "", 0,
     "error_rate_trend <= 0.5pp"},
    {"rps_trend{task=x}", ">-5%", "rps_trend", QVR_TM_RPS_TREND, 0, TRD,
     QVR_OP_GT, -0.05, "task=x", 0, "rps_trend{task=x} > -5%"},
    /* a count, or with % a share of the iterations */
    {"task_errors", "< 10", "task_errors", QVR_TM_TASK_ERRORS, 0, QVR_TK_COUNT,
     QVR_OP_LT, 10, "", 0, "task_errors < 10"},
    {"task_errors", "<5%", "task_errors", QVR_TM_TASK_ERRORS, 0, RAT, QVR_OP_LT,
     0.05, "", 0, "task_errors < 5%"},
    {"task_errors", "== 0", "task_errors", QVR_TM_TASK_ERRORS, 0, QVR_TK_COUNT,
     QVR_OP_EQ, 0, "", 0, "task_errors == 0"},
};

struct invalid_case {
    const char *key, *cond;
    const char *want; /* must occur in the error text */
};

static const struct invalid_case invalid[] = {
    {"p99x", "<5s",
     "unknown metric 'p99x' (expected p50..p99.9, max, min, mean, rps, "
     "error_rate, checks, goodput, output_tokens_per_s, task_errors, "
     "ttft./itl./tpot. + pNN, min, max, mean or *_trend)"},
    {"ttft.rps", "<5", "'ttft.rps': ttft. takes a time"},
    {"itl.p0", "<5", "percentile out of range in 'p0'"},
    {"task_errors", "< 5s", "bad unit 's' for task_errors (use a count"},
    {"task_errors", "< 150%", "above 100%"},
    {"task_errors{task=a}", "< 5", "task_errors counts the whole run"},
    {"task_errors[30s]", "< 5", "no tags or window"},
    {"task_erors", "< 5", "did you mean 'task_errors'?"},
    {"erorr_rate", "<5%", "did you mean 'error_rate'?"},
    {"P99", "<5s", "unknown metric 'P99'"},
    {"P99", "<5s", "did you mean 'p99'?"},
    {"latency", "<5s", "unknown metric 'latency' (expected"},
    {"p0", "<5s", "percentile out of range in 'p0'"},
    {"p101", "<5s", "percentile out of range in 'p101'"},
    {"p100.01", "<5s", "percentile out of range"},
    {"p9a", "<5s", "unknown metric 'p9a'"},
    {"p99.", "<5s", "unknown metric 'p99.'"},
    {"p95_trend", "<5%", "no trend for 'p95'"},
    {"max_trend", "<5%", "no trend for 'max'"},
    {"p99", "<5sec", "bad unit 'sec' for p99 (use us, ms, s or m)"},
    {"p99", "<5%", "bad unit '%' for p99"},
    {"p99", "< 1e3", "bad unit 'e3' for p99"},
    {"p99", "5s", "missing operator in '5s'"},
    {"p99", "five", "missing operator in 'five'"},
    {"p99", "= 5s", "bad operator in '= 5s'"},
    {"p99", "=> 5s", "bad operator"},
    {"p99", "<> 5s", "bad operator in '<> 5s'"},
    {"p99", "!= 5s", "bad operator"},
    {"p99", "<< 5s", "bad operator"},
    {"p99", "< 5 s", "space between number and unit in '< 5 s' (write '5s')"},
    {"p99", "<", "missing number after '<'"},
    {"p99", "<= s", "missing number after '<='"},
    {"p99", "< inf", "missing number after '<'"},
    {"p99", "< -5s", "negative target '-5s' for p99"},
    {"p99", "  ", "empty condition for 'p99'"},
    {"", "<5s", "empty threshold key"},
    {"{task=x}", "<5s", "missing metric name"},
    {"p99{taks=x}", "<5s",
     "unknown tag 'taks' (expected task, name, step or status); did you mean "
     "'task'?"},
    {"p99{region=eu}", "<5s", "unknown tag 'region'"},
    {"p99{task=x,task=y}", "<5s", "duplicate tag 'task'"},
    {"p99{step=1, step=1}", "<5s", "duplicate tag 'step'"},
    {"p99{task=}", "<5s", "empty value for tag 'task'"},
    {"p99{task}", "<5s", "tag 'task' has no '=value'"},
    {"p99{=x}", "<5s", "tag without a name"},
    {"p99{task=x", "<5s", "unclosed '{'"},
    {"p99{task=x,}", "<5s", "empty tag"},
    {"p99{status=ok}", "<5s", "tag status needs a number"},
    {"p99{task=a=b}", "<5s", "bad character '=' in the value of tag 'task'"},
    {"p99[1x]", "<5s", "bad window '1x'"},
    {"p99[]", "<5s", "empty window"},
    {"p99[0s]", "<5s", "must be longer than 0"},
    {"p99[1m", "<5s", "unclosed '['"},
    {"rps_trend[1m]", "> -10%", "a window is not allowed on a trend"},
    {"p99[1m]{task=x}", "<5s", "tags must come before the window"},
    {"p99{task=x}junk", "<5s", "unexpected 'junk'"},
    {"p99[1m][2m]", "<5s", "unexpected '[2m]'"},
    {"error_rate", "< 5", "ambiguous target '5' for error_rate: write '5%'"},
    {"checks", "> 99", "write '99%'"},
    {"error_rate", "< 150%", "above 100%"},
    {"error_rate", "< 5ms", "bad unit 'ms' for error_rate"},
    {"error_rate", "< -1%", "negative target"},
    {"rps", "> 5/m", "bad unit '/m' for rps"},
    {"rps_trend", "> -10", "missing unit for rps_trend"},
    {"rps_trend", "> -10pp", "unit 'pp' is only for error_rate_trend"},
    {"p99_trend", "< 25ms", "bad unit 'ms' for p99_trend"},
    {"error_rate_trend", "< 2%", "bad unit '%' for error_rate_trend (use pp"},
    {"error_rate_trend", "< 2", "missing unit for error_rate_trend"},
};

/* "k=v,k=v" of t's tags in stored order. */
static void tags_str(const struct qvr_thresh *t, char *buf, size_t len)
{
    size_t off = 0;
    int i;

    buf[0] = '\0';
    for (i = 0; i < t->ntags && off < len; i++)
        off += (size_t)snprintf(buf + off, len - off, "%s%s=%s", i ? "," : "",
                                t->tags[i].key, t->tags[i].value);
}

/* qvr_thresh_parse_expr: one "KEY OP VALUE" from the command line. */
static void test_parse_expr(void)
{
    static const struct {
        const char *in, *expr;
    } ok[] = {
        {"p99 < 2s", "p99 < 2s"},
        {"p99<2s", "p99 < 2s"},
        {"  error_rate{name=search}<=1% ", "error_rate{name=search} <= 1%"},
        {"p95{task=a}[30s] < 800ms", "p95{task=a}[30s] < 800ms"},
        {"rps>=10", "rps >= 10"},
        {"rps_trend > -10%", "rps_trend > -10%"},
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        struct qvr_thresh t;
        char err[256] = "unset";
        T_CHECK_MSG(qvr_thresh_parse_expr(ok[i].in, &t, err, sizeof(err)) == 0,
                    "%s: %s", ok[i].in, err);
        T_EQ_STR(t.expr, ok[i].expr);
    }
    struct qvr_thresh t, u;
    T_EQ_INT(qvr_thresh_parse_expr("p99{name=x} < 1s", &t, NULL, 0), 0);
    T_EQ_INT(qvr_thresh_parse("p99{name=x}", "< 1s", &u, NULL, 0), 0);
    T_CHECK(qvr_thresh_same_key(&t, &u));
    T_EQ_INT(t.ntags, 1);
    static const struct {
        const char *in, *why;
    } bad[] = {
        {"latency", "expected METRIC OP VALUE"},
        {"< 2s", "expected METRIC OP VALUE"},          /* no key */
        {"p99{name=a<b}", "expected METRIC OP VALUE"}, /* '<' inside tags */
        {"p99 <", "missing number"},
        {"p98x < 1s", "unknown metric"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char err[256] = "";
        T_EQ_INT(qvr_thresh_parse_expr(bad[i].in, &t, err, sizeof(err)),
                 QVR_EINVAL);
        T_CHECK_MSG(strstr(err, bad[i].why) != NULL, "%s: '%s'", bad[i].in,
                    err);
    }
}

static void test_valid(void)
{
    size_t i;

    for (i = 0; i < QVR_ARRAY_LEN(valid); i++) {
        const struct valid_case *c = &valid[i];
        struct qvr_thresh t;
        char err[256], tags[512];
        int rc;

        memset(&t, 0xa5, sizeof(t));
        rc = qvr_thresh_parse(c->key, c->cond, &t, err, sizeof(err));
        T_CHECK_MSG(rc == 0, "'%s' '%s': rc %d: %s", c->key, c->cond, rc, err);
        if (rc != 0)
            continue;
        T_CHECK_MSG(err[0] == '\0', "'%s': err set on success", c->key);
        T_EQ_STR(t.metric_name, c->name);
        T_EQ_INT(t.metric, c->metric);
        T_EQ_INT(t.kind, c->kind);
        T_CHECK_MSG(t.pct == c->pct, "'%s': pct %.17g, want %.17g", c->key,
                    t.pct, c->pct);
        T_EQ_INT(t.op, c->op);
        T_CHECK_MSG(t.target == c->target,
                    "'%s' '%s': target %.17g, want %.17g", c->key, c->cond,
                    t.target, c->target);
        tags_str(&t, tags, sizeof(tags));
        T_EQ_STR(tags, c->tags);
        T_EQ_INT(t.window_ns, c->window_ns);
        T_EQ_STR(t.expr, c->expr);
        T_EQ_INT(t.abort, 0);
        T_EQ_INT(t.after_ns, 0);
    }
}

static void test_invalid(void)
{
    size_t i;

    for (i = 0; i < QVR_ARRAY_LEN(invalid); i++) {
        const struct invalid_case *c = &invalid[i];
        struct qvr_thresh t, zero;
        char err[256];
        int rc;

        memset(&zero, 0, sizeof(zero));
        memset(&t, 0xa5, sizeof(t));
        err[0] = '\0';
        rc = qvr_thresh_parse(c->key, c->cond, &t, err, sizeof(err));
        T_CHECK_MSG(rc == QVR_EINVAL, "'%s' '%s' gave rc %d", c->key, c->cond,
                    rc);
        T_CHECK_MSG(strstr(err, c->want) != NULL,
                    "'%s' '%s': error \"%s\" lacks \"%s\"", c->key, c->cond,
                    err, c->want);
        T_CHECK_MSG(strchr(err, '\n') == NULL, "'%s': error is not one line",
                    c->key);
        T_CHECK_MSG(memcmp(&t, &zero, sizeof(t)) == 0,
                    "'%s' '%s': struct not zeroed on error", c->key, c->cond);
    }
}

/* NULL arguments, a missing error buffer, a tiny one, over-long input. */
static void test_edges(void)
{
    struct qvr_thresh t;
    char err[256], tiny[8], longkey[400];
    int rc;

    rc = qvr_thresh_parse(NULL, "<5s", &t, err, sizeof(err));
    T_EQ_INT(rc, QVR_EINVAL);
    T_CHECK(strstr(err, "missing threshold key or condition") != NULL);
    rc = qvr_thresh_parse("p99", NULL, &t, err, sizeof(err));
    T_EQ_INT(rc, QVR_EINVAL);
    T_EQ_INT(qvr_thresh_parse("p99", "<5s", NULL, err, sizeof(err)),
             QVR_EINVAL);
    T_EQ_INT(qvr_thresh_parse("p9x", "<5s", &t, NULL, 0), QVR_EINVAL);
    T_EQ_INT(qvr_thresh_parse("p99", "<5s", &t, NULL, 0), 0);

    memset(tiny, 'x', sizeof(tiny));
    rc = qvr_thresh_parse("p9x", "<5s", &t, tiny, sizeof(tiny));
    T_EQ_INT(rc, QVR_EINVAL);
    T_EQ_INT(strlen(tiny), sizeof(tiny) - 1);
    T_EQ_STR(tiny, "unknown");

    /* Key alone too long for the struct's expr. */
    memset(longkey, 0, sizeof(longkey));
    strcpy(longkey, "p99{name=");
    memset(longkey + 9, 'a', 300);
    strcat(longkey, "}");
    rc = qvr_thresh_parse(longkey, "<5s", &t, err, sizeof(err));
    T_EQ_INT(rc, QVR_EINVAL);
    T_CHECK_MSG(strstr(err, "too long") != NULL, "%s", err);

    /* Each part fits, the expression does not: 4 values of 63 bytes. */
    snprintf(longkey, sizeof(longkey),
             "p99{task=%063d,name=%063d,step=%063d,status=%063d}", 1, 2, 3, 4);
    rc = qvr_thresh_parse(longkey, "<5s", &t, err, sizeof(err));
    T_EQ_INT(rc, QVR_EINVAL);
    T_CHECK_MSG(strstr(err, "too long") != NULL, "%s", err);

    /* A tag value of 63 bytes fits, 64 does not. */
    snprintf(longkey, sizeof(longkey), "p99{task=%063d}", 7);
    T_EQ_INT(qvr_thresh_parse(longkey, "<5s", &t, err, sizeof(err)), 0);
    T_EQ_INT(strlen(t.tags[0].value), 63);
    snprintf(longkey, sizeof(longkey), "p99{task=%064d}", 7);
    rc = qvr_thresh_parse(longkey, "<5s", &t, err, sizeof(err));
    T_EQ_INT(rc, QVR_EINVAL);
    T_CHECK_MSG(strstr(err, "value of tag 'task' too long") != NULL, "%s", err);
}

static struct qvr_thresh parsed(const char *key, const char *cond)
{
    struct qvr_thresh t;
    char err[256];
    int rc = qvr_thresh_parse(key, cond, &t, err, sizeof(err));

    T_CHECK_MSG(rc == 0, "'%s' '%s': %s", key, cond, err);
    return t;
}

/* Every op at the target, one ulp either side, well either side, NaN and
 * the infinities. */
static void test_check(void)
{
    static const struct {
        const char *cond;
        int want[8]; /* T-1, T-ulp, T, T+ulp, T+1, NaN, -inf, +inf */
    } rows[] = {
        {"< 5s", {1, 1, 0, 0, 0, 0, 1, 0}},
        {"<= 5s", {1, 1, 1, 0, 0, 0, 1, 0}},
        {"> 5s", {0, 0, 0, 1, 1, 0, 0, 1}},
        {">= 5s", {0, 0, 1, 1, 1, 0, 0, 1}},
        {"== 5s", {0, 1, 1, 1, 0, 0, 0, 0}},
    };
    const double T = 5000;
    const double vals[8] = {
        T - 1, nextafter(T, 0), T,       nextafter(T, 1e9), T + 1,
        NAN,   -INFINITY,       INFINITY};
    struct qvr_thresh t;
    size_t i, j;

    for (i = 0; i < QVR_ARRAY_LEN(rows); i++) {
        t = parsed("p99", rows[i].cond);
        for (j = 0; j < 8; j++)
            T_CHECK_MSG(qvr_thresh_check(&t, vals[j]) == rows[i].want[j],
                        "'%s' with %.17g: want %d", rows[i].cond, vals[j],
                        rows[i].want[j]);
    }

    /* == is relative: 1e-9 of the larger magnitude. */
    t = parsed("p99", "== 5s");
    T_EQ_INT(qvr_thresh_check(&t, T * (1 + 0.5e-9)), 1);
    T_EQ_INT(qvr_thresh_check(&t, T * (1 - 0.5e-9)), 1);
    T_EQ_INT(qvr_thresh_check(&t, T * (1 + 2e-9)), 0);
    T_EQ_INT(qvr_thresh_check(&t, T * (1 - 2e-9)), 0);
    t = parsed("error_rate", "== 0");
    T_EQ_INT(qvr_thresh_check(&t, 0.0), 1);
    T_EQ_INT(qvr_thresh_check(&t, -0.0), 1);
    T_EQ_INT(qvr_thresh_check(&t, 1e-300), 0);
    t = parsed("error_rate", "== 100%");
    T_EQ_INT(qvr_thresh_check(&t, 1.0), 1);
    T_EQ_INT(qvr_thresh_check(&t, 0.999), 0);

    /* Measured fractions on the boundary meet <= and >= exactly. */
    t = parsed("checks", ">= 99.9%");
    T_EQ_INT(qvr_thresh_check(&t, 999.0 / 1000.0), 1);
    T_EQ_INT(qvr_thresh_check(&t, 998.0 / 1000.0), 0);
    t = parsed("error_rate", "<= 1.1%");
    T_EQ_INT(qvr_thresh_check(&t, 11.0 / 1000.0), 1);
    T_EQ_INT(qvr_thresh_check(&t, 12.0 / 1000.0), 0);
    t = parsed("error_rate", "<= 0.7%");
    T_EQ_INT(qvr_thresh_check(&t, 7.0 / 1000.0), 1);
    t = parsed("error_rate", "< 5%");
    T_EQ_INT(qvr_thresh_check(&t, 0.0499), 1);
    T_EQ_INT(qvr_thresh_check(&t, 0.05), 0);

    /* Negative trend targets. */
    t = parsed("rps_trend", "> -10%");
    T_EQ_INT(qvr_thresh_check(&t, -0.05), 1);
    T_EQ_INT(qvr_thresh_check(&t, -0.10), 0);
    T_EQ_INT(qvr_thresh_check(&t, -0.15), 0);
    T_EQ_INT(qvr_thresh_check(&t, 0.30), 1);

    T_EQ_INT(qvr_thresh_check(NULL, 1.0), 0);
}

/* Parses key with the first condition its kind accepts. */
static struct qvr_thresh parsed_key(const char *key)
{
    static const char *const conds[] = {"< 5s", "< 0.5", "< 5%", "< 2pp"};
    struct qvr_thresh t;
    char err[256];
    size_t i;

    for (i = 0; i < QVR_ARRAY_LEN(conds); i++)
        if (qvr_thresh_parse(key, conds[i], &t, err, sizeof(err)) == 0)
            return t;
    T_CHECK_MSG(0, "'%s' does not parse: %s", key, err);
    return t;
}

static void test_same_key(void)
{
    static const struct {
        const char *a, *b;
        int same;
    } rows[] = {
        {"p99", "p99", 1},
        {"p99", "p99{}", 1},
        {"p99", " p99 ", 1},
        {"p99", "p99[1m]", 0},
        {"p99[1m]", "p99[60s]", 1},
        {"p99[1m]", "p99[30s]", 0},
        {"p99{task=a,status=200}", "p99{status=200,task=a}", 1},
        {"p99{task=a,status=200}", "p99{ status = 200 , task = a }", 1},
        {"p99{task=a}", "p99{task=b}", 0},
        {"p99{task=a}", "p99{task=A}", 0},
        {"p99{task=a}", "p99{name=a}", 0},
        {"p99{task=a}", "p99{task=a,status=200}", 0},
        {"p99{task=a,status=200}", "p99{task=a}", 0},
        {"p99{task=a}", "p99", 0},
        {"p99", "p99.9", 0},
        {"p99.9", "p99.90", 1},
        {"p99", "p95", 0},
        {"max", "p100", 0},
        {"error_rate", "checks", 0},
        {"rps", "goodput", 0},
        {"rps", "rps_trend", 0},
        {"error_rate{task=x}[30s]", "error_rate[30s]{task=x}", -1},
        {"error_rate{task=x}[30s]", "error_rate {task=x} [30s]", 1},
        {"error_rate_trend", "error_rate_trend{}", 1},
    };
    size_t i;

    for (i = 0; i < QVR_ARRAY_LEN(rows); i++) {
        struct qvr_thresh a, b;
        char err[256];

        if (rows[i].same < 0) {
            /* b does not parse; nothing to compare. */
            T_EQ_INT(qvr_thresh_parse(rows[i].b, "<1", &b, err, sizeof(err)),
                     QVR_EINVAL);
            continue;
        }
        a = parsed_key(rows[i].a);
        b = parsed_key(rows[i].b);
        T_CHECK_MSG(qvr_thresh_same_key(&a, &b) == rows[i].same,
                    "same_key('%s', '%s') want %d", rows[i].a, rows[i].b,
                    rows[i].same);
        T_CHECK_MSG(qvr_thresh_same_key(&b, &a) == rows[i].same,
                    "same_key('%s', '%s') want %d", rows[i].b, rows[i].a,
                    rows[i].same);
    }
    T_EQ_INT(qvr_thresh_same_key(NULL, NULL), 0);
}

static void test_fmt(void)
{
    static const struct {
        const char *key, *cond;
        double value;
        const char *want;
    } rows[] = {
        {"p99", "<5s", 0.25, "0.25ms"},
        {"p99", "<5s", 9.99, "9.99ms"},
        {"p99", "<5s", 9.996, "10ms"},
        {"p99", "<5s", 812.4, "812ms"},
        {"p99", "<5s", 999.4, "999ms"},
        {"p99", "<5s", 999.6, "1.00s"},
        {"p99", "<5s", 3420, "3.42s"},
        {"max", "<5s", 90000, "90.00s"},
        {"p99", "<5s", NAN, "n/a"},
        {"error_rate", "<5%", 0.024, "2.40%"},
        {"checks", ">99%", 1.0, "100.00%"},
        {"error_rate", "<5%", 0.0, "0.00%"},
        {"rps", ">1", 41.06, "41.1/s"},
        {"goodput", ">1", 0.0, "0.0/s"},
        {"rps_trend", ">-10%", -0.12, "-12.0%"},
        {"p99_trend", "<25%", 0.25, "+25.0%"},
        {"p50_trend", "<25%", 0.0, "+0.0%"},
        {"error_rate_trend", "<2pp", 0.02, "+2.00pp"},
        {"error_rate_trend", "<2pp", -0.0015, "-0.15pp"},
    };
    char buf[32], small[4];
    struct qvr_thresh t;
    size_t i;

    for (i = 0; i < QVR_ARRAY_LEN(rows); i++) {
        t = parsed(rows[i].key, rows[i].cond);
        T_CHECK(qvr_thresh_fmt_value(&t, rows[i].value, buf, sizeof(buf)) ==
                buf);
        T_EQ_STR(buf, rows[i].want);
    }
    t = parsed("p99", "<5s");
    memset(small, 'x', sizeof(small));
    qvr_thresh_fmt_value(&t, 3420, small, sizeof(small));
    T_EQ_STR(small, "3.4");
    T_CHECK(qvr_thresh_fmt_value(&t, 1, NULL, 0) == NULL);
}

/* ttft./itl./tpot. pick the time measured: a key of its own. */
static void test_token_src(void)
{
    struct qvr_thresh a, b;
    char err[256];
    T_EQ_INT(qvr_thresh_parse("itl.p50", "< 5ms", &a, err, sizeof(err)), 0);
    T_EQ_INT(a.src, QVR_TS_ITL);
    T_EQ_INT(qvr_thresh_parse("p50", "< 5ms", &b, err, sizeof(err)), 0);
    T_EQ_INT(b.src, QVR_TS_LATENCY);
    T_CHECK(!qvr_thresh_same_key(&a, &b));
    T_EQ_INT(qvr_thresh_parse("tpot.p50", "< 5ms", &b, err, sizeof(err)), 0);
    T_EQ_INT(b.src, QVR_TS_TPOT);
    T_CHECK(!qvr_thresh_same_key(&a, &b));
    T_EQ_INT(qvr_thresh_parse("ttft.max", "< 5ms", &b, err, sizeof(err)), 0);
    T_EQ_INT(b.src, QVR_TS_TTFT);
    T_EQ_INT(b.metric, QVR_TM_MAX);
}

int main(void)
{
    test_parse_expr();
    test_token_src();
    test_valid();
    test_invalid();
    test_edges();
    test_check();
    test_same_key();
    test_fmt();
    return T_DONE();
}
