/* compare.c -- the regression diff of two result directories (see
 * compare.h). Only summary.json is read, with cJSON. */
#include "compare.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "qvr.h"

enum metric { M_RPS, M_P50, M_P90, M_P99, M_ERR, M__N };

static const char *const metric_names[M__N] = {"rps", "p50", "p90", "p99",
                                               "error rate"};

static int load(const char *dir, cJSON **out, char *err, unsigned long errlen)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/summary.json", dir);
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(e));
        return e == ENOENT ? QVR_ENOTFOUND : QVR_EIO;
    }
    size_t cap = 65536, len = 0;
    char *text = malloc(cap);
    int rc = QVR_ENOMEM;
    while (text) {
        if (len == cap) {
            char *n = realloc(text, cap * 2);
            if (!n)
                break;
            text = n;
            cap *= 2;
        }
        size_t got = fread(text + len, 1, cap - len, f);
        len += got;
        if (got == 0) {
            rc = ferror(f) ? QVR_EIO : 0;
            break;
        }
    }
    fclose(f);
    if (rc < 0) {
        snprintf(err, errlen, "cannot read %s: %s", path, qvr_strerror(rc));
        free(text);
        return rc;
    }
    *out = cJSON_ParseWithLength(text, len);
    free(text);
    const cJSON *tot = cJSON_GetObjectItemCaseSensitive(*out, "totals");
    if (!cJSON_IsObject(*out) || !cJSON_IsObject(tot)) {
        snprintf(err, errlen, "%s: not a qvrrun summary (no \"totals\")", path);
        cJSON_Delete(*out);
        *out = NULL;
        return QVR_EINVAL;
    }
    return 0;
}

static double jnum(const cJSON *o, const char *k, double def)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : def;
}

static double metric(const cJSON *stat, enum metric m)
{
    const cJSON *lat = cJSON_GetObjectItemCaseSensitive(stat, "latency_ms");
    switch (m) {
    case M_RPS:
        return jnum(stat, "rps", NAN);
    case M_P50:
        return jnum(lat, "p50", NAN);
    case M_P90:
        return jnum(lat, "p90", NAN);
    case M_P99:
        return jnum(lat, "p99", NAN);
    default:
        return jnum(stat, "error_rate", NAN);
    }
}

static void fmt_value(enum metric m, double v, char *buf, size_t len)
{
    if (isnan(v))
        snprintf(buf, len, "n/a");
    else if (m == M_RPS)
        snprintf(buf, len, "%.1f/s", v);
    else if (m == M_ERR)
        snprintf(buf, len, "%.2f%%", v * 100.0);
    else if (v >= 1000)
        snprintf(buf, len, "%.3gs", v / 1000.0);
    else if (v >= 100)
        snprintf(buf, len, "%.0fms", v);
    else if (v >= 10)
        snprintf(buf, len, "%.1fms", v);
    else
        snprintf(buf, len, "%.3fms", v);
}

/* The change and whether it is a regression beyond the tolerance. */
static int judge(enum metric m, double b, double n,
                 const struct qvr_compare_opts *o, char *chg, size_t len)
{
    if (isnan(b) || isnan(n)) {
        snprintf(chg, len, "n/a");
        return 0;
    }
    if (m == M_ERR) {
        double pp = (n - b) * 100.0;
        snprintf(chg, len, "%+.2fpp", pp);
        return pp > o->error_pp + 1e-9;
    }
    if (b == 0) {
        snprintf(chg, len, n == 0 ? "0.0%%" : "new");
        return 0;
    }
    double rel = (n - b) / b;
    snprintf(chg, len, "%+.1f%%", rel * 100.0);
    if (m == M_RPS)
        return rel < -o->tolerance - 1e-9;
    if (m == M_P50 || m == M_P99)
        return rel > o->tolerance + 1e-9;
    return 0;
}

static int compare_stat(const char *label, const cJSON *b, const cJSON *n,
                        int gated, const struct qvr_compare_opts *o, FILE *out,
                        char *worst, size_t wlen)
{
    int bad = 0;
    for (int m = 0; m < M__N; m++) {
        char bv[32], nv[32], chg[32];
        double x = metric(b, (enum metric)m), y = metric(n, (enum metric)m);
        fmt_value((enum metric)m, x, bv, sizeof(bv));
        fmt_value((enum metric)m, y, nv, sizeof(nv));
        int worse = judge((enum metric)m, x, y, o, chg, sizeof(chg)) && gated;
        fprintf(out, "  %-24.24s %-10s %12s %12s %9s%s\n", m == 0 ? label : "",
                metric_names[m], bv, nv, chg, worse ? "  WORSE" : "");
        if (worse) {
            size_t l = strlen(worst);
            snprintf(worst + l, wlen - l, "%s%s %s %s", bad || l ? ", " : "",
                     label, metric_names[m], chg);
            bad++;
        }
    }
    return bad;
}

static void describe(FILE *out, const char *tag, const char *dir,
                     const cJSON *s)
{
    const cJSON *sc = cJSON_GetObjectItemCaseSensitive(s, "scenario");
    const cJSON *tot = cJSON_GetObjectItemCaseSensitive(s, "totals");
    fprintf(out, "  %-5s %s (scenario %s, %.0f requests in %.1fs)\n", tag, dir,
            cJSON_IsString(sc) ? sc->valuestring : "?",
            jnum(tot, "requests", 0), jnum(s, "duration_s", 0));
}

int qvr_compare_dirs(const char *base, const char *new_dir,
                     const struct qvr_compare_opts *o, FILE *out, char *err,
                     unsigned long errlen)
{
    cJSON *b = NULL, *n = NULL;
    int rc = load(base, &b, err, errlen);
    if (rc == 0)
        rc = load(new_dir, &n, err, errlen);
    if (rc < 0)
        goto fail;
    char worst[1024] = "";
    fprintf(out, "qvrrun compare\n");
    describe(out, "base:", base, b);
    describe(out, "new:", new_dir, n);
    fprintf(out,
            "  tolerance: %.4g%% on rps, p50 and p99; %.4gpp "
            "(percentage points) on the error rate\n\n",
            o->tolerance * 100.0, o->error_pp);
    fprintf(out, "  %-24s %-10s %12s %12s %9s\n", "name", "metric", "base",
            "new", "change");
    rc = compare_stat("TOTAL", cJSON_GetObjectItemCaseSensitive(b, "totals"),
                      cJSON_GetObjectItemCaseSensitive(n, "totals"), 1, o, out,
                      worst, sizeof(worst));
    const cJSON *bn = cJSON_GetObjectItemCaseSensitive(b, "names");
    const cJSON *nn = cJSON_GetObjectItemCaseSensitive(n, "names");
    const cJSON *it;
    int few = 0;
    cJSON_ArrayForEach(it, bn)
    {
        const cJSON *other = cJSON_GetObjectItemCaseSensitive(nn, it->string);
        if (!cJSON_IsObject(it) || !cJSON_IsObject(other))
            continue;
        int gated = jnum(it, "requests", 0) >= QVR_COMPARE_MIN_REQUESTS &&
                    jnum(other, "requests", 0) >= QVR_COMPARE_MIN_REQUESTS;
        few += !gated;
        char label[64];
        snprintf(label, sizeof(label), "%s%s", it->string, gated ? "" : " *");
        rc +=
            compare_stat(label, it, other, gated, o, out, worst, sizeof(worst));
    }
    if (few)
        fprintf(out,
                "\n  * fewer than %d requests in a run: shown, not "
                "judged\n",
                QVR_COMPARE_MIN_REQUESTS);
    /* Names the runs do not share. */
    for (int side = 0; side < 2; side++) {
        const cJSON *from = side ? nn : bn, *to = side ? bn : nn;
        int first = 1;
        cJSON_ArrayForEach(it, from)
        {
            if (!it->string || cJSON_GetObjectItemCaseSensitive(to, it->string))
                continue;
            fprintf(out, "%s%s",
                    first ? (side ? "\n  only in new: " : "\n  only in base: ")
                          : ", ",
                    it->string);
            first = 0;
        }
        if (!first)
            fputc('\n', out);
    }
    if (rc)
        fprintf(out,
                "\nverdict: NEW is worse than BASE beyond the tolerance "
                "(%d regression%s: %s)\n",
                rc, rc == 1 ? "" : "s", worst);
    else
        fprintf(out, "\nverdict: no regression beyond the tolerance\n");
    fflush(out);
fail:
    cJSON_Delete(b);
    cJSON_Delete(n);
    return rc;
}
