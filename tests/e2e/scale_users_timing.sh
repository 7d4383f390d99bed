#!/usr/bin/env bash
# Many thinking users are cheap: 3,000 users with 1-3 s think time against
# the mock (fast profile, its own process) all run, offer 1,500 req/s and
# get it, and cost a few KB each: a user that thinks holds no easy handle and
# no Lua thread (each user holding its own cost ~14 KB). The per-user figure
# is the RSS difference between 3,000 and 100 users, so the fixed part (Lua,
# libraries, histograms) does not count. Timing-sensitive: runs alone.
source "$(dirname "$0")/lib.sh"
qvr_tmpdir
SC=$QVR_SRC_DIR/bench/qvrrun_bench.lua
PORT=$(free_port)
"$QVRRUN" mock --profile fast --listen "127.0.0.1:$PORT" --queue 100000 \
    >"$QVR_TMP/mock.log" 2>&1 &
MOCK_PID=$!
qvr_track "$MOCK_PID"
wait_port "$PORT" "$MOCK_PID" 10 || fail "mock did not start: $(cat "$QVR_TMP/mock.log")"
T=http://127.0.0.1:$PORT

peak_kb()
{
    /usr/bin/time -f '%M' -o "$QVR_TMP/$1.rss" "$QVRRUN" "$SC" -e THINK=1 --users "$2" \
        --spawn-rate 3000 --duration 8s --threads 1 --target "$T" --quiet \
        --no-plots --out "$QVR_TMP/$1" >"$QVR_TMP/$1.log" 2>&1 || true
    tail -n 1 "$QVR_TMP/$1.rss"
}
small=$(peak_kb u100 100)
big=$(peak_kb u3000 3000)
S=$QVR_TMP/u3000/summary.json
[[ -f "$S" ]] || fail "3,000-user run wrote no summary: $(tail -n 3 "$QVR_TMP/u3000.log")"
assert_eq "$(json_get "$S" 'd["totals"]["failures"]')" 0 "no failed request"
peak=$(python3 -c "
import csv
print(max(int(float(r['users'])) for r in csv.DictReader(open('$QVR_TMP/u3000/timeseries.csv'))))")
assert_eq "$peak" 3000 "all 3,000 users ran"
# Windows after the 1 s spawn and the first think times (from 4 s on): the
# achieved rate against what 3,000 users at 2 s mean think time offer.
rate=$(python3 -c "
import csv
rows = list(csv.DictReader(open('$QVR_TMP/u3000/timeseries.csv')))
# whole windows only (the last one, after the duration, is a sliver)
t = [float(r['time_s']) for r in rows]
keep = [i for i in range(1, len(rows)) if t[i] > 4.0 and t[i] - t[i - 1] > 0.9]
print(round(sum(int(rows[i]['requests']) for i in keep) / sum(t[i] - t[i - 1] for i in keep)))")
assert_near "$rate" 1500 150 "achieved ${rate} req/s of the 1,500 offered (+-10%)"
per_user=$(( (big - small) * 1024 / 2900 ))
assert_le "$per_user" 6144 "RSS per thinking user ${per_user} B (3,000 users ${big} kB, 100 users ${small} kB)"
finish
