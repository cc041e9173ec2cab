-- Every public key an edge recorder has ever had, with the period it was
-- in force: [registered_at, retired_at), retired_at NULL while in force.
-- The archive verifies each segment's signed manifest with the key that
-- was in force when the server accepted the segment, for as long as the
-- recordings are kept (15 years or more), so a key is never deleted and
-- never changed: registering another key or another recorder for a room
-- only retires the key the room had (once). room.rooms keeps the key in
-- force, which signs the recorder's device-token requests.
--
-- A key belongs to one recorder id forever; a recorder has at most one
-- key in force at any instant, and a room at most one key in force.

CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE room.recorder_keys (
    id            bigserial PRIMARY KEY,
    recorder_id   text NOT NULL CHECK (recorder_id ~ '^[A-Za-z0-9_.-]{1,64}$'),
    room_id       bigint NOT NULL REFERENCES room.rooms (id),
    public_key    bytea NOT NULL CHECK (length(public_key) = 32),
    registered_at timestamptz NOT NULL,
    registered_by text NOT NULL CHECK (registered_by <> ''),
    retired_at    timestamptz,
    retired_by    text CHECK (retired_by <> ''),
    CHECK (retired_at IS NULL OR retired_at >= registered_at),
    CHECK ((retired_at IS NULL) = (retired_by IS NULL)),
    CONSTRAINT recorder_keys_one_in_force EXCLUDE USING gist
        (recorder_id WITH =, tstzrange(registered_at, retired_at, '[)') WITH &&)
);
CREATE UNIQUE INDEX recorder_keys_room_in_force ON room.recorder_keys (room_id) WHERE retired_at IS NULL;
CREATE INDEX recorder_keys_recorder_idx ON room.recorder_keys (recorder_id, registered_at);
CREATE INDEX recorder_keys_key_idx ON room.recorder_keys (public_key);

-- The guard keeps the history append-only: no delete; an update may only
-- retire a key in force, once; a key registered before for another
-- recorder id is refused.
CREATE FUNCTION room.recorder_keys_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'room.recorder_keys: a recorder key is never deleted' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'INSERT' THEN
        IF EXISTS (SELECT 1 FROM room.recorder_keys k WHERE k.public_key = NEW.public_key AND k.recorder_id <> NEW.recorder_id) THEN
            RAISE EXCEPTION 'room.recorder_keys: key registered before for another recorder'
                USING ERRCODE = 'unique_violation', CONSTRAINT = 'recorder_keys_one_recorder';
        END IF;
        RETURN NEW;
    END IF;
    IF OLD.retired_at IS NOT NULL OR NEW.retired_at IS NULL
        OR NEW.recorder_id <> OLD.recorder_id OR NEW.room_id <> OLD.room_id OR NEW.public_key <> OLD.public_key
        OR NEW.registered_at <> OLD.registered_at OR NEW.registered_by <> OLD.registered_by THEN
        RAISE EXCEPTION 'room.recorder_keys: only a key in force may be retired, once' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER recorder_keys_guard BEFORE INSERT OR UPDATE OR DELETE ON room.recorder_keys
    FOR EACH ROW EXECUTE FUNCTION room.recorder_keys_guard();

-- The keys registered before this history was kept: in force since their
-- room was created (the earliest they can have been registered).
INSERT INTO room.recorder_keys (recorder_id, room_id, public_key, registered_at, registered_by)
SELECT recorder_id, id, recorder_key, created_at, 'migration:0030_recorder_keys'
FROM room.rooms WHERE recorder_id IS NOT NULL;
