#!/usr/bin/env bash
# bench/stream.sh [GEN_CORE] [SERVER_CORE] [SECONDS] [RUNS] [STREAMS]
#
# Streaming (issue 17): requests/s and output tokens/s of one generator
# core reading SSE answers, side by side: qvrrun (bench/qvrrun_stream.lua)
# and the reference libcurl loop (bench/ref/curl_stream.c: multi socket API
# on epoll, a timestamp per chunk), each keeping STREAMS streams open
# against a server with a known TTFT and ITL pinned to SERVER_CORE, the
# generator pinned to GEN_CORE, SECONDS per run, RUNS runs interleaved,
# medians reported. For each run: the achieved rates, the generator's CPU
# share (user + sys of its process tree over the wall time), the rates per
# generator core (achieved rate / CPU share: the server paces the load, so
# the generator is rarely at 100%), its peak RSS, the server's CPU share,
# and the measured TTFT and ITL (p50, p99) with their error against the
# server's configured values.
#
# The server (QVR_BENCH_SERVER):
#   sse   tests/fixture/qvr_sse_server (build/qvr_sse_server --port 0
#         --ttft T --itl I --tokens N --log FILE), the default when built;
#   mock  qvrrun mock --profile fast --ttft T --itl I (its fixed mode),
#         the fallback.
# Defaults: 0 1 10 3 256; QVR_BENCH_TTFT=20ms QVR_BENCH_ITL=5ms
# QVR_BENCH_TOKENS=32; QVR_BENCH_GENS="curl_stream qvrrun". For the slow
# streams case: QVR_BENCH_ITL=1s QVR_BENCH_TOKENS=8 ... 10000.
# Writes the "## Streaming" section of bench/RESULTS.md (or
# $QVR_BENCH_RESULTS), keeping the others.
set -euo pipefail

GEN_CORE=${1:-0}
SERVER_CORE=${2:-1}
SECS=${3:-10}
RUNS=${4:-3}
STREAMS=${5:-256}
TTFT=${QVR_BENCH_TTFT:-20ms}
ITL=${QVR_BENCH_ITL:-5ms}
TOKENS=${QVR_BENCH_TOKENS:-32}

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
export QVR_SRC_DIR=$src
# shellcheck source=../tests/e2e/lib.sh
source "$src/tests/e2e/lib.sh"
# shellcheck source=section.sh
source "$here/section.sh"
qvr_tmpdir
RESULTS=${QVR_BENCH_RESULTS:-$here/RESULTS.md}

[[ "$SECS" =~ ^[0-9]+$ && "$RUNS" =~ ^[0-9]+$ && "$STREAMS" =~ ^[0-9]+$ &&
    $SECS -ge 1 && $RUNS -ge 1 && $STREAMS -ge 1 ]] ||
    { echo "usage: $0 [GEN_CORE] [SERVER_CORE] [SECONDS] [RUNS] [STREAMS]" >&2; exit 2; }

log() { echo "[stream] $*" >&2; }

# ms of a duration such as 20ms, 5ms, 1s
to_ms()
{
    python3 -c '
import re, sys
m = re.fullmatch(r"([0-9.]+)(us|ms|s)", sys.argv[1])
if not m:
    sys.exit("bad duration " + sys.argv[1])
print(float(m.group(1)) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[m.group(2)])' "$1"
}
TTFT_MS=$(to_ms "$TTFT")
ITL_MS=$(to_ms "$ITL")

pin_gen=(taskset -c "$GEN_CORE")
pin_srv=(taskset -c "$SERVER_CORE")
if ! taskset -c "$GEN_CORE" true 2>/dev/null ||
    ! taskset -c "$SERVER_CORE" true 2>/dev/null; then
    log "cores $GEN_CORE/$SERVER_CORE not available: running unpinned"
    pin_gen=()
    pin_srv=()
fi
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

REF_DIR=$(bash "$here/ref/build.sh" "$QVR_TMP/ref")

# --- the server -------------------------------------------------------------
SERVER=${QVR_BENCH_SERVER:-}
if [[ -z "$SERVER" ]]; then
    if [[ -x "$QVR_BIN_DIR/qvr_sse_server" ]]; then SERVER=sse; else SERVER=mock; fi
fi
SRV_OUT=$QVR_TMP/server.out
SRV_LOG=$QVR_TMP/server.log
case $SERVER in
sse)
    SRV_CMD=("$QVR_BIN_DIR/qvr_sse_server" --port 0 --ttft "$TTFT" --itl "$ITL"
        --tokens "$TOKENS" --log "$SRV_LOG") ;;
mock)
    SRV_CMD=("$QVRRUN" mock --listen 127.0.0.1:0 --profile fast --ttft "$TTFT"
        --itl "$ITL") ;;
*)
    echo "stream.sh: QVR_BENCH_SERVER is sse or mock, not '$SERVER'" >&2
    exit 2 ;;
esac
"${pin_srv[@]}" "${SRV_CMD[@]}" </dev/null >"$SRV_OUT" 2>&1 &
SRV_PID=$!
qvr_track "$SRV_PID"
port=
for ((i = 0; i < 200; i++)); do
    port=$(sed -n 's/.*listening on \(http:\/\/\)\{0,1\}[0-9.]*:\([0-9][0-9]*\).*/\2/p' \
        "$SRV_OUT" | head -n 1)
    [[ -n "$port" ]] && break
    kill -0 "$SRV_PID" 2>/dev/null || break
    sleep 0.05
done
[[ -n "$port" ]] || { cat "$SRV_OUT" >&2; echo "stream.sh: the server did not start" >&2; exit 3; }
URL=http://127.0.0.1:$port
TCK=$(getconf CLK_TCK)
log "server: $SERVER on $URL (pid $SRV_PID), TTFT $TTFT, ITL $ITL, $TOKENS tokens"

srv_ticks() { awk '{ print $14 + $15 }' "/proc/$SRV_PID/stat" 2>/dev/null || echo 0; }

median()
{
    tr ' ' '\n' | awk 'NF && $1 != "n/a"' | sort -g | awk '{ v[NR] = $1 }
        END { if (NR == 0) { print "n/a"; exit } if (NR % 2) print v[(NR + 1) / 2];
              else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# One run's figures on one line:
# "rps tokens_per_s ttft_p50_ms ttft_p99_ms itl_p50_ms itl_p99_ms" (n/a when
# the generator does not report one).
parse()
{
    local g=$1 out=$2 dir=$3
    case $g in
    curl_stream)
        awk '$1 == "requests" && $6 == 0 {
            printf "%s %s %.3f %.3f %.3f %.3f\n", $10, $14, $16 / 1e3,
                $18 / 1e3, $20 / 1e3, $22 / 1e3 }' "$out" ;;
    qvrrun)
        [[ -f "$dir/summary.json" ]] || return 0
        python3 - "$dir/summary.json" <<'EOF'
import json, sys
t = json.load(open(sys.argv[1]))["totals"]
if t.get("failures"):
    sys.exit(0)
def pick(*path):
    v = t
    for k in path:
        if not isinstance(v, dict) or k not in v:
            return "n/a"
        v = v[k]
    return v
tps = pick("output_tokens_per_s")
if tps == "n/a":
    tps = pick("tokens", "output_per_s")
print(t["rps"], tps, pick("ttft_ms", "p50"), pick("ttft_ms", "p99"),
      pick("itl_ms", "p50"), pick("itl_ms", "p99"))
EOF
        ;;
    esac
}

read -r -a GENS <<<"${QVR_BENCH_GENS:-curl_stream qvrrun}"
declare -A RPS TPS T50 T99 I50 I99 CPU RSS SRV CMD
for g in "${GENS[@]}"; do
    RPS[$g]="" TPS[$g]="" T50[$g]="" T99[$g]="" I50[$g]="" I99[$g]=""
    CPU[$g]="" RSS[$g]="" SRV[$g]=""
done
LOAD_BEFORE=$(cut -d" " -f1-3 /proc/loadavg)

for ((run = 1; run <= RUNS; run++)); do
    for g in "${GENS[@]}"; do
        dir=$QVR_TMP/$g.$run
        case $g in
        curl_stream)
            GEN_CMD=("$REF_DIR/curl_stream" "$URL/v1/chat/completions"
                "$STREAMS" "$SECS" "$TOKENS") ;;
        qvrrun)
            GEN_CMD=(env QVR_BENCH_TOKENS="$TOKENS" "$QVRRUN"
                "$here/qvrrun_stream.lua" --users "$STREAMS"
                --duration "${SECS}s" --target "$URL" --quiet --no-plots
                --out "$dir") ;;
        *)
            echo "stream.sh: unknown generator $g" >&2
            exit 2 ;;
        esac
        [[ -n "${CMD[$g]:-}" ]] ||
            CMD[$g]=$(printf '%q ' "${pin_gen[@]}" "${GEN_CMD[@]}")
        out=$QVR_TMP/$g.$run.out
        tf=$QVR_TMP/$g.$run.time
        s0=$(srv_ticks)
        rc=0
        "${pin_gen[@]}" /usr/bin/time -f '%e %U %S %M' -o "$tf" \
            timeout -k 5 $((SECS + 60)) "${GEN_CMD[@]}" \
            </dev/null >"$out" 2>&1 &
        gpid=$!
        qvr_track "$gpid"
        wait "$gpid" || rc=$?
        s1=$(srv_ticks)
        fig=$(parse "$g" "$out" "$dir" || true)
        if [[ -z "$fig" ]]; then
            log "$g run $run: no figure (rc $rc); output:"
            tail -n 5 "$out" >&2 || true
            continue
        fi
        read -r rps tps t50 t99 i50 i99 <<<"$fig"
        read -r el us sy rss < <(tail -n 1 "$tf")
        cpu=$(awk -v u="$us" -v s="$sy" -v e="$el" \
            'BEGIN { printf "%.0f", (e > 0 ? 100 * (u + s) / e : 0) }')
        srv=$(awk -v a="$s0" -v b="$s1" -v t="$TCK" -v e="$el" \
            'BEGIN { printf "%.0f", (e > 0 ? 100 * (b - a) / t / e : 0) }')
        RPS[$g]+="$rps " TPS[$g]+="$tps " T50[$g]+="$t50 " T99[$g]+="$t99 "
        I50[$g]+="$i50 " I99[$g]+="$i99 " CPU[$g]+="$cpu "
        RSS[$g]+="$((rss / 1024)) " SRV[$g]+="$srv "
        log "$g run $run: $rps req/s, $tps tokens/s, TTFT p50 $t50 ms p99 $t99 ms," \
            "ITL p50 $i50 ms p99 $i99 ms, CPU $cpu%, server $srv%, RSS $((rss / 1024)) MB"
    done
done

# --- RESULTS.md ----------------------------------------------------------------
per_core() # RATE CPU%
{
    awk -v r="$1" -v c="$2" 'BEGIN { if (r == "n/a" || c == "n/a" || c <= 0)
        print "n/a"; else printf "%.0f", r / (c / 100) }'
}
err() # MEASURED TRUTH
{
    awk -v m="$1" -v t="$2" 'BEGIN { if (m == "n/a") print "n/a";
        else printf "%+.2f", m - t }'
}
section=$QVR_TMP/section.md
srv_where=${pin_srv[*]:+core $SERVER_CORE}
gen_where=${pin_gen[*]:+core $GEN_CORE}
{
    echo "## Streaming (issue 17)"
    echo
    echo "Written by \`bench/stream.sh $GEN_CORE $SERVER_CORE $SECS $RUNS $STREAMS\`" \
        "on $(date -u '+%Y-%m-%d %H:%M UTC') against \`$SERVER\`" \
        "(TTFT $TTFT, ITL $ITL, $TOKENS tokens per answer) on" \
        "${srv_where:-any core (unpinned)}; each generator on" \
        "${gen_where:-any core (unpinned)}, $STREAMS streams kept open, $SECS s" \
        "per run, medians of $RUNS interleaved runs. Load average before /" \
        "after: $LOAD_BEFORE / $(cut -d" " -f1-3 /proc/loadavg)."
    echo
    echo "| generator | req/s | output tokens/s | CPU % | req/s per core | tokens/s per core | RSS MB | server CPU % | TTFT p50 / p99 ms (error) | ITL p50 / p99 ms (error) |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---|---|"
    for g in "${GENS[@]}"; do
        r=$(echo "${RPS[$g]}" | median) t=$(echo "${TPS[$g]}" | median)
        c=$(echo "${CPU[$g]}" | median)
        a=$(echo "${T50[$g]}" | median) b=$(echo "${T99[$g]}" | median)
        x=$(echo "${I50[$g]}" | median) y=$(echo "${I99[$g]}" | median)
        echo "| $g | $r | $t | $c | $(per_core "$r" "$c") | $(per_core "$t" "$c") |" \
            "$(echo "${RSS[$g]}" | median) | $(echo "${SRV[$g]}" | median) |" \
            "$a / $b ($(err "$a" "$TTFT_MS") / $(err "$b" "$TTFT_MS")) |" \
            "$x / $y ($(err "$x" "$ITL_MS") / $(err "$y" "$ITL_MS")) |"
    done
    echo
    echo "Errors are against the server's configured TTFT and ITL (the"
    echo "fixture's own send log, \`$SRV_LOG\`, is kept for a finer comparison"
    echo "when the server is \`sse\`). Per core = achieved rate / CPU share:"
    echo "the server paces the streams, so a generator below 100% CPU had room."
    echo "With the server itself near a full core (its CPU column), the p99"
    echo "errors measure the server's own lateness as much as the generators'."
    echo
    echo '```'
    echo "# server"
    printf '%q ' "${pin_srv[@]}" "${SRV_CMD[@]}"
    echo
    for g in "${GENS[@]}"; do
        echo "# $g"
        echo "${CMD[$g]:-}"
    done
    echo '```'
} >"$section"
put_section "$RESULTS" "$section"
log "wrote the Streaming section of $RESULTS"
cat "$section"
