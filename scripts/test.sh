#!/usr/bin/env bash
# The project's test command, shared by .ci/run and GitHub Actions: formatting, vet, then every
# test. PostgreSQL must already answer on 127.0.0.1:5432 (scripts/ensure-postgres.sh), MariaDB
# on 127.0.0.1:3306 (scripts/ensure-mariadb.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

unformatted=$(gofmt -l .)
if [ -n "$unformatted" ]; then
  echo "gofmt would change:" >&2
  echo "$unformatted" >&2
  exit 1
fi
go vet ./...
go test -count=1 -timeout 30m ./...
