#!/usr/bin/env bash
# tests/fuzz/run.sh -- build the libFuzzer targets with clang
# (-fsanitize=fuzzer,address,undefined) and run each for N seconds.
#
#   tests/fuzz/run.sh [--seconds N] [--build DIR] [--update-corpus] [TARGET...]
#
#   --seconds N       fuzzing time per target (default 60; CI uses 10)
#   --build DIR       keep objects, binaries, new inputs and crash artifacts
#                     in DIR (default: a temporary directory, removed at the
#                     end unless something crashed)
#   --update-corpus   merge the inputs that found new coverage into
#                     tests/fuzz/corpus/<target>/ (libFuzzer -merge=1, so
#                     only inputs that add coverage are kept)
#   TARGET            fuzz_duration fuzz_thresh fuzz_hist_decode
#                     fuzz_mock_request fuzz_summary fuzz_sse (default: all)
#
# For each target it first replays tests/fuzz/crashers/<target>/ (past
# crashers must stay fixed), then fuzzes, starting from the checked-in
# corpus read-only: new inputs go to the build directory, so a CI run never
# edits the tree. A crash leaves its input in DIR/artifacts/<target>/ and
# this prints the command to reproduce it; copy the file to
# tests/fuzz/crashers/<target>/ so that ctest (unit/test_fuzz_regress)
# replays it until it is fixed.
#
# Exit status: 0 nothing found, 1 a target crashed, leaked, timed out or a
# past crasher crashes again, 2 bad usage or no clang/libFuzzer.
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
FUZZ=$SRC/tests/fuzz
ALL=(fuzz_duration fuzz_thresh fuzz_hist_decode fuzz_mock_request
     fuzz_summary fuzz_sse)
SECONDS_PER=60
BUILD=
UPDATE=0
TARGETS=()
CC=${CC_FUZZ:-clang}

usage()
{
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
}

while (($#)); do
    case $1 in
    --seconds)
        [[ $# -ge 2 && $2 =~ ^[0-9]+$ && $2 -ge 1 ]] ||
            { echo "run.sh: --seconds needs a whole number >= 1" >&2; exit 2; }
        SECONDS_PER=$2
        shift 2 ;;
    --build)
        [[ $# -ge 2 ]] || { echo "run.sh: --build needs a directory" >&2; exit 2; }
        BUILD=$2
        shift 2 ;;
    --update-corpus)
        UPDATE=1
        shift ;;
    -h | --help)
        usage
        exit 0 ;;
    -*)
        echo "run.sh: unknown flag '$1' (see --help)" >&2
        exit 2 ;;
    *)
        [[ " ${ALL[*]} " == *" $1 "* ]] ||
            { echo "run.sh: unknown target '$1' (one of: ${ALL[*]})" >&2; exit 2; }
        TARGETS+=("$1")
        shift ;;
    esac
done
((${#TARGETS[@]})) || TARGETS=("${ALL[@]}")

if ! command -v "$CC" >/dev/null 2>&1; then
    echo "run.sh: $CC not found (Debian: apt-get install -y clang libclang-rt-14-dev)" >&2
    exit 2
fi

KEEP=1
if [[ -z "$BUILD" ]]; then
    BUILD=$(mktemp -d "${TMPDIR:-/tmp}/qvr-fuzz.XXXXXX")
    KEEP=0
fi
mkdir -p "$BUILD/obj" "$BUILD/bin"
cleanup()
{
    if ((KEEP == 0)); then
        rm -rf -- "$BUILD"
    fi
}
trap cleanup EXIT

if ! printf '%s\n' 'int LLVMFuzzerTestOneInput(const char *d, long n);' \
    'int LLVMFuzzerTestOneInput(const char *d, long n) { return !d + !n; }' |
    "$CC" -fsanitize=fuzzer -x c - -o "$BUILD/bin/probe" \
        2>"$BUILD/probe.log"; then
    echo "run.sh: $CC cannot link -fsanitize=fuzzer (Debian: apt-get install -y libclang-rt-14-dev)" >&2
    cat "$BUILD/probe.log" >&2
    exit 2
fi

PKGS="lua5.4 libcurl libevent libevent_pthreads libcjson zlib"
# shellcheck disable=SC2086  # word splitting of pkg-config output is meant
read -r -a PKG_CFLAGS <<<"$(pkg-config --cflags $PKGS)"
# shellcheck disable=SC2086
read -r -a PKG_LIBS <<<"$(pkg-config --libs $PKGS)"
# shellcheck disable=SC2054  # the commas are part of one flag
SAN=(-fsanitize=address,undefined -fno-sanitize-recover=undefined
     -fno-omit-frame-pointer)
# Every wing folder of core/ is searched for "x.h", as in CMakeLists.txt.
QUOTE=(-iquote "$SRC/core")
for dir in "$SRC"/core/*/; do
    QUOTE+=(-iquote "${dir%/}")
done
CFLAGS=(-std=c11 -D_GNU_SOURCE -g -O1 "${SAN[@]}" "${QUOTE[@]}"
        "${PKG_CFLAGS[@]}")

# The core library, instrumented for coverage (fuzzer-no-link). A file
# another engineer is editing may not compile: it is left out with a note,
# and the link says so if a target needs it.
echo "run.sh: building core with $CC into $BUILD"
objs=()
for src in "$SRC"/core/*.c "$SRC"/core/*/*.c; do
    [ -e "$src" ] || continue
    obj=$BUILD/obj/$(basename "${src%.c}").o
    if "$CC" "${CFLAGS[@]}" -fsanitize=fuzzer-no-link -c "$src" -o "$obj" \
        2>"$obj.log"; then
        objs+=("$obj")
    else
        echo "run.sh: note: $(basename "$src") does not compile, left out" \
            "(see $obj.log)" >&2
    fi
done
# The dashboard page and its charting library, compiled in as for qvrrun
# (report.html is written by qvr_render, which fuzz_summary drives).
if cmake -DOUT="$BUILD/web_embed.c" -DSRC_DIR="$SRC/web" \
    -DDYGRAPHS_DIR=/usr/share/javascript/dygraphs \
    -P "$SRC/cmake/embed_web.cmake" >"$BUILD/web_embed.log" 2>&1 &&
    "$CC" "${CFLAGS[@]}" -c "$BUILD/web_embed.c" -o "$BUILD/obj/web_embed.o" \
        2>>"$BUILD/web_embed.log"; then
    objs+=("$BUILD/obj/web_embed.o")
else
    echo "run.sh: note: the embedded page did not build (see" \
        "$BUILD/web_embed.log)" >&2
fi
rm -f "$BUILD/libqvrfuzz.a"
ar rcs "$BUILD/libqvrfuzz.a" "${objs[@]}"
status=0
for t in "${TARGETS[@]}"; do
    bin=$BUILD/bin/$t
    if ! "$CC" "${CFLAGS[@]}" -fsanitize=fuzzer "$FUZZ/$t.c" \
        "$BUILD/libqvrfuzz.a" "${PKG_LIBS[@]}" -lpthread -lm -o "$bin" \
        2>"$BUILD/$t.link.log"; then
        echo "FAIL $t: does not build:" >&2
        cat "$BUILD/$t.link.log" >&2
        status=1
        continue
    fi
    opts=(-timeout=10 -rss_limit_mb=2048 -print_final_stats=1)
    [[ -f "$FUZZ/dict/$t.dict" ]] && opts+=(-dict="$FUZZ/dict/$t.dict")

    # Past crashers first: each must now pass.
    crashers=()
    if [[ -d "$FUZZ/crashers/$t" ]]; then
        while IFS= read -r -d '' f; do
            crashers+=("$f")
        done < <(find "$FUZZ/crashers/$t" -type f ! -name '*.md' -print0 | sort -z)
    fi
    if ((${#crashers[@]})); then
        if ! "$bin" "${opts[@]}" "${crashers[@]}" >"$BUILD/$t.crashers.log" 2>&1; then
            echo "FAIL $t: a past crasher in tests/fuzz/crashers/$t crashes again:" >&2
            grep -E "ERROR|SUMMARY|Running:|fuzz_" "$BUILD/$t.crashers.log" | tail -n 12 >&2
            status=1
            KEEP=1
            continue
        fi
    fi

    mkdir -p "$BUILD/corpus/$t" "$BUILD/artifacts/$t"
    seeds=()
    [[ -d "$FUZZ/corpus/$t" ]] && seeds+=("$FUZZ/corpus/$t")
    log=$BUILD/$t.log
    if "$bin" "${opts[@]}" -max_total_time="$SECONDS_PER" \
        -artifact_prefix="$BUILD/artifacts/$t/" \
        "$BUILD/corpus/$t" "${seeds[@]}" >"$log" 2>&1; then
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
        cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -n 1 || true)
        echo "ok   $t: ${runs:-?} inputs in ${SECONDS_PER}s, ${cov:-cov: ?}, nothing found"
    else
        KEEP=1
        status=1
        art=$(find "$BUILD/artifacts/$t" -type f | head -n 1)
        echo "FAIL $t: libFuzzer stopped on a finding:" >&2
        grep -E "ERROR|SUMMARY|fuzz_[a-z_]+: " "$log" | head -n 8 >&2 || true
        echo "     input: ${art:-?}" >&2
        echo "     reproduce: $bin ${art:-INPUT}" >&2
        echo "     keep it: cp ${art:-INPUT} $FUZZ/crashers/$t/" >&2
        echo "     full log: $log" >&2
    fi
    if ((UPDATE)); then
        mkdir -p "$FUZZ/corpus/$t"
        before=$(find "$FUZZ/corpus/$t" -type f | wc -l)
        "$bin" -merge=1 -use_counters=0 "${opts[@]}" "$FUZZ/corpus/$t" \
            "$BUILD/corpus/$t" \
            >"$BUILD/$t.merge.log" 2>&1 || true
        after=$(find "$FUZZ/corpus/$t" -type f | wc -l)
        echo "     corpus/$t: $before -> $after files"
    fi
done
if ((KEEP)) && ((status)); then
    echo "run.sh: build directory kept: $BUILD" >&2
fi
exit "$status"
