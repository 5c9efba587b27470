using System.Globalization;
using System.Text.RegularExpressions;
using HaTangSo.Telemetry.Testing;

namespace HaTangSo.Telemetry.IntegrationTests;

/// <summary>
/// The live lane (issue 16.2) on real Mosquitto, InfluxDB and PostgreSQL: with a backlog held in the server's persistent
/// session while InfluxDB is away, results published once the lane is open are written before the backlog is, the lane
/// closes once the persistent session has caught up, and every result is written once and counted once.
/// </summary>
public sealed partial class LiveLaneTests(PostgresFixture postgres, InfluxDbFixture influx)
{
    private const int Backlog = 20_000;
    private const int Live = 3;

    // Two hundred batches of ten: well below Receive Maximum, so the broker sends all of it before the SUBACK.
    private const int IdleBacklog = 2_000;

    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task ResultsPublishedDuringADrain_WrittenBeforeTheBacklog_LaneClosesAfterTheCatchUp_NothingLostOrDoubled()
    {
        var ct = TestContext.Current.CancellationToken;
        // An InfluxDB of its own, stopped while the backlog builds up: the drain cannot start before the live results are
        // published, however fast the machine is (with a shared one, a quiet machine drained 20,000 before the lane was
        // even open).
        await using var ownInflux = await InfluxDbServer.StartAsync(cancellationToken: ct);
        await using var context = await IngestionTestContext.CreateAsync(postgres, influx, ct);
        using var reader = new InfluxProbe(ownInflux.BaseAddress, context.Database);
        // Small batches: the backlog takes two hundred batches, the live results one. The live lane is on by default.
        var server = await context.StartServerAsync(ct, new Dictionary<string, string?>
        {
            ["Ingestion__MaxBatchSize"] = "100",
            ["Influx__Url"] = ownInflux.BaseAddress.ToString(),
            // Shorter than the default half minute: the test need not wait for it.
            ["Mqtt__LiveLane__OpenAfter"] = "00:00:05",
            // The server is paused while the backlog is published (below): the broker must not drop it meanwhile.
            ["Mqtt__KeepAlive"] = "00:05:00",
        });
        var liveProbe = "live-" + Guid.NewGuid().ToString("N")[..10];
        await server.RegisterProbeAsync(liveProbe, IngestionTestContext.CommuneCode, ct);

        // InfluxDB away: the server holds two batches, the broker the rest of the backlog in the persistent session.
        await ownInflux.StopAsync();
        var origin = DateTimeOffset.UtcNow.AddHours(-1);
        var backlog = Enumerable.Range(0, Backlog).Select(i => SampleResults.Create(context.ProbeId, i, origin.AddSeconds(-i))).ToList();
        // The server is paused (SIGSTOP) while the backlog is published, so the lane's clock (a full batch waiting for
        // OpenAfter) starts only once the whole backlog is in the broker. Running, its lane could open while the backlog was
        // still being published, and a busy machine's slower publisher then sent part of the backlog through the lane
        // (a CI run of 2026-12-02: 8,036 backlog results taken by the lane, half of what was published after it opened).
        await server.SignalAsync(UnixSignal.Stop);
        try
        {
            await using var publisher = context.CreatePublisher();
            await publisher.PublishAsync(context.ProbeId, [.. backlog.Select(SampleResults.ToJson)], ct, window: 500);
        }
        finally
        {
            await server.SignalAsync(UnixSignal.Continue);
        }

        // A full batch has waited for Mqtt:LiveLane:OpenAfter: the lane opens. Results published from then on are live.
        await WaitForAsync(context, () => Task.FromResult(server.Output.Contains("Live lane open (Backlog)", StringComparison.Ordinal)), "the live lane to open on the backlog", ct);
        var live = Enumerable.Range(0, Live).Select(i => SampleResults.Create(liveProbe, i, DateTimeOffset.UtcNow.AddMinutes(-1 - i))).ToList();
        await using var livePublisher = context.CreatePublisher();
        await livePublisher.PublishAsync(liveProbe, [.. live.Select(SampleResults.ToJson)], ct);
        await WaitForAsync(context, async () => Metric(await server.Http.GetStringAsync("/metrics", ct), "hts_ingest_live_results_total", "outcome=\"taken\"") >= Live, "the live lane to take the live results", ct);
        await ownInflux.StartAgainAsync(ct);

        var backlogWhenLiveLanded = new List<long>();
        foreach (var result in live)
        {
            await WaitForAsync(context, async () => await CountAsync(reader, $"result_id = '{result.ResultId}'", ct) == 1, "the live result " + result.ResultId, ct);
            backlogWhenLiveLanded.Add(await CountAsync(reader, $"probe = '{context.ProbeId}'", ct));
        }

        // Each live result was queryable while the backlog was still being written.
        Assert.All(backlogWhenLiveLanded, count => Assert.True(count < Backlog, $"backlog written when the live results landed: {string.Join(", ", backlogWhenLiveLanded)}"));

        await WaitForAsync(context, async () => await reader.CountResultsAsync(ct) >= Backlog + Live, "every result", ct);
        await WaitForAsync(context, () => Task.FromResult(server.Output.Contains("Live lane closed (CaughtUp)", StringComparison.Ordinal)), "the live lane to close after the catch-up", ct);
        // Opened once: on the backlog, not at the first start (no session then, so no backlog).
        Assert.Single(OpenLine().Matches(server.Output));

        // Every result once: the live results' second arrival (through the persistent session) was only acknowledged.
        var ids = await reader.ResultIdsAsync(ct);
        Assert.Equal(Backlog + Live, ids.Count);
        Assert.Equal(Backlog + Live, await reader.CountResultsAsync(ct));
        // The close comes from the persistent session's handler on the first copy; the copies are counted when the batch
        // writer takes them, a moment later.
        await WaitForAsync(context, async () => Metric(await server.Http.GetStringAsync("/metrics", ct), "hts_ingest_live_results_total", "outcome=\"copy\"") >= Live, "the copies to be counted", ct);
        var scrape = await server.Http.GetStringAsync("/metrics", ct);
        Assert.Equal(Backlog + Live, Metric(scrape, "hts_ingest_messages_received_total", "kind=\"result\""));
        Assert.Equal(Live, Metric(scrape, "hts_ingest_live_results_total", "outcome=\"taken\""));
        Assert.Equal(Live, Metric(scrape, "hts_ingest_live_results_total", "outcome=\"copy\""));
        Assert.Equal(0, Metric(scrape, "hts_ingest_messages_quarantined_total", string.Empty));
        Assert.Equal(0, Metric(scrape, "hts_ingest_live_open", string.Empty));
    }

    [Fact]
    public async Task ResumedBacklogInBatchesOfTen_LaneOpensAtOnce_NoLiveTraffic_ClosesIdle_EachResultWrittenAndAcknowledgedOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var context = await IngestionTestContext.CreateAsync(postgres, influx, ct);
        var server = await context.StartServerAsync(ct, new Dictionary<string, string?>
        {
            // Batches of ten: the shape in which the resumed rule seemed never to open the lane (see the README).
            ["Ingestion__MaxBatchSize"] = "10",
            // Only the resumed rule may open it (the running rule's longest wait), and the calm closes it soon.
            ["Mqtt__LiveLane__OpenAfter"] = "01:00:00",
            ["Mqtt__LiveLane__CloseAfter"] = "00:00:02",
        });

        // A normal DISCONNECT: the broker keeps the session and queues the backlog in it.
        await server.StopAsync();
        var origin = DateTimeOffset.UtcNow.AddHours(-2);
        var backlog = Enumerable.Range(0, IdleBacklog).Select(i => SampleResults.Create(context.ProbeId, i, origin.AddSeconds(-i))).ToList();
        await using var publisher = context.CreatePublisher();
        await publisher.PublishAsync(context.ProbeId, [.. backlog.Select(SampleResults.ToJson)], ct, window: 500);

        // The resumed session's first batch is full: the lane opens at once (the metric: the log line may have left the
        // test's tail of the output by now, the batches log a few lines each). Nothing is published from here on.
        await server.StartAgainAsync(ct);
        await WaitForAsync(context, async () => Metric(await server.Http.GetStringAsync("/metrics", ct), "hts_ingest_live_changes_total", "change=\"open\"") >= 1, "the live lane to open", ct);
        await WaitForAsync(context, async () => await context.Influx.CountResultsAsync(ct) >= IdleBacklog, "the backlog to be written", ct);
        // No copy can come back (nothing was live): less than a batch has waited for CloseAfter, so the lane closes.
        await WaitForAsync(context, () => Task.FromResult(server.Output.Contains("Live lane closed (Idle)", StringComparison.Ordinal)), "the live lane to close for being idle", ct);

        Assert.Single(CloseLine().Matches(server.Output));
        Assert.Equal(backlog.Select(r => r.ResultId).Order(), (await context.Influx.ResultIdsAsync(ct)).Order());
        Assert.Equal(IdleBacklog, await context.Influx.CountResultsAsync(ct));
        var scrape = await server.Http.GetStringAsync("/metrics", ct);
        Assert.Equal(IdleBacklog, Metric(scrape, "hts_ingest_messages_received_total", "kind=\"result\""));
        Assert.Equal(1, Metric(scrape, "hts_ingest_live_changes_total", "change=\"open\"", "reason=\"resumed\""));
        Assert.Equal(1, Metric(scrape, "hts_ingest_live_changes_total", "change=\"close\"", "reason=\"idle\""));
        Assert.Equal(2, Metric(scrape, "hts_ingest_live_changes_total"));
        Assert.Equal(0, Metric(scrape, "hts_ingest_live_results_total"));
        Assert.Equal(0, Metric(scrape, "hts_ingest_messages_quarantined_total"));
        Assert.Equal(0, Metric(scrape, "hts_ingest_live_open"));

        // Every backlog result was acknowledged too: after a restart the session delivers nothing of it again, only a result
        // published now (the broker resends what was not acknowledged first, so the marker comes after any of it).
        await server.StopAsync();
        await server.StartAgainAsync(ct);
        var marker = SampleResults.Create(context.ProbeId, 0, DateTimeOffset.UtcNow.AddMinutes(-1));
        await publisher.PublishAsync(marker, ct);
        await WaitForAsync(context, async () => (await context.Influx.ResultIdsAsync(ct)).Contains(marker.ResultId), "a result published after the restart", ct);
        Assert.Equal(1, Metric(await server.Http.GetStringAsync("/metrics", ct), "hts_ingest_messages_received_total", "kind=\"result\""));
    }

    private static async Task<long> CountAsync(InfluxProbe reader, string where, CancellationToken ct)
    {
        var rows = await reader.RowsAsync("SELECT count(result_id) FROM speedtest WHERE " + where, ct);
        return rows.Count == 0 ? 0 : rows[0]["count"].GetInt64();
    }

    private static Task WaitForAsync(IngestionTestContext context, Func<Task<bool>> condition, string what, CancellationToken ct) =>
        WaitForAsync(context, condition, () => what, ct);

    private static async Task WaitForAsync(IngestionTestContext context, Func<Task<bool>> condition, Func<string> what, CancellationToken ct)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(s_timeout);
        try
        {
            while (!await condition())
            {
                await Task.Delay(100, limit.Token);
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            Assert.Fail($"Waited {s_timeout} for {what()}.\n{context.Logs()}");
        }
    }

    // The sum of a metric's series whose labels contain each of the given texts (Prometheus text format).
    private static double Metric(string scrape, string name, params string[] labels) => scrape.Split('\n')
        .Select(l => MetricLine().Match(l))
        .Where(m => m.Success && m.Groups["name"].Value == name && labels.All(label => m.Groups["labels"].Value.Contains(label, StringComparison.Ordinal)))
        .Sum(m => double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture));

    [GeneratedRegex(@"Live lane open \(")]
    private static partial Regex OpenLine();

    [GeneratedRegex(@"Live lane closed \(")]
    private static partial Regex CloseLine();

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[^}]*)\})? (?<value>[^ ]+)")]
    private static partial Regex MetricLine();
}
