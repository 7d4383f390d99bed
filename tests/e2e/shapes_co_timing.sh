#!/usr/bin/env bash
# Coordinated omission: 100 req/s for 30 s against a 5 ms service that stalls
# every answer for 1 s every 5 s. A request arriving at a random moment waits
# for the stall with probability 20%, uniformly up to 1 s: true P90 ~505 ms,
# P99 ~955 ms. The reported response-time percentiles must match.
source "$(dirname "$0")/lib.sh"
qvr_tmpdir
run_qvrrun "$QVR_SRC_DIR/tests/e2e/scenarios/shapes.lua" --out "$QVR_TMP/co" \
    --quiet -e SHAPE=rate -e RPS=100 -e DUR=30s -e SVC=5ms -e SLOTS=64 \
    -e STALL=1s/5s
assert_eq "$RC" 0 "run exits 0"
S=$QVR_TMP/co/summary.json
assert_near "$(json_get "$S" 'd["totals"]["latency_ms"]["p90"]')" 505 25 "P90 within 5% of 505 ms"
assert_near "$(json_get "$S" 'd["totals"]["latency_ms"]["p99"]')" 955 48 "P99 within 5% of 955 ms"
assert_eq "$(json_get "$S" '"p99" in d["totals"]["service_ms"]')" true "service time reported beside it"
assert_eq "$(json_get "$S" 'd["arrivals"]["started"]')" 3000 "every planned start happened"
finish
