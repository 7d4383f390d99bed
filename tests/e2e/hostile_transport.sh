#!/usr/bin/env bash
# Hostile targets at the transport level: a reset in the middle of the
# body, a server that never answers, a slowloris server, a name that does
# not resolve. Each failure is counted under its kind, exactly as often as
# the server saw it happen; nothing crashes; no run outlives its deadline.
source "$(dirname "$0")/hostile_lib.sh"
qvr_tmpdir
SC=$QVR_TMP/hostile.lua
write_hostile_scenario "$SC"

# only_kind SUMMARY KIND N: every failure is of KIND and there are N.
only_kind()
{
    assert_eq "$(json_get "$1" 'd["totals"]["failures_by_kind"]')" \
        "{\"$2\": $3}" "$2 only: $3"
}

# 1. Reset mid-body: 1000 of 100000 announced bytes, then RST. Each is a
#    'reset' failure, one per reset the server logged.
start_hostile reset-mid-body
run_timed "$SC" --quiet --no-plots --out "$QVR_TMP/reset" \
    -e QVR_TARGET="$HOSTILE_URL" -e DUR=1s
assert_eq "$RC" 0 "reset-mid-body: exit 0"
S=$QVR_TMP/reset/summary.json
n=$(hostile_count reset)
assert_ge "$n" 20 "reset-mid-body: enough resets to count"
assert_eq "$(json_get "$S" 'd["totals"]["requests"]')" "$n" "every reset is a request"
only_kind "$S" reset "$n"
assert_eq "$(json_get "$S" 'd["totals"]["failures"]')" "$n" "all failed"
assert_le "$ELAPSED" 6 "reset-mid-body: done within duration + 5 s"

# 2. Never answers: each request times out at the configured 500 ms, not
#    before and not much after; one per request the server held.
start_hostile never-answer
run_timed "$SC" --quiet --no-plots --out "$QVR_TMP/never" \
    -e QVR_TARGET="$HOSTILE_URL" -e DUR=2s -e USERS=3 -e TIMEOUT=500ms
assert_eq "$RC" 0 "never-answer: exit 0"
S=$QVR_TMP/never/summary.json
n=$(hostile_count hold)
req=$(json_get "$S" 'd["totals"]["requests"]')
assert_ge "$req" 9 "never-answer: 3 users x ~4 timeouts"
assert_eq "$req" "$n" "one timeout per request the server held"
only_kind "$S" timeout "$req"
assert_ge "$(json_get "$S" 'd["totals"]["latency_ms"]["min"]')" 499 "no timeout before 500 ms"
assert_le "$(json_get "$S" 'd["totals"]["latency_ms"]["max"]')" 800 "every timeout by 800 ms"
assert_le "$ELAPSED" 5 "never-answer: the run ends at duration + timeout"

# 3. Slowloris: a valid answer at one byte a second never completes
#    within 1.5 s: a timeout at the limit, one per answer begun.
start_hostile slowloris
run_timed "$SC" --quiet --no-plots --out "$QVR_TMP/slow" \
    -e QVR_TARGET="$HOSTILE_URL" -e DUR=2s -e USERS=2 -e TIMEOUT=1500ms
assert_eq "$RC" 0 "slowloris: exit 0"
S=$QVR_TMP/slow/summary.json
n=$(hostile_count 200)
req=$(json_get "$S" 'd["totals"]["requests"]')
assert_ge "$req" 4 "slowloris: 2 users x 2 timeouts"
assert_eq "$req" "$n" "one timeout per trickled answer"
only_kind "$S" timeout "$req"
assert_ge "$(json_get "$S" 'd["totals"]["latency_ms"]["min"]')" 1499 "slowloris: not cut before the timeout"
assert_le "$(json_get "$S" 'd["totals"]["latency_ms"]["max"]')" 1900 "slowloris: cut at the timeout"
assert_le "$ELAPSED" 6 "slowloris: the run ends at duration + timeout"

# 4. A name that does not resolve (RFC 6761 .invalid): every request is a
#    'dns' failure. RES_OPTIONS bounds the system resolver's own retries
#    so that a DNS server that drops a query cannot turn a 'dns' failure
#    into a 'timeout' (libcurl's resolver thread cannot be interrupted).
RES_OPTIONS="timeout:1 attempts:1" run_timed "$SC" --quiet --no-plots \
    --out "$QVR_TMP/dns" -e QVR_TARGET=http://qvr-e2e-test.invalid:8080 \
    -e DUR=1s -e TIMEOUT=3s
assert_eq "$RC" 0 "dns: exit 0"
S=$QVR_TMP/dns/summary.json
req=$(json_get "$S" 'd["totals"]["requests"]')
assert_ge "$req" 2 "dns: requests were attempted"
only_kind "$S" dns "$req"
assert_eq "$(json_get "$S" 'd["totals"]["status"]')" "{}" "dns: no status codes"
assert_le "$ELAPSED" 8 "dns: no hang"
finish
