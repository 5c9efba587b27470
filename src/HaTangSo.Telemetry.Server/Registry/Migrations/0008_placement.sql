-- What the catalogue loader runs, in its transaction, after it changed a version: derive the built-in areas of the
-- current version, then place everything still on an older version's codes (probes, targets, custom areas,
-- compliance and alert history) through the crosswalk. Both are idempotent: run twice, the second changes nothing.

-- The current communes a commune code of version from_version becomes, following the crosswalk version to version.
CREATE FUNCTION hts_translate_commune(old_code text, from_version text)
RETURNS TABLE (new_code text, exact boolean) LANGUAGE sql STABLE AS $$
    WITH RECURSIVE hop (code, version, exact, depth) AS (
        SELECT old_code, from_version, true, 0
        UNION
        SELECT x.new_code, x.to_version, hop.exact AND x.status = 'exact', hop.depth + 1
        FROM hop JOIN commune_crosswalk x ON x.old_code = hop.code AND x.from_version = hop.version
        WHERE x.status IN ('exact', 'by-name') AND hop.depth < 8
    )
    SELECT hop.code, bool_or(hop.exact)
    FROM hop JOIN catalogue_versions v ON v.version = hop.version AND v.is_current
    GROUP BY hop.code
$$;

CREATE FUNCTION hts_rebuild_areas() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    cur text;
    cur_levels smallint;
BEGIN
    SELECT version, levels INTO cur, cur_levels FROM catalogue_versions WHERE is_current;
    IF cur_levels = 2 THEN
        -- A two-level commune's principal former district: that of the old commune whose code it kept, else the
        -- district most of its old communes came from (ties: the lowest code).
        WITH votes AS (
            SELECT x.new_code, o.district_code, bool_or(x.old_code = x.new_code) AS kept, count(*) AS n
            FROM commune_crosswalk x
            JOIN region_units o ON o.version = x.from_version AND o.level = 'commune' AND o.code = x.old_code
            WHERE x.to_version = cur AND x.status IN ('exact', 'by-name') AND o.district_code IS NOT NULL
            GROUP BY x.new_code, o.district_code
        ), principal AS (
            SELECT DISTINCT ON (new_code) new_code, district_code FROM votes ORDER BY new_code, kept DESC, n DESC, district_code
        )
        UPDATE region_units c SET district_code = p.district_code
        FROM principal p
        WHERE c.version = cur AND c.level = 'commune' AND c.code = p.new_code AND c.district_code IS DISTINCT FROM p.district_code;
    END IF;

    DELETE FROM areas WHERE kind <> 'custom';
    -- A district is looked up in the newest version that has it (it may be several versions back).
    CREATE TEMP TABLE hts_district ON COMMIT DROP AS
        SELECT DISTINCT ON (u.code) u.code, u.province_code AS old_province, u.name, u.latitude, u.longitude, u.version
        FROM region_units u JOIN catalogue_versions v ON v.version = u.version
        WHERE u.level = 'district' ORDER BY u.code, v.loaded_at DESC;

    INSERT INTO areas (kind, code, province_code, name, latitude, longitude, catalogue_version)
    SELECT 'province', code, code, name, latitude, longitude, cur FROM region_units WHERE version = cur AND level = 'province';
    INSERT INTO areas (kind, code, province_code, name, latitude, longitude, catalogue_version)
    SELECT 'commune', code, province_code, name, latitude, longitude, cur FROM region_units WHERE version = cur AND level = 'commune';
    INSERT INTO areas (kind, code, province_code, name, latitude, longitude, catalogue_version)
    SELECT 'former-district', d.code, min(c.province_code), d.name, d.latitude, d.longitude, cur
    FROM region_units c JOIN hts_district d ON d.code = c.district_code
    WHERE c.version = cur AND c.level = 'commune' AND cur_levels = 2
    GROUP BY d.code, d.name, d.latitude, d.longitude;
    INSERT INTO areas (kind, code, province_code, name, latitude, longitude, catalogue_version)
    SELECT DISTINCT ON (d.old_province) 'former-province', d.old_province, c.province_code, p.name, p.latitude, p.longitude, cur
    FROM region_units c
    JOIN hts_district d ON d.code = c.district_code
    JOIN region_units p ON p.version = d.version AND p.level = 'province' AND p.code = d.old_province
    WHERE c.version = cur AND c.level = 'commune' AND cur_levels = 2
    ORDER BY d.old_province, c.province_code;

    INSERT INTO area_members (area_kind, area_code, commune_code)
    SELECT 'province', province_code, code FROM region_units WHERE version = cur AND level = 'commune';
    INSERT INTO area_members (area_kind, area_code, commune_code)
    SELECT 'commune', code, code FROM region_units WHERE version = cur AND level = 'commune';
    INSERT INTO area_members (area_kind, area_code, commune_code)
    SELECT 'former-district', c.district_code, c.code FROM region_units c
    WHERE c.version = cur AND c.level = 'commune' AND cur_levels = 2 AND c.district_code IS NOT NULL
      AND EXISTS (SELECT 1 FROM areas a WHERE a.kind = 'former-district' AND a.code = c.district_code);
    INSERT INTO area_members (area_kind, area_code, commune_code)
    SELECT 'former-province', d.old_province, c.code
    FROM region_units c JOIN hts_district d ON d.code = c.district_code
    WHERE c.version = cur AND c.level = 'commune' AND cur_levels = 2
      AND EXISTS (SELECT 1 FROM areas a WHERE a.kind = 'former-province' AND a.code = d.old_province);
    DROP TABLE hts_district;
END
$$;

-- Places what is not on the current version yet. Returns how many probes were translated, left ambiguous (an old
-- commune split between several new ones: the crosswalk's own coded row wins, the operator confirms) and unplaced.
CREATE FUNCTION hts_place_all(OUT translated integer, OUT ambiguous integer, OUT unplaced integer) LANGUAGE plpgsql AS $$
DECLARE
    cur text;
    probe record;
    candidates text[];
BEGIN
    SELECT version INTO cur FROM catalogue_versions WHERE is_current;
    translated := 0; ambiguous := 0; unplaced := 0;
    FOR probe IN SELECT id, commune_code, catalogue_version FROM probes WHERE catalogue_version <> cur FOR UPDATE LOOP
        SELECT array_agg(t.new_code ORDER BY t.exact DESC, t.new_code) INTO candidates
        FROM hts_translate_commune(probe.commune_code, probe.catalogue_version) t;
        IF candidates IS NULL THEN
            UPDATE probes SET placement = 'unplaced' WHERE id = probe.id AND placement <> 'unplaced';
            unplaced := unplaced + 1;
        ELSE
            UPDATE probes SET commune_code = candidates[1], catalogue_version = cur,
                placement = CASE WHEN cardinality(candidates) > 1 THEN 'ambiguous' ELSE 'translated' END, updated_at = now()
            WHERE id = probe.id;
            IF cardinality(candidates) > 1 THEN ambiguous := ambiguous + 1; ELSE translated := translated + 1; END IF;
        END IF;
    END LOOP;

    -- Custom areas keep their communes under the new codes (all candidates of a split commune).
    INSERT INTO area_members (area_kind, area_code, commune_code)
    SELECT m.area_kind, m.area_code, t.new_code
    FROM area_members m JOIN areas a ON a.kind = m.area_kind AND a.code = m.area_code AND a.kind = 'custom'
    CROSS JOIN LATERAL hts_translate_commune(m.commune_code, COALESCE(a.catalogue_version, cur)) t
    WHERE COALESCE(a.catalogue_version, cur) <> cur
    ON CONFLICT DO NOTHING;
    DELETE FROM area_members m USING areas a
    WHERE a.kind = m.area_kind AND a.code = m.area_code AND a.kind = 'custom' AND COALESCE(a.catalogue_version, cur) <> cur
      AND NOT EXISTS (SELECT 1 FROM communes c WHERE c.code = m.commune_code);
    UPDATE areas SET catalogue_version = cur WHERE kind = 'custom' AND catalogue_version IS DISTINCT FROM cur;

    -- Targets of an older version: a commune scope follows its commune; every scope's province is the current one.
    UPDATE targets t SET area_code = COALESCE(
        (SELECT x.new_code FROM hts_translate_commune(t.area_code, t.catalogue_version) x ORDER BY x.exact DESC, x.new_code LIMIT 1), t.area_code)
    WHERE t.catalogue_version <> cur AND t.area_kind = 'commune';
    UPDATE targets t SET province_code = a.province_code
    FROM areas a WHERE a.kind = t.area_kind AND a.code = t.area_code AND t.province_code <> a.province_code;
    UPDATE targets SET catalogue_version = cur WHERE catalogue_version IS DISTINCT FROM cur;

    -- History keeps its area (a former district is the same code before and after) and gets the current province.
    UPDATE compliance_evaluations e SET province_code = a.province_code
    FROM areas a WHERE a.kind = e.area_kind AND a.code = e.area_code AND e.province_code <> a.province_code;
    UPDATE alerts e SET province_code = a.province_code
    FROM areas a WHERE a.kind = e.area_kind AND a.code = e.area_code AND e.province_code <> a.province_code;
    UPDATE alerts e SET province_code = c.province_code, district_code = c.district_code
    FROM probes p JOIN communes c ON c.code = p.commune_code
    WHERE e.probe_id = p.id AND (e.province_code IS DISTINCT FROM c.province_code OR e.district_code IS DISTINCT FROM c.district_code);
END
$$;
