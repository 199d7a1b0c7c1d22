-- Who works in a project besides its organization's owner, and how: a viewer sees it and its
-- instances, an operator also creates, starts, stops, snapshots and deletes them within the
-- quota. A member leaves with the project.
CREATE TABLE project_members (
    project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id    uuid NOT NULL REFERENCES users (id),
    role       text NOT NULL CHECK (role IN ('viewer', 'operator')),
    added_by   uuid REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, user_id)
);
CREATE INDEX project_members_user ON project_members (user_id);
