#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers on 127.0.0.1:5432 and lets user postgres in without a
# password from loopback (what the tests expect). Starts the local cluster if it is down, and
# installs PostgreSQL from Debian's packages if it is missing. Needs root for the last two.
set -euo pipefail

ready() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }

# The wrong-password check (internal/reliability) needs a server that checks passwords for one
# role from loopback, whatever the rules for every other user: put a rule for that role first.
password_role=kernia_password_test
require_password() {
  local hba
  hba=$(psql -h 127.0.0.1 -U postgres -Atc 'SHOW hba_file' 2>/dev/null) || return 0
  if [ -w "$hba" ] && ! grep -q "^host all $password_role " "$hba"; then
    sed -i "1i host all $password_role 127.0.0.1/32 scram-sha-256" "$hba"
    psql -h 127.0.0.1 -U postgres -Atc 'SELECT pg_reload_conf()' >/dev/null
    echo "postgres: role $password_role logs in with a password from 127.0.0.1"
  fi
}

# Under CI=true the server is a throwaway test server: it need not survive a crash of the
# machine, so it does not wait for the disk (fsync, synchronous commits, full-page writes).
# Every DROP DATABASE forces a checkpoint, which with fsync on syncs every dirty file, and each
# commit waits for its WAL flush: the suite creates and drops hundreds of databases. What the
# tests check (transactions, locks, what a killed client leaves) is unchanged; only a crash of
# the whole server or machine would see the difference, and no test crashes the server.
no_disk_waits() {
  [ "${CI:-}" = true ] || return 0
  [ "$(psql -h 127.0.0.1 -U postgres -Atc 'SHOW fsync' 2>/dev/null)" = on ] || return 0
  psql -h 127.0.0.1 -U postgres -qAt \
    -c 'ALTER SYSTEM SET fsync = off' \
    -c 'ALTER SYSTEM SET synchronous_commit = off' \
    -c 'ALTER SYSTEM SET full_page_writes = off' \
    -c 'SELECT pg_reload_conf()' >/dev/null
  echo "postgres: test server, fsync, synchronous_commit and full_page_writes off"
}

if command -v pg_isready >/dev/null && ready; then
  echo "postgres: up on 127.0.0.1:5432"
  require_password
  no_disk_waits
  exit 0
fi

if [ ! -d /etc/postgresql ] || [ -z "$(ls -A /etc/postgresql 2>/dev/null)" ]; then
  echo "postgres: not installed; installing from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql >/dev/null
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  hba=/etc/postgresql/$version/main/pg_hba.conf
  # Loopback trust for the test user only: this is a throwaway CI server.
  sed -i '1i host all postgres 127.0.0.1/32 trust\nhost all postgres ::1/128 trust' "$hba"
fi

version=$(ls /etc/postgresql | sort -V | tail -n 1)
echo "postgres: starting cluster $version/main"
pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
for _ in $(seq 1 30); do
  if ready; then
    echo "postgres: up on 127.0.0.1:5432"
    require_password
    no_disk_waits
    exit 0
  fi
  sleep 1
done
echo "postgres: did not come up on 127.0.0.1:5432 within 30 s" >&2
exit 1
