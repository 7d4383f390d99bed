#!/usr/bin/env bash
# fixture_selftest_timing.sh -- proves the e2e harness (lib.sh + nginx) and the
# delay fixture tell the truth, with curl as the independent client.
source "$(dirname "$0")/lib.sh"
qvr_tmpdir

ms_now() { echo $(($(date +%s%N) / 1000000)); }

# --- nginx: every request logged once, statuses as configured ---------------
start_nginx
body='{"query":"q","documents":["a","b","c"]}'
urls=()
for ((i = 0; i < 25; i++)); do urls+=(-o /dev/null "$NGINX_URL/?i=$i"); done
# One curl process, one keep-alive connection for all 25 GETs.
curl -sS -w '%{http_code} %{num_connects}\n' "${urls[@]}" \
    >"$QVR_TMP/get.txt"
assert_eq "$(grep -c '^200 ' "$QVR_TMP/get.txt")" 25 "25 GETs answered 200"
assert_eq "$(awk '{ s += $2 } END { print s }' "$QVR_TMP/get.txt")" 1 \
    "25 GETs went over one keep-alive connection"
for ((i = 0; i < 10; i++)); do
    curl -sS -o "$QVR_TMP/rerank.json" -w '%{http_code}\n' -X POST \
        -H 'Content-Type: application/json' -d "$body" \
        "$NGINX_URL/api/rerank" >>"$QVR_TMP/post.txt"
done
assert_eq "$(grep -c '^200$' "$QVR_TMP/post.txt")" 10 "10 POSTs answered 200"
assert_eq "$(json_get "$QVR_TMP/rerank.json" 'd["scores"]')" \
    "[0.9, 0.1, 0.5]" "rerank answer carries the scores"
assert_eq "$(curl -sS -o /dev/null -w '%{http_code}' "$NGINX_URL/fail")" 500 \
    "/fail answers 500"
assert_eq "$(curl -sS -o /dev/null -w '%{http_code}' -X POST -d x \
    "$NGINX_URL/fail")" 500 "POST /fail answers 500"
assert_eq "$(curl -sS -o /dev/null -w '%{http_code}' "$NGINX_URL/status/404")" \
    404 "/status/404 answers 404"
# A 3 MB body (a multimodal payload's size) is read and discarded.
head -c 3000000 /dev/zero | tr '\0' 'a' >"$QVR_TMP/big.txt"
assert_eq "$(curl -sS -o /dev/null -w '%{http_code}' -X POST \
    --data-binary @"$QVR_TMP/big.txt" "$NGINX_URL/api/rerank")" 200 \
    "a 3 MB POST body is accepted"

assert_eq "$(nginx_count)" 39 "access log has one line per request (39)"
assert_eq "$(nginx_count '^GET /\?i=[0-9]+ 200 ')" 25 "25 GET lines"
assert_eq "$(nginx_count '^POST /api/rerank 200 ')" 11 "11 POST rerank lines"
assert_eq "$(nginx_count ' /fail 500 ')" 2 "2 lines for /fail with 500"
assert_eq "$(nginx_count '^GET /status/404 404 ')" 1 "1 line for 404"

# An extra location pasted into a second nginx's server block; the first
# nginx keeps its own files.
first_log=$NGINX_LOG
first_port=$NGINX_PORT
start_nginx 'location = /made { return 201 "{}"; }'
[[ "$NGINX_PORT" != "$first_port" ]] || fail "second nginx reused the port"
assert_eq "$(curl -sS -o /dev/null -w '%{http_code}' "$NGINX_URL/made")" 201 \
    "extra location config is used"
assert_eq "$(nginx_count)" 1 "the second nginx has its own log"
assert_eq "$(wc -l <"$first_log")" 39 "the first nginx's log is untouched"

# --- delay server: answers after the delay, never before -------------------
start_delay_server 50ms
: >"$QVR_TMP/times.txt"
for ((i = 0; i < 7; i++)); do
    curl -sS -o "$QVR_TMP/delay.json" -w '%{http_code} %{time_total}\n' \
        -X POST -d "$body" "$DELAY_URL/api/rerank" >>"$QVR_TMP/times.txt"
done
assert_eq "$(grep -c '^200 ' "$QVR_TMP/times.txt")" 7 "7 delayed answers 200"
assert_eq "$(cat "$QVR_TMP/delay.json")" '{"ok":true}' "delay server body"
min_ms=$(awk '{ print $2 * 1000 }' "$QVR_TMP/times.txt" | sort -n | head -n 1)
med_ms=$(awk '{ print $2 * 1000 }' "$QVR_TMP/times.txt" | sort -n | sed -n 4p)
assert_ge "$min_ms" 50 "no answer came before 50 ms (fastest ${min_ms} ms)"
assert_near "$med_ms" 50 5 "median curl time_total is 50 ms +- 5 (${med_ms} ms)"
sleep 0.2 # the server flushes its log every 50 ms
assert_eq "$(wc -l <"$DELAY_LOG")" 7 "delay log has one line per request"
assert_eq "$(awk '$1 == "POST" && $2 == "/api/rerank"' "$DELAY_LOG" | wc -l)" \
    7 "delay log lines name method and path"
min_us=$(awk '{ print $3 }' "$DELAY_LOG" | sort -n | head -n 1)
med_us=$(awk '{ print $3 }' "$DELAY_LOG" | sort -n | sed -n 4p)
assert_ge "$min_us" 50000 "logged service time >= 50000 us (min $min_us)"
assert_le "$med_us" 55000 "median logged service time <= 55000 us ($med_us)"
# The server's own figure is inside the client's.
assert_le "$(awk '{ print $3 / 1000 }' "$DELAY_LOG" | sort -n | sed -n 4p)" \
    "$med_ms" "server's median service time <= client's median"

assert_eq "$(curl -sS -o /dev/null -w '%{http_code}' "$DELAY_URL/status/503")" \
    503 "/status/503 answers 503"
assert_eq "$(curl -sS -o /dev/null -w '%{http_code}' -X DELETE \
    "$DELAY_URL/status/429?x=1")" 429 "/status/429?x=1 answers 429"

# 300 concurrent connections, 200 ms each: timers, not sleeps, so the lot
# finishes in about 200 ms rather than 60 s.
start_delay_server 200ms --status 201
urls=()
for ((i = 0; i < 300; i++)); do urls+=(-o /dev/null "$DELAY_URL/c/$i"); done
t0=$(ms_now)
curl -sS --parallel --parallel-immediate --parallel-max 300 \
    -w '%{http_code}\n' "${urls[@]}" >"$QVR_TMP/par.txt" 2>"$QVR_TMP/par.err"
t1=$(ms_now)
assert_eq "$(grep -c '^201$' "$QVR_TMP/par.txt")" 300 \
    "300 concurrent requests answered with --status 201"
assert_ge "$((t1 - t0))" 200 "300 concurrent requests took >= 200 ms"
assert_le "$((t1 - t0))" 1500 \
    "300 concurrent requests took <= 1.5 s ($((t1 - t0)) ms)"
sleep 0.2 # the server flushes its log every 50 ms
assert_eq "$(wc -l <"$DELAY_LOG")" 300 "300 log lines"
assert_ge "$(awk '{ print $3 }' "$DELAY_LOG" | sort -n | head -n 1)" 200000 \
    "every concurrent request waited >= 200 ms"

# SIGTERM: a clean exit that says how many it served.
kill -TERM "$DELAY_PID"
rc=0
wait "$DELAY_PID" || rc=$?
assert_eq "$rc" 0 "delay server exits 0 on SIGTERM"
assert_contains "$DELAY_OUT" "served 300" "delay server prints 'served 300'"

# Bad arguments are usage errors.
rc=0
"$QVR_BIN_DIR/qvr_delay_server" --port 0 --delay 5parsecs \
    >/dev/null 2>&1 || rc=$?
assert_eq "$rc" 2 "a malformed --delay exits 2"

finish
