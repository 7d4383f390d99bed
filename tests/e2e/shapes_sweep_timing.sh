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
# The mock does 40 req/s (4 slots x 100 ms) and every rate step is at most
# that: none below 38/s may be the knee (the baseline's one user once made
# the first rate step one), and a knee is quoted as a rate, never as users.
assert_eq "$(json_get "$S" 'd["knee"]["step"] is None or d["steps"][d["knee"]["step"] - 1]["rate"] >= 38')" true "no rate step under the capacity is the knee"
assert_eq "$(json_get "$S" '"users" not in d["knee"] and "safe_users" not in d["knee"] and "safe_rps" in d["knee"] and (d["knee"]["step"] is None or "rps" in d["knee"])')" true "knee keys: rps, safe_rps"
assert_eq "$(json_get "$S" '"label" not in d["steps"][d["knee"]["best_slo_step"] - 1]')" true "goodput step is a rate step"
assert_le "$(json_get "$S" 'd["knee"]["goodput_rps"] / d["steps"][d["knee"]["best_slo_step"] - 1]["rate"]')" 1.1 "goodput no more than its step offered"
assert_eq "$(json_get "$S" 'any(f.startswith("no knee") or f.startswith("knee at step 6 (") for f in d["findings"])')" true "finding: no knee (or the 40/s step)"

# The audit's sweep, with no settle (the default): two rates, 25 and 40/s,
# right after the closed probe of 16 users whose requests are still queued
# at the mock. They must not spill into the 25/s step (33 req/s against 24
# offered, p99 of the probe): both rate steps deliver their rate within the
# SLO, so there is no knee below 40/s, and the goodput is a rate step's.
cat >"$QVR_TMP/sweep.lua" <<'EOF'
local max_rps = tonumber(env("MAX_RPS", "0"))
return scenario {
  name = "sweep-knee",
  target = "mock",
  mock = { service = "100ms", slots = 4, queue = 1000 },
  load = sweep { rates = tonumber(env("RATES", "2")), hold = "1500ms",
                 settle = env("SETTLE", "0s"), slo = "p99 < 300ms",
                 max_users = 16, max_rps = max_rps > 0 and max_rps or nil },
  tasks = { r = function()
    http.post("/api/rerank", { json = { query = "q", documents = { "a" } } })
  end },
}
EOF
run_qvrrun "$QVR_TMP/sweep.lua" --out "$QVR_TMP/u" --quiet --no-plots
assert_eq "$RC" 0 "no-settle sweep exits 0"
S=$QVR_TMP/u/summary.json
assert_eq "$(json_get "$S" '[s.get("label") for s in d["steps"]]')" '["baseline", "saturation", null, null]' "baseline, saturation, 2 rates"
assert_le "$(json_get "$S" 'd["steps"][2]["rps"] / d["steps"][2]["rate"]')" 1.1 "no backlog of the probe in the first rate step"
assert_le "$(json_get "$S" 'd["steps"][2]["latency_ms"]["p99"]')" 200 "nor its latency"
assert_eq "$(json_get "$S" 'd["knee"]["step"] in (None, 4)')" true "the first rate step (under 40/s) is not the knee"
assert_eq "$(json_get "$S" 'd["knee"]["best_slo_step"] in (3, 4)')" true "goodput from a rate step"
assert_le "$(json_get "$S" 'd["knee"]["goodput_rps"] / d["steps"][d["knee"]["best_slo_step"] - 1]["rate"]')" 1.1 "goodput within what its step offered"
assert_eq "$(json_get "$S" 'any("safe level: users" in f or "knee at step 3 (" in f for f in d["findings"])')" false "no knee at the first rate step, no safe level in users"

# A real knee at a known step: sweep{max_rps = 80, rates = 3} offers 33.3,
# 56.7 and 80/s after the baseline (no saturation probe); 56.7/s is over
# the 40 req/s the mock does, the backlog grows and p99 breaks 300 ms.
run_qvrrun "$QVR_TMP/sweep.lua" --out "$QVR_TMP/v" --quiet --no-plots -e MAX_RPS=80 -e RATES=3 -e SETTLE=1s
assert_eq "$RC" 0 "max_rps sweep exits 0"
S=$QVR_TMP/v/summary.json
assert_eq "$(json_get "$S" 'len(d["steps"])')" 4 "baseline + 3 rates"
assert_eq "$(json_get "$S" 'd["knee"]["step"]')" 3 "knee at the first rate over capacity"
assert_near "$(json_get "$S" 'd["knee"]["rps"]')" "$(json_get "$S" 'd["steps"][2]["rate"]')" 0.01 "knee quoted as its offered rate"
assert_eq "$(json_get "$S" 'd["knee"]["safe_step"]')" 2 "safe at the rate step before"
assert_near "$(json_get "$S" 'd["knee"]["safe_rps"]')" "$(json_get "$S" 'd["steps"][1]["rate"]')" 0.01 "safe level quoted as a rate"
assert_eq "$(json_get "$S" 'd["knee"]["best_slo_step"]')" 2 "goodput from the last rate step under capacity"
assert_eq "$(json_get "$S" 'any(f.startswith("knee at step 3 (") and "safe level: rate" in f for f in d["findings"])')" true "finding: knee at step 3, safe level a rate"

run_qvrrun "$SC" --out "$QVR_TMP/t" --quiet -e SHAPE=steps -e SLOTS=1 -e STOP_ON=saturation
assert_eq "$RC" 0 "stop_on run exits 0"
S=$QVR_TMP/t/summary.json
assert_eq "$(json_get "$S" 'len(d["steps"])')" 3 "stopped after 3 of 5 steps"
assert_eq "$(json_get "$S" 'd["knee"]["saturated"]')" true "saturation recorded"
assert_eq "$(json_get "$S" 'any(f.startswith("stopped at step 3") for f in d["findings"])')" true "and said"
finish
