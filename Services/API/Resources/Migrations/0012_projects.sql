-- An organization's place on a cluster: one LXD project there, whose limits.* are the quota
-- (LXD enforces them; the columns are what Orcastra asked for). An organization or a cluster
-- that still has projects cannot be deleted.
CREATE TABLE projects (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE RESTRICT,
    cluster_id      uuid NOT NULL REFERENCES clusters (id) ON DELETE RESTRICT,
    name            text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    description     text NOT NULL DEFAULT '' CHECK (char_length(description) <= 500),
    lxd_project     text NOT NULL CHECK (lxd_project ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    limit_instances integer CHECK (limit_instances >= 0),
    limit_cpu       integer CHECK (limit_cpu >= 1),
    limit_memory    text,
    limit_disk      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (cluster_id, lxd_project)
);
CREATE UNIQUE INDEX projects_organization_name ON projects (organization_id, lower(name));
CREATE INDEX projects_cluster ON projects (cluster_id);
