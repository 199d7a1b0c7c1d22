#!/usr/bin/env bash
# Starts (or stops) the project's own Redis on LOCAL_REDIS_PORT with the password from
# REDIS_URL; data in .data/redis, pid in .run/redis.pid. Idempotent.
. "$(dirname "$0")/common.sh"
load_env
PIDFILE="$RUN/redis.pid"
password="${REDIS_URL#redis://:}"; password="${password%%@*}"

case "${1:-start}" in
start)
  if pid_alive "$PIDFILE"; then say "Redis already running"; exit 0; fi
  port_in_use "$LOCAL_REDIS_PORT" && die "port $LOCAL_REDIS_PORT is taken by another process; stop it or change LOCAL_REDIS_PORT and REDIS_URL in .env"
  say "starting Redis on 127.0.0.1:$LOCAL_REDIS_PORT"
  mkdir -p "$DATA/redis"
  # The deployment's settings (persistent, never evicting: compose/dashboard/redis.conf) and
  # the password go through stdin, so that the password never shows in the process list.
  { cat "$ROOT/compose/dashboard/redis.conf"; printf 'requirepass %s\n' "$password"; } | redis-server - --port "$LOCAL_REDIS_PORT" --bind 127.0.0.1 \
    --dir "$DATA/redis" --daemonize yes --pidfile "$PIDFILE" --logfile "$DATA/redis/redis.log" >/dev/null
  for _ in $(seq 1 50); do pid_alive "$PIDFILE" && port_in_use "$LOCAL_REDIS_PORT" && exit 0; sleep 0.1; done
  die "Redis did not start; see $DATA/redis/redis.log"
  ;;
stop)
  if pid_alive "$PIDFILE"; then
    say "stopping Redis"
    pid=$(cat "$PIDFILE")
    kill "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$PIDFILE"
  ;;
esac
