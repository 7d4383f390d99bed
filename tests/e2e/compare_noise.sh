#!/usr/bin/env bash
# `qvrrun compare` knows noise (issue 19):
#  1. two identical short runs against the mock (its timing model jitters),
#     compared in either order: no regression, exit 0; each percentile with
#     its requests and 95% interval; p99 of ~100 requests is "too few
#     requests to judge p99", not a verdict;
#  2. runs that differ in users and load are compared with a warning;
#  3. a real regression (5 ms -> 20 ms, thousands of requests: intervals
#     far apart) is still one (render_compare.sh covers more).
source "$(dirname "$0")/lib.sh"
qvr_tmpdir
cd "$QVR_TMP" || fail "cannot cd to $QVR_TMP"
export QVR_TIMEOUT=60
cat >same.lua <<'EOF'
return scenario {
  name = "same",
  target = "mock",
  load = users { count = tonumber(env("USERS", "4")), duration = "2s" },
  tasks = { t = function()
    http.post("/api/rerank", { json = { query = "q", documents = { "a", "b" } },
                               name = "rerank" })
  end },
}
EOF
for r in a b; do
    run_qvrrun same.lua --quiet --no-plots --out "$r"
    assert_eq "$RC" 0 "run $r"
done
for pair in "a b" "b a"; do
    set -- $pair
    run_qvrrun compare "$1" "$2"
    assert_eq "$RC" 0 "identical runs, $1 then $2: no regression"
    assert_contains "$QVR_STDOUT" "verdict: no regression beyond the tolerance"
    n1=$(json_get "$1/summary.json" 'd["totals"]["requests"]')
    n2=$(json_get "$2/summary.json" 'd["totals"]["requests"]')
    assert_contains "$QVR_STDOUT" "TOTAL (requests: base $n1, new $n2)" \
        "$1 $2: the requests behind the figures"
    if ((n1 < 500 && n2 < 500)); then
        assert_contains "$QVR_STDOUT" "too few requests to judge p99 (needs ~569)" \
            "$1 $2: p99 of $n1/$n2 requests is not judged"
    fi
    # p50 has an interval holding the value: "v [lo, hi]"
    res=$(python3 - "$QVR_STDOUT" <<'EOF'
import re, sys
ms = lambda t: float(t[:-2]) if t.endswith("ms") else float(t[:-1]) * 1000
for line in open(sys.argv[1]):
    m = re.match(r"^    p50 +(\S+) \[(\S+), (\S+)\] +(\S+) \[(\S+), (\S+)\]", line)
    if m:
        v = [ms(x) for x in m.groups()]
        assert v[1] <= v[0] <= v[2] and v[4] <= v[3] <= v[5], line
        assert v[1] < v[2] and v[4] < v[5], line
        print("ok")
        break
else:
    print("no p50 line")
EOF
)
    assert_eq "$res" ok "$1 $2: p50 with its 95% interval around it"
done

run_qvrrun same.lua --quiet --no-plots --out c -e USERS=2
assert_eq "$RC" 0 "run with 2 users"
run_qvrrun compare a c
assert_contains "$QVR_STDOUT" "warning: the users differ: at most 4 vs 2" \
    "different users: a warning"
assert_contains "$QVR_STDOUT" "warning: the loads differ: users count=4" \
    "different load: a warning naming both"

start_delay_server 5ms
FAST=$DELAY_URL
start_delay_server 20ms
SLOW=$DELAY_URL
SC=$QVR_SRC_DIR/tests/e2e/scenarios/get.lua
run_qvrrun "$SC" --out fast --quiet --no-plots -e QVR_TARGET="$FAST" \
    -e USERS=4 -e DURATION=2s -e SPAWN=200
run_qvrrun "$SC" --out slow --quiet --no-plots -e QVR_TARGET="$SLOW" \
    -e USERS=4 -e DURATION=2s -e SPAWN=200
run_qvrrun compare fast slow
assert_eq "$RC" 99 "4x slower: still a regression"
# p99 is judged on its intervals: WORSE when they are apart, "within
# noise" when a loaded machine widened the fast run's tail (never "too few")
p99=$(grep -m1 '^    p99 ' "$QVR_STDOUT")
[[ $p99 == *"  WORSE" || $p99 == *"within noise (intervals overlap)" ]] &&
    pass "p99 judged on its intervals: ${p99##*%  }" || fail "p99 line: $p99"
assert_contains "$QVR_STDOUT" "warning: the targets differ: $FAST" \
    "different targets: a warning"
finish
