#!/usr/bin/env bash
# Values of Authorization, Cookie and headers named in redact = {...} never
# appear in logs, errors or result files; a password in the target URL is
# hidden in the banner and the summary.
source "$(dirname "$0")/lib.sh"
qvr_tmpdir
start_nginx
run_qvrrun "$QVR_SRC_DIR/tests/e2e/scenarios/secrets.lua" --out "$QVR_TMP/s" \
    -e QVR_TARGET="http://user:pa55w0rd-x@127.0.0.1:$NGINX_PORT"
assert_eq "$RC" 99 "run exits 99 (task errors are counted and fail the default task_errors == 0)"
assert_ge "$(json_get "$QVR_TMP/s/summary.json" 'd["totals"]["script_errors"]')" 1 "task errors counted"
for f in "$QVR_STDOUT" "$QVR_STDERR" "$QVR_TMP"/s/*; do
    for secret in s3cr3t-T0KEN-123 k3y-V4LUE-987 c00kie-val pa55w0rd-x; do
        if grep -q -- "$secret" "$f"; then
            fail "secret '$secret' leaked into $f"
        fi
    done
done
pass "no secret in stdout, stderr or any result file"
assert_contains "$QVR_STDERR" "<redacted>" "the log line shows where a secret was"
assert_contains "$QVR_TMP/s/summary.json" "user:<redacted>@127.0.0.1" "URL password redacted in the summary"
assert_contains "$QVR_TMP/s/summary.json" "request failed with key <redacted>" "task error kept, secret removed"
# the live dashboard (--web) shows what the results show: task errors,
# the target, names, all redacted
ERR=$QVR_TMP/web.err
: >"$ERR"
"$QVRRUN" "$QVR_SRC_DIR/tests/e2e/scenarios/secrets.lua" --out "$QVR_TMP/w" \
    -e QVR_TARGET="http://user:pa55w0rd-x@127.0.0.1:$NGINX_PORT" \
    --duration 4s --web 0 --quiet </dev/null >/dev/null 2>"$ERR" &
WPID=$!
qvr_track "$WPID"
URL=
for ((i = 0; i < 200; i++)); do
    URL=$(grep -m 1 '^qvrrun: dashboard at ' "$ERR" | cut -d' ' -f4 || true)
    [[ -n "$URL" ]] && break
    sleep 0.05
done
[[ -n "$URL" ]] || fail "no dashboard URL"
sleep 2.2
timeout 1 curl -sN "${URL}events" >"$QVR_TMP/events" || true
wait "$WPID" || true
grep -q '"task_errors":\[\["' "$QVR_TMP/events" || fail "the page got no task error"
grep -q 'request failed with key <redacted>' "$QVR_TMP/events" ||
    fail "the page's task error is not the redacted one"
grep -q 'user:<redacted>@127.0.0.1' "$QVR_TMP/events" || fail "the page's target is not redacted"
for secret in s3cr3t-T0KEN-123 k3y-V4LUE-987 c00kie-val pa55w0rd-x; do
    grep -q -- "$secret" "$QVR_TMP/events" && fail "secret '$secret' on the dashboard"
done
pass "the dashboard's events hold no secret (task errors and target redacted)"
# the server really received the secret headers: redaction is only in output
assert_ge "$(nginx_count)" 3 "requests reached nginx"
finish
