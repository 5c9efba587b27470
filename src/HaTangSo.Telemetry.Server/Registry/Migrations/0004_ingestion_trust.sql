-- Issue 11 (hostile probes): registered speed-test servers, the ids of stored results, a typed and deduplicated quarantine.

-- The speed-test servers a result may name as "server" (an allow-list: the InfluxDB tag can only be one of these).
CREATE TABLE speedtest_servers (
    id text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 128),
    base_url text NOT NULL CHECK (base_url ~ '^https?://[^[:space:]]+$'),
    capacity_mbps double precision NOT NULL CHECK (capacity_mbps > 0 AND capacity_mbps <= 100000),
    enabled boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER speedtest_servers_changed AFTER INSERT OR UPDATE OR DELETE ON speedtest_servers
    FOR EACH STATEMENT EXECUTE FUNCTION hts_notify_registry_changed();

-- Every stored result id with a fingerprint of its payload: a replay with other values is refused, a redelivery is
-- not. Probes make time-ordered ids (UUIDv7), so inserts land at the right edge of the index. Pruned by stored_at
-- (BRIN: rows arrive in that order) after Ingestion:MaxResultAge.
CREATE TABLE result_ids (
    result_id uuid PRIMARY KEY,
    fingerprint bigint NOT NULL,
    stored_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX result_ids_stored_idx ON result_ids USING brin (stored_at);

-- The quarantine: a typed reason kind, and one row per (probe, reason kind, payload) with a counter.
ALTER TABLE quarantine ALTER COLUMN occurrences TYPE bigint;
ALTER TABLE quarantine ADD COLUMN reason_kind text;
ALTER TABLE quarantine ADD COLUMN dedupe_key bytea;
-- Rows written before this migration carry only their text; classify them once, here (the code never parses text).
UPDATE quarantine SET dedupe_key = payload_sha256, reason_kind = CASE
    WHEN reason LIKE 'invalid JSON%' OR reason LIKE 'payload is JSON null%' THEN 'invalid_json'
    WHEN reason LIKE 'payload of %' THEN 'too_large'
    WHEN reason LIKE 'payload is not valid UTF-8%' THEN 'not_utf8'
    WHEN reason LIKE 'probe ''%'' is not in the registry' THEN 'unknown_probe'
    WHEN reason LIKE 'probe ''%'' is disabled%' THEN 'disabled_probe'
    WHEN reason LIKE 'rate limit:%' THEN 'rate_limit'
    WHEN reason LIKE 'status:%' THEN 'invalid_status'
    WHEN reason LIKE 'topic %' THEN 'topic'
    WHEN reason LIKE 'InfluxDB refused%' THEN 'influxdb_refused'
    WHEN reason LIKE 'startedAt %' THEN 'clock'
    ELSE 'invalid_field' END;
-- Rows the new key makes one: keep the first, with every occurrence.
WITH merged AS (
    SELECT min(id) AS keep, sum(occurrences) AS occurrences, max(last_received_at) AS last_received_at
    FROM quarantine GROUP BY probe_id, reason_kind, dedupe_key HAVING count(*) > 1
)
UPDATE quarantine q SET occurrences = m.occurrences, last_received_at = m.last_received_at FROM merged m WHERE q.id = m.keep;
DELETE FROM quarantine q USING quarantine k
WHERE q.probe_id IS NOT DISTINCT FROM k.probe_id AND q.reason_kind = k.reason_kind AND q.dedupe_key = k.dedupe_key AND q.id > k.id;
ALTER TABLE quarantine ALTER COLUMN reason_kind SET NOT NULL;
ALTER TABLE quarantine ALTER COLUMN dedupe_key SET NOT NULL;
ALTER TABLE quarantine DROP CONSTRAINT quarantine_topic_payload_sha256_key;
-- NULLS NOT DISTINCT (PostgreSQL 15): messages on topics that name no probe share rows too.
ALTER TABLE quarantine ADD CONSTRAINT quarantine_dedupe_key UNIQUE NULLS NOT DISTINCT (probe_id, reason_kind, dedupe_key);
-- The housekeeping job deletes by last_received_at (Quarantine:RetentionDays, Quarantine:MaxRows), the API lists by it
-- and the quarantine alert counts by it; the index on received_at served none of them any more (one index less to
-- maintain per refused message).
CREATE INDEX quarantine_last_received_idx ON quarantine (last_received_at);
DROP INDEX quarantine_received_idx;
