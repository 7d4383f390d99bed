# bench/section.sh -- sourced by the bench scripts.
#
# put_section RESULTS_FILE SECTION_FILE: puts the section (a markdown block
# starting with "## Title") into RESULTS_FILE in place of the section with
# the same title, or at the end; the other sections stay as they are. The
# file is replaced by a rename, never left half written.
put_section()
{
    python3 - "$1" "$2" <<'PY'
import os, re, sys
path, sec = sys.argv[1], open(sys.argv[2]).read().rstrip("\n") + "\n"
title = sec.split("\n", 1)[0]
try:
    text = open(path).read()
except OSError:
    text = ""
m = re.search("^" + re.escape(title) + r"\n.*?(?=^## |\Z)", text, flags=re.S | re.M)
if m:
    text = text[:m.start()] + sec + "\n" + text[m.end():]
else:
    text = text.rstrip("\n") + "\n\n" + sec
open(path + ".tmp", "w").write(text.rstrip("\n") + "\n")
os.replace(path + ".tmp", path)
PY
}
