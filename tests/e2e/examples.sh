#!/usr/bin/env bash
# examples/scenarios/*.lua as shipped, each against its default target (the
# built-in mock), each judged on the number it exists to show.
source "$(dirname "$0")/lib.sh"
qvr_tmpdir
EX=$QVR_SRC_DIR/examples/scenarios

# Every example is here: a new one must get a check of its own.
for f in "$EX"/*.lua; do
    case "$(basename "$f")" in
    checks.lua | abort.lua | server-timing.lua | cohere.lua) ;;
    llm-*.lua) ;; # against the streaming fixture: tests/e2e/stream_openai.sh
    *) fail "examples/scenarios/$(basename "$f") has no check in tests/e2e/examples.sh" ;;
    esac
done

# checks: three labelled checks, each counted once per request and passed.
run_qvrrun "$EX/checks.lua" --duration 3s --out "$QVR_TMP/checks" --quiet --no-plots
assert_eq "$RC" 0 "checks: exit 0"
S=$QVR_TMP/checks/summary.json
n=$(json_get "$S" 'd["totals"]["requests"]')
assert_ge "$n" 10 "checks: requests sent"
for label in "status 200" "one score per document" "boots ranked first"; do
    assert_eq "$(json_get "$S" "[c['passed'] for c in d['checks'] if c['name'] == '$label'][0]")" "$n" "checks: '$label' passed once per request"
done
assert_eq "$(json_get "$S" 'sum(c["failed"] for c in d["checks"])')" 0 "checks: none failed"

# abort: "p99 < 30ms" against ~48 ms answers stops a 1-minute run after its
# 2 s of grace, with exit 99 and the results written.
run_qvrrun "$EX/abort.lua" --out "$QVR_TMP/abort" --quiet --no-plots
assert_eq "$RC" 99 "abort: exit 99"
S=$QVR_TMP/abort/summary.json
assert_le "$(json_get "$S" 'd["duration_s"]')" 10 "abort: stopped within seconds, not after the scenario's minute"
assert_ge "$(json_get "$S" 'd["duration_s"]')" 2 "abort: not before the 2 s of grace"
assert_eq "$(json_get "$S" '[t["ok"] for t in d["thresholds"] if t["expr"].startswith("p99")][0]')" false "abort: the p99 threshold is the one that failed"

# server-timing: 4 users on one slot; the answers' X-Infer-Ms is the mock's
# model for 2 text + 1 image documents (75.9 ms), X-Queue-Ms about three
# times that, and the finding says so.
run_qvrrun "$EX/server-timing.lua" --duration 7s --out "$QVR_TMP/st" --quiet --no-plots
assert_eq "$RC" 0 "server-timing: exit 0"
read -r infer queue < <(python3 - "$QVR_TMP/st/timeseries.csv" <<'EOF'
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["x_infer_ms"] and r["x_queue_ms"]]
print(sum(float(r["x_infer_ms"]) for r in rows) / len(rows),
      sum(float(r["x_queue_ms"]) for r in rows) / len(rows))
EOF
)
assert_near "$infer" 75.9 8 "server-timing: x_infer_ms is the model's 75.9 ms"
assert_ge "$queue" "$(python3 -c "print(2 * $infer)")" "server-timing: x_queue_ms is over twice the inference (4 users, 1 slot)"
assert_contains "$QVR_TMP/st/summary.json" "more time queued than in inference" "server-timing: the queueing finding"

# cohere: /v1/rerank answers sorted by score; the best document is the last
# one, so the check passes only when scores are mapped back by index.
run_qvrrun "$EX/cohere.lua" --duration 3s --out "$QVR_TMP/cohere" --quiet --no-plots
assert_eq "$RC" 0 "cohere: exit 0"
S=$QVR_TMP/cohere/summary.json
n=$(json_get "$S" 'd["names"]["/v1/rerank"]["requests"]')
assert_ge "$n" 5 "cohere: requests to /v1/rerank"
assert_eq "$(json_get "$S" "[c['passed'] for c in d['checks'] if c['name'] == 'the capital ranked first'][0]")" "$n" "cohere: the scores come back in document order"
finish
