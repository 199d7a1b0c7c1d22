-- Showback rates: what a vCPU-hour, a GiB-hour of memory and a GiB-hour of root disk cost, for
-- one organization or (owner_id) as the default of every organization a partner owns. Rates are
-- never changed in place: each change is a new row from `effective_from` on, so a month is
-- always priced at the rates in effect at its end, however they change later.
CREATE TABLE usage_rates (
    id              bigserial PRIMARY KEY,
    organization_id uuid REFERENCES organizations (id) ON DELETE CASCADE,
    owner_id        uuid REFERENCES users (id) ON DELETE CASCADE,
    currency        text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    vcpu_hour       numeric(20, 6) NOT NULL CHECK (vcpu_hour >= 0),
    memory_gib_hour numeric(20, 6) NOT NULL CHECK (memory_gib_hour >= 0),
    disk_gib_hour   numeric(20, 6) NOT NULL CHECK (disk_gib_hour >= 0),
    -- Count vCPU and memory only while instances run (disk is held either way).
    running_only    boolean NOT NULL DEFAULT false,
    effective_from  timestamptz NOT NULL,
    set_by          uuid,
    CHECK ((organization_id IS NULL) <> (owner_id IS NULL))
);
CREATE INDEX usage_rates_organization ON usage_rates (organization_id, effective_from DESC);
CREATE INDEX usage_rates_owner ON usage_rates (owner_id, effective_from DESC);

-- A closed month's statement of one organization, written the first time it is asked for
-- after the month ended, and from then on answered as written: later rates or late ledger
-- rows do not change a statement already given.
CREATE TABLE showback_statements (
    organization_id uuid NOT NULL,
    month           date NOT NULL CHECK (extract(day FROM month) = 1),
    statement       jsonb NOT NULL,
    closed_at       timestamptz NOT NULL,
    PRIMARY KEY (organization_id, month)
);
