#!/usr/bin/env bash
# A threshold on a tag that never occurred (a task that never ran, a typo'd
# request name) fails the gate, and every output says which tag had no
# data, with the names that did occur; `qvrrun report` and `qvrrun merge`
# keep the verdict and the words. A trend through too few windows in the
# same run is "n/a" (skipped), not failed.
source "$(dirname "$0")/lib.sh"
qvr_tmpdir
SC=$QVR_SRC_DIR/tests/e2e/scenarios/no_data.lua
TASK_WHY="no request had task=never; tasks seen: text"
NAME_WHY="no request had name=rerank_txt; names seen: rerank_text, rerank_image"

run_qvrrun "$SC" --out "$QVR_TMP/r" --quiet --no-plots --junit "$QVR_TMP/r.xml"
assert_eq "$RC" 99 "no data fails the gate (exit 99)"
S=$QVR_TMP/r/summary.json
th()
{
    json_get "$1" "[t.get('$3', 'absent') for t in d['thresholds'] if t['expr'] == '$2'][0]"
}
assert_ge "$(json_get "$S" 'd["tasks"]["text"]["requests"]')" 10 "task text ran"
assert_eq "$(json_get "$S" 'd["tasks"]["never"]["requests"]')" 0 "task never did not"
assert_eq "$(th "$S" 'p99 < 5s' ok)" true "the untagged p99 holds"
for e in 'p99{task=never} < 5s' 'p99{name=rerank_txt} < 1s'; do
    assert_eq "$(th "$S" "$e" ok)" false "$e: ok false"
    assert_eq "$(th "$S" "$e" measured)" "n/a" "$e: measured n/a (kept)"
    assert_eq "$(th "$S" "$e" value_ms)" null "$e: value_ms null"
    assert_eq "$(th "$S" "$e" skipped)" absent "$e: not skipped"
done
assert_eq "$(th "$S" 'p99{task=never} < 5s' no_data)" "$TASK_WHY" "summary: no_data names the task and the tasks seen"
assert_eq "$(th "$S" 'p99{name=rerank_txt} < 1s' no_data)" "$NAME_WHY" "summary: no_data names the name and the names seen"
# The trend: 2 s is too few windows; n/a, skipped, no no_data.
assert_eq "$(th "$S" 'rps_trend > -50%' ok)" null "rps_trend: ok null (not evaluated)"
why=$(th "$S" 'rps_trend > -50%' skipped)
[[ "$why" =~ ^[0-4]\ steady\ windows?,\ a\ trend\ needs\ 5$ ]] ||
    fail "rps_trend: skipped says why, got '$why'"
pass "rps_trend: skipped: $why"
assert_eq "$(th "$S" 'rps_trend > -50%' no_data)" absent "rps_trend: not a no-data failure"

# The table on stdout and one warning on stderr.
assert_contains "$QVR_STDOUT" "FAIL p99{name=rerank_txt} < 1s"
assert_contains "$QVR_STDOUT" "measured n/a: $NAME_WHY" "table: why the name has no value"
assert_contains "$QVR_STDOUT" "measured n/a: $TASK_WHY" "table: why the task has no value"
assert_eq "$(grep -c 'had no data' "$QVR_STDERR")" 1 "one stderr warning"
assert_contains "$QVR_STDERR" "qvrrun: warning: 2 thresholds had no data and fail the gate: p99{name=rerank_txt} < 1s ($NAME_WHY); p99{task=never} < 5s ($TASK_WHY)" "stderr: the warning names both"

# JUnit: two failures naming the tag, the trend skipped.
X=$QVR_TMP/r.xml
assert_contains "$X" 'tests="5" failures="2" errors="0" skipped="1"' "junit: 2 failed, 1 skipped (and task_errors == 0 held)"
assert_contains "$X" "<failure message=\"measured n/a: $TASK_WHY\"" "junit: the task's failure message"
assert_contains "$X" "<failure message=\"measured n/a: $NAME_WHY\"" "junit: the name's failure message"

# qvrrun report DIR: summary thresholds and the JUnit report unchanged.
cp "$S" "$QVR_TMP/before.json"
run_qvrrun report "$QVR_TMP/r" --no-plots --quiet --junit "$QVR_TMP/rep.xml"
assert_eq "$RC" 0 "report: exit 0"
assert_eq "$(python3 -c "import json, sys
a, b = (json.load(open(p))['thresholds'] for p in sys.argv[1:])
print(a == b)" "$QVR_TMP/before.json" "$S")" True "report: thresholds as the run wrote them"
assert_eq "$(grep -v timestamp= "$QVR_TMP/rep.xml" | grep -c failure)" \
    "$(grep -v timestamp= "$X" | grep -c failure)" "report: as many failures in its JUnit"
assert_contains "$QVR_TMP/rep.xml" "<failure message=\"measured n/a: $NAME_WHY\"" "report: the same JUnit message"

# qvrrun merge of two segments: the same verdict and words.
timeout -k 5 60 "$QVRRUN" "$SC" --segment 1/2 --out "$QVR_TMP/s1" --quiet \
    --no-plots </dev/null >/dev/null 2>&1 &
p1=$!
qvr_track "$p1"
run_qvrrun "$SC" --segment 2/2 --out "$QVR_TMP/s2" --quiet --no-plots
rc1=0
wait "$p1" || rc1=$?
assert_eq "$rc1/$RC" "99/99" "segments: each fails the gate"
run_qvrrun merge -o "$QVR_TMP/m" "$QVR_TMP/s1" "$QVR_TMP/s2" --no-plots --quiet \
    --junit "$QVR_TMP/m.xml"
assert_eq "$RC" 99 "merge: exit 99"
M=$QVR_TMP/m/summary.json
assert_eq "$(th "$M" 'p99{task=never} < 5s' no_data)" "$TASK_WHY" "merge: the task's no_data"
assert_eq "$(th "$M" 'p99{name=rerank_txt} < 1s' no_data)" "$NAME_WHY" "merge: the name's no_data"
assert_eq "$(th "$M" 'p99{name=rerank_txt} < 1s' ok)" false "merge: still failed"
assert_contains "$QVR_TMP/m.xml" "<failure message=\"measured n/a: $TASK_WHY\"" "merge: the same JUnit message"
assert_eq "$(grep -c 'had no data' "$QVR_STDERR")" 1 "merge: one stderr warning"
finish
