using System.Net.Http.Json;
using System.Text.Json;
using HaTangSo.Telemetry.Server.Alerts;
using HaTangSo.Telemetry.Server.Compliance;
using HaTangSo.Telemetry.Testing;

namespace HaTangSo.Telemetry.IntegrationTests.Compliance;

/// <summary>Rollups written back to InfluxDB (figures, idempotence, catch-up) and the silent-probe alert.</summary>
public sealed class RollupAndLivenessTests(PostgresFixture postgres, InfluxDbFixture influx)
{
    [Fact]
    public async Task Rollups_equal_the_raw_figures_are_idempotent_and_catch_up_after_downtime()
    {
        var ct = TestContext.Current.CancellationToken;
        var now = new DateTimeOffset(2026, 4, 10, 3, 20, 0, TimeSpan.Zero);
        await using var context = await ComplianceTestContext.CreateAsync(postgres, influx, now, ct);
        var server = await context.StartInstanceAsync(ct);
        var hour = new DateTimeOffset(2026, 4, 10, 0, 0, 0, TimeSpan.Zero);
        var random = new Random(7);
        await context.WriteResultsAsync("445", "18409", "p1", "fixed", hour, hour.AddHours(3), 90, _ => 50 + (random.NextDouble() * 100), ct);
        await context.WriteResultsAsync("445", "18412", "p2", "fixed", hour, hour.AddHours(3), 45, _ => 20 + (random.NextDouble() * 200), ct);

        var job = server.Get<RollupJob>();
        await job.RunAsync(ct);
        var first = await context.Influx.QueryRowsAsync("SELECT * FROM rollup_hourly GROUP BY *", ct);
        await job.RunAsync(ct); // again: the same points, overwritten
        Assert.Equal(first.Count, (await context.Influx.QueryRowsAsync("SELECT * FROM rollup_hourly GROUP BY *", ct)).Count);

        foreach (var (level, filter, select) in new (string, string, Func<RawResult, bool>)[]
        {
            // 18412 (Xã Hồng Lộc before 1 July 2025) is part of today's 18409: its points count there, unrewritten.
            ("commune", "area = '18409'", r => r.Commune is "18409" or "18412"),
            ("former-district", "area = '445'", _ => true),
            ("province", "area = '42'", _ => true),
        })
        {
            var rows = await context.Influx.QueryRowsAsync(
                $"SELECT \"count\", download_mean, download_median, download_p10, download_p90, latency_median FROM rollup_hourly WHERE area_kind = '{level}' AND {filter} AND time = '2026-04-10T01:00:00Z'", ct);
            var row = Assert.Single(rows);
            var raw = context.Written.Where(r => r.Time >= hour.AddHours(1) && r.Time < hour.AddHours(2) && select(r)).ToList();
            var downloads = raw.Select(r => r.Download).Order().ToList();
            Assert.Equal(raw.Count, row["count"].GetInt64());
            Assert.Equal(downloads.Average(), row["download_mean"].GetDouble(), 9);
            Assert.Equal(Percentile(downloads, 50), row["download_median"].GetDouble(), 9);
            Assert.Equal(Percentile(downloads, 10), row["download_p10"].GetDouble(), 9);
            Assert.Equal(Percentile(downloads, 90), row["download_p90"].GetDouble(), 9);
            Assert.Equal(Percentile([.. raw.Select(r => r.Latency).Order()], 50), row["latency_median"].GetDouble(), 9);
        }

        // The server is down for five hours while results keep arriving (probes queue them); the next run catches up.
        await context.WriteResultsAsync("445", "18409", "p1", "fixed", hour.AddHours(3), hour.AddHours(9), 60, _ => 100, ct);
        context.Advance(TimeSpan.FromHours(6));
        await job.RunAsync(ct);
        var hours = await context.Influx.QueryRowsAsync("SELECT \"count\" FROM rollup_hourly WHERE area_kind = 'province' AND time >= '2026-04-10T00:00:00Z'", ct);
        Assert.Equal(9, hours.Count); // 00:00 .. 08:00, each complete hour once
        // Days are Vietnamese days (from 17:00 UTC); the day of 10 April is rolled up once it is over.
        Assert.Empty(await context.Influx.QueryRowsAsync("SELECT \"count\" FROM rollup_daily WHERE area_kind = 'province'", ct));
        context.Advance(TimeSpan.FromHours(15));
        await job.RunAsync(ct);
        var daily = await context.Influx.QueryRowsAsync("SELECT \"count\" FROM rollup_daily WHERE area_kind = 'province'", ct);
        Assert.Equal(context.Written.Count, Assert.Single(daily)["count"].GetInt64());
        Assert.Equal(new DateTimeOffset(2026, 4, 9, 17, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds() * 1_000_000, Assert.Single(daily)["time"].GetInt64());
    }

    [Fact]
    public async Task A_probe_silent_for_more_than_twice_its_schedule_raises_its_own_alert_and_clears_when_heard_again()
    {
        var ct = TestContext.Current.CancellationToken;
        var now = new DateTimeOffset(2026, 4, 10, 3, 0, 0, TimeSpan.Zero);
        await using var context = await ComplianceTestContext.CreateAsync(postgres, influx, now, ct);
        var server = await context.StartInstanceAsync(ct);
        await ComplianceTestContext.RegisterProbeAsync(server, "p-alive", "18409", 150, ct);
        await ComplianceTestContext.RegisterProbeAsync(server, "p-quiet", "18073", 150, ct);
        await context.ExecuteSqlAsync("UPDATE probes SET created_at = '2026-04-01T00:00:00Z'", ct);
        await context.WriteResultsAsync("445", "18409", "p-alive", "fixed", now.AddMinutes(-10), now, 1, _ => 100, ct);

        // The receiver is down for the first attempt: the notification waits in the outbox and is retried.
        context.Webhook.FailFirst = 1;
        await RunLivenessAsync(server, ct);
        var open = await server.Http.GetFromJsonAsync<JsonElement[]>("/api/alerts", ct);
        Assert.Equal("p-quiet", Assert.Single(open!).GetProperty("probeId").GetString());
        Assert.Empty(context.Webhook.Received);
        await RunLivenessAsync(server, ct); // not due yet (backoff 1 min)
        Assert.Empty(context.Webhook.Received);
        context.Advance(TimeSpan.FromMinutes(1));
        await RunLivenessAsync(server, ct);
        Assert.Single(context.Webhook.Received);
        Assert.Equal(2L, await context.ScalarAsync("SELECT attempts::bigint FROM alert_notifications WHERE channel = 'webhook'", ct));

        // 40 minutes on: p-alive has been silent for more than 2 × 15 minutes too; p-quiet reports again.
        context.Advance(TimeSpan.FromMinutes(39));
        await context.WriteResultsAsync("436", "18073", "p-quiet", "fixed", context.Time.GetUtcNow().AddMinutes(-1), context.Time.GetUtcNow(), 1, _ => 100, ct);
        await RunLivenessAsync(server, ct);
        open = await server.Http.GetFromJsonAsync<JsonElement[]>("/api/alerts", ct);
        Assert.Equal("p-alive", Assert.Single(open!).GetProperty("probeId").GetString());
        var events = context.Webhook.Received
            .Select(n => $"{n.GetProperty("event").GetString()} {n.GetProperty("alert").GetProperty("probeId").GetString()}").ToArray();
        Assert.Equal(["opened p-quiet", "opened p-alive", "resolved p-quiet"], events);
    }

    [Fact]
    public async Task A_probe_with_many_quarantined_messages_in_an_hour_raises_its_own_alert_that_clears_an_hour_later()
    {
        var ct = TestContext.Current.CancellationToken;
        var now = new DateTimeOffset(2026, 4, 10, 3, 0, 0, TimeSpan.Zero);
        await using var context = await ComplianceTestContext.CreateAsync(postgres, influx, now, ct);
        var server = await context.StartInstanceAsync(ct);
        await ComplianceTestContext.RegisterProbeAsync(server, "p-flood", "18409", 150, ct);
        await ComplianceTestContext.RegisterProbeAsync(server, "p-ok", "18073", 150, ct);
        await context.WriteResultsAsync("445", "18409", "p-flood", "fixed", now.AddMinutes(-10), now, 1, _ => 100, ct);
        await context.WriteResultsAsync("436", "18073", "p-ok", "fixed", now.AddMinutes(-10), now, 1, _ => 100, ct);

        // 30 refused messages from p-flood in the last hour (the limit is 20), 5 from p-ok.
        await context.ExecuteSqlAsync($"""
            INSERT INTO quarantine (received_at, last_received_at, topic, probe_id, reason_kind, reason, payload, payload_sha256, dedupe_key)
            SELECT '{ComplianceTestContext.Iso(now.AddMinutes(-20))}', '{ComplianceTestContext.Iso(now.AddMinutes(-20))}', 'hts/v1/probes/' || p || '/results', p,
                   'rate_limit', 'rate limit: test', convert_to(p || i, 'UTF8'), sha256(convert_to(p || i, 'UTF8')), sha256(convert_to(p || i, 'UTF8'))
            FROM (SELECT 'p-flood' AS p, generate_series(1, 30) AS i UNION ALL SELECT 'p-ok', generate_series(1, 5)) AS rows
            """, ct);
        await RunLivenessAsync(server, ct);
        var open = await server.Http.GetFromJsonAsync<JsonElement[]>("/api/alerts", ct);
        var alert = Assert.Single(open!);
        Assert.Equal(("probe_quarantine", "p-flood"), (alert.GetProperty("kind").GetString(), alert.GetProperty("probeId").GetString()));
        Assert.Equal(30, alert.GetProperty("value").GetDouble());
        Assert.Equal(20, alert.GetProperty("threshold").GetDouble());

        // An hour on, with fresh results and no new refusals, the alert resolves.
        context.Advance(TimeSpan.FromMinutes(50));
        var later = context.Time.GetUtcNow();
        await context.WriteResultsAsync("445", "18409", "p-flood", "fixed", later.AddMinutes(-5), later, 1, _ => 100, ct);
        await context.WriteResultsAsync("436", "18073", "p-ok", "fixed", later.AddMinutes(-5), later, 1, _ => 100, ct);
        await RunLivenessAsync(server, ct);
        Assert.Empty((await server.Http.GetFromJsonAsync<JsonElement[]>("/api/alerts", ct))!);
        var events = context.Webhook.Received
            .Select(n => $"{n.GetProperty("event").GetString()} {n.GetProperty("alert").GetProperty("kind").GetString()} {n.GetProperty("alert").GetProperty("probeId").GetString()}");
        Assert.Equal(["opened probe_quarantine p-flood", "resolved probe_quarantine p-flood"], events);
    }

    private static async Task RunLivenessAsync(ServerInstance server, CancellationToken ct)
    {
        await server.Get<LivenessJob>().RunAsync(ct);
        await server.Get<NotificationDispatcher>().RunAsync(ct);
    }

    private static double Percentile(List<double> sorted, double percent)
    {
        var rank = percent / 100 * (sorted.Count - 1);
        var lower = (int)Math.Floor(rank);
        return sorted[lower] + ((rank - lower) * (sorted[(int)Math.Ceiling(rank)] - sorted[lower]));
    }
}
