using System.Diagnostics;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Testing;
using MQTTnet;
using MQTTnet.Protocol;
using Npgsql;

namespace HaTangSo.Telemetry.Benchmarks;

/// <summary>
/// Per-probe isolation: honest probes publish a paced stream and their publish-to-queryable latency is measured,
/// first alone, then while one probe floods — 100× its scheduled rate in measurement time, delivered as fast as the
/// broker takes it. Prints the latencies side by side, and what happened to the flood (written, quarantined).
/// </summary>
internal static class FloodBenchmark
{
    private const int HonestProbes = 20;

    public static async Task RunAsync(int flood, int rate, int seconds, CancellationToken ct)
    {
        Console.WriteLine($"HaTangSo.Telemetry flood benchmark: {HonestProbes} honest probes at {rate}/s for {seconds} s, alone and beside one probe flooding {flood:N0} results; {Environment.ProcessorCount} cores");
        await using var postgres = await PostgresServer.StartAsync(ct);
        await using var influx = await InfluxDbServer.StartAsync(cancellationToken: ct);
        await using var broker = await MosquittoBroker.StartAsync(cancellationToken: ct);
        var connectionString = await postgres.CreateDatabaseAsync(cancellationToken: ct);
        await using var server = await ServerProcess.StartAsync(new ServerSettings(connectionString, influx.BaseAddress, "flood", broker.Port)
        {
            // The production defaults: 500 ms batches, rate limit 4 × schedule + 4 per link and hour.
            Extra = new Dictionary<string, string?>
            {
                ["Ingestion__FlushInterval"] = "00:00:00.500",
                ["Ingestion__ProbeRateLimitFactor"] = "4",
                ["Ingestion__ProbeRateLimitBurst"] = "4",
                ["Logging__LogLevel__Default"] = "Warning",
            },
        }, ct);
        var honest = Enumerable.Range(0, HonestProbes).Select(i => $"honest-{i:D2}").ToArray();
        foreach (var probe in honest.Append("flooder"))
        {
            await server.RegisterProbeAsync(probe, "18409", ct);
        }

        using var reader = new InfluxProbe(influx.BaseAddress, "flood");
        var alone = await PacedAsync(broker.Port, reader, honest, 0, rate, seconds, ct);

        // The flooder's results: 100× a two-link, 15-minute schedule is one result every 4.5 s of measurement time.
        var now = DateTimeOffset.UtcNow;
        var floodStart = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero).AddDays(-20);
        var sequence = 0;
        List<(string, byte[])> Flood(int count) => [.. Enumerable.Range(0, count).Select(_ =>
        {
            var i = sequence++;
            return ("flooder", SampleResults.ToJson(SampleResults.Create("flooder", i, floodStart.AddSeconds(i * 4.5))));
        })];

        // Beside a flooder publishing 100× as fast as each honest probe does here.
        var pacedFloodRate = rate * 100 / HonestProbes;
        var pacedFlood = PublishPacedAsync(broker.Port, Flood(pacedFloodRate * seconds), pacedFloodRate, ct);
        var beside100 = await PacedAsync(broker.Port, reader, honest, 1, rate, seconds, ct);
        await pacedFlood;

        // Beside a flooder publishing as fast as the broker takes it.
        var messages = Flood(flood);
        var flooding = StreamPublisher.PublishAsync(broker.Port, messages, 2, 500, ct);
        var beside = await PacedAsync(broker.Port, reader, honest, 2, rate, seconds, ct);
        var floodTime = await flooding;
        flood += pacedFloodRate * seconds;

        var quarantined = 0L;
        var written = 0L;
        var deadline = Stopwatch.StartNew();
        while (written + quarantined < flood && deadline.Elapsed < TimeSpan.FromMinutes(5))
        {
            await Task.Delay(500, ct);
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync(ct);
            await using var command = new NpgsqlCommand("SELECT COALESCE(sum(occurrences), 0)::bigint FROM quarantine WHERE probe_id = 'flooder' AND reason_kind = 'rate_limit'", connection);
            quarantined = (long)(await command.ExecuteScalarAsync(ct))!;
            var rows = await reader.RowsAsync("SELECT count(download_mbps) FROM speedtest WHERE probe = 'flooder'", ct);
            written = rows.Count == 0 ? 0 : rows[0]["count"].GetInt64();
        }

        Console.WriteLine();
        Console.WriteLine("| honest probes' results | n | p50 ms | p90 ms | p99 ms | max ms |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        Row("alone", alone);
        Row($"beside one probe at 100× an honest probe's rate ({pacedFloodRate}/s)", beside100);
        Row($"beside one probe flooding at full speed ({messages.Count:N0} in {floodTime.TotalSeconds:F1} s = {messages.Count / floodTime.TotalSeconds:N0}/s)", beside);
        Console.WriteLine();
        Console.WriteLine($"Flood of {flood:N0}: {written:N0} written (the limit: 20 per link and hour of measurement time), {quarantined:N0} quarantined as 'rate limit', {flood - written - quarantined:N0} unaccounted. Server flush interval 500 ms; InfluxDB polled every 20 ms.");
    }

    private static async Task PublishPacedAsync(int port, List<(string ProbeId, byte[] Payload)> messages, int rate, CancellationToken ct)
    {
        using var client = new MqttClientFactory().CreateMqttClient();
        await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500).WithClientId("bench-flooder-paced").Build(), ct);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < messages.Count; i++)
        {
            var wait = TimeSpan.FromSeconds((double)i / rate) - clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, ct);
            }

            await client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(Topics.Results(messages[i].ProbeId)).WithPayload(messages[i].Payload)
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
                while (seen.Count < total && clock.Elapsed < TimeSpan.FromSeconds(seconds + 60))
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
