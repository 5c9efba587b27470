using System.Diagnostics;
using System.Text.Json.Nodes;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Server.Registry;
using HaTangSo.Telemetry.Server.Registry.Catalogue;
using HaTangSo.Telemetry.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace HaTangSo.Telemetry.IntegrationTests.Geography;

/// <summary>The versioned region catalogue loaded into a real PostgreSQL: counts, the crosswalk, derived areas, reloads.</summary>
public sealed class CatalogueTests(PostgresFixture postgres)
{
    [Fact]
    public async Task The_catalogue_holds_34_provinces_3321_communes_every_crosswalk_row_and_loads_once()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var db = await CatalogueDatabase.CreateAsync(postgres, ct);
        var first = Stopwatch.StartNew();
        Assert.True(await db.Loader().LoadAsync(ct));
        first.Stop();
        var again = Stopwatch.StartNew();
        Assert.False(await db.Loader().LoadAsync(ct)); // unchanged files: one hash and one query
        again.Stop();
        TestContext.Current.TestOutputHelper?.WriteLine($"catalogue: first load {first.ElapsedMilliseconds} ms, unchanged start-up {again.ElapsedMilliseconds} ms");

        Assert.Equal(34L, await db.ScalarAsync("SELECT count(*) FROM provinces"));
        Assert.Equal(3321L, await db.ScalarAsync("SELECT count(*) FROM communes"));
        Assert.Equal(69L, await db.ScalarAsync("SELECT count(*) FROM communes WHERE province_code = '42'"));   // Hà Tĩnh
        Assert.Equal(38L, await db.ScalarAsync("SELECT count(*) FROM communes WHERE province_code = '12'"));   // Lai Châu
        Assert.Equal(148L, await db.ScalarAsync("SELECT count(*) FROM communes WHERE province_code = '25'"));  // Phú Thọ
        Assert.Equal("Tỉnh Phú Thọ", await db.ScalarAsync("SELECT name FROM provinces WHERE code = '25'"));
        Assert.Equal(63L, await db.ScalarAsync("SELECT count(*) FROM region_units WHERE version = 'pre-2025-07' AND level = 'province'"));
        Assert.Equal(696L, await db.ScalarAsync("SELECT count(*) FROM region_units WHERE version = 'pre-2025-07' AND level = 'district'"));

        // Every row of the source's ward_mappings, whatever its quality (the status says which ones translate codes).
        var sourceRows = CatalogueLoader.ReadFiles(null).Single(f => f.File.IsCrosswalk).File.Rows!.Count;
        Assert.Equal(10977, sourceRows);
        Assert.Equal((long)sourceRows, await db.ScalarAsync("SELECT count(*) FROM commune_crosswalk"));

        // Old 18409 Xã Tân Lộc (Huyện Thạch Hà) is the 2025 commune 18409 Xã Hồng Lộc, which counts in former district 445.
        Assert.Equal("Xã Tân Lộc", await db.ScalarAsync("SELECT name FROM region_units WHERE version = 'pre-2025-07' AND level = 'commune' AND code = '18409'"));
        Assert.Equal("Huyện Thạch Hà", await db.ScalarAsync("SELECT name FROM region_units WHERE version = 'pre-2025-07' AND level = 'district' AND code = '445'"));
        Assert.Equal("18409", await db.ScalarAsync("SELECT string_agg(new_code, ',') FROM hts_translate_commune('18409', 'pre-2025-07')"));
        Assert.Equal("Xã Hồng Lộc", await db.ScalarAsync("SELECT name FROM communes WHERE code = '18409'"));
        Assert.Equal("445", await db.ScalarAsync("SELECT district_code FROM communes WHERE code = '18409'"));
        Assert.Equal(1L, await db.ScalarAsync("SELECT count(*) FROM area_members WHERE area_kind = 'former-district' AND area_code = '445' AND commune_code = '18409'"));

        // Today's Phú Thọ is the territories of old Phú Thọ, Vĩnh Phúc and Hòa Bình: three former provinces partitioning its 148 communes.
        Assert.Equal("17,25,26", await db.ScalarAsync("SELECT string_agg(code, ',' ORDER BY code) FROM areas WHERE kind = 'former-province' AND province_code = '25'"));
        Assert.Equal(148L, await db.ScalarAsync("SELECT count(DISTINCT commune_code) FROM area_members WHERE area_kind = 'former-province' AND area_code IN ('17', '25', '26')"));
        Assert.Equal(148L, await db.ScalarAsync("SELECT count(*) FROM area_members WHERE area_kind = 'former-province' AND area_code IN ('17', '25', '26')"));
        Assert.Equal("Tỉnh Vĩnh Phúc", await db.ScalarAsync("SELECT name FROM areas WHERE kind = 'former-province' AND code = '26'"));

        // Every code and name the import stored passes the rules every other door applies.
        await foreach (var (code, name) in db.RowsAsync("SELECT code, name FROM region_units UNION ALL SELECT code, name FROM areas"))
        {
            Assert.Null(NameRules.Check(NameKind.RegionCode, code));
            Assert.Null(NameRules.Check(NameKind.AreaName, name));
        }
    }

    [Fact]
    public async Task A_reloaded_catalogue_moves_a_commune_to_another_former_district_and_back()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var db = await CatalogueDatabase.CreateAsync(postgres, ct);
        await db.Loader().LoadAsync(ct);
        using var directory = new TempDirectory("hts-catalogue");
        CatalogueDatabase.WriteMovedCatalogue(directory.Path, "18409", "436");

        Assert.True(await db.Loader(directory.Path).LoadAsync(ct));
        Assert.Equal("436", await db.ScalarAsync("SELECT district_code FROM communes WHERE code = '18409'"));
        Assert.Equal(1L, await db.ScalarAsync("SELECT count(*) FROM area_members WHERE area_kind = 'former-district' AND area_code = '436' AND commune_code = '18409'"));
        Assert.Equal(0L, await db.ScalarAsync("SELECT count(*) FROM area_members WHERE area_kind = 'former-district' AND area_code = '445' AND commune_code = '18409'"));

        Assert.True(await db.Loader().LoadAsync(ct));
        Assert.Equal("445", await db.ScalarAsync("SELECT district_code FROM communes WHERE code = '18409'"));
    }
}

/// <summary>A fresh database with the migrations applied, and the catalogue loader over it.</summary>
internal sealed class CatalogueDatabase : IAsyncDisposable
{
    private CatalogueDatabase(NpgsqlDataSource dataSource, string connectionString) => (DataSource, ConnectionString) = (dataSource, connectionString);

    public NpgsqlDataSource DataSource { get; }

    public string ConnectionString { get; }

    public static async Task<CatalogueDatabase> CreateAsync(PostgresFixture postgres, CancellationToken ct, int? upTo = null)
    {
        var connectionString = await postgres.NewDatabaseAsync(ct);
        var db = new CatalogueDatabase(NpgsqlDataSource.Create(connectionString), connectionString);
        await new MigrationRunner(db.DataSource, NullLogger<MigrationRunner>.Instance).ApplyAsync(ct, upTo);
        return db;
    }

    public CatalogueLoader Loader(string? directory = null) => new(
        DataSource, Options.Create(new RegistryOptions { CatalogueDirectory = directory }), TimeProvider.System, NullLogger<CatalogueLoader>.Instance);

    public async Task<object?> ScalarAsync(string sql)
    {
        await using var command = DataSource.CreateCommand(sql);
        return await command.ExecuteScalarAsync();
    }

    public async IAsyncEnumerable<(string, string)> RowsAsync(string sql)
    {
        await using var command = DataSource.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            yield return (reader.GetString(0), reader.GetString(1));
        }
    }

    /// <summary>Writes the built-in catalogue files into <paramref name="directory"/>, the old commune <paramref name="commune"/> moved to another district.</summary>
    public static void WriteMovedCatalogue(string directory, string commune, string district)
    {
        foreach (var (file, _) in CatalogueLoader.ReadFiles(null))
        {
            var name = file.IsCrosswalk ? $"crosswalk-{file.From}-to-{file.To}.json" : $"catalogue-{file.Version}.json";
            var json = JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(file, CatalogueJsonContext.Default.CatalogueFile))!;
            if (file.Version == "pre-2025-07")
            {
                var unit = json["communes"]!.AsArray().Single(c => c!["code"]!.GetValue<string>() == commune)!;
                unit["district"] = district;
            }

            File.WriteAllText(Path.Combine(directory, name), json.ToJsonString());
        }
    }

    public async ValueTask DisposeAsync() => await DataSource.DisposeAsync();
}
