using HaTangSo.Telemetry.Probe.Measurement;
using Microsoft.Extensions.Time.Testing;

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

    /// <summary>
    /// The kernel's count of a closed socket is its last reading: a sample taken after the streams were stopped pairs
    /// an old count with a new time. At 300 Mb/s such a sample, 400 ms late on a busy box, read −5 %. The span ends
    /// with <see cref="ThroughputMeter.End"/>, while the sockets are open, and nothing is sampled after it.
    /// </summary>
    [Fact]
    public async Task End_ThenStreamsClosedAndSamplerTicksLate_SpanEndsAtEnd()
    {
        var time = new FakeTimeProvider();
        var open = true;
        long bytes = 0, lastReading = 0;
        var meter = new ThroughputMeter(() => open ? lastReading = bytes : lastReading);
        using var stop = new CancellationTokenSource();
        var sampler = meter.SampleAsync(time, TimeSpan.FromMilliseconds(100), stop.Token);

        // 300 Mb/s = 3.75 MB per 100 ms, for 10 s.
        for (var i = 0; i < 100; i++)
        {
            bytes += 3_750_000;
            time.Advance(TimeSpan.FromMilliseconds(100));
        }

        bytes += 1_500_000; // 40 ms more: the end comes between two ticks
        time.Advance(TimeSpan.FromMilliseconds(40));
        meter.End();
        open = false; // the streams are stopped: their sockets close
        time.Advance(TimeSpan.FromMilliseconds(400)); // the sampler's last turn comes late
        await stop.CancelAsync();
        await sampler;

        // The first sample (0, 0) is taken as the sampler starts; the last is End's, whatever the sampler did after it.
        var samples = meter.Samples;
        Assert.Equal(new ThroughputSample(TimeSpan.FromMilliseconds(10_040), 376_500_000), samples[^1]);
        Assert.Equal(300, ThroughputMeter.MbpsAfterWarmup(samples, TimeSpan.Zero)!.Value, 6);
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
