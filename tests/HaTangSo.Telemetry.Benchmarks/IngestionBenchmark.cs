using System.Diagnostics;
using System.Globalization;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.InfluxDb;
using HaTangSo.Telemetry.Testing;
using MQTTnet;
using MQTTnet.Protocol;

namespace HaTangSo.Telemetry.Benchmarks;

/// <summary>
/// Publishes a stream of results and prints: the broker's own ceiling (a plain subscriber acknowledging the
/// same stream), InfluxDB's own ceiling (raw batched writes of the same points), the server's sustained
/// results/second end to end (publish → queryable in InfluxDB), and publish-to-queryable latency at a paced rate.
/// </summary>
internal static class IngestionBenchmark
{
    private const int Probes = 100;
    private const int Connections = 4;
    private const int Window = 250;

    public static async Task RunAsync(int total, int pacedRate, int pacedSeconds, CancellationToken ct)
    {
        Console.WriteLine($"HaTangSo.Telemetry ingestion benchmark: {total:N0} results from {Probes} probes, {Connections} publisher connections x {Window} in flight; {Environment.ProcessorCount} cores");
        await using var postgres = await PostgresServer.StartAsync(ct);
        await using var influx = await InfluxDbServer.StartAsync(cancellationToken: ct);
        var probeIds = Enumerable.Range(0, Probes).Select(i => $"bench-probe-{i:D3}").ToArray();
        var start = DateTimeOffset.UtcNow.AddDays(-2);
        var results = Enumerable.Range(0, total)
            .Select(i => SampleResults.Create(probeIds[i % Probes], i, start.AddMilliseconds(i * 10L)))
            .ToList();
        var messages = results.Select(r => (r.ProbeId, SampleResults.ToJson(r))).ToList();

        var brokerRate = await BrokerCeilingAsync(messages, ct);
        var influxRate = await InfluxCeilingAsync(influx, results, ct);

        await using var broker = await MosquittoBroker.StartAsync(cancellationToken: ct);
        var database = "bench";
        await using var server = await ServerProcess.StartAsync(new ServerSettings(await postgres.CreateDatabaseAsync(cancellationToken: ct), influx.BaseAddress, database, broker.Port)
        {
            Extra = new Dictionary<string, string?> { ["Ingestion__FlushInterval"] = "00:00:00.500", ["Logging__LogLevel__Default"] = "Warning" },
        }, ct);
        foreach (var probeId in probeIds)
        {
            await server.RegisterProbeAsync(probeId, "18409", ct);
        }

        using var reader = new InfluxProbe(influx.BaseAddress, database);
        var stopwatch = Stopwatch.StartNew();
        var publishing = StreamPublisher.PublishAsync(broker.Port, messages, Connections, Window, ct);
        long count = 0;
        while ((count = await reader.CountResultsAsync(ct)) < total)
        {
            await Task.Delay(250, ct);
        }

        var endToEnd = stopwatch.Elapsed;
        var publishTime = await publishing;
        var serverRate = total / endToEnd.TotalSeconds;
        Console.WriteLine();
        Console.WriteLine("| stage | results/s | how |");
        Console.WriteLine("|---|---:|---|");
        Console.WriteLine($"| Mosquitto ceiling | {brokerRate:N0} | plain subscriber, QoS 1, acknowledging the same stream |");
        Console.WriteLine($"| InfluxDB ceiling | {influxRate:N0} | raw writes of the same points, 5,000 per gzip batch, one writer |");
        Console.WriteLine($"| HaTangSo server, end to end | {serverRate:N0} | first publish until all {total:N0} are queryable ({endToEnd.TotalSeconds:F1} s; publishing alone took {publishTime.TotalSeconds:F1} s) |");

        var latencies = await PacedLatencyAsync(broker.Port, reader, probeIds, pacedRate, pacedSeconds, ct);
        Console.WriteLine();
        Console.WriteLine($"Publish-to-queryable latency at {pacedRate:N0} results/s for {pacedSeconds} s ({latencies.Count:N0} results, InfluxDB polled every 20 ms; server flush interval 500 ms):");
        Console.WriteLine($"  p50 {Percentile(latencies, 0.50):F0} ms, p90 {Percentile(latencies, 0.90):F0} ms, p99 {Percentile(latencies, 0.99):F0} ms, max {latencies.Max():F0} ms");
    }

    private static async Task<double> BrokerCeilingAsync(List<(string ProbeId, byte[] Payload)> messages, CancellationToken ct)
    {
        await using var broker = await MosquittoBroker.StartAsync(cancellationToken: ct);
        using var subscriber = new MqttClientFactory().CreateMqttClient();
        var received = 0;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        subscriber.ApplicationMessageReceivedAsync += _ =>
        {
            if (Interlocked.Increment(ref received) == messages.Count)
            {
                done.TrySetResult();
            }

            return Task.CompletedTask;
        };
        await subscriber.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", broker.Port)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500).WithClientId("bench-plain-subscriber").Build(), ct);
        await subscriber.SubscribeAsync(Topics.ResultsSharedSubscription, MqttQualityOfServiceLevel.AtLeastOnce, ct);
        var stopwatch = Stopwatch.StartNew();
        await StreamPublisher.PublishAsync(broker.Port, messages, Connections, Window, ct);
        await done.Task.WaitAsync(ct);
        return messages.Count / stopwatch.Elapsed.TotalSeconds;
    }

    private static async Task<double> InfluxCeilingAsync(InfluxDbServer influx, List<ResultMessage> results, CancellationToken ct)
    {
        using var http = new HttpClient();
        var client = new InfluxDbClient(http, new InfluxDbConnection { BaseAddress = influx.BaseAddress, Database = "ceiling" });
        await client.EnsureDatabaseAsync("autogen", TimeSpan.FromDays(3650), ct);
        var stopwatch = Stopwatch.StartNew();
        var builder = new LineBuilder(5000 * 400);
        foreach (var chunk in results.Chunk(5000))
        {
            builder.Clear();
            foreach (var r in chunk)
            {
                builder.Measurement("speedtest").Tag("province", "42").Tag("district", "445").Tag("commune", "18409").Tag("probe", r.ProbeId)
                    .Tag("link", r.Link.Name).Tag("access", r.Link.Access).Tag("operator", r.Link.Operator).Tag("technology", r.Link.Technology)
                    .Tag("server", r.Server).Tag("status", r.Status).Field("download_mbps", r.DownloadMbps).Field("upload_mbps", r.UploadMbps)
                    .Field("latency_ms", r.LatencyMs).Field("jitter_ms", r.JitterMs).Field("loss_pct", r.LossPct).Field("loaded_latency_ms", r.LoadedLatencyMs)
                    .Field("duration_ms", r.DurationMs).Field("result_id", r.ResultId).Field("agent_version", r.AgentVersion)
                    .Timestamp(WritePrecision.Nanoseconds.ToTimestamp(r.StartedAt));
            }

            await client.WriteAsync(builder.ToString(), WritePrecision.Nanoseconds, ct);
        }

        return results.Count / stopwatch.Elapsed.TotalSeconds;
    }

    private static async Task<List<double>> PacedLatencyAsync(int port, InfluxProbe reader, string[] probeIds, int rate, int seconds, CancellationToken ct)
    {
        using var client = new MqttClientFactory().CreateMqttClient();
        await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500).WithClientId("bench-paced").Build(), ct);
        var rangeStart = DateTimeOffset.UtcNow.AddHours(-1);
        var total = rate * seconds;
        var ids = new string[total];
        var sent = new Dictionary<string, long>();
        var seen = new Dictionary<string, long>();
        var published = 0;
        var clock = Stopwatch.StartNew();
        var polling = Task.Run(
            async () =>
            {
                var lowest = 0;
                while (seen.Count < total)
                {
                    // Only the results not seen yet: their startedAt is rangeStart + index ms.
                    while (lowest < Volatile.Read(ref published) && seen.ContainsKey(ids[lowest]))
                    {
                        lowest++;
                    }

                    var from = rangeStart.AddMilliseconds(lowest).UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
                    var rows = await reader.RowsAsync($"SELECT result_id FROM speedtest WHERE time >= '{from}'", ct);
                    var now = clock.ElapsedTicks;
                    foreach (var row in rows)
                    {
                        seen.TryAdd(row["result_id"].GetString()!, now);
                    }

                    await Task.Delay(20, ct);
                }
            },
            ct);
        var publishes = new List<Task>();
        for (var i = 0; i < total; i++)
        {
            // Pace by the clock: result i goes out at i / rate seconds.
            var due = TimeSpan.FromSeconds((double)i / rate);
            var wait = due - clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, ct);
            }

            var result = SampleResults.Create(probeIds[i % probeIds.Length], i, rangeStart.AddMilliseconds(i));
            lock (sent)
            {
                sent[result.ResultId] = clock.ElapsedTicks;
            }

            ids[i] = result.ResultId;
            Volatile.Write(ref published, i + 1);

            publishes.Add(StreamPublisher.PublishOneAsync(client, result.ProbeId, SampleResults.ToJson(result), ct));
        }

        await Task.WhenAll(publishes);
        await polling;
        return [.. sent.Select(s => (seen[s.Key] - s.Value) * 1000.0 / Stopwatch.Frequency)];
    }

    internal static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
    }
}
