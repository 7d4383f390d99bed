#!/usr/bin/env bash
# The live dashboard (--web) and report.html in a real browser: headless
# Debian chromium driven by python3-selenium and chromium-driver
# (web_dashboard.py). During a run against the mock: the request count
# shown within one window of summary.json's, points on every chart, a
# threshold failing on purpose shown failing, users raised from the page
# (summary.json's load_changes, the windows' users), and "Stop" clicked
# ending the run with its results and the exit code of a normal end (99
# here, never 130), the collected host samples and timing header charted.
# Then report.html from disk: no JavaScript error, the
# same totals. Screenshots go to $QVR_BIN_DIR/e2e-web/. Never skipped: a
# missing browser fails the test.
source "$(dirname "$0")/lib.sh"
qvr_tmpdir

PY=
for p in /usr/bin/python3 python3; do
    if command -v "$p" >/dev/null && "$p" -c 'import selenium' 2>/dev/null; then
        PY=$p
        break
    fi
done
[[ -n "$PY" ]] || fail "python3-selenium is missing (make test-deps)"
[[ -x /usr/bin/chromium ]] || fail "chromium is missing (make test-deps)"
[[ -x /usr/bin/chromedriver ]] || fail "chromium-driver is missing (make test-deps)"

SHOTS=$QVR_BIN_DIR/e2e-web
mkdir -p "$SHOTS"
OUT=$QVR_TMP/run
ERR=$QVR_TMP/run.err
: >"$ERR"
"$QVRRUN" "$QVR_SRC_DIR/tests/e2e/scenarios/web.lua" --web 127.0.0.1:0 \
    --no-plots --out "$OUT" </dev/null >"$QVR_TMP/run.out" 2>"$ERR" &
PID=$!
qvr_track "$PID"
QVR_LAST_STDERR=$ERR
URL=
for ((i = 0; i < 200; i++)); do
    URL=$(grep -m 1 '^qvrrun: dashboard at ' "$ERR" | cut -d' ' -f4 || true)
    [[ -n "$URL" ]] && break
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.05
done
[[ "$URL" == http://127.0.0.1:* ]] || fail "no dashboard URL printed"
pass "the URL is printed at start ($URL)"

SEEN=$QVR_TMP/seen.json
timeout 60 "$PY" "$QVR_SRC_DIR/tests/e2e/web_dashboard.py" "$URL" "$OUT" \
    "$SHOTS" "$QVR_TMP/chromium" >"$SEEN" || fail "the browser checks failed"
pass "live page: charts with points, p50 < 1ms failing, error_rate holding"

RC=0
for ((i = 0; i < 300; i++)); do
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.05
done
wait "$PID" || RC=$?
S=$OUT/summary.json
[[ -f "$S" ]] || fail "no summary.json after Stop"
assert_eq "$RC" 99 "stopped from the page: exit 99 (a threshold failed), not 130"
assert_eq "$(json_get "$S" 'd["stopped_by"]')" web "summary.json: stopped_by web"
assert_eq "$(json_get "$S" 'd["interrupted"]')" false "summary.json: not interrupted"
assert_le "$(json_get "$S" 'd["duration_s"]')" 30 "stopped long before the planned 60 s"

seen() { json_get "$SEEN" "$1"; }
assert_eq "$(seen 'd["users_before"]')" 2 "the page showed the plan's 2 users"
assert_eq "$(json_get "$S" 'len(d["load_changes"])')" 1 "one load change recorded"
assert_eq "$(json_get "$S" 'd["load_changes"][0]["users"]')" 4 "the change: 4 users"
assert_eq "$(json_get "$S" 'd["load_changes"][0]["source"]')" web "the change's source"
assert_eq "$(json_get "$S" 'd["max_users"]')" 4 "the run's users went up to 4"
# the windows before the change ran 2 users, the last one 4
first=$(sed -n '2p' "$OUT/timeseries.csv" | cut -d, -f3)
last=$(tail -n 1 "$OUT/timeseries.csv" | cut -d, -f3)
assert_eq "$first" 2 "timeseries.csv: 2 users at first"
assert_eq "$last" 4 "timeseries.csv: 4 users after the change"

total=$(json_get "$S" 'd["totals"]["requests"]')
shown=$(seen 'd["shown_requests"]')
win=$(seen 'd["max_window_requests"]')
assert_ge "$shown" 20 "the page counted requests"
assert_ge "$total" "$shown" "summary.json has at least the requests shown"
# what the page had not shown yet: the window open when Stop was clicked
# (at most one window) and the 4 users' requests in flight
assert_le "$((total - shown))" "$((win + 4))" \
    "the count shown is within one window of summary.json's ($shown of $total, a window up to $win)"

assert_eq "$(seen 'd["report_requests"]')" "$total" "report.html: the same requests"
assert_eq "$(seen 'd["report_failures"]')" "$(json_get "$S" 'd["totals"]["failures"]')" \
    "report.html: the same failures"
assert_ge "$(seen 'd["report_points_latency"]')" 3 "report.html: latency chart has points"
assert_ge "$(seen 'd["report_points_throughput"]')" 3 "report.html: throughput chart has points"
assert_ge "$(seen 'd["report_points_distribution"]')" 5 "report.html: distribution has points"
assert_ge "$(seen 'd["report_points_collect"]')" 3 "report.html: the collected samples' chart has points"
assert_eq "$(seen 'd["report_thresholds"]["p50 < 1ms"]')" failed "report.html: p50 < 1ms failed"
[[ "$(seen 'd["report_verdict"]')" == 99* ]] || fail "report.html: exit code not 99"
pass "report.html: exit code 99"
for f in dashboard.png report.png; do
    [[ -s "$SHOTS/$f" ]] || fail "no screenshot $f"
done
pass "screenshots in $SHOTS"
finish
