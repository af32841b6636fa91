-- Installed licences (CONTRACT §8). The newest row is the licence in force.
CREATE TABLE licenses (
    id           bigserial PRIMARY KEY,
    license_id   text NOT NULL,
    document     bytea NOT NULL,
    installed_by uuid REFERENCES users (id) ON DELETE SET NULL,
    installed_at timestamptz NOT NULL DEFAULT now()
);
