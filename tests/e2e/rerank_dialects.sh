#!/usr/bin/env bash
# qvr.rerank speaks qwen3vl, cohere and tei to the built-in mock; sorted
# answers are mapped back to document order; a wrong answer is a failed check.
source "$(dirname "$0")/lib.sh"
qvr_tmpdir
run_qvrrun "$QVR_SRC_DIR/tests/e2e/scenarios/dialects.lua" --out "$QVR_TMP/d" --quiet
assert_eq "$RC" 0 "every check held (checks == 100%)"
S=$QVR_TMP/d/summary.json
for n in qwen3vl cohere tei top2; do
    assert_ge "$(json_get "$S" "d['names']['$n']['requests']")" 5 "$n requests sent"
    assert_eq "$(json_get "$S" "d['names']['$n']['failures']")" 0 "$n answers valid"
done
assert_eq "$(json_get "$S" '[c["failed"] for c in d["checks"] if c["name"]=="rerank scores valid"][0]')" 0 "scores valid on every answer"
assert_eq "$(json_get "$S" 'sorted(c["name"] for c in d["checks"])')" \
  '["best is document 4", "cohere == qwen3vl", "rerank scores valid", "rerank status 200", "tei == qwen3vl", "top_n = 2 gives 2 scores, the best among them"]' "all checks ran"
assert_eq "$(json_get "$S" 'd["target"]["kind"]')" mock "target is the built-in mock"
finish
