-- Region catalogue (General Statistics Office codes) and the probe registry.
CREATE TABLE provinces (
    code text PRIMARY KEY,
    name text NOT NULL,
    kind text,
    latitude double precision,
    longitude double precision
);

CREATE TABLE districts (
    code text PRIMARY KEY,
    province_code text NOT NULL REFERENCES provinces (code),
    name text NOT NULL,
    kind text,
    latitude double precision,
    longitude double precision
);
CREATE INDEX districts_province_idx ON districts (province_code);

CREATE TABLE communes (
    code text PRIMARY KEY,
    district_code text NOT NULL REFERENCES districts (code),
    name text NOT NULL,
    kind text
);
CREATE INDEX communes_district_idx ON communes (district_code);

CREATE TABLE probes (
    id text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{2,63}$'),
    commune_code text NOT NULL REFERENCES communes (code),
    description text,
    schedule_interval interval NOT NULL DEFAULT interval '15 minutes',
    enabled boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX probes_commune_idx ON probes (commune_code);

CREATE TABLE probe_links (
    probe_id text NOT NULL REFERENCES probes (id) ON DELETE CASCADE,
    name text NOT NULL,
    access text NOT NULL CHECK (access IN ('fixed', 'mobile')),
    operator text NOT NULL,
    technology text NOT NULL,
    advertised_download_mbps double precision CHECK (advertised_download_mbps > 0),
    advertised_upload_mbps double precision CHECK (advertised_upload_mbps > 0),
    PRIMARY KEY (probe_id, name)
);

-- Every server instance keeps the registry in memory; a change wakes them all (LISTEN hts_registry_changed).
CREATE FUNCTION hts_notify_registry_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('hts_registry_changed', TG_TABLE_NAME);
    RETURN NULL;
END
$$;

CREATE TRIGGER probes_changed AFTER INSERT OR UPDATE OR DELETE ON probes
    FOR EACH STATEMENT EXECUTE FUNCTION hts_notify_registry_changed();
CREATE TRIGGER probe_links_changed AFTER INSERT OR UPDATE OR DELETE ON probe_links
    FOR EACH STATEMENT EXECUTE FUNCTION hts_notify_registry_changed();
CREATE TRIGGER communes_changed AFTER INSERT OR UPDATE OR DELETE ON communes
    FOR EACH STATEMENT EXECUTE FUNCTION hts_notify_registry_changed();
