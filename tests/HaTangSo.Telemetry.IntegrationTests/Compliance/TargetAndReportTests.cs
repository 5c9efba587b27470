using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using HaTangSo.Telemetry.Server.Compliance;
using HaTangSo.Telemetry.Server.Reports;
using HaTangSo.Telemetry.Testing;

namespace HaTangSo.Telemetry.IntegrationTests.Compliance;

/// <summary>Targets as data (seeded plans, a target starting mid-window, edits through the API) and the monthly report.</summary>
public sealed class TargetAndReportTests(PostgresFixture postgres, InfluxDbFixture influx)
{
    [Fact]
    public async Task A_target_whose_year_begins_mid_window_is_applied_from_its_start_date()
    {
        var ct = TestContext.Current.CancellationToken;
        // 3 January 2025, 12:00 Vietnam time: the 7-day window starts on 27 December 2024, before Hà Tĩnh's 2025 targets.
        var now = new DateTimeOffset(2025, 1, 3, 5, 0, 0, TimeSpan.Zero);
        await using var context = await ComplianceTestContext.CreateAsync(postgres, influx, now, ct);
        var server = await context.StartInstanceAsync(ct);
        var planStart = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.FromHours(7));
        // Mobile in Thạch Hà: 20 Mb/s in the last days of 2024, 80 Mb/s from the first of January (target 71).
        await context.WriteResultsAsync("445", "18409", "p1", "mobile", now.AddDays(-7), planStart, 100, _ => 20, ct);
        await context.WriteResultsAsync("445", "18409", "p1", "mobile", planStart, now, 100, i => 75 + (i % 11), ct);

        var seeded = await server.Http.GetFromJsonAsync<JsonElement[]>("/api/targets?province=42", ct);
        Assert.Equal(3, seeded!.Length);
        Assert.Contains(seeded, t => t.GetProperty("access").GetString() == "mobile" && t.GetProperty("threshold").GetDouble() == 71);
        Assert.Empty((await server.Http.GetFromJsonAsync<JsonElement[]>("/api/targets?province=12", ct))!); // Lai Châu: no numeric target

        await server.Get<ComplianceJob>().RunAsync(ct);
        var rows = await server.Http.GetFromJsonAsync<JsonElement[]>("/api/compliance/42/445?window=rolling", ct);
        var mobile = rows!.Single(r => r.GetProperty("access").GetString() == "mobile");
        var expected = context.Written.Where(r => r.Time >= planStart).Average(r => r.Download);
        Assert.Equal("met", mobile.GetProperty("status").GetString());
        Assert.Equal(expected, mobile.GetProperty("value").GetDouble(), 6);
        Assert.Equal(100, mobile.GetProperty("samples").GetInt32());
        Assert.Equal(planStart, mobile.GetProperty("windowStart").GetDateTimeOffset());

        // Lai Châu has no target: the system says so rather than inventing one.
        var laiChau = await server.Http.GetFromJsonAsync<JsonElement[]>("/api/compliance/12", ct);
        Assert.NotEmpty(laiChau!);
        Assert.All(laiChau!, r => Assert.Equal("no_target", r.GetProperty("status").GetString()));
    }

    [Fact]
    public async Task Targets_are_edited_through_the_api_and_bad_ones_are_refused_with_the_field_named()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var context = await ComplianceTestContext.CreateAsync(postgres, influx, new DateTimeOffset(2026, 5, 1, 0, 0, 0, TimeSpan.Zero), ct);
        var server = await context.StartInstanceAsync(ct);
        var target = new
        {
            provinceCode = "12", districtCode = (string?)null, access = "mobile", technology = (string?)"5g", metric = "download", statistic = "median",
            threshold = 100.0, validFrom = "2026-01-01", source = "test plan",
        };
        using var created = await server.Http.PostAsJsonAsync("/api/targets", target, ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("id").GetInt32();

        using var bad = await server.Http.PostAsJsonAsync("/api/targets", target with { statistic = "p150" }, ct);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("statistic", await bad.Content.ReadAsStringAsync(ct));
        using var unknown = await server.Http.PostAsJsonAsync("/api/targets", target with { provinceCode = "99" }, ct);
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);

        using var updated = await server.Http.PutAsJsonAsync($"/api/targets/{id}", target with { threshold = 120.0 }, ct);
        Assert.Equal(HttpStatusCode.NoContent, updated.StatusCode);
        using var imported = await server.Http.PostAsJsonAsync("/api/targets/import", new[] { target with { threshold = 130.0 }, target with { access = "fixed", technology = (string?)null } }, ct);
        Assert.Equal("""{"added":1,"updated":1}""", await imported.Content.ReadAsStringAsync(ct));
        using var retired = await server.Http.PostAsync($"/api/targets/{id}/retire", null, ct);
        Assert.Equal(HttpStatusCode.NoContent, retired.StatusCode);
        var active = await server.Http.GetFromJsonAsync<JsonElement[]>("/api/targets?province=12", ct);
        Assert.Equal("fixed", Assert.Single(active!).GetProperty("access").GetString());
        var all = await server.Http.GetFromJsonAsync<JsonElement[]>("/api/targets?province=12&includeRetired=true", ct);
        Assert.Equal(130, all!.Single(t => t.GetProperty("id").GetInt32() == id).GetProperty("threshold").GetDouble());

        using var anonymous = new HttpClient { BaseAddress = server.Http.BaseAddress };
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/targets", ct)).StatusCode);
        anonymous.DefaultRequestHeaders.Add("X-Api-Key", ServerInstance.ViewerKey);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/api/targets", ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await anonymous.PostAsJsonAsync("/api/targets", target, ct)).StatusCode);
        var openApi = await anonymous.GetFromJsonAsync<JsonElement>("/openapi/v1.json", ct);
        Assert.True(openApi.GetProperty("paths").TryGetProperty("/api/targets", out _));
    }

    [Fact]
    public async Task Monthly_report_figures_equal_those_computed_from_the_raw_points()
    {
        var ct = TestContext.Current.CancellationToken;
        var now = new DateTimeOffset(2026, 3, 2, 0, 0, 0, TimeSpan.Zero);
        await using var context = await ComplianceTestContext.CreateAsync(postgres, influx, now, ct);
        var server = await context.StartInstanceAsync(ct);
        await ComplianceTestContext.RegisterProbeAsync(server, "p-a", "18409", 150, ct);
        await ComplianceTestContext.RegisterProbeAsync(server, "p-b", "18073", 150, ct);
        await ComplianceTestContext.RegisterProbeAsync(server, "p-silent", "18115", 150, ct);
        await context.ExecuteSqlAsync("UPDATE probes SET created_at = '2026-01-15T00:00:00Z'", ct); // registered before the month

        // February 2026 in Vietnam time, and results just outside it that must not count.
        var from = new DateTimeOffset(2026, 2, 1, 0, 0, 0, TimeSpan.FromHours(7));
        var to = new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.FromHours(7));
        var random = new Random(42);
        await context.WriteResultsAsync("445", "18409", "p-a", "fixed", from, to, 2688, _ => 80 + (random.NextDouble() * 120), ct);
        await context.WriteResultsAsync("445", "18409", "p-a", "mobile", from, to, 2688, _ => 40 + (random.NextDouble() * 60), ct);
        await context.WriteResultsAsync("436", "18073", "p-b", "fixed", from, to, 2688, _ => 150 + (random.NextDouble() * 100), ct);
        await context.WriteResultsAsync("436", "18073", "p-b", "fixed", from.AddHours(-2), from, 10, _ => 1, ct);
        await context.WriteResultsAsync("436", "18073", "p-b", "fixed", to, to.AddHours(2), 10, _ => 1, ct);
        // In the month but flagged CPU-bound by the probe: in no figure of the report.
        // (A probe of their own: a point with the same series and time as another would replace it in InfluxDB.)
        await context.WriteResultsAsync("445", "18409", "p-a-cpu", "fixed", from, to, 50, _ => 1, ct, cpuBound: true);

        using var generated = await server.Http.PostAsync("/api/reports/42/2026-02", null, ct);
        Assert.Equal(HttpStatusCode.OK, generated.StatusCode);
        var report = await generated.Content.ReadFromJsonAsync<JsonElement>(ct);
        var inMonth = context.Written.Where(r => r.Time >= from && r.Time < to).ToList();
        foreach (var (district, access) in new[] { ("445", "fixed"), ("445", "mobile"), ("436", "fixed") })
        {
            var raw = inMonth.Where(r => r.District == district && r.Access == access).Select(r => r.Download).ToList();
            var row = report.GetProperty("rows").EnumerateArray().Single(r => r.GetProperty("districtCode").GetString() == district
                && r.GetProperty("access").GetString() == access && r.GetProperty("operator").GetString() == "all");
            Assert.Equal(raw.Average(), row.GetProperty("value").GetDouble(), 9);
            Assert.Equal(raw.Count, row.GetProperty("samples").GetInt32());
            var threshold = access == "fixed" ? 150 : 71;
            var (low, high) = (row.GetProperty("ciLow").GetDouble(), row.GetProperty("ciHigh").GetDouble());
            Assert.InRange(raw.Average(), low, high);
            Assert.Equal(low >= threshold ? "met" : high < threshold ? "below" : "inconclusive", row.GetProperty("status").GetString());
        }

        var silent = report.GetProperty("silentProbes").EnumerateArray().Select(p => p.GetProperty("probeId").GetString()).ToList();
        Assert.Equal(["p-silent"], silent);

        // The stored files: the XLSX cells and the CSV hold the same figures; the chart is a PNG.
        var list = await server.Http.GetFromJsonAsync<JsonElement[]>("/api/reports?province=42", ct);
        Assert.Equal("2026-02", Assert.Single(list!).GetProperty("month").GetString());
        var xlsx = await server.Http.GetByteArrayAsync("/api/reports/42/2026-02.xlsx", ct);
        using (var workbook = new XlsxReader(xlsx))
        {
            // Vietnamese headers on row 3, English on row 4; one row per area × access × operator (all first).
            var sheet = workbook.Rows(MonthlyReport.ComplianceSheet);
            Assert.Equal(("Tên vùng", "Area name"), (sheet[1]["C"], sheet[2]["C"]));
            var cells = sheet.Single(r => r.GetValueOrDefault("A") == "former-district" && r.GetValueOrDefault("B") == "445"
                && r.GetValueOrDefault("D") == "cố định" && r.GetValueOrDefault("F") == "mọi nhà mạng");
            var raw = inMonth.Where(r => r.District == "445" && r.Access == "fixed").Select(r => r.Download).ToList();
            Assert.Equal(raw.Average(), double.Parse(cells["I"], CultureInfo.InvariantCulture), 9);
            Assert.Equal(raw.Count, int.Parse(cells["P"], CultureInfo.InvariantCulture));
            Assert.Equal("p-silent", workbook.Rows(MonthlyReport.SilentSheet)[2]["A"]);
            Assert.Equal(1, workbook.Pictures(MonthlyReport.ComplianceSheet));
        }

        var csv = await server.Http.GetStringAsync("/api/reports/42/2026-02.csv", ct);
        var average436 = inMonth.Where(r => r.District == "436" && r.Access == "fixed").Average(r => r.Download);
        // Machine fields stay invariant in the CSV; the value is merged from link summaries, so equal to within rounding.
        var line436 = csv.Split('\n').Single(l => l.StartsWith("former-district,436,", StringComparison.Ordinal) && l.Contains(",cố định,", StringComparison.Ordinal)
            && l.Contains(",mọi nhà mạng,", StringComparison.Ordinal));
        Assert.Contains(line436.Split(','), cell => double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && Math.Abs(v - average436) < 1e-9);
        var png = await server.Http.GetByteArrayAsync("/api/reports/42/2026-02.png", ct);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
    }
}
