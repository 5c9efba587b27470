using System.Diagnostics;
using System.Globalization;
using HaTangSo.Telemetry.Server.Ingestion;
using HaTangSo.Telemetry.Server.Registry;
using HaTangSo.Telemetry.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace HaTangSo.Telemetry.Benchmarks;

/// <summary>
/// What the duplicate check costs per result, side by side for time-ordered result ids (UUIDv7, as probes make them)
/// and random ones (UUIDv4, as the peer harness makes them): <paramref name="count"/> ids recorded in batches of 5,000
/// through the server's own <see cref="ResultIdStore"/> (one statement per batch), then the same batches again (a
/// redelivery: a second statement reads the fingerprints), then the pruning job's delete — each with PostgreSQL's CPU
/// time (the postmaster and all its processes, from /proc) and WAL per result, on a cluster with PostgreSQL's own
/// durability settings (fsync, synchronous commit, full-page writes: as production runs it, not the tests' cluster).
/// Each kind starts in a fresh database right after a checkpoint. Also the fingerprint (SHA-256 of the payload).
/// </summary>
internal static class ResultIdBenchmark
{
    private const int Batch = 5_000;

    public static async Task RunAsync(int count, CancellationToken ct)
    {
        Console.WriteLine($"HaTangSo.Telemetry result-id benchmark: {count:N0} ids in batches of {Batch:N0}; {Environment.ProcessorCount} cores, load average {Load.Average()}");
        await using var postgres = await PostgresServer.StartAsync(durable: true, ct);
        var start = DateTimeOffset.UtcNow.AddDays(-30);
        var kinds = new (string Name, Func<int, Guid> Id)[]
        {
            ("time-ordered (UUIDv7, probes)", i => Guid.CreateVersion7(start.AddMilliseconds(i * 10L))),
            ("random (UUIDv4, peer harness)", _ => Guid.NewGuid()),
        };

        var rows = new List<string>();
        foreach (var (name, id) in kinds)
        {
            var batches = Enumerable.Range(0, (count + Batch - 1) / Batch)
                .Select(b => Enumerable.Range(b * Batch, Math.Min(Batch, count - (b * Batch))).Select(i => new ResultKey(id(i), i)).ToList())
                .ToList();
            await using var dataSource = NpgsqlDataSource.Create(await postgres.CreateDatabaseAsync(cancellationToken: ct));
            await new MigrationRunner(dataSource, NullLogger<MigrationRunner>.Instance).ApplyAsync(ct);
            var store = new ResultIdStore(dataSource);
            await ExecuteAsync(dataSource, "CHECKPOINT", ct);

            var first = await MeasureAsync(postgres, dataSource, count, () => RecordAllAsync(store, batches, ct), ct);
            var again = await MeasureAsync(postgres, dataSource, count, () => RecordAllAsync(store, batches, ct), ct);
            await ExecuteAsync(dataSource, "VACUUM ANALYZE result_ids", ct);
            var bytes = await ScalarAsync(dataSource, "SELECT pg_total_relation_size('result_ids')", ct);
            var prune = await MeasureAsync(postgres, dataSource, count, () => store.PruneAsync(DateTimeOffset.UtcNow.AddMinutes(1), ct), ct);
            rows.Add(Row(name, "new ids (binary COPY)", first));
            rows.Add(Row(name, "the same ids again (a redelivery: the COPY fails, INSERT … unnest … ON CONFLICT DO NOTHING RETURNING, SELECT of the fingerprints)", again));
            rows.Add(Row(name, "pruning (DELETE, chunks of 50,000)", prune));
            rows.Add($"| {name} | table and indexes after VACUUM | {(double)bytes / count:0.0} bytes a result | | | | |");
        }

        var payload = SampleResults.ToJson(SampleResults.Create("ht-bench-01", 0, DateTimeOffset.UtcNow));
        var hashing = Stopwatch.StartNew();
        long sink = 0;
        for (var i = 0; i < 1_000_000; i++)
        {
            sink ^= MessageChecks.Fingerprint(payload);
        }

        hashing.Stop();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""

            | ids | step | PostgreSQL CPU a result | this process's CPU a result (the server's side) | WAL a result | wall a result | wall |
            |---|---|---:|---:|---:|---:|---:|
            {string.Join(Environment.NewLine, rows)}

            Fingerprint, SHA-256 of a {payload.Length}-byte payload: {hashing.Elapsed.TotalMicroseconds / 1_000_000:0.00} µs. Load average after: {Load.Average()}. ({sink & 1})
            """));
    }

    private static string Row(string kind, string step, Measured m) => string.Create(CultureInfo.InvariantCulture,
        $"| {kind} | {step} | {m.CpuSeconds * 1e6 / m.Count:0.0} µs | {m.ClientCpuSeconds * 1e6 / m.Count:0.0} µs | {(double)m.WalBytes / m.Count:0} B ({m.FullPageImages:N0} full pages) | {m.Wall.TotalMicroseconds / m.Count:0.0} µs | {m.Wall.TotalSeconds:0.00} s |");

    private static async Task<Measured> MeasureAsync(PostgresServer postgres, NpgsqlDataSource dataSource, int count, Func<Task> step, CancellationToken ct)
    {
        var (wal0, fpi0) = await WalAsync(dataSource, ct);
        var cpu0 = Load.TreeCpuSeconds(postgres.ProcessId);
        var client0 = Environment.CpuUsage.TotalTime;
        var stopwatch = Stopwatch.StartNew();
        await step();
        stopwatch.Stop();
        var client1 = Environment.CpuUsage.TotalTime;
        var cpu1 = Load.TreeCpuSeconds(postgres.ProcessId);
        var (wal1, fpi1) = await WalAsync(dataSource, ct);
        return new Measured(count, stopwatch.Elapsed, cpu1 - cpu0, (client1 - client0).TotalSeconds, wal1 - wal0, fpi1 - fpi0);
    }

    private static async Task RecordAllAsync(ResultIdStore store, List<List<ResultKey>> batches, CancellationToken ct)
    {
        foreach (var batch in batches)
        {
            if ((await store.RecordAsync(batch, ct)).Count != 0)
            {
                throw new InvalidOperationException("A redelivery was taken for a replay.");
            }
        }
    }

    private static async Task<(long Bytes, long FullPages)> WalAsync(NpgsqlDataSource dataSource, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand("SELECT wal_bytes::bigint, wal_fpi FROM pg_stat_wal");
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    private static async Task ExecuteAsync(NpgsqlDataSource dataSource, string sql, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync(ct);
    }

    private static async Task<long> ScalarAsync(NpgsqlDataSource dataSource, string sql, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(sql);
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    private sealed record Measured(int Count, TimeSpan Wall, double CpuSeconds, double ClientCpuSeconds, long WalBytes, long FullPageImages);
}
