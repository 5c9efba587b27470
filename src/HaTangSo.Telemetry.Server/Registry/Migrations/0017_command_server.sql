-- Issue 15.3: a measure-now command may name the speed-test server to measure against (a confirmation round asks the
-- probes of an area to measure against the off-net server). Null: the probe's primary.
ALTER TABLE probe_commands ADD COLUMN server_id text CHECK (server_id ~ '^[a-z0-9][a-z0-9._-]{0,63}$');
