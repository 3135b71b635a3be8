#!/bin/bash
# make test-report: runs the tiny study, copies its report.html ALONE into an
# empty directory and opens it in headless Chromium with the network blocked.
# Fails unless the page shows every picture from itself (each decoded, its
# own script counts them into a hidden element, and counts zero resources
# fetched), and unless a screenshot of it is not blank (checked by
# saddle-test's report_screenshot_check).
# Usage: tests/report_check.sh bin/saddle bin/saddle-test
set -euo pipefail
saddle=${1:-bin/saddle}
tester=${2:-bin/saddle-test}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$saddle" study configs/study/tiny --out "$tmp/study" > "$tmp/study.log" 2>&1 || { tail -20 "$tmp/study.log"; exit 1; }
mkdir "$tmp/alone"
cp "$tmp/study/report.html" "$tmp/alone/"
page="file://$(realpath "$tmp/alone/report.html")"
total=$( (grep -o '<img ' "$tmp/alone/report.html" || true) | wc -l)
inside=$( (grep -o '<img src="data:image/' "$tmp/alone/report.html" || true) | wc -l)
if [ "$total" -lt 1 ] || [ "$inside" -ne "$total" ]; then
  echo "FAIL: $inside of $total images are carried inside report.html"; exit 1
fi
run_chromium() {
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync --disable-extensions \
    --host-resolver-rules="MAP * ~NOTFOUND" --proxy-server="http://127.0.0.1:9" \
    --user-data-dir="$(mktemp -d -p "$tmp")" --virtual-time-budget=10000 --hide-scrollbars "$@" "$page"
}
run_chromium --dump-dom > "$tmp/dom.html" 2> "$tmp/chromium.log" || true
line=$(grep -o '<div id="imgcheck"[^>]*>' "$tmp/dom.html" || true)
echo "report.html alone in Chromium: ${line:-no image check in the dumped DOM}"
if ! grep -q 'data-status="all-images-loaded"' "$tmp/dom.html" || ! grep -q 'data-requests="0"' "$tmp/dom.html"; then
  echo "FAIL: not every image of the report loaded from the page itself, or it fetched something"
  tail -5 "$tmp/chromium.log"; exit 1
fi
run_chromium --window-size=1280,8000 --screenshot="$tmp/shot.png" > "$tmp/shot.log" 2>&1 || true
[ -s "$tmp/shot.png" ] || { echo "FAIL: no screenshot"; tail -5 "$tmp/shot.log"; exit 1; }
SADDLE_REPORT_SCREENSHOT="$tmp/shot.png" "$tester" report_screenshot_check > "$tmp/check.log" 2>&1 \
  || { cat "$tmp/check.log"; echo "FAIL: the screenshot of report.html looks blank"; exit 1; }
grep '^screenshot' "$tmp/check.log" | sed "s|$tmp/||" || true
echo "test-report: all $total images carried inside the page and loaded, nothing fetched, screenshot not blank"
