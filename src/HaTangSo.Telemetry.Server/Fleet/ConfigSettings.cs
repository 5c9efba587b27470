using System.Text.Json.Serialization;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Contracts.Fleet;

namespace HaTangSo.Telemetry.Server.Fleet;

/// <summary>
/// Measurement settings as the registry stores them and the API takes them: the province default (every field set) or a
/// probe's overrides (only the fields that differ from the default; a field left out follows the default). Servers are
/// named by their registered id; the URL comes from the speed-test server registry, so a configuration can only send a
/// probe to a server the province runs.
/// </summary>
/// <param name="ScheduleMinutes">Test interval per link, minutes.</param>
/// <param name="RandomizeOffset">Spread each link's first slot at random over the interval.</param>
/// <param name="Servers">Registered speed-test server ids; the first is the primary.</param>
/// <param name="Test">Test parameters.</param>
/// <param name="BusyThresholdMbps">Busy-line threshold, Mb/s (0: no check).</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record ConfigSettings(
    int? ScheduleMinutes = null,
    bool? RandomizeOffset = null,
    IReadOnlyList<string?>? Servers = null,
    TestSettings? Test = null,
    double? BusyThresholdMbps = null)
{
    /// <summary>These settings over <paramref name="fallback"/>, field by field (test parameters too).</summary>
    public ConfigSettings Over(ConfigSettings fallback) => new(
        ScheduleMinutes ?? fallback.ScheduleMinutes,
        RandomizeOffset ?? fallback.RandomizeOffset,
        Servers ?? fallback.Servers,
        Test is null ? fallback.Test : Test.Over(fallback.Test ?? new TestSettings()),
        BusyThresholdMbps ?? fallback.BusyThresholdMbps);

    /// <summary>
    /// The configuration a probe receives, or the problems (each naming its field) that keep these settings from being
    /// one. <paramref name="servers"/> are the registered, enabled speed-test servers by id.
    /// </summary>
    public (MeasurementConfig? Config, List<ConfigProblem> Problems) ToConfig(
        string probeId, long version, IReadOnlyDictionary<string, Uri> servers)
    {
        var problems = new List<ConfigProblem>();
        void Missing(object? value, string field)
        {
            if (value is null)
            {
                problems.Add(new(field, "required"));
            }
        }

        Missing(ScheduleMinutes, "scheduleMinutes");
        Missing(RandomizeOffset, "randomizeOffset");
        Missing(Servers, "servers");
        Missing(BusyThresholdMbps, "busyThresholdMbps");
        Missing(Test, "test");
        Missing(Test?.Streams, "test.streams");
        Missing(Test?.DurationSeconds, "test.durationSeconds");
        Missing(Test?.WarmupSeconds, "test.warmupSeconds");
        Missing(Test?.LatencySamples, "test.latencySamples");
        Missing(Test?.UdpPort, "test.udpPort");
        Missing(Test?.UdpPackets, "test.udpPackets");
        var resolved = new List<MeasurementServer>();
        for (var i = 0; i < (Servers?.Count ?? 0); i++)
        {
            var id = Servers![i];
            if (NameRules.Check(NameKind.ServerId, id) is { } reason)
            {
                problems.Add(new($"servers[{i}]", $"{reason} ({NameRules.Describe(NameKind.ServerId)})"));
            }
            else if (!servers.TryGetValue(id!, out var url))
            {
                // Allow-list: only a server the province registered (and has not disabled); see GET /api/servers.
                problems.Add(new($"servers[{i}]", $"'{id}' is not a registered, enabled speed-test server"));
            }
            else
            {
                resolved.Add(new MeasurementServer { Id = id!, Url = url.AbsoluteUri });
            }
        }

        if (problems.Count > 0)
        {
            return (null, problems);
        }

        var config = new MeasurementConfig
        {
            ProbeId = probeId,
            Version = version,
            ScheduleMinutes = ScheduleMinutes!.Value,
            RandomizeOffset = RandomizeOffset!.Value,
            Servers = resolved,
            BusyThresholdMbps = BusyThresholdMbps!.Value,
            Test = new MeasurementTest
            {
                Streams = Test!.Streams!.Value,
                DurationSeconds = Test.DurationSeconds!.Value,
                WarmupSeconds = Test.WarmupSeconds!.Value,
                LatencySamples = Test.LatencySamples!.Value,
                UdpPort = Test.UdpPort!.Value,
                UdpPackets = Test.UdpPackets!.Value,
            },
        };

        // The same rules the probe applies: what the server accepts, a probe never refuses.
        problems.AddRange(MeasurementConfigRules.Validate(config, probeId));
        return problems.Count == 0 ? (config, problems) : (null, problems);
    }
}

/// <summary>Test parameters of <see cref="ConfigSettings"/>; a field left out follows the default.</summary>
/// <param name="Streams">Parallel TCP streams per direction.</param>
/// <param name="DurationSeconds">Seconds per transfer, warm-up included.</param>
/// <param name="WarmupSeconds">Seconds left out at the start of each transfer.</param>
/// <param name="LatencySamples">Idle round-trip samples.</param>
/// <param name="UdpPort">UDP echo port; 0 turns the UDP test off.</param>
/// <param name="UdpPackets">UDP datagrams for loss and jitter.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record TestSettings(
    int? Streams = null,
    double? DurationSeconds = null,
    double? WarmupSeconds = null,
    int? LatencySamples = null,
    int? UdpPort = null,
    int? UdpPackets = null)
{
    /// <summary>These parameters over <paramref name="fallback"/>, field by field.</summary>
    public TestSettings Over(TestSettings fallback) => new(
        Streams ?? fallback.Streams,
        DurationSeconds ?? fallback.DurationSeconds,
        WarmupSeconds ?? fallback.WarmupSeconds,
        LatencySamples ?? fallback.LatencySamples,
        UdpPort ?? fallback.UdpPort,
        UdpPackets ?? fallback.UdpPackets);
}
