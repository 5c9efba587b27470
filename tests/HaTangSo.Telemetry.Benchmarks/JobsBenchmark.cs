using System.Diagnostics;
using System.Globalization;
using HaTangSo.Telemetry.InfluxDb;
using HaTangSo.Telemetry.IntegrationTests.Compliance;
using HaTangSo.Telemetry.Server.Compliance;
using HaTangSo.Telemetry.Testing;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace HaTangSo.Telemetry.Benchmarks;

/// <summary>
/// How long the scheduled jobs take at province scale: <c>probes</c> probes (spread over the 2025 communes of the
/// given provinces, default Lai Châu, Phú Thọ and Hà Tĩnh: 255 communes in 33 former districts; a fixed and a mobile
/// link each) × <c>days</c> days × 10 results a day, written into a real InfluxDB with the tags the server writes;
/// then the hourly and daily rollups of the whole period (every area, and the per-link summaries) and one compliance
/// evaluation (rolling, month and busy windows, every former district and commune, per operator, 95 % intervals,
/// alerts, QCVN 34) run on the real server code: from the link summaries, then the same hour from the raw results.
/// </summary>
internal static class JobsBenchmark
{
    private const int ResultsPerDay = 10;

    public static async Task RunAsync(int communes, int days, bool rollups, CancellationToken ct, string provinces = "12,25,42")
    {
        Console.WriteLine($"HaTangSo.Telemetry jobs benchmark: {communes:N0} probes (provinces {provinces}) x {days} days x {ResultsPerDay} results = {(long)communes * days * ResultsPerDay:N0} points; {Environment.ProcessorCount} cores");
        await using var postgres = await PostgresServer.StartAsync(ct);
        await using var influx = await InfluxDbServer.StartAsync(cancellationToken: ct);
        await using var broker = await MosquittoBroker.StartAsync(cancellationToken: ct);
        var connectionString = await postgres.CreateDatabaseAsync(cancellationToken: ct);
        var end = new DateTimeOffset(2026, 10, 31, 17, 0, 0, TimeSpan.Zero); // 1 November 2026, 00:00 Vietnam time
        var start = end.AddDays(-days);
        var time = new FakeTimeProvider(end.AddMinutes(30));
        var extra = new Dictionary<string, string?>
        {
            ["Compliance:RollupCatchUpHours"] = (24 * (days + 1)).ToString(CultureInfo.InvariantCulture),
            ["Logging:LogLevel:Default"] = "Warning",
        };
        var settings = new ServerSettings(connectionString, influx.BaseAddress, "bench", broker.Port);
        await using var server = await ServerInstance.StartAsync(settings, time, extra, ct);

        var districts = await CommunesAsync(connectionString, provinces.Split(','), ct);
        Console.WriteLine($"  {districts.Count} communes in {districts.Select(d => d.Item2).Distinct().Count()} former districts");
        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(5) };
        var client = new InfluxDbClient(http, new InfluxDbConnection { BaseAddress = influx.BaseAddress, Database = "bench", RetentionPolicy = "hts_results" });
        var write = Stopwatch.StartNew();
        var points = await WriteResultsAsync(client, districts, communes, start, days, ct);
        Console.WriteLine(FormattableString.Invariant($"  write {points:N0} points into InfluxDB: {write.Elapsed.TotalSeconds:0.0} s ({points / write.Elapsed.TotalSeconds:N0} points/s)"));

        // Without the rollups (third argument 0) the peak working set printed for compliance is compliance's own.
        if (rollups)
        {
            await MeasureAsync("rollups, hourly and daily, whole period", () => server.Get<RollupJob>().RunAsync(ct), client,
                "SELECT count(\"count\") FROM rollup_hourly", "SELECT count(\"count\") FROM rollup_daily", ct);
            await MeasureAsync("rollups again (idempotent re-run of the recomputed tail)", () => server.Get<RollupJob>().RunAsync(ct), client, null, null, ct);
        }

        // With the rollups, the link summaries cover the period: the evaluation merges them (the default). Without, it
        // reads the raw results (the path for the hours the summaries do not cover yet).
        await MeasureAsync(
            (rollups ? "compliance from the link summaries" : "compliance from the raw results (no summaries yet)")
            + ": rolling, month and busy windows, every former district and commune, all operators and each, 95 % intervals, alerts, QCVN 34",
            () => server.Get<ComplianceJob>().RunAsync(ct), client, "SELECT count(samples) FROM compliance", null, ct);
        if (rollups)
        {
            // The raw path beside it (issue 13.9): the same hour evaluated again by an instance reading every raw result
            // of the windows (Compliance:Source=Raw, exact quantiles); it writes the same rows.
            await using var raw = await ServerInstance.StartAsync(settings with { ClientId = "hts-bench-raw" }, time,
                new Dictionary<string, string?>(extra) { ["Compliance:Source"] = "Raw" }, ct);
            await MeasureAsync("compliance from the raw results (Compliance:Source=Raw), the same evaluation",
                () => raw.Get<ComplianceJob>().RunAsync(ct), client, "SELECT count(samples) FROM compliance", null, ct);
        }
    }

    private static async Task MeasureAsync(string what, Func<Task> job, InfluxDbClient client, string? countQuery, string? secondQuery, CancellationToken ct)
    {
        GC.Collect();
        var before = Process.GetCurrentProcess().TotalProcessorTime;
        var stopwatch = Stopwatch.StartNew();
        await job();
        var elapsed = stopwatch.Elapsed;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - before;
        var written = string.Empty;
        foreach (var query in new[] { countQuery, secondQuery }.OfType<string>())
        {
            var rows = await client.QueryRowsAsync(query, ct);
            written += rows.Count > 0 ? $", {rows[0].Values.Last().GetInt64():N0} {query.Split(' ')[3]} points" : string.Empty;
        }

        Console.WriteLine(FormattableString.Invariant(
            $"  {what}: {elapsed.TotalSeconds:0.0} s wall, {cpu.TotalSeconds:0.0} s CPU in the server, peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576:N0} MiB{written}"));
    }

    private static async Task<long> WriteResultsAsync(
        InfluxDbClient client, List<(string Province, string District, string Commune)> districts, int communes, DateTimeOffset start, int days, CancellationToken ct)
    {
        var random = new Random(2025);
        long points = 0;
        var lines = new LineBuilder(8 * 1024 * 1024);
        var step = TimeSpan.FromDays(1) / ResultsPerDay;
        var pending = new List<Task>();
        for (var c = 0; c < communes; c++)
        {
            var (province, district, commune) = districts[c % districts.Count];
            var probe = "bench-" + c.ToString("D5", CultureInfo.InvariantCulture);
            var offset = TimeSpan.FromSeconds(random.Next(0, (int)step.TotalSeconds));
            for (var i = 0; i < days * ResultsPerDay; i++)
            {
                var access = i % 2 == 0 ? "fixed" : "mobile";
                var download = access == "fixed" ? 60 + (random.NextDouble() * 200) : 20 + (random.NextDouble() * 100);
                lines.Measurement("speedtest").Tag("province", province).Tag("district", district).Tag("commune", commune).Tag("probe", probe)
                    .Tag("link", access).Tag("access", access).Tag("operator", access == "fixed" ? "VNPT" : "Viettel")
                    .Tag("technology", access == "fixed" ? "ftth" : "4g").Tag("server", "bench").Tag("status", "ok")
                    .Field("download_mbps", download).Field("upload_mbps", download / 2).Field("latency_ms", 10 + (random.NextDouble() * 40))
                    .Field("duration_ms", 20_000L)
                    .Timestamp(WritePrecision.Seconds.ToTimestamp(start + offset + (step * i)));
                points++;
            }

            if (lines.Count >= 50_000)
            {
                pending.Add(client.WriteAsync(lines.ToString(), WritePrecision.Seconds, ct));
                lines = new LineBuilder(8 * 1024 * 1024);
                if (pending.Count >= 2)
                {
                    await Task.WhenAll(pending);
                    pending.Clear();
                }
            }
        }

        if (lines.Count > 0)
        {
            pending.Add(client.WriteAsync(lines.ToString(), WritePrecision.Seconds, ct));
        }

        await Task.WhenAll(pending);
        return points;
    }

    private static async Task<List<(string, string, string)>> CommunesAsync(string connectionString, string[] provinces, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(
            "SELECT province_code, COALESCE(district_code, ''), code FROM communes WHERE province_code = ANY($1) ORDER BY province_code, code", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = provinces });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var districts = new List<(string, string, string)>();
        while (await reader.ReadAsync(ct))
        {
            districts.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2)));
        }

        return districts;
    }
}
