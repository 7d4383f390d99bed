#!/usr/bin/env bash
# 5xx bursts with Retry-After: alternating bursts of five 503s (with
# "Retry-After: 2") and five 200s. Every 503 is an http_5xx failure, every
# 200 a success, exactly as the server counted them; the header reaches
# the script; an error_rate threshold judges the bursts.
source "$(dirname "$0")/hostile_lib.sh"
qvr_tmpdir
SC=$QVR_TMP/hostile.lua
write_hostile_scenario "$SC"
# The same scenario with a gate on the error rate.
sed 's/^  tasks = {$/  thresholds = { error_rate = env("ERR_TH", "< 60%") },\n  tasks = {/' \
    "$SC" >"$QVR_TMP/gated.lua"
grep -q 'thresholds = { error_rate' "$QVR_TMP/gated.lua" ||
    fail "could not add the threshold to the scenario"

start_hostile retry-after --burst 5
run_qvrrun "$QVR_TMP/gated.lua" --quiet --no-plots --out "$QVR_TMP/r1" \
    -e QVR_TARGET="$HOSTILE_URL" -e DUR=2s -e USERS=2 -e WAIT=0.01
assert_eq "$RC" 0 "bursts: error_rate < 60% holds, exit 0"
S=$QVR_TMP/r1/summary.json
n503=$(hostile_count 503)
n200=$(hostile_count 200)
req=$(json_get "$S" 'd["totals"]["requests"]')
assert_ge "$n503" 20 "several bursts were served"
assert_eq "$req" "$((n503 + n200))" "every answer is a request"
# Answers alternate in fives from the first: the 503s are ceil-ish half.
expect=$(python3 -c "n=$req; print(sum(1 for i in range(n) if (i // 5) % 2 == 0))")
assert_eq "$n503" "$expect" "the server's bursts are exact"
assert_eq "$(json_get "$S" 'd["totals"]["failures_by_kind"]')" \
    "{\"http_5xx\": $n503}" "every 503 an http_5xx failure"
assert_eq "$(json_get "$S" 'd["totals"]["status"]["503"]')" "$n503" "status 503 counted"
assert_eq "$(json_get "$S" 'd["totals"]["status"]["200"]')" "$n200" "status 200 counted"
assert_eq "$(json_get "$S" 'sum(c["passed"] for c in d["checks"] if c["name"] == "retry-after 2")')" \
    "$n503" "Retry-After: 2 visible to the script on every 503"
assert_eq "$(json_get "$S" 'sum(c["passed"] for c in d["checks"] if c["name"] == "three scores")')" \
    "$n200" "the 200s between bursts are good"
assert_near "$(json_get "$S" 'd["totals"]["error_rate"]')" 0.5 0.01 "error rate ~50%"

# The same bursts against a stricter gate: exit 99 with the verdict.
start_hostile retry-after --burst 5
run_qvrrun "$QVR_TMP/gated.lua" --quiet --no-plots --out "$QVR_TMP/r2" \
    -e QVR_TARGET="$HOSTILE_URL" -e DUR=1s -e USERS=2 -e ERR_TH="< 10%"
assert_eq "$RC" 99 "bursts: error_rate < 10% fails, exit 99"
assert_eq "$(json_get "$QVR_TMP/r2/summary.json" '[(t["expr"], t["ok"]) for t in d["thresholds"]]')" \
    '[["error_rate < 10%", false], ["task_errors == 0", true]]' \
    "verdict recorded (beside the default task_errors == 0)"
finish
