using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Testing;

namespace HaTangSo.Telemetry.IntegrationTests;

/// <summary>
/// Hostile input through the live lane (property-based, FsCheck): while the lane is open on a backlog, a seeded mix of
/// valid results of two probes, mutations (<see cref="MessageFuzzer"/>), broken JSON, wrong types, oversized payloads,
/// unknown probes, another probe's result on a probe's topic, topics that name no probe, replays with other values,
/// redeliveries, and backlog results published again, each arriving twice (live, then its copy through the persistent
/// session). Property: every valid result is written once under its own probe, every refused one is quarantined once with
/// a reason, copies are only acknowledged, and the server goes on ingesting.
/// </summary>
public sealed partial class LiveLaneTests
{
    // Fewer than a batch (the live queue holds one): every case reaches the live lane while the backlog is stuck.
    private const int FuzzCases = 150;
    private const int FuzzBatch = 200;
    private const int FuzzBacklog = 1_200;

    private enum Shape { Valid, ValidOther, Mutated, Truncated, WrongType, Oversized, UnknownProbe, ForeignTopic, NoProbeTopic, Replay, Redelivery, BacklogAgain }

    private enum Outcome { Written, Refused, Either }

    // One live publication: the topic's probe segment, the payload, what must become of it, and the result id it carries.
    private sealed record LiveCase(Shape Shape, string Topic, byte[] Payload, Outcome Outcome, string ResultId, string Probe, bool AfterTheRest)
    {
        // Computed, not stored: a record's `with` copies stored values, so a replay made from its original would keep the
        // original's hash.
        public string Hash => QuarantineRows.Sha256(Payload);
    }

    [Fact]
    public async Task HostileAndValidMessagesWhileTheLaneIsOpen_ValidOnceUnderTheirProbe_RefusedQuarantinedOnce_CopiesOnlyAcknowledged()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var ownInflux = await InfluxDbServer.StartAsync(cancellationToken: ct);
        await using var context = await IngestionTestContext.CreateAsync(postgres, influx, ct);
        using var reader = new InfluxProbe(ownInflux.BaseAddress, context.Database);
        var server = await context.StartServerAsync(ct, new Dictionary<string, string?>
        {
            ["Ingestion__MaxBatchSize"] = FuzzBatch.ToString(CultureInfo.InvariantCulture),
            ["Influx__Url"] = ownInflux.BaseAddress.ToString(),
            ["Mqtt__LiveLane__OpenAfter"] = "00:00:02",
        });
        var other = "fuzz-b-" + Guid.NewGuid().ToString("N")[..8];
        await server.RegisterProbeAsync(other, IngestionTestContext.CommuneCode, ct);

        // The backlog stays in front while InfluxDB is away, so the lane stays open for every case.
        await ownInflux.StopAsync();
        var origin = DateTimeOffset.UtcNow.AddHours(-3);
        var backlog = Enumerable.Range(0, FuzzBacklog).Select(i => SampleResults.ToJson(SampleResults.Create(context.ProbeId, i, origin.AddSeconds(-i)))).ToList();
        await using var publisher = context.CreatePublisher();
        await publisher.PublishAsync(context.ProbeId, backlog, ct, window: 500);
        await WaitForAsync(context, () => Task.FromResult(server.Output.Contains("Live lane open (Backlog)", StringComparison.Ordinal)), "the live lane to open on the backlog", ct);

        var cases = Cases(context.ProbeId, other, backlog);
        foreach (var group in cases.GroupBy(c => (c.AfterTheRest, c.Topic)).OrderBy(g => g.Key.AfterTheRest))
        {
            await publisher.PublishAsync(group.Key.Topic, [.. group.Select(c => c.Payload)], ct);
        }

        // Every case went to the live lane (it took them while the backlog was stuck), then InfluxDB comes back.
        await WaitForAsync(context, async () => Metric(await server.Http.GetStringAsync("/metrics", ct), "hts_ingest_live_results_total", "outcome=\"taken\"") >= cases.Count, "the live lane to take every case", ct);
        await ownInflux.StartAgainAsync(ct);
        var times = cases.GroupBy(c => c.Hash).ToDictionary(g => g.Key, g => g.Count());
        // Each publication is processed once (a copy is only acknowledged): written or quarantined, then it is accounted for.
        await WaitForAsync(context, async () =>
        {
            var scrape = await server.Http.GetStringAsync("/metrics", ct);
            return Metric(scrape, "hts_ingest_points_written_total") + Metric(scrape, "hts_ingest_messages_quarantined_total") >= FuzzBacklog + cases.Count;
        }, "every publication to be written or quarantined", ct);
        var ids = await reader.ResultIdsAsync(ct);
        var quarantine = await QuarantineRows.ReadAsync(context.PostgresConnectionString, ct);
        var open = Unaccounted(cases, times, ids, quarantine);
        Assert.True(open.Count == 0, "not accounted for: " + string.Join("; ", open.Take(12).Select(c =>
            $"{c.Shape} {c.Outcome} id {c.ResultId} on {c.Topic}: quarantined {quarantine.Where(r => r.PayloadSha256 == c.Hash).Sum(r => r.Occurrences)} of {times[c.Hash]}"
            + $" (rows of its id: {string.Join(", ", quarantine.Where(r => r.ResultId == c.ResultId).Select(r => $"{r.Kind} x{r.Occurrences} {r.PayloadSha256[..8]}"))}; written: {ids.Contains(c.ResultId)})"
            + $" {Encoding.UTF8.GetString(c.Payload.Length > 300 ? c.Payload[..300] : c.Payload)}")));
        Assert.True(await reader.CountResultsAsync(ct) >= FuzzBacklog);
        await WaitForAsync(context, async () =>
        {
            var scrape = await server.Http.GetStringAsync("/metrics", ct);
            return Metric(scrape, "hts_ingest_live_open") == 0 && Metric(scrape, "hts_ingest_live_results_total", "outcome=\"copy\"") >= cases.Count;
        }, "the lane to close and every copy to be counted", ct);

        // Valid: once, under its own probe; nothing under another probe, nothing of a refused message.
        var points = await reader.RowsAsync("SELECT result_id, probe FROM speedtest GROUP BY probe", ct);
        var written = points.Select(p => (Id: p["result_id"].GetString()!, Probe: p["probe"].GetString()!)).ToList();
        Assert.Equal(written.Count, written.Select(p => p.Id).Distinct().Count());
        var mayBeWritten = cases.Where(c => c.Outcome != Outcome.Refused).Select(c => (c.ResultId, c.Probe))
            .Concat(backlog.Select(b => (ResultId(b), context.ProbeId))).ToHashSet();
        Assert.All(written, p => Assert.Contains((p.Id, p.Probe), mayBeWritten));
        Assert.All(cases.Where(c => c.Outcome == Outcome.Written), c => Assert.Contains((c.ResultId, c.Probe), written));

        // Refused: quarantined once per publication (a copy is never quarantined again), with a reason, under no other
        // probe; a mutation is either.
        var rows = await QuarantineRows.ReadAsync(context.PostgresConnectionString, ct);
        var byHash = rows.GroupBy(r => r.PayloadSha256).ToDictionary(g => g.Key, g => g.ToList());
        foreach (var c in cases.Where(c => c.Outcome == Outcome.Refused))
        {
            var row = Assert.Single(byHash[c.Hash]);
            Assert.True(row.Occurrences == times[c.Hash], $"{c.Shape}: quarantined {row.Occurrences} times, published {times[c.Hash]}");
            Assert.False(string.IsNullOrWhiteSpace(row.Reason));
            Assert.True(ExpectedKinds(c.Shape).Contains(row.Kind), $"{c.Shape}: quarantined as {row.Kind} ({row.Reason})");
        }

        Assert.All(rows, r => Assert.NotEqual("processing_error", r.Kind));
        Assert.All(rows.Where(r => r.ProbeId == context.ProbeId || r.ProbeId == other), r => Assert.Contains(cases, c => c.Hash == r.PayloadSha256 && c.Probe == r.ProbeId));

        // Every copy only acknowledged: counted once, written once, quarantined never.
        var scrape = await server.Http.GetStringAsync("/metrics", ct);
        Assert.Equal(cases.Count, Metric(scrape, "hts_ingest_live_results_total", "outcome=\"taken\""));
        Assert.Equal(cases.Count, Metric(scrape, "hts_ingest_live_results_total", "outcome=\"copy\""));
        Assert.Equal(FuzzBacklog + cases.Count, Metric(scrape, "hts_ingest_messages_received_total", "kind=\"result\""));
        Assert.Equal(rows.Sum(r => r.Occurrences), Metric(scrape, "hts_ingest_messages_quarantined_total"));

        // And the server goes on: healthy, and a result published now is written.
        using (var health = await server.Http.GetAsync("/health", ct))
        {
            Assert.True(health.IsSuccessStatusCode, context.Logs());
        }

        var after = SampleResults.Create(context.ProbeId, 2, DateTimeOffset.UtcNow.AddMinutes(-1));
        await publisher.PublishAsync(after, ct);
        await WaitForAsync(context, async () => (await reader.ResultIdsAsync(ct)).Contains(after.ResultId), "a result published after the fuzz", ct);
    }

    // The cases: shapes drawn by FsCheck from a fixed seed (the same cases every run), each made into a publication.
    private static List<LiveCase> Cases(string own, string other, List<byte[]> backlog)
    {
        var shapes = (from shape in Gen.Frequency(
                          (5, Gen.Constant(Shape.Valid)), (3, Gen.Constant(Shape.ValidOther)), (5, Gen.Constant(Shape.Mutated)),
                          (2, Gen.Constant(Shape.Truncated)), (2, Gen.Constant(Shape.WrongType)), (1, Gen.Constant(Shape.Oversized)),
                          (2, Gen.Constant(Shape.UnknownProbe)), (2, Gen.Constant(Shape.ForeignTopic)), (1, Gen.Constant(Shape.NoProbeTopic)),
                          (2, Gen.Constant(Shape.Replay)), (2, Gen.Constant(Shape.Redelivery)), (1, Gen.Constant(Shape.BacklogAgain)))
                      from seed in Gen.Choose(0, int.MaxValue - 1)
                      select (shape, seed)).Sample(FuzzCases, new Rnd(16_2026), 30);
        var cases = new List<LiveCase>();
        var start = DateTimeOffset.UtcNow.AddMinutes(-30);
        foreach (var (shape, seed) in shapes)
        {
            var random = new Random(seed);
            var i = cases.Count;
            var mine = SampleResults.Create(own, i, start.AddMinutes(-i));
            LiveCase Refused(string topic, byte[] payload, string probe) => new(shape, topic, payload, Outcome.Refused, mine.ResultId, probe, false);
            var originals = cases.Where(c => c.Shape is Shape.Valid or Shape.ValidOther).ToList();
            cases.Add(shape switch
            {
                Shape.Valid => new(shape, own, SampleResults.ToJson(mine), Outcome.Written, mine.ResultId, own, false),
                Shape.ValidOther => Valid(SampleResults.Create(other, i, start.AddMinutes(-i))),
                Shape.Mutated => new(shape, own, new MessageFuzzer(seed).Mutate(mine), Outcome.Either, mine.ResultId, own, false),
                Shape.Truncated => Refused(own, SampleResults.ToJson(mine)[..random.Next(1, SampleResults.ToJson(mine).Length - 1)], own),
                Shape.WrongType => Refused(own, WrongType(mine, random), own),
                Shape.Oversized => Refused(own, Change(mine, n => n["note"] = new string('x', ResultLimits.MaxPayloadBytes + random.Next(1, 20_000))), own),
                Shape.UnknownProbe => Ghost(i, start),
                // Another probe's result on this probe's topic, and this probe's on the other's.
                Shape.ForeignTopic => random.Next(2) == 0
                    ? Refused(own, SampleResults.ToJson(SampleResults.Create(other, i, start.AddMinutes(-i))), own)
                    : Refused(other, SampleResults.ToJson(mine), other),
                Shape.NoProbeTopic => Refused(Pick(random, "Bad Probe!", "ạ-probe", "a,b=c", "..", "-", "x\\y"), SampleResults.ToJson(mine), own),
                // The same result id with other values, after the original: a replay; the same bytes again: a redelivery.
                Shape.Replay when originals.Count > 0 => Replay(originals[random.Next(originals.Count)], random),
                Shape.Redelivery when originals.Count > 0 => originals[random.Next(originals.Count)] with { Shape = shape, AfterTheRest = true },
                // A result still in the backlog, published again (the same bytes): written once, whichever session is first.
                Shape.BacklogAgain => Again(backlog[random.Next(backlog.Count)]),
                _ => new(shape, own, SampleResults.ToJson(mine), Outcome.Written, mine.ResultId, own, false),
            });
        }

        return cases;

        LiveCase Again(byte[] payload) => new(Shape.BacklogAgain, own, payload, Outcome.Written, ResultId(payload), own, false);

        LiveCase Valid(ResultMessage result) => new(Shape.ValidOther, result.ProbeId, SampleResults.ToJson(result), Outcome.Written, result.ResultId, result.ProbeId, false);

        LiveCase Ghost(int i, DateTimeOffset start)
        {
            var ghost = SampleResults.Create($"ghost-{i}-{own[^4..]}", i, start.AddMinutes(-i));
            return new(Shape.UnknownProbe, ghost.ProbeId, SampleResults.ToJson(ghost), Outcome.Refused, ghost.ResultId, ghost.ProbeId, false);
        }

        static LiveCase Replay(LiveCase original, Random random)
        {
            var node = JsonNode.Parse(original.Payload)!.AsObject();
            node["downloadMbps"] = node["downloadMbps"]!.GetValue<double>() + random.Next(1, 40);
            return original with { Shape = Shape.Replay, Payload = Encoding.UTF8.GetBytes(node.ToJsonString()), Outcome = Outcome.Refused, AfterTheRest = true };
        }
    }

    // What is not yet accounted for: a valid result not in InfluxDB, a refused one not (as often as published) in the quarantine.
    private static List<LiveCase> Unaccounted(List<LiveCase> cases, Dictionary<string, int> times, HashSet<string> ids, List<QuarantineRow> rows)
    {
        var quarantined = rows.GroupBy(r => r.PayloadSha256).ToDictionary(g => g.Key, g => g.Sum(r => r.Occurrences));
        return [.. cases.Where(c => c.Outcome switch
        {
            Outcome.Written => !ids.Contains(c.ResultId),
            Outcome.Refused => quarantined.GetValueOrDefault(c.Hash) < times[c.Hash],
            _ => !ids.Contains(c.ResultId) && quarantined.GetValueOrDefault(c.Hash) < times[c.Hash],
        })];
    }

    // A value of the wrong JSON type in a field: text for a number, a number or a flag for text, text for the link object.
    private static byte[] WrongType(ResultMessage result, Random random)
    {
        var node = SampleResults.ToNode(result);
        var (field, value) = random.Next(6) switch
        {
            0 => ("downloadMbps", (JsonNode)"fast"),
            1 => ("latencyMs", (JsonNode)true),
            2 => ("durationMs", new JsonArray(1)),
            3 => ("server", (JsonNode)42),
            4 => ("resultId", (JsonNode)7),
            _ => ("link", (JsonNode)"fixed"),
        };
        node[field] = value;
        return Encoding.UTF8.GetBytes(node.ToJsonString());
    }

    private static string[] ExpectedKinds(Shape shape) => shape switch
    {
        Shape.Truncated => ["invalid_json", "not_utf8"],
        Shape.WrongType => ["invalid_json", "invalid_field", "invalid_name"],
        Shape.Oversized => ["too_large"],
        Shape.UnknownProbe => ["unknown_probe"],
        Shape.ForeignTopic => ["invalid_field"],
        Shape.NoProbeTopic => ["topic", "unknown_probe", "invalid_field"],
        Shape.Replay => ["duplicate"],
        _ => [],
    };

    private static byte[] Change(ResultMessage result, Action<JsonObject> change)
    {
        var node = SampleResults.ToNode(result);
        change(node);
        return Encoding.UTF8.GetBytes(node.ToJsonString());
    }

    private static string Pick(Random random, params string[] values) => values[random.Next(values.Length)];

    private static string ResultId(byte[] payload) => JsonNode.Parse(payload)!["resultId"]!.GetValue<string>();
}
