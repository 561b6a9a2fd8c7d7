#!/usr/bin/env bash
# Builds the Lifeline vCenter simulator (test/vcsim/bin/lifeline-vcsim) from Debian's Go toolchain
# and Debian's govmomi sources, offline, in GOPATH mode. Installs both with apt-get when missing.
# Fast when nothing changed: the build is skipped while the binary was built from the sources there
# now (a digest of them is kept beside it; file times say nothing after a checkout or a copy).
# Logs go to stderr only; stdout stays empty.
set -euo pipefail
exec 1>&2

here=$(cd "$(dirname "$0")" && pwd)
bin="$here/bin/lifeline-vcsim"
gopath=/usr/share/gocode
govmomi="$gopath/src/github.com/vmware/govmomi/simulator"

digest() {
  (cd "$here" && sha256sum build.sh *.go) | sha256sum | cut -d' ' -f1
}

up_to_date() {
  [[ -x "$bin" && -f "$bin.sources" ]] || return 1
  [[ "$(cat "$bin.sources")" == "$(digest)" ]]
}

if up_to_date; then
  exit 0
fi

# Test processes started side by side may all find the binary stale: build once, under a lock.
mkdir -p "$here/bin"
exec 9>"$here/bin/.build.lock"
flock 9
if up_to_date; then
  exit 0
fi

if ! command -v go >/dev/null 2>&1 || [[ ! -d "$govmomi" ]]; then
  echo "lifeline-vcsim: installing golang-go and golang-github-vmware-govmomi-dev" >&2
  sudo=()
  if [[ $(id -u) -ne 0 ]]; then sudo=(sudo -n); fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -q >&2
  "${sudo[@]}" apt-get install -y -q --no-install-recommends golang-go golang-github-vmware-govmomi-dev >&2
fi

echo "lifeline-vcsim: building $bin" >&2
cd "$here"
tmp="$bin.tmp.$$"
trap 'rm -f "$tmp"' EXIT
# GOFLAGS and a module file elsewhere must not switch the build to module mode (which would try
# to download modules); the cache lives under bin/ so that a read-only home does not matter.
GOPATH="$gopath" GO111MODULE=off GOFLAGS= GOCACHE="${GOCACHE:-$here/bin/.gocache}" \
  go build -o "$tmp" .
sources=$(digest)
mv -f "$tmp" "$bin"
echo "$sources" > "$bin.sources"
echo "lifeline-vcsim: built" >&2
