-- Draw index: who can be drawn for a specialty in a region, as one
-- narrow table whose primary key answers "experts of specialty S in
-- regions [lo, hi]" with an index-only range scan. A quota of 10,000
-- candidates out of 100,000 experts is read in a few milliseconds instead
-- of joining experts and expert_specialties. Statement-level triggers
-- (with transition tables, so bulk COPY costs one statement) keep it equal
-- to expert_specialties joined with experts.region.
CREATE TABLE expertpool.draw_index (
    specialty_code text NOT NULL,
    region         text NOT NULL,
    expert_id      bigint NOT NULL REFERENCES expertpool.experts (id) ON DELETE CASCADE,
    PRIMARY KEY (specialty_code, region, expert_id)
);
CREATE INDEX draw_index_expert_idx ON expertpool.draw_index (expert_id);

INSERT INTO expertpool.draw_index (specialty_code, region, expert_id)
SELECT es.specialty_code, e.region, es.expert_id
FROM expertpool.expert_specialties es JOIN expertpool.experts e ON e.id = es.expert_id;

CREATE FUNCTION expertpool.draw_index_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO expertpool.draw_index (specialty_code, region, expert_id)
    SELECT n.specialty_code, e.region, n.expert_id
    FROM draw_index_new n JOIN expertpool.experts e ON e.id = n.expert_id
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;

CREATE FUNCTION expertpool.draw_index_remove() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM expertpool.draw_index d USING draw_index_old o
    WHERE d.expert_id = o.expert_id AND d.specialty_code = o.specialty_code;
    RETURN NULL;
END $$;

CREATE FUNCTION expertpool.draw_index_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM expertpool.draw_index d USING draw_index_old o
    WHERE d.expert_id = o.expert_id AND d.specialty_code = o.specialty_code;
    INSERT INTO expertpool.draw_index (specialty_code, region, expert_id)
    SELECT n.specialty_code, e.region, n.expert_id
    FROM draw_index_new n JOIN expertpool.experts e ON e.id = n.expert_id
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;

CREATE TRIGGER draw_index_add AFTER INSERT ON expertpool.expert_specialties
    REFERENCING NEW TABLE AS draw_index_new
    FOR EACH STATEMENT EXECUTE FUNCTION expertpool.draw_index_add();
CREATE TRIGGER draw_index_remove AFTER DELETE ON expertpool.expert_specialties
    REFERENCING OLD TABLE AS draw_index_old
    FOR EACH STATEMENT EXECUTE FUNCTION expertpool.draw_index_remove();
CREATE TRIGGER draw_index_change AFTER UPDATE ON expertpool.expert_specialties
    REFERENCING OLD TABLE AS draw_index_old NEW TABLE AS draw_index_new
    FOR EACH STATEMENT EXECUTE FUNCTION expertpool.draw_index_change();

CREATE FUNCTION expertpool.draw_index_region() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM draw_index_new n JOIN draw_index_old o ON o.id = n.id WHERE o.region <> n.region) THEN
        UPDATE expertpool.draw_index d SET region = n.region
        FROM draw_index_new n JOIN draw_index_old o ON o.id = n.id
        WHERE o.region <> n.region AND d.expert_id = n.id;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER draw_index_region AFTER UPDATE ON expertpool.experts
    REFERENCING OLD TABLE AS draw_index_old NEW TABLE AS draw_index_new
    FOR EACH STATEMENT EXECUTE FUNCTION expertpool.draw_index_region();

-- The few experts who are not active, and who is unavailable on a day,
-- are read as small sets once per draw.
CREATE INDEX experts_not_active_idx ON expertpool.experts (id) INCLUDE (status, suspended_until)
    WHERE status <> 'active';
CREATE INDEX expert_unavailable_day_idx ON expertpool.expert_unavailable (day, expert_id);
CREATE INDEX expert_relatives_pairs_idx ON expertpool.expert_relatives (expert_id, relative_expert_id)
    WHERE relative_expert_id IS NOT NULL;

-- Candidate lists are large (tens of thousands of ids for a big pool);
-- lz4 compresses them about as well as the default and several times
-- faster. Servers built without lz4 keep the default.
DO $$
BEGIN
    ALTER TABLE expertpool.rounds ALTER COLUMN candidates SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
    RAISE NOTICE 'lz4 not available; candidate lists use the default compression';
END $$;

-- draw_index_version counts changes to draw_index, so a node may keep the
-- experts of a specialty and region in memory and reuse them until the
-- version moves. Only statements that change rows bump it.
CREATE TABLE expertpool.draw_index_version (
    one     boolean PRIMARY KEY DEFAULT true CHECK (one),
    version bigint NOT NULL
);
INSERT INTO expertpool.draw_index_version (version) VALUES (1);

CREATE FUNCTION expertpool.draw_index_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM draw_index_changed) THEN
        UPDATE expertpool.draw_index_version SET version = version + 1;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER draw_index_bump_insert AFTER INSERT ON expertpool.draw_index
    REFERENCING NEW TABLE AS draw_index_changed
    FOR EACH STATEMENT EXECUTE FUNCTION expertpool.draw_index_bump();
CREATE TRIGGER draw_index_bump_update AFTER UPDATE ON expertpool.draw_index
    REFERENCING NEW TABLE AS draw_index_changed
    FOR EACH STATEMENT EXECUTE FUNCTION expertpool.draw_index_bump();
CREATE TRIGGER draw_index_bump_delete AFTER DELETE ON expertpool.draw_index
    REFERENCING OLD TABLE AS draw_index_changed
    FOR EACH STATEMENT EXECUTE FUNCTION expertpool.draw_index_bump();
