/* test_mock_llm.c -- the mock's LLM serving engine with a manual clock:
 * prefill and decode arithmetic to the nanosecond, a request joining at
 * the next step, chunked prefill, queueing at max_seqs and at the KV
 * capacity, cancel, stop, endless and prefill-only sequences, the fixed
 * mode, determinism of the jitter under --seed, and the request parser's
 * token counts and errors. Every expected time is computed by hand from
 * the formula in docs/mock.md, so a model that adds a term, drops one or
 * starts a step at the wrong moment is off somewhere. Also the LLM flags
 * of `qvrrun mock` and their errors. */
#include "mock_llm.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "mock.h"
#include "qvr.h"
#include "t.h"

#define US 1000ULL
#define MS 1000000ULL

/* One emitted event. */
struct ev {
    int who; /* index of the sequence (its user pointer's target) */
    uint64_t index, t;
    int last;
};

struct rec {
    struct ev ev[512];
    int n;
    int stop_who;     /* stop this one ... */
    uint64_t stop_at; /* ... after this index (0 = never) */
};

static int who_of(void *user)
{
    return *(int *)user;
}

static int on_emit(void *user, uint64_t index, uint64_t t, int last, void *arg)
{
    struct rec *r = arg;

    if (r->n < (int)QVR_ARRAY_LEN(r->ev)) {
        r->ev[r->n].who = who_of(user);
        r->ev[r->n].index = index;
        r->ev[r->n].t = t;
        r->ev[r->n].last = last;
        r->n++;
    }
    return r->stop_at > 0 && who_of(user) == r->stop_who && index >= r->stop_at;
}

/* The time of token index of sequence who, or 0 when not emitted. */
static uint64_t tok(const struct rec *r, int who, uint64_t index)
{
    int i;

    for (i = 0; i < r->n; i++) {
        if (r->ev[i].who == who && r->ev[i].index == index)
            return r->ev[i].t;
    }
    return 0;
}

static int count_of(const struct rec *r, int who)
{
    int i, n = 0;

    for (i = 0; i < r->n; i++)
        n += r->ev[i].who == who;
    return n;
}

static void plain(struct qvr_mock_llm_config *c)
{
    qvr_mock_llm_config_init(c);
    c->jitter_sigma = 0.0;
}

static int ids[8] = {0, 1, 2, 3, 4, 5, 6, 7};

static struct qvr_mock_llm_seq *sub(struct qvr_mock_llm *e, uint64_t now,
                                    uint64_t prompt, uint64_t out, int who)
{
    int full;

    return qvr_mock_llm_submit(e, now, prompt, out, 0, &ids[who], &full);
}

static void test_defaults(void)
{
    struct qvr_mock_llm_config c;

    qvr_mock_llm_config_init(&c);
    T_EQ_INT(c.step_ns, 6 * MS);
    T_EQ_INT(c.seq_ns, 25 * US);
    T_NEAR(c.ctx_ns, 40.0, 0.0);
    T_NEAR(c.prefill_ns, 30000.0, 0.0);
    T_EQ_INT(c.max_seqs, 1024);
    T_EQ_INT(c.kv_tokens, 400000);
    T_EQ_INT(c.step_tokens, 8192);
    T_EQ_INT(c.fixed, 0);
}

/* One sequence: a prefill step, then decode steps whose context grows. */
static void test_single(void)
{
    struct qvr_mock_llm_config c;
    struct qvr_mock_llm *e;
    struct rec r;

    plain(&c);
    e = qvr_mock_llm_new(&c);
    memset(&r, 0, sizeof(r));
    T_CHECK(sub(e, 0, 100, 3, 0) != NULL);
    T_EQ_INT(qvr_mock_llm_next_ns(e), 0); /* a step starts at once */
    T_EQ_INT(qvr_mock_llm_advance(e, 9 * MS - 1, on_emit, &r), 0);
    T_EQ_INT(qvr_mock_llm_next_ns(e), 6 * MS + 100 * 30 * US);
    T_EQ_INT(qvr_mock_llm_advance(e, 100 * MS, on_emit, &r), 3);
    T_EQ_INT(tok(&r, 0, 1), 9 * MS);
    /* decode: 6 ms + 25 us + 40 ns x (100 prompt + 1 generated) */
    T_EQ_INT(tok(&r, 0, 2), 9 * MS + 6 * MS + 25 * US + 4040);
    T_EQ_INT(tok(&r, 0, 3), 9 * MS + 2 * (6 * MS + 25 * US) + 4040 + 4080);
    T_EQ_INT(r.ev[2].last, 1);
    T_EQ_INT(r.ev[1].last, 0);
    T_EQ_INT(qvr_mock_llm_next_ns(e), UINT64_MAX);
    {
        struct qvr_mock_llm_stats st;

        qvr_mock_llm_stats(e, &st);
        T_EQ_INT(st.running, 0);
        T_EQ_INT(st.kv_used, 0);
        T_EQ_INT(st.tokens, 3);
        T_EQ_INT(st.prefilled, 100);
        T_EQ_INT(st.steps, 3);
    }
    qvr_mock_llm_free(e);
}

/* A request that arrives during a step waits for its end, then shares the
 * next step with the running decode. */
static void test_join_next_step(void)
{
    struct qvr_mock_llm_config c;
    struct qvr_mock_llm *e;
    struct rec r;
    uint64_t s2;

    plain(&c);
    e = qvr_mock_llm_new(&c);
    memset(&r, 0, sizeof(r));
    sub(e, 0, 100, 3, 0);
    qvr_mock_llm_advance(e, 1 * MS, on_emit, &r);
    sub(e, 1 * MS, 50, 2, 1);
    T_EQ_INT(qvr_mock_llm_next_ns(e), 9 * MS); /* A's prefill still runs */
    qvr_mock_llm_advance(e, 1000 * MS, on_emit, &r);
    /* step 2 at 9 ms: A decodes (ctx 101), B prefills 50 tokens */
    s2 = 6 * MS + 25 * US + 4040 + 50 * 30 * US;
    T_EQ_INT(tok(&r, 0, 2), 9 * MS + s2);
    T_EQ_INT(tok(&r, 1, 1), 9 * MS + s2);
    /* step 3: both decode, ctx 102 + 51 */
    T_EQ_INT(tok(&r, 1, 2), 9 * MS + s2 + 6 * MS + 50 * US + 40 * 153);
    T_EQ_INT(tok(&r, 0, 3), tok(&r, 1, 2));
    qvr_mock_llm_free(e);
}

/* The decode step grows with the sequences in the batch. */
static void test_batch_growth(void)
{
    struct qvr_mock_llm_config c;
    struct qvr_mock_llm *e;
    struct rec r;
    int i, full;

    plain(&c);
    e = qvr_mock_llm_new(&c);
    memset(&r, 0, sizeof(r));
    for (i = 0; i < 100; i++)
        qvr_mock_llm_submit(e, 0, 0, 2, 0, &ids[i % 8], &full);
    /* no prompt: the first step decodes all 100 at once */
    qvr_mock_llm_advance(e, 0, on_emit, &r);
    T_EQ_INT(qvr_mock_llm_next_ns(e), 6 * MS + 100 * 25 * US);
    qvr_mock_llm_advance(e, 1000 * MS, on_emit, &r);
    T_EQ_INT(r.n, 200);
    /* second step: 100 x (25 us + 40 ns x 1 context token) */
    T_EQ_INT(r.ev[199].t, 2 * (6 * MS + 100 * 25 * US) + 100 * 40);
    qvr_mock_llm_free(e);
}

/* A prompt longer than the step's budget is prefilled in chunks. */
static void test_chunked_prefill(void)
{
    struct qvr_mock_llm_config c;
    struct qvr_mock_llm *e;
    struct rec r;

    plain(&c);
    c.step_tokens = 64;
    e = qvr_mock_llm_new(&c);
    memset(&r, 0, sizeof(r));
    sub(e, 0, 100, 1, 0);
    qvr_mock_llm_advance(e, 1000 * MS, on_emit, &r);
    T_EQ_INT(r.n, 1);
    T_EQ_INT(tok(&r, 0, 1), 2 * 6 * MS + 100 * 30 * US);
    T_EQ_INT(r.ev[0].last, 1);
    qvr_mock_llm_free(e);
}

/* max_seqs = 2: the third waits until the first two are done. The same
 * with room for 2 in the KV cache instead. */
static void test_queue(int by_kv)
{
    struct qvr_mock_llm_config c;
    struct qvr_mock_llm *e;
    struct qvr_mock_llm_stats st;
    struct rec r;
    uint64_t t2, t3;

    plain(&c);
    if (by_kv)
        c.kv_tokens = 25; /* 12 each: two fit */
    else
        c.max_seqs = 2;
    e = qvr_mock_llm_new(&c);
    memset(&r, 0, sizeof(r));
    sub(e, 0, 10, 2, 0);
    sub(e, 0, 10, 2, 1);
    sub(e, 0, 10, 2, 2);
    qvr_mock_llm_advance(e, 0, on_emit, &r);
    qvr_mock_llm_stats(e, &st);
    T_EQ_INT(st.running, 2);
    T_EQ_INT(st.waiting, 1);
    T_EQ_INT(st.kv_used, 24);
    T_EQ_INT(qvr_mock_llm_fits(e, 20, 5), by_kv ? 1 : 1);
    T_EQ_INT(qvr_mock_llm_fits(e, 20, 6), by_kv ? 0 : 1);
    qvr_mock_llm_advance(e, 1000 * MS, on_emit, &r);
    /* step 1: prefill 20; step 2: decode 2 with 11 + 11 context */
    T_EQ_INT(tok(&r, 0, 1), 6 * MS + 20 * 30 * US);
    t2 = 6 * MS + 20 * 30 * US + 6 * MS + 50 * US + 22 * 40;
    T_EQ_INT(tok(&r, 1, 2), t2);
    /* the third is admitted when the step that ended the others ends */
    t3 = t2 + 6 * MS + 10 * 30 * US;
    T_EQ_INT(tok(&r, 2, 1), t3);
    T_EQ_INT(tok(&r, 2, 2), t3 + 6 * MS + 25 * US + 11 * 40);
    qvr_mock_llm_free(e);
}

/* Cancel a running sequence: its KV frees the place of the waiting one,
 * which starts at the end of the step under way. */
static void test_cancel(void)
{
    struct qvr_mock_llm_config c;
    struct qvr_mock_llm *e;
    struct qvr_mock_llm_seq *a, *b;
    struct rec r;
    uint64_t end;

    plain(&c);
    c.max_seqs = 1;
    e = qvr_mock_llm_new(&c);
    memset(&r, 0, sizeof(r));
    a = sub(e, 0, 10, 100, 0);
    b = sub(e, 0, 10, 1, 1);
    T_CHECK(a != NULL && b != NULL);
    qvr_mock_llm_advance(e, 7 * MS, on_emit, &r); /* A's first token */
    T_EQ_INT(count_of(&r, 0), 1);
    end = qvr_mock_llm_next_ns(e);
    qvr_mock_llm_cancel(e, a, 7 * MS);
    T_EQ_INT(qvr_mock_llm_next_ns(e), end);
    qvr_mock_llm_advance(e, 1000 * MS, on_emit, &r);
    T_EQ_INT(count_of(&r, 0), 1);
    T_EQ_INT(tok(&r, 1, 1), end + 6 * MS + 10 * 30 * US);
    /* cancelling a waiting one */
    a = sub(e, 2000 * MS, 10, 5, 0);
    b = sub(e, 2000 * MS, 10, 5, 1);
    qvr_mock_llm_cancel(e, b, 2000 * MS);
    qvr_mock_llm_advance(e, 3000 * MS, on_emit, &r);
    T_EQ_INT(count_of(&r, 1), 1);
    T_EQ_INT(count_of(&r, 0), 6);
    qvr_mock_llm_free(e);
}

/* The callback stops a sequence; an endless one never says last; a
 * prefill-only one gives one event, index 0. */
static void test_stop_endless_prefill(void)
{
    struct qvr_mock_llm_config c;
    struct qvr_mock_llm *e;
    struct rec r;
    int full, i, lasts = 0;

    plain(&c);
    e = qvr_mock_llm_new(&c);
    memset(&r, 0, sizeof(r));
    r.stop_who = 0;
    r.stop_at = 3;
    sub(e, 0, 10, 50, 0);
    qvr_mock_llm_submit(e, 0, 10, 2, 1, &ids[1], &full);
    sub(e, 0, 40, 0, 2);
    qvr_mock_llm_advance(e, 200 * MS, on_emit, &r);
    T_EQ_INT(count_of(&r, 0), 3);
    T_CHECK(count_of(&r, 1) > 10);
    T_EQ_INT(count_of(&r, 2), 1);
    T_EQ_INT(tok(&r, 2, 0), 6 * MS + 60 * 30 * US);
    for (i = 0; i < r.n; i++)
        lasts += r.ev[i].who == 1 && r.ev[i].last;
    T_EQ_INT(lasts, 0);
    qvr_mock_llm_free(e);
}

static void test_waiting_full(void)
{
    struct qvr_mock_llm_config c;
    struct qvr_mock_llm *e;
    int full;

    plain(&c);
    c.max_seqs = 1;
    c.max_waiting = 1;
    e = qvr_mock_llm_new(&c);
    T_CHECK(qvr_mock_llm_submit(e, 0, 1, 1, 0, &ids[0], &full) != NULL);
    qvr_mock_llm_advance(e, 0, on_emit, NULL);
    T_CHECK(qvr_mock_llm_submit(e, 0, 1, 1, 0, &ids[1], &full) != NULL);
    T_CHECK(qvr_mock_llm_submit(e, 0, 1, 1, 0, &ids[2], &full) == NULL);
    T_EQ_INT(full, 1);
    qvr_mock_llm_free(e);
}

/* Fixed mode: ttft then itl from admission, queueing at max_seqs. */
static void test_fixed(void)
{
    struct qvr_mock_llm_config c;
    struct qvr_mock_llm *e;
    struct rec r;

    plain(&c);
    c.fixed = 1;
    c.ttft_ns = 20 * MS;
    c.itl_ns = 5 * MS;
    c.max_seqs = 2;
    e = qvr_mock_llm_new(&c);
    memset(&r, 0, sizeof(r));
    sub(e, 0, 1000, 3, 0);
    sub(e, 1 * MS, 10, 3, 1);
    sub(e, 2 * MS, 10, 3, 2);
    qvr_mock_llm_advance(e, 1000 * MS, on_emit, &r);
    T_EQ_INT(tok(&r, 0, 1), 20 * MS);
    T_EQ_INT(tok(&r, 0, 3), 30 * MS);
    T_EQ_INT(tok(&r, 1, 1), 21 * MS);
    T_EQ_INT(tok(&r, 1, 3), 31 * MS);
    /* the third is admitted when the first ends, at 30 ms */
    T_EQ_INT(tok(&r, 2, 1), 50 * MS);
    T_EQ_INT(tok(&r, 2, 3), 60 * MS);
    T_EQ_INT(r.n, 9);
    /* events come in time order */
    T_CHECK(r.ev[0].t <= r.ev[1].t && r.ev[7].t <= r.ev[8].t);
    qvr_mock_llm_free(e);
}

/* The jitter follows the seed: the same seed gives the same times. */
static void run_jitter(uint64_t seed, uint64_t *times, int n)
{
    struct qvr_mock_llm_config c;
    struct qvr_mock_llm *e;
    struct rec r;
    int i;

    qvr_mock_llm_config_init(&c);
    c.jitter_sigma = 0.1;
    c.seed = seed;
    e = qvr_mock_llm_new(&c);
    memset(&r, 0, sizeof(r));
    sub(e, 0, 100, (uint64_t)n, 0);
    qvr_mock_llm_advance(e, 100000 * MS, on_emit, &r);
    for (i = 0; i < n; i++)
        times[i] = tok(&r, 0, (uint64_t)i + 1);
    qvr_mock_llm_free(e);
}

static void test_seed(void)
{
    uint64_t a[50], b[50], d[50];
    double sum = 0.0;
    int i;

    run_jitter(7, a, 50);
    run_jitter(7, b, 50);
    run_jitter(8, d, 50);
    T_CHECK(memcmp(a, b, sizeof(a)) == 0);
    T_CHECK(memcmp(a, d, sizeof(a)) != 0);
    for (i = 1; i < 50; i++)
        sum += (double)(a[i] - a[i - 1]);
    /* mean decode step near 6.03 ms (lognormal mean x 1.005) */
    T_NEAR(sum / 49.0 / 1e6, 6.03, 0.1);
}

/* ---- the parser --------------------------------------------------------- */

static int parse(enum qvr_mock_llm_api api, const char *body,
                 struct qvr_mock_llm_req *r, char *err)
{
    return qvr_mock_llm_req_parse(r, api, body, strlen(body), err, 200);
}

static void test_parse(void)
{
    struct qvr_mock_llm_req r;
    char err[200];

    T_EQ_INT(parse(QVR_MOCK_LLM_CHAT,
                   "{\"model\":\"m\",\"messages\":[{\"role\":\"user\","
                   "\"content\":\"hello big world\"}],\"max_tokens\":7,"
                   "\"stream\":true,\"stream_options\":{\"include_usage\":"
                   "true}}",
                   &r, err),
             0);
    /* 1 BOS + 4 header + (5 + ceil(1.3 x 3) = 4) */
    T_EQ_INT(r.prompt_tokens, 14);
    T_EQ_INT(r.max_tokens, 7);
    T_EQ_INT(r.stream, 1);
    T_EQ_INT(r.include_usage, 1);
    T_EQ_STR(r.model, "m");
    T_EQ_INT(parse(QVR_MOCK_LLM_CHAT,
                   "{\"messages\":[{\"role\":\"system\",\"content\":\"a\"},"
                   "{\"role\":\"user\",\"content\":[{\"type\":\"text\","
                   "\"text\":\"b c\"},{\"type\":\"image_url\",\"image_url\":"
                   "{\"url\":\"data:image/png;base64,AAAA\"}}]}],"
                   "\"max_completion_tokens\":3}",
                   &r, err),
             0);
    T_EQ_INT(r.prompt_tokens, 5 + 5 + 2 + 5 + 3 + 576);
    T_EQ_INT(r.max_tokens, 3);
    T_EQ_INT(r.stream, 0);
    T_EQ_INT(parse(QVR_MOCK_LLM_COMPLETION, "{\"prompt\":\"one two three\"}",
                   &r, err),
             0);
    T_EQ_INT(r.prompt_tokens, 1 + 4);
    T_EQ_INT(r.max_tokens, 0);
    T_EQ_INT(parse(QVR_MOCK_LLM_COMPLETION, "{\"prompt\":[1,2,3]}", &r, err),
             0);
    T_EQ_INT(r.prompt_tokens, 3);
    T_EQ_INT(parse(QVR_MOCK_LLM_EMBEDDING,
                   "{\"input\":[\"a\",\"b c\"],\"dimensions\":8}", &r, err),
             0);
    T_EQ_INT(r.prompt_tokens, 3 + 4); /* 1 + ceil(1.3), 1 + ceil(2.6) */
    T_EQ_INT(r.inputs, 2);
    T_EQ_INT(r.dims, 8);
    T_EQ_INT(parse(QVR_MOCK_LLM_OLLAMA_CHAT,
                   "{\"model\":\"llama3\",\"messages\":[{\"role\":\"user\","
                   "\"content\":\"hi\"}],\"options\":{\"num_predict\":5}}",
                   &r, err),
             0);
    T_EQ_INT(r.stream, 1);
    T_EQ_INT(r.max_tokens, 5);

    /* errors: one line each */
    {
        static const struct {
            enum qvr_mock_llm_api api;
            const char *body, *why;
        } bad[] = {
            {QVR_MOCK_LLM_CHAT, "not json", "not valid JSON"},
            {QVR_MOCK_LLM_CHAT, "[]", "JSON object"},
            {QVR_MOCK_LLM_CHAT, "{}", "'messages'"},
            {QVR_MOCK_LLM_CHAT, "{\"messages\":[]}", "'messages'"},
            {QVR_MOCK_LLM_CHAT, "{\"messages\":[{\"role\":\"x\"}]}",
             "messages[0]"},
            {QVR_MOCK_LLM_CHAT,
             "{\"messages\":[{\"role\":\"user\",\"content\":5}]}",
             "messages[0].content"},
            {QVR_MOCK_LLM_CHAT,
             "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],"
             "\"max_tokens\":0}",
             "'max_tokens'"},
            {QVR_MOCK_LLM_CHAT,
             "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],"
             "\"max_tokens\":131072}",
             "maximum context length"},
            {QVR_MOCK_LLM_CHAT,
             "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"n\":2}",
             "'n'"},
            {QVR_MOCK_LLM_CHAT,
             "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],"
             "\"stream_options\":{\"include_usage\":true}}",
             "stream_options"},
            {QVR_MOCK_LLM_COMPLETION, "{\"prompt\":[\"a\",\"b\"]}", "'prompt'"},
            {QVR_MOCK_LLM_EMBEDDING, "{\"input\":[1,\"a\"]}", "input[0]"},
            {QVR_MOCK_LLM_EMBEDDING, "{\"input\":\"a\",\"dimensions\":0}",
             "'dimensions'"},
            {QVR_MOCK_LLM_OLLAMA_CHAT,
             "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"}]}",
             "model is required"},
        };
        size_t i;

        for (i = 0; i < QVR_ARRAY_LEN(bad); i++) {
            int rc = parse(bad[i].api, bad[i].body, &r, err);

            T_CHECK_MSG(rc == 400 && strstr(err, bad[i].why) != NULL &&
                            strchr(err, '\n') == NULL,
                        "case %zu: rc %d err '%s'", i, rc, err);
        }
    }
}

/* The LLM flags of `qvrrun mock`, and their one-line errors. */
static int flags(struct qvr_mock_config *c, char *err, int argc, ...)
{
    char *argv[16];
    va_list ap;
    int i;

    va_start(ap, argc);
    for (i = 0; i < argc && i < 16; i++)
        argv[i] = va_arg(ap, char *);
    va_end(ap);
    qvr_mock_config_init(c);
    return qvr_mock_parse_args(c, argc, argv, err, 200);
}

static void test_flags(void)
{
    struct qvr_mock_config c;
    char err[200];

    T_EQ_INT(flags(&c, err, 0), 0);
    T_EQ_INT(c.llm.fixed, 0);
    T_EQ_INT(c.llm.max_seqs, 1024);
    T_EQ_INT(c.answer_tokens, 256);
    T_EQ_STR(c.model, "qvr-mock-llama-3.1-8b");
    T_EQ_INT(flags(&c, err, 2, "--ttft", "20ms"), 0);
    T_EQ_INT(c.llm.fixed, 1);
    T_EQ_INT(c.llm.ttft_ns, 20 * MS);
    T_EQ_INT(c.llm.itl_ns, 20 * MS); /* the other one follows */
    T_EQ_INT(flags(&c, err, 3, "--itl=5ms", "--ttft", "20ms"), 0);
    T_EQ_INT(c.llm.ttft_ns, 20 * MS);
    T_EQ_INT(c.llm.itl_ns, 5 * MS);
    T_NEAR(c.llm.jitter_sigma, 0.0, 0.0);
    T_EQ_INT(flags(&c, err, 8, "--max-seqs", "8", "--kv-tokens", "5000",
                   "--answer-tokens", "40", "--model", "llama3"),
             0);
    T_EQ_INT(c.llm.max_seqs, 8);
    T_EQ_INT(c.llm.kv_tokens, 5000);
    T_EQ_INT(c.answer_tokens, 40);
    T_EQ_STR(c.model, "llama3");
    T_EQ_INT(flags(&c, err, 4, "--stream-cut", "5%", "--stream-huge", "0.5"),
             0);
    T_NEAR(c.cut_rate, 0.05, 1e-12);
    T_NEAR(c.huge_rate, 0.5, 1e-12);
    T_EQ_INT(flags(&c, err, 2, "--profile", "fast"), 0);
    T_EQ_INT(c.llm.max_seqs, 65536);
    T_NEAR(c.llm.jitter_sigma, 0.0, 0.0);

    T_EQ_INT(flags(&c, err, 2, "--itl", "0"), QVR_EINVAL);
    T_CHECK(strstr(err, "--itl") != NULL);
    T_EQ_INT(flags(&c, err, 2, "--stream-cut", "150%"), QVR_EINVAL);
    T_CHECK_MSG(strstr(err, "--stream-cut: bad value '150%'") != NULL &&
                    strstr(err, "fraction") != NULL,
                "%s", err);
    T_EQ_INT(flags(&c, err, 2, "--max-seqs", "0"), QVR_EINVAL);
    T_CHECK(strstr(err, "--max-seqs") != NULL);
    T_EQ_INT(flags(&c, err, 2, "--model", ""), QVR_EINVAL);
    T_EQ_INT(flags(&c, err, 2, "--stream-bogus", "1"), QVR_EINVAL);
    T_CHECK(strstr(err, "unknown flag --stream-bogus") != NULL);
}

int main(void)
{
    test_defaults();
    test_single();
    test_join_next_step();
    test_batch_growth();
    test_chunked_prefill();
    test_queue(0);
    test_queue(1);
    test_cancel();
    test_stop_endless_prefill();
    test_waiting_full();
    test_fixed();
    test_seed();
    test_parse();
    test_flags();
    return T_DONE();
}
