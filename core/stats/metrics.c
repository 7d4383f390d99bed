/* metrics.c -- named request metrics (see metrics.h). */
#include "metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qvr.h"

static const char *const fail_names[QVR_FAIL__COUNT] = {
    "none",
    "http_4xx",
    "http_5xx",
    "http_other",
    "timeout",
    "refused",
    "reset",
    "dns",
    "tls",
    "too_large",
    "transport",
    "bad_encoding",
    "invalid_json",
    "check",
    "script",
    "stream_cut",
    "stream_error",
    "stream_malformed",
    "first_token_timeout",
};

const char *qvr_fail_kind_name(enum qvr_fail_kind k)
{
    if ((int)k < 0 || k >= QVR_FAIL__COUNT)
        return "unknown";
    return fail_names[k];
}

static void tok_free(struct qvr_tok *t)
{
    if (!t)
        return;
    qvr_hist_free(t->ttft);
    qvr_hist_free(t->itl);
    qvr_hist_free(t->tpot);
    qvr_hist_free(t->ttft_svc);
    qvr_hist_free(t->ttft_win);
    qvr_hist_free(t->itl_win);
    qvr_hist_free(t->tpot_win);
    qvr_hist_free(t->otok_win);
    free(t);
}

struct qvr_tok *qvr_stat_tok(struct qvr_stat *s)
{
    if (s->tok)
        return s->tok;
    struct qvr_tok *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->ttft = qvr_hist_new();
    t->itl = qvr_hist_new();
    t->tpot = qvr_hist_new();
    t->ttft_svc = qvr_hist_new();
    t->ttft_win = qvr_hist_new();
    t->itl_win = qvr_hist_new();
    t->tpot_win = qvr_hist_new();
    t->otok_win = qvr_hist_new();
    if (!t->ttft || !t->itl || !t->tpot || !t->ttft_svc || !t->ttft_win ||
        !t->itl_win || !t->tpot_win || !t->otok_win) {
        tok_free(t);
        return NULL;
    }
    s->tok = t;
    return t;
}

void qvr_stat_gap(struct qvr_stat *s, uint64_t gap_us)
{
    struct qvr_tok *t = qvr_stat_tok(s);
    if (!t)
        return;
    qvr_hist_record(t->itl, gap_us);
    qvr_hist_record(t->itl_win, gap_us);
}

void qvr_metrics_gap(struct qvr_metrics *m, int task, struct qvr_stat *name,
                     uint64_t gap_us)
{
    qvr_stat_gap(&m->total, gap_us);
    if (task >= 0 && task < m->ntasks)
        qvr_stat_gap(&m->tasks[task], gap_us);
    if (name)
        qvr_stat_gap(name, gap_us);
}

/* A streamed answer's figures (its gaps were recorded as they came). */
static void tok_record(struct qvr_stat *st, const struct qvr_sample *s)
{
    struct qvr_tok *t = qvr_stat_tok(st);
    if (!t)
        return;
    t->streams++;
    t->win_streams++;
    t->usage_streams += s->usage ? 1 : 0;
    t->in_tokens += s->in_tokens;
    t->out_tokens += s->out_tokens;
    t->win_out_tokens += s->out_tokens;
    qvr_hist_record(t->otok_win, s->out_tokens);
    if (s->ttft_us) {
        qvr_hist_record(t->ttft, s->ttft_us);
        qvr_hist_record(t->ttft_win, s->ttft_us);
        qvr_hist_record(t->ttft_svc, s->ttft_svc_us);
    }
    if (s->tpot_us) {
        qvr_hist_record(t->tpot, s->tpot_us);
        qvr_hist_record(t->tpot_win, s->tpot_us);
    }
}

static void tok_add(struct qvr_stat *d, const struct qvr_tok *s)
{
    struct qvr_tok *t = qvr_stat_tok(d);
    if (!t)
        return;
    qvr_hist_add(t->ttft, s->ttft);
    qvr_hist_add(t->itl, s->itl);
    qvr_hist_add(t->tpot, s->tpot);
    qvr_hist_add(t->ttft_svc, s->ttft_svc);
    qvr_hist_add(t->ttft_win, s->ttft_win);
    qvr_hist_add(t->itl_win, s->itl_win);
    qvr_hist_add(t->tpot_win, s->tpot_win);
    qvr_hist_add(t->otok_win, s->otok_win);
    t->streams += s->streams;
    t->usage_streams += s->usage_streams;
    t->in_tokens += s->in_tokens;
    t->out_tokens += s->out_tokens;
    t->win_streams += s->win_streams;
    t->win_out_tokens += s->win_out_tokens;
}

static void tok_window_reset(struct qvr_tok *t)
{
    if (!t)
        return;
    qvr_hist_reset(t->ttft_win);
    qvr_hist_reset(t->itl_win);
    qvr_hist_reset(t->tpot_win);
    qvr_hist_reset(t->otok_win);
    t->win_streams = t->win_out_tokens = 0;
}

static void stat_fini(struct qvr_stat *s)
{
    free(s->name);
    tok_free(s->tok);
    qvr_hist_free(s->resp);
    qvr_hist_free(s->service);
    qvr_hist_free(s->ttfb);
    qvr_hist_free(s->win);
    memset(s, 0, sizeof(*s));
}

static int stat_init(struct qvr_stat *s, const char *name)
{
    memset(s, 0, sizeof(*s));
    s->name = strdup(name ? name : "");
    s->resp = qvr_hist_new();
    s->service = qvr_hist_new();
    s->ttfb = qvr_hist_new();
    s->win = qvr_hist_new();
    if (!s->name || !s->resp || !s->service || !s->ttfb || !s->win) {
        stat_fini(s);
        return QVR_ENOMEM;
    }
    return 0;
}

struct qvr_metrics *qvr_metrics_new(int ntasks, const char *const *task_names)
{
    struct qvr_metrics *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    if (stat_init(&m->total, "total") < 0)
        goto fail;
    if (ntasks > 0) {
        m->tasks = calloc((size_t)ntasks, sizeof(*m->tasks));
        if (!m->tasks)
            goto fail;
        for (int i = 0; i < ntasks; i++) {
            if (stat_init(&m->tasks[i], task_names[i]) < 0)
                goto fail;
            m->ntasks = i + 1;
        }
    }
    return m;
fail:
    qvr_metrics_free(m);
    return NULL;
}

void qvr_metrics_free(struct qvr_metrics *m)
{
    if (!m)
        return;
    stat_fini(&m->total);
    for (int i = 0; i < m->ntasks; i++)
        stat_fini(&m->tasks[i]);
    free(m->tasks);
    for (int i = 0; i < m->nnames; i++) {
        stat_fini(m->names[i]);
        free(m->names[i]);
    }
    free(m->names);
    free(m->name_index);
    for (int l = 0; l < 2; l++) {
        for (int i = 0; i < m->nlabels[l]; i++)
            free(m->labels[l][i].label);
        free(m->labels[l]);
    }
    free(m);
}

static uint32_t name_hash(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 16777619u;
    }
    return h;
}

static struct qvr_stat *find_name(const struct qvr_metrics *m, const char *name)
{
    if (!m->index_cap)
        return NULL;
    uint32_t mask = (uint32_t)m->index_cap - 1;
    for (uint32_t j = name_hash(name) & mask;; j = (j + 1) & mask) {
        int v = m->name_index[j];
        if (!v)
            return NULL;
        if (strcmp(m->names[v - 1]->name, name) == 0)
            return m->names[v - 1];
    }
}

/* Puts names[i] into the index, growing it (and rehashing every name)
 * when it would be more than half full. */
static int index_name(struct qvr_metrics *m, int i)
{
    if ((i + 1) * 2 > m->index_cap) {
        int cap = m->index_cap ? m->index_cap * 2 : 16;
        int *n = calloc((size_t)cap, sizeof(*n));
        if (!n)
            return QVR_ENOMEM;
        free(m->name_index);
        m->name_index = n;
        m->index_cap = cap;
        for (int k = 0; k < i; k++)
            if (index_name(m, k) < 0)
                return QVR_ENOMEM;
    }
    uint32_t mask = (uint32_t)m->index_cap - 1;
    uint32_t j = name_hash(m->names[i]->name) & mask;
    while (m->name_index[j])
        j = (j + 1) & mask;
    m->name_index[j] = i + 1;
    return 0;
}

struct qvr_stat *qvr_metrics_name(struct qvr_metrics *m, const char *name)
{
    struct qvr_stat *found = find_name(m, name);
    if (found)
        return found;
    if (m->nnames >= QVR_MAX_NAMES && strcmp(name, QVR_OTHER_NAME) != 0) {
        m->names_capped = 1;
        return qvr_metrics_name(m, QVR_OTHER_NAME);
    }
    if (m->nnames == m->cap_names) {
        int cap = m->cap_names ? m->cap_names * 2 : 8;
        struct qvr_stat **n = realloc(m->names, (size_t)cap * sizeof(*n));
        if (!n)
            return NULL;
        m->names = n;
        m->cap_names = cap;
    }
    struct qvr_stat *s = malloc(sizeof(*s));
    if (!s || stat_init(s, name) < 0) {
        free(s);
        return NULL;
    }
    m->names[m->nnames] = s;
    if (index_name(m, m->nnames) < 0) {
        stat_fini(s);
        free(s);
        return NULL;
    }
    m->nnames++;
    return s;
}

static void stat_record(struct qvr_stat *st, const struct qvr_sample *s)
{
    if (!st->method)
        st->method = s->method;
    st->requests++;
    st->win_requests++;
    st->good += s->good ? 1 : 0;
    switch (s->http_version) {
    case 10:
        st->versions[0]++;
        break;
    case 11:
        st->versions[1]++;
        break;
    case 20:
        st->versions[2]++;
        break;
    case 30:
        st->versions[3]++;
        break;
    default:
        break;
    }
    if (s->fail != QVR_FAIL_NONE) {
        st->failures++;
        st->win_failures++;
        st->fails[s->fail]++;
    }
    qvr_hist_record(st->resp, s->response_us);
    qvr_hist_record(st->win, s->response_us);
    qvr_hist_record(st->service, s->service_us);
    if (s->status > 0)
        qvr_hist_record(st->ttfb, s->ttfb_us);
    st->bytes_in += s->bytes_in;
    st->bytes_out += s->bytes_out;
    if (s->connect_us) {
        st->connect_us_sum += s->connect_us;
        st->connects++;
    }
    if (s->tls_us) {
        st->tls_us_sum += s->tls_us;
        st->tls_handshakes++;
    }
    if (s->status > 0 && s->status < QVR_STATUS_MAX)
        st->status[s->status]++;
    if (s->streamed)
        tok_record(st, s);
}

struct qvr_stat *qvr_stat_new(const char *name)
{
    struct qvr_stat *s = malloc(sizeof(*s));
    if (!s || stat_init(s, name) < 0) {
        free(s);
        return NULL;
    }
    return s;
}

void qvr_stat_free(struct qvr_stat *s)
{
    if (!s)
        return;
    stat_fini(s);
    free(s);
}

void qvr_stat_record(struct qvr_stat *s, const struct qvr_sample *smp)
{
    stat_record(s, smp);
}

void qvr_stat_reset(struct qvr_stat *s)
{
    struct qvr_hist *h[4] = {s->resp, s->service, s->ttfb, s->win};
    char *name = s->name;
    struct qvr_tok *tok = s->tok;
    for (int i = 0; i < 4; i++)
        qvr_hist_reset(h[i]);
    if (tok) {
        struct qvr_hist *th[8] = {tok->ttft,     tok->itl,     tok->tpot,
                                  tok->ttft_win, tok->itl_win, tok->tpot_win,
                                  tok->ttft_svc, tok->otok_win};
        for (int i = 0; i < 8; i++)
            qvr_hist_reset(th[i]);
        memset(tok, 0, sizeof(*tok));
        tok->ttft = th[0];
        tok->itl = th[1];
        tok->tpot = th[2];
        tok->ttft_win = th[3];
        tok->itl_win = th[4];
        tok->tpot_win = th[5];
        tok->ttft_svc = th[6];
        tok->otok_win = th[7];
    }
    memset(s, 0, sizeof(*s));
    s->name = name;
    s->tok = tok;
    s->resp = h[0];
    s->service = h[1];
    s->ttfb = h[2];
    s->win = h[3];
}

void qvr_metrics_record(struct qvr_metrics *m, int task, struct qvr_stat *name,
                        const struct qvr_sample *s)
{
    stat_record(&m->total, s);
    if (task >= 0 && task < m->ntasks)
        stat_record(&m->tasks[task], s);
    if (name)
        stat_record(name, s);
}

void qvr_metrics_check(struct qvr_metrics *m, int task, struct qvr_stat *name,
                       int ok)
{
    struct qvr_stat *st[3] = {&m->total, NULL, name};
    if (task >= 0 && task < m->ntasks)
        st[1] = &m->tasks[task];
    for (int i = 0; i < 3; i++) {
        if (!st[i])
            continue;
        if (ok)
            st[i]->checks_ok++;
        else
            st[i]->checks_fail++;
    }
}

/* The label's entry in list, created (zeroed) on first use; NULL past
 * QVR_MAX_LABELS or on allocation failure (counted as dropped). */
static struct qvr_label *label_entry(struct qvr_metrics *m, int list,
                                     const char *label)
{
    struct qvr_label *v = m->labels[list];
    int n = m->nlabels[list];
    for (int i = 0; i < n; i++)
        if (strcmp(v[i].label, label) == 0)
            return &v[i];
    if (n >= QVR_MAX_LABELS)
        goto dropped;
    if (n == 0 || (n >= 4 && (n & (n - 1)) == 0)) { /* 4, 8, 16, ... */
        v = realloc(v, (size_t)(n ? 2 * n : 4) * sizeof(*v));
        if (!v)
            goto dropped;
        m->labels[list] = v;
    }
    v[n].label = strdup(label);
    if (!v[n].label)
        goto dropped;
    v[n].ok = v[n].fail = 0;
    m->nlabels[list] = n + 1;
    return &v[n];
dropped:
    m->labels_dropped++;
    return NULL;
}

void qvr_metrics_label(struct qvr_metrics *m, int list, const char *label,
                       int ok)
{
    struct qvr_label *e = label_entry(m, list, label);
    if (!e)
        return;
    if (ok)
        e->ok++;
    else
        e->fail++;
}

int qvr_metrics_errmsg_same(const char *a, const char *b)
{
    while (*a && *b) {
        int da = *a >= '0' && *a <= '9', db = *b >= '0' && *b <= '9';
        if (da != db)
            return 0;
        if (da) {
            while (*a >= '0' && *a <= '9')
                a++;
            while (*b >= '0' && *b <= '9')
                b++;
            continue;
        }
        if (*a++ != *b++)
            return 0;
    }
    return *a == *b;
}

void qvr_metrics_errmsg(struct qvr_metrics *m, enum qvr_fail_kind kind,
                        const char *text, const char *where, uint64_t count)
{
    if ((int)kind <= 0 || kind >= QVR_FAIL__COUNT || !text || !count)
        return;
    struct qvr_errmsg *e = m->errmsgs[kind];
    char cut[QVR_ERRMSG_LEN];
    snprintf(cut, sizeof(cut), "%s", text);
    for (int i = 0; i < QVR_ERRMSG_KEEP; i++) {
        if (!e[i].text[0]) {
            snprintf(e[i].text, sizeof(e[i].text), "%s", cut);
            snprintf(e[i].where, sizeof(e[i].where), "%s", where ? where : "");
            e[i].count = count;
            return;
        }
        if (qvr_metrics_errmsg_same(e[i].text, cut)) {
            e[i].count += count;
            return;
        }
    }
    m->errmsg_other[kind] += count;
}

const struct qvr_errmsg *qvr_metrics_errmsg_top(const struct qvr_metrics *m,
                                                enum qvr_fail_kind kind)
{
    const struct qvr_errmsg *top = NULL;
    if ((int)kind <= 0 || kind >= QVR_FAIL__COUNT)
        return NULL;
    for (int i = 0; i < QVR_ERRMSG_KEEP; i++)
        if (m->errmsgs[kind][i].text[0] &&
            (!top || m->errmsgs[kind][i].count > top->count))
            top = &m->errmsgs[kind][i];
    return top;
}

static void stat_window_reset(struct qvr_stat *s)
{
    qvr_hist_reset(s->win);
    s->win_requests = 0;
    s->win_failures = 0;
    tok_window_reset(s->tok);
}

void qvr_metrics_window_reset(struct qvr_metrics *m)
{
    stat_window_reset(&m->total);
    for (int i = 0; i < m->ntasks; i++)
        stat_window_reset(&m->tasks[i]);
    for (int i = 0; i < m->nnames; i++)
        stat_window_reset(m->names[i]);
}

static void stat_add(struct qvr_stat *d, const struct qvr_stat *s)
{
    if (!d->method)
        d->method = s->method;
    qvr_hist_add(d->resp, s->resp);
    qvr_hist_add(d->service, s->service);
    qvr_hist_add(d->ttfb, s->ttfb);
    qvr_hist_add(d->win, s->win);
    d->requests += s->requests;
    d->failures += s->failures;
    for (int k = 0; k < QVR_FAIL__COUNT; k++)
        d->fails[k] += s->fails[k];
    d->bytes_in += s->bytes_in;
    d->bytes_out += s->bytes_out;
    d->connect_us_sum += s->connect_us_sum;
    d->connects += s->connects;
    d->tls_us_sum += s->tls_us_sum;
    d->tls_handshakes += s->tls_handshakes;
    d->checks_ok += s->checks_ok;
    d->checks_fail += s->checks_fail;
    d->good += s->good;
    for (int v = 0; v < 4; v++)
        d->versions[v] += s->versions[v];
    d->win_requests += s->win_requests;
    d->win_failures += s->win_failures;
    for (int c = 0; c < QVR_STATUS_MAX; c++)
        d->status[c] += s->status[c];
    if (s->tok)
        tok_add(d, s->tok);
}

int qvr_metrics_add(struct qvr_metrics *dst, const struct qvr_metrics *src)
{
    if (dst->ntasks != src->ntasks)
        return QVR_EINVAL;
    stat_add(&dst->total, &src->total);
    for (int i = 0; i < src->ntasks; i++)
        stat_add(&dst->tasks[i], &src->tasks[i]);
    for (int i = 0; i < src->nnames; i++) {
        struct qvr_stat *d = qvr_metrics_name(dst, src->names[i]->name);
        if (!d)
            return QVR_ENOMEM;
        stat_add(d, src->names[i]);
    }
    for (int l = 0; l < 2; l++) {
        for (int i = 0; i < src->nlabels[l]; i++) {
            const struct qvr_label *x = &src->labels[l][i];
            struct qvr_label *e = label_entry(dst, l, x->label);
            if (e) {
                e->ok += x->ok;
                e->fail += x->fail;
            }
        }
    }
    dst->labels_dropped += src->labels_dropped;
    for (int k = 1; k < QVR_FAIL__COUNT; k++) {
        for (int i = 0; i < QVR_ERRMSG_KEEP; i++) {
            const struct qvr_errmsg *e = &src->errmsgs[k][i];
            if (e->text[0])
                qvr_metrics_errmsg(dst, (enum qvr_fail_kind)k, e->text,
                                   e->where, e->count);
        }
        dst->errmsg_other[k] += src->errmsg_other[k];
    }
    dst->names_capped |= src->names_capped;
    dst->script_errors += src->script_errors;
    dst->iterations += src->iterations;
    return 0;
}

struct qvr_stat *qvr_metrics_find(struct qvr_metrics *m, const char *key,
                                  const char *value)
{
    if (!key)
        return &m->total;
    if (strcmp(key, "task") == 0) {
        for (int i = 0; i < m->ntasks; i++)
            if (strcmp(m->tasks[i].name, value) == 0)
                return &m->tasks[i];
        return NULL;
    }
    if (strcmp(key, "name") == 0)
        return find_name(m, value);
    return NULL;
}
