#!/usr/bin/env bash
# The dashboard of `qvrrun monitor --web` over plain HTTP (curl; the page
# itself is checked in a browser by web_dashboard.sh): the rolling
# percentiles per probe in the event stream, the token that every request
# then needs, Stop ending the monitor as its --duration would (exit as
# judged, never 130), and the address rules (a non-loopback bind without a
# token, a bad address: exit 2 with one line naming --web).
source "$(dirname "$0")/lib.sh"
qvr_tmpdir

run_qvrrun monitor mock --duration 1s --web 0.0.0.0:0 --out "$QVR_TMP/bad"
assert_eq "$RC" 2 "a non-loopback --web without a token: exit 2"
grep -q -- "--web-token" "$QVR_LAST_STDERR" || fail "the error names --web-token"
pass "the error names --web-token"
run_qvrrun "$QVR_SRC_DIR/tests/e2e/scenarios/web.lua" --web 127.0.0.1:99999 \
    --out "$QVR_TMP/bad2"
assert_eq "$RC" 2 "a bad --web address: exit 2"
run_qvrrun "$QVR_SRC_DIR/tests/e2e/scenarios/web.lua" --web-token x \
    --out "$QVR_TMP/bad3"
assert_eq "$RC" 2 "--web-token without --web: exit 2"

ERR=$QVR_TMP/mon.err
: >"$ERR"
"$QVRRUN" monitor mock --interval 0.2s --duration 30s --threshold 'p99<10s' \
    --web 127.0.0.1:0 --web-token s3cret --no-plots --out "$QVR_TMP/mon" \
    </dev/null >"$QVR_TMP/mon.out" 2>"$ERR" &
PID=$!
qvr_track "$PID"
QVR_LAST_STDERR=$ERR
URL=
for ((i = 0; i < 200; i++)); do
    URL=$(grep -m 1 '^qvrrun monitor: dashboard at ' "$ERR" | cut -d' ' -f5 | cut -d'?' -f1 || true)
    [[ -n "$URL" ]] && break
    sleep 0.05
done
[[ "$URL" == http://127.0.0.1:* ]] || fail "no dashboard URL printed"
grep -q s3cret "$ERR" && fail "the token was printed"
pass "the URL is printed, the token is not"
sleep 1.2

code=$(curl -s -o /dev/null -w '%{http_code}' "$URL")
assert_eq "$code" 403 "no token: 403"
code=$(curl -s -o /dev/null -w '%{http_code}' "${URL}?token=wrong")
assert_eq "$code" 403 "a wrong token: 403"
code=$(curl -s -o "$QVR_TMP/page.html" -w '%{http_code}' "${URL}?token=s3cret")
assert_eq "$code" 200 "the token in the query: the page"
grep -q 'Dygraph' "$QVR_TMP/page.html" || fail "the page has no charting library"
pass "the page inlines dygraphs"

timeout 2 curl -sN -H 'X-Qvr-Token: s3cret' "${URL}events" >"$QVR_TMP/events" || true
line=$(grep -m 1 '^data: ' "$QVR_TMP/events" | cut -c 7- || true)
[[ -n "$line" ]] || fail "no event from /events"
printf '%s' "$line" >"$QVR_TMP/history.json"
assert_eq "$(json_get "$QVR_TMP/history.json" 'd["state"]["mode"]')" monitor "the state is a monitor's"
assert_ge "$(json_get "$QVR_TMP/history.json" 'len(d["windows"])')" 4 "every probe so far in the history"
assert_eq "$(json_get "$QVR_TMP/history.json" 'd["state"]["requests"]')" \
    "$(json_get "$QVR_TMP/history.json" 'len(d["windows"])')" "one window per probe"
# each window's P99 is the rolling window's: at or above its P50
assert_eq "$(json_get "$QVR_TMP/history.json" 'all(w[3] >= w[1] > 0 for w in d["windows"])')" true \
    "rolling P99 >= P50 > 0 in every window"
assert_eq "$(json_get "$QVR_TMP/history.json" 'd["state"]["thresholds"][0]["state"]')" holding \
    "p99<10s holding"

code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    -d '{}' "${URL}stop")
assert_eq "$code" 403 "Stop without the token: 403"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    -H 'X-Qvr-Token: s3cret' -d '{"count":3}' "${URL}users")
assert_eq "$code" 409 "a monitor has no users to change: 409"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    -H 'Authorization: Bearer s3cret' -d '{}' "${URL}stop")
assert_eq "$code" 200 "Stop with the token"
RC=0
for ((i = 0; i < 100; i++)); do
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.05
done
wait "$PID" || RC=$?
assert_eq "$RC" 0 "stopped from the page: exit 0 (the threshold held), not 130"
assert_ge "$(wc -l <"$QVR_TMP/mon/history.jsonl")" 4 "history.jsonl written"
finish
