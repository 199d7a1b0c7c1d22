-- The embedded certificate authority: its root and intermediate (keys AES-GCM sealed) and
-- a record of every certificate it issued.
CREATE TABLE ca_keys (
    name text PRIMARY KEY CHECK (name IN ('root', 'intermediate')),
    certificate_pem text NOT NULL,
    key_id text NOT NULL,
    key_ciphertext bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE issued_certificates (
    serial text PRIMARY KEY,
    common_name text NOT NULL,
    sans text[] NOT NULL DEFAULT '{}',
    usage text NOT NULL CHECK (usage IN ('client', 'server')),
    not_before timestamptz NOT NULL,
    not_after timestamptz NOT NULL,
    revoked_at timestamptz,
    certificate_pem text NOT NULL,
    issued_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX issued_certificates_issued_at ON issued_certificates (issued_at DESC);
