#!/usr/bin/env bash
# Signals that used to lose a run (issue 16): SIGHUP (a closed terminal or
# ssh session) ends it as SIGTERM does, results written, exit 130 (D9),
# unless SIGHUP was ignored at start (nohup); SIGINT during the warm-up is
# "interrupted during warm-up", exit 130, not "target unreachable", 3 (D10);
# with --threads, a task stuck in C code is given up at the second SIGINT
# and the workers' results are written (D2).
source "$(dirname "$0")/lib.sh"
qvr_tmpdir
SC=$QVR_SRC_DIR/tests/e2e/scenarios/stop_signals.lua

# bg_run OUT [PREFIX...] -- ARGS: qvrrun in the background (PREFIX runs
# it, e.g. a shell that ignores SIGHUP first); sets BG.
bg_run()
{
    local out=$1
    shift
    "$@" "$QVRRUN" "$SC" --out "$out" --quiet --no-plots \
        >"$QVR_TMP/bg.out" 2>"$QVR_TMP/bg.err" </dev/null &
    BG=$!
    qvr_track "$BG"
    QVR_LAST_STDERR=$QVR_TMP/bg.err
}

# wait_bg SECONDS: RC of BG, killed (and failed) if still running.
wait_bg()
{
    local i
    for ((i = 0; i < $1 * 10; i++)); do
        kill -0 "$BG" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$BG" 2>/dev/null; then
        kill -KILL "$BG"
        fail "still running $1 s later"
    fi
    RC=0
    wait "$BG" || RC=$?
}

start_delay_server 100ms
export QVR_TARGET=$DELAY_URL

# 1. SIGHUP: stops like SIGTERM, every result written, exit 130.
bg_run "$QVR_TMP/hup" env
sleep 1.5
kill -HUP "$BG"
wait_bg 5
assert_eq "$RC" 130 "SIGHUP: exit 130 (was 129, killed)"
S=$QVR_TMP/hup/summary.json
assert_eq "$(json_get "$S" 'd["interrupted"]')" true "SIGHUP: interrupted"
assert_ge "$(json_get "$S" 'd["totals"]["requests"]')" 10 \
    "SIGHUP: the requests before it are in summary.json"
assert_contains "$QVR_TMP/bg.err" "hangup: stopping" "SIGHUP: says so"

# 2. Under nohup (SIGHUP ignored at start) the run goes on; SIGINT ends it.
bg_run "$QVR_TMP/nohup" sh -c 'trap "" HUP; exec "$0" "$@"'
sleep 1
kill -HUP "$BG"
sleep 1
kill -0 "$BG" 2>/dev/null && pass "nohup: still running 1 s after SIGHUP" ||
    fail "nohup: SIGHUP ended the run"
kill -INT "$BG"
wait_bg 5
assert_eq "$RC" 130 "nohup: SIGINT then ends it, exit 130"
assert_le 1.4 "$(json_get "$QVR_TMP/nohup/summary.json" 'd["duration_s"]')" \
    "nohup: it measured past the SIGHUP (1 s in, SIGINT 2 s in)"

# 3. SIGINT while the warm-up waits for its slow answers (3 s each).
start_delay_server 3s
export QVR_TARGET=$DELAY_URL
WARMUP=2 bg_run "$QVR_TMP/warm" env
sleep 1
kill -INT "$BG"
wait_bg 5
assert_eq "$RC" 130 "SIGINT in the warm-up: exit 130 (was 3)"
assert_contains "$QVR_TMP/bg.err" "interrupted during warm-up" \
    "SIGINT in the warm-up: says so"
if grep -q "unreachable" "$QVR_TMP/bg.err"; then
    fail "SIGINT in the warm-up: the target is blamed"
fi
pass "the target is not blamed"

# 4. --threads 2, each worker's task stuck in C code (a pattern match that
# backtracks for ever) after its first request: the second SIGINT has the
# main thread write what the workers measured, 2 s later, exit 130.
SC=$QVR_SRC_DIR/tests/e2e/scenarios/runaway_nested.lua
"$QVRRUN" "$SC" -e MODE=cfind -e USERS=2 -e DURATION=30s --threads 2 \
    --out "$QVR_TMP/thr" --quiet --no-plots >"$QVR_TMP/bg.out" \
    2>"$QVR_TMP/bg.err" </dev/null &
BG=$!
qvr_track "$BG"
sleep 1.5
kill -INT "$BG"
sleep 0.5
kill -INT "$BG"
wait_bg 8
assert_eq "$RC" 130 "--threads 2, stuck in C, second SIGINT: exit 130"
assert_contains "$QVR_TMP/bg.err" "stuck in C code" "--threads 2: says why"
S=$QVR_TMP/thr/summary.json
assert_eq "$(json_get "$S" 'd["interrupted"]')" true "--threads 2: interrupted"
assert_eq "$(json_get "$S" 'd["totals"]["requests"]')" 2 \
    "--threads 2: each worker's first request is in the results"

# 5. One SIGINT only, a task stuck in C code, grace 1s: given up after the
# grace period (2 s at least), results written, exit 130 (it ran on until
# SIGKILL, the signal lost).
"$QVRRUN" "$SC" -e MODE=cfind -e GRACE=1s -e DURATION=30s \
    --out "$QVR_TMP/one" --quiet --no-plots >"$QVR_TMP/bg.out" \
    2>"$QVR_TMP/bg.err" </dev/null &
BG=$!
qvr_track "$BG"
sleep 1
t0=$(date +%s.%N)
kill -INT "$BG"
wait_bg 8
el=$(python3 -c "print(round($(date +%s.%N) - $t0, 2))")
assert_eq "$RC" 130 "stuck in C, one SIGINT: exit 130"
assert_le "$el" 3.5 "stuck in C, one SIGINT: ended ${el}s after it (grace 1s)"
assert_contains "$QVR_TMP/bg.err" "s after the signal; no hook stops it" \
    "one SIGINT: says why"
assert_eq "$(json_get "$QVR_TMP/one/summary.json" \
    '[d["interrupted"], d["totals"]["requests"]]')" "[true, 1]" \
    "one SIGINT: results written, the first request in them"
finish
