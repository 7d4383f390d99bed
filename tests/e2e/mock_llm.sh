#!/usr/bin/env bash
# `qvrrun mock`'s LLM routes, read with curl -N: the SSE format of
# /v1/chat/completions and /v1/completions (a role chunk, one chunk per
# token, the finish chunk, the usage chunk only when asked, [DONE]), usage
# counts that match the chunks and the prompt's token count, max_tokens
# honoured, the answer length under a seed, the one-JSON answers, Ollama's
# NDJSON /api/chat, /v1/embeddings, /v1/models, the errors, and the
# qvr_mock_llm_* metrics.
source "$(dirname "$0")/lib.sh"
qvr_tmpdir

stop_mock()
{
    kill -TERM "$MOCK_PID"
    wait "$MOCK_PID" || fail "the mock exited with $?"
}

# sse FILE: checks an SSE body and prints "CONTENT_EVENTS FINISH USAGE"
# (USAGE = prompt/completion/total or "none"); exits 1 on a format error.
sse()
{
    python3 - "$1" <<'EOF'
import json, sys
raw = open(sys.argv[1], "rb").read().decode()
assert raw.endswith("data: [DONE]\n\n"), "no [DONE] at the end"
events = [e for e in raw.split("\n\n") if e]
assert events[-1] == "data: [DONE]"
content, finish, usage, role = 0, None, "none", 0
for e in events[:-1]:
    assert e.startswith("data: "), e[:40]
    d = json.loads(e[6:])
    assert d["object"] in ("chat.completion.chunk", "text_completion"), d
    if d.get("usage"):
        assert d["choices"] == []
        u = d["usage"]
        assert u["total_tokens"] == u["prompt_tokens"] + u["completion_tokens"]
        usage = "%d/%d/%d" % (u["prompt_tokens"], u["completion_tokens"],
                              u["total_tokens"])
        continue
    c = d["choices"][0]
    if c["finish_reason"] is not None:
        finish = c["finish_reason"]
        continue
    if "delta" in c:
        if c["delta"].get("role") == "assistant":
            role += 1
            assert c["delta"]["content"] == ""
            continue
        text = c["delta"]["content"]
    else:
        text = c["text"]
    assert text.strip() and " " not in text.strip(), text
    content += 1
assert role == (1 if d["object"] == "chat.completion.chunk" else 0)
print(content, finish, usage)
EOF
}

CHAT='{"model":"m1","messages":[{"role":"user","content":"hello big world"}]'

# --- chat, streamed, with usage -----------------------------------------------
start_mock --seed 5 --answer-tokens 40
curl -sS -N -D "$QVR_TMP/h" -o "$QVR_TMP/s" -X POST \
    -H 'Content-Type: application/json' "$MOCK_URL/v1/chat/completions" \
    --data-binary "$CHAT"',"max_tokens":7,"stream":true,"stream_options":{"include_usage":true}}'
assert_contains "$QVR_TMP/h" "Content-Type: text/event-stream" "an SSE answer"
# prompt: 1 BOS + 4 assistant header + 5 per message + ceil(1.3 x 3 words)
assert_eq "$(sse "$QVR_TMP/s")" "7 length 14/7/21" \
    "7 content chunks, finish 'length', usage 14 + 7 = 21"
assert_eq "$(grep -c '"model":"m1"' "$QVR_TMP/s")" 10 "the request's model in every chunk"

# --- without stream_options: no usage chunk ------------------------------------
curl -sS -N -o "$QVR_TMP/s" -X POST "$MOCK_URL/v1/chat/completions" \
    --data-binary "$CHAT"',"max_tokens":3,"stream":true}'
assert_eq "$(sse "$QVR_TMP/s")" "3 length none" "no usage chunk unless asked"

# --- no max_tokens: a seeded length, 20..60 for --answer-tokens 40 --------------
curl -sS -N -o "$QVR_TMP/s1" -X POST "$MOCK_URL/v1/chat/completions" \
    --data-binary "$CHAT"',"stream":true,"stream_options":{"include_usage":true}}'
read -r n1 f1 u1 <<<"$(sse "$QVR_TMP/s1")"
assert_ge "$n1" 20 "an answer of at least 20 tokens ($n1)"
assert_le "$n1" 60 "and at most 60"
assert_eq "$f1" stop "finish 'stop' when max_tokens was not the limit"
assert_eq "$u1" "14/$n1/$((14 + n1))" "usage counts the chunks"
stop_mock
start_mock --seed 5 --answer-tokens 40
for i in 1 2; do # the same draws as the first two requests above
    curl -sS -o /dev/null -X POST "$MOCK_URL/v1/chat/completions" \
        --data-binary "$CHAT"',"max_tokens":1}'
done
curl -sS -N -o "$QVR_TMP/s1b" -X POST "$MOCK_URL/v1/chat/completions" \
    --data-binary "$CHAT"',"stream":true}'
curl -sS -N -o "$QVR_TMP/s2" -X POST "$MOCK_URL/v1/chat/completions" \
    --data-binary "$CHAT"',"stream":true}'
read -r n1b _ _ <<<"$(sse "$QVR_TMP/s1b")"
read -r n2 _ _ <<<"$(sse "$QVR_TMP/s2")"
assert_eq "$n1b" "$n1" "the same seed gives the third request the same length"
[[ "$n2" != "$n1" ]] || fail "the next request has another length ($n2)"
stop_mock

# --- completions, streamed and not; chat not streamed ---------------------------
start_mock --answer-tokens 10
curl -sS -N -o "$QVR_TMP/s" -X POST "$MOCK_URL/v1/completions" \
    --data-binary '{"prompt":"one two three","max_tokens":4,"stream":true,"stream_options":{"include_usage":true}}'
assert_eq "$(sse "$QVR_TMP/s")" "4 length 5/4/9" "completions: 4 text chunks, prompt 1 + ceil(3.9)"
curl -sS -o "$QVR_TMP/j" -X POST "$MOCK_URL/v1/completions" \
    --data-binary '{"prompt":[1,2,3,4,5,6],"max_tokens":9}'
assert_eq "$(json_get "$QVR_TMP/j" 'd["object"], len(d["choices"][0]["text"].split()), d["usage"]["prompt_tokens"], d["usage"]["completion_tokens"], d["choices"][0]["finish_reason"]')" \
    "('text_completion', 9, 6, 9, 'length')" "completions JSON: 9 words, 6 token ids"
curl -sS -o "$QVR_TMP/j" -X POST "$MOCK_URL/v1/chat/completions" \
    --data-binary "$CHAT"',"max_completion_tokens":6}'
assert_eq "$(json_get "$QVR_TMP/j" 'd["object"], d["choices"][0]["message"]["role"], len(d["choices"][0]["message"]["content"].split()), d["usage"]["total_tokens"]')" \
    "('chat.completion', 'assistant', 6, 20)" "chat JSON: 6 words, usage 14 + 6"
curl -sS -o "$QVR_TMP/j" -X POST "$MOCK_URL/v1/chat/completions" \
    --data-binary "$CHAT"'}'
n=$(json_get "$QVR_TMP/j" 'd["usage"]["completion_tokens"]')
assert_ge "$n" 5 "--answer-tokens 10: 5..15 tokens ($n)"
assert_le "$n" 15 "--answer-tokens 10: at most 15"
assert_eq "$(json_get "$QVR_TMP/j" 'len(d["choices"][0]["message"]["content"].split())')" "$n" \
    "content words = completion_tokens"

# --- Ollama /api/chat: NDJSON by default ----------------------------------------
curl -sS -N -D "$QVR_TMP/h" -o "$QVR_TMP/nd" -X POST "$MOCK_URL/api/chat" \
    --data-binary '{"model":"llama3","messages":[{"role":"user","content":"hi"}],"options":{"num_predict":5}}'
assert_contains "$QVR_TMP/h" "Content-Type: application/x-ndjson" "NDJSON"
assert_eq "$(python3 - "$QVR_TMP/nd" <<'EOF'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
ds = [json.loads(l) for l in lines]
assert all(not d["done"] for d in ds[:-1]) and ds[-1]["done"]
assert all(d["model"] == "llama3" for d in ds)
print(len(ds) - 1, ds[-1]["eval_count"], ds[-1]["prompt_eval_count"],
      ds[-1]["done_reason"])
EOF
)" "5 5 12 length" "5 token lines, then done with eval_count 5"

# --- embeddings and models -------------------------------------------------------
curl -sS -o "$QVR_TMP/j" -X POST "$MOCK_URL/v1/embeddings" \
    --data-binary '{"input":["a","b c"],"dimensions":16}'
assert_eq "$(json_get "$QVR_TMP/j" '[len(e["embedding"]) for e in d["data"]], round(sum(x * x for x in d["data"][1]["embedding"]), 3), d["usage"]["prompt_tokens"]')" \
    "([16, 16], 1.0, 7)" "2 unit vectors of 16, 7 prompt tokens"
curl -sS -o "$QVR_TMP/j" "$MOCK_URL/v1/models"
assert_eq "$(json_get "$QVR_TMP/j" 'd["data"][0]["id"]')" qvr-mock-llama-3.1-8b "/v1/models"

# --- errors: OpenAI error objects, one line ---------------------------------------
err()
{
    curl -sS -o "$QVR_TMP/e" -w '%{http_code}' -X "${3:-POST}" "$MOCK_URL$1" \
        --data-binary "$2"
    printf ' %s\n' "$(json_get "$QVR_TMP/e" 'd["error"]["type"] if isinstance(d["error"], dict) else d["error"]')"
}
assert_eq "$(err /v1/chat/completions '{"messages":[]}')" "400 BadRequestError" "empty messages"
assert_eq "$(err /v1/chat/completions "$CHAT"',"max_tokens":131070}')" "400 BadRequestError" \
    "past the context length"
assert_eq "$(err /v1/chat/completions "$CHAT"',"stream_options":{"include_usage":true}}')" \
    "400 BadRequestError" "stream_options without stream"
assert_eq "$(err /v1/chat/completions "$CHAT"'}' GET)" "405 method not allowed" "GET is 405"
assert_eq "$(err /api/chat '{"messages":[{"role":"user","content":"x"}]}')" \
    "400 model is required" "Ollama's error"
curl -sS -o "$QVR_TMP/m" "$MOCK_URL/metrics"
assert_contains "$QVR_TMP/m" "qvr_mock_llm_tokens_total $((4 + 9 + 6 + n + 5))" \
    "tokens_total counts every token of this mock"
assert_contains "$QVR_TMP/m" "qvr_mock_llm_running 0" "nothing runs at the end"
assert_contains "$QVR_TMP/m" "qvr_mock_llm_streams 0" "no stream left open"
stop_mock

# --- the KV cache bounds a request -------------------------------------------------
start_mock --kv-tokens 100
assert_eq "$(err /v1/chat/completions "$CHAT"',"max_tokens":90}')" "400 BadRequestError" \
    "14 + 90 tokens do not fit in 100"
curl -sS -o "$QVR_TMP/j" -X POST "$MOCK_URL/v1/chat/completions" \
    --data-binary "$CHAT"',"max_tokens":86}'
assert_eq "$(json_get "$QVR_TMP/j" 'd["usage"]["completion_tokens"]')" 86 "14 + 86 fit"
stop_mock

# --- target = "mock": the in-process mock serves them too, with mock = {} ----
run_qvrrun "$QVR_SRC_DIR/tests/e2e/scenarios/llm_mock.lua" --quiet --no-plots \
    --out "$QVR_TMP/run" -e MAXT=10
S=$QVR_TMP/run/summary.json
assert_eq "$RC" 0 "target = \"mock\": exit 0"
assert_eq "$(json_get "$S" 'd["target"]["kind"]')" mock "the built-in mock"
assert_ge "$(json_get "$S" 'd["totals"]["requests"]')" 40 "answers came"
assert_eq "$(json_get "$S" 'd["totals"]["failures"]')" 0 "every usage as asked"
# 10 ms to the first token, then 9 x 1 ms (never less; a busy box adds)
p50=$(json_get "$S" 'd["totals"]["latency_ms"]["p50"]')
assert_ge "$p50" 18.9 "p50 >= ttft + 9 x itl from the scenario's mock flags ($p50)"
assert_le "$p50" 26 "p50 not far above 19 ms"
finish
