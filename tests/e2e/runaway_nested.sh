#!/usr/bin/env bash
# Endless loops the first watchdog missed (issue 16, D2): one inside a
# pcall (which caught the hook's single error), one in a coroutine the task
# made (never hooked). The hook now raises at every instruction of the
# thread that runs, so the run ends on time by itself, and SIGINT/SIGTERM
# end it within a second with every result; a task stuck in C code (a
# pattern match that backtracks for ever) is ended by the second signal.
source "$(dirname "$0")/lib.sh"
qvr_tmpdir
SC=$QVR_SRC_DIR/tests/e2e/scenarios/runaway_nested.lua

elapsed() { python3 -c "print(round($(date +%s.%N) - $1, 2))"; }

# 1. A 1 s run whose task loops inside pcall, inside xpcall whose handler
# loops too, or in a __close that loops (also one coroutine.close runs): it
# ends by itself (1 s past the planned end at most), with its results.
for mode in pcall xpcall close coclose; do
    out=$QVR_TMP/$mode
    t0=$(date +%s.%N)
    QVR_TIMEOUT=12 run_qvrrun "$SC" -e MODE=$mode --out "$out" --quiet \
        --no-plots
    el=$(elapsed "$t0")
    assert_eq "$RC" 99 "$mode: exit 99 (not killed; the loop is a task error, which fails task_errors == 0)"
    assert_le "$el" 5 "$mode: ended in ${el}s (1 s run)"
    S=$out/summary.json
    assert_contains "$S" "without yielding" "$mode: the loop is a task error"
    # one python for both numbers: script_errors >= 1, requests == 1
    assert_eq "$(json_get "$S" \
        '[d["totals"]["script_errors"] >= 1, d["totals"]["requests"]]')" \
        "[true, 1]" "$mode: counted in script_errors; the request before it too"
done

# sig_run MODE OUT SIGNAL [SIGNAL2]: a 30 s run, SIGNAL 0.6 s in (SIGNAL2
# 0.5 s later); sets RC and EL (seconds from the first signal to the
# exit). Killed, and failed, if still running 10 s after the signal.
sig_run()
{
    local mode=$1 out=$2 sig=$3 sig2=${4:-} t0 i
    "$QVRRUN" "$SC" -e MODE="$mode" -e DURATION=30s --out "$out" \
        --no-plots >"$QVR_TMP/bg.out" 2>"$QVR_TMP/bg.err" </dev/null &
    BG=$!
    qvr_track "$BG"
    QVR_LAST_STDERR=$QVR_TMP/bg.err
    sleep 0.6
    t0=$(date +%s.%N)
    kill -"$sig" "$BG"
    if [[ -n "$sig2" ]]; then
        sleep 0.5
        kill -"$sig2" "$BG"
    fi
    for ((i = 0; i < 100; i++)); do
        kill -0 "$BG" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$BG" 2>/dev/null; then
        kill -KILL "$BG"
        fail "$mode: still running 10 s after SIG$sig"
    fi
    RC=0
    wait "$BG" || RC=$?
    EL=$(elapsed "$t0")
}

# 2. SIGINT / SIGTERM 0.6 s into a loop in nested coroutines under pcalls:
# exit 130 within 2 s, results written, the loop counted.
sig_run nested "$QVR_TMP/int" INT
assert_eq "$RC" 130 "nested + SIGINT: exit 130"
assert_le "$EL" 2 "nested + SIGINT: ended ${EL}s after the signal"
S=$QVR_TMP/int/summary.json
assert_eq "$(json_get "$S" 'd["interrupted"]')" true "SIGINT: interrupted"
assert_contains "$S" "without yielding" "SIGINT: the loop is a task error"
sig_run wrap "$QVR_TMP/term" TERM
assert_eq "$RC" 130 "wrap + SIGTERM: exit 130"
assert_le "$EL" 2 "wrap + SIGTERM: ended ${EL}s after the signal"
assert_eq "$(json_get "$QVR_TMP/term/summary.json" 'd["exit_code"]')" 130 \
    "SIGTERM: summary.json written"

# 3. Stuck in C code: the first SIGINT cannot stop it; the second ends the
# run 2 s later with what was measured (the first request).
sig_run cfind "$QVR_TMP/c" INT INT
assert_eq "$RC" 130 "stuck in C, second SIGINT: exit 130"
assert_le "$EL" 4.5 "stuck in C: ended ${EL}s after the first signal"
assert_contains "$QVR_TMP/bg.err" "stuck in C code" "says why"
S=$QVR_TMP/c/summary.json
assert_eq "$(json_get "$S" 'd["interrupted"]')" true "stuck: interrupted"
assert_eq "$(json_get "$S" 'd["totals"]["requests"]')" 1 \
    "stuck: the request measured before is in the results"
assert_contains "$QVR_TMP/bg.out" "results:" "stuck: the table is printed"
finish
