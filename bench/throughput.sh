#!/usr/bin/env bash
# bench/throughput.sh [GEN_CORE] [SERVER_CORE] [SECONDS] [RUNS]
#
# Requests per second of one generator core, side by side: qvrrun, wrk (Lua
# request() building a JSON body per request), hey, locust (FastHttpUser,
# one process) and the reference libcurl curl_multi_poll loop (bench/ref),
# each with 50 keep-alive connections against the same nginx (one worker,
# pinned to SERVER_CORE, no access log), the generator pinned to GEN_CORE,
# SECONDS per run, RUNS runs interleaved. Writes the medians, the ratios and
# the machine to bench/RESULTS.md (or $QVR_BENCH_RESULTS).
#
# Defaults: 0 1 10 3. Environment: QVRRUN (default build/qvrrun),
# QVR_BENCH_GENS (a subset of the generators, space-separated).
set -euo pipefail

GEN_CORE=${1:-0}
SERVER_CORE=${2:-1}
SECS=${3:-10}
RUNS=${4:-3}
CONNS=50

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
export QVR_SRC_DIR=$src
# shellcheck source=../tests/e2e/lib.sh
source "$src/tests/e2e/lib.sh"
qvr_tmpdir
RESULTS=${QVR_BENCH_RESULTS:-$here/RESULTS.md}
LOCUST=/usr/bin/locust
[[ -x $LOCUST ]] || LOCUST=$(command -v locust || echo locust)

[[ "$SECS" =~ ^[0-9]+$ && "$RUNS" =~ ^[0-9]+$ && $SECS -ge 1 && $RUNS -ge 1 ]] ||
    { echo "usage: $0 [GEN_CORE] [SERVER_CORE] [SECONDS] [RUNS]" >&2; exit 2; }

log() { echo "[throughput] $*" >&2; }

# --- tools ------------------------------------------------------------------
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v hey >/dev/null || missing+=(hey)
[[ -x $LOCUST ]] || command -v locust >/dev/null || missing+=(python3-locust)
command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || missing+=(nginx-light)
if ((${#missing[@]} > 0)); then
    log "installing ${missing[*]}"
    if [[ $(id -u) -eq 0 ]]; then
        apt-get install -y -q "${missing[@]}" >&2 ||
            { apt-get update -q >&2 && apt-get install -y -q "${missing[@]}" >&2; } ||
            log "could not install ${missing[*]}"
    elif command -v sudo >/dev/null; then
        sudo apt-get install -y -q "${missing[@]}" >&2 ||
            log "could not install ${missing[*]}"
    fi
fi

pin=(taskset -c "$GEN_CORE")
if ! taskset -c "$GEN_CORE" true 2>/dev/null ||
    ! taskset -c "$SERVER_CORE" true 2>/dev/null; then
    log "cores $GEN_CORE/$SERVER_CORE not available: running unpinned"
    pin=()
    SERVER_CORE=
fi

REF_DIR=$(bash "$here/ref/build.sh" "$QVR_TMP/ref")
BODY_FILE=$QVR_TMP/body.json
printf '{"query":"q1","documents":["a","b","c"]}' >"$BODY_FILE"

QVR_NGINX_CPU=$SERVER_CORE QVR_NGINX_ACCESS_LOG=off start_nginx
URL=$NGINX_URL
NGINX_WORKER=$(pgrep -P "$NGINX_PID" | head -n 1 || true)
TCK=$(getconf CLK_TCK)
log "nginx on $URL (worker pid ${NGINX_WORKER:-?}, core ${SERVER_CORE:-any})"

read -r -a GENS <<<"${QVR_BENCH_GENS:-qvrrun wrk hey locust curl_poll}"
declare -A RPS CMD NOTE CPU RSS SRV OTH
for g in "${GENS[@]}"; do
    RPS[$g]="" CPU[$g]="" RSS[$g]="" SRV[$g]="" OTH[$g]="" NOTE[$g]=""
done
LOAD_BEFORE=$(cut -d" " -f1-3 /proc/loadavg)

# The command line of one generator, one word per line of the array GEN_CMD.
gen_cmd()
{
    local g=$1 run=$2
    case $g in
    qvrrun)
        GEN_CMD=("$QVRRUN" "$src/bench/qvrrun_bench.lua" --users "$CONNS"
            --duration "${SECS}s" --target "$URL" --quiet --no-plots
            --out "$QVR_TMP/q$run") ;;
    wrk)
        GEN_CMD=(wrk -t1 "-c$CONNS" "-d${SECS}s" -s "$src/bench/wrk_rerank.lua"
            "$URL") ;;
    hey)
        GEN_CMD=(hey -z "${SECS}s" -c "$CONNS" -m POST -T application/json
            -D "$BODY_FILE" "$URL/api/rerank") ;;
    locust)
        GEN_CMD=("$LOCUST" --headless -f "$src/bench/locustfile.py"
            -u "$CONNS" -r "$CONNS" -t "${SECS}s" -H "$URL"
            --csv "$QVR_TMP/locust$run" --only-summary --loglevel WARNING) ;;
    curl_poll)
        GEN_CMD=("$REF_DIR/curl_poll" "$URL/api/rerank" "$CONNS" "$SECS") ;;
    esac
}

# Prints the rps figure from a finished run's output, or nothing.
parse_rps()
{
    local g=$1 run=$2 out=$3
    case $g in
    qvrrun)
        [[ -f "$QVR_TMP/q$run/summary.json" ]] &&
            json_get "$QVR_TMP/q$run/summary.json" 'd["totals"]["rps"]' ;;
    wrk)
        grep -q 'Non-2xx' "$out" && return 0
        awk '/^Requests\/sec:/ { print $2 }' "$out" ;;
    hey)
        awk '/Requests\/sec:/ { print $2 }' "$out" ;;
    locust)
        [[ -f "$QVR_TMP/locust${run}_stats.csv" ]] &&
            python3 - "$QVR_TMP/locust${run}_stats.csv" <<'EOF'
import csv, sys
for row in csv.DictReader(open(sys.argv[1])):
    if row["Name"] == "Aggregated" and row["Failure Count"] == "0":
        print(row["Requests/s"])
EOF
        ;;
    curl_poll)
        awk '$1 == "requests" && $6 == 0 { print $10 }' "$out" ;;
    esac
}

worker_ticks()
{
    if [[ -n "$NGINX_WORKER" && -r /proc/$NGINX_WORKER/stat ]]; then
        awk '{ print $14 + $15 }' "/proc/$NGINX_WORKER/stat"
    else
        echo 0
    fi
}

# Busy ticks of the whole machine (all cores) from /proc/stat.
busy_ticks()
{
    awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat
}

median()
{
    tr ' ' '\n' | awk 'NF' | sort -g | awk '{ v[NR] = $1 }
        END { if (NR == 0) exit; if (NR % 2) print v[(NR + 1) / 2];
              else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

qvrrun_ok=1
if [[ ! -x "$QVRRUN" ]]; then
    qvrrun_ok=0
    NOTE[qvrrun]="not yet measured: $QVRRUN is not built"
fi

for ((run = 1; run <= RUNS; run++)); do
    for g in "${GENS[@]}"; do
        if [[ $g == qvrrun && $qvrrun_ok -eq 0 ]]; then
            continue
        fi
        gen_cmd "$g" "$run"
        [[ -n "${CMD[$g]:-}" ]] ||
            CMD[$g]=$(printf '%q ' "${pin[@]}" "${GEN_CMD[@]}")
        out=$QVR_TMP/$g.$run.out
        tf=$QVR_TMP/$g.$run.time
        t0=$(worker_ticks)
        b0=$(busy_ticks)
        rc=0
        # In the background and waited for, so an interrupt reaches the
        # EXIT trap (which stops it and nginx) at once.
        "${pin[@]}" /usr/bin/time -f '%e %U %S %M' -o "$tf" \
            timeout -k 5 $((SECS + 60)) "${GEN_CMD[@]}" \
            </dev/null >"$out" 2>&1 &
        gpid=$!
        qvr_track "$gpid"
        wait "$gpid" || rc=$?
        t1=$(worker_ticks)
        b1=$(busy_ticks)
        rps=$(parse_rps "$g" "$run" "$out" || true)
        if [[ -z "$rps" ]]; then
            log "$g run $run: no figure (rc $rc); output:"
            tail -n 5 "$out" >&2 || true
            if [[ $g == qvrrun ]]; then
                qvrrun_ok=0
                NOTE[qvrrun]="not yet measured: run failed (exit $rc: $(tail -n 1 "$out" | tr -d '|`' | cut -c1-80))"
            fi
            continue
        fi
        read -r el us sy rss < <(tail -n 1 "$tf")
        cpu=$(awk -v u="$us" -v s="$sy" -v e="$el" \
            'BEGIN { printf "%.0f", (e > 0 ? 100 * (u + s) / e : 0) }')
        srv=$(awk -v a="$t0" -v b="$t1" -v t="$TCK" -v e="$el" \
            'BEGIN { printf "%.0f", (e > 0 ? 100 * (b - a) / t / e : 0) }')
        oth=$(awk -v a="$b0" -v b="$b1" -v t="$TCK" -v e="$el" -v u="$us" \
            -v s="$sy" -v w="$((t1 - t0))" \
            'BEGIN { o = (e > 0 ? 100 * ((b - a - w) / t - u - s) / e : 0);
                     printf "%.0f", (o < 0 ? 0 : o) }')
        RPS[$g]+="$rps "
        OTH[$g]+="$oth "
        CPU[$g]+="$cpu "
        RSS[$g]+="$((rss / 1024)) "
        SRV[$g]+="$srv "
        log "$g run $run: $rps req/s, generator CPU $cpu%, nginx CPU $srv%, other $oth%, max RSS $((rss / 1024)) MB"
    done
done

# --- RESULTS.md ----------------------------------------------------------------
ver()
{
    dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo "not installed"
}
qvr_version=$("$QVRRUN" --version 2>/dev/null | paste -sd " " - || true)
qmed=$(echo "${RPS[qvrrun]}" | median || true)

declare -A LABEL GOAL
LABEL[qvrrun]="qvrrun (1 worker, Lua task, distinct JSON body, status check)"
LABEL[wrk]="wrk -t1, Lua request() building a JSON body per request"
LABEL[hey]="hey, static JSON POST body"
LABEL[locust]="locust --headless, FastHttpUser, 1 process, body per request"
LABEL[curl_poll]="reference: libcurl curl_multi_poll loop, body per request"
GOAL[qvrrun]=""
GOAL[wrk]=">= 0.55"
GOAL[hey]=""
GOAL[locust]=">= 8"
GOAL[curl_poll]=">= 1.0"

{
    echo "# Throughput of one generator core"
    echo
    echo "Written by \`bench/throughput.sh $GEN_CORE $SERVER_CORE $SECS $RUNS\`" \
        "on $(date -u '+%Y-%m-%d %H:%M UTC'); rerun \`make bench\` (or the" \
        "script) to refresh it. Its own sections are rewritten; others (the" \
        "overhead figures of \`bench/overhead.sh\`, a hand-written" \
        "\`## Notes\`) are kept."
    echo
    echo "Setup: one nginx (\`worker_processes 1\`, access log off,"
    echo "\`return 200 '{\"scores\":[0.9,0.1,0.5]}'\` on \`/api/rerank\`)"
    echo "pinned to core ${SERVER_CORE:-(unpinned)}; each generator pinned to core"
    echo "${GEN_CORE}, $CONNS keep-alive connections, ${SECS} s per run, $RUNS runs"
    echo "interleaved (qvrrun, wrk, hey, locust, curl_poll, then again);"
    echo "the figure is the median req/s of the runs, as each tool reports it"
    echo "(qvrrun: \`totals.rps\` of summary.json; locust: the Aggregated"
    echo "\`Requests/s\` of its stats CSV; a run with any failed request gives no"
    echo "figure)."
    echo
    echo "| generator | median req/s | runs (req/s) | qvrrun ÷ this | goal (issue 9) | generator CPU % | nginx CPU % | rest CPU % | max RSS MB |"
    echo "|---|---:|---|---:|---|---:|---:|---:|---:|"
    for g in "${GENS[@]}"; do
        med=$(echo "${RPS[$g]}" | median || true)
        if [[ -z "$med" ]]; then
            note=${NOTE[$g]:-no figure}
            echo "| ${LABEL[$g]} | **${note}** | | | ${GOAL[$g]} | | | | |"
            continue
        fi
        runs=$(echo "${RPS[$g]}" | awk '{ for (i = 1; i <= NF; i++)
            printf "%s%.0f", (i > 1 ? ", " : ""), $i }')
        if [[ -n "$qmed" ]]; then
            ratio=$(awk -v q="$qmed" -v m="$med" 'BEGIN { printf "%.2f", q / m }')
        else
            ratio="n/a"
        fi
        printf '| %s | %.0f | %s | %s | %s | %s | %s | %s | %s |\n' \
            "${LABEL[$g]}" "$med" "$runs" "$ratio" "${GOAL[$g]}" \
            "$(echo "${CPU[$g]}" | median)" "$(echo "${SRV[$g]}" | median)" \
            "$(echo "${OTH[$g]}" | median)" "$(echo "${RSS[$g]}" | median)"
    done
    echo
    echo "\"qvrrun ÷ this\" is qvrrun's median over that generator's (≥ 1 means"
    echo "qvrrun is faster). Generator CPU % is (user + sys) / wall of the pinned"
    echo "process tree (100 = one full core); nginx CPU % is its worker's share"
    echo "of the same wall time: near 100 means nginx, not the generator, was the"
    echo "limit of that run. Rest CPU % is the machine's other busy time in"
    echo "that window (interrupts, softirq of the loopback traffic, and any"
    echo "other process): well above ~30 means the run was disturbed."
    echo
    echo "## Machine"
    echo
    echo "- CPUs: $(nproc) ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'))"
    echo "- kernel: $(uname -r)"
    echo "- load average before / after: $LOAD_BEFORE / $(cut -d" " -f1-3 /proc/loadavg)"
    echo "- nginx $(ver nginx), wrk $(ver wrk), hey $(ver hey)," \
        "python3-locust $(ver python3-locust), libcurl $(ver libcurl4)," \
        "libevent $(ver libevent-2.1-7), lua $(ver liblua5.4-0), gcc $(ver gcc-12)"
    echo "- qvrrun: ${qvr_version:-$( [[ -x $QVRRUN ]] && echo "$QVRRUN" || echo "not built")}" \
        "(git $(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo "uncommitted"))"
    echo
    echo "## Commands"
    echo
    echo "Run 1's exact command lines (PORT and the temp dir change per run);"
    echo "each ran under \`/usr/bin/time\` and \`timeout $((SECS + 60))\`:"
    echo
    echo '```'
    echo "# nginx"
    echo "taskset -c ${SERVER_CORE:-?} /usr/sbin/nginx -p DIR -c DIR/nginx.conf   # see tests/e2e/lib.sh start_nginx"
    for g in "${GENS[@]}"; do
        if [[ -n "${CMD[$g]:-}" ]]; then
            echo "# $g"
            echo "${CMD[$g]}"
        fi
    done
    echo '```'
    echo
    echo "Reference loop: \`bench/ref/curl_poll.c\`, built by \`bench/ref/build.sh\`"
    echo "(gcc -O2). Body file for hey: \`$(cat "$BODY_FILE")\`."
} >"$RESULTS.tmp"
# Keep the sections of the old file that this script does not write.
if [[ -f "$RESULTS" ]]; then
    python3 - "$RESULTS" "$RESULTS.tmp" <<'EOF'
import re, sys
old = open(sys.argv[1]).read()
ours = ("Machine", "Commands")
kept = [m.group(0).rstrip("\n") for m in
        re.finditer(r"^## (.*?)\n.*?(?=^## |\Z)", old, flags=re.S | re.M)
        if m.group(1).strip() not in ours]
if kept:
    with open(sys.argv[2], "a") as f:
        f.write("\n" + "\n\n".join(kept) + "\n")
EOF
fi
mv "$RESULTS.tmp" "$RESULTS"
log "wrote $RESULTS"
cat "$RESULTS"
