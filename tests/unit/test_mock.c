/* test_mock.c -- the simulated reranker: its timing model against the
 * points measured on a real Qwen3-VL 8B reranker, flag parsing, scores,
 * and a live in-process server on an ephemeral loopback port driven with
 * libcurl: every validation status, each dialect's answer, queueing,
 * determinism, fixed service times, batching, and every fault. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "clock.h"
#include "mock.h"
#include "qvr.h"
#include "t.h"

#define MS 1000000ULL

/* ---- helpers ------------------------------------------------------------ */

/* A growable text buffer for bodies and headers. */
struct text {
    char *p;
    size_t n, cap;
};

static size_t text_add(char *data, size_t size, size_t nmemb, void *arg)
{
    struct text *t = arg;
    size_t n = size * nmemb;

    if (t->n + n + 1 > t->cap) {
        size_t cap = (t->n + n + 1) * 2;
        char *p = realloc(t->p, cap);

        if (p == NULL)
            return 0;
        t->p = p;
        t->cap = cap;
    }
    memcpy(t->p + t->n, data, n);
    t->n += n;
    t->p[t->n] = '\0';
    return n;
}

struct resp {
    CURLcode rc;
    long code;
    double secs;
    struct text body, hdr;
};

static void resp_free(struct resp *r)
{
    free(r->body.p);
    free(r->hdr.p);
    memset(r, 0, sizeof(*r));
}

/* The value of header name in r (copied into out), or "" when absent. */
static const char *header(const struct resp *r, const char *name, char *out,
                          size_t len)
{
    const char *p = r->hdr.p;
    size_t n = strlen(name);

    out[0] = '\0';
    while (p != NULL && *p != '\0') {
        const char *eol = strchr(p, '\n');
        size_t l = eol != NULL ? (size_t)(eol - p) : strlen(p);

        if (l > n && strncasecmp(p, name, n) == 0 && p[n] == ':') {
            const char *v = p + n + 1;
            size_t k;

            while (*v == ' ')
                v++;
            k = (size_t)(p + l - v);
            while (k > 0 && (v[k - 1] == '\r' || v[k - 1] == ' '))
                k--;
            if (k >= len)
                k = len - 1;
            memcpy(out, v, k);
            out[k] = '\0';
            return out;
        }
        p = eol != NULL ? eol + 1 : NULL;
    }
    return out;
}

static double header_num(const struct resp *r, const char *name)
{
    char v[64];

    header(r, name, v, sizeof(v));
    return v[0] != '\0' ? atof(v) : -1.0;
}

static char url_base[64];

/* Prepares e for one request (body NULL = no body). */
static void setup(CURL *e, struct resp *r, const char *method, const char *path,
                  const char *body, long timeout_ms)
{
    char url[256];

    snprintf(url, sizeof(url), "%s%s", url_base, path);
    memset(r, 0, sizeof(*r));
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    if (body != NULL) {
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, text_add);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &r->body);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, text_add);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, &r->hdr);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
}

static void collect(CURL *e, struct resp *r, CURLcode rc)
{
    r->rc = rc;
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &r->code);
    curl_easy_getinfo(e, CURLINFO_TOTAL_TIME, &r->secs);
    if (r->body.p == NULL)
        text_add((char *)"", 1, 0, &r->body);
}

/* One blocking request on handle e (reused: keeps its connection). */
static void request_on(CURL *e, struct resp *r, const char *method,
                       const char *path, const char *body)
{
    curl_easy_reset(e);
    setup(e, r, method, path, body, 10000);
    collect(e, r, curl_easy_perform(e));
}

/* One blocking request on a fresh handle and connection. */
static void request(struct resp *r, const char *method, const char *path,
                    const char *body)
{
    CURL *e = curl_easy_init();

    request_on(e, r, method, path, body);
    curl_easy_cleanup(e);
}

static struct qvr_mock *start(struct qvr_mock_config *c)
{
    char err[256];
    struct qvr_mock *m;

    snprintf(c->host, sizeof(c->host), "127.0.0.1");
    c->port = 0;
    m = qvr_mock_start(c, err, sizeof(err));
    T_CHECK_MSG(m != NULL, "qvr_mock_start: %s", err);
    if (m == NULL) {
        printf("cannot start the mock; giving up\n");
        exit(1);
    }
    T_CHECK(qvr_mock_port(m) > 0);
    snprintf(url_base, sizeof(url_base), "http://127.0.0.1:%d",
             qvr_mock_port(m));
    return m;
}

/* Starts a mock from flags (on top of the defaults). */
static struct qvr_mock *start_flags(const char *flags)
{
    struct qvr_mock_config c;
    char buf[512], *argv[32], *tok, err[256];
    int argc = 0, rc;

    qvr_mock_config_init(&c);
    snprintf(buf, sizeof(buf), "%s", flags);
    for (tok = strtok(buf, " "); tok != NULL && argc < 32;
         tok = strtok(NULL, " "))
        argv[argc++] = tok;
    rc = qvr_mock_parse_args(&c, argc, argv, err, sizeof(err));
    T_CHECK_MSG(rc == 0, "%s: %s", flags, err);
    return start(&c);
}

/* Runs n requests at once with curl multi; r[i] gets each outcome. */
static void concurrent(int n, struct resp *r, const char *path,
                       const char *body, long timeout_ms)
{
    CURLM *mh = curl_multi_init();
    CURL *e[64];
    CURLMsg *msg;
    int i, running = 1, left;

    for (i = 0; i < n; i++) {
        e[i] = curl_easy_init();
        setup(e[i], &r[i], "POST", path, body, timeout_ms);
        curl_easy_setopt(e[i], CURLOPT_PRIVATE, &r[i]);
        curl_multi_add_handle(mh, e[i]);
    }
    while (running) {
        curl_multi_perform(mh, &running);
        while ((msg = curl_multi_info_read(mh, &left)) != NULL) {
            struct resp *x;

            if (msg->msg != CURLMSG_DONE)
                continue;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &x);
            collect(msg->easy_handle, x, msg->data.result);
        }
        if (running)
            curl_multi_poll(mh, NULL, 0, 100, NULL);
    }
    for (i = 0; i < n; i++) {
        curl_multi_remove_handle(mh, e[i]);
        curl_easy_cleanup(e[i]);
    }
    curl_multi_cleanup(mh);
}

/* Closed loop: `users` clients each resend as soon as they are answered.
 * After every client has been answered once, completions are counted for
 * about `secs`; the rate is those after the first counted completion over
 * the time from it to the last, so batched answers arriving together are
 * counted in whole passes. Returns req/s. */
static double closed_loop(int users, double secs, const char *body)
{
    CURLM *mh = curl_multi_init();
    CURL *e[32];
    struct resp r[32];
    CURLMsg *msg;
    uint64_t first = 0, last = 0, end = UINT64_MAX, now;
    int i, running, left, warm = 0, counted = 0;

    for (i = 0; i < users; i++) {
        e[i] = curl_easy_init();
        setup(e[i], &r[i], "POST", "/api/rerank", body, 30000);
        curl_easy_setopt(e[i], CURLOPT_PRIVATE, &r[i]);
        curl_multi_add_handle(mh, e[i]);
    }
    for (;;) {
        curl_multi_perform(mh, &running);
        now = qvr_clock_ns();
        while ((msg = curl_multi_info_read(mh, &left)) != NULL) {
            CURL *h = msg->easy_handle;
            struct resp *x;

            if (msg->msg != CURLMSG_DONE)
                continue;
            curl_easy_getinfo(h, CURLINFO_PRIVATE, &x);
            T_CHECK(msg->data.result == CURLE_OK);
            /* Completions within 2 ms of each other end the same pass:
             * the rest of the first one is not counted, all of the last
             * one is. */
            if (warm < users) {
                warm++;
            } else if (first == 0) {
                first = now;
                end = now + (uint64_t)(secs * 1e9);
            } else if (now >= first + 2 * MS &&
                       (now <= end || now < last + 2 * MS)) {
                last = now;
                counted++;
            }
            resp_free(x);
            curl_multi_remove_handle(mh, h);
            if (now < end) {
                setup(h, x, "POST", "/api/rerank", body, 30000);
                curl_easy_setopt(h, CURLOPT_PRIVATE, x);
                curl_multi_add_handle(mh, h);
            }
        }
        if (now >= end && running == 0)
            break;
        if (running)
            curl_multi_poll(mh, NULL, 0, 20, NULL);
    }
    for (i = 0; i < users; i++) {
        curl_multi_remove_handle(mh, e[i]);
        curl_easy_cleanup(e[i]);
        resp_free(&r[i]);
    }
    curl_multi_cleanup(mh);
    return last > first ? counted / ((double)(last - first) / 1e9) : 0.0;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

/* A qwen3vl body with `text` text documents and `images` image ones,
 * mixed as in the measurements, into buf. */
static void mixed_body(char *buf, size_t len, int text, int images)
{
    static const char *const docs[] = {
        "1950s Leica M3 rangefinder with original leather case",
        "Modern digital mirrorless camera with a zoom lens",
        "Kodak Brownie box camera from the forties",
        "Polaroid instant camera in working condition",
    };
    int i, stride = images > 0 ? (text + images) / images : 0, left = images;
    size_t n;

    n = (size_t)snprintf(buf, len,
                         "{\"query\":{\"text\":\"Vintage camera "
                         "collection\"},\"documents\":[");
    for (i = 0; i < text + images && n < len; i++) {
        /* Images at 1, 1 + stride, ... while any are left. */
        if (left > 0 && i % stride == 1 % stride) {
            left--;
            n += (size_t)snprintf(buf + n, len - n,
                                  "%s{\"image\":\"data:image/png;base64,"
                                  "iVBORw0KGgo%d\"}",
                                  i ? "," : "", i);
        } else {
            n += (size_t)snprintf(buf + n, len - n, "%s{\"text\":\"%s\"}",
                                  i ? "," : "", docs[i % 4]);
        }
    }
    if (n < len)
        snprintf(buf + n, len - n, "]}");
}

/* The noise-free model time of one body under c (one request, n = 1). */
static uint64_t model_ns(const struct qvr_mock_config *c, const char *body,
                         struct qvr_mock_work *w)
{
    const struct qvr_mock_work *ws[1] = {w};
    char err[128];
    int st = qvr_mock_work_parse(w, QVR_MOCK_QWEN3VL, body, strlen(body), 1000,
                                 err, sizeof(err));

    T_CHECK_MSG(st == 0, "%s", err);
    return st == 0 ? qvr_mock_pass_ns(c, ws, 1) : 0;
}

/* ---- pure model --------------------------------------------------------- */

static void test_tokens(void)
{
    static const struct {
        const char *s;
        uint64_t tokens;
    } cases[] = {
        {"", 0},
        {"   ", 0},
        {"one", 2},
        {"a b", 3},
        {" a  b\tc\n", 4},
        {"one two three four", 6},
        {"1 2 3 4 5 6 7 8 9 10", 13},
    };
    size_t i;

    for (i = 0; i < QVR_ARRAY_LEN(cases); i++)
        T_EQ_INT(qvr_mock_text_tokens(cases[i].s), cases[i].tokens);
}

static void test_model_exact(void)
{
    struct qvr_mock_config c;
    struct qvr_mock_work a, b;
    const struct qvr_mock_work *two[2] = {&a, &b};
    uint64_t ns;
    double want;

    qvr_mock_config_init(&c);
    /* template 48 + default instruction (11 words, 15) + query "a b c"
     * (4) + document "x y" (3) = 70 tokens. */
    ns = model_ns(&c, "{\"query\":\"a b c\",\"documents\":[\"x y\"]}", &a);
    T_EQ_INT(ns, 40 * MS + 37000ULL * 70);
    T_EQ_INT(a.docs, 1);
    T_EQ_INT(a.pair_tokens, 70);
    qvr_mock_work_clear(&a);

    /* Every pair is padded to the longest: 3 docs x (48 + 2 + 2 + 13). */
    ns = model_ns(&c,
                  "{\"instruction\":\"rank\",\"query\":\"q\",\"documents\":"
                  "[\"x\",\"1 2 3 4 5 6 7 8 9 10\",\"y\"]}",
                  &a);
    T_EQ_INT(a.pair_tokens, 48 + 2 + 2 + 13);
    T_EQ_INT(ns, 40 * MS + 37000ULL * 3 * 65);
    qvr_mock_work_clear(&a);

    /* An image is 256 tokens; a video 256 per frame, ceil(fps), 1..4. */
    model_ns(&c,
             "{\"instruction\":\"rank\",\"query\":\"q\",\"documents\":"
             "[{\"image\":\"http://x/a.png\"}]}",
             &a);
    T_EQ_INT(a.pair_tokens, 48 + 2 + 2 + 256);
    qvr_mock_work_clear(&a);
    model_ns(&c,
             "{\"instruction\":\"rank\",\"query\":\"q\",\"fps\":2,"
             "\"documents\":[{\"video\":\"http://x/a.mp4\"}]}",
             &a);
    T_EQ_INT(a.pair_tokens, 48 + 2 + 2 + 512);
    qvr_mock_work_clear(&a);
    model_ns(&c,
             "{\"instruction\":\"rank\",\"query\":\"q\",\"fps\":30,"
             "\"documents\":[{\"video\":\"http://x/a.mp4\"}]}",
             &a);
    T_EQ_INT(a.pair_tokens, 48 + 2 + 2 + 1024);
    qvr_mock_work_clear(&a);
    model_ns(&c,
             "{\"instruction\":\"rank\",\"query\":\"q\",\"fps\":0.5,"
             "\"documents\":[{\"video\":\"http://x/a.mp4\"}]}",
             &a);
    T_EQ_INT(a.pair_tokens, 48 + 2 + 2 + 256);
    qvr_mock_work_clear(&a);

    /* Batching: k requests padded together, x 1.65 k^-0.18. */
    c.batch = 16;
    model_ns(&c, "{\"query\":\"a b c\",\"documents\":[\"x y\"]}", &a);
    model_ns(&c, "{\"query\":\"a b c\",\"documents\":[\"x\",\"y\"]}", &b);
    want = 40e6 + 37000.0 * 3 * 70 * 1.65 * pow(2.0, -0.18);
    T_NEAR((double)qvr_mock_pass_ns(&c, two, 2), want, 1.0);
    T_NEAR((double)qvr_mock_pass_ns(&c, two, 1), 40e6 + 37000.0 * 70 * 1.65,
           1.0);

    /* --service replaces the model whatever the work. */
    c.service_ns = 100 * MS;
    T_EQ_INT(qvr_mock_pass_ns(&c, two, 2), 100 * MS);
    qvr_mock_work_clear(&a);
    qvr_mock_work_clear(&b);
}

/* The measurements on one H100 (one request per pass, p50). */
static void test_model_measured(void)
{
    static const struct {
        int text, images;
        double ms;
    } points[] = {{2, 1, 75.0}, {7, 3, 160.0}, {22, 10, 454.0}};
    struct qvr_mock_config c;
    struct qvr_mock_work w;
    char body[8192];
    size_t i;

    qvr_mock_config_init(&c);
    for (i = 0; i < QVR_ARRAY_LEN(points); i++) {
        double ms;

        mixed_body(body, sizeof(body), points[i].text, points[i].images);
        ms = (double)model_ns(&c, body, &w) / 1e6;
        T_EQ_INT(w.docs, points[i].text + points[i].images);
        T_NEAR(ms, points[i].ms, 0.15 * points[i].ms);
        printf("model: %d docs (%d text + %d image) -> %.1f ms "
               "(measured %.0f ms)\n",
               w.docs, points[i].text, points[i].images, ms, points[i].ms);
        qvr_mock_work_clear(&w);
    }
}

/* ---- flags -------------------------------------------------------------- */

static int parse(struct qvr_mock_config *c, const char *flags, char *err,
                 size_t errlen)
{
    char buf[512], *argv[32], *tok;
    int argc = 0;

    qvr_mock_config_init(c);
    snprintf(buf, sizeof(buf), "%s", flags);
    for (tok = strtok(buf, " "); tok != NULL && argc < 32;
         tok = strtok(NULL, " "))
        argv[argc++] = tok;
    return qvr_mock_parse_args(c, argc, argv, err, errlen);
}

static void test_flags(void)
{
    static const struct {
        const char *flags;
        const char *err_names; /* NULL = must parse */
    } bad[] = {
        {"--slots 0", "--slots"},
        {"--slots x", "--slots"},
        {"--slots", "--slots"},
        {"--batch -1", "--batch"},
        {"--queue 1.5", "--queue"},
        {"--max-docs 0", "--max-docs"},
        {"--seed -3", "--seed"},
        {"--service 0", "--service"},
        {"--service fast", "--service"},
        {"--error-rate 1.5", "--error-rate"},
        {"--error-rate 150%", "--error-rate"},
        {"--drop x", "--drop"},
        {"--garbage -0.1", "--garbage"},
        {"--stall 1s", "--stall"},
        {"--stall 10s/1s", "--stall"},
        {"--leak 2%/day", "--leak"},
        {"--listen 127.0.0.1:99999", "--listen"},
        {"--listen :", "--listen"},
        {"--profile h200", "--profile"},
        {"--bogus 1", "--bogus"},
        {"stray", "stray"},
    };
    struct qvr_mock_config c;
    char err[256];
    size_t i;

    /* Defaults. */
    qvr_mock_config_init(&c);
    T_EQ_STR(c.host, "127.0.0.1");
    T_EQ_INT(c.port, 7860);
    T_EQ_INT(c.profile, QVR_MOCK_H100);
    T_EQ_INT(c.slots, 1);
    T_EQ_INT(c.batch, 1);
    T_EQ_INT(c.queue, 64);
    T_EQ_INT(c.max_docs, 32);
    T_EQ_INT(c.seed, 1);
    T_EQ_INT(c.service_ns, 0);

    T_EQ_INT(parse(&c,
                   "--listen 127.0.0.1:0 --slots 3 --batch 4 --queue 0 "
                   "--max-docs 64 --seed 42 --service 100ms "
                   "--error-rate 5% --stall 1s/10s --leak 2%/min "
                   "--drop 0.01 --garbage=0.5%",
                   err, sizeof(err)),
             0);
    T_EQ_STR(c.host, "127.0.0.1");
    T_EQ_INT(c.port, 0);
    T_EQ_INT(c.slots, 3);
    T_EQ_INT(c.batch, 4);
    T_EQ_INT(c.queue, 0);
    T_EQ_INT(c.max_docs, 64);
    T_EQ_INT(c.seed, 42);
    T_EQ_INT(c.service_ns, 100 * MS);
    T_NEAR(c.jitter_sigma, 0.0, 0.0);
    T_NEAR(c.error_rate, 0.05, 1e-12);
    T_EQ_INT(c.stall_ns, 1000 * MS);
    T_EQ_INT(c.stall_period_ns, 10000 * MS);
    T_NEAR(c.leak_per_min, 0.02, 1e-12);
    T_NEAR(c.drop_rate, 0.01, 1e-12);
    T_NEAR(c.garbage_rate, 0.005, 1e-12);

    T_EQ_INT(parse(&c, "--listen :7861", err, sizeof(err)), 0);
    T_EQ_STR(c.host, "127.0.0.1");
    T_EQ_INT(c.port, 7861);
    T_EQ_INT(parse(&c, "--listen [::1]:0", err, sizeof(err)), 0);
    T_EQ_STR(c.host, "::1");
    T_EQ_INT(c.port, 0);
    T_EQ_INT(parse(&c, "--listen 0.0.0.0", err, sizeof(err)), 0);
    T_EQ_STR(c.host, "0.0.0.0");
    T_EQ_INT(c.port, 7860);
    T_EQ_INT(parse(&c, "--leak 0.6/h", err, sizeof(err)), 0);
    T_NEAR(c.leak_per_min, 0.01, 1e-12);

    /* A profile sets its defaults; explicit flags win in any order. */
    T_EQ_INT(parse(&c, "--profile h100-qwen3vl-8b-batch", err, sizeof(err)), 0);
    T_EQ_INT(c.profile, QVR_MOCK_H100_BATCH);
    T_EQ_INT(c.batch, 16);
    T_EQ_INT(c.slots, 1);
    T_EQ_INT(parse(&c, "--slots 3 --profile fast", err, sizeof(err)), 0);
    T_EQ_INT(c.profile, QVR_MOCK_FAST);
    T_EQ_INT(c.slots, 3);
    T_EQ_INT(c.service_ns, 1 * MS);
    T_EQ_INT(parse(&c, "--service 5ms --profile=fast", err, sizeof(err)), 0);
    T_EQ_INT(c.service_ns, 5 * MS);
    T_EQ_INT(c.slots, 256);
    T_EQ_STR(qvr_mock_profile_name(QVR_MOCK_FAST), "fast");

    for (i = 0; i < QVR_ARRAY_LEN(bad); i++) {
        err[0] = '\0';
        T_CHECK_MSG(parse(&c, bad[i].flags, err, sizeof(err)) == QVR_EINVAL,
                    "'%s' was accepted", bad[i].flags);
        T_CHECK_MSG(strstr(err, bad[i].err_names) != NULL,
                    "'%s': message '%s' does not name it", bad[i].flags, err);
        T_CHECK(strchr(err, '\n') == NULL);
    }
}

/* ---- scores ------------------------------------------------------------- */

static void test_scores(void)
{
    const char *q = "Best hiking boots for rocky terrain";
    double rel = qvr_mock_text_score(q, "Hiking boots built for rocky "
                                        "mountain terrain");
    double some = qvr_mock_text_score(q, "Insulated winter boots for snow");
    double none = qvr_mock_text_score(q, "Lightweight running shoes");
    double same = qvr_mock_text_score(q, q);

    T_CHECK(rel > some);
    T_CHECK(some > none);
    T_CHECK(same >= 0.92 && same <= 1.0);
    T_CHECK(none >= 0.0 && none < 0.05);
    T_NEAR(qvr_mock_text_score(q, "Insulated winter boots for snow"), some,
           0.0);
    /* Case, punctuation and plurals do not matter; stopwords do not
     * count. */
    T_CHECK(qvr_mock_text_score("Boots!", "the BOOT") > 0.9);
    T_CHECK(qvr_mock_text_score("the of and", "the of and") < 0.05);
}

/* ---- the live server ---------------------------------------------------- */

static void test_validation(void)
{
    static const struct {
        const char *method, *path, *body;
        int status;
        const char *error; /* substring of "error", NULL = 2xx */
    } cases[] = {
        {"POST", "/api/rerank", "{\"query\":\"q\",\"documents\":[\"a\"]}", 200,
         NULL},
        {"POST", "/api/rerank", "{\"query\":", 400, "JSON"},
        {"POST", "/api/rerank", "", 400, "JSON"},
        {"POST", "/api/rerank", "[1,2]", 400, "object"},
        {"POST", "/api/rerank", "\"q\"", 400, "object"},
        {"POST", "/api/rerank", "{\"documents\":[\"a\"]}", 400, "query"},
        {"POST", "/api/rerank", "{\"query\":\"\",\"documents\":[\"a\"]}", 400,
         "query"},
        {"POST", "/api/rerank", "{\"query\":{},\"documents\":[\"a\"]}", 400,
         "query"},
        {"POST", "/api/rerank",
         "{\"query\":{\"text\":\"\"},\"documents\":[\"a\"]}", 400, "query"},
        {"POST", "/api/rerank", "{\"query\":7,\"documents\":[\"a\"]}", 400,
         "query"},
        {"POST", "/api/rerank", "{\"query\":\"q\"}", 400, "documents"},
        {"POST", "/api/rerank", "{\"query\":\"q\",\"documents\":\"a\"}", 400,
         "documents"},
        {"POST", "/api/rerank", "{\"query\":\"q\",\"documents\":[]}", 400,
         "documents"},
        {"POST", "/api/rerank",
         "{\"query\":\"q\",\"documents\":[\"a\",{\"audio\":\"x\"}]}", 400,
         "documents[1]"},
        {"POST", "/api/rerank", "{\"query\":\"q\",\"documents\":[null]}", 400,
         "documents[0]"},
        {"POST", "/api/rerank",
         "{\"query\":\"q\",\"documents\":[{\"image\":5}]}", 400,
         "documents[0]"},
        {"POST", "/api/rerank",
         "{\"query\":\"q\",\"documents\":[\"a\"],\"fps\":\"x\"}", 400, "fps"},
        {"POST", "/api/rerank",
         "{\"query\":\"q\",\"documents\":[\"a\"],\"fps\":0}", 400, "fps"},
        {"POST", "/api/rerank",
         "{\"query\":\"q\",\"documents\":[\"a\"],\"fps\":-1}", 400, "fps"},
        {"POST", "/api/rerank",
         "{\"query\":\"q\",\"documents\":[\"a\"],\"instruction\":3}", 400,
         "instruction"},
        {"POST", "/v1/rerank",
         "{\"query\":{\"text\":\"q\"},"
         "\"documents\":[\"a\"]}",
         400, "query"},
        {"POST", "/v1/rerank", "{\"query\":\"q\",\"documents\":[1]}", 400,
         "documents[0]"},
        {"POST", "/v1/rerank",
         "{\"query\":\"q\",\"documents\":[\"a\"],\"top_n\":0}", 400, "top_n"},
        {"POST", "/v1/rerank",
         "{\"query\":\"q\",\"documents\":[\"a\"],\"top_n\":1.5}", 400, "top_n"},
        {"POST", "/rerank", "{\"query\":\"q\",\"documents\":[\"a\"]}", 400,
         "texts"},
        {"POST", "/rerank", "{\"query\":\"q\",\"texts\":[{\"text\":\"a\"}]}",
         400, "texts[0]"},
        {"GET", "/api/rerank", NULL, 405, "method"},
        {"PUT", "/v1/rerank", "{}", 405, "method"},
        {"DELETE", "/rerank", NULL, 405, "method"},
        {"POST", "/health", "{}", 405, "method"},
        {"GET", "/nope", NULL, 404, "not found"},
        {"POST", "/api/rerank/x", "{}", 404, "not found"},
        {"GET", "/", NULL, 404, "not found"},
        {"GET", "/health", NULL, 200, NULL},
        {"HEAD", "/health", NULL, 200, NULL},
    };
    struct qvr_mock_config c;
    struct qvr_mock *m;
    struct resp r;
    char body[4096], v[128];
    size_t i, n;
    int k, n400 = 0;

    qvr_mock_config_init(&c);
    c.service_ns = 1 * MS;
    c.jitter_sigma = 0.0;
    c.max_docs = 4;
    c.max_body = 2048;
    m = start(&c);
    for (i = 0; i < QVR_ARRAY_LEN(cases); i++) {
        cJSON *j;

        request(&r, cases[i].method, cases[i].path, cases[i].body);
        T_CHECK_MSG(r.rc == CURLE_OK && r.code == cases[i].status,
                    "%s %s %s: %ld (curl %d), want %d", cases[i].method,
                    cases[i].path, cases[i].body ? cases[i].body : "", r.code,
                    (int)r.rc, cases[i].status);
        T_EQ_STR(header(&r, "Content-Type", v, sizeof(v)), "application/json");
        T_CHECK(header_num(&r, "X-Queue-Ms") >= 0.0);
        T_CHECK(header_num(&r, "X-Infer-Ms") >= 0.0);
        if (cases[i].status == 405)
            T_CHECK(header(&r, "Allow", v, sizeof(v))[0] != '\0');
        if (cases[i].error != NULL) {
            const cJSON *e;

            j = cJSON_Parse(r.body.p);
            e = cJSON_GetObjectItemCaseSensitive(j, "error");
            T_CHECK_MSG(cJSON_IsString(e) &&
                            strstr(e->valuestring, cases[i].error) != NULL,
                        "%s %s: body %s lacks '%s'", cases[i].method,
                        cases[i].path, r.body.p, cases[i].error);
            cJSON_Delete(j);
        }
        if (cases[i].status == 400)
            n400++;
        resp_free(&r);
    }
    request(&r, "GET", "/health", NULL);
    T_EQ_STR(r.body.p, "{\"status\":\"ok\"}");
    resp_free(&r);

    /* More documents than --max-docs: 413 for each dialect. */
    for (k = 0; k < 3; k++) {
        static const char *const paths[] = {"/api/rerank", "/v1/rerank",
                                            "/rerank"};

        snprintf(body, sizeof(body),
                 "{\"query\":\"q\",\"%s\":[\"a\",\"b\",\"c\",\"d\",\"e\"]}",
                 k == 2 ? "texts" : "documents");
        request(&r, "POST", paths[k], body);
        T_EQ_INT(r.code, 413);
        T_CHECK(strstr(r.body.p, "limit of 4") != NULL);
        resp_free(&r);
    }
    /* A body above the limit: 413 from the HTTP layer. */
    n = (size_t)snprintf(body, sizeof(body), "{\"query\":\"");
    memset(body + n, 'x', 3000);
    snprintf(body + n + 3000, sizeof(body) - n - 3000,
             "\",\"documents\":[\"a\"]}");
    request(&r, "POST", "/api/rerank", body);
    T_EQ_INT(r.code, 413);
    resp_free(&r);

    /* /metrics counts what was answered, by status. */
    request(&r, "GET", "/metrics", NULL);
    T_EQ_INT(r.code, 200);
    T_CHECK(strstr(header(&r, "Content-Type", v, sizeof(v)),
                   "text/plain; version=0.0.4") != NULL);
    snprintf(v, sizeof(v), "qvr_mock_requests_total{code=\"400\"} %d\n", n400);
    T_CHECK_MSG(strstr(r.body.p, v) != NULL, "no '%s' in metrics", v);
    T_CHECK(strstr(r.body.p, "qvr_mock_requests_total{code=\"413\"} 3\n"));
    T_CHECK(strstr(r.body.p, "qvr_mock_requests_total{code=\"405\"} 4\n"));
    T_CHECK(strstr(r.body.p, "qvr_mock_requests_total{code=\"404\"} 3\n"));
    T_CHECK(strstr(r.body.p, "qvr_mock_requests_total{code=\"200\"} 1\n"));
    T_CHECK(strstr(r.body.p, "qvr_mock_queue_depth 0\n"));
    T_CHECK(strstr(r.body.p, "qvr_mock_inflight 0\n"));
    T_CHECK(
        strstr(r.body.p, "qvr_mock_service_seconds_bucket{le=\"0.001\"} 1\n"));
    T_CHECK(
        strstr(r.body.p, "qvr_mock_service_seconds_bucket{le=\"+Inf\"} 1\n"));
    T_CHECK(strstr(r.body.p, "qvr_mock_service_seconds_count 1\n"));
    T_CHECK(strstr(r.body.p, "qvr_mock_service_seconds_sum 0.001000000\n"));
    resp_free(&r);
    qvr_mock_stop(m);
}

static void test_dialects(void)
{
    static const char *const docs[] = {
        "Lightweight running shoes for pavement",
        "Durable waterproof hiking boots with ankle support",
        "Insulated winter boots for snow",
        "Hiking boots for rocky terrain and trails",
    };
    const char *q = "Best hiking boots for rocky terrain";
    struct qvr_mock_config c;
    struct qvr_mock *m;
    struct resp r;
    char body[2048];
    double want[4];
    cJSON *j, *a, *it;
    int i, prev_idx;
    double prev;

    for (i = 0; i < 4; i++)
        want[i] = qvr_mock_text_score(q, docs[i]);
    qvr_mock_config_init(&c);
    c.service_ns = 1 * MS;
    c.jitter_sigma = 0.0;
    m = start(&c);

    /* qwen3vl: one score per document, in document order; an image
     * document gets a low score. */
    snprintf(body, sizeof(body),
             "{\"instruction\":\"Rank.\",\"query\":{\"text\":\"%s\"},"
             "\"documents\":[{\"text\":\"%s\"},\"%s\",{\"text\":\"%s\"},"
             "{\"text\":\"%s\"},{\"image\":\"data:image/png;base64,AAAA\"}],"
             "\"fps\":1.0}",
             q, docs[0], docs[1], docs[2], docs[3]);
    request(&r, "POST", "/api/rerank", body);
    T_EQ_INT(r.code, 200);
    j = cJSON_Parse(r.body.p);
    a = cJSON_GetObjectItemCaseSensitive(j, "scores");
    T_CHECK(cJSON_IsArray(a) && cJSON_GetArraySize(a) == 5);
    for (i = 0; i < 4 && cJSON_IsArray(a); i++)
        T_NEAR(cJSON_GetArrayItem(a, i)->valuedouble, want[i], 1e-6);
    T_CHECK(cJSON_IsArray(a) && cJSON_GetArrayItem(a, 4)->valuedouble < 0.13);
    T_CHECK(want[3] > want[1] && want[1] > want[2] && want[2] > want[0]);
    cJSON_Delete(j);
    resp_free(&r);

    /* cohere: results sorted by relevance_score, cut to top_n. */
    snprintf(body, sizeof(body),
             "{\"model\":\"m\",\"query\":\"%s\",\"documents\":[\"%s\","
             "{\"text\":\"%s\"},\"%s\",\"%s\"],\"top_n\":3}",
             q, docs[0], docs[1], docs[2], docs[3]);
    request(&r, "POST", "/v1/rerank", body);
    T_EQ_INT(r.code, 200);
    j = cJSON_Parse(r.body.p);
    a = cJSON_GetObjectItemCaseSensitive(j, "results");
    T_CHECK(cJSON_IsArray(a) && cJSON_GetArraySize(a) == 3);
    {
        static const int order[] = {3, 1, 2};

        i = 0;
        cJSON_ArrayForEach(it, a)
        {
            const cJSON *ix = cJSON_GetObjectItemCaseSensitive(it, "index");
            const cJSON *s =
                cJSON_GetObjectItemCaseSensitive(it, "relevance_score");

            T_CHECK(cJSON_IsNumber(ix) && cJSON_IsNumber(s));
            if (cJSON_IsNumber(ix) && cJSON_IsNumber(s) && i < 3) {
                T_EQ_INT(ix->valueint, order[i]);
                T_NEAR(s->valuedouble, want[order[i]], 1e-6);
            }
            i++;
        }
    }
    cJSON_Delete(j);
    resp_free(&r);

    /* TEI: every text, sorted by score, indexes a permutation. */
    snprintf(body, sizeof(body),
             "{\"query\":\"%s\",\"texts\":[\"%s\",\"%s\",\"%s\",\"%s\"]}", q,
             docs[0], docs[1], docs[2], docs[3]);
    request(&r, "POST", "/rerank", body);
    T_EQ_INT(r.code, 200);
    j = cJSON_Parse(r.body.p);
    T_CHECK(cJSON_IsArray(j) && cJSON_GetArraySize(j) == 4);
    prev = 2.0;
    prev_idx = 0;
    i = 0;
    cJSON_ArrayForEach(it, j)
    {
        const cJSON *ix = cJSON_GetObjectItemCaseSensitive(it, "index");
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(it, "score");

        T_CHECK(cJSON_IsNumber(ix) && cJSON_IsNumber(s));
        if (!cJSON_IsNumber(ix) || !cJSON_IsNumber(s))
            break;
        T_CHECK(s->valuedouble <= prev);
        T_NEAR(s->valuedouble, want[ix->valueint], 1e-6);
        prev = s->valuedouble;
        prev_idx |= 1 << ix->valueint;
        i++;
    }
    T_EQ_INT(prev_idx, 0xf);
    cJSON_Delete(j);
    resp_free(&r);
    qvr_mock_stop(m);
}

static void test_queue_full(void)
{
    struct resp r[4];
    struct qvr_mock *m = start_flags("--slots 1 --queue 1 --service 300ms");
    const char *body = "{\"query\":\"q\",\"documents\":[\"a\"]}";
    int i, ok = 0, full = 0;
    char v[32];

    concurrent(4, r, "/api/rerank", body, 5000);
    for (i = 0; i < 4; i++) {
        T_EQ_INT(r[i].rc, CURLE_OK);
        if (r[i].code == 200) {
            double q = header_num(&r[i], "X-Queue-Ms");

            ok++;
            T_NEAR(header_num(&r[i], "X-Infer-Ms"), 300.0, 0.001);
            /* One served at once, one after waiting for it. */
            T_CHECK((q >= 0.0 && q < 20.0) || (q > 290.0 && q < 330.0));
        } else if (r[i].code == 503) {
            full++;
            T_EQ_STR(header(&r[i], "Retry-After", v, sizeof(v)), "1");
            T_CHECK(strstr(r[i].body.p, "\"error\"") != NULL);
            T_CHECK(r[i].secs < 0.2);
        }
        resp_free(&r[i]);
    }
    T_EQ_INT(ok, 2);
    T_EQ_INT(full, 2);
    qvr_mock_stop(m);
}

/* The same seed gives the same jittered times; another seed does not. */
static void test_determinism(void)
{
    static const char *const seeds[] = {"7", "7", "8"};
    const char *body = "{\"query\":\"a b\",\"documents\":[\"a\",\"b c\"]}";
    double infer[3][6];
    struct qvr_mock_config c;
    struct qvr_mock_work w;
    double model;
    int s, i, same = 1, differ = 0;

    qvr_mock_config_init(&c);
    model = (double)model_ns(&c, body, &w) / 1e6;
    qvr_mock_work_clear(&w);
    for (s = 0; s < 3; s++) {
        char flags[64];
        struct qvr_mock *m;
        CURL *e = curl_easy_init();

        snprintf(flags, sizeof(flags), "--seed %s", seeds[s]);
        m = start_flags(flags);
        for (i = 0; i < 6; i++) {
            struct resp r;

            request_on(e, &r, "POST", "/api/rerank", body);
            T_EQ_INT(r.code, 200);
            infer[s][i] = header_num(&r, "X-Infer-Ms");
            /* Lognormal sigma 0.05 around the model: within 4 sigma. */
            T_CHECK_MSG(infer[s][i] > model * 0.81 &&
                            infer[s][i] < model * 1.23,
                        "%g ms vs model %g ms", infer[s][i], model);
            resp_free(&r);
        }
        curl_easy_cleanup(e);
        qvr_mock_stop(m);
    }
    for (i = 0; i < 6; i++) {
        same &= infer[0][i] == infer[1][i];
        differ |= infer[0][i] != infer[2][i];
    }
    T_CHECK(same);
    T_CHECK(differ);
    /* Jitter exists: not every time is the model's. */
    T_CHECK(infer[0][0] != infer[0][1] || infer[0][1] != infer[0][2]);
}

static void test_fixed_service(void)
{
    struct qvr_mock *m = start_flags("--service 100ms");
    const char *body = "{\"query\":\"q\",\"documents\":[\"a\",\"b\"]}";
    int i;

    for (i = 0; i < 3; i++) {
        struct resp r;

        request(&r, "POST", "/api/rerank", body);
        T_EQ_INT(r.code, 200);
        T_NEAR(header_num(&r, "X-Infer-Ms"), 100.0, 0.0005);
        T_CHECK(header_num(&r, "X-Queue-Ms") < 2.0);
        T_CHECK_MSG(r.secs >= 0.0999 && r.secs < 0.106,
                    "100ms service took %.4f s", r.secs);
        resp_free(&r);
    }
    qvr_mock_stop(m);
}

/* Batching: jobs waiting behind a pass go together into the next one,
 * whose time is the model's for the batch. */
static void test_batch_pass(void)
{
    struct qvr_mock_config c;
    struct qvr_mock_work w[3];
    const struct qvr_mock_work *ws[3] = {&w[0], &w[1], &w[2]};
    struct qvr_mock *m;
    struct resp r[4];
    const char *body = "{\"query\":\"q\",\"documents\":[\"a b\",\"c\"]}";
    double one, three;
    int i, n1 = 0, n3 = 0;

    qvr_mock_config_init(&c);
    T_EQ_INT(qvr_mock_config_profile(&c, "h100-qwen3vl-8b-batch"), 0);
    c.jitter_sigma = 0.0;
    for (i = 0; i < 3; i++)
        model_ns(&c, body, &w[i]);
    one = (double)qvr_mock_pass_ns(&c, ws, 1) / 1e6;
    three = (double)qvr_mock_pass_ns(&c, ws, 3) / 1e6;
    for (i = 0; i < 3; i++)
        qvr_mock_work_clear(&w[i]);
    m = start(&c);
    concurrent(4, r, "/api/rerank", body, 5000);
    for (i = 0; i < 4; i++) {
        double t = header_num(&r[i], "X-Infer-Ms");

        T_EQ_INT(r[i].code, 200);
        if (t > one - 0.002 && t < one + 0.002)
            n1++;
        if (t > three - 0.002 && t < three + 0.002)
            n3++;
        resp_free(&r[i]);
    }
    T_EQ_INT(n1, 1);
    T_EQ_INT(n3, 3);
    qvr_mock_stop(m);
}

/* Closed-loop throughput: one slot holds ~1/service flat with users;
 * micro-batching raises it with users. */
static void test_throughput(void)
{
    struct qvr_mock_config c;
    struct qvr_mock_work w;
    struct qvr_mock *m;
    char body[2048];
    double svc, r1, r4, b1, b8;

    mixed_body(body, sizeof(body), 2, 1);
    qvr_mock_config_init(&c);
    c.jitter_sigma = 0.0;
    svc = (double)model_ns(&c, body, &w) / 1e9;
    qvr_mock_work_clear(&w);
    m = start(&c);
    r1 = closed_loop(1, 1.5, body);
    r4 = closed_loop(4, 1.5, body);
    qvr_mock_stop(m);
    printf("h100-qwen3vl-8b: 1/service %.1f, 1 user %.1f, 4 users %.1f "
           "req/s\n",
           1.0 / svc, r1, r4);
    T_NEAR(r1, 1.0 / svc, 0.15 / svc);
    T_NEAR(r4, 1.0 / svc, 0.15 / svc);

    T_EQ_INT(qvr_mock_config_profile(&c, "h100-qwen3vl-8b-batch"), 0);
    c.jitter_sigma = 0.0;
    m = start(&c);
    b1 = closed_loop(1, 1.5, body);
    b8 = closed_loop(8, 2.0, body);
    qvr_mock_stop(m);
    printf("h100-qwen3vl-8b-batch: 1 user %.1f, 8 users %.1f req/s "
           "(measured 9.6, 19.6)\n",
           b1, b8);
    T_NEAR(b1, 9.6, 9.6 * 0.2);
    T_NEAR(b8, 19.6, 19.6 * 0.2);
}

static void test_faults(void)
{
    const char *body = "{\"query\":\"q\",\"documents\":[\"a\",\"b\"]}";
    struct qvr_mock *m;
    struct resp r;
    CURL *e;
    int i, errors = 0, html = 0, cut = 0;
    uint64_t t0, t;

    m = start_flags("--service 2ms --error-rate 1.0");
    for (i = 0; i < 3; i++) {
        request(&r, "POST", "/api/rerank", body);
        T_EQ_INT(r.code, 500);
        T_CHECK(strstr(r.body.p, "\"error\"") != NULL);
        resp_free(&r);
    }
    qvr_mock_stop(m);

    /* A partial error rate: about P of 200 requests, same with the seed. */
    m = start_flags("--service 1us --error-rate 25% --seed 5");
    e = curl_easy_init();
    for (i = 0; i < 200; i++) {
        request_on(e, &r, "POST", "/api/rerank", body);
        errors += r.code == 500;
        resp_free(&r);
    }
    curl_easy_cleanup(e);
    qvr_mock_stop(m);
    T_CHECK_MSG(errors > 30 && errors < 70, "%d errors of 200", errors);

    m = start_flags("--service 2ms --garbage 1.0");
    for (i = 0; i < 8; i++) {
        cJSON *j;

        request(&r, "POST", "/api/rerank", body);
        T_EQ_INT(r.code, 200);
        j = cJSON_Parse(r.body.p);
        T_CHECK_MSG(j == NULL, "garbage parsed: %s", r.body.p);
        cJSON_Delete(j);
        html += r.body.p[0] == '<';
        cut += strncmp(r.body.p, "{\"scores\":", 10) == 0;
        resp_free(&r);
    }
    T_EQ_INT(html + cut, 8);
    qvr_mock_stop(m);

    /* Drops: a reset the client reports, also on a reused keep-alive
     * connection (no silent retry: the server sees each attempt once). */
    m = start_flags("--service 2ms --drop 1.0");
    e = curl_easy_init();
    for (i = 0; i < 3; i++) {
        request_on(e, &r, "GET", "/health", NULL);
        T_EQ_INT(r.code, 200);
        resp_free(&r);
        request_on(e, &r, "POST", "/api/rerank", body);
        T_CHECK_MSG(r.rc == CURLE_RECV_ERROR || r.rc == CURLE_GOT_NOTHING,
                    "drop gave curl %d", (int)r.rc);
        resp_free(&r);
    }
    request_on(e, &r, "GET", "/metrics", NULL);
    T_CHECK_MSG(strstr(r.body.p, "qvr_mock_dropped_total 3\n") != NULL, "%s",
                r.body.p);
    resp_free(&r);
    curl_easy_cleanup(e);
    qvr_mock_stop(m);

    /* Stalls: the last 300 ms of every second; an answer due inside one
     * waits for its end, one outside does not. */
    t0 = qvr_clock_ns();
    m = start_flags("--service 5ms --stall 300ms/1s");
    sleep_ms(300);
    request(&r, "POST", "/api/rerank", body);
    T_EQ_INT(r.code, 200);
    T_CHECK_MSG(r.secs < 0.1, "outside a stall: %.3f s", r.secs);
    resp_free(&r);
    t = qvr_clock_ns() - t0;
    if (t < 750 * MS)
        sleep_ms((long)((750 * MS - t) / MS));
    request(&r, "POST", "/api/rerank", body);
    T_EQ_INT(r.code, 200);
    t = qvr_clock_ns() - t0;
    T_CHECK_MSG(r.secs > 0.15 && t >= 1000 * MS && t < 1150 * MS,
                "in a stall: %.3f s, done at %.3f s", r.secs, t / 1e9);
    resp_free(&r);
    request(&r, "GET", "/metrics", NULL);
    T_CHECK(strstr(r.body.p, "qvr_mock_stalled 0\n") != NULL);
    resp_free(&r);
    qvr_mock_stop(m);

    /* Leak: 600%/min = +10% per second of uptime. */
    t0 = qvr_clock_ns();
    m = start_flags("--service 50ms --leak 600%/min");
    request(&r, "POST", "/api/rerank", body);
    T_NEAR(header_num(&r, "X-Infer-Ms"), 50.0, 0.5);
    resp_free(&r);
    sleep_ms(1000);
    t = qvr_clock_ns() - t0;
    request(&r, "POST", "/api/rerank", body);
    T_NEAR(header_num(&r, "X-Infer-Ms"), 50.0 * (1.0 + 0.1 * t / 1e9), 1.5);
    T_CHECK(header_num(&r, "X-Infer-Ms") > 54.0);
    resp_free(&r);
    qvr_mock_stop(m);
}

/* Clients that give up, and a stop with requests queued and in a pass:
 * nothing leaks or crashes (run under ASan). */
static void test_abandon(void)
{
    struct qvr_mock *m = start_flags("--service 200ms --queue 8");
    const char *body = "{\"query\":\"q\",\"documents\":[\"a\"]}";
    struct resp r[4];
    int i;

    concurrent(3, r, "/api/rerank", body, 50);
    for (i = 0; i < 3; i++) {
        T_EQ_INT(r[i].rc, CURLE_OPERATION_TIMEDOUT);
        resp_free(&r[i]);
    }
    sleep_ms(700);
    request(&r[0], "GET", "/metrics", NULL);
    T_CHECK(strstr(r[0].body.p, "qvr_mock_inflight 0\n") != NULL);
    T_CHECK(strstr(r[0].body.p, "qvr_mock_queue_depth 0\n") != NULL);
    resp_free(&r[0]);
    concurrent(4, r, "/api/rerank", body, 100);
    qvr_mock_stop(m);
    for (i = 0; i < 4; i++)
        resp_free(&r[i]);
    qvr_mock_stop(NULL);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    test_tokens();
    test_model_exact();
    test_model_measured();
    test_flags();
    test_scores();
    test_validation();
    test_dialects();
    test_queue_full();
    test_determinism();
    test_fixed_service();
    test_batch_pass();
    test_faults();
    test_abandon();
    test_throughput();
    curl_global_cleanup();
    return T_DONE();
}
