-- API keys no longer act with everything their owner may do, forever.
--
-- scope: 'read_only' keys may only GET and HEAD; 'read_write' is the default so that keys made
-- before this migration, and by dashboards that do not send a scope yet, behave as before.
-- role: the most a key may act as. It is the owner's role when the key was made (or a lower one
-- they asked for); on each use the key acts with the lower of this and the owner's role now, so
-- a later promotion of the owner does not promote old keys and a demotion demotes them.
ALTER TABLE api_keys
    ADD COLUMN scope text NOT NULL DEFAULT 'read_write' CHECK (scope IN ('read_only', 'read_write')),
    ADD COLUMN role  text CHECK (role IN ('admin', 'partner', 'tenant'));
UPDATE api_keys k SET role = u.role FROM users u WHERE u.id = k.owner_id;
ALTER TABLE api_keys ALTER COLUMN role SET NOT NULL;

-- Every key expires. Keys made without an expiry get created_at + 90 days, the default lifetime
-- of API_KEY_DEFAULT_DAYS (a migration cannot read the environment, so it uses the documented
-- default); a key older than that therefore stops working when this migration runs, and its
-- owner makes a new one. From here on the API always sets an expiry.
UPDATE api_keys SET expires_at = created_at + interval '90 days' WHERE expires_at IS NULL;
ALTER TABLE api_keys ALTER COLUMN expires_at SET NOT NULL;

-- A person an operator has disabled: their API keys are refused on the next request. Sign-in
-- itself is stopped at the identity provider; this column is what the API can enforce alone.
ALTER TABLE users ADD COLUMN disabled_at timestamptz;
