/* steps.c -- step rows, knee and safe level (see steps.h). */
#include "steps.h"

#include <math.h>
#include <string.h>

#include "fmt.h"

static void note(struct qvr_step_row *r, const char *s)
{
    size_t n = strlen(r->note);
    snprintf(r->note + n, sizeof(r->note) - n, "%s%s", n ? ", " : "", s);
}

/* What the step asked for: users, or a rate. */
static double planned(const struct qvr_step_row *r)
{
    return r->rate > 0 ? r->rate : (double)r->users;
}

int qvr_steps_reference(const struct qvr_step_row *r)
{
    return r->label && (strcmp(r->label, "baseline") == 0 ||
                        strcmp(r->label, "saturation") == 0);
}

void qvr_steps_analyse(struct qvr_step_row *rows, int n,
                       const struct qvr_slo *slo, struct qvr_knee *k)
{
    k->knee = k->prev = k->safe = k->best_slo = -1;
    k->saturated = 0;
    for (int i = 0; i < n; i++) {
        struct qvr_step_row *r = &rows[i];
        r->note[0] = 0;
        r->slo_ok = 1;
        if (slo->p99_ms > 0 && !(r->p99_ms < slo->p99_ms))
            r->slo_ok = 0;
        if (!(r->error_rate < slo->error_rate))
            r->slo_ok = 0;
        if (r->requests == 0)
            r->slo_ok = 0;
        if (slo->ttft_ms > 0 && !(r->streams && r->ttft_slo_ms < slo->ttft_ms))
            r->slo_ok = 0;
        if (slo->tpot_ms > 0 && !(r->streams && r->tpot_slo_ms < slo->tpot_ms))
            r->slo_ok = 0;
        double want = planned(r);
        double got = r->rate > 0 ? r->achieved_rate : r->achieved_users;
        r->under = want > 0 && got < 0.9 * want;
        if (r->under)
            note(r, "under-delivered");
        if (!r->slo_ok)
            note(r, "breaks SLO");
        if (r->refused)
            note(r, "target refusing");
        if (r->slo_ok && !qvr_steps_reference(r) &&
            (k->best_slo < 0 || r->rps > rows[k->best_slo].rps))
            k->best_slo = i;
    }
    /* The knee is looked for on the curve only: a sweep's baseline is one
     * user, its saturation probe a closed loop of max_users, and neither
     * is a rate the next step could be scaled from. */
    int prev = -1;
    for (int i = 0; i < n && k->knee < 0; i++) {
        struct qvr_step_row *r = &rows[i];
        if (qvr_steps_reference(r))
            continue;
        /* An open-model step that could not serve its offered rate (fewer
         * than 90% of the planned starts done: dropped or late) is past
         * the target's capacity, however its throughput compares. */
        int knee = !r->slo_ok || (r->rate > 0 && r->under);
        if (prev >= 0 && !knee && !r->has_vary) {
            const struct qvr_step_row *p = &rows[prev];
            double scale = planned(p) > 0 ? planned(r) / planned(p) : 1;
            double ideal = p->rps * (scale - 1);
            double gain = r->rps - p->rps;
            if (ideal > 0 && gain < 0.10 * ideal)
                knee = 1;
        }
        if (knee) {
            k->knee = i;
            k->prev = prev;
            for (int j = i - 1; j >= 0; j--)
                if (rows[j].slo_ok && !qvr_steps_reference(&rows[j])) {
                    k->safe = j;
                    break;
                }
        }
        prev = i;
    }
    if (k->knee >= 0)
        note(&rows[k->knee], "knee");
    if (k->safe >= 0)
        note(&rows[k->safe], "safe");
    k->saturated = qvr_steps_saturated(rows, n);
}

int qvr_steps_saturated(const struct qvr_step_row *rows, int n)
{
    if (n < 3)
        return 0;
    const struct qvr_step_row *a = &rows[n - 3], *b = &rows[n - 2],
                              *c = &rows[n - 1];
    if (qvr_steps_reference(a) || qvr_steps_reference(b) ||
        qvr_steps_reference(c))
        return 0;
    int flat = b->rps < a->rps * 1.05 && c->rps < b->rps * 1.05;
    int climbing = b->p99_ms > a->p99_ms && c->p99_ms > b->p99_ms;
    return flat && climbing;
}

void qvr_steps_csv(const struct qvr_step_row *rows, int n, const char *vary,
                   struct qvr_buf *b)
{
    int streams = 0; /* token columns only when a step saw streams */
    for (int i = 0; i < n; i++)
        streams |= rows[i].streams > 0;
    qvr_buf_printf(b,
                   "step,users,rate,%s%sduration_s,achieved_users,"
                   "achieved_rate,requests,failures,late,dropped,rps,"
                   "p50_ms,p90_ms,p95_ms,p99_ms,max_ms,error_rate,note%s\n",
                   vary ? vary : "", vary ? "," : "",
                   streams ? ",ttft_p50_ms,ttft_p99_ms,tpot_p50_ms,"
                             "tpot_p99_ms,output_tokens_per_s"
                           : "");
    for (int i = 0; i < n; i++) {
        const struct qvr_step_row *r = &rows[i];
        qvr_buf_printf(b, "%d,%d,%.3f,", r->index, r->users, r->rate);
        if (vary)
            qvr_buf_printf(b, "%g,", r->vary);
        char tail[160];
        snprintf(tail, sizeof(tail), "%s%s%s", r->label ? r->label : "",
                 r->label && r->note[0] ? "; " : "", r->note);
        qvr_buf_printf(
            b,
            "%.3f,%.2f,%.3f,%llu,%llu,%llu,%llu,%.3f,%.3f,%.3f,"
            "%.3f,%.3f,%.3f,%.5f,\"%s\"\n",
            r->duration_s, r->achieved_users, r->achieved_rate,
            (unsigned long long)r->requests, (unsigned long long)r->failures,
            (unsigned long long)r->late, (unsigned long long)r->dropped, r->rps,
            r->p50_ms, r->p90_ms, r->p95_ms, r->p99_ms, r->max_ms,
            r->error_rate, tail);
        if (streams) {
            b->len--; /* the token cells last */
            qvr_buf_printf(b, ",%.3f,%.3f,%.3f,%.3f,%.3f\n", r->ttft_p50_ms,
                           r->ttft_p99_ms, r->tpot_p50_ms, r->tpot_p99_ms,
                           r->duration_s > 0 ? r->out_tokens / r->duration_s
                                             : 0);
        }
    }
}

/* The latency format of every table (base/fmt.c). */
static void fmt_ms(double v, char *buf, size_t len)
{
    qvr_fmt_ms(v, buf, len);
}

/* The steps' token streams, when any step saw them. */
static void print_tokens(const struct qvr_step_row *rows, int n, FILE *out)
{
    int any = 0;
    for (int i = 0; i < n; i++)
        any |= rows[i].streams > 0;
    if (!any)
        return;
    fprintf(out, "\n  %-5s %9s %9s %9s %9s %10s\n", "step", "ttft p50",
            "ttft p99", "tpot p50", "tpot p99", "out tok/s");
    for (int i = 0; i < n; i++) {
        const struct qvr_step_row *r = &rows[i];
        if (!r->streams) {
            fprintf(out, "  %-5d %9s\n", r->index, "no stream");
            continue;
        }
        char v[4][16];
        fmt_ms(r->ttft_p50_ms, v[0], sizeof(v[0]));
        fmt_ms(r->ttft_p99_ms, v[1], sizeof(v[1]));
        fmt_ms(r->tpot_p50_ms, v[2], sizeof(v[2]));
        fmt_ms(r->tpot_p99_ms, v[3], sizeof(v[3]));
        fprintf(out, "  %-5d %9s %9s %9s %9s %10.1f\n", r->index, v[0], v[1],
                v[2], v[3],
                r->duration_s > 0 ? r->out_tokens / r->duration_s : 0);
    }
}

void qvr_steps_print(const struct qvr_step_row *rows, int n, const char *vary,
                     const struct qvr_knee *k, FILE *out)
{
    int open = 0;
    for (int i = 0; i < n; i++)
        open |= rows[i].rate > 0;
    fprintf(out, "\n  %-5s %8s %9s %8s %8s %8s %7s  %s\n",
            vary ? vary : (open ? "rate" : "users"), "achieved", "rps", "p50",
            "p99", "err%", open ? "late" : "", "note");
    for (int i = 0; i < n; i++) {
        const struct qvr_step_row *r = &rows[i];
        char key[24], got[24], p50[16], p99[16], late[24];
        if (vary)
            snprintf(key, sizeof(key), "%g", r->vary);
        else if (r->rate > 0)
            snprintf(key, sizeof(key), "%g", r->rate);
        else
            snprintf(key, sizeof(key), "%d", r->users);
        if (r->rate > 0)
            snprintf(got, sizeof(got), "%.1f/s", r->achieved_rate);
        else
            snprintf(got, sizeof(got), "%.1f", r->achieved_users);
        fmt_ms(r->p50_ms, p50, sizeof(p50));
        fmt_ms(r->p99_ms, p99, sizeof(p99));
        late[0] = 0;
        if (r->rate > 0)
            snprintf(late, sizeof(late), "%llu",
                     (unsigned long long)(r->late + r->dropped));
        fprintf(out, "  %-5s %8s %9.1f %8s %8s %7.1f%% %7s  %s%s%s\n", key, got,
                r->rps, p50, p99, r->error_rate * 100, late,
                r->label ? r->label : "", r->label && r->note[0] ? ", " : "",
                r->note);
    }
    print_tokens(rows, n, out);
    if (k->knee >= 0) {
        const struct qvr_step_row *kn = &rows[k->knee];
        fprintf(out, "\n  knee at step %d", kn->index);
        if (k->safe >= 0)
            fprintf(out,
                    "; safe level: step %d (%s %g, %.1f req/s, p99 "
                    "%.0fms)",
                    rows[k->safe].index,
                    vary ? vary : (rows[k->safe].rate > 0 ? "rate" : "users"),
                    vary ? rows[k->safe].vary
                         : (rows[k->safe].rate > 0
                                ? rows[k->safe].rate
                                : (double)rows[k->safe].users),
                    rows[k->safe].rps, rows[k->safe].p99_ms);
        fprintf(out, "\n");
    }
}
