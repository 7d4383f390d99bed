#!/usr/bin/env bash
# Thresholds on token streams: ttft./itl./tpot. percentiles (whole run,
# tagged, windowed) and output_tokens_per_s pass when met and fail the run
# (exit 99) when not; the verdicts show the measured values; a TTFT slo
# makes goodput count only streams whose first token came in time.
source "$(dirname "$0")/lib.sh"
qvr_tmpdir
SC=$QVR_SRC_DIR/tests/e2e/scenarios/stream.lua
start_sse_server --ttft 20ms --itl 5ms --tokens 8

run_th()
{
    run_qvrrun "$SC" --quiet --no-plots --out "$QVR_TMP/$1" -e T="$SSE_URL" \
        -e USERS=4 -e DURATION=1s -e TH="$1"
    S=$QVR_TMP/$1/summary.json
    [[ -f $S ]] || fail "$1: no summary.json (exit $RC)"
}

run_th pass
assert_eq "$RC" 0 "met token thresholds: exit 0"
assert_eq "$(json_get "$S" '[t["ok"] for t in d["thresholds"]].count(True)')" 7 "all six pass, and the default task_errors == 0"
ttft=$(json_get "$S" '[t["value_ms"] for t in d["thresholds"] if t["expr"].startswith("ttft.p50")][0]')
assert_near "$ttft" 20.5 1.5 "ttft.p50 measured ~20 ms ($ttft)"

run_th ttft
assert_eq "$RC" 99 "ttft.p50 < 5ms on a 20 ms TTFT: exit 99"
v=$(json_get "$S" 'd["thresholds"][0]["value_ms"]')
assert_near "$v" 20.5 1.5 "the failed verdict measured TTFT p50 ~20 ms ($v)"

run_th itl
assert_eq "$RC" 99 "itl.p50[1s] < 1ms on a 5 ms ITL: exit 99"
v=$(json_get "$S" 'd["thresholds"][0]["value_ms"]')
assert_near "$v" 5 0.5 "windowed ITL p50 measured ~5 ms ($v)"

run_th tps
assert_eq "$RC" 99 "output_tokens_per_s > 1000000: exit 99"

run_qvrrun "$SC" --quiet --no-plots --out "$QVR_TMP/bad" -e T="$SSE_URL" -e TH=bad
assert_eq "$RC" 2 "ttft.rps: a scenario error"
assert_contains "$QVR_STDERR" "ttft. takes a time" "the error says what ttft. takes"
# slo on TTFT and TPOT: a step meets it only when its streams do, and
# goodput counts the streams that met both bounds
for slo in "ttft.p99 < 200ms, tpot.p99 < 50ms" "ttft.p99 < 5ms" "tpot.p50 < 1ms"; do
    run_qvrrun "$SC" --quiet --no-plots --out "$QVR_TMP/slo" -e T="$SSE_URL" \
        -e STEPS=1 -e DURATION=500ms -e SLO="$slo"
    assert_eq "$RC" 0 "slo '$slo': exit 0"
    S=$QVR_TMP/slo/summary.json
    ok=$(json_get "$S" '[s["slo_ok"] for s in d["steps"]]')
    good=$(json_get "$S" 'd["totals"]["good"]')
    if [[ $slo == *200ms* ]]; then
        assert_eq "$ok" "[true, true]" "slo '$slo': both steps meet it"
        assert_eq "$good" "$(json_get "$S" 'd["totals"]["requests"]')" "slo '$slo': every stream good"
        assert_eq "$(json_get "$S" 'd["steps"][1]["output_tokens"]')" \
            "$(json_get "$S" 'd["steps"][1]["requests"] * 8')" "steps carry output tokens"
    else
        assert_eq "$ok" "[false, false]" "slo '$slo': no step meets it"
        assert_eq "$good" 0 "slo '$slo': goodput 0"
    fi
    rm -rf "$QVR_TMP/slo"
done
finish
