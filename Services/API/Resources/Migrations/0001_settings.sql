-- Key/value settings edited by administrators (Settings page); values are JSON so that a
-- setting can grow fields without a migration.
CREATE TABLE app_settings (
    key text PRIMARY KEY CHECK (key ~ '^[a-z][a-z0-9_.]{0,127}$'),
    value jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
