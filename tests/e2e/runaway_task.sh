#!/usr/bin/env bash
# A task that never yields is stopped by the watchdog (5 s, 1 s past the
# planned end or after SIGINT/SIGTERM) with a task error; the run ends by
# itself, writes summary.json and the other task keeps running.
source "$(dirname "$0")/lib.sh"
qvr_tmpdir
SC=$QVR_SRC_DIR/tests/e2e/scenarios/runaway.lua

elapsed() { python3 -c "print(round($(date +%s.%N) - $1, 2))"; }

# 1. and 2. A 3 s run, on one thread and on two: a looping iteration is
# stopped, the run ends on time (not killed) with its results.
for threads in 1 2; do
    out=$QVR_TMP/t$threads
    t0=$(date +%s.%N)
    QVR_TIMEOUT=40 run_qvrrun "$SC" --out "$out" --quiet --no-plots \
        --threads "$threads"
    el=$(elapsed "$t0")
    [[ $RC == 0 || $RC == 99 ]] && pass "threads $threads: exit $RC" ||
        fail "threads $threads: exit $RC (want 0 or 99)"
    assert_le "$el" 9 "threads $threads: ended in ${el}s (3 s run)"
    S=$out/summary.json
    [[ -f $S ]] && pass "threads $threads: summary.json" ||
        fail "threads $threads: no summary.json"
    assert_contains "$S" "without yielding" \
        "threads $threads: errors quote the stopped loop"
    assert_ge "$(json_get "$S" 'd["totals"]["script_errors"]')" 1 \
        "threads $threads: counted as task errors"
    assert_ge "$(json_get "$S" 'd["tasks"]["ok"]["requests"]')" 1 \
        "threads $threads: the normal task kept running"
done

# 3. SIGINT 1 s into a run whose only task loops forever: exit 130 with
# summary.json, well before the watchdog's 5 s.
out=$QVR_TMP/int
"$QVRRUN" "$SC" --out "$out" --quiet --no-plots -e MODE=loop -e USERS=1 \
    -e DURATION=30s >"$QVR_TMP/int.out" 2>"$QVR_TMP/int.err" </dev/null &
BG=$!
qvr_track "$BG"
sleep 1
t0=$(date +%s.%N)
kill -INT "$BG"
rc=0
for _ in $(seq 1 100); do
    kill -0 "$BG" 2>/dev/null || break
    sleep 0.1
done
if kill -0 "$BG" 2>/dev/null; then
    kill -KILL "$BG"
    fail "SIGINT: still running 10 s later"
fi
wait "$BG" || rc=$?
el=$(elapsed "$t0")
QVR_LAST_STDERR=$QVR_TMP/int.err
assert_eq "$rc" 130 "SIGINT: exit 130"
assert_le "$el" 6 "SIGINT: ended ${el}s after the signal"
[[ -f $out/summary.json ]] && pass "SIGINT: summary.json" ||
    fail "SIGINT: no summary.json"
assert_contains "$out/summary.json" "without yielding" \
    "SIGINT: the loop counted as a task error"
finish
