using System.Text.RegularExpressions;

namespace HaTangSo.Telemetry.Contracts;

/// <summary>MQTT topic names of the public contract (<c>shared/CONTRACT.md</c>).</summary>
public static partial class Topics
{
    /// <summary>The prefix under which every probe publishes; the broker ACL lets a probe write only below its own.</summary>
    public const string ProbesPrefix = "hts/v1/probes/";

    /// <summary>Shared-subscription group of the server (MQTT 5, section 4.8.2): instances split the load.</summary>
    public const string IngestShareGroup = "hts-ingest";

    /// <summary>What the server subscribes to for results.</summary>
    public const string ResultsSharedSubscription = "$share/" + IngestShareGroup + "/" + ProbesPrefix + "+/results";

    /// <summary>
    /// Share group of the servers' live lanes (a second, short-lived session per instance while a backlog drains): a group
    /// of its own, so it receives its own copy of every result (MQTT 5, 4.8.2), split between the instances' live lanes.
    /// </summary>
    public const string LiveShareGroup = "hts-ingest-live";

    /// <summary>What a server's live lane subscribes to (results only).</summary>
    public const string LiveResultsSharedSubscription = "$share/" + LiveShareGroup + "/" + ProbesPrefix + "+/results";

    /// <summary>What the server subscribes to for probe status (retained).</summary>
    public const string StatusSubscription = ProbesPrefix + "+/status";

    /// <summary>The topic a probe publishes results on (QoS 1, not retained).</summary>
    public static string Results(string probeId) => ProbesPrefix + probeId + "/results";

    /// <summary>The topic a probe publishes its status on (QoS 1, retained; the last will marks it offline).</summary>
    public static string Status(string probeId) => ProbesPrefix + probeId + "/status";

    /// <summary>The probe's measurement configuration (server → probe, QoS 1, retained): the probe may read only its own.</summary>
    public static string Config(string probeId) => ProbesPrefix + probeId + "/config";

    /// <summary>Commands to the probe (server → probe, QoS 1, not retained, expiring): the probe may read only its own.</summary>
    public static string Commands(string probeId) => ProbesPrefix + probeId + "/commands";

    /// <summary>The probe's acknowledgements of commands (probe → server, QoS 1, not retained).</summary>
    public static string Acks(string probeId) => ProbesPrefix + probeId + "/acks";

    /// <summary>What every server instance subscribes to for acknowledgements (not shared: the update is idempotent).</summary>
    public const string AcksSubscription = ProbesPrefix + "+/acks";

    /// <summary>Whether <paramref name="probeId"/> is a valid probe id (<c>^[a-z0-9][a-z0-9-]{2,63}$</c>).</summary>
    public static bool IsValidProbeId(string? probeId) => probeId is not null && ProbeIdRegex().IsMatch(probeId);

    /// <summary>
    /// Extracts the probe id from <c>hts/v1/probes/{probeId}/{kind}</c>; returns false for any other topic.
    /// </summary>
    public static bool TryParse(string topic, out string probeId, out string kind)
    {
        probeId = string.Empty;
        kind = string.Empty;
        if (!topic.StartsWith(ProbesPrefix, StringComparison.Ordinal))
        {
            return false;
        }

        var rest = topic.AsSpan(ProbesPrefix.Length);
        var slash = rest.IndexOf('/');
        if (slash <= 0 || rest[(slash + 1)..].Contains('/'))
        {
            return false;
        }

        probeId = rest[..slash].ToString();
        kind = rest[(slash + 1)..].ToString();
        return IsValidProbeId(probeId);
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{2,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex ProbeIdRegex();
}
