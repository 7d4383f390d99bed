#!/usr/bin/env bash
# A 1-minute soak against the mock leaking 9%/min: the throughput trend
# fails `rps_trend > -5%` (exit 99) with a drift finding. (It ran 3 minutes
# at 3%/min, the same -8%, until CI's 20 minutes grew tight: 60 windows
# of ~19 requests fit the line to +-2.5%, so the verdict is as sure.)
source "$(dirname "$0")/lib.sh"
qvr_tmpdir
QVR_TIMEOUT=120 run_qvrrun "$QVR_SRC_DIR/tests/e2e/scenarios/drift.lua" \
    --out "$QVR_TMP/l" --quiet -e LEAK=9%/min -e DURATION=60s
assert_eq "$RC" 99 "leaking service: the trend gate fails"
S=$QVR_TMP/l/summary.json
v=$(json_get "$S" '[t["value"] for t in d["thresholds"] if t["expr"].startswith("rps_trend")][0]')
# 9%/min over 1 min: the service time grows ~9%, throughput falls ~8%
assert_near "$v" -0.08 0.03 "rps trend ~ -8%"
assert_eq "$(json_get "$S" '[t["ok"] for t in d["thresholds"] if t["expr"].startswith("rps_trend")][0]')" false "rps_trend judged and failed (not n/a)"
assert_contains "$S" "throughput fell"
# the finding follows the failed threshold, with its measured value
m=$(json_get "$S" '[t["measured"] for t in d["thresholds"] if t["expr"].startswith("rps_trend")][0]')
assert_contains "$S" "throughput fell ${m#-} over"
assert_contains "$S" "failing rps_trend > -5%"
assert_ge "$(wc -l < "$QVR_TMP/l/timeseries.csv")" 59 "a window per second"
finish
