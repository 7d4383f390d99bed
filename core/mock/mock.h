/* mock.h -- the built-in simulated reranker (`qvrrun mock`, target "mock").
 *
 * An evhttp server on its own event base that answers the three common
 * rerank dialects (Qwen3-VL /api/rerank, Cohere/vLLM/Jina /v1/rerank, TEI
 * /rerank), /health and /metrics, with a GPU-like service model: `slots`
 * workers, optional micro-batching, a bounded FIFO queue (503 when full),
 * service time from the request's padded token count, lognormal jitter from
 * a seeded PRNG, and faults on demand. docs/mock.md describes the model and
 * its calibration.
 *
 * The same server answers the LLM routes (/v1/chat/completions,
 * /v1/completions, /v1/embeddings, /v1/models, Ollama's /api/chat),
 * streaming tokens from a continuous-batching engine (mock_llm.h).
 *
 * Two halves: mock_model.c is pure (configuration, flag parsing, request
 * validation, token counting, the timing model and the scores; no I/O) and
 * is what the unit tests check against the measured points, as is
 * mock_llm.c for the LLM routes; mock.c is the server. */
#ifndef QVR_MOCK_H
#define QVR_MOCK_H

#include <stddef.h>
#include <stdint.h>

#include "mock_llm.h"

enum qvr_mock_profile {
    QVR_MOCK_H100 = 0,   /* "h100-qwen3vl-8b": 1 slot, no batching */
    QVR_MOCK_H100_BATCH, /* "h100-qwen3vl-8b-batch": micro-batching, 16 */
    QVR_MOCK_FAST        /* "fast": 1 ms fixed, 256 slots, for benchmarks */
};

enum qvr_mock_dialect {
    QVR_MOCK_QWEN3VL = 0, /* POST /api/rerank -> {"scores": [...]} */
    QVR_MOCK_COHERE,      /* POST /v1/rerank -> {"results": [...]} */
    QVR_MOCK_TEI          /* POST /rerank -> [{"index", "score"}] */
};

struct qvr_mock_config {
    char host[64]; /* numeric address or name to bind */
    int port;      /* 0 = ephemeral */
    enum qvr_mock_profile profile;
    int slots;                /* concurrent passes (GPU workers) */
    int batch;                /* requests merged into one pass; 1 = none */
    int queue;                /* waiting requests before 503; 0 = none */
    int max_docs;             /* more documents than this -> 413 */
    uint64_t seed;            /* PRNG seed for jitter and faults */
    uint64_t service_ns;      /* fixed pass time; 0 = the profile's model */
    double jitter_sigma;      /* lognormal sigma of the pass time; 0 = none */
    double error_rate;        /* fraction of answers turned into 500s */
    uint64_t stall_ns;        /* answers held this long ... */
    uint64_t stall_period_ns; /* ... once every period; 0 = no stalls */
    double leak_per_min;      /* pass time x (1 + leak x minutes up) */
    double drop_rate;         /* fraction closed without an answer */
    double garbage_rate;      /* fraction answered 200 with broken JSON */
    size_t max_body;          /* request body limit (413 above) */

    /* The LLM routes (/v1/chat/completions, /v1/completions,
     * /v1/embeddings, /v1/models, /api/chat). */
    struct qvr_mock_llm_config llm; /* the serving model */
    uint64_t answer_tokens;         /* mean answer without max_tokens */
    char model[64];                 /* the model /v1/models lists */
    double cut_rate;                /* streams cut (FIN) after some tokens */
    double stream_error_rate;       /* an error event inside the stream */
    double malformed_rate;          /* one event that is not JSON */
    double hang_rate;               /* headers, then no token ever */
    double endless_rate;            /* streams that never end */
    double huge_rate;               /* one event of 1 MiB of content */
};

/* The work of one request, what its pass time is computed from, and its
 * scores. Filled by qvr_mock_work_parse; released by qvr_mock_work_clear. */
struct qvr_mock_work {
    enum qvr_mock_dialect dialect;
    int docs;             /* documents (= pairs scored) */
    uint64_t pair_tokens; /* tokens of the longest pair, template incl. */
    int top_n;            /* results returned (cohere); = docs otherwise */
    double *scores;       /* docs scores in document order, owned */
};

/* Fills c with the defaults: 127.0.0.1:7860, profile h100-qwen3vl-8b,
 * slots 1, batch 1, queue 64, max_docs 32, seed 1, the model's service
 * time, jitter 0.05, no faults, a 64 MiB body limit. */
void qvr_mock_config_init(struct qvr_mock_config *c);

/* Selects a profile by name ("h100-qwen3vl-8b", "h100-qwen3vl-8b-batch",
 * "fast") and applies its slots, batch, queue, service time and jitter.
 * Returns 0, or QVR_EINVAL for an unknown name (c unchanged). */
int qvr_mock_config_profile(struct qvr_mock_config *c, const char *name);

/* The name of profile p (static string). */
const char *qvr_mock_profile_name(enum qvr_mock_profile p);

/* Parses mock flags into c (argv[0] is the first flag, not a program
 * name): --listen ADDR[:PORT] --profile NAME --slots N --batch N --queue N
 * --max-docs N --seed N --service DUR --error-rate P --stall DUR/DUR
 * --leak P/min --drop P --garbage P, each also as --flag=value; P is a
 * fraction ("0.05") or a percentage ("5%"). --profile applies first, so
 * explicit --slots/--batch/--queue/--service win whatever their order.
 * Returns 0, or QVR_EINVAL with a one-line message naming the flag in err
 * (c may then be partly written). "--help" is not a flag here. */
int qvr_mock_parse_args(struct qvr_mock_config *c, int argc, char **argv,
                        char *err, unsigned long errlen);

/* Parses and validates a request body of the given dialect, as a real
 * server does, and computes its work and scores. max_docs bounds the
 * documents. Returns 0 with w filled (the caller releases it with
 * qvr_mock_work_clear), or the HTTP status to answer (400 for a malformed
 * request, 413 for too many documents, 500 when out of memory) with a
 * one-line reason in err and w empty. */
int qvr_mock_work_parse(struct qvr_mock_work *w, enum qvr_mock_dialect d,
                        const char *body, size_t len, int max_docs, char *err,
                        unsigned long errlen);

/* Releases w's scores and empties it; safe on an empty or cleared w. */
void qvr_mock_work_clear(struct qvr_mock_work *w);

/* Token count of a text: ceil(1.3 x whitespace-separated words). */
uint64_t qvr_mock_text_tokens(const char *s);

/* The noise-free time of one pass holding the n requests works[0..n-1]
 * under configuration c: the fixed --service time when set, else the
 * profile's model (docs/mock.md), without jitter, leak or stalls. n >= 1;
 * works are borrowed. */
uint64_t qvr_mock_pass_ns(const struct qvr_mock_config *c,
                          const struct qvr_mock_work *const *works, int n);

/* The lexical relevance of a document text to a query text in [0, 1]:
 * cosine of their word sets plus a small deterministic tie-break. */
double qvr_mock_text_score(const char *query, const char *doc);

struct qvr_mock;

/* Starts the server in-process on its own thread and event base. The
 * socket is bound and listening before this returns (port 0 picks an
 * ephemeral port; see qvr_mock_port). c is copied. The thread blocks all
 * signals, and SIGPIPE is set to ignored if it was at its default (libevent
 * writes with plain writev). Returns the server, to be stopped with
 * qvr_mock_stop, or NULL with a one-line reason in err. */
struct qvr_mock *qvr_mock_start(const struct qvr_mock_config *c, char *err,
                                unsigned long errlen);

/* The bound TCP port of m. */
int qvr_mock_port(const struct qvr_mock *m);

/* Stops m's thread, drops pending requests and frees everything. NULL is a
 * no-op. */
void qvr_mock_stop(struct qvr_mock *m);

/* `qvrrun mock`: binds c's address, prints "qvrrun mock: listening on
 * http://HOST:PORT (profile ...)" on stderr, serves in the foreground until
 * SIGINT or SIGTERM and returns the exit code: 0 after a signal, 3 when the
 * address cannot be bound. The flags are parsed by cli/cmd_mock.c. */
int qvr_mock_serve(const struct qvr_mock_config *c);

#endif
