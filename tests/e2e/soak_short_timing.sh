#!/usr/bin/env bash
# Trend thresholds on short runs, against the built-in mock.
# (a) scenarios/soak.lua for 8 s: spawn_rate 1 brings the 6th user at 5 s,
#     so there are at most 3 steady windows, too few to fit a trend through
#     (8 s, not 5: in 5 s the multimodal task, weight 1 of 4, sometimes
#     never ran, and its p99{task=multimodal} threshold then failed with
#     no data, about one run in twenty). The three trend
#     thresholds are "n/a" (table, summary.json "ok": null with the reason,
#     JUnit <skipped>), one warning on stderr says so, and the run exits 0
#     because every other threshold holds.
# (b) tests/e2e/scenarios/drift.lua for 10 s with the mock leaking
#     120%/min: rps_trend > -5% fails (exit 99) and a drift finding carries
#     the fitted numbers, which agree with the threshold's measured value.
# (c) the same as one segment, merged: qvrrun merge judges and words it
#     the same way.
source "$(dirname "$0")/lib.sh"
qvr_tmpdir

# ---- (a) too short to fit a trend -------------------------------------
# 12 users all started in the first second, for 4 s: 3 steady windows (a
# trend needs 5), and ~30 iterations, so the multimodal task (1 in 4) runs
# but for a 1-in-5000 chance (6 users spawned one a second for 8 s made ~15
# iterations: a CI clone saw no multimodal request, and its threshold fail
# for want of data).
QVR_TIMEOUT=60 run_qvrrun "$QVR_SRC_DIR/scenarios/soak.lua" --duration 4s \
    --users 12 --spawn-rate 12 --out "$QVR_TMP/a" --junit "$QVR_TMP/a.xml"
assert_eq "$RC" 0 "soak for 4 s: exit 0, the trends are not evaluated"
S=$QVR_TMP/a/summary.json
python3 - "$S" "$QVR_TMP/a.xml" <<'PY' || fail "(a) summary.json / JUnit"
import json, re, sys, xml.etree.ElementTree as ET
s = json.load(open(sys.argv[1]))
assert s["exit_code"] == 0, s["exit_code"]
trends = [t for t in s["thresholds"] if "_trend" in t["expr"]]
assert sorted(t["expr"].split()[0] for t in trends) == \
    ["error_rate_trend", "p99_trend", "rps_trend"], trends
for t in trends:
    assert t["ok"] is None and t["value"] is None, t
    assert t["measured"] == "n/a", t
    m = re.fullmatch(r"(\d+) steady windows?, a trend needs 5", t["skipped"])
    assert m and int(m.group(1)) < 5, t
for t in s["thresholds"]:
    if "_trend" not in t["expr"]:
        assert t["ok"] is True and "skipped" not in t, t
assert not any("fell" in f or "rose" in f for f in s["findings"]), s["findings"]
root = ET.parse(sys.argv[2]).getroot()
assert root.get("skipped") == "3" and root.get("failures") == "0", root.attrib
for c in root.findall("testcase"):
    sk = c.find("skipped")
    assert (sk is not None) == ("_trend" in c.get("name")), c.get("name")
    assert c.find("failure") is None
    if sk is not None:
        assert sk.get("message").startswith("not evaluated: "), sk.attrib
PY
pass "(a) summary.json: the trends have \"ok\": null and the reason; JUnit skips them"
for e in 'rps_trend > -10%' 'p99_trend < +25%' 'error_rate_trend < +2pp'; do
    grep -qE "^    n/a  $(printf '%s' "$e" | sed 's/[][+.*^$]/\\&/g') +not evaluated: [0-4] steady windows?, a trend needs 5$" \
        "$QVR_STDOUT" || fail "(a) the table does not mark '$e' n/a"
done
pass "(a) the table marks the three trends n/a with the reason"
assert_eq "$(grep -c 'warning: 3 trend thresholds not evaluated' "$QVR_STDERR")" 1 \
    "(a) one warning line on stderr"
assert_eq "$(grep -c 'warning' "$QVR_STDERR")" 1 "(a) and no other warning"

# ---- (b) a strong leak over 10 s --------------------------------------
# check_drift SUMMARY: every failed trend threshold has exactly one finding
# "..., failing EXPR" whose change is the measured value as printed, whose
# line ends give that change, fitted through the full windows of the run.
check_drift()
{
    python3 - "$1" "$(dirname "$1")/timeseries.csv" <<'PY'
import csv, json, re, sys
s = json.load(open(sys.argv[1]))
rows = list(csv.DictReader(open(sys.argv[2])))
full, prev = 0, 0.0
for r in rows:
    t = float(r["time_s"])
    full += t - prev >= 0.9
    prev = t
failed = [t for t in s["thresholds"]
          if "_trend" in t["expr"] and t["ok"] is False]
assert any(t["expr"] == "rps_trend > -5%" for t in failed), s["thresholds"]
what = {"rps_trend": ("throughput", "req/s"), "p99_trend": ("P99", "ms")}
for t in failed:
    name = t["expr"].split()[0]
    fs = [f for f in s["findings"] if f.endswith(", failing " + t["expr"])]
    assert len(fs) == 1, (t, s["findings"])
    w, unit = what[name]
    m = re.fullmatch(re.escape(w) + r" (fell|rose) ([0-9.]+)% over ([0-9.]+)s "
                     r"\(([0-9.]+) -> ([0-9.]+) " + re.escape(unit) +
                     r" on the trend line through (\d+) windows\), failing .*",
                     fs[0])
    assert m, fs[0]
    sign = -1 if m.group(1) == "fell" else 1
    pct = sign * float(m.group(2))
    # the same number as the threshold's measured value ...
    assert t["measured"] == "%+.1f%%" % pct, (t["measured"], fs[0])
    assert abs(pct / 100 - t["value"]) <= 0.00051, (pct, t["value"])
    # ... from the line's ends (rounded to 3 digits) ...
    a, b = float(m.group(4)), float(m.group(5))
    assert abs((b - a) / a - t["value"]) < 0.01, (a, b, t["value"])
    # ... through the run's full windows (steady from the start)
    n, span = int(m.group(6)), float(m.group(3))
    assert n == full and n >= 8, (n, full)
    assert abs(span - n) <= 0.2, (span, n)
    print("%s: %s" % (t["expr"], fs[0]))
PY
}
QVR_TIMEOUT=60 run_qvrrun "$QVR_SRC_DIR/tests/e2e/scenarios/drift.lua" \
    --out "$QVR_TMP/b" --quiet -e LEAK=120%/min -e DURATION=10s
assert_eq "$RC" 99 "(b) leaking 120%/min for 10 s: the trend gate fails"
v=$(json_get "$QVR_TMP/b/summary.json" '[t["value"] for t in d["thresholds"] if t["expr"] == "rps_trend > -5%"][0]')
assert_le "$v" -0.08 "(b) rps trend well below -5% ($v)"
check_drift "$QVR_TMP/b/summary.json" >"$QVR_TMP/b.check" ||
    fail "(b) no drift finding matching the failed trend threshold"
pass "(b) drift finding: $(head -1 "$QVR_TMP/b.check")"
assert_contains "$QVR_STDOUT" "failing rps_trend > -5%"
if grep -q 'not evaluated' "$QVR_STDERR"; then
    fail "(b) 10 windows: the trends are evaluated"
fi
pass "(b) 10 windows are enough: no trend is skipped"

# ---- (c) the same, as a segment, merged -------------------------------
QVR_TIMEOUT=60 run_qvrrun "$QVR_SRC_DIR/tests/e2e/scenarios/drift.lua" \
    --out "$QVR_TMP/c1" --quiet --segment 1/1 -e LEAK=120%/min -e DURATION=10s
assert_eq "$RC" 99 "(c) the segment fails its trend gate"
QVR_TIMEOUT=60 run_qvrrun merge -o "$QVR_TMP/c" "$QVR_TMP/c1" --no-plots
assert_eq "$RC" 99 "(c) merged: the trend gate fails"
check_drift "$QVR_TMP/c/summary.json" >"$QVR_TMP/c.check" ||
    fail "(c) merged: no drift finding matching the failed trend threshold"
pass "(c) merged drift finding: $(head -1 "$QVR_TMP/c.check")"
finish
