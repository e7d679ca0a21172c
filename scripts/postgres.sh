#!/usr/bin/env bash
# Start a throwaway PostgreSQL server on loopback for the test suite and print its URL.
# Installs the Debian packages when the server binaries are missing.
set -euo pipefail

port="${GOVFLOW_PG_PORT:-55432}"
data_dir="${GOVFLOW_PG_DIR:-/tmp/govflow-pg-$port}"

find_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

bin="$(find_bin)"
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  echo "installing PostgreSQL from Debian packages" >&2
  if [ "$(id -u)" -ne 0 ]; then echo "need root to apt-get install postgresql" >&2; exit 1; fi
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
  bin="$(find_bin)"
fi

as_owner() {
  # PostgreSQL refuses to run as root; use the postgres account the package creates.
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if ! as_owner "$bin/pg_ctl" -D "$data_dir" status >/dev/null 2>&1; then
  if [ ! -f "$data_dir/PG_VERSION" ]; then
    mkdir -p "$data_dir"
    [ "$(id -u)" -eq 0 ] && chown postgres "$data_dir"
    as_owner "$bin/initdb" -D "$data_dir" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  as_owner "$bin/pg_ctl" -D "$data_dir" -l "$data_dir/server.log" -w \
    -o "-h 127.0.0.1 -p $port -k $data_dir -c fsync=off -c full_page_writes=off -c synchronous_commit=off" start >&2
fi

for db in govflow_test govflow_bench_test; do  # reset empties only databases named *_test
  if ! "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -tAc "select 1 from pg_database where datname='$db'" | grep -q 1; then
    "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres "$db"
  fi
done
echo "postgresql://postgres@127.0.0.1:$port/govflow_test"
