-- Users, browser sessions and failed-login counters.
CREATE TABLE auth.users (
    id            bigserial PRIMARY KEY,
    username      text NOT NULL CHECK (username ~ '^[A-Za-z0-9_.@-]{2,64}$'),
    display_name  text NOT NULL DEFAULT '',
    password_hash text NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
    role          text NOT NULL CHECK (role IN ('admin', 'staff', 'evaluator', 'supervisor', 'archivist')),
    venue_code    text NOT NULL DEFAULT '',
    session_ref   text NOT NULL DEFAULT '',
    disabled      boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    CHECK (role <> 'staff' OR venue_code <> ''),
    CHECK (role <> 'evaluator' OR session_ref <> '')
);
CREATE UNIQUE INDEX users_username_idx ON auth.users (lower(username));

-- Only the SHA-256 of a session token is stored.
CREATE TABLE auth.sessions (
    token_hash bytea PRIMARY KEY CHECK (length(token_hash) = 32),
    user_id    bigint NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL,
    last_seen  timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    client_ip  text NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user_idx ON auth.sessions (user_id);
CREATE INDEX sessions_expires_idx ON auth.sessions (expires_at);

CREATE TABLE auth.login_failures (
    id        bigserial PRIMARY KEY,
    username  text NOT NULL,
    client_ip text NOT NULL,
    at        timestamptz NOT NULL
);
CREATE INDEX login_failures_username_idx ON auth.login_failures (lower(username), at);
CREATE INDEX login_failures_ip_idx ON auth.login_failures (client_ip, at);
