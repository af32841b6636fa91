-- Facts about this installation that every instance shares.
CREATE TABLE pacai_meta (
    key        text PRIMARY KEY,
    value      text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- A stable id for this installation (shown by `pacai config check`, used in logs).
INSERT INTO pacai_meta (key, value) VALUES ('installation_id', gen_random_uuid()::text);
