#!/usr/bin/env bash
# ctest buf_breaking: proto/ must not break the last published ladder.v1
# (proto/ladder-v1-9fb8882.binpb) under proto/buf.yaml's rules; and the check is
# live: a copy of the proto with one deliberate breaking edit must fail it.
# usage: buf_breaking.sh BUF PROTO_DIR
set -euo pipefail
buf=$1 proto=$2
if [ ! -x "$buf" ]; then
  echo "buf_breaking: $buf missing: run tools/setup.sh (tools/setup-buf.sh)" >&2
  exit 1
fi
image=$proto/ladder-v1-9fb8882.binpb
"$buf" breaking "$proto" --against "$image"
echo "buf_breaking: proto/ladder.proto is compatible with ladder.v1 at 9fb8882"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$proto/buf.yaml" "$proto/ladder.proto" "$tmp/"
sed -i 's/^  uint64 head_seq = 3;$/  uint32 head_seq = 3;/' "$tmp/ladder.proto"
! cmp -s "$proto/ladder.proto" "$tmp/ladder.proto" || { echo "buf_breaking: the edit did not apply" >&2; exit 1; }
if out=$("$buf" breaking "$tmp" --against "$image" 2>&1); then
  echo "buf_breaking: a breaking edit (EventPage.head_seq uint64 -> uint32) passed: the check is not live" >&2
  exit 1
fi
grep -q 'changed type from "uint64" to "uint32"' <<<"$out" || { echo "$out" >&2; exit 1; }
echo "buf_breaking: a deliberate breaking edit is refused: $out"
