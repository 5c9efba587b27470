using System.Diagnostics;
using System.Globalization;
using HaTangSo.Telemetry.Server.Ingestion;
using HaTangSo.Telemetry.Server.Registry;
using HaTangSo.Telemetry.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace HaTangSo.Telemetry.Benchmarks;

/// <summary>
/// What the duplicate check costs per result: <paramref name="count"/> time-ordered result ids (UUIDv7, as probes make
/// them) recorded in batches of 5,000 through the server's own <see cref="ResultIdStore"/> on a real PostgreSQL (one
/// statement per batch), then the same batches again (a redelivery: a second statement reads the fingerprints), then
/// the pruning job's delete; the table's bytes per id; and the fingerprint (SHA-256 of the payload) on this CPU.
/// </summary>
internal static class ResultIdBenchmark
{
    private const int Batch = 5_000;

    public static async Task RunAsync(int count, CancellationToken ct)
    {
        Console.WriteLine($"HaTangSo.Telemetry result-id benchmark: {count:N0} ids in batches of {Batch:N0}; {Environment.ProcessorCount} cores, load average {Load()}");
        await using var postgres = await PostgresServer.StartAsync(ct);
        await using var dataSource = NpgsqlDataSource.Create(await postgres.CreateDatabaseAsync(cancellationToken: ct));
        await new MigrationRunner(dataSource, NullLogger<MigrationRunner>.Instance).ApplyAsync(ct);
        var store = new ResultIdStore(dataSource);
        var start = DateTimeOffset.UtcNow.AddDays(-30);
        var batches = Enumerable.Range(0, (count + Batch - 1) / Batch)
            .Select(b => Enumerable.Range(b * Batch, Math.Min(Batch, count - (b * Batch)))
                .Select(i => new ResultKey(Guid.CreateVersion7(start.AddSeconds(i)), i)).ToList())
            .ToList();

        var first = await TimeAsync(store, batches, ct);
        var again = await TimeAsync(store, batches, ct);
        long bytes;
        await using (var size = dataSource.CreateCommand("VACUUM ANALYZE result_ids"))
        {
            await size.ExecuteNonQueryAsync(ct);
        }

        await using (var size = dataSource.CreateCommand("SELECT pg_total_relation_size('result_ids')"))
        {
            bytes = (long)(await size.ExecuteScalarAsync(ct))!;
        }

        var prune = Stopwatch.StartNew();
        var pruned = await store.PruneAsync(DateTimeOffset.UtcNow.AddMinutes(1), ct);
        prune.Stop();

        var payload = SampleResults.ToJson(SampleResults.Create("ht-bench-01", 0, DateTimeOffset.UtcNow));
        var hashing = Stopwatch.StartNew();
        long sink = 0;
        for (var i = 0; i < 1_000_000; i++)
        {
            sink ^= MessageChecks.Fingerprint(payload);
        }

        hashing.Stop();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""

            | step | per result | total |
            |---|---:|---:|
            | new ids (INSERT ... SELECT unnest ... ON CONFLICT DO NOTHING RETURNING), one statement per batch | {first.TotalMicroseconds / count:0.0} µs | {first.TotalSeconds:0.00} s |
            | the same ids again (a redelivery: the insert finds them, a second statement reads their fingerprints) | {again.TotalMicroseconds / count:0.0} µs | {again.TotalSeconds:0.00} s |
            | pruning (chunks of 50,000) | {prune.Elapsed.TotalMicroseconds / Math.Max(pruned, 1):0.0} µs | {prune.Elapsed.TotalSeconds:0.00} s for {pruned:N0} |
            | fingerprint, SHA-256 of a {payload.Length}-byte payload | {hashing.Elapsed.TotalMicroseconds / 1_000_000:0.00} µs | |

            Table and index: {bytes:N0} bytes for {count:N0} ids = {(double)bytes / count:0.0} bytes per stored result. Load average after: {Load()}. ({sink & 1})
            """));
    }

    private static async Task<TimeSpan> TimeAsync(ResultIdStore store, List<List<ResultKey>> batches, CancellationToken ct)
    {
        var stopwatch = Stopwatch.StartNew();
        foreach (var batch in batches)
        {
            if ((await store.RecordAsync(batch, ct)).Count != 0)
            {
                throw new InvalidOperationException("A redelivery was taken for a replay.");
            }
        }

        return stopwatch.Elapsed;
    }

    private static string Load() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";
}
