#!/usr/bin/env bash
# Result files that could be corrupted (issue 16: D4, D7, D18).
# - A request name with a line break is a task error naming it; the rest of
#   the run is measured and every output (charts, JUnit, Locust CSV) is
#   written, and latency.hlog reads back clean.
# - A run killed with SIGKILL: `qvrrun report` rebuilds summary.json from
#   latency.hlog and timeseries_by_name.csv, marked partial, even when the
#   kill cut the log's last line.
# - The disk fills while the charts render (a 48 KiB tmpfs mounted in the
#   temp folder; needs root): exit 3 naming the chart, the table still
#   printed, no empty, cut or temporary file left.
source "$(dirname "$0")/lib.sh"
qvr_tmpdir
T=$QVR_TMP
command -v gnuplot >/dev/null || fail "gnuplot missing (apt-get install gnuplot-nox)"

# whole_pngs DIR: every *.png in DIR starts with the PNG signature and ends
# with the IEND chunk; prints how many there are.
whole_pngs()
{
    python3 - "$1" <<'PY'
import glob, sys
n = 0
for p in glob.glob(sys.argv[1] + "/*.png"):
    b = open(p, "rb").read()
    if not (b.startswith(b"\x89PNG\r\n\x1a\n") and b.endswith(b"IEND\xaeB`\x82")):
        sys.exit("not a whole PNG: %s (%d bytes)" % (p, len(b)))
    n += 1
print(n)
PY
}

# 1. A name with a line break.
cat >"$T/nl.lua" <<'EOF'
return scenario { name = "nl", target = "mock", load = users { count = 1, duration = "1s" },
  wait = constant(0.05), thresholds = { p99 = "< 5s" },
  tasks = { t = function() http.get("/health", { name = "fine, name" })
                           http.get("/health", { name = "a\nb" }) end } }
EOF
run_qvrrun "$T/nl.lua" --quiet --out "$T/nl" --junit "$T/nl.xml" --csv "$T/nl"
assert_eq "$RC" 99 "a name with a line break: a task error, so task_errors == 0 fails (exit 99)"
assert_contains "$QVR_STDERR" 'http.get: request name "a\nb" holds a control character' \
    "the task error names the escaped name"
assert_contains "$T/nl.xml" '<testsuite name="qvrrun thresholds" tests="2" failures="1"' "JUnit written"
for f in stats stats_history failures exceptions; do
    [[ -s "$T/nl_$f.csv" ]] || fail "no $T/nl_$f.csv"
done
pass "the four Locust CSV files written"
assert_eq "$(whole_pngs "$T/nl")" 3 "latency, throughput and distribution charts drawn"
assert_eq "$(json_get "$T/nl/summary.json" '",".join(sorted(d["names"]))')" "fine, name" \
    "only the valid name is counted"
run_qvrrun report "$T/nl" --no-plots
assert_eq "$RC" 0 "report reads the log back"
if grep -q malformed "$QVR_STDERR"; then fail "latency.hlog has a malformed line"; fi
pass "no malformed line in latency.hlog"

# 2. kill -9: the windows are kept and report rebuilds a partial summary.
cat >"$T/long.lua" <<'EOF'
return scenario { name = "long", target = "mock", load = users { count = 2, duration = "30s" },
  wait = constant(0.02),
  tasks = { t = function() http.get("/health", { name = "ok" })
                           http.get("/nope", { name = "missing" }) end } }
EOF
"$QVRRUN" "$T/long.lua" --quiet --no-plots --out "$T/k" </dev/null >/dev/null 2>&1 &
victim=$!
qvr_track "$victim"
for _ in $(seq 200); do
    (($(wc -l <"$T/k/timeseries_by_name.csv" 2>/dev/null || echo 0) >= 5)) && break
    sleep 0.05
done
kill -KILL "$victim"
wait "$victim" 2>/dev/null || true
[[ ! -e "$T/k/summary.json" ]] || fail "the killed run has a summary already"
cp -r "$T/k" "$T/k2"
run_qvrrun report "$T/k"
assert_eq "$RC" 0 "report on a killed run: exit 0"
assert_contains "$QVR_STDERR" "summary.json was missing" "report says it rebuilt the summary"
S=$T/k/summary.json
assert_eq "$(json_get "$S" 'd["partial"]')" true "summary marked partial"
by_name=$(awk -F, 'NR > 1 { r += $4; f += $5 } END { print r, f }' "$T/k/timeseries_by_name.csv")
assert_eq "$(json_get "$S" '"%d %d" % (d["totals"]["requests"], d["totals"]["failures"])')" \
    "$by_name" "totals: the requests and failures of the kept windows"
assert_ge "$(json_get "$S" 'd["totals"]["requests"]')" 20 "at least 2 windows of requests"
assert_eq "$(json_get "$S" 'd["names"]["missing"]["failures"] == d["names"]["missing"]["requests"] > 0')" \
    true "every /nope request failed"
assert_eq "$(json_get "$S" 'd["names"]["ok"]["failures"]')" 0 "no /health request failed"
assert_ge "$(json_get "$S" 'd["totals"]["latency_ms"]["p99"]')" 0.001 "p99 recomputed from the log"
assert_ge "$(($(wc -l <"$T/k/timeseries.csv") - 1))" 2 "timeseries.csv rebuilt, one row per window"
assert_eq "$(whole_pngs "$T/k")" 3 "the charts drawn"
# the kill cut the last lines: dropped, the rest read
printf '3.000,1.000,0.5' >>"$T/k2/latency.hlog"
printf '3.000,17966' >>"$T/k2/timeseries_by_name.csv"
run_qvrrun report "$T/k2" --no-plots
assert_eq "$RC" 0 "report on logs with a cut last line: exit 0"
assert_contains "$QVR_STDERR" "a last line cut by the kill was dropped"
assert_eq "$(json_get "$T/k2/summary.json" 'd["totals"]["requests"]')" \
    "$(json_get "$S" 'd["totals"]["requests"]')" "the same totals"

# 3. The disk fills while the charts render.
mnt=$T/tiny
mkdir -p "$mnt"
mount -t tmpfs -o size=48k tmpfs "$mnt" || fail "cannot mount a tmpfs (this test runs as root)"
trap 'rc=$?; umount "$mnt" 2>/dev/null; (exit $rc); qvr_cleanup' EXIT
run_qvrrun "$T/nl.lua" --quiet --out "$mnt/run" --junit "$T/full.xml"
assert_eq "$RC" 3 "charts on a full disk: exit 3"
assert_contains "$QVR_STDERR" "qvrrun: error: cannot write $mnt/run/" "the error names the file"
grep -qE "\.png: gnuplot wrote ([0-9]+ bytes, not a whole PNG|an empty file)" "$QVR_STDERR" &&
    pass "a chart gnuplot could not finish is named" || fail "no chart named in the error"
assert_contains "$QVR_STDOUT" "p99 < 5s" "the results table is still printed"
assert_contains "$T/full.xml" "</testsuite>" "the JUnit report is written despite the charts"
left=$(find "$mnt/run" \( -name '*.tmp' -o -size 0 \) -print)
assert_eq "$left" "" "no temporary or empty file left"
whole_pngs "$mnt/run" >/dev/null && pass "every PNG left is whole" || fail "a cut PNG was left"
finish
