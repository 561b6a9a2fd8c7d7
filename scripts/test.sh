#!/usr/bin/env bash
# npm test: install what is missing, build, lint, then run every suite (server and agent with
# jasmine, the UI with karma in headless Chromium). Ends with one "N passed, N failed" line.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || { echo "setup failed"; exit 1; }

log_dir=$(mktemp -d)
trap 'rm -rf "$log_dir"' EXIT
status=0

echo "== build" >&2
# From scratch: output of a source file that was moved or removed would otherwise still run as a spec.
rm -rf build
npx tsc -p tsconfig.json || { echo "0 passed, 1 failed"; exit 1; }
echo "== lint" >&2
npx eslint . || status=1

if [[ -f angular.json ]]; then
  # The end-to-end suite drives the built UI through the server.
  echo "== UI build" >&2
  npx ng build plugin-ui >&2 || status=1
fi

echo "== server, agent, integration and end-to-end suites (jasmine)" >&2
node node_modules/jasmine/bin/jasmine.js --config=jasmine.json 2>&1 | tee "$log_dir/server.txt"
[[ ${PIPESTATUS[0]} -eq 0 ]] || status=1

if [[ -f angular.json ]]; then
  echo "== UI suite (karma, headless Chromium)" >&2
  CHROME_BIN=${CHROME_BIN:-/usr/bin/chromium} npx ng test plugin-ui --watch=false 2>&1 | tee "$log_dir/ui.txt"
  [[ ${PIPESTATUS[0]} -eq 0 ]] || status=1
fi

# Sum the per-suite closing lines ("<suite>: N passed, N failed, N skipped").
read -r passed failed skipped < <(cat "$log_dir"/*.txt | grep -Eo '^[a-z]+: [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped' |
  awk '{p+=$2; f+=$4; s+=$6} END {print p+0, f+0, s+0}')
if [[ $status -ne 0 && $failed -eq 0 ]]; then failed=1; fi
if [[ $passed -eq 0 ]]; then status=1; fi
echo
# Only the run's last lines may be read: name what failed once more, after everything else.
grep -h -A8 '^slowest specs:' "$log_dir/server.txt" | grep -E '^slowest|^  [0-9]'
grep -h -E '^FAILED: |FAILED$' "$log_dir"/*.txt | cut -c1-400 | head -40
echo "$passed passed, $failed failed, $skipped skipped"
exit $status
