#!/usr/bin/env bash
# Why transfers failed, in curl's words: a malformed chunked body is its
# own kind (bad_encoding, not reset), and every transport failure's reason
# reaches the final table and summary.json (totals.failure_messages), with
# the request it was first seen on, merged across threads (D8, D21).
source "$(dirname "$0")/hostile_lib.sh"
qvr_tmpdir
SC=$QVR_TMP/hostile.lua
write_hostile_scenario "$SC"

# msg SUMMARY KIND FIELD: failure_messages[KIND][0][FIELD].
msg()
{
    json_get "$1" "d['totals']['failure_messages']['$2'][0]['$3']"
}

# 1. A chunk size that is not hexadecimal: every request is 'bad_encoding',
#    one per answer the server began, and the reason says so.
start_hostile bad-chunked
run_qvrrun "$SC" --quiet --no-plots --out "$QVR_TMP/chunk" \
    -e QVR_TARGET="$HOSTILE_URL" -e DUR=1s -e WAIT=0.05
assert_eq "$RC" 0 "bad-chunked: exit 0"
S=$QVR_TMP/chunk/summary.json
n=$(hostile_count 200)
assert_ge "$n" 10 "bad-chunked: enough answers to count"
assert_eq "$(json_get "$S" 'd["totals"]["failures_by_kind"]')" \
    "{\"bad_encoding\": $n}" "bad-chunked: every answer counted as bad_encoding"
assert_eq "$(msg "$S" bad_encoding message)" \
    "Illegal or missing hexadecimal sequence in chunked-encoding" \
    "bad-chunked: curl's reason in summary.json"
assert_eq "$(msg "$S" bad_encoding count)" "$n" "bad-chunked: counted once each"
assert_eq "$(msg "$S" bad_encoding request)" \
    "POST $HOSTILE_URL/api/rerank" "bad-chunked: the request it was seen on"
assert_contains "$QVR_STDOUT" \
    "bad_encoding $(printf '%6d' "$n") x Illegal or missing hexadecimal sequence in chunked-encoding" \
    "bad-chunked: the reason in the final table"
assert_contains "$QVR_STDOUT" "first on POST $HOSTILE_URL/api/rerank" \
    "bad-chunked: the URL in the final table"

# 2. Nothing listens on the port, two threads: the reason is curl's,
#    counted once per request across both threads.
PORT=$(free_port)
run_qvrrun "$SC" --quiet --no-plots --out "$QVR_TMP/refused" --threads 2 \
    --csv "$QVR_TMP/refused/locust" \
    -e QVR_TARGET="http://bob:pa55w0rd-x@127.0.0.1:$PORT" -e DUR=1s -e USERS=4 -e WAIT=0.05
assert_eq "$RC" 0 "refused: exit 0"
S=$QVR_TMP/refused/summary.json
req=$(json_get "$S" 'd["totals"]["requests"]')
assert_ge "$req" 20 "refused: requests were attempted"
assert_eq "$(json_get "$S" 'd["totals"]["failures_by_kind"]')" \
    "{\"refused\": $req}" "refused: every request refused"
assert_eq "$(msg "$S" refused count)" "$req" \
    "refused: one message count per request, both threads merged"
assert_contains "$S" "port $PORT after" "refused: curl names the port"
assert_contains "$S" "Couldn't connect to server" "refused: curl's reason"
assert_contains "$QVR_STDOUT" "Couldn't connect to server" \
    "refused: the reason in the final table"
assert_eq "$(json_get "$S" 'len(d["totals"]["failure_messages"]["refused"])')" \
    1 "refused: messages equal but for their numbers are one"
assert_eq "$(msg "$S" refused request)" \
    "POST http://bob:<redacted>@127.0.0.1:$PORT/api/rerank" \
    "refused: the request's URL without its password"
for f in "$S" "$QVR_STDOUT" "$QVR_STDERR"; do
    if grep -q pa55w0rd-x "$f"; then fail "the URL password leaked into $f"; fi
done
pass "refused: no URL password in the table or the summary"
# Locust's failures CSV quotes the one reason every refusal had.
F=$QVR_TMP/refused/locust_failures.csv
assert_eq "$(grep -c "connection refused: Failed to connect to 127.0.0.1 port $PORT after [0-9]* ms: Couldn't connect to server,$req," "$F")" \
    1 "refused: Locust failures.csv gives curl's reason and the count"

# 2b. Two segments of the same refused run, merged: the messages add up
#     (one entry, its count the merged requests), most frequent first.
for k in 1 2; do
    run_qvrrun "$SC" --quiet --no-plots --out "$QVR_TMP/seg$k" --segment "$k/2" \
        -e QVR_TARGET="http://127.0.0.1:$PORT" -e DUR=1s -e USERS=2 -e WAIT=0.05
    assert_eq "$RC" 0 "segment $k/2: exit 0"
done
run_qvrrun merge -o "$QVR_TMP/merged" "$QVR_TMP/seg1" "$QVR_TMP/seg2"
assert_eq "$RC" 0 "merge: exit 0"
M=$QVR_TMP/merged/summary.json
req=$(json_get "$M" 'd["totals"]["requests"]')
assert_ge "$req" 20 "merged: requests"
assert_eq "$(json_get "$M" 'len(d["totals"]["failure_messages"]["refused"])')" 1 \
    "merged: one refused message"
assert_eq "$(msg "$M" refused count)" "$req" "merged: its count is every request"

# 3. A target libcurl cannot request is a usage error before the run,
#    with libcurl's reason, from --target or from the scenario (it used to
#    run, every request a bare 'transport' failure).
cd "$QVR_TMP" || fail "cannot cd to $QVR_TMP"
cp "$SC" h.lua
for t in http://127.0.0.1:99999 http://127.0.0.1:0 'http://127.0.0.1:80x'; do
    QVR_TIMEOUT=10 run_qvrrun h.lua --quiet --no-plots --out "$QVR_TMP/port" \
        --target "$t"
    assert_eq "$RC" 2 "--target $t: exit 2"
    [[ ! -e "$QVR_TMP/port" ]] || fail "--target $t: a run happened"
done
assert_eq "$(cat "$QVR_STDERR")" \
    "qvrrun: error: h.lua: --target 'http://127.0.0.1:80x': Port number was not a decimal number between 0 and 65535" \
    "--target with a bad port: libcurl's reason"
QVR_TIMEOUT=10 run_qvrrun h.lua --quiet --no-plots --out "$QVR_TMP/port" \
    -e QVR_TARGET=http://127.0.0.1:65536
assert_eq "$RC" 2 "target = ...:65536 in the scenario: exit 2"
assert_eq "$(cat "$QVR_STDERR")" \
    "qvrrun: error: h.lua:2: scenario: target 'http://127.0.0.1:65536': Port number was not a decimal number between 0 and 65535" \
    "scenario target with a bad port: the scenario line and libcurl's reason"
finish
