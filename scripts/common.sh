# Shared helpers for the make targets. Sourced, not run.
# Everything local lives under .data (databases, logs) and .run (pid files), both git-ignored.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA="$ROOT/.data"
RUN="$ROOT/.run"
mkdir -p "$DATA" "$RUN"

say() { printf '\033[1;36m==>\033[0m %s\n' "$*"; }
die() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }

# Loads .env into the environment (the services read it themselves; scripts need the ports).
load_env() {
  [ -f "$ROOT/.env" ] || die ".env is missing; run 'make env' first"
  set -a; . "$ROOT/.env"; set +a
}

# True when something listens on 127.0.0.1:$1.
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# First free port from the list given.
first_free_port() {
  for p in "$@"; do port_in_use "$p" || { echo "$p"; return; }; done
  die "none of the ports $* is free"
}

# Runs a command as the postgres user when we are root (PostgreSQL refuses to run as root).
as_postgres() {
  # From /, so that a checkout the postgres user cannot enter is no working directory of its.
  if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

pg_bin() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -n "$d" ] || die "PostgreSQL server binaries not found; run 'make deps'"
  echo "$d"
}

# Alive when the pid in file $1 runs.
pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
