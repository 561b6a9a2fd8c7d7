#!/usr/bin/env bash
# npm run bench -- <name>: build, then run bench/<name>.ts. Each benchmark prints its figures and
# ends with one JSON line. Benchmarks install their comparison peers (restic, borg) from Debian.
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:-}
if [[ -z "$name" ]]; then
  echo "usage: npm run bench -- <name>   (one of: $(ls bench/*.ts 2>/dev/null | xargs -n1 basename | sed 's/\.ts$//' | tr '\n' ' '))" >&2
  exit 2
fi
shift
if [[ ! -f "bench/$name.ts" ]]; then
  echo "bench: no benchmark named '$name'" >&2
  exit 2
fi
bash scripts/setup.sh --bench >&2
npx tsc -p tsconfig.json >&2
# The thread pool the product runs with (bin/lifeline.js sets it before anything is loaded): a
# benchmark measures Lifeline as `lifeline serve` runs it, its child processes included.
export UV_THREADPOOL_SIZE=${UV_THREADPOOL_SIZE:-16}
exec node "build/bench/$name.js" "$@"
