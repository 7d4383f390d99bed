/* mock_model.c -- the pure half of the simulated reranker: configuration
 * and flags, request validation for the three dialects, token counting,
 * the pass-time model and the lexical scores. No I/O, no clock, no event
 * loop, so every number here is checked by tests/unit/test_mock.c.
 *
 * The timing model (docs/mock.md has the calibration):
 *
 *   pass = 40 ms + 37 us x padded tokens x e(k)
 *
 * where the padded tokens of a pass are (documents in the pass) x (its
 * longest pair), a pair being the chat template (48 tokens), the
 * instruction, the query and one document; text is ceil(1.3 x words), an
 * image 256 tokens, a video 256 per frame with ceil(fps) frames (1 to 4).
 * e(k) = 1 without batching; with batching (batch > 1) it is
 * 1.65 x k^-0.18 for a pass of k requests. */
#include "mock.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "clock.h"
#include "qvr.h"

#define BASE_NS (40 * QVR_NS_PER_MS)
#define NS_PER_TOKEN 37000.0
#define TEMPLATE_TOKENS 48
#define IMAGE_TOKENS 256
#define MAX_VIDEO_FRAMES 4
#define BATCH_EFF_SCALE 1.65
#define BATCH_EFF_EXP 0.18
#define DEFAULT_INSTRUCTION                                                    \
    "Given a search query, retrieve relevant candidates that answer the "      \
    "query."

static const char *const profile_names[] = {
    "h100-qwen3vl-8b",
    "h100-qwen3vl-8b-batch",
    "fast",
};

void qvr_mock_config_init(struct qvr_mock_config *c)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->host, sizeof(c->host), "127.0.0.1");
    c->port = 7860;
    c->profile = QVR_MOCK_H100;
    c->slots = 1;
    c->batch = 1;
    c->queue = 64;
    c->max_docs = 32;
    c->seed = 1;
    c->jitter_sigma = 0.05;
    c->max_body = (size_t)64 << 20;
    qvr_mock_llm_config_init(&c->llm);
    c->answer_tokens = 256;
    snprintf(c->model, sizeof(c->model), "qvr-mock-llama-3.1-8b");
}

const char *qvr_mock_profile_name(enum qvr_mock_profile p)
{
    if ((size_t)p >= QVR_ARRAY_LEN(profile_names))
        return "unknown";
    return profile_names[p];
}

int qvr_mock_config_profile(struct qvr_mock_config *c, const char *name)
{
    size_t i;

    for (i = 0; i < QVR_ARRAY_LEN(profile_names); i++) {
        if (strcmp(name, profile_names[i]) == 0)
            break;
    }
    if (i == QVR_ARRAY_LEN(profile_names))
        return QVR_EINVAL;
    c->profile = (enum qvr_mock_profile)i;
    c->slots = 1;
    c->batch = 1;
    c->queue = 64;
    c->service_ns = 0;
    c->jitter_sigma = 0.05;
    if (c->profile == QVR_MOCK_H100_BATCH) {
        c->batch = 16;
    } else if (c->profile == QVR_MOCK_FAST) {
        /* 1 ms per request; enough slots that the model never caps a
         * benchmark below what one core of HTTP handling can do. */
        c->slots = 256;
        c->queue = 4096;
        c->service_ns = QVR_NS_PER_MS;
        c->jitter_sigma = 0.0;
        c->llm.max_seqs = 65536;
        c->llm.kv_tokens = (uint64_t)1 << 40;
        c->llm.jitter_sigma = 0.0;
    }
    return 0;
}

/* ---- flags -------------------------------------------------------------- */

/* Parses a base-10 integer in [lo, hi]. Returns 0 or -1. */
static int parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    long v;

    if (*s == '\0' || isspace((unsigned char)*s))
        return -1;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/* Parses a probability: "0.05" or "5%", in [0, 1]. Returns 0 or -1. */
static int parse_prob(const char *s, double *out)
{
    char *end;
    double v;

    if (*s == '\0' || isspace((unsigned char)*s))
        return -1;
    errno = 0;
    v = strtod(s, &end);
    if (errno != 0 || end == s)
        return -1;
    if (*end == '%') {
        v /= 100.0;
        end++;
    }
    if (*end != '\0' || !isfinite(v) || v < 0.0 || v > 1.0)
        return -1;
    *out = v;
    return 0;
}

/* Parses "P/min" where P is a fraction or percentage ("2%/min",
 * "0.02/min"); "/h" and "/s" rates are converted, a bare "P" is per
 * minute. Returns 0 or -1. */
static int parse_leak(const char *s, double *out)
{
    char num[64], *end;
    const char *slash = strchr(s, '/');
    size_t n = slash != NULL ? (size_t)(slash - s) : strlen(s);
    double v, per = 1.0;

    if (n == 0 || n >= sizeof(num))
        return -1;
    memcpy(num, s, n);
    num[n] = '\0';
    if (slash != NULL) {
        const char *u = slash + 1;

        if (strcmp(u, "min") == 0 || strcmp(u, "m") == 0)
            per = 1.0;
        else if (strcmp(u, "h") == 0)
            per = 1.0 / 60.0;
        else if (strcmp(u, "s") == 0)
            per = 60.0;
        else
            return -1;
    }
    if (isspace((unsigned char)num[0]))
        return -1;
    errno = 0;
    v = strtod(num, &end);
    if (errno != 0 || end == num)
        return -1;
    if (*end == '%') {
        v /= 100.0;
        end++;
    }
    if (*end != '\0' || !isfinite(v) || v < 0.0)
        return -1;
    *out = v * per;
    return 0;
}

/* Parses "ADDR[:PORT]", ":PORT", "PORT", "[V6ADDR]:PORT" or a bare IPv6
 * address into c->host and c->port. Returns 0 or -1. */
static int parse_listen(const char *s, struct qvr_mock_config *c)
{
    const char *host = s, *port = NULL, *colon;
    size_t hlen;
    long p;

    if (*s == '[') {
        const char *close = strchr(s, ']');

        if (close == NULL)
            return -1;
        host = s + 1;
        hlen = (size_t)(close - host);
        if (close[1] == ':')
            port = close + 2;
        else if (close[1] != '\0')
            return -1;
    } else if ((colon = strchr(s, ':')) != NULL && strchr(colon + 1, ':')) {
        hlen = strlen(s); /* a bare IPv6 address, no port */
    } else if (colon != NULL) {
        hlen = (size_t)(colon - s);
        port = colon + 1;
    } else if (parse_long(s, 0, 65535, &p) == 0) {
        hlen = 0;
        port = s;
    } else {
        hlen = strlen(s);
    }
    if (hlen >= sizeof(c->host))
        return -1;
    if (port != NULL) {
        if (parse_long(port, 0, 65535, &p) != 0)
            return -1;
        c->port = (int)p;
    }
    if (hlen > 0) {
        memcpy(c->host, host, hlen);
        c->host[hlen] = '\0';
    } else if (port == NULL) {
        return -1;
    }
    return 0;
}

/* Splits argv[*i] into a flag name and its value ("--x=v" or "--x v"),
 * advancing *i past a separate value. Returns 0 or -1 (no value). */
static int flag_value(int argc, char **argv, int *i, char *name, size_t nlen,
                      const char **value)
{
    const char *a = argv[*i], *eq = strchr(a, '=');

    if (eq != NULL) {
        size_t n = (size_t)(eq - a);

        if (n >= nlen)
            n = nlen - 1;
        memcpy(name, a, n);
        name[n] = '\0';
        *value = eq + 1;
        return 0;
    }
    snprintf(name, nlen, "%s", a);
    if (*i + 1 >= argc)
        return -1;
    *i += 1;
    *value = argv[*i];
    return 0;
}

/* The LLM routes' flags. Returns 0, -1 (bad value) or -2 (unknown). */
static int set_llm_flag(struct qvr_mock_config *c, const char *name,
                        const char *v)
{
    static const struct {
        const char *flag;
        size_t off;
    } rates[] = {
        {"--stream-cut", offsetof(struct qvr_mock_config, cut_rate)},
        {"--stream-error", offsetof(struct qvr_mock_config, stream_error_rate)},
        {"--stream-malformed",
         offsetof(struct qvr_mock_config, malformed_rate)},
        {"--stream-hang", offsetof(struct qvr_mock_config, hang_rate)},
        {"--stream-endless", offsetof(struct qvr_mock_config, endless_rate)},
        {"--stream-huge", offsetof(struct qvr_mock_config, huge_rate)},
    };
    uint64_t ns;
    size_t i;
    long n;

    for (i = 0; i < QVR_ARRAY_LEN(rates); i++) {
        if (strcmp(name, rates[i].flag) == 0)
            return parse_prob(v, (double *)((char *)c + rates[i].off));
    }
    if (strcmp(name, "--max-seqs") == 0) {
        if (parse_long(v, 1, 1000000, &n) != 0)
            return -1;
        c->llm.max_seqs = (int)n;
    } else if (strcmp(name, "--kv-tokens") == 0) {
        if (parse_long(v, 1, 1000000000000L, &n) != 0)
            return -1;
        c->llm.kv_tokens = (uint64_t)n;
    } else if (strcmp(name, "--answer-tokens") == 0) {
        if (parse_long(v, 1, QVR_MOCK_LLM_MAX_TOKENS / 2, &n) != 0)
            return -1;
        c->answer_tokens = (uint64_t)n;
    } else if (strcmp(name, "--ttft") == 0 || strcmp(name, "--itl") == 0) {
        if (qvr_duration_parse(v, &ns) != 0 ||
            (ns == 0 && strcmp(name, "--itl") == 0))
            return -1;
        if (!c->llm.fixed) {
            c->llm.fixed = 1;
            c->llm.ttft_ns = c->llm.itl_ns = ns;
        }
        if (strcmp(name, "--ttft") == 0)
            c->llm.ttft_ns = ns;
        else
            c->llm.itl_ns = ns;
        c->llm.jitter_sigma = 0.0;
    } else if (strcmp(name, "--model") == 0) {
        if (*v == '\0' || strlen(v) >= sizeof(c->model))
            return -1;
        snprintf(c->model, sizeof(c->model), "%s", v);
    } else {
        return -2;
    }
    return 0;
}

static int set_flag(struct qvr_mock_config *c, const char *name, const char *v)
{
    long n;

    if (strcmp(name, "--listen") == 0)
        return parse_listen(v, c);
    if (strcmp(name, "--slots") == 0) {
        if (parse_long(v, 1, 65536, &n) != 0)
            return -1;
        c->slots = (int)n;
    } else if (strcmp(name, "--batch") == 0) {
        if (parse_long(v, 1, 1024, &n) != 0)
            return -1;
        c->batch = (int)n;
    } else if (strcmp(name, "--queue") == 0) {
        if (parse_long(v, 0, 1000000, &n) != 0)
            return -1;
        c->queue = (int)n;
    } else if (strcmp(name, "--max-docs") == 0) {
        if (parse_long(v, 1, 1000000, &n) != 0)
            return -1;
        c->max_docs = (int)n;
    } else if (strcmp(name, "--seed") == 0) {
        char *end;

        if (!isdigit((unsigned char)*v))
            return -1;
        errno = 0;
        c->seed = strtoull(v, &end, 10);
        if (errno != 0 || *end != '\0')
            return -1;
    } else if (strcmp(name, "--service") == 0) {
        if (qvr_duration_parse(v, &c->service_ns) != 0 || c->service_ns == 0)
            return -1;
        c->jitter_sigma = 0.0;
    } else if (strcmp(name, "--error-rate") == 0) {
        return parse_prob(v, &c->error_rate);
    } else if (strcmp(name, "--drop") == 0) {
        return parse_prob(v, &c->drop_rate);
    } else if (strcmp(name, "--garbage") == 0) {
        return parse_prob(v, &c->garbage_rate);
    } else if (strcmp(name, "--leak") == 0) {
        return parse_leak(v, &c->leak_per_min);
    } else if (strcmp(name, "--stall") == 0) {
        char d[64];
        const char *slash = strchr(v, '/');

        if (slash == NULL || (size_t)(slash - v) >= sizeof(d))
            return -1;
        memcpy(d, v, (size_t)(slash - v));
        d[slash - v] = '\0';
        if (qvr_duration_parse(d, &c->stall_ns) != 0 ||
            qvr_duration_parse(slash + 1, &c->stall_period_ns) != 0 ||
            c->stall_ns == 0 || c->stall_ns >= c->stall_period_ns)
            return -1;
    } else {
        return set_llm_flag(c, name, v);
    }
    return 0;
}

/* What each flag expects, for the error line. */
static const char *flag_hint(const char *name)
{
    static const struct {
        const char *flag, *hint;
    } hints[] = {
        {"--listen", "ADDR[:PORT], e.g. 127.0.0.1:7860 or :0"},
        {"--profile", "h100-qwen3vl-8b, h100-qwen3vl-8b-batch or fast"},
        {"--slots", "an integer from 1 to 65536"},
        {"--batch", "an integer from 1 to 1024"},
        {"--queue", "an integer from 0 to 1000000"},
        {"--max-docs", "an integer from 1 to 1000000"},
        {"--seed", "a non-negative integer"},
        {"--service", "a duration above 0, e.g. 100ms"},
        {"--error-rate", "a fraction or percentage, e.g. 0.05 or 5%"},
        {"--drop", "a fraction or percentage, e.g. 0.05 or 5%"},
        {"--garbage", "a fraction or percentage, e.g. 0.05 or 5%"},
        {"--leak", "a rate such as 2%/min"},
        {"--stall", "DURATION/PERIOD with DURATION < PERIOD, e.g. 1s/10s"},
        {"--max-seqs", "an integer from 1 to 1000000"},
        {"--kv-tokens", "a positive integer"},
        {"--answer-tokens", "an integer from 1 to 65536"},
        {"--ttft", "a duration, e.g. 20ms"},
        {"--itl", "a duration above 0, e.g. 5ms"},
        {"--model", "a name of at most 63 bytes"},
    };
    size_t i;

    for (i = 0; i < QVR_ARRAY_LEN(hints); i++) {
        if (strcmp(name, hints[i].flag) == 0)
            return hints[i].hint;
    }
    if (strncmp(name, "--stream-", 9) == 0)
        return "a fraction or percentage, e.g. 0.05 or 5%";
    return "a value";
}

int qvr_mock_parse_args(struct qvr_mock_config *c, int argc, char **argv,
                        char *err, unsigned long errlen)
{
    char name[32];
    const char *v;
    int i, pass, r;

    if (errlen > 0)
        err[0] = '\0';
    /* Pass 0 applies --profile, pass 1 the rest, so explicit flags win
     * over the profile's defaults in any order. */
    for (pass = 0; pass < 2; pass++) {
        for (i = 0; i < argc; i++) {
            const char *a = argv[i];

            if (strncmp(a, "--", 2) != 0 || a[2] == '\0') {
                snprintf(err, errlen, "unexpected argument '%s'", a);
                return QVR_EINVAL;
            }
            if (flag_value(argc, argv, &i, name, sizeof(name), &v) != 0) {
                if (strcmp(flag_hint(name), "a value") == 0)
                    snprintf(err, errlen, "unknown flag %s", name);
                else
                    snprintf(err, errlen, "%s needs a value (%s)", name,
                             flag_hint(name));
                return QVR_EINVAL;
            }
            if (strcmp(name, "--profile") == 0) {
                if (pass == 0 && qvr_mock_config_profile(c, v) != 0) {
                    snprintf(err, errlen,
                             "--profile: unknown profile '%s' "
                             "(expected %s)",
                             v, flag_hint(name));
                    return QVR_EINVAL;
                }
                continue;
            }
            if (pass == 0)
                continue;
            r = set_flag(c, name, v);
            if (r == -2) {
                snprintf(err, errlen, "unknown flag %s", name);
                return QVR_EINVAL;
            }
            if (r != 0) {
                snprintf(err, errlen, "%s: bad value '%s' (expected %s)", name,
                         v, flag_hint(name));
                return QVR_EINVAL;
            }
        }
    }
    return 0;
}

/* ---- tokens and the pass-time model ------------------------------------- */

uint64_t qvr_mock_text_tokens(const char *s)
{
    uint64_t words = 0;
    int in = 0;

    if (s == NULL)
        return 0;
    for (; *s != '\0'; s++) {
        if (isspace((unsigned char)*s)) {
            in = 0;
        } else if (!in) {
            in = 1;
            words++;
        }
    }
    /* ceil(1.3 x words) in integers */
    return (words * 13 + 9) / 10;
}

uint64_t qvr_mock_pass_ns(const struct qvr_mock_config *c,
                          const struct qvr_mock_work *const *works, int n)
{
    uint64_t docs = 0, longest = 0;
    double eff = 1.0, ns;
    int i;

    if (c->service_ns > 0)
        return c->service_ns;
    for (i = 0; i < n; i++) {
        docs += (uint64_t)works[i]->docs;
        if (works[i]->pair_tokens > longest)
            longest = works[i]->pair_tokens;
    }
    if (c->batch > 1 && n >= 1)
        eff = BATCH_EFF_SCALE * pow((double)n, -BATCH_EFF_EXP);
    ns = (double)BASE_NS + NS_PER_TOKEN * (double)(docs * longest) * eff;
    return (uint64_t)llround(ns);
}

/* ---- scores ------------------------------------------------------------- */

/* Words that carry no relevance; skipped when comparing. */
static const char *const stopwords[] = {
    "an",   "and",  "are",  "as",  "at",   "be",   "by",  "for",
    "from", "has",  "have", "in",  "is",   "it",   "its", "of",
    "on",   "or",   "that", "the", "this", "to",   "was", "were",
    "with", "your", "you",  "our", "into", "over", "via", "than",
};

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

static uint64_t fnv1a(const void *p, size_t n, uint64_t h)
{
    const unsigned char *s = p;
    size_t i;

    for (i = 0; i < n; i++) {
        h ^= s[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

#define FNV_INIT 0xcbf29ce484222325ULL

/* A hash of a possibly huge string (a base64 image): its length and its
 * first and last 4 KiB. */
static uint64_t sample_hash(const char *s)
{
    size_t n = strlen(s), k = n < 4096 ? n : 4096;
    uint64_t h = fnv1a(&n, sizeof(n), FNV_INIT);

    h = fnv1a(s, k, h);
    if (n > k)
        h = fnv1a(s + n - k, k, h);
    return h;
}

/* A uniform number in [0, 1) from a hash. */
static double unit_from(uint64_t h)
{
    return (double)(mix64(h) >> 11) * 0x1.0p-53;
}

static int word_char(unsigned char ch)
{
    return isalnum(ch) || ch >= 0x80;
}

static int is_stopword(const char *w, size_t n)
{
    size_t i;

    for (i = 0; i < QVR_ARRAY_LEN(stopwords); i++) {
        if (strlen(stopwords[i]) == n && memcmp(stopwords[i], w, n) == 0)
            return 1;
    }
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

/* The sorted, distinct hashes of the normalised words of s (lowercase,
 * letters/digits/UTF-8 bytes, a plural "s" dropped, stopwords and
 * one-letter words skipped). Returns the count (*out owned by the caller,
 * NULL when 0) or -1 when out of memory. */
static long word_set(const char *s, uint64_t **out)
{
    char w[64];
    uint64_t *set = NULL;
    size_t cap = 0, n = 0, len, i, j;

    *out = NULL;
    if (s == NULL)
        return 0;
    while (*s != '\0') {
        while (*s != '\0' && !word_char((unsigned char)*s))
            s++;
        len = 0;
        while (word_char((unsigned char)*s)) {
            if (len < sizeof(w))
                w[len++] = (char)tolower((unsigned char)*s);
            s++;
        }
        if (len > 3 && w[len - 1] == 's' && w[len - 2] != 's')
            len--;
        if (len < 2 || is_stopword(w, len))
            continue;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            uint64_t *p = realloc(set, ncap * sizeof(*p));

            if (p == NULL) {
                free(set);
                return -1;
            }
            set = p;
            cap = ncap;
        }
        set[n++] = fnv1a(w, len, FNV_INIT);
    }
    if (n > 1) {
        qsort(set, n, sizeof(*set), cmp_u64);
        for (i = 1, j = 1; i < n; i++) {
            if (set[i] != set[j - 1])
                set[j++] = set[i];
        }
        n = j;
    }
    *out = set;
    return (long)n;
}

/* Cosine of two sorted distinct sets, 0 when either is empty. */
static double set_cosine(const uint64_t *a, long na, const uint64_t *b, long nb)
{
    long i = 0, j = 0, both = 0;

    if (na <= 0 || nb <= 0)
        return 0.0;
    while (i < na && j < nb) {
        if (a[i] == b[j]) {
            both++;
            i++;
            j++;
        } else if (a[i] < b[j]) {
            i++;
        } else {
            j++;
        }
    }
    return (double)both / sqrt((double)na * (double)nb);
}

/* The score of a text document given the query's word set: 0.02 +
 * 0.9 x cosine + up to 0.01 of tie-break from the two texts' hashes. */
static double score_text(const uint64_t *q, long nq, uint64_t qh,
                         const char *doc, int *oom)
{
    uint64_t *d;
    long nd = word_set(doc, &d);
    double cos;

    if (nd < 0) {
        *oom = 1;
        return 0.0;
    }
    cos = set_cosine(q, nq, d, nd);
    free(d);
    return 0.02 + 0.9 * cos + 0.01 * unit_from(qh ^ sample_hash(doc));
}

/* An image or video document: a fixed low score from its hash. */
static double score_media(const char *ref)
{
    return 0.02 + 0.1 * unit_from(sample_hash(ref));
}

double qvr_mock_text_score(const char *query, const char *doc)
{
    uint64_t *q;
    long nq = word_set(query, &q);
    double s;
    int oom = 0;

    if (nq < 0)
        return 0.0;
    s = score_text(q, nq, sample_hash(query), doc, &oom);
    free(q);
    return oom ? 0.0 : s;
}

/* ---- request validation ------------------------------------------------- */

/* One query or document after validation: borrowed strings from the JSON
 * tree, NULL when absent. */
struct item {
    const char *text, *image, *video;
};

/* Reads a text|image|video item: a string (text) or an object with at
 * least one of the keys as a string (only "text" unless allow_media).
 * Returns 0, or -1 when it is neither. The strings are borrowed from j. */
static int read_item(const cJSON *j, struct item *it, int allow_media)
{
    static const char *const keys[] = {"text", "image", "video"};
    const char **dst[3];
    int k, any = 0;

    memset(it, 0, sizeof(*it));
    if (cJSON_IsString(j)) {
        it->text = j->valuestring;
        return 0;
    }
    if (!cJSON_IsObject(j))
        return -1;
    dst[0] = &it->text;
    dst[1] = &it->image;
    dst[2] = &it->video;
    for (k = 0; k < (allow_media ? 3 : 1); k++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, keys[k]);

        if (v == NULL || cJSON_IsNull(v))
            continue;
        if (!cJSON_IsString(v))
            return -1;
        *dst[k] = v->valuestring;
        any = 1;
    }
    return any ? 0 : -1;
}

/* Tokens of an item: its text, 256 per image, 256 per video frame. */
static uint64_t item_tokens(const struct item *it, int frames)
{
    uint64_t t = qvr_mock_text_tokens(it->text);

    if (it->image != NULL)
        t += IMAGE_TOKENS;
    if (it->video != NULL)
        t += (uint64_t)IMAGE_TOKENS * (uint64_t)frames;
    return t;
}

static int item_empty(const struct item *it)
{
    return (it->text == NULL || it->text[0] == '\0') &&
           (it->image == NULL || it->image[0] == '\0') &&
           (it->video == NULL || it->video[0] == '\0');
}

void qvr_mock_work_clear(struct qvr_mock_work *w)
{
    if (w == NULL)
        return;
    free(w->scores);
    memset(w, 0, sizeof(*w));
}

int qvr_mock_work_parse(struct qvr_mock_work *w, enum qvr_mock_dialect d,
                        const char *body, size_t len, int max_docs, char *err,
                        unsigned long errlen)
{
    const char *docs_key = d == QVR_MOCK_TEI ? "texts" : "documents";
    cJSON *root = NULL;
    const cJSON *q, *docs, *doc, *j;
    struct item qi, di;
    uint64_t *qset = NULL, qhash, fixed, t;
    long nq = 0;
    double fps = 1.0;
    int frames, n, i, status = 400, oom = 0;
    const char *instruction = DEFAULT_INSTRUCTION;

    memset(w, 0, sizeof(*w));
    w->dialect = d;
    root = cJSON_ParseWithLength(body, len);
    if (root == NULL) {
        snprintf(err, errlen, "request body is not valid JSON");
        goto fail;
    }
    if (!cJSON_IsObject(root)) {
        snprintf(err, errlen, "request body must be a JSON object");
        goto fail;
    }

    q = cJSON_GetObjectItemCaseSensitive(root, "query");
    if (q == NULL || cJSON_IsNull(q)) {
        snprintf(err, errlen, "missing 'query'");
        goto fail;
    }
    if (read_item(q, &qi, d == QVR_MOCK_QWEN3VL) != 0 ||
        (d != QVR_MOCK_QWEN3VL && !cJSON_IsString(q))) {
        snprintf(err, errlen,
                 d == QVR_MOCK_QWEN3VL
                     ? "'query' must be a string or an object "
                       "with text, image or video"
                     : "'query' must be a string");
        goto fail;
    }
    if (item_empty(&qi)) {
        snprintf(err, errlen, "'query' is empty");
        goto fail;
    }

    if (d == QVR_MOCK_QWEN3VL) {
        j = cJSON_GetObjectItemCaseSensitive(root, "instruction");
        if (cJSON_IsString(j)) {
            instruction = j->valuestring;
        } else if (j != NULL && !cJSON_IsNull(j)) {
            snprintf(err, errlen, "'instruction' must be a string");
            goto fail;
        }
        j = cJSON_GetObjectItemCaseSensitive(root, "fps");
        if (j != NULL && !cJSON_IsNull(j)) {
            if (!cJSON_IsNumber(j) || !isfinite(j->valuedouble) ||
                j->valuedouble <= 0.0) {
                snprintf(err, errlen, "'fps' must be a positive number");
                goto fail;
            }
            fps = j->valuedouble;
        }
    }
    frames = fps >= MAX_VIDEO_FRAMES ? MAX_VIDEO_FRAMES : (int)ceil(fps);
    if (frames < 1)
        frames = 1;

    docs = cJSON_GetObjectItemCaseSensitive(root, docs_key);
    if (docs == NULL || cJSON_IsNull(docs)) {
        snprintf(err, errlen, "missing '%s'", docs_key);
        goto fail;
    }
    if (!cJSON_IsArray(docs)) {
        snprintf(err, errlen, "'%s' must be an array", docs_key);
        goto fail;
    }
    n = cJSON_GetArraySize(docs);
    if (n == 0) {
        snprintf(err, errlen, "'%s' is empty", docs_key);
        goto fail;
    }
    if (n > max_docs) {
        snprintf(err, errlen, "%d documents exceed the limit of %d", n,
                 max_docs);
        status = 413;
        goto fail;
    }

    w->top_n = n;
    if (d == QVR_MOCK_COHERE) {
        j = cJSON_GetObjectItemCaseSensitive(root, "top_n");
        if (j != NULL && !cJSON_IsNull(j)) {
            if (!cJSON_IsNumber(j) || j->valuedouble < 1.0 ||
                j->valuedouble != floor(j->valuedouble)) {
                snprintf(err, errlen, "'top_n' must be a positive integer");
                goto fail;
            }
            if (j->valuedouble < (double)n)
                w->top_n = (int)j->valuedouble;
        }
    }

    w->scores = calloc((size_t)n, sizeof(*w->scores));
    nq = word_set(qi.text, &qset);
    if (w->scores == NULL || nq < 0) {
        snprintf(err, errlen, "out of memory");
        status = 500;
        goto fail;
    }
    qhash = qi.text != NULL ? sample_hash(qi.text) : FNV_INIT;
    fixed = TEMPLATE_TOKENS + qvr_mock_text_tokens(instruction) +
            item_tokens(&qi, frames);
    i = 0;
    cJSON_ArrayForEach(doc, docs)
    {
        int media = d == QVR_MOCK_QWEN3VL;

        if (read_item(doc, &di, media) != 0 ||
            (d == QVR_MOCK_TEI && !cJSON_IsString(doc))) {
            snprintf(err, errlen,
                     d == QVR_MOCK_QWEN3VL
                         ? "%s[%d] must be text, image or video"
                     : d == QVR_MOCK_COHERE
                         ? "%s[%d] must be a string or {\"text\": ...}"
                         : "%s[%d] must be a string",
                     docs_key, i);
            goto fail;
        }
        t = fixed + item_tokens(&di, frames);
        if (t > w->pair_tokens)
            w->pair_tokens = t;
        if (di.text != NULL)
            w->scores[i] = score_text(qset, nq, qhash, di.text, &oom);
        else
            w->scores[i] = score_media(di.image != NULL ? di.image : di.video);
        if (oom) {
            snprintf(err, errlen, "out of memory");
            status = 500;
            goto fail;
        }
        i++;
    }
    w->docs = n;
    free(qset);
    cJSON_Delete(root);
    return 0;

fail:
    free(qset);
    cJSON_Delete(root);
    qvr_mock_work_clear(w);
    w->dialect = d;
    return status;
}
