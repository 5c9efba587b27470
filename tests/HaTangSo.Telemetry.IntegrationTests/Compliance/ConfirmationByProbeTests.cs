using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using HaTangSo.Telemetry.Server.Alerts;
using HaTangSo.Telemetry.Server.Compliance;
using HaTangSo.Telemetry.Testing;

namespace HaTangSo.Telemetry.IntegrationTests.Compliance;

/// <summary>
/// Issue 15.3 with a real probe: an area goes below, the round asks the area's probe (the real agent, over the real
/// Mosquitto) to measure against the off-net server (a real speed-test server), the probe's result lands carrying the
/// command id, and only then the alert opens, saying what the confirmation found. The server's clock is a fake that
/// follows the real one (the probe measures on the real clock).
/// </summary>
public sealed class ConfirmationByProbeTests(PostgresFixture postgres, InfluxDbFixture influx)
{
    private const string District = "445"; // Thạch Hà, Hà Tĩnh: fixed target 150 Mb/s in 2025
    private const string Commune = "18409";
    private const string ProbeId = "p-round";
    private const string OffNet = "vnix-hn";

    [Fact]
    public async Task The_round_asks_the_real_probe_to_measure_off_net_and_the_alert_opens_with_what_it_found()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var context = await ComplianceTestContext.CreateAsync(postgres, influx, DateTimeOffset.UtcNow, ct);
        context.Config["Compliance:EvaluationLevels"] = "former-district";
        context.Config["Alerts:ConsecutiveBelow"] = "1";
        context.Config["Alerts:ConfirmationResults"] = "1";
        var server = await context.StartInstanceAsync(ct);
        // The server's fake clock follows the real one (the probe measures on the real clock; ingestion's batch timers run on the fake one).
        using var follow = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var following = FollowRealTimeAsync(context, follow.Token);
        try
        {
            await RoundAsync(context, server, ct);
        }
        finally
        {
            await follow.CancelAsync();
            await following;
        }
    }

    private static async Task RoundAsync(ComplianceTestContext context, ServerInstance server, CancellationToken ct)
    {
        var start = context.Time.GetUtcNow();
        await using var speed = await SpeedTestProcess.StartAsync(ct);

        // The probe's link has no advertised speed: loopback measures gigabits, which a plausibility bound would refuse.
        await PutAsync(server, $"/api/probes/{ProbeId}", new
        {
            communeCode = Commune,
            links = new[] { new { name = "fixed", access = "fixed", @operator = "VNPT", technology = "ftth" } },
        }, null, ct);
        // The data-centre server is unreachable here (its scheduled runs fail at once and count for nothing); the off-net one is real.
        await PutAsync(server, "/api/servers/dc", new { name = "Máy chủ trung tâm dữ liệu tỉnh", baseUrl = "http://127.0.0.1:9/", capacityMbps = 10_000 }, null, ct);
        await PutAsync(server, $"/api/servers/{OffNet}", new
        {
            name = "Trạm trung chuyển Internet quốc gia", baseUrl = speed.BaseAddress, capacityMbps = 100_000, role = "confirmation",
        }, null, ct);
        using (var current = await server.Http.GetAsync("/api/config/default", ct))
        {
            Assert.Equal(HttpStatusCode.OK, current.StatusCode);
            await PutAsync(server, "/api/config/default", new
            {
                scheduleMinutes = 1440,
                randomizeOffset = false,
                servers = new[] { "dc", OffNet },
                test = new { streams = 1, durationSeconds = 3, warmupSeconds = 1, latencySamples = 10, udpPort = 0, udpPackets = 10 },
                busyThresholdMbps = 0,
            }, current.Headers.ETag!.Tag, ct);
        }

        await using var probe = new ProbeProcess(ProbeId, context.Broker.Port, new Uri("http://127.0.0.1:9/"));
        probe.Start(publishOnly: false);
        var config = default(JsonElement);
        await WaitAsync(async () => (config = await server.Http.GetFromJsonAsync<JsonElement>($"/api/probes/{ProbeId}/config", ct))
            .TryGetProperty("appliedVersion", out var applied) && applied.ValueKind == JsonValueKind.Number
            && applied.GetInt64() == config.GetProperty("version").GetInt64(), () => "the probe to apply the default; last: " + config + "; quarantine: "
                + context.ScalarAsync("SELECT string_agg(reason, ' | ') FROM quarantine", ct).GetAwaiter().GetResult()
                + "; status: " + context.ScalarAsync("SELECT row_to_json(s)::text FROM probe_status s", ct).GetAwaiter().GetResult(), probe, ct);

        // A week below the target on the data-centre server: the evaluation starts a round instead of opening the alert.
        await context.WriteResultsAsync(District, Commune, ProbeId, "fixed", start.AddDays(-7), start.AddMinutes(-1), 168, i => 95 + (i % 11), ct);
        await RunComplianceAsync(server, ct);
        Assert.Empty(await AlertsAsync(server, "open", ct));
        var pending = Assert.Single(await RoundsAsync(server, "pending", ct));
        Assert.Equal(OffNet, pending.GetProperty("serverId").GetString());

        // The real probe runs the round's command against the off-net server; its result carries the command id. Over
        // loopback the probe itself may be what limits the transfer: such a result is flagged CPU-bound, which a round
        // rightly does not count, so the operator asks again (a measure-now naming the server) until one is not.
        for (var asked = 1; ; asked++)
        {
            await WaitAsync(async () => Convert.ToInt64(await context.ScalarAsync(
                $"SELECT count(*) FROM probe_commands WHERE probe_id = '{ProbeId}' AND server_id = '{OffNet}' AND state = 'done'", ct),
                System.Globalization.CultureInfo.InvariantCulture) == asked, () => "the probe to answer the command", probe, ct);
            var resultId = (string)(await context.ScalarAsync(
                $"SELECT result_ids[1] FROM probe_commands WHERE probe_id = '{ProbeId}' AND server_id = '{OffNet}' ORDER BY created_at DESC LIMIT 1", ct))!;
            var stored = Assert.Single(await context.Influx.QueryRowsAsync(
                $"SELECT download_mbps, cpu_bound FROM speedtest WHERE probe = '{ProbeId}' AND \"server\" = '{OffNet}' AND result_id = '{resultId}'", ct));
            Assert.True(stored["download_mbps"].GetDouble() > 150);
            if (!(stored.TryGetValue("cpu_bound", out var bound) && bound.ValueKind == JsonValueKind.True))
            {
                break;
            }

            Assert.True(asked < 6, "every off-net measurement over loopback was CPU-bound. Probe output:\n" + probe.Output);
            using var again = await server.Http.PostAsJsonAsync($"/api/probes/{ProbeId}/measure", new { link = "fixed", server = OffNet }, ct);
            Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
        }

        // The next hourly evaluation ends the round and opens the alert.
        context.Advance(TimeSpan.FromHours(1));
        await RunComplianceAsync(server, ct);
        var open = await AlertsAsync(server, "open", ct);
        Assert.True(open.Length == 1, $"open alerts: {open.Length}; rounds: {string.Join(" | ", await RoundsAsync(server, "all", ct))}; rows: "
            + string.Join(" | ", (await server.Http.GetFromJsonAsync<JsonElement[]>("/api/compliance/42?window=rolling", ct))!.Where(r => r.GetProperty("access").GetString() == "fixed")));
        var alert = open[0];
        Assert.Contains("Đo xác nhận qua máy chủ ngoài mạng Trạm trung chuyển Internet quốc gia", alert.GetProperty("summary").GetString(), StringComparison.Ordinal);
        Assert.Contains("từ 1 kết quả — đạt chỉ tiêu", alert.GetProperty("summary").GetString(), StringComparison.Ordinal);
        var found = Assert.Single(await RoundsAsync(server, "all", ct));
        Assert.Equal("found", found.GetProperty("state").GetString());
        Assert.Equal(alert.GetProperty("id").GetInt64(), found.GetProperty("alertId").GetInt64());

        // The verdict is still the data-centre server's alone.
        var rows = await server.Http.GetFromJsonAsync<JsonElement[]>("/api/compliance/42?window=rolling", ct);
        var row = rows!.Single(r => r.GetProperty("districtCode").GetString() == District && r.GetProperty("access").GetString() == "fixed");
        Assert.Equal("below", row.GetProperty("status").GetString());
        var (from, until) = (row.GetProperty("windowStart").GetDateTimeOffset(), row.GetProperty("windowEnd").GetDateTimeOffset());
        var inWindow = context.Written.Where(r => r.Time >= from && r.Time < until).ToList();
        Assert.Equal(inWindow.Count, row.GetProperty("samples").GetInt32());
        Assert.Equal(inWindow.Average(r => r.Download), row.GetProperty("value").GetDouble(), 6);
    }

    private static async Task FollowRealTimeAsync(ComplianceTestContext context, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            if (DateTimeOffset.UtcNow is var now && now > context.Time.GetUtcNow())
            {
                context.Time.SetUtcNow(now);
            }

            await Task.Delay(100, CancellationToken.None);
        }
    }

    private static async Task PutAsync(ServerInstance server, string path, object body, string? ifMatch, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, path) { Content = JsonContent.Create(body) };
        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        using var response = await server.Http.SendAsync(request, ct);
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
    }

    private static async Task WaitAsync(Func<Task<bool>> condition, Func<string> what, ProbeProcess probe, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(180);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what()}. Probe output:\n{probe.Output}");
            await Task.Delay(500, ct);
        }
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
