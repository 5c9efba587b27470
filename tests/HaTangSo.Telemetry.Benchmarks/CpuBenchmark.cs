using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Unicode;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.InfluxDb;
using HaTangSo.Telemetry.Server.Influx;
using HaTangSo.Telemetry.Server.Ingestion;
using HaTangSo.Telemetry.Server.Registry;
using HaTangSo.Telemetry.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace HaTangSo.Telemetry.Benchmarks;

/// <summary>
/// CPU and allocation per result of the server's per-message path, stage by stage, on one in-process message stream:
/// the server's own classes (registry snapshot in memory, production ingestion options), each stage run over the whole
/// stream on its own, then the whole path as the pipeline runs it. Process CPU time (all threads, GC included) and bytes
/// allocated (<see cref="GC.GetTotalAllocatedBytes(bool)"/>, deterministic) per result; the InfluxDB write (a real
/// InfluxDB 1.6) and the MQTT receive + PUBACK (a real Mosquitto, <see cref="CpuBenchmark.MqttStageAsync"/>) are
/// measured in this process only — the other process's CPU is not counted.
/// </summary>
internal static partial class CpuBenchmark
{
    private const int Probes = 200;
    private const int BatchSize = 5_000;
    private static readonly DateTimeOffset s_now = new(2026, 11, 30, 0, 0, 0, TimeSpan.Zero);

    public static async Task RunAsync(int results, int mqttResults, CancellationToken ct)
    {
        Console.WriteLine($"HaTangSo.Telemetry CPU benchmark: {results:N0} results from {Probes} probes, {Environment.ProcessorCount} cores, " +
            $"load average {Load()}, GC {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")}, {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC");
        if (results == 0)
        {
            var only = new List<(string, double, double)>();
            await MqttStageAsync(mqttResults, only, ct);
            Print(only);
            return;
        }

        var warm = Stream(Math.Min(results, 40_000), 1);
        var stream = Stream(results, 2);
        var rows = new List<(string Stage, double CpuUs, double Bytes)>();

        // Warm up every stage once (tiered JIT), on other result ids, then measure.
        for (var pass = 0; pass < 2; pass++)
        {
            var messages = pass == 0 ? warm : stream;
            using var world = new World();
            var measured = new List<(string, double, double)>();
            var items = new IngestionItem[messages.Count];
            Measure(measured, "topic + registry look-up", messages.Count, () =>
            {
                for (var i = 0; i < messages.Count; i++)
                {
                    items[i] = world.Checks.Arrive(messages[i]);
                }
            });
            var arrival = new ArrivalRateLimiter(world.Time, world.Options);
            Measure(measured, "arrival bucket", messages.Count, () =>
            {
                foreach (var item in items)
                {
                    item.Counted = !arrival.TryTake(item.Probe?.ProbeId);
                }
            });
            var parsed = new ResultMessage[messages.Count];
            Measure(measured, "UTF-8 + JSON (source-generated)", messages.Count, () =>
            {
                for (var i = 0; i < messages.Count; i++)
                {
                    var payload = messages[i].Payload.Span;
                    parsed[i] = Utf8.IsValid(payload) ? JsonSerializer.Deserialize(payload, ContractsJsonContext.Default.ResultMessage)! : null!;
                }
            });
            Measure(measured, "UTF-8 + JSON (ResultJsonReader, fast path)", messages.Count, () =>
            {
                for (var i = 0; i < messages.Count; i++)
                {
                    var payload = messages[i].Payload.Span;
                    parsed[i] = Utf8.IsValid(payload) && ResultJsonReader.TryRead(payload, out var message) ? message : null!;
                }
            });
            var validated = new ResultMessage[messages.Count];
            Measure(measured, "validation incl. UTF-8 + JSON", messages.Count, () =>
            {
                for (var i = 0; i < messages.Count; i++)
                {
                    validated[i] = world.Validator.Validate(items[i].ProbeId!, messages[i].Payload.Span).Result!;
                }
            });
            var registered = new RegisteredResult[messages.Count];
            Measure(measured, "registry checks (link, server, plausible)", messages.Count, () =>
            {
                for (var i = 0; i < messages.Count; i++)
                {
                    world.Registry.Check(validated[i], items[i].Probe!, out registered[i]);
                }
            });
            var limiter = new ProbeRateLimiter(world.Time, world.Options);
            Measure(measured, "measurement-time rate limit", messages.Count, () =>
            {
                for (var i = 0; i < messages.Count; i++)
                {
                    limiter.Admit(items[i].Probe!, registered[i].Link.Name, validated[i].StartedAt, Guid.ParseExact(validated[i].ResultId, "D"));
                }
            });
            Measure(measured, "line formatting", messages.Count, () =>
            {
                for (var i = 0; i < messages.Count; i++)
                {
                    _ = ResultPoints.Format(validated[i], items[i].Probe!, registered[i].Link, registered[i].Server);
                }
            });
            Measure(measured, "SHA-256 fingerprint", messages.Count, () =>
            {
                foreach (var message in messages)
                {
                    _ = MessageChecks.Fingerprint(message.Payload.Span);
                }
            });

            // The whole per-message path as the pipeline runs it: arrival (topic, registry, bucket), then the checks.
            using var whole = new World();
            var wholeArrival = new ArrivalRateLimiter(whole.Time, whole.Options);
            var checkedItems = new IngestionItem[messages.Count];
            Measure(measured, "= per-message path (Arrive + bucket + Check)", messages.Count, () =>
            {
                for (var i = 0; i < messages.Count; i++)
                {
                    var item = whole.Checks.Arrive(messages[i]);
                    item.Counted = !wholeArrival.TryTake(item.Probe?.ProbeId);
                    whole.Checks.Check(item);
                    checkedItems[i] = item;
                }
            });
            var refused = checkedItems.Count(i => i.Refusal is not null);
            if (refused > 0)
            {
                throw new InvalidOperationException($"{refused} results refused: {checkedItems.First(i => i.Refusal is not null).Refusal}");
            }

            var batches = checkedItems.Chunk(BatchSize).Select(b => b.Select(i => new PendingLine(i.Message, i.ResultId, i.Line!)).ToList()).ToList();
            foreach (var gzip in new[] { false, true })
            {
                Measure(measured, gzip ? "batch body + gzip (fastest)" : "batch body, no gzip", messages.Count, () =>
                {
                    foreach (var batch in batches)
                    {
                        _ = Body(batch, gzip);
                    }
                });
            }

            if (pass == 1)
            {
                rows.AddRange(measured);
                Print(measured);
            }
        }

        await InfluxStageAsync(stream, rows, ct);
        Print(rows.GetRange(rows.Count - 2, 2));
        if (mqttResults > 0)
        {
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
            limit.CancelAfter(TimeSpan.FromMinutes(5));
            await MqttStageAsync(mqttResults, rows, limit.Token);
            Print(rows.GetRange(rows.Count - 1, 1));
        }

        Console.WriteLine($"load average at the end {Load()}");
    }

    private static void Print(List<(string Stage, double CpuUs, double Bytes)> rows)
    {
        foreach (var (stage, cpu, bytes) in rows)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{stage,-50} {cpu,10:0.00} µs CPU {bytes,8:0} B/result"));
        }
    }

    // The InfluxDB write of the same stream, in batches of 5,000, gzip on and off (a fresh database each).
    private static async Task InfluxStageAsync(List<ReceivedMessage> stream, List<(string, double, double)> rows, CancellationToken ct)
    {
        await using var influx = await InfluxDbServer.StartAsync(cancellationToken: ct);
        using var http = new HttpClient();
        using var world = new World();
        var arrival = new ArrivalRateLimiter(world.Time, world.Options);
        var lines = new List<PendingLine>(stream.Count);
        foreach (var message in stream)
        {
            var item = world.Checks.Arrive(message);
            arrival.TryTake(item.ProbeId);
            world.Checks.Check(item);
            lines.Add(new PendingLine(item.Message, item.ResultId, item.Line!));
        }

        var batches = lines.Chunk(BatchSize).Select(b => b.ToList()).ToList();
        foreach (var gzip in new[] { false, true, false, true })
        {
            var client = new InfluxDbClient(http, new InfluxDbConnection { BaseAddress = influx.BaseAddress, Database = "cpu" + (gzip ? "g" : "p"), Gzip = gzip });
            await client.QueryAsync("CREATE DATABASE " + client.Database, ct);
            var (cpu, bytes) = await MeasureAsync(async () =>
            {
                foreach (var batch in batches)
                {
                    await WriteAsync(client, batch, ct);
                }
            });
            rows.Add(($"InfluxDB write (body, {(gzip ? "gzip fastest" : "no gzip")}, HTTP)", cpu / stream.Count, bytes / stream.Count));
        }

        rows.RemoveRange(rows.Count - 4, 2); // the first two were the warm-up
    }

    private static void Measure(List<(string, double, double)> rows, string stage, int count, Action action)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var bytes = GC.GetTotalAllocatedBytes(precise: true);
        action();
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - bytes;
        var used = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        rows.Add((stage, used.TotalMicroseconds / count, (double)allocated / count));
    }

    private static async Task<(double CpuUs, double Bytes)> MeasureAsync(Func<Task> action)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var bytes = GC.GetTotalAllocatedBytes(precise: true);
        await action();
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - bytes;
        return ((Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMicroseconds, allocated);
    }

    // Results of 200 probes, each measuring its two links every 15 minutes back from s_now (within every limit).
    private static List<ReceivedMessage> Stream(int count, int seed)
    {
        var random = new Random(seed);
        var messages = new List<ReceivedMessage>(count);
        for (var i = 0; i < count; i++)
        {
            var probe = Probe(i % Probes);
            var sequence = i / Probes;
            var started = s_now.AddMinutes(-(seed * 30_000) - (sequence * 15 / 2.0) - 1);
            var id = new byte[16];
            random.NextBytes(id);
            var result = SampleResults.Create(probe, sequence, started, new Guid(id));
            messages.Add(new ReceivedMessage(Topics.Results(probe), SampleResults.ToJson(result), s_now, 1, 1));
        }

        return messages;
    }

    private static string Probe(int i) => string.Create(CultureInfo.InvariantCulture, $"ht-cpu-bench-{i:000}");

    private static string Load() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";

    /// <summary>The server's per-message classes over an in-memory registry of <see cref="Probes"/> probes.</summary>
    private sealed class World : IDisposable
    {
        private readonly NpgsqlDataSource _nowhere = NpgsqlDataSource.Create("Host=127.0.0.1;Port=1");

        public World()
        {
            Time = new FakeTimeProvider(s_now);
            Options = Microsoft.Extensions.Options.Options.Create(new IngestionOptions());
            Directory = new ProbeDirectory(
                new RegistryStore(_nowhere), new SpeedTestServerStore(_nowhere), Time,
                Microsoft.Extensions.Options.Options.Create(new RegistryOptions()), NullLogger<ProbeDirectory>.Instance);
            ProbeLink[] links = [new("fixed", "fixed", "VNPT", "ftth", 300, 300), new("modem", "mobile", "Viettel", "4g", null, null)];
            Directory.Replace(
                Enumerable.Range(0, Probes).Select(i => new ProbeLocation(Probe(i), "42", "445", "18409", true, TimeSpan.FromMinutes(15), links)),
                [new SpeedTestServer(SampleResults.ServerId, "Máy chủ đo thử", new Uri("http://127.0.0.1:8090/"), 10_000, true, s_now, s_now)]);
            Validator = new ResultValidator(Time, Options);
            Registry = new ResultChecks(Directory, Options);
            Checks = new MessageChecks(Validator, Registry, new ProbeRateLimiter(Time, Options), Directory);
        }

        public FakeTimeProvider Time { get; }

        public IOptions<IngestionOptions> Options { get; }

        public ProbeDirectory Directory { get; }

        public ResultValidator Validator { get; }

        public ResultChecks Registry { get; }

        public MessageChecks Checks { get; }

        public void Dispose()
        {
            Directory.Dispose();
            _nowhere.Dispose();
        }
    }
}
