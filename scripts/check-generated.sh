#!/usr/bin/env bash
# Regenerates the dogfood ent/ tree and migrations and fails if anything differs from what is
# committed: the generated code must always be what `go tool mage generate` writes.
set -euo pipefail
cd "$(dirname "$0")/.."
go tool mage generate
if [ -n "$(git status --porcelain -- ent)" ]; then
  echo "regenerating changed committed files:" >&2
  git status --porcelain -- ent >&2
  git diff --stat -- ent >&2
  exit 1
fi
echo "generated files are up to date"
