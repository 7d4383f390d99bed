#!/usr/bin/env bash
# Output paths are not trusted (issue 16: D1, D5, D6, D11, D12). Everything
# lives in the test's temp folder, with its own FIFO and symlinks; no /dev
# node is touched.
# - --junit and --csv follow a symlink (the file it names gets the report,
#   the link stays) and write a FIFO through (the reader gets the XML, the
#   FIFO stays); a FIFO nobody reads is exit 3 with the table still printed.
# - --junit naming the scenario, a result file of the run, or a missing
#   folder is refused before the run: exit 2, one line naming the flag.
# - the scenario name cannot lead the default result folder out of results/.
# - a result folder is locked while a run writes it; another run's results
#   in --out are refused unless --force, which clears them.
# - a FIFO in place of the run's own latency.hlog is exit 3, not a hang.
source "$(dirname "$0")/lib.sh"
qvr_tmpdir
T=$QVR_TMP
SC=$T/ok.lua
cat >"$SC" <<'EOF'
return scenario { name = "ok", target = "mock",
  load = users { count = 2, duration = env("DUR", "0.6s") }, wait = constant(0.02),
  tasks = { t = function() http.get("/health") end }, thresholds = { p99 = "< 5s" } }
EOF

# 1. Symlinks are followed: the link stays, the file it names is written.
echo orig >"$T/real.xml"
ln -s real.xml "$T/link.xml"
echo orig >"$T/real_stats.csv"
ln -s real_stats.csv "$T/loc_stats.csv"
run_qvrrun "$SC" --quiet --no-plots --out "$T/o1" --junit "$T/link.xml" --csv "$T/loc"
assert_eq "$RC" 0 "symlinked --junit and --csv: exit 0"
[[ -L "$T/link.xml" && -L "$T/loc_stats.csv" ]] && pass "both symlinks are still symlinks" ||
    fail "a symlink was replaced by a regular file"
assert_contains "$T/real.xml" '<testsuite name="qvrrun thresholds" tests="2" failures="0"' \
    "the JUnit report went to the file the link names"
assert_eq "$(head -n 1 "$T/real_stats.csv" | cut -d, -f1-3)" "Type,Name,Request Count" \
    "Locust stats went to the file the link names"

# 2. A FIFO is written through: the FIFO stays, its reader gets the XML.
mkfifo "$T/f.xml"
cat "$T/f.xml" >"$T/got.xml" &
qvr_track $!
run_qvrrun "$SC" --quiet --no-plots --out "$T/o2" --junit "$T/f.xml"
assert_eq "$RC" 0 "--junit FIFO with a reader: exit 0"
[[ -p "$T/f.xml" ]] && pass "the FIFO is still a FIFO" || fail "the FIFO was replaced"
for _ in $(seq 50); do grep -q '</testsuite>' "$T/got.xml" && break; sleep 0.05; done
assert_contains "$T/got.xml" '</testsuite>' "the FIFO's reader got the whole report"

# 3. A FIFO nobody reads: no wait, exit 3 after the run, table printed.
mkfifo "$T/lonely.xml"
QVR_TIMEOUT=20 run_qvrrun "$SC" --quiet --no-plots --out "$T/o3" --junit "$T/lonely.xml"
assert_eq "$RC" 3 "--junit FIFO without a reader: exit 3 (not a hang, not 0)"
assert_contains "$QVR_STDERR" "cannot write $T/lonely.xml: a FIFO that no process reads"
assert_contains "$QVR_STDOUT" "p99 < 5s" "the results table is still printed"
assert_ge "$(json_get "$T/o3/summary.json" 'd["totals"]["requests"]')" 1 "summary.json written"

# 4. Refused before the run (exit 2, no request sent): the scenario file,
# the run's own summary.json, a folder that does not exist.
sum=$(md5sum <"$SC")
run_qvrrun "$SC" --quiet --no-plots --out "$T/o4" --junit "$SC"
assert_eq "$RC" 2 "--junit = the scenario file: exit 2"
assert_contains "$QVR_STDERR" "--junit '$SC' is the scenario file"
assert_eq "$(md5sum <"$SC")" "$sum" "the scenario file is unchanged"
run_qvrrun "$SC" --quiet --no-plots --out "$T/o5" --junit "$T/o5/summary.json"
assert_eq "$RC" 2 "--junit = the run's own summary.json: exit 2"
assert_contains "$QVR_STDERR" "--junit '$T/o5/summary.json' is the run's own summary.json"
[[ ! -e "$T/o5/summary.json" ]] && pass "nothing ran" || fail "the run went ahead"
run_qvrrun "$SC" --quiet --no-plots --out "$T/o6" --csv "$T/nodir/loc"
assert_eq "$RC" 2 "--csv into a missing folder: exit 2"
assert_contains "$QVR_STDERR" "--csv '$T/nodir/loc_stats.csv': no such folder '$T/nodir'"

# 5. The scenario name as a folder name: no way out of results/, no line
# break or quote in it.
mkdir -p "$T/cwd/a/b"
sed 's|name = "ok"|name = "x/../../..EVIL \\"q\\"\\n1"|' "$SC" >"$T/evil.lua"
(cd "$T/cwd/a/b" && timeout 60 "$QVRRUN" "$T/evil.lua" --quiet --no-plots >/dev/null 2>&1) ||
    fail "the evil-named scenario did not run"
assert_eq "$(find "$T/cwd" -mindepth 1 -maxdepth 3 | sort | tr '\n' ' ')" \
    "$T/cwd/a $T/cwd/a/b $T/cwd/a/b/results " "nothing written outside results/"
got=$(ls "$T/cwd/a/b/results")
assert_eq "$(echo "$got" | wc -l)" 1 "one result folder (no line break in its name)"
[[ "$got" =~ ^x_________EVIL__q__1-[0-9]{8}-[0-9]{6}$ ]] && pass "folder name '$got'" ||
    fail "unsafe folder name '$got'"

# 6. Another run's results in --out: refused, or cleared with --force (a
# stale steps chart of an earlier step load does not survive).
echo "x,y" >"$T/o1/steps.csv"
echo png >"$T/o1/steps.png"
run_qvrrun "$SC" --quiet --no-plots --out "$T/o1"
assert_eq "$RC" 2 "--out holding another run's results: exit 2"
assert_contains "$QVR_STDERR" "--out '$T/o1' holds another run's results (summary.json): give a new folder, or --force"
run_qvrrun "$SC" --quiet --no-plots --out "$T/o1" --force
assert_eq "$RC" 0 "--force: exit 0"
[[ ! -e "$T/o1/steps.csv" && ! -e "$T/o1/steps.png" ]] && pass "--force cleared the earlier run's files" ||
    fail "stale steps.csv/steps.png left beside the new summary"

# 7. Two runs on one --out at once: the second is refused while the first
# holds the lock, and the first's log holds one run.
"$QVRRUN" "$SC" --quiet --no-plots --out "$T/oc" -e DUR=3s </dev/null >/dev/null 2>"$T/first.err" &
first=$!
qvr_track "$first"
for _ in $(seq 100); do [[ -s "$T/oc/.qvrrun.lock" ]] && break; sleep 0.05; done
run_qvrrun "$SC" --quiet --no-plots --out "$T/oc"
assert_eq "$RC" 2 "a second run on a locked --out: exit 2"
assert_contains "$QVR_STDERR" "'$T/oc' is in use by another qvrrun (pid $first)"
rc=0
wait "$first" || rc=$?
assert_eq "$rc" 0 "the first run is undisturbed"
assert_eq "$(grep -c "^#\[StartTime" "$T/oc/latency.hlog")" 1 "latency.hlog holds one run"

# 8. A FIFO where the run's own log goes: no wait, exit 3 naming it.
mkdir "$T/of"
mkfifo "$T/of/latency.hlog"
QVR_TIMEOUT=20 run_qvrrun "$SC" --quiet --no-plots --out "$T/of"
assert_eq "$RC" 3 "latency.hlog is a FIFO nobody reads: exit 3 (not a hang)"
assert_contains "$QVR_STDERR" "qvrrun: error: cannot write $T/of/latency.hlog: No such device or address"
assert_ge "$(json_get "$T/of/summary.json" 'd["totals"]["requests"]')" 1 "summary.json still written"
finish
