using System.Diagnostics;
using System.Globalization;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Testing;
using MQTTnet;
using MQTTnet.Protocol;
using Npgsql;

namespace HaTangSo.Telemetry.Benchmarks;

/// <summary>
/// Per-probe isolation: honest probes publish a paced stream and their publish-to-queryable latency is measured,
/// first alone, then beside one probe at 100× its scheduled rate, then beside a hostile probe flooding as fast as the
/// broker takes it (by default 1,000,000 messages: valid results far beyond its schedule, rotating link names,
/// outliers, an unregistered server). Prints the latencies side by side, what happened to the flood (written,
/// quarantined by kind, in how many quarantine rows) and the server's peak resident memory. Production settings.
/// </summary>
internal static class FloodBenchmark
{
    private const int HonestProbes = 20;
    private const string Flooder = "flooder";

    public static async Task RunAsync(int flood, int rate, int seconds, CancellationToken ct)
    {
        Console.WriteLine($"HaTangSo.Telemetry flood benchmark: {HonestProbes} honest probes at {rate}/s for {seconds} s, alone and beside one probe flooding {flood:N0} messages; {Environment.ProcessorCount} cores, load average {Load.Average()}");
        await using var postgres = await PostgresServer.StartAsync(ct);
        await using var influx = await InfluxDbServer.StartAsync(cancellationToken: ct);
        await using var broker = await MosquittoBroker.StartAsync(cancellationToken: ct);
        var connectionString = await postgres.CreateDatabaseAsync(cancellationToken: ct);
        await using var server = await ServerProcess.StartAsync(new ServerSettings(connectionString, influx.BaseAddress, "flood", broker.Port)
        {
            // The production defaults: 500 ms batches, rate limit 4 × schedule + 4 per link and hour, arrival bucket
            // 25,000 at once and 1/s per probe (the server's defaults; ServerProcess leaves them alone).
            Extra = new Dictionary<string, string?>
            {
                ["Ingestion__FlushInterval"] = "00:00:00.500",
                ["Ingestion__ProbeRateLimitFactor"] = "4",
                ["Ingestion__ProbeRateLimitBurst"] = "4",
                ["Logging__LogLevel__Default"] = "Warning",
            },
        }, ct);
        var honest = Enumerable.Range(0, HonestProbes).Select(i => $"honest-{i:D2}").ToArray();
        foreach (var probe in honest.Append(Flooder))
        {
            await server.RegisterProbeAsync(probe, "18409", ct);
        }

        using var reader = new InfluxProbe(influx.BaseAddress, "flood");
        var alone = await PacedAsync(broker.Port, reader, honest, 0, rate, seconds, ct);

        // Beside a probe publishing 100× as fast as each honest probe does here (valid results, one every 4.5 s of
        // measurement time: 100× a two-link, 15-minute schedule).
        var now = DateTimeOffset.UtcNow;
        var floodStart = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero).AddDays(-20);
        var pacedFloodRate = rate * 100 / HonestProbes;
        var paced = Enumerable.Range(0, pacedFloodRate * seconds)
            .Select(i => SampleResults.ToJson(SampleResults.Create(Flooder, i, floodStart.AddSeconds(i * 4.5)))).ToList();
        var pacedFlood = PublishPacedAsync(broker.Port, paced, pacedFloodRate, ct);
        var beside100 = await PacedAsync(broker.Port, reader, honest, 1, rate, seconds, ct);
        await pacedFlood;

        // Beside the hostile probe flooding as fast as the broker takes it, generated as it goes (no million payloads
        // held in memory here).
        var peak = new PeakMemory(server.ProcessId!.Value);
        var flooding = PublishStreamAsync(broker.Port, flood, i => Hostile(i, floodStart.AddDays(-30)), 4, 500, ct);
        var beside = await PacedAsync(broker.Port, reader, honest, 2, rate, seconds, ct);
        var floodTime = await flooding;
        var total = flood + paced.Count;

        var (written, quarantined, rows, byKind) = (0L, 0L, 0L, string.Empty);
        var wait = Stopwatch.StartNew();
        var brokerPid = Load.ProcessOf(broker.ConfigPath);
        var (serverCpu, brokerCpu, lastReport) = (Load.CpuSeconds(server.ProcessId!.Value), Load.CpuSeconds(brokerPid), 0L);
        while (written + quarantined < total && wait.Elapsed < TimeSpan.FromMinutes(5))
        {
            await Task.Delay(1000, ct);
            if (wait.Elapsed.TotalSeconds >= lastReport + 10)
            {
                // Who is busy while the flood drains: the server, or the broker (with its backlog for the server's session).
                var (s, b) = (Load.CpuSeconds(server.ProcessId!.Value), Load.CpuSeconds(brokerPid));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {wait.Elapsed.TotalSeconds:F0} s after the last publish: {written + quarantined:N0} of {total:N0} accounted; CPU in the last 10 s: server {s - serverCpu:F1} s, broker {b - brokerCpu:F1} s"));
                (serverCpu, brokerCpu, lastReport) = (s, b, (long)wait.Elapsed.TotalSeconds);
            }

            (quarantined, rows, byKind) = await QuarantineAsync(connectionString, ct);
            var counted = await reader.RowsAsync($"SELECT count(result_id) FROM speedtest WHERE probe = '{Flooder}'", ct);
            written = counted.Count == 0 ? 0 : counted[0]["count"].GetInt64();
        }

        peak.Stop();
        Console.WriteLine();
        Console.WriteLine("| honest probes' results | n | p50 ms | p90 ms | p99 ms | max ms |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        Row("alone", alone);
        Row($"beside one probe at 100× an honest probe's rate ({pacedFloodRate}/s)", beside100);
        Row($"beside the hostile probe flooding at full speed ({flood:N0} in {floodTime.TotalSeconds:F1} s = {flood / floodTime.TotalSeconds:N0}/s)", beside);
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Flooding probe, {total:N0} messages: {written:N0} written, {quarantined:N0} quarantined ({byKind}) in {rows:N0} quarantine rows, {total - written - quarantined:N0} unaccounted (all accounted {wait.Elapsed.TotalSeconds:F0} s after the last publish)."));
        var honestRows = await reader.RowsAsync("SELECT count(result_id) FROM speedtest WHERE probe =~ /^honest/", ct);
        var honestWritten = honestRows.Count == 0 ? 0 : honestRows[0]["count"].GetInt64();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Honest results in InfluxDB at the end: {honestWritten:N0} of {3 * rate * seconds:N0}."));
        var notices = broker.Output.Split('\n').Where(l => l.Contains("dropped", StringComparison.OrdinalIgnoreCase)).ToList();
        if (notices.Count > 0)
        {
            Console.WriteLine("The broker dropped messages: " + string.Join(" | ", notices.Take(5)));
        }

        var complaints = server.Output.Split('\n').Where(l => l.Contains("warn", StringComparison.OrdinalIgnoreCase) || l.Contains("fail", StringComparison.OrdinalIgnoreCase) || l.Contains("crit", StringComparison.OrdinalIgnoreCase)).ToList();
        if (complaints.Count > 0)
        {
            Console.WriteLine($"The server logged {complaints.Count} warnings or errors; the last:\n" + string.Join("\n", complaints.TakeLast(30)));
        }

        if (written + quarantined < total)
        {
            var output = server.Output;
            Console.WriteLine("Not all messages were accounted for; the server's log ends with:\n" + output[Math.Max(0, output.Length - 8000)..]);
            Console.WriteLine("The broker's log ends with:\n" + broker.Output[Math.Max(0, broker.Output.Length - 4000)..]);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Server peak RSS during the flood {peak.PeakBytes / 1048576.0:0} MiB (VmHWM {peak.HighWaterBytes / 1048576.0:0} MiB); load average now {Load.Average()}. Flush interval 500 ms; InfluxDB polled every 20 ms."));
    }

    // The flood: every fourth message a valid result far beyond the schedule (measurement-time limited), the others a
    // rotating link name, a 100,000 Mb/s outlier, an unregistered server. Every one distinct (its own result id).
    private static (string ProbeId, byte[] Payload) Hostile(int i, DateTimeOffset origin)
    {
        var result = SampleResults.Create(Flooder, 0, origin.AddSeconds(i * 2.5));
        result = (i % 4) switch
        {
            0 => result,
            1 => result with { Link = result.Link with { Name = "l" + (i % 1000).ToString("D4", CultureInfo.InvariantCulture) } },
            2 => result with { DownloadMbps = 100_000 },
            _ => result with { Server = "evil-server" },
        };
        return (Flooder, SampleResults.ToJson(result));
    }

    private static async Task<(long Messages, long Rows, string ByKind)> QuarantineAsync(string connectionString, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(
            $"SELECT reason_kind, sum(occurrences)::bigint, count(*) FROM quarantine WHERE probe_id = '{Flooder}' GROUP BY reason_kind ORDER BY 2 DESC", connection);
        var (messages, rows, kinds) = (0L, 0L, new List<string>());
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            messages += reader.GetInt64(1);
            rows += reader.GetInt64(2);
            kinds.Add(string.Create(CultureInfo.InvariantCulture, $"{reader.GetString(0)} {reader.GetInt64(1):N0} in {reader.GetInt64(2):N0} rows"));
        }

        return (messages, rows, string.Join(", ", kinds));
    }

    internal static async Task<TimeSpan> PublishStreamAsync(
        int port, int count, Func<int, (string ProbeId, byte[] Payload)> make, int connections, int window, CancellationToken ct,
        string clientPrefix = "bench-flood")
    {
        var clients = new List<IMqttClient>();
        for (var c = 0; c < connections; c++)
        {
            var client = new MqttClientFactory().CreateMqttClient();
            await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port)
                .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500).WithClientId($"{clientPrefix}-{c}").Build(), ct);
            clients.Add(client);
        }

        var stopwatch = Stopwatch.StartNew();
        await Task.WhenAll(clients.Select((client, c) => Task.Run(
            async () =>
            {
                for (var start = c * window; start < count; start += connections * window)
                {
                    var end = Math.Min(start + window, count);
                    await Task.WhenAll(Enumerable.Range(start, end - start).Select(i =>
                    {
                        var (probe, payload) = make(i);
                        return StreamPublisher.PublishOneAsync(client, probe, payload, ct);
                    }));
                }
            },
            ct)));
        stopwatch.Stop();
        foreach (var client in clients)
        {
            await client.DisconnectAsync(cancellationToken: ct);
            client.Dispose();
        }

        return stopwatch.Elapsed;
    }

    private static async Task PublishPacedAsync(int port, List<byte[]> payloads, int rate, CancellationToken ct)
    {
        using var client = new MqttClientFactory().CreateMqttClient();
        await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500).WithClientId("bench-flooder-paced").Build(), ct);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < payloads.Count; i++)
        {
            var wait = TimeSpan.FromSeconds((double)i / rate) - clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, ct);
            }

            await client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(Topics.Results(Flooder)).WithPayload(payloads[i])
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build(), ct);
        }

        await client.DisconnectAsync(cancellationToken: ct);
    }

    private static void Row(string name, List<double> latencies) => Console.WriteLine(
        $"| {name} | {latencies.Count} | {IngestionBenchmark.Percentile(latencies, 0.5):F0} | {IngestionBenchmark.Percentile(latencies, 0.9):F0} | {IngestionBenchmark.Percentile(latencies, 0.99):F0} | {latencies.Max():F0} |");

    // Honest results: probe i's k-th result measured k × 15 minutes ago (phase 1 a day earlier), so none is rate limited.
    private static async Task<List<double>> PacedAsync(int port, InfluxProbe reader, string[] probes, int phase, int rate, int seconds, CancellationToken ct)
    {
        using var client = new MqttClientFactory().CreateMqttClient();
        await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500).WithClientId($"bench-honest-{phase}").Build(), ct);
        var total = rate * seconds;
        var sent = new Dictionary<string, long>();
        var seen = new Dictionary<string, long>();
        var clock = Stopwatch.StartNew();
        var origin = DateTimeOffset.UtcNow.AddDays(-1 - (phase * 10));
        var polling = Task.Run(
            async () =>
            {
                while (seen.Count < total && clock.Elapsed < TimeSpan.FromSeconds(seconds + 120))
                {
                    var rows = await reader.RowsAsync($"SELECT result_id FROM speedtest WHERE probe =~ /^honest/ AND time > '{origin.AddDays(-5):O}' AND time <= '{origin:O}'", ct);
                    var now = clock.ElapsedTicks;
                    foreach (var row in rows)
                    {
                        seen.TryAdd(row["result_id"].GetString()!, now);
                    }

                    await Task.Delay(20, ct);
                }
            },
            ct);
        for (var i = 0; i < total; i++)
        {
            var wait = TimeSpan.FromSeconds((double)i / rate) - clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, ct);
            }

            var probe = probes[i % probes.Length];
            var result = SampleResults.Create(probe, i / probes.Length, origin.AddMinutes(-15 * (i / probes.Length)));
            lock (sent)
            {
                sent[result.ResultId] = clock.ElapsedTicks;
            }

            await client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(Topics.Results(probe)).WithPayload(SampleResults.ToJson(result))
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build(), ct);
        }

        await polling;
        await client.DisconnectAsync(cancellationToken: ct);
        return [.. seen.Where(s => sent.ContainsKey(s.Key)).Select(s => (s.Value - sent[s.Key]) * 1000.0 / Stopwatch.Frequency)];
    }
}
