-- Evaluation sessions: the venues taking part, the physical rooms they
-- use, sign-ins to seats and media fault records. Integrity lives here:
-- a sign-in's seat lies within its room's seats (copied into the
-- session's room list and reached through a composite foreign key), one
-- active sign-in per seat and per member, one room in at most one running
-- session, one open fault per session.

CREATE TABLE room.sessions (
    id               bigserial PRIMARY KEY,
    ref              text NOT NULL UNIQUE CHECK (ref ~ '^[A-Za-z0-9_.:-]{1,64}$'),
    -- draw_id: the expert pool's draw that staffs the committee (no foreign
    -- key: the pool's schema belongs to another feature).
    draw_id          bigint CHECK (draw_id > 0),
    project_code     text NOT NULL CHECK (project_code <> ''),
    project_name     text NOT NULL CHECK (project_name <> ''),
    starts_at        timestamptz NOT NULL,
    ends_at          timestamptz NOT NULL,
    main_venue       text NOT NULL,
    phase            text NOT NULL DEFAULT 'scheduled'
                     CHECK (phase IN ('scheduled', 'signin', 'evaluating', 'paused', 'finished', 'aborted')),
    phase_changed_at timestamptz NOT NULL,
    abort_reason     text NOT NULL DEFAULT '',
    -- sealed_at: when the session's materials were sealed (an abort after a
    -- media fault outlived its deadline).
    sealed_at        timestamptz,
    created_by       text NOT NULL,
    created_at       timestamptz NOT NULL,
    CHECK (ends_at > starts_at),
    CHECK ((phase = 'aborted') = (abort_reason <> '')),
    CHECK (sealed_at IS NULL OR phase = 'aborted')
);
CREATE INDEX sessions_phase_idx ON room.sessions (phase, starts_at);

CREATE TABLE room.session_venues (
    session_id bigint NOT NULL REFERENCES room.sessions (id) ON DELETE CASCADE,
    venue_code text NOT NULL CHECK (venue_code ~ '^[A-Za-z0-9_-]{1,32}$'),
    is_main    boolean NOT NULL,
    PRIMARY KEY (session_id, venue_code)
);
CREATE UNIQUE INDEX session_venues_one_main ON room.session_venues (session_id) WHERE is_main;
CREATE INDEX session_venues_venue_idx ON room.session_venues (venue_code, session_id);

-- The main venue named in sessions is its venue row marked main.
ALTER TABLE room.sessions ADD CONSTRAINT sessions_main_venue_fk
    FOREIGN KEY (id, main_venue) REFERENCES room.session_venues (session_id, venue_code)
    DEFERRABLE INITIALLY DEFERRED;

-- A venue's physical evaluation rooms, each with at most one registered
-- edge recorder (its id and Ed25519 public key, both unique).
CREATE TABLE room.rooms (
    id             bigserial PRIMARY KEY,
    venue_code     text NOT NULL CHECK (venue_code ~ '^[A-Za-z0-9_-]{1,32}$'),
    name           text NOT NULL CHECK (name <> '' AND length(name) <= 64),
    seats          int NOT NULL CHECK (seats BETWEEN 1 AND 99),
    recorder_id    text UNIQUE CHECK (recorder_id ~ '^[A-Za-z0-9_.-]{1,64}$'),
    recorder_key   bytea UNIQUE CHECK (length(recorder_key) = 32),
    -- last_device_at: the timestamp of the last accepted device-token
    -- request; a request must be newer (no replays).
    last_device_at timestamptz,
    created_at     timestamptz NOT NULL,
    UNIQUE (venue_code, name),
    UNIQUE (id, venue_code),
    CHECK ((recorder_id IS NULL) = (recorder_key IS NULL))
);

-- The rooms a session uses. seats is the room's seat count when it was
-- added; active is true while the session runs (sign-in, evaluating,
-- paused), and a room runs at most one session at a time.
CREATE TABLE room.session_rooms (
    session_id bigint NOT NULL,
    room_id    bigint NOT NULL,
    venue_code text NOT NULL,
    seats      int NOT NULL CHECK (seats BETWEEN 1 AND 99),
    active     boolean NOT NULL DEFAULT false,
    PRIMARY KEY (session_id, room_id),
    UNIQUE (session_id, room_id, venue_code, seats),
    FOREIGN KEY (session_id, venue_code) REFERENCES room.session_venues (session_id, venue_code) ON DELETE CASCADE,
    FOREIGN KEY (room_id, venue_code) REFERENCES room.rooms (id, venue_code)
);
CREATE UNIQUE INDEX session_rooms_one_running ON room.session_rooms (room_id) WHERE active;

-- Sign-ins: a committee member seated in a room after staff checked the
-- last digits of the identity number. Released sign-ins (on-site recusal)
-- stay as history.
CREATE TABLE room.signins (
    id             bigserial PRIMARY KEY,
    session_id     bigint NOT NULL,
    member_id      bigint NOT NULL CHECK (member_id > 0),
    member_name    text NOT NULL CHECK (member_name <> ''),
    room_id        bigint NOT NULL,
    venue_code     text NOT NULL,
    room_seats     int NOT NULL,
    seat           int NOT NULL,
    id_suffix_len  int NOT NULL CHECK (id_suffix_len BETWEEN 4 AND 6),
    checked_by     text NOT NULL CHECK (checked_by <> ''),
    checked_at     timestamptz NOT NULL,
    released_at    timestamptz,
    released_by    text,
    release_reason text,
    FOREIGN KEY (session_id, room_id, venue_code, room_seats)
        REFERENCES room.session_rooms (session_id, room_id, venue_code, seats),
    CHECK (seat BETWEEN 1 AND room_seats),
    CHECK ((released_at IS NULL) = (released_by IS NULL) AND (released_at IS NULL) = (release_reason IS NULL))
);
CREATE UNIQUE INDEX signins_seat_taken ON room.signins (session_id, room_id, seat) WHERE released_at IS NULL;
CREATE UNIQUE INDEX signins_member_seated ON room.signins (session_id, member_id) WHERE released_at IS NULL;

-- Media faults between venues. kind follows the phase when it began:
-- before_start (scheduled, sign-in) or during_evaluation (evaluating,
-- paused). A fault is open until restored or expired (its deadline action
-- taken).
CREATE TABLE room.faults (
    id          bigserial PRIMARY KEY,
    session_id  bigint NOT NULL REFERENCES room.sessions (id) ON DELETE CASCADE,
    kind        text NOT NULL CHECK (kind IN ('before_start', 'during_evaluation')),
    note        text NOT NULL DEFAULT '',
    started_at  timestamptz NOT NULL,
    started_by  text NOT NULL CHECK (started_by <> ''),
    deadline    timestamptz NOT NULL CHECK (deadline > started_at),
    restored_at timestamptz,
    restored_by text,
    expired_at  timestamptz,
    CHECK ((restored_at IS NULL) = (restored_by IS NULL)),
    CHECK (restored_at IS NULL OR expired_at IS NULL),
    CHECK (restored_at IS NULL OR restored_at >= started_at)
);
CREATE UNIQUE INDEX faults_one_open ON room.faults (session_id) WHERE restored_at IS NULL AND expired_at IS NULL;
CREATE INDEX faults_open_deadline_idx ON room.faults (deadline) WHERE restored_at IS NULL AND expired_at IS NULL;
