using System.Net.Http.Json;
using System.Text.Json;
using HaTangSo.Telemetry.Server.Alerts;
using HaTangSo.Telemetry.Server.Compliance;
using HaTangSo.Telemetry.Testing;

namespace HaTangSo.Telemetry.IntegrationTests.Compliance;

/// <summary>
/// Issue 13 through real InfluxDB and PostgreSQL: per-operator rows beside the all-operator row, the busy-hour window,
/// no alert on <c>inconclusive</c>, and (issue 18.3) a target planted past the API that is skipped and shown while every
/// other verdict is written; then the open data of the month. One context: every check reads the same seeded week.
/// </summary>
public sealed class VerdictTests(PostgresFixture postgres, InfluxDbFixture influx)
{
    // Thạch Hà (445): a VNPT fixed link near 100 Mb/s and a Viettel one near 200 (target 150): one below, one above,
    // and the probe-weighted district value straddles 150. Thành phố Hà Tĩnh (436): a mobile link at 90 Mb/s all day
    // and 30 in the busy hours 19:00–23:00 Vietnam time (target 71).
    private const string OperatorsDistrict = "445";
    private const string OperatorsCommune = "18409";
    private const string BusyDistrict = "436";
    private const string BusyCommune = "18073";

    [Fact]
    public async Task Operators_busy_hours_and_inconclusive_verdicts_are_seen_and_a_planted_target_stops_nothing_else()
    {
        var ct = TestContext.Current.CancellationToken;
        var now = new DateTimeOffset(2026, 3, 10, 0, 30, 0, TimeSpan.Zero);
        await using var context = await ComplianceTestContext.CreateAsync(postgres, influx, now, ct);
        context.Config["Compliance:EvaluationLevels"] = "former-district";
        var server = await context.StartInstanceAsync(ct);
        // What was bought: the VNPT line is sold as 200 Mb/s; the Viettel line's advertised speed is not known.
        await RegisterAsync(server, "p-vnpt", "VNPT", 200, ct);
        await RegisterAsync(server, "p-viettel", "Viettel", null, ct);
        var windowEnd = new DateTimeOffset(2026, 3, 10, 0, 0, 0, TimeSpan.Zero);
        var windowStart = windowEnd.AddDays(-7);
        // Every 15 minutes from two hours into the window, so the windows of the three evaluations below all hold every result.
        var dataStart = windowStart.AddHours(2);
        const int count = (7 * 24 * 4) - 8;
        var step = TimeSpan.FromMinutes(15);
        await context.WriteResultsAsync(OperatorsDistrict, OperatorsCommune, "p-vnpt", "fixed", dataStart, windowEnd, count, i => 95 + (i % 11), ct);
        await context.WriteResultsAsync(OperatorsDistrict, OperatorsCommune, "p-viettel", "fixed", dataStart, windowEnd, count, i => 195 + (i % 11), ct,
            @operator: "Viettel");
        await context.WriteResultsAsync(BusyDistrict, BusyCommune, "p-busy", "mobile", dataStart, windowEnd, count,
            i => IsBusyHour(dataStart + (step * i)) ? 30 : 90, ct);
        // In February (Vietnam time) and before the window: in no verdict and not in March's open data.
        await context.WriteResultsAsync(BusyDistrict, BusyCommune, "p-busy", "mobile", new(2026, 2, 28, 10, 0, 0, TimeSpan.Zero), new(2026, 2, 28, 11, 0, 0, TimeSpan.Zero), 4, _ => 90, ct);

        // A target planted straight into PostgreSQL with a technology line protocol cannot carry (issue 18's first case).
        await context.ExecuteSqlAsync("""
            INSERT INTO targets (province_code, district_code, access, technology, metric, statistic, share_value, threshold, valid_from, valid_to,
                                 source, area_kind, area_code, catalogue_version, operator, weighting)
            SELECT province_code, district_code, access, E'5g\\', metric, statistic, share_value, threshold, valid_from, valid_to,
                   'planted', area_kind, area_code, catalogue_version, operator, weighting
            FROM targets WHERE province_code = '42' AND access = 'mobile' ORDER BY id LIMIT 1
            """, ct);
        var planted = Convert.ToInt64(await context.ScalarAsync("SELECT id FROM targets WHERE source = 'planted'", ct), System.Globalization.CultureInfo.InvariantCulture);

        // Three hourly evaluations: enough for an alert (two consecutive "below") had any row deserved one.
        for (var hour = 0; hour < 3; hour++)
        {
            await server.Get<ComplianceJob>().RunAsync(ct);
            await server.Get<NotificationDispatcher>().RunAsync(ct);
            context.Advance(TimeSpan.FromHours(1));
        }

        var rolling = (await server.Http.GetFromJsonAsync<JsonElement[]>("/api/compliance/42?window=rolling&operator=*", ct))!;
        var vnpt = Row(rolling, OperatorsDistrict, "fixed", "VNPT");
        var viettel = Row(rolling, OperatorsDistrict, "fixed", "Viettel");
        var all = Row(rolling, OperatorsDistrict, "fixed", "all");
        Assert.Equal(("below", "met", "inconclusive"), (Status(vnpt), Status(viettel), Status(all)));
        Assert.Equal(Mean(context, "p-vnpt"), vnpt.GetProperty("value").GetDouble(), 6);
        Assert.Equal(Mean(context, "p-viettel"), viettel.GetProperty("value").GetDouble(), 6);
        // Probe-weighted: each link counts once, whatever its number of results.
        Assert.Equal((Mean(context, "p-vnpt") + Mean(context, "p-viettel")) / 2, all.GetProperty("value").GetDouble(), 6);
        Assert.Equal(2, all.GetProperty("links").GetInt32());
        Assert.True(all.GetProperty("ciLow").GetDouble() < 150 && all.GetProperty("ciHigh").GetDouble() >= 150);
        Assert.Equal(count, vnpt.GetProperty("samples").GetInt32());

        // The operator ranking of Thạch Hà's fixed lines: Viettel first, each with its samples and links.
        var ranking = (await server.Http.GetFromJsonAsync<JsonElement[]>("/api/compliance/42/operators?area=former-district", ct))!;
        var ranked = ranking.Single(r => r.GetProperty("areaCode").GetString() == OperatorsDistrict && r.GetProperty("access").GetString() == "fixed")
            .GetProperty("operators").EnumerateArray().ToList();
        Assert.Equal(["Viettel", "VNPT"], ranked.Select(r => r.GetProperty("operator").GetString()!).ToArray());
        Assert.All(ranked, r => Assert.Equal((count, 1), (r.GetProperty("samples").GetInt32(), r.GetProperty("links").GetInt32())));

        // QCVN 34 against what was bought: the VNPT line gives half its 200 Mb/s (mean, median and the speed 80 % of tests
        // reach); the Viettel line is reported without an advertised speed, never guessed; the district's share counts
        // the judged link only.
        var qcvn = (await server.Http.GetFromJsonAsync<JsonElement[]>("/api/compliance/qcvn34", ct))!;
        var sold = qcvn.Single(q => q.GetProperty("probeId").GetString() == "p-vnpt");
        Assert.Equal("below", sold.GetProperty("status").GetString());
        Assert.Equal(100 * Mean(context, "p-vnpt") / 200, sold.GetProperty("meanPct").GetDouble(), 6);
        Assert.InRange(sold.GetProperty("medianPct").GetDouble(), 49, 51);
        Assert.InRange(sold.GetProperty("p80Of80Pct").GetDouble(), 47, 50);
        var unknown = qcvn.Single(q => q.GetProperty("probeId").GetString() == "p-viettel");
        Assert.Equal(("no_advertised_speed", JsonValueKind.Null), (unknown.GetProperty("status").GetString(), unknown.GetProperty("meanPct").ValueKind));
        var shares = (await server.Http.GetFromJsonAsync<JsonElement[]>("/api/compliance/42/qcvn34", ct))!;
        var share = shares.Single(q => q.GetProperty("areaKind").GetString() == "former-district" && q.GetProperty("areaCode").GetString() == OperatorsDistrict
            && q.GetProperty("operator").GetString() == "all");
        Assert.Equal((0, 1, 1, 0.0), (share.GetProperty("linksMet").GetInt32(), share.GetProperty("linksBelow").GetInt32(),
            share.GetProperty("linksNoAdvertised").GetInt32(), share.GetProperty("sharePct").GetDouble()));

        // Busy hours: degraded evenings are seen in the busy window, not in the whole day.
        var busy = (await server.Http.GetFromJsonAsync<JsonElement[]>("/api/compliance/42?window=busy", ct))!;
        Assert.Equal("met", Status(Row(rolling, BusyDistrict, "mobile", "all")));
        var evening = Row(busy, BusyDistrict, "mobile", "all");
        Assert.Equal("below", Status(evening));
        Assert.Equal(30, evening.GetProperty("value").GetDouble(), 9);
        Assert.Equal(7 * 4 * 4, evening.GetProperty("samples").GetInt32()); // 19:00–23:00 of seven days
        Assert.Equal(context.Written.Count(r => r.Probe == "p-busy" && IsBusyHour(r.Time)), evening.GetProperty("samples").GetInt32());

        // No alert on inconclusive (nor on an operator row judged against the general target); the planted target is
        // skipped, shown as job_item_failed with its id, and every other verdict was written.
        var open = (await server.Http.GetFromJsonAsync<JsonElement[]>("/api/alerts?state=open", ct))!;
        var failed = Assert.Single(open);
        Assert.Equal("job_item_failed", failed.GetProperty("kind").GetString());
        Assert.Contains($"target {planted}", failed.GetProperty("summary").GetString(), StringComparison.Ordinal);
        Assert.Contains("technology", failed.GetProperty("summary").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(rolling, r => r.GetProperty("technology").GetString()!.Contains('\\', StringComparison.Ordinal));

        // Open data of March: exactly the month's results (Vietnam time), no probe id, no link name.
        var csv = await server.Http.GetStringAsync("/api/open-data/42/2026-03.csv", ct);
        var lines = csv.TrimStart('\uFEFF').Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("province_code,commune_code,commune_name,", lines[0], StringComparison.Ordinal);
        var march = context.Written.Count(r => r.Time >= new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.FromHours(7)));
        Assert.Equal(march, lines.Length - 1);
        Assert.Equal(3 * count, march);
        Assert.DoesNotContain("p-", csv, StringComparison.Ordinal);
        Assert.DoesNotContain("probe", lines[0], StringComparison.Ordinal);
    }

    private static async Task RegisterAsync(ServerInstance server, string probe, string @operator, double? advertised, CancellationToken ct)
    {
        var body = new
        {
            communeCode = OperatorsCommune,
            scheduleMinutes = 15,
            links = new object[] { new { name = "fixed", access = "fixed", @operator, technology = "ftth", advertisedDownloadMbps = advertised } },
        };
        using var response = await server.Http.PutAsJsonAsync($"/api/probes/{probe}", body, ct);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(ct));
    }

    private static bool IsBusyHour(DateTimeOffset time) => time.ToOffset(TimeSpan.FromHours(7)).Hour is >= 19 and < 23;

    private static double Mean(ComplianceTestContext context, string probe) =>
        context.Written.Where(r => r.Probe == probe).Average(r => r.Download);

    private static string? Status(JsonElement row) => row.GetProperty("status").GetString();

    private static JsonElement Row(JsonElement[] rows, string district, string access, string @operator) =>
        rows.Single(r => r.GetProperty("areaKind").GetString() == "former-district" && r.GetProperty("areaCode").GetString() == district
            && r.GetProperty("access").GetString() == access && r.GetProperty("operator").GetString() == @operator
            && r.GetProperty("technology").GetString() is "" or "all");
}
