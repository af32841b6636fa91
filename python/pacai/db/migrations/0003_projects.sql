-- Projects, their generations, the current world and the ordered override log (CONTRACT §5).
CREATE TABLE projects (
    id          uuid PRIMARY KEY,
    owner_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    seed        bigint NOT NULL CHECK (seed >= 0),
    params      jsonb NOT NULL,
    checksum    text,
    version     integer NOT NULL DEFAULT 0,
    -- Counts every event published on the project's channel: the `seq` of CONTRACT §6.4.
    event_seq   bigint NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX projects_owner ON projects (owner_id, created_at, id);

-- Each generation keeps the exact bytes it produced, so the override log can be replayed.
CREATE TABLE generations (
    id             uuid PRIMARY KEY,
    project_id     uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    seed           bigint NOT NULL,
    params         jsonb NOT NULL,
    engine_version text NOT NULL,
    checksum       text NOT NULL,
    summary        jsonb NOT NULL,
    world          bytea NOT NULL,
    generated_by   uuid REFERENCES users (id) ON DELETE SET NULL,
    generated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX generations_project ON generations (project_id, generated_at);

-- The current world: the latest generation with every override applied.
CREATE TABLE world_snapshots (
    project_id    uuid PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,
    generation_id uuid NOT NULL REFERENCES generations (id) ON DELETE CASCADE,
    version       integer NOT NULL,
    checksum      text NOT NULL,
    world         bytea NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- The override log of a generation, in order; `seq` is 1, 2, 3, … per generation.
CREATE TABLE overrides (
    id            uuid PRIMARY KEY,
    project_id    uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    generation_id uuid NOT NULL REFERENCES generations (id) ON DELETE CASCADE,
    seq           integer NOT NULL CHECK (seq >= 1),
    ops           jsonb NOT NULL,
    changes       jsonb NOT NULL,
    checksum      text NOT NULL,
    user_id       uuid REFERENCES users (id) ON DELETE SET NULL,
    applied_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (generation_id, seq)
);
