#!/usr/bin/env bash
# Media files of rerank.payload{} (D14, D15): a folder, a FIFO or a file
# over the limit is one line naming the scenario line, the document and
# the reason, exit 2, nothing read (a FIFO without a writer cannot hang the
# load); the limit is 20 MiB by default and settable with max_media; a
# file under it becomes the same data: URL as before (base64 in C).
source "$(dirname "$0")/lib.sh"
qvr_tmpdir
cd "$QVR_TMP" || fail "cannot cd to $QVR_TMP"
mkdir folder
mkfifo pipe.png
printf 'hello' >small.png
truncate -s 21M big.mp4 # sparse: nothing written, 22020096 bytes
truncate -s 2000 mid.png

# write NAME IMAGE [EXTRA]: a scenario whose payload (line 3) has the
# document IMAGE, and EXTRA in the payload table.
write()
{
    cat >"$1.lua" <<EOF
local rerank = require "qvr.rerank"
local p =
  rerank.payload { query = "q", documents = { "a", { image = "$2" } } ${3:-} }
return scenario {
  name = "$1", target = "mock", load = users { count = 1, duration = "300ms" },
  wait = constant(0.05),
  tasks = { t = function()
    local r = rerank.post(nil, p)
    check(r, "sent the data URL", p.body:find('"data:image/png;base64,aGVsbG8="', 1, true) ~= nil)
  end },
}
EOF
}

# refused NAME IMAGE EXPECTED [EXTRA]: exit 2 with EXPECTED as stderr,
# within 5 s.
refused()
{
    write "$1" "$2" "${4:-}"
    QVR_TIMEOUT=5 run_qvrrun "$1.lua" --quiet --no-plots --out "$QVR_TMP/o-$1"
    assert_eq "$RC" 2 "$1: exit 2"
    assert_eq "$(cat "$QVR_STDERR")" "qvrrun: error: $3" "$1: the message"
    [[ ! -e "$QVR_TMP/o-$1/summary.json" ]] || fail "$1: a run happened"
}

refused folder folder \
    "folder.lua:3: rerank.payload: cannot read documents[2].image 'folder': is a folder, not a file"
refused fifo pipe.png \
    "fifo.lua:3: rerank.payload: cannot read documents[2].image 'pipe.png': is not a regular file (a device, FIFO or socket); it is not read"
refused big big.mp4 \
    "big.lua:3: rerank.payload: cannot read documents[2].image 'big.mp4': file of 21.0 MiB, limit 20.0 MiB (raise it with max_media = ...)"
refused small_limit mid.png \
    "small_limit.lua:3: rerank.payload: cannot read documents[2].image 'mid.png': file of 2000 bytes, limit 1999 bytes (raise it with max_media = ...)" \
    ', max_media = 1999'
refused bad_limit small.png \
    "bad_limit.lua:3: rerank.payload: max_media must be a size in bytes or a string such as '50MB', got 20 apples" \
    ', max_media = "20 apples"'

# The limit raised for one payload: the 21 MiB file is read (and sent).
write big_ok big.mp4 ', max_media = "22MB"'
run_qvrrun big_ok.lua --quiet --no-plots --out "$QVR_TMP/o-big_ok"
assert_eq "$RC" 0 "max_media = 22MB: the 21 MiB file is accepted"
assert_ge "$(json_get "$QVR_TMP/o-big_ok/summary.json" 'd["totals"]["bytes"]["sent"]')" \
    29360128 "max_media = 22MB: its base64 (28 MiB) was sent"

# A small file: the exact data: URL (base64 of "hello"), sent every time.
write small small.png
run_qvrrun small.lua --quiet --no-plots --out "$QVR_TMP/o-small"
assert_eq "$RC" 0 "small file: exit 0"
S=$QVR_TMP/o-small/summary.json
n=$(json_get "$S" 'd["totals"]["requests"]')
assert_ge "$n" 2 "small file: requests sent"
assert_eq "$(json_get "$S" '[c["passed"] for c in d["checks"] if c["name"] == "sent the data URL"][0]')" \
    "$n" "small file: base64 'aGVsbG8=' in every body"

# qvr.base64 and qvr.readfile from a scenario (the module, not globals).
cat >api.lua <<'EOF'
local qvr = require "qvr"
assert(qvr.base64("foobar") == "Zm9vYmFy")
assert(qvr.base64("fo", "p:") == "p:Zm8=")
assert(qvr.readfile("small.png") == "hello")
local d, msg, why = qvr.readfile("pipe.png")
assert(d == nil and why == "special", msg)
d, msg, why = qvr.readfile("mid.png", 10)
assert(d == nil and why == "too_large" and msg == "file of 2000 bytes, limit 10 bytes", msg)
d, msg, why = qvr.readfile("nope.png")
assert(d == nil and why == "missing" and msg == "No such file or directory", msg)
assert(base64 == nil and readfile == nil, "not globals")
assert(qvr.media_max == 20 * 1024 * 1024)
return scenario { name = "api", target = "mock",
  load = users { count = 1, duration = "100ms" },
  tasks = { t = function() http.get("/health") end } }
EOF
run_qvrrun api.lua --quiet --no-plots --out "$QVR_TMP/o-api"
assert_eq "$RC" 0 "qvr.base64 / qvr.readfile: every assertion held"

# The monitor's --image: the same refusals, before any probe (a FIFO used
# to block the start forever).
for img in pipe.png folder; do
    QVR_TIMEOUT=5 run_qvrrun monitor http://127.0.0.1:9 --image "$img" \
        --duration 1s --out "$QVR_TMP/mon-$img"
    assert_eq "$RC" 2 "monitor --image $img: exit 2"
done
assert_eq "$(cat "$QVR_STDERR")" \
    "qvrrun: error: --image: cannot read 'folder': is a folder, not a file" \
    "monitor --image folder: the message"
finish
