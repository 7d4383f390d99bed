#!/usr/bin/env bash
# sweep{}: a one-at-a-time baseline, a saturation step that finds the most
# the target does, then evenly spaced arrival rates in between; the knee and
# the highest rate meeting the SLO (goodput). stop_on = "saturation" ends a
# step load once throughput stopped rising for two steps while P99 climbed.
source "$(dirname "$0")/lib.sh"
qvr_tmpdir
SC=$QVR_SRC_DIR/tests/e2e/scenarios/sweep.lua

run_qvrrun "$SC" --out "$QVR_TMP/s" --quiet
assert_eq "$RC" 0 "sweep exits 0"
S=$QVR_TMP/s/summary.json
assert_eq "$(json_get "$S" 'len(d["steps"])')" 6 "baseline + saturation + 4 rates"
assert_eq "$(json_get "$S" 'd["steps"][0]["label"]')" baseline "first the baseline"
assert_near "$(json_get "$S" 'd["steps"][0]["rps"]')" 10 1 "one at a time: 10 req/s"
assert_near "$(json_get "$S" 'd["steps"][1]["rps"]')" 40 4 "saturation: 4 slots = 40 req/s"
# rates evenly spaced from the baseline to the saturation rate
for i in 2 3 4 5; do
    want=$(json_get "$S" "d['steps'][0]['rps'] + (d['steps'][1]['rps'] - d['steps'][0]['rps']) * $((i - 1)) / 4")
    assert_near "$(json_get "$S" "d['steps'][$i]['rate']")" "$want" 0.01 "rate step $((i - 1)) planned at $want/s"
done
for i in 2 3 4; do
    assert_near "$(json_get "$S" "d['steps'][$i]['achieved_rate'] / d['steps'][$i]['rate']")" 1 0.1 "rate step $((i - 1)) delivered"
done
assert_eq "$(json_get "$S" 'd["knee"]["best_slo_step"] in (4, 5, 6)')" true "goodput found among the rate steps"
assert_ge "$(json_get "$S" 'd["knee"]["goodput_rps"]')" 24 "goodput rate recorded"
assert_eq "$(json_get "$S" '"knee" not in d["steps"][1]["note"]')" true "the saturation probe is not the knee"

run_qvrrun "$SC" --out "$QVR_TMP/t" --quiet -e SHAPE=steps -e SLOTS=1 -e STOP_ON=saturation
assert_eq "$RC" 0 "stop_on run exits 0"
S=$QVR_TMP/t/summary.json
assert_eq "$(json_get "$S" 'len(d["steps"])')" 3 "stopped after 3 of 5 steps"
assert_eq "$(json_get "$S" 'd["knee"]["saturated"]')" true "saturation recorded"
assert_eq "$(json_get "$S" 'any(f.startswith("stopped at step 3") for f in d["findings"])')" true "and said"
finish
