namespace HaTangSo.Telemetry.Contracts;

/// <summary>One measurement of one link: the <c>hts.result.v1</c> message (<c>shared/CONTRACT.md</c>).</summary>
public sealed record ResultMessage
{
    /// <summary>The schema name every result carries.</summary>
    public const string SchemaName = "hts.result.v1";

    /// <summary>Always <see cref="SchemaName"/>.</summary>
    public string Schema { get; init; } = SchemaName;

    /// <summary>UUID, unique per result; a re-sent result keeps its id.</summary>
    public required string ResultId { get; init; }

    /// <summary>Equals the probe id in the topic.</summary>
    public required string ProbeId { get; init; }

    /// <summary>The link measured.</summary>
    public required LinkInfo Link { get; init; }

    /// <summary>Id of the test server measured against.</summary>
    public required string Server { get; init; }

    /// <summary>When the test started (UTC); the point's timestamp.</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>Whole test duration in milliseconds.</summary>
    public required double DurationMs { get; init; }

    /// <summary><c>ok</c>, <c>partial</c>, <c>failed</c> or <c>skipped</c> (see <see cref="ResultStatus"/>).</summary>
    public required string Status { get; init; }

    /// <summary>Download throughput in Mb/s (10^6 bit/s).</summary>
    public double? DownloadMbps { get; init; }

    /// <summary>Upload throughput in Mb/s (10^6 bit/s).</summary>
    public double? UploadMbps { get; init; }

    /// <summary>Idle round-trip time, median of the samples, in ms.</summary>
    public double? LatencyMs { get; init; }

    /// <summary>Mean absolute difference of consecutive idle RTT samples, in ms.</summary>
    public double? JitterMs { get; init; }

    /// <summary>Packet loss in percent.</summary>
    public double? LossPct { get; init; }

    /// <summary>Median round-trip time while the link is saturated, in ms.</summary>
    public double? LoadedLatencyMs { get; init; }

    /// <summary>Probe software version.</summary>
    public required string AgentVersion { get; init; }

    /// <summary>Why a test failed or was skipped.</summary>
    public string? Error { get; init; }

    /// <summary>
    /// True when the probe did not keep up with the link during a transfer because it did not get a CPU (it could not run
    /// for a tenth of the transfer, or the link waited for it): the figures may understate the link. Absent means false.
    /// </summary>
    public bool? CpuBound { get; init; }

    /// <summary>What the probe's box's CPUs did during the transfers (the busier of download and upload).</summary>
    public CpuInfo? Cpu { get; init; }

    /// <summary>
    /// Mobile links bound to a modem: the radio the test actually ran on, read from ModemManager before and after the
    /// test. Absent when the probe has no such facts (fixed link, no modem configured, ModemManager not answering).
    /// </summary>
    public RadioInfo? Radio { get; init; }

    /// <summary>
    /// The command (<c>measure</c>, issue 15.2) this result answers; absent for a scheduled test. The server accepts it
    /// only when the command was issued to this probe.
    /// </summary>
    public Guid? CommandId { get; init; }
}

/// <summary>The CPU load on the probe's box while it measured (<see cref="ResultMessage.Cpu"/>).</summary>
public sealed record CpuInfo
{
    /// <summary>CPU time of the probe process, in percent of one core.</summary>
    public required double ProbePct { get; init; }

    /// <summary>Time the probe's threads were runnable but waited for a core, in percent of the transfer.</summary>
    public double? WaitPct { get; init; }

    /// <summary>CPU time the hypervisor took from the machine, in percent.</summary>
    public double? StealPct { get; init; }

    /// <summary>All cores' time not idle, in percent.</summary>
    public double? BusyPct { get; init; }

    /// <summary>Time the probe could not run at all (no core for it), in percent of the transfer.</summary>
    public double? StalledPct { get; init; }

    /// <summary>Uploads: time the link waited for the probe to write, in percent of the transfer.</summary>
    public double? AppLimitedPct { get; init; }
}

/// <summary>The link a result was measured on.</summary>
public sealed record LinkInfo
{
    /// <summary>The probe's name for the link, e.g. <c>fixed</c>.</summary>
    public required string Name { get; init; }

    /// <summary><c>fixed</c> or <c>mobile</c> (see <see cref="AccessKind"/>).</summary>
    public required string Access { get; init; }

    /// <summary>Network operator, e.g. <c>VNPT</c>, <c>Viettel</c>, <c>MobiFone</c>, <c>Vietnamobile</c>.</summary>
    public required string Operator { get; init; }

    /// <summary>Access technology: <c>ftth</c>, <c>xdsl</c>, <c>4g</c>, <c>5g</c>, ...</summary>
    public required string Technology { get; init; }
}

/// <summary>Values of <see cref="ResultMessage.Status"/>.</summary>
public static class ResultStatus
{
    /// <summary>Every metric was measured.</summary>
    public const string Ok = "ok";

    /// <summary>Some metrics were measured.</summary>
    public const string Partial = "partial";

    /// <summary>The test failed; <see cref="ResultMessage.Error"/> says why.</summary>
    public const string Failed = "failed";

    /// <summary>The test was not run, for example because the line was busy.</summary>
    public const string Skipped = "skipped";

    /// <summary>All valid values.</summary>
    public static IReadOnlyList<string> All { get; } = [Ok, Partial, Failed, Skipped];
}

/// <summary>Values of <see cref="LinkInfo.Access"/>.</summary>
public static class AccessKind
{
    /// <summary>Fixed broadband (FTTH, xDSL).</summary>
    public const string Fixed = "fixed";

    /// <summary>Mobile broadband (4G, 5G).</summary>
    public const string Mobile = "mobile";

    /// <summary>All valid values.</summary>
    public static IReadOnlyList<string> All { get; } = [Fixed, Mobile];
}
