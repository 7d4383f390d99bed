#!/usr/bin/env bash
# Bad flags and bad scenario files through the real binary: each is one
# exact line on stderr and exit 2, before any request. A runtime error or
# a coroutine.yield() inside a task is counted with its message (and
# traceback) in summary.json "errors" while the run goes on and exits 0.
source "$(dirname "$0")/hostile_lib.sh"
qvr_tmpdir
# Scenario files are given by relative name, so messages are stable.
cd "$QVR_TMP" || fail "cannot cd to $QVR_TMP"

# usage_error MSG EXPECTED ARGS...: exit 2 and stderr exactly EXPECTED.
usage_error()
{
    local msg=$1 want=$2
    shift 2
    QVR_TIMEOUT=30 run_qvrrun "$@"
    [[ "$RC" == 2 ]] || fail "$msg: exit $RC, expected 2"
    assert_eq "$(cat "$QVR_STDERR")" "$want" "$msg"
}

cat >ok.lua <<'EOF'
return scenario {
  name = "ok",
  target = env("QVR_TARGET", "mock"),
  load = users { count = 1, duration = "1s" },
  tasks = { t = function() http.get("/health") end },
}
EOF

# 1. Flags.
usage_error "unknown flag" \
    "qvrrun: error: unknown flag '--bogus' (see qvrrun --help)" \
    ok.lua --bogus
usage_error "flag missing its value" \
    "qvrrun: error: flag '--users' needs a value (see qvrrun --help)" \
    ok.lua --users
usage_error "--users 0" \
    "qvrrun: error: --users: expected a whole number >= 1, got '0' (see qvrrun --help)" \
    ok.lua --users 0
usage_error "--duration 5x" \
    "qvrrun: error: --duration: bad duration '5x' (use e.g. 30s, 5m, 1h) (see qvrrun --help)" \
    ok.lua --duration 5x
usage_error "--rate 0" \
    "qvrrun: error: --rate: expected requests per second > 0, got '0' (see qvrrun --help)" \
    ok.lua --rate 0
usage_error "-e without =" \
    "qvrrun: error: -e: expected KEY=VALUE, got 'NOEQ' (see qvrrun --help)" \
    ok.lua -e NOEQ
usage_error "two scenario files" \
    "qvrrun: error: unexpected argument 'extra.lua': give one scenario file (see qvrrun --help)" \
    ok.lua extra.lua
usage_error "missing scenario file" \
    "qvrrun: error: missing.lua: cannot open: No such file or directory" \
    missing.lua

# 2. Scenario files. Each message names the file and the line.
printf 'return scenario {\n  name = "x",\n  load = users { count = 1\n' \
    >syntax.lua
usage_error "Lua syntax error: file:line" \
    "qvrrun: error: syntax.lua:4: '}' expected (to close '{' at line 3) near <eof>" \
    syntax.lua

printf 'local x = nil\nlocal y = x.field\nreturn scenario{}\n' >runtime.lua
usage_error "runtime error at load: file:line" \
    "qvrrun: error: runtime.lua:2: attempt to index a nil value (local 'x')" \
    runtime.lua

cat >unknown.lua <<'EOF'
return scenario {
  name = "x",
  target = "mock",
  laod = users { count = 1, duration = "1s" },
  tasks = { t = function() end },
}
EOF
usage_error "unknown key in scenario{}: did you mean" \
    "qvrrun: error: unknown.lua:1: scenario: unknown key 'laod' (did you mean 'load'?)" \
    unknown.lua

sed 's/laod = users { count = 1, duration/load = users { count = 1, duraton/' \
    unknown.lua >unknown_shape.lua
usage_error "unknown key in a shape: did you mean, at the shape's line" \
    "qvrrun: error: unknown_shape.lua:4: users: unknown key 'duraton' (did you mean 'duration'?)" \
    unknown_shape.lua

printf 'local x = 1\n' >nothing.lua
usage_error "a scenario returning nothing" \
    "qvrrun: error: nothing.lua:1: the scenario file must end with 'return scenario{ ... }' (it returned nothing)" \
    nothing.lua

cat >noimage.lua <<'EOF'
local rerank = require "qvr.rerank"
local p = rerank.payload { query = "q", documents = { { image = "no/such.png" } } }
return scenario { name = "x", target = "mock",
                  load = users { count = 1, duration = "1s" },
                  tasks = { t = function() end } }
EOF
usage_error "missing image file for rerank.payload" \
    "qvrrun: error: noimage.lua:2: rerank.payload: cannot read documents[1].image 'no/such.png': No such file or directory" \
    noimage.lua

# scen NAME BODY: a scenario file NAME.lua whose scenario{} has BODY after
# name and target (one line each, so line numbers are known: load is 4).
scen()
{
    printf 'return scenario {\n  name = "x",\n  target = "mock",\n%s\n}\n' \
        "$2" >"$1.lua"
}
T='  tasks = { t = function() end },'
L='  load = users { count = 1, duration = "1s" },'
scen badthresh "$L
$T
  thresholds = { p98x = \"< 5s\" },"
usage_error "invalid threshold, with a suggestion" \
    "qvrrun: error: badthresh.lua:1: thresholds: 'p98x': unknown metric 'p98x' (expected p50..p99.9, max, min, mean, rps, error_rate, checks, goodput, output_tokens_per_s, task_errors, ttft./itl./tpot. + pNN, min, max, mean or *_trend); did you mean 'p90'?" \
    badthresh.lua
scen dupthresh "$L
$T
  thresholds = { p99 = \"< 5s\", [\"p99{}\"] = \"< 4s\" },"
usage_error "duplicate threshold" \
    "qvrrun: error: dupthresh.lua:1: thresholds: 'p99{}' repeats 'p99' (same metric, tags and window); give each once" \
    dupthresh.lua
scen wrongtype '  load = users { count = "many", duration = "1s" },'"
$T"
usage_error "wrong type" \
    "qvrrun: error: wrongtype.lua:4: users: 'count' must be a number, got string" \
    wrongtype.lua
scen negdur '  load = users { count = 1, duration = "-5s" },'"
$T"
usage_error "negative duration" \
    "qvrrun: error: negdur.lua:4: users: 'duration': '-5s' is not a duration (use e.g. \"250ms\", \"30s\", \"2m\", \"1h\")" \
    negdur.lua
scen zerousers '  load = users { count = 0, duration = "1s" },'"
$T"
usage_error "zero users" \
    "qvrrun: error: zerousers.lua:4: users: 'count' must be greater than zero, got 0" \
    zerousers.lua
scen zerorate '  load = rate { rps = 0, duration = "1s" },'"
$T"
usage_error "zero rate" \
    "qvrrun: error: zerorate.lua:4: rate: 'rps' must be greater than zero, got 0" \
    zerorate.lua
scen weight0 "$L
  tasks = { a = { weight = 0, run = function() end },
            b = { weight = 0, run = function() end } },"
usage_error "every task weight 0" \
    "qvrrun: error: weight0.lua:1: scenario: every task has weight 0; nothing would run" \
    weight0.lua

# 3. An unwritable --out is reported before the run starts: the target
#    (which logs every request it gets) never hears from qvrrun.
start_hostile http10-close
usage_error "unwritable --out" \
    "qvrrun: error: cannot write results to '/proc/qvr-x': No such file or directory" \
    ok.lua --out /proc/qvr-x -e QVR_TARGET="$HOSTILE_URL"
sleep 0.3
assert_eq "$(wc -l <"$HOSTILE_LOG")" 0 "no request sent before the --out error"

# 4. A runtime error inside a task: that iteration ends, the error is
#    counted with its traceback, the user goes on, and the run fails the
#    default task_errors == 0 threshold (exit 99; task_errors_gate.sh). Every
#    'bad' iteration sends one request and then raises, so the error count
#    equals the 'bad' task's requests.
cat >taskerr.lua <<'EOF'
return scenario {
  name = "taskerr",
  target = "mock",
  load = users { count = 2, duration = "2s" },
  wait = constant(0.05),
  tasks = {
    good = { weight = 1, run = function() http.get("/health") end },
    bad = { weight = 1, run = function()
      http.get("/health")
      local t = nil
      return t.boom
    end },
  },
}
EOF
QVR_TIMEOUT=60 run_qvrrun taskerr.lua --quiet --no-plots --out "$QVR_TMP/te"
assert_eq "$RC" 99 "task errors: the run fails the gate"
S=$QVR_TMP/te/summary.json
bad=$(json_get "$S" 'd["tasks"]["bad"]["requests"]')
assert_ge "$bad" 10 "the failing task kept being picked (users went on)"
assert_ge "$(json_get "$S" 'd["tasks"]["good"]["requests"]')" 10 "the other task ran"
assert_eq "$(json_get "$S" 'len(d["errors"])')" 1 "one distinct task error"
assert_eq "$(json_get "$S" 'd["errors"][0]["count"]')" "$bad" "counted once per failing iteration"
assert_eq "$(json_get "$S" 'd["totals"]["script_errors"]')" "$bad" "totals.script_errors agrees"
assert_eq "$(json_get "$S" 'd["errors"][0]["message"].split("\n")[0]')" \
    "taskerr.lua:11: attempt to index a nil value (local 't')" "message with file:line"
assert_eq "$(json_get "$S" '"stack traceback:" in d["errors"][0]["message"] and "taskerr.lua:11: in function" in d["errors"][0]["message"]')" \
    true "with its traceback"
assert_eq "$(grep -c "^qvrrun: warning: error in task 'bad'" "$QVR_STDERR")" 3 \
    "the first errors printed, not all"
assert_contains "$QVR_STDERR" "(further task errors are counted, not printed)"

# 5. coroutine.yield() in a task is reported, not a hang.
cat >yield.lua <<'EOF'
return scenario {
  name = "yield",
  target = "mock",
  load = users { count = 2, duration = "1s" },
  wait = constant(0.05),
  tasks = { y = function() coroutine.yield() end },
}
EOF
t0=$(date +%s.%N)
QVR_TIMEOUT=30 run_qvrrun yield.lua --quiet --no-plots --out "$QVR_TMP/y"
t1=$(date +%s.%N)
assert_eq "$RC" 99 "coroutine.yield: the run ends normally (task errors fail the gate)"
assert_le "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" 10 \
    "coroutine.yield: no hang"
S=$QVR_TMP/y/summary.json
assert_eq "$(json_get "$S" 'd["errors"][0]["message"]')" \
    "coroutine.yield() called inside a task; only http.* and sleep() may suspend a user" \
    "coroutine.yield misuse is reported"
assert_ge "$(json_get "$S" 'd["errors"][0]["count"]')" 10 "every misuse counted, users go on"
finish
