#!/usr/bin/env bash
# rate{}: iterations start on schedule whatever the target does; response
# time counts from the intended start; late and dropped starts are counted.
source "$(dirname "$0")/lib.sh"
qvr_tmpdir
SC=$QVR_SRC_DIR/tests/e2e/scenarios/shapes.lua

# 1. 5 req/s constant for 20 s against 100 ms: rate within 2%, P50 within 5%.
run_qvrrun "$SC" --out "$QVR_TMP/c" --quiet -e SHAPE=rate -e RPS=5 -e DUR=20s \
    -e SVC=100ms -e SLOTS=1
assert_eq "$RC" 0 "constant rate run exits 0"
S=$QVR_TMP/c/summary.json
assert_near "$(json_get "$S" 'd["arrivals"]["achieved_rps"]')" 5 0.1 "achieved 5 req/s +-2%"
assert_eq "$(json_get "$S" 'd["arrivals"]["started"]')" 100 "exactly 100 starts in 20 s"
assert_eq "$(json_get "$S" 'd["totals"]["requests"]')" 100 "every start became a request"
assert_near "$(json_get "$S" 'd["totals"]["latency_ms"]["p50"]')" 100 5 "p50 within 5% of 100 ms"
assert_eq "$(json_get "$S" 'd["arrivals"]["late"] + d["arrivals"]["dropped"]')" 0 "none late at 5/s"

# 2. Poisson arrivals: the gaps' coefficient of variation is ~1.
run_qvrrun "$SC" --out "$QVR_TMP/p" --quiet -e SHAPE=rate -e RPS=100 -e DUR=15s \
    -e ARRIVAL=poisson -e SVC=2ms -e SLOTS=64
assert_eq "$RC" 0 "poisson run exits 0"
S=$QVR_TMP/p/summary.json
assert_near "$(json_get "$S" 'd["arrivals"]["start_gap_cv"]')" 1 0.1 "inter-arrival CV within 10% of 1"
assert_near "$(json_get "$S" 'd["arrivals"]["achieved_rps"]')" 100 10 "poisson mean rate ~100/s"
cv_const=$(json_get "$QVR_TMP/c/summary.json" 'd["arrivals"]["start_gap_cv"]')
assert_le "$cv_const" 0.05 "constant arrivals: CV ~0"

# 3. Overload: 50 req/s against one 100 ms slot with 20 users at most:
#    late and dropped starts are counted and the run still ends on time.
t0=$(date +%s.%N)
run_qvrrun "$SC" --out "$QVR_TMP/o" --quiet -e SHAPE=rate -e RPS=50 -e DUR=10s \
    -e SVC=100ms -e SLOTS=1 -e MAXU=20 -e GRACE=2s
t1=$(date +%s.%N)
assert_eq "$RC" 0 "overload run exits 0"
S=$QVR_TMP/o/summary.json
assert_ge "$(json_get "$S" 'd["arrivals"]["late"]')" 1 "late starts counted"
assert_ge "$(json_get "$S" 'd["arrivals"]["dropped"]')" 1 "dropped starts counted"
assert_eq "$(json_get "$S" 'd["arrivals"]["started"] + d["arrivals"]["dropped"] >= 495')" true "every planned start is started or dropped"
assert_le "$(python3 -c "print($t1 - $t0)")" 14 "ends on time (10 s + 2 s grace + start-up)"
finish
