using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.Server.Jobs;

/// <summary>The scheduled jobs (Hangfire on PostgreSQL), bound from <c>Jobs</c>.</summary>
public sealed class JobOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Jobs";

    /// <summary>Run the Hangfire server and its recurring jobs in this instance (default true).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The PostgreSQL schema Hangfire keeps its tables in (default <c>hangfire</c>).</summary>
    [RegularExpression("^[a-z_][a-z0-9_]*$", ErrorMessage = "Jobs:Schema must be a lower-case SQL identifier.")]
    public string Schema { get; set; } = "hangfire";

    /// <summary>Hangfire workers in this instance (default 2).</summary>
    [Range(1, 64)]
    public int Workers { get; set; } = 2;

    /// <summary>Cron (Vietnam time) of the hourly and daily rollups (default 5 minutes past every hour).</summary>
    [RegularExpression(CronPattern, ErrorMessage = "Jobs:RollupsCron must be a five-field cron expression.")]
    public string RollupsCron { get; set; } = "5 * * * *";

    /// <summary>Cron of the compliance evaluation and district alerts (default 10 minutes past every hour).</summary>
    [RegularExpression(CronPattern, ErrorMessage = "Jobs:ComplianceCron must be a five-field cron expression.")]
    public string ComplianceCron { get; set; } = "10 * * * *";

    /// <summary>Cron of the probe liveness check (default every 5 minutes).</summary>
    [RegularExpression(CronPattern, ErrorMessage = "Jobs:LivenessCron must be a five-field cron expression.")]
    public string LivenessCron { get; set; } = "*/5 * * * *";

    /// <summary>Cron of the notification outbox (default every minute; jobs that open alerts also send at once).</summary>
    [RegularExpression(CronPattern, ErrorMessage = "Jobs:NotificationsCron must be a five-field cron expression.")]
    public string NotificationsCron { get; set; } = "* * * * *";

    /// <summary>Cron of the monthly report of the previous month (default 06:00 on the 1st).</summary>
    [RegularExpression(CronPattern, ErrorMessage = "Jobs:MonthlyReportCron must be a five-field cron expression.")]
    public string MonthlyReportCron { get; set; } = "0 6 1 * *";

    /// <summary>
    /// Cron of the housekeeping job (default 20 minutes past every hour): quarantine retention and size
    /// (<c>Quarantine:RetentionDays</c>, <c>Quarantine:MaxRows</c>) and the stored result ids (<c>Ingestion:MaxResultAge</c>).
    /// </summary>
    [RegularExpression(CronPattern, ErrorMessage = "Jobs:HousekeepingCron must be a five-field cron expression.")]
    public string HousekeepingCron { get; set; } = "20 * * * *";

    private const string CronPattern = @"^\s*\S+(\s+\S+){4}\s*$";
}

/// <summary>Validates <see cref="JobOptions"/> at start-up.</summary>
[OptionsValidator]
internal sealed partial class JobOptionsValidator : IValidateOptions<JobOptions>;
