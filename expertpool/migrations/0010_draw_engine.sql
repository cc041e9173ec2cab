-- Draw engine. Each round records what became of its choice: "chosen"
-- (the chosen experts are stored as members), "unfilled" (some quota of
-- the draw could not be filled, nothing was stored) or "conflict" (a
-- chosen expert was booked by a concurrent draw meanwhile, nothing was
-- stored, another round followed). The verifier replays every round and
-- compares only "chosen" rounds with stored members.
ALTER TABLE expertpool.rounds
    ADD COLUMN outcome text NOT NULL DEFAULT 'chosen'
    CHECK (outcome IN ('chosen', 'unfilled', 'conflict'));

-- Eligibility asks "who is booked in an overlapping session" and "who was
-- drawn how often this month" without knowing the experts' blind keys.
CREATE INDEX bookings_during_idx ON expertpool.bookings USING gist (during);
CREATE INDEX members_month_key_idx ON expertpool.members (month, expert_key) WHERE state <> 'reserve';
