#!/usr/bin/env bash
# `qvrrun mock`'s stream faults, each read with curl -N: a cut mid-stream
# (curl 18, the tokens before it kept, no [DONE]), an error event inside
# the stream, one malformed event, a stream that never sends a token (until
# the client's timeout), HTTP errors and resets before the stream, an
# endless stream, a 1 MiB event; the same seed cuts the same requests; the
# mock forgets every client that left; 2,000 concurrent streams in bounded
# memory.
source "$(dirname "$0")/lib.sh"
qvr_tmpdir

stop_mock()
{
    kill -TERM "$MOCK_PID"
    wait "$MOCK_PID" || fail "the mock exited with $?"
}

# events FILE: "CONTENT_EVENTS BAD_EVENTS ERRORS DONE" of an SSE body
# (a bad event is one whose data is not JSON).
events()
{
    python3 - "$1" <<'EOF'
import json, sys
raw = open(sys.argv[1], "rb").read().decode()
content = bad = errors = done = 0
for e in raw.split("\n\n"):
    if not e.startswith("data: "):
        continue
    if e == "data: [DONE]":
        done += 1
        continue
    try:
        d = json.loads(e[6:])
    except ValueError:
        bad += 1
        continue
    if "error" in d:
        errors += 1
    elif d["choices"] and d["choices"][0]["delta"].get("content"):
        content += 1
print(content, bad, errors, done)
EOF
}

# metric NAME: its value on the running mock.
metric()
{
    curl -sS "$MOCK_URL/metrics" | awk -v n="$1" '$1 == n { print $2 }'
}

# gone_within S: the mock holds no stream within S seconds (it looks for
# clients that left once a second).
gone_within()
{
    local i
    for ((i = 0; i < $1 * 10; i++)); do
        [[ "$(metric qvr_mock_llm_streams)" == 0 ]] && return 0
        sleep 0.1
    done
    fail "streams still open after $1 s: $(metric qvr_mock_llm_streams)"
}

CHAT='{"messages":[{"role":"user","content":"hi"}],"stream":true'
post()
{
    : >"$QVR_TMP/s" # curl leaves the file alone when no byte comes
    curl -sS -N -o "$QVR_TMP/s" -w '%{http_code}' "$@" -X POST \
        "$MOCK_URL/v1/chat/completions"
}

# --- cut: the tokens sent before it arrive, then a FIN mid-body ---------------
start_mock --ttft 5ms --itl 2ms --stream-cut 1
rc=0
code=$(post --data-binary "$CHAT"',"max_tokens":40}' 2>/dev/null) || rc=$?
assert_eq "$rc/$code" 18/200 "--stream-cut: curl 18 (transfer closed) after a 200"
read -r n bad errs done <<<"$(events "$QVR_TMP/s")"
assert_ge "$n" 1 "at least one token before the cut ($n)"
assert_le "$n" 39 "and fewer than the 40 asked"
assert_eq "$bad/$errs/$done" 0/0/0 "no [DONE], no error event"
assert_eq "$(metric 'qvr_mock_llm_stream_faults_total{kind="cut"}')" 1 "counted as a cut"
gone_within 3
stop_mock

# --- the same seed cuts the same requests ------------------------------------
cuts()
{
    local i rc out=
    start_mock --ttft 1ms --itl 1ms --stream-cut 50% --seed "$1"
    for ((i = 0; i < 12; i++)); do
        rc=0
        post --data-binary "$CHAT"',"max_tokens":3}' >/dev/null 2>&1 || rc=$?
        out+="$rc "
    done
    stop_mock
    echo "$out"
}
a=$(cuts 4)
b=$(cuts 4)
c=$(cuts 5)
assert_eq "$a" "$b" "seed 4 cuts the same requests twice ($a)"
[[ "$a" != "$c" ]] || fail "seed 5 cuts others ($c)"
assert_eq "$(tr ' ' '\n' <<<"$a" | grep -cvE '^(0|18)?$' || true)" 0 "only completes and cuts"

# --- error event inside the stream --------------------------------------------
start_mock --ttft 5ms --itl 2ms --stream-error 1
code=$(post --data-binary "$CHAT"',"max_tokens":40}')
read -r n bad errs done <<<"$(events "$QVR_TMP/s")"
assert_eq "$code/$errs/$done/$bad" 200/1/1/0 "--stream-error: one error event, then [DONE]"
assert_le "$n" 39 "before the answer's end ($n tokens)"
assert_contains "$QVR_TMP/s" '"code":500' "the error object has its code"
stop_mock

# --- malformed event ----------------------------------------------------------
start_mock --ttft 5ms --itl 2ms --stream-malformed 1
post --data-binary "$CHAT"',"max_tokens":20}' >/dev/null
assert_eq "$(events "$QVR_TMP/s")" "20 1 0 1" "--stream-malformed: 20 tokens, one bad event, [DONE]"
stop_mock

# --- huge event ------------------------------------------------------------------
start_mock --ttft 5ms --itl 2ms --stream-huge 1
post --data-binary "$CHAT"',"max_tokens":4}' >/dev/null
assert_eq "$(events "$QVR_TMP/s")" "4 0 0 1" "--stream-huge: 4 content events"
longest=$(awk '{ if (length($0) > m) m = length($0) } END { print m }' "$QVR_TMP/s")
assert_ge "$longest" 1048576 "one event of 1 MiB ($longest bytes)"
stop_mock

# --- no token ever: the client's timeout ends it ---------------------------------
start_mock --stream-hang 1
rc=0
t0=$(date +%s%N)
code=$(post -m 1 --data-binary "$CHAT"',"max_tokens":5}' 2>/dev/null) || rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
assert_eq "$rc/$code" 28/200 "--stream-hang: headers, then curl's timeout (28)"
assert_ge "$ms" 990 "after the client's 1 s ($ms ms)"
assert_eq "$(events "$QVR_TMP/s")" "0 0 0 0" "no event at all"
rc=0
curl -sS -o /dev/null -m 0.5 -X POST "$MOCK_URL/v1/chat/completions" \
    --data-binary '{"messages":[{"role":"user","content":"hi"}]}' 2>/dev/null || rc=$?
assert_eq "$rc" 28 "a request that does not stream gets no answer either"
gone_within 3
stop_mock

# --- endless: tokens past max_tokens, never [DONE] -------------------------------
start_mock --ttft 5ms --itl 5ms --stream-endless 1
rc=0
post -m 0.6 --data-binary "$CHAT"',"max_tokens":3}' >/dev/null 2>&1 || rc=$?
read -r n bad errs done <<<"$(events "$QVR_TMP/s")"
assert_eq "$rc/$done" 28/0 "--stream-endless: only the client's timeout ends it"
assert_ge "$n" 60 "tokens go on past max_tokens 3 ($n in 0.6 s at 5 ms)"
gone_within 3
assert_eq "$(metric qvr_mock_llm_running)" 0 "its sequence left the batch"
stop_mock

# --- errors and resets before the stream -------------------------------------------
start_mock --error-rate 1
code=$(post --data-binary "$CHAT"',"max_tokens":3}')
assert_eq "$code/$(json_get "$QVR_TMP/s" 'd["error"]["code"]')" 500/500 \
    "--error-rate 1: 500 with an error object, before any event"
stop_mock
start_mock --drop 1
rc=0
post --data-binary "$CHAT"',"max_tokens":3}' >/dev/null 2>&1 || rc=$?
assert_eq "$rc" 56 "--drop 1: reset by peer (curl 56)"
stop_mock

# --- 2,000 concurrent streams; clients that leave are forgotten --------------------
start_mock --ttft 50ms --itl 50ms --max-seqs 4000 --kv-tokens 10000000
python3 - "${MOCK_URL#http://}" >"$QVR_TMP/many" <<'EOF'
import socket, sys, time, urllib.request
host, port = sys.argv[1].split(":")
body = b'{"messages":[{"role":"user","content":"hi"}],"max_tokens":1000,"stream":true}'
req = (b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: "
       + str(len(body)).encode() + b"\r\n\r\n" + body)
socks = []
for i in range(2000):
    s = socket.create_connection((host, int(port)))
    s.sendall(req)
    socks.append(s)
time.sleep(1.0)
got = sum(1 for s in socks if b"data: " in s.recv(65536, socket.MSG_DONTWAIT))
m = urllib.request.urlopen("http://%s:%s/metrics" % (host, port)).read()
running = [l.split()[1] for l in m.decode().splitlines()
           if l.startswith("qvr_mock_llm_running ")][0]
print(got, running)
for s in socks:
    s.close()
EOF
assert_eq "$(cat "$QVR_TMP/many")" "2000 2000" "2,000 streams all decoding, all sending tokens"
rss=$(awk '/VmHWM/ { print $2 }' "/proc/$MOCK_PID/status")
# ASan's shadow memory, redzones and quarantine (make test-san) double it
if ldd "$QVRRUN" 2>/dev/null | grep -q libasan; then limit=262144; else limit=65536; fi
assert_le "$rss" "$limit" "in at most $((limit / 1024)) MB peak RSS ($rss kB)"
gone_within 4
assert_eq "$(metric qvr_mock_llm_running)" 0 "their sequences left the batch"
stop_mock
finish
