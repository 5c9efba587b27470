using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Server.Ingestion;
using HaTangSo.Telemetry.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace HaTangSo.Telemetry.Server.Tests;

public sealed class ResultValidatorTests
{
    private const string ProbeId = "ht-xa-tan-loc-01";
    private static readonly DateTimeOffset s_now = new(2026, 3, 1, 8, 0, 0, TimeSpan.Zero);
    private readonly ResultValidator _validator = new(new FakeTimeProvider(s_now), Options.Create(new IngestionOptions()));

    public static TheoryData<MalformedResult> Corpus()
    {
        var data = new TheoryData<MalformedResult>();
        foreach (var bad in MalformedResults.Create(ProbeId, "unregistered-probe", s_now).Where(b => b.Name != "unknown probe"))
        {
            data.Add(bad);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Corpus))]
    public void Validate_MalformedMessage_RefusedWithReason(MalformedResult bad)
    {
        var outcome = _validator.Validate(bad.TopicProbeId, bad.Payload);

        Assert.False(outcome.IsValid, $"'{bad.Name}' was accepted");
        Assert.Contains(bad.ReasonContains, outcome.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Corpus_HasAtLeastThirtyDistinctMessages()
    {
        var corpus = MalformedResults.Create(ProbeId, "unregistered-probe", s_now);
        Assert.True(corpus.Count >= 30);
        Assert.Equal(corpus.Count, corpus.Select(c => Convert.ToHexString(c.Payload)).Distinct().Count());
    }

    [Fact]
    public void Validate_ValidResult_Accepted()
    {
        var result = SampleResults.Create(ProbeId, 3, s_now.AddMinutes(-1));
        var outcome = _validator.Validate(ProbeId, SampleResults.ToJson(result));
        Assert.True(outcome.IsValid, outcome.Reason);
        Assert.Equal(result, outcome.Result);
    }

    [Fact]
    public void Validate_SkippedResultWithoutMetrics_Accepted()
    {
        var result = SampleResults.Create(ProbeId, 0, s_now.AddMinutes(-1)) with
        {
            Status = ResultStatus.Skipped, DownloadMbps = null, UploadMbps = null, LatencyMs = null, JitterMs = null, LossPct = null, LoadedLatencyMs = null,
        };
        Assert.True(_validator.Validate(ProbeId, SampleResults.ToJson(result)).IsValid);
    }

    [Fact]
    public void Validate_UnknownExtraFields_AcceptedForForwardCompatibility()
    {
        var node = SampleResults.ToNode(SampleResults.Create(ProbeId, 1, s_now.AddMinutes(-1)));
        node["dnsMs"] = 12.5;
        node["futureThing"] = new System.Text.Json.Nodes.JsonObject { ["x"] = 1 };
        Assert.True(_validator.Validate(ProbeId, SampleResults.Utf8(node.ToJsonString())).IsValid);
    }

    [Theory]
    [InlineData("viettel", "Viettel")]
    [InlineData("VINAPHONE", "VNPT")]
    [InlineData("Mobifone", "MobiFone")]
    [InlineData("Some ISP", "Some ISP")]
    public void Validate_OperatorSpelling_Normalised(string given, string expected)
    {
        var result = SampleResults.Create(ProbeId, 0, s_now.AddMinutes(-1));
        result = result with { Link = result.Link with { Operator = given, Technology = "FTTH" } };
        var outcome = _validator.Validate(ProbeId, SampleResults.ToJson(result));
        Assert.Equal(expected, outcome.Result!.Link.Operator);
        Assert.Equal("ftth", outcome.Result.Link.Technology);
    }

    [Fact]
    public void Validate_StartedAtWithOffset_ConvertedToUtc()
    {
        var node = SampleResults.ToNode(SampleResults.Create(ProbeId, 0, s_now));
        node["startedAt"] = "2026-03-01T14:30:00+07:00";
        var outcome = _validator.Validate(ProbeId, SampleResults.Utf8(node.ToJsonString()));
        Assert.Equal(new DateTimeOffset(2026, 3, 1, 7, 30, 0, TimeSpan.Zero), outcome.Result!.StartedAt);
        Assert.Equal(TimeSpan.Zero, outcome.Result.StartedAt.Offset);
    }

    [Fact]
    public void Validate_SmallClockSkew_Accepted()
    {
        var result = SampleResults.Create(ProbeId, 0, s_now.AddMinutes(5));
        Assert.True(_validator.Validate(ProbeId, SampleResults.ToJson(result)).IsValid);
    }
}
