#!/usr/bin/env bash
# steps{rps = {10, 20, 40, 160}} (scenarios/rate_steps.lua) against the
# built-in mock's 4 slots of 50 ms with at most 8 users: the 160/s step
# drops and delays starts. Every late or dropped start is counted in
# exactly one place: the row of the step whose hold it was meant for, or
# arrivals.outside_steps (a settle, a step cut short); the rows and
# outside_steps add up to the run's arrivals.late and arrivals.dropped, and
# started + dropped is every planned start.
source "$(dirname "$0")/lib.sh"
qvr_tmpdir
SC=$QVR_SRC_DIR/tests/e2e/scenarios/rate_steps.lua

# acct DIR: "late dropped steps_late steps_dropped out_late out_dropped
# started nsteps" of DIR/summary.json
acct()
{
    python3 - "$1/summary.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
a, st = d["arrivals"], d.get("steps", [])
o = a["outside_steps"]
print(a["late"], a["dropped"], sum(s["late"] for s in st),
      sum(s["dropped"] for s in st), o["late"], o["dropped"], a["started"],
      len(st))
PY
}

# check NAME DIR PLANNED: the sums agree, and nothing planned was lost.
check()
{
    local name=$1 dir=$2 planned=$3
    read -r late dropped sl sd ol od started n < <(acct "$dir")
    assert_eq "$((sl + ol))" "$late" "$name: steps' late $sl + outside $ol = arrivals.late $late"
    assert_eq "$((sd + od))" "$dropped" "$name: steps' dropped $sd + outside $od = arrivals.dropped $dropped"
    assert_eq "$((started + dropped))" "$planned" "$name: started $started + dropped $dropped = the $planned planned starts"
}

# 1. No settle, 1.5 s holds: 15 + 30 + 60 + 240 planned starts. Nothing is
#    outside the steps; the 160/s step drops (8 users / ~100 ms = 80/s).
run_qvrrun "$SC" -e HOLD=1500ms --out "$QVR_TMP/a" --quiet --no-plots
assert_eq "$RC" 0 "rate steps: exit 0"
check "no settle" "$QVR_TMP/a" 345
read -r late dropped sl sd ol od started n < <(acct "$QVR_TMP/a")
assert_eq "$ol/$od" "0/0" "no settle: nothing outside the steps"
assert_eq "$sl/$sd" "$late/$dropped" "no settle: the steps are the whole run"
assert_ge "$dropped" 40 "160/s drops starts ($dropped)"
assert_ge "$late" 20 "160/s delays starts ($late)"
assert_eq "$(json_get "$QVR_TMP/a/summary.json" '[s["late"] + s["dropped"] for s in d["steps"][:3]]')" \
    "[0, 0, 0]" "10-40/s: none late or dropped"
# steps.csv says the same as summary.json
assert_eq "$(python3 - "$QVR_TMP/a/steps.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
print(sum(int(r["late"]) for r in rows), sum(int(r["dropped"]) for r in rows))
PY
)" "$late $dropped" "steps.csv: late and dropped add up to the run's"

# 2. Two worker threads: each worker's rows add up, so the merged do. Each
#    runs half the rate from the step's start: 5/s for 1.5 s is 8 starts
#    (0, 0.2, ... 1.4 s), so 16 + 30 + 60 + 240 are planned.
run_qvrrun "$SC" -e HOLD=1500ms --threads 2 --out "$QVR_TMP/t" --quiet --no-plots
assert_eq "$RC" 0 "--threads 2: exit 0"
check "--threads 2" "$QVR_TMP/t" 346
read -r late dropped sl sd ol od started n < <(acct "$QVR_TMP/t")
assert_eq "$ol/$od" "0/0" "--threads 2: nothing outside the steps"

# 3. A 500 ms settle before each 1 s hold: the 160/s step's settle drops
#    too, and those are outside the steps (the rows count their holds).
run_qvrrun "$SC" -e HOLD=1s -e SETTLE=500ms --out "$QVR_TMP/s" --quiet --no-plots
assert_eq "$RC" 0 "with a settle: exit 0"
check "settle" "$QVR_TMP/s" 345
read -r late dropped sl sd ol od started n < <(acct "$QVR_TMP/s")
assert_ge "$((ol + od))" 20 "settle: the 160/s settle's late and dropped starts ($ol, $od) are outside the steps"
assert_ge "$((sl + sd))" 20 "settle: the 160/s hold's are in its row ($sl, $sd)"
assert_contains "$QVR_STDOUT" "dropped outside the steps)" "the table says so"

# 4. Interrupted in the 160/s step (3 s holds: it runs from 9 to 12 s): no
#    row for it, so its late and dropped starts are all outside the steps.
"$QVRRUN" "$SC" -e HOLD=3s --out "$QVR_TMP/i" --quiet --no-plots \
    </dev/null >"$QVR_TMP/i.out" 2>"$QVR_TMP/i.err" &
BG=$!
qvr_track "$BG"
sleep 10.5
kill -INT "$BG"
rc=0
wait "$BG" || rc=$?
assert_eq "$rc" 130 "interrupted: exit 130"
read -r late dropped sl sd ol od started n < <(acct "$QVR_TMP/i")
assert_eq "$n" 3 "interrupted: three step rows"
assert_eq "$sl/$sd" "0/0" "interrupted: 10-40/s rows, none late or dropped"
assert_eq "$ol/$od" "$late/$dropped" "interrupted: the cut step's late and dropped are outside the steps"
assert_ge "$dropped" 20 "interrupted: the cut step dropped starts ($dropped)"
finish
