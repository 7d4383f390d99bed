#!/usr/bin/env bash
# Findings are sentences with the numbers behind them: a cold start, a target
# refusing load with Retry-After, and the generator itself as the bottleneck.
source "$(dirname "$0")/lib.sh"
qvr_tmpdir
start_nginx
start_delay_server 400ms
SC=$QVR_SRC_DIR/tests/e2e/scenarios/findings.lua
has() { json_get "$1" "any('$2' in f for f in d['findings'])"; }

run_qvrrun "$SC" --out "$QVR_TMP/c" --quiet -e KIND=cold \
    -e QVR_TARGET="http://127.0.0.1:$NGINX_PORT" -e SLOW_URL="http://127.0.0.1:$DELAY_PORT/slow"
assert_eq "$RC" 0 "cold-start run exits 0"
assert_eq "$(has "$QVR_TMP/c/summary.json" "cold start: the first request took 4")" true "cold start found (~400 ms first request)"

run_qvrrun "$SC" --out "$QVR_TMP/r" --quiet -e KIND=refuse
assert_eq "$RC" 0 "refusal run exits 0"
S=$QVR_TMP/r/summary.json
n503=$(json_get "$S" 'd["totals"]["status"].get("503", 0)')
assert_ge "$n503" 1 "the mock refused some requests"
assert_eq "$(has "$S" "the target refused load: $n503 answers 503/429")" true "refusals counted in the finding"
assert_eq "$(has "$S" "Retry-After up to 1s")" true "Retry-After reported"

# the generator flat out: 50 users without think time against nginx
run_qvrrun "$QVR_SRC_DIR/bench/qvrrun_bench.lua" --out "$QVR_TMP/g" --quiet \
    --target "http://127.0.0.1:$NGINX_PORT" --users 50 --duration 4s
assert_eq "$RC" 0 "saturating run exits 0"
S=$QVR_TMP/g/summary.json
assert_ge "$(json_get "$S" 'd["generator"]["cpu_pct_max"]')" 50 "generator CPU measured"
assert_eq "$(has "$S" "the generator was the bottleneck")" true "generator saturation found"
finish
