#!/usr/bin/env bash
# bench/callgrind.sh [QVRRUN...] -- instructions per request inside the event
# loop: callgrind counts only under event_base_loop while 50 users load an
# nginx on loopback (bench/qvrrun_bench.lua). Each binary runs twice, for
# QVR_CG_SHORT and QVR_CG_LONG seconds (default 3 and 9); the figure is the
# slope, (instructions long - short) / (requests long - short), so start-up,
# drain and the result writing cancel out. Instruction counts do not depend
# on how busy the machine is, so this compares binaries on a shared machine
# where req/s cannot. No benchmark runs in CI.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
export QVR_SRC_DIR=$src
# shellcheck source=../tests/e2e/lib.sh
source "$src/tests/e2e/lib.sh"
qvr_tmpdir
SHORT=${QVR_CG_SHORT:-3}
LONG=${QVR_CG_LONG:-9}
start_nginx
bins=("$@")
[[ ${#bins[@]} -gt 0 ]] || bins=("$src/build/qvrrun")

# measure BIN SECONDS: prints "INSTRUCTIONS REQUESTS"
measure()
{
    local out=$QVR_TMP/cg-$RANDOM ir reqs
    valgrind --tool=callgrind --callgrind-out-file="$out.cg" \
        --collect-atstart=no --toggle-collect=event_base_loop \
        "$1" "$src/bench/qvrrun_bench.lua" --target "$NGINX_URL" \
        --duration "$2s" --quiet --no-plots --out "$out" \
        >/dev/null 2>"$out.err" || true
    ir=$(callgrind_annotate "$out.cg" 2>/dev/null |
        awk '/PROGRAM TOTALS/ { gsub(",", "", $1); if (!n++) print $1 }')
    reqs=$(json_get "$out/summary.json" "d['totals']['requests']")
    echo "$ir $reqs"
}

for bin in "${bins[@]}"; do
    read -r i1 r1 < <(measure "$bin" "$SHORT")
    read -r i2 r2 < <(measure "$bin" "$LONG")
    printf '%s: %d instructions per request (%d requests in %ss, %d in %ss)\n' \
        "$bin" $(((i2 - i1) / (r2 - r1))) "$r1" "$SHORT" "$r2" "$LONG"
done
