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
    [InlineData("link.name", "fixed\\")]
    [InlineData("link.name", "fixed link")]
    [InlineData("link.operator", "VNPT\\ ")]
    [InlineData("link.operator", "VNPT,province=01 download_mbps=999")]
    [InlineData("link.technology", "FTTH")]
    [InlineData("link.technology", "5g\\=x")]
    [InlineData("server", "dc\\,1")]
    [InlineData("agentVersion", "1.0 beta")]
    [InlineData("error", "two\nlines")]
    public void Validate_NameOutsideItsRule_RefusedAsInvalidNameWithoutEchoingIt(string field, string value)
    {
        var node = SampleResults.ToNode(SampleResults.Create(ProbeId, 0, s_now.AddMinutes(-1)));
        if (field.StartsWith("link.", StringComparison.Ordinal))
        {
            node["link"]![field[5..]] = value;
        }
        else
        {
            node[field] = value;
        }

        var outcome = _validator.Validate(ProbeId, SampleResults.Utf8(node.ToJsonString()));

        Assert.Equal(RefusalKind.InvalidName, outcome.Refusal.Kind);
        Assert.StartsWith(field + " ", outcome.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(value, outcome.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("truncated JSON", RefusalKind.InvalidJson)]
    [InlineData("oversized payload", RefusalKind.TooLarge)]
    [InlineData("invalid UTF-8", RefusalKind.NotUtf8)]
    [InlineData("startedAt a day in the future", RefusalKind.Clock)]
    [InlineData("negative download", RefusalKind.InvalidField)]
    [InlineData("line-protocol injection in operator", RefusalKind.InvalidName)]
    public void Validate_Refusal_HasItsKind(string name, RefusalKind kind)
    {
        var bad = MalformedResults.Create(ProbeId, "unregistered-probe", s_now).Single(b => b.Name == name);
        Assert.Equal(kind, _validator.Validate(bad.TopicProbeId, bad.Payload).Refusal.Kind);
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
