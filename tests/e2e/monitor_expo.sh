#!/usr/bin/env bash
# --metrics-listen: the Prometheus exposition of a running monitor, scraped
# with curl, validated by promtool (Debian's prometheus package; installed
# here when missing, and the test fails if it cannot be), and its counters,
# histogram and window gauges equal to what history.jsonl says.
source "$(dirname "$0")/lib.sh"
qvr_tmpdir

if ! command -v promtool >/dev/null; then
    echo "promtool missing: installing Debian's prometheus package" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y --no-install-recommends prometheus >&2 ||
        { apt-get update >&2 &&
            apt-get install -y --no-install-recommends prometheus >&2; } ||
        true
fi
command -v promtool >/dev/null ||
    fail "promtool not found and could not be installed (apt-get install -y prometheus)"
command -v curl >/dev/null || fail "curl not found"

start_mock --service 15ms --error-rate 0.3 --seed 11
OUT=$QVR_TMP/mon
"$QVRRUN" monitor "$MOCK_URL" --interval 0.25s --duration 8s --window 6 \
    --metrics-listen 127.0.0.1:0 --out "$OUT" --no-plots \
    </dev/null >"$QVR_TMP/m.out" 2>"$QVR_TMP/m.err" &
BG=$!
qvr_track "$BG"
QVR_LAST_STDERR=$QVR_TMP/m.err
url=
for ((i = 0; i < 100; i++)); do
    url=$(sed -n 's/^qvrrun monitor: metrics at \(http:[^ ]*\)$/\1/p' \
        "$QVR_TMP/m.err" | head -n 1)
    [[ -n "$url" ]] && break
    sleep 0.05
done
[[ "$url" =~ ^http://127\.0\.0\.1:[0-9]+/metrics$ ]] &&
    pass "bound address printed: $url" || fail "no metrics address printed"

# wait for some probes, then scrape between two probes (the history has
# the same number of lines before and after the scrape)
for ((i = 0; i < 100; i++)); do
    [[ -f "$OUT/history.jsonl" && $(wc -l <"$OUT/history.jsonl") -ge 10 ]] &&
        break
    sleep 0.1
done
n=
for ((i = 0; i < 20; i++)); do
    n1=$(wc -l <"$OUT/history.jsonl")
    curl -sf -o "$QVR_TMP/scrape.txt" "$url" || fail "scrape failed"
    n2=$(wc -l <"$OUT/history.jsonl")
    if [[ "$n1" == "$n2" ]]; then
        n=$n1
        break
    fi
    sleep 0.05
done
[[ -n "$n" ]] || fail "could not scrape between two probes"
assert_ge "$n" 10 "scraped after $n probes"

promtool check metrics <"$QVR_TMP/scrape.txt" >"$QVR_TMP/promtool.out" 2>&1 ||
    { cat "$QVR_TMP/promtool.out" >&2; fail "promtool check metrics failed"; }
pass "promtool check metrics: the exposition parses and lints clean"

res=$(python3 - "$QVR_TMP/scrape.txt" "$OUT/history.jsonl" "$n" 6 <<'EOF'
import json, math, re, sys
text, hist, n, window = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
rows = [json.loads(l) for l in open(hist)][:n]
samples = {}
for line in open(text):
    if line.startswith("#") or not line.strip():
        continue
    m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$', line.strip())
    assert m, line
    samples[m.group(1) + (m.group(2) or "")] = float(m.group(3))
def get(k):
    assert k in samples, k
    return samples[k]
def total(prefix):
    return sum(v for k, v in samples.items() if k.startswith(prefix))
fails = [r for r in rows if not r["ok"]]
assert fails, "the mock's 30% errors gave no failed probe"
assert get('qvrrun_requests_total{name="probe"}') == n
assert total("qvrrun_requests_total") == n
assert total("qvrrun_failures_total{") == len(fails), (total("qvrrun_failures_total{"), len(fails))
assert get('qvrrun_failures_total{name="probe",kind="http_5xx"}') == \
    sum(1 for r in rows if r["status"] == 500)
assert get('qvrrun_latency_seconds_count{name="probe"}') == n
assert get('qvrrun_latency_seconds_bucket{name="probe",le="+Inf"}') == n
s = get('qvrrun_latency_seconds_sum{name="probe"}')
want = sum(r["latency_ms"] for r in rows) / 1000
assert abs(s - want) < 1e-3 * n, (s, want)
buckets = sorted((float(re.search(r'le="([^"]+)"', k).group(1)), v)
                 for k, v in samples.items()
                 if k.startswith('qvrrun_latency_seconds_bucket{name="probe"'))
assert all(a[1] <= b[1] for a, b in zip(buckets, buckets[1:])), buckets
for le, count in buckets:
    # the histogram's buckets are 0.1% wide: a value that close to a bound
    # may fall on either side of it
    lo = sum(1 for r in rows if r["latency_ms"] / 1000 <= le * 0.999)
    hi = sum(1 for r in rows if r["latency_ms"] / 1000 <= le * 1.001)
    assert lo <= count <= hi, (le, count, lo, hi)
# the window's percentiles are over the probes that succeeded
win = [r["latency_ms"] for r in rows[-window:] if r["ok"]]
def pct(p):
    v = sorted(win)
    return v[max(1, min(len(v), math.ceil(p * len(v) / 100 - 1e-9))) - 1]
for q, p in (("0.5", 50), ("0.9", 90), ("0.99", 99)):
    got = get('qvrrun_monitor_window_latency_seconds{quantile="%s"}' % q)
    assert abs(got - pct(p) / 1000) < 1e-9, (q, got, pct(p))
assert get("qvrrun_monitor_window_probes") == len(rows[-window:])
assert get("qvrrun_monitor_window_failures") == sum(1 for r in rows[-window:] if not r["ok"])
assert get("qvrrun_users") == 1
print("ok %d %d" % (n, len(fails)))
EOF
) || fail "exposition against history: $res"
assert_eq "${res%% *}" ok "counters, buckets and window gauges match history.jsonl ($res)"

code=$(curl -s -o /dev/null -w '%{http_code}' "${url%/metrics}/")
assert_eq "$code" 404 "other paths: 404"
rc=0
wait "$BG" || rc=$?
assert_eq "$rc" 0 "the monitor ends by itself with exit 0"
curl -s -o /dev/null --max-time 2 "$url" &&
    fail "the metrics server still answers after the monitor ended" ||
    pass "the metrics server is gone with the monitor"

# a taken port: exit 2 with one line naming the address
port=${url#http://127.0.0.1:}
port=${port%/metrics}
start_mock --service 1ms
mport=${MOCK_URL##*:}
run_qvrrun monitor "$MOCK_URL" --duration 1s --metrics-listen "127.0.0.1:$mport"
assert_eq "$RC" 2 "metrics address in use: exit 2"
assert_contains "$QVR_STDERR" "cannot listen for metrics on 127.0.0.1:$mport"
finish
