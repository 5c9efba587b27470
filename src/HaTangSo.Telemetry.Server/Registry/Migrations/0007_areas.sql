-- The region catalogue becomes versioned ('pre-2025-07': province > district > commune; '2025-07': province >
-- commune, since Resolution 202/2025/QH15), with the crosswalk between versions; compliance, alerts and targets move
-- from districts to areas (named sets of current communes). What was in provinces/districts/communes is kept as the
-- 'pre-2025-07' version; probes, targets and history keep their old codes until hts_place_all() (migration 0008),
-- run after each catalogue load, translates them through the crosswalk.
CREATE TABLE catalogue_versions (
    version text PRIMARY KEY,
    levels smallint NOT NULL CHECK (levels IN (2, 3)),
    is_current boolean NOT NULL DEFAULT false,
    source text NOT NULL,
    sha256 text NOT NULL,               -- of the file it was loaded from; '' = reload it
    loaded_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX catalogue_versions_one_current_idx ON catalogue_versions (is_current) WHERE is_current;

-- Every unit of every version. For a two-level version, district_code of a commune is its principal former district
-- (the district of the old commune whose code it kept), derived on load; former_province_code likewise.
CREATE TABLE region_units (
    version text NOT NULL REFERENCES catalogue_versions (version),
    level text NOT NULL CHECK (level IN ('province', 'district', 'commune')),
    code text NOT NULL,
    province_code text NOT NULL,
    district_code text,
    name text NOT NULL,
    kind text,
    latitude double precision,
    longitude double precision,
    PRIMARY KEY (version, level, code)
);
CREATE INDEX region_units_province_idx ON region_units (version, province_code, level);

-- One row per source row (the source's row count is kept); only 'exact' and 'by-name' rows translate codes.
CREATE TABLE commune_crosswalk (
    from_version text NOT NULL,
    to_version text NOT NULL,
    source_row integer NOT NULL,
    old_code text,
    old_name text,
    old_district_code text,
    old_district_name text,
    old_province_code text,
    old_province_name text,
    new_code text NOT NULL,
    new_name text,
    new_province_code text,
    status text NOT NULL CHECK (status IN ('exact', 'by-name', 'new-unit', 'unresolved', 'invalid')),
    PRIMARY KEY (from_version, to_version, source_row)
);
CREATE INDEX commune_crosswalk_old_idx ON commune_crosswalk (old_code, to_version) WHERE status IN ('exact', 'by-name');
CREATE INDEX commune_crosswalk_new_idx ON commune_crosswalk (new_code, to_version) WHERE status IN ('exact', 'by-name');

-- Areas: built-in kinds derived from the current catalogue on every load, and operators' own ('custom').
CREATE TABLE areas (
    kind text NOT NULL CHECK (kind IN ('province', 'former-province', 'former-district', 'commune', 'custom')),
    code text NOT NULL,
    province_code text NOT NULL,
    name text NOT NULL,
    description text,
    latitude double precision,
    longitude double precision,
    catalogue_version text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kind, code)
);
CREATE INDEX areas_province_idx ON areas (province_code, kind);

CREATE TABLE area_members (
    area_kind text NOT NULL,
    area_code text NOT NULL,
    commune_code text NOT NULL,
    PRIMARY KEY (area_kind, area_code, commune_code),
    FOREIGN KEY (area_kind, area_code) REFERENCES areas (kind, code) ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX area_members_commune_idx ON area_members (commune_code);

-- The legacy catalogue becomes version 'pre-2025-07' (current until the first load of a newer one).
INSERT INTO catalogue_versions (version, levels, is_current, source, sha256)
VALUES ('pre-2025-07', 3, true, 'the registry before migration 0007', '');
INSERT INTO region_units (version, level, code, province_code, name, kind, latitude, longitude)
SELECT 'pre-2025-07', 'province', code, code, name, kind, latitude, longitude FROM provinces;
INSERT INTO region_units (version, level, code, province_code, name, kind, latitude, longitude)
SELECT 'pre-2025-07', 'district', code, province_code, name, kind, latitude, longitude FROM districts;
INSERT INTO region_units (version, level, code, province_code, district_code, name, kind)
SELECT 'pre-2025-07', 'commune', c.code, d.province_code, c.district_code, c.name, c.kind FROM communes c JOIN districts d ON d.code = c.district_code;

-- Probes: where they sit, in which catalogue version, and how they got there.
ALTER TABLE probes DROP CONSTRAINT probes_commune_code_fkey;
ALTER TABLE probes ADD COLUMN catalogue_version text NOT NULL DEFAULT 'pre-2025-07';
ALTER TABLE probes ADD COLUMN former_commune_code text;   -- the pre-2025 commune it was registered in, when known
ALTER TABLE probes ADD COLUMN placement text NOT NULL DEFAULT 'registered'
    CHECK (placement IN ('registered', 'translated', 'ambiguous', 'unplaced'));
ALTER TABLE probes ALTER COLUMN catalogue_version DROP DEFAULT;
UPDATE probes SET former_commune_code = commune_code;
-- A probe inserted without a version (an operator's script, another tool) is in the current catalogue.
CREATE FUNCTION hts_probe_catalogue_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.catalogue_version IS NULL THEN
        NEW.catalogue_version := (SELECT version FROM catalogue_versions WHERE is_current);
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER probes_catalogue_version BEFORE INSERT ON probes FOR EACH ROW EXECUTE FUNCTION hts_probe_catalogue_version();

-- Targets: scope is an area (kind and code); provinceCode is the current province the target belongs to.
ALTER TABLE targets DROP CONSTRAINT targets_province_code_fkey;
ALTER TABLE targets DROP CONSTRAINT targets_district_code_fkey;
ALTER TABLE targets ADD COLUMN area_kind text;
ALTER TABLE targets ADD COLUMN area_code text;
ALTER TABLE targets ADD COLUMN catalogue_version text;
-- Plans written before the reform are bound to the territory they were written for.
UPDATE targets SET area_kind = CASE WHEN district_code IS NULL THEN 'former-province' ELSE 'former-district' END,
                   area_code = COALESCE(district_code, province_code), catalogue_version = 'pre-2025-07';
ALTER TABLE targets ALTER COLUMN area_kind SET NOT NULL;
ALTER TABLE targets ALTER COLUMN area_code SET NOT NULL;

-- Compliance history: one row per area (kind, code) instead of per district.
ALTER TABLE compliance_evaluations ADD COLUMN area_kind text;
ALTER TABLE compliance_evaluations ADD COLUMN area_code text;
ALTER TABLE compliance_evaluations ADD COLUMN area_name text;
UPDATE compliance_evaluations SET area_kind = 'former-district', area_code = district_code;
ALTER TABLE compliance_evaluations ALTER COLUMN area_kind SET NOT NULL;
ALTER TABLE compliance_evaluations ALTER COLUMN area_code SET NOT NULL;
ALTER TABLE compliance_evaluations ALTER COLUMN district_code DROP NOT NULL;
DROP INDEX compliance_evaluations_once_idx;
DROP INDEX compliance_evaluations_district_idx;
CREATE UNIQUE INDEX compliance_evaluations_once_idx
    ON compliance_evaluations (window_kind, evaluated_at, area_kind, area_code, access, technology);
CREATE INDEX compliance_evaluations_area_idx ON compliance_evaluations (province_code, window_kind, area_kind, evaluated_at DESC);

-- Alerts name the area they are about (district_below keeps meaning a former district).
ALTER TABLE alerts ADD COLUMN area_kind text;
ALTER TABLE alerts ADD COLUMN area_code text;
ALTER TABLE alerts ADD COLUMN area_name text;
UPDATE alerts SET area_kind = 'former-district', area_code = district_code WHERE kind = 'district_below';

ALTER TABLE reports DROP CONSTRAINT reports_province_code_fkey;

-- The legacy tables give way to views of the current version (same names and the columns code, name, kind, ...).
DROP TABLE communes;
DROP TABLE districts;
DROP TABLE provinces;
CREATE VIEW provinces AS
    SELECT u.code, u.name, u.kind, u.latitude, u.longitude
    FROM region_units u JOIN catalogue_versions v ON v.version = u.version AND v.is_current
    WHERE u.level = 'province';
CREATE VIEW communes AS
    SELECT u.code, u.province_code, u.district_code, u.name, u.kind
    FROM region_units u JOIN catalogue_versions v ON v.version = u.version AND v.is_current
    WHERE u.level = 'commune';

-- Every instance's in-memory registry follows catalogue and area changes too.
CREATE TRIGGER catalogue_versions_changed AFTER INSERT OR UPDATE OR DELETE ON catalogue_versions
    FOR EACH STATEMENT EXECUTE FUNCTION hts_notify_registry_changed();
CREATE TRIGGER area_members_changed AFTER INSERT OR UPDATE OR DELETE ON area_members
    FOR EACH STATEMENT EXECUTE FUNCTION hts_notify_registry_changed();
