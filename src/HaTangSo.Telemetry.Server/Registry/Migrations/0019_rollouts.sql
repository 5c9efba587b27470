-- Issue 15.5, staged roll-outs: a signed release to a scope of the fleet in waves (a canary share first), each wave's
-- upgrade commands issued only when the previous wave succeeded, halted when a wave's failures pass the threshold.
-- The plan (which probe is in which wave) is fixed at creation; the outcome of each probe is read from its command
-- (probe_commands) and its status (probe_status), never copied here.
CREATE TABLE rollouts (
    id uuid PRIMARY KEY,
    version text NOT NULL CHECK (version ~ '^[0-9A-Za-z.-]{5,64}$'),
    architectures text[] NOT NULL,
    scope text NOT NULL,                     -- as the operator gave it, for people: 'fleet', or the lists
    wave_sizes integer[] NOT NULL CHECK (cardinality(wave_sizes) BETWEEN 1 AND 10),
    max_failed_probes integer CHECK (max_failed_probes >= 0),
    max_failed_percent double precision CHECK (max_failed_percent BETWEEN 0 AND 100),
    report_within_seconds integer NOT NULL CHECK (report_within_seconds > 0),
    state text NOT NULL CHECK (state IN ('running', 'paused', 'halted', 'completed', 'cancelled')),
    reason text,
    current_wave integer NOT NULL DEFAULT -1,  -- the last wave whose commands were issued; -1 before the first
    accepted_wave integer NOT NULL DEFAULT -1, -- a halted wave the operator resumed past (its failures accepted)
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    finished_at timestamptz
);
-- One roll-out at a time holds the fleet: two would order the same probe twice, and their waves would judge each other's probes.
CREATE UNIQUE INDEX rollouts_one_active_idx ON rollouts ((true)) WHERE state IN ('running', 'paused', 'halted');

CREATE TABLE rollout_probes (
    rollout_id uuid NOT NULL REFERENCES rollouts (id) ON DELETE CASCADE,
    probe_id text NOT NULL REFERENCES probes (id) ON DELETE CASCADE,
    wave integer NOT NULL CHECK (wave >= 0),
    position integer NOT NULL,               -- order within the roll-out (by the hash of the probe id)
    command_id uuid REFERENCES probe_commands (id) ON DELETE SET NULL,
    issued_at timestamptz,                   -- when its wave reached it (command or not)
    already_at text,                         -- the version it already ran when its wave reached it: done without a command
    PRIMARY KEY (rollout_id, probe_id)
);
CREATE INDEX rollout_probes_wave_idx ON rollout_probes (rollout_id, wave, position);
