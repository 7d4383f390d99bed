#!/usr/bin/env bash
# The warm-up checks the target and is shown apart (issue 19):
#  1. --target with the endpoint's path: every warm-up answer is a 404; one
#     warning names the method, the full URL, the status, the body's start
#     and the fix; the table lists the status codes;
#  2. warmup = { duration = "1s" }: a warm-up by time, its own first, p50
#     and max printed apart; warmup = {} is a scenario error.
source "$(dirname "$0")/lib.sh"
qvr_tmpdir
cd "$QVR_TMP" || fail "cannot cd to $QVR_TMP"
export QVR_TIMEOUT=60
start_mock --service 5ms
run_qvrrun "$QVR_SRC_DIR/scenarios/quickstart.lua" --target "$MOCK_URL/api/rerank" \
    --duration 1s --no-plots --out bad
assert_eq "$RC" 99 "a run of 404s fails its thresholds"
assert_contains "$QVR_STDERR" \
    "qvrrun: warning: every warm-up answer was an error (2 of 2): POST $MOCK_URL/api/rerank/api/rerank: HTTP 404: {\"error\":\"not found\"}; the target already holds a path (/api/rerank) and the scenario adds its own: give --target the service's base URL ($MOCK_URL)" \
    "the warning: method, full URL, status, body, the fix"
n=$(json_get bad/summary.json 'd["totals"]["requests"]')
assert_contains "$QVR_STDOUT" "  status: 404 x$n" "the table lists the status codes"

run_qvrrun "$QVR_SRC_DIR/scenarios/quickstart.lua" --target "$MOCK_URL" \
    --duration 1s --no-plots --out good
# quickstart's multimodal task has a weight of 1 in 4: a 1 s run may pick
# it never, and p99{task=multimodal} then fails for want of data (exit 99).
# What this checks is that the base URL answers: no failure, and every
# threshold that had data held.
assert_eq "$(json_get good/summary.json \
    '[d["totals"]["failures"], [t["expr"] for t in d["thresholds"] if t["ok"] is False and "no_data" not in t]]')" \
    "[0, []]" "the base URL works: no failure, no threshold with data failed (exit $RC)"
if grep -q "every warm-up answer" "$QVR_STDERR"; then
    fail "no warning when the warm-up gets answers"
else
    pass "no warning when the warm-up gets answers"
fi
assert_contains "$QVR_STDOUT" "  status: 200 x$(json_get good/summary.json 'd["totals"]["requests"]')"

cat >wt.lua <<'EOF'
return scenario {
  name = "wt",
  target = env("T", "mock"),
  warmup = { duration = "1s" },
  load = users { count = 1, duration = "1s" },
  wait = constant(0.1),
  tasks = { t = function() http.get("/health") end },
}
EOF
t0=$(date +%s%N)
run_qvrrun wt.lua --no-plots --out wt -e T="$MOCK_URL"
el=$((($(date +%s%N) - t0) / 1000000))
assert_eq "$RC" 0 "warm-up by time"
assert_contains "$QVR_STDERR" "qvrrun: warm-up: 1s, reported apart"
w=$(json_get wt/summary.json 'd["warmup"]["requests"]')
assert_ge "$w" 5 "the warm-up sent requests for a second ($w)"
assert_le "$w" 11 "and stopped after it"
assert_ge "$el" 2000 "warm-up (1 s) and run (1 s) both took their time (${el} ms)"
assert_eq "$(json_get wt/summary.json 'd["config"]["warmup_duration_s"]')" 1 "config keeps it"
res=$(python3 - wt/summary.json "$QVR_STDOUT" <<'EOF'
import json, re, sys
d = json.load(open(sys.argv[1]))
w = d["warmup"]
out = open(sys.argv[2]).read()
m = re.search(r"warm-up \(not in the figures above\): (\d+) requests, first (\S+), p50 (\S+), max (\S+)", out)
assert m, out
assert int(m.group(1)) == w["requests"], (m.group(1), w["requests"])
ms = lambda t: float(t[:-2]) if t.endswith("ms") else float(t[:-1]) * 1000
assert abs(ms(m.group(4)) - w["latency_ms"]["max"]) <= 0.01 * w["latency_ms"]["max"] + 0.01, (m.group(4), w)
assert abs(ms(m.group(3)) - w["latency_ms"]["p50"]) <= 0.01 * w["latency_ms"]["p50"] + 0.01, (m.group(3), w)
assert ms(m.group(2)) <= w["latency_ms"]["max"] + 0.01
print("ok")
EOF
)
assert_eq "$res" ok "the warm-up's first, p50 and max printed apart, as in summary.json"

sed -i 's/warmup = { duration = "1s" }/warmup = {}/' wt.lua
run_qvrrun wt.lua --no-plots --out wt2
assert_eq "$RC" 2 "warmup = {} is a scenario error"
assert_contains "$QVR_STDERR" "warmup: give 'requests' (a count) or 'duration' (e.g. \"30s\")"
finish
