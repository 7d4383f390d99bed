#!/usr/bin/env bash
# The dashboard's rate control on a rate{} load (curl; the browser test is
# web_dashboard.sh): 10/s for about 2 s, then 40/s from POST /rate, then
# Stop. summary.json records the change, the intended rate is the time-
# weighted mean of the two (not the plan's 10/s), the starts follow the
# new rate, and a users change is refused for an open load.
source "$(dirname "$0")/lib.sh"
qvr_tmpdir
OUT=$QVR_TMP/run
ERR=$QVR_TMP/run.err
: >"$ERR"
"$QVRRUN" "$QVR_SRC_DIR/tests/e2e/scenarios/web_rate.lua" --web 0 --quiet \
    --no-plots --out "$OUT" </dev/null >/dev/null 2>"$ERR" &
PID=$!
qvr_track "$PID"
QVR_LAST_STDERR=$ERR
URL=
for ((i = 0; i < 200; i++)); do
    URL=$(grep -m 1 '^qvrrun: dashboard at ' "$ERR" | cut -d' ' -f4 || true)
    [[ -n "$URL" ]] && break
    sleep 0.05
done
[[ "$URL" == http://127.0.0.1:* ]] || fail "no dashboard URL printed (--web 0)"
pass "--web 0: a free loopback port ($URL)"
post() { curl -s -o "$QVR_TMP/reply" -w '%{http_code}' -X POST \
    -H 'Content-Type: application/json' -d "$2" "$URL$1"; }
sleep 2
assert_eq "$(post users '{"count":5}')" 409 "users on a rate{} load: 409"
assert_eq "$(post rate '{"rps":-1}')" 400 "a negative rate: 400"
assert_eq "$(post rate '{"rps":40}')" 200 "rate set to 40/s"
sleep 2
assert_eq "$(post stop '{}')" 200 "Stop"
assert_eq "$(post stop '{}')" 409 "a second Stop: 409 (already stopping)"
RC=0
wait "$PID" || RC=$?
assert_eq "$RC" 0 "stopped from the page with no threshold: exit 0"
S=$OUT/summary.json
assert_eq "$(json_get "$S" 'd["load_changes"][0]["rps"]')" 40 "the change recorded"
t=$(json_get "$S" 'd["load_changes"][0]["time_s"]')
load=$(json_get "$S" 'd["duration_s"]')
want=$(python3 -c "print(round((10 * $t + 40 * ($load - $t)) / $load, 1))")
assert_near "$(json_get "$S" 'd["arrivals"]["intended_rps"]')" "$want" 1.5 \
    "intended rate: the time-weighted mean ($want/s), not the plan's 10/s"
assert_near "$(json_get "$S" 'd["arrivals"]["started"]')" \
    "$(python3 -c "print(10 * $t + 40 * ($load - $t))")" 12 "starts follow the new rate"
finish
