-- The central archive's index: one row per segment whose signed manifest
-- was accepted (its blob is in the content-addressed store under hash),
-- each recorder's chain head, and the gaps the manifests record, for
-- position lookups. A blob uploaded without an accepted manifest has no
-- row: it lives only in the store until its manifest arrives.

CREATE TABLE archive.segments (
    -- hash: hex SHA-256 of the segment bytes, the store's key.
    hash          text PRIMARY KEY CHECK (hash ~ '^[0-9a-f]{64}$'),
    size          bigint NOT NULL CHECK (size >= 0),
    recorder_id   text NOT NULL CHECK (recorder_id ~ '^[A-Za-z0-9_.-]{1,64}$'),
    room_id       bigint NOT NULL,
    session_id    bigint,
    seq           bigint NOT NULL CHECK (seq >= 1),
    -- name: the segment's file name on the recorder.
    name          text NOT NULL,
    -- stream: the track names joined by "+", e.g. "cam1+mic"; tracks: the
    -- manifest's tracks.
    stream        text NOT NULL,
    tracks        jsonb NOT NULL,
    utc_start     timestamptz NOT NULL,
    utc_end       timestamptz NOT NULL CHECK (utc_end >= utc_start),
    gaps          jsonb NOT NULL,
    truncated     boolean NOT NULL,
    -- manifest: the parsed manifest; manifest_raw: its canonical bytes,
    -- which the signature and manifest_hash cover.
    manifest      jsonb NOT NULL,
    manifest_raw  text NOT NULL,
    hash_alg      text NOT NULL CHECK (hash_alg IN ('sha256', 'sm3')),
    manifest_hash text NOT NULL CHECK (manifest_hash ~ '^[0-9a-f]{64}$'),
    prev_hash     text NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
    verified_at   timestamptz NOT NULL,
    state         text NOT NULL DEFAULT 'verified' CHECK (state IN ('verified')),
    UNIQUE (recorder_id, seq),
    UNIQUE (manifest_hash)
);

CREATE INDEX segments_position ON archive.segments (room_id, utc_start, utc_end);
CREATE INDEX segments_session ON archive.segments (session_id, utc_start) WHERE session_id IS NOT NULL;

CREATE TABLE archive.chain_heads (
    recorder_id   text PRIMARY KEY,
    seq           bigint NOT NULL CHECK (seq >= 1),
    manifest_hash text NOT NULL CHECK (manifest_hash ~ '^[0-9a-f]{64}$'),
    FOREIGN KEY (recorder_id, seq) REFERENCES archive.segments (recorder_id, seq)
);

-- gaps: one row per gap a manifest records, so that an instant no
-- segment covers can be explained.
CREATE TABLE archive.gaps (
    segment_hash text NOT NULL REFERENCES archive.segments (hash),
    idx          int NOT NULL,
    room_id      bigint NOT NULL,
    utc_from     timestamptz NOT NULL,
    utc_to       timestamptz NOT NULL CHECK (utc_to >= utc_from),
    reason       text NOT NULL,
    PRIMARY KEY (segment_hash, idx)
);

CREATE INDEX gaps_position ON archive.gaps (room_id, utc_from, utc_to);
