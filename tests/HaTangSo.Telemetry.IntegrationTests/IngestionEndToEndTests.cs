using System.Text.Json;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Testing;
using Npgsql;

namespace HaTangSo.Telemetry.IntegrationTests;

/// <summary>
/// The ingestion path on real Mosquitto, InfluxDB and PostgreSQL, with the server as a separate process:
/// every published result lands exactly once, whatever fails on the way.
/// </summary>
public sealed class IngestionEndToEndTests(PostgresFixture postgres, InfluxDbFixture influx)
{
    private static readonly TimeSpan s_landTimeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task PublishedResults_LandExactlyOnce_WithTagsAndFields()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var context = await IngestionTestContext.CreateAsync(postgres, influx, ct);
        await context.StartServerAsync(ct);
        var results = Results(context.ProbeId, 500);
        await using var publisher = context.CreatePublisher();

        await publisher.PublishAsync(context.ProbeId, [.. results.Select(SampleResults.ToJson)], ct);
        await context.WaitForResultsAsync(results.Count, s_landTimeout, ct);

        Assert.Equal(results.Count, await context.Influx.CountResultsAsync(ct));
        var sample = results[7];
        var rows = await context.Influx.RowsAsync($"SELECT * FROM speedtest WHERE result_id = '{sample.ResultId}' GROUP BY *", ct);
        var row = Assert.Single(rows);
        Assert.Equal(IngestionTestContext.ProvinceCode, row["province"].GetString());
        Assert.Equal(IngestionTestContext.DistrictCode, row["district"].GetString());
        Assert.Equal(IngestionTestContext.CommuneCode, row["commune"].GetString());
        Assert.Equal(context.ProbeId, row["probe"].GetString());
        Assert.Equal(sample.Link.Access, row["access"].GetString());
        Assert.Equal(sample.Link.Operator, row["operator"].GetString());
        Assert.Equal(sample.Link.Technology, row["technology"].GetString());
        Assert.Equal(sample.Link.Name, row["link"].GetString());
        Assert.Equal(sample.Server, row["server"].GetString());
        Assert.Equal(sample.Status, row["status"].GetString());
        Assert.Equal(sample.DownloadMbps, row["download_mbps"].GetDouble());
        Assert.Equal(sample.UploadMbps, row["upload_mbps"].GetDouble());
        Assert.Equal(sample.LatencyMs, row["latency_ms"].GetDouble());
        Assert.Equal(sample.JitterMs, row["jitter_ms"].GetDouble());
        Assert.Equal(sample.LossPct, row["loss_pct"].GetDouble());
        Assert.Equal(sample.LoadedLatencyMs, row["loaded_latency_ms"].GetDouble());
        Assert.Equal(sample.DurationMs, row["duration_ms"].GetDouble());
        Assert.Equal((sample.StartedAt.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100, row["time"].GetInt64());
    }

    [Fact]
    public async Task AbsentValues_AreLeftOutOfThePoint()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var context = await IngestionTestContext.CreateAsync(postgres, influx, ct);
        await context.StartServerAsync(ct);
        var skipped = SampleResults.Create(context.ProbeId, 0, DateTimeOffset.UtcNow.AddMinutes(-1)) with
        {
            Status = ResultStatus.Skipped, DownloadMbps = null, UploadMbps = null, LatencyMs = null, JitterMs = null,
            LossPct = null, LoadedLatencyMs = null, Error = "link busy",
        };
        await using var publisher = context.CreatePublisher();
        await publisher.PublishAsync(skipped, ct);
        await context.WaitForResultsAsync(1, s_landTimeout, ct);

        var row = Assert.Single(await context.Influx.RowsAsync("SELECT * FROM speedtest", ct));
        foreach (var absent in new[] { "download_mbps", "upload_mbps", "latency_ms", "jitter_ms", "loss_pct", "loaded_latency_ms" })
        {
            // Never written as 0: the field is not in the point (InfluxDB has no column for it at all here).
            Assert.True(!row.TryGetValue(absent, out var value) || value.ValueKind == JsonValueKind.Null, $"{absent} = {value}");
        }

        Assert.Equal(skipped.DurationMs, row["duration_ms"].GetDouble());
        Assert.Equal("link busy", row["error"].GetString());
        Assert.Equal("skipped", row["status"].GetString());
    }

    [Fact]
    public async Task ServerKilledMidStream_NothingLostNothingDuplicated()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var context = await IngestionTestContext.CreateAsync(postgres, influx, ct);
        var server = await context.StartServerAsync(ct);
        var results = Results(context.ProbeId, 3000);
        await using var publisher = context.CreatePublisher();

        var publishing = publisher.PublishAsync(context.ProbeId, [.. results.Select(SampleResults.ToJson)], ct, window: 50);
        await WaitUntilAsync(async () => await context.Influx.CountResultsAsync(ct) >= 300, context, ct);
        await server.KillAsync();
        await publishing;
        await server.StartAgainAsync(ct);

        await context.WaitForResultsAsync(results.Count, s_landTimeout, ct);
        Assert.Equal(results.Count, await context.Influx.CountResultsAsync(ct));
        Assert.Equal(results.Select(r => r.ResultId).ToHashSet(), await context.Influx.ResultIdsAsync(ct));
    }

    // Batches of 100: the outage meets two batches in flight (one writing, the next checked and writing behind it) and a
    // full queue behind them; every one is written once InfluxDB is back, and none is acknowledged before.
    [Theory]
    [InlineData(null)]
    [InlineData("100")]
    public async Task InfluxDbStoppedDuringStream_AllResultsArriveAfterwards(string? maxBatchSize)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var ownInflux = await InfluxDbServer.StartAsync(cancellationToken: ct);
        await using var context = await IngestionTestContext.CreateAsync(postgres, influx, ct);
        var settings = new ServerSettings(context.PostgresConnectionString, ownInflux.BaseAddress, "hatangso", context.Broker.Port)
        {
            Extra = maxBatchSize is null ? new Dictionary<string, string?>() : new Dictionary<string, string?> { ["Ingestion__MaxBatchSize"] = maxBatchSize },
        };
        await using var server = await ServerProcess.StartAsync(settings, ct);
        await server.RegisterProbeAsync(context.ProbeId, IngestionTestContext.CommuneCode, ct);
        using var reader = new InfluxProbe(ownInflux.BaseAddress, "hatangso");
        var results = Results(context.ProbeId, 2000);
        await using var publisher = context.CreatePublisher();

        await publisher.PublishAsync(context.ProbeId, [.. results.Take(500).Select(SampleResults.ToJson)], ct);
        await WaitUntilAsync(async () => await reader.CountResultsAsync(ct) >= 500, context, ct);
        await ownInflux.StopAsync();
        await publisher.PublishAsync(context.ProbeId, [.. results.Skip(500).Select(SampleResults.ToJson)], ct);

        // InfluxDB stays down until the server has met the outage (its write failed and is being retried).
        await WaitUntilAsync(() => Task.FromResult(server.Output.Contains("InfluxDb unavailable for InfluxDB (attempt", StringComparison.Ordinal)), context, ct);
        await ownInflux.StartAgainAsync(ct);

        await WaitUntilAsync(async () => await reader.CountResultsAsync(ct) >= results.Count, context, ct);
        Assert.Equal(results.Count, await reader.CountResultsAsync(ct));
        Assert.Equal(results.Select(r => r.ResultId).ToHashSet(), await reader.ResultIdsAsync(ct));
    }

    [Fact]
    public async Task BrokerRestartedDuringStream_AllResultsArrive()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var context = await IngestionTestContext.CreateAsync(postgres, influx, ct);
        await context.StartServerAsync(ct);
        var results = Results(context.ProbeId, 2000);
        await using var publisher = context.CreatePublisher();

        await publisher.PublishAsync(context.ProbeId, [.. results.Take(1000).Select(SampleResults.ToJson)], ct);
        await context.Broker.StopAsync();
        await context.Broker.StartAgainAsync(ct);
        await publisher.PublishAsync(context.ProbeId, [.. results.Skip(1000).Select(SampleResults.ToJson)], ct);

        await context.WaitForResultsAsync(results.Count, s_landTimeout, ct);
        Assert.Equal(results.Count, await context.Influx.CountResultsAsync(ct));
        Assert.Equal(results.Select(r => r.ResultId).ToHashSet(), await context.Influx.ResultIdsAsync(ct));
    }

    [Fact]
    public async Task MalformedCorpus_EachQuarantinedWithReason_ValidOnesLand_ServerStaysUp()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var context = await IngestionTestContext.CreateAsync(postgres, influx, ct);
        var server = await context.StartServerAsync(ct);
        var corpus = MalformedResults.Create(context.ProbeId, "unregistered-probe", DateTimeOffset.UtcNow);
        Assert.True(corpus.Count >= 30, $"corpus holds {corpus.Count}");
        var valid = Results(context.ProbeId, corpus.Count + 1);
        await using var publisher = context.CreatePublisher();

        // Interleaved: valid, bad, valid, bad, ..., valid.
        for (var i = 0; i < corpus.Count; i++)
        {
            await publisher.PublishAsync(valid[i], ct);
            await publisher.PublishAsync(corpus[i].TopicProbeId, [corpus[i].Payload], ct);
        }

        await publisher.PublishAsync(valid[^1], ct);
        await context.WaitForResultsAsync(valid.Count, s_landTimeout, ct);

        var quarantined = await QuarantineAsync(context.PostgresConnectionString, corpus.Count, ct);
        foreach (var bad in corpus)
        {
            Assert.True(
                quarantined.TryGetValue(Convert.ToHexString(bad.Payload), out var reason),
                $"'{bad.Name}' is not in quarantine.\n{context.Logs()}");
            Assert.Contains(bad.ReasonContains, reason, StringComparison.Ordinal);
        }

        Assert.Equal(valid.Select(r => r.ResultId).ToHashSet(), await context.Influx.ResultIdsAsync(ct));
        using var health = await server.Http.GetAsync("/health", ct);
        Assert.True(health.IsSuccessStatusCode);
    }

    [Fact]
    public async Task TwoInstancesInSharedSubscription_SplitTheStream_NoDuplicateNoLoss()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var context = await IngestionTestContext.CreateAsync(postgres, influx, ct);
        var first = await context.StartServerAsync(ct);
        var second = await context.StartServerAsync(ct);
        var results = Results(context.ProbeId, 3000);
        await using var publisher = context.CreatePublisher();

        await publisher.PublishAsync(context.ProbeId, [.. results.Select(SampleResults.ToJson)], ct);
        await context.WaitForResultsAsync(results.Count, s_landTimeout, ct);

        Assert.Equal(results.Count, await context.Influx.CountResultsAsync(ct));
        Assert.Equal(results.Select(r => r.ResultId).ToHashSet(), await context.Influx.ResultIdsAsync(ct));
        var firstCount = await WrittenAsync(first, ct);
        var secondCount = await WrittenAsync(second, ct);
        Assert.True(firstCount > 0 && secondCount > 0, $"both instances take part: {firstCount} and {secondCount}");
        Assert.Equal(results.Count, firstCount + secondCount);
    }

    internal static List<ResultMessage> Results(string probeId, int count)
    {
        var start = DateTimeOffset.UtcNow.AddHours(-12);
        return [.. Enumerable.Range(0, count).Select(i => SampleResults.Create(probeId, i, start.AddSeconds(i * 7)))];
    }

    private static async Task<long> WrittenAsync(ServerProcess server, CancellationToken ct)
    {
        var metrics = await server.Http.GetStringAsync("/metrics", ct);
        return metrics.Split('\n')
            .Where(l => l.StartsWith("hts_ingest_points_written", StringComparison.Ordinal))
            .Select(l => long.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture))
            .Sum();
    }

    private static async Task<Dictionary<string, string>> QuarantineAsync(string connectionString, int expected, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand("SELECT payload, reason FROM quarantine", connection);
        var rows = new Dictionary<string, string>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            rows[Convert.ToHexString(reader.GetFieldValue<byte[]>(0))] = reader.GetString(1);
        }

        Assert.True(rows.Count >= expected, $"quarantine holds {rows.Count} rows, expected {expected}");
        return rows;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, IngestionTestContext context, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(s_landTimeout);
        try
        {
            while (!await condition())
            {
                await Task.Delay(100, cts.Token);
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            Assert.Fail("Condition not reached.\n" + context.Logs());
        }
    }
}
