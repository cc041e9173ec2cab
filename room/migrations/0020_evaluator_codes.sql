-- One-time evaluator codes: staff hand each signed-in expert a short code
-- that logs them in as the evaluator of that session and seat. Only the
-- SHA-256 of a code is stored. A code is live until used, revoked (a
-- re-issue revokes the member's live code) or expired (the session's end);
-- a member has at most one live code per session. user_id is the
-- evaluator account (auth schema, no foreign key: another feature's) that
-- used the code.

CREATE TABLE room.evaluator_codes (
    id         bigserial PRIMARY KEY,
    session_id bigint NOT NULL REFERENCES room.sessions (id),
    signin_id  bigint NOT NULL REFERENCES room.signins (id),
    member_id  bigint NOT NULL CHECK (member_id > 0),
    code_hash  bytea NOT NULL UNIQUE CHECK (length(code_hash) = 32),
    issued_by  text NOT NULL CHECK (issued_by <> ''),
    issued_at  timestamptz NOT NULL,
    expires_at timestamptz NOT NULL CHECK (expires_at > issued_at),
    used_at    timestamptz,
    user_id    bigint CHECK (user_id > 0),
    revoked_at timestamptz,
    CHECK ((used_at IS NULL) = (user_id IS NULL)),
    CHECK (used_at IS NULL OR revoked_at IS NULL)
);
CREATE UNIQUE INDEX evaluator_codes_one_live ON room.evaluator_codes (session_id, member_id)
    WHERE used_at IS NULL AND revoked_at IS NULL;
CREATE INDEX evaluator_codes_user_idx ON room.evaluator_codes (session_id, user_id) WHERE user_id IS NOT NULL;
