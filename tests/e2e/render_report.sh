#!/usr/bin/env bash
# What a run leaves for people, from the real binary against nginx: the
# charts (valid 1200x600 PNGs, their data files holding the run's windows),
# Locust's CSV files (headers byte for byte, numbers equal to summary.json),
# a JUnit report that parses, and `qvrrun report` reproducing summary.json's
# percentiles exactly from latency.hlog on a copied result directory.
source "$(dirname "$0")/lib.sh"
qvr_tmpdir
start_nginx
SC=$QVR_SRC_DIR/tests/e2e/scenarios/mix.lua
R=$QVR_TMP/r1

run_qvrrun "$SC" --out "$R" --quiet -e QVR_TARGET="$NGINX_URL" -e USERS=4 \
    -e DURATION=3s -e OTHER_PATH=/fail -e ERR_TH="< 1%" \
    --csv "$QVR_TMP/loc" --junit "$QVR_TMP/junit.xml"
assert_eq "$RC" 99 "error_rate < 1% fails against /fail: exit 99"
S=$R/summary.json

# 1. Charts and the data behind them.
python3 - "$R" <<'PY' || fail "charts"
import struct, sys
d = sys.argv[1]
for name in ("latency.png", "throughput.png", "distribution.png"):
    with open(f"{d}/{name}", "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{name}: not a PNG"
    assert head[12:16] == b"IHDR", f"{name}: no IHDR"
    w, h = struct.unpack(">II", head[16:24])
    assert (w, h) == (1200, 600), f"{name}: {w}x{h}"
PY
pass "latency, throughput and distribution PNGs are 1200x600"
rows=$(($(wc -l < "$R/timeseries.csv") - 1))
assert_ge "$rows" 3 "timeseries.csv has the windows"
dat=$(grep -cv '^#' "$R/plot-latency.dat")
assert_eq "$dat" "$rows" "plot-latency.dat: one row per window"
python3 - "$R" <<'PY' || fail "plot data"
import csv, sys
d = sys.argv[1]
ts = list(csv.DictReader(open(f"{d}/timeseries.csv")))
lat = [l.split() for l in open(f"{d}/plot-latency.dat") if not l.startswith("#")]
thr = [l.split() for l in open(f"{d}/plot-throughput.dat") if not l.startswith("#")]
assert len(lat) == len(ts) == len(thr)
for t, l, h in zip(ts, lat, thr):
    assert abs(float(l[0]) - float(t["time_s"])) < 1e-9, (l, t)
    if int(t["requests"]):
        assert abs(float(l[3]) - float(t["p99_ms"])) < 1e-9, (l, t)
    assert abs(float(h[1]) - float(t["rps"])) < 1e-3, (h, t)
    assert int(float(h[3])) == int(t["users"]), (h, t)
PY
pass "plot data files hold the windows of timeseries.csv"
[[ ! -e "$R/steps.png" ]] || fail "steps.png without steps.csv"
pass "no steps chart for a users{} load"

# 2. Locust CSV: headers byte for byte, numbers from summary.json.
hdr() { head -n 1 "$QVR_TMP/loc_$1.csv"; }
assert_eq "$(hdr stats)" "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%" "stats header"
assert_eq "$(hdr stats_history)" "Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%,Total Request Count,Total Failure Count,Total Median Response Time,Total Average Response Time,Total Min Response Time,Total Max Response Time,Total Average Content Size" "stats_history header"
assert_eq "$(hdr failures)" "Method,Name,Error,Occurrences,First Seen,Last Seen" "failures header"
assert_eq "$(hdr exceptions)" "Count,Message,Traceback,Nodes" "exceptions header"
python3 - "$S" "$QVR_TMP/loc" "$R" <<'PY' || fail "CSV numbers"
import csv, json, sys
s = json.load(open(sys.argv[1])); p = sys.argv[2]; d = sys.argv[3]
def sig3(v):
    return float(f"{v:.2e}")
rows = {r["Name"]: r for r in csv.DictReader(open(p + "_stats.csv"))}
assert list(rows)[-1] == "Aggregated"
for name, st in list(s["names"].items()) + [("Aggregated", s["totals"])]:
    r = rows[name]
    assert int(r["Request Count"]) == st["requests"], name
    assert int(r["Failure Count"]) == st["failures"], name
    lat = st["latency_ms"]
    for col, key in (("50%", "p50"), ("90%", "p90"), ("99%", "p99"),
                     ("100%", "max"), ("Median Response Time", "p50"),
                     ("Min Response Time", "min")):
        assert float(r[col]) == sig3(lat[key]), (name, col, r[col], lat[key])
    if name != "Aggregated":
        assert r["Type"] == st["method"] == "POST", name
hist = list(csv.DictReader(open(p + "_stats_history.csv")))
ts = list(csv.DictReader(open(f"{d}/timeseries.csv")))
assert len(hist) == len(ts)
assert int(hist[-1]["Total Request Count"]) == s["totals"]["requests"]
assert int(hist[-1]["Total Failure Count"]) == s["totals"]["failures"]
for h, t in zip(hist, ts):
    if int(t["requests"]):
        assert float(h["50%"]) == sig3(float(t["p50_ms"])), (h, t)
        assert float(h["99%"]) == sig3(float(t["p99_ms"])), (h, t)
# The last history row counts the whole run: its Total figures are the
# Aggregated row's (the exact minimum, not its histogram bucket's edge).
agg, last = rows["Aggregated"], hist[-1]
for hcol, scol in (("Total Request Count", "Request Count"),
                   ("Total Failure Count", "Failure Count"),
                   ("Total Median Response Time", "Median Response Time"),
                   ("Total Average Response Time", "Average Response Time"),
                   ("Total Min Response Time", "Min Response Time"),
                   ("Total Max Response Time", "Max Response Time")):
    assert last[hcol] == agg[scol], (hcol, last[hcol], scol, agg[scol])
fails = list(csv.DictReader(open(p + "_failures.csv")))
assert sum(int(f["Occurrences"]) for f in fails) == s["totals"]["failures"]
assert all(f["Error"] == "HTTP 500" and f["Name"] == "rerank_other"
           for f in fails), fails
PY
pass "Locust CSV numbers agree with summary.json and timeseries.csv"

# 3. JUnit: parses, one testcase per threshold, the failed one marked.
python3 - "$QVR_TMP/junit.xml" "$S" <<'PY' || fail "JUnit"
import json, sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
s = json.load(open(sys.argv[2]))
assert root.tag == "testsuite" and root.get("name") == "qvrrun thresholds"
cases = root.findall("testcase")
assert len(cases) == len(s["thresholds"]) == int(root.get("tests"))
for c, t in zip(cases, s["thresholds"]):
    assert c.get("classname") == s["scenario"] and c.get("name") == t["expr"]
    f = c.find("failure")
    assert (f is None) == t["ok"], t
    if f is not None:
        assert f.get("message") == "measured " + t["measured"], f.get("message")
assert int(root.get("failures")) == sum(not t["ok"] for t in s["thresholds"])
PY
pass "JUnit report parses and mirrors the thresholds"

# 4. `qvrrun report` on a copy without percentiles reproduces them exactly.
cp -r "$R" "$QVR_TMP/r2"
rm -f "$QVR_TMP"/r2/*.png "$QVR_TMP"/r2/plot-*.dat
python3 - "$QVR_TMP/r2/summary.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
for st in [s["totals"]] + list(s["names"].values()):
    for k in ("p50", "p90", "p95", "p99", "p99.9", "max"):
        del st["latency_ms"][k]
json.dump(s, open(sys.argv[1], "w"), indent=1)
PY
run_qvrrun report "$QVR_TMP/r2" --csv "$QVR_TMP/r2/again" --junit "$QVR_TMP/r2/j.xml"
assert_eq "$RC" 0 "qvrrun report exits 0"
same=$(python3 - "$S" "$QVR_TMP/r2/summary.json" <<'PY'
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
pairs = [(a["totals"], b["totals"])] + [(a["names"][n], b["names"][n]) for n in a["names"]]
print(all(x["latency_ms"] == y["latency_ms"] for x, y in pairs) and
      a["thresholds"] == b["thresholds"] and a["config"] == b["config"])
PY
)
assert_eq "$same" True "recomputed percentiles equal the run's, other keys kept"
cmp -s "$QVR_TMP/loc_stats.csv" "$QVR_TMP/r2/again_stats.csv" ||
    fail "report's _stats.csv differs from the run's"
pass "report's _stats.csv is the run's, byte for byte"
[[ -s "$QVR_TMP/r2/latency.png" && -s "$QVR_TMP/r2/distribution.png" ]] ||
    fail "report did not redraw the charts"
pass "report redraws the charts"

# 4b. Where the last history row's Total figures come from: summary.json,
# like _stats.csv, not the merged histogram. A minimum and maximum that no
# bucket edge rounds to (a tenth below and above the run's) must show.
cp -r "$R" "$QVR_TMP/r3"
python3 - "$QVR_TMP/r3/summary.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
lat = s["totals"]["latency_ms"]
lat["min"] = round(lat["min"] * 0.9, 3)
lat["max"] = round(lat["max"] * 1.1, 3)
json.dump(s, open(sys.argv[1], "w"), indent=1)
PY
run_qvrrun report "$QVR_TMP/r3" --no-plots --csv "$QVR_TMP/r3/loc"
assert_eq "$RC" 0 "qvrrun report on the altered copy exits 0"
python3 - "$QVR_TMP/r3/summary.json" "$QVR_TMP/r3/loc" <<'PY' ||
import csv, json, sys
s = json.load(open(sys.argv[1])); p = sys.argv[2]
lat = s["totals"]["latency_ms"]
agg = [r for r in csv.DictReader(open(p + "_stats.csv"))
       if r["Name"] == "Aggregated"][0]
last = list(csv.DictReader(open(p + "_stats_history.csv")))[-1]
for hcol, scol, key in (("Total Min Response Time", "Min Response Time", "min"),
                        ("Total Max Response Time", "Max Response Time", "max")):
    assert float(agg[scol]) == float(f"{lat[key]:.2e}"), (scol, agg[scol], lat)
    assert last[hcol] == agg[scol], (hcol, last[hcol], agg[scol])
PY
    fail "last history row's Total Min/Max are not summary.json's"
pass "last history row's Total Min/Max are summary.json's, as in _stats.csv"

# 5. Errors: a missing dir is a usage error, a corrupt log a file error.
run_qvrrun report "$QVR_TMP/nope"
assert_eq "$RC" 2 "missing result dir: exit 2"
assert_contains "$QVR_STDERR" "$QVR_TMP/nope"
run_qvrrun report "$QVR_TMP/r2" --bogus
assert_eq "$RC" 2 "unknown flag: exit 2"
assert_contains "$QVR_STDERR" "--bogus"
echo "12.000,1.000,3.000,not-a-histogram" >> "$QVR_TMP/r2/latency.hlog"
run_qvrrun report "$QVR_TMP/r2" --no-plots
assert_eq "$RC" 3 "corrupt latency.hlog: exit 3"
assert_contains "$QVR_STDERR" "latency.hlog line"

# 6. Without gnuplot the data is still written and one note says so.
rm -f "$QVR_TMP"/r1/*.png "$QVR_TMP"/r1/plot-*.dat
QVR_GNUPLOT=/nonexistent/gnuplot run_qvrrun report "$R"
assert_eq "$RC" 0 "report without gnuplot exits 0"
assert_eq "$(grep -c 'charts skipped: gnuplot not found' "$QVR_STDERR")" 1 "one note"
[[ -s "$R/plot-latency.dat" && ! -e "$R/latency.png" ]] || fail "data without charts"
pass "plot data written, no charts"
finish
