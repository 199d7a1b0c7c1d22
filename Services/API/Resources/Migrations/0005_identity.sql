-- People as the identity provider names them, seen on their first request; the role is the one
-- their groups granted last time, which API keys act with and role-change audits compare to.
CREATE TABLE users (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    subject      text NOT NULL UNIQUE,
    name         text,
    email        text,
    role         text NOT NULL CHECK (role IN ('admin', 'partner', 'tenant')),
    groups       text[] NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now()
);

-- API keys are kept as a SHA-256 of the whole key (they are 256-bit random, so a slow hash adds
-- nothing); the prefix is what people see to tell them apart.
CREATE TABLE api_keys (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    owner_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         text NOT NULL,
    prefix       text NOT NULL,
    key_hash     bytea NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    expires_at   timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX api_keys_owner ON api_keys (owner_id);

-- Gateway sign-ins. The gateway holds the tokens (in Redis); this is the part people list and
-- revoke, and what the API checks on every call that names a session.
CREATE TABLE sessions (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    ip           text,
    user_agent   text,
    ended_at     timestamptz,
    end_reason   text CHECK (end_reason IN ('logout', 'revoked'))
);
CREATE INDEX sessions_user ON sessions (user_id, created_at DESC);
