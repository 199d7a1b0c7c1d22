-- Access to one instance for someone who is not a member of its project (a contractor): the
-- project role's instance rights (viewer: see it; operator: also start, stop, snapshot and
-- delete it) on that instance only. Grants go with the project, and with the instance when it
-- is deleted through Orcastra, so a later instance of the same name does not inherit them.
CREATE TABLE instance_grants (
    project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    instance   text NOT NULL CHECK (instance ~ '^[A-Za-z0-9][A-Za-z0-9-]{0,62}$'),
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       text NOT NULL CHECK (role IN ('viewer', 'operator')),
    added_by   uuid REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, instance, user_id)
);
CREATE INDEX instance_grants_user ON instance_grants (user_id);
