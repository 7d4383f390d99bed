#!/usr/bin/env bash
# bench/ref/build.sh [OUT_DIR] -- builds the reference generators of bench/ref
# with gcc (-O2, as a user of libcurl would) into OUT_DIR (default
# ${TMPDIR:-/tmp}/qvr-bench-ref) and prints the directory.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-${TMPDIR:-/tmp}/qvr-bench-ref}
mkdir -p "$out"
# shellcheck disable=SC2046 # pkg-config output is meant to split
gcc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror \
    "$here/curl_poll.c" -o "$out/curl_poll" $(pkg-config --cflags --libs libcurl)
# shellcheck disable=SC2046
gcc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror \
    "$here/curl_stream.c" -o "$out/curl_stream" $(pkg-config --cflags --libs libcurl)
echo "$out"
