# Orcastra: `make run` brings the whole product up on this machine, `make test` runs every test.
# Each target is built from the small steps below; scripts/ holds their details.

SWIFT_BUILD_FLAGS ?=
SHELL := /bin/bash

.PHONY: run test stop deps env postgres redis build services test-tools clean-data rotate-secret-key lxd-testbed demo-clusters bench fuzz drills access-table

## run: install what is missing, start PostgreSQL and Redis, build, start API and gateway, then
## (where LXD can run) the two test-bed LXD servers, registered as demo clusters.
run: deps env postgres redis build services demo-clusters

## test: the same preparation plus the LXD test bed, then every test (Swift Testing) against
## the real servers.
test: deps env postgres redis lxd-testbed test-tools build
	./scripts/test.sh

## stop: stop exactly what `make run` started.
stop:
	@[ -f .env ] || { echo "nothing to stop (no .env)"; exit 0; }; \
	./scripts/services.sh stop; ./scripts/lxd-testbed.sh stop; ./scripts/redis.sh stop; ./scripts/postgres.sh stop

deps:
	@./scripts/deps.sh

env:
	@./scripts/env.sh

postgres:
	@./scripts/postgres.sh start

redis:
	@./scripts/redis.sh start

build:
	swift build $(SWIFT_BUILD_FLAGS)

services:
	@./scripts/services.sh start

# check-jsonschema ships the Compose Specification schema the compose test validates against,
# and schemathesis fuzzes the API against its OpenAPI document (scripts/fuzz-api.py); both go
# into a project-local virtualenv (Debian 12 refuses system-wide pip installs).
test-tools:
	@[ -x .data/venv/bin/check-jsonschema ] && [ -x .data/venv/bin/schemathesis ] || { python3 -m venv .data/venv && .data/venv/bin/pip install --quiet --disable-pip-version-check check-jsonschema schemathesis; }

## drills: only the fault drills of `make test` (about 2.5 minutes): PostgreSQL, Redis, the
## JWKS, Vault and an LXD daemon failing under a signed-in load.
drills: deps env postgres redis lxd-testbed test-tools build
	./scripts/test.sh --filter FaultDrillTests

## fuzz: the longer fuzz run (30 examples per operation; `make test` runs 3): schemathesis
## against the API's OpenAPI document as admin and tenant, on a database of its own.
fuzz: deps env postgres redis test-tools build
	./scripts/fuzz-api.py --examples 30 --seed 1

## access-table: rewrite the README's table of routes and what each needs, from the routes'
## own declarations (a test fails while the README's copy differs).
access-table: build
	WRITE_ACCESS_TABLE=1 swift test $(SWIFT_BUILD_FLAGS) --filter AccessTableTests/readmeTable

## rotate-secret-key: after moving the old key to SECRET_KEY_PREVIOUS and writing a new
## SECRET_KEY in .env, re-seal the embedded secrets and CA keys (the services restart).
rotate-secret-key: deps env postgres redis build
	@./scripts/services.sh stop
	.build/debug/orcastra-api rotate-secret-key
	@./scripts/services.sh start

## lxd-testbed: two LXD daemons on loopback with a busybox image; prints a trust token for each.
lxd-testbed:
	@./scripts/lxd-testbed.sh start

## demo-clusters: start the test bed if this machine can run LXD and register both servers
## (once) as `demo-a` and `demo-b`; otherwise say why not and carry on.
demo-clusters:
	@./scripts/demo-clusters.sh

## bench: after `make run`, release builds of the API, the gateway and a bare Hummingbird hello,
## and Debian's nginx in front of the API, measured side by side with wrk (numbers, no verdicts).
bench: deps
	@./scripts/bench-tools.sh
	./scripts/bench.py

## clean-data: stop, then remove local databases, logs and .env (secrets are regenerated).
clean-data: stop
	@if [ -L .data/postgres ]; then rm -rf "$$(readlink -f .data/postgres)"; fi
	@if [ -L .data/lxd ]; then rm -rf "$$(readlink -f .data/lxd)"; fi
	rm -rf .data .run .env
