#!/usr/bin/env bash
# Starts (or stops) the project's own PostgreSQL: data in .data/postgres, run as the postgres
# user, on LOCAL_POSTGRES_PORT; creates two roles and the database. `orcastra` owns the schema
# (DATABASE_OWNER_URL: migrations at start, and CREATEDB for the tests' throw-away databases);
# `orcastra_app` is the API's own role (DATABASE_URL), which the API grants at start only what
# it needs (INSERT and SELECT on the audit trail). Idempotent.
. "$(dirname "$0")/common.sh"
load_env
PGDATA="$DATA/postgres"
BIN=$(pg_bin)

# The postgres user must be able to reach the data folder. When the checkout lives where it
# cannot (under /root, say), the data goes to /var/lib/orcastra/<checkout hash> and
# .data/postgres points there.
if [ "$(id -u)" = 0 ] && [ ! -L "$PGDATA" ] && [ ! -d "$PGDATA" ] && ! runuser -u postgres -- test -x "$DATA"; then
  outside="/var/lib/orcastra/$(printf '%s' "$ROOT" | sha256sum | cut -c1-12)/postgres"
  mkdir -p "$outside"
  ln -s "$outside" "$PGDATA"
fi
[ -L "$PGDATA" ] && PGDATA=$(readlink -f "$PGDATA")

case "${1:-start}" in
start)
  if [ ! -f "$PGDATA/PG_VERSION" ]; then
    say "initialising PostgreSQL in $PGDATA"
    mkdir -p "$PGDATA"
    if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$PGDATA"; fi
    chmod 700 "$PGDATA"
    as_postgres "$BIN/initdb" -D "$PGDATA" -U postgres -A trust --auth-host=scram-sha-256 -E UTF8 >/dev/null
  fi
  # A server left running from this data folder on another port (an older .env) is restarted.
  if as_postgres "$BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1 &&
     [ "$(sed -n 4p "$PGDATA/postmaster.pid" 2>/dev/null)" != "$LOCAL_POSTGRES_PORT" ]; then
    say "restarting PostgreSQL on the port .env names"
    as_postgres "$BIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null
  fi
  if as_postgres "$BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
    say "PostgreSQL already running"
  else
    say "starting PostgreSQL on 127.0.0.1:$LOCAL_POSTGRES_PORT"
    as_postgres "$BIN/pg_ctl" -D "$PGDATA" -w -t 60 -l "$PGDATA/server.log" \
      -o "-p $LOCAL_POSTGRES_PORT -k $PGDATA -c listen_addresses=127.0.0.1 -c max_connections=300" start >/dev/null
  fi
  psql_admin() { as_postgres psql -h "$PGDATA" -p "$LOCAL_POSTGRES_PORT" -U postgres -v ON_ERROR_STOP=1 -qtA "$@"; }
  if [ -z "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname='orcastra'")" ]; then
    psql_admin -c "CREATE ROLE orcastra LOGIN CREATEDB PASSWORD '$POSTGRES_PASSWORD'"
  else
    psql_admin -c "ALTER ROLE orcastra LOGIN CREATEDB PASSWORD '$POSTGRES_PASSWORD'"
  fi
  if [ -n "${POSTGRES_APP_PASSWORD:-}" ]; then
    if [ -z "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname='orcastra_app'")" ]; then
      psql_admin -c "CREATE ROLE orcastra_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '$POSTGRES_APP_PASSWORD'"
    else
      psql_admin -c "ALTER ROLE orcastra_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '$POSTGRES_APP_PASSWORD'"
    fi
  fi
  [ -n "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname='orcastra'")" ] ||
    psql_admin -c "CREATE DATABASE orcastra OWNER orcastra"
  ;;
stop)
  if [ -f "$PGDATA/PG_VERSION" ] && as_postgres "$BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
    say "stopping PostgreSQL"
    as_postgres "$BIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null
  fi
  ;;
esac
