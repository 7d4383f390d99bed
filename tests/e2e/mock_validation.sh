#!/usr/bin/env bash
# `qvrrun mock` as a real server, checked with the curl CLI: every
# validation status (400 with a JSON error, 413, 405 with Allow, 404), the
# shape and order of each dialect's answer, the timing headers, /health and
# /metrics counting what was answered, and the command line itself (bad
# flag -> 2 naming it, taken port -> 3, SIGTERM -> 0).
source "$(dirname "$0")/lib.sh"
qvr_tmpdir

# req METHOD PATH [BODY]: one request; the body lands in $QVR_TMP/body,
# the headers in $QVR_TMP/hdr; prints the status.
req()
{
    local args=(-sS -o "$QVR_TMP/body" -D "$QVR_TMP/hdr" -w '%{http_code}'
        -X "$1" -H 'Content-Type: application/json')
    if [[ $# -ge 3 ]]; then
        args+=(--data-binary "$3")
    fi
    if [[ "$1" == HEAD ]]; then
        args=(-sS -I -o "$QVR_TMP/body" -D "$QVR_TMP/hdr" -w '%{http_code}')
    fi
    curl "${args[@]}" "$MOCK_URL$2"
}

# hdr NAME: the value of a header of the last answer.
hdr()
{
    tr -d '\r' <"$QVR_TMP/hdr" |
        awk -v n="$(tr 'A-Z' 'a-z' <<<"$1")" -F': ' \
            'tolower($1) == n { print $2; exit }'
}

# assert_has STRING SUBSTRING MSG: STRING contains SUBSTRING.
assert_has()
{
    if [[ "$1" == *"$2"* ]]; then
        pass "$3"
    else
        fail "$3: '$2' not in '$1'"
    fi
}

# body_error: the "error" string of the last JSON body ("" if none).
body_error()
{
    python3 -c 'import json, sys
try:
    print(json.load(open(sys.argv[1])).get("error", ""))
except Exception:
    print("")' "$QVR_TMP/body"
}

# --- the command line --------------------------------------------------------
run_qvrrun mock --help
assert_eq "$RC" 0 "mock --help exits 0"
assert_contains "$QVR_STDOUT" "--stall DUR/PERIOD" "--help lists the faults"
run_qvrrun mock --slots 0
assert_eq "$RC" 2 "a bad flag exits 2"
assert_eq "$(wc -l <"$QVR_STDERR")" 1 "with one line"
assert_contains "$QVR_STDERR" "--slots" "naming the flag"
run_qvrrun mock --frobnicate 3
assert_eq "$RC" 2 "an unknown flag exits 2"
assert_contains "$QVR_STDERR" "--frobnicate" "naming it"
run_qvrrun mock --error-rate 2
assert_eq "$RC" 2 "a rate above 1 exits 2"

start_mock --service 2ms --max-docs 5
assert_contains "$MOCK_ERR" "profile h100-qwen3vl-8b, 1 slot, batch 1, queue 64, max-docs 5" \
    "the banner states the configuration"
port=${MOCK_URL##*:}
run_qvrrun mock --listen "127.0.0.1:$port"
assert_eq "$RC" 3 "a taken port exits 3"
assert_contains "$QVR_STDERR" "Address already in use" "and says why"

# --- validation: METHOD|PATH|BODY|STATUS|ERROR-SUBSTRING ----------------------
ok='{"query":"q","documents":["a"]}'
cases=(
    "POST|/api/rerank|$ok|200|"
    'POST|/api/rerank|{"query":|400|JSON'
    'POST|/api/rerank|not json at all|400|JSON'
    'POST|/api/rerank|[1,2,3]|400|object'
    'POST|/api/rerank|{"documents":["a"]}|400|query'
    'POST|/api/rerank|{"query":"","documents":["a"]}|400|query'
    'POST|/api/rerank|{"query":{"text":""},"documents":["a"]}|400|query'
    'POST|/api/rerank|{"query":{"audio":"x"},"documents":["a"]}|400|query'
    'POST|/api/rerank|{"query":"q"}|400|documents'
    'POST|/api/rerank|{"query":"q","documents":[]}|400|documents'
    'POST|/api/rerank|{"query":"q","documents":["a",{"audio":"x.wav"}]}|400|documents[1]'
    'POST|/api/rerank|{"query":"q","documents":[3]}|400|documents[0]'
    'POST|/api/rerank|{"query":"q","documents":["a"],"fps":"fast"}|400|fps'
    'POST|/api/rerank|{"query":"q","documents":["a"],"fps":0}|400|fps'
    'POST|/api/rerank|{"query":"q","documents":["a","b","c","d","e","f"]}|413|limit of 5'
    'POST|/v1/rerank|{"query":"q","documents":["a","b","c","d","e","f"]}|413|limit of 5'
    'POST|/rerank|{"query":"q","texts":["a","b","c","d","e","f"]}|413|limit of 5'
    'POST|/v1/rerank|{"query":"q","documents":["a"],"top_n":-2}|400|top_n'
    'POST|/rerank|{"query":"q","texts":[{"text":"a"}]}|400|texts[0]'
    'GET|/api/rerank||405|method'
    'PUT|/v1/rerank|{}|405|method'
    'POST|/metrics|{}|405|method'
    'GET|/v2/rerank||404|not found'
    'GET|/||404|not found'
    'GET|/health||200|'
)
n400=0
for c in "${cases[@]}"; do
    IFS='|' read -r method path body want err <<<"$c"
    if [[ -n "$body" ]]; then
        got=$(req "$method" "$path" "$body")
    else
        got=$(req "$method" "$path")
    fi
    assert_eq "$got" "$want" "$method $path $body -> $want"
    assert_eq "$(hdr Content-Type)" application/json "  JSON content type"
    [[ -n "$(hdr X-Queue-Ms)" && -n "$(hdr X-Infer-Ms)" ]] ||
        fail "$method $path: no X-Queue-Ms/X-Infer-Ms"
    if [[ -n "$err" ]]; then
        assert_has "$(body_error)" "$err" "  error names '$err'"
    fi
    if [[ "$want" == 405 ]]; then
        [[ -n "$(hdr Allow)" ]] || fail "405 without Allow"
    fi
    if [[ "$want" == 400 ]]; then
        n400=$((n400 + 1))
    fi
done
assert_eq "$(req HEAD /health)" 200 "HEAD /health"

# A body above the 64 MiB limit is refused by the HTTP layer.
head -c $((64 * 1024 * 1024 + 16)) /dev/zero | tr '\0' ' ' >"$QVR_TMP/big"
assert_eq "$(curl -sS -o /dev/null -w '%{http_code}' -X POST \
    --data-binary @"$QVR_TMP/big" "$MOCK_URL/api/rerank")" 413 \
    "a body above 64 MiB -> 413"
rm -f "$QVR_TMP/big"

# --- dialects --------------------------------------------------------------
q='Best hiking boots for rocky terrain'
d0='Lightweight running shoes for pavement'
d1='Durable waterproof hiking boots with ankle support'
d2='Insulated winter boots for snow'
d3='Hiking boots for rocky terrain and trails'
assert_eq "$(req POST /api/rerank "{\"instruction\":\"Rank.\",\"query\":{\"text\":\"$q\"},\"documents\":[{\"text\":\"$d0\"},\"$d1\",{\"text\":\"$d2\"},{\"text\":\"$d3\"},{\"image\":\"data:image/png;base64,AAAA\"}],\"fps\":1.0}")" \
    200 "qwen3vl answer"
cp "$QVR_TMP/body" "$QVR_TMP/qwen.json"
assert_eq "$(json_get "$QVR_TMP/qwen.json" 'len(d["scores"])')" 5 "one score per document"
assert_eq "$(json_get "$QVR_TMP/qwen.json" 'sorted(range(4), key=lambda i: -d["scores"][i])')" \
    "[3, 1, 2, 0]" "scores rank the documents lexically (document order kept)"
assert_eq "$(json_get "$QVR_TMP/qwen.json" 'all(0 <= s <= 1 for s in d["scores"]) and d["scores"][4] < 0.13')" \
    true "scores in [0, 1]; the image gets a low score"

assert_eq "$(req POST /v1/rerank "{\"model\":\"m\",\"query\":\"$q\",\"documents\":[\"$d0\",{\"text\":\"$d1\"},\"$d2\",\"$d3\"],\"top_n\":2}")" \
    200 "cohere answer"
cp "$QVR_TMP/body" "$QVR_TMP/cohere.json"
assert_eq "$(json_get "$QVR_TMP/cohere.json" '[r["index"] for r in d["results"]]')" \
    "[3, 1]" "cohere: top_n=2 results, best first"
assert_eq "$(python3 -c 'import json, sys
c = json.load(open(sys.argv[1]))
q = json.load(open(sys.argv[2]))
print([r["relevance_score"] for r in c["results"]] == [q["scores"][3], q["scores"][1]])' \
    "$QVR_TMP/cohere.json" "$QVR_TMP/qwen.json")" \
    True "cohere scores equal the qwen3vl scores of the same documents"

assert_eq "$(req POST /rerank "{\"query\":\"$q\",\"texts\":[\"$d0\",\"$d1\",\"$d2\",\"$d3\"]}")" \
    200 "tei answer"
assert_eq "$(json_get "$QVR_TMP/body" '[r["index"] for r in d]')" "[3, 1, 2, 0]" \
    "tei: every text, sorted by score"
assert_eq "$(json_get "$QVR_TMP/body" 'all(d[i]["score"] >= d[i+1]["score"] for i in range(3))')" \
    true "tei scores descend"

# --- /health and /metrics ---------------------------------------------------
assert_eq "$(req GET /health)" 200 "/health"
assert_eq "$(cat "$QVR_TMP/body")" '{"status":"ok"}' "/health body"
assert_eq "$(req GET /metrics)" 200 "/metrics"
assert_has "$(hdr Content-Type)" "text/plain; version=0.0.4" "Prometheus text format"
cp "$QVR_TMP/body" "$QVR_TMP/metrics"
assert_contains "$QVR_TMP/metrics" "qvr_mock_requests_total{code=\"400\"} $n400" \
    "400s counted ($n400)"
assert_contains "$QVR_TMP/metrics" 'qvr_mock_requests_total{code="413"} 3' "413s counted"
assert_contains "$QVR_TMP/metrics" 'qvr_mock_requests_total{code="405"} 3' "405s counted"
assert_contains "$QVR_TMP/metrics" 'qvr_mock_requests_total{code="404"} 2' "404s counted"
assert_contains "$QVR_TMP/metrics" 'qvr_mock_requests_total{code="200"} 4' "200s counted"
assert_contains "$QVR_TMP/metrics" 'qvr_mock_service_seconds_count 4' \
    "four passes in the service histogram"
assert_contains "$QVR_TMP/metrics" 'qvr_mock_service_seconds_bucket{le="0.0025"} 4' \
    "each of 2 ms"
assert_contains "$QVR_TMP/metrics" 'qvr_mock_queue_depth 0' "queue gauge"
assert_contains "$QVR_TMP/metrics" 'qvr_mock_inflight 0' "in-flight gauge"

# --- SIGTERM ----------------------------------------------------------------
kill -TERM "$MOCK_PID"
rc=0
wait "$MOCK_PID" || rc=$?
assert_eq "$rc" 0 "SIGTERM stops the mock with exit 0"
assert_contains "$MOCK_ERR" "stopped after" "and it says so"
finish
