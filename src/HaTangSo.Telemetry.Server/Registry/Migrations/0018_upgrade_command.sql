-- Issue 15.5: a signed upgrade ordered over the command channel. An upgrade command names a release version (null: the
-- latest the release server offers); the probe acknowledges it done once the release is installed and it restarts into
-- the trial. Its status then reports the trial's outcome, kept here beside the agent version.
ALTER TABLE probe_commands DROP CONSTRAINT probe_commands_kind_check;
ALTER TABLE probe_commands ADD CONSTRAINT probe_commands_kind_check CHECK (kind IN ('measure', 'upgrade'));
ALTER TABLE probe_commands
    ADD COLUMN version text CHECK (version ~ '^[0-9A-Za-z.-]{5,64}$'),
    ADD COLUMN allow_downgrade boolean NOT NULL DEFAULT false;

ALTER TABLE probe_status
    ADD COLUMN upgrade_state text CHECK (upgrade_state IN ('trial', 'confirmed', 'rolled-back', 'rollback-failed')),
    ADD COLUMN upgrade_from text,
    ADD COLUMN upgrade_to text,
    ADD COLUMN upgrade_at timestamptz,
    ADD COLUMN upgrade_detail text;
