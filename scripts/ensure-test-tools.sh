#!/usr/bin/env bash
# Makes sure the tools the test suite drives are installed from Debian's packages:
#   pgbouncer  the connection pooler checks of internal/reliability (TestPoolers5_*) start their
#              own PgBouncer on a loopback port;
#   strace     the crash tests (internal/reliability) kill or interrupt kernia at exact system
#              calls with strace's fault injection.
# Does nothing when both are installed; otherwise installs what is missing, which needs root.
# PgBouncer's own service is not needed, and is stopped if the package started it.
set -euo pipefail

missing=()
[ -x /usr/sbin/pgbouncer ] || command -v pgbouncer >/dev/null || missing+=(pgbouncer)
command -v strace >/dev/null || missing+=(strace)
if [ ${#missing[@]} -gt 0 ]; then
  echo "test tools: installing ${missing[*]} from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
  if [[ " ${missing[*]} " == *" pgbouncer "* ]] && command -v service >/dev/null; then
    service pgbouncer stop >/dev/null 2>&1 || true
  fi
fi
echo "test tools: $(/usr/sbin/pgbouncer --version 2>/dev/null | head -n 1), $(strace -V | head -n 1)"
