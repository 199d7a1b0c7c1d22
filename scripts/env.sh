#!/usr/bin/env bash
# Creates .env from .env.example on the first run: fresh secrets, free local ports.
# An existing .env is kept as it is, so secrets and data stay valid across runs.
. "$(dirname "$0")/common.sh"

[ -f "$ROOT/.env" ] && exit 0
say "creating .env with fresh secrets"
secret() { openssl rand -hex "${1:-32}"; }
pg_port=$(first_free_port 5432 55432 55433 55434)
redis_port=$(first_free_port 6379 56379 56380 56381)
pg_password=$(secret 24)
redis_password=$(secret 24)
sed \
  -e "s|^LOCAL_POSTGRES_PORT=.*|LOCAL_POSTGRES_PORT=$pg_port|" \
  -e "s|^LOCAL_REDIS_PORT=.*|LOCAL_REDIS_PORT=$redis_port|" \
  -e "s|^POSTGRES_PASSWORD=.*|POSTGRES_PASSWORD=$pg_password|" \
  -e "s|^DATABASE_URL=.*|DATABASE_URL=postgresql://orcastra:$pg_password@127.0.0.1:$pg_port/orcastra|" \
  -e "s|^REDIS_URL=.*|REDIS_URL=redis://:$redis_password@127.0.0.1:$redis_port/0|" \
  -e "s|^REDIS_ENCRYPTION_KEY=.*|REDIS_ENCRYPTION_KEY=$(secret 32)|" \
  -e "s|^SECRET_KEY=.*|SECRET_KEY=$(secret 32)|" \
  -e "s|^NEXTAUTH_SECRET=.*|NEXTAUTH_SECRET=$(secret 32)|" \
  -e "s|^LOCAL_JWT_SECRET=.*|LOCAL_JWT_SECRET=$(secret 32)|" \
  -e "s|^BOOTSTRAP_ADMIN_TOKEN=.*|BOOTSTRAP_ADMIN_TOKEN=$(secret 24)|" \
  "$ROOT/.env.example" > "$ROOT/.env"
chmod 600 "$ROOT/.env"
