#!/bin/bash
# Writes saddle.1 and saddle-CMD.1 for every command into OUTDIR, each made
# from the binary's own --help text (so a page says what --help says, no
# more and no less): the usage lines become the SYNOPSIS, "options:" and the
# like become sections, "  --opt ARG  text" lines become tagged paragraphs,
# other indented blocks are kept as they are laid out.
# Usage: tools/man/mkman.sh SADDLE OUTDIR VERSION
set -euo pipefail
saddle=$1 out=$2 version=$3
here=$(dirname "$0")
mkdir -p "$out"
rm -f "$out"/saddle.1 "$out"/saddle-*.1

# The top-level help lists "  train CONFIG ..." with the description on
# the next lines, or beside a short one ("  pca RUN        the plane ..."),
# both at one column (where an option's "[" or "-" is not a description).
top=$("$saddle" --help)
cmds=$(awk '/^commands:/ { on = 1; next } on && /^$/ { exit }
            on && /^  [a-z]/ { print $1 }' <<< "$top")
col=$(awk '/^commands:/ { on = 1; next } on && /^$/ { exit }
           on && /^   / { match($0, /^ */); print RLENGTH; exit }' <<< "$top")
[ -n "$cmds" ] && [ -n "$col" ] || { echo "mkman: no commands in '$saddle --help'" >&2; exit 1; }

gen() { # NAME SUMMARY SEEALSO; the help text on stdin
  awk -v name="$1" -v summary="$2" -v seealso="$3" -v version="$version" -v cmdcol="$col" -f "$here/help2roff.awk"
}

see=""
for c in $cmds; do see="$see saddle-$c"; done
gen saddle "train small MLPs and measure the minima they find" "$see" <<< "$top" > "$out/saddle.1.tmp"
mv "$out/saddle.1.tmp" "$out/saddle.1"

for c in $cmds; do
  summary=$(awk -v c="$c" -v col="$col" '
    /^commands:/ { on = 1; next }
    on && /^$/ { exit }
    on && /^  [a-z]/ { if (found) exit
                       if ($1 == c) { found = 1
                                      if (substr($0, col, 1) == " " && substr($0, col + 1, 1) ~ /[a-zA-Z]/) { print substr($0, col + 1); exit } }
                       next }
    found { sub(/^ +/, ""); printf "%s%s", (n++ ? " " : ""), $0 }' <<< "$top")
  [ -n "$summary" ] || { echo "mkman: no description of '$c' in '$saddle --help'" >&2; exit 1; }
  "$saddle" "$c" --help | gen "saddle-$c" "$summary" saddle > "$out/saddle-$c.1.tmp"
  mv "$out/saddle-$c.1.tmp" "$out/saddle-$c.1"
done
