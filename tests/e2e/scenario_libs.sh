#!/usr/bin/env bash
# os.exit and the other process-level calls a scenario may not make (issue
# 16, D17): inside a task, a task error, the run goes on and its results
# and thresholds decide the exit code (it was exit 0 after 0.4 s, nothing
# written, the failing threshold never judged); at the top level, a
# scenario error naming the line, exit 2. README "What a scenario may call".
source "$(dirname "$0")/lib.sh"
qvr_tmpdir

cat >"$QVR_TMP/exit.lua" <<'LUA'
local n = 0
return scenario {
  name = "exit_in_task",
  target = "mock",
  load = users { count = 1, duration = "1s" },
  wait = constant(0.05),
  thresholds = { error_rate = "< 1%" },
  tasks = {
    t = function()
      http.get("/no/such/path")
      n = n + 1
      if n == 3 then os.exit(0) end
      if n == 4 then os.execute("sleep 30") end
    end,
  },
}
LUA
QVR_TIMEOUT=20 run_qvrrun "$QVR_TMP/exit.lua" --out "$QVR_TMP/o" --quiet \
    --no-plots
assert_eq "$RC" 99 "os.exit(0) in a task: the failed threshold decides, 99"
S=$QVR_TMP/o/summary.json
assert_contains "$S" "os.exit is not available in a scenario" \
    "os.exit: a task error in summary.json"
assert_contains "$S" "os.execute is not available in a scenario" \
    "os.execute: a task error, the 30 s sleep never ran"
assert_eq "$(json_get "$S" 'd["totals"]["script_errors"]')" 2 \
    "the two calls counted as task errors"
assert_ge "$(json_get "$S" 'd["totals"]["requests"]')" 10 \
    "the run went on for its second"

printf '%s\n' "-- top level" "os.exit(0)" \
    'return scenario { target = "mock", load = users { count = 1, duration = "1s" }, tasks = { t = function() end } }' \
    >"$QVR_TMP/top.lua"
QVR_TIMEOUT=10 run_qvrrun "$QVR_TMP/top.lua" --out "$QVR_TMP/top" --quiet
assert_eq "$RC" 2 "os.exit at the top level: a scenario error, exit 2"
assert_contains "$QVR_STDERR" "top.lua:2: os.exit is not available" \
    "named with its line"
finish
