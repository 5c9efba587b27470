using System.Security.Cryptography;
using System.Text.Json;
using HaTangSo.Telemetry.Contracts;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace HaTangSo.Telemetry.Server.Registry.Catalogue;

/// <summary>
/// Loads the versioned region catalogue into PostgreSQL: each version (with the crosswalk into it) whose files changed
/// since the last load is replaced whole; then, when anything changed, the current version's built-in areas are
/// derived again and everything on older codes is placed through the crosswalk (<c>hts_rebuild_areas</c>,
/// <c>hts_place_all</c>, migration 0008), in one transaction under an advisory lock. Unchanged files cost one hash
/// and one query, so start-up stays fast. Every code and name is checked with <see cref="NameRules"/> first.
/// </summary>
internal sealed class CatalogueLoader(NpgsqlDataSource dataSource, IOptions<RegistryOptions> options, TimeProvider time, ILogger<CatalogueLoader> logger)
{
    // "hts-catl" in ASCII: instances starting together take turns.
    private const long AdvisoryLockKey = 0x6874732D6361746C;

    /// <summary>Loads what changed; returns whether anything was (re)loaded.</summary>
    public async Task<bool> LoadAsync(CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var files = ReadFiles(options.Value.CatalogueDirectory);
        var current = options.Value.CurrentCatalogue;
        var versions = files.Where(f => !f.File.IsCrosswalk).ToDictionary(f => f.File.Version!, StringComparer.Ordinal);
        if (!versions.ContainsKey(current))
        {
            throw new InvalidDataException($"Registry:CurrentCatalogue '{current}' is not among the catalogue versions ({string.Join(", ", versions.Keys)}).");
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await ExecuteAsync(connection, transaction, $"SELECT pg_advisory_xact_lock({AdvisoryLockKey})", cancellationToken);
        var stored = new Dictionary<string, (string Sha, bool Current)>(StringComparer.Ordinal);
        await using (var command = new NpgsqlCommand("SELECT version, sha256, is_current FROM catalogue_versions", connection, transaction))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                stored[reader.GetString(0)] = (reader.GetString(1), reader.GetBoolean(2));
            }
        }

        var changed = false;
        // Oldest first: a crosswalk's source version is in place before the version it leads to.
        foreach (var (version, entry) in versions.OrderBy(v => v.Value.File.Levels == 3 ? 0 : 1).ThenBy(v => v.Key, StringComparer.Ordinal))
        {
            var crosswalks = files.Where(f => f.File.IsCrosswalk && f.File.To == version).ToList();
            var sha = Convert.ToHexStringLower(SHA256.HashData([.. entry.Sha, .. crosswalks.SelectMany(c => c.Sha)]));
            if (stored.TryGetValue(version, out var known) && known.Sha == sha)
            {
                continue;
            }

            var loadStarted = time.GetTimestamp();
            await ReplaceVersionAsync(connection, transaction, entry.File, sha, cancellationToken);
            var rows = 0;
            foreach (var crosswalk in crosswalks)
            {
                rows += await ReplaceCrosswalkAsync(connection, transaction, crosswalk.File, cancellationToken);
            }

            changed = true;
            logger.CatalogueVersionLoaded(version, entry.File.Provinces?.Count ?? 0, entry.File.Districts?.Count ?? 0, entry.File.Communes?.Count ?? 0, rows,
                time.GetElapsedTime(loadStarted));
        }

        if (!changed && stored.TryGetValue(current, out var state) && state.Current)
        {
            await transaction.CommitAsync(cancellationToken);
            logger.CatalogueUnchanged(current, time.GetElapsedTime(started));
            return false;
        }

        foreach (var sql in new[] { "UPDATE catalogue_versions SET is_current = false WHERE is_current AND version <> $1", "UPDATE catalogue_versions SET is_current = true WHERE version = $1" })
        {
            await using var makeCurrent = new NpgsqlCommand(sql, connection, transaction);
            makeCurrent.Parameters.Add(new NpgsqlParameter { Value = current });
            await makeCurrent.ExecuteNonQueryAsync(cancellationToken);
        }

        await ExecuteAsync(connection, transaction, "SELECT hts_rebuild_areas()", cancellationToken);
        int translated, ambiguous, unplaced;
        await using (var place = new NpgsqlCommand("SELECT translated, ambiguous, unplaced FROM hts_place_all()", connection, transaction))
        await using (var reader = await place.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            (translated, ambiguous, unplaced) = (reader.GetInt32(0), reader.GetInt32(1), reader.GetInt32(2));
        }

        long areas;
        await using (var count = new NpgsqlCommand("SELECT count(*) FROM areas", connection, transaction))
        {
            areas = (long)(await count.ExecuteScalarAsync(cancellationToken))!;
        }

        await transaction.CommitAsync(cancellationToken);
        logger.CataloguePlaced(current, areas, translated, ambiguous, unplaced);
        if (unplaced > 0)
        {
            logger.ProbesUnplaced(unplaced);
        }

        return true;
    }

    /// <summary>The catalogue files: those of <paramref name="directory"/>, or the ones built into the server.</summary>
    internal static List<(CatalogueFile File, byte[] Sha)> ReadFiles(string? directory)
    {
        var result = new List<(CatalogueFile, byte[])>();
        if (string.IsNullOrEmpty(directory))
        {
            var assembly = typeof(CatalogueLoader).Assembly;
            foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith("catalogue/", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
            {
                using var stream = assembly.GetManifestResourceStream(name)!;
                using var buffer = new MemoryStream();
                stream.CopyTo(buffer);
                result.Add(Parse(name, buffer.ToArray()));
            }
        }
        else
        {
            foreach (var path in Directory.GetFiles(directory, "*.json").Order(StringComparer.Ordinal))
            {
                result.Add(Parse(path, File.ReadAllBytes(path)));
            }
        }

        if (!result.Any(r => !r.Item1.IsCrosswalk))
        {
            throw new InvalidDataException($"No catalogue version in '{directory ?? "(built in)"}' (Registry:CatalogueDirectory).");
        }

        return result;
    }

    internal static (CatalogueFile File, byte[] Sha) Parse(string name, byte[] bytes)
    {
        CatalogueFile? file;
        try
        {
            file = JsonSerializer.Deserialize(bytes, CatalogueJsonContext.Default.CatalogueFile);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"Catalogue file '{name}' is not valid: {ex.Message}", ex);
        }

        var problem = file is null ? "empty" : Validate(file);
        if (problem is not null)
        {
            throw new InvalidDataException($"Catalogue file '{name}': {problem}");
        }

        return (file!, SHA256.HashData(bytes));
    }

    /// <summary>The first problem of a catalogue file (codes and names by <see cref="NameRules"/>), or null.</summary>
    internal static string? Validate(CatalogueFile file)
    {
        string? Unit(string what, UnitEntry unit) =>
            NameRules.Check(NameKind.RegionCode, unit.Code) is { } code ? $"{what} code {code}"
            : NameRules.Check(NameKind.AreaName, unit.Name) is { } name ? $"{what} {unit.Code} name {name}"
            : unit.Province is { } p && NameRules.Check(NameKind.RegionCode, p) is { } pc ? $"{what} {unit.Code} province {pc}"
            : unit.District is { } d && NameRules.Check(NameKind.RegionCode, d) is { } dc ? $"{what} {unit.Code} district {dc}"
            : null;
        if (file.IsCrosswalk)
        {
            if (NameRules.Check(NameKind.AreaId, file.From) is { } from || NameRules.Check(NameKind.AreaId, file.To) is { } to)
            {
                return "a crosswalk names the versions it leads from and to ('from', 'to')";
            }

            foreach (var row in file.Rows!)
            {
                foreach (var code in new[] { row.OldCode, row.OldDistrict, row.OldProvince, row.NewProvince })
                {
                    if (code is not null && NameRules.Check(NameKind.RegionCode, code) is { } bad)
                    {
                        return $"row {row.Row}: code {bad}";
                    }
                }

                foreach (var name in new[] { row.OldName, row.OldDistrictName, row.OldProvinceName, row.NewName })
                {
                    if (name is not null && NameRules.Check(NameKind.AreaName, name) is { } bad)
                    {
                        return $"row {row.Row}: name {bad}";
                    }
                }

                if (row.Status is "exact" or "by-name" && (row.OldCode is null || NameRules.Check(NameKind.RegionCode, row.NewCode) is not null))
                {
                    return $"row {row.Row}: a translating row needs an old and a new commune code";
                }
            }

            return null;
        }

        if (NameRules.Check(NameKind.AreaId, file.Version) is { } version)
        {
            return $"version {version}";
        }

        if (file.Levels is not (2 or 3) || file.Provinces is not { Count: > 0 } || file.Communes is not { Count: > 0 } || (file.Levels == 3) != (file.Districts is { Count: > 0 }))
        {
            return "a version has 'levels' 2 (provinces, communes) or 3 (with districts) and units at each level";
        }

        return file.Provinces.Select(p => Unit("province", p)).Concat(file.Districts?.Select(d => Unit("district", d)) ?? [])
            .Concat(file.Communes.Select(c => Unit("commune", c))).FirstOrDefault(p => p is not null);
    }

    private static async Task ReplaceVersionAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CatalogueFile file, string sha, CancellationToken cancellationToken)
    {
        await using (var upsert = new NpgsqlCommand("""
            INSERT INTO catalogue_versions (version, levels, source, sha256, loaded_at) VALUES ($1, $2, $3, $4, now())
            ON CONFLICT (version) DO UPDATE SET levels = excluded.levels, source = excluded.source, sha256 = excluded.sha256, loaded_at = now()
            """, connection, transaction))
        {
            upsert.Parameters.Add(new NpgsqlParameter { Value = file.Version });
            upsert.Parameters.Add(new NpgsqlParameter { Value = (short)file.Levels!.Value });
            upsert.Parameters.Add(new NpgsqlParameter { Value = file.Source ?? string.Empty });
            upsert.Parameters.Add(new NpgsqlParameter { Value = sha });
            await upsert.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var delete = new NpgsqlCommand("DELETE FROM region_units WHERE version = $1", connection, transaction))
        {
            delete.Parameters.Add(new NpgsqlParameter { Value = file.Version });
            await delete.ExecuteNonQueryAsync(cancellationToken);
        }

        var districtProvince = (file.Districts ?? []).ToDictionary(d => d.Code, d => d.Province ?? string.Empty, StringComparer.Ordinal);
        await using var import = await connection.BeginBinaryImportAsync(
            "COPY region_units (version, level, code, province_code, district_code, name, kind, latitude, longitude) FROM STDIN (FORMAT BINARY)", cancellationToken);
        async Task Row(string level, UnitEntry unit, string province, string? district)
        {
            await import.StartRowAsync(cancellationToken);
            await import.WriteAsync(file.Version!, NpgsqlDbType.Text, cancellationToken);
            await import.WriteAsync(level, NpgsqlDbType.Text, cancellationToken);
            await import.WriteAsync(unit.Code, NpgsqlDbType.Text, cancellationToken);
            await import.WriteAsync(province, NpgsqlDbType.Text, cancellationToken);
            await WriteNullableAsync(import, district, cancellationToken);
            await import.WriteAsync(unit.Name, NpgsqlDbType.Text, cancellationToken);
            await WriteNullableAsync(import, unit.Type, cancellationToken);
            await WriteNullableAsync(import, unit.Centroid?.Lat, cancellationToken);
            await WriteNullableAsync(import, unit.Centroid?.Lon, cancellationToken);
        }

        foreach (var province in file.Provinces!)
        {
            await Row("province", province, province.Code, null);
        }

        foreach (var district in file.Districts ?? [])
        {
            await Row("district", district, district.Province ?? string.Empty, null);
        }

        foreach (var commune in file.Communes!)
        {
            var province = commune.Province ?? (commune.District is { } d ? districtProvince.GetValueOrDefault(d, string.Empty) : string.Empty);
            await Row("commune", commune, province, commune.District);
        }

        await import.CompleteAsync(cancellationToken);
    }

    private static async Task<int> ReplaceCrosswalkAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CatalogueFile file, CancellationToken cancellationToken)
    {
        await using (var delete = new NpgsqlCommand("DELETE FROM commune_crosswalk WHERE from_version = $1 AND to_version = $2", connection, transaction))
        {
            delete.Parameters.Add(new NpgsqlParameter { Value = file.From });
            delete.Parameters.Add(new NpgsqlParameter { Value = file.To });
            await delete.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var import = await connection.BeginBinaryImportAsync("""
            COPY commune_crosswalk (from_version, to_version, source_row, old_code, old_name, old_district_code, old_district_name, old_province_code,
                old_province_name, new_code, new_name, new_province_code, status) FROM STDIN (FORMAT BINARY)
            """, cancellationToken);
        foreach (var row in file.Rows!)
        {
            await import.StartRowAsync(cancellationToken);
            await import.WriteAsync(file.From!, NpgsqlDbType.Text, cancellationToken);
            await import.WriteAsync(file.To!, NpgsqlDbType.Text, cancellationToken);
            await import.WriteAsync(row.Row, NpgsqlDbType.Integer, cancellationToken);
            foreach (var text in new[] { row.OldCode, row.OldName, row.OldDistrict, row.OldDistrictName, row.OldProvince, row.OldProvinceName })
            {
                await WriteNullableAsync(import, text, cancellationToken);
            }

            await import.WriteAsync(row.NewCode, NpgsqlDbType.Text, cancellationToken);
            await WriteNullableAsync(import, row.NewName, cancellationToken);
            await WriteNullableAsync(import, row.NewProvince, cancellationToken);
            await import.WriteAsync(row.Status, NpgsqlDbType.Text, cancellationToken);
        }

        await import.CompleteAsync(cancellationToken);
        return file.Rows.Count;
    }

    private static Task WriteNullableAsync(NpgsqlBinaryImporter import, string? value, CancellationToken cancellationToken) =>
        value is null ? import.WriteNullAsync(cancellationToken) : import.WriteAsync(value, NpgsqlDbType.Text, cancellationToken);

    private static Task WriteNullableAsync(NpgsqlBinaryImporter import, double? value, CancellationToken cancellationToken) =>
        value is null ? import.WriteNullAsync(cancellationToken) : import.WriteAsync(value.Value, NpgsqlDbType.Double, cancellationToken);

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
