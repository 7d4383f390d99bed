#!/usr/bin/env bash
# A 3-minute soak against the mock leaking 3%/min: the throughput trend
# fails `rps_trend > -5%` (exit 99) with a drift finding.
source "$(dirname "$0")/lib.sh"
qvr_tmpdir
QVR_TIMEOUT=260 run_qvrrun "$QVR_SRC_DIR/tests/e2e/scenarios/drift.lua" \
    --out "$QVR_TMP/l" --quiet -e LEAK=3%/min
assert_eq "$RC" 99 "leaking service: the trend gate fails"
S=$QVR_TMP/l/summary.json
v=$(json_get "$S" '[t["value"] for t in d["thresholds"] if t["expr"].startswith("rps_trend")][0]')
# 3%/min over ~3 min: the service time grows ~9%, throughput falls ~8%
assert_near "$v" -0.08 0.03 "rps trend ~ -8%"
assert_contains "$S" "throughput fell"
# the finding follows the failed threshold, with its measured value
m=$(json_get "$S" '[t["measured"] for t in d["thresholds"] if t["expr"].startswith("rps_trend")][0]')
assert_contains "$S" "throughput fell ${m#-} over"
assert_contains "$S" "failing rps_trend > -5%"
assert_ge "$(wc -l < "$QVR_TMP/l/timeseries.csv")" 170 "a window per second"
finish
