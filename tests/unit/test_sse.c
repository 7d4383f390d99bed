/* test_sse.c -- SSE / NDJSON framing and token extraction, fed in every
 * possible split of each input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sse.h"
#include "t.h"

#define FEED(s, lit, t) qvr_sse_feed((s), (lit), strlen(lit), (t))

struct gaps {
    int n;
    uint64_t sum;
};

static void on_gap(void *ud, uint64_t gap)
{
    struct gaps *g = ud;
    g->n++;
    g->sum += gap;
}

struct want {
    uint64_t events, outputs, malformed, errors, in, out;
    int has_usage, done, finished;
    const char *text;
};

static const char CHAT[] =
    ": keep-alive\r\n"
    "data: "
    "{\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}"
    "\r\n\r\n"
    "data: {\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\r\n\r\n"
    "id: 7\r\n"
    "data: {\"choices\":[{\"delta\":{\"content\":\"lo \"}}]}\r\n\r\n"
    "data:{\"choices\":[{\"delta\":{\"content\":\"world\"},"
    "\"finish_reason\":null}]}\r\n\r\n"
    "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}\r\n\r\n"
    "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":11,"
    "\"completion_tokens\":4}}\r\n\r\n"
    "data: [DONE]\r\n\r\n";

/* multi-line data (joined by a line feed: still one JSON value), CR line
 * ends, an unknown field, a malformed event, an error event */
static const char MIXED[] = "event: message\r"
                            "data: {\"choices\":[{\"text\":\r"
                            "data: \"one\"}]}\r"
                            "retry: 100\r"
                            "\r"
                            "data: not json\r\r"
                            "data: {\"choices\":[{\"text\":\"two\"}]}\r\r"
                            "event: error\r"
                            "data: {\"message\":\"overloaded\"}\r\r"
                            "data: {\"choices\":[{\"text\":\"cut";

static const char OLLAMA[] =
    "{\"message\":{\"role\":\"assistant\",\"content\":\"a\"},\"done\":false}\n"
    "  \n"
    "{\"message\":{\"role\":\"assistant\",\"content\":\"b\"},\"done\":false}\n"
    "{\"response\":\"c\",\"done\":false}\n"
    "{\"done\":true,\"eval_count\":3,\"prompt_eval_count\":9}";

static const char OAERR[] =
    "data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\n\n"
    "data: {\"error\":{\"message\":\"model crashed\",\"code\":500}}\n\n";

static void check(const char *what, enum qvr_sse_mode mode, const char *in,
                  size_t cap, const struct want *w)
{
    size_t n = strlen(in);
    int bad = 0;
    /* every split into two pieces, and one byte at a time (split = n+1) */
    for (size_t split = 0; split <= n + 1; split++) {
        struct qvr_sse s;
        struct qvr_buf text;
        struct gaps g = {0, 0};
        qvr_sse_init(&s);
        if (cap)
            s.cap = cap;
        qvr_buf_init(&text, 1024);
        qvr_sse_begin(&s, mode, on_gap, &g, &text);
        if (split <= n) {
            qvr_sse_feed(&s, in, split, 1000);
            qvr_sse_feed(&s, in + split, n - split, 2000);
        } else {
            for (size_t i = 0; i < n; i++)
                qvr_sse_feed(&s, in + i, 1, 1000 + i);
        }
        qvr_sse_finish(&s, 5000);
        const struct qvr_sse_stats *st = &s.st;
        int ok = st->events == w->events && st->outputs == w->outputs &&
                 st->malformed == w->malformed && st->errors == w->errors &&
                 st->in_tokens == w->in && st->out_tokens == w->out &&
                 st->has_usage == w->has_usage && st->done == w->done &&
                 st->finished == w->finished &&
                 strcmp(text.data ? text.data : "", w->text) == 0 &&
                 (uint64_t)g.n == (w->outputs ? w->outputs - 1 : 0) &&
                 st->bytes == n;
        if (!ok && bad++ < 3)
            fprintf(stderr,
                    "%s split %zu: events %llu outputs %llu malformed %llu "
                    "errors %llu in %llu out %llu usage %d done %d fin %d "
                    "gaps %d text '%s'\n",
                    what, split, (unsigned long long)st->events,
                    (unsigned long long)st->outputs,
                    (unsigned long long)st->malformed,
                    (unsigned long long)st->errors,
                    (unsigned long long)st->in_tokens,
                    (unsigned long long)st->out_tokens, st->has_usage, st->done,
                    st->finished, g.n, text.data ? text.data : "");
        T_CHECK(ok);
        qvr_buf_free(&text);
        qvr_sse_free(&s);
    }
    T_CHECK_MSG(bad == 0, "%s: %d splits wrong", what, bad);
}

static void test_framing(void)
{
    struct want chat = {7, 3, 0, 0, 11, 4, 1, 1, 1, "Hello world"};
    check("chat", QVR_SSE_EVENTS, CHAT, 0, &chat);
    /* the last event has no blank line: discarded */
    struct want mixed = {4, 2, 1, 1, 0, 0, 0, 0, 0, "onetwo"};
    check("mixed", QVR_SSE_EVENTS, MIXED, 0, &mixed);
    struct want oll = {4, 3, 0, 0, 9, 3, 1, 1, 0, "abc"};
    check("ollama", QVR_SSE_NDJSON, OLLAMA, 0, &oll);
    struct want oe = {2, 1, 0, 1, 0, 0, 0, 0, 0, "x"};
    check("error", QVR_SSE_EVENTS, OAERR, 0, &oe);
}

/* A line over the cap is skipped to its end and counted once; the events
 * around it are kept and memory stays under the cap. */
static void test_cap(void)
{
    size_t big = 5000;
    char *in = malloc(big + 200);
    strcpy(in, "data: {\"choices\":[{\"text\":\"a\"}]}\n\ndata: \"");
    size_t k = strlen(in);
    memset(in + k, 'z', big);
    strcpy(in + k + big, "\"\n\ndata: {\"choices\":[{\"text\":\"b\"}]}\n\n");
    struct want w = {2, 2, 1, 0, 0, 0, 0, 0, 0, "ab"};
    check("cap", QVR_SSE_EVENTS, in, 1024, &w);

    /* a data field over the cap across several lines */
    struct qvr_sse s;
    qvr_sse_init(&s);
    s.cap = 64;
    qvr_sse_begin(&s, QVR_SSE_EVENTS, NULL, NULL, NULL);
    for (int i = 0; i < 100; i++)
        FEED(&s, "data: 0123456789\n", 1);
    FEED(&s, "\n", 1);
    FEED(&s, "data: {\"choices\":[{\"text\":\"b\"}]}\n\n", 2);
    T_EQ_INT(s.st.malformed, 1);
    T_EQ_INT(s.st.outputs, 1);
    T_CHECK(s.data.cap <= 128 && s.line.cap <= 128);
    qvr_sse_free(&s);

    /* an endless line: memory bounded, then a line end recovers */
    qvr_sse_init(&s);
    qvr_sse_begin(&s, QVR_SSE_NDJSON, NULL, NULL, NULL);
    for (int i = 0; i < 1000; i++)
        qvr_sse_feed(&s, in + k, 1000, 1);
    T_CHECK(s.line.cap <= QVR_SSE_CAP + 64);
    FEED(&s, "\n{\"response\":\"q\"}\n", 2);
    T_EQ_INT(s.st.malformed, 1);
    T_EQ_INT(s.st.outputs, 1);
    qvr_sse_free(&s);
    free(in);
}

/* Times: the first output event's arrival, and every gap after it. */
static void test_times(void)
{
    struct qvr_sse s;
    struct gaps g = {0, 0};
    qvr_sse_init(&s);
    qvr_sse_begin(&s, QVR_SSE_EVENTS, on_gap, &g, NULL);
    FEED(&s, "data: {\"choices\":[{\"delta\":{\"content\":\"\"}}]}\n\n", 100);
    FEED(&s, "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n", 250);
    T_EQ_INT(s.st.t_first_ns, 0); /* not dispatched before its blank line */
    FEED(&s, "\n", 300);
    T_EQ_INT(s.st.t_first_ns, 300);
    FEED(&s, "data: {\"choices\":[{\"delta\":{\"content\":\"b\"}}]}\n\n", 450);
    FEED(&s, "data: {\"choices\":[{\"delta\":{\"content\":\"c\"}}]}\n\n", 1000);
    T_EQ_INT(s.st.t_last_ns, 1000);
    T_EQ_INT(g.n, 2);
    T_EQ_INT(g.sum, 700);
    T_EQ_INT(qvr_sse_out_tokens(&s), 3); /* no usage: counted events */
    T_CHECK(!qvr_sse_complete(&s));
    FEED(&s, "data: [DONE]\n\n", 1100);
    T_CHECK(qvr_sse_complete(&s));
    /* begin again: every figure cleared */
    qvr_sse_begin(&s, QVR_SSE_EVENTS, NULL, NULL, NULL);
    T_EQ_INT(s.st.outputs, 0);
    T_EQ_INT(s.st.t_first_ns, 0);
    qvr_sse_free(&s);
    qvr_sse_free(NULL);
}

int main(void)
{
    test_framing();
    test_cap();
    test_times();
    return T_DONE();
}
