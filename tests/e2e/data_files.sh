#!/usr/bin/env bash
# data.lines and data.jsonl: files load once (relative to the scenario),
# every user gets the same read-only table; a missing or malformed file is a
# scenario error naming file and line; http.* at load time is refused.
source "$(dirname "$0")/lib.sh"
qvr_tmpdir
start_nginx
SC=$QVR_SRC_DIR/tests/e2e/scenarios/data.lua
T=http://127.0.0.1:$NGINX_PORT
run_qvrrun "$SC" --out "$QVR_TMP/ok" --quiet -e QVR_TARGET="$T"
assert_eq "$RC" 0 "every check held"
assert_ge "$(json_get "$QVR_TMP/ok/summary.json" 'd["totals"]["requests"]')" 10 "requests sent"

run_qvrrun "$SC" --out "$QVR_TMP/m" --quiet -e QVR_TARGET="$T" -e LINES=missing.txt
assert_eq "$RC" 2 "missing data file: exit 2"
assert_contains "$QVR_STDERR" "data.lua:2: data.lines: cannot open 'missing.txt': No such file or directory"

run_qvrrun "$SC" --out "$QVR_TMP/b" --quiet -e QVR_TARGET="$T" -e JSONL=../data/broken.jsonl
assert_eq "$RC" 2 "malformed jsonl: exit 2"
assert_contains "$QVR_STDERR" "data.jsonl: ../data/broken.jsonl:2: not JSON"

run_qvrrun "$SC" --out "$QVR_TMP/h" --quiet -e QVR_TARGET="$T" -e HTTP_AT_LOAD=1
assert_eq "$RC" 2 "http at load time: exit 2, no crash"
assert_contains "$QVR_STDERR" "only a task's own code may send requests"
assert_eq "$(nginx_count '/x ')" 0 "nothing was sent at load time"
finish
