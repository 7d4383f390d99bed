#!/usr/bin/env bash
# SIGINT/SIGTERM: stop starting work, let in-flight requests finish, write
# every result file, exit 130; a second signal stops at once.
source "$(dirname "$0")/lib.sh"
qvr_tmpdir
start_delay_server 300ms
SC=$QVR_SRC_DIR/tests/e2e/scenarios/get.lua
T=http://127.0.0.1:$DELAY_PORT

run_bg()
{
    local out=$1; shift
    "$QVRRUN" "$SC" --out "$out" --quiet -e QVR_TARGET="$T" "$@" \
        >"$QVR_TMP/bg.out" 2>"$QVR_TMP/bg.err" &
    BG=$!
}

# 1. SIGINT once: in-flight requests (300 ms) finish and are counted.
run_bg "$QVR_TMP/a" -e USERS=5 -e DURATION=60s
sleep 1.5
t0=$(date +%s.%N)
kill -INT "$BG"
rc=0; wait "$BG" || rc=$?
t1=$(date +%s.%N)
assert_eq "$rc" 130 "SIGINT: exit 130"
assert_le "$(python3 -c "print($t1 - $t0)")" 2 "stopped within the in-flight time"
S=$QVR_TMP/a/summary.json
assert_eq "$(json_get "$S" 'd["interrupted"]')" true "summary says interrupted"
assert_eq "$(json_get "$S" 'd["exit_code"]')" 130 "exit code in summary"
req=$(json_get "$S" 'd["totals"]["requests"]')
sleep 0.2 # the server flushes its log every 50 ms
served=$(wc -l < "$DELAY_LOG")
assert_eq "$req" "$served" "in-flight requests finished and were counted"
assert_eq "$(json_get "$S" 'd["totals"]["failures"]')" 0 "none counted as failed"
[[ -f "$QVR_TMP/a/timeseries.csv" ]] && pass "timeseries.csv written" || fail "no timeseries.csv"

# 2. SIGTERM behaves the same.
run_bg "$QVR_TMP/b" -e USERS=2 -e DURATION=60s
sleep 1
kill -TERM "$BG"
rc=0; wait "$BG" || rc=$?
assert_eq "$rc" 130 "SIGTERM: exit 130"
[[ -f "$QVR_TMP/b/summary.json" ]] && pass "summary after SIGTERM" || fail "no summary after SIGTERM"

# 3. Twice: the second signal cancels the in-flight requests at once.
start_delay_server 20s
T=http://127.0.0.1:$DELAY_PORT
run_bg "$QVR_TMP/c" -e USERS=3 -e DURATION=60s -e GRACE=30s
sleep 1
t0=$(date +%s.%N)
kill -INT "$BG"; sleep 0.3; kill -INT "$BG"
rc=0; wait "$BG" || rc=$?
t1=$(date +%s.%N)
assert_eq "$rc" 130 "second SIGINT: exit 130"
assert_le "$(python3 -c "print($t1 - $t0)")" 2 "second signal does not wait for the 20 s answers"
S=$QVR_TMP/c/summary.json
assert_eq "$(json_get "$S" 'd["totals"]["cancelled"]')" 3 "the 3 in-flight requests are reported cancelled"
assert_eq "$(json_get "$S" 'd["totals"]["requests"]')" 0 "and not counted as requests"
finish
