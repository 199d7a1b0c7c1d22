#!/usr/bin/env bash
# Runs once, when the postgres container initialises an empty data volume (the image runs
# every script in /docker-entrypoint-initdb.d as its superuser). Creates the two roles the
# services use, neither of them a superuser:
#   POSTGRES_OWNER_USER  owns the database and schema; the API migrates and grants with it
#                        (DATABASE_OWNER_URL)
#   POSTGRES_APP_USER    the API's own role (DATABASE_URL); the API grants it, at each start,
#                        INSERT and SELECT only on the audit trail
# The superuser (POSTGRES_USER of the image, here `postgres`) is for the operator alone.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v owner="$POSTGRES_OWNER_USER" -v owner_password="$POSTGRES_OWNER_PASSWORD" \
  -v app="$POSTGRES_APP_USER" -v app_password="$POSTGRES_APP_PASSWORD" \
  -v db="$ORCASTRA_DB" <<'SQL'
CREATE ROLE :"owner" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'owner_password';
CREATE ROLE :"app" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'app_password';
CREATE DATABASE :"db" OWNER :"owner";
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"db" TO :"app";
SQL
