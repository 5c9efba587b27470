namespace HaTangSo.Telemetry.Probe.Measurement;

/// <summary>
/// How much of a span the probe could not run at all: a thread of its own wakes every <see cref="Interval"/>, and a
/// wake-up later than <see cref="Threshold"/> is time the box gave the probe no core. Over such a gap nothing reads
/// the download's sockets or refills the upload's, and on a fast link the buffers run over or dry. This is measured
/// from inside the probe and yet not biased by it: a sampler that only looks at the sockets when it runs sees them
/// drained every time (a probe starved to 5 % of each second read 22 % low while its buffers looked empty).
/// </summary>
internal sealed class StallWatch : IDisposable
{
    /// <summary>How often the watching thread wakes.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(10);

    /// <summary>A wake-up this late counts as a stall (a few scheduler slices; the buffers absorb less).</summary>
    public static readonly TimeSpan Threshold = TimeSpan.FromMilliseconds(50);

    private readonly TimeProvider _time;
    private readonly Thread _thread;
    private readonly long _start;
    private volatile bool _stopping;
    private TimeSpan _stalled;

    private StallWatch(TimeProvider time)
    {
        _time = time;
        _start = time.GetTimestamp();
        _thread = new Thread(Watch) { IsBackground = true, Name = "hts stall watch" };
        _thread.Start();
    }

    /// <summary>Starts watching now.</summary>
    public static StallWatch Start(TimeProvider time) => new(time);

    /// <summary>Stops; the stalled share of the span since <see cref="Start"/>, in %.</summary>
    public double Stop()
    {
        _stopping = true;
        _thread.Join();
        var span = _time.GetElapsedTime(_start);
        return span <= TimeSpan.Zero ? 0 : Math.Round(Math.Min(100, _stalled / span * 100), 1);
    }

    public void Dispose()
    {
        _stopping = true;
        _thread.Join();
    }

    private void Watch()
    {
        var last = _time.GetTimestamp();
        while (!_stopping)
        {
            Thread.Sleep(Interval);
            var now = _time.GetTimestamp();
            var gap = _time.GetElapsedTime(last, now);
            if (gap > Threshold)
            {
                _stalled += gap - Interval;
            }

            last = now;
        }
    }
}
