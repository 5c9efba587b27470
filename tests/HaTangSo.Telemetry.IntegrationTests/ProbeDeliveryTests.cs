using HaTangSo.Telemetry.Testing;
using Npgsql;

namespace HaTangSo.Telemetry.IntegrationTests;

/// <summary>
/// The real probe binary, its durable queue and the real broker, server and InfluxDB: what the probe queued
/// reaches InfluxDB exactly once whatever happens to the broker or to the probe itself.
/// </summary>
public sealed class ProbeDeliveryTests(PostgresFixture postgres, InfluxDbFixture influx)
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(120);

    // Publish-only runs never measure, so the speed-test server address is never used.
    private static readonly Uri s_noSpeedTest = new("http://127.0.0.1:9/");

    [Fact]
    public async Task BrokerDownWhileQueued_AllDeliveredAfterItComesBack()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var context = await IngestionTestContext.CreateAsync(postgres, influx, ct);
        await context.StartServerAsync(ct);
        await using var probe = new ProbeProcess(context.ProbeId, context.Broker.Port, s_noSpeedTest);
        var results = IngestionEndToEndTests.Results(context.ProbeId, 300);

        await context.Broker.StopAsync();
        await probe.ImportAsync(results, ct);
        probe.Start();
        await probe.WaitForOutputAsync("Cannot reach broker", s_timeout, ct);
        await context.Broker.StartAgainAsync(ct);

        await context.WaitForResultsAsync(results.Count, s_timeout, ct);
        Assert.Equal(results.Select(r => r.ResultId).ToHashSet(), await context.Influx.ResultIdsAsync(ct));
        await probe.WaitForOutputAsync("; 0 waiting", s_timeout, ct);
        Assert.Contains(": 0 waiting", await probe.QueueStatusAsync(ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProbeKilledMidPublish_NothingLostNothingDuplicated()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var context = await IngestionTestContext.CreateAsync(postgres, influx, ct);
        await context.StartServerAsync(ct);
        await using var probe = new ProbeProcess(context.ProbeId, context.Broker.Port, s_noSpeedTest);
        var results = IngestionEndToEndTests.Results(context.ProbeId, 3000);
        await probe.ImportAsync(results, ct);

        probe.Start();
        await probe.WaitForOutputAsync("Published", s_timeout, ct);
        await probe.KillAsync();
        var afterKill = await context.Influx.CountResultsAsync(ct);
        probe.Start();

        await context.WaitForResultsAsync(results.Count, s_timeout, ct);
        Assert.True(afterKill < results.Count, $"the kill came mid-stream ({afterKill} of {results.Count} had landed)");
        Assert.Equal(results.Count, await context.Influx.CountResultsAsync(ct));
        Assert.Equal(results.Select(r => r.ResultId).ToHashSet(), await context.Influx.ResultIdsAsync(ct));
    }

    [Fact]
    public async Task QueueFull_OldestEvicted_CountedAndReportedInStatus()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var context = await IngestionTestContext.CreateAsync(postgres, influx, ct);
        await context.StartServerAsync(ct);
        await using var probe = new ProbeProcess(context.ProbeId, context.Broker.Port, s_noSpeedTest, queueCapacity: 100);
        var results = IngestionEndToEndTests.Results(context.ProbeId, 150);

        var imported = await probe.ImportAsync(results, ct);
        probe.Start();

        Assert.Contains("50 evicted", imported, StringComparison.Ordinal);
        await context.WaitForResultsAsync(100, s_timeout, ct);
        Assert.Equal(results.Skip(50).Select(r => r.ResultId).ToHashSet(), await context.Influx.ResultIdsAsync(ct));
        var (state, evicted) = await WaitForStatusAsync(context, s => s.Evicted == 50, ct);
        Assert.Equal(("online", 50L), (state, evicted));
    }

    [Fact]
    public async Task ProbeKilled_LastWillMarksItOffline()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var context = await IngestionTestContext.CreateAsync(postgres, influx, ct);
        await context.StartServerAsync(ct);
        await using var probe = new ProbeProcess(context.ProbeId, context.Broker.Port, s_noSpeedTest);
        probe.Start();
        await WaitForStatusAsync(context, s => s.State == "online", ct);

        await probe.KillAsync();

        await WaitForStatusAsync(context, s => s.State == "offline", ct);
    }

    private static async Task<(string State, long? Evicted)> WaitForStatusAsync(
        IngestionTestContext context, Func<(string State, long? Evicted), bool> condition, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(s_timeout);
        await using var connection = new NpgsqlConnection(context.PostgresConnectionString);
        await connection.OpenAsync(ct);
        (string State, long? Evicted) last = ("none", null);
        try
        {
            while (true)
            {
                await using var query = new NpgsqlCommand("SELECT state, queue_evicted FROM probe_status WHERE probe_id = $1", connection);
                query.Parameters.Add(new() { Value = context.ProbeId });
                await using (var reader = await query.ExecuteReaderAsync(cts.Token))
                {
                    if (await reader.ReadAsync(cts.Token))
                    {
                        last = (reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetInt64(1));
                        if (condition(last))
                        {
                            return last;
                        }
                    }
                }

                await Task.Delay(100, cts.Token);
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            Assert.Fail($"probe status stayed {last}.\n{context.Logs()}");
            throw;
        }
    }
}
