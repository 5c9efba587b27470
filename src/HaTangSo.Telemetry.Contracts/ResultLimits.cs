namespace HaTangSo.Telemetry.Contracts;

/// <summary>
/// Plausibility limits of <see cref="ResultMessage"/> values. The JSON Schema states the same numbers
/// (a test keeps them equal); anything outside is refused by the server and kept in quarantine.
/// </summary>
public static class ResultLimits
{
    /// <summary>Largest accepted message, in bytes. Results are a few hundred bytes.</summary>
    public const int MaxPayloadBytes = 16 * 1024;

    /// <summary>Highest plausible throughput: 100 Gb/s, ten times the fastest access line sold today.</summary>
    public const double MaxMbps = 100_000;

    /// <summary>Highest plausible round-trip time or jitter: one minute.</summary>
    public const double MaxMilliseconds = 60_000;

    /// <summary>Longest plausible test: one hour.</summary>
    public const double MaxDurationMs = 3_600_000;

    /// <summary>Longest accepted short string (ids, operator, technology, server).</summary>
    public const int MaxShortString = 64;

    /// <summary>Longest accepted error text.</summary>
    public const int MaxErrorString = 1024;
}
