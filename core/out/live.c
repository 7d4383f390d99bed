/* live.c -- the dashboard's state of a run (see live.h). */
#include "live.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "hist.h"
#include "redact.h"

static cJSON *jnum(double v)
{
    return isfinite(v) ? cJSON_CreateNumber(round(v * 1000) / 1000)
                       : cJSON_CreateNull();
}

static double pct_ms(const struct qvr_hist *h, double p)
{
    if (!h || !h->total)
        return NAN;
    return (double)qvr_hist_value_at(h, p) / 1000.0;
}

/* A string through the process's redaction (the secrets learned so far),
 * as summary.json writes labels: the page never shows more than it. */
static cJSON *redacted(const char *text)
{
    char *tofree;
    const char *s = qvr_redact_str(NULL, text, &tofree);
    cJSON *j = cJSON_CreateString(s);
    free(tofree);
    return j;
}

static cJSON *stat_row(const struct qvr_stat *s, double elapsed_s)
{
    cJSON *r = cJSON_CreateArray();
    cJSON_AddItemToArray(r, redacted(s->name ? s->name : "TOTAL"));
    cJSON_AddItemToArray(r, cJSON_CreateNumber((double)s->requests));
    cJSON_AddItemToArray(r, cJSON_CreateNumber((double)s->failures));
    cJSON_AddItemToArray(
        r, jnum(elapsed_s > 0 ? (double)s->requests / elapsed_s : NAN));
    cJSON_AddItemToArray(r, jnum(pct_ms(s->resp, 50)));
    cJSON_AddItemToArray(r, jnum(pct_ms(s->resp, 90)));
    cJSON_AddItemToArray(r, jnum(pct_ms(s->resp, 99)));
    cJSON_AddItemToArray(
        r,
        jnum(s->resp && s->resp->total ? (double)s->resp->max / 1000.0 : NAN));
    return r;
}

static int by_requests(const void *a, const void *b)
{
    const struct qvr_stat *x = *(const struct qvr_stat *const *)a;
    const struct qvr_stat *y = *(const struct qvr_stat *const *)b;
    return x->requests < y->requests ? 1 : x->requests > y->requests ? -1 : 0;
}

/* The busiest QVR_LIVE_MAX_NAMES names, busiest first. */
static cJSON *name_rows(const struct qvr_metrics *m, double elapsed_s)
{
    cJSON *a = cJSON_CreateArray();
    int n = m->nnames;
    const struct qvr_stat **v = n ? malloc((size_t)n * sizeof(*v)) : NULL;
    if (!v)
        return a;
    for (int i = 0; i < n; i++)
        v[i] = m->names[i];
    qsort(v, (size_t)n, sizeof(*v), by_requests);
    for (int i = 0; i < n && i < QVR_LIVE_MAX_NAMES; i++)
        cJSON_AddItemToArray(a, stat_row(v[i], elapsed_s));
    free(v);
    return a;
}

static const double dist_pcts[] = {0,    25,   50,    75,    90,     95,    99,
                                   99.5, 99.9, 99.95, 99.99, 99.995, 99.999};

static cJSON *distribution(const struct qvr_hist *h)
{
    cJSON *a = cJSON_CreateArray();
    if (!h || !h->total)
        return a;
    for (size_t i = 0; i < sizeof(dist_pcts) / sizeof(dist_pcts[0]); i++) {
        cJSON *p = cJSON_CreateArray();
        cJSON_AddItemToArray(p, cJSON_CreateNumber(dist_pcts[i]));
        cJSON_AddItemToArray(p, jnum(pct_ms(h, dist_pcts[i])));
        cJSON_AddItemToArray(a, p);
    }
    return a;
}

static void add_metrics(cJSON *st, const struct qvr_live *in)
{
    const struct qvr_metrics *m = in->m;
    const struct qvr_stat *t = &m->total;
    cJSON_AddItemToObject(st, "requests", cJSON_CreateNumber(t->requests));
    cJSON_AddItemToObject(st, "failures", cJSON_CreateNumber(t->failures));
    cJSON_AddItemToObject(
        st, "error_rate",
        jnum(t->requests ? (double)t->failures / t->requests : NAN));
    cJSON_AddItemToObject(
        st, "rps", jnum(in->elapsed_s > 0 ? t->requests / in->elapsed_s : NAN));
    cJSON_AddItemToObject(st, "total", stat_row(t, in->elapsed_s));
    cJSON_AddItemToObject(st, "names", name_rows(m, in->elapsed_s));
    cJSON_AddNumberToObject(st, "names_total", m->nnames);
    cJSON *tasks = cJSON_AddArrayToObject(st, "tasks");
    for (int i = 0; i < m->ntasks; i++)
        if (m->tasks[i].requests)
            cJSON_AddItemToArray(tasks, stat_row(&m->tasks[i], in->elapsed_s));
    cJSON *errs = cJSON_AddArrayToObject(st, "errors");
    for (int k = 1; k < QVR_FAIL__COUNT; k++) {
        if (!t->fails[k])
            continue;
        cJSON *row = cJSON_CreateArray();
        cJSON_AddItemToArray(
            row, cJSON_CreateString(qvr_fail_kind_name((enum qvr_fail_kind)k)));
        cJSON_AddItemToArray(row, cJSON_CreateNumber((double)t->fails[k]));
        cJSON_AddItemToArray(errs, row);
    }
    cJSON *te = cJSON_AddArrayToObject(st, "task_errors");
    for (int i = m->nlabels[1] - 1, n = 0; i >= 0 && n < 10; i--, n++) {
        cJSON *row = cJSON_CreateArray();
        cJSON_AddItemToArray(row, redacted(m->labels[1][i].label));
        cJSON_AddItemToArray(row,
                             cJSON_CreateNumber((double)m->labels[1][i].fail));
        cJSON_AddItemToArray(te, row);
    }
    cJSON_AddItemToObject(st, "distribution", distribution(t->resp));
}

static cJSON *strings(const char *const *v, int n)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < n; i++)
        cJSON_AddItemToArray(a, redacted(v[i]));
    return a;
}

char *qvr_live_state(const struct qvr_live *in)
{
    cJSON *st = cJSON_CreateObject();
    if (!st)
        return NULL;
    cJSON_AddStringToObject(st, "mode", in->mode);
    cJSON_AddStringToObject(st, "scenario", in->scenario ? in->scenario : "");
    cJSON_AddStringToObject(st, "target", in->target ? in->target : "");
    cJSON_AddStringToObject(st, "phase", in->phase);
    if (in->step[0])
        cJSON_AddStringToObject(st, "step", in->step);
    cJSON_AddItemToObject(st, "elapsed_s", jnum(in->elapsed_s));
    cJSON_AddItemToObject(st, "planned_s", jnum(in->planned_s));
    cJSON_AddItemToObject(st, "window_s", jnum(in->window_s));
    cJSON_AddNumberToObject(st, "users", in->users);
    cJSON_AddNumberToObject(st, "max_users", in->max_users);
    cJSON_AddBoolToObject(st, "open", in->open);
    if (in->open) {
        cJSON_AddItemToObject(st, "intended_rps", jnum(in->intended_rps));
        cJSON_AddItemToObject(st, "achieved_rps", jnum(in->achieved_rps));
        cJSON_AddNumberToObject(st, "late", (double)in->late);
        cJSON_AddNumberToObject(st, "dropped", (double)in->dropped);
    }
    if (in->m)
        add_metrics(st, in);
    cJSON *th = cJSON_AddArrayToObject(st, "thresholds");
    for (int i = 0; i < in->nthresh; i++) {
        const struct qvr_live_thresh *t = &in->thresh[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "expr", t->expr);
        cJSON_AddStringToObject(o, "measured", t->measured);
        cJSON_AddStringToObject(o, "state", t->state);
        if (t->why && t->why[0])
            cJSON_AddStringToObject(o, "why", t->why);
        cJSON_AddItemToArray(th, o);
    }
    cJSON_AddItemToObject(st, "findings", strings(in->findings, in->nfindings));
    if (in->nalerts)
        cJSON_AddItemToObject(st, "alerts", strings(in->alerts, in->nalerts));
    if (in->last_error)
        cJSON_AddStringToObject(st, "last_error", in->last_error);
    cJSON *steps = cJSON_AddArrayToObject(st, "steps");
    for (int i = 0; i < in->nsteps; i++) {
        const struct qvr_step_row *s = &in->steps[i];
        double x = s->has_vary ? s->vary : s->rate > 0 ? s->rate : s->users;
        cJSON *row = cJSON_CreateArray();
        cJSON_AddItemToArray(row, jnum(x));
        cJSON_AddItemToArray(row, jnum(s->rps));
        cJSON_AddItemToArray(row, jnum(s->p99_ms));
        cJSON_AddItemToArray(row, jnum(s->error_rate));
        cJSON_AddItemToArray(
            row, cJSON_CreateNumber(strstr(s->note, "knee") != NULL));
        cJSON_AddItemToArray(steps, row);
    }
    if (in->steps_x)
        cJSON_AddStringToObject(st, "steps_x", in->steps_x);
    cJSON *ch = cJSON_AddArrayToObject(st, "changes");
    for (int i = 0; i < in->nchanges; i++) {
        const struct qvr_load_change *c = &in->changes[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToObject(o, "time_s", jnum(c->time_s));
        if (c->users >= 0)
            cJSON_AddNumberToObject(o, "users", c->users);
        else
            cJSON_AddItemToObject(o, "rps", jnum(c->rps));
        cJSON_AddStringToObject(o, "source", c->source);
        cJSON_AddItemToArray(ch, o);
    }
    if (in->collect_columns && *in->collect_columns)
        qvr_live_cells(cJSON_AddArrayToObject(st, "collect"),
                       in->collect_columns, 1);
    cJSON *ctl = cJSON_AddObjectToObject(st, "controls");
    cJSON_AddBoolToObject(ctl, "stop", in->can_stop);
    cJSON_AddBoolToObject(ctl, "users", in->can_users);
    cJSON_AddBoolToObject(ctl, "rate", in->can_rate);
    char *s = cJSON_PrintUnformatted(st);
    cJSON_Delete(st);
    return s;
}

void qvr_live_cells(cJSON *a, const char *cells, int names)
{
    for (const char *p = cells; p && *p == ',';) {
        p++;
        size_t n = strcspn(p, ",\n");
        char cell[128];
        snprintf(cell, sizeof(cell), "%.*s", (int)(n < 127 ? n : 127), p);
        if (names) {
            cJSON_AddItemToArray(a, cJSON_CreateString(cell));
        } else {
            char *end;
            double v = strtod(cell, &end);
            cJSON_AddItemToArray(a, end != cell && !*end ? jnum(v)
                                                         : cJSON_CreateNull());
        }
        p += n;
    }
}

char *qvr_live_window(const struct qvr_window_row *w, const char *collect_row)
{
    cJSON *r = cJSON_CreateArray();
    if (!r)
        return NULL;
    double len = w->len_s > 0 ? w->len_s : 1;
    double v[6] = {w->t_s,    w->p50_ms, w->p90_ms,
                   w->p99_ms, w->rps,    (double)w->failures / len};
    for (int i = 0; i < 6; i++)
        cJSON_AddItemToArray(r, jnum(v[i]));
    cJSON_AddItemToArray(r, cJSON_CreateNumber(w->users));
    if (collect_row) {
        cJSON *c = cJSON_CreateArray();
        qvr_live_cells(c, collect_row, 0);
        cJSON_AddItemToArray(r, c);
    }
    char *s = cJSON_PrintUnformatted(r);
    cJSON_Delete(r);
    return s;
}
