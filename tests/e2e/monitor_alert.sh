#!/usr/bin/env bash
# Alerts: the mock stalls (answers held for the last 1 s of every 3 s), a
# threshold p99 < 500ms over a window of 5 probes starts failing during the
# stall and holds again after it; the ALERT lines, the on_alert command
# and its environment, the late probe, and the CI gate (exit 99 because
# the threshold failed during --duration).
source "$(dirname "$0")/lib.sh"
qvr_tmpdir

start_mock --service 20ms --stall 1s/3s
ENVF=$QVR_TMP/alerts.env
: >"$ENVF"
# The command appends its environment in one write per alert.
CMD="env | grep '^QVR_ALERT_' | sort | { cat; echo ---; } >>'$ENVF'"
run_qvrrun monitor "$MOCK_URL" --interval 0.2s --duration 6.5s --window 5 \
    --threshold 'p99<500ms' --on-alert "$CMD" --out "$QVR_TMP/mon" --no-plots
assert_eq "$RC" 99 "the threshold failed during the run: exit 99"
grep -q 'ALERT p99 < 500ms failing: measured [0-9.]*m\?s over the last 5 probes' \
    "$QVR_STDOUT" && pass "ALERT failing line" || fail "no ALERT failing line"
grep -q 'ALERT p99 < 500ms ok again: measured [0-9.]*ms over the last 5 probes' \
    "$QVR_STDOUT" && pass "ALERT ok again line" || fail "no ALERT ok again line"
order=$(grep -o 'ALERT p99 < 500ms [a-z]*' "$QVR_STDOUT" | awk '{print $5}' |
    tr '\n' ' ')
[[ "$order" == "failing ok "* ]] && pass "failing, then ok again ($order)" ||
    fail "alert order: $order"

# the failing alert's measured value is the stalled probe's latency
python3 - "$QVR_STDOUT" "$QVR_TMP/mon/history.jsonl" <<'EOF' ||
import json, re, sys
out = open(sys.argv[1]).read()
rows = [json.loads(l) for l in open(sys.argv[2])]
slow = [r["latency_ms"] for r in rows if r["latency_ms"] > 500]
assert slow, "no stalled probe in the history"
m = re.search(r"ALERT p99 < 500ms failing: measured ([0-9.]+)(ms|s) ", out)
assert m, "no failing line"
got = float(m.group(1)) * (1 if m.group(2) == "ms" else 1000)
assert abs(got - slow[0]) <= 5, (m.group(1), slow[0])
assert any("late_ms" in r for r in rows), "the probe after the stall is not late"
late = [l for l in out.splitlines() if "| late " in l]
assert late, "no late probe line"
EOF
    fail "measured value or late probe"
pass "measured value = the stalled probe's latency; the next probe was late"

# on_alert ran (without blocking the loop) with the alert in its env
# (the last command may still be running when qvrrun exits: wait for it,
# up to 5 s, rather than a fixed half second a busy machine can outlast)
lines=$(grep -c 'ALERT' "$QVR_STDOUT" || true)
for ((i = 0; i < 50; i++)); do
    blocks=$(grep -c '^---$' "$ENVF" || true)
    ((blocks >= lines)) && break
    sleep 0.1
done
assert_eq "$blocks" "$lines" "on_alert ran once per ALERT line"
assert_contains "$ENVF" "QVR_ALERT_EXPR=p99 < 500ms"
assert_contains "$ENVF" "QVR_ALERT_STATE=failing"
assert_contains "$ENVF" "QVR_ALERT_STATE=ok"
assert_contains "$ENVF" "QVR_ALERT_TARGET=$MOCK_URL/api/rerank"
grep -q '^QVR_ALERT_VALUE=[0-9.]*m\?s$' "$ENVF" && pass "QVR_ALERT_VALUE set" ||
    fail "QVR_ALERT_VALUE"
assert_contains "$QVR_STDERR" "gate FAILED (exit 99)"

# a slow on_alert command does not delay the probes (a mock without stalls)
start_mock --service 20ms
run_qvrrun monitor "$MOCK_URL" --interval 0.2s --duration 2s --window 3 \
    --threshold 'p99<1ms' --on-alert "sleep 3" --out "$QVR_TMP/slow" \
    --no-plots
assert_eq "$RC" 99 "failing from the first probe: exit 99"
n=$(wc -l <"$QVR_TMP/slow/history.jsonl")
assert_ge "$n" 8 "probes went on while on_alert slept ($n)"
finish
