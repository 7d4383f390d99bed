# shellcheck shell=bash disable=SC2034
# (SC2034: NGINX_URL, DELAY_URL, RC... are set for the sourcing test.)
# tests/e2e/lib.sh -- helpers for the end-to-end tests; source it, then:
#
#   qvr_tmpdir                      temp dir in $QVR_TMP, cleaned up on EXIT
#   start_nginx [EXTRA_SERVER_CONF] nginx on 127.0.0.1:$NGINX_PORT
#   nginx_count [ERE]               access-log lines (matching ERE)
#   start_delay_server DELAY [ARGS] tests/fixture/qvr_delay_server
#   start_sse_server ARGS           tests/fixture/qvr_sse_server
#   free_port                       a free loopback TCP port
#   json_get FILE EXPR              python expression on d = the JSON file
#   run_qvrrun ARGS...              $QVRRUN with a timeout; sets RC
#   assert_eq / assert_near / assert_le / assert_ge / assert_contains
#   pass MSG, fail MSG, finish
#
# Everything works under `set -euo pipefail`. Every process started through
# these helpers is remembered by pid and stopped, by that pid, on exit.
#
# Environment (ctest sets the first three): QVRRUN, QVR_BIN_DIR, QVR_SRC_DIR;
# QVR_TIMEOUT (seconds for run_qvrrun, default 120); QVR_NGINX_WORKERS
# (worker processes, default 1); QVR_NGINX_CPU (pin
# nginx to that core with taskset); QVR_NGINX_ACCESS_LOG=off (no access log,
# for benchmarks).

set -euo pipefail

QVR_SRC_DIR=${QVR_SRC_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
QVR_BIN_DIR=${QVR_BIN_DIR:-$QVR_SRC_DIR/build}
QVRRUN=${QVRRUN:-$QVR_BIN_DIR/qvrrun}
QVR_NGINX=${QVR_NGINX:-/usr/sbin/nginx}
QVR_TMP=${QVR_TMP:-}
QVR_PASSED=0
QVR_PIDS=()
QVR_LAST_STDERR=
QVR_DELAY_SEQ=0
QVR_NGINX_SEQ=0
RC=0

# fail MSG: report a failed check and stop the test (exit 1).
fail()
{
    echo "FAIL: $*" >&2
    if [[ -n "$QVR_LAST_STDERR" && -s "$QVR_LAST_STDERR" ]]; then
        echo "--- last qvrrun stderr (tail) ---" >&2
        tail -n 30 "$QVR_LAST_STDERR" >&2 || true
    fi
    if [[ -n "${QVR_STDOUT:-}" && -s "$QVR_STDOUT" ]]; then
        echo "--- last qvrrun stdout (tail) ---" >&2
        tail -n 30 "$QVR_STDOUT" >&2 || true
    fi
    exit 1
}

# pass MSG: count a passed check.
pass()
{
    QVR_PASSED=$((QVR_PASSED + 1))
    echo "ok $QVR_PASSED - $*"
}

# finish: the closing line ctest's log and CI read.
finish()
{
    echo "$QVR_PASSED passed, 0 failed"
    exit 0
}

# qvr_ours PID: true while PID is still a live child of this shell (so a
# pid that has exited and been reused by someone else is never signalled).
qvr_ours()
{
    local stat rest
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    rest=${stat##*) }
    rest=${rest#* }
    [[ "${rest%% *}" == "$$" ]]
}

qvr_cleanup()
{
    local rc=$? pid i live=()
    trap - EXIT
    for pid in "${QVR_PIDS[@]}"; do
        if qvr_ours "$pid"; then
            live+=("$pid")
            kill -TERM "$pid" 2>/dev/null || true
        fi
    done
    for pid in "${live[@]}"; do
        for ((i = 0; i < 50; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            # Still there after 5 s: take its children (nginx workers)
            # and it down hard.
            for i in $(pgrep -P "$pid" 2>/dev/null || true); do
                kill -KILL "$i" 2>/dev/null || true
            done
            kill -KILL "$pid" 2>/dev/null || true
        fi
        wait "$pid" 2>/dev/null || true
    done
    if [[ -n "$QVR_TMP" && -d "$QVR_TMP" && -z "${QVR_KEEP_TMP:-}" ]]; then
        rm -rf -- "$QVR_TMP"
    fi
    exit "$rc"
}

# qvr_tmpdir: make the test's temp dir ($QVR_TMP) and register the cleanup.
# Call it in the test's own shell, not in $(...): a subshell's EXIT trap
# would remove the dir at once.
qvr_tmpdir()
{
    if [[ "$BASHPID" != "$$" ]]; then
        echo "qvr_tmpdir: call it directly, not in a subshell" >&2
        exit 1
    fi
    if [[ -z "$QVR_TMP" ]]; then
        QVR_TMP=$(mktemp -d "${TMPDIR:-/tmp}/qvr-e2e.XXXXXX")
        trap qvr_cleanup EXIT
        trap 'exit 130' INT
        trap 'exit 143' TERM
    fi
}

# qvr_track PID: stop PID on exit.
qvr_track()
{
    QVR_PIDS+=("$1")
}

# free_port: prints a loopback TCP port that was free a moment ago.
free_port()
{
    python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# wait_port PORT PID [SECONDS]: wait until 127.0.0.1:PORT accepts (without
# sending a request, so nothing is logged). Returns 1 if PID died or time
# ran out.
wait_port()
{
    local port=$1 pid=$2 secs=${3:-10} i
    for ((i = 0; i < secs * 20; i++)); do
        if ! kill -0 "$pid" 2>/dev/null; then
            return 1
        fi
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            return 0
        fi
        sleep 0.05
    done
    return 1
}

# start_nginx [EXTRA]: start nginx (one worker, not daemonised) with its
# prefix, logs and temp paths in $QVR_TMP/nginx-N (N counts the nginx
# started by this test, so several can run at once); EXTRA is pasted into the
# server block (e.g. 'location /x { return 201; }'). Sets NGINX_PORT,
# NGINX_LOG (the access log: "METHOD URI STATUS REQUEST_TIME" per line),
# NGINX_PID, NGINX_URL.
start_nginx()
{
    local extra=${1:-} dir conf user_line="" access attempt cpu=()
    [[ -n "$QVR_TMP" ]] || qvr_tmpdir
    [[ -x "$QVR_NGINX" ]] ||
        fail "nginx not found at $QVR_NGINX (apt-get install nginx-light)"
    QVR_NGINX_SEQ=$((QVR_NGINX_SEQ + 1))
    dir=$QVR_TMP/nginx-$QVR_NGINX_SEQ
    mkdir -p "$dir/logs" "$dir/tmp"
    NGINX_LOG=$dir/access.log
    : >"$NGINX_LOG"
    if [[ $(id -u) -eq 0 ]]; then
        user_line="user root root;"
    fi
    access="access_log $NGINX_LOG qvr;"
    if [[ "${QVR_NGINX_ACCESS_LOG:-on}" == off ]]; then
        access="access_log off;"
    fi
    if [[ -n "${QVR_NGINX_CPU:-}" ]]; then
        cpu=(taskset -c "$QVR_NGINX_CPU")
    fi
    for attempt in 1 2 3 4 5; do
        NGINX_PORT=$(free_port)
        conf=$dir/nginx.conf
        cat >"$conf" <<EOF
$user_line
daemon off;
master_process on;
worker_processes ${QVR_NGINX_WORKERS:-1};
worker_rlimit_nofile 65536;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events {
    worker_connections 16384;
    multi_accept on;
}
http {
    log_format qvr '\$request_method \$request_uri \$status \$request_time';
    $access
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    keepalive_requests 100000;
    keepalive_timeout 120s;
    client_max_body_size 64m;
    client_body_buffer_size 1m;
    server_tokens off;
    server {
        listen 127.0.0.1:$NGINX_PORT backlog=4096;
        default_type application/json;
        location / {
            return 200 '{"scores":[0.9,0.1,0.5]}';
        }
        location = /api/rerank {
            return 200 '{"scores":[0.9,0.1,0.5]}';
        }
        location = /fail {
            return 500 '{"error":"fail"}';
        }
        location = /status/404 {
            return 404 '{"error":"not found"}';
        }
        $extra
    }
}
EOF
        "${cpu[@]}" "$QVR_NGINX" -p "$dir" -c "$conf" -e "$dir/error.log" \
            </dev/null >"$dir/stdout" 2>&1 &
        NGINX_PID=$!
        qvr_track "$NGINX_PID"
        if wait_port "$NGINX_PORT" "$NGINX_PID" 10; then
            NGINX_URL=http://127.0.0.1:$NGINX_PORT
            return 0
        fi
        # Lost the port race or a bad config: say which, then retry.
        kill -TERM "$NGINX_PID" 2>/dev/null || true
        wait "$NGINX_PID" 2>/dev/null || true
        if ! grep -q "Address already in use" "$dir/error.log" \
            "$dir/stdout" 2>/dev/null; then
            cat "$dir/stdout" "$dir/error.log" >&2 2>/dev/null || true
            fail "nginx did not start (attempt $attempt)"
        fi
    done
    fail "nginx did not start: no free port after 5 attempts"
}

# nginx_count [ERE]: prints the number of access-log lines (matching ERE).
# nginx writes a line after the response has gone out, so wait until the
# count stops moving (or 5 s) before answering.
nginx_count()
{
    local re=${1:-} prev=-1 cur i
    [[ -n "${NGINX_LOG:-}" ]] || fail "nginx_count: start_nginx first"
    for ((i = 0; i < 50; i++)); do
        cur=$(wc -l <"$NGINX_LOG")
        if [[ "$cur" == "$prev" ]]; then
            break
        fi
        prev=$cur
        sleep 0.1
    done
    if [[ -z "$re" ]]; then
        echo "$cur"
    else
        grep -cE -- "$re" "$NGINX_LOG" || true
    fi
}

# start_mock ARGS...: `qvrrun mock` on an ephemeral loopback port, the port
# read from its banner. Sets MOCK_URL, MOCK_PID, MOCK_ERR (its stderr) and
# MOCK_T0 (ms since the epoch when the banner was seen). The stderr file
# exists before the mock starts: read too early it would end the test
# under set -e (CI saw monitor_expo fail so in 0.05 s).
start_mock()
{
    local i port=
    MOCK_ERR=$QVR_TMP/mock-$RANDOM.err
    : >"$MOCK_ERR"
    "$QVRRUN" mock --listen 127.0.0.1:0 "$@" </dev/null >/dev/null \
        2>"$MOCK_ERR" &
    MOCK_PID=$!
    qvr_track "$MOCK_PID"
    for ((i = 0; i < 400; i++)); do
        port=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\) .*/\1/p' \
            "$MOCK_ERR" | head -n 1)
        [[ -n "$port" ]] && break
        kill -0 "$MOCK_PID" 2>/dev/null || break
        sleep 0.02
    done
    [[ -n "$port" ]] || { cat "$MOCK_ERR" >&2; fail "the mock did not start"; }
    MOCK_T0=$(($(date +%s%N) / 1000000))
    MOCK_URL=http://127.0.0.1:$port
}

# start_delay_server DELAY [ARGS...]: start the fixture server answering
# after DELAY. Sets DELAY_PORT, DELAY_PID, DELAY_LOG (its per-request log,
# "METHOD TARGET SERVICE_US" per line), DELAY_URL, DELAY_OUT (its stdout).
start_delay_server()
{
    local delay=$1 bin=$QVR_BIN_DIR/qvr_delay_server i
    shift
    [[ -n "$QVR_TMP" ]] || qvr_tmpdir
    [[ -x "$bin" ]] || fail "start_delay_server: $bin not built"
    QVR_DELAY_SEQ=$((QVR_DELAY_SEQ + 1))
    DELAY_LOG=$QVR_TMP/delay-$QVR_DELAY_SEQ.log
    DELAY_OUT=$QVR_TMP/delay-$QVR_DELAY_SEQ.out
    : >"$DELAY_LOG"
    "$bin" --port 0 --delay "$delay" --log "$DELAY_LOG" "$@" \
        </dev/null >"$DELAY_OUT" 2>&1 &
    DELAY_PID=$!
    qvr_track "$DELAY_PID"
    for ((i = 0; i < 200; i++)); do
        if grep -q '^listening on ' "$DELAY_OUT" 2>/dev/null; then
            DELAY_PORT=$(sed -n 's/^listening on .*:\([0-9][0-9]*\)$/\1/p' \
                "$DELAY_OUT" | head -n 1)
            DELAY_URL=http://127.0.0.1:$DELAY_PORT
            return 0
        fi
        kill -0 "$DELAY_PID" 2>/dev/null || break
        sleep 0.05
    done
    cat "$DELAY_OUT" >&2 || true
    fail "qvr_delay_server did not start"
}

# start_sse_server [ARGS...]: start the token-streaming fixture with ARGS
# (--ttft, --itl, --tokens are required; see tests/fixture/qvr_sse_server.c).
# Sets SSE_PORT, SSE_PID, SSE_LOG (its per-stream send-time log: "TOKENS
# FIRST_US GAP_US ..." per line), SSE_URL, SSE_OUT (its stdout).
QVR_SSE_SEQ=0
start_sse_server()
{
    local bin=$QVR_BIN_DIR/qvr_sse_server i
    [[ -n "$QVR_TMP" ]] || qvr_tmpdir
    [[ -x "$bin" ]] || fail "start_sse_server: $bin not built"
    QVR_SSE_SEQ=$((QVR_SSE_SEQ + 1))
    SSE_LOG=$QVR_TMP/sse-$QVR_SSE_SEQ.log
    SSE_OUT=$QVR_TMP/sse-$QVR_SSE_SEQ.out
    : >"$SSE_LOG"
    "$bin" --port 0 --log "$SSE_LOG" "$@" </dev/null >"$SSE_OUT" 2>&1 &
    SSE_PID=$!
    qvr_track "$SSE_PID"
    for ((i = 0; i < 200; i++)); do
        if grep -q '^listening on ' "$SSE_OUT" 2>/dev/null; then
            SSE_PORT=$(sed -n 's/^listening on .*:\([0-9][0-9]*\)$/\1/p' \
                "$SSE_OUT" | head -n 1)
            SSE_URL=http://127.0.0.1:$SSE_PORT
            return 0
        fi
        kill -0 "$SSE_PID" 2>/dev/null || break
        sleep 0.05
    done
    cat "$SSE_OUT" >&2 || true
    fail "qvr_sse_server did not start"
}

# check_byname DIR: timeseries_by_name.csv agrees with the rest of the
# result directory: its header; per name, its rows add up to summary.json's
# requests and failures; per window, its names add up to timeseries.csv's
# row; no name's max above its window's; one tagged latency.hlog line per
# row. Fails the test with the first mismatch.
check_byname()
{
    python3 - "$1" <<'EOF' || fail "timeseries_by_name.csv disagrees: see above"
import csv, json, sys
from collections import defaultdict
d = sys.argv[1]
s = json.load(open(d + "/summary.json"))
text = open(d + "/timeseries_by_name.csv").read()
head = "time_s,wall_s,name,requests,failures,rps,p50_ms,p90_ms,p99_ms,max_ms"
assert text.split("\n")[0] == head, text.split("\n")[0]
rows = list(csv.DictReader(text.splitlines()))
assert rows, "no rows"
per_name = defaultdict(lambda: [0, 0])
per_win = defaultdict(lambda: [0, 0, 0.0])
for r in rows:
    n, f = int(r["requests"]), int(r["failures"])
    assert n > 0, r
    assert float(r["p50_ms"]) <= float(r["p99_ms"]) <= float(r["max_ms"]), r
    per_name[r["name"]][0] += n
    per_name[r["name"]][1] += f
    w = per_win[r["time_s"]]
    w[0] += n
    w[1] += f
    w[2] = max(w[2], float(r["max_ms"]))
for name, st in s["names"].items():
    got = per_name.get(name, [0, 0])
    assert got == [st["requests"], st["failures"]], \
        (name, got, st["requests"], st["failures"])
assert set(per_name) <= set(s["names"]), (set(per_name), set(s["names"]))
ts = {r["time_s"]: r for r in csv.DictReader(open(d + "/timeseries.csv"))}
for t, w in per_win.items():
    assert t in ts, ("window", t, "not in timeseries.csv")
    r = ts[t]
    assert [w[0], w[1]] == [int(r["requests"]), int(r["failures"])], \
        (t, w, r["requests"], r["failures"])
    assert w[2] <= float(r["max_ms"]) + 1e-3, (t, w[2], r["max_ms"])
for t, r in ts.items():
    assert int(r["requests"]) == 0 or t in per_win, ("window", t, "no names")
tags = sum(1 for l in open(d + "/latency.hlog") if l.startswith("Tag=name:"))
assert tags == len(rows), (tags, len(rows))
print("by-name: %d rows, %d names, %d windows agree"
      % (len(rows), len(per_name), len(per_win)))
EOF
}

# json_get FILE EXPR: prints EXPR evaluated with d = the parsed JSON file,
# e.g. json_get summary.json 'd["totals"]["requests"]'. Dicts, lists,
# booleans and null print as JSON; numbers and strings as they are.
json_get()
{
    python3 - "$1" "$2" <<'EOF'
import json, sys
with open(sys.argv[1]) as f:
    d = json.load(f)
v = eval(sys.argv[2], {"d": d, "len": len, "sum": sum, "min": min,
                       "max": max, "abs": abs, "sorted": sorted})
if isinstance(v, (dict, list, bool)) or v is None:
    print(json.dumps(v))
else:
    print(v)
EOF
}

# run_qvrrun ARGS...: runs $QVRRUN ARGS with a timeout ($QVR_TIMEOUT s,
# default 120). Sets RC (124 on timeout), QVR_STDOUT, QVR_STDERR; never
# trips set -e.
run_qvrrun()
{
    [[ -n "$QVR_TMP" ]] || qvr_tmpdir
    QVR_STDOUT=$QVR_TMP/qvrrun.stdout
    QVR_STDERR=$QVR_TMP/qvrrun.stderr
    QVR_LAST_STDERR=$QVR_STDERR
    RC=0
    timeout -k 5 "${QVR_TIMEOUT:-120}" "$QVRRUN" "$@" </dev/null \
        >"$QVR_STDOUT" 2>"$QVR_STDERR" || RC=$?
}

# Numeric comparisons go through awk so floats work; a non-number fails.
qvr_num()
{
    [[ "$1" =~ ^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$ ]]
}

# assert_eq A B MSG: string equality.
assert_eq()
{
    if [[ "$1" == "$2" ]]; then
        pass "${3:-}"
    else
        fail "${3:-assert_eq}: expected '$2', got '$1'"
    fi
}

# assert_near A B TOL MSG: |A - B| <= TOL.
assert_near()
{
    qvr_num "$1" && qvr_num "$2" && qvr_num "$3" ||
        fail "${4:-assert_near}: not numbers: '$1' '$2' '$3'"
    if awk -v a="$1" -v b="$2" -v t="$3" \
        'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= t) }'; then
        pass "${4:-}"
    else
        fail "${4:-assert_near}: $1 is not within $3 of $2"
    fi
}

# assert_le A B MSG: A <= B.
assert_le()
{
    qvr_num "$1" && qvr_num "$2" ||
        fail "${3:-assert_le}: not numbers: '$1' '$2'"
    if awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; then
        pass "${3:-}"
    else
        fail "${3:-assert_le}: $1 > $2"
    fi
}

# assert_ge A B MSG: A >= B.
assert_ge()
{
    qvr_num "$1" && qvr_num "$2" ||
        fail "${3:-assert_ge}: not numbers: '$1' '$2'"
    if awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; then
        pass "${3:-}"
    else
        fail "${3:-assert_ge}: $1 < $2"
    fi
}

# assert_contains FILE STRING [MSG]: FILE contains STRING (fixed string).
assert_contains()
{
    [[ -f "$1" ]] || fail "${3:-assert_contains}: no file $1"
    if grep -qF -- "$2" "$1"; then
        pass "${3:-$1 contains \"$2\"}"
    else
        fail "${3:-assert_contains}: '$2' not in $1"
    fi
}
