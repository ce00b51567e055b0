#!/usr/bin/env bash
# Installs every Debian 12 package that building, running and testing Ladder needs.
# Idempotent; quiet when everything is present. Run as root (or with sudo).
set -euo pipefail

pkgs=(build-essential cmake pkg-config
      libuv1-dev libzmq3-dev liblmdb-dev libprotobuf-c-dev protobuf-c-compiler
      libjansson-dev libsodium-dev libcmocka-dev
      python3 python3-zmq python3-protobuf protobuf-compiler lmdb-utils
      clang libclang-rt-14-dev
      libsystemd-dev scdoc dpkg-dev)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Refresh the package lists only when they are missing or older than a day.
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null | head -n1)" ]; then
  $sudo apt-get update -qq
fi
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
