#!/usr/bin/env bash
# Token figures through `qvrrun merge`: two --segment parts streaming from
# one fixture merge into the tokens the fixture served, TTFT/ITL/TPOT from
# the summed histograms (their histograms kept), the merged timeseries
# rows with TTFT/ITL and output tokens/s from the tagged latency.hlog
# lines.
source "$(dirname "$0")/lib.sh"
qvr_tmpdir
SC=$QVR_SRC_DIR/tests/e2e/scenarios/stream.lua
start_sse_server --ttft 10ms --itl 2ms --tokens 16
# the two parts at once, as segments run, from the same --start-at
at=$(($(date +%s) + 2))
pids=()
for k in 1 2; do
    timeout -k 5 60 "$QVRRUN" "$SC" --quiet --no-plots --segment $k/2 \
        --start-at "$at" --out "$QVR_TMP/s$k" -e T="$SSE_URL" -e USERS=4 \
        -e DURATION=2s </dev/null >"$QVR_TMP/s$k.out" 2>&1 &
    pids+=($!)
done
for k in 1 2; do
    rc=0
    wait "${pids[$((k - 1))]}" || rc=$?
    assert_eq "$rc" 0 "segment $k: exit 0"
done
sleep 0.2
run_qvrrun merge "$QVR_TMP/s1" "$QVR_TMP/s2" --out "$QVR_TMP/m"
assert_eq "$RC" 0 "merge: exit 0"
M=$QVR_TMP/m/summary.json
sum=$(($(json_get "$QVR_TMP/s1/summary.json" 'd["totals"]["output_tokens"]') +
    $(json_get "$QVR_TMP/s2/summary.json" 'd["totals"]["output_tokens"]')))
assert_eq "$(json_get "$M" 'd["totals"]["output_tokens"]')" "$sum" "merged output tokens = the parts'"
assert_eq "$sum" "$(awk '{ t += $1 } END { print t }' "$SSE_LOG")" "= the tokens the fixture sent"
assert_eq "$(json_get "$M" 'd["totals"]["streams"]')" "$(wc -l <"$SSE_LOG")" "merged streams = the fixture's"
assert_eq "$(json_get "$M" 'd["names"]["chat"]["tokens_source"]')" usage "tokens_source kept"
assert_eq "$(json_get "$M" '"ttft_histogram_us" in d["totals"]')" true "TTFT histogram kept for the next merge"
assert_near "$(json_get "$M" 'd["totals"]["itl_ms"]["p50"]')" 2 0.3 "merged ITL p50"
assert_near "$(json_get "$M" 'd["totals"]["ttft_ms"]["p50"]')" 10.3 1 "merged TTFT p50"
rows=$(python3 - "$QVR_TMP/m/timeseries.csv" <<'PY'
import csv, sys
print(sum(1 for r in csv.DictReader(open(sys.argv[1]))
          if r["itl_p50_ms"] and 1.5 < float(r["itl_p50_ms"]) < 2.5))
PY
)
assert_ge "$rows" 1 "merged timeseries rows carry ITL p50"
# output tokens/s per window, from the Tag=out_tokens lines: each merged
# row is its window's rows of the two parts added (windows by wall clock)
read -r mt st < <(python3 - "$QVR_TMP/m/timeseries.csv" "$QVR_TMP/s1/timeseries.csv" \
    "$QVR_TMP/s2/timeseries.csv" <<'PY'
import csv, sys
def rows(f):
    return [(float(r["wall_s"]), float(r["output_tokens_per_s"]))
            for r in csv.DictReader(open(f)) if r["output_tokens_per_s"]]
parts = rows(sys.argv[2]) + rows(sys.argv[3])
mt = st = 0.0
for w, v in rows(sys.argv[1]):
    near = [p for pw, p in parts if abs(pw - w) < 0.2]
    if len(near) == 2:  # a window of both parts
        mt += v
        st += sum(near)
print(round(mt), round(st))
PY
)
assert_ge "$st" 100 "windows of both parts with tokens"
assert_near "$mt" "$st" "$((st / 50 + 2))" "merged output tokens/s ($mt) = the parts' added ($st)"
finish
