#!/usr/bin/env bash
# Creates .env from .env.example on the first run: fresh secrets, free local ports. An
# existing .env is kept, and only variables it lacks (added by a newer .env.example) are
# appended, so secrets and data stay valid across runs. Then makes sure the development
# identity provider has its users (one per role, random passwords).
. "$(dirname "$0")/common.sh"

secret() { openssl rand -hex "${1:-32}"; }

# .env.example with every secret filled and the local ports chosen.
filled_example() {
  local pg_port redis_port pg_password app_password redis_password client_secret api_token
  pg_port=$(first_free_port 5432 $(seq 55432 55451))
  redis_port=$(first_free_port 6379 $(seq 56379 56398))
  pg_password=$(secret 24)
  app_password=$(secret 24)
  redis_password=$(secret 24)
  client_secret=$(secret 32)
  api_token=$(secret 32)
  sed \
    -e "s|^LOCAL_POSTGRES_PORT=.*|LOCAL_POSTGRES_PORT=$pg_port|" \
    -e "s|^LOCAL_REDIS_PORT=.*|LOCAL_REDIS_PORT=$redis_port|" \
    -e "s|^POSTGRES_PASSWORD=.*|POSTGRES_PASSWORD=$pg_password|" \
    -e "s|^POSTGRES_APP_PASSWORD=.*|POSTGRES_APP_PASSWORD=$app_password|" \
    -e "s|^POSTGRES_SUPERUSER_PASSWORD=.*|POSTGRES_SUPERUSER_PASSWORD=$(secret 24)|" \
    -e "s|^DATABASE_URL=.*|DATABASE_URL=postgresql://orcastra_app:$app_password@127.0.0.1:$pg_port/orcastra|" \
    -e "s|^DATABASE_OWNER_URL=.*|DATABASE_OWNER_URL=postgresql://orcastra:$pg_password@127.0.0.1:$pg_port/orcastra|" \
    -e "s|^REDIS_URL=.*|REDIS_URL=redis://:$redis_password@127.0.0.1:$redis_port/0|" \
    -e "s|^REDIS_ENCRYPTION_KEY=.*|REDIS_ENCRYPTION_KEY=$(secret 32)|" \
    -e "s|^SECRET_KEY=.*|SECRET_KEY=$(secret 32)|" \
    -e "s|^NEXTAUTH_SECRET=.*|NEXTAUTH_SECRET=$(secret 32)|" \
    -e "s|^LOCAL_JWT_SECRET=.*|LOCAL_JWT_SECRET=$(secret 32)|" \
    -e "s|^BOOTSTRAP_ADMIN_TOKEN=.*|BOOTSTRAP_ADMIN_TOKEN=$(secret 24)|" \
    -e "s|^AUTH_PROXY_SECRET=.*|AUTH_PROXY_SECRET=$(secret 32)|" \
    -e "s|^AUTHENTIK_CLIENT_SECRET=.*|AUTHENTIK_CLIENT_SECRET=$client_secret|" \
    -e "s|^DEVIDP_CLIENT_SECRET=.*|DEVIDP_CLIENT_SECRET=$client_secret|" \
    -e "s|^AUTHENTIK_API_TOKEN=.*|AUTHENTIK_API_TOKEN=$api_token|" \
    -e "s|^DEVIDP_API_TOKEN=.*|DEVIDP_API_TOKEN=$api_token|" \
    "$ROOT/.env.example"
}

if [ ! -f "$ROOT/.env" ]; then
  say "creating .env with fresh secrets"
  filled_example > "$ROOT/.env"
  chmod 600 "$ROOT/.env"
else
  # Append what a newer .env.example added; the two client secrets must agree, so they are
  # added together or not at all.
  candidate=$(filled_example)
  added=()
  while IFS= read -r line; do
    key=${line%%=*}
    [[ "$line" =~ ^[A-Z_]+= ]] || continue
    grep -q "^$key=" "$ROOT/.env" && continue
    case "$key" in
      DEVIDP_CLIENT_SECRET) line="DEVIDP_CLIENT_SECRET=$(grep '^AUTHENTIK_CLIENT_SECRET=' "$ROOT/.env" | cut -d= -f2-)" ;;
      DEVIDP_API_TOKEN) line="DEVIDP_API_TOKEN=$(grep '^AUTHENTIK_API_TOKEN=' "$ROOT/.env" | cut -d= -f2-)" ;;
    esac
    printf '%s\n' "$line" >> "$ROOT/.env"
    added+=("$key")
  done <<< "$candidate"
  [ ${#added[@]} -eq 0 ] || say "added to .env: ${added[*]}"
  # A .env from before the API had a role of its own: its DATABASE_URL (the local owner
  # role) becomes DATABASE_OWNER_URL, and DATABASE_URL names orcastra_app, which
  # scripts/postgres.sh creates with POSTGRES_APP_PASSWORD. Any other database is left alone.
  if [[ " ${added[*]} " == *" DATABASE_OWNER_URL "* ]]; then
    old=$(grep '^DATABASE_URL=' "$ROOT/.env" | cut -d= -f2-)
    if [[ "$old" =~ ^postgresql://orcastra:([^@]*)@127\.0\.0\.1:([0-9]+)/orcastra$ ]]; then
      app_password=$(grep '^POSTGRES_APP_PASSWORD=' "$ROOT/.env" | cut -d= -f2-)
      sed -i -e "s|^DATABASE_OWNER_URL=.*|DATABASE_OWNER_URL=$old|" \
        -e "s|^DATABASE_URL=.*|DATABASE_URL=postgresql://orcastra_app:$app_password@127.0.0.1:${BASH_REMATCH[2]}/orcastra|" "$ROOT/.env"
      say "the API now runs as orcastra_app; migrations as orcastra (DATABASE_OWNER_URL)"
    else
      sed -i "s|^DATABASE_OWNER_URL=.*|DATABASE_OWNER_URL=|" "$ROOT/.env"
    fi
  fi
  # A .env from before sign-in has empty identity secrets: fill them in pairs.
  if grep -q '^AUTHENTIK_CLIENT_SECRET=$' "$ROOT/.env"; then
    s=$(secret 32); sed -i "s|^AUTHENTIK_CLIENT_SECRET=.*|AUTHENTIK_CLIENT_SECRET=$s|; s|^DEVIDP_CLIENT_SECRET=.*|DEVIDP_CLIENT_SECRET=$s|" "$ROOT/.env"
  fi
  if grep -q '^AUTHENTIK_API_TOKEN=$' "$ROOT/.env"; then
    s=$(secret 32); sed -i "s|^AUTHENTIK_API_TOKEN=.*|AUTHENTIK_API_TOKEN=$s|; s|^DEVIDP_API_TOKEN=.*|DEVIDP_API_TOKEN=$s|" "$ROOT/.env"
  fi
  # A .env from before the directory sync: the development provider serves the directory too.
  if grep -q '^AUTHENTIK_API_URL=$' "$ROOT/.env" && ! grep -q '^LOCAL_DEVIDP=false' "$ROOT/.env"; then
    url=$(grep '^DEVIDP_PUBLIC_URL=' "$ROOT/.env" | cut -d= -f2-)
    sed -i "s|^AUTHENTIK_API_URL=.*|AUTHENTIK_API_URL=${url:-http://localhost:9000}|" "$ROOT/.env"
  fi
  if grep -q '^AUTH_PROXY_SECRET=$' "$ROOT/.env"; then sed -i "s|^AUTH_PROXY_SECRET=.*|AUTH_PROXY_SECRET=$(secret 32)|" "$ROOT/.env"; fi
fi

# The development provider's users: one per role, passwords generated once.
load_env
seed="$ROOT/${DEVIDP_SEED_FILE:-.data/devidp-users.json}"
if [ "${LOCAL_DEVIDP:-true}" = true ] && [ ! -f "$seed" ]; then
  say "seeding the development identity provider's users"
  mkdir -p "$(dirname "$seed")"
  umask 077
  cat > "$seed" <<JSON
{"users": [
  {"username": "admin", "password": "$(secret 9)", "name": "Ada Admin", "email": "admin@orcastra.local", "groups": ["role_admin"]},
  {"username": "partner", "password": "$(secret 9)", "name": "Pat Partner", "email": "partner@orcastra.local", "groups": ["role_partner"]},
  {"username": "tenant", "password": "$(secret 9)", "name": "Tess Tenant", "email": "tenant@orcastra.local", "groups": ["role_tenant"]}
]}
JSON
fi
