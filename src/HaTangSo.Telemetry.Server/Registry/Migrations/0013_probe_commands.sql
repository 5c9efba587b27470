-- Issue 15.2: commands to probes (measure now). The id is the server's (UUID v7); the probe acknowledges on its acks
-- topic (delivered, refused, expired, failed) and its results carry the id: the command is done when a result for each
-- link it asked for is stored. A result may name only a command of its own probe.
CREATE TABLE probe_commands (
    id uuid PRIMARY KEY,
    probe_id text NOT NULL REFERENCES probes (id) ON DELETE CASCADE,
    kind text NOT NULL CHECK (kind IN ('measure')),
    link text,
    expected_results integer NOT NULL CHECK (expected_results >= 1),
    state text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'delivered', 'done', 'expired', 'refused', 'failed')),
    reason text,
    result_ids text[] NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    published_at timestamptz,
    delivered_at timestamptz,
    finished_at timestamptz
);
CREATE INDEX probe_commands_unpublished_idx ON probe_commands (created_at) WHERE published_at IS NULL;
CREATE INDEX probe_commands_probe_idx ON probe_commands (probe_id, created_at);
