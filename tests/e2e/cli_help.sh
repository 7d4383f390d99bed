#!/usr/bin/env bash
# Every command has --help and `qvrrun help CMD` (the same text, exit 0),
# and an unknown flag is one line naming it, exit 2 (issue 19).
source "$(dirname "$0")/lib.sh"
qvr_tmpdir
for c in run monitor mock report compare merge call; do
    run_qvrrun "$c" --help
    assert_eq "$RC" 0 "$c --help: exit 0"
    cp "$QVR_STDOUT" "$QVR_TMP/a"
    want="usage: qvrrun $c"
    [[ $c == run ]] && want="usage: qvrrun SCENARIO.lua"
    assert_eq "$(head -c ${#want} "$QVR_TMP/a")" "$want" "$c --help: its usage"
    run_qvrrun help "$c"
    assert_eq "$RC" 0 "help $c: exit 0"
    if cmp -s "$QVR_TMP/a" "$QVR_STDOUT"; then
        pass "help $c = $c --help"
    else
        fail "help $c differs from $c --help"
    fi
    run_qvrrun "$c" --bogus-flag
    assert_eq "$RC" 2 "$c --bogus-flag: exit 2"
    assert_eq "$(wc -l <"$QVR_STDERR")" 1 "$c --bogus-flag: one line"
    assert_contains "$QVR_STDERR" "--bogus-flag" "$c: the flag is named"
done
run_qvrrun help run
assert_contains "$QVR_STDOUT" "--threshold EXPR" "run's help lists --threshold"
run_qvrrun help
assert_contains "$QVR_STDOUT" "qvrrun call URL|SCENARIO.lua" "the top help lists call"
run_qvrrun help nosuch
assert_eq "$RC" 2 "help of no command: exit 2"
assert_contains "$QVR_STDERR" "help: no command 'nosuch'" "named"
finish
