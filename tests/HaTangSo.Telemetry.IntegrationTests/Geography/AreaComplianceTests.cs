using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using HaTangSo.Telemetry.IntegrationTests.Compliance;
using HaTangSo.Telemetry.Server.Alerts;
using HaTangSo.Telemetry.Server.Compliance;
using HaTangSo.Telemetry.Testing;

namespace HaTangSo.Telemetry.IntegrationTests.Geography;

/// <summary>
/// Areas end to end on real PostgreSQL, InfluxDB and Mosquitto: probes registered with old codes, targets bound to the
/// territory they were written for, verdicts and alerts per former district and per commune from the same points, and
/// verdicts that follow an area change or a catalogue reload while the raw points stay as written.
/// </summary>
public sealed class AreaComplianceTests(PostgresFixture postgres, InfluxDbFixture influx)
{
    private static readonly DateTimeOffset s_now = new(2026, 3, 10, 0, 30, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset s_windowEnd = new(2026, 3, 10, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_probe_registered_with_an_old_code_lands_in_its_2025_commune_and_a_split_commune_is_refused_with_the_candidates()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var context = await ComplianceTestContext.CreateAsync(postgres, influx, s_now, ct);
        var server = await context.StartInstanceAsync(ct);

        // 18412 was Xã Hồng Lộc (Huyện Thạch Hà) until 1 July 2025; it is part of today's 18409 Xã Hồng Lộc.
        using var translated = await server.Http.PutAsJsonAsync("/api/probes/ht-hong-loc-01", Body("18412"), ct);
        Assert.Equal(HttpStatusCode.OK, translated.StatusCode);
        var placement = await translated.Content.ReadFromJsonAsync<JsonElement>(ct);
        Assert.Equal("18409", placement.GetProperty("communeCode").GetString());
        Assert.Equal("Xã Hồng Lộc", placement.GetProperty("communeName").GetString());
        Assert.Equal("18412", placement.GetProperty("formerCommuneCode").GetString());
        Assert.Equal("445", placement.GetProperty("formerDistrictCode").GetString());
        Assert.True(placement.GetProperty("translated").GetBoolean());
        var probe = await server.Http.GetFromJsonAsync<JsonElement>("/api/probes/ht-hong-loc-01", ct);
        Assert.Equal(("42", "445", "18409"), (probe.GetProperty("provinceCode").GetString(), probe.GetProperty("districtCode").GetString(),
            probe.GetProperty("communeCode").GetString()));

        // A 2025 code is taken as it is.
        using var current = await server.Http.PutAsJsonAsync("/api/probes/ht-tan-loc-01", Body("18409"), ct);
        Assert.Equal(HttpStatusCode.NoContent, current.StatusCode);

        // Xã Chiềng Bôm (Huyện Thuận Châu, Sơn La) was split: the operator picks one of the communes listed. (A split old
        // code that a 2025 commune kept, such as 20200, is that 2025 commune.)
        using var split = await server.Http.PutAsJsonAsync("/api/probes/sl-chieng-bom-01", Body("03766"), ct);
        Assert.Equal(HttpStatusCode.BadRequest, split.StatusCode);
        var problem = await split.Content.ReadFromJsonAsync<JsonElement>(ct);
        Assert.Contains("split", problem.GetProperty("errors").GetProperty("communeCode")[0].GetString(), StringComparison.Ordinal);
        Assert.Equal(["03721", "03784"], problem.GetProperty("candidates").EnumerateArray().Select(c => c.GetProperty("code").GetString()!).Order().ToArray());
        Assert.Equal(HttpStatusCode.NotFound, (await server.Http.GetAsync("/api/probes/sl-chieng-bom-01", ct)).StatusCode);

        using var unknown = await server.Http.PutAsJsonAsync("/api/probes/xx-unknown-01", Body("99999"), ct);
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Contains("communeCode", await unknown.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plans_apply_to_the_territory_they_were_written_for_and_verdicts_and_alerts_come_per_former_district_and_per_commune()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var context = await ComplianceTestContext.CreateAsync(postgres, influx, s_now, ct);
        var server = await context.StartInstanceAsync(ct);
        var from = s_windowEnd.AddDays(-7);
        // Hà Tĩnh, former district Thạch Hà (445): Hồng Lộc slow, Thạch Hà fast; the district's mean (180) is above 150, not surely.
        await context.WriteResultsAsync("445", "18409", "p-hong-loc", "fixed", from, s_windowEnd, 168, _ => 100, ct);
        await context.WriteResultsAsync("445", "18562", "p-thach-ha", "fixed", from, s_windowEnd, 168, _ => 260, ct);
        // Today's Phú Thọ: Phường Việt Trì came from old Phú Thọ (3927/KH-UBND), Xã Lập Thạch from Vĩnh Phúc.
        await context.WriteResultsAsync("227", "07900", "p-viet-tri", "fixed", from, s_windowEnd, 168, _ => 250, ct, province: "25");
        await context.WriteResultsAsync("246", "08761", "p-lap-thach", "fixed", from, s_windowEnd, 168, _ => 250, ct, province: "25");

        await RunComplianceAsync(server, ct);
        context.Advance(TimeSpan.FromHours(1));
        await RunComplianceAsync(server, ct);

        var haTinh = (await server.Http.GetFromJsonAsync<JsonElement[]>("/api/compliance/42", ct))!;
        var district = Row(haTinh, "former-district", "445", "fixed");
        // One result an hour per probe: the second hour's 7-day window has 167 of each probe's 168. Two links, one at 100
        // and one at 260: the probe-weighted value is 180, but its 95 % interval over links (100–260) straddles 150.
        Assert.Equal(("inconclusive", 334, 180.0), (district.GetProperty("status").GetString(), district.GetProperty("samples").GetInt32(), district.GetProperty("value").GetDouble()));
        Assert.Equal("445", district.GetProperty("districtCode").GetString());
        Assert.Equal("Huyện Thạch Hà", district.GetProperty("areaName").GetString());
        Assert.Equal(("below", 100.0), (Row(haTinh, "commune", "18409", "fixed").GetProperty("status").GetString(), Row(haTinh, "commune", "18409", "fixed").GetProperty("value").GetDouble()));
        Assert.Equal("met", Row(haTinh, "commune", "18562", "fixed").GetProperty("status").GetString());
        var communesOnly = (await server.Http.GetFromJsonAsync<JsonElement[]>("/api/compliance/42?area=commune", ct))!;
        Assert.All(communesOnly, r => Assert.Equal("commune", r.GetProperty("areaKind").GetString()));
        // Only communes with results have a row (most of Hà Tĩnh's 69 have no probe here).
        Assert.Equal(["18409", "18562"], communesOnly.Select(r => r.GetProperty("areaCode").GetString()!).Distinct().Order(StringComparer.Ordinal));

        // The same points, two evaluations below: the commune's alert opens (area_below), the district's does not.
        var open = (await server.Http.GetFromJsonAsync<JsonElement[]>("/api/alerts", ct))!;
        var alert = Assert.Single(open);
        Assert.Equal(("area_below", "commune", "18409"), (alert.GetProperty("kind").GetString(), alert.GetProperty("areaKind").GetString(), alert.GetProperty("areaCode").GetString()));
        Assert.StartsWith("Xã Hồng Lộc (Xã/phường 18409)", alert.GetProperty("summary").GetString(), StringComparison.Ordinal);
        Assert.Equal(AlertKind.AreaBelow, Assert.Single(context.Webhook.Received).GetProperty("alert").GetProperty("kind").GetString());

        // 3927/KH-UBND was written for Phú Thọ before the merger: it applies to Việt Trì, not to Lập Thạch (Vĩnh Phúc).
        var phuTho = (await server.Http.GetFromJsonAsync<JsonElement[]>("/api/compliance/25", ct))!;
        var vietTri = Row(phuTho, "commune", "07900", "fixed");
        Assert.Equal(("met", 200.0), (vietTri.GetProperty("status").GetString(), vietTri.GetProperty("threshold").GetDouble()));
        Assert.StartsWith("3927/KH-UBND", vietTri.GetProperty("targetSource").GetString(), StringComparison.Ordinal);
        Assert.Equal("met", Row(phuTho, "former-district", "227", "fixed").GetProperty("status").GetString());
        Assert.Equal("no_target", Row(phuTho, "commune", "08761", "fixed").GetProperty("status").GetString());
        Assert.Equal("no_target", Row(phuTho, "former-district", "246", "fixed").GetProperty("status").GetString());

        // A target for today's whole province is one call away; the plan's own scope stays the more specific one.
        using var created = await server.Http.PostAsJsonAsync("/api/targets", new
        {
            provinceCode = "25", areaKind = "province", areaCode = "25", access = "fixed", metric = "download", statistic = "mean",
            threshold = 120.0, validFrom = "2026-01-01", source = "Kế hoạch thử nghiệm (test) cho toàn tỉnh",
        }, ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        using var badArea = await server.Http.PostAsJsonAsync("/api/targets", new
        {
            provinceCode = "25", areaKind = "former-district", areaCode = "445", access = "fixed", metric = "download", statistic = "mean",
            threshold = 120.0, validFrom = "2026-01-01", source = "wrong province",
        }, ct);
        Assert.Equal(HttpStatusCode.BadRequest, badArea.StatusCode);
        Assert.Contains("areaCode", await badArea.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        context.Advance(TimeSpan.FromHours(1));
        await RunComplianceAsync(server, ct);
        phuTho = (await server.Http.GetFromJsonAsync<JsonElement[]>("/api/compliance/25", ct))!;
        Assert.Equal(("met", 120.0), (Row(phuTho, "commune", "08761", "fixed").GetProperty("status").GetString(), Row(phuTho, "commune", "08761", "fixed").GetProperty("threshold").GetDouble()));
        Assert.Equal(200.0, Row(phuTho, "commune", "07900", "fixed").GetProperty("threshold").GetDouble());

        // The compliance points carry the area (Grafana reads them).
        var points = await context.Influx.QueryRowsAsync("SELECT last(\"value\") FROM \"compliance\" WHERE \"area_kind\" = 'commune' AND \"area\" = '18409' AND \"window\" = 'rolling' AND \"operator\" = 'all'", ct);
        Assert.Equal(100.0, Assert.Single(points)["last"].GetDouble());
    }

    [Fact]
    public async Task Moving_a_commune_to_another_area_or_reloading_the_catalogue_changes_the_next_verdicts_and_not_the_raw_points()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var context = await ComplianceTestContext.CreateAsync(postgres, influx, s_now, ct);
        context.Config["Compliance:EvaluationLevels"] = "former-district,custom";
        var server = await context.StartInstanceAsync(ct);
        var from = s_windowEnd.AddDays(-7);
        await context.WriteResultsAsync("445", "18409", "p-hong-loc", "fixed", from, s_windowEnd, 168, _ => 100, ct);
        await context.WriteResultsAsync("436", "18073", "p-thanh-sen", "fixed", from, s_windowEnd, 168, _ => 260, ct);
        const string RawCount = "SELECT count(\"download_mbps\") FROM \"speedtest\"";
        var rawBefore = await context.Influx.QueryRowsAsync(RawCount + " GROUP BY *", ct);

        using (var area = await server.Http.PostAsJsonAsync("/api/areas", new { code = "vung-thu", provinceCode = "42", name = "Vùng thử nghiệm", communes = new[] { "18409" } }, ct))
        {
            Assert.Equal(HttpStatusCode.Created, area.StatusCode);
        }

        using (var target = await server.Http.PostAsJsonAsync("/api/targets", new
        {
            provinceCode = "42", areaKind = "custom", areaCode = "vung-thu", access = "fixed", metric = "download", statistic = "mean",
            threshold = 150.0, validFrom = "2026-01-01", source = "Chỉ tiêu thử nghiệm",
        }, ct))
        {
            Assert.Equal(HttpStatusCode.Created, target.StatusCode);
        }

        await RunComplianceAsync(server, ct);
        var rows = (await server.Http.GetFromJsonAsync<JsonElement[]>("/api/compliance/42", ct))!;
        Assert.Equal(("below", 100.0), (Row(rows, "custom", "vung-thu", "fixed").GetProperty("status").GetString(), Row(rows, "custom", "vung-thu", "fixed").GetProperty("value").GetDouble()));
        Assert.Equal(168, Row(rows, "former-district", "445", "fixed").GetProperty("samples").GetInt32());
        Assert.Equal(168, Row(rows, "former-district", "436", "fixed").GetProperty("samples").GetInt32());

        // The area now holds Thành Sen instead: the next hour's verdict follows.
        using (var moved = await server.Http.PutAsJsonAsync("/api/areas/custom/vung-thu", new { provinceCode = "42", name = "Vùng thử nghiệm", communes = new[] { "18073" } }, ct))
        {
            Assert.Equal(HttpStatusCode.Created, moved.StatusCode);
        }

        context.Advance(TimeSpan.FromHours(1));
        await RunComplianceAsync(server, ct);
        rows = (await server.Http.GetFromJsonAsync<JsonElement[]>("/api/compliance/42", ct))!;
        Assert.Equal(("met", 260.0), (Row(rows, "custom", "vung-thu", "fixed").GetProperty("status").GetString(), Row(rows, "custom", "vung-thu", "fixed").GetProperty("value").GetDouble()));

        // A catalogue in which old 18409 belonged to Thành phố Hà Tĩnh (436): after the reload, today's 18409 counts there.
        using var directory = new TempDirectory("hts-catalogue");
        CatalogueDatabase.WriteMovedCatalogue(directory.Path, "18409", "436");
        await context.StopInstanceAsync(server);
        context.Config["Registry:CatalogueDirectory"] = directory.Path;
        server = await context.StartInstanceAsync(ct);
        context.Advance(TimeSpan.FromHours(1));
        await RunComplianceAsync(server, ct);
        rows = (await server.Http.GetFromJsonAsync<JsonElement[]>("/api/compliance/42?area=former-district", ct))!;
        var thanhPho = Row(rows, "former-district", "436", "fixed");
        Assert.Equal((332, 180.0), (thanhPho.GetProperty("samples").GetInt32(), thanhPho.GetProperty("value").GetDouble())); // third hour: 166 each
        Assert.Equal(0, Row(rows, "former-district", "445", "fixed").GetProperty("samples").GetInt32());

        // ... and the raw points are exactly as written: same series, same counts.
        var rawAfter = await context.Influx.QueryRowsAsync(RawCount + " GROUP BY *", ct);
        Assert.Equal(rawBefore.Select(r => r["count"].GetInt64()), rawAfter.Select(r => r["count"].GetInt64()));
        Assert.Equal(336, rawAfter.Sum(r => r["count"].GetInt64()));
    }

    private static object Body(string commune) => new
    {
        communeCode = commune,
        scheduleMinutes = 15,
        links = new object[] { new { name = "fixed", access = "fixed", @operator = "VNPT", technology = "ftth", advertisedDownloadMbps = 150 } },
    };

    private static async Task RunComplianceAsync(ServerInstance server, CancellationToken ct)
    {
        await server.Get<ComplianceJob>().RunAsync(ct);
        await server.Get<NotificationDispatcher>().RunAsync(ct);
    }

    private static JsonElement Row(JsonElement[] rows, string kind, string code, string access) =>
        rows.Single(r => r.GetProperty("areaKind").GetString() == kind && r.GetProperty("areaCode").GetString() == code && r.GetProperty("access").GetString() == access);
}
