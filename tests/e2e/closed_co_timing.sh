#!/usr/bin/env bash
# The closed model's blind spot said aloud (issue 19): 10 users, no think
# time, against the mock answering in 5 ms but stalling 1 s in every 5 s.
# Each user has one request held by each stall and sends nothing
# meanwhile, so the measured p99 stays near 5 ms. The corrected figures
# (HdrHistogram's expected-interval correction, the interval a user's
# typical cycle, ~5 ms) put back the ~200 requests each user would have
# sent during the stall.
#
# Analytic p99, per user and 5 s period: 800 requests of 5 ms (4 s / 5 ms)
# and one held to the stall's end plus its 5 ms pass, 1005 ms, which the
# correction turns into 201 values 1005, 1000, ..., 5 ms. Of 1001 values
# the p99 is rank ceil(0.99 * 1001) = 991, the 11th from the top:
# 1005 - 10 * 5 = 955 ms (a slower cycle than 5 ms gives fewer values on
# both sides and moves it by a few ms; tests/unit/test_hist.c checks the
# arithmetic exactly). A run without a stall reports no blind spot.
source "$(dirname "$0")/lib.sh"
qvr_tmpdir
cd "$QVR_TMP" || fail "cannot cd to $QVR_TMP"
export QVR_TIMEOUT=60
cat >co.lua <<'EOF'
return scenario {
  name = "co",
  target = "mock",
  mock = { service = "5ms", slots = 16, stall = env("STALL", nil) },
  load = users { count = 10, duration = env("DURATION", "10s") },
  tasks = { t = function()
    http.post("/api/rerank", { json = { query = "q", documents = { "a" } },
                               name = "rerank" })
  end },
}
EOF
run_qvrrun co.lua --no-plots --quiet --out st -e STALL=1s/5s
assert_eq "$RC" 0 "the stalled run exits 0"
S=st/summary.json
assert_le "$(json_get "$S" 'd["totals"]["latency_ms"]["p99"]')" 100 \
    "the measured p99 misses the stall (the blind spot)"
assert_eq "$(json_get "$S" 'd["coordinated_omission"]["detected"]')" true \
    "the stall was detected from the schedule"
assert_near "$(json_get "$S" 'd["coordinated_omission"]["expected_interval_ms"]')" \
    "$(json_get "$S" 'd["totals"]["latency_ms"]["p50"]')" 0.01 \
    "the expected interval is a user's cycle: the median, no think time"
assert_near "$(json_get "$S" 'd["coordinated_omission"]["latency_ms"]["p99"]')" \
    955 95.5 "corrected p99 within 10% of the analytic 955 ms"
assert_contains "$QVR_STDOUT" "TOTAL corrected (CO)" "the table shows the corrected row"
assert_contains "$QVR_STDOUT" "closed-model blind spot: requests took up to 1." \
    "a finding says so"
assert_contains "$QVR_STDOUT" "Offer the load on a schedule with rate{}" \
    "and suggests rate{}"

run_qvrrun co.lua --no-plots --quiet --out ok -e DURATION=2s
assert_eq "$RC" 0 "the healthy run exits 0"
assert_eq "$(json_get ok/summary.json 'd["coordinated_omission"]["detected"]')" false \
    "no stall: no blind spot reported"
assert_le "$(json_get ok/summary.json 'd["coordinated_omission"]["latency_ms"]["p99"]')" 100 \
    "no stall: the corrected p99 stays near the measured one"
if grep -q "blind spot\|corrected (CO)" "$QVR_STDOUT"; then
    fail "no stall: no finding or corrected row"
else
    pass "no stall: no finding or corrected row"
fi
finish
