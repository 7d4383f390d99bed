#!/usr/bin/env bash
# qvrrun monitor SCENARIO.lua: every{} probes through a virtual user, the
# scenario's thresholds, collect = {host, gpu} with a fake nvidia-smi on
# PATH (GPU samples in the history) and without one (a single note), a
# failing probe's reason, and a scenario whose load is not every{}.
source "$(dirname "$0")/lib.sh"
qvr_tmpdir
FAKE=$QVR_SRC_DIR/tests/fixture/fake-nvidia-smi
mkdir -p "$QVR_TMP/bin" "$QVR_TMP/nobin"
cp "$FAKE" "$QVR_TMP/bin/nvidia-smi"
chmod +x "$QVR_TMP/bin/nvidia-smi"
# a PATH with the basic tools but no nvidia-smi at all
for t in sh env cat grep sort timeout; do
    ln -sf "$(command -v "$t")" "$QVR_TMP/nobin/$t"
done

cat >"$QVR_TMP/probe.lua" <<'EOF'
local rerank = require "qvr.rerank"
local p = rerank.payload {
  name = "probe",
  query = "A red sports car driving on mountain road",
  documents = { "High-performance vehicle on winding asphalt",
                "Old sedan parked in garage" },
}
return scenario {
  name = "probe",
  target = env("QVR_TARGET", "mock"),
  mock = { service = env("SERVICE", "30ms"), error_rate = env("ERRORS", "0") },
  load = every { interval = "250ms", window = 8 },
  tasks = { probe = function() rerank.post(nil, p) end },
  thresholds = { p99 = "< 2s", error_rate = "< 50%" },
  collect = { host = true, gpu = "nvidia-smi" },
}
EOF
cat >"$QVR_TMP/users.lua" <<'EOF'
return scenario {
  name = "u",
  target = "mock",
  load = users { count = 1, duration = "1s" },
  tasks = { t = function() http.get("/health") end },
}
EOF

# 1. with the fake nvidia-smi on PATH
OUT=$QVR_TMP/fake
QVR_FAKE_GPU_LOG=$QVR_TMP/gpu.log PATH="$QVR_TMP/bin:$PATH" \
    run_qvrrun monitor "$QVR_TMP/probe.lua" --duration 3s --out "$OUT" \
    --no-plots
assert_eq "$RC" 0 "scenario monitor with held thresholds exits 0"
n=$(wc -l <"$OUT/history.jsonl")
assert_ge "$n" 10 "a probe every 250 ms for 3 s ($n)"
assert_le "$n" 12 "no more than one per slot ($n)"
res=$(python3 - "$OUT/history.jsonl" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert all(r["ok"] and r["status"] == 200 for r in rows), rows
assert all(30 <= r["latency_ms"] < 1000 for r in rows), rows
late = rows[-1]  # by then the GPU command and /proc were sampled
assert late["gpu_util_pct"] == 37, late
assert late["gpu_mem_mb"] == 1024 and late["gpu_mem_total_mb"] == 81920, late
assert 0 <= late["cpu_pct"] <= 100, late
assert 1 < late["mem_avail_mb"] < 1e8, late
print("ok")
EOF
) || fail "history with GPU samples: $res"
assert_eq "$res" ok "history lines carry the fake GPU's 37% / 1024 MiB and sane host values"
calls=$(wc -l <"$QVR_TMP/gpu.log")
assert_ge "$calls" 2 "nvidia-smi queried about once a second ($calls)"
assert_le "$calls" 4 "and not more ($calls)"
assert_contains "$QVR_TMP/gpu.log" \
    "--query-gpu=utilization.gpu,memory.used,memory.total --format=csv,noheader,nounits"
if grep -q "GPU samples" "$QVR_STDERR"; then
    fail "a note about GPU samples although nvidia-smi works"
fi
pass "no GPU note when nvidia-smi works"

# 2. no nvidia-smi anywhere on PATH: one note and nothing else about it
OUT=$QVR_TMP/plain
PATH="$QVR_TMP/nobin" run_qvrrun monitor "$QVR_TMP/probe.lua" --duration 1.5s \
    --out "$OUT" --no-plots
assert_eq "$RC" 0 "monitor without nvidia-smi exits 0"
assert_eq "$(grep -c 'GPU samples skipped: nvidia-smi not found' "$QVR_STDERR")" 1 \
    "a single note"
assert_eq "$(grep -ci 'gpu\|nvidia' "$QVR_STDERR")" 1 "nothing else about the GPU"
if grep -q gpu_ "$OUT/history.jsonl"; then
    fail "GPU fields without a GPU command"
fi
pass "no GPU fields in the history"

# 3. failing probes give their reason; the gate fails (exit 99)
OUT=$QVR_TMP/errors
run_qvrrun monitor "$QVR_TMP/probe.lua" -e ERRORS=1 --duration 1.2s \
    --out "$OUT" --no-plots
assert_eq "$RC" 99 "every probe fails: error_rate < 50% fails: exit 99"
grep -q '| fails=[1-9][0-9]* | probe failed: HTTP 500' "$QVR_STDOUT" &&
    pass "the line names the failure (HTTP 500)" || fail "no failure reason"
assert_contains "$QVR_STDOUT" "ALERT error_rate < 50% failing: measured 100.00%"
ok=$(python3 -c "
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert rows and all(not r['ok'] and r['status'] == 500 and r['error'] == 'HTTP 500' and r['kind'] == 'http_5xx' for r in rows), rows
print('ok')" "$OUT/history.jsonl") || fail "history of failures"
assert_eq "$ok" ok "history: ok false, status 500, error 'HTTP 500', kind http_5xx"

# 4. a refused connection is a transport error with its text
OUT=$QVR_TMP/refused
port=$(free_port)
run_qvrrun monitor "$QVR_TMP/probe.lua" --target "http://127.0.0.1:$port" \
    --duration 0.6s --out "$OUT" --no-plots
assert_eq "$RC" 99 "unreachable target: the gate fails"
grep -qi 'probe failed: .*\(refused\|connect\)' "$QVR_STDOUT" &&
    pass "transport error printed" || fail "no transport error text"

# 5. a load that is not every{}: exit 2 with a clear message
run_qvrrun monitor "$QVR_TMP/users.lua"
assert_eq "$RC" 2 "users{} scenario: exit 2"
assert_contains "$QVR_STDERR" "monitor needs an every{interval=, window=} load"

# 6. the standard scenario loads and probes the mock
OUT=$QVR_TMP/std
run_qvrrun monitor "$QVR_SRC_DIR/scenarios/monitor.lua" -e INTERVAL=0.3s \
    --duration 1s --out "$OUT" --no-plots
assert_eq "$RC" 0 "scenarios/monitor.lua against the mock: exit 0"
assert_ge "$(wc -l <"$OUT/history.jsonl")" 3 "standard probes recorded"
finish
