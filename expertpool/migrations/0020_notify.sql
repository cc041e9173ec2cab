-- Notification delivery state on the outbox. The stream in Redis only
-- carries ids; this table decides what is still to send:
--   claimed_until: a worker's lease, taken before calling the provider,
--                  so two workers never send one row at once;
--   due_at:        when the next retry is expected in the stream (after a
--                  failure); with relayed_at it tells the relay which rows
--                  were lost from Redis and must be relayed again;
--   skipped:       done without sending (the member's state changed
--                  before the invitation went out);
--   dead_at:       when the row was given up (dead = true).
ALTER TABLE expertpool.outbox
    ADD COLUMN claimed_until timestamptz,
    ADD COLUMN due_at        timestamptz,
    ADD COLUMN skipped       boolean NOT NULL DEFAULT false,
    ADD COLUMN dead_at       timestamptz,
    ADD CONSTRAINT outbox_dead_at CHECK (dead = (dead_at IS NOT NULL)),
    ADD CONSTRAINT outbox_skipped_done CHECK (NOT skipped OR delivered_at IS NOT NULL);

CREATE INDEX outbox_member_idx ON expertpool.outbox (member_id);
CREATE INDEX outbox_dead_idx ON expertpool.outbox (dead_at) WHERE dead;

-- Confirmation links are stateless signed tokens; each one's nonce is
-- recorded here when it is used, so a link works once.
CREATE TABLE expertpool.link_uses (
    nonce     bytea PRIMARY KEY CHECK (length(nonce) = 12),
    member_id bigint NOT NULL REFERENCES expertpool.members (id) ON DELETE CASCADE,
    used_at   timestamptz NOT NULL
);
