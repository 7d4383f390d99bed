#!/usr/bin/env bash
# qvrrun monitor SCENARIO.lua whose probe task loops without yielding: the
# watchdog of `qvrrun run` stops it (5 s; 1 s past --duration or after
# SIGINT), the probe is a failed one of kind 'script' in history.jsonl, the
# monitor goes on probing, and SIGINT still ends it (exit 130) with the
# history and the summary written, starting no probe after the signal.
source "$(dirname "$0")/lib.sh"
qvr_tmpdir

cat >"$QVR_TMP/probe.lua" <<'EOF'
-- MODE=once: the second probe loops forever, the others probe the mock;
-- MODE=loop: every probe loops forever.
local n = 0
local mode = env("MODE", "once")
return scenario {
  name = "runaway",
  target = "mock",
  load = every { interval = "250ms", window = 50 },
  tasks = {
    probe = function()
      n = n + 1
      if mode == "loop" or n == 2 then
        local x = 0
        while true do x = x + 1 end
      end
      http.get("/health")
    end,
  },
}
EOF

elapsed() { python3 -c "print(round($(date +%s.%N) - $1, 2))"; }

# history FILE CODE: runs CODE with rows = the parsed history lines.
history()
{
    python3 - "$1" "$2" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
exec(sys.argv[2])
EOF
}

# 1. One probe loops: stopped after 5 s, recorded as a task error; the
#    probes after it (the first one late) succeed until --duration.
OUT=$QVR_TMP/once
t0=$(date +%s.%N)
QVR_TIMEOUT=30 run_qvrrun monitor "$QVR_TMP/probe.lua" --duration 7s \
    --out "$OUT" --no-plots
el=$(elapsed "$t0")
assert_eq "$RC" 0 "one looping probe: exit 0"
assert_le "$el" 10 "ended on time (${el}s for a 7 s monitor)"
res=$(history "$OUT/history.jsonl" '
assert len(rows) >= 5, rows
bad = [i for i, r in enumerate(rows) if not r["ok"]]
assert bad == [1], ("only the 2nd probe failed", bad, rows)
r = rows[1]
assert r["kind"] == "script", r
assert r["status"] is None, r
assert r["error"].startswith("task error: ") and \
    "without yielding (an endless loop?): stopped" in r["error"], r
assert all("kind" not in x for x in rows if x["ok"]), rows
after = rows[2:]
assert len(after) >= 3, ("probing went on", rows)
assert all(x["ok"] and x["status"] == 200 for x in after), after
# the probe after the loop waited for it: late by about the 5 s limit
assert 4500 <= after[0]["late_ms"] <= 6500, after[0]
assert after[0]["t"] - rows[1]["t"] >= 4.8, (rows[1], after[0])
print("ok")') || fail "history: $res"
assert_eq "$res" ok "history: probe 2 ok=false kind=script 'task error: ...without yielding', later probes ok, the next one ~5 s late"
assert_contains "$QVR_STDOUT" "probe failed: task error:" \
    "the probe line names the task error"
assert_contains "$QVR_STDERR" "ran 5.0s without yielding" \
    "the task error is printed, stopped at 5 s"
assert_contains "$QVR_STDERR" "qvrrun monitor: " "the summary is printed"

# 2. Every probe loops; SIGINT 1.5 s in: the loop is stopped 1 s after the
#    signal, its probe recorded, no probe started after it, exit 130.
OUT=$QVR_TMP/int
"$QVRRUN" monitor "$QVR_TMP/probe.lua" -e MODE=loop --out "$OUT" \
    --no-plots >"$QVR_TMP/int.out" 2>"$QVR_TMP/int.err" </dev/null &
BG=$!
qvr_track "$BG"
QVR_LAST_STDERR=$QVR_TMP/int.err
sleep 1.5
t0=$(date +%s.%N)
kill -INT "$BG" 2>/dev/null ||
    fail "SIGINT: the monitor had already exited: $(head -3 "$QVR_TMP/int.err")"
for _ in $(seq 1 80); do
    kill -0 "$BG" 2>/dev/null || break
    sleep 0.1
done
if kill -0 "$BG" 2>/dev/null; then
    kill -KILL "$BG"
    fail "SIGINT: monitor still running 8 s later"
fi
rc=0
wait "$BG" || rc=$?
el=$(elapsed "$t0")
assert_eq "$rc" 130 "SIGINT: exit 130"
assert_le "$el" 3 "SIGINT: ended ${el}s after the signal"
res=$(history "$OUT/history.jsonl" '
assert len(rows) == 1, ("one probe, none after the signal", rows)
r = rows[0]
assert not r["ok"] and r["kind"] == "script", r
assert "without yielding" in r["error"], r
print("ok")') || fail "SIGINT history: $res"
assert_eq "$res" ok "SIGINT: the stopped probe is in the history (kind script), no later probe"
assert_contains "$QVR_TMP/int.err" "interrupted: stopping"
assert_contains "$QVR_TMP/int.err" "qvrrun monitor: 1 probes" \
    "SIGINT: the summary is printed"

# 3. Every probe loops and --duration 2s: past the end the limit is 1 s,
#    so the monitor ends at about 2 s, not at 5.
OUT=$QVR_TMP/end
t0=$(date +%s.%N)
QVR_TIMEOUT=30 run_qvrrun monitor "$QVR_TMP/probe.lua" -e MODE=loop \
    --duration 2s --out "$OUT" --no-plots
el=$(elapsed "$t0")
assert_eq "$RC" 0 "loop past --duration: exit 0"
assert_le "$el" 4 "loop past --duration: ended ${el}s after start (2 s monitor)"
res=$(history "$OUT/history.jsonl" '
assert len(rows) == 1 and rows[0]["kind"] == "script", rows
assert "ran 2." in rows[0]["error"], rows
print("ok")') || fail "end history: $res"
assert_eq "$res" ok "loop past --duration: stopped at about 2 s, one probe, kind script"
finish
