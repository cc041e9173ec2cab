-- Expert pool: specialties, organisations, experts, projects, draws,
-- members, bookings. Sealed data (who was drawn) is stored only as
-- AES-GCM ciphertext (expert_sealed) plus a keyed blind index (expert_key,
-- HMAC-SHA256 of the expert id under a key derived from the master key),
-- so a dump of this database does not reveal a committee.
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE EXTENSION IF NOT EXISTS pgcrypto;

CREATE TABLE expertpool.specialties (
    code        text PRIMARY KEY CHECK (code ~ '^[A-Z][0-9]{2}([0-9]{2})*$'),
    parent_code text REFERENCES expertpool.specialties (code),
    name        text NOT NULL CHECK (name <> ''),
    -- field: technical or economic expert, for the committee rule
    field       text NOT NULL CHECK (field IN ('technical', 'economic')),
    CHECK ((parent_code IS NULL) = (length(code) = 3))
);

CREATE TABLE expertpool.organisations (
    code        text PRIMARY KEY CHECK (code ~ '^[0-9A-Z]{18}$'),
    name        text NOT NULL CHECK (name <> ''),
    parent_code text REFERENCES expertpool.organisations (code),
    -- principal: the legal representative, for the relatives rule
    principal   text NOT NULL DEFAULT ''
);

CREATE TABLE expertpool.experts (
    id               bigserial PRIMARY KEY,
    name             text NOT NULL CHECK (name <> ''),
    id_number_sealed bytea NOT NULL,
    id_number_index  bytea NOT NULL UNIQUE,
    id_number_masked text NOT NULL,
    mobile           text NOT NULL CHECK (mobile ~ '^1[3-9][0-9]{9}$'),
    region           text NOT NULL CHECK (region ~ '^[0-9]{6}$'),
    employer_code    text NOT NULL DEFAULT '' CHECK (employer_code = '' OR employer_code ~ '^[0-9A-Z]{18}$'),
    status           text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'blacklisted')),
    suspended_until  date,
    blacklist_reason text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (status <> 'suspended' OR suspended_until IS NOT NULL),
    CHECK (status <> 'blacklisted' OR blacklist_reason <> '')
);
CREATE INDEX experts_region_idx ON expertpool.experts (region);
CREATE INDEX experts_employer_idx ON expertpool.experts (employer_code);

CREATE TABLE expertpool.expert_specialties (
    expert_id      bigint NOT NULL REFERENCES expertpool.experts (id) ON DELETE CASCADE,
    specialty_code text NOT NULL REFERENCES expertpool.specialties (code),
    PRIMARY KEY (expert_id, specialty_code)
);
CREATE INDEX expert_specialties_code_idx ON expertpool.expert_specialties (specialty_code, expert_id);

-- Former employers; the current one is experts.employer_code.
CREATE TABLE expertpool.expert_employments (
    expert_id bigint NOT NULL REFERENCES expertpool.experts (id) ON DELETE CASCADE,
    org_code  text NOT NULL CHECK (org_code ~ '^[0-9A-Z]{18}$'),
    ended_on  date NOT NULL,
    PRIMARY KEY (expert_id, org_code, ended_on)
);
CREATE INDEX expert_employments_org_idx ON expertpool.expert_employments (org_code);

CREATE TABLE expertpool.expert_consultancies (
    expert_id  bigint NOT NULL REFERENCES expertpool.experts (id) ON DELETE CASCADE,
    org_code   text NOT NULL CHECK (org_code ~ '^[0-9A-Z]{18}$'),
    started_on date NOT NULL,
    ended_on   date,
    CHECK (ended_on IS NULL OR ended_on >= started_on),
    PRIMARY KEY (expert_id, org_code, started_on)
);
CREATE INDEX expert_consultancies_org_idx ON expertpool.expert_consultancies (org_code);

-- Declared relatives: another expert, or the principal of an organisation.
CREATE TABLE expertpool.expert_relatives (
    id                bigserial PRIMARY KEY,
    expert_id         bigint NOT NULL REFERENCES expertpool.experts (id) ON DELETE CASCADE,
    relative_expert_id bigint REFERENCES expertpool.experts (id) ON DELETE CASCADE,
    org_code          text CHECK (org_code ~ '^[0-9A-Z]{18}$'),
    relation          text NOT NULL DEFAULT '',
    CHECK ((relative_expert_id IS NULL) <> (org_code IS NULL)),
    CHECK (relative_expert_id IS DISTINCT FROM expert_id)
);
CREATE INDEX expert_relatives_expert_idx ON expertpool.expert_relatives (expert_id);
CREATE INDEX expert_relatives_relative_idx ON expertpool.expert_relatives (relative_expert_id);
CREATE INDEX expert_relatives_org_idx ON expertpool.expert_relatives (org_code);

CREATE TABLE expertpool.expert_unavailable (
    expert_id bigint NOT NULL REFERENCES expertpool.experts (id) ON DELETE CASCADE,
    day       date NOT NULL,
    PRIMARY KEY (expert_id, day)
);

CREATE TABLE expertpool.projects (
    id            bigserial PRIMARY KEY,
    code          text NOT NULL UNIQUE CHECK (code <> ''),
    name          text NOT NULL CHECK (name <> ''),
    tenderer_code text NOT NULL CHECK (tenderer_code ~ '^[0-9A-Z]{18}$'),
    category      text NOT NULL REFERENCES expertpool.specialties (code),
    region        text NOT NULL CHECK (region ~ '^[0-9]{6}$'),
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE expertpool.project_bidders (
    project_id bigint NOT NULL REFERENCES expertpool.projects (id) ON DELETE CASCADE,
    org_code   text NOT NULL CHECK (org_code ~ '^[0-9A-Z]{18}$'),
    name       text NOT NULL DEFAULT '',
    PRIMARY KEY (project_id, org_code)
);

-- A draw staffs one evaluation session (session_ref names it).
CREATE TABLE expertpool.draws (
    id              bigserial PRIMARY KEY,
    project_id      bigint NOT NULL REFERENCES expertpool.projects (id),
    session_ref     text NOT NULL CHECK (session_ref <> ''),
    starts_at       timestamptz NOT NULL,
    ends_at         timestamptz NOT NULL,
    signin_opens_at timestamptz NOT NULL,
    answer_minutes  int NOT NULL DEFAULT 30 CHECK (answer_minutes BETWEEN 1 AND 1440),
    rules           jsonb NOT NULL,
    state           text NOT NULL CHECK (state IN ('filled', 'short', 'failed', 'aborted', 'finished')),
    seed_commitment bytea NOT NULL,
    seed_sealed     bytea NOT NULL,
    seed_revealed   bytea,
    revealed_at     timestamptz,
    created_by      text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_at > starts_at),
    CHECK (signin_opens_at <= starts_at)
);
CREATE INDEX draws_session_idx ON expertpool.draws (session_ref);

CREATE TABLE expertpool.draw_venues (
    draw_id    bigint NOT NULL REFERENCES expertpool.draws (id) ON DELETE CASCADE,
    venue_code text NOT NULL CHECK (venue_code <> ''),
    name       text NOT NULL CHECK (name <> ''),
    address    text NOT NULL DEFAULT '',
    region     text NOT NULL CHECK (region ~ '^[0-9]{6}$'),
    is_main    boolean NOT NULL,
    PRIMARY KEY (draw_id, venue_code)
);
CREATE UNIQUE INDEX draw_venues_one_main ON expertpool.draw_venues (draw_id) WHERE is_main;

CREATE TABLE expertpool.quotas (
    id             bigserial PRIMARY KEY,
    draw_id        bigint NOT NULL,
    venue_code     text NOT NULL,
    specialty_code text NOT NULL REFERENCES expertpool.specialties (code),
    -- region_prefix: 2 digits = province, 4 = city, 6 = county; '' = anywhere
    region_prefix  text NOT NULL CHECK (region_prefix ~ '^([0-9]{2}|[0-9]{4}|[0-9]{6})?$'),
    count          int NOT NULL CHECK (count > 0),
    reserves       int NOT NULL DEFAULT 0 CHECK (reserves >= 0),
    FOREIGN KEY (draw_id, venue_code) REFERENCES expertpool.draw_venues (draw_id, venue_code) ON DELETE CASCADE
);
CREATE INDEX quotas_draw_idx ON expertpool.quotas (draw_id);

-- One round per choice made for a quota: round 0 is the initial draw,
-- later rounds are replacements. candidates is the sorted eligible list
-- the choice was made from; list_hash its committed hash.
CREATE TABLE expertpool.rounds (
    id         bigserial PRIMARY KEY,
    draw_id    bigint NOT NULL REFERENCES expertpool.draws (id) ON DELETE CASCADE,
    quota_id   bigint NOT NULL REFERENCES expertpool.quotas (id) ON DELETE CASCADE,
    round      int NOT NULL CHECK (round >= 0),
    candidates bigint[] NOT NULL,
    conflicts  bigint[] NOT NULL DEFAULT '{}',
    list_hash  bytea NOT NULL,
    wanted     int NOT NULL CHECK (wanted >= 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (quota_id, round)
);

CREATE TABLE expertpool.members (
    id             bigserial PRIMARY KEY,
    draw_id        bigint NOT NULL REFERENCES expertpool.draws (id) ON DELETE CASCADE,
    quota_id       bigint NOT NULL REFERENCES expertpool.quotas (id) ON DELETE CASCADE,
    round_id       bigint NOT NULL REFERENCES expertpool.rounds (id),
    position       int NOT NULL CHECK (position >= 0),
    reserve        boolean NOT NULL DEFAULT false,
    expert_sealed  bytea NOT NULL,
    expert_key     bytea NOT NULL,
    month          date NOT NULL,
    state          text NOT NULL CHECK (state IN ('reserve', 'notified', 'confirmed', 'declined', 'no_answer', 'recused', 'cancelled')),
    deadline       timestamptz,
    answered_at    timestamptz,
    answer_channel text NOT NULL DEFAULT '',
    decline_reason text NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (draw_id, expert_key),
    UNIQUE (round_id, position)
);
CREATE INDEX members_key_month_idx ON expertpool.members (expert_key, month);
CREATE INDEX members_deadline_idx ON expertpool.members (deadline) WHERE state = 'notified';

-- The database itself refuses to book one expert into two overlapping
-- sessions, whatever the application does.
CREATE TABLE expertpool.bookings (
    member_id  bigint PRIMARY KEY REFERENCES expertpool.members (id) ON DELETE CASCADE,
    expert_key bytea NOT NULL,
    during     tstzrange NOT NULL CHECK (NOT isempty(during)),
    EXCLUDE USING gist (expert_key WITH =, during WITH &&)
);
