#!/usr/bin/env bash
# Secrets that secrets.sh does not reach, and http.* options misspelt:
#  1. check labels and fail() messages carrying a secret header's value are
#     counted under the redacted label (one entry each), with one thread and
#     with --threads 2;
#  2. a value read with env() under a secret-looking key (API_TOKEN,
#     DB_PASSWORD) is redacted from the moment the scenario loads: a
#     top-level log() and a task error raised before any request sent it;
#     plain numbers and other keys stay readable;
#  3. a secret first sent after an error quoted it: summary.json (and the
#     Locust CSVs and JUnit made from it) still show <redacted>, merged with
#     the later messages (stderr had printed that first line before the
#     value was known: nothing can take a written line back);
#  4. an unknown http.* option is a task error naming the key and the known
#     ones; nothing is sent for it and the run goes on.
# Every run: a local nginx, bounded by --duration and run_qvrrun's timeout;
# each output (stdout, stderr, every file in --out, --csv, --junit) is
# grepped for every secret, and <redacted> must appear where the secret was.
source "$(dirname "$0")/lib.sh"
qvr_tmpdir
start_nginx
cd "$QVR_TMP" || fail "cannot cd to $QVR_TMP"
export QVR_TIMEOUT=60

# run_all NAME SCENARIO ARGS...: runs with every output under $QVR_TMP/NAME.
run_all()
{
    local name=$1 scen=$2
    shift 2
    mkdir -p "$name"
    run_qvrrun "$scen" --out "$name/out" --csv "$name/locust" \
        --junit "$name/junit.xml" --no-plots \
        -e QVR_TARGET="$NGINX_URL" "$@"
    cp "$QVR_STDOUT" "$name/stdout"
    cp "$QVR_STDERR" "$name/stderr"
    # task errors fail the default task_errors == 0 threshold (exit 99)
    local want=0
    [[ $(json_get "$name/out/summary.json" 'd["totals"]["script_errors"]') == 0 ]] ||
        want=99
    [[ "$RC" == "$want" ]] || {
        cat "$name/stderr" >&2
        fail "$name: exit $RC, expected $want"
    }
    [[ -s "$name/out/summary.json" && -s "$name/out/timeseries.csv" &&
        -s "$name/locust_stats.csv" && -s "$name/junit.xml" ]] ||
        fail "$name: an output file is missing"
}

# no_secret NAME SECRET...: no output of run NAME holds any SECRET.
no_secret()
{
    local name=$1 s hits
    shift
    for s in "$@"; do
        hits=$(grep -rlF -- "$s" "$name" || true)
        [[ -z "$hits" ]] || fail "$name: '$s' leaked into: $hits"
    done
    pass "$name: no secret in stdout, stderr, summary, timeseries, Locust CSV, JUnit"
}

count_in()
{
    grep -cF -- "$2" "$1" || true
}

# 1. Check labels and fail() messages.
cat >labels.lua <<'EOF'
return scenario {
  name = "labels",
  target = env("QVR_TARGET"),
  redact = { "X-Api-Key" },
  load = users { count = 2, duration = "1s" },
  wait = constant(0.1),
  tasks = { t = function()
    local h = { Authorization = "Bearer SECRETAUTH1", ["X-Api-Key"] = "SECRETKEY4" }
    local r = http.get("/fail", { headers = h, name = "e500" })
    check(r, "ok SECRETKEY4", function(x) return x.ok end)
    check(r, "status 500 for SECRETAUTH1", r.status == 500)
    fail("failing with SECRETAUTH1")
  end },
}
EOF
for threads in 1 2; do
    run_all "labels$threads" labels.lua --threads "$threads"
    no_secret "labels$threads" SECRETAUTH1 SECRETKEY4
    s=labels$threads/out/summary.json
    it=$(json_get "$s" 'd["totals"]["iterations"]')
    assert_ge "$it" 4 "labels$threads: iterations ran"
    assert_eq "$(json_get "$s" '[c["name"] for c in d["checks"]]')" \
        '["ok <redacted>", "status 500 for <redacted>", "failing with <redacted>"]' \
        "labels$threads: each check counted under one redacted label"
    assert_eq "$(json_get "$s" '[c["failed"] for c in d["checks"]][0]')" "$it" \
        "labels$threads: every failed check under that label"
    assert_eq "$(json_get "$s" '[c["passed"] for c in d["checks"]][1]')" "$it" \
        "labels$threads: passing check under its label"
    assert_contains "labels$threads/stdout" \
        "FAIL failing with <redacted>  (0 passed, $it failed)" \
        "labels$threads: the table shows the redacted fail() message"
done

# 2. Secrets read with env() are known before any request.
cat >early.lua <<'EOF'
local TOKEN = env("API_TOKEN", "not-this-default")
local PW = env("DB_PASSWORD", "pw-DEFAULT-8080")
log("loaded with", TOKEN, "and", PW)
log("controls", env("MAX_TOKENS", "4096"), env("GREETING", "hello-visible-77"))
local n = 0
return scenario {
  name = "early",
  target = env("QVR_TARGET"),
  load = users { count = 1, duration = "1s" },
  wait = constant(0.1),
  tasks = { t = function()
    n = n + 1
    if n == 1 then error("no auth yet " .. TOKEN) end
    if n == 2 then log("task sees", TOKEN, PW) end
    local r = http.get("/", { headers = { Authorization = "Bearer " .. TOKEN }, name = "g" })
    check(r, "status 200", r.status == 200)
    if n == 3 then error("later " .. TOKEN) end
  end },
}
EOF
run_all early early.lua -e API_TOKEN=tok-EARLY-5150
no_secret early tok-EARLY-5150 pw-DEFAULT-8080
assert_contains early/stderr "[scenario] loaded with	<redacted>	and	<redacted>" \
    "top-level log(): -e value and env() default both redacted"
assert_contains early/stderr "[scenario] controls	4096	hello-visible-77" \
    "plain numbers and other keys are not secrets"
assert_contains early/stderr "early.lua:13: no auth yet <redacted>" \
    "the error before the first request is redacted on stderr"
assert_contains early/stderr "task sees	<redacted>	<redacted>" \
    "log() in a task"
assert_eq "$(json_get early/out/summary.json '[e["message"].split("\n")[0] for e in d["errors"]]')" \
    '["early.lua:13: no auth yet <redacted>", "early.lua:17: later <redacted>"]' \
    "summary.json errors redacted"
assert_ge "$(count_in early/locust_exceptions.csv '<redacted>')" 1 \
    "Locust exceptions CSV carries the redacted errors"
assert_ge "$(json_get early/out/summary.json 'd["names"]["g"]["requests"]')" 2 \
    "the token was sent (redaction is only in output)"

# 3. A secret learned late, after an error quoted it.
cat >late.lua <<'EOF'
local SIG = "sig-" .. "LATE-4242"
local n = 0
return scenario {
  name = "late",
  target = env("QVR_TARGET"),
  load = users { count = 1, duration = "1s" },
  wait = constant(0.1),
  tasks = { t = function()
    n = n + 1
    if n > 2 then
      http.get("/", { headers = { Authorization = "Bearer " .. SIG }, name = "g" })
    end
    if n <= 4 then error("quoted " .. SIG, 0) end
  end },
}
EOF
run_all late late.lua
rm late/stderr # printed before the value was known (see the top)
no_secret late sig-LATE-4242
assert_eq "$(json_get late/out/summary.json '[(e["message"].split("\n")[0], e["count"]) for e in d["errors"]]')" \
    '[["quoted <redacted>", 4]]' \
    "errors redacted as written, and merged with the later ones"
assert_ge "$(count_in late/locust_exceptions.csv '<redacted>')" 1 \
    "Locust exceptions CSV redacted"

# 4. Misspelt http.* options.
cat >opts.lua <<'EOF'
return scenario {
  name = "opts",
  target = env("QVR_TARGET"),
  load = users { count = 1, duration = "1s" },
  wait = constant(0.2),
  tasks = { t = function()
    -- every option the binding reads is accepted
    http.post("/api/rerank", { json = { a = 1 }, headers = { ["X-A"] = "b" },
                               name = "good", timeout = "2s" })
    http.request("PUT", "/api/rerank", { body = "x", name = "good_body", timeout = 2 })
    local _, e1 = pcall(function() http.request("PUT", "/", { timout = "1s" }) end)
    local _, e2 = pcall(function() http.get("/", { "positional" }) end)
    local _, e3 = pcall(function() http.get("/", { zzzzzz = 1 }) end)
    log("PUT:", e1)
    log("GET:", e2)
    log("GET:", e3)
    http.post("/typo", { jsn = { a = 1 }, name = "typo" })
  end },
}
EOF
run_all opts opts.lua
s=opts/out/summary.json
it=$(json_get "$s" 'd["totals"]["iterations"]')
assert_ge "$it" 2 "opts: users went on after the error"
assert_eq "$(json_get "$s" 'd["totals"]["script_errors"]')" "$it" \
    "opts: one task error per iteration"
assert_eq "$(json_get "$s" '[e["message"].split("\n")[0] for e in d["errors"]]')" \
    "[\"opts.lua:17: http.post: unknown option 'jsn' (did you mean 'json'? options are json, body, headers, name, timeout, stream, keep_body, text, first_token_timeout)\"]" \
    "opts: the error names the key, a suggestion and the known options"
assert_contains opts/stderr \
    "error in task 't' (vu 1): opts.lua:17: http.post: unknown option 'jsn' (did you mean 'json'?" \
    "opts: printed as a task error"
assert_contains opts/stderr \
    "PUT:	opts.lua:11: http.request: unknown option 'timout' (did you mean 'timeout'? options are json, body, headers, name, timeout, stream, keep_body, text, first_token_timeout)" \
    "opts: http.request too"
assert_contains opts/stderr \
    "GET:	opts.lua:12: http.get: options are name = value pairs (json, body, headers, name, timeout, stream, keep_body, text, first_token_timeout), got a number key" \
    "opts: a positional value"
assert_contains opts/stderr \
    "GET:	opts.lua:13: http.get: unknown option 'zzzzzz' (options are json, body, headers, name, timeout, stream, keep_body, text, first_token_timeout)" \
    "opts: no suggestion when nothing is close"
assert_eq "$(json_get "$s" 'sorted(d["names"].keys())')" '["good", "good_body"]' \
    "opts: nothing was sent for the misspelt calls"
assert_eq "$(json_get "$s" 'd["names"]["good"]["requests"]')" "$it" \
    "opts: the well-formed request went out every iteration"
assert_eq "$(nginx_count '^POST /typo ')" 0 "opts: nginx never saw /typo"
assert_ge "$(nginx_count '^PUT /api/rerank ')" 1 "opts: body= and a numeric timeout accepted"
finish
