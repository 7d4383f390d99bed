/* fuzz_thresh.c -- libFuzzer target for qvr_thresh_parse (core/judge/thresh.c).
 *
 * Input: the threshold key, a newline, the condition ("p99{task=a}[1m]\n<
 * 5s"); without a newline the whole input is the key and the condition is
 * "< 1s". Checked beyond memory safety (aborting when it does not hold):
 *   - the result is 0 or QVR_EINVAL; on failure *t is all zero and the
 *     reason is one non-empty line (unless it quotes a condition that has
 *     a newline); the reason fits even a 1- or 9-byte
 *     buffer (the buffers are exact heap blocks, so ASan sees overflows);
 *   - on success every string is terminated in its array, ntags is in
 *     range, windows are not on trends, and the normalised expr read back
 *     as key + condition gives the same threshold;
 *   - qvr_thresh_same_key(t, t) holds, qvr_thresh_check never accepts NaN,
 *     and qvr_thresh_fmt_value fits any buffer size. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qvr.h"
#include "thresh.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FT_MAX_INPUT 1024

static void ft_check(int ok, const char *what, const char *key,
                     const char *cond)
{
    if (ok)
        return;
    fprintf(stderr, "fuzz_thresh: %s for key \"%s\" cond \"%s\"\n", what, key,
            cond);
    abort();
}

static int ft_terminated(const char *s, size_t cap)
{
    return memchr(s, '\0', cap) != NULL;
}

static int ft_all_zero(const struct qvr_thresh *t)
{
    const unsigned char *p = (const unsigned char *)t;
    size_t i;

    for (i = 0; i < sizeof(*t); i++)
        if (p[i] != 0)
            return 0;
    return 1;
}

/* Parses with the reason written into an exact heap block of errlen
 * bytes; checks the reason is terminated and one line. */
static int ft_parse_small_err(const char *key, const char *cond,
                              unsigned long errlen)
{
    struct qvr_thresh t;
    char *err = malloc(errlen);
    int rc;

    if (err == NULL)
        return 0;
    rc = qvr_thresh_parse(key, cond, &t, err, errlen);
    ft_check(ft_terminated(err, errlen), "reason not terminated", key, cond);
    free(err);
    return rc;
}

/* The parsed fields that define a threshold (expr and metric_name
 * aside, which are text). */
static int ft_same_meaning(const struct qvr_thresh *a,
                           const struct qvr_thresh *b)
{
    if (!qvr_thresh_same_key(a, b) || !qvr_thresh_same_key(b, a))
        return 0;
    if (a->kind != b->kind || a->op != b->op)
        return 0;
    if (isnan(a->target) || isnan(b->target))
        return isnan(a->target) && isnan(b->target);
    return a->target == b->target;
}

static void ft_success(const struct qvr_thresh *t, const char *key,
                       const char *cond)
{
    static const double probes[] = {0.0,   -1.0,   0.25,  1e-300,
                                    1e300, -1e308, 999.5, 0.051};
    struct qvr_thresh again;
    char err[256], *sp, *copy;
    size_t klen, i, n;
    int rc;

    ft_check(ft_terminated(t->expr, sizeof(t->expr)) && t->expr[0] != '\0',
             "bad expr", key, cond);
    ft_check(ft_terminated(t->metric_name, sizeof(t->metric_name)) &&
                 t->metric_name[0] != '\0',
             "bad metric_name", key, cond);
    ft_check(t->ntags >= 0 && t->ntags <= QVR_THRESH_MAX_TAGS,
             "ntags out of range", key, cond);
    for (i = 0; i < (size_t)t->ntags; i++)
        ft_check(ft_terminated(t->tags[i].key, sizeof(t->tags[i].key)) &&
                     ft_terminated(t->tags[i].value, sizeof(t->tags[i].value)),
                 "tag not terminated", key, cond);
    ft_check(t->kind != QVR_TK_TREND || t->window_ns == 0, "window on a trend",
             key, cond);
    ft_check(t->abort == 0 && t->after_ns == 0, "abort fields set", key, cond);
    ft_check(qvr_thresh_same_key(t, t), "same_key(t, t) is 0", key, cond);
    ft_check(!qvr_thresh_check(t, NAN), "NaN meets a threshold", key, cond);

    /* expr is "<trimmed key> <op> <number>": split after the key. */
    copy = strdup(t->expr);
    if (copy == NULL)
        return;
    klen = strlen(key);
    while (klen > 0 && strchr(" \t\n\r\f\v", key[klen - 1]) != NULL)
        klen--;
    n = strspn(key, " \t\n\r\f\v");
    klen = klen > n ? klen - n : 0;
    ft_check(strlen(copy) > klen && copy[klen] == ' ' &&
                 strncmp(copy, key + n, klen) == 0,
             "expr does not start with the key", key, cond);
    copy[klen] = '\0';
    sp = copy + klen + 1;
    rc = qvr_thresh_parse(copy, sp, &again, err, sizeof(err));
    ft_check(rc == 0, "expr does not parse back", key, cond);
    ft_check(ft_same_meaning(t, &again), "expr parses to another threshold",
             key, cond);
    ft_check(strcmp(t->expr, again.expr) == 0, "expr not a fixed point", key,
             cond);
    free(copy);

    for (i = 0; i < QVR_ARRAY_LEN(probes); i++) {
        for (n = 1; n <= 24; n += 23) {
            char *buf = malloc(n);

            if (buf == NULL)
                return;
            qvr_thresh_fmt_value(t, probes[i], buf, n);
            ft_check(ft_terminated(buf, n), "fmt_value not terminated", key,
                     cond);
            free(buf);
        }
        (void)qvr_thresh_check(t, probes[i]);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct qvr_thresh t, t2;
    char *buf, *key, *cond, *nl, err[256];
    int rc, rc2;

    if (size > FT_MAX_INPUT)
        return 0;
    buf = malloc(size + 8);
    if (buf == NULL)
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    key = buf;
    nl = memchr(buf, '\n', size);
    if (nl != NULL) {
        *nl = '\0';
        cond = nl + 1;
    } else {
        cond = buf + size + 1;
        memcpy(cond, "< 1s", 5);
    }

    memset(&t, 0xa5, sizeof(t));
    rc = qvr_thresh_parse(key, cond, &t, err, sizeof(err));
    ft_check(rc == 0 || rc == QVR_EINVAL, "unexpected return code", key, cond);
    ft_check(ft_terminated(err, sizeof(err)), "reason not terminated", key,
             cond);
    rc2 = qvr_thresh_parse(key, cond, &t2, NULL, 0);
    ft_check(rc2 == rc, "result depends on the err buffer", key, cond);
    ft_check(ft_parse_small_err(key, cond, 1) == rc, "1-byte err differs", key,
             cond);
    ft_check(ft_parse_small_err(key, cond, 9) == rc, "9-byte err differs", key,
             cond);
    if (rc == 0) {
        ft_check(memcmp(&t, &t2, sizeof(t)) == 0, "not deterministic", key,
                 cond);
        ft_success(&t, key, cond);
    } else {
        ft_check(ft_all_zero(&t), "*t not zeroed on failure", key, cond);
        /* The reason may quote the condition, which may hold a newline. */
        ft_check(err[0] != '\0', "empty reason", key, cond);
        ft_check(strchr(cond, '\n') != NULL || strchr(err, '\n') == NULL,
                 "reason spans lines", key, cond);
    }
    free(buf);
    return 0;
}
