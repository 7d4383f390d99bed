#!/usr/bin/env bash
# steps{users = {1, 2, 4, 8}} against one slot of exactly 100 ms: every step
# holds 10 req/s, P50 grows with the users, the knee is at 2 users and the
# safe level is 1.
source "$(dirname "$0")/lib.sh"
qvr_tmpdir
run_qvrrun "$QVR_SRC_DIR/tests/e2e/scenarios/shapes.lua" --out "$QVR_TMP/s" \
    --quiet -e SHAPE=steps -e SVC=100ms -e SLOTS=1
assert_eq "$RC" 0 "steps run exits 0"
S=$QVR_TMP/s/summary.json
assert_eq "$(json_get "$S" 'len(d["steps"])')" 4 "four step rows"
for i in 0 1 2 3; do
    users=$(json_get "$S" "d['steps'][$i]['users']")
    assert_near "$(json_get "$S" "d['steps'][$i]['rps']")" 10 1 "step $users users: 10 req/s +-10%"
    # one slot: each user waits for the others, so P50 = users x 100 ms
    assert_near "$(json_get "$S" "d['steps'][$i]['latency_ms']['p50']")" \
        "$((users * 100))" "$((users * 100 / 10 + 3))" "step $users users: p50 ~ ${users}00 ms"
    assert_near "$(json_get "$S" "d['steps'][$i]['achieved_users']")" "$users" 0.5 "achieved users"
done
assert_eq "$(json_get "$S" 'd["knee"]["users"]')" 2 "knee at 2 users"
assert_eq "$(json_get "$S" 'd["knee"]["safe_users"]')" 1 "safe level 1 user"
assert_contains "$QVR_TMP/s/steps.csv" "knee"
assert_eq "$(head -1 "$QVR_TMP/s/steps.csv" | cut -d, -f1-3)" "step,users,rate" "steps.csv header"
assert_eq "$(($(wc -l < "$QVR_TMP/s/steps.csv") - 1))" 4 "steps.csv: a row per step"
assert_contains "$QVR_STDOUT" "knee at step 2"
finish
