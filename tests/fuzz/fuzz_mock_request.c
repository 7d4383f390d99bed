/* fuzz_mock_request.c -- libFuzzer target for the mock's request parsers,
 * qvr_mock_work_parse (core/mock/mock_model.c) and qvr_mock_llm_req_parse
 * (core/mock/mock_llm.c), which read every request body `qvrrun mock` receives
 * from the network.
 *
 * Input: byte 0 below 0x80 picks the rerank dialect (qwen3vl, cohere,
 * tei), byte 1 the document limit (1..64); byte 0 from 0x80 picks an LLM
 * API (chat, completions, embeddings, Ollama chat) and byte 1 is unused.
 * The rest is the request body (not NUL-terminated: the parsers must go by
 * its length). An LLM request that parses has its prompt + max_tokens
 * within the context, include_usage only with stream, embeddings with 1
 * or more inputs of 1..4096 dimensions; one that does not is a 400 with a
 * one-line reason. Checked beyond memory safety for the rerank dialects
 * (aborting when it does not hold):
 *   - 0 means 1..max_docs documents, a score in [0, 1] for each, top_n in
 *     1..docs, pair_tokens > 0, and a finite positive pass time;
 *   - otherwise the status is 400, 413 or 500 with a one-line reason, and
 *     the work is empty;
 *   - qvr_mock_work_clear empties the work and may be called twice. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock.h"
#include "qvr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FM_MAX_INPUT (256u * 1024u)

static void fm_check(int ok, const char *what, int dialect)
{
    if (ok)
        return;
    fprintf(stderr, "fuzz_mock_request: %s (dialect %d)\n", what, dialect);
    abort();
}

/* The LLM request parser: byte 0 & 0x7f picks the API. */
static int fm_llm(const uint8_t *data, size_t size)
{
    struct qvr_mock_llm_req r;
    enum qvr_mock_llm_api api =
        (enum qvr_mock_llm_api)((data[0] & 0x7f) % QVR_MOCK_LLM_NAPI);
    char err[256], *body = malloc(size > 2 ? size - 2 : 1);
    int rc;

    if (body == NULL)
        return 0;
    memcpy(body, data + 2, size - 2);
    memset(&r, 0x5a, sizeof(r));
    err[0] = '\0';
    rc = qvr_mock_llm_req_parse(&r, api, body, size - 2, err, sizeof(err));
    fm_check(r.api == api, "api not kept", 100 + (int)api);
    if (rc == 0) {
        fm_check(r.prompt_tokens + r.max_tokens <= QVR_MOCK_LLM_MAX_TOKENS,
                 "past the context", 100 + (int)api);
        fm_check((r.stream == 0 || r.stream == 1) &&
                     (!r.include_usage || r.stream),
                 "stream flags", 100 + (int)api);
        fm_check(memchr(r.model, '\0', sizeof(r.model)) != NULL,
                 "model not terminated", 100 + (int)api);
        if (api == QVR_MOCK_LLM_EMBEDDING)
            fm_check(r.inputs >= 1 && r.dims >= 1 &&
                         r.dims <= QVR_MOCK_LLM_MAX_DIMS && !r.stream,
                     "embedding shape", 100 + (int)api);
    } else {
        fm_check(rc == 400, "unexpected status", 100 + (int)api);
        fm_check(err[0] != '\0' && strchr(err, '\n') == NULL,
                 "reason empty or not one line", 100 + (int)api);
    }
    free(body);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const enum qvr_mock_dialect dialects[] = {
        QVR_MOCK_QWEN3VL, QVR_MOCK_COHERE, QVR_MOCK_TEI};
    struct qvr_mock_config cfg;
    struct qvr_mock_work w;
    const struct qvr_mock_work *works[1];
    enum qvr_mock_dialect d;
    char err[256], *body;
    int max_docs, rc, i;
    uint64_t pass;

    if (size < 2 || size > FM_MAX_INPUT)
        return 0;
    if (data[0] & 0x80)
        return fm_llm(data, size);
    d = dialects[data[0] % 3];
    max_docs = 1 + data[1] % 64;
    /* An exact copy, so a read past len is a heap overflow ASan sees. */
    body = malloc(size > 2 ? size - 2 : 1);
    if (body == NULL)
        return 0;
    memcpy(body, data + 2, size - 2);

    memset(&w, 0x5a, sizeof(w));
    err[0] = '\0';
    rc = qvr_mock_work_parse(&w, d, body, size - 2, max_docs, err, sizeof(err));
    fm_check(w.dialect == d, "dialect not kept", (int)d);
    if (rc == 0) {
        fm_check(w.docs >= 1 && w.docs <= max_docs, "docs out of range",
                 (int)d);
        fm_check(w.scores != NULL, "no scores", (int)d);
        for (i = 0; i < w.docs; i++)
            fm_check(isfinite(w.scores[i]) && w.scores[i] >= 0.0 &&
                         w.scores[i] <= 1.0,
                     "score outside [0, 1]", (int)d);
        fm_check(w.top_n >= 1 && w.top_n <= w.docs, "top_n out of range",
                 (int)d);
        fm_check(w.pair_tokens > 0, "no tokens", (int)d);
        qvr_mock_config_init(&cfg);
        works[0] = &w;
        pass = qvr_mock_pass_ns(&cfg, works, 1);
        fm_check(pass > 0 && pass < UINT64_MAX / 2, "pass time not sane",
                 (int)d);
    } else {
        fm_check(rc == 400 || rc == 413 || rc == 500, "unexpected status",
                 (int)d);
        fm_check(err[0] != '\0' && strchr(err, '\n') == NULL,
                 "reason empty or not one line", (int)d);
        fm_check(w.scores == NULL && w.docs == 0, "work not empty", (int)d);
    }
    qvr_mock_work_clear(&w);
    fm_check(w.scores == NULL && w.docs == 0, "clear left work", (int)d);
    qvr_mock_work_clear(&w);
    free(body);
    return 0;
}
