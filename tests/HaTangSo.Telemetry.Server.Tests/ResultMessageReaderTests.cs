using System.Text;
using System.Text.Json;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Server.Ingestion;
using HaTangSo.Telemetry.Testing;

namespace HaTangSo.Telemetry.Server.Tests;

/// <summary>
/// The ingestion's own reader of <c>hts.result.v1</c> (<see cref="ResultMessageReader"/>) against the contract's
/// source-generated deserializer, the reference: on valid messages, on the ingestion fuzzer's mutations (strings, numbers,
/// shapes, duplicates, deep nesting, broken bytes) and on mutations aimed at a hand-written reader (escaped names, names
/// differing in case, unknown members of every kind, trailing content, comments, trailing commas, a byte-order mark),
/// both refuse (a <see cref="JsonException"/>, nothing else) or both give the same message. Seeded.
/// </summary>
public sealed class ResultMessageReaderTests
{
    private const int Iterations = 20_000;

    [Theory]
    [InlineData(21)]
    [InlineData(22)]
    [InlineData(23)]
    public void Read_ValidMutatedAndHostilePayloads_SameAnswerAsTheContractsDeserializer(int seed)
    {
        var fuzzer = new MessageFuzzer(seed);
        var random = new Random(seed);
        var (accepted, refused) = (0, 0);
        for (var i = 0; i < Iterations; i++)
        {
            var valid = IngestionFuzzTests.Valid(random, i);
            var payload = random.Next(4) switch
            {
                0 => ReaderMutation(SampleResults.ToJson(valid), random),
                1 => SampleResults.ToJson(valid),
                _ => fuzzer.Mutate(valid),
            };

            var text = Encoding.UTF8.GetString(payload);
            var context = $"seed {seed}, iteration {i}: {text[..Math.Min(text.Length, 600)]}";
            var (expected, expectedError) = Attempt(() => JsonSerializer.Deserialize(payload, ContractsJsonContext.Default.ResultMessage));
            var (actual, actualError) = Attempt(() => ResultMessageReader.Read(payload));
            Assert.True(actualError is null or JsonException, $"the reader threw {actualError?.GetType().Name}: {actualError?.Message} ({context})");
            Assert.True(
                expectedError is null == actualError is null,
                $"reference {(expectedError is null ? "accepted" : "refused: " + expectedError.Message)}, reader {(actualError is null ? "accepted" : "refused: " + actualError.Message)} ({context})");
            Assert.Equal(expected, actual);
            _ = expectedError is null ? accepted++ : refused++;
        }

        // Both sides of the comparison are reached.
        Assert.True(accepted > Iterations / 4 && refused > Iterations / 10, $"accepted {accepted}, refused {refused}");
    }

    [Theory]
    [InlineData("null")]
    [InlineData(" null ")]
    public void Read_JsonNull_IsNull(string payload) => Assert.Null(ResultMessageReader.Read(Encoding.UTF8.GetBytes(payload)));

    [Theory]
    [InlineData("")]
    [InlineData("{")]
    [InlineData("[]")]
    [InlineData("\"text\"")]
    [InlineData("null null")]
    public void Read_NotAnObject_RefusedAsJson(string payload) =>
        Assert.ThrowsAny<JsonException>(() => ResultMessageReader.Read(Encoding.UTF8.GetBytes(payload)));

    [Theory]
    [InlineData("\"durationMs\":", "\"durationMs\":\"fast\",\"was\":", "durationMs")]
    [InlineData("\"name\":\"fixed\"", "\"name\":5", "link.name")]
    [InlineData("\"link\":{", "\"link\":7,\"x\":{", "link")]
    [InlineData("\"startedAt\":\"", "\"startedAt\":\"yesterday", "startedAt")]
    public void Read_AValueOfTheWrongKind_TheRefusalNamesTheMember(string find, string replace, string member)
    {
        var json = Encoding.UTF8.GetString(SampleResults.ToJson(SampleResults.Create("p", 0, DateTimeOffset.UnixEpoch))).Replace(find, replace, StringComparison.Ordinal);
        var refusal = Assert.ThrowsAny<JsonException>(() => ResultMessageReader.Read(Encoding.UTF8.GetBytes(json)));
        Assert.StartsWith(member + ":", refusal.Message, StringComparison.Ordinal);
    }

    private static (ResultMessage? Message, Exception? Error) Attempt(Func<ResultMessage?> read)
    {
        try
        {
            return (read(), null);
        }
        catch (Exception ex)
        {
            return (null, ex);
        }
    }

    private static readonly string[] s_members =
    [
        "schema", "resultId", "probeId", "link", "server", "startedAt", "durationMs", "status", "downloadMbps", "uploadMbps", "latencyMs",
        "jitterMs", "lossPct", "loadedLatencyMs", "agentVersion", "error", "cpuBound", "cpu", "radio", "commandId",
        "name", "access", "operator", "technology", "probePct", "waitPct", "accessTechnology", "changed", "rsrpDbm",
    ];

    private static readonly string[] s_values =
        ["null", "1", "-0", "1e308", "\"x\"", "true", "[]", "{}", "[1,{\"a\":[null]}]", "{\"resultId\":1}", "\"2026-11-30T10:00:00Z\"", "\"7d3c0a52-5b1e-4c55-9a2b-3c4d5e6f7a8b\""];

    // Mutations a hand-written reader could get wrong, each on text the contract's serializer wrote.
    private static byte[] ReaderMutation(byte[] json, Random random)
    {
        var text = Encoding.UTF8.GetString(json);
        var member = s_members[random.Next(s_members.Length)];
        var value = s_values[random.Next(s_values.Length)];
        var quoted = "\"" + member + "\"";
        text = random.Next(12) switch
        {
            // The same name written with an escape: the same member.
            0 => text.Replace(quoted, "\"" + member[0] + "\\u00" + ((int)member[1]).ToString("x2", System.Globalization.CultureInfo.InvariantCulture) + member[2..] + "\"", StringComparison.Ordinal),
            // A name differing in case: an unknown member (names are case-sensitive), and the original one missing.
            1 => text.Replace(quoted, "\"" + char.ToUpperInvariant(member[0]) + member[1..] + "\"", StringComparison.Ordinal),
            // An unknown member of any value, at the start, inside a nested block, or twice.
            2 => text.Insert(1, $"\"x{random.Next(3)}\":{value},"),
            3 => text.Replace("\"link\":{", $"\"link\":{{\"extra\":{value},", StringComparison.Ordinal),
            4 => text.Insert(1, $"\"unknown\":{value},\"unknown\":{value},"),
            // A known member added again, or set to any kind of value.
            5 => text.Insert(1, $"{quoted}:{value},"),
            6 => text.Replace(quoted + ":", quoted + ":" + value + ",\"ignored\":", StringComparison.Ordinal),
            // Content after the value, comments, trailing commas, a byte-order mark, white space around.
            7 => text + (random.Next(3) switch { 0 => " ", 1 => " {}", _ => "x" }),
            8 => text.Insert(1, "/* c */"),
            9 => text.Insert(text.Length - 1, ","),
            10 => "\uFEFF" + text,
            _ => "\t\r\n " + text + "\n",
        };
        return Encoding.UTF8.GetBytes(text);
    }
}
