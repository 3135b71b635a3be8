#!/bin/bash
# Prints the version saddle is built as: `git describe` of the checkout this
# script belongs to (a tag's leading v dropped), else the VERSION file that
# `make dist` writes into a release tarball, else "unknown". A tarball
# unpacked inside some other git repository is not that repository's version.
# Usage: tools/version.sh [--clean]   (--clean: without the -dirty mark)
cd "$(dirname "$0")/.." || exit 1
dirty=--dirty
[ "${1:-}" = --clean ] && dirty=
v=
if top=$(git rev-parse --show-toplevel 2>/dev/null) && [ "$top" -ef . ]; then
  v=$(git describe --tags --always $dirty 2>/dev/null) || v=
  [[ $v =~ ^v[0-9] ]] && v=${v#v}
fi
if [ -z "$v" ] && [ -f VERSION ]; then
  IFS= read -r v < VERSION || true
fi
# It ends up in a C string, a file name and a man page: nothing but these.
[[ $v =~ ^[A-Za-z0-9][A-Za-z0-9.+~_-]{0,63}$ ]] || v=unknown
echo "$v"
