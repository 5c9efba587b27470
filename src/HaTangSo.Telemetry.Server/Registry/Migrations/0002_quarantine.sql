-- Messages the server refused, kept with their reason; nothing is dropped silently.
CREATE TABLE quarantine (
    id bigserial PRIMARY KEY,
    received_at timestamptz NOT NULL,
    last_received_at timestamptz NOT NULL,
    occurrences integer NOT NULL DEFAULT 1,
    topic text NOT NULL,
    probe_id text,
    result_id text,
    reason text NOT NULL,
    payload bytea NOT NULL,
    payload_sha256 bytea NOT NULL,
    -- A redelivered message (after a crash before the PUBACK) counts again instead of adding a row.
    UNIQUE (topic, payload_sha256)
);
CREATE INDEX quarantine_received_idx ON quarantine (received_at);
CREATE INDEX quarantine_probe_idx ON quarantine (probe_id, received_at);

-- The last status each probe published (retained on the broker; the last will says offline).
CREATE TABLE probe_status (
    probe_id text PRIMARY KEY,
    state text NOT NULL,
    reported_at timestamptz,
    received_at timestamptz NOT NULL,
    agent_version text,
    queue_depth bigint,
    queue_evicted bigint,
    last_result_at timestamptz,
    last_error text
);
