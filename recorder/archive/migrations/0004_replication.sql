-- Replication of the archive to a second store (the law asks for two
-- copies). One row per indexed segment that the replica must hold: the
-- segment's bytes (key segment_hash) and its signed manifest (key
-- manifest_key, the hex SHA-256 of manifest_raw; for a SHA-256 chain it
-- equals manifest_hash). The row is written in the transaction that
-- accepts the manifest, so an accepted segment is never forgotten; a
-- worker copies it after the commit (never in the recorder's request)
-- and records the outcome here. Rows are not deleted by replication:
-- state goes pending → done, or pending → failed (retried from
-- next_attempt_at, attempts counting) → done. A worker claims a row by
-- moving next_attempt_at past its copy (a lease), so several evalroomd
-- nodes share the queue and a node that dies mid-copy leaves the row to
-- the next.

CREATE TABLE archive.replication (
    segment_hash    text PRIMARY KEY REFERENCES archive.segments (hash) ON DELETE CASCADE,
    manifest_key    text NOT NULL CHECK (manifest_key ~ '^[0-9a-f]{64}$'),
    state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'failed', 'done')),
    attempts        int NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error      text NOT NULL DEFAULT '',
    enqueued_at     timestamptz NOT NULL,
    next_attempt_at timestamptz NOT NULL,
    done_at         timestamptz,
    CHECK ((state = 'done') = (done_at IS NOT NULL))
);

CREATE INDEX replication_due ON archive.replication (next_attempt_at) WHERE state <> 'done';
