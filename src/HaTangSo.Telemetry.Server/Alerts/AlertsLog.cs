namespace HaTangSo.Telemetry.Server.Alerts;

/// <summary>Log lines of the notification dispatcher's leases (event ids 4500–4519).</summary>
internal static partial class AlertsLog
{
    [LoggerMessage(4500, LogLevel.Warning, "Notification {NotificationId}: the lease expired before its outcome was recorded; another dispatcher has it now (it may be sent twice)")]
    public static partial void NotificationLeaseLost(this ILogger logger, long notificationId);

    [LoggerMessage(4501, LogLevel.Warning, "Could not give back {Count} unsent notifications ({Reason}); they are sent once their lease expires")]
    public static partial void NotificationReleaseFailed(this ILogger logger, int count, string reason);
}
