#!/usr/bin/env bash
# Every stream fault of the fixture, counted by its kind with the tokens
# that did arrive kept: an HTTP error before the stream, a stream cut
# mid-way, an error event, a malformed event, a 1 MB event (skipped, the
# stream goes on), a stream that never sends a token (first_token_timeout),
# an endless one (the whole-request timeout; its body is not kept: memory
# stays flat while it pours).
source "$(dirname "$0")/lib.sh"
qvr_tmpdir
# Under ASan (make test-san) freed blocks wait in a quarantine that counts
# in the RSS whatever qvrrun keeps: none here, so the peak is about its
# buffers (the option is ignored by a normal build).
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0"
SC=$QVR_SRC_DIR/tests/e2e/scenarios/stream.lua

# run_fault NAME FAULT [ARGS...]: the fixture with --fault FAULT (8 tokens,
# TTFT 10 ms, ITL 2 ms), 2 users for 0.5 s; S is the summary, RSS_KB the
# run's peak memory.
run_fault()
{
    local name=$1 fault=$2
    shift 2
    start_sse_server --ttft 10ms --itl 2ms --tokens 8 --fault "$fault"
    QVR_STDERR=$QVR_TMP/$name.err
    RC=0
    /usr/bin/time -f 'RSS %M' -o "$QVR_TMP/$name.rss" \
        timeout -k 5 60 "$QVRRUN" "$SC" --quiet --no-plots --out "$QVR_TMP/$name" \
        -e T="$SSE_URL" -e USERS=2 -e DURATION=500ms "$@" </dev/null \
        >"$QVR_TMP/$name.out" 2>"$QVR_STDERR" || RC=$?
    S=$QVR_TMP/$name/summary.json
    [[ -f $S ]] || { cat "$QVR_STDERR" >&2; fail "$name: no summary.json (exit $RC)"; }
    RSS_KB=$(awk '/^RSS/ { print $2 }' "$QVR_TMP/$name.rss")
    REQ=$(json_get "$S" 'd["totals"]["requests"]')
    assert_ge "$REQ" 2 "$name: requests"
}

# kind NAME KIND: every request failed as KIND.
kind()
{
    assert_eq "$(json_get "$S" "d['totals']['failures_by_kind'].get('$2', 0)")" "$REQ" \
        "$1: every request counted as $2"
    assert_eq "$(json_get "$S" 'd["totals"]["failures"]')" "$REQ" "$1: and only as that"
}

run_fault none none -e CHECK=1
base_rss=$RSS_KB
assert_eq "$(json_get "$S" 'd["totals"]["failures"]')" 0 "none: no failure"
assert_eq "$(json_get "$S" 'sorted(c["name"] for c in d["checks"] if c["passed"] == '"$REQ"' and not c["failed"])')" \
    '["no raw body kept", "r.events", "r.text", "r.tokens", "r.tokens_source", "r.tpot", "r.ttft"]' \
    "none: a task reads r.tokens, r.events, r.text, r.ttft, r.tpot (every check passed)"

# an HTTP error before any stream: http_4xx, and no token figures
run_fault http405 none -e METHOD=GET
kind http405 http_4xx
assert_eq "$(json_get "$S" '"streams" in d["totals"]')" false "http405: not a stream"

run_fault cut cut
kind cut stream_cut
assert_eq "$(json_get "$S" 'd["totals"]["output_tokens"]')" "$((REQ * 4))" "cut: the 4 tokens before the cut kept"
assert_eq "$(json_get "$S" 'd["totals"]["tokens_source"]')" events "cut: no usage, tokens counted"

run_fault error error
kind error stream_error
assert_eq "$(json_get "$S" 'd["totals"]["output_tokens"]')" "$((REQ * 4))" "error: the 4 tokens before the error kept"

run_fault malformed malformed
kind malformed stream_malformed
assert_eq "$(json_get "$S" 'd["totals"]["output_tokens"]')" "$((REQ * 8))" "malformed: the stream went on to its usage"

run_fault big bigevent
kind big stream_malformed
assert_eq "$(json_get "$S" 'd["totals"]["output_tokens"]')" "$((REQ * 8))" "1 MB event: skipped, the stream went on"
assert_ge "$(json_get "$S" 'd["totals"]["bytes"]["received"]')" "$((REQ * 1048576))" "1 MB event: its bytes counted"
assert_le "$RSS_KB" "$((base_rss + 6000))" "1 MB events: peak memory $RSS_KB kB near the plain run's $base_rss kB"

run_fault notoken notoken -e FT=300ms
kind notoken first_token_timeout
assert_eq "$(json_get "$S" 'd["totals"]["output_tokens"]')" 0 "notoken: no token"
assert_eq "$(json_get "$S" 'd["totals"]["ttft_ms"]["max"]')" 0 "notoken: no TTFT recorded"
assert_le "$(json_get "$S" 'd["totals"]["latency_ms"]["max"]')" 400 "notoken: ended at 300 ms, not the 10 s timeout"

# endless: a token every 50 us for 1.5 s (~6 MB a stream), body not kept
start_sse_server --ttft 10ms --itl 0.05ms --tokens 8 --fault endless
RC=0
/usr/bin/time -f 'RSS %M' -o "$QVR_TMP/endless.rss" \
    timeout -k 5 60 "$QVRRUN" "$SC" --quiet --no-plots --out "$QVR_TMP/endless" \
    -e T="$SSE_URL" -e USERS=2 -e DURATION=500ms -e TIMEOUT=1500ms </dev/null \
    >/dev/null 2>"$QVR_TMP/endless.err" || RC=$?
S=$QVR_TMP/endless/summary.json
REQ=$(json_get "$S" 'd["totals"]["requests"]')
assert_ge "$REQ" 2 "endless: requests"
kind endless timeout
RSS_KB=$(awk '/^RSS/ { print $2 }' "$QVR_TMP/endless.rss")
assert_ge "$(json_get "$S" 'd["totals"]["bytes"]["received"]')" 5000000 "endless: megabytes streamed"
assert_ge "$(json_get "$S" 'd["totals"]["output_tokens"]')" 20000 "endless: its tokens kept"
assert_le "$RSS_KB" "$((base_rss + 4000))" "endless: peak memory $RSS_KB kB near the plain run's $base_rss kB"
finish
