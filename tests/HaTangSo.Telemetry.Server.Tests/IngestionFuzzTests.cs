using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Server.Ingestion;
using HaTangSo.Telemetry.Testing;

namespace HaTangSo.Telemetry.Server.Tests;

/// <summary>
/// Property-based: random mutations of valid messages through the server's real per-message ingestion code (topic,
/// registry, arrival, validation, name rules, registered link and server, plausibility, measurement-time rate limit,
/// line formatting), every optional field of contract v1 included (commandId, cpuBound, cpu, radio). Each message ends
/// written or refused, nothing throws — not even into the boundary that would turn an exception into a
/// <see cref="RefusalKind.ProcessingError"/> — every written line carries only registered tag values, and a written
/// result answers exactly the command its payload names. Seeded: a failure names its seed and iteration, and reproduces.
/// </summary>
public sealed class IngestionFuzzTests
{
    private const int Iterations = 25_000;

    private static readonly Dictionary<string, HashSet<string>> s_registered = new(StringComparer.Ordinal)
    {
        ["province"] = ["42"],
        ["district"] = ["445"],
        ["commune"] = ["18409"],
        ["probe"] = [TestRegistry.ProbeId],
        ["link"] = ["fixed", "modem"],
        ["access"] = ["fixed", "mobile"],
        ["operator"] = ["VNPT", "Viettel"],
        ["technology"] = ["ftth", "4g"],
        ["server"] = [SampleResults.ServerId],
        ["status"] = [.. ResultStatus.All],
    };

    // Optional tags: present only when the result carries them (radio facts on a mobile link).
    private static readonly Dictionary<string, HashSet<string>> s_optional = new(StringComparer.Ordinal)
    {
        ["radio_technology"] = [.. RadioTechnology.All],
    };

    // Four seeds × 25,000 = 100,000 mutations (xunit runs the four in parallel with each other's classes).
    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(13)]
    [InlineData(14)]
    public void Check_RandomMutations_EachWrittenOrRefused_NothingThrows_OnlyRegisteredTags(int seed)
    {
        using var registry = new TestRegistry(new IngestionOptions { ProbeRateLimitFactor = 4, ProbeRateLimitBurst = 4 });
        var fuzzer = new MessageFuzzer(seed);
        var random = new Random(seed);
        var kinds = new Dictionary<RefusalKind, int>();
        var written = 0;
        var radioWritten = 0;
        var commandWritten = 0;
        for (var i = 0; i < Iterations; i++)
        {
            var valid = Valid(random, i);
            var payload = fuzzer.Mutate(valid);
            var topic = random.Next(50) == 0 ? Topics.Results("ht-nobody-01") : Topics.Results(TestRegistry.ProbeId);

            var item = registry.Check(topic, payload);

            var text = System.Text.Encoding.UTF8.GetString(payload);
            var context = $"seed {seed}, iteration {i}: {text[..Math.Min(text.Length, 400)]}";
            Assert.True(item.Line is null != item.Refusal is null, $"neither written nor refused, or both ({context})");
            if (item.Refusal is { } refusal)
            {
                Assert.True(refusal.Kind != RefusalKind.ProcessingError, $"a step threw: {refusal.Detail} ({context})");
                kinds[refusal.Kind] = kinds.GetValueOrDefault(refusal.Kind) + 1;
                continue;
            }

            written++;
            AssertRegisteredTags(item.Line!, context);
            radioWritten += item.Line!.Contains("radio_technology=", StringComparison.Ordinal) ? 1 : 0;

            // The command a written result answers is exactly the one its payload names (the pipeline then lets it count
            // only for a command issued to this probe: CommandFuzzTests in the integration tests, on PostgreSQL).
            Assert.Equal(CommandIdOf(payload), item.CommandId);
            commandWritten += item.CommandId is null ? 0 : 1;
        }

        // The generator reaches deep: some mutations stay valid, and the refusals come from many different steps.
        Assert.True(written > Iterations / 100, $"only {written} of {Iterations} mutations were still valid");
        Assert.True(kinds.Count >= 10, "refusal kinds seen: " + string.Join(", ", kinds.Select(k => $"{k.Key.Label()} {k.Value}")));
        Assert.True(radioWritten > 0, "no mutated message with radio facts was written: the radio fields were not reached");
        Assert.True(commandWritten > 0, "no mutated message answering a command was written: commandId was not reached");
    }

    [Fact]
    public void Check_SpecialCharactersInEveryStringField_WrittenOrRefused_NeverThrows()
    {
        using var registry = new TestRegistry();
        var sequence = 0;
        var written = 0;
        foreach (var (name, payload) in MessageFuzzer.SpecialCharacters(() => SampleResults.Create(TestRegistry.ProbeId, 0, TestRegistry.Now.AddMinutes(-1 - sequence++))))
        {
            var item = registry.Check(Topics.Results(TestRegistry.ProbeId), payload);
            Assert.True(item.Line is null != item.Refusal is null, name);
            Assert.NotEqual(RefusalKind.ProcessingError, item.Refusal?.Kind);
            if (item.Line is not null)
            {
                AssertRegisteredTags(item.Line, name);
                Assert.True(name.StartsWith("error", StringComparison.Ordinal) && !name.Contains('\\', StringComparison.Ordinal) && !name.Contains("newline", StringComparison.Ordinal), $"written: {name}");
                written++;
            }
        }

        // Only the free-text error may hold a comma, an equals sign, a space or a double quote (a string field escapes them).
        Assert.Equal(4 * 3, written);
    }

    internal static ResultMessage Valid(Random random, int i)
    {
        var startedAt = TestRegistry.Now.AddMinutes(-random.Next(1, 60 * 24 * 95));
        var result = SampleResults.Create(TestRegistry.ProbeId, random.Next(1000), startedAt);
        // Every optional block of the contract is in the base half of the time, so the mutations reach its fields too:
        // the probe's CPU report and, on the mobile link, the modem's radio facts.
        if (random.Next(2) == 0)
        {
            result = result with
            {
                CpuBound = random.Next(4) == 0 ? true : null,
                Cpu = new CpuInfo { ProbePct = 12.5, WaitPct = 30, StealPct = 0.5, BusyPct = 60, StalledPct = 2, AppLimitedPct = 1 },
                Radio = result.Link.Access == AccessKind.Mobile
                    ? new RadioInfo
                    {
                        AccessTechnology = RadioTechnology.All[random.Next(RadioTechnology.All.Count)], Changed = random.Next(2) == 0,
                        OperatorCode = "45204", Band = "B3", CellId = "1A2B3C", RsrpDbm = -95.5, RsrqDb = -10, SinrDb = 12.5,
                    }
                    : null,
            };
        }

        // Half answer a command (issue 15.2): its id is a string the mutations reach like any other.
        if (random.Next(2) == 0)
        {
            result = result with { CommandId = new Guid(random.Next(), 15, 2, [.. Enumerable.Range(0, 8).Select(_ => (byte)random.Next(256))]) };
        }

        return random.Next(5) switch
        {
            0 => result with { Status = ResultStatus.Skipped, DownloadMbps = null, UploadMbps = null, LatencyMs = null, JitterMs = null, LossPct = null, LoadedLatencyMs = null, Error = "line busy: 3.2 Mb/s" },
            1 => result with { Status = ResultStatus.Failed, DownloadMbps = null, Error = $"connect timeout {i}" },
            _ => result,
        };
    }

    // A written payload is valid JSON: its commandId, if any, as the contract reads it.
    private static Guid? CommandIdOf(byte[] payload) =>
        System.Text.Json.Nodes.JsonNode.Parse(payload)?["commandId"]?.GetValue<string>() is { } text ? Guid.Parse(text) : null;

    // The tag section ends at the first space: registered values hold no character line protocol escapes.
    private static void AssertRegisteredTags(string line, string context)
    {
        var tagSection = line[..line.IndexOf(' ', StringComparison.Ordinal)];
        var parts = tagSection.Split(',');
        Assert.Equal("speedtest", parts[0]);
        foreach (var tag in parts.Skip(1))
        {
            var (key, value) = (tag[..tag.IndexOf('=', StringComparison.Ordinal)], tag[(tag.IndexOf('=', StringComparison.Ordinal) + 1)..]);
            Assert.True(
                (s_registered.TryGetValue(key, out var allowed) || s_optional.TryGetValue(key, out allowed)) && allowed.Contains(value),
                $"tag {key}={value} is not registered ({context})");
        }

        Assert.Equal(s_registered.Count + 1, parts.Skip(1).Count(p => !s_optional.ContainsKey(p[..p.IndexOf('=', StringComparison.Ordinal)])) + 1);
    }
}
