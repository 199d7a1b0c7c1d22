-- LXD/Incus servers Orcastra manages. The client certificate and key live in the secret store
-- at clusters/<id>; here only what is not secret: where the server is, the pinned server
-- certificate (by fingerprint and in full) and which of our certificates it trusts.
CREATE TABLE clusters (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name               text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$'),
    description        text NOT NULL DEFAULT '',
    endpoint           text NOT NULL,
    server_fingerprint text NOT NULL CHECK (server_fingerprint ~ '^[0-9a-f]{64}$'),
    client_fingerprint text NOT NULL,
    client_serial      text,
    owner_id           uuid REFERENCES users (id),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX clusters_owner ON clusters (owner_id);

-- Long-running LXD operations started through the API (instance create, state changes,
-- snapshots, deletes), so callers can follow one by our id after the request returned.
-- `lxd_operation` is the step LXD is running now; a finished row is final.
CREATE TABLE operations (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    cluster_id    uuid NOT NULL REFERENCES clusters (id) ON DELETE CASCADE,
    action        text NOT NULL,
    project       text NOT NULL,
    instance      text NOT NULL,
    snapshot      text,
    lxd_operation text,
    status        text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'success', 'failure')),
    progress      integer,
    stage         text,
    error         text,
    created_by    uuid REFERENCES users (id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX operations_cluster ON operations (cluster_id, created_at DESC);
