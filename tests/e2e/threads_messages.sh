#!/usr/bin/env bash
# With --threads, messages about the run are printed once for the run, not
# once per worker thread (D20): a log() at the scenario's top level once,
# the first three task errors of the whole run and then one
# "(further task errors are counted, not printed)"; every error is still
# counted in summary.json; the end of the grace period is one line.
source "$(dirname "$0")/lib.sh"
qvr_tmpdir
cd "$QVR_TMP" || fail "cannot cd to $QVR_TMP"
cat >te.lua <<'EOF'
log("top level log line")
return scenario { name = "te", target = "mock",
  load = users { count = 150, spawn_rate = 1000, duration = "1s" }, wait = constant(0.1),
  tasks = { t = function() http.get("/health"); error("boom") end } }
EOF
# count PATTERN: lines of qvrrun's stderr that contain PATTERN.
count()
{
    grep -cF -- "$1" "$QVR_STDERR" || true
}
for threads in 2 3; do
    run_qvrrun te.lua --threads "$threads" --quiet --no-plots --out "$QVR_TMP/o$threads"
    assert_eq "$RC" 99 "--threads $threads: exit 99 (the task errors fail task_errors == 0)"
    assert_eq "$(json_get "$QVR_TMP/o$threads/summary.json" 'd["generator"]["threads"]')" \
        "$threads" "--threads $threads: the run used $threads threads"
    n=$(json_get "$QVR_TMP/o$threads/summary.json" 'd["totals"]["script_errors"]')
    assert_ge "$n" 150 "--threads $threads: every error counted"
    assert_eq "$(count "top level log line")" 1 "--threads $threads: top-level log() once"
    assert_eq "$(count "error in task 't'")" 3 "--threads $threads: three task errors printed"
    assert_eq "$(count "(further task errors are counted, not printed)")" 1 \
        "--threads $threads: the 'further' line once"
done

# The end of the grace period with requests in flight on both threads:
# one line for the run, every cut request counted as cancelled.
start_delay_server 5
cat >slow.lua <<'EOF'
return scenario { name = "slow", target = env("T"), grace = "300ms",
  load = users { count = 4, spawn_rate = 1000, duration = "500ms" },
  tasks = { t = function() http.get("/slow") end } }
EOF
run_qvrrun slow.lua --threads 2 --quiet --no-plots --out "$QVR_TMP/slow" -e T="$DELAY_URL"
assert_eq "$RC" 0 "grace: exit 0"
assert_eq "$(json_get "$QVR_TMP/slow/summary.json" 'd["totals"]["cancelled"]')" 4 \
    "grace: the 4 requests in flight cancelled"
assert_eq "$(count "grace period over")" 1 "grace: the line once for the run"
finish
