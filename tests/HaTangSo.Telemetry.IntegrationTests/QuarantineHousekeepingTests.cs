using System.Text;
using HaTangSo.Telemetry.Server.Ingestion;
using HaTangSo.Telemetry.Server.Quarantine;
using HaTangSo.Telemetry.Server.Registry;
using HaTangSo.Telemetry.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace HaTangSo.Telemetry.IntegrationTests;

/// <summary>
/// The quarantine and the result-id store on a real PostgreSQL (migrated as the server migrates it): one row per
/// (probe, reason kind, payload) with a counter, and the housekeeping job's retention and size cap.
/// </summary>
public sealed class QuarantineHousekeepingTests(PostgresFixture postgres)
{
    private static readonly DateTimeOffset s_now = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task AddAsync_SamePayloadAgain_OneRowPerProbeKindAndPayloadWithACounter()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var dataSource = await MigratedAsync(ct);
        var store = new QuarantineStore(dataSource);
        var payload = Encoding.UTF8.GetBytes("{\"x\":1}");
        QuarantineEntry Entry(string? probe, RefusalKind kind, int minute) =>
            new(s_now.AddMinutes(minute), "hts/v1/probes/p/results", probe, null, new Refusal(kind, kind.Label()), payload);

        // Five times in one batch, twice more later; another kind; another probe; no probe at all (twice).
        await store.AddAsync([.. Enumerable.Range(0, 5).Select(i => Entry("p-1", RefusalKind.RateLimit, i))], ct);
        await store.AddAsync([Entry("p-1", RefusalKind.RateLimit, 10), Entry("p-1", RefusalKind.RateLimit, 11), Entry("p-1", RefusalKind.UnknownLink, 12)], ct);
        await store.AddAsync([Entry("p-2", RefusalKind.RateLimit, 13), Entry(null, RefusalKind.Topic, 14)], ct);
        await store.AddAsync([Entry(null, RefusalKind.Topic, 15)], ct);

        var rows = await store.ListAsync(null, null, 100, ct);
        Assert.Equal(4, rows.Count);
        var first = Assert.Single(rows, r => r is { ProbeId: "p-1", ReasonKind: "rate_limit" });
        Assert.Equal((7L, s_now, s_now.AddMinutes(11)), (first.Occurrences, first.ReceivedAt, first.LastReceivedAt));
        Assert.Equal(2, Assert.Single(rows, r => r.ProbeId is null).Occurrences);
        Assert.Single(await store.ListAsync("p-1", RefusalKind.UnknownLink, 100, ct));
    }

    [Fact]
    public async Task Housekeeping_DeletesRowsPastRetentionAndBeyondMaxRows_AndOldResultIds()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var dataSource = await MigratedAsync(ct);
        var store = new QuarantineStore(dataSource);
        var resultIds = new ResultIdStore(dataSource);

        // 1,500 distinct refusals, one every 3 hours over 187 days; 2,000 stored result ids, half of them 100 days old.
        await store.AddAsync(
            [.. Enumerable.Range(0, 1_500).Select(i => new QuarantineEntry(
                s_now.AddHours(-3 * i), "t", "p-1", null, new Refusal(RefusalKind.UnknownLink, "x"), BitConverter.GetBytes(i)))],
            ct);
        var keys = Enumerable.Range(0, 2_000).Select(i => new ResultKey(Guid.NewGuid(), i)).ToList();
        Assert.Empty(await resultIds.RecordAsync(keys, ct));
        await using (var command = dataSource.CreateCommand("UPDATE result_ids SET stored_at = $1 WHERE fingerprint < 1000"))
        {
            command.Parameters.Add(new() { Value = s_now.AddDays(-100).UtcDateTime });
            await command.ExecuteNonQueryAsync(ct);
        }

        var job = new HousekeepingJob(
            store, resultIds, new FakeTimeProvider(s_now), Options.Create(new QuarantineOptions { MaxRows = 1_000, RetentionDays = 90 }),
            Options.Create(new IngestionOptions { MaxResultAge = TimeSpan.FromDays(90) }), NullLogger<HousekeepingJob>.Instance);
        await job.RunAsync(ct);

        // 90 days at one row every 3 hours: 721 rows (the last exactly 90 days old), under the cap, so age decides.
        var rows = await store.ListAsync(null, null, 1_000, ct);
        Assert.Equal(721, rows.Count);
        Assert.All(rows, r => Assert.True(r.LastReceivedAt >= s_now.AddDays(-90)));
        Assert.Equal(1_000L, await ScalarAsync(dataSource, "SELECT count(*) FROM result_ids", ct));
        Assert.Equal(0L, await ScalarAsync(dataSource, "SELECT count(*) FROM result_ids WHERE fingerprint < 1000", ct));

        // A tighter cap: the rows seen least recently go first.
        job = new HousekeepingJob(
            store, resultIds, new FakeTimeProvider(s_now), Options.Create(new QuarantineOptions { MaxRows = 1_000, RetentionDays = 3650 }),
            Options.Create(new IngestionOptions()), NullLogger<HousekeepingJob>.Instance);
        await store.AddAsync(
            [.. Enumerable.Range(0, 600).Select(i => new QuarantineEntry(s_now.AddSeconds(-i), "t", "p-2", null, new Refusal(RefusalKind.Clock, "x"), BitConverter.GetBytes(i)))],
            ct);
        await job.RunAsync(ct);
        rows = await store.ListAsync(null, null, 1_000, ct);
        Assert.Equal(1_000, rows.Count);
        Assert.Equal(600, rows.Count(r => r.ProbeId == "p-2"));
        Assert.True(rows.Where(r => r.ProbeId == "p-1").Min(r => r.LastReceivedAt) > s_now.AddDays(-60));
    }

    [Fact]
    public async Task RecordAsync_KnownIdSameFingerprint_Passes_OtherFingerprint_Duplicate()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var dataSource = await MigratedAsync(ct);
        var store = new ResultIdStore(dataSource);
        var (a, b) = (Guid.NewGuid(), Guid.NewGuid());
        Assert.Empty(await store.RecordAsync([new(a, 1), new(b, 2)], ct));

        var duplicates = await store.RecordAsync([new(a, 1), new(b, 3), new(Guid.NewGuid(), 4)], ct);

        Assert.Equal([b], duplicates);
        Assert.Equal(3L, await ScalarAsync(dataSource, "SELECT count(*) FROM result_ids", ct));
    }

    [Fact]
    public async Task Migration0004_QuarantineOfAnEarlierVersion_ClassifiedOnceAndMergedUnderTheNewKey()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var dataSource = NpgsqlDataSource.Create(await postgres.NewDatabaseAsync(ct));

        // A database as the previous version left it: migrations 1-3 and refusals recorded with text reasons only.
        var sql = new StringBuilder("CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());");
        foreach (var (version, name, script) in MigrationRunner.LoadScripts().Where(m => m.Version < 4))
        {
            sql.Append(script).Append($";INSERT INTO schema_migrations (version, name) VALUES ({version}, '{name}');");
        }

        sql.Append("""
            INSERT INTO quarantine (received_at, last_received_at, occurrences, topic, probe_id, reason, payload, payload_sha256) VALUES
              (now(), now(), 3, 'hts/v1/probes/p-1/results', 'p-1', 'rate limit: more than 20 results', 'a', sha256('a')),
              (now(), now(), 2, 'hts/v1/probes/p-1/status', 'p-1', 'rate limit: more than 20 results', 'a', sha256('a')),
              (now(), now(), 1, 'hts/v1/probes/p-1/results', 'p-1', 'invalid JSON or wrong type: x', 'b', sha256('b')),
              (now(), now(), 1, 'elsewhere', NULL, 'topic is not hts/v1/probes/{probeId}/results or /status', 'c', sha256('c'));
            """);
        await using (var command = dataSource.CreateCommand(sql.ToString()))
        {
            await command.ExecuteNonQueryAsync(ct);
        }

        Assert.Equal(
            MigrationRunner.LoadScripts().Count(m => m.Version >= 4),
            await new MigrationRunner(dataSource, NullLogger<MigrationRunner>.Instance).ApplyAsync(ct));

        var rows = await new QuarantineStore(dataSource).ListAsync(null, null, 100, ct);
        Assert.Equal(
            new[] { ("p-1", "invalid_json", 1L), ("p-1", "rate_limit", 5L), ((string?)null, "topic", 1L) }.OrderBy(r => r.Item2),
            rows.Select(r => (r.ProbeId, r.ReasonKind, r.Occurrences)).OrderBy(r => r.ReasonKind));
    }

    private async Task<NpgsqlDataSource> MigratedAsync(CancellationToken ct)
    {
        var dataSource = NpgsqlDataSource.Create(await postgres.NewDatabaseAsync(ct));
        await new MigrationRunner(dataSource, NullLogger<MigrationRunner>.Instance).ApplyAsync(ct);
        return dataSource;
    }

    private static async Task<long> ScalarAsync(NpgsqlDataSource dataSource, string sql, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(sql);
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }
}
