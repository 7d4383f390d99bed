#!/usr/bin/env bash
# The live line tells the truth since the last line (issue 19):
#  1. the mock stalls 1 s in every 3 s; lines come every 5 s (not a
#     terminal). The window just before the first line is clean (~5 ms), so
#     a line showing only the newest window would hide the stall; the line
#     sums the windows since the last line and its peak P99 shows it.
#  2. windows without a request: timeseries.csv has empty latency cells
#     (never 0), and `qvrrun report` reads them back (NaN in the chart
#     data, not a latency of zero).
source "$(dirname "$0")/lib.sh"
qvr_tmpdir
cd "$QVR_TMP" || fail "cannot cd to $QVR_TMP"
export QVR_TIMEOUT=60
cat >stall.lua <<'EOF'
return scenario {
  name = "stall",
  target = "mock",
  mock = { service = "5ms", slots = 16, stall = "1s/3s" },
  load = users { count = 4, duration = "6s" },
  wait = constant(0.02),
  tasks = { t = function()
    http.post("/api/rerank", { json = { query = "q", documents = { "a" } },
                               name = "rerank" })
  end },
}
EOF
run_qvrrun stall.lua --no-plots --out st
assert_eq "$RC" 0 "the stalled run exits 0"
line=$(grep -m1 '^\[' "$QVR_STDERR")
[[ -n "$line" ]] || fail "no progress line"
res=$(python3 - "$line" st/timeseries.csv <<'EOF'
import csv, re, sys
line = sys.argv[1]
m = re.search(r"^\[ *([0-9.]+)s/6s\] users 4 \| ([0-9.]+) req/s \| p50 ([0-9.]+)(ms|s) "
              r"p99 ([0-9.]+)(ms|s) peak ([0-9.]+)(ms|s) \| requests (\d+) \| errors 0 \(0.0%\)$", line)
assert m, line
ms = lambda v, u: float(v) * (1000 if u == "s" else 1)
t, peak = float(m.group(1)), ms(m.group(7), m.group(8))
rows = list(csv.DictReader(open(sys.argv[2])))
before = [r for r in rows if float(r["time_s"]) <= t + 0.01]
# the newest window before the line is clean, a stalled one came earlier
# (a window without an answer has empty latency cells)
p99 = lambda r: float(r["p99_ms"] or 0)
assert int(before[-1]["requests"]) > 0 and p99(before[-1]) < 100, before[-1]
worst = max(p99(r) for r in before)
assert worst > 900, before
# the peak is the worst window's P99, the rate the interval's
assert abs(peak - worst) <= 0.02 * worst, (peak, worst)
n = sum(int(r["requests"]) for r in before)
assert int(m.group(9)) == n, (m.group(9), n)
assert abs(float(m.group(2)) - n / float(before[-1]["time_s"])) < 2, (m.group(2), n)
print("ok %.0f %.1f" % (peak, p99(before[-1])))
EOF
) || fail "first progress line: $res"
assert_eq "${res%% *}" ok "the line at 5 s shows the stall's peak P99 while its newest window was clean ($res)"

cat >sparse.lua <<'EOF'
return scenario {
  name = "sparse",
  target = "mock",
  load = users { count = 1, duration = "4s" },
  wait = constant(2.5),
  tasks = { t = function() http.get("/health") end },
}
EOF
run_qvrrun sparse.lua --no-plots --out sp
assert_eq "$RC" 0 "the sparse run exits 0"
res=$(python3 - sp/timeseries.csv <<'EOF'
import sys
lines = open(sys.argv[1]).read().splitlines()
empty = [l for l in lines[1:] if l.split(",")[3] == "0"]
assert empty, lines
assert all(l.split(",")[5:10] == ["0.000", "", "", "", ""] for l in empty), empty
full = [l for l in lines[1:] if l.split(",")[3] != "0"]
assert full and all(float(l.split(",")[8]) > 0 for l in full), full
print("ok %d" % len(empty))
EOF
) || fail "timeseries.csv: $res"
assert_eq "${res%% *}" ok "windows without requests have empty latency cells ($res)"
run_qvrrun report sp
assert_eq "$RC" 0 "qvrrun report reads the empty cells"
if [[ -f sp/plot-latency.dat ]]; then # drawn when gnuplot is there
    assert_eq "$(grep -c '^[0-9.]* NaN NaN NaN NaN ' sp/plot-latency.dat)" \
        "${res#ok }" "the chart data has NaN, not 0, for those windows"
fi
finish
