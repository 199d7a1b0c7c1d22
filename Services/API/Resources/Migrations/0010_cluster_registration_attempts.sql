-- One row per cluster registration a user started, kept for an hour: the per-user limit on
-- registrations counts them, so registering cannot be repeated fast enough to scan a network.
CREATE TABLE cluster_registration_attempts (
    user_id     uuid NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cluster_registration_attempts_user ON cluster_registration_attempts (user_id, started_at);
