#!/usr/bin/env bash
# Makes sure a MariaDB (or MySQL) server answers on 127.0.0.1:3306 and lets root in without a
# password from 127.0.0.1 (what the MySQL tests expect; override with KERNIA_TEST_MYSQL_URL).
# Starts the server if it is down, and installs Debian's mariadb-server if it is missing.
# Needs root for the last two.
set -euo pipefail

ready() { mariadb -h 127.0.0.1 -P 3306 -u root -e 'SELECT 1' >/dev/null 2>&1; }

# Under CI=true the server is a throwaway test server: InnoDB writes its log at each commit
# but flushes it to disk once a second instead of at every commit (as ensure-postgres.sh turns
# fsync off). Only a crash of the machine would lose the last second.
no_disk_waits() {
  [ "${CI:-}" = true ] || return 0
  mariadb -h 127.0.0.1 -P 3306 -u root -e 'SET GLOBAL innodb_flush_log_at_trx_commit = 2'
  echo "mariadb: test server, innodb_flush_log_at_trx_commit = 2"
}

if command -v mariadb >/dev/null && ready; then
  echo "mariadb: up on 127.0.0.1:3306"
  no_disk_waits
  exit 0
fi

if [ ! -x /usr/sbin/mariadbd ]; then
  echo "mariadb: not installed; installing mariadb-server from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq mariadb-server >/dev/null
fi

if ! pgrep -x mariadbd >/dev/null; then
  echo "mariadb: starting /usr/sbin/mariadbd"
  install -d -o mysql -g mysql /run/mysqld
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql
fi

# Wait for the socket, then (as the operating system's root, through the socket) let root in
# from 127.0.0.1 without a password: this is a throwaway test server.
for _ in $(seq 1 30); do
  if mariadb -u root -e 'SELECT 1' >/dev/null 2>&1; then
    break
  fi
  sleep 1
done
if ! ready; then
  mariadb -u root -e "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY ''; GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION; FLUSH PRIVILEGES;" || true
fi
if ready; then
  echo "mariadb: up on 127.0.0.1:3306"
  no_disk_waits
  exit 0
fi
echo "mariadb: did not come up on 127.0.0.1:3306 within 30 s" >&2
exit 1
