namespace HaTangSo.Telemetry.Probe.Measurement;

/// <summary>
/// How one link is measured. The defaults and the reasons for them are in <c>probes/README.md</c>
/// (LibreSpeed, SamKnows / FCC Measuring Broadband America, RFC 6349).
/// </summary>
internal sealed record MeasurementSettings
{
    /// <summary>Parallel TCP connections per direction: one stream cannot fill a long fat pipe (RFC 6349, 3.3).</summary>
    public int Streams { get; init; } = 4;

    /// <summary>Length of each direction's transfer, warm-up included.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The first part of each transfer, left out of the figure: TCP slow start (RFC 6349, 3.3.2).</summary>
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Interval at which transferred bytes are sampled.</summary>
    public TimeSpan SampleInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Idle round-trip samples (at least 10).</summary>
    public int LatencySamples { get; init; } = 20;

    /// <summary>Pause between idle round-trip samples.</summary>
    public TimeSpan LatencyInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Pause between round-trip samples while the link is saturated.</summary>
    public TimeSpan LoadedLatencyInterval { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>UDP port of the speed-test server's echo responder; 0 skips the UDP test.</summary>
    public int UdpPort { get; init; } = 9091;

    /// <summary>Datagrams sent for loss and jitter.</summary>
    public int UdpPackets { get; init; } = 200;

    /// <summary>Pause between datagrams (200 at 10 ms: two seconds, 100 packets/s, under the server's limit).</summary>
    public TimeSpan UdpInterval { get; init; } = TimeSpan.FromMilliseconds(10);

    /// <summary>How long to wait for the last echoes; a datagram later than this counts as lost.</summary>
    public TimeSpan UdpWait { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Longest wait for one request's answer (connect and headers) outside the transfers.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);
}
