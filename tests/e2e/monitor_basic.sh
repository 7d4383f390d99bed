#!/usr/bin/env bash
# qvrrun monitor URL against the built-in mock: one line per probe whose
# rolling P50/P90/P99, samples= and fails= are recomputed from
# history.jsonl; kill -9 leaves only whole lines; a restart continues the
# window; monitor.png is drawn; SIGTERM exits 130.
source "$(dirname "$0")/lib.sh"
qvr_tmpdir
export QVR_PLOTS_DIR=$QVR_SRC_DIR/plots

# check_lines STDOUT HISTORY WINDOW [OFFSET]: every probe line of STDOUT
# matches the rolling nearest-rank percentiles, samples= and fails= over
# the last WINDOW entries of HISTORY, the first line being entry OFFSET+1.
# Prints the number of probe lines checked.
check_lines()
{
    python3 - "$@" <<'EOF'
import json, math, re, sys
out, hist, window = sys.argv[1], sys.argv[2], int(sys.argv[3])
offset = int(sys.argv[4]) if len(sys.argv) > 4 else 0
rows = [json.loads(l) for l in open(hist)]
pat = re.compile(r"^\[\d\d:\d\d:\d\d\] P50=([\d.]+)(ms|s) \| P90=([\d.]+)(ms|s)"
                 r" \| P99=([\d.]+)(ms|s) \| samples=(\d+) \| fails=(\d+)")
lines = [l for l in open(out) if pat.match(l)]
if not lines:
    sys.exit("no probe lines")
def pct(vals, p):
    s = sorted(vals)
    k = max(1, min(len(s), math.ceil(p * len(s) / 100 - 1e-9)))
    return s[k - 1]
for i, l in enumerate(lines):
    m = pat.match(l)
    upto = offset + i + 1
    if upto > len(rows):
        sys.exit("line %d has no history entry" % (i + 1))
    win = rows[max(0, upto - window):upto]
    vals = [r["latency_ms"] for r in win]
    for p, (v, unit) in zip((50, 90, 99), ((m.group(1), m.group(2)),
                                           (m.group(3), m.group(4)),
                                           (m.group(5), m.group(6)))):
        want = pct(vals, p)
        got = float(v) * (1000 if unit == "s" else 1)
        tol = 5.01 if unit == "s" else 0.051
        if abs(got - want) > tol or (unit == "s") != (want >= 1000):
            sys.exit("line %d: P%d printed %s%s, history gives %.3f ms"
                     % (i + 1, p, v, unit, want))
    if int(m.group(7)) != len(win):
        sys.exit("line %d: samples=%s, want %d" % (i + 1, m.group(7), len(win)))
    fails = sum(1 for r in win if not r["ok"])
    if int(m.group(8)) != fails:
        sys.exit("line %d: fails=%s, want %d" % (i + 1, m.group(8), fails))
print(len(lines))
EOF
}

start_mock --service 20ms

# 1. 0.2 s interval for 5 s, window 10: 25 probes, each line right.
OUT=$QVR_TMP/mon
run_qvrrun monitor "$MOCK_URL" --interval 0.2s --duration 5s --window 10 \
    --out "$OUT" --threshold 'p99<5s' --threshold 'p50<55ms'
assert_eq "$RC" 0 "5 s monitor with held thresholds exits 0"
n=$(wc -l <"$OUT/history.jsonl")
assert_ge "$n" 22 "about one probe per 0.2 s (got $n)"
assert_le "$n" 25 "never more than one probe per slot (got $n)"
checked=$(check_lines "$QVR_STDOUT" "$OUT/history.jsonl" 10) ||
    fail "rolling percentiles do not match history.jsonl: $checked"
assert_eq "$checked" "$n" "one line per probe, each matching history.jsonl"
ok=$(python3 -c "
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert all(set(('t', 'latency_ms', 'status', 'ok', 'error')) <= set(r) for r in rows)
assert all(r['status'] == 200 and r['ok'] is True and r['error'] is None for r in rows)
assert all(19.0 <= r['latency_ms'] < 1000 for r in rows), [r['latency_ms'] for r in rows]
ts = [r['t'] for r in rows]
gaps = [b - a for a, b in zip(ts, ts[1:])]
assert all(0.1 < g < 0.5 for g in gaps), gaps
assert sorted(gaps)[len(gaps) // 2] < 0.22, gaps
print('yes')" "$OUT/history.jsonl") || fail "history.jsonl content"
assert_eq "$ok" yes "history: 200, ok, no error, >= 20 ms service, 0.2 s apart"
assert_contains "$QVR_STDERR" "gate passed (exit 0)"
if command -v gnuplot >/dev/null; then
    [[ -s "$OUT/monitor.png" ]] && pass "monitor.png drawn" ||
        fail "no monitor.png"
    assert_eq "$(head -c 4 "$OUT/monitor.png" | tail -c 3)" PNG "it is a PNG"
    # the threshold near the probes is drawn as a line, 5 s (far above) not
    assert_eq "$(grep '^# limit line' "$OUT/monitor.dat")" \
        "# limit line: 55 ms (p50 < 55ms)" "monitor.png draws the p50 limit"
else
    fail "gnuplot missing (apt-get install gnuplot-nox)"
fi

# 2. kill -9 mid-run: every line of the history parses.
OUT=$QVR_TMP/killed
"$QVRRUN" monitor "$MOCK_URL" --interval 0.05s --window 1000 --out "$OUT" \
    --quiet </dev/null >"$QVR_TMP/k.out" 2>"$QVR_TMP/k.err" &
BG=$!
qvr_track "$BG"
sleep 1.5
kill -KILL "$BG"
wait "$BG" 2>/dev/null || true
n1=$(python3 -c "
import json, sys
n = 0
for l in open(sys.argv[1]):
    json.loads(l)
    n += 1
print(n)" "$OUT/history.jsonl") || fail "a history line does not parse after kill -9"
assert_ge "$n1" 10 "killed monitor left $n1 parsable lines"

# 3. restart with the same --out: the window continues from the old count.
run_qvrrun monitor "$MOCK_URL" --interval 0.2s --duration 1s --window 1000 \
    --out "$OUT"
assert_eq "$RC" 0 "restart exits 0"
assert_contains "$QVR_STDERR" "continuing a history of $n1 probes"
first=$(grep -m1 -o 'samples=[0-9]*' "$QVR_STDOUT")
assert_eq "$first" "samples=$((n1 + 1))" "first line after restart counts the old probes"
checked=$(check_lines "$QVR_STDOUT" "$OUT/history.jsonl" 1000 "$n1") ||
    fail "percentiles after restart: $checked"
assert_eq "$(wc -l <"$OUT/history.jsonl")" "$((n1 + checked))" \
    "history appended, not rewritten"

# 4. a torn last line (a crash mid-write) is cut off on restart.
printf '{"t": 1, "latency_ms": 5' >>"$OUT/history.jsonl"
run_qvrrun monitor "$MOCK_URL" --interval 0.2s --duration 0.5s --window 1000 \
    --out "$OUT"
assert_eq "$RC" 0 "restart after a torn line exits 0"
assert_contains "$QVR_STDERR" "cut off a torn last line"
python3 -c "
import json, sys
for l in open(sys.argv[1]):
    json.loads(l)" "$OUT/history.jsonl" && pass "every line parses again" ||
    fail "torn line left in history"

# 5. SIGTERM: exit 130, history and chart written.
OUT=$QVR_TMP/term
"$QVRRUN" monitor "$MOCK_URL" --interval 0.1s --out "$OUT" --quiet \
    </dev/null >"$QVR_TMP/t.out" 2>"$QVR_TMP/t.err" &
BG=$!
qvr_track "$BG"
sleep 1
kill -TERM "$BG"
rc=0
wait "$BG" || rc=$?
assert_eq "$rc" 130 "SIGTERM: exit 130"
[[ -s "$OUT/monitor.png" ]] && pass "monitor.png written on exit" ||
    fail "no monitor.png after SIGTERM"

# 6. usage errors: exit 2 with one line.
run_qvrrun monitor "$MOCK_URL" --interval nope
assert_eq "$RC" 2 "bad --interval: exit 2"
assert_contains "$QVR_STDERR" "--interval: bad duration 'nope'"
run_qvrrun monitor "$MOCK_URL" --threshold 'rps>5' --duration 1s
assert_eq "$RC" 2 "a threshold a window of probes cannot measure: exit 2"
finish
