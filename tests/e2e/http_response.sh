#!/usr/bin/env bash
# The response object a task gets: plain fields (status, ok, body, time,
# err, kind) and the ones made on demand (json, headers, name, version,
# timings), against nginx's answer and a closed port. Every check must pass
# on every request.
source "$(dirname "$0")/lib.sh"
qvr_tmpdir
JSON='{"scores":[0.9,0.1,0.5],"pad":"p"}'
start_nginx "location = /json { default_type application/json;
                 add_header X-Probe p1; return 200 '$JSON'; }"
DEAD=http://127.0.0.1:$(free_port)/
run_qvrrun "$QVR_SRC_DIR/tests/e2e/scenarios/response.lua" --quiet --no-plots \
    --out "$QVR_TMP/r" -e QVR_TARGET="$NGINX_URL" -e WANT="$JSON" -e DEAD="$DEAD" || true
S=$QVR_TMP/r/summary.json
probe=$(json_get "$S" 'd["names"]["probe"]["requests"]')
assert_ge "$probe" 10 "requests to /json"
assert_eq "$(json_get "$S" 'd["names"]["dead"]["requests"]')" "$probe" \
    "one request to the closed port per iteration"
for c in status body json headers name version timings "no error"; do
    assert_eq "$(json_get "$S" "[x['passed'] for x in d['checks'] if x['name'] == '$c'][0]")" \
        "$probe" "check '$c' passed on every answer"
done
assert_eq "$(json_get "$S" "[x['passed'] for x in d['checks'] if x['name'] == 'dead'][0]")" \
    "$probe" "check 'dead' passed on every failure"
assert_eq "$(json_get "$S" "sum(x['failed'] for x in d['checks'])")" 0 "no check failed"
finish
