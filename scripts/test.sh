#!/usr/bin/env bash
# Runs the whole test suite against the project's PostgreSQL and Redis (started by make).
# Tests read TEST_DATABASE_URL / TEST_REDIS_URL; those needing a server fail, never skip,
# when it is missing.
. "$(dirname "$0")/common.sh"
load_env
export TEST_DATABASE_URL="$DATABASE_URL"
export TEST_REDIS_URL="$REDIS_URL"
export ORCASTRA_BIN_DIR="$ROOT/.build/debug"
export PG_BIN="$(pg_bin)"
cd "$ROOT"
swift test $SWIFT_BUILD_FLAGS "$@"
