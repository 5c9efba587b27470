using HaTangSo.Telemetry.Contracts.Releases;
using Microsoft.Extensions.Logging;

namespace HaTangSo.Telemetry.Probe.Upgrade;

/// <summary>Log events of signed upgrades (5680-5689).</summary>
internal static partial class UpgradeLog
{
    [LoggerMessage(5680, LogLevel.Information, "Upgrade ordered: running {From}, manifest {ManifestUrl}")]
    public static partial void UpgradeStarted(this ILogger logger, string from, Uri manifestUrl);

    [LoggerMessage(5681, LogLevel.Warning, "Upgrade refused ({Result}): {Detail}")]
    public static partial void UpgradeRefused(this ILogger logger, UpgradeResult result, string detail);

    [LoggerMessage(5682, LogLevel.Information, "Upgrade {From} -> {To} ({Architecture}, {Size} bytes, SHA-256 verified) installed as {Binary}; previous kept as {Previous}; restarting into the trial")]
    public static partial void UpgradeSwapped(this ILogger logger, string from, string to, string architecture, long size, string binary, string previous);

    [LoggerMessage(5683, LogLevel.Warning, "Upgrade failed ({Result}): {Detail}")]
    public static partial void UpgradeFailed(this ILogger logger, Exception exception, UpgradeResult result, string detail);

    [LoggerMessage(5684, LogLevel.Information, "Last upgrade: {State}, {From} -> {To} at {At}: {Detail}")]
    public static partial void LastUpgrade(this ILogger logger, UpgradeStateKind state, string from, string to, DateTimeOffset at, string detail);

    [LoggerMessage(5685, LogLevel.Warning, "Directory {Directory} could not be flushed to disk after the swap ({Reason}); the swap stands")]
    public static partial void DirectoryNotSynced(this ILogger logger, string directory, string reason);

    [LoggerMessage(5686, LogLevel.Warning, "Started with the trial of {Version} still pending: the unit's ExecStartPre=/opt/hts-probe/hts-probe-trial.sh did not run (install it, see probes/README.md); upgrades wait until it does")]
    public static partial void TrialNotRun(this ILogger logger, string version);

    [LoggerMessage(5687, LogLevel.Warning, "Exiting after the upgrade command so systemd restarts into the new version's trial (acknowledgement on the broker: {Acknowledged})")]
    public static partial void RestartingForUpgrade(this ILogger logger, bool acknowledged);
}
