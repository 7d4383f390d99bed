#!/usr/bin/env bash
# --threads 2: workers run shares of the plan, the main thread merges. The
# whole is exactly the scenario's: counts equal nginx's log, the users
# series follows a ramp within one user, the arrival rate holds, step loads
# find the same knee, and SIGINT still writes everything.
# CI also runs this script with a ThreadSanitizer build (make tsan).
source "$(dirname "$0")/lib.sh"
qvr_tmpdir
start_nginx
T=http://127.0.0.1:$NGINX_PORT
SHAPES=$QVR_SRC_DIR/tests/e2e/scenarios/shapes.lua

run_qvrrun "$QVR_SRC_DIR/tests/e2e/scenarios/mix.lua" --out "$QVR_TMP/n" --quiet \
    --threads 2 -e QVR_TARGET="$T" -e USERS=10 -e DURATION=2s -e WARMUP=4
assert_eq "$RC" 0 "threaded run exits 0"
S=$QVR_TMP/n/summary.json
assert_eq "$(json_get "$S" 'd["generator"]["threads"]')" 2 "two worker threads"
total=$(json_get "$S" 'd["totals"]["requests"]')
warm=$(json_get "$S" 'd["warmup"]["requests"]')
assert_eq "$warm" 4 "the warm-up split between the workers"
assert_eq "$((total + warm))" "$(nginx_count)" "requests + warm-up == nginx's log"
assert_eq "$(json_get "$S" 'd["max_users"]')" 10 "10 users in all"
assert_eq "$(json_get "$S" 'd["tasks"]["text"]["requests"] + d["tasks"]["other"]["requests"]')" "$total" "tasks add up"
lines=$(grep -vc '^#\|^"' "$QVR_TMP/n/latency.hlog")
assert_ge "$lines" 2 "merged windows in latency.hlog"
check_byname "$QVR_TMP/n"

run_qvrrun "$SHAPES" --out "$QVR_TMP/r" --quiet --threads 2 -e SHAPE=ramp \
    -e SVC=5ms -e SLOTS=64 -e WAIT=0.05
assert_eq "$RC" 0 "threaded ramp exits 0"
python3 - "$QVR_TMP/r/timeseries.csv" <<'PY' || fail "users series off the plan"
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if float(r["time_s"]) <= 20.0 + 1e-6]
assert len(rows) >= 19, len(rows)
for r in rows:
    t = float(r["time_s"])
    plan = min(20, int(2 * t + 1e-9))
    assert abs(int(r["users"]) - plan) <= 1, (t, plan, r["users"])
PY
pass "users of both workers within one of the plan at every second"

run_qvrrun "$SHAPES" --out "$QVR_TMP/a" --quiet --threads 2 -e SHAPE=rate \
    -e RPS=100 -e DUR=5s -e SVC=2ms -e SLOTS=64
assert_eq "$RC" 0 "threaded rate exits 0"
S=$QVR_TMP/a/summary.json
assert_eq "$(json_get "$S" 'd["arrivals"]["started"]')" 500 "100/s for 5 s: exactly 500 starts"
assert_near "$(json_get "$S" 'd["arrivals"]["achieved_rps"]')" 100 2 "achieved rate within 2%"

run_qvrrun "$SHAPES" --out "$QVR_TMP/s" --quiet --threads 2 -e SHAPE=steps \
    -e HOLD=2s -e SVC=100ms -e SLOTS=1
assert_eq "$RC" 0 "threaded steps exit 0"
S=$QVR_TMP/s/summary.json
assert_eq "$(json_get "$S" '[s["users"] for s in d["steps"]]')" "[1, 2, 4, 8]" "step users whole"
assert_eq "$(json_get "$S" 'd["knee"]["users"]')" 2 "same knee as one thread"
assert_near "$(json_get "$S" 'd["steps"][3]["latency_ms"]["p50"]')" 800 80 "merged step percentiles"

"$QVRRUN" "$QVR_SRC_DIR/tests/e2e/scenarios/mix.lua" --out "$QVR_TMP/i" --quiet \
    --threads 2 -e QVR_TARGET="$T" -e USERS=4 -e DURATION=60s >/dev/null 2>&1 &
pid=$!
sleep 1.5
kill -INT "$pid"
rc=0; wait "$pid" || rc=$?
assert_eq "$rc" 130 "SIGINT: exit 130"
assert_eq "$(json_get "$QVR_TMP/i/summary.json" 'd["interrupted"] and d["totals"]["requests"] > 0')" true "results written"
check_byname "$QVR_TMP/i"

# Killed outright, a threaded run keeps the windows its workers had closed:
# the main thread writes latency.hlog and timeseries_by_name.csv as they
# come, not at the end.
"$QVRRUN" "$QVR_SRC_DIR/tests/e2e/scenarios/mix.lua" --out "$QVR_TMP/k" --quiet \
    --threads 2 -e QVR_TARGET="$T" -e USERS=4 -e DURATION=60s >/dev/null 2>&1 &
pid=$!
sleep 3.5
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
assert_ge "$(grep -c '^[0-9]' "$QVR_TMP/k/latency.hlog")" 2 "SIGKILL: merged windows already in latency.hlog"
assert_ge "$(grep -c 'rerank_text' "$QVR_TMP/k/timeseries_by_name.csv")" 2 "SIGKILL: by-name rows already written"
finish
