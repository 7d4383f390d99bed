#!/usr/bin/env bash
# collect and --metrics-listen in a run (qvrrun SCENARIO.lua): a fake
# nvidia-smi on PATH gives GPU columns in timeseries.csv, timing headers of
# the mock's answers (X-Queue-Ms, X-Infer-Ms) become columns, host values
# are sane, no nvidia-smi gives a single note, resources.png is drawn, and
# the Prometheus counters scraped at the end of the load equal
# summary.json's totals.
source "$(dirname "$0")/lib.sh"
qvr_tmpdir
export QVR_PLOTS_DIR=$QVR_SRC_DIR/plots
mkdir -p "$QVR_TMP/bin" "$QVR_TMP/nobin"
cp "$QVR_SRC_DIR/tests/fixture/fake-nvidia-smi" "$QVR_TMP/bin/nvidia-smi"
chmod +x "$QVR_TMP/bin/nvidia-smi"
for t in sh env cat grep sort timeout gnuplot; do
    p=$(command -v "$t") && ln -sf "$p" "$QVR_TMP/nobin/$t"
done

# The samples of a Prometheus exposition, by series.
cat >"$QVR_TMP/scrape.py" <<'EOF'
import re


def samples(path):
    out = {}
    for line in open(path):
        m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$', line.strip())
        if m and not line.startswith("#"):
            out[m.group(1) + (m.group(2) or "")] = float(m.group(3))
    return out
EOF

# One user, a request every second (20 ms each): 4 requests in 3.5 s, the
# last one done by 3.1 s, so a scrape at 3.3 s sees the final counts.
cat >"$QVR_TMP/collect.lua" <<'EOF'
local rerank = require "qvr.rerank"
local p = rerank.payload { name = "rerank", query = "q",
                           documents = { "a", "b" } }
return scenario {
  name = "collect",
  target = "mock",
  mock = { service = "20ms" },
  load = users { count = tonumber(env("USERS", "1")), duration = "3.5s" },
  wait = constant(tonumber(env("WAIT", "1"))),
  tasks = { t = function() rerank.post(nil, p) end },
  collect = { host = true, gpu = "nvidia-smi",
              headers = { "X-Queue-Ms", "X-Infer-Ms" } },
}
EOF

OUT=$QVR_TMP/run
PATH="$QVR_TMP/bin:$PATH" "$QVRRUN" "$QVR_TMP/collect.lua" --out "$OUT" \
    --metrics-listen 127.0.0.1:0 </dev/null >"$QVR_TMP/r.out" \
    2>"$QVR_TMP/r.err" &
BG=$!
qvr_track "$BG"
QVR_LAST_STDERR=$QVR_TMP/r.err
url=
for ((i = 0; i < 100; i++)); do
    url=$(grep -o 'metrics at http://127\.0\.0\.1:[0-9]*/metrics' \
        "$QVR_TMP/r.err" | head -n 1 | sed 's/^metrics at //') || true
    [[ -n "$url" ]] && break
    sleep 0.05
done
[[ -n "$url" ]] && pass "run prints its metrics address: $url" ||
    fail "no 'metrics at http://127.0.0.1:PORT/metrics' line from the run"
sleep 3.2
curl -sf -o "$QVR_TMP/scrape.txt" "$url" || fail "scrape during the run"
rc=0
wait "$BG" || rc=$?
assert_eq "$rc" 0 "the run exits 0"

if command -v promtool >/dev/null; then
    promtool check metrics <"$QVR_TMP/scrape.txt" >"$QVR_TMP/pt.out" 2>&1 ||
        { cat "$QVR_TMP/pt.out" >&2; fail "promtool check metrics"; }
    pass "promtool accepts the run's exposition"
fi
res=$(PYTHONPATH=$QVR_TMP python3 - "$QVR_TMP/scrape.txt" "$OUT/summary.json" <<'EOF'
import json, sys
from scrape import samples
samples = samples(sys.argv[1])
tot = json.load(open(sys.argv[2]))["totals"]
req = sum(v for k, v in samples.items() if k.startswith("qvrrun_requests_total"))
fail = sum(v for k, v in samples.items() if k.startswith("qvrrun_failures_total"))
cnt = sum(v for k, v in samples.items() if k.startswith("qvrrun_latency_seconds_count"))
assert req == tot["requests"] == cnt == 4, (req, cnt, tot["requests"])
assert fail == tot["failures"], (fail, tot["failures"])
assert samples.get("qvrrun_gpu_utilization_percent") == 37, samples.get("qvrrun_gpu_utilization_percent")
print("ok")
EOF
) || fail "scraped counters against summary.json: $res"
assert_eq "$res" ok "counters scraped at the end equal summary.json totals (4 requests)"

res=$(python3 - "$OUT/timeseries.csv" <<'EOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
need = ["cpu_pct", "mem_avail_mb", "gpu_util_pct", "gpu_mem_mb",
        "gpu_mem_total_mb", "x_queue_ms", "x_infer_ms"]
missing = [c for c in need if c not in rows[0]]
assert not missing, "missing columns %s" % missing
gpu = [float(r["gpu_util_pct"]) for r in rows if r["gpu_util_pct"]]
assert len(gpu) >= len(rows) - 1 and all(g == 37 for g in gpu), gpu
assert all(float(r["gpu_mem_mb"]) == 1024 for r in rows if r["gpu_mem_mb"])
cpu = [float(r["cpu_pct"]) for r in rows if r["cpu_pct"]]
assert cpu and all(0 <= c <= 100 for c in cpu), cpu
mem = [float(r["mem_avail_mb"]) for r in rows if r["mem_avail_mb"]]
assert mem and all(1 < m < 1e8 for m in mem), mem
inf = [float(r["x_infer_ms"]) for r in rows if r["x_infer_ms"]]
assert inf and all(abs(i - 20) < 0.5 for i in inf), inf
print("ok")
EOF
) || fail "timeseries.csv collect columns: $res"
assert_eq "$res" ok "timeseries.csv: GPU 37% / 1024 MiB from the fake nvidia-smi, X-Infer-Ms 20, sane host values"
[[ -s "$OUT/resources.png" ]] && pass "resources.png drawn" ||
    fail "no resources.png"

# --threads 2: the main thread samples host and GPU, the workers feed it
# the answers' headers; the same columns, one row per merged window.
# --metrics-listen serves the sum of the workers' figures as of their last
# closed window: a scrape during the run counts exactly the requests of the
# merged windows then closed, and carries the collector's gauges.
OUT=$QVR_TMP/threads
MPORT=$(free_port)
PATH="$QVR_TMP/bin:$PATH" "$QVRRUN" "$QVR_TMP/collect.lua" --out "$OUT" \
    --threads 2 -e USERS=4 -e WAIT=0.2 --metrics-listen "127.0.0.1:$MPORT" \
    </dev/null >"$QVR_TMP/t.out" 2>"$QVR_TMP/t.err" &
BG=$!
qvr_track "$BG"
QVR_STDERR=$QVR_TMP/t.err
QVR_LAST_STDERR=$QVR_STDERR
for ((i = 0; i < 40; i++)); do # until the first merged window is served
    sleep 0.1
    curl -sf -o "$QVR_TMP/tscrape.txt" "http://127.0.0.1:$MPORT/metrics" ||
        continue
    T=$(date +%s.%N)
    awk '/^qvrrun_requests_total/ { n += $2 } END { exit !(n > 0) }' \
        "$QVR_TMP/tscrape.txt" && break
done
[[ -s "$QVR_TMP/tscrape.txt" ]] || fail "scrape of the threaded run"
RC=0
wait "$BG" || RC=$?
assert_eq "$RC" 0 "threaded run exits 0"
res=$(PYTHONPATH=$QVR_TMP python3 - "$QVR_TMP/tscrape.txt" "$OUT/timeseries.csv" "$T" <<'EOF'
import csv, sys
from scrape import samples
s = samples(sys.argv[1])
# Served: both workers' requests up to the last window they had both
# closed when scraped (the one ending before the scrape, or the one before
# if the main thread had not merged it yet); one worker's alone is half.
ends, prefix = [], [0]
for r in csv.DictReader(open(sys.argv[2])):
    ends.append(float(r["wall_s"]))
    prefix.append(prefix[-1] + int(r["requests"]))
k = sum(1 for e in ends if e <= float(sys.argv[3]))
req = sum(v for k_, v in s.items() if k_.startswith("qvrrun_requests_total"))
cnt = sum(v for k_, v in s.items() if k_.startswith("qvrrun_latency_seconds_count"))
assert req >= 10 and req in (prefix[k], prefix[max(k - 1, 0)]), (req, k, prefix)
assert cnt == req, (cnt, req)
assert s.get("qvrrun_users") == 4, s.get("qvrrun_users")
assert s.get("qvrrun_gpu_utilization_percent") == 37, s.get("qvrrun_gpu_utilization_percent")
assert abs(s.get('qvrrun_target_header_seconds{header="x_infer_ms"}', 0) - 0.02) < 0.001
print("ok")
EOF
) || fail "threaded scrape: $res"
assert_eq "$res" ok "--threads 2 --metrics-listen: merged counters mid-run, 4 users, GPU and header gauges"
assert_contains "$QVR_STDERR" "2 worker threads" "the run had 2 worker threads"
res=$(python3 - "$OUT/timeseries.csv" "$OUT/summary.json" <<'EOF'
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert len(rows) >= 3, len(rows)
for c in ["cpu_pct", "gpu_util_pct", "x_queue_ms", "x_infer_ms"]:
    assert c in rows[0], "missing column " + c
gpu = [float(r["gpu_util_pct"]) for r in rows if r["gpu_util_pct"]]
assert len(gpu) >= len(rows) - 1 and all(g == 37 for g in gpu), gpu
inf = [float(r["x_infer_ms"]) for r in rows if r["x_infer_ms"]]
assert len(inf) >= len(rows) - 1 and all(abs(i - 20) < 0.5 for i in inf), inf
req = sum(int(r["requests"]) for r in rows)
assert req == json.load(open(sys.argv[2]))["totals"]["requests"], req
print("ok")
EOF
) || fail "threaded timeseries.csv collect columns: $res"
assert_eq "$res" ok "--threads 2: GPU 37% and X-Infer-Ms 20 in every merged window"
[[ -s "$OUT/resources.png" ]] && pass "--threads 2: resources.png drawn" ||
    fail "--threads 2: no resources.png"

# without nvidia-smi: one note, no GPU columns
OUT=$QVR_TMP/plain
PATH="$QVR_TMP/nobin" run_qvrrun "$QVR_TMP/collect.lua" --out "$OUT" \
    --no-plots
assert_eq "$RC" 0 "run without nvidia-smi exits 0"
assert_eq "$(grep -c 'GPU samples skipped: nvidia-smi not found' "$QVR_STDERR")" 1 \
    "a single note"
if head -n 1 "$OUT/timeseries.csv" | grep -q gpu_; then
    fail "GPU columns without a GPU command"
fi
pass "no GPU columns"
finish
