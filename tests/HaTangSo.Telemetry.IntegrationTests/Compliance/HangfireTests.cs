using System.Net;
using System.Net.Http.Headers;
using System.Text;
using HaTangSo.Telemetry.Testing;
using Npgsql;

namespace HaTangSo.Telemetry.IntegrationTests.Compliance;

/// <summary>The real server process runs its jobs through Hangfire on PostgreSQL, and shows the dashboard to operators only.</summary>
public sealed class HangfireTests(PostgresFixture postgres, InfluxDbFixture influx)
{
    [Fact]
    public async Task Recurring_jobs_run_through_hangfire_and_the_dashboard_needs_the_operator_key()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var broker = await MosquittoBroker.StartAsync(cancellationToken: ct);
        var connectionString = await postgres.NewCataloguedDatabaseAsync(ct);
        var settings = new ServerSettings(connectionString, influx.Server.BaseAddress, influx.NewDatabaseName(), broker.Port)
        {
            Extra = { ["Jobs__RollupsCron"] = "* * * * *" },
        };
        await using var server = await ServerProcess.StartAsync(settings, ct);

        // Every recurring job is declared in Hangfire's schema.
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using (var declared = new NpgsqlCommand("SELECT count(*) FROM hangfire.set WHERE key = 'recurring-jobs'", connection))
        {
            Assert.Equal(7L, await declared.ExecuteScalarAsync(ct)); // rollups, compliance, liveness, notifications, monthly and yearly reports, housekeeping
        }

        // The rollup job (every minute here) runs and records its progress; Hangfire checks schedules every 15 s.
        var deadline = DateTime.UtcNow.AddSeconds(120);
        object? progress = null;
        while (DateTime.UtcNow < deadline && progress is null)
        {
            await using var command = new NpgsqlCommand("SELECT completed_until FROM job_progress WHERE job = 'rollup_hourly'", connection);
            progress = await command.ExecuteScalarAsync(ct);
            if (progress is null)
            {
                await Task.Delay(1000, ct);
            }
        }

        Assert.True(progress is not null, "the rollup job did not run within 120 s:\n" + server.Output[^Math.Min(4000, server.Output.Length)..]);

        // The pipeline dashboard's Hangfire gauges (read from Hangfire's storage every 30 s): no failed job, and the
        // rollup job's last success once Hangfire has recorded it as succeeded.
        var started = DateTimeOffset.UtcNow.AddMinutes(-10).ToUnixTimeSeconds();
        var scrape = "";
        deadline = DateTime.UtcNow.AddSeconds(180);
        while (DateTime.UtcNow < deadline)
        {
            scrape = await server.Http.GetStringAsync("/metrics", ct);
            if (Gauge(scrape, "hts_jobs_last_success_timestamp_seconds", "job=\"rollups\"") is not null && Gauge(scrape, "hts_jobs_failed", null) is not null)
            {
                break;
            }

            await Task.Delay(1000, ct);
        }

        Assert.True(Gauge(scrape, "hts_jobs_last_success_timestamp_seconds", "job=\"rollups\"") is > 0 and var success && success >= started,
            "no recent last success of the rollup job in /metrics within 180 s:\n" + string.Join('\n', scrape.Split('\n').Where(l => l.StartsWith("hts_jobs", StringComparison.Ordinal))));
        Assert.Equal(0, Gauge(scrape, "hts_jobs_failed", null));

        using var anonymous = new HttpClient { BaseAddress = server.Http.BaseAddress };
        using (var refused = await anonymous.GetAsync("/hangfire", ct))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.StartsWith("Basic", refused.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        }

        anonymous.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("anyone:" + ServerSettings.OperatorKey)));
        using var dashboard = await anonymous.GetAsync("/hangfire/recurring", ct);
        Assert.Equal(HttpStatusCode.OK, dashboard.StatusCode);
        Assert.Contains("compliance", await dashboard.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);

        // A change through the dashboard needs the key in X-Api-Key and Hangfire's antiforgery token: a browser's
        // cached Basic credentials cannot post (no cross-site request forgery), and a bare POST with the key neither.
        static FormUrlEncodedContent Trigger() => new([new KeyValuePair<string, string>("jobs[]", "rollups")]);
        using (var viaBasic = await anonymous.PostAsync("/hangfire/recurring/trigger", Trigger(), ct))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, viaBasic.StatusCode);
        }

        using var withoutToken = await server.Http.PostAsync("/hangfire/recurring/trigger", Trigger(), ct);
        Assert.Equal(HttpStatusCode.Forbidden, withoutToken.StatusCode);
    }

    /// <summary>The value of a metric line of a Prometheus scrape whose name is <paramref name="name"/> (and whose labels contain <paramref name="label"/>), or null.</summary>
    private static double? Gauge(string scrape, string name, string? label) =>
        scrape.Split('\n').Where(l => (l.StartsWith(name + "{", StringComparison.Ordinal) || l.StartsWith(name + " ", StringComparison.Ordinal))
                && (label is null || l.Contains(label, StringComparison.Ordinal)))
            .Select(l => (double?)double.Parse(l[(l.StartsWith(name + "{", StringComparison.Ordinal) ? l.LastIndexOf('}') + 1 : name.Length)..].Trim().Split(' ')[0],
                System.Globalization.CultureInfo.InvariantCulture)).FirstOrDefault();
}
