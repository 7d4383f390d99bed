#!/usr/bin/env bash
# scenarios/multimodal.lua as shipped, against the built-in mock (its default
# target, profile h100-qwen3vl-8b, one slot): every request size is its own
# name, every answer passes the checks, and one user's service time per size
# is the mock's model for that payload: 40 ms + 37 us x padded tokens, a pair
# being 48 template tokens + the default instruction (11 words, 15 tokens) +
# query + document, text ceil(1.3 x words), an image 256 tokens. A scenario
# whose images did not reach the target (no data: URL) would be ~45 ms.
source "$(dirname "$0")/lib.sh"
qvr_tmpdir
SC=$QVR_SRC_DIR/scenarios/multimodal.lua
OUT=$QVR_TMP/m
# One user: no queueing in the mock's one slot, so service time is the model.
# 16 s: image_query is 1 task in 4 by weight; ~30 iterations make fewer
# than 3 of them a 1-in-200 event (at 10 s, ~20 iterations, it was ~1 in 11:
# a CI clone saw 2).
run_qvrrun "$SC" --users 1 --duration 16s --out "$OUT" --quiet --no-plots
assert_eq "$RC" 0 "the multimodal scenario exits 0 (thresholds hold)"
S=$OUT/summary.json
assert_eq "$(json_get "$S" 'd["totals"]["failures"]')" 0 "no failed request"
assert_eq "$(json_get "$S" 'd["target"]["kind"]')" mock "the default target is the built-in mock"

model()
{ # model DOCS LONGEST_PAIR_TOKENS -> ms
    python3 -c "print(round(40 + 0.037 * $1 * $2, 1))"
}
# image_query: an image query (256) against 3 text documents, the longest
# "A bowl of fresh fruit on a kitchen table" (9 words, 12 tokens).
want_iq=$(model 3 $((48 + 15 + 256 + 12)))
# mixed_3 / mixed_10: "Vintage camera collection" (4 tokens), longest
# document an image (256).
want_m3=$(model 3 $((48 + 15 + 4 + 256)))
want_m10=$(model 10 $((48 + 15 + 4 + 256)))
for pair in "image_query $want_iq" "mixed_3 $want_m3" "mixed_10 $want_m10"; do
    set -- $pair
    n=$(json_get "$S" "d['names']['$1']['requests']")
    assert_ge "$n" 3 "$1: requests sent under its own name"
    assert_eq "$(json_get "$S" "d['names']['$1']['failures']")" 0 "$1: no failure"
    p50=$(json_get "$S" "d['names']['$1']['service_ms']['p50']")
    # The jitter is lognormal around the model (sigma 5%); 10% + 2 ms of
    # generator and loopback time.
    assert_near "$p50" "$2" "$(python3 -c "print($2 * 0.10 + 2)")" "$1: service p50 is the model's $2 ms"
done
checks=$(json_get "$S" '[t for t in d["thresholds"] if t["expr"].startswith("checks")][0]["ok"]')
assert_eq "$checks" true "the checks threshold holds (every answer had one score per document)"
finish
