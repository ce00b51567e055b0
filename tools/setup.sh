#!/usr/bin/env bash
# Installs every Debian 12 package that building, running and testing Ladder needs.
# Idempotent; quiet when everything is present. Run as root (or with sudo).
set -euo pipefail

pkgs=(build-essential cmake pkg-config
      libuv1-dev libzmq3-dev liblmdb-dev libprotobuf-c-dev protobuf-c-compiler
      libjansson-dev libsodium-dev libcmocka-dev
      python3 python3-zmq python3-protobuf protobuf-compiler lmdb-utils
      clang libclang-rt-14-dev
      libsystemd-dev scdoc dpkg-dev
      libnats-dev nats-server)

# npm (for buf, tools/setup-buf.sh): Debian's package unless an npm is already there
# (e.g. one that came with a nodejs from elsewhere, which Debian's npm would conflict with).
command -v npm >/dev/null || pkgs+=(npm)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exec "$(dirname "$0")/setup-buf.sh"
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Refresh the package lists only when they are missing or older than a day.
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null | head -n1)" ]; then
  $sudo apt-get update -qq
fi
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
exec "$(dirname "$0")/setup-buf.sh"
