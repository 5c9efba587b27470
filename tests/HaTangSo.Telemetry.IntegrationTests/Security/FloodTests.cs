using HaTangSo.Telemetry.Testing;
using Npgsql;

namespace HaTangSo.Telemetry.IntegrationTests.Security;

/// <summary>
/// The per-probe rate limit on the real server: a probe flooding at 100× its schedule has its excess quarantined
/// (kept, with the reason), while another probe publishing at the same time has every result written.
/// </summary>
public sealed class FloodTests(PostgresFixture postgres, InfluxDbFixture influx)
{
    [Fact]
    public async Task FloodingProbe_ExcessQuarantinedNotLost_AndAnotherProbeUnaffected()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var context = await IngestionTestContext.CreateAsync(postgres, influx, ct);
        var server = await context.StartServerAsync(ct, new Dictionary<string, string?>
        {
            ["Ingestion__ProbeRateLimitFactor"] = "4",
            ["Ingestion__ProbeRateLimitBurst"] = "4",
        });
        const string flooder = "probe-flooder";
        await server.RegisterProbeAsync(flooder, IngestionTestContext.CommuneCode, ct);

        // Both probes test two links every 15 minutes: 8 results an hour. The flooder sends 100× that (800 an hour,
        // one every 4.5 s) for three whole hours; each link may deliver 4 × 4 + 4 = 20 an hour.
        var now = DateTimeOffset.UtcNow;
        var start = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero).AddHours(-4);
        var flood = Enumerable.Range(0, 2400).Select(i => SampleResults.ToJson(SampleResults.Create(flooder, i, start.AddSeconds(i * 4.5)))).ToList();
        var normal = Enumerable.Range(0, 24).Select(i => SampleResults.ToJson(SampleResults.Create(context.ProbeId, i, start.AddMinutes(i * 7.5)))).ToList();
        await using (var flooding = context.CreatePublisher())
        await using (var honest = context.CreatePublisher())
        {
            await Task.WhenAll(flooding.PublishAsync(flooder, flood, ct, window: 500), honest.PublishAsync(context.ProbeId, normal, ct, window: 1));
        }

        const int admitted = 20 * 2 * 3;
        await context.WaitForResultsAsync(normal.Count + admitted, TimeSpan.FromSeconds(60), ct);
        var excess = await WaitForRateLimitedAsync(context.PostgresConnectionString, flooder, flood.Count - admitted, ct);
        Assert.Equal(flood.Count - admitted, excess);

        var perProbe = await context.Influx.RowsAsync("SELECT count(download_mbps) FROM speedtest GROUP BY probe", ct);
        Assert.Equal(normal.Count + admitted, await context.Influx.CountResultsAsync(ct));
        var honestRows = await context.Influx.RowsAsync($"SELECT count(download_mbps) FROM speedtest WHERE probe = '{context.ProbeId}'", ct);
        Assert.Equal(normal.Count, Assert.Single(honestRows)["count"].GetInt64());
        Assert.NotEmpty(perProbe);
    }

    /// <summary>Waits (bounded) for the flooder's rate-limited quarantine rows; returns how many there are.</summary>
    private static async Task<long> WaitForRateLimitedAsync(string connectionString, string probeId, long expected, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        long count;
        while (true)
        {
            await using (var connection = new NpgsqlConnection(connectionString))
            {
                await connection.OpenAsync(ct);
                await using var command = new NpgsqlCommand("SELECT COALESCE(sum(occurrences), 0)::bigint FROM quarantine WHERE probe_id = $1 AND reason_kind = 'rate_limit'", connection);
                command.Parameters.Add(new() { Value = probeId });
                count = (long)(await command.ExecuteScalarAsync(ct))!;
            }

            if (count >= expected || DateTime.UtcNow > deadline)
            {
                return count;
            }

            await Task.Delay(200, ct);
        }
    }
}
