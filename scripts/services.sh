#!/usr/bin/env bash
# Starts (or stops) orcastra-devidp (unless LOCAL_DEVIDP=false), orcastra-api and
# orcastra-gateway from the build folder, logs in .data/logs, pids in .run; waits until each
# answers healthy and prints where they are and who can sign in.
. "$(dirname "$0")/common.sh"
load_env
BIN="${BIN:-$ROOT/.build/debug}"
LOGS="$DATA/logs"
mkdir -p "$LOGS"
api_port="${HTTP_PORT_API:-8765}"
gateway_port="${HTTP_PORT_GATEWAY:-4321}"
devidp_port="${DEVIDP_PORT:-9000}"

start_one() { # name port
  local name=$1 port=$2 pidfile="$RUN/$1.pid"
  if pid_alive "$pidfile"; then say "$name already running"; return; fi
  port_in_use "$port" && die "port $port is taken by another process; stop it or set HTTP_PORT_${name^^}"
  say "starting $name on :$port"
  cd "$ROOT"
  HTTP_PORT="$port" setsid "$BIN/orcastra-$name" </dev/null >>"$LOGS/$name.log" 2>&1 &
  echo $! >"$pidfile"
}

wait_healthy() { # name url
  for _ in $(seq 1 120); do
    if curl -fsS -o /dev/null "$2" 2>/dev/null; then return 0; fi
    pid_alive "$RUN/$1.pid" || { tail -5 "$LOGS/$1.log" >&2; die "$1 exited; see $LOGS/$1.log"; }
    sleep 0.5
  done
  die "$1 did not become healthy at $2; see $LOGS/$1.log"
}

case "${1:-start}" in
start)
  if [ "${LOCAL_DEVIDP:-true}" = true ]; then
    start_one devidp "$devidp_port"
    wait_healthy devidp "http://127.0.0.1:$devidp_port/health"
  fi
  start_one api "$api_port"
  INTERNAL_BACKEND_URL="${INTERNAL_BACKEND_URL:-http://127.0.0.1:$api_port}" start_one gateway "$gateway_port"
  wait_healthy api "http://127.0.0.1:$api_port/health"
  wait_healthy gateway "http://127.0.0.1:$gateway_port/health"
  cat <<MSG

  Orcastra is running.
    Dashboard  http://localhost:$gateway_port/
    API        http://localhost:$api_port/api/v1/openapi.json   (health: /health)
    Logs       $LOGS/
  Stop everything with: make stop

MSG
  if [ "${LOCAL_DEVIDP:-true}" = true ]; then
    echo "  Sign in with one of these (development identity provider, http://localhost:$devidp_port):"
    python3 - "$ROOT/${DEVIDP_SEED_FILE:-.data/devidp-users.json}" <<'PY'
import json, sys
for u in json.load(open(sys.argv[1]))["users"]:
    print(f"    {u['groups'][0]:<13} user {u['username']:<8} password {u['password']}")
PY
    echo
  fi
  ;;
stop)
  for name in gateway api devidp; do
    pidfile="$RUN/$name.pid"
    if pid_alive "$pidfile"; then
      say "stopping $name"
      kill -TERM "$(cat "$pidfile")"
      for _ in $(seq 1 100); do pid_alive "$pidfile" || break; sleep 0.1; done
      # A stop still waiting after 10 s (as a container engine would, then kill): killed.
      if pid_alive "$pidfile"; then say "$name did not stop within 10 s; killing it"; kill -KILL "$(cat "$pidfile")"; fi
    fi
    rm -f "$pidfile"
  done
  ;;
esac
