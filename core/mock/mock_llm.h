/* mock_llm.h -- the simulated LLM serving engine of `qvrrun mock`: pure
 * model (no I/O, no clock of its own) of continuous batching on one GPU,
 * and the parser of the OpenAI and Ollama request bodies.
 *
 * The engine is driven with explicit times: the caller submits sequences
 * at `now`, asks when the next token is due (qvr_mock_llm_next_ns), and
 * advances the engine to a time, receiving every token due by then through
 * a callback. mock.c drives it from one libevent timer; the unit tests
 * drive it with a manual clock. docs/mock.md has the model and its
 * calibration. */
#ifndef QVR_MOCK_LLM_H
#define QVR_MOCK_LLM_H

#include <stddef.h>
#include <stdint.h>

/* The serving model's constants (see qvr_mock_llm_config_init). */
struct qvr_mock_llm_config {
    uint64_t step_ns;    /* fixed cost of one engine step (weights read) */
    uint64_t seq_ns;     /* + this per sequence decoded in the step */
    double ctx_ns;       /* + this per context token of those sequences */
    double prefill_ns;   /* + this per prompt token prefilled in the step */
    int max_seqs;        /* running sequences at most (max_num_seqs) */
    uint64_t kv_tokens;  /* KV cache capacity, in tokens */
    int step_tokens;     /* tokens one step may take (max_num_batched_tokens) */
    int max_waiting;     /* waiting sequences before submit says full */
    uint64_t ttft_ns;    /* fixed mode: first token this long after admission */
    uint64_t itl_ns;     /* fixed mode: then one token every itl_ns */
    int fixed;           /* 1 = fixed mode, 0 = the batching model */
    double jitter_sigma; /* lognormal sigma of each step's time; 0 = none */
    uint64_t seed;       /* seed of the jitter */
};

/* Fills c with the defaults calibrated to Llama-3.1-8B (bf16) under vLLM
 * on one H100 80 GB: step 6 ms, 25 us per decoded sequence, 40 ns per
 * context token, 30 us per prefilled token, 1024 sequences, 400,000 KV
 * tokens, 8192 tokens per step, 65536 waiting, jitter 0.02, seed 1. */
void qvr_mock_llm_config_init(struct qvr_mock_llm_config *c);

struct qvr_mock_llm;     /* the engine */
struct qvr_mock_llm_seq; /* one sequence, owned by the engine */

/* Creates an engine; c is copied. Returns NULL when out of memory or when
 * c is invalid (max_seqs, step_tokens < 1, kv_tokens 0). Freed with
 * qvr_mock_llm_free. */
struct qvr_mock_llm *qvr_mock_llm_new(const struct qvr_mock_llm_config *c);

/* Frees e and every sequence it holds (no callbacks). NULL is a no-op. */
void qvr_mock_llm_free(struct qvr_mock_llm *e);

/* Submits a sequence at time now (ns, any epoch, never decreasing across
 * calls): prompt tokens to prefill, then out tokens to decode. out = 0
 * means prefill only (an embedding): one event with index 0 and last set
 * when the prefill ends. endless = 1 never ends the decoding (out is
 * still what its KV reservation counts). user is handed back with each
 * token. Returns the sequence (valid until its last token has been
 * emitted, or until it is cancelled), or NULL when max_waiting sequences
 * already wait (*full = 1) or out of memory (*full = 0). A sequence whose
 * prompt + out exceeds kv_tokens can never run: the caller must refuse
 * it first (qvr_mock_llm_fits). */
struct qvr_mock_llm_seq *qvr_mock_llm_submit(struct qvr_mock_llm *e,
                                             uint64_t now, uint64_t prompt,
                                             uint64_t out, int endless,
                                             void *user, int *full);

/* 1 when a sequence of prompt + out tokens fits in e's KV cache at all. */
int qvr_mock_llm_fits(const struct qvr_mock_llm *e, uint64_t prompt,
                      uint64_t out);

/* Removes s from e (waiting or running) at time now and frees it; its KV
 * is released, so waiting sequences may be admitted (at now in fixed mode
 * or when idle, else at the next step). Must not be called from inside the
 * emit callback (return 1 there instead). */
void qvr_mock_llm_cancel(struct qvr_mock_llm *e, struct qvr_mock_llm_seq *s,
                         uint64_t now);

/* The time at which the next token is due, or UINT64_MAX when idle. */
uint64_t qvr_mock_llm_next_ns(const struct qvr_mock_llm *e);

/* Called for each token: user as submitted, index 1 for the first output
 * token (0 for the end of a prefill-only sequence), at its model time
 * t_ns, last = 1 for the final token (then the sequence is freed after
 * the call). Returns 0 to go on, or 1 to stop the sequence now (it is
 * freed after the call, its KV released). */
typedef int (*qvr_mock_llm_emit_fn)(void *user, uint64_t index, uint64_t t_ns,
                                    int last, void *arg);

/* Runs e up to time now, calling emit for every token due at or before
 * now, in time order. Returns the number of tokens emitted. */
uint64_t qvr_mock_llm_advance(struct qvr_mock_llm *e, uint64_t now,
                              qvr_mock_llm_emit_fn emit, void *arg);

/* Gauges and counters for /metrics. */
struct qvr_mock_llm_stats {
    int running;           /* admitted sequences */
    int waiting;           /* sequences waiting for admission */
    uint64_t kv_used;      /* KV tokens reserved by the running ones */
    uint64_t tokens;       /* output tokens emitted since the start */
    uint64_t prefilled;    /* prompt tokens prefilled since the start */
    uint64_t steps;        /* engine steps run */
    uint64_t last_step_ns; /* duration of the last step */
};

void qvr_mock_llm_stats(const struct qvr_mock_llm *e,
                        struct qvr_mock_llm_stats *st);

/* ---- requests ----------------------------------------------------------- */

enum qvr_mock_llm_api {
    QVR_MOCK_LLM_CHAT = 0,    /* POST /v1/chat/completions */
    QVR_MOCK_LLM_COMPLETION,  /* POST /v1/completions */
    QVR_MOCK_LLM_EMBEDDING,   /* POST /v1/embeddings */
    QVR_MOCK_LLM_OLLAMA_CHAT, /* POST /api/chat (NDJSON stream) */
    QVR_MOCK_LLM_NAPI
};

#define QVR_MOCK_LLM_MAX_TOKENS 131072 /* Llama 3.1's context */
#define QVR_MOCK_LLM_MODEL_LEN 128     /* longest model name kept */
#define QVR_MOCK_LLM_MAX_DIMS 4096
#define QVR_MOCK_LLM_MAX_INPUTS 2048

/* A parsed LLM request: what the engine and the answer need. */
struct qvr_mock_llm_req {
    enum qvr_mock_llm_api api;
    int stream;             /* answer as a stream (SSE or NDJSON) */
    int include_usage;      /* stream_options.include_usage */
    uint64_t prompt_tokens; /* tokens to prefill (see docs/mock.md) */
    uint64_t max_tokens;    /* requested output cap; 0 = none given */
    int inputs;             /* embeddings: inputs in the request */
    int dims;               /* embeddings: vector size */
    uint64_t input_hash;    /* embeddings: hash of the inputs */
    char model[QVR_MOCK_LLM_MODEL_LEN + 1]; /* "" = not given */
};

/* Parses and validates a request body for api, as vLLM (or Ollama) would:
 * a JSON object; messages (chat) as an array of {role, content} with
 * content a string or an array of text/image_url parts; prompt
 * (completions) a string, an array of one string, or an array of token
 * ids; input (embeddings) a string, an array of strings or of token ids;
 * max_tokens / max_completion_tokens (options.num_predict for Ollama) a
 * positive integer up to QVR_MOCK_LLM_MAX_TOKENS; n absent or 1; stream a
 * boolean (Ollama streams unless stream is false). Returns 0 with r
 * filled, or 400 with a one-line reason in err. */
int qvr_mock_llm_req_parse(struct qvr_mock_llm_req *r,
                           enum qvr_mock_llm_api api, const char *body,
                           size_t len, char *err, unsigned long errlen);

#endif
