#!/usr/bin/env bash
# bench/run-all.sh [GEN_CORE] [SERVER_CORE] [SECONDS] [RUNS] -- what
# `make bench` runs: the throughput comparison (bench/throughput.sh), which
# rewrites bench/RESULTS.md, then the latency overhead above a 20 ms server
# (bench/overhead.sh), start-up (bench/startup.sh) and the scale figures with
# 5 s runs (bench/scale.sh), each adding its section. Bounded to under 10
# minutes as a whole; the defaults (0 1 10 3) take about 8. The 10-minute
# memory run (bench/memory.sh 10) is separate. Loopback only.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
gen=${1:-${QVR_BENCH_GEN_CORE:-0}}
srv=${2:-${QVR_BENCH_SERVER_CORE:-1}}
secs=${3:-${QVR_BENCH_SECONDS:-10}}
runs=${4:-${QVR_BENCH_RUNS:-3}}

# Five generators, RUNS runs of SECONDS each, plus start-up, then three
# overhead runs: refuse a plan that cannot finish inside the budget rather
# than cutting it short.
if ((5 * runs * (secs + 4) + 3 * (secs + 3) + 40 + 170 > 570)); then
    echo "run-all: $runs runs of ${secs}s do not fit in 10 minutes" >&2
    exit 2
fi
# How busy the machine is right now (1 s of /proc/stat), before we start.
busy()
{
    awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6; exit }' \
        /proc/stat
}
read -r b0 i0 < <(busy)
sleep 1
read -r b1 i1 < <(busy)
pct=$(( (b1 - b0) * 100 / ((b1 - b0) + (i1 - i0) + 1) ))
if ((pct > 15)); then
    echo "run-all: the machine is already ${pct}% busy: other work is" \
        "running and the figures will be low (see the 'rest CPU %' column)" >&2
fi
start=$SECONDS
timeout -k 10 480 bash "$here/throughput.sh" "$gen" "$srv" "$secs" "$runs"
timeout -k 10 $((585 - (SECONDS - start))) \
    bash "$here/overhead.sh" "$gen" "$srv" "$secs" 20ms 10
timeout -k 5 30 bash "$here/startup.sh" 5
left=$((560 - (SECONDS - start)))
if ((left > 170)); then
    timeout -k 10 "$left" bash "$here/scale.sh" "$gen" "$srv" 5 3 10000
else
    echo "run-all: no time left for bench/scale.sh" >&2
fi
echo "run-all: done in $((SECONDS - start)) s" >&2
