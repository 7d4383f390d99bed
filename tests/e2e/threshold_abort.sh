#!/usr/bin/env bash
# Thresholds with abort = true stop a 30 s run as soon as they fail, on one
# thread and with worker threads (where the main thread judges the merged
# windows): whole-run, tagged and windowed latency, an error rate, checks,
# `after` holding the abort back, and thresholds that hold letting the run
# finish. The
# built-in mock answers after 20 ms, so "p50 < 5ms" fails from the first
# window.
source "$(dirname "$0")/lib.sh"
qvr_tmpdir
SC=$QVR_SRC_DIR/tests/e2e/scenarios/abort.lua

# has TEXT PART MSG: TEXT contains PART.
has()
{
    if [[ "$1" == *"$2"* ]]; then pass "$3"; else fail "$3: '$2' not in '$1'"; fi
}

# run_abort NAME THREADS TH [ARGS...]: run it; S is its summary.json.
run_abort()
{
    local name=$1 threads=$2 th=$3
    shift 3
    run_qvrrun "$SC" --quiet --no-plots --threads "$threads" \
        --out "$QVR_TMP/$name" -e TH="$th" "$@" || true
    S=$QVR_TMP/$name/summary.json
    [[ -f $S ]] || fail "$name: no summary.json (exit $RC)"
}

for t in 1 2; do
    run_abort whole$t $t whole
    assert_eq "$RC" 99 "threads $t: a failing abort threshold exits 99"
    has "$(json_get "$S" 'd["aborted"]')" "p50 < 5ms (measured" \
        "threads $t: the reason names the threshold and its value"
    assert_le "$(json_get "$S" 'd["duration_s"]')" 8 "threads $t: stopped early (30 s planned)"
    assert_ge "$(json_get "$S" 'd["totals"]["requests"]')" 1000 "threads $t: requests before the stop"
    assert_eq "$(json_get "$S" 'd["interrupted"]')" false "threads $t: not an interruption"

    run_abort window$t $t window
    assert_eq "$RC" 99 "threads $t: a failing windowed abort threshold exits 99"
    has "$(json_get "$S" 'd["aborted"]')" "p99[2s] < 5ms" "threads $t: windowed reason"
    assert_le "$(json_get "$S" 'd["duration_s"]')" 8 "threads $t: windowed: stopped early"
done

run_abort after 2 after
assert_eq "$RC" 99 "after: exits 99"
assert_ge "$(json_get "$S" 'd["duration_s"]')" 4 "after = 4s: no abort before 4 s"
assert_le "$(json_get "$S" 'd["duration_s"]')" 10 "after = 4s: stopped soon after"

for th in tagged checks; do
    run_abort $th 2 $th
    assert_eq "$RC" 99 "$th: exits 99 with 2 threads"
    assert_le "$(json_get "$S" 'd["duration_s"]')" 8 "$th: stopped early with 2 threads"
done
has "$(json_get "$QVR_TMP/tagged/summary.json" 'd["aborted"]')" "p50{name=rr} < 5ms" \
    "tagged: the reason"
has "$(json_get "$QVR_TMP/checks/summary.json" 'd["aborted"]')" "checks > 99%" \
    "checks: the reason"

run_abort errors 2 errors -e ERR=0.5
assert_eq "$RC" 99 "error rate: exits 99"
has "$(json_get "$S" 'd["aborted"]')" "error_rate < 10%" "error rate: the reason"
assert_le "$(json_get "$S" 'd["duration_s"]')" 8 "error rate: stopped early"

for t in 1 2; do
    run_abort holds$t $t holds -e DURATION=3s
    assert_eq "$RC" 0 "threads $t: abort thresholds that hold: exit 0"
    assert_eq "$(json_get "$S" '"aborted" in d')" false "threads $t: not aborted"
    assert_ge "$(json_get "$S" 'd["duration_s"]')" 2.9 "threads $t: the whole 3 s ran"
done
finish
