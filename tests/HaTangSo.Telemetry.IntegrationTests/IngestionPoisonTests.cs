using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Testing;
using Npgsql;

namespace HaTangSo.Telemetry.IntegrationTests;

/// <summary>
/// No message can stop ingestion (issue 11): line-protocol special characters in every string, a message that a
/// database refuses, replayed result ids, registered speed-test servers — on the real broker, server process, InfluxDB
/// and PostgreSQL, with restarts.
/// </summary>
public sealed class IngestionPoisonTests(PostgresFixture postgres, InfluxDbFixture influx)
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task SpecialCharactersInEveryStringField_EachWrittenOrQuarantined_ServerSurvivesKillAndRedelivery()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var context = await IngestionTestContext.CreateAsync(postgres, influx, ct);
        var server = await context.StartServerAsync(ct);
        var start = DateTimeOffset.UtcNow.AddHours(-6);
        var originals = new List<ResultMessage>();
        var messages = MessageFuzzer.SpecialCharacters(() =>
        {
            var result = SampleResults.Create(context.ProbeId, 2 * originals.Count, start.AddMinutes(originals.Count));
            originals.Add(result);
            return result;
        }).ToList();
        Assert.Equal(12 * 6 * 3, messages.Count);
        await using var publisher = context.CreatePublisher();

        await publisher.PublishAsync(context.ProbeId, [.. messages.Select(m => m.Payload)], ct);
        var (written, quarantined) = await WaitAccountedAsync(context, messages, originals, occurrences: 1, ct);

        // Only the free-text error may carry , = space and " (escaped in a string field); everything else is refused.
        Assert.Equal(12, written.Count);
        Assert.All(written, name => Assert.StartsWith("error ", name, StringComparison.Ordinal));
        Assert.Equal(messages.Count - 12, quarantined.Count);

        // The original failure: the server died on a poison and died again on every redelivery. Kill it, let the broker
        // hold the whole set again for its session, start it: it is healthy, and no point is written twice.
        await server.KillAsync();
        await using (var again = context.CreatePublisher())
        {
            await again.PublishAsync(context.ProbeId, [.. messages.Select(m => m.Payload)], ct);
        }

        await server.StartAgainAsync(ct);
        await WaitAccountedAsync(context, messages, originals, occurrences: 2, ct);
        Assert.Equal(12, await context.Influx.CountResultsAsync(ct));
        using var health = await server.Http.GetAsync("/health", ct);
        Assert.True(health.IsSuccessStatusCode, context.Logs());
    }

    [Fact]
    public async Task BatchStatementRefusedByPostgres_BatchSplit_OnlyThePoisonQuarantined_RestWritten()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var context = await IngestionTestContext.CreateAsync(postgres, influx, ct);
        var server = await context.StartServerAsync(ct);
        var results = IngestionEndToEndTests.Results(context.ProbeId, 300);
        var poison = results[150];

        // A poison nobody can foresee: PostgreSQL refuses one row of the batch's result-id statement.
        await ExecuteAsync(context.PostgresConnectionString, $"""
            CREATE FUNCTION test_poison() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.result_id = '{poison.ResultId}' THEN RAISE EXCEPTION 'test poison row' USING ERRCODE = '22023'; END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER test_poison BEFORE INSERT ON result_ids FOR EACH ROW EXECUTE FUNCTION test_poison();
            """, ct);
        await using var publisher = context.CreatePublisher();
        await publisher.PublishAsync(context.ProbeId, [.. results.Select(SampleResults.ToJson)], ct);

        await context.WaitForResultsAsync(results.Count - 1, s_timeout, ct);
        var rows = await QuarantineRows.WaitAsync(context.PostgresConnectionString, r => r.Count >= 1, s_timeout, context.Logs, ct);
        var row = Assert.Single(rows);
        Assert.Equal(("processing_error", poison.ResultId), (row.Kind, row.ResultId));
        Assert.Contains("22023", row.Reason, StringComparison.Ordinal);
        Assert.Contains("test poison row", row.Reason, StringComparison.Ordinal);
        var ids = await context.Influx.ResultIdsAsync(ct);
        Assert.Equal(results.Count - 1, ids.Count);
        Assert.DoesNotContain(poison.ResultId, ids);
        using var health = await server.Http.GetAsync("/health", ct);
        Assert.True(health.IsSuccessStatusCode);
    }

    [Fact]
    public async Task ResultIdReplayedWithOtherValues_QuarantinedAsDuplicate_RedeliveryIsIdempotent()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var context = await IngestionTestContext.CreateAsync(postgres, influx, ct);
        var server = await context.StartServerAsync(ct);
        const string other = "probe-other-01";
        await server.RegisterProbeAsync(other, IngestionTestContext.CommuneCode, ct);
        await PutServerAsync(server, "hts-speed-test-2", 1_000, true, ct);
        var original = SampleResults.Create(context.ProbeId, 0, DateTimeOffset.UtcNow.AddMinutes(-30));
        await using var publisher = context.CreatePublisher();
        await publisher.PublishAsync(original, ct);
        await context.WaitForResultsAsync(1, s_timeout, ct);

        // The same bytes again (a redelivery); other values; another server; another probe with the same id.
        var replays = new[]
        {
            original with { DownloadMbps = 140 },
            original with { Server = "hts-speed-test-2" },
            original with { ProbeId = other },
        };
        await publisher.PublishAsync(original, ct);
        foreach (var replay in replays)
        {
            await publisher.PublishAsync(replay, ct);
        }

        var rows = await QuarantineRows.WaitAsync(context.PostgresConnectionString, r => r.Count >= replays.Length, s_timeout, context.Logs, ct);
        Assert.All(rows, r => Assert.Equal(("duplicate", original.ResultId), (r.Kind, r.ResultId)));
        Assert.Equal(replays.Select(r => QuarantineRows.Sha256(SampleResults.ToJson(r))).Order(), rows.Select(r => r.PayloadSha256).Order());
        var row = Assert.Single(await context.Influx.RowsAsync($"SELECT download_mbps, probe, server FROM speedtest WHERE result_id = '{original.ResultId}' GROUP BY *", ct));
        Assert.Equal((original.DownloadMbps, context.ProbeId, SampleResults.ServerId), (row["download_mbps"].GetDouble(), row["probe"].GetString(), row["server"].GetString()));
        Assert.Equal(1, await context.Influx.CountResultsAsync(ct));
    }

    [Fact]
    public async Task SpeedTestServers_SeededListedChangedByOperator_ResultsFollowTheRegistry()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var context = await IngestionTestContext.CreateAsync(postgres, influx, ct);
        var server = await context.StartServerAsync(ct);

        var seeded = Assert.Single((await server.Http.GetFromJsonAsync<JsonElement[]>("/api/servers", ct))!);
        Assert.Equal(SampleResults.ServerId, seeded.GetProperty("id").GetString());
        Assert.Equal(10_000, seeded.GetProperty("capacityMbps").GetDouble());

        using (var created = await PutServerAsync(server, "ht-dc-vnpt", 2_000, true, ct))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        using (var invalid = await server.Http.PutAsJsonAsync("/api/servers/Bad%5Cid", new { name = "=x", baseUrl = "ftp://x", capacityMbps = 0 }, ct))
        {
            Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
            var problem = await invalid.Content.ReadFromJsonAsync<JsonElement>(ct);
            var errors = problem.GetProperty("errors").EnumerateObject().Select(e => e.Name).Order().ToArray();
            Assert.Equal(["baseUrl", "capacityMbps", "id", "name"], errors);
        }

        // Registered at run time: accepted at once; disabled: refused; faster than its capacity: implausible.
        var start = DateTimeOffset.UtcNow.AddHours(-1);
        var onNew = SampleResults.Create(context.ProbeId, 1, start) with { Server = "ht-dc-vnpt" };
        var unregistered = SampleResults.Create(context.ProbeId, 3, start.AddMinutes(1)) with { Server = "ht-dc-nobody" };
        var tooFast = SampleResults.Create(context.ProbeId, 5, start.AddMinutes(2)) with { Server = "ht-dc-vnpt", DownloadMbps = 2_500 };
        await using var publisher = context.CreatePublisher();
        foreach (var result in new[] { onNew, unregistered, tooFast })
        {
            await publisher.PublishAsync(result, ct);
        }

        await context.WaitForResultsAsync(1, s_timeout, ct);
        await QuarantineRows.WaitAsync(context.PostgresConnectionString, r => r.Count >= 2, s_timeout, context.Logs, ct);
        (await PutServerAsync(server, "ht-dc-vnpt", 2_000, false, ct)).Dispose();
        var afterDisable = SampleResults.Create(context.ProbeId, 7, start.AddMinutes(3)) with { Server = "ht-dc-vnpt" };
        await publisher.PublishAsync(afterDisable, ct);
        var rows = await QuarantineRows.WaitAsync(context.PostgresConnectionString, r => r.Count >= 3, s_timeout, context.Logs, ct);

        Assert.Equal([onNew.ResultId], await context.Influx.ResultIdsAsync(ct));
        var expected = new[] { (unregistered.ResultId, "unknown_server"), (tooFast.ResultId, "implausible"), (afterDisable.ResultId, "unknown_server") };
        Assert.Equal(expected.Order(), rows.Select(r => (r.ResultId!, r.Kind)).Order());
        var tags = await context.Influx.RowsAsync("SHOW TAG VALUES FROM speedtest WITH KEY = \"server\"", ct);
        Assert.Equal(new[] { "ht-dc-vnpt" }, tags.Select(t => t["value"].GetString()));
    }

    internal static Task<HttpResponseMessage> PutServerAsync(ServerProcess server, string id, double capacity, bool enabled, CancellationToken ct) =>
        server.Http.PutAsJsonAsync($"/api/servers/{id}", new { name = "Máy chủ đo " + id, baseUrl = $"http://{id}.test:8090/", capacityMbps = capacity, enabled }, ct);

    internal static async Task ExecuteAsync(string connectionString, string sql, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct);
    }

    // Every message is either a point (its result id in InfluxDB) or a quarantine row (its payload's hash), seen
    // `occurrences` times; returns the names of both groups.
    private static async Task<(List<string> Written, List<string> Quarantined)> WaitAccountedAsync(
        IngestionTestContext context, List<(string Name, byte[] Payload)> messages, List<ResultMessage> originals, int occurrences, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + s_timeout;
        while (true)
        {
            var ids = await context.Influx.ResultIdsAsync(ct);
            var rows = (await QuarantineRows.ReadAsync(context.PostgresConnectionString, ct)).ToDictionary(r => r.PayloadSha256, r => r.Occurrences);
            var written = new List<string>();
            var quarantined = new List<string>();
            var missing = new List<string>();
            for (var i = 0; i < messages.Count; i++)
            {
                if (ids.Contains(originals[i].ResultId))
                {
                    written.Add(messages[i].Name);
                }
                else if (rows.GetValueOrDefault(QuarantineRows.Sha256(messages[i].Payload)) >= occurrences)
                {
                    quarantined.Add(messages[i].Name);
                }
                else
                {
                    missing.Add(messages[i].Name);
                }
            }

            if (missing.Count == 0)
            {
                // At least once: a message quarantined but not yet acknowledged when the server was killed comes back
                // with the redelivery and is counted again.
                Assert.All(rows.Values, count => Assert.InRange(count, occurrences, 2 * occurrences - 1));
                return (written, quarantined);
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"{missing.Count} messages not accounted for (first: {missing[0]}).\n{context.Logs()}");
            }

            await Task.Delay(200, ct);
        }
    }
}
