#!/usr/bin/env bash
# bench/overhead.sh [GEN_CORE] [SERVER_CORE] [SECONDS] [DELAY] [USERS]
#
# How much latency the generator adds: a server that answers after a fixed
# DELAY (tests/fixture/qvr_delay_server, which logs its own service time per
# request) is driven by USERS keep-alive connections for SECONDS by qvrrun,
# wrk (--latency) and the reference curl_poll loop, one after the other; each
# one's p50 and p99 are compared with the server's own p50 and p99 for the
# same requests (not with the nominal delay: timers fire late). Replaces the
# "Overhead" section of bench/RESULTS.md (or $QVR_BENCH_RESULTS).
#
# Defaults: 0 1 10 20ms 10.
set -euo pipefail

GEN_CORE=${1:-0}
SERVER_CORE=${2:-1}
SECS=${3:-10}
DELAY=${4:-20ms}
USERS=${5:-10}

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
export QVR_SRC_DIR=$src
# shellcheck source=../tests/e2e/lib.sh
source "$src/tests/e2e/lib.sh"
# shellcheck source=section.sh
source "$here/section.sh"
qvr_tmpdir
RESULTS=${QVR_BENCH_RESULTS:-$here/RESULTS.md}

log() { echo "[overhead] $*" >&2; }

pin=(taskset -c "$GEN_CORE")
spin=(taskset -c "$SERVER_CORE")
if ! taskset -c "$GEN_CORE" true 2>/dev/null ||
    ! taskset -c "$SERVER_CORE" true 2>/dev/null; then
    log "cores $GEN_CORE/$SERVER_CORE not available: running unpinned"
    pin=()
    spin=()
fi

# The fixture: the CMake build's, or built here (it needs only libevent).
if [[ ! -x "$QVR_BIN_DIR/qvr_delay_server" ]]; then
    QVR_BIN_DIR=$QVR_TMP/bin
    mkdir -p "$QVR_BIN_DIR"
    # shellcheck disable=SC2046 # pkg-config output is meant to split
    gcc -std=c11 -D_GNU_SOURCE -O2 "$src/tests/fixture/qvr_delay_server.c" \
        -o "$QVR_BIN_DIR/qvr_delay_server" $(pkg-config --cflags --libs libevent)
fi
REF_DIR=$(bash "$here/ref/build.sh" "$QVR_TMP/ref")

# bg_run OUT CMD...: CMD pinned and time-bounded, in the background and
# waited for (so an interrupt reaches the EXIT trap at once); its status.
bg_run()
{
    local out=$1 p
    shift
    "${pin[@]}" timeout -k 5 $((SECS + 60)) "$@" </dev/null >"$out" 2>&1 &
    p=$!
    qvr_track "$p"
    wait "$p"
}

# Prints "p50 p99" in ms of the service times (us) in a delay-server log.
server_pcts()
{
    awk '{ print $3 }' "$1" | sort -n | awk '{ v[NR] = $1 } END {
        if (NR == 0) exit 1;
        i50 = int(0.50 * NR + 0.5); if (i50 < 1) i50 = 1;
        i99 = int(0.99 * NR + 0.5); if (i99 < 1) i99 = 1;
        printf "%.3f %.3f %d\n", v[i50] / 1000, v[i99] / 1000, NR }'
}

# wrk's "50% 20.31ms" lines, in ms.
wrk_pct()
{
    awk -v p="$2" '$1 == p {
        v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
        if (u == "us") v /= 1000; else if (u == "s") v *= 1000;
        printf "%.3f\n", v }' "$1"
}

declare -A P50 P99 S50 S99 N NOTE
GENS=(qvrrun wrk curl_poll)
for g in "${GENS[@]}"; do P50[$g]="" P99[$g]="" NOTE[$g]=""; done

for g in "${GENS[@]}"; do
    start_delay_server "$DELAY"
    if ((${#spin[@]} > 0)); then
        taskset -pc "$SERVER_CORE" "$DELAY_PID" >/dev/null
    fi
    out=$QVR_TMP/$g.out
    rc=0
    case $g in
    qvrrun)
        if [[ ! -x "$QVRRUN" ]]; then
            NOTE[$g]="not yet measured: $QVRRUN is not built"
            kill -TERM "$DELAY_PID"
            continue
        fi
        bg_run "$out" "$QVRRUN" "$src/bench/qvrrun_bench.lua" \
            --users "$USERS" --duration "${SECS}s" --target "$DELAY_URL" \
            --quiet --no-plots --force --out "$QVR_TMP/q" || rc=$?
        if [[ -f "$QVR_TMP/q/summary.json" ]]; then
            P50[$g]=$(json_get "$QVR_TMP/q/summary.json" 'd["totals"]["latency_ms"]["p50"]')
            P99[$g]=$(json_get "$QVR_TMP/q/summary.json" 'd["totals"]["latency_ms"]["p99"]')
        else
            NOTE[$g]="not yet measured: run failed (exit $rc)"
        fi ;;
    wrk)
        bg_run "$out" wrk -t1 "-c$USERS" "-d${SECS}s" --latency \
            -s "$src/bench/wrk_rerank.lua" "$DELAY_URL" || rc=$?
        P50[$g]=$(wrk_pct "$out" 50%)
        P99[$g]=$(wrk_pct "$out" 99%) ;;
    curl_poll)
        bg_run "$out" "$REF_DIR/curl_poll" "$DELAY_URL/api/rerank" \
            "$USERS" "$SECS" || rc=$?
        P50[$g]=$(awk '$1 == "requests" { printf "%.3f", $12 / 1000 }' "$out")
        P99[$g]=$(awk '$1 == "requests" { printf "%.3f", $14 / 1000 }' "$out") ;;
    esac
    kill -TERM "$DELAY_PID"
    wait "$DELAY_PID" 2>/dev/null || true
    read -r S50[$g] S99[$g] N[$g] < <(server_pcts "$DELAY_LOG" || echo "- - 0")
    log "$g: p50 ${P50[$g]:-?} ms, p99 ${P99[$g]:-?} ms; server p50 ${S50[$g]} ms," \
        "p99 ${S99[$g]} ms over ${N[$g]} requests (rc $rc)"
done

section=$QVR_TMP/overhead.md
{
    echo "## Overhead above a ${DELAY} server"
    echo
    echo "Written by \`bench/overhead.sh $GEN_CORE $SERVER_CORE $SECS $DELAY $USERS\`"
    echo "on $(date -u '+%Y-%m-%d %H:%M UTC'). \`qvr_delay_server --delay $DELAY\`"
    echo "(pinned to core $SERVER_CORE) logs its own service time per request; each"
    echo "generator (pinned to core $GEN_CORE) keeps $USERS connections busy for"
    echo "${SECS} s with the same JSON POST as above, against a fresh server. Goal"
    echo "(issue 9): qvrrun's p50 <= 0.15 ms and p99 <= 0.4 ms above the server's."
    echo
    echo "| generator | p50 ms | p99 ms | server p50 ms | server p99 ms | p50 above server | p99 above server | requests |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|"
    for g in "${GENS[@]}"; do
        if [[ -z "${P50[$g]}" || -z "${P99[$g]}" ]]; then
            echo "| $g | **${NOTE[$g]:-no figure}** | | | | | | |"
            continue
        fi
        awk -v g="$g" -v a="${P50[$g]}" -v b="${P99[$g]}" -v c="${S50[$g]}" \
            -v d="${S99[$g]}" -v n="${N[$g]}" 'BEGIN {
            printf "| %s | %.3f | %.3f | %.3f | %.3f | %+.3f | %+.3f | %d |\n",
                g, a, b, c, d, a - c, b - d, n }'
    done
    echo
    echo "wrk's percentiles are its own (\`--latency\`); curl_poll's come from a"
    echo "1 us histogram of add-to-multi → completion; qvrrun's are"
    echo "\`totals.latency_ms\` of summary.json."
} >"$section"

put_section "$RESULTS" "$section"
log "wrote the overhead section of $RESULTS"
cat "$section"
