-- Users, their sessions and refresh tokens (CONTRACT §3).
CREATE TABLE users (
    id            uuid PRIMARY KEY,
    email         text NOT NULL UNIQUE CHECK (email = lower(email) AND length(email) <= 254),
    display_name  text CHECK (display_name IS NULL OR length(display_name) <= 100),
    password_hash text NOT NULL,
    tier          text NOT NULL DEFAULT 'free' CHECK (tier IN ('free', 'creator', 'lifetime')),
    role          text NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
    disabled      boolean NOT NULL DEFAULT false,
    is_demo       boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX users_created ON users (created_at, id);

-- The durable record of every session; the hot store (memory or Redis) answers the
-- per-request check and is refilled from here after a restart.
CREATE TABLE sessions (
    id                uuid PRIMARY KEY,
    user_id           uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at        timestamptz NOT NULL DEFAULT now(),
    expires_at        timestamptz NOT NULL,
    last_refreshed_at timestamptz,
    revoked_at        timestamptz,
    revoked_reason    text,
    client_ip         text,
    user_agent        text
);
CREATE INDEX sessions_user_active ON sessions (user_id, created_at, id) WHERE revoked_at IS NULL;

-- Refresh tokens are stored only as SHA-256 hashes. Each works once: `used_at` is set
-- when it is exchanged, and presenting a used one revokes the whole session.
CREATE TABLE refresh_tokens (
    token_hash text PRIMARY KEY,
    session_id uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    used_at    timestamptz
);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);
