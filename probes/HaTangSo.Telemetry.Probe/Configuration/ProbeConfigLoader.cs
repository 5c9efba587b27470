using System.Net;
using System.Text.Json;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Probe.Measurement;

namespace HaTangSo.Telemetry.Probe.Configuration;

/// <summary>A configuration that cannot be used; the message names every offending key.</summary>
internal sealed class ProbeConfigException(string message) : Exception(message);

/// <summary>Reads and checks the configuration file before anything starts.</summary>
internal static class ProbeConfigLoader
{
    /// <summary>Loads <paramref name="path"/>; throws <see cref="ProbeConfigException"/> naming the keys at fault.</summary>
    public static ProbeConfig Load(string path)
    {
        string json;
        try
        {
            json = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ProbeConfigException($"cannot read the configuration file {path}: {ex.Message}");
        }

        return Parse(json, path);
    }

    /// <summary>Parses and validates a configuration held in <paramref name="json"/>.</summary>
    public static ProbeConfig Parse(string json, string source)
    {
        ProbeConfig? config;
        try
        {
            config = JsonSerializer.Deserialize(json, ProbeConfigJsonContext.Default.ProbeConfig);
        }
        catch (JsonException ex)
        {
            throw new ProbeConfigException($"{source}: not valid configuration JSON at {ex.Path ?? "$"}: {ex.Message}");
        }

        if (config is null)
        {
            throw new ProbeConfigException($"{source}: the file is empty (null)");
        }

        var errors = Validate(config);
        return errors.Count == 0
            ? config
            : throw new ProbeConfigException($"{source}: {errors.Count} error(s):{Environment.NewLine}  " + string.Join(Environment.NewLine + "  ", errors));
    }

    /// <summary>Every problem of <paramref name="config"/>, each naming its key.</summary>
    public static List<string> Validate(ProbeConfig config)
    {
        var errors = new List<string>();
        void Require(bool ok, string key, string problem)
        {
            if (!ok)
            {
                errors.Add($"{key}: {problem}");
            }
        }

        // Every name that ends up in a result (and so in a tag or a topic) follows the same rule as at the server.
        void Name(string key, NameKind kind, string? value)
        {
            if (NameRules.Check(kind, value) is { } reason)
            {
                errors.Add($"{key}: {reason} ({NameRules.Describe(kind)})");
            }
        }

        Name("probeId", NameKind.ProbeId, config.ProbeId);
        Require(config.Broker?.Host is { Length: > 0 }, "broker.host", "required");
        Require(config.Broker is null || config.Broker.Port is > 0 and < 65536, "broker.port", "must be 1-65535");
        Require(config.Broker?.StatusIntervalSeconds is null or (>= 10 and <= 86_400), "broker.statusIntervalSeconds", "must be 10-86400");
        Require(config.Broker?.PasswordFile is null || File.Exists(config.Broker.PasswordFile), "broker.passwordFile", $"file {config.Broker?.PasswordFile} not found");
        Require(config.Broker?.CaFile is null || File.Exists(config.Broker.CaFile), "broker.caFile", $"file {config.Broker?.CaFile} not found");
        // The measurement keys (server, scheduleMinutes, test, busyThresholdMbps) are the initial configuration until the
        // registry's arrives (issue 15.1); without a server the probe waits for the registry's.
        Uri? url = null;
        Require(config.Server is null || (Uri.TryCreate(config.Server.Url, UriKind.Absolute, out url) && url.Scheme is "http" or "https"), "server.url", "required in a server block, an http(s) URL");
        if (config.Server?.Id is not null || url is not null)
        {
            // Without server.id the URL's host is the id (ProbeAgent.ServerId).
            Name(config.Server?.Id is null ? "server.id (the URL's host; set server.id)" : "server.id", NameKind.ServerId, config.Server?.Id ?? url!.Host);
        }

        Require(config.Server?.UdpPort is null or (>= 0 and < 65536), "server.udpPort", "must be 0-65535");
        Require(config.ScheduleMinutes is >= 1 and <= 1440, "scheduleMinutes", "must be 1-1440");
        Require(config.QueueCapacity is >= 100 and <= 10_000_000, "queueCapacity", "must be 100-10000000");
        Require(!string.IsNullOrWhiteSpace(config.QueuePath), "queuePath", "required");
        Require(config.BusyThresholdMbps >= 0, "busyThresholdMbps", "must be 0 or more");
        Require(config.Test.Streams is >= 1 and <= 32, "test.streams", "must be 1-32");
        Require(config.Test.DurationSeconds is >= 3 and <= 60, "test.durationSeconds", "must be 3-60");
        Require(config.Test.WarmupSeconds >= 0 && config.Test.WarmupSeconds <= config.Test.DurationSeconds - 2, "test.warmupSeconds", "must be 0 to durationSeconds - 2");
        Require(config.Test.LatencySamples is >= 10 and <= 200, "test.latencySamples", "must be 10-200");
        Require(config.Test.UdpPackets is >= 10 and <= 10_000, "test.udpPackets", "must be 10-10000");

        Require(config.Links is { Count: > 0 }, "links", "at least one link is required");
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < (config.Links?.Count ?? 0); i++)
        {
            var link = config.Links![i];
            var key = $"links[{i}]";
            if (link is null)
            {
                errors.Add($"{key}: is missing (null)");
                continue;
            }

            Name(key + ".name", NameKind.LinkName, link.Name);
            Require(link.Name is null || names.Add(link.Name), key + ".name", "must be unique on the probe");
            Require(link.Access is not null && AccessKind.All.Contains(link.Access), key + ".access", "must be \"fixed\" or \"mobile\"");
            Name(key + ".operator", NameKind.Operator, link.Operator);
            Name(key + ".technology", NameKind.Technology, link.Technology);
            Require(link.Bind is null || IPAddress.TryParse(link.Bind, out _), key + ".bind", $"'{link.Bind}' is not an IP address");
            Require(link.Modem is null || (link.Modem.Length is >= 1 and <= 3 && link.Modem.All(char.IsAsciiDigit)), key + ".modem", "must be a ModemManager modem index (1-3 digits, as in mmcli -m 0)");
            Require(link.Modem is null || link.Access == AccessKind.Mobile, key + ".modem", "only a mobile link has a modem");
        }

        Upgrade.UpgradeConfigRules.Validate(config.Upgrade, errors);
        return errors;
    }

    /// <summary>The measurement settings the configuration asks for.</summary>
    public static MeasurementSettings ToSettings(this ProbeConfig config) => new()
    {
        Streams = config.Test.Streams,
        Duration = TimeSpan.FromSeconds(config.Test.DurationSeconds),
        Warmup = TimeSpan.FromSeconds(config.Test.WarmupSeconds),
        LatencySamples = config.Test.LatencySamples,
        UdpPackets = config.Test.UdpPackets,
        UdpPort = config.Server?.UdpPort ?? 9091,
    };

    /// <summary>The contract's description of a configured link.</summary>
    public static LinkInfo ToLinkInfo(this LinkConfig link) =>
        new() { Name = link.Name!, Access = link.Access!, Operator = link.Operator!, Technology = link.Technology! };
}
