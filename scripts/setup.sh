#!/usr/bin/env bash
# Installs whatever pgfleet needs and is missing, idempotently: the real stack
# (Debian packages), the npm dependencies, and the build. Quick when all is there.
set -euo pipefail
cd "$(dirname "$0")/.."

# openssl backs `pgfleet pki`; zsh lets the tests source the zsh completion script in a real zsh.
# python3-idna: Patroni's etcd client (python3-etcd) switches urllib3 to pyOpenSSL, which needs idna to
# read DNS names in an https etcd's certificate; Debian does not pull it in, and without it Patroni
# loops on "No module named 'idna'" and never reaches an https etcd.
# vip-manager (Debian's 1.0.2, etcd v2 only) and iproute2: the census tests run a real vip-manager, which needs an
# interface with an address, in a network namespace of their own (test/support/netns-vip-manager.ts).
packages=(etcd-server etcd-client patroni postgresql openssl zsh python3-idna vip-manager iproute2)
missing=()
for pkg in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$pkg")
done

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "pgfleet setup: missing Debian packages: ${missing[*]}" >&2
    echo "hint: run as root, or: sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 2
  fi
  echo "pgfleet setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# Debian's postinstall may start the packaged services where an init system runs;
# the lab starts its own, so the packaged ones must not hold the default ports.
if [ "$(id -u)" -eq 0 ]; then
  for svc in etcd patroni postgresql vip-manager; do
    if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$svc" 2>/dev/null; then
      echo "pgfleet setup: note: the packaged $svc service is running; the lab does not use it" >&2
    fi
  done
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "pgfleet setup: npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi

# The build (when stale). `npm ci` above has run it already through npm's
# `prepare`, so this is then a quick check. An installed package (no src/)
# ships dist/ built and has no compiler: nothing to build there.
if [ -d src ]; then
  bash scripts/build.sh
fi
