-- Notification outbox: written in the same transaction as the change that
-- causes the message; the relay moves rows to a Redis Stream. A row is
-- done when delivered_at is set (or dead after too many failures).
CREATE TABLE expertpool.outbox (
    id           bigserial PRIMARY KEY,
    member_id    bigint NOT NULL REFERENCES expertpool.members (id) ON DELETE CASCADE,
    kind         text NOT NULL CHECK (kind IN ('invite', 'repeat', 'confirmed', 'released', 'cancelled')),
    created_at   timestamptz NOT NULL,
    relayed_at   timestamptz,
    delivered_at timestamptz,
    attempts     int NOT NULL DEFAULT 0,
    dead         boolean NOT NULL DEFAULT false,
    last_error   text NOT NULL DEFAULT ''
);
CREATE INDEX outbox_pending_idx ON expertpool.outbox (id) WHERE delivered_at IS NULL AND NOT dead;
