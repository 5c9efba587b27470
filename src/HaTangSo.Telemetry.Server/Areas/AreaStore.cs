using HaTangSo.Telemetry.Contracts;
using Npgsql;

namespace HaTangSo.Telemetry.Server.Areas;

/// <summary>An area as the API shows it: kind, code, province, Vietnamese name and its communes.</summary>
/// <param name="Kind"><c>province</c>, <c>former-province</c>, <c>former-district</c>, <c>commune</c> or <c>custom</c>.</param>
/// <param name="Code">GSO code, or the operator's id for a custom area.</param>
/// <param name="ProvinceCode">The current province.</param>
/// <param name="Name">Vietnamese name.</param>
/// <param name="Description">For custom areas: what it is.</param>
/// <param name="Latitude">Centroid, where the catalogue has one.</param>
/// <param name="Longitude">Centroid, where the catalogue has one.</param>
/// <param name="Communes">The current communes in it (code and name).</param>
public sealed record AreaRecord(
    string Kind, string Code, string ProvinceCode, string Name, string? Description, double? Latitude, double? Longitude,
    IReadOnlyList<Registry.CommuneRef> Communes);

/// <summary>Areas in PostgreSQL: the built-in ones (derived on each catalogue load) and the operators' custom ones.</summary>
internal sealed class AreaStore(NpgsqlDataSource dataSource)
{
    /// <summary>The areas of a province (optionally of one kind, or one area), with their communes.</summary>
    public async Task<List<AreaRecord>> ListAsync(string? provinceCode, AreaKind? kind, string? code, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT a.kind, a.code, a.province_code, a.name, a.description, a.latitude, a.longitude, c.code, c.name
            FROM areas a
            LEFT JOIN area_members m ON m.area_kind = a.kind AND m.area_code = a.code
            LEFT JOIN communes c ON c.code = m.commune_code
            WHERE ($1::text IS NULL OR a.province_code = $1) AND ($2::text IS NULL OR a.kind = $2) AND ($3::text IS NULL OR a.code = $3)
            ORDER BY a.province_code, a.kind, a.code, c.code
            """);
        command.Parameters.Add(Text(provinceCode));
        command.Parameters.Add(Text(kind?.ToName()));
        command.Parameters.Add(Text(code));
        var areas = new List<AreaRecord>();
        var communes = new List<Registry.CommuneRef>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var (k, c) = (reader.GetString(0), reader.GetString(1));
            if (areas.Count == 0 || areas[^1].Kind != k || areas[^1].Code != c)
            {
                communes = [];
                areas.Add(new AreaRecord(k, c, reader.GetString(2), reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4),
                    reader.IsDBNull(5) ? null : reader.GetDouble(5), reader.IsDBNull(6) ? null : reader.GetDouble(6), communes));
            }

            if (!reader.IsDBNull(7))
            {
                communes.Add(new Registry.CommuneRef(reader.GetString(7), reader.GetString(8)));
            }
        }

        return areas;
    }

    /// <summary>Every area of a province, with member codes (what evaluation and target scopes need).</summary>
    public async Task<List<Area>> ProvinceAreasAsync(string provinceCode, CancellationToken cancellationToken) =>
        [.. (await ListAsync(provinceCode, null, null, cancellationToken)).Select(a =>
            new Area(AreaKinds.TryParse(a.Kind, out var kind) ? kind : AreaKind.Custom, a.Code, a.ProvinceCode, a.Name, [.. a.Communes.Select(c => c.Code)]))];

    /// <summary>The current provinces.</summary>
    public async Task<List<(string Code, string Name)>> ProvincesAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT code, name FROM provinces ORDER BY code");
        var provinces = new List<(string, string)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            provinces.Add((reader.GetString(0), reader.GetString(1)));
        }

        return provinces;
    }

    /// <summary>
    /// Creates or replaces a custom area: every commune must be a current commune of <paramref name="provinceCode"/>.
    /// Returns the problems by field (empty when saved).
    /// </summary>
    public async Task<Dictionary<string, string[]>> SaveCustomAsync(
        string code, string provinceCode, string name, string? description, IReadOnlyList<string> communes, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var known = new HashSet<string>(StringComparer.Ordinal);
        await using (var select = new NpgsqlCommand("SELECT code FROM communes WHERE province_code = $1", connection, transaction))
        {
            select.Parameters.Add(new NpgsqlParameter { Value = provinceCode });
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                known.Add(reader.GetString(0));
            }
        }

        if (known.Count == 0)
        {
            return new() { ["provinceCode"] = ["is not a province of the current catalogue"] };
        }

        var unknown = communes.Where(c => !known.Contains(c)).ToList();
        if (unknown.Count > 0)
        {
            return new() { ["communes"] = [$"{unknown.Count} codes are not current communes of province {provinceCode} (first: {unknown[0]})"] };
        }

        await using (var batch = new NpgsqlBatch(connection, transaction))
        {
            var upsert = new NpgsqlBatchCommand("""
                INSERT INTO areas (kind, code, province_code, name, description, catalogue_version)
                VALUES ('custom', $1, $2, $3, $4, (SELECT version FROM catalogue_versions WHERE is_current))
                ON CONFLICT (kind, code) DO UPDATE SET province_code = excluded.province_code, name = excluded.name, description = excluded.description,
                    catalogue_version = excluded.catalogue_version, updated_at = now()
                """);
            upsert.Parameters.Add(new NpgsqlParameter { Value = code });
            upsert.Parameters.Add(new NpgsqlParameter { Value = provinceCode });
            upsert.Parameters.Add(new NpgsqlParameter { Value = name });
            upsert.Parameters.Add(Text(description));
            var clear = new NpgsqlBatchCommand("DELETE FROM area_members WHERE area_kind = 'custom' AND area_code = $1");
            clear.Parameters.Add(new NpgsqlParameter { Value = code });
            var members = new NpgsqlBatchCommand("INSERT INTO area_members (area_kind, area_code, commune_code) SELECT 'custom', $1, unnest($2::text[]) ON CONFLICT DO NOTHING");
            members.Parameters.Add(new NpgsqlParameter { Value = code });
            members.Parameters.Add(new NpgsqlParameter { Value = communes.ToArray() });
            batch.BatchCommands.Add(upsert);
            batch.BatchCommands.Add(clear);
            batch.BatchCommands.Add(members);
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return [];
    }

    /// <summary>Deletes a custom area; false when there is none.</summary>
    public async Task<bool> DeleteCustomAsync(string code, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("DELETE FROM areas WHERE kind = 'custom' AND code = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = code });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>Problems of a custom area's fields (<see cref="NameRules"/>), by field.</summary>
    public static Dictionary<string, string[]> Validate(string? code, string? provinceCode, string? name, string? description, IReadOnlyList<string>? communes)
    {
        var errors = new Dictionary<string, string[]>();
        void Check(string field, NameKind kind, string? value)
        {
            if (NameRules.Check(kind, value) is { } problem)
            {
                errors[field] = [problem];
            }
        }

        Check("code", NameKind.AreaId, code);
        Check("provinceCode", NameKind.RegionCode, provinceCode);
        Check("name", NameKind.AreaName, name);
        if (description is not null)
        {
            Check("description", NameKind.Text, description);
        }

        if (communes is not { Count: > 0 and <= 5000 })
        {
            errors["communes"] = ["1 to 5,000 commune codes"];
        }
        else if (communes.Select(c => NameRules.Check(NameKind.RegionCode, c)).FirstOrDefault(p => p is not null) is { } bad)
        {
            errors["communes"] = [bad];
        }

        return errors;
    }

    private static NpgsqlParameter Text(string? value) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text };
}
