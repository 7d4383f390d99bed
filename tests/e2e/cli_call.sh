#!/usr/bin/env bash
# `qvrrun call URL|SCENARIO` (issue 19): one request, with its status,
# libcurl's timings, the answer's headers and body; a scenario sends the
# first request of its first task (a qvr.rerank payload here). Exit 0 on an
# answer, 3 on none, 2 on usage errors; secret headers are not printed.
source "$(dirname "$0")/lib.sh"
qvr_tmpdir
start_mock --profile fast --service 50ms
OUT=$QVR_TMP/out

# ms VALUE-LINE: the number of a "  label  12.3ms" / "1.20s" line.
ms()
{
    awk -v k="$1" '$1 == k || ($1 " " $2) == k {
        v = $NF; u = 1; if (v ~ /ms$/) sub(/ms$/, "", v); else if (v ~ /s$/) { sub(/s$/, "", v); u = 1000 }
        print v * u; exit }' "$2"
}

# 1. A URL with a JSON body and a secret header.
run_qvrrun call "$MOCK_URL/api/rerank" --json '{"query":"q","documents":["a","b","c"]}' \
    -H 'Authorization: Bearer s3cret-t0ken'
assert_eq "$RC" 0 "call URL: exit 0"
cp "$QVR_STDOUT" "$OUT"
assert_contains "$OUT" "> POST $MOCK_URL/api/rerank" "POST by default with a body"
assert_contains "$OUT" "> Content-Type: application/json" "--json sets the content type"
assert_contains "$OUT" "> Authorization: <redacted>" "the secret header is redacted"
if grep -q s3cret "$OUT"; then fail "the token was printed"; else pass "no token"; fi
assert_contains "$OUT" "< HTTP/1.1 200" "status line"
assert_contains "$OUT" "< Content-Type: application/json" "answer headers"
assert_eq "$(python3 -c 'import json,sys; print(len(json.loads([l for l in open(sys.argv[1]) if l.startswith("{")][0])["scores"]))' "$OUT")" \
    3 "the body: three scores for three documents"
assert_ge "$(ms "first byte" "$OUT")" 50 "first byte after the mock's 50 ms service"
assert_ge "$(ms total "$OUT")" "$(ms "first byte" "$OUT")" "total >= first byte"
assert_le "$(ms dns "$OUT")" 50 "dns timed (numeric host)"
assert_le "$(ms total "$OUT")" 2000 "total under 2 s"

# -d @FILE reads the body from a file; --timeout is the whole request's.
printf '{"query":"q","documents":["a","b"]}' >"$QVR_TMP/body.json"
run_qvrrun call "$MOCK_URL/api/rerank" -d @"$QVR_TMP/body.json" \
    -H 'Content-Type: application/json'
assert_eq "$RC" 0 "-d @FILE: exit 0"
assert_contains "$QVR_STDOUT" "> (body: 35 bytes)" "the file's 35 bytes sent"
assert_contains "$QVR_STDOUT" '"scores":[' "and answered with scores"
run_qvrrun call "$MOCK_URL/api/rerank" -d @"$QVR_TMP/body.json" \
    -H 'Content-Type: application/json' --timeout 10ms
assert_eq "$RC" 3 "--timeout 10ms against a 50 ms answer: exit 3"
assert_contains "$QVR_STDERR" "(timeout)" "a timeout, said so"
run_qvrrun call "$MOCK_URL/x" -d @"$QVR_TMP/none.json"
assert_eq "$RC" 2 "-d @ a missing file: exit 2"

# 2. A scenario: its first task's first request, built by qvr.rerank.
cat >"$QVR_TMP/s.lua" <<'EOF2'
local rerank = require "qvr.rerank"
local p = rerank.payload { name = "rr", query = "q", documents = { "x", "y" } }
return scenario {
  name = "callme",
  target = env("QVR_TARGET", "mock"),
  load = users { count = 1, duration = "1s" },
  tasks = { a_first = function() rerank.post(nil, p) end,
            b_other = function() http.get("/health") end },
}
EOF2
QVR_TARGET=$MOCK_URL run_qvrrun call "$QVR_TMP/s.lua" --no-body
assert_eq "$RC" 0 "call SCENARIO: exit 0"
assert_contains "$QVR_STDOUT" "# scenario callme, task 'a_first', request 'rr'" \
    "the first task's request, named"
assert_contains "$QVR_STDOUT" "> POST $MOCK_URL/api/rerank" "the rerank payload's URL"
assert_contains "$QVR_STDOUT" "< HTTP/1.1 200" "answered"
# target = "mock" starts the built-in mock
run_qvrrun call "$QVR_TMP/s.lua" --no-body
assert_eq "$RC" 0 "call SCENARIO against the built-in mock: exit 0"
assert_contains "$QVR_STDOUT" "< HTTP/1.1 200" "the built-in mock answered"

# 3. No answer, no request, bad flags.
port=$(free_port)
run_qvrrun call "http://127.0.0.1:$port/x"
assert_eq "$RC" 3 "refused: exit 3"
assert_contains "$QVR_STDERR" "no answer" "refused: said so"
cat >"$QVR_TMP/noreq.lua" <<'EOF2'
return scenario {
  name = "noreq", target = "mock",
  load = users { count = 1, duration = "1s" },
  tasks = { t = function() local x = 1 end },
}
EOF2
run_qvrrun call "$QVR_TMP/noreq.lua"
assert_eq "$RC" 2 "a task that sends nothing: exit 2"
assert_contains "$QVR_STDERR" "task 't' ended without sending a request" "said so"
run_qvrrun call "$MOCK_URL/x" --bogus
assert_eq "$(cat "$QVR_STDERR")" \
    "qvrrun: error: call: unknown flag '--bogus' (see qvrrun call --help)" "unknown flag named"
run_qvrrun call "$QVR_TMP/s.lua" -d x
assert_eq "$RC" 2 "a body flag with a scenario: exit 2"
finish
