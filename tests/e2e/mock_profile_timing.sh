#!/usr/bin/env bash
# Profile h100-qwen3vl-8b (one slot): a closed loop at 1, 4 and 16 users
# holds ~1/service-time req/s and P50 grows with the users as on the real
# GPU; the -batch profile raises throughput with users.
source "$(dirname "$0")/lib.sh"
qvr_tmpdir
SC=$QVR_SRC_DIR/tests/e2e/scenarios/profile.lua
run_qvrrun "$SC" --out "$QVR_TMP/p" --quiet
assert_eq "$RC" 0 "profile run exits 0"
S=$QVR_TMP/p/summary.json
svc=$(json_get "$S" 'd["steps"][0]["latency_ms"]["p50"]')
# the model: 40 ms + 37 us x padded tokens; 2 text + 1 image ~ 75 ms
assert_near "$svc" 75 15 "one user sees the model's ~75 ms"
want=$(python3 -c "print(1000 / $svc)")
for i in 0 1 2; do
    u=$(json_get "$S" "d['steps'][$i]['users']")
    rps=$(json_get "$S" "d['steps'][$i]['rps']")
    assert_near "$rps" "$want" "$(python3 -c "print($want * 0.15)")" "$u users: throughput within 15% of 1/service time"
    p50=$(json_get "$S" "d['steps'][$i]['latency_ms']['p50']")
    assert_near "$p50" "$(python3 -c "print($u * $svc)")" "$(python3 -c "print($u * $svc * 0.2)")" "$u users: p50 ~ users x service time"
done
assert_eq "$(json_get "$S" 'd["knee"]["users"]')" 4 "knee at 4 users: one slot does not scale"

run_qvrrun "$SC" --out "$QVR_TMP/b" --quiet -e PROFILE=h100-qwen3vl-8b-batch
assert_eq "$RC" 0 "batch profile run exits 0"
S=$QVR_TMP/b/summary.json
r1=$(json_get "$S" 'd["steps"][0]["rps"]')
r16=$(json_get "$S" 'd["steps"][2]["rps"]')
assert_ge "$(python3 -c "print($r16 / $r1)")" 1.8 "micro-batching: 16 users get >= 1.8x one user's rate"
assert_ge "$(python3 -c "print($(json_get "$S" 'd["steps"][1]["rps"]') / $r1)")" 1.2 "and 4 users more than one"
finish
