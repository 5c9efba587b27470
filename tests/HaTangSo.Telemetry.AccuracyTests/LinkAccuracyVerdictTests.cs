using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Testing;

namespace HaTangSo.Telemetry.AccuracyTests;

/// <summary>
/// The verdict on a run's readings (<see cref="LinkAccuracy"/>), without a lab: which rounds count, and when a run says
/// nothing about the probe. The readings are those of the runs they stand for (2026-12-02, 300/100 Mb/s, 10 ms).
/// </summary>
public sealed class LinkAccuracyVerdictTests
{
    private static readonly EmulatedLink Gpon = new("gpon", 300, 100, 10);

    // The quiet run that failed at +8.4 % before the emulator's fix: iperf3 221-256, the probe 214-259.
    private static readonly double[] IperfBefore = [227.8, 221.4, 256.3, 227.2, 233.1];
    private static readonly double[] ProbeBefore = [239.3, 258.8, 254.6, 214.5];

    [Fact]
    public void Failures_EmulatorSaturated_InconclusiveForDownloads_NotAFailure()
    {
        var accuracy = Run(IperfBefore, ProbeBefore, emulatorPeaks: [99, 100, 97, 98]);

        Assert.Equal(4, accuracy.EmulatorSaturatedRounds);
        Assert.Contains("delay helper used 100 % of a core", accuracy.Inconclusive, StringComparison.Ordinal);
        Assert.Empty(accuracy.Failures(5));
        Assert.Contains("(saturated)", accuracy.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Failures_SameReadingsWithTheEmulatorKeepingUp_FailOnTheDownload()
    {
        var accuracy = Run(IperfBefore, ProbeBefore, emulatorPeaks: [31, 28, 30, 26]);

        Assert.Equal(0, accuracy.EmulatorSaturatedRounds);
        Assert.Null(accuracy.Inconclusive);
        Assert.Contains(accuracy.Failures(5), f => f.StartsWith("download off by +8.4 %", StringComparison.Ordinal));
    }

    [Fact]
    public void Failures_OneSaturatedRound_MakesTheWholeRunInconclusive()
    {
        // The reference is the median of every iperf3 reading, some of them taken on the slowed link.
        var accuracy = Run(IperfBefore, ProbeBefore, emulatorPeaks: [31, 95, 30, 26]);

        Assert.Equal(1, accuracy.EmulatorSaturatedRounds);
        Assert.NotNull(accuracy.Inconclusive);
    }

    [Fact]
    public void Failures_NoEmulatorReadings_JudgedAsBefore()
    {
        var accuracy = Run([275.1, 271.1, 276.0], [273.5, 275.6], emulatorPeaks: null);

        Assert.Null(accuracy.Inconclusive);
        Assert.Empty(accuracy.Failures(5));
        Assert.DoesNotContain("saturated)", accuracy.ToString(), StringComparison.Ordinal);
    }

    private static LinkAccuracy Run(double[] iperfDown, double[] probeDown, double[]? emulatorPeaks)
    {
        var probes = probeDown
            .Select((down, i) => SampleResults.Create("p", i, DateTimeOffset.UnixEpoch) with { DownloadMbps = down, UploadMbps = 95.4, LatencyMs = 10.4 })
            .ToArray();
        return new LinkAccuracy(
            Gpon, 10.5, [.. iperfDown.Select(d => (d, 95.4))], probes, [.. probes.Select(_ => new SenderShares(1, 0, 0, 0))], emulatorPeaks);
    }
}
