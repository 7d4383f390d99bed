#!/usr/bin/env bash
# tools/check-layers.sh -- checks the include rules of docs/architecture.md.
#
#   tools/check-layers.sh              check; exit 1 and one line per fault
#   tools/check-layers.sh --write-doc  rewrite the module table of
#                                      docs/architecture.md from the data
#
# The rules are tools/layers.txt (wing | may include | third-party | owns).
# Every .c/.h of core/ sits in a wing folder (core/<wing>/), cli/ is the wing
# "cli". For each #include "x.h" the wing of x.h (found by its name, which
# must be unique) must be one the including wing may include; for each
# #include <...> of a third-party library the wing (or, for lib@file, that
# one file) must be allowed it. Between wings no circle may form, whatever
# the allowlist says. Known faults that cannot go cheaply are listed, with
# their reason, in tools/layers-allow.txt ("file what reason"); an entry that
# no longer matches a fault is itself a fault, so the list only shrinks. The
# module table between the "layers:" markers of docs/architecture.md must be
# what --write-doc writes. ctest runs this as the test "layers".
set -u
shopt -s nullglob
cd "$(dirname "$0")/.." || exit 2
LAYERS=tools/layers.txt
ALLOW=tools/layers-allow.txt
DOC=docs/architecture.md
mode=check
case "${1:-}" in
"") ;;
--write-doc) mode="write" ;;
*)
    echo "usage: tools/check-layers.sh [--write-doc]" >&2
    exit 2
    ;;
esac

declare -A may third owns rank header_wing allowed used
wings=()
n=0
while IFS='|' read -r w m t o; do
    w=$(echo "$w" | xargs)
    case "$w" in '' | '#'*) continue ;; esac
    wings+=("$w")
    may[$w]=" $(echo "$m" | xargs) "
    third[$w]=" $(echo "$t" | xargs) "
    owns[$w]=$(echo "$o" | xargs)
    rank[$w]=$n
    n=$((n + 1))
done <"$LAYERS"

faults=0
fault() {
    echo "check-layers: $*"
    faults=$((faults + 1))
}

# The files, and the wing of each header by its name.
files=()
for f in core/* core/*/* cli/*; do
    case "$f" in *.c | *.h) ;; *) continue ;; esac
    files+=("$f")
    case "$f" in
    cli/*) w=cli ;;
    core/*/*) w=${f#core/} w=${w%%/*} ;;
    *)
        fault "$f: not in a wing folder (move it to core/<wing>/)"
        continue
        ;;
    esac
    if [ -z "${rank[$w]+x}" ]; then
        fault "$f: folder core/$w is no wing of $LAYERS"
        continue
    fi
    b=${f##*/}
    if [[ $b == *.h ]]; then
        if [ -n "${header_wing[$b]+x}" ]; then
            fault "$f: header name $b is also in core/${header_wing[$b]}/"
        fi
        header_wing[$b]=$w
    fi
done

while read -r f what _; do
    case "$f" in '' | '#'*) continue ;; esac
    allowed["$f $what"]=1
done <"$ALLOW"

lib_of() {
    case "$1" in
    lua.h | lauxlib.h | lualib.h) echo lua ;;
    curl/*) echo curl ;;
    event2/*) echo event ;;
    cjson/*) echo cjson ;;
    zlib.h) echo zlib ;;
    mimalloc.h) echo mimalloc ;;
    esac
}

# A fault, unless the allowlist names it (then it is debt, and used).
violation() {
    local key="$1 $2"
    shift 2
    if [ -n "${allowed[$key]+x}" ]; then
        used[$key]=1
    else
        fault "$*"
    fi
}

declare -A edge
for f in "${files[@]}"; do
    case "$f" in
    cli/*) w=cli ;;
    core/*/*) w=${f#core/} w=${w%%/*} ;;
    *) continue ;;
    esac
    [ -n "${rank[$w]+x}" ] || continue
    while read -r h; do
        if [[ $h == '"'* ]]; then
            h=${h//\"/}
            hw=${header_wing[$h]-}
            if [ -z "$hw" ]; then
                fault "$f: includes \"$h\", which no wing holds"
                continue
            fi
            [ "$hw" = "$w" ] && continue
            edge["$w $hw"]=1
            [[ ${may[$w]} == *" * "* || ${may[$w]} == *" $hw "* ]] && continue
            violation "$f" "$h" "$f: includes \"$h\" ($hw), but $w may" \
                "include only: $(xargs <<<"${may[$w]}")"
        else
            h=${h//[<>]/}
            lib=$(lib_of "$h")
            [ -n "$lib" ] || continue
            t=${third[$w]}
            [[ $t == *" * "* || $t == *" $lib "* ]] && continue
            [[ $t == *" $lib@${f##*/} "* ]] && continue
            t=$(xargs <<<"$t")
            violation "$f" "$lib" "$f: includes <$h> ($lib), which $w may" \
                "not use (it may: ${t:-none})"
        fi
    done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*\([<"][^>"]*[>"]\).*/\1/p' "$f")
done

for k in "${!allowed[@]}"; do
    [ -n "${used[$k]+x}" ] ||
        fault "$ALLOW: \"$k\" is no longer a fault; delete its line"
done

# No circle between wings, whatever the allowlist lets through: a
# depth-first walk over the wing graph, cli left out (it is the top).
declare -A state
cycle=""
visit() {
    local u=$1 v e
    state[$u]=1
    for e in "${!edge[@]}"; do
        [ "${e%% *}" = "$u" ] || continue
        v=${e#* }
        [ "$v" = cli ] && continue
        if [ "${state[$v]-0}" = 1 ]; then
            cycle="$u -> $v"
            return 1
        fi
        if [ "${state[$v]-0}" = 0 ]; then
            visit "$v" || {
                cycle="$u -> $cycle"
                return 1
            }
        fi
    done
    state[$u]=2
}
for w in "${wings[@]}"; do
    [ "$w" = cli ] && continue
    if [ "${state[$w]-0}" = 0 ] && ! visit "$w"; then
        fault "circle between wings: $cycle"
        break
    fi
done

# The module table of docs/architecture.md.
table() {
    echo '| wing | files | owns | may include | third-party |'
    echo '|---|---|---|---|---|'
    local w list f t
    for w in "${wings[@]}"; do
        if [ "$w" = cli ]; then
            list=$(cd cli && printf '%s\n' *.c | sed 's/\.c$//' | xargs)
        else
            list=$(cd "core/$w" 2>/dev/null &&
                printf '%s\n' *.c *.h | sed 's/\.[ch]$//' | sort -u | xargs)
        fi
        # shellcheck disable=SC2016  # the backquotes are Markdown
        list=$(echo "$list" | sed 's/\([^ ]*\)/`\1`/g; s/ /, /g')
        t=$(echo "${third[$w]}" | xargs | sed 's/ /, /g')
        f=$(echo "${may[$w]}" | xargs | sed "s/\b$w\b//; s/  */ /g" | xargs |
            sed 's/ /, /g')
        [ "$w" = cli ] && f=anything t=anything
        echo "| \`$w\` | $list | ${owns[$w]} | ${f:-nothing} | ${t:-none} |"
    done
}
begin='<!-- layers:begin (tools/check-layers.sh --write-doc) -->'
end='<!-- layers:end -->'
if ! grep -qF "$begin" "$DOC" || ! grep -qF "$end" "$DOC"; then
    fault "$DOC: no module table between the layers: markers"
else
    want=$(table)
    have=$(awk -v b="$begin" -v e="$end" '$0 == e { on = 0 } on { print }
        $0 == b { on = 1 }' "$DOC")
    if [ "$want" != "$have" ]; then
        if [ "$mode" = write ]; then
            tmp=$(mktemp "$DOC.XXXXXX")
            awk -v b="$begin" -v e="$end" -v t="$want" '
                $0 == b { print; print t; skip = 1; next }
                $0 == e { skip = 0 }
                !skip { print }' "$DOC" >"$tmp" && mv "$tmp" "$DOC"
            echo "check-layers: rewrote the module table of $DOC"
        else
            fault "$DOC: the module table is out of date" \
                "(tools/check-layers.sh --write-doc)"
        fi
    fi
fi

if [ "$faults" -gt 0 ]; then
    echo "check-layers: $faults fault(s); the rules are $LAYERS and" \
        "docs/architecture.md"
    exit 1
fi
echo "check-layers: ${#files[@]} files, ${#wings[@]} wings:" \
    "no wrong-way include, no circle (${#allowed[@]} allowed debts)"
