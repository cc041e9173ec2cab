-- Settings an administrator changes at run time, one JSON value per name.
-- "recusal" holds the Rules (rules.go) new draws apply; while it is absent
-- the rules of the configuration file apply. Each draw still stores the
-- rules it was made under (draws.rules), so a later change never alters a
-- draw already made.
CREATE TABLE expertpool.settings (
    name       text PRIMARY KEY CHECK (name ~ '^[a-z_]{1,32}$'),
    value      jsonb NOT NULL,
    updated_by text NOT NULL,
    updated_at timestamptz NOT NULL
);
