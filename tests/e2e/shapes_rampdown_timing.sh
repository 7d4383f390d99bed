#!/usr/bin/env bash
# Load shapes that move users while the target is busy, judged on numbers:
# 1. ramp{} down with requests in flight (`qvrrun mock --service 5s`, grace
#    1s, the issue's ramp with a 3 s tail): the stopped users send nothing
#    more, their requests are cancelled one grace period after each stop
#    (1.1 s, 1.15 s), counted as cancelled, the users column is 0 from the
#    window after the planned stop, and the run ends with its plan at 4.2 s,
#    before the 5 s answers (which used to be waited for).
# 2. steps{users={1,7}, spawn_rate=2}: the users column climbs 2 a second
#    at the start of step 2, whose hold then runs with all 7.
# 3. ramp{} with stop_on = "saturation": against one slot of 100 ms the
#    throughput stays at 10 req/s while P99 climbs, and the run stops long
#    before the ramp's end with the steps' finding; against 64 slots of
#    50 ms it runs the whole ramp and says nothing of the kind.
source "$(dirname "$0")/lib.sh"
qvr_tmpdir
SC=$QVR_SRC_DIR/tests/e2e/scenarios
export QVR_TIMEOUT=40

# start_mock ARGS...: `qvrrun mock` on a free loopback port; sets MOCK_URL.
start_mock()
{
    local port pid _
    for _ in 1 2 3 4 5; do
        port=$(free_port)
        "$QVRRUN" mock --listen "127.0.0.1:$port" "$@" </dev/null \
            >"$QVR_TMP/mock-$port.out" 2>&1 &
        pid=$!
        qvr_track "$pid"
        if wait_port "$port" "$pid" 10; then
            MOCK_URL=http://127.0.0.1:$port
            return 0
        fi
    done
    fail "the mock did not start: $(cat "$QVR_TMP/mock-$port.out")"
}

# 1. ramp down with answers 5 s away -------------------------------------
start_mock --service 5s
R=$QVR_TMP/down
t0=$(date +%s.%N)
run_qvrrun "$SC/rampdown.lua" --out "$R" --quiet --no-plots \
    -e QVR_TARGET="$MOCK_URL" -e GRACE=1s -e TAIL=3s
wall=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
assert_eq "$RC" 0 "ramp-down run exits 0"
S=$R/summary.json
assert_eq "$(json_get "$S" 'd["totals"]["cancelled"]')" 2 \
    "both requests in flight at the stop are cancelled"
assert_eq "$(json_get "$S" 'd["totals"]["requests"]')" 0 \
    "no answer recorded, and no second request of the task sent"
# The plan lasts 4.2 s; nothing may hold the run past it (before the fix
# the users still ran at its end and their answers came at 5.05 s).
assert_near "$(json_get "$S" 'd["duration_s"]')" 4.2 0.3 \
    "the run ends with its plan, before the 5 s answers"
assert_le "$wall" 6 "wall time: the plan and start-up"
# When: the stops are at 1.1 s and 1.15 s, the grace 1 s.
when=$(sed -n 's/^.*warning: \([0-9.]*\)s: a user stopped by the load plan.*$/\1/p' \
    "$QVR_STDERR" | head -n 1)
[[ -n "$when" ]] || fail "no cancellation line in stderr"
assert_near "$when" 2.12 0.3 "cancelled one grace period after the stop (${when}s)"
python3 - "$R/timeseries.csv" <<'PY' || fail "users column off the plan"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
users = [int(r["users"]) for r in rows]
t = [float(r["time_s"]) for r in rows]
assert abs(t[0] - 1.0) < 0.1 and users[0] == 2, (t[0], users[0])
# the plan is at 0 from 1.2 s: the window that ends at 2 s and all later
assert all(u == 0 for u in users[1:]), users
assert all(int(r["requests"]) == 0 for r in rows), "an answer was recorded"
print("users", users)
PY
pass "users column: 2 in the first window, 0 from the window of the stop"

# 2. steps with spawn_rate -------------------------------------------------
R=$QVR_TMP/spawn
run_qvrrun "$SC/steps_spawn.lua" --out "$R" --quiet --no-plots \
    -e TOP=7 -e SPAWN=2 -e HOLD=1.5s
assert_eq "$RC" 0 "steps with spawn_rate exit 0"
# step 1: 1.5 s; step 2: 6 users at 2/s (the last 2.5 s in), then 1.5 s
assert_near "$(json_get "$R/summary.json" 'd["duration_s"]')" 5.5 0.3 \
    "each step lasts its spawning plus its hold"
python3 - "$R/timeseries.csv" "$R/steps.csv" <<'PY' || fail "spawn off the rate"
import csv, math, sys
rows = list(csv.DictReader(open(sys.argv[1])))
steps = list(csv.DictReader(open(sys.argv[2])))
# Step 2 begins at 1.5 s: user k (k = 2..7) joins at 1.5 + (k - 2) / 2 s.
def plan(t):
    if t < 1.5:
        return 1
    return min(7, 2 + math.floor(2 * (t - 1.5) + 1e-9))
seen = []
for r in rows:
    t, u = float(r["time_s"]), int(r["users"])
    seen.append((t, u))
    assert abs(u - plan(t)) <= 1, (t, u, plan(t))
mid = [u for t, u in seen if 2.2 < t < 3.8]
assert mid and all(2 < u < 7 for u in mid), seen  # climbing, not jumped
assert [int(s["users"]) for s in steps] == [1, 7], steps
st2 = steps[1]
assert float(st2["achieved_users"]) >= 6.9, st2   # the hold ran with all 7
assert abs(float(st2["duration_s"]) - 1.5) < 0.2, st2
print("users", seen, "step 2 achieved", st2["achieved_users"])
PY
pass "users climb 2 a second, the hold of step 2 has all 7"
run_qvrrun "$SC/steps_spawn.lua" --out "$QVR_TMP/open" --quiet -e OPEN=1
assert_eq "$RC" 2 "spawn_rate with steps of rps is a scenario error"
assert_contains "$QVR_STDERR" "steps_spawn.lua:" "the error names the file"
assert_contains "$QVR_STDERR" "spawn_rate applies to steps of users"

# 3. stop_on = "saturation" for a ramp ---------------------------------------
start_mock --slots 1 --service 100ms
R=$QVR_TMP/sat
run_qvrrun "$SC/ramp_saturation.lua" --out "$R" --quiet --no-plots \
    -e QVR_TARGET="$MOCK_URL" -e USERS=40 -e OVER=20s
assert_eq "$RC" 0 "saturated ramp exits 0"
S=$R/summary.json
# A plateau at 10 req/s needs three steps of 2+ windows each (and 20% more
# users each): judged by about 9 s, then the queue drains (< 2 s).
assert_le "$(json_get "$S" 'd["duration_s"]')" 13 \
    "the ramp of 20 s stops early"
assert_contains "$R/summary.json" \
    "throughput stopped rising for two steps of the ramp" \
    "the steps' saturation finding"
rps=$(json_get "$S" 'd["totals"]["rps"]')
assert_le "$rps" 10.5 "one slot of 100 ms: at most 10 req/s"
assert_le "$(json_get "$S" 'd["max_users"]')" 30 "stopped before 30 of 40 users"

start_mock --slots 64 --service 50ms
R=$QVR_TMP/spare
run_qvrrun "$SC/ramp_saturation.lua" --out "$R" --quiet --no-plots \
    -e QVR_TARGET="$MOCK_URL" -e USERS=40 -e OVER=8s
assert_eq "$RC" 0 "ramp with spare capacity exits 0"
S=$R/summary.json
assert_near "$(json_get "$S" 'd["duration_s"]')" 8 0.4 "runs the whole ramp"
assert_ge "$(json_get "$S" 'd["max_users"]')" 38 "reaches 38+ of 40 users (the 40th is due as the ramp ends)"
assert_eq "$(json_get "$S" \
    'sum("stopped rising" in f for f in d["findings"])')" 0 \
    "no saturation finding while throughput follows the users"
finish
