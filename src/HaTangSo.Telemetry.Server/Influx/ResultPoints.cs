using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.InfluxDb;
using HaTangSo.Telemetry.Server.Registry;

namespace HaTangSo.Telemetry.Server.Influx;

/// <summary>
/// Maps results to points of the contract's <c>speedtest</c> measurement. The timestamp is
/// <c>startedAt</c> and every tag depends only on the result and the registry, so a redelivered result
/// lands on the same series and time and overwrites itself instead of counting twice. Every tag but
/// <c>status</c> and <c>radio_technology</c> (enumerations) is a registry value: the place, the probe, the registered
/// link's name, access, operator and technology, and the registered server.
/// </summary>
internal static class ResultPoints
{
    public const string SpeedTest = "speedtest";
    public const string ProbeStatus = "probe_status";

    // One builder per thread, cleared after each point: a result's line costs the returned string and nothing else.
    [ThreadStatic]
    private static LineBuilder? t_line;

    /// <summary>The line of one result, tagged with the registry's values.</summary>
    /// <exception cref="ArgumentException">A value line protocol cannot carry (validation and the registry keep these out).</exception>
    public static string Format(ResultMessage result, ProbeLocation location, ProbeLink link, SpeedTestServer server)
    {
        var line = t_line ??= new LineBuilder(512);
        line.Clear();
        try
        {
            return FormatInto(line, result, location, link, server);
        }
        finally
        {
            line.Clear();
        }
    }

    private static string FormatInto(LineBuilder line, ResultMessage result, ProbeLocation location, ProbeLink link, SpeedTestServer server)
    {
        line.Measurement(SpeedTest)
            .Tag("province", location.ProvinceCode)
            .Tag("district", location.DistrictCode)
            .Tag("commune", location.CommuneCode)
            .Tag("probe", location.ProbeId)
            .Tag("link", link.Name)
            .Tag("access", link.Access)
            .Tag("operator", link.Operator)
            .Tag("technology", link.Technology)
            .Tag("server", server.Id)
            .Tag("status", result.Status);
        if (result.Radio is { } radio)
        {
            // The technology the modem actually used, from a bounded set (validated): a tag, so a 5G link's LTE hours
            // can be told apart. Written only with radio facts, so other points keep their series.
            line.Tag("radio_technology", radio.AccessTechnology);
        }

        line
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
        if (result.Radio is { } facts)
        {
            line.Field("radio_rsrp_dbm", facts.RsrpDbm)
                .Field("radio_rsrq_db", facts.RsrqDb)
                .Field("radio_sinr_db", facts.SinrDb)
                .Field("radio_band", facts.Band)
                .Field("radio_cell_id", facts.CellId)
                .Field("radio_operator_code", facts.OperatorCode);
            if (facts.Changed is { } changed)
            {
                line.Field("radio_changed", changed);
            }
        }

        if (result.CpuBound == true)
        {
            // Kept (not quarantined) and left out of every verdict: the probe could not keep up for want of a CPU.
            // Written only when true, so points of probes that never say so stay as they were.
            line.Field("cpu_bound", true);
        }

        line.Timestamp(WritePrecision.Nanoseconds.ToTimestamp(result.StartedAt));
        return line.ToStringWithoutFinalLineBreak();
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
        return line.ToStringWithoutFinalLineBreak();
    }

    private static string? Printable(string? text) => text?.Length > 1024 ? text[..1024] : text;
}
