using System.Text;
using System.Text.Json;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Server.Ingestion;
using HaTangSo.Telemetry.Testing;

namespace HaTangSo.Telemetry.Server.Tests;

/// <summary>
/// The results' fast JSON path (<see cref="ResultJsonReader"/>) against the serializer it stands in for. Property-based:
/// on random mutations of valid messages (every optional block of the contract included), whenever the fast path accepts
/// a payload the serializer accepts the same bytes and reads an equal message; what the fast path leaves, the serializer
/// reads as before. Seeded: a failure names its seed and iteration.
/// </summary>
public sealed class ResultJsonReaderTests
{
    private const int Iterations = 25_000;

    [Theory]
    [InlineData(21)]
    [InlineData(22)]
    [InlineData(23)]
    [InlineData(24)]
    public void TryRead_RandomMutations_AcceptsOnlyWhatTheSerializerReadsTheSame(int seed)
    {
        var fuzzer = new MessageFuzzer(seed);
        var random = new Random(seed);
        var (fast, slow) = (0, 0);
        for (var i = 0; i < Iterations; i++)
        {
            var payload = fuzzer.Mutate(IngestionFuzzTests.Valid(random, i));
            if (Same(payload, $"seed {seed}, iteration {i}"))
            {
                fast++;
            }
            else
            {
                slow++;
            }
        }

        // The mutations reach both sides: many stay well formed (the fast path), many do not (the serializer's).
        Assert.True(fast > Iterations / 10, $"the fast path took only {fast} of {Iterations}");
        Assert.True(slow > Iterations / 10, $"the serializer read only {slow} of {Iterations}");
    }

    [Fact]
    public void TryRead_EveryValidShape_TakenByTheFastPath_EqualToTheSerializers()
    {
        var random = new Random(5);
        for (var i = 0; i < 2_000; i++)
        {
            var payload = SampleResults.ToJson(IngestionFuzzTests.Valid(random, i));
            Assert.True(Same(payload, $"valid {i}"), $"the fast path left a valid message to the serializer: {Encoding.UTF8.GetString(payload)}");
        }
    }

    // The edges the fast path leaves to the serializer on purpose, and the ones it takes: each must agree with it.
    [Theory]
    [InlineData("""{"resultId":"R","resultId":"R"}""", false)]
    [InlineData("""{"result\u0049d":"R"}""", false)]
    [InlineData("""{"error":null}""", false)]
    [InlineData("""{"unknownMember":1}""", false)]
    [InlineData("""{"durationMs":"12"}""", false)]
    [InlineData("""{"cpuBound":1}""", false)]
    [InlineData("""{"commandId":"not-a-guid"}""", false)]
    [InlineData("""{"link":{"name":"fixed","access":"fixed","operator":"VNPT","technology":"ftth","name":"x"}}""", false)]
    [InlineData("""{"radio":{"changed":true}}""", false)]
    [InlineData("""{"cpu":{"waitPct":1}}""", false)]
    [InlineData(""" {"error":"a\"b\u00e9\n"} """, true)]
    [InlineData("""{"durationMs":1.5e3,"downloadMbps":-0.0,"uploadMbps":1E-2}""", true)]
    [InlineData("""{"schema":"hts.result.v2"}""", true)]
    [InlineData("""{"commandId":"0f8fad5b-d9cb-469f-a165-70867728950e"}""", true)]
    public void TryRead_Edges_AgreeWithTheSerializer(string members, bool fast)
    {
        var valid = Encoding.UTF8.GetString(SampleResults.ToJson(IngestionFuzzTests.Valid(new Random(1), 2)));
        var (overridden, extra) = Split(members.Trim());

        // The valid message's members, minus those the case overrides, then the case's (so duplicates stay duplicates).
        using var document = JsonDocument.Parse(valid);
        var keep = document.RootElement.EnumerateObject().Where(p => !overridden.Contains(p.Name)).Select(p => JsonSerializer.Serialize(p.Name) + ":" + p.Value.GetRawText());
        var payload = Encoding.UTF8.GetBytes("{" + string.Join(",", keep.Append(extra)) + "}");

        Assert.Equal(fast, Same(payload, members));
    }

    [Theory]
    [InlineData(" ")]
    [InlineData("\n")]
    [InlineData(" {}")]
    [InlineData(",")]
    [InlineData("null")]
    public void TryRead_AfterTheObject_OnlyWhitespaceIsTaken(string after)
    {
        var payload = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(SampleResults.ToJson(IngestionFuzzTests.Valid(new Random(3), 4))) + after);
        Assert.Equal(string.IsNullOrWhiteSpace(after), Same(payload, after));
    }

    // Whether the fast path took the payload; when it did, the serializer reads an equal message from the same bytes.
    private static bool Same(byte[] payload, string context)
    {
        if (!ResultJsonReader.TryRead(payload, out var fast))
        {
            return false;
        }

        ResultMessage? slow;
        try
        {
            slow = JsonSerializer.Deserialize(payload, ContractsJsonContext.Default.ResultMessage);
        }
        catch (JsonException ex)
        {
            Assert.Fail($"the fast path took what the serializer refuses ({ex.Message}): {context}: {Encoding.UTF8.GetString(payload)}");
            throw;
        }

        Assert.Equal(slow, fast);
        return true;
    }

    // The top-level member names a case sets, and its members as text.
    private static (HashSet<string> Names, string Members) Split(string members)
    {
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(members), new JsonReaderOptions { AllowMultipleValues = true });
        var names = new HashSet<string>(StringComparer.Ordinal);
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1)
            {
                names.Add(reader.GetString()!);
            }
        }

        return (names, members.Trim()[1..^1]);
    }
}
