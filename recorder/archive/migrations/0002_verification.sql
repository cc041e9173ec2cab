-- Verification state: the archive checks its segments again on demand
-- (Service.VerifySession) and records the outcome per segment. A segment
-- keeps when its manifest was accepted (accepted_at, never changed); its
-- last verification is verified_at, state ('verified' when the bytes,
-- the signature and the chain links held, 'broken' otherwise) and
-- verify_detail (the broken link, in Chinese and English; empty when
-- verified). Only these three columns are ever updated.

ALTER TABLE archive.segments ADD COLUMN accepted_at timestamptz;
UPDATE archive.segments SET accepted_at = verified_at;
ALTER TABLE archive.segments ALTER COLUMN accepted_at SET NOT NULL;

ALTER TABLE archive.segments ADD COLUMN verify_detail text NOT NULL DEFAULT '';

ALTER TABLE archive.segments DROP CONSTRAINT segments_state_check;
ALTER TABLE archive.segments ADD CONSTRAINT segments_state_check CHECK (state IN ('verified', 'broken'));

CREATE INDEX segments_broken ON archive.segments (recorder_id, seq) WHERE state = 'broken';
