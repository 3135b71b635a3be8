#!/bin/bash
# make test-report: runs the tiny study and opens its report.html in headless
# Chromium; the page's own script counts the images that loaded, and this
# fails unless every one did. Usage: tests/report_check.sh bin/saddle
set -euo pipefail
saddle=${1:-bin/saddle}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$saddle" study configs/study/tiny --out "$tmp/study" > "$tmp/study.log" 2>&1 || { tail -20 "$tmp/study.log"; exit 1; }
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$(mktemp -d -p "$tmp")" --virtual-time-budget=10000 \
  --dump-dom "file://$(realpath "$tmp/study/report.html")" > "$tmp/dom.html" 2> "$tmp/chromium.log" || true
line=$(grep -o 'id="imgcheck"[^<]*' "$tmp/dom.html" || true)
echo "report.html in Chromium: ${line:-no image check in the dumped DOM}"
total=$(grep -o '<img ' "$tmp/study/report.html" | wc -l)
if [ "$total" -lt 1 ] || ! grep -q "data-status=\"all-images-loaded\"" "$tmp/dom.html"; then
  echo "FAIL: not every image of the report loaded (or the page did not run)"; tail -5 "$tmp/chromium.log"; exit 1
fi
echo "test-report: all $total images loaded"
