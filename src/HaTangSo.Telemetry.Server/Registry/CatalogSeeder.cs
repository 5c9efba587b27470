using System.Text.Json;
using HaTangSo.Telemetry.Contracts;
using Microsoft.Extensions.Options;
using Npgsql;

namespace HaTangSo.Telemetry.Server.Registry;

/// <summary>
/// Loads the province → district → commune catalogue into PostgreSQL (insert or update; units are never
/// deleted, since probes and history refer to them). The catalogue is data: after the 2025 reorganisation a
/// new file is pointed to by <c>Registry:CatalogPath</c>, no code changes.
/// </summary>
internal sealed class CatalogSeeder(NpgsqlDataSource dataSource, IOptions<RegistryOptions> options, ILogger<CatalogSeeder> logger)
{
    public async Task SeedAsync(CancellationToken cancellationToken)
    {
        var catalog = await LoadAsync(options.Value.CatalogPath, cancellationToken);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var batch = new NpgsqlBatch(connection, transaction);
        int districts = 0, communes = 0;
        foreach (var province in catalog.Provinces)
        {
            Add(batch, "INSERT INTO provinces (code, name, kind, latitude, longitude) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (code) DO UPDATE SET name = excluded.name, kind = excluded.kind, latitude = excluded.latitude, longitude = excluded.longitude",
                province.Code, province.Name, province.Type, province.Centroid?.Lat, province.Centroid?.Lon);
            foreach (var district in province.Districts ?? [])
            {
                districts++;
                Add(batch, "INSERT INTO districts (code, province_code, name, kind, latitude, longitude) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (code) DO UPDATE SET province_code = excluded.province_code, name = excluded.name, kind = excluded.kind, latitude = excluded.latitude, longitude = excluded.longitude",
                    district.Code, province.Code, district.Name, district.Type, district.Centroid?.Lat, district.Centroid?.Lon);
                foreach (var commune in district.Communes ?? [])
                {
                    communes++;
                    Add(batch, "INSERT INTO communes (code, district_code, name, kind) VALUES ($1, $2, $3, $4) ON CONFLICT (code) DO UPDATE SET district_code = excluded.district_code, name = excluded.name, kind = excluded.kind",
                        commune.Code, district.Code, commune.Name, commune.Type);
                }
            }
        }

        await using (batch)
        {
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        logger.CatalogSeeded(catalog.Provinces.Count, districts, communes);
    }

    internal static async Task<AdminUnitCatalog> LoadAsync(string? path, CancellationToken cancellationToken)
    {
        await using var stream = string.IsNullOrEmpty(path)
            ? typeof(CatalogSeeder).Assembly.GetManifestResourceStream("admin-units.json")!
            : File.OpenRead(path);
        var catalog = await JsonSerializer.DeserializeAsync(stream, AdminUnitJsonContext.Default.AdminUnitCatalog, cancellationToken);
        if (catalog?.Provinces is not { Count: > 0 })
        {
            throw new InvalidDataException($"The administrative-unit catalogue '{path ?? "(embedded)"}' holds no provinces (Registry:CatalogPath).");
        }

        var errors = Validate(catalog);
        return errors.Count == 0
            ? catalog
            : throw new InvalidDataException(
                $"The administrative-unit catalogue '{path ?? "(embedded)"}' (Registry:CatalogPath) has {errors.Count} error(s): " + string.Join("; ", errors.Take(20)));
    }

    /// <summary>
    /// Every code and name against <see cref="NameRules"/> (codes and names become tags, report cells and page text),
    /// each error naming its JSON path (<c>provinces[0].districts[3].name</c>); empty when the catalogue is clean.
    /// </summary>
    internal static List<string> Validate(AdminUnitCatalog catalog)
    {
        var errors = new List<string>();
        void Unit(string path, string? code, string? name, string? type, GeoPoint? centroid)
        {
            Check(path + ".code", NameKind.RegionCode, code);
            Check(path + ".name", NameKind.AreaName, name);
            if (type is not null)
            {
                Check(path + ".type", NameKind.AreaName, type);
            }

            if (centroid is { } point && !(point.Lat is >= -90 and <= 90 && point.Lon is >= -180 and <= 180))
            {
                errors.Add($"{path}.centroid must be a latitude (-90..90) and longitude (-180..180)");
            }
        }

        void Check(string path, NameKind kind, string? value)
        {
            if (NameRules.Check(kind, value) is { } reason)
            {
                errors.Add($"{path} {reason} ({NameRules.Describe(kind)})");
            }
        }

        for (var p = 0; p < catalog.Provinces.Count; p++)
        {
            var province = catalog.Provinces[p];
            var path = $"provinces[{p}]";
            if (province is null)
            {
                errors.Add(path + " is null");
                continue;
            }

            Unit(path, province.Code, province.Name, province.Type, province.Centroid);
            for (var d = 0; d < (province.Districts?.Count ?? 0); d++)
            {
                var district = province.Districts![d];
                var districtPath = $"{path}.districts[{d}]";
                if (district is null)
                {
                    errors.Add(districtPath + " is null");
                    continue;
                }

                Unit(districtPath, district.Code, district.Name, district.Type, district.Centroid);
                for (var c = 0; c < (district.Communes?.Count ?? 0); c++)
                {
                    var commune = district.Communes![c];
                    if (commune is null)
                    {
                        errors.Add($"{districtPath}.communes[{c}] is null");
                        continue;
                    }

                    Unit($"{districtPath}.communes[{c}]", commune.Code, commune.Name, commune.Type, null);
                }
            }
        }

        return errors;
    }

    private static void Add(NpgsqlBatch batch, string sql, params object?[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value });
        }

        batch.BatchCommands.Add(command);
    }
}
