/* thresh.c -- threshold expressions: parse and check.
 *
 * A threshold arrives as two strings, the key of a scenario's `thresholds`
 * table and its condition. The key names what is measured (metric, tags,
 * window), the condition how it is judged (operator, target, unit). Both
 * are checked strictly: a typo in a threshold silently never failing is the
 * worst thing a gate can do, so every error says what was wrong in one
 * line, with a "did you mean" where a near name exists.
 *
 * Targets are stored in one canonical unit per kind (ms, fraction, per
 * second, fraction of change). Unit scaling is done by shifting the decimal
 * exponent of the number as written and letting strtod round once, so
 * "5.1%" becomes exactly the double nearest 0.051 and "250us" exactly the
 * double nearest 0.25: a measured 51/1000 then compares equal to the
 * target, not one ulp above it. */
#include "thresh.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "qvr.h"
#include "suggest.h"

#define EXPECTED_METRICS                                                       \
    "p50..p99.9, max, min, mean, rps, error_rate, checks, goodput, "           \
    "output_tokens_per_s, task_errors, ttft./itl./tpot. + pNN, min, max, "     \
    "mean or *_trend"
#define EXPECTED_TAGS "task, name, step or status"
#define EXPECTED_OPS "<, <=, >, >= or =="

struct metric_def {
    const char *name;
    enum qvr_thresh_metric metric;
    enum qvr_thresh_kind kind;
};

static const struct metric_def metric_defs[] = {
    {"min", QVR_TM_MIN, QVR_TK_LATENCY},
    {"max", QVR_TM_MAX, QVR_TK_LATENCY},
    {"mean", QVR_TM_MEAN, QVR_TK_LATENCY},
    {"rps", QVR_TM_RPS, QVR_TK_RATE},
    {"error_rate", QVR_TM_ERROR_RATE, QVR_TK_RATIO},
    {"checks", QVR_TM_CHECKS, QVR_TK_RATIO},
    {"goodput", QVR_TM_GOODPUT, QVR_TK_RATE},
    {"rps_trend", QVR_TM_RPS_TREND, QVR_TK_TREND},
    {"p50_trend", QVR_TM_P50_TREND, QVR_TK_TREND},
    {"p99_trend", QVR_TM_P99_TREND, QVR_TK_TREND},
    {"error_rate_trend", QVR_TM_ERROR_RATE_TREND, QVR_TK_TREND},
    {"output_tokens_per_s", QVR_TM_OUT_TPS, QVR_TK_RATE},
    {"task_errors", QVR_TM_TASK_ERRORS, QVR_TK_COUNT},
};

/* Candidates for "did you mean": the named metrics and the usual
 * percentiles (any p<number> is valid, these are the likely intents). */
static const char *const metric_hints[] = {
    "p50",         "p90",        "p95",       "p99",
    "p99.9",       "min",        "max",       "mean",
    "rps",         "error_rate", "checks",    "goodput",
    "rps_trend",   "p50_trend",  "p99_trend", "error_rate_trend",
    "ttft.p99",    "itl.p99",    "tpot.p99",  "output_tokens_per_s",
    "task_errors",
};

static const char *const tag_keys[] = {"task", "name", "step", "status"};

static const char *const op_text[] = {"<", "<=", ">", ">=", "=="};

/* Where parse errors go. */
struct parser {
    struct qvr_thresh *t;
    char *err;
    unsigned long errlen;
    const char *key; /* the key as written, trimmed, for messages */
    const char *cond;
};

static int reject(struct parser *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Writes the one-line reason to p->err; returns QVR_EINVAL. */
static int reject(struct parser *p, const char *fmt, ...)
{
    va_list ap;

    if (p->err != NULL && p->errlen > 0) {
        va_start(ap, fmt);
        vsnprintf(p->err, p->errlen, fmt, ap);
        va_end(ap);
    }
    return QVR_EINVAL;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
           c == '\v';
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Trims s in place: returns the first non-space byte, and cuts the string
 * after the last one. */
static char *trim(char *s)
{
    size_t n;

    while (is_space(*s))
        s++;
    n = strlen(s);
    while (n > 0 && is_space(s[n - 1]))
        n--;
    s[n] = '\0';
    return s;
}

static char *skip_space(char *s)
{
    while (is_space(*s))
        s++;
    return s;
}

/* 1 when name has the shape p<digits>[.<digits>], with the number in *pct;
 * the range is checked by the caller. */
static int pct_shape(const char *name, double *pct)
{
    const char *s = name + 1;

    if (name[0] != 'p' || !is_digit(*s))
        return 0;
    while (is_digit(*s))
        s++;
    if (*s == '.') {
        s++;
        if (!is_digit(*s))
            return 0;
        while (is_digit(*s))
            s++;
    }
    if (*s != '\0')
        return 0;
    *pct = strtod(name + 1, NULL);
    return 1;
}

static const struct metric_def *find_metric(const char *name)
{
    size_t i;

    for (i = 0; i < QVR_ARRAY_LEN(metric_defs); i++)
        if (strcmp(metric_defs[i].name, name) == 0)
            return &metric_defs[i];
    return NULL;
}

static int set_metric(struct parser *p, const char *name);

/* "ttft.p99", "itl.max", "tpot.p50_trend": a token stream's time, with
 * the latency metrics' names after the prefix. */
static int set_token_metric(struct parser *p, const char *name)
{
    static const struct {
        const char *prefix;
        enum qvr_thresh_src src;
    } pre[] = {
        {"ttft.", QVR_TS_TTFT}, {"itl.", QVR_TS_ITL}, {"tpot.", QVR_TS_TPOT}};
    for (size_t i = 0; i < QVR_ARRAY_LEN(pre); i++) {
        size_t n = strlen(pre[i].prefix);
        if (strncmp(name, pre[i].prefix, n) != 0)
            continue;
        int rc = set_metric(p, name + n);
        if (rc < 0)
            return rc;
        struct qvr_thresh *t = p->t;
        if (t->kind != QVR_TK_LATENCY && t->metric != QVR_TM_P50_TREND &&
            t->metric != QVR_TM_P99_TREND)
            return reject(p,
                          "'%s': %s takes a time (pNN, min, max, mean, "
                          "p50_trend, p99_trend), not %s",
                          name, pre[i].prefix, name + n);
        if (strlen(name) >= sizeof(t->metric_name))
            return reject(p, "metric name '%s' too long", name);
        snprintf(t->metric_name, sizeof(t->metric_name), "%s", name);
        t->src = pre[i].src;
        return 0;
    }
    return 1;
}

/* Sets the metric of p->t from its name, or explains why it is none. */
static int set_metric(struct parser *p, const char *name)
{
    struct qvr_thresh *t = p->t;
    const struct metric_def *def = find_metric(name);
    const char *hint;
    size_t n = strlen(name);
    double pct;
    int tk = set_token_metric(p, name);

    if (tk <= 0)
        return tk;
    if (def != NULL) {
        t->metric = def->metric;
        t->kind = def->kind;
        snprintf(t->metric_name, sizeof(t->metric_name), "%s", def->name);
        return 0;
    }
    if (pct_shape(name, &pct)) {
        if (!(pct > 0.0 && pct <= 100.0))
            return reject(p,
                          "percentile out of range in '%s' (must be above 0 "
                          "and at most 100)",
                          name);
        if (n >= sizeof(t->metric_name))
            return reject(p, "percentile name '%s' too long", name);
        t->metric = QVR_TM_PCTL;
        t->kind = QVR_TK_LATENCY;
        t->pct = pct;
        memcpy(t->metric_name, name, n + 1);
        return 0;
    }
    /* "p95_trend": a real metric with a trend we do not compute. */
    if (n > 6 && strcmp(name + n - 6, "_trend") == 0) {
        char base[64];

        snprintf(base, sizeof(base), "%.*s", (int)(n - 6), name);
        if (find_metric(base) != NULL || pct_shape(base, &pct))
            return reject(p,
                          "no trend for '%s' (trends exist for rps, p50, p99 "
                          "and error_rate)",
                          base);
    }
    hint = qvr_suggest(name, metric_hints, (int)QVR_ARRAY_LEN(metric_hints));
    if (hint != NULL)
        return reject(p,
                      "unknown metric '%s' (expected " EXPECTED_METRICS
                      "); did you mean '%s'?",
                      name, hint);
    return reject(p, "unknown metric '%s' (expected " EXPECTED_METRICS ")",
                  name);
}

/* One "k=v" item of a tag list; item is modified. */
static int parse_tag(struct parser *p, char *item)
{
    struct qvr_thresh *t = p->t;
    char *eq, *k, *v;
    const char *hint, *c;
    size_t i, vn;

    item = trim(item);
    if (*item == '\0')
        return reject(p, "empty tag in key '%s'", p->key);
    eq = strchr(item, '=');
    if (eq == NULL)
        return reject(p, "tag '%s' has no '=value' in key '%s'", item, p->key);
    *eq = '\0';
    k = trim(item);
    v = trim(eq + 1);
    if (*k == '\0')
        return reject(p, "tag without a name in key '%s'", p->key);
    for (i = 0; i < QVR_ARRAY_LEN(tag_keys); i++)
        if (strcmp(k, tag_keys[i]) == 0)
            break;
    if (i == QVR_ARRAY_LEN(tag_keys)) {
        hint = qvr_suggest(k, tag_keys, (int)QVR_ARRAY_LEN(tag_keys));
        if (hint != NULL)
            return reject(p,
                          "unknown tag '%s' (expected " EXPECTED_TAGS
                          "); did you mean '%s'?",
                          k, hint);
        return reject(p, "unknown tag '%s' (expected " EXPECTED_TAGS ")", k);
    }
    if (*v == '\0')
        return reject(p, "empty value for tag '%s' in key '%s'", k, p->key);
    for (c = v; *c != '\0'; c++)
        if (strchr("={}[],", *c) != NULL || iscntrl((unsigned char)*c))
            return reject(p, "bad character '%c' in the value of tag '%s'",
                          iscntrl((unsigned char)*c) ? '?' : *c, k);
    vn = strlen(v);
    if (vn >= QVR_THRESH_TAG_LEN)
        return reject(p, "value of tag '%s' too long (at most %d bytes)", k,
                      QVR_THRESH_TAG_LEN - 1);
    if (strcmp(k, "status") == 0)
        for (c = v; *c != '\0'; c++)
            if (!is_digit(*c))
                return reject(p,
                              "tag status needs a number such as 200, got "
                              "'%s'",
                              v);
    for (i = 0; i < (size_t)t->ntags; i++)
        if (strcmp(t->tags[i].key, k) == 0)
            return reject(p, "duplicate tag '%s' in key '%s'", k, p->key);
    if (t->ntags >= QVR_THRESH_MAX_TAGS)
        return reject(p, "too many tags in key '%s' (at most %d)", p->key,
                      QVR_THRESH_MAX_TAGS);
    snprintf(t->tags[t->ntags].key, sizeof(t->tags[0].key), "%s", k);
    memcpy(t->tags[t->ntags].value, v, vn + 1);
    t->ntags++;
    return 0;
}

/* The text between '{' and '}'; modified. Blank means no tags. */
static int parse_tags(struct parser *p, char *s)
{
    for (;;) {
        char *comma = strchr(s, ',');
        int rc;

        if (comma == NULL && p->t->ntags == 0 && *trim(s) == '\0')
            return 0; /* "{}" */
        if (comma != NULL)
            *comma = '\0';
        rc = parse_tag(p, s);
        if (rc < 0)
            return rc;
        if (comma == NULL)
            return 0;
        s = comma + 1;
    }
}

/* The text between '[' and ']'; modified. */
static int parse_window(struct parser *p, char *s)
{
    uint64_t ns = 0;

    s = trim(s);
    if (p->t->kind == QVR_TK_TREND)
        return reject(p,
                      "a window is not allowed on a trend ('%s'): a trend "
                      "already spans the run",
                      p->key);
    if (*s == '\0')
        return reject(p,
                      "empty window in key '%s' (use a duration such as "
                      "30s or 1m)",
                      p->key);
    if (qvr_duration_parse(s, &ns) < 0)
        return reject(p,
                      "bad window '%s' in key '%s' (use a duration such as "
                      "30s or 1m)",
                      s, p->key);
    if (ns == 0)
        return reject(p, "window '%s' in key '%s' must be longer than 0", s,
                      p->key);
    p->t->window_ns = ns;
    return 0;
}

/* key: metric[{tag=value,...}][[window]], trimmed and modifiable. */
static int parse_key(struct parser *p, char *key)
{
    char name[64], *s, *end;
    size_t n = strcspn(key, "{[ \t\n\r\f\v");
    int rc;

    if (n == 0)
        return reject(p, "missing metric name in key '%s'", p->key);
    snprintf(name, sizeof(name), "%.*s", (int)n, key);
    rc = set_metric(p, name);
    if (rc < 0)
        return rc;
    s = skip_space(key + n);
    if (*s == '{') {
        end = strchr(s, '}');
        if (end == NULL)
            return reject(p, "unclosed '{' in key '%s'", p->key);
        *end = '\0';
        rc = parse_tags(p, s + 1);
        if (rc < 0)
            return rc;
        s = skip_space(end + 1);
    }
    if (*s == '[') {
        end = strchr(s, ']');
        if (end == NULL)
            return reject(p, "unclosed '[' in key '%s'", p->key);
        *end = '\0';
        rc = parse_window(p, s + 1);
        if (rc < 0)
            return rc;
        s = skip_space(end + 1);
        if (*s == '{')
            return reject(p, "tags must come before the window in key '%s'",
                          p->key);
    }
    if (*s != '\0')
        return reject(p, "unexpected '%s' in key '%s'", s, p->key);
    if (p->t->metric == QVR_TM_TASK_ERRORS && (p->t->ntags || p->t->window_ns))
        return reject(p,
                      "task_errors counts the whole run: no tags or window "
                      "in '%s'",
                      p->key);
    return 0;
}

/* Reads the operator at *sp and advances past it. */
static int parse_op(struct parser *p, char **sp)
{
    char *s = *sp;
    size_t len = 1;

    if (s[0] == '<' && s[1] == '=') {
        p->t->op = QVR_OP_LE;
        len = 2;
    } else if (s[0] == '>' && s[1] == '=') {
        p->t->op = QVR_OP_GE;
        len = 2;
    } else if (s[0] == '=' && s[1] == '=') {
        p->t->op = QVR_OP_EQ;
        len = 2;
    } else if (s[0] == '<') {
        p->t->op = QVR_OP_LT;
    } else if (s[0] == '>') {
        p->t->op = QVR_OP_GT;
    } else if (s[0] == '=' || s[0] == '!') {
        return reject(p, "bad operator in '%s' (use " EXPECTED_OPS ")",
                      p->cond);
    } else {
        return reject(p,
                      "missing operator in '%s' (expected " EXPECTED_OPS
                      " before the number)",
                      p->cond);
    }
    if (s[len] != '\0' && strchr("<>=!", s[len]) != NULL)
        return reject(p, "bad operator in '%s' (use " EXPECTED_OPS ")",
                      p->cond);
    *sp = s + len;
    return 0;
}

/* The decimal exponent and factor turning a number in unit into the
 * canonical unit of the threshold's kind, or an error naming the units
 * that would do. */
static int unit_scale(struct parser *p, const char *unit, int *exp10,
                      double *factor)
{
    const struct qvr_thresh *t = p->t;
    const char *m = t->metric_name;

    *exp10 = 0;
    *factor = 1.0;
    switch (t->kind) {
    case QVR_TK_LATENCY:
        if (strcmp(unit, "") == 0 || strcmp(unit, "ms") == 0)
            return 0;
        if (strcmp(unit, "us") == 0) {
            *exp10 = -3;
            return 0;
        }
        if (strcmp(unit, "s") == 0) {
            *exp10 = 3;
            return 0;
        }
        if (strcmp(unit, "m") == 0) {
            *exp10 = 3;
            *factor = 60.0;
            return 0;
        }
        return reject(p, "bad unit '%s' for %s (use us, ms, s or m)", unit, m);
    case QVR_TK_COUNT:
        if (strcmp(unit, "") == 0)
            return 0;
        if (strcmp(unit, "%") == 0) { /* a share of the iterations */
            p->t->kind = QVR_TK_RATIO;
            *exp10 = -2;
            return 0;
        }
        return reject(p,
                      "bad unit '%s' for %s (use a count such as 10, or %% "
                      "of the iterations)",
                      unit, m);
    case QVR_TK_RATIO:
        if (strcmp(unit, "") == 0)
            return 0;
        if (strcmp(unit, "%") == 0) {
            *exp10 = -2;
            return 0;
        }
        return reject(p,
                      "bad unit '%s' for %s (use %% or a fraction such as "
                      "0.05)",
                      unit, m);
    case QVR_TK_RATE:
        if (strcmp(unit, "") == 0 || strcmp(unit, "/s") == 0)
            return 0;
        return reject(p,
                      "bad unit '%s' for %s (use a number per second, "
                      "optionally with /s)",
                      unit, m);
    case QVR_TK_TREND:
        if (t->metric == QVR_TM_ERROR_RATE_TREND) {
            if (strcmp(unit, "pp") == 0) {
                *exp10 = -2;
                return 0;
            }
            if (strcmp(unit, "") == 0)
                return reject(p,
                              "missing unit for %s: write a change in "
                              "percentage points such as '+2pp'",
                              m);
            return reject(p,
                          "bad unit '%s' for %s (use pp: it is the change "
                          "in percentage points, such as '+2pp')",
                          unit, m);
        }
        if (strcmp(unit, "%") == 0) {
            *exp10 = -2;
            return 0;
        }
        if (strcmp(unit, "") == 0)
            return reject(p,
                          "missing unit for %s: write a change in %% such "
                          "as '-10%%'",
                          m);
        if (strcmp(unit, "pp") == 0)
            return reject(p,
                          "unit 'pp' is only for error_rate_trend; use %% "
                          "for %s",
                          m);
        return reject(p, "bad unit '%s' for %s (use %%, such as '-10%%')", unit,
                      m);
    }
    return reject(p, "bad unit '%s' for %s", unit, m);
}

/* cond: OP number[unit], trimmed and modifiable; *numtext is set to the
 * "number[unit]" part as written. */
static int parse_cond(struct parser *p, char *cond, const char **numtext)
{
    struct qvr_thresh *t = p->t;
    char *s = cond, *num, *unit, buf[QVR_THRESH_EXPR_LEN + 16];
    double factor, v;
    int rc, exp10, digits = 0;
    size_t numlen;

    if (*s == '\0')
        return reject(p, "empty condition for '%s'", p->key);
    rc = parse_op(p, &s);
    if (rc < 0)
        return rc;
    num = skip_space(s);
    *numtext = num;
    s = num;
    if (*s == '+' || *s == '-')
        s++;
    while (is_digit(*s)) {
        s++;
        digits++;
    }
    if (*s == '.') {
        s++;
        while (is_digit(*s)) {
            s++;
            digits++;
        }
    }
    if (digits == 0)
        return reject(p, "missing number after '%s' in '%s'", op_text[t->op],
                      p->cond);
    numlen = (size_t)(s - num);
    unit = s;
    if (is_space(*unit)) {
        unit = skip_space(unit);
        return reject(p,
                      "space between number and unit in '%s' (write "
                      "'%.*s%s')",
                      p->cond, (int)numlen, num, unit);
    }
    if (*num == '-' && t->kind != QVR_TK_TREND)
        return reject(p, "negative target '%s' for %s", num, t->metric_name);
    rc = unit_scale(p, unit, &exp10, &factor);
    if (rc < 0)
        return rc;
    snprintf(buf, sizeof(buf), "%.*se%d", (int)numlen, num, exp10);
    v = strtod(buf, NULL) * factor;
    if (!isfinite(v))
        return reject(p, "number out of range in '%s'", p->cond);
    if (t->kind == QVR_TK_RATIO && v > 1.0) {
        if (exp10 == 0)
            return reject(p,
                          "ambiguous target '%s' for %s: write '%s%%' or a "
                          "fraction such as 0.05",
                          num, t->metric_name, num);
        return reject(p, "target '%s' for %s is above 100%%", num,
                      t->metric_name);
    }
    t->target = v;
    return 0;
}

/* Copies s without surrounding space into out (QVR_THRESH_EXPR_LEN). */
static int copy_trimmed(struct parser *p, const char *s, char *out,
                        const char *what)
{
    size_t n;

    while (is_space(*s))
        s++;
    n = strlen(s);
    while (n > 0 && is_space(s[n - 1]))
        n--;
    if (n >= QVR_THRESH_EXPR_LEN)
        return reject(p, "threshold %s too long (at most %d bytes)", what,
                      QVR_THRESH_EXPR_LEN - 1);
    memcpy(out, s, n);
    out[n] = '\0';
    return 0;
}

/* Parses key + cond into *t; see thresh.h. The error text, if any, names
 * the part that is wrong. On failure *t is left zeroed. */
int qvr_thresh_parse(const char *key, const char *cond, struct qvr_thresh *t,
                     char *err, unsigned long errlen)
{
    char k0[QVR_THRESH_EXPR_LEN], k[QVR_THRESH_EXPR_LEN];
    char c0[QVR_THRESH_EXPR_LEN], c[QVR_THRESH_EXPR_LEN];
    struct parser p = {t, err, errlen, k0, c0};
    const char *numtext = "";
    int rc, n;

    if (err != NULL && errlen > 0)
        err[0] = '\0';
    if (t == NULL)
        return reject(&p, "no threshold to parse into");
    memset(t, 0, sizeof(*t));
    k0[0] = c0[0] = '\0';
    if (key == NULL || cond == NULL) {
        rc = reject(&p, "missing threshold key or condition");
        goto fail;
    }
    rc = copy_trimmed(&p, key, k0, "key");
    if (rc < 0)
        goto fail;
    rc = copy_trimmed(&p, cond, c0, "condition");
    if (rc < 0)
        goto fail;
    if (k0[0] == '\0') {
        rc = reject(&p, "empty threshold key");
        goto fail;
    }
    memcpy(k, k0, sizeof(k));
    memcpy(c, c0, sizeof(c));
    rc = parse_key(&p, k);
    if (rc < 0)
        goto fail;
    rc = parse_cond(&p, c, &numtext);
    if (rc < 0)
        goto fail;
    n = snprintf(t->expr, sizeof(t->expr), "%s %s %s", k0, op_text[t->op],
                 numtext);
    if (n < 0 || (size_t)n >= sizeof(t->expr)) {
        rc = reject(&p, "threshold '%s' too long (at most %d bytes)", k0,
                    QVR_THRESH_EXPR_LEN - 1);
        goto fail;
    }
    return 0;

fail:
    memset(t, 0, sizeof(*t));
    return rc;
}

/* 1 when value meets t's condition; see thresh.h. == allows a relative
 * difference of 1e-9 so that a value computed another way still matches. */
int qvr_thresh_parse_expr(const char *expr, struct qvr_thresh *t, char *err,
                          unsigned long errlen)
{
    char key[QVR_THRESH_EXPR_LEN];
    int depth = 0;
    const char *op = expr;
    for (; *op; op++) {
        if (*op == '{' || *op == '[')
            depth++;
        else if ((*op == '}' || *op == ']') && depth > 0)
            depth--;
        else if (!depth && strchr("<>=!", *op))
            break;
    }
    if (!*op || op == expr) {
        if (t)
            memset(t, 0, sizeof(*t));
        if (err && errlen)
            snprintf(err, errlen,
                     "expected METRIC OP VALUE, e.g. 'p99 < 2s' or "
                     "'error_rate < 1%%'");
        return QVR_EINVAL;
    }
    const char *k0 = expr, *k1 = op;
    while (k0 < k1 && isspace((unsigned char)*k0))
        k0++;
    while (k1 > k0 && isspace((unsigned char)k1[-1]))
        k1--;
    snprintf(key, sizeof(key), "%.*s", (int)(k1 - k0), k0);
    return qvr_thresh_parse(key, op, t, err, errlen);
}

int qvr_thresh_check(const struct qvr_thresh *t, double value)
{
    double scale;

    if (t == NULL || isnan(value) || isnan(t->target))
        return 0;
    switch (t->op) {
    case QVR_OP_LT:
        return value < t->target;
    case QVR_OP_LE:
        return value <= t->target;
    case QVR_OP_GT:
        return value > t->target;
    case QVR_OP_GE:
        return value >= t->target;
    case QVR_OP_EQ:
        if (value == t->target)
            return 1;
        if (!isfinite(value) || !isfinite(t->target))
            return 0;
        scale = fmax(fabs(value), fabs(t->target));
        return fabs(value - t->target) <= 1e-9 * scale;
    }
    return 0;
}

static const char *tag_value(const struct qvr_thresh *t, const char *key)
{
    int i;

    for (i = 0; i < t->ntags; i++)
        if (strcmp(t->tags[i].key, key) == 0)
            return t->tags[i].value;
    return NULL;
}

/* 1 when a and b measure the same thing; see thresh.h. Tag order does
 * not matter; tag values compare case-sensitively. */
int qvr_thresh_same_key(const struct qvr_thresh *a, const struct qvr_thresh *b)
{
    int i;

    if (a == NULL || b == NULL)
        return 0;
    if (a->metric != b->metric || a->window_ns != b->window_ns ||
        a->ntags != b->ntags || a->src != b->src)
        return 0;
    if (a->metric == QVR_TM_PCTL && a->pct != b->pct)
        return 0;
    for (i = 0; i < a->ntags; i++) {
        const char *v = tag_value(b, a->tags[i].key);

        if (v == NULL || strcmp(v, a->tags[i].value) != 0)
            return 0;
    }
    return 1;
}

/* Formats value in t's natural unit into buf (len bytes); see thresh.h.
 * Latency: "0.25ms", "812ms", "3.42s" (two decimals below 10ms, none up to
 * a second, seconds above); ratio "2.40%"; rate "41.1/s"; trend "-12.0%",
 * error_rate_trend "+2.00pp". NaN prints "n/a". Returns buf. */
char *qvr_thresh_fmt_value(const struct qvr_thresh *t, double value, char *buf,
                           unsigned long len)
{
    if (buf == NULL || len == 0)
        return buf;
    if (t == NULL || isnan(value)) {
        snprintf(buf, len, "n/a");
        return buf;
    }
    switch (t->kind) {
    case QVR_TK_LATENCY:
        /* Pick the form by what would be printed: 999.7 is "1.00s". */
        if (fabs(value) >= 999.5)
            snprintf(buf, len, "%.2fs", value / 1000.0);
        else if (fabs(value) >= 9.995)
            snprintf(buf, len, "%.0fms", value);
        else
            snprintf(buf, len, "%.2fms", value);
        break;
    case QVR_TK_RATIO:
        snprintf(buf, len, "%.2f%%", value * 100.0);
        break;
    case QVR_TK_RATE:
        snprintf(buf, len, "%.1f/s", value);
        break;
    case QVR_TK_COUNT:
        snprintf(buf, len, "%.0f", value);
        break;
    case QVR_TK_TREND:
        if (t->metric == QVR_TM_ERROR_RATE_TREND)
            snprintf(buf, len, "%+.2fpp", value * 100.0);
        else
            snprintf(buf, len, "%+.1f%%", value * 100.0);
        break;
    default:
        snprintf(buf, len, "%g", value);
        break;
    }
    return buf;
}
