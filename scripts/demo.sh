#!/usr/bin/env bash
# npm run demo: build Lifeline (server, and the UI when the Angular workspace exists), then run it
# against the vCenter simulator on loopback until Ctrl-C. What the machine lacks is installed first,
# as for `npm test` (Debian packages, npm packages from the lockfile, the simulator build).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

echo "demo: building the server" >&2
npx tsc -p tsconfig.json >&2
if [[ -f angular.json ]]; then
  echo "demo: building the plugin UI" >&2
  if ! npx ng build plugin-ui >&2; then
    echo "demo: WARNING: the plugin UI did not build; the demo serves the API only" >&2
    rm -rf dist/plugin-ui
  fi
fi

exec node build/test/demo/demo.js
