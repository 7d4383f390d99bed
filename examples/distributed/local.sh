#!/usr/bin/env bash
# examples/distributed/local.sh -- one run split over N qvrrun processes on
# this machine, then merged: the shell fan-out of DESIGN.md section 6.
#
#   examples/distributed/local.sh [-n N] [-o OUT] [--start-in S] \
#       SCENARIO.lua [qvrrun options...]
#
# Starts N processes `qvrrun SCENARIO.lua --segment K/N --start-at T
# --out OUT/seg-K ...` (K = 1..N, T = now + S seconds, default 3, so every
# process has loaded its scenario before the load begins), waits for them
# and runs `qvrrun merge -o OUT/merged OUT/seg-*`. Each process writes its
# log to OUT/logs/seg-K.log. The exit code is merge's: 0 every threshold
# held on the whole run, 99 one failed, 2/3 the segments could not be
# merged; 3 when a segment could not run at all.
#
# The same shape spreads a run over several machines: start the same
# command with the same --start-at on each (ssh, a CI matrix, a Kubernetes
# Indexed Job: examples/kubernetes/), collect the seg-K directories in one
# place, then run qvrrun merge. Machine clocks must agree (NTP) to well
# under one results window.
#
# Environment: QVRRUN, the qvrrun binary (default: qvrrun on PATH, else
# build/qvrrun of this source tree).
#
# Ctrl-C stops every segment (each writes its results up to that moment),
# merges what there is and exits 130.
set -euo pipefail

usage()
{
    sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
}

n=4
out=
start_in=3
while [[ $# -gt 0 ]]; do
    case $1 in
    -n)
        n=${2:?-n needs a number}
        shift 2
        ;;
    -o)
        out=${2:?-o needs a directory}
        shift 2
        ;;
    --start-in)
        start_in=${2:?--start-in needs seconds}
        shift 2
        ;;
    -h | --help)
        usage
        exit 0
        ;;
    *) break ;;
    esac
done
if [[ $# -lt 1 ]]; then
    usage >&2
    exit 2
fi
if ! [[ "$n" =~ ^[1-9][0-9]*$ ]]; then
    echo "local.sh: -n: expected a whole number >= 1, got '$n'" >&2
    exit 2
fi
if ! [[ "$start_in" =~ ^[0-9]+(\.[0-9]+)?$ ]]; then
    echo "local.sh: --start-in: expected seconds, got '$start_in'" >&2
    exit 2
fi
scenario=$1
shift

here=$(cd "$(dirname "$0")" && pwd)
if [[ -z "${QVRRUN:-}" ]]; then
    if command -v qvrrun >/dev/null 2>&1; then
        QVRRUN=$(command -v qvrrun)
    else
        QVRRUN=$here/../../build/qvrrun
    fi
fi
if [[ ! -x "$QVRRUN" ]]; then
    echo "local.sh: no qvrrun binary at '$QVRRUN' (set QVRRUN)" >&2
    exit 2
fi
if [[ -z "$out" ]]; then
    out=results/$(basename "$scenario" .lua)-x$n-$(date -u +%Y%m%dT%H%M%SZ)
fi
if [[ -e "$out" && -n "$(ls -A "$out" 2>/dev/null)" ]]; then
    echo "local.sh: $out is not empty: give a new directory with -o" >&2
    exit 2
fi
mkdir -p "$out/logs"

# One start for all, in Unix seconds with milliseconds.
start_at=$(awk -v now="$(date +%s.%N)" -v s="$start_in" \
    'BEGIN { printf "%.3f", now + s }')

pids=()
interrupted=0
# shellcheck disable=SC2317 # (called by the trap)
stop_all()
{
    interrupted=1
    local pid
    for pid in "${pids[@]}"; do
        kill -INT "$pid" 2>/dev/null || true
    done
}
trap stop_all INT TERM

echo "local.sh: $n segments of $scenario start at $start_at; results in $out"
for ((k = 1; k <= n; k++)); do
    "$QVRRUN" "$scenario" --segment "$k/$n" --start-at "$start_at" \
        --out "$out/seg-$k" --quiet --no-plots "$@" \
        </dev/null >"$out/logs/seg-$k.log" 2>&1 &
    pids+=("$!")
done

bad=0
for ((k = 1; k <= n; k++)); do
    rc=0
    # wait returns early when a trapped signal arrives: wait again.
    while true; do
        rc=0
        wait "${pids[k - 1]}" || rc=$?
        if kill -0 "${pids[k - 1]}" 2>/dev/null; then
            continue
        fi
        break
    done
    case $rc in
    0 | 99 | 130) ;;
    *)
        echo "local.sh: segment $k/$n exited $rc" \
            "(see $out/logs/seg-$k.log):" >&2
        tail -n 5 "$out/logs/seg-$k.log" >&2 || true
        bad=1
        ;;
    esac
done
if [[ $bad -ne 0 ]]; then
    exit 3
fi

dirs=()
for ((k = 1; k <= n; k++)); do
    dirs+=("$out/seg-$k")
done
rc=0
"$QVRRUN" merge -o "$out/merged" "${dirs[@]}" || rc=$?
if [[ $interrupted -ne 0 ]]; then
    exit 130
fi
exit "$rc"
