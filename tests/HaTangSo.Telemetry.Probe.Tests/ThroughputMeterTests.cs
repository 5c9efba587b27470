using HaTangSo.Telemetry.Probe.Measurement;

namespace HaTangSo.Telemetry.Probe.Tests;

public sealed class ThroughputMeterTests
{
    [Fact]
    public void MbpsAfterWarmup_SlowStartThenSteady_CountsOnlyTheSteadyPart()
    {
        // 0-1 s: slow start, 1 MB; then 12.5 MB/s (100 Mb/s) for 4 s.
        var samples = new List<ThroughputSample> { new(TimeSpan.Zero, 0), new(TimeSpan.FromSeconds(1), 1_000_000) };
        for (var i = 1; i <= 40; i++)
        {
            samples.Add(new(TimeSpan.FromSeconds(1 + (i * 0.1)), 1_000_000 + (i * 1_250_000L)));
        }

        var mbps = ThroughputMeter.MbpsAfterWarmup(samples, TimeSpan.FromSeconds(1));

        Assert.Equal(100, mbps!.Value, 6);
    }

    [Fact]
    public void MbpsAfterWarmup_NothingAfterWarmup_Null()
    {
        var samples = new List<ThroughputSample> { new(TimeSpan.Zero, 0), new(TimeSpan.FromSeconds(1), 100) };

        Assert.Null(ThroughputMeter.MbpsAfterWarmup(samples, TimeSpan.FromSeconds(3)));
    }

    [Theory]
    [InlineData(new[] { 10.0, 12, 11, 15 }, 11.5, 2.333333)]
    [InlineData(new[] { 20.0, 20, 20 }, 20.0, 0.0)]
    [InlineData(new[] { 5.0 }, 5.0, null)]
    public void Statistics_Samples_MedianAndJitter(double[] samples, double median, double? jitter)
    {
        Assert.Equal(median, Statistics.Median(samples));
        if (jitter is null)
        {
            Assert.Null(Statistics.Jitter(samples));
        }
        else
        {
            Assert.Equal(jitter.Value, Statistics.Jitter(samples)!.Value, 5);
        }
    }
}
