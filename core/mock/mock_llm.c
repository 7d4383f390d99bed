/* mock_llm.c -- the simulated LLM serving engine (continuous batching on
 * one GPU) and the OpenAI/Ollama request parser. Pure: no I/O, no clock,
 * every time comes from the caller, so tests/unit/test_mock_llm.c checks
 * the arithmetic with a manual clock.
 *
 * The batching model, one engine step at a time (vLLM V1's scheduler in
 * miniature):
 *
 *   at a step's start, admit waiting sequences (FIFO) while fewer than
 *   max_seqs run and their prompt + output tokens fit in the KV cache;
 *   every running sequence past its prefill decodes one token; the rest
 *   of the step's token budget (step_tokens - decodes) goes to prompt
 *   chunks, oldest first;
 *
 *   step = step_ns + seq_ns x decodes + ctx_ns x (their context tokens)
 *          + prefill_ns x (prompt tokens in the step), x jitter
 *
 *   at its end, each decoding sequence emits a token, and a sequence whose
 *   last prompt chunk was in the step emits its first token.
 *
 * Fixed mode (--ttft/--itl) drops the batching: an admitted sequence emits
 * its first token ttft_ns after admission and then one every itl_ns; only
 * the max_seqs and KV limits (and so the queueing) remain. Its sequences
 * sit in a binary heap by next token time. */
#include "mock_llm.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "clock.h"
#include "mock.h"
#include "qvr.h"

enum seq_state { SEQ_WAITING = 0, SEQ_RUNNING };

struct qvr_mock_llm_seq {
    void *user;
    uint64_t id;           /* submission order, the heap's tie-break */
    uint64_t prompt;       /* prompt tokens */
    uint64_t out;          /* output tokens; 0 = prefill only */
    uint64_t prefill_left; /* prompt tokens not yet prefilled */
    uint64_t generated;    /* output tokens emitted */
    uint64_t kv;           /* KV tokens reserved while running */
    uint64_t next_ns;      /* fixed mode: when the next token is due */
    uint64_t take;         /* prompt tokens in the current step */
    int decoding;          /* decodes a token in the current step */
    int endless;           /* never ends */
    int done;              /* emitted its last token, or stopped */
    enum seq_state state;
    int pos;                              /* index in run[] */
    struct qvr_mock_llm_seq *prev, *next; /* waiting list */
};

struct qvr_mock_llm {
    struct qvr_mock_llm_config c;
    struct qvr_mock_llm_seq **run; /* running: admission order or heap */
    int nrun;
    struct qvr_mock_llm_seq *whead, *wtail; /* waiting, FIFO */
    int nwait;
    uint64_t kv_used;
    uint64_t ids;
    int busy;          /* batch mode: a step is under way */
    uint64_t step_end; /* its end */
    int pending;       /* idle, but a step starts at pending_ns */
    uint64_t pending_ns;
    uint64_t rng; /* splitmix64 state of the jitter */
    uint64_t tokens, prefilled, steps, last_step_ns;
};

void qvr_mock_llm_config_init(struct qvr_mock_llm_config *c)
{
    memset(c, 0, sizeof(*c));
    c->step_ns = 6 * QVR_NS_PER_MS;
    c->seq_ns = 25000;
    c->ctx_ns = 40.0;
    c->prefill_ns = 30000.0;
    c->max_seqs = 1024;
    c->kv_tokens = 400000;
    c->step_tokens = 8192;
    c->max_waiting = 65536;
    c->jitter_sigma = 0.02;
    c->seed = 1;
}

/* ---- randomness --------------------------------------------------------- */

static uint64_t rng_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double rng_unit(uint64_t *state)
{
    return (double)(rng_next(state) >> 11) * 0x1.0p-53;
}

static double rng_normal(uint64_t *state)
{
    double u1 = 1.0 - rng_unit(state), u2 = rng_unit(state);

    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

/* ---- life cycle --------------------------------------------------------- */

struct qvr_mock_llm *qvr_mock_llm_new(const struct qvr_mock_llm_config *c)
{
    struct qvr_mock_llm *e;

    if (c->max_seqs < 1 || c->step_tokens < 1 || c->kv_tokens == 0 ||
        c->max_waiting < 0)
        return NULL;
    e = calloc(1, sizeof(*e));
    if (e == NULL)
        return NULL;
    e->c = *c;
    e->rng = c->seed;
    e->run = calloc((size_t)c->max_seqs, sizeof(*e->run));
    if (e->run == NULL) {
        free(e);
        return NULL;
    }
    return e;
}

void qvr_mock_llm_free(struct qvr_mock_llm *e)
{
    struct qvr_mock_llm_seq *s, *next;
    int i;

    if (e == NULL)
        return;
    for (i = 0; i < e->nrun; i++)
        free(e->run[i]);
    for (s = e->whead; s != NULL; s = next) {
        next = s->next;
        free(s);
    }
    free(e->run);
    free(e);
}

int qvr_mock_llm_fits(const struct qvr_mock_llm *e, uint64_t prompt,
                      uint64_t out)
{
    return prompt + out <= e->c.kv_tokens;
}

void qvr_mock_llm_stats(const struct qvr_mock_llm *e,
                        struct qvr_mock_llm_stats *st)
{
    st->running = e->nrun;
    st->waiting = e->nwait;
    st->kv_used = e->kv_used;
    st->tokens = e->tokens;
    st->prefilled = e->prefilled;
    st->steps = e->steps;
    st->last_step_ns = e->last_step_ns;
}

/* ---- the fixed mode's heap ---------------------------------------------- */

static int heap_less(const struct qvr_mock_llm_seq *a,
                     const struct qvr_mock_llm_seq *b)
{
    return a->next_ns < b->next_ns ||
           (a->next_ns == b->next_ns && a->id < b->id);
}

static void heap_set(struct qvr_mock_llm *e, int i, struct qvr_mock_llm_seq *s)
{
    e->run[i] = s;
    s->pos = i;
}

static void heap_up(struct qvr_mock_llm *e, int i)
{
    struct qvr_mock_llm_seq *s = e->run[i];

    while (i > 0) {
        int p = (i - 1) / 2;

        if (!heap_less(s, e->run[p]))
            break;
        heap_set(e, i, e->run[p]);
        i = p;
    }
    heap_set(e, i, s);
}

static void heap_down(struct qvr_mock_llm *e, int i)
{
    struct qvr_mock_llm_seq *s = e->run[i];

    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        const struct qvr_mock_llm_seq *best = s;

        if (l < e->nrun && heap_less(e->run[l], best)) {
            m = l;
            best = e->run[l];
        }
        if (r < e->nrun && heap_less(e->run[r], best))
            m = r;
        if (m == i)
            break;
        heap_set(e, i, e->run[m]);
        i = m;
    }
    heap_set(e, i, s);
}

/* ---- admission ---------------------------------------------------------- */

static void wait_unlink(struct qvr_mock_llm *e, struct qvr_mock_llm_seq *s)
{
    if (s->prev != NULL)
        s->prev->next = s->next;
    else
        e->whead = s->next;
    if (s->next != NULL)
        s->next->prev = s->prev;
    else
        e->wtail = s->prev;
    s->prev = s->next = NULL;
    e->nwait--;
}

/* Moves waiting sequences to the running set while they fit, at time t
 * (the first token of a fixed-mode sequence is due ttft_ns later). */
static void admit(struct qvr_mock_llm *e, uint64_t t)
{
    while (e->whead != NULL && e->nrun < e->c.max_seqs &&
           e->kv_used + e->whead->kv <= e->c.kv_tokens) {
        struct qvr_mock_llm_seq *s = e->whead;

        wait_unlink(e, s);
        s->state = SEQ_RUNNING;
        e->kv_used += s->kv;
        if (e->c.fixed) {
            s->next_ns = t + e->c.ttft_ns;
            e->nrun++;
            heap_set(e, e->nrun - 1, s);
            heap_up(e, e->nrun - 1);
        } else {
            heap_set(e, e->nrun++, s);
        }
    }
}

/* Batch mode: composes the step that starts at t and sets its end; idle
 * when nothing runs. */
static void step_start(struct qvr_mock_llm *e, uint64_t t)
{
    uint64_t budget = (uint64_t)e->c.step_tokens, ctx = 0, pre = 0;
    uint64_t ndec = 0;
    double ns;
    int i;

    admit(e, t);
    if (e->nrun == 0) {
        e->busy = 0;
        return;
    }
    for (i = 0; i < e->nrun; i++) {
        struct qvr_mock_llm_seq *s = e->run[i];

        s->take = 0;
        s->decoding = s->prefill_left == 0;
        if (s->decoding) {
            ndec++;
            ctx += s->prompt + s->generated;
        }
    }
    budget = ndec >= budget ? 0 : budget - ndec;
    for (i = 0; i < e->nrun && budget > 0; i++) {
        struct qvr_mock_llm_seq *s = e->run[i];

        if (s->prefill_left == 0)
            continue;
        s->take = s->prefill_left < budget ? s->prefill_left : budget;
        budget -= s->take;
        pre += s->take;
    }
    ns = (double)e->c.step_ns + (double)e->c.seq_ns * (double)ndec +
         e->c.ctx_ns * (double)ctx + e->c.prefill_ns * (double)pre;
    if (e->c.jitter_sigma > 0.0)
        ns *= exp(e->c.jitter_sigma * rng_normal(&e->rng));
    if (ns < 1.0)
        ns = 1.0;
    e->last_step_ns = (uint64_t)llround(ns);
    e->step_end = t + e->last_step_ns;
    e->prefilled += pre;
    e->steps++;
    e->busy = 1;
}

/* Batch mode: an idle engine starts its next step at the next advance,
 * at the time of the latest submission before it. Like vLLM's engine
 * loop, which drains its input queue before it schedules, requests that
 * arrive together share the first step. */
static void wake(struct qvr_mock_llm *e, uint64_t now)
{
    if (e->busy || (e->whead == NULL && e->nrun == 0))
        return;
    e->pending = 1;
    e->pending_ns = now;
}

/* Releases s (already out of run[]/the waiting list). */
static void seq_release(struct qvr_mock_llm *e, struct qvr_mock_llm_seq *s)
{
    if (s->state == SEQ_RUNNING)
        e->kv_used -= s->kv;
    free(s);
}

struct qvr_mock_llm_seq *qvr_mock_llm_submit(struct qvr_mock_llm *e,
                                             uint64_t now, uint64_t prompt,
                                             uint64_t out, int endless,
                                             void *user, int *full)
{
    struct qvr_mock_llm_seq *s;

    *full = 0;
    if (e->nwait >= e->c.max_waiting) {
        *full = 1;
        return NULL;
    }
    s = calloc(1, sizeof(*s));
    if (s == NULL)
        return NULL;
    s->user = user;
    s->id = e->ids++;
    s->prompt = prompt;
    s->out = out;
    s->prefill_left = prompt;
    s->kv = prompt + out;
    s->endless = endless && out > 0;
    s->state = SEQ_WAITING;
    s->prev = e->wtail;
    if (e->wtail != NULL)
        e->wtail->next = s;
    else
        e->whead = s;
    e->wtail = s;
    e->nwait++;
    if (e->c.fixed)
        admit(e, now);
    else
        wake(e, now);
    return s;
}

void qvr_mock_llm_cancel(struct qvr_mock_llm *e, struct qvr_mock_llm_seq *s,
                         uint64_t now)
{
    int i;

    if (s->state == SEQ_WAITING) {
        wait_unlink(e, s);
        seq_release(e, s);
        return;
    }
    i = s->pos;
    if (e->c.fixed) {
        struct qvr_mock_llm_seq *last = e->run[--e->nrun];

        if (last != s) {
            heap_set(e, i, last);
            heap_up(e, i);
            heap_down(e, last->pos);
        }
        seq_release(e, s);
        admit(e, now);
        return;
    }
    memmove(&e->run[i], &e->run[i + 1],
            (size_t)(e->nrun - i - 1) * sizeof(*e->run));
    e->nrun--;
    for (; i < e->nrun; i++)
        e->run[i]->pos = i;
    seq_release(e, s);
    wake(e, now);
}

uint64_t qvr_mock_llm_next_ns(const struct qvr_mock_llm *e)
{
    if (e->c.fixed)
        return e->nrun > 0 ? e->run[0]->next_ns : UINT64_MAX;
    if (e->pending)
        return e->pending_ns;
    return e->busy ? e->step_end : UINT64_MAX;
}

/* Batch mode: the step ends at e->step_end; emits its tokens, drops the
 * finished sequences and starts the next step. */
static uint64_t step_end(struct qvr_mock_llm *e, qvr_mock_llm_emit_fn emit,
                         void *arg)
{
    uint64_t t = e->step_end, n = 0;
    int i, k;

    for (i = 0; i < e->nrun; i++) {
        struct qvr_mock_llm_seq *s = e->run[i];
        uint64_t index;
        int last, stop;

        if (s->decoding) {
            index = ++s->generated;
        } else if (s->take > 0) {
            s->prefill_left -= s->take;
            if (s->prefill_left > 0)
                continue;
            index = s->out == 0 ? 0 : ++s->generated;
        } else {
            continue;
        }
        last = s->out == 0 || (!s->endless && s->generated >= s->out);
        if (index > 0) {
            e->tokens++;
            n++;
        }
        stop = emit(s->user, index, t, last, arg);
        if (last || stop)
            s->done = 1; /* dropped below */
    }
    for (i = 0, k = 0; i < e->nrun; i++) {
        struct qvr_mock_llm_seq *s = e->run[i];

        s->decoding = 0;
        s->take = 0;
        if (s->done) {
            seq_release(e, s);
            continue;
        }
        heap_set(e, k++, s);
    }
    e->nrun = k;
    e->busy = 0;
    step_start(e, t);
    return n;
}

/* Fixed mode: emits the heap's top token. */
static uint64_t fixed_next(struct qvr_mock_llm *e, qvr_mock_llm_emit_fn emit,
                           void *arg)
{
    struct qvr_mock_llm_seq *s = e->run[0];
    uint64_t t = s->next_ns, index;
    int last, stop;

    index = s->out == 0 ? 0 : ++s->generated;
    last = s->out == 0 || (!s->endless && s->generated >= s->out);
    if (index > 0)
        e->tokens++;
    if (index <= 1)
        e->prefilled += s->prompt;
    stop = emit(s->user, index, t, last, arg);
    if (last || stop) {
        struct qvr_mock_llm_seq *tail = e->run[--e->nrun];

        if (tail != s) {
            heap_set(e, 0, tail);
            heap_down(e, 0);
        }
        seq_release(e, s);
        admit(e, t);
    } else {
        s->next_ns += e->c.itl_ns;
        heap_down(e, 0);
    }
    return index > 0;
}

uint64_t qvr_mock_llm_advance(struct qvr_mock_llm *e, uint64_t now,
                              qvr_mock_llm_emit_fn emit, void *arg)
{
    uint64_t n = 0;

    for (;;) {
        uint64_t next = qvr_mock_llm_next_ns(e);

        if (next == UINT64_MAX || next > now)
            break;
        if (e->c.fixed) {
            n += fixed_next(e, emit, arg);
        } else if (e->pending) {
            e->pending = 0;
            step_start(e, e->pending_ns);
        } else {
            n += step_end(e, emit, arg);
        }
    }
    return n;
}

/* ---- requests ----------------------------------------------------------- */

#define BOS_TOKENS 1      /* <|begin_of_text|> */
#define MESSAGE_TOKENS 5  /* header start, role, header end, "\n\n", eot */
#define GEN_TOKENS 4      /* the assistant header opened for the answer */
#define IMAGE_TOKENS 576  /* an image part (a 336 px ViT-L/14 tile) */
#define DEFAULT_DIMS 1024 /* embedding size when not asked */

static const char *const roles[] = {"system", "user",      "assistant",
                                    "tool",   "developer", "function"};

static int known_role(const char *r)
{
    size_t i;

    for (i = 0; i < QVR_ARRAY_LEN(roles); i++) {
        if (strcmp(r, roles[i]) == 0)
            return 1;
    }
    return 0;
}

/* A JSON number that is an integer in [lo, hi]. */
static int int_in(const cJSON *j, double lo, double hi, long long *out)
{
    if (!cJSON_IsNumber(j) || !isfinite(j->valuedouble) ||
        j->valuedouble != floor(j->valuedouble) || j->valuedouble < lo ||
        j->valuedouble > hi)
        return 0;
    *out = (long long)j->valuedouble;
    return 1;
}

/* Tokens of one chat message's content: a string, null, or an array of
 * {"type":"text","text":...} and {"type":"image_url","image_url":...}
 * parts. Returns 0 and adds to *tokens, or -1 with err. */
static int content_tokens(const cJSON *c, int i, uint64_t *tokens, char *err,
                          unsigned long errlen)
{
    const cJSON *part;
    int k = 0;

    if (c == NULL || cJSON_IsNull(c))
        return 0;
    if (cJSON_IsString(c)) {
        *tokens += qvr_mock_text_tokens(c->valuestring);
        return 0;
    }
    if (!cJSON_IsArray(c)) {
        snprintf(err, errlen,
                 "messages[%d].content must be a string or an array of "
                 "parts",
                 i);
        return -1;
    }
    cJSON_ArrayForEach(part, c)
    {
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(part, "type");
        const cJSON *v;

        if (!cJSON_IsString(type)) {
            snprintf(err, errlen, "messages[%d].content[%d] needs a type", i,
                     k);
            return -1;
        }
        if (strcmp(type->valuestring, "text") == 0) {
            v = cJSON_GetObjectItemCaseSensitive(part, "text");
            if (!cJSON_IsString(v)) {
                snprintf(err, errlen,
                         "messages[%d].content[%d].text must be a string", i,
                         k);
                return -1;
            }
            *tokens += qvr_mock_text_tokens(v->valuestring);
        } else if (strcmp(type->valuestring, "image_url") == 0) {
            v = cJSON_GetObjectItemCaseSensitive(part, "image_url");
            if (cJSON_IsObject(v))
                v = cJSON_GetObjectItemCaseSensitive(v, "url");
            if (!cJSON_IsString(v) || v->valuestring[0] == '\0') {
                snprintf(err, errlen,
                         "messages[%d].content[%d].image_url needs a url", i,
                         k);
                return -1;
            }
            *tokens += IMAGE_TOKENS;
        } else {
            /* the client's text, cut and kept on one line */
            char shown[33];
            size_t n = 0;
            for (const char *t = type->valuestring; *t && n < 32; t++)
                shown[n++] = (unsigned char)*t < 0x20 || *t == 0x7f ? '?' : *t;
            shown[n] = 0;
            snprintf(err, errlen,
                     "messages[%d].content[%d]: unsupported type '%s'", i, k,
                     shown);
            return -1;
        }
        k++;
    }
    return 0;
}

static int parse_messages(const cJSON *root, uint64_t *tokens, char *err,
                          unsigned long errlen)
{
    const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(root, "messages");
    const cJSON *msg;
    int i = 0;

    if (!cJSON_IsArray(msgs) || cJSON_GetArraySize(msgs) == 0) {
        snprintf(err, errlen, "'messages' must be a non-empty array");
        return -1;
    }
    *tokens = BOS_TOKENS + GEN_TOKENS;
    cJSON_ArrayForEach(msg, msgs)
    {
        const cJSON *role = cJSON_GetObjectItemCaseSensitive(msg, "role");

        if (!cJSON_IsObject(msg) || !cJSON_IsString(role) ||
            !known_role(role->valuestring)) {
            snprintf(err, errlen,
                     "messages[%d] must be an object with a role (system, "
                     "user, assistant, tool)",
                     i);
            return -1;
        }
        *tokens += MESSAGE_TOKENS;
        if (content_tokens(cJSON_GetObjectItemCaseSensitive(msg, "content"), i,
                           tokens, err, errlen) != 0)
            return -1;
        i++;
    }
    return 0;
}

/* An array of token ids: every item an integer >= 0. */
static int token_ids(const cJSON *a)
{
    const cJSON *v;

    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) == 0)
        return 0;
    cJSON_ArrayForEach(v, a)
    {
        long long id;

        if (!int_in(v, 0, 4294967295.0, &id))
            return 0;
    }
    return 1;
}

static uint64_t fnv(const char *s, uint64_t h)
{
    for (; *s != '\0'; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ULL;
    }
    return h;
}

static int parse_prompt(const cJSON *root, uint64_t *tokens, char *err,
                        unsigned long errlen)
{
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(root, "prompt");

    if (cJSON_IsArray(p) && cJSON_GetArraySize(p) == 1 &&
        cJSON_IsString(p->child))
        p = p->child;
    if (cJSON_IsString(p)) {
        *tokens = BOS_TOKENS + qvr_mock_text_tokens(p->valuestring);
        return 0;
    }
    if (token_ids(p)) {
        *tokens = (uint64_t)cJSON_GetArraySize(p);
        return 0;
    }
    snprintf(err, errlen,
             "'prompt' must be a string, an array of one string or an "
             "array of token ids (the mock takes one prompt per request)");
    return -1;
}

static int parse_input(const cJSON *root, struct qvr_mock_llm_req *r, char *err,
                       unsigned long errlen)
{
    const cJSON *in = cJSON_GetObjectItemCaseSensitive(root, "input");
    const cJSON *v;
    long long dims = DEFAULT_DIMS;

    r->input_hash = 0xcbf29ce484222325ULL;
    if (cJSON_IsString(in)) {
        r->inputs = 1;
        r->prompt_tokens = BOS_TOKENS + qvr_mock_text_tokens(in->valuestring);
        r->input_hash = fnv(in->valuestring, r->input_hash);
    } else if (token_ids(in)) {
        r->inputs = 1;
        r->prompt_tokens = (uint64_t)cJSON_GetArraySize(in);
    } else if (cJSON_IsArray(in) && cJSON_GetArraySize(in) > 0) {
        if (cJSON_GetArraySize(in) > QVR_MOCK_LLM_MAX_INPUTS) {
            snprintf(err, errlen, "'input' holds more than %d items",
                     QVR_MOCK_LLM_MAX_INPUTS);
            return -1;
        }
        cJSON_ArrayForEach(v, in)
        {
            if (cJSON_IsString(v)) {
                r->prompt_tokens +=
                    BOS_TOKENS + qvr_mock_text_tokens(v->valuestring);
                r->input_hash = fnv(v->valuestring, r->input_hash);
            } else if (token_ids(v)) {
                r->prompt_tokens += (uint64_t)cJSON_GetArraySize(v);
            } else {
                snprintf(err, errlen,
                         "input[%d] must be a string or an array of token "
                         "ids",
                         r->inputs);
                return -1;
            }
            r->inputs++;
        }
    } else {
        snprintf(err, errlen,
                 "'input' must be a string, an array of strings or of "
                 "token ids");
        return -1;
    }
    v = cJSON_GetObjectItemCaseSensitive(root, "dimensions");
    if (v != NULL && !cJSON_IsNull(v) &&
        !int_in(v, 1, QVR_MOCK_LLM_MAX_DIMS, &dims)) {
        snprintf(err, errlen, "'dimensions' must be an integer in 1..%d",
                 QVR_MOCK_LLM_MAX_DIMS);
        return -1;
    }
    r->dims = (int)dims;
    if ((uint64_t)r->inputs * (uint64_t)r->dims > 1048576) {
        snprintf(err, errlen, "inputs x dimensions above 1048576");
        return -1;
    }
    return 0;
}

/* max_tokens, max_completion_tokens (chat) or options.num_predict
 * (Ollama; negative = no limit). */
static int parse_max_tokens(const cJSON *root, struct qvr_mock_llm_req *r,
                            char *err, unsigned long errlen)
{
    static const char *const keys[] = {"max_completion_tokens", "max_tokens"};
    const cJSON *v;
    long long n;
    size_t i;

    if (r->api == QVR_MOCK_LLM_OLLAMA_CHAT) {
        const cJSON *o = cJSON_GetObjectItemCaseSensitive(root, "options");

        if (o != NULL && !cJSON_IsNull(o) && !cJSON_IsObject(o)) {
            snprintf(err, errlen, "'options' must be an object");
            return -1;
        }
        v = cJSON_GetObjectItemCaseSensitive(o, "num_predict");
        if (v == NULL || cJSON_IsNull(v))
            return 0;
        if (!int_in(v, -2, QVR_MOCK_LLM_MAX_TOKENS, &n) || n == 0) {
            snprintf(err, errlen,
                     "options.num_predict must be an integer in 1..%d or "
                     "negative",
                     QVR_MOCK_LLM_MAX_TOKENS);
            return -1;
        }
        if (n > 0)
            r->max_tokens = (uint64_t)n;
        return 0;
    }
    for (i = 0; i < QVR_ARRAY_LEN(keys); i++) {
        if (i == 0 && r->api != QVR_MOCK_LLM_CHAT)
            continue;
        v = cJSON_GetObjectItemCaseSensitive(root, keys[i]);
        if (v == NULL || cJSON_IsNull(v))
            continue;
        if (!int_in(v, 1, QVR_MOCK_LLM_MAX_TOKENS, &n)) {
            snprintf(err, errlen, "'%s' must be an integer in 1..%d", keys[i],
                     QVR_MOCK_LLM_MAX_TOKENS);
            return -1;
        }
        r->max_tokens = (uint64_t)n;
        return 0;
    }
    return 0;
}

int qvr_mock_llm_req_parse(struct qvr_mock_llm_req *r,
                           enum qvr_mock_llm_api api, const char *body,
                           size_t len, char *err, unsigned long errlen)
{
    cJSON *root = NULL;
    const cJSON *v;
    long long n;
    int ollama = api == QVR_MOCK_LLM_OLLAMA_CHAT;

    memset(r, 0, sizeof(*r));
    r->api = api;
    if (errlen > 0)
        err[0] = '\0';
    root = cJSON_ParseWithLength(body, len);
    if (root == NULL) {
        snprintf(err, errlen, "request body is not valid JSON");
        goto fail;
    }
    if (!cJSON_IsObject(root)) {
        snprintf(err, errlen, "request body must be a JSON object");
        goto fail;
    }
    v = cJSON_GetObjectItemCaseSensitive(root, "model");
    if (cJSON_IsString(v)) {
        snprintf(r->model, sizeof(r->model), "%s", v->valuestring);
    } else if (v != NULL && !cJSON_IsNull(v)) {
        snprintf(err, errlen, "'model' must be a string");
        goto fail;
    }
    if (ollama && r->model[0] == '\0') {
        snprintf(err, errlen, "model is required");
        goto fail;
    }
    r->stream = ollama;
    v = cJSON_GetObjectItemCaseSensitive(root, "stream");
    if (cJSON_IsBool(v)) {
        r->stream = cJSON_IsTrue(v);
    } else if (v != NULL && !cJSON_IsNull(v)) {
        snprintf(err, errlen, "'stream' must be a boolean");
        goto fail;
    }
    if (api == QVR_MOCK_LLM_EMBEDDING && r->stream) {
        snprintf(err, errlen, "embeddings do not stream");
        goto fail;
    }
    v = cJSON_GetObjectItemCaseSensitive(root, "stream_options");
    if (v != NULL && !cJSON_IsNull(v) && !ollama) {
        const cJSON *u;

        if (!r->stream) {
            snprintf(err, errlen,
                     "stream_options can only be given when stream is true");
            goto fail;
        }
        if (!cJSON_IsObject(v)) {
            snprintf(err, errlen, "'stream_options' must be an object");
            goto fail;
        }
        u = cJSON_GetObjectItemCaseSensitive(v, "include_usage");
        if (u != NULL && !cJSON_IsNull(u) && !cJSON_IsBool(u)) {
            snprintf(err, errlen,
                     "stream_options.include_usage must be a boolean");
            goto fail;
        }
        r->include_usage = cJSON_IsTrue(u);
    }
    v = cJSON_GetObjectItemCaseSensitive(root, "n");
    if (v != NULL && !cJSON_IsNull(v) && (!int_in(v, 1, 1, &n))) {
        snprintf(err, errlen, "'n' must be 1 (the mock answers one choice)");
        goto fail;
    }
    switch (api) {
    case QVR_MOCK_LLM_CHAT:
    case QVR_MOCK_LLM_OLLAMA_CHAT:
        if (parse_messages(root, &r->prompt_tokens, err, errlen) != 0)
            goto fail;
        break;
    case QVR_MOCK_LLM_COMPLETION:
        if (parse_prompt(root, &r->prompt_tokens, err, errlen) != 0)
            goto fail;
        break;
    case QVR_MOCK_LLM_EMBEDDING:
        if (parse_input(root, r, err, errlen) != 0)
            goto fail;
        break;
    default:
        snprintf(err, errlen, "unknown API");
        goto fail;
    }
    if (api != QVR_MOCK_LLM_EMBEDDING &&
        parse_max_tokens(root, r, err, errlen) != 0)
        goto fail;
    if (r->prompt_tokens + r->max_tokens > QVR_MOCK_LLM_MAX_TOKENS) {
        snprintf(err, errlen,
                 "the model's maximum context length is %d tokens; the "
                 "request asks for %llu (%llu in the prompt)",
                 QVR_MOCK_LLM_MAX_TOKENS,
                 (unsigned long long)(r->prompt_tokens + r->max_tokens),
                 (unsigned long long)r->prompt_tokens);
        goto fail;
    }
    cJSON_Delete(root);
    return 0;

fail:
    cJSON_Delete(root);
    memset(r, 0, sizeof(*r));
    r->api = api;
    return 400;
}
