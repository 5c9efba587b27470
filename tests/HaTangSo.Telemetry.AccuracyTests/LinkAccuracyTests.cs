using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Testing;

namespace HaTangSo.Telemetry.AccuracyTests;

/// <summary>
/// The probe against iperf3 on emulated commune links (tools/linkemu, root): download and upload within ±5% of
/// iperf3 on the same link in the same run (±10% with loss), idle latency within ±3 ms of the delay the emulator
/// really added: ping's median round trip on the same link in the same run. The emulator's own excess over its
/// nominal delay is bounded separately, so a slow emulator cannot hide a probe error.
/// </summary>
public sealed class LinkAccuracyTests(ITestOutputHelper output)
{
    public static TheoryData<string, double, double, int, double> Links => new()
    {
        { "adsl", 5, 2, 150, 0 },      // a remote commune's xDSL, long path
        { "lte", 20, 10, 50, 1 },      // 4G with 1% loss
        { "ftth", 100, 40, 20, 0 },    // a typical office FTTH plan
        { "gpon", 300, 100, 10, 0 },   // a fast FTTH plan
    };

    [Theory]
    [MemberData(nameof(Links))]
    public async Task Measure_EmulatedLink_MatchesIperf3AndDelay(string name, double down, double up, int delayMs, double lossPct)
    {
        var ct = TestContext.Current.CancellationToken;
        var link = new EmulatedLink(name, down, up, delayMs, lossPct);
        await using var run = await AccuracyRun.StartAsync("acc" + name[..Math.Min(4, name.Length)], [link], ct);

        var row = await run.MeasureAsync(link, ct);
        output.WriteLine(AccuracyRow.Header);
        output.WriteLine(row.ToString());

        var tolerance = lossPct > 0 ? 10 : 5;
        Assert.Equal(ResultStatus.Ok, row.Probe.Status);
        Assert.True(Math.Abs(row.DownDeviationPct) <= tolerance, $"download off by {row.DownDeviationPct:0.0}%: {row}");
        Assert.True(Math.Abs(row.UpDeviationPct) <= tolerance, $"upload off by {row.UpDeviationPct:0.0}%: {row}");
        AssertLatency(row);
    }

    [Fact]
    public async Task Measure_TwoLinksOnOneBox_EachReportedUnderItsOwnLink()
    {
        var ct = TestContext.Current.CancellationToken;
        var fixedLink = new EmulatedLink("fixed", 50, 20, 15);
        var mobileLink = new EmulatedLink("mobile", 10, 5, 60);
        await using var run = await AccuracyRun.StartAsync("accdual", [fixedLink, mobileLink], ct);

        var fixedRow = await run.MeasureAsync(fixedLink, ct);
        var mobileRow = await run.MeasureAsync(mobileLink, ct);
        output.WriteLine(AccuracyRow.Header);
        output.WriteLine(fixedRow.ToString());
        output.WriteLine(mobileRow.ToString());

        Assert.Equal("fixed", fixedRow.Probe.Link.Name);
        Assert.Equal("mobile", mobileRow.Probe.Link.Name);
        foreach (var row in new[] { fixedRow, mobileRow })
        {
            Assert.True(Math.Abs(row.DownDeviationPct) <= 5, $"download: {row}");
            Assert.True(Math.Abs(row.UpDeviationPct) <= 5, $"upload: {row}");
            AssertLatency(row);
        }

        // Each figure is its own link's, not the other's: the shaped rates are 5x apart.
        Assert.True(fixedRow.Probe.DownloadMbps > 3 * mobileRow.Probe.DownloadMbps!.Value);
    }

    private static void AssertLatency(AccuracyRow row)
    {
        Assert.True(Math.Abs(row.LatencyErrorMs) <= 3, $"latency off by {row.LatencyErrorMs:0.0} ms from ping: {row}");
        Assert.True(row.EmulatorExcessMs is >= -0.5 and <= 10, $"the emulator added {row.EmulatorExcessMs:0.0} ms beyond its delay: {row}");
    }
}
