-- The audit trail: an append-only, hash-chained table of events and a one-row chain head.
--
-- Each row's hash is SHA-256(prev_hash || seq as 8 bytes big-endian || body), where body is
-- the canonical JSON of the event (it holds seq, event id, time, action, actor, result, …);
-- prev_hash is the previous row's hash (32 zero bytes for seq 1). The other columns are
-- copies of body fields for filtering; verification checks that they still match the body.
-- The head keeps the newest seq and hash (the high-water mark), so deleting the newest rows
-- is detected too. Rows are appended by the API only (AuditTrail), one at a time under a
-- transaction-scoped advisory lock, so seq has no gaps.
CREATE TABLE audit_events (
    seq bigint PRIMARY KEY CHECK (seq > 0),
    event_id uuid NOT NULL UNIQUE,
    recorded_at timestamptz NOT NULL,
    action text NOT NULL,
    category text NOT NULL,
    severity text NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
    result text NOT NULL CHECK (result IN ('success', 'failure', 'denied')),
    actor_id text,
    body text NOT NULL,
    prev_hash bytea NOT NULL CHECK (octet_length(prev_hash) = 32),
    hash bytea NOT NULL CHECK (octet_length(hash) = 32)
);

-- The list endpoint filters by these and always orders by seq, newest first.
CREATE INDEX audit_events_recorded_at ON audit_events (recorded_at);
CREATE INDEX audit_events_actor_id ON audit_events (actor_id, seq DESC);
CREATE INDEX audit_events_action ON audit_events (action, seq DESC);
CREATE INDEX audit_events_result ON audit_events (result, seq DESC);

CREATE TABLE audit_chain_head (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    seq bigint NOT NULL CHECK (seq >= 0),
    hash bytea NOT NULL CHECK (octet_length(hash) = 32)
);

INSERT INTO audit_chain_head (seq, hash) VALUES (0, decode(repeat('00', 32), 'hex'));

-- Refuses any change that is not an append. These triggers stop mistakes and any role that
-- does not own the tables; the owner (or a superuser) can still disable them, which is what
-- the hash chain and the head are there to detect.
CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only: % on % is refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_chain_head_keep BEFORE INSERT OR DELETE ON audit_chain_head
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_chain_head_no_truncate BEFORE TRUNCATE ON audit_chain_head
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

-- A new row must extend the chain exactly where the head says it ends.
CREATE FUNCTION audit_check_append() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    head audit_chain_head%ROWTYPE;
BEGIN
    SELECT * INTO head FROM audit_chain_head;
    IF NEW.seq <> head.seq + 1 OR NEW.prev_hash <> head.hash THEN
        RAISE EXCEPTION 'audit event % does not extend the chain head at %', NEW.seq, head.seq
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER audit_events_extend_head BEFORE INSERT ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_check_append();

-- The head only moves forward by one, onto the row just appended.
CREATE FUNCTION audit_check_head() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.seq <> OLD.seq + 1
       OR NOT EXISTS (SELECT 1 FROM audit_events WHERE seq = NEW.seq AND hash = NEW.hash) THEN
        RAISE EXCEPTION 'the audit chain head may only advance to the newest event'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER audit_chain_head_forward BEFORE UPDATE ON audit_chain_head
    FOR EACH ROW EXECUTE FUNCTION audit_check_head();
