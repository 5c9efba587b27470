using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.Server.Ingestion;

/// <summary>Batching, retry and validation settings of the ingestion pipeline, bound from <c>Ingestion</c>.</summary>
public sealed class IngestionOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Ingestion";

    /// <summary>Most results written to InfluxDB in one request (InfluxDB recommends 5,000–10,000 lines).</summary>
    [Range(1, 50_000, ErrorMessage = "Ingestion:MaxBatchSize must be between 1 and 50000.")]
    public int MaxBatchSize { get; set; } = 5_000;

    /// <summary>The longest a result waits for its batch to fill before it is written.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:01:00", ErrorMessage = "Ingestion:FlushInterval must be between 1 ms and 1 minute.")]
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>First wait before retrying a failed write; doubles up to <see cref="RetryMaxDelay"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:10:00", ErrorMessage = "Ingestion:RetryInitialDelay must be between 1 ms and 10 minutes.")]
    public TimeSpan RetryInitialDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Longest wait between retries while InfluxDB or PostgreSQL is down.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "01:00:00", ErrorMessage = "Ingestion:RetryMaxDelay must be between 1 ms and 1 hour.")]
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How far in the future <c>startedAt</c> may be (probe clocks drift; NTP may be late after a power cut).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00", ErrorMessage = "Ingestion:MaxClockSkew must be between 0 and 1 day.")]
    public TimeSpan MaxClockSkew { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Oldest accepted <c>startedAt</c>. Probes keep results for at least 30 days offline; older ones are
    /// kept in quarantine rather than written outside the retention policy.
    /// </summary>
    [Range(typeof(TimeSpan), "1.00:00:00", "3650.00:00:00", ErrorMessage = "Ingestion:MaxResultAge must be between 1 and 3650 days.")]
    public TimeSpan MaxResultAge { get; set; } = TimeSpan.FromDays(90);

    /// <summary>
    /// Per-probe rate limit: a link may deliver this many times its scheduled number of results per hour of
    /// measurement time; the excess is quarantined. 0 turns the limit off.
    /// </summary>
    [Range(0.0, 1000.0, ErrorMessage = "Ingestion:ProbeRateLimitFactor must be between 0 (off) and 1000.")]
    public double ProbeRateLimitFactor { get; set; } = 4;

    /// <summary>Results a link may deliver per hour on top of the factor (manual "measure now" runs).</summary>
    [Range(0, 100_000, ErrorMessage = "Ingestion:ProbeRateLimitBurst must be between 0 and 100000.")]
    public int ProbeRateLimitBurst { get; set; } = 4;
}

[OptionsValidator]
internal sealed partial class IngestionOptionsValidator : IValidateOptions<IngestionOptions>;
