#!/usr/bin/env bash
# The mock's faults through a real run: 500s, resets, malformed answers and
# stalls past the timeout are counted as http_5xx, reset, check and timeout,
# and nothing crashes.
source "$(dirname "$0")/lib.sh"
qvr_tmpdir
SC=$QVR_SRC_DIR/tests/e2e/scenarios/faults.lua
frac() { json_get "$1" "d['totals']['failures_by_kind'].get('$2', 0) / d['totals']['requests']"; }

run_qvrrun "$SC" --out "$QVR_TMP/e" --quiet -e ERR=0.2
assert_eq "$RC" 0 "error-rate run exits 0"
assert_near "$(frac "$QVR_TMP/e/summary.json" http_5xx)" 0.2 0.05 "--error-rate 0.2: ~20% http_5xx"
assert_eq "$(json_get "$QVR_TMP/e/summary.json" 'd["totals"]["status"]["500"] == d["totals"]["failures_by_kind"]["http_5xx"]')" true "all of them 500"

run_qvrrun "$SC" --out "$QVR_TMP/r" --quiet -e DROP=0.2
assert_eq "$RC" 0 "drop run exits 0"
assert_near "$(frac "$QVR_TMP/r/summary.json" reset)" 0.2 0.05 "--drop 0.2: ~20% reset"

run_qvrrun "$SC" --out "$QVR_TMP/g" --quiet -e GARBAGE=0.2
assert_eq "$RC" 0 "garbage run exits 0"
assert_near "$(frac "$QVR_TMP/g/summary.json" check)" 0.2 0.05 "--garbage 0.2: ~20% failed the answer check"
assert_eq "$(json_get "$QVR_TMP/g/summary.json" '[c["failed"] for c in d["checks"] if c["name"]=="rerank scores valid"][0] == d["totals"]["failures_by_kind"]["check"]')" true "counted by the scores check"

run_qvrrun "$SC" --out "$QVR_TMP/t" --quiet -e STALL=2s/3s -e TIMEOUT=500ms -e DUR=4s
assert_eq "$RC" 0 "stall run exits 0"
assert_ge "$(json_get "$QVR_TMP/t/summary.json" 'd["totals"]["failures_by_kind"].get("timeout", 0)')" 1 "stalls past the timeout are timeouts"
assert_le "$(json_get "$QVR_TMP/t/summary.json" 'd["totals"]["latency_ms"]["max"]')" 700 "none waited past the 500 ms timeout"
finish
