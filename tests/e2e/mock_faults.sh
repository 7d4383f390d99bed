#!/usr/bin/env bash
# `qvrrun mock` faults and limits, checked with the curl CLI: 500s at the
# configured rate and the same ones under the same seed, malformed bodies,
# connection resets (also on a reused keep-alive connection, so clients
# cannot hide them by retrying), stalls that hold answers, the leak, the
# fixed --service time and a full queue's 503 with Retry-After. The mock
# must still answer /health after all of it.
source "$(dirname "$0")/lib.sh"
qvr_tmpdir

stop_mock()
{
    kill -TERM "$MOCK_PID"
    wait "$MOCK_PID" || fail "the mock exited with $?"
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# sleep_until MS: sleep until MOCK_T0 + MS.
sleep_until()
{
    local left=$((MOCK_T0 + $1 - $(now_ms)))
    if ((left > 0)); then
        sleep "$(awk -v l="$left" 'BEGIN { printf "%.3f", l / 1000 }')"
    fi
}

BODY='{"query":"vintage camera","documents":["a Leica camera","a bicycle"]}'

# posts N: N POSTs over one keep-alive connection; one line per request,
# "STATUS X-INFER-MS", in $QVR_TMP/posts.
posts()
{
    local args=() i
    for ((i = 0; i < $1; i++)); do
        args+=(-o /dev/null -X POST --data-binary "$BODY" "$MOCK_URL/api/rerank")
    done
    curl -sS -w '%{http_code} %header{x-infer-ms}\n' "${args[@]}" \
        >"$QVR_TMP/posts"
}

# --- --error-rate -----------------------------------------------------------
start_mock --service 2ms --error-rate 1.0
code=$(curl -sS -o "$QVR_TMP/b" -w '%{http_code}' -X POST --data-binary "$BODY" \
    "$MOCK_URL/api/rerank")
assert_eq "$code" 500 "--error-rate 1.0: 500"
assert_eq "$(json_get "$QVR_TMP/b" 'd["error"]')" "simulated internal error" \
    "with a JSON error"
stop_mock

start_mock --service 1ms --error-rate 30% --seed 9
posts 200
cut -d' ' -f1 "$QVR_TMP/posts" >"$QVR_TMP/codes1"
n500=$(grep -c '^500$' "$QVR_TMP/codes1" || true)
assert_eq "$(grep -cvE '^(200|500)$' "$QVR_TMP/codes1" || true)" 0 "only 200s and 500s"
assert_ge "$n500" 40 "--error-rate 30%: at least 40 of 200 are 500s ($n500)"
assert_le "$n500" 80 "and at most 80"
stop_mock
start_mock --service 1ms --error-rate 30% --seed 9
posts 200
cut -d' ' -f1 "$QVR_TMP/posts" >"$QVR_TMP/codes2"
assert_eq "$(cmp -s "$QVR_TMP/codes1" "$QVR_TMP/codes2" && echo same)" same \
    "the same seed fails the same requests"
stop_mock
start_mock --service 1ms --error-rate 30% --seed 10
posts 200
cut -d' ' -f1 "$QVR_TMP/posts" >"$QVR_TMP/codes3"
assert_eq "$(cmp -s "$QVR_TMP/codes1" "$QVR_TMP/codes3" || echo differ)" differ \
    "another seed fails others"
stop_mock

# --- --garbage ----------------------------------------------------------------
start_mock --service 1ms --garbage 1.0
bad=0
for ((i = 0; i < 6; i++)); do
    code=$(curl -sS -o "$QVR_TMP/g" -w '%{http_code}' -X POST \
        --data-binary "$BODY" "$MOCK_URL/api/rerank")
    assert_eq "$code" 200 "--garbage 1.0: 200"
    if ! python3 -c 'import json, sys; json.load(open(sys.argv[1]))' \
        "$QVR_TMP/g" 2>/dev/null; then
        bad=$((bad + 1))
    fi
done
assert_eq "$bad" 6 "every body is malformed JSON"
stop_mock

# --- --drop -------------------------------------------------------------------
start_mock --service 1ms --drop 1.0
rc=0
curl -sS -o /dev/null -X POST --data-binary "$BODY" "$MOCK_URL/api/rerank" \
    2>"$QVR_TMP/curl.err" || rc=$?
assert_eq "$rc" 56 "--drop 1.0: curl sees a reset (exit 56)"
assert_contains "$QVR_TMP/curl.err" "reset" "connection reset by peer"
# /health then a POST on the same connection, three times: each POST is
# seen once by the mock (no silent retry on a fresh connection).
for ((i = 0; i < 3; i++)); do
    rc=0
    curl -sS -o /dev/null "$MOCK_URL/health" -o /dev/null -X POST \
        --data-binary "$BODY" "$MOCK_URL/api/rerank" 2>/dev/null || rc=$?
    assert_eq "$rc" 56 "a drop on a reused connection is reported too"
done
curl -sS "$MOCK_URL/metrics" >"$QVR_TMP/metrics"
assert_contains "$QVR_TMP/metrics" "qvr_mock_dropped_total 4" \
    "4 drops for 4 POSTs: nothing was retried"
assert_eq "$(curl -sS -o /dev/null -w '%{http_code}' "$MOCK_URL/health")" 200 \
    "the mock still answers after the drops"
stop_mock

# --- --service ---------------------------------------------------------------
start_mock --service 100ms
curl -sS -o /dev/null -w '%{time_total} %header{x-infer-ms}\n' \
    -X POST --data-binary "$BODY" "$MOCK_URL/api/rerank" \
    -o /dev/null -X POST --data-binary "$BODY" "$MOCK_URL/api/rerank" \
    >"$QVR_TMP/svc"
while read -r secs infer; do
    assert_eq "$infer" "100.000" "--service 100ms: X-Infer-Ms 100.000"
    assert_ge "$secs" 0.0999 "took at least 100 ms ($secs s)"
    assert_le "$secs" 0.120 "and not much more"
done <"$QVR_TMP/svc"
stop_mock

# --- a full queue --------------------------------------------------------------
start_mock --service 300ms --slots 1 --queue 1
for ((i = 0; i < 4; i++)); do
    curl -sS -o /dev/null -D "$QVR_TMP/q$i.hdr" -w '%{http_code}\n' -X POST \
        --data-binary "$BODY" "$MOCK_URL/api/rerank" >"$QVR_TMP/q$i" &
done
for ((i = 0; i < 100; i++)); do
    [[ $(cat "$QVR_TMP"/q[0-3] 2>/dev/null | wc -l) -eq 4 ]] && break
    sleep 0.05
done
assert_eq "$(cat "$QVR_TMP"/q[0-3] | grep -c '^200$')" 2 \
    "slots 1 + queue 1: two of four served"
assert_eq "$(cat "$QVR_TMP"/q[0-3] | grep -c '^503$')" 2 "two refused with 503"
assert_eq "$(grep -il '^Retry-After: 1' "$QVR_TMP"/q[0-3].hdr | wc -l)" 2 \
    "each 503 carries Retry-After: 1"
stop_mock

# --- --stall: the last 1 s of every 2 s --------------------------------------
start_mock --service 10ms --stall 1s/2s
sleep_until 300
t=$(curl -sS -o /dev/null -w '%{time_total}' -X POST --data-binary "$BODY" \
    "$MOCK_URL/api/rerank")
assert_le "$t" 0.2 "outside a stall: answered at once ($t s)"
sleep_until 1200
t=$(curl -sS -o /dev/null -w '%{time_total}' -X POST --data-binary "$BODY" \
    "$MOCK_URL/api/rerank")
done_ms=$(($(now_ms) - MOCK_T0))
assert_ge "$t" 0.5 "inside a stall: held ($t s)"
assert_ge "$done_ms" 1940 "until the stall's end ($done_ms ms after start)"
assert_le "$done_ms" 2300 "and not longer"
assert_eq "$(curl -sS -o /dev/null -w '%{http_code}' "$MOCK_URL/health")" 200 \
    "/health is not held"
stop_mock

# --- --leak: 600%/min = +10% per second ----------------------------------------
start_mock --service 50ms --leak 600%/min
a=$(curl -sS -o /dev/null -w '%header{x-infer-ms}' -X POST \
    --data-binary "$BODY" "$MOCK_URL/api/rerank")
sleep_until 1500
b=$(curl -sS -o /dev/null -w '%header{x-infer-ms}' -X POST \
    --data-binary "$BODY" "$MOCK_URL/api/rerank")
assert_near "$a" 50.5 0.6 "--leak: the first pass takes ~50 ms ($a)"
assert_ge "$b" 56.5 "1.5 s later it takes ~57.5 ms ($b)"
assert_le "$b" 60 "not more"
stop_mock
finish
