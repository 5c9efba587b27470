namespace HaTangSo.Telemetry.Server.Fleet;

/// <summary>Log events of fleet configuration and commands (block 3750–3769).</summary>
internal static partial class FleetLog
{
    [LoggerMessage(3750, LogLevel.Information, "Measurement configuration of probe {ProbeId} is now version {Version}")]
    public static partial void ProbeConfigChanged(this ILogger logger, string probeId, long version);

    [LoggerMessage(3751, LogLevel.Information, "Province default measurement configuration is now version {Version}: every probe gets a new version")]
    public static partial void DefaultConfigChanged(this ILogger logger, long version);

    [LoggerMessage(3752, LogLevel.Information, "Published measurement configuration version {Version} for probe {ProbeId} (retained)")]
    public static partial void ConfigPublished(this ILogger logger, string probeId, long version);

    [LoggerMessage(3753, LogLevel.Warning, "Measurement configuration version {Version} of probe {ProbeId} is incomplete, not published ({Problems}); the probe keeps what it runs")]
    public static partial void ConfigNotPublishable(this ILogger logger, string probeId, long version, string problems);

    [LoggerMessage(3754, LogLevel.Warning, "Publishing to the broker failed ({Reason}); retrying")]
    public static partial void PublishFailed(this ILogger logger, string reason);

    [LoggerMessage(3755, LogLevel.Information, "Reconciled the broker's retained configurations with the registry: {Published} published, {Cleared} cleared, {Incomplete} incomplete")]
    public static partial void Reconciled(this ILogger logger, int published, int cleared, int incomplete);

    [LoggerMessage(3756, LogLevel.Error, "Unexpected error in the fleet publisher; continuing")]
    public static partial void PublisherFailed(this ILogger logger, Exception exception);

    [LoggerMessage(3757, LogLevel.Information, "Command {CommandId} ({Kind}) for probe {ProbeId} created, expires {ExpiresAt:O}")]
    public static partial void CommandCreated(this ILogger logger, Guid commandId, string kind, string probeId, DateTimeOffset expiresAt);

    [LoggerMessage(3758, LogLevel.Information, "Command {CommandId} of probe {ProbeId}: {State}")]
    public static partial void CommandState(this ILogger logger, Guid commandId, string probeId, string state);

    [LoggerMessage(3759, LogLevel.Warning, "Acknowledgement refused on {Topic}: {Reason}")]
    public static partial void AckRefused(this ILogger logger, string topic, string reason);

    [LoggerMessage(3780, LogLevel.Warning, "Acknowledgements of {ProbeId} refused in the minute from {Since:O}: {Count} more (the first was logged with its reason)")]
    public static partial void AcksRefusedQuietly(this ILogger logger, string probeId, long count, DateTimeOffset since);

    [LoggerMessage(3781, LogLevel.Warning, "{Count} acknowledgement(s) dropped: the inbox (1,000) was full ({Total} since start); their commands still end by results or expiry")]
    public static partial void AcksDropped(this ILogger logger, long count, long total);

    [LoggerMessage(3760, LogLevel.Warning, "Could not add the configuration and command rights to the broker role of probe {ProbeId}")]
    public static partial void ProbeRoleUpgradeFailed(this ILogger logger, Exception exception, string probeId);

    [LoggerMessage(3761, LogLevel.Information, "Broker upgrade {Name} done for {Probes} probe role(s) and recorded; later starts skip it")]
    public static partial void BrokerUpgradeDone(this ILogger logger, string name, int probes);

    [LoggerMessage(3762, LogLevel.Information, "Broker upgrade {Name} already done ({DoneAt:O}, {Probes} probe role(s)); skipped")]
    public static partial void BrokerUpgradeSkipped(this ILogger logger, string name, DateTimeOffset doneAt, int probes);

    [LoggerMessage(3763, LogLevel.Warning, "Broker upgrade {Name}: the broker refused {Refused} of {Probes} probe role(s) (events 3760); not recorded, the next start tries again")]
    public static partial void BrokerUpgradeIncomplete(this ILogger logger, string name, int refused, int probes);
}
