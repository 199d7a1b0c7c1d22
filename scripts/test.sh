#!/usr/bin/env bash
# Runs the whole test suite against the project's PostgreSQL and Redis (started by make).
# Tests read TEST_DATABASE_URL / TEST_REDIS_URL; those needing a server fail, never skip,
# when it is missing.
. "$(dirname "$0")/common.sh"
load_env
# The owner role creates the throw-away databases; the API's own role is what
# DatabaseRolesTests checks the limits of.
export TEST_DATABASE_URL="${DATABASE_OWNER_URL:-$DATABASE_URL}"
[ -z "${DATABASE_OWNER_URL:-}" ] || export TEST_DATABASE_APP_URL="$DATABASE_URL"
export TEST_REDIS_URL="$REDIS_URL"
export ORCASTRA_BIN_DIR="$ROOT/.build/debug"
export PG_BIN="$(pg_bin)"
export CHECK_JSONSCHEMA="$DATA/venv/bin/check-jsonschema"
cd "$ROOT"
log="$DATA/logs/test.log"
mkdir -p "$(dirname "$log")"
set +e
fuzz=0
# One test at a time: with two cores, dozens of tests each running in-process servers (API,
# gateway, identity provider, fake Vault) at once starve each other into timeouts. A watchdog
# turns a hang into a clear failure instead of a CI run that never ends. The fault drills
# (FaultDrillTests, about 2.5 minutes) are part of the run; `make drills` runs only them.
timeout -k 30 "${TEST_TIMEOUT_SECONDS:-2400}" swift test --no-parallel ${SWIFT_BUILD_FLAGS:-} "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
[ "$status" = 124 ] && echo "test run stopped by the ${TEST_TIMEOUT_SECONDS:-2400} s watchdog; the last tests started are in $log" >&2
# A bounded fuzz run (fixed seed, 3 examples per operation, about a minute): the API against
# its own OpenAPI document, as admin and as tenant, on a database of its own. `make fuzz` runs
# a longer one.
if [ -z "$*" ]; then
  "$ROOT/scripts/fuzz-api.py" --examples 3 --seed 1 > "$DATA/logs/fuzz.log" 2>&1
  fuzz=$?
  grep -E "^=== |unique failures|No issues found|passed.*failed" "$DATA/logs/fuzz.log" || true
  if [ "$fuzz" = 0 ]; then echo "fuzz: no failures (3 examples per operation, seed 1)"; else echo "fuzz: failures, see $DATA/logs/fuzz.log" >&2; fi
fi
set -e
# One plain summary line from Swift Testing's own closing line.
summary=$(grep -E '^. Test run with [0-9]+ tests? ' "$log" | tail -1)
total=$(sed -nE 's/.*Test run with ([0-9]+) tests?.*/\1/p' <<<"$summary")
failed=$(sed -nE 's/.* with ([0-9]+) issues?.*/\1/p' <<<"$summary")
if [ -n "$total" ]; then
  if [ "$status" = 0 ]; then echo "swift-testing: $total passed, 0 failed"; else echo "swift-testing: failed with ${failed:-some} issues in $total tests"; fi
fi
# A crash ends the test log with a long backtrace, and a CI log shows only its end: say last
# what crashed, where, and which tests were running.
if [ "$status" != 0 ] && grep -qE "Program crashed|Fatal error" "$log"; then
  echo "the test process crashed:" >&2
  grep -m3 -E "Fatal error|Program crashed" "$log" >&2
  grep -m1 -A25 -E "^Thread [0-9]+ crashed:" "$log" | grep -E "^[0-9]+ |crashed" | head -20 >&2
  echo "tests started and not finished:" >&2
  "$ROOT/scripts/unfinished-tests.py" "$log" >&2
fi
if [ "$status" = 0 ] && [ "$fuzz" != 0 ]; then status=1; fi
exit "$status"
