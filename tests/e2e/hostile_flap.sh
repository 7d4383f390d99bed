#!/usr/bin/env bash
# A target that disappears mid-run and comes back on the same port: while
# it is away requests fail (refused; a request cut by the close is a
# reset), every answer it gave is a success, and once it is back the run
# recovers by itself: the last windows are clean.
source "$(dirname "$0")/hostile_lib.sh"
qvr_tmpdir
SC=$QVR_TMP/hostile.lua
write_hostile_scenario "$SC"

# Up 0 - 1.5 s, away 1.5 - 3.5 s, up again until the end of the 6 s run.
start_hostile flap --up 1500ms --down 2s
run_timed "$SC" --quiet --no-plots --out "$QVR_TMP/f" \
    -e QVR_TARGET="$HOSTILE_URL" -e DUR=6s -e USERS=2 -e WAIT=0.05 \
    -e TIMEOUT=1s
assert_eq "$RC" 0 "flap: exit 0"
assert_le "$ELAPSED" 10 "flap: no hang"
S=$QVR_TMP/f/summary.json
assert_eq "$(tr '\n' ' ' <"$HOSTILE_LOG" | grep -o 'down up' || true)" \
    "down up" "the server went away once and came back"
before=$(sed '/^down$/,$d' "$HOSTILE_LOG" | grep -cx 200)
after=$(sed '1,/^up$/d' "$HOSTILE_LOG" | grep -cx 200)
assert_ge "$before" 10 "answers before it went away"
assert_ge "$after" 10 "answers after it came back"
assert_eq "$(json_get "$S" 'd["totals"]["status"]["200"]')" "$((before + after))" \
    "every answer counted as a 200"
assert_eq "$(json_get "$S" 'sum(c["passed"] for c in d["checks"] if c["name"] == "three scores")')" \
    "$((before + after))" "and every one good"
refused=$(kind "$S" refused)
assert_ge "$refused" 10 "refused while it was away (2 users, 2 s, 50 ms wait)"
assert_eq "$(json_get "$S" 'sorted(set(d["totals"]["failures_by_kind"]) - {"reset"})')" \
    '["refused"]' "only refused (and resets at the close)"
assert_eq "$(json_get "$S" 'd["totals"]["failures"]')" \
    "$((refused + $(kind "$S" reset)))" "failures are the refused and reset ones"
# Windows (1 s): failures while away, none after it came back.
python3 - "$QVR_TMP/f/timeseries.csv" >"$QVR_TMP/windows.txt" <<'EOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
away = sum(int(r["failures"]) for r in rows if 2.0 <= float(r["time_s"]) <= 3.5)
# The last two whole windows: the run may end with a short tail window
# (the requests in flight when the load stopped).
ends = [float(r["time_s"]) for r in rows]
whole = [r for i, r in enumerate(rows) if ends[i] - (ends[i - 1] if i else 0) >= 0.5]
late = whole[-2:]
print(away, sum(int(r["failures"]) for r in late),
      min(int(r["requests"]) for r in late))
EOF
read -r away late_fail late_req <"$QVR_TMP/windows.txt"
assert_ge "$away" 5 "the windows while away have failures"
assert_eq "$late_fail" 0 "the last two windows have none"
assert_ge "$late_req" 10 "and carry traffic: the run recovered"
finish
