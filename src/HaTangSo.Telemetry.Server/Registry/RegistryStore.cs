using Npgsql;

namespace HaTangSo.Telemetry.Server.Registry;

/// <summary>Reads and writes the probe registry in PostgreSQL.</summary>
internal sealed class RegistryStore(NpgsqlDataSource dataSource)
{
    // The schedule is the probe's effective measurement configuration (issue 15.1: the registry's one source), so the
    // rate limiter, the silence alert and the reports count with what the probe was told.
    // Province and former district come from the unit of the probe's catalogue version: the current one, or (a probe the
    // crosswalk could not place) the old one, so its results are still written under its old codes.
    private const string LocationQuery = """
        SELECT p.id, COALESCE(c.province_code, ''), COALESCE(c.district_code, ''), p.commune_code, p.enabled,
               make_interval(mins => COALESCE((pc.overrides ->> 'scheduleMinutes')::int, (d.document ->> 'scheduleMinutes')::int, 15)), p.description,
               l.name, l.access, l.operator, l.technology, l.advertised_download_mbps, l.advertised_upload_mbps
        FROM probes p
        CROSS JOIN probe_config_default d
        LEFT JOIN probe_config pc ON pc.probe_id = p.id
        LEFT JOIN region_units c ON c.version = p.catalogue_version AND c.level = 'commune' AND c.code = p.commune_code
        LEFT JOIN probe_links l ON l.probe_id = p.id
        """;

    /// <summary>
    /// Registers a probe or replaces its registration (commune, links, schedule) in one transaction. A pre-2025 commune
    /// code is translated through the crosswalk (<see cref="CommunePlacement"/> says so).
    /// </summary>
    /// <exception cref="RegistryException">The commune is unknown, or an old one split between several new ones.</exception>
    public async Task<CommunePlacement> UpsertProbeAsync(ProbeRegistration probe, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var placement = await CommunePlacement.ResolveAsync(connection, transaction, probe.CommuneCode, cancellationToken);

        await using var batch = new NpgsqlBatch(connection, transaction);
        batch.BatchCommands.Add(Command(
            """
            INSERT INTO probes (id, commune_code, description, enabled, catalogue_version, former_commune_code, placement)
            VALUES ($1, $2, $3, $4, (SELECT version FROM catalogue_versions WHERE is_current), $5, $6)
            ON CONFLICT (id) DO UPDATE SET commune_code = excluded.commune_code, description = excluded.description,
                enabled = excluded.enabled, catalogue_version = excluded.catalogue_version,
                former_commune_code = excluded.former_commune_code, placement = excluded.placement, updated_at = now()
            """,
            probe.Id, placement.CommuneCode, probe.Description, probe.Enabled, placement.FormerCommuneCode,
            placement.Translated ? "translated" : "registered"));
        batch.BatchCommands.Add(Command("INSERT INTO probe_config (probe_id) VALUES ($1) ON CONFLICT (probe_id) DO NOTHING", probe.Id));
        if (probe.ScheduleInterval is { } schedule)
        {
            // The registration's scheduleMinutes (kept for existing scripts) is the probe's schedule override: a new
            // configuration version only when it changes.
            batch.BatchCommands.Add(Command(
                """
                UPDATE probe_config SET overrides = jsonb_set(overrides, '{scheduleMinutes}', to_jsonb($2::int)), version = version + 1, updated_at = now()
                WHERE probe_id = $1 AND overrides -> 'scheduleMinutes' IS DISTINCT FROM to_jsonb($2::int)
                """,
                probe.Id, (int)schedule.TotalMinutes));
        }

        batch.BatchCommands.Add(Command("DELETE FROM probe_links WHERE probe_id = $1", probe.Id));
        foreach (var link in probe.Links)
        {
            batch.BatchCommands.Add(Command(
                "INSERT INTO probe_links (probe_id, name, access, operator, technology, advertised_download_mbps, advertised_upload_mbps) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                probe.Id, link.Name, link.Access, link.Operator, link.Technology, link.AdvertisedDownloadMbps, link.AdvertisedUploadMbps));
        }

        await batch.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return placement;
    }

    /// <summary>Enables or disables (revokes) a probe; false when there is no such probe.</summary>
    public async Task<bool> SetEnabledAsync(string probeId, bool enabled, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("UPDATE probes SET enabled = $2, updated_at = now() WHERE id = $1");
        command.Parameters.Add(new() { Value = probeId });
        command.Parameters.Add(new() { Value = enabled });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>How each probe was placed in the current catalogue (optionally only those placed as <paramref name="placement"/>).</summary>
    public async Task<List<ProbePlacementRecord>> PlacementsAsync(string? placement, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT p.id, p.commune_code, c.name, p.catalogue_version, p.former_commune_code, p.placement
            FROM probes p LEFT JOIN region_units c ON c.version = p.catalogue_version AND c.level = 'commune' AND c.code = p.commune_code
            WHERE $1::text IS NULL OR p.placement = $1 ORDER BY p.id
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)placement ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        var records = new List<ProbePlacementRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            records.Add(new ProbePlacementRecord(reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetString(5)));
        }

        return records;
    }

    /// <summary>Every probe with its place in the hierarchy.</summary>
    public async Task<IReadOnlyList<ProbeLocation>> LoadLocationsAsync(CancellationToken cancellationToken)
    {
        var (locations, _) = await LoadAsync(null, cancellationToken);
        return locations;
    }

    /// <summary>One probe's registration, or null.</summary>
    public async Task<(ProbeLocation Location, string? Description)?> FindAsync(string probeId, CancellationToken cancellationToken)
    {
        var (locations, descriptions) = await LoadAsync(probeId, cancellationToken);
        return locations.Count == 0 ? null : (locations[0], descriptions[probeId]);
    }

    private async Task<(List<ProbeLocation>, Dictionary<string, string?>)> LoadAsync(string? probeId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            LocationQuery + (probeId is null ? string.Empty : " WHERE p.id = $1") + " ORDER BY p.id, l.name");
        if (probeId is not null)
        {
            command.Parameters.Add(new() { Value = probeId });
        }

        var locations = new List<ProbeLocation>();
        var descriptions = new Dictionary<string, string?>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var id = reader.GetString(0);
            if (locations.Count == 0 || locations[^1].ProbeId != id)
            {
                locations.Add(new ProbeLocation(id, reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetBoolean(4), reader.GetFieldValue<TimeSpan>(5), []));
                descriptions[id] = reader.IsDBNull(6) ? null : reader.GetString(6);
            }

            if (!reader.IsDBNull(7))
            {
                var link = new ProbeLink(
                    reader.GetString(7), reader.GetString(8), reader.GetString(9), reader.GetString(10),
                    reader.IsDBNull(11) ? null : reader.GetDouble(11),
                    reader.IsDBNull(12) ? null : reader.GetDouble(12));
                locations[^1] = locations[^1] with { Links = [.. locations[^1].Links, link] };
            }
        }

        return (locations, descriptions);
    }

    private static NpgsqlBatchCommand Command(string sql, params object?[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value });
        }

        return command;
    }
}

/// <summary>How a probe was placed in the current catalogue.</summary>
/// <param name="ProbeId">The probe.</param>
/// <param name="CommuneCode">Its commune (of <paramref name="CatalogueVersion"/>).</param>
/// <param name="CommuneName">The commune's name.</param>
/// <param name="CatalogueVersion">The catalogue version of the code: the current one, or an older one for an unplaced probe.</param>
/// <param name="FormerCommuneCode">The pre-reform commune it was registered in, when known.</param>
/// <param name="Placement"><c>registered</c>, <c>translated</c>, <c>ambiguous</c> (a split commune: check it) or <c>unplaced</c>.</param>
public sealed record ProbePlacementRecord(string ProbeId, string CommuneCode, string? CommuneName, string CatalogueVersion, string? FormerCommuneCode, string Placement);

/// <summary>A registry change that cannot be made (unknown commune, invalid link).</summary>
/// <param name="message">Why, for the API's problem document.</param>
/// <param name="candidates">The communes the operator may pick instead (an old commune split between several new ones).</param>
public sealed class RegistryException(string message, IReadOnlyList<CommuneRef>? candidates = null) : Exception(message)
{
    /// <summary>The communes to choose from, or empty.</summary>
    public IReadOnlyList<CommuneRef> Candidates { get; } = candidates ?? [];
}
