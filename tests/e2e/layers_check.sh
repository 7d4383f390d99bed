#!/usr/bin/env bash
# tools/check-layers.sh catches what it is for: on a copy of core/, cli/,
# tools/ and docs/ with faults put in, each is one line and the exit is 1;
# the tree as it is passes.
source "$(dirname "$0")/lib.sh"
qvr_tmpdir
T=$QVR_TMP/tree
mkdir -p "$T"
cp -r "$QVR_SRC_DIR/core" "$QVR_SRC_DIR/cli" "$QVR_SRC_DIR/tools" \
    "$QVR_SRC_DIR/docs" "$T/"
check()
{
    RC=0
    bash "$T/tools/check-layers.sh" >"$QVR_TMP/out" 2>&1 || RC=$?
}
check
assert_eq "$RC" 0 "the tree as it is passes"

echo '#include "run.h"' >>"$T/core/base/log.c"           # upward
echo '#include <lua.h>' >>"$T/core/out/plot.c"           # Lua outside lua/
echo '#include <curl/curl.h>' >>"$T/core/net/expo.c"     # curl outside http.c
echo '#include "mock.h"' >>"$T/core/net/http.h"          # net -> mock ...
sed -i 's/^#include "collect.h"$//' "$T/core/results/report.c" # debt paid
: >"$T/core/stray.c"                                     # no wing
cp "$T/core/base/log.h" "$T/core/stats/log.h"            # a name twice
check
assert_eq "$RC" 1 "faults: exit 1"
O=$QVR_TMP/out
assert_contains "$O" 'core/base/log.c: includes "run.h" (run), but base may include only: base' "upward include"
assert_contains "$O" "core/out/plot.c: includes <lua.h> (lua), which out may not use" "lua.h outside lua/"
assert_contains "$O" "core/net/expo.c: includes <curl/curl.h> (curl), which net may not use (it may: event curl@http.c cjson@sse.c)" "curl outside http.c"
assert_contains "$O" 'core/net/http.h: includes "mock.h" (mock), but net may include only' "net -> mock"
assert_contains "$O" '"core/results/report.c collect.h" is no longer a fault; delete its line' "a stale allowlist entry"
assert_contains "$O" "core/stray.c: not in a wing folder" "a file outside a wing"
assert_contains "$O" "header name log.h is also in core/" "a header name twice"
assert_contains "$O" "circle between wings:" "a circle (base -> run -> ... -> base)"
finish
