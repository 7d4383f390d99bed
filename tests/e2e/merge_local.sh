#!/usr/bin/env bash
# examples/distributed/local.sh end to end: one run of 8 users split into 4
# qvrrun processes (--segment K/4, one --start-at) against nginx, merged.
# The merged request count is the four segments' added and nginx's access
# log line count; the merged percentiles lie within the segments' (a merge
# of quantiles can never leave their range); the windows are aligned (all 8
# users run in one window); the merged log and timeseries agree; and
# an unsegmented run of the same plan agrees on throughput; and segments
# that do not belong together are refused (exit 2 naming the directory), a
# corrupt one is a file error (exit 3 naming the file).
source "$(dirname "$0")/lib.sh"
qvr_tmpdir
SC=$QVR_SRC_DIR/tests/e2e/scenarios/get.lua
LOCAL=$QVR_SRC_DIR/examples/distributed/local.sh

"$QVRRUN" --help | grep -q -- '--segment' ||
    fail "qvrrun --help lists no --segment"
start_nginx

OUT=$QVR_TMP/run
rc=0
QVRRUN=$QVRRUN timeout -k 5 120 "$LOCAL" -n 4 -o "$OUT" --start-in 2 "$SC" \
    -e QVR_TARGET="$NGINX_URL" -e PATH_=/api/rerank -e USERS=8 \
    -e DURATION=3s -e WAIT=0.01 >"$QVR_TMP/local.out" 2>&1 || rc=$?
# shellcheck disable=SC2034 # (read by fail in lib.sh)
QVR_LAST_STDERR=$QVR_TMP/local.out
assert_eq "$rc" 0 "local.sh: 4 segments run and merged, exit 0"
M=$OUT/merged/summary.json
[[ -f "$M" ]] || fail "no $M"
assert_contains "$QVR_TMP/local.out" "merged 4 segments of get"

segsum=0
for k in 1 2 3 4; do
    S=$OUT/seg-$k/summary.json
    assert_eq "$(json_get "$S" 'd["segment"]')" \
        "{\"index\": $k, \"count\": 4}" "segment $k/4 in its summary"
    assert_eq "$(json_get "$S" 'd["config"]["load"]["count"]')" 8 \
        "segment $k keeps the whole load in its config"
    n=$(json_get "$S" 'd["totals"]["requests"]')
    assert_ge "$n" 50 "segment $k sent requests ($n)"
    segsum=$((segsum + n))
done
merged=$(json_get "$M" 'd["totals"]["requests"]')
assert_eq "$merged" "$segsum" "merged count = the 4 segments added ($segsum)"
assert_eq "$(nginx_count)" "$merged" "merged count = nginx access log lines"
assert_eq "$(json_get "$M" 'd["totals"]["failures"]')" 0 "no failures"
assert_eq "$(json_get "$M" 'len(d["segments"])')" 4 "4 segments listed"
assert_eq "$(json_get "$M" '"segment" in d')" false "the merged run is whole"
assert_eq "$(json_get "$M" 'd["exit_code"]')" 0 "exit_code 0 in the summary"
# The segments' default task_errors == 0 is judged on the merged counts,
# and the merge ends with the run's verdict line.
run_qvrrun merge -o "$QVR_TMP/mv" "$OUT"/seg-{1,2,3,4} --no-plots
assert_eq "$RC" 0 "merging again: exit 0"
assert_eq "$(json_get "$QVR_TMP/mv/summary.json" '[(t["expr"], t["ok"], t["value"]) for t in d["thresholds"] if t["expr"].startswith("task_errors")]')" \
    '[["task_errors == 0", true, 0]]' "task_errors == 0 judged on the merge"
nth=$(json_get "$QVR_TMP/mv/summary.json" 'len(d["thresholds"])')
assert_eq "$(tail -n 1 "$QVR_STDERR")" "qvrrun: all $nth threshold$( ((nth > 1)) && echo s) passed, exit 0" \
    "the merge's verdict line"

# A quantile of the merged distribution lies between the segments' own.
seg_pct()
{
    python3 - "$OUT" "$1" "$2" <<'EOF'
import json, sys
v = [json.load(open("%s/seg-%d/summary.json" % (sys.argv[1], k)))
     ["totals"]["latency_ms"][sys.argv[2]] for k in range(1, 5)]
print(min(v) if sys.argv[3] == "min" else max(v))
EOF
}
for p in p50 p99; do
    lo=$(seg_pct "$p" min)
    hi=$(seg_pct "$p" max)
    v=$(json_get "$M" "d['totals']['latency_ms']['$p']")
    assert_ge "$v" "$lo" "merged $p $v >= the lowest segment's $lo"
    assert_le "$v" "$hi" "merged $p $v <= the highest segment's $hi"
done

# Windows aligned by wall clock: at some window all 8 users ran.
TS=$OUT/merged/timeseries.csv
maxu=$(awk -F, 'NR > 1 && $3 > m { m = $3 } END { print m + 0 }' "$TS")
assert_eq "$maxu" 8 "one merged window holds all 8 users"
assert_eq "$(json_get "$M" 'd["max_users"]')" 8 "max_users 8"
tsum=$(awk -F, 'NR > 1 { s += $4 } END { print s + 0 }' "$TS")
assert_eq "$tsum" "$merged" "timeseries.csv requests add up to the total"
rows=$(awk 'NR > 1 && NF' "$TS" | wc -l)
lines=$(grep -cv -e '^#' -e '^"' -e '^Tag=' "$OUT/merged/latency.hlog")
assert_eq "$lines" "$rows" "latency.hlog: one untagged line per window"
assert_le "$rows" 6 "3 s of load in at most 6 windows of 1 s ($rows)"
# Per name and window, merged from the segments' timeseries_by_name.csv
# (counts) and the merged log's tagged lines (percentiles).
check_byname "$OUT/merged"
pass "merged timeseries_by_name.csv adds up to the merged summary and timeseries"
# The merged log holds the same requests as the merged summary: `qvrrun
# report` recomputes every percentile from it and finds the same ones.
cp -r "$OUT/merged" "$QVR_TMP/again"
run_qvrrun report "$QVR_TMP/again" --no-plots --quiet
assert_eq "$RC" 0 "qvrrun report on the merged directory"
LAT='d["totals"]["latency_ms"]'
assert_eq "$(json_get "$QVR_TMP/again/summary.json" "$LAT")" \
    "$(json_get "$M" "$LAT")" \
    "percentiles recomputed from the merged latency.hlog are the same"
[[ -f "$OUT/merged/latency.png" ]] || fail "no latency.png"
pass "charts rendered"

# The same plan unsegmented, one process: the same offered load (8 users
# with 10 ms think time), so throughput agrees within run-to-run noise.
run_qvrrun "$SC" --out "$QVR_TMP/single" --quiet --no-plots \
    -e QVR_TARGET="$NGINX_URL" -e PATH_=/api/rerank -e USERS=8 \
    -e DURATION=3s -e WAIT=0.01
assert_eq "$RC" 0 "unsegmented run"
one=$(json_get "$QVR_TMP/single/summary.json" 'd["totals"]["rps"]')
all=$(json_get "$M" 'd["totals"]["rps"]')
assert_near "$all" "$one" "$(awk -v a="$one" 'BEGIN { print a * 0.15 }')" \
    "merged rps $all within 15% of the unsegmented run's $one"

# Segments that do not belong together: exit 2, the directory named.
run_qvrrun merge -o "$QVR_TMP/m3" "$OUT/seg-1" "$OUT/seg-2" "$OUT/seg-3"
assert_eq "$RC" 2 "3 of 4 segments: exit 2"
assert_contains "$QVR_STDERR" "missing 4/4"
run_qvrrun merge -o "$QVR_TMP/m4" "$OUT/seg-1" "$OUT/seg-2" "$OUT/seg-3" \
    "$OUT/seg-3"
assert_eq "$RC" 2 "a segment given twice: exit 2"
assert_contains "$QVR_STDERR" "given twice"
cp -r "$OUT/seg-4" "$QVR_TMP/other"
python3 - "$QVR_TMP/other/summary.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
d["scenario"] = "another"
json.dump(d, open(sys.argv[1], "w"))
EOF
run_qvrrun merge -o "$QVR_TMP/m5" "$OUT/seg-1" "$OUT/seg-2" "$OUT/seg-3" \
    "$QVR_TMP/other"
assert_eq "$RC" 2 "another scenario: exit 2"
assert_contains "$QVR_STDERR" "$QVR_TMP/other"
run_qvrrun merge -o "$OUT/merged" "$OUT/seg-1" "$OUT/seg-2" "$OUT/seg-3" \
    "$OUT/seg-4"
assert_eq "$RC" 2 "into a directory that is not empty: exit 2"
assert_contains "$QVR_STDERR" "not empty"
head -c 100 "$OUT/seg-4/summary.json" >"$QVR_TMP/other/summary.json"
run_qvrrun merge -o "$QVR_TMP/m6" "$OUT/seg-1" "$OUT/seg-2" "$OUT/seg-3" \
    "$QVR_TMP/other"
assert_eq "$RC" 3 "a corrupt summary.json: exit 3"
assert_contains "$QVR_STDERR" "$QVR_TMP/other/summary.json"
finish
