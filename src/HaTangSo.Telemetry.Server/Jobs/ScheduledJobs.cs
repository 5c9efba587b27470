using Hangfire;
using HaTangSo.Telemetry.Server.Alerts;
using HaTangSo.Telemetry.Server.Compliance;
using HaTangSo.Telemetry.Server.Quarantine;
using HaTangSo.Telemetry.Server.Reports;

namespace HaTangSo.Telemetry.Server.Jobs;

/// <summary>
/// What Hangfire runs. Each job holds a distributed lock while it runs (<see cref="DisableConcurrentExecutionAttribute"/>),
/// so with several server instances one runs it and the others wait or skip; the jobs themselves are idempotent,
/// so a retry or a late second run changes nothing.
/// </summary>
internal sealed class ScheduledJobs(
    RollupJob rollups, ComplianceJob compliance, LivenessJob liveness, NotificationDispatcher notifications, MonthlyReportJob reports,
    HousekeepingJob housekeeping)
{
    /// <summary>The recurring job ids.</summary>
    public const string RollupsId = "rollups";
    public const string ComplianceId = "compliance";
    public const string LivenessId = "probe-liveness";
    public const string NotificationsId = "notifications";
    public const string MonthlyReportId = "monthly-report";
    public const string HousekeepingId = "housekeeping";

    [DisableConcurrentExecution(timeoutInSeconds: 3600)]
    [AutomaticRetry(Attempts = 3)]
    public Task RollupsAsync(CancellationToken cancellationToken) => rollups.RunAsync(cancellationToken);

    [DisableConcurrentExecution(timeoutInSeconds: 3600)]
    [AutomaticRetry(Attempts = 3)]
    public async Task ComplianceAsync(CancellationToken cancellationToken)
    {
        await compliance.RunAsync(cancellationToken);
        await notifications.RunAsync(cancellationToken);
    }

    [DisableConcurrentExecution(timeoutInSeconds: 600)]
    [AutomaticRetry(Attempts = 0)]
    public async Task LivenessAsync(CancellationToken cancellationToken)
    {
        await liveness.RunAsync(cancellationToken);
        await notifications.RunAsync(cancellationToken);
    }

    [AutomaticRetry(Attempts = 0)]
    public Task NotificationsAsync(CancellationToken cancellationToken) => notifications.RunAsync(cancellationToken);

    [DisableConcurrentExecution(timeoutInSeconds: 3600)]
    [AutomaticRetry(Attempts = 5)]
    public Task MonthlyReportAsync(CancellationToken cancellationToken) => reports.RunPreviousMonthAsync(cancellationToken);

    [DisableConcurrentExecution(timeoutInSeconds: 3600)]
    [AutomaticRetry(Attempts = 3)]
    public Task HousekeepingAsync(CancellationToken cancellationToken) => housekeeping.RunAsync(cancellationToken);
}
