using HaTangSo.Telemetry.Testing;

namespace HaTangSo.Telemetry.Benchmarks;

/// <summary>
/// InfluxDB 1.x with its cold-shard thresholds lowered from hours to seconds, so that a benchmark sees the on-disk
/// size a shard reaches after its full compaction (in production the same happens 4 h after a shard's last write).
/// </summary>
internal sealed class CompactingInflux : IAsyncDisposable
{
    private readonly InfluxDbServer _server;
    private readonly string _directory;

    private CompactingInflux(InfluxDbServer server)
    {
        _server = server;
        _directory = server.DirectoryPath;
    }

    public Uri BaseAddress => _server.BaseAddress;

    public int ProcessId => _server.ProcessId;

    public static async Task<CompactingInflux> StartAsync(CancellationToken ct) => new(await InfluxDbServer.StartAsync(
        extraHttpConfig: "max-body-size = 0",
        extraDataConfig: "cache-snapshot-write-cold-duration = \"5s\"\ncompact-full-write-cold-duration = \"20s\"",
        cancellationToken: ct));

    /// <summary>Bytes of the database's TSM files (the points, compressed): what grows with every point.</summary>
    public long TsmBytes(string database) =>
        new DirectoryInfo(Path.Combine(_directory, "data", database)).EnumerateFiles("*.tsm", SearchOption.AllDirectories).Sum(f => f.Length);

    /// <summary>Bytes of all the database's files: TSM data, the series file and index (preallocated segments), the WAL.</summary>
    public long DatabaseBytes(string database) =>
        new[] { "data", "wal" }.Select(d => Path.Combine(_directory, d, database))
            .Where(Directory.Exists)
            .Sum(d => new DirectoryInfo(d).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length));

    /// <summary>Waits until the WAL is empty and the databases' size has not changed for 30 s (bounded: 10 minutes).</summary>
    public async Task<string> WaitCompactedAsync(IReadOnlyList<string> databases, CancellationToken ct)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        long last = -1;
        var stable = 0;
        for (var poll = 0; poll < 300; poll++)
        {
            var size = databases.Sum(DatabaseBytes);
            var walBytes = databases.Select(d => Path.Combine(_directory, "wal", d)).Where(Directory.Exists)
                .Sum(d => new DirectoryInfo(d).EnumerateFiles("*.wal", SearchOption.AllDirectories).Sum(f => f.Length));
            stable = size == last && walBytes == 0 ? stable + 1 : 0;
            last = size;
            if (stable >= 15)
            {
                var tsm = databases.Sum(d => new DirectoryInfo(Path.Combine(_directory, "data", d)).EnumerateFiles("*.tsm", SearchOption.AllDirectories).Count());
                return FormattableString.Invariant($"WAL empty, size stable after {started.Elapsed.TotalSeconds:0} s, {tsm} TSM files");
            }

            await Task.Delay(2_000, ct);
        }

        return "NOT settled after 10 minutes: figures include uncompacted data";
    }

    public async ValueTask DisposeAsync()
    {
        await _server.StopAsync();
        await _server.DisposeAsync();
    }
}
