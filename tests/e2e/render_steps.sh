#!/usr/bin/env bash
# The step chart: a steps{} load against the built-in mock (one slot,
# 100 ms service) saturates at once, so its knee is early; steps.png is a
# 1200x600 PNG and plot-steps.dat holds one row per step of steps.csv, the
# knee flagged on the step whose note says so.
source "$(dirname "$0")/lib.sh"
qvr_tmpdir
R=$QVR_TMP/s
run_qvrrun "$QVR_SRC_DIR/tests/e2e/scenarios/shapes.lua" --out "$R" --quiet \
    -e SHAPE=steps -e HOLD=1s
assert_eq "$RC" 0 "steps run exits 0"
[[ -s "$R/steps.csv" ]] || fail "no steps.csv"
pass "steps.csv written"
run_qvrrun report "$R"
assert_eq "$RC" 0 "qvrrun report exits 0"
python3 - "$R" <<'PY' || fail "steps chart"
import csv, struct, sys
d = sys.argv[1]
with open(f"{d}/steps.png", "rb") as f:
    head = f.read(24)
assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR"
assert struct.unpack(">II", head[16:24]) == (1200, 600)
steps = list(csv.DictReader(open(f"{d}/steps.csv")))
dat = [l.split() for l in open(f"{d}/plot-steps.dat") if not l.startswith("#")]
assert len(dat) == len(steps) == 4, (len(dat), len(steps))
for s, r in zip(steps, dat):
    assert float(r[0]) == float(s["users"]), (r, s)
    assert abs(float(r[1]) - float(s["rps"])) < 1e-3, (r, s)
    assert abs(float(r[2]) - float(s["p99_ms"])) < 1e-3, (r, s)
    assert (r[4] == "1") == ("knee" in s["note"]), (r, s)
assert sum(r[4] == "1" for r in dat) == 1, dat
PY
pass "steps.png is 1200x600; plot-steps.dat holds the steps and the knee"
# The holds the time charts shade: each step's start_s, one hold and its
# settle after the one before, inside the run.
res=$(python3 - "$R/summary.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
st = d["steps"]
gaps = [b["start_s"] - (a["start_s"] + a["duration_s"]) for a, b in zip(st, st[1:])]
assert st[0]["start_s"] >= 0 and all(g >= 0 for g in gaps), (st, gaps)
assert max(gaps) - min(gaps) < 0.1, gaps  # the same settle between holds
assert st[-1]["start_s"] + st[-1]["duration_s"] <= d["duration_s"] + 0.1
print("ok %.2f" % gaps[0])
PY
)
assert_eq "${res%% *}" ok "summary.json steps carry their hold's start_s ($res)"
# distribution.png of a step load: the total, then one curve per step
assert_eq "$(grep '^"' "$R/plot-distribution.dat" | tr '\n' '|')" \
    '"all requests (total)"|"step 1: 1 user"|"step 2: 2 users"|"step 3: 4 users"|"step 4: 8 users"|' \
    "plot-distribution.dat: one block per step after the total"
finish
