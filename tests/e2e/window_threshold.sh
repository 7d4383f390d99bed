#!/usr/bin/env bash
# error_rate[20s] < 5% must hold in every 20 s window: a burst of failures
# at the end of a run fails it although the whole run is under 5%.
source "$(dirname "$0")/lib.sh"
qvr_tmpdir
start_nginx
run_qvrrun "$QVR_SRC_DIR/tests/e2e/scenarios/burst.lua" --out "$QVR_TMP/b" \
    --quiet -e QVR_TARGET="http://127.0.0.1:$NGINX_PORT"
assert_eq "$RC" 99 "the windowed threshold fails the run"
S=$QVR_TMP/b/summary.json
assert_eq "$(json_get "$S" '[t["ok"] for t in d["thresholds"] if t["expr"] == "error_rate < 5%"][0]')" true "whole-run error rate holds"
assert_le "$(json_get "$S" 'd["totals"]["error_rate"]')" 0.05 "whole run under 5%"
assert_eq "$(json_get "$S" '[t["ok"] for t in d["thresholds"] if t["expr"] == "error_rate[20s] < 5%"][0]')" false "the last 20 s window fails"
assert_ge "$(json_get "$S" '[t["value"] for t in d["thresholds"] if t["expr"] == "error_rate[20s] < 5%"][0]')" 0.05 "its worst window is over 5%"
finish
