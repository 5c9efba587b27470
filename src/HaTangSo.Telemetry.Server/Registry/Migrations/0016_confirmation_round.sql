-- Issue 15.3: a second, off-net measurement server, and a confirmation round against it before an area alert opens.

-- What a server's results are for. "primary" (the province's data-centre server): they count in every verdict.
-- "confirmation" (an off-net server, e.g. at the national exchange): they are stored and shown, never counted in a
-- verdict (so the operator that carries the path to one server is not favoured twice), and they confirm or contradict
-- an area's "below" before its alert opens. Existing servers stay primary.
ALTER TABLE speedtest_servers ADD COLUMN role text NOT NULL DEFAULT 'primary' CHECK (role IN ('primary', 'confirmation'));

-- One confirmation round per area alert that was about to open: requested when the streak reached
-- Alerts:ConsecutiveBelow, finished when results against the confirmation server arrived or the deadline passed, the
-- finding then written into the alert. History is kept (one row per round); at most one round is pending per scope.
CREATE TABLE alert_confirmations (
    id bigserial PRIMARY KEY,
    kind text NOT NULL,
    scope_key text NOT NULL,
    server_id text NOT NULL,
    state text NOT NULL CHECK (state IN ('pending', 'found', 'no_result', 'cancelled')),
    requested_at timestamptz NOT NULL,
    deadline timestamptz NOT NULL,
    commands integer NOT NULL DEFAULT 0,
    finished_at timestamptz,
    metric text,
    results integer,
    value double precision,
    threshold double precision,
    met boolean,
    alert_id bigint REFERENCES alerts (id) ON DELETE SET NULL,
    CHECK ((state = 'pending') = (finished_at IS NULL))
);
CREATE UNIQUE INDEX alert_confirmations_pending_idx ON alert_confirmations (kind, scope_key) WHERE state = 'pending';
CREATE INDEX alert_confirmations_requested_idx ON alert_confirmations (requested_at);
