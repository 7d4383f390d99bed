#!/usr/bin/env bash
# Token streams measured against the fixture's own send times: 20 streams
# at once for 2 s (TTFT 20 ms, ITL 5 ms, 32 tokens): TTFT p50 within 1 ms
# and ITL p50 within 0.5 ms of what qvr_sse_server logged, token counts
# exact (usage from the server), TPOT near the ITL; the same totals from
# an NDJSON (Ollama) stream; and --threads 2 counts the tokens the fixture
# served exactly once.
source "$(dirname "$0")/lib.sh"
qvr_tmpdir
SC=$QVR_SRC_DIR/tests/e2e/scenarios/stream.lua

start_sse_server --ttft 20ms --itl 5ms --tokens 32
run_qvrrun "$SC" --quiet --no-plots --out "$QVR_TMP/r" -e T="$SSE_URL" \
    -e USERS=20 -e DURATION=2s
assert_eq "$RC" 0 "20 streams: exit 0"
sleep 0.2 # the fixture flushes its log every 50 ms
S=$QVR_TMP/r/summary.json
read -r n tokens ttft gap < <(python3 - "$SSE_LOG" <<'PY'
import statistics, sys
rows = [list(map(int, l.split())) for l in open(sys.argv[1]) if l.strip()]
first = [r[1] / 1000 for r in rows]
gaps = [g / 1000 for r in rows for g in r[2:]]
print(len(rows), sum(r[0] for r in rows), statistics.median(first),
      statistics.median(gaps))
PY
)
assert_ge "$n" 150 "the fixture served 150+ streams"
assert_eq "$(json_get "$S" 'd["totals"]["requests"]')" "$n" "every served stream counted once"
assert_eq "$(json_get "$S" 'd["totals"]["failures"]')" 0 "no failures"
assert_eq "$(json_get "$S" 'd["totals"]["streams"]')" "$n" "every answer seen as a stream"
assert_eq "$(json_get "$S" 'd["totals"]["output_tokens"]')" "$tokens" "output tokens = the tokens the fixture sent"
assert_eq "$(json_get "$S" 'd["totals"]["output_tokens"]')" "$((n * 32))" "32 tokens a stream"
# the body {"model":"fixture",...,"content":"say something"}]} is 88
# bytes: the fixture says 22 prompt tokens (bytes / 4)
assert_eq "$(json_get "$S" 'd["names"]["chat"]["input_tokens"] / d["names"]["chat"]["streams"]')" 22.0 \
    "input tokens from usage"
assert_eq "$(json_get "$S" 'd["totals"]["tokens_source"]')" usage "tokens_source usage"
m_ttft=$(json_get "$S" 'd["totals"]["ttft_ms"]["p50"]')
m_itl=$(json_get "$S" 'd["totals"]["itl_ms"]["p50"]')
d_ttft=$(awk -v a="$m_ttft" -v b="$ttft" 'BEGIN { print a - b }')
d_itl=$(awk -v a="$m_itl" -v b="$gap" 'BEGIN { print a - b }')
assert_ge "$d_ttft" -0.05 "TTFT p50 $m_ttft ms not below the fixture's $ttft ms"
assert_le "$d_ttft" 1 "TTFT p50 $m_ttft ms within 1 ms of the fixture's $ttft ms"
assert_near "$m_itl" "$gap" 0.5 "ITL p50 $m_itl ms within 0.5 ms of the fixture's $gap ms"
assert_near "$(json_get "$S" 'd["totals"]["tpot_ms"]["p50"]')" 5 0.5 "TPOT p50 near 5 ms"
# TTFT from the actual send is never above TTFT from the intended start
assert_le "$(json_get "$S" 'd["totals"]["ttft_service_ms"]["p50"]')" "$m_ttft" "ttft_service_ms p50 <= ttft_ms p50"
# latency covers the whole stream: 20 + 31 * 5 = 175 ms
assert_near "$(json_get "$S" 'd["totals"]["latency_ms"]["p50"]')" 175 3 "latency p50 = the whole stream"
tps=$(json_get "$S" 'd["totals"]["output_tokens"] / d["duration_s"]')
assert_near "$(json_get "$S" 'd["totals"]["output_tokens_per_s"]')" "$tps" 5 "output_tokens_per_s = tokens / duration"
ttps=$(json_get "$S" '(d["totals"]["output_tokens"] + d["totals"]["input_tokens"]) / d["duration_s"]')
assert_near "$(json_get "$S" 'd["totals"]["total_tokens_per_s"]')" "$ttps" 5 "total_tokens_per_s = (in + out) / duration"
head -n 1 "$QVR_TMP/r/timeseries.csv" | grep -q ',ttft_p50_ms,ttft_p99_ms,itl_p50_ms,itl_p99_ms,output_tokens_per_s$' ||
    fail "timeseries.csv: token columns at the end"
pass "timeseries.csv: token columns at the end"
rows_tok=$(python3 - "$QVR_TMP/r/timeseries.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
full = [r for r in rows if float(r["requests"]) > 0]
print(sum(1 for r in full if 15 < float(r["ttft_p50_ms"]) < 30 and 4 < float(r["itl_p50_ms"]) < 6))
PY
)
assert_ge "$rows_tok" 2 "timeseries.csv rows carry TTFT/ITL p50"
grep -q '^Tag=ttft,' "$QVR_TMP/r/latency.hlog" || fail "latency.hlog: no Tag=ttft lines"
pass "latency.hlog: Tag=ttft lines"

# NDJSON (Ollama): eval_count is the usage
start_sse_server --ttft 10ms --itl 2ms --tokens 16 --format ndjson
run_qvrrun "$SC" --quiet --no-plots --out "$QVR_TMP/nd" -e T="$SSE_URL" \
    -e USERS=4 -e DURATION=1s -e MODE=ndjson
assert_eq "$RC" 0 "ndjson: exit 0"
S=$QVR_TMP/nd/summary.json
req=$(json_get "$S" 'd["totals"]["requests"]')
assert_ge "$req" 20 "ndjson: streams"
assert_eq "$(json_get "$S" 'd["totals"]["output_tokens"]')" "$((req * 16))" "ndjson: 16 tokens each"
assert_eq "$(json_get "$S" 'd["totals"]["tokens_source"]')" usage "ndjson: eval_count read"
assert_near "$(json_get "$S" 'd["totals"]["ttft_ms"]["p50"]')" 10.5 1 "ndjson: TTFT p50 ~ 10 ms"

# two worker threads: each stream the fixture served counted once
start_sse_server --ttft 10ms --itl 2ms --tokens 16
run_qvrrun "$SC" --quiet --no-plots --threads 2 --out "$QVR_TMP/th" \
    -e T="$SSE_URL" -e USERS=8 -e DURATION=1s
assert_eq "$RC" 0 "threads 2: exit 0"
sleep 0.2
S=$QVR_TMP/th/summary.json
served=$(awk '{ t += $1 } END { print t }' "$SSE_LOG")
assert_eq "$(json_get "$S" 'd["totals"]["output_tokens"]')" "$served" "threads 2: output tokens = the fixture's"
assert_eq "$(json_get "$S" 'd["totals"]["streams"]')" "$(wc -l <"$SSE_LOG")" "threads 2: streams = the fixture's"
assert_near "$(json_get "$S" 'd["totals"]["itl_ms"]["p50"]')" 2 0.5 "threads 2: ITL p50 merged"
finish
