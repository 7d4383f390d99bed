#!/usr/bin/env bash
# Connections and request headers against nginx: idle keep-alive connections
# that the server closes (qvrrun keeps idle sockets registered with epoll and
# must neither spin on them nor fail the next request), connections closed
# after every second request (descriptors reused at once), the default
# User-Agent and Accept-Encoding, and a gzip answer decoded when the scenario
# asks for it.
source "$(dirname "$0")/lib.sh"
qvr_tmpdir
SC=$QVR_SRC_DIR/tests/e2e/scenarios/conn.lua
JSON='{"scores":[0.9,0.1,0.5],"pad":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}'
start_nginx "keepalive_timeout 1s;
    location = /ae { return 200 'ae=[\$http_accept_encoding] ua=[\$http_user_agent]'; }
    location = /expect { return 200 'expect=[\$http_expect]'; }
    location = /gz { gzip on; gzip_min_length 1; gzip_types application/json;
                     return 200 '$JSON'; }"
T=$NGINX_URL
count_body()
{
    json_get "$1" "sum(c['passed'] for c in d['checks'] if c['name'] == 'body')"
}

# 1. Headers: our User-Agent, no Accept-Encoding unless the scenario sets
#    one; the scenario's own User-Agent replaces ours.
VERSION=$("$QVRRUN" --version | awk 'NR == 1 { print $2 }')
run_qvrrun "$SC" --quiet --no-plots --out "$QVR_TMP/h1" -e QVR_TARGET="$T" \
    -e PATH_=/ae -e USERS=1 -e DURATION=1s -e WANT="ae=[] ua=[qvrrun/$VERSION]"
S=$QVR_TMP/h1/summary.json
req=$(json_get "$S" 'd["totals"]["requests"]')
assert_ge "$req" 10 "headers: requests made"
assert_eq "$(count_body "$S")" "$req" "default headers: qvrrun UA, no Accept-Encoding"
run_qvrrun "$SC" --quiet --no-plots --out "$QVR_TMP/h2" -e QVR_TARGET="$T" \
    -e PATH_=/ae -e USERS=1 -e DURATION=1s -e AE=gzip -e UA=probe/1 \
    -e WANT="ae=[gzip] ua=[probe/1]"
S=$QVR_TMP/h2/summary.json
assert_eq "$(count_body "$S")" "$(json_get "$S" 'd["totals"]["requests"]')" \
    "the scenario's Accept-Encoding and User-Agent are sent"

#    A body above 1 kB goes without "Expect: 100-continue" (libcurl would
#    wait for nginx's go-ahead: a round trip that is not the target's);
#    a small one never had it.
for len in 100 5000; do
    run_qvrrun "$SC" --quiet --no-plots --out "$QVR_TMP/e$len" -e QVR_TARGET="$T" \
        -e PATH_=/expect -e USERS=1 -e DURATION=1s -e BODYLEN=$len -e WANT="expect=[]"
    S=$QVR_TMP/e$len/summary.json
    assert_eq "$(count_body "$S")" "$(json_get "$S" 'd["totals"]["requests"]')" \
        "POST of $len bytes: no Expect header"
done

# 2. gzip: nginx compresses /gz when asked (checked with curl), and qvrrun,
#    asked by the scenario, hands the task the decoded body.
magic=$(curl -s -H 'Accept-Encoding: gzip' "$T/gz" | head -c 2 | od -An -tx1 | tr -d ' ')
assert_eq "$magic" "1f8b" "nginx answers /gz with gzip when asked"
run_qvrrun "$SC" --quiet --no-plots --out "$QVR_TMP/gz" -e QVR_TARGET="$T" \
    -e PATH_=/gz -e USERS=2 -e DURATION=1s -e AE=gzip -e WANT="$JSON"
S=$QVR_TMP/gz/summary.json
req=$(json_get "$S" 'd["totals"]["requests"]')
assert_ge "$req" 10 "gzip: requests made"
assert_eq "$(count_body "$S")" "$req" "every gzip answer decoded to the JSON"

# 3. Idle connections closed by the server (keepalive_timeout 1s, users
#    think 1.6 s): every request succeeds on a new connection, nginx saw
#    each one, and the closed idle sockets cost no CPU (a level-triggered
#    readable socket left in epoll would spin a core for the whole run).
: >"$NGINX_LOG"
/usr/bin/time -f '%U %S' -o "$QVR_TMP/idle.time" \
    "$QVRRUN" "$SC" --quiet --no-plots --out "$QVR_TMP/idle" \
    -e QVR_TARGET="$T" -e USERS=8 -e WAIT=1.6 -e DURATION=5s >/dev/null 2>&1 ||
    true
S=$QVR_TMP/idle/summary.json
req=$(json_get "$S" 'd["totals"]["requests"]')
assert_ge "$req" 16 "idle: requests made"
assert_eq "$(json_get "$S" 'd["totals"]["failures"]')" 0 "idle: no request failed"
assert_eq "$(nginx_count)" "$req" "idle: nginx saw every request"
cpu=$(awk '{ print $1 + $2 }' "$QVR_TMP/idle.time")
assert_le "$cpu" 0.5 "idle: ${cpu} s of CPU over a 5 s run (no spinning on closed sockets)"

# 4. nginx closes every connection after its second request: descriptors
#    are closed and reused all the time; every request is still counted
#    once and none fails.
start_nginx "keepalive_requests 2;"
: >"$NGINX_LOG"
run_qvrrun "$SC" --quiet --no-plots --out "$QVR_TMP/churn" \
    -e QVR_TARGET="$NGINX_URL" -e USERS=20 -e DURATION=2s
S=$QVR_TMP/churn/summary.json
req=$(json_get "$S" 'd["totals"]["requests"]')
assert_ge "$req" 1000 "churn: requests made"
assert_eq "$(json_get "$S" 'd["totals"]["failures"]')" 0 "churn: no request failed"
assert_eq "$(nginx_count)" "$req" "churn: nginx saw every request"
finish
