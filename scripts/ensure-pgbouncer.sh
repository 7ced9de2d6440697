#!/usr/bin/env bash
# Makes sure the pgbouncer binary is installed (Debian's package), for the connection pooler
# checks of internal/reliability (TestPoolers5_*), which start their own PgBouncer on a loopback
# port. Does nothing when it is already installed; otherwise installs it, which needs root.
# The package's own service is not needed, and is stopped if the package started it.
set -euo pipefail

if command -v pgbouncer >/dev/null || [ -x /usr/sbin/pgbouncer ]; then
  echo "pgbouncer: installed ($(/usr/sbin/pgbouncer --version 2>/dev/null | head -n 1 || pgbouncer --version | head -n 1))"
  exit 0
fi
echo "pgbouncer: not installed; installing from Debian's packages"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq pgbouncer >/dev/null
if command -v service >/dev/null; then
  service pgbouncer stop >/dev/null 2>&1 || true
fi
echo "pgbouncer: installed ($(/usr/sbin/pgbouncer --version | head -n 1))"
