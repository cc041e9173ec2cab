-- Scoring: a session's score sheet (bidders, criteria with their bounds)
-- and the evaluators' scoring records. Records are append-only: a
-- trigger refuses UPDATE, DELETE and TRUNCATE whatever the client. A
-- correction is a new record pointing at the one it corrects, with the
-- same session, evaluator, bidder and criterion (composite foreign key);
-- each record is corrected at most once and each evaluator scores a
-- bidder on a criterion once, so every chain is a straight line. The
-- insert trigger checks the criterion's bounds and the session's phase.

CREATE TABLE room.bidders (
    session_id bigint NOT NULL REFERENCES room.sessions (id),
    code       text NOT NULL CHECK (code ~ '^[A-Za-z0-9_.-]{1,32}$'),
    name       text NOT NULL CHECK (name <> '' AND length(name) <= 200),
    PRIMARY KEY (session_id, code)
);

CREATE TABLE room.criteria (
    session_id bigint NOT NULL REFERENCES room.sessions (id),
    code       text NOT NULL CHECK (code ~ '^[A-Za-z0-9_.-]{1,32}$'),
    name       text NOT NULL CHECK (name <> '' AND length(name) <= 200),
    min_value  numeric(7, 2) NOT NULL,
    max_value  numeric(7, 2) NOT NULL,
    PRIMARY KEY (session_id, code),
    CHECK (max_value > min_value)
);

CREATE TABLE room.scores (
    id                bigserial PRIMARY KEY,
    session_id        bigint NOT NULL REFERENCES room.sessions (id),
    -- evaluator_user_id: the evaluator's account (auth.users, another
    -- package's schema: no foreign key); actor is its audit name.
    evaluator_user_id bigint NOT NULL CHECK (evaluator_user_id > 0),
    actor             text NOT NULL CHECK (actor <> ''),
    -- member_id: the committee member behind the account, when known.
    member_id         bigint CHECK (member_id > 0),
    bidder            text NOT NULL,
    criterion         text NOT NULL,
    value             numeric(7, 2) NOT NULL,
    comment           text NOT NULL DEFAULT '' CHECK (length(comment) <= 500),
    corrects          bigint,
    recorded_at       timestamptz NOT NULL,
    FOREIGN KEY (session_id, bidder) REFERENCES room.bidders (session_id, code),
    FOREIGN KEY (session_id, criterion) REFERENCES room.criteria (session_id, code),
    UNIQUE (id, session_id, evaluator_user_id, bidder, criterion),
    CONSTRAINT scores_corrects_same FOREIGN KEY (corrects, session_id, evaluator_user_id, bidder, criterion)
        REFERENCES room.scores (id, session_id, evaluator_user_id, bidder, criterion),
    CHECK (corrects IS NULL OR corrects < id),
    CHECK (corrects IS NULL OR comment <> '')
);
CREATE UNIQUE INDEX scores_corrected_once ON room.scores (corrects) WHERE corrects IS NOT NULL;
CREATE UNIQUE INDEX scores_scored_once ON room.scores (session_id, evaluator_user_id, bidder, criterion) WHERE corrects IS NULL;
CREATE INDEX scores_session_idx ON room.scores (session_id, id);

CREATE FUNCTION room.scores_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'room.scores is append-only: a correction is a new record'
        USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER scores_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON room.scores
    FOR EACH STATEMENT EXECUTE FUNCTION room.scores_append_only();

CREATE FUNCTION room.scores_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    lo numeric;
    hi numeric;
    ph text;
BEGIN
    SELECT phase INTO ph FROM room.sessions WHERE id = NEW.session_id;
    IF ph IS DISTINCT FROM 'evaluating' THEN
        RAISE EXCEPTION 'scores are recorded only while evaluating (phase %)', ph
            USING ERRCODE = 'check_violation', CONSTRAINT = 'scores_phase';
    END IF;
    SELECT min_value, max_value INTO lo, hi FROM room.criteria
        WHERE session_id = NEW.session_id AND code = NEW.criterion;
    IF lo IS NOT NULL AND (NEW.value < lo OR NEW.value > hi) THEN
        RAISE EXCEPTION 'score % outside [%, %]', NEW.value, lo, hi
            USING ERRCODE = 'check_violation', CONSTRAINT = 'scores_value_bounds';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER scores_check BEFORE INSERT ON room.scores
    FOR EACH ROW EXECUTE FUNCTION room.scores_check();

-- The sheet a score was given on never changes under it: bidders and
-- criteria are replaced (deleted and inserted) before evaluation starts,
-- never updated, and the scores' foreign keys keep scored ones.
CREATE FUNCTION room.sheet_no_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are never updated', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER bidders_no_update BEFORE UPDATE ON room.bidders
    FOR EACH STATEMENT EXECUTE FUNCTION room.sheet_no_update();
CREATE TRIGGER criteria_no_update BEFORE UPDATE ON room.criteria
    FOR EACH STATEMENT EXECUTE FUNCTION room.sheet_no_update();
