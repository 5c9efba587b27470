-- Issue 15.1: the registry is the one source of a probe's measurement configuration. A province-wide default (one row)
-- and per-probe overrides (only the fields that differ, so a change of the default reaches every probe that does not
-- override that field). A probe's version increases with every change of its effective configuration: its own
-- overrides or the default. The schedule moves here from probes.schedule_interval, so the rate limiter, the silence
-- alert and the probe all read the same value.
CREATE TABLE probe_config_default (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    version bigint NOT NULL CHECK (version >= 1),
    document jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- The defaults of probe.json before issue 15 (probes/README.md). No server yet: until an operator names the province's
-- speed-test server(s) nothing is published and probes keep the measurement keys of their local probe.json.
INSERT INTO probe_config_default (version, document) VALUES (1, jsonb_build_object(
    'scheduleMinutes', 15, 'randomizeOffset', true, 'servers', '[]'::jsonb, 'busyThresholdMbps', 1.0,
    'test', jsonb_build_object('streams', 4, 'durationSeconds', 10, 'warmupSeconds', 3, 'latencySamples', 20, 'udpPort', 9091, 'udpPackets', 200)));

CREATE TABLE probe_config (
    probe_id text PRIMARY KEY REFERENCES probes (id) ON DELETE CASCADE,
    version bigint NOT NULL DEFAULT 1 CHECK (version >= 1),
    overrides jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(overrides) = 'object'),
    -- What this server last put on the broker (retained): below version means a publication is due.
    published_version bigint NOT NULL DEFAULT 0,
    published_at timestamptz,
    updated_at timestamptz NOT NULL DEFAULT now()
);

INSERT INTO probe_config (probe_id, overrides)
SELECT id, CASE WHEN schedule_interval = interval '15 minutes' THEN '{}'::jsonb
                ELSE jsonb_build_object('scheduleMinutes', GREATEST(1, LEAST(1440, round(extract(epoch FROM schedule_interval) / 60)::int))) END
FROM probes;

ALTER TABLE probes DROP COLUMN schedule_interval;

-- The schedule is part of the registry that every instance holds in memory: a change wakes them all.
CREATE TRIGGER probe_config_changed AFTER INSERT OR UPDATE OF version OR DELETE ON probe_config
    FOR EACH STATEMENT EXECUTE FUNCTION hts_notify_registry_changed();
CREATE TRIGGER probe_config_default_changed AFTER UPDATE ON probe_config_default
    FOR EACH STATEMENT EXECUTE FUNCTION hts_notify_registry_changed();

-- What the probe reports having applied (its status message) and why it refused the last one.
ALTER TABLE probe_status ADD COLUMN config_version bigint, ADD COLUMN config_error text;
