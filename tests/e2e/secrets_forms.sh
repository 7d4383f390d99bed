#!/usr/bin/env bash
# Secrets a target echoes back inside JSON, and keys sent in headers that
# carry credentials by convention (D16): a token with a quote, backslash
# and slash is redacted in its JSON-escaped forms too (\" \\ and \/); the
# value of api-key, X-Auth-Token (any *-key, *-token, ...) is redacted
# although its env() name (RERANK_KEY) does not look secret and the
# scenario has no redact = {...}.
source "$(dirname "$0")/lib.sh"
qvr_tmpdir
cd "$QVR_TMP" || fail "cannot cd to $QVR_TMP"
cat >forms.lua <<'EOF'
local tok = env("MY_API_TOKEN")
local key = env("RERANK_KEY")
return scenario {
  name = "forms", target = "mock",
  load = users { count = 1, duration = "300ms" }, wait = constant(0.05),
  tasks = { t = function()
    local r = http.get("/health", { headers = { ["api-key"] = key,
                                               ["X-Auth-Token"] = "x-auth-tok-555" } })
    -- what a server echoing them inside JSON sends back
    log("json: " .. json.encode { echo = tok } .. " " .. json.encode { key = key })
    log("php: " .. (json.encode { echo = tok }):gsub("/", "\\/"))
    check(r, "sent key " .. key .. " and x-auth-tok-555", true)
    error("failed with key " .. key)
  end },
}
EOF
run_qvrrun forms.lua --out "$QVR_TMP/o" --csv "$QVR_TMP/o/locust" \
    --junit "$QVR_TMP/o/junit.xml" --no-plots \
    -e 'MY_API_TOKEN=tok"en\with/special-SECRET42' -e RERANK_KEY=rk-S3CRET-azure-77
assert_eq "$RC" 99 "exit 99 (the task raises: task_errors == 0 fails)"
assert_ge "$(json_get "$QVR_TMP/o/summary.json" 'd["totals"]["requests"]')" 2 "requests sent"
for f in "$QVR_STDOUT" "$QVR_STDERR" "$QVR_TMP"/o/*; do
    for secret in SECRET42 S3CRET-azure x-auth-tok-555; do
        if grep -q -- "$secret" "$f"; then
            fail "'$secret' leaked into $f: $(grep -m1 -- "$secret" "$f")"
        fi
    done
done
pass "no form of a secret in stdout, stderr, summary, CSV or JUnit"
assert_contains "$QVR_STDERR" 'json: {"echo":"<redacted>"} {"key":"<redacted>"}' \
    "the JSON-escaped token and the api-key value redacted in log()"
assert_contains "$QVR_STDERR" 'php: {"echo":"<redacted>"}' \
    "the token with \\/ (PHP style) redacted"
assert_eq "$(json_get "$QVR_TMP/o/summary.json" '[c["name"] for c in d["checks"]]')" \
    '["sent key <redacted> and <redacted>"]' "check label redacted, one entry"
assert_eq "$(json_get "$QVR_TMP/o/summary.json" 'd["errors"][0]["message"].split("\n")[0]')" \
    "forms.lua:13: failed with key <redacted>" "task error redacted"
finish
