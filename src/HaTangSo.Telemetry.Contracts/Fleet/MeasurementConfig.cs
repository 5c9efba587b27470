namespace HaTangSo.Telemetry.Contracts.Fleet;

/// <summary>
/// A probe's measurement configuration <c>hts.config.v1</c>, held in the server's registry and published retained
/// (QoS 1) on <c>hts/v1/probes/{probeId}/config</c>. The probe applies a valid one atomically, keeps it on disk and
/// reports <see cref="Version"/> in its status; it refuses an invalid one and keeps the last good one.
/// There is no DNS test on the probe yet, so the configuration has no DNS targets.
/// </summary>
public sealed record MeasurementConfig
{
    /// <summary>The schema name every configuration carries.</summary>
    public const string SchemaName = "hts.config.v1";

    /// <summary>Always <see cref="SchemaName"/>.</summary>
    public string Schema { get; init; } = SchemaName;

    /// <summary>The probe this configuration is for; a probe refuses one addressed to another.</summary>
    public required string ProbeId { get; init; }

    /// <summary>Increases with every change of the probe's effective configuration (its own or the province default).</summary>
    public required long Version { get; init; }

    /// <summary>How often each link is tested, in minutes.</summary>
    public required int ScheduleMinutes { get; init; }

    /// <summary>
    /// True: each link's first slot is drawn at random in the interval, so probes started together do not test in step
    /// (and do not load the speed-test server in bursts). False: every link is due at once (sequentially).
    /// </summary>
    public required bool RandomizeOffset { get; init; }

    /// <summary>
    /// The speed-test servers, the primary first; with more than one, each link's scheduled runs take turns (primary, second,
    /// ...: a second, off-net server gets every other run, issue 15.3). Whether a server's results count in verdicts is its
    /// role at the centre (primary or confirmation).
    /// </summary>
    public required IReadOnlyList<MeasurementServer> Servers { get; init; }

    /// <summary>How each test runs.</summary>
    public required MeasurementTest Test { get; init; }

    /// <summary>A link carrying more than this (Mb/s) just before a test is busy: the test is skipped. 0 turns the check off.</summary>
    public required double BusyThresholdMbps { get; init; }
}

/// <summary>A speed-test server a configuration names (a registered one: its id is the result's <c>server</c>).</summary>
public sealed record MeasurementServer
{
    /// <summary>The registered server id (<see cref="NameKind.ServerId"/>).</summary>
    public required string Id { get; init; }

    /// <summary>Its LibreSpeed base URL (http or https).</summary>
    public required string Url { get; init; }
}

/// <summary>Test parameters (the reasons for the defaults are in <c>probes/README.md</c>).</summary>
public sealed record MeasurementTest
{
    /// <summary>Parallel TCP streams per direction.</summary>
    public required int Streams { get; init; }

    /// <summary>Seconds of each transfer, warm-up included.</summary>
    public required double DurationSeconds { get; init; }

    /// <summary>Seconds at the start of each transfer left out of the figure (TCP slow start).</summary>
    public required double WarmupSeconds { get; init; }

    /// <summary>Idle round-trip samples.</summary>
    public required int LatencySamples { get; init; }

    /// <summary>UDP echo port for loss and jitter; 0 turns the UDP test off.</summary>
    public required int UdpPort { get; init; }

    /// <summary>UDP datagrams for loss and jitter.</summary>
    public required int UdpPackets { get; init; }
}
