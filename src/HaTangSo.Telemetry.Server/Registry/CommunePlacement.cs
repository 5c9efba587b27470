using System.Globalization;
using Npgsql;

namespace HaTangSo.Telemetry.Server.Registry;

/// <summary>A commune of the current catalogue, by code and Vietnamese name.</summary>
/// <param name="Code">GSO code.</param>
/// <param name="Name">Name with its type (<c>Xã Hồng Lộc</c>).</param>
public sealed record CommuneRef(string Code, string Name);

/// <summary>
/// Where a commune code given at registration puts a probe: a commune of the current catalogue, or an old code
/// translated through the crosswalk (then <see cref="Translated"/> and <see cref="FormerCommuneCode"/> say so).
/// </summary>
/// <param name="CommuneCode">The current commune.</param>
/// <param name="CommuneName">Its Vietnamese name.</param>
/// <param name="FormerCommuneCode">The pre-reform commune the code named, when it was an old code.</param>
/// <param name="FormerCommuneName">Its name.</param>
/// <param name="FormerDistrictCode">The former district the probe's commune counts in (its principal one), or null.</param>
/// <param name="Translated">True when the code given was an old one.</param>
public sealed record CommunePlacement(
    string CommuneCode, string CommuneName, string? FormerCommuneCode, string? FormerCommuneName, string? FormerDistrictCode, bool Translated)
{
    /// <summary>Resolves <paramref name="code"/> against the current catalogue, then the crosswalk.</summary>
    /// <exception cref="RegistryException">Unknown code, an old commune split between several new ones (with the candidates), or none.</exception>
    internal static async Task<CommunePlacement> ResolveAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string code, CancellationToken cancellationToken)
    {
        await using (var current = new NpgsqlCommand("SELECT name, district_code FROM communes WHERE code = $1", connection, transaction))
        {
            current.Parameters.Add(new NpgsqlParameter { Value = code });
            await using var reader = await current.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken))
            {
                return new(code, reader.GetString(0), null, null, reader.IsDBNull(1) ? null : reader.GetString(1), false);
            }
        }

        // An old code: the newest older version that has it, and where the crosswalk takes it.
        string? oldName = null, oldDistrict = null, version = null;
        await using (var old = new NpgsqlCommand("""
            SELECT u.name, u.district_code, u.version FROM region_units u JOIN catalogue_versions v ON v.version = u.version
            WHERE u.level = 'commune' AND u.code = $1 AND NOT v.is_current ORDER BY v.loaded_at DESC LIMIT 1
            """, connection, transaction))
        {
            old.Parameters.Add(new NpgsqlParameter { Value = code });
            await using var reader = await old.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken))
            {
                (oldName, oldDistrict, version) = (reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetString(2));
            }
        }

        if (version is null)
        {
            throw new RegistryException($"Unknown commune code '{code}' (neither a commune of the current catalogue nor a pre-reform one).");
        }

        var candidates = new List<(CommuneRef Commune, string? District)>();
        await using (var translate = new NpgsqlCommand("""
            SELECT c.code, c.name, c.district_code FROM hts_translate_commune($1, $2) t JOIN communes c ON c.code = t.new_code ORDER BY t.exact DESC, c.code
            """, connection, transaction))
        {
            translate.Parameters.Add(new NpgsqlParameter { Value = code });
            translate.Parameters.Add(new NpgsqlParameter { Value = version });
            await using var reader = await translate.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                candidates.Add((new CommuneRef(reader.GetString(0), reader.GetString(1)), reader.IsDBNull(2) ? null : reader.GetString(2)));
            }
        }

        var old2 = $"{oldName} ({code})";
        if (candidates.Count == 1)
        {
            var (commune, district) = candidates[0];
            return new(commune.Code, commune.Name, code, oldName, district, true);
        }

        if (candidates.Count > 1)
        {
            throw new RegistryException(
                $"The pre-reform commune {old2} was split between several communes since 1 July 2025; register the probe in one of them: "
                + string.Join(", ", candidates.Select(c => $"{c.Commune.Code} {c.Commune.Name}")) + ".",
                [.. candidates.Select(c => c.Commune)]);
        }

        // No crosswalk row: offer the communes of its former district.
        var sameDistrict = new List<CommuneRef>();
        await using (var district = new NpgsqlCommand("SELECT code, name FROM communes WHERE district_code = $1 ORDER BY code", connection, transaction))
        {
            district.Parameters.Add(new NpgsqlParameter { Value = (object?)oldDistrict ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            await using var reader = await district.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                sameDistrict.Add(new CommuneRef(reader.GetString(0), reader.GetString(1)));
            }
        }

        throw new RegistryException(
            string.Create(CultureInfo.InvariantCulture, $"The crosswalk has no row for the pre-reform commune {old2}; register the probe in a current commune")
            + (sameDistrict.Count > 0 ? $" of its former district {oldDistrict}: " + string.Join(", ", sameDistrict.Select(c => $"{c.Code} {c.Name}")) + "." : "."),
            sameDistrict);
    }
}
