/* progress.c -- the live line: what happened since the last one (see
 * progress.h). */
#include "progress.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "fmt.h"

#define DASH "\u2013"

struct qvr_progress *qvr_progress_new(void)
{
    struct qvr_progress *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->h = qvr_hist_new();
    if (!p->h) {
        free(p);
        return NULL;
    }
    return p;
}

void qvr_progress_free(struct qvr_progress *p)
{
    if (!p)
        return;
    qvr_hist_free(p->h);
    free(p);
}

void qvr_progress_add(struct qvr_progress *p, const struct qvr_hist *win,
                      uint64_t requests, uint64_t failures, double len_s)
{
    if (!p)
        return;
    if (win && requests) {
        qvr_hist_add(p->h, win);
        double p99 = (double)qvr_hist_value_at(win, 99) / 1000.0;
        if (p99 > p->peak_p99_ms)
            p->peak_p99_ms = p99;
    }
    p->requests += requests;
    p->failures += failures;
    p->len_s += len_s;
}

char *qvr_progress_fmt_ms(double ms, char *buf, unsigned long len)
{
    if (isnan(ms) || ms < 0) {
        snprintf(buf, len, DASH);
        return buf;
    }
    return qvr_fmt_ms(ms, buf, len);
}

char *qvr_progress_line(struct qvr_progress *p,
                        const struct qvr_progress_now *now, char *buf,
                        unsigned long len)
{
    char el[16], tot[16] = "?", p50[16], p99[16], peak[16], kinds[256] = "";
    qvr_duration_fmt((uint64_t)(now->elapsed_s * 1e9), el, sizeof(el));
    if (now->total_s > 0)
        qvr_duration_fmt((uint64_t)(now->total_s * 1e9), tot, sizeof(tot));
    int some = p && p->h->total > 0;
    qvr_progress_fmt_ms(some ? qvr_hist_value_at(p->h, 50) / 1000.0 : NAN, p50,
                        sizeof(p50));
    qvr_progress_fmt_ms(some ? qvr_hist_value_at(p->h, 99) / 1000.0 : NAN, p99,
                        sizeof(p99));
    qvr_progress_fmt_ms(some ? p->peak_p99_ms : NAN, peak, sizeof(peak));
    /* errors since the last line, by kind */
    size_t used = 0;
    for (int k = 1; p && now->fails && k < QVR_FAIL__COUNT; k++) {
        uint64_t d = now->fails[k] - p->fails_seen[k];
        if (!now->keep)
            p->fails_seen[k] = now->fails[k];
        if (!d || used >= sizeof(kinds))
            continue;
        used += (size_t)snprintf(kinds + used, sizeof(kinds) - used,
                                 "%s%s %llu", used ? ", " : "; since last: ",
                                 qvr_fail_kind_name((enum qvr_fail_kind)k),
                                 (unsigned long long)d);
    }
    double rps = p && p->len_s > 0 ? (double)p->requests / p->len_s : 0;
    double er = now->requests
                    ? 100.0 * (double)now->failures / (double)now->requests
                    : 0;
    snprintf(buf, len,
             "[%6s/%s] users %d | %.1f req/s | p50 %s p99 %s peak %s | "
             "requests %llu | errors %llu (%.1f%%%s)",
             el, tot, now->users, rps, p50, p99, peak,
             (unsigned long long)now->requests,
             (unsigned long long)now->failures, er, kinds);
    if (p && !now->keep) {
        qvr_hist_reset(p->h);
        p->requests = p->failures = 0;
        p->len_s = 0;
        p->peak_p99_ms = 0;
    }
    return buf;
}

static void table_row(const char *name, const struct qvr_stat *s,
                      double elapsed_s, FILE *out)
{
    char p50[16], p99[16], mx[16];
    int some = s->requests > 0 && s->resp->total > 0;
    qvr_progress_fmt_ms(some ? qvr_hist_value_at(s->resp, 50) / 1000.0 : NAN,
                        p50, sizeof(p50));
    qvr_progress_fmt_ms(some ? qvr_hist_value_at(s->resp, 99) / 1000.0 : NAN,
                        p99, sizeof(p99));
    qvr_progress_fmt_ms(some ? (double)s->resp->max / 1000.0 : NAN, mx,
                        sizeof(mx));
    if (!some) /* the dash is three bytes: padded here to the column's 9 */
        for (char *c[3] = {p50, p99, mx}, **q = c; q < c + 3; q++)
            snprintf(*q, 16, "        " DASH);
    fprintf(out, "  %-24.24s %9llu %8llu %8.1f %9s %9s %9s\n", name,
            (unsigned long long)s->requests, (unsigned long long)s->failures,
            elapsed_s > 0 ? (double)s->requests / elapsed_s : 0, p50, p99, mx);
}

void qvr_progress_table(const struct qvr_metrics *m, double elapsed_s,
                        int max_names, FILE *out)
{
    fprintf(out, "  %-24s %9s %8s %8s %9s %9s %9s\n", "name", "requests",
            "failures", "req/s", "p50", "p99", "max");
    int n = m->nnames < max_names ? m->nnames : max_names;
    for (int i = 0; i < n; i++)
        table_row(m->names[i]->name, m->names[i], elapsed_s, out);
    if (m->nnames > n)
        fprintf(out, "  ... %d more names\n", m->nnames - n);
    table_row("TOTAL", &m->total, elapsed_s, out);
}
