using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.InfluxDb;
using HaTangSo.Telemetry.Server.Registry;

namespace HaTangSo.Telemetry.Server.Influx;

/// <summary>
/// Maps results to points of the contract's <c>speedtest</c> measurement. The timestamp is
/// <c>startedAt</c> and every tag depends only on the result and the registry, so a redelivered result
/// lands on the same series and time and overwrites itself instead of counting twice.
/// </summary>
internal static class ResultPoints
{
    public const string SpeedTest = "speedtest";
    public const string ProbeStatus = "probe_status";

    /// <summary>The line of one result.</summary>
    /// <exception cref="ArgumentException">A value line protocol cannot carry (validation keeps these out).</exception>
    public static string Format(ResultMessage result, ProbeLocation location)
    {
        var line = new LineBuilder(384)
            .Measurement(SpeedTest)
            .Tag("province", location.ProvinceCode)
            .Tag("district", location.DistrictCode)
            .Tag("commune", location.CommuneCode)
            .Tag("probe", result.ProbeId)
            .Tag("link", result.Link.Name)
            .Tag("access", result.Link.Access)
            .Tag("operator", result.Link.Operator)
            .Tag("technology", result.Link.Technology)
            .Tag("server", result.Server)
            .Tag("status", result.Status)
            .Field("download_mbps", result.DownloadMbps)
            .Field("upload_mbps", result.UploadMbps)
            .Field("latency_ms", result.LatencyMs)
            .Field("jitter_ms", result.JitterMs)
            .Field("loss_pct", result.LossPct)
            .Field("loaded_latency_ms", result.LoadedLatencyMs)
            .Field("duration_ms", result.DurationMs)
            .Field("result_id", result.ResultId)
            .Field("agent_version", result.AgentVersion)
            .Field("error", result.Error);
        if (result.CpuBound == true)
        {
            // Kept (not quarantined) and left out of every verdict: the probe could not keep up for want of a CPU.
            // Written only when true, so points of probes that never say so stay as they were.
            line.Field("cpu_bound", true);
        }

        line.Timestamp(WritePrecision.Nanoseconds.ToTimestamp(result.StartedAt));
        return line.ToString().TrimEnd('\n');
    }

    /// <summary>The line of one probe status, at the time the server received it.</summary>
    public static string FormatStatus(StatusMessage status, ProbeLocation location, DateTimeOffset receivedAt)
    {
        var line = new LineBuilder(256)
            .Measurement(ProbeStatus)
            .Tag("province", location.ProvinceCode)
            .Tag("district", location.DistrictCode)
            .Tag("commune", location.CommuneCode)
            .Tag("probe", status.ProbeId)
            .Field("online", status.State == ProbeState.Online ? 1L : 0L)
            .Field("state", status.State);
        if (status.QueueDepth is { } depth)
        {
            line.Field("queue_depth", depth);
        }

        if (status.QueueEvicted is { } evicted)
        {
            line.Field("queue_evicted", evicted);
        }

        line.Field("agent_version", Printable(status.AgentVersion))
            .Field("last_error", Printable(status.LastError))
            .Timestamp(WritePrecision.Nanoseconds.ToTimestamp(receivedAt));
        return line.ToString().TrimEnd('\n');
    }

    private static string? Printable(string? text) => text?.Length > 1024 ? text[..1024] : text;
}
