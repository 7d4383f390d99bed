#!/usr/bin/env bash
# Hostile targets at the body level: a 100 MB body (capped by max_body,
# counted as too_large, memory bounded), HTTP/1.0 close-delimited bodies,
# chunked encoding, and malformed JSON for r:json().
source "$(dirname "$0")/hostile_lib.sh"
qvr_tmpdir
SC=$QVR_TMP/hostile.lua
write_hostile_scenario "$SC"
check_count()
{
    json_get "$1" "sum(c['$2'] for c in d['checks'] if c['name'] == '$3')"
}

# 1. 100 MiB answers, max_body = 1 MiB: each is 'too_large' (one per
#    answer the server began), and qvrrun's peak RSS stays below the size
#    of one body, with four users receiving them at once.
#    Under ASan (make test-san) freed blocks sit in a 256 MB quarantine that
#    counts in the RSS whatever the bodies are; 16 MB keeps the figure
#    about qvrrun's buffers (the option is ignored by a normal build).
start_hostile huge-body
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=16" \
    run_timed "$SC" --quiet --no-plots --out "$QVR_TMP/huge" \
        -e QVR_TARGET="$HOSTILE_URL" -e DUR=2s -e USERS=4 -e MAXB=1048576
assert_eq "$RC" 0 "huge-body: exit 0"
S=$QVR_TMP/huge/summary.json
n=$(hostile_count 200)
req=$(json_get "$S" 'd["totals"]["requests"]')
assert_ge "$req" 8 "huge-body: enough answers to count"
assert_eq "$req" "$n" "one request per answer begun"
assert_eq "$(json_get "$S" 'd["totals"]["failures_by_kind"]')" \
    "{\"too_large\": $req}" "every 100 MiB answer is too_large"
assert_le "$PEAK_KB" 98304 "peak RSS ${PEAK_KB} kB < 96 MB: less than one body, with 4 users"
assert_le "$ELAPSED" 8 "huge-body: no hang"

# ... and the same server with bodies below max_body: not too_large (the
#     cap is what made them fail), but not JSON either: failed checks.
start_hostile huge-body --size 1500000
run_timed "$SC" --quiet --no-plots --out "$QVR_TMP/big" \
    -e QVR_TARGET="$HOSTILE_URL" -e DUR=1s -e USERS=2 -e MAXB=2000000
S=$QVR_TMP/big/summary.json
req=$(json_get "$S" 'd["totals"]["requests"]')
assert_ge "$req" 2 "1.5 MB bodies under a 2 MB cap: answered"
assert_eq "$(json_get "$S" 'd["totals"]["failures_by_kind"]')" \
    "{\"check\": $req}" "received whole (check failures, not too_large)"
assert_eq "$(json_get "$S" 'd["totals"]["status"]["200"]')" "$req" "all 200"

# 2. HTTP/1.0, body delimited by the close: all succeed, one connection
#    per request, bodies read whole (the three-scores check passes).
start_hostile http10-close
run_qvrrun "$SC" --quiet --no-plots --out "$QVR_TMP/h10" \
    -e QVR_TARGET="$HOSTILE_URL" -e DUR=1s -e USERS=2
assert_eq "$RC" 0 "http10-close: exit 0"
S=$QVR_TMP/h10/summary.json
req=$(json_get "$S" 'd["totals"]["requests"]')
assert_ge "$req" 20 "http10-close: requests made"
assert_eq "$req" "$(hostile_count 200)" "one request per answer"
assert_eq "$(json_get "$S" 'd["totals"]["failures"]')" 0 "no failures"
assert_eq "$(check_count "$S" passed "three scores")" "$req" "every close-delimited body parsed"

# 3. Chunked encoding: the body reassembled from three chunks.
start_hostile chunked
run_qvrrun "$SC" --quiet --no-plots --out "$QVR_TMP/ch" \
    -e QVR_TARGET="$HOSTILE_URL" -e DUR=1s -e USERS=2
assert_eq "$RC" 0 "chunked: exit 0"
S=$QVR_TMP/ch/summary.json
req=$(json_get "$S" 'd["totals"]["requests"]')
assert_ge "$req" 20 "chunked: requests made"
assert_eq "$req" "$(hostile_count 200)" "one request per answer"
assert_eq "$(json_get "$S" 'd["totals"]["failures"]')" 0 "no failures"
assert_eq "$(check_count "$S" passed "three scores")" "$req" "every chunked body parsed"

# 4. Malformed JSON: r:json() returns nil and a message (no Lua error),
#    so the check fails and is counted as kind 'check', never as a task
#    error.
start_hostile malformed-json
run_qvrrun "$SC" --quiet --no-plots --out "$QVR_TMP/mj" \
    -e QVR_TARGET="$HOSTILE_URL" -e DUR=1s -e USERS=2
assert_eq "$RC" 0 "malformed-json: exit 0"
S=$QVR_TMP/mj/summary.json
req=$(json_get "$S" 'd["totals"]["requests"]')
assert_ge "$req" 20 "malformed-json: requests made"
assert_eq "$(json_get "$S" 'd["totals"]["failures_by_kind"]')" \
    "{\"check\": $req}" "every malformed body a failed check"
assert_eq "$(check_count "$S" failed "three scores")" "$req" "the check saw nil from r:json()"
assert_eq "$(check_count "$S" passed "json() explains")" "$req" "with a message"
assert_eq "$(json_get "$S" 'len(d.get("errors", []))')" 0 "no task errors"
finish
