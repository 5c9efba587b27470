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

    /// <summary>
    /// Batches the hand-off queue between the MQTT client and the batch writer holds (<see cref="MaxBatchSize"/> × this)
    /// before the client stops reading its socket. With the batches in flight (<see cref="BatchesInFlight"/>) that bounds the results the server holds
    /// of a backlog; every message held costs about 1.3 KB of managed heap that survives into the older generations.
    /// One by default: with two batches in flight the server holds three batches of a backlog, as it did with one batch
    /// in flight and two queued (with one in flight, one queued batch made the quiet 1,000,000 drain 40 % slower). The
    /// 1,000,000 drain with one queued: 56.5 s and 298 MiB, against 48.7-60.3 s and 321-322 MiB with two
    /// (docs/measurements.md, "Draining a backlog").
    /// </summary>
    [Range(1, 4, ErrorMessage = "Ingestion:QueuedBatches must be between 1 and 4.")]
    public int QueuedBatches { get; set; } = 1;

    /// <summary>
    /// Batches being written at once (<see cref="BatchTurn"/>). With two, the next batch is checked and its result ids
    /// recorded in PostgreSQL while the batch before it is written to InfluxDB; PUBACKs still leave in batch order. One
    /// writes a batch at a time (each batch then waits for both round trips of the one before).
    /// </summary>
    [Range(1, 2, ErrorMessage = "Ingestion:BatchesInFlight must be 1 or 2.")]
    public int BatchesInFlight { get; set; } = 2;

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

    /// <summary>
    /// Per-probe token bucket on arrival time (results and status together): messages a probe may send at once. The
    /// default holds a probe's whole queue (20,000 results, 52 days of two links at 15 minutes) with room to spare, so
    /// a backlog after an outage passes whole. Beyond it a message is counted in the quarantine, not kept.
    /// </summary>
    [Range(1, 10_000_000, ErrorMessage = "Ingestion:ArrivalBurst must be between 1 and 10000000.")]
    public int ArrivalBurst { get; set; } = 25_000;

    /// <summary>
    /// How fast the arrival bucket refills, in messages per second (default 1: 86,400 a day, over a hundred times what a
    /// probe on a one-minute schedule sends). 0 turns the arrival limit off.
    /// </summary>
    [Range(0.0, 1_000_000.0, ErrorMessage = "Ingestion:ArrivalRatePerSecond must be between 0 (off) and 1000000.")]
    public double ArrivalRatePerSecond { get; set; } = 1;

    /// <summary>
    /// A download or upload above this many times the link's registered advertised speed is implausible and
    /// quarantined (default 1.5: operators provision a little above the plan, never half again).
    /// </summary>
    [Range(1.0, 1000.0, ErrorMessage = "Ingestion:MaxRatioToAdvertised must be between 1 and 1000.")]
    public double MaxRatioToAdvertised { get; set; } = 1.5;
}

[OptionsValidator]
internal sealed partial class IngestionOptionsValidator : IValidateOptions<IngestionOptions>;
