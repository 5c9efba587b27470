namespace HaTangSo.Telemetry.Probe.Measurement;

/// <summary>One point of a transfer: bytes moved since it began, at a time since it began.</summary>
internal readonly record struct ThroughputSample(TimeSpan Elapsed, long Bytes);

/// <summary>
/// Counts the bytes of all streams of one transfer and samples the count at a fixed interval, so the warm-up
/// (TCP slow start) can be left out and the rest divided by its own exact duration.
/// </summary>
internal sealed class ThroughputMeter(Func<long>? source = null)
{
    private readonly List<ThroughputSample> _samples = [];
    private long _bytes;
    private TimeProvider? _time;
    private long _start;
    private bool _ended;

    /// <summary>
    /// Bytes so far: those counted with <see cref="Add"/>, or what <c>source</c> reports when one is given
    /// (acknowledged bytes for uploads).
    /// </summary>
    public long Bytes => source?.Invoke() ?? Interlocked.Read(ref _bytes);

    /// <summary>The samples taken so far.</summary>
    public IReadOnlyList<ThroughputSample> Samples
    {
        get
        {
            lock (_samples)
            {
                return [.. _samples];
            }
        }
    }

    /// <summary>Called by the streams as data arrives or leaves.</summary>
    public void Add(int bytes) => Interlocked.Add(ref _bytes, bytes);

    /// <summary>
    /// Samples the count every <paramref name="interval"/> until cancelled (one sample at the start). No sample is
    /// taken on cancellation: by then the streams' sockets may be closed, and a closed socket reports its last reading
    /// (up to an interval old, far more when the box is busy) at the current time, which made every transfer end low
    /// (<see cref="End"/> ends it instead).
    /// </summary>
    public async Task SampleAsync(TimeProvider time, TimeSpan interval, CancellationToken cancellationToken)
    {
        _time = time;
        _start = time.GetTimestamp();
        Record(TimeSpan.Zero);
        using var timer = new PeriodicTimer(interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                Record(time.GetElapsedTime(_start));
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// Ends the measured span now with a last sample, taken while every stream is still open (before they are
    /// stopped), so its count and its time belong together; no sample is taken after it (a tick of the sampler racing
    /// the streams' stop would read closed sockets). Only after <see cref="SampleAsync"/> has started.
    /// </summary>
    public void End()
    {
        var time = _time ?? throw new InvalidOperationException("SampleAsync has not started");
        Record(time.GetElapsedTime(_start), end: true);
    }

    /// <summary>
    /// Mb/s (10^6 bit/s) between the first sample at or after <paramref name="warmup"/> and the last sample;
    /// null when less than half a second or no byte remains after the warm-up.
    /// </summary>
    public static double? MbpsAfterWarmup(IReadOnlyList<ThroughputSample> samples, TimeSpan warmup)
    {
        var index = samples.Count < 2 ? -1 : samples.ToList().FindIndex(s => s.Elapsed >= warmup);
        if (index < 0)
        {
            return null;
        }

        var first = samples[index];
        var last = samples[^1];
        var seconds = (last.Elapsed - first.Elapsed).TotalSeconds;
        var bytes = last.Bytes - first.Bytes;
        return seconds < 0.5 || bytes <= 0 ? null : bytes * 8 / seconds / 1e6;
    }

    private void Record(TimeSpan elapsed, bool end = false)
    {
        var bytes = Bytes;
        lock (_samples)
        {
            if (!_ended)
            {
                _samples.Add(new ThroughputSample(elapsed, bytes));
                _ended = end;
            }
        }
    }
}
