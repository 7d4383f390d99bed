#!/usr/bin/env bash
# A write error during the run (the result directory's file system fills
# up) exits 3 with a message naming the file, and never leaves a
# half-written summary.json behind. Needs root for a small tmpfs.
source "$(dirname "$0")/lib.sh"
qvr_tmpdir
start_nginx
mnt=$QVR_TMP/small
mkdir -p "$mnt"
mount -t tmpfs -o size=256k tmpfs "$mnt" || fail "cannot mount a tmpfs (this test runs as root)"
# keep the test's own exit status for qvr_cleanup, which reads $?
trap 'rc=$?; umount "$mnt" 2>/dev/null; (exit $rc); qvr_cleanup' EXIT
mkdir "$mnt/out"
# leave a few KiB: enough for the writability probe, not for the results
dd if=/dev/zero of="$mnt/filler" bs=1k count=250 2>/dev/null || true
run_qvrrun "$QVR_SRC_DIR/tests/e2e/scenarios/mix.lua" --out "$mnt/out" --quiet \
    --no-plots -e QVR_TARGET="http://127.0.0.1:$NGINX_PORT" -e USERS=2 -e DURATION=2s
assert_eq "$RC" 3 "write error during the run: exit 3"
assert_contains "$QVR_STDOUT" "TOTAL" "the results table is still printed (it needs no disk)"
assert_contains "$QVR_STDERR" "No space left on device"
assert_contains "$QVR_STDERR" "$mnt/out/"
[[ ! -e "$mnt/out/summary.json" ]] && pass "no half-written summary.json" || \
    python3 -c "import json,sys; json.load(open(sys.argv[1]))" "$mnt/out/summary.json" ||
    fail "summary.json is half-written"
[[ -z "$(ls -A "$mnt/out" | grep '\.tmp$' || true)" ]] && pass "no temporary files left" || fail "temporary files left behind"

# A log written as the run goes (latency.hlog here) that cannot be written:
# the run still ends and writes its summary, then says which file failed
# and exits 3. The log is a link into the tmpfs, filled up first (no /dev
# node is written).
mkdir "$QVR_TMP/full"
dd if=/dev/zero of="$mnt/filler2" bs=1k count=1024 2>/dev/null || true
ln -s "$mnt/hlog" "$QVR_TMP/full/latency.hlog"
run_qvrrun "$QVR_SRC_DIR/tests/e2e/scenarios/mix.lua" --out "$QVR_TMP/full" --quiet \
    --no-plots -e QVR_TARGET="http://127.0.0.1:$NGINX_PORT" -e USERS=2 -e DURATION=2s
assert_eq "$RC" 3 "latency.hlog unwritable: exit 3"
assert_contains "$QVR_STDERR" "cannot write $QVR_TMP/full/latency.hlog: No space left on device"
assert_ge "$(json_get "$QVR_TMP/full/summary.json" 'd["totals"]["requests"]')" 1 "summary.json still written"
assert_ge "$(wc -l < "$QVR_TMP/full/timeseries_by_name.csv")" 2 "timeseries_by_name.csv written beside the failed log"
# Reading it back: a device is not read forever (it used to be; the
# device is only opened for reading).
rm "$QVR_TMP/full/latency.hlog"
ln -s /dev/full "$QVR_TMP/full/latency.hlog"
QVR_TIMEOUT=20 run_qvrrun report "$QVR_TMP/full" --no-plots --quiet
assert_eq "$RC" 3 "report on a log that is a device: exit 3"
assert_contains "$QVR_STDERR" "cannot read $QVR_TMP/full/latency.hlog: not a regular file"
# Nor does a FIFO without a writer hang the open (it used to: fopen blocks
# until a writer comes).
rm "$QVR_TMP/full/latency.hlog"
mkfifo "$QVR_TMP/full/latency.hlog"
t0=$(date +%s)
QVR_TIMEOUT=20 run_qvrrun report "$QVR_TMP/full" --no-plots --quiet
assert_eq "$RC" 3 "report on a log that is a FIFO: exit 3 (not the timeout's 124)"
assert_le "$(($(date +%s) - t0))" 5 "report on a FIFO returns at once"
assert_contains "$QVR_STDERR" "cannot read $QVR_TMP/full/latency.hlog: not a regular file"
finish
