-- The embedded secret store: one row per path (its newest version) and one per version,
-- each value AES-256-GCM sealed and bound to its path and version.
CREATE TABLE secrets (
    path text PRIMARY KEY,
    current_version integer NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE secret_versions (
    path text NOT NULL REFERENCES secrets (path) ON DELETE CASCADE,
    version integer NOT NULL CHECK (version > 0),
    key_id text NOT NULL,
    ciphertext bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (path, version)
);
