using System.Net.Http.Json;
using System.Text.Json;
using HaTangSo.Telemetry.IntegrationTests.Compliance;
using HaTangSo.Telemetry.Server.Alerts;
using HaTangSo.Telemetry.Server.Compliance;
using HaTangSo.Telemetry.Testing;

namespace HaTangSo.Telemetry.IntegrationTests.Geography;

/// <summary>
/// An installation as it was before the geography change (migrations 0001-0003, the three-province pre-2025 catalogue,
/// probes, targets, compliance history, an open district alert and points under the old codes) is upgraded by the
/// server's start-up: every probe and result is placed in the 2025 catalogue, history keeps its former districts, the
/// open alert goes on, and doing it again changes nothing.
/// </summary>
public sealed class PreviousSchemaMigrationTests(PostgresFixture postgres, InfluxDbFixture influx)
{
    [Fact]
    public async Task Registry_and_history_under_pre_2025_codes_are_placed_by_the_migration_once()
    {
        var ct = TestContext.Current.CancellationToken;
        var now = new DateTimeOffset(2026, 3, 10, 0, 30, 0, TimeSpan.Zero);
        var windowEnd = new DateTimeOffset(2026, 3, 10, 0, 0, 0, TimeSpan.Zero);
        await using var db = await CatalogueDatabase.CreateAsync(postgres, ct, upTo: 3);
        await SeedPreviousInstallationAsync(db, windowEnd);
        Assert.Equal(3L, Convert.ToInt64(await db.ScalarAsync("SELECT max(version) FROM schema_migrations"), System.Globalization.CultureInfo.InvariantCulture));

        await using var context = await ComplianceTestContext.CreateAsync(postgres, influx, now, ct, db.ConnectionString);
        context.Config["Compliance:EvaluationLevels"] = "former-district,commune";
        var server = await context.StartInstanceAsync(ct);
        // Results measured before the upgrade, as the old server wrote them: old commune codes and districts (written
        // now because the server creates the InfluxDB database; what matters is their tags).
        await context.WriteResultsAsync("445", "18412", "ht-old-hong-loc", "fixed", windowEnd.AddDays(-7), windowEnd, 168, _ => 100, ct);
        await context.WriteResultsAsync("105", "03386", "lc-old-quyet-thang", "fixed", windowEnd.AddDays(-7), windowEnd, 40, _ => 90, ct, province: "12");

        // Every probe sits in a 2025 commune, and says where it came from.
        Assert.Equal("18409|18412|translated", await db.ScalarAsync("SELECT commune_code || '|' || former_commune_code || '|' || placement FROM probes WHERE id = 'ht-old-hong-loc'"));
        Assert.Equal("03388|03386|translated", await db.ScalarAsync("SELECT commune_code || '|' || former_commune_code || '|' || placement FROM probes WHERE id = 'lc-old-quyet-thang'"));
        Assert.Equal("18073|translated", await db.ScalarAsync("SELECT commune_code || '|' || placement FROM probes WHERE id = 'ht-old-nam-ha'"));
        Assert.Equal(0L, await db.ScalarAsync("SELECT count(*) FROM probes WHERE catalogue_version <> '2025-07'"));
        var placements = (await server.Http.GetFromJsonAsync<JsonElement[]>("/api/probes/placements?placement=translated", ct))!;
        Assert.Equal(["ht-old-hong-loc", "ht-old-nam-ha", "lc-old-quyet-thang"], placements.Select(p => p.GetProperty("probeId").GetString()!).ToArray());
        var probe = await server.Http.GetFromJsonAsync<JsonElement>("/api/probes/ht-old-hong-loc", ct);
        Assert.Equal(("42", "445", "18409"), (probe.GetProperty("provinceCode").GetString(), probe.GetProperty("districtCode").GetString(), probe.GetProperty("communeCode").GetString()));

        // Targets keep the territory they were written for; history and the open alert keep their former district.
        Assert.Equal("former-province:42,former-province:42,former-province:42,former-district:445", await db.ScalarAsync(
            "SELECT string_agg(area_kind || ':' || area_code, ',' ORDER BY id) FROM targets WHERE province_code = '42'"));
        Assert.Equal(2L, await db.ScalarAsync("SELECT count(*) FROM compliance_evaluations WHERE area_kind = 'former-district' AND area_code = '445' AND province_code = '42'"));
        Assert.Equal("former-district:445", await db.ScalarAsync("SELECT area_kind || ':' || area_code FROM alerts WHERE state = 'open'"));

        // The next evaluation counts the old points in their 2025 commune and former district; the alert goes on, once.
        await server.Get<ComplianceJob>().RunAsync(ct);
        await server.Get<NotificationDispatcher>().RunAsync(ct);
        var rows = (await server.Http.GetFromJsonAsync<JsonElement[]>("/api/compliance/42", ct))!;
        var district = rows.Single(r => r.GetProperty("areaKind").GetString() == "former-district" && r.GetProperty("areaCode").GetString() == "445" && r.GetProperty("access").GetString() == "fixed");
        Assert.Equal(("below", 168), (district.GetProperty("status").GetString(), district.GetProperty("samples").GetInt32()));
        var commune = rows.Single(r => r.GetProperty("areaKind").GetString() == "commune" && r.GetProperty("areaCode").GetString() == "18409" && r.GetProperty("access").GetString() == "fixed");
        Assert.Equal(168, commune.GetProperty("samples").GetInt32());
        var laiChau = (await server.Http.GetFromJsonAsync<JsonElement[]>("/api/compliance/12?area=commune", ct))!;
        Assert.Equal(40, laiChau.Single(r => r.GetProperty("areaCode").GetString() == "03388" && r.GetProperty("access").GetString() == "fixed").GetProperty("samples").GetInt32());
        var open = (await server.Http.GetFromJsonAsync<JsonElement[]>("/api/alerts?state=open", ct))!;
        Assert.Single(open, a => a.GetProperty("kind").GetString() == AlertKind.DistrictBelow);
        Assert.Equal(1L, await db.ScalarAsync("SELECT count(*) FROM alerts WHERE kind = 'district_below'"));

        // Again: nothing left to place, nothing changed; a restart applies no migration and loads no catalogue.
        var snapshot = await db.ScalarAsync("SELECT string_agg(id || commune_code || former_commune_code || placement || catalogue_version, ';' ORDER BY id) FROM probes");
        await context.StopInstanceAsync(server);
        Assert.Equal("0|0|0", await db.ScalarAsync("SELECT translated || '|' || ambiguous || '|' || unplaced FROM hts_place_all()"));
        server = await context.StartInstanceAsync(ct);
        Assert.Equal(snapshot, await db.ScalarAsync("SELECT string_agg(id || commune_code || former_commune_code || placement || catalogue_version, ';' ORDER BY id) FROM probes"));
        Assert.Equal(1L, await db.ScalarAsync("SELECT count(*) FROM schema_migrations WHERE version = 8"));
        var points = await context.Influx.QueryRowsAsync("SELECT count(\"download_mbps\") FROM \"speedtest\" WHERE \"commune\" = '18412'", ct);
        Assert.Equal(168, Assert.Single(points)["count"].GetInt64()); // the raw points were never rewritten
    }

    /// <summary>What a server of the previous version left: its catalogue (admin-units.json), probes, targets, history.</summary>
    private static async Task SeedPreviousInstallationAsync(CatalogueDatabase db, DateTimeOffset windowEnd)
    {
        using var catalog = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(BuildOutput.RepositoryRoot, "src/HaTangSo.Telemetry.Server/Registry/Data/admin-units.json")));
        var sql = new System.Text.StringBuilder();
        static string Q(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";
        foreach (var p in catalog.RootElement.GetProperty("provinces").EnumerateArray())
        {
            sql.Append($"INSERT INTO provinces (code, name, kind) VALUES ({Q(p.GetProperty("code").GetString()!)}, {Q(p.GetProperty("name").GetString()!)}, 'Tỉnh');\n");
            foreach (var d in p.GetProperty("districts").EnumerateArray())
            {
                sql.Append($"INSERT INTO districts (code, province_code, name) VALUES ({Q(d.GetProperty("code").GetString()!)}, {Q(p.GetProperty("code").GetString()!)}, {Q(d.GetProperty("name").GetString()!)});\n");
                foreach (var c in d.GetProperty("communes").EnumerateArray())
                {
                    sql.Append($"INSERT INTO communes (code, district_code, name) VALUES ({Q(c.GetProperty("code").GetString()!)}, {Q(d.GetProperty("code").GetString()!)}, {Q(c.GetProperty("name").GetString()!)});\n");
                }
            }
        }

        var evaluated = ComplianceTestContext.Iso(windowEnd.AddHours(-1));
        sql.Append($"""
            INSERT INTO probes (id, commune_code) VALUES ('ht-old-hong-loc', '18412'), ('ht-old-nam-ha', '18073'), ('lc-old-quyet-thang', '03386');
            INSERT INTO probe_links (probe_id, name, access, operator, technology, advertised_download_mbps)
                VALUES ('ht-old-hong-loc', 'fixed', 'fixed', 'VNPT', 'ftth', 150), ('ht-old-nam-ha', 'fixed', 'fixed', 'VNPT', 'ftth', 150),
                       ('lc-old-quyet-thang', 'fixed', 'fixed', 'Viettel', 'ftth', 100);
            INSERT INTO targets (province_code, district_code, access, metric, statistic, share_value, threshold, valid_from, valid_to, source) VALUES
                ('42', NULL, 'mobile', 'download', 'mean', NULL, 71, '2025-01-01', '2030-01-01', '568/KH-UBND'),
                ('42', NULL, 'fixed', 'download', 'mean', NULL, 150, '2025-01-01', '2030-01-01', '568/KH-UBND'),
                ('42', NULL, 'fixed', 'download', 'share_at_least', 1000, 100, '2030-01-01', NULL, '568/KH-UBND'),
                ('42', '445', 'mobile', 'download', 'median', NULL, 50, '2025-01-01', NULL, 'a district plan'),
                ('25', NULL, 'fixed', 'download', 'mean', NULL, 200, '2025-01-01', NULL, '3927/KH-UBND');
            INSERT INTO compliance_evaluations (evaluated_at, window_kind, window_start, window_end, province_code, district_code, access, technology,
                target_id, metric, statistic, value, threshold, samples, status)
            VALUES ('{evaluated}', 'rolling', '{evaluated}', '{evaluated}', '42', '445', 'fixed', '', 2, 'download', 'mean', 100, 150, 300, 'below'),
                   ('{evaluated}', 'month', '{evaluated}', '{evaluated}', '42', '445', 'fixed', '', 2, 'download', 'mean', 100, 150, 300, 'below');
            INSERT INTO alert_streaks (kind, scope_key, consecutive_below, last_evaluated_at) VALUES ('district_below', '445/fixed/*', 2, '{evaluated}');
            INSERT INTO alerts (kind, scope_key, province_code, district_code, access, technology, state, summary, value, threshold, opened_at)
            VALUES ('district_below', '445/fixed/*', '42', '445', 'fixed', '', 'open', 'District 445 fixed below', 100, 150, '{evaluated}');
            """);
        await using var command = db.DataSource.CreateCommand(sql.ToString());
        await command.ExecuteNonQueryAsync();
    }
}
