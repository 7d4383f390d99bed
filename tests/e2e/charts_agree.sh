#!/usr/bin/env bash
# Charts agree with the verdicts (issue 19), asserted on plot-latency.dat's
# comment lines (what latency.png draws, from the same values):
#  1. no p99_trend threshold: no trend line; latency limits near the data
#     are drawn as lines, a far one is named in the title instead;
#  2. a p99_trend threshold: the line is drawn red when judged, grey when
#     n/a (too noisy), exactly as summary.json's verdict says;
#  3. one request: points are drawn and the title says so (not an empty
#     frame).
source "$(dirname "$0")/lib.sh"
qvr_tmpdir
cd "$QVR_TMP" || fail "cannot cd to $QVR_TMP"
export QVR_TIMEOUT=60
cat >c.lua <<'EOF'
local th = {}
if env("P99") then th.p99 = env("P99") end
if env("P50") then th.p50 = env("P50") end
if env("TREND") then th.p99_trend = env("TREND") end
if env("RPS") then th.rps = env("RPS") end
if env("RPS_TREND") then th.rps_trend = env("RPS_TREND") end
return scenario {
  name = "charts",
  target = "mock",
  mock = { service = "20ms" },
  load = users { count = tonumber(env("USERS", "2")), duration = env("DUR", "3s") },
  wait = constant(tonumber(env("WAIT", "0.05"))),
  thresholds = th,
  tasks = { t = function()
    http.post("/api/rerank", { json = { query = "q", documents = { "a" } },
                               name = "rerank" })
  end },
}
EOF
dat() { grep -F -- "$2" "$1/plot-latency.dat" | head -n 1; }

run_qvrrun c.lua --out a -e P99="< 40ms" -e P50="< 60m" -e RPS="> 1"
[[ $RC == 0 || $RC == 99 ]] || fail "run a: exit $RC"
assert_eq "$(dat a '# trend line drawn:')" "# trend line drawn: no (no p99_trend threshold)" \
    "no trend threshold: no trend line"
assert_eq "$(dat a '# limit line:')" "# limit line: 40 ms (limit p99 < 40ms)" \
    "the p99 limit is drawn at 40 ms"
assert_contains a/plot-latency.dat "limit above the chart: p50 < 60m" \
    "a limit far above the data is named, not drawn"
assert_contains a/plot-latency.dat "# points drawn: no" "a busy run: lines only"
assert_contains a/plot-throughput.dat "# trend line drawn: no (no rps_trend threshold)" \
    "throughput: no rps trend without its threshold"
assert_contains a/plot-throughput.dat "# limit line: 1 req/s (limit rps > 1)" \
    "throughput: the rps limit drawn"

run_qvrrun c.lua --out c -e TREND="< +1%" -e DUR=5s -e USERS=1 -e WAIT=0.4 \
    -e RPS_TREND="> -1%"
ok=$(json_get c/summary.json '[t["ok"] for t in d["thresholds"] if t["expr"].startswith("p99_trend")][0]')
case $ok in
true | false) want="# trend line drawn: yes (judged)" ;;
*) want="# trend line drawn: grey (n/a, too noisy)" ;;
esac
assert_eq "$(dat c '# trend line drawn:')" "$want" "the trend line follows the verdict ($ok)"
assert_contains c/plot-latency.dat "; p99_trend < +1%: " "the title gives the verdict"
ok=$(json_get c/summary.json '[t["ok"] for t in d["thresholds"] if t["expr"].startswith("rps_trend")][0]')
case $ok in
true | false) want="# trend line drawn: yes (judged)" ;;
*) want="# trend line drawn: grey (n/a, too noisy)" ;;
esac
assert_contains c/plot-throughput.dat "$want" "the rps trend line follows its verdict ($ok)"
assert_contains c/plot-throughput.dat "rps_trend > -1%: " "throughput's title gives the verdict"
assert_contains c/plot-latency.dat "# points drawn: yes" "few requests a window: points"

run_qvrrun c.lua --out d -e DUR=1s -e USERS=1 -e WAIT=5
assert_eq "$(json_get d/summary.json 'd["totals"]["requests"]')" 1 "one request"
assert_contains d/plot-latency.dat "# points drawn: yes" "one request: drawn as a point"
if command -v gnuplot >/dev/null; then
    [[ -s d/latency.png ]] && pass "latency.png drawn for one request" ||
        fail "no latency.png for one request"
fi
finish
