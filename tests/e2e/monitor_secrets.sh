#!/usr/bin/env bash
# qvrrun monitor SCENARIO.lua redacts secrets as a run does: the values of
# Authorization and of a header named in redact = {...}, learned as the
# probe's requests send them, and the password of the target's URL, appear
# nowhere in history.jsonl (the probe's error quotes the task error), on
# stdout (probe lines, ALERT lines), stderr (the task error logged, banner),
# in the on_alert command's environment or any other file of the output
# directory; "<redacted>" stands in their place.
source "$(dirname "$0")/lib.sh"
qvr_tmpdir
start_nginx

OUT=$QVR_TMP/out
ENVF=$OUT/alert.env
cat >"$QVR_TMP/probe.lua" <<'EOF'
local token = "Bearer s3cr3t-T0KEN-123"
return scenario {
  name = "msec",
  target = env("QVR_TARGET"),
  redact = { "X-Api-Key" },
  load = every { interval = "200ms", window = 5 },
  thresholds = { error_rate = "< 50%" },
  tasks = { t = function()
    local h = { Authorization = token, ["X-Api-Key"] = "k3y-V4LUE-987" }
    local r = http.get("/ok", { headers = h })
    check(r, "status 200 with k3y-V4LUE-987", r.status == 200)
    error("request failed with key k3y-V4LUE-987 and " .. token)
  end },
}
EOF
mkdir -p "$OUT"
CMD="env | grep '^QVR_ALERT_' | sort >>'$ENVF'"
QVR_TIMEOUT=20 run_qvrrun monitor "$QVR_TMP/probe.lua" --duration 2s \
    --out "$OUT" --on-alert "$CMD" \
    --target "http://user:pa55w0rd-x@127.0.0.1:$NGINX_PORT"
assert_eq "$RC" 99 "every probe fails: the error-rate gate fails (exit 99)"
n=$(wc -l <"$OUT/history.jsonl")
assert_ge "$n" 5 "probes every 200 ms for 2 s ($n)"
for ((i = 0; i < 50; i++)); do
    [[ -s "$ENVF" ]] && break
    sleep 0.1
done
assert_contains "$ENVF" "QVR_ALERT_STATE=failing" "on_alert ran"

leaks=0
while IFS= read -r -d '' f; do
    for secret in s3cr3t-T0KEN-123 k3y-V4LUE-987 pa55w0rd-x; do
        if grep -q -- "$secret" "$f"; then
            echo "secret '$secret' in $f:" >&2
            grep -- "$secret" "$f" | head -3 >&2
            leaks=$((leaks + 1))
        fi
    done
done < <(find "$OUT" "$QVR_STDOUT" "$QVR_STDERR" -type f -print0)
assert_eq "$leaks" 0 "no secret in stdout, stderr, history.jsonl, the alert's environment or any file of the output directory"
if grep -rq -e s3cr3t-T0KEN-123 -e k3y-V4LUE-987 -e pa55w0rd-x "$OUT"; then
    fail "grep -r finds a secret in $OUT"
fi
pass "grep -r $OUT finds no secret"

assert_contains "$OUT/history.jsonl" \
    "request failed with key <redacted> and <redacted>" \
    "the probe's error in the history keeps the task error, secrets replaced"
assert_contains "$QVR_STDOUT" \
    "probe failed: task error: $QVR_TMP/probe.lua:12: request failed with key <redacted>" \
    "the probe line on stdout too"
assert_contains "$QVR_STDERR" "request failed with key <redacted>" \
    "the task error logged on stderr is redacted"
assert_contains "$QVR_STDERR" "user:<redacted>@127.0.0.1" \
    "the banner hides the URL password"
assert_contains "$ENVF" "QVR_ALERT_TARGET=http://user:<redacted>@127.0.0.1" \
    "on_alert sees the target without its password"
# redaction is only in output: the secret headers reached the server
assert_ge "$(nginx_count)" 5 "requests reached nginx"
finish
