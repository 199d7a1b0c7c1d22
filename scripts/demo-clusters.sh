#!/usr/bin/env bash
# `make run`'s last step: where this machine can run LXD, start the two test-bed servers
# (scripts/lxd-testbed.sh) and register them once as demo clusters `demo-a` and `demo-b`.
# Where it cannot, say why and carry on: the product runs without clusters.
. "$(dirname "$0")/common.sh"
load_env

skip() { say "no demo clusters: $*"; exit 0; }
[ "$(id -u)" = 0 ] || skip "LXD needs root here (run make run as root)"
[ -e /dev/fuse ] || [ -d /sys/fs/cgroup ] || skip "no cgroups on this machine"
if ! out=$("$ROOT/scripts/lxd-testbed.sh" start 2>&1 >/dev/null); then
  skip "the LXD test bed did not start: $(echo "$out" | tail -1)"
fi

api="$ROOT/.build/debug/orcastra-api"
[ -x "$ROOT/.build/release/orcastra-api" ] && [[ "${SWIFT_BUILD_FLAGS:-}" == *release* ]] && api="$ROOT/.build/release/orcastra-api"
for daemon in a b; do
  name="demo-$daemon"
  if [ -n "$(psql "$DATABASE_URL" -qtA -c "SELECT 1 FROM clusters WHERE name = '$name'" 2>/dev/null)" ]; then
    say "demo cluster $name is registered"
    continue
  fi
  "$ROOT/scripts/lxd-testbed.sh" token "$daemon" | (set -a; . "$ROOT/.env"; set +a; "$api" register-cluster "$name") >>"$DATA/logs/api.log" 2>"$DATA/demo-$daemon.err" \
    && say "registered demo cluster $name" \
    || say "could not register $name: $(tail -1 "$DATA/demo-$daemon.err")"
done
