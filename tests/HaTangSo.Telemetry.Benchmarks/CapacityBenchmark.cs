using System.Globalization;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.InfluxDb;
using HaTangSo.Telemetry.Server.Influx;
using HaTangSo.Telemetry.Server.Registry;
using HaTangSo.Telemetry.Testing;
using Npgsql;

namespace HaTangSo.Telemetry.Benchmarks;

/// <summary>
/// Sizes for capacity planning, measured: bytes on disk per <c>speedtest</c> and per rollup point in a real InfluxDB
/// 1.6 after its compactions, InfluxDB's memory per series, PostgreSQL bytes per registered probe and per quarantine
/// row, and the server's resident memory idle, under a paced stream and draining a backlog. Then the figures for
/// 1,000, 10,000 and 100,000 probes with two links each on a 15-minute schedule.
/// </summary>
internal static class CapacityBenchmark
{
    private const int LinksPerProbe = 2;
    private const int SlotsPerDay = 96; // every 15 minutes
    private const double IngestionResultsPerSecond = 19_309; // README "Measured figures", end to end
    private const double ComplianceMiBPerMillionSamples = 1_538.0 / 3.0; // README, jobs benchmark peak working set

    public static async Task RunAsync(int probes, int days, int streamRate, int streamSeconds, CancellationToken ct)
    {
        Console.WriteLine($"HaTangSo.Telemetry capacity benchmark: {probes:N0} probes x {LinksPerProbe} links x {SlotsPerDay}/day x {days} days; stream {streamRate}/s for {streamSeconds} s; {Environment.ProcessorCount} cores");
        await using var postgres = await PostgresServer.StartAsync(ct);
        await using var influx = await CompactingInflux.StartAsync(ct);
        await using var broker = await MosquittoBroker.StartAsync(cancellationToken: ct);
        var connectionString = await postgres.CreateDatabaseAsync(cancellationToken: ct);
        await using var server = await ServerProcess.StartAsync(
            new ServerSettings(connectionString, influx.BaseAddress, "cap_server", broker.Port) { Extra = { ["Jobs__Enabled"] = "false" } }, ct);
        var districts = await QueryAsync(connectionString, "SELECT DISTINCT province_code, district_code FROM communes WHERE district_code IS NOT NULL AND province_code IN ('12', '25', '42') ORDER BY 1, 2", r => (r.GetString(0), r.GetString(1)), ct);
        var communes = await QueryAsync(connectionString, "SELECT code FROM communes ORDER BY 1", r => r.GetString(0), ct);

        // 1. InfluxDB: the server's own line format for results; rollups in the rollup job's shape.
        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(5) };
        var raw = new InfluxDbClient(http, new InfluxDbConnection { BaseAddress = influx.BaseAddress, Database = "cap_raw", RetentionPolicy = "hts_results" });
        var rollups = new InfluxDbClient(http, new InfluxDbConnection { BaseAddress = influx.BaseAddress, Database = "cap_rollup", RetentionPolicy = "hts_results" });
        await raw.EnsureDatabaseAsync("hts_results", TimeSpan.FromDays(3650), ct);
        await rollups.EnsureDatabaseAsync("hts_results", TimeSpan.FromDays(3650), ct);
        var end = new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero);
        var influxIdle = ResidentBytes(influx.ProcessId);
        var rawPoints = await WriteResultsAsync(raw, districts, probes, end.AddDays(-days), days, ct);
        var rollupPoints = await WriteRollupsAsync(rollups, districts, probes, end.AddDays(-days), days, ct);
        Console.WriteLine($"  wrote {rawPoints:N0} speedtest points and {rollupPoints:N0} rollup points; waiting for InfluxDB to compact ...");
        var compacted = await influx.WaitCompactedAsync(["cap_raw", "cap_rollup"], ct);
        var rawBytes = influx.TsmBytes("cap_raw");
        var rollupBytes = influx.TsmBytes("cap_rollup");
        var otherBytes = influx.DatabaseBytes("cap_raw") + influx.DatabaseBytes("cap_rollup") - rawBytes - rollupBytes;
        var series = (await raw.QueryRowsAsync("SHOW SERIES EXACT CARDINALITY", ct))[0].Values.Last().GetInt64()
            + (await rollups.QueryRowsAsync("SHOW SERIES EXACT CARDINALITY", ct))[0].Values.Last().GetInt64();
        var influxRss = ResidentBytes(influx.ProcessId);
        Console.WriteLine(FormattableString.Invariant(
            $"  InfluxDB 1.6 ({compacted}): speedtest TSM {rawBytes:N0} B = {(double)rawBytes / rawPoints:0.0} B/point; rollups TSM {rollupBytes:N0} B = {(double)rollupBytes / rollupPoints:0.0} B/point; series file, index and WAL {otherBytes:N0} B ({(double)otherBytes / series:0} B/series); {series:N0} series; influxd RSS {influxIdle / 1048576.0:0} MiB idle, {influxRss / 1048576.0:0} MiB after"));

        // 2. PostgreSQL: the registry through the API, the quarantine through the broker.
        var registryBefore = await SizeAsync(connectionString, "probes", "probe_links", ct);
        for (var p = 0; p < probes; p++)
        {
            await server.RegisterProbeAsync(ProbeId(p), communes[p % communes.Count], ct);
        }

        var registryBytes = await SizeAsync(connectionString, "probes", "probe_links", ct) - registryBefore;
        Console.WriteLine(FormattableString.Invariant($"  PostgreSQL registry: {registryBytes:N0} B for {probes:N0} probes = {(double)registryBytes / probes:0} B/probe (tables and indexes)"));

        var idle = ResidentBytes(server.ProcessId!.Value);
        var paced = await StreamAsync(server, broker.Port, probes, streamRate, streamSeconds, ct);
        var backlog = await BacklogAsync(server, broker.Port, probes, 20_000, ct);
        Console.WriteLine(FormattableString.Invariant(
            $"  server RSS: idle {idle / 1048576.0:0} MiB; {streamRate}/s stream peak {paced / 1048576.0:0} MiB; 20,000-result backlog drained at full speed peak {backlog / 1048576.0:0} MiB"));

        var quarantineBefore = await SizeAsync(connectionString, "quarantine", null, ct);
        var quarantined = await QuarantineAsync(connectionString, broker.Port, 2_000, ct);
        var quarantineBytes = await SizeAsync(connectionString, "quarantine", null, ct) - quarantineBefore;
        Console.WriteLine(FormattableString.Invariant($"  PostgreSQL quarantine: {quarantineBytes:N0} B for {quarantined:N0} rows = {(double)quarantineBytes / quarantined:0} B/row (raw payload kept)"));

        PrintTable((double)rawBytes / rawPoints, (double)rollupBytes / (probes * (double)days), (double)registryBytes / probes,
            (double)Math.Max(0, influxRss - influxIdle) / series, (double)series / probes, (double)otherBytes / series, Math.Max(paced, backlog));
    }

    private static void PrintTable(
        double bytesPerPoint, double rollupBytesPerProbeDay, double bytesPerProbe, double influxBytesPerSeries, double seriesPerProbe, double seriesFileBytes, long serverPeak)
    {
        Console.WriteLine();
        Console.WriteLine("| probes | results/s | headroom | speedtest points/year | InfluxDB disk/year (raw + rollups) | PostgreSQL registry | influxd memory above idle | server RSS (ingest) | compliance job, one province-month |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var probes in new[] { 1_000, 10_000, 100_000 })
        {
            var rate = probes * LinksPerProbe / 900.0;
            var points = (double)probes * LinksPerProbe * SlotsPerDay * 365;
            var disk = (points * bytesPerPoint) + (probes * 365 * rollupBytesPerProbeDay) + (probes * seriesPerProbe * seriesFileBytes);
            var samplesMonth = probes * LinksPerProbe * SlotsPerDay * 30.0;
            Console.WriteLine(FormattableString.Invariant(
                $"| {probes:N0} | {rate:0.0} | {IngestionResultsPerSecond / rate:N0}x | {points / 1e6:0.0} M | {disk / 1e9:0.00} GB | {probes * bytesPerProbe / 1e6:0.0} MB | {probes * seriesPerProbe * influxBytesPerSeries / 1048576:N0} MiB | {serverPeak / 1048576.0:0} MiB | {samplesMonth / 1e6 * ComplianceMiBPerMillionSamples / 1024:0.0} GiB |"));
        }
    }

    private static readonly ProbeLink[] s_links = [new("fixed", "fixed", "VNPT", "ftth", null, null), new("mobile", "mobile", "Viettel", "4g", null, null)];
    private static readonly SpeedTestServer s_server = new("ht-dc-1", "Máy chủ đo", new Uri("http://127.0.0.1:8090/"), 10_000, true, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch);

    private static string ProbeId(int p) => "cap-" + p.ToString("D6", CultureInfo.InvariantCulture);

    private static async Task<long> WriteResultsAsync(
        InfluxDbClient client, List<(string Province, string District)> districts, int probes, DateTimeOffset start, int days, CancellationToken ct)
    {
        var random = new Random(2026);
        long points = 0;
        var lines = new System.Text.StringBuilder();
        var pending = new List<Task>();
        for (var p = 0; p < probes; p++)
        {
            var (province, district) = districts[p % districts.Count];
            var location = new ProbeLocation(ProbeId(p), province, district, "B" + p.ToString("D6", CultureInfo.InvariantCulture), true, TimeSpan.FromMinutes(15), []);
            var offset = TimeSpan.FromSeconds(random.Next(0, 840));
            for (var slot = 0; slot < days * SlotsPerDay; slot++)
            {
                for (var link = 0; link < LinksPerProbe; link++)
                {
                    lines.Append(ResultPoints.Format(Result(random, location.ProbeId, link, start + offset + TimeSpan.FromMinutes((15 * slot) + (link * 0.5))), location, s_links[link], s_server)).Append('\n');
                    points++;
                }
            }

            if (lines.Length > 8_000_000 || p == probes - 1)
            {
                pending.Add(client.WriteAsync(lines.ToString(), WritePrecision.Nanoseconds, ct));
                lines.Clear();
                if (pending.Count >= 2)
                {
                    await Task.WhenAll(pending);
                    pending.Clear();
                }
            }
        }

        await Task.WhenAll(pending);
        return points;
    }

    // Statuses as a year of field data might have them: mostly ok, some partial, failed and skipped (no figures).
    private static ResultMessage Result(Random random, string probeId, int link, DateTimeOffset startedAt)
    {
        var mobile = link == 1;
        var roll = random.NextDouble();
        var status = roll < 0.95 ? ResultStatus.Ok : roll < 0.97 ? ResultStatus.Partial : roll < 0.99 ? ResultStatus.Failed : ResultStatus.Skipped;
        var measured = status is ResultStatus.Ok or ResultStatus.Partial;
        var download = mobile ? 20 + (random.NextDouble() * 100) : 60 + (random.NextDouble() * 200);
        return new ResultMessage
        {
            ResultId = Guid.NewGuid().ToString(),
            ProbeId = probeId,
            Link = new LinkInfo { Name = mobile ? "mobile" : "fixed", Access = mobile ? AccessKind.Mobile : AccessKind.Fixed, Operator = mobile ? "Viettel" : "VNPT", Technology = mobile ? "4g" : "ftth" },
            Server = "ht-dc-1",
            StartedAt = startedAt,
            DurationMs = 24_000 + random.Next(0, 4_000),
            Status = status,
            DownloadMbps = measured ? Math.Round(download, 2) : null,
            UploadMbps = measured ? Math.Round(download * 0.4, 2) : null,
            LatencyMs = measured ? Math.Round(8 + (random.NextDouble() * 60), 2) : null,
            JitterMs = measured ? Math.Round(random.NextDouble() * 8, 2) : null,
            LossPct = measured ? (random.NextDouble() < 0.8 ? 0 : Math.Round(random.NextDouble() * 2, 2)) : null,
            LoadedLatencyMs = measured ? Math.Round(40 + (random.NextDouble() * 150), 2) : null,
            AgentVersion = "1.0.0",
            Error = status switch { ResultStatus.Failed => "download: connection reset", ResultStatus.Skipped => "link busy (3.2 Mb/s)", _ => null },
        };
    }

    // The rollup job's points: per commune, district and province x access x operator, hourly and daily.
    private static async Task<long> WriteRollupsAsync(
        InfluxDbClient client, List<(string Province, string District)> districts, int probes, DateTimeOffset start, int days, CancellationToken ct)
    {
        var random = new Random(7);
        long points = 0;
        var lines = new LineBuilder(8 * 1024 * 1024);
        var groups = new List<(string Level, string Province, string District, string Commune)>();
        for (var p = 0; p < probes; p++)
        {
            var (province, district) = districts[p % districts.Count];
            groups.Add(("commune", province, district, "B" + p.ToString("D6", CultureInfo.InvariantCulture)));
        }

        groups.AddRange(districts.Take(Math.Min(districts.Count, probes)).Select(d => ("district", d.Province, d.District, string.Empty)));
        groups.AddRange(districts.Select(d => d.Province).Distinct().Select(p => ("province", p, string.Empty, string.Empty)));
        foreach (var (level, province, district, commune) in groups)
        {
            foreach (var (access, op) in new[] { ("fixed", "VNPT"), ("mobile", "Viettel") })
            {
                foreach (var (measurement, step, count) in new[] { ("rollup_hourly", TimeSpan.FromHours(1), days * 24), ("rollup_daily", TimeSpan.FromDays(1), days) })
                {
                    for (var i = 0; i < count; i++)
                    {
                        var mean = 50 + (random.NextDouble() * 150);
                        lines.Measurement(measurement).Tag("level", level).Tag("province", province).Tag("district", district).Tag("commune", commune)
                            .Tag("access", access).Tag("operator", op).Field("count", (long)(measurement == "rollup_hourly" ? 4 : 96))
                            .Field("download_mean", mean).Field("download_median", mean * 1.02).Field("download_p10", mean * 0.6).Field("download_p90", mean * 1.3)
                            .Field("upload_mean", mean * 0.4).Field("upload_median", mean * 0.41).Field("upload_p10", mean * 0.25).Field("upload_p90", mean * 0.5)
                            .Field("latency_median", 10 + (random.NextDouble() * 40))
                            .Timestamp(WritePrecision.Seconds.ToTimestamp(start + (step * i)));
                        points++;
                    }
                }
            }

            if (lines.Count >= 50_000)
            {
                await client.WriteAsync(lines.ToString(), WritePrecision.Seconds, ct);
                lines = new LineBuilder(8 * 1024 * 1024);
            }
        }

        if (lines.Count > 0)
        {
            await client.WriteAsync(lines.ToString(), WritePrecision.Seconds, ct);
        }

        return points;
    }

    // Paced: streamRate results each second from the registered probes; RSS sampled every 250 ms.
    private static async Task<long> StreamAsync(ServerProcess server, int port, int probes, int rate, int seconds, CancellationToken ct)
    {
        long peak = 0;
        var pid = server.ProcessId!.Value;
        var now = DateTimeOffset.UtcNow;
        var sequence = 0;
        for (var second = 0; second < seconds; second++)
        {
            var tick = System.Diagnostics.Stopwatch.StartNew();
            var messages = Enumerable.Range(0, rate).Select(_ => (ProbeId(sequence % probes), SampleResults.ToJson(SampleResults.Create(ProbeId(sequence % probes), sequence++, now.AddSeconds(-sequence))))).ToList();
            var publishing = StreamPublisher.PublishAsync(port, messages, 2, 50, ct);
            while (!publishing.IsCompleted)
            {
                peak = Math.Max(peak, ResidentBytes(pid));
                await Task.WhenAny(publishing, Task.Delay(250, ct));
            }

            await publishing;
            peak = Math.Max(peak, ResidentBytes(pid));
            var rest = TimeSpan.FromSeconds(1) - tick.Elapsed;
            if (rest > TimeSpan.Zero)
            {
                await Task.Delay(rest, ct);
            }
        }

        return peak;
    }

    // A backlog (what the broker holds after an outage) published as fast as possible.
    private static async Task<long> BacklogAsync(ServerProcess server, int port, int probes, int count, CancellationToken ct)
    {
        long peak = 0;
        var pid = server.ProcessId!.Value;
        var now = DateTimeOffset.UtcNow;
        var messages = Enumerable.Range(0, count).Select(i => (ProbeId(i % probes), SampleResults.ToJson(SampleResults.Create(ProbeId(i % probes), i, now.AddMinutes(-30).AddMilliseconds(i))))).ToList();
        var publishing = StreamPublisher.PublishAsync(port, messages, 4, 200, ct);
        while (!publishing.IsCompleted)
        {
            peak = Math.Max(peak, ResidentBytes(pid));
            await Task.WhenAny(publishing, Task.Delay(100, ct));
        }

        await publishing;
        for (var i = 0; i < 50; i++)
        {
            peak = Math.Max(peak, ResidentBytes(pid));
            await Task.Delay(100, ct);
        }

        return peak;
    }

    // Results of probes nobody registered: refused as "unknown probe" and kept in quarantine with their payload.
    private static async Task<long> QuarantineAsync(string connectionString, int port, int count, CancellationToken ct)
    {
        var now = DateTimeOffset.UtcNow;
        var messages = Enumerable.Range(0, count).Select(i => ($"unknown-{i:D5}", SampleResults.ToJson(SampleResults.Create($"unknown-{i:D5}", i, now)))).ToList();
        await StreamPublisher.PublishAsync(port, messages, 2, 100, ct);
        for (var attempt = 0; attempt < 600; attempt++)
        {
            var rows = (await QueryAsync(connectionString, "SELECT count(*) FROM quarantine", r => r.GetInt64(0), ct))[0];
            if (rows >= count)
            {
                return rows;
            }

            await Task.Delay(100, ct);
        }

        throw new TimeoutException("The quarantine did not receive the refused results within 60 s.");
    }

    private static long ResidentBytes(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }

    private static async Task<long> SizeAsync(string connectionString, string table, string? other, CancellationToken ct)
    {
        var sql = $"SELECT pg_total_relation_size('{table}')" + (other is null ? string.Empty : $" + pg_total_relation_size('{other}')");
        return (await QueryAsync(connectionString, sql, r => r.GetInt64(0), ct))[0];
    }

    private static async Task<List<T>> QueryAsync<T>(string connectionString, string sql, Func<NpgsqlDataReader, T> read, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = new List<T>();
        while (await reader.ReadAsync(ct))
        {
            rows.Add(read(reader));
        }

        return rows;
    }
}
