using HaTangSo.Telemetry.Server.Influx;
using HaTangSo.Telemetry.Server.Ingestion;
using HaTangSo.Telemetry.Server.Registry;
using HaTangSo.Telemetry.Testing;

namespace HaTangSo.Telemetry.Server.Tests;

public sealed class ResultPointsTests
{
    private static readonly ProbeLocation s_location = new("ht-xa-01", "42", "445", "18409", true, TimeSpan.FromMinutes(15), [TestRegistry.Fixed]);

    [Fact]
    public void Format_Result_ContractTagsFieldsAndTimestamp()
    {
        var startedAt = new DateTimeOffset(2026, 3, 1, 8, 0, 0, 123, TimeSpan.Zero);
        var result = SampleResults.Create("ht-xa-01", 0, startedAt);

        var line = ResultPoints.Format(result, s_location, TestRegistry.Fixed, TestRegistry.Server);

        Assert.StartsWith("speedtest,access=fixed,commune=18409,district=445,link=fixed,operator=VNPT,probe=ht-xa-01,province=42,server=hts-speed-test-1,status=ok,technology=ftth ", line, StringComparison.Ordinal);
        Assert.Contains("download_mbps=50.25,upload_mbps=20.5,", line, StringComparison.Ordinal);
        Assert.Contains($"result_id=\"{result.ResultId}\"", line, StringComparison.Ordinal);
        Assert.EndsWith(" 1772352000123000000", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Format_AbsentValues_LeftOutNotZero()
    {
        var result = SampleResults.Create("ht-xa-01", 0, DateTimeOffset.UnixEpoch) with { DownloadMbps = null, LossPct = null };
        var line = ResultPoints.Format(result, s_location, TestRegistry.Fixed, TestRegistry.Server);
        Assert.DoesNotContain("download_mbps", line, StringComparison.Ordinal);
        Assert.DoesNotContain("loss_pct", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Format_SameResultTwice_SameLine()
    {
        var result = SampleResults.Create("ht-xa-01", 4, DateTimeOffset.UnixEpoch.AddDays(20000));
        Assert.Equal(
            ResultPoints.Format(result, s_location, TestRegistry.Fixed, TestRegistry.Server),
            ResultPoints.Format(result, s_location, TestRegistry.Fixed, TestRegistry.Server));
    }

    [Fact]
    public void Format_TagsComeFromTheRegistryNotThePayload()
    {
        var result = SampleResults.Create("ht-xa-01", 0, DateTimeOffset.UnixEpoch);
        result = result with { Link = result.Link with { Operator = "vinaphone", Technology = "FTTH" } };
        var line = ResultPoints.Format(result, s_location, TestRegistry.Fixed, TestRegistry.Server);
        Assert.Contains(",operator=VNPT,", line, StringComparison.Ordinal);
        Assert.Contains(",technology=ftth ", line, StringComparison.Ordinal);
    }

    [Fact]
    public void RefusalKinds_EveryKindHasItsOwnSnakeCaseLabel()
    {
        var labels = RefusalKinds.All.Select(k => k.Label()).ToList();
        Assert.Equal(Enum.GetValues<RefusalKind>().Length, labels.Distinct(StringComparer.Ordinal).Count());
        Assert.All(labels, l => Assert.Matches("^[a-z][a-z0-9]*(_[a-z0-9]+)*$", l));
        Assert.Equal("rate_limit", RefusalKind.RateLimit.Label());
        Assert.Equal("influxdb_refused", RefusalKind.InfluxRefused.Label());
    }
}
