#!/usr/bin/env bash
# shellcheck disable=SC2034
# (SC2034: HOSTILE_URL, HOSTILE_LOG... are set for the sourcing test.)
# tests/e2e/hostile_lib.sh -- helpers for the hostile-target tests, on top
# of lib.sh. Sourced by tests/e2e/hostile_*.sh:
#
#   start_hostile MODE [ARGS...]   tests/fixture/qvr_hostile_server; sets
#                                  HOSTILE_PORT, HOSTILE_URL, HOSTILE_PID,
#                                  HOSTILE_LOG (one line per event)
#   hostile_count EVENT            lines of HOSTILE_LOG equal to EVENT
#   write_hostile_scenario FILE    the scenario the tests run (below)
#   run_timed ARGS...              run_qvrrun, also setting ELAPSED (s)
#                                  and PEAK_KB (peak RSS, from time -v)
#   kind SUMMARY KIND              failures_by_kind[KIND], 0 when absent
#
# Run on its own (it is also a ctest), it checks the fixture itself: each
# mode answers on the wire as documented, with a raw socket client.

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

HOSTILE_SEQ=0

# start_hostile MODE [ARGS...]: start the hostile server in MODE with a
# lifetime of 120 s unless ARGS give one.
start_hostile()
{
    local mode=$1 bin=$QVR_BIN_DIR/qvr_hostile_server out i
    shift
    [[ -n "$QVR_TMP" ]] || qvr_tmpdir
    [[ -x "$bin" ]] || fail "start_hostile: $bin not built"
    HOSTILE_SEQ=$((HOSTILE_SEQ + 1))
    HOSTILE_LOG=$QVR_TMP/hostile-$HOSTILE_SEQ.log
    out=$QVR_TMP/hostile-$HOSTILE_SEQ.out
    : >"$HOSTILE_LOG"
    : >"$out" # exists before the server starts: the poll below reads it
    "$bin" --mode "$mode" --port 0 --lifetime 120 --log "$HOSTILE_LOG" "$@" \
        </dev/null >"$out" 2>&1 &
    HOSTILE_PID=$!
    qvr_track "$HOSTILE_PID"
    for ((i = 0; i < 200; i++)); do
        HOSTILE_PORT=$(sed -n 's/^listening on .*:\([0-9][0-9]*\)$/\1/p' \
            "$out" | head -n 1)
        if [[ -n "$HOSTILE_PORT" ]]; then
            HOSTILE_URL=http://127.0.0.1:$HOSTILE_PORT
            return 0
        fi
        kill -0 "$HOSTILE_PID" 2>/dev/null || break
        sleep 0.05
    done
    cat "$out" >&2 || true
    fail "qvr_hostile_server --mode $mode did not start"
}

# hostile_count EVENT: the number of log lines equal to EVENT.
hostile_count()
{
    grep -cx -- "$1" "$HOSTILE_LOG" || true
}

# write_hostile_scenario FILE: one task posting a three-document rerank
# request; a 200 must carry JSON with three scores (check "three scores"),
# and when r:json() gives nil it must also give a message (check "json()
# explains"); a 503 must carry "Retry-After: 2" (check "retry-after 2").
# Knobs through -e: QVR_TARGET, USERS, DUR, WAIT, TIMEOUT,
# MAXB (max_body bytes), GRACE.
write_hostile_scenario()
{
    cat >"$1" <<'EOF'
local docs = { "alpha", "beta", "gamma" }
return scenario {
  name = "hostile",
  target = env("QVR_TARGET"),
  load = users { count = tonumber(env("USERS", "2")), spawn_rate = 1000,
                 duration = env("DUR", "2s") },
  wait = constant(tonumber(env("WAIT", "0"))),
  timeout = env("TIMEOUT", "2s"),
  max_body = tonumber(env("MAXB", "1048576")),
  grace = env("GRACE", "5s"),
  tasks = {
    r = function()
      local r = http.post("/api/rerank",
                          { json = { query = "q", documents = docs } })
      if r.status == 200 then
        local v, msg = r:json()
        check(r, "three scores", function()
          return v ~= nil and msg == nil and #v.scores == 3
        end)
        if v == nil then
          check(r, "json() explains", function()
            return type(msg) == "string" and #msg > 0
          end)
        end
      elseif r.status == 503 then
        check(r, "retry-after 2", function()
          return r.headers["retry-after"] == "2"
        end)
      end
    end,
  },
}
EOF
}

# run_timed ARGS...: run_qvrrun under /usr/bin/time -v; sets RC, ELAPSED
# (wall seconds) and PEAK_KB (qvrrun's peak resident set).
run_timed()
{
    local t0 t1 tv=$QVR_TMP/time-v.txt saved=$QVRRUN wrapper
    [[ -x /usr/bin/time ]] || fail "/usr/bin/time not found (apt-get install time)"
    wrapper=$QVR_TMP/timed-qvrrun
    printf '#!/bin/sh\nexec /usr/bin/time -v -o %q %q "$@"\n' "$tv" \
        "$saved" >"$wrapper"
    chmod +x "$wrapper"
    QVRRUN=$wrapper
    t0=$(date +%s.%N)
    run_qvrrun "$@"
    t1=$(date +%s.%N)
    QVRRUN=$saved
    ELAPSED=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
    PEAK_KB=$(sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p' \
        "$tv" 2>/dev/null)
    PEAK_KB=${PEAK_KB:-0}
}

# kind SUMMARY KIND: failures_by_kind[KIND] of the totals, 0 when absent.
kind()
{
    json_get "$1" "d['totals']['failures_by_kind'].get('$2', 0)"
}

# The fixture's own check: only when run, not when sourced.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    qvr_tmpdir
    # raw SECONDS: one POST with a 7-byte body; prints what came back
    # within SECONDS in all (at most 4 KiB, CRLF as '|'), then "<EOF>",
    # "<RESET>" or "<TIMEOUT>".
    raw()
    {
        python3 - "$HOSTILE_PORT" "$1" <<'EOF'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
deadline = time.monotonic() + float(sys.argv[2])
s.sendall(b"POST /api/rerank HTTP/1.1\r\nHost: x\r\n"
          b"Content-Length: 7\r\n\r\n{\"a\":1}")
got, end = b"", "<EOF>"
try:
    while len(got) < 4096:
        s.settimeout(max(deadline - time.monotonic(), 0.001))
        b = s.recv(4096)
        if not b:
            break
        got += b
except socket.timeout:
    end = "<TIMEOUT>"
except ConnectionResetError:
    end = "<RESET>"
sys.stdout.write(got[:4096].decode("latin-1").replace("\r\n", "|") + end)
EOF
    }
    start_hostile chunked
    assert_eq "$(raw 1)" \
        'HTTP/1.1 200 OK|Content-Type: application/json|Transfer-Encoding: chunked||a|{"scores":|8|[0.9,0.1|6|,0.5]}|0||<TIMEOUT>' \
        "chunked: three chunks and the last, connection kept"
    start_hostile http10-close
    assert_eq "$(raw 2)" \
        'HTTP/1.0 200 OK|Content-Type: application/json|Connection: close||{"scores":[0.9,0.1,0.5]}<EOF>' \
        "http10-close: no length, body ends at close"
    start_hostile malformed-json
    assert_eq "$(raw 1)" \
        'HTTP/1.1 200 OK|Content-Type: application/json|Content-Length: 21||{"scores": [0.9, 0.1,<TIMEOUT>' \
        "malformed-json: 200 with a cut JSON body"
    start_hostile retry-after --burst 2
    for i in 1 2 3 4 5; do
        raw 1 | head -c 12
        echo
    done >"$QVR_TMP/retry.txt"
    assert_eq "$(tr '\n' ' ' <"$QVR_TMP/retry.txt")" \
        "HTTP/1.1 503 HTTP/1.1 503 HTTP/1.1 200 HTTP/1.1 200 HTTP/1.1 503 " \
        "retry-after: bursts of --burst 503s and 200s"
    raw 1 >"$QVR_TMP/retry6.txt"
    assert_contains "$QVR_TMP/retry6.txt" "Retry-After: 2" \
        "the 6th answer opens a burst: 503 with Retry-After: 2"
    start_hostile reset-mid-body
    out=$(raw 2)
    [[ "$out" == *"Content-Length: 100000"* && "$out" == *"<RESET>" ]] ||
        fail "reset-mid-body: expected a claimed body cut by a reset, got ${out:0:120}"
    pass "reset-mid-body: 100000 bytes claimed, then RST"
    assert_eq "$(hostile_count reset)" 1 "reset logged"
    start_hostile never-answer
    assert_eq "$(raw 1)" "<TIMEOUT>" "never-answer: nothing in 1 s"
    assert_eq "$(hostile_count hold)" 1 "hold logged"
    start_hostile slowloris
    assert_eq "$(raw 2.5)" "HTT<TIMEOUT>" "slowloris: one byte a second"
    start_hostile huge-body --size 3000000
    n=$(python3 - "$HOSTILE_PORT" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.settimeout(5)
s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
got = b""
while b"\r\n\r\n" not in got or len(got) < got.index(b"\r\n\r\n") + 4 + 3000000:
    b = s.recv(1 << 16)
    if not b:
        break
    got += b
print(len(got) - got.index(b"\r\n\r\n") - 4)
EOF
)
    assert_eq "$n" 3000000 "huge-body: --size bytes of body"
    start_hostile flap --up 1s --down 3s
    raw 0.5 >"$QVR_TMP/flap1.txt"
    assert_contains "$QVR_TMP/flap1.txt" '{"scores":[0.9,0.1,0.5]}' \
        "flap: answers while up"
    sleep 1 # now 1.5 s in: down from 1 s to 4 s
    if (exec 3<>"/dev/tcp/127.0.0.1/$HOSTILE_PORT") 2>/dev/null; then
        fail "flap: still accepting while down"
    fi
    pass "flap: refused while down"
    sleep 3 # now 4.5 s in: up again
    raw 0.5 >"$QVR_TMP/flap2.txt"
    assert_contains "$QVR_TMP/flap2.txt" '{"scores":[0.9,0.1,0.5]}' \
        "flap: back on the same port"
    assert_eq "$(tr '\n' ' ' <"$HOSTILE_LOG")" "200 down up 200 " "flap: log"
    finish
fi
