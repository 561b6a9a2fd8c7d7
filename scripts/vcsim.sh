#!/usr/bin/env bash
# npm run vcsim -- <flags>: build the vCenter simulator harness if needed and run it in the foreground.
set -euo pipefail
cd "$(dirname "$0")/.."
bash test/vcsim/build.sh >&2
exec test/vcsim/bin/lifeline-vcsim "$@"
