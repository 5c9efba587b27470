using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using HaTangSo.Telemetry.Server.Alerts;
using HaTangSo.Telemetry.Server.Compliance;
using HaTangSo.Telemetry.Testing;

namespace HaTangSo.Telemetry.IntegrationTests.Compliance;

/// <summary>
/// Issue 15.3: results against an off-net (confirmation) server never count in a verdict; when an area goes below, the
/// alert waits for a confirmation round against that server and says what it found. Real PostgreSQL, InfluxDB and
/// Mosquitto; fake clock; the jobs run as Hangfire would run them.
/// </summary>
public sealed class ConfirmationRoundTests(PostgresFixture postgres, InfluxDbFixture influx)
{
    // Hà Tĩnh: Thạch Hà (445), below the 2025 fixed target of 150 Mb/s on the data-centre server.
    private const string District = "445";
    private const string Commune = "18409";
    private const string OffNet = "vnix-hn";

    [Fact]
    public async Task Off_net_results_never_count_and_the_alert_waits_for_the_round_then_says_it_met_the_target()
    {
        var ct = TestContext.Current.CancellationToken;
        var windowEnd = new DateTimeOffset(2026, 3, 10, 0, 0, 0, TimeSpan.Zero);
        await using var context = await ComplianceTestContext.CreateAsync(postgres, influx, windowEnd.AddMinutes(30), ct);
        context.Config["Compliance:EvaluationLevels"] = "former-district";
        var server = await context.StartInstanceAsync(ct);
        await ComplianceTestContext.RegisterProbeAsync(server, "p-below", Commune, advertisedFixed: 150, ct);
        await RegisterOffNetAsync(server, ct);
        await context.WriteResultsAsync(District, Commune, "p-below", "fixed", windowEnd.AddDays(-7), windowEnd, 168, i => 95 + (i % 11), ct);
        // Fast results against the off-net server inside the same window: they must not lift the verdict.
        await context.WriteResultsAsync(District, Commune, "p-below", "fixed", windowEnd.AddDays(-7), windowEnd, 168, _ => 900, ct, confirmationServer: OffNet);

        // Hour 1: below once (K = 2): nothing. Hour 2: the streak reaches K: a round starts instead of the alert.
        await RunComplianceAsync(server, ct);
        var rows = await server.Http.GetFromJsonAsync<JsonElement[]>("/api/compliance/42?window=rolling", ct);
        var row = rows!.Single(r => r.GetProperty("districtCode").GetString() == District && r.GetProperty("access").GetString() == "fixed");
        Assert.Equal("below", row.GetProperty("status").GetString());
        Assert.Equal(context.Written.Average(r => r.Download), row.GetProperty("value").GetDouble(), 6);
        Assert.Equal(168, row.GetProperty("samples").GetInt32());
        context.Advance(TimeSpan.FromHours(1));
        await RunComplianceAsync(server, ct);
        Assert.Empty(await AlertsAsync(server, "open", ct));
        var pending = Assert.Single(await RoundsAsync(server, "pending", ct));
        Assert.Equal(OffNet, pending.GetProperty("serverId").GetString());
        Assert.Equal(windowEnd.AddHours(1), pending.GetProperty("requestedAt").GetDateTimeOffset());
        // The area's probe link was asked to measure against the off-net server now (a measure-now command naming it).
        Assert.Equal(1, pending.GetProperty("commands").GetInt32());
        Assert.Equal(1L, await context.ScalarAsync($"SELECT count(*) FROM probe_commands WHERE probe_id = 'p-below' AND link = 'fixed' AND server_id = '{OffNet}'", ct));

        // An operator can ask the same: a registered server is accepted, an unknown one refused naming the field.
        using (var asked = await server.Http.PostAsJsonAsync("/api/probes/p-below/measure", new { link = "fixed", server = OffNet }, ct))
        {
            Assert.Equal(HttpStatusCode.Accepted, asked.StatusCode);
            Assert.Equal(OffNet, (await asked.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("serverId").GetString());
        }

        using (var refused = await server.Http.PostAsJsonAsync("/api/probes/p-below/measure", new { server = "nowhere" }, ct))
        {
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Contains("server", await refused.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        }

        // Hour 3: still nothing against the off-net server: still waiting (the deadline is 3 hours).
        context.Advance(TimeSpan.FromHours(1));
        await RunComplianceAsync(server, ct);
        Assert.Empty(await AlertsAsync(server, "open", ct));

        // Three results against the off-net server arrive; hour 4 ends the round and opens the alert with its finding.
        await context.WriteResultsAsync(
            District, Commune, "p-below", "fixed", windowEnd.AddHours(2).AddMinutes(10), windowEnd.AddHours(2).AddMinutes(40), 3, i => 170 + i, ct,
            confirmationServer: OffNet);
        context.Advance(TimeSpan.FromHours(1));
        await RunComplianceAsync(server, ct);
        var alert = Assert.Single(await AlertsAsync(server, "open", ct));
        Assert.Equal(windowEnd.AddHours(3), alert.GetProperty("openedAt").GetDateTimeOffset());
        Assert.Contains("Đo xác nhận qua máy chủ ngoài mạng Trạm trung chuyển Internet quốc gia: 171,0 Mb/s từ 3 kết quả — đạt chỉ tiêu",
            alert.GetProperty("summary").GetString(), StringComparison.Ordinal);
        Assert.Contains("171.0 Mb/s from 3 results — meets the target", alert.GetProperty("summaryEn").GetString(), StringComparison.Ordinal);
        var found = Assert.Single(await RoundsAsync(server, "all", ct));
        Assert.Equal("found", found.GetProperty("state").GetString());
        Assert.Equal(3, found.GetProperty("results").GetInt32());
        Assert.True(found.GetProperty("met").GetBoolean());
        Assert.Equal(alert.GetProperty("id").GetInt64(), found.GetProperty("alertId").GetInt64());
        var opened = Assert.Single(context.Webhook.Received);
        Assert.Contains("đạt chỉ tiêu", opened.GetProperty("alert").GetProperty("summary").GetString(), StringComparison.Ordinal);

        // The verdict is still the data-centre server's: the off-net results moved nothing.
        rows = await server.Http.GetFromJsonAsync<JsonElement[]>("/api/compliance/42?window=rolling", ct);
        row = rows!.Single(r => r.GetProperty("districtCode").GetString() == District && r.GetProperty("access").GetString() == "fixed");
        Assert.Equal("below", row.GetProperty("status").GetString());
        var inWindow = context.Written.Where(r => r.Time >= windowEnd.AddHours(3).AddDays(-7)).ToList();
        Assert.Equal(inWindow.Count, row.GetProperty("samples").GetInt32());
        Assert.Equal(inWindow.Average(r => r.Download), row.GetProperty("value").GetDouble(), 6);
    }

    [Fact]
    public async Task A_recovery_cancels_a_round_and_a_round_without_results_opens_the_alert_at_its_deadline()
    {
        var ct = TestContext.Current.CancellationToken;
        var windowEnd = new DateTimeOffset(2026, 3, 10, 0, 0, 0, TimeSpan.Zero);
        await using var context = await ComplianceTestContext.CreateAsync(postgres, influx, windowEnd.AddMinutes(30), ct);
        context.Config["Compliance:EvaluationLevels"] = "former-district";
        context.Config["Alerts:ConfirmationTimeout"] = "00:30:00";
        var server = await context.StartInstanceAsync(ct);
        await ComplianceTestContext.RegisterProbeAsync(server, "p-below", Commune, advertisedFixed: 150, ct);
        await RegisterOffNetAsync(server, ct);
        await context.WriteResultsAsync(District, Commune, "p-below", "fixed", windowEnd.AddDays(-7), windowEnd, 168, i => 95 + (i % 11), ct);

        await RunComplianceAsync(server, ct);
        context.Advance(TimeSpan.FromHours(1));
        await RunComplianceAsync(server, ct); // 01:00: the round starts
        Assert.Single(await RoundsAsync(server, "pending", ct));

        // The area recovers before the round ends: the round is cancelled, no alert.
        await context.WriteResultsAsync(District, Commune, "p-below", "fixed", windowEnd.AddHours(1), windowEnd.AddHours(2), 1000, _ => 400, ct);
        context.Advance(TimeSpan.FromHours(1));
        await RunComplianceAsync(server, ct); // 02:00
        Assert.Empty(await RoundsAsync(server, "pending", ct));
        Assert.Single(await RoundsAsync(server, "cancelled", ct));
        Assert.Empty(await AlertsAsync(server, "open", ct));

        // It falls again: twice below, a new round (deadline 04:30), nothing arrives, the 05:00 evaluation opens the alert.
        await context.WriteResultsAsync(District, Commune, "p-below", "fixed", windowEnd.AddHours(2), windowEnd.AddHours(3), 3000, _ => 1, ct);
        context.Advance(TimeSpan.FromHours(1));
        await RunComplianceAsync(server, ct); // 03:00
        context.Advance(TimeSpan.FromHours(1));
        await RunComplianceAsync(server, ct); // 04:00: the round starts
        Assert.Single(await RoundsAsync(server, "pending", ct));
        Assert.Empty(await AlertsAsync(server, "open", ct));
        context.Advance(TimeSpan.FromHours(1));
        await RunComplianceAsync(server, ct); // 05:00: past the deadline

        var alert = Assert.Single(await AlertsAsync(server, "open", ct));
        Assert.Contains("không có kết quả trước 10/03/2026 11:30", alert.GetProperty("summary").GetString(), StringComparison.Ordinal);
        Assert.Contains("no result before 10/03/2026 11:30", alert.GetProperty("summaryEn").GetString(), StringComparison.Ordinal);
        var ended = (await RoundsAsync(server, "no_result", ct)).Single();
        Assert.Equal(0, ended.GetProperty("results").GetInt32());
        Assert.Equal(alert.GetProperty("id").GetInt64(), ended.GetProperty("alertId").GetInt64());
        Assert.Equal(2, (await RoundsAsync(server, "all", ct)).Length);

        using var bad = await server.Http.GetAsync("/api/alerts/confirmations?state=maybe", ct);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    private static async Task RegisterOffNetAsync(ServerInstance server, CancellationToken ct)
    {
        using var response = await server.Http.PutAsJsonAsync($"/api/servers/{OffNet}", new
        {
            name = "Trạm trung chuyển Internet quốc gia",
            baseUrl = "http://vnix.example.vn:8090/",
            capacityMbps = 10_000,
            role = "confirmation",
        }, ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var saved = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
        Assert.Equal("confirmation", saved.GetProperty("role").GetString());
        using var refused = await server.Http.PutAsJsonAsync("/api/servers/other", new
        {
            name = "Khác", baseUrl = "http://other.example.vn/", capacityMbps = 100, role = "secondary",
        }, ct);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
    }

    private static async Task RunComplianceAsync(ServerInstance server, CancellationToken ct)
    {
        await server.Get<ComplianceJob>().RunAsync(ct);
        await server.Get<NotificationDispatcher>().RunAsync(ct);
    }

    private static async Task<JsonElement[]> AlertsAsync(ServerInstance server, string state, CancellationToken ct) =>
        (await server.Http.GetFromJsonAsync<JsonElement[]>($"/api/alerts?state={state}", ct))!;

    private static async Task<JsonElement[]> RoundsAsync(ServerInstance server, string state, CancellationToken ct) =>
        (await server.Http.GetFromJsonAsync<JsonElement[]>($"/api/alerts/confirmations?state={state}", ct))!;
}
