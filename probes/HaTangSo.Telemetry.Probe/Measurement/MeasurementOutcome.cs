namespace HaTangSo.Telemetry.Probe.Measurement;

/// <summary>Everything one link's test measured; null where a part failed (its reason is in <see cref="Errors"/>).</summary>
internal sealed record MeasurementOutcome
{
    public required DateTimeOffset StartedAt { get; init; }

    public required TimeSpan Duration { get; init; }

    public double? DnsMs { get; init; }

    public double? LatencyMs { get; init; }

    public double? JitterMs { get; init; }

    public double? LossPct { get; init; }

    public double? UdpJitterMs { get; init; }

    public double? DownloadMbps { get; init; }

    public double? UploadMbps { get; init; }

    public double? LoadedLatencyMs { get; init; }

    /// <summary>The CPU load of the busier transfer (the one whose probe threads waited longest for a core).</summary>
    public CpuLoad? Cpu { get; init; }

    public IReadOnlyList<string> Errors { get; init; } = [];

    /// <summary>
    /// <c>ok</c> when download, upload, latency and loss were all measured, <c>failed</c> when none was,
    /// <c>partial</c> otherwise.
    /// </summary>
    public string Status
    {
        get
        {
            var measured = new[] { DownloadMbps, UploadMbps, LatencyMs, LossPct }.Count(v => v.HasValue);
            return measured switch
            {
                4 => Contracts.ResultStatus.Ok,
                0 => Contracts.ResultStatus.Failed,
                _ => Contracts.ResultStatus.Partial,
            };
        }
    }
}
