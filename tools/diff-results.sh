#!/usr/bin/env bash
# tools/diff-results.sh -- do two qvrrun binaries leave the same results?
#
#   tools/diff-results.sh OLD_QVRRUN NEW_QVRRUN [WORKDIR]
#
# Runs the ready scenarios (scenarios/*.lua, shortened with --duration or
# HOLD=, settles cut to 1 s in a copy) and the e2e fixtures that target the
# built-in mock (tests/e2e/scenarios/), once with each binary, against the
# built-in mock with its fixed seed (the scenarios' own mock = {} flags
# kept). Then it compares, for every run:
#   - the exit code;
#   - the files of the result directory (charts included, by name);
#   - summary.json's shape: every key path with its JSON type (arrays
#     merged; a number and null count as one type), whatever the values;
#   - summary.json's values that do not depend on timing: schema, scenario,
#     config (the out directory and times aside), thresholds (expr, abort,
#     window; not measured values or verdicts), the task and name sets,
#     the check labels, the number of steps and their planned users/rate
#     (not for a sweep, whose rates, steps and knee follow the measured
#     capacity);
#   - the header line of every CSV file.
# Timestamps and measured figures (counts of requests included: they
# follow the clock) are left out. Tasks are picked at random by weight, so a
# run must be long enough for every task to run (soak: 10 s). Prints one line per difference and
# exits 1 when there is any, 0 when the results agree. Loopback only.
set -u
if [ $# -lt 2 ]; then
    echo "usage: tools/diff-results.sh OLD_QVRRUN NEW_QVRRUN [WORKDIR]" >&2
    exit 2
fi
OLD=$(realpath "$1")
NEW=$(realpath "$2")
SRC=$(cd "$(dirname "$0")/.." && pwd)
WORK=${3:-$(mktemp -d /tmp/qvr-diff-results.XXXXXX)}
mkdir -p "$WORK"
# Both binaries draw with this tree's templates, wherever they were built
# (a copied binary finds none of its own: its charts would be missing).
export QVR_PLOTS_DIR=${QVR_PLOTS_DIR:-$SRC/plots}
for b in "$OLD" "$NEW"; do
    [ -x "$b" ] || {
        echo "diff-results: $b is not executable" >&2
        exit 2
    }
done

# A copy of the ready scenarios with every settle at 1 s (examples/ linked
# so their relative data paths still resolve).
mkdir -p "$WORK/src/scenarios"
ln -sfn "$SRC/examples" "$WORK/src/examples"
for f in "$SRC"/scenarios/*.lua; do
    sed 's/settle *= *"[^"]*"/settle = "1s"/' "$f" \
        >"$WORK/src/scenarios/$(basename "$f")"
done
R=$WORK/src/scenarios
E=$SRC/tests/e2e/scenarios

# name | scenario | flags
RUNS=(
    "baseline|$R/baseline.lua|--duration 3s"
    "multimodal|$R/multimodal.lua|--duration 3s"
    "quickstart|$R/quickstart.lua|--duration 3s"
    "rate|$R/rate.lua|--duration 3s"
    "soak|$R/soak.lua|--duration 10s"
    "steps|$R/steps.lua|-e HOLD=1s"
    "sweep|$R/sweep.lua|-e HOLD=1s"
    "doc-sweep|$R/doc-sweep.lua|-e HOLD=1s"
    "e2e-dialects|$E/dialects.lua|"
    "e2e-faults|$E/faults.lua|-e DUR=2s"
    "e2e-no_data|$E/no_data.lua|"
    "e2e-abort|$E/abort.lua|-e USERS=4 -e DURATION=3s"
    "e2e-rampdown|$E/rampdown.lua|"
    "e2e-rate_steps|$E/rate_steps.lua|-e HOLD=1s"
    "e2e-shapes|$E/shapes.lua|-e HOLD=1s"
    "e2e-profile|$E/profile.lua|-e HOLD=1s"
    "e2e-drift|$E/drift.lua|-e DURATION=3s"
)

# norm.py DIR: the timing-free facts of one result directory, one a line.
cat >"$WORK/norm.py" <<'EOF'
import json, os, sys

d = sys.argv[1]
out = []
for f in sorted(os.listdir(d)):
    if f.startswith("."):
        continue
    out.append("file " + f)
    if f.endswith(".csv"):
        with open(os.path.join(d, f)) as fh:
            out.append("csv-header %s %s" % (f, fh.readline().rstrip("\n")))
p = os.path.join(d, "summary.json")
if os.path.exists(p):
    s = json.load(open(p))
    paths = set()
    load = s.get("config", {}).get("load", {})
    sweep = isinstance(load, dict) and load.get("shape") == "sweep"

    def walk(v, at):
        if sweep and at.startswith((".knee", ".steps")):
            return  # a sweep's knee and rates follow the measured capacity
        t = type(v).__name__
        if t in ("int", "float", "NoneType"):
            t = "number"  # a measured figure may be null (n/a)
        paths.add("%s:%s" % (at, t))
        if isinstance(v, dict):
            for k, x in v.items():
                walk(x, at + "." + k)
        elif isinstance(v, list):
            for x in v:
                walk(x, at + "[]")

    walk(s, "")
    out += ["key " + k for k in sorted(paths)]
    cfg = dict(s.get("config", {}))
    for k in ("out", "out_dir", "started", "start", "started_at", "ended_at",
              "target_url", "start_at", "wall_start", "threads"):
        cfg.pop(k, None)
    out.append("config " + json.dumps(cfg, sort_keys=True))
    for k in ("schema", "scenario", "name", "exit_code"):
        if k in s:
            out.append("%s %s" % (k, json.dumps(s[k])))
    for t in s.get("thresholds", []):
        out.append("threshold " + json.dumps(
            {k: t.get(k) for k in ("expr", "abort", "window", "after")},
            sort_keys=True))
    for k in ("tasks", "names"):
        if isinstance(s.get(k), dict):
            out.append("%s %s" % (k, sorted(s[k])))
    ch = s.get("checks")
    if isinstance(ch, dict):
        out.append("checks %s" % sorted(ch))
    elif isinstance(ch, list):
        out.append("checks %s" % sorted(str(c.get("label")) for c in ch))
    st = None if sweep else s.get("steps")
    if isinstance(st, list):
        out.append("steps %d" % len(st))
        for r in st:
            out.append("step " + json.dumps(
                {k: r.get(k) for k in ("index", "users", "rate", "vary",
                                       "label")}, sort_keys=True))
print("\n".join(out))
EOF

run_one()
{
    local bin=$1 tag=$2 name=$3 sc=$4 flags=$5 dir rc=0
    dir=$WORK/$tag/$name
    rm -rf "$dir"
    # shellcheck disable=SC2086  # flags are words
    timeout -k 5 120 "$bin" "$sc" $flags --quiet --out "$dir" \
        >"$WORK/$tag/$name.stdout" 2>"$WORK/$tag/$name.stderr" </dev/null ||
        rc=$?
    echo "$rc" >"$WORK/$tag/$name.rc"
}

status=0
for spec in "${RUNS[@]}"; do
    IFS='|' read -r name sc flags <<<"$spec"
    mkdir -p "$WORK/old" "$WORK/new"
    run_one "$OLD" old "$name" "$sc" "$flags"
    run_one "$NEW" new "$name" "$sc" "$flags"
    a=$WORK/old/$name.facts b=$WORK/new/$name.facts
    {
        echo "exit $(cat "$WORK/old/$name.rc")"
        [ -d "$WORK/old/$name" ] && python3 "$WORK/norm.py" "$WORK/old/$name"
    } >"$a"
    {
        echo "exit $(cat "$WORK/new/$name.rc")"
        [ -d "$WORK/new/$name" ] && python3 "$WORK/norm.py" "$WORK/new/$name"
    } >"$b"
    if diff -q "$a" "$b" >/dev/null; then
        echo "same     $name (exit $(cat "$WORK/new/$name.rc"), $(wc -l <"$b") facts)"
    else
        echo "DIFFERS  $name:"
        diff "$a" "$b" | sed -n 's/^[<>] /    &/p' | head -20
        status=1
    fi
done
echo "diff-results: results in $WORK"
exit $status
