namespace HaTangSo.Telemetry.Server.Alerts;

/// <summary>Log lines of the liveness job (event ids 3700–3709; 3710–3749 are the dashboards' other server parts).</summary>
internal static partial class LivenessLog
{
    [LoggerMessage(3700, LogLevel.Information, "Liveness of {Probes} registered probes: {Online} online, {Stale} stale, {Offline} offline, {NeverSeen} never seen, {Disabled} disabled")]
    public static partial void LivenessChecked(this ILogger logger, int probes, int online, int stale, int offline, int neverSeen, int disabled);
}
