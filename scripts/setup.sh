#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks for Lifeline's build and tests, and nothing more:
# Debian packages (through apt-get), npm packages (npm ci, from the lockfile), the simulator build.
# Idempotent and quick when everything is already there. Also run by `npm run demo`.
set -euo pipefail
cd "$(dirname "$0")/.."

# python3, make and g++ compile the native npm modules (better-sqlite3, zstd-napi) on this machine.
DEBIAN_PACKAGES=(golang-go golang-github-vmware-govmomi-dev chromium qemu-utils openssl curl ca-certificates python3 make g++)
# A throwaway Ceph cluster (monitor, memstore OSD, radosgw) serves the S3 backend's suites (test/ceph/).
DEBIAN_PACKAGES+=(ceph-mon ceph-osd radosgw ceph-common)
# Real NFS clients for the NFS server's suites (test/nfs/): libnfs's tools, and qemu's nfs driver.
DEBIAN_PACKAGES+=(libnfs-utils qemu-block-extra)
if [[ "${1:-}" == "--bench" ]]; then
  DEBIAN_PACKAGES+=(restic borgbackup)
fi

missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}" >&2
  SUDO=()
  if [[ $(id -u) -ne 0 ]]; then SUDO=(sudo -n); fi
  "${SUDO[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm packages: reinstall when the lockfile differs from the one last installed (its digest is kept
# in node_modules; file times say nothing after a fresh copy of the tree or a checkout).
lock_digest=$(sha256sum package-lock.json | cut -d' ' -f1)
installed_lock=node_modules/.lifeline-lock.sha256
if [[ ! -f node_modules/.package-lock.json || ! -f "$installed_lock" || "$(cat "$installed_lock")" != "$lock_digest" ]]; then
  echo "setup: installing npm packages (npm ci)" >&2
  # The native modules would otherwise fetch prebuilt binaries from GitHub, and node-gyp the Node
  # headers from nodejs.org: build them from their npm sources against the installed Node's headers.
  export npm_config_build_from_source=true
  node_prefix=$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")
  if [[ -f "$node_prefix/include/node/common.gypi" ]]; then
    export npm_config_nodedir="$node_prefix"
  else
    echo "setup: WARNING: no Node headers under $node_prefix/include/node; node-gyp may download them" >&2
  fi
  npm ci --no-audit --no-fund >&2
  echo "$lock_digest" > "$installed_lock"
fi

bash test/vcsim/build.sh >&2
