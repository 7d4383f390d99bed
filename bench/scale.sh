#!/usr/bin/env bash
# bench/scale.sh [GEN_CORE] [SERVER_CORE] [SECONDS] [RUNS] [THINK_USERS]
#
# The scale figures of issue 7, written to the "## Scale" section of
# bench/RESULTS.md (or $QVR_BENCH_RESULTS; other sections are kept):
#
#  1. Many connections: qvrrun and wrk (-t1) with 50 and with 5,000 users
#     (connections) without think time against one nginx worker pinned to
#     SERVER_CORE, the generator pinned to GEN_CORE; the figure is the
#     5,000-user rate as a share of the same tool's 50-user rate.
#  2. Many thinking users: THINK_USERS (default 10,000) users with
#     between(1, 3) think time (bench/qvrrun_bench.lua -e THINK=1) against
#     `qvrrun mock --profile fast` in its own process on SERVER_CORE, for
#     max(SECONDS, 30) s plus the spawn: all users running, the achieved rate
#     against the THINK_USERS / 2 offered, peak RSS per user.
#  3. Threads: --threads 1 against --threads 2, 50 users, against an nginx
#     with 2 workers, nothing pinned (on a 2-core machine the generator and
#     nginx share the cores).
#
# Defaults: 0 1 10 3 10000. Loopback only; every run is bounded by timeout.
set -euo pipefail

GEN_CORE=${1:-0}
SERVER_CORE=${2:-1}
SECS=${3:-10}
RUNS=${4:-3}
THINK_USERS=${5:-10000}
[[ "$SECS" =~ ^[0-9]+$ && "$RUNS" =~ ^[0-9]+$ && "$THINK_USERS" =~ ^[0-9]+$ &&
    $SECS -ge 1 && $RUNS -ge 1 && $THINK_USERS -ge 100 ]] ||
    { echo "usage: $0 [GEN_CORE] [SERVER_CORE] [SECONDS] [RUNS] [THINK_USERS]" >&2; exit 2; }

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
export QVR_SRC_DIR=$src
# shellcheck source=../tests/e2e/lib.sh
source "$src/tests/e2e/lib.sh"
# shellcheck source=section.sh
source "$here/section.sh"
qvr_tmpdir
RESULTS=${QVR_BENCH_RESULTS:-$here/RESULTS.md}
log() { echo "[scale] $*" >&2; }
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

median()
{
    tr ' ' '\n' | awk 'NF' | sort -g | awk '{ v[NR] = $1 }
        END { if (NR == 0) exit; if (NR % 2) print v[(NR + 1) / 2];
              else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }

# --- 1. many connections -----------------------------------------------------
QVR_NGINX_CPU=$SERVER_CORE QVR_NGINX_ACCESS_LOG=off start_nginx
URL=$NGINX_URL
declare -A R
for key in q50 q5000 w50 w5000; do R[$key]=""; done
for ((run = 1; run <= RUNS; run++)); do
    for c in 50 5000; do
        out=$QVR_TMP/q$c.$run
        # Spawn all users at once; the rate counts from the end of the warm-up
        # second, not from the connection storm.
        if timeout -k 5 $((SECS + 60)) taskset -c "$GEN_CORE" "$QVRRUN" \
            "$here/qvrrun_bench.lua" --users "$c" --spawn-rate 100000 \
            --duration "${SECS}s" --threads 1 --target "$URL" --quiet --no-plots \
            --out "$out" >"$out.log" 2>&1 &&
            [[ -f "$out/summary.json" ]]; then
            fails=$(json_get "$out/summary.json" 'd["totals"]["failures"]')
            if [[ "$fails" == 0 ]]; then
                R[q$c]+="$(json_get "$out/summary.json" 'd["totals"]["rps"]') "
            else
                log "qvrrun $c users run $run: $fails failed requests: no figure"
            fi
        else
            log "qvrrun $c users run $run failed: $(tail -n 2 "$out.log")"
        fi
        wout=$QVR_TMP/w$c.$run
        timeout -k 5 $((SECS + 30)) taskset -c "$GEN_CORE" wrk -t1 "-c$c" \
            "-d${SECS}s" -s "$here/wrk_rerank.lua" "$URL" >"$wout" 2>&1 || true
        if ! grep -q -e 'Non-2xx' -e 'Socket errors' "$wout"; then
            R[w$c]+="$(awk '/^Requests\/sec:/ { print $2 }' "$wout") "
        else
            log "wrk $c connections run $run had errors: no figure"
        fi
        log "run $run, $c connections: qvrrun ${R[q$c]:-} | wrk ${R[w$c]:-}"
    done
done
kill -TERM "$NGINX_PID" 2>/dev/null || true
declare -A M
for key in q50 q5000 w50 w5000; do M[$key]=$(echo "${R[$key]}" | median); done

# --- 2. many thinking users ---------------------------------------------------
TSECS=$((SECS > 30 ? SECS : 30))
MOCK_PORT=$(free_port)
taskset -c "$SERVER_CORE" "$QVRRUN" mock --profile fast \
    --listen "127.0.0.1:$MOCK_PORT" --queue 100000 >"$QVR_TMP/mock.log" 2>&1 &
MOCK_PID=$!
qvr_track "$MOCK_PID"
wait_port "$MOCK_PORT" "$MOCK_PID" 10 || { log "mock did not start"; cat "$QVR_TMP/mock.log" >&2; exit 1; }
SPAWN=2000
think_out=$QVR_TMP/think
timeout -k 5 $((TSECS + 120)) taskset -c "$GEN_CORE" /usr/bin/time -f '%M' \
    -o "$QVR_TMP/think.rss" "$QVRRUN" "$here/qvrrun_bench.lua" -e THINK=1 \
    --users "$THINK_USERS" --spawn-rate "$SPAWN" --duration "${TSECS}s" \
    --threads 1 --target "http://127.0.0.1:$MOCK_PORT" --quiet --no-plots \
    --out "$think_out" >"$QVR_TMP/think.log" 2>&1 || true
kill -TERM "$MOCK_PID" 2>/dev/null || true
T_RSS=$(tail -n 1 "$QVR_TMP/think.rss" 2>/dev/null || echo 0)
if [[ -f "$think_out/summary.json" ]]; then
    read -r T_REQ T_FAIL T_RPS T_PEAKU < <(python3 - "$think_out" <<'EOF'
import csv, json, sys
d = json.load(open(sys.argv[1] + "/summary.json"))
t = d["totals"]
peak = 0
try:
    for row in csv.DictReader(open(sys.argv[1] + "/timeseries.csv")):
        peak = max(peak, int(float(row.get("users", 0) or 0)))
except OSError:
    pass
print(t["requests"], t["failures"], t["rps"], peak)
EOF
)
else
    log "the thinking-users run wrote no summary: $(tail -n 3 "$QVR_TMP/think.log")"
    T_REQ=0 T_FAIL=0 T_RPS=0 T_PEAKU=0
fi
OFFERED=$((THINK_USERS / 2))
# The offered rate once every user runs is USERS / 2. Over the whole run: a
# user sends its first request when it is spawned (the spawn takes
# USERS / SPAWN s), then one per 2 s on average until the end.
AVG_OFFERED=$(awk -v u="$THINK_USERS" -v s="$SPAWN" -v t="$TSECS" 'BEGIN {
    ramp = u / s; if (ramp > t) ramp = t;
    printf "%.0f", u * (1 + (t - ramp / 2) / 2) / t }')

# --- 3. threads -----------------------------------------------------------------
QVR_NGINX_WORKERS=2 QVR_NGINX_ACCESS_LOG=off start_nginx
declare -A TH
TH[1]="" TH[2]=""
for ((run = 1; run <= RUNS; run++)); do
    for t in 1 2; do
        out=$QVR_TMP/t$t.$run
        timeout -k 5 $((SECS + 60)) "$QVRRUN" "$here/qvrrun_bench.lua" \
            --users 50 --duration "${SECS}s" --threads "$t" --target "$NGINX_URL" \
            --quiet --no-plots --out "$out" >"$out.log" 2>&1 || true
        [[ -f "$out/summary.json" ]] &&
            TH[$t]+="$(json_get "$out/summary.json" 'd["totals"]["rps"]') "
    done
done
kill -TERM "$NGINX_PID" 2>/dev/null || true
TH1=$(echo "${TH[1]}" | median)
TH2=$(echo "${TH[2]}" | median)

# --- write ------------------------------------------------------------------------
section=$QVR_TMP/section.md
{
    echo "## Scale"
    echo
    echo "Written by \`bench/scale.sh $GEN_CORE $SERVER_CORE $SECS $RUNS $THINK_USERS\` on $(date -u '+%Y-%m-%d %H:%M') UTC"
    echo "($("$QVRRUN" --version 2>/dev/null | paste -sd " " -); medians of $RUNS runs; the machine as above)."
    echo
    echo "**Many connections**: no think time, one nginx worker on core $SERVER_CORE, the"
    echo "generator on core $GEN_CORE, ${SECS} s per run."
    echo
    echo "| generator | 50 connections req/s | 5,000 connections req/s | 5,000 ÷ 50 | goal |"
    echo "|---|---:|---:|---:|---|"
    echo "| qvrrun (1 worker) | ${M[q50]:--} | ${M[q5000]:--} | $(ratio "${M[q5000]:-0}" "${M[q50]:-0}") | >= 0.50 (issue 7; wrk's share there: 0.63) |"
    echo "| wrk -t1 (Lua body) | ${M[w50]:--} | ${M[w5000]:--} | $(ratio "${M[w5000]:-0}" "${M[w50]:-0}") | |"
    echo
    echo "Runs (req/s): qvrrun 50: ${R[q50]:-none}; 5,000: ${R[q5000]:-none}; wrk 50: ${R[w50]:-none}; 5,000: ${R[w5000]:-none}."
    echo
    echo "**Many thinking users**: $THINK_USERS users, \`between(1, 3)\`, spawned at $SPAWN/s, for ${TSECS} s"
    echo "against \`qvrrun mock --profile fast\` in its own process (core $SERVER_CORE), qvrrun on core $GEN_CORE."
    echo
    echo "| users running at peak | requests | failed | achieved req/s | offered req/s (whole run: first request at spawn, then one per 2 s) | achieved ÷ offered | peak RSS | RSS per user |"
    echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
    echo "| $T_PEAKU | $T_REQ | $T_FAIL | $T_RPS | $AVG_OFFERED (steady: $OFFERED) | $(ratio "$T_RPS" "$AVG_OFFERED") | $((T_RSS / 1024)) MB | $(awk -v r="$T_RSS" -v u="$THINK_USERS" 'BEGIN { printf "%.1f KB", r / u }') |"
    echo
    echo "Goal (issue 7): all users run, achieved within 5% of offered, <= 12 KB per user"
    echo "(k6 publishes 1-5 MB per VU; Locust about 23 KB per user here; wrk about 5 KB per bare connection)."
    echo
    echo "**Threads**: 50 users, no think time, nginx with 2 workers, nothing pinned:"
    echo "\`--threads 1\` ${TH1:--} req/s, \`--threads 2\` ${TH2:--} req/s ($(ratio "${TH2:-0}" "${TH1:-0}")x; runs: ${TH[1]:-none} / ${TH[2]:-none})."
    echo "On this 2-core machine the generator and nginx share the cores; a larger"
    echo "machine shows the scaling with the same script."
    echo
} >"$section"

put_section "$RESULTS" "$section"
cat "$section"
