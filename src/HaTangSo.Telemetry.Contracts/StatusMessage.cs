namespace HaTangSo.Telemetry.Contracts;

/// <summary>
/// The retained probe status on <c>hts/v1/probes/{probeId}/status</c>; the probe's MQTT last will publishes
/// one with <see cref="State"/> = <c>offline</c>.
/// </summary>
public sealed record StatusMessage
{
    /// <summary>The schema name every status carries.</summary>
    public const string SchemaName = "hts.status.v1";

    /// <summary>Always <see cref="SchemaName"/>.</summary>
    public string Schema { get; init; } = SchemaName;

    /// <summary>The probe's id.</summary>
    public required string ProbeId { get; init; }

    /// <summary><c>online</c> or <c>offline</c>.</summary>
    public required string State { get; init; }

    /// <summary>When the status was produced (UTC).</summary>
    public DateTimeOffset? At { get; init; }

    /// <summary>Probe software version.</summary>
    public string? AgentVersion { get; init; }

    /// <summary>Names of the links the probe measures.</summary>
    public IReadOnlyList<LinkInfo>? Links { get; init; }

    /// <summary>Results waiting in the probe's local queue.</summary>
    public long? QueueDepth { get; init; }

    /// <summary>Results evicted from a full queue since the probe started using it.</summary>
    public long? QueueEvicted { get; init; }

    /// <summary>When the probe produced its last result.</summary>
    public DateTimeOffset? LastResultAt { get; init; }

    /// <summary>The probe's last error, if any.</summary>
    public string? LastError { get; init; }

    /// <summary>
    /// Version of the measurement configuration the probe runs (<c>hts.config.v1</c> from the registry); 0 while it runs
    /// the measurement keys of its local <c>probe.json</c>; absent from probes older than issue 15.
    /// </summary>
    public long? ConfigVersion { get; init; }

    /// <summary>Why the last configuration received was refused (it kept <see cref="ConfigVersion"/>); absent when the last one was applied.</summary>
    public string? ConfigError { get; init; }

    /// <summary>The last signed upgrade (issue 15.5): trial, confirmed or rolled back; absent when none was ever installed.</summary>
    public Releases.UpgradeStatus? Upgrade { get; init; }
}

/// <summary>Values of <see cref="StatusMessage.State"/>.</summary>
public static class ProbeState
{
    /// <summary>Connected and measuring.</summary>
    public const string Online = "online";

    /// <summary>Disconnected (set by the last will or on a clean shutdown).</summary>
    public const string Offline = "offline";
}
