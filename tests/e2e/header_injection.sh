#!/usr/bin/env bash
# Request headers that could be forged (D13): a CR or LF in a value, a
# control character, a name that is not a token each raise a Lua error at
# the call, naming the header and the scenario line, and no request is
# sent; a value with a TAB, and ordinary headers, still go out.
source "$(dirname "$0")/lib.sh"
qvr_tmpdir
cd "$QVR_TMP" || fail "cannot cd to $QVR_TMP"

# run_case NAME HEADERS: one user for 0.3 s whose task sends /health with
# HEADERS (a Lua table constructor) on line 5 of the scenario.
run_case()
{
    cat >"$1.lua" <<EOF
return scenario {
  name = "$1", target = "mock",
  load = users { count = 1, duration = "300ms" }, wait = constant(0.03),
  tasks = { t = function()
    http.get("/health", { headers = $2 })
  end },
}
EOF
    run_qvrrun "$1.lua" --quiet --no-plots --out "$QVR_TMP/$1"
    S=$QVR_TMP/$1/summary.json
}

# errors_only NAME MESSAGE: the run sent nothing and every iteration (at
# least 3) ended with the one task error MESSAGE. One read of the summary.
errors_only()
{
    assert_eq "$RC" 99 "$1: exit 99 (a task error is data, and fails task_errors == 0)"
    local got
    got=$(json_get "$S" '"%d requests, %d errors in %d entries, %s" % (d["totals"]["requests"], d["totals"]["script_errors"] - sum(e["count"] for e in d["errors"]), len(d["errors"]), "ok" if d["totals"]["script_errors"] >= 3 else "too few")')
    assert_eq "$got" "0 requests, 0 errors in 1 entries, ok" \
        "$1: nothing sent, every iteration raised the one error"
    assert_eq "$(json_get "$S" 'd["errors"][0]["message"].split("\n")[0]')" \
        "$2" "$1: the message"
}

TOKEN="(letters, digits and !#\$%&'*+-.^_\`|~ only)"

run_case crlf '{ ["X-A"] = "v\r\nInjected: yes" }'
errors_only crlf "crlf.lua:5: http.get: header 'X-A': the value holds a line break (CR or LF), which would inject headers"

run_case lf '{ ["X-Token"] = "abc\nGET /admin HTTP/1.1" }'
errors_only lf "lf.lua:5: http.get: header 'X-Token': the value holds a line break (CR or LF), which would inject headers"

run_case space '{ ["Bad Name"] = "z" }'
errors_only space "space.lua:5: http.get: header name 'Bad Name' is not a valid token $TOKEN"

run_case colon '{ ["X-A: b\r\nX-C"] = "z" }'
errors_only colon "colon.lua:5: http.get: header name 'X-A: b\\x0d\\x0aX-C' is not a valid token $TOKEN"

run_case nul '{ ["X-A"] = "a\0b" }'
errors_only nul "nul.lua:5: http.get: header 'X-A': the value holds control character 0x00"

run_case empty '{ [""] = "z" }'
errors_only empty "empty.lua:5: http.get: header name '' is not a valid token $TOKEN"

run_case good '{ ["X-Tab"] = "a\tb", ["X-Ok_1"] = "v=1; w=\"2\"" }'
assert_eq "$RC" 0 "good: exit 0"
assert_eq "$(json_get "$S" '"%s sent, %d failed, %d errors" % ("some" if d["totals"]["requests"] >= 3 else "too few", d["totals"]["failures"], d["totals"]["script_errors"])')" \
    "some sent, 0 failed, 0 errors" "good: requests sent, none failed, no task error"
finish
