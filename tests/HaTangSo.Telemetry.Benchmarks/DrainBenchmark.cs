using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Testing;
using MQTTnet;
using MQTTnet.Protocol;

namespace HaTangSo.Telemetry.Benchmarks;

/// <summary>
/// A province reconnecting after an outage: the server (a separate process, production settings) is stopped with its
/// persistent session kept by the broker; <c>backlog</c> valid results from registered probes are queued in that session;
/// the server starts again. Prints the time to drain the backlog, lost and duplicated (InfluxDB, by result id), the
/// server's peak RSS (its own process: VmRSS sampled every 250 ms and VmHWM), the broker's $SYS counters while it
/// drains, and the publish-to-queryable latency of live results published by other probes during the drain.
/// </summary>
internal static class DrainBenchmark
{
    private const int BacklogProbes = 200;
    private const int LiveProbes = 20;

    public static async Task RunAsync(int backlog, int liveRate, CancellationToken ct)
    {
        Console.WriteLine($"HaTangSo.Telemetry drain benchmark: {backlog:N0} results queued for the stopped server from {BacklogProbes} probes, live results at {liveRate}/s from {LiveProbes} other probes during the drain; {Environment.ProcessorCount} cores, load average {Load.Average()}");
        await using var postgres = await PostgresServer.StartAsync(ct);
        await using var influx = await InfluxDbServer.StartAsync(cancellationToken: ct);
        // $SYS every second: the session's queue and the broker's send rate, as the broker counts them.
        await using var broker = await MosquittoBroker.StartAsync(new MosquittoBrokerOptions { ExtraConfig = "sys_interval 1" }, ct);
        var connectionString = await postgres.CreateDatabaseAsync(cancellationToken: ct);
        var extra = new Dictionary<string, string?>
        {
            // Production: 500 ms batches, the measurement-time limit on (4 × schedule + 4 per link and hour).
            ["Ingestion__FlushInterval"] = "00:00:00.500",
            ["Ingestion__ProbeRateLimitFactor"] = "4",
            ["Ingestion__ProbeRateLimitBurst"] = "4",
            ["Logging__LogLevel__Default"] = "Warning",
            // The live lane (issue 16.2; on by default, opens on the resumed backlog): HTS_BENCH_Mqtt__LiveLane__Enabled=false
            // measures without it.
            ["Mqtt__LiveLane__Enabled"] = "true",
            // The live lane's opening and closing (event ids 3790-3791), to print when it closed.
            ["Logging__LogLevel__HaTangSo.Telemetry.Server.Ingestion.LiveLaneService"] = "Information",
        };
        // HTS_BENCH_DOTNET_gcServer=0, HTS_BENCH_Ingestion__MaxBatchSize=10000 …: runtime settings and configuration for the
        // server only.
        foreach (var (name, value) in Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .Select(e => ((string)e.Key, (string?)e.Value))
            .Where(e => e.Item1.StartsWith("HTS_BENCH_", StringComparison.Ordinal) && (e.Item1.StartsWith("HTS_BENCH_DOTNET_", StringComparison.Ordinal) || e.Item1.Contains("__", StringComparison.Ordinal))))
        {
            extra[name["HTS_BENCH_".Length..]] = value;
        }

        await using var server = await ServerProcess.StartAsync(new ServerSettings(connectionString, influx.BaseAddress, "drain", broker.Port) { Extra = extra }, ct);
        var backlogProbes = Enumerable.Range(0, BacklogProbes).Select(i => $"drain-{i:D3}").ToArray();
        var liveProbes = Enumerable.Range(0, LiveProbes).Select(i => $"live-{i:D2}").ToArray();
        foreach (var probe in backlogProbes.Concat(liveProbes))
        {
            await server.RegisterProbeAsync(probe, "18409", ct);
        }

        // A normal DISCONNECT: the broker keeps the session and its subscription; everything published now is queued.
        await server.StopAsync();
        using var sys = await SysCounters.StartAsync(broker.Port, ct);
        var origin = DateTimeOffset.UtcNow.AddHours(-1);
        var publishTime = await PublishBacklogAsync(broker.Port, backlog, i => Backlog(backlogProbes, i, origin), ct);
        await Task.Delay(2500, ct);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Queued {backlog:N0} in {publishTime.TotalSeconds:F1} s ({backlog / publishTime.TotalSeconds:N0}/s); the broker holds {sys["$SYS/broker/store/messages/count"]} messages, {sys["$SYS/broker/store/messages/bytes"]} bytes; load average {Load.Average()}"));

        using var reader = new InfluxProbe(influx.BaseAddress, "drain");
        var statsAtStart = await HttpStatsAsync(reader, ct);
        var acceptedAtStart = statsAtStart["pointsWrittenOK"];
        var clock = Stopwatch.StartNew();
        await server.StartAgainAsync(ct);
        var healthy = clock.Elapsed;
        var pid = server.ProcessId!.Value;
        Console.WriteLine($"  server pid {pid} (dotnet-counters monitor -p {pid} --counters HaTangSo.Telemetry.Server,System.Runtime)");
        var peak = new PeakMemory(pid);
        using var stopLive = new CancellationTokenSource();
        var live = LiveAsync(broker.Port, reader, liveProbes, liveRate, stopLive.Token, ct);
        var brokerPid = Load.ProcessOf(broker.ConfigPath);
        // InfluxDB's and PostgreSQL's CPU too: a 5 s report in which nobody is busy is a stall, one in which a dependency is
        // busy names what the server waited on.
        var (influxPid, postgresPid) = (influx.ProcessId, postgres.ProcessId);
        var (influxCpu, postgresCpu) = (Load.CpuSeconds(influxPid), Load.TreeCpuSeconds(postgresPid));
        // And the kernel's pressure stall information: a dependency waiting on the disk (an fsync of the WAL) shows as IO stall.
        var ioStalled = Load.StalledSeconds("io");
        var (serverCpu, brokerCpu, lastReport, lastCount) = (Load.CpuSeconds(pid), Load.CpuSeconds(brokerPid), 0.0, 0L);
        var (startServerCpu, startBrokerCpu) = (serverCpu, brokerCpu);
        // InfluxDB's own count of the points it accepted is read every second (a statistics query, about 2 ms of its CPU);
        // the exact count of the backlog only once that many points were accepted, and every tenth second should the
        // statistics fall short. The exact count scans every point written: 0.1-0.3 CPU-s of InfluxDB at 200,000 points,
        // 0.8-1.3 CPU-s at 1,000,000 (2026-12-01); asked every second it took InfluxDB's CPU from the server it measures.
        long count = 0, accepted = 0, polls = 0;
        while (count < backlog && clock.Elapsed < TimeSpan.FromMinutes(10))
        {
            await Task.Delay(1000, ct);
            accepted = await AcceptedAsync(reader, ct) - acceptedAtStart;
            if (accepted >= backlog || ++polls % 10 == 0)
            {
                count = await CountAsync(reader, "drain", ct);
            }

            if (clock.Elapsed.TotalSeconds >= lastReport + 5)
            {
                var (s, b, i, p) = (Load.CpuSeconds(pid), Load.CpuSeconds(brokerPid), Load.CpuSeconds(influxPid), Load.TreeCpuSeconds(postgresPid));
                var io = Load.StalledSeconds("io");
                var seconds = clock.Elapsed.TotalSeconds - lastReport;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {clock.Elapsed.TotalSeconds,5:F0} s: {accepted,9:N0} points accepted by InfluxDB ({(accepted - lastCount) / seconds,7:N0}/s); broker queue {sys["$SYS/broker/store/messages/count"],9}, sent {sys["$SYS/broker/publish/messages/sent"]}, dropped {sys["$SYS/broker/publish/messages/dropped"]}; CPU share: server {(s - serverCpu) / seconds:P0}, broker {(b - brokerCpu) / seconds:P0}, InfluxDB {(i - influxCpu) / seconds:P0}, PostgreSQL {(p - postgresCpu) / seconds:P0}; IO stall {(io - ioStalled) / seconds:P0}; server RSS {PeakMemory.Read(pid, "VmRSS:") / 1048576.0:0} MiB"));
                (serverCpu, brokerCpu, influxCpu, postgresCpu, ioStalled, lastReport, lastCount) = (s, b, i, p, io, clock.Elapsed.TotalSeconds, accepted);
            }
        }

        var drained = clock.Elapsed;
        var statsAtEnd = await HttpStatsAsync(reader, ct);
        long During(string counter) => statsAtEnd[counter] - statsAtStart[counter];
        var (drainServerCpu, drainBrokerCpu) = (Load.CpuSeconds(pid) - startServerCpu, Load.CpuSeconds(brokerPid) - startBrokerCpu);
        await stopLive.CancelAsync();
        var latencies = await live;
        peak.Stop();

        var ids = await DistinctAsync(reader, "drain", ct);
        var lost = backlog - ids;
        var duplicated = count - ids;
        Console.WriteLine();
        Console.WriteLine("| drain | figure |");
        Console.WriteLine("|---|---:|");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| backlog | {backlog:N0} results from {BacklogProbes} probes |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| time to drain (server start → last backlog result queryable) | {drained.TotalSeconds:F1} s ({backlog / drained.TotalSeconds:N0}/s; healthy after {healthy.TotalSeconds:F1} s) |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| lost / duplicated (by result_id) | {lost:N0} / {duplicated:N0} |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| CPU during the drain | server {drainServerCpu:F1} s ({drainServerCpu * 1e6 / Math.Max(1, count):F0} µs a result), broker {drainBrokerCpu:F1} s |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| InfluxDB during the drain (its HTTP statistics; the benchmark's own queries included) | {During("writeReq"):N0} writes ({During("writeReqDurationNs") / 1e9:F1} s), {During("queryReq"):N0} queries ({During("queryReqDurationNs") / 1e9:F1} s) |"));
        Console.WriteLine($"| the server's batch writes (`hts.ingest.write.duration`, from its /metrics) | {await WriteDurationsAsync(server.Http, ct)} |");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| server peak RSS | {peak.PeakBytes / 1048576.0:0} MiB sampled ({peak.PeakMakeUp}), VmHWM {peak.HighWaterBytes / 1048576.0:0} MiB |"));
        // The live lane writes live results first and only acknowledges their second arrival: each must be one point.
        var (liveCount, liveIds) = (await CountAsync(reader, "live", ct), await DistinctAsync(reader, "live", ct));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| live results written / distinct (by result_id) | {liveCount:N0} / {liveIds:N0} |"));
        var lane = server.Output.Split('\n').Where(l => l.Contains("Live lane", StringComparison.Ordinal)).Select(l => l.Trim()).ToList();
        Console.WriteLine($"| live lane | {(lane.Count == 0 ? "not logged (Logging:LogLevel:Default is Warning; see below)" : string.Join(" → ", lane))} |");
        Console.WriteLine(latencies.Count == 0
            ? "| live results during the drain | none became queryable |"
            : string.Create(CultureInfo.InvariantCulture, $"| live results during the drain, publish → queryable | n {latencies.Count}, p50 {IngestionBenchmark.Percentile(latencies, 0.5):F0} ms, p99 {IngestionBenchmark.Percentile(latencies, 0.99):F0} ms, max {latencies.Max():F0} ms |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"load average now {Load.Average()}; settings: {string.Join(", ", extra.Where(e => e.Key.StartsWith("DOTNET_", StringComparison.Ordinal) || e.Key.Contains("MaxBatchSize", StringComparison.Ordinal) || e.Key.Contains("Gzip", StringComparison.Ordinal)).Select(e => e.Key + "=" + e.Value).DefaultIfEmpty("the server's runtimeconfig"))}"));
        var complaints = server.Output.Split('\n').Where(l => l.Contains("warn", StringComparison.OrdinalIgnoreCase) || l.Contains("fail", StringComparison.OrdinalIgnoreCase)).ToList();
        if (complaints.Count > 0)
        {
            Console.WriteLine($"The server logged {complaints.Count} warnings or errors; the last:\n" + string.Join("\n", complaints.TakeLast(10)));
        }

        var notices = broker.Output.Split('\n').Where(l => l.Contains("drop", StringComparison.OrdinalIgnoreCase)).ToList();
        if (notices.Count > 0)
        {
            Console.WriteLine("The broker dropped messages: " + string.Join(" | ", notices.Take(5)));
        }
    }

    /// <summary>
    /// How long the server's batches took to become durable, from its Prometheus histogram: the count in each bucket
    /// (not cumulative), their sum, and the retries. A drain that stalls with every process idle shows here whether
    /// the server was waiting on its writes.
    /// </summary>
    private static async Task<string> WriteDurationsAsync(HttpClient http, CancellationToken cancellationToken)
    {
        string text;
        try
        {
            text = await http.GetStringAsync("/metrics", cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            return "not read: " + ex.Message;
        }

        var buckets = new SortedDictionary<double, double>();
        double Value(string line) => double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
        double sum = 0, retries = 0;
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith("hts_ingest_write_duration_seconds_bucket{", StringComparison.Ordinal))
            {
                var le = line[(line.IndexOf("le=\"", StringComparison.Ordinal) + 4)..];
                le = le[..le.IndexOf('"', StringComparison.Ordinal)];
                var bound = le == "+Inf" ? double.PositiveInfinity : double.Parse(le, CultureInfo.InvariantCulture);
                buckets[bound] = buckets.GetValueOrDefault(bound) + Value(line);
            }
            else if (line.StartsWith("hts_ingest_write_duration_seconds_sum", StringComparison.Ordinal))
            {
                sum += Value(line);
            }
            else if (line.StartsWith("hts_ingest_write_retries_total", StringComparison.Ordinal))
            {
                retries += Value(line);
            }
        }

        if (buckets.Count == 0)
        {
            return "no histogram in /metrics";
        }

        var parts = new List<string>();
        double below = 0;
        foreach (var (bound, cumulative) in buckets)
        {
            var n = cumulative - below;
            below = cumulative;
            if (n > 0)
            {
                parts.Add(string.Create(CultureInfo.InvariantCulture, $"{(double.IsPositiveInfinity(bound) ? "> 30 s" : $"≤ {bound} s")}: {n:0}"));
            }
        }

        return string.Create(CultureInfo.InvariantCulture, $"{below:N0} batches, {sum:F1} s in all; {string.Join(", ", parts)}; retries {retries:0}");
    }

    // Result i of the backlog: probe i % probes, its k-th result 7.5 minutes before the previous one (the two links
    // alternate, each on a 15-minute schedule), so none trips the measurement-time limit. The result id encodes i.
    private static (string ProbeId, byte[] Payload) Backlog(string[] probes, int i, DateTimeOffset origin)
    {
        var k = i / probes.Length;
        var result = SampleResults.Create(probes[i % probes.Length], k, origin.AddMinutes(-7.5 * k), IdOf(i));
        return (result.ProbeId, SampleResults.ToJson(result));
    }

    private static Guid IdOf(int i)
    {
        Span<byte> bytes = stackalloc byte[16];
        bytes.Clear();
        BitConverter.TryWriteBytes(bytes, i);
        bytes[15] = 0xd7;
        return new Guid(bytes);
    }

    private static async Task<long> CountAsync(InfluxProbe reader, string prefix, CancellationToken ct)
    {
        var rows = await reader.RowsAsync($"SELECT count(result_id) FROM speedtest WHERE probe =~ /^{prefix}-/", ct);
        return rows.Count == 0 ? 0 : rows[0]["count"].GetInt64();
    }

    // Points InfluxDB accepted over HTTP since it started (every measurement, live results included).
    private static async Task<long> AcceptedAsync(InfluxProbe reader, CancellationToken ct) => (await HttpStatsAsync(reader, ct))["pointsWrittenOK"];

    // InfluxDB's HTTP counters since it started (requests, points, time spent), summed over its listeners.
    private static async Task<Dictionary<string, long>> HttpStatsAsync(InfluxProbe reader, CancellationToken ct)
    {
        var rows = await reader.RowsAsync("SHOW STATS FOR 'httpd'", ct);
        return rows.SelectMany(r => r).Where(c => c.Value.ValueKind == System.Text.Json.JsonValueKind.Number)
            .GroupBy(c => c.Key).ToDictionary(g => g.Key, g => g.Sum(c => c.Value.GetInt64()));
    }

    private static async Task<long> DistinctAsync(InfluxProbe reader, string prefix, CancellationToken ct)
    {
        var rows = await reader.RowsAsync($"SELECT count(distinct(result_id)) FROM speedtest WHERE probe =~ /^{prefix}-/", ct);
        return rows.Count == 0 ? 0 : rows[0]["count"].GetInt64();
    }

    // Four connections, 500 messages in flight each: the flood benchmark's publisher, with its own client ids.
    private static Task<TimeSpan> PublishBacklogAsync(int port, int count, Func<int, (string ProbeId, byte[] Payload)> make, CancellationToken ct) =>
        FloodBenchmark.PublishStreamAsync(port, count, make, connections: 4, window: 500, ct, clientPrefix: "bench-backlog");

    // Live probes publish at a steady rate until told to stop; each result's publish-to-queryable time (InfluxDB polled
    // every 50 ms). Results published after the stop are not counted; the ones published before get 60 s to appear.
    private static async Task<List<double>> LiveAsync(int port, InfluxProbe reader, string[] probes, int rate, CancellationToken stop, CancellationToken ct)
    {
        using var client = new MqttClientFactory().CreateMqttClient();
        await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500).WithClientId("bench-live").Build(), ct);
        var sent = new ConcurrentDictionary<string, long>();
        var seen = new ConcurrentDictionary<string, long>();
        var kOf = new ConcurrentDictionary<string, int>();
        var seenOfK = new ConcurrentDictionary<int, int>();
        var clock = Stopwatch.StartNew();
        var origin = DateTimeOffset.UtcNow.AddMinutes(-1);
        var publishing = true;
        var polling = Task.Run(
            async () =>
            {
                var deadline = TimeSpan.MaxValue;
                var lowK = 0;
                while (clock.Elapsed < deadline && (publishing || seen.Count < sent.Count))
                {
                    // Only the results not all seen yet: round k is 7.5 minutes before round k - 1, so the rounds from the
                    // oldest one not complete on are the points at or before its time. Polled every 50 ms, a query of
                    // every live point (1,000 and more by the end) was itself load on InfluxDB.
                    var bound = origin.AddMinutes(-7.5 * lowK).AddSeconds(1).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture);
                    var rows = await reader.RowsAsync($"SELECT result_id FROM speedtest WHERE probe =~ /^live-/ AND time <= '{bound}'", ct);
                    var now = clock.ElapsedTicks;
                    foreach (var row in rows)
                    {
                        var id = row["result_id"].GetString()!;
                        if (seen.TryAdd(id, now) && kOf.TryGetValue(id, out var k))
                        {
                            seenOfK.AddOrUpdate(k, 1, (_, n) => n + 1);
                        }
                    }

                    while (seenOfK.TryGetValue(lowK, out var complete) && complete == probes.Length)
                    {
                        lowK++;
                    }

                    if (!publishing && deadline == TimeSpan.MaxValue)
                    {
                        deadline = clock.Elapsed + TimeSpan.FromSeconds(60);
                    }

                    await Task.Delay(50, ct);
                }
            },
            ct);
        for (var i = 0; !stop.IsCancellationRequested; i++)
        {
            var wait = TimeSpan.FromSeconds((double)i / rate) - clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, ct);
            }

            var probe = probes[i % probes.Length];
            var k = i / probes.Length;
            var result = SampleResults.Create(probe, k, origin.AddMinutes(-7.5 * k));
            kOf[result.ResultId] = k;
            sent[result.ResultId] = clock.ElapsedTicks;
            await client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(Topics.Results(probe)).WithPayload(SampleResults.ToJson(result))
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build(), ct);
        }

        publishing = false;
        await polling;
        await client.DisconnectAsync(cancellationToken: ct);
        return [.. seen.Where(s => sent.ContainsKey(s.Key)).Select(s => (s.Value - sent[s.Key]) * 1000.0 / Stopwatch.Frequency)];
    }

    /// <summary>The broker's latest $SYS values (anonymous subscriber on the benchmark's broker).</summary>
    private sealed class SysCounters : IDisposable
    {
        private readonly IMqttClient _client = new MqttClientFactory().CreateMqttClient();
        private readonly ConcurrentDictionary<string, string> _values = new(StringComparer.Ordinal);

        public string this[string topic] => _values.TryGetValue(topic, out var value) ? value : "?";

        public static async Task<SysCounters> StartAsync(int port, CancellationToken ct)
        {
            var counters = new SysCounters();
            counters._client.ApplicationMessageReceivedAsync += e =>
            {
                counters._values[e.ApplicationMessage.Topic] = Encoding.UTF8.GetString(e.ApplicationMessage.Payload);
                return Task.CompletedTask;
            };
            await counters._client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port)
                .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500).WithClientId("bench-sys").Build(), ct);
            await counters._client.SubscribeAsync("$SYS/broker/#", MqttQualityOfServiceLevel.AtMostOnce, ct);
            return counters;
        }

        public void Dispose() => _client.Dispose();
    }
}
