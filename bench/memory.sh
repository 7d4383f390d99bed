#!/usr/bin/env bash
# bench/memory.sh [MINUTES] [USERS] -- memory must stay flat: qvrrun at full
# rate (USERS users, no think time) against a local nginx for MINUTES
# (default 2; the issue's figure is for 10), RSS sampled every 5 s from
# /proc. Reports the growth after the first minute and appends it to
# bench/RESULTS.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
minutes=${1:-2}
users=${2:-50}
source "$here/../tests/e2e/lib.sh"
# shellcheck source=section.sh
source "$here/section.sh"
qvr_tmpdir
QVR_NGINX_ACCESS_LOG=off start_nginx
"$QVRRUN" "$here/qvrrun_bench.lua" --target "$NGINX_URL" --users "$users" \
    --duration "${minutes}m" --quiet --no-plots --out "$QVR_TMP/r" >/dev/null &
pid=$!
samples=()
for ((t = 0; t < minutes * 60; t += 5)); do
    sleep 5
    rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo "")
    [[ -n "$rss" ]] && samples+=("$t:$rss")
done
wait "$pid" || true
read -r at60 last peak < <(printf '%s\n' "${samples[@]}" | awk -F: '
    $1 >= 60 && !a { a = $2 } { l = $2; if ($2 > p) p = $2 }
    END { print a, l, p }')
growth=$(( (last - at60) ))
req=$(json_get "$QVR_TMP/r/summary.json" 'd["totals"]["requests"]')
echo "memory: RSS ${at60} kB at 1 min, ${last} kB at ${minutes} min (growth ${growth} kB), peak ${peak} kB, ${req} requests"
section=$QVR_TMP/section.md
{
    echo "## Memory over a long run"
    echo
    echo "Written by \`bench/memory.sh $minutes $users\` on $(date -u '+%Y-%m-%d %H:%M') UTC: $users users"
    echo "without think time against nginx for $minutes min, $req requests. RSS ${at60} kB"
    echo "after the first minute, ${last} kB at the end: growth **${growth} kB** (goal:"
    echo "<= 2048 kB over 10 min); peak ${peak} kB."
    echo
} >"$section"
put_section "${QVR_BENCH_RESULTS:-$here/RESULTS.md}" "$section"
cat "$section"
