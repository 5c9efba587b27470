namespace HaTangSo.Telemetry.Server.Jobs;

/// <summary>Log lines of the verdict jobs (issue 13) and of skipped rows (issue 18.3): event ids 3600–3699.</summary>
internal static partial class VerdictsLog
{
    [LoggerMessage(3600, LogLevel.Error, "Job {Job}: {ItemKind} {ItemId} skipped ({Reason}); the rest of the run goes on")]
    public static partial void JobItemFailed(this ILogger logger, string job, string itemKind, string itemId, string reason, Exception exception);

    [LoggerMessage(3601, LogLevel.Information, "Job {Job}: {ItemKind} {ItemId} works again; its job_item_failed alert is resolved")]
    public static partial void JobItemRecovered(this ILogger logger, string job, string itemKind, string itemId);

    [LoggerMessage(3602, LogLevel.Warning, "Target {TargetId} is not applied: {Reason}")]
    public static partial void TargetInvalid(this ILogger logger, int targetId, string reason);

    [LoggerMessage(3603, LogLevel.Information, "Link summaries {Kind} written up to {Until:u}: {Points} points")]
    public static partial void LinkSummariesWritten(this ILogger logger, string kind, DateTimeOffset until, int points);

    [LoggerMessage(3604, LogLevel.Information, "Yearly report for province {Province} {Year} stored ({Rows} rows)")]
    public static partial void YearlyReportStored(this ILogger logger, string province, int year, int rows);

    [LoggerMessage(3605, LogLevel.Warning, "Notification {NotificationId} given up: {Reason} (a permanent error; it is not retried)")]
    public static partial void NotificationAbandoned(this ILogger logger, long notificationId, string reason);

    [LoggerMessage(3606, LogLevel.Information, "Open data {Province} {Month}: {Rows} rows streamed")]
    public static partial void OpenDataStreamed(this ILogger logger, string province, string month, long rows);
}
