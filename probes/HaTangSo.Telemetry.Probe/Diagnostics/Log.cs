using Microsoft.Extensions.Logging;

namespace HaTangSo.Telemetry.Probe.Diagnostics;

/// <summary>The probe's log events (5xxx).</summary>
internal static partial class Log
{
    [LoggerMessage(5000, LogLevel.Information, "Probe {ProbeId} {Version} started: {Links} link(s), every {Minutes} min, queue {Depth} waiting ({Evicted} evicted so far)")]
    public static partial void Started(this ILogger logger, string probeId, string version, int links, int minutes, long depth, long evicted);

    [LoggerMessage(5001, LogLevel.Information, "Link {Link}: {Status}, down {Download} Mb/s, up {Upload} Mb/s, latency {Latency} ms")]
    public static partial void Measured(this ILogger logger, string link, string status, double? download, double? upload, double? latency);

    [LoggerMessage(5002, LogLevel.Warning, "Link {Link}: {Error}")]
    public static partial void MeasurementError(this ILogger logger, string link, string error);

    [LoggerMessage(5003, LogLevel.Information, "Link {Link} skipped: {Reason}")]
    public static partial void Skipped(this ILogger logger, string link, string reason);

    [LoggerMessage(5004, LogLevel.Warning, "Queue full: evicted the {Count} oldest result(s) ({Total} since the queue was created)")]
    public static partial void Evicted(this ILogger logger, int count, long total);

    [LoggerMessage(5010, LogLevel.Information, "Connected to broker {Host}:{Port} (session present: {SessionPresent}); {Depth} result(s) waiting")]
    public static partial void Connected(this ILogger logger, string host, int port, bool sessionPresent, long depth);

    [LoggerMessage(5011, LogLevel.Warning, "Cannot reach broker {Host}:{Port}: {Reason}; retrying in {Delay}")]
    public static partial void ConnectFailed(this ILogger logger, string host, int port, string reason, TimeSpan delay);

    [LoggerMessage(5012, LogLevel.Warning, "Broker did not accept result {ResultId}: {Reason}; it stays queued")]
    public static partial void PublishRefused(this ILogger logger, string resultId, string reason);

    [LoggerMessage(5013, LogLevel.Information, "Published {Count} result(s); {Depth} waiting")]
    public static partial void Published(this ILogger logger, int count, long depth);

    [LoggerMessage(5014, LogLevel.Warning, "Disconnected from broker: {Reason}")]
    public static partial void Disconnected(this ILogger logger, string reason);

    [LoggerMessage(5600, LogLevel.Debug, "Link {Link}: no radio facts, ModemManager is not available ({Reason})")]
    public static partial void NoModemManager(this ILogger logger, string link, string reason);

    [LoggerMessage(5601, LogLevel.Debug, "Link {Link}: no radio facts from mmcli {Arguments}: {Reason}")]
    public static partial void RadioUnreadable(this ILogger logger, string link, string arguments, string reason);

    [LoggerMessage(5650, LogLevel.Information, "Measurement configuration version {Version} applied: every {Minutes} min against {Server}")]
    public static partial void ConfigApplied(this ILogger logger, long version, int minutes, string server);

    [LoggerMessage(5651, LogLevel.Warning, "Measurement configuration refused, keeping version {Version}: {Reason}")]
    public static partial void ConfigRefused(this ILogger logger, long version, string reason);

    [LoggerMessage(5652, LogLevel.Warning, "Persisted measurement configuration {Path} not used: {Reason}")]
    public static partial void PersistedConfigUnusable(this ILogger logger, string path, string reason);

    [LoggerMessage(5653, LogLevel.Warning, "No measurement configuration names a server yet: waiting for the registry's (hts/v1/probes/{ProbeId}/config)")]
    public static partial void WaitingForConfig(this ILogger logger, string probeId);

    [LoggerMessage(5654, LogLevel.Warning, "Broker refused the subscription to {Topic}: {Reason}")]
    public static partial void SubscriptionRefused(this ILogger logger, string topic, string reason);

    [LoggerMessage(5655, LogLevel.Warning, "Command not usable: {Reason}")]
    public static partial void CommandUnreadable(this ILogger logger, string reason);

    [LoggerMessage(5656, LogLevel.Information, "Command {CommandId} already received: not run again")]
    public static partial void CommandRepeated(this ILogger logger, Guid commandId);

    [LoggerMessage(5657, LogLevel.Information, "Command {CommandId}: {State} {Reason}")]
    public static partial void CommandAcknowledged(this ILogger logger, Guid commandId, string state, string reason);

    [LoggerMessage(5020, LogLevel.Error, "Unexpected error in {Component}; continuing")]
    public static partial void Unexpected(this ILogger logger, Exception exception, string component);
}
