#!/usr/bin/env bash
# qvr.openai and the LLM scenarios against the token-streaming fixture:
# scenarios/llm-chat.lua streams with usage (the model from GET
# /v1/models), its checks pass, the API key goes out but never into a
# result file; the vision example sends its image as a data: URL (the
# prompt grows by the image's base64); the embeddings example checks one
# vector per input (and has no token keys); the Ollama example reads NDJSON.
source "$(dirname "$0")/lib.sh"
qvr_tmpdir
start_sse_server --ttft 10ms --itl 2ms --tokens 16
KEY=sk-qvr-test-$$-secret
OPENAI_API_KEY=$KEY run_qvrrun "$QVR_SRC_DIR/scenarios/llm-chat.lua" --quiet \
    --target "$SSE_URL" --out "$QVR_TMP/chat" -e RPS=20 -e DURATION=1s
assert_eq "$RC" 0 "llm-chat: exit 0"
S=$QVR_TMP/chat/summary.json
n=$(json_get "$S" 'd["names"]["chat"]["streams"]')
assert_ge "$n" 8 "llm-chat: streams"
assert_eq "$(json_get "$S" 'd["names"]["chat"]["output_tokens"]')" "$((n * 16))" "llm-chat: 16 tokens each, from usage"
assert_eq "$(json_get "$S" 'd["names"]["chat"]["tokens_source"]')" usage "llm-chat: include_usage asked for"
assert_eq "$(json_get "$S" 'sorted(c["name"] for c in d["checks"] if c["passed"] and not c["failed"])')" \
    '["openai /v1/models lists a model", "openai status 200", "openai stream carried tokens"]' \
    "llm-chat: its three checks passed, none failed"
assert_eq "$(json_get "$S" 'd["names"]["models"]["requests"] >= 1')" true "llm-chat: the model asked of /v1/models"
if grep -rq -- "$KEY" "$QVR_TMP/chat"; then fail "the API key is in the results"; fi
pass "the API key is in no result file"
if command -v gnuplot >/dev/null; then
    [[ -s $QVR_TMP/chat/tokens.png ]] || fail "llm-chat: no tokens.png"
    pass "llm-chat: tokens.png drawn"
fi

IMAGE=$QVR_SRC_DIR/examples/data/camera.png
run_qvrrun "$QVR_SRC_DIR/examples/scenarios/llm-vision.lua" --quiet --no-plots \
    --target "$SSE_URL" --out "$QVR_TMP/vis" -e USERS=1 -e DURATION=500ms -e IMAGE="$IMAGE"
assert_eq "$RC" 0 "llm-vision: exit 0"
per=$(json_get "$QVR_TMP/vis/summary.json" 'd["names"]["vision"]["input_tokens"] // d["names"]["vision"]["streams"]')
min=$(($(stat -c %s "$IMAGE") * 4 / 3 / 4))
assert_ge "$per" "$min" "llm-vision: the prompt carries the image as base64 ($per tokens)"

run_qvrrun "$QVR_SRC_DIR/examples/scenarios/llm-embeddings.lua" --quiet \
    --target "$SSE_URL" --out "$QVR_TMP/emb" -e RPS=20 -e DURATION=500ms
assert_eq "$RC" 0 "llm-embeddings: exit 0"
S=$QVR_TMP/emb/summary.json
assert_ge "$(json_get "$S" 'd["names"]["embeddings"]["requests"]')" 8 "llm-embeddings: requests"
assert_eq "$(json_get "$S" 'sum(c["failed"] for c in d["checks"])')" 0 "llm-embeddings: one vector per input, checked"
assert_eq "$(json_get "$S" '"streams" in d["totals"]')" false "llm-embeddings: no stream, no token keys"
[[ -e $QVR_TMP/emb/tokens.png ]] && fail "llm-embeddings: tokens.png without a stream"
pass "llm-embeddings: no tokens.png"

start_sse_server --ttft 10ms --itl 2ms --tokens 8 --format ndjson
run_qvrrun "$QVR_SRC_DIR/examples/scenarios/llm-ollama.lua" --quiet --no-plots \
    --target "$SSE_URL" --out "$QVR_TMP/oll" -e DURATION=500ms
assert_eq "$RC" 0 "llm-ollama: exit 0"
S=$QVR_TMP/oll/summary.json
assert_eq "$(json_get "$S" 'd["totals"]["output_tokens"]')" \
    "$(json_get "$S" 'd["totals"]["streams"] * 8')" "llm-ollama: eval_count tokens"
finish
