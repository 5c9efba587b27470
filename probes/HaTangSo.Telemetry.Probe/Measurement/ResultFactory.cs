using System.Reflection;
using HaTangSo.Telemetry.Contracts;

namespace HaTangSo.Telemetry.Probe.Measurement;

/// <summary>Turns a measurement into the contract's <c>hts.result.v1</c> message.</summary>
internal static class ResultFactory
{
    /// <summary>The probe software's version (the assembly's informational version, without build metadata).</summary>
    public static string AgentVersion { get; } =
        (typeof(ResultFactory).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0")
        .Split('+')[0];

    /// <summary>The message for a measured link.</summary>
    public static ResultMessage FromOutcome(string probeId, LinkInfo link, string serverId, MeasurementOutcome outcome) => new()
    {
        ResultId = Guid.CreateVersion7(outcome.StartedAt).ToString(),
        ProbeId = probeId,
        Link = link,
        Server = serverId,
        StartedAt = outcome.StartedAt,
        DurationMs = Math.Round(outcome.Duration.TotalMilliseconds),
        Status = outcome.Status,
        DownloadMbps = outcome.DownloadMbps,
        UploadMbps = outcome.UploadMbps,
        LatencyMs = outcome.LatencyMs,
        JitterMs = outcome.JitterMs,
        LossPct = outcome.LossPct,
        LoadedLatencyMs = outcome.LoadedLatencyMs,
        AgentVersion = AgentVersion,
        Error = outcome.Errors.Count == 0 ? null : Truncate(string.Join("; ", outcome.Errors)),
        CpuBound = outcome.Cpu?.Bound == true ? true : null,
        Cpu = outcome.Cpu is { } cpu ? new CpuInfo { ProbePct = cpu.ProbePct, WaitPct = cpu.WaitPct, StealPct = cpu.StealPct, BusyPct = cpu.BusyPct, StalledPct = cpu.StalledPct, AppLimitedPct = cpu.AppLimitedPct } : null,
    };

    /// <summary>The message for a test that did not run (the link was busy).</summary>
    public static ResultMessage Skipped(string probeId, LinkInfo link, string serverId, DateTimeOffset at, string reason) => new()
    {
        ResultId = Guid.CreateVersion7(at).ToString(),
        ProbeId = probeId,
        Link = link,
        Server = serverId,
        StartedAt = at,
        DurationMs = 0,
        Status = ResultStatus.Skipped,
        AgentVersion = AgentVersion,
        Error = Truncate(reason),
    };

    private static string Truncate(string text) =>
        text.Length <= ResultLimits.MaxErrorString ? text : text[..(ResultLimits.MaxErrorString - 1)] + "…";
}
