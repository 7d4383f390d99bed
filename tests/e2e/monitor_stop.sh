#!/usr/bin/env bash
# `qvrrun monitor` and the signals of issue 16: SIGHUP (a closed terminal
# or ssh session) stops it as SIGTERM does, exit 130 with the history and
# summary (it was 129 and no summary); a probe task stuck in C code (no
# hook can stop it) is ended by a second SIGINT within 2 s, the summary
# printed and the finished probes kept (it ran until SIGKILL); a probe that
# loops under pcall or in a coroutine is stopped as in a run.
source "$(dirname "$0")/lib.sh"
qvr_tmpdir

cat >"$QVR_TMP/probe.lua" <<'EOF'
-- The first probe answers; then MODE=cfind: a pattern match that
-- backtracks for ever; MODE=pcall: a loop under pcall in a coroutine.
local n = 0
local mode = env("MODE", "cfind")
return scenario {
  name = "stuck",
  target = "mock",
  load = every { interval = "200ms", window = 50 },
  tasks = {
    probe = function()
      n = n + 1
      if n > 1 and mode == "cfind" then
        string.find(string.rep("a", 60), string.rep("a*", 60) .. "b")
      elseif n > 1 then
        coroutine.wrap(function() while true do pcall(function()
          while true do end end) end end)()
      end
      http.get("/health")
    end,
  },
}
EOF

elapsed() { python3 -c "print(round($(date +%s.%N) - $1, 2))"; }

# bg_monitor OUT ARGS...: the monitor in the background; sets BG.
bg_monitor()
{
    local out=$1
    shift
    "$QVRRUN" monitor "$@" --out "$out" --no-plots >"$QVR_TMP/bg.out" \
        2>"$QVR_TMP/bg.err" </dev/null &
    BG=$!
    qvr_track "$BG"
    QVR_LAST_STDERR=$QVR_TMP/bg.err
}

# wait_bg SECONDS: sets RC; kills BG (and fails) if still running.
wait_bg()
{
    local i
    for ((i = 0; i < $1 * 10; i++)); do
        kill -0 "$BG" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$BG" 2>/dev/null; then
        kill -KILL "$BG"
        fail "monitor still running $1 s later"
    fi
    RC=0
    wait "$BG" || RC=$?
}

# 1. SIGHUP against a URL monitor.
start_mock --service 5ms
bg_monitor "$QVR_TMP/hup" "$MOCK_URL" --interval 0.2s
sleep 1.2
kill -HUP "$BG"
wait_bg 5
assert_eq "$RC" 130 "SIGHUP: exit 130"
assert_contains "$QVR_TMP/bg.err" "hangup: stopping" "SIGHUP: says so"
assert_contains "$QVR_TMP/bg.err" "qvrrun monitor: " "SIGHUP: summary printed"
assert_ge "$(wc -l <"$QVR_TMP/hup/history.jsonl")" 3 "SIGHUP: history kept"

# 2. Stuck in C from the second probe: SIGINT, SIGINT again 0.5 s later.
bg_monitor "$QVR_TMP/c" "$QVR_TMP/probe.lua"
sleep 1
t0=$(date +%s.%N)
kill -INT "$BG"
sleep 0.5
kill -INT "$BG"
wait_bg 8
el=$(elapsed "$t0")
assert_eq "$RC" 130 "stuck in C, second SIGINT: exit 130"
assert_le "$el" 4.5 "stuck in C: ended ${el}s after the first signal"
assert_contains "$QVR_TMP/bg.err" "stuck in C code" "says why"
assert_contains "$QVR_TMP/bg.err" "qvrrun monitor: 1 probes" \
    "the summary counts the probe that finished"
assert_eq "$(wc -l <"$QVR_TMP/c/history.jsonl")" 1 \
    "the finished probe is in history.jsonl"

# 3. A probe looping in a coroutine under pcall: SIGTERM ends it in 2 s.
bg_monitor "$QVR_TMP/p" "$QVR_TMP/probe.lua" -e MODE=pcall
sleep 1
t0=$(date +%s.%N)
kill -TERM "$BG"
wait_bg 8
el=$(elapsed "$t0")
assert_eq "$RC" 130 "loop under pcall in a coroutine, SIGTERM: exit 130"
assert_le "$el" 2 "pcall loop: ended ${el}s after the signal"
assert_contains "$QVR_TMP/p/history.jsonl" "without yielding" \
    "the stopped probe is in the history"
finish
