-- Retention and legal holds. A session's recordings are kept for the
-- retention period (15 years at least) after the session ended; then the
-- retention job deletes a segment's bytes from the store, unless a legal
-- hold covers it. The index row is never dropped: it becomes a tombstone
-- (state 'deleted', when, by whom, why) that keeps its signed manifest,
-- so the recorder's hash chain still verifies across it. blob_removed_at
-- is set once the store no longer holds the bytes (the job retries a
-- tombstone whose removal failed).

ALTER TABLE archive.segments ADD COLUMN deleted_at timestamptz;
ALTER TABLE archive.segments ADD COLUMN deleted_by text;
ALTER TABLE archive.segments ADD COLUMN delete_reason text;
ALTER TABLE archive.segments ADD COLUMN blob_removed_at timestamptz;

ALTER TABLE archive.segments ADD CONSTRAINT segments_tombstone_check CHECK (
    (deleted_at IS NULL AND deleted_by IS NULL AND delete_reason IS NULL AND blob_removed_at IS NULL)
    OR (deleted_at IS NOT NULL AND deleted_by <> '' AND btrim(delete_reason) <> ''));

ALTER TABLE archive.segments DROP CONSTRAINT segments_state_check;
ALTER TABLE archive.segments ADD CONSTRAINT segments_state_check
    CHECK (state IN ('verified', 'broken', 'deleted'));
ALTER TABLE archive.segments ADD CONSTRAINT segments_deleted_state_check
    CHECK ((state = 'deleted') = (deleted_at IS NOT NULL));

CREATE INDEX segments_live_end ON archive.segments (utc_end, hash) WHERE deleted_at IS NULL;
CREATE INDEX segments_blob_pending ON archive.segments (deleted_at) WHERE deleted_at IS NOT NULL AND blob_removed_at IS NULL;

-- A tombstone is final: its row is never dropped and never comes back to
-- life; only blob_removed_at and the verification columns change.
CREATE FUNCTION archive.keep_tombstones() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.deleted_at IS NOT NULL THEN
            RAISE EXCEPTION 'archive: the tombstone of segment % is kept', OLD.hash;
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.deleted_at IS NOT NULL AND (NEW.deleted_at IS DISTINCT FROM OLD.deleted_at
        OR NEW.deleted_by IS DISTINCT FROM OLD.deleted_by OR NEW.delete_reason IS DISTINCT FROM OLD.delete_reason
        OR NEW.manifest_raw IS DISTINCT FROM OLD.manifest_raw OR NEW.hash IS DISTINCT FROM OLD.hash) THEN
        RAISE EXCEPTION 'archive: the tombstone of segment % cannot change', OLD.hash;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER segments_keep_tombstones BEFORE UPDATE OR DELETE ON archive.segments
    FOR EACH ROW EXECUTE FUNCTION archive.keep_tombstones();

-- holds: legal holds (法律保全). A hold covers a session's recordings (all
-- its rooms, or the one room_id names), as its evidence export would:
-- the segments tagged with the session and the untagged ones of its rooms
-- over its span. An active hold (released_at NULL) stops the retention
-- job from deleting them. A hold is never deleted; releasing it records
-- when, by whom and why.
CREATE TABLE archive.holds (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id     bigint NOT NULL CHECK (session_id > 0),
    room_id        bigint CHECK (room_id > 0),
    reason         text NOT NULL CHECK (btrim(reason) <> '' AND char_length(reason) <= 500),
    placed_by      text NOT NULL CHECK (placed_by <> ''),
    placed_at      timestamptz NOT NULL,
    released_at    timestamptz,
    released_by    text,
    release_reason text,
    CHECK ((released_at IS NULL AND released_by IS NULL AND release_reason IS NULL)
        OR (released_at IS NOT NULL AND released_by <> '' AND btrim(release_reason) <> ''
            AND char_length(release_reason) <= 500))
);

CREATE INDEX holds_session ON archive.holds (session_id, id);
CREATE INDEX holds_active ON archive.holds (session_id) WHERE released_at IS NULL;

CREATE FUNCTION archive.keep_holds() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'archive: legal hold % is kept', OLD.id;
    END IF;
    IF OLD.released_at IS NOT NULL OR NEW.session_id <> OLD.session_id OR NEW.room_id IS DISTINCT FROM OLD.room_id
        OR NEW.reason <> OLD.reason OR NEW.placed_by <> OLD.placed_by OR NEW.placed_at <> OLD.placed_at THEN
        RAISE EXCEPTION 'archive: legal hold % can only be released, once', OLD.id;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER holds_keep BEFORE UPDATE OR DELETE ON archive.holds
    FOR EACH ROW EXECUTE FUNCTION archive.keep_holds();
