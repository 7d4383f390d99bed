#!/usr/bin/env bash
# A server that stalls: under rate{} (50 streams/s for 6 s, an open model),
# the fixture holds every token for 500 ms every 2 s. A stream whose first
# token falls due in a stall waits for its end, so about a quarter of the
# streams see up to 520 ms: TTFT p99 = 20 ms + 500 ms x (1 - 0.01 / 0.25)
# = 500 ms (analytic), and qvrrun's p99, from the intended start, must be
# within 5% of it and of the fixture's own log. (A closed loop would send
# fewer requests during the stall and report a lower p99.)
source "$(dirname "$0")/lib.sh"
qvr_tmpdir
SC=$QVR_SRC_DIR/tests/e2e/scenarios/stream.lua
start_sse_server --ttft 20ms --itl 2ms --tokens 4 --stall-every 2s --stall 500ms
run_qvrrun "$SC" --quiet --no-plots --out "$QVR_TMP/r" -e T="$SSE_URL" \
    -e RATE=50 -e DURATION=6s
assert_eq "$RC" 0 "stalls: exit 0"
sleep 0.2
S=$QVR_TMP/r/summary.json
logp99=$(python3 - "$SSE_LOG" <<'PY'
import sys
v = sorted(int(l.split()[1]) / 1000 for l in open(sys.argv[1]) if l.strip())
print(v[max(0, -(-len(v) * 99 // 100) - 1)])
PY
)
p99=$(json_get "$S" 'd["totals"]["ttft_ms"]["p99"]')
assert_ge "$(json_get "$S" 'd["totals"]["streams"]')" 250 "stalls: 300 streams planned"
assert_near "$p99" 500 25 "stalls: TTFT p99 $p99 ms within 5% of the analytic 500 ms"
assert_near "$p99" "$logp99" 25 "stalls: TTFT p99 $p99 ms within 5% of the fixture's $logp99 ms"
assert_near "$(json_get "$S" 'd["totals"]["ttft_ms"]["p50"]')" 20.5 2 "stalls: TTFT p50 the unstalled 20 ms"
finish
