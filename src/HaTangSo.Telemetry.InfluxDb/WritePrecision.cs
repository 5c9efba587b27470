namespace HaTangSo.Telemetry.InfluxDb;

/// <summary>Timestamp precision of written points (the <c>precision</c> parameter of <c>/write</c>).</summary>
public enum WritePrecision
{
    /// <summary>Nanoseconds (<c>ns</c>), InfluxDB's native precision.</summary>
    Nanoseconds,

    /// <summary>Microseconds (<c>u</c>).</summary>
    Microseconds,

    /// <summary>Milliseconds (<c>ms</c>).</summary>
    Milliseconds,

    /// <summary>Seconds (<c>s</c>).</summary>
    Seconds,
}

/// <summary>Conversions for <see cref="WritePrecision"/>.</summary>
public static class WritePrecisionExtensions
{
    private const long UnixEpochTicks = 621_355_968_000_000_000;

    /// <summary>The value of the <c>precision</c> query parameter (1.x spells microseconds <c>u</c>).</summary>
    public static string ToQueryValue(this WritePrecision precision) => precision switch
    {
        WritePrecision.Nanoseconds => "ns",
        WritePrecision.Microseconds => "u",
        WritePrecision.Milliseconds => "ms",
        WritePrecision.Seconds => "s",
        _ => throw new ArgumentOutOfRangeException(nameof(precision)),
    };

    /// <summary>The Unix timestamp of <paramref name="time"/> in <paramref name="precision"/> units (truncated).</summary>
    public static long ToTimestamp(this WritePrecision precision, DateTimeOffset time)
    {
        // 1 tick = 100 ns; DateTimeOffset.UtcTicks has no time zone ambiguity.
        var ticks = time.UtcTicks - UnixEpochTicks;
        return precision switch
        {
            WritePrecision.Nanoseconds => checked(ticks * 100),
            WritePrecision.Microseconds => ticks / 10,
            WritePrecision.Milliseconds => ticks / TimeSpan.TicksPerMillisecond,
            WritePrecision.Seconds => ticks / TimeSpan.TicksPerSecond,
            _ => throw new ArgumentOutOfRangeException(nameof(precision)),
        };
    }
}
