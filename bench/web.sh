#!/usr/bin/env bash
# bench/web.sh [GEN_CORE] [SERVER_CORE] [SECONDS] [RUNS]
#
# What the live dashboard costs the generator: bench/qvrrun_bench.lua (50
# users, no think time) against nginx, RUNS pairs of runs of SECONDS each,
# one without --web and one with --web and one client reading the event
# stream (curl -N on /events, as a browser's EventSource does), their order
# alternating from pair to pair; the median req/s of each and their ratio.
# Replaces the "Dashboard (--web)" section of bench/RESULTS.md (or
# $QVR_BENCH_RESULTS). Defaults: 0 1 10 5.
set -euo pipefail

GEN_CORE=${1:-0}
SERVER_CORE=${2:-1}
SECS=${3:-10}
RUNS=${4:-5}

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
export QVR_SRC_DIR=$src
# shellcheck source=../tests/e2e/lib.sh
source "$src/tests/e2e/lib.sh"
# shellcheck source=section.sh
source "$here/section.sh"
qvr_tmpdir
RESULTS=${QVR_BENCH_RESULTS:-$here/RESULTS.md}
log() { echo "[web] $*" >&2; }

pin=(taskset -c "$GEN_CORE")
if ! taskset -c "$GEN_CORE" true 2>/dev/null ||
    ! taskset -c "$SERVER_CORE" true 2>/dev/null; then
    log "cores $GEN_CORE/$SERVER_CORE not available: running unpinned"
    pin=()
    SERVER_CORE=
fi
QVR_NGINX_CPU=$SERVER_CORE QVR_NGINX_ACCESS_LOG=off start_nginx
LOAD_BEFORE=$(cut -d" " -f1-3 /proc/loadavg)

# one_run NAME WEB: runs qvrrun (WEB 1: with --web and a client on
# /events); its summary is $QVR_TMP/NAME/summary.json
one_run()
{
    local name=$1 web=$2 out=$QVR_TMP/$1 err=$QVR_TMP/$1.err pid url curl_pid i
    local args=("$src/bench/qvrrun_bench.lua" --users 50 --duration "${SECS}s"
        --target "$NGINX_URL" --quiet --no-plots --out "$out")
    [[ $web == 1 ]] && args+=(--web 127.0.0.1:0)
    : >"$err"
    "${pin[@]}" "$QVRRUN" "${args[@]}" </dev/null >/dev/null 2>"$err" &
    pid=$!
    qvr_track "$pid"
    curl_pid=
    if [[ $web == 1 ]]; then
        url=
        for ((i = 0; i < 200; i++)); do
            url=$(grep -m 1 '^qvrrun: dashboard at ' "$err" | cut -d' ' -f4 || true)
            [[ -n "$url" ]] && break
            sleep 0.02
        done
        [[ -n "$url" ]] || fail "$name: no dashboard URL"
        curl -sN "${url}events" >"$QVR_TMP/$name.events" 2>/dev/null &
        curl_pid=$!
        qvr_track "$curl_pid"
    fi
    wait "$pid" || fail "$name: qvrrun failed"
    if [[ -n "$curl_pid" ]]; then
        wait "$curl_pid" 2>/dev/null || true
        grep -q '^event: window' "$QVR_TMP/$name.events" ||
            fail "$name: the client got no window"
    fi
}

rps() { json_get "$QVR_TMP/$1/summary.json" 'd["totals"]["rps"]'; }

off=() on=()
for ((r = 1; r <= RUNS; r++)); do
    if ((r % 2)); then
        one_run "off$r" 0
        one_run "on$r" 1
    else
        one_run "on$r" 1
        one_run "off$r" 0
    fi
    off+=("$(rps "off$r")")
    on+=("$(rps "on$r")")
    log "pair $r: without ${off[-1]} req/s, with --web ${on[-1]} req/s"
done
LOAD_AFTER=$(cut -d" " -f1-3 /proc/loadavg)

read -r MOFF MON RATIO < <(python3 - "${off[*]}" "${on[*]}" <<'PY'
import statistics, sys
off = [float(x) for x in sys.argv[1].split()]
on = [float(x) for x in sys.argv[2].split()]
a, b = statistics.median(off), statistics.median(on)
print("%.0f %.0f %.4f" % (a, b, b / a))
PY
)
sec=$QVR_TMP/section.md
{
    echo "## Dashboard (--web)"
    echo
    echo "\`bench/web.sh $GEN_CORE ${SERVER_CORE:-any} $SECS $RUNS\`, $(date -u +%Y-%m-%d):"
    echo "qvrrun_bench.lua, 50 users, no think time, against nginx; $RUNS pairs"
    echo "of ${SECS} s runs, alternating which goes first; with --web one client"
    echo "reads /events the whole run. Load average before: $LOAD_BEFORE, after:"
    echo "$LOAD_AFTER."
    echo
    echo "| | median req/s | runs |"
    echo "|---|---:|---|"
    echo "| without --web | $MOFF | ${off[*]} |"
    echo "| --web, one client | $MON | ${on[*]} |"
    echo
    echo "Ratio with/without: $RATIO (the dashboard's budget is 0.98 or more)."
} >"$sec"
put_section "$RESULTS" "$sec"
cat "$sec"
