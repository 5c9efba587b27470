using Hangfire;
using HaTangSo.Telemetry.Server.Compliance;
using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.Server.Jobs;

/// <summary>
/// After the registry's migrations: loads the targets (the file if one is configured, else the plans' seed into an
/// empty table), then, when jobs run in this instance, (re)declares the recurring jobs with their cron schedules in
/// Vietnam time. Declaring them is idempotent, so every instance may do it.
/// </summary>
internal sealed class ComplianceStartup(
    Npgsql.NpgsqlDataSource dataSource,
    TargetStore targets, IOptions<ComplianceOptions> compliance, IOptions<JobOptions> jobs, IServiceProvider services, ILogger<ComplianceStartup> logger)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // A misspelt kind of area in Compliance:ProvinceLevels stops start-up naming the key.
        foreach (var province in compliance.Value.ProvinceLevels.Keys)
        {
            _ = compliance.Value.KindsFor(province);
        }

        if (!string.IsNullOrWhiteSpace(compliance.Value.TargetsFile))
        {
            List<Target> fromFile;
            try
            {
                fromFile = TargetDefinition.ReadFile(compliance.Value.TargetsFile);
            }
            catch (Exception ex) when (ex is InvalidOperationException or IOException or UnauthorizedAccessException)
            {
                var message = ex.Message.StartsWith("Compliance:", StringComparison.Ordinal) ? ex.Message : $"Compliance:TargetsFile '{compliance.Value.TargetsFile}': {ex.Message}";
                throw new OptionsValidationException(ComplianceOptions.SectionName, typeof(ComplianceOptions), [message]);
            }

            var (added, updated) = await targets.ImportAsync(fromFile, cancellationToken);
            logger.TargetsImported(compliance.Value.TargetsFile, added, updated);
        }
        else if (compliance.Value.SeedTargets)
        {
            await targets.SeedAsync(cancellationToken);
        }

        if (!jobs.Value.Enabled)
        {
            return;
        }

        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        {
            // Hangfire's own tables, in their own schema; the installer takes an advisory lock, so instances may race.
            Hangfire.PostgreSql.PostgreSqlObjectsInstaller.Install(connection, jobs.Value.Schema);
        }

        var manager = services.GetRequiredService<IRecurringJobManager>();
        var options = new RecurringJobOptions { TimeZone = VietnamTime.Zone };
        var settings = jobs.Value;
        Declare(ScheduledJobs.RollupsId, nameof(JobOptions.RollupsCron), settings.RollupsCron, j => j.RollupsAsync(CancellationToken.None));
        Declare(ScheduledJobs.ComplianceId, nameof(JobOptions.ComplianceCron), settings.ComplianceCron, j => j.ComplianceAsync(CancellationToken.None));
        Declare(ScheduledJobs.LivenessId, nameof(JobOptions.LivenessCron), settings.LivenessCron, j => j.LivenessAsync(CancellationToken.None));
        Declare(ScheduledJobs.NotificationsId, nameof(JobOptions.NotificationsCron), settings.NotificationsCron, j => j.NotificationsAsync(CancellationToken.None));
        Declare(ScheduledJobs.MonthlyReportId, nameof(JobOptions.MonthlyReportCron), settings.MonthlyReportCron, j => j.MonthlyReportAsync(CancellationToken.None));
        Declare(ScheduledJobs.HousekeepingId, nameof(JobOptions.HousekeepingCron), settings.HousekeepingCron, j => j.HousekeepingAsync(CancellationToken.None));

        void Declare(string id, string key, string cron, System.Linq.Expressions.Expression<Func<ScheduledJobs, Task>> job)
        {
            try
            {
                manager.AddOrUpdate(id, job, cron, options);
            }
            catch (ArgumentException ex)
            {
                throw new OptionsValidationException(JobOptions.SectionName, typeof(JobOptions), [$"Jobs:{key} '{cron}' is not a valid cron expression: {ex.Message}"]);
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
