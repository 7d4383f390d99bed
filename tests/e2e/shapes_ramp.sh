#!/usr/bin/env bash
# ramp{ {users=20, over="10s"}, {hold="10s"} }: the users series follows the
# plan within one user at every second.
source "$(dirname "$0")/lib.sh"
qvr_tmpdir
run_qvrrun "$QVR_SRC_DIR/tests/e2e/scenarios/shapes.lua" --out "$QVR_TMP/r" \
    --quiet -e SHAPE=ramp -e SVC=5ms -e SLOTS=64 -e WAIT=0.05
assert_eq "$RC" 0 "ramp run exits 0"
python3 - "$QVR_TMP/r/timeseries.csv" <<'PY' || fail "users series off the plan"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
full = [r for r in rows if float(r["time_s"]) <= 20.0 + 1e-6]
assert len(full) >= 19, len(full)
for r in full:
    t = float(r["time_s"])
    plan = min(20, int(2 * t + 1e-9))
    got = int(r["users"])
    assert abs(got - plan) <= 1, (t, plan, got)
print("checked", len(full), "windows")
PY
pass "users within one of the plan at every second"
assert_eq "$(json_get "$QVR_TMP/r/summary.json" 'd["max_users"]')" 20 "peak 20 users"
finish
