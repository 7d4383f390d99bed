#!/usr/bin/env bash
# `qvrrun compare BASE NEW` on two real runs: against a server answering in
# 5 ms (base) and in 20 ms (new), NEW is worse (exit 99, p50 and p99 named);
# the other way round, or a run against itself, is no regression (exit 0).
source "$(dirname "$0")/lib.sh"
qvr_tmpdir
SC=$QVR_SRC_DIR/tests/e2e/scenarios/get.lua
start_delay_server 5ms
FAST=$DELAY_URL
start_delay_server 20ms
SLOW=$DELAY_URL
run_qvrrun "$SC" --out "$QVR_TMP/fast" --quiet --no-plots -e QVR_TARGET="$FAST" \
    -e USERS=4 -e DURATION=2s -e SPAWN=200
assert_eq "$RC" 0 "base run"
run_qvrrun "$SC" --out "$QVR_TMP/slow" --quiet --no-plots -e QVR_TARGET="$SLOW" \
    -e USERS=4 -e DURATION=2s -e SPAWN=200
assert_eq "$RC" 0 "new run"

run_qvrrun compare "$QVR_TMP/fast" "$QVR_TMP/slow"
assert_eq "$RC" 99 "4x slower: NEW worse than BASE, exit 99"
assert_contains "$QVR_STDOUT" "verdict: NEW is worse than BASE"
assert_contains "$QVR_STDOUT" "TOTAL p50 +"
# p99 is judged on its intervals: WORSE when they are apart, "within
# noise" when a loaded machine widened the fast run's tail (never "too few")
p99=$(grep -m1 '^    p99 ' "$QVR_STDOUT")
[[ $p99 == *"  WORSE" || $p99 == *"within noise (intervals overlap)" ]] &&
    pass "p99 judged on its intervals: ${p99##*%  }" || fail "p99 line: $p99"
assert_contains "$QVR_STDOUT" "TOTAL rps -"
run_qvrrun compare "$QVR_TMP/slow" "$QVR_TMP/fast"
assert_eq "$RC" 0 "faster NEW: exit 0"
assert_contains "$QVR_STDOUT" "verdict: no regression beyond the tolerance"
run_qvrrun compare "$QVR_TMP/fast" "$QVR_TMP/fast" --tolerance 1%
assert_eq "$RC" 0 "a run against itself: exit 0"
run_qvrrun compare "$QVR_TMP/fast" "$QVR_TMP/slow" --tolerance 1000%
assert_eq "$RC" 0 "a tolerance of 1000% forgives 4x"
run_qvrrun compare "$QVR_TMP/fast" "$QVR_TMP/slow" --tolerance much
assert_eq "$RC" 2 "bad --tolerance: exit 2"
assert_contains "$QVR_STDERR" "--tolerance"
run_qvrrun compare "$QVR_TMP/fast" "$QVR_TMP/none"
assert_eq "$RC" 2 "missing dir: exit 2"
assert_contains "$QVR_STDERR" "$QVR_TMP/none"
finish
