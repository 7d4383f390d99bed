#!/usr/bin/env bash
# The same 1-minute soak without the leak passes its drift thresholds:
# judged, not n/a (60 windows leave about +-2.5% of noise).
source "$(dirname "$0")/lib.sh"
qvr_tmpdir
QVR_TIMEOUT=120 run_qvrrun "$QVR_SRC_DIR/tests/e2e/scenarios/drift.lua" \
    --out "$QVR_TMP/n" --quiet -e DURATION=60s
assert_eq "$RC" 0 "steady service: the trend gate holds"
S=$QVR_TMP/n/summary.json
v=$(json_get "$S" '[t["value"] for t in d["thresholds"] if t["expr"].startswith("rps_trend")][0]')
assert_near "$v" 0 0.02 "rps trend ~ 0"
assert_eq "$(json_get "$S" '[t["ok"] for t in d["thresholds"] if t["expr"].startswith("rps_trend")][0]')" true "rps_trend judged and held (not n/a)"
assert_eq "$(json_get "$S" 'any("throughput fell" in f for f in d["findings"])')" false "no drift finding"
finish
