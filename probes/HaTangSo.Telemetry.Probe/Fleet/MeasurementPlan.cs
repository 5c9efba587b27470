using HaTangSo.Telemetry.Contracts.Fleet;
using HaTangSo.Telemetry.Probe.Configuration;
using HaTangSo.Telemetry.Probe.Measurement;

namespace HaTangSo.Telemetry.Probe.Fleet;

/// <summary>
/// What the agent measures with, swapped as a whole (never field by field) when a new configuration is applied: the
/// registry's <c>hts.config.v1</c> (<see cref="Version"/> 1 or more), or the measurement keys of the local
/// <c>probe.json</c> (version 0) until the first registry configuration arrives.
/// </summary>
internal sealed record MeasurementPlan(
    long Version, TimeSpan Schedule, bool RandomizeOffset, Uri Server, string ServerId, MeasurementSettings Settings, double BusyThresholdMbps)
{
    /// <summary>The plan of the local file's measurement keys; null when it names no server (the registry must send one).</summary>
    public static MeasurementPlan? FromLocal(ProbeConfig config)
    {
        if (config.Server?.Url is not { } url)
        {
            return null;
        }

        var server = new Uri(url);
        return new MeasurementPlan(
            0, TimeSpan.FromMinutes(config.ScheduleMinutes), RandomizeOffset: true, server, config.Server.Id ?? server.Host,
            config.ToSettings(), config.BusyThresholdMbps);
    }

    /// <summary>The plan of a registry configuration the caller has validated.</summary>
    public static MeasurementPlan FromRegistry(MeasurementConfig config)
    {
        var primary = config.Servers[0];
        return new MeasurementPlan(
            config.Version,
            TimeSpan.FromMinutes(config.ScheduleMinutes),
            config.RandomizeOffset,
            new Uri(primary.Url),
            primary.Id,
            new MeasurementSettings
            {
                Streams = config.Test.Streams,
                Duration = TimeSpan.FromSeconds(config.Test.DurationSeconds),
                Warmup = TimeSpan.FromSeconds(config.Test.WarmupSeconds),
                LatencySamples = config.Test.LatencySamples,
                UdpPort = config.Test.UdpPort,
                UdpPackets = config.Test.UdpPackets,
            },
            config.BusyThresholdMbps);
    }
}
