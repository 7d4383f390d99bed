#!/usr/bin/env bash
# bench/startup.sh [RUNS] -- time from the start of the qvrrun process to its
# first request on the wire (quickstart scenario, warm cache, against a
# local nginx), measured with strace timestamps: execve -> first sendto.
# Prints the median and writes its section of bench/RESULTS.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
runs=${1:-5}
source "$here/../tests/e2e/lib.sh"
# shellcheck source=section.sh
source "$here/section.sh"
command -v strace >/dev/null || bash "$here/../tools/install-deps.sh" strace
qvr_tmpdir
QVR_NGINX_ACCESS_LOG=off start_nginx
ms=()
for ((i = 0; i < runs; i++)); do
    strace -f -tt -e trace=execve,sendto -o "$QVR_TMP/trace" "$QVRRUN" \
        "$here/../scenarios/quickstart.lua" --target "$NGINX_URL" \
        --duration 1s --quiet --no-plots --force --out "$QVR_TMP/r" >/dev/null ||
        true # only the first send counts; a short run may miss a threshold
    ms+=("$(python3 - "$QVR_TMP/trace" <<'PY'
import sys
ts = [l.split()[1] for l in open(sys.argv[1]) if "execve(" in l or "sendto(" in l]
sec = lambda t: (lambda h, m, s: int(h) * 3600 + int(m) * 60 + float(s))(*t.split(":"))
print("%.1f" % ((sec(ts[1]) - sec(ts[0])) * 1000))
PY
)")
done
med=$(printf '%s\n' "${ms[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
echo "startup: first request ${med} ms after exec (runs: ${ms[*]})"
section=$QVR_TMP/section.md
{
    echo "## Start-up"
    echo
    echo "Written by \`bench/startup.sh $runs\` on $(date -u '+%Y-%m-%d %H:%M') UTC: first request on"
    echo "the wire after the process starts (quickstart scenario, warm cache, strace"
    echo "timestamps execve -> first sendto; strace itself adds a little): median"
    echo "**${med} ms** of ${runs} runs (${ms[*]}). Goal: <= 50 ms."
    echo
} >"$section"
put_section "${QVR_BENCH_RESULTS:-$here/RESULTS.md}" "$section"
