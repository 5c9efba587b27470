namespace HaTangSo.Telemetry.Contracts.Fleet;

/// <summary>One problem of a configuration: the JSON path of the field and the rule it breaks.</summary>
/// <param name="Field">camelCase JSON path, for example <c>test.streams</c> or <c>servers[0].url</c>.</param>
/// <param name="Problem">The rule, in words.</param>
public readonly record struct ConfigProblem(string Field, string Problem)
{
    /// <inheritdoc />
    public override string ToString() => Field + ": " + Problem;
}

/// <summary>
/// The ranges a measurement configuration must keep, checked the same way by the server (before it stores or
/// publishes one) and by the probe (before it applies one): a probe never trusts that the server checked.
/// </summary>
public static class MeasurementConfigRules
{
    /// <summary>Shortest and longest test interval (minutes).</summary>
    public const int MinScheduleMinutes = 1, MaxScheduleMinutes = 1440;

    /// <summary>Most servers a configuration may name.</summary>
    public const int MaxServers = 4;

    /// <summary>Stream, duration, sample and packet ranges.</summary>
    public const int MinStreams = 1, MaxStreams = 32, MinLatencySamples = 10, MaxLatencySamples = 200, MinUdpPackets = 10, MaxUdpPackets = 10_000;

    /// <summary>Transfer length range in seconds; the warm-up leaves at least <see cref="MinMeasuredSeconds"/> measured.</summary>
    public const double MinDurationSeconds = 3, MaxDurationSeconds = 60, MinMeasuredSeconds = 2;

    /// <summary>Highest busy-line threshold (Mb/s): above it the check would never fire on any office line.</summary>
    public const double MaxBusyThresholdMbps = 10_000;

    /// <summary>Longest server URL accepted.</summary>
    public const int MaxUrlLength = 200;

    /// <summary>Every problem of <paramref name="config"/> (empty: it may be applied).</summary>
    /// <param name="config">The configuration (may be null: a JSON <c>null</c>).</param>
    /// <param name="probeId">The probe it must be addressed to; null skips that check (the province default).</param>
    public static List<ConfigProblem> Validate(MeasurementConfig? config, string? probeId)
    {
        var problems = new List<ConfigProblem>();
        if (config is null)
        {
            problems.Add(new("$", "the configuration is missing (null)"));
            return problems;
        }

        void Require(bool ok, string field, string problem)
        {
            if (!ok)
            {
                problems.Add(new(field, problem));
            }
        }

        Require(config.Schema == MeasurementConfig.SchemaName, "schema", $"must be '{MeasurementConfig.SchemaName}'");
        if (probeId is not null)
        {
            Require(config.ProbeId == probeId, "probeId", "is not this probe's id");
        }

        Require(config.Version >= 1, "version", "must be 1 or more");
        Require(config.ScheduleMinutes is >= MinScheduleMinutes and <= MaxScheduleMinutes, "scheduleMinutes", $"must be {MinScheduleMinutes}-{MaxScheduleMinutes} (minutes)");
        Require(double.IsFinite(config.BusyThresholdMbps) && config.BusyThresholdMbps is >= 0 and <= MaxBusyThresholdMbps, "busyThresholdMbps", $"must be 0-{MaxBusyThresholdMbps} (Mb/s; 0 turns the check off)");
        ValidateServers(config.Servers, problems);
        ValidateTest(config.Test, problems);
        return problems;
    }

    private static void ValidateServers(IReadOnlyList<MeasurementServer?>? servers, List<ConfigProblem> problems)
    {
        if (servers is not { Count: >= 1 and <= MaxServers })
        {
            problems.Add(new("servers", $"must name 1-{MaxServers} servers (the first is the primary)"));
            return;
        }

        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < servers.Count; i++)
        {
            var key = $"servers[{i}]";
            if (servers[i] is not { } server)
            {
                problems.Add(new(key, "is missing (null)"));
                continue;
            }

            if (NameRules.Check(NameKind.ServerId, server.Id) is { } reason)
            {
                problems.Add(new(key + ".id", $"{reason} ({NameRules.Describe(NameKind.ServerId)})"));
            }
            else if (!ids.Add(server.Id))
            {
                problems.Add(new(key + ".id", "must be unique"));
            }

            if (server.Url is not { Length: > 0 and <= MaxUrlLength }
                || !Uri.TryCreate(server.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https")
                || !string.IsNullOrEmpty(url.UserInfo) || !string.IsNullOrEmpty(url.Query) || !string.IsNullOrEmpty(url.Fragment))
            {
                problems.Add(new(key + ".url", $"must be an http(s) URL of at most {MaxUrlLength} characters, without user, query or fragment"));
            }
        }
    }

    private static void ValidateTest(MeasurementTest? test, List<ConfigProblem> problems)
    {
        if (test is null)
        {
            problems.Add(new("test", "is missing (null)"));
            return;
        }

        void Require(bool ok, string field, string problem)
        {
            if (!ok)
            {
                problems.Add(new("test." + field, problem));
            }
        }

        Require(test.Streams is >= MinStreams and <= MaxStreams, "streams", $"must be {MinStreams}-{MaxStreams}");
        Require(double.IsFinite(test.DurationSeconds) && test.DurationSeconds is >= MinDurationSeconds and <= MaxDurationSeconds, "durationSeconds", $"must be {MinDurationSeconds}-{MaxDurationSeconds} (seconds)");
        Require(double.IsFinite(test.WarmupSeconds) && test.WarmupSeconds >= 0 && test.WarmupSeconds <= test.DurationSeconds - MinMeasuredSeconds, "warmupSeconds", $"must be 0 to durationSeconds - {MinMeasuredSeconds}");
        Require(test.LatencySamples is >= MinLatencySamples and <= MaxLatencySamples, "latencySamples", $"must be {MinLatencySamples}-{MaxLatencySamples}");
        Require(test.UdpPort is >= 0 and <= 65535, "udpPort", "must be 0-65535 (0 turns the UDP test off)");
        Require(test.UdpPackets is >= MinUdpPackets and <= MaxUdpPackets, "udpPackets", $"must be {MinUdpPackets}-{MaxUdpPackets}");
    }
}
