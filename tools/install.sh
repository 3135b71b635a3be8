#!/bin/bash
# make install / make uninstall. Install copies the binary, the man pages,
# the bash completion, the example configs and the README under
# DESTDIR/PREFIX and records every file and every directory it created in
# PREFIX/share/saddle/install-manifest; uninstall removes exactly those
# (directories only once empty), so it takes away no file it did not put there.
# Usage: tools/install.sh install DESTDIR PREFIX SADDLE MANDIR
#        tools/install.sh uninstall DESTDIR PREFIX
set -euo pipefail
what=$1 destdir=$2 prefix=$3
case $prefix in /*) ;; *) echo "install: PREFIX must be an absolute path, not '$prefix'" >&2; exit 2 ;; esac
root=$destdir$prefix
manifest_rel=share/saddle/install-manifest
manifest=$root/$manifest_rel

# "f PATH" and "d PATH" lines, PATH relative to PREFIX.
declare -a made=()
mkdirs() { # every missing directory from PREFIX down to $1 (relative)
  local rel=$1 sofar=
  local IFS=/
  for part in $rel; do
    sofar=${sofar:+$sofar/}$part
    if [ ! -d "$root/$sofar" ]; then mkdir -p "$root/$sofar"; made+=("d $sofar"); fi
  done
}
put() { # MODE SRC DEST(relative to PREFIX)
  mkdirs "$(dirname "$3")"
  install -m "$1" "$2" "$root/$3"
  made+=("f $3")
}

case $what in
install)
  saddle=$4 mandir=$5
  cd "$(dirname "$0")/.."
  put 0755 "$saddle" bin/saddle
  shopt -s nullglob
  pages=("$mandir"/*.1)
  [ ${#pages[@]} -gt 0 ] || { echo "install: no man pages in $mandir (make man)" >&2; exit 1; }
  for p in "${pages[@]}"; do put 0644 "$p" "share/man/man1/$(basename "$p")"; done
  put 0644 tools/completion/saddle.bash share/bash-completion/completions/saddle
  while IFS= read -r f; do
    put 0644 "$f" "share/saddle/$f"
  done < <(find configs -type f \( -name '*.ini' \) | sort)
  for f in README.md LICENSE CITATION.cff; do put 0644 "$f" "share/doc/saddle/$f"; done
  # A reinstall keeps what an earlier install recorded (a page since
  # renamed is still removed by uninstall).
  mkdirs "$(dirname "$manifest_rel")"
  { [ -f "$manifest" ] && cat "$manifest"; printf '%s\n' "${made[@]}"; } | sort -u > "$manifest.tmp"
  mv "$manifest.tmp" "$manifest"
  echo "installed saddle under $root (manifest: $manifest)"
  ;;
uninstall)
  [ -f "$manifest" ] || { echo "uninstall: no $manifest: saddle is not installed under $root" >&2; exit 1; }
  dirs=()
  while IFS=' ' read -r kind rel; do
    case $rel in ''|/*|..|../*|*/..|*/../*) echo "uninstall: skipping bad manifest entry '$rel'" >&2; continue ;; esac
    case $kind in
      f) rm -f -- "$root/$rel" ;;
      d) dirs+=("$rel") ;;
    esac
  done < "$manifest"
  rm -f -- "$manifest"
  # Deepest first; a directory that still holds something else stays.
  [ ${#dirs[@]} -eq 0 ] || printf '%s\n' "${dirs[@]}" | awk '{ print length($0) " " $0 }' | sort -rn | cut -d' ' -f2- |
    while IFS= read -r rel; do rmdir -- "$root/$rel" 2>/dev/null || true; done
  echo "uninstalled saddle from $root"
  ;;
*) echo "usage: tools/install.sh install|uninstall DESTDIR PREFIX [SADDLE MANDIR]" >&2; exit 2 ;;
esac
