#!/usr/bin/env bash
# A 20 MB media file (D14): rerank.payload{} reads and encodes it (base64
# in C, JSON through one presized buffer) in well under a second of CPU
# and under 100 MB of peak memory for the whole process; the pure-Lua
# encoder took 8.7 s and 548 MB. CPU time, not wall time, so a busy
# machine does not make it flaky; "timing" keeps it out of the ASan suite,
# whose allocator would double the memory.
source "$(dirname "$0")/lib.sh"
[[ -x /usr/bin/time ]] || fail "/usr/bin/time not found (apt-get install time)"
qvr_tmpdir
cd "$QVR_TMP" || fail "cannot cd to $QVR_TMP"
head -c 20000000 /dev/urandom >v20.mp4
cat >media.lua <<'EOF'
local rerank = require "qvr.rerank"
local p = rerank.payload { query = "q", documents = { "a", { video = "v20.mp4" } } }
assert(#p.body > 26666666 and #p.body < 26666666 + 200, #p.body)
return scenario { name = "media", target = "mock",
  load = users { count = 1, duration = "200ms" },
  tasks = { t = function() http.get("/health") end } }
EOF
tv=$QVR_TMP/time.txt
/usr/bin/time -f "%U %S %M" -o "$tv" "$QVRRUN" media.lua --quiet --no-plots \
    --out "$QVR_TMP/o" >/dev/null 2>"$QVR_TMP/err" || fail "exit $?: $(cat "$QVR_TMP/err")"
read -r user sys kb <"$tv"
cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
echo "20 MB video: ${cpu} s CPU, peak RSS ${kb} KB"
assert_le "$cpu" 0.8 "20 MB video: well under a second of CPU (load and a 0.2 s run)"
assert_le "$kb" 100000 "20 MB video: peak RSS under 100 MB"
assert_ge "$(json_get "$QVR_TMP/o/summary.json" 'd["totals"]["requests"]')" 1 "the run ran"
finish
