#!/usr/bin/env bash
# The mock's faults through a real run: 500s, resets, malformed answers and
# stalls past the timeout are counted as http_5xx, reset, invalid_json and
# timeout, and nothing crashes. A JSON answer with the wrong number of
# scores stays a failed check; invalid_json survives --threads and merge.
source "$(dirname "$0")/lib.sh"
qvr_tmpdir
SC=$QVR_SRC_DIR/tests/e2e/scenarios/faults.lua
frac() { json_get "$1" "d['totals']['failures_by_kind'].get('$2', 0) / d['totals']['requests']"; }

run_qvrrun "$SC" --out "$QVR_TMP/e" --quiet -e ERR=0.2
assert_eq "$RC" 0 "error-rate run exits 0"
assert_near "$(frac "$QVR_TMP/e/summary.json" http_5xx)" 0.2 0.05 "--error-rate 0.2: ~20% http_5xx"
assert_eq "$(json_get "$QVR_TMP/e/summary.json" 'd["totals"]["status"]["500"] == d["totals"]["failures_by_kind"]["http_5xx"]')" true "all of them 500"

run_qvrrun "$SC" --out "$QVR_TMP/r" --quiet -e DROP=0.2
assert_eq "$RC" 0 "drop run exits 0"
assert_near "$(frac "$QVR_TMP/r/summary.json" reset)" 0.2 0.05 "--drop 0.2: ~20% reset"

# --garbage: a 200 whose body is not JSON is invalid_json, ~30% of the
# requests (the mock draws with seed 3: 0.30 and 0.31 measured), in totals,
# names, tasks, the final table and Locust's failures CSV; none is a check.
run_qvrrun "$SC" --out "$QVR_TMP/g" --no-plots -e GARBAGE=0.3 --csv "$QVR_TMP/g/loc"
assert_eq "$RC" 0 "garbage run exits 0"
G=$QVR_TMP/g/summary.json
nj=$(json_get "$G" 'd["totals"]["failures_by_kind"].get("invalid_json", 0)')
assert_ge "$(json_get "$G" 'd["totals"]["requests"]')" 1000 "garbage run: enough requests to judge a share"
assert_near "$(frac "$G" invalid_json)" 0.3 0.05 "--garbage 0.3: ~30% invalid_json"
assert_eq "$(json_get "$G" 'd["totals"]["failures_by_kind"]')" "{\"invalid_json\": $nj}" "no other kind: no check failures"
assert_eq "$(json_get "$G" 'd["totals"]["failures"]')" "$nj" "every failure is invalid_json"
assert_eq "$(json_get "$G" 'd["names"]["/api/rerank"]["failures_by_kind"]')" "{\"invalid_json\": $nj}" "per name"
assert_eq "$(json_get "$G" 'd["tasks"]["r"]["failures_by_kind"]')" "{\"invalid_json\": $nj}" "per task"
assert_eq "$(json_get "$G" '[c["failed"] for c in d["checks"] if c["name"]=="rerank answer is not JSON"][0]')" "$nj" "the reason is named in the checks"
assert_eq "$(json_get "$G" '[c["failed"] for c in d["checks"] if c["name"]=="rerank scores valid"][0]')" 0 "not counted as a wrong scores list"
assert_contains "$QVR_STDOUT" "failures: invalid_json $nj" "final table lists invalid_json"
assert_contains "$QVR_TMP/g/loc_failures.csv" "POST,/api/rerank,invalid JSON,$nj," "Locust failures CSV: invalid JSON"

# ... and with every JSON answer one score short, the same run splits
# into invalid_json (~30%) and check (the rest): told apart.
run_qvrrun "$SC" --out "$QVR_TMP/w" --quiet --no-plots -e GARBAGE=0.3 -e WRONG=1 -e DUR=2s
assert_eq "$RC" 0 "garbage + wrong scores run exits 0"
W=$QVR_TMP/w/summary.json
assert_near "$(frac "$W" invalid_json)" 0.3 0.05 "malformed answers: ~30% invalid_json"
assert_near "$(frac "$W" check)" 0.7 0.05 "JSON with a wrong scores list: ~70% check"
assert_eq "$(json_get "$W" 'd["totals"]["failures"] == d["totals"]["requests"] == sum(d["totals"]["failures_by_kind"].values())')" true "every request failed, as one of the two kinds"
assert_eq "$(json_get "$W" '[c["failed"] for c in d["checks"] if c["name"]=="rerank scores valid"][0] == d["totals"]["failures_by_kind"]["check"]')" true "checks counted by the scores check"

# invalid_json through worker threads and `qvrrun merge` of two segments.
for k in 1 2; do
    run_qvrrun "$SC" --out "$QVR_TMP/s$k" --quiet --no-plots --threads 2 --segment $k/2 -e GARBAGE=0.3 -e DUR=2s
    assert_eq "$RC" 0 "segment $k/2 with 2 threads exits 0"
    assert_near "$(frac "$QVR_TMP/s$k/summary.json" invalid_json)" 0.3 0.05 "segment $k/2: ~30% invalid_json"
done
run_qvrrun merge -o "$QVR_TMP/m" --no-plots "$QVR_TMP/s1" "$QVR_TMP/s2"
assert_eq "$RC" 0 "merge exits 0"
sum=$(( $(json_get "$QVR_TMP/s1/summary.json" 'd["totals"]["failures_by_kind"]["invalid_json"]') + \
        $(json_get "$QVR_TMP/s2/summary.json" 'd["totals"]["failures_by_kind"]["invalid_json"]') ))
assert_eq "$(json_get "$QVR_TMP/m/summary.json" 'd["totals"]["failures_by_kind"]')" "{\"invalid_json\": $sum}" "merged: the segments' invalid_json summed, no other kind"
assert_eq "$(json_get "$QVR_TMP/m/summary.json" 'd["names"]["/api/rerank"]["failures_by_kind"]["invalid_json"]')" "$sum" "merged per name"

# fail(msg, kind) in user code, every answer malformed: r:json() gives nil
# and a message and fails nothing by itself; fail() marks the request with
# the kind given ("check" when none); an unknown kind is a task error that
# names the two.
cat >"$QVR_TMP/failk.lua" <<'LUA'
local body = '{"query": {"text": "q"}, "documents": [{"text": "a"}]}'
return scenario {
  name = "failkind",
  target = "mock",
  mock = { service = "1ms", garbage = "1" },
  load = users { count = 1, duration = "500ms" },
  tasks = { t = function()
    local r = http.post("/api/rerank", { body = body })
    local d, msg = r:json()
    if d ~= nil or type(msg) ~= "string" then error("r:json(): not nil and a message") end
    local kind = env("KIND")
    if kind then fail("answer is JSON", kind ~= "none" and kind or nil) end
  end },
}
LUA
for kind in "" none check invalid_json bogus; do
    out=$QVR_TMP/k-${kind:-nofail}
    run_qvrrun "$QVR_TMP/failk.lua" --out "$out" --quiet --no-plots ${kind:+-e KIND=$kind}
    what="fail kind '${kind:-(no fail)}'"
    want=0 # an unknown kind is a task error: task_errors == 0 fails
    [[ $kind == bogus ]] && want=99
    [[ "$RC" == "$want" ]] || cat "$QVR_STDERR" >&2
    assert_eq "$RC" "$want" "$what: exit $want"
    S=$out/summary.json
    req=$(json_get "$S" 'd["totals"]["requests"]')
    assert_ge "$req" 10 "$what: requests made"
    case $kind in
    "")
        assert_eq "$(json_get "$S" '[d["totals"]["failures"], d["errors"]]')" "[0, []]" \
            "r:json() on a malformed body fails nothing"
        ;;
    none)
        assert_eq "$(json_get "$S" 'd["totals"]["failures_by_kind"]')" "{\"check\": $req}" \
            "fail(msg): kind check"
        ;;
    bogus)
        assert_eq "$(json_get "$S" 'd["totals"]["failures_by_kind"]')" "{}" "unknown kind: no request marked"
        assert_eq "$(json_get "$S" 'd["errors"][0]["message"].split("\n")[0].split("failk.lua:")[1]')" \
            "12: fail: unknown failure kind 'bogus' (expected \"check\" or \"invalid_json\")" \
            "unknown kind: a task error at the file and line, naming the kinds"
        ;;
    *)
        assert_eq "$(json_get "$S" 'd["totals"]["failures_by_kind"]')" "{\"$kind\": $req}" \
            "fail(msg, \"$kind\"): kind $kind"
        ;;
    esac
done

run_qvrrun "$SC" --out "$QVR_TMP/t" --quiet -e STALL=2s/3s -e TIMEOUT=500ms -e DUR=4s
assert_eq "$RC" 0 "stall run exits 0"
assert_ge "$(json_get "$QVR_TMP/t/summary.json" 'd["totals"]["failures_by_kind"].get("timeout", 0)')" 1 "stalls past the timeout are timeouts"
assert_le "$(json_get "$QVR_TMP/t/summary.json" 'd["totals"]["latency_ms"]["max"]')" 700 "none waited past the 500 ms timeout"
finish
