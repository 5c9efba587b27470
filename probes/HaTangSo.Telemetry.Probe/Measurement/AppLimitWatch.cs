namespace HaTangSo.Telemetry.Probe.Measurement;

/// <summary>
/// How much of an upload's measured span the link waited for the probe: the share of time its connections had
/// nothing to send (<c>tcpi_busy_time</c>, counted by the kernel, so it is right however the probe was scheduled). A
/// probe that keeps up leaves its send buffers full: close to 0 %.
/// </summary>
internal sealed class AppLimitWatch
{
    private readonly TcpByteCounter _counter;
    private readonly TimeProvider _time;
    private readonly long _start;
    private readonly TcpPressure _first;

    private AppLimitWatch(TcpByteCounter counter, TimeProvider time)
    {
        _counter = counter;
        _time = time;
        _start = time.GetTimestamp();
        _first = counter.Pressure();
    }

    /// <summary>Starts watching an upload's connections now.</summary>
    public static AppLimitWatch Start(TcpByteCounter counter, TimeProvider time) => new(counter, time);

    /// <summary>The share in %, null when no connection was tracked.</summary>
    public double? Stop()
    {
        var last = _counter.Pressure();
        var span = _time.GetElapsedTime(_start).TotalMicroseconds * Math.Max(1, last.Connections);
        return span <= 0 || last.Connections == 0
            ? null
            : Math.Round(Math.Clamp(100 * (1 - ((last.BusyMicroseconds - _first.BusyMicroseconds) / span)), 0, 100), 1);
    }
}
