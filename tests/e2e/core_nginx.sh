#!/usr/bin/env bash
# qvrrun against a real third-party server (nginx): request counts agree with
# nginx's access log, task weights hold, failures are classified, thresholds
# set the exit code.
source "$(dirname "$0")/lib.sh"
qvr_tmpdir
start_nginx
SC=$QVR_SRC_DIR/tests/e2e/scenarios/mix.lua
T=http://127.0.0.1:$NGINX_PORT

# 1. Counts and weights: every request nginx saw is in the summary (the
#    warm-up apart), and the 3:1 weights hold within 5% over >= 2,000.
run_qvrrun "$SC" --out "$QVR_TMP/r1" --quiet -e QVR_TARGET="$T" -e WARMUP=5 \
    -e USERS=10 -e DURATION=3s
assert_eq "$RC" 0 "plain run exits 0"
S=$QVR_TMP/r1/summary.json
total=$(json_get "$S" 'd["totals"]["requests"]')
warm=$(json_get "$S" 'd["warmup"]["requests"]')
seen=$(nginx_count)
assert_eq "$warm" 5 "warm-up sent exactly warmup.requests"
assert_eq "$((total + warm))" "$seen" "requests in summary + warm-up == nginx log lines"
assert_ge "$total" 2000 "enough requests to judge the weights"
text=$(json_get "$S" 'd["tasks"]["text"]["requests"]')
share=$(python3 -c "print($text / $total)")
assert_near "$share" 0.75 0.0375 "task 'text' gets 3/4 of iterations (+-5%)"
assert_eq "$(json_get "$S" 'd["names"]["rerank_text"]["requests"]')" "$text" "name stats follow the task"
assert_eq "$(json_get "$S" 'd["totals"]["failures"]')" 0 "no failures against nginx"
assert_eq "$(json_get "$S" 'd["totals"]["status"]["200"]')" "$total" "every answer a 200"
assert_eq "$(json_get "$S" 'd["schema"]')" "qvrrun.summary/1" "schema"
assert_eq "$(json_get "$S" 'd["target"]["url"]')" "$T" "target url recorded"
assert_eq "$(json_get "$S" 'sum(1 for c in d["checks"] if c["name"]=="status 200" and c["passed"]==int(d["tasks"]["text"]["requests"]))')" 1 "one check per text iteration"
lines=$(wc -l < "$QVR_TMP/r1/timeseries.csv")
assert_ge "$lines" 4 "timeseries.csv has a row per window"
assert_contains "$QVR_STDOUT" "TOTAL"

# 2. 500s are failures of kind http_5xx, counted exactly as nginx logged them.
: > "$NGINX_LOG"
run_qvrrun "$SC" --out "$QVR_TMP/r2" --quiet -e QVR_TARGET="$T" \
    -e OTHER_PATH=/fail -e DURATION=2s -e USERS=4 -e ERR_TH="< 1%"
assert_eq "$RC" 99 "error_rate < 1% fails with exit 99"
S=$QVR_TMP/r2/summary.json
n500=$(nginx_count ' 500 ')
assert_ge "$n500" 1 "nginx answered some 500s"
assert_eq "$(json_get "$S" 'd["totals"]["failures_by_kind"]["http_5xx"]')" "$n500" "http_5xx == nginx's 500 lines"
assert_eq "$(json_get "$S" 'd["tasks"]["other"]["failures"]')" "$n500" "failures sit on the failing task"
check_byname "$QVR_TMP/r2"
assert_eq "$(python3 -c 'import csv,sys; print(sum(int(r["failures"]) for r in csv.DictReader(open(sys.argv[1])) if r["name"] == "rerank_other"))' "$QVR_TMP/r2/timeseries_by_name.csv")" "$n500" "by-name failures of rerank_other == nginx's 500 lines"
pass "timeseries_by_name.csv adds up to the summary and timeseries.csv"
assert_eq "$(json_get "$S" 'd["tasks"]["text"]["failures"]')" 0 "the other task is clean"
assert_eq "$(json_get "$S" '[t["ok"] for t in d["thresholds"] if t["expr"].startswith("error_rate")][0]')" false "verdict recorded"
assert_eq "$(json_get "$S" 'd["exit_code"]')" 99 "exit code recorded"
assert_contains "$QVR_STDOUT" "FAIL error_rate < 1%"

# 3. Thresholds that hold: exit 0 and ok verdicts with measured values.
run_qvrrun "$SC" --out "$QVR_TMP/r3" --quiet -e QVR_TARGET="$T" \
    -e DURATION=1s -e USERS=2 -e P99_TH="< 2s" -e ERR_TH="< 1%"
assert_eq "$RC" 0 "thresholds hold: exit 0"
assert_eq "$(json_get "$QVR_TMP/r3/summary.json" 'all(t["ok"] for t in d["thresholds"])')" true "all verdicts ok"
assert_eq "$(json_get "$QVR_TMP/r3/summary.json" '[t for t in d["thresholds"] if t["expr"]=="p99 < 2s"][0]["value_ms"] > 0')" true "p99 value recorded"

# 4. A p99 threshold below what loopback nginx can do fails.
run_qvrrun "$SC" --out "$QVR_TMP/r4" --quiet -e QVR_TARGET="$T" \
    -e DURATION=1s -e USERS=2 -e P99_TH="< 1us"
assert_eq "$RC" 99 "p99 < 1us fails: exit 99"

# 5. Closed port: every request is a 'refused' failure, nothing crashes.
CLOSED=$(free_port)
run_qvrrun "$SC" --out "$QVR_TMP/r5" --quiet -e QVR_TARGET="http://127.0.0.1:$CLOSED" \
    -e DURATION=1s -e USERS=2
assert_eq "$RC" 0 "no thresholds on refused: exit 0 (the run itself worked)"
S=$QVR_TMP/r5/summary.json
req=$(json_get "$S" 'd["totals"]["requests"]')
assert_ge "$req" 1 "refused requests were attempted"
assert_eq "$(json_get "$S" 'd["totals"]["failures_by_kind"]["refused"]')" "$req" "all refused"

# 6. ... and with a warm-up the run cannot be carried out: exit 3.
run_qvrrun "$SC" --out "$QVR_TMP/r6" --quiet -e QVR_TARGET="http://127.0.0.1:$CLOSED" \
    -e DURATION=1s -e WARMUP=2
assert_eq "$RC" 3 "unreachable during warm-up: exit 3"
assert_contains "$QVR_STDERR" "target unreachable during warm-up"
finish
