using HaTangSo.Telemetry.Contracts.Fleet;
using HaTangSo.Telemetry.Probe.Configuration;
using HaTangSo.Telemetry.Probe.Measurement;

namespace HaTangSo.Telemetry.Probe.Fleet;

/// <summary>
/// What the agent measures with, swapped as a whole (never field by field) when a new configuration is applied: the
/// registry's <c>hts.config.v1</c> (<see cref="Version"/> 1 or more), or the measurement keys of the local
/// <c>probe.json</c> (version 0) until the first registry configuration arrives. <see cref="Server"/> is the primary;
/// <see cref="OtherServers"/> (a configuration naming more than one, issue 15.3) take their turn on alternate scheduled runs.
/// </summary>
internal sealed record MeasurementPlan(
    long Version, TimeSpan Schedule, bool RandomizeOffset, Uri Server, string ServerId, MeasurementSettings Settings, double BusyThresholdMbps)
{
    /// <summary>The servers after the primary, in the configuration's order.</summary>
    public IReadOnlyList<(Uri Url, string Id)> OtherServers { get; init; } = [];

    /// <summary>The plan of a command naming <paramref name="serverId"/> (null: the primary); null when the configuration does not name it.</summary>
    public MeasurementPlan? ForServer(string? serverId)
    {
        if (serverId is null || serverId == ServerId)
        {
            return this;
        }

        foreach (var (url, id) in OtherServers)
        {
            if (id == serverId)
            {
                return this with { Server = url, ServerId = id };
            }
        }

        return null;
    }

    /// <summary>
    /// The plan of a link's <paramref name="run"/>th scheduled test (0, 1, 2...): with n servers configured, the runs go
    /// round them in order (the primary first), so a second, off-net server gets every other run and each server's results
    /// come from every hour of the day. The server's role at the centre decides whether its results count in verdicts.
    /// </summary>
    public MeasurementPlan ForRun(long run)
    {
        var turn = (int)(run % (OtherServers.Count + 1));
        return turn == 0 ? this : this with { Server = OtherServers[turn - 1].Url, ServerId = OtherServers[turn - 1].Id };
    }

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
            config.BusyThresholdMbps)
        {
            OtherServers = [.. config.Servers.Skip(1).Select(s => (new Uri(s.Url), s.Id))],
        };
    }
}
