/* compare.c -- the regression diff of two result directories (see
 * compare.h). Only summary.json is read, with cJSON. */
#include "compare.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hist.h"
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

/* One side of one metric: the value, its 95% confidence interval and
 * whether it can be judged at all. */
struct side {
    double v, lo, hi;
    double n;         /* the requests behind it */
    int ci;           /* an interval was computed */
    int lo_ok, hi_ok; /* that bound is known: a percentile near the max of
                         too few requests has no upper bound (nor, near
                         the min, a lower one) */
};

#define Z95 1.96

/* The run's response-time histogram from summary.json (histogram_us), or
 * NULL (an old summary, or a corrupt one: then no interval). */
static struct qvr_hist *stat_hist(const cJSON *stat)
{
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(stat, "histogram_us");
    struct qvr_hist *out = NULL;
    if (!cJSON_IsString(h) ||
        qvr_hist_decode(h->valuestring, strlen(h->valuestring), &out) < 0)
        return NULL;
    return out;
}

/* Order-statistic bounds of percentile p from n values: ranks nq -+ z
 * sqrt(nq(1-q)) (normal approximation of the binomial count below the
 * percentile), read from the histogram. The percentile can be bounded only
 * when both ranks lie inside 1..n: the P99 of 100 requests is their
 * maximum, and nothing above it says how far the true P99 may be. */
static void pct_side(const struct qvr_hist *h, double p, struct side *sd)
{
    double n = (double)h->total, q = p / 100.0;
    double half = Z95 * sqrt(n * q * (1 - q));
    double rlo = floor(n * q - half), rhi = ceil(n * q + half) + 1;
    sd->n = n;
    sd->ci = 1;
    sd->lo_ok = rlo >= 1;
    sd->hi_ok = rhi <= n;
    if (rlo < 1)
        rlo = 1;
    if (rhi > n)
        rhi = n;
    sd->lo = n > 0 ? qvr_hist_value_at(h, 100.0 * rlo / n) / 1000.0 : NAN;
    sd->hi = n > 0 ? qvr_hist_value_at(h, 100.0 * rhi / n) / 1000.0 : NAN;
}

/* The smallest number of requests whose order statistics bound
 * percentile p (see pct_side): ~600 for P99, ~8 for P50. */
static double min_requests(double p)
{
    double q = p / 100.0;
    for (double n = 2; n < 1e7; n = ceil(n * 1.02)) {
        double half = Z95 * sqrt(n * q * (1 - q));
        if (floor(n * q - half) >= 1 && ceil(n * q + half) + 1 <= n)
            return n;
    }
    return 1e7;
}

/* Every side of metric m in stat (h its histogram or NULL): percentiles
 * get their interval; rps and the error rate are judged on the tolerance
 * alone (a closed model's request count is not a Poisson count, and the
 * error tolerance is absolute by design). */
static void get_side(const cJSON *stat, const struct qvr_hist *h, enum metric m,
                     struct side *sd)
{
    memset(sd, 0, sizeof(*sd));
    sd->v = metric(stat, m);
    sd->n = jnum(stat, "requests", 0);
    if (isnan(sd->v) || sd->n <= 0 || m == M_RPS || m == M_ERR)
        return;
    if (h && h->total)
        pct_side(h, m == M_P50 ? 50 : m == M_P90 ? 90 : 99, sd);
}

/* The change, and whether it is a regression: beyond the tolerance and
 * with the two intervals apart (when both are known). *noise is set when
 * the change passed the tolerance but the intervals overlap, *few when a
 * side has too few requests to bound the percentile. */
static int judge(enum metric m, const struct side *b, const struct side *n,
                 const struct qvr_compare_opts *o, char *chg, size_t len,
                 int *noise, int *few)
{
    *noise = *few = 0;
    if (isnan(b->v) || isnan(n->v)) {
        snprintf(chg, len, "n/a");
        return 0;
    }
    int beyond, worse_dir;
    if (m == M_ERR) {
        double pp = (n->v - b->v) * 100.0;
        snprintf(chg, len, "%+.2fpp", pp);
        beyond = pp > o->error_pp + 1e-9;
        worse_dir = 1;
    } else {
        if (b->v == 0) {
            snprintf(chg, len, n->v == 0 ? "0.0%%" : "new");
            return 0;
        }
        double rel = (n->v - b->v) / b->v;
        snprintf(chg, len, "%+.1f%%", rel * 100.0);
        if (m == M_RPS) {
            beyond = rel < -o->tolerance - 1e-9;
            worse_dir = -1;
        } else if (m == M_P50 || m == M_P99) {
            beyond = rel > o->tolerance + 1e-9;
            worse_dir = 1;
        } else {
            return 0; /* p90: shown, not gated */
        }
    }
    if (!b->ci || !n->ci)
        return beyond; /* rps, errors, or no histogram: the tolerance */
    /* worse is up (latency, errors): new's lower bound above base's upper
     * one; down (rps): new's upper bound below base's lower one. Without
     * those bounds there is no verdict either way. */
    int known = worse_dir > 0 ? n->lo_ok && b->hi_ok : n->hi_ok && b->lo_ok;
    if (!known) {
        *few = 1;
        return 0;
    }
    if (!beyond)
        return 0;
    int apart = worse_dir > 0 ? n->lo > b->hi : n->hi < b->lo;
    if (!apart) {
        *noise = 1;
        return 0;
    }
    return 1;
}

static void fmt_side(enum metric m, const struct side *sd, char *buf,
                     size_t len)
{
    char v[24], lo[24], hi[24];
    fmt_value(m, sd->v, v, sizeof(v));
    if (!sd->ci || isnan(sd->v)) {
        snprintf(buf, len, "%s", v);
        return;
    }
    if (sd->lo_ok)
        fmt_value(m, sd->lo < 0 ? 0 : sd->lo, lo, sizeof(lo));
    else
        snprintf(lo, sizeof(lo), "?");
    if (sd->hi_ok)
        fmt_value(m, sd->hi, hi, sizeof(hi));
    else
        snprintf(hi, sizeof(hi), "?");
    snprintf(buf, len, "%s [%s, %s]", v, lo, hi);
}

static int compare_stat(const char *label, const cJSON *b, const cJSON *n,
                        int gated, const struct qvr_compare_opts *o, FILE *out,
                        char *worst, size_t wlen, int *noisy, int *unjudged)
{
    int bad = 0;
    struct qvr_hist *hb = stat_hist(b), *hn = stat_hist(n);
    fprintf(out, "  %s (requests: base %.0f, new %.0f)\n", label,
            jnum(b, "requests", 0), jnum(n, "requests", 0));
    for (int m = 0; m < M__N; m++) {
        char bv[96], nv[96], chg[32], note[96] = "";
        struct side x, y;
        int noise, few;
        get_side(b, hb, (enum metric)m, &x);
        get_side(n, hn, (enum metric)m, &y);
        fmt_side((enum metric)m, &x, bv, sizeof(bv));
        fmt_side((enum metric)m, &y, nv, sizeof(nv));
        int worse =
            judge((enum metric)m, &x, &y, o, chg, sizeof(chg), &noise, &few) &&
            gated;
        if (worse)
            snprintf(note, sizeof(note), "WORSE");
        else if (few && gated && m != M_P90)
            snprintf(note, sizeof(note),
                     "too few requests to judge %s (needs ~%.0f)",
                     metric_names[m], min_requests(m == M_P50 ? 50 : 99));
        else if (noise && gated)
            snprintf(note, sizeof(note), "within noise (intervals overlap)");
        *noisy += noise && gated;
        *unjudged += few && gated && m != M_P90;
        fprintf(out, "    %-10s %26s %26s %9s  %s\n", metric_names[m], bv, nv,
                chg, note);
        if (worse) {
            size_t l = strlen(worst);
            snprintf(worst + l, wlen - l, "%s%s %s %s", bad || l ? ", " : "",
                     label, metric_names[m], chg);
            bad++;
        }
    }
    qvr_hist_free(hb);
    qvr_hist_free(hn);
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

/* A short description of config.load: "users count=6 duration_s=60". */
static void load_desc(const cJSON *s, char *buf, size_t len)
{
    const cJSON *ld = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(s, "config"), "load");
    const cJSON *sh = cJSON_GetObjectItemCaseSensitive(ld, "shape"), *it;
    size_t used = (size_t)snprintf(buf, len, "%s",
                                   cJSON_IsString(sh) ? sh->valuestring : "?");
    cJSON_ArrayForEach(it, ld)
    {
        if (used >= len || !it->string || it == sh)
            continue;
        if (cJSON_IsNumber(it))
            used += (size_t)snprintf(buf + used, len - used, " %s=%g",
                                     it->string, it->valuedouble);
        else if (cJSON_IsArray(it))
            used += (size_t)snprintf(buf + used, len - used, " %s=[%d]",
                                     it->string, cJSON_GetArraySize(it));
    }
}

/* What makes two runs unlike: a different scenario, target, users or load.
 * Prints one warning line per difference; returns how many. */
static int unlike(const cJSON *b, const cJSON *n, FILE *out)
{
    int k = 0;
    const cJSON *sb = cJSON_GetObjectItemCaseSensitive(b, "scenario");
    const cJSON *sn = cJSON_GetObjectItemCaseSensitive(n, "scenario");
    if (cJSON_IsString(sb) && cJSON_IsString(sn) &&
        strcmp(sb->valuestring, sn->valuestring) != 0)
        k += fprintf(out, "  warning: the scenarios differ: %s vs %s\n",
                     sb->valuestring, sn->valuestring) > 0;
    const cJSON *tb = cJSON_GetObjectItemCaseSensitive(b, "target");
    const cJSON *tn = cJSON_GetObjectItemCaseSensitive(n, "target");
    const cJSON *kb = cJSON_GetObjectItemCaseSensitive(tb, "kind");
    const cJSON *kn = cJSON_GetObjectItemCaseSensitive(tn, "kind");
    const cJSON *ub = cJSON_GetObjectItemCaseSensitive(tb, "url");
    const cJSON *un = cJSON_GetObjectItemCaseSensitive(tn, "url");
    int mock = cJSON_IsString(kb) && strcmp(kb->valuestring, "mock") == 0;
    if (cJSON_IsString(kb) && cJSON_IsString(kn) &&
        strcmp(kb->valuestring, kn->valuestring) != 0)
        k += fprintf(out, "  warning: the targets differ: %s vs %s\n",
                     kb->valuestring, kn->valuestring) > 0;
    else if (!mock && cJSON_IsString(ub) && cJSON_IsString(un) &&
             strcmp(ub->valuestring, un->valuestring) != 0)
        k += fprintf(out, "  warning: the targets differ: %s vs %s\n",
                     ub->valuestring, un->valuestring) > 0;
    double mb = jnum(b, "max_users", NAN), mn = jnum(n, "max_users", NAN);
    if (!isnan(mb) && !isnan(mn) && mb != mn)
        k += fprintf(out, "  warning: the users differ: at most %.0f vs %.0f\n",
                     mb, mn) > 0;
    const cJSON *lb = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(b, "config"), "load");
    const cJSON *ln = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(n, "config"), "load");
    if (lb && ln && !cJSON_Compare(lb, ln, 1)) {
        char db[160], dn[160];
        load_desc(b, db, sizeof(db));
        load_desc(n, dn, sizeof(dn));
        k +=
            fprintf(out, "  warning: the loads differ: %s vs %s\n", db, dn) > 0;
    }
    if (k)
        fprintf(out, "  (a difference in the figures may come from the "
                     "set-up, not the target)\n");
    return k;
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
            "(percentage points) on the error rate; a regression needs the "
            "change beyond it and the 95%% intervals apart\n",
            o->tolerance * 100.0, o->error_pp);
    unlike(b, n, out);
    int noisy = 0, unjudged = 0;
    fprintf(out, "\n    %-10s %26s %26s %9s\n", "metric", "base [95% interval]",
            "new [95% interval]", "change");
    rc = compare_stat("TOTAL", cJSON_GetObjectItemCaseSensitive(b, "totals"),
                      cJSON_GetObjectItemCaseSensitive(n, "totals"), 1, o, out,
                      worst, sizeof(worst), &noisy, &unjudged);
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
        rc += compare_stat(label, it, other, gated, o, out, worst,
                           sizeof(worst), &noisy, &unjudged);
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
        fprintf(out, "\nverdict: no regression beyond the tolerance%s\n",
                noisy || unjudged ? " and the noise" : "");
    if (noisy || unjudged)
        fprintf(out,
                "  (%d change%s beyond the tolerance within the noise, %d "
                "percentile%s with too few requests to judge)\n",
                noisy, noisy == 1 ? "" : "s", unjudged,
                unjudged == 1 ? "" : "s");
    fflush(out);
fail:
    cJSON_Delete(b);
    cJSON_Delete(n);
    return rc;
}
