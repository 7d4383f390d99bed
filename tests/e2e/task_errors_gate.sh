#!/usr/bin/env bash
# A broken scenario fails the gate (issue 19):
#  1. a Lua error inside a task fails the run by default (the implicit
#     task_errors == 0 threshold): exit 99, its verdict in the table and
#     summary.json, one last verdict line; a task that sent no request and
#     one whose every request failed are findings;
#  2. a task_errors threshold relaxes it, as a count or a share of the
#     iterations;
#  3. the verdict line names the failed threshold and its value;
#  4. the same with worker threads;
#  5. a URL monitor whose every probe fails exits 99 and leaves the failed
#     probes out of the percentiles (P50=-, not their 0.2 ms).
source "$(dirname "$0")/lib.sh"
qvr_tmpdir
cd "$QVR_TMP" || fail "cannot cd to $QVR_TMP"
export QVR_TIMEOUT=60
cat >te.lua <<'EOF'
return scenario {
  name = "taskerr",
  target = "mock",
  load = users { count = 3, duration = "1500ms" },
  wait = constant(0.03),
  thresholds = env("TH", "") == "" and {} or
    { p99 = env("P99", "< 5s"), task_errors = env("TE", "== 0") },
  tasks = {
    good = { weight = 1, run = function() http.get("/health") end },
    lost = { weight = 1, run = function()
      http.get("/nope", { name = "nope" })
    end },
    bad = { weight = 1, run = function()
      local t = nil
      return t.boom
    end },
  },
}
EOF

# 1. No threshold at all: the default one fails.
run_qvrrun te.lua --quiet --no-plots --out o1
assert_eq "$RC" 99 "task errors fail the run by default"
S=o1/summary.json
n=$(json_get "$S" 'd["totals"]["script_errors"]')
assert_ge "$n" 5 "task errors counted"
assert_eq "$(json_get "$S" '[(t["expr"], t["ok"]) for t in d["thresholds"]]')" \
    '[["task_errors == 0", false]]' "summary.json: the implicit threshold failed"
assert_eq "$(json_get "$S" 'd["thresholds"][0]["value"]')" "$n" "its value is the count"
assert_contains "$QVR_STDOUT" "FAIL task_errors == 0" "the table's verdict line"
assert_eq "$(tail -n 1 "$QVR_STDERR")" \
    "qvrrun: 1 of 1 threshold failed (task_errors == 0: $n), exit 99" \
    "one verdict line ends the run"
assert_contains "$QVR_STDOUT" \
    "task 'bad' sent no request; the run had $n task errors, the first: te.lua:15: attempt to index a nil value (local 't')" \
    "a task that sent nothing is a finding, with its error"
lost=$(json_get "$S" 'd["tasks"]["lost"]["requests"]')
assert_contains "$QVR_STDOUT" \
    "task 'lost' never completed a request: all $lost of its requests failed" \
    "a task whose every request failed is a finding"
assert_eq "$(grep -c '^  task bad .* – ' "$QVR_STDOUT")" 1 \
    "the table shows – for a task without requests, never 0.00ms"

# 2. Relaxed: a count, then a share of the iterations.
run_qvrrun te.lua --quiet --no-plots --out o2 -e TH=1 -e TE="< 100000"
assert_eq "$RC" 0 "task_errors < 100000 lets the run pass"
assert_eq "$(tail -n 1 "$QVR_STDERR")" "qvrrun: all 2 thresholds passed, exit 0" \
    "the passing verdict line"
run_qvrrun te.lua --quiet --no-plots --out o3 -e TH=1 -e TE="< 90%"
assert_eq "$RC" 0 "task_errors < 90% passes at about a third of the iterations"
S=o3/summary.json
assert_near "$(json_get "$S" 'd["thresholds"][1]["value"]')" \
    "$(json_get "$S" 'd["totals"]["script_errors"] / d["totals"]["iterations"]')" \
    0.000001 "the share is task errors / iterations"
assert_near "$(json_get "$S" 'd["thresholds"][1]["value"]')" 0.333 0.2 \
    "one task in three raises"
run_qvrrun te.lua --quiet --no-plots --out o4 -e TH=1 -e TE="< 10%"
assert_eq "$RC" 99 "task_errors < 10% fails"

# 3. The verdict line names what failed, with the measured value.
run_qvrrun te.lua --quiet --no-plots --out o5 -e TH=1 -e TE="< 100000" \
    -e P99="< 1us"
assert_eq "$RC" 99 "p99 < 1us fails"
p99=$(json_get o5/summary.json 'd["thresholds"][0]["measured"]')
assert_eq "$(tail -n 1 "$QVR_STDERR")" \
    "qvrrun: 1 of 2 thresholds failed (p99 < 1us: $p99), exit 99" \
    "the verdict line: 1 of 2, the threshold and its value"

# 4. Worker threads: the merged run fails the same way.
run_qvrrun te.lua --quiet --no-plots --threads 2 --out o6
assert_eq "$RC" 99 "threads 2: task errors fail the run"
assert_eq "$(json_get o6/summary.json 'd["thresholds"][0]["ok"]')" false \
    "threads 2: task_errors == 0 failed"

# A malformed task_errors threshold is a scenario error.
run_qvrrun te.lua --quiet --no-plots --out o7 -e TH=1 -e TE="< 5s"
assert_eq "$RC" 2 "task_errors with a time unit: exit 2"
assert_contains "$QVR_STDERR" "bad unit 's' for task_errors (use a count such as 10, or % of the iterations)"

# 5. A URL monitor against a closed port: every probe fails.
port=$(free_port)
run_qvrrun monitor "http://127.0.0.1:$port" --interval 500ms --duration 1600ms \
    --out mon --no-plots
assert_eq "$RC" 99 "a monitor whose every probe failed exits 99"
assert_eq "$(grep -c 'P50=- | P90=- | P99=- | samples=[0-9]* | fails=' "$QVR_STDOUT")" \
    "$(grep -c 'probe failed' "$QVR_STDOUT")" \
    "failed probes are kept out of the percentiles (P50=-)"
assert_ge "$(grep -c 'probe failed' "$QVR_STDOUT")" 3 "probes were sent"
assert_contains "$QVR_STDERR" "qvrrun monitor: every probe failed (" "said in words"
assert_contains "$QVR_STDERR" "qvrrun monitor: gate FAILED (exit 99)"
finish
