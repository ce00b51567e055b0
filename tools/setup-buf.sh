#!/usr/bin/env bash
# Installs buf (the @bufbuild/buf package from the npm registry ships the binary)
# into the project-local prefix .tools/npm, for ctest buf_breaking. Idempotent:
# quiet when the pinned version is there. Called by tools/setup.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
version=1.75.0
prefix=.tools/npm
buf=$prefix/node_modules/.bin/buf
if [ -x "$buf" ] && [ "$("$buf" --version 2>/dev/null)" = "$version" ]; then
  exit 0
fi
command -v npm >/dev/null || { echo "setup-buf: npm is missing (tools/setup.sh installs it)" >&2; exit 1; }
echo "setup-buf: installing @bufbuild/buf@$version into $prefix" >&2
mkdir -p "$prefix"
npm install --silent --no-audit --no-fund --prefix "$prefix" "@bufbuild/buf@$version" >/dev/null
"$buf" --version >/dev/null
