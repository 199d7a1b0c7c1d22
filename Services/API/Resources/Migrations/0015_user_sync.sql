-- Users read from the identity provider's directory (AUTHENTIK_API_URL): when they were last
-- read there, and why a user is disabled (`disabled_reason`: a sync writes
-- 'authentik: deactivated' or 'authentik: gone', and enables again only users it disabled).
-- A user the sync created has not signed in yet, so `last_seen_at` may be empty.
ALTER TABLE users
    ADD COLUMN synced_at       timestamptz,
    ADD COLUMN disabled_reason text,
    ALTER COLUMN last_seen_at DROP NOT NULL;
