using System.Text.Json.Nodes;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Server.Ingestion;
using HaTangSo.Telemetry.Testing;

namespace HaTangSo.Telemetry.Server.Tests;

/// <summary>A result against the registry: registered links, attributes, servers, plausibility, rate limits.</summary>
public sealed class MessageChecksTests : IDisposable
{
    private readonly TestRegistry _registry = new(new IngestionOptions { ProbeRateLimitFactor = 4, ProbeRateLimitBurst = 4 });
    private int _sequence;

    public void Dispose() => _registry.Dispose();

    [Fact]
    public void Check_ValidResult_LineTaggedWithTheRegistrysValues()
    {
        var item = Check(n => n["link"]!["operator"] = "vinaphone");

        Assert.Null(item.Refusal);
        Assert.StartsWith(
            $"speedtest,access=fixed,commune=18409,district=445,link=fixed,operator=VNPT,probe={TestRegistry.ProbeId},province=42,server=hts-speed-test-1,status=ok,technology=ftth ",
            item.Line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("VNPT")]
    [InlineData("vnpt")]
    [InlineData("Vinaphone")]
    [InlineData("VNPT-Vinaphone")]
    public void Check_OperatorAliasOrCase_AcceptedUnderTheRegistrysSpelling(string given)
    {
        var item = Check(n => n["link"]!["operator"] = given);
        Assert.Null(item.Refusal);
        Assert.Contains(",operator=VNPT,", item.Line, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_UnregisteredLink_Refused()
    {
        var item = Check(n => n["link"]!["name"] = "l0042");
        Assert.Equal(new Refusal(RefusalKind.UnknownLink, $"link 'l0042' is not registered for probe {TestRegistry.ProbeId}"), item.Refusal);
    }

    [Theory]
    [InlineData("operator", "Viettel", "operator 'Viettel' contradicts the registry's 'VNPT'")]
    [InlineData("access", "mobile", "access 'mobile' contradicts the registry's 'fixed'")]
    [InlineData("technology", "xdsl", "technology 'xdsl' contradicts the registry's 'ftth'")]
    public void Check_AttributeContradictingTheRegistry_RefusedWithBothValues(string field, string value, string reason)
    {
        var item = Check(n => n["link"]![field] = value);
        Assert.Equal(RefusalKind.LinkMismatch, item.Refusal!.Value.Kind);
        Assert.Equal($"link 'fixed' of probe {TestRegistry.ProbeId}: {reason}", item.Refusal.Value.Detail);
    }

    [Theory]
    [InlineData("evil-server", "is not a registered speed-test server")]
    [InlineData("hts-speed-test-old", "is disabled")]
    public void Check_ServerNotRegisteredOrDisabled_Refused(string server, string reason)
    {
        var item = Check(n => n["server"] = server);
        Assert.Equal(RefusalKind.UnknownServer, item.Refusal!.Value.Kind);
        Assert.Contains(reason, item.Refusal.Value.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, "downloadMbps", 100_000.0, "above 1.5 × the link's advertised 150 Mb/s")]
    [InlineData(0, "downloadMbps", 225.5, "above 1.5 × the link's advertised 150 Mb/s")]
    [InlineData(0, "uploadMbps", 300.0, "above 1.5 × the link's advertised 150 Mb/s")]
    [InlineData(1, "downloadMbps", 1_000.5, "above the capacity of server 'hts-speed-test-1' (1000 Mb/s)")]
    public void Check_ImplausibleThroughput_Refused(int sequence, string field, double value, string reason)
    {
        var item = Check(n => n[field] = value, sequence);
        Assert.Equal(RefusalKind.Implausible, item.Refusal!.Value.Kind);
        Assert.Contains(reason, item.Refusal.Value.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, 225.0)]
    [InlineData(1, 999.0)]
    public void Check_FastButPlausible_Accepted(int sequence, double download) =>
        Assert.Null(Check(n => n["downloadMbps"] = download, sequence).Refusal);

    [Fact]
    public void Check_UnknownOrRevokedProbe_RefusedBeforeParsing()
    {
        var unknown = _registry.Check(Topics.Results("ht-nobody-01"), SampleResults.Utf8("not even JSON"));
        var revoked = _registry.Check(Topics.Results("ht-revoked-01"), SampleResults.Utf8("not even JSON"));
        Assert.Equal(RefusalKind.UnknownProbe, unknown.Refusal!.Value.Kind);
        Assert.Equal(RefusalKind.DisabledProbe, revoked.Refusal!.Value.Kind);
    }

    [Fact]
    public void Check_RotatingLinkNames_OpenNoRateLimitKeys()
    {
        for (var i = 0; i < 200; i++)
        {
            Assert.Equal(RefusalKind.UnknownLink, Check(n => n["link"]!["name"] = $"l{i:D4}").Refusal!.Value.Kind);
        }

        Assert.Equal(0, _registry.RateLimiter.Tracked);
    }

    [Fact]
    public void Check_MoreThanTheScheduleAllowsInOneHour_RateLimited()
    {
        // 4 × 4 (15-minute schedule) + 4 = 20 per link and hour of measurement time.
        var hour = TestRegistry.Now.AddHours(-3);
        var outcomes = Enumerable.Range(0, 25).Select(i => Check(n => n["startedAt"] = SampleResults.Rfc3339(hour.AddMinutes(i * 2)), 0)).ToList();
        Assert.All(outcomes.Take(20), o => Assert.Null(o.Refusal));
        Assert.All(outcomes.Skip(20), o => Assert.Equal(RefusalKind.RateLimit, o.Refusal!.Value.Kind));
        Assert.Equal(1, _registry.RateLimiter.Tracked);
    }

    [Fact]
    public void Check_CyclingMeasurementHours_GainsNoMoreThanTheDailyAllowance()
    {
        // A flooder cycling startedAt over ten hours of one day, so that no hour keeps its place among the three
        // recent ones: the day still admits 24 × 20 and no more; the next day has its own allowance.
        var day = new DateTimeOffset(2026, 2, 27, 0, 0, 0, TimeSpan.Zero);
        var admitted = Enumerable.Range(0, 2_000)
            .Count(i => Check(n => n["startedAt"] = SampleResults.Rfc3339(day.AddHours(i % 10).AddSeconds(i)), 0).Refusal is null);
        var nextDay = Enumerable.Range(0, 30)
            .Count(i => Check(n => n["startedAt"] = SampleResults.Rfc3339(day.AddDays(1).AddSeconds(i)), 0).Refusal is null);

        Assert.Equal(24 * 20, admitted);
        Assert.Equal(20, nextDay);
    }

    [Fact]
    public void Check_Redelivery_AdmittedAgainWithTheSameFingerprint()
    {
        var payload = SampleResults.ToJson(SampleResults.Create(TestRegistry.ProbeId, 0, TestRegistry.Now.AddMinutes(-5)));
        var first = _registry.Check(Topics.Results(TestRegistry.ProbeId), payload);
        var again = _registry.Check(Topics.Results(TestRegistry.ProbeId), payload);
        Assert.Equal(first.Line, again.Line);
        Assert.Equal(first.Key, again.Key);
    }

    [Theory]
    [InlineData("hts/v1/probes/ht-xa-tan-loc-01/other")]
    [InlineData("hts/v1/probes/X/results")]
    [InlineData("elsewhere")]
    public void Check_TopicOutsideTheContract_Refused(string topic) =>
        Assert.Equal(RefusalKind.Topic, _registry.Check(topic, SampleResults.Utf8("{}")).Refusal!.Value.Kind);

    [Fact]
    public void Check_StatusOfRegisteredProbe_RecordedWithAPoint()
    {
        var status = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(
            new StatusMessage { ProbeId = TestRegistry.ProbeId, State = ProbeState.Online, QueueDepth = 3 }, ContractsJsonContext.Default.StatusMessage);
        var item = _registry.Check(Topics.Status(TestRegistry.ProbeId), status);
        Assert.Null(item.Refusal);
        Assert.NotNull(item.Status);
        Assert.StartsWith("probe_status,", item.Line, StringComparison.Ordinal);
        Assert.Equal(RefusalKind.UnknownProbe, _registry.Check(Topics.Status("ht-nobody-01"), status).Refusal!.Value.Kind);
        Assert.Equal(RefusalKind.InvalidStatus, _registry.Check(Topics.Status(TestRegistry.ProbeId), SampleResults.Utf8("[]")).Refusal!.Value.Kind);
    }

    private IngestionItem Check(Action<JsonObject> change, int? sequence = null)
    {
        var node = SampleResults.ToNode(SampleResults.Create(TestRegistry.ProbeId, sequence ?? 0, TestRegistry.Now.AddMinutes(-5 - _sequence++)));
        change(node);
        return _registry.Check(Topics.Results(TestRegistry.ProbeId), SampleResults.Utf8(node.ToJsonString()));
    }
}
