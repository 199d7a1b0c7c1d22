-- Each project's own client certificate, which its cluster trusts inside the project's LXD
-- project only (the certificate and key are in the secret store): how the cluster knows it
-- (the SHA-256 fingerprint, to take it out of the trust store when the project goes) and how
-- Orcastra's CA does (the serial, to revoke it). Projects made before this have none, and
-- their members' calls are refused until the project is made again.
ALTER TABLE projects
    ADD COLUMN client_fingerprint text CHECK (client_fingerprint ~ '^[0-9a-f]{64}$'),
    ADD COLUMN client_serial      text;
