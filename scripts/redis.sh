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
  say "starting Redis on 127.0.0.1:$LOCAL_REDIS_PORT"
  mkdir -p "$DATA/redis"
  # The password goes through stdin so that it never shows in the process list.
  printf 'requirepass %s\n' "$password" | redis-server - --port "$LOCAL_REDIS_PORT" --bind 127.0.0.1 \
    --dir "$DATA/redis" --daemonize yes --pidfile "$PIDFILE" --logfile "$DATA/redis/redis.log" --save ""
  for _ in $(seq 1 50); do port_in_use "$LOCAL_REDIS_PORT" && exit 0; sleep 0.1; done
  die "Redis did not start; see $DATA/redis/redis.log"
  ;;
stop)
  if pid_alive "$PIDFILE"; then say "stopping Redis"; kill "$(cat "$PIDFILE")"; fi
  rm -f "$PIDFILE"
  ;;
esac
