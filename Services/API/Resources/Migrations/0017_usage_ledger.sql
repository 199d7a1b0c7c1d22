-- The usage ledger: what each instance was, from when. A row says "from `at` on, this
-- instance existed (or, for `deleted`, no longer did), was running or not, and had these
-- vCPUs, memory and root disk", until the instance's next row. Usage over a period is the sum
-- of those stretches; nothing is estimated between rows.
--
-- Rows keep the cluster, LXD project, Orcastra project and organization they were recorded
-- for, without foreign keys: a bill must survive the deletion of what it bills.
CREATE TABLE usage_ledger (
    id              bigserial PRIMARY KEY,
    at              timestamptz NOT NULL,
    cluster_id      uuid NOT NULL,
    lxd_project     text NOT NULL,
    instance        text NOT NULL,
    event           text NOT NULL CHECK (event IN ('created', 'started', 'stopped', 'resized', 'deleted', 'observed')),
    running         boolean NOT NULL,
    vcpus           integer NOT NULL CHECK (vcpus >= 0),
    memory_bytes    bigint NOT NULL CHECK (memory_bytes >= 0),
    disk_bytes      bigint NOT NULL CHECK (disk_bytes >= 0),
    project_id      uuid,
    organization_id uuid,
    -- orcastra: an operation Orcastra ran; event: LXD's lifecycle event of a change made
    -- elsewhere, as it happened; rescan: found by comparing the cluster's list with the ledger
    -- (the change happened at some time before `at`, after the previous scan).
    source          text NOT NULL CHECK (source IN ('orcastra', 'event', 'rescan')),
    CHECK (event <> 'deleted' OR (NOT running))
);
CREATE INDEX usage_ledger_instance ON usage_ledger (cluster_id, lxd_project, instance, at DESC, id DESC);
CREATE INDEX usage_ledger_at ON usage_ledger (at);

-- Stretches of time in which a cluster could not be asked: nothing is known of its instances
-- then, so no hours are counted for them. `ended_at` is null while the cluster is still out
-- of reach. `started_at` is the last time its state was known (the last good scan).
CREATE TABLE usage_gaps (
    id         bigserial PRIMARY KEY,
    cluster_id uuid NOT NULL,
    started_at timestamptz NOT NULL,
    ended_at   timestamptz,
    reason     text NOT NULL DEFAULT '',
    CHECK (ended_at IS NULL OR ended_at >= started_at)
);
CREATE UNIQUE INDEX usage_gaps_open ON usage_gaps (cluster_id) WHERE ended_at IS NULL;

-- When each cluster's state was last read whole: a gap opened later starts here.
CREATE TABLE usage_scans (
    cluster_id uuid PRIMARY KEY,
    scanned_at timestamptz NOT NULL
);
