using System.Text.Json;
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
            foreach (var district in province.Districts)
            {
                districts++;
                Add(batch, "INSERT INTO districts (code, province_code, name, kind, latitude, longitude) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (code) DO UPDATE SET province_code = excluded.province_code, name = excluded.name, kind = excluded.kind, latitude = excluded.latitude, longitude = excluded.longitude",
                    district.Code, province.Code, district.Name, district.Type, district.Centroid?.Lat, district.Centroid?.Lon);
                foreach (var commune in district.Communes)
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

        return catalog;
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
