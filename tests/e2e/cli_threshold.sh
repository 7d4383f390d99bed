#!/usr/bin/env bash
# `qvrrun run --threshold EXPR` (issue 19): repeatable, added to the
# scenario's thresholds, replacing the one of the same metric/tags/window;
# a failing one exits 99, a bad or repeated one is a usage error naming the
# flag. The old binary refused the flag (exit 2), so the exit-99 and
# summary.json checks below fail on it.
source "$(dirname "$0")/lib.sh"
qvr_tmpdir
start_mock --profile fast --service 20ms --slots 4
cat >"$QVR_TMP/t.lua" <<'EOF2'
local rerank = require "qvr.rerank"
local p = rerank.payload { name = "rr", query = "q", documents = { "x" } }
return scenario {
  name = "flagth",
  target = env("QVR_TARGET", "mock"),
  load = users { count = 2, duration = "2s" },
  tasks = { t = function() rerank.post(nil, p) end },
  thresholds = { p99 = "< 5s", error_rate = "< 5%" },
}
EOF2
S=$QVR_TMP/a/summary.json
th()
{
    json_get "$1" "sorted(t['expr'] for t in d['thresholds'])"
}

# 1. A flag that fails: exit 99; it replaced the scenario's p99.
QVR_TARGET=$MOCK_URL run_qvrrun "$QVR_TMP/t.lua" --quiet --no-plots \
    --out "$QVR_TMP/a" --threshold 'p99 < 1ms'
assert_eq "$RC" 99 "--threshold 'p99 < 1ms' fails the run (exit 99)"
assert_eq "$(th "$S")" '["error_rate < 5%", "p99 < 1ms", "task_errors == 0"]' \
    "the flag replaced the scenario's p99 < 5s, error_rate kept"
assert_eq "$(json_get "$S" "[t['ok'] for t in d['thresholds'] if t['expr'] == 'p99 < 1ms'][0]")" \
    false "p99 < 1ms failed in summary.json"
assert_ge "$(json_get "$S" "[t['value_ms'] for t in d['thresholds'] if t['expr'] == 'p99 < 1ms'][0]")" \
    20 "its measured value is the mock's 20 ms or more"

# 2. Two flags, tagged and new: both added and held, exit 0.
QVR_TARGET=$MOCK_URL run_qvrrun "$QVR_TMP/t.lua" --quiet --no-plots \
    --out "$QVR_TMP/b" --threshold 'p99{name=rr} < 2s' \
    --threshold 'rps > 1'
assert_eq "$RC" 0 "two flag thresholds that hold: exit 0"
assert_eq "$(th "$QVR_TMP/b/summary.json")" \
    '["error_rate < 5%", "p99 < 5s", "p99{name=rr} < 2s", "rps > 1", "task_errors == 0"]' \
    "flags added beside the scenario's own"

# 3. Bad ones: exit 2 before any request, the flag named.
run_qvrrun "$QVR_TMP/t.lua" --threshold 'p99 <'
assert_eq "$RC" 2 "--threshold without a value: exit 2"
assert_contains "$QVR_STDERR" "--threshold 'p99 <': missing number" \
    "the error names the flag"
run_qvrrun "$QVR_TMP/t.lua" --threshold 'latency'
assert_eq "$RC" 2 "--threshold without an operator: exit 2"
assert_contains "$QVR_STDERR" "--threshold 'latency': expected METRIC OP VALUE" \
    "no operator: said so"
run_qvrrun "$QVR_TMP/t.lua" --threshold 'p99 < 1s' --threshold 'p99<2s'
assert_eq "$RC" 2 "the same metric twice: exit 2"
assert_contains "$QVR_STDERR" "--threshold 'p99<2s' repeats --threshold 'p99 < 1s'" \
    "the repeat is named"
run_qvrrun "$QVR_TMP/t.lua" --threshold
assert_eq "$(cat "$QVR_STDERR")" \
    "qvrrun: error: flag '--threshold' needs a value (see qvrrun --help)" \
    "--threshold with no value"
finish
