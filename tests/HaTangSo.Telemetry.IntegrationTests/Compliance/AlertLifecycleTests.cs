using System.Net.Http.Json;
using System.Text.Json;
using HaTangSo.Telemetry.Server.Alerts;
using HaTangSo.Telemetry.Server.Compliance;
using HaTangSo.Telemetry.Testing;

namespace HaTangSo.Telemetry.IntegrationTests.Compliance;

/// <summary>
/// A district that falls below the plan's target raises one alert and one webhook notification, whatever number of
/// server instances evaluate and however they restart; recovery resolves it once. Real PostgreSQL, InfluxDB and
/// Mosquitto; the clock is fake, the jobs are run as Hangfire would run them.
/// </summary>
public sealed class AlertLifecycleTests(PostgresFixture postgres, InfluxDbFixture influx)
{
    // Hà Tĩnh: Thạch Hà (445) falls below the 2025 fixed target of 150 Mb/s; Thành phố Hà Tĩnh (436) meets it;
    // Hồng Lĩnh (437) has five results only.
    private const string BelowDistrict = "445";
    private const string BelowCommune = "18409";
    private const string MetDistrict = "436";
    private const string MetCommune = "18073";
    private const string SparseDistrict = "437";
    private const string SparseCommune = "18115";

    [Fact]
    public async Task Below_target_raises_one_alert_and_one_notification_across_restart_and_two_instances_then_resolves_once()
    {
        var ct = TestContext.Current.CancellationToken;
        var start = new DateTimeOffset(2026, 3, 10, 0, 30, 0, TimeSpan.Zero);
        await using var context = await ComplianceTestContext.CreateAsync(postgres, influx, start, ct);
        // Former districts only: this test is about one alert's life; AreaComplianceTests has districts and communes together.
        context.Config["Compliance:EvaluationLevels"] = "former-district";
        var a = await context.StartInstanceAsync(ct);
        var b = await context.StartInstanceAsync(ct);
        await ComplianceTestContext.RegisterProbeAsync(a, "p-below", BelowCommune, advertisedFixed: 150, ct);
        await ComplianceTestContext.RegisterProbeAsync(a, "p-met", MetCommune, advertisedFixed: 100, ct);
        await ComplianceTestContext.RegisterProbeAsync(a, "p-sparse", SparseCommune, advertisedFixed: 100, ct);
        var windowEnd = new DateTimeOffset(2026, 3, 10, 0, 0, 0, TimeSpan.Zero);
        var windowStart = windowEnd.AddDays(-7);
        await context.WriteResultsAsync(BelowDistrict, BelowCommune, "p-below", "fixed", windowStart, windowEnd, 168, i => 95 + (i % 11), ct);
        await context.WriteResultsAsync(MetDistrict, MetCommune, "p-met", "fixed", windowStart, windowEnd, 168, i => 155 + (i % 11), ct);
        await context.WriteResultsAsync(SparseDistrict, SparseCommune, "p-sparse", "fixed", windowStart, windowEnd, 5, _ => 10, ct);

        // Hour 1: both instances evaluate the same hour at once. Below once: no alert yet (K = 2).
        await Task.WhenAll(RunComplianceAsync(a, ct), RunComplianceAsync(b, ct));
        Assert.Empty(await OpenAlertsAsync(a, ct));
        var rows = await a.Http.GetFromJsonAsync<JsonElement[]>("/api/compliance/42?window=rolling", ct);
        var below = Row(rows!, BelowDistrict, "fixed");
        Assert.Equal("below", below.GetProperty("status").GetString());
        Assert.Equal(context.Written.Where(r => r.District == BelowDistrict).Average(r => r.Download), below.GetProperty("value").GetDouble(), 6);
        Assert.Equal(150, below.GetProperty("threshold").GetDouble());
        Assert.Equal(168, below.GetProperty("samples").GetInt32());
        Assert.Equal("met", Row(rows!, MetDistrict, "fixed").GetProperty("status").GetString());
        Assert.Equal("insufficient_data", Row(rows!, SparseDistrict, "fixed").GetProperty("status").GetString());
        Assert.Equal(5, Row(rows!, SparseDistrict, "fixed").GetProperty("samples").GetInt32());

        // Instance A restarts; hour 2 is evaluated by the new A and by B at once: the second "below" opens the alert.
        await context.StopInstanceAsync(a);
        context.Advance(TimeSpan.FromHours(1));
        a = await context.StartInstanceAsync(ct);
        await Task.WhenAll(RunComplianceAsync(a, ct), RunComplianceAsync(b, ct));
        // Hour 3, and hour 3 again (a Hangfire retry): still one alert, still one notification.
        context.Advance(TimeSpan.FromHours(1));
        await Task.WhenAll(RunComplianceAsync(a, ct), RunComplianceAsync(b, ct));
        await Task.WhenAll(RunComplianceAsync(a, ct), RunComplianceAsync(b, ct));

        var open = await OpenAlertsAsync(a, ct);
        var alert = Assert.Single(open);
        Assert.Equal("district_below", alert.GetProperty("kind").GetString());
        Assert.Equal(BelowDistrict, alert.GetProperty("districtCode").GetString());
        Assert.Equal("fixed", alert.GetProperty("access").GetString());
        Assert.Equal(windowEnd.AddHours(1), alert.GetProperty("openedAt").GetDateTimeOffset());
        var opened = Assert.Single(context.Webhook.Received);
        Assert.Equal("opened", opened.GetProperty("event").GetString());
        Assert.Equal(alert.GetProperty("id").GetInt64(), opened.GetProperty("alert").GetProperty("id").GetInt64());

        // The QCVN 34 rule: p-below's fixed line gives 100 of an advertised 150 (< 80%); p-met 160 of 100.
        var qcvn = await a.Http.GetFromJsonAsync<JsonElement[]>("/api/compliance/qcvn34", ct);
        Assert.Equal("below", qcvn!.Single(q => q.GetProperty("probeId").GetString() == "p-below").GetProperty("status").GetString());
        Assert.Equal("met", qcvn!.Single(q => q.GetProperty("probeId").GetString() == "p-met").GetProperty("status").GetString());
        Assert.Equal("insufficient_data", qcvn!.Single(q => q.GetProperty("probeId").GetString() == "p-sparse").GetProperty("status").GetString());

        // An operator acknowledges; a viewer may not.
        using (var viewer = new HttpClient { BaseAddress = a.Http.BaseAddress })
        {
            viewer.DefaultRequestHeaders.Add("X-Api-Key", ServerInstance.ViewerKey);
            using var refused = await viewer.PostAsync($"/api/alerts/{alert.GetProperty("id").GetInt64()}/acknowledge", null, ct);
            Assert.Equal(System.Net.HttpStatusCode.Forbidden, refused.StatusCode);
        }

        using (var acknowledged = await a.Http.PostAsync($"/api/alerts/{alert.GetProperty("id").GetInt64()}/acknowledge", null, ct))
        {
            Assert.Equal(System.Net.HttpStatusCode.NoContent, acknowledged.StatusCode);
        }

        // Recovery: the district's fixed line is upgraded; the rolling mean passes 150 + 5% margin.
        var upgraded = windowEnd.AddHours(2);
        await context.WriteResultsAsync(BelowDistrict, BelowCommune, "p-below", "fixed", upgraded, upgraded.AddHours(1), 400, _ => 260, ct);
        context.Advance(TimeSpan.FromHours(2));
        await Task.WhenAll(RunComplianceAsync(a, ct), RunComplianceAsync(b, ct));
        context.Advance(TimeSpan.FromHours(1));
        await Task.WhenAll(RunComplianceAsync(a, ct), RunComplianceAsync(b, ct));

        Assert.Empty(await OpenAlertsAsync(a, ct));
        var history = await a.Http.GetFromJsonAsync<JsonElement[]>("/api/alerts?state=all", ct);
        var resolved = Assert.Single(history!);
        Assert.Equal("resolved", resolved.GetProperty("state").GetString());
        Assert.Equal("test-operator", resolved.GetProperty("acknowledgedBy").GetString());
        Assert.Equal(["opened", "resolved"], context.Webhook.Received.Select(n => n.GetProperty("event").GetString()!).ToArray());

        // No alert for the district with too few results, and the events are in InfluxDB for Grafana's annotations.
        Assert.DoesNotContain(history!, h => h.GetProperty("districtCode").GetString() == SparseDistrict);
        var events = await context.Influx.QueryRowsAsync("SELECT \"text\", \"event\" FROM alert_events", ct);
        Assert.Equal(2, events.Count);
        var points = await context.Influx.QueryRowsAsync($"SELECT count(samples) FROM compliance WHERE district = '{BelowDistrict}' AND access = 'fixed'", ct);
        Assert.True(Assert.Single(points)["count"].GetInt64() >= 2);
        var streak = await context.ScalarAsync("SELECT count(*) FROM compliance_evaluations WHERE district_code = '445' AND access = 'fixed' AND window_kind = 'rolling' AND operator = 'all'", ct);
        Assert.Equal(5L, streak); // five distinct hours (00, 01, 02, 04, 05), however many instances and retries
    }

    private static async Task RunComplianceAsync(ServerInstance server, CancellationToken ct)
    {
        await server.Get<ComplianceJob>().RunAsync(ct);
        await server.Get<NotificationDispatcher>().RunAsync(ct);
    }

    private static async Task<JsonElement[]> OpenAlertsAsync(ServerInstance server, CancellationToken ct) =>
        (await server.Http.GetFromJsonAsync<JsonElement[]>("/api/alerts?state=open", ct))!;

    private static JsonElement Row(JsonElement[] rows, string district, string access) =>
        rows.Single(r => r.GetProperty("districtCode").GetString() == district && r.GetProperty("access").GetString() == access);
}
