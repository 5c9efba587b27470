-- Issue 14.5: the liveness job's answer for every registered probe (RIPE Atlas-style states), kept so that a state
-- without a timestamp of its own (online, disabled) keeps its "since" from one run to the next. One row per probe,
-- rewritten every run; the history is in InfluxDB (probe_liveness).
CREATE TABLE probe_liveness (
    probe_id text PRIMARY KEY REFERENCES probes (id) ON DELETE CASCADE,
    state text NOT NULL CHECK (state IN ('never_seen', 'online', 'stale', 'offline', 'disabled')),
    since timestamptz NOT NULL,
    checked_at timestamptz NOT NULL
);
